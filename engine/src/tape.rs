//! `GradientTape`: records differentiable op calls on watched tensors and runs them backwards.
//!
//! Tapes live on a thread-local stack (no global state is shared between threads). An op is
//! recorded on a tape when one of its inputs is watched by that tape or was produced by an op
//! the tape recorded. Gradients are computed with ordinary ops, so an outer tape records the
//! backward pass of an inner one: that is how higher-order gradients work.

use crate::attrs::Attrs;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::{self, GradCtx, OpDef};
use crate::tensor::Tensor;
use crate::variable::Variable;
use smallvec::SmallVec;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// A backward function supplied by `custom_gradient`: output gradients → input gradients.
pub type CustomGradFn = Rc<dyn Fn(&[Tensor]) -> Result<Vec<Option<Tensor>>>>;

/// A backward function told which outputs received a gradient (`None`: none flowed in).
pub(crate) type PartialGradFn = Rc<dyn Fn(&[Option<Tensor>]) -> Result<Vec<Option<Tensor>>>>;

enum Backward {
    Op(&'static OpDef, Attrs),
    Custom(CustomGradFn),
    Partial(PartialGradFn),
    /// A variable read: the gradient passes through unchanged.
    Identity,
}

struct Entry {
    backward: Backward,
    input_ids: SmallVec<[u64; 2]>,
    inputs: Vec<Tensor>,
    outputs: Vec<Tensor>,
}

struct TapeState {
    id: u64,
    persistent: bool,
    watch_accessed_variables: bool,
    recording: bool,
    active: bool,
    used: bool,
    tracked: HashSet<u64>,
    entries: Vec<Rc<Entry>>,
    watched_variables: Vec<Variable>,
}

type TapeRef = Rc<RefCell<TapeState>>;

thread_local! {
    static STACK: RefCell<Vec<TapeRef>> = const { RefCell::new(Vec::new()) };
    static PAUSED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn for_recording_tapes(mut f: impl FnMut(&mut TapeState)) {
    if PAUSED.with(|p| p.get()) > 0 {
        return;
    }
    STACK.with(|s| {
        let s = s.borrow();
        for t in s.iter() {
            let mut t = t.borrow_mut();
            if t.recording {
                f(&mut t);
            }
        }
    });
}

/// True when at least one tape is recording on this thread.
pub fn is_recording() -> bool {
    PAUSED.with(|p| p.get()) == 0 && STACK.with(|s| s.borrow().iter().any(|t| t.borrow().recording))
}

fn record(backward: impl Fn() -> Backward, input_ids: &[u64], inputs: &[Tensor], outputs: &[Tensor]) {
    if !outputs.iter().any(|o| o.dtype().is_float()) {
        return;
    }
    let mut shared: Option<Rc<Entry>> = None;
    for_recording_tapes(|t| {
        if !input_ids.iter().any(|id| t.tracked.contains(id)) {
            return;
        }
        let e = shared
            .get_or_insert_with(|| {
                Rc::new(Entry {
                    backward: backward(),
                    input_ids: SmallVec::from_slice(input_ids),
                    inputs: inputs.to_vec(),
                    outputs: outputs.to_vec(),
                })
            })
            .clone();
        for o in outputs {
            if o.dtype().is_float() {
                t.tracked.insert(o.id());
            }
        }
        t.entries.push(e);
    });
}

/// Records an op call on the tapes that track one of its inputs (called by `ops::execute`).
pub(crate) fn record_op(op: &'static OpDef, inputs: &[Tensor], outputs: &[Tensor], attrs: &Attrs) {
    if STACK.with(|s| s.borrow().is_empty()) {
        return;
    }
    let ids: SmallVec<[u64; 4]> = inputs.iter().map(|t| t.id()).collect();
    record(|| Backward::Op(op, attrs.clone()), &ids, inputs, outputs);
}

/// True when a recording tape tracks one of `inputs` (float tensors) or `variables`.
pub(crate) fn any_tracked(inputs: &[Tensor], variables: &[Variable]) -> bool {
    if PAUSED.with(|p| p.get()) > 0 {
        return false;
    }
    let ids: SmallVec<[u64; 8]> = inputs
        .iter()
        .filter(|t| t.dtype().is_float())
        .map(Tensor::id)
        .chain(variables.iter().map(Variable::handle_id))
        .collect();
    STACK.with(|s| {
        s.borrow().iter().any(|t| {
            let t = t.borrow();
            t.recording && ids.iter().any(|id| t.tracked.contains(id))
        })
    })
}

/// True when exactly one tape records and it is not persistent, so no gradient it computes
/// can be differentiated again through what it records now (TensorFlow's first-order case:
/// a second tape, or a persistent tape taking gradients in its own scope, may differentiate
/// the backward pass).
pub(crate) fn first_order_only() -> bool {
    if PAUSED.with(|p| p.get()) > 0 {
        return false;
    }
    STACK.with(|s| {
        let s = s.borrow();
        let mut recording = s.iter().filter(|t| t.borrow().recording);
        recording.next().is_some_and(|t| !t.borrow().persistent) && recording.next().is_none()
    })
}

/// For each of `ids` (tensor ids or variable handle ids), whether a recording tape tracks it.
pub(crate) fn tracked(ids: &[u64]) -> Vec<bool> {
    if PAUSED.with(|p| p.get()) > 0 {
        return vec![false; ids.len()];
    }
    STACK.with(|s| {
        let s = s.borrow();
        ids.iter().map(|id| s.iter().any(|t| t.borrow().recording && t.borrow().tracked.contains(id))).collect()
    })
}

/// Watches `var` on the recording tapes that watch what they access, as a read would.
pub(crate) fn note_variable_access(var: &Variable) {
    if STACK.with(|s| s.borrow().is_empty()) || !var.dtype().is_float() {
        return;
    }
    for_recording_tapes(|t| {
        if t.watch_accessed_variables && var.trainable() && t.tracked.insert(var.handle_id()) {
            t.watched_variables.push(var.clone());
        }
    });
}

/// Records a variable read (`handle` → `value`); auto-watches trainable variables.
pub(crate) fn record_variable_read(var: &Variable, value: &Tensor) {
    if STACK.with(|s| s.borrow().is_empty()) || !var.dtype().is_float() {
        return;
    }
    note_variable_access(var);
    record(|| Backward::Identity, &[var.handle_id()], &[], std::slice::from_ref(value));
}

/// The tapes of an enclosing context while a function is traced (see [`hide`]).
pub(crate) struct Hidden {
    stack: Vec<TapeRef>,
    paused: usize,
}

/// Hides every tape on this thread (a tape outside a traced function must see the function's
/// run, not its trace); tapes created until [`restore`] start from an empty stack.
pub(crate) fn hide() -> Hidden {
    Hidden { stack: STACK.with(|s| std::mem::take(&mut *s.borrow_mut())), paused: PAUSED.with(|p| p.replace(0)) }
}

/// Brings back the tapes [`hide`] took away.
pub(crate) fn restore(h: Hidden) {
    STACK.with(|s| *s.borrow_mut() = h.stack);
    PAUSED.with(|p| p.set(h.paused));
}

/// Runs `f` with every tape on this thread paused (TensorFlow's `tape.stop_recording()`
/// for all tapes at once, used by `custom_gradient` and gradient computation internals).
pub fn no_record<R>(f: impl FnOnce() -> R) -> R {
    struct Resume;
    impl Drop for Resume {
        fn drop(&mut self) {
            PAUSED.with(|p| p.set(p.get() - 1));
        }
    }
    PAUSED.with(|p| p.set(p.get() + 1));
    let _r = Resume;
    f()
}

/// Something a tape can watch and differentiate with respect to: a tensor or a variable.
pub trait Watchable {
    /// The id the tape tracks.
    fn watch_id(&self) -> u64;
    /// The dtype (integer sources get `None` gradients).
    fn source_dtype(&self) -> crate::DType;
    /// The shape (used for zero gradients and jacobians).
    fn source_shape(&self) -> Vec<usize>;
    /// The variable behind this source, if it is one.
    fn as_variable(&self) -> Option<&Variable> {
        None
    }
    /// Zeros of the source's dtype and shape (its gradient when the target does not depend on it).
    fn zero_gradient(&self) -> Result<Tensor> {
        ops::array::zeros(self.source_dtype(), &self.source_shape())
    }
}

impl Watchable for Tensor {
    fn watch_id(&self) -> u64 {
        self.id()
    }
    fn source_dtype(&self) -> crate::DType {
        self.dtype()
    }
    fn source_shape(&self) -> Vec<usize> {
        self.shape().to_vec()
    }
    fn zero_gradient(&self) -> Result<Tensor> {
        // A traced value's shape may be known only at run time.
        ops::array::zeros_like(self)
    }
}

impl Watchable for Variable {
    fn watch_id(&self) -> u64 {
        self.handle_id()
    }
    fn source_dtype(&self) -> crate::DType {
        self.dtype()
    }
    fn source_shape(&self) -> Vec<usize> {
        self.shape().to_vec()
    }
    fn as_variable(&self) -> Option<&Variable> {
        Some(self)
    }
}

/// What `gradient` returns for a source the target does not depend on.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum UnconnectedGradients {
    /// `None` (TensorFlow's default).
    #[default]
    None,
    /// A zero tensor of the source's shape.
    Zero,
}

/// Records operations for automatic differentiation (TensorFlow's `tf.GradientTape`).
///
/// ```
/// use tensile::prelude::*;
/// let x = Tensor::from(3.0f32);
/// let tape = GradientTape::new();
/// let y = tape.scope(|t| { t.watch(&x); &x * &x })??;
/// let dy = tape.gradient(&y, &[&x])?;
/// assert_eq!(dy[0].as_ref().unwrap().item::<f32>()?, 6.0);
/// # Ok::<(), tensile::Error>(())
/// ```
pub struct GradientTape {
    state: TapeRef,
}

/// Builder for a tape with non-default options.
#[derive(Clone, Copy, Debug)]
pub struct TapeOptions {
    /// Allow several `gradient` calls (TensorFlow's `persistent=True`).
    pub persistent: bool,
    /// Watch trainable variables automatically when they are read.
    pub watch_accessed_variables: bool,
}

impl Default for TapeOptions {
    fn default() -> Self {
        TapeOptions { persistent: false, watch_accessed_variables: true }
    }
}

impl Default for GradientTape {
    fn default() -> Self {
        GradientTape::new()
    }
}

impl GradientTape {
    /// A non-persistent tape that watches accessed trainable variables; not yet recording.
    pub fn new() -> GradientTape {
        GradientTape::with_options(TapeOptions::default())
    }

    /// A persistent tape (gradient may be called several times).
    pub fn persistent() -> GradientTape {
        GradientTape::with_options(TapeOptions { persistent: true, ..TapeOptions::default() })
    }

    /// A tape with explicit options.
    pub fn with_options(opts: TapeOptions) -> GradientTape {
        GradientTape {
            state: Rc::new(RefCell::new(TapeState {
                id: crate::tensor::fresh_id(),
                persistent: opts.persistent,
                watch_accessed_variables: opts.watch_accessed_variables,
                recording: false,
                active: false,
                used: false,
                tracked: HashSet::new(),
                entries: Vec::new(),
                watched_variables: Vec::new(),
            })),
        }
    }

    /// Starts recording (`__enter__`): the tape joins this thread's tape stack.
    pub fn push(&self) -> Result<()> {
        let mut st = self.state.borrow_mut();
        if st.active {
            return Err(Error::plain(ErrorKind::FailedPrecondition, "GradientTape: this tape is already recording"));
        }
        st.active = true;
        st.recording = true;
        drop(st);
        STACK.with(|s| s.borrow_mut().push(self.state.clone()));
        Ok(())
    }

    /// Stops recording (`__exit__`): the tape leaves the stack but keeps what it recorded.
    pub fn pop(&self) {
        let id = self.state.borrow().id;
        STACK.with(|s| s.borrow_mut().retain(|t| t.borrow().id != id));
        let mut st = self.state.borrow_mut();
        st.active = false;
        st.recording = false;
    }

    /// Records everything `f` computes (the body of `with tf.GradientTape() as t:`).
    pub fn scope<R>(&self, f: impl FnOnce(&GradientTape) -> R) -> Result<R> {
        self.push()?;
        struct Exit<'a>(&'a GradientTape);
        impl Drop for Exit<'_> {
            fn drop(&mut self) {
                self.0.pop();
            }
        }
        let _exit = Exit(self);
        Ok(f(self))
    }

    /// Watches a tensor or variable so gradients with respect to it can be taken.
    pub fn watch(&self, source: &dyn Watchable) {
        let mut st = self.state.borrow_mut();
        if !source.source_dtype().is_float() {
            return;
        }
        if st.tracked.insert(source.watch_id()) {
            if let Some(v) = source.as_variable() {
                st.watched_variables.push(v.clone());
            }
        }
    }

    /// Variables this tape watched, explicitly or by reading them.
    pub fn watched_variables(&self) -> Vec<Variable> {
        self.state.borrow().watched_variables.clone()
    }

    /// Runs `f` without recording on this tape (`with tape.stop_recording():`).
    pub fn stop_recording<R>(&self, f: impl FnOnce() -> R) -> R {
        let was = std::mem::replace(&mut self.state.borrow_mut().recording, false);
        struct Restore<'a>(&'a GradientTape, bool);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.state.borrow_mut().recording = self.1;
            }
        }
        let _r = Restore(self, was);
        f()
    }

    /// Forgets everything recorded so far (`tape.reset()`).
    pub fn reset(&self) {
        let mut st = self.state.borrow_mut();
        st.entries.clear();
        st.tracked.clear();
        st.watched_variables.clear();
        st.used = false;
    }

    /// Gradients of `target` with respect to each source; `None` where unconnected.
    pub fn gradient(&self, target: &Tensor, sources: &[&dyn Watchable]) -> Result<Vec<Option<Tensor>>> {
        self.gradient_with(target, sources, None, UnconnectedGradients::None)
    }

    /// Full form of `gradient`: optional `output_gradients` (same shape as `target`) and the
    /// policy for unconnected sources.
    pub fn gradient_with(
        &self,
        target: &Tensor,
        sources: &[&dyn Watchable],
        output_gradients: Option<&Tensor>,
        unconnected: UnconnectedGradients,
    ) -> Result<Vec<Option<Tensor>>> {
        self.gradient_multi(
            std::slice::from_ref(target),
            sources,
            output_gradients.map(|g| vec![g.clone()]),
            unconnected,
        )
    }

    /// Gradients of the sum of several targets.
    pub fn gradient_multi(
        &self,
        targets: &[Tensor],
        sources: &[&dyn Watchable],
        output_gradients: Option<Vec<Tensor>>,
        unconnected: UnconnectedGradients,
    ) -> Result<Vec<Option<Tensor>>> {
        let entries = {
            let mut st = self.state.borrow_mut();
            if st.used && !st.persistent {
                return Err(Error::plain(
                    ErrorKind::FailedPrecondition,
                    "GradientTape.gradient can only be called once on non-persistent tapes \
                     (create the tape with GradientTape::persistent() to call it repeatedly)",
                ));
            }
            st.used = true;
            st.entries.clone()
        };
        let seeds = match output_gradients {
            Some(gs) => {
                if gs.len() != targets.len() {
                    return Err(Error::invalid(
                        "GradientTape.gradient",
                        format!("{} output_gradients given for {} targets", gs.len(), targets.len()),
                    ));
                }
                for (t, g) in targets.iter().zip(&gs) {
                    if t.shape() != g.shape() || t.dtype() != g.dtype() {
                        return Err(Error::invalid(
                            "GradientTape.gradient",
                            format!(
                                "output_gradients must match the target: target is {}{:?}, gradient is {}{:?}",
                                t.dtype(),
                                t.shape(),
                                g.dtype(),
                                g.shape()
                            ),
                        ));
                    }
                }
                gs
            }
            None => targets.iter().map(ops::array::ones_like).collect::<Result<Vec<_>>>()?,
        };
        let result = self.stop_recording(|| backprop(&entries, targets, seeds, sources));
        let grads = result?;
        grads
            .into_iter()
            .zip(sources)
            .map(|(g, s)| match (g, unconnected) {
                (Some(g), _) => Ok(Some(g)),
                (None, UnconnectedGradients::Zero) if s.source_dtype().is_float() => Ok(Some(s.zero_gradient()?)),
                (None, _) => Ok(None),
            })
            .collect()
    }

    /// Jacobian of `target` with respect to `source`: shape `target.shape + source.shape`.
    pub fn jacobian(&self, target: &Tensor, source: &dyn Watchable) -> Result<Option<Tensor>> {
        let was_persistent = std::mem::replace(&mut self.state.borrow_mut().persistent, true);
        let out = self.jacobian_rows(target, source);
        let mut st = self.state.borrow_mut();
        st.persistent = was_persistent;
        st.used = true;
        let rows = match out? {
            Some(rows) => rows,
            None => return Ok(None),
        };
        let mut shape = target.shape().to_vec();
        shape.extend(source.source_shape());
        if rows.is_empty() {
            return Ok(Some(ops::array::zeros(source.source_dtype(), &shape)?));
        }
        let stacked = ops::array::stack(&rows, 0)?;
        Ok(Some(ops::array::reshape(&stacked, &shape.iter().map(|&d| d as i64).collect::<Vec<_>>())?))
    }

    fn jacobian_rows(&self, target: &Tensor, source: &dyn Watchable) -> Result<Option<Vec<Tensor>>> {
        let n = target.size();
        let mut rows = Vec::with_capacity(n);
        let mut any = false;
        for i in 0..n {
            let seed = one_hot_like(target, i)?;
            self.state.borrow_mut().used = false;
            let g = self.gradient_with(target, &[source], Some(&seed), UnconnectedGradients::None)?;
            match g.into_iter().next().flatten() {
                Some(g) => {
                    any = true;
                    rows.push(g)
                }
                None => rows.push(ops::array::zeros(source.source_dtype(), &source.source_shape())?),
            }
        }
        Ok(if any || n == 0 { Some(rows) } else { None })
    }

    /// Per-example Jacobian: `target` is `[batch, ...y]`, `source` is `[batch, ...x]`, each
    /// example depends only on its own row; the result is `[batch, ...y, ...x]`.
    pub fn batch_jacobian(&self, target: &Tensor, source: &dyn Watchable) -> Result<Option<Tensor>> {
        let tshape = target.shape().to_vec();
        let sshape = source.source_shape();
        if tshape.is_empty() || sshape.is_empty() || tshape[0] != sshape[0] {
            return Err(Error::invalid(
                "GradientTape.batch_jacobian",
                format!(
                    "target and source must have the same leading (batch) dimension, got target {tshape:?} and source {sshape:?}"
                ),
            ));
        }
        let batch = tshape[0];
        let per = target.size() / batch.max(1);
        let was_persistent = std::mem::replace(&mut self.state.borrow_mut().persistent, true);
        let mut cols = Vec::with_capacity(per);
        let mut any = false;
        let mut err = None;
        for j in 0..per {
            let mut seed = vec![0.0f64; target.size()];
            for b in 0..batch {
                seed[b * per + j] = 1.0;
            }
            let seed = cast_from_f64(seed, target)?;
            self.state.borrow_mut().used = false;
            match self.gradient_with(target, &[source], Some(&seed), UnconnectedGradients::None) {
                Ok(g) => match g.into_iter().next().flatten() {
                    Some(g) => {
                        any = true;
                        cols.push(g)
                    }
                    None => cols.push(ops::array::zeros(source.source_dtype(), &sshape)?),
                },
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        {
            let mut st = self.state.borrow_mut();
            st.persistent = was_persistent;
            st.used = true;
        }
        if let Some(e) = err {
            return Err(e);
        }
        if !any && per > 0 {
            return Ok(None);
        }
        let mut shape = tshape.clone();
        shape.extend_from_slice(&sshape[1..]);
        if cols.is_empty() {
            return Ok(Some(ops::array::zeros(source.source_dtype(), &shape)?));
        }
        let stacked = ops::array::stack(&cols, 1)?; // [batch, per, ...x]
        Ok(Some(ops::array::reshape(&stacked, &shape.iter().map(|&d| d as i64).collect::<Vec<_>>())?))
    }
}

impl Drop for GradientTape {
    fn drop(&mut self) {
        if self.state.borrow().active {
            self.pop();
        }
    }
}

fn cast_from_f64(values: Vec<f64>, like: &Tensor) -> Result<Tensor> {
    match like.dtype() {
        crate::DType::F32 => Tensor::from_vec(values.into_iter().map(|v| v as f32).collect(), like.shape()),
        _ => Tensor::from_vec(values, like.shape()),
    }
}

fn one_hot_like(t: &Tensor, i: usize) -> Result<Tensor> {
    let mut v = vec![0.0f64; t.size()];
    v[i] = 1.0;
    cast_from_f64(v, t)
}

/// Reverse-mode accumulation over recorded entries (already in topological order).
fn backprop(
    entries: &[Rc<Entry>],
    targets: &[Tensor],
    seeds: Vec<Tensor>,
    sources: &[&dyn Watchable],
) -> Result<Vec<Option<Tensor>>> {
    let source_ids: HashSet<u64> = sources.iter().map(|s| s.watch_id()).collect();
    let mut grads: HashMap<u64, Tensor> = HashMap::new();
    for (t, g) in targets.iter().zip(seeds) {
        if !t.dtype().is_float() {
            continue;
        }
        accumulate(&mut grads, t.id(), g)?;
    }
    for e in entries.iter().rev() {
        let out_grads: Vec<Option<Tensor>> = e
            .outputs
            .iter()
            .map(|o| if source_ids.contains(&o.id()) { grads.get(&o.id()).cloned() } else { grads.remove(&o.id()) })
            .collect();
        if out_grads.iter().all(|g| g.is_none()) {
            continue;
        }
        let in_grads = match &e.backward {
            Backward::Op(op, attrs) => {
                let grad_fn = op.grad.ok_or_else(|| {
                    Error::new(ErrorKind::Internal, op.name, "recorded on a tape but has no gradient")
                })?;
                let ctx = GradCtx { inputs: &e.inputs, outputs: &e.outputs, grads: &out_grads, attrs };
                grad_fn(&ctx).map_err(|err| annotate(err, op.name))?
            }
            Backward::Custom(f) => {
                let filled: Vec<Tensor> = e
                    .outputs
                    .iter()
                    .zip(&out_grads)
                    .map(|(o, g)| match g {
                        Some(g) => Ok(g.clone()),
                        None => ops::array::zeros_like(o),
                    })
                    .collect::<Result<_>>()?;
                f(&filled)?
            }
            Backward::Partial(f) => f(&out_grads)?,
            Backward::Identity => vec![out_grads[0].clone()],
        };
        if in_grads.len() != e.input_ids.len() {
            return Err(Error::plain(
                ErrorKind::Internal,
                format!("gradient returned {} values for {} inputs", in_grads.len(), e.input_ids.len()),
            ));
        }
        for ((id, g), input) in
            e.input_ids.iter().zip(in_grads).zip(e.inputs.iter().map(Some).chain(std::iter::repeat(None)))
        {
            if let Some(g) = g {
                if let Some(inp) = input {
                    if !inp.dtype().is_float() {
                        continue;
                    }
                }
                accumulate(&mut grads, *id, g)?;
            }
        }
    }
    Ok(sources
        .iter()
        .map(|s| if s.source_dtype().is_float() { grads.get(&s.watch_id()).cloned() } else { None })
        .collect())
}

fn annotate(mut err: Error, op: &str) -> Error {
    err.message = format!("{} (while computing the gradient of {op})", err.message);
    err
}

fn accumulate(grads: &mut HashMap<u64, Tensor>, id: u64, g: Tensor) -> Result<()> {
    match grads.remove(&id) {
        Some(prev) => {
            let sum = ops::math::add(&prev, &g)?;
            grads.insert(id, sum);
        }
        None => {
            grads.insert(id, g);
        }
    }
    Ok(())
}

/// Runs `f` on `inputs` with a user-supplied backward pass (TensorFlow's `tf.custom_gradient`).
///
/// `f` returns its outputs and a closure mapping output gradients to input gradients. The
/// forward computation is not recorded; the tape records one entry whose gradient is the
/// closure. The closure's ops are recorded by outer tapes, so higher-order gradients work when
/// the closure is written with differentiable ops.
pub fn custom_gradient(
    inputs: &[Tensor],
    f: impl FnOnce(&[Tensor]) -> Result<(Vec<Tensor>, CustomGradFn)>,
) -> Result<Vec<Tensor>> {
    custom_gradient_with_variables(inputs, &[], f)
}

/// Records one entry mapping `inputs` and `variables` to `outputs` (values computed without
/// recording), whose gradient is `grad`: it receives one gradient per output, `None` where
/// none flowed in, and returns one per input, then one per variable.
pub(crate) fn record_partial(inputs: &[Tensor], variables: &[Variable], outputs: &[Tensor], grad: PartialGradFn) {
    let ids: SmallVec<[u64; 4]> =
        inputs.iter().map(|t| t.id()).chain(variables.iter().map(Variable::handle_id)).collect();
    let n_inputs = ids.len();
    let checked: PartialGradFn = Rc::new(move |gs: &[Option<Tensor>]| {
        let r = grad(gs)?;
        if r.len() != n_inputs {
            return Err(Error::new(
                ErrorKind::Internal,
                "gradient",
                format!("the gradient function returned {} gradients for {n_inputs} inputs", r.len()),
            ));
        }
        Ok(r)
    });
    record(|| Backward::Partial(checked.clone()), &ids, inputs, outputs);
}

/// [`custom_gradient`] whose result also depends on `variables` (read inside `f`): the
/// gradient function returns one gradient per input, then one per variable.
pub(crate) fn custom_gradient_with_variables(
    inputs: &[Tensor],
    variables: &[Variable],
    f: impl FnOnce(&[Tensor]) -> Result<(Vec<Tensor>, CustomGradFn)>,
) -> Result<Vec<Tensor>> {
    let (outputs, grad_fn) = no_record(|| f(inputs))?;
    let outputs: Vec<Tensor> = outputs.iter().map(|o| o.fresh()).collect();
    let ids: SmallVec<[u64; 4]> =
        inputs.iter().map(|t| t.id()).chain(variables.iter().map(Variable::handle_id)).collect();
    let n_inputs = ids.len();
    let checked: CustomGradFn = Rc::new(move |gs: &[Tensor]| {
        let r = grad_fn(gs)?;
        if r.len() != n_inputs {
            return Err(Error::invalid(
                "custom_gradient",
                format!("the gradient function returned {} gradients for {n_inputs} inputs", r.len()),
            ));
        }
        Ok(r)
    });
    record(|| Backward::Custom(checked.clone()), &ids, inputs, &outputs);
    Ok(outputs)
}
