//! Control flow inside a trace: each branch, the loop condition and the loop body are traced
//! into sub-graphs, and one `cond`/`while`/`case` node holding them joins the enclosing graph.
//!
//! Outer values a sub-graph uses become its trailing placeholders (its captures). Sub-graphs of
//! one node must take the same arguments, so their capture lists are merged: every sub-graph
//! gets a placeholder for every capture of the node (unused ones are simply not read), in one
//! order, and the node passes the merged captures after its other operands.

use super::gradients::{self, Control};
use super::nest::{assert_same_structure, Nest, Structure};
use super::while_loop::WhileOptions;
use crate::error::{Error, Result};
use crate::function::trace::{self, trace_graph, TraceOptions, Traced};
use crate::graph::control::accepts;
use crate::graph::{Graph, Node, NodeKind};
use crate::ops::Spec;
use crate::tensor::Tensor;
use crate::variable::Variable;
use std::sync::Arc;

/// Sub-graphs share the enclosing function's variable list and creation rules.
const NESTED: TraceOptions = TraceOptions { root: false, allow_variable_creation: true };

/// Traces a closure with no arguments, returning the sub-graph and the result's structure.
fn trace_branch<R: Nest>(f: impl FnOnce() -> Result<R>) -> Result<(Traced, Structure)> {
    let mut structure = None;
    let traced = trace_graph(&[], NESTED, |_| {
        let s = f()?.to_structure();
        let flat = s.flatten();
        structure = Some(s);
        Ok(flat)
    })?;
    let s = structure.ok_or_else(|| Error::invalid("trace", "the branch produced no result"))?;
    Ok((traced, s))
}

/// Every capture of `traced`, each once (by tensor identity), in first-use order.
pub(super) fn merged_captures(traced: &[&Traced]) -> Vec<Tensor> {
    let mut out: Vec<Tensor> = Vec::new();
    for t in traced {
        for c in &t.captures {
            if !out.iter().any(|o| o.id() == c.id()) {
                out.push(c.clone());
            }
        }
    }
    out
}

/// The traced graph with its capture placeholders following `merged` (adding the ones it does
/// not use); its first `n_args` arguments are kept as they are.
pub(super) fn align(traced: Traced, n_args: usize, merged: &[Tensor]) -> Result<Arc<Graph>> {
    let mut g = traced.graph;
    let own: Vec<u64> = traced.captures.iter().map(Tensor::id).collect();
    let mut inputs = g.inputs().get(..n_args).map(<[_]>::to_vec).unwrap_or_default();
    for c in merged {
        match own.iter().position(|&id| id == c.id()) {
            Some(p) => inputs.push(g.inputs()[n_args + p]),
            None => inputs.push(g.add_placeholder(Spec::of(c)).node),
        }
    }
    let (nodes, _, outputs) = g.into_parts();
    Graph::from_parts(nodes, inputs, outputs).map(Arc::new)
}

/// `cond` inside a trace.
pub(crate) fn cond<R: Nest>(
    pred: &Tensor,
    true_fn: impl FnOnce() -> Result<R>,
    false_fn: impl FnOnce() -> Result<R>,
) -> Result<R> {
    let (t, ts) = trace_branch(true_fn)?;
    let (f, fs) = trace_branch(false_fn)?;
    assert_same_structure("cond", "true_fn's result", &ts, "false_fn's result", &fs)?;
    let caps = merged_captures(&[&t, &f]);
    let (tg, fg) = (align(t, 0, &caps)?, align(f, 0, &caps)?);
    let outs = gradients::add_control(Control::Cond, Some(pred.clone()), &[], &caps, vec![tg, fg])?;
    R::from_structure(ts.pack_sequence_as(&outs)?)
}

/// `switch_case` inside a trace: the default (if any) becomes the last branch, which is what
/// an out-of-range index runs.
pub(crate) fn switch_case<R: Nest>(
    branch_index: &Tensor,
    branches: &[&dyn Fn() -> Result<R>],
    default: Option<&dyn Fn() -> Result<R>>,
) -> Result<R> {
    let mut traced = Vec::new();
    for f in branches.iter().copied().chain(default) {
        traced.push(trace_branch(f)?);
    }
    let Some((_, first)) = traced.first() else {
        return Err(Error::invalid("switch_case", "branches must not be empty (and no default was given)"));
    };
    let first = first.clone();
    for (i, (_, s)) in traced.iter().enumerate().skip(1) {
        assert_same_structure("switch_case", "branch 0's result", &first, &format!("branch {i}'s result"), s)?;
    }
    let caps = merged_captures(&traced.iter().map(|(t, _)| t).collect::<Vec<_>>());
    let graphs = traced.into_iter().map(|(t, _)| align(t, 0, &caps)).collect::<Result<Vec<_>>>()?;
    let outs = gradients::add_control(Control::Case, Some(branch_index.clone()), &[], &caps, graphs)?;
    R::from_structure(first.pack_sequence_as(&outs)?)
}

/// `while_loop` inside a trace.
pub(crate) fn while_loop<V: Nest>(
    mut cond_fn: impl FnMut(&V) -> Result<Tensor>,
    mut body_fn: impl FnMut(&V) -> Result<V>,
    loop_vars: V,
    options: &WhileOptions,
    allowed: &[crate::shape::Dims],
) -> Result<V> {
    const OP: &str = "while_loop";
    let initial = loop_vars.to_structure();
    let vars = initial.flatten_with_paths();
    let specs: Vec<Spec> =
        vars.iter().zip(allowed).map(|((_, t), dims)| Spec { dtype: t.dtype(), dims: dims.clone() }).collect();
    let unpack = |args: &[Tensor]| V::from_structure(initial.pack_sequence_as(args)?);
    let c = trace_graph(&specs, NESTED, |args| Ok(vec![cond_fn(&unpack(args)?)?]))?;
    let mut body_structure = None;
    let b = trace_graph(&specs, NESTED, |args| {
        let s = body_fn(&unpack(args)?)?.to_structure();
        let flat = s.flatten();
        body_structure = Some(s);
        Ok(flat)
    })?;
    let bs = body_structure.ok_or_else(|| Error::invalid(OP, "the body produced no result"))?;
    assert_same_structure(OP, "loop_vars", &initial, "the body's result", &bs)?;
    for (((path, _), spec), out) in vars.iter().zip(&specs).zip(b.graph.output_specs()) {
        if out.dtype != spec.dtype || !accepts(spec, &out) {
            return Err(Error::invalid(
                OP,
                format!(
                    "loop variable loop_vars{path} enters the loop as {} but the body returns {}; dtypes cannot \
                     change, and a changing shape needs a shape invariant with None dims",
                    spec.describe(),
                    out.describe()
                ),
            ));
        }
    }
    let n = specs.len();
    let caps = merged_captures(&[&c, &b]);
    let (cg, bg) = (align(c, n, &caps)?, align(b, n, &caps)?);
    let initial_flat: Vec<Tensor> = vars.into_iter().map(|(_, t)| t).collect();
    let kind = Control::While { max: options.maximum_iterations };
    let outs = gradients::add_control(kind, None, &initial_flat, &caps, vec![cg, bg])?;
    V::from_structure(initial.pack_sequence_as(&outs)?)
}

/// A control-flow node of a concrete function called while another function is traced: its
/// sub-graphs are replayed into traced sub-graphs (so their variable reads join the enclosing
/// function's captures) and the node is rebuilt in the enclosing graph. Outside a trace the
/// node simply runs.
pub(crate) fn replay_node(node: &Node, inputs: &[Tensor], variables: &[Variable]) -> Result<Vec<Tensor>> {
    if !trace::is_tracing() {
        return crate::graph::control::run(node, inputs.to_vec(), variables);
    }
    let retrace =
        |g: &Graph| trace_graph(&g.input_specs(), NESTED, |args| crate::function::concrete::replay(g, args, variables));
    let n_lead = match node.kind {
        NodeKind::While { .. } => 0,
        _ => 1,
    };
    if inputs.len() < n_lead {
        return Err(Error::invalid(node.kind.name(), "the node has no predicate or branch index input"));
    }
    let (lead, operands) = inputs.split_at(n_lead);
    let traced = node.kind.subgraphs().into_iter().map(|(_, g)| retrace(g)).collect::<Result<Vec<_>>>()?;
    let caps = merged_captures(&traced.iter().collect::<Vec<_>>());
    let graphs = traced.into_iter().map(|t| align(t, operands.len(), &caps)).collect::<Result<Vec<Arc<Graph>>>>()?;
    let (selector, kind, n_vars) = match node.kind {
        NodeKind::Cond { .. } => (lead.first().cloned(), Control::Cond, 0),
        NodeKind::While { max_iterations, .. } => (None, Control::While { max: max_iterations }, node.outputs.len()),
        _ => (lead.first().cloned(), Control::Case, 0),
    };
    let (vars, own) = operands.split_at(n_vars.min(operands.len()));
    let caps: Vec<Tensor> = own.iter().cloned().chain(caps).collect();
    gradients::add_control(kind, selector, vars, &caps, graphs)
}
