//! Comparisons, logical operators, selection (`tf.where`) and clipping.

use super::{infer_binary, scalar_like};
use crate::attrs::Attrs;
use crate::error::{Error, Result};
use crate::kernels::elementwise::{broadcast_binary, broadcast_ternary};
use crate::ops::shape_like::unbroadcast_operand;
use crate::ops::{execute1, expect_arity, OpDef, Spec, NUMERIC};
use crate::shape;
use crate::tensor::{Element, Tensor};
use crate::{with_any, with_numeric, DType};

fn infer_compare(op: &str, s: &[Spec], numeric_only: bool) -> Result<Vec<Spec>> {
    let mut out = infer_binary(op, s)?;
    if numeric_only {
        crate::ops::expect_dtype_in(op, &s[0], NUMERIC)?;
    }
    out[0].dtype = DType::Bool;
    Ok(out)
}

fn cmp<T: Element>(a: &Tensor, b: &Tensor, out: &[Spec], f: impl Fn(T, T) -> bool + Sync + Send) -> Result<Tensor> {
    let osh = out[0].shape().ok_or_else(|| Error::invalid("comparison", "output shape unknown"))?;
    Tensor::from_vec(broadcast_binary(a.as_slice::<T>()?, a.shape(), b.as_slice::<T>()?, b.shape(), &osh, f)?, &osh)
}

macro_rules! comparison {
    ($S:ident, $fun:ident, $name:literal, $doc:literal, $numeric_only:expr, $op:tt) => {
        #[doc = concat!("Registry entry of `", $name, "`.")]
        pub static $S: OpDef = OpDef {
            name: $name,
            infer: |s, _| infer_compare($name, s, $numeric_only),
            kernel: |i, _, o| {
                let (a, b) = (&i[0], &i[1]);
        let t = with_any!(a.dtype(), T => cmp::<T>(a, b, o, |x, y| x $op y)?);
                Ok(vec![t])
            },
            grad: None,
            stateful: false,
            inplace: None,
        };
        #[doc = $doc]
        pub fn $fun(a: &Tensor, b: &Tensor) -> Result<Tensor> {
            execute1(&$S, &[a.clone(), b.clone()], Attrs::new())
        }
    };
}

comparison!(EQUAL, equal, "equal", "Elementwise `a == b` (`tf.equal`).", false, ==);
comparison!(NOT_EQUAL, not_equal, "not_equal", "Elementwise `a != b` (`tf.not_equal`).", false, !=);
comparison!(LESS, less, "less", "Elementwise `a < b` (`tf.less`).", true, <);
comparison!(LESS_EQUAL, less_equal, "less_equal", "Elementwise `a <= b` (`tf.less_equal`).", true, <=);
comparison!(GREATER, greater, "greater", "Elementwise `a > b` (`tf.greater`).", true, >);
comparison!(GREATER_EQUAL, greater_equal, "greater_equal", "Elementwise `a >= b` (`tf.greater_equal`).", true, >=);

fn infer_logical(op: &str, s: &[Spec]) -> Result<Vec<Spec>> {
    let out = infer_binary(op, s)?;
    crate::ops::expect_dtype_in(op, &s[0], &[DType::Bool])?;
    Ok(out)
}

macro_rules! logical {
    ($S:ident, $fun:ident, $name:literal, $doc:literal, $f:expr) => {
        #[doc = concat!("Registry entry of `", $name, "`.")]
        pub static $S: OpDef = OpDef {
            name: $name,
            infer: |s, _| infer_logical($name, s),
            kernel: |i, _, o| Ok(vec![cmp::<bool>(&i[0], &i[1], o, $f)?]),
            grad: None,
            stateful: false,
            inplace: None,
        };
        #[doc = $doc]
        pub fn $fun(a: &Tensor, b: &Tensor) -> Result<Tensor> {
            execute1(&$S, &[a.clone(), b.clone()], Attrs::new())
        }
    };
}

logical!(LOGICAL_AND, logical_and, "logical_and", "Elementwise `a and b` on bools (`tf.logical_and`).", |x, y| x && y);
logical!(LOGICAL_OR, logical_or, "logical_or", "Elementwise `a or b` on bools (`tf.logical_or`).", |x, y| x || y);
logical!(
    LOGICAL_XOR,
    logical_xor,
    "logical_xor",
    "Elementwise exclusive or on bools (`tf.math.logical_xor`).",
    |x, y| x != y
);

/// Registry entry of `logical_not`.
pub static LOGICAL_NOT: OpDef = OpDef {
    name: "logical_not",
    infer: |s, _| {
        expect_arity("logical_not", s, 1)?;
        crate::ops::expect_dtype_in("logical_not", &s[0], &[DType::Bool])?;
        Ok(vec![s[0].clone()])
    },
    kernel: |i, _, _| {
        let v: Vec<bool> = i[0].as_slice::<bool>()?.iter().map(|&b| !b).collect();
        Ok(vec![Tensor::from_vec(v, i[0].shape())?])
    },
    grad: None,
    stateful: false,
    inplace: None,
};

/// Elementwise `not x` on bools (`tf.logical_not`).
pub fn logical_not(x: &Tensor) -> Result<Tensor> {
    execute1(&LOGICAL_NOT, std::slice::from_ref(x), Attrs::new())
}

/// Registry entry of `select` (`tf.where` with three arguments).
pub static SELECT: OpDef = OpDef {
    name: "select",
    infer: |s, _| {
        expect_arity("where", s, 3)?;
        if s[0].dtype != DType::Bool {
            return Err(Error::invalid(
                "where",
                format!("condition must be bool, got a {} tensor with shape {}", s[0].dtype, s[0].fmt_dims()),
            ));
        }
        crate::ops::expect_same_dtype("where", &s[1], &s[2])?;
        let incompatible = || {
            Error::invalid(
                "where",
                format!(
                    "condition {}, x {} and y {} cannot be broadcast together",
                    s[0].fmt_dims(),
                    s[1].fmt_dims(),
                    s[2].fmt_dims()
                ),
            )
        };
        let d = shape::broadcast_dims(&s[1].dims, &s[2].dims).ok_or_else(incompatible)?;
        let d = shape::broadcast_dims(&s[0].dims, &d).ok_or_else(incompatible)?;
        Ok(vec![Spec { dtype: s[1].dtype, dims: d }])
    },
    kernel: |i, _, o| {
        let (c, x, y) = (&i[0], &i[1], &i[2]);
        let osh = o[0].shape().ok_or_else(|| Error::invalid("where", "output shape unknown"))?;
        let cs = c.as_slice::<bool>()?;
        let t = with_any!(x.dtype(), T => {
            let v = broadcast_ternary(cs, c.shape(), x.as_slice::<T>()?, x.shape(), y.as_slice::<T>()?, y.shape(), &osh,
                |c, a, b| if c { a } else { b })?;
            Tensor::from_vec(v, &osh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c| {
        let g = c.grad(0)?;
        let zero = scalar_like(&g, 0.0);
        let gx = select(&c.inputs[0], &g, &zero)?;
        let gy = select(&c.inputs[0], &zero, &g)?;
        let (cond, x, y) = (&c.inputs[0], &c.inputs[1], &c.inputs[2]);
        Ok(vec![
            None,
            Some(unbroadcast_operand(&gx, x, &[cond.dims(), y.dims()])?),
            Some(unbroadcast_operand(&gy, y, &[cond.dims(), x.dims()])?),
        ])
    }),
    stateful: false,
    inplace: None,
};

/// Picks `x` where `cond` is true and `y` elsewhere, broadcasting all three (`tf.where`).
pub fn select(cond: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    execute1(&SELECT, &[cond.clone(), x.clone(), y.clone()], Attrs::new())
}

/// `tf.where(cond, x, y)`; same as [`select`].
pub fn where_(cond: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    select(cond, x, y)
}

/// Registry entry of `clip_by_value`.
pub static CLIP_BY_VALUE: OpDef = OpDef {
    name: "clip_by_value",
    infer: |s, _| {
        expect_arity("clip_by_value", s, 3)?;
        crate::ops::expect_dtype_in("clip_by_value", &s[0], NUMERIC)?;
        crate::ops::expect_same_dtype("clip_by_value", &s[0], &s[1])?;
        crate::ops::expect_same_dtype("clip_by_value", &s[0], &s[2])?;
        let mut dims = s[0].dims.clone();
        for b in &s[1..] {
            // The bounds may not widen the input: the broadcast must fit its dims.
            let merged = shape::broadcast_dims(&dims, &b.dims).and_then(|o| shape::merge_dims(&o, &dims));
            if let Some(m) = merged {
                dims = m;
            } else {
                return Err(Error::invalid(
                    "clip_by_value",
                    format!(
                        "clip bound of shape {} must broadcast to the input shape {}",
                        b.fmt_dims(),
                        s[0].fmt_dims()
                    ),
                ));
            }
        }
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, _, _| {
        let (x, lo, hi) = (&i[0], &i[1], &i[2]);
        let t = with_numeric!(x.dtype(), T => {
            let xs = x.as_slice::<T>()?;
            let (l, h) = (lo.as_slice::<T>()?, hi.as_slice::<T>()?);
            if l.len() == 1 && h.len() == 1 && l[0] > h[0] {
                return Err(Error::invalid("clip_by_value", format!("clip_value_min {:?} is greater than clip_value_max {:?}", l[0], h[0])));
            }
            let v = broadcast_ternary(xs, x.shape(), l, lo.shape(), h, hi.shape(), x.shape(),
                // TensorFlow's max(min(v, hi), lo), NaN-preserving: inverted bounds give lo.
                |v, l, h| {
                    let m = if v > h { h } else { v };
                    if m < l { l } else { m }
                })?;
            Tensor::from_vec(v, x.shape())?
        }, bool => return Err(Error::invalid("clip_by_value", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c| {
        let g = c.grad(0)?;
        let (x, lo, hi) = (&c.inputs[0], &c.inputs[1], &c.inputs[2]);
        let zero = scalar_like(&g, 0.0);
        let below = less(x, lo)?;
        let above = greater(x, hi)?;
        let inside = logical_not(&logical_or(&below, &above)?)?;
        Ok(vec![
            Some(select(&inside, &g, &zero)?),
            Some(unbroadcast_operand(&select(&below, &g, &zero)?, lo, &[x.dims(), hi.dims()])?),
            Some(unbroadcast_operand(&select(&above, &g, &zero)?, hi, &[x.dims(), lo.dims()])?),
        ])
    }),
    stateful: false,
    inplace: None,
};

/// Clamps `x` to `[lo, hi]` elementwise (`tf.clip_by_value`).
pub fn clip_by_value(x: &Tensor, lo: &Tensor, hi: &Tensor) -> Result<Tensor> {
    execute1(&CLIP_BY_VALUE, &[x.clone(), lo.clone(), hi.clone()], Attrs::new())
}
