//! Neural-network ops (`tf.nn`): activations, softmax, convolutions, pooling, the fused
//! cross-entropy losses, dropout and batch normalization.

use super::args::{dims, r, t, Params};
use super::Entry;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Value};
use crate::interp::Interp;
use tensile::ops::nn::{self as engine_nn, Padding};
use tensile::ops::{math, random_ops, reduce};
use tensile::Tensor;

type Out = PyResult<Value>;

macro_rules! activation {
    ($($fname:ident : $tf:literal => $op:path;)*) => {$(
        fn $fname(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
            let p = Params::bind($tf, &["features", "name"], a)?;
            Ok(t(r($op(&p.tensor("features")?))?))
        }
    )*};
}

activation! {
    relu: "relu" => math::relu;
    relu6: "relu6" => math::relu6;
    elu: "elu" => math::elu;
    selu: "selu" => math::selu;
}

fn leaky_relu(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("leaky_relu", &["features", "alpha", "name"], a)?;
    Ok(t(r(math::leaky_relu(&p.tensor("features")?, p.float("alpha", 0.2)?))?))
}

fn gelu(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("gelu", &["features", "approximate", "name"], a)?;
    Ok(t(r(math::gelu(&p.tensor("features")?, p.bool("approximate", false)?))?))
}

/// `tf.nn.silu(features, beta=1.0)`: `features * sigmoid(beta * features)`.
fn silu(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("silu", &["features", "beta", "name"], a)?;
    let x = p.tensor("features")?;
    let beta = p.float("beta", 1.0)?;
    if beta == 1.0 {
        return Ok(t(r(math::silu(&x))?));
    }
    let s = r(math::sigmoid(&r(math::mul(&x, &Tensor::scalar_of(x.dtype(), beta)))?))?;
    Ok(t(r(math::mul(&x, &s))?))
}

fn softmax_like(a: Args, func: &'static str, f: fn(&Tensor, i64) -> tensile::Result<Tensor>) -> Out {
    let p = Params::bind(func, &["logits", "axis", "name"], a)?;
    Ok(t(r(f(&p.tensor("logits")?, p.int("axis", -1)?))?))
}

fn softmax(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    softmax_like(a, "softmax", engine_nn::softmax)
}

fn log_softmax(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    softmax_like(a, "log_softmax", engine_nn::log_softmax)
}

fn bias_add(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("bias_add", &["value", "bias", "data_format", "name"], a)?;
    check_format("bias_add", &p, &["NHWC", "N...C"])?;
    let x = p.tensor("value")?;
    let b = p.tensor_as("bias", Some(x.dtype()))?;
    Ok(t(r(engine_nn::bias_add(&x, &b))?))
}

/// Rejects data formats other than the channels-last ones the kernels implement.
fn check_format(func: &str, p: &Params, allowed: &[&str]) -> PyResult<()> {
    match p.get("data_format") {
        None => Ok(()),
        Some(Value::Str(s)) if allowed.contains(&&*s) => Ok(()),
        Some(v) => Err(raise(
            "ValueError",
            format!("{func}: data_format {} is not supported; expected {}", crate::tf::repr(&v), allowed.join(" or ")),
        )),
    }
}

/// `padding` as `"SAME"`, `"VALID"` or explicit pairs (given per NHWC dimension or per spatial one).
fn padding(p: &Params) -> PyResult<Padding> {
    match p.req("padding")? {
        Value::Str(s) => Ok(Padding::Name(s.to_string())),
        v => {
            let flat = super::args::ints_of(&crate::interp::value::Value::Tensor(crate::tf::to_tensor(&v, None)?))?;
            let pairs: Vec<[usize; 2]> = flat
                .chunks(2)
                .map(|c| match c {
                    [a, b] if *a >= 0 && *b >= 0 => Ok([*a as usize, *b as usize]),
                    _ => Err(raise("ValueError", format!("padding pairs must be non-negative, got {flat:?}"))),
                })
                .collect::<PyResult<_>>()?;
            // Four NHWC pairs: batch and channel padding must be zero, keep the spatial ones.
            Ok(Padding::Explicit(if pairs.len() == 4 { pairs[1..3].to_vec() } else { pairs }))
        }
    }
}

fn usizes(func: &str, p: &Params, name: &str) -> PyResult<Vec<usize>> {
    match p.ints(name)? {
        Some(v) => dims(func, &v),
        None => Ok(Vec::new()),
    }
}

fn conv2d(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("conv2d", &["input", "filters", "strides", "padding", "data_format", "dilations", "name"], a)?;
    check_format("conv2d", &p, &["NHWC"])?;
    let x = p.tensor("input")?;
    let w = p.tensor_as("filters", Some(x.dtype()))?;
    let strides = usizes("conv2d", &p, "strides")?;
    Ok(t(r(engine_nn::conv2d(&x, &w, &strides, padding(&p)?, &usizes("conv2d", &p, "dilations")?))?))
}

/// `tf.nn.depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None)`.
fn depthwise_conv2d(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    const F: &str = "depthwise_conv2d";
    let p = Params::bind(F, &["input", "filter", "strides", "padding", "data_format", "dilations", "name"], a)?;
    check_format(F, &p, &["NHWC"])?;
    let x = p.tensor("input")?;
    let w = p.tensor_as("filter", Some(x.dtype()))?;
    let strides = usizes(F, &p, "strides")?;
    Ok(t(r(engine_nn::depthwise_conv2d(&x, &w, &strides, padding(&p)?, &usizes(F, &p, "dilations")?))?))
}

fn conv1d(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("conv1d", &["input", "filters", "stride", "padding", "data_format", "dilations", "name"], a)?;
    check_format("conv1d", &p, &["NWC"])?;
    let x = p.tensor("input")?;
    let w = p.tensor_as("filters", Some(x.dtype()))?;
    let one = |name: &str| -> PyResult<usize> {
        let v = usizes("conv1d", &p, name)?;
        Ok(match v.as_slice() {
            [] => 1,
            [s] => *s,
            [_, s, _] => *s,
            _ => return Err(raise("ValueError", format!("conv1d: {name} must be an int or a list of 1 or 3 ints"))),
        })
    };
    Ok(t(r(engine_nn::conv1d(&x, &w, one("stride")?, padding(&p)?, one("dilations")?))?))
}

/// `tf.nn.conv2d_transpose(input, filters, output_shape, strides, padding='SAME', ...)`: the
/// gradient of `conv2d` with respect to its input.
fn conv2d_transpose(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind(
        "conv2d_transpose",
        &["input", "filters", "output_shape", "strides", "padding", "data_format", "dilations", "name"],
        a,
    )?;
    check_format("conv2d_transpose", &p, &["NHWC"])?;
    let x = p.tensor("input")?;
    let w = p.tensor_as("filters", Some(x.dtype()))?;
    let out_shape = dims("conv2d_transpose", &p.req_ints("output_shape")?)?;
    let strides = usizes("conv2d_transpose", &p, "strides")?;
    let pad = if p.get("padding").is_some() { padding(&p)? } else { Padding::Name("SAME".into()) };
    let dil = usizes("conv2d_transpose", &p, "dilations")?;
    Ok(t(r(engine_nn::conv2d_backprop_input(&out_shape, &w, &x, &strides, pad, &dil))?))
}

type PoolFn = fn(&Tensor, &[usize], &[usize], Padding) -> tensile::Result<Tensor>;

fn pool(a: Args, func: &'static str, f: PoolFn) -> Out {
    let p = Params::bind(func, &["input", "ksize", "strides", "padding", "data_format", "name"], a)?;
    check_format(func, &p, &["NHWC"])?;
    let x = p.tensor("input")?;
    let ksize = usizes(func, &p, "ksize")?;
    let strides = usizes(func, &p, "strides")?;
    Ok(t(r(f(&x, &ksize, &strides, padding(&p)?))?))
}

fn max_pool2d(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    pool(a, "max_pool2d", engine_nn::max_pool2d)
}

fn avg_pool2d(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    pool(a, "avg_pool2d", engine_nn::avg_pool2d)
}

/// `tf.nn.max_pool` / `tf.nn.avg_pool`: the N-D forms, bound for 4-D (NHWC) inputs.
fn pool_nd(a: Args, func: &'static str, f: PoolFn) -> Out {
    if let Some(Value::Tensor(x)) = a.pos.first() {
        if x.rank() != 4 {
            return Err(raise(
                "ValueError",
                format!(
                    "{func}: only 4-D NHWC inputs are supported, got shape {}",
                    tensile::shape::fmt_dims(&x.dims())
                ),
            ));
        }
    }
    pool(a, func, f)
}

fn max_pool(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    pool_nd(a, "max_pool", engine_nn::max_pool2d)
}

fn avg_pool(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    pool_nd(a, "avg_pool", engine_nn::avg_pool2d)
}

fn sparse_softmax_cross_entropy_with_logits(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("sparse_softmax_cross_entropy_with_logits", &["labels", "logits", "name"], a)?;
    let out = engine_nn::sparse_softmax_cross_entropy_with_logits(&p.tensor("labels")?, &p.tensor("logits")?);
    Ok(t(r(out)?))
}

fn softmax_cross_entropy_with_logits(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("softmax_cross_entropy_with_logits", &["labels", "logits", "axis", "name"], a)?;
    let logits = p.tensor("logits")?;
    let labels = p.tensor_as("labels", Some(logits.dtype()))?;
    Ok(t(r(engine_nn::softmax_cross_entropy_with_logits(&labels, &logits, p.int("axis", -1)?))?))
}

fn sigmoid_cross_entropy_with_logits(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("sigmoid_cross_entropy_with_logits", &["labels", "logits", "name"], a)?;
    let logits = p.tensor("logits")?;
    let labels = p.tensor_as("labels", Some(logits.dtype()))?;
    Ok(t(r(engine_nn::sigmoid_cross_entropy_with_logits(&labels, &logits))?))
}

fn dropout(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("dropout", &["x", "rate", "noise_shape", "seed", "name"], a)?;
    let x = p.tensor("x")?;
    let rate = super::args::float_of("dropout", "rate", &p.req("rate")?)?;
    let noise = p.ints("noise_shape")?;
    Ok(t(r(random_ops::dropout(&x, rate, noise.as_deref(), p.opt_int("seed")?))?))
}

/// `tf.nn.batch_normalization(x, mean, variance, offset, scale, variance_epsilon)`, with
/// TF's order of operations: `x * inv + (offset - mean * inv)`, `inv = rsqrt(var + eps) * scale`.
fn batch_normalization(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind(
        "batch_normalization",
        &["x", "mean", "variance", "offset", "scale", "variance_epsilon", "name"],
        a,
    )?;
    let x = p.tensor("x")?;
    let d = Some(x.dtype());
    let mean = p.tensor_as("mean", d)?;
    let var = p.tensor_as("variance", d)?;
    let eps = Tensor::scalar_of(
        x.dtype(),
        super::args::float_of("batch_normalization", "variance_epsilon", &p.req("variance_epsilon")?)?,
    );
    let mut inv = r(math::rsqrt(&r(math::add(&var, &eps))?))?;
    if let Some(scale) = p.opt_tensor("scale", d)? {
        inv = r(math::mul(&inv, &scale))?;
    }
    let shift = match p.opt_tensor("offset", d)? {
        Some(off) => r(math::sub(&off, &r(math::mul(&mean, &inv))?))?,
        None => r(math::neg(&r(math::mul(&mean, &inv))?))?,
    };
    Ok(t(r(math::add(&r(math::mul(&x, &inv))?, &shift))?))
}

/// `tf.nn.l2_loss(t)`: `sum(t ** 2) / 2`.
fn l2_loss(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("l2_loss", &["t", "name"], a)?;
    let x = p.tensor("t")?;
    let s = r(reduce::reduce_sum(&r(math::square(&x))?, None, false))?;
    Ok(t(r(math::mul(&s, &Tensor::scalar_of(x.dtype(), 0.5)))?))
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![
        (&["nn.relu"], relu),
        (&["nn.relu6"], relu6),
        (&["nn.elu"], elu),
        (&["nn.selu"], selu),
        (&["nn.leaky_relu"], leaky_relu),
        (&["nn.gelu"], gelu),
        (&["nn.silu", "nn.swish"], silu),
        (&["nn.softmax", "math.softmax"], softmax),
        (&["nn.log_softmax", "math.log_softmax"], log_softmax),
        (&["nn.bias_add"], bias_add),
        (&["nn.conv2d"], conv2d),
        (&["nn.depthwise_conv2d"], depthwise_conv2d),
        (&["nn.conv1d"], conv1d),
        (&["nn.conv2d_transpose"], conv2d_transpose),
        (&["nn.max_pool2d"], max_pool2d),
        (&["nn.avg_pool2d"], avg_pool2d),
        (&["nn.max_pool"], max_pool),
        (&["nn.avg_pool"], avg_pool),
        (&["nn.sparse_softmax_cross_entropy_with_logits"], sparse_softmax_cross_entropy_with_logits),
        (&["nn.softmax_cross_entropy_with_logits"], softmax_cross_entropy_with_logits),
        (&["nn.sigmoid_cross_entropy_with_logits"], sigmoid_cross_entropy_with_logits),
        (&["nn.dropout"], dropout),
        (&["nn.batch_normalization"], batch_normalization),
        (&["nn.l2_loss"], l2_loss),
    ]
}
