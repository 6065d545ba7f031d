//! The graph IR: nodes (placeholders, constants, captured variables and registered ops),
//! data edges between node outputs, control edges, and the graph's inputs and outputs.
//!
//! A `Graph` upholds its invariants at all times: the builder methods check every edge and run
//! each op's shape rule, and graphs assembled from parts (deserialization, rewriting passes)
//! go through [`Graph::validate`]. Nodes may be stored in any order; execution follows a stable
//! topological order (stored order wherever edges allow it).

use crate::attrs::Attrs;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::{self, OpDef, Spec};
use crate::shape;
use crate::tensor::{Storage, Tensor};
use smallvec::SmallVec;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::{Arc, OnceLock};

/// Index of a node in its graph (`%3` in dumps).
pub type NodeId = usize;

/// Largest rank a graph may declare for any value (TensorFlow's limit).
pub const MAX_RANK: usize = 254;

/// One output of one node: the value flowing along a data edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Output {
    /// The producing node.
    pub node: NodeId,
    /// Which of its outputs.
    pub index: usize,
}

impl Output {
    /// Output `index` of `node`.
    pub fn new(node: NodeId, index: usize) -> Output {
        Output { node, index }
    }
}

/// What a node computes.
#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A graph argument, fed at run time; its position in `Graph::inputs` is the argument index.
    Placeholder,
    /// A constant value embedded in the graph.
    Const(Tensor),
    /// A captured variable, read at run time from the variable list at this index.
    Variable(usize),
    /// A registered op.
    Op(&'static OpDef),
    /// `tf.cond`: input 0 is the scalar bool predicate; the other inputs feed the branch that
    /// runs, whose results are the node's outputs.
    Cond {
        /// Runs when the predicate is true.
        then_branch: Arc<Graph>,
        /// Runs when the predicate is false.
        else_branch: Arc<Graph>,
    },
    /// `tf.while_loop`: inputs are the loop variables then captured values (passed to `cond` and
    /// `body` unchanged); outputs are the final loop variables (as many as `body` returns).
    While {
        /// Loop variables and captures to a scalar bool.
        cond: Arc<Graph>,
        /// Loop variables and captures to the next loop variables.
        body: Arc<Graph>,
        /// Stop after this many iterations even if `cond` still holds.
        max_iterations: Option<i64>,
    },
    /// `tf.switch_case`: input 0 is the scalar int32/int64 branch index (out of range runs the
    /// last branch); the other inputs feed the chosen branch.
    Case {
        /// The branches, by index.
        branches: Vec<Arc<Graph>>,
    },
    /// Writes its one input into captured variable `.0` (set, add or subtract) and outputs the
    /// variable's new value. Always stateful: it runs in program order and is never pruned.
    Assign(usize, AssignMode),
}

/// How an `Assign` node updates its variable (`assign`, `assign_add`, `assign_sub`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssignMode {
    /// `v.assign(x)`.
    Set,
    /// `v.assign_add(x)`.
    Add,
    /// `v.assign_sub(x)`.
    Sub,
}

impl AssignMode {
    /// The node name dumps and serialized graphs use.
    pub fn name(self) -> &'static str {
        match self {
            AssignMode::Set => "assign_variable",
            AssignMode::Add => "assign_add_variable",
            AssignMode::Sub => "assign_sub_variable",
        }
    }

    /// The mode a serialized node name stands for.
    pub fn from_name(name: &str) -> Option<AssignMode> {
        [AssignMode::Set, AssignMode::Add, AssignMode::Sub].into_iter().find(|m| m.name() == name)
    }
}

impl NodeKind {
    /// The name dumps and serialized graphs use: the registry name, or
    /// `placeholder`/`const`/`variable`.
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Placeholder => "placeholder",
            NodeKind::Const(_) => "const",
            NodeKind::Variable(_) => "variable",
            NodeKind::Op(op) => op.name,
            NodeKind::Cond { .. } => "cond",
            NodeKind::While { .. } => "while",
            NodeKind::Case { .. } => "case",
            NodeKind::Assign(_, mode) => mode.name(),
        }
    }

    /// True when the node has effects beyond its outputs (stateful ops, variable writes):
    /// such nodes keep program order and are never folded, merged or pruned.
    pub fn is_stateful(&self) -> bool {
        match self {
            NodeKind::Op(op) => op.stateful,
            NodeKind::Assign(..) => true,
            // A control-flow node has the effects of whatever its sub-graphs may run.
            k if k.is_control_flow() => {
                k.subgraphs().iter().any(|(_, g)| g.nodes().iter().any(|n| n.kind.is_stateful()))
            }
            _ => false,
        }
    }

    /// The captured-variable index a `Variable` or `Assign` node refers to.
    pub fn variable_index(&self) -> Option<usize> {
        match self {
            NodeKind::Variable(i) | NodeKind::Assign(i, _) => Some(*i),
            _ => None,
        }
    }

    /// The registered op, for op nodes.
    pub fn op(&self) -> Option<&'static OpDef> {
        match self {
            NodeKind::Op(op) => Some(op),
            _ => None,
        }
    }
}

impl PartialEq for NodeKind {
    fn eq(&self, other: &NodeKind) -> bool {
        match (self, other) {
            (NodeKind::Placeholder, NodeKind::Placeholder) => true,
            (NodeKind::Const(a), NodeKind::Const(b)) => same_value(a, b),
            (NodeKind::Variable(a), NodeKind::Variable(b)) => a == b,
            (NodeKind::Op(a), NodeKind::Op(b)) => std::ptr::eq(*a, *b),
            (a, b) if a.is_control_flow() => crate::graph::control::same_control_kind(a, b),
            (NodeKind::Assign(a, m), NodeKind::Assign(b, n)) => a == b && m == n,
            _ => false,
        }
    }
}

/// Fails unless a value of spec `got` may be written into a variable of spec `var`: same dtype,
/// same rank, and every dim known on both sides equal (`assign_add`/`assign_sub` too: TensorFlow
/// requires the delta to have the variable's shape).
fn check_assign(mode: AssignMode, got: &Spec, var: &Spec) -> Result<()> {
    let dims_fit = crate::shape::dims_compatible(&got.dims, &var.dims);
    if got.dtype != var.dtype || !dims_fit {
        return Err(Error::invalid(
            mode.name(),
            format!("cannot write a {} value into a variable of {}", got.describe(), var.describe()),
        ));
    }
    Ok(())
}

/// Bitwise value equality (so NaN constants compare equal to themselves).
fn same_value(a: &Tensor, b: &Tensor) -> bool {
    if a.shape() != b.shape() {
        return false;
    }
    match (a.storage(), b.storage()) {
        (Storage::F32(x), Storage::F32(y)) => x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()),
        (Storage::F64(x), Storage::F64(y)) => x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()),
        (x, y) => x == y,
    }
}

/// One node: what it computes, its attributes, its data and control inputs, and the
/// (possibly partially known) spec of each output.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Position of the node in `Graph::nodes`.
    pub id: NodeId,
    /// What the node computes.
    pub kind: NodeKind,
    /// Op attributes (empty for placeholders, constants and variables).
    pub attrs: Attrs,
    /// Data inputs, in the op's argument order.
    pub inputs: Vec<Output>,
    /// Nodes that must run before this one although no data flows from them.
    pub control_inputs: Vec<NodeId>,
    /// Dtype and shape of each output.
    pub outputs: Vec<Spec>,
}

/// A dataflow graph with arguments (placeholders) and results.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    inputs: Vec<NodeId>,
    outputs: Vec<Output>,
    /// Execution plan, computed on first run; reset by every mutation.
    pub(crate) plan: OnceLock<Arc<crate::graph::exec::Plan>>,
}

impl PartialEq for Graph {
    fn eq(&self, other: &Graph) -> bool {
        self.nodes == other.nodes && self.inputs == other.inputs && self.outputs == other.outputs
    }
}

pub(crate) fn graph_error(message: impl Into<String>) -> Error {
    Error::invalid("Graph", message)
}

fn fmt_out(o: Output) -> String {
    if o.index == 0 {
        format!("%{}", o.node)
    } else {
        format!("%{}:{}", o.node, o.index)
    }
}

/// Fails when a spec has too many dimensions or its known dimensions could not be allocated.
pub fn check_spec_size(what: &str, spec: &Spec) -> Result<()> {
    if spec.rank() > MAX_RANK {
        return Err(graph_error(format!("{what} has rank {}; at most {MAX_RANK} is supported", spec.rank())));
    }
    let known: SmallVec<[usize; 4]> = spec.dims.iter().flatten().copied().collect();
    shape::check_allocation("Graph", spec.dtype, &known)
        .map_err(|e| Error { message: format!("{what} declares {}: {}", spec.describe(), e.message), ..e })
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Assembles a graph from parts (after a rewrite or deserialization) and validates it.
    pub fn from_parts(nodes: Vec<Node>, inputs: Vec<NodeId>, outputs: Vec<Output>) -> Result<Graph> {
        let g = Graph { nodes, inputs, outputs, plan: OnceLock::new() };
        g.validate()?;
        Ok(g)
    }

    /// The nodes, inputs and outputs, for rewriting.
    pub fn into_parts(self) -> (Vec<Node>, Vec<NodeId>, Vec<Output>) {
        (self.nodes, self.inputs, self.outputs)
    }

    /// Every node, indexed by id.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The placeholder nodes, in argument order.
    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs
    }

    /// The graph's results.
    pub fn outputs(&self) -> &[Output] {
        &self.outputs
    }

    /// The spec of a node output, if it exists.
    pub fn spec(&self, o: Output) -> Option<&Spec> {
        self.nodes.get(o.node)?.outputs.get(o.index)
    }

    /// The spec of each argument.
    pub fn input_specs(&self) -> Vec<Spec> {
        self.inputs.iter().filter_map(|&id| self.spec(Output::new(id, 0)).cloned()).collect()
    }

    /// The spec of each result.
    pub fn output_specs(&self) -> Vec<Spec> {
        self.outputs.iter().filter_map(|&o| self.spec(o).cloned()).collect()
    }

    /// Number of variables the graph reads (one more than the largest capture index).
    pub fn num_variables(&self) -> usize {
        self.nodes
            .iter()
            .filter_map(|n| match n.kind.variable_index() {
                Some(i) => Some(i.saturating_add(1)),
                // Sub-graphs read from the same variable list as the graph that holds them.
                None => n.kind.subgraphs().iter().map(|(_, g)| g.num_variables()).max(),
            })
            .max()
            .unwrap_or(0)
    }

    /// The captured-variable indices the graph (or a sub-graph) reads, then those it writes;
    /// each sorted, without repeats.
    pub fn variable_use(&self) -> (Vec<usize>, Vec<usize>) {
        fn walk(g: &Graph, reads: &mut Vec<usize>, writes: &mut Vec<usize>) {
            for n in g.nodes() {
                match &n.kind {
                    NodeKind::Variable(i) => reads.push(*i),
                    NodeKind::Assign(i, _) => writes.push(*i),
                    k => k.subgraphs().iter().for_each(|(_, s)| walk(s, reads, writes)),
                }
            }
        }
        let (mut reads, mut writes) = (Vec::new(), Vec::new());
        walk(self, &mut reads, &mut writes);
        for v in [&mut reads, &mut writes] {
            v.sort_unstable();
            v.dedup();
        }
        (reads, writes)
    }

    pub(crate) fn push(&mut self, kind: NodeKind, attrs: Attrs, inputs: Vec<Output>, outputs: Vec<Spec>) -> NodeId {
        self.plan.take();
        let id = self.nodes.len();
        self.nodes.push(Node { id, kind, attrs, inputs, control_inputs: Vec::new(), outputs });
        id
    }

    /// Adds a new argument with this spec (`None` dims accept any size).
    pub fn add_placeholder(&mut self, spec: Spec) -> Output {
        let id = self.push(NodeKind::Placeholder, Attrs::new(), Vec::new(), vec![spec]);
        self.inputs.push(id);
        Output::new(id, 0)
    }

    /// Adds a constant.
    pub fn add_const(&mut self, value: Tensor) -> Output {
        let spec = Spec::of(&value);
        Output::new(self.push(NodeKind::Const(value), Attrs::new(), Vec::new(), vec![spec]), 0)
    }

    /// Adds a read of captured variable `index` (the run-time variable list supplies it); `spec`
    /// is the variable's dtype and shape.
    pub fn add_variable(&mut self, index: usize, spec: Spec) -> Output {
        Output::new(self.push(NodeKind::Variable(index), Attrs::new(), Vec::new(), vec![spec]), 0)
    }

    /// Adds a write of `value` into captured variable `index` (whose dtype and shape are `spec`);
    /// the node outputs the variable's new value.
    pub fn add_assign(&mut self, index: usize, mode: AssignMode, value: Output, spec: Spec) -> Result<Output> {
        self.check_output_ref("assigned value", value)?;
        let got = self.input_specs_of(&[value])?.remove(0);
        check_assign(mode, &got, &spec)?;
        Ok(Output::new(self.push(NodeKind::Assign(index, mode), Attrs::new(), vec![value], vec![spec]), 0))
    }

    /// Adds a call of a registered op; its shape rule runs on the input specs now, so shape and
    /// dtype errors surface while building. Returns one `Output` per op output.
    pub fn add_op(&mut self, op: &'static OpDef, inputs: &[Output], attrs: Attrs) -> Result<Vec<Output>> {
        check_registered(op)?;
        let specs = self.input_specs_of(inputs)?;
        let outs = (op.infer)(&specs, &attrs)?;
        for (i, s) in outs.iter().enumerate() {
            check_spec_size(&format!("output {i} of {}", op.name), s)?;
        }
        let n = outs.len();
        let id = self.push(NodeKind::Op(op), attrs, inputs.to_vec(), outs);
        Ok((0..n).map(|i| Output::new(id, i)).collect())
    }

    /// Adds a single-output op call (see [`Graph::add_op`]).
    pub fn add_op1(&mut self, op: &'static OpDef, inputs: &[Output], attrs: Attrs) -> Result<Output> {
        let outs = self.add_op(op, inputs, attrs)?;
        match outs.as_slice() {
            [o] => Ok(*o),
            _ => Err(Error::invalid(op.name, format!("expected one output, the op has {}", outs.len()))),
        }
    }

    /// Makes `node` run after `dep` (a control edge); fails if that would close a cycle.
    pub fn add_control_input(&mut self, node: NodeId, dep: NodeId) -> Result<()> {
        if node >= self.nodes.len() || dep >= self.nodes.len() {
            return Err(graph_error(format!(
                "control edge %{dep} -> %{node} refers to a missing node (the graph has {} nodes)",
                self.nodes.len()
            )));
        }
        if self.depends_on(dep, node) {
            return Err(graph_error(format!("control edge %{dep} -> %{node} would create a cycle")));
        }
        self.plan.take();
        let n = &mut self.nodes[node];
        if !n.control_inputs.contains(&dep) {
            n.control_inputs.push(dep);
        }
        Ok(())
    }

    /// Sets the graph's results.
    pub fn set_outputs(&mut self, outputs: &[Output]) -> Result<()> {
        for &o in outputs {
            self.check_output_ref("graph output", o)?;
        }
        self.plan.take();
        self.outputs = outputs.to_vec();
        Ok(())
    }

    /// True when `node` is `target` or (transitively) consumes it through data or control edges.
    pub fn depends_on(&self, node: NodeId, target: NodeId) -> bool {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n == target {
                return true;
            }
            match (seen.get_mut(n), self.nodes.get(n)) {
                (Some(s), Some(nd)) if !*s => {
                    *s = true;
                    stack.extend(nd.inputs.iter().map(|o| o.node));
                    stack.extend(nd.control_inputs.iter().copied());
                }
                _ => {}
            }
        }
        false
    }

    fn check_output_ref(&self, what: &str, o: Output) -> Result<()> {
        match self.nodes.get(o.node) {
            None => Err(graph_error(format!(
                "{what} {} refers to node %{} but the graph has {} nodes",
                fmt_out(o),
                o.node,
                self.nodes.len()
            ))),
            Some(n) if o.index >= n.outputs.len() => Err(graph_error(format!(
                "{what} {} refers to output {} of %{} ({}), which has {} outputs",
                fmt_out(o),
                o.index,
                o.node,
                n.kind.name(),
                n.outputs.len()
            ))),
            Some(_) => Ok(()),
        }
    }

    pub(crate) fn input_specs_of(&self, inputs: &[Output]) -> Result<SmallVec<[Spec; 4]>> {
        inputs
            .iter()
            .map(|&o| {
                self.check_output_ref("input", o)?;
                Ok(self.nodes[o.node].outputs[o.index].clone())
            })
            .collect()
    }

    /// Checks every invariant: node ids, edge references, acyclicity, registered ops, specs
    /// consistent with each op's shape rule, constants matching their specs, arguments being
    /// exactly the placeholders, and declared sizes that could be allocated.
    pub fn validate(&self) -> Result<()> {
        // Structure first (edges, declared sizes, acyclicity), so shape rules only ever see sane specs.
        for (pos, n) in self.nodes.iter().enumerate() {
            self.validate_edges(pos, n)?;
        }
        self.topological_order()?;
        for (pos, n) in self.nodes.iter().enumerate() {
            self.validate_node(pos, n)?;
        }
        let mut is_input = vec![false; self.nodes.len()];
        for (i, &id) in self.inputs.iter().enumerate() {
            match self.nodes.get(id) {
                Some(n) if matches!(n.kind, NodeKind::Placeholder) => {}
                Some(n) => {
                    return Err(graph_error(format!(
                        "argument {i} refers to %{id}, a {} node; arguments must be placeholders",
                        n.kind.name()
                    )))
                }
                None => {
                    return Err(graph_error(format!(
                        "argument {i} refers to node %{id} but the graph has {} nodes",
                        self.nodes.len()
                    )))
                }
            }
            if std::mem::replace(&mut is_input[id], true) {
                return Err(graph_error(format!("placeholder %{id} is listed as more than one argument")));
            }
        }
        if let Some(n) = self.nodes.iter().find(|n| matches!(n.kind, NodeKind::Placeholder) && !is_input[n.id]) {
            return Err(graph_error(format!("placeholder %{} is not one of the graph's arguments", n.id)));
        }
        for (i, &o) in self.outputs.iter().enumerate() {
            self.check_output_ref(&format!("graph output {i}"), o)?;
        }
        Ok(())
    }

    fn validate_edges(&self, pos: usize, n: &Node) -> Result<()> {
        if n.id != pos {
            return Err(graph_error(format!("node at position {pos} has id %{}; ids must equal positions", n.id)));
        }
        let what = |i: usize| format!("input {i} of %{pos} ({})", n.kind.name());
        for (i, &o) in n.inputs.iter().enumerate() {
            self.check_output_ref(&what(i), o)?;
        }
        for &c in &n.control_inputs {
            if c >= self.nodes.len() {
                return Err(graph_error(format!(
                    "control input ^%{c} of %{pos} ({}) refers to a missing node (the graph has {} nodes)",
                    n.kind.name(),
                    self.nodes.len()
                )));
            }
        }
        for (i, s) in n.outputs.iter().enumerate() {
            check_spec_size(&format!("output {i} of %{pos} ({})", n.kind.name()), s)?;
        }
        Ok(())
    }

    fn validate_node(&self, pos: usize, n: &Node) -> Result<()> {
        let leaf = |n: &Node| -> Result<()> {
            if !n.inputs.is_empty() || n.outputs.len() != 1 {
                return Err(graph_error(format!(
                    "%{pos} ({}) must have no data inputs and exactly one output, has {} inputs and {} outputs",
                    n.kind.name(),
                    n.inputs.len(),
                    n.outputs.len()
                )));
            }
            Ok(())
        };
        match &n.kind {
            NodeKind::Placeholder | NodeKind::Variable(_) => leaf(n),
            NodeKind::Const(t) => {
                leaf(n)?;
                let actual = Spec::of(t);
                if n.outputs[0] != actual {
                    return Err(graph_error(format!(
                        "constant %{pos} holds a {} value but declares {}",
                        actual.describe(),
                        n.outputs[0].describe()
                    )));
                }
                Ok(())
            }
            NodeKind::Assign(_, mode) => {
                if n.inputs.len() != 1 || n.outputs.len() != 1 {
                    return Err(graph_error(format!(
                        "%{pos} ({}) must have one input and one output, has {} and {}",
                        mode.name(),
                        n.inputs.len(),
                        n.outputs.len()
                    )));
                }
                let got = self.input_specs_of(&n.inputs)?.remove(0);
                check_assign(*mode, &got, &n.outputs[0]).map_err(|e| at_node(e, pos, mode.name()))
            }
            NodeKind::Op(op) => {
                check_registered(op)?;
                let specs = self.input_specs_of(&n.inputs)?;
                let inferred = (op.infer)(&specs, &n.attrs).map_err(|e| at_node(e, pos, op.name))?;
                if inferred != n.outputs {
                    let show = |v: &[Spec]| v.iter().map(Spec::describe).collect::<Vec<_>>().join(", ");
                    return Err(graph_error(format!(
                        "%{pos} ({}) declares outputs ({}) but its shape rule gives ({}) for inputs ({})",
                        op.name,
                        show(&n.outputs),
                        show(&inferred),
                        show(&specs)
                    )));
                }
                Ok(())
            }
            NodeKind::Cond { .. } | NodeKind::While { .. } | NodeKind::Case { .. } => {
                crate::graph::control::validate_node(self, pos, n)
            }
        }
    }

    /// A topological order over data and control edges that keeps stored order wherever the
    /// edges allow; fails naming a cycle.
    pub fn topological_order(&self) -> Result<Vec<NodeId>> {
        let n = self.nodes.len();
        let mut indegree = vec![0usize; n];
        let mut consumers: Vec<SmallVec<[NodeId; 2]>> = vec![SmallVec::new(); n];
        for node in &self.nodes {
            for p in node.inputs.iter().map(|o| o.node).chain(node.control_inputs.iter().copied()) {
                let list = consumers.get_mut(p).ok_or_else(|| {
                    graph_error(format!("%{} refers to node %{p} but the graph has {n} nodes", node.id))
                })?;
                list.push(node.id);
                indegree[node.id] += 1;
            }
        }
        let mut ready: BinaryHeap<Reverse<NodeId>> = (0..n).filter(|&i| indegree[i] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(id)) = ready.pop() {
            order.push(id);
            for &c in &consumers[id] {
                indegree[c] -= 1;
                if indegree[c] == 0 {
                    ready.push(Reverse(c));
                }
            }
        }
        if order.len() == n {
            return Ok(order);
        }
        Err(graph_error(format!("the graph has a cycle: {}", self.describe_cycle(&indegree))))
    }

    /// Every node left with a positive indegree after Kahn's algorithm has a predecessor in the
    /// same state, so walking predecessors must revisit a node: that loop is a cycle.
    fn describe_cycle(&self, indegree: &[usize]) -> String {
        let Some(start) = (0..indegree.len()).find(|&i| indegree[i] > 0) else {
            return String::from("(unknown)");
        };
        let mut path = vec![start];
        let mut seen = HashSet::from([start]);
        let mut cur = start;
        loop {
            let node = &self.nodes[cur];
            let Some(prev) = node
                .inputs
                .iter()
                .map(|o| o.node)
                .chain(node.control_inputs.iter().copied())
                .find(|&p| indegree.get(p).is_some_and(|&d| d > 0))
            else {
                return String::from("(unknown)");
            };
            if !seen.insert(prev) {
                let at = path.iter().position(|&p| p == prev).unwrap_or(0);
                let mut cycle: Vec<NodeId> = path[at..].to_vec();
                cycle.reverse();
                // Start at the smallest id so the same cycle always reads the same way.
                let min_at = cycle.iter().enumerate().min_by_key(|(_, &c)| c).map_or(0, |(i, _)| i);
                cycle.rotate_left(min_at);
                cycle.push(cycle[0]);
                return cycle.iter().map(|c| format!("%{c}")).collect::<Vec<_>>().join(" -> ");
            }
            path.push(prev);
            cur = prev;
        }
    }
}

/// Fails unless `op` is the registry's op of that name.
fn check_registered(op: &'static OpDef) -> Result<()> {
    match ops::lookup(op.name) {
        Some(r) if std::ptr::eq(r, op) => Ok(()),
        _ => Err(Error::new(ErrorKind::NotFound, op.name, format!("op `{}` is not in the op registry", op.name))),
    }
}

/// Adds the node to an error message so failures inside a graph can be located.
pub(crate) fn at_node(mut e: Error, id: NodeId, name: &str) -> Error {
    e.message = format!("{} (in graph node %{id} = {name})", e.message);
    e
}
