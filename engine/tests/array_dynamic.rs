//! Array functions with sizes known only at run time (`tensile::ops::array_dynamic`): traced
//! with the sizes as graph inputs, they compute what the static ops compute eagerly, their
//! gradients equal the eager gradients, and bad sizes fail when the graph runs.

use tensile::function::{trace_graph, TraceOptions};
use tensile::graph::exec;
use tensile::ops::array::{self, RUN_TIME_DIM};
use tensile::ops::array_dynamic::{broadcast_to_dynamic, eye_dynamic, one_hot_dynamic, pad_dynamic, tile_dynamic};
use tensile::ops::Spec;
use tensile::prelude::*;
use tensile::testing::test_tensor;

/// Runs `f` traced: `x` with every dim unknown, then the int32 `sizes` as a run-time input.
fn traced(x: &Tensor, sizes: &Tensor, f: impl Fn(&Tensor, &Tensor) -> Result<Vec<Tensor>>) -> Result<Vec<Tensor>> {
    let specs = [
        Spec { dtype: x.dtype(), dims: x.shape().iter().map(|_| None).collect() },
        Spec { dtype: sizes.dtype(), dims: sizes.shape().iter().map(|_| None).collect() },
    ];
    let t = trace_graph(&specs, TraceOptions { root: true, allow_variable_creation: false }, |a| f(&a[0], &a[1]))?;
    let mut feeds = vec![x.clone(), sizes.clone()];
    feeds.extend(t.captures.iter().cloned());
    exec::run(&t.graph, &feeds, &t.variables)
}

/// `sum(f(x) * w)` and its gradient with respect to `x`.
fn loss_and_grad(x: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Vec<Tensor>> {
    let tape = GradientTape::new();
    let y = tape.scope(|t| -> Result<Tensor> {
        t.watch(x);
        let y = f(x)?;
        // Weights 0, 1, 2, ... in y's (run-time) shape tell the elements apart.
        let count = array::range_dynamic(&Tensor::from(0i32), &array::size(&y)?, &Tensor::from(1i32))?;
        let w = array::reshape_dynamic(&cast(&count, DType::F64)?, &array::shape(&y)?, &vec![RUN_TIME_DIM; y.rank()])?;
        reduce_sum(&(&y * &w)?, None, false)
    })??;
    let g = tape.gradient(&y, &[x])?[0].clone().unwrap();
    Ok(vec![y, g])
}

#[test]
fn tile_with_run_time_multiples_equals_tile() -> Result<()> {
    for (shape, multiples) in
        [(vec![2, 3], vec![2i32, 1]), (vec![3], vec![0]), (vec![1, 2, 2], vec![3, 2, 1]), (vec![0, 2], vec![2, 2])]
    {
        let x = test_tensor(&shape, 7, -1.0, 1.0);
        let m = Tensor::from(multiples.clone());
        let want = array::tile(&x, &multiples.iter().map(|&v| v as i64).collect::<Vec<_>>())?;
        let got = traced(&x, &m, |x, m| Ok(vec![tile_dynamic(x, m)?]))?;
        assert_eq!((got[0].shape(), got[0].to_f64_vec()), (want.shape(), want.to_f64_vec()), "{shape:?} {multiples:?}");
        // The gradient sums the copies back (the weights tell them apart).
        let eager = loss_and_grad(&x, |x| array::tile(x, &multiples.iter().map(|&v| v as i64).collect::<Vec<_>>()))?;
        let grads = traced(&x, &m, |x, m| loss_and_grad(x, |x| tile_dynamic(x, m)))?;
        assert_eq!(grads[0].to_f64_vec(), eager[0].to_f64_vec());
        assert_eq!(grads[1].to_f64_vec(), eager[1].to_f64_vec());
    }
    let x = test_tensor(&[2, 2], 8, -1.0, 1.0);
    let e = traced(&x, &Tensor::from(vec![1i32, -1]), |x, m| Ok(vec![tile_dynamic(x, m)?])).unwrap_err();
    assert!(e.message.contains("negative"), "{e}");
    let e = tile_dynamic(&x, &Tensor::from(vec![1i32, 2, 3])).unwrap_err();
    assert!(e.to_string().contains("tile") && e.message.contains("vector of 2"), "{e}");
    Ok(())
}

#[test]
fn broadcast_to_a_run_time_shape_equals_broadcast_to() -> Result<()> {
    let x = test_tensor(&[3, 1], 9, -1.0, 1.0);
    for target in [vec![3i32, 4], vec![2, 3, 2], vec![3, 0]] {
        let t = Tensor::from(target.clone());
        let known = vec![RUN_TIME_DIM; target.len()];
        let shape: Vec<usize> = target.iter().map(|&d| d as usize).collect();
        let want = array::broadcast_to(&x, &shape)?;
        let got = traced(&x, &t, |x, t| Ok(vec![broadcast_to_dynamic(x, t, &known)?]))?;
        assert_eq!((got[0].shape(), got[0].to_f64_vec()), (want.shape(), want.to_f64_vec()), "{target:?}");
        let eager = loss_and_grad(&x, |x| array::broadcast_to(x, &shape))?;
        let grads = traced(&x, &t, |x, t| loss_and_grad(x, |x| broadcast_to_dynamic(x, t, &known)))?;
        assert_eq!(grads[1].to_f64_vec(), eager[1].to_f64_vec(), "{target:?}");
    }
    // [3, 1] does not broadcast to [2, 4] (nor would adding the two shapes give [2, 4]).
    let known = [RUN_TIME_DIM; 2];
    let e = traced(&x, &Tensor::from(vec![2i32, 4]), |x, t| Ok(vec![broadcast_to_dynamic(x, t, &known)?])).unwrap_err();
    assert!(e.message.contains("[3, 1]") || e.message.contains("[2, 4]"), "{e}");
    // A shape that is a broadcast of x's but not x's broadcast to it: [1, 1] would need x smaller.
    let e = traced(&x, &Tensor::from(vec![1i32, 1]), |x, t| Ok(vec![broadcast_to_dynamic(x, t, &known)?])).unwrap_err();
    assert!(e.message.contains("does not match") || e.message.contains("reshape"), "{e}");
    Ok(())
}

#[test]
fn one_hot_and_eye_with_run_time_sizes() -> Result<()> {
    let labels = Tensor::from(vec![2i64, 0, -1, 5]);
    for depth in [3i32, 6, 0] {
        let want = array::one_hot(&labels, depth as i64, 2.5, -1.0, -1, DType::F32)?;
        let got =
            traced(&labels, &Tensor::from(depth), |l, d| Ok(vec![one_hot_dynamic(l, d, 2.5, -1.0, -1, DType::F32)?]))?;
        assert_eq!((got[0].shape(), got[0].to_f64_vec()), (want.shape(), want.to_f64_vec()), "depth {depth}");
    }
    // The new axis anywhere, on rank-2 indices.
    let grid = Tensor::from_vec(vec![1i32, 0, 3, 2, -1, 1], &[2, 3])?;
    for axis in [-1i64, 0, 1, 2] {
        let want = array::one_hot(&grid, 4, 1.0, 0.0, axis, DType::F64)?;
        let got =
            traced(&grid, &Tensor::from(4i32), |l, d| Ok(vec![one_hot_dynamic(l, d, 1.0, 0.0, axis, DType::F64)?]))?;
        assert_eq!((got[0].shape(), got[0].to_f64_vec()), (want.shape(), want.to_f64_vec()), "axis {axis}");
    }
    let e = one_hot_dynamic(&grid, &Tensor::from(4i32), 1.0, 0.0, 3, DType::F32).unwrap_err();
    assert!(e.message.contains("axis") && e.message.contains("[0, 2]"), "{e}");
    let e = traced(&labels, &Tensor::from(-1i32), |l, d| Ok(vec![one_hot_dynamic(l, d, 1.0, 0.0, -1, DType::F32)?]))
        .unwrap_err();
    assert!(e.message.contains("negative"), "{e}");
    let e = one_hot_dynamic(&Tensor::from(vec![1.0f32]), &Tensor::from(2i32), 1.0, 0.0, -1, DType::F32).unwrap_err();
    assert!(e.message.contains("int32 or int64") && e.message.contains("float32"), "{e}");

    let rows = Tensor::from(3i64);
    for cols in [None, Some(5i64), Some(1)] {
        let want = array::eye(3, cols.map(|c| c as usize), DType::I32)?;
        let got = traced(&rows, &Tensor::from(cols.unwrap_or(3)), |r, c| {
            Ok(vec![eye_dynamic(r, cols.map(|_| c), DType::I32)?])
        })?;
        assert_eq!((got[0].shape(), got[0].to_f64_vec()), (want.shape(), want.to_f64_vec()), "{cols:?}");
    }
    let e = eye_dynamic(&Tensor::from(vec![2i32]), None, DType::F32).unwrap_err();
    assert!(e.message.contains("num_rows") && e.message.contains("scalar"), "{e}");
    Ok(())
}

#[test]
fn pad_with_run_time_paddings_equals_pad() -> Result<()> {
    let x = test_tensor(&[2, 3], 10, -1.0, 1.0);
    for pairs in [[[1i32, 0], [2, 1]], [[0, 0], [0, 0]], [[3, 2], [0, 4]]] {
        let pt = Tensor::from(pairs);
        let static_pairs: Vec<[i64; 2]> = pairs.iter().map(|p| [p[0] as i64, p[1] as i64]).collect();
        let want = array::pad(&x, &static_pairs, "CONSTANT", 0.5)?;
        let got = traced(&x, &pt, |x, p| Ok(vec![pad_dynamic(x, p, 0.5)?]))?;
        assert_eq!((got[0].shape(), got[0].to_f64_vec()), (want.shape(), want.to_f64_vec()), "{pairs:?}");
        let eager = loss_and_grad(&x, |x| array::pad(x, &static_pairs, "CONSTANT", 0.5))?;
        let grads = traced(&x, &pt, |x, p| loss_and_grad(x, |x| pad_dynamic(x, p, 0.5)))?;
        assert_eq!(grads[1].to_f64_vec(), eager[1].to_f64_vec(), "{pairs:?}");
    }
    let e = traced(&x, &Tensor::from([[0i32, -1], [0, 0]]), |x, p| Ok(vec![pad_dynamic(x, p, 0.0)?])).unwrap_err();
    assert!(e.message.contains("negative"), "{e}");
    let e = pad_dynamic(&x, &Tensor::from([[0i32, 1]]), 0.0).unwrap_err();
    assert!(e.message.contains("[2, 2]") && e.message.contains("int32[1, 2]"), "{e}");
    Ok(())
}
