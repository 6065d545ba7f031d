//! Control flow: `cond`, `switch_case`, `while_loop` and `TensorArray` (TensorFlow's
//! `tf.cond`, `tf.switch_case`, `tf.while_loop` and `tf.TensorArray`).
//!
//! Outside a trace these run eagerly: the chosen branch or the loop body simply executes its ops,
//! so an active `GradientTape` records exactly the ops that ran and differentiates through them.
//! Inside a graph the same constructs are nodes holding sub-graphs (see
//! [`crate::graph::control`]); the graph-building entry points here take already-built
//! sub-graphs, so a tracer only has to trace each branch or loop function into one.
//!
//! Loop variables and branch results are nested structures of tensors and `TensorArray`s ([`nest`]).

mod accumulator;
mod branch;
mod gradients;
pub mod nest;
mod tensor_array;
mod traced;
mod while_loop;

pub use branch::{cond, switch_case};
pub use nest::{assert_same_structure, Nest, Structure};
pub use tensor_array::{ArrayIndex, TensorArray};
pub(crate) use traced::replay_node;
pub use while_loop::{while_loop, WhileOptions};

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape;
use crate::tensor::Tensor;

/// Reads a scalar bool (a predicate), naming `op` and `what` when it is anything else.
pub(crate) fn scalar_bool(op: &str, what: &str, t: &Tensor) -> Result<bool> {
    if t.dtype() != DType::Bool || t.rank() != 0 {
        return Err(Error::invalid(
            op,
            format!(
                "{what} must be a scalar bool tensor, got a {} tensor with shape {}",
                t.dtype(),
                shape::fmt_shape(t.shape())
            ),
        ));
    }
    t.item::<bool>()
}

/// Reads a scalar int32/int64 (a branch index), naming `op` and `what` otherwise.
pub(crate) fn scalar_index(op: &str, what: &str, t: &Tensor) -> Result<i64> {
    match (t.dtype(), t.rank()) {
        (DType::I32, 0) => Ok(i64::from(t.item::<i32>()?)),
        (DType::I64, 0) => t.item::<i64>(),
        _ => Err(Error::invalid(
            op,
            format!(
                "{what} must be a scalar int32 or int64 tensor, got a {} tensor with shape {}",
                t.dtype(),
                shape::fmt_shape(t.shape())
            ),
        )),
    }
}
