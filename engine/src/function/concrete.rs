//! `ConcreteFunction`: one traced graph for one argument signature, with its captured
//! variables and the structure of its results.

use super::signature::{py_dims, Arg, ArgSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{AssignMode, Graph, NodeKind};
use crate::tensor::Tensor;
use crate::variable::Variable;

/// Where the results of a traced function come from: graph outputs at the tensor leaves,
/// plain values returned as they were at trace time.
#[derive(Clone, Debug)]
pub enum Out {
    /// Graph output number `.0`.
    Slot(usize),
    /// A non-tensor value the body returned.
    Value(Arg),
    /// A list.
    List(Vec<Out>),
    /// A tuple.
    Tuple(Vec<Out>),
    /// A dict.
    Dict(Vec<(String, Out)>),
}

impl Out {
    /// Splits a returned value into its structure and its tensor leaves (depth-first). Plain
    /// numbers become tensors (int32, float32, bool), as TensorFlow converts a function's results.
    pub fn flatten(value: &Arg) -> (Out, Vec<Tensor>) {
        fn go(a: &Arg, ts: &mut Vec<Tensor>) -> Out {
            let mut leaf = |t: Tensor| {
                ts.push(t);
                Out::Slot(ts.len() - 1)
            };
            match a {
                Arg::Tensor(t) => leaf(t.clone()),
                Arg::Int(v) => leaf(match i32::try_from(*v) {
                    Ok(i) => Tensor::scalar(i),
                    Err(_) => Tensor::scalar(*v),
                }),
                Arg::Float(v) => leaf(Tensor::scalar(*v as f32)),
                Arg::Bool(v) => leaf(Tensor::scalar(*v)),
                Arg::List(v) => Out::List(v.iter().map(|x| go(x, ts)).collect()),
                Arg::Tuple(v) => Out::Tuple(v.iter().map(|x| go(x, ts)).collect()),
                Arg::Dict(v) => Out::Dict(v.iter().map(|(k, x)| (k.clone(), go(x, ts))).collect()),
                other => Out::Value(other.clone()),
            }
        }
        let mut ts = Vec::new();
        let s = go(value, &mut ts);
        (s, ts)
    }

    /// Puts `values` (the graph outputs) back into this structure.
    pub fn pack(&self, values: &[Tensor]) -> Result<Arg> {
        Ok(match self {
            Out::Slot(i) => Arg::Tensor(values.get(*i).cloned().ok_or_else(|| {
                Error::new(ErrorKind::Internal, "tf.function", format!("result {i} missing from the graph outputs"))
            })?),
            Out::Value(v) => v.clone(),
            Out::List(v) => Arg::List(v.iter().map(|o| o.pack(values)).collect::<Result<_>>()?),
            Out::Tuple(v) => Arg::Tuple(v.iter().map(|o| o.pack(values)).collect::<Result<_>>()?),
            Out::Dict(v) => Arg::Dict(v.iter().map(|(k, o)| Ok((k.clone(), o.pack(values)?))).collect::<Result<_>>()?),
        })
    }
}

/// A function traced for one signature: the graph that runs, the graph tapes differentiate,
/// the variables it captured by reference and the structure of its results.
#[derive(Debug)]
pub struct ConcreteFunction {
    pub(crate) name: String,
    pub(crate) arg_names: Vec<String>,
    pub(crate) signature: Vec<ArgSpec>,
    pub(crate) graph: Graph,
    pub(crate) tape_graph: Graph,
    pub(crate) traced_nodes: usize,
    pub(crate) reports: Vec<String>,
    pub(crate) variables: Vec<Variable>,
    pub(crate) outputs: Out,
    /// Forward/backward graph pairs for calls under a tape, by tracked sources.
    pub(crate) gradient_pairs: super::call_gradient::PairCache,
}

impl ConcreteFunction {
    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The argument key this function was traced for.
    pub fn signature(&self) -> &[ArgSpec] {
        &self.signature
    }

    /// The optimized graph a call runs.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph calls run while a gradient tape records: every node a differentiable op.
    pub fn tape_graph(&self) -> &Graph {
        &self.tape_graph
    }

    /// The forward and backward graphs built so far for calls under a gradient tape (one pair
    /// per set of tracked arguments and variables): the forward graph returns the results,
    /// then the values the backward graph takes before the results' gradients.
    pub fn gradient_graphs(&self) -> Vec<(Graph, Graph)> {
        super::call_gradient::graphs(&self.gradient_pairs)
    }

    /// Number of nodes the trace produced, before optimization.
    pub fn traced_nodes(&self) -> usize {
        self.traced_nodes
    }

    /// One line per optimizer pass: `constant_folding: 14 -> 9 nodes`.
    pub fn pass_reports(&self) -> &[String] {
        &self.reports
    }

    /// The captured variables, in the order the graph indexes them.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// The result structure.
    pub fn output_structure(&self) -> &Out {
        &self.outputs
    }

    /// True when `args` fit this function's signature.
    pub fn accepts(&self, args: &[Arg]) -> bool {
        args.len() == self.signature.len() && self.signature.iter().zip(args).all(|(s, a)| s.accepts(a))
    }

    /// Calls the function: `args` must fit its signature (plain values equal to the traced ones).
    pub fn call(&self, args: &[Arg]) -> Result<Arg> {
        if args.len() != self.signature.len() {
            return Err(Error::invalid(
                &self.name,
                format!(
                    "takes {} arguments ({}), {} were given",
                    self.signature.len(),
                    self.arg_names.join(", "),
                    args.len()
                ),
            ));
        }
        for (i, (s, a)) in self.signature.iter().zip(args).enumerate() {
            if !s.accepts(a) {
                return Err(Error::invalid(
                    &self.name,
                    format!(
                        "argument {} must match {} (the signature this concrete function was traced for), got {}",
                        self.arg_name(i),
                        s.repr(),
                        a.kind()
                    ),
                ));
            }
        }
        let mut feeds = Vec::new();
        for a in args {
            a.for_each_tensor(&mut |t| feeds.push(t.clone()));
        }
        let values = self.call_flat(&feeds)?;
        self.outputs.pack(&values)
    }

    /// Runs the graph on its tensor arguments (depth-first leaves of the arguments), returning
    /// the flat results.
    pub fn call_flat(&self, feeds: &[Tensor]) -> Result<Vec<Tensor>> {
        if crate::function::trace::is_tracing() || feeds.iter().any(Tensor::is_symbolic) {
            return replay(&self.tape_graph, feeds, &self.variables);
        }
        if crate::summary::trace::is_tracing() {
            crate::summary::trace::record(&self.name, &self.graph);
        }
        let recording = crate::tape::is_recording();
        let pair = if recording { super::call_gradient::call(self, feeds) } else { Ok(None) };
        let result = match pair {
            Ok(Some(values)) => Ok(values),
            Ok(None) => {
                crate::graph::exec::run(if recording { &self.tape_graph } else { &self.graph }, feeds, &self.variables)
            }
            Err(e) => Err(e),
        };
        result.map_err(|mut e| {
            e.message = format!("in tf.function '{}': {}", self.name, e.message);
            e
        })
    }

    pub(crate) fn arg_name(&self, i: usize) -> String {
        self.arg_names.get(i).cloned().unwrap_or_else(|| format!("arg{i}"))
    }

    /// TensorFlow's description of this signature: input parameters, output type, captures.
    pub fn pretty_printed_signature(&self) -> String {
        let mut s = String::from("Input Parameters:\n");
        if self.signature.is_empty() {
            s.push_str("  None\n");
        }
        for (i, a) in self.signature.iter().enumerate() {
            s.push_str(&format!("  {} (POSITIONAL_OR_KEYWORD): {}\n", self.arg_name(i), a.repr()));
        }
        s.push_str("Output Type:\n  ");
        let specs = self.graph.output_specs();
        s.push_str(&out_repr(&self.outputs, &specs));
        s.push_str("\nCaptures:\n");
        if self.variables.is_empty() {
            s.push_str("  None");
        } else {
            let lines: Vec<String> = self
                .variables
                .iter()
                .map(|v| format!("  {}: TensorSpec(shape={}, dtype=tf.resource, name=None)", v.name(), "()"))
                .collect();
            s.push_str(&lines.join("\n"));
        }
        s
    }
}

fn out_repr(o: &Out, specs: &[crate::ops::Spec]) -> String {
    match o {
        Out::Slot(i) => specs.get(*i).map_or("?".to_string(), |s| {
            format!("TensorSpec(shape={}, dtype=tf.{}, name=None)", py_dims(&s.dims), s.dtype.name())
        }),
        Out::Value(a) => a.spec().repr(),
        Out::List(v) => format!("List[{}]", v.iter().map(|x| out_repr(x, specs)).collect::<Vec<_>>().join(", ")),
        Out::Tuple(v) => format!("Tuple[{}]", v.iter().map(|x| out_repr(x, specs)).collect::<Vec<_>>().join(", ")),
        Out::Dict(v) => format!(
            "Dict[{}]",
            v.iter().map(|(k, x)| format!("['{k}', {}]", out_repr(x, specs))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Runs `graph` node by node through `ops::execute`, so that inside a trace the nodes are
/// copied into the enclosing graph (calling a concrete function from a traced function).
pub(crate) fn replay(graph: &Graph, feeds: &[Tensor], variables: &[Variable]) -> Result<Vec<Tensor>> {
    replay_only(graph, feeds, variables, &|_| true)
}

/// [`replay`] restricted to the nodes `keep` accepts (the others must not feed a kept node or
/// an output).
pub(crate) fn replay_only(
    graph: &Graph,
    feeds: &[Tensor],
    variables: &[Variable],
    keep: &dyn Fn(usize) -> bool,
) -> Result<Vec<Tensor>> {
    let order = graph.topological_order()?;
    let mut values: Vec<Vec<Option<Tensor>>> = graph.nodes().iter().map(|n| vec![None; n.outputs.len()]).collect();
    for (&id, feed) in graph.inputs().iter().zip(feeds) {
        values[id][0] = Some(feed.clone());
    }
    if feeds.len() != graph.inputs().len() {
        return Err(Error::invalid(
            "tf.function",
            format!("the graph takes {} arguments, {} were given", graph.inputs().len(), feeds.len()),
        ));
    }
    let internal = |m: String| Error::new(ErrorKind::Internal, "tf.function", m);
    for id in order.into_iter().filter(|&id| keep(id)) {
        let node = &graph.nodes()[id];
        let inputs: Vec<Tensor> = node
            .inputs
            .iter()
            .map(|o| {
                values[o.node][o.index].clone().ok_or_else(|| internal(format!("%{}:{} missing", o.node, o.index)))
            })
            .collect::<Result<_>>()?;
        let var = |i: usize| variables.get(i).ok_or_else(|| internal(format!("variable {i} missing")));
        let outs = match &node.kind {
            NodeKind::Placeholder => continue,
            NodeKind::Const(t) => vec![t.clone()],
            NodeKind::Variable(i) => vec![var(*i)?.read_value()],
            NodeKind::Assign(i, mode) => {
                let v = var(*i)?;
                match mode {
                    AssignMode::Set => v.assign(&inputs[0])?,
                    AssignMode::Add => v.assign_add(&inputs[0])?,
                    AssignMode::Sub => v.assign_sub(&inputs[0])?,
                }
                vec![v.read_value()]
            }
            NodeKind::Op(op) => crate::ops::execute(op, &inputs, node.attrs.clone())?,
            NodeKind::Cond { .. } | NodeKind::While { .. } | NodeKind::Case { .. } => {
                crate::control_flow::replay_node(node, &inputs, variables)?
            }
        };
        for (slot, t) in values[id].iter_mut().zip(outs) {
            *slot = Some(t);
        }
    }
    graph
        .outputs()
        .iter()
        .map(|o| {
            values[o.node][o.index].clone().ok_or_else(|| internal(format!("output %{}:{} missing", o.node, o.index)))
        })
        .collect()
}
