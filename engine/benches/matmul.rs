//! Matmul benchmarks: eager dispatch latency of a 4x4 product and square float32 GEMM
//! throughput (reported as elements/s where one element is one floating-point operation).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use tensile::ops::linalg::matmul;
use tensile::testing::test_values;
use tensile::Tensor;

fn square(n: usize, seed: u64) -> Tensor {
    let v: Vec<f32> = test_values(n * n, seed, -1.0, 1.0).into_iter().map(|x| x as f32).collect();
    Tensor::from_vec(v, &[n, n]).expect("n*n values")
}

fn eager_small(c: &mut Criterion) {
    let (a, b) = (square(4, 1), square(4, 2));
    c.bench_function("matmul_eager_4x4_f32", |bch| bch.iter(|| matmul(black_box(&a), black_box(&b)).expect("matmul")));
}

fn gemm_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul_f32_gflops");
    for n in [256usize, 1024, 2048] {
        let (a, b) = (square(n, 3), square(n, 4));
        g.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        if n >= 1024 {
            g.sample_size(10).measurement_time(Duration::from_secs(if n >= 2048 { 12 } else { 6 }));
        } else {
            g.sample_size(50).measurement_time(Duration::from_secs(3));
        }
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |bch, _| {
            bch.iter(|| matmul(black_box(&a), black_box(&b)).expect("matmul"))
        });
    }
    g.finish();
}

criterion_group!(benches, eager_small, gemm_throughput);
criterion_main!(benches);
