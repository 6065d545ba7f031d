//! Gradients inside traced functions whose shapes are known only at run time, driven from the
//! registry's finite-difference cases.
//!
//! Each case is traced twice with placeholders of the inputs' dtypes and ranks: once with every
//! dimension unknown, once with only the leading one unknown (a `None` batch dimension). Inside
//! the trace a tape differentiates `sum(f(inputs) * w)`; the graph then runs on the case's
//! inputs and the gradients must equal the eager tape's: every gradient formula works from
//! run-time shapes.

mod grad_cases;

use std::ops::Not;
use tensile::function::{trace_graph, TraceOptions};
use tensile::graph::exec;
use tensile::ops::{math, reduce, Spec};
use tensile::shape::Dims;
use tensile::testing::{test_tensor, GradCase};
use tensile::{GradientTape, Result, Tensor, UnconnectedGradients};

/// Ops whose forward computation needs known dimensions in some of these cases: `unstack` its
/// number of outputs, `squeeze` without axes which axes are 1. (`depthwise_conv2d`, filed under
/// `conv2d`, needs its filter's shape and says so: "must be known while tracing".)
const FORWARD_STATIC: &[&str] = &["squeeze", "unstack"];

fn weights(case: &GradCase) -> Result<Tensor> {
    Ok(test_tensor((case.f)(&case.inputs)?.shape(), 99, 0.5, 1.5))
}

/// The gradients of `sum(f(xs) * w)` with respect to every input (zeros where unconnected).
fn gradients(case: &GradCase, xs: &[Tensor], w: &Tensor) -> Result<Vec<Tensor>> {
    let tape = GradientTape::new();
    let loss = tape.scope(|t| -> Result<Tensor> {
        for x in xs {
            t.watch(x);
        }
        reduce::reduce_sum(&math::mul(&(case.f)(xs)?, w)?, None, false)
    })??;
    let srcs: Vec<&dyn tensile::tape::Watchable> = xs.iter().map(|t| t as &dyn tensile::tape::Watchable).collect();
    let grads = tape.gradient_with(&loss, &srcs, None, UnconnectedGradients::Zero)?;
    xs.iter()
        .zip(grads)
        .map(|(x, g)| match g {
            Some(g) => Ok(g),
            None => tensile::ops::array::zeros_like(x),
        })
        .collect()
}

fn traced_gradients(case: &GradCase, dims: &dyn Fn(usize, &Tensor) -> Dims) -> Result<Vec<Tensor>> {
    let w = weights(case)?;
    let specs: Vec<Spec> =
        case.inputs.iter().enumerate().map(|(k, t)| Spec { dtype: t.dtype(), dims: dims(k, t) }).collect();
    let traced =
        trace_graph(&specs, TraceOptions { root: true, allow_variable_creation: true }, |xs| gradients(case, xs, &w))?;
    let mut feeds = case.inputs.clone();
    feeds.extend(traced.captures.iter().cloned());
    exec::run(&traced.graph, &feeds, &traced.variables)
}

fn close(a: &Tensor, b: &Tensor) -> bool {
    a.shape() == b.shape()
        && a.to_f64_vec().iter().zip(b.to_f64_vec()).all(|(x, y)| (x - y).abs() <= 1e-12 * (1.0 + x.abs().max(y.abs())))
}

/// Whether the case's forward computation traces with these dims (some ops need known
/// dimensions to decide their output's rank or number of outputs).
fn forward_traces(case: &GradCase, dims: &dyn Fn(usize, &Tensor) -> Dims) -> Result<()> {
    let specs: Vec<Spec> =
        case.inputs.iter().enumerate().map(|(k, t)| Spec { dtype: t.dtype(), dims: dims(k, t) }).collect();
    trace_graph(&specs, TraceOptions { root: true, allow_variable_creation: true }, |xs| Ok(vec![(case.f)(xs)?]))
        .map(drop)
}

fn check(case: &GradCase, label: &str, dims: &dyn Fn(usize, &Tensor) -> Dims) -> Option<String> {
    let w = weights(case).ok()?;
    if let Err(e) = forward_traces(case, dims) {
        let expected = FORWARD_STATIC.contains(&case.op) || e.message.contains("must be known while tracing");
        return expected.not().then(|| format!("{} ({label}): the forward computation does not trace: {e}", case.op));
    }
    let eager = match gradients(case, &case.inputs.iter().map(Tensor::fresh).collect::<Vec<_>>(), &w) {
        Ok(g) => g,
        Err(e) => return Some(format!("{} ({label}): eager gradient failed: {e}", case.op)),
    };
    match traced_gradients(case, dims) {
        Ok(got) if got.len() == eager.len() && got.iter().zip(&eager).all(|(a, b)| close(a, b)) => None,
        Ok(got) => Some(format!(
            "{} ({label}): traced gradients {:?} != eager {:?}",
            case.op,
            got.iter().map(|g| (g.shape().to_vec(), g.to_f64_vec())).collect::<Vec<_>>(),
            eager.iter().map(|g| (g.shape().to_vec(), g.to_f64_vec())).collect::<Vec<_>>()
        )),
        Err(e) => Some(format!("{} ({label}): traced gradient failed: {e}", case.op)),
    }
}

#[test]
fn gradients_with_unknown_dimensions_equal_eager_gradients() {
    let all_unknown = |_: usize, t: &Tensor| -> Dims { t.shape().iter().map(|_| None).collect() };
    let batch_unknown =
        |_: usize, t: &Tensor| -> Dims { t.shape().iter().enumerate().map(|(i, &d)| (i > 0).then_some(d)).collect() };
    let data_batch_unknown = |k: usize, t: &Tensor| -> Dims {
        t.shape().iter().enumerate().map(|(i, &d)| (k > 0 || i > 0).then_some(d)).collect()
    };
    let mut failures = Vec::new();
    for case in grad_cases::all() {
        failures.extend(check(&case, "all dims unknown", &all_unknown));
        failures.extend(check(&case, "batch dim unknown", &batch_unknown));
        failures.extend(check(&case, "batch dim of input 0 unknown", &data_batch_unknown));
        for only in 0..case.inputs.len() {
            let one_unknown =
                move |k: usize, t: &Tensor| -> Dims { t.shape().iter().map(|&d| (k != only).then_some(d)).collect() };
            failures.extend(check(&case, &format!("input {only} unknown"), &one_unknown));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
