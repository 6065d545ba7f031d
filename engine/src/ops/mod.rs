//! The op registry: every op is one `OpDef` (name, shape/dtype rule, kernel, gradient,
//! stateful flag), and `execute` is the single entry point that runs one.

use crate::attrs::Attrs;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::{self, Dims, Shape};
use crate::tensor::{Element, Tensor};
use smallvec::SmallVec;
use std::collections::HashMap;
use std::sync::OnceLock;

pub mod array;
pub mod array_dynamic;
pub mod fused;
pub mod indexing;
pub mod io;
pub mod linalg;
pub mod math;
pub mod nn;
pub mod random_ops;
pub mod random_sampling;
pub mod rearrange;
pub mod reduce;
pub mod segment;
pub mod shape_like;
pub mod slicing;
pub mod slicing_dynamic;
pub mod tensor_list;
pub mod unique;

/// The dtype and (possibly partial) shape of an op input or output.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Element type.
    pub dtype: DType,
    /// Dimensions; `None` where unknown (only while tracing).
    pub dims: Dims,
}

impl Spec {
    /// The spec of an eager tensor.
    pub fn of(t: &Tensor) -> Spec {
        Spec { dtype: t.dtype(), dims: t.dims() }
    }

    /// A spec with a fully known shape.
    pub fn new(dtype: DType, shape: &[usize]) -> Spec {
        Spec { dtype, dims: shape::to_dims(shape) }
    }

    /// Rank of the spec.
    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// The static shape, when fully known.
    pub fn shape(&self) -> Option<Shape> {
        shape::to_shape(&self.dims)
    }

    /// Shape for messages: `[2, None]`.
    pub fn fmt_dims(&self) -> String {
        shape::fmt_dims(&self.dims)
    }

    /// `float32[2, 3]`, as error messages show an operand.
    pub fn describe(&self) -> String {
        format!("{}{}", self.dtype, self.fmt_dims())
    }
}

/// Shape and dtype inference: validates inputs and attributes, returns output specs.
pub type InferFn = fn(&[Spec], &Attrs) -> Result<Vec<Spec>>;
/// CPU kernel: computes outputs from eager inputs (specs already validated by `InferFn`).
pub type KernelFn = fn(&[Tensor], &Attrs, &[Spec]) -> Result<Vec<Tensor>>;
/// In-place kernel: like [`KernelFn`], but the caller hands over input `k` (it holds the only
/// reference to that tensor and its buffer, and never reads it again), and output 0 may be
/// written into that buffer. Returns `Ok(None)`, having changed nothing, when this call cannot
/// run in place (the caller then runs the ordinary kernel). Results must be bit-identical. The
/// caller offers a buffer of output 0's shape, or any buffer of its dtype when the shape rule
/// leaves that shape unknown (the kernel then checks what it needs).
pub type InplaceFn = fn(&mut [Tensor], usize, &Attrs, &[Spec]) -> Result<Option<Vec<Tensor>>>;
/// Gradient: input gradients from output gradients, written with ops so it can be taped again.
pub type GradFn = fn(&GradCtx) -> Result<Vec<Option<Tensor>>>;

/// Everything a gradient function sees about one recorded op call.
pub struct GradCtx<'a> {
    /// The op's inputs.
    pub inputs: &'a [Tensor],
    /// The op's outputs.
    pub outputs: &'a [Tensor],
    /// Gradient flowing into each output (`None` when that output is unused).
    pub grads: &'a [Option<Tensor>],
    /// The op's attributes.
    pub attrs: &'a Attrs,
}

impl GradCtx<'_> {
    /// Gradient of output `i`, zeros when nothing flowed into it.
    pub fn grad(&self, i: usize) -> Result<Tensor> {
        match &self.grads[i] {
            Some(g) => Ok(g.clone()),
            None => array::zeros_like(&self.outputs[i]),
        }
    }
}

/// The single definition of an op.
pub struct OpDef {
    /// TensorFlow name of the op (`AddV2` style names are not used: `add`, `matmul`, ...).
    pub name: &'static str,
    /// Shape/dtype rule.
    pub infer: InferFn,
    /// CPU kernel.
    pub kernel: KernelFn,
    /// Gradient, `None` for non-differentiable ops.
    pub grad: Option<GradFn>,
    /// True when the op has side effects or randomness (keeps program order, never folded).
    pub stateful: bool,
    /// Kernel variant that reuses the buffer of an input at its last use (the graph executor
    /// offers intermediates it owns; eager execution never does, eager values are the user's).
    pub inplace: Option<InplaceFn>,
}

impl std::fmt::Debug for OpDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpDef({})", self.name)
    }
}

/// Every registered op, across all families.
pub fn registry() -> &'static [&'static OpDef] {
    static ALL: OnceLock<Vec<&'static OpDef>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<&'static OpDef> = Vec::new();
        v.extend_from_slice(math::OPS);
        v.extend_from_slice(reduce::OPS);
        v.extend_from_slice(array::OPS);
        v.extend_from_slice(rearrange::OPS);
        v.extend_from_slice(unique::OPS);
        v.extend_from_slice(slicing::OPS);
        v.extend_from_slice(slicing_dynamic::OPS);
        v.extend_from_slice(indexing::OPS);
        v.extend_from_slice(segment::OPS);
        v.extend_from_slice(linalg::OPS);
        v.extend_from_slice(nn::OPS);
        v.extend_from_slice(random_ops::OPS);
        v.extend_from_slice(random_sampling::OPS);
        v.extend_from_slice(io::OPS);
        v.extend_from_slice(fused::OPS);
        v.extend_from_slice(tensor_list::OPS);
        v.extend_from_slice(shape_like::OPS);
        v.extend_from_slice(crate::summary::write::OPS);
        v
    })
}

/// Finds an op by name.
pub fn lookup(name: &str) -> Option<&'static OpDef> {
    static BY_NAME: OnceLock<HashMap<&'static str, &'static OpDef>> = OnceLock::new();
    BY_NAME.get_or_init(|| registry().iter().map(|op| (op.name, *op)).collect()).get(name).copied()
}

/// Runs `op` on `inputs` now and records it on every active gradient tape that watches an input;
/// while a function is being traced, adds the call to its graph instead. Fails with
/// `CancelledError` before starting when the current cancel token was cancelled.
pub fn execute(op: &'static OpDef, inputs: &[Tensor], attrs: Attrs) -> Result<Vec<Tensor>> {
    crate::cancel::check(op.name)?;
    if crate::function::trace::is_tracing() {
        return crate::function::trace::add_op(op, inputs, &attrs);
    }
    if let Some(t) = inputs.iter().find(|t| t.is_symbolic()) {
        return Err(Error::invalid(
            op.name,
            format!(
                "got a symbolic {} tensor with shape {} outside the traced function it belongs to; a traced \
                 value cannot escape its function (return it from the function instead)",
                t.dtype(),
                shape::fmt_dims(&t.dims())
            ),
        ));
    }
    let specs: SmallVec<[Spec; 4]> = inputs.iter().map(Spec::of).collect();
    let out_specs = (op.infer)(&specs, &attrs)?;
    for s in &out_specs {
        if let Some(shape) = s.shape() {
            shape::check_allocation(op.name, s.dtype, &shape)?;
        }
    }
    let outputs = (op.kernel)(inputs, &attrs, &out_specs).map_err(|e| crate::cancel::attribute(e, op.name))?;
    if outputs.len() != out_specs.len() {
        return Err(Error::new(
            crate::ErrorKind::Internal,
            op.name,
            format!("kernel returned {} outputs, shape rule promised {}", outputs.len(), out_specs.len()),
        ));
    }
    if op.grad.is_some() {
        crate::tape::record_op(op, inputs, &outputs, &attrs);
    }
    Ok(outputs)
}

/// The elements of input `k` for writing, and the inputs before and after it, when the caller
/// handed `inputs[k]` over as [`InplaceFn`] describes and it holds `T`.
pub(crate) fn split_donated<T: Element>(inputs: &mut [Tensor], k: usize) -> Option<(&mut [T], &[Tensor], &[Tensor])> {
    if k >= inputs.len() {
        return None;
    }
    let (before, rest) = inputs.split_at_mut(k);
    let (target, after) = rest.split_first_mut()?;
    let elems = T::slice_mut(target.storage_mut()?)?;
    Some((elems, before, after))
}

/// The result of an in-place kernel: the (now overwritten) buffer of input `k` under `shape`,
/// as a new tensor value.
pub(crate) fn donated_output(inputs: &[Tensor], k: usize, shape: &[usize]) -> Result<Tensor> {
    let t = inputs.get(k).ok_or_else(|| Error::new(crate::ErrorKind::Internal, "inplace", "donated input missing"))?;
    Tensor::from_shared(t.shared_storage().clone(), shape)
}

/// Runs a single-output op.
pub fn execute1(op: &'static OpDef, inputs: &[Tensor], attrs: Attrs) -> Result<Tensor> {
    let mut out = execute(op, inputs, attrs)?;
    out.pop().ok_or_else(|| Error::new(crate::ErrorKind::Internal, op.name, "op produced no output"))
}

/// Fails unless `specs` has exactly `n` inputs.
pub fn expect_arity(op: &str, specs: &[Spec], n: usize) -> Result<()> {
    if specs.len() != n {
        return Err(Error::invalid(op, format!("expected {n} inputs, got {}", specs.len())));
    }
    Ok(())
}

/// Fails unless both operands have the same dtype (TensorFlow never promotes implicitly).
pub fn expect_same_dtype(op: &str, a: &Spec, b: &Spec) -> Result<()> {
    if a.dtype != b.dtype {
        return Err(Error::invalid(
            op,
            format!(
                "cannot compute {op} of a {} tensor with shape {} and a {} tensor with shape {}: \
                 dtypes must match (no implicit promotion; use cast)",
                a.dtype,
                a.fmt_dims(),
                b.dtype,
                b.fmt_dims()
            ),
        ));
    }
    Ok(())
}

/// Fails unless `spec`'s dtype is one of `allowed`.
pub fn expect_dtype_in(op: &str, spec: &Spec, allowed: &[DType]) -> Result<()> {
    if !allowed.contains(&spec.dtype) {
        let names: Vec<&str> = allowed.iter().map(|d| d.name()).collect();
        return Err(Error::invalid(
            op,
            format!("got a {} tensor with shape {}; expected dtype {}", spec.dtype, spec.fmt_dims(), names.join(", ")),
        ));
    }
    Ok(())
}

/// Float dtypes.
pub const FLOATS: &[DType] = &[DType::F32, DType::F64];
/// Numeric dtypes (everything but bool).
pub const NUMERIC: &[DType] = &[DType::F32, DType::F64, DType::I32, DType::I64];

/// Runs `$body` with `$T` bound to the Rust element type of a numeric dtype.
#[macro_export]
macro_rules! with_numeric {
    ($dtype:expr, $T:ident => $body:expr, bool => $other:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::Bool => $other,
        }
    };
}

/// Runs `$body` with `$T` bound to the Rust element type of a float dtype.
#[macro_export]
macro_rules! with_float {
    ($dtype:expr, $T:ident => $body:expr, other => $other:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            _ => $other,
        }
    };
}

/// Runs `$body` with `$T` bound to the Rust element type of any dtype.
#[macro_export]
macro_rules! with_any {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
        }
    };
}
