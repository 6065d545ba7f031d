//! Building `TensorProto`s, shapes and plugin metadata the way TensorFlow's summary writer
//! lays them out: numbers as raw little-endian bytes in `tensor_content`, strings in
//! `string_val`.

use super::proto::{tensor_shape_proto, DataClass, DataType, SummaryMetadata, TensorProto, TensorShapeProto};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::{Storage, Tensor};

/// A fully known shape.
pub fn shape(dims: &[i64]) -> TensorShapeProto {
    TensorShapeProto {
        dim: dims.iter().map(|&size| tensor_shape_proto::Dim { size, name: String::new() }).collect(),
        unknown_rank: false,
    }
}

/// A shape given as `usize` dims (tensor shapes are far below `i64::MAX`).
fn shape_of(dims: &[usize]) -> TensorShapeProto {
    shape(&dims.iter().map(|&d| i64::try_from(d).unwrap_or(i64::MAX)).collect::<Vec<_>>())
}

/// TensorFlow's `DataType` for an engine dtype.
pub fn data_type(dtype: DType) -> DataType {
    match dtype {
        DType::F32 => DataType::DtFloat,
        DType::F64 => DataType::DtDouble,
        DType::I32 => DataType::DtInt32,
        DType::I64 => DataType::DtInt64,
        DType::Bool => DataType::DtBool,
    }
}

/// A float32 scalar: `DT_FLOAT`, shape `[]`, 4 little-endian bytes in `tensor_content`.
pub fn scalar_f32(value: f32) -> TensorProto {
    TensorProto {
        dtype: DataType::DtFloat as i32,
        tensor_shape: Some(shape(&[])),
        tensor_content: value.to_le_bytes().to_vec(),
        ..Default::default()
    }
}

/// A string scalar: `DT_STRING`, shape `[]`, the UTF-8 bytes in `string_val`.
pub fn string_scalar(value: &str) -> TensorProto {
    TensorProto {
        dtype: DataType::DtString as i32,
        tensor_shape: Some(shape(&[])),
        string_val: vec![value.as_bytes().to_vec()],
        ..Default::default()
    }
}

/// A vector of byte strings: `DT_STRING`, shape `[n]`.
pub fn string_vector(items: Vec<Vec<u8>>) -> TensorProto {
    TensorProto {
        dtype: DataType::DtString as i32,
        tensor_shape: Some(shape_of(&[items.len()])),
        string_val: items,
        ..Default::default()
    }
}

/// A row-major float64 matrix: `DT_DOUBLE`, shape `[rows, cols]`, raw bytes in `tensor_content`.
pub fn f64_matrix(rows: usize, cols: usize, data: &[f64]) -> Result<TensorProto> {
    if rows.checked_mul(cols) != Some(data.len()) {
        return Err(Error::invalid(
            "f64_matrix",
            format!("a [{rows}, {cols}] matrix needs {rows}×{cols} values, got {}", data.len()),
        ));
    }
    Ok(TensorProto {
        dtype: DataType::DtDouble as i32,
        tensor_shape: Some(shape_of(&[rows, cols])),
        tensor_content: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    })
}

/// Summary metadata for `plugin` with empty plugin content, the given class and description.
pub fn metadata(plugin: &str, class: DataClass, description: &str) -> SummaryMetadata {
    SummaryMetadata {
        plugin_data: Some(super::proto::summary_metadata::PluginData {
            plugin_name: plugin.to_string(),
            content: Vec::new(),
        }),
        display_name: String::new(),
        summary_description: description.to_string(),
        data_class: class as i32,
    }
}

/// Any eager tensor as a `TensorProto`: its dtype, shape and raw little-endian values in
/// `tensor_content` (one byte per bool); fails for a symbolic tensor.
pub fn tensor_to_proto(t: &Tensor) -> Result<TensorProto> {
    t.expect_eager("tensor_to_proto")?;
    let content: Vec<u8> = match t.storage() {
        Storage::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Storage::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Storage::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Storage::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Storage::Bool(v) => v.iter().map(|&b| u8::from(b)).collect(),
    };
    Ok(TensorProto {
        dtype: data_type(t.dtype()) as i32,
        tensor_shape: Some(shape_of(t.shape())),
        tensor_content: content,
        ..Default::default()
    })
}
