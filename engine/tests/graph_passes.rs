//! The graph optimizer end to end: the pass driver and its reports, the fused ops against the
//! ops they replace (bit for bit), serialization of optimized graphs, and a differential test
//! over random elementwise DAGs (optimized == unoptimized).

use proptest::prelude::*;
use tensile::attrs::{Attr, Attrs};
use tensile::graph::passes::{optimize, optimize_with, PassOptions};
use tensile::graph::{exec, serial, Graph, Output};
use tensile::kernels::fused::{BinaryFn, UnaryFn};
use tensile::ops::fused::FUSED_ELEMENTWISE;
use tensile::ops::{execute, lookup, math, Spec};
use tensile::{DType, Result, Tensor};

/// NaN payloads may legitimately differ (the compiler may commute `a + b`), every other value
/// must match bit for bit.
fn same_bits(a: &Tensor, b: &Tensor) -> bool {
    a.shape() == b.shape()
        && a.to_f64_vec()
            .iter()
            .zip(b.to_f64_vec())
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits())
}

fn chain_graph(n: usize) -> Result<Graph> {
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F32, &[n]));
    let two = g.add_const(Tensor::from(2.0f32));
    let one = g.add_const(Tensor::from(1.0f32));
    let one_again = g.add_const(Tensor::from(1.0f32));
    let a = g.add_op1(&math::MUL, &[x, two], Attrs::new())?;
    let b = g.add_op1(&math::ADD, &[a, one], Attrs::new())?;
    let t = g.add_op1(&math::TANH, &[b], Attrs::new())?;
    let s = g.add_op1(&math::SIGMOID, &[x], Attrs::new())?;
    let s1 = g.add_op1(&math::MUL, &[s, one_again], Attrs::new())?;
    let p = g.add_op1(&math::MUL, &[t, s1], Attrs::new())?;
    let y = g.add_op1(&math::SUB, &[p, x], Attrs::new())?;
    let _unused = g.add_op1(&math::EXP, &[y], Attrs::new())?;
    g.set_outputs(&[y])?;
    Ok(g)
}

#[test]
fn optimize_reduces_the_chain_to_one_fused_node() -> Result<()> {
    let g = chain_graph(3000)?;
    let (o, reports) = optimize(&g)?;
    assert_eq!(o.len(), 2, "{o}");
    assert_eq!(o.nodes()[1].kind.name(), "fused_elementwise");
    let text: Vec<String> = reports.iter().map(|r| r.to_string()).collect();
    assert_eq!(text[0], "simplify: 12 -> 10 nodes", "{text:?}");
    assert!(text.iter().any(|t| t.starts_with("fuse_elementwise: ")), "{text:?}");
    assert_eq!(reports.last().map(|r| r.nodes_after), Some(2));
    let x = Tensor::from_vec((0..3000).map(|i| (i as f32 - 1500.0) / 97.0).collect::<Vec<f32>>(), &[3000])?;
    let (want, got) = (exec::run(&g, std::slice::from_ref(&x), &[])?, exec::run(&o, std::slice::from_ref(&x), &[])?);
    assert!(same_bits(&want[0], &got[0]));
    // And against the formula through eager ops.
    let eager = math::sub(
        &math::mul(
            &math::tanh(&math::add(&math::mul(&x, &Tensor::from(2.0f32))?, &Tensor::from(1.0f32))?)?,
            &math::sigmoid(&x)?,
        )?,
        &x,
    )?;
    assert!(same_bits(&eager, &got[0]));
    // The dump shows the program.
    let dump = o.to_string();
    assert!(dump.contains("r1 = mul r0 2.0; r2 = add r1 1.0; r3 = tanh r2"), "{dump}");
    Ok(())
}

#[test]
fn passes_can_be_switched_off() -> Result<()> {
    let g = chain_graph(10)?;
    let (o, reports) = optimize_with(&g, &PassOptions::none())?;
    assert_eq!(o, g);
    assert!(reports.is_empty());
    let only_prune = PassOptions { prune: true, ..PassOptions::none() };
    let (o, reports) = optimize_with(&g, &only_prune)?;
    assert_eq!(o.len(), g.len() - 1);
    assert_eq!(reports[0].to_string(), "prune: 12 -> 11 nodes");
    Ok(())
}

#[test]
fn optimized_graphs_round_trip_through_json() -> Result<()> {
    let (o, _) = optimize(&chain_graph(64)?)?;
    let back = serial::from_json(&serial::to_json(&o)?)?;
    assert_eq!(back, o);
    let x = Tensor::from_vec((0..64).map(|i| i as f32 * 0.1 - 3.0).collect::<Vec<f32>>(), &[64])?;
    assert!(same_bits(&exec::run(&back, std::slice::from_ref(&x), &[])?[0], &exec::run(&o, &[x], &[])?[0]));
    Ok(())
}

fn special_values(n: usize) -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        6.0,
        7.5,
        -7.5,
        20.0,
        -20.0,
        100.0,
        -100.0,
        1e-30,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        2.5,
        -2.5,
    ];
    v.extend((0..n).map(|i| ((i as f64) * 0.618).sin() * (i % 7) as f64 * 3.0));
    v
}

#[test]
fn every_fused_function_matches_its_op_bit_for_bit() -> Result<()> {
    for dtype in [DType::F32, DType::F64] {
        let vals = special_values(3000);
        let n = vals.len();
        let x = math::cast(&Tensor::from_vec(vals.clone(), &[n])?, dtype)?;
        let y = math::cast(
            &Tensor::from_vec(vals.iter().rev().map(|v| v * 0.7 + 0.3).collect::<Vec<f64>>(), &[n])?,
            dtype,
        )?;
        for &f in UnaryFn::ALL {
            let op = lookup(f.name()).expect("registered");
            let want = execute(op, std::slice::from_ref(&x), Attrs::new())?;
            let prog = Attrs::new().with("program", Attr::Str(format!("r1 = {} r0; return r1", f.name())));
            let got = execute(&FUSED_ELEMENTWISE, std::slice::from_ref(&x), prog)?;
            assert!(same_bits(&want[0], &got[0]), "{} on {dtype}", f.name());
        }
        for &f in BinaryFn::ALL {
            let op = lookup(f.name()).expect("registered");
            let want = execute(op, &[x.clone(), y.clone()], Attrs::new())?;
            let prog = Attrs::new().with("program", Attr::Str(format!("r2 = {} r0 r1; return r2", f.name())));
            let got = execute(&FUSED_ELEMENTWISE, &[x.clone(), y.clone()], prog)?;
            assert!(same_bits(&want[0], &got[0]), "{} on {dtype}", f.name());
            // With a scalar operand on either side.
            let s = math::cast(&Tensor::from(1.75f64), dtype)?;
            let want = execute(op, &[s.clone(), y.clone()], Attrs::new())?;
            let got = execute(
                &FUSED_ELEMENTWISE,
                &[s, y.clone()],
                Attrs::new().with("program", Attr::Str(format!("r2 = {} r0 r1; return r2", f.name()))),
            )?;
            assert!(same_bits(&want[0], &got[0]), "{} (scalar lhs) on {dtype}", f.name());
        }
    }
    Ok(())
}

#[test]
fn fused_ops_reject_bad_inputs_with_named_errors() {
    let prog = |p: &str| Attrs::new().with("program", Attr::Str(p.to_string()));
    let x = Tensor::from([1.0f32, 2.0]);
    let cases: Vec<(Vec<Tensor>, Attrs)> = vec![
        (vec![x.clone()], Attrs::new()),
        (vec![x.clone()], prog("r1 = exp r2; return r1")),
        (vec![], prog("return r0")),
        (vec![x.clone(), Tensor::from([1.0f32, 2.0, 3.0])], prog("r2 = add r0 r1; return r2")),
        (vec![x.clone(), Tensor::from([1.0f64, 2.0])], prog("r2 = add r0 r1; return r2")),
        (vec![Tensor::from([1i32, 2])], prog("r1 = neg r0; return r1")),
    ];
    for (inputs, attrs) in cases {
        let err = execute(&FUSED_ELEMENTWISE, &inputs, attrs).unwrap_err();
        assert!(err.to_string().contains("fused_elementwise"), "{err}");
    }
}

/// One random elementwise DAG: node `k` applies `op` to earlier values (or scalar constants).
#[derive(Clone, Debug)]
struct Step {
    op: usize,
    a: usize,
    b: usize,
    konst: Option<f32>,
}

const DAG_OPS: &[&str] = &[
    "add",
    "sub",
    "mul",
    "div",
    "maximum",
    "minimum",
    "squared_difference",
    "neg",
    "abs",
    "exp",
    "tanh",
    "sigmoid",
    "relu",
    "square",
    "sqrt",
    "log",
    "softplus",
    "elu",
    "silu",
    "sin",
    "reduce",
    "identity",
];

fn build_dag(n: usize, inputs: usize, steps: &[Step], outs: &[usize]) -> Result<Graph> {
    let mut g = Graph::new();
    let mut vals: Vec<Output> = (0..inputs).map(|_| g.add_placeholder(Spec::new(DType::F32, &[n]))).collect();
    for s in steps {
        let name = DAG_OPS[s.op % DAG_OPS.len()];
        let a = vals[s.a % vals.len()];
        let b = match s.konst {
            Some(c) => g.add_const(Tensor::from(c)),
            None => vals[s.b % vals.len()],
        };
        let v = match name {
            // A non-fusible consumer in the middle, broadcast back: exercises group boundaries.
            "reduce" => {
                let r = g.add_op1(
                    &tensile::ops::reduce::REDUCE_MAX,
                    &[a],
                    Attrs::new().with("axis", Attr::OptInts(None)).with("keepdims", Attr::Bool(false)),
                )?;
                g.add_op1(&math::SUB, &[a, r], Attrs::new())?
            }
            "identity" => g.add_op1(&tensile::ops::array::IDENTITY, &[a], Attrs::new())?,
            _ => {
                let op = lookup(name).expect("registered");
                if BinaryFn::from_name(name).is_some() {
                    g.add_op1(op, &[a, b], Attrs::new())?
                } else {
                    g.add_op1(op, &[a], Attrs::new())?
                }
            }
        };
        vals.push(v);
    }
    let outputs: Vec<Output> = outs.iter().map(|&o| vals[o % vals.len()]).collect();
    g.set_outputs(&outputs)?;
    Ok(g)
}

fn step() -> impl Strategy<Value = Step> {
    (
        0..DAG_OPS.len(),
        0usize..64,
        0usize..64,
        prop::option::weighted(0.3, prop_oneof![Just(1.0f32), Just(0.0), Just(-0.0), -4.0f32..4.0]),
    )
        .prop_map(|(op, a, b, konst)| Step { op, a, b, konst })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn optimized_random_dags_compute_the_same_values(
        n in prop_oneof![Just(1usize), Just(7), Just(1500), Just(40_000)],
        inputs in 1usize..4,
        steps in prop::collection::vec(step(), 1..14),
        outs in prop::collection::vec(0usize..64, 1..4),
        seed in 0u64..1000,
    ) {
        let g = build_dag(n, inputs, &steps, &outs).expect("valid DAG");
        let (o, _) = optimize(&g).expect("optimizes");
        let feeds: Vec<Tensor> = (0..inputs as u64)
            .map(|k| {
                let v = tensile::testing::test_values(n, seed * 7 + k, -3.0, 3.0);
                Tensor::from_vec(v.into_iter().map(|x| x as f32).collect::<Vec<f32>>(), &[n]).expect("shape")
            })
            .collect();
        let want = exec::run(&g, &feeds, &[]).expect("runs");
        let got = exec::run(&o, &feeds, &[]).expect("optimized runs");
        prop_assert_eq!(want.len(), got.len());
        for (w, h) in want.iter().zip(&got) {
            prop_assert!(same_bits(w, h), "graph:\n{}\noptimized:\n{}", g, o);
        }
    }
}
