//! Cumulative scans (cumsum, cumprod) along one axis.

use crate::kernels::elementwise::PAR_THRESHOLD;
use rayon::prelude::*;

/// Scans one `[n, inner]` block into `out` (same size).
#[allow(clippy::too_many_arguments)]
fn scan_block<T: Copy>(
    src: &[T],
    out: &mut [T],
    n: usize,
    inner: usize,
    exclusive: bool,
    reverse: bool,
    id: T,
    f: &impl Fn(T, T) -> T,
) {
    if inner == 1 {
        let mut acc = id;
        let mut step = |(o, &x): (&mut T, &T)| {
            if exclusive {
                *o = acc;
                acc = f(acc, x);
            } else {
                acc = f(acc, x);
                *o = acc;
            }
        };
        if reverse {
            out.iter_mut().zip(src).rev().for_each(&mut step);
        } else {
            out.iter_mut().zip(src).for_each(&mut step);
        }
        return;
    }
    // Row t of the scan order is computed from the output row before it (whole rows at a time,
    // so the inner loop is an elementwise, vectorizable combine).
    let pos = |t: usize| if reverse { n - 1 - t } else { t };
    let first = pos(0) * inner;
    if exclusive {
        out[first..first + inner].fill(id);
    } else {
        out[first..first + inner].copy_from_slice(&src[first..first + inner]);
    }
    for t in 1..n {
        let (prev, cur) = (pos(t - 1) * inner, pos(t) * inner);
        let x = if exclusive { &src[prev..prev + inner] } else { &src[cur..cur + inner] };
        let (acc, dst) = if prev < cur {
            let (a, b) = out.split_at_mut(cur);
            (&a[prev..prev + inner], &mut b[..inner])
        } else {
            let (a, b) = out.split_at_mut(prev);
            (&b[..inner], &mut a[cur..cur + inner])
        };
        for ((d, &a), &v) in dst.iter_mut().zip(acc).zip(x) {
            *d = f(a, v);
        }
    }
}

/// Cumulative fold with `f` (identity `id`) along the middle axis of `[outer, n, inner]`:
/// TensorFlow's `cumsum`/`cumprod` with its `exclusive` and `reverse` flags.
#[allow(clippy::too_many_arguments)]
pub fn scan<T: Copy + Send + Sync>(
    src: &[T],
    outer: usize,
    n: usize,
    inner: usize,
    exclusive: bool,
    reverse: bool,
    id: T,
    f: impl Fn(T, T) -> T + Sync,
) -> Vec<T> {
    let mut out = vec![id; src.len()];
    let block = n * inner;
    if block == 0 || src.len() != outer * block {
        return out;
    }
    let work = |(o, s): (&mut [T], &[T])| scan_block(s, o, n, inner, exclusive, reverse, id, &f);
    if src.len() >= PAR_THRESHOLD && outer > 1 {
        let min_blocks = (PAR_THRESHOLD / block).max(1);
        out.par_chunks_mut(block).zip(src.par_chunks(block)).with_min_len(min_blocks).for_each(work);
    } else {
        out.chunks_mut(block).zip(src.chunks(block)).for_each(work);
    }
    out
}
