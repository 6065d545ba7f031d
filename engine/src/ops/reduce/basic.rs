//! Folding reductions: `reduce_sum`, `reduce_mean`, `reduce_max`, `reduce_min`, `reduce_prod`,
//! `reduce_all`, `reduce_any`.

use super::{
    cumprod, expand_reduced_grad, infer_typed_reduction, keep_reduced, out_shape, reduced_count, reduced_count_as,
    reduction_attrs, reduction_axes,
};
use crate::attrs::Attrs;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::reduce::{reduce, All, Any, Max, Min, Prod, Reducer, Sum};
use crate::ops::{execute1, math, shape_like, GradCtx, OpDef, Spec, NUMERIC};
use crate::tensor::Tensor;
use crate::with_numeric;

/// Runs `r` over the reduction axes of a numeric tensor.
fn fold_numeric<R>(op: &str, x: &Tensor, attrs: &Attrs, out: &Spec, r: &R) -> Result<Tensor>
where
    R: Reducer<f32> + Reducer<f64> + Reducer<i32> + Reducer<i64>,
{
    let axes = reduction_axes(op, attrs, x.rank())?;
    let osh = out_shape(op, out)?;
    with_numeric!(x.dtype(), T => {
        Tensor::from_vec(reduce(x.as_slice::<T>()?, x.shape(), &axes, r)?, &osh)
    }, bool => Err(Error::invalid(op, format!("bool tensors are not supported (got shape {:?})", x.shape()))))
}

/// Runs `r` over the reduction axes of a bool tensor.
fn fold_bool<R: Reducer<bool>>(op: &str, x: &Tensor, attrs: &Attrs, out: &Spec, r: &R) -> Result<Tensor> {
    let axes = reduction_axes(op, attrs, x.rank())?;
    let osh = out_shape(op, out)?;
    Tensor::from_vec(reduce(x.as_slice::<bool>()?, x.shape(), &axes, r)?, &osh)
}

/// The reduction axes as an explicit `i64` list (for gradient formulas).
fn axes_i64(op: &str, x: &Tensor, attrs: &Attrs) -> Result<Vec<i64>> {
    Ok(reduction_axes(op, attrs, x.rank())?.into_iter().map(|d| d as i64).collect())
}

macro_rules! reduction_op {
    ($S:ident, $fun:ident, $name:literal, $allowed:expr, $kernel:expr, $grad:expr, $doc:literal) => {
        #[doc = concat!("Registry entry of `", $name, "`.")]
        pub static $S: OpDef = OpDef {
            name: $name,
            infer: |s, a| infer_typed_reduction($name, s, a, $allowed),
            kernel: $kernel,
            grad: $grad,
            stateful: false,
            inplace: None,
        };
        #[doc = $doc]
        pub fn $fun(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
            execute1(&$S, std::slice::from_ref(x), reduction_attrs(axis, keepdims))
        }
    };
}

reduction_op!(
    REDUCE_SUM,
    reduce_sum,
    "reduce_sum",
    NUMERIC,
    |i, a, o| Ok(vec![fold_numeric("reduce_sum", &i[0], a, &o[0], &Sum)?]),
    Some(|c: &GradCtx| Ok(vec![Some(expand_reduced_grad(&c.grad(0)?, &c.inputs[0], c.attrs, "reduce_sum")?)])),
    "Sum over `axis` (all axes when `None`), optionally keeping reduced dims as size 1 (`tf.reduce_sum`). \
     Integers wrap on overflow; float sums are accumulated pairwise."
);

fn mean_kernel(x: &Tensor, attrs: &Attrs, out: &Spec) -> Result<Tensor> {
    const OP: &str = "reduce_mean";
    let axes = reduction_axes(OP, attrs, x.rank())?;
    let osh = out_shape(OP, out)?;
    let n = reduced_count(x.shape(), &axes);
    match x.dtype() {
        DType::F32 => {
            let s = reduce(x.as_slice::<f32>()?, x.shape(), &axes, &Sum)?;
            Tensor::from_vec(s.into_iter().map(|v| v / n as f32).collect(), &osh)
        }
        DType::F64 => {
            let s = reduce(x.as_slice::<f64>()?, x.shape(), &axes, &Sum)?;
            Tensor::from_vec(s.into_iter().map(|v| v / n as f64).collect(), &osh)
        }
        DType::I32 => {
            // TensorFlow sums int32 in int64, so the mean itself never overflows.
            let wide: Vec<i64> = x.as_slice::<i32>()?.iter().map(|&v| v as i64).collect();
            let s = reduce(&wide, x.shape(), &axes, &Sum)?;
            Tensor::from_vec(s.into_iter().map(|v| if n == 0 { 0 } else { (v / n as i64) as i32 }).collect(), &osh)
        }
        DType::I64 => {
            let s = reduce(x.as_slice::<i64>()?, x.shape(), &axes, &Sum)?;
            Tensor::from_vec(s.into_iter().map(|v| if n == 0 { 0 } else { v / n as i64 }).collect(), &osh)
        }
        DType::Bool => Err(Error::invalid(OP, format!("bool tensors are not supported (got shape {:?})", x.shape()))),
    }
}

reduction_op!(
    REDUCE_MEAN,
    reduce_mean,
    "reduce_mean",
    NUMERIC,
    |i, a, o| Ok(vec![mean_kernel(&i[0], a, &o[0])?]),
    Some(|c: &GradCtx| {
        let x = &c.inputs[0];
        let g = expand_reduced_grad(&c.grad(0)?, x, c.attrs, "reduce_mean")?;
        let n = reduced_count_as(x, &reduction_axes("reduce_mean", c.attrs, x.rank())?, g.dtype())?;
        Ok(vec![Some(math::div(&g, &n)?)])
    }),
    "Mean over `axis` (`tf.reduce_mean`). Integer means truncate toward zero, as TensorFlow's do; \
     the mean of nothing is NaN for floats and 0 for integers."
);

/// Gradient of max/min: the output gradient is shared equally by all elements equal to the result.
fn minmax_grad(c: &GradCtx, op: &str) -> Result<Vec<Option<Tensor>>> {
    let x = &c.inputs[0];
    let y = keep_reduced(&c.outputs[0], x, c.attrs, op)?;
    let g = keep_reduced(&c.grad(0)?, x, c.attrs, op)?;
    let winners = math::cast(&math::equal(x, &y)?, g.dtype())?;
    let count = reduce_sum(&winners, Some(&axes_i64(op, x, c.attrs)?), true)?;
    Ok(vec![Some(math::mul(&math::div(&winners, &count)?, &g)?)])
}

reduction_op!(
    REDUCE_MAX,
    reduce_max,
    "reduce_max",
    NUMERIC,
    |i, a, o| Ok(vec![fold_numeric("reduce_max", &i[0], a, &o[0], &Max)?]),
    Some(|c: &GradCtx| minmax_grad(c, "reduce_max")),
    "Maximum over `axis` (`tf.reduce_max`). NaN propagates; the max of nothing is -inf for floats \
     and the type's minimum for integers. The gradient is split equally between tied maxima."
);

reduction_op!(
    REDUCE_MIN,
    reduce_min,
    "reduce_min",
    NUMERIC,
    |i, a, o| Ok(vec![fold_numeric("reduce_min", &i[0], a, &o[0], &Min)?]),
    Some(|c: &GradCtx| minmax_grad(c, "reduce_min")),
    "Minimum over `axis` (`tf.reduce_min`). NaN propagates; the min of nothing is +inf for floats \
     and the type's maximum for integers. The gradient is split equally between tied minima."
);

/// Gradient of prod without dividing by the input, so zeros are handled exactly.
///
/// For reduced axes `a1 < ... < am`, the product of all *other* elements of an element's group is
/// the product over levels k of "the other slices along `ak`", where each slice is first reduced
/// over the later axes `a(k+1)..am`. Each level is an exclusive cumprod from the left times one
/// from the right, as TensorFlow's gradient does after flattening the reduced axes.
fn prod_grad(c: &GradCtx) -> Result<Vec<Option<Tensor>>> {
    const OP: &str = "reduce_prod";
    let x = &c.inputs[0];
    let axes = axes_i64(OP, x, c.attrs)?;
    let g = expand_reduced_grad(&c.grad(0)?, x, c.attrs, OP)?;
    let mut others: Option<Tensor> = None;
    for (k, &a) in axes.iter().enumerate() {
        let later = &axes[k + 1..];
        let slices = if later.is_empty() { x.clone() } else { reduce_prod(x, Some(later), true)? };
        let left = cumprod(&slices, a, true, false)?;
        let right = cumprod(&slices, a, true, true)?;
        let level = math::mul(&left, &right)?;
        others = Some(match others {
            None => level,
            Some(o) => math::mul(&o, &level)?,
        });
    }
    let grad = match others {
        Some(o) => math::mul(&g, &shape_like::broadcast_like(&o, x)?)?,
        None => g,
    };
    Ok(vec![Some(grad)])
}

reduction_op!(
    REDUCE_PROD,
    reduce_prod,
    "reduce_prod",
    NUMERIC,
    |i, a, o| Ok(vec![fold_numeric("reduce_prod", &i[0], a, &o[0], &Prod)?]),
    Some(prod_grad),
    "Product over `axis` (`tf.reduce_prod`). Integers wrap on overflow; the product of nothing is 1. \
     The gradient is exact when the input contains zeros."
);

reduction_op!(
    REDUCE_ALL,
    reduce_all,
    "reduce_all",
    &[DType::Bool],
    |i, a, o| Ok(vec![fold_bool("reduce_all", &i[0], a, &o[0], &All)?]),
    None,
    "Logical and over `axis` of a bool tensor (`tf.reduce_all`); true for nothing."
);

reduction_op!(
    REDUCE_ANY,
    reduce_any,
    "reduce_any",
    &[DType::Bool],
    |i, a, o| Ok(vec![fold_bool("reduce_any", &i[0], a, &o[0], &Any)?]),
    None,
    "Logical or over `axis` of a bool tensor (`tf.reduce_any`); false for nothing."
);
