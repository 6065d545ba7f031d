//! Argmax/argmin along one axis.

use super::Arith;
use crate::kernels::elementwise::PAR_THRESHOLD;
use rayon::prelude::*;

#[inline(always)]
fn better<T: Arith, const MAX: bool>(a: T, b: T) -> bool {
    if MAX {
        a > b
    } else {
        a < b
    }
}

/// Index of the best value in a contiguous row.
fn best_in_row<T: Arith, const MAX: bool>(row: &[T]) -> usize {
    let start = if MAX { T::LOWEST } else { T::HIGHEST };
    // NaN never compares better, so it is skipped; this fold is a plain (vectorizable) max/min.
    let m = row.iter().fold(start, |acc, &v| if better::<T, MAX>(v, acc) { v } else { acc });
    if better::<T, MAX>(m, start) {
        row.iter().position(|&v| v == m).unwrap_or(0)
    } else {
        0
    }
}

/// Indices of the best values along the rows of a `[n, inner]` block, written to `out` (`inner` long).
fn best_in_block<T: Arith, const MAX: bool>(blk: &[T], inner: usize, out: &mut [usize]) {
    let start = if MAX { T::LOWEST } else { T::HIGHEST };
    let mut best = vec![start; inner];
    out.fill(0);
    for (j, row) in blk.chunks_exact(inner).enumerate() {
        for ((b, i), &v) in best.iter_mut().zip(out.iter_mut()).zip(row) {
            if better::<T, MAX>(v, *b) {
                *b = v;
                *i = j;
            }
        }
    }
}

/// Index of the largest (`MAX = true`) or smallest value along the middle axis of
/// `[outer, n, inner]` (n ≥ 1), laid out as `[outer, inner]`.
///
/// Follows TensorFlow's CPU kernel: a value wins only when strictly better than the best so far,
/// which starts at the type's lowest (highest) finite value with index 0. So ties go to the first
/// index, NaNs are skipped, and a slice with no value beyond that start (e.g. all NaN) gives 0.
pub fn arg_best<T: Arith, const MAX: bool>(src: &[T], outer: usize, n: usize, inner: usize) -> Vec<usize> {
    let mut out = vec![0usize; outer * inner];
    if out.is_empty() || n == 0 {
        return out;
    }
    let block = n * inner;
    let par = src.len() >= PAR_THRESHOLD && outer > 1;
    if inner == 1 {
        if par {
            out.par_iter_mut().zip(src.par_chunks_exact(n)).for_each(|(o, row)| *o = best_in_row::<T, MAX>(row));
        } else {
            out.iter_mut().zip(src.chunks_exact(n)).for_each(|(o, row)| *o = best_in_row::<T, MAX>(row));
        }
    } else if par {
        out.par_chunks_mut(inner)
            .zip(src.par_chunks_exact(block))
            .for_each(|(o, blk)| best_in_block::<T, MAX>(blk, inner, o));
    } else {
        out.chunks_mut(inner).zip(src.chunks_exact(block)).for_each(|(o, blk)| best_in_block::<T, MAX>(blk, inner, o));
    }
    out
}
