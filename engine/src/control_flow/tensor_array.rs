//! `TensorArray`: a functional, immutable list of same-dtype tensors.

use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::array;
use crate::shape::{self, Dim, Dims};
use crate::tensor::Tensor;
use std::collections::BTreeMap;

/// `tf.TensorArray` with TensorFlow 2 value semantics: `write`, `unstack` and `scatter` return a
/// new array and leave the original unchanged.
///
/// Elements are stored as the tensors written, and `stack`, `unstack`, `gather` and `concat` are
/// the registered `stack`/`unstack`/`concat` ops, so a `GradientTape` differentiates through
/// writes and reads. Unwritten elements read as zeros when the element shape is fully known.
#[derive(Clone, Debug)]
pub struct TensorArray {
    dtype: DType,
    size: usize,
    // Sparse so that a huge declared size costs nothing until elements are written or stacked.
    elements: BTreeMap<usize, Tensor>,
    dynamic_size: bool,
    clear_after_read: bool,
    infer_shape: bool,
    element_shape: Option<Dims>,
}

impl TensorArray {
    /// An array of `size` unwritten elements of `dtype`; `dynamic_size` lets writes grow it.
    pub fn new(dtype: DType, size: usize, dynamic_size: bool) -> TensorArray {
        TensorArray {
            dtype,
            size,
            elements: BTreeMap::new(),
            dynamic_size,
            clear_after_read: true,
            infer_shape: true,
            element_shape: None,
        }
    }

    /// Declares the element shape (`None` dims unknown); writes must fit it.
    pub fn with_element_shape(mut self, dims: &[Dim]) -> TensorArray {
        self.element_shape = Some(dims.iter().copied().collect());
        self
    }

    /// TensorFlow's `clear_after_read`; reads never change an immutable array, so it is recorded only.
    pub fn with_clear_after_read(mut self, clear: bool) -> TensorArray {
        self.clear_after_read = clear;
        self
    }

    /// TensorFlow's `infer_shape`: when false, elements may have different shapes (for `concat`).
    pub fn with_infer_shape(mut self, infer: bool) -> TensorArray {
        self.infer_shape = infer;
        self
    }

    /// Element dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Number of elements (written or not).
    pub fn len(&self) -> usize {
        self.size
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// `size()` as TensorFlow returns it: an int32 scalar.
    pub fn size(&self) -> Result<Tensor> {
        let n = i32::try_from(self.size)
            .map_err(|_| Error::invalid("TensorArray.size", format!("size {} does not fit in int32", self.size)))?;
        Ok(Tensor::from(n))
    }

    /// The element shape known so far (declared, or merged from the writes).
    pub fn element_shape(&self) -> Option<&Dims> {
        self.element_shape.as_ref()
    }

    /// Whether writes past the end grow the array.
    pub fn dynamic_size(&self) -> bool {
        self.dynamic_size
    }

    /// The recorded `clear_after_read` flag.
    pub fn clear_after_read(&self) -> bool {
        self.clear_after_read
    }

    /// The element at `index`; zeros for an unwritten element of fully known shape.
    pub fn read(&self, index: usize) -> Result<Tensor> {
        const OP: &str = "TensorArray.read";
        if index >= self.size {
            return Err(Error::new(
                ErrorKind::OutOfRange,
                OP,
                format!("tried to read from index {index} but the array size is {}", self.size),
            ));
        }
        match self.elements.get(&index) {
            Some(t) => Ok(t.clone()),
            None => self.zeros(OP, index),
        }
    }

    fn zeros(&self, op: &str, index: usize) -> Result<Tensor> {
        match self.element_shape.as_deref().and_then(shape::to_shape) {
            Some(s) => array::zeros(self.dtype, &s),
            None => Err(Error::invalid(
                op,
                format!(
                    "element {index} was never written and the element shape {} is not fully known, \
                     so it cannot be filled with zeros",
                    self.element_shape.as_deref().map_or("(unknown)".to_string(), shape::fmt_dims)
                ),
            )),
        }
    }

    /// A new array with `value` at `index` (growing it when `dynamic_size`).
    pub fn write(&self, index: usize, value: &Tensor) -> Result<TensorArray> {
        let mut out = self.clone();
        out.write_in_place("TensorArray.write", index, value)?;
        Ok(out)
    }

    fn write_in_place(&mut self, op: &str, index: usize, value: &Tensor) -> Result<()> {
        if index >= self.size {
            if !self.dynamic_size {
                return Err(Error::new(
                    ErrorKind::OutOfRange,
                    op,
                    format!(
                        "tried to write to index {index} but the array is not resizeable (dynamic_size=false) \
                         and its size is {}",
                        self.size
                    ),
                ));
            }
            self.size = index.checked_add(1).ok_or_else(|| Error::invalid(op, "index overflow"))?;
        }
        if value.dtype() != self.dtype {
            return Err(Error::invalid(
                op,
                format!(
                    "cannot write a {} value with shape {} to index {index} of a {} TensorArray",
                    value.dtype(),
                    shape::fmt_shape(value.shape()),
                    self.dtype
                ),
            ));
        }
        if self.infer_shape {
            self.element_shape = Some(self.merged_shape(op, index, value)?);
        } else if let Some(dims) = &self.element_shape {
            if !fits(dims, value.shape()) {
                return Err(incompatible(op, index, value, dims));
            }
        }
        self.elements.insert(index, value.clone());
        Ok(())
    }

    fn merged_shape(&self, op: &str, index: usize, value: &Tensor) -> Result<Dims> {
        match &self.element_shape {
            None => Ok(value.dims()),
            Some(dims) if fits(dims, value.shape()) => Ok(value.dims()),
            Some(dims) => Err(incompatible(op, index, value, dims)),
        }
    }

    /// All elements stacked along a new axis 0 (`[size] + element_shape`).
    pub fn stack(&self) -> Result<Tensor> {
        self.gather_impl("TensorArray.stack", 0..self.size)
    }

    /// The elements at `indices`, stacked along a new axis 0.
    pub fn gather(&self, indices: &[usize]) -> Result<Tensor> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.size) {
            return Err(Error::new(
                ErrorKind::OutOfRange,
                "TensorArray.gather",
                format!("index {bad} is out of range for a TensorArray of size {}", self.size),
            ));
        }
        self.gather_impl("TensorArray.gather", indices.iter().copied())
    }

    fn gather_impl(&self, op: &str, indices: impl ExactSizeIterator<Item = usize>) -> Result<Tensor> {
        let n = indices.len();
        self.check_total(op, n)?;
        if n == 0 {
            return match self.element_shape.as_deref().and_then(shape::to_shape) {
                Some(s) => array::zeros(self.dtype, &[&[0][..], &s].concat()),
                None => Err(Error::invalid(
                    op,
                    "cannot stack zero elements: the element shape is not fully known (declare element_shape)",
                )),
            };
        }
        let items = indices.map(|i| self.elements.get(&i).cloned().map_or_else(|| self.zeros(op, i), Ok));
        let items = items.collect::<Result<Vec<_>>>()?;
        array::stack(&items, 0).map_err(|e| Error { op: Some(op.to_string()), ..e })
    }

    /// Fails before building anything when `n` elements of the known element shape could not
    /// be allocated (a huge declared size must not turn into a huge loop).
    fn check_total(&self, op: &str, n: usize) -> Result<()> {
        let known: Vec<usize> = self.element_shape.iter().flatten().map(|d| d.unwrap_or(1)).collect();
        shape::check_allocation(op, self.dtype, &[&[n][..], &known].concat())
    }

    /// All elements joined along their existing axis 0.
    pub fn concat(&self) -> Result<Tensor> {
        const OP: &str = "TensorArray.concat";
        self.check_total(OP, self.size)?;
        if self.size == 0 {
            return match self.element_shape.as_deref().and_then(shape::to_shape) {
                Some(s) if !s.is_empty() => array::zeros(self.dtype, &[&[0][..], &s[1..]].concat()),
                _ => Err(Error::invalid(
                    OP,
                    "cannot concatenate zero elements: the element shape is not fully known or is scalar",
                )),
            };
        }
        let items = (0..self.size)
            .map(|i| self.elements.get(&i).cloned().map_or_else(|| self.zeros(OP, i), Ok))
            .collect::<Result<Vec<_>>>()?;
        if let Some(t) = items.iter().find(|t| t.rank() == 0) {
            return Err(Error::invalid(OP, format!("elements must have rank >= 1 to concatenate, got {}", t.dtype())));
        }
        array::concat(&items, 0).map_err(|e| Error { op: Some(OP.to_string()), ..e })
    }

    /// A new array whose elements `0..n` are the slices of `value` along axis 0.
    pub fn unstack(&self, value: &Tensor) -> Result<TensorArray> {
        let n = value.shape().first().copied().unwrap_or(0);
        let indices: Vec<usize> = (0..n).collect();
        self.scatter_impl("TensorArray.unstack", &indices, value)
    }

    /// A new array with slice `k` of `value` (along axis 0) written at `indices[k]`.
    pub fn scatter(&self, indices: &[usize], value: &Tensor) -> Result<TensorArray> {
        self.scatter_impl("TensorArray.scatter", indices, value)
    }

    fn scatter_impl(&self, op: &str, indices: &[usize], value: &Tensor) -> Result<TensorArray> {
        if value.rank() == 0 {
            return Err(Error::invalid(
                op,
                format!(
                    "value must have rank >= 1 (elements are its slices along axis 0), got a {} scalar",
                    value.dtype()
                ),
            ));
        }
        if value.shape()[0] != indices.len() {
            return Err(Error::invalid(
                op,
                format!(
                    "value has shape {} ({} slices along axis 0) but {} indices were given",
                    shape::fmt_shape(value.shape()),
                    value.shape()[0],
                    indices.len()
                ),
            ));
        }
        let mut out = self.clone();
        if indices.is_empty() {
            return Ok(out);
        }
        let parts = array::unstack(value, 0).map_err(|e| Error { op: Some(op.to_string()), ..e })?;
        for (&i, part) in indices.iter().zip(&parts) {
            out.write_in_place(op, i, part)?;
        }
        Ok(out)
    }
}

fn fits(dims: &[Dim], shape: &[usize]) -> bool {
    dims.len() == shape.len() && dims.iter().zip(shape).all(|(d, &s)| d.is_none_or(|d| d == s))
}

fn incompatible(op: &str, index: usize, value: &Tensor, dims: &[Dim]) -> Error {
    Error::invalid(
        op,
        format!(
            "cannot write a value of shape {} at index {index}: the element shape is {} \
             (elements must all have one shape unless infer_shape is false)",
            shape::fmt_shape(value.shape()),
            shape::fmt_dims(dims)
        ),
    )
}
