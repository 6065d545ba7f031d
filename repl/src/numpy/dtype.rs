//! NumPy's scalar types (`np.float32`) and dtype objects (`arr.dtype`).

use crate::interp::exceptions::{engine_error, raise, PyResult};
use crate::interp::value::{Args, Builtin, BuiltinType, NativeObject, Value};
use crate::interp::Interp;
use std::rc::Rc;
use tensile::DType;

/// NumPy's spelling of an element type (`bool` is `bool_` as a type).
fn np_name(d: DType) -> &'static str {
    d.name()
}

/// `np.float32`: a scalar type, callable to make a scalar or cast an array.
pub struct NpType(pub DType);

/// `arr.dtype`: prints as `float32`, reprs as `dtype('float32')`.
pub struct NpDType(pub DType);

impl NativeObject for NpType {
    fn type_name(&self) -> &str {
        "type"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        match name {
            "__call__" => {
                Some(Value::Builtin(Rc::new(Builtin { name: "scalar_type", f: call_type, bound: Some(this.clone()) })))
            }
            "__name__" => Some(Value::str(if self.0 == DType::Bool { "bool" } else { np_name(self.0) })),
            _ => None,
        }
    }
    fn repr(&self) -> String {
        format!("<class 'numpy.{}'>", if self.0 == DType::Bool { "bool" } else { np_name(self.0) })
    }
    fn eq(&self, other: &Value) -> Option<bool> {
        dtype_of(other).map(|d| d == self.0)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl NativeObject for NpDType {
    fn type_name(&self) -> &str {
        "numpy.dtype"
    }
    fn get_attr(&self, _: &Value, name: &str) -> Option<Value> {
        match name {
            "name" => Some(Value::str(np_name(self.0))),
            "itemsize" => Some(Value::Int(match self.0 {
                DType::F32 | DType::I32 => 4,
                DType::F64 | DType::I64 => 8,
                DType::Bool => 1,
            })),
            "kind" => Some(Value::str(match self.0 {
                DType::F32 | DType::F64 => "f",
                DType::I32 | DType::I64 => "i",
                DType::Bool => "b",
            })),
            "type" => Some(Value::Native(Rc::new(NpType(self.0)))),
            _ => None,
        }
    }
    fn repr(&self) -> String {
        format!("dtype('{}')", np_name(self.0))
    }
    fn str(&self) -> String {
        np_name(self.0).to_string()
    }
    fn eq(&self, other: &Value) -> Option<bool> {
        dtype_of(other).map(|d| d == self.0)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The element type a value names: numpy types and dtypes, `tf` dtypes, dtype names, and
/// Python's `float`/`int`/`bool` (NumPy's float64/int64/bool).
pub fn dtype_of(v: &Value) -> Option<DType> {
    match v {
        Value::DType(d) => Some(*d),
        Value::Str(s) => DType::from_name(s).or(match &**s {
            "float" | "double" => Some(DType::F64),
            "int" => Some(DType::I64),
            "bool_" => Some(DType::Bool),
            _ => None,
        }),
        Value::Type(BuiltinType::Float) => Some(DType::F64),
        Value::Type(BuiltinType::Int) => Some(DType::I64),
        Value::Type(BuiltinType::Bool) => Some(DType::Bool),
        Value::Native(n) => {
            let any = n.as_any();
            any.downcast_ref::<NpType>().map(|t| t.0).or_else(|| any.downcast_ref::<NpDType>().map(|t| t.0))
        }
        _ => None,
    }
}

/// The `dtype=` argument of a NumPy function, if given.
pub fn dtype_arg(a: &Args, i: usize) -> PyResult<Option<DType>> {
    match a.get(i, "dtype") {
        None | Some(Value::None) => Ok(None),
        Some(v) => {
            dtype_of(&v).map(Some).ok_or_else(|| raise("TypeError", "Cannot interpret the value as a data type"))
        }
    }
}

/// `np.float32(x)`: a scalar from a number, or an array cast to the type.
fn call_type(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let d = this.and_then(dtype_of).ok_or_else(|| raise("TypeError", "not a numpy type"))?;
    let x = a.get(0, "x").unwrap_or(Value::Int(0));
    let t = super::convert::to_array(&x, None)?;
    let t = if t.dtype() == d { t } else { tensile::ops::math::cast(&t, d).map_err(engine_error)? };
    Ok(Value::Array(t))
}
