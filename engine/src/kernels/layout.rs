//! Layout kernels: transpose, tile, pad, concat and split over contiguous row-major buffers.
//!
//! Every kernel writes its output row by row (a row is the innermost output dimension), so
//! rows are independent and large outputs are filled in parallel.

use crate::shape;
use rayon::prelude::*;
use smallvec::{smallvec, SmallVec};

/// Outputs with at least this many elements are filled in parallel.
pub const PAR_THRESHOLD: usize = 32 * 1024;

/// Rows are handed to rayon in groups of about this many elements, to amortize scheduling.
const PAR_GRAIN: usize = 8 * 1024;

/// Fills `out` in rows of `row_len` elements with `f(row_index, row)`, in parallel when large.
pub fn fill_rows<T: Send>(out: &mut [T], row_len: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if row_len == 0 || out.is_empty() {
        return;
    }
    if out.len() >= PAR_THRESHOLD {
        let rows_per = (PAR_GRAIN / row_len).max(1);
        out.par_chunks_mut(rows_per * row_len).enumerate().for_each(|(c, chunk)| {
            for (r, row) in chunk.chunks_mut(row_len).enumerate() {
                f(c * rows_per + r, row);
            }
        });
    } else {
        for (r, row) in out.chunks_mut(row_len).enumerate() {
            f(r, row);
        }
    }
}

/// Writes the multi-index of flat position `flat` within `shape` into `idx`.
fn unravel(mut flat: usize, shape: &[usize], idx: &mut [usize]) {
    for d in (0..shape.len()).rev() {
        let n = shape[d].max(1);
        idx[d] = flat % n;
        flat /= n;
    }
}

/// Reduces a transpose to its essential form: size-1 axes dropped and input axes that stay
/// adjacent (in order) under `perm` merged. Returns the reduced input shape and permutation.
pub fn simplify_transpose(shape: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<usize>) {
    // Renumber the axes that are not size 1.
    let mut new_id = vec![usize::MAX; shape.len()];
    let mut kept_shape = Vec::new();
    for (d, &n) in shape.iter().enumerate() {
        if n != 1 {
            new_id[d] = kept_shape.len();
            kept_shape.push(n);
        }
    }
    let p: Vec<usize> = perm.iter().filter(|&&d| shape[d] != 1).map(|&d| new_id[d]).collect();
    // Groups of consecutive output axes whose input axes are consecutive too.
    let mut groups: Vec<(usize, usize)> = Vec::new(); // (first input axis, last input axis)
    for &d in &p {
        match groups.last_mut() {
            Some((_, last)) if *last + 1 == d => *last = d,
            _ => groups.push((d, d)),
        }
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| groups[g].0);
    let mut rank_of = vec![0usize; groups.len()];
    for (r, &g) in order.iter().enumerate() {
        rank_of[g] = r;
    }
    let in_shape: Vec<usize> = order.iter().map(|&g| kept_shape[groups[g].0..=groups[g].1].iter().product()).collect();
    let new_perm: Vec<usize> = (0..groups.len()).map(|g| rank_of[g]).collect();
    (in_shape, new_perm)
}

/// Edge of the square tiles used by the 2-D transpose (32x32 tiles stay in L1 for 8-byte types).
const TILE: usize = 32;

/// Transposes a `rows x cols` matrix into `out` (`cols x rows`) tile by tile, so both the
/// reads and the writes stay within a few cache lines at a time.
fn transpose2d_seq<T: Copy>(src: &[T], rows: usize, cols: usize, out: &mut [T]) {
    for (band, chunk) in out.chunks_mut(TILE * rows).enumerate() {
        transpose2d_band(src, rows, cols, band * TILE, chunk);
    }
}

/// Fills output rows `j0..j0 + chunk.len() / rows` of a 2-D transpose.
fn transpose2d_band<T: Copy>(src: &[T], rows: usize, cols: usize, j0: usize, chunk: &mut [T]) {
    let jn = chunk.len() / rows;
    for i0 in (0..rows).step_by(TILE) {
        let i1 = (i0 + TILE).min(rows);
        for j in 0..jn {
            let orow = &mut chunk[j * rows + i0..j * rows + i1];
            let col = j0 + j;
            for (k, o) in orow.iter_mut().enumerate() {
                *o = src[(i0 + k) * cols + col];
            }
        }
    }
}

/// Transposes a `rows x cols` matrix into `out`, in parallel bands of output rows when large.
pub fn transpose2d<T: Copy + Send + Sync>(src: &[T], rows: usize, cols: usize, out: &mut [T]) {
    if rows == 0 || cols == 0 {
        return;
    }
    if rows * cols >= PAR_THRESHOLD {
        out.par_chunks_mut(TILE * rows)
            .enumerate()
            .for_each(|(band, chunk)| transpose2d_band(src, rows, cols, band * TILE, chunk));
    } else {
        transpose2d_seq(src, rows, cols, out);
    }
}

/// Permutes the axes of `src` (shape `shape`): output axis `k` is input axis `perm[k]`.
/// `perm` must be a permutation of `0..shape.len()`.
pub fn transpose<T: Copy + Default + Send + Sync>(src: &[T], shape: &[usize], perm: &[usize]) -> Vec<T> {
    let n = src.len();
    let (sh, p) = simplify_transpose(shape, perm);
    if n == 0 || p.iter().enumerate().all(|(k, &d)| k == d) {
        return src.to_vec();
    }
    let mut out = vec![T::default(); n];
    if p == [1, 0] {
        transpose2d(src, sh[0], sh[1], &mut out);
        return out;
    }
    if p == [0, 2, 1] {
        // A batch of matrix transposes.
        let (rows, cols) = (sh[1], sh[2]);
        let m = rows * cols;
        if m >= PAR_THRESHOLD {
            for (s, o) in src.chunks(m).zip(out.chunks_mut(m)) {
                transpose2d(s, rows, cols, o);
            }
        } else if n >= PAR_THRESHOLD {
            out.par_chunks_mut(m).zip(src.par_chunks(m)).for_each(|(o, s)| transpose2d_seq(s, rows, cols, o));
        } else {
            for (s, o) in src.chunks(m).zip(out.chunks_mut(m)) {
                transpose2d_seq(s, rows, cols, o);
            }
        }
        return out;
    }
    // General case: walk output rows; each reads the input with a fixed stride.
    let rank = sh.len();
    let in_strides = shape::strides(&sh);
    let out_shape: Vec<usize> = p.iter().map(|&d| sh[d]).collect();
    let src_stride: Vec<usize> = p.iter().map(|&d| in_strides[d]).collect();
    let row_len = out_shape[rank - 1];
    let inner = src_stride[rank - 1];
    let outer_shape = &out_shape[..rank - 1];
    fill_rows(&mut out, row_len, |r, row| {
        let mut idx: SmallVec<[usize; 8]> = smallvec![0; rank - 1];
        unravel(r, outer_shape, &mut idx);
        let base: usize = idx.iter().zip(&src_stride).map(|(i, s)| i * s).sum();
        if inner == 1 {
            row.copy_from_slice(&src[base..base + row_len]);
        } else {
            for (k, o) in row.iter_mut().enumerate() {
                *o = src[base + k * inner];
            }
        }
    });
    out
}

/// Repeats `src` (shape `shape`) `multiples[d]` times along each axis `d`.
pub fn tile<T: Copy + Default + Send + Sync>(src: &[T], shape: &[usize], multiples: &[usize]) -> Vec<T> {
    let rank = shape.len();
    if rank == 0 {
        return src.to_vec();
    }
    let out_shape: Vec<usize> = shape.iter().zip(multiples).map(|(s, m)| s * m).collect();
    let n = shape::num_elements(&out_shape);
    let mut out = vec![T::default(); n];
    if n == 0 {
        return out;
    }
    let in_strides = shape::strides(shape);
    let last = shape[rank - 1];
    let row_len = out_shape[rank - 1];
    let outer_shape = &out_shape[..rank - 1];
    fill_rows(&mut out, row_len, |r, row| {
        let mut idx: SmallVec<[usize; 8]> = smallvec![0; rank - 1];
        unravel(r, outer_shape, &mut idx);
        let base: usize = idx.iter().enumerate().map(|(d, &i)| (i % shape[d]) * in_strides[d]).sum();
        let piece = &src[base..base + last];
        for dst in row.chunks_mut(last) {
            dst.copy_from_slice(piece);
        }
    });
    out
}

/// How `pad` fills the border.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PadMode {
    /// A constant value.
    Constant,
    /// Mirror without repeating the edge: `[1, 2, 3]` padded by 2 → `[3, 2, 1, 2, 3, 2, 1]`.
    Reflect,
    /// Mirror repeating the edge: `[1, 2, 3]` padded by 2 → `[2, 1, 1, 2, 3, 3, 2]`.
    Symmetric,
}

/// For each position along a padded axis, the source position (`None` = constant fill).
/// The caller has checked the paddings against the mode's limits.
pub fn pad_index_map(n: usize, before: usize, after: usize, mode: PadMode) -> Vec<Option<usize>> {
    let n = n as isize;
    (0..before + n as usize + after)
        .map(|p| {
            let i = p as isize - before as isize;
            let j = if i < 0 {
                match mode {
                    PadMode::Constant => return None,
                    PadMode::Reflect => -i,
                    PadMode::Symmetric => -i - 1,
                }
            } else if i >= n {
                match mode {
                    PadMode::Constant => return None,
                    PadMode::Reflect => 2 * (n - 1) - i,
                    PadMode::Symmetric => 2 * n - 1 - i,
                }
            } else {
                i
            };
            (0..n).contains(&j).then_some(j as usize)
        })
        .collect()
}

/// Pads `src` (shape `shape`) with `pads[d] = (before, after)` along each axis.
pub fn pad<T: Copy + Default + Send + Sync>(
    src: &[T],
    shape: &[usize],
    pads: &[(usize, usize)],
    mode: PadMode,
    value: T,
) -> Vec<T> {
    let rank = shape.len();
    if rank == 0 {
        return src.to_vec();
    }
    let maps: Vec<Vec<Option<usize>>> =
        shape.iter().zip(pads).map(|(&n, &(b, a))| pad_index_map(n, b, a, mode)).collect();
    let out_shape: Vec<usize> = maps.iter().map(|m| m.len()).collect();
    let mut out = vec![value; shape::num_elements(&out_shape)];
    let in_strides = shape::strides(shape);
    let (before, last) = (pads[rank - 1].0, shape[rank - 1]);
    let last_map = &maps[rank - 1];
    let outer_shape = &out_shape[..rank - 1];
    fill_rows(&mut out, out_shape[rank - 1], |r, row| {
        let mut idx: SmallVec<[usize; 8]> = smallvec![0; rank - 1];
        unravel(r, outer_shape, &mut idx);
        let mut base = 0;
        for d in 0..rank - 1 {
            match maps[d][idx[d]] {
                Some(j) => base += j * in_strides[d],
                None => return, // a constant row: already filled
            }
        }
        row[before..before + last].copy_from_slice(&src[base..base + last]);
        let edges = (0..before).chain(before + last..row.len());
        for k in edges {
            if let Some(j) = last_map[k] {
                row[k] = src[base + j];
            }
        }
    });
    out
}

/// The adjoint of `pad`: sums each element of `grad` (the padded shape) into the source
/// position it was copied from; constant border positions are dropped.
pub fn pad_grad<T: Copy + Default + std::ops::AddAssign>(
    grad: &[T],
    shape: &[usize],
    pads: &[(usize, usize)],
    mode: PadMode,
) -> Vec<T> {
    let rank = shape.len();
    let mut out = vec![T::default(); shape::num_elements(shape)];
    if rank == 0 {
        out.copy_from_slice(grad);
        return out;
    }
    if out.is_empty() {
        return out;
    }
    let maps: Vec<Vec<Option<usize>>> =
        shape.iter().zip(pads).map(|(&n, &(b, a))| pad_index_map(n, b, a, mode)).collect();
    let padded: Vec<usize> = maps.iter().map(|m| m.len()).collect();
    let in_strides = shape::strides(shape);
    let row_len = padded[rank - 1];
    if row_len == 0 {
        return out;
    }
    let last_map = &maps[rank - 1];
    let mut idx = vec![0usize; rank - 1];
    'rows: for (r, grow) in grad.chunks(row_len).enumerate() {
        unravel(r, &padded[..rank - 1], &mut idx);
        let mut base = 0;
        for d in 0..rank - 1 {
            match maps[d][idx[d]] {
                Some(j) => base += j * in_strides[d],
                None => continue 'rows,
            }
        }
        for (&g, m) in grow.iter().zip(last_map) {
            if let Some(j) = m {
                out[base + j] += g;
            }
        }
    }
    out
}

/// Concatenates `parts` along an axis: `outer` is the product of the dims before the axis and
/// `widths[k]` the number of elements of part `k` per outer index.
pub fn concat<T: Copy + Default + Send + Sync>(parts: &[&[T]], widths: &[usize], outer: usize) -> Vec<T> {
    let row_len: usize = widths.iter().sum();
    let mut out = vec![T::default(); outer * row_len];
    fill_rows(&mut out, row_len, |o, row| {
        let mut off = 0;
        for (p, &w) in parts.iter().zip(widths) {
            row[off..off + w].copy_from_slice(&p[o * w..(o + 1) * w]);
            off += w;
        }
    });
    out
}

/// One piece of a split: for each of `outer` rows of `row_len` elements, the `width` elements
/// starting at `offset`.
pub fn split_piece<T: Copy>(src: &[T], outer: usize, row_len: usize, offset: usize, width: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(outer * width);
    if width == 0 {
        return out;
    }
    for o in 0..outer {
        let s = o * row_len + offset;
        out.extend_from_slice(&src[s..s + width]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplify_merges_and_drops() {
        // [2,3,4] with perm [0,1,2] is the identity on one merged axis.
        assert_eq!(simplify_transpose(&[2, 3, 4], &[0, 1, 2]), (vec![24], vec![0]));
        // [2,3,4] → [4,2,3]: axes 0,1 stay adjacent.
        assert_eq!(simplify_transpose(&[2, 3, 4], &[2, 0, 1]), (vec![6, 4], vec![1, 0]));
        // Size-1 axes vanish.
        assert_eq!(simplify_transpose(&[1, 5, 1, 7], &[3, 2, 1, 0]), (vec![5, 7], vec![1, 0]));
    }

    #[test]
    fn blocked_transpose_matches_naive() {
        for &(r, c) in &[(1, 1), (3, 70), (65, 33), (200, 190)] {
            let src: Vec<u32> = (0..(r * c) as u32).collect();
            let mut out = vec![0u32; r * c];
            transpose2d(&src, r, c, &mut out);
            for i in 0..r {
                for j in 0..c {
                    assert_eq!(out[j * r + i], src[i * c + j]);
                }
            }
        }
    }

    #[test]
    fn pad_maps() {
        let m = |n, b, a, mode| pad_index_map(n, b, a, mode).into_iter().map(|x| x.map(|v| v as i64)).collect();
        let v: Vec<Option<i64>> = m(3, 2, 2, PadMode::Reflect);
        assert_eq!(v, [2, 1, 0, 1, 2, 1, 0].map(Some));
        let v: Vec<Option<i64>> = m(3, 2, 2, PadMode::Symmetric);
        assert_eq!(v, [1, 0, 0, 1, 2, 2, 1].map(Some));
        let v: Vec<Option<i64>> = m(2, 1, 1, PadMode::Constant);
        assert_eq!(v, vec![None, Some(0), Some(1), None]);
    }
}
