//! Control-flow nodes: `cond`, `while` and `case` hold sub-graphs (TensorFlow's functional
//! `If`, `While` and `Case` ops).
//!
//! Inputs are explicit: a `cond`/`case` node passes its operands (everything after the
//! predicate or index) to the branch that runs, and a `while` node passes its loop variables
//! followed by captured values to `cond` and `body`. Values a sub-graph needs from the outer
//! graph are therefore always extra operands, never implicit references.
//!
//! Shape rules: branches must agree on the number of results, their dtypes and ranks, and the
//! node's output specs merge the branches' (`[3]` and `[5]` give `[None]`). A loop variable's
//! output spec merges its entry spec with the body's result; the body's and cond's
//! placeholders must accept that merged spec, which is how a shape invariant is declared
//! (a placeholder with `None` dims).
//!
//! Nesting is limited to [`MAX_NESTING_DEPTH`] levels so that printing, running and
//! (de)serializing a graph never recurse deeply, whatever a document contains.

use crate::control_flow::{scalar_bool, scalar_index};
use crate::error::{Error, Result};
use crate::graph::exec;
use crate::graph::ir::{graph_error, Graph, Node, NodeId, NodeKind, Output};
use crate::ops::Spec;
use crate::shape::{self, Dim, Dims};
use crate::tensor::Tensor;
use crate::variable::Variable;
use std::collections::HashMap;
use std::sync::Arc;

/// Deepest nesting of sub-graphs a graph may have (a graph without control flow has depth 1).
pub const MAX_NESTING_DEPTH: usize = 16;

impl NodeKind {
    /// True for `cond`, `while` and `case` nodes.
    pub fn is_control_flow(&self) -> bool {
        matches!(self, NodeKind::Cond { .. } | NodeKind::While { .. } | NodeKind::Case { .. })
    }

    /// The sub-graphs of a control-flow node with their role names (`then_branch`, `body`,
    /// `branch_2`, ...); empty for other nodes.
    pub fn subgraphs(&self) -> Vec<(String, &Arc<Graph>)> {
        match self {
            NodeKind::Cond { then_branch, else_branch } => {
                vec![("then_branch".to_string(), then_branch), ("else_branch".to_string(), else_branch)]
            }
            NodeKind::While { cond, body, .. } => vec![("cond".to_string(), cond), ("body".to_string(), body)],
            NodeKind::Case { branches } => {
                branches.iter().enumerate().map(|(i, g)| (format!("branch_{i}"), g)).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Structural equality of two control-flow kinds (sub-graphs compared by content).
pub(crate) fn same_control_kind(a: &NodeKind, b: &NodeKind) -> bool {
    let same = |x: &Arc<Graph>, y: &Arc<Graph>| Arc::ptr_eq(x, y) || **x == **y;
    match (a, b) {
        (NodeKind::Cond { then_branch: t1, else_branch: e1 }, NodeKind::Cond { then_branch: t2, else_branch: e2 }) => {
            same(t1, t2) && same(e1, e2)
        }
        (
            NodeKind::While { cond: c1, body: b1, max_iterations: m1 },
            NodeKind::While { cond: c2, body: b2, max_iterations: m2 },
        ) => m1 == m2 && same(c1, c2) && same(b1, b2),
        (NodeKind::Case { branches: x }, NodeKind::Case { branches: y }) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        _ => false,
    }
}

impl Graph {
    /// 1 for a graph without control flow, plus one per level of nested sub-graphs.
    pub fn nesting_depth(&self) -> usize {
        // Sub-graphs are shared `Arc`s, so memoize by address: a graph built from one branch
        // reused at every level must not cost exponential time.
        fn depth(g: &Graph, memo: &mut HashMap<*const Graph, usize>) -> usize {
            let mut deepest = 0;
            for n in g.nodes() {
                for (_, sub) in n.kind.subgraphs() {
                    let key = Arc::as_ptr(sub);
                    let d = match memo.get(&key) {
                        Some(&d) => d,
                        None => {
                            let d = depth(sub, memo);
                            memo.insert(key, d);
                            d
                        }
                    };
                    deepest = deepest.max(d);
                }
            }
            1 + deepest
        }
        depth(self, &mut HashMap::new())
    }

    /// Adds a `cond` node: `then_branch` runs on `inputs` when the scalar bool `pred` is true,
    /// `else_branch` otherwise. Both branches take one argument per input and must agree on
    /// their results' dtypes and ranks. Returns one output per branch result.
    pub fn add_cond(
        &mut self,
        pred: Output,
        inputs: &[Output],
        then_branch: impl Into<Arc<Graph>>,
        else_branch: impl Into<Arc<Graph>>,
    ) -> Result<Vec<Output>> {
        let kind = NodeKind::Cond { then_branch: then_branch.into(), else_branch: else_branch.into() };
        self.add_control(kind, [pred].iter().chain(inputs).copied().collect())
    }

    /// Adds a `while` node. `inputs` are the loop variables followed by captured values; `body`
    /// takes all of them and returns the next loop variables (its result count fixes how many
    /// inputs are loop variables); `cond` takes all of them and returns a scalar bool. Returns
    /// the final loop variables.
    pub fn add_while(
        &mut self,
        inputs: &[Output],
        cond: impl Into<Arc<Graph>>,
        body: impl Into<Arc<Graph>>,
        max_iterations: Option<i64>,
    ) -> Result<Vec<Output>> {
        let kind = NodeKind::While { cond: cond.into(), body: body.into(), max_iterations };
        self.add_control(kind, inputs.to_vec())
    }

    /// Adds a `case` node: `branches[index]` runs on `inputs` (the last branch when `index`
    /// is out of range, as TensorFlow's `Case`). `index` is a scalar int32/int64.
    pub fn add_case(&mut self, index: Output, inputs: &[Output], branches: Vec<Arc<Graph>>) -> Result<Vec<Output>> {
        self.add_control(NodeKind::Case { branches }, [index].iter().chain(inputs).copied().collect())
    }

    fn add_control(&mut self, kind: NodeKind, inputs: Vec<Output>) -> Result<Vec<Output>> {
        let specs = self.input_specs_of(&inputs)?;
        let outs = infer(&kind, &specs)?;
        let n = outs.len();
        let id = self.push(kind, crate::attrs::Attrs::new(), inputs, outs);
        Ok((0..n).map(|i| Output::new(id, i)).collect())
    }
}

/// True when an argument declared as `param` accepts values of spec `value`: same dtype and
/// rank, and every dim the parameter fixes is known to have that size.
pub fn accepts(param: &Spec, value: &Spec) -> bool {
    param.dtype == value.dtype
        && param.rank() == value.rank()
        && param.dims.iter().zip(&value.dims).all(|(p, v)| p.is_none() || p == v)
}

/// The most specific dims both `a` and `b` fit (equal ranks): known where they agree.
pub fn merge_dims(a: &[Dim], b: &[Dim]) -> Dims {
    a.iter().zip(b).map(|(x, y)| if x == y { *x } else { None }).collect()
}

fn check_depth(op: &str, which: &str, g: &Graph) -> Result<()> {
    let depth = g.nesting_depth();
    if depth >= MAX_NESTING_DEPTH {
        return Err(Error::invalid(
            op,
            format!("{which} nests control flow {depth} levels deep; at most {} are allowed", MAX_NESTING_DEPTH - 1),
        ));
    }
    Ok(())
}

/// Checks that sub-graph `which` takes exactly `args` (named by `name(i)` in errors).
fn check_args(op: &str, which: &str, g: &Graph, args: &[Spec], name: &dyn Fn(usize) -> String) -> Result<()> {
    check_depth(op, which, g)?;
    let params = g.input_specs();
    if params.len() != args.len() {
        return Err(Error::invalid(
            op,
            format!("{which} takes {} arguments but the node passes {}", params.len(), args.len()),
        ));
    }
    for (i, (p, a)) in params.iter().zip(args).enumerate() {
        if !accepts(p, a) {
            return Err(Error::invalid(
                op,
                format!(
                    "{which} declares argument {i} ({}) as {} but receives {}",
                    name(i),
                    p.describe(),
                    a.describe()
                ),
            ));
        }
    }
    Ok(())
}

/// The merged result specs of branches that must agree on count, dtypes and ranks.
fn merge_branches(op: &str, branches: &[(String, &Graph)]) -> Result<Vec<Spec>> {
    let Some((first_name, first)) = branches.first() else {
        return Err(Error::invalid(op, "needs at least one branch"));
    };
    let mut merged = first.output_specs();
    for (name, g) in &branches[1..] {
        let specs = g.output_specs();
        if specs.len() != merged.len() {
            return Err(Error::invalid(
                op,
                format!("{first_name} returns {} results but {name} returns {}", merged.len(), specs.len()),
            ));
        }
        for (i, (m, s)) in merged.iter_mut().zip(&specs).enumerate() {
            if m.dtype != s.dtype || m.rank() != s.rank() {
                return Err(Error::invalid(
                    op,
                    format!(
                        "result {i} is {} in {first_name} but {} in {name}; branches must agree on dtypes and ranks",
                        m.describe(),
                        s.describe()
                    ),
                ));
            }
            m.dims = merge_dims(&m.dims, &s.dims);
        }
    }
    Ok(merged)
}

fn operand_name(i: usize) -> String {
    format!("node input {}", i + 1)
}

/// The output specs of a control-flow node for these input specs, checking every sub-graph
/// signature.
pub fn infer(kind: &NodeKind, inputs: &[Spec]) -> Result<Vec<Spec>> {
    match kind {
        NodeKind::Cond { then_branch, else_branch } => {
            let Some((pred, operands)) = inputs.split_first() else {
                return Err(Error::invalid("cond", "needs a predicate input"));
            };
            if pred.dtype != crate::DType::Bool || pred.rank() != 0 {
                return Err(Error::invalid(
                    "cond",
                    format!("the predicate (input 0) must be a scalar bool, got {}", pred.describe()),
                ));
            }
            check_args("cond", "then_branch", then_branch, operands, &operand_name)?;
            check_args("cond", "else_branch", else_branch, operands, &operand_name)?;
            merge_branches("cond", &[("then_branch".into(), then_branch), ("else_branch".into(), else_branch)])
        }
        NodeKind::Case { branches } => {
            let Some((index, operands)) = inputs.split_first() else {
                return Err(Error::invalid("case", "needs a branch index input"));
            };
            if !matches!(index.dtype, crate::DType::I32 | crate::DType::I64) || index.rank() != 0 {
                return Err(Error::invalid(
                    "case",
                    format!("the branch index (input 0) must be a scalar int32 or int64, got {}", index.describe()),
                ));
            }
            let named: Vec<(String, &Graph)> =
                branches.iter().enumerate().map(|(i, g)| (format!("branch_{i}"), &**g)).collect();
            for (name, g) in &named {
                check_args("case", name, g, operands, &operand_name)?;
            }
            merge_branches("case", &named)
        }
        NodeKind::While { cond, body, max_iterations } => infer_while(inputs, cond, body, *max_iterations),
        other => Err(graph_error(format!("{} is not a control-flow node", other.name()))),
    }
}

fn infer_while(inputs: &[Spec], cond: &Graph, body: &Graph, max_iterations: Option<i64>) -> Result<Vec<Spec>> {
    const OP: &str = "while";
    if let Some(m) = max_iterations.filter(|&m| m < 0) {
        return Err(Error::invalid(OP, format!("max_iterations must be >= 0, got {m}")));
    }
    let outs = body.output_specs();
    let n = outs.len();
    if n > inputs.len() {
        return Err(Error::invalid(
            OP,
            format!("body returns {n} loop variables but the node has only {} inputs", inputs.len()),
        ));
    }
    let mut relaxed: Vec<Spec> = inputs.to_vec();
    for (i, (var, out)) in inputs.iter().zip(&outs).enumerate() {
        if var.dtype != out.dtype || var.rank() != out.rank() {
            return Err(Error::invalid(
                OP,
                format!(
                    "loop variable {i} enters the loop as {} but body returns {}; dtypes and ranks \
                     of loop variables cannot change",
                    var.describe(),
                    out.describe()
                ),
            ));
        }
        relaxed[i].dims = merge_dims(&var.dims, &out.dims);
    }
    let name = |i: usize| if i < n { format!("loop variable {i}") } else { format!("captured value {}", i - n) };
    for (which, g) in [("body", body), ("cond", cond)] {
        check_args(OP, which, g, &relaxed, &name).map_err(|e| {
            let hint = "; a loop variable whose shape changes needs None dims in the sub-graph's placeholder \
                        (its shape invariant)";
            Error { message: format!("{}{hint}", e.message), ..e }
        })?;
    }
    match cond.output_specs().as_slice() {
        [s] if s.dtype == crate::DType::Bool && s.rank() == 0 => {}
        specs => {
            let shown: Vec<String> = specs.iter().map(Spec::describe).collect();
            return Err(Error::invalid(
                OP,
                format!("cond must return one scalar bool, returns ({})", shown.join(", ")),
            ));
        }
    }
    relaxed.truncate(n);
    Ok(relaxed)
}

/// `Graph::validate` for a control-flow node: no attributes, and declared outputs equal to
/// what the sub-graph signatures give for the node's inputs.
pub(crate) fn validate_node(graph: &Graph, pos: NodeId, n: &Node) -> Result<()> {
    if !n.attrs.0.is_empty() {
        return Err(graph_error(format!("%{pos} ({}) must not have attributes", n.kind.name())));
    }
    let specs = graph.input_specs_of(&n.inputs)?;
    let inferred = infer(&n.kind, &specs).map_err(|e| crate::graph::ir::at_node(e, pos, n.kind.name()))?;
    if inferred != n.outputs {
        let show = |v: &[Spec]| v.iter().map(Spec::describe).collect::<Vec<_>>().join(", ");
        return Err(graph_error(format!(
            "%{pos} ({}) declares outputs ({}) but its sub-graphs give ({})",
            n.kind.name(),
            show(&n.outputs),
            show(&inferred)
        )));
    }
    Ok(())
}

fn fits(spec: &Spec, t: &Tensor) -> bool {
    spec.dtype == t.dtype()
        && spec.rank() == t.rank()
        && spec.dims.iter().zip(t.shape()).all(|(d, &s)| d.is_none_or(|d| d == s))
}

fn check_results(op: &str, what: &str, declared: &[Spec], got: &[Tensor]) -> Result<()> {
    let bad = declared.len() != got.len() || declared.iter().zip(got).any(|(s, t)| !fits(s, t));
    if bad {
        let shown: Vec<String> = got.iter().map(|t| format!("{}{}", t.dtype(), shape::fmt_shape(t.shape()))).collect();
        let want: Vec<String> = declared.iter().map(Spec::describe).collect();
        return Err(Error::invalid(
            op,
            format!("{what} produced ({}) but the node declares ({})", shown.join(", "), want.join(", ")),
        ));
    }
    Ok(())
}

/// Runs sub-graph `which` of an `op` node, handing `feeds` over to it (a feed nothing else
/// holds may be updated in place by the sub-graph).
fn run_sub(op: &str, which: &str, g: &Graph, feeds: Vec<Tensor>, variables: &[Variable]) -> Result<Vec<Tensor>> {
    exec::run_owned(g, feeds, variables).map_err(|e| Error { message: format!("{} (in {op} {which})", e.message), ..e })
}

/// Runs a control-flow node on concrete inputs, which it takes over (see [`run_sub`]).
/// Sub-graph ops go through the executor's normal path, so active tapes record the branch or
/// iterations that actually ran.
pub(crate) fn run(node: &Node, mut inputs: Vec<Tensor>, variables: &[Variable]) -> Result<Vec<Tensor>> {
    let missing = || graph_error(format!("%{} ({}) has no inputs", node.id, node.kind.name()));
    let outs = match &node.kind {
        NodeKind::Cond { then_branch, else_branch } => {
            let pred = inputs.first().ok_or_else(missing)?;
            let (which, g) = if scalar_bool("cond", "the predicate", pred)? {
                ("then_branch", then_branch)
            } else {
                ("else_branch", else_branch)
            };
            let operands = inputs.split_off(1);
            let outs = run_sub("cond", which, g, operands, variables)?;
            check_results("cond", which, &node.outputs, &outs)?;
            outs
        }
        NodeKind::Case { branches } => {
            let index = inputs.first().ok_or_else(missing)?;
            let i = scalar_index("case", "the branch index", index)?;
            let chosen = usize::try_from(i).ok().filter(|&i| i < branches.len()).or(branches.len().checked_sub(1));
            let Some(k) = chosen else {
                return Err(Error::invalid("case", "the node has no branches"));
            };
            let which = format!("branch_{k}");
            let operands = inputs.split_off(1);
            let outs = run_sub("case", &which, &branches[k], operands, variables)?;
            check_results("case", &which, &node.outputs, &outs)?;
            outs
        }
        NodeKind::While { cond, body, max_iterations } => {
            run_while(node, inputs, cond, body, *max_iterations, variables)?
        }
        other => return Err(graph_error(format!("{} is not a control-flow node", other.name()))),
    };
    Ok(outs)
}

/// The loop variables are handed to each iteration's body and its results taken back, so a
/// variable only the loop holds (a TensorArray buffer) is written in place, iteration after
/// iteration; `cond` sees the variables while they are still held here, so it never can.
fn run_while(
    node: &Node,
    inputs: Vec<Tensor>,
    cond: &Graph,
    body: &Graph,
    max_iterations: Option<i64>,
    variables: &[Variable],
) -> Result<Vec<Tensor>> {
    let n = node.outputs.len();
    if n > inputs.len() {
        return Err(graph_error(format!("%{} (while) has {n} loop variables but {} inputs", node.id, inputs.len())));
    }
    let mut vars = inputs;
    let captured = vars.split_off(n);
    let mut iteration: i64 = 0;
    loop {
        if max_iterations.is_some_and(|m| iteration >= m) {
            break;
        }
        crate::cancel::check("while")?;
        let feeds: Vec<Tensor> = vars.iter().chain(&captured).cloned().collect();
        let c = run_sub("while", "cond", cond, feeds, variables)?;
        let [keep_going] = c.as_slice() else {
            return Err(Error::invalid("while", format!("cond returned {} values, expected one", c.len())));
        };
        if !scalar_bool("while", "the value returned by cond", keep_going)? {
            break;
        }
        let feeds: Vec<Tensor> = std::mem::take(&mut vars).into_iter().chain(captured.iter().cloned()).collect();
        let next = run_sub("while", "body", body, feeds, variables)?;
        check_results("while", &format!("body (iteration {iteration})"), &node.outputs, &next)?;
        vars = next;
        iteration += 1;
    }
    Ok(vars)
}
