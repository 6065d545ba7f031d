//! Benchmark figures as JSON lines: `cargo run --release -p tensile --example bench`.
//!
//! Each line is `{"name": ..., "value": ..., "unit": ...}`; values are medians of repeated
//! runs after warm-up. Pass figure names as arguments to run only those.
//!
//! `TENSILE_PARALLEL_GRAPH=1` lets traced graphs run independent heavy nodes concurrently;
//! `TENSILE_REUSE_BUFFERS=0` turns off in-place reuse in traced graphs. The figure
//! `mlp_profile` (only when named) prints where a traced MLP step spends its time, per node.

use std::time::Instant;
use tensile::function::{Arg, Function, FunctionOptions};
use tensile::ops::{linalg, math, reduce};
use tensile::prelude::*;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Median seconds per call of `f` over `reps` samples of `inner` calls each, after warm-up.
fn time(reps: usize, inner: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..inner.max(1) {
        f();
    }
    let samples = (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..inner {
                f();
            }
            t.elapsed().as_secs_f64() / inner as f64
        })
        .collect();
    median(samples)
}

fn emit(name: &str, value: f64, unit: &str) {
    println!("{{\"name\": \"{name}\", \"value\": {value:.4}, \"unit\": \"{unit}\"}}");
}

fn randn(shape: &[usize], seed: u64) -> Tensor {
    let v = tensile::testing::test_values(shape.iter().product(), seed, -1.0, 1.0);
    Tensor::from_vec(v.into_iter().map(|x| x as f32).collect::<Vec<f32>>(), shape).expect("shape matches")
}

fn chain(x: &Tensor) -> Result<Tensor> {
    let a = math::tanh(&((x * 2.0)? + 1.0)?)?;
    let b = math::sigmoid(x)?;
    &(&a * &b)? - x
}

fn main() -> Result<()> {
    let only: Vec<String> = std::env::args().skip(1).collect();
    if std::env::var("TENSILE_PARALLEL_GRAPH").is_ok_and(|v| v == "1") {
        tensile::graph::exec::set_parallel_default(true);
    }
    if std::env::var("TENSILE_REUSE_BUFFERS").is_ok_and(|v| v == "0") {
        tensile::graph::exec::set_reuse_default(false);
    }
    let want = |name: &str| only.is_empty() || only.iter().any(|o| name.starts_with(o.as_str()));

    if want("eager_add_us") {
        let (a, b) = (Tensor::from(1.5f32), Tensor::from(2.5f32));
        let s = time(15, 20_000, || {
            std::hint::black_box(math::add(&a, &b).expect("add"));
        });
        emit("eager_add_us", s * 1e6, "us");
    }
    if want("eager_matmul4_us") {
        let (a, b) = (randn(&[4, 4], 1), randn(&[4, 4], 2));
        let s = time(15, 20_000, || {
            std::hint::black_box(linalg::matmul(&a, &b).expect("matmul"));
        });
        emit("eager_matmul4_us", s * 1e6, "us");
    }
    for n in [256usize, 1024, 2048] {
        let name = format!("matmul_{n}_gflops");
        if !want(&name) {
            continue;
        }
        let (a, b) = (randn(&[n, n], 3), randn(&[n, n], 4));
        let reps = if n >= 2048 { 7 } else { 11 };
        let inner = (256 * 256 * 256 * 64 / (n * n * n)).max(1);
        let s = time(reps, inner, || {
            std::hint::black_box(linalg::matmul(&a, &b).expect("matmul"));
        });
        emit(&name, 2.0 * (n * n * n) as f64 / s / 1e9, "GFLOP/s");
    }
    for (name, n) in [("chain_1m_eager_ms", 1usize << 20), ("chain_16m_eager_ms", 1 << 24)] {
        if !want(name) {
            continue;
        }
        let x = randn(&[n], 5);
        let s = time(if n > 1 << 20 { 9 } else { 21 }, 1, || {
            std::hint::black_box(chain(&x).expect("chain"));
        });
        emit(name, s * 1e3, "ms");
    }
    for (name, n) in [("chain_1m_traced_ms", 1usize << 20), ("chain_16m_traced_ms", 1 << 24)] {
        if !want(name) {
            continue;
        }
        let f = Function::new("chain", FunctionOptions::default(), |args| Ok(Arg::Tensor(chain(args[0].tensor()?)?)));
        let x = randn(&[n], 5);
        let s = time(if n > 1 << 20 { 9 } else { 21 }, 1, || {
            std::hint::black_box(f.call(&[(&x).into()]).expect("chain"));
        });
        emit(name, s * 1e3, "ms");
    }
    if want("tape_1000_ms") {
        let x = Tensor::from(0.5f32);
        let s = time(15, 3, || {
            let tape = GradientTape::new();
            let z = tape
                .scope(|t| -> Result<Tensor> {
                    t.watch(&x);
                    let mut z = x.clone();
                    for _ in 0..500 {
                        z = (&z * 1.001)?;
                        z = (&z + 0.001)?;
                    }
                    reduce::reduce_sum(&z, None, false)
                })
                .and_then(|r| r)
                .expect("forward");
            std::hint::black_box(tape.gradient(&z, &[&x]).expect("gradient"));
        });
        emit("tape_1000_ms", s * 1e3, "ms");
    }
    if want("tensor_array_write_10k_traced_ms") {
        tensor_array_figure()?;
    }
    if std::env::args().any(|a| a == "mlp_matmuls") {
        mlp_matmul_figures();
    }
    if ["mlp_step_eager_eps", "mlp_trace_ms", "mlp_step_traced_eps", "mlp_grad_outer_tape_eps", "mlp_profile"]
        .iter()
        .any(|n| want(n))
    {
        mlp_figures(&want)?;
    }
    if want("summary_scalars_per_s") || want("summary_bytes_per_scalar") {
        summary_figures()?;
    }
    Ok(())
}

/// A traced `while_loop` writing one 16-element row per iteration into a 10,000-row
/// `TensorArray` (the `ta = ta.write(i, x)` idiom), then stacking it: milliseconds per call.
fn tensor_array_figure() -> Result<()> {
    const ROWS: usize = 10_000;
    let f = Function::of_tensors("ta_writes", FunctionOptions::default(), |a| {
        let (n, x) = (&a[0], &a[1]);
        let ta = TensorArray::new(DType::F32, ROWS, false).with_element_shape(&[Some(16)]);
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| math::less(i, n),
            |(i, ta): &(Tensor, TensorArray)| Ok(((i + 1)?, ta.write(i, &(x * &math::cast(i, DType::F32)?)?)?)),
            (Tensor::from(0), ta),
            WhileOptions::default(),
        )?;
        Ok(vec![ta.stack()?])
    });
    let (n, x) = (Tensor::from(ROWS as i32), randn(&[16], 6));
    let s = time(5, 1, || {
        std::hint::black_box(f.call_tensors(&[&n, &x]).expect("writes"));
    });
    emit("tensor_array_write_10k_traced_ms", s * 1e3, "ms");
    Ok(())
}

/// 100,000 eager `scalar` writes (a fresh value and step tensor each) into a temp dir, then a
/// flush: writes per second and event-file bytes per scalar (median of 5 runs).
fn summary_figures() -> Result<()> {
    use tensile::summary::{self, WriterOptions};
    const N: usize = 100_000;
    let root = std::env::temp_dir().join(format!("tensile_bench_summary_{}", std::process::id()));
    let mut rates = Vec::new();
    let mut bytes = 0.0;
    for run in 0..5 {
        let w = summary::create_file_writer(root.join(run.to_string()), WriterOptions::default())?;
        let path = w.path().expect("file writer");
        let header = std::fs::metadata(&path).map_or(0, |m| m.len());
        let t = Instant::now();
        {
            let _g = w.as_default(None);
            for i in 0..N {
                let loss = Tensor::from(1.0f32 / (1.0 + i as f32));
                summary::scalar("loss", &loss, Some(&Tensor::from(i as i64)), None)?;
            }
            w.flush()?;
        }
        rates.push(N as f64 / t.elapsed().as_secs_f64());
        bytes = (std::fs::metadata(&path).map_or(0, |m| m.len()) - header) as f64 / N as f64;
        w.close()?;
    }
    let _ = std::fs::remove_dir_all(&root);
    emit("summary_scalars_per_s", median(rates), "scalars/s");
    emit("summary_bytes_per_scalar", bytes, "bytes");
    Ok(())
}

/// The MLP 784-512-512-10 with Adam, written with raw ops and variables.
struct Mlp {
    params: Vec<Variable>,
    m: Vec<Variable>,
    v: Vec<Variable>,
    step: Variable,
}

const BATCH: usize = 128;

impl Mlp {
    fn new() -> Mlp {
        let dims = [784usize, 512, 512, 10];
        let mut params = Vec::new();
        for (i, w) in dims.windows(2).enumerate() {
            let scale = (2.0 / w[0] as f64).sqrt();
            let k = (&randn(&[w[0], w[1]], 10 + i as u64) * scale).expect("scale");
            params.push(Variable::new(k, &format!("dense_{i}/kernel")));
            params.push(Variable::new(
                Tensor::from_vec(vec![0.0f32; w[1]], &[w[1]]).expect("bias"),
                &format!("dense_{i}/bias"),
            ));
        }
        let zeros = |p: &Variable, tag: &str| {
            Variable::with_trainable(
                Tensor::from_vec(vec![0.0f32; p.peek().size()], p.shape()).expect("zeros"),
                tag,
                false,
            )
        };
        let m = params.iter().map(|p| zeros(p, "m")).collect();
        let v = params.iter().map(|p| zeros(p, "v")).collect();
        Mlp { params, m, v, step: Variable::with_trainable(Tensor::from(0.0f32), "step", false) }
    }

    /// The mean sparse softmax cross-entropy of the network on `x` against `y`.
    fn loss(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, pair) in self.params.chunks(2).enumerate() {
            h = bias_add(&linalg::matmul(&h, &pair[0].read_value())?, &pair[1].read_value())?;
            if i < 2 {
                h = math::relu(&h)?;
            }
        }
        reduce::reduce_mean(&sparse_softmax_cross_entropy_with_logits(y, &h)?, None, false)
    }

    /// One train step: forward, tape gradient, Adam update (lr 1e-3). Returns the loss.
    fn train_step(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let tape = GradientTape::new();
        let loss = tape.scope(|_| self.loss(x, y))??;
        let sources: Vec<&dyn tensile::Watchable> = self.params.iter().map(|p| p as &dyn tensile::Watchable).collect();
        let grads = tape.gradient(&loss, &sources)?;
        let (lr, b1, b2, eps) = (1e-3, 0.9, 0.999, 1e-7);
        self.step.assign_add(&Tensor::from(1.0f32))?;
        let t = self.step.read_value();
        // lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), as Keras' Adam computes it.
        let one = Tensor::from(1.0f32);
        let c1 = (&one - &math::pow(&Tensor::from(b1 as f32), &t)?)?;
        let c2 = (&one - &math::pow(&Tensor::from(b2 as f32), &t)?)?;
        let lr_t = ((&math::sqrt(&c2)? * lr)? / &c1)?;
        for (((p, g), m), v) in self.params.iter().zip(grads).zip(&self.m).zip(&self.v) {
            let g = g.expect("every parameter gets a gradient");
            m.assign_add(&((&g - &m.read_value())? * (1.0 - b1))?)?;
            v.assign_add(&((&math::square(&g)? - &v.read_value())? * (1.0 - b2))?)?;
            let update = (&(&m.read_value() * &lr_t)? / &(&math::sqrt(&v.read_value())? + eps)?)?;
            p.assign_sub(&update)?;
        }
        Ok(loss)
    }
}

fn mlp_data() -> (Tensor, Tensor) {
    let x = randn(&[BATCH, 784], 99);
    let labels: Vec<i32> = (0..BATCH).map(|i| ((i * 7 + 3) % 10) as i32).collect();
    (x, Tensor::from_vec(labels, &[BATCH]).expect("labels"))
}

fn mlp_figures(want: &dyn Fn(&str) -> bool) -> Result<()> {
    let (x, y) = mlp_data();
    if want("mlp_step_eager_eps") {
        let net = Mlp::new();
        let s = time(9, 3, || {
            std::hint::black_box(net.train_step(&x, &y).expect("eager step"));
        });
        emit("mlp_step_eager_eps", BATCH as f64 / s, "examples/s");
    }
    let traced = || {
        let net = std::rc::Rc::new(Mlp::new());
        let n = net.clone();
        let f = Function::new("train_step", FunctionOptions::default(), move |args| {
            Ok(Arg::Tensor(n.train_step(args[0].tensor()?, args[1].tensor()?)?))
        });
        (net, f)
    };
    if want("mlp_trace_ms") {
        let samples: Vec<f64> = (0..5)
            .map(|_| {
                let (_net, f) = traced();
                let t = Instant::now();
                std::hint::black_box(f.call(&[(&x).into(), (&y).into()]).expect("first call"));
                t.elapsed().as_secs_f64()
            })
            .collect();
        emit("mlp_trace_ms", median(samples) * 1e3, "ms");
    }
    if std::env::args().any(|a| a == "mlp_profile") {
        let (_net, f) = traced();
        f.call(&[(&x).into(), (&y).into()])?;
        let cf = f.concrete_functions().into_iter().next().expect("traced once");
        let feeds = [x.clone(), y.clone()];
        let mut per_node: std::collections::HashMap<usize, (String, String, f64)> = Default::default();
        let reps = 60;
        let mut total = 0.0;
        for _ in 0..reps {
            let start = Instant::now();
            let mut last = Instant::now();
            tensile::graph::exec::run_with(
                cf.graph(),
                &feeds,
                cf.variables(),
                tensile::graph::exec::RunOptions::default(),
                &mut |n, outs| {
                    let now = Instant::now();
                    let shapes: Vec<String> = outs.iter().map(|t| format!("{:?}", t.shape())).collect();
                    let e = per_node.entry(n.id).or_insert((n.kind.name().to_string(), shapes.join(","), 0.0));
                    e.2 += (now - last).as_secs_f64();
                    last = now;
                },
            )?;
            total += start.elapsed().as_secs_f64();
        }
        let mut rows: Vec<(usize, (String, String, f64))> = per_node.into_iter().collect();
        rows.sort_by(|a, b| b.1 .2.total_cmp(&a.1 .2));
        let mut by_op: std::collections::BTreeMap<String, f64> = Default::default();
        for (_, (name, _, t)) in &rows {
            *by_op.entry(name.clone()).or_default() += t;
        }
        println!(
            "{{\"profile\": \"mlp_step\", \"step_ms\": {:.4}, \"nodes\": {}}}",
            total / reps as f64 * 1e3,
            rows.len()
        );
        for (name, t) in by_op {
            println!("{{\"op\": \"{name}\", \"ms\": {:.4}}}", t / reps as f64 * 1e3);
        }
        for (id, (name, shapes, t)) in rows.iter().take(25) {
            println!(
                "{{\"node\": {id}, \"op\": \"{name}\", \"out\": \"{shapes}\", \"ms\": {:.4}}}",
                t / reps as f64 * 1e3
            );
        }
    }
    if want("mlp_grad_outer_tape_eps") {
        // The forward pass traced, differentiated by a tape outside the call.
        let net = std::rc::Rc::new(Mlp::new());
        let n = net.clone();
        let forward = Function::new("loss", FunctionOptions::default(), move |args| {
            Ok(Arg::Tensor(n.loss(args[0].tensor()?, args[1].tensor()?)?))
        });
        let sources: Vec<&dyn tensile::Watchable> = net.params.iter().map(|p| p as &dyn tensile::Watchable).collect();
        let s = time(9, 3, || {
            let tape = GradientTape::new();
            let loss = tape.scope(|_| forward.call(&[(&x).into(), (&y).into()])).expect("scope").expect("call");
            std::hint::black_box(tape.gradient(loss.tensor().expect("loss"), &sources).expect("gradient"));
        });
        emit("mlp_grad_outer_tape_eps", BATCH as f64 / s, "examples/s");
    }
    if want("mlp_step_traced_eps") {
        let (_net, f) = traced();
        let s = time(9, 3, || {
            std::hint::black_box(f.call(&[(&x).into(), (&y).into()]).expect("traced step"));
        });
        emit("mlp_step_traced_eps", BATCH as f64 / s, "examples/s");
    }
    Ok(())
}

/// GFLOP/s of each product in the MLP's train step, with its transpose flags (a diagnostic).
fn mlp_matmul_figures() {
    let cases = [
        ("x.W1", [128, 784], [784, 512], false, false),
        ("h1.W2", [128, 512], [512, 512], false, false),
        ("h2.W3", [128, 512], [512, 10], false, false),
        ("xT.g1", [128, 784], [128, 512], true, false),
        ("h1T.g2", [128, 512], [128, 512], true, false),
        ("g2.W2T", [128, 512], [512, 512], false, true),
        ("g3.W3T", [128, 10], [512, 10], false, true),
    ];
    for (i, (name, sa, sb, ta, tb)) in cases.into_iter().enumerate() {
        let (a, b) = (randn(&sa, 40 + i as u64), randn(&sb, 50 + i as u64));
        let (m, k) = if ta { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
        let n = if tb { sb[0] } else { sb[1] };
        let s = time(11, 20, || {
            std::hint::black_box(linalg::matmul_t(&a, &b, ta, tb).expect("matmul"));
        });
        println!(
            "{{\"product\": \"{name}\", \"m\": {m}, \"n\": {n}, \"k\": {k}, \"us\": {:.1}, \"gflops\": {:.1}}}",
            s * 1e6,
            2.0 * (m * n * k) as f64 / s / 1e9
        );
    }
}
