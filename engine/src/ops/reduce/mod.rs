//! Reductions (`tf.reduce_sum`, `tf.reduce_max`, `tf.math.reduce_logsumexp`, ...) over an axis
//! list or all axes with `keepdims`; `argmax`/`argmin`; cumulative `cumsum`/`cumprod`;
//! `top_k`; `moments`.

mod arg;
mod basic;
mod scan;
mod stats;
mod topk;

pub use arg::*;
pub use basic::*;
pub use scan::*;
pub use stats::*;
pub use topk::*;

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{array, expect_arity, expect_dtype_in, shape_like, OpDef, Spec};
use crate::shape::{normalize_axis, Dim, Dims};
use crate::tensor::Tensor;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[
    &REDUCE_SUM,
    &REDUCE_MEAN,
    &REDUCE_MAX,
    &REDUCE_MIN,
    &REDUCE_PROD,
    &REDUCE_ALL,
    &REDUCE_ANY,
    &REDUCE_LOGSUMEXP,
    &REDUCE_VARIANCE,
    &ARGMAX,
    &ARGMIN,
    &CUMSUM,
    &CUMPROD,
    &TOP_K,
    &GATHER_LAST_AXIS,
    &SCATTER_LAST_AXIS,
];

/// Resolves the `axis` attribute (absent = all axes) to sorted unique axes.
pub fn reduction_axes(op: &str, attrs: &Attrs, rank: usize) -> Result<Vec<usize>> {
    let mut axes: Vec<usize> = match attrs.opt_ints("axis") {
        None => (0..rank).collect(),
        Some(list) => list.iter().map(|&a| normalize_axis(op, a, rank)).collect::<Result<_>>()?,
    };
    axes.sort_unstable();
    axes.dedup();
    Ok(axes)
}

/// Resolves the `axis` attribute against an operand, with errors that show the operand:
/// out-of-range and repeated axes are rejected (as TensorFlow does).
pub fn checked_reduction_axes(op: &str, spec: &Spec, attrs: &Attrs) -> Result<Vec<usize>> {
    let rank = spec.rank();
    let Some(list) = attrs.opt_ints("axis") else { return Ok((0..rank).collect()) };
    let r = rank as i64;
    let mut axes = Vec::with_capacity(list.len());
    for &a in list {
        if a < -r || a >= r {
            return Err(Error::invalid(
                op,
                format!(
                    "axis {a} is out of range for a {} tensor of rank {rank} (expected an axis in [-{r}, {r}))",
                    spec.describe()
                ),
            ));
        }
        let d = (if a < 0 { a + r } else { a }) as usize;
        if axes.contains(&d) {
            return Err(Error::invalid(
                op,
                format!("axis list {list:?} names dimension {d} more than once (input {})", spec.describe()),
            ));
        }
        axes.push(d);
    }
    axes.sort_unstable();
    Ok(axes)
}

/// Resolves a single `axis` attribute against an operand (errors show the operand).
pub(crate) fn checked_axis(op: &str, spec: &Spec, attrs: &Attrs) -> Result<usize> {
    let a = attrs.int(op, "axis")?;
    let r = spec.rank() as i64;
    if a < -r || a >= r {
        return Err(Error::invalid(
            op,
            format!(
                "axis {a} is out of range for a {} tensor of rank {r} (expected an axis in [-{r}, {r}))",
                spec.describe()
            ),
        ));
    }
    Ok((if a < 0 { a + r } else { a }) as usize)
}

/// Output dims of a reduction.
pub fn reduced_dims(dims: &[Dim], axes: &[usize], keepdims: bool) -> Dims {
    dims.iter()
        .enumerate()
        .filter_map(|(d, &v)| if axes.contains(&d) { keepdims.then_some(Some(1)) } else { Some(v) })
        .collect()
}

/// Shape rule shared by reductions that keep the input dtype.
pub fn infer_reduction(op: &str, specs: &[Spec], attrs: &Attrs) -> Result<Vec<Spec>> {
    expect_arity(op, specs, 1)?;
    let axes = checked_reduction_axes(op, &specs[0], attrs)?;
    Ok(vec![Spec {
        dtype: specs[0].dtype,
        dims: reduced_dims(&specs[0].dims, &axes, attrs.bool_or("keepdims", false)),
    }])
}

/// Shape rule of a reduction whose input dtype must be one of `allowed`.
pub(crate) fn infer_typed_reduction(op: &str, specs: &[Spec], attrs: &Attrs, allowed: &[DType]) -> Result<Vec<Spec>> {
    expect_arity(op, specs, 1)?;
    expect_dtype_in(op, &specs[0], allowed)?;
    infer_reduction(op, specs, attrs)
}

/// Attributes for a reduction call.
pub fn reduction_attrs(axis: Option<&[i64]>, keepdims: bool) -> Attrs {
    Attrs::new().with("axis", Attr::OptInts(axis.map(|a| a.to_vec()))).with("keepdims", Attr::Bool(keepdims))
}

/// The input shape with reduced axes set to 1 (the `keepdims` output shape).
pub(crate) fn kept_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    shape.iter().enumerate().map(|(d, &s)| if axes.contains(&d) { 1 } else { s }).collect()
}

/// Number of input elements folded into each output element.
pub(crate) fn reduced_count(shape: &[usize], axes: &[usize]) -> usize {
    axes.iter().map(|&d| shape[d]).product()
}

/// The static output shape promised by the shape rule.
pub(crate) fn out_shape(op: &str, spec: &Spec) -> Result<Vec<usize>> {
    spec.shape().map(|s| s.to_vec()).ok_or_else(|| Error::invalid(op, "output shape unknown at run time"))
}

/// Reshapes a reduction's output (or its gradient) to the `keepdims` shape of `input`.
pub(crate) fn keep_reduced(t: &Tensor, input: &Tensor, attrs: &Attrs, op: &str) -> Result<Tensor> {
    let axes = reduction_axes(op, attrs, input.rank())?;
    if shape_like::has_static_shape(input) {
        let kept: Vec<i64> = kept_shape(input.shape(), &axes).iter().map(|&d| d as i64).collect();
        return array::reshape(t, &kept);
    }
    if t.rank() == input.rank() {
        return Ok(t.clone());
    }
    // Reinserting the reduced axes as size 1 needs no run-time shape.
    let mut out = t.clone();
    for &a in &axes {
        out = array::expand_dims(&out, a as i64)?;
    }
    Ok(out)
}

/// Broadcasts a reduction's output gradient back over the input shape.
pub fn expand_reduced_grad(g: &Tensor, input: &Tensor, attrs: &Attrs, op: &str) -> Result<Tensor> {
    let g = keep_reduced(g, input, attrs, op)?;
    shape_like::broadcast_like(&g, input)
}

/// The number of elements of `input` each output element of a reduction over `axes` folds, as
/// a `dtype` scalar (computed at run time when a reduced dimension is unknown while tracing).
pub(crate) fn reduced_count_as(input: &Tensor, axes: &[usize], dtype: DType) -> Result<Tensor> {
    let dims = input.dims();
    if let Some(n) = axes.iter().map(|&a| dims[a]).product::<Option<usize>>() {
        return Ok(Tensor::scalar_of(dtype, n as f64));
    }
    let idx: Vec<i32> = axes.iter().map(|&a| a as i32).collect();
    let sizes = crate::ops::indexing::gather(&array::shape(input)?, &Tensor::from_vec(idx, &[axes.len()])?, 0, 0)?;
    crate::ops::math::cast(&reduce_prod(&sizes, None, false)?, dtype)
}
