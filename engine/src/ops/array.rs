//! Shape and construction ops (`tf.reshape`, `tf.broadcast_to`, `tf.stack`, `tf.zeros`, ...).

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels;
use crate::ops::{execute1, expect_arity, math, GradCtx, OpDef, Spec};
use crate::shape::{self, normalize_axis, Dims};
use crate::tensor::{Storage, Tensor};
use crate::with_any;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&RESHAPE, &BROADCAST_TO, &STACK];

/// Resolves a reshape target (one `-1` allowed) against `n` elements.
pub fn resolve_reshape(op: &str, from: &Spec, target: &[i64]) -> Result<Dims> {
    let mut unknown = None;
    let mut known = 1usize;
    for (i, &d) in target.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                return Err(Error::invalid(op, format!("only one dimension of {target:?} may be -1")));
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(Error::invalid(op, format!("invalid dimension {d} in target shape {target:?}")));
        } else {
            known = known.checked_mul(d as usize).ok_or_else(|| {
                Error::new(crate::ErrorKind::ResourceExhausted, op, format!("target shape {target:?} is too large"))
            })?;
        }
    }
    let total: Option<usize> = from.dims.iter().try_fold(1usize, |acc, d| d.map(|d| acc * d));
    let mut dims: Dims = target.iter().map(|&d| if d < 0 { None } else { Some(d as usize) }).collect();
    match (total, unknown) {
        (Some(n), None) if n != known => Err(Error::invalid(
            op,
            format!(
                "cannot reshape a tensor with {n} elements (shape {}) to shape {target:?} ({known} elements)",
                from.fmt_dims()
            ),
        )),
        (Some(n), Some(i)) => {
            if known == 0 || n % known != 0 {
                return Err(Error::invalid(
                    op,
                    format!(
                        "cannot reshape a tensor with {n} elements (shape {}) to shape {target:?}",
                        from.fmt_dims()
                    ),
                ));
            }
            dims[i] = Some(n / known);
            Ok(dims)
        }
        _ => Ok(dims),
    }
}

/// `tf.reshape`: same elements, new shape (a view; no copy).
pub static RESHAPE: OpDef = OpDef {
    name: "reshape",
    infer: |s, a| {
        expect_arity("reshape", s, 1)?;
        let target = a.ints("reshape", "shape")?;
        Ok(vec![Spec { dtype: s[0].dtype, dims: resolve_reshape("reshape", &s[0], target)? }])
    },
    kernel: |i, _, o| {
        let sh = o[0].shape().ok_or_else(|| Error::invalid("reshape", "unknown output shape"))?;
        Ok(vec![i[0].view(&sh)?])
    },
    grad: Some(|c: &GradCtx| {
        let shape: Vec<i64> = c.inputs[0].shape().iter().map(|&d| d as i64).collect();
        Ok(vec![Some(reshape(&c.grad(0)?, &shape)?)])
    }),
    stateful: false,
};

/// `tf.broadcast_to`.
pub static BROADCAST_TO: OpDef = OpDef {
    name: "broadcast_to",
    infer: |s, a| {
        expect_arity("broadcast_to", s, 1)?;
        let target: Vec<usize> = a.ints("broadcast_to", "shape")?.iter().map(|&d| d.max(0) as usize).collect();
        let tdims = shape::to_dims(&target);
        match shape::broadcast_dims(&s[0].dims, &tdims) {
            Some(d) if d == tdims => Ok(vec![Spec { dtype: s[0].dtype, dims: d }]),
            _ => Err(Error::invalid(
                "broadcast_to",
                format!("cannot broadcast a tensor of shape {} to shape {target:?}", s[0].fmt_dims()),
            )),
        }
    },
    kernel: |i, _, o| {
        let x = &i[0];
        let sh = o[0].shape().ok_or_else(|| Error::invalid("broadcast_to", "unknown output shape"))?;
        let t = with_any!(x.dtype(), T => {
            Tensor::from_vec(kernels::elementwise::broadcast_to(x.as_slice::<T>()?, x.shape(), &sh), &sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(math::unbroadcast(&c.grad(0)?, c.inputs[0].shape())?)])),
    stateful: false,
};

/// `tf.stack`: joins equal-shaped tensors along a new axis.
pub static STACK: OpDef = OpDef {
    name: "stack",
    infer: |s, a| {
        if s.is_empty() {
            return Err(Error::invalid("stack", "expected at least one tensor"));
        }
        let axis = normalize_axis("stack", a.int("stack", "axis")?, s[0].rank() + 1)?;
        for (k, x) in s.iter().enumerate() {
            if x.dtype != s[0].dtype || x.dims != s[0].dims {
                return Err(Error::invalid(
                    "stack",
                    format!(
                        "all values must have the same dtype and shape: value 0 is {}, value {k} is {}",
                        s[0].describe(),
                        x.describe()
                    ),
                ));
            }
        }
        let mut dims = s[0].dims.clone();
        dims.insert(axis, Some(s.len()));
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let axis = normalize_axis("stack", a.int("stack", "axis")?, i[0].rank() + 1)?;
        let sh = o[0].shape().ok_or_else(|| Error::invalid("stack", "unknown output shape"))?;
        let outer: usize = i[0].shape()[..axis].iter().product();
        let inner: usize = i[0].shape()[axis..].iter().product();
        let t = with_any!(i[0].dtype(), T => {
            let slices = i.iter().map(|t| t.as_slice::<T>()).collect::<Result<Vec<_>>>()?;
            let mut v: Vec<T> = Vec::with_capacity(shape::num_elements(&sh));
            for o in 0..outer {
                for s in &slices {
                    v.extend_from_slice(&s[o * inner..(o + 1) * inner]);
                }
            }
            Tensor::from_vec(v, &sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        let axis = normalize_axis("stack", c.attrs.int("stack", "axis")?, c.inputs[0].rank() + 1)?;
        let n = c.inputs.len();
        let mut out = Vec::with_capacity(n);
        for k in 0..n {
            out.push(Some(index_axis(&g, axis, k)?));
        }
        Ok(out)
    }),
    stateful: false,
};

/// Selects position `k` along `axis`, dropping that axis (an `unstack` element).
fn index_axis(x: &Tensor, axis: usize, k: usize) -> Result<Tensor> {
    // Expressed with ops (transpose-free): broadcast-multiply by a one-hot mask and reduce.
    let n = x.shape()[axis];
    let mut mask_shape = vec![1i64; x.rank()];
    mask_shape[axis] = n as i64;
    let mut m = vec![0.0f64; n];
    m[k] = 1.0;
    let mask = match x.dtype() {
        DType::F32 => Tensor::from_vec(m.iter().map(|&v| v as f32).collect(), &[n])?,
        _ => Tensor::from_vec(m, &[n])?,
    };
    let mask = reshape(&mask, &mask_shape)?;
    crate::ops::reduce::reduce_sum(&math::mul(x, &mask)?, Some(&[axis as i64]), false)
}

/// Reshapes `x` to `shape` (one entry may be `-1`).
pub fn reshape(x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    execute1(&RESHAPE, std::slice::from_ref(x), Attrs::new().with("shape", Attr::Ints(shape.to_vec())))
}

/// Broadcasts `x` to `shape`.
pub fn broadcast_to(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let s: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    execute1(&BROADCAST_TO, std::slice::from_ref(x), Attrs::new().with("shape", Attr::Ints(s)))
}

/// Stacks tensors along a new `axis`.
pub fn stack(values: &[Tensor], axis: i64) -> Result<Tensor> {
    execute1(&STACK, values, Attrs::new().with("axis", Attr::Int(axis)))
}

/// A tensor of `shape` filled with `value` converted to `dtype`.
pub fn fill(dtype: DType, shape: &[usize], value: f64) -> Result<Tensor> {
    shape::check_allocation("fill", dtype, shape)?;
    let n = shape::num_elements(shape);
    let s = match dtype {
        DType::F32 => Storage::F32(vec![value as f32; n]),
        DType::F64 => Storage::F64(vec![value; n]),
        DType::I32 => Storage::I32(vec![value as i32; n]),
        DType::I64 => Storage::I64(vec![value as i64; n]),
        DType::Bool => Storage::Bool(vec![value != 0.0; n]),
    };
    Tensor::from_storage(s, shape)
}

/// Zeros of `dtype` and `shape`.
pub fn zeros(dtype: DType, shape: &[usize]) -> Result<Tensor> {
    fill(dtype, shape, 0.0)
}

/// Ones of `dtype` and `shape`.
pub fn ones(dtype: DType, shape: &[usize]) -> Result<Tensor> {
    fill(dtype, shape, 1.0)
}

/// Zeros with the dtype and shape of `x`.
pub fn zeros_like(x: &Tensor) -> Result<Tensor> {
    zeros(x.dtype(), x.shape())
}

/// Ones with the dtype and shape of `x`.
pub fn ones_like(x: &Tensor) -> Result<Tensor> {
    ones(x.dtype(), x.shape())
}
