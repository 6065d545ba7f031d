//! The dense form of a `TensorArray` inside traced control flow: a buffer of shape
//! `[size, *element_shape]` whose rows are the elements. Writing a row (`tensor_list_set_item`,
//! TensorFlow's `TensorListSetItem`) returns a new buffer; reading one is
//! `tensor_list_get_item`. Both are differentiable, with gradients written in terms of each other.
//!
//! Neither changes the buffer's size. A growing array (and the per-iteration stacks of a
//! differentiated loop) first resizes it with `tensor_list_resize`, whose row count is a run-time
//! value, like `std::vec::Vec::resize`.
//!
//! A write is O(element) when the graph executor hands over the buffer at its last use (the
//! in-place kernel overwrites the row); otherwise it copies the buffer. A resize handed its
//! buffer extends it in place, and its storage keeps spare capacity that grows geometrically, so
//! n appends reallocate O(log n) times. [`buffer_copies`] counts full-buffer copies (copying
//! kernels and reallocations), so tests can check that a loop of writes does not copy per write.

use crate::attrs::Attrs;
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::{execute1, expect_arity, GradCtx, OpDef, Spec};
use crate::shape::{self, Dim, Dims};
use crate::tensor::{Element, Storage, Tensor};
use crate::with_any;
use std::cell::Cell;

thread_local! {
    static COPIES: Cell<u64> = const { Cell::new(0) };
}

/// Buffers copied by `tensor_list_set_item` and `tensor_list_resize` on this thread so far (a
/// write that reuses its input's buffer copies none, a resize only when it reallocates); for
/// tests and profiling.
pub fn buffer_copies() -> u64 {
    COPIES.with(Cell::get)
}

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] =
    &[&TENSOR_LIST_SET_ITEM, &TENSOR_LIST_GET_ITEM, &TENSOR_LIST_RESIZE, &TENSOR_LIST_SCATTER];

const SET: &str = "tensor_list_set_item";
const GET: &str = "tensor_list_get_item";
const RESIZE: &str = "tensor_list_resize";
const SCATTER: &str = "tensor_list_scatter";

fn count_copy() {
    COPIES.with(|c| c.set(c.get() + 1));
}

fn check_buffer(op: &str, buffer: &Spec) -> Result<()> {
    if buffer.rank() == 0 {
        return Err(Error::invalid(
            op,
            format!("the TensorArray buffer must have rank >= 1 ([size, *element_shape]), got {}", buffer.describe()),
        ));
    }
    Ok(())
}

fn check_index(op: &str, index: &Spec) -> Result<()> {
    if !matches!(index.dtype, DType::I32 | DType::I64) || index.rank() != 0 {
        return Err(Error::invalid(
            op,
            format!("the TensorArray index must be a scalar int32 or int64 tensor, got {}", index.describe()),
        ));
    }
    Ok(())
}

fn index_value(op: &str, t: &Tensor) -> Result<i64> {
    match t.dtype() {
        DType::I32 => Ok(i64::from(t.item::<i32>()?)),
        DType::I64 => t.item::<i64>(),
        d => Err(Error::invalid(op, format!("the TensorArray index must be int32 or int64, got {d}"))),
    }
}

/// Known where either side knows the dim (they were checked compatible).
fn merge_known(a: &[Dim], b: &[Dim]) -> Dims {
    a.iter().zip(b).map(|(x, y)| x.or(*y)).collect()
}

/// `tensor_list_set_item(buffer, index, value)`: `buffer` with row `index` replaced by `value`;
/// an index outside the buffer is an out-of-range error.
pub static TENSOR_LIST_SET_ITEM: OpDef = OpDef {
    name: SET,
    infer: |s, _| {
        expect_arity(SET, s, 3)?;
        let (buf, index, value) = (&s[0], &s[1], &s[2]);
        check_buffer(SET, buf)?;
        check_index(SET, index)?;
        if value.dtype != buf.dtype {
            return Err(Error::invalid(
                SET,
                format!(
                    "TensorArray.write: cannot write a {} value to a {} TensorArray (value {}, buffer {})",
                    value.dtype,
                    buf.dtype,
                    value.describe(),
                    buf.describe()
                ),
            ));
        }
        let elem = &buf.dims[1..];
        let fits = shape::dims_compatible(&value.dims, elem);
        if !fits {
            return Err(Error::invalid(
                SET,
                format!(
                    "TensorArray.write: cannot write a value of shape {} to a TensorArray whose elements have shape {}",
                    value.fmt_dims(),
                    shape::fmt_dims(elem)
                ),
            ));
        }
        let mut dims: Dims = Dims::new();
        dims.push(buf.dims[0]);
        dims.extend(merge_known(elem, &value.dims));
        Ok(vec![Spec { dtype: buf.dtype, dims }])
    },
    kernel: |i, _, _| {
        let at = checked_row(&i[0], &i[1], &i[2])?;
        let (buf, value) = (&i[0], &i[2]);
        let row: usize = value.size();
        count_copy();
        let t = with_any!(buf.dtype(), T => {
            let mut out = buf.as_slice::<T>()?.to_vec();
            out[at * row..(at + 1) * row].copy_from_slice(value.as_slice::<T>()?);
            Tensor::from_vec(out, buf.shape())?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        let index = &c.inputs[1];
        let d_value = tensor_list_get_item(&g, index)?;
        // The overwritten row did not reach the output.
        let d_buffer = tensor_list_set_item(&g, index, &crate::ops::array::zeros_like(&c.inputs[2])?)?;
        Ok(vec![Some(d_buffer), None, Some(d_value)])
    }),
    stateful: false,
    inplace: Some(set_item_in_place),
};

/// The row `value` goes to in `buf`, checked against the buffer's size and element shape.
fn checked_row(buf: &Tensor, index: &Tensor, value: &Tensor) -> Result<usize> {
    let index = index_value(SET, index)?;
    let size = buf.shape()[0];
    let at = usize::try_from(index).ok().filter(|&k| k < size).ok_or_else(|| {
        Error::new(
            ErrorKind::OutOfRange,
            SET,
            format!(
                "TensorArray.write: tried to write to index {index} but the array size is {size} \
                 (an array grows only with dynamic_size=true)"
            ),
        )
    })?;
    let elem = &buf.shape()[1..];
    if value.shape() != elem {
        return Err(Error::invalid(
            SET,
            format!(
                "TensorArray.write: cannot write a value of shape {} to a TensorArray whose elements have shape {}",
                shape::fmt_shape(value.shape()),
                shape::fmt_shape(elem)
            ),
        ));
    }
    Ok(at)
}

/// `tensor_list_set_item` overwriting the row in the handed-over buffer (input 0).
fn set_item_in_place(i: &mut [Tensor], k: usize, _: &Attrs, _: &[Spec]) -> Result<Option<Vec<Tensor>>> {
    if k != 0 {
        return Ok(None);
    }
    let at = checked_row(&i[0], &i[1], &i[2])?;
    let row = i[2].size();
    let shape = i[0].shape().to_vec();
    let done = with_any!(i[0].dtype(), T => {
        match crate::ops::split_donated::<T>(i, 0) {
            Some((rows, _, after)) => {
                rows[at * row..(at + 1) * row].copy_from_slice(after[1].as_slice::<T>()?);
                true
            }
            None => false,
        }
    });
    if !done {
        return Ok(None);
    }
    Ok(Some(vec![crate::ops::donated_output(i, 0, &shape)?]))
}

/// `tensor_list_scatter(buffer, indices, value)`: `buffer` with row `indices[k]` replaced by
/// row `k` of `value` (a later duplicate index wins); TensorFlow's
/// `TensorListScatterIntoExistingList` on a buffer already as large as the indices need.
pub static TENSOR_LIST_SCATTER: OpDef = OpDef {
    name: SCATTER,
    infer: |s, _| {
        expect_arity(SCATTER, s, 3)?;
        let (buf, indices, value) = (&s[0], &s[1], &s[2]);
        check_buffer(SCATTER, buf)?;
        if !matches!(indices.dtype, DType::I32 | DType::I64) || indices.rank() != 1 {
            return Err(Error::invalid(
                SCATTER,
                format!("TensorArray.scatter: indices must be an int32 or int64 vector, got {}", indices.describe()),
            ));
        }
        let fits = value.rank() == buf.rank()
            && value.dtype == buf.dtype
            && shape::dims_compatible(&value.dims[1..], &buf.dims[1..])
            && shape::dims_compatible(&value.dims[..1], &indices.dims);
        if !fits {
            return Err(Error::invalid(
                SCATTER,
                format!(
                    "TensorArray.scatter: cannot write the rows of {} at indices {} into a buffer {} (one row \
                     per index, each of the element shape and dtype)",
                    value.describe(),
                    indices.describe(),
                    buf.describe()
                ),
            ));
        }
        let mut dims: Dims = Dims::new();
        dims.push(buf.dims[0]);
        dims.extend(merge_known(&buf.dims[1..], &value.dims[1..]));
        Ok(vec![Spec { dtype: buf.dtype, dims }])
    },
    kernel: |i, _, _| {
        let rows = scattered_rows(&i[0], &i[1], &i[2])?;
        let (buf, value) = (&i[0], &i[2]);
        let row: usize = buf.shape()[1..].iter().product();
        count_copy();
        let t = with_any!(buf.dtype(), T => {
            let mut out = buf.as_slice::<T>()?.to_vec();
            write_rows(&mut out, value.as_slice::<T>()?, &rows, row);
            Tensor::from_vec(out, buf.shape())?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        let indices = &c.inputs[1];
        let d_value = crate::ops::indexing::gather(&g, indices, 0, 0)?;
        // Overwritten rows did not reach the output.
        let d_buffer = tensor_list_scatter(&g, indices, &crate::ops::array::zeros_like(&c.inputs[2])?)?;
        Ok(vec![Some(d_buffer), None, Some(d_value)])
    }),
    stateful: false,
    inplace: Some(scatter_in_place),
};

/// The rows `indices` name in `buf`, checked: one per row of `value`, each inside the buffer,
/// and `value`'s rows of the buffer's element shape.
fn scattered_rows(buf: &Tensor, indices: &Tensor, value: &Tensor) -> Result<Vec<usize>> {
    let idx = crate::ops::indexing::index_values(SCATTER, indices)?;
    let elem = &buf.shape()[1..];
    if value.shape().first() != Some(&idx.len()) || &value.shape()[1..] != elem {
        return Err(Error::invalid(
            SCATTER,
            format!(
                "TensorArray.scatter: {} indices need a value of {} rows of shape {}, got a value of shape {}",
                idx.len(),
                idx.len(),
                shape::fmt_shape(elem),
                shape::fmt_shape(value.shape())
            ),
        ));
    }
    let size = buf.shape()[0];
    idx.iter()
        .map(|&index| {
            usize::try_from(index).ok().filter(|&k| k < size).ok_or_else(|| {
                Error::new(
                    ErrorKind::OutOfRange,
                    SCATTER,
                    format!(
                        "TensorArray.scatter: tried to write to index {index} but the array size is {size} \
                         (an array grows only with dynamic_size=true)"
                    ),
                )
            })
        })
        .collect()
}

/// Row `k` of `value` (rows of `row` elements) into row `rows[k]` of `out`, in order.
fn write_rows<T: Copy>(out: &mut [T], value: &[T], rows: &[usize], row: usize) {
    for (k, &at) in rows.iter().enumerate() {
        out[at * row..(at + 1) * row].copy_from_slice(&value[k * row..(k + 1) * row]);
    }
}

/// `tensor_list_scatter` writing the rows into the handed-over buffer (input 0).
fn scatter_in_place(i: &mut [Tensor], k: usize, _: &Attrs, _: &[Spec]) -> Result<Option<Vec<Tensor>>> {
    if k != 0 {
        return Ok(None);
    }
    let rows = scattered_rows(&i[0], &i[1], &i[2])?;
    let row: usize = i[0].shape()[1..].iter().product();
    let shape = i[0].shape().to_vec();
    let done = with_any!(i[0].dtype(), T => {
        match crate::ops::split_donated::<T>(i, 0) {
            Some((out, _, after)) => {
                write_rows(out, after[1].as_slice::<T>()?, &rows, row);
                true
            }
            None => false,
        }
    });
    if !done {
        return Ok(None);
    }
    Ok(Some(vec![crate::ops::donated_output(i, 0, &shape)?]))
}

/// `tensor_list_get_item(buffer, index)`: row `index` of `buffer`.
pub static TENSOR_LIST_GET_ITEM: OpDef = OpDef {
    name: GET,
    infer: |s, _| {
        expect_arity(GET, s, 2)?;
        check_buffer(GET, &s[0])?;
        check_index(GET, &s[1])?;
        Ok(vec![Spec { dtype: s[0].dtype, dims: s[0].dims[1..].iter().copied().collect() }])
    },
    kernel: |i, _, _| {
        let buf = &i[0];
        let index = index_value(GET, &i[1])?;
        let size = buf.shape()[0];
        let at = usize::try_from(index).ok().filter(|&k| k < size).ok_or_else(|| {
            Error::new(
                ErrorKind::OutOfRange,
                GET,
                format!("TensorArray.read: tried to read from index {index} but the array size is {size}"),
            )
        })?;
        let elem = &buf.shape()[1..];
        let row: usize = elem.iter().product();
        let t = with_any!(buf.dtype(), T => {
            Tensor::from_vec(buf.as_slice::<T>()?[at * row..(at + 1) * row].to_vec(), elem)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let zeros = crate::ops::array::zeros_like(&c.inputs[0])?;
        Ok(vec![Some(tensor_list_set_item(&zeros, &c.inputs[1], &c.grad(0)?)?), None])
    }),
    stateful: false,
    inplace: None,
};

/// `tensor_list_resize(buffer, size)`: `buffer` with exactly `size` rows: its first rows, then
/// zero rows. The row count is a run-time value, so the result's first dimension is unknown to
/// the shape rule. Its gradient resizes the incoming gradient back to the buffer's row count.
pub static TENSOR_LIST_RESIZE: OpDef = OpDef {
    name: RESIZE,
    infer: |s, _| {
        expect_arity(RESIZE, s, 2)?;
        check_buffer(RESIZE, &s[0])?;
        if !matches!(s[1].dtype, DType::I32 | DType::I64) || s[1].rank() != 0 {
            return Err(Error::invalid(
                RESIZE,
                format!("the TensorArray size must be a scalar int32 or int64 tensor, got {}", s[1].describe()),
            ));
        }
        let dims: Dims = std::iter::once(None).chain(s[0].dims[1..].iter().copied()).collect();
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, _, _| {
        let (rows, shape) = resized_shape(&i[0], &i[1])?;
        let row: usize = shape[1..].iter().product();
        let keep = rows.min(i[0].shape()[0]) * row;
        count_copy();
        let t = with_any!(i[0].dtype(), T => {
            let mut out: Vec<T> = Vec::new();
            out.try_reserve_exact(rows * row).map_err(|_| too_big(i[0].dtype(), &shape))?;
            out.extend_from_slice(&i[0].as_slice::<T>()?[..keep]);
            out.resize(rows * row, T::from_f64(0.0));
            Tensor::from_vec(out, &shape)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(tensor_list_resize_like(&c.grad(0)?, &c.inputs[0])?), None])),
    stateful: false,
    inplace: Some(resize_in_place),
};

/// The row count `size` asks for and the resized buffer's shape, checked to be allocatable.
fn resized_shape(buf: &Tensor, size: &Tensor) -> Result<(usize, Vec<usize>)> {
    let n = index_value(RESIZE, size)?;
    let rows = usize::try_from(n)
        .map_err(|_| Error::invalid(RESIZE, format!("the TensorArray size must be >= 0, got {n}")))?;
    let mut shape = buf.shape().to_vec();
    shape[0] = rows;
    shape::check_allocation(RESIZE, buf.dtype(), &shape)?;
    Ok((rows, shape))
}

fn too_big(dtype: DType, shape: &[usize]) -> Error {
    Error::new(
        ErrorKind::ResourceExhausted,
        RESIZE,
        format!("a {dtype} tensor of shape {} does not fit in memory", shape::fmt_shape(shape)),
    )
}

/// `tensor_list_resize` on the handed-over buffer (input 0): truncates or zero-extends its
/// storage. Growing past the storage's capacity reallocates to at least twice that capacity
/// (counted as a copy), so a loop appending one row at a time reallocates O(log n) times.
fn resize_in_place(i: &mut [Tensor], k: usize, _: &Attrs, _: &[Spec]) -> Result<Option<Vec<Tensor>>> {
    if k != 0 {
        return Ok(None);
    }
    let (rows, shape) = resized_shape(&i[0], &i[1])?;
    let len = rows * shape[1..].iter().product::<usize>();
    let dtype = i[0].dtype();
    let Some(storage) = i[0].storage_mut() else { return Ok(None) };
    let reallocated = match storage {
        Storage::F32(v) => resize_vec(v, len, 0.0),
        Storage::F64(v) => resize_vec(v, len, 0.0),
        Storage::I32(v) => resize_vec(v, len, 0),
        Storage::I64(v) => resize_vec(v, len, 0),
        Storage::Bool(v) => resize_vec(v, len, false),
    }
    .ok_or_else(|| too_big(dtype, &shape))?;
    if reallocated {
        count_copy();
    }
    Ok(Some(vec![crate::ops::donated_output(i, 0, &shape)?]))
}

/// Resizes `v` to `len` elements, filling with `zero`; when that outgrows the capacity, the
/// capacity at least doubles (falling back to exactly `len` when double cannot be had).
/// Returns whether the elements moved to a new allocation, `None` when none could be made.
fn resize_vec<T: Clone>(v: &mut Vec<T>, len: usize, zero: T) -> Option<bool> {
    let reallocated = len > v.capacity();
    if reallocated {
        let target = len.max(v.capacity().saturating_mul(2));
        if v.try_reserve_exact(target - v.len()).is_err() {
            v.try_reserve_exact(len - v.len()).ok()?;
        }
    }
    v.resize(len, zero);
    Some(reallocated)
}

/// Writes `value` as row `index` of `buffer`.
pub fn tensor_list_set_item(buffer: &Tensor, index: &Tensor, value: &Tensor) -> Result<Tensor> {
    execute1(&TENSOR_LIST_SET_ITEM, &[buffer.clone(), index.clone(), value.clone()], Attrs::new())
}

/// `buffer` resized to `size` rows (a scalar int32/int64): truncated, or extended with zero rows.
pub fn tensor_list_resize(buffer: &Tensor, size: &Tensor) -> Result<Tensor> {
    execute1(&TENSOR_LIST_RESIZE, &[buffer.clone(), size.clone()], Attrs::new())
}

/// `buffer` resized to the rows of `like`, with `like`'s traced dims (a resize alone cannot
/// promise a row count, which gradients before it may need, `stack`'s among them).
pub fn tensor_list_resize_like(buffer: &Tensor, like: &Tensor) -> Result<Tensor> {
    let rows = crate::ops::indexing::gather(&crate::ops::array::shape(like)?, &Tensor::from(0i32), 0, 0)?;
    let cut = tensor_list_resize(buffer, &rows)?;
    match cut.dims() == like.dims() {
        true => Ok(cut),
        false => crate::ops::shape_like::reshape_like(&cut, like),
    }
}

/// `buffer` with row `indices[k]` replaced by row `k` of `value`.
pub fn tensor_list_scatter(buffer: &Tensor, indices: &Tensor, value: &Tensor) -> Result<Tensor> {
    execute1(&TENSOR_LIST_SCATTER, &[buffer.clone(), indices.clone(), value.clone()], Attrs::new())
}

/// Row `index` of `buffer`.
pub fn tensor_list_get_item(buffer: &Tensor, index: &Tensor) -> Result<Tensor> {
    execute1(&TENSOR_LIST_GET_ITEM, &[buffer.clone(), index.clone()], Attrs::new())
}
