//! Benchmark figures as JSON lines: `cargo run --release -p tensile --example bench`.
//!
//! Each line is `{"name": ..., "value": ..., "unit": ...}`; values are medians of repeated
//! runs after warm-up. Pass figure names as arguments to run only those.

use std::time::Instant;
use tensile::attrs::Attrs;
use tensile::graph;
use tensile::ops::{linalg, math, reduce, Spec};
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

/// The graph `tf.function` traces for [`chain`] on a float32 vector of `n` elements.
fn chain_graph(n: usize) -> Result<graph::Graph> {
    let mut g = graph::Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F32, &[n]));
    let two = g.add_const(Tensor::from(2.0f32));
    let one = g.add_const(Tensor::from(1.0f32));
    let a = g.add_op1(&math::MUL, &[x, two], Attrs::new())?;
    let b = g.add_op1(&math::ADD, &[a, one], Attrs::new())?;
    let t = g.add_op1(&math::TANH, &[b], Attrs::new())?;
    let s = g.add_op1(&math::SIGMOID, &[x], Attrs::new())?;
    let p = g.add_op1(&math::MUL, &[t, s], Attrs::new())?;
    let y = g.add_op1(&math::SUB, &[p, x], Attrs::new())?;
    g.set_outputs(&[y])?;
    Ok(g)
}

fn main() -> Result<()> {
    let only: Vec<String> = std::env::args().skip(1).collect();
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
        let (graph, _) = graph::passes::optimize(&chain_graph(n)?)?;
        let x = randn(&[n], 5);
        let s = time(if n > 1 << 20 { 9 } else { 21 }, 1, || {
            std::hint::black_box(graph::exec::run(&graph, std::slice::from_ref(&x), &[]).expect("chain"));
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
    Ok(())
}
