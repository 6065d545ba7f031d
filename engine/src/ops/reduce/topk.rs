//! `top_k` along the last axis, and the last-axis gather/scatter pair its gradient is written with.

use super::out_shape;
use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::reduce::topk::{gather_last, scatter_add_last, top_k as top_k_kernel, BadIndex};
use crate::ops::{execute, execute1, expect_arity, expect_dtype_in, GradCtx, OpDef, Spec, NUMERIC};
use crate::shape::Dims;
use crate::tensor::Tensor;
use crate::{with_any, with_numeric};

const INDEX_DTYPES: &[DType] = &[DType::I32, DType::I64];

/// Size of the last dimension of an eager tensor (0 for a scalar).
fn last_dim(t: &Tensor) -> usize {
    t.shape().last().copied().unwrap_or(0)
}

/// Rows (product of the leading dimensions) of an eager tensor.
fn rows(t: &Tensor) -> usize {
    t.shape().split_last().map_or(1, |(_, lead)| lead.iter().product())
}

fn bad_index(op: &str, e: BadIndex, n: usize, indices: &Tensor) -> Error {
    Error::invalid(
        op,
        format!(
            "index {} at flat position {} of the {}{:?} indices is out of range: expected [0, {n})",
            e.value,
            e.position,
            indices.dtype(),
            indices.shape()
        ),
    )
}

fn infer_top_k(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "top_k";
    if s.len() == 2 {
        // TensorFlow's TopKV2: `k` is a scalar input, known only when the graph runs.
        expect_dtype_in(OP, &s[1], INDEX_DTYPES)?;
        if s[1].rank() != 0 || s[0].rank() == 0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "expected an input of rank >= 1 and a scalar k, got {} and {}",
                    s[0].describe(),
                    s[1].describe()
                ),
            ));
        }
        let mut dims = s[0].dims.clone();
        if let Some(d) = dims.last_mut() {
            *d = None;
        }
        return Ok(vec![Spec { dtype: s[0].dtype, dims: dims.clone() }, Spec { dtype: DType::I32, dims }]);
    }
    expect_arity(OP, s, 1)?;
    expect_dtype_in(OP, &s[0], NUMERIC)?;
    let k = a.int(OP, "k")?;
    let Some(&last) = s[0].dims.last() else {
        return Err(Error::invalid(
            OP,
            format!("input must have at least 1 dimension, got a {} tensor", s[0].describe()),
        ));
    };
    if k < 0 {
        return Err(Error::invalid(OP, format!("k must be non-negative, got {k}")));
    }
    if let Some(n) = last {
        if k as u64 > n as u64 {
            return Err(Error::invalid(
                OP,
                format!("k = {k} is larger than the last dimension ({n}) of the {} input", s[0].describe()),
            ));
        }
    }
    let mut dims = s[0].dims.clone();
    if let Some(d) = dims.last_mut() {
        *d = Some(k as usize);
    }
    Ok(vec![Spec { dtype: s[0].dtype, dims: dims.clone() }, Spec { dtype: DType::I32, dims }])
}

/// Registry entry of `top_k` (`tf.math.top_k`): outputs values and int32 indices.
pub static TOP_K: OpDef = OpDef {
    name: "top_k",
    infer: infer_top_k,
    kernel: |i, a, o| {
        const OP: &str = "top_k";
        let x = &i[0];
        let n = last_dim(x);
        if n > i32::MAX as usize {
            return Err(Error::invalid(OP, format!("last dimension {n} is too large for int32 indices")));
        }
        let (k, osh) = match i.get(1) {
            None => (a.int(OP, "k")?.max(0) as usize, out_shape(OP, &o[0])?),
            Some(k) => {
                let k = crate::ops::indexing::index_values(OP, k)?[0];
                let k = usize::try_from(k).ok().filter(|&k| k <= n).ok_or_else(|| {
                    Error::invalid(OP, format!("k = {k} must be in [0, {n}], the last dimension of the input"))
                })?;
                let mut osh = x.shape().to_vec();
                if let Some(d) = osh.last_mut() {
                    *d = k;
                }
                (k, osh)
            }
        };
        let (values, indices) = with_numeric!(x.dtype(), T => {
            let (v, ix) = top_k_kernel(x.as_slice::<T>()?, n, k);
            (Tensor::from_vec(v, &osh)?, Tensor::from_vec(ix, &osh)?)
        }, bool => return Err(Error::invalid(OP, "bool tensors are not supported")));
        Ok(vec![values, indices])
    },
    grad: Some(|c: &GradCtx| {
        // Each selected value's gradient goes back to the position it was taken from.
        let g = c.grad(0)?;
        let dx = scatter_last_axis_like(&g, &c.outputs[1], &c.inputs[0])?;
        Ok(std::iter::once(Some(dx)).chain(c.inputs[1..].iter().map(|_| None)).collect())
    }),
    stateful: false,
    inplace: None,
};

/// The `k` largest entries along the last axis and their int32 indices (`tf.math.top_k`).
///
/// Values come out in descending order (also when `sorted` is false, where TensorFlow leaves the
/// order unspecified); equal values keep the lower index first; NaN ranks above every number.
pub fn top_k(x: &Tensor, k: i64, sorted: bool) -> Result<(Tensor, Tensor)> {
    let attrs = Attrs::new().with("k", Attr::Int(k)).with("sorted", Attr::Bool(sorted));
    let mut out = execute(&TOP_K, std::slice::from_ref(x), attrs)?.into_iter();
    match (out.next(), out.next()) {
        (Some(v), Some(i)) => Ok((v, i)),
        _ => Err(Error::new(crate::ErrorKind::Internal, "top_k", "expected two outputs")),
    }
}

/// [`top_k`] with `k` an int32/int64 scalar tensor, which a traced function may know only at
/// run time (`tf.math.top_k(x, k=tf.shape(x)[-1] // 2)`).
pub fn top_k_dynamic(x: &Tensor, k: &Tensor, sorted: bool) -> Result<(Tensor, Tensor)> {
    let attrs = Attrs::new().with("k", Attr::Int(-1)).with("sorted", Attr::Bool(sorted));
    let mut out = execute(&TOP_K, &[x.clone(), k.clone()], attrs)?.into_iter();
    match (out.next(), out.next()) {
        (Some(v), Some(i)) => Ok((v, i)),
        _ => Err(Error::new(crate::ErrorKind::Internal, "top_k", "expected two outputs")),
    }
}

/// Checks that `a` and `b` have the same rank and agree on the leading dims; returns the merged
/// leading dims (known where either is known).
fn leading_dims(op: &str, a: &Spec, b: &Spec, what: &str) -> Result<Dims> {
    let compatible = a.rank() == b.rank()
        && a.rank() >= 1
        && crate::shape::dims_compatible(&a.dims[..a.rank() - 1], &b.dims[..b.rank() - 1]);
    if !compatible {
        return Err(Error::invalid(
            op,
            format!(
                "{what}: got {} and {}; expected equal ranks of at least 1 and equal leading dimensions",
                a.describe(),
                b.describe()
            ),
        ));
    }
    Ok(a.dims[..a.rank() - 1].iter().zip(&b.dims[..b.rank() - 1]).map(|(x, y)| x.or(*y)).collect())
}

/// Registry entry of `gather_last_axis`.
pub static GATHER_LAST_AXIS: OpDef = OpDef {
    name: "gather_last_axis",
    infer: |s, _| {
        const OP: &str = "gather_last_axis";
        expect_arity(OP, s, 2)?;
        expect_dtype_in(OP, &s[1], INDEX_DTYPES)?;
        let mut dims = leading_dims(OP, &s[0], &s[1], "params and indices")?;
        dims.push(s[1].dims[s[1].rank() - 1]);
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, _, o| {
        const OP: &str = "gather_last_axis";
        let (x, ix) = (&i[0], &i[1]);
        let n = last_dim(x);
        let idx = crate::ops::indexing::index_values(OP, ix)?;
        let osh = out_shape(OP, &o[0])?;
        let t = with_any!(x.dtype(), T => {
            let v = gather_last(x.as_slice::<T>()?, n, &idx, last_dim(ix)).map_err(|e| bad_index(OP, e, n, ix))?;
            Tensor::from_vec(v, &osh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| Ok(vec![Some(scatter_last_axis_like(&c.grad(0)?, &c.inputs[1], &c.inputs[0])?), None])),
    stateful: false,
    inplace: None,
};

/// `out[..., j] = params[..., indices[..., j]]`: picks entries along the last axis, row by row
/// (`tf.gather(params, indices, axis=-1, batch_dims=rank-1)`).
pub fn gather_last_axis(params: &Tensor, indices: &Tensor) -> Result<Tensor> {
    execute1(&GATHER_LAST_AXIS, &[params.clone(), indices.clone()], Attrs::new())
}

/// Registry entry of `scatter_last_axis`: inputs `(updates, indices)` and attribute `n`, or,
/// when `n` is known only at run time, attribute `n = -1` and a third input whose last
/// dimension is `n` (only its shape is read).
pub static SCATTER_LAST_AXIS: OpDef = OpDef {
    name: "scatter_last_axis",
    infer: |s, a| {
        const OP: &str = "scatter_last_axis";
        if s.len() != 2 && s.len() != 3 {
            return Err(Error::invalid(OP, format!("expected 2 inputs (or 3 with a size input), got {}", s.len())));
        }
        expect_dtype_in(OP, &s[0], NUMERIC)?;
        expect_dtype_in(OP, &s[1], INDEX_DTYPES)?;
        let mut dims = leading_dims(OP, &s[0], &s[1], "updates and indices")?;
        let (ku, ki) = (s[0].dims[s[0].rank() - 1], s[1].dims[s[1].rank() - 1]);
        if ku.is_some() && ki.is_some() && ku != ki {
            return Err(Error::invalid(
                OP,
                format!("updates {} and indices {} must have the same shape", s[0].describe(), s[1].describe()),
            ));
        }
        let n = a.int(OP, "n")?;
        let n = match s.get(2) {
            None if n >= 0 => Some(n as usize),
            None => return Err(Error::invalid(OP, format!("n must be non-negative, got {n}"))),
            Some(like) => {
                let last = like.dims.last().copied().ok_or_else(|| {
                    Error::invalid(
                        OP,
                        format!("the size input must have at least 1 dimension, got {}", like.describe()),
                    )
                })?;
                match n {
                    -1 => last,
                    n if n >= 0 && last.is_none_or(|l| l as i64 == n) => Some(n as usize),
                    n => {
                        return Err(Error::invalid(
                            OP,
                            format!(
                                "n = {n} must be -1 (taken from the size input) or the last dimension of the size \
                                 input {}",
                                like.describe()
                            ),
                        ))
                    }
                }
            }
        };
        dims.push(n);
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, _, o| {
        const OP: &str = "scatter_last_axis";
        let (u, ix) = (&i[0], &i[1]);
        let osh = out_shape(OP, &o[0])?;
        let n = osh.last().copied().unwrap_or(0);
        let idx = crate::ops::indexing::index_values(OP, ix)?;
        let t = with_numeric!(u.dtype(), T => {
            let v = scatter_add_last(u.as_slice::<T>()?, &idx, rows(u), n).map_err(|e| bad_index(OP, e, n, ix))?;
            Tensor::from_vec(v, &osh)?
        }, bool => return Err(Error::invalid(OP, "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let mut grads = vec![Some(gather_last_axis(&c.grad(0)?, &c.inputs[1])?), None];
        grads.resize(c.inputs.len(), None);
        Ok(grads)
    }),
    stateful: false,
    inplace: None,
};

/// Zeros of shape `[..., n]` with `updates[..., j]` added at `[..., indices[..., j]]`: the
/// transpose of [`gather_last_axis`].
pub fn scatter_last_axis(updates: &Tensor, indices: &Tensor, n: usize) -> Result<Tensor> {
    let attrs = Attrs::new().with("n", Attr::Int(n as i64));
    execute1(&SCATTER_LAST_AXIS, &[updates.clone(), indices.clone()], attrs)
}

/// [`scatter_last_axis`] into as many positions as the last dimension of `like`, which a
/// traced function may know only at run time.
pub fn scatter_last_axis_like(updates: &Tensor, indices: &Tensor, like: &Tensor) -> Result<Tensor> {
    match like.dims().last() {
        Some(Some(n)) => scatter_last_axis(updates, indices, *n),
        _ => {
            let attrs = Attrs::new().with("n", Attr::Int(-1));
            execute1(&SCATTER_LAST_AXIS, &[updates.clone(), indices.clone(), like.clone()], attrs)
        }
    }
}
