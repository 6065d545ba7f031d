//! Rust operators on tensors: `&a + &b`, `&a * 2.0`, `-&a`. Each returns `Result<Tensor>`,
//! since shapes and dtypes are checked at run time. A Rust scalar adopts the tensor's dtype.

use crate::error::Result;
use crate::ops::math;
use crate::tensor::Tensor;
use std::ops::{Add, Mul, Neg, Sub};

macro_rules! binop {
    ($tr:ident, $m:ident, $f:path) => {
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
                $f(self, &Tensor::scalar_of(self.dtype(), rhs))
            }
        }
        impl $tr<f64> for Tensor {
            type Output = Result<Tensor>;
            fn $m(self, rhs: f64) -> Result<Tensor> {
                $f(&self, &Tensor::scalar_of(self.dtype(), rhs))
            }
        }
        impl $tr<&Tensor> for f64 {
            type Output = Result<Tensor>;
            fn $m(self, rhs: &Tensor) -> Result<Tensor> {
                $f(&Tensor::scalar_of(rhs.dtype(), self), rhs)
            }
        }
    };
}
binop!(Add, add, math::add);
binop!(Sub, sub, math::sub);
binop!(Mul, mul, math::mul);

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
