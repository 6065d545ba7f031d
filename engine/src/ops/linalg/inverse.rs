//! Ops built on the LU factorization of square matrices: `matrix_inverse`,
//! `matrix_determinant` and `log_matrix_determinant`, batched over leading axes.

use super::matmul_t;
use crate::attrs::Attrs;
use crate::error::{Error, Result};
use crate::kernels::lu::Lu;
use crate::ops::{array, execute, execute1, expect_arity, expect_dtype_in, math, GradCtx, OpDef, Spec, FLOATS};
use crate::shape::{self, Dims};
use crate::tensor::{Element, Tensor};
use crate::with_float;

/// Validates a batch of square float matrices; returns the batch dims and the order.
fn square_batch(op: &str, s: &[Spec]) -> Result<(Dims, Option<usize>)> {
    expect_arity(op, s, 1)?;
    let x = &s[0];
    expect_dtype_in(op, x, FLOATS)?;
    let r = x.rank();
    if r < 2 {
        return Err(Error::invalid(
            op,
            format!("input must have rank >= 2 (a square matrix or a batch of them), got {}", x.describe()),
        ));
    }
    let (rows, cols) = (x.dims[r - 2], x.dims[r - 1]);
    if let (Some(m), Some(n)) = (rows, cols) {
        if m != n {
            return Err(Error::invalid(
                op,
                format!("input matrix must be square, got {} ({m} rows, {n} columns)", x.describe()),
            ));
        }
    }
    Ok((x.dims[..r - 2].into(), rows.or(cols)))
}

/// Runs `f` on each `n x n` matrix of `x` (row-major), in batch order.
fn each_matrix<T: Element>(x: &Tensor, mut f: impl FnMut(usize, &[T]) -> Result<()>) -> Result<()> {
    let sh = x.shape();
    let n = sh[sh.len() - 1];
    let data = x.as_slice::<T>()?;
    if n == 0 {
        let count = shape::num_elements(&sh[..sh.len() - 2]);
        return (0..count).try_for_each(|b| f(b, &[]));
    }
    data.chunks_exact(n * n).enumerate().try_for_each(|(b, m)| f(b, m))
}

/// Swaps the last two axes.
pub(crate) fn transpose_last(x: &Tensor) -> Result<Tensor> {
    let r = x.rank() as i64;
    let mut perm: Vec<i64> = (0..r).collect();
    if r >= 2 {
        perm.swap((r - 1) as usize, (r - 2) as usize);
    }
    array::transpose(x, Some(&perm))
}

/// `g[..., None, None] * A⁻ᵀ`: the gradient of a per-matrix scalar `f(A)` with `∂f/∂A = A⁻ᵀ`
/// times `g`.
fn scale_inverse_transpose(a: &Tensor, g: &Tensor) -> Result<Tensor> {
    let inv_t = transpose_last(&matrix_inverse(a)?)?;
    let g = array::expand_dims(&array::expand_dims(g, -1)?, -1)?;
    math::mul(&g, &inv_t)
}

fn inverse_typed<T: Element + num_traits::Float>(x: &Tensor) -> Result<Tensor> {
    let n = x.shape()[x.rank() - 1];
    let mut out = vec![T::zero(); x.size()];
    each_matrix::<T>(x, |b, m| {
        let lu = Lu::factor(m, n);
        if lu.is_singular() {
            return Err(Error::invalid(
                "matrix_inverse",
                format!(
                    "Input is not invertible: matrix {b} of the {}{} input is singular (a zero pivot in its LU factorization)",
                    x.dtype(),
                    shape::fmt_dims(&x.dims())
                ),
            ));
        }
        lu.inverse_into(&mut out[b * n * n..(b + 1) * n * n]);
        Ok(())
    })?;
    Tensor::from_vec(out, x.shape())
}

/// `tf.linalg.inv` (`MatrixInverse`): the inverse of each square matrix of a batch; a singular
/// matrix is an `InvalidArgumentError`.
pub static MATRIX_INVERSE: OpDef = OpDef {
    name: "matrix_inverse",
    infer: |s, _| {
        let (mut dims, n) = square_batch("matrix_inverse", s)?;
        dims.push(n);
        dims.push(n);
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, _, _| {
        let x = &i[0];
        let t = with_float!(x.dtype(), T => inverse_typed::<T>(x)?,
            other => return Err(Error::invalid("matrix_inverse", format!("unsupported dtype {}", x.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        // d(A⁻¹) = -A⁻¹ dA A⁻¹, so dL/dA = -A⁻ᵀ g A⁻ᵀ.
        let (inv, g) = (&c.outputs[0], c.grad(0)?);
        let right = matmul_t(&g, inv, false, true)?;
        Ok(vec![Some(math::neg(&matmul_t(inv, &right, true, false)?)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Inverse of each square matrix in the last two axes (`tf.linalg.inv`).
pub fn matrix_inverse(x: &Tensor) -> Result<Tensor> {
    execute1(&MATRIX_INVERSE, std::slice::from_ref(x), Attrs::new())
}

fn det_typed<T: Element + num_traits::Float>(x: &Tensor) -> Result<Tensor> {
    let sh = x.shape();
    let n = sh[sh.len() - 1];
    let mut out = Vec::with_capacity(shape::num_elements(&sh[..sh.len() - 2]));
    each_matrix::<T>(x, |_, m| {
        out.push(Lu::factor(m, n).det());
        Ok(())
    })?;
    Tensor::from_vec(out, &sh[..sh.len() - 2])
}

/// `tf.linalg.det` (`MatrixDeterminant`): the determinant of each square matrix of a batch
/// (1 for a 0 x 0 matrix).
pub static MATRIX_DETERMINANT: OpDef = OpDef {
    name: "matrix_determinant",
    infer: |s, _| {
        let (dims, _) = square_batch("matrix_determinant", s)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, _, _| {
        let x = &i[0];
        let t = with_float!(x.dtype(), T => det_typed::<T>(x)?,
            other => return Err(Error::invalid("matrix_determinant", format!("unsupported dtype {}", x.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        // ∂det(A)/∂A = det(A) A⁻ᵀ.
        let g = math::mul(&c.grad(0)?, &c.outputs[0])?;
        Ok(vec![Some(scale_inverse_transpose(&c.inputs[0], &g)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Determinant of each square matrix in the last two axes (`tf.linalg.det`).
pub fn matrix_determinant(x: &Tensor) -> Result<Tensor> {
    execute1(&MATRIX_DETERMINANT, std::slice::from_ref(x), Attrs::new())
}

fn slogdet_typed<T: Element + num_traits::Float>(x: &Tensor) -> Result<Vec<Tensor>> {
    let sh = x.shape();
    let n = sh[sh.len() - 1];
    let count = shape::num_elements(&sh[..sh.len() - 2]);
    let (mut signs, mut logs) = (Vec::with_capacity(count), Vec::with_capacity(count));
    each_matrix::<T>(x, |_, m| {
        let (s, l) = Lu::factor(m, n).slogdet();
        signs.push(s);
        logs.push(l);
        Ok(())
    })?;
    Ok(vec![Tensor::from_vec(signs, &sh[..sh.len() - 2])?, Tensor::from_vec(logs, &sh[..sh.len() - 2])?])
}

/// `tf.linalg.slogdet` (`LogMatrixDeterminant`): the sign and the log of the absolute value of
/// each determinant (a singular matrix gives a zero sign and `-inf`).
pub static LOG_MATRIX_DETERMINANT: OpDef = OpDef {
    name: "log_matrix_determinant",
    infer: |s, _| {
        let (dims, _) = square_batch("log_matrix_determinant", s)?;
        let spec = Spec { dtype: s[0].dtype, dims };
        Ok(vec![spec.clone(), spec])
    },
    kernel: |i, _, _| {
        let x = &i[0];
        with_float!(x.dtype(), T => slogdet_typed::<T>(x),
            other => Err(Error::invalid("log_matrix_determinant", format!("unsupported dtype {}", x.dtype()))))
    },
    grad: Some(|c: &GradCtx| {
        // The sign is piecewise constant; ∂log|det A|/∂A = A⁻ᵀ.
        let g = c.grad(1)?;
        Ok(vec![Some(scale_inverse_transpose(&c.inputs[0], &g)?)])
    }),
    stateful: false,
    inplace: None,
};

/// `(sign, log |det|)` of each square matrix in the last two axes (`tf.linalg.slogdet`).
pub fn log_matrix_determinant(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let mut out = execute(&LOG_MATRIX_DETERMINANT, std::slice::from_ref(x), Attrs::new())?;
    let log_abs = out.pop();
    let sign = out.pop();
    match (sign, log_abs) {
        (Some(s), Some(l)) => Ok((s, l)),
        _ => Err(Error::new(crate::ErrorKind::Internal, "log_matrix_determinant", "expected two outputs")),
    }
}
