//! Elementwise math ops (TensorFlow's `tf.math`): unary functions and activations, broadcasting
//! binary arithmetic, comparisons and logic, selection, clipping and casts.

mod binary;
mod cast;
mod logic;
mod unary;

pub use binary::*;
pub use cast::*;
pub use logic::*;
pub use unary::*;

use crate::error::{Error, Result};
use crate::ops::{array, expect_arity, expect_same_dtype, reduce, OpDef, Spec};
use crate::shape;
use crate::tensor::Tensor;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[
    &NEG,
    &ABS,
    &SIGN,
    &SQUARE,
    &RECIPROCAL,
    &EXP,
    &EXPM1,
    &LOG,
    &LOG1P,
    &SQRT,
    &RSQRT,
    &SIN,
    &COS,
    &TAN,
    &ASIN,
    &ACOS,
    &ATAN,
    &SINH,
    &COSH,
    &ASINH,
    &ACOSH,
    &ATANH,
    &TANH,
    &SIGMOID,
    &RELU,
    &RELU6,
    &LEAKY_RELU,
    &ELU,
    &SELU,
    &GELU,
    &SOFTPLUS,
    &SOFTSIGN,
    &SILU,
    &ERF,
    &FLOOR,
    &CEIL,
    &ROUND,
    &IS_NAN,
    &IS_FINITE,
    &IS_INF,
    &ADD,
    &SUB,
    &MUL,
    &DIV,
    &FLOORDIV,
    &FLOORMOD,
    &POW,
    &MAXIMUM,
    &MINIMUM,
    &SQUARED_DIFFERENCE,
    &ATAN2,
    &RELU_GRAD,
    &EQUAL,
    &NOT_EQUAL,
    &LESS,
    &LESS_EQUAL,
    &GREATER,
    &GREATER_EQUAL,
    &LOGICAL_AND,
    &LOGICAL_OR,
    &LOGICAL_XOR,
    &LOGICAL_NOT,
    &SELECT,
    &CLIP_BY_VALUE,
    &CAST,
];

/// Shape rule of broadcasting binary ops with equal dtypes; output dtype = input dtype.
pub fn infer_binary(op: &str, specs: &[Spec]) -> Result<Vec<Spec>> {
    expect_arity(op, specs, 2)?;
    let (a, b) = (&specs[0], &specs[1]);
    expect_same_dtype(op, a, b)?;
    let dims = shape::broadcast_dims(&a.dims, &b.dims).ok_or_else(|| {
        Error::invalid(
            op,
            format!(
                "incompatible shapes {} and {}: dimensions must be equal or 1 to broadcast",
                a.fmt_dims(),
                b.fmt_dims()
            ),
        )
    })?;
    Ok(vec![Spec { dtype: a.dtype, dims }])
}

/// Sums `grad` over the axes that broadcasting expanded, so it has `shape` again.
pub fn unbroadcast(grad: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if grad.shape() == shape {
        return Ok(grad.clone());
    }
    let gsh = grad.shape();
    if gsh.len() < shape.len() {
        return array::broadcast_to(grad, shape);
    }
    let off = gsh.len() - shape.len();
    let axes: Vec<i64> =
        (0..gsh.len()).filter(|&d| d < off || (shape[d - off] == 1 && gsh[d] != 1)).map(|d| d as i64).collect();
    let summed = reduce::reduce_sum(grad, Some(&axes), false)?;
    array::reshape(&summed, &shape.iter().map(|&d| d as i64).collect::<Vec<_>>())
}

/// A scalar of `like`'s dtype (for gradient formulas).
pub(crate) fn scalar_like(like: &Tensor, v: f64) -> Tensor {
    Tensor::scalar_of(like.dtype(), v)
}
