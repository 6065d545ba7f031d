//! Value tests for reductions, scans and top_k against naive references written here.

use proptest::prelude::*;
use tensile::ops::reduce::*;
use tensile::ops::{math, Spec};
use tensile::prelude::GradientTape;
use tensile::testing::{assert_close, test_values};
use tensile::{DType, Result, Tensor};

// ---------------------------------------------------------------------------------------------
// Naive references: explicit multi-index arithmetic, one element at a time.

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

/// Folds `x` over `axes` (normalized) with `f` from `init`; output laid out without reduced dims.
fn naive_fold(x: &[f64], shape: &[usize], axes: &[usize], init: f64, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let out_shape: Vec<usize> = (0..shape.len()).filter(|d| !axes.contains(d)).map(|d| shape[d]).collect();
    let n_out: usize = out_shape.iter().product();
    let ost = strides(&out_shape);
    let mut out = vec![init; n_out];
    for (i, &v) in x.iter().enumerate() {
        let idx = unravel(i, shape);
        let mut o = 0;
        let mut k = 0;
        for (d, &ix) in idx.iter().enumerate() {
            if !axes.contains(&d) {
                o += ix * ost[k];
                k += 1;
            }
        }
        out[o] = f(out[o], v);
    }
    out
}

fn naive_count(shape: &[usize], axes: &[usize]) -> usize {
    axes.iter().map(|&d| shape[d]).product()
}

fn normalize(axes: &[i64], rank: usize) -> Vec<usize> {
    let mut v: Vec<usize> = axes.iter().map(|&a| if a < 0 { (a + rank as i64) as usize } else { a as usize }).collect();
    v.sort();
    v
}

fn f64s(shape: &[usize], seed: u64) -> Tensor {
    Tensor::from_vec(test_values(shape.iter().product(), seed, -3.0, 3.0), shape).unwrap()
}

/// Small integers as float64, so sums are exact in any order.
fn int_valued(shape: &[usize], seed: u64) -> Tensor {
    let v: Vec<f64> = test_values(shape.iter().product(), seed, -50.0, 50.0).iter().map(|v| v.round()).collect();
    Tensor::from_vec(v, shape).unwrap()
}

fn err_text(r: Result<Tensor>) -> String {
    match r {
        Ok(t) => panic!("expected an error, got a tensor of shape {:?}", t.shape()),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Sum / mean / max / min / prod against the naive fold.

fn check_all_axis_sets(shape: &[usize], seed: u64) {
    let x = int_valued(shape, seed);
    let xv = x.to_f64_vec();
    let rank = shape.len();
    for mask in 0u32..(1 << rank) {
        let axes: Vec<usize> = (0..rank).filter(|d| mask & (1 << d) != 0).collect();
        let ax: Vec<i64> = axes.iter().map(|&d| d as i64).collect();
        let sum = reduce_sum(&x, Some(&ax), false).unwrap();
        assert_eq!(sum.to_f64_vec(), naive_fold(&xv, shape, &axes, 0.0, |a, b| a + b), "sum {shape:?} {axes:?}");
        let max = reduce_max(&x, Some(&ax), false).unwrap();
        assert_eq!(max.to_f64_vec(), naive_fold(&xv, shape, &axes, f64::NEG_INFINITY, f64::max), "max {axes:?}");
        let min = reduce_min(&x, Some(&ax), false).unwrap();
        assert_eq!(min.to_f64_vec(), naive_fold(&xv, shape, &axes, f64::INFINITY, f64::min), "min {axes:?}");
    }
}

#[test]
fn every_axis_set_of_small_shapes() {
    check_all_axis_sets(&[2, 3, 4], 1);
    check_all_axis_sets(&[3, 1, 5, 2], 2);
    check_all_axis_sets(&[1, 7, 1], 3);
    check_all_axis_sets(&[5], 4);
}

#[test]
fn large_layouts_take_the_parallel_paths() {
    // Each shape is over the parallel threshold; integer values keep float sums exact.
    for (shape, seed) in [(vec![300, 200], 5u64), (vec![3, 40_000], 6), (vec![40_000, 3], 7), (vec![20, 50, 70], 8)] {
        let x = int_valued(&shape, seed);
        let xv = x.to_f64_vec();
        let rank = shape.len();
        for mask in 1u32..(1 << rank) {
            let axes: Vec<usize> = (0..rank).filter(|d| mask & (1 << d) != 0).collect();
            let ax: Vec<i64> = axes.iter().map(|&d| d as i64).collect();
            let sum = reduce_sum(&x, Some(&ax), false).unwrap().to_f64_vec();
            assert_eq!(sum, naive_fold(&xv, &shape, &axes, 0.0, |a, b| a + b), "sum {shape:?} {axes:?}");
            let max = reduce_max(&x, Some(&ax), false).unwrap().to_f64_vec();
            assert_eq!(max, naive_fold(&xv, &shape, &axes, f64::NEG_INFINITY, f64::max), "max {shape:?} {axes:?}");
        }
        // int32 and int64 take the same kernels.
        let xi = math::cast(&x, DType::I32).unwrap();
        let s = reduce_sum(&xi, Some(&[0]), false).unwrap().to_f64_vec();
        assert_eq!(s, naive_fold(&xv, &shape, &[0], 0.0, |a, b| a + b));
        let xl = math::cast(&x, DType::I64).unwrap();
        let s = reduce_min(&xl, Some(&[rank as i64 - 1]), false).unwrap().to_f64_vec();
        assert_eq!(s, naive_fold(&xv, &shape, &[rank - 1], f64::INFINITY, f64::min));
    }
}

#[test]
fn float32_sums_are_accurate() {
    // Ten million 0.1s: a sequential float32 sum drifts to about 1087937; pairwise stays at 1e6.
    let n = 10_000_000;
    let x = Tensor::from_vec(vec![0.1f32; n], &[n]).unwrap();
    let s = reduce_sum(&x, None, false).unwrap().item::<f32>().unwrap();
    assert!((s - 1e6).abs() < 1.0, "sum of 1e7 x 0.1f32 = {s}");
    let m = reduce_mean(&x, None, false).unwrap().item::<f32>().unwrap();
    assert!((m - 0.1).abs() < 1e-6, "mean = {m}");
    // Same along the outer axis and along the inner axis of a matrix.
    let rows = Tensor::from_vec(vec![0.1f32; n], &[n / 2, 2]).unwrap();
    for v in reduce_sum(&rows, Some(&[0]), false).unwrap().to_f64_vec() {
        assert!((v - 5e5).abs() < 0.5, "column sum {v}");
    }
    let cols = Tensor::from_vec(vec![0.1f32; n], &[2, n / 2]).unwrap();
    for v in reduce_sum(&cols, Some(&[1]), false).unwrap().to_f64_vec() {
        assert!((v - 5e5).abs() < 0.5, "row sum {v}");
    }
    let wide = Tensor::from_vec(vec![0.1f32; n], &[n / 1000, 1000]).unwrap();
    for v in reduce_sum(&wide, Some(&[0]), false).unwrap().to_f64_vec() {
        assert!((v - 1e3).abs() < 1e-3, "wide column sum {v}");
    }
}

#[test]
fn mean_and_prod_match_naive() {
    let shape = [3, 4, 5];
    let x = f64s(&shape, 9);
    let xv = x.to_f64_vec();
    for ax in [vec![0i64], vec![1, 2], vec![-1], vec![0, -2, 2]] {
        let axes = normalize(&ax, 3);
        let n = naive_count(&shape, &axes) as f64;
        let mean = reduce_mean(&x, Some(&ax), false).unwrap().to_f64_vec();
        let expect: Vec<f64> = naive_fold(&xv, &shape, &axes, 0.0, |a, b| a + b).iter().map(|s| s / n).collect();
        assert_close(&mean, &expect, 1e-12, 1e-12);
        let prod = reduce_prod(&x, Some(&ax), false).unwrap().to_f64_vec();
        assert_close(&prod, &naive_fold(&xv, &shape, &axes, 1.0, |a, b| a * b), 1e-12, 1e-12);
    }
}

#[test]
fn keepdims_and_negative_axes() {
    let x = f64s(&[2, 3, 4], 10);
    assert_eq!(reduce_sum(&x, Some(&[1]), true).unwrap().shape(), &[2, 1, 4]);
    assert_eq!(reduce_sum(&x, None, true).unwrap().shape(), &[1, 1, 1]);
    assert_eq!(reduce_sum(&x, None, false).unwrap().shape(), &[] as &[usize]);
    assert_eq!(reduce_max(&x, Some(&[0, 2]), false).unwrap().shape(), &[3]);
    assert_eq!(reduce_mean(&x, Some(&[-1, 0]), true).unwrap().shape(), &[1, 3, 1]);
    assert_eq!(reduce_sum(&x, Some(&[]), false).unwrap().to_f64_vec(), x.to_f64_vec());
    let a = reduce_sum(&x, Some(&[-1, -3]), false).unwrap().to_f64_vec();
    let b = reduce_sum(&x, Some(&[2, 0]), false).unwrap().to_f64_vec();
    assert_eq!(a, b);
    let k = reduce_min(&x, Some(&[-2]), true).unwrap();
    assert_eq!(k.shape(), &[2, 1, 4]);
    assert_eq!(k.to_f64_vec(), reduce_min(&x, Some(&[1]), false).unwrap().to_f64_vec());
}

#[test]
fn integer_reductions_follow_tensorflow() {
    let a = Tensor::from(vec![i32::MAX, 1]);
    assert_eq!(reduce_sum(&a, None, false).unwrap().item::<i32>().unwrap(), i32::MIN, "int sums wrap");
    // int32 means are accumulated in int64 and truncate toward zero.
    let big = Tensor::from(vec![i32::MAX, i32::MAX]);
    assert_eq!(reduce_mean(&big, None, false).unwrap().item::<i32>().unwrap(), i32::MAX);
    assert_eq!(reduce_mean(&Tensor::from(vec![1i32, 2]), None, false).unwrap().item::<i32>().unwrap(), 1);
    assert_eq!(reduce_mean(&Tensor::from(vec![-1i64, -2]), None, false).unwrap().item::<i64>().unwrap(), -1);
    let m = reduce_mean(&Tensor::from([[1i32, 2, 4], [7, 8, 10]]), Some(&[1]), false).unwrap();
    assert_eq!(m.to_vec::<i32>().unwrap(), vec![2, 8]);
    let p = reduce_prod(&Tensor::from([[2i64, 3], [4, 5]]), Some(&[0]), false).unwrap();
    assert_eq!(p.to_vec::<i64>().unwrap(), vec![8, 15]);
    let mx = reduce_max(&Tensor::from([[2i32, -3], [-4, 5]]), Some(&[1]), false).unwrap();
    assert_eq!(mx.to_vec::<i32>().unwrap(), vec![2, 5]);
}

#[test]
fn empty_reductions_give_identities() {
    let e = Tensor::from_vec(Vec::<f32>::new(), &[0]).unwrap();
    assert_eq!(reduce_sum(&e, None, false).unwrap().item::<f32>().unwrap(), 0.0);
    assert_eq!(reduce_prod(&e, None, false).unwrap().item::<f32>().unwrap(), 1.0);
    assert_eq!(reduce_max(&e, None, false).unwrap().item::<f32>().unwrap(), f32::NEG_INFINITY);
    assert_eq!(reduce_min(&e, None, false).unwrap().item::<f32>().unwrap(), f32::INFINITY);
    assert!(reduce_mean(&e, None, false).unwrap().item::<f32>().unwrap().is_nan());
    assert!(reduce_variance(&e, None, false).unwrap().item::<f32>().unwrap().is_nan());
    assert_eq!(reduce_logsumexp(&e, None, false).unwrap().item::<f32>().unwrap(), f32::NEG_INFINITY);
    let ei = Tensor::from_vec(Vec::<i32>::new(), &[2, 0]).unwrap();
    assert_eq!(reduce_max(&ei, Some(&[1]), false).unwrap().to_vec::<i32>().unwrap(), vec![i32::MIN; 2]);
    assert_eq!(reduce_min(&ei, Some(&[1]), false).unwrap().to_vec::<i32>().unwrap(), vec![i32::MAX; 2]);
    assert_eq!(reduce_mean(&ei, Some(&[1]), false).unwrap().to_vec::<i32>().unwrap(), vec![0; 2]);
    assert_eq!(reduce_sum(&ei, Some(&[0]), false).unwrap().shape(), &[0]);
    let z = Tensor::from_vec(Vec::<f64>::new(), &[0, 3]).unwrap();
    assert_eq!(reduce_sum(&z, Some(&[0]), false).unwrap().to_f64_vec(), vec![0.0; 3]);
    let b = Tensor::from_vec(Vec::<bool>::new(), &[0]).unwrap();
    assert!(reduce_all(&b, None, false).unwrap().item::<bool>().unwrap());
    assert!(!reduce_any(&b, None, false).unwrap().item::<bool>().unwrap());
}

#[test]
fn nan_propagates_through_max_and_min() {
    let x = Tensor::from([[1.0f32, f32::NAN, 3.0], [4.0, 5.0, 6.0]]);
    let m = reduce_max(&x, Some(&[1]), false).unwrap().to_f64_vec();
    assert!(m[0].is_nan() && m[1] == 6.0, "{m:?}");
    let m = reduce_min(&x, Some(&[0]), false).unwrap().to_f64_vec();
    assert!(m[0] == 1.0 && m[1].is_nan() && m[2] == 3.0, "{m:?}");
    let big: Vec<f32> = (0..100_000).map(|i| if i == 77_777 { f32::NAN } else { i as f32 }).collect();
    let t = Tensor::from_vec(big, &[100_000]).unwrap();
    assert!(reduce_max(&t, None, false).unwrap().item::<f32>().unwrap().is_nan());
    assert!(reduce_min(&t, None, false).unwrap().item::<f32>().unwrap().is_nan());
    // Infinities are ordinary values, not NaN.
    let inf: Vec<f64> = (0..5000).map(|i| [1.0, f64::INFINITY, -2.0, f64::NEG_INFINITY][i % 4]).collect();
    let t = Tensor::from_vec(inf, &[50, 100]).unwrap();
    assert_eq!(reduce_max(&t, Some(&[1]), false).unwrap().to_f64_vec(), vec![f64::INFINITY; 50]);
    assert_eq!(reduce_min(&t, None, false).unwrap().item::<f64>().unwrap(), f64::NEG_INFINITY);
    let ints = Tensor::from_vec((0..70_000i64).map(|i| (i * 7919) % 70_001).collect(), &[70_000]).unwrap();
    assert_eq!(
        reduce_max(&ints, None, false).unwrap().item::<i64>().unwrap(),
        (0..70_000i64).map(|i| (i * 7919) % 70_001).max().unwrap()
    );
}

#[test]
fn all_and_any() {
    let b = Tensor::from([[true, false, true], [true, true, true]]);
    assert_eq!(reduce_all(&b, Some(&[1]), false).unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    assert_eq!(reduce_any(&b, Some(&[0]), false).unwrap().to_vec::<bool>().unwrap(), vec![true; 3]);
    assert!(!reduce_all(&b, None, false).unwrap().item::<bool>().unwrap());
    let f = Tensor::from([[false, false], [false, true]]);
    assert_eq!(reduce_any(&f, Some(&[-1]), true).unwrap().to_vec::<bool>().unwrap(), vec![false, true]);
    assert_eq!(reduce_any(&f, Some(&[-1]), true).unwrap().shape(), &[2, 1]);
}

// ---------------------------------------------------------------------------------------------
// Property test: random shapes and axis sets for sum, max and mean.

fn shape_and_axes() -> impl Strategy<Value = (Vec<usize>, Vec<i64>, bool, u64)> {
    prop::collection::vec(0usize..5, 0..5).prop_flat_map(|shape| {
        let rank = shape.len();
        let axes = prop::collection::vec(any::<bool>(), rank)
            .prop_flat_map(move |pick| {
                let chosen: Vec<usize> = (0..rank).filter(|&d| pick[d]).collect();
                prop::collection::vec(any::<bool>(), chosen.len()).prop_map(move |neg| {
                    chosen.iter().zip(&neg).map(|(&d, &n)| if n { d as i64 - rank as i64 } else { d as i64 }).collect()
                })
            })
            .boxed();
        (Just(shape), axes, any::<bool>(), any::<u64>())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn random_reductions_match_naive((shape, ax, keepdims, seed) in shape_and_axes()) {
        let x = int_valued(&shape, seed);
        let xv = x.to_f64_vec();
        let axes = normalize(&ax, shape.len());
        let kept: Vec<usize> = shape.iter().enumerate().map(|(d, &s)| if axes.contains(&d) { 1 } else { s }).collect();
        let removed: Vec<usize> = shape.iter().enumerate().filter(|(d, _)| !axes.contains(d)).map(|(_, &s)| s).collect();
        let want_shape = if keepdims { kept } else { removed };

        let sum = reduce_sum(&x, Some(&ax), keepdims).unwrap();
        prop_assert_eq!(sum.shape(), &want_shape[..]);
        prop_assert_eq!(sum.to_f64_vec(), naive_fold(&xv, &shape, &axes, 0.0, |a, b| a + b));

        let max = reduce_max(&x, Some(&ax), keepdims).unwrap();
        prop_assert_eq!(max.shape(), &want_shape[..]);
        prop_assert_eq!(max.to_f64_vec(), naive_fold(&xv, &shape, &axes, f64::NEG_INFINITY, f64::max));

        let n = naive_count(&shape, &axes) as f64;
        let mean = reduce_mean(&x, Some(&ax), keepdims).unwrap();
        prop_assert_eq!(mean.shape(), &want_shape[..]);
        let expect: Vec<f64> = naive_fold(&xv, &shape, &axes, 0.0, |a, b| a + b).iter().map(|s| s / n).collect();
        assert_close(&mean.to_f64_vec(), &expect, 1e-12, 1e-12);
    }
}

// ---------------------------------------------------------------------------------------------
// logsumexp, variance, std, moments.

#[test]
fn logsumexp_matches_naive_and_is_stable() {
    let shape = [3, 4];
    let x = f64s(&shape, 11);
    let xv = x.to_f64_vec();
    let got = reduce_logsumexp(&x, Some(&[1]), false).unwrap().to_f64_vec();
    let expect: Vec<f64> = naive_fold(&xv, &shape, &[1], 0.0, |a, b| a + b.exp()).iter().map(|s| s.ln()).collect();
    assert_close(&got, &expect, 1e-12, 1e-12);
    let big = Tensor::from(vec![1000.0f32, 1000.0]);
    let v = reduce_logsumexp(&big, None, false).unwrap().item::<f32>().unwrap();
    assert!((v - (1000.0 + 2f32.ln())).abs() < 1e-3, "{v}");
    let small = Tensor::from(vec![-1000.0f64, -1000.0]);
    assert_close(&reduce_logsumexp(&small, None, false).unwrap().to_f64_vec(), &[-1000.0 + 2f64.ln()], 1e-12, 0.0);
    let inf = Tensor::from([[f64::NEG_INFINITY, f64::NEG_INFINITY], [f64::INFINITY, 0.0]]);
    assert_eq!(reduce_logsumexp(&inf, Some(&[1]), false).unwrap().to_f64_vec(), vec![f64::NEG_INFINITY, f64::INFINITY]);
    assert_eq!(reduce_logsumexp(&x, Some(&[0]), true).unwrap().shape(), &[1, 4]);
}

#[test]
fn variance_std_and_moments() {
    let shape = [4, 5];
    let x = f64s(&shape, 12);
    let xv = x.to_f64_vec();
    for axes in [vec![0usize], vec![1], vec![0, 1]] {
        let ax: Vec<i64> = axes.iter().map(|&d| d as i64).collect();
        let n = naive_count(&shape, &axes) as f64;
        let mean: Vec<f64> = naive_fold(&xv, &shape, &axes, 0.0, |a, b| a + b).iter().map(|s| s / n).collect();
        // Second pass by explicit index: squared deviation from the element's own group mean.
        let out_shape: Vec<usize> = (0..2).filter(|d| !axes.contains(d)).map(|d| shape[d]).collect();
        let ost = strides(&out_shape);
        let mut var = vec![0.0; mean.len()];
        for (i, &v) in xv.iter().enumerate() {
            let idx = unravel(i, &shape);
            let o: usize = (0..2).filter(|d| !axes.contains(d)).enumerate().map(|(k, d)| idx[d] * ost[k]).sum();
            var[o] += (v - mean[o]).powi(2) / n;
        }
        assert_close(&reduce_variance(&x, Some(&ax), false).unwrap().to_f64_vec(), &var, 1e-12, 1e-12);
        let std: Vec<f64> = var.iter().map(|v| v.sqrt()).collect();
        assert_close(&reduce_std(&x, Some(&ax), false).unwrap().to_f64_vec(), &std, 1e-12, 1e-12);
        let (m, v) = moments(&x, &ax, false).unwrap();
        assert_close(&m.to_f64_vec(), &mean, 1e-12, 1e-12);
        assert_close(&v.to_f64_vec(), &var, 1e-12, 1e-12);
    }
    let (m, v) = moments(&x, &[0], true).unwrap();
    assert_eq!((m.shape(), v.shape()), (&[1usize, 5][..], &[1usize, 5][..]));
    // Two passes: a large offset does not destroy a small variance.
    let off = Tensor::from(vec![1e8f64 + 1.0, 1e8 + 2.0, 1e8 + 3.0]);
    assert_close(&reduce_variance(&off, None, false).unwrap().to_f64_vec(), &[2.0 / 3.0], 1e-9, 0.0);
}

// ---------------------------------------------------------------------------------------------
// argmax / argmin.

#[test]
fn argmax_and_argmin() {
    let x = Tensor::from([[1.0f32, 5.0, 5.0, 2.0], [7.0, -1.0, 7.0, -1.0]]);
    assert_eq!(argmax(&x, 1).unwrap().to_vec::<i64>().unwrap(), vec![1, 0], "ties give the first index");
    assert_eq!(argmin(&x, 1).unwrap().to_vec::<i64>().unwrap(), vec![0, 1]);
    assert_eq!(argmax(&x, 0).unwrap().to_vec::<i64>().unwrap(), vec![1, 0, 1, 0]);
    assert_eq!(argmin(&x, -2).unwrap().to_vec::<i64>().unwrap(), vec![0, 1, 0, 1]);
    let i32out = argmax_with_type(&x, 1, DType::I32).unwrap();
    assert_eq!((i32out.dtype(), i32out.to_vec::<i32>().unwrap()), (DType::I32, vec![1, 0]));
    let ints = Tensor::from([[3i64, 9, 9], [i64::MIN, i64::MIN, i64::MIN]]);
    assert_eq!(argmax(&ints, 1).unwrap().to_vec::<i64>().unwrap(), vec![1, 0]);
    assert_eq!(argmin(&ints, 1).unwrap().to_vec::<i64>().unwrap(), vec![0, 0]);
}

#[test]
fn argmax_skips_nan_like_tensorflow() {
    let x = Tensor::from(vec![4.0f32, 5.5, f32::NAN]);
    assert_eq!(argmax(&x, 0).unwrap().item::<i64>().unwrap(), 1);
    let x = Tensor::from(vec![f32::NAN, 1.0, 2.0]);
    assert_eq!(argmax(&x, 0).unwrap().item::<i64>().unwrap(), 2);
    assert_eq!(argmin(&x, 0).unwrap().item::<i64>().unwrap(), 1);
    let x = Tensor::from(vec![f64::NAN; 3]);
    assert_eq!(argmax(&x, 0).unwrap().item::<i64>().unwrap(), 0);
    // Along an outer axis too.
    let x = Tensor::from([[f32::NAN, 1.0], [2.0, f32::NAN], [1.0, 0.0]]);
    assert_eq!(argmax(&x, 0).unwrap().to_vec::<i64>().unwrap(), vec![1, 0]);
}

#[test]
fn argmax_matches_naive_on_large_inputs() {
    for (shape, axis) in [([200usize, 300usize], 0usize), ([200, 300], 1), ([40_000, 2], 0)] {
        let x = int_valued(&shape, 13 + axis as u64);
        let xv = x.to_f64_vec();
        let got = argmax(&x, axis as i64).unwrap().to_vec::<i64>().unwrap();
        let (n, st) = (shape[axis], strides(&shape)[axis]);
        let other = 1 - axis;
        let mut expect = Vec::new();
        for o in 0..shape[other] {
            let base = o * strides(&shape)[other];
            let mut best = 0;
            for j in 1..n {
                if xv[base + j * st] > xv[base + best * st] {
                    best = j;
                }
            }
            expect.push(best as i64);
        }
        assert_eq!(got, expect, "{shape:?} axis {axis}");
    }
}

// ---------------------------------------------------------------------------------------------
// cumsum / cumprod.

fn naive_scan(x: &[f64], shape: &[usize], axis: usize, exclusive: bool, reverse: bool, prod: bool) -> Vec<f64> {
    let st = strides(shape);
    let n = shape[axis];
    let mut out = vec![0.0; x.len()];
    for (i, o) in out.iter_mut().enumerate() {
        let idx = unravel(i, shape);
        let j = idx[axis];
        let mut acc = if prod { 1.0 } else { 0.0 };
        for t in 0..n {
            let inside = if reverse { t > j || (!exclusive && t == j) } else { t < j || (!exclusive && t == j) };
            if inside {
                let v = x[i - j * st[axis] + t * st[axis]];
                acc = if prod { acc * v } else { acc + v };
            }
        }
        *o = acc;
    }
    out
}

#[test]
fn cumsum_and_cumprod_match_naive() {
    let shape = [3, 4, 5];
    let x = f64s(&shape, 14);
    let xv = x.to_f64_vec();
    for axis in 0..3 {
        for (exclusive, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
            let s = cumsum(&x, axis as i64, exclusive, reverse).unwrap();
            assert_eq!(s.shape(), &shape);
            assert_close(&s.to_f64_vec(), &naive_scan(&xv, &shape, axis, exclusive, reverse, false), 1e-12, 1e-12);
            let p = cumprod(&x, axis as i64 - 3, exclusive, reverse).unwrap();
            assert_close(&p.to_f64_vec(), &naive_scan(&xv, &shape, axis, exclusive, reverse, true), 1e-12, 1e-12);
        }
    }
    assert_eq!(
        cumsum(&Tensor::from(vec![1i32, 2, 3]), 0, false, false).unwrap().to_vec::<i32>().unwrap(),
        vec![1, 3, 6]
    );
    assert_eq!(
        cumprod(&Tensor::from(vec![1i64, 2, 3]), 0, true, true).unwrap().to_vec::<i64>().unwrap(),
        vec![6, 3, 1]
    );
}

#[test]
fn large_scans_match_naive() {
    for (shape, axis) in [(vec![50usize, 1000usize], 0usize), (vec![1000, 50], 1), (vec![40, 30, 40], 1)] {
        let x = int_valued(&shape, 15);
        let xv = x.to_f64_vec();
        for (exclusive, reverse) in [(false, false), (true, true)] {
            let got = cumsum(&x, axis as i64, exclusive, reverse).unwrap().to_f64_vec();
            assert_eq!(got, naive_scan(&xv, &shape, axis, exclusive, reverse, false), "{shape:?} {axis}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// top_k.

#[test]
fn top_k_values_and_indices() {
    let x = Tensor::from([[1.0f32, 3.0, 2.0, 3.0, 0.5], [5.0, 4.0, 3.0, 2.0, 1.0]]);
    let (v, i) = top_k(&x, 3, true).unwrap();
    assert_eq!(v.shape(), &[2, 3]);
    assert_eq!(i.dtype(), DType::I32);
    assert_eq!(v.to_vec::<f32>().unwrap(), vec![3.0, 3.0, 2.0, 5.0, 4.0, 3.0]);
    assert_eq!(i.to_vec::<i32>().unwrap(), vec![1, 3, 2, 0, 1, 2], "ties keep the lower index first");
    let (v, i) = top_k(&x, 0, true).unwrap();
    assert_eq!((v.shape(), i.shape()), (&[2usize, 0][..], &[2usize, 0][..]));
    let (v, i) = top_k(&Tensor::from(vec![2i32, 7, 7, -1]), 4, false).unwrap();
    assert_eq!(v.to_vec::<i32>().unwrap(), vec![7, 7, 2, -1]);
    assert_eq!(i.to_vec::<i32>().unwrap(), vec![1, 2, 0, 3]);
    let (v, i) = top_k(&Tensor::from(vec![1.0f64, f64::NAN, 3.0]), 2, true).unwrap();
    assert!(v.to_f64_vec()[0].is_nan() && v.to_f64_vec()[1] == 3.0);
    assert_eq!(i.to_vec::<i32>().unwrap(), vec![1, 2]);
    let nans = Tensor::from(vec![f32::NAN, 2.0, f32::NAN, 5.0, 1.0]);
    for k in [2, 3, 5] {
        let (_, i) = top_k(&nans, k, true).unwrap();
        assert_eq!(i.to_vec::<i32>().unwrap(), vec![0, 2, 3, 1, 4][..k as usize].to_vec(), "k {k}");
    }
}

#[test]
fn top_k_matches_a_full_sort_on_large_inputs() {
    // Small k (scan against the best so far), large k (selection) and k = n (full sort).
    let (rows, n) = (300, 200);
    let x = int_valued(&[rows, n], 16);
    let xv = x.to_f64_vec();
    for k in [1, 7, 50, 200] {
        let (v, i) = top_k(&x, k as i64, true).unwrap();
        let (v, i) = (v.to_f64_vec(), i.to_vec::<i32>().unwrap());
        for r in 0..rows {
            let mut order: Vec<usize> = (0..n).collect();
            // Stable sort by descending value: equal values keep index order.
            order.sort_by(|&a, &b| xv[r * n + b].partial_cmp(&xv[r * n + a]).unwrap());
            for j in 0..k {
                assert_eq!(i[r * k + j] as usize, order[j], "row {r}, k {k}");
                assert_eq!(v[r * k + j], xv[r * n + order[j]]);
            }
        }
    }
}

#[test]
fn gather_and_scatter_along_the_last_axis() {
    let x = Tensor::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let idx = Tensor::from([[2i32, 0], [1, 1]]);
    assert_eq!(gather_last_axis(&x, &idx).unwrap().to_f64_vec(), vec![3.0, 1.0, 5.0, 5.0]);
    let u = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
    assert_eq!(scatter_last_axis(&u, &idx, 3).unwrap().to_f64_vec(), vec![2.0, 0.0, 1.0, 0.0, 7.0, 0.0]);
    let bad = Tensor::from([[3i64, 0], [1, 1]]);
    let e = err_text(gather_last_axis(&x, &bad));
    assert!(e.contains("gather_last_axis") && e.contains("index 3") && e.contains("[0, 3)"), "{e}");
    let e = err_text(scatter_last_axis(&u, &Tensor::from([[-1i32, 0], [1, 1]]), 3));
    assert!(e.contains("scatter_last_axis") && e.contains("index -1"), "{e}");
}

#[test]
fn scatter_last_axis_takes_a_size_known_only_at_run_time_from_a_third_input() {
    use tensile::attrs::{Attr, Attrs};
    use tensile::ops::execute1;
    let (u, idx) = (Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]), Tensor::from([[2i32, 0], [1, 1]]));
    let with_size = |n: i64, like: &Tensor| {
        execute1(&SCATTER_LAST_AXIS, &[u.clone(), idx.clone(), like.clone()], Attrs::new().with("n", Attr::Int(n)))
    };
    // Only the size input's last dimension matters, not its dtype or values.
    let like = Tensor::from(vec![0i64; 4]);
    let out = with_size(-1, &like).unwrap();
    assert_eq!(out.shape(), &[2, 4]);
    assert_eq!(out.to_f64_vec(), vec![2.0, 0.0, 1.0, 0.0, 0.0, 7.0, 0.0, 0.0]);
    assert_eq!(with_size(4, &like).unwrap().to_f64_vec(), out.to_f64_vec());
    let e = err_text(with_size(3, &like));
    assert!(e.contains("scatter_last_axis") && e.contains("n = 3") && e.contains("int64[4]"), "{e}");
    let e = err_text(with_size(-1, &Tensor::from(1.0f32)));
    assert!(e.contains("scatter_last_axis") && e.contains("at least 1 dimension"), "{e}");
    let e = err_text(with_size(-1, &Tensor::from(vec![0i64; 2])));
    assert!(e.contains("scatter_last_axis") && e.contains("index 2") && e.contains("[0, 2)"), "{e}");
    let e = err_text(scatter_last_axis_like(&u, &idx, &Tensor::from(1.0f32)));
    assert!(e.contains("scatter_last_axis"), "{e}");
    let e = err_text(execute1(&SCATTER_LAST_AXIS, &[u.clone(), idx.clone()], Attrs::new().with("n", Attr::Int(-1))));
    assert!(e.contains("n must be non-negative"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Gradients with exact expected values.

fn grad_of(x: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Vec<f64> {
    let x = x.fresh();
    let tape = GradientTape::new();
    let y = tape
        .scope(|t| {
            t.watch(&x);
            f(&x)
        })
        .unwrap()
        .unwrap();
    tape.gradient(&y, &[&x]).unwrap()[0].clone().expect("connected").to_f64_vec()
}

#[test]
fn max_and_min_gradients_split_ties() {
    let x = Tensor::from([[1.0f64, 3.0, 3.0, 3.0], [2.0, 0.0, 2.0, 1.0]]);
    let g = grad_of(&x, |x| reduce_sum(&reduce_max(x, Some(&[1]), false)?, None, false));
    assert_close(&g, &[0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 0.5, 0.0, 0.5, 0.0], 1e-15, 0.0);
    let g = grad_of(&x, |x| reduce_min(x, None, false));
    assert_close(&g, &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], 1e-15, 0.0);
}

#[test]
fn prod_gradient_with_zeros_is_exact() {
    let g = grad_of(&Tensor::from(vec![2.0f64, 0.0, 3.0]), |x| reduce_prod(x, None, false));
    assert_eq!(g, vec![0.0, 6.0, 0.0]);
    let g = grad_of(&Tensor::from(vec![0.0f64, 0.0, 3.0]), |x| reduce_prod(x, None, false));
    assert_eq!(g, vec![0.0, 0.0, 0.0]);
    // Over two non-adjacent axes of a [2, 2, 2] tensor: each entry gets the product of the other
    // three in its group.
    let x = Tensor::from([[[1.0f64, 2.0], [0.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]);
    let g = grad_of(&x, |x| reduce_sum(&reduce_prod(x, Some(&[0, 2]), false)?, None, false));
    let xv = x.to_f64_vec();
    let expect: Vec<f64> = (0..8)
        .map(|i| {
            let j = (i / 2) % 2; // index along the kept axis
            (0..8).filter(|&o| o != i && (o / 2) % 2 == j).map(|o| xv[o]).product()
        })
        .collect();
    assert_eq!(g, expect);
}

#[test]
fn prod_second_derivative() -> Result<()> {
    // f = abc; grad = (bc, ac, ab); d/dx sum(grad) = (b + c, a + c, a + b).
    let x = Tensor::from(vec![2.0f64, 3.0, 5.0]);
    let outer = GradientTape::new();
    let s = outer.scope(|o| -> Result<Tensor> {
        o.watch(&x);
        let inner = GradientTape::new();
        let y = inner.scope(|i| {
            i.watch(&x);
            reduce_prod(&x, None, false)
        })??;
        let g = inner.gradient(&y, &[&x])?[0].clone().expect("connected");
        reduce_sum(&g, None, false)
    })??;
    let d2 = outer.gradient(&s, &[&x])?[0].clone().expect("connected");
    assert_close(&d2.to_f64_vec(), &[8.0, 7.0, 5.0], 1e-12, 0.0);
    Ok(())
}

#[test]
fn other_gradients_have_closed_forms() {
    let x = Tensor::from([[0.5f64, -1.0, 2.0], [1.0, 1.0, 1.0]]);
    let g = grad_of(&x, |x| reduce_sum(&reduce_logsumexp(x, Some(&[1]), false)?, None, false));
    let xv = x.to_f64_vec();
    let mut softmax = Vec::new();
    for r in 0..2 {
        let z: f64 = xv[r * 3..r * 3 + 3].iter().map(|v| v.exp()).sum();
        softmax.extend(xv[r * 3..r * 3 + 3].iter().map(|v| v.exp() / z));
    }
    assert_close(&g, &softmax, 1e-12, 1e-15);
    let g = grad_of(&x, |x| reduce_mean(x, None, false));
    assert_close(&g, &[1.0 / 6.0; 6], 1e-15, 0.0);
    let g = grad_of(&Tensor::from(vec![1.0f64, 2.0, 3.0]), |x| reduce_sum(&cumsum(x, 0, false, false)?, None, false));
    assert_eq!(g, vec![3.0, 2.0, 1.0]);
    let g = grad_of(&Tensor::from(vec![1.0f64, 2.0, 3.0]), |x| reduce_sum(&cumsum(x, 0, true, true)?, None, false));
    assert_eq!(g, vec![0.0, 1.0, 2.0]);
    let g = grad_of(&Tensor::from(vec![1.0f64, 5.0, 3.0, 4.0]), |x| {
        let (v, _) = top_k(x, 2, true)?;
        math::mul(&v, &Tensor::from(vec![10.0f64, 1.0]))
    });
    assert_eq!(g, vec![0.0, 10.0, 0.0, 1.0]);
    let g = grad_of(&Tensor::from(vec![1.0f64, 2.0, 4.0]), |x| reduce_variance(x, None, false));
    // mean = 7/3; d var/dx = 2 (x - mean) / 3.
    assert_close(&g, &[-8.0 / 9.0, -2.0 / 9.0, 10.0 / 9.0], 1e-12, 1e-15);
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[test]
fn axis_errors_name_the_op_operand_and_rank() {
    let x = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let e = err_text(reduce_sum(&x, Some(&[2]), false));
    assert!(
        e.contains("reduce_sum") && e.contains("axis 2") && e.contains("rank 2") && e.contains("float32[2, 3]"),
        "{e}"
    );
    let e = err_text(reduce_max(&x, Some(&[-3]), false));
    assert!(e.contains("reduce_max") && e.contains("[-2, 2)"), "{e}");
    let e = err_text(reduce_mean(&x, Some(&[0, -2]), false));
    assert!(e.contains("reduce_mean") && e.contains("more than once"), "{e}");
    let e = err_text(argmax(&x, 2));
    assert!(e.contains("argmax") && e.contains("rank 2"), "{e}");
    let e = err_text(cumsum(&x, -3, false, false));
    assert!(e.contains("cumsum") && e.contains("axis -3"), "{e}");
    let e = err_text(cumprod(&Tensor::from(1.0f32), 0, false, false));
    assert!(e.contains("cumprod") && e.contains("rank 0"), "{e}");
}

#[test]
fn dtype_errors_name_the_expectation() {
    let b = Tensor::from(vec![true, false]);
    let e = err_text(reduce_sum(&b, None, false));
    assert!(e.contains("reduce_sum") && e.contains("bool") && e.contains("float32"), "{e}");
    let e = err_text(reduce_all(&Tensor::from(vec![1.0f32]), None, false));
    assert!(e.contains("reduce_all") && e.contains("expected dtype bool"), "{e}");
    let e = err_text(reduce_variance(&Tensor::from(vec![1i32, 2]), None, false));
    assert!(e.contains("reduce_variance") && e.contains("int32"), "{e}");
    let e = err_text(reduce_logsumexp(&Tensor::from(vec![1i64]), None, false));
    assert!(e.contains("reduce_logsumexp") && e.contains("int64"), "{e}");
    let e = err_text(argmax_with_type(&Tensor::from(vec![1.0f32]), 0, DType::F32));
    assert!(e.contains("output_type must be int32 or int64"), "{e}");
}

#[test]
fn argmax_of_an_empty_axis_is_an_error() {
    let e = err_text(argmax(&Tensor::from_vec(Vec::<f32>::new(), &[2, 0]).unwrap(), 1));
    assert!(e.contains("argmax") && e.contains("axis 1 is empty") && e.contains("float32[2, 0]"), "{e}");
}

#[test]
fn top_k_errors() {
    let x = Tensor::from([[1.0f32, 2.0, 3.0]]);
    let e = top_k(&x, 4, true).unwrap_err().to_string();
    assert!(
        e.contains("top_k") && e.contains("k = 4") && e.contains("last dimension (3)") && e.contains("float32[1, 3]"),
        "{e}"
    );
    let e = top_k(&x, -1, true).unwrap_err().to_string();
    assert!(e.contains("non-negative"), "{e}");
    let e = top_k(&Tensor::from(2.0f32), 1, true).unwrap_err().to_string();
    assert!(e.contains("at least 1 dimension"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Shape rules with partially known shapes (what the graph tracer sees).

#[test]
fn shape_rules_accept_unknown_dims() {
    let spec = Spec { dtype: DType::F32, dims: [None, Some(3), Some(4)].into_iter().collect() };
    let out = (REDUCE_SUM.infer)(std::slice::from_ref(&spec), &reduction_attrs(Some(&[1]), false)).unwrap();
    assert_eq!(out[0].dims.as_slice(), &[None, Some(4)]);
    let out = (REDUCE_MEAN.infer)(std::slice::from_ref(&spec), &reduction_attrs(Some(&[0]), true)).unwrap();
    assert_eq!(out[0].dims.as_slice(), &[Some(1), Some(3), Some(4)]);
    let out = (TOP_K.infer)(
        std::slice::from_ref(&spec),
        &tensile::attrs::Attrs::new()
            .with("k", tensile::attrs::Attr::Int(2))
            .with("sorted", tensile::attrs::Attr::Bool(true)),
    )
    .unwrap();
    assert_eq!(out[0].dims.as_slice(), &[None, Some(3), Some(2)]);
    assert_eq!(out[1].dtype, DType::I32);
    let unknown_last = Spec { dtype: DType::F64, dims: [Some(2), None].into_iter().collect() };
    let out =
        (TOP_K.infer)(&[unknown_last], &tensile::attrs::Attrs::new().with("k", tensile::attrs::Attr::Int(9))).unwrap();
    assert_eq!(out[0].dims.as_slice(), &[Some(2), Some(9)]);
    let out = (ARGMAX.infer)(
        &[spec],
        &tensile::attrs::Attrs::new()
            .with("axis", tensile::attrs::Attr::Int(-1))
            .with("output_type", tensile::attrs::Attr::DType(DType::I64)),
    )
    .unwrap();
    assert_eq!((out[0].dtype, out[0].dims.as_slice()), (DType::I64, &[None, Some(3)][..]));
}

#[test]
fn top_k_with_a_run_time_k() -> Result<()> {
    let specs = [
        Spec { dtype: DType::F32, dims: [Some(2), None].into_iter().collect() },
        Spec { dtype: DType::I32, dims: Default::default() },
    ];
    let options = tensile::function::TraceOptions { root: true, allow_variable_creation: false };
    let traced = tensile::function::trace_graph(&specs, options, |a| {
        let (v, i) = top_k_dynamic(&a[0], &a[1], true)?;
        assert_eq!(v.dims().as_slice(), &[Some(2), None]);
        Ok(vec![v, i])
    })?;
    let x = Tensor::from([[3.0f32, 1.0, 4.0], [5.0, 9.0, 2.0]]);
    let run = |k: i32| tensile::graph::exec::run(&traced.graph, &[x.clone(), Tensor::from(k)], &traced.variables);
    let out = run(2)?;
    assert_eq!(out[0].to_vec::<f32>()?, vec![4.0, 3.0, 9.0, 5.0]);
    assert_eq!(out[1].to_vec::<i32>()?, vec![2, 0, 1, 0]);
    assert_eq!(run(0)?[0].shape(), &[2, 0]);
    for k in [4, -1] {
        let e = run(k).unwrap_err().to_string();
        assert!(e.contains("top_k") && e.contains(&format!("k = {k} must be in [0, 3]")), "{e}");
    }
    let e = top_k_dynamic(&x, &Tensor::from(vec![1i32]), true).unwrap_err().to_string();
    assert!(e.contains("scalar k"), "{e}");
    Ok(())
}
