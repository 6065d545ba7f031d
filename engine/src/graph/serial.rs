//! Versioned JSON for graphs.
//!
//! ```json
//! {"format_version": 1, "inputs": [0], "outputs": [[2, 0]], "nodes": [
//!   {"id": 0, "op": "placeholder", "outputs": [{"dtype": "float32", "shape": [null, 3]}]},
//!   {"id": 1, "op": "const", "value": {"dtype": "float32", "shape": [], "values": [2.0]},
//!    "outputs": [{"dtype": "float32", "shape": []}]},
//!   {"id": 2, "op": "mul", "inputs": [[0, 0], [1, 0]], "outputs": [{"dtype": "float32", "shape": [null, 3]}]}
//! ]}
//! ```
//!
//! Edges are `[node, output_index]`; attributes are an object of one-key objects
//! (`{"axis": {"opt_ints": [1]}, "keepdims": {"bool": false}}`); non-finite floats are the
//! strings `"nan"`, `"inf"` and `"-inf"`. Reading is safe against hostile documents: every
//! problem (syntax, version, unknown op, bad reference, cycle, inconsistent or oversized shape)
//! is an error naming what is wrong, and nothing is allocated beyond what the text itself holds.
//!
//! Control-flow nodes (`cond`, `while`, `case`) carry their sub-graphs in `subgraphs` (each an
//! object with `inputs`, `outputs` and `nodes`, like the top level without `format_version`),
//! and a `while` node its optional `max_iterations`. Nesting deeper than
//! [`MAX_NESTING_DEPTH`] is rejected, and the JSON parser's own recursion limit stops far deeper
//! documents before they are built.
//!
//! `Attrs` keys are `&'static str`, so attribute names read from documents are interned in a
//! process-wide table capped at [`MAX_ATTR_NAMES`] names of at most [`MAX_ATTR_NAME_LEN`] bytes.

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::control::MAX_NESTING_DEPTH;
use crate::graph::ir::{AssignMode, Graph, Node, NodeKind, Output, MAX_RANK};
use crate::ops::{self, Spec};
use crate::shape;
use crate::tensor::{Storage, Tensor};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

/// The version this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;
/// Most distinct attribute names the process interns from documents.
pub const MAX_ATTR_NAMES: usize = 4096;
/// Longest attribute name accepted from documents.
pub const MAX_ATTR_NAME_LEN: usize = 64;

const WHO: &str = "Graph.from_json";

fn bad(message: impl Into<String>) -> Error {
    Error::invalid(WHO, message)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphDoc<'a> {
    format_version: u64,
    inputs: Vec<usize>,
    outputs: Vec<OutputDoc>,
    nodes: Vec<NodeDoc<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
struct OutputDoc(usize, usize);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeDoc<'a> {
    id: usize,
    op: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<OutputDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    control_inputs: Vec<usize>,
    #[serde(default, skip_serializing_if = "AttrsDoc::is_empty")]
    attrs: AttrsDoc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<TensorDoc<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variable: Option<usize>,
    /// Sub-graphs of control-flow nodes: `[then, else]` for cond, `[cond, body]` for while,
    /// the branches for case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    subgraphs: Vec<SubgraphDoc<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_iterations: Option<i64>,
    outputs: Vec<SpecDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubgraphDoc<'a> {
    inputs: Vec<usize>,
    outputs: Vec<OutputDoc>,
    nodes: Vec<NodeDoc<'a>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecDoc {
    dtype: DTypeDoc,
    shape: Vec<Option<u64>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TensorDoc<'a> {
    dtype: DTypeDoc,
    shape: Vec<u64>,
    values: ValuesDoc<'a>,
}

/// A dtype, written as its TensorFlow name.
#[derive(Clone, Copy)]
struct DTypeDoc(DType);

impl Serialize for DTypeDoc {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for DTypeDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DTypeDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a dtype name (float32, float64, int32, int64, bool)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<DTypeDoc, E> {
                DType::from_name(v).map(DTypeDoc).ok_or_else(|| {
                    E::custom(format!("unknown dtype `{v}` (expected float32, float64, int32, int64 or bool)"))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// An f64 that survives JSON: non-finite values are written as strings.
#[derive(Clone, Copy)]
struct FloatDoc(f64);

fn non_finite_name(v: f64) -> &'static str {
    if v.is_nan() {
        "nan"
    } else if v > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

impl Serialize for FloatDoc {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64(self.0)
        } else {
            s.serialize_str(non_finite_name(self.0))
        }
    }
}

impl<'de> Deserialize<'de> for FloatDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Scalar::deserialize(d)? {
            Scalar::Float(v) => Ok(FloatDoc(v)),
            Scalar::Int(v) => Ok(FloatDoc(v as f64)),
            Scalar::UInt(v) => Ok(FloatDoc(v as f64)),
            Scalar::Bool(_) => Err(de::Error::custom("expected a number, got a bool")),
        }
    }
}

/// One element of a constant as read from JSON, before conversion to its dtype.
#[derive(Clone, Copy, Debug)]
enum Scalar {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a bool, or \"nan\", \"inf\", \"-inf\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Scalar, E> {
                Ok(i64::try_from(v).map_or(Scalar::UInt(v), Scalar::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Scalar, E> {
                match v {
                    "nan" => Ok(Scalar::Float(f64::NAN)),
                    "inf" => Ok(Scalar::Float(f64::INFINITY)),
                    "-inf" => Ok(Scalar::Float(f64::NEG_INFINITY)),
                    _ => Err(E::custom(format!("unexpected string `{v}` (only \"nan\", \"inf\", \"-inf\")"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A constant's elements: borrowed from the tensor when writing, parsed scalars when reading.
enum ValuesDoc<'a> {
    Ref(&'a Storage),
    Parsed(Vec<Scalar>),
}

impl Serialize for ValuesDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let ValuesDoc::Ref(storage) = self else {
            return Err(serde::ser::Error::custom("parsed values are not written back"));
        };
        let mut seq = s.serialize_seq(Some(storage.len()))?;
        match storage {
            Storage::F32(v) => {
                for &x in v {
                    if x.is_finite() {
                        seq.serialize_element(&x)?
                    } else {
                        seq.serialize_element(non_finite_name(x as f64))?
                    }
                }
            }
            Storage::F64(v) => {
                for &x in v {
                    seq.serialize_element(&FloatDoc(x))?
                }
            }
            Storage::I32(v) => {
                for x in v {
                    seq.serialize_element(x)?
                }
            }
            Storage::I64(v) => {
                for x in v {
                    seq.serialize_element(x)?
                }
            }
            Storage::Bool(v) => {
                for x in v {
                    seq.serialize_element(x)?
                }
            }
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ValuesDoc<'_> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Vec::<Scalar>::deserialize(d).map(ValuesDoc::Parsed)
    }
}

/// An attribute value: `{"int": 3}`, `{"opt_ints": null}`, `{"dtype": "float32"}`, ...
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AttrDoc {
    Int(i64),
    Float(FloatDoc),
    Bool(bool),
    Str(String),
    Ints(Vec<i64>),
    OptInts(Option<Vec<i64>>),
    #[serde(rename = "dtype")]
    DType(DTypeDoc),
}

/// Attributes as a JSON object that keeps their order (and rejects duplicate names).
#[derive(Default)]
struct AttrsDoc(Vec<(String, AttrDoc)>);

impl AttrsDoc {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for AttrsDoc {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for AttrsDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttrsDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of attributes")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> std::result::Result<AttrsDoc, A::Error> {
                let mut out: Vec<(String, AttrDoc)> = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, AttrDoc>()? {
                    if out.iter().any(|(n, _)| *n == k) {
                        return Err(de::Error::custom(format!("duplicate attribute `{k}`")));
                    }
                    out.push((k, v));
                }
                Ok(AttrsDoc(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn attr_doc(a: &Attr) -> AttrDoc {
    match a {
        Attr::Int(v) => AttrDoc::Int(*v),
        Attr::Float(v) => AttrDoc::Float(FloatDoc(*v)),
        Attr::Bool(v) => AttrDoc::Bool(*v),
        Attr::Str(v) => AttrDoc::Str(v.clone()),
        Attr::Ints(v) => AttrDoc::Ints(v.clone()),
        Attr::OptInts(v) => AttrDoc::OptInts(v.clone()),
        Attr::DType(d) => AttrDoc::DType(DTypeDoc(*d)),
    }
}

fn attr_from_doc(a: AttrDoc) -> Attr {
    match a {
        AttrDoc::Int(v) => Attr::Int(v),
        AttrDoc::Float(v) => Attr::Float(v.0),
        AttrDoc::Bool(v) => Attr::Bool(v),
        AttrDoc::Str(v) => Attr::Str(v),
        AttrDoc::Ints(v) => Attr::Ints(v),
        AttrDoc::OptInts(v) => Attr::OptInts(v),
        AttrDoc::DType(d) => Attr::DType(d.0),
    }
}

fn spec_doc(s: &Spec) -> SpecDoc {
    SpecDoc { dtype: DTypeDoc(s.dtype), shape: s.dims.iter().map(|d| d.map(|d| d as u64)).collect() }
}

/// Interns an attribute name read from a document (process-wide, capped).
pub fn intern_attr_name(name: &str) -> Result<&'static str> {
    if name.is_empty()
        || name.len() > MAX_ATTR_NAME_LEN
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(bad(format!(
            "invalid attribute name {name:?}: expected 1 to {MAX_ATTR_NAME_LEN} ASCII letters, digits or underscores"
        )));
    }
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&s) = names.get(name) {
        return Ok(s);
    }
    if names.len() >= MAX_ATTR_NAMES {
        return Err(Error::new(
            ErrorKind::ResourceExhausted,
            WHO,
            format!("too many distinct attribute names (limit {MAX_ATTR_NAMES}); cannot add `{name}`"),
        ));
    }
    let s: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(s);
    Ok(s)
}

/// Writes `graph` as compact JSON.
pub fn to_json(graph: &Graph) -> Result<String> {
    serde_json::to_string(&graph_doc(graph))
        .map_err(|e| Error::new(ErrorKind::Internal, "Graph.to_json", e.to_string()))
}

/// Writes `graph` as indented JSON.
pub fn to_json_pretty(graph: &Graph) -> Result<String> {
    serde_json::to_string_pretty(&graph_doc(graph))
        .map_err(|e| Error::new(ErrorKind::Internal, "Graph.to_json", e.to_string()))
}

fn graph_doc(graph: &Graph) -> GraphDoc<'_> {
    GraphDoc {
        format_version: FORMAT_VERSION,
        inputs: graph.inputs().to_vec(),
        outputs: graph.outputs().iter().map(out_doc).collect(),
        nodes: nodes_doc(graph),
    }
}

fn out_doc(o: &Output) -> OutputDoc {
    OutputDoc(o.node, o.index)
}

fn nodes_doc(graph: &Graph) -> Vec<NodeDoc<'_>> {
    graph
        .nodes()
        .iter()
        .map(|n| NodeDoc {
            id: n.id,
            op: n.kind.name().to_string(),
            inputs: n.inputs.iter().map(out_doc).collect(),
            control_inputs: n.control_inputs.clone(),
            attrs: AttrsDoc(n.attrs.0.iter().map(|(k, v)| (k.to_string(), attr_doc(v))).collect()),
            value: match &n.kind {
                NodeKind::Const(t) => Some(TensorDoc {
                    dtype: DTypeDoc(t.dtype()),
                    shape: t.shape().iter().map(|&d| d as u64).collect(),
                    values: ValuesDoc::Ref(t.storage()),
                }),
                _ => None,
            },
            variable: n.kind.variable_index(),
            subgraphs: n
                .kind
                .subgraphs()
                .into_iter()
                .map(|(_, g)| SubgraphDoc {
                    inputs: g.inputs().to_vec(),
                    outputs: g.outputs().iter().map(out_doc).collect(),
                    nodes: nodes_doc(g),
                })
                .collect(),
            max_iterations: match n.kind {
                NodeKind::While { max_iterations, .. } => max_iterations,
                _ => None,
            },
            outputs: n.outputs.iter().map(spec_doc).collect(),
        })
        .collect()
}

/// Reads a graph written by [`to_json`], validating everything (see the module docs).
pub fn from_json(text: &str) -> Result<Graph> {
    #[derive(Deserialize)]
    struct Probe {
        format_version: Option<serde_json::Value>,
    }
    let probe: Probe = serde_json::from_str(text).map_err(|e| bad(format!("invalid graph JSON: {e}")))?;
    match probe.format_version {
        None => return Err(bad("the document has no `format_version` field")),
        Some(v) if v.as_u64() == Some(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(bad(format!("unsupported format_version {v} (this build reads version {FORMAT_VERSION})")))
        }
    }
    let doc: GraphDoc = serde_json::from_str(text).map_err(|e| bad(format!("invalid graph JSON: {e}")))?;
    graph_from_doc(doc.nodes, doc.inputs, &doc.outputs, 1)
}

/// `depth` is the nesting level of the graph being read (1 for the document's top graph).
fn graph_from_doc(nodes: Vec<NodeDoc<'_>>, inputs: Vec<usize>, outputs: &[OutputDoc], depth: usize) -> Result<Graph> {
    let nodes =
        nodes.into_iter().enumerate().map(|(pos, n)| node_from_doc(pos, n, depth)).collect::<Result<Vec<_>>>()?;
    let outputs = outputs.iter().map(|o| Output::new(o.0, o.1)).collect();
    Graph::from_parts(nodes, inputs, outputs)
}

/// The kind of a control-flow node, reading its sub-graphs one nesting level down.
fn control_kind_from_doc(
    pos: usize,
    op: &str,
    subgraphs: Vec<SubgraphDoc<'_>>,
    max_iterations: Option<i64>,
    depth: usize,
) -> Result<NodeKind> {
    if depth >= MAX_NESTING_DEPTH {
        return Err(bad(format!(
            "node %{pos} ({op}) nests sub-graphs deeper than the limit of {MAX_NESTING_DEPTH} levels"
        )));
    }
    let expected = match op {
        "cond" | "while" => "exactly 2",
        _ => "at least 1",
    };
    let count_ok = match op {
        "cond" | "while" => subgraphs.len() == 2,
        _ => !subgraphs.is_empty(),
    };
    if !count_ok {
        return Err(bad(format!("node %{pos} ({op}) needs {expected} sub-graphs, has {}", subgraphs.len())));
    }
    if max_iterations.is_some() && op != "while" {
        return Err(bad(format!("node %{pos} ({op}) has a `max_iterations` field; only while nodes do")));
    }
    let mut graphs = subgraphs
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            graph_from_doc(g.nodes, g.inputs, &g.outputs, depth + 1)
                .map(Arc::new)
                .map_err(|e| Error { message: format!("{} (in sub-graph {i} of node %{pos}, {op})", e.message), ..e })
        })
        .collect::<Result<Vec<_>>>()?;
    let second = graphs.pop();
    let first = graphs.pop();
    Ok(match (op, first, second) {
        ("cond", Some(then_branch), Some(else_branch)) => NodeKind::Cond { then_branch, else_branch },
        ("while", Some(cond), Some(body)) => NodeKind::While { cond, body, max_iterations },
        (_, first, second) => {
            graphs.extend(first);
            graphs.extend(second);
            NodeKind::Case { branches: graphs }
        }
    })
}

fn dims_from_doc(pos: usize, shape: &[Option<u64>]) -> Result<shape::Dims> {
    if shape.len() > MAX_RANK {
        return Err(bad(format!("node %{pos}: rank {} exceeds the limit of {MAX_RANK}", shape.len())));
    }
    shape
        .iter()
        .map(|d| match d {
            None => Ok(None),
            Some(d) => {
                usize::try_from(*d).map(Some).map_err(|_| bad(format!("node %{pos}: dimension {d} is too large")))
            }
        })
        .collect()
}

fn node_from_doc(pos: usize, mut n: NodeDoc<'_>, depth: usize) -> Result<Node> {
    let is_control = matches!(n.op.as_str(), "cond" | "while" | "case");
    if !is_control && (!n.subgraphs.is_empty() || n.max_iterations.is_some()) {
        return Err(bad(format!(
            "node %{pos} ({}) has `subgraphs` or `max_iterations`; only cond, while and case nodes do",
            n.op
        )));
    }
    if n.value.is_some() && n.op != "const" {
        return Err(bad(format!("node %{pos} ({}) has a `value` field; only const nodes do", n.op)));
    }
    let assign = AssignMode::from_name(&n.op);
    if n.variable.is_some() && n.op != "variable" && assign.is_none() {
        return Err(bad(format!("node %{pos} ({}) has a `variable` field; only variable and assign nodes do", n.op)));
    }
    let kind = match (n.op.as_str(), assign) {
        (op @ ("cond" | "while" | "case"), _) => {
            control_kind_from_doc(pos, op, std::mem::take(&mut n.subgraphs), n.max_iterations, depth)?
        }
        (name, Some(mode)) => NodeKind::Assign(
            n.variable.ok_or_else(|| bad(format!("node %{pos}: an {name} node needs a `variable` index")))?,
            mode,
        ),
        ("placeholder", _) => NodeKind::Placeholder,
        ("variable", _) => NodeKind::Variable(
            n.variable.ok_or_else(|| bad(format!("node %{pos}: a variable node needs a `variable` index")))?,
        ),
        ("const", _) => NodeKind::Const(const_from_doc(
            pos,
            n.value.ok_or_else(|| bad(format!("node %{pos}: a const node needs a `value`")))?,
        )?),
        // Graphs saved before `tensor_list_zeros_like` became the general `zeros_like`.
        ("tensor_list_zeros_like", None) => NodeKind::Op(&ops::shape_like::ZEROS_LIKE),
        (name, None) => match ops::lookup(name) {
            Some(op) => NodeKind::Op(op),
            None => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    WHO,
                    format!("node %{pos}: unknown op `{name}` (not in the op registry)"),
                ))
            }
        },
    };
    let mut attrs = Attrs::new();
    for (k, v) in n.attrs.0 {
        attrs.0.push((intern_attr_name(&k)?, attr_from_doc(v)));
    }
    let outputs = n
        .outputs
        .iter()
        .map(|s| Ok(Spec { dtype: s.dtype.0, dims: dims_from_doc(pos, &s.shape)? }))
        .collect::<Result<Vec<_>>>()?;
    Ok(Node {
        id: n.id,
        kind,
        attrs,
        inputs: n.inputs.iter().map(|o| Output::new(o.0, o.1)).collect(),
        control_inputs: n.control_inputs,
        outputs,
    })
}

fn const_from_doc(pos: usize, t: TensorDoc<'_>) -> Result<Tensor> {
    let ValuesDoc::Parsed(values) = t.values else {
        return Err(bad(format!("node %{pos}: constant values missing")));
    };
    let dims = dims_from_doc(pos, &t.shape.iter().map(|&d| Some(d)).collect::<Vec<_>>())?;
    let shape: Vec<usize> = dims.iter().flatten().copied().collect();
    let dtype = t.dtype.0;
    let needed = shape::checked_num_elements(&shape);
    if needed != Some(values.len()) {
        return Err(bad(format!(
            "node %{pos}: a constant of shape {} needs {} values, {} given",
            shape::fmt_shape(&shape),
            needed.map_or("more than usize::MAX".to_string(), |n| n.to_string()),
            values.len()
        )));
    }
    let wrong = |i: usize, v: Scalar| bad(format!("node %{pos}: constant value {i} ({v:?}) is not a valid {dtype}"));
    let storage = match dtype {
        DType::F32 => Storage::F32(
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| match v {
                    Scalar::Float(x) if !x.is_finite() || (x as f32).is_finite() => Ok(x as f32),
                    Scalar::Int(x) => Ok(x as f32),
                    Scalar::UInt(x) => Ok(x as f32),
                    _ => Err(wrong(i, v)),
                })
                .collect::<Result<_>>()?,
        ),
        DType::F64 => Storage::F64(
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| match v {
                    Scalar::Float(x) => Ok(x),
                    Scalar::Int(x) => Ok(x as f64),
                    Scalar::UInt(x) => Ok(x as f64),
                    _ => Err(wrong(i, v)),
                })
                .collect::<Result<_>>()?,
        ),
        DType::I32 => Storage::I32(
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| match v {
                    Scalar::Int(x) => i32::try_from(x).map_err(|_| wrong(i, v)),
                    _ => Err(wrong(i, v)),
                })
                .collect::<Result<_>>()?,
        ),
        DType::I64 => Storage::I64(
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| match v {
                    Scalar::Int(x) => Ok(x),
                    _ => Err(wrong(i, v)),
                })
                .collect::<Result<_>>()?,
        ),
        DType::Bool => Storage::Bool(
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| match v {
                    Scalar::Bool(x) => Ok(x),
                    _ => Err(wrong(i, v)),
                })
                .collect::<Result<_>>()?,
        ),
    };
    Tensor::from_storage(storage, &shape).map_err(|e| bad(format!("node %{pos}: {}", e.message)))
}

impl Graph {
    /// Compact JSON (see [`crate::graph::serial`]).
    pub fn to_json(&self) -> Result<String> {
        to_json(self)
    }

    /// Reads and validates a graph from JSON (see [`crate::graph::serial`]).
    pub fn from_json(text: &str) -> Result<Graph> {
        from_json(text)
    }
}
