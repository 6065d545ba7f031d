//! Finite-difference gradient checks for every differentiable op, driven from the registry:
//! an op with a gradient but no case here fails `every_differentiable_op_has_a_case`.

mod grad_cases;

use tensile::ops::registry;
use tensile::testing::{check_gradients, GradCase};

fn all_cases() -> Vec<GradCase> {
    grad_cases::all()
}

#[test]
fn every_differentiable_op_has_a_case() {
    let cases = all_cases();
    let missing: Vec<&str> = registry()
        .iter()
        .filter(|op| op.grad.is_some())
        .map(|op| op.name)
        .filter(|name| !cases.iter().any(|c| c.op == *name))
        .collect();
    assert!(missing.is_empty(), "differentiable ops without a finite-difference case: {missing:?}");
}

#[test]
fn every_case_names_a_registered_op() {
    for c in all_cases() {
        assert!(tensile::ops::lookup(c.op).is_some(), "case for unknown op {}", c.op);
    }
}

#[test]
fn gradients_match_finite_differences() {
    let mut failures = Vec::new();
    for case in all_cases() {
        match check_gradients(&case) {
            Ok(errs) => {
                if let Some((i, e)) = errs.iter().enumerate().find(|(_, e)| **e > case.tol) {
                    failures.push(format!("{}: input {i} relative error {e:.3e}", case.op));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.op)),
        }
    }
    assert!(failures.is_empty(), "gradient mismatches:\n{}", failures.join("\n"));
}
