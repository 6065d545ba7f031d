//! The dense form of a `TensorArray` inside traced control flow: a buffer of shape
//! `[size, *element_shape]` whose rows are the elements. Writing a row (`tensor_list_set_item`,
//! TensorFlow's `TensorListSetItem`) returns a new buffer; reading one is
//! `tensor_list_get_item`. Both are differentiable, with gradients written in terms of each other.
//!
//! Neither changes the buffer's size: an op's output shape must follow from its input shapes,
//! so a growing array grows in a `while_loop` before the write (see `TensorArray::write`).

use crate::attrs::Attrs;
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::{execute1, expect_arity, GradCtx, OpDef, Spec};
use crate::shape::{self, Dim, Dims};
use crate::tensor::Tensor;
use crate::with_any;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&TENSOR_LIST_SET_ITEM, &TENSOR_LIST_GET_ITEM];

const SET: &str = "tensor_list_set_item";
const GET: &str = "tensor_list_get_item";

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
        let fits = value.rank() == elem.len()
            && value.dims.iter().zip(elem).all(|(v, e)| v.is_none() || e.is_none() || v == e);
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
        let (buf, value) = (&i[0], &i[2]);
        let index = index_value(SET, &i[1])?;
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
        let row: usize = elem.iter().product();
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
    inplace: None,
};

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

/// Writes `value` as row `index` of `buffer`.
pub fn tensor_list_set_item(buffer: &Tensor, index: &Tensor, value: &Tensor) -> Result<Tensor> {
    execute1(&TENSOR_LIST_SET_ITEM, &[buffer.clone(), index.clone(), value.clone()], Attrs::new())
}

/// Row `index` of `buffer`.
pub fn tensor_list_get_item(buffer: &Tensor, index: &Tensor) -> Result<Tensor> {
    execute1(&TENSOR_LIST_GET_ITEM, &[buffer.clone(), index.clone()], Attrs::new())
}
