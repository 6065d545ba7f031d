//! Elementwise math ops (TensorFlow's `tf.math`).

use crate::attrs::Attrs;
use crate::error::{Error, Result};
use crate::kernels::elementwise::broadcast_binary;
use crate::ops::{array, execute1, expect_arity, expect_same_dtype, reduce, GradCtx, OpDef, Spec};
use crate::shape;
use crate::tensor::{Element, Tensor};
use crate::with_numeric;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&ADD, &SUB, &MUL, &NEG];

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

fn numeric_binary_infer(op: &str, specs: &[Spec]) -> Result<Vec<Spec>> {
    let out = infer_binary(op, specs)?;
    crate::ops::expect_dtype_in(op, &specs[0], crate::ops::NUMERIC)?;
    Ok(out)
}

/// Runs a broadcasting binary kernel `f` over two numeric tensors of the same dtype.
fn numeric_binary(
    op: &str,
    inputs: &[Tensor],
    out: &[Spec],
    f32f: impl Fn(f32, f32) -> f32,
    f64f: impl Fn(f64, f64) -> f64,
    i32f: impl Fn(i32, i32) -> i32,
    i64f: impl Fn(i64, i64) -> i64,
) -> Result<Vec<Tensor>> {
    let (a, b) = (&inputs[0], &inputs[1]);
    let osh = out[0].shape().ok_or_else(|| Error::invalid(op, "output shape unknown"))?;
    fn go<T: Element>(a: &Tensor, b: &Tensor, osh: &[usize], f: impl Fn(T, T) -> T) -> Result<Tensor> {
        let v = broadcast_binary(a.as_slice::<T>()?, a.shape(), b.as_slice::<T>()?, b.shape(), osh, f);
        Tensor::from_vec(v, osh)
    }
    let t = match a.dtype() {
        crate::DType::F32 => go(a, b, &osh, f32f)?,
        crate::DType::F64 => go(a, b, &osh, f64f)?,
        crate::DType::I32 => go(a, b, &osh, i32f)?,
        crate::DType::I64 => go(a, b, &osh, i64f)?,
        crate::DType::Bool => return Err(Error::invalid(op, "bool tensors are not supported")),
    };
    Ok(vec![t])
}

/// Sums `grad` over the axes that broadcasting expanded, so it has `shape` again.
pub fn unbroadcast(grad: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if grad.shape() == shape {
        return Ok(grad.clone());
    }
    let gsh = grad.shape();
    let off = gsh.len() - shape.len();
    let axes: Vec<i64> =
        (0..gsh.len()).filter(|&d| d < off || (shape[d - off] == 1 && gsh[d] != 1)).map(|d| d as i64).collect();
    let summed = reduce::reduce_sum(grad, Some(&axes), false)?;
    array::reshape(&summed, &shape.iter().map(|&d| d as i64).collect::<Vec<_>>())
}

/// `tf.math.add`: elementwise `a + b` with broadcasting.
pub static ADD: OpDef = OpDef {
    name: "add",
    infer: |s, _| numeric_binary_infer("add", s),
    kernel: |i, _, o| numeric_binary("add", i, o, |x, y| x + y, |x, y| x + y, i32::wrapping_add, i64::wrapping_add),
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        Ok(vec![Some(unbroadcast(&g, c.inputs[0].shape())?), Some(unbroadcast(&g, c.inputs[1].shape())?)])
    }),
    stateful: false,
};

/// `tf.math.subtract`: elementwise `a - b` with broadcasting.
pub static SUB: OpDef = OpDef {
    name: "sub",
    infer: |s, _| numeric_binary_infer("sub", s),
    kernel: |i, _, o| numeric_binary("sub", i, o, |x, y| x - y, |x, y| x - y, i32::wrapping_sub, i64::wrapping_sub),
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        Ok(vec![Some(unbroadcast(&g, c.inputs[0].shape())?), Some(unbroadcast(&neg(&g)?, c.inputs[1].shape())?)])
    }),
    stateful: false,
};

/// `tf.math.multiply`: elementwise `a * b` with broadcasting.
pub static MUL: OpDef = OpDef {
    name: "mul",
    infer: |s, _| numeric_binary_infer("mul", s),
    kernel: |i, _, o| numeric_binary("mul", i, o, |x, y| x * y, |x, y| x * y, i32::wrapping_mul, i64::wrapping_mul),
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        let (a, b) = (&c.inputs[0], &c.inputs[1]);
        Ok(vec![Some(unbroadcast(&mul(&g, b)?, a.shape())?), Some(unbroadcast(&mul(&g, a)?, b.shape())?)])
    }),
    stateful: false,
};

/// `tf.math.negative`: elementwise `-x`.
pub static NEG: OpDef = OpDef {
    name: "neg",
    infer: |s, _| {
        expect_arity("neg", s, 1)?;
        crate::ops::expect_dtype_in("neg", &s[0], crate::ops::NUMERIC)?;
        Ok(vec![s[0].clone()])
    },
    kernel: |i, _, _| {
        let x = &i[0];
        let t = with_numeric!(x.dtype(), T => {
            let v: Vec<T> = x.as_slice::<T>()?.iter().map(|&v| T::default() - v).collect();
            Tensor::from_vec(v, x.shape())?
        }, bool => return Err(Error::invalid("neg", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(neg(&c.grad(0)?)?)])),
    stateful: false,
};

/// Elementwise `a + b` (`tf.add`).
pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    execute1(&ADD, &[a.clone(), b.clone()], Attrs::new())
}

/// Elementwise `a - b` (`tf.subtract`).
pub fn sub(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    execute1(&SUB, &[a.clone(), b.clone()], Attrs::new())
}

/// Elementwise `a * b` (`tf.multiply`).
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    execute1(&MUL, &[a.clone(), b.clone()], Attrs::new())
}

/// Elementwise `-x` (`tf.negative`).
pub fn neg(x: &Tensor) -> Result<Tensor> {
    execute1(&NEG, &[x.clone()], Attrs::new())
}
