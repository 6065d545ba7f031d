//! `Variable`: a named, shared, mutable tensor value (TensorFlow's `tf.Variable`).
//!
//! There is no global registry: a variable lives exactly as long as something holds it
//! (a model, a closure, a checkpoint), and its buffer is freed with the last holder.

use crate::error::{Error, Result};
use crate::graph::AssignMode;
use crate::shape;
use crate::tensor::{fresh_id, Tensor};
use crate::DType;
use std::sync::{Arc, RwLock};

struct Inner {
    handle: u64,
    name: String,
    trainable: bool,
    dtype: DType,
    shape: Vec<usize>,
    value: RwLock<Tensor>,
}

/// A mutable tensor with a fixed dtype and shape, shared by every clone of the handle.
#[derive(Clone)]
pub struct Variable(Arc<Inner>);

impl std::fmt::Debug for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<tf.Variable '{}' shape={} dtype={}>",
            self.name(),
            shape::ShapeDisplay(&shape::to_dims(&self.0.shape)),
            self.0.dtype
        )
    }
}

impl Variable {
    /// A trainable variable named after the current name scope + `name` (e.g. `dense/kernel:0`).
    pub fn new(initial: Tensor, name: &str) -> Variable {
        Variable::with_trainable(initial, name, true)
    }

    /// A variable with an explicit `trainable` flag.
    pub fn with_trainable(initial: Tensor, name: &str, trainable: bool) -> Variable {
        // Inside a traced function the initializer is symbolic: evaluate it now (TensorFlow lifts
        // variable initializers out of the function the same way). A failure fails the trace.
        let (initial, lift_error) = match crate::function::trace::lift_to_eager(&initial) {
            Ok(t) => (t, None),
            Err(e) => (initial, Some(e)),
        };
        let full = crate::module::scoped_name(if name.is_empty() { "Variable" } else { name });
        let var = Variable(Arc::new(Inner {
            handle: fresh_id(),
            name: format!("{full}:0"),
            trainable,
            dtype: initial.dtype(),
            shape: initial.shape().to_vec(),
            value: RwLock::new(initial),
        }));
        crate::function::trace::on_variable_created(&var, lift_error);
        var
    }

    /// Full name, with scope and output index: `dense/kernel:0`.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether optimizers and tapes treat it as trainable.
    pub fn trainable(&self) -> bool {
        self.0.trainable
    }

    /// The fixed dtype.
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// The fixed shape.
    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }

    /// Id that tapes use to watch this variable (stable across assignments).
    pub fn handle_id(&self) -> u64 {
        self.0.handle
    }

    /// True when both handles refer to the same variable.
    pub fn same(&self, other: &Variable) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Number of live handles to this variable (for memory-release checks).
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.0)
    }

    fn current(&self) -> Tensor {
        match self.0.value.read() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the current value; recorded on tapes so gradients flow to the variable.
    pub fn read_value(&self) -> Tensor {
        if let Some(sym) = crate::function::trace::read_variable(self) {
            match sym {
                Ok(t) => {
                    // Tapes inside the traced function differentiate with respect to variables.
                    crate::tape::record_variable_read(self, &t);
                    return t;
                }
                // Only an internal failure gets here; the eager value keeps the trace going and
                // the failure is reported when the trace ends.
                Err(e) => crate::function::trace::fail(e),
            }
        }
        let v = self.current().fresh();
        crate::tape::record_variable_read(self, &v);
        v
    }

    /// Same as `read_value` (TensorFlow's `v.value()`).
    pub fn value(&self) -> Tensor {
        self.read_value()
    }

    /// The current value without recording on tapes (`v.numpy()`-style inspection).
    pub fn peek(&self) -> Tensor {
        self.current()
    }

    fn check(&self, op: &str, t: &Tensor) -> Result<()> {
        if t.dtype() != self.0.dtype || t.shape() != self.0.shape.as_slice() {
            return Err(Error::invalid(
                op,
                format!(
                    "variable '{}' is {}{:?}; cannot assign a {}{:?} value",
                    self.name(),
                    self.0.dtype,
                    self.0.shape,
                    t.dtype(),
                    t.shape()
                ),
            ));
        }
        Ok(())
    }

    fn store(&self, t: Tensor) {
        match self.0.value.write() {
            Ok(mut v) => *v = t,
            Err(poisoned) => *poisoned.into_inner() = t,
        }
    }

    /// Replaces the value (same dtype and shape required).
    pub fn assign(&self, value: &Tensor) -> Result<()> {
        if let Some(r) = crate::function::trace::assign_variable(self, AssignMode::Set, value) {
            return r;
        }
        self.check("assign", value)?;
        self.store(value.fresh());
        Ok(())
    }

    /// Adds `delta` in place (`v.assign_add(delta)`); `delta` broadcasts to the variable's shape.
    pub fn assign_add(&self, delta: &Tensor) -> Result<()> {
        if let Some(r) = crate::function::trace::assign_variable(self, AssignMode::Add, delta) {
            return r;
        }
        let sum = crate::tape::no_record(|| crate::ops::math::add(&self.current(), delta))?;
        self.check("assign_add", &sum)?;
        self.store(sum);
        Ok(())
    }

    /// Subtracts `delta` in place (`v.assign_sub(delta)`).
    pub fn assign_sub(&self, delta: &Tensor) -> Result<()> {
        if let Some(r) = crate::function::trace::assign_variable(self, AssignMode::Sub, delta) {
            return r;
        }
        let diff = crate::tape::no_record(|| crate::ops::math::sub(&self.current(), delta))?;
        self.check("assign_sub", &diff)?;
        self.store(diff);
        Ok(())
    }
}
