//! Runs a graph on concrete tensors.
//!
//! Each op node goes through the same steps as eager `ops::execute` (shape rule on the concrete
//! input specs, allocation check, kernel, tape recording), so a graph computes what eager
//! execution computes and a tape around a run differentiates through it. Every intermediate is
//! released right after its last consumer runs, following a plan computed once per graph.
//!
//! Two optimizations the plan enables (see [`RunOptions`]): an elementwise op whose input is an
//! intermediate at its last use, held by nothing else, writes its result into that input's
//! buffer (the op's [`OpDef::inplace`] kernel); and independent heavy nodes may run
//! concurrently on the rayon pool. Neither applies while a gradient tape records (recorded
//! inputs must keep their values, and tapes live in thread-locals) or a trace is active.

use crate::cancel::Stop;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::ir::{at_node, AssignMode, Graph, Node, NodeId, NodeKind, Output};
use crate::ops::{OpDef, Spec};
use crate::shape;
use crate::tensor::Tensor;
use crate::variable::Variable;
use rayon::prelude::*;
use smallvec::SmallVec;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Nodes whose largest output has at least this many elements may run concurrently with other
/// such nodes (below it, a rayon hand-off costs more than it saves).
pub const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

/// Steps past a heavy node the plan searches for independent heavy nodes to run alongside it.
const PARALLEL_LOOKAHEAD: usize = 64;

static PARALLEL_DEFAULT: AtomicBool = AtomicBool::new(false);
static REUSE_DEFAULT: AtomicBool = AtomicBool::new(true);

/// Sets whether [`RunOptions::default`] reuses dying intermediates' buffers (on unless set;
/// turning it off is for measuring what reuse gains).
pub fn set_reuse_default(on: bool) {
    REUSE_DEFAULT.store(on, Ordering::Relaxed);
}

/// Makes [`RunOptions::default`] (what `run` and `tf.function` calls use) run independent
/// heavy nodes concurrently. Off unless set: on a 2-core machine it measured no gain.
pub fn set_parallel_default(on: bool) {
    PARALLEL_DEFAULT.store(on, Ordering::Relaxed);
}

/// How [`run_with`] executes a graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// Lets elementwise kernels write into the buffer of an intermediate at its last use.
    pub reuse_buffers: bool,
    /// Runs independent heavy nodes concurrently.
    pub parallel: bool,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            reuse_buffers: REUSE_DEFAULT.load(Ordering::Relaxed),
            parallel: PARALLEL_DEFAULT.load(Ordering::Relaxed),
        }
    }
}

/// What one run did (for tests and profiling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Op outputs written into a reused input buffer instead of a fresh allocation.
    pub reused_buffers: usize,
    /// Nodes that ran concurrently with at least one other node.
    pub parallel_nodes: usize,
}

/// The execution plan of a graph: run order, where each value lives, and when it is released.
#[derive(Debug)]
pub struct Plan {
    order: Vec<NodeId>,
    /// First value slot of each node's outputs (indexed by node id).
    offsets: Vec<usize>,
    num_slots: usize,
    /// Slots to release after each step (indexed by position in `order`).
    release: Vec<SmallVec<[usize; 2]>>,
    /// Input positions of each step's node that may donate their buffer (indexed by step).
    donate: Vec<SmallVec<[usize; 2]>>,
    /// Like `donate`, for values fed to the graph: they may donate only when the run owns its
    /// feeds (a control-flow node handing its operands to a sub-graph).
    donate_feeds: Vec<SmallVec<[usize; 2]>>,
    /// Later steps that may run concurrently with each step (indexed by step).
    group: Vec<SmallVec<[usize; 2]>>,
    /// Steps whose node runs early, in an earlier step's group, when running in parallel.
    deferred: Vec<bool>,
    num_variables: usize,
}

impl Plan {
    /// Computes the plan of a valid graph.
    pub fn new(graph: &Graph) -> Result<Plan> {
        let order = graph.topological_order()?;
        let nodes = graph.nodes();
        let mut offsets = Vec::with_capacity(nodes.len());
        let mut num_slots = 0usize;
        for n in nodes {
            offsets.push(num_slots);
            num_slots += n.outputs.len();
        }
        let mut producer_step = vec![0usize; num_slots];
        let mut last_use: Vec<Option<usize>> = vec![None; num_slots];
        for (step, &id) in order.iter().enumerate() {
            let n = &nodes[id];
            for i in 0..n.outputs.len() {
                producer_step[offsets[id] + i] = step;
            }
            for &o in &n.inputs {
                last_use[slot_of(&offsets, graph, o)?] = Some(step);
            }
        }
        let mut pinned = vec![false; num_slots];
        for &o in graph.outputs() {
            pinned[slot_of(&offsets, graph, o)?] = true;
        }
        let mut release: Vec<SmallVec<[usize; 2]>> = vec![SmallVec::new(); order.len()];
        for slot in 0..num_slots {
            if !pinned[slot] {
                release[last_use[slot].unwrap_or(producer_step[slot])].push(slot);
            }
        }
        let donate = donations(graph, &order, &offsets, &release, false);
        let donate_feeds = donations(graph, &order, &offsets, &release, true);
        let (group, deferred) = parallel_groups(graph, &order);
        Ok(Plan {
            order,
            offsets,
            num_slots,
            release,
            donate,
            donate_feeds,
            group,
            deferred,
            num_variables: graph.num_variables(),
        })
    }

    /// Number of steps that may donate an input buffer to an in-place kernel (or hand a dying
    /// value over to a control-flow node).
    pub fn num_donating_steps(&self) -> usize {
        self.donate.iter().filter(|d| !d.is_empty()).count()
    }

    /// The groups of steps (positions in `order()`) that may run concurrently.
    pub fn parallel_groups(&self) -> Vec<Vec<usize>> {
        self.group
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.is_empty())
            .map(|(s, g)| std::iter::once(s).chain(g.iter().copied()).collect())
            .collect()
    }

    /// Node ids in execution order.
    pub fn order(&self) -> &[NodeId] {
        &self.order
    }

    /// The values released after step `step` (position in `order()`), as node outputs.
    pub fn released_after(&self, step: usize) -> Vec<Output> {
        let Some(slots) = self.release.get(step) else { return Vec::new() };
        slots
            .iter()
            .map(|&s| {
                let node = self.offsets.partition_point(|&off| off <= s) - 1;
                Output::new(node, s - self.offsets[node])
            })
            .collect()
    }
}

/// For each step, the inputs whose value dies there and may be overwritten by an in-place
/// kernel or handed to a control-flow node's sub-graph: the node's op has an in-place kernel
/// (or the node is control flow), the value is released right after this step (so it is not a
/// graph output and no later node reads it), the node reads it only once, and an op or
/// control-flow node computed it (constants and variable values belong to others; feeds
/// belong to the caller, so `feeds` lists those instead, for runs that own their feeds).
/// Sharing is checked again at run time: a buffer is reused only when nothing else holds it.
fn donations(
    graph: &Graph,
    order: &[NodeId],
    offsets: &[usize],
    release: &[SmallVec<[usize; 2]>],
    feeds: bool,
) -> Vec<SmallVec<[usize; 2]>> {
    let nodes = graph.nodes();
    order
        .iter()
        .enumerate()
        .map(|(step, &id)| {
            let n = &nodes[id];
            if !n.kind.is_control_flow() && n.kind.op().is_none_or(|op| op.inplace.is_none()) {
                return SmallVec::new();
            }
            (0..n.inputs.len())
                .filter(|&k| {
                    let o = n.inputs[k];
                    let kind = &nodes[o.node].kind;
                    let producer_owned = if feeds {
                        matches!(kind, NodeKind::Placeholder)
                    } else {
                        matches!(kind, NodeKind::Op(_)) || kind.is_control_flow()
                    };
                    producer_owned
                        && n.inputs.iter().filter(|&&p| p == o).count() == 1
                        && release[step].contains(&(offsets[o.node] + o.index))
                })
                .collect()
        })
        .collect()
}

/// True for nodes worth running concurrently: pure op nodes with a large, statically known output.
fn is_heavy(n: &Node) -> bool {
    match n.kind {
        NodeKind::Op(op) if !op.stateful => n.outputs.iter().any(|s| {
            s.shape().is_some_and(|sh| shape::checked_num_elements(&sh).is_some_and(|e| e >= PARALLEL_MIN_ELEMENTS))
        }),
        _ => false,
    }
}

/// Groups each heavy node with later heavy nodes whose inputs are all computed before it (so
/// none depends on another in the group). Group members run early, at the first member's
/// step; every value is still released at its planned step, so nothing is freed too soon.
fn parallel_groups(graph: &Graph, order: &[NodeId]) -> (Vec<SmallVec<[usize; 2]>>, Vec<bool>) {
    let nodes = graph.nodes();
    let mut group: Vec<SmallVec<[usize; 2]>> = vec![SmallVec::new(); order.len()];
    let mut deferred = vec![false; order.len()];
    let mut step_of = vec![usize::MAX; nodes.len()];
    for (step, &id) in order.iter().enumerate() {
        step_of[id] = step;
    }
    let max_group = rayon::current_num_threads().max(2);
    for si in 0..order.len() {
        if deferred[si] || !is_heavy(&nodes[order[si]]) {
            continue;
        }
        let end = order.len().min(si + 1 + PARALLEL_LOOKAHEAD);
        for sj in si + 1..end {
            if group[si].len() + 1 >= max_group {
                break;
            }
            let n = &nodes[order[sj]];
            if deferred[sj] || !is_heavy(n) {
                continue;
            }
            let ready =
                n.inputs.iter().map(|o| o.node).chain(n.control_inputs.iter().copied()).all(|d| step_of[d] < si);
            if ready {
                group[si].push(sj);
                deferred[sj] = true;
            }
        }
    }
    (group, deferred)
}

fn slot_of(offsets: &[usize], graph: &Graph, o: Output) -> Result<usize> {
    match (offsets.get(o.node), graph.spec(o)) {
        (Some(&off), Some(_)) => Ok(off + o.index),
        _ => Err(Error::new(ErrorKind::Internal, "Graph", format!("dangling reference %{}:{}", o.node, o.index))),
    }
}

/// The cached plan of `graph`, computed on first use.
pub fn plan(graph: &Graph) -> Result<Arc<Plan>> {
    if let Some(p) = graph.plan.get() {
        return Ok(p.clone());
    }
    let p = Arc::new(Plan::new(graph)?);
    Ok(graph.plan.get_or_init(|| p).clone())
}

/// Runs `graph`: `feeds` are its arguments (in placeholder order), `variables` the captured
/// variables (by capture index). Returns the graph's outputs.
pub fn run(graph: &Graph, feeds: &[Tensor], variables: &[Variable]) -> Result<Vec<Tensor>> {
    run_with(graph, feeds, variables, RunOptions::default(), &mut |_, _| {}).map(|(out, _)| out)
}

/// Like [`run`], calling `observer` with each node and its outputs right after the node runs
/// (for debugging and profiling; values the observer clones stay alive, and are then never
/// reused as another node's output buffer).
pub fn run_observed(
    graph: &Graph,
    feeds: &[Tensor],
    variables: &[Variable],
    observer: &mut dyn FnMut(&Node, &[Tensor]),
) -> Result<Vec<Tensor>> {
    run_with(graph, feeds, variables, RunOptions::default(), observer).map(|(out, _)| out)
}

/// Like [`run_observed`], with explicit options; also reports what the run did.
pub fn run_with(
    graph: &Graph,
    feeds: &[Tensor],
    variables: &[Variable],
    options: RunOptions,
    observer: &mut dyn FnMut(&Node, &[Tensor]),
) -> Result<(Vec<Tensor>, RunStats)> {
    run_feeds(graph, Feeds::Borrowed(feeds), variables, options, observer)
}

/// Like [`run`], taking over `feeds`: a feed nothing else holds may have its buffer reused
/// at its last use inside the graph (how a loop body updates a carried value in place).
pub(crate) fn run_owned(graph: &Graph, feeds: Vec<Tensor>, variables: &[Variable]) -> Result<Vec<Tensor>> {
    run_feeds(graph, Feeds::Owned(feeds), variables, RunOptions::default(), &mut |_, _| {}).map(|(out, _)| out)
}

/// A run's arguments: the caller's, or handed over to the run.
enum Feeds<'a> {
    Borrowed(&'a [Tensor]),
    Owned(Vec<Tensor>),
}

fn run_feeds(
    graph: &Graph,
    feeds: Feeds,
    variables: &[Variable],
    options: RunOptions,
    observer: &mut dyn FnMut(&Node, &[Tensor]),
) -> Result<(Vec<Tensor>, RunStats)> {
    let plan = plan(graph)?;
    let owned = matches!(feeds, Feeds::Owned(_));
    let given: &[Tensor] = match &feeds {
        Feeds::Borrowed(f) => f,
        Feeds::Owned(f) => f,
    };
    check_feeds(graph, given)?;
    if variables.len() < plan.num_variables {
        return Err(Error::invalid(
            "Graph",
            format!("the graph reads {} captured variables but {} were given", plan.num_variables, variables.len()),
        ));
    }
    // A recording tape keeps the op inputs it saw (so they must keep their values) and lives in
    // this thread's locals (so ops must run on this thread).
    let recording = crate::tape::is_recording();
    let reuse = options.reuse_buffers && !recording;
    let parallel = options.parallel && !recording && !crate::function::trace::is_tracing();
    let mut stats = RunStats::default();
    let mut slots: Vec<Option<Tensor>> = vec![None; plan.num_slots];
    let feeds: Vec<Tensor> = match feeds {
        Feeds::Borrowed(f) => f.to_vec(),
        Feeds::Owned(f) => f,
    };
    for (&id, feed) in graph.inputs().iter().zip(feeds) {
        slots[plan.offsets[id]] = Some(feed);
    }
    let stop = Stop::current();
    for (step, &id) in plan.order.iter().enumerate() {
        let node = &graph.nodes()[id];
        stop.check(node.kind.name())?;
        if parallel && !plan.group[step].is_empty() {
            run_group(graph, &plan, step, &mut slots, observer)?;
            stats.parallel_nodes += plan.group[step].len() + 1;
        } else if !(parallel && plan.deferred[step]) {
            let outputs = run_node(&plan, step, node, &mut slots, variables, reuse && owned, reuse, &mut stats)?;
            match &node.kind {
                NodeKind::Placeholder => {
                    if let Some(t) = &slots[plan.offsets[id]] {
                        observer(node, std::slice::from_ref(t));
                    }
                }
                _ => {
                    observer(node, &outputs);
                    for (i, t) in outputs.into_iter().enumerate() {
                        slots[plan.offsets[id] + i] = Some(t);
                    }
                }
            }
        }
        for &s in &plan.release[step] {
            slots[s] = None;
        }
    }
    let outputs = graph
        .outputs()
        .iter()
        .map(|&o| {
            slots[plan.offsets[o.node] + o.index]
                .clone()
                .ok_or_else(|| internal(format!("graph output %{}:{} was never computed", o.node, o.index)))
        })
        .collect::<Result<_>>()?;
    Ok((outputs, stats))
}

fn internal(msg: String) -> Error {
    Error::new(ErrorKind::Internal, "Graph", msg)
}

fn gather(plan: &Plan, slots: &[Option<Tensor>], node: &Node) -> Result<SmallVec<[Tensor; 4]>> {
    node.inputs
        .iter()
        .map(|&o| {
            slots[plan.offsets[o.node] + o.index]
                .clone()
                .ok_or_else(|| internal(format!("value %{}:{} was released before %{} ran", o.node, o.index, node.id)))
        })
        .collect()
}

/// The values of step `step`'s node that die there and may be handed over (released from
/// `slots` now, so the node's inputs hold the only handle).
fn hand_over(plan: &Plan, step: usize, node: &Node, slots: &mut [Option<Tensor>], feeds: bool) -> SmallVec<[usize; 2]> {
    let mut donors: SmallVec<[usize; 2]> = plan.donate[step].clone();
    if feeds {
        donors.extend(plan.donate_feeds[step].iter().copied());
    }
    for &k in &donors {
        let o = node.inputs[k];
        slots[plan.offsets[o.node] + o.index] = None;
    }
    donors
}

/// Runs the node of one step and returns its outputs (none for a placeholder). `reuse_feeds`
/// lets the run's own feeds be handed over too (the run owns them).
#[allow(clippy::too_many_arguments)]
fn run_node(
    plan: &Plan,
    step: usize,
    node: &Node,
    slots: &mut [Option<Tensor>],
    variables: &[Variable],
    reuse_feeds: bool,
    reuse: bool,
    stats: &mut RunStats,
) -> Result<SmallVec<[Tensor; 1]>> {
    let id = node.id;
    let mut inputs = gather(plan, slots, node)?;
    Ok(match &node.kind {
        NodeKind::Placeholder => SmallVec::new(),
        NodeKind::Const(t) => SmallVec::from_elem(t.clone(), 1),
        NodeKind::Variable(i) => {
            let var = variables.get(*i).ok_or_else(|| internal(format!("variable {i} missing")))?;
            SmallVec::from_elem(read_variable(node, var)?, 1)
        }
        NodeKind::Assign(i, mode) => {
            let var = variables.get(*i).ok_or_else(|| internal(format!("variable {i} missing")))?;
            let value = inputs.first().ok_or_else(|| internal(format!("%{id} has no value to assign")))?;
            match mode {
                AssignMode::Set => var.assign(value),
                AssignMode::Add => var.assign_add(value),
                AssignMode::Sub => var.assign_sub(value),
            }
            .map_err(|e| at_node(e, id, mode.name()))?;
            SmallVec::from_elem(var.peek(), 1)
        }
        NodeKind::Cond { .. } | NodeKind::While { .. } | NodeKind::Case { .. } => {
            // Dying operands are handed to the sub-graphs, so a loop carries a value nothing
            // else holds and its body may update it in place.
            if reuse {
                hand_over(plan, step, node, slots, reuse_feeds);
            }
            crate::graph::control::run(node, inputs.into_vec(), variables)
                .map_err(|e| at_node(e, id, node.kind.name()))?
                .into()
        }
        NodeKind::Op(op) => {
            // The dying values are released now rather than after the step, so `inputs` holds
            // the only handle and the kernel may take over the buffer.
            let donors = if reuse { hand_over(plan, step, node, slots, reuse_feeds) } else { SmallVec::new() };
            let (outputs, reused) =
                run_op_donating(op, node, &mut inputs, &donors).map_err(|e| at_node(e, id, op.name))?;
            stats.reused_buffers += usize::from(reused);
            outputs.into()
        }
    })
}

/// Runs the op nodes of step `step` and of its group concurrently, then stores their outputs
/// (observing them in step order).
fn run_group(
    graph: &Graph,
    plan: &Plan,
    step: usize,
    slots: &mut [Option<Tensor>],
    observer: &mut dyn FnMut(&Node, &[Tensor]),
) -> Result<()> {
    let mut work: Vec<(&Node, &'static OpDef, SmallVec<[Tensor; 4]>)> = Vec::with_capacity(plan.group[step].len() + 1);
    for s in std::iter::once(step).chain(plan.group[step].iter().copied()) {
        let node = &graph.nodes()[plan.order[s]];
        let op = node.kind.op().ok_or_else(|| internal(format!("%{} is not an op but was grouped", node.id)))?;
        work.push((node, op, gather(plan, slots, node)?));
    }
    // The workers run the ops (and their kernels' checks) under the caller's token.
    let stop = Stop::current();
    let results: Vec<Result<Vec<Tensor>>> = work
        .par_iter()
        .map(|(node, op, inputs)| stop.scope(|| run_op(op, node, inputs)).map_err(|e| at_node(e, node.id, op.name)))
        .collect();
    for ((node, _, _), r) in work.iter().zip(results) {
        let outputs = r?;
        observer(node, &outputs);
        for (i, t) in outputs.into_iter().enumerate() {
            slots[plan.offsets[node.id] + i] = Some(t);
        }
    }
    Ok(())
}

/// True when a concrete shape fits partially known dims.
fn fits(dims: &[shape::Dim], shape: &[usize]) -> bool {
    dims.len() == shape.len() && dims.iter().zip(shape).all(|(d, &s)| d.is_none_or(|d| d == s))
}

fn check_feeds(graph: &Graph, feeds: &[Tensor]) -> Result<()> {
    let specs = graph.input_specs();
    if feeds.len() != specs.len() {
        return Err(Error::invalid(
            "Graph",
            format!("the graph takes {} arguments, {} were given", specs.len(), feeds.len()),
        ));
    }
    for (i, (spec, t)) in specs.iter().zip(feeds).enumerate() {
        if spec.dtype != t.dtype() || !fits(&spec.dims, t.shape()) {
            return Err(Error::invalid(
                "Graph",
                format!(
                    "argument {i} must be a {} tensor, got {}{}",
                    spec.describe(),
                    t.dtype(),
                    shape::fmt_shape(t.shape())
                ),
            ));
        }
    }
    Ok(())
}

fn read_variable(node: &Node, var: &Variable) -> Result<Tensor> {
    let spec = &node.outputs[0];
    if spec.dtype != var.dtype() || !fits(&spec.dims, var.shape()) {
        return Err(Error::invalid(
            "Graph",
            format!(
                "captured variable '{}' is {}{}, but node %{} expects {}",
                var.name(),
                var.dtype(),
                shape::fmt_shape(var.shape()),
                node.id,
                spec.describe()
            ),
        ));
    }
    Ok(var.read_value())
}

/// One op call, exactly as `ops::execute` performs it, plus a check that the concrete output
/// specs fit what the graph declared.
fn run_op(op: &'static OpDef, node: &Node, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    let out_specs = checked_specs(op, node, inputs)?;
    let outputs = (op.kernel)(inputs, &node.attrs, &out_specs).map_err(|e| crate::cancel::attribute(e, op.name))?;
    finish(op, node, inputs, outputs, out_specs.len())
}

/// Like [`run_op`], first offering each input in `donors` (handed over by the caller) to the
/// op's in-place kernel; returns whether one took it.
fn run_op_donating(
    op: &'static OpDef,
    node: &Node,
    inputs: &mut [Tensor],
    donors: &[usize],
) -> Result<(Vec<Tensor>, bool)> {
    let out_specs = checked_specs(op, node, inputs)?;
    if let (Some(inplace), Some(first)) = (op.inplace, out_specs.first()) {
        for &k in donors {
            // When the output's shape depends on input values (`tensor_list_resize`), the shape
            // rule cannot tell it and the in-place kernel sizes the buffer itself.
            let fits = inputs
                .get(k)
                .is_some_and(|t| t.dtype() == first.dtype && first.shape().is_none_or(|s| t.shape() == s.as_slice()));
            if fits {
                if let Some(outputs) = inplace(inputs, k, &node.attrs, &out_specs)? {
                    return Ok((finish(op, node, inputs, outputs, out_specs.len())?, true));
                }
            }
        }
    }
    let outputs = (op.kernel)(inputs, &node.attrs, &out_specs).map_err(|e| crate::cancel::attribute(e, op.name))?;
    Ok((finish(op, node, inputs, outputs, out_specs.len())?, false))
}

/// The op's output specs for these concrete inputs, checked against the graph's declaration
/// and against the allocation limit.
fn checked_specs(op: &'static OpDef, node: &Node, inputs: &[Tensor]) -> Result<SmallVec<[Spec; 2]>> {
    let specs: SmallVec<[Spec; 4]> = inputs.iter().map(Spec::of).collect();
    let out_specs = (op.infer)(&specs, &node.attrs)?;
    if out_specs.len() != node.outputs.len()
        || out_specs.iter().zip(&node.outputs).any(|(c, d)| c.dtype != d.dtype || !dims_agree(&c.dims, &d.dims))
    {
        let show = |v: &[Spec]| v.iter().map(Spec::describe).collect::<Vec<_>>().join(", ");
        return Err(Error::new(
            ErrorKind::Internal,
            op.name,
            format!("computes ({}) at run time, the graph declared ({})", show(&out_specs), show(&node.outputs)),
        ));
    }
    for s in &out_specs {
        if let Some(shape) = s.shape() {
            shape::check_allocation(op.name, s.dtype, &shape)?;
        }
    }
    Ok(out_specs.into())
}

fn finish(
    op: &'static OpDef,
    node: &Node,
    inputs: &[Tensor],
    outputs: Vec<Tensor>,
    promised: usize,
) -> Result<Vec<Tensor>> {
    if outputs.len() != promised {
        return Err(Error::new(
            ErrorKind::Internal,
            op.name,
            format!("kernel returned {} outputs, shape rule promised {promised}", outputs.len()),
        ));
    }
    // Ops whose output sizes depend on input values (`unique`, `segment_sum`) leave those
    // dims unknown even at run time; their results are checked against the graph here.
    if let Some((t, d)) =
        outputs.iter().zip(&node.outputs).find(|(t, d)| t.dtype() != d.dtype || !fits(&d.dims, t.shape()))
    {
        return Err(Error::new(
            ErrorKind::Internal,
            op.name,
            format!("computed a {}{:?} output, the graph declared {}", t.dtype(), t.shape(), d.describe()),
        ));
    }
    if op.grad.is_some() {
        crate::tape::record_op(op, inputs, &outputs, &node.attrs);
    }
    Ok(outputs)
}

/// Whether run-time dims agree with declared dims wherever both are known.
fn dims_agree(run: &[shape::Dim], declared: &[shape::Dim]) -> bool {
    shape::dims_compatible(run, declared)
}
