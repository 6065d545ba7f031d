//! Shape and construction ops: values against hand-computed or naive references, errors,
//! multi-output gradients, and stop_gradient.

use proptest::prelude::*;
use tensile::ops::array::{self, Split};
use tensile::ops::math;
use tensile::prelude::*;
use tensile::testing::assert_close;

fn f32t(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

fn f64t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

fn i32t(v: &[i32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

fn iota(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n as i64).collect::<Vec<i64>>(), shape).unwrap()
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.to_f64_vec()
}

/// Asserts that `r` is an error whose message contains every one of `needles`.
fn expect_err<T: std::fmt::Debug>(r: Result<T>, needles: &[&str]) {
    let e = r.expect_err("expected an error");
    let msg = e.to_string();
    for n in needles {
        assert!(msg.contains(n), "error message {msg:?} does not mention {n:?}");
    }
}

// ---------- naive references: plain index arithmetic ----------

fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

fn naive_transpose(v: &[i64], shape: &[usize], perm: &[usize]) -> (Vec<i64>, Vec<usize>) {
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let n: usize = out_shape.iter().product();
    let out = (0..n)
        .map(|o| {
            let oi = unravel(o, &out_shape);
            let mut ii = vec![0; shape.len()];
            for (k, &p) in perm.iter().enumerate() {
                ii[p] = oi[k];
            }
            v[ravel(&ii, shape)]
        })
        .collect();
    (out, out_shape)
}

fn naive_concat(parts: &[(Vec<i64>, Vec<usize>)], axis: usize) -> (Vec<i64>, Vec<usize>) {
    let mut out_shape = parts[0].1.clone();
    out_shape[axis] = parts.iter().map(|p| p.1[axis]).sum();
    let n: usize = out_shape.iter().product();
    let out = (0..n)
        .map(|o| {
            let mut idx = unravel(o, &out_shape);
            let mut k = 0;
            while idx[axis] >= parts[k].1[axis] {
                idx[axis] -= parts[k].1[axis];
                k += 1;
            }
            parts[k].0[ravel(&idx, &parts[k].1)]
        })
        .collect();
    (out, out_shape)
}

fn naive_tile(v: &[i64], shape: &[usize], multiples: &[usize]) -> (Vec<i64>, Vec<usize>) {
    let out_shape: Vec<usize> = shape.iter().zip(multiples).map(|(s, m)| s * m).collect();
    let n: usize = out_shape.iter().product();
    let out = (0..n)
        .map(|o| {
            let idx: Vec<usize> = unravel(o, &out_shape).iter().zip(shape).map(|(i, s)| i % s).collect();
            v[ravel(&idx, shape)]
        })
        .collect();
    (out, out_shape)
}

fn check_transpose(shape: &[usize], perm: &[usize]) {
    let x = iota(shape);
    let p: Vec<i64> = perm.iter().map(|&d| d as i64).collect();
    let y = array::transpose(&x, Some(&p)).unwrap();
    let (want, want_shape) = naive_transpose(&x.to_vec::<i64>().unwrap(), shape, perm);
    assert_eq!(y.shape(), want_shape.as_slice(), "shape {shape:?} perm {perm:?}");
    assert_eq!(y.to_vec::<i64>().unwrap(), want, "shape {shape:?} perm {perm:?}");
}

// ---------- transpose ----------

#[test]
fn transpose_matrix_and_default_perm() -> Result<()> {
    let x = f32t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    let y = array::transpose(&x, None)?;
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(y.to_vec::<f32>()?, vec![1., 4., 2., 5., 3., 6.]);
    // None reverses all axes of a 3-D tensor: y[k][j][i] = x[i][j][k].
    let x = iota(&[2, 3, 2]);
    let y = array::transpose(&x, None)?;
    assert_eq!(y.shape(), &[2, 3, 2]);
    assert_eq!(y.to_vec::<i64>()?, vec![0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11]);
    Ok(())
}

#[test]
fn transpose_3d_perms() -> Result<()> {
    let x = iota(&[2, 3, 4]);
    // perm [1, 0, 2]: y[j][i][k] = x[i][j][k] = 12i + 4j + k.
    let y = array::transpose(&x, Some(&[1, 0, 2]))?;
    assert_eq!(y.shape(), &[3, 2, 4]);
    let mut want = Vec::new();
    for j in 0..3 {
        for i in 0..2 {
            for k in 0..4 {
                want.push(12 * i + 4 * j + k);
            }
        }
    }
    assert_eq!(y.to_vec::<i64>()?, want);
    // perm [2, 0, 1]: y[k][i][j].
    let y = array::transpose(&x, Some(&[2, 0, 1]))?;
    assert_eq!(y.shape(), &[4, 2, 3]);
    assert_eq!(&y.to_vec::<i64>()?[..6], &[0, 4, 8, 12, 16, 20]);
    Ok(())
}

#[test]
fn transpose_other_dtypes_and_degenerate_shapes() -> Result<()> {
    let b = Tensor::from_vec(vec![true, false, false, true, true, false], &[3, 2])?;
    assert_eq!(array::transpose(&b, None)?.to_vec::<bool>()?, vec![true, false, true, false, true, false]);
    let s = Tensor::from(7i32);
    assert_eq!(array::transpose(&s, None)?.item::<i32>()?, 7);
    let e = Tensor::from_vec(Vec::<f32>::new(), &[0, 3])?;
    assert_eq!(array::transpose(&e, None)?.shape(), &[3, 0]);
    // Moving only size-1 axes keeps the order of the elements.
    let x = iota(&[1, 4, 1]);
    let y = array::transpose(&x, Some(&[2, 1, 0]))?;
    assert_eq!(y.shape(), &[1, 4, 1]);
    assert_eq!(y.to_vec::<i64>()?, vec![0, 1, 2, 3]);
    Ok(())
}

#[test]
fn transpose_large_inputs_match_reference() {
    // Sizes above the parallel threshold: 2-D blocked, batched (per-matrix and across
    // batches) and the general strided path.
    check_transpose(&[300, 257], &[1, 0]);
    check_transpose(&[2, 200, 170], &[0, 2, 1]);
    check_transpose(&[6, 90, 70], &[0, 2, 1]);
    check_transpose(&[20, 30, 60], &[2, 1, 0]);
    check_transpose(&[10, 12, 14, 16], &[1, 3, 0, 2]);
}

#[test]
fn transpose_errors_name_perm_and_input() {
    let x = f32t(&[0.0; 6], &[2, 3]);
    expect_err(array::transpose(&x, Some(&[0])), &["transpose", "[0]", "float32[2, 3]", "expected 2"]);
    expect_err(array::transpose(&x, Some(&[0, 0])), &["transpose", "[0, 0]", "appears twice"]);
    expect_err(array::transpose(&x, Some(&[0, 2])), &["transpose", "2 is out of range [0, 2)"]);
    expect_err(array::transpose(&x, Some(&[-1, 0])), &["transpose", "-1 is out of range"]);
}

#[test]
fn reshape_rejects_overflowing_targets() {
    let x = Tensor::from_vec(Vec::<f32>::new(), &[0]).unwrap();
    expect_err(array::reshape(&x, &[1 << 40, 1 << 40]), &["reshape", "is too large"]);
}

// ---------- expand_dims / squeeze ----------

#[test]
fn expand_dims_positions() -> Result<()> {
    let x = f32t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    assert_eq!(array::expand_dims(&x, 0)?.shape(), &[1, 2, 3]);
    assert_eq!(array::expand_dims(&x, 2)?.shape(), &[2, 3, 1]);
    assert_eq!(array::expand_dims(&x, -1)?.shape(), &[2, 3, 1]);
    assert_eq!(array::expand_dims(&x, -3)?.shape(), &[1, 2, 3]);
    assert_eq!(array::expand_dims(&x, 1)?.to_vec::<f32>()?, x.to_vec::<f32>()?);
    assert_eq!(array::expand_dims(&Tensor::from(1.0f32), 0)?.shape(), &[1]);
    expect_err(array::expand_dims(&x, 3), &["expand_dims", "axis 3", "float32[2, 3]", "[-3, 2]"]);
    expect_err(array::expand_dims(&x, -4), &["expand_dims", "axis -4"]);
    Ok(())
}

#[test]
fn squeeze_all_or_listed_axes() -> Result<()> {
    let x = iota(&[1, 2, 1, 3, 1]);
    assert_eq!(array::squeeze(&x, None)?.shape(), &[2, 3]);
    assert_eq!(array::squeeze(&x, Some(&[0, -1]))?.shape(), &[2, 1, 3]);
    assert_eq!(array::squeeze(&x, Some(&[2]))?.to_vec::<i64>()?, (0..6).collect::<Vec<_>>());
    assert_eq!(array::squeeze(&iota(&[1, 1]), None)?.shape(), &[] as &[usize]);
    expect_err(
        array::squeeze(&x, Some(&[1])),
        &["squeeze", "axis 1", "int64[1, 2, 1, 3, 1]", "expected a dimension of size 1, got 2"],
    );
    expect_err(array::squeeze(&x, Some(&[5])), &["squeeze", "axis 5 is out of range"]);
    Ok(())
}

// ---------- concat / stack / unstack / split ----------

#[test]
fn concat_values() -> Result<()> {
    let a = i32t(&[1, 2, 3, 4, 5, 6], &[2, 3]);
    let b = i32t(&[7, 8, 9, 10, 11, 12], &[2, 3]);
    let r0 = array::concat(&[a.clone(), b.clone()], 0)?;
    assert_eq!(r0.shape(), &[4, 3]);
    assert_eq!(r0.to_vec::<i32>()?, (1..=12).collect::<Vec<_>>());
    let r1 = array::concat(&[a.clone(), b.clone()], -1)?;
    assert_eq!(r1.shape(), &[2, 6]);
    assert_eq!(r1.to_vec::<i32>()?, vec![1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12]);
    // Different sizes along the axis, and a single input.
    let c = i32t(&[0, 0], &[2, 1]);
    assert_eq!(array::concat(&[c, a.clone()], 1)?.to_vec::<i32>()?, vec![0, 1, 2, 3, 0, 4, 5, 6]);
    assert_eq!(array::concat(std::slice::from_ref(&a), 0)?.to_vec::<i32>()?, a.to_vec::<i32>()?);
    Ok(())
}

#[test]
fn concat_errors_name_both_shapes() {
    let a = f32t(&[0.0; 6], &[2, 3]);
    let b = f32t(&[0.0; 12], &[3, 4]);
    expect_err(
        array::concat(&[a.clone(), b], 0),
        &["concat", "float32[2, 3]", "float32[3, 4]", "dimension 1 must be equal (3 vs 4)"],
    );
    let c = Tensor::from_vec(vec![0.0f64; 6], &[2, 3]).unwrap();
    expect_err(array::concat(&[a.clone(), c], 0), &["concat", "float32[2, 3]", "float64[2, 3]", "dtypes must match"]);
    let d = f32t(&[0.0; 3], &[3]);
    expect_err(array::concat(&[a.clone(), d], 0), &["concat", "ranks must match"]);
    expect_err(array::concat(&[], 0), &["concat", "at least one"]);
    expect_err(array::concat(&[Tensor::from(1.0f32)], 0), &["concat", "scalars"]);
    expect_err(array::concat(&[a], 2), &["concat", "axis 2 is out of range"]);
}

#[test]
fn stack_and_unstack_round_trip() -> Result<()> {
    let a = i32t(&[1, 2, 3], &[3]);
    let b = i32t(&[4, 5, 6], &[3]);
    let s = array::stack(&[a.clone(), b.clone()], 1)?;
    assert_eq!(s.shape(), &[3, 2]);
    assert_eq!(s.to_vec::<i32>()?, vec![1, 4, 2, 5, 3, 6]);
    let parts = array::unstack(&s, 1)?;
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].to_vec::<i32>()?, vec![1, 2, 3]);
    assert_eq!(parts[1].to_vec::<i32>()?, vec![4, 5, 6]);
    let rows = array::unstack(&iota(&[2, 3, 2]), 0)?;
    assert_eq!(rows[1].shape(), &[3, 2]);
    assert_eq!(rows[1].to_vec::<i64>()?, vec![6, 7, 8, 9, 10, 11]);
    let mid = array::unstack(&iota(&[2, 3, 2]), -2)?;
    assert_eq!(mid.len(), 3);
    assert_eq!(mid[2].to_vec::<i64>()?, vec![4, 5, 10, 11]);
    assert!(array::unstack(&iota(&[0, 2]), 0)?.is_empty());
    expect_err(array::unstack(&Tensor::from(1.0f32), 0), &["unstack", "rank 0"]);
    expect_err(array::unstack(&iota(&[2]), 1), &["unstack", "axis 1 is out of range"]);
    Ok(())
}

#[test]
fn split_equal_and_sized() -> Result<()> {
    let x = iota(&[2, 6]);
    let p = array::split(&x, Split::Num(3), 1)?;
    assert_eq!(p.len(), 3);
    assert_eq!(p[1].shape(), &[2, 2]);
    assert_eq!(p[1].to_vec::<i64>()?, vec![2, 3, 8, 9]);
    let p = array::split(&x, Split::Sizes(vec![1, -1, 2]), -1)?;
    let shapes: Vec<&[usize]> = p.iter().map(|t| t.shape()).collect();
    assert_eq!(shapes, vec![&[2, 1][..], &[2, 3], &[2, 2]]);
    assert_eq!(p[0].to_vec::<i64>()?, vec![0, 6]);
    assert_eq!(p[1].to_vec::<i64>()?, vec![1, 2, 3, 7, 8, 9]);
    assert_eq!(p[2].to_vec::<i64>()?, vec![4, 5, 10, 11]);
    let p = array::split(&x, Split::Sizes(vec![0, 2]), 0)?;
    assert_eq!(p[0].shape(), &[0, 6]);
    assert_eq!(p[1].to_vec::<i64>()?, x.to_vec::<i64>()?);
    Ok(())
}

#[test]
fn split_errors() {
    let x = f32t(&[0.0; 12], &[2, 6]);
    expect_err(
        array::split(&x, Split::Sizes(vec![2, 3]), 1),
        &["split", "float32[2, 6]", "[2, 3]", "sum to 5", "size 6"],
    );
    expect_err(array::split(&x, Split::Sizes(vec![4, 3, -1]), 1), &["split", "more than the axis size 6"]);
    expect_err(array::split(&x, Split::Sizes(vec![-1, -1]), 1), &["split", "only one size may be -1"]);
    expect_err(array::split(&x, Split::Sizes(vec![8, -2]), 1), &["split", "-2 is negative"]);
    expect_err(array::split(&x, Split::Num(4), 1), &["split", "float32[2, 6]", "size 6", "4 equal pieces"]);
    expect_err(array::split(&x, Split::Num(0), 1), &["split", "must be positive"]);
    expect_err(array::split(&x, Split::Num(2), 2), &["split", "axis 2 is out of range"]);
}

#[test]
fn split_with_run_time_sizes() -> Result<()> {
    // The sizes a traced concat's gradient learns only when the graph runs.
    let x = i32t(&(0..12).collect::<Vec<_>>(), &[2, 6]);
    let rt = array::RUN_TIME_DIM;
    let p = array::split_dynamic(&x, &Tensor::from(vec![1i32, 0, 5]), &[rt, 0, rt], 1)?;
    assert_eq!(p.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>(), vec![vec![2, 1], vec![2, 0], vec![2, 5]]);
    assert_eq!(p[0].to_vec::<i32>()?, vec![0, 6]);
    assert_eq!(p[2].to_vec::<i32>()?, vec![1, 2, 3, 4, 5, 7, 8, 9, 10, 11]);
    let sizes = |v: Vec<i64>| Tensor::from(v);
    expect_err(array::split_dynamic(&x, &sizes(vec![2, 3]), &[rt, rt], 1), &["split", "[2, 3]", "sum to 5"]);
    expect_err(array::split_dynamic(&x, &sizes(vec![4, 2]), &[rt, 3], 1), &["split", "does not match"]);
    expect_err(array::split_dynamic(&x, &sizes(vec![8, -2]), &[rt, rt], 1), &["split", "negative"]);
    expect_err(array::split_dynamic(&x, &sizes(vec![6]), &[rt, rt], 1), &["split", "shape"]);
    Ok(())
}

#[test]
fn range_of_scalar_tensors() -> Result<()> {
    let r = array::range_dynamic(&Tensor::from(7i32), &Tensor::from(-2i32), &Tensor::from(-3i32))?;
    assert_eq!(r.to_vec::<i32>()?, vec![7, 4, 1]);
    let r = array::range_dynamic(&Tensor::from(0.5f64), &Tensor::from(1.75f64), &Tensor::from(0.5f64))?;
    assert_eq!(r.to_vec::<f64>()?, vec![0.5, 1.0, 1.5]);
    // Inside a traced function the length is a run-time dimension.
    let f = tensile::function::Function::of_tensors("r", Default::default(), |a| {
        let r = array::range_dynamic(&Tensor::from(0i32), &a[0], &Tensor::from(2i32))?;
        assert_eq!(r.dims().as_slice(), &[None]);
        Ok(vec![r])
    });
    assert_eq!(f.call_tensors(&[&Tensor::from(5i32)])?[0].to_vec::<i32>()?, vec![0, 2, 4]);
    assert_eq!(f.call_tensors(&[&Tensor::from(2i32)])?[0].to_vec::<i32>()?, vec![0]);
    let e = f.call_tensors(&[&Tensor::from(2.0f32)]).unwrap_err();
    assert!(e.message.contains("one dtype") && e.message.contains("float32"), "{e}");
    expect_err(array::range_dynamic(&Tensor::from(0i32), &Tensor::from(5i32), &Tensor::from(0i32)), &["range"]);
    expect_err(array::range_dynamic(&Tensor::from(0i32), &Tensor::from([5i32]), &Tensor::from(1i32)), &["scalars"]);
    Ok(())
}

// ---------- tile / pad ----------

#[test]
fn tile_values() -> Result<()> {
    let x = i32t(&[1, 2, 3, 4], &[2, 2]);
    let y = array::tile(&x, &[2, 3])?;
    assert_eq!(y.shape(), &[4, 6]);
    assert_eq!(
        y.to_vec::<i32>()?,
        vec![
            1, 2, 1, 2, 1, 2, //
            3, 4, 3, 4, 3, 4, //
            1, 2, 1, 2, 1, 2, //
            3, 4, 3, 4, 3, 4,
        ]
    );
    assert_eq!(array::tile(&x, &[1, 0])?.shape(), &[2, 0]);
    assert_eq!(array::tile(&Tensor::from(5.0f32), &[])?.item::<f32>()?, 5.0);
    expect_err(array::tile(&x, &[2]), &["tile", "[2]", "int32[2, 2]", "rank 2"]);
    expect_err(array::tile(&x, &[2, -1]), &["tile", "non-negative"]);
    expect_err(array::tile(&x, &[i64::MAX, 3]), &["tile", "int32", "does not fit in memory"]);
    expect_err(array::tile(&i32t(&[1, 2, 3], &[3]), &[i64::MAX]), &["tile", "int32[3]", "overflow"]);
    Ok(())
}

#[test]
fn pad_modes_match_tensorflow_examples() -> Result<()> {
    // The examples of tf.pad's documentation.
    let t = i32t(&[1, 2, 3, 4, 5, 6], &[2, 3]);
    let p = [[1, 1], [2, 2]];
    let c = array::pad(&t, &p, "CONSTANT", 0.0)?;
    assert_eq!(c.shape(), &[4, 7]);
    #[rustfmt::skip]
    assert_eq!(c.to_vec::<i32>()?, vec![
        0, 0, 0, 0, 0, 0, 0,
        0, 0, 1, 2, 3, 0, 0,
        0, 0, 4, 5, 6, 0, 0,
        0, 0, 0, 0, 0, 0, 0,
    ]);
    let r = array::pad(&t, &p, "REFLECT", 0.0)?;
    #[rustfmt::skip]
    assert_eq!(r.to_vec::<i32>()?, vec![
        6, 5, 4, 5, 6, 5, 4,
        3, 2, 1, 2, 3, 2, 1,
        6, 5, 4, 5, 6, 5, 4,
        3, 2, 1, 2, 3, 2, 1,
    ]);
    let s = array::pad(&t, &p, "symmetric", 0.0)?;
    #[rustfmt::skip]
    assert_eq!(s.to_vec::<i32>()?, vec![
        2, 1, 1, 2, 3, 3, 2,
        2, 1, 1, 2, 3, 3, 2,
        5, 4, 4, 5, 6, 6, 5,
        5, 4, 4, 5, 6, 6, 5,
    ]);
    let f = array::pad(&f32t(&[1.0, 2.0], &[2]), &[[0, 2]], "CONSTANT", -1.5)?;
    assert_eq!(f.to_vec::<f32>()?, vec![1.0, 2.0, -1.5, -1.5]);
    Ok(())
}

#[test]
fn pad_large_input_matches_reference() -> Result<()> {
    // Above the parallel threshold; checks every element against the mirror rule.
    let (h, w) = (150, 230);
    let x = iota(&[h, w]);
    let y = array::pad(&x, &[[3, 5], [7, 2]], "SYMMETRIC", 0.0)?;
    let (oh, ow) = (h + 8, w + 9);
    assert_eq!(y.shape(), &[oh, ow]);
    let mirror = |p: i64, n: i64| {
        if p < 0 {
            -p - 1
        } else if p >= n {
            2 * n - 1 - p
        } else {
            p
        }
    };
    let got = y.to_vec::<i64>()?;
    for i in 0..oh {
        for j in 0..ow {
            let si = mirror(i as i64 - 3, h as i64);
            let sj = mirror(j as i64 - 7, w as i64);
            assert_eq!(got[i * ow + j], si * w as i64 + sj, "at ({i}, {j})");
        }
    }
    Ok(())
}

#[test]
fn pad_grad_sums_mirrored_elements() -> Result<()> {
    // REFLECT [a, b, c] by [2, 2] gives [c, b, a, b, c, b, a].
    let g = f64t(&[1., 2., 3., 4., 5., 6., 7.], &[7]);
    let dx = array::pad_grad(&g, &[[2, 2]], "REFLECT")?;
    assert_eq!(dx.to_vec::<f64>()?, vec![3. + 7., 2. + 4. + 6., 1. + 5.]);
    // SYMMETRIC [a, b, c] by [2, 1] gives [b, a, a, b, c, c].
    let g = f64t(&[1., 2., 3., 4., 5., 6.], &[6]);
    let dx = array::pad_grad(&g, &[[2, 1]], "SYMMETRIC")?;
    assert_eq!(dx.to_vec::<f64>()?, vec![2. + 3., 1. + 4., 5. + 6.]);
    // CONSTANT crops.
    let g = iota(&[3, 4]);
    assert_eq!(array::pad_grad(&g, &[[1, 1], [1, 2]], "CONSTANT")?.to_vec::<i64>()?, vec![5]);
    expect_err(array::pad_grad(&g, &[[2, 2], [0, 0]], "CONSTANT"), &["pad_grad", "do not fit", "int64[3, 4]"]);
    Ok(())
}

#[test]
fn pad_errors() {
    let x = f32t(&[0.0; 6], &[2, 3]);
    expect_err(
        array::pad(&x, &[[1, 1]], "CONSTANT", 0.0),
        &["pad", "[[1, 1]]", "float32[2, 3]", "one [before, after] pair"],
    );
    expect_err(array::pad(&x, &[[1, 1], [-1, 0]], "CONSTANT", 0.0), &["pad", "non-negative"]);
    expect_err(
        array::pad(&x, &[[0, 0], [3, 0]], "REFLECT", 0.0),
        &["pad", "float32[2, 3]", "REFLECT", "axis 1 has size 3", "at most 2"],
    );
    expect_err(array::pad(&x, &[[0, 0], [4, 0]], "SYMMETRIC", 0.0), &["pad", "SYMMETRIC", "at most 3"]);
    expect_err(
        array::pad(&x, &[[0, i64::MAX], [0, 0]], "CONSTANT", 0.0),
        &["pad", "float32", "does not fit in memory"],
    );
    expect_err(array::pad(&x, &[[i64::MAX, i64::MAX], [0, 0]], "CONSTANT", 0.0), &["pad", "overflow"]);
    expect_err(array::pad(&x, &[[0, 0], [0, 0]], "WRAP", 0.0), &["pad", "\"WRAP\"", "CONSTANT, REFLECT or SYMMETRIC"]);
}

// ---------- identity / stop_gradient / shape, size, rank ----------

#[test]
fn identity_and_stop_gradient_keep_values() -> Result<()> {
    let x = f32t(&[1.0, -2.0], &[2]);
    let y = array::identity(&x)?;
    assert_eq!(y.to_vec::<f32>()?, vec![1.0, -2.0]);
    assert!(!y.same(&x));
    assert_eq!(array::stop_gradient(&x)?.to_vec::<f32>()?, vec![1.0, -2.0]);
    Ok(())
}

#[test]
fn stop_gradient_blocks_the_tape() -> Result<()> {
    let x = f64t(&[3.0, -1.5], &[2]);
    let tape = GradientTape::persistent();
    let (y, z) = tape.scope(|t| -> Result<(Tensor, Tensor)> {
        t.watch(&x);
        // d/dx [x * stop_gradient(x)] = stop_gradient(x) = x, not 2x.
        let y = reduce_sum(&math::mul(&x, &array::stop_gradient(&x)?)?, None, false)?;
        let z = reduce_sum(&array::stop_gradient(&math::mul(&x, &x)?)?, None, false)?;
        Ok((y, z))
    })??;
    let g = tape.gradient(&y, &[&x])?;
    assert_close(&vals(g[0].as_ref().unwrap()), &[3.0, -1.5], 0.0, 0.0);
    assert!(tape.gradient(&z, &[&x])?[0].is_none(), "nothing may flow through stop_gradient");
    // identity passes the gradient.
    let tape = GradientTape::new();
    let w = tape.scope(|t| {
        t.watch(&x);
        reduce_sum(&math::mul(&array::identity(&x)?, &x)?, None, false)
    })??;
    assert_close(&vals(tape.gradient(&w, &[&x])?[0].as_ref().unwrap()), &[6.0, -3.0], 0.0, 0.0);
    Ok(())
}

#[test]
fn shape_size_rank_are_int32() -> Result<()> {
    let x = f32t(&[0.0; 24], &[2, 3, 4]);
    let s = array::shape(&x)?;
    assert_eq!(s.dtype(), DType::I32);
    assert_eq!(s.shape(), &[3]);
    assert_eq!(s.to_vec::<i32>()?, vec![2, 3, 4]);
    assert_eq!(array::size(&x)?.item::<i32>()?, 24);
    assert_eq!(array::rank(&x)?.item::<i32>()?, 3);
    let sc = Tensor::from(1.0f64);
    assert_eq!(array::shape(&sc)?.shape(), &[0]);
    assert_eq!(array::size(&sc)?.item::<i32>()?, 1);
    assert_eq!(array::rank(&sc)?.item::<i32>()?, 0);
    assert_eq!(array::size(&f32t(&[], &[3, 0]))?.item::<i32>()?, 0);
    Ok(())
}

// ---------- one_hot ----------

#[test]
fn one_hot_values_and_axes() -> Result<()> {
    let idx = i32t(&[0, 2, -1, 1], &[4]);
    let y = array::one_hot(&idx, 3, 1.0, 0.0, -1, DType::F32)?;
    assert_eq!(y.shape(), &[4, 3]);
    assert_eq!(y.to_vec::<f32>()?, vec![1., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1., 0.]);
    let y = array::one_hot(&idx, 3, 5.0, -1.0, 0, DType::I64)?;
    assert_eq!(y.shape(), &[3, 4]);
    assert_eq!(y.to_vec::<i64>()?, vec![5, -1, -1, -1, -1, -1, -1, 5, -1, 5, -1, -1]);
    // 2-D indices, depth axis in the middle: out[i][d][j] = on iff idx[i][j] == d.
    let idx = Tensor::from_vec(vec![1i64, 0, 3, 1], &[2, 2])?;
    let y = array::one_hot(&idx, 2, 1.0, 0.0, 1, DType::Bool)?;
    assert_eq!(y.shape(), &[2, 2, 2]);
    assert_eq!(y.to_vec::<bool>()?, vec![false, true, true, false, false, false, false, true]);
    Ok(())
}

#[test]
fn one_hot_errors() {
    let idx = i32t(&[0, 1], &[2]);
    expect_err(
        array::one_hot(&f32t(&[0.0], &[1]), 2, 1.0, 0.0, -1, DType::F32),
        &["one_hot", "float32", "[1]", "int32, int64"],
    );
    expect_err(array::one_hot(&idx, 3, 1.0, 0.0, 2, DType::F32), &["one_hot", "axis 2", "int32[2]", "[0, 1]"]);
    expect_err(array::one_hot(&idx, -1, 1.0, 0.0, -1, DType::F32), &["one_hot", "depth", "-1"]);
    expect_err(
        array::one_hot(&idx, i64::MAX, 1.0, 0.0, -1, DType::F32),
        &["one_hot", "float32", "does not fit in memory"],
    );
}

// ---------- range / linspace / eye ----------

#[test]
fn range_follows_tf_range() -> Result<()> {
    assert_eq!(array::range(3.0, 18.0, 3.0, DType::I32)?.to_vec::<i32>()?, vec![3, 6, 9, 12, 15]);
    assert_eq!(array::range(0.0, 5.0, 1.0, DType::I64)?.to_vec::<i64>()?, vec![0, 1, 2, 3, 4]);
    assert_eq!(array::range(10.0, 4.0, -2.0, DType::I32)?.to_vec::<i32>()?, vec![10, 8, 6]);
    assert_eq!(array::range(3.0, 1.0, -0.5, DType::F32)?.to_vec::<f32>()?, vec![3.0, 2.5, 2.0, 1.5]);
    assert_eq!(array::range(0.0, 1.0, 0.25, DType::F64)?.to_vec::<f64>()?, vec![0.0, 0.25, 0.5, 0.75]);
    assert_eq!(array::range(0.0, 1.1, 0.5, DType::F64)?.to_vec::<f64>()?, vec![0.0, 0.5, 1.0]);
    assert_eq!(array::range(5.0, 5.0, 1.0, DType::I32)?.shape(), &[0]);
    assert_eq!(array::range(-3.0, 4.0, 3.0, DType::I64)?.to_vec::<i64>()?, vec![-3, 0, 3]);
    Ok(())
}

#[test]
fn range_errors() {
    expect_err(array::range(0.0, 5.0, 0.0, DType::I32), &["range", "delta must not be 0"]);
    expect_err(array::range(0.0, 5.0, 0.5, DType::I32), &["range", "delta must not be 0"]);
    expect_err(array::range(5.0, 1.0, 1.0, DType::F32), &["range", "start must be <= limit when delta > 0"]);
    expect_err(array::range(1.0, 5.0, -1.0, DType::I64), &["range", "start must be >= limit when delta < 0"]);
    expect_err(array::range(0.0, 3e9, 1.0, DType::I32), &["range", "does not fit in int32"]);
    expect_err(array::range(0.0, 1e300, 1e-300, DType::F64), &["range", "does not fit in memory"]);
    expect_err(array::range(0.0, f64::NAN, 1.0, DType::F64), &["range", "finite"]);
    expect_err(array::range(0.0, 2.0, 1.0, DType::Bool), &["range", "bool"]);
}

#[test]
fn linspace_values() -> Result<()> {
    let y = array::linspace(&Tensor::from(0.0f32), &Tensor::from(1.0f32), 5)?;
    assert_eq!(y.dtype(), DType::F32);
    assert_eq!(y.to_vec::<f32>()?, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    let y = array::linspace(&Tensor::from(10.0f64), &Tensor::from(-2.0f64), 4)?;
    assert_eq!(y.to_vec::<f64>()?, vec![10.0, 6.0, 2.0, -2.0]);
    assert_eq!(array::linspace(&Tensor::from(2.0f64), &Tensor::from(3.0f64), 1)?.to_vec::<f64>()?, vec![2.0]);
    assert_eq!(array::linspace(&Tensor::from(2.0f64), &Tensor::from(3.0f64), 0)?.shape(), &[0]);
    // Batched: start [0, 10], stop [1, 20]; new axis first, or last with axis = -1.
    let (a, b) = (f64t(&[0.0, 10.0], &[2]), f64t(&[1.0, 20.0], &[2]));
    let y = array::linspace(&a, &b, 3)?;
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(y.to_vec::<f64>()?, vec![0.0, 10.0, 0.5, 15.0, 1.0, 20.0]);
    let y = array::linspace_axis(&a, &b, 3, -1)?;
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<f64>()?, vec![0.0, 0.5, 1.0, 10.0, 15.0, 20.0]);
    // The last value is exactly `stop`.
    let y = array::linspace(&Tensor::from(0.1f32), &Tensor::from(0.7f32), 7)?;
    assert_eq!(*y.to_vec::<f32>()?.last().unwrap(), 0.7f32);
    Ok(())
}

#[test]
fn linspace_errors() {
    let i = Tensor::from(1i32);
    expect_err(array::linspace(&i, &i, 3), &["linspace", "int32", "float32, float64"]);
    let (a, b) = (Tensor::from(0.0f32), Tensor::from(1.0f64));
    expect_err(array::linspace(&a, &b, 3), &["linspace", "float32", "float64", "dtypes must match"]);
    expect_err(array::linspace(&a, &a, -1), &["linspace", "num must be non-negative, got -1"]);
    expect_err(array::linspace_axis(&a, &a, 3, 2), &["linspace", "axis 2"]);
    let (c, d) = (f32t(&[0.0; 2], &[2]), f32t(&[0.0; 3], &[3]));
    expect_err(array::linspace(&c, &d, 3), &["linspace", "float32[2]", "float32[3]", "broadcast"]);
}

#[test]
fn linspace_gradient_is_exact() -> Result<()> {
    let (a, b) = (Tensor::from(1.0f64), Tensor::from(3.0f64));
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&a);
        t.watch(&b);
        reduce_sum(&array::linspace(&a, &b, 5)?, None, false)
    })??;
    // sum_i (a + (b - a) i / 4) = 5a + 2.5 (b - a).
    let g = tape.gradient(&y, &[&a, &b])?;
    assert_eq!(g[0].as_ref().unwrap().item::<f64>()?, 2.5);
    assert_eq!(g[1].as_ref().unwrap().item::<f64>()?, 2.5);
    Ok(())
}

#[test]
fn eye_values() -> Result<()> {
    let e = array::eye(2, Some(3), DType::I32)?;
    assert_eq!(e.shape(), &[2, 3]);
    assert_eq!(e.to_vec::<i32>()?, vec![1, 0, 0, 0, 1, 0]);
    let e = array::eye(3, None, DType::F64)?;
    assert_eq!(e.to_vec::<f64>()?, vec![1., 0., 0., 0., 1., 0., 0., 0., 1.]);
    assert_eq!(array::eye(0, None, DType::F32)?.shape(), &[0, 0]);
    Ok(())
}

// ---------- multi-output gradients ----------

#[test]
fn unused_split_outputs_get_zero_gradient() -> Result<()> {
    let x = f64t(&[1., 2., 3., 4., 5., 6.], &[6]);
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        let parts = array::split(&x, Split::Sizes(vec![2, 3, 1]), 0)?;
        reduce_sum(&math::mul(&parts[1], &parts[1])?, None, false)
    })??;
    let g = tape.gradient(&y, &[&x])?;
    assert_eq!(g[0].as_ref().unwrap().to_vec::<f64>()?, vec![0., 0., 6., 8., 10., 0.]);
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        let rows = array::unstack(&array::reshape(&x, &[3, 2])?, 0)?;
        reduce_sum(&math::mul(&rows[2], &Tensor::from(vec![10.0f64, 100.0]))?, None, false)
    })??;
    let g = tape.gradient(&y, &[&x])?;
    assert_eq!(g[0].as_ref().unwrap().to_vec::<f64>()?, vec![0., 0., 0., 0., 10., 100.]);
    Ok(())
}

#[test]
fn second_order_through_layout_ops() -> Result<()> {
    // y = sum(tile(x, [2])^3) → dy/dx = 6 x^2, d2y/dx2 = 12 x.
    let x = f64t(&[1.5, -2.0], &[2]);
    let outer = GradientTape::new();
    let (dx, s) = outer.scope(|o| -> Result<(Tensor, Tensor)> {
        o.watch(&x);
        let inner = GradientTape::new();
        let y = inner.scope(|i| -> Result<Tensor> {
            i.watch(&x);
            let t = array::transpose(&array::tile(&x, &[2])?, None)?;
            reduce_sum(&math::mul(&math::mul(&t, &t)?, &t)?, None, false)
        })??;
        let g = inner.gradient(&y, &[&x])?[0].clone().unwrap();
        let s = reduce_sum(&g, None, false)?;
        Ok((g, s))
    })??;
    assert_close(&vals(&dx), &[6.0 * 2.25, 6.0 * 4.0], 1e-12, 0.0);
    let d2 = outer.gradient(&s, &[&x])?;
    assert_close(&vals(d2[0].as_ref().unwrap()), &[18.0, -24.0], 1e-12, 0.0);
    Ok(())
}

// ---------- properties against the naive references ----------

fn shape_and_perm() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec(0usize..5, 1..=5).prop_flat_map(|shape| {
        let r = shape.len();
        (Just(shape), Just((0..r).collect::<Vec<usize>>()).prop_shuffle())
    })
}

fn concat_case() -> impl Strategy<Value = (Vec<usize>, usize, Vec<usize>)> {
    (prop::collection::vec(0usize..4, 1..=4), prop::collection::vec(0usize..4, 1..=4)).prop_flat_map(
        |(shape, sizes)| {
            let r = shape.len();
            (Just(shape), 0..r, Just(sizes))
        },
    )
}

fn tile_case() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec(0usize..4, 0..=4).prop_flat_map(|shape| {
        let r = shape.len();
        (Just(shape), prop::collection::vec(0usize..4, r))
    })
}

proptest! {
    #[test]
    fn transpose_matches_reference((shape, perm) in shape_and_perm()) {
        check_transpose(&shape, &perm);
    }

    #[test]
    fn concat_matches_reference((shape, axis, sizes) in concat_case(), negative in any::<bool>()) {
        let mut parts = Vec::new();
        let mut offset = 0i64;
        for &s in &sizes {
            let mut sh = shape.clone();
            sh[axis] = s;
            let n: usize = sh.iter().product();
            parts.push(((offset..offset + n as i64).collect::<Vec<i64>>(), sh));
            offset += 1000;
        }
        let tensors: Vec<Tensor> =
            parts.iter().map(|(v, sh)| Tensor::from_vec(v.clone(), sh).unwrap()).collect();
        let ax = if negative { axis as i64 - shape.len() as i64 } else { axis as i64 };
        let y = array::concat(&tensors, ax).unwrap();
        let (want, want_shape) = naive_concat(&parts, axis);
        prop_assert_eq!(y.shape(), want_shape.as_slice());
        prop_assert_eq!(y.to_vec::<i64>().unwrap(), want);
    }

    #[test]
    fn tile_matches_reference((shape, multiples) in tile_case()) {
        let x = iota(&shape);
        let m: Vec<i64> = multiples.iter().map(|&k| k as i64).collect();
        let y = array::tile(&x, &m).unwrap();
        let (want, want_shape) = naive_tile(&x.to_vec::<i64>().unwrap(), &shape, &multiples);
        prop_assert_eq!(y.shape(), want_shape.as_slice());
        prop_assert_eq!(y.to_vec::<i64>().unwrap(), want);
    }
}

// ---------- robustness: hostile attributes ----------

#[test]
fn hostile_attributes_give_errors_not_panics() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use tensile::attrs::{Attr, Attrs};
    let big = 1i64 << 40;
    let s = |v: &str| Attr::Str(v.to_string());
    let base: Vec<(&'static str, Attr)> = vec![
        ("perm", Attr::OptInts(None)),
        ("axis", Attr::Int(0)),
        ("num_split", Attr::Int(1)),
        ("multiples", Attr::Ints(vec![1, 1])),
        ("paddings", Attr::Ints(vec![0, 0, 0, 0])),
        ("mode", s("CONSTANT")),
        ("constant_values", Attr::Float(0.0)),
        ("depth", Attr::Int(3)),
        ("on_value", Attr::Float(1.0)),
        ("off_value", Attr::Float(0.0)),
        ("dtype", Attr::DType(DType::F32)),
        ("num", Attr::Int(3)),
    ];
    let hostile: Vec<(&'static str, Attr)> = vec![
        ("perm", Attr::OptInts(Some(vec![i64::MAX, 0]))),
        ("perm", Attr::OptInts(Some(vec![i64::MIN, 0]))),
        ("perm", Attr::OptInts(Some(vec![1, 0, 2]))),
        ("axis", Attr::Int(i64::MAX)),
        ("axis", Attr::Int(i64::MIN)),
        ("axis", Attr::Int(-1)),
        ("axis", Attr::Int(1)),
        ("axis", Attr::OptInts(Some(vec![i64::MIN]))),
        ("num_split", Attr::Int(i64::MAX)),
        ("num_split", Attr::Int(big)),
        ("num_split", Attr::Int(-1)),
        ("num_split", Attr::Int(0)),
        ("size_splits", Attr::Ints(vec![])),
        ("size_splits", Attr::Ints(vec![big, -1])),
        ("size_splits", Attr::Ints(vec![i64::MAX, i64::MAX])),
        ("size_splits", Attr::Ints(vec![-1, -1])),
        ("size_splits", Attr::Ints(vec![i64::MIN])),
        ("multiples", Attr::Ints(vec![big, big])),
        ("multiples", Attr::Ints(vec![i64::MAX, i64::MAX])),
        ("multiples", Attr::Ints(vec![i64::MIN, 1])),
        ("multiples", Attr::Ints(vec![])),
        ("paddings", Attr::Ints(vec![1])),
        ("paddings", Attr::Ints(vec![big, big, big, big])),
        ("paddings", Attr::Ints(vec![i64::MAX, i64::MAX, i64::MAX, i64::MAX])),
        ("paddings", Attr::Ints(vec![0, 0, big, big])),
        ("paddings", Attr::Ints(vec![-1, 0, 0, 0])),
        ("paddings", Attr::Ints(vec![i64::MIN, i64::MIN, 0, 0])),
        ("mode", s("reflect")),
        ("mode", s("SYMMETRIC")),
        ("mode", s("bogus")),
        ("constant_values", Attr::Float(f64::NAN)),
        ("depth", Attr::Int(big)),
        ("depth", Attr::Int(i64::MAX)),
        ("depth", Attr::Int(-3)),
        ("dtype", Attr::DType(DType::Bool)),
        ("num", Attr::Int(i64::MAX)),
        ("num", Attr::Int(big)),
        ("num", Attr::Int(-1)),
        ("num", Attr::Int(0)),
        ("num", Attr::Int(1)),
    ];
    let inputs: Vec<Vec<Tensor>> = vec![
        vec![],
        vec![iota(&[2, 3])],
        vec![f32t(&[], &[0, 3])],
        vec![f32t(&[], &[3, 0])],
        vec![Tensor::from(1.0f32)],
        vec![f64t(&[0.0; 6], &[2, 3]), f64t(&[0.0; 6], &[2, 3])],
        vec![f64t(&[0.0; 6], &[2, 3]), f32t(&[0.0; 2], &[2, 1])],
        vec![Tensor::from(0.5f64), Tensor::from(2.0f64)],
        vec![i32t(&[0, 1, 7, -2], &[2, 2])],
        vec![Tensor::from_vec(vec![true; 4], &[1, 4]).unwrap()],
    ];
    let names = [
        "stack",
        "unstack",
        "transpose",
        "expand_dims",
        "squeeze",
        "concat",
        "split",
        "tile",
        "pad",
        "pad_grad",
        "identity",
        "stop_gradient",
        "shape",
        "size",
        "rank",
        "one_hot",
        "linspace",
    ];
    std::panic::set_hook(Box::new(|_| {}));
    let mut panics = Vec::new();
    for name in names {
        let op = tensile::ops::lookup(name).expect("registered");
        for inp in &inputs {
            for (hn, hv) in &hostile {
                let mut attrs = Attrs::new().with(hn, hv.clone());
                for (bn, bv) in &base {
                    attrs = attrs.with(bn, bv.clone());
                }
                let r = catch_unwind(AssertUnwindSafe(|| tensile::ops::execute(op, inp, attrs.clone())));
                match r {
                    Err(_) => panics.push(format!(
                        "{name} {:?} {hn}={hv:?}",
                        inp.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>()
                    )),
                    Ok(Err(e)) => assert!(e.to_string().contains(name), "error does not name {name}: {e}"),
                    Ok(Ok(_)) => {}
                }
            }
        }
    }
    let _ = std::panic::take_hook();
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
}

// Roll, repeat, unique and segment reductions; expected values printed by TensorFlow 2.21.

mod rearrange_and_segments {
    use super::*;
    use tensile::ops::{rearrange, segment, unique};

    fn x34() -> Tensor {
        Tensor::from_vec((0..12).map(|v| v as f32).collect::<Vec<f32>>(), &[3, 4]).unwrap()
    }

    #[test]
    fn roll_matches_tensorflow() {
        let x = x34();
        let got = rearrange::roll(&x, &[1], &[0]).unwrap();
        assert_eq!(vals(&got), [8., 9., 10., 11., 0., 1., 2., 3., 4., 5., 6., 7.]);
        let got = rearrange::roll(&x, &[-1, 5], &[0, 1]).unwrap();
        assert_eq!(vals(&got), [7., 4., 5., 6., 11., 8., 9., 10., 3., 0., 1., 2.]);
        // Two shifts of 2 on the same axis of size 4 cancel out.
        let got = rearrange::roll(&x, &[2, 2], &[1, -1]).unwrap();
        assert_eq!(vals(&got), vals(&x));
        let e = rearrange::roll(&x, &[1], &[2]).unwrap_err();
        assert!(e.to_string().contains("axis 2 is out of range"), "{e}");
        let e = rearrange::roll(&x, &[1, 2], &[0]).unwrap_err();
        assert!(e.to_string().contains("shift and axis must have the same size"), "{e}");
        let e = rearrange::roll(&Tensor::from(3i32), &[1], &[0]).unwrap_err();
        assert!(e.to_string().contains("1-D or higher"), "{e}");
        let empty = Tensor::from_vec(Vec::<f32>::new(), &[0, 2]).unwrap();
        assert_eq!(rearrange::roll(&empty, &[3], &[0]).unwrap().shape(), &[0, 2]);
    }

    #[test]
    fn roll_gradient_rolls_back() {
        let x = x34();
        let tape = GradientTape::new();
        let w = Tensor::from_vec((0..12).map(|v| (v * v) as f32).collect::<Vec<f32>>(), &[3, 4]).unwrap();
        let loss = tape
            .scope(|t| {
                t.watch(&x);
                let y = rearrange::roll(&x, &[1, -3], &[0, 1])?;
                tensile::ops::reduce::reduce_sum(&math::mul(&y, &w)?, None, false)
            })
            .unwrap()
            .unwrap();
        let g = tape.gradient(&loss, &[&x]).unwrap().remove(0).unwrap();
        assert_eq!(vals(&g), vals(&rearrange::roll(&w, &[-1, 3], &[0, 1]).unwrap()));
    }

    #[test]
    fn repeat_matches_tensorflow() {
        let x = x34();
        let got = rearrange::repeat(&x, &[1, 0, 2], 0).unwrap();
        assert_eq!(got.shape(), &[3, 4]);
        assert_eq!(vals(&got), [0., 1., 2., 3., 8., 9., 10., 11., 8., 9., 10., 11.]);
        let got = rearrange::repeat(&x, &[2], 1).unwrap();
        assert_eq!(got.shape(), &[3, 8]);
        assert_eq!(&vals(&got)[..8], [0., 0., 1., 1., 2., 2., 3., 3.]);
        let got = rearrange::repeat_flat(&i32t(&[1, 2, 3, 4], &[2, 2]), &[3, 1, 0, 2]).unwrap();
        assert_eq!(vals(&got), [1., 1., 1., 2., 4., 4.]);
        let e = rearrange::repeat(&x, &[-1], 0).unwrap_err();
        assert!(e.to_string().contains("repeats must be non-negative"), "{e}");
        let e = rearrange::repeat(&x, &[1, 2], 0).unwrap_err();
        assert!(e.to_string().contains("repeats has 2 entries"), "{e}");
        assert!(rearrange::repeat(&x, &[1], 5).is_err());
    }

    #[test]
    fn repeat_gradient_sums_the_copies() {
        let x = f64t(&[1., 2., 3.], &[3]);
        let tape = GradientTape::new();
        let w = f64t(&[1., 10., 100., 1000., 10000.], &[5]);
        let loss = tape
            .scope(|t| {
                t.watch(&x);
                let y = rearrange::repeat(&x, &[2, 0, 3], 0)?;
                tensile::ops::reduce::reduce_sum(&math::mul(&y, &w)?, None, false)
            })
            .unwrap()
            .unwrap();
        let g = tape.gradient(&loss, &[&x]).unwrap().remove(0).unwrap();
        assert_eq!(vals(&g), [11., 0., 11100.]);
    }

    #[test]
    fn unique_matches_tensorflow() {
        let (y, idx) = unique::unique(&Tensor::from([4i32, 1, 4, 2, 1, 7]), DType::I32).unwrap();
        assert_eq!(vals(&y), [4., 1., 2., 7.]);
        assert_eq!(idx.dtype(), DType::I32);
        assert_eq!(vals(&idx), [0., 1., 0., 2., 1., 3.]);
        let x = f64t(&[2.5, -1.0, 2.5, 2.5], &[4]);
        let (y, idx, count) = unique::unique_with_counts(&x, DType::I64).unwrap();
        assert_eq!((vals(&y), vals(&idx), vals(&count)), (vec![2.5, -1.0], vec![0., 1., 0., 0.], vec![3., 1.]));
        assert_eq!(count.dtype(), DType::I64);
        // NaN equals nothing; -0.0 and 0.0 are one value, shown as it first appeared.
        let (y, idx) = unique::unique(&f32t(&[f32::NAN, f32::NAN, -0.0, 0.0], &[4]), DType::I32).unwrap();
        let y = y.to_vec::<f32>().unwrap();
        assert!(y[0].is_nan() && y[1].is_nan() && y[2] == 0.0 && y[2].is_sign_negative() && y.len() == 3);
        assert_eq!(vals(&idx), [0., 1., 2., 2.]);
        let e = unique::unique(&x34(), DType::I32).unwrap_err();
        assert!(e.to_string().contains("expects a 1D vector"), "{e}");
        let (y, idx) = unique::unique(&Tensor::from_vec(Vec::<i64>::new(), &[0]).unwrap(), DType::I32).unwrap();
        assert_eq!((y.shape(), idx.shape()), (&[0usize][..], &[0usize][..]));
    }

    fn data() -> Tensor {
        f32t(&[1., 2., 3., -4., 5., 6., -7., 8., 9., 0.5], &[5, 2])
    }

    /// A sorted segment reduction `(data, ids)`.
    type Sorted = fn(&Tensor, &Tensor) -> Result<Tensor>;
    /// An unsorted segment reduction `(data, ids, num_segments)`.
    type Unsorted = fn(&Tensor, &Tensor, i64) -> Result<Tensor>;

    #[test]
    fn sorted_segments_match_tensorflow() {
        let ids = i32t(&[0, 0, 2, 2, 2], &[5]);
        let d = data();
        let cases: [(Sorted, [f64; 6]); 5] = [
            (segment::segment_sum, [4.0, -2.0, 0.0, 0.0, 7.0, 14.5]),
            (segment::segment_mean, [2.0, -1.0, 0.0, 0.0, 2.3333332538604736, 4.833333492279053]),
            (segment::segment_max, [3.0, 2.0, 0.0, 0.0, 9.0, 8.0]),
            (segment::segment_min, [1.0, -4.0, 0.0, 0.0, -7.0, 0.5]),
            (segment::segment_prod, [3.0, -8.0, 1.0, 1.0, -315.0, 24.0]),
        ];
        for (f, want) in cases {
            let got = f(&d, &ids).unwrap();
            assert_eq!(got.shape(), &[3, 2]);
            assert_eq!(vals(&got), want);
        }
        // Integer means truncate, as TensorFlow's integer kernel does.
        let m = segment::segment_mean(&i32t(&[1, 2, 4], &[3]), &i32t(&[0, 0, 3], &[3])).unwrap();
        assert_eq!(vals(&m), [1., 0., 0., 4.]);
        let e = segment::segment_sum(&f32t(&[1., 2., 3.], &[3]), &i32t(&[1, 0, 1], &[3])).unwrap_err();
        assert!(e.to_string().contains("segment ids are not increasing"), "{e}");
        let e = segment::segment_sum(&f32t(&[1., 2., 3.], &[3]), &i32t(&[-1, 0, 1], &[3])).unwrap_err();
        assert!(e.to_string().contains("segment id -1 out of range [0, 2)"), "{e}");
        let e = segment::segment_sum(&f32t(&[1., 2., 3.], &[3]), &i32t(&[0, 1], &[2])).unwrap_err();
        assert!(e.to_string().contains("same size as dimension 0"), "{e}");
        let e = segment::segment_max(&Tensor::from([true]), &i32t(&[0], &[1])).unwrap_err();
        assert!(e.to_string().contains("bool"), "{e}");
        let empty = segment::segment_sum(&f32t(&[], &[0, 2]), &i32t(&[], &[0])).unwrap();
        assert_eq!(empty.shape(), &[0, 2]);
        // A huge last id is a clean error, not an allocation failure.
        assert!(segment::segment_sum(&f32t(&[1.], &[1]), &Tensor::from([1i64 << 60])).is_err());
    }

    #[test]
    fn unsorted_segments_match_tensorflow() {
        let ids = i32t(&[2, 0, -1, 2, 0], &[5]);
        let d = data();
        let lo = f32::MIN as f64;
        let hi = f32::MAX as f64;
        let cases: [(Unsorted, [f64; 8]); 5] = [
            (tensile::ops::indexing::unsorted_segment_sum, [12.0, -3.5, 0.0, 0.0, -6.0, 10.0, 0.0, 0.0]),
            (segment::unsorted_segment_mean, [6.0, -1.75, 0.0, 0.0, -3.0, 5.0, 0.0, 0.0]),
            (segment::unsorted_segment_max, [9.0, 0.5, lo, lo, 1.0, 8.0, lo, lo]),
            (segment::unsorted_segment_min, [3.0, -4.0, hi, hi, -7.0, 2.0, hi, hi]),
            (segment::unsorted_segment_prod, [27.0, -2.0, 1.0, 1.0, -7.0, 16.0, 1.0, 1.0]),
        ];
        for (f, want) in cases {
            let got = f(&d, &ids, 4).unwrap();
            assert_eq!(got.shape(), &[4, 2]);
            assert_eq!(vals(&got), want);
        }
        let m = segment::unsorted_segment_min(&i32t(&[1, 2], &[2]), &i32t(&[0, 0], &[2]), 3).unwrap();
        assert_eq!(vals(&m), [1., i32::MAX as f64, i32::MAX as f64]);
        // Integer data gives float64 means.
        let m = segment::unsorted_segment_mean(&i32t(&[1, 2, 4], &[3]), &i32t(&[0, 0, 2], &[3]), 3).unwrap();
        assert_eq!((m.dtype(), vals(&m)), (DType::F64, vec![1.5, 0.0, 4.0]));
        let e = segment::unsorted_segment_max(&f32t(&[1., 2.], &[2]), &i32t(&[0, 5], &[2]), 3).unwrap_err();
        assert!(e.to_string().contains("segment_ids[1] = 5 is out of range [0, 3)"), "{e}");
        let e = segment::unsorted_segment_max(&f32t(&[1., 2.], &[2]), &i32t(&[0, 0], &[2]), -1).unwrap_err();
        assert!(e.to_string().contains("must not be negative"), "{e}");
        let e = segment::unsorted_segment_max(&f32t(&[1., 2.], &[2]), &i32t(&[0, 0, 0], &[3]), 2).unwrap_err();
        assert!(e.to_string().contains("does not start with segment_ids.shape"), "{e}");
    }

    fn grad_of(f: impl Fn(&Tensor) -> Result<Tensor>, x: &Tensor, upstream: &[f64]) -> Vec<f64> {
        let tape = GradientTape::new();
        let loss = tape
            .scope(|t| {
                t.watch(x);
                let y = f(x)?;
                let w = Tensor::from_vec(upstream.to_vec(), y.shape())?;
                tensile::ops::reduce::reduce_sum(&math::mul(&y, &w)?, None, false)
            })
            .unwrap()
            .unwrap();
        vals(&tape.gradient(&loss, &[x]).unwrap().remove(0).unwrap())
    }

    #[test]
    fn extreme_gradients_split_ties_as_tensorflow() {
        let x = f64t(&[1., 3., 3., 2., 5., 5.], &[6]);
        let g = grad_of(|x| segment::segment_max(x, &i32t(&[0, 0, 0, 1, 2, 2], &[6])), &x, &[1., 2., 3.]);
        assert_eq!(g, [0.0, 0.5, 0.5, 2.0, 1.5, 1.5]);
        let ids = i32t(&[1, 1, 0, 0, -1, 1], &[6]);
        let g = grad_of(|x| segment::unsorted_segment_min(x, &ids, 3), &x, &[1., 2., 3.]);
        assert_eq!(g, [2.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn product_gradients_handle_zeros() {
        // Segment 0 has one zero (only it gets a gradient: the product of the others), segment 1
        // two zeros (no gradient), segment 2 none.
        let x = f64t(&[2., 0., 3., 0., 0., 4., 5.], &[7]);
        let ids = i32t(&[0, 0, 0, 1, 1, 2, 2], &[7]);
        let g = grad_of(|x| segment::segment_prod(x, &ids), &x, &[1., 2., 3.]);
        assert_eq!(g, [0.0, 6.0, 0.0, 0.0, 0.0, 15.0, 12.0]);
        let g = grad_of(|x| segment::unsorted_segment_prod(x, &ids, 3), &x, &[1., 2., 3.]);
        assert_eq!(g, [0.0, 6.0, 0.0, 0.0, 0.0, 15.0, 12.0]);
    }
}
