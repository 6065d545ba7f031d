//! Statistical reductions: `reduce_logsumexp`, `reduce_variance`, `reduce_std`, `moments`.

use super::{
    infer_typed_reduction, keep_reduced, kept_shape, out_shape, reduce_mean, reduced_count, reduced_count_as,
    reduction_attrs, reduction_axes,
};
use crate::attrs::Attrs;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::elementwise::broadcast_binary;
use crate::kernels::reduce::{reduce, Arith, Max, Sum};
use crate::ops::{execute1, math, GradCtx, OpDef, Spec, FLOATS};
use crate::tensor::{Element, Tensor};
use num_traits::Float;

fn logsumexp_values<T: Arith + Float + Element>(x: &[T], shape: &[usize], axes: &[usize]) -> Result<Vec<T>> {
    // Shift by the max so exp never overflows; a non-finite max (all -inf, or inf) is replaced by 0
    // as TensorFlow does, which gives -inf / inf / NaN exactly where the true value is.
    let m: Vec<T> =
        reduce(x, shape, axes, &Max)?.into_iter().map(|v| if v.is_finite() { v } else { T::zero() }).collect();
    let kept = kept_shape(shape, axes);
    let e = broadcast_binary(x, shape, &m, &kept, shape, |a, b| (a - b).exp())?;
    let s = reduce(&e, shape, axes, &Sum)?;
    Ok(s.into_iter().zip(m).map(|(s, m)| s.ln() + m).collect())
}

fn variance_values<T: Arith + Float + Element>(x: &[T], shape: &[usize], axes: &[usize]) -> Result<Vec<T>> {
    // Two passes (mean, then squared deviations) avoid the cancellation of E[x²] - E[x]².
    let n = T::from(reduced_count(shape, axes)).unwrap_or_else(T::nan);
    let mean: Vec<T> = reduce(x, shape, axes, &Sum)?.into_iter().map(|s| s / n).collect();
    let kept = kept_shape(shape, axes);
    let sq = broadcast_binary(x, shape, &mean, &kept, shape, |a, m| (a - m) * (a - m))?;
    Ok(reduce(&sq, shape, axes, &Sum)?.into_iter().map(|s| s / n).collect())
}

/// A reduction body over `(values, shape, axes)`.
type Body<T> = fn(&[T], &[usize], &[usize]) -> Result<Vec<T>>;

/// Runs a float-only reduction body for the input's float type.
fn float_kernel(
    op: &str,
    x: &Tensor,
    attrs: &Attrs,
    out: &Spec,
    f32_fn: Body<f32>,
    f64_fn: Body<f64>,
) -> Result<Tensor> {
    let axes = reduction_axes(op, attrs, x.rank())?;
    let osh = out_shape(op, out)?;
    match x.dtype() {
        DType::F32 => Tensor::from_vec(f32_fn(x.as_slice::<f32>()?, x.shape(), &axes)?, &osh),
        DType::F64 => Tensor::from_vec(f64_fn(x.as_slice::<f64>()?, x.shape(), &axes)?, &osh),
        other => Err(Error::invalid(op, format!("expected a float tensor, got {other} with shape {:?}", x.shape()))),
    }
}

/// Registry entry of `reduce_logsumexp`.
pub static REDUCE_LOGSUMEXP: OpDef = OpDef {
    name: "reduce_logsumexp",
    infer: |s, a| infer_typed_reduction("reduce_logsumexp", s, a, FLOATS),
    kernel: |i, a, o| {
        Ok(vec![float_kernel("reduce_logsumexp", &i[0], a, &o[0], logsumexp_values::<f32>, logsumexp_values::<f64>)?])
    },
    grad: Some(|c: &GradCtx| {
        // d/dx log Σ exp(x) = softmax(x) = exp(x - y).
        let x = &c.inputs[0];
        let y = keep_reduced(&c.outputs[0], x, c.attrs, "reduce_logsumexp")?;
        let g = keep_reduced(&c.grad(0)?, x, c.attrs, "reduce_logsumexp")?;
        Ok(vec![Some(math::mul(&g, &math::exp(&math::sub(x, &y)?)?)?)])
    }),
    stateful: false,
    inplace: None,
};

/// `log(sum(exp(x)))` over `axis`, computed stably (`tf.math.reduce_logsumexp`); floats only.
pub fn reduce_logsumexp(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    execute1(&REDUCE_LOGSUMEXP, std::slice::from_ref(x), reduction_attrs(axis, keepdims))
}

/// Registry entry of `reduce_variance`.
pub static REDUCE_VARIANCE: OpDef = OpDef {
    name: "reduce_variance",
    infer: |s, a| infer_typed_reduction("reduce_variance", s, a, FLOATS),
    kernel: |i, a, o| {
        Ok(vec![float_kernel("reduce_variance", &i[0], a, &o[0], variance_values::<f32>, variance_values::<f64>)?])
    },
    grad: Some(|c: &GradCtx| {
        // d var / dx = 2 (x - mean) / n.
        let x = &c.inputs[0];
        let axes: Vec<i64> =
            reduction_axes("reduce_variance", c.attrs, x.rank())?.into_iter().map(|d| d as i64).collect();
        let n = reduced_count_as(x, &reduction_axes("reduce_variance", c.attrs, x.rank())?, x.dtype())?;
        let mean = reduce_mean(x, Some(&axes), true)?;
        let g = keep_reduced(&c.grad(0)?, x, c.attrs, "reduce_variance")?;
        let scale = math::div(&Tensor::scalar_of(x.dtype(), 2.0), &n)?;
        Ok(vec![Some(math::mul(&math::mul(&g, &math::sub(x, &mean)?)?, &scale)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Population variance over `axis` (`tf.math.reduce_variance`); floats only.
pub fn reduce_variance(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    execute1(&REDUCE_VARIANCE, std::slice::from_ref(x), reduction_attrs(axis, keepdims))
}

/// Population standard deviation over `axis`: `sqrt(reduce_variance)` (`tf.math.reduce_std`).
pub fn reduce_std(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    math::sqrt(&reduce_variance(x, axis, keepdims)?)
}

/// Mean and population variance over `axes` (`tf.nn.moments`).
pub fn moments(x: &Tensor, axes: &[i64], keepdims: bool) -> Result<(Tensor, Tensor)> {
    Ok((reduce_mean(x, Some(axes), keepdims)?, reduce_variance(x, Some(axes), keepdims)?))
}
