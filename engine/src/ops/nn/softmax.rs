//! `softmax`, `log_softmax` (numerically stable, along any axis) and `bias_add`.

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::softmax::{self as kern, AxisView};
use crate::ops::{
    execute1, expect_arity, expect_dtype_in, expect_same_dtype, math, reduce, GradCtx, OpDef, Spec, FLOATS, NUMERIC,
};
use crate::shape::normalize_axis;
use crate::tensor::Tensor;
use crate::{with_float, with_numeric};

fn infer_softmax(op: &str, s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    expect_arity(op, s, 1)?;
    expect_dtype_in(op, &s[0], FLOATS)?;
    if s[0].rank() == 0 {
        return Err(Error::invalid(op, format!("logits must have rank at least 1, got a scalar {}", s[0].describe())));
    }
    normalize_axis(op, a.int(op, "axis")?, s[0].rank())?;
    Ok(vec![s[0].clone()])
}

fn softmax_kernel(op: &str, x: &Tensor, a: &Attrs, log: bool) -> Result<Vec<Tensor>> {
    let axis = normalize_axis(op, a.int(op, "axis")?, x.rank())?;
    let v = AxisView::new(x.shape(), axis);
    let t = with_float!(x.dtype(), T => Tensor::from_vec(kern::softmax(x.as_slice::<T>()?, v, log), x.shape())?,
        other => return Err(Error::invalid(op, format!("unsupported dtype {}", x.dtype()))));
    Ok(vec![t])
}

/// `tf.nn.softmax` along attribute `axis`.
pub static SOFTMAX: OpDef = OpDef {
    name: "softmax",
    infer: |s, a| infer_softmax("softmax", s, a),
    kernel: |i, a, _| softmax_kernel("softmax", &i[0], a, false),
    grad: Some(|c: &GradCtx| {
        // dx = y · (g - Σ_axis g·y)
        let axis = c.attrs.int("softmax", "axis")?;
        let (y, g) = (&c.outputs[0], c.grad(0)?);
        let s = reduce::reduce_sum(&math::mul(&g, y)?, Some(&[axis]), true)?;
        Ok(vec![Some(math::mul(y, &math::sub(&g, &s)?)?)])
    }),
    stateful: false,
    inplace: None,
};

/// `tf.nn.log_softmax` along attribute `axis`.
pub static LOG_SOFTMAX: OpDef = OpDef {
    name: "log_softmax",
    infer: |s, a| infer_softmax("log_softmax", s, a),
    kernel: |i, a, _| softmax_kernel("log_softmax", &i[0], a, true),
    grad: Some(|c: &GradCtx| {
        // dx = g - softmax(x) · Σ_axis g
        let axis = c.attrs.int("log_softmax", "axis")?;
        let g = c.grad(0)?;
        let s = reduce::reduce_sum(&g, Some(&[axis]), true)?;
        let p = softmax(&c.inputs[0], axis)?;
        Ok(vec![Some(math::sub(&g, &math::mul(&p, &s)?)?)])
    }),
    stateful: false,
    inplace: None,
};

/// `tf.nn.bias_add`: adds a rank-1 `bias` along the last axis (NHWC / channels-last).
pub static BIAS_ADD: OpDef = OpDef {
    name: "bias_add",
    infer: |s, _| {
        const OP: &str = "bias_add";
        expect_arity(OP, s, 2)?;
        let (x, b) = (&s[0], &s[1]);
        expect_dtype_in(OP, x, NUMERIC)?;
        expect_same_dtype(OP, x, b)?;
        if x.rank() < 2 {
            return Err(Error::invalid(OP, format!("value must have rank at least 2, got {}", x.describe())));
        }
        if b.rank() != 1 {
            return Err(Error::invalid(OP, format!("bias must be a vector (rank 1), got {}", b.describe())));
        }
        if let (Some(c), Some(n)) = (x.dims[x.rank() - 1], b.dims[0]) {
            if c != n {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "bias of shape {} must match the last dimension of value of shape {} ({n} != {c})",
                        b.fmt_dims(),
                        x.fmt_dims()
                    ),
                ));
            }
        }
        Ok(vec![x.clone()])
    },
    kernel: |i, _, _| {
        let (x, b) = (&i[0], &i[1]);
        let c = b.size();
        let t = with_numeric!(x.dtype(), T => {
            let (xs, bs) = (x.as_slice::<T>()?, b.as_slice::<T>()?);
            let mut out: Vec<T> = xs.to_vec();
            if c > 0 {
                for row in out.chunks_exact_mut(c) {
                    for (o, &v) in row.iter_mut().zip(bs) {
                        *o = o.wrap_add(v);
                    }
                }
            }
            Tensor::from_vec(out, x.shape())?
        }, bool => return Err(Error::invalid("bias_add", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        let axes: Vec<i64> = (0..g.rank() as i64 - 1).collect();
        Ok(vec![Some(g.clone()), Some(reduce::reduce_sum(&g, Some(&axes), false)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Addition that wraps for integers (as TensorFlow's int kernels do) instead of panicking.
trait WrapAdd: Copy {
    fn wrap_add(self, other: Self) -> Self;
}
macro_rules! wrap_add {
    ($($t:ty => $f:expr),*) => {$(
        impl WrapAdd for $t {
            #[inline]
            fn wrap_add(self, other: Self) -> Self {
                let f: fn($t, $t) -> $t = $f;
                f(self, other)
            }
        }
    )*};
}
wrap_add!(f32 => |a, b| a + b, f64 => |a, b| a + b, i32 => i32::wrapping_add, i64 => i64::wrapping_add);

/// Softmax along `axis` (`tf.nn.softmax`; TensorFlow's default axis is `-1`).
pub fn softmax(logits: &Tensor, axis: i64) -> Result<Tensor> {
    execute1(&SOFTMAX, std::slice::from_ref(logits), Attrs::new().with("axis", Attr::Int(axis)))
}

/// Log-softmax along `axis` (`tf.nn.log_softmax`; TensorFlow's default axis is `-1`).
pub fn log_softmax(logits: &Tensor, axis: i64) -> Result<Tensor> {
    execute1(&LOG_SOFTMAX, std::slice::from_ref(logits), Attrs::new().with("axis", Attr::Int(axis)))
}

/// Adds `bias` (shape `[C]`) to `value` (shape `[..., C]`), as `tf.nn.bias_add`.
pub fn bias_add(value: &Tensor, bias: &Tensor) -> Result<Tensor> {
    execute1(&BIAS_ADD, &[value.clone(), bias.clone()], Attrs::new())
}
