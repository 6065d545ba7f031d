//! Values to arrays with NumPy's defaults: Python floats become float64, ints int64.

use crate::interp::exceptions::{engine_error, PyResult};
use crate::interp::value::Value;
use crate::tf::to_tensor;
use tensile::{DType, Tensor};

/// Converts a value to an array tensor; `dtype` casts (as `np.array(x, dtype=...)`).
///
/// Tensors and arrays keep their dtype; Python data takes NumPy's wide defaults.
pub fn to_array(v: &Value, dtype: Option<DType>) -> PyResult<Tensor> {
    let t = match v {
        Value::Tensor(_) | Value::Array(_) | Value::Variable(_) => to_tensor(v, None)?,
        _ => {
            // Inferring with TF's narrow defaults first tells the kind (bool, int, float); an
            // int too large for int32 is still an int. `dtype` casts afterwards, as NumPy
            // truncates floats given an int dtype.
            let wide = match to_tensor(v, None) {
                Ok(t) => widen(t.dtype()),
                Err(_) => DType::I64,
            };
            to_tensor(v, Some(wide))?
        }
    };
    match dtype {
        Some(d) if d != t.dtype() => tensile::ops::math::cast(&t, d).map_err(engine_error),
        _ => Ok(t),
    }
}

/// NumPy's default for a kind: float64 for floats, int64 for ints.
pub fn widen(d: DType) -> DType {
    match d {
        DType::F32 => DType::F64,
        DType::I32 => DType::I64,
        other => other,
    }
}

/// Shape from an int or a sequence of ints (`np.zeros(3)`, `np.zeros((2, 3))`).
pub fn shape_arg(v: &Value) -> PyResult<Vec<usize>> {
    let dims = crate::tf::int_list(v)?;
    dims.iter()
        .map(|&d| {
            usize::try_from(d)
                .map_err(|_| crate::interp::exceptions::raise("ValueError", "negative dimensions are not allowed"))
        })
        .collect()
}
