//! Histogram summaries: the `[k, 3]` float64 tensor of `[left_edge, right_edge, count]` rows
//! that TensorBoard's `tf.summary.histogram` (2.21) computes, bucket for bucket.
//!
//! TensorBoard's algorithm (`_buckets` in its histogram plugin), reproduced with the same
//! float64 operations so edges and counts are bitwise identical:
//! - no buckets: no rows; no data: `buckets` all-zero rows;
//! - all values equal: every edge is the value and the last bucket holds the count;
//! - otherwise `width = (max - min) / k`, a value goes to bucket
//!   `min(floor((v - min) / width), k - 1)` (so the last bucket is closed), and the edges are
//!   `tf.linspace(min, max, k + 1)` (`min + i * width`) with the last edge set to `max`.
//!
//! Non-finite data follows TensorFlow too: a NaN makes `min` and `max` NaN (every edge NaN,
//! every count 0), and a value whose bucket index is NaN (infinities) is not counted, because
//! TensorFlow's float-to-int32 cast turns NaN into a negative index that `one_hot` drops.

use super::proto::{DataClass, SummaryMetadata, TensorProto};
use super::tensor_proto;
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

/// TensorBoard's default bucket count.
pub const DEFAULT_BUCKETS: usize = 30;

/// The plugin that draws histograms.
pub const PLUGIN_NAME: &str = "histograms";

/// The `[left_edge, right_edge, count]` rows `tf.summary.histogram` computes for `values`.
pub fn histogram_buckets(values: &[f64], buckets: usize) -> Vec<[f64; 3]> {
    if buckets == 0 {
        return Vec::new();
    }
    let Some((min, max)) = min_max(values) else {
        return vec![[0.0; 3]; buckets];
    };
    let range = max - min;
    if range == 0.0 {
        let mut rows = vec![[max, max, 0.0]; buckets];
        rows[buckets - 1][2] = values.len() as f64;
        return rows;
    }
    let k = buckets as f64;
    let width = range / k;
    let mut counts = vec![0.0f64; buckets];
    for &v in values {
        let index = ((v - min) / width).floor();
        // TensorFlow casts the index to int32: NaN and out-of-range values become i32::MIN,
        // which no bucket matches.
        if (0.0..2_147_483_648.0).contains(&index) {
            counts[(index as usize).min(buckets - 1)] += 1.0;
        }
    }
    // `tf.linspace(min, max, k + 1)`: the first edge is `min`, the inner ones `min + width * i`,
    // and TensorBoard replaces the last one by `max`.
    let edge = |i: usize| match i {
        0 => min,
        i if i == buckets => max,
        i => min + width * i as f64,
    };
    (0..buckets).map(|i| [edge(i), edge(i + 1), counts[i]]).collect()
}

/// `min` and `max` as `tf.reduce_min`/`tf.reduce_max` give them: NaN if any value is NaN, and
/// of two equal values (`0.0`, `-0.0`) the later one; `None` for no values.
fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    let (&first, rest) = values.split_first()?;
    if let Some(&nan) = values.iter().find(|v| v.is_nan()) {
        return Some((nan, nan));
    }
    let (mut min, mut max) = (first, first);
    for &v in rest {
        if v <= min {
            min = v;
        }
        if v >= max {
            max = v;
        }
    }
    Some((min, max))
}

/// The summary tensor of histogram rows: `DT_DOUBLE`, shape `[k, 3]`.
pub fn histogram_tensor(rows: &[[f64; 3]]) -> TensorProto {
    let data: Vec<f64> = rows.iter().flatten().copied().collect();
    TensorProto {
        dtype: super::proto::DataType::DtDouble as i32,
        tensor_shape: Some(tensor_proto::shape(&[rows.len() as i64, 3])),
        tensor_content: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

/// Metadata of a histogram summary: plugin `histograms`, class TENSOR.
pub fn histogram_metadata(description: &str) -> SummaryMetadata {
    tensor_proto::metadata(PLUGIN_NAME, DataClass::Tensor, description)
}

/// The histogram summary tensor of any eager tensor (cast to float64, flattened, as
/// TensorFlow does); fails for a symbolic tensor or a bucket count too large to allocate.
pub fn encode_histogram(data: &Tensor, buckets: usize) -> Result<TensorProto> {
    data.expect_eager("histogram")?;
    crate::shape::check_allocation("histogram", DType::F64, &[buckets, 3])?;
    Ok(histogram_tensor(&histogram_buckets(&data.to_f64_vec(), buckets)))
}
