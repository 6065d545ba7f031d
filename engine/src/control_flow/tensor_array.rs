//! `TensorArray`: a functional, immutable list of same-dtype tensors.
//!
//! An array has one of two forms. Eagerly (and inside a trace while only Rust integers index
//! it) it is sparse: the tensors written, by position. A traced loop or branch can only carry
//! tensors, and a symbolic index names no position at trace time, so there it becomes dense: one
//! buffer of shape `[size, *element_shape]` written with `tensor_list_set_item` and read with
//! `tensor_list_get_item`.

use super::nest::{Nest, Structure};
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::{array, indexing, tensor_list};
use crate::shape::{self, Dim, Dims};
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A position in a [`TensorArray`]: a Rust integer or a scalar int32/int64 tensor (symbolic
/// inside a traced function, where the position is only known when the graph runs).
#[derive(Clone, Debug)]
pub enum ArrayIndex {
    /// A position known now.
    Static(usize),
    /// A signed position known now (negative ones are rejected when used).
    Int(i64),
    /// A scalar int32/int64 tensor.
    Tensor(Tensor),
}

impl From<usize> for ArrayIndex {
    fn from(i: usize) -> ArrayIndex {
        ArrayIndex::Static(i)
    }
}

impl From<i32> for ArrayIndex {
    fn from(i: i32) -> ArrayIndex {
        ArrayIndex::Int(i64::from(i))
    }
}

impl From<i64> for ArrayIndex {
    fn from(i: i64) -> ArrayIndex {
        ArrayIndex::Int(i)
    }
}

impl From<Tensor> for ArrayIndex {
    fn from(t: Tensor) -> ArrayIndex {
        ArrayIndex::Tensor(t)
    }
}

impl From<&Tensor> for ArrayIndex {
    fn from(t: &Tensor) -> ArrayIndex {
        ArrayIndex::Tensor(t.clone())
    }
}

/// An index after looking at it: a position, or a symbolic tensor.
enum Pos {
    At(usize),
    Dynamic(Tensor),
}

fn resolve(op: &str, index: ArrayIndex) -> Result<Pos> {
    let negative = |i: i64| {
        Error::new(ErrorKind::OutOfRange, op, format!("index {i} is negative; TensorArray indices start at 0"))
    };
    match index {
        ArrayIndex::Static(i) => Ok(Pos::At(i)),
        ArrayIndex::Int(i) => usize::try_from(i).map(Pos::At).map_err(|_| negative(i)),
        ArrayIndex::Tensor(t) if t.is_symbolic() => {
            if !matches!(t.dtype(), DType::I32 | DType::I64) || t.rank() != 0 {
                return Err(Error::invalid(
                    op,
                    format!(
                        "the index must be a scalar int32 or int64 tensor, got a {} tensor with shape {}",
                        t.dtype(),
                        shape::fmt_dims(&t.dims())
                    ),
                ));
            }
            Ok(Pos::Dynamic(t))
        }
        ArrayIndex::Tensor(t) => {
            let i = super::scalar_index(op, "the index", &t)?;
            usize::try_from(i).map(Pos::At).map_err(|_| negative(i))
        }
    }
}

fn index_tensor(op: &str, pos: Pos) -> Result<Tensor> {
    match pos {
        Pos::Dynamic(t) => Ok(t),
        Pos::At(i) => i64::try_from(i)
            .map(Tensor::from)
            .map_err(|_| Error::new(ErrorKind::OutOfRange, op, format!("index {i} does not fit in int64"))),
    }
}

/// `buffer` with zero rows appended until row `index` exists. The resize runs where the index's
/// value is known; handed a loop's buffer it extends it in place, into spare capacity that grows
/// geometrically, so a loop of appending writes copies the buffer O(log n) times in all.
fn grow(buffer: &Tensor, index: &Tensor) -> Result<Tensor> {
    use crate::ops::math::{add, cast, maximum};
    let size = cast(&indexing::gather(&array::shape(buffer)?, &Tensor::from(0i32), 0, 0)?, index.dtype())?;
    let needed = add(index, &Tensor::scalar_of(index.dtype(), 1.0))?;
    tensor_list::tensor_list_resize(buffer, &maximum(&size, &needed)?)
}

/// The values of an int32/int64 index vector, `None` for a traced one (known only at run time).
fn eager_indices(op: &str, indices: &Tensor) -> Result<Option<Vec<usize>>> {
    if !matches!(indices.dtype(), DType::I32 | DType::I64) || indices.rank() != 1 {
        return Err(Error::invalid(
            op,
            format!(
                "indices must be an int32 or int64 vector, got {}{}",
                indices.dtype(),
                shape::fmt_dims(&indices.dims())
            ),
        ));
    }
    if indices.is_symbolic() {
        return Ok(None);
    }
    let values = indexing::index_values(op, indices)?;
    let idx = values.iter().map(|&v| {
        usize::try_from(v).map_err(|_| {
            Error::new(ErrorKind::OutOfRange, op, format!("index {v} is negative; TensorArray indices start at 0"))
        })
    });
    idx.collect::<Result<Vec<_>>>().map(Some)
}

/// Known where either side knows the dim.
fn merge_known(a: &[Dim], b: &[Dim]) -> Dims {
    a.iter().zip(b).map(|(x, y)| x.or(*y)).collect()
}

/// `tf.TensorArray` with TensorFlow 2 value semantics: `write`, `unstack` and `scatter` return a
/// new array and leave the original unchanged.
///
/// Elements are stored as the tensors written, and `stack`, `unstack`, `gather` and `concat` are
/// the registered `stack`/`unstack`/`concat` ops, so a `GradientTape` differentiates through
/// writes and reads. Unwritten elements read as zeros when the element shape is fully known.
///
/// Indices may be tensors ([`ArrayIndex`]), and an array may be a `while_loop` variable or a
/// `cond` result. Inside a traced function that makes it dense (see the module docs), which
/// needs the element shape: declare it with [`TensorArray::with_element_shape`] or write an
/// element first.
///
/// ```
/// use tensile::prelude::*;
/// let n = Tensor::from(4);
/// let (_, ta) = while_loop(
///     |(i, _): &(Tensor, TensorArray)| less(i, &n),
///     |(i, ta): &(Tensor, TensorArray)| Ok(((i + 1)?, ta.write(i, &(&cast(i, DType::F32)? * 2.0)?)?)),
///     (Tensor::from(0), TensorArray::new(DType::F32, 0, true)),
///     WhileOptions::default(),
/// )?;
/// assert_eq!(ta.stack()?.to_vec::<f32>()?, vec![0.0, 2.0, 4.0, 6.0]);
/// # Ok::<(), tensile::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TensorArray {
    dtype: DType,
    size: usize,
    // Sparse so that a huge declared size costs nothing until elements are written or stacked;
    // shared, so a clone is cheap and an array nothing else holds is written without a copy.
    elements: Arc<BTreeMap<usize, Tensor>>,
    dynamic_size: bool,
    clear_after_read: bool,
    infer_shape: bool,
    element_shape: Option<Dims>,
    // The dense form: `[size, *element_shape]`, rows are the elements; `elements` is then empty.
    dense: Option<Tensor>,
    // A size only known at run time (an int32 scalar in a trace): the array becomes dense at its
    // first use, once an element shape is known.
    run_time_size: Option<Tensor>,
}

impl TensorArray {
    /// An array of `size` unwritten elements of `dtype`; `dynamic_size` lets writes grow it.
    pub fn new(dtype: DType, size: usize, dynamic_size: bool) -> TensorArray {
        TensorArray {
            dtype,
            size,
            elements: Arc::default(),
            dynamic_size,
            clear_after_read: true,
            infer_shape: true,
            element_shape: None,
            dense: None,
            run_time_size: None,
        }
    }

    /// `tf.TensorArray(dtype, size=n)` with `n` a scalar int tensor: inside a traced function
    /// it may be known only at run time (`size=tf.shape(x)[0]`); then the array is one dense
    /// buffer from its first use, whose element shape comes from
    /// [`TensorArray::with_element_shape`] or the first value written.
    pub fn with_size(dtype: DType, size: &Tensor, dynamic_size: bool) -> Result<TensorArray> {
        const OP: &str = "TensorArray";
        if !size.dtype().is_int() || size.rank() != 0 {
            return Err(Error::invalid(
                OP,
                format!("size must be a scalar integer tensor, got {}{}", size.dtype(), shape::fmt_dims(&size.dims())),
            ));
        }
        if !size.is_symbolic() {
            let n = super::scalar_index(OP, "size", size)?;
            let n = usize::try_from(n).map_err(|_| Error::invalid(OP, format!("size must be >= 0, got {n}")))?;
            return Ok(TensorArray::new(dtype, n, dynamic_size));
        }
        let mut ta = TensorArray::new(dtype, 0, dynamic_size);
        ta.run_time_size = Some(crate::ops::math::cast(size, DType::I32)?);
        Ok(ta)
    }

    /// This array ready for `op`: itself, or its dense form when its size is only known at run
    /// time (`hint` is a value about to be written).
    fn settled(&self, op: &str, hint: Option<&Tensor>) -> Result<Option<TensorArray>> {
        match (&self.run_time_size, &self.dense) {
            (Some(_), None) => self.to_dense(op, hint).map(Some),
            _ => Ok(None),
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

    /// Number of elements (written or not); for a dense array inside a trace whose size is only
    /// known at run time, 0 (use [`TensorArray::size`] there).
    pub fn len(&self) -> usize {
        match &self.dense {
            Some(b) => b.dims().first().copied().flatten().unwrap_or(0),
            None => self.size,
        }
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dense buffer (`[size, *element_shape]`) when the array is in its dense form.
    pub fn buffer(&self) -> Option<&Tensor> {
        self.dense.as_ref()
    }

    /// `size()` as TensorFlow returns it: an int32 scalar (symbolic for a dense array in a trace).
    pub fn size(&self) -> Result<Tensor> {
        if let Some(b) = &self.dense {
            return indexing::gather(&array::shape(b)?, &Tensor::from(0i32), 0, 0);
        }
        if let Some(n) = &self.run_time_size {
            return Ok(n.clone());
        }
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

    /// The element at `index` (an integer or a scalar int tensor); zeros for an unwritten element
    /// of fully known shape.
    pub fn read(&self, index: impl Into<ArrayIndex>) -> Result<Tensor> {
        const OP: &str = "TensorArray.read";
        if let Some(ta) = self.settled(OP, None)? {
            return ta.read(index);
        }
        let pos = resolve(OP, index.into())?;
        let index = match (&self.dense, pos) {
            (None, Pos::At(i)) => i,
            (Some(b), pos) => return tensor_list::tensor_list_get_item(b, &index_tensor(OP, pos)?),
            (None, pos) => {
                let dense = self.to_dense(OP, None)?;
                return dense.read(ArrayIndex::Tensor(index_tensor(OP, pos)?));
            }
        };
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

    /// A new array with `value` at `index` (an integer or a scalar int tensor), growing it when
    /// `dynamic_size`.
    pub fn write(&self, index: impl Into<ArrayIndex>, value: &Tensor) -> Result<TensorArray> {
        const OP: &str = "TensorArray.write";
        if let Some(ta) = self.settled(OP, Some(value))? {
            return ta.write(index, value);
        }
        let pos = resolve(OP, index.into())?;
        match (&self.dense, pos) {
            (None, Pos::At(i)) => {
                let mut out = self.clone();
                out.write_in_place(OP, i, value)?;
                Ok(out)
            }
            (Some(_), pos) => self.write_dense(OP, pos, value),
            (None, pos) => self.to_dense(OP, Some(value))?.write_dense(OP, pos, value),
        }
    }

    /// [`TensorArray::write`] taking the array by value (`ta = ta.write_owned(i, &x)?`): when
    /// nothing else holds its elements they are updated in place, so n writes cost O(n log n)
    /// instead of copying the element index on every write. Inside a trace it is `write`.
    pub fn write_owned(self, index: impl Into<ArrayIndex>, value: &Tensor) -> Result<TensorArray> {
        const OP: &str = "TensorArray.write";
        let index = index.into();
        if self.dense.is_none() && self.run_time_size.is_none() {
            if let Pos::At(i) = resolve(OP, index.clone())? {
                let mut out = self;
                out.write_in_place(OP, i, value)?;
                return Ok(out);
            }
        }
        self.write(index, value)
    }

    fn write_dense(&self, op: &str, pos: Pos, value: &Tensor) -> Result<TensorArray> {
        let Some(b) = &self.dense else { return self.to_dense(op, Some(value))?.write_dense(op, pos, value) };
        if value.dtype() != self.dtype {
            return Err(Error::invalid(
                op,
                format!(
                    "cannot write a {} value with shape {} to a {} TensorArray",
                    value.dtype(),
                    shape::fmt_dims(&value.dims()),
                    self.dtype
                ),
            ));
        }
        let fits_now = match (&pos, b.dims().first().copied().flatten()) {
            (Pos::At(i), Some(n)) => *i < n,
            _ => false,
        };
        let index = index_tensor(op, pos)?;
        let buffer = if self.dynamic_size && !fits_now { grow(b, &index)? } else { b.clone() };
        let buffer = tensor_list::tensor_list_set_item(&buffer, &index, value)?;
        Ok(self.with_buffer(buffer))
    }

    /// This array's settings with `buffer` as its dense form.
    fn with_buffer(&self, buffer: Tensor) -> TensorArray {
        let dims = buffer.dims();
        let rest = dims.get(1..).unwrap_or(&[]);
        let elem: Dims = match &self.element_shape {
            Some(e) if e.len() == rest.len() => merge_known(rest, e),
            _ => rest.iter().copied().collect(),
        };
        TensorArray {
            dtype: self.dtype,
            size: dims.first().copied().flatten().unwrap_or(self.size),
            elements: Arc::default(),
            dynamic_size: self.dynamic_size,
            clear_after_read: self.clear_after_read,
            infer_shape: self.infer_shape,
            element_shape: Some(elem),
            dense: Some(buffer),
            run_time_size: None,
        }
    }

    /// The dense form of this array (itself when already dense): every element stacked into one
    /// `[size, *element_shape]` buffer, unwritten ones as zeros. `hint` is a value about to be
    /// written, whose shape stands in for an undeclared element shape.
    pub(crate) fn to_dense(&self, op: &str, hint: Option<&Tensor>) -> Result<TensorArray> {
        if self.dense.is_some() {
            return Ok(self.clone());
        }
        let mut declared = self.element_shape.clone();
        if let (None, Some(h)) = (&declared, hint) {
            declared = Some(h.dims());
        }
        if let Some(size) = &self.run_time_size {
            return self.zeros_of_run_time_size(op, size, declared, hint);
        }
        let full = declared.as_deref().and_then(shape::to_shape).is_some();
        if !full && self.elements.len() < self.size.max(1) {
            return Err(Error::invalid(
                op,
                format!(
                    "this TensorArray must become one dense [size, *element_shape] tensor here (inside a traced \
                     function it is indexed by a tensor or carried through while_loop/cond), but its element \
                     shape is {} and {} of its {} elements were written; pass element_shape \
                     (TensorArray::with_element_shape) or write an element before the loop",
                    declared.as_deref().map_or("unknown".to_string(), shape::fmt_dims),
                    self.elements.len(),
                    self.size
                ),
            ));
        }
        let mut base = self.clone();
        base.element_shape = declared;
        let buffer = base.gather_impl(op, 0..self.size)?;
        Ok(base.with_buffer(buffer))
    }

    /// Whether [`TensorArray::to_dense`] lacks the element shape: it is not fully declared and
    /// the written elements do not cover the array.
    pub(super) fn lacks_element_shape(&self) -> bool {
        let full = self.element_shape.as_deref().and_then(shape::to_shape).is_some();
        let covered = self.run_time_size.is_none() && self.elements.len() >= self.size.max(1);
        self.dense.is_none() && !full && !covered
    }

    /// The dense form of an unwritten array of run-time `size`: zeros of `[size, *element]`,
    /// the element shape `declared` or, where that leaves dims unknown, `hint`'s at run time.
    fn zeros_of_run_time_size(
        &self,
        op: &str,
        size: &Tensor,
        declared: Option<Dims>,
        hint: Option<&Tensor>,
    ) -> Result<TensorArray> {
        let rows = array::reshape(size, &[1])?;
        let (dims, known) = match (declared.as_deref().and_then(shape::to_shape), hint) {
            (Some(s), _) => {
                let elem: Vec<i32> = s.iter().map(|&d| i32::try_from(d).unwrap_or(i32::MAX)).collect();
                let n = elem.len();
                let known = s.iter().map(|&d| d as i64).collect::<Vec<_>>();
                (array::concat(&[rows, Tensor::from_vec(elem, &[n])?], 0)?, known)
            }
            (None, Some(h)) => {
                let known = h.dims().iter().map(|d| d.map_or(array::RUN_TIME_DIM, |d| d as i64)).collect();
                (array::concat(&[rows, array::shape(h)?], 0)?, known)
            }
            (None, None) => {
                return Err(Error::invalid(
                    op,
                    format!(
                        "this TensorArray's size is only known at run time, so it is one dense \
                         [size, *element_shape] tensor from its first use, but its element shape is {}; \
                         pass element_shape or write an element first",
                        declared.as_deref().map_or("unknown".to_string(), shape::fmt_dims)
                    ),
                ))
            }
        };
        let known: Vec<i64> = std::iter::once(array::RUN_TIME_DIM).chain(known).collect();
        let buffer = array::fill_dynamic(&dims, &Tensor::scalar_of(self.dtype, 0.0), &known)?;
        let mut base = self.clone();
        base.run_time_size = None;
        base.element_shape = declared;
        Ok(base.with_buffer(buffer))
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
        Arc::make_mut(&mut self.elements).insert(index, value.clone());
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
        if let Some(ta) = self.settled("TensorArray.stack", None)? {
            return ta.stack();
        }
        if let Some(b) = &self.dense {
            return Ok(b.clone());
        }
        self.gather_impl("TensorArray.stack", 0..self.size)
    }

    /// The elements at `indices`, stacked along a new axis 0.
    pub fn gather(&self, indices: &[usize]) -> Result<Tensor> {
        if let Some(ta) = self.settled("TensorArray.gather", None)? {
            return ta.gather(indices);
        }
        if let Some(b) = &self.dense {
            let idx = indices.iter().map(|&i| i64::try_from(i).unwrap_or(i64::MAX)).collect::<Vec<_>>();
            let n = idx.len();
            return indexing::gather(b, &Tensor::from_vec(idx, &[n])?, 0, 0)
                .map_err(|e| Error { op: Some("TensorArray.gather".to_string()), ..e });
        }
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.size) {
            return Err(Error::new(
                ErrorKind::OutOfRange,
                "TensorArray.gather",
                format!("index {bad} is out of range for a TensorArray of size {}", self.size),
            ));
        }
        self.gather_impl("TensorArray.gather", indices.iter().copied())
    }

    /// The elements at the int32/int64 vector `indices`, stacked along a new axis 0; inside a
    /// traced function the indices may be known only at run time (`ta.gather(tf.range(k, n))`).
    pub fn gather_at(&self, indices: &Tensor) -> Result<Tensor> {
        const OP: &str = "TensorArray.gather";
        let eager = eager_indices(OP, indices)?;
        if let Some(idx) = eager {
            return self.gather(&idx);
        }
        let dense = self.to_dense(OP, None)?;
        let buffer = dense.dense.as_ref().ok_or_else(|| Error::new(ErrorKind::Internal, OP, "no dense buffer"))?;
        indexing::gather(buffer, indices, 0, 0).map_err(|e| Error { op: Some(OP.to_string()), ..e })
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
        if let Some(ta) = self.settled(OP, None)? {
            return ta.concat();
        }
        if let Some(b) = &self.dense {
            let dims = b.dims();
            let rest: Option<Vec<i64>> = dims.get(2..).unwrap_or(&[]).iter().map(|d| d.map(|d| d as i64)).collect();
            return match rest {
                Some(rest) if dims.len() >= 2 => array::reshape(b, &[&[-1][..], &rest].concat()),
                _ => Err(Error::invalid(
                    OP,
                    format!(
                        "elements of shape {} cannot be concatenated here: they need rank >= 1 and known \
                         dimensions after the first",
                        shape::fmt_dims(dims.get(1..).unwrap_or(&[]))
                    ),
                )),
            };
        }
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
        const OP: &str = "TensorArray.unstack";
        if value.is_symbolic() && value.rank() > 0 && value.dims()[0].is_none() {
            // As TensorFlow's TensorListFromTensor: `value` (of run-time length) is the buffer.
            if value.dtype() != self.dtype {
                return Err(Error::invalid(
                    OP,
                    format!("cannot unstack a {} value into a {} TensorArray", value.dtype(), self.dtype),
                ));
            }
            let rows = value.dims();
            if let Some(e) = self.element_shape.as_deref().filter(|e| !compatible(e, &rows[1..])) {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "cannot unstack a value of shape {} into elements of shape {}",
                        shape::fmt_dims(&rows),
                        shape::fmt_dims(e)
                    ),
                ));
            }
            return Ok(self.with_buffer(value.clone()));
        }
        let n = value.shape().first().copied().unwrap_or(0);
        let indices: Vec<usize> = (0..n).collect();
        self.scatter_impl("TensorArray.unstack", &indices, value)
    }

    /// A new array with slice `k` of `value` (along axis 0) written at `indices[k]`.
    pub fn scatter(&self, indices: &[usize], value: &Tensor) -> Result<TensorArray> {
        self.scatter_impl("TensorArray.scatter", indices, value)
    }

    /// [`TensorArray::scatter`] with the int32/int64 vector `indices`, which inside a traced
    /// function may be known only at run time (`ta.scatter(tf.range(k, n), rows)`); a growing
    /// array grows to the largest index.
    pub fn scatter_at(&self, indices: &Tensor, value: &Tensor) -> Result<TensorArray> {
        const OP: &str = "TensorArray.scatter";
        let eager = eager_indices(OP, indices)?;
        if let Some(idx) = eager.filter(|_| value.dims().first().is_some_and(Option::is_some)) {
            return self.scatter(&idx, value);
        }
        self.scatter_dense(OP, indices, value)
    }

    /// Scatter into the dense form, which checks at run time what tracing could not: one row
    /// of `value` per index, each index inside the array.
    fn scatter_dense(&self, op: &str, indices: &Tensor, value: &Tensor) -> Result<TensorArray> {
        if value.rank() == 0 || value.dtype() != self.dtype {
            return Err(Error::invalid(
                op,
                format!(
                    "value must be a {} tensor of rank >= 1 (elements are its slices along axis 0), got {}{}",
                    self.dtype,
                    value.dtype(),
                    shape::fmt_dims(&value.dims())
                ),
            ));
        }
        let mut shaped = self.clone();
        if shaped.element_shape.is_none() {
            shaped.element_shape = Some(value.dims()[1..].iter().copied().collect());
        }
        let dense = shaped.to_dense(op, None)?;
        let b = dense.dense.as_ref().ok_or_else(|| Error::new(ErrorKind::Internal, op, "no dense buffer"))?;
        let buffer = match self.dynamic_size {
            true => grow(b, &crate::ops::reduce::reduce_max(indices, None, false)?)?,
            false => b.clone(),
        };
        let buffer = tensor_list::tensor_list_scatter(&buffer, indices, value)?;
        Ok(dense.with_buffer(buffer))
    }

    fn scatter_impl(&self, op: &str, indices: &[usize], value: &Tensor) -> Result<TensorArray> {
        if self.run_time_size.is_some() && self.dense.is_none() {
            // The slices of `value` tell the element shape.
            let mut shaped = self.clone();
            if shaped.element_shape.is_none() {
                shaped.element_shape = value.dims().get(1..).map(|d| d.iter().copied().collect());
            }
            return shaped.to_dense(op, None)?.scatter_impl(op, indices, value);
        }
        if value.rank() == 0 {
            return Err(Error::invalid(
                op,
                format!(
                    "value must have rank >= 1 (elements are its slices along axis 0), got a {} scalar",
                    value.dtype()
                ),
            ));
        }
        let rows = value.dims()[0];
        if rows.is_some_and(|r| r != indices.len()) {
            return Err(Error::invalid(
                op,
                format!(
                    "value has shape {} ({} slices along axis 0) but {} indices were given",
                    shape::fmt_dims(&value.dims()),
                    rows.unwrap_or(0),
                    indices.len()
                ),
            ));
        }
        let mut out = self.clone();
        if indices.is_empty() {
            return Ok(out);
        }
        if rows.is_none() {
            // A traced value of run-time length: the dense scatter checks its rows when the graph runs.
            let idx = indices.iter().map(|&i| i64::try_from(i).unwrap_or(i64::MAX)).collect::<Vec<_>>();
            return self.scatter_dense(op, &Tensor::from_vec(idx, &[indices.len()])?, value);
        }
        let parts = array::unstack(value, 0).map_err(|e| Error { op: Some(op.to_string()), ..e })?;
        for (&i, part) in indices.iter().zip(&parts) {
            if out.dense.is_some() {
                out = out.write_dense(op, Pos::At(i), part)?;
            } else {
                out.write_in_place(op, i, part)?;
            }
        }
        Ok(out)
    }
}

/// Whether two partially known shapes can describe the same tensor.
fn compatible(a: &[Dim], b: &[Dim]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.zip(*y).is_none_or(|(x, y)| x == y))
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

thread_local! {
    /// Set while [`sparse_structure`] runs: arrays keep their elements instead of densifying.
    static KEEP_SPARSE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `v` as a structure whose arrays stay as they are, also inside a trace (where flattening
/// makes them dense, which needs their element shape).
pub(super) fn sparse_structure<V: Nest>(v: &V) -> Structure {
    let before = KEEP_SPARSE.with(|k| k.replace(true));
    let s = v.to_structure();
    KEEP_SPARSE.with(|k| k.set(before));
    s
}

/// A `TensorArray` is a leaf structure: inside a trace it flattens to its dense buffer (so loops
/// and branches carry it as one tensor), eagerly to no tensors (its elements stay Rust state).
impl Nest for TensorArray {
    fn to_structure(&self) -> Structure {
        if self.dense.is_none() && crate::function::trace::is_tracing() && !KEEP_SPARSE.with(|k| k.get()) {
            match self.to_dense("TensorArray", None) {
                Ok(d) => return Structure::TensorArray(Box::new(d)),
                // Surfaces when the trace ends, ahead of any follow-on error this one causes.
                Err(e) => crate::function::trace::fail(e),
            }
        }
        Structure::TensorArray(Box::new(self.clone()))
    }

    fn from_structure(s: Structure) -> Result<Self> {
        match s {
            Structure::TensorArray(ta) => Ok(*ta),
            other => {
                Err(Error::invalid("nest", format!("expected a TensorArray, got the structure {}", other.describe())))
            }
        }
    }
}

impl TensorArray {
    /// The tensors this array flattens to (its dense buffer, if any).
    pub(crate) fn flow(&self) -> Option<&Tensor> {
        self.dense.as_ref()
    }

    /// This array with `buffer` in place of its dense buffer (a sparse array is returned as is).
    pub(crate) fn with_flow(&self, buffer: &Tensor) -> TensorArray {
        match self.dense {
            Some(_) => self.with_buffer(buffer.clone()),
            None => self.clone(),
        }
    }

    /// The dims a loop may let its buffer take: any size when it may grow.
    pub(crate) fn loop_dims(&self) -> Option<Dims> {
        let b = self.dense.as_ref()?;
        let mut dims = b.dims();
        if self.dynamic_size {
            if let Some(d) = dims.first_mut() {
                *d = None;
            }
        }
        Some(dims)
    }
}
