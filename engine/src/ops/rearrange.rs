//! Ops that move or copy elements along an axis: `tf.roll` and `tf.repeat` (with the
//! backward op that sums repeated slices back).

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::ops::{array, execute1, expect_arity, expect_dtype_in, indexing, reduce, GradCtx, OpDef, Spec, NUMERIC};
use crate::shape::{normalize_axis, Dims};
use crate::tensor::{Element, Tensor};
use crate::{with_any, with_numeric};

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&ROLL, &REPEAT, &REPEAT_GRAD];

fn out_shape(op: &str, spec: &Spec) -> Result<Vec<usize>> {
    spec.shape().map(|s| s.to_vec()).ok_or_else(|| Error::invalid(op, "the output shape must be fully known"))
}

/// Checks `shift`/`axis` against the input; returns the (summed) shift of every axis.
fn roll_shifts(x: &Spec, a: &Attrs) -> Result<Vec<i64>> {
    const OP: &str = "roll";
    let (shift, axis) = (a.ints(OP, "shift")?, a.ints(OP, "axis")?);
    if x.rank() == 0 {
        return Err(Error::invalid(OP, format!("input must be 1-D or higher, got {}", x.describe())));
    }
    if shift.len() != axis.len() {
        return Err(Error::invalid(
            OP,
            format!("shift and axis must have the same size, got shift {shift:?} and axis {axis:?}"),
        ));
    }
    let r = x.rank() as i64;
    let mut per_axis = vec![0i64; x.rank()];
    for (&s, &ax) in shift.iter().zip(axis) {
        if ax < -r || ax >= r {
            return Err(Error::invalid(
                OP,
                format!("axis {ax} is out of range for input {} (expected [-{r}, {r}))", x.describe()),
            ));
        }
        let d = if ax < 0 { ax + r } else { ax } as usize;
        // Shifts on one axis add up, and only the shift modulo the axis size matters.
        let n = x.dims[d].unwrap_or(0) as i64;
        let s = if n > 0 { s.rem_euclid(n) } else { 0 };
        per_axis[d] = if n > 0 { (per_axis[d] + s) % n } else { 0 };
    }
    Ok(per_axis)
}

/// Copies `x` (of `shape`) so that element `i` along each axis `d` lands at `(i + shift[d]) mod n`.
fn roll_kernel<T: Copy>(x: &[T], shape: &[usize], shift: &[i64]) -> Vec<T> {
    let mut out = x.to_vec();
    if x.is_empty() {
        return out;
    }
    let rank = shape.len();
    let mut strides = vec![1usize; rank];
    for d in (0..rank.saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    let mut idx = vec![0usize; rank];
    for &v in x {
        let dst: usize = (0..rank).map(|d| (idx[d] + shift[d] as usize) % shape[d] * strides[d]).sum();
        out[dst] = v;
        for d in (0..rank).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// `tf.roll`: shifts elements along the given axes, wrapping around.
pub static ROLL: OpDef = OpDef {
    name: "roll",
    infer: |s, a| {
        expect_arity("roll", s, 1)?;
        roll_shifts(&s[0], a)?;
        Ok(vec![s[0].clone()])
    },
    kernel: |i, a, _| {
        let x = &i[0];
        let shifts = roll_shifts(&Spec::of(x), a)?;
        let t = with_any!(x.dtype(), T => Tensor::from_vec(roll_kernel(x.as_slice::<T>()?, x.shape(), &shifts), x.shape())?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let shift: Vec<i64> = c.attrs.ints("roll", "shift")?.iter().map(|s| s.wrapping_neg()).collect();
        Ok(vec![Some(roll(&c.grad(0)?, &shift, c.attrs.ints("roll", "axis")?)?)])
    }),
    stateful: false,
    inplace: None,
};

/// The repeat axis and the count of every slice along it (a single count applies to all).
/// `per_slice` checks that there is one count per slice of `x` (the input of `repeat`, not
/// the repeated gradient of `repeat_grad`).
fn repeat_counts(op: &str, x: &Spec, a: &Attrs, per_slice: bool) -> Result<(usize, Vec<usize>)> {
    if x.rank() == 0 {
        return Err(Error::invalid(op, format!("input must be at least 1-D, got {}", x.describe())));
    }
    let axis = normalize_axis(op, a.int(op, "axis")?, x.rank())?;
    let reps = a.ints(op, "repeats")?;
    let counts = reps
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            usize::try_from(r).map_err(|_| {
                Error::invalid(op, format!("repeats must be non-negative, got {r} at position {k} of {reps:?}"))
            })
        })
        .collect::<Result<Vec<usize>>>()?;
    match (counts.len(), x.dims[axis]) {
        (0, _) => Err(Error::invalid(op, "repeats must have at least one entry")),
        (1, _) => Ok((axis, counts)),
        _ if !per_slice => Ok((axis, counts)),
        (k, Some(n)) if k != n => Err(Error::invalid(
            op,
            format!(
                "repeats has {k} entries but axis {axis} of input {} has size {n}; pass one count per slice or a \
                 single count",
                x.describe()
            ),
        )),
        _ => Ok((axis, counts)),
    }
}

/// The output size along the repeat axis (`None` when it depends on an unknown input size).
fn repeated_size(op: &str, x: &Spec, counts: &[usize], n: Option<usize>) -> Result<Option<usize>> {
    let total = match (counts, n) {
        ([c], Some(n)) => c.checked_mul(n),
        ([0], None) => Some(0),
        ([_], None) => return Ok(None),
        (cs, _) => cs.iter().try_fold(0usize, |acc, &c| acc.checked_add(c)),
    };
    total.map(Some).ok_or_else(|| Error::invalid(op, format!("repeating input {} overflows its size", x.describe())))
}

fn repeat_kernel<T: Copy>(x: &[T], outer: usize, n: usize, inner: usize, counts: &[usize]) -> Vec<T> {
    let per: usize = (0..n).map(|i| counts[i.min(counts.len() - 1)]).sum();
    let mut out = Vec::with_capacity(outer * per * inner);
    for o in 0..outer {
        for i in 0..n {
            let src = &x[(o * n + i) * inner..(o * n + i + 1) * inner];
            for _ in 0..counts[i.min(counts.len() - 1)] {
                out.extend_from_slice(src);
            }
        }
    }
    out
}

/// `tf.repeat` along one axis: slice `i` of `axis` is copied `repeats[i]` times (or
/// `repeats[0]` times each when one count is given).
pub static REPEAT: OpDef = OpDef {
    name: "repeat",
    infer: |s, a| {
        expect_arity("repeat", s, 1)?;
        let (axis, counts) = repeat_counts("repeat", &s[0], a, true)?;
        let mut dims = s[0].dims.clone();
        dims[axis] = repeated_size("repeat", &s[0], &counts, dims[axis])?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let (axis, counts) = repeat_counts("repeat", &Spec::of(x), a, true)?;
        let sh = out_shape("repeat", &o[0])?;
        let outer: usize = x.shape()[..axis].iter().product();
        let inner: usize = x.shape()[axis + 1..].iter().product();
        let n = x.shape()[axis];
        let t = with_any!(x.dtype(), T => {
            Tensor::from_vec(repeat_kernel(x.as_slice::<T>()?, outer, n, inner, &counts), &sh)?
        });
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let x = &c.inputs[0];
        let (axis, counts) = repeat_counts("repeat", &Spec::of(x), c.attrs, true)?;
        let g = c.grad(0)?;
        let full: Vec<i64> = match (x.dims()[axis], &counts[..]) {
            (Some(n), _) => (0..n).map(|i| counts[i.min(counts.len() - 1)] as i64).collect(),
            // One count per slice: the forward run checked there are as many slices.
            (None, [_, _, ..]) => counts.iter().map(|&k| k as i64).collect(),
            (None, &[k]) => return Ok(vec![Some(sum_runs(&g, x, axis, k)?)]),
            (None, []) => return Err(Error::invalid("repeat", "repeats must have at least one entry")),
        };
        Ok(vec![Some(repeat_grad(&g, &full, axis as i64)?)])
    }),
    stateful: false,
    inplace: None,
};

/// The gradient of repeating every slice of `x` along `axis` `k` times, when the number of
/// slices is known only at run time: `g` viewed as `[..., n, k, ...]` by `x`'s run-time
/// sizes and summed over the copies (`repeat_grad` needs one count per slice while tracing).
fn sum_runs(g: &Tensor, x: &Tensor, axis: usize, k: usize) -> Result<Tensor> {
    let k = i32::try_from(k).map_err(|_| Error::invalid("repeat", format!("repeat count {k} is too large")))?;
    let sizes = array::shape(x)?;
    let mut parts = Vec::with_capacity(x.rank() + 1);
    let mut known = Vec::with_capacity(x.rank() + 1);
    for (d, dim) in x.dims().iter().enumerate() {
        // Sizes, not -1: with a size of 0 the -1 could not be inferred.
        match *dim {
            Some(n) => {
                let n =
                    i32::try_from(n).map_err(|_| Error::invalid("repeat", format!("dimension {n} is too large")))?;
                parts.push(Tensor::from(n));
                known.push(i64::from(n));
            }
            None => {
                parts.push(indexing::gather(&sizes, &Tensor::from(d as i32), 0, 0)?);
                known.push(array::RUN_TIME_DIM);
            }
        }
        if d == axis {
            parts.push(Tensor::from(k));
            known.push(i64::from(k));
        }
    }
    let split = array::reshape_dynamic(g, &array::stack(&parts, 0)?, &known)?;
    reduce::reduce_sum(&split, Some(&[axis as i64 + 1]), false)
}

/// Addition that wraps for integers (gradient sums never abort on overflow).
trait Accumulate: Element {
    fn plus(self, o: Self) -> Self;
}

impl Accumulate for f32 {
    fn plus(self, o: Self) -> Self {
        self + o
    }
}

impl Accumulate for f64 {
    fn plus(self, o: Self) -> Self {
        self + o
    }
}

impl Accumulate for i32 {
    fn plus(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
}

impl Accumulate for i64 {
    fn plus(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
}

fn repeat_grad_kernel<T: Accumulate>(g: &[T], outer: usize, inner: usize, counts: &[usize]) -> Vec<T> {
    let n = counts.len();
    let per: usize = counts.iter().sum();
    let zero = T::from_f64(0.0);
    let mut out = vec![zero; outer * n * inner];
    for o in 0..outer {
        let mut row = o * per;
        for (i, &c) in counts.iter().enumerate() {
            let dst = &mut out[(o * n + i) * inner..(o * n + i + 1) * inner];
            for _ in 0..c {
                for (d, &v) in dst.iter_mut().zip(&g[row * inner..(row + 1) * inner]) {
                    *d = d.plus(v);
                }
                row += 1;
            }
        }
    }
    out
}

/// Shape rule of `repeat_grad`: the repeated axis shrinks back to one slice per count.
fn infer_repeat_grad(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "repeat_grad";
    expect_arity(OP, s, 1)?;
    let g = &s[0];
    expect_dtype_in(OP, g, NUMERIC)?;
    let (axis, counts) = repeat_counts(OP, g, a, false)?;
    let total = counts.iter().try_fold(0usize, |acc, &c| acc.checked_add(c));
    if let (Some(d), Some(t)) = (g.dims[axis], total) {
        if d != t {
            return Err(Error::invalid(
                OP,
                format!("gradient {} has size {d} along axis {axis}, but the repeats add up to {t}", g.describe()),
            ));
        }
    }
    let mut dims: Dims = g.dims.clone();
    dims[axis] = Some(counts.len());
    Ok(vec![Spec { dtype: g.dtype, dims }])
}

/// Backward of `repeat`: sums each run of repeated slices back into one (`repeats` holds one
/// count per input slice).
pub static REPEAT_GRAD: OpDef = OpDef {
    name: "repeat_grad",
    infer: infer_repeat_grad,
    kernel: |i, a, o| {
        let g = &i[0];
        let (axis, counts) = repeat_counts("repeat_grad", &Spec::of(g), a, false)?;
        let sh = out_shape("repeat_grad", &o[0])?;
        let outer: usize = g.shape()[..axis].iter().product();
        let inner: usize = g.shape()[axis + 1..].iter().product();
        let t = with_numeric!(g.dtype(), T => {
            Tensor::from_vec(repeat_grad_kernel(g.as_slice::<T>()?, outer, inner, &counts), &sh)?
        }, bool => return Err(Error::invalid("repeat_grad", "bool tensors are not supported")));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let axis = c.attrs.int("repeat_grad", "axis")?;
        Ok(vec![Some(repeat(&c.grad(0)?, c.attrs.ints("repeat_grad", "repeats")?, axis)?)])
    }),
    stateful: false,
    inplace: None,
};

/// `tf.roll(input, shift, axis)`: elements shifted by `shift[k]` along `axis[k]` (wrapping;
/// negative shifts go backwards, shifts on one axis add up).
pub fn roll(x: &Tensor, shift: &[i64], axis: &[i64]) -> Result<Tensor> {
    let attrs = Attrs::new().with("shift", Attr::Ints(shift.to_vec())).with("axis", Attr::Ints(axis.to_vec()));
    execute1(&ROLL, std::slice::from_ref(x), attrs)
}

/// `tf.repeat(input, repeats, axis)`: slice `i` along `axis` repeated `repeats[i]` times; a
/// single count repeats every slice. Counts must be non-negative.
pub fn repeat(x: &Tensor, repeats: &[i64], axis: i64) -> Result<Tensor> {
    let attrs = Attrs::new().with("repeats", Attr::Ints(repeats.to_vec())).with("axis", Attr::Int(axis));
    execute1(&REPEAT, std::slice::from_ref(x), attrs)
}

/// The backward of [`repeat`]: sums the runs of `repeats[i]` slices of `grad` along `axis`.
pub fn repeat_grad(grad: &Tensor, repeats: &[i64], axis: i64) -> Result<Tensor> {
    let attrs = Attrs::new().with("repeats", Attr::Ints(repeats.to_vec())).with("axis", Attr::Int(axis));
    execute1(&REPEAT_GRAD, std::slice::from_ref(grad), attrs)
}

/// `tf.repeat(input, repeats)` without an axis: the flattened input repeated.
pub fn repeat_flat(x: &Tensor, repeats: &[i64]) -> Result<Tensor> {
    repeat(&crate::ops::array::reshape(x, &[-1])?, repeats, 0)
}
