//! Reduction kernels over any axis set of a row-major tensor.
//!
//! A reduction first simplifies the shape: size-1 dimensions are dropped and neighbouring
//! dimensions that are both reduced or both kept are merged. What remains alternates kept and
//! reduced groups and is handled by at most a few passes of two tight kernels, never by a
//! per-element index walk:
//! - inner (`[rows, n] → [rows]`): each row is a contiguous slice folded into independent lanes
//!   (vectorizable), with pairwise combination across blocks so float sums stay accurate;
//! - outer (`[batch, m, k] → [batch, k]`): whole rows are combined into an accumulator row,
//!   pairwise over blocks of rows; narrow rows are first viewed as wide ones so the row loop
//!   still vectorizes.
//!
//! Large inputs are split across the rayon pool.

pub mod arg;
pub mod scan;
pub mod topk;

use crate::cancel::Stop;
use crate::error::Result;
use crate::kernels::elementwise::PAR_THRESHOLD;
use crate::shape;
use rayon::prelude::*;
use std::borrow::Cow;

/// Independent accumulators per contiguous fold (enough to hide add latency and fill SIMD lanes).
const LANES: usize = 16;
/// Elements folded sequentially per lane group before pairwise combination takes over.
const BLOCK: usize = 256;
/// Rows combined sequentially into an accumulator row before pairwise combination takes over.
const ROW_BLOCK: usize = 64;
/// Rows narrower than this are regrouped into wider rows for the outer kernel.
const WIDE: usize = 64;
/// Elements per parallel task of a contiguous fold.
const PAR_CHUNK: usize = 1 << 16;

/// Element arithmetic used by reductions: wrapping for integers (as TensorFlow), IEEE for floats.
pub trait Arith: Copy + Send + Sync + PartialOrd + std::fmt::Debug + 'static {
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Identity of `max`: -inf for floats, the minimum for integers (TensorFlow's empty max).
    const MAX_IDENTITY: Self;
    /// Identity of `min`: +inf for floats, the maximum for integers.
    const MIN_IDENTITY: Self;
    /// The lowest finite value: where TensorFlow's argmax starts.
    const LOWEST: Self;
    /// The highest finite value: where TensorFlow's argmin starts.
    const HIGHEST: Self;
    /// `self + o` (wrapping for integers).
    fn add(self, o: Self) -> Self;
    /// `self * o` (wrapping for integers).
    fn mul(self, o: Self) -> Self;
    /// True for a float NaN.
    fn is_nan(self) -> bool;
    /// `x - x`: NaN for a float NaN or infinity, 0 otherwise (a cheap vectorizable NaN screen).
    fn nan_probe(self) -> Self;
}

macro_rules! arith_float {
    ($t:ty) => {
        impl Arith for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const MAX_IDENTITY: Self = <$t>::NEG_INFINITY;
            const MIN_IDENTITY: Self = <$t>::INFINITY;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn nan_probe(self) -> Self {
                self - self
            }
        }
    };
}
macro_rules! arith_int {
    ($t:ty) => {
        impl Arith for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const MAX_IDENTITY: Self = <$t>::MIN;
            const MIN_IDENTITY: Self = <$t>::MAX;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                false
            }
            #[inline(always)]
            fn nan_probe(self) -> Self {
                0
            }
        }
    };
}
arith_float!(f32);
arith_float!(f64);
arith_int!(i32);
arith_int!(i64);

/// An associative, commutative fold with an identity: what a reduction combines values with.
pub trait Reducer<T>: Sync {
    /// The result of reducing nothing (0 for sum, -inf for a float max, ...).
    fn identity(&self) -> T;
    /// Folds a value (or a partial result) into an accumulator.
    fn combine(&self, acc: T, x: T) -> T;
    /// Folds a short contiguous block (at most a few thousand elements); reducers override this
    /// when a different formulation vectorizes better.
    #[inline]
    fn fold_block(&self, s: &[T]) -> T
    where
        T: Copy,
    {
        fold_lanes(s, self.identity(), |a, x| self.combine(a, x))
    }
}

/// Sum (`tf.reduce_sum`).
pub struct Sum;
/// Product (`tf.reduce_prod`).
pub struct Prod;
/// Maximum, propagating NaN (`tf.reduce_max`).
pub struct Max;
/// Minimum, propagating NaN (`tf.reduce_min`).
pub struct Min;
/// Logical and (`tf.reduce_all`).
pub struct All;
/// Logical or (`tf.reduce_any`).
pub struct Any;

impl<T: Arith> Reducer<T> for Sum {
    #[inline(always)]
    fn identity(&self) -> T {
        T::ZERO
    }
    #[inline(always)]
    fn combine(&self, acc: T, x: T) -> T {
        acc.add(x)
    }
}

impl<T: Arith> Reducer<T> for Prod {
    #[inline(always)]
    fn identity(&self) -> T {
        T::ONE
    }
    #[inline(always)]
    fn combine(&self, acc: T, x: T) -> T {
        acc.mul(x)
    }
}

impl<T: Arith> Reducer<T> for Max {
    #[inline(always)]
    fn identity(&self) -> T {
        T::MAX_IDENTITY
    }
    #[inline]
    fn fold_block(&self, s: &[T]) -> T {
        let m = fold_lanes(s, T::MAX_IDENTITY, |a, x| if x > a { x } else { a });
        nan_or(s, m)
    }
    #[inline(always)]
    fn combine(&self, acc: T, x: T) -> T {
        // Once the accumulator is NaN no comparison succeeds, so NaN sticks. `|` rather than `||`
        // keeps this a branch-free select that vectorizes.
        if (x > acc) | x.is_nan() {
            x
        } else {
            acc
        }
    }
}

impl<T: Arith> Reducer<T> for Min {
    #[inline(always)]
    fn identity(&self) -> T {
        T::MIN_IDENTITY
    }
    #[inline]
    fn fold_block(&self, s: &[T]) -> T {
        let m = fold_lanes(s, T::MIN_IDENTITY, |a, x| if x < a { x } else { a });
        nan_or(s, m)
    }
    #[inline(always)]
    fn combine(&self, acc: T, x: T) -> T {
        if (x < acc) | x.is_nan() {
            x
        } else {
            acc
        }
    }
}

impl Reducer<bool> for All {
    #[inline(always)]
    fn identity(&self) -> bool {
        true
    }
    #[inline(always)]
    fn combine(&self, acc: bool, x: bool) -> bool {
        // Non-short-circuit `&` keeps the loop branch-free.
        acc & x
    }
}

impl Reducer<bool> for Any {
    #[inline(always)]
    fn identity(&self) -> bool {
        false
    }
    #[inline(always)]
    fn combine(&self, acc: bool, x: bool) -> bool {
        acc | x
    }
}

/// Folds a contiguous slice into `LANES` independent accumulators, then combines them pairwise.
#[inline(always)]
pub fn fold_lanes<T: Copy>(s: &[T], id: T, f: impl Fn(T, T) -> T) -> T {
    if s.len() < LANES {
        return s.iter().fold(id, |a, &x| f(a, x));
    }
    let (chunks, rest) = s.as_chunks::<LANES>();
    let mut acc = [id; LANES];
    for c in chunks {
        for l in 0..LANES {
            acc[l] = f(acc[l], c[l]);
        }
    }
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for l in 0..w {
            acc[l] = f(acc[l], acc[l + w]);
        }
    }
    rest.iter().fold(acc[0], |a, &x| f(a, x))
}

/// `m`, unless `s` holds a NaN, then that NaN. The plain max/min folds above compile to single
/// max/min instructions that drop NaN; a sum of `x - x` is NaN exactly when some element is NaN or
/// infinite, so the exact (scalar) search only runs for such blocks.
#[inline]
fn nan_or<T: Arith>(s: &[T], m: T) -> T {
    if fold_lanes(s, T::ZERO, |a, x| a.add(x.nan_probe())).is_nan() {
        if let Some(&nan) = s.iter().find(|x| x.is_nan()) {
            return nan;
        }
    }
    m
}

/// Pairwise reduction of a contiguous slice with `fold_block` leaves (error grows with log n).
fn fold_pairwise<T: Copy, R: Reducer<T>>(s: &[T], r: &R) -> T {
    if s.len() <= BLOCK {
        return r.fold_block(s);
    }
    let mid = (s.len() / 2).div_ceil(BLOCK) * BLOCK;
    let (a, b) = s.split_at(mid.min(s.len()));
    r.combine(fold_pairwise(a, r), fold_pairwise(b, r))
}

/// Reduces a whole contiguous slice to one value, in parallel when it is large.
pub fn fold_contiguous<T: Copy + Send + Sync, R: Reducer<T>>(s: &[T], r: &R) -> T {
    fold_contiguous_until(s, r, &Stop::never())
}

/// [`fold_contiguous`] that skips the chunks it reaches after `stop` is requested (the result
/// is then meaningless; the caller reports the cancellation).
fn fold_contiguous_until<T: Copy + Send + Sync, R: Reducer<T>>(s: &[T], r: &R, stop: &Stop) -> T {
    if s.len() < PAR_THRESHOLD {
        return fold_pairwise(s, r);
    }
    let parts: Vec<T> =
        s.par_chunks(PAR_CHUNK).map(|c| if stop.requested() { r.identity() } else { fold_pairwise(c, r) }).collect();
    fold_pairwise(&parts, r)
}

/// `acc[i] = combine(acc[i], row[i])`.
#[inline]
fn combine_row<T: Copy, R: Reducer<T>>(acc: &mut [T], row: &[T], r: &R) {
    for (a, &x) in acc.iter_mut().zip(row) {
        *a = r.combine(*a, x);
    }
}

/// Reduces each row of `[rows, N]` for a small constant `N` (unrolled per row).
fn inner_fixed<T: Copy + Send + Sync, R: Reducer<T>, const N: usize>(src: &[T], r: &R, stop: &Stop) -> Vec<T> {
    const ROWS_PER_TASK: usize = 4096;
    let mut out = vec![r.identity(); src.len() / N];
    let work = |(o, s): (&mut [T], &[T])| {
        if stop.requested() {
            return;
        }
        let (rows, _) = s.as_chunks::<N>();
        for (o, row) in o.iter_mut().zip(rows) {
            *o = row.iter().fold(r.identity(), |a, &x| r.combine(a, x));
        }
    };
    if src.len() >= PAR_THRESHOLD {
        out.par_chunks_mut(ROWS_PER_TASK).zip(src.par_chunks(ROWS_PER_TASK * N)).for_each(work);
    } else {
        work((&mut out, src));
    }
    out
}

/// Reduces each contiguous row of `[rows, n]`.
fn inner<T: Copy + Send + Sync, R: Reducer<T>>(src: &[T], rows: usize, n: usize, r: &R, stop: &Stop) -> Vec<T> {
    match n {
        2 => return inner_fixed::<T, R, 2>(src, r, stop),
        3 => return inner_fixed::<T, R, 3>(src, r, stop),
        4 => return inner_fixed::<T, R, 4>(src, r, stop),
        5 => return inner_fixed::<T, R, 5>(src, r, stop),
        6 => return inner_fixed::<T, R, 6>(src, r, stop),
        7 => return inner_fixed::<T, R, 7>(src, r, stop),
        8 => return inner_fixed::<T, R, 8>(src, r, stop),
        _ => {}
    }
    if rows == 1 || n >= PAR_THRESHOLD {
        return src.chunks_exact(n).map(|row| fold_contiguous_until(row, r, stop)).collect();
    }
    if src.len() >= PAR_THRESHOLD {
        let min_rows = (PAR_CHUNK / n).max(1);
        return src
            .par_chunks_exact(n)
            .with_min_len(min_rows)
            .map(|row| if stop.requested() { r.identity() } else { fold_pairwise(row, r) })
            .collect();
    }
    src.chunks_exact(n).map(|row| fold_pairwise(row, r)).collect()
}

/// Combines the `m` rows of length `k` in `blk` into `out` (which starts at the identity).
fn outer_rows<T: Copy + Send + Sync, R: Reducer<T>>(blk: &[T], m: usize, k: usize, out: &mut [T], r: &R, stop: &Stop) {
    if m <= ROW_BLOCK {
        for row in blk.chunks_exact(k) {
            combine_row(out, row, r);
        }
        return;
    }
    if blk.len() >= PAR_THRESHOLD && stop.requested() {
        return;
    }
    let h = m / 2;
    let (a, b) = blk.split_at(h * k);
    let mut tmp = vec![r.identity(); k];
    if blk.len() >= PAR_THRESHOLD {
        rayon::join(|| outer_rows(a, h, k, out, r, stop), || outer_rows(b, m - h, k, &mut tmp, r, stop));
    } else {
        outer_rows(a, h, k, out, r, stop);
        outer_rows(b, m - h, k, &mut tmp, r, stop);
    }
    combine_row(out, &tmp, r);
}

/// Reduces `[m, k]` over its first axis into `out` (which starts at the identity).
fn outer_one<T: Copy + Send + Sync, R: Reducer<T>>(blk: &[T], m: usize, k: usize, out: &mut [T], r: &R, stop: &Stop) {
    let q = WIDE.div_ceil(k);
    if k < WIDE && m >= 2 * q {
        // View q consecutive rows as one wide row: combining wide rows is the same reduction
        // (the reducers are commutative) and keeps the inner loop long enough to vectorize.
        let wide = q * k;
        let mw = m / q;
        let mut acc = vec![r.identity(); wide];
        outer_rows(&blk[..mw * wide], mw, wide, &mut acc, r, stop);
        for sub in acc.chunks_exact(k) {
            combine_row(out, sub, r);
        }
        for row in blk[mw * wide..].chunks_exact(k) {
            combine_row(out, row, r);
        }
        return;
    }
    outer_rows(blk, m, k, out, r, stop);
}

/// Reduces `[batch, m, k]` over its middle axis.
fn outer<T: Copy + Send + Sync, R: Reducer<T>>(
    src: &[T],
    batch: usize,
    m: usize,
    k: usize,
    r: &R,
    stop: &Stop,
) -> Vec<T> {
    let mut out = vec![r.identity(); batch * k];
    let work = |(o, blk): (&mut [T], &[T])| {
        if !stop.requested() {
            outer_one(blk, m, k, o, r, stop)
        }
    };
    if src.len() >= PAR_THRESHOLD && batch > 1 {
        out.par_chunks_mut(k).zip(src.par_chunks(m * k)).for_each(work);
    } else {
        out.chunks_mut(k).zip(src.chunks(m * k)).for_each(work);
    }
    out
}

/// One dimension group of a simplified reduction layout.
#[derive(Clone, Copy, Debug)]
struct Group {
    size: usize,
    reduced: bool,
}

/// Drops size-1 dimensions and merges neighbours of the same kind.
fn simplify(shape: &[usize], axes: &[usize]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (d, &size) in shape.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let reduced = axes.contains(&d);
        match groups.last_mut() {
            Some(last) if last.reduced == reduced => last.size *= size,
            _ => groups.push(Group { size, reduced }),
        }
    }
    groups
}

/// Reduces `src` (shape `shape`) over `axes` (sorted, unique, in range) with `r`.
/// The result is laid out in the input shape with the reduced axes removed (or kept as 1).
/// Large inputs stop between blocks with `CancelledError` when the current cancel token is
/// cancelled.
pub fn reduce<T: Copy + Send + Sync, R: Reducer<T>>(
    src: &[T],
    shape: &[usize],
    axes: &[usize],
    r: &R,
) -> Result<Vec<T>> {
    let out_n: usize = shape.iter().enumerate().filter(|(d, _)| !axes.contains(d)).map(|(_, &s)| s).product();
    if src.is_empty() {
        return Ok(vec![r.identity(); out_n]);
    }
    let stop = Stop::current();
    let mut groups = simplify(shape, axes);
    let mut cur: Cow<[T]> = Cow::Borrowed(src);
    // Each pass removes the last reduced group; groups alternate, so at most one kept group follows it.
    while let Some(i) = groups.iter().rposition(|g| g.reduced) {
        let n = groups[i].size;
        let before: usize = groups[..i].iter().map(|g| g.size).product();
        let after: usize = groups[i + 1..].iter().map(|g| g.size).product();
        let next = if after == 1 { inner(&cur, before, n, r, &stop) } else { outer(&cur, before, n, after, r, &stop) };
        // Blocks reached after a cancellation were skipped, so `next` is incomplete.
        stop.check("reduce")?;
        groups.remove(i);
        if i > 0 && i < groups.len() {
            let s = groups.remove(i).size;
            groups[i - 1].size *= s;
        }
        cur = Cow::Owned(next);
    }
    Ok(cur.into_owned())
}

/// Folds `src` (shape `sh`) over `axes` (sorted, unique) with `f`, starting from `init`, for
/// accumulators of a different type than the elements. The result is laid out in the shape
/// with reduced axes removed. A general per-element walk: prefer [`reduce`] when it applies.
pub fn reduce_axes<T: Copy, A: Copy>(
    src: &[T],
    sh: &[usize],
    axes: &[usize],
    init: A,
    f: impl Fn(A, T) -> A,
) -> Vec<A> {
    let rank = sh.len();
    let keep: Vec<usize> = (0..rank).filter(|d| !axes.contains(d)).collect();
    let out_shape: Vec<usize> = keep.iter().map(|&d| sh[d]).collect();
    let out_n = shape::num_elements(&out_shape);
    let mut out = vec![init; out_n];
    if src.is_empty() {
        return out;
    }
    // Output stride of each input dimension (0 for reduced axes).
    let ost = shape::strides(&out_shape);
    let mut om = vec![0usize; rank];
    for (k, &d) in keep.iter().enumerate() {
        om[d] = ost[k];
    }
    let mut idx = vec![0usize; rank];
    let mut o = 0usize;
    for &x in src {
        out[o] = f(out[o], x);
        for d in (0..rank).rev() {
            idx[d] += 1;
            o += om[d];
            if idx[d] < sh[d] {
                break;
            }
            o -= om[d] * sh[d];
            idx[d] = 0;
        }
    }
    out
}

/// Splits a shape around `axis` into `(outer, n, inner)` element counts.
pub fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_agree_with_the_generic_walk() {
        let shape = [3usize, 1, 4, 5, 2];
        let n: usize = shape.iter().product();
        let src: Vec<i64> = (0..n as i64).map(|v| (v * 7919) % 101 - 50).collect();
        for mask in 0u32..(1 << shape.len()) {
            let axes: Vec<usize> = (0..shape.len()).filter(|d| mask & (1 << d) != 0).collect();
            let fast = reduce(&src, &shape, &axes, &Sum).unwrap();
            let slow = reduce_axes(&src, &shape, &axes, 0i64, |a, v| a + v);
            assert_eq!(fast, slow, "axes {axes:?}");
            let fast = reduce(&src, &shape, &axes, &Max).unwrap();
            let slow = reduce_axes(&src, &shape, &axes, i64::MIN, |a, v| a.max(v));
            assert_eq!(fast, slow, "axes {axes:?}");
        }
    }

    #[test]
    fn narrow_and_tall_outer_reductions() {
        for (m, k) in [(1000usize, 3usize), (129, 64), (70, 1), (5000, 7), (3, 100)] {
            let src: Vec<i32> = (0..(m * k) as i32).map(|v| v % 13).collect();
            let fast = reduce(&src, &[m, k], &[0], &Sum).unwrap();
            let slow = reduce_axes(&src, &[m, k], &[0], 0i32, |a, v| a + v);
            assert_eq!(fast, slow, "[{m}, {k}]");
        }
    }
}
