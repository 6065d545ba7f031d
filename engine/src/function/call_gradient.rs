//! A concrete function called under a recording tape, as TensorFlow records it: one tape entry
//! for the whole call, backed by a forward graph (the function's results plus the intermediate
//! values its gradient needs) and a backward graph (those values and the results' gradients to
//! the gradients of the tracked arguments and variables). Both are optimized like the function
//! itself (fused, buffers reused, branches in parallel), instead of the call's ops being
//! recorded one by one.
//!
//! The pair is built once per set of tracked sources by tracing the function's tape graph
//! under a tape and splitting the result where the incoming gradients start to matter.

use super::concrete::{replay, ConcreteFunction};
use super::trace::{trace_graph, TraceOptions};
use crate::error::Result;
use crate::graph::{exec, Graph, Node, NodeKind, Output};
use crate::ops::Spec;
use crate::tape::{self, GradientTape, UnconnectedGradients, Watchable};
use crate::tensor::Tensor;
use crate::variable::Variable;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// The forward and backward graphs of one concrete function for one set of tracked sources.
#[derive(Debug)]
pub(crate) struct GradientPair {
    /// Arguments → the function's results, then the saved values.
    forward: Graph,
    /// Saved values, then one gradient per float result → one gradient per source.
    backward: Graph,
    /// [`Self::backward`] without fused nodes, run when a tape records the backward pass.
    backward_tape: Graph,
    /// The variables both graphs index.
    variables: Vec<Variable>,
    /// Which results are float (each takes an incoming gradient).
    float_results: Vec<usize>,
}

/// The cache of pairs by source mask (`None`: the pair cannot be built; record op by op).
pub(crate) type PairCache = std::sync::Mutex<Vec<(Vec<bool>, Option<Arc<GradientPair>>)>>;

/// Clones of the cached pairs' forward and backward graphs.
pub(crate) fn graphs(cache: &PairCache) -> Vec<(Graph, Graph)> {
    let cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache.iter().filter_map(|(_, p)| p.as_ref().map(|p| (p.forward.clone(), p.backward.clone()))).collect()
}

/// Sources of a call: the float arguments, then the float variables the graph reads (if the
/// tape follows one the call also writes, the call is recorded op by op instead).
struct Sources {
    args: Vec<usize>,
    variables: Vec<usize>,
}

/// Runs `cf` on `feeds` as one tape entry when that is possible: one non-persistent tape
/// records (otherwise the gradient may be differentiated again, which needs the forward ops
/// recorded one by one) and no variable the tape follows is written by the call. `None`:
/// record the call op by op.
pub(crate) fn call(cf: &ConcreteFunction, feeds: &[Tensor]) -> Result<Option<Vec<Tensor>>> {
    if !tape::first_order_only() {
        return Ok(None);
    }
    let (reads, writes) = cf.tape_graph.variable_use();
    for &i in &reads {
        if let Some(v) = cf.variables.get(i) {
            tape::note_variable_access(v);
        }
    }
    let sources = Sources {
        args: (0..feeds.len()).filter(|&i| feeds[i].dtype().is_float()).collect(),
        variables: reads
            .iter()
            .copied()
            .filter(|i| cf.variables.get(*i).is_some_and(|v| v.dtype().is_float()))
            .collect(),
    };
    let ids: Vec<u64> = sources
        .args
        .iter()
        .map(|&i| feeds[i].id())
        .chain(sources.variables.iter().map(|&i| cf.variables[i].handle_id()))
        .collect();
    let mask = tape::tracked(&ids);
    if !mask.contains(&true) {
        // Nothing the tape follows flows in: the call is not recorded at all.
        return tape::no_record(|| exec::run(&cf.graph, feeds, &cf.variables)).map(Some);
    }
    let n_args = sources.args.len();
    if sources.variables.iter().zip(&mask[n_args..]).any(|(i, &m)| m && writes.contains(i)) {
        return Ok(None);
    }
    let Some(pair) = pair_for(cf, &sources, &mask)? else { return Ok(None) };
    let n_out = cf.tape_graph.outputs().len();
    let mut values = tape::no_record(|| exec::run(&pair.forward, feeds, &pair.variables))?;
    let saved = values.split_off(n_out);
    let outputs: Vec<Tensor> = values.iter().map(Tensor::fresh).collect();
    let inputs: Vec<Tensor> =
        sources.args.iter().zip(&mask).filter(|(_, &m)| m).map(|(&i, _)| feeds[i].clone()).collect();
    let variables: Vec<Variable> = sources
        .variables
        .iter()
        .zip(&mask[n_args..])
        .filter(|(_, &m)| m)
        .map(|(&i, _)| cf.variables[i].clone())
        .collect();
    let results = outputs.clone();
    let grad = Rc::new(move |grads: &[Option<Tensor>]| -> Result<Vec<Option<Tensor>>> {
        let mut feeds = saved.clone();
        for &k in &pair.float_results {
            feeds.push(match &grads[k] {
                Some(g) => g.clone(),
                None => crate::ops::shape_like::zeros_like(&results[k])?,
            });
        }
        // A tape recording the backward pass differentiates it node by node.
        let graph = if tape::is_recording() { &pair.backward_tape } else { &pair.backward };
        Ok(exec::run(graph, &feeds, &pair.variables)?.into_iter().map(Some).collect())
    });
    tape::record_partial(&inputs, &variables, &outputs, grad);
    Ok(Some(outputs))
}

/// The cached pair for `mask`, built on first use.
fn pair_for(cf: &ConcreteFunction, sources: &Sources, mask: &[bool]) -> Result<Option<Arc<GradientPair>>> {
    let mut cache = cf.gradient_pairs.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, pair)) = cache.iter().find(|(m, _)| m == mask) {
        return Ok(pair.clone());
    }
    // A gradient the graph cannot express (an op without one on the path) is left to the
    // op-by-op recording, which fails only if a gradient actually flows there.
    let pair = build(cf, sources, mask).ok().map(Arc::new);
    cache.push((mask.to_vec(), pair.clone()));
    Ok(pair)
}

/// Traces the tape graph under a tape that watches the tracked sources, with one extra
/// argument per float result for its incoming gradient, and splits the trace in two.
fn build(cf: &ConcreteFunction, sources: &Sources, mask: &[bool]) -> Result<GradientPair> {
    let graph = &cf.tape_graph;
    let n_feeds = graph.inputs().len();
    let out_specs = graph.output_specs();
    let float_results: Vec<usize> = (0..out_specs.len()).filter(|&k| out_specs[k].dtype.is_float()).collect();
    let specs: Vec<Spec> =
        graph.input_specs().into_iter().chain(float_results.iter().map(|&k| out_specs[k].clone())).collect();
    let n_args = sources.args.len();
    let args: Vec<usize> = sources.args.iter().zip(mask).filter(|(_, &m)| m).map(|(&i, _)| i).collect();
    let vars: Vec<&Variable> =
        sources.variables.iter().zip(&mask[n_args..]).filter(|(_, &m)| m).map(|(&i, _)| &cf.variables[i]).collect();
    let traced = trace_graph(&specs, TraceOptions { root: true, allow_variable_creation: false }, |xs| {
        let (feeds, seeds) = xs.split_at(n_feeds);
        let tape = GradientTape::new();
        let results = tape.scope(|t| {
            for &i in &args {
                t.watch(&feeds[i]);
            }
            for v in &vars {
                t.watch(*v);
            }
            replay(graph, feeds, &cf.variables)
        })??;
        let targets: Vec<Tensor> = float_results.iter().map(|&k| results[k].clone()).collect();
        let watched: Vec<&dyn Watchable> = args
            .iter()
            .map(|&i| &feeds[i] as &dyn Watchable)
            .chain(vars.iter().map(|v| *v as &dyn Watchable))
            .collect();
        let grads = tape.gradient_multi(&targets, &watched, Some(seeds.to_vec()), UnconnectedGradients::Zero)?;
        let grads = grads.into_iter().map(|g| g.ok_or_else(|| internal("a watched source got no gradient")));
        results.into_iter().map(Ok).chain(grads).collect::<Result<Vec<_>>>()
    })?;
    if !traced.captures.is_empty() {
        return Err(internal("the gradient trace captured outer values"));
    }
    let (forward, backward) = split(&traced.graph, n_feeds, out_specs.len())?;
    Ok(GradientPair {
        forward: super::polymorphic::optimize(&forward, true)?.0,
        backward: super::polymorphic::optimize(&backward, true)?.0,
        backward_tape: super::polymorphic::optimize(&backward, false)?.0,
        variables: traced.variables,
        float_results,
    })
}

fn internal(message: &str) -> crate::Error {
    crate::Error::new(crate::ErrorKind::Internal, "tf.function", message)
}

/// Splits a traced forward-and-backward graph (arguments: `n_feeds` feeds then the incoming
/// gradients; outputs: `n_out` results then the gradients) into the nodes that do not depend on
/// the incoming gradients and those that do. The forward graph outputs the results and then
/// every value the backward graph takes from it; the backward graph takes those values, then
/// the incoming gradients.
fn split(g: &Graph, n_feeds: usize, n_out: usize) -> Result<(Graph, Graph)> {
    let order = g.topological_order()?;
    let seeds = &g.inputs()[n_feeds..];
    let mut late = vec![false; g.len()];
    for &id in &order {
        let n = &g.nodes()[id];
        late[id] =
            seeds.contains(&id) || n.inputs.iter().any(|o| late[o.node]) || n.control_inputs.iter().any(|&c| late[c]);
    }
    // Values crossing from the forward part into the backward part (constants are copied).
    let mut saved: Vec<Output> = Vec::new();
    let crossing = |o: &Output, saved: &mut Vec<Output>| {
        if !late[o.node] && !matches!(g.nodes()[o.node].kind, NodeKind::Const(_)) && !saved.contains(o) {
            saved.push(*o);
        }
    };
    for &id in order.iter().filter(|&&id| late[id]) {
        g.nodes()[id].inputs.iter().for_each(|o| crossing(o, &mut saved));
    }
    g.outputs()[n_out..].iter().for_each(|o| crossing(o, &mut saved));

    let forward_outputs: Vec<Output> = g.outputs()[..n_out].iter().chain(&saved).copied().collect();
    let forward = copy_nodes(g, &order, &|id| !late[id], &g.inputs()[..n_feeds], &[], &forward_outputs)?;
    let backward = copy_nodes(g, &order, &|id| late[id], seeds, &saved, &g.outputs()[n_out..])?;
    Ok((forward, backward))
}

/// A graph of the nodes `keep` accepts (in `order`): `saved` values of other nodes become its
/// first placeholders, the kept placeholders `args` follow; other constants are copied in.
fn copy_nodes(
    g: &Graph,
    order: &[usize],
    keep: &dyn Fn(usize) -> bool,
    args: &[usize],
    saved: &[Output],
    outputs: &[Output],
) -> Result<Graph> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut inputs = Vec::new();
    let mut map: HashMap<Output, Output> = HashMap::new();
    let mut node_map: HashMap<usize, usize> = HashMap::new();
    let add = |nodes: &mut Vec<Node>, kind: NodeKind, spec: Vec<Spec>| {
        let id = nodes.len();
        nodes.push(Node {
            id,
            kind,
            attrs: Default::default(),
            inputs: Vec::new(),
            control_inputs: Vec::new(),
            outputs: spec,
        });
        id
    };
    for o in saved {
        let spec = g.spec(*o).cloned().ok_or_else(|| internal("a saved value has no spec"))?;
        let id = add(&mut nodes, NodeKind::Placeholder, vec![spec]);
        inputs.push(id);
        map.insert(*o, Output::new(id, 0));
    }
    for &a in args {
        let id = add(&mut nodes, NodeKind::Placeholder, g.nodes()[a].outputs.clone());
        inputs.push(id);
        map.insert(Output::new(a, 0), Output::new(id, 0));
        node_map.insert(a, id);
    }
    let resolve = |o: &Output, nodes: &mut Vec<Node>, map: &mut HashMap<Output, Output>| -> Result<Output> {
        if let Some(m) = map.get(o) {
            return Ok(*m);
        }
        match &g.nodes()[o.node].kind {
            NodeKind::Const(t) => {
                let id = add(nodes, NodeKind::Const(t.clone()), g.nodes()[o.node].outputs.clone());
                map.insert(*o, Output::new(id, 0));
                Ok(Output::new(id, 0))
            }
            _ => Err(internal("a value crosses between the forward and backward graphs unsaved")),
        }
    };
    for &id in order.iter().filter(|&&id| keep(id) && !matches!(g.nodes()[id].kind, NodeKind::Placeholder)) {
        let n = &g.nodes()[id];
        let ins = n.inputs.iter().map(|o| resolve(o, &mut nodes, &mut map)).collect::<Result<Vec<_>>>()?;
        let new_id = nodes.len();
        nodes.push(Node {
            id: new_id,
            kind: n.kind.clone(),
            attrs: n.attrs.clone(),
            inputs: ins,
            control_inputs: n.control_inputs.iter().filter_map(|c| node_map.get(c).copied()).collect(),
            outputs: n.outputs.clone(),
        });
        node_map.insert(id, new_id);
        for k in 0..n.outputs.len() {
            map.insert(Output::new(id, k), Output::new(new_id, k));
        }
    }
    let outs = outputs.iter().map(|o| resolve(o, &mut nodes, &mut map)).collect::<Result<Vec<_>>>()?;
    Graph::from_parts(nodes, inputs, outs)
}
