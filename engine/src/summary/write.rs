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
use crate::ops::{execute1, OpDef, Spec};
use crate::summary::context;
use crate::summary::proto::{
    self, summary_metadata::PluginData, tensor_shape_proto::Dim, DataClass, DataType, Event, SummaryMetadata,
    TensorProto, TensorShapeProto,
};
use crate::summary::writer::now_secs;
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

fn shape_proto(shape: &[usize]) -> Option<TensorShapeProto> {
    Some(TensorShapeProto {
        dim: shape.iter().map(|&d| Dim { size: d as i64, name: String::new() }).collect(),
        unknown_rank: false,
    })
}

fn encode_scalar(inputs: &[Tensor], _: &Attrs) -> Result<TensorProto> {
    // `tf.summary.scalar` casts to float32.
    let v = inputs[0].storage().get_f64(0) as f32;
    Ok(TensorProto {
        dtype: DataType::DtFloat as i32,
        tensor_shape: shape_proto(&[]),
        tensor_content: v.to_le_bytes().to_vec(),
        ..Default::default()
    })
}

fn encode_text(_: &[Tensor], a: &Attrs) -> Result<TensorProto> {
    Ok(TensorProto {
        dtype: DataType::DtString as i32,
        tensor_shape: shape_proto(&[]),
        string_val: vec![a.str(OP, "text")?.as_bytes().to_vec()],
        ..Default::default()
    })
}

/// Any tensor as TensorFlow serializes it: raw little-endian elements in `tensor_content`.
pub fn tensor_proto(t: &Tensor) -> Result<TensorProto> {
    t.expect_eager("summary")?;
    let (dtype, bytes) = match t.storage() {
        Storage::F32(v) => (DataType::DtFloat, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Storage::F64(v) => (DataType::DtDouble, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Storage::I32(v) => (DataType::DtInt32, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Storage::I64(v) => (DataType::DtInt64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Storage::Bool(v) => (DataType::DtBool, v.iter().map(|&b| b as u8).collect()),
    };
    Ok(TensorProto {
        dtype: dtype as i32,
        tensor_shape: shape_proto(t.shape()),
        tensor_content: bytes,
        ..Default::default()
    })
}

fn encode_tensor(inputs: &[Tensor], _: &Attrs) -> Result<TensorProto> {
    tensor_proto(&inputs[0])
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

fn no_step() -> Error {
    Error::invalid(
        "summary",
        "No step set. Please specify one either through the `step` argument or through \
         tf.summary.experimental.set_step()",
    )
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
            None => match context::current_step() {
                Some(s) => s.value()?,
                None => return Err(no_step()),
            },
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
