//! Cumulative `cumsum` / `cumprod` along one axis.

use super::checked_axis;
use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::reduce::scan::scan;
use crate::kernels::reduce::{split_at_axis, Arith};
use crate::ops::{array, execute1, expect_arity, expect_dtype_in, math, GradCtx, OpDef, Spec, NUMERIC};
use crate::tensor::Tensor;
use crate::with_numeric;

fn infer_scan(op: &str, s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    expect_arity(op, s, 1)?;
    expect_dtype_in(op, &s[0], NUMERIC)?;
    checked_axis(op, &s[0], a)?;
    Ok(vec![s[0].clone()])
}

fn scan_kernel(op: &str, x: &Tensor, a: &Attrs, product: bool) -> Result<Vec<Tensor>> {
    let axis = checked_axis(op, &Spec::of(x), a)?;
    let (outer, n, inner) = split_at_axis(x.shape(), axis);
    let (exclusive, reverse) = (a.bool_or("exclusive", false), a.bool_or("reverse", false));
    let t = with_numeric!(x.dtype(), T => {
        let src = x.as_slice::<T>()?;
        let v = if product {
            scan(src, outer, n, inner, exclusive, reverse, T::ONE, |p, v: T| p.mul(v))
        } else {
            scan(src, outer, n, inner, exclusive, reverse, T::ZERO, |p, v: T| p.add(v))
        };
        Tensor::from_vec(v, x.shape())?
    }, bool => return Err(Error::invalid(op, "bool tensors are not supported")));
    Ok(vec![t])
}

fn scan_attrs(axis: i64, exclusive: bool, reverse: bool) -> Attrs {
    Attrs::new()
        .with("axis", Attr::Int(axis))
        .with("exclusive", Attr::Bool(exclusive))
        .with("reverse", Attr::Bool(reverse))
}

fn attrs_of(op: &str, a: &Attrs) -> Result<(i64, bool, bool)> {
    Ok((a.int(op, "axis")?, a.bool_or("exclusive", false), a.bool_or("reverse", false)))
}

/// Registry entry of `cumsum`.
pub static CUMSUM: OpDef = OpDef {
    name: "cumsum",
    infer: |s, a| infer_scan("cumsum", s, a),
    kernel: |i, a, _| scan_kernel("cumsum", &i[0], a, false),
    grad: Some(|c: &GradCtx| {
        // Each input contributes to every output at or after it in scan order: the transpose is the
        // same scan run the other way.
        let (axis, exclusive, reverse) = attrs_of("cumsum", c.attrs)?;
        Ok(vec![Some(cumsum(&c.grad(0)?, axis, exclusive, !reverse)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Cumulative sum along `axis` (`tf.math.cumsum`): `exclusive` leaves out the current element,
/// `reverse` runs from the end.
pub fn cumsum(x: &Tensor, axis: i64, exclusive: bool, reverse: bool) -> Result<Tensor> {
    execute1(&CUMSUM, std::slice::from_ref(x), scan_attrs(axis, exclusive, reverse))
}

/// Registry entry of `cumprod`.
pub static CUMPROD: OpDef = OpDef {
    name: "cumprod",
    infer: |s, a| infer_scan("cumprod", s, a),
    kernel: |i, a, _| scan_kernel("cumprod", &i[0], a, true),
    grad: Some(|c: &GradCtx| {
        // TensorFlow's formula: dx_i = Σ_{j at/after i} g_j y_j / x_i, with 0 where x_i = 0.
        let (axis, exclusive, reverse) = attrs_of("cumprod", c.attrs)?;
        let x = &c.inputs[0];
        let weighted = cumsum(&math::mul(&c.outputs[0], &c.grad(0)?)?, axis, exclusive, !reverse)?;
        let zero = math::equal(x, &Tensor::scalar_of(x.dtype(), 0.0))?;
        let safe_x = math::select(&zero, &array::ones_like(x)?, x)?;
        let quotient = math::div(&weighted, &safe_x)?;
        Ok(vec![Some(math::select(&zero, &array::zeros_like(x)?, &quotient)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Cumulative product along `axis` (`tf.math.cumprod`), with `exclusive` and `reverse` as in
/// [`cumsum`].
///
/// The gradient uses TensorFlow's formula (divide by the input): it is exact where the input has
/// no zeros, and for every element that is not itself zero; at an element equal to zero the
/// reported gradient is 0, which is wrong unless another zero also enters those products.
pub fn cumprod(x: &Tensor, axis: i64, exclusive: bool, reverse: bool) -> Result<Tensor> {
    execute1(&CUMPROD, std::slice::from_ref(x), scan_attrs(axis, exclusive, reverse))
}
