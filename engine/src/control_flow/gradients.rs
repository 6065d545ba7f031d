//! Gradients of control-flow nodes built inside a trace, for tapes that record inside the
//! traced function (so `tape.gradient` there builds the backward graph).
//!
//! A branch or loop body was traced with the enclosing tapes hidden, so the tape sees a
//! control-flow node as one entry. Its gradient is control flow too, as in TensorFlow:
//! - `cond`/`switch_case`: a node of the same kind on the same predicate whose branches are
//!   the vector-Jacobian products of the forward branches with respect to the node's captures;
//! - `while_loop`: the forward loop also accumulates each iteration's loop variables (a stack
//!   per variable, one row per iteration) and counts its iterations; the backward loop runs
//!   that many times in reverse, each time reading the iteration's variables from the stacks
//!   and taking the body's vector-Jacobian product there. A TensorArray buffer the body only
//!   writes (or grows) is stacked as its shape alone, and its adjoint is carried by walking
//!   the writes back ([`super::accumulator`]).
//!
//! Variables read inside a sub-graph are differentiated too: the tape entry depends on them
//! (tapes that watch accessed variables watch them, as a read outside would), and each
//! vector-Jacobian product also takes the gradient with respect to them.
//!
//! A vector-Jacobian product replays the forward sub-graph under a fresh tape (recomputing the
//! intermediates of one branch, or of one iteration, from its inputs). Only the nodes the
//! outputs depend on are replayed; if one of them has effects (random numbers, writes) the
//! recomputation would differ from the forward run, so that is an error rather than a wrong
//! gradient. Because the backward nodes are again control flow built by this module, a tape
//! recording the backward pass differentiates it too (higher-order gradients).
//!
//! Higher order through a loop works as in TensorFlow: the backward loop reads the forward
//! iterations' variables from the stacks, so the stacks are outputs of the forward loop's tape
//! entry, and its gradient takes gradients flowing into them (each stack row adds to the
//! adjoint of that iteration's variables). The backward loop is itself a differentiated loop,
//! with stack reads (`tensor_list_get_item`) whose gradients need no static shapes.

use super::accumulator::{self, Accumulator};
use super::traced;
use super::while_loop::WhileOptions;
use crate::error::{Error, Result};
use crate::function::concrete::replay_only;
use crate::function::trace::{self, trace_graph, TraceOptions};
use crate::graph::{Graph, NodeKind};
use crate::ops::array::zeros_like;
use crate::ops::tensor_list::{
    tensor_list_get_item, tensor_list_resize, tensor_list_resize_like, tensor_list_set_item,
};
use crate::ops::{self, Spec};
use crate::shape::Dims;
use crate::tape::{self, CustomGradFn, GradientTape, PartialGradFn, UnconnectedGradients, Watchable};
use crate::tensor::Tensor;
use crate::variable::Variable;
use std::rc::Rc;
use std::sync::Arc;

const NESTED: TraceOptions = TraceOptions { root: false, allow_variable_creation: false };

/// The kind of a control-flow node about to join the trace.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Control {
    /// `cond`: graphs are [true branch, false branch].
    Cond,
    /// `switch_case`: graphs are the branches.
    Case,
    /// `while_loop`: graphs are [cond, body].
    While {
        /// The loop's `maximum_iterations`.
        max: Option<i64>,
    },
}

impl Control {
    fn name(self) -> &'static str {
        match self {
            Control::Cond => "cond",
            Control::Case => "switch_case",
            Control::While { .. } => "while_loop",
        }
    }
}

/// Adds a control-flow node to the innermost trace: `selector` is the predicate or branch
/// index (none for a loop), `vars` the loop variables (empty for branches), `caps` the merged
/// captures every sub-graph takes last. When a recording tape tracks an operand or a variable
/// the sub-graphs read, the node is one differentiable tape entry.
pub(crate) fn add_control(
    kind: Control,
    selector: Option<Tensor>,
    vars: &[Tensor],
    caps: &[Tensor],
    graphs: Vec<Arc<Graph>>,
) -> Result<Vec<Tensor>> {
    let mut reads = Vec::new();
    if tape::is_recording() {
        let all = trace::root_variables()?;
        for i in differentiable_reads(&graphs, &all) {
            tape::note_variable_access(&all[i]);
            reads.push(all[i].clone());
        }
    }
    let operands: Vec<Tensor> = vars.iter().chain(caps).cloned().collect();
    if !tape::any_tracked(&operands, &reads) {
        return plain(kind, selector, &operands, graphs);
    }
    match kind {
        Control::While { max } => {
            let [cond_g, body_g] = <[Arc<Graph>; 2]>::try_from(graphs)
                .map_err(|_| Error::invalid("while_loop", "the node needs a cond and a body graph"))?;
            while_with_gradient(vars, caps, cond_g, body_g, max, reads)
        }
        _ => {
            let selector = selector.ok_or_else(|| Error::invalid(kind.name(), "missing predicate"))?;
            let grad = branch_gradient(kind, selector.clone(), caps.to_vec(), reads.clone(), graphs.clone());
            tape::custom_gradient_with_variables(caps, &reads, |_| {
                Ok((plain(kind, Some(selector), &operands, graphs)?, grad))
            })
        }
    }
}

/// The node itself, with no tape entry.
fn plain(kind: Control, selector: Option<Tensor>, operands: &[Tensor], graphs: Vec<Arc<Graph>>) -> Result<Vec<Tensor>> {
    let lead: Vec<Tensor> = selector.into_iter().chain(operands.iter().cloned()).collect();
    trace::add_node(&lead, |g, ins| {
        let mut it = graphs.into_iter();
        let mut next = || it.next().ok_or_else(|| Error::invalid(kind.name(), "missing sub-graph"));
        match kind {
            Control::While { max } => g.add_while(ins, next()?, next()?, max),
            _ if ins.is_empty() => Err(Error::invalid(kind.name(), "missing predicate")),
            Control::Cond => g.add_cond(ins[0], &ins[1..], next()?, next()?),
            Control::Case => g.add_case(ins[0], &ins[1..], it.collect()),
        }
    })
}

/// Indices (into the root trace's variables) of the float, trainable variables `graphs` read
/// and never write.
fn differentiable_reads(graphs: &[Arc<Graph>], all: &[Variable]) -> Vec<usize> {
    let (mut read, mut writes) = (Vec::new(), Vec::new());
    for g in graphs {
        let (r, w) = g.variable_use();
        read.extend(r);
        writes.extend(w);
    }
    read.sort_unstable();
    read.dedup();
    read.into_iter()
        .filter(|i| !writes.contains(i) && all.get(*i).is_some_and(|v| v.dtype().is_float() && v.trainable()))
        .collect()
}

/// Positions of the floating-point tensors of `ts` (the only differentiable ones).
fn float_positions(ts: &[Tensor]) -> Vec<usize> {
    ts.iter().enumerate().filter(|(_, t)| t.dtype().is_float()).map(|(i, _)| i).collect()
}

/// The nodes of `g` its outputs depend on (through data inputs), checked to be free of effects.
fn needed_nodes(op: &str, g: &Graph) -> Result<Vec<bool>> {
    let (_, written) = g.variable_use();
    let mut needed = vec![false; g.len()];
    let mut stack: Vec<usize> = g.outputs().iter().map(|o| o.node).collect();
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut needed[id], true) {
            continue;
        }
        let node = g.node(id).ok_or_else(|| Error::invalid(op, format!("dangling node %{id}")))?;
        let effect = match &node.kind {
            NodeKind::Variable(i) if written.contains(i) => Some("reads a variable it also assigns"),
            k if k.is_stateful() => Some("has an op with effects"),
            _ => None,
        };
        if let Some(why) = effect {
            return Err(Error::invalid(
                op,
                format!(
                    "cannot differentiate {op} inside a traced function: its body {why} ({}) on the path to its \
                     results, and the backward pass recomputes that path. Move the op out of the {op}, or take the \
                     gradient outside the function",
                    node.kind.name()
                ),
            ));
        }
        stack.extend(node.inputs.iter().map(|o| o.node));
    }
    Ok(needed)
}

/// What a vector-Jacobian product differentiates with respect to.
struct Wrt<'a> {
    /// Positions of feeds.
    feeds: &'a [usize],
    /// Variables the sub-graph reads.
    variables: &'a [Variable],
}

/// The vector-Jacobian product of sub-graph `g` at `feeds`: the gradients of its outputs
/// weighted by `out_grads` (`None`: not differentiated) with respect to the feeds and variables
/// of `wrt`, in that order; unconnected ones are zeros. `all` are the root trace's variables.
fn vjp(
    op: &str,
    g: &Graph,
    feeds: &[Tensor],
    wrt: &Wrt,
    out_grads: &[Option<Tensor>],
    all: &[Variable],
) -> Result<Vec<Tensor>> {
    vjp_with(op, g, feeds, wrt, |_| Ok(out_grads.to_vec()), all)
}

/// [`vjp`] whose output gradients are computed from the replayed outputs by `out_grads`.
fn vjp_with(
    op: &str,
    g: &Graph,
    feeds: &[Tensor],
    wrt: &Wrt,
    out_grads: impl FnOnce(&[Tensor]) -> Result<Vec<Option<Tensor>>>,
    all: &[Variable],
) -> Result<Vec<Tensor>> {
    let needed = needed_nodes(op, g)?;
    let tape = GradientTape::new();
    let outs = tape.scope(|tape| {
        for &i in wrt.feeds {
            tape.watch(&feeds[i]);
        }
        for v in wrt.variables {
            tape.watch(v);
        }
        replay_only(g, feeds, all, &|id| needed[id])
    })??;
    let out_grads = out_grads(&outs)?;
    let (mut targets, mut seeds) = (Vec::new(), Vec::new());
    for (o, g) in outs.into_iter().zip(&out_grads) {
        if let (Some(g), true) = (g, o.dtype().is_float()) {
            targets.push(o);
            seeds.push(g.clone());
        }
    }
    let mut sources: Vec<&dyn Watchable> = wrt.feeds.iter().map(|&i| &feeds[i] as &dyn Watchable).collect();
    sources.extend(wrt.variables.iter().map(|v| v as &dyn Watchable));
    let grads = if targets.is_empty() {
        vec![None; sources.len()]
    } else {
        tape.gradient_multi(&targets, &sources, Some(seeds), UnconnectedGradients::None)?
    };
    let zeros = |i: usize| match wrt.feeds.get(i) {
        Some(&f) => zeros_like(&feeds[f]),
        None => {
            let v = &wrt.variables[i - wrt.feeds.len()];
            ops::array::zeros(v.dtype(), v.shape())
        }
    };
    grads.into_iter().enumerate().map(|(i, g)| g.map_or_else(|| zeros(i), Ok)).collect()
}

/// Spreads `grads` (one per position of `at`) over `n` slots, `None` elsewhere.
fn spread(n: usize, at: &[usize], grads: impl IntoIterator<Item = Tensor>) -> Vec<Option<Tensor>> {
    let mut out = vec![None; n];
    for (&i, g) in at.iter().zip(grads) {
        out[i] = Some(g);
    }
    out
}

/// The gradient of a `cond` or `switch_case` node whose sub-graphs take `caps` and read
/// `reads`: the same kind of node over the branches' vector-Jacobian products.
fn branch_gradient(
    kind: Control,
    selector: Tensor,
    caps: Vec<Tensor>,
    reads: Vec<Variable>,
    branches: Vec<Arc<Graph>>,
) -> CustomGradFn {
    Rc::new(move |gs: &[Tensor]| {
        let float = float_positions(&caps);
        let all = trace::root_variables()?;
        let seeds: Vec<Option<Tensor>> = gs.iter().cloned().map(Some).collect();
        let vjps: Vec<Box<dyn Fn() -> Result<Vec<Tensor>>>> = branches
            .iter()
            .map(|g| {
                let (g, caps, float, seeds, all, reads) =
                    (g.clone(), caps.clone(), float.clone(), seeds.clone(), all.clone(), reads.clone());
                let f = move || vjp(kind.name(), &g, &caps, &Wrt { feeds: &float, variables: &reads }, &seeds, &all);
                Box::new(f) as Box<dyn Fn() -> Result<Vec<Tensor>>>
            })
            .collect();
        let grads: Vec<Tensor> = match (kind, vjps.as_slice()) {
            (_, []) => Vec::new(),
            (Control::Cond, [t, f]) => traced::cond(&selector, t, f)?,
            _ => {
                let refs: Vec<&dyn Fn() -> Result<Vec<Tensor>>> = vjps.iter().map(|f| f.as_ref()).collect();
                traced::switch_case(&selector, &refs, None)?
            }
        };
        let mut out = spread(caps.len(), &float, grads.iter().cloned());
        out.extend(grads[float.len().min(grads.len())..].iter().cloned().map(Some));
        Ok(out)
    })
}

/// A `while_loop` that a recording tape differentiates: the loop also stacks each iteration's
/// loop variables and counts iterations, and one tape entry maps the initial variables,
/// captures and read variables to the final variables and the stacks, with the reverse loop
/// as its gradient. `cond_g`/`body_g` take the loop variables followed by `caps`.
fn while_with_gradient(
    initial: &[Tensor],
    caps: &[Tensor],
    cond_g: Arc<Graph>,
    body_g: Arc<Graph>,
    maximum_iterations: Option<i64>,
    reads: Vec<Variable>,
) -> Result<Vec<Tensor>> {
    let n = initial.len();
    let all = trace::root_variables()?;
    let specs: Vec<Spec> = cond_g.input_specs().into_iter().take(n).collect();
    let accs = accumulator::find(&body_g, n);
    let is_acc = |j: usize| accs.iter().any(|a| a.var == j);
    // The backward loop reads each iteration's variables from dense stacks, one row per
    // iteration, so every iteration must give a variable the shape it enters with (only the
    // shapes of write-only buffers are stacked).
    for (j, (v, s)) in initial.iter().zip(&specs).enumerate() {
        if v.dims() != s.dims && !is_acc(j) {
            return Err(Error::invalid(
                "while_loop",
                format!(
                    "cannot differentiate while_loop inside a traced function: loop variable {j} ({}{}) changes \
                     shape between iterations (its shape invariant is {}), and the backward pass stacks every \
                     iteration's value. A TensorArray with dynamic_size=True grows like this; its gradient \
                     works when each iteration reads rows only before writing and uses the array only through \
                     read, write and size. Read before writing (or use the value written), give it a fixed \
                     size, or take the gradient outside the function",
                    v.dtype(),
                    crate::shape::fmt_dims(&v.dims()),
                    s.fmt_dims()
                ),
            ));
        }
    }
    let stack_specs: Vec<Spec> = specs
        .iter()
        .enumerate()
        .map(|(j, s)| match is_acc(j) {
            true => accumulator::shape_stack_spec(s),
            false => stacked(s),
        })
        .collect();
    // One stack per row an accumulator's body reads, one row per iteration.
    let row_specs: Vec<Spec> = accs.iter().flat_map(|a| a.read_specs().map(stacked)).collect();
    let r = row_specs.len();
    let count_spec = Spec { dtype: crate::DType::I32, dims: Dims::new() };
    let all_specs: Vec<Spec> =
        specs.iter().chain(&stack_specs).chain(&row_specs).chain([&count_spec]).cloned().collect();
    let feeds = |args: &[Tensor]| -> Vec<Tensor> { args[..n].iter().chain(caps).cloned().collect() };
    let forward = match r {
        0 => body_g.clone(),
        _ => Arc::new(accumulator::forward_graph(&body_g, &accs)?),
    };
    let c = trace_graph(&all_specs, NESTED, |args| replay_only(&cond_g, &feeds(args), &all, &|_| true))?;
    let b = trace_graph(&all_specs, NESTED, |args| {
        let outs = replay_only(&forward, &feeds(args), &all, &|_| true)?;
        let (outs, rows_read) = outs.split_at(n);
        let mut next = outs.to_vec();
        // Iteration `count` appends row `count + 1`. The stacks are the loop's own buffers, so
        // the resize extends them in place (amortized, with spare capacity) and the write fills
        // the row in place: n iterations copy each stack O(log n) times, not n times.
        let count = &args[2 * n + r];
        let row = ops::math::add(count, &Tensor::from(1i32))?;
        let rows = ops::math::add(count, &Tensor::from(2i32))?;
        for (j, (stack, v)) in args[n..2 * n].iter().zip(outs).enumerate() {
            let v = if is_acc(j) { ops::array::shape(v)? } else { v.clone() };
            next.push(tensor_list_set_item(&tensor_list_resize(stack, &rows)?, &row, &v)?);
        }
        // The rows read in iteration `count` are row `count` of their stacks.
        for (stack, v) in args[2 * n..2 * n + r].iter().zip(rows_read) {
            next.push(tensor_list_set_item(&tensor_list_resize(stack, &row)?, count, v)?);
        }
        next.push(row);
        Ok(next)
    })?;
    let caps2 = traced::merged_captures(&[&c, &b]);
    let lead_n = 2 * n + r + 1;
    let (cg, bg) = (traced::align(c, lead_n, &caps2)?, traced::align(b, lead_n, &caps2)?);
    let stacks0 = initial
        .iter()
        .enumerate()
        .map(|(j, v)| match is_acc(j) {
            true => ops::array::expand_dims(&ops::array::shape(v)?, 0),
            false => ops::array::expand_dims(v, 0),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut rows0 = Vec::with_capacity(r);
    for a in &accs {
        let empty = tensor_list_resize(&initial[a.var], &Tensor::from(0i32))?;
        rows0.extend(std::iter::repeat_n(empty, a.read_specs().count()));
    }
    let lead: Vec<Tensor> =
        initial.iter().cloned().chain(stacks0).chain(rows0).chain([Tensor::from(0i32)]).chain(caps2).collect();
    let inputs: Vec<Tensor> = initial.iter().chain(caps).cloned().collect();
    let out = trace::add_node(&lead, |g, ins| g.add_while(ins, cg, bg, maximum_iterations))?;
    // New handles, so the tape follows these values from this entry (the backward loop reads
    // the stacks through them, which is what lets an outer tape reach the forward loop).
    let out: Vec<Tensor> = out.iter().map(Tensor::fresh).collect();
    let (finals, rest) = out.split_at(n);
    let replay = match accs.is_empty() {
        true => body_g,
        false => Arc::new(accumulator::replay_graph(&body_g, &accs)?),
    };
    let reverse = Reverse {
        finals: finals.to_vec(),
        stacks: rest[..n].to_vec(),
        rows_read: rest[n..n + r].to_vec(),
        count: rest[n + r].clone(),
        specs,
        initial: initial.to_vec(),
        caps: caps.to_vec(),
        reads: reads.clone(),
        replay,
        accs,
        all,
    };
    tape::record_partial(&inputs, &reads, &out[..2 * n + r], reverse.gradient());
    Ok(finals.to_vec())
}

/// The spec of a stack of values of `spec`, one row per iteration.
fn stacked(spec: &Spec) -> Spec {
    Spec { dtype: spec.dtype, dims: std::iter::once(None).chain(spec.dims.iter().copied()).collect() }
}

/// What the gradient of a differentiated `while_loop` needs from its forward run.
struct Reverse {
    /// The final loop variables.
    finals: Vec<Tensor>,
    /// Per loop variable, its value entering each iteration (then the final value); for an
    /// accumulator, its shape.
    stacks: Vec<Tensor>,
    /// Per row the accumulators' bodies read, its value in each iteration.
    rows_read: Vec<Tensor>,
    /// Iterations the forward loop ran.
    count: Tensor,
    specs: Vec<Spec>,
    initial: Vec<Tensor>,
    caps: Vec<Tensor>,
    reads: Vec<Variable>,
    /// The body as the backward loop replays it ([`accumulator::replay_graph`]).
    replay: Arc<Graph>,
    /// The write-only buffers among the loop variables.
    accs: Vec<Accumulator>,
    all: Vec<Variable>,
}

impl Reverse {
    /// The loop running the body's vector-Jacobian product from the last iteration to the first.
    /// `gs` are the gradients of the final variables, then of the stacks: row k of a stack's
    /// gradient adds to the adjoint of the variable entering iteration k; then of the stacks of
    /// rows read: row k adds to the gradient of the row read in iteration k.
    fn gradient(self) -> PartialGradFn {
        const OP: &str = "while_loop";
        Rc::new(move |gs: &[Option<Tensor>]| {
            let s = &self;
            let n = s.initial.len();
            let fv = float_positions(&s.initial);
            let fc = float_positions(&s.caps);
            let is_acc = |j: usize| s.accs.iter().any(|a| a.var == j);
            // An accumulator's stack holds shapes, which have no gradient.
            let stack_grads: Vec<Option<Tensor>> =
                (0..n).map(|j| gs.get(n + j).cloned().flatten().filter(|_| !is_acc(j))).collect();
            let row_grads: Vec<Option<Tensor>> =
                (0..s.rows_read.len()).map(|q| gs.get(2 * n + q).cloned().flatten()).collect();
            let mut start = vec![ops::math::sub(&s.count, &Tensor::from(1i32))?];
            for &j in &fv {
                let last = match &stack_grads[j] {
                    Some(st) => Some(tensor_list_get_item(st, &s.count)?),
                    None => None,
                };
                start.push(match (gs.get(j).cloned().flatten(), last) {
                    (Some(g), Some(l)) => ops::math::add(&g, &l)?,
                    (Some(g), None) | (None, Some(g)) => g,
                    (None, None) => zeros_like(&s.finals[j])?,
                });
            }
            for &c in &fc {
                start.push(zeros_like(&s.caps[c])?);
            }
            for v in &s.reads {
                start.push(ops::array::zeros(v.dtype(), v.shape())?);
            }
            let mut allowed: Vec<Dims> = vec![Dims::new()];
            allowed.extend(fv.iter().map(|&j| s.specs[j].dims.clone()));
            allowed.extend(fc.iter().map(|&c| s.caps[c].dims()));
            allowed.extend(s.reads.iter().map(|v| v.shape().iter().map(|&d| Some(d)).collect::<Dims>()));
            // An accumulator's adjoint comes from walking its writes back, not from the replay.
            let replayed: Vec<usize> = fv.iter().copied().filter(|&j| !is_acc(j)).collect();
            // The rows read from float accumulators are differentiated as the replay's arguments
            // (after the loop variables, captures and the accumulators' shapes).
            let first_row = n + s.caps.len() + s.accs.len();
            let mut float_rows = Vec::new();
            let mut q = 0;
            for a in &s.accs {
                let count = a.read_specs().count();
                if s.specs[a.var].dtype.is_float() {
                    float_rows.extend(q..q + count);
                }
                q += count;
            }
            let wrt_feeds: Vec<usize> = replayed
                .iter()
                .copied()
                .chain(fc.iter().map(|&c| n + c))
                .chain(float_rows.iter().map(|&q| first_row + q))
                .collect();
            let wrt = Wrt { feeds: &wrt_feeds, variables: &s.reads };
            let body = |lv: &Vec<Tensor>| -> Result<Vec<Tensor>> {
                let k = &lv[0];
                let mut feeds = Vec::with_capacity(s.replay.inputs().len());
                for (j, st) in s.stacks.iter().enumerate() {
                    // The replay never reads an accumulator's value.
                    feeds.push(if is_acc(j) { Tensor::from(0i32) } else { tensor_list_get_item(st, k)? });
                }
                feeds.extend(s.caps.iter().cloned());
                let shapes =
                    s.accs.iter().map(|a| tensor_list_get_item(&s.stacks[a.var], k)).collect::<Result<Vec<_>>>()?;
                feeds.extend(shapes.iter().cloned());
                for rows in &s.rows_read {
                    feeds.push(tensor_list_get_item(rows, k)?);
                }
                let adjoint = |j: usize| fv.iter().position(|&f| f == j).map(|p| &lv[1 + p]);
                // Per float accumulator: it, its adjoint before the writes and its side values.
                let mut acc_adjoints: Vec<(&Accumulator, Tensor, Vec<Tensor>)> = Vec::new();
                let seeds = |outs: &[Tensor]| -> Result<Vec<Option<Tensor>>> {
                    let mut seeds: Vec<Option<Tensor>> = vec![None; outs.len()];
                    for &j in &replayed {
                        seeds[j] = adjoint(j).cloned();
                    }
                    let mut at = n;
                    for a in &s.accs {
                        let sides = outs.get(at..at + a.side_count()).ok_or_else(|| {
                            Error::new(crate::error::ErrorKind::Internal, OP, "replayed side values missing")
                        })?;
                        if let Some(adj) = adjoint(a.var) {
                            let (entering, side_seeds) = accumulator::backward(a, adj, sides)?;
                            acc_adjoints.push((a, entering, sides.to_vec()));
                            for (slot, seed) in seeds[at..].iter_mut().zip(side_seeds) {
                                *slot = seed;
                            }
                        }
                        at += a.side_count();
                    }
                    Ok(seeds)
                };
                let mut r = vjp_with(OP, &s.replay, &feeds, &wrt, seeds, &s.all)?;
                // The replay's gradients are for [replayed variables, captures, rows read,
                // read variables]; the rows' go into their accumulators' adjoints.
                let row_at = replayed.len() + fc.len();
                let mut row_grads_k: Vec<Tensor> = r.drain(row_at..row_at + float_rows.len()).collect();
                for (g, &q) in row_grads_k.iter_mut().zip(&float_rows) {
                    if let Some(st) = &row_grads[q] {
                        *g = ops::math::add(g, &tensor_list_get_item(st, k)?)?;
                    }
                }
                let mut row_grads_k = row_grads_k.into_iter();
                for (a, entering, sides) in &mut acc_adjoints {
                    let grads: Vec<Tensor> = row_grads_k.by_ref().take(a.read_specs().count()).collect();
                    *entering = accumulator::add_reads(a, entering.clone(), sides, &grads)?;
                }
                let mut next = vec![ops::math::sub(k, &Tensor::from(1i32))?];
                let mut replayed_grads = r.iter();
                for &j in &fv {
                    if let Some((_, entering, _)) = acc_adjoints.iter().find(|(a, _, _)| a.var == j) {
                        next.push(entering.clone());
                        continue;
                    }
                    let a = replayed_grads
                        .next()
                        .ok_or_else(|| Error::new(crate::error::ErrorKind::Internal, OP, "gradient missing"))?;
                    next.push(match &stack_grads[j] {
                        Some(st) => ops::math::add(a, &tensor_list_get_item(st, k)?)?,
                        None => a.clone(),
                    });
                }
                for (acc, g) in lv[1 + fv.len()..].iter().zip(replayed_grads) {
                    next.push(ops::math::add(acc, g)?);
                }
                Ok(next)
            };
            let cond = |lv: &Vec<Tensor>| ops::math::greater_equal(&lv[0], &Tensor::from(0i32));
            let end = traced::while_loop(cond, body, start, &WhileOptions::default(), &allowed)?;
            let mut grads = spread(n, &fv, end[1..=fv.len()].iter().cloned());
            for a in &s.accs {
                if let Some(g) = grads[a.var].as_mut() {
                    // The backward loop's final adjoint has the rows the buffer grew to.
                    *g = tensor_list_resize_like(g, &s.initial[a.var])?;
                }
            }
            let rest = &end[1 + fv.len()..];
            grads.extend(spread(s.caps.len(), &fc, rest[..fc.len()].iter().cloned()));
            grads.extend(rest[fc.len()..].iter().cloned().map(Some));
            Ok(grads)
        })
    }
}
