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

/// `inputs` float32 vectors of length `n` with values in [-3, 3), from `seed`.
fn random_feeds(n: usize, inputs: usize, seed: u64) -> Vec<Tensor> {
    (0..inputs as u64)
        .map(|k| {
            let v = tensile::testing::test_values(n, seed + k, -3.0, 3.0);
            Tensor::from_vec(v.into_iter().map(|x| x as f32).collect::<Vec<f32>>(), &[n]).expect("shape")
        })
        .collect()
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
        let feeds = random_feeds(n, inputs, seed * 7);
        let want = exec::run(&g, &feeds, &[]).expect("runs");
        let got = exec::run(&o, &feeds, &[]).expect("optimized runs");
        prop_assert_eq!(want.len(), got.len());
        for (w, h) in want.iter().zip(&got) {
            prop_assert!(same_bits(w, h), "graph:\n{}\noptimized:\n{}", g, o);
        }
    }
}

// ---- Executor: in-place buffer reuse and concurrent branches.

use tensile::graph::exec::{run_with, RunOptions, RunStats};
use tensile::ops::linalg::MATMUL;
use tensile::Storage;

const REUSE: RunOptions = RunOptions { reuse_buffers: true, parallel: false };
const ALLOCATE: RunOptions = RunOptions { reuse_buffers: false, parallel: false };

fn run_opts(g: &Graph, feeds: &[Tensor], opts: RunOptions) -> Result<(Vec<Tensor>, RunStats)> {
    run_with(g, feeds, &[], opts, &mut |_, _| {})
}

fn data_ptr(t: &Tensor) -> usize {
    match t.storage() {
        Storage::F32(v) => v.as_ptr() as usize,
        Storage::F64(v) => v.as_ptr() as usize,
        Storage::I32(v) => v.as_ptr() as usize,
        Storage::I64(v) => v.as_ptr() as usize,
        Storage::Bool(v) => v.as_ptr() as usize,
    }
}

fn ramp(shape: &[usize], scale: f32) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| ((i as f32) * 0.731).sin() * scale).collect::<Vec<f32>>(), shape)
}

/// x -> exp -> mul 2 -> tanh -> add row -> sub x: every op after `exp` can take over its input.
fn reuse_chain() -> Result<(Graph, Vec<Output>)> {
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F32, &[40, 25]));
    let row = g.add_placeholder(Spec::new(DType::F32, &[25]));
    let two = g.add_const(Tensor::from(2.0f32));
    let e = g.add_op1(&math::EXP, &[x], Attrs::new())?;
    let m = g.add_op1(&math::MUL, &[two, e], Attrs::new())?;
    let t = g.add_op1(&math::TANH, &[m], Attrs::new())?;
    let r = g.add_op1(&math::ADD, &[t, row], Attrs::new())?;
    let y = g.add_op1(&math::SUB, &[x, r], Attrs::new())?;
    g.set_outputs(&[y])?;
    Ok((g, vec![e, m, t, r, y]))
}

#[test]
fn elementwise_ops_write_into_dying_intermediates() -> Result<()> {
    let (g, vals) = reuse_chain()?;
    let feeds = [ramp(&[40, 25], 2.0)?, ramp(&[25], 0.5)?];
    let mut ptrs = std::collections::HashMap::new();
    let (got, stats) = run_with(&g, &feeds, &[], REUSE, &mut |n, outs| {
        if let Some(t) = outs.first() {
            ptrs.insert(n.id, data_ptr(t));
        }
    })?;
    // mul (scalar first), tanh, add (row broadcast) and sub (second operand) all reused.
    assert_eq!(stats.reused_buffers, 4, "{stats:?}");
    let chain: Vec<usize> = vals.iter().map(|o| ptrs[&o.node]).collect();
    assert!(chain.iter().all(|&p| p == chain[0]), "one buffer should carry the whole chain: {chain:?}");
    let mut ptrs_off = std::collections::HashMap::new();
    let (want, off) = run_with(&g, &feeds, &[], ALLOCATE, &mut |n, outs| {
        if let Some(t) = outs.first() {
            ptrs_off.insert(n.id, data_ptr(t));
        }
    })?;
    assert_eq!(off.reused_buffers, 0);
    assert_ne!(ptrs_off[&vals[0].node], ptrs_off[&vals[1].node]);
    assert!(same_bits(&got[0], &want[0]));
    // Eager execution never reuses: the same ops eagerly give the same bits.
    let eager = math::sub(
        &feeds[0],
        &math::add(&math::tanh(&math::mul(&Tensor::from(2.0f32), &math::exp(&feeds[0])?)?)?, &feeds[1])?,
    )?;
    assert!(same_bits(&eager, &got[0]));
    Ok(())
}

#[test]
fn outputs_feeds_shared_and_observed_values_are_never_overwritten() -> Result<()> {
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F32, &[64, 64]));
    let a = g.add_op1(&math::EXP, &[x], Attrs::new())?; // reads the feed
    let b = g.add_op1(&math::TANH, &[a], Attrs::new())?; // `a` is a graph output
    let c = g.add_op1(&math::NEG, &[b], Attrs::new())?; // `b` is read again later
    let d = g.add_op1(&math::ADD, &[c, c], Attrs::new())?; // `c` twice in one node
    let v = g.add_op1(&tensile::ops::array::IDENTITY, &[d], Attrs::new())?; // a view of `d`...
    let e = g.add_op1(&math::SQRT, &[b], Attrs::new())?;
    let f = g.add_op1(&math::MUL, &[d, e], Attrs::new())?; // ...so `d` is shared when it dies here
    let h = g.add_op1(&math::SIGMOID, &[f], Attrs::new())?; // `f` is observed (cloned) below
    g.set_outputs(&[a, v, h])?;
    let feed = ramp(&[64, 64], 1.5)?;
    let before = feed.to_vec::<f32>()?;
    let mut seen: Vec<(usize, Tensor, Vec<f32>)> = Vec::new();
    let (got, stats) = run_with(&g, std::slice::from_ref(&feed), &[], REUSE, &mut |n, outs| {
        if n.id == f.node {
            seen.push((n.id, outs[0].clone(), outs[0].to_vec::<f32>().expect("f32")));
        }
    })?;
    let (want, _) = run_opts(&g, std::slice::from_ref(&feed), ALLOCATE)?;
    assert_eq!(feed.to_vec::<f32>()?, before, "the feed was overwritten");
    for (w, h) in want.iter().zip(&got) {
        assert!(same_bits(w, h));
    }
    assert!(same_bits(&got[0], &math::exp(&feed)?), "graph output `a` was overwritten");
    let (_, kept, values) = &seen[0];
    assert_eq!(&kept.to_vec::<f32>()?, values, "a value the observer holds was overwritten");
    // Only `sqrt` (taking `b`, which dies there) and `mul` (taking `e`; `d` is shared with the
    // output `v`) write in place; `sigmoid` may not take `f`, which the observer holds.
    assert_eq!(stats.reused_buffers, 2, "{stats:?}");
    Ok(())
}

#[test]
fn fused_programs_reuse_the_buffer_of_a_dying_input() -> Result<()> {
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F32, &[64, 96]));
    let w = g.add_placeholder(Spec::new(DType::F32, &[96, 80]));
    let m = g.add_op1(&MATMUL, &[x, w], Attrs::new())?;
    let two = g.add_const(Tensor::from(2.0f32));
    let a = g.add_op1(&math::MUL, &[m, two], Attrs::new())?;
    let t = g.add_op1(&math::TANH, &[a], Attrs::new())?;
    let s = g.add_op1(&math::SIGMOID, &[m], Attrs::new())?;
    let y = g.add_op1(&math::MUL, &[t, s], Attrs::new())?;
    g.set_outputs(&[y])?;
    let (o, _) = optimize(&g)?;
    assert!(o.nodes().iter().any(|n| n.kind.name() == "fused_elementwise"), "{o}");
    let feeds = [ramp(&[64, 96], 0.3)?, ramp(&[96, 80], 0.2)?];
    let (got, stats) = run_opts(&o, &feeds, REUSE)?;
    let (want, _) = run_opts(&g, &feeds, ALLOCATE)?;
    assert_eq!(stats.reused_buffers, 1, "the fused node should take over the matmul output\n{o}");
    assert!(same_bits(&got[0], &want[0]));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn reuse_gives_the_bits_of_allocating_execution(
        n in prop_oneof![Just(1usize), Just(7), Just(1500), Just(40_000)],
        inputs in 1usize..4,
        steps in prop::collection::vec(step(), 1..14),
        outs in prop::collection::vec(0usize..64, 1..4),
        seed in 0u64..1000,
    ) {
        let g = build_dag(n, inputs, &steps, &outs).expect("valid DAG");
        let (o, _) = optimize(&g).expect("optimizes");
        let feeds = random_feeds(n, inputs, seed * 13);
        let copies: Vec<Vec<f32>> = feeds.iter().map(|t| t.to_vec::<f32>().expect("f32")).collect();
        for graph in [&g, &o] {
            let (want, off) = run_opts(graph, &feeds, ALLOCATE).expect("runs");
            let (got, _) = run_opts(graph, &feeds, REUSE).expect("runs with reuse");
            prop_assert_eq!(off.reused_buffers, 0);
            prop_assert_eq!(want.len(), got.len());
            for (w, h) in want.iter().zip(&got) {
                prop_assert!(same_bits(w, h), "graph:\n{}", graph);
            }
        }
        for (t, c) in feeds.iter().zip(&copies) {
            prop_assert_eq!(&t.to_vec::<f32>().expect("f32"), c);
        }
    }
}

#[test]
fn independent_heavy_nodes_run_concurrently_with_the_same_bits() -> Result<()> {
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F32, &[256, 128]));
    let w1 = g.add_placeholder(Spec::new(DType::F32, &[128, 256]));
    let w2 = g.add_placeholder(Spec::new(DType::F32, &[128, 256]));
    let a = g.add_op1(&MATMUL, &[x, w1], Attrs::new())?;
    let ra = g.add_op1(&math::RELU, &[a], Attrs::new())?;
    let b = g.add_op1(&MATMUL, &[x, w2], Attrs::new())?;
    let small = g.add_op1(&math::EXP, &[w1], Attrs::new())?; // light: never grouped
    let y = g.add_op1(&math::ADD, &[ra, b], Attrs::new())?;
    g.set_outputs(&[y, small])?;
    let plan = exec::Plan::new(&g)?;
    let groups = plan.parallel_groups();
    let order = plan.order();
    let grouped: Vec<Vec<usize>> = groups.iter().map(|gr| gr.iter().map(|&s| order[s]).collect()).collect();
    assert!(grouped.contains(&vec![a.node, b.node]), "{grouped:?}");
    let feeds = [ramp(&[256, 128], 0.1)?, ramp(&[128, 256], 0.2)?, ramp(&[128, 256], 0.3)?];
    let (want, seq) = run_opts(&g, &feeds, ALLOCATE)?;
    let (got, par) = run_opts(&g, &feeds, RunOptions { reuse_buffers: true, parallel: true })?;
    assert_eq!(seq.parallel_nodes, 0);
    assert_eq!(par.parallel_nodes, 2, "{par:?}");
    for (w, h) in want.iter().zip(&got) {
        assert!(same_bits(w, h));
    }
    // A recording tape keeps the run on this thread, in order, without reuse.
    let tape = tensile::GradientTape::new();
    let (taped, stats) = tape.scope(|t| {
        t.watch(&feeds[0]);
        run_opts(&g, &feeds, RunOptions { reuse_buffers: true, parallel: true })
    })??;
    assert_eq!(stats, RunStats::default());
    assert!(same_bits(&taped[0], &want[0]));
    let grad = tape.gradient(&taped[0], &[&feeds[0] as &dyn tensile::Watchable])?;
    assert!(grad[0].is_some());
    Ok(())
}
