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
    let (xd, fd) = (input.dims(), filter.dims());
    let (xs, fs) = (crate::shape::fmt_dims(&xd), crate::shape::fmt_dims(&fd));
    if xd.len() != 4 {
        return Err(Error::invalid(
            OP,
            format!("input must be a rank-4 NHWC [batch, height, width, channels] tensor, got {}{xs}", input.dtype()),
        ));
    }
    if fd.len() != 4 {
        return Err(Error::invalid(
            OP,
            format!(
                "filter must be a rank-4 [height, width, in_channels, channel_multiplier] tensor, got {}{fs}",
                filter.dtype()
            ),
        ));
    }
    // The block-diagonal expansion is sized by the filter, so a traced filter needs its shape.
    let Some(f) = fd.iter().copied().collect::<Option<Vec<usize>>>() else {
        return Err(Error::invalid(
            OP,
            format!(
                "the filter's shape {fs} must be known while tracing (give its argument a full shape in \
                 input_signature); the input's dimensions may be unknown"
            ),
        ));
    };
    if let Some(c) = xd[3].filter(|&c| c != f[2]) {
        return Err(Error::invalid(
            OP,
            format!("input depth {c} does not match filter in_channels {}: input shape {xs}, filter shape {fs}", f[2]),
        ));
    }
    if input.dtype() != filter.dtype() || !input.dtype().is_float() {
        return Err(Error::invalid(
            OP,
            format!(
                "input and filter must be float tensors of one dtype, got {}{xs} and {}{fs}",
                input.dtype(),
                filter.dtype()
            ),
        ));
    }
    let (kh, kw, c, m) = (f[0] as i64, f[1] as i64, f[2], f[3] as i64);
    // full[ky, kx, i, o * m + j] = filter[ky, kx, i, j] if i == o else 0.
    let eye = array::eye(c, None, filter.dtype())?;
    let mask = array::reshape(&eye, &[1, 1, c as i64, c as i64, 1])?;
    let spread = math::mul(&array::reshape(filter, &[kh, kw, c as i64, 1, m])?, &mask)?;
    let full = array::reshape(&spread, &[kh, kw, c as i64, c as i64 * m])?;
    conv2d(input, &full, strides, padding, dilations)
}
