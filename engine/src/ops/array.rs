//! Shape and construction ops (`tf.reshape`, `tf.transpose`, `tf.concat`, `tf.split`, `tf.pad`,
//! `tf.one_hot`, `tf.range`, `tf.zeros`, ...).

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels;
use crate::kernels::layout::{self, PadMode};
use crate::ops::shape_like::{self, unbroadcast_operand};
use crate::ops::{execute, execute1, expect_arity, indexing, math, reduce, GradCtx, OpDef, Spec};
use crate::shape::{self, normalize_axis, Dim, Dims, Shape};
use crate::tensor::{Element, Storage, Tensor};
use crate::{with_any, with_float, with_numeric};
use num_traits::Float;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[
    &RESHAPE,
    &BROADCAST_TO,
    &STACK,
    &UNSTACK,
    &TRANSPOSE,
    &EXPAND_DIMS,
    &SQUEEZE,
    &CONCAT,
    &SPLIT,
    &TILE,
    &PAD,
    &PAD_GRAD,
    &IDENTITY,
    &STOP_GRADIENT,
    &SHAPE,
    &SIZE,
    &RANK,
    &ONE_HOT,
    &LINSPACE,
    &RESHAPE_DYNAMIC,
    &FILL,
    &RANGE,
];

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
    grad: Some(|c: &GradCtx| Ok(vec![Some(shape_like::reshape_like(&c.grad(0)?, &c.inputs[0])?)])),
    stateful: false,
    inplace: None,
};

/// What a traced reshape knows of a run-time target entry: nothing until it runs.
pub const RUN_TIME_DIM: i64 = -2;

/// Fails unless `vector` is an int32/int64 vector of `n` sizes (its length may be unknown while
/// tracing).
pub(crate) fn expect_shape_vector(op: &str, vector: &Spec, n: usize) -> Result<()> {
    let fits = vector.rank() == 1 && vector.dims[0].is_none_or(|len| len == n);
    if !matches!(vector.dtype, DType::I32 | DType::I64) || !fits {
        return Err(Error::invalid(
            op,
            format!("the shape must be an int32 or int64 vector of {n} sizes, got {}", vector.describe()),
        ));
    }
    Ok(())
}

/// The dims a traced run-time shape promises: its known sizes, `None` elsewhere.
fn promised_dims(known: &[i64]) -> Dims {
    known.iter().map(|&d| usize::try_from(d).ok()).collect()
}

/// The values of a reshape's run-time shape vector, checked against what its attribute knew.
fn dynamic_target(op: &str, shape: &Tensor, known: &[i64]) -> Result<Vec<i64>> {
    let values = crate::ops::indexing::index_values(op, shape)?.into_owned();
    let agrees = values.len() == known.len() && values.iter().zip(known).all(|(v, k)| *k == RUN_TIME_DIM || v == k);
    if !agrees {
        let traced: Vec<String> =
            known.iter().map(|&k| if k == RUN_TIME_DIM { "None".to_string() } else { k.to_string() }).collect();
        return Err(Error::invalid(
            op,
            format!("the shape {values:?} does not match the traced shape [{}]", traced.join(", ")),
        ));
    }
    Ok(values)
}

/// Sizes from a run-time shape vector (`known` as in [`dynamic_target`]); none may be negative.
pub(crate) fn dynamic_sizes(op: &str, shape: &Tensor, known: &[i64]) -> Result<Vec<usize>> {
    let sizes = dynamic_target(op, shape, known)?;
    sizes
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::invalid(op, format!("sizes must not be negative, got {sizes:?}")))
}

/// `tf.reshape` to a shape computed at run time (`tf.reshape(x, [tf.shape(x)[0], -1])`):
/// input 1 is the int32/int64 shape vector; attribute `shape` is what tracing knew of it (an
/// entry is a size, `-1` for the one size inferred from the element count, or
/// [`RUN_TIME_DIM`]).
pub static RESHAPE_DYNAMIC: OpDef = OpDef {
    name: "reshape_dynamic",
    infer: |s, a| {
        const OP: &str = "reshape_dynamic";
        expect_arity(OP, s, 2)?;
        let known = a.ints(OP, "shape")?;
        expect_shape_vector(OP, &s[1], known.len())?;
        if known.iter().any(|&d| d < RUN_TIME_DIM) {
            return Err(Error::invalid(OP, format!("invalid dimension in target shape {known:?}")));
        }
        let dims =
            if known.contains(&RUN_TIME_DIM) { promised_dims(known) } else { resolve_reshape(OP, &s[0], known)? };
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, _| {
        const OP: &str = "reshape_dynamic";
        let target = dynamic_target(OP, &i[1], a.ints(OP, "shape")?)?;
        let dims = resolve_reshape(OP, &Spec::of(&i[0]), &target)?;
        let sh = shape::to_shape(&dims).ok_or_else(|| Error::invalid(OP, "unknown output shape"))?;
        Ok(vec![i[0].view(&sh)?])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(shape_like::reshape_like(&c.grad(0)?, &c.inputs[0])?), None])),
    stateful: false,
    inplace: None,
};

/// Reshapes `x` to the run-time shape vector `shape`; `known` is what is known of it now (see
/// [`RESHAPE_DYNAMIC`]).
pub fn reshape_dynamic(x: &Tensor, shape: &Tensor, known: &[i64]) -> Result<Tensor> {
    execute1(&RESHAPE_DYNAMIC, &[x.clone(), shape.clone()], Attrs::new().with("shape", Attr::Ints(known.to_vec())))
}

/// `tf.fill(dims, value)` with sizes known only at run time (`tf.zeros([tf.shape(x)[0], 3])`
/// in a traced function): input 0 is the int32/int64 dims vector, input 1 the scalar value;
/// attribute `shape` is what tracing knew of the dims (a size or [`RUN_TIME_DIM`]).
pub static FILL: OpDef = OpDef {
    name: "fill",
    infer: |s, a| {
        const OP: &str = "fill";
        expect_arity(OP, s, 2)?;
        let known = a.ints(OP, "shape")?;
        expect_shape_vector(OP, &s[0], known.len())?;
        if s[1].rank() != 0 {
            return Err(Error::invalid(OP, format!("the value must be a scalar, got {}", s[1].describe())));
        }
        if known.iter().any(|&d| d < 0 && d != RUN_TIME_DIM) {
            return Err(Error::invalid(OP, format!("sizes must not be negative, got {known:?}")));
        }
        Ok(vec![Spec { dtype: s[1].dtype, dims: promised_dims(known) }])
    },
    kernel: |i, a, _| {
        const OP: &str = "fill";
        let sh = dynamic_sizes(OP, &i[0], a.ints(OP, "shape")?)?;
        shape::check_allocation(OP, i[1].dtype(), &sh)?;
        let v = &i[1];
        let t = with_any!(v.dtype(), T => Tensor::from_vec(kernels::elementwise::broadcast_to(v.as_slice::<T>()?, &[], &sh)?, &sh)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![None, Some(reduce::reduce_sum(&c.grad(0)?, None, false)?)])),
    stateful: false,
    inplace: None,
};

/// A tensor of run-time `dims` filled with the scalar `value`; `known` is what is known of the
/// dims now (see [`FILL`]).
pub fn fill_dynamic(dims: &Tensor, value: &Tensor, known: &[i64]) -> Result<Tensor> {
    execute1(&FILL, &[dims.clone(), value.clone()], Attrs::new().with("shape", Attr::Ints(known.to_vec())))
}

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
            Tensor::from_vec(kernels::elementwise::broadcast_to(x.as_slice::<T>()?, x.shape(), &sh)?, &sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let target: Dims = c.attrs.ints("broadcast_to", "shape")?.iter().map(|&d| Some(d.max(0) as usize)).collect();
        Ok(vec![Some(unbroadcast_operand(&c.grad(0)?, &c.inputs[0], &[target])?)])
    }),
    stateful: false,
    inplace: None,
};

/// The static output shape of an eager call (known once `infer` has run on eager specs).
fn out_shape(op: &str, spec: &Spec) -> Result<Shape> {
    spec.shape().ok_or_else(|| Error::invalid(op, format!("output shape {} is not fully known", spec.fmt_dims())))
}

/// Converts an element count computed in floating point, failing like any oversized
/// allocation when it does not fit in memory.
fn alloc_count(op: &str, n: f64, dtype: DType) -> Result<usize> {
    let n = if (0.0..usize::MAX as f64).contains(&n) { n as usize } else { usize::MAX };
    shape::check_allocation(op, dtype, &[n])?;
    Ok(n)
}

/// An output dimension computed with overflow checks.
fn dim_or_overflow(op: &str, x: &Spec, d: Option<usize>) -> Result<usize> {
    d.ok_or_else(|| Error::invalid(op, format!("an output dimension for input {} would overflow", x.describe())))
}

/// `tf.stack`: joins equal-shaped tensors along a new axis.
pub static STACK: OpDef = OpDef {
    name: "stack",
    infer: |s, a| {
        if s.is_empty() {
            return Err(Error::invalid("stack", "expected at least one tensor"));
        }
        let axis = normalize_axis("stack", a.int("stack", "axis")?, s[0].rank() + 1)?;
        // Dimensions known only at run time match anything here; the run checks them.
        let mut dims = s[0].dims.clone();
        for (k, x) in s.iter().enumerate() {
            let merged = shape::merge_dims(&x.dims, &dims).filter(|_| x.dtype == s[0].dtype);
            let Some(merged) = merged else {
                return Err(Error::invalid(
                    "stack",
                    format!(
                        "all values must have the same dtype and shape: value 0 is {}, value {k} is {}",
                        s[0].describe(),
                        x.describe()
                    ),
                ));
            };
            dims = merged;
        }
        dims.insert(axis, Some(s.len()));
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let axis = normalize_axis("stack", a.int("stack", "axis")?, i[0].rank() + 1)?;
        let sh = out_shape("stack", &o[0])?;
        let outer: usize = i[0].shape()[..axis].iter().product();
        let inner: usize = i[0].shape()[axis..].iter().product();
        let widths = vec![inner; i.len()];
        let t = with_any!(i[0].dtype(), T => {
            let parts = i.iter().map(|t| t.as_slice::<T>()).collect::<Result<Vec<_>>>()?;
            Tensor::from_vec(layout::concat(&parts, &widths, outer), &sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let axis = c.attrs.int("stack", "axis")?;
        Ok(unstack(&c.grad(0)?, axis)?.into_iter().map(Some).collect())
    }),
    stateful: false,
    inplace: None,
};

/// Most outputs a multi-output op may produce.
const MAX_OUTPUTS: u64 = 1 << 20;

/// Fails when a multi-output op would produce more than `MAX_OUTPUTS` tensors.
fn check_outputs(op: &str, x: &Spec, n: u64) -> Result<usize> {
    if n > MAX_OUTPUTS {
        return Err(Error::invalid(
            op,
            format!("splitting input {} into {n} outputs exceeds the limit of {MAX_OUTPUTS} outputs", x.describe()),
        ));
    }
    Ok(n as usize)
}

/// `tf.unstack`: splits a tensor into the slices along `axis`, dropping that axis.
pub static UNSTACK: OpDef = OpDef {
    name: "unstack",
    infer: |s, a| {
        expect_arity("unstack", s, 1)?;
        let x = &s[0];
        let axis = normalize_axis("unstack", a.int("unstack", "axis")?, x.rank())?;
        let n = x.dims[axis].ok_or_else(|| {
            Error::invalid(
                "unstack",
                format!("cannot unstack axis {axis} of {}: the number of outputs must be known", x.describe()),
            )
        })?;
        let n = check_outputs("unstack", x, n as u64)?;
        let mut dims = x.dims.clone();
        dims.remove(axis);
        Ok(vec![Spec { dtype: x.dtype, dims }; n])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let axis = normalize_axis("unstack", a.int("unstack", "axis")?, x.rank())?;
        let n = x.shape()[axis];
        let outer: usize = x.shape()[..axis].iter().product();
        let inner: usize = x.shape()[axis + 1..].iter().product();
        let mut out = Vec::with_capacity(n);
        for (k, spec) in o.iter().enumerate() {
            let sh = out_shape("unstack", spec)?;
            out.push(with_any!(x.dtype(), T => {
                Tensor::from_vec(layout::split_piece(x.as_slice::<T>()?, outer, n * inner, k * inner, inner), &sh)?
            }));
        }
        Ok(out)
    },
    grad: Some(|c: &GradCtx| {
        let grads = (0..c.outputs.len()).map(|k| c.grad(k)).collect::<Result<Vec<_>>>()?;
        Ok(vec![Some(stack(&grads, c.attrs.int("unstack", "axis")?)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Checks `perm` against the input and resolves it (`None` reverses the axes).
fn resolve_perm(x: &Spec, perm: Option<&[i64]>) -> Result<Vec<usize>> {
    let rank = x.rank();
    let Some(p) = perm else { return Ok((0..rank).rev().collect()) };
    let bad = |why: String| {
        Error::invalid(
            "transpose",
            format!("perm {p:?} is not a permutation of the axes of input {} (0..{rank}): {why}", x.describe()),
        )
    };
    if p.len() != rank {
        return Err(bad(format!("it has {} entries, expected {rank}", p.len())));
    }
    let mut seen = vec![false; rank];
    let mut out = Vec::with_capacity(rank);
    for &d in p {
        if d < 0 || d >= rank as i64 {
            return Err(bad(format!("{d} is out of range [0, {rank})")));
        }
        if std::mem::replace(&mut seen[d as usize], true) {
            return Err(bad(format!("axis {d} appears twice")));
        }
        out.push(d as usize);
    }
    Ok(out)
}

/// `tf.transpose`: permutes axes; output axis `k` is input axis `perm[k]`.
pub static TRANSPOSE: OpDef = OpDef {
    name: "transpose",
    infer: |s, a| {
        expect_arity("transpose", s, 1)?;
        let perm = resolve_perm(&s[0], a.opt_ints("perm"))?;
        Ok(vec![Spec { dtype: s[0].dtype, dims: perm.iter().map(|&d| s[0].dims[d]).collect() }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let perm = resolve_perm(&Spec::of(x), a.opt_ints("perm"))?;
        let sh = out_shape("transpose", &o[0])?;
        let (_, p) = layout::simplify_transpose(x.shape(), &perm);
        if p.iter().enumerate().all(|(k, &d)| k == d) {
            // Only size-1 axes move: the element order is unchanged.
            return Ok(vec![x.view(&sh)?]);
        }
        let t = with_any!(x.dtype(), T => {
            Tensor::from_vec(layout::transpose(x.as_slice::<T>()?, x.shape(), &perm), &sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let perm = resolve_perm(&Spec::of(&c.inputs[0]), c.attrs.opt_ints("perm"))?;
        let mut inv = vec![0i64; perm.len()];
        for (k, &d) in perm.iter().enumerate() {
            inv[d] = k as i64;
        }
        Ok(vec![Some(transpose(&c.grad(0)?, Some(&inv))?)])
    }),
    stateful: false,
    inplace: None,
};

/// Resolves an `expand_dims` axis in `[-rank-1, rank]`.
fn expand_axis(x: &Spec, axis: i64) -> Result<usize> {
    let r = x.rank() as i64;
    if axis < -r - 1 || axis > r {
        return Err(Error::invalid(
            "expand_dims",
            format!("axis {axis} is out of range for input {}: expected an axis in [{}, {r}]", x.describe(), -r - 1),
        ));
    }
    Ok(if axis < 0 { (axis + r + 1) as usize } else { axis as usize })
}

/// The gradient of a view-like op: the incoming gradient reshaped to the input's shape.
fn reshape_back(c: &GradCtx) -> Result<Vec<Option<Tensor>>> {
    Ok(vec![Some(shape_like::reshape_like(&c.grad(0)?, &c.inputs[0])?)])
}

/// `tf.expand_dims`: inserts a size-1 axis at `axis`.
pub static EXPAND_DIMS: OpDef = OpDef {
    name: "expand_dims",
    infer: |s, a| {
        expect_arity("expand_dims", s, 1)?;
        let axis = expand_axis(&s[0], a.int("expand_dims", "axis")?)?;
        let mut dims = s[0].dims.clone();
        dims.insert(axis, Some(1));
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, _, o| Ok(vec![i[0].view(&out_shape("expand_dims", &o[0])?)?]),
    grad: Some(reshape_back),
    stateful: false,
    inplace: None,
};

/// Output dims of `squeeze`.
fn squeeze_dims(x: &Spec, axis: Option<&[i64]>) -> Result<Dims> {
    match axis {
        None => {
            if x.dims.iter().any(|d| d.is_none()) {
                return Err(Error::invalid(
                    "squeeze",
                    format!(
                        "squeezing every size-1 axis of {} needs a fully known shape; pass the axes to squeeze",
                        x.describe()
                    ),
                ));
            }
            Ok(x.dims.iter().filter(|d| **d != Some(1)).copied().collect())
        }
        Some(list) => {
            let mut drop = vec![false; x.rank()];
            for &a in list {
                let d = normalize_axis("squeeze", a, x.rank())?;
                if let Some(n) = x.dims[d].filter(|&n| n != 1) {
                    return Err(Error::invalid(
                        "squeeze",
                        format!(
                            "cannot squeeze axis {a} of input {}: expected a dimension of size 1, got {n}",
                            x.describe()
                        ),
                    ));
                }
                drop[d] = true;
            }
            Ok(x.dims.iter().zip(&drop).filter(|(_, &dr)| !dr).map(|(d, _)| *d).collect())
        }
    }
}

/// `tf.squeeze`: removes size-1 axes (all of them, or those listed in `axis`).
pub static SQUEEZE: OpDef = OpDef {
    name: "squeeze",
    infer: |s, a| {
        expect_arity("squeeze", s, 1)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims: squeeze_dims(&s[0], a.opt_ints("axis"))? }])
    },
    kernel: |i, _, o| Ok(vec![i[0].view(&out_shape("squeeze", &o[0])?)?]),
    grad: Some(reshape_back),
    stateful: false,
    inplace: None,
};

fn infer_concat(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "concat";
    let Some(first) = s.first() else {
        return Err(Error::invalid(OP, "expected at least one tensor"));
    };
    let rank = first.rank();
    if rank == 0 {
        return Err(Error::invalid(
            OP,
            format!("cannot concatenate scalars (value 0 is {}); use stack to join scalars", first.describe()),
        ));
    }
    let axis_attr = a.int(OP, "axis")?;
    let axis = normalize_axis(OP, axis_attr, rank)?;
    let mut dims = first.dims.clone();
    for (k, x) in s.iter().enumerate().skip(1) {
        let mismatch = |what: String| {
            Error::invalid(
                OP,
                format!(
                    "cannot concatenate value 0 ({}) and value {k} ({}) along axis {axis_attr}: {what}",
                    first.describe(),
                    x.describe()
                ),
            )
        };
        if x.dtype != first.dtype {
            return Err(mismatch("dtypes must match".into()));
        }
        if x.rank() != rank {
            return Err(mismatch(format!("ranks must match ({rank} vs {})", x.rank())));
        }
        for d in 0..rank {
            dims[d] = match (dims[d], x.dims[d]) {
                (Some(p), Some(q)) if d == axis => Some(p + q),
                (_, _) if d == axis => None,
                (Some(p), Some(q)) if p != q => {
                    return Err(mismatch(format!("dimension {d} must be equal ({p} vs {q})")));
                }
                (None, q) => q,
                (p, _) => p,
            };
        }
    }
    Ok(vec![Spec { dtype: first.dtype, dims }])
}

/// `tf.concat`: joins tensors along an existing axis.
pub static CONCAT: OpDef = OpDef {
    name: "concat",
    infer: infer_concat,
    kernel: |i, a, o| {
        let axis = normalize_axis("concat", a.int("concat", "axis")?, i[0].rank())?;
        let sh = out_shape("concat", &o[0])?;
        let outer: usize = sh[..axis].iter().product();
        let widths: Vec<usize> = i.iter().map(|t| t.shape()[axis..].iter().product()).collect();
        let t = with_any!(i[0].dtype(), T => {
            let parts = i.iter().map(|t| t.as_slice::<T>()).collect::<Result<Vec<_>>>()?;
            Tensor::from_vec(layout::concat(&parts, &widths, outer), &sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let axis_attr = c.attrs.int("concat", "axis")?;
        let axis = normalize_axis("concat", axis_attr, c.inputs[0].rank())?;
        let sizes: Vec<i64> = c.inputs.iter().map(|t| t.dims()[axis].map_or(-1, |d| d as i64)).collect();
        let pieces = match sizes.iter().filter(|&&s| s < 0).count() {
            // One part may take the rest of the axis.
            0 | 1 => split(&c.grad(0)?, Split::Sizes(sizes), axis_attr)?,
            _ => {
                let at = Tensor::from(axis as i32);
                let run_time =
                    c.inputs.iter().map(|t| indexing::gather(&shape(t)?, &at, 0, 0)).collect::<Result<Vec<_>>>()?;
                let known: Vec<i64> = sizes.iter().map(|&s| if s < 0 { RUN_TIME_DIM } else { s }).collect();
                split_dynamic(&c.grad(0)?, &stack(&run_time, 0)?, &known, axis_attr)?
            }
        };
        Ok(pieces.into_iter().map(Some).collect())
    }),
    stateful: false,
    inplace: None,
};

/// How `split` divides an axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Split {
    /// Into this many equal parts (the axis size must be divisible by it).
    Num(usize),
    /// Into parts of these sizes; one entry may be `-1` (the rest of the axis).
    Sizes(Vec<i64>),
}

impl From<usize> for Split {
    fn from(n: usize) -> Split {
        Split::Num(n)
    }
}

impl From<Vec<i64>> for Split {
    fn from(sizes: Vec<i64>) -> Split {
        Split::Sizes(sizes)
    }
}

/// The split axis and the size of each piece along it (`None` where unknown while tracing).
fn split_sizes(x: &Spec, a: &Attrs) -> Result<(usize, Vec<Dim>)> {
    const OP: &str = "split";
    let axis_attr = a.int(OP, "axis")?;
    let axis = normalize_axis(OP, axis_attr, x.rank())?;
    let n = x.dims[axis];
    if let Some(sizes) = a.opt_ints("size_splits") {
        let bad = |why: String| {
            Error::invalid(
                OP,
                format!("cannot split axis {axis_attr} of input {} into sizes {sizes:?}: {why}", x.describe()),
            )
        };
        if sizes.is_empty() {
            return Err(bad("at least one size is needed".into()));
        }
        let mut rest = None;
        let mut known = 0usize;
        for (k, &v) in sizes.iter().enumerate() {
            match v {
                -1 if rest.is_some() => return Err(bad("only one size may be -1".into())),
                -1 => rest = Some(k),
                v if v < 0 => return Err(bad(format!("size {v} is negative"))),
                v => known = known.saturating_add(v as usize),
            }
        }
        let mut out: Vec<Dim> = sizes.iter().map(|&v| (v >= 0).then_some(v as usize)).collect();
        if let Some(n) = n {
            match rest {
                None if known != n => {
                    return Err(bad(format!("the sizes sum to {known}, but the axis has size {n}")));
                }
                Some(_) if known > n => {
                    return Err(bad(format!("the sizes sum to {known}, more than the axis size {n}")));
                }
                Some(k) => out[k] = Some(n - known),
                None => {}
            }
        }
        Ok((axis, out))
    } else {
        let num = a.int(OP, "num_split")?;
        if num <= 0 {
            return Err(Error::invalid(OP, format!("the number of pieces must be positive, got {num}")));
        }
        let num = check_outputs(OP, x, num as u64)?;
        if let Some(n) = n.filter(|n| n % num != 0) {
            return Err(Error::invalid(
                OP,
                format!(
                    "cannot split axis {axis_attr} of input {} (size {n}) into {num} equal pieces: \
                     the size must be divisible by {num}",
                    x.describe()
                ),
            ));
        }
        Ok((axis, vec![n.map(|n| n / num); num]))
    }
}

/// `tf.split`: splits a tensor along `axis` into several outputs. With a second input, the
/// int32/int64 vector of piece sizes known only at run time, attribute `size_splits` is what
/// tracing knew of them (a size or [`RUN_TIME_DIM`]).
pub static SPLIT: OpDef = OpDef {
    name: "split",
    infer: |s, a| {
        if s.len() == 2 {
            return run_time_split_specs(s, a);
        }
        expect_arity("split", s, 1)?;
        let (axis, sizes) = split_sizes(&s[0], a)?;
        Ok(sizes
            .into_iter()
            .map(|n| {
                let mut dims = s[0].dims.clone();
                dims[axis] = n;
                Spec { dtype: s[0].dtype, dims }
            })
            .collect())
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let (axis, widths) = match i.get(1) {
            Some(sizes) => {
                let axis = normalize_axis("split", a.int("split", "axis")?, x.rank())?;
                (axis, run_time_split_sizes(x, sizes, a, axis)?)
            }
            None => {
                let (axis, _) = split_sizes(&Spec::of(x), a)?;
                (axis, o.iter().map(|spec| out_shape("split", spec).map(|sh| sh[axis])).collect::<Result<Vec<_>>>()?)
            }
        };
        let outer: usize = x.shape()[..axis].iter().product();
        let inner: usize = x.shape()[axis + 1..].iter().product();
        let row_len = x.shape()[axis] * inner;
        let mut offset = 0;
        let mut out = Vec::with_capacity(o.len());
        for size in widths {
            let mut sh = x.shape().to_vec();
            sh[axis] = size;
            let width = size * inner;
            out.push(with_any!(x.dtype(), T => {
                Tensor::from_vec(layout::split_piece(x.as_slice::<T>()?, outer, row_len, offset, width), &sh)?
            }));
            offset += width;
        }
        Ok(out)
    },
    grad: Some(|c: &GradCtx| {
        let grads = (0..c.outputs.len()).map(|k| c.grad(k)).collect::<Result<Vec<_>>>()?;
        let mut out = vec![Some(concat(&grads, c.attrs.int("split", "axis")?)?)];
        out.resize(c.inputs.len(), None);
        Ok(out)
    }),
    stateful: false,
    inplace: None,
};

/// Output specs of a split whose sizes are the run-time vector `s[1]`.
fn run_time_split_specs(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "split";
    let axis = normalize_axis(OP, a.int(OP, "axis")?, s[0].rank())?;
    let known = a.ints(OP, "size_splits")?;
    expect_shape_vector(OP, &s[1], known.len())?;
    if known.is_empty() || known.iter().any(|&d| d < 0 && d != RUN_TIME_DIM) {
        return Err(Error::invalid(OP, format!("invalid traced sizes {known:?}")));
    }
    check_outputs(OP, &s[0], known.len() as u64)?;
    Ok(known
        .iter()
        .map(|&k| {
            let mut dims = s[0].dims.clone();
            dims[axis] = usize::try_from(k).ok();
            Spec { dtype: s[0].dtype, dims }
        })
        .collect())
}

/// The run-time piece sizes of a split: they must agree with the traced ones and fill the axis.
fn run_time_split_sizes(x: &Tensor, sizes: &Tensor, a: &Attrs, axis: usize) -> Result<Vec<usize>> {
    const OP: &str = "split";
    let sizes = dynamic_sizes(OP, sizes, a.ints(OP, "size_splits")?)?;
    let total: usize = sizes.iter().sum();
    if total != x.shape()[axis] {
        return Err(Error::invalid(
            OP,
            format!(
                "cannot split axis {axis} of input {} into sizes {sizes:?}: they sum to {total}",
                Spec::of(x).describe()
            ),
        ));
    }
    Ok(sizes)
}

/// `x` split along `axis` into pieces of the run-time sizes `sizes` (an int vector); `known` is
/// what tracing knew of each (a size or [`RUN_TIME_DIM`]).
pub fn split_dynamic(x: &Tensor, sizes: &Tensor, known: &[i64], axis: i64) -> Result<Vec<Tensor>> {
    let attrs = Attrs::new().with("size_splits", Attr::Ints(known.to_vec())).with("axis", Attr::Int(axis));
    execute(&SPLIT, &[x.clone(), sizes.clone()], attrs)
}

/// Checks `multiples` against the input and converts them.
fn tile_multiples(x: &Spec, a: &Attrs) -> Result<Vec<usize>> {
    let m = a.ints("tile", "multiples")?;
    if m.len() != x.rank() {
        return Err(Error::invalid(
            "tile",
            format!("multiples {m:?} has {} entries, but input {} has rank {}", m.len(), x.describe(), x.rank()),
        ));
    }
    m.iter()
        .map(|&v| {
            usize::try_from(v).map_err(|_| {
                Error::invalid("tile", format!("multiples {m:?} for input {} must be non-negative", x.describe()))
            })
        })
        .collect()
}

/// `tf.tile`: repeats the input `multiples[d]` times along each axis `d`.
pub static TILE: OpDef = OpDef {
    name: "tile",
    infer: |s, a| {
        expect_arity("tile", s, 1)?;
        let m = tile_multiples(&s[0], a)?;
        let dims = s[0]
            .dims
            .iter()
            .zip(&m)
            .map(|(d, &k)| match d {
                _ if k == 0 => Ok(Some(0)),
                Some(d) => dim_or_overflow("tile", &s[0], d.checked_mul(k)).map(Some),
                None => Ok(None),
            })
            .collect::<Result<Dims>>()?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let m = tile_multiples(&Spec::of(x), a)?;
        let sh = out_shape("tile", &o[0])?;
        let t = with_any!(x.dtype(), T => Tensor::from_vec(layout::tile(x.as_slice::<T>()?, x.shape(), &m), &sh)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let x = &c.inputs[0];
        let m = tile_multiples(&Spec::of(x), c.attrs)?;
        let g = c.grad(0)?;
        if m.iter().all(|&k| k == 1) {
            return Ok(vec![Some(g)]);
        }
        // View the gradient as [m0, s0, m1, s1, ...] and sum over the repeat axes.
        let xs = x.dims();
        let axes: Vec<i64> = (0..m.len() as i64).map(|d| 2 * d).collect();
        let split = match xs.iter().filter(|d| d.is_none()).count() {
            // One size known only at run time can be left to the reshape (-1).
            0 | 1 => {
                let split_shape: Vec<i64> =
                    m.iter().zip(&xs).flat_map(|(&k, s)| [k as i64, s.map_or(-1, |s| s as i64)]).collect();
                reshape(&g, &split_shape)?
            }
            _ => {
                let sizes = shape(x)?;
                let mut parts = Vec::with_capacity(2 * m.len());
                let mut known = Vec::with_capacity(2 * m.len());
                for (d, (&k, s)) in m.iter().zip(&xs).enumerate() {
                    let k =
                        i32::try_from(k).map_err(|_| Error::invalid("tile", format!("multiple {k} is too large")))?;
                    parts.extend([Tensor::from(k), indexing::gather(&sizes, &Tensor::from(d as i32), 0, 0)?]);
                    known.extend([i64::from(k), s.map_or(RUN_TIME_DIM, |s| s as i64)]);
                }
                reshape_dynamic(&g, &stack(&parts, 0)?, &known)?
            }
        };
        let summed = reduce::reduce_sum(&split, Some(&axes), false)?;
        Ok(vec![Some(summed)])
    }),
    stateful: false,
    inplace: None,
};

/// Parses a pad mode name (case-insensitive, as `tf.pad` accepts).
fn pad_mode(op: &str, a: &Attrs) -> Result<PadMode> {
    let m = a.str(op, "mode")?;
    match m.to_ascii_uppercase().as_str() {
        "CONSTANT" => Ok(PadMode::Constant),
        "REFLECT" => Ok(PadMode::Reflect),
        "SYMMETRIC" => Ok(PadMode::Symmetric),
        _ => Err(Error::invalid(op, format!("unknown padding mode {m:?}: expected CONSTANT, REFLECT or SYMMETRIC"))),
    }
}

/// Reads and checks `paddings` for a tensor whose unpadded dims are `src` (`x` is the op's
/// input, named in messages).
fn pad_amounts(op: &str, x: &Spec, src: &[Dim], a: &Attrs, mode: PadMode) -> Result<Vec<(usize, usize)>> {
    let p = a.ints(op, "paddings")?;
    let pairs: Vec<[i64; 2]> = p.chunks(2).map(|c| [c[0], c.get(1).copied().unwrap_or(-1)]).collect();
    if p.len() != 2 * src.len() {
        return Err(Error::invalid(
            op,
            format!("paddings {pairs:?} must have one [before, after] pair per axis of input {}", x.describe()),
        ));
    }
    let mut out = Vec::with_capacity(src.len());
    for (d, (&[b, e], n)) in pairs.iter().zip(src).enumerate() {
        if b < 0 || e < 0 {
            return Err(Error::invalid(
                op,
                format!("paddings {pairs:?} for input {} must be non-negative", x.describe()),
            ));
        }
        let limit = match (mode, n) {
            (PadMode::Reflect, Some(n)) => Some(*n as i64 - 1),
            (PadMode::Symmetric, Some(n)) => Some(*n as i64),
            _ => None,
        };
        if let Some(l) = limit.filter(|&l| b > l || e > l) {
            let mode_name = if mode == PadMode::Reflect { "REFLECT" } else { "SYMMETRIC" };
            return Err(Error::invalid(
                op,
                format!(
                    "paddings {pairs:?} are too large for input {} in {mode_name} mode: \
                     axis {d} has size {} so each padding must be at most {l}",
                    x.describe(),
                    n.unwrap_or(0)
                ),
            ));
        }
        out.push((b as usize, e as usize));
    }
    Ok(out)
}

/// `tf.pad`: pads each axis with constants or a mirror image of the input.
pub static PAD: OpDef = OpDef {
    name: "pad",
    infer: |s, a| {
        expect_arity("pad", s, 1)?;
        let x = &s[0];
        let pads = pad_amounts("pad", x, &x.dims, a, pad_mode("pad", a)?)?;
        let dims = x
            .dims
            .iter()
            .zip(&pads)
            .map(|(d, (b, e))| match d {
                Some(d) => dim_or_overflow("pad", x, d.checked_add(*b).and_then(|v| v.checked_add(*e))).map(Some),
                None => Ok(None),
            })
            .collect::<Result<Dims>>()?;
        Ok(vec![Spec { dtype: x.dtype, dims }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let mode = pad_mode("pad", a)?;
        let pads = pad_amounts("pad", &Spec::of(x), &x.dims(), a, mode)?;
        let value = a.float("pad", "constant_values")?;
        let sh = out_shape("pad", &o[0])?;
        let t = with_any!(x.dtype(), T => {
            let v = layout::pad(x.as_slice::<T>()?, x.shape(), &pads, mode, <T as Element>::from_f64(value));
            Tensor::from_vec(v, &sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let paddings = pairs(c.attrs.ints("pad", "paddings")?);
        Ok(vec![Some(pad_grad(&c.grad(0)?, &paddings, c.attrs.str("pad", "mode")?)?)])
    }),
    stateful: false,
    inplace: None,
};

fn pairs(flat: &[i64]) -> Vec<[i64; 2]> {
    flat.chunks_exact(2).map(|c| [c[0], c[1]]).collect()
}

/// Unpadded dims of `pad_grad`'s output, from its padded input.
fn unpadded_dims(x: &Spec, a: &Attrs) -> Result<Dims> {
    let p = a.ints("pad_grad", "paddings")?;
    if p.len() != 2 * x.rank() {
        return Err(Error::invalid(
            "pad_grad",
            format!("paddings {:?} must have one [before, after] pair per axis of input {}", pairs(p), x.describe()),
        ));
    }
    x.dims
        .iter()
        .zip(p.chunks_exact(2))
        .map(|(d, c)| match d {
            Some(n) if c[0] >= 0 && c[1] >= 0 && c[0].saturating_add(c[1]) <= *n as i64 => {
                Ok(Some(*n - c[0] as usize - c[1] as usize))
            }
            Some(_) => Err(Error::invalid(
                "pad_grad",
                format!("paddings {:?} do not fit inside the padded input {}", pairs(p), x.describe()),
            )),
            None => Ok(None),
        })
        .collect()
}

/// The adjoint of `pad` (TensorFlow's `MirrorPadGrad`, also covering constant padding): crops
/// the border and, in mirror modes, adds each mirrored element back onto its source.
pub static PAD_GRAD: OpDef = OpDef {
    name: "pad_grad",
    infer: |s, a| {
        expect_arity("pad_grad", s, 1)?;
        let x = &s[0];
        crate::ops::expect_dtype_in("pad_grad", x, crate::ops::NUMERIC)?;
        let dims = unpadded_dims(x, a)?;
        pad_amounts("pad_grad", x, &dims, a, pad_mode("pad_grad", a)?)?;
        Ok(vec![Spec { dtype: x.dtype, dims }])
    },
    kernel: |i, a, o| {
        let g = &i[0];
        let mode = pad_mode("pad_grad", a)?;
        let sh = out_shape("pad_grad", &o[0])?;
        let pads = pad_amounts("pad_grad", &Spec::of(g), &o[0].dims, a, mode)?;
        let t = with_numeric!(g.dtype(), T => {
            Tensor::from_vec(layout::pad_grad(g.as_slice::<T>()?, &sh, &pads, mode), &sh)?
        }, bool => return Err(Error::invalid("pad_grad", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let paddings = pairs(c.attrs.ints("pad_grad", "paddings")?);
        Ok(vec![Some(pad(&c.grad(0)?, &paddings, c.attrs.str("pad_grad", "mode")?, 0.0)?)])
    }),
    stateful: false,
    inplace: None,
};

fn infer_same(op: &str, s: &[Spec]) -> Result<Vec<Spec>> {
    expect_arity(op, s, 1)?;
    Ok(vec![s[0].clone()])
}

/// `tf.identity`: the same value as a new tensor; gradients pass through.
pub static IDENTITY: OpDef = OpDef {
    name: "identity",
    infer: |s, _| infer_same("identity", s),
    kernel: |i, _, _| Ok(vec![i[0].fresh()]),
    grad: Some(|c: &GradCtx| Ok(vec![Some(c.grad(0)?)])),
    stateful: false,
    inplace: None,
};

/// `tf.stop_gradient`: the same value, but tapes never propagate gradients through it.
pub static STOP_GRADIENT: OpDef = OpDef {
    name: "stop_gradient",
    infer: |s, _| infer_same("stop_gradient", s),
    kernel: |i, _, _| Ok(vec![i[0].fresh()]),
    grad: None,
    stateful: false,
    inplace: None,
};

/// Converts a count to int32 as `tf.shape`/`tf.size` report it.
fn count_i32(op: &str, x: &Tensor, n: usize) -> Result<i32> {
    i32::try_from(n)
        .map_err(|_| Error::invalid(op, format!("{n} does not fit in int32 (input {}{:?})", x.dtype(), x.shape())))
}

/// `tf.shape`: the input's dimensions as a 1-D int32 tensor.
pub static SHAPE: OpDef = OpDef {
    name: "shape",
    infer: |s, _| {
        expect_arity("shape", s, 1)?;
        Ok(vec![Spec::new(DType::I32, &[s[0].rank()])])
    },
    kernel: |i, _, _| {
        let x = &i[0];
        let v = x.shape().iter().map(|&d| count_i32("shape", x, d)).collect::<Result<Vec<i32>>>()?;
        Ok(vec![Tensor::from_vec(v, &[x.rank()])?])
    },
    grad: None,
    stateful: false,
    inplace: None,
};

/// `tf.size`: the number of elements as an int32 scalar.
pub static SIZE: OpDef = OpDef {
    name: "size",
    infer: |s, _| {
        expect_arity("size", s, 1)?;
        Ok(vec![Spec::new(DType::I32, &[])])
    },
    kernel: |i, _, _| Ok(vec![Tensor::scalar(count_i32("size", &i[0], i[0].size())?)]),
    grad: None,
    stateful: false,
    inplace: None,
};

/// `tf.rank`: the number of dimensions as an int32 scalar.
pub static RANK: OpDef = OpDef {
    name: "rank",
    infer: |s, _| {
        expect_arity("rank", s, 1)?;
        Ok(vec![Spec::new(DType::I32, &[])])
    },
    kernel: |i, _, _| Ok(vec![Tensor::scalar(count_i32("rank", &i[0], i[0].rank())?)]),
    grad: None,
    stateful: false,
    inplace: None,
};

/// The position of the depth axis of `one_hot`'s output.
fn one_hot_axis(x: &Spec, a: &Attrs) -> Result<usize> {
    let axis = a.int("one_hot", "axis")?;
    let r = x.rank() as i64;
    match axis {
        -1 => Ok(x.rank()),
        a if (0..=r).contains(&a) => Ok(a as usize),
        _ => Err(Error::invalid(
            "one_hot",
            format!("axis {axis} is invalid for indices {}: expected -1 or an axis in [0, {r}]", x.describe()),
        )),
    }
}

/// `tf.one_hot`: `on_value` where the index equals the position along the new depth axis,
/// `off_value` elsewhere (indices outside `[0, depth)` give an all-`off_value` row).
pub static ONE_HOT: OpDef = OpDef {
    name: "one_hot",
    infer: |s, a| {
        expect_arity("one_hot", s, 1)?;
        crate::ops::expect_dtype_in("one_hot", &s[0], &[DType::I32, DType::I64])?;
        let depth = a.int("one_hot", "depth")?;
        if depth < 0 {
            return Err(Error::invalid("one_hot", format!("depth must be non-negative, got {depth}")));
        }
        let axis = one_hot_axis(&s[0], a)?;
        let mut dims = s[0].dims.clone();
        dims.insert(axis, Some(depth as usize));
        Ok(vec![Spec { dtype: a.dtype("one_hot", "dtype")?, dims }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let sh = out_shape("one_hot", &o[0])?;
        let axis = one_hot_axis(&Spec::of(x), a)?;
        let depth = sh[axis];
        let (on, off) = (a.float("one_hot", "on_value")?, a.float("one_hot", "off_value")?);
        let idx: Vec<i64> = match x.dtype() {
            DType::I32 => x.as_slice::<i32>()?.iter().map(|&v| v as i64).collect(),
            _ => x.to_vec::<i64>()?,
        };
        let inner: usize = x.shape()[axis..].iter().product();
        let t = with_any!(o[0].dtype, T => {
            let (on, off) = (<T as Element>::from_f64(on), <T as Element>::from_f64(off));
            let mut v = vec![off; shape::num_elements(&sh)];
            for (p, &k) in idx.iter().enumerate() {
                if (0..depth as i64).contains(&k) {
                    let (outer, i) = (p / inner.max(1), p % inner.max(1));
                    v[(outer * depth + k as usize) * inner + i] = on;
                }
            }
            Tensor::from_vec(v, &sh)?
        });
        Ok(vec![t])
    },
    grad: None,
    stateful: false,
    inplace: None,
};

/// Shape rule of `linspace`: broadcast `start`/`stop`, insert `num` at `axis`.
fn infer_linspace(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "linspace";
    expect_arity(OP, s, 2)?;
    crate::ops::expect_dtype_in(OP, &s[0], crate::ops::FLOATS)?;
    crate::ops::expect_same_dtype(OP, &s[0], &s[1])?;
    let num = a.int(OP, "num")?;
    if num < 0 {
        return Err(Error::invalid(OP, format!("num must be non-negative, got {num}")));
    }
    let mut dims = shape::broadcast_dims(&s[0].dims, &s[1].dims).ok_or_else(|| {
        Error::invalid(
            OP,
            format!("start {} and stop {} must have broadcast-compatible shapes", s[0].describe(), s[1].describe()),
        )
    })?;
    let axis = linspace_axis_of(&dims, a)?;
    dims.insert(axis, Some(num as usize));
    Ok(vec![Spec { dtype: s[0].dtype, dims }])
}

fn linspace_axis_of(batch: &[Dim], a: &Attrs) -> Result<usize> {
    let axis = a.int("linspace", "axis")?;
    let r = batch.len() as i64;
    if axis < -r - 1 || axis > r {
        return Err(Error::invalid(
            "linspace",
            format!(
                "axis {axis} is out of range for start/stop of shape {}: expected an axis in [{}, {r}]",
                shape::fmt_dims(batch),
                -r - 1
            ),
        ));
    }
    Ok(if axis < 0 { (axis + r + 1) as usize } else { axis as usize })
}

fn linspace_kernel<T: Float + Element>(start: &[T], stop: &[T], num: usize, outer: usize, inner: usize) -> Vec<T> {
    let mut out = vec![T::zero(); outer * num * inner];
    let steps: T = num_traits::cast(num.saturating_sub(1).max(1)).unwrap_or_else(T::one);
    for o in 0..outer {
        for j in 0..inner {
            let (a, b) = (start[o * inner + j], stop[o * inner + j]);
            let step = (b - a) / steps;
            for i in 0..num {
                // The last value is exactly `stop`, as TensorFlow guarantees.
                let v = if i == 0 {
                    a
                } else if i == num - 1 {
                    b
                } else {
                    a + step * num_traits::cast::<usize, T>(i).unwrap_or_else(T::zero)
                };
                out[(o * num + i) * inner + j] = v;
            }
        }
    }
    out
}

/// `tf.linspace`: `num` evenly spaced values from `start` to `stop` (inclusive) along `axis`.
pub static LINSPACE: OpDef = OpDef {
    name: "linspace",
    infer: infer_linspace,
    kernel: |i, a, o| {
        let sh = out_shape("linspace", &o[0])?;
        let num = a.int("linspace", "num")? as usize;
        let mut batch = sh.clone();
        let axis = linspace_axis_of(&shape::to_dims(&sh[..sh.len() - 1]), a)?;
        batch.remove(axis);
        let outer: usize = batch[..axis].iter().product();
        let inner: usize = batch[axis..].iter().product();
        let t = with_float!(i[0].dtype(), T => {
            let start = kernels::elementwise::broadcast_to(i[0].as_slice::<T>()?, i[0].shape(), &batch)?;
            let stop = kernels::elementwise::broadcast_to(i[1].as_slice::<T>()?, i[1].shape(), &batch)?;
            Tensor::from_vec(linspace_kernel(&start, &stop, num, outer, inner), &sh)?
        }, other => return Err(Error::invalid("linspace", "start and stop must be float tensors")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        let num = c.attrs.int("linspace", "num")? as usize;
        let rank = g.rank();
        let batch = shape::to_dims(&g.shape()[..rank - 1]);
        let axis = linspace_axis_of(&batch, c.attrs)?;
        // Output i is start + (stop - start) * t_i with t_i = i / (num - 1).
        let denom = num.saturating_sub(1).max(1) as f64;
        let t: Vec<f64> = (0..num).map(|i| i as f64 / denom).collect();
        let mut wshape = vec![1usize; rank];
        wshape[axis] = num;
        let w = Tensor::from_vec(t, &wshape)?;
        let w = if g.dtype() == DType::F32 { f32_constant(&w)? } else { w };
        let ax = [axis as i64];
        let g_stop = reduce::reduce_sum(&math::mul(&g, &w)?, Some(&ax), false)?;
        let g_all = reduce::reduce_sum(&g, Some(&ax), false)?;
        let g_start = math::sub(&g_all, &g_stop)?;
        Ok(vec![
            Some(unbroadcast_operand(&g_start, &c.inputs[0], &[c.inputs[1].dims()])?),
            Some(unbroadcast_operand(&g_stop, &c.inputs[1], &[c.inputs[0].dims()])?),
        ])
    }),
    stateful: false,
    inplace: None,
};

/// A float32 copy of a constant float64 tensor (a value, not a recorded op).
fn f32_constant(t: &Tensor) -> Result<Tensor> {
    Tensor::from_vec(t.as_slice::<f64>()?.iter().map(|&v| v as f32).collect(), t.shape())
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

/// Splits `x` into the slices along `axis` (the inverse of `stack`).
pub fn unstack(x: &Tensor, axis: i64) -> Result<Vec<Tensor>> {
    execute(&UNSTACK, std::slice::from_ref(x), Attrs::new().with("axis", Attr::Int(axis)))
}

/// Permutes the axes of `x`; `None` reverses them (a matrix transpose for rank 2).
pub fn transpose(x: &Tensor, perm: Option<&[i64]>) -> Result<Tensor> {
    execute1(&TRANSPOSE, std::slice::from_ref(x), Attrs::new().with("perm", Attr::OptInts(perm.map(|p| p.to_vec()))))
}

/// Inserts a size-1 axis at `axis` (in `[-rank-1, rank]`).
pub fn expand_dims(x: &Tensor, axis: i64) -> Result<Tensor> {
    execute1(&EXPAND_DIMS, std::slice::from_ref(x), Attrs::new().with("axis", Attr::Int(axis)))
}

/// Removes size-1 axes: those in `axis`, or all of them when `None`.
pub fn squeeze(x: &Tensor, axis: Option<&[i64]>) -> Result<Tensor> {
    execute1(&SQUEEZE, std::slice::from_ref(x), Attrs::new().with("axis", Attr::OptInts(axis.map(|a| a.to_vec()))))
}

/// Joins `values` along an existing `axis`.
pub fn concat(values: &[Tensor], axis: i64) -> Result<Tensor> {
    execute1(&CONCAT, values, Attrs::new().with("axis", Attr::Int(axis)))
}

/// Splits `x` along `axis` into equal parts or parts of the given sizes.
pub fn split(x: &Tensor, num_or_sizes: Split, axis: i64) -> Result<Vec<Tensor>> {
    let attrs = match num_or_sizes {
        Split::Num(n) => Attrs::new().with("num_split", Attr::Int(i64::try_from(n).unwrap_or(i64::MAX))),
        Split::Sizes(s) => Attrs::new().with("size_splits", Attr::Ints(s)),
    };
    execute(&SPLIT, std::slice::from_ref(x), attrs.with("axis", Attr::Int(axis)))
}

/// Repeats `x` `multiples[d]` times along each axis `d`.
pub fn tile(x: &Tensor, multiples: &[i64]) -> Result<Tensor> {
    execute1(&TILE, std::slice::from_ref(x), Attrs::new().with("multiples", Attr::Ints(multiples.to_vec())))
}

fn pad_attrs(paddings: &[[i64; 2]], mode: &str) -> Attrs {
    Attrs::new()
        .with("paddings", Attr::Ints(paddings.iter().flatten().copied().collect()))
        .with("mode", Attr::Str(mode.to_string()))
}

/// Pads `x` by `paddings[d] = [before, after]` along each axis; `mode` is `"CONSTANT"`
/// (filled with `constant_values`), `"REFLECT"` or `"SYMMETRIC"`.
pub fn pad(x: &Tensor, paddings: &[[i64; 2]], mode: &str, constant_values: f64) -> Result<Tensor> {
    let attrs = pad_attrs(paddings, mode).with("constant_values", Attr::Float(constant_values));
    execute1(&PAD, std::slice::from_ref(x), attrs)
}

/// The gradient of `pad` with respect to its input, given the gradient `grad` of its output.
pub fn pad_grad(grad: &Tensor, paddings: &[[i64; 2]], mode: &str) -> Result<Tensor> {
    execute1(&PAD_GRAD, std::slice::from_ref(grad), pad_attrs(paddings, mode))
}

/// The same value as a new tensor (gradients pass through).
pub fn identity(x: &Tensor) -> Result<Tensor> {
    execute1(&IDENTITY, std::slice::from_ref(x), Attrs::new())
}

/// The same value, hidden from gradient tapes.
pub fn stop_gradient(x: &Tensor) -> Result<Tensor> {
    execute1(&STOP_GRADIENT, std::slice::from_ref(x), Attrs::new())
}

/// The shape of `x` as a 1-D int32 tensor.
pub fn shape(x: &Tensor) -> Result<Tensor> {
    execute1(&SHAPE, std::slice::from_ref(x), Attrs::new())
}

/// The number of elements of `x` as an int32 scalar.
pub fn size(x: &Tensor) -> Result<Tensor> {
    execute1(&SIZE, std::slice::from_ref(x), Attrs::new())
}

/// The rank of `x` as an int32 scalar.
pub fn rank(x: &Tensor) -> Result<Tensor> {
    execute1(&RANK, std::slice::from_ref(x), Attrs::new())
}

/// One-hot encodes integer `indices` along a new axis of size `depth` at `axis` (-1 = last).
pub fn one_hot(indices: &Tensor, depth: i64, on_value: f64, off_value: f64, axis: i64, dtype: DType) -> Result<Tensor> {
    let attrs = Attrs::new()
        .with("depth", Attr::Int(depth))
        .with("on_value", Attr::Float(on_value))
        .with("off_value", Attr::Float(off_value))
        .with("axis", Attr::Int(axis))
        .with("dtype", Attr::DType(dtype));
    execute1(&ONE_HOT, std::slice::from_ref(indices), attrs)
}

/// `num` evenly spaced values from `start` to `stop` inclusive (float scalars or broadcastable
/// float tensors of one dtype); the new axis is first.
pub fn linspace(start: &Tensor, stop: &Tensor, num: i64) -> Result<Tensor> {
    linspace_axis(start, stop, num, 0)
}

/// `linspace` with the new axis at `axis` (in `[-rank-1, rank]` of the broadcast start/stop).
pub fn linspace_axis(start: &Tensor, stop: &Tensor, num: i64, axis: i64) -> Result<Tensor> {
    let attrs = Attrs::new().with("num", Attr::Int(num)).with("axis", Attr::Int(axis));
    execute1(&LINSPACE, &[start.clone(), stop.clone()], attrs)
}

/// Checks `tf.range`'s arguments (in the target type, after conversion, as TensorFlow does).
fn check_range<T: PartialOrd + Default + std::fmt::Display>(start: T, limit: T, delta: T) -> Result<()> {
    let zero = T::default();
    if delta == zero {
        return Err(Error::invalid("range", format!("delta must not be 0 (start {start}, limit {limit})")));
    }
    if delta > zero && start > limit {
        return Err(Error::invalid(
            "range",
            format!("start must be <= limit when delta > 0, got start {start}, limit {limit}, delta {delta}"),
        ));
    }
    if delta < zero && start < limit {
        return Err(Error::invalid(
            "range",
            format!("start must be >= limit when delta < 0, got start {start}, limit {limit}, delta {delta}"),
        ));
    }
    Ok(())
}

fn float_range<T: Float + Element + Default + std::fmt::Display>(start: T, limit: T, delta: T) -> Result<Tensor> {
    check_range(start, limit, delta)?;
    let n = ((limit - start) / delta).abs().ceil();
    let n = <T as Element>::to_f64(n);
    let n = alloc_count("range", n, T::DTYPE)?;
    // Accumulate like TensorFlow's kernel, so the values match it bit for bit.
    let mut v = Vec::with_capacity(n);
    let mut x = start;
    for _ in 0..n {
        v.push(x);
        x = x + delta;
    }
    Tensor::from_vec(v, &[n])
}

/// `tf.range`: `start, start + delta, ...` up to but excluding `limit`, as a 1-D `dtype`
/// tensor. `delta` may be negative (then `start >= limit`); it may not be 0. For integer
/// dtypes the arguments are truncated to integers first.
pub fn range(start: f64, limit: f64, delta: f64, dtype: DType) -> Result<Tensor> {
    if !(start.is_finite() && limit.is_finite() && delta.is_finite()) {
        return Err(Error::invalid(
            "range",
            format!("start, limit and delta must be finite, got {start}, {limit}, {delta}"),
        ));
    }
    match dtype {
        DType::F32 => float_range(start as f32, limit as f32, delta as f32),
        DType::F64 => float_range(start, limit, delta),
        DType::I32 | DType::I64 => {
            let (s, l, d) = (start as i64, limit as i64, delta as i64);
            if dtype == DType::I32 {
                for v in [s, l, d] {
                    if i32::try_from(v).is_err() {
                        return Err(Error::invalid(
                            "range",
                            format!("{v} does not fit in int32 (start {s}, limit {l}, delta {d}); use int64"),
                        ));
                    }
                }
            }
            check_range(s, l, d)?;
            let (s, l, d) = (s as i128, l as i128, d as i128);
            let n = ((l - s).abs() + d.abs() - 1) / d.abs();
            let n = alloc_count("range", n as f64, dtype)?;
            let values = (0..n as i128).map(move |i| (s + i * d) as i64);
            match dtype {
                DType::I32 => Tensor::from_vec(values.map(|v| v as i32).collect::<Vec<_>>(), &[n]),
                _ => Tensor::from_vec(values.collect::<Vec<_>>(), &[n]),
            }
        }
        DType::Bool => Err(Error::invalid("range", "bool is not a valid dtype for range; expected a numeric dtype")),
    }
}

/// `tf.range(start, limit, delta)` with bounds known only at run time (`tf.range(tf.shape(x)[0])`
/// in a traced function): three scalar inputs of the result's dtype; the length is a run-time
/// dimension.
pub static RANGE: OpDef = OpDef {
    name: "range",
    infer: |s, _| {
        const OP: &str = "range";
        expect_arity(OP, s, 3)?;
        for (name, spec) in ["start", "limit", "delta"].iter().zip(s) {
            if spec.rank() != 0 || spec.dtype != s[0].dtype || spec.dtype == DType::Bool {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "start, limit and delta must be numeric scalars of one dtype; {name} is {} (start is {})",
                        spec.describe(),
                        s[0].describe()
                    ),
                ));
            }
        }
        Ok(vec![Spec { dtype: s[0].dtype, dims: [None].into_iter().collect() }])
    },
    kernel: |i, _, _| {
        let v = |t: &Tensor| t.to_f64_vec().first().copied().unwrap_or(0.0);
        Ok(vec![range(v(&i[0]), v(&i[1]), v(&i[2]), i[0].dtype())?])
    },
    grad: None,
    stateful: false,
    inplace: None,
};

/// [`range`] of scalar tensors of one dtype, which a traced function may know only at run time.
pub fn range_dynamic(start: &Tensor, limit: &Tensor, delta: &Tensor) -> Result<Tensor> {
    execute1(&RANGE, &[start.clone(), limit.clone(), delta.clone()], Attrs::new())
}

/// `tf.eye`: a `num_rows x num_columns` matrix (square when `None`) with ones on the diagonal.
pub fn eye(num_rows: usize, num_columns: Option<usize>, dtype: DType) -> Result<Tensor> {
    let cols = num_columns.unwrap_or(num_rows);
    shape::check_allocation("eye", dtype, &[num_rows, cols])?;
    let n = num_rows * cols;
    with_any!(dtype, T => {
        let mut v = vec![<T as Element>::from_f64(0.0); n];
        for i in 0..num_rows.min(cols) {
            v[i * cols + i] = <T as Element>::from_f64(1.0);
        }
        Tensor::from_vec(v, &[num_rows, cols])
    })
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
    super::shape_like::zeros_like(x)
}

/// Ones with the dtype and shape of `x`.
pub fn ones_like(x: &Tensor) -> Result<Tensor> {
    super::shape_like::ones_like(x)
}
