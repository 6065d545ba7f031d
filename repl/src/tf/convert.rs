//! Conversions between language values and tensors, with TensorFlow's defaults: Python
//! floats become float32, ints int32, bools bool; nested lists must be rectangular.

use crate::interp::exceptions::{engine_error, raise, PyResult};
use crate::interp::value::Value;
use tensile::{DType, Tensor};

#[derive(PartialEq, PartialOrd, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Float,
}

fn flatten(
    v: &Value,
    depth: usize,
    shape: &mut Vec<usize>,
    out: &mut Vec<f64>,
    kind: &mut Option<Kind>,
) -> PyResult<()> {
    let items: Vec<Value> = match v {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        Value::Bool(b) => return leaf(*b as i64 as f64, Kind::Bool, depth, shape, out, kind),
        Value::Int(i) => return leaf(*i as f64, Kind::Int, depth, shape, out, kind),
        Value::Float(f) => return leaf(*f, Kind::Float, depth, shape, out, kind),
        Value::Tensor(t) | Value::Array(t) if t.rank() == 0 => {
            let k = if t.dtype().is_float() {
                Kind::Float
            } else if t.dtype() == DType::Bool {
                Kind::Bool
            } else {
                Kind::Int
            };
            let x = t.to_f64_vec().first().copied().ok_or_else(|| {
                raise("ValueError", "a traced tensor has no value to convert yet (it is computed when the graph runs)")
            })?;
            return leaf(x, k, depth, shape, out, kind);
        }
        other => {
            return Err(raise(
                "ValueError",
                format!("Attempt to convert a value ({}) with an unsupported type to a Tensor.", other.type_name()),
            ))
        }
    };
    if shape.len() == depth {
        shape.push(items.len());
    } else if shape.len() < depth || shape[depth] != items.len() {
        return Err(raise("ValueError", "Can't convert non-rectangular Python sequence to Tensor."));
    }
    for x in &items {
        flatten(x, depth + 1, shape, out, kind)?;
    }
    Ok(())
}

fn leaf(x: f64, k: Kind, depth: usize, shape: &[usize], out: &mut Vec<f64>, kind: &mut Option<Kind>) -> PyResult<()> {
    if shape.len() != depth {
        return Err(raise("ValueError", "Can't convert non-rectangular Python sequence to Tensor."));
    }
    *kind = Some(match *kind {
        Some(prev) if prev > k => prev,
        _ => k,
    });
    out.push(x);
    Ok(())
}

/// The dtype of the first traced tensor in `v` or nested in its lists and tuples, if any.
pub fn traced_dtype(v: &Value) -> Option<DType> {
    match v {
        Value::List(l) => l.borrow().iter().find_map(traced_dtype),
        Value::Tuple(t) => t.iter().find_map(traced_dtype),
        Value::Tensor(t) if t.is_symbolic() => Some(t.dtype()),
        _ => None,
    }
}

/// A list holding traced tensors (`[tf.shape(x)[0], 1]`) packed into one tensor along a new
/// axis 0 per nesting level, as TensorFlow packs it; Python numbers take the tensors' dtype.
fn pack(v: &Value, dtype: DType) -> PyResult<Tensor> {
    let items: Vec<Value> = match v {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        other => return to_tensor(other, Some(dtype)),
    };
    let parts = items.iter().map(|x| pack(x, dtype)).collect::<PyResult<Vec<_>>>()?;
    if let Some(p) = parts.iter().find(|p| p.dtype() != dtype) {
        return Err(raise(
            "TypeError",
            format!("cannot pack a {} tensor with {} tensors into one tensor", p.dtype().name(), dtype.name()),
        ));
    }
    tensile::ops::array::stack(&parts, 0).map_err(engine_error)
}

/// Converts a value to a tensor; Python numbers take `hint`'s dtype when given.
pub fn to_tensor(v: &Value, hint: Option<DType>) -> PyResult<Tensor> {
    match v {
        Value::Tensor(t) | Value::Array(t) => return Ok(t.clone()),
        Value::Variable(var) => return Ok(var.read_value()),
        Value::List(_) | Value::Tuple(_) => {
            if let Some(dtype) = traced_dtype(v) {
                return pack(v, dtype);
            }
        }
        _ => {}
    }
    let mut shape = Vec::new();
    let mut data = Vec::new();
    let mut kind = None;
    flatten(v, 0, &mut shape, &mut data, &mut kind)?;
    let inferred = match kind {
        Some(Kind::Bool) => DType::Bool,
        Some(Kind::Int) => DType::I32,
        Some(Kind::Float) | None => DType::F32,
    };
    let dtype = match hint {
        Some(h) if h.is_int() && kind == Some(Kind::Float) && data.iter().any(|x| x.fract() != 0.0) => {
            let bad = data.iter().find(|x| x.fract() != 0.0).copied().unwrap_or_default();
            return Err(raise(
                "TypeError",
                format!(
                    "Cannot convert {} to EagerTensor of dtype {}",
                    crate::interp::format::float_repr(bad),
                    h.name()
                ),
            ));
        }
        Some(h) if h == DType::Bool && kind != Some(Kind::Bool) => inferred,
        Some(h) => h,
        None => inferred,
    };
    if dtype == DType::I32 && data.iter().any(|x| *x > i32::MAX as f64 || *x < i32::MIN as f64) {
        return Err(raise("ValueError", "Can't convert Python int to int32 tensor: value out of range"));
    }
    let t = match dtype {
        DType::F32 => Tensor::from_vec(data.iter().map(|x| *x as f32).collect(), &shape),
        DType::F64 => Tensor::from_vec(data, &shape),
        DType::I32 => Tensor::from_vec(data.iter().map(|x| *x as i32).collect(), &shape),
        DType::I64 => Tensor::from_vec(data.iter().map(|x| *x as i64).collect(), &shape),
        DType::Bool => Tensor::from_vec(data.iter().map(|x| *x != 0.0).collect(), &shape),
    };
    t.map_err(engine_error)
}

/// The Python scalar of a single-element tensor (`float(t)`, f-string specs).
pub fn scalar_value(v: &Value) -> PyResult<Value> {
    let t = to_tensor(v, None)?;
    t.expect_eager("item").map_err(engine_error)?;
    if t.size() != 1 {
        return Err(raise("TypeError", "only single-element tensors can be converted to Python scalars"));
    }
    let x = t.to_f64_vec()[0];
    Ok(match t.dtype() {
        DType::F32 | DType::F64 => Value::Float(x),
        DType::Bool => Value::Bool(x != 0.0),
        DType::I32 | DType::I64 => Value::Int(x as i64),
    })
}

/// Integers from an int or a list/tuple of ints (axes, shapes).
pub fn int_list(v: &Value) -> PyResult<Vec<i64>> {
    match v {
        Value::Int(i) => Ok(vec![*i]),
        Value::List(_) | Value::Tuple(_) => {
            let items = match v {
                Value::List(l) => l.borrow().clone(),
                Value::Tuple(t) => t.to_vec(),
                _ => unreachable!("matched a sequence"),
            };
            items
                .iter()
                .map(|x| match x {
                    Value::Int(i) => Ok(*i),
                    other => Err(raise("TypeError", format!("expected an int, got {}", other.type_name()))),
                })
                .collect()
        }
        Value::Tensor(t) => Ok(t.to_f64_vec().into_iter().map(|x| x as i64).collect()),
        other => Err(raise("TypeError", format!("expected an int or a list of ints, got {}", other.type_name()))),
    }
}

/// `array.tolist()`: nested lists of Python scalars.
pub fn to_list(t: &Tensor) -> PyResult<Value> {
    let vals = t.to_f64_vec();
    let conv = |x: f64| match t.dtype() {
        DType::F32 | DType::F64 => Value::Float(x),
        DType::Bool => Value::Bool(x != 0.0),
        _ => Value::Int(x as i64),
    };
    fn build(vals: &[f64], shape: &[usize], conv: &dyn Fn(f64) -> Value) -> Value {
        match shape.split_first() {
            None => conv(vals[0]),
            Some((n, rest)) => {
                let step = rest.iter().product::<usize>();
                Value::list((0..*n).map(|i| build(&vals[i * step..], rest, conv)).collect())
            }
        }
    }
    if t.size() == 0 {
        return Ok(Value::list(vec![]));
    }
    Ok(build(&vals, t.shape(), &conv))
}
