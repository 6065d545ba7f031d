//! Gather/scatter: `gather`, `gather_nd`, `scatter_nd`, `embedding_lookup`,
//! `unsorted_segment_sum`, their backward ops, and their errors.

use tensile::ops::indexing::{
    self, embedding_lookup, gather, gather_drop_negatives, gather_grad, gather_nd, scatter_nd, unsorted_segment_sum,
};
use tensile::ops::{math, Spec};
use tensile::prelude::*;
use tensile::testing::assert_close;

fn vals(t: &Tensor) -> Vec<f64> {
    t.to_f64_vec()
}

fn grad_of(x: &Tensor, f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(x);
        reduce_sum(&f(x)?, None, false)
    })??;
    Ok(tape.gradient(&y, &[x])?[0].clone().expect("connected"))
}

#[test]
fn gather_by_hand() -> Result<()> {
    let p = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]);
    // Rows (axis 0) with a repeated index, int32 and int64 indices alike.
    let y = gather(&p, &Tensor::from(vec![2i32, 0, 2]), 0, 0)?;
    assert_eq!(y.shape(), &[3, 3]);
    assert_eq!(vals(&y), vec![7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 7.0, 8.0, 9.0]);
    assert_eq!(vals(&gather(&p, &Tensor::from(vec![2i64, 0, 2]), 0, 0)?), vals(&y));
    // Columns (axis 1 = -1) with 2-D indices: shape [3] + [2, 2].
    let y = gather(&p, &Tensor::from([[0i32, 2], [1, 1]]), -1, 0)?;
    assert_eq!(y.shape(), &[3, 2, 2]);
    assert_eq!(vals(&y), vec![1.0, 3.0, 2.0, 2.0, 4.0, 6.0, 5.0, 5.0, 7.0, 9.0, 8.0, 8.0]);
    // A scalar index drops the axis.
    let y = gather(&p, &Tensor::from(1i32), 1, 0)?;
    assert_eq!(y.shape(), &[3]);
    assert_eq!(vals(&y), vec![2.0, 5.0, 8.0]);
    // batch_dims = 1: one index list per row.
    let q = Tensor::from([[1i32, 2, 3], [4, 5, 6]]);
    let y = gather(&q, &Tensor::from([[2i32, 0], [1, 1]]), 1, 1)?;
    assert_eq!(y.shape(), &[2, 2]);
    assert_eq!(y.to_vec::<i32>()?, vec![3, 1, 5, 5]);
    // batch_dims = -1 with a scalar per batch entry.
    let y = gather(&q, &Tensor::from([[2i64], [0]]), 1, -1)?;
    assert_eq!(y.shape(), &[2, 1]);
    assert_eq!(y.to_vec::<i32>()?, vec![3, 4]);
    // bool params and empty indices.
    let b = Tensor::from([true, false, true]);
    assert_eq!(gather(&b, &Tensor::from(vec![1i32, 2]), 0, 0)?.to_vec::<bool>()?, vec![false, true]);
    let e = gather(&p, &Tensor::from_vec(Vec::<i32>::new(), &[0])?, 0, 0)?;
    assert_eq!(e.shape(), &[0, 3]);
    Ok(())
}

#[test]
fn gather_errors_follow_tensorflow() {
    let p = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let m = gather(&p, &Tensor::from(vec![0i32, 5]), 1, 0).unwrap_err().to_string();
    assert!(m.contains("gather") && m.contains("indices[1] = 5 is not in [0, 3)"), "{m}");
    let m = gather(&p, &Tensor::from([[0i64, 1], [-1, 0]]), 0, 0).unwrap_err().to_string();
    assert!(m.contains("indices[1,0] = -1 is not in [0, 2)"), "{m}");
    let m = gather(&p, &Tensor::from(vec![0.0f32]), 0, 0).unwrap_err().to_string();
    assert!(m.contains("indices must be int32 or int64, got float32[1]"), "{m}");
    let m = gather(&p, &Tensor::from(vec![0i32]), 2, 0).unwrap_err().to_string();
    assert!(m.contains("axis 2") && m.contains("rank 2"), "{m}");
    let m = gather(&p, &Tensor::from([[0i32], [1], [0]]), 1, 1).unwrap_err().to_string();
    assert!(m.contains("params.shape[0] = 2 should be equal to indices.shape[0] = 3"), "{m}");
    let m = gather(&p, &Tensor::from([[0i32], [1]]), 0, 1).unwrap_err().to_string();
    assert!(m.contains("batch_dims (1) must be less than or equal to axis (0)"), "{m}");
    let m = gather(&p, &Tensor::from(vec![0i32]), 0, 2).unwrap_err().to_string();
    assert!(m.contains("batch_dims in the range [-1, 1]"), "{m}");
    let m = gather(&Tensor::from(1.0f32), &Tensor::from(0i32), 0, 0).unwrap_err().to_string();
    assert!(m.contains("at least 1-D"), "{m}");
}

#[test]
fn gather_gradient_adds_repeated_rows() -> Result<()> {
    let p = Tensor::from([[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let g = grad_of(&p, |x| gather(x, &Tensor::from(vec![0i32, 0, 2]), 0, 0))?;
    assert_eq!(vals(&g), vec![2.0, 2.0, 0.0, 0.0, 1.0, 1.0]);
    let g = grad_of(&p, |x| gather(x, &Tensor::from([[1i32, 1, 0], [0, 1, 1], [0, 0, 0]]), 1, 1))?;
    assert_eq!(vals(&g), vec![1.0, 2.0, 1.0, 2.0, 3.0, 0.0]);
    // gather_grad directly.
    let dy = Tensor::from([10.0f32, 20.0, 30.0]);
    let back = gather_grad(&dy, &Tensor::from(vec![1i64, 1, 3]), &[4], 0, 0)?;
    assert_eq!(vals(&back), vec![0.0, 30.0, 0.0, 30.0]);
    let m = gather_grad(&dy, &Tensor::from(vec![1i64, 1]), &[4], 0, 0).unwrap_err().to_string();
    assert!(m.contains("gather_grad") && m.contains("float32[3]") && m.contains("[2]"), "{m}");
    Ok(())
}

#[test]
fn backward_ops_take_a_run_time_shape_that_must_agree_with_the_traced_one() -> Result<()> {
    use tensile::attrs::{Attr, Attrs};
    use tensile::ops::execute1;
    // The traced shape [-1, 2] leaves the rows to the shape input.
    let attrs = |shape: Vec<i64>| {
        Attrs::new().with("axis", Attr::Int(0)).with("batch_dims", Attr::Int(0)).with("shape", Attr::Ints(shape))
    };
    let dy = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    let idx = Tensor::from(vec![2i32, 0]);
    let back =
        execute1(&indexing::GATHER_GRAD, &[dy.clone(), idx.clone(), Tensor::from(vec![3i32, 2])], attrs(vec![-1, 2]))?;
    assert_eq!(back.shape(), &[3, 2]);
    assert_eq!(vals(&back), vec![3.0, 4.0, 0.0, 0.0, 1.0, 2.0]);
    let m =
        execute1(&indexing::GATHER_GRAD, &[dy.clone(), idx.clone(), Tensor::from(vec![3i32, 5])], attrs(vec![-1, 2]))
            .unwrap_err()
            .to_string();
    assert!(m.contains("gather_grad") && m.contains("[3, 5]") && m.contains("[None, 2]"), "{m}");
    let m = execute1(
        &indexing::GATHER_GRAD,
        &[dy.clone(), idx.clone(), Tensor::from(vec![3.0f32, 2.0])],
        attrs(vec![-1, 2]),
    )
    .unwrap_err()
    .to_string();
    assert!(m.contains("int32/int64 vector"), "{m}");
    let nd = Attrs::new().with("batch_dims", Attr::Int(0)).with("shape", Attr::Ints(vec![-1, 2]));
    let ind = Tensor::from([[1i32], [0]]);
    let scattered =
        execute1(&indexing::SCATTER_ND, &[ind.clone(), dy.clone(), Tensor::from(vec![2i64, 2])], nd.clone())?;
    assert_eq!(vals(&scattered), vec![3.0, 4.0, 1.0, 2.0]);
    let m = execute1(&indexing::SCATTER_ND, &[ind, dy, Tensor::from(vec![-1i64, 2])], nd).unwrap_err().to_string();
    assert!(m.contains("scatter_nd") && m.contains("must not be negative") && m.contains("[-1, 2]"), "{m}");
    Ok(())
}

#[test]
fn unsorted_segment_sum_takes_a_segment_count_known_only_at_run_time_from_a_third_input() -> Result<()> {
    use tensile::attrs::{Attr, Attrs};
    use tensile::ops::execute1;
    let data = Tensor::from([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let ids = Tensor::from(vec![2i32, -1, 2]);
    let with_size = |n: i64, like: &Tensor| {
        let attrs = Attrs::new().with("num_segments", Attr::Int(n));
        execute1(&indexing::UNSORTED_SEGMENT_SUM, &[data.clone(), ids.clone(), like.clone()], attrs)
    };
    // Only the size input's first dimension matters, not its dtype or values.
    let like = Tensor::from([[true], [false], [true], [true]]);
    let out = with_size(-1, &like)?;
    assert_eq!(out.shape(), &[4, 2]);
    assert_eq!(vals(&out), vals(&unsorted_segment_sum(&data, &ids, 4)?));
    assert_eq!(vals(&with_size(4, &like)?), vals(&out));
    let m = with_size(5, &like).unwrap_err().to_string();
    assert!(m.contains("unsorted_segment_sum") && m.contains("num_segments = 5") && m.contains("bool[4, 1]"), "{m}");
    let m = with_size(-1, &Tensor::from(3i32)).unwrap_err().to_string();
    assert!(m.contains("unsorted_segment_sum") && m.contains("at least 1 dimension"), "{m}");
    let m = with_size(-1, &Tensor::from(vec![0i32; 2])).unwrap_err().to_string();
    assert!(m.contains("unsorted_segment_sum") && m.contains("is not in [0, 2)"), "{m}");
    let m = unsorted_segment_sum(&data, &ids, -1).unwrap_err().to_string();
    assert!(m.contains("num_segments must be non-negative"), "{m}");
    let m = indexing::unsorted_segment_sum_like(&data, &ids, &Tensor::from(3i32)).unwrap_err().to_string();
    assert!(m.contains("unsorted_segment_sum"), "{m}");
    Ok(())
}

#[test]
fn embedding_lookup_is_a_row_gather() -> Result<()> {
    let table = Tensor::from([[0.0f32, 0.5], [1.0, 1.5], [2.0, 2.5]]);
    let ids = Tensor::from([[2i64, 0], [1, 2]]);
    let y = embedding_lookup(&table, &ids)?;
    assert_eq!(y.shape(), &[2, 2, 2]);
    assert_eq!(vals(&y), vec![2.0, 2.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
    let m = embedding_lookup(&table, &Tensor::from(vec![3i32])).unwrap_err().to_string();
    assert!(m.contains("indices[0] = 3 is not in [0, 3)"), "{m}");
    // A gather big enough for the threaded path.
    let (rows, width) = (1000usize, 64usize);
    let big = Tensor::from_vec((0..rows * width).map(|v| v as f32).collect(), &[rows, width])?;
    let ids: Vec<i32> = (0..rows as i32).rev().collect();
    let y = embedding_lookup(&big, &Tensor::from(ids))?;
    let v = y.to_vec::<f32>()?;
    for (r, row) in v.chunks(width).enumerate() {
        assert_eq!(row[0], ((rows - 1 - r) * width) as f32);
        assert_eq!(row[width - 1], ((rows - 1 - r) * width + width - 1) as f32);
    }
    Ok(())
}

#[test]
fn gather_nd_by_hand() -> Result<()> {
    let p = Tensor::from([[1i32, 2], [3, 4]]);
    // Element tuples, then row tuples (TensorFlow's documentation examples).
    assert_eq!(gather_nd(&p, &Tensor::from([[0i32, 0], [1, 1]]), 0)?.to_vec::<i32>()?, vec![1, 4]);
    let y = gather_nd(&p, &Tensor::from([[1i64], [0]]), 0)?;
    assert_eq!(y.shape(), &[2, 2]);
    assert_eq!(y.to_vec::<i32>()?, vec![3, 4, 1, 2]);
    // batch_dims = 1: indices [[1], [0]] pick p[0][1] and p[1][0].
    let y = gather_nd(&p, &Tensor::from([[1i32], [0]]), 1)?;
    assert_eq!(y.shape(), &[2]);
    assert_eq!(y.to_vec::<i32>()?, vec![2, 3]);
    // Rank-3 params, depth 2, indices of shape [2, 1, 2] → output [2, 1, 2].
    let q = Tensor::from([[[1.0f32, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]);
    let y = gather_nd(&q, &Tensor::from([[[1i32, 0]], [[0, 1]]]), 0)?;
    assert_eq!(y.shape(), &[2, 1, 2]);
    assert_eq!(vals(&y), vec![5.0, 6.0, 3.0, 4.0]);
    // Depth 0 takes everything.
    let y = gather_nd(&p, &Tensor::from_vec(Vec::<i32>::new(), &[2, 0])?, 0)?;
    assert_eq!(y.shape(), &[2, 2, 2]);
    assert_eq!(y.to_vec::<i32>()?, vec![1, 2, 3, 4, 1, 2, 3, 4]);
    Ok(())
}

#[test]
fn gather_nd_errors() {
    let p = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    let m = gather_nd(&p, &Tensor::from([[0i32, 0], [2, 0]]), 0).unwrap_err().to_string();
    assert!(m.contains("gather_nd") && m.contains("indices[1] = [2, 0] does not index into param shape [2, 2]"), "{m}");
    let m = gather_nd(&p, &Tensor::from([[0i32, 0, 0]]), 0).unwrap_err().to_string();
    assert!(m.contains("innermost dimension length must be <= params rank") && m.contains("3 vs. 2"), "{m}");
    let m = gather_nd(&p, &Tensor::from(0i32), 0).unwrap_err().to_string();
    assert!(m.contains("at least 1-D"), "{m}");
    let m = gather_nd(&p, &Tensor::from([[0i32], [0], [1]]), 1).unwrap_err().to_string();
    assert!(m.contains("batch") && m.contains("int32[3, 1]"), "{m}");
    let m = gather_nd(&p, &Tensor::from([[0.0f64]]), 0).unwrap_err().to_string();
    assert!(m.contains("indices must be int32 or int64, got float64[1, 1]"), "{m}");
}

#[test]
fn scatter_nd_adds_duplicates() -> Result<()> {
    // TensorFlow's documentation example.
    let y = scatter_nd(&Tensor::from([[4i32], [3], [1], [7]]), &Tensor::from(vec![9i32, 10, 11, 12]), &[8])?;
    assert_eq!(y.to_vec::<i32>()?, vec![0, 11, 0, 10, 9, 0, 0, 12]);
    // Duplicates add; slices of rank 1.
    let y =
        scatter_nd(&Tensor::from([[1i64], [1], [0]]), &Tensor::from([[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]]), &[3, 2])?;
    assert_eq!(vals(&y), vec![5.0, 6.0, 4.0, 6.0, 0.0, 0.0]);
    // Integer sums wrap rather than overflow.
    let y = scatter_nd(&Tensor::from([[0i32], [0]]), &Tensor::from(vec![i32::MAX, 1]), &[1])?;
    assert_eq!(y.to_vec::<i32>()?, vec![i32::MIN]);
    Ok(())
}

#[test]
fn scatter_nd_errors() {
    let m = scatter_nd(&Tensor::from([[4i32]]), &Tensor::from(vec![1.0f32]), &[4]).unwrap_err().to_string();
    assert!(m.contains("scatter_nd") && m.contains("[4] does not index into shape [4]"), "{m}");
    let m =
        scatter_nd(&Tensor::from([[1i32], [2]]), &Tensor::from(vec![1.0f32, 2.0, 3.0]), &[4]).unwrap_err().to_string();
    assert!(m.contains("updates must have shape") && m.contains("[2]") && m.contains("float32[3]"), "{m}");
    let m = scatter_nd(&Tensor::from([[0i32]]), &Tensor::from(vec![1.0f32]), &[usize::MAX / 2, 1, 4]);
    assert!(m.unwrap_err().to_string().contains("too many elements"));
    let m = unsorted_segment_sum(&Tensor::from([[1.0f32; 8]]), &Tensor::from(vec![0i32]), i64::MAX);
    assert!(m.unwrap_err().to_string().contains("too many elements"));
    let m = scatter_nd(&Tensor::from([[1i32]]), &Tensor::from(vec![true]), &[4]).unwrap_err().to_string();
    assert!(m.contains("bool tensor with shape [1]"), "{m}");
}

#[test]
fn scatter_nd_and_gather_nd_gradients() -> Result<()> {
    let idx = Tensor::from([[0i32, 1], [1, 0], [0, 1]]);
    let p = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
    let g = grad_of(&p, |x| gather_nd(x, &idx, 0))?;
    assert_eq!(vals(&g), vec![0.0, 2.0, 1.0, 0.0]);
    let u = Tensor::from(vec![1.0f64, 2.0, 3.0]);
    let w = Tensor::from([[10.0f64, 20.0], [30.0, 40.0]]);
    let g = grad_of(&u, |x| math::mul(&scatter_nd(&idx, x, &[2, 2])?, &w))?;
    assert_eq!(vals(&g), vec![20.0, 30.0, 20.0]);
    Ok(())
}

#[test]
fn unsorted_segment_sum_by_hand() -> Result<()> {
    // TensorFlow's documentation example.
    let c = Tensor::from([[1i32, 2, 3, 4], [5, 6, 7, 8], [4, 3, 2, 1]]);
    let y = unsorted_segment_sum(&c, &Tensor::from(vec![0i32, 1, 0]), 2)?;
    assert_eq!(y.shape(), &[2, 4]);
    assert_eq!(y.to_vec::<i32>()?, vec![5, 5, 5, 5, 5, 6, 7, 8]);
    // 2-D ids over a 2-D data tensor; negative ids are dropped; empty segments stay zero.
    let d = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    let y = unsorted_segment_sum(&d, &Tensor::from([[2i64, -1], [2, 0]]), 4)?;
    assert_eq!(vals(&y), vec![4.0, 0.0, 4.0, 0.0]);
    let m = unsorted_segment_sum(&d, &Tensor::from(vec![0i32, 3]), 3).unwrap_err().to_string();
    assert!(m.contains("unsorted_segment_sum") && m.contains("segment_ids[1] = 3 is not in [0, 3)"), "{m}");
    let m = unsorted_segment_sum(&d, &Tensor::from(vec![0i32, 1, 0]), 3).unwrap_err().to_string();
    assert!(m.contains("prefix") && m.contains("float32[2, 2]") && m.contains("int32[3]"), "{m}");
    let m = unsorted_segment_sum(&d, &Tensor::from(vec![0i32, 1]), -1).unwrap_err().to_string();
    assert!(m.contains("num_segments"), "{m}");
    // Its gradient gathers, with zeros for dropped rows.
    let x = Tensor::from([[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let w = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
    let g = grad_of(&x, |x| math::mul(&unsorted_segment_sum(x, &Tensor::from(vec![1i32, -1, 0]), 2)?, &w))?;
    assert_eq!(vals(&g), vec![3.0, 4.0, 0.0, 0.0, 1.0, 2.0]);
    let y = gather_drop_negatives(&w, &Tensor::from(vec![-1i32, 1]))?;
    assert_eq!(vals(&y), vec![0.0, 0.0, 3.0, 4.0]);
    Ok(())
}

#[test]
fn second_order_through_gather() -> Result<()> {
    // d/dx sum(c * d/dx sum(gather(x)^2)) = 2 * c * counts.
    let x = Tensor::from(vec![1.0f64, 2.0, 3.0]);
    let c = Tensor::from(vec![1.0f64, 10.0, 100.0]);
    let ids = Tensor::from(vec![2i32, 0, 2]);
    let outer = GradientTape::new();
    let h = outer.scope(|o| -> Result<Tensor> {
        o.watch(&x);
        let inner = GradientTape::new();
        let z = inner.scope(|i| -> Result<Tensor> {
            i.watch(&x);
            let y = gather(&x, &ids, 0, 0)?;
            reduce_sum(&math::mul(&y, &y)?, None, false)
        })??;
        let g = inner.gradient(&z, &[&x])?[0].clone().unwrap();
        assert_eq!(vals(&g), vec![2.0, 0.0, 12.0]);
        reduce_sum(&math::mul(&g, &c)?, None, false)
    })??;
    let gg = outer.gradient(&h, &[&x])?[0].clone().unwrap();
    assert_close(&vals(&gg), &[2.0, 0.0, 400.0], 1e-12, 0.0);
    Ok(())
}

#[test]
fn shape_inference_with_unknown_dims() -> Result<()> {
    use tensile::attrs::{Attr, Attrs};
    let params = Spec { dtype: DType::F32, dims: [None, Some(5), Some(3)].into_iter().collect() };
    let ids = Spec { dtype: DType::I32, dims: [Some(2), None].into_iter().collect() };
    let attrs = Attrs::new().with("axis", Attr::Int(1)).with("batch_dims", Attr::Int(0));
    let out = (indexing::GATHER.infer)(&[params.clone(), ids.clone()], &attrs)?;
    assert_eq!(out[0].dims.as_slice(), &[None, Some(2), None, Some(3)]);
    let nd = Spec { dtype: DType::I64, dims: [None, Some(2)].into_iter().collect() };
    let out = (indexing::GATHER_ND.infer)(&[params, nd], &Attrs::new())?;
    assert_eq!(out[0].dims.as_slice(), &[None, Some(3)]);
    Ok(())
}
