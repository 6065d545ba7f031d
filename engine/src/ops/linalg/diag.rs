//! Diagonals and bands of (batches of) matrices: `matrix_diag`, `matrix_diag_part`,
//! `matrix_set_diag`, `matrix_band_part`, and `trace` built from them. One diagonal at a time:
//! `k` is the offset (0 main, > 0 above, < 0 below).

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::ops::reduce::reduce_sum;
use crate::ops::{array, execute1, expect_arity, expect_same_dtype, GradCtx, OpDef, Spec};
use crate::shape::{self, Dim, Dims};
use crate::tensor::{Element, Tensor};
use crate::{with_any, DType};

/// An integer attribute, `default` when absent.
fn int_or(attrs: &Attrs, op: &str, name: &str, default: i64) -> Result<i64> {
    match attrs.get(name) {
        None => Ok(default),
        Some(Attr::Int(v)) => Ok(*v),
        Some(other) => Err(Error::invalid(op, format!("attribute `{name}` must be an int, got {other:?}"))),
    }
}

/// Where diagonal `k` of a `rows x cols` matrix starts, and how long it is.
#[derive(Clone, Copy, Debug)]
struct Diagonal {
    row0: usize,
    col0: usize,
    len: usize,
}

impl Diagonal {
    /// Diagonal `k` of a `rows x cols` matrix (empty when `k` lies outside it).
    fn of(rows: usize, cols: usize, k: i64) -> Diagonal {
        let row0 = usize::try_from(k.saturating_neg().max(0)).unwrap_or(usize::MAX);
        let col0 = usize::try_from(k.max(0)).unwrap_or(usize::MAX);
        Diagonal { row0, col0, len: rows.saturating_sub(row0).min(cols.saturating_sub(col0)) }
    }
}

/// Fails unless the matrix part of `x` has rank >= 2.
fn expect_matrix(op: &str, x: &Spec) -> Result<(Dim, Dim)> {
    let r = x.rank();
    if r < 2 {
        return Err(Error::invalid(
            op,
            format!("input must have rank >= 2 (a matrix or a batch of them), got {}", x.describe()),
        ));
    }
    Ok((x.dims[r - 2], x.dims[r - 1]))
}

/// Fails unless diagonal `k` exists in a `rows x cols` matrix (`k = 0` always does).
fn check_offset(op: &str, x: &Spec, k: i64, rows: Dim, cols: Dim) -> Result<()> {
    let (Some(m), Some(n)) = (rows, cols) else { return Ok(()) };
    let (m, n) = (m as i64, n as i64);
    if k != 0 && !(-m < k && k < n) {
        return Err(Error::invalid(
            op,
            format!(
                "diagonal offset k = {k} is out of bounds for {}: it must be greater than {} and less than {n}",
                x.describe(),
                -m
            ),
        ));
    }
    Ok(())
}

/// The diagonal length of `x`'s matrices at offset `k`, when their shape is known.
fn diagonal_len(rows: Dim, cols: Dim, k: i64) -> Dim {
    Some(Diagonal::of(rows?, cols?, k).len)
}

// ---------------------------------------------------------------------------------------------
// matrix_diag

/// Output rows and columns of `matrix_diag` by TensorFlow's `MatrixDiagV3` rules.
fn diag_size(op: &str, len: usize, k: i64, num_rows: i64, num_cols: i64) -> Result<(usize, usize)> {
    let len = len as i64;
    let too_big = || Error::invalid(op, format!("diagonal offset k = {k} is too large"));
    let min_rows = len.checked_add(k.checked_neg().ok_or_else(too_big)?.max(0)).ok_or_else(too_big)?;
    let min_cols = len.checked_add(k.max(0)).ok_or_else(too_big)?;
    let (rows, cols) = match (num_rows, num_cols) {
        (-1, -1) => (min_rows.max(min_cols), min_rows.max(min_cols)),
        (-1, c) => (min_rows, c),
        (r, -1) => (r, min_cols),
        (r, c) => (r, c),
    };
    if rows < min_rows {
        return Err(Error::invalid(
            op,
            format!("num_rows = {rows} is too small: diagonal {k} of length {len} needs at least {min_rows} rows"),
        ));
    }
    if cols < min_cols {
        return Err(Error::invalid(
            op,
            format!("num_cols = {cols} is too small: diagonal {k} of length {len} needs at least {min_cols} columns"),
        ));
    }
    if rows != min_rows && cols != min_cols {
        return Err(Error::invalid(
            op,
            format!(
                "num_rows = {rows} and num_cols = {cols} are not consistent with diagonal {k} of length {len}: \
                 one of them must be the least that fits it ({min_rows} rows or {min_cols} columns)"
            ),
        ));
    }
    let to_usize = |v: i64| usize::try_from(v).map_err(|_| too_big());
    Ok((to_usize(rows)?, to_usize(cols)?))
}

fn diag_attrs(a: &Attrs) -> Result<(i64, i64, i64, f64)> {
    const OP: &str = "matrix_diag";
    let padding = match a.get("padding_value") {
        None => 0.0,
        Some(_) => a.float(OP, "padding_value")?,
    };
    Ok((int_or(a, OP, "k", 0)?, int_or(a, OP, "num_rows", -1)?, int_or(a, OP, "num_cols", -1)?, padding))
}

fn infer_diag(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "matrix_diag";
    expect_arity(OP, s, 1)?;
    let d = &s[0];
    if d.rank() < 1 {
        return Err(Error::invalid(OP, format!("diagonal must have rank >= 1, got {}", d.describe())));
    }
    let (k, num_rows, num_cols, _) = diag_attrs(a)?;
    let mut dims: Dims = d.dims[..d.rank() - 1].into();
    match d.dims[d.rank() - 1] {
        Some(len) => {
            let (r, c) = diag_size(OP, len, k, num_rows, num_cols)?;
            dims.push(Some(r));
            dims.push(Some(c));
        }
        None => {
            dims.push(usize::try_from(num_rows).ok());
            dims.push(usize::try_from(num_cols).ok());
        }
    }
    Ok(vec![Spec { dtype: d.dtype, dims }])
}

fn diag_typed<T: Element + Default>(d: &Tensor, k: i64, rows: usize, cols: usize, pad: T) -> Result<Tensor> {
    let sh = d.shape();
    let len = sh[sh.len() - 1];
    let batch = shape::num_elements(&sh[..sh.len() - 1]);
    let mut out = vec![pad; batch * rows * cols];
    let g = Diagonal::of(rows, cols, k);
    let src = d.as_slice::<T>()?;
    if len > 0 {
        for (b, vals) in src.chunks_exact(len).enumerate() {
            let m = &mut out[b * rows * cols..(b + 1) * rows * cols];
            for (i, &v) in vals.iter().enumerate().take(g.len) {
                m[(g.row0 + i) * cols + g.col0 + i] = v;
            }
        }
    }
    let mut osh = sh[..sh.len() - 1].to_vec();
    osh.extend([rows, cols]);
    Tensor::from_vec(out, &osh)
}

/// `tf.linalg.diag` (`MatrixDiagV3` with one diagonal): matrices with `diagonal`'s last axis on
/// diagonal `k` and `padding_value` elsewhere; `num_rows`/`num_cols` of -1 are inferred.
pub static MATRIX_DIAG: OpDef = OpDef {
    name: "matrix_diag",
    infer: infer_diag,
    kernel: |i, a, o| {
        let (k, _, _, pad) = diag_attrs(a)?;
        let osh = o[0].shape().ok_or_else(|| Error::invalid("matrix_diag", "output shape unknown"))?;
        let (rows, cols) = (osh[osh.len() - 2], osh[osh.len() - 1]);
        let d = &i[0];
        let t = with_any!(d.dtype(), T => diag_typed::<T>(d, k, rows, cols, T::from_f64(pad))?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let (k, _, _, _) = diag_attrs(c.attrs)?;
        Ok(vec![Some(matrix_diag_part(&c.grad(0)?, k)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Options of [`matrix_diag`] beyond the diagonal (TensorFlow's defaults: `k = 0`, sizes -1
/// inferred, padding 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiagOptions {
    /// Diagonal offset.
    pub k: i64,
    /// Rows of the result, -1 for the least that fits.
    pub num_rows: i64,
    /// Columns of the result, -1 for the least that fits.
    pub num_cols: i64,
    /// Value off the diagonal.
    pub padding_value: f64,
}

impl Default for DiagOptions {
    fn default() -> Self {
        DiagOptions { k: 0, num_rows: -1, num_cols: -1, padding_value: 0.0 }
    }
}

/// Matrices with `diagonal`'s last axis on a diagonal (`tf.linalg.diag`).
pub fn matrix_diag(diagonal: &Tensor, o: DiagOptions) -> Result<Tensor> {
    let attrs = Attrs::new()
        .with("k", Attr::Int(o.k))
        .with("num_rows", Attr::Int(o.num_rows))
        .with("num_cols", Attr::Int(o.num_cols))
        .with("padding_value", Attr::Float(o.padding_value));
    execute1(&MATRIX_DIAG, std::slice::from_ref(diagonal), attrs)
}

// ---------------------------------------------------------------------------------------------
// matrix_diag_part

fn infer_diag_part(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "matrix_diag_part";
    expect_arity(OP, s, 1)?;
    let x = &s[0];
    let (rows, cols) = expect_matrix(OP, x)?;
    let k = int_or(a, OP, "k", 0)?;
    check_offset(OP, x, k, rows, cols)?;
    let mut dims: Dims = x.dims[..x.rank() - 2].into();
    dims.push(diagonal_len(rows, cols, k));
    Ok(vec![Spec { dtype: x.dtype, dims }])
}

fn diag_part_typed<T: Element>(x: &Tensor, k: i64) -> Result<Tensor> {
    let sh = x.shape();
    let (rows, cols) = (sh[sh.len() - 2], sh[sh.len() - 1]);
    let g = Diagonal::of(rows, cols, k);
    let batch = shape::num_elements(&sh[..sh.len() - 2]);
    let src = x.as_slice::<T>()?;
    let mut out = Vec::with_capacity(batch * g.len);
    for b in 0..batch {
        let m = &src[b * rows * cols..];
        out.extend((0..g.len).map(|i| m[(g.row0 + i) * cols + g.col0 + i]));
    }
    let mut osh = sh[..sh.len() - 2].to_vec();
    osh.push(g.len);
    Tensor::from_vec(out, &osh)
}

/// `tf.linalg.diag_part` (`MatrixDiagPartV3` with one diagonal): diagonal `k` of each matrix.
pub static MATRIX_DIAG_PART: OpDef = OpDef {
    name: "matrix_diag_part",
    infer: infer_diag_part,
    kernel: |i, a, _| {
        let k = int_or(a, "matrix_diag_part", "k", 0)?;
        let x = &i[0];
        Ok(vec![with_any!(x.dtype(), T => diag_part_typed::<T>(x, k)?)])
    },
    grad: Some(|c: &GradCtx| {
        let k = int_or(c.attrs, "matrix_diag_part", "k", 0)?;
        let zeros = array::zeros_like(&c.inputs[0])?;
        Ok(vec![Some(matrix_set_diag(&zeros, &c.grad(0)?, k)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Diagonal `k` of each matrix in the last two axes (`tf.linalg.diag_part`).
pub fn matrix_diag_part(x: &Tensor, k: i64) -> Result<Tensor> {
    execute1(&MATRIX_DIAG_PART, std::slice::from_ref(x), Attrs::new().with("k", Attr::Int(k)))
}

/// The sum of the main diagonal of each matrix in the last two axes (`tf.linalg.trace`).
pub fn trace(x: &Tensor) -> Result<Tensor> {
    reduce_sum(&matrix_diag_part(x, 0)?, Some(&[-1]), false)
}

// ---------------------------------------------------------------------------------------------
// matrix_set_diag

fn infer_set_diag(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "matrix_set_diag";
    expect_arity(OP, s, 2)?;
    let (x, d) = (&s[0], &s[1]);
    expect_same_dtype(OP, x, d)?;
    let (rows, cols) = expect_matrix(OP, x)?;
    let k = int_or(a, OP, "k", 0)?;
    check_offset(OP, x, k, rows, cols)?;
    let mut want: Dims = x.dims[..x.rank() - 2].into();
    want.push(diagonal_len(rows, cols, k));
    let fits = shape::dims_compatible(&d.dims, &want);
    if !fits {
        return Err(Error::invalid(
            OP,
            format!(
                "diagonal {} does not fit diagonal {k} of input {}: its shape must be {}",
                d.describe(),
                x.describe(),
                shape::fmt_dims(&want)
            ),
        ));
    }
    Ok(vec![x.clone()])
}

fn set_diag_typed<T: Element>(x: &Tensor, d: &Tensor, k: i64) -> Result<Tensor> {
    let sh = x.shape();
    let (rows, cols) = (sh[sh.len() - 2], sh[sh.len() - 1]);
    let g = Diagonal::of(rows, cols, k);
    let mut out = x.as_slice::<T>()?.to_vec();
    let vals = d.as_slice::<T>()?;
    if g.len > 0 && rows * cols > 0 {
        for (m, v) in out.chunks_exact_mut(rows * cols).zip(vals.chunks_exact(g.len)) {
            for (i, &e) in v.iter().enumerate() {
                m[(g.row0 + i) * cols + g.col0 + i] = e;
            }
        }
    }
    Tensor::from_vec(out, sh)
}

/// `tf.linalg.set_diag` (`MatrixSetDiagV3` with one diagonal): `input` with diagonal `k` of
/// each matrix replaced by `diagonal`.
pub static MATRIX_SET_DIAG: OpDef = OpDef {
    name: "matrix_set_diag",
    infer: infer_set_diag,
    kernel: |i, a, _| {
        let k = int_or(a, "matrix_set_diag", "k", 0)?;
        let (x, d) = (&i[0], &i[1]);
        Ok(vec![with_any!(x.dtype(), T => set_diag_typed::<T>(x, d, k)?)])
    },
    grad: Some(|c: &GradCtx| {
        let k = int_or(c.attrs, "matrix_set_diag", "k", 0)?;
        let g = c.grad(0)?;
        let gx = matrix_set_diag(&g, &array::zeros_like(&c.inputs[1])?, k)?;
        Ok(vec![Some(gx), Some(matrix_diag_part(&g, k)?)])
    }),
    stateful: false,
    inplace: None,
};

/// `input` with diagonal `k` of each matrix replaced by `diagonal` (`tf.linalg.set_diag`).
pub fn matrix_set_diag(input: &Tensor, diagonal: &Tensor, k: i64) -> Result<Tensor> {
    execute1(&MATRIX_SET_DIAG, &[input.clone(), diagonal.clone()], Attrs::new().with("k", Attr::Int(k)))
}

// ---------------------------------------------------------------------------------------------
// matrix_band_part

fn infer_band_part(s: &[Spec], _: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "matrix_band_part";
    expect_arity(OP, s, 3)?;
    let x = &s[0];
    expect_matrix(OP, x)?;
    for (name, b) in [("num_lower", &s[1]), ("num_upper", &s[2])] {
        if !matches!(b.dtype, DType::I32 | DType::I64) || b.rank() != 0 {
            return Err(Error::invalid(OP, format!("{name} must be an int32 or int64 scalar, got {}", b.describe())));
        }
    }
    if s[1].dtype != s[2].dtype {
        return Err(Error::invalid(
            OP,
            format!("num_lower ({}) and num_upper ({}) must have the same dtype", s[1].describe(), s[2].describe()),
        ));
    }
    Ok(vec![x.clone()])
}

fn band_typed<T: Element + Default>(x: &Tensor, lower: i64, upper: i64) -> Result<Tensor> {
    let sh = x.shape();
    let (rows, cols) = (sh[sh.len() - 2], sh[sh.len() - 1]);
    let mut out = x.as_slice::<T>()?.to_vec();
    if rows * cols > 0 {
        for m in out.chunks_exact_mut(rows * cols) {
            for (i, row) in m.chunks_exact_mut(cols).enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    let below = i as i64 - j as i64;
                    if (lower >= 0 && below > lower) || (upper >= 0 && -below > upper) {
                        *v = T::default();
                    }
                }
            }
        }
    }
    Tensor::from_vec(out, sh)
}

/// `tf.linalg.band_part` (`MatrixBandPart`): keeps `num_lower` subdiagonals and `num_upper`
/// superdiagonals of each matrix (a negative count keeps that whole triangle), zeros the rest.
pub static MATRIX_BAND_PART: OpDef = OpDef {
    name: "matrix_band_part",
    infer: infer_band_part,
    kernel: |i, _, _| {
        const OP: &str = "matrix_band_part";
        let x = &i[0];
        let sh = x.shape();
        let (rows, cols) = (sh[sh.len() - 2] as i64, sh[sh.len() - 1] as i64);
        let count = |t: &Tensor| -> Result<i64> {
            match t.dtype() {
                DType::I32 => Ok(i64::from(t.item::<i32>()?)),
                _ => t.item::<i64>(),
            }
        };
        let (lower, upper) = (count(&i[1])?, count(&i[2])?);
        if lower > rows {
            return Err(Error::invalid(
                OP,
                format!(
                    "num_lower must be negative or at most the number of rows ({rows}), got {lower} for input {}{}",
                    x.dtype(),
                    shape::fmt_dims(&x.dims())
                ),
            ));
        }
        if upper > cols {
            return Err(Error::invalid(
                OP,
                format!(
                    "num_upper must be negative or at most the number of columns ({cols}), got {upper} for input {}{}",
                    x.dtype(),
                    shape::fmt_dims(&x.dims())
                ),
            ));
        }
        Ok(vec![with_any!(x.dtype(), T => band_typed::<T>(x, lower, upper)?)])
    },
    grad: Some(|c: &GradCtx| {
        let g = matrix_band_part(&c.grad(0)?, &c.inputs[1], &c.inputs[2])?;
        Ok(vec![Some(g), None, None])
    }),
    stateful: false,
    inplace: None,
};

/// Keeps a band of each matrix in the last two axes (`tf.linalg.band_part`); `num_lower` and
/// `num_upper` are int32 or int64 scalars, negative for a whole triangle.
pub fn matrix_band_part(input: &Tensor, num_lower: &Tensor, num_upper: &Tensor) -> Result<Tensor> {
    execute1(&MATRIX_BAND_PART, &[input.clone(), num_lower.clone(), num_upper.clone()], Attrs::new())
}
