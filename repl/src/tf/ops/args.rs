//! Binding a call's arguments to a TensorFlow signature: positional or by TF's parameter
//! names, with TF's conversions (Python numbers become float32/int32 tensors, or take the
//! dtype of the operand they combine with).

use super::shape;
use crate::interp::exceptions::{engine_error, raise, PyResult};
use crate::interp::value::{Args, Value};
use crate::tf::convert;
use crate::tf::to_tensor;
use tensile::{DType, Tensor};

/// Arguments bound to parameter names; `None` values count as not given.
pub struct Params {
    func: &'static str,
    names: &'static [&'static str],
    vals: Vec<Option<Value>>,
}

/// An engine result as a language result.
pub fn r<T>(x: tensile::Result<T>) -> PyResult<T> {
    x.map_err(engine_error)
}

impl Params {
    /// Binds `a` to `names` (in TF's parameter order), rejecting extra or unknown arguments.
    pub fn bind(func: &'static str, names: &'static [&'static str], a: Args) -> PyResult<Params> {
        if a.pos.len() > names.len() {
            return Err(raise(
                "TypeError",
                format!("{func}() takes at most {} positional arguments ({} given)", names.len(), a.pos.len()),
            ));
        }
        let mut vals: Vec<Option<Value>> = vec![None; names.len()];
        for (i, v) in a.pos.into_iter().enumerate() {
            vals[i] = Some(v);
        }
        for (k, v) in a.kw {
            let Some(i) = names.iter().position(|n| **n == *k) else {
                return Err(raise("TypeError", format!("{func}() got an unexpected keyword argument '{k}'")));
            };
            if vals[i].is_some() {
                return Err(raise("TypeError", format!("{func}() got multiple values for argument '{k}'")));
            }
            vals[i] = Some(v);
        }
        Ok(Params { func, names, vals })
    }

    /// The function's name, for messages.
    pub fn func(&self) -> &'static str {
        self.func
    }

    fn slot(&self, name: &str) -> usize {
        // Parameter names are literals next to the call sites, so a miss is a typo in this crate.
        self.names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("{} has no parameter {name}", self.func))
    }

    /// The argument, unless missing or `None`.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.vals[self.slot(name)].clone().filter(|v| !v.is_none())
    }

    /// A required argument.
    pub fn req(&self, name: &str) -> PyResult<Value> {
        self.get(name).ok_or_else(|| {
            raise("TypeError", format!("{}() missing 1 required positional argument: '{name}'", self.func))
        })
    }

    /// A required tensor argument (Python values converted with TF's default dtypes).
    pub fn tensor(&self, name: &str) -> PyResult<Tensor> {
        to_tensor(&self.req(name)?, None)
    }

    /// A required tensor; Python values take `hint`'s dtype.
    pub fn tensor_as(&self, name: &str, hint: Option<DType>) -> PyResult<Tensor> {
        to_tensor(&self.req(name)?, hint)
    }

    /// An optional tensor.
    pub fn opt_tensor(&self, name: &str, hint: Option<DType>) -> PyResult<Option<Tensor>> {
        self.get(name).map(|v| to_tensor(&v, hint)).transpose()
    }

    /// An integer argument (a Python int or a single-element integer tensor).
    pub fn opt_int(&self, name: &str) -> PyResult<Option<i64>> {
        self.get(name).map(|v| int_of(self.func, name, &v)).transpose()
    }

    /// An integer argument with a default.
    pub fn int(&self, name: &str, default: i64) -> PyResult<i64> {
        Ok(self.opt_int(name)?.unwrap_or(default))
    }

    /// A required integer argument.
    pub fn req_int(&self, name: &str) -> PyResult<i64> {
        int_of(self.func, name, &self.req(name)?)
    }

    /// A float argument with a default (ints accepted).
    pub fn float(&self, name: &str, default: f64) -> PyResult<f64> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => float_of(self.func, name, &v),
        }
    }

    /// A bool argument with a default.
    pub fn bool(&self, name: &str, default: bool) -> PyResult<bool> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::Int(i)) => Ok(i != 0),
            Some(v @ (Value::Tensor(_) | Value::Array(_))) => {
                Ok(convert::scalar_value(&v).map(|s| matches!(s, Value::Bool(true)))?)
            }
            Some(v) => {
                Err(raise("TypeError", format!("{}(): {name} must be a bool, got {}", self.func, v.type_name())))
            }
        }
    }

    /// An optional dtype argument (`tf.float32` or its name).
    pub fn dtype(&self, name: &str) -> PyResult<Option<DType>> {
        self.get(name).map(|v| dtype_of(&v)).transpose()
    }

    /// An optional list of ints (an int, a list/tuple, a 1-D tensor or a `TensorShape`).
    pub fn ints(&self, name: &str) -> PyResult<Option<Vec<i64>>> {
        self.get(name).map(|v| ints_of(&v)).transpose()
    }

    /// A required list of ints.
    pub fn req_ints(&self, name: &str) -> PyResult<Vec<i64>> {
        ints_of(&self.req(name)?)
    }

    /// A string argument with a default.
    pub fn str(&self, name: &str, default: &str) -> PyResult<String> {
        match self.get(name) {
            None => Ok(default.to_string()),
            Some(Value::Str(s)) => Ok(s.to_string()),
            Some(v) => {
                Err(raise("TypeError", format!("{}(): {name} must be a string, got {}", self.func, v.type_name())))
            }
        }
    }

    /// A list of tensors (a list or tuple of tensor-likes, or a tensor unstacked on axis 0).
    pub fn tensors(&self, name: &str) -> PyResult<Vec<Tensor>> {
        match self.req(name)? {
            Value::List(l) => {
                let items = l.borrow().clone();
                tensor_list(&items)
            }
            Value::Tuple(t) => tensor_list(&t),
            other => {
                let t = to_tensor(&other, None)?;
                r(tensile::ops::array::unstack(&t, 0))
            }
        }
    }
}

/// Tensors from a sequence: Python numbers take the dtype of the first tensor among them.
pub fn tensor_list(items: &[Value]) -> PyResult<Vec<Tensor>> {
    let hint = items.iter().find_map(|v| match v {
        Value::Tensor(t) | Value::Array(t) => Some(t.dtype()),
        Value::Variable(v) => Some(v.dtype()),
        _ => None,
    });
    items.iter().map(|v| to_tensor(v, hint)).collect()
}

/// An int from a Python int or a single-element integer tensor.
pub fn int_of(func: &str, name: &str, v: &Value) -> PyResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        Value::Tensor(t) | Value::Array(t) if t.dtype().is_int() && t.size() == 1 && !t.is_symbolic() => {
            Ok(t.to_f64_vec()[0] as i64)
        }
        other => Err(raise("TypeError", format!("{func}(): {name} must be an int, got {}", other.type_name()))),
    }
}

/// A float from a Python number or a single-element tensor.
pub fn float_of(func: &str, name: &str, v: &Value) -> PyResult<f64> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        Value::Bool(b) => Ok(*b as i64 as f64),
        Value::Tensor(t) | Value::Array(t) if t.size() == 1 && !t.is_symbolic() => Ok(t.to_f64_vec()[0]),
        other => Err(raise("TypeError", format!("{func}(): {name} must be a number, got {}", other.type_name()))),
    }
}

/// A dtype from `tf.float32`, `np.float32`, Python's `float`/`int`/`bool`, or a name such as
/// `"float32"`.
pub fn dtype_of(v: &Value) -> PyResult<DType> {
    match v {
        Value::DType(d) => Ok(*d),
        Value::Str(s) => {
            DType::from_name(s).ok_or_else(|| raise("TypeError", format!("Cannot convert '{s}' to a DType")))
        }
        Value::Type(crate::interp::value::BuiltinType::Float) => Ok(DType::F32),
        Value::Type(crate::interp::value::BuiltinType::Int) => Ok(DType::I32),
        Value::Type(crate::interp::value::BuiltinType::Bool) => Ok(DType::Bool),
        other => crate::numpy::dtype_of(other)
            .ok_or_else(|| raise("TypeError", format!("Cannot convert {} to a DType", other.type_name()))),
    }
}

/// Ints from an int, a list/tuple, a 1-D integer tensor or a fully known `TensorShape`.
pub fn ints_of(v: &Value) -> PyResult<Vec<i64>> {
    if let Some(dims) = shape::dims_of(v) {
        return match dims {
            Some(d) if d.iter().all(Option::is_some) => Ok(d.into_iter().flatten().collect()),
            _ => Err(raise("ValueError", "Cannot convert a partially known TensorShape to a list of ints")),
        };
    }
    match v {
        Value::Tensor(t) | Value::Array(t) if t.is_symbolic() => Err(raise(
            "TypeError",
            "expected a list of ints known while tracing, got a symbolic tensor (its value is computed later)",
        )),
        Value::Tensor(t) | Value::Array(t) if !t.dtype().is_int() => {
            Err(raise("TypeError", format!("expected an int or a list of ints, got a {} tensor", t.dtype())))
        }
        Value::List(_) | Value::Tuple(_) => {
            let items = match v {
                Value::List(l) => l.borrow().clone(),
                Value::Tuple(t) => t.to_vec(),
                _ => Vec::new(),
            };
            items.iter().map(|x| int_of("shape", "element", x)).collect()
        }
        _ => convert::int_list(v),
    }
}

/// Non-negative dims from ints (a shape argument).
pub fn dims(func: &str, v: &[i64]) -> PyResult<Vec<usize>> {
    v.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                raise("InvalidArgumentError", format!("{func}: dimensions must be non-negative, got shape {v:?}"))
            })
        })
        .collect()
}

/// A tensor value.
pub fn t(x: Tensor) -> Value {
    Value::Tensor(x)
}

/// A list of tensor values.
pub fn list(xs: Vec<Tensor>) -> Value {
    Value::list(xs.into_iter().map(Value::Tensor).collect())
}

/// Two operands as tensors: a Python value takes the other operand's dtype, as TF converts.
pub fn pair(p: &Params, a: &str, b: &str) -> PyResult<(Tensor, Tensor)> {
    let (x, y) = (p.req(a)?, p.req(b)?);
    let hint = |v: &Value| match v {
        Value::Tensor(t) | Value::Array(t) => Some(t.dtype()),
        Value::Variable(v) => Some(v.dtype()),
        _ => None,
    };
    let tx = to_tensor(&x, hint(&y))?;
    let ty = to_tensor(&y, Some(tx.dtype()))?;
    Ok((tx, ty))
}
