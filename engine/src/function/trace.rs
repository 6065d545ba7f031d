//! The tracing context: while a function is being traced, every op call adds a node to the
//! graph under construction instead of running a kernel, and returns symbolic tensors.
//!
//! Traces form a thread-local stack. A function trace is a *root*: it owns the list of captured
//! variables. A trace entered inside it (a `cond` branch or `while_loop` body) builds its own
//! sub-graph but shares the root's variable list, so variable reads and writes in sub-graphs
//! index the same captures. A symbolic tensor of an enclosing trace used in an inner one is
//! captured: the inner graph gets a placeholder for it, listed in [`Traced::captures`], which
//! the caller feeds from the outer graph.
//!
//! Stateful work keeps program order (automatic control dependencies): every stateful node
//! runs after the previous one, a variable read runs after the last write of that variable,
//! and a write runs after the reads before it.

use crate::attrs::Attrs;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{AssignMode, Graph, NodeId, NodeKind, Output};
use crate::ops::{OpDef, Spec};
use crate::tensor::Tensor;
use crate::variable::Variable;
use std::cell::RefCell;
use std::collections::HashMap;

/// The result of tracing a closure into a graph.
#[derive(Debug)]
pub struct Traced {
    /// The graph: the closure's arguments are its first placeholders, then one placeholder per
    /// capture; its outputs are the closure's results.
    pub graph: Graph,
    /// Values of enclosing traces (or eager tensors) the closure used, in the order of the
    /// trailing placeholders: feed them after the arguments.
    pub captures: Vec<Tensor>,
    /// Variables the graph's `Variable`/`Assign` nodes index (only for root traces; a nested
    /// trace shares its root's list).
    pub variables: Vec<Variable>,
    /// Variables created while tracing.
    pub created_variables: Vec<Variable>,
}

struct Ctx {
    id: u64,
    root: bool,
    graph: Graph,
    /// Eager tensors (by id) already embedded as constants.
    consts: HashMap<u64, Output>,
    /// Outer symbolic tensors (by id) already captured as placeholders.
    captured: HashMap<u64, Output>,
    captures: Vec<Tensor>,
    /// Root only: captured variables and their index by handle id.
    variables: Vec<Variable>,
    var_index: HashMap<u64, usize>,
    allow_variable_creation: bool,
    created_variables: Vec<Variable>,
    errors: Vec<Error>,
    last_stateful: Option<NodeId>,
    last_write: HashMap<usize, NodeId>,
    reads_since_write: HashMap<usize, Vec<NodeId>>,
}

thread_local! {
    static STACK: RefCell<Vec<Ctx>> = const { RefCell::new(Vec::new()) };
}

/// True while a function (or a control-flow branch) is being traced on this thread.
pub fn is_tracing() -> bool {
    STACK.with(|s| !s.borrow().is_empty())
}

/// Depth of the trace stack (0 when executing eagerly).
pub fn depth() -> usize {
    STACK.with(|s| s.borrow().len())
}

fn no_trace() -> Error {
    Error::new(ErrorKind::Internal, "trace", "no trace is active")
}

/// The graph output that stands for `t` in trace `level` of `stack`, capturing it (through
/// every trace in between) when it belongs to an enclosing trace and embedding it as a
/// constant when it is eager.
fn resolve(stack: &mut [Ctx], level: usize, t: &Tensor) -> Result<Output> {
    let Some(sym) = t.symbol() else {
        let ctx = &mut stack[level];
        if let Some(&o) = ctx.consts.get(&t.id()) {
            return Ok(o);
        }
        let o = ctx.graph.add_const(t.clone());
        ctx.consts.insert(t.id(), o);
        return Ok(o);
    };
    if sym.trace == stack[level].id {
        return Ok(sym.output);
    }
    if let Some(&o) = stack[level].captured.get(&t.id()) {
        return Ok(o);
    }
    if level == 0 || !stack[..level].iter().any(|c| c.id == sym.trace) {
        return Err(Error::invalid(
            "trace",
            format!(
                "a symbolic {} tensor with shape {} from another function's trace was used here; a traced \
                 value cannot escape its function (return it from the function instead)",
                t.dtype(),
                crate::shape::fmt_dims(&sym.dims)
            ),
        ));
    }
    // Make sure the trace below has it too (it may itself need to capture it).
    resolve(stack, level - 1, t)?;
    let ctx = &mut stack[level];
    let o = ctx.graph.add_placeholder(Spec { dtype: t.dtype(), dims: sym.dims.clone() });
    ctx.captured.insert(t.id(), o);
    ctx.captures.push(t.clone());
    Ok(o)
}

fn symbolic_outputs(ctx: &Ctx, outs: &[Output]) -> Result<Vec<Tensor>> {
    outs.iter()
        .map(|&o| {
            let spec = ctx.graph.spec(o).ok_or_else(no_trace)?;
            let name = ctx.graph.node(o.node).map_or("op", |n| n.kind.name());
            Ok(Tensor::symbolic(ctx.id, o, name, spec.dtype, spec.dims.clone()))
        })
        .collect()
}

/// Orders a new stateful node after the previous one.
fn order_stateful(ctx: &mut Ctx, node: NodeId) -> Result<()> {
    if let Some(prev) = ctx.last_stateful.replace(node) {
        ctx.graph.add_control_input(node, prev)?;
    }
    Ok(())
}

/// Adds a call of `op` to the innermost trace's graph (called by `ops::execute` while tracing).
pub(crate) fn add_op(op: &'static OpDef, inputs: &[Tensor], attrs: &Attrs) -> Result<Vec<Tensor>> {
    let outputs = STACK.with(|s| -> Result<Vec<Tensor>> {
        let mut s = s.borrow_mut();
        let level = s.len().checked_sub(1).ok_or_else(no_trace)?;
        let ins = inputs.iter().map(|t| resolve(&mut s, level, t)).collect::<Result<Vec<_>>>()?;
        let ctx = &mut s[level];
        let outs = ctx.graph.add_op(op, &ins, attrs.clone())?;
        if op.stateful {
            let node = match outs.first() {
                Some(o) => o.node,
                None => ctx.graph.len() - 1,
            };
            order_stateful(ctx, node)?;
        }
        symbolic_outputs(ctx, &outs)
    })?;
    if op.grad.is_some() {
        crate::tape::record_op(op, inputs, &outputs, attrs);
    }
    Ok(outputs)
}

/// Adds a node made by `build` to the innermost trace's graph (control-flow nodes, whose
/// sub-graphs were traced separately): `build` receives the outputs standing for `inputs`
/// (capturing or embedding them as for an op) and returns the node's outputs.
pub(crate) fn add_node(
    inputs: &[Tensor],
    build: impl FnOnce(&mut Graph, &[Output]) -> Result<Vec<Output>>,
) -> Result<Vec<Tensor>> {
    STACK.with(|s| {
        let mut s = s.borrow_mut();
        let level = s.len().checked_sub(1).ok_or_else(no_trace)?;
        let ins = inputs.iter().map(|t| resolve(&mut s, level, t)).collect::<Result<Vec<_>>>()?;
        let ctx = &mut s[level];
        let before = ctx.graph.len();
        let outs = build(&mut ctx.graph, &ins)?;
        for node in before..ctx.graph.len() {
            if ctx.graph.node(node).is_some_and(|n| n.kind.is_stateful()) {
                order_stateful(ctx, node)?;
            }
        }
        symbolic_outputs(ctx, &outs)
    })
}

/// The variables captured so far by the innermost root trace (what variable nodes of its
/// graphs, and of their sub-graphs, index).
pub(crate) fn root_variables() -> Result<Vec<Variable>> {
    STACK.with(|s| s.borrow().iter().rev().find(|c| c.root).map(|c| c.variables.clone()).ok_or_else(no_trace))
}

/// Index of `var` in the root trace's capture list, capturing it on first use.
fn variable_index(stack: &mut [Ctx], var: &Variable) -> Result<usize> {
    let root = stack.iter_mut().rev().find(|c| c.root).ok_or_else(no_trace)?;
    if let Some(&i) = root.var_index.get(&var.handle_id()) {
        return Ok(i);
    }
    let i = root.variables.len();
    root.variables.push(var.clone());
    root.var_index.insert(var.handle_id(), i);
    Ok(i)
}

/// While tracing, adds a read of `var` (captured by reference) and returns the symbolic value.
pub(crate) fn read_variable(var: &Variable) -> Option<Result<Tensor>> {
    if !is_tracing() {
        return None;
    }
    Some(STACK.with(|s| {
        let mut s = s.borrow_mut();
        let index = variable_index(&mut s, var)?;
        let ctx = s.last_mut().ok_or_else(no_trace)?;
        let spec = Spec::new(var.dtype(), var.shape());
        let o = ctx.graph.add_variable(index, spec.clone());
        if let Some(&w) = ctx.last_write.get(&index) {
            ctx.graph.add_control_input(o.node, w)?;
        }
        ctx.reads_since_write.entry(index).or_default().push(o.node);
        Ok(Tensor::symbolic(ctx.id, o, "variable", spec.dtype, spec.dims))
    }))
}

/// While tracing, adds a write of `value` into `var` in program order.
pub(crate) fn assign_variable(var: &Variable, mode: AssignMode, value: &Tensor) -> Option<Result<()>> {
    if !is_tracing() {
        return None;
    }
    // `assign_add(1.0)` broadcasts the delta to the variable's shape, as eager execution does.
    let broadcast;
    let value = if mode != AssignMode::Set && value.dims().as_slice() != crate::shape::to_dims(var.shape()).as_slice() {
        match crate::ops::array::broadcast_to(value, var.shape()) {
            Ok(b) => {
                broadcast = b;
                &broadcast
            }
            Err(e) => return Some(Err(e)),
        }
    } else {
        value
    };
    Some(STACK.with(|s| {
        let mut s = s.borrow_mut();
        let level = s.len() - 1;
        let index = variable_index(&mut s, var)?;
        let v = resolve(&mut s, level, value)?;
        let ctx = &mut s[level];
        let o = ctx.graph.add_assign(index, mode, v, Spec::new(var.dtype(), var.shape())).map_err(|e| {
            Error::invalid(
                mode.name().trim_end_matches("_variable"),
                format!("variable '{}': {}", var.name(), e.message),
            )
        })?;
        for r in ctx.reads_since_write.remove(&index).unwrap_or_default() {
            ctx.graph.add_control_input(o.node, r)?;
        }
        if let Some(w) = ctx.last_write.insert(index, o.node) {
            ctx.graph.add_control_input(o.node, w)?;
        }
        order_stateful(ctx, o.node)
    }))
}

/// Called when a variable is created: records it, and fails the trace (at its end) when this
/// is not the function's first trace, as TensorFlow does.
pub(crate) fn on_variable_created(var: &Variable, init_error: Option<Error>) {
    STACK.with(|s| {
        let mut s = s.borrow_mut();
        let Some(root) = s.iter_mut().rev().find(|c| c.root) else { return };
        root.created_variables.push(var.clone());
        if let Some(e) = init_error {
            root.errors.push(e);
        }
        if !root.allow_variable_creation && root.errors.is_empty() {
            root.errors.push(Error::invalid(
                "tf.function",
                format!(
                    "tf.function only supports singleton tf.Variables created on the first call. Make sure the \
                     tf.Variable is only created once or created outside tf.function (the variable '{}' was \
                     created on a non-first trace; guard its creation, e.g. `if self.v is None:`, and reuse it)",
                    var.name()
                ),
            ));
        }
    })
}

/// Records a failure that surfaces when the current trace ends (for APIs that cannot return one).
pub(crate) fn fail(e: Error) {
    STACK.with(|s| {
        if let Some(root) = s.borrow_mut().iter_mut().rev().find(|c| c.root) {
            root.errors.push(e);
        }
    })
}

/// Evaluates a symbolic tensor that depends only on constants (a variable's initializer written
/// inside a traced function), by running the part of the graph it needs.
pub(crate) fn lift_to_eager(t: &Tensor) -> Result<Tensor> {
    let Some(sym) = t.symbol() else { return Ok(t.clone()) };
    let sub = STACK.with(|s| -> Result<Graph> {
        let s = s.borrow();
        let ctx = s.iter().find(|c| c.id == sym.trace).ok_or_else(no_trace)?;
        let nodes = ctx.graph.nodes();
        let mut needed = vec![false; nodes.len()];
        let mut work = vec![sym.output.node];
        while let Some(id) = work.pop() {
            if std::mem::replace(&mut needed[id], true) {
                continue;
            }
            let n = &nodes[id];
            if matches!(n.kind, NodeKind::Placeholder | NodeKind::Variable(_) | NodeKind::Assign(..)) {
                return Err(Error::invalid(
                    "Variable",
                    "the initial value of a variable created inside a traced function depends on the \
                     function's arguments or on other variables; create the variable outside the function \
                     or initialize it from constants",
                ));
            }
            work.extend(n.inputs.iter().map(|o| o.node));
        }
        let mut remap = vec![usize::MAX; nodes.len()];
        let mut kept = Vec::new();
        for n in nodes.iter().filter(|n| needed[n.id]) {
            remap[n.id] = kept.len();
            let mut m = n.clone();
            m.id = kept.len();
            m.control_inputs.clear();
            for o in &mut m.inputs {
                o.node = remap[o.node];
            }
            kept.push(m);
        }
        Graph::from_parts(kept, Vec::new(), vec![Output::new(remap[sym.output.node], sym.output.index)])
    })?;
    let mut out = crate::tape::no_record(|| crate::graph::exec::run(&sub, &[], &[]))?;
    out.pop().ok_or_else(no_trace)
}

/// Pops the trace (and restores the tapes it hid) even when the traced closure panics.
struct Guard {
    tapes: Option<crate::tape::Hidden>,
    popped: bool,
}

impl Guard {
    /// Leaves the trace normally, returning its context.
    fn finish(mut self) -> Option<Ctx> {
        self.popped = true;
        STACK.with(|s| s.borrow_mut().pop())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.popped {
            STACK.with(|s| s.borrow_mut().pop());
        }
        if let Some(t) = self.tapes.take() {
            crate::tape::restore(t);
        }
    }
}

/// Options of a trace.
#[derive(Clone, Copy, Debug)]
pub struct TraceOptions {
    /// A root trace (a whole function) owns its variable list; a nested one (a control-flow
    /// branch) shares the enclosing root's.
    pub root: bool,
    /// Whether creating variables is allowed (only on a function's first trace).
    pub allow_variable_creation: bool,
}

/// Traces `f` into a new graph whose arguments have `specs`: `f` receives one symbolic tensor
/// per spec and returns the graph's outputs (eager results become constants).
///
/// Tapes active outside are hidden while `f` runs (a tape outside a function sees the function's
/// run, not its trace); tapes `f` creates record symbolically, so `tape.gradient` inside `f`
/// builds the backward graph.
pub fn trace_graph(
    specs: &[Spec],
    options: TraceOptions,
    f: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>,
) -> Result<Traced> {
    let id = crate::tensor::fresh_id();
    let mut ctx = Ctx {
        id,
        root: options.root || !is_tracing(),
        graph: Graph::new(),
        consts: HashMap::new(),
        captured: HashMap::new(),
        captures: Vec::new(),
        variables: Vec::new(),
        var_index: HashMap::new(),
        allow_variable_creation: options.allow_variable_creation,
        created_variables: Vec::new(),
        errors: Vec::new(),
        last_stateful: None,
        last_write: HashMap::new(),
        reads_since_write: HashMap::new(),
    };
    let args: Vec<Tensor> = specs
        .iter()
        .map(|spec| {
            for (i, d) in spec.dims.iter().enumerate() {
                if d.is_some_and(|d| d > isize::MAX as usize) {
                    return Err(Error::invalid("trace", format!("dimension {i} of {} is too large", spec.describe())));
                }
            }
            let o = ctx.graph.add_placeholder(spec.clone());
            Ok(Tensor::symbolic(id, o, "placeholder", spec.dtype, spec.dims.clone()))
        })
        .collect::<Result<_>>()?;
    STACK.with(|s| s.borrow_mut().push(ctx));
    let guard = Guard { tapes: Some(crate::tape::hide()), popped: false };
    // Outputs are resolved while the trace is still on the stack (eager ones become constants,
    // outer ones captures).
    let resolved = f(&args).and_then(|outs| {
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            let level = s.len().checked_sub(1).ok_or_else(no_trace)?;
            if let Some(e) = s[level].errors.first() {
                return Err(e.clone());
            }
            outs.iter().map(|t| resolve(&mut s, level, t)).collect::<Result<Vec<_>>>()
        })
    });
    let ctx = guard.finish().ok_or_else(no_trace)?;
    if let Some(e) = ctx.errors.first() {
        return Err(e.clone());
    }
    let resolved = resolved?;
    let mut graph = ctx.graph;
    graph.set_outputs(&resolved)?;
    Ok(Traced { graph, captures: ctx.captures, variables: ctx.variables, created_variables: ctx.created_variables })
}
