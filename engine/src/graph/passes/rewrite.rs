//! Shared machinery for rewriting passes: a mutable copy of a graph's parts, lazy forwarding
//! of replaced values, removal of nodes a rewrite left without consumers, and compaction back
//! into a validated `Graph`.

use crate::error::Result;
use crate::graph::ir::{Graph, Node, NodeId, NodeKind, Output};
use std::collections::HashMap;

/// A graph being rewritten. Replaced values are forwarded lazily (`forward`), so a pass that
/// walks nodes in topological order sees every input already resolved, and the final fix-up
/// touches each edge once instead of once per replacement.
pub(crate) struct Rewrite {
    pub nodes: Vec<Node>,
    pub inputs: Vec<NodeId>,
    pub outputs: Vec<Output>,
    forward: HashMap<Output, Output>,
    /// Nodes a replacement may have left without consumers.
    pub dead_candidates: Vec<NodeId>,
}

impl Rewrite {
    pub fn new(graph: &Graph) -> Rewrite {
        let (nodes, inputs, outputs) = graph.clone().into_parts();
        Rewrite { nodes, inputs, outputs, forward: HashMap::new(), dead_candidates: Vec::new() }
    }

    /// The value `o` stands for after every replacement so far.
    pub fn resolve(&self, mut o: Output) -> Output {
        // Chains are short, and each hop moves to a value defined earlier, so this ends.
        while let Some(&next) = self.forward.get(&o) {
            o = next;
        }
        o
    }

    /// Resolves the data inputs of `id` in place.
    pub fn resolve_inputs(&mut self, id: NodeId) {
        let resolved: Vec<Output> = self.nodes[id].inputs.iter().map(|&o| self.resolve(o)).collect();
        self.nodes[id].inputs = resolved;
    }

    /// Makes every use of `from` read `to` instead; `from`'s node becomes a removal candidate.
    pub fn replace(&mut self, from: Output, to: Output) {
        let to = self.resolve(to);
        if from != to {
            self.forward.insert(from, to);
            self.dead_candidates.push(from.node);
        }
    }

    /// Appends a node and returns its id.
    pub fn push(
        &mut self,
        kind: NodeKind,
        attrs: crate::attrs::Attrs,
        inputs: Vec<Output>,
        outputs: Vec<crate::ops::Spec>,
    ) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node { id, kind, attrs, inputs, control_inputs: Vec::new(), outputs });
        id
    }

    /// True when some node lists `id` as a control input.
    pub fn control_targets(&self) -> Vec<bool> {
        let mut t = vec![false; self.nodes.len()];
        for n in &self.nodes {
            for &c in &n.control_inputs {
                if let Some(slot) = t.get_mut(c) {
                    *slot = true;
                }
            }
        }
        t
    }

    /// Applies the forwarding, removes candidates (and, transitively, their producers) that
    /// ended up unused, and returns the validated graph.
    pub fn finish(mut self) -> Result<Graph> {
        for i in 0..self.nodes.len() {
            self.resolve_inputs(i);
        }
        let outs: Vec<Output> = self.outputs.iter().map(|&o| self.resolve(o)).collect();
        self.outputs = outs;
        let mut uses = vec![0usize; self.nodes.len()];
        for n in &self.nodes {
            for p in n.inputs.iter().map(|o| o.node).chain(n.control_inputs.iter().copied()) {
                uses[p] += 1;
            }
        }
        for o in &self.outputs {
            uses[o.node] += 1;
        }
        let mut removed = vec![false; self.nodes.len()];
        let mut stack = std::mem::take(&mut self.dead_candidates);
        while let Some(id) = stack.pop() {
            let n = &self.nodes[id];
            if removed[id] || uses[id] > 0 || !removable(n) {
                continue;
            }
            removed[id] = true;
            for p in n.inputs.iter().map(|o| o.node).chain(n.control_inputs.iter().copied()) {
                uses[p] -= 1;
                if uses[p] == 0 {
                    stack.push(p);
                }
            }
        }
        compact(self.nodes, self.inputs, self.outputs, &removed)
    }
}

/// Placeholders are the graph's signature and stateful nodes (stateful ops, variable writes,
/// control flow that runs either) have effects: none is ever removed for lack of consumers.
pub(crate) fn removable(n: &Node) -> bool {
    match &n.kind {
        NodeKind::Placeholder => false,
        k => !k.is_stateful(),
    }
}

/// Drops the `removed` nodes (which nothing may reference), renumbers the rest in stored
/// order, and validates the result.
pub(crate) fn compact(nodes: Vec<Node>, inputs: Vec<NodeId>, outputs: Vec<Output>, removed: &[bool]) -> Result<Graph> {
    let mut new_id = vec![usize::MAX; nodes.len()];
    let mut next = 0;
    for (i, r) in removed.iter().enumerate() {
        if !r {
            new_id[i] = next;
            next += 1;
        }
    }
    // A reference to a removed node maps to an id past the end, which validation reports.
    let map = |id: NodeId| new_id.get(id).copied().unwrap_or(usize::MAX);
    let map_out = |o: Output| Output::new(map(o.node), o.index);
    let kept: Vec<Node> = nodes
        .into_iter()
        .filter(|n| !removed.get(n.id).copied().unwrap_or(false))
        .map(|mut n| {
            n.id = map(n.id);
            n.inputs = n.inputs.iter().map(|&o| map_out(o)).collect();
            n.control_inputs = n.control_inputs.iter().map(|&c| map(c)).collect();
            n
        })
        .collect();
    let inputs = inputs.into_iter().map(map).collect();
    let outputs = outputs.into_iter().map(map_out).collect();
    Graph::from_parts(kept, inputs, outputs)
}
