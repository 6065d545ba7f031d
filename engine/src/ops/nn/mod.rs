//! Neural-network ops (TensorFlow's `tf.nn`): softmax, bias_add, convolutions, pooling and
//! the fused cross-entropy losses. Data layouts follow TensorFlow's defaults: NHWC images,
//! HWIO filters.

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::ops::array::RUN_TIME_DIM;
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

/// A sizes-attribute entry meaning "the batch of the incoming gradient".
const GRAD_BATCH: i64 = -1;

/// The shape a backward op's sizes attribute `name` describes (TensorFlow passes it as a tensor
/// input, e.g. `Conv2DBackpropInput`'s `input_sizes`): 4 entries, each a size, `-1` for the
/// batch of `grad` (the incoming gradient, only when `grad` is given and only at index 0), or
/// [`RUN_TIME_DIM`] for a size read from the optional `sizes` input (an int vector of 4, the
/// traced `tf.shape` of the forward input) when the graph runs.
pub(crate) fn sizes_spec(
    op: &str,
    attrs: &Attrs,
    name: &str,
    dtype: crate::DType,
    grad: Option<&crate::ops::Spec>,
    sizes: Option<&crate::ops::Spec>,
) -> Result<crate::ops::Spec> {
    let v = attrs.ints(op, name)?;
    if let Some(sizes) = sizes {
        crate::ops::array::expect_shape_vector(op, sizes, 4)?;
    }
    let valid = |k: usize, d: i64| {
        (0..=MAX_ATTR).contains(&d)
            || (k == 0 && d == GRAD_BATCH && grad.is_some())
            || (d == RUN_TIME_DIM && sizes.is_some())
    };
    if v.len() != 4 || v.iter().enumerate().any(|(k, &d)| !valid(k, d)) {
        let extra = match (grad.is_some(), sizes.is_some()) {
            (true, true) => " (the batch may be -1, sizes read from the sizes input -2)",
            (true, false) => " (the batch may be -1)",
            (false, true) => " (sizes read from the sizes input -2)",
            (false, false) => "",
        };
        return Err(Error::invalid(op, format!("{name} must be 4 sizes in [0, {MAX_ATTR}]{extra}, got {v:?}")));
    }
    let dims = v
        .iter()
        .map(|&d| match d {
            GRAD_BATCH => grad.and_then(|g| g.dims.first().copied().flatten()),
            RUN_TIME_DIM => None,
            d => Some(d as usize),
        })
        .collect();
    Ok(crate::ops::Spec { dtype, dims })
}

/// The concrete shape of a backward op's output when it runs: `inferred` (its shape rule for
/// the concrete inputs) with the sizes left unknown read from the `sizes` input, which must
/// agree with every size known already.
pub(crate) fn run_time_sizes(
    op: &str,
    inferred: &crate::ops::Spec,
    sizes: Option<&crate::Tensor>,
) -> Result<crate::ops::Spec> {
    let Some(sizes) = sizes else { return Ok(inferred.clone()) };
    let known: Vec<i64> = inferred.dims.iter().map(|d| d.map_or(RUN_TIME_DIM, |d| d as i64)).collect();
    let dims = crate::ops::array::dynamic_sizes(op, sizes, &known)?;
    crate::shape::check_allocation(op, inferred.dtype, &dims)?;
    Ok(crate::ops::Spec::new(inferred.dtype, &dims))
}

/// The sizes attribute (and, for sizes known only at run time, the `tf.shape(x)` input) that
/// describe `x` to a backward op. With `batch_from_grad`, an unknown batch alone is taken from
/// the incoming gradient, which needs no extra node.
pub(crate) fn sizes_of(x: &crate::Tensor, batch_from_grad: bool) -> Result<(Attr, Option<crate::Tensor>)> {
    let dims = x.dims();
    let batch_only = batch_from_grad && dims.iter().skip(1).all(Option::is_some);
    let unknown = if batch_only { GRAD_BATCH } else { RUN_TIME_DIM };
    let attr = Attr::Ints(dims.iter().map(|d| d.map_or(unknown, |d| d as i64)).collect());
    let input = (dims.contains(&None) && !batch_only).then(|| crate::ops::array::shape(x)).transpose()?;
    Ok((attr, input))
}
