//! Reductions (`tf.reduce_sum`, ...): over an axis list or all axes, with `keepdims`.

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::reduce::reduce_axes;
use crate::ops::{array, execute1, expect_arity, GradCtx, OpDef, Spec};
use crate::shape::{normalize_axis, Dims};
use crate::tensor::Tensor;
use crate::with_numeric;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&REDUCE_SUM];

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

/// Output dims of a reduction.
pub fn reduced_dims(dims: &[crate::shape::Dim], axes: &[usize], keepdims: bool) -> Dims {
    dims.iter()
        .enumerate()
        .filter_map(|(d, &v)| if axes.contains(&d) { keepdims.then_some(Some(1)) } else { Some(v) })
        .collect()
}

/// Shape rule shared by reductions that keep the input dtype.
pub fn infer_reduction(op: &str, specs: &[Spec], attrs: &Attrs) -> Result<Vec<Spec>> {
    expect_arity(op, specs, 1)?;
    let axes = reduction_axes(op, attrs, specs[0].rank())?;
    Ok(vec![Spec {
        dtype: specs[0].dtype,
        dims: reduced_dims(&specs[0].dims, &axes, attrs.bool_or("keepdims", false)),
    }])
}

/// Attributes for a reduction call.
pub fn reduction_attrs(axis: Option<&[i64]>, keepdims: bool) -> Attrs {
    Attrs::new().with("axis", Attr::OptInts(axis.map(|a| a.to_vec()))).with("keepdims", Attr::Bool(keepdims))
}

/// Broadcasts a reduction's output gradient back over the input shape.
pub fn expand_reduced_grad(g: &Tensor, input: &Tensor, attrs: &Attrs, op: &str) -> Result<Tensor> {
    let axes = reduction_axes(op, attrs, input.rank())?;
    let kept: Vec<i64> =
        input.shape().iter().enumerate().map(|(d, &s)| if axes.contains(&d) { 1 } else { s as i64 }).collect();
    let g = array::reshape(g, &kept)?;
    array::broadcast_to(&g, input.shape())
}

/// `tf.reduce_sum`.
pub static REDUCE_SUM: OpDef = OpDef {
    name: "reduce_sum",
    infer: |s, a| {
        expect_arity("reduce_sum", s, 1)?;
        crate::ops::expect_dtype_in("reduce_sum", &s[0], crate::ops::NUMERIC)?;
        infer_reduction("reduce_sum", s, a)
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let axes = reduction_axes("reduce_sum", a, x.rank())?;
        let osh = o[0].shape().ok_or_else(|| Error::invalid("reduce_sum", "unknown output shape"))?;
        let t = with_numeric!(x.dtype(), T => {
            let v = reduce_axes(x.as_slice::<T>()?, x.shape(), &axes, T::default(), |acc, v| acc + v);
            Tensor::from_vec(v, &osh)?
        }, bool => return Err(Error::invalid("reduce_sum", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(expand_reduced_grad(&c.grad(0)?, &c.inputs[0], c.attrs, "reduce_sum")?)])),
    stateful: false,
};

/// Sum over `axis` (all axes when `None`), optionally keeping reduced dims as size 1.
pub fn reduce_sum(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    execute1(&REDUCE_SUM, std::slice::from_ref(x), reduction_attrs(axis, keepdims))
}
