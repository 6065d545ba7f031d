//! Runs a graph on concrete tensors.
//!
//! Each op node goes through the same steps as eager `ops::execute` (shape rule on the concrete
//! input specs, allocation check, kernel, tape recording), so a graph computes what eager
//! execution computes and a tape around a run differentiates through it. Every intermediate is
//! released right after its last consumer runs, following a plan computed once per graph.

use crate::error::{Error, ErrorKind, Result};
use crate::graph::ir::{at_node, AssignMode, Graph, Node, NodeId, NodeKind, Output};
use crate::ops::{OpDef, Spec};
use crate::shape;
use crate::tensor::Tensor;
use crate::variable::Variable;
use smallvec::SmallVec;
use std::sync::Arc;

/// The execution plan of a graph: run order, where each value lives, and when it is released.
#[derive(Debug)]
pub struct Plan {
    order: Vec<NodeId>,
    /// First value slot of each node's outputs (indexed by node id).
    offsets: Vec<usize>,
    num_slots: usize,
    /// Slots to release after each step (indexed by position in `order`).
    release: Vec<SmallVec<[usize; 2]>>,
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
        Ok(Plan { order, offsets, num_slots, release, num_variables: graph.num_variables() })
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
    run_observed(graph, feeds, variables, &mut |_, _| {})
}

/// Like [`run`], calling `observer` with each node and its outputs right after the node runs
/// (for debugging and profiling; values the observer clones stay alive).
pub fn run_observed(
    graph: &Graph,
    feeds: &[Tensor],
    variables: &[Variable],
    observer: &mut dyn FnMut(&Node, &[Tensor]),
) -> Result<Vec<Tensor>> {
    let plan = plan(graph)?;
    check_feeds(graph, feeds)?;
    if variables.len() < plan.num_variables {
        return Err(Error::invalid(
            "Graph",
            format!("the graph reads {} captured variables but {} were given", plan.num_variables, variables.len()),
        ));
    }
    let internal = |msg: String| Error::new(ErrorKind::Internal, "Graph", msg);
    let mut slots: Vec<Option<Tensor>> = vec![None; plan.num_slots];
    for (&id, feed) in graph.inputs().iter().zip(feeds) {
        slots[plan.offsets[id]] = Some(feed.clone());
    }
    for (step, &id) in plan.order.iter().enumerate() {
        let node = &graph.nodes()[id];
        let inputs: SmallVec<[Tensor; 4]> = node
            .inputs
            .iter()
            .map(|&o| {
                slots[plan.offsets[o.node] + o.index]
                    .clone()
                    .ok_or_else(|| internal(format!("value %{}:{} was released before %{id} ran", o.node, o.index)))
            })
            .collect::<Result<_>>()?;
        let outputs: SmallVec<[Tensor; 1]> = match &node.kind {
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
                crate::graph::control::run(node, &inputs, variables)
                    .map_err(|e| at_node(e, id, node.kind.name()))?
                    .into()
            }
            NodeKind::Op(op) => run_op(op, node, &inputs).map_err(|e| at_node(e, id, op.name))?.into(),
        };
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
        for &s in &plan.release[step] {
            slots[s] = None;
        }
    }
    graph
        .outputs()
        .iter()
        .map(|&o| {
            slots[plan.offsets[o.node] + o.index]
                .clone()
                .ok_or_else(|| internal(format!("graph output %{}:{} was never computed", o.node, o.index)))
        })
        .collect()
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
    let specs: SmallVec<[Spec; 4]> = inputs.iter().map(Spec::of).collect();
    let out_specs = (op.infer)(&specs, &node.attrs)?;
    if out_specs.len() != node.outputs.len()
        || out_specs
            .iter()
            .zip(&node.outputs)
            .any(|(c, d)| c.dtype != d.dtype || c.shape().is_none_or(|s| !fits(&d.dims, &s)))
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
    let outputs = (op.kernel)(inputs, &node.attrs, &out_specs)?;
    if outputs.len() != out_specs.len() {
        return Err(Error::new(
            ErrorKind::Internal,
            op.name,
            format!("kernel returned {} outputs, shape rule promised {}", outputs.len(), out_specs.len()),
        ));
    }
    if op.grad.is_some() {
        crate::tape::record_op(op, inputs, &outputs, &node.attrs);
    }
    Ok(outputs)
}
