//! Differential tests driven from the registry: every op computes the same traced as eager.
//!
//! Two sources of calls: the finite-difference cases (realistic attributes for every
//! differentiable op) and an input sweep over every registered op. A call that succeeds
//! eagerly is traced with its inputs as placeholders, the graph is run on the same inputs, and
//! the results must be bitwise equal (the same kernels run); stateful ops (random, print) must
//! agree in dtype and shape. An op that no call exercised fails the test.

mod grad_cases;

use std::collections::HashSet;
use tensile::function::{trace_graph, TraceOptions};
use tensile::graph::exec;
use tensile::ops::{execute, registry, Spec};
use tensile::testing::{hostile_attr_sets, sweep_shapes, sweep_tensor, GradCase};
use tensile::{DType, Result, Tensor};

fn grad_cases() -> Vec<GradCase> {
    grad_cases::all()
}

type Call = Box<dyn Fn(&[Tensor]) -> Result<Vec<Tensor>>>;

/// Calls for ops whose attributes the sweep cannot guess (the op's registry name, inputs, call).
fn explicit_cases() -> Vec<(&'static str, Vec<Tensor>, Call)> {
    use tensile::ops::{array, io, random_ops as r, reduce};
    let m = Tensor::from([[1.0f32, 5.0, -2.0], [7.0, 0.5, 7.0]]);
    let seed = Tensor::from([7i64, 11]);
    let key_counter = |s: &Tensor| r::stateless_random_get_key_counter(s);
    vec![
        ("argmax", vec![m.clone()], Box::new(|i: &[Tensor]| Ok(vec![reduce::argmax(&i[0], 1)?])) as Call),
        (
            "range",
            vec![Tensor::from(7i64), Tensor::from(-2i64), Tensor::from(-3i64)],
            Box::new(|i: &[Tensor]| Ok(vec![array::range_dynamic(&i[0], &i[1], &i[2])?])),
        ),
        (
            "range",
            vec![Tensor::from(0.5f32), Tensor::from(2.0f32), Tensor::from(0.25f32)],
            Box::new(|i: &[Tensor]| Ok(vec![array::range_dynamic(&i[0], &i[1], &i[2])?])),
        ),
        ("argmin", vec![m.clone()], Box::new(|i: &[Tensor]| Ok(vec![reduce::argmin(&i[0], 0)?]))),
        (
            "one_hot",
            vec![Tensor::from([0i32, 2, -1, 1])],
            Box::new(|i: &[Tensor]| Ok(vec![array::one_hot(&i[0], 3, 1.0, 0.0, -1, DType::F32)?])),
        ),
        (
            "random_uniform",
            vec![],
            Box::new(|_: &[Tensor]| Ok(vec![r::random_uniform(&[4], 0.0, 1.0, DType::F32, Some(3))?])),
        ),
        (
            "random_standard_normal",
            vec![],
            Box::new(|_: &[Tensor]| Ok(vec![r::random_normal(&[2, 3], 0.0, 1.0, DType::F64, Some(5))?])),
        ),
        (
            "truncated_normal",
            vec![],
            Box::new(|_: &[Tensor]| Ok(vec![r::truncated_normal(&[5], 1.0, 2.0, DType::F32, Some(9))?])),
        ),
        (
            "random_uniform_int",
            vec![],
            Box::new(|_: &[Tensor]| Ok(vec![r::random_uniform_int(&[6], -3, 9, DType::I64, Some(2))?])),
        ),
        (
            "stateless_random_get_key_counter",
            vec![seed.clone()],
            Box::new(move |i: &[Tensor]| {
                let (k, c) = key_counter(&i[0])?;
                Ok(vec![k, c])
            }),
        ),
        (
            "stateless_random_uniform_v2",
            vec![seed.clone()],
            Box::new(move |i: &[Tensor]| {
                let (k, c) = key_counter(&i[0])?;
                Ok(vec![r::stateless_random_uniform_v2(&[3, 2], &k, &c, DType::F32)?])
            }),
        ),
        (
            "stateless_random_normal_v2",
            vec![seed.clone()],
            Box::new(move |i: &[Tensor]| {
                let (k, c) = key_counter(&i[0])?;
                Ok(vec![r::stateless_random_normal_v2(&[4], &k, &c, DType::F64)?])
            }),
        ),
        (
            "stateless_truncated_normal_v2",
            vec![seed.clone()],
            Box::new(move |i: &[Tensor]| {
                let (k, c) = key_counter(&i[0])?;
                Ok(vec![r::stateless_truncated_normal_v2(&[4], &k, &c, DType::F32)?])
            }),
        ),
        (
            "stateless_random_uniform_int_v2",
            vec![seed],
            Box::new(move |i: &[Tensor]| {
                let (k, c) = key_counter(&i[0])?;
                Ok(vec![r::stateless_random_uniform_int_v2(&[5], &k, &c, -4, 4, DType::I32)?])
            }),
        ),
        (
            "unique",
            vec![Tensor::from([3i64, 1, 3, 2, 1])],
            Box::new(|i: &[Tensor]| {
                let (y, idx) = tensile::ops::unique::unique(&i[0], DType::I32)?;
                Ok(vec![y, idx])
            }),
        ),
        (
            "unique_with_counts",
            vec![Tensor::from([0.5f32, -1.0, 0.5, 0.5])],
            Box::new(|i: &[Tensor]| {
                let (y, idx, count) = tensile::ops::unique::unique_with_counts(&i[0], DType::I64)?;
                Ok(vec![y, idx, count])
            }),
        ),
        (
            "random_shuffle",
            vec![Tensor::from([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]])],
            Box::new(|i: &[Tensor]| Ok(vec![tensile::ops::random_sampling::shuffle(&i[0], Some(4))?])),
        ),
        (
            "multinomial",
            vec![Tensor::from([[0.0f32, 1.0, 2.0], [1.0, 1.0, 1.0]])],
            Box::new(|i: &[Tensor]| {
                Ok(vec![tensile::ops::random_sampling::categorical(&i[0], 5, DType::I64, Some(2))?])
            }),
        ),
        (
            "fused_elementwise",
            vec![Tensor::from([0.5f32, -1.0, 2.0]), Tensor::from([1.0f32, 2.0, 3.0])],
            Box::new(|i: &[Tensor]| {
                let program =
                    "r2 = mul r0 2.0; r3 = add r2 1.0; r4 = tanh r3; r5 = sigmoid r1; r6 = mul r4 r5; return r6";
                let attrs = tensile::attrs::Attrs::new().with("program", tensile::attrs::Attr::Str(program.into()));
                execute(&tensile::ops::fused::FUSED_ELEMENTWISE, i, attrs)
            }),
        ),
        (
            "fused_matmul",
            vec![m.clone(), Tensor::from([[1.0f32, 0.5], [-1.0, 2.0], [0.25, 0.0]]), Tensor::from([0.5f32, -1.0])],
            Box::new(|i: &[Tensor]| {
                let attrs = tensile::attrs::Attrs::new()
                    .with("transpose_a", tensile::attrs::Attr::Bool(false))
                    .with("transpose_b", tensile::attrs::Attr::Bool(false))
                    .with("activation", tensile::attrs::Attr::Str("relu".into()));
                execute(&tensile::ops::fused::FUSED_MATMUL, i, attrs)
            }),
        ),
        (
            "tensor_list_set_item",
            vec![Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]), Tensor::from(1i32), Tensor::from([5.0f32, 6.0])],
            Box::new(|i: &[Tensor]| {
                let at_1 = tensile::ops::tensor_list::tensor_list_set_item(&i[0], &i[1], &i[2])?;
                let at_0 = tensile::ops::tensor_list::tensor_list_set_item(&i[0], &Tensor::from(0i64), &i[2])?;
                Ok(vec![at_1, at_0])
            }),
        ),
        (
            "tensor_list_get_item",
            vec![Tensor::from([[1i64, 2], [3, 4], [5, 6]]), Tensor::from(2i64)],
            Box::new(|i: &[Tensor]| Ok(vec![tensile::ops::tensor_list::tensor_list_get_item(&i[0], &i[1])?])),
        ),
        (
            "tensor_list_resize",
            vec![Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]), Tensor::from(4i32)],
            Box::new(|i: &[Tensor]| {
                let grown = tensile::ops::tensor_list::tensor_list_resize(&i[0], &i[1])?;
                let shrunk = tensile::ops::tensor_list::tensor_list_resize(&i[0], &Tensor::from(1i64))?;
                // A resize of an intermediate runs in place in the graph.
                let again = tensile::ops::tensor_list::tensor_list_resize(&(&i[0] * 2.0)?, &Tensor::from(3i64))?;
                Ok(vec![grown, shrunk, again])
            }),
        ),
        (
            "write_summary",
            vec![Tensor::from(2.5f32), Tensor::from(3i64)],
            // No default writer here: both return false (writes in traced functions are tested
            // in summary_writer.rs).
            Box::new(|i: &[Tensor]| Ok(vec![tensile::summary::scalar("x", &i[0], Some(&i[1]), None)?])),
        ),
        (
            "print",
            vec![m],
            Box::new(|i: &[Tensor]| {
                io::print("m = {}", i, &io::PrintOptions::default())?;
                Ok(vec![])
            }),
        ),
    ]
}

#[test]
fn ops_with_required_attributes_trace_to_the_same_values() {
    let mut failures = Vec::new();
    for (name, inputs, f) in explicit_cases() {
        let op = tensile::ops::lookup(name).expect("registered");
        let (eager, eager_text) = tensile::ops::io::capture_prints(|| f(&inputs));
        let (run, run_text) = tensile::ops::io::capture_prints(|| traced(&inputs, |s| f(s)));
        let ok = match (&eager, &run) {
            (Ok(e), Ok(t)) if op.stateful => {
                e.len() == t.len()
                    && e.iter().zip(t).all(|(x, y)| x.dtype() == y.dtype() && x.shape() == y.shape())
                    && eager_text == run_text
            }
            (Ok(e), Ok(t)) => e.len() == t.len() && e.iter().zip(t).all(|(x, y)| same_bits(x, y)),
            _ => false,
        };
        if !ok {
            failures.push(format!("{name}: eager {eager:?} traced {run:?}"));
        }
    }
    assert!(failures.is_empty(), "traced != eager:\n{}", failures.join("\n"));
}

/// Traces `f` with placeholders shaped like `inputs` and runs the graph on `inputs`.
fn traced(inputs: &[Tensor], f: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>) -> Result<Vec<Tensor>> {
    let specs: Vec<Spec> = inputs.iter().map(Spec::of).collect();
    let t = trace_graph(&specs, TraceOptions { root: true, allow_variable_creation: true }, f)?;
    exec::run(&t.graph, inputs, &t.variables)
}

fn same_bits(a: &Tensor, b: &Tensor) -> bool {
    a.dtype() == b.dtype()
        && a.shape() == b.shape()
        && a.to_f64_vec()
            .iter()
            .zip(b.to_f64_vec())
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn describe(ts: &[Tensor]) -> String {
    ts.iter().map(|t| format!("{}{:?}", t.dtype(), t.shape())).collect::<Vec<_>>().join(", ")
}

#[test]
fn differentiable_op_cases_trace_to_the_same_values() {
    let mut failures = Vec::new();
    for case in grad_cases() {
        let eager = match (case.f)(&case.inputs) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{}: eager call failed: {e}", case.op));
                continue;
            }
        };
        match traced(&case.inputs, |s| Ok(vec![(case.f)(s)?])) {
            Ok(out) if out.len() == 1 && same_bits(&out[0], &eager) => {}
            Ok(out) => failures.push(format!("{}: traced {} != eager {}", case.op, describe(&out), describe(&[eager]))),
            Err(e) => failures.push(format!("{}: traced call failed: {e}", case.op)),
        }
    }
    assert!(failures.is_empty(), "traced != eager:\n{}", failures.join("\n"));
}

#[test]
fn every_registered_op_traces_to_the_same_values() {
    let mut covered: HashSet<&str> = grad_cases().iter().map(|c| c.op).collect();
    covered.extend(explicit_cases().iter().map(|c| c.0));
    let attrs = hostile_attr_sets();
    let shapes = sweep_shapes();
    let mut failures = Vec::new();
    let mut seed = 1u64;
    for op in registry() {
        for arity in 0..=3usize {
            for si in 0..shapes.len() {
                for &dt in &DType::ALL {
                    let inputs: Vec<Tensor> = (0..arity)
                        .map(|k| {
                            seed += 1;
                            sweep_tensor(dt, &shapes[(si + k) % shapes.len()], seed)
                        })
                        .collect();
                    for a in &attrs {
                        let Ok(eager) = tensile::ops::io::capture_prints(|| execute(op, &inputs, a.clone())).0 else {
                            continue;
                        };
                        let run = tensile::ops::io::capture_prints(|| traced(&inputs, |s| execute(op, s, a.clone()))).0;
                        let ok = match &run {
                            Ok(out) if op.stateful => {
                                out.len() == eager.len()
                                    && out
                                        .iter()
                                        .zip(&eager)
                                        .all(|(x, y)| x.dtype() == y.dtype() && x.shape() == y.shape())
                            }
                            Ok(out) => out.len() == eager.len() && out.iter().zip(&eager).all(|(x, y)| same_bits(x, y)),
                            Err(_) => false,
                        };
                        if ok {
                            covered.insert(op.name);
                        } else if failures.len() < 20 {
                            let got = run.map(|o| describe(&o)).unwrap_or_else(|e| e.to_string());
                            failures.push(format!(
                                "{} inputs ({}) attrs {:?}: eager ({}) traced ({got})",
                                op.name,
                                describe(&inputs),
                                a,
                                describe(&eager)
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "traced != eager:\n{}", failures.join("\n"));
    let missing: Vec<&str> = registry().iter().map(|op| op.name).filter(|n| !covered.contains(n)).collect();
    assert!(missing.is_empty(), "ops no traced-vs-eager call exercised (add a case): {missing:?}");
}
