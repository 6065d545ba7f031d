//! conv2d forward throughput: a 32x28x28x32 NHWC batch with a 3x3x32x64 filter, SAME padding.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tensile::ops::nn;
use tensile::Tensor;

fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

fn conv2d_forward(c: &mut Criterion) {
    let x = Tensor::from_vec(values(32 * 28 * 28 * 32, 1), &[32, 28, 28, 32]).expect("shape");
    let f = Tensor::from_vec(values(3 * 3 * 32 * 64, 2), &[3, 3, 32, 64]).expect("shape");
    let mut g = c.benchmark_group("conv2d");
    // Multiply-adds of the direct definition, as FLOPs (2 per multiply-add).
    g.throughput(Throughput::Elements(2 * 32 * 28 * 28 * 64 * 3 * 3 * 32));
    g.sample_size(20);
    g.bench_function("32x28x28x32_3x3x32x64_same_f32", |b| {
        b.iter(|| nn::conv2d(&x, &f, &[1], "SAME", &[]).expect("conv2d"))
    });
    g.finish();
}

criterion_group!(benches, conv2d_forward);
criterion_main!(benches);
