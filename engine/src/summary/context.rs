//! The summary context of a thread (TensorFlow's `_summary_state`): the default writer, the
//! default step and the recording condition.
//!
//! Summary ops read this context when they *run*, not when a function is traced, so a traced
//! function writes to whatever writer is the default at each call.

use crate::error::{Error, Result};
use crate::summary::writer::SummaryWriter;
use crate::tensor::Storage;
use crate::variable::Variable;
use std::cell::RefCell;
use std::marker::PhantomData;

/// The step of a summary value: a number, or a variable read when the write runs (TensorFlow
/// passes `optimizer.iterations`).
#[derive(Clone, Debug)]
pub enum Step {
    /// A fixed step.
    Value(i64),
    /// An integer scalar variable, read at every write.
    Variable(Variable),
}

impl From<i64> for Step {
    fn from(v: i64) -> Step {
        Step::Value(v)
    }
}

impl From<Variable> for Step {
    fn from(v: Variable) -> Step {
        Step::Variable(v)
    }
}

impl From<&Variable> for Step {
    fn from(v: &Variable) -> Step {
        Step::Variable(v.clone())
    }
}

impl Step {
    /// The step now (a variable is read).
    pub fn value(&self) -> Result<i64> {
        match self {
            Step::Value(v) => Ok(*v),
            Step::Variable(var) => {
                let t = var.peek();
                match (t.storage(), t.shape().is_empty()) {
                    (Storage::I64(v), true) => Ok(v[0]),
                    (Storage::I32(v), true) => Ok(v[0] as i64),
                    _ => Err(Error::invalid(
                        "summary",
                        format!(
                            "the step variable '{}' is {}{}; a step must be an int32 or int64 scalar",
                            var.name(),
                            var.dtype(),
                            crate::shape::fmt_shape(var.shape())
                        ),
                    )),
                }
            }
        }
    }
}

#[derive(Default)]
struct State {
    writer: Option<SummaryWriter>,
    step: Option<Step>,
    /// `None`: no `record_if` is active (record).
    recording: Option<bool>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Sets the default step of this thread (`tf.summary.experimental.set_step`); `None` unsets it.
pub fn set_step(step: Option<Step>) {
    STATE.with(|s| s.borrow_mut().step = step);
}

/// The default step of this thread, read now (`tf.summary.experimental.get_step`).
pub fn get_step() -> Option<i64> {
    current_step().and_then(|s| s.value().ok())
}

/// The default step of this thread as set (a variable stays a variable).
pub fn current_step() -> Option<Step> {
    STATE.with(|s| s.borrow().step.clone())
}

/// The value of the default step for a write without an explicit step; TF's "No step set"
/// error when there is none.
pub fn default_step() -> Result<i64> {
    match current_step() {
        Some(s) => s.value(),
        None => Err(Error::invalid(
            "summary",
            "No step set. Please specify one either through the `step` argument or through \
             tf.summary.experimental.set_step()",
        )),
    }
}

/// The default writer of this thread, if any.
pub fn default_writer() -> Option<SummaryWriter> {
    STATE.with(|s| s.borrow().writer.clone())
}

/// Flushes the default writer of this thread (`tf.summary.flush()`); nothing to do without one.
pub fn flush_default() -> Result<()> {
    match default_writer() {
        Some(w) => w.flush(),
        None => Ok(()),
    }
}

/// True when a summary written now would be recorded: a default writer is set and no
/// `record_if(false)` is active (`tf.summary.should_record_summaries`).
pub fn should_record_summaries() -> bool {
    STATE.with(|s| {
        let s = s.borrow();
        s.writer.is_some() && s.recording.unwrap_or(true)
    })
}

/// The writer a summary op running now writes to, `None` when it must write nothing.
pub(crate) fn writer_for_write() -> Option<SummaryWriter> {
    STATE.with(|s| {
        let s = s.borrow();
        if s.recording.unwrap_or(true) {
            s.writer.clone()
        } else {
            None
        }
    })
}

/// Restores the previous recording condition when dropped (from [`record_if`]).
#[must_use = "the condition holds only while the guard is alive"]
pub struct RecordIfGuard {
    previous: Option<bool>,
    _thread: PhantomData<*const ()>,
}

impl Drop for RecordIfGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        STATE.with(|s| s.borrow_mut().recording = previous);
    }
}

/// Records summaries only if `condition` holds, until the guard drops (`tf.summary.record_if`).
pub fn record_if(condition: bool) -> RecordIfGuard {
    let previous = STATE.with(|s| s.borrow_mut().recording.replace(condition));
    RecordIfGuard { previous, _thread: PhantomData }
}

/// Restores the previous default writer (and step) when dropped (from
/// [`SummaryWriter::as_default`]).
#[must_use = "the writer is the default only while the guard is alive"]
pub struct DefaultWriterGuard {
    /// `None` for a no-op writer's guard, which changed nothing.
    saved: Option<Saved>,
    _thread: PhantomData<*const ()>,
}

struct Saved {
    writer: Option<SummaryWriter>,
    /// The previous step, when this guard replaced it.
    step: Option<Option<Step>>,
}

impl Drop for DefaultWriterGuard {
    fn drop(&mut self) {
        let Some(saved) = self.saved.take() else { return };
        // Leaving the scope flushes the writer, as TensorFlow does; a failure surfaces from the
        // writer's next flush or close.
        let current = STATE.with(|s| s.borrow().writer.clone());
        if let Some(w) = current {
            let _ = w.flush_keep_error();
        }
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            s.writer = saved.writer;
            if let Some(step) = saved.step {
                s.step = step;
            }
        });
    }
}

/// Makes `writer` the default (and `step` the default step when given) until the returned
/// guard drops.
pub(crate) fn install(writer: &SummaryWriter, step: Option<Step>) -> DefaultWriterGuard {
    let saved = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let old_writer = s.writer.replace(writer.clone());
        let old_step = step.map(|st| s.step.replace(st));
        Saved { writer: old_writer, step: old_step }
    });
    DefaultWriterGuard { saved: Some(saved), _thread: PhantomData }
}

/// A guard that restores nothing (a no-op writer's `as_default`).
pub(crate) fn inert_guard() -> DefaultWriterGuard {
    DefaultWriterGuard { saved: None, _thread: PhantomData }
}

/// Makes `writer` the default for good (and `step` the default step when given).
pub(crate) fn install_forever(writer: &SummaryWriter, step: Option<Step>) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.writer = Some(writer.clone());
        if let Some(step) = step {
            s.step = Some(step);
        }
    });
}
