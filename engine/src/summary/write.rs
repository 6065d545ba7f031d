//! The `write_summary` op and the `tf.summary.*` entry points built on it.
//!
//! The op is stateful: traced into a function it is a graph node that runs at every call, in
//! program order. Its kernel looks up the default writer, the recording condition and (without
//! a step input) the default step of the thread when it *runs*, so a traced function writes to
//! the writer that is the default at each call (TensorFlow freezes the writer at trace time).
//!
//! The attribute `kind` selects the encoder that turns the data inputs into the summary tensor
//! (see [`KINDS`]); the plugin metadata comes from attributes, fixed at trace time.

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::ops::{execute1, OpDef, Spec};
use crate::summary::context;
use crate::summary::proto::{
    self, summary_metadata::PluginData, DataClass, Event, GraphDef, SummaryMetadata, TensorProto,
};
use crate::summary::writer::now_secs;
use crate::summary::{graph_def, histogram as hist, image as img, tensor_proto, trace};
use crate::tensor::{Storage, Tensor};

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&WRITE_SUMMARY];

const OP: &str = "write_summary";

/// Turns a summary's data inputs (eager, when the op runs) into the tensor that is written.
pub type Encoder = fn(&[Tensor], &Attrs) -> Result<TensorProto>;

/// A kind of summary value: its name (the `kind` attribute), how many data inputs it takes,
/// a check of their specs at trace time, and its encoder.
pub struct Kind {
    /// The `kind` attribute's value.
    pub name: &'static str,
    /// Number of data inputs (an optional step input follows them).
    pub inputs: usize,
    /// Validates the data inputs' specs (shapes may be partly unknown while tracing).
    pub check: fn(&[Spec], &Attrs) -> Result<()>,
    /// Builds the summary tensor from the data inputs.
    pub encode: Encoder,
}

/// The kinds the op knows.
pub static KINDS: &[Kind] = &[
    Kind { name: "scalar", inputs: 1, check: check_scalar, encode: encode_scalar },
    Kind { name: "text", inputs: 0, check: |_, a| a.str(OP, "text").map(|_| ()), encode: encode_text },
    Kind { name: "tensor", inputs: 1, check: |_, _| Ok(()), encode: encode_tensor },
    Kind { name: "histogram", inputs: 1, check: |_, a| a.int(OP, "buckets").map(|_| ()), encode: encode_histogram },
    Kind { name: "image", inputs: 1, check: check_image, encode: encode_image },
];

fn kind_of(a: &Attrs) -> Result<&'static Kind> {
    let name = a.str(OP, "kind")?;
    KINDS.iter().find(|k| k.name == name).ok_or_else(|| {
        let known: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        Error::invalid(OP, format!("unknown summary kind {name:?} (known: {})", known.join(", ")))
    })
}

fn check_scalar(specs: &[Spec], a: &Attrs) -> Result<()> {
    let s = &specs[0];
    if s.rank() != 0 {
        return Err(Error::invalid(
            "scalar",
            format!("summary '{}': expected scalar shape, saw shape: {}", a.str(OP, "tag")?, s.fmt_dims()),
        ));
    }
    Ok(())
}

fn encode_scalar(inputs: &[Tensor], _: &Attrs) -> Result<TensorProto> {
    // `tf.summary.scalar` casts to float32.
    Ok(tensor_proto::scalar_f32(inputs[0].storage().get_f64(0) as f32))
}

fn encode_text(_: &[Tensor], a: &Attrs) -> Result<TensorProto> {
    Ok(tensor_proto::string_scalar(a.str(OP, "text")?))
}

fn encode_histogram(inputs: &[Tensor], a: &Attrs) -> Result<TensorProto> {
    let buckets = usize::try_from(a.int(OP, "buckets")?)
        .map_err(|_| Error::invalid("histogram", "buckets must be a non-negative count"))?;
    hist::encode_histogram(&inputs[0], buckets)
}

fn check_image(specs: &[Spec], a: &Attrs) -> Result<()> {
    let s = &specs[0];
    if s.rank() != 4 {
        return Err(Error::invalid(
            "image",
            format!(
                "summary '{}': images must have rank 4 [k, h, w, c], received rank {}, shape {}",
                a.str(OP, "tag")?,
                s.rank(),
                s.fmt_dims()
            ),
        ));
    }
    a.int(OP, "max_outputs")?;
    Ok(())
}

fn encode_image(inputs: &[Tensor], a: &Attrs) -> Result<TensorProto> {
    let max_outputs = usize::try_from(a.int(OP, "max_outputs")?)
        .map_err(|_| Error::invalid("image", "max_outputs must be a non-negative count"))?;
    img::encode_image_summary(&inputs[0], max_outputs)
}

fn encode_tensor(inputs: &[Tensor], _: &Attrs) -> Result<TensorProto> {
    tensor_proto::tensor_to_proto(&inputs[0])
}

/// Splits the op's inputs into data inputs and the optional step input.
fn split<'a, T>(kind: &Kind, inputs: &'a [T]) -> Result<(&'a [T], Option<&'a T>)> {
    match inputs.len().checked_sub(kind.inputs) {
        Some(0) => Ok((inputs, None)),
        Some(1) => Ok((&inputs[..kind.inputs], inputs.last())),
        _ => Err(Error::invalid(
            OP,
            format!(
                "a {} summary takes {} data input(s) and an optional step, got {} inputs",
                kind.name,
                kind.inputs,
                inputs.len()
            ),
        )),
    }
}

fn check_step(spec: &Spec) -> Result<()> {
    if spec.rank() != 0 || !spec.dtype.is_int() {
        return Err(Error::invalid(
            OP,
            format!("the step must be an int32 or int64 scalar, got a {} tensor", spec.describe()),
        ));
    }
    Ok(())
}

fn metadata(a: &Attrs) -> Result<SummaryMetadata> {
    let content = match a.opt_ints("plugin_content") {
        Some(bytes) => bytes.iter().map(|&b| b as u8).collect(),
        None => Vec::new(),
    };
    Ok(SummaryMetadata {
        plugin_data: Some(PluginData { plugin_name: a.str(OP, "plugin_name")?.to_string(), content }),
        display_name: a.str(OP, "display_name").unwrap_or("").to_string(),
        summary_description: a.str(OP, "description").unwrap_or("").to_string(),
        data_class: a.int(OP, "data_class").unwrap_or(0) as i32,
    })
}

fn bool_tensor(v: bool) -> Vec<Tensor> {
    vec![Tensor::scalar(v)]
}

/// Registry entry of `write_summary` (TensorFlow's `WriteSummary`): one bool output, true when
/// the value was written.
pub static WRITE_SUMMARY: OpDef = OpDef {
    name: OP,
    infer: |s, a| {
        let kind = kind_of(a)?;
        a.str(OP, "tag")?;
        a.str(OP, "plugin_name")?;
        let (data, step) = split(kind, s)?;
        (kind.check)(data, a)?;
        if let Some(step) = step {
            check_step(step)?;
        }
        Ok(vec![Spec::new(DType::Bool, &[])])
    },
    kernel: |i, a, _| {
        let kind = kind_of(a)?;
        let (data, step) = split(kind, i)?;
        let Some(writer) = context::writer_for_write() else { return Ok(bool_tensor(false)) };
        let step = match step {
            Some(t) => step_value(t),
            None => context::default_step()?,
        };
        let value = proto::summary::Value {
            node_name: String::new(),
            tag: a.str(OP, "tag")?.to_string(),
            metadata: Some(metadata(a)?),
            value: Some(proto::summary::value::Value::Tensor((kind.encode)(data, a)?)),
        };
        let event = Event {
            wall_time: now_secs(),
            step,
            what: Some(proto::event::What::Summary(proto::Summary { value: vec![value] })),
        };
        writer.write_event_ref(&event)?;
        Ok(bool_tensor(true))
    },
    grad: None,
    stateful: true,
    inplace: None,
};

/// An explicit step input, read exactly (int64 steps beyond 2^53 must not round through f64).
fn step_value(t: &Tensor) -> i64 {
    match t.storage() {
        Storage::I64(v) if v.len() == 1 => v[0],
        Storage::I32(v) if v.len() == 1 => v[0] as i64,
        s => s.get_f64(0) as i64,
    }
}

fn call(kind: &'static str, tag: &str, data: &[Tensor], step: Option<&Tensor>, attrs: Attrs) -> Result<Tensor> {
    let mut inputs: Vec<Tensor> = data.to_vec();
    inputs.extend(step.cloned());
    let attrs = attrs.with("kind", Attr::Str(kind.into())).with("tag", Attr::Str(crate::module::scoped_name(tag)));
    execute1(&WRITE_SUMMARY, &inputs, attrs)
}

fn described(attrs: Attrs, description: Option<&str>) -> Attrs {
    match description {
        Some(d) if !d.is_empty() => attrs.with("description", Attr::Str(d.into())),
        _ => attrs,
    }
}

/// `tf.summary.scalar`: writes `data` (a scalar of any dtype, cast to float32) under `tag` to
/// the default writer when the write runs. Returns a bool scalar: whether it was written.
/// Without `step`, the default step is used (an error if there is none).
pub fn scalar(tag: &str, data: &Tensor, step: Option<&Tensor>, description: Option<&str>) -> Result<Tensor> {
    let attrs = Attrs::new()
        .with("plugin_name", Attr::Str("scalars".into()))
        .with("data_class", Attr::Int(DataClass::Scalar as i64));
    call("scalar", tag, std::slice::from_ref(data), step, described(attrs, description))
}

/// `tf.summary.text`: writes the string `data` under `tag` (see [`scalar`] for the rest).
pub fn text(tag: &str, data: &str, step: Option<&Tensor>, description: Option<&str>) -> Result<Tensor> {
    let attrs = Attrs::new()
        .with("plugin_name", Attr::Str("text".into()))
        .with("data_class", Attr::Int(DataClass::Tensor as i64))
        .with("text", Attr::Str(data.into()));
    call("text", tag, &[], step, described(attrs, description))
}

/// `tf.summary.write`: writes a summary value of any [`Kind`] whose plugin metadata is
/// `metadata` (plugin name, content, data class, description); `extra` holds the kind's own
/// attributes. With kind `"tensor"` the single data tensor is written as it is (dtype and
/// shape kept). Returns whether it was written, like [`scalar`].
pub fn write_raw(
    kind: &'static str,
    tag: &str,
    data: &[Tensor],
    step: Option<&Tensor>,
    metadata: &SummaryMetadata,
    extra: Attrs,
) -> Result<Tensor> {
    let plugin = metadata.plugin_data.as_ref();
    let mut attrs = extra
        .with("plugin_name", Attr::Str(plugin.map_or("", |p| p.plugin_name.as_str()).into()))
        .with("data_class", Attr::Int(metadata.data_class as i64));
    if let Some(p) = plugin.filter(|p| !p.content.is_empty()) {
        attrs = attrs.with("plugin_content", Attr::Ints(p.content.iter().map(|&b| b as i64).collect()));
    }
    if !metadata.display_name.is_empty() {
        attrs = attrs.with("display_name", Attr::Str(metadata.display_name.clone()));
    }
    call(kind, tag, data, step, described(attrs, Some(&metadata.summary_description)))
}

/// `tf.summary.histogram`: writes the distribution of `data` (any shape, cast to float64) as
/// `buckets` equal-width buckets (TensorFlow's default 30) under `tag` (see [`scalar`]).
pub fn histogram(
    tag: &str,
    data: &Tensor,
    step: Option<&Tensor>,
    buckets: Option<usize>,
    description: Option<&str>,
) -> Result<Tensor> {
    let buckets = buckets.unwrap_or(hist::DEFAULT_BUCKETS);
    let attrs = Attrs::new()
        .with("plugin_name", Attr::Str(hist::PLUGIN_NAME.into()))
        .with("data_class", Attr::Int(DataClass::Tensor as i64))
        .with("buckets", Attr::Int(i64::try_from(buckets).unwrap_or(i64::MAX)));
    call("histogram", tag, std::slice::from_ref(data), step, described(attrs, description))
}

/// `tf.summary.image`: writes up to `max_outputs` images of a `[k, h, w, c]` tensor (c = 1, 3
/// or 4; floats in [0, 1], integers as bytes) as PNG files under `tag` (see [`scalar`]).
pub fn image(
    tag: &str,
    data: &Tensor,
    step: Option<&Tensor>,
    max_outputs: usize,
    description: Option<&str>,
) -> Result<Tensor> {
    let attrs = Attrs::new()
        .with("plugin_name", Attr::Str(img::PLUGIN_NAME.into()))
        .with("data_class", Attr::Int(DataClass::BlobSequence as i64))
        .with("max_outputs", Attr::Int(i64::try_from(max_outputs).unwrap_or(i64::MAX)));
    call("image", tag, std::slice::from_ref(data), step, described(attrs, description))
}

fn write_graph_def(def: &GraphDef, step: i64) -> Result<bool> {
    use prost::Message;
    let Some(writer) = context::writer_for_write() else { return Ok(false) };
    let event = Event { wall_time: now_secs(), step, what: Some(proto::event::What::GraphDef(def.encode_to_vec())) };
    writer.write_event_ref(&event)?;
    Ok(true)
}

/// `tf.summary.graph`: writes `graph` (e.g. a concrete function's) for TensorBoard's Graphs
/// tab to the default writer, now. Returns whether it was written.
pub fn graph(graph: &Graph) -> Result<bool> {
    write_graph_def(&graph_def::graph_def(graph), 0)
}

/// `tf.summary.trace_on(graph=True)`: starts collecting the graphs of the functions that run.
pub fn trace_on() {
    trace::trace_on();
}

/// `tf.summary.trace_off()`: stops collecting graphs without writing them.
pub fn trace_off() {
    trace::trace_off();
}

/// `tf.summary.trace_export`: writes the graphs collected since [`trace_on`] as one graph
/// (each function's nodes under its name) at `step` (the default step if `None`), and stops
/// collecting. Returns whether anything was written.
pub fn trace_export(name: &str, step: Option<i64>) -> Result<bool> {
    if !trace::is_tracing() {
        return Ok(false);
    }
    let graphs = trace::take();
    let step = match step {
        Some(s) => s,
        None => context::default_step()?,
    };
    let mut merged = GraphDef { node: Vec::new(), versions: None };
    for (function, g) in &graphs {
        let def = graph_def::graph_def(g);
        merged.versions = def.versions;
        let scope = format!("{name}/{function}");
        for mut n in def.node {
            n.name = format!("{scope}/{}", n.name);
            for input in &mut n.input {
                *input = match input.strip_prefix('^') {
                    Some(rest) => format!("^{scope}/{rest}"),
                    None => format!("{scope}/{input}"),
                };
            }
            merged.node.push(n);
        }
    }
    if merged.node.is_empty() {
        return Ok(false);
    }
    write_graph_def(&merged, step)
}
