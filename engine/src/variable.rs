//! `Variable`: a named, shared, mutable tensor value (TensorFlow's `tf.Variable`).
//!
//! There is no global registry: a variable lives exactly as long as something holds it
//! (a model, a closure, a checkpoint), and its buffer is freed with the last holder.

use crate::attrs::Attrs;
use crate::error::{Error, Result};
use crate::graph::AssignMode;
use crate::ops::Spec;
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

    /// `value = value <op> delta` written into the variable's own buffer, when nothing else
    /// holds that buffer (no earlier read is still alive, on a tape or elsewhere) and the result
    /// keeps the variable's shape. Returns false, having changed nothing, when it cannot.
    fn update_in_place(&self, op: &'static crate::ops::OpDef, delta: &Tensor) -> Result<bool> {
        let Some(inplace) = op.inplace else { return Ok(false) };
        let spec = Spec::new(self.dtype(), self.shape());
        if delta.is_symbolic()
            || (op.infer)(&[spec.clone(), Spec::of(delta)], &Attrs::new()).ok() != Some(vec![spec.clone()])
        {
            return Ok(false);
        }
        // The kernel overwrites the variable's only buffer: a cancellation is honoured before
        // the first element is written, never halfway through.
        crate::cancel::check(op.name)?;
        let mut slot = match self.0.value.write() {
            Ok(v) => v,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut inputs = [std::mem::replace(&mut *slot, delta.clone()), delta.clone()];
        let result = crate::cancel::shielded(|| inplace(&mut inputs, 0, &Attrs::new(), std::slice::from_ref(&spec)));
        let [original, _] = inputs;
        match result {
            Ok(Some(mut outs)) if outs.len() == 1 => {
                *slot = outs.remove(0);
                Ok(true)
            }
            other => {
                *slot = original;
                other.map(|_| false)
            }
        }
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
        if self.update_in_place(&crate::ops::math::ADD, delta)? {
            return Ok(());
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
        if self.update_in_place(&crate::ops::math::SUB, delta)? {
            return Ok(());
        }
        let diff = crate::tape::no_record(|| crate::ops::math::sub(&self.current(), delta))?;
        self.check("assign_sub", &diff)?;
        self.store(diff);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_ptr(v: &Variable) -> usize {
        v.peek().as_slice::<f32>().map_or(0, |s| s.as_ptr() as usize)
    }

    #[test]
    fn updates_write_into_the_variable_buffer_unless_a_read_is_alive() -> Result<()> {
        let v = Variable::new(Tensor::from([1.0f32, 2.0, 3.0]), "v");
        let before = data_ptr(&v);
        v.assign_add(&Tensor::from([0.5f32, 0.5, 0.5]))?;
        v.assign_sub(&Tensor::from(1.0f32))?;
        assert_eq!(v.peek().to_vec::<f32>()?, vec![0.5, 1.5, 2.5]);
        assert_eq!(data_ptr(&v), before, "no read was alive, so the buffer is reused");
        // A value read earlier keeps its contents: the update allocates instead.
        let held = v.read_value();
        v.assign_add(&Tensor::from(10.0f32))?;
        assert_eq!(held.to_vec::<f32>()?, vec![0.5, 1.5, 2.5]);
        assert_eq!(v.peek().to_vec::<f32>()?, vec![10.5, 11.5, 12.5]);
        assert_ne!(data_ptr(&v), before);
        // A delta that would change the shape is still an error naming the op.
        let e = v.assign_add(&Tensor::from([[1.0f32], [2.0]])).unwrap_err();
        assert!(e.to_string().contains("assign_add"), "{e}");
        assert_eq!(v.peek().to_vec::<f32>()?, vec![10.5, 11.5, 12.5]);
        Ok(())
    }
}
