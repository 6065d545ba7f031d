//! Slices whose bounds are known only at run time (`x[:tf.shape(y)[0]]`, `x[i]` for a loop
//! counter `i`, `tf.slice(x, [0, k], [-1, n])` inside a traced function): the bounds are tensor
//! inputs, the rest stays attributes, and the output dims those bounds decide are unknown while
//! tracing.

use super::slicing::{
    check_compatible, gather_box, index, resolve_slice, resolve_strided, resolve_strided_at, shape_attr_dims,
    slice_spec, unknown, RunTimeBounds, SliceItem, StridedSliceSpec,
};
use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::slicing::{gather_window, scatter_window};
use crate::ops::shape_like::has_static_shape;
use crate::ops::{execute1, GradCtx, OpDef, Spec};
use crate::shape::{self, fmt_dims, Dims};
use crate::tensor::Tensor;
use crate::{with_any, DType};

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&STRIDED_SLICE_DYNAMIC, &STRIDED_SLICE_DYNAMIC_GRAD, &SLICE_DYNAMIC];

/// The spec and which of its bounds are inputs.
fn read_attrs(op: &str, a: &Attrs) -> Result<(StridedSliceSpec, RunTimeBounds)> {
    let spec = StridedSliceSpec::from_attrs(op, a)?;
    let run_time = RunTimeBounds {
        begin: a.int(op, "begin_run_time")?,
        end: a.int(op, "end_run_time")?,
        strides: a.int(op, "strides_run_time")?,
    };
    let n = spec.begin.len();
    for m in [run_time.begin, run_time.end, run_time.strides] {
        if m < 0 || (n < 63 && m >> n != 0) {
            return Err(Error::invalid(op, format!("run-time bound mask {m:#b} names items beyond the spec's {n}")));
        }
    }
    Ok((spec, run_time))
}

fn attrs_of(spec: &StridedSliceSpec, run_time: RunTimeBounds) -> Attrs {
    spec.to_attrs()
        .with("begin_run_time", Attr::Int(run_time.begin))
        .with("end_run_time", Attr::Int(run_time.end))
        .with("strides_run_time", Attr::Int(run_time.strides))
}

fn bound_count(run_time: RunTimeBounds) -> usize {
    (run_time.begin.count_ones() + run_time.end.count_ones() + run_time.strides.count_ones()) as usize
}

/// Fails unless `bounds` are the scalar int32/int64 bounds `run_time` asks for.
fn expect_bounds(op: &str, bounds: &[Spec], run_time: RunTimeBounds) -> Result<()> {
    let n = bound_count(run_time);
    if bounds.len() != n {
        return Err(Error::invalid(op, format!("expected {n} run-time bounds, got {}", bounds.len())));
    }
    for b in bounds {
        if b.rank() != 0 || !matches!(b.dtype, DType::I32 | DType::I64) {
            return Err(Error::invalid(
                op,
                format!("a slice bound must be a scalar int32 or int64, got {}", b.describe()),
            ));
        }
    }
    Ok(())
}

/// The spec with the run-time bounds' values filled in (`begin` entries by item, then `end`,
/// then strides).
fn with_values(
    op: &str,
    spec: &StridedSliceSpec,
    run_time: RunTimeBounds,
    bounds: &[Tensor],
) -> Result<StridedSliceSpec> {
    let mut spec = spec.clone();
    let mut values = bounds.iter();
    let masks = [run_time.begin, run_time.end, run_time.strides];
    for (mask, entries) in masks.into_iter().zip([&mut spec.begin, &mut spec.end, &mut spec.strides]) {
        for (i, entry) in entries.iter_mut().enumerate() {
            if (mask >> i) & 1 == 1 {
                let t = values.next().ok_or_else(|| Error::invalid(op, "a run-time bound is missing"))?;
                *entry = crate::ops::indexing::index_values(op, t)?[0];
            }
        }
    }
    Ok(spec)
}

/// `x[...]` with the bounds `run_time` marks given by the scalar tensors `bounds` (the `begin`
/// entries by item, then the `end` ones, then the strides).
pub fn strided_slice_dynamic(
    x: &Tensor,
    spec: &StridedSliceSpec,
    run_time: RunTimeBounds,
    bounds: &[Tensor],
) -> Result<Tensor> {
    let inputs: Vec<Tensor> = std::iter::once(x.clone()).chain(bounds.iter().cloned()).collect();
    execute1(&STRIDED_SLICE_DYNAMIC, &inputs, attrs_of(spec, run_time))
}

/// `tf.strided_slice` with some `begin`/`end`/`strides` entries as scalar tensor inputs
/// (attributes `begin_run_time`/`end_run_time`/`strides_run_time` mark them; inputs 1.. are
/// their values, `begin` entries by item, then `end` entries, then strides).
pub static STRIDED_SLICE_DYNAMIC: OpDef = OpDef {
    name: "strided_slice_dynamic",
    infer: |s, a| {
        const OP: &str = "strided_slice_dynamic";
        let (spec, run_time) = read_attrs(OP, a)?;
        let x = s.first().ok_or_else(|| Error::invalid(OP, "expected the input to slice"))?;
        expect_bounds(OP, &s[1..], run_time)?;
        let r = resolve_strided_at(OP, x, &spec, run_time)?;
        Ok(vec![Spec { dtype: x.dtype, dims: r.out }])
    },
    kernel: |i, a, _| {
        const OP: &str = "strided_slice_dynamic";
        let (spec, run_time) = read_attrs(OP, a)?;
        let x = &i[0];
        let spec = with_values(OP, &spec, run_time, &i[1..])?;
        let r = resolve_strided(OP, &Spec::of(x), &spec)?;
        let w = r.window(x.shape()).ok_or_else(|| unknown(OP))?;
        let out = shape::to_shape(&r.out).ok_or_else(|| unknown(OP))?;
        let t = with_any!(x.dtype(), T => Tensor::from_vec(gather_window(x.as_slice::<T>()?, &w), &out)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        const OP: &str = "strided_slice_dynamic";
        let (spec, run_time) = read_attrs(OP, c.attrs)?;
        let g = strided_slice_dynamic_grad(&c.grad(0)?, &c.inputs[0], &spec, run_time, &c.inputs[1..])?;
        Ok(std::iter::once(Some(g)).chain(c.inputs[1..].iter().map(|_| None)).collect())
    }),
    stateful: false,
    inplace: None,
};

/// The backward of [`strided_slice_dynamic`]: zeros shaped like `x` with `dy` written where the
/// slice read. `x` is an input only when its shape is not fully known while tracing.
pub fn strided_slice_dynamic_grad(
    dy: &Tensor,
    x: &Tensor,
    spec: &StridedSliceSpec,
    run_time: RunTimeBounds,
    bounds: &[Tensor],
) -> Result<Tensor> {
    let shape: Vec<i64> = x.dims().iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
    let attrs = attrs_of(spec, run_time).with("shape", Attr::Ints(shape));
    let mut inputs: Vec<Tensor> = std::iter::once(dy.clone()).chain(bounds.iter().cloned()).collect();
    if !has_static_shape(x) {
        inputs.push(x.clone());
    }
    execute1(&STRIDED_SLICE_DYNAMIC_GRAD, &inputs, attrs)
}

/// The dims of the sliced input: attribute `shape`, completed by the optional last input.
fn input_dims(op: &str, s: &[Spec], a: &Attrs, run_time: RunTimeBounds) -> Result<Dims> {
    let dims = shape_attr_dims(op, a)?;
    let n = bound_count(run_time);
    match s.len().checked_sub(1 + n) {
        Some(0) => Ok(dims),
        Some(1) => shape::merge_dims(&s[1 + n].dims, &dims).ok_or_else(|| {
            Error::invalid(
                op,
                format!("the input {} does not have the attribute shape {}", s[1 + n].describe(), fmt_dims(&dims)),
            )
        }),
        _ => Err(Error::invalid(op, format!("expected {} or {} inputs, got {}", 1 + n, 2 + n, s.len()))),
    }
}

/// Backward of `strided_slice_dynamic`: inputs the gradient, the run-time bounds and (when
/// attribute `shape` has unknown dims) the forward input, whose shape the output takes.
pub static STRIDED_SLICE_DYNAMIC_GRAD: OpDef = OpDef {
    name: "strided_slice_dynamic_grad",
    infer: |s, a| {
        const OP: &str = "strided_slice_dynamic_grad";
        let (spec, run_time) = read_attrs(OP, a)?;
        let dy = s.first().ok_or_else(|| Error::invalid(OP, "expected the gradient"))?;
        let dims = input_dims(OP, s, a, run_time)?;
        expect_bounds(OP, &s[1..1 + bound_count(run_time)], run_time)?;
        let input = Spec { dtype: dy.dtype, dims };
        let r = resolve_strided_at(OP, &input, &spec, run_time)?;
        check_compatible(OP, dy, &r.out)?;
        Ok(vec![input])
    },
    kernel: |i, a, o| {
        const OP: &str = "strided_slice_dynamic_grad";
        let (spec, run_time) = read_attrs(OP, a)?;
        let n = bound_count(run_time);
        let dy = &i[0];
        let shape = match i.get(1 + n) {
            Some(x) => x.shape().to_vec(),
            None => o[0].shape().ok_or_else(|| unknown(OP))?.to_vec(),
        };
        let spec = with_values(OP, &spec, run_time, &i[1..1 + n])?;
        let r =
            resolve_strided(OP, &Spec { dtype: dy.dtype(), dims: shape.iter().map(|&d| Some(d)).collect() }, &spec)?;
        let w = r.window(&shape).ok_or_else(|| unknown(OP))?;
        if shape::to_shape(&r.out).as_deref() != Some(dy.shape()) {
            return Err(Error::invalid(
                OP,
                format!(
                    "gradient {} does not have the slice's output shape {}",
                    Spec::of(dy).describe(),
                    fmt_dims(&r.out)
                ),
            ));
        }
        let t = with_any!(dy.dtype(), T => Tensor::from_vec(scatter_window(dy.as_slice::<T>()?, &w), &shape)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        const OP: &str = "strided_slice_dynamic_grad";
        let (spec, run_time) = read_attrs(OP, c.attrs)?;
        let n = bound_count(run_time);
        let g = strided_slice_dynamic(&c.grad(0)?, &spec, run_time, &c.inputs[1..1 + n])?;
        Ok(std::iter::once(Some(g)).chain(c.inputs[1..].iter().map(|_| None)).collect())
    }),
    stateful: false,
    inplace: None,
};

/// `tf.slice(x, begin, size)` with `begin` and `size` int32/int64 vectors known only at run
/// time; `known_size` is what tracing knows of `size` (a size, `-1` for "to the end", or
/// [`crate::ops::array::RUN_TIME_DIM`]).
pub fn slice_dynamic(x: &Tensor, begin: &Tensor, size: &Tensor, known_size: &[i64]) -> Result<Tensor> {
    let attrs = Attrs::new().with("size", Attr::Ints(known_size.to_vec()));
    execute1(&SLICE_DYNAMIC, &[x.clone(), begin.clone(), size.clone()], attrs)
}

/// `tf.slice` with run-time `begin` and `size` vectors (inputs 1 and 2): TensorFlow's bounds
/// checks run when the graph runs; attribute `size` holds what tracing knew of the sizes.
pub static SLICE_DYNAMIC: OpDef = OpDef {
    name: "slice_dynamic",
    infer: |s, a| {
        const OP: &str = "slice_dynamic";
        crate::ops::expect_arity(OP, s, 3)?;
        let rank = s[0].rank();
        let known = a.ints(OP, "size")?;
        for (what, v) in [("begin", &s[1]), ("size", &s[2])] {
            if !matches!(v.dtype, DType::I32 | DType::I64) || v.rank() != 1 || v.dims[0].is_some_and(|n| n != rank) {
                return Err(Error::invalid(
                    OP,
                    format!("{what} must be an int32 or int64 vector of {rank} entries, got {}", v.describe()),
                ));
            }
        }
        if known.len() != rank {
            return Err(Error::invalid(OP, format!("attribute size {known:?} must have {rank} entries")));
        }
        let dims = known.iter().map(|&k| usize::try_from(k).ok()).collect();
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, _| {
        const OP: &str = "slice_dynamic";
        let x = &i[0];
        let begin = crate::ops::indexing::index_values(OP, &i[1])?;
        let size = crate::ops::indexing::index_values(OP, &i[2])?;
        let known = a.ints(OP, "size")?;
        if let Some(d) = (0..known.len()).find(|&d| known[d] >= 0 && size.get(d) != Some(&known[d])) {
            return Err(Error::invalid(OP, format!("size {size:?} does not match the traced size {known:?} at {d}")));
        }
        let (begin, dims) = resolve_slice(OP, &Spec::of(x), &begin, &size)?;
        let size = shape::to_shape(&dims).ok_or_else(|| unknown(OP))?;
        Ok(vec![gather_box(x, begin, &size)?])
    },
    grad: Some(|c: &GradCtx| {
        // Written into zeros like x from `begin` to `begin + shape(dy)`, a strided slice's backward.
        let (x, begin, dy) = (&c.inputs[0], &c.inputs[1], c.grad(0)?);
        let rank = x.rank();
        if rank > 62 {
            return Err(Error::invalid("slice_dynamic", format!("rank {rank} is beyond a slice spec's 63 items")));
        }
        let spec = slice_spec(&vec![SliceItem::range(0, 0); rank])?;
        let all = (1i64 << rank) - 1;
        let run_time = RunTimeBounds { begin: all, end: all, strides: 0 };
        let dy_shape = crate::ops::array::shape(&dy)?;
        let begin = crate::ops::math::cast(begin, DType::I32)?;
        let mut bounds = Vec::with_capacity(2 * rank);
        for d in 0..rank {
            bounds.push(index(&begin, &[SliceItem::Index(d as i64)])?);
        }
        for d in 0..rank {
            let n = index(&dy_shape, &[SliceItem::Index(d as i64)])?;
            bounds.push(crate::ops::math::add(&bounds[d], &n)?);
        }
        let g = strided_slice_dynamic_grad(&dy, x, &spec, run_time, &bounds)?;
        Ok(vec![Some(g), None, None])
    }),
    stateful: false,
    inplace: None,
};
