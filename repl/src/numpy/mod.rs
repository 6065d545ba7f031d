//! The NumPy subset: `import numpy as np` gives array constructors, a few reductions and
//! elementwise functions, dtypes, and `allclose`, over the same tensors `Tensor.numpy()` returns.
//!
//! Arrays are [`Value::Array`] values: they print as NumPy prints, and arithmetic on them goes
//! through the engine's kernels. NumPy's defaults differ from TF's (float64 and int64 for
//! Python numbers), so constructors convert with [`convert::to_array`].

mod array;
mod convert;
mod dtype;

pub use convert::to_array;
pub use dtype::{dtype_of, NpDType, NpType};

use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, NativeFn, NativeModule, Value};
use crate::interp::Interp;
use convert::shape_arg;
#[cfg(test)]
use convert::widen;
use dtype::dtype_arg;
use std::rc::Rc;
use tensile::ops::{array as arr, linalg, math, reduce};
use tensile::{DType, Tensor};

/// Registers `numpy` as an importable module.
pub fn register(interp: &mut Interp) {
    interp.register_module("numpy", build);
}

/// NumPy raises `ValueError` where TF raises `InvalidArgumentError` (shapes, sizes).
pub(crate) fn r<T>(x: tensile::Result<T>) -> PyResult<T> {
    x.map_err(value_error)
}

/// An engine error as NumPy's `ValueError`, keeping the message.
pub fn value_error(e: tensile::Error) -> crate::interp::exceptions::Ctrl {
    if e.kind == tensile::ErrorKind::Cancelled {
        return crate::interp::exceptions::engine_error(e);
    }
    let text = e.to_string();
    let message = text.split_once(": ").map_or(text.as_str(), |(_, m)| m);
    raise("ValueError", message.to_string())
}

fn out(t: Tensor) -> PyResult<Value> {
    Ok(Value::Array(t))
}

/// Builds the `numpy` module table.
pub fn build(_: &mut Interp) -> Rc<NativeModule> {
    let m = NativeModule::new("numpy");
    let fns: &[(&'static str, NativeFn)] = &[
        ("array", array_fn),
        ("asarray", array_fn),
        ("zeros", |_, _, a| filled(a, "zeros", 0.0)),
        ("ones", |_, _, a| filled(a, "ones", 1.0)),
        ("full", full),
        ("empty", |_, _, a| filled(a, "empty", 0.0)),
        ("zeros_like", |_, _, a| filled_like(a, "zeros_like", Some(0.0))),
        ("ones_like", |_, _, a| filled_like(a, "ones_like", Some(1.0))),
        ("full_like", |_, _, a| filled_like(a, "full_like", None)),
        ("arange", arange),
        ("linspace", linspace),
        ("eye", eye),
        ("allclose", |_, _, a| Ok(Value::Bool(all_true(&isclose_tensor(&a, "allclose")?)))),
        ("isclose", |_, _, a| out(isclose_tensor(&a, "isclose")?)),
        ("array_equal", array_equal),
        ("sum", |_, _, a| reduction(a, "sum", Reduce::Sum)),
        ("mean", |_, _, a| reduction(a, "mean", Reduce::Mean)),
        ("max", |_, _, a| reduction(a, "max", Reduce::Max)),
        ("min", |_, _, a| reduction(a, "min", Reduce::Min)),
        ("amax", |_, _, a| reduction(a, "amax", Reduce::Max)),
        ("amin", |_, _, a| reduction(a, "amin", Reduce::Min)),
        ("prod", |_, _, a| reduction(a, "prod", Reduce::Prod)),
        ("argmax", |_, _, a| arg_reduction(a, "argmax", true)),
        ("argmin", |_, _, a| arg_reduction(a, "argmin", false)),
        ("sqrt", |_, _, a| float_unary(a, "sqrt", math::sqrt)),
        ("exp", |_, _, a| float_unary(a, "exp", math::exp)),
        ("log", |_, _, a| float_unary(a, "log", math::log)),
        ("tanh", |_, _, a| float_unary(a, "tanh", math::tanh)),
        ("sin", |_, _, a| float_unary(a, "sin", math::sin)),
        ("cos", |_, _, a| float_unary(a, "cos", math::cos)),
        ("abs", |_, _, a| unary(a, "abs", math::abs)),
        ("absolute", |_, _, a| unary(a, "absolute", math::abs)),
        ("square", |_, _, a| unary(a, "square", math::square)),
        ("floor", |_, _, a| float_unary(a, "floor", math::floor)),
        ("ceil", |_, _, a| float_unary(a, "ceil", math::ceil)),
        ("maximum", |_, _, a| binary(a, "maximum", math::maximum)),
        ("minimum", |_, _, a| binary(a, "minimum", math::minimum)),
        ("add", |_, _, a| binary(a, "add", math::add)),
        ("subtract", |_, _, a| binary(a, "subtract", math::sub)),
        ("multiply", |_, _, a| binary(a, "multiply", math::mul)),
        ("divide", |_, _, a| binary(a, "divide", math::truediv)),
        ("dot", |_, _, a| product(a, "dot")),
        ("matmul", |_, _, a| product(a, "matmul")),
        ("where", where_fn),
        ("clip", clip),
        ("reshape", |_, _, a| {
            let x = to_array(&a.req(0, "a", "reshape")?, None)?;
            out(r(arr::reshape(&x, &crate::tf::int_list(&a.req(1, "newshape", "reshape")?)?))?)
        }),
        ("transpose", |_, _, a| {
            let x = to_array(&a.req(0, "a", "transpose")?, None)?;
            let axes = match a.get(1, "axes") {
                None | Some(Value::None) => None,
                Some(v) => Some(crate::tf::int_list(&v)?),
            };
            out(r(arr::transpose(&x, axes.as_deref()))?)
        }),
        ("concatenate", |_, _, a| joined(a, "concatenate", arr::concat)),
        ("stack", |_, _, a| joined(a, "stack", arr::stack)),
        ("expand_dims", |_, _, a| {
            let x = to_array(&a.req(0, "a", "expand_dims")?, None)?;
            out(r(arr::expand_dims(&x, int_arg(&a, 1, "axis", "expand_dims")?))?)
        }),
        ("squeeze", |_, _, a| {
            let x = to_array(&a.req(0, "a", "squeeze")?, None)?;
            let axis = match a.get(1, "axis") {
                None | Some(Value::None) => None,
                Some(v) => Some(crate::tf::int_list(&v)?),
            };
            out(r(arr::squeeze(&x, axis.as_deref()))?)
        }),
        ("shape", |_, _, a| Ok(shape_tuple(&to_array(&a.req(0, "a", "shape")?, None)?))),
        ("ndim", |_, _, a| Ok(Value::Int(to_array(&a.req(0, "a", "ndim")?, None)?.rank() as i64))),
        ("size", |_, _, a| Ok(Value::Int(to_array(&a.req(0, "a", "size")?, None)?.size() as i64))),
    ];
    for (name, f) in fns {
        m.add_fn(name, *f);
    }
    for d in DType::ALL {
        m.set(d.name(), Value::Native(Rc::new(NpType(d))));
    }
    m.set("bool_", Value::Native(Rc::new(NpType(DType::Bool))));
    m.set("float_", Value::Native(Rc::new(NpType(DType::F64))));
    m.set("int_", Value::Native(Rc::new(NpType(DType::I64))));
    m.set("pi", Value::Float(std::f64::consts::PI));
    m.set("e", Value::Float(std::f64::consts::E));
    m.set("inf", Value::Float(f64::INFINITY));
    m.set("nan", Value::Float(f64::NAN));
    m.set("newaxis", Value::None);
    m.set("ndarray", Value::Native(Rc::new(crate::tf::TypeMarker("ndarray"))));
    Rc::new(m)
}

fn int_arg(a: &Args, i: usize, name: &str, func: &str) -> PyResult<i64> {
    match a.req(i, name, func)? {
        Value::Int(v) => Ok(v),
        other => Err(raise("TypeError", format!("{func}(): '{name}' must be an integer, not {}", other.type_name()))),
    }
}

fn shape_tuple(t: &Tensor) -> Value {
    Value::tuple(t.shape().iter().map(|d| Value::Int(*d as i64)).collect())
}

fn array_fn(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "object", "array")?;
    out(to_array(&v, dtype_arg(&a, 1)?)?)
}

fn filled(a: Args, func: &str, value: f64) -> PyResult<Value> {
    let shape = shape_arg(&a.req(0, "shape", func)?)?;
    let dtype = dtype_arg(&a, 1)?.unwrap_or(DType::F64);
    out(r(arr::fill(dtype, &shape, value))?)
}

fn scalar_of(v: &Value, func: &str) -> PyResult<(f64, DType)> {
    let t = to_array(v, None)?;
    if t.size() != 1 {
        return Err(raise("ValueError", format!("{func}(): the fill value must be a scalar")));
    }
    let x = t.to_f64_vec().first().copied().ok_or_else(|| {
        raise("TypeError", format!("{func}(): a traced tensor has no value while tracing; use tf.fill"))
    })?;
    Ok((x, t.dtype()))
}

fn full(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let shape = shape_arg(&a.req(0, "shape", "full")?)?;
    let (value, kind) = scalar_of(&a.req(1, "fill_value", "full")?, "full")?;
    let dtype = dtype_arg(&a, 2)?.unwrap_or(kind);
    out(r(arr::fill(dtype, &shape, value))?)
}

fn filled_like(a: Args, func: &str, value: Option<f64>) -> PyResult<Value> {
    let x = to_array(&a.req(0, "a", func)?, None)?;
    let (value, dtype_at) = match value {
        Some(v) => (v, 1),
        None => (scalar_of(&a.req(1, "fill_value", func)?, func)?.0, 2),
    };
    let dtype = dtype_arg(&a, dtype_at)?.unwrap_or(x.dtype());
    out(r(arr::fill(dtype, x.shape(), value))?)
}

fn number(v: &Value, func: &str) -> PyResult<(f64, bool)> {
    match v {
        Value::Int(i) => Ok((*i as f64, false)),
        Value::Bool(b) => Ok((*b as i64 as f64, false)),
        Value::Float(f) => Ok((*f, true)),
        Value::Array(t) | Value::Tensor(t) if t.size() == 1 && !t.is_symbolic() => {
            Ok((t.to_f64_vec()[0], t.dtype().is_float()))
        }
        other => Err(raise("TypeError", format!("{func}(): expected a number, got {}", other.type_name()))),
    }
}

/// `np.arange([start,] stop[, step], dtype=None)`: element `i` is `start + i*step`.
fn arange(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let nums: Vec<(f64, bool)> = a.pos.iter().map(|v| number(v, "arange")).collect::<PyResult<_>>()?;
    let kw = |n: &str| a.kwarg(n).map(|v| number(&v, "arange")).transpose();
    let (start, stop, step) = match nums.len() {
        0 => ((0.0, false), kw("stop")?.ok_or_else(|| raise("TypeError", "arange() requires stop"))?, (1.0, false)),
        1 => ((0.0, false), nums[0], kw("step")?.unwrap_or((1.0, false))),
        2 => (nums[0], nums[1], kw("step")?.unwrap_or((1.0, false))),
        3 => (nums[0], nums[1], nums[2]),
        _ => return Err(raise("TypeError", "arange() takes at most 3 positional arguments")),
    };
    if step.0 == 0.0 {
        return Err(raise("ZeroDivisionError", "division by zero"));
    }
    let float = start.1 || stop.1 || step.1;
    let dtype = match a.kwarg("dtype") {
        None | Some(Value::None) => {
            if float {
                DType::F64
            } else {
                DType::I64
            }
        }
        Some(v) => dtype_of(&v).ok_or_else(|| raise("TypeError", "Cannot interpret the value as a data type"))?,
    };
    let n = ((stop.0 - start.0) / step.0).ceil().max(0.0);
    if n > 1e9 {
        return Err(raise("ValueError", "Maximum allowed size exceeded"));
    }
    let values: Vec<f64> = (0..n as usize).map(|i| start.0 + i as f64 * step.0).collect();
    out(r(Tensor::from_vec(values, &[n as usize]).and_then(|t| math::cast(&t, dtype)))?)
}

/// `np.linspace(start, stop, num=50, endpoint=True, dtype=None)`.
fn linspace(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let (start, _) = number(&a.req(0, "start", "linspace")?, "linspace")?;
    let (stop, _) = number(&a.req(1, "stop", "linspace")?, "linspace")?;
    let num = match a.get(2, "num") {
        None => 50,
        Some(Value::Int(n)) if n >= 0 => n as usize,
        Some(v) => {
            return Err(raise("ValueError", format!("Number of samples, {}, must be non-negative.", v.type_name())))
        }
    };
    let endpoint = !matches!(a.get(3, "endpoint"), Some(Value::Bool(false)));
    let div = if endpoint { num.saturating_sub(1) } else { num };
    let step = (stop - start) / div.max(1) as f64;
    let mut values: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if endpoint && num > 1 {
        values[num - 1] = stop;
    }
    let dtype = dtype_arg(&a, 5)?.unwrap_or(DType::F64);
    out(r(Tensor::from_vec(values, &[num]).and_then(|t| math::cast(&t, dtype)))?)
}

fn eye(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let n = shape_arg(&a.req(0, "N", "eye")?)?;
    let m = match a.get(1, "M") {
        None | Some(Value::None) => None,
        Some(v) => Some(shape_arg(&v)?),
    };
    let (Some(&n), m) = (n.first(), m.and_then(|m| m.first().copied())) else {
        return Err(raise("TypeError", "eye(): N must be an integer"));
    };
    let dtype = dtype_arg(&a, 3)?.unwrap_or(DType::F64);
    out(r(arr::eye(n, m, dtype))?)
}

/// Both operands as arrays of one dtype, promoting as NumPy does (int with float → float64).
pub(crate) fn operands(x: &Value, y: &Value) -> PyResult<(Tensor, Tensor)> {
    let hint = |v: &Value| match v {
        Value::Tensor(t) | Value::Array(t) => Some(t.dtype()),
        _ => None,
    };
    let mut a = match hint(y) {
        Some(d) if !matches!(x, Value::Tensor(_) | Value::Array(_)) && scalar_like(x) => {
            crate::tf::to_tensor(x, Some(d)).or_else(|_| to_array(x, None))?
        }
        _ => to_array(x, None)?,
    };
    let mut b = if scalar_like(y) {
        crate::tf::to_tensor(y, Some(a.dtype())).or_else(|_| to_array(y, None))?
    } else {
        to_array(y, None)?
    };
    if a.dtype() != b.dtype() {
        let common = promote(a.dtype(), b.dtype());
        a = r(math::cast(&a, common))?;
        b = r(math::cast(&b, common))?;
    }
    Ok((a, b))
}

fn scalar_like(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Float(_) | Value::Bool(_))
}

/// NumPy's result type for two array dtypes.
fn promote(a: DType, b: DType) -> DType {
    use DType::*;
    match (a, b) {
        (x, y) if x == y => x,
        (Bool, o) | (o, Bool) => o,
        (F64, _) | (_, F64) => F64,
        (F32, I64) | (I64, F32) => F64,
        (F32, I32) | (I32, F32) => F64,
        _ => I64,
    }
}

fn binary(a: Args, func: &str, f: fn(&Tensor, &Tensor) -> tensile::Result<Tensor>) -> PyResult<Value> {
    let (x, y) = operands(&a.req(0, "x1", func)?, &a.req(1, "x2", func)?)?;
    out(r(f(&x, &y))?)
}

fn unary(a: Args, func: &str, f: fn(&Tensor) -> tensile::Result<Tensor>) -> PyResult<Value> {
    let x = to_array(&a.req(0, "x", func)?, None)?;
    out(r(f(&x))?)
}

/// Functions NumPy computes in floating point: ints and bools become float64.
fn float_unary(a: Args, func: &str, f: fn(&Tensor) -> tensile::Result<Tensor>) -> PyResult<Value> {
    let x = to_array(&a.req(0, "x", func)?, None)?;
    let x = if x.dtype().is_float() { x } else { r(math::cast(&x, DType::F64))? };
    out(r(f(&x))?)
}

#[derive(Clone, Copy)]
pub(crate) enum Reduce {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
}

fn axis_arg(a: &Args, i: usize) -> PyResult<Option<Vec<i64>>> {
    match a.get(i, "axis") {
        None | Some(Value::None) => Ok(None),
        Some(v) => Ok(Some(crate::tf::int_list(&v)?)),
    }
}

/// A reduction with NumPy's result dtypes: sums of ints are int64, means are float64.
pub(crate) fn reduce_array(x: &Tensor, how: Reduce, axis: Option<&[i64]>, keepdims: bool) -> PyResult<Tensor> {
    let x = match (how, x.dtype()) {
        (Reduce::Mean, d) if !d.is_float() => r(math::cast(x, DType::F64))?,
        (Reduce::Sum | Reduce::Prod, DType::Bool | DType::I32) => r(math::cast(x, DType::I64))?,
        _ => x.clone(),
    };
    if x.size() == 0 && matches!(how, Reduce::Max | Reduce::Min) {
        return Err(raise("ValueError", "zero-size array to reduction operation which has no identity"));
    }
    r(match how {
        Reduce::Sum => reduce::reduce_sum(&x, axis, keepdims),
        Reduce::Mean => reduce::reduce_mean(&x, axis, keepdims),
        Reduce::Max => reduce::reduce_max(&x, axis, keepdims),
        Reduce::Min => reduce::reduce_min(&x, axis, keepdims),
        Reduce::Prod => reduce::reduce_prod(&x, axis, keepdims),
    })
}

fn reduction(a: Args, func: &str, how: Reduce) -> PyResult<Value> {
    let x = to_array(&a.req(0, "a", func)?, None)?;
    let keepdims = matches!(a.kwarg("keepdims"), Some(Value::Bool(true)));
    out(reduce_array(&x, how, axis_arg(&a, 1)?.as_deref(), keepdims)?)
}

/// `argmax`/`argmin`: over the flattened array unless `axis` is given; int64 indices.
pub(crate) fn arg_reduce(x: &Tensor, axis: Option<i64>, max: bool) -> PyResult<Tensor> {
    if x.size() == 0 {
        return Err(raise("ValueError", "attempt to get argmax of an empty sequence"));
    }
    let (x, axis) = match axis {
        Some(ax) => (x.clone(), ax),
        None => (r(arr::reshape(x, &[-1]))?, 0),
    };
    r(if max { reduce::argmax_with_type(&x, axis, DType::I64) } else { reduce::argmin_with_type(&x, axis, DType::I64) })
}

fn arg_reduction(a: Args, func: &str, max: bool) -> PyResult<Value> {
    let x = to_array(&a.req(0, "a", func)?, None)?;
    let axis = match a.get(1, "axis") {
        None | Some(Value::None) => None,
        Some(Value::Int(i)) => Some(i),
        Some(v) => return Err(raise("TypeError", format!("{func}(): axis must be an integer, not {}", v.type_name()))),
    };
    out(arg_reduce(&x, axis, max)?)
}

fn isclose_tensor(a: &Args, func: &str) -> PyResult<Tensor> {
    let x = to_array(&a.req(0, "a", func)?, None)?;
    let y = to_array(&a.req(1, "b", func)?, None)?;
    let rtol = a.get(2, "rtol").map(|v| number(&v, func)).transpose()?.map_or(1e-5, |v| v.0);
    let atol = a.get(3, "atol").map(|v| number(&v, func)).transpose()?.map_or(1e-8, |v| v.0);
    let equal_nan = matches!(a.get(4, "equal_nan"), Some(Value::Bool(true)));
    let x = r(math::cast(&x, DType::F64))?;
    let y = r(math::cast(&y, DType::F64))?;
    // |x - y| <= atol + rtol * |y|, with equal infinities close and NaN close only to NaN when
    // asked, as NumPy defines it.
    let diff = r(math::abs(&r(math::sub(&x, &y))?))?;
    let tol = r(math::add(&Tensor::scalar(atol), &r(math::mul(&Tensor::scalar(rtol), &r(math::abs(&y))?))?))?;
    let close = r(math::less_equal(&diff, &tol))?;
    let same = r(math::equal(&x, &y))?;
    let mut result = r(math::logical_or(&close, &same))?;
    if equal_nan {
        let both = r(math::logical_and(&r(math::is_nan(&x))?, &r(math::is_nan(&y))?))?;
        result = r(math::logical_or(&result, &both))?;
    }
    Ok(result)
}

fn all_true(t: &Tensor) -> bool {
    t.to_f64_vec().iter().all(|v| *v != 0.0)
}

fn array_equal(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let x = to_array(&a.req(0, "a1", "array_equal")?, None)?;
    let y = to_array(&a.req(1, "a2", "array_equal")?, None)?;
    if x.shape() != y.shape() {
        return Ok(Value::Bool(false));
    }
    Ok(Value::Bool(x.to_f64_vec() == y.to_f64_vec()))
}

/// `np.dot`/`np.matmul` for 1-D and 2-D operands.
fn product(a: Args, func: &str) -> PyResult<Value> {
    let (x, y) = operands(&a.req(0, "a", func)?, &a.req(1, "b", func)?)?;
    let t = match (x.rank(), y.rank()) {
        (1, 1) => r(reduce::reduce_sum(&r(math::mul(&x, &y))?, None, false))?,
        (2, 1) => r(arr::squeeze(&r(linalg::matmul(&x, &r(arr::expand_dims(&y, 1))?))?, Some(&[1])))?,
        (1, 2) => r(arr::squeeze(&r(linalg::matmul(&r(arr::expand_dims(&x, 0))?, &y))?, Some(&[0])))?,
        (0, _) | (_, 0) if func == "dot" => r(math::mul(&x, &y))?,
        _ => r(linalg::matmul(&x, &y))?,
    };
    out(t)
}

fn where_fn(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let c = to_array(&a.req(0, "condition", "where")?, Some(DType::Bool))?;
    let (x, y) = operands(&a.req(1, "x", "where")?, &a.req(2, "y", "where")?)?;
    out(r(math::where_(&c, &x, &y))?)
}

fn clip(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let x = to_array(&a.req(0, "a", "clip")?, None)?;
    let lo = crate::tf::to_tensor(&a.req(1, "a_min", "clip")?, Some(x.dtype()))?;
    let hi = crate::tf::to_tensor(&a.req(2, "a_max", "clip")?, Some(x.dtype()))?;
    out(r(math::clip_by_value(&x, &lo, &hi))?)
}

fn joined(a: Args, func: &str, f: fn(&[Tensor], i64) -> tensile::Result<Tensor>) -> PyResult<Value> {
    let parts = match a.req(0, "arrays", func)? {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        other => {
            return Err(raise(
                "TypeError",
                format!("{func}(): expected a sequence of arrays, got {}", other.type_name()),
            ))
        }
    };
    let mut ts: Vec<Tensor> = parts.iter().map(|p| to_array(p, None)).collect::<PyResult<_>>()?;
    if let Some(common) = ts.iter().map(|t| t.dtype()).reduce(promote) {
        ts = ts
            .iter()
            .map(|t| if t.dtype() == common { Ok(t.clone()) } else { r(math::cast(t, common)) })
            .collect::<PyResult<_>>()?;
    }
    let axis = match a.get(1, "axis") {
        None => 0,
        Some(Value::Int(i)) => i,
        Some(v) => return Err(raise("TypeError", format!("{func}(): axis must be an integer, not {}", v.type_name()))),
    };
    out(r(f(&ts, axis))?)
}

pub use array::array_attr;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_follows_numpy() {
        assert_eq!(promote(DType::I32, DType::F32), DType::F64);
        assert_eq!(promote(DType::Bool, DType::I32), DType::I32);
        assert_eq!(promote(DType::I32, DType::I64), DType::I64);
        assert_eq!(promote(DType::F32, DType::F64), DType::F64);
    }

    #[test]
    fn widening_keeps_bool() {
        assert_eq!(widen(DType::F32), DType::F64);
        assert_eq!(widen(DType::Bool), DType::Bool);
    }
}
