//! Image summaries: a `[k, h, w, c]` tensor turned into PNG files the way TensorBoard's
//! `tf.summary.image` (2.21) does it.
//!
//! TensorBoard converts the data with `tf.image.convert_image_dtype(data, tf.uint8,
//! saturate=True)`: floats are multiplied by 255.5 in their own precision, clipped to
//! `[0, 255]` and truncated (NaN gives 0); int32 and int64 are floor-divided by `2^23` and `2^55`
//! (their range scaled down onto uint8) and clipped. Only the first `max_outputs` images are
//! encoded, but the width and height come from the whole tensor. The summary tensor is
//! `DT_STRING` of shape `[2 + n]`: width and height as decimal strings, then the n PNG files.

use super::proto::{DataClass, SummaryMetadata, TensorProto};
use super::tensor_proto;
use crate::error::{Error, Result};
use crate::tensor::{Storage, Tensor};

/// The plugin that shows images.
pub const PLUGIN_NAME: &str = "images";

/// Width, height and the PNG files of at most `max_outputs` images of `data` (`[k, h, w, c]`,
/// c in 1..=4: grayscale, grayscale+alpha, RGB, RGBA), converted to 8 bits as TensorFlow does.
pub fn encode_images(data: &Tensor, max_outputs: usize) -> Result<(u32, u32, Vec<Vec<u8>>)> {
    data.expect_eager("image")?;
    let [k, h, w, c] = image_shape(data.shape())?;
    let n = k.min(max_outputs);
    let pixels = to_uint8(data.storage(), n * h * w * c)?;
    encode_uint8_images(&pixels, [n, h, w, c], n)
}

/// Width, height and the PNG files of at most `max_outputs` images of 8-bit `pixels`, laid out
/// row-major as `shape` `[k, h, w, c]`.
pub fn encode_uint8_images(pixels: &[u8], shape: [usize; 4], max_outputs: usize) -> Result<(u32, u32, Vec<Vec<u8>>)> {
    let [k, h, w, c] = image_shape(&shape)?;
    let per_image = h * w * c;
    let n = k.min(max_outputs);
    if pixels.len() < n * per_image {
        return Err(Error::invalid(
            "image",
            format!("{} pixel values cannot fill {n} images of shape [{h}, {w}, {c}]", pixels.len()),
        ));
    }
    if n > 0 && (h == 0 || w == 0) {
        return Err(Error::invalid(
            "image",
            format!("cannot encode an image with no pixels (shape [{k}, {h}, {w}, {c}])"),
        ));
    }
    let (width, height) = (dim_u32(w)?, dim_u32(h)?);
    let pngs =
        pixels.chunks(per_image.max(1)).take(n).map(|img| png_file(img, width, height, c)).collect::<Result<_>>()?;
    Ok((width, height, pngs))
}

/// Checks the rank, channel count and size of an image batch shape.
fn image_shape(shape: &[usize]) -> Result<[usize; 4]> {
    let describe = || format!("[{}]", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
    let Ok([k, h, w, c]) = <[usize; 4]>::try_from(shape) else {
        return Err(Error::invalid(
            "image",
            format!(
                "expected a rank-4 tensor [k, height, width, channels], got rank {} (shape {})",
                shape.len(),
                describe()
            ),
        ));
    };
    if !(1..=4).contains(&c) {
        return Err(Error::invalid(
            "image",
            format!("images must have 1, 2, 3 or 4 channels, got {c} (shape {})", describe()),
        ));
    }
    if [k, h, w, c].iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).is_none() {
        return Err(Error::invalid("image", format!("shape {} has too many elements", describe())));
    }
    Ok([k, h, w, c])
}

/// PNG's limit on a width or height.
fn dim_u32(d: usize) -> Result<u32> {
    u32::try_from(d)
        .ok()
        .filter(|&v| v <= i32::MAX as u32)
        .ok_or_else(|| Error::invalid("image", format!("a PNG image side is at most {} pixels, got {d}", i32::MAX)))
}

/// The first `len` elements as TensorFlow's `convert_image_dtype(x, tf.uint8, saturate=True)`.
fn to_uint8(storage: &Storage, len: usize) -> Result<Vec<u8>> {
    // `as u8` truncates toward zero, saturates at 0 and 255 and maps NaN to 0: exactly a clip
    // to [0, 255] followed by TensorFlow's truncating cast.
    Ok(match storage {
        Storage::F32(v) => v.iter().take(len).map(|&x| (x * 255.5f32) as u8).collect(),
        Storage::F64(v) => v.iter().take(len).map(|&x| (x * 255.5f64) as u8).collect(),
        Storage::I32(v) => v.iter().take(len).map(|&x| x.div_euclid(1 << 23).clamp(0, 255) as u8).collect(),
        Storage::I64(v) => v.iter().take(len).map(|&x| x.div_euclid(1 << 55).clamp(0, 255) as u8).collect(),
        Storage::Bool(_) => {
            return Err(Error::invalid("image", "image data must be a float or integer tensor, got bool"));
        }
    })
}

/// One PNG file (8 bits per channel).
fn png_file(pixels: &[u8], width: u32, height: u32, channels: usize) -> Result<Vec<u8>> {
    let color = match channels {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    };
    let failed = |e: png::EncodingError| Error::invalid("image", format!("PNG encoding failed: {e}"));
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(pixels).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// The summary tensor of encoded images: `DT_STRING` `[2 + n]` of width, height, PNG files.
pub fn image_tensor(width: u32, height: u32, pngs: Vec<Vec<u8>>) -> TensorProto {
    let mut items = Vec::with_capacity(pngs.len() + 2);
    items.push(width.to_string().into_bytes());
    items.push(height.to_string().into_bytes());
    items.extend(pngs);
    tensor_proto::string_vector(items)
}

/// Metadata of an image summary: plugin `images`, class BLOB_SEQUENCE.
pub fn image_metadata(description: &str) -> SummaryMetadata {
    tensor_proto::metadata(PLUGIN_NAME, DataClass::BlobSequence, description)
}

/// The image summary tensor of `data` (see [`encode_images`]).
pub fn encode_image_summary(data: &Tensor, max_outputs: usize) -> Result<TensorProto> {
    let (width, height, pngs) = encode_images(data, max_outputs)?;
    Ok(image_tensor(width, height, pngs))
}
