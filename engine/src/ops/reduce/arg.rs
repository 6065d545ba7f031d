//! `argmax` / `argmin` along one axis.

use super::checked_axis;
use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::reduce::arg::arg_best;
use crate::kernels::reduce::split_at_axis;
use crate::ops::{execute1, expect_arity, expect_dtype_in, OpDef, Spec, NUMERIC};
use crate::tensor::Tensor;
use crate::with_numeric;

fn infer_arg(op: &str, s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    expect_arity(op, s, 1)?;
    expect_dtype_in(op, &s[0], NUMERIC)?;
    let axis = checked_axis(op, &s[0], a)?;
    let out = a.dtype(op, "output_type")?;
    if !matches!(out, DType::I32 | DType::I64) {
        return Err(Error::invalid(op, format!("output_type must be int32 or int64, got {out}")));
    }
    if s[0].dims[axis] == Some(0) {
        return Err(Error::invalid(
            op,
            format!("reduction axis {axis} is empty in the {} input: {op} needs at least one element", s[0].describe()),
        ));
    }
    let mut dims = s[0].dims.clone();
    dims.remove(axis);
    Ok(vec![Spec { dtype: out, dims }])
}

fn arg_kernel<const MAX: bool>(op: &str, i: &[Tensor], a: &Attrs, o: &[Spec]) -> Result<Vec<Tensor>> {
    let x = &i[0];
    let axis = checked_axis(op, &Spec::of(x), a)?;
    let (outer, n, inner) = split_at_axis(x.shape(), axis);
    let osh = super::out_shape(op, &o[0])?;
    let idx = with_numeric!(x.dtype(), T => arg_best::<T, MAX>(x.as_slice::<T>()?, outer, n, inner),
        bool => return Err(Error::invalid(op, "bool tensors are not supported")));
    let t = match o[0].dtype {
        DType::I32 => {
            if n > i32::MAX as usize {
                return Err(Error::invalid(
                    op,
                    format!(
                        "axis {axis} of the {} input has {n} entries, too many for int32 indices",
                        Spec::of(x).describe()
                    ),
                ));
            }
            Tensor::from_vec(idx.into_iter().map(|v| v as i32).collect(), &osh)?
        }
        _ => Tensor::from_vec(idx.into_iter().map(|v| v as i64).collect(), &osh)?,
    };
    Ok(vec![t])
}

/// Registry entry of `argmax`.
pub static ARGMAX: OpDef = OpDef {
    name: "argmax",
    infer: |s, a| infer_arg("argmax", s, a),
    kernel: |i, a, o| arg_kernel::<true>("argmax", i, a, o),
    grad: None,
    stateful: false,
    inplace: None,
};

/// Registry entry of `argmin`.
pub static ARGMIN: OpDef = OpDef {
    name: "argmin",
    infer: |s, a| infer_arg("argmin", s, a),
    kernel: |i, a, o| arg_kernel::<false>("argmin", i, a, o),
    grad: None,
    stateful: false,
    inplace: None,
};

fn arg_attrs(axis: i64, output_type: DType) -> Attrs {
    Attrs::new().with("axis", Attr::Int(axis)).with("output_type", Attr::DType(output_type))
}

/// Index of the largest value along `axis`, as int64 (`tf.math.argmax`). Ties give the first
/// index; NaNs are skipped as TensorFlow's CPU kernel skips them (an all-NaN slice gives 0).
pub fn argmax(x: &Tensor, axis: i64) -> Result<Tensor> {
    argmax_with_type(x, axis, DType::I64)
}

/// [`argmax`] with an int32 or int64 `output_type`.
pub fn argmax_with_type(x: &Tensor, axis: i64, output_type: DType) -> Result<Tensor> {
    execute1(&ARGMAX, std::slice::from_ref(x), arg_attrs(axis, output_type))
}

/// Index of the smallest value along `axis`, as int64 (`tf.math.argmin`). Ties give the first
/// index; NaNs are skipped (an all-NaN slice gives 0).
pub fn argmin(x: &Tensor, axis: i64) -> Result<Tensor> {
    argmin_with_type(x, axis, DType::I64)
}

/// [`argmin`] with an int32 or int64 `output_type`.
pub fn argmin_with_type(x: &Tensor, axis: i64, output_type: DType) -> Result<Tensor> {
    execute1(&ARGMIN, std::slice::from_ref(x), arg_attrs(axis, output_type))
}
