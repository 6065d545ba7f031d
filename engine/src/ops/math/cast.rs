//! `tf.cast`: dtype conversion.

use crate::attrs::{Attr, Attrs};
use crate::error::Result;
use crate::kernels::elementwise::map;
use crate::ops::{execute1, expect_arity, OpDef, Spec};
use crate::tensor::{Storage, Tensor};
use crate::DType;

// A named function rather than `x != Default::default()`: with serde_json linked, the latter's
// comparison type is ambiguous.
fn is_nonzero<T: Default + PartialEq>(x: T) -> bool {
    x != T::default()
}

fn convert(s: &Storage, to: DType) -> Result<Storage> {
    macro_rules! from {
        ($v:expr) => {
            match to {
                DType::F32 => Storage::F32(map($v, |x| x as f32)?),
                DType::F64 => Storage::F64(map($v, |x| x as f64)?),
                DType::I32 => Storage::I32(map($v, |x| x as i32)?),
                DType::I64 => Storage::I64(map($v, |x| x as i64)?),
                DType::Bool => Storage::Bool(map($v, is_nonzero)?),
            }
        };
    }
    Ok(match s {
        Storage::F32(v) => from!(v.as_slice()),
        Storage::F64(v) => from!(v.as_slice()),
        Storage::I32(v) => from!(v.as_slice()),
        Storage::I64(v) => from!(v.as_slice()),
        Storage::Bool(v) => {
            let bytes: Vec<u8> = v.iter().map(|&b| b as u8).collect();
            from!(bytes.as_slice())
        }
    })
}

/// Registry entry of `cast`.
pub static CAST: OpDef = OpDef {
    name: "cast",
    infer: |s, a| {
        expect_arity("cast", s, 1)?;
        Ok(vec![Spec { dtype: a.dtype("cast", "dtype")?, dims: s[0].dims.clone() }])
    },
    kernel: |i, a, _| {
        let to = a.dtype("cast", "dtype")?;
        if i[0].dtype() == to {
            return Ok(vec![i[0].fresh()]);
        }
        Ok(vec![Tensor::from_storage(convert(i[0].storage(), to)?, i[0].shape())?])
    },
    grad: Some(|c| {
        let from = c.inputs[0].dtype();
        if !from.is_float() {
            return Ok(vec![None]);
        }
        Ok(vec![Some(cast(&c.grad(0)?, from)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Converts `x` to `dtype` (`tf.cast`): floats truncate toward zero when cast to integers,
/// nonzero values become `true`.
pub fn cast(x: &Tensor, dtype: DType) -> Result<Tensor> {
    execute1(&CAST, std::slice::from_ref(x), Attrs::new().with("dtype", Attr::DType(dtype)))
}
