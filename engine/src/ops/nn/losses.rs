//! Fused, numerically stable cross-entropy losses (per example, as TensorFlow returns them).
//! Each forward pass is one kernel; each gradient is written with ops (softmax, sigmoid, ...)
//! so the losses have second derivatives.

use super::softmax::{log_softmax, softmax};
use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::softmax::{self as kern, AxisView};
use crate::ops::{
    array, execute1, expect_arity, expect_dtype_in, expect_same_dtype, indexing, math, reduce, GradCtx, OpDef, Spec,
    FLOATS,
};
use crate::shape::{fmt_dims, merge_dims, normalize_axis};
use crate::tensor::Tensor;
use crate::with_float;

/// `g` reshaped so it broadcasts against `like` along `axis` (which `g` lacks).
fn expand_at(g: &Tensor, like: &Tensor, axis: usize) -> Result<Tensor> {
    if !crate::ops::shape_like::has_static_shape(like) {
        return array::expand_dims(g, axis as i64);
    }
    let mut shape: Vec<i64> = like.shape().iter().map(|&d| d as i64).collect();
    shape[axis] = 1;
    array::reshape(g, &shape)
}

fn expect_floats_same(op: &str, labels: &Spec, logits: &Spec) -> Result<()> {
    expect_dtype_in(op, logits, FLOATS)?;
    expect_dtype_in(op, labels, FLOATS)?;
    expect_same_dtype(op, labels, logits)
}

/// `tf.nn.sparse_softmax_cross_entropy_with_logits`: inputs `(labels, logits)` with integer
/// class indices `labels` of shape `logits.shape[:-1]`; returns `-log softmax(logits)[label]`.
pub static SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS: OpDef = OpDef {
    name: "sparse_softmax_cross_entropy_with_logits",
    infer: |s, _| {
        const OP: &str = "sparse_softmax_cross_entropy_with_logits";
        expect_arity(OP, s, 2)?;
        let (labels, logits) = (&s[0], &s[1]);
        expect_dtype_in(OP, labels, &[DType::I32, DType::I64])?;
        expect_dtype_in(OP, logits, FLOATS)?;
        if logits.rank() == 0 {
            return Err(Error::invalid(
                OP,
                format!("logits must have rank at least 1, got a scalar {}", logits.describe()),
            ));
        }
        let batch = &logits.dims[..logits.rank() - 1];
        let dims = merge_dims(&labels.dims, batch).ok_or_else(|| {
            Error::invalid(
                OP,
                format!(
                    "labels shape {} must equal logits shape {} without its last (class) dimension, i.e. {}",
                    labels.fmt_dims(),
                    logits.fmt_dims(),
                    fmt_dims(batch)
                ),
            )
        })?;
        if logits.dims[logits.rank() - 1] == Some(0) {
            return Err(Error::invalid(
                OP,
                format!("logits must have at least one class, got shape {}", logits.fmt_dims()),
            ));
        }
        Ok(vec![Spec { dtype: logits.dtype, dims }])
    },
    kernel: |i, _, o| {
        const OP: &str = "sparse_softmax_cross_entropy_with_logits";
        let (labels, logits) = (&i[0], &i[1]);
        let classes = logits.shape().last().copied().unwrap_or(0);
        let raw: Vec<i64> = match labels.dtype() {
            DType::I32 => labels.as_slice::<i32>()?.iter().map(|&v| v as i64).collect(),
            _ => labels.as_slice::<i64>()?.to_vec(),
        };
        let mut idx = Vec::with_capacity(raw.len());
        for (k, &v) in raw.iter().enumerate() {
            if v < 0 || v >= classes as i64 {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "labels[{k}] = {v} is outside the valid range [0, {classes}) for logits of shape {:?}",
                        logits.shape()
                    ),
                ));
            }
            idx.push(v as usize);
        }
        let sh = o[0].shape().ok_or_else(|| Error::invalid(OP, "unknown output shape"))?;
        let t = with_float!(logits.dtype(), T => Tensor::from_vec(kern::sparse_softmax_xent(&idx, logits.as_slice::<T>()?, classes), &sh)?,
            other => return Err(Error::invalid(OP, format!("unsupported dtype {}", logits.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        // ∂/∂logits = (softmax(logits) - one_hot(labels)) · g
        let (labels, logits) = (&c.inputs[0], &c.inputs[1]);
        let last = logits.rank() - 1;
        let iota = match logits.dims()[last] {
            Some(classes) => match labels.dtype() {
                DType::I32 => Tensor::from_vec((0..classes as i32).collect(), &[classes])?,
                _ => Tensor::from_vec((0..classes as i64).collect(), &[classes])?,
            },
            None => {
                let classes = indexing::gather(&array::shape(logits)?, &Tensor::from(last as i32), 0, 0)?;
                let classes = match labels.dtype() {
                    DType::I32 => classes,
                    dtype => math::cast(&classes, dtype)?,
                };
                let (zero, one) = (Tensor::scalar_of(labels.dtype(), 0.0), Tensor::scalar_of(labels.dtype(), 1.0));
                array::range_dynamic(&zero, &classes, &one)?
            }
        };
        let column = expand_at(labels, logits, last)?;
        let one_hot = math::cast(&math::equal(&column, &iota)?, logits.dtype())?;
        let g = expand_at(&c.grad(0)?, logits, last)?;
        let d = math::mul(&math::sub(&softmax(logits, -1)?, &one_hot)?, &g)?;
        Ok(vec![None, Some(d)])
    }),
    stateful: false,
    inplace: None,
};

/// `tf.nn.softmax_cross_entropy_with_logits`: inputs `(labels, logits)` of one shape, each
/// position along attribute `axis` a class; returns `-Σ labels · log softmax(logits)`.
pub static SOFTMAX_CROSS_ENTROPY_WITH_LOGITS: OpDef = OpDef {
    name: "softmax_cross_entropy_with_logits",
    infer: |s, a| {
        const OP: &str = "softmax_cross_entropy_with_logits";
        expect_arity(OP, s, 2)?;
        let (labels, logits) = (&s[0], &s[1]);
        expect_floats_same(OP, labels, logits)?;
        if logits.rank() == 0 {
            return Err(Error::invalid(
                OP,
                format!("logits must have rank at least 1, got a scalar {}", logits.describe()),
            ));
        }
        let mut dims = merge_dims(&labels.dims, &logits.dims).ok_or_else(|| {
            Error::invalid(
                OP,
                format!(
                    "labels and logits must have the same shape, got labels {} and logits {}",
                    labels.describe(),
                    logits.describe()
                ),
            )
        })?;
        let axis = normalize_axis(OP, a.int(OP, "axis")?, logits.rank())?;
        dims.remove(axis);
        Ok(vec![Spec { dtype: logits.dtype, dims }])
    },
    kernel: |i, a, o| {
        const OP: &str = "softmax_cross_entropy_with_logits";
        let (labels, logits) = (&i[0], &i[1]);
        let axis = normalize_axis(OP, a.int(OP, "axis")?, logits.rank())?;
        let v = AxisView::new(logits.shape(), axis);
        let sh = o[0].shape().ok_or_else(|| Error::invalid(OP, "unknown output shape"))?;
        let t = with_float!(logits.dtype(), T => Tensor::from_vec(kern::softmax_xent(labels.as_slice::<T>()?, logits.as_slice::<T>()?, v), &sh)?,
            other => return Err(Error::invalid(OP, format!("unsupported dtype {}", logits.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        // ∂/∂logits = (softmax · Σ labels - labels) · g   (= softmax - labels for distributions)
        // ∂/∂labels = -log_softmax · g
        let (labels, logits) = (&c.inputs[0], &c.inputs[1]);
        let axis_attr = c.attrs.int("softmax_cross_entropy_with_logits", "axis")?;
        let axis = normalize_axis("softmax_cross_entropy_with_logits", axis_attr, logits.rank())?;
        let g = expand_at(&c.grad(0)?, logits, axis)?;
        let mass = reduce::reduce_sum(labels, Some(&[axis as i64]), true)?;
        let p = softmax(logits, axis as i64)?;
        let d_logits = math::mul(&math::sub(&math::mul(&p, &mass)?, labels)?, &g)?;
        let d_labels = math::mul(&math::neg(&log_softmax(logits, axis as i64)?)?, &g)?;
        Ok(vec![Some(d_labels), Some(d_logits)])
    }),
    stateful: false,
    inplace: None,
};

/// `tf.nn.sigmoid_cross_entropy_with_logits`: inputs `(labels, logits)` of one shape;
/// elementwise `max(x, 0) - x·z + log(1 + exp(-|x|))`.
pub static SIGMOID_CROSS_ENTROPY_WITH_LOGITS: OpDef = OpDef {
    name: "sigmoid_cross_entropy_with_logits",
    infer: |s, _| {
        const OP: &str = "sigmoid_cross_entropy_with_logits";
        expect_arity(OP, s, 2)?;
        let (labels, logits) = (&s[0], &s[1]);
        expect_floats_same(OP, labels, logits)?;
        let dims = merge_dims(&labels.dims, &logits.dims).ok_or_else(|| {
            Error::invalid(
                OP,
                format!(
                    "logits and labels must have the same shape, got labels {} and logits {}",
                    labels.describe(),
                    logits.describe()
                ),
            )
        })?;
        Ok(vec![Spec { dtype: logits.dtype, dims }])
    },
    kernel: |i, _, _| {
        const OP: &str = "sigmoid_cross_entropy_with_logits";
        let (labels, logits) = (&i[0], &i[1]);
        let t = with_float!(logits.dtype(), T => Tensor::from_vec(kern::sigmoid_xent(labels.as_slice::<T>()?, logits.as_slice::<T>()?), logits.shape())?,
            other => return Err(Error::invalid(OP, format!("unsupported dtype {}", logits.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        // ∂/∂logits = (sigmoid(x) - z) · g,  ∂/∂labels = -x · g
        let (labels, logits) = (&c.inputs[0], &c.inputs[1]);
        let g = c.grad(0)?;
        let d_logits = math::mul(&math::sub(&math::sigmoid(logits)?, labels)?, &g)?;
        let d_labels = math::mul(&math::neg(logits)?, &g)?;
        Ok(vec![Some(d_labels), Some(d_logits)])
    }),
    stateful: false,
    inplace: None,
};

/// Per-example cross entropy between integer class `labels` and unnormalized `logits`
/// (`tf.nn.sparse_softmax_cross_entropy_with_logits`); a label outside `[0, classes)` is an error.
pub fn sparse_softmax_cross_entropy_with_logits(labels: &Tensor, logits: &Tensor) -> Result<Tensor> {
    execute1(&SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS, &[labels.clone(), logits.clone()], Attrs::new())
}

/// Per-example cross entropy between class distributions `labels` and unnormalized `logits`
/// along `axis` (`tf.nn.softmax_cross_entropy_with_logits`; TensorFlow's default axis is `-1`).
pub fn softmax_cross_entropy_with_logits(labels: &Tensor, logits: &Tensor, axis: i64) -> Result<Tensor> {
    let attrs = Attrs::new().with("axis", Attr::Int(axis));
    execute1(&SOFTMAX_CROSS_ENTROPY_WITH_LOGITS, &[labels.clone(), logits.clone()], attrs)
}

/// Elementwise logistic cross entropy (`tf.nn.sigmoid_cross_entropy_with_logits`), computed
/// as `max(x, 0) - x·z + log(1 + exp(-|x|))` so it never overflows.
pub fn sigmoid_cross_entropy_with_logits(labels: &Tensor, logits: &Tensor) -> Result<Tensor> {
    execute1(&SIGMOID_CROSS_ENTROPY_WITH_LOGITS, &[labels.clone(), logits.clone()], Attrs::new())
}
