//! The immutable, cheaply cloned `Tensor` and its typed storage.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::{self, Dims, Shape};
use smallvec::SmallVec;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Contiguous, row-major element storage of one dtype.
#[derive(Clone, Debug, PartialEq)]
pub enum Storage {
    /// float32 elements.
    F32(Vec<f32>),
    /// float64 elements.
    F64(Vec<f64>),
    /// int32 elements.
    I32(Vec<i32>),
    /// int64 elements.
    I64(Vec<i64>),
    /// bool elements.
    Bool(Vec<bool>),
}

impl Storage {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            Storage::F32(_) => DType::F32,
            Storage::F64(_) => DType::F64,
            Storage::I32(_) => DType::I32,
            Storage::I64(_) => DType::I64,
            Storage::Bool(_) => DType::Bool,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Storage::F32(v) => v.len(),
            Storage::F64(v) => v.len(),
            Storage::I32(v) => v.len(),
            Storage::I64(v) => v.len(),
            Storage::Bool(v) => v.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` zero elements of `dtype` (false for bool).
    pub fn zeros(dtype: DType, n: usize) -> Storage {
        match dtype {
            DType::F32 => Storage::F32(vec![0.0; n]),
            DType::F64 => Storage::F64(vec![0.0; n]),
            DType::I32 => Storage::I32(vec![0; n]),
            DType::I64 => Storage::I64(vec![0; n]),
            DType::Bool => Storage::Bool(vec![false; n]),
        }
    }

    /// Element `i` converted to f64 (bool as 0/1).
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            Storage::F32(v) => v[i] as f64,
            Storage::F64(v) => v[i],
            Storage::I32(v) => v[i] as f64,
            Storage::I64(v) => v[i] as f64,
            Storage::Bool(v) => v[i] as u8 as f64,
        }
    }
}

/// A Rust element type that a tensor can hold.
pub trait Element: Copy + Send + Sync + PartialEq + PartialOrd + std::fmt::Debug + 'static {
    /// The dtype holding this element type.
    const DTYPE: DType;
    /// The elements of `s` when it holds this type.
    fn slice(s: &Storage) -> Option<&[Self]>;
    /// Wraps a vector into storage.
    fn into_storage(v: Vec<Self>) -> Storage;
    /// The elements of `s` for writing, when it holds this type.
    fn slice_mut(s: &mut Storage) -> Option<&mut [Self]>;
    /// Unwraps storage holding this type.
    fn from_storage(s: Storage) -> Option<Vec<Self>>;
    /// Converts to f64 (for printing, tests and casts).
    fn to_f64(self) -> f64;
    /// Converts from f64 with `as` semantics (truncation toward zero for integers).
    fn from_f64(v: f64) -> Self;
}

macro_rules! element {
    ($t:ty, $d:ident, $to:expr, $from:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn slice(s: &Storage) -> Option<&[Self]> {
                match s {
                    Storage::$d(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(s: &mut Storage) -> Option<&mut [Self]> {
                match s {
                    Storage::$d(v) => Some(v),
                    _ => None,
                }
            }
            fn into_storage(v: Vec<Self>) -> Storage {
                Storage::$d(v)
            }
            fn from_storage(s: Storage) -> Option<Vec<Self>> {
                match s {
                    Storage::$d(v) => Some(v),
                    _ => None,
                }
            }
            fn to_f64(self) -> f64 {
                let f: fn($t) -> f64 = $to;
                f(self)
            }
            fn from_f64(v: f64) -> Self {
                let f: fn(f64) -> $t = $from;
                f(v)
            }
        }
    };
}
element!(f32, F32, |x| x as f64, |v| v as f32);
element!(f64, F64, |x| x, |v| v);
element!(i32, I32, |x| x as f64, |v| v as i32);
element!(i64, I64, |x| x as f64, |v| v as i64);
element!(bool, Bool, |x| x as u8 as f64, |v| v != 0.0);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh process-unique id for a tensor or variable handle (tapes track values by id).
pub fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

#[derive(Debug)]
struct Inner {
    id: u64,
    shape: Shape,
    data: Arc<Storage>,
    sym: Option<Box<Symbol>>,
}

/// Where a symbolic tensor lives: an output of a node in the graph of one trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    /// The trace (see `function::trace`) whose graph holds the value.
    pub trace: u64,
    /// The node output in that graph.
    pub output: crate::graph::Output,
    /// Name of what the node computes (`add`, `placeholder`), for display.
    pub op: &'static str,
    /// Dimensions, `None` where only known at run time.
    pub dims: Dims,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last holder of a large buffer hands it back for reuse by later kernel outputs.
        if let Some(storage) = Arc::get_mut(&mut self.data) {
            crate::kernels::elementwise::recycle(storage);
        }
    }
}

/// An immutable n-dimensional array (TensorFlow's eager `tf.Tensor`).
///
/// Cloning is cheap (a reference count). Each tensor value has a unique id that
/// gradient tapes use to follow it; views such as `reshape` share the buffer but get a new id.
/// `Display` and `Debug` print like TensorFlow's `print(t)` and `repr(t)`.
#[derive(Clone)]
pub struct Tensor(Arc<Inner>);

impl Tensor {
    /// Wraps storage with a shape; fails when the element count does not match.
    pub fn from_storage(data: Storage, shape: &[usize]) -> Result<Tensor> {
        Tensor::from_shared(Arc::new(data), shape)
    }

    /// Wraps a shared buffer with a shape (a view: no copy).
    pub fn from_shared(data: Arc<Storage>, shape: &[usize]) -> Result<Tensor> {
        let n = shape::checked_num_elements(shape).unwrap_or(usize::MAX);
        if n != data.len() {
            return Err(Error::invalid(
                "Tensor",
                format!(
                    "{} values of dtype {} cannot fill shape {} (needs {n})",
                    data.len(),
                    data.dtype(),
                    shape::fmt_shape(shape)
                ),
            ));
        }
        Ok(Tensor(Arc::new(Inner { id: fresh_id(), shape: SmallVec::from_slice(shape), data, sym: None })))
    }

    /// Builds a tensor from a vector of elements and a shape.
    pub fn from_vec<T: Element>(values: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        Tensor::from_storage(T::into_storage(values), shape)
    }

    /// A rank-0 tensor.
    pub fn scalar<T: Element>(value: T) -> Tensor {
        Tensor(Arc::new(Inner {
            id: fresh_id(),
            shape: Shape::new(),
            data: Arc::new(T::into_storage(vec![value])),
            sym: None,
        }))
    }

    /// A scalar of `dtype` holding `value` converted with `as` semantics.
    pub fn scalar_of(dtype: DType, value: f64) -> Tensor {
        let s = match dtype {
            DType::F32 => Storage::F32(vec![value as f32]),
            DType::F64 => Storage::F64(vec![value]),
            DType::I32 => Storage::I32(vec![value as i32]),
            DType::I64 => Storage::I64(vec![value as i64]),
            DType::Bool => Storage::Bool(vec![value != 0.0]),
        };
        Tensor(Arc::new(Inner { id: fresh_id(), shape: Shape::new(), data: Arc::new(s), sym: None }))
    }

    /// A symbolic tensor: the value `output` of the graph under construction in trace `trace`.
    /// It has a dtype and (partial) shape but no elements until the graph runs.
    pub fn symbolic(trace: u64, output: crate::graph::Output, op: &'static str, dtype: DType, dims: Dims) -> Tensor {
        // Unknown dims read as 0 through `shape()`; code that needs them must use `dims()`.
        let shape = dims.iter().map(|d| d.unwrap_or(0)).collect();
        Tensor(Arc::new(Inner {
            id: fresh_id(),
            shape,
            data: Arc::new(Storage::zeros(dtype, 0)),
            sym: Some(Box::new(Symbol { trace, output, op, dims })),
        }))
    }

    /// The graph location of a symbolic tensor; `None` for an eager tensor with values.
    pub fn symbol(&self) -> Option<&Symbol> {
        self.0.sym.as_deref()
    }

    /// True for a symbolic tensor (a value of a function being traced).
    pub fn is_symbolic(&self) -> bool {
        self.0.sym.is_some()
    }

    /// Fails with a clear message when `self` is symbolic: `what` needs concrete values.
    pub fn expect_eager(&self, what: &str) -> Result<()> {
        match &self.0.sym {
            None => Ok(()),
            Some(s) => Err(Error::invalid(
                what,
                format!(
                    "needs the values of a tensor, but this is a symbolic {} tensor with shape {} inside a \
                     traced function (its value exists only when the function runs)",
                    self.dtype(),
                    shape::fmt_dims(&s.dims)
                ),
            )),
        }
    }

    /// The same buffer under a new shape and a new id (no copy).
    pub fn view(&self, shape: &[usize]) -> Result<Tensor> {
        self.expect_eager("Tensor.view")?;
        Tensor::from_shared(self.0.data.clone(), shape)
    }

    /// The same value under a new id (the tape sees it as a different tensor).
    pub fn fresh(&self) -> Tensor {
        Tensor(Arc::new(Inner {
            id: fresh_id(),
            shape: self.0.shape.clone(),
            data: self.0.data.clone(),
            sym: self.0.sym.clone(),
        }))
    }

    /// Process-unique id of this tensor value.
    pub fn id(&self) -> u64 {
        self.0.id
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.0.data.dtype()
    }

    /// The static shape.
    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }

    /// The shape as partially known dims (all known for eager tensors).
    pub fn dims(&self) -> Dims {
        match &self.0.sym {
            Some(s) => s.dims.clone(),
            None => shape::to_dims(&self.0.shape),
        }
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.0.shape.len()
    }

    /// Number of elements (0 for a symbolic tensor whose shape is not fully known).
    pub fn size(&self) -> usize {
        match &self.0.sym {
            Some(_) => self.0.shape.iter().product(),
            None => self.0.data.len(),
        }
    }

    /// The underlying storage.
    pub fn storage(&self) -> &Storage {
        &self.0.data
    }

    /// Write access to the elements, only when this handle is the sole holder of both the
    /// tensor value and its buffer (so no one can observe the change).
    pub(crate) fn storage_mut(&mut self) -> Option<&mut Storage> {
        let inner = Arc::get_mut(&mut self.0)?;
        if inner.sym.is_some() {
            return None;
        }
        Arc::get_mut(&mut inner.data)
    }

    /// The shared buffer (to build views).
    pub fn shared_storage(&self) -> &Arc<Storage> {
        &self.0.data
    }

    /// Borrows the elements as a slice of `T`; fails naming both dtypes on mismatch.
    pub fn as_slice<T: Element>(&self) -> Result<&[T]> {
        self.expect_eager("Tensor")?;
        T::slice(&self.0.data).ok_or_else(|| {
            Error::invalid(
                "Tensor",
                format!("tensor has dtype {}, but {} elements were requested", self.dtype(), T::DTYPE),
            )
        })
    }

    /// Copies the elements into a vector of `T` (dtype must match).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.as_slice::<T>().map(|s| s.to_vec())
    }

    /// All elements converted to f64, row-major.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        (0..self.0.data.len()).map(|i| self.0.data.get_f64(i)).collect()
    }

    /// The single element of a one-element tensor, as `T` (dtype must match).
    pub fn item<T: Element>(&self) -> Result<T> {
        let s = self.as_slice::<T>()?;
        if s.len() != 1 {
            return Err(Error::invalid(
                "Tensor.item",
                format!("expected a tensor with one element, got shape {}", shape::fmt_shape(self.shape())),
            ));
        }
        Ok(s[0])
    }

    /// True when both tensors are the same value object (same id).
    pub fn same(&self, other: &Tensor) -> bool {
        self.0.id == other.0.id
    }
}

// Nested Rust arrays and vectors convert into tensors: `Tensor::from([[1.0f32, 2.0], [3.0, 4.0]])`.
macro_rules! from_scalar {
    ($($t:ty),*) => {$(
        impl From<$t> for Tensor {
            fn from(v: $t) -> Tensor { Tensor::scalar(v) }
        }
        impl<const N: usize> From<[$t; N]> for Tensor {
            fn from(v: [$t; N]) -> Tensor { Tensor::from_vec(v.to_vec(), &[N]).expect("length matches shape") }
        }
        impl<const N: usize, const M: usize> From<[[$t; N]; M]> for Tensor {
            fn from(v: [[$t; N]; M]) -> Tensor {
                Tensor::from_vec(v.iter().flatten().copied().collect(), &[M, N]).expect("length matches shape")
            }
        }
        impl<const N: usize, const M: usize, const K: usize> From<[[[$t; N]; M]; K]> for Tensor {
            fn from(v: [[[$t; N]; M]; K]) -> Tensor {
                Tensor::from_vec(v.iter().flatten().flatten().copied().collect(), &[K, M, N]).expect("length matches shape")
            }
        }
        impl From<Vec<$t>> for Tensor {
            fn from(v: Vec<$t>) -> Tensor { let n = v.len(); Tensor::from_vec(v, &[n]).expect("length matches shape") }
        }
        impl From<&[$t]> for Tensor {
            fn from(v: &[$t]) -> Tensor { Tensor::from_vec(v.to_vec(), &[v.len()]).expect("length matches shape") }
        }
    )*};
}
from_scalar!(f32, f64, i32, i64, bool);
