//! Human-readable graph dumps and Graphviz DOT export.
//!
//! The dump (`Graph`'s `Display`) prints one node per line in stored order, then the results:
//!
//! ```text
//! %0 = placeholder[0] : float32[None, 4]
//! %1 = variable[0] : float32[4, 10]
//! %2 = matmul(%0, %1) {transpose_a=false, transpose_b=false} : float32[None, 10]
//! return %2
//! ```
//!
//! `%n:k` is output `k` of node `n` (`%n` alone is output 0), `^%n` a control input,
//! `placeholder[i]` argument `i` and `variable[i]` captured variable `i`. A control-flow node
//! (`cond`, `while`, `case`) is followed by its sub-graphs, each under a `then_branch:`/`body:`/
//! `branch_0:` line and indented. Small constants are printed inline, larger ones as an element
//! count. A `fused_elementwise` node shows its program as code:
//! `{program: r1 = mul r0 2.0; r2 = tanh r1; return r2}`.

use crate::attrs::Attr;
use crate::graph::ir::{Graph, Node, NodeKind, Output};
use crate::ops::Spec;
use crate::tensor::{Storage, Tensor};
use std::fmt::{self, Write};

/// Constants with at most this many elements are printed in full.
const INLINE_CONST_ELEMENTS: usize = 8;

/// `%3` for output 0, `%3:1` otherwise.
pub fn output_ref(o: Output) -> String {
    if o.index == 0 {
        format!("%{}", o.node)
    } else {
        format!("%{}:{}", o.node, o.index)
    }
}

/// An attribute value as the dump shows it.
pub fn attr_value(a: &Attr) -> String {
    let ints = |v: &[i64]| format!("[{}]", v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
    match a {
        Attr::Int(v) => v.to_string(),
        Attr::Float(v) => format!("{v:?}"),
        Attr::Bool(v) => v.to_string(),
        Attr::Str(v) => format!("{v:?}"),
        Attr::Ints(v) => ints(v),
        Attr::OptInts(None) => "None".to_string(),
        Attr::OptInts(Some(v)) => ints(v),
        Attr::DType(d) => d.name().to_string(),
    }
}

/// A constant's value: nested lists for small tensors, an element count otherwise.
pub fn const_value(t: &Tensor) -> String {
    if t.size() > INLINE_CONST_ELEMENTS {
        return format!("<{} elements>", t.size());
    }
    let items: Vec<String> = match t.storage() {
        Storage::F32(v) => v.iter().map(|x| format!("{x:?}")).collect(),
        Storage::F64(v) => v.iter().map(|x| format!("{x:?}")).collect(),
        Storage::I32(v) => v.iter().map(|x| x.to_string()).collect(),
        Storage::I64(v) => v.iter().map(|x| x.to_string()).collect(),
        Storage::Bool(v) => v.iter().map(|x| x.to_string()).collect(),
    };
    nest(&items, t.shape())
}

fn nest(items: &[String], shape: &[usize]) -> String {
    match shape.split_first() {
        None => items.first().cloned().unwrap_or_default(),
        Some((&n, rest)) => {
            let chunk = rest.iter().product::<usize>();
            let parts: Vec<String> =
                (0..n).map(|i| nest(items.get(i * chunk..(i + 1) * chunk).unwrap_or(&[]), rest)).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

fn specs(outputs: &[Spec]) -> String {
    match outputs {
        [one] => one.describe(),
        many => format!("({})", many.iter().map(Spec::describe).collect::<Vec<_>>().join(", ")),
    }
}

fn head(graph: &Graph, n: &Node) -> String {
    match &n.kind {
        NodeKind::Placeholder => {
            let arg = graph.inputs().iter().position(|&i| i == n.id);
            format!("placeholder[{}]", arg.map_or("?".to_string(), |a| a.to_string()))
        }
        NodeKind::Variable(i) => format!("variable[{i}]"),
        NodeKind::Assign(i, mode) => format!("{}[{i}]", mode.name()),
        _ => n.kind.name().to_string(),
    }
}

/// One line of the dump, without the newline.
pub fn node_line(graph: &Graph, n: &Node) -> String {
    let mut s = format!("%{} = {}", n.id, head(graph, n));
    let args: Vec<String> =
        n.inputs.iter().map(|&o| output_ref(o)).chain(n.control_inputs.iter().map(|c| format!("^%{c}"))).collect();
    if matches!(n.kind, NodeKind::Op(_)) || n.kind.is_control_flow() || !args.is_empty() {
        let _ = write!(s, "({})", args.join(", "));
    }
    if let NodeKind::Const(t) = &n.kind {
        let _ = write!(s, " {}", const_value(t));
    }
    if !n.attrs.0.is_empty() {
        let attrs: Vec<String> = n
            .attrs
            .0
            .iter()
            .map(|(k, v)| match v {
                // A fused program reads best as code, not as an escaped string.
                Attr::Str(p) if *k == "program" && n.kind.name() == "fused_elementwise" => format!("{k}: {p}"),
                _ => format!("{k}={}", attr_value(v)),
            })
            .collect();
        let _ = write!(s, " {{{}}}", attrs.join(", "));
    }
    if let NodeKind::While { max_iterations: Some(m), .. } = &n.kind {
        let _ = write!(s, " {{max_iterations={m}}}");
    }
    let _ = write!(s, " : {}", specs(&n.outputs));
    s
}

/// Sub-graphs of control-flow nodes follow their node, each under a `name:` line and indented
/// (nesting depth is bounded, so the recursion is too).
fn write_graph(f: &mut fmt::Formatter<'_>, graph: &Graph, indent: &str) -> fmt::Result {
    for n in graph.nodes() {
        writeln!(f, "{indent}{}", node_line(graph, n))?;
        for (name, sub) in n.kind.subgraphs() {
            writeln!(f, "{indent}  {name}:")?;
            write_graph(f, sub, &format!("{indent}    "))?;
        }
    }
    let outs: Vec<String> = graph.outputs().iter().map(|&o| output_ref(o)).collect();
    writeln!(f, "{indent}return {}", outs.join(", "))
}

impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_graph(f, self, "")
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT: one box per node labelled `%id op` and its output specs, data edges labelled
/// with the value's spec (`:k` prefix for outputs other than 0), dashed control edges, and one
/// `result i` sink per graph output. Sub-graphs of control-flow nodes are clusters next to their
/// node, with dotted edges from each sub-graph result to the node.
pub fn to_dot(graph: &Graph) -> String {
    let mut s = String::from("digraph G {\n  node [fontname=\"monospace\"];\n  edge [fontname=\"monospace\"];\n");
    dot_body(&mut s, graph, "", "  ");
    for (i, &o) in graph.outputs().iter().enumerate() {
        let _ = writeln!(s, "  result{i} [shape=plaintext, label=\"result {i}\"];");
        let _ = writeln!(s, "  n{} -> result{i} [label=\"{}\"];", o.node, edge_label(graph, o));
    }
    s.push_str("}\n");
    s
}

fn edge_label(graph: &Graph, o: Output) -> String {
    let spec = graph.spec(o).map(Spec::describe).unwrap_or_default();
    if o.index == 0 {
        escape(&spec)
    } else {
        format!(":{} {}", o.index, escape(&spec))
    }
}

/// Nodes and edges of `graph`, DOT ids prefixed by `prefix` so nested graphs stay distinct.
fn dot_body(s: &mut String, graph: &Graph, prefix: &str, indent: &str) {
    for n in graph.nodes() {
        let shape = match n.kind {
            NodeKind::Placeholder => "ellipse",
            NodeKind::Const(_) => "note",
            NodeKind::Variable(_) => "cylinder",
            NodeKind::Assign(..) => "hexagon",
            NodeKind::Op(_) => "box",
            _ => "box3d",
        };
        let label = format!("%{} {}\\n{}", n.id, escape(&head(graph, n)), escape(&specs(&n.outputs)));
        let _ = writeln!(s, "{indent}{prefix}n{} [shape={shape}, label=\"{label}\"];", n.id);
        for (name, sub) in n.kind.subgraphs() {
            let sub_prefix = format!("{prefix}n{}_{name}_", n.id);
            let _ = writeln!(s, "{indent}subgraph cluster_{sub_prefix} {{");
            let _ = writeln!(s, "{indent}  label=\"%{} {name}\";\n{indent}  style=dashed;", n.id);
            dot_body(s, sub, &sub_prefix, &format!("{indent}  "));
            let _ = writeln!(s, "{indent}}}");
            for &o in sub.outputs() {
                let _ = writeln!(s, "{indent}{sub_prefix}n{} -> {prefix}n{} [style=dotted];", o.node, n.id);
            }
        }
    }
    for n in graph.nodes() {
        for &o in &n.inputs {
            let _ =
                writeln!(s, "{indent}{prefix}n{} -> {prefix}n{} [label=\"{}\"];", o.node, n.id, edge_label(graph, o));
        }
        for &c in &n.control_inputs {
            let _ = writeln!(s, "{indent}{prefix}n{c} -> {prefix}n{} [style=dashed];", n.id);
        }
    }
}
