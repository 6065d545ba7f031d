//! Array functions whose sizes are tensors that a traced function knows only at run time
//! (`tf.tile(x, [tf.shape(y)[0], 1])`, `tf.broadcast_to(x, tf.shape(y))`,
//! `tf.one_hot(i, tf.shape(y)[1])`, `tf.eye(tf.shape(y)[0])`, `tf.pad(x, [[0, n], [0, 0]])`). Each is composed of the
//! run-time-shape ops (`fill`, `reshape_dynamic`, `range`), which check the sizes when the graph
//! runs and give it its gradient.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::array::{
    concat, expand_dims, fill_dynamic, range_dynamic, reshape_dynamic, shape, stack, RUN_TIME_DIM,
};
use crate::ops::math;
use crate::ops::slicing::{index, SliceItem};
use crate::shape::fmt_dims;
use crate::tensor::Tensor;

/// `v` as an int64 vector of `len` entries (any length when `None`), checked.
fn int_vector(op: &str, what: &str, v: &Tensor, len: Option<usize>) -> Result<Tensor> {
    let ok = matches!(v.dtype(), DType::I32 | DType::I64)
        && v.rank() == 1
        && len.is_none_or(|n| v.dims()[0].is_none_or(|d| d == n));
    if !ok {
        let want = len.map_or("an int32 or int64 vector".to_string(), |n| format!("an int32 or int64 vector of {n}"));
        return Err(Error::invalid(op, format!("{what} must be {want}, got {}{}", v.dtype(), fmt_dims(&v.dims()))));
    }
    math::cast(v, DType::I64)
}

/// `v` as an int64 scalar, checked.
fn int_scalar(op: &str, what: &str, v: &Tensor) -> Result<Tensor> {
    if !matches!(v.dtype(), DType::I32 | DType::I64) || v.rank() != 0 {
        return Err(Error::invalid(
            op,
            format!("{what} must be an int32 or int64 scalar, got {}{}", v.dtype(), fmt_dims(&v.dims())),
        ));
    }
    math::cast(v, DType::I64)
}

/// `0, 1, ..., n - 1` as int64 for an int64 scalar `n`; a negative `n` is an error when the
/// graph runs (a Python-style range would silently be empty).
fn counting(n: &Tensor) -> Result<Tensor> {
    let checked = fill_dynamic(&crate::ops::array::reshape(n, &[1])?, &Tensor::from(0i64), &[RUN_TIME_DIM])?;
    let n = math::cast(&crate::ops::array::size(&checked)?, DType::I64)?;
    range_dynamic(&Tensor::from(0i64), &n, &Tensor::from(1i64))
}

/// Entry `i` of a vector.
fn entry(v: &Tensor, i: usize) -> Result<Tensor> {
    index(v, &[SliceItem::Index(i as i64)])
}

/// `tf.broadcast_to(x, shape)` for an int32/int64 `shape` vector; `known` is what tracing
/// knows of its entries (a size or [`RUN_TIME_DIM`]), as for [`fill_dynamic`].
pub fn broadcast_to_dynamic(x: &Tensor, shape: &Tensor, known: &[i64]) -> Result<Tensor> {
    const OP: &str = "broadcast_to";
    let shape = int_vector(OP, "shape", shape, Some(known.len()))?;
    let zeros = fill_dynamic(&shape, &Tensor::scalar_of(x.dtype(), 0.0), known)?;
    let spread = match x.dtype() {
        DType::Bool => math::logical_or(x, &zeros)?,
        _ => math::add(x, &zeros)?,
    };
    // Adding also broadcasts the zeros against `x`; the result must have exactly `shape`,
    // which the reshape checks when the graph runs (any other broadcast has more elements).
    reshape_dynamic(&spread, &shape, known)
}

/// `tf.tile(x, multiples)` for an int32/int64 `multiples` vector with one entry per axis.
pub fn tile_dynamic(x: &Tensor, multiples: &Tensor) -> Result<Tensor> {
    const OP: &str = "tile";
    let rank = x.rank();
    let multiples = int_vector(OP, "multiples", multiples, Some(rank))?;
    if rank == 0 {
        return Ok(x.clone());
    }
    let sizes = math::cast(&shape(x)?, DType::I64)?;
    let (mut split, mut split_known, mut wide, mut wide_known, mut out) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, dim) in x.dims().iter().enumerate() {
        let d = match dim {
            Some(n) => Tensor::from(*n as i64),
            None => entry(&sizes, i)?,
        };
        let m = entry(&multiples, i)?;
        // x viewed as [1, d0, 1, d1, ...], broadcast to [m0, d0, m1, d1, ...], then merged.
        split.extend([Tensor::from(1i64), d.clone()]);
        let known = dim.map_or(RUN_TIME_DIM, |n| n as i64);
        split_known.extend([1, known]);
        wide_known.extend([RUN_TIME_DIM, known]);
        out.push(math::mul(&m, &d)?);
        wide.extend([m, d]);
    }
    let split = reshape_dynamic(x, &stack(&split, 0)?, &split_known)?;
    let wide = broadcast_to_dynamic(&split, &stack(&wide, 0)?, &wide_known)?;
    reshape_dynamic(&wide, &stack(&out, 0)?, &vec![RUN_TIME_DIM; rank])
}

/// `tf.one_hot(indices, depth, axis=axis)` for an int32/int64 scalar `depth`: the new axis of
/// size `depth` is at `axis` of the result (`-1`: last).
pub fn one_hot_dynamic(
    indices: &Tensor,
    depth: &Tensor,
    on_value: f64,
    off_value: f64,
    axis: i64,
    dtype: DType,
) -> Result<Tensor> {
    const OP: &str = "one_hot";
    if !matches!(indices.dtype(), DType::I32 | DType::I64) {
        return Err(Error::invalid(OP, format!("indices must be int32 or int64, got {}", indices.dtype())));
    }
    let rank = indices.rank() as i64;
    let axis = match axis {
        -1 => rank,
        a if (0..=rank).contains(&a) => a,
        a => return Err(Error::invalid(OP, format!("axis must be -1 or in [0, {rank}], got {a}"))),
    };
    // The classes run along `axis`: [depth, 1, ..., 1] against indices with a 1 inserted there.
    let classes = math::cast(&counting(&int_scalar(OP, "depth", depth)?)?, indices.dtype())?;
    let along: Vec<i64> = std::iter::once(-1).chain(std::iter::repeat_n(1, (rank - axis) as usize)).collect();
    let hit = math::equal(&expand_dims(indices, axis)?, &crate::ops::array::reshape(&classes, &along)?)?;
    math::select(&hit, &Tensor::scalar_of(dtype, on_value), &Tensor::scalar_of(dtype, off_value))
}

/// `tf.eye(num_rows, num_columns)` for int32/int64 scalar sizes.
pub fn eye_dynamic(num_rows: &Tensor, num_columns: Option<&Tensor>, dtype: DType) -> Result<Tensor> {
    const OP: &str = "eye";
    let rows = int_scalar(OP, "num_rows", num_rows)?;
    let cols = match num_columns {
        Some(c) => int_scalar(OP, "num_columns", c)?,
        None => rows.clone(),
    };
    let (r, c) = (counting(&rows)?, counting(&cols)?);
    let diagonal = math::equal(&expand_dims(&r, 1)?, &expand_dims(&c, 0)?)?;
    math::cast(&diagonal, dtype)
}

/// `tf.pad(x, paddings, constant_values=value)` for an int32/int64 `[rank, 2]` `paddings`
/// tensor: per axis, `paddings[axis]` rows of `value` before and after (none negative).
pub fn pad_dynamic(x: &Tensor, paddings: &Tensor, value: f64) -> Result<Tensor> {
    const OP: &str = "pad";
    let rank = x.rank();
    let fits = matches!(paddings.dtype(), DType::I32 | DType::I64)
        && paddings.rank() == 2
        && paddings.dims()[0].is_none_or(|n| n == rank)
        && paddings.dims()[1].is_none_or(|n| n == 2);
    if !fits {
        return Err(Error::invalid(
            OP,
            format!(
                "paddings must be an int32 or int64 tensor of shape [{rank}, 2] for an input of rank {rank}, got {}{}",
                paddings.dtype(),
                fmt_dims(&paddings.dims())
            ),
        ));
    }
    let paddings = math::cast(paddings, DType::I64)?;
    let fill = Tensor::scalar_of(x.dtype(), value);
    let mut out = x.clone();
    for axis in 0..rank {
        let sizes = math::cast(&shape(&out)?, DType::I64)?;
        let dims = out.dims();
        let block = |amount: Tensor| -> Result<Tensor> {
            let mut parts = Vec::with_capacity(rank);
            let mut known = Vec::with_capacity(rank);
            for (d, dim) in dims.iter().enumerate() {
                let (part, k) = match (d == axis, dim) {
                    (true, _) => (amount.clone(), RUN_TIME_DIM),
                    (false, Some(n)) => (Tensor::from(*n as i64), *n as i64),
                    (false, None) => (entry(&sizes, d)?, RUN_TIME_DIM),
                };
                parts.push(part);
                known.push(k);
            }
            fill_dynamic(&stack(&parts, 0)?, &fill, &known)
        };
        let row = index(&paddings, &[SliceItem::Index(axis as i64)])?;
        let (before, after) = (block(entry(&row, 0)?)?, block(entry(&row, 1)?)?);
        out = concat(&[before, out, after], axis as i64)?;
    }
    Ok(out)
}
