//! A graph as a TensorFlow `GraphDef`, for TensorBoard's Graphs tab.
//!
//! One `NodeDef` per node, named `<name>_<id>` (`matmul_4`, `placeholder_0`) so names are unique
//! and readable; inputs are `name`, `name:k` for output k, `^name` for control inputs. Ops get
//! TensorFlow's op names (`matmul` → `MatMul`, `add` → `AddV2`, `reduce_sum` → `Sum`, others in
//! CamelCase) and a `T` attribute; placeholders, captured variables and variable writes get
//! `Placeholder`, `ReadVariableOp` and `AssignVariableOp` nodes with `dtype` (and `shape`)
//! attributes. The sub-graphs of control-flow nodes are flattened under the node's name
//! (`while_3/body/add_2`), so TensorBoard draws them as groups: each sub-graph argument becomes
//! an `Identity` fed by the control-flow node's matching input, and each result an `Identity`
//! the control-flow node depends on through a control edge.
//!
//! The protobuf subset has no tensor or list attribute values, so constants carry only their
//! `dtype`, and list-valued op attributes are shown as text (`s`).

use super::proto::{attr_value, AttrValue, GraphDef, NodeDef, TensorShapeProto, VersionDef};
use super::tensor_proto::{data_type, shape};
use crate::attrs::Attr;
use crate::graph::{AssignMode, Graph, Node, NodeKind, Output};
use crate::ops::Spec;
use prost::Message;
use std::collections::{HashMap, HashSet};

/// TensorFlow's op name for a registered op name: a table of names that differ from plain
/// CamelCase (`add` → `AddV2`), CamelCase of `name` otherwise.
pub fn tf_op_name(name: &str) -> String {
    let known = match name {
        "add" => "AddV2",
        "div" => "RealDiv",
        "floordiv" => "FloorDiv",
        "floormod" => "FloorMod",
        "select" => "SelectV2",
        "reduce_sum" => "Sum",
        "reduce_mean" => "Mean",
        "reduce_max" => "Max",
        "reduce_min" => "Min",
        "reduce_prod" => "Prod",
        "reduce_all" => "All",
        "reduce_any" => "Any",
        "argmax" => "ArgMax",
        "argmin" => "ArgMin",
        "top_k" => "TopKV2",
        "stack" => "Pack",
        "unstack" => "Unpack",
        "concat" => "ConcatV2",
        "linspace" => "LinSpace",
        "gather" => "GatherV2",
        "matmul" => "MatMul",
        "conv2d" => "Conv2D",
        "conv2d_backprop_input" => "Conv2DBackpropInput",
        "conv2d_backprop_filter" => "Conv2DBackpropFilter",
        "max_pool2d" => "MaxPool",
        "max_pool2d_grad" => "MaxPoolGrad",
        "max_pool2d_grad_grad" => "MaxPoolGradGrad",
        "avg_pool2d" => "AvgPool",
        "avg_pool2d_grad" => "AvgPoolGrad",
        "print" => "PrintV2",
        _ => return camel_case(name),
    };
    known.to_string()
}

/// `stateless_random_uniform_v2` → `StatelessRandomUniformV2`.
fn camel_case(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// The `GraphDef` TensorBoard draws for `graph` (see the module documentation).
pub fn graph_def(graph: &Graph) -> GraphDef {
    let mut b = Builder { nodes: Vec::new(), taken: HashSet::new() };
    let names = b.graph(graph, "", &[]);
    for (i, &o) in graph.outputs().iter().enumerate() {
        let name = b.unique(format!("output_{i}"));
        let mut attr = HashMap::new();
        if let Some(spec) = graph.spec(o) {
            attr.insert("T".to_string(), type_attr(spec));
        }
        b.nodes.push(NodeDef {
            name,
            op: "Identity".into(),
            input: vec![reference(&names, o)],
            device: String::new(),
            attr,
        });
    }
    GraphDef { node: b.nodes, versions: Some(VersionDef { producer: 1, min_consumer: 0 }) }
}

/// The serialized `GraphDef` of `graph` (the payload of an event's `graph_def`).
pub fn graph_def_bytes(graph: &Graph) -> Vec<u8> {
    graph_def(graph).encode_to_vec()
}

struct Builder {
    nodes: Vec<NodeDef>,
    taken: HashSet<String>,
}

/// `name` for output 0, `name:k` otherwise.
fn reference(names: &[String], o: Output) -> String {
    let name = names.get(o.node).map(String::as_str).unwrap_or("?");
    if o.index == 0 {
        name.to_string()
    } else {
        format!("{name}:{}", o.index)
    }
}

fn type_attr(spec: &Spec) -> AttrValue {
    AttrValue { value: Some(attr_value::Value::Type(data_type(spec.dtype) as i32)) }
}

fn shape_attr(spec: &Spec) -> AttrValue {
    let dims: Vec<i64> = spec.dims.iter().map(|d| d.and_then(|d| i64::try_from(d).ok()).unwrap_or(-1)).collect();
    let s: TensorShapeProto = shape(&dims);
    AttrValue { value: Some(attr_value::Value::Shape(s)) }
}

/// An op attribute; lists become their text form, as the protobuf subset has no list values.
fn op_attr(a: &Attr) -> AttrValue {
    use attr_value::Value;
    AttrValue {
        value: Some(match a {
            Attr::Int(v) => Value::I(*v),
            Attr::Float(v) => Value::F(*v as f32),
            Attr::Bool(v) => Value::B(*v),
            Attr::Str(v) => Value::S(v.clone().into_bytes()),
            Attr::DType(d) => Value::Type(data_type(*d) as i32),
            Attr::Ints(_) | Attr::OptInts(_) => Value::S(crate::graph::print::attr_value(a).into_bytes()),
        }),
    }
}

/// `T` (the dtype of the first input, or of the first output for ops without inputs) and
/// the op's own attributes.
fn op_attrs(graph: &Graph, n: &Node, attr: &mut HashMap<String, AttrValue>) {
    let first = n.inputs.first().and_then(|&o| graph.spec(o)).or(n.outputs.first());
    for (k, v) in &n.attrs.0 {
        attr.insert((*k).to_string(), op_attr(v));
    }
    if let Some(s) = first {
        attr.entry("T".into()).or_insert_with(|| type_attr(s));
    }
}

impl Builder {
    /// `base`, or `base_1`, `base_2`, ... if taken.
    fn unique(&mut self, base: String) -> String {
        let mut name = base.clone();
        let mut n = 0;
        while self.taken.contains(&name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        self.taken.insert(name.clone());
        name
    }

    /// Emits the nodes of `graph` under `scope` (empty or ending in `/`); the placeholders of a
    /// sub-graph become `Identity` nodes fed by `args`. Returns each node's name, by id.
    fn graph(&mut self, graph: &Graph, scope: &str, args: &[String]) -> Vec<String> {
        let names: Vec<String> =
            graph.nodes().iter().map(|n| self.unique(format!("{scope}{}_{}", n.kind.name(), n.id))).collect();
        for n in graph.nodes() {
            let mut input: Vec<String> = n.inputs.iter().map(|&o| reference(&names, o)).collect();
            let mut attr: HashMap<String, AttrValue> = HashMap::new();
            let spec = n.outputs.first();
            let op = match &n.kind {
                NodeKind::Placeholder => {
                    let arg = graph.inputs().iter().position(|&i| i == n.id);
                    match (arg.and_then(|a| args.get(a)), spec) {
                        (Some(feed), _) => {
                            input.push(feed.clone());
                            if let Some(s) = spec {
                                attr.insert("T".into(), type_attr(s));
                            }
                            "Identity".to_string()
                        }
                        (None, Some(s)) => {
                            attr.insert("dtype".into(), type_attr(s));
                            attr.insert("shape".into(), shape_attr(s));
                            "Placeholder".to_string()
                        }
                        (None, None) => "Placeholder".to_string(),
                    }
                }
                NodeKind::Const(_) => {
                    if let Some(s) = spec {
                        attr.insert("dtype".into(), type_attr(s));
                    }
                    "Const".to_string()
                }
                NodeKind::Variable(i) => {
                    if let Some(s) = spec {
                        attr.insert("dtype".into(), type_attr(s));
                        attr.insert("shape".into(), shape_attr(s));
                    }
                    attr.insert("variable_index".into(), AttrValue { value: Some(attr_value::Value::I(*i as i64)) });
                    "ReadVariableOp".to_string()
                }
                NodeKind::Assign(i, mode) => {
                    if let Some(s) = spec {
                        attr.insert("dtype".into(), type_attr(s));
                    }
                    attr.insert("variable_index".into(), AttrValue { value: Some(attr_value::Value::I(*i as i64)) });
                    match mode {
                        AssignMode::Set => "AssignVariableOp",
                        AssignMode::Add => "AssignAddVariableOp",
                        AssignMode::Sub => "AssignSubVariableOp",
                    }
                    .to_string()
                }
                NodeKind::Op(op) => {
                    op_attrs(graph, n, &mut attr);
                    tf_op_name(op.name)
                }
                kind => {
                    op_attrs(graph, n, &mut attr);
                    let results = self.subgraphs(n, &names[n.id], &input);
                    let stateless = !kind.is_stateful();
                    let op = match kind {
                        NodeKind::Cond { .. } => "If",
                        NodeKind::While { max_iterations, .. } => {
                            if let Some(m) = max_iterations {
                                attr.insert(
                                    "maximum_iterations".into(),
                                    AttrValue { value: Some(attr_value::Value::I(*m)) },
                                );
                            }
                            "While"
                        }
                        _ => "Case",
                    };
                    input.extend(n.control_inputs.iter().map(|&c| format!("^{}", names[c])));
                    input.extend(results.iter().map(|r| format!("^{r}")));
                    self.nodes.push(NodeDef {
                        name: names[n.id].clone(),
                        op: if stateless { format!("Stateless{op}") } else { op.to_string() },
                        input,
                        device: String::new(),
                        attr,
                    });
                    continue;
                }
            };
            input.extend(n.control_inputs.iter().map(|&c| format!("^{}", names[c])));
            self.nodes.push(NodeDef { name: names[n.id].clone(), op, input, device: String::new(), attr });
        }
        names
    }

    /// Emits the sub-graphs of control-flow node `n` (named `name`, with data inputs `inputs`)
    /// under `name/<role>/`; returns the names of their result nodes.
    fn subgraphs(&mut self, n: &Node, name: &str, inputs: &[String]) -> Vec<String> {
        // Cond and case take the predicate or branch index first; the rest feed the sub-graphs.
        let args = match n.kind {
            NodeKind::While { .. } => inputs,
            _ => inputs.get(1..).unwrap_or(&[]),
        };
        let mut results = Vec::new();
        for (role, sub) in n.kind.subgraphs() {
            let scope = format!("{name}/{role}/");
            let names = self.graph(sub, &scope, args);
            for (i, &o) in sub.outputs().iter().enumerate() {
                let result = self.unique(format!("{scope}result_{i}"));
                let mut attr = HashMap::new();
                if let Some(s) = sub.spec(o) {
                    attr.insert("T".to_string(), type_attr(s));
                }
                self.nodes.push(NodeDef {
                    name: result.clone(),
                    op: "Identity".into(),
                    input: vec![reference(&names, o)],
                    device: String::new(),
                    attr,
                });
                results.push(result);
            }
        }
        results
    }
}
