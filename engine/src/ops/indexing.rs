//! Gather/scatter ops: `tf.gather`, `tf.gather_nd`, `tf.scatter_nd`, `tf.nn.embedding_lookup`,
//! `tf.math.unsorted_segment_sum`, and the backward ops that make them differentiable.

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::indexing::{gather_axis, gather_slots, scatter_add_axis, scatter_add_slots, AxisLayout, NdLayout};
use crate::ops::{execute1, expect_arity, expect_dtype_in, GradCtx, OpDef, Spec, NUMERIC};
use crate::shape::{self, dims_compatible, fmt_dims, fmt_shape, normalize_axis, Dim, Dims};
use crate::tensor::Tensor;
use crate::{with_any, with_numeric};
use std::borrow::Cow;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] =
    &[&GATHER, &GATHER_GRAD, &GATHER_ND, &SCATTER_ND, &UNSORTED_SEGMENT_SUM, &GATHER_DROP_NEGATIVES];

/// Fails unless `indices` holds int32 or int64 values.
pub(crate) fn expect_indices(op: &str, name: &str, indices: &Spec) -> Result<()> {
    if !matches!(indices.dtype, DType::I32 | DType::I64) {
        return Err(Error::invalid(op, format!("{name} must be int32 or int64, got {}", indices.describe())));
    }
    Ok(())
}

/// The elements of an int32/int64 index tensor as i64.
pub(crate) fn index_values<'a>(op: &str, t: &'a Tensor) -> Result<Cow<'a, [i64]>> {
    match t.dtype() {
        DType::I64 => Ok(Cow::Borrowed(t.as_slice::<i64>()?)),
        DType::I32 => Ok(Cow::Owned(t.as_slice::<i32>()?.iter().map(|&v| v as i64).collect())),
        d => Err(Error::invalid(op, format!("indices must be int32 or int64, got {d}"))),
    }
}

/// Multi-index of flat position `flat` in `shape`, as TensorFlow prints it: `1,0`.
pub(crate) fn fmt_pos(mut flat: usize, shape: &[usize]) -> String {
    let mut parts = vec![0usize; shape.len()];
    for d in (0..shape.len()).rev() {
        let n = shape[d].max(1);
        parts[d] = flat % n;
        flat /= n;
    }
    parts.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",")
}

fn unknown(op: &str) -> Error {
    Error::invalid(op, "the shape must be fully known to run this op")
}

/// Checks the optional last input of a backward op, the run-time shape vector of the tensor
/// whose shape the `shape` attribute holds only partly (see [`output_shape`]).
fn expect_shape_input(op: &str, s: &[Spec], n: usize, rank: usize) -> Result<()> {
    if s.len() != n && s.len() != n + 1 {
        return Err(Error::invalid(op, format!("expected {n} inputs (or {} with a shape), got {}", n + 1, s.len())));
    }
    match s.get(n) {
        Some(v) if !matches!(v.dtype, DType::I32 | DType::I64) || !dims_compatible(&v.dims, &[Some(rank)]) => {
            Err(Error::invalid(
                op,
                format!("the shape input must be an int32/int64 vector of {rank}, got {}", v.describe()),
            ))
        }
        _ => Ok(()),
    }
}

/// The output shape of a backward op: its traced spec's when that is fully known, else the
/// run-time shape vector input `i[at]`, which must agree with the traced dims.
fn output_shape(op: &str, i: &[Tensor], at: usize, o: &Spec) -> Result<Vec<usize>> {
    let Some(v) = i.get(at) else { return o.shape().map(|s| s.to_vec()).ok_or_else(|| unknown(op)) };
    let known: Vec<i64> = o.dims.iter().map(|d| d.map_or(crate::ops::array::RUN_TIME_DIM, |d| d as i64)).collect();
    crate::ops::array::dynamic_sizes(op, v, &known)
}

/// The `shape` attribute for `x`'s dims (`-1` where unknown) and, unless they are all known,
/// the run-time shape of `x` as an extra input.
fn shape_of(x: &Tensor) -> Result<(Vec<i64>, Option<Tensor>)> {
    let dims = x.dims();
    let attr = dims.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
    let run_time = match dims.iter().all(Option::is_some) {
        true => None,
        false => Some(crate::ops::array::shape(x)?),
    };
    Ok((attr, run_time))
}

/// Shape attribute as dims (`-1` = unknown).
fn shape_attr_dims(op: &str, a: &Attrs) -> Result<Dims> {
    let dims: Dims = a
        .ints(op, "shape")?
        .iter()
        .map(|&d| match d {
            -1 => Ok(None),
            d if d >= 0 => Ok(Some(d as usize)),
            d => Err(Error::invalid(op, format!("invalid dimension {d} in attribute `shape`"))),
        })
        .collect::<Result<_>>()?;
    check_size(op, &dims)?;
    Ok(dims)
}

/// Fails when the known dims multiply to more elements than a buffer can hold.
fn check_size(op: &str, dims: &[Dim]) -> Result<()> {
    let n = dims.iter().flatten().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match n {
        Some(n) if n <= isize::MAX as usize / 8 => Ok(()),
        _ => Err(Error::invalid(op, format!("shape {} has too many elements", fmt_dims(dims)))),
    }
}

fn to_i64_shape(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&d| d as i64).collect()
}

// ---------------------------------------------------------------------------------------------
// tf.gather

/// `(axis, batch_dims, output dims)` of a gather, validated as TensorFlow's GatherV2 does.
fn resolve_gather(op: &str, params: &Spec, indices: &Spec, axis: i64, batch_dims: i64) -> Result<(usize, usize, Dims)> {
    expect_indices(op, "indices", indices)?;
    let (pr, ir) = (params.rank(), indices.rank());
    if batch_dims < -(ir as i64) || batch_dims > ir as i64 {
        return Err(Error::invalid(
            op,
            format!(
                "expected batch_dims in the range [-{ir}, {ir}] for indices {}, but got {batch_dims}",
                indices.describe()
            ),
        ));
    }
    let bd = if batch_dims < 0 { (batch_dims + ir as i64) as usize } else { batch_dims as usize };
    if pr == 0 {
        return Err(Error::invalid(op, format!("params must be at least 1-D, got {}", params.describe())));
    }
    let axis = normalize_axis(op, axis, pr)?;
    if bd != 0 && bd >= pr {
        return Err(Error::invalid(
            op,
            format!("batch_dims ({bd}) must be less than the rank of params {} ({pr})", params.describe()),
        ));
    }
    if axis < bd {
        return Err(Error::invalid(op, format!("batch_dims ({bd}) must be less than or equal to axis ({axis})")));
    }
    for d in 0..bd {
        if let (Some(p), Some(i)) = (params.dims[d], indices.dims[d]) {
            if p != i {
                return Err(Error::invalid(
                    op,
                    format!(
                        "params.shape[{d}] = {p} should be equal to indices.shape[{d}] = {i} (batch_dims = {bd}; \
                         params {}, indices {})",
                        params.describe(),
                        indices.describe()
                    ),
                ));
            }
        }
    }
    let mut out: Dims = params.dims[..axis].iter().copied().collect();
    out.extend(indices.dims[bd..].iter().copied());
    out.extend(params.dims[axis + 1..].iter().copied());
    Ok((axis, bd, out))
}

fn gather_attrs(a: &Attrs, op: &str) -> Result<(i64, i64)> {
    Ok((a.int(op, "axis")?, a.int(op, "batch_dims")?))
}

/// The flattened layout of a gather of `params_shape` along `axis`.
fn axis_layout(params_shape: &[usize], indices_shape: &[usize], axis: usize, bd: usize) -> AxisLayout {
    AxisLayout {
        batch: params_shape[..bd].iter().product(),
        outer: params_shape[bd..axis].iter().product(),
        n: params_shape[axis],
        inner: params_shape[axis + 1..].iter().product(),
        count: indices_shape[bd..].iter().product(),
    }
}

/// Fails on the first index outside `[0, n)` (negative ones allowed when `allow_negative`).
fn check_range(op: &str, name: &str, idx: &[i64], shape: &[usize], n: usize, allow_negative: bool) -> Result<()> {
    let bad = idx.iter().position(|&v| v >= n as i64 || (v < 0 && !allow_negative));
    match bad {
        None => Ok(()),
        Some(p) => {
            let at = if shape.is_empty() { String::new() } else { format!("[{}]", fmt_pos(p, shape)) };
            Err(Error::invalid(op, format!("{name}{at} = {} is not in [0, {n})", idx[p])))
        }
    }
}

/// `tf.gather(params, indices, axis, batch_dims)`: slices of `params` along `axis` at `indices`.
pub static GATHER: OpDef = OpDef {
    name: "gather",
    infer: |s, a| {
        expect_arity("gather", s, 2)?;
        let (axis, bd) = gather_attrs(a, "gather")?;
        let (_, _, dims) = resolve_gather("gather", &s[0], &s[1], axis, bd)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let (p, ind) = (&i[0], &i[1]);
        let (axis, bd) = gather_attrs(a, "gather")?;
        let (axis, bd, _) = resolve_gather("gather", &Spec::of(p), &Spec::of(ind), axis, bd)?;
        let l = axis_layout(p.shape(), ind.shape(), axis, bd);
        let idx = index_values("gather", ind)?;
        check_range("gather", "indices", &idx, ind.shape(), l.n, false)?;
        let osh = o[0].shape().ok_or_else(|| unknown("gather"))?;
        let t = with_any!(p.dtype(), T => Tensor::from_vec(gather_axis(p.as_slice::<T>()?, &idx, l), &osh)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let (axis, bd) = gather_attrs(c.attrs, "gather")?;
        let g = gather_grad_like(&c.grad(0)?, &c.inputs[1], &c.inputs[0], axis, bd)?;
        Ok(vec![Some(g), None])
    }),
    stateful: false,
    inplace: None,
};

/// Backward of `gather`: adds each gradient slice into a zero tensor of the params shape at
/// its index (repeated indices add up).
pub static GATHER_GRAD: OpDef = OpDef {
    name: "gather_grad",
    infer: |s, a| {
        expect_dtype_in("gather_grad", s.first().ok_or_else(|| Error::invalid("gather_grad", "no inputs"))?, NUMERIC)?;
        let (axis, bd) = gather_attrs(a, "gather_grad")?;
        let params = Spec { dtype: s[0].dtype, dims: shape_attr_dims("gather_grad", a)? };
        expect_shape_input("gather_grad", s, 2, params.rank())?;
        let (_, _, expected) = resolve_gather("gather_grad", &params, &s[1], axis, bd)?;
        if !dims_compatible(&s[0].dims, &expected) {
            return Err(Error::invalid(
                "gather_grad",
                format!(
                    "gradient {} does not have the gather's output shape {} (params shape {}, indices {})",
                    s[0].describe(),
                    fmt_dims(&expected),
                    params.fmt_dims(),
                    s[1].describe()
                ),
            ));
        }
        Ok(vec![params])
    },
    kernel: |i, a, o| {
        let (dy, ind) = (&i[0], &i[1]);
        let (axis, bd) = gather_attrs(a, "gather_grad")?;
        let (axis, bd, _) = resolve_gather("gather_grad", &o[0], &Spec::of(ind), axis, bd)?;
        let psh = output_shape("gather_grad", i, 2, &o[0])?;
        let l = axis_layout(&psh, ind.shape(), axis, bd);
        let idx = index_values("gather_grad", ind)?;
        check_range("gather_grad", "indices", &idx, ind.shape(), l.n, false)?;
        let t = with_numeric!(dy.dtype(), T => {
            Tensor::from_vec(scatter_add_axis(dy.as_slice::<T>()?, &idx, l), &psh)?
        }, bool => return Err(Error::invalid("gather_grad", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let (axis, bd) = gather_attrs(c.attrs, "gather_grad")?;
        let mut grads = vec![Some(gather(&c.grad(0)?, &c.inputs[1], axis, bd)?), None];
        grads.resize(c.inputs.len(), None);
        Ok(grads)
    }),
    stateful: false,
    inplace: None,
};

/// `tf.gather(params, indices, axis=axis, batch_dims=batch_dims)`.
///
/// The output shape is `params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis+1:]`;
/// an index outside `[0, params.shape[axis])` is an error.
pub fn gather(params: &Tensor, indices: &Tensor, axis: i64, batch_dims: i64) -> Result<Tensor> {
    let attrs = Attrs::new().with("axis", Attr::Int(axis)).with("batch_dims", Attr::Int(batch_dims));
    execute1(&GATHER, &[params.clone(), indices.clone()], attrs)
}

/// The backward of [`gather`]: scatter-adds `dy` into zeros of `params_shape`.
pub fn gather_grad(
    dy: &Tensor,
    indices: &Tensor,
    params_shape: &[usize],
    axis: i64,
    batch_dims: i64,
) -> Result<Tensor> {
    let attrs = Attrs::new()
        .with("axis", Attr::Int(axis))
        .with("batch_dims", Attr::Int(batch_dims))
        .with("shape", Attr::Ints(to_i64_shape(params_shape)));
    execute1(&GATHER_GRAD, &[dy.clone(), indices.clone()], attrs)
}

/// [`gather_grad`] into the shape of `params`, which a traced function may know only at run time.
pub fn gather_grad_like(dy: &Tensor, indices: &Tensor, params: &Tensor, axis: i64, batch_dims: i64) -> Result<Tensor> {
    let (shape, run_time) = shape_of(params)?;
    let attrs = Attrs::new()
        .with("axis", Attr::Int(axis))
        .with("batch_dims", Attr::Int(batch_dims))
        .with("shape", Attr::Ints(shape));
    let inputs: Vec<Tensor> = [dy.clone(), indices.clone()].into_iter().chain(run_time).collect();
    execute1(&GATHER_GRAD, &inputs, attrs)
}

/// `tf.nn.embedding_lookup(params, ids)`: rows of `params` (gather along axis 0).
pub fn embedding_lookup(params: &Tensor, ids: &Tensor) -> Result<Tensor> {
    gather(params, ids, 0, 0)
}

// ---------------------------------------------------------------------------------------------
// tf.math.unsorted_segment_sum

/// Output dims of `unsorted_segment_sum`, validated as TensorFlow does.
fn resolve_segments(op: &str, data: &Spec, ids: &Spec, num_segments: Dim) -> Result<Dims> {
    expect_indices(op, "segment_ids", ids)?;
    let prefix = ids.rank() <= data.rank() && dims_compatible(&data.dims[..ids.rank()], &ids.dims);
    if !prefix {
        return Err(Error::invalid(
            op,
            format!(
                "segment_ids.shape = {} must be a prefix of data.shape = {} (data {}, segment_ids {})",
                ids.fmt_dims(),
                data.fmt_dims(),
                data.describe(),
                ids.describe()
            ),
        ));
    }
    let mut out: Dims = Dims::new();
    out.push(num_segments);
    out.extend(data.dims[ids.rank()..].iter().copied());
    check_size(op, &out)?;
    Ok(out)
}

/// The layout of a segment sum: `count` segment ids, rows of `inner` elements, `n` segments.
fn segment_layout(ids_shape: &[usize], n: usize, inner_shape: &[usize]) -> AxisLayout {
    AxisLayout { batch: 1, outer: 1, n, inner: inner_shape.iter().product(), count: ids_shape.iter().product() }
}

/// The number of segments of `unsorted_segment_sum`: attribute `num_segments`, or with the
/// optional third input (and `num_segments = -1`), that input's first dimension.
fn num_segments(op: &str, s: &[Spec], a: &Attrs) -> Result<Dim> {
    let n = a.int(op, "num_segments")?;
    let Some(like) = s.get(2) else {
        if n < 0 {
            return Err(Error::invalid(op, format!("num_segments must be non-negative, got {n}")));
        }
        return Ok(Some(n as usize));
    };
    let first = like.dims.first().copied().ok_or_else(|| {
        Error::invalid(op, format!("the size input must have at least 1 dimension, got {}", like.describe()))
    })?;
    match n {
        -1 => Ok(first),
        n if n >= 0 && first.is_none_or(|f| f as i64 == n) => Ok(Some(n as usize)),
        n => Err(Error::invalid(
            op,
            format!(
                "num_segments = {n} must be -1 (taken from the size input) or the first dimension of the size input {}",
                like.describe()
            ),
        )),
    }
}

/// `tf.math.unsorted_segment_sum`: `out[ids[i...], ...] += data[i..., ...]`; negative ids are
/// dropped. A third input, whose first dimension is the number of segments, stands in for
/// attribute `num_segments` (then -1) when a traced function knows it only at run time.
pub static UNSORTED_SEGMENT_SUM: OpDef = OpDef {
    name: "unsorted_segment_sum",
    infer: |s, a| {
        const OP: &str = "unsorted_segment_sum";
        if s.len() != 2 && s.len() != 3 {
            return Err(Error::invalid(OP, format!("expected 2 inputs (or 3 with a size input), got {}", s.len())));
        }
        expect_dtype_in(OP, &s[0], NUMERIC)?;
        let n = num_segments(OP, s, a)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims: resolve_segments(OP, &s[0], &s[1], n)? }])
    },
    kernel: |i, _, o| {
        let (data, ids) = (&i[0], &i[1]);
        let osh = o[0].shape().ok_or_else(|| unknown("unsorted_segment_sum"))?;
        let l = segment_layout(ids.shape(), osh[0], &data.shape()[ids.rank()..]);
        let idx = index_values("unsorted_segment_sum", ids)?;
        check_range("unsorted_segment_sum", "segment_ids", &idx, ids.shape(), l.n, true)?;
        let t = with_numeric!(data.dtype(), T => {
            Tensor::from_vec(scatter_add_axis(data.as_slice::<T>()?, &idx, l), &osh)?
        }, bool => return Err(Error::invalid("unsorted_segment_sum", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let mut grads = vec![Some(gather_drop_negatives(&c.grad(0)?, &c.inputs[1])?), None];
        grads.resize(c.inputs.len(), None);
        Ok(grads)
    }),
    stateful: false,
    inplace: None,
};

/// Backward of `unsorted_segment_sum`: rows of `params` at `indices` (axis 0), zeros where an
/// index is negative.
pub static GATHER_DROP_NEGATIVES: OpDef = OpDef {
    name: "gather_drop_negatives",
    infer: |s, _| {
        expect_arity("gather_drop_negatives", s, 2)?;
        expect_indices("gather_drop_negatives", "indices", &s[1])?;
        if s[0].rank() == 0 {
            return Err(Error::invalid(
                "gather_drop_negatives",
                format!("params must be at least 1-D, got {}", s[0].describe()),
            ));
        }
        let mut dims = s[1].dims.clone();
        dims.extend(s[0].dims[1..].iter().copied());
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, _, o| {
        let (p, ind) = (&i[0], &i[1]);
        let l = segment_layout(ind.shape(), p.shape()[0], &p.shape()[1..]);
        let idx = index_values("gather_drop_negatives", ind)?;
        check_range("gather_drop_negatives", "indices", &idx, ind.shape(), l.n, true)?;
        let osh = o[0].shape().ok_or_else(|| unknown("gather_drop_negatives"))?;
        let t = with_any!(p.dtype(), T => Tensor::from_vec(gather_axis(p.as_slice::<T>()?, &idx, l), &osh)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(unsorted_segment_sum_like(&c.grad(0)?, &c.inputs[1], &c.inputs[0])?), None])),
    stateful: false,
    inplace: None,
};

/// `tf.math.unsorted_segment_sum(data, segment_ids, num_segments)`.
///
/// `segment_ids.shape` must be a prefix of `data.shape`; the output has shape
/// `[num_segments] + data.shape[segment_ids.rank:]`. Negative ids are dropped; ids
/// `>= num_segments` are an error.
pub fn unsorted_segment_sum(data: &Tensor, segment_ids: &Tensor, num_segments: i64) -> Result<Tensor> {
    let attrs = Attrs::new().with("num_segments", Attr::Int(num_segments));
    execute1(&UNSORTED_SEGMENT_SUM, &[data.clone(), segment_ids.clone()], attrs)
}

/// [`unsorted_segment_sum`] into as many segments as `like` has rows, which a traced function
/// may know only at run time.
pub fn unsorted_segment_sum_like(data: &Tensor, segment_ids: &Tensor, like: &Tensor) -> Result<Tensor> {
    match like.dims().first() {
        Some(Some(n)) => unsorted_segment_sum(data, segment_ids, *n as i64),
        _ => {
            let attrs = Attrs::new().with("num_segments", Attr::Int(-1));
            execute1(&UNSORTED_SEGMENT_SUM, &[data.clone(), segment_ids.clone(), like.clone()], attrs)
        }
    }
}

/// Rows of `params` (axis 0) at `indices`, zero rows where an index is negative (the backward
/// of [`unsorted_segment_sum`]).
pub fn gather_drop_negatives(params: &Tensor, indices: &Tensor) -> Result<Tensor> {
    execute1(&GATHER_DROP_NEGATIVES, &[params.clone(), indices.clone()], Attrs::new())
}

// ---------------------------------------------------------------------------------------------
// tf.gather_nd / tf.scatter_nd

/// Validated N-d indexing: batch dims, index depth and output dims. `target` is the indexed
/// tensor's dims (params for gather_nd, `shape` for scatter_nd).
fn resolve_nd(
    op: &str,
    target: &[Dim],
    target_name: &str,
    indices: &Spec,
    batch_dims: i64,
) -> Result<(usize, usize, Dims)> {
    expect_indices(op, "indices", indices)?;
    let ir = indices.rank();
    if ir == 0 {
        return Err(Error::invalid(op, format!("indices must be at least 1-D, got {}", indices.describe())));
    }
    if batch_dims < 0 || batch_dims as usize >= ir {
        return Err(Error::invalid(
            op,
            format!(
                "batch_dims must be in [0, {}) (less than the rank of indices {}), got {batch_dims}",
                ir,
                indices.describe()
            ),
        ));
    }
    let bd = batch_dims as usize;
    let k = indices.dims[ir - 1].ok_or_else(|| {
        Error::invalid(op, format!("the last dimension of indices {} must be known", indices.describe()))
    })?;
    if bd + k > target.len() {
        return Err(Error::invalid(
            op,
            format!(
                "index innermost dimension length must be <= {target_name} rank{}; saw: {k} vs. {} \
                 (indices {}, {target_name} shape {})",
                if bd > 0 { " - batch_dims" } else { "" },
                target.len() - bd.min(target.len()),
                indices.describe(),
                fmt_dims(target)
            ),
        ));
    }
    if !dims_compatible(&target[..bd], &indices.dims[..bd]) {
        return Err(Error::invalid(
            op,
            format!(
                "the first {bd} (batch) dimensions of indices {} and {target_name} shape {} must match",
                indices.describe(),
                fmt_dims(target)
            ),
        ));
    }
    let mut out: Dims = indices.dims[..ir - 1].iter().copied().collect();
    out.extend(target[bd + k..].iter().copied());
    Ok((bd, k, out))
}

/// Flat slot numbers of every index tuple, validated against `target` (fully known).
fn nd_slots(
    op: &str,
    idx: &[i64],
    ind_shape: &[usize],
    target: &[usize],
    bd: usize,
    k: usize,
    what: &str,
) -> Result<Vec<usize>> {
    let dims = &target[bd..bd + k];
    let tuples: usize = ind_shape[..ind_shape.len() - 1].iter().product();
    let mut slots = Vec::with_capacity(tuples);
    for t in 0..tuples {
        let tuple = &idx[t * k..t * k + k];
        let mut slot = 0usize;
        for (&v, &n) in tuple.iter().zip(dims) {
            if v < 0 || v >= n as i64 {
                let pos = fmt_pos(t, &ind_shape[..ind_shape.len() - 1]);
                let at = if ind_shape.len() > 1 { format!("[{pos}]") } else { String::new() };
                return Err(Error::invalid(
                    op,
                    format!("indices{at} = {tuple:?} does not index into {what} {}", fmt_shape(target)),
                ));
            }
            slot = slot * n + v as usize;
        }
        slots.push(slot);
    }
    Ok(slots)
}

fn nd_layout(target: &[usize], ind_shape: &[usize], bd: usize, k: usize) -> NdLayout {
    NdLayout {
        batch: target[..bd].iter().product(),
        slots: target[bd..bd + k].iter().product(),
        inner: target[bd + k..].iter().product(),
        count: ind_shape[bd..ind_shape.len() - 1].iter().product(),
    }
}

fn batch_dims_attr(a: &Attrs, op: &str) -> Result<i64> {
    match a.get("batch_dims") {
        None => Ok(0),
        Some(_) => a.int(op, "batch_dims"),
    }
}

/// `tf.gather_nd(params, indices, batch_dims)`: the slices of `params` addressed by the
/// index tuples in the last dimension of `indices`.
pub static GATHER_ND: OpDef = OpDef {
    name: "gather_nd",
    infer: |s, a| {
        expect_arity("gather_nd", s, 2)?;
        let bd = batch_dims_attr(a, "gather_nd")?;
        let (_, _, dims) = resolve_nd("gather_nd", &s[0].dims, "params", &s[1], bd)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let (p, ind) = (&i[0], &i[1]);
        let bd = batch_dims_attr(a, "gather_nd")?;
        let (bd, k, _) = resolve_nd("gather_nd", &p.dims(), "params", &Spec::of(ind), bd)?;
        let idx = index_values("gather_nd", ind)?;
        let slots = nd_slots("gather_nd", &idx, ind.shape(), p.shape(), bd, k, "param shape")?;
        let l = nd_layout(p.shape(), ind.shape(), bd, k);
        let osh = o[0].shape().ok_or_else(|| unknown("gather_nd"))?;
        let t = with_any!(p.dtype(), T => Tensor::from_vec(gather_slots(p.as_slice::<T>()?, &slots, l), &osh)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let bd = batch_dims_attr(c.attrs, "gather_nd")?;
        let g = scatter_nd_like(&c.inputs[1], &c.grad(0)?, &c.inputs[0], bd)?;
        Ok(vec![Some(g), None])
    }),
    stateful: false,
    inplace: None,
};

/// `tf.scatter_nd(indices, updates, shape)`: a zero tensor of `shape` with each update added
/// at its index tuple (repeated indices add up). A `batch_dims` attribute (default 0) makes it
/// the exact adjoint of a batched `gather_nd`.
pub static SCATTER_ND: OpDef = OpDef {
    name: "scatter_nd",
    infer: |s, a| {
        let shape = shape_attr_dims("scatter_nd", a)?;
        expect_shape_input("scatter_nd", s, 2, shape.len())?;
        expect_dtype_in("scatter_nd", &s[1], NUMERIC)?;
        let bd = batch_dims_attr(a, "scatter_nd")?;
        let (_, _, expected) = resolve_nd("scatter_nd", &shape, "shape", &s[0], bd)?;
        if !dims_compatible(&s[1].dims, &expected) {
            return Err(Error::invalid(
                "scatter_nd",
                format!(
                    "updates must have shape indices.shape[:-1] + shape[index depth:] = {} \
                     (indices {}, shape {}), got {}",
                    fmt_dims(&expected),
                    s[0].describe(),
                    fmt_dims(&shape),
                    s[1].describe()
                ),
            ));
        }
        Ok(vec![Spec { dtype: s[1].dtype, dims: shape }])
    },
    kernel: |i, a, o| {
        let (ind, upd) = (&i[0], &i[1]);
        let bd = batch_dims_attr(a, "scatter_nd")?;
        let shape = output_shape("scatter_nd", i, 2, &o[0])?;
        let (bd, k, _) = resolve_nd("scatter_nd", &shape::to_dims(&shape), "shape", &Spec::of(ind), bd)?;
        let idx = index_values("scatter_nd", ind)?;
        let slots = nd_slots("scatter_nd", &idx, ind.shape(), &shape, bd, k, "shape")?;
        let l = nd_layout(&shape, ind.shape(), bd, k);
        let t = with_numeric!(upd.dtype(), T => {
            Tensor::from_vec(scatter_add_slots(upd.as_slice::<T>()?, &slots, l), &shape)?
        }, bool => return Err(Error::invalid("scatter_nd", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let bd = batch_dims_attr(c.attrs, "scatter_nd")?;
        let mut grads = vec![None, Some(gather_nd(&c.grad(0)?, &c.inputs[0], bd)?)];
        grads.resize(c.inputs.len(), None);
        Ok(grads)
    }),
    stateful: false,
    inplace: None,
};

/// `tf.gather_nd(params, indices, batch_dims=batch_dims)`.
///
/// The last dimension of `indices` holds index tuples into the dimensions of `params` after
/// the first `batch_dims`; the output shape is `indices.shape[:-1] + params.shape[batch_dims + depth:]`.
pub fn gather_nd(params: &Tensor, indices: &Tensor, batch_dims: i64) -> Result<Tensor> {
    let attrs = Attrs::new().with("batch_dims", Attr::Int(batch_dims));
    execute1(&GATHER_ND, &[params.clone(), indices.clone()], attrs)
}

/// `tf.scatter_nd(indices, updates, shape)`: zeros of `shape` plus each update at its index
/// tuple; repeated indices add up.
pub fn scatter_nd(indices: &Tensor, updates: &Tensor, shape: &[usize]) -> Result<Tensor> {
    scatter_nd_batched(indices, updates, shape, 0)
}

/// [`scatter_nd_batched`] into the shape of `params`, which a traced function may know only at
/// run time (the backward of [`gather_nd`]).
pub fn scatter_nd_like(indices: &Tensor, updates: &Tensor, params: &Tensor, batch_dims: i64) -> Result<Tensor> {
    let (shape, run_time) = shape_of(params)?;
    let attrs = Attrs::new().with("shape", Attr::Ints(shape)).with("batch_dims", Attr::Int(batch_dims));
    let inputs: Vec<Tensor> = [indices.clone(), updates.clone()].into_iter().chain(run_time).collect();
    execute1(&SCATTER_ND, &inputs, attrs)
}

/// [`scatter_nd`] whose first `batch_dims` dimensions of `indices` run in step with those of
/// `shape` (the backward of a batched [`gather_nd`]).
pub fn scatter_nd_batched(indices: &Tensor, updates: &Tensor, shape: &[usize], batch_dims: i64) -> Result<Tensor> {
    let attrs = Attrs::new().with("shape", Attr::Ints(to_i64_shape(shape))).with("batch_dims", Attr::Int(batch_dims));
    execute1(&SCATTER_ND, &[indices.clone(), updates.clone()], attrs)
}
