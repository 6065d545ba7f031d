//! Typed data from summary values: scalars, histograms, text, images and graphs, written
//! either the TF2 way (a tensor plus plugin metadata) or the legacy TF1 way.

use crate::error::{Error, ErrorKind, Result};
use crate::summary::proto::{self, summary::value::Value as Kind, DataType, GraphDef, TensorProto};
use prost::Message;

/// Most elements a tensor may expand to when its typed values repeat the last one.
const MAX_REPEATED_ELEMENTS: u64 = 1 << 24;

/// What a summary value holds, decoded according to its plugin.
#[derive(Clone, Debug, PartialEq)]
pub enum SummaryData {
    /// A scalar (`scalars` plugin, or a legacy `simple_value`).
    Scalar(f64),
    /// Histogram rows `[left_edge, right_edge, count]` (`histograms`, or a legacy histogram).
    Histogram(Vec<[f64; 3]>),
    /// A text (`text` plugin).
    Text(String),
    /// Encoded images (`images`, or a legacy image).
    Images(ImageBlob),
    /// Graphs recorded by `tf.summary.trace_export` (`graph_run_metadata_graph`).
    Graphs(Vec<GraphDef>),
    /// A tensor of another plugin, undecoded.
    Tensor(TensorProto),
}

/// Images of an `images` summary: their size and the encoded (PNG) files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageBlob {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// One encoded image file each.
    pub encoded: Vec<Vec<u8>>,
}

/// The plugin named in the value's metadata (present on a tag's first value only).
pub fn plugin_name(value: &proto::summary::Value) -> Option<&str> {
    let name = &value.metadata.as_ref()?.plugin_data.as_ref()?.plugin_name;
    (!name.is_empty()).then_some(name.as_str())
}

/// Decodes `value` for `plugin` (the tag's plugin as remembered from its first value; the
/// value's own metadata wins when present).
pub fn summary_data(value: &proto::summary::Value, plugin: Option<&str>) -> Result<SummaryData> {
    let plugin = plugin_name(value).or(plugin);
    match (&value.value, plugin) {
        (Some(Kind::SimpleValue(_)), _) | (Some(Kind::Tensor(_)), Some("scalars")) => {
            value_as_f64(value).map(SummaryData::Scalar)
        }
        (Some(Kind::Histo(_)), _) | (Some(Kind::Tensor(_)), Some("histograms")) => {
            histogram(value).map(SummaryData::Histogram)
        }
        (Some(Kind::Image(_)), _) | (Some(Kind::Tensor(_)), Some("images")) => images(value).map(SummaryData::Images),
        (Some(Kind::Tensor(_)), Some("text")) => text(value).map(SummaryData::Text),
        (Some(Kind::Tensor(_)), Some("graph_run_metadata_graph")) => {
            run_metadata_graphs(value).map(SummaryData::Graphs)
        }
        (Some(Kind::Tensor(t)), _) => Ok(SummaryData::Tensor(t.clone())),
        (None, _) => Err(bad(value, "holds no value")),
    }
}

/// The scalar of a `scalars` value: a one-element numeric tensor or a legacy `simple_value`.
pub fn value_as_f64(value: &proto::summary::Value) -> Result<f64> {
    match &value.value {
        Some(Kind::SimpleValue(v)) => Ok(*v as f64),
        Some(Kind::Tensor(t)) => match tensor_f64s(t)?.as_slice() {
            [v] => Ok(*v),
            vals => Err(bad(value, &format!("holds {} numbers, not a scalar", vals.len()))),
        },
        _ => Err(bad(value, "is not a scalar")),
    }
}

/// The rows `[left_edge, right_edge, count]` of a histogram value: a `[k, 3]` tensor, or a
/// legacy histogram converted as TensorBoard does (left edges are the previous limits).
pub fn histogram(value: &proto::summary::Value) -> Result<Vec<[f64; 3]>> {
    match &value.value {
        Some(Kind::Tensor(t)) => {
            let vals = tensor_f64s(t)?;
            let dims = dims(t);
            if vals.is_empty() {
                return Ok(Vec::new());
            }
            if dims.len() != 2 || dims[1] != 3 {
                return Err(bad(value, &format!("has shape {dims:?}, not [k, 3]")));
            }
            Ok(vals.chunks_exact(3).map(|r| [r[0], r[1], r[2]]).collect())
        }
        Some(Kind::Histo(h)) => {
            if h.bucket.len() != h.bucket_limit.len() {
                return Err(bad(value, "has a different number of bucket limits and counts"));
            }
            let n = h.bucket.len();
            Ok((0..n)
                .map(|i| {
                    let left = if i == 0 { h.min } else { h.bucket_limit[i - 1] };
                    let right = if i + 1 == n { h.max } else { h.bucket_limit[i] };
                    [left, right, h.bucket[i]]
                })
                .collect())
        }
        _ => Err(bad(value, "is not a histogram")),
    }
}

/// The string of a `text` value (a scalar string tensor; invalid UTF-8 is replaced).
pub fn text(value: &proto::summary::Value) -> Result<String> {
    match &value.value {
        Some(Kind::Tensor(t)) => match t.string_val.as_slice() {
            [s] => Ok(String::from_utf8_lossy(s).into_owned()),
            vals => Err(bad(value, &format!("holds {} strings, expected one", vals.len()))),
        },
        _ => Err(bad(value, "is not a text")),
    }
}

/// The images of an `images` value: `[width, height, png...]` strings, or a legacy image.
pub fn images(value: &proto::summary::Value) -> Result<ImageBlob> {
    match &value.value {
        Some(Kind::Tensor(t)) => {
            let [w, h, encoded @ ..] = t.string_val.as_slice() else {
                return Err(bad(value, "holds fewer than 2 strings (width, height)"));
            };
            let size = |s: &[u8], what: &str| {
                std::str::from_utf8(s)
                    .ok()
                    .and_then(|s| s.parse::<u32>().ok())
                    .ok_or_else(|| bad(value, &format!("has a {what} that is not a decimal number")))
            };
            Ok(ImageBlob { width: size(w, "width")?, height: size(h, "height")?, encoded: encoded.to_vec() })
        }
        Some(Kind::Image(img)) => Ok(ImageBlob {
            width: u32::try_from(img.width).map_err(|_| bad(value, "has a negative width"))?,
            height: u32::try_from(img.height).map_err(|_| bad(value, "has a negative height"))?,
            encoded: vec![img.encoded_image_string.clone()],
        }),
        _ => Err(bad(value, "is not an image")),
    }
}

/// Decodes an `Event.graph_def` payload.
pub fn decode_graph(bytes: &[u8]) -> Result<GraphDef> {
    GraphDef::decode(bytes)
        .map_err(|e| Error::new(ErrorKind::DataLoss, "summary", format!("graph_def is not a valid GraphDef ({e})")))
}

/// The graphs in a `graph_run_metadata_graph` value (what `tf.summary.trace_export` writes):
/// each traced function's graph before optimisation, else the partition graphs.
pub fn run_metadata_graphs(value: &proto::summary::Value) -> Result<Vec<GraphDef>> {
    let Some(Kind::Tensor(t)) = &value.value else { return Err(bad(value, "is not a RunMetadata tensor")) };
    let [bytes] = t.string_val.as_slice() else { return Err(bad(value, "does not hold one RunMetadata")) };
    let meta = RunMetadata::decode(bytes.as_slice()).map_err(|e| {
        Error::new(ErrorKind::DataLoss, "summary", format!("tag {:?}: bad RunMetadata ({e})", value.tag))
    })?;
    let mut graphs: Vec<GraphDef> = meta.function_graphs.into_iter().filter_map(|f| f.pre_optimization_graph).collect();
    if graphs.is_empty() {
        graphs = meta.partition_graphs;
    }
    Ok(graphs)
}

/// The numbers of a numeric tensor as f64, from `tensor_content` or the typed `*_val` field
/// (whose last value TensorFlow repeats to fill the shape; none at all means zeros).
pub fn tensor_f64s(t: &TensorProto) -> Result<Vec<f64>> {
    let dims = dims(t);
    if dims.iter().any(|&d| d < 0) {
        return Err(tensor_error(&format!("has an unknown dimension in shape {dims:?}")));
    }
    let count = dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d as u64));
    let dtype = DataType::try_from(t.dtype).map_err(|_| tensor_error(&format!("has unknown dtype {}", t.dtype)))?;
    let (width, typed): (usize, Vec<f64>) = match dtype {
        DataType::DtFloat => (4, t.float_val.iter().map(|&v| v as f64).collect()),
        DataType::DtDouble => (8, t.double_val.clone()),
        DataType::DtInt32 => (4, t.int_val.iter().map(|&v| v as f64).collect()),
        DataType::DtInt16 => (2, t.int_val.iter().map(|&v| v as f64).collect()),
        DataType::DtInt8 | DataType::DtUint8 => (1, t.int_val.iter().map(|&v| v as f64).collect()),
        DataType::DtInt64 => (8, t.int64_val.iter().map(|&v| v as f64).collect()),
        DataType::DtBool => (1, t.bool_val.iter().map(|&v| v as u8 as f64).collect()),
        DataType::DtString | DataType::DtInvalid => {
            return Err(tensor_error(&format!("has dtype {dtype:?}, not a number type")));
        }
    };
    let content = &t.tensor_content;
    if !content.is_empty() {
        if !content.len().is_multiple_of(width) || count != Some((content.len() / width) as u64) {
            return Err(tensor_error(&format!(
                "has {} bytes of content for shape {dims:?} of {dtype:?}",
                content.len()
            )));
        }
        return Ok(content.chunks_exact(width).map(|b| from_le(dtype, b)).collect());
    }
    let count = match count {
        Some(n) if n <= typed.len() as u64 || n <= MAX_REPEATED_ELEMENTS => n as usize,
        _ => return Err(tensor_error(&format!("has too many elements for shape {dims:?}"))),
    };
    if typed.len() > count {
        return Err(tensor_error(&format!("has {} values for shape {dims:?}", typed.len())));
    }
    let fill = typed.last().copied().unwrap_or(0.0);
    let mut vals = typed;
    vals.resize(count, fill);
    Ok(vals)
}

fn from_le(dtype: DataType, b: &[u8]) -> f64 {
    match dtype {
        DataType::DtFloat => f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64,
        DataType::DtDouble => f64::from_le_bytes(b.try_into().expect("8 bytes")),
        DataType::DtInt32 => i32::from_le_bytes(b.try_into().expect("4 bytes")) as f64,
        DataType::DtInt16 => i16::from_le_bytes(b.try_into().expect("2 bytes")) as f64,
        DataType::DtInt8 => b[0] as i8 as f64,
        DataType::DtUint8 => b[0] as f64,
        DataType::DtInt64 => i64::from_le_bytes(b.try_into().expect("8 bytes")) as f64,
        DataType::DtBool => (b[0] != 0) as u8 as f64,
        DataType::DtString | DataType::DtInvalid => unreachable!("rejected before decoding"),
    }
}

fn dims(t: &TensorProto) -> Vec<i64> {
    t.tensor_shape.as_ref().map(|s| s.dim.iter().map(|d| d.size).collect()).unwrap_or_default()
}

fn bad(value: &proto::summary::Value, what: &str) -> Error {
    Error::invalid("summary", format!("summary value {:?} {what}", value.tag))
}

fn tensor_error(what: &str) -> Error {
    Error::invalid("summary", format!("tensor {what}"))
}

/// The parts of TensorFlow's `RunMetadata` that hold graphs.
#[derive(Clone, PartialEq, prost::Message)]
struct RunMetadata {
    #[prost(message, repeated, tag = "3")]
    partition_graphs: Vec<GraphDef>,
    #[prost(message, repeated, tag = "4")]
    function_graphs: Vec<FunctionGraphs>,
}

/// One traced function's graphs in a `RunMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
struct FunctionGraphs {
    #[prost(message, repeated, tag = "1")]
    partition_graphs: Vec<GraphDef>,
    #[prost(message, optional, tag = "2")]
    pre_optimization_graph: Option<GraphDef>,
    #[prost(message, optional, tag = "3")]
    post_optimization_graph: Option<GraphDef>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::proto::{summary, HistogramProto, TensorShapeProto};

    fn tensor_value(t: TensorProto) -> summary::Value {
        summary::Value { tag: "t".into(), value: Some(Kind::Tensor(t)), ..Default::default() }
    }

    fn shape(dims: &[i64]) -> Option<TensorShapeProto> {
        Some(TensorShapeProto {
            dim: dims.iter().map(|&size| proto::tensor_shape_proto::Dim { size, name: String::new() }).collect(),
            unknown_rank: false,
        })
    }

    #[test]
    fn scalars_from_every_encoding() {
        let f = TensorProto {
            dtype: DataType::DtFloat as i32,
            tensor_content: 1.5f32.to_le_bytes().to_vec(),
            ..Default::default()
        };
        assert_eq!(value_as_f64(&tensor_value(f)).unwrap(), 1.5);
        let d = TensorProto { dtype: DataType::DtDouble as i32, double_val: vec![0.25], ..Default::default() };
        assert_eq!(value_as_f64(&tensor_value(d)).unwrap(), 0.25);
        let i = TensorProto { dtype: DataType::DtInt64 as i32, int64_val: vec![-3], ..Default::default() };
        assert_eq!(value_as_f64(&tensor_value(i)).unwrap(), -3.0);
        let i = TensorProto { dtype: DataType::DtInt32 as i32, int_val: vec![7], ..Default::default() };
        assert_eq!(value_as_f64(&tensor_value(i)).unwrap(), 7.0);
        let legacy = summary::Value { value: Some(Kind::SimpleValue(2.5)), ..Default::default() };
        assert_eq!(summary_data(&legacy, None).unwrap(), SummaryData::Scalar(2.5));
        let two = TensorProto {
            dtype: DataType::DtFloat as i32,
            float_val: vec![1.0, 2.0],
            tensor_shape: shape(&[2]),
            ..Default::default()
        };
        assert!(value_as_f64(&tensor_value(two)).is_err());
    }

    #[test]
    fn typed_values_repeat_the_last_to_fill_the_shape() {
        let t = TensorProto {
            dtype: DataType::DtFloat as i32,
            float_val: vec![1.0, 2.0],
            tensor_shape: shape(&[2, 2]),
            ..Default::default()
        };
        assert_eq!(tensor_f64s(&t).unwrap(), [1.0, 2.0, 2.0, 2.0]);
        let huge = TensorProto {
            dtype: DataType::DtFloat as i32,
            float_val: vec![1.0],
            tensor_shape: shape(&[1 << 40, 1 << 30]),
            ..Default::default()
        };
        assert!(tensor_f64s(&huge).is_err());
        let bad_content = TensorProto {
            dtype: DataType::DtDouble as i32,
            tensor_content: vec![0; 12],
            tensor_shape: shape(&[2]),
            ..Default::default()
        };
        assert!(tensor_f64s(&bad_content).is_err());
    }

    #[test]
    fn legacy_histogram_rows_follow_tensorboard() {
        let h = HistogramProto {
            min: -1.0,
            max: 5.0,
            num: 3.0,
            sum: 0.0,
            sum_squares: 0.0,
            bucket_limit: vec![0.0, 2.0, 1e300],
            bucket: vec![1.0, 0.0, 2.0],
        };
        let v = summary::Value { value: Some(Kind::Histo(h)), ..Default::default() };
        assert_eq!(histogram(&v).unwrap(), [[-1.0, 0.0, 1.0], [0.0, 2.0, 0.0], [2.0, 5.0, 2.0]]);
    }

    #[test]
    fn images_need_numeric_sizes() {
        let t = TensorProto {
            dtype: DataType::DtString as i32,
            string_val: vec![b"3".to_vec(), b"x".to_vec()],
            ..Default::default()
        };
        let e = images(&tensor_value(t)).unwrap_err().to_string();
        assert!(e.contains("height"), "{e}");
    }
}
