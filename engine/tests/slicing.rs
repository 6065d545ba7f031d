//! Slicing: `slice`, `strided_slice`, NumPy-style `index` / `s!`, their backward ops, and a
//! property test against an independent reference written with Python slice arithmetic.

use proptest::prelude::*;
use tensile::attrs::{Attr, Attrs};
use tensile::ops::slicing::{
    self, index, slice, slice_grad, slice_spec, strided_slice, strided_slice_grad, SliceItem, StridedSliceSpec,
};
use tensile::ops::{math, reduce, Spec};
use tensile::prelude::*;
use tensile::s;
use tensile::testing::assert_close;

/// `0, 1, 2, ...` as float32 in `shape`.
fn arange(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|v| v as f32).collect(), shape).unwrap()
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.to_f64_vec()
}

/// TensorFlow's documentation example: `[[[1,1,1],[2,2,2]],[[3,3,3],[4,4,4]],[[5,5,5],[6,6,6]]]`.
fn tf_doc_tensor() -> Tensor {
    Tensor::from([[[1i32, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]], [[5, 5, 5], [6, 6, 6]]])
}

#[test]
fn slice_matches_tensorflow_docs() -> Result<()> {
    let t = tf_doc_tensor();
    let a = slice(&t, &[1, 0, 0], &[1, 1, 3])?;
    assert_eq!(a.shape(), &[1, 1, 3]);
    assert_eq!(a.to_vec::<i32>()?, vec![3, 3, 3]);
    let b = slice(&t, &[1, 0, 0], &[1, 2, 3])?;
    assert_eq!(b.shape(), &[1, 2, 3]);
    assert_eq!(b.to_vec::<i32>()?, vec![3, 3, 3, 4, 4, 4]);
    let c = slice(&t, &[1, 0, 0], &[2, 1, 3])?;
    assert_eq!(c.shape(), &[2, 1, 3]);
    assert_eq!(c.to_vec::<i32>()?, vec![3, 3, 3, 5, 5, 5]);
    // size -1 takes the rest; an empty box is fine.
    let d = slice(&arange(&[3, 4]), &[1, 2], &[-1, -1])?;
    assert_eq!(d.shape(), &[2, 2]);
    assert_eq!(vals(&d), vec![6.0, 7.0, 10.0, 11.0]);
    let e = slice(&arange(&[3, 4]), &[3, 0], &[-1, 2])?;
    assert_eq!(e.shape(), &[0, 2]);
    Ok(())
}

#[test]
fn slice_errors_name_the_bounds() {
    let x = arange(&[3, 4]);
    let e = slice(&x, &[0, 5], &[1, 1]).unwrap_err().to_string();
    assert!(e.contains("slice") && e.contains("begin[1] in [0, 4]") && e.contains("got 5"), "{e}");
    assert!(e.contains("float32[3, 4]"), "{e}");
    let e = slice(&x, &[1, 0], &[3, 1]).unwrap_err().to_string();
    assert!(e.contains("size[0] in [0, 2]") && e.contains("got 3"), "{e}");
    let e = slice(&x, &[-1, 0], &[1, 1]).unwrap_err().to_string();
    assert!(e.contains("begin[0]"), "{e}");
    let e = slice(&x, &[0], &[1]).unwrap_err().to_string();
    assert!(e.contains("one entry per dimension") && e.contains("length 2"), "{e}");
}

#[test]
fn slice_grad_places_the_gradient() -> Result<()> {
    let dy = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
    let g = slice_grad(&dy, &[3, 3], &[1, 0])?;
    assert_eq!(g.shape(), &[3, 3]);
    assert_eq!(vals(&g), vec![0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 4.0, 0.0]);
    let e = slice_grad(&dy, &[3, 3], &[2, 0]).unwrap_err().to_string();
    assert!(e.contains("slice_grad"), "{e}");
    Ok(())
}

#[test]
fn strided_slice_matches_tensorflow_docs() -> Result<()> {
    let t = tf_doc_tensor();
    let a = strided_slice(&t, &[1, 0, 0], &[2, 1, 3], &[1, 1, 1], 0, 0, 0, 0, 0)?;
    assert_eq!(a.shape(), &[1, 1, 3]);
    assert_eq!(a.to_vec::<i32>()?, vec![3, 3, 3]);
    let b = strided_slice(&t, &[1, 0, 0], &[2, 2, 3], &[1, 1, 1], 0, 0, 0, 0, 0)?;
    assert_eq!(b.shape(), &[1, 2, 3]);
    assert_eq!(b.to_vec::<i32>()?, vec![3, 3, 3, 4, 4, 4]);
    let c = strided_slice(&t, &[1, -1, 0], &[2, -3, 3], &[1, -1, 1], 0, 0, 0, 0, 0)?;
    assert_eq!(c.shape(), &[1, 2, 3]);
    assert_eq!(c.to_vec::<i32>()?, vec![4, 4, 4, 3, 3, 3]);
    Ok(())
}

#[test]
fn numpy_indexing_by_hand() -> Result<()> {
    let x = arange(&[3, 4]);
    // x[1]
    let y = index(&x, &s![1])?;
    assert_eq!(y.shape(), &[4]);
    assert_eq!(vals(&y), vec![4.0, 5.0, 6.0, 7.0]);
    // x[-1, ::-1]
    let y = index(&x, &s![-1, ..;-1])?;
    assert_eq!(vals(&y), vec![11.0, 10.0, 9.0, 8.0]);
    // x[:, 1:3]
    let y = index(&x, &s![.., 1..3])?;
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(vals(&y), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]);
    // x[::2, ::-2]
    let y = index(&x, &s![..;2, ..;-2])?;
    assert_eq!(y.shape(), &[2, 2]);
    assert_eq!(vals(&y), vec![3.0, 1.0, 11.0, 9.0]);
    // x[None, ..., 0]
    let y = index(&x, &s![None, ..., 0])?;
    assert_eq!(y.shape(), &[1, 3]);
    assert_eq!(vals(&y), vec![0.0, 4.0, 8.0]);
    // x[..., None]
    let y = index(&x, &s![..., None])?;
    assert_eq!(y.shape(), &[3, 4, 1]);
    assert_eq!(vals(&y), vals(&x));
    // x[-100:100] clamps like Python; x[5:] is empty.
    let y = index(&x, &s![-100..100])?;
    assert_eq!(y.shape(), &[3, 4]);
    let y = index(&x, &s![5..])?;
    assert_eq!(y.shape(), &[0, 4]);
    // x[2:0:-1, -1]
    let y = index(&x, &s![2..0;-1, -1])?;
    assert_eq!(vals(&y), vec![11.0, 7.0]);
    // x[1:, ..., ::-1, None] on a rank-3 tensor.
    let z = arange(&[2, 2, 3]);
    let y = index(&z, &s![1.., ..., ..;-1, None])?;
    assert_eq!(y.shape(), &[1, 2, 3, 1]);
    assert_eq!(vals(&y), vec![8.0, 7.0, 6.0, 11.0, 10.0, 9.0]);
    // The same through explicit items and constructors.
    let items = [SliceItem::starting_at(1), SliceItem::Ellipsis, SliceItem::step(-1), SliceItem::NewAxis];
    assert_eq!(vals(&index(&z, &items)?), vals(&y));
    // x[:2][1] via up_to / index.
    let y = index(&index(&x, &[SliceItem::up_to(2)])?, &[SliceItem::index(1)])?;
    assert_eq!(vals(&y), vec![4.0, 5.0, 6.0, 7.0]);
    // A scalar: x[1, 2]; and indexing a scalar with `...` / a new axis.
    let y = index(&x, &s![1, 2])?;
    assert_eq!(y.shape(), &[] as &[usize]);
    assert_eq!(y.item::<f32>()?, 6.0);
    let y = index(&y, &s![None, ...])?;
    assert_eq!(y.shape(), &[1]);
    Ok(())
}

#[test]
fn raw_masks_follow_tensorflow() -> Result<()> {
    let x = arange(&[5, 4]);
    // begin_mask on dim 0 (start from 0), end_mask on dim 1 (walk to the start): x[:4:2, -2::-1].
    let y = strided_slice(&x, &[9, -2], &[4, 0], &[2, -1], 0b01, 0b10, 0, 0, 0)?;
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(vals(&y), vec![2.0, 1.0, 0.0, 10.0, 9.0, 8.0]);
    // shrink with the end ignored: x[-1] written as begin -1, end 0.
    let y = strided_slice(&x, &[-1], &[0], &[1], 0, 0, 0, 0, 1)?;
    assert_eq!(vals(&y), vec![16.0, 17.0, 18.0, 19.0]);
    // ellipsis first, then a new axis and an index: x[..., None, 1].
    let y = strided_slice(&x, &[0, 0, 1], &[0, 0, 2], &[1, 1, 1], 0, 0, 0b001, 0b010, 0b100)?;
    assert_eq!(y.shape(), &[5, 1]);
    assert_eq!(vals(&y), vec![1.0, 5.0, 9.0, 13.0, 17.0]);
    Ok(())
}

#[test]
fn all_dtypes_slice() -> Result<()> {
    let b = Tensor::from([true, false, true, true]);
    assert_eq!(index(&b, &s![..;-1])?.to_vec::<bool>()?, vec![true, true, false, true]);
    let i = Tensor::from(vec![1i64, 2, 3, 4, 5]);
    assert_eq!(index(&i, &s![1..;2])?.to_vec::<i64>()?, vec![2, 4]);
    let d = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
    assert_eq!(index(&d, &s![.., 1])?.to_vec::<f64>()?, vec![2.0, 4.0]);
    Ok(())
}

#[test]
fn integer_index_out_of_range_names_dimension_and_size() {
    let x = arange(&[3, 4]);
    let e = index(&x, &s![3]).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("strided_slice") && m.contains("index 3") && m.contains("dimension 0"), "{m}");
    assert!(m.contains("size 3") && m.contains("float32[3, 4]"), "{m}");
    let m = index(&x, &s![.., -5]).unwrap_err().to_string();
    assert!(m.contains("index -5") && m.contains("dimension 1") && m.contains("size 4"), "{m}");
    // After an ellipsis the index refers to the last dimension.
    let m = index(&arange(&[2, 3, 5]), &s![..., 5]).unwrap_err().to_string();
    assert!(m.contains("dimension 2") && m.contains("size 5"), "{m}");
}

#[test]
fn malformed_specs_are_errors() {
    let x = arange(&[3, 4]);
    let m = index(&x, &s![..;0]).unwrap_err().to_string();
    assert!(m.contains("step") && m.contains("zero"), "{m}");
    let m = strided_slice(&x, &[0], &[1], &[0], 0, 0, 0, 0, 0).unwrap_err().to_string();
    assert!(m.contains("strides[0] must be non-zero"), "{m}");
    let m = strided_slice(&x, &[0, 0], &[0, 0], &[1, 1], 0, 0, 0b11, 0, 0).unwrap_err().to_string();
    assert!(m.contains("multiple ellipses"), "{m}");
    let m = index(&x, &s![..., ...]).unwrap_err().to_string();
    assert!(m.contains("single ellipsis"), "{m}");
    let m = index(&x, &s![0, 0, 0]).unwrap_err().to_string();
    assert!(m.contains("indexes 3 dimensions") && m.contains("float32[3, 4]") && m.contains("only 2"), "{m}");
    let m = strided_slice(&x, &[0, 0], &[1], &[1, 1], 0, 0, 0, 0, 0).unwrap_err().to_string();
    assert!(m.contains("same length") && m.contains("2, 1 and 2"), "{m}");
    let m = strided_slice(&x, &[0], &[1], &[-1], 0, 0, 0, 0, 1).unwrap_err().to_string();
    assert!(m.contains("positive stride"), "{m}");
}

#[test]
fn extreme_bounds_and_strides_clamp() -> Result<()> {
    let x = arange(&[3, 4]);
    let y = strided_slice(&x, &[i64::MIN, 1], &[i64::MAX, i64::MAX], &[i64::MAX, 1], 0, 0, 0, 0, 0)?;
    assert_eq!(y.shape(), &[1, 3]);
    assert_eq!(vals(&y), vec![1.0, 2.0, 3.0]);
    let y = strided_slice(&x, &[i64::MAX, 0], &[i64::MIN, 1], &[i64::MIN, 1], 0, 0, 0, 0, 0)?;
    assert_eq!(vals(&y), vec![8.0]);
    let m = index(&x, &s![i64::MIN]).unwrap_err().to_string();
    assert!(m.contains("dimension 0") && m.contains("size 3"), "{m}");
    let m = index(&x, &s![.., i64::MAX]).unwrap_err().to_string();
    assert!(m.contains("dimension 1") && m.contains("size 4"), "{m}");
    let m = slice_grad(&Tensor::from(vec![1.0f32]), &[usize::MAX / 2, 4], &[0, 0]).unwrap_err().to_string();
    assert!(m.contains("too many elements"), "{m}");
    Ok(())
}

#[test]
fn shape_inference_with_unknown_dims() -> Result<()> {
    let spec = Spec { dtype: DType::F32, dims: [None, Some(4), None].into_iter().collect() };
    // x[1:, 2, ..., None]: unknown stays unknown, known dims are exact, indexes drop.
    let attrs = slice_spec(&s![1.., 2, ..., None])?.to_attrs();
    let out = (slicing::STRIDED_SLICE.infer)(std::slice::from_ref(&spec), &attrs)?;
    assert_eq!(out[0].dims.as_slice(), &[None, None, Some(1)]);
    // An integer index into an unknown dim drops it without a bounds check.
    let attrs = slice_spec(&s![7, ..;2])?.to_attrs();
    let out = (slicing::STRIDED_SLICE.infer)(std::slice::from_ref(&spec), &attrs)?;
    assert_eq!(out[0].dims.as_slice(), &[Some(2), None]);
    // An out-of-range index into a known dim fails already at inference.
    let attrs = slice_spec(&s![.., 4])?.to_attrs();
    assert!((slicing::STRIDED_SLICE.infer)(std::slice::from_ref(&spec), &attrs).is_err());
    // slice: size -1 on an unknown dim is unknown.
    let attrs = Attrs::new().with("begin", Attr::Ints(vec![1, 1, 0])).with("size", Attr::Ints(vec![-1, -1, 2]));
    let out = (slicing::SLICE.infer)(&[spec], &attrs)?;
    assert_eq!(out[0].dims.as_slice(), &[None, Some(3), Some(2)]);
    Ok(())
}

#[test]
fn gradient_scatters_into_zeros() -> Result<()> {
    let x = Tensor::from_vec((0..12).map(|v| v as f64).collect(), &[3, 4])?;
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        reduce_sum(&index(&x, &s![..;2, ..;-2])?, None, false)
    })??;
    let g = tape.gradient(&y, &[&x])?[0].clone().unwrap();
    // Rows 0 and 2, columns 3 and 1.
    assert_eq!(vals(&g), vec![0., 1., 0., 1., 0., 0., 0., 0., 0., 1., 0., 1.]);
    // strided_slice_grad directly.
    let spec = slice_spec(&s![..;2, ..;-2])?;
    let back = strided_slice_grad(&Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]), &[3, 4], &spec)?;
    assert_eq!(vals(&back), vec![0., 2., 0., 1., 0., 0., 0., 0., 0., 4., 0., 3.]);
    let m = strided_slice_grad(&Tensor::from([1.0f64, 2.0]), &[3, 4], &spec).unwrap_err().to_string();
    assert!(m.contains("strided_slice_grad") && m.contains("float64[2]") && m.contains("[2, 2]"), "{m}");
    Ok(())
}

#[test]
fn second_order_gradient_through_slicing() -> Result<()> {
    let x = Tensor::from(vec![1.0f64, 2.0, 3.0, 4.0]);
    let c = Tensor::from(vec![10.0f64, 20.0, 30.0, 40.0]);
    let outer = GradientTape::new();
    let h = outer.scope(|o| -> Result<Tensor> {
        o.watch(&x);
        let inner = GradientTape::new();
        let z = inner.scope(|i| -> Result<Tensor> {
            i.watch(&x);
            let y = index(&x, &s![1..;2])?; // x[1], x[3]
            reduce_sum(&math::mul(&y, &y)?, None, false)
        })??;
        let g = inner.gradient(&z, &[&x])?[0].clone().unwrap(); // [0, 2x1, 0, 2x3]
        assert_eq!(vals(&g), vec![0.0, 4.0, 0.0, 8.0]);
        reduce::reduce_sum(&math::mul(&g, &c)?, None, false)
    })??;
    let gg = outer.gradient(&h, &[&x])?[0].clone().unwrap();
    assert_close(&vals(&gg), &[0.0, 40.0, 0.0, 80.0], 1e-12, 0.0);
    Ok(())
}

#[test]
fn spec_round_trips_through_attrs() -> Result<()> {
    let spec = slice_spec(&s![1.., ..., None, -1])?;
    assert_eq!(spec.begin, vec![1, 0, 0, -1]);
    assert_eq!(spec.end, vec![0, 0, 0, 0]);
    assert_eq!(spec.strides, vec![1, 1, 1, 1]);
    assert_eq!((spec.begin_mask, spec.end_mask), (0b0000, 0b0001));
    assert_eq!((spec.ellipsis_mask, spec.new_axis_mask, spec.shrink_axis_mask), (0b0010, 0b0100, 0b1000));
    assert_eq!(StridedSliceSpec::from_attrs("t", &spec.to_attrs())?, spec);
    Ok(())
}

#[test]
fn large_slices_use_the_parallel_path() -> Result<()> {
    let n = 300;
    let x = Tensor::from_vec((0..n * n).map(|v| v as f32).collect(), &[n, n])?;
    let y = index(&x, &s![..;-1, 1..;3])?;
    assert_eq!(y.shape(), &[n, 100]);
    let v = y.to_vec::<f32>()?;
    for (r, row) in v.chunks(100).enumerate() {
        for (c, &e) in row.iter().enumerate() {
            assert_eq!(e, ((n - 1 - r) * n + 1 + 3 * c) as f32);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Property test against an independent reference.

/// A slice item as the reference sees it.
#[derive(Clone, Debug)]
enum Item {
    Idx(i64),
    Rng(Option<i64>, Option<i64>, i64),
    New,
    Ell,
}

impl Item {
    fn to_slice_item(&self) -> SliceItem {
        match *self {
            Item::Idx(k) => SliceItem::Index(k),
            Item::Rng(a, b, s) => SliceItem::Range { start: a, stop: b, step: s },
            Item::New => SliceItem::NewAxis,
            Item::Ell => SliceItem::Ellipsis,
        }
    }
}

/// CPython's `slice(start, stop, step).indices(n)`, enumerated.
fn py_slice(start: Option<i64>, stop: Option<i64>, step: i64, n: usize) -> Vec<usize> {
    let n = n as i64;
    let (lower, upper) = if step < 0 { (-1, n - 1) } else { (0, n) };
    let adjust = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(v) if v < 0 => (v + n).max(lower),
        Some(v) => v.min(upper),
    };
    let start = adjust(start, if step < 0 { upper } else { lower });
    let stop = adjust(stop, if step < 0 { lower } else { upper });
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(i as usize);
        i += step;
    }
    out
}

/// The output shape and, per output element, the flat input position it reads; `Err` for an
/// out-of-range integer index.
fn reference(shape: &[usize], items: &[Item]) -> std::result::Result<(Vec<usize>, Vec<usize>), String> {
    let consuming = items.iter().filter(|i| matches!(i, Item::Idx(_) | Item::Rng(..))).count();
    let mut expanded: Vec<Item> = Vec::new();
    let mut saw_ellipsis = false;
    for it in items {
        if let Item::Ell = it {
            saw_ellipsis = true;
            for _ in consuming..shape.len() {
                expanded.push(Item::Rng(None, None, 1));
            }
        } else {
            expanded.push(it.clone());
        }
    }
    if !saw_ellipsis {
        for _ in consuming..shape.len() {
            expanded.push(Item::Rng(None, None, 1));
        }
    }
    // Per input axis: the positions read; per output axis: which input axis (None = new axis).
    let mut per_axis: Vec<Vec<usize>> = Vec::new();
    let mut out_axes: Vec<Option<usize>> = Vec::new();
    for it in &expanded {
        let axis = per_axis.len();
        match *it {
            Item::Idx(k) => {
                let n = shape[axis] as i64;
                let kk = if k < 0 { k + n } else { k };
                if kk < 0 || kk >= n {
                    return Err(format!("index {k} out of range for axis {axis} of size {n}"));
                }
                per_axis.push(vec![kk as usize]);
            }
            Item::Rng(a, b, s) => {
                per_axis.push(py_slice(a, b, s, shape[axis]));
                out_axes.push(Some(axis));
            }
            Item::New => out_axes.push(None),
            Item::Ell => unreachable!(),
        }
    }
    let out_shape: Vec<usize> = out_axes.iter().map(|a| a.map_or(1, |a| per_axis[a].len())).collect();
    let total: usize = out_shape.iter().product();
    let mut positions = Vec::with_capacity(total);
    let mut coord = vec![0usize; out_shape.len()];
    for _ in 0..total {
        // Input coordinate: integer-indexed axes keep their single position.
        let mut pick: Vec<usize> = per_axis.iter().map(|p| p[0]).collect();
        for (o, a) in out_axes.iter().enumerate() {
            if let Some(a) = a {
                pick[*a] = per_axis[*a][coord[o]];
            }
        }
        let mut flat = 0;
        for (d, &p) in pick.iter().enumerate() {
            flat = flat * shape[d] + p;
        }
        positions.push(flat);
        for o in (0..coord.len()).rev() {
            coord[o] += 1;
            if coord[o] < out_shape[o] {
                break;
            }
            coord[o] = 0;
        }
    }
    Ok((out_shape, positions))
}

fn item_strategy() -> impl Strategy<Value = Item> {
    let bound = proptest::option::weighted(0.7, -6i64..7);
    prop_oneof![
        3 => (-5i64..5).prop_map(Item::Idx),
        6 => (bound.clone(), bound, prop_oneof![Just(-3i64), Just(-2), Just(-1), Just(1), Just(2), Just(3)])
            .prop_map(|(a, b, s)| Item::Rng(a, b, s)),
        1 => Just(Item::New),
        1 => Just(Item::Ell),
    ]
}

fn case_strategy() -> impl Strategy<Value = (Vec<usize>, Vec<Item>)> {
    let dim = prop_oneof![1 => Just(0usize), 8 => 1usize..5];
    (proptest::collection::vec(dim, 1..=4), proptest::collection::vec(item_strategy(), 0..=6)).prop_map(
        |(shape, raw)| {
            // At most one ellipsis, and no more consuming items than dimensions.
            let mut items = Vec::new();
            let (mut ell, mut consuming) = (false, 0);
            for it in raw {
                match it {
                    Item::Ell if ell => continue,
                    Item::Ell => ell = true,
                    Item::Idx(_) | Item::Rng(..) if consuming == shape.len() => continue,
                    Item::Idx(_) | Item::Rng(..) => consuming += 1,
                    Item::New => {}
                }
                items.push(it);
            }
            (shape, items)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn strided_slice_matches_reference((shape, items) in case_strategy()) {
        let n: usize = shape.iter().product();
        let x = Tensor::from_vec((0..n).map(|v| v as f64).collect(), &shape).unwrap();
        let slice_items: Vec<SliceItem> = items.iter().map(Item::to_slice_item).collect();
        match reference(&shape, &items) {
            Err(why) => {
                let e = index(&x, &slice_items);
                prop_assert!(e.is_err(), "expected an error ({why}) for {items:?} on {shape:?}");
                let m = e.unwrap_err().to_string();
                prop_assert!(m.contains("out of bounds") && m.contains("dimension"), "{m}");
            }
            Ok((out_shape, positions)) => {
                let tape = GradientTape::new();
                let w = Tensor::from_vec((1..=positions.len()).map(|v| v as f64).collect(), &out_shape).unwrap();
                let (y, loss) = tape.scope(|t| -> Result<(Tensor, Tensor)> {
                    t.watch(&x);
                    let y = index(&x, &slice_items)?;
                    let loss = reduce_sum(&math::mul(&y, &w)?, None, false)?;
                    Ok((y, loss))
                }).unwrap().unwrap();
                prop_assert_eq!(y.shape(), out_shape.as_slice());
                let expected: Vec<f64> = positions.iter().map(|&p| p as f64).collect();
                prop_assert_eq!(y.to_f64_vec(), expected);
                // The gradient puts each weight back where its element came from.
                let g = tape.gradient(&loss, &[&x]).unwrap()[0].clone().unwrap();
                let mut expected_g = vec![0.0; n];
                for (k, &p) in positions.iter().enumerate() {
                    expected_g[p] = (k + 1) as f64;
                }
                prop_assert_eq!(g.to_f64_vec(), expected_g);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bounds held by tensors: eager ones read like integers, traced ones stay inputs of the graph.

/// The items with every bound a tensor: the tensor items (placeholders `bounds` in order, or
/// eager tensors when `bounds` is `None`) and the values fed for them.
fn tensor_items(items: &[Item], bounds: Option<&[Tensor]>) -> (Vec<SliceItem>, Vec<Tensor>) {
    let mut values = Vec::new();
    let mut next = |v: i64| {
        let k = values.len();
        values.push(Tensor::from(v));
        match bounds {
            Some(b) => b[k].clone(),
            None => Tensor::from(v),
        }
    };
    let slice_items = items
        .iter()
        .map(|it| match *it {
            Item::Idx(k) => SliceItem::IndexAt(next(k)),
            Item::Rng(a, b, s) => {
                SliceItem::RangeAt { start: a.map(&mut next), stop: b.map(&mut next), step: Some(next(s)) }
            }
            Item::New => SliceItem::NewAxis,
            Item::Ell => SliceItem::Ellipsis,
        })
        .collect();
    (slice_items, values)
}

/// `x[items]` and the gradient of `sum(x[items] * w)` (with `w` all ones), traced with every
/// dimension of `x` and every bound known only at run time, then run on `x` and the bounds.
fn traced_index(x: &Tensor, items: &[Item]) -> Result<(Tensor, Tensor)> {
    let (_, values) = tensor_items(items, None);
    let mut specs = vec![Spec { dtype: DType::F64, dims: x.shape().iter().map(|_| None).collect() }];
    specs.extend(values.iter().map(|_| Spec { dtype: DType::I64, dims: Default::default() }));
    let options = tensile::function::TraceOptions { root: true, allow_variable_creation: false };
    let traced = tensile::function::trace_graph(&specs, options, |xs| {
        let (slice_items, _) = tensor_items(items, Some(&xs[1..]));
        let tape = GradientTape::new();
        let (y, loss) = tape.scope(|t| -> Result<(Tensor, Tensor)> {
            t.watch(&xs[0]);
            let y = index(&xs[0], &slice_items)?;
            Ok((y.clone(), reduce_sum(&y, None, false)?))
        })??;
        let g = tape.gradient(&loss, &[&xs[0]])?[0].clone().unwrap();
        Ok(vec![y, g])
    })?;
    let mut feeds = vec![x.clone()];
    feeds.extend(values);
    feeds.extend(traced.captures.iter().cloned());
    let out = tensile::graph::exec::run(&traced.graph, &feeds, &traced.variables)?;
    Ok((out[0].clone(), out[1].clone()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every bound a traced scalar: the graph slices and differentiates as the reference says.
    #[test]
    fn run_time_bounds_match_reference((shape, items) in case_strategy()) {
        let n: usize = shape.iter().product();
        let x = Tensor::from_vec((0..n).map(|v| v as f64).collect(), &shape).unwrap();
        match reference(&shape, &items) {
            Err(why) => {
                let e = traced_index(&x, &items);
                prop_assert!(e.is_err(), "expected an error ({why}) for {items:?} on {shape:?}");
                let m = e.unwrap_err().to_string();
                prop_assert!(m.contains("out of bounds") && m.contains("strided_slice_dynamic"), "{m}");
            }
            Ok((out_shape, positions)) => {
                let (y, g) = traced_index(&x, &items).unwrap();
                prop_assert_eq!(y.shape(), out_shape.as_slice());
                let expected: Vec<f64> = positions.iter().map(|&p| p as f64).collect();
                prop_assert_eq!(y.to_f64_vec(), expected);
                let mut expected_g = vec![0.0; n];
                for &p in &positions {
                    expected_g[p] = 1.0;
                }
                prop_assert_eq!(g.to_f64_vec(), expected_g);
            }
        }
    }
}

#[test]
fn eager_tensor_bounds_read_like_integers() -> Result<()> {
    let x = arange(&[4, 6]);
    let items = [
        SliceItem::IndexAt(Tensor::from(-1i32)),
        SliceItem::RangeAt { start: Some(Tensor::from(1i64)), stop: None, step: Some(Tensor::from(2i32)) },
    ];
    let y = index(&x, &items)?;
    assert_eq!(vals(&y), vec![19.0, 21.0, 23.0]);
    // Eager bounds make a plain strided-slice spec.
    let spec = slice_spec(&items)?;
    assert_eq!((spec.begin, spec.end, spec.strides), (vec![-1, 1], vec![0, 0], vec![1, 2]));
    Ok(())
}

#[test]
fn tensor_bounds_must_be_integer_scalars() {
    let x = arange(&[4, 6]);
    let e = index(&x, &[SliceItem::IndexAt(Tensor::from(1.0f32))]).unwrap_err().to_string();
    assert!(e.contains("scalar int32 or int64") && e.contains("float32[]") && e.contains("item 0"), "{e}");
    let stop = Some(Tensor::from([1i32, 2]));
    let e =
        index(&x, &[SliceItem::full(), SliceItem::RangeAt { start: None, stop, step: None }]).unwrap_err().to_string();
    assert!(e.contains("int32[2]") && e.contains("item 1"), "{e}");
    let step = Some(Tensor::from(0i32));
    let e = index(&x, &[SliceItem::RangeAt { start: None, stop: None, step }]).unwrap_err().to_string();
    assert!(e.contains("step cannot be zero"), "{e}");
}

#[test]
fn run_time_bounds_leave_their_dims_unknown_while_tracing() -> Result<()> {
    let specs = [
        Spec { dtype: DType::F32, dims: [Some(4), Some(6)].into_iter().collect() },
        Spec { dtype: DType::I32, dims: Default::default() },
    ];
    let options = tensile::function::TraceOptions { root: true, allow_variable_creation: false };
    let traced = tensile::function::trace_graph(&specs, options, |xs| {
        let k = &xs[1];
        // x[:k, k] and x[1, ::k]: a run-time range is unknown, a run-time index still drops.
        let a = index(
            &xs[0],
            &[SliceItem::RangeAt { start: None, stop: Some(k.clone()), step: None }, SliceItem::IndexAt(k.clone())],
        )?;
        let b = index(
            &xs[0],
            &[SliceItem::Index(1), SliceItem::RangeAt { start: None, stop: None, step: Some(k.clone()) }],
        )?;
        assert_eq!(a.dims().as_slice(), &[None]);
        assert_eq!(b.dims().as_slice(), &[None]);
        // Bounds known to tracing need no run-time input.
        let e = slice_spec(&[SliceItem::IndexAt(k.clone())]).unwrap_err().to_string();
        assert!(e.contains("run time"), "{e}");
        Ok(vec![a, b])
    })?;
    let run = |k: i32| tensile::graph::exec::run(&traced.graph, &[arange(&[4, 6]), Tensor::from(k)], &traced.variables);
    let out = run(2)?;
    assert_eq!(vals(&out[0]), vec![2.0, 8.0]);
    assert_eq!(vals(&out[1]), vec![6.0, 8.0, 10.0]);
    let out = run(-3)?;
    // x[:-3, -3] and x[1, ::-3].
    assert_eq!(vals(&out[0]), vec![3.0]);
    assert_eq!(vals(&out[1]), vec![11.0, 8.0]);
    let e = run(6).unwrap_err().to_string();
    assert!(e.contains("slice index 6 of dimension 1 out of bounds") && e.contains("size 6"), "{e}");
    let e = run(0).unwrap_err().to_string();
    assert!(e.contains("strides[1] must be non-zero"), "{e}");
    Ok(())
}

#[test]
fn slice_with_run_time_begin_and_size_checks_like_slice() -> Result<()> {
    use tensile::ops::array::RUN_TIME_DIM;
    use tensile::ops::slicing_dynamic::slice_dynamic;
    let specs = [
        Spec { dtype: DType::F32, dims: [Some(3), Some(4)].into_iter().collect() },
        Spec { dtype: DType::I32, dims: [Some(2)].into_iter().collect() },
        Spec { dtype: DType::I32, dims: [Some(2)].into_iter().collect() },
    ];
    let options = tensile::function::TraceOptions { root: true, allow_variable_creation: false };
    let traced = tensile::function::trace_graph(&specs, options, |a| {
        let y = slice_dynamic(&a[0], &a[1], &a[2], &[RUN_TIME_DIM, 2])?;
        // A size tracing knows is promised; the rest is unknown.
        assert_eq!(y.dims().as_slice(), &[None, Some(2)]);
        Ok(vec![y])
    })?;
    let run = |b: [i32; 2], s: [i32; 2]| {
        tensile::graph::exec::run(
            &traced.graph,
            &[arange(&[3, 4]), Tensor::from(b.to_vec()), Tensor::from(s.to_vec())],
            &traced.variables,
        )
    };
    assert_eq!(vals(&run([1, 2], [-1, 2])?[0]), vec![6.0, 7.0, 10.0, 11.0]);
    assert_eq!(vals(&run([0, 0], [1, 2])?[0]), vec![0.0, 1.0]);
    // TensorFlow's bounds checks (no clamping, no negative begin), and the promised size.
    let e = run([2, 0], [2, 2]).unwrap_err().to_string();
    assert!(e.contains("size[0] in [0, 1]") && e.contains("got 2"), "{e}");
    let e = run([-1, 0], [1, 2]).unwrap_err().to_string();
    assert!(e.contains("begin[0]"), "{e}");
    let e = run([0, 0], [1, 3]).unwrap_err().to_string();
    assert!(e.contains("does not match the traced size"), "{e}");
    Ok(())
}
