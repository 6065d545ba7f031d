//! `tf.unique` and `tf.unique_with_counts`: the distinct elements of a vector in order of first
//! occurrence, where each element went, and how often each value occurs.

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{execute, expect_arity, OpDef, Spec};
use crate::shape::Dims;
use crate::tensor::{Storage, Tensor};
use crate::with_any;
use std::collections::HashMap;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&UNIQUE, &UNIQUE_WITH_COUNTS];

/// Checks the input vector and the index dtype; returns the output specs (`with_counts` adds
/// the counts output).
fn infer(op: &str, s: &[Spec], a: &Attrs, with_counts: bool) -> Result<Vec<Spec>> {
    expect_arity(op, s, 1)?;
    let x = &s[0];
    if x.rank() != 1 {
        return Err(Error::invalid(op, format!("{op} expects a 1D vector, got {}", x.describe())));
    }
    let idx = a.dtype(op, "out_idx")?;
    if !matches!(idx, DType::I32 | DType::I64) {
        return Err(Error::invalid(op, format!("out_idx must be int32 or int64, got {idx}")));
    }
    let unknown: Dims = std::iter::once(None).collect();
    let mut out = vec![Spec { dtype: x.dtype, dims: unknown.clone() }, Spec { dtype: idx, dims: x.dims.clone() }];
    if with_counts {
        out.push(Spec { dtype: idx, dims: unknown });
    }
    Ok(out)
}

/// A hashable identity of each element: equal values share a key (`-0.0` equals `0.0`), and
/// NaN has none since it equals nothing, itself included.
fn keys(x: &Tensor) -> Result<Vec<Option<u64>>> {
    Ok(match x.storage() {
        Storage::F32(v) => {
            v.iter().map(|&f| (!f.is_nan()).then(|| if f == 0.0 { 0 } else { f.to_bits() as u64 })).collect()
        }
        Storage::F64(v) => v.iter().map(|&f| (!f.is_nan()).then(|| if f == 0.0 { 0 } else { f.to_bits() })).collect(),
        Storage::I32(v) => v.iter().map(|&i| Some(i as u32 as u64)).collect(),
        Storage::I64(v) => v.iter().map(|&i| Some(i as u64)).collect(),
        Storage::Bool(v) => v.iter().map(|&b| Some(b as u64)).collect(),
    })
}

/// An index vector of `dtype` (int32 or int64), failing when a value does not fit.
fn index_tensor(op: &str, v: Vec<usize>, dtype: DType) -> Result<Tensor> {
    let n = v.len();
    match dtype {
        DType::I32 => {
            let w = v
                .into_iter()
                .map(|i| i32::try_from(i).map_err(|_| Error::invalid(op, format!("{i} does not fit in out_idx int32"))))
                .collect::<Result<Vec<i32>>>()?;
            Tensor::from_vec(w, &[n])
        }
        _ => Tensor::from_vec(v.into_iter().map(|i| i as i64).collect::<Vec<i64>>(), &[n]),
    }
}

fn kernel(op: &str, i: &[Tensor], a: &Attrs, with_counts: bool) -> Result<Vec<Tensor>> {
    let x = &i[0];
    let idx_dtype = a.dtype(op, "out_idx")?;
    let mut slot_of: HashMap<u64, usize> = HashMap::new();
    let mut first = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    let mut idx = Vec::with_capacity(x.size());
    for (p, key) in keys(x)?.into_iter().enumerate() {
        let next = first.len();
        let slot = match key {
            Some(k) => *slot_of.entry(k).or_insert(next),
            None => next,
        };
        if slot == next {
            first.push(p);
            counts.push(0);
        }
        counts[slot] += 1;
        idx.push(slot);
    }
    let y = with_any!(x.dtype(), T => {
        let v = x.as_slice::<T>()?;
        Tensor::from_vec(first.iter().map(|&p| v[p]).collect::<Vec<T>>(), &[first.len()])?
    });
    let mut out = vec![y, index_tensor(op, idx, idx_dtype)?];
    if with_counts {
        out.push(index_tensor(op, counts, idx_dtype)?);
    }
    Ok(out)
}

/// `tf.unique`: outputs `y` (the distinct values) and `idx` (`x[i] == y[idx[i]]`).
pub static UNIQUE: OpDef = OpDef {
    name: "unique",
    infer: |s, a| infer("unique", s, a, false),
    kernel: |i, a, _| kernel("unique", i, a, false),
    grad: None,
    stateful: false,
    inplace: None,
};

/// `tf.unique_with_counts`: `unique`'s outputs plus `count` (occurrences of each `y`).
pub static UNIQUE_WITH_COUNTS: OpDef = OpDef {
    name: "unique_with_counts",
    infer: |s, a| infer("unique_with_counts", s, a, true),
    kernel: |i, a, _| kernel("unique_with_counts", i, a, true),
    grad: None,
    stateful: false,
    inplace: None,
};

/// `tf.unique(x, out_idx)`: `(y, idx)` for a 1-D `x`; `out_idx` is int32 or int64.
pub fn unique(x: &Tensor, out_idx: DType) -> Result<(Tensor, Tensor)> {
    let mut out = execute(&UNIQUE, std::slice::from_ref(x), Attrs::new().with("out_idx", Attr::DType(out_idx)))?;
    let idx = out.pop();
    match (out.pop(), idx) {
        (Some(y), Some(idx)) => Ok((y, idx)),
        _ => Err(Error::new(crate::ErrorKind::Internal, "unique", "expected two outputs")),
    }
}

/// `tf.unique_with_counts(x, out_idx)`: `(y, idx, count)` for a 1-D `x`.
pub fn unique_with_counts(x: &Tensor, out_idx: DType) -> Result<(Tensor, Tensor, Tensor)> {
    let attrs = Attrs::new().with("out_idx", Attr::DType(out_idx));
    let out = execute(&UNIQUE_WITH_COUNTS, std::slice::from_ref(x), attrs)?;
    match <[Tensor; 3]>::try_from(out) {
        Ok([y, idx, count]) => Ok((y, idx, count)),
        Err(_) => Err(Error::new(crate::ErrorKind::Internal, "unique_with_counts", "expected three outputs")),
    }
}
