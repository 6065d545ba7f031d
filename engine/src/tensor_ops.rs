//! Rust operators on tensors: `&a + &b`, `&a * 2.0`, `-&a`, `&a / &b`, `&a % &b`. Each returns
//! `Result<Tensor>`, since shapes and dtypes are checked at run time.
//!
//! A Rust scalar adopts the tensor's dtype (`&int32_tensor * 2.0` is an int32 product), as a
//! Python number does in TensorFlow; a scalar the dtype cannot hold exactly (`1.5` for an
//! integer tensor) is an error, not a silent truncation. Tensors themselves never promote:
//! `int32 + float32` fails naming both dtypes.
//!
//! `/` is [`math::div`]: same-dtype division, so integers divide truncating toward zero (C and
//! Rust semantics; TensorFlow's Python `/` would return float64 instead, see
//! [`math::truediv`]). `%` is [`math::floormod`], Python's `%`: the result takes the divisor's
//! sign. Integer division or remainder by zero is an error.

use crate::error::{Error, Result};
use crate::ops::math;
use crate::tensor::Tensor;
use crate::DType;
use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

/// `v` as a scalar of `like`'s dtype, or an error when that dtype cannot hold it exactly.
fn scalar_for(op: &str, like: &Tensor, v: f64) -> Result<Tensor> {
    let dtype = like.dtype();
    let fits = match dtype {
        DType::I32 => v.fract() == 0.0 && v >= i32::MIN as f64 && v <= i32::MAX as f64,
        // 2^63 is not an i64; every integral f64 below it is.
        DType::I64 => v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64,
        DType::F32 | DType::F64 | DType::Bool => true,
    };
    if !fits {
        return Err(Error::invalid(
            op,
            format!(
                "cannot convert the Rust scalar {v} to {dtype} to combine it with a {dtype} tensor with shape {:?} \
                 (cast the tensor to a float dtype first)",
                like.shape()
            ),
        ));
    }
    Ok(Tensor::scalar_of(dtype, v))
}

/// An `i32` scalar in `like`'s dtype (exact for every numeric dtype).
fn int_scalar_for(like: &Tensor, v: i32) -> Tensor {
    match like.dtype() {
        DType::I32 => Tensor::scalar(v),
        DType::I64 => Tensor::scalar(v as i64),
        d => Tensor::scalar_of(d, v as f64),
    }
}

macro_rules! binop {
    ($tr:ident, $m:ident, $f:path, $name:literal) => {
        impl $tr<&Tensor> for &Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: &Tensor) -> Result<Tensor> {
                $f(self, rhs)
            }
        }
        impl $tr<Tensor> for Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: Tensor) -> Result<Tensor> {
                $f(&self, &rhs)
            }
        }
        impl $tr<&Tensor> for Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: &Tensor) -> Result<Tensor> {
                $f(&self, rhs)
            }
        }
        impl $tr<Tensor> for &Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: Tensor) -> Result<Tensor> {
                $f(self, &rhs)
            }
        }
        impl $tr<f64> for &Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: f64) -> Result<Tensor> {
                $f(self, &scalar_for($name, self, rhs)?)
            }
        }
        impl $tr<f64> for Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: f64) -> Result<Tensor> {
                $f(&self, &scalar_for($name, &self, rhs)?)
            }
        }
        impl $tr<&Tensor> for f64 {
            type Output = Result<Tensor>;
            fn $m(self, rhs: &Tensor) -> Result<Tensor> {
                $f(&scalar_for($name, rhs, self)?, rhs)
            }
        }
        impl $tr<Tensor> for f64 {
            type Output = Result<Tensor>;
            fn $m(self, rhs: Tensor) -> Result<Tensor> {
                $f(&scalar_for($name, &rhs, self)?, &rhs)
            }
        }
        impl $tr<i32> for &Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: i32) -> Result<Tensor> {
                $f(self, &int_scalar_for(self, rhs))
            }
        }
        impl $tr<i32> for Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: i32) -> Result<Tensor> {
                $f(&self, &int_scalar_for(&self, rhs))
            }
        }
        impl $tr<&Tensor> for i32 {
            type Output = Result<Tensor>;
            fn $m(self, rhs: &Tensor) -> Result<Tensor> {
                $f(&int_scalar_for(rhs, self), rhs)
            }
        }
        impl $tr<Tensor> for i32 {
            type Output = Result<Tensor>;
            fn $m(self, rhs: Tensor) -> Result<Tensor> {
                $f(&int_scalar_for(&rhs, self), &rhs)
            }
        }
    };
}
binop!(Add, add, math::add, "add");
binop!(Sub, sub, math::sub, "sub");
binop!(Mul, mul, math::mul, "mul");
binop!(Div, div, math::div, "div");
binop!(Rem, rem, math::floormod, "floormod");

impl Neg for &Tensor {
    type Output = Result<Tensor>;
    fn neg(self) -> Result<Tensor> {
        math::neg(self)
    }
}

impl Neg for Tensor {
    type Output = Result<Tensor>;
    fn neg(self) -> Result<Tensor> {
        math::neg(&self)
    }
}

/// Method forms of the most common elementwise ops, for chaining: `x.square()?.exp()?`.
impl Tensor {
    /// Elementwise absolute value ([`math::abs`]).
    pub fn abs(&self) -> Result<Tensor> {
        math::abs(self)
    }

    /// Elementwise `e^x` ([`math::exp`]).
    pub fn exp(&self) -> Result<Tensor> {
        math::exp(self)
    }

    /// Natural logarithm ([`math::log`]).
    pub fn log(&self) -> Result<Tensor> {
        math::log(self)
    }

    /// Square root ([`math::sqrt`]).
    pub fn sqrt(&self) -> Result<Tensor> {
        math::sqrt(self)
    }

    /// `x * x` ([`math::square`]).
    pub fn square(&self) -> Result<Tensor> {
        math::square(self)
    }

    /// Hyperbolic tangent ([`math::tanh`]).
    pub fn tanh(&self) -> Result<Tensor> {
        math::tanh(self)
    }

    /// Logistic function ([`math::sigmoid`]).
    pub fn sigmoid(&self) -> Result<Tensor> {
        math::sigmoid(self)
    }

    /// `max(x, 0)` ([`math::relu`]).
    pub fn relu(&self) -> Result<Tensor> {
        math::relu(self)
    }

    /// `self ** exponent` with broadcasting ([`math::pow`]).
    pub fn pow(&self, exponent: &Tensor) -> Result<Tensor> {
        math::pow(self, exponent)
    }

    /// Elementwise maximum with broadcasting ([`math::maximum`]).
    pub fn maximum(&self, other: &Tensor) -> Result<Tensor> {
        math::maximum(self, other)
    }

    /// Elementwise minimum with broadcasting ([`math::minimum`]).
    pub fn minimum(&self, other: &Tensor) -> Result<Tensor> {
        math::minimum(self, other)
    }

    /// Converts to `dtype` ([`math::cast`]).
    pub fn cast(&self, dtype: DType) -> Result<Tensor> {
        math::cast(self, dtype)
    }
}
