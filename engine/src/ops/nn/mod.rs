//! Neural-network ops (TensorFlow's `tf.nn`): softmax, bias_add, convolutions, pooling and
//! the fused cross-entropy losses. Data layouts follow TensorFlow's defaults: NHWC images,
//! HWIO filters.

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::ops::OpDef;
use crate::shape::Dim;

mod conv;
mod depthwise;
mod losses;
mod pool;
mod softmax;

pub use conv::{
    conv1d, conv2d, conv2d_backprop_filter, conv2d_backprop_input, CONV2D, CONV2D_BACKPROP_FILTER,
    CONV2D_BACKPROP_INPUT,
};
pub use depthwise::depthwise_conv2d;
pub use losses::{
    sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits, sparse_softmax_cross_entropy_with_logits,
    SIGMOID_CROSS_ENTROPY_WITH_LOGITS, SOFTMAX_CROSS_ENTROPY_WITH_LOGITS, SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS,
};
pub use pool::{
    avg_pool2d, avg_pool2d_grad, max_pool2d, max_pool2d_grad, max_pool2d_grad_grad, AVG_POOL2D, AVG_POOL2D_GRAD,
    MAX_POOL2D, MAX_POOL2D_GRAD, MAX_POOL2D_GRAD_GRAD,
};
pub use softmax::{bias_add, log_softmax, softmax, BIAS_ADD, LOG_SOFTMAX, SOFTMAX};

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[
    &SOFTMAX,
    &LOG_SOFTMAX,
    &BIAS_ADD,
    &CONV2D,
    &CONV2D_BACKPROP_INPUT,
    &CONV2D_BACKPROP_FILTER,
    &MAX_POOL2D,
    &MAX_POOL2D_GRAD,
    &MAX_POOL2D_GRAD_GRAD,
    &AVG_POOL2D,
    &AVG_POOL2D_GRAD,
    &SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS,
    &SOFTMAX_CROSS_ENTROPY_WITH_LOGITS,
    &SIGMOID_CROSS_ENTROPY_WITH_LOGITS,
];

/// Padding of a convolution or pooling window, as TensorFlow's `padding` argument.
///
/// `"SAME"` and `"VALID"` convert from strings (checked by the op, so a misspelling is an
/// error naming it); explicit padding is one `[before, after]` pair per spatial dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Padding {
    /// A padding name: `"SAME"` or `"VALID"`.
    Name(String),
    /// Explicit `[before, after]` zero padding for each spatial dimension.
    Explicit(Vec<[usize; 2]>),
}

impl From<&str> for Padding {
    fn from(s: &str) -> Padding {
        Padding::Name(s.to_string())
    }
}

impl From<String> for Padding {
    fn from(s: String) -> Padding {
        Padding::Name(s)
    }
}

impl From<Vec<[usize; 2]>> for Padding {
    fn from(v: Vec<[usize; 2]>) -> Padding {
        Padding::Explicit(v)
    }
}

impl<const N: usize> From<[[usize; 2]; N]> for Padding {
    fn from(v: [[usize; 2]; N]) -> Padding {
        Padding::Explicit(v.to_vec())
    }
}

impl Padding {
    /// Adds this padding to `attrs` as TensorFlow's `padding` / `explicit_paddings` attributes.
    fn add_to(&self, attrs: Attrs) -> Attrs {
        match self {
            Padding::Name(s) => attrs.with("padding", Attr::Str(s.clone())),
            Padding::Explicit(pairs) => {
                let flat = pairs.iter().flat_map(|p| [p[0] as i64, p[1] as i64]).collect();
                attrs.with("padding", Attr::Str("EXPLICIT".into())).with("explicit_paddings", Attr::Ints(flat))
            }
        }
    }
}

/// A parsed padding attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pad {
    Same,
    Valid,
    /// `[before, after]` for height and width.
    Explicit([[usize; 2]; 2]),
}

/// Window parameters shared by convolutions and pooling, parsed from attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    strides: [usize; 2],
    dilations: [usize; 2],
    pad: Pad,
}

/// Attribute names that describe a window (copied onto the backprop ops a gradient calls).
const WINDOW_ATTRS: &[&str] = &["ksize", "strides", "padding", "explicit_paddings", "dilations"];

/// The window attributes of `attrs`, plus `extra`.
fn window_attrs(attrs: &Attrs, extra: Option<(&'static str, Attr)>) -> Attrs {
    let mut out = Attrs::new();
    for (name, v) in attrs.0.iter() {
        if WINDOW_ATTRS.contains(name) {
            out = out.with(name, v.clone());
        }
    }
    if let Some((name, v)) = extra {
        out = out.with(name, v);
    }
    out
}

/// Builds window attributes from the public arguments.
fn make_window_attrs(
    ksize: Option<&[usize]>,
    strides: &[usize],
    padding: &Padding,
    dilations: Option<&[usize]>,
) -> Attrs {
    let ints = |v: &[usize]| Attr::Ints(v.iter().map(|&d| d as i64).collect());
    let mut a = Attrs::new();
    if let Some(k) = ksize {
        a = a.with("ksize", ints(k));
    }
    a = a.with("strides", ints(strides));
    a = padding.add_to(a);
    if let Some(d) = dilations {
        a = a.with("dilations", ints(d));
    }
    a
}

/// Largest stride, dilation, window or padding accepted (TensorFlow's attributes are int32);
/// keeps all index arithmetic far from overflow.
const MAX_ATTR: i64 = i32::MAX as i64;

/// Reads a per-spatial-dimension list (1, 2 or 4 entries, TensorFlow's forms; 4 means NHWC
/// with batch and channel entries equal to 1) as `[height, width]`. Absent → `default`.
fn spatial_pair(op: &str, attrs: &Attrs, name: &str, default: Option<usize>) -> Result<[usize; 2]> {
    let v = match (attrs.opt_ints(name), default) {
        (Some(v), _) => v,
        (None, Some(d)) => return Ok([d, d]),
        (None, None) => return Err(Error::invalid(op, format!("attribute `{name}` is required"))),
    };
    let pair = match v {
        [a] => [*a, *a],
        [h, w] => [*h, *w],
        [n, h, w, c] => {
            if *n != 1 || *c != 1 {
                return Err(Error::invalid(
                    op,
                    format!("{name} {v:?} is not supported in the batch and depth dimensions (must be 1)"),
                ));
            }
            [*h, *w]
        }
        _ => {
            return Err(Error::invalid(
                op,
                format!("{name} must have 1, 2 or 4 entries (for NHWC), got {} ({v:?})", v.len()),
            ))
        }
    };
    if pair.iter().any(|s| !(1..=MAX_ATTR).contains(s)) {
        return Err(Error::invalid(op, format!("{name} must be positive (and at most {MAX_ATTR}), got {v:?}")));
    }
    Ok([pair[0] as usize, pair[1] as usize])
}

/// Parses `padding` (and `explicit_paddings` when it is `"EXPLICIT"`).
fn parse_pad(op: &str, attrs: &Attrs) -> Result<Pad> {
    let name = attrs.str(op, "padding")?;
    match name.to_ascii_uppercase().as_str() {
        "SAME" => Ok(Pad::Same),
        "VALID" => Ok(Pad::Valid),
        "EXPLICIT" => {
            let v = attrs.opt_ints("explicit_paddings").unwrap_or(&[]);
            let spatial = match v {
                [t, b, l, r] => [*t, *b, *l, *r],
                [n0, n1, t, b, l, r, c0, c1] => {
                    if [n0, n1, c0, c1].iter().any(|&&p| p != 0) {
                        return Err(Error::invalid(
                            op,
                            format!("explicit padding {v:?} must be 0 in the batch and depth dimensions"),
                        ));
                    }
                    [*t, *b, *l, *r]
                }
                _ => {
                    return Err(Error::invalid(
                        op,
                        format!(
                            "explicit padding needs one [before, after] pair per spatial dimension \
                             (2 pairs, or 4 for NHWC), got {v:?}"
                        ),
                    ))
                }
            };
            if spatial.iter().any(|&p| !(0..=MAX_ATTR).contains(&p)) {
                return Err(Error::invalid(
                    op,
                    format!("explicit padding must be non-negative (and at most {MAX_ATTR}), got {v:?}"),
                ));
            }
            let u = spatial.map(|p| p as usize);
            Ok(Pad::Explicit([[u[0], u[1]], [u[2], u[3]]]))
        }
        _ => Err(Error::invalid(
            op,
            format!("padding must be \"SAME\", \"VALID\" or explicit [before, after] pairs, got \"{name}\""),
        )),
    }
}

/// Parses the window attributes of `op` (dilations only when `dilated`).
fn parse_window(op: &str, attrs: &Attrs, dilated: bool) -> Result<Window> {
    let strides = spatial_pair(op, attrs, "strides", None)?;
    let dilations = if dilated { spatial_pair(op, attrs, "dilations", Some(1))? } else { [1, 1] };
    Ok(Window { strides, dilations, pad: parse_pad(op, attrs)? })
}

/// Output size and padding-before of one spatial dimension, with TensorFlow's arithmetic:
/// SAME gives `ceil(in / stride)` outputs and pads `total / 2` before (the rest after);
/// VALID and explicit give `(padded - window + stride) / stride`, an error when negative.
/// `None` when the input size is unknown.
fn window_dim(
    op: &str,
    what: &str,
    pad: Pad,
    axis: usize,
    input: Dim,
    k_eff: usize,
    stride: usize,
) -> Result<Option<(usize, usize)>> {
    let Some(input) = input else { return Ok(None) };
    let windowed = |padded: usize, before: usize| -> Result<(usize, usize)> {
        // Signed arithmetic with truncating division, exactly as TensorFlow computes it.
        let out = (padded as i128 - k_eff as i128 + stride as i128) / stride as i128;
        if out < 0 {
            return Err(Error::invalid(
                op,
                format!(
                    "computed output {what} would be negative ({out}): input {what} {input} (padded to {padded}), \
                     effective window {what} {k_eff}, stride {stride}"
                ),
            ));
        }
        Ok((out as usize, before))
    };
    Ok(Some(match pad {
        Pad::Same => {
            let out = input.div_ceil(stride);
            let total = (out.saturating_sub(1) * stride).saturating_add(k_eff).saturating_sub(input);
            (out, if out == 0 { 0 } else { total / 2 })
        }
        Pad::Valid => windowed(input, 0)?,
        Pad::Explicit(p) => {
            let [before, after] = p[axis];
            windowed(input.saturating_add(before).saturating_add(after), before)?
        }
    }))
}

/// The NHWC input shape of a backward op from its attribute `name`: 4 sizes, of which the batch
/// may be `-1`, meaning the batch of `grad` (the incoming gradient), known at run time.
pub(crate) fn batch_sizes_spec(
    op: &str,
    attrs: &Attrs,
    name: &str,
    grad: &crate::ops::Spec,
) -> Result<crate::ops::Spec> {
    let v = attrs.ints(op, name)?;
    let batch_ok = |k: usize, d: i64| (0..=MAX_ATTR).contains(&d) || (k == 0 && d == -1);
    if v.len() != 4 || v.iter().enumerate().any(|(k, &d)| !batch_ok(k, d)) {
        return Err(Error::invalid(
            op,
            format!("{name} must be 4 sizes in [0, {MAX_ATTR}] (the batch may be -1), got {v:?}"),
        ));
    }
    let dims = v
        .iter()
        .enumerate()
        .map(|(k, &d)| if d == -1 { grad.dims.get(k).copied().flatten() } else { Some(d as usize) })
        .collect();
    Ok(crate::ops::Spec { dtype: grad.dtype, dims })
}

/// The `input_sizes` attribute for the gradient of a windowed op with NHWC input `x`: a batch
/// known only at run time becomes `-1`; the other dimensions must be known while tracing.
pub(crate) fn input_sizes_attr(op: &str, x: &crate::Tensor) -> Result<Attr> {
    let dims = x.dims();
    if dims.iter().skip(1).any(Option::is_none) {
        return Err(crate::ops::shape_like::unknown_dims_error(op, x));
    }
    Ok(Attr::Ints(dims.iter().map(|d| d.map_or(-1, |d| d as i64)).collect()))
}
