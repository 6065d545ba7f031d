//! Elementwise benchmarks: eager dispatch overhead, a 5-op activation chain on large float32
//! tensors, transcendental kernels, and broadcasting binary ops.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;
use tensile::ops::math;
use tensile::Tensor;

fn input(n: usize) -> Tensor {
    let v: Vec<f32> = (0..n).map(|i| ((i % 1000) as f32) * 0.006 - 3.0).collect();
    Tensor::from_vec(v, &[n]).unwrap()
}

fn scalar_add(c: &mut Criterion) {
    let a = Tensor::from(1.5f32);
    let b = Tensor::from(2.5f32);
    c.bench_function("scalar_add", |bench| bench.iter(|| math::add(black_box(&a), black_box(&b)).unwrap()));
}

/// `tanh(x * 2 + 1) * sigmoid(x) - x`, each op eager and separately materialized.
fn chain(x: &Tensor, two: &Tensor, one: &Tensor) -> Tensor {
    let t = math::tanh(&math::add(&math::mul(x, two).unwrap(), one).unwrap()).unwrap();
    math::sub(&math::mul(&t, &math::sigmoid(x).unwrap()).unwrap(), x).unwrap()
}

fn activation_chain(c: &mut Criterion) {
    let mut g = c.benchmark_group("chain");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    let (two, one) = (Tensor::from(2.0f32), Tensor::from(1.0f32));
    for log2 in [20, 24] {
        let x = input(1 << log2);
        g.bench_with_input(BenchmarkId::from_parameter(format!("2^{log2}")), &x, |b, x| {
            b.iter(|| chain(x, &two, &one))
        });
    }
    g.finish();
}

fn unary(c: &mut Criterion) {
    let mut g = c.benchmark_group("unary_f32_2^20");
    g.sample_size(30);
    let x = input(1 << 20);
    let fns: [(&str, fn(&Tensor) -> tensile::Result<Tensor>); 6] = [
        ("exp", math::exp),
        ("tanh", math::tanh),
        ("sigmoid", math::sigmoid),
        ("softplus", math::softplus),
        ("silu", math::silu),
        ("relu", math::relu),
    ];
    for (name, f) in fns {
        g.bench_function(name, |b| b.iter(|| f(black_box(&x)).unwrap()));
    }
    g.bench_function("gelu_tanh", |b| b.iter(|| math::gelu(black_box(&x), true).unwrap()));
    g.finish();
}

fn broadcasting(c: &mut Criterion) {
    let mut g = c.benchmark_group("broadcast_add_f32");
    g.sample_size(30);
    let (n, m) = (2048usize, 2048usize);
    let a = Tensor::from_vec(vec![1.0f32; n * m], &[n, m]).unwrap();
    let full = Tensor::from_vec(vec![2.0f32; n * m], &[n, m]).unwrap();
    let row = Tensor::from_vec(vec![2.0f32; m], &[m]).unwrap();
    let col = Tensor::from_vec(vec![2.0f32; n], &[n, 1]).unwrap();
    let s = Tensor::from(2.0f32);
    g.bench_function("same_shape_2048x2048", |b| b.iter(|| math::add(&a, &full).unwrap()));
    g.bench_function("scalar_2048x2048", |b| b.iter(|| math::add(&a, &s).unwrap()));
    g.bench_function("row_2048x2048+2048", |b| b.iter(|| math::add(&a, &row).unwrap()));
    g.bench_function("col_2048x2048+2048x1", |b| b.iter(|| math::add(&a, &col).unwrap()));
    let small = Tensor::from_vec(vec![1.0f32; 64 * 64], &[64, 64]).unwrap();
    let srow = Tensor::from_vec(vec![2.0f32; 64], &[64]).unwrap();
    g.bench_function("row_64x64+64", |b| b.iter(|| math::add(&small, &srow).unwrap()));
    let outer_a = Tensor::from_vec(vec![1.0f32; n], &[n, 1]).unwrap();
    let outer_b = Tensor::from_vec(vec![2.0f32; m], &[1, m]).unwrap();
    g.bench_function("outer_2048x1+1x2048", |b| b.iter(|| math::add(&outer_a, &outer_b).unwrap()));
    g.finish();
}

criterion_group!(benches, scalar_add, activation_chain, unary, broadcasting);
criterion_main!(benches);
