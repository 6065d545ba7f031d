//! Reduction kernels: sums over the inner, outer and middle axes, max, argmax, cumsum and top_k,
//! with the generic per-element walk as a baseline.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tensile::kernels::reduce::reduce_axes;
use tensile::ops::reduce::{argmax, cumsum, reduce_max, reduce_sum, top_k};
use tensile::Tensor;

fn tensor(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 * 1e-3 - 0.5).collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// A named input shape and the axes to reduce (`None` = all).
type SumCase = (&'static str, Vec<usize>, Option<Vec<i64>>);

fn sums(c: &mut Criterion) {
    let mut g = c.benchmark_group("reduce_sum_f32");
    g.measurement_time(Duration::from_secs(3)).sample_size(20);
    let cases: &[SumCase] = &[
        ("all_16M", vec![1 << 24], None),
        ("inner_4096x4096", vec![4096, 4096], Some(vec![1])),
        ("outer_4096x4096", vec![4096, 4096], Some(vec![0])),
        ("inner_1Mx4", vec![1 << 20, 4], Some(vec![1])),
        ("outer_1Mx4", vec![1 << 20, 4], Some(vec![0])),
        ("middle_64x256x64", vec![64, 256, 64], Some(vec![1])),
        ("outer_inner_64x256x64", vec![64, 256, 64], Some(vec![0, 2])),
        ("small_inner_128x64", vec![128, 64], Some(vec![1])),
    ];
    for (name, shape, axes) in cases {
        let x = tensor(shape);
        g.throughput(Throughput::Bytes((x.size() * 4) as u64));
        g.bench_function(BenchmarkId::new("tensile", name), |b| {
            b.iter(|| reduce_sum(black_box(&x), axes.as_deref(), false).unwrap())
        });
    }
    // The generic per-element walk, for comparison.
    for (name, shape, axes) in
        [("inner_4096x4096", [4096usize, 4096usize], [1usize]), ("outer_4096x4096", [4096, 4096], [0])]
    {
        let x = tensor(&shape);
        let s = x.as_slice::<f32>().unwrap();
        g.throughput(Throughput::Bytes((x.size() * 4) as u64));
        g.bench_function(BenchmarkId::new("generic_walk", name), |b| {
            b.iter(|| reduce_axes(black_box(s), &shape, &axes, 0.0f32, |a, v| a + v))
        });
    }
    g.finish();
}

fn others(c: &mut Criterion) {
    let mut g = c.benchmark_group("reduce_other_f32");
    g.measurement_time(Duration::from_secs(3)).sample_size(20);
    let x = tensor(&[4096, 4096]);
    g.throughput(Throughput::Bytes((x.size() * 4) as u64));
    g.bench_function("max_inner_4096x4096", |b| b.iter(|| reduce_max(black_box(&x), Some(&[1]), false).unwrap()));
    g.bench_function("max_outer_4096x4096", |b| b.iter(|| reduce_max(black_box(&x), Some(&[0]), false).unwrap()));
    g.bench_function("argmax_inner_4096x4096", |b| b.iter(|| argmax(black_box(&x), 1).unwrap()));
    g.bench_function("argmax_outer_4096x4096", |b| b.iter(|| argmax(black_box(&x), 0).unwrap()));
    g.bench_function("cumsum_inner_4096x4096", |b| b.iter(|| cumsum(black_box(&x), 1, false, false).unwrap()));
    g.bench_function("cumsum_outer_4096x4096", |b| b.iter(|| cumsum(black_box(&x), 0, false, false).unwrap()));
    let t = tensor(&[4096, 1000]);
    g.throughput(Throughput::Bytes((t.size() * 4) as u64));
    g.bench_function("top_k_10_of_4096x1000", |b| b.iter(|| top_k(black_box(&t), 10, true).unwrap()));
    g.finish();
}

criterion_group!(benches, sums, others);
criterion_main!(benches);
