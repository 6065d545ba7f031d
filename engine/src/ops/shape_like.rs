//! Ops that take their output shape from another tensor at run time: `zeros_like`,
//! `ones_like`, `broadcast_like`, `reshape_like` and `sum_to_like`.
//!
//! Gradient formulas size their results by the shapes of the op's values. Inside a traced
//! function a dimension may be known only at run time (`None` in an `input_signature`, a loop's
//! accumulated iterations); there the formulas use these ops (TensorFlow reads `tf.shape` at
//! run time for the same purpose). With fully known shapes the helpers below emit the ordinary
//! static ops instead, so graphs with known shapes are unchanged.

use crate::attrs::Attrs;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels;
use crate::kernels::reduce::{reduce, Sum};
use crate::ops::{array, execute1, expect_arity, reduce as reduce_ops, GradCtx, OpDef, Spec};
use crate::shape::{self, Dims};
use crate::tensor::Tensor;
use crate::{with_any, with_numeric};

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&ZEROS_LIKE, &ONES_LIKE, &BROADCAST_LIKE, &RESHAPE_LIKE, &SUM_TO_LIKE];

/// True when every dimension of `t` is known while tracing (always for eager tensors).
pub fn has_static_shape(t: &Tensor) -> bool {
    t.symbol().is_none_or(|s| s.dims.iter().all(Option::is_some))
}

/// Shape rule of `zeros_like`/`ones_like`: the input's dtype and dims.
fn infer_like(op: &str, s: &[Spec]) -> Result<Vec<Spec>> {
    expect_arity(op, s, 1)?;
    Ok(vec![s[0].clone()])
}

fn fill_like(i: &[Tensor], value: f64) -> Result<Vec<Tensor>> {
    Ok(vec![array::fill(i[0].dtype(), i[0].shape(), value)?])
}

/// `tf.zeros_like` as an op: zeros with the dtype and run-time shape of its input.
pub static ZEROS_LIKE: OpDef = OpDef {
    name: "zeros_like",
    infer: |s, _| infer_like("zeros_like", s),
    kernel: |i, _, _| fill_like(i, 0.0),
    grad: None,
    stateful: false,
    inplace: None,
};

/// `tf.ones_like` as an op: ones with the dtype and run-time shape of its input.
pub static ONES_LIKE: OpDef = OpDef {
    name: "ones_like",
    infer: |s, _| infer_like("ones_like", s),
    kernel: |i, _, _| fill_like(i, 1.0),
    grad: None,
    stateful: false,
    inplace: None,
};

/// `broadcast_to(x, shape(like))`: `x` broadcast to the run-time shape of `like`.
pub static BROADCAST_LIKE: OpDef = OpDef {
    name: "broadcast_like",
    infer: |s, _| {
        expect_arity("broadcast_like", s, 2)?;
        let (x, like) = (&s[0], &s[1]);
        match shape::broadcast_dims(&x.dims, &like.dims).and_then(|d| shape::merge_dims(&like.dims, &d)) {
            Some(dims) => Ok(vec![Spec { dtype: x.dtype, dims }]),
            None => Err(Error::invalid(
                "broadcast_like",
                format!("cannot broadcast a tensor of shape {} to shape {}", x.fmt_dims(), like.fmt_dims()),
            )),
        }
    },
    kernel: |i, _, o| {
        let (x, like) = (&i[0], &i[1]);
        let sh = like.shape();
        if o[0].shape().as_deref() != Some(sh) {
            return Err(Error::invalid(
                "broadcast_like",
                format!("cannot broadcast a tensor of shape {:?} to shape {:?}", x.shape(), sh),
            ));
        }
        let t = with_any!(x.dtype(), T => {
            Tensor::from_vec(kernels::elementwise::broadcast_to(x.as_slice::<T>()?, x.shape(), sh)?, sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(sum_to_like(&c.grad(0)?, &c.inputs[0])?), None])),
    stateful: false,
    inplace: None,
};

/// `reshape(x, shape(like))`: the elements of `x` under the run-time shape of `like`.
pub static RESHAPE_LIKE: OpDef = OpDef {
    name: "reshape_like",
    infer: |s, _| {
        expect_arity("reshape_like", s, 2)?;
        let (x, like) = (&s[0], &s[1]);
        if let (Some(a), Some(b)) = (x.shape(), like.shape()) {
            if shape::num_elements(&a) != shape::num_elements(&b) {
                return Err(Error::invalid(
                    "reshape_like",
                    format!(
                        "cannot reshape a tensor with {} elements (shape {}) to shape {}",
                        shape::num_elements(&a),
                        x.fmt_dims(),
                        like.fmt_dims()
                    ),
                ));
            }
        }
        Ok(vec![Spec { dtype: x.dtype, dims: like.dims.clone() }])
    },
    kernel: |i, _, _| Ok(vec![i[0].view(i[1].shape())?]),
    grad: Some(|c: &GradCtx| Ok(vec![Some(reshape_like(&c.grad(0)?, &c.inputs[0])?), None])),
    stateful: false,
    inplace: None,
};

/// The axes of `from` that summing down to `to` reduces (`to` right-aligned, as broadcasting
/// aligns), or `None` when `from` is not a broadcast of `to`.
fn summed_axes(from: &[usize], to: &[usize]) -> Option<Vec<usize>> {
    let off = from.len().checked_sub(to.len())?;
    let mut axes = Vec::new();
    for (d, &f) in from.iter().enumerate() {
        if d < off {
            axes.push(d);
        } else if to[d - off] != f {
            if to[d - off] != 1 {
                return None;
            }
            axes.push(d);
        }
    }
    Some(axes)
}

/// Sums `g` over the axes it was broadcast along so it gets the run-time shape of `like` (the
/// gradient of a broadcast; TensorFlow's `BroadcastGradientArgs` plus `reduce_sum`).
pub static SUM_TO_LIKE: OpDef = OpDef {
    name: "sum_to_like",
    infer: |s, _| {
        expect_arity("sum_to_like", s, 2)?;
        let (g, like) = (&s[0], &s[1]);
        crate::ops::expect_dtype_in("sum_to_like", g, crate::ops::NUMERIC)?;
        match shape::broadcast_dims(&g.dims, &like.dims) {
            Some(d) if shape::dims_compatible(&d, &g.dims) => {
                Ok(vec![Spec { dtype: g.dtype, dims: like.dims.clone() }])
            }
            _ => Err(Error::invalid(
                "sum_to_like",
                format!("a tensor of shape {} is not a broadcast of shape {}", g.fmt_dims(), like.fmt_dims()),
            )),
        }
    },
    kernel: |i, _, _| {
        let (g, like) = (&i[0], &i[1]);
        let axes = summed_axes(g.shape(), like.shape()).ok_or_else(|| {
            Error::invalid(
                "sum_to_like",
                format!("a tensor of shape {:?} is not a broadcast of shape {:?}", g.shape(), like.shape()),
            )
        })?;
        if axes.is_empty() {
            return Ok(vec![g.view(like.shape())?]);
        }
        let t = with_numeric!(g.dtype(), T => {
            Tensor::from_vec(reduce(g.as_slice::<T>()?, g.shape(), &axes, &Sum)?, like.shape())?
        }, bool => return Err(Error::invalid("sum_to_like", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(broadcast_like(&c.grad(0)?, &c.inputs[0])?), None])),
    stateful: false,
    inplace: None,
};

/// `x` broadcast to the shape of `like` (a static `broadcast_to` when that shape is known).
pub fn broadcast_like(x: &Tensor, like: &Tensor) -> Result<Tensor> {
    if has_static_shape(like) {
        return array::broadcast_to(x, like.shape());
    }
    execute1(&BROADCAST_LIKE, &[x.clone(), like.clone()], Attrs::new())
}

/// `x` reshaped to the shape of `like`, which has as many elements (a static `reshape` when
/// that shape is known).
pub fn reshape_like(x: &Tensor, like: &Tensor) -> Result<Tensor> {
    if has_static_shape(like) {
        let shape: Vec<i64> = like.shape().iter().map(|&d| d as i64).collect();
        return array::reshape(x, &shape);
    }
    let dims = like.dims();
    if x.dims() == dims && dims.iter().filter(|d| d.is_none()).count() <= 1 && !dims.contains(&Some(0)) {
        // Same dims, one unknown and the same element count: the shapes are equal at run time.
        return Ok(x.clone());
    }
    execute1(&RESHAPE_LIKE, &[x.clone(), like.clone()], Attrs::new())
}

/// `g` summed down to the shape of `like`, which broadcasting expanded to `g`'s shape.
pub fn sum_to_like(g: &Tensor, like: &Tensor) -> Result<Tensor> {
    unbroadcast_operand(g, like, &[])
}

/// The gradient `g` of a broadcasting op's output, summed down to the shape of operand `x`.
///
/// `partners` are the dims of the operands `x` was broadcast against (aligned to the right).
/// They decide statically whether an axis of `x` whose size is known only at run time was
/// broadcast: when no partner can be larger there, it was not. Only axes that stay undecided
/// need the run-time `sum_to_like`; an empty `partners` means "unknown", so every such axis
/// is undecided.
pub fn unbroadcast_operand(g: &Tensor, x: &Tensor, partners: &[Dims]) -> Result<Tensor> {
    if has_static_shape(x) {
        return crate::ops::math::unbroadcast(g, x.shape());
    }
    let (gd, xd) = (g.dims(), x.dims());
    if gd.len() < xd.len() {
        return broadcast_like(g, x);
    }
    let off = gd.len() - xd.len();
    let mut axes = Vec::new();
    let mut undecided = false;
    for (d, gdim) in gd.iter().enumerate() {
        if d < off {
            axes.push(d as i64);
            continue;
        }
        match xd[d - off] {
            Some(1) if *gdim != Some(1) => axes.push(d as i64),
            None if *gdim != Some(1) => {
                let may_be_wider = partners.is_empty()
                    || partners.iter().any(|p| {
                        let pd = (d + p.len()).checked_sub(gd.len()).map(|i| p[i]);
                        matches!(pd, Some(None) | Some(Some(2..)))
                    });
                undecided |= may_be_wider;
            }
            _ => {}
        }
    }
    if undecided {
        return execute1(&SUM_TO_LIKE, &[g.clone(), x.clone()], Attrs::new());
    }
    let summed = if axes.is_empty() { g.clone() } else { reduce_ops::reduce_sum(g, Some(&axes), true)? };
    if off == 0 {
        return Ok(summed);
    }
    let lead: Vec<i64> = (0..off as i64).collect();
    array::squeeze(&summed, Some(&lead))
}

/// Zeros with the dtype and shape of `x`: a constant when the shape is known, else an op.
pub fn zeros_like(x: &Tensor) -> Result<Tensor> {
    if has_static_shape(x) {
        return array::zeros(x.dtype(), x.shape());
    }
    execute1(&ZEROS_LIKE, std::slice::from_ref(x), Attrs::new())
}

/// Ones with the dtype and shape of `x`: a constant when the shape is known, else an op.
pub fn ones_like(x: &Tensor) -> Result<Tensor> {
    if has_static_shape(x) {
        return array::ones(x.dtype(), x.shape());
    }
    execute1(&ONES_LIKE, std::slice::from_ref(x), Attrs::new())
}

/// The number of elements of `x` as a `dtype` scalar: a constant when the shape is known,
/// else computed at run time.
pub fn size_as(x: &Tensor, dtype: DType) -> Result<Tensor> {
    if has_static_shape(x) {
        return Ok(Tensor::scalar_of(dtype, x.size() as f64));
    }
    crate::ops::math::cast(&array::size(x)?, dtype)
}
