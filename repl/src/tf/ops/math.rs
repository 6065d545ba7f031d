//! Elementwise math (`tf.math`): unary functions, broadcasting binary arithmetic,
//! comparisons, logic, `where`, clipping and casts.

use super::args::{pair, r, t, Params};
use super::Entry;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Value};
use crate::interp::Interp;
use tensile::ops::{array, math};
use tensile::{DType, Tensor};

type Out = PyResult<Value>;

macro_rules! unary {
    ($($fname:ident : $tf:literal, $param:literal => $op:path;)*) => {$(
        fn $fname(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
            let p = Params::bind($tf, &[$param, "name"], a)?;
            Ok(t(r($op(&p.tensor($param)?))?))
        }
    )*};
}

macro_rules! binary {
    ($($fname:ident : $tf:literal => $op:path;)*) => {$(
        fn $fname(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
            let p = Params::bind($tf, &["x", "y", "name"], a)?;
            let (x, y) = pair(&p, "x", "y")?;
            Ok(t(r($op(&x, &y))?))
        }
    )*};
}

unary! {
    negative: "negative", "x" => math::neg;
    abs: "abs", "x" => math::abs;
    sign: "sign", "x" => math::sign;
    square: "square", "x" => math::square;
    reciprocal: "reciprocal", "x" => math::reciprocal;
    exp: "exp", "x" => math::exp;
    expm1: "expm1", "x" => math::expm1;
    log: "log", "x" => math::log;
    log1p: "log1p", "x" => math::log1p;
    sqrt: "sqrt", "x" => math::sqrt;
    rsqrt: "rsqrt", "x" => math::rsqrt;
    sin: "sin", "x" => math::sin;
    cos: "cos", "x" => math::cos;
    tan: "tan", "x" => math::tan;
    asin: "asin", "x" => math::asin;
    acos: "acos", "x" => math::acos;
    atan: "atan", "x" => math::atan;
    sinh: "sinh", "x" => math::sinh;
    cosh: "cosh", "x" => math::cosh;
    asinh: "asinh", "x" => math::asinh;
    acosh: "acosh", "x" => math::acosh;
    atanh: "atanh", "x" => math::atanh;
    tanh: "tanh", "x" => math::tanh;
    sigmoid: "sigmoid", "x" => math::sigmoid;
    softplus: "softplus", "features" => math::softplus;
    softsign: "softsign", "features" => math::softsign;
    erf: "erf", "x" => math::erf;
    floor: "floor", "x" => math::floor;
    ceil: "ceil", "x" => math::ceil;
    round: "round", "x" => math::round;
    is_nan: "is_nan", "x" => math::is_nan;
    is_finite: "is_finite", "x" => math::is_finite;
    is_inf: "is_inf", "x" => math::is_inf;
    logical_not: "logical_not", "x" => math::logical_not;
}

binary! {
    add: "add" => math::add;
    subtract: "subtract" => math::sub;
    multiply: "multiply" => math::mul;
    truediv: "truediv" => math::truediv;
    realdiv: "realdiv" => math::div;
    truncatediv: "truncatediv" => math::div;
    floordiv: "floordiv" => math::floordiv;
    floormod: "floormod" => math::floormod;
    pow: "pow" => math::pow;
    maximum: "maximum" => math::maximum;
    minimum: "minimum" => math::minimum;
    squared_difference: "squared_difference" => math::squared_difference;
    equal: "equal" => math::equal;
    not_equal: "not_equal" => math::not_equal;
    less: "less" => math::less;
    less_equal: "less_equal" => math::less_equal;
    greater: "greater" => math::greater;
    greater_equal: "greater_equal" => math::greater_equal;
    logical_and: "logical_and" => math::logical_and;
    logical_or: "logical_or" => math::logical_or;
    logical_xor: "logical_xor" => math::logical_xor;
}

/// `tf.math.atan2(y, x, name=None)`: the angle of the point `(x, y)`.
fn atan2(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("atan2", &["y", "x", "name"], a)?;
    let (y, x) = pair(&p, "y", "x")?;
    Ok(t(r(math::atan2(&y, &x))?))
}

/// `tf.math.divide(x, y, name=None)`: Python's `/` (integers divide as float64).
fn divide(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("divide", &["x", "y", "name"], a)?;
    let (x, y) = pair(&p, "x", "y")?;
    Ok(t(r(math::truediv(&x, &y))?))
}

/// `tf.math.divide_no_nan(x, y)`: 0 where `y` is 0.
fn divide_no_nan(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("divide_no_nan", &["x", "y", "name"], a)?;
    let (x, y) = pair(&p, "x", "y")?;
    let zero = Tensor::scalar_of(y.dtype(), 0.0);
    let is_zero = r(math::equal(&y, &zero))?;
    let safe_y = r(math::where_(&is_zero, &Tensor::scalar_of(y.dtype(), 1.0), &y))?;
    let q = r(math::div(&x, &safe_y))?;
    Ok(t(r(math::where_(&is_zero, &r(array::zeros_like(&q))?, &q))?))
}

/// `tf.math.log_sigmoid(x)`: `-softplus(-x)`, as TF computes it.
fn log_sigmoid(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("log_sigmoid", &["x", "name"], a)?;
    let x = p.tensor("x")?;
    Ok(t(r(math::neg(&r(math::softplus(&r(math::neg(&x))?))?))?))
}

/// `tf.math.add_n(inputs)`: the sum of same-shaped tensors.
fn add_n(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("add_n", &["inputs", "name"], a)?;
    let xs = p.tensors("inputs")?;
    let Some((first, rest)) = xs.split_first() else {
        return Err(raise("ValueError", "add_n: inputs must be a non-empty list of tensors"));
    };
    for x in rest {
        if x.dims() != first.dims() {
            return Err(raise(
                "ValueError",
                format!(
                    "add_n: inputs must have the same shape, got {} and {}",
                    tensile::shape::fmt_dims(&first.dims()),
                    tensile::shape::fmt_dims(&x.dims())
                ),
            ));
        }
    }
    let mut acc = first.clone();
    for x in rest {
        acc = r(math::add(&acc, x))?;
    }
    Ok(t(acc))
}

/// `tf.where(condition, x=None, y=None, name=None)`: elementwise choice, or with only a
/// condition the int64 coordinates of its true elements.
fn where_(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("where", &["condition", "x", "y", "name"], a)?;
    let cond = p.tensor("condition")?;
    match (p.get("x"), p.get("y")) {
        (Some(_), Some(_)) => {
            let (x, y) = pair(&p, "x", "y")?;
            Ok(t(r(math::where_(&cond, &x, &y))?))
        }
        (None, None) => Ok(t(true_coordinates("where", &cond)?)),
        _ => Err(raise("ValueError", "where: x and y must both be given, or neither")),
    }
}

/// The coordinates of the nonzero elements of an eager tensor, as an int64 `[n, rank]` tensor.
pub fn true_coordinates(func: &str, cond: &Tensor) -> PyResult<Tensor> {
    if cond.is_symbolic() {
        return Err(raise(
            "ValueError",
            format!("{func}: the number of true elements is only known for an eager condition, not while tracing"),
        ));
    }
    let shape = cond.shape().to_vec();
    let vals = cond.to_f64_vec();
    let mut coords = Vec::new();
    let mut n = 0;
    for (flat, v) in vals.iter().enumerate() {
        if *v != 0.0 {
            let mut rem = flat;
            let mut c = vec![0i64; shape.len()];
            for d in (0..shape.len()).rev() {
                c[d] = (rem % shape[d]) as i64;
                rem /= shape[d];
            }
            coords.extend(c);
            n += 1;
        }
    }
    r(Tensor::from_vec(coords, &[n, shape.len()]))
}

/// `tf.clip_by_value(t, clip_value_min, clip_value_max, name=None)`.
fn clip_by_value(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("clip_by_value", &["t", "clip_value_min", "clip_value_max", "name"], a)?;
    let x = p.tensor("t")?;
    let lo = p.tensor_as("clip_value_min", Some(x.dtype()))?;
    let hi = p.tensor_as("clip_value_max", Some(x.dtype()))?;
    Ok(t(r(math::clip_by_value(&x, &lo, &hi))?))
}

/// `tf.cast(x, dtype, name=None)`.
fn cast(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("cast", &["x", "dtype", "name"], a)?;
    let x = p.tensor("x")?;
    let d = p.dtype("dtype")?.ok_or_else(|| raise("TypeError", "cast() missing required argument: 'dtype'"))?;
    Ok(t(r(math::cast(&x, d))?))
}

/// `tf.as_dtype(type_value)`.
fn as_dtype(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("as_dtype", &["type_value"], a)?;
    Ok(Value::DType(super::args::dtype_of(&p.req("type_value")?)?))
}

/// `tf.math.count_nonzero(input, axis=None, keepdims=None, dtype=tf.int64, name=None)`.
fn count_nonzero(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("count_nonzero", &["input", "axis", "keepdims", "dtype", "name"], a)?;
    let x = p.tensor("input")?;
    let nz = r(math::not_equal(&x, &Tensor::scalar_of(x.dtype(), 0.0)))?;
    let counts = r(math::cast(&nz, DType::I64))?;
    let axis = p.ints("axis")?;
    let s = r(tensile::ops::reduce::reduce_sum(&counts, axis.as_deref(), p.bool("keepdims", false)?))?;
    let d = p.dtype("dtype")?.unwrap_or(DType::I64);
    Ok(t(if d == DType::I64 { s } else { r(math::cast(&s, d))? }))
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![
        (&["negative", "math.negative"], negative),
        (&["abs", "math.abs"], abs),
        (&["sign", "math.sign"], sign),
        (&["square", "math.square"], square),
        (&["math.reciprocal"], reciprocal),
        (&["exp", "math.exp"], exp),
        (&["math.expm1"], expm1),
        (&["math.log"], log),
        (&["math.log1p"], log1p),
        (&["sqrt", "math.sqrt"], sqrt),
        (&["math.rsqrt"], rsqrt),
        (&["sin", "math.sin"], sin),
        (&["cos", "math.cos"], cos),
        (&["tan", "math.tan"], tan),
        (&["asin", "math.asin"], asin),
        (&["acos", "math.acos"], acos),
        (&["atan", "math.atan"], atan),
        (&["sinh", "math.sinh"], sinh),
        (&["cosh", "math.cosh"], cosh),
        (&["asinh", "math.asinh"], asinh),
        (&["acosh", "math.acosh"], acosh),
        (&["atanh", "math.atanh"], atanh),
        (&["atan2", "math.atan2"], atan2),
        (&["tanh", "math.tanh", "nn.tanh"], tanh),
        (&["sigmoid", "math.sigmoid", "nn.sigmoid"], sigmoid),
        (&["math.softplus", "nn.softplus"], softplus),
        (&["math.softsign", "nn.softsign"], softsign),
        (&["math.erf"], erf),
        (&["floor", "math.floor"], floor),
        (&["math.ceil"], ceil),
        (&["round", "math.round"], round),
        (&["math.is_nan"], is_nan),
        (&["math.is_finite"], is_finite),
        (&["math.is_inf"], is_inf),
        (&["logical_not", "math.logical_not"], logical_not),
        (&["add", "math.add"], add),
        (&["subtract", "math.subtract"], subtract),
        (&["multiply", "math.multiply"], multiply),
        (&["divide", "math.divide"], divide),
        (&["truediv", "math.truediv"], truediv),
        (&["realdiv"], realdiv),
        (&["truncatediv"], truncatediv),
        (&["math.floordiv"], floordiv),
        (&["math.floormod", "math.mod"], floormod),
        (&["pow", "math.pow"], pow),
        (&["maximum", "math.maximum"], maximum),
        (&["minimum", "math.minimum"], minimum),
        (&["math.squared_difference"], squared_difference),
        (&["equal", "math.equal"], equal),
        (&["not_equal", "math.not_equal"], not_equal),
        (&["less", "math.less"], less),
        (&["less_equal", "math.less_equal"], less_equal),
        (&["greater", "math.greater"], greater),
        (&["greater_equal", "math.greater_equal"], greater_equal),
        (&["logical_and", "math.logical_and"], logical_and),
        (&["logical_or", "math.logical_or"], logical_or),
        (&["math.logical_xor"], logical_xor),
        (&["math.divide_no_nan"], divide_no_nan),
        (&["math.log_sigmoid"], log_sigmoid),
        (&["add_n", "math.add_n"], add_n),
        (&["where"], where_),
        (&["clip_by_value"], clip_by_value),
        (&["cast", "dtypes.cast"], cast),
        (&["as_dtype", "dtypes.as_dtype"], as_dtype),
        (&["math.count_nonzero"], count_nonzero),
    ]
}
