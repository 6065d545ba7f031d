//! Attributes and methods of arrays (`a.dtype`, `a.reshape(...)`, `a.sum(axis=0)`, ...).

use super::{arg_reduce, out, r, reduce_array, Reduce};
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Builtin, NativeFn, Value};
use crate::interp::Interp;
use std::rc::Rc;
use tensile::ops::{array as arr, math, reduce};
use tensile::{DType, Tensor};

fn this(v: Option<&Value>) -> PyResult<Tensor> {
    match v {
        Some(Value::Array(t)) => Ok(t.clone()),
        _ => Err(raise("TypeError", "not a numpy.ndarray")),
    }
}

fn method(v: &Value, name: &'static str, f: NativeFn) -> Value {
    Value::Builtin(Rc::new(Builtin { name, f, bound: Some(v.clone()) }))
}

fn reduce_method(t: Option<&Value>, a: Args, how: Reduce) -> PyResult<Value> {
    let x = this(t)?;
    let axis = match a.get(0, "axis") {
        None | Some(Value::None) => None,
        Some(v) => Some(crate::tf::int_list(&v)?),
    };
    let keepdims = matches!(a.kwarg("keepdims"), Some(Value::Bool(true)));
    out(reduce_array(&x, how, axis.as_deref(), keepdims)?)
}

fn arg_method(t: Option<&Value>, a: Args, max: bool) -> PyResult<Value> {
    let axis = match a.get(0, "axis") {
        None | Some(Value::None) => None,
        Some(Value::Int(i)) => Some(i),
        Some(v) => return Err(raise("TypeError", format!("axis must be an integer, not {}", v.type_name()))),
    };
    out(arg_reduce(&this(t)?, axis, max)?)
}

fn logical(t: Option<&Value>, all: bool) -> PyResult<Value> {
    let x = this(t)?;
    let b = if x.dtype() == DType::Bool { x } else { r(math::cast(&x, DType::Bool))? };
    out(r(if all { reduce::reduce_all(&b, None, false) } else { reduce::reduce_any(&b, None, false) })?)
}

/// `a.reshape(2, 3)` or `a.reshape((2, 3))`.
fn reshape(_: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    let x = this(t)?;
    let dims = match a.pos.as_slice() {
        [one] => crate::tf::int_list(one)?,
        many => many
            .iter()
            .map(|v| match v {
                Value::Int(i) => Ok(*i),
                other => Err(raise(
                    "TypeError",
                    format!("'{}' object cannot be interpreted as an integer", other.type_name()),
                )),
            })
            .collect::<PyResult<_>>()?,
    };
    out(r(arr::reshape(&x, &dims))?)
}

fn astype(_: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    let x = this(t)?;
    let d =
        super::dtype_arg(&a, 0)?.ok_or_else(|| raise("TypeError", "astype() missing required argument: 'dtype'"))?;
    out(r(math::cast(&x, d))?)
}

/// NumPy attributes of an array value, or `None` for the ones tensors and arrays share.
pub fn array_attr(v: &Value, name: &str) -> PyResult<Option<Value>> {
    let Value::Array(t) = v else { return Ok(None) };
    Ok(Some(match name {
        "dtype" => Value::Native(Rc::new(super::NpDType(t.dtype()))),
        "shape" => super::shape_tuple(t),
        "T" => Value::Array(r(arr::transpose(t, None))?),
        "reshape" => method(v, "reshape", reshape),
        "astype" => method(v, "astype", astype),
        "sum" => method(v, "sum", |_, t, a| reduce_method(t, a, Reduce::Sum)),
        "mean" => method(v, "mean", |_, t, a| reduce_method(t, a, Reduce::Mean)),
        "max" => method(v, "max", |_, t, a| reduce_method(t, a, Reduce::Max)),
        "min" => method(v, "min", |_, t, a| reduce_method(t, a, Reduce::Min)),
        "prod" => method(v, "prod", |_, t, a| reduce_method(t, a, Reduce::Prod)),
        "argmax" => method(v, "argmax", |_, t, a| arg_method(t, a, true)),
        "argmin" => method(v, "argmin", |_, t, a| arg_method(t, a, false)),
        "all" => method(v, "all", |_, t, _| logical(t, true)),
        "any" => method(v, "any", |_, t, _| logical(t, false)),
        "flatten" | "ravel" => method(v, "flatten", |_, t, _| out(r(arr::reshape(&this(t)?, &[-1]))?)),
        "copy" => method(v, "copy", |_, t, _| out(this(t)?)),
        "transpose" => method(v, "transpose", |_, t, a| {
            let perm = match a.pos.as_slice() {
                [] => None,
                [one] if !matches!(one, Value::Int(_)) => Some(crate::tf::int_list(one)?),
                many => Some(crate::tf::int_list(&Value::tuple(many.to_vec()))?),
            };
            out(r(arr::transpose(&this(t)?, perm.as_deref()))?)
        }),
        _ => return Ok(None),
    }))
}
