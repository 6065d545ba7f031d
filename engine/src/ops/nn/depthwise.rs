//! `tf.nn.depthwise_conv2d`: each input channel convolved with its own `channel_multiplier`
//! filters, expressed as a `conv2d` with a block-diagonal filter. The filter expansion is made
//! of differentiable ops, so gradients with respect to the input and the filter (of any order)
//! come from `conv2d`'s, and the work runs in (and is cancelled like) `conv2d`'s kernel. It
//! costs `in_channels` times a dedicated depthwise kernel's multiply-adds.

use super::{conv2d, Padding};
use crate::error::{Error, Result};
use crate::ops::{array, math};
use crate::tensor::Tensor;

/// Depthwise 2-D convolution of an NHWC `input` with a `[kh, kw, in_channels,
/// channel_multiplier]` `filter`: output channel `c * channel_multiplier + m` is input channel
/// `c` convolved with `filter[:, :, c, m]`. `strides` and `dilations` take 1, 2 or 4 (NHWC)
/// entries; empty `dilations` means 1.
pub fn depthwise_conv2d(
    input: &Tensor,
    filter: &Tensor,
    strides: &[usize],
    padding: impl Into<Padding>,
    dilations: &[usize],
) -> Result<Tensor> {
    const OP: &str = "depthwise_conv2d";
    let (xs, fs) = (input.shape(), filter.shape());
    if xs.len() != 4 {
        return Err(Error::invalid(
            OP,
            format!("input must be a rank-4 NHWC [batch, height, width, channels] tensor, got {}{xs:?}", input.dtype()),
        ));
    }
    if fs.len() != 4 {
        return Err(Error::invalid(
            OP,
            format!(
                "filter must be a rank-4 [height, width, in_channels, channel_multiplier] tensor, got {}{fs:?}",
                filter.dtype()
            ),
        ));
    }
    if xs[3] != fs[2] {
        return Err(Error::invalid(
            OP,
            format!(
                "input depth {} does not match filter in_channels {}: input shape {xs:?}, filter shape {fs:?}",
                xs[3], fs[2]
            ),
        ));
    }
    if input.dtype() != filter.dtype() || !input.dtype().is_float() {
        return Err(Error::invalid(
            OP,
            format!(
                "input and filter must be float tensors of one dtype, got {}{xs:?} and {}{fs:?}",
                input.dtype(),
                filter.dtype()
            ),
        ));
    }
    let (kh, kw, c, m) = (fs[0] as i64, fs[1] as i64, fs[2], fs[3] as i64);
    // full[ky, kx, i, o * m + j] = filter[ky, kx, i, j] if i == o else 0.
    let eye = array::eye(c, None, filter.dtype())?;
    let mask = array::reshape(&eye, &[1, 1, c as i64, c as i64, 1])?;
    let spread = math::mul(&array::reshape(filter, &[kh, kw, c as i64, 1, m])?, &mask)?;
    let full = array::reshape(&spread, &[kh, kw, c as i64, c as i64 * m])?;
    conv2d(input, &full, strides, padding, dilations)
}
