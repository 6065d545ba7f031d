//! Cases for reductions, scans and top_k.

use tensile::attrs::{Attr, Attrs};
use tensile::ops::{execute1, reduce};
use tensile::testing::{test_tensor, GradCase};
use tensile::Tensor;

fn x(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    test_tensor(shape, seed, lo, hi)
}

/// Values with magnitude in [lo, hi] and random signs: away from 0 (for prod/cumprod divisions).
fn away_from_zero(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    let t = test_tensor(shape, seed, lo, hi).to_f64_vec();
    let s = test_tensor(shape, seed + 1000, -1.0, 1.0).to_f64_vec();
    let v: Vec<f64> = t.iter().zip(&s).map(|(a, b)| if *b < 0.0 { -a } else { *a }).collect();
    Tensor::from_vec(v, shape).unwrap()
}

fn with_values(shape: &[usize], v: Vec<f64>) -> Tensor {
    Tensor::from_vec(v, shape).unwrap()
}

/// Gradient cases for `tensile::ops::reduce`.
pub fn cases() -> Vec<GradCase> {
    vec![
        GradCase::new("reduce_sum", vec![x(&[2, 3, 4], 11, -1.0, 1.0)], |x| {
            reduce::reduce_sum(&x[0], Some(&[0, 2]), false)
        }),
        GradCase::new("reduce_sum", vec![x(&[2, 3], 12, -1.0, 1.0)], |x| reduce::reduce_sum(&x[0], Some(&[-1]), true)),
        GradCase::new("reduce_mean", vec![x(&[2, 3, 4], 13, -1.0, 1.0)], |x| {
            reduce::reduce_mean(&x[0], Some(&[1]), false)
        }),
        GradCase::new("reduce_mean", vec![x(&[3, 4], 14, -1.0, 1.0)], |x| reduce::reduce_mean(&x[0], None, true)),
        // Random values: no ties.
        GradCase::new("reduce_max", vec![x(&[3, 4], 15, -1.0, 1.0)], |x| reduce::reduce_max(&x[0], Some(&[-1]), false)),
        GradCase::new("reduce_max", vec![x(&[2, 3, 4], 16, -1.0, 1.0)], |x| {
            reduce::reduce_max(&x[0], Some(&[0, 2]), true)
        }),
        // Exactly two tied maxima per row: a central difference sees half the slope at each, which
        // is also how the gradient splits it.
        GradCase::new("reduce_max", vec![with_values(&[2, 4], vec![1.0, 3.0, 3.0, 2.0, 0.5, -1.0, 0.2, 0.5])], |x| {
            reduce::reduce_max(&x[0], Some(&[1]), false)
        }),
        GradCase::new("reduce_min", vec![x(&[3, 4], 17, -1.0, 1.0)], |x| reduce::reduce_min(&x[0], Some(&[0]), false)),
        GradCase::new("reduce_min", vec![with_values(&[2, 3], vec![-2.0, 1.0, -2.0, 4.0, 4.0, 5.0])], |x| {
            reduce::reduce_min(&x[0], None, false)
        }),
        GradCase::new("reduce_prod", vec![away_from_zero(&[2, 3, 4], 18, 0.5, 1.5)], |x| {
            reduce::reduce_prod(&x[0], Some(&[0, 2]), false)
        }),
        GradCase::new("reduce_prod", vec![away_from_zero(&[3, 4], 19, 0.5, 1.5)], |x| {
            reduce::reduce_prod(&x[0], Some(&[-1]), true)
        }),
        // One zero in the first row: the product is multilinear, so the gradient at the zero is the
        // product of the other entries, and elsewhere in that row it is 0.
        GradCase::new("reduce_prod", vec![with_values(&[2, 4], vec![1.5, 0.0, -0.7, 1.2, 0.9, 1.1, -1.3, 0.8])], |x| {
            reduce::reduce_prod(&x[0], Some(&[1]), false)
        }),
        GradCase::new("reduce_prod", vec![with_values(&[2, 3], vec![1.5, 0.0, -0.7, 1.2, 0.9, 1.1])], |x| {
            reduce::reduce_prod(&x[0], None, false)
        }),
        GradCase::new("reduce_logsumexp", vec![x(&[3, 4], 20, -2.0, 2.0)], |x| {
            reduce::reduce_logsumexp(&x[0], Some(&[1]), false)
        }),
        GradCase::new("reduce_logsumexp", vec![x(&[2, 3, 2], 21, -2.0, 2.0)], |x| {
            reduce::reduce_logsumexp(&x[0], None, true)
        }),
        GradCase::new("reduce_variance", vec![x(&[3, 4], 22, -1.0, 1.0)], |x| {
            reduce::reduce_variance(&x[0], Some(&[0]), false)
        }),
        GradCase::new("reduce_variance", vec![x(&[2, 3, 4], 23, -1.0, 1.0)], |x| {
            reduce::reduce_variance(&x[0], Some(&[0, -1]), true)
        }),
        GradCase::new("cumsum", vec![x(&[3, 4], 24, -1.0, 1.0)], |x| reduce::cumsum(&x[0], 1, false, false)),
        GradCase::new("cumsum", vec![x(&[3, 4], 25, -1.0, 1.0)], |x| reduce::cumsum(&x[0], 0, true, true)),
        GradCase::new("cumprod", vec![away_from_zero(&[3, 4], 26, 0.5, 1.5)], |x| {
            reduce::cumprod(&x[0], 1, false, false)
        }),
        GradCase::new("cumprod", vec![away_from_zero(&[3, 4], 27, 0.5, 1.5)], |x| {
            reduce::cumprod(&x[0], 0, true, true)
        }),
        GradCase::new("cumprod", vec![away_from_zero(&[2, 5], 28, 0.5, 1.5)], |x| {
            reduce::cumprod(&x[0], -1, true, false)
        }),
        GradCase::new("top_k", vec![x(&[3, 5], 29, -1.0, 1.0)], |x| Ok(reduce::top_k(&x[0], 2, true)?.0)),
        GradCase::new("top_k", vec![x(&[2, 2, 4], 30, -1.0, 1.0)], |x| Ok(reduce::top_k(&x[0], 4, true)?.0)),
        GradCase::new("gather_last_axis", vec![x(&[2, 4], 31, -1.0, 1.0)], |x| {
            // A repeated index checks that the gradient accumulates.
            let idx = Tensor::from_vec(vec![3i32, 0, 3, 1, 1, 2], &[2, 3])?;
            reduce::gather_last_axis(&x[0], &idx)
        }),
        GradCase::new("scatter_last_axis", vec![x(&[2, 3], 32, -1.0, 1.0)], |x| {
            let idx = Tensor::from_vec(vec![3i64, 0, 3, 1, 4, 2], &[2, 3])?;
            reduce::scatter_last_axis(&x[0], &idx, 5)
        }),
        // n comes from the last dimension of the third input (how a traced gradient passes a
        // size known only at run time); that input's values do not matter.
        GradCase::new("scatter_last_axis", vec![x(&[2, 3], 33, -1.0, 1.0), x(&[1, 5], 34, -1.0, 1.0)], |x| {
            let idx = Tensor::from_vec(vec![3i64, 0, 3, 1, 4, 2], &[2, 3])?;
            let attrs = Attrs::new().with("n", Attr::Int(-1));
            execute1(&reduce::SCATTER_LAST_AXIS, &[x[0].clone(), idx, x[1].clone()], attrs)
        }),
        GradCase::new("top_k", vec![x(&[6], 35, -1.0, 1.0)], |x| Ok(reduce::top_k(&x[0], 3, false)?.0)),
        // k as a run-time input (TensorFlow's TopKV2).
        GradCase::new("top_k", vec![x(&[2, 5], 36, -1.0, 1.0), Tensor::from(3i32)], |x| {
            Ok(reduce::top_k_dynamic(&x[0], &x[1], true)?.0)
        }),
    ]
}
