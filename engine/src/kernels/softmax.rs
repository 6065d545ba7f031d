//! Numerically stable softmax, log-softmax and the fused cross-entropy losses.
//!
//! Data is viewed as `[outer, len, inner]` where `len` is the reduced (class) axis, so any
//! axis works without a transpose; `inner == 1` (the last axis) takes a contiguous fast path.

use num_traits::Float;
use rayon::prelude::*;

/// Elements below which these kernels run on the calling thread only.
const PAR_ELEMS: usize = 32 * 1024;

/// The `[outer, len, inner]` view of a tensor around one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisView {
    /// Product of the dimensions before the axis.
    pub outer: usize,
    /// Size of the axis.
    pub len: usize,
    /// Product of the dimensions after the axis.
    pub inner: usize,
}

impl AxisView {
    /// The view of `shape` around `axis` (which must be in range).
    pub fn new(shape: &[usize], axis: usize) -> AxisView {
        AxisView { outer: shape[..axis].iter().product(), len: shape[axis], inner: shape[axis + 1..].iter().product() }
    }

    fn block(&self) -> usize {
        self.len * self.inner
    }
}

/// Runs `f(block_index, src_block, dst_block)` over `[len, inner]` blocks, in parallel when big.
fn per_block<T: Send + Sync, O: Send>(
    src: &[T],
    dst: &mut [O],
    v: AxisView,
    out_block: usize,
    f: impl Fn(usize, &[T], &mut [O]) + Sync,
) {
    let block = v.block();
    if block == 0 || out_block == 0 {
        return;
    }
    if src.len() >= PAR_ELEMS && v.outer > 1 {
        dst.par_chunks_mut(out_block).zip(src.par_chunks(block)).enumerate().for_each(|(b, (d, s))| f(b, s, d));
    } else {
        dst.chunks_mut(out_block).zip(src.chunks(block)).enumerate().for_each(|(b, (d, s))| f(b, s, d));
    }
}

/// Max over the axis and `log Σ exp(x - max)` for one `[len, inner]` block, per inner index.
fn block_max_logsum<T: Float>(s: &[T], v: AxisView, max: &mut [T], logsum: &mut [T]) {
    max.fill(T::neg_infinity());
    for row in s.chunks_exact(v.inner) {
        for (m, &x) in max.iter_mut().zip(row) {
            *m = m.max(x);
        }
    }
    // A row of -inf (or an empty axis) keeps max finite so exp(x - max) does not become NaN.
    for m in max.iter_mut() {
        if !m.is_finite() {
            *m = if m.is_nan() { *m } else { T::zero() };
        }
    }
    logsum.fill(T::zero());
    for row in s.chunks_exact(v.inner) {
        for ((l, &m), &x) in logsum.iter_mut().zip(max.iter()).zip(row) {
            *l = *l + (x - m).exp();
        }
    }
    logsum.iter_mut().for_each(|l| *l = l.ln());
}

/// Softmax (or log-softmax when `log`) along the axis of `v`.
pub fn softmax<T: Float + Send + Sync>(x: &[T], v: AxisView, log: bool) -> Vec<T> {
    let mut out = vec![T::zero(); x.len()];
    per_block(x, &mut out, v, v.block(), |_, s, d| {
        if v.inner == 1 {
            let m = s.iter().fold(T::neg_infinity(), |a, &b| a.max(b));
            let m = if m.is_infinite() { T::zero() } else { m };
            let mut sum = T::zero();
            for (d, &x) in d.iter_mut().zip(s) {
                *d = (x - m).exp();
                sum = sum + *d;
            }
            if log {
                // (x - m) - ln Σ keeps precision that x - (m + ln Σ) would lose for large m.
                let l = sum.ln();
                d.iter_mut().zip(s).for_each(|(d, &x)| *d = (x - m) - l);
            } else {
                let inv = T::one() / sum;
                d.iter_mut().for_each(|d| *d = *d * inv);
            }
            return;
        }
        let mut max = vec![T::zero(); v.inner];
        let mut logsum = vec![T::zero(); v.inner];
        block_max_logsum(s, v, &mut max, &mut logsum);
        for (drow, srow) in d.chunks_exact_mut(v.inner).zip(s.chunks_exact(v.inner)) {
            for (((d, &x), &m), &l) in drow.iter_mut().zip(srow).zip(&max).zip(&logsum) {
                let y = x - m - l;
                *d = if log { y } else { y.exp() };
            }
        }
    });
    out
}

/// Per-position `Σ_j labels_j · (logsumexp(x) - x_j)` along the axis of `v`
/// (the output has the axis removed: `[outer, inner]`).
pub fn softmax_xent<T: Float + Send + Sync>(labels: &[T], logits: &[T], v: AxisView) -> Vec<T> {
    let mut out = vec![T::zero(); v.outer * v.inner];
    let block = v.block();
    per_block(logits, &mut out, v, v.inner, |b, s, d| {
        let z = &labels[b * block..][..block];
        let mut max = vec![T::zero(); v.inner];
        let mut logsum = vec![T::zero(); v.inner];
        block_max_logsum(s, v, &mut max, &mut logsum);
        d.fill(T::zero());
        for (zrow, srow) in z.chunks_exact(v.inner).zip(s.chunks_exact(v.inner)) {
            for ((((d, &zj), &x), &m), &l) in d.iter_mut().zip(zrow).zip(srow).zip(&max).zip(&logsum) {
                // Skipping zero labels keeps -inf logits from producing 0 * inf = NaN.
                if zj != T::zero() {
                    *d = *d + zj * ((m - x) + l);
                }
            }
        }
    });
    out
}

/// Per-row `logsumexp(logits_row) - logits_row[label]`; `labels` must already be in range.
pub fn sparse_softmax_xent<T: Float + Send + Sync>(labels: &[usize], logits: &[T], classes: usize) -> Vec<T> {
    let v = AxisView { outer: labels.len(), len: classes, inner: 1 };
    let mut out = vec![T::zero(); labels.len()];
    per_block(logits, &mut out, v, 1, |b, s, d| {
        let m = s.iter().fold(T::neg_infinity(), |a, &b| a.max(b));
        let m = if m.is_infinite() { T::zero() } else { m };
        let sum = s.iter().fold(T::zero(), |a, &x| a + (x - m).exp());
        d[0] = (m - s[labels[b]]) + sum.ln();
    });
    out
}

/// TensorFlow's stable `max(x, 0) - x·z + log(1 + exp(-|x|))`, elementwise.
pub fn sigmoid_xent<T: Float + Send + Sync>(labels: &[T], logits: &[T]) -> Vec<T> {
    let f = |(&z, &x): (&T, &T)| x.max(T::zero()) - x * z + (-x.abs()).exp().ln_1p();
    if logits.len() >= PAR_ELEMS {
        labels.par_iter().zip(logits.par_iter()).map(f).collect()
    } else {
        labels.iter().zip(logits).map(f).collect()
    }
}
