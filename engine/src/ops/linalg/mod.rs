//! Linear algebra ops (TensorFlow's `tf.linalg`): `matmul`, `einsum`, `tensordot`, norms;
//! inverses and determinants by LU factorization; diagonals and bands.

mod diag;
mod inverse;

pub use diag::*;
pub use inverse::*;

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::elementwise::alloc_out;
use crate::kernels::elementwise::broadcast_strides;
use crate::kernels::gemm::{batched_matmul, strided_sum, BatchOffsets, MatDims, MatElem, Strides};
use crate::ops::array::RUN_TIME_DIM;
use crate::ops::reduce::reduce_sum;
use crate::ops::shape_like::{self, unbroadcast_operand};
use crate::ops::{array, execute1, expect_arity, expect_dtype_in, expect_same_dtype, math, GradCtx, OpDef, Spec};
use crate::shape::{self, Dim, Dims};
use crate::tensor::{Element, Tensor};
use crate::with_numeric;
use std::borrow::Cow;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[
    &MATMUL,
    &EINSUM,
    &MATRIX_INVERSE,
    &MATRIX_DETERMINANT,
    &LOG_MATRIX_DETERMINANT,
    &MATRIX_DIAG,
    &MATRIX_DIAG_PART,
    &MATRIX_SET_DIAG,
    &MATRIX_BAND_PART,
];

// ---------------------------------------------------------------------------------------------
// matmul

fn transposes(attrs: &Attrs) -> (bool, bool) {
    (attrs.bool_or("transpose_a", false), attrs.bool_or("transpose_b", false))
}

fn infer_matmul(s: &[Spec], attrs: &Attrs) -> Result<Vec<Spec>> {
    expect_arity("matmul", s, 2)?;
    let (a, b) = (&s[0], &s[1]);
    expect_same_dtype("matmul", a, b)?;
    expect_dtype_in("matmul", a, crate::ops::NUMERIC)?;
    let (ta, tb) = transposes(attrs);
    let flags = || format!("transpose_a={ta}, transpose_b={tb}");
    if a.rank() < 2 || b.rank() < 2 {
        return Err(Error::invalid(
            "matmul",
            format!(
                "both operands must have rank >= 2 (matrices or batches of matrices), got {} and {}",
                a.describe(),
                b.describe()
            ),
        ));
    }
    let (ra, rb) = (a.rank(), b.rank());
    let (m, ka) = if ta { (a.dims[ra - 1], a.dims[ra - 2]) } else { (a.dims[ra - 2], a.dims[ra - 1]) };
    let (kb, n) = if tb { (b.dims[rb - 1], b.dims[rb - 2]) } else { (b.dims[rb - 2], b.dims[rb - 1]) };
    if let (Some(x), Some(y)) = (ka, kb) {
        if x != y {
            return Err(Error::invalid(
                "matmul",
                format!(
                    "cannot multiply {} by {} ({}): the contracted dimensions {x} and {y} must be equal",
                    a.describe(),
                    b.describe(),
                    flags()
                ),
            ));
        }
    }
    let mut dims = shape::broadcast_dims(&a.dims[..ra - 2], &b.dims[..rb - 2]).ok_or_else(|| {
        Error::invalid(
            "matmul",
            format!(
                "cannot multiply {} by {} ({}): batch dimensions {} and {} do not broadcast",
                a.describe(),
                b.describe(),
                flags(),
                shape::fmt_dims(&a.dims[..ra - 2]),
                shape::fmt_dims(&b.dims[..rb - 2])
            ),
        )
    })?;
    dims.push(m);
    dims.push(n);
    Ok(vec![Spec { dtype: a.dtype, dims }])
}

fn matmul_typed<T: MatElem + Element>(a: &Tensor, b: &Tensor, ta: bool, tb: bool, osh: &[usize]) -> Result<Tensor> {
    let (ash, bsh) = (a.shape(), b.shape());
    let (ra, rb, ro) = (ash.len(), bsh.len(), osh.len());
    // Checked first: with an empty output, operand sizes below could overflow.
    shape::check_allocation("matmul", a.dtype(), osh)?;
    if shape::num_elements(osh) == 0 {
        return Tensor::from_vec(Vec::<T>::new(), osh);
    }
    let (ar, ac, br, bc) = (ash[ra - 2], ash[ra - 1], bsh[rb - 2], bsh[rb - 1]);
    let d = MatDims {
        m: if ta { ac } else { ar },
        n: if tb { br } else { bc },
        k: if ta { ar } else { ac },
        a: Strides::stored(ac, ta),
        b: Strides::stored(bc, tb),
    };
    let out_batch = &osh[..ro - 2];
    let count = shape::num_elements(out_batch);
    let batch = if ash[..ra - 2] == *out_batch && bsh[..rb - 2] == *out_batch {
        BatchOffsets::dense(count, ar * ac, br * bc)
    } else {
        let steps = |sh: &[usize], size: usize| -> Vec<usize> {
            broadcast_strides(sh, out_batch).into_iter().map(|s| s * size).collect()
        };
        BatchOffsets {
            dims: out_batch.into(),
            a_steps: steps(&ash[..ra - 2], ar * ac).into(),
            b_steps: steps(&bsh[..rb - 2], br * bc).into(),
        }
    };
    let n = shape::num_elements(osh);
    let mut out: Vec<T> = alloc_out(n);
    batched_matmul(&d, a.as_slice::<T>()?, b.as_slice::<T>()?, &batch, &mut out.spare_capacity_mut()[..n])?;
    // SAFETY: `batched_matmul` succeeded, so it wrote all `n` elements.
    unsafe { out.set_len(n) };
    Tensor::from_vec(out, osh)
}

fn matmul_grad(c: &GradCtx) -> Result<Vec<Option<Tensor>>> {
    let g = c.grad(0)?;
    let (a, b) = (&c.inputs[0], &c.inputs[1]);
    let (ga, gb) = match transposes(c.attrs) {
        (false, false) => (matmul_t(&g, b, false, true)?, matmul_t(a, &g, true, false)?),
        (false, true) => (matmul_t(&g, b, false, false)?, matmul_t(&g, a, true, false)?),
        (true, false) => (matmul_t(b, &g, false, true)?, matmul_t(a, &g, false, false)?),
        (true, true) => (matmul_t(b, &g, true, true)?, matmul_t(&g, a, true, true)?),
    };
    // Only batch dimensions broadcast: the matrix dimensions of each operand are its own.
    let batch_of = |t: &Tensor| -> crate::shape::Dims {
        let d = t.dims();
        d[..d.len().saturating_sub(2)].iter().copied().chain([Some(1), Some(1)]).collect()
    };
    Ok(vec![Some(unbroadcast_operand(&ga, a, &[batch_of(b)])?), Some(unbroadcast_operand(&gb, b, &[batch_of(a)])?)])
}

/// `tf.linalg.matmul`: (batched) matrix product with optional transposes; batch dimensions
/// broadcast as in NumPy.
pub static MATMUL: OpDef = OpDef {
    name: "matmul",
    infer: infer_matmul,
    kernel: |i, a, o| {
        let (ta, tb) = transposes(a);
        let osh = o[0].shape().ok_or_else(|| Error::invalid("matmul", "output shape unknown"))?;
        let t = with_numeric!(i[0].dtype(), T => matmul_typed::<T>(&i[0], &i[1], ta, tb, &osh)?,
            bool => return Err(Error::invalid("matmul", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(matmul_grad),
    stateful: false,
    inplace: None,
};

/// Matrix product `a @ b` over the last two axes (`tf.matmul`).
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    matmul_t(a, b, false, false)
}

/// Matrix product with TensorFlow's `transpose_a` / `transpose_b` flags (no copy is made).
pub fn matmul_t(a: &Tensor, b: &Tensor, transpose_a: bool, transpose_b: bool) -> Result<Tensor> {
    let attrs = Attrs::new().with("transpose_a", Attr::Bool(transpose_a)).with("transpose_b", Attr::Bool(transpose_b));
    execute1(&MATMUL, &[a.clone(), b.clone()], attrs)
}

// ---------------------------------------------------------------------------------------------
// einsum

/// One subscript of an equation: axis labels with at most one ellipsis.
#[derive(Clone, Debug, PartialEq)]
struct Term {
    labels: Vec<u8>,
    /// Position in `labels` where `...` stands.
    ellipsis: Option<usize>,
}

impl Term {
    fn render(&self) -> String {
        let mut s = String::new();
        for (i, &l) in self.labels.iter().enumerate() {
            if self.ellipsis == Some(i) {
                s.push_str("...");
            }
            s.push(l as char);
        }
        if self.ellipsis == Some(self.labels.len()) {
            s.push_str("...");
        }
        s
    }
}

#[derive(Clone, Debug)]
struct Equation {
    inputs: Vec<Term>,
    output: Term,
}

fn parse_term(eq: &str, text: &str) -> Result<Term> {
    let mut t = Term { labels: Vec::new(), ellipsis: None };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'.' {
            if bytes.get(i..i + 3) != Some(b"...") || t.ellipsis.is_some() {
                return Err(Error::invalid(
                    "einsum",
                    format!("invalid equation '{eq}': '.' may only appear as a single '...' per subscript"),
                ));
            }
            t.ellipsis = Some(t.labels.len());
            i += 3;
        } else if c.is_ascii_alphabetic() {
            t.labels.push(c);
            i += 1;
        } else {
            return Err(Error::invalid(
                "einsum",
                format!(
                    "invalid equation '{eq}': unexpected character '{}' (labels are letters a-z, A-Z)",
                    text[i..].chars().next().unwrap_or('?')
                ),
            ));
        }
    }
    Ok(t)
}

fn parse_equation(eq: &str, n_operands: usize) -> Result<Equation> {
    let compact: String = eq.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match compact.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (compact.as_str(), None),
    };
    let inputs = lhs.split(',').map(|t| parse_term(eq, t)).collect::<Result<Vec<_>>>()?;
    if inputs.len() != n_operands {
        return Err(Error::invalid(
            "einsum",
            format!("equation '{eq}' has {} input subscripts but {n_operands} operands were given", inputs.len()),
        ));
    }
    let output = match rhs {
        Some(r) => {
            if r.contains("->") {
                return Err(Error::invalid("einsum", format!("invalid equation '{eq}': more than one '->'")));
            }
            let out = parse_term(eq, r)?;
            for (i, &l) in out.labels.iter().enumerate() {
                if out.labels[..i].contains(&l) {
                    return Err(Error::invalid(
                        "einsum",
                        format!("invalid equation '{eq}': output label '{}' appears more than once", l as char),
                    ));
                }
                if !inputs.iter().any(|t| t.labels.contains(&l)) {
                    return Err(Error::invalid(
                        "einsum",
                        format!("invalid equation '{eq}': output label '{}' does not appear in any input", l as char),
                    ));
                }
            }
            out
        }
        None => {
            // Implicit mode: labels that appear exactly once, sorted, after any broadcast axes.
            let mut once: Vec<u8> = Vec::new();
            for t in &inputs {
                for &l in &t.labels {
                    let n: usize = inputs.iter().map(|u| u.labels.iter().filter(|&&x| x == l).count()).sum();
                    if n == 1 {
                        once.push(l);
                    }
                }
            }
            once.sort_unstable();
            let ell = inputs.iter().any(|t| t.ellipsis.is_some()).then_some(0);
            Term { labels: once, ellipsis: ell }
        }
    };
    Ok(Equation { inputs, output })
}

/// Labels at or above this id stand for the axes an ellipsis covers (right-aligned).
const ELL: u32 = 128;

/// An equation bound to operand ranks: a label id per axis and each label's size.
#[derive(Clone, Debug)]
struct Resolved {
    ops: Vec<Vec<u32>>,
    out: Vec<u32>,
    /// Size of every label id (`None` inside when unknown while tracing; outer `None` = unused).
    sizes: Vec<Option<Dim>>,
}

impl Resolved {
    fn size(&self, l: u32) -> usize {
        self.sizes.get(l as usize).copied().flatten().flatten().unwrap_or(1)
    }
}

fn resolve(eqs: &str, eq: &Equation, dims: &[&[Dim]]) -> Result<Resolved> {
    let mut extra = Vec::with_capacity(dims.len());
    for (k, (t, d)) in eq.inputs.iter().zip(dims).enumerate() {
        let named = t.labels.len();
        let ok = if t.ellipsis.is_some() { d.len() >= named } else { d.len() == named };
        if !ok {
            return Err(Error::invalid(
                "einsum",
                format!(
                    "equation '{eqs}': subscript '{}' of operand {k} has {named} labels{} but the operand has rank {} (shape {})",
                    t.render(),
                    if t.ellipsis.is_some() { " and an ellipsis" } else { "" },
                    d.len(),
                    shape::fmt_dims(d)
                ),
            ));
        }
        extra.push(d.len() - named);
    }
    let ell_rank = extra.iter().copied().max().unwrap_or(0);
    let mut sizes: Vec<Option<Dim>> = vec![None; ELL as usize + ell_rank];
    let mut ops = Vec::with_capacity(dims.len());
    for (k, (t, d)) in eq.inputs.iter().zip(dims).enumerate() {
        let mut ids: Vec<u32> = Vec::with_capacity(d.len());
        for (i, &l) in t.labels.iter().enumerate() {
            if t.ellipsis == Some(i) {
                ids.extend((0..extra[k]).map(|j| ELL + (ell_rank - extra[k] + j) as u32));
            }
            ids.push(l as u32);
        }
        if t.ellipsis == Some(t.labels.len()) {
            ids.extend((0..extra[k]).map(|j| ELL + (ell_rank - extra[k] + j) as u32));
        }
        for (ax, &id) in ids.iter().enumerate() {
            let new = d[ax];
            let slot = &mut sizes[id as usize];
            let merged = match *slot {
                None => Some(new),
                Some(old) if id >= ELL => match (old, new) {
                    (Some(x), Some(y)) if x == y => Some(Some(x)),
                    (Some(1), y) | (y, Some(1)) => Some(y),
                    (Some(x), None) | (None, Some(x)) => Some(Some(x)),
                    (None, None) => Some(None),
                    (Some(_), Some(_)) => None,
                },
                Some(old) => match (old, new) {
                    (Some(x), Some(y)) if x != y => None,
                    (Some(x), _) | (_, Some(x)) => Some(Some(x)),
                    (None, None) => Some(None),
                },
            };
            match merged {
                Some(m) => *slot = Some(m),
                None => {
                    let shapes: Vec<String> = dims.iter().map(|d| shape::fmt_dims(d)).collect();
                    let what = if id >= ELL {
                        "broadcast dimensions covered by '...' are incompatible".to_string()
                    } else {
                        format!("label '{}' has different sizes", id as u8 as char)
                    };
                    return Err(Error::invalid(
                        "einsum",
                        format!("equation '{eqs}' with operand shapes {}: {what}", shapes.join(", ")),
                    ));
                }
            }
        }
        ops.push(ids);
    }
    let mut out = Vec::new();
    for (i, &l) in eq.output.labels.iter().enumerate() {
        if eq.output.ellipsis == Some(i) {
            out.extend((0..ell_rank).map(|j| ELL + j as u32));
        }
        out.push(l as u32);
    }
    if eq.output.ellipsis == Some(eq.output.labels.len()) {
        out.extend((0..ell_rank).map(|j| ELL + j as u32));
    }
    Ok(Resolved { ops, out, sizes })
}

fn einsum_setup(attrs: &Attrs, dims: &[&[Dim]]) -> Result<(String, Resolved)> {
    let eqs = attrs.str("einsum", "equation")?.to_string();
    let eq = parse_equation(&eqs, dims.len())?;
    let r = resolve(&eqs, &eq, dims)?;
    Ok((eqs, r))
}

fn infer_einsum(s: &[Spec], attrs: &Attrs) -> Result<Vec<Spec>> {
    if s.is_empty() || s.len() > 2 {
        return Err(Error::invalid(
            "einsum",
            format!("the einsum op takes 1 or 2 operands, got {} (einsum() chains longer products)", s.len()),
        ));
    }
    expect_dtype_in("einsum", &s[0], crate::ops::NUMERIC)?;
    if s.len() == 2 {
        expect_same_dtype("einsum", &s[0], &s[1])?;
    }
    let dims: Vec<&[Dim]> = s.iter().map(|x| &x.dims[..]).collect();
    let (_, r) = einsum_setup(attrs, &dims)?;
    let out: Dims = r.out.iter().map(|&l| r.sizes[l as usize].flatten()).collect();
    Ok(vec![Spec { dtype: s[0].dtype, dims: out }])
}

/// An operand seen through its labels: broadcast axes dropped, repeated labels merged into
/// one strided (diagonal) axis.
struct View {
    labels: Vec<u32>,
    strides: Vec<usize>,
    /// True when the buffer is row-major over `labels` as is (no diagonal).
    plain: bool,
}

impl View {
    fn new(labels: &[u32], shape: &[usize], r: &Resolved) -> View {
        let st = shape::strides(shape);
        let mut v = View { labels: Vec::new(), strides: Vec::new(), plain: true };
        for (ax, &l) in labels.iter().enumerate() {
            if shape[ax] == 1 && r.size(l) != 1 {
                continue;
            }
            match v.labels.iter().position(|&x| x == l) {
                Some(p) => {
                    v.strides[p] += st[ax];
                    v.plain = false;
                }
                None => {
                    v.labels.push(l);
                    v.strides.push(st[ax]);
                }
            }
        }
        v
    }

    fn has(&self, l: u32) -> bool {
        self.labels.contains(&l)
    }

    fn stride(&self, l: u32) -> usize {
        self.labels.iter().position(|&x| x == l).map_or(0, |p| self.strides[p])
    }

    /// The data laid out row-major over `order`, summing the view's other labels.
    fn arrange<'a, T: MatElem>(&self, data: &'a [T], order: &[u32], r: &Resolved) -> Result<Cow<'a, [T]>> {
        if self.plain && self.labels == order {
            return Ok(Cow::Borrowed(data));
        }
        if self.plain && order.len() == self.labels.len() && order.iter().all(|l| self.has(*l)) {
            // A pure permutation: the tiled transpose kernel beats a strided gather.
            let sizes: Vec<usize> = self.labels.iter().map(|&l| r.size(l)).collect();
            let perm: Vec<usize> = order.iter().map(|l| self.labels.iter().position(|x| x == l).unwrap_or(0)).collect();
            if shape::num_elements(&sizes) == data.len() {
                return Ok(Cow::Owned(crate::kernels::layout::transpose(data, &sizes, &perm)));
            }
        }
        let keep: Vec<(usize, usize)> = order.iter().map(|&l| (r.size(l), self.stride(l))).collect();
        let sum: Vec<(usize, usize)> = self
            .labels
            .iter()
            .zip(&self.strides)
            .filter(|(l, _)| !order.contains(l))
            .map(|(&l, &s)| (r.size(l), s))
            .collect();
        Ok(Cow::Owned(strided_sum(data, &keep, &sum)?))
    }
}

fn einsum_typed<T: MatElem + Element>(inputs: &[Tensor], r: &Resolved, osh: &[usize]) -> Result<Tensor> {
    let a = &inputs[0];
    // Intermediates are never larger than an operand or the output, so this bounds them all.
    shape::check_allocation("einsum", a.dtype(), osh)?;
    if shape::num_elements(osh) == 0 {
        return Tensor::from_vec(Vec::<T>::new(), osh);
    }
    let va = View::new(&r.ops[0], a.shape(), r);
    if inputs.len() == 1 {
        let data = va.arrange(a.as_slice::<T>()?, &r.out, r)?;
        return Tensor::from_vec(data.into_owned(), osh);
    }
    let b = &inputs[1];
    let vb = View::new(&r.ops[1], b.shape(), r);
    let out = &r.out;
    let batch: Vec<u32> = out.iter().copied().filter(|&l| va.has(l) && vb.has(l)).collect();
    let free_a: Vec<u32> = out.iter().copied().filter(|&l| va.has(l) && !vb.has(l)).collect();
    let free_b: Vec<u32> = out.iter().copied().filter(|&l| vb.has(l) && !va.has(l)).collect();
    let contr: Vec<u32> = va.labels.iter().copied().filter(|&l| vb.has(l) && !out.contains(&l)).collect();
    // Saturating: an empty operand may have huge sizes elsewhere (the product is then 0).
    let prod = |ls: &[u32]| -> usize {
        let sizes = ls.iter().map(|&l| r.size(l));
        if sizes.clone().any(|d| d == 0) {
            0
        } else {
            sizes.fold(1usize, usize::saturating_mul)
        }
    };
    let (nb, m, n, k) = (prod(&batch), prod(&free_a), prod(&free_b), prod(&contr));

    // Each operand is used in place when it already is [batch, rows, cols] in either
    // orientation; otherwise it is gathered once into the canonical order.
    let (a_n, a_t) = ([&batch[..], &free_a, &contr].concat(), [&batch[..], &contr, &free_a].concat());
    let ta = va.plain && va.labels == a_t && va.labels != a_n;
    let a_data = va.arrange(a.as_slice::<T>()?, if ta { &a_t } else { &a_n }, r)?;
    let (b_n, b_t) = ([&batch[..], &contr, &free_b].concat(), [&batch[..], &free_b, &contr].concat());
    let tb = vb.plain && vb.labels == b_t && vb.labels != b_n;
    let b_data = vb.arrange(b.as_slice::<T>()?, if tb { &b_t } else { &b_n }, r)?;

    let mut res: Vec<T> = alloc_out(nb * m * n);
    if m == 1 && n == 1 && k == 1 {
        res.extend(a_data.iter().zip(b_data.iter()).map(|(&x, &y)| T::mul_add(T::default(), x, y)));
    } else {
        let d = MatDims {
            m,
            n,
            k,
            a: Strides::stored(if ta { m } else { k }, ta),
            b: Strides::stored(if tb { k } else { n }, tb),
        };
        let len = nb * m * n;
        batched_matmul(
            &d,
            &a_data,
            &b_data,
            &BatchOffsets::dense(nb, m * k, k * n),
            &mut res.spare_capacity_mut()[..len],
        )?;
        // SAFETY: `batched_matmul` succeeded, so it wrote all `len` elements.
        unsafe { res.set_len(len) };
    }
    let res_labels = [&batch[..], &free_a, &free_b].concat();
    if res_labels == *out {
        return Tensor::from_vec(res, osh);
    }
    let rv = View {
        strides: shape::strides(&res_labels.iter().map(|&l| r.size(l)).collect::<Vec<_>>()).to_vec(),
        labels: res_labels,
        plain: true,
    };
    Tensor::from_vec(rv.arrange(&res, out, r)?.into_owned(), osh)
}

/// Letters for every label id of a resolved equation: named labels keep theirs, axes under an
/// ellipsis get unused ones (so gradient equations can name them).
struct Letters {
    map: Vec<Option<u8>>,
    free: Vec<u8>,
}

impl Letters {
    fn new(r: &Resolved) -> Letters {
        let used: Vec<u8> = (0..ELL).filter(|&l| r.sizes[l as usize].is_some()).map(|l| l as u8).collect();
        let mut free: Vec<u8> = (b'a'..=b'z').chain(b'A'..=b'Z').filter(|c| !used.contains(c)).rev().collect();
        let map = (0..r.sizes.len())
            .map(|l| match r.sizes[l] {
                None => None,
                Some(_) if (l as u32) < ELL => Some(l as u8),
                Some(_) => free.pop(),
            })
            .collect();
        Letters { map, free }
    }

    fn word(&self, ids: &[u32]) -> Result<String> {
        ids.iter()
            .map(|&l| self.map.get(l as usize).copied().flatten().map(|c| c as char))
            .collect::<Option<String>>()
            .ok_or_else(|| Error::invalid("einsum", "too many distinct axes to name with letters (at most 52)"))
    }

    fn fresh(&mut self) -> Result<u8> {
        self.free
            .pop()
            .ok_or_else(|| Error::invalid("einsum", "too many distinct axes to name with letters (at most 52)"))
    }
}

/// `x` without its `axes` (each of size 1).
fn squeeze_axes(x: &Tensor, axes: &[usize]) -> Result<Tensor> {
    if axes.is_empty() {
        return Ok(x.clone());
    }
    array::squeeze(x, Some(&axes.iter().map(|&a| a as i64).collect::<Vec<_>>()))
}

/// The size of axis `ax` of `x` as an int32 scalar (read from `tf.shape(x)` when it is known
/// only at run time).
fn axis_size(x: &Tensor, ax: usize) -> Result<Tensor> {
    match x.dims()[ax] {
        Some(n) => Ok(Tensor::from(n as i32)),
        None => crate::ops::indexing::gather(&array::shape(x)?, &Tensor::from(ax as i32), 0, 0),
    }
}

/// The 0/1 factors that spread a gradient over one label's axes of `x` (`letters` name them):
/// a ones vector for a single axis (a label summed out), else one identity matrix per pair of
/// consecutive axes (a diagonal).
fn spread_factors(x: &Tensor, axes: &[usize], letters: &[char]) -> Result<Vec<(String, Tensor)>> {
    let (dtype, single) = (x.dtype(), axes.len() == 1);
    let factor = match x.dims()[axes[0]] {
        Some(n) if single => array::ones(dtype, &[n])?,
        Some(n) => array::eye(n, None, dtype)?,
        None => {
            let n = axis_size(x, axes[0])?;
            match single {
                true => {
                    array::fill_dynamic(&array::reshape(&n, &[1])?, &Tensor::scalar_of(dtype, 1.0), &[RUN_TIME_DIM])?
                }
                false => crate::ops::array_dynamic::eye_dynamic(&n, None, dtype)?,
            }
        }
    };
    if single {
        return Ok(vec![(letters[0].to_string(), factor)]);
    }
    Ok(letters.windows(2).map(|w| (format!("{}{}", w[0], w[1]), factor.clone())).collect())
}

/// `y` (its axes `axes` of the operand, labelled by `ly`) broadcast along each ellipsis axis
/// whose size is known only at run time and may be 1 where operand `x` (labelled by `lx`) is
/// larger: the gradient equation names those axes with letters, which do not broadcast.
fn widen_broadcast_axes(y: &Tensor, axes: &[usize], ly: &[u32], x: &Tensor, lx: &[u32]) -> Result<Tensor> {
    let (yd, xd) = (y.dims(), x.dims());
    let partner = |ax: usize| lx.iter().position(|&m| ly[ax] >= ELL && m == ly[ax]);
    let widen = |k: usize| yd[k].is_none() && partner(axes[k]).is_some_and(|p| xd[p] != Some(1));
    if !(0..axes.len()).any(widen) {
        return Ok(y.clone());
    }
    let mut sizes = Vec::with_capacity(axes.len());
    let mut known = Vec::with_capacity(axes.len());
    for (k, &ax) in axes.iter().enumerate() {
        match partner(ax).filter(|_| widen(k)) {
            Some(p) => {
                sizes.push(math::maximum(&axis_size(y, k)?, &axis_size(x, p)?)?);
                known.push(xd[p].map_or(RUN_TIME_DIM, |n| n as i64));
            }
            None => {
                sizes.push(axis_size(y, k)?);
                known.push(yd[k].map_or(RUN_TIME_DIM, |n| n as i64));
            }
        }
    }
    crate::ops::array_dynamic::broadcast_to_dynamic(y, &array::stack(&sizes, 0)?, &known)
}

/// Gradient of one einsum operand: again an einsum of the output gradient with the other
/// operand, then diagonals, summed-out and broadcast axes are restored. Sizes known only at run
/// time are read from the operands when the graph runs.
fn einsum_operand_grad(r: &Resolved, x: usize, g: &Tensor, inputs: &[Tensor]) -> Result<Tensor> {
    let mut letters = Letters::new(r);
    let xd = inputs[x].dims();
    let lx = &r.ops[x];
    // A size-1 axis under a label that may be larger: broadcasting repeated it, so it drops
    // out of the gradient equation (harmless if the label turns out to be 1 as well).
    let dropped = |d: &[Dim], ls: &[u32], ax: usize| d[ax] == Some(1) && r.sizes[ls[ax] as usize] != Some(Some(1));
    let mut terms: Vec<Vec<u32>> = vec![r.out.clone()];
    let mut operands = vec![g.clone()];
    if inputs.len() == 2 {
        let y = 1 - x;
        let (yd, ly) = (inputs[y].dims(), &r.ops[y]);
        let gone: Vec<usize> = (0..ly.len()).filter(|&ax| dropped(&yd, ly, ax)).collect();
        let axes: Vec<usize> = (0..ly.len()).filter(|ax| !gone.contains(ax)).collect();
        operands.push(widen_broadcast_axes(&squeeze_axes(&inputs[y], &gone)?, &axes, ly, &inputs[x], lx)?);
        terms.push(axes.iter().map(|&ax| ly[ax]).collect());
    }
    let avail = |l: u32| terms.iter().any(|t| t.contains(&l));
    let gone: Vec<usize> = (0..lx.len()).filter(|&ax| dropped(&xd, lx, ax)).collect();
    let target: Vec<usize> = (0..lx.len()).filter(|ax| !gone.contains(ax)).collect();
    let x_target = squeeze_axes(&inputs[x], &gone)?;
    let mut uniq: Vec<u32> = Vec::new();
    let mut repeated = false;
    for &ax in &target {
        if uniq.contains(&lx[ax]) {
            repeated = true;
        } else {
            uniq.push(lx[ax]);
        }
    }
    let kept: Vec<u32> = uniq.iter().copied().filter(|&l| avail(l)).collect();
    let has_private = kept.len() < uniq.len();
    let words = terms.iter().map(|t| letters.word(t)).collect::<Result<Vec<_>>>()?;
    let eq = format!("{}->{}", words.join(","), letters.word(&kept)?);
    let gx = einsum(&eq, &operands)?;
    let full = if !repeated && !has_private {
        gx
    } else if !repeated {
        let mut spread = gx;
        for (pos, &ax) in target.iter().enumerate() {
            if !avail(lx[ax]) {
                spread = array::expand_dims(&spread, pos as i64)?;
            }
        }
        shape_like::broadcast_like(&spread, &x_target)?
    } else {
        // Spread the gradient over each diagonal (and over summed axes) with 0/1 factors.
        let mut out_word: Vec<char> = Vec::new();
        let mut factors: Vec<(String, Tensor)> = Vec::new();
        let mut done: Vec<u32> = Vec::new();
        for &ax in &target {
            let l = lx[ax];
            out_word.push(if done.contains(&l) { letters.fresh()? as char } else { letters.word(&[l])?.remove(0) });
            done.push(l);
        }
        let mut seen: Vec<u32> = Vec::new();
        for (pos, &ax) in target.iter().enumerate() {
            let l = lx[ax];
            if seen.contains(&l) {
                continue;
            }
            seen.push(l);
            let group: Vec<usize> = (pos..target.len()).filter(|&p| lx[target[p]] == l).collect();
            if group.len() > 1 || !avail(l) {
                let axes: Vec<usize> = group.iter().map(|&p| target[p]).collect();
                let names: Vec<char> = group.iter().map(|&p| out_word[p]).collect();
                factors.extend(spread_factors(&inputs[x], &axes, &names)?);
            }
        }
        let words: Vec<String> =
            std::iter::once(letters.word(&kept)?).chain(factors.iter().map(|f| f.0.clone())).collect();
        let operands: Vec<Tensor> = std::iter::once(gx).chain(factors.into_iter().map(|f| f.1)).collect();
        einsum(&format!("{}->{}", words.join(","), out_word.iter().collect::<String>()), &operands)?
    };
    // An axis known only at run time may turn out to be 1 where the other operand's is larger.
    let undecided = inputs.len() == 2
        && target.iter().any(|&ax| {
            let (l, other) = (lx[ax], &inputs[1 - x].dims());
            l >= ELL && xd[ax].is_none() && r.ops[1 - x].iter().zip(other).any(|(&m, d)| m == l && *d != Some(1))
        });
    let full = if undecided { shape_like::sum_to_like(&full, &x_target)? } else { full };
    if gone.is_empty() {
        Ok(full)
    } else {
        shape_like::reshape_like(&full, &inputs[x])
    }
}

/// `tf.einsum` with one or two operands (longer products are chained by [`einsum`]).
pub static EINSUM: OpDef = OpDef {
    name: "einsum",
    infer: infer_einsum,
    kernel: |i, a, o| {
        let dims: Vec<Dims> = i.iter().map(|t| t.dims()).collect();
        let dims: Vec<&[Dim]> = dims.iter().map(|d| &d[..]).collect();
        let (_, r) = einsum_setup(a, &dims)?;
        let osh = o[0].shape().ok_or_else(|| Error::invalid("einsum", "output shape unknown"))?;
        let t = with_numeric!(i[0].dtype(), T => einsum_typed::<T>(i, &r, &osh)?,
            bool => return Err(Error::invalid("einsum", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let dims: Vec<Dims> = c.inputs.iter().map(|t| t.dims()).collect();
        let dims: Vec<&[Dim]> = dims.iter().map(|d| &d[..]).collect();
        let (_, r) = einsum_setup(c.attrs, &dims)?;
        let g = c.grad(0)?;
        (0..c.inputs.len()).map(|x| einsum_operand_grad(&r, x, &g, c.inputs).map(Some)).collect()
    }),
    stateful: false,
    inplace: None,
};

/// Einstein summation (`tf.einsum`): e.g. `"ij,jk->ik"`, `"bij,bjk->bik"`, `"ii->i"`,
/// `"...ij,...jk->...ik"`, or implicit output `"ij,jk"`. More than two operands are
/// contracted pairwise from the left.
pub fn einsum(equation: &str, inputs: &[Tensor]) -> Result<Tensor> {
    let attrs = |eq: String| Attrs::new().with("equation", Attr::Str(eq));
    if inputs.len() <= 2 {
        return execute1(&EINSUM, inputs, attrs(equation.to_string()));
    }
    let eq = parse_equation(equation, inputs.len())?;
    let mut cur = inputs[0].clone();
    let mut cur_term = eq.inputs[0].clone();
    for k in 1..inputs.len() {
        let next = &eq.inputs[k];
        let res = if k + 1 == inputs.len() {
            eq.output.clone()
        } else {
            let later =
                |l: &u8| eq.output.labels.contains(l) || eq.inputs[k + 1..].iter().any(|t| t.labels.contains(l));
            let mut labels: Vec<u8> = Vec::new();
            for &l in cur_term.labels.iter().chain(&next.labels) {
                if later(&l) && !labels.contains(&l) {
                    labels.push(l);
                }
            }
            let ell = (cur_term.ellipsis.is_some() || next.ellipsis.is_some()).then_some(0);
            Term { labels, ellipsis: ell }
        };
        let step = format!("{},{}->{}", cur_term.render(), next.render(), res.render());
        cur = execute1(&EINSUM, &[cur, inputs[k].clone()], attrs(step))?;
        cur_term = res;
    }
    Ok(cur)
}

// ---------------------------------------------------------------------------------------------
// tensordot

/// Which axes `tensordot` contracts.
#[derive(Clone, Debug, PartialEq)]
pub enum TensordotAxes {
    /// The last `n` axes of `a` with the first `n` axes of `b`.
    Count(usize),
    /// Explicit axis lists (negative counts from the end), paired in order.
    Lists(Vec<i64>, Vec<i64>),
}

impl From<usize> for TensordotAxes {
    fn from(n: usize) -> Self {
        TensordotAxes::Count(n)
    }
}

impl From<(i64, i64)> for TensordotAxes {
    fn from((a, b): (i64, i64)) -> Self {
        TensordotAxes::Lists(vec![a], vec![b])
    }
}

impl From<(Vec<i64>, Vec<i64>)> for TensordotAxes {
    fn from((a, b): (Vec<i64>, Vec<i64>)) -> Self {
        TensordotAxes::Lists(a, b)
    }
}

impl<const N: usize> From<([i64; N], [i64; N])> for TensordotAxes {
    fn from((a, b): ([i64; N], [i64; N])) -> Self {
        TensordotAxes::Lists(a.to_vec(), b.to_vec())
    }
}

/// Tensor contraction over the given axes (`tf.tensordot`): the free axes of `a` followed by
/// the free axes of `b`.
pub fn tensordot(a: &Tensor, b: &Tensor, axes: impl Into<TensordotAxes>) -> Result<Tensor> {
    let (ra, rb) = (a.rank(), b.rank());
    let desc =
        || format!("{}{} and {}{}", a.dtype(), shape::fmt_dims(&a.dims()), b.dtype(), shape::fmt_dims(&b.dims()));
    let (xa, xb): (Vec<i64>, Vec<i64>) = match axes.into() {
        TensordotAxes::Count(n) => {
            if n > ra || n > rb {
                return Err(Error::invalid(
                    "tensordot",
                    format!("cannot contract {n} axes of tensors {} (ranks {ra} and {rb})", desc()),
                ));
            }
            (((ra - n) as i64..ra as i64).collect(), (0..n as i64).collect())
        }
        TensordotAxes::Lists(x, y) => (x, y),
    };
    if xa.len() != xb.len() {
        return Err(Error::invalid(
            "tensordot",
            format!("axis lists {xa:?} and {xb:?} must have the same length (tensors {})", desc()),
        ));
    }
    let na = xa.iter().map(|&x| shape::normalize_axis("tensordot", x, ra)).collect::<Result<Vec<_>>>()?;
    let nb = xb.iter().map(|&x| shape::normalize_axis("tensordot", x, rb)).collect::<Result<Vec<_>>>()?;
    for (i, (&p, &q)) in na.iter().zip(&nb).enumerate() {
        if na[..i].contains(&p) || nb[..i].contains(&q) {
            return Err(Error::invalid("tensordot", format!("repeated axis in {xa:?} / {xb:?} (tensors {})", desc())));
        }
        if let (Some(x), Some(y)) = (a.dims()[p], b.dims()[q]) {
            if x != y {
                return Err(Error::invalid(
                    "tensordot",
                    format!("cannot contract axis {p} of size {x} with axis {q} of size {y} (tensors {})", desc()),
                ));
            }
        }
    }
    let alphabet: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
    if ra + rb - na.len() > alphabet.len() {
        return Err(Error::invalid("tensordot", format!("too many axes to contract tensors {}", desc())));
    }
    let wa: Vec<char> = alphabet[..ra].to_vec();
    let mut next = ra;
    let wb: Vec<char> = (0..rb)
        .map(|q| match nb.iter().position(|&x| x == q) {
            Some(i) => wa[na[i]],
            None => {
                next += 1;
                alphabet[next - 1]
            }
        })
        .collect();
    let out: String = (0..ra)
        .filter(|p| !na.contains(p))
        .map(|p| wa[p])
        .chain((0..rb).filter(|q| !nb.contains(q)).map(|q| wb[q]))
        .collect();
    let eq = format!("{},{}->{out}", wa.iter().collect::<String>(), wb.iter().collect::<String>());
    einsum(&eq, &[a.clone(), b.clone()])
}

// ---------------------------------------------------------------------------------------------
// norms (compositions of ops, so their gradients come from the parts)

/// Which norm [`norm`] computes (`tf.norm`'s `ord`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NormOrd {
    /// The 2-norm of vectors, the Frobenius norm of matrices (TensorFlow's default).
    Euclidean,
    /// The Frobenius norm (matrix norms only).
    Fro,
    /// `p`-norm: any `p > 0` for vectors; 1 and 2 for matrices.
    P(f64),
    /// Max-abs for vectors, max absolute row sum for matrices.
    Inf,
}

impl From<f64> for NormOrd {
    fn from(p: f64) -> Self {
        if p == f64::INFINITY {
            NormOrd::Inf
        } else {
            NormOrd::P(p)
        }
    }
}

impl std::fmt::Display for NormOrd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NormOrd::Euclidean => write!(f, "'euclidean'"),
            NormOrd::Fro => write!(f, "'fro'"),
            NormOrd::P(p) => write!(f, "{p}"),
            NormOrd::Inf => write!(f, "inf"),
        }
    }
}

fn max_over(x: &Tensor, axis: &[i64], keepdims: bool) -> Result<Tensor> {
    crate::ops::reduce::reduce_max(x, Some(axis), keepdims)
}

/// Vector or matrix norm (`tf.norm`).
///
/// `axis = None` treats the whole tensor as one vector; one axis gives vector norms along it;
/// two axes give matrix norms over them. `keepdims` keeps the reduced axes with size 1.
pub fn norm(x: &Tensor, ord: impl Into<NormOrd>, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let ord = ord.into();
    let desc = || format!("{}{:?}", x.dtype(), x.shape());
    if !x.dtype().is_float() {
        return Err(Error::invalid("norm", format!("got a {} tensor; expected dtype float32 or float64", desc())));
    }
    let rank = x.rank();
    let axes: Vec<i64> = match axis {
        None => (0..rank as i64).collect(),
        Some(a) => {
            let n = a.iter().map(|&v| shape::normalize_axis("norm", v, rank)).collect::<Result<Vec<_>>>()?;
            if a.is_empty() || a.len() > 2 || (n.len() == 2 && n[0] == n[1]) {
                return Err(Error::invalid(
                    "norm",
                    format!("axis must be None, one axis, or two distinct axes; got {a:?} for a tensor {}", desc()),
                ));
            }
            n.iter().map(|&v| v as i64).collect()
        }
    };
    let matrix = axis.is_some_and(|a| a.len() == 2);
    let abs_sum = |t: &Tensor, ax: &[i64], keep: bool| reduce_sum(&math::abs(t)?, Some(ax), keep);
    let sq_sum = |keep: bool| reduce_sum(&math::square(x)?, Some(&axes), keep);
    if matrix {
        let (rows, cols) = (axes[0], axes[1]);
        let kept = match ord {
            NormOrd::Euclidean | NormOrd::Fro => return math::sqrt(&sq_sum(keepdims)?),
            NormOrd::P(1.0) => max_over(&abs_sum(x, &[rows], true)?, &[cols], true)?,
            NormOrd::Inf => max_over(&abs_sum(x, &[cols], true)?, &[rows], true)?,
            NormOrd::P(2.0) => {
                return Err(Error::new(
                    crate::ErrorKind::Unimplemented,
                    "norm",
                    format!("the matrix 2-norm (largest singular value) is not supported; tensor {}", desc()),
                ))
            }
            other => {
                return Err(Error::invalid(
                    "norm",
                    format!("ord {other} is not a supported matrix norm (use 'euclidean', 'fro', 1, 2 or inf)"),
                ))
            }
        };
        return if keepdims { Ok(kept) } else { array::squeeze(&kept, Some(&axes)) };
    }
    match ord {
        NormOrd::Euclidean => math::sqrt(&sq_sum(keepdims)?),
        NormOrd::P(2.0) => math::sqrt(&sq_sum(keepdims)?),
        NormOrd::P(1.0) => abs_sum(x, &axes, keepdims),
        NormOrd::Inf => max_over(&math::abs(x)?, &axes, keepdims),
        NormOrd::P(p) if p > 0.0 && p.is_finite() => {
            let pw = Tensor::scalar_of(x.dtype(), p);
            let inv = Tensor::scalar_of(x.dtype(), 1.0 / p);
            math::pow(&reduce_sum(&math::pow(&math::abs(x)?, &pw)?, Some(&axes), keepdims)?, &inv)
        }
        other => Err(Error::invalid(
            "norm",
            format!("ord {other} is not a supported vector norm (use 'euclidean', 1, 2, inf or any p > 0)"),
        )),
    }
}

/// Scales `x` to unit L2 norm along `axis` (all axes when `None`): `x / sqrt(max(sum(x²), epsilon))`
/// (`tf.math.l2_normalize`; TensorFlow's default `epsilon` is `1e-12`).
pub fn l2_normalize(x: &Tensor, axis: Option<&[i64]>, epsilon: f64) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return Err(Error::invalid(
            "l2_normalize",
            format!("got a {}{:?} tensor; expected dtype float32 or float64", x.dtype(), x.shape()),
        ));
    }
    let square_sum = reduce_sum(&math::square(x)?, axis, true)?;
    let inv_norm = math::rsqrt(&math::maximum(&square_sum, &Tensor::scalar_of(x.dtype(), epsilon))?)?;
    math::mul(x, &inv_norm)
}
