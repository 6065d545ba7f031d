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

/// Edge of the square tiles of the transpose kernel (a tile is staged in an L1 buffer): rows of
/// 256 bytes, 64 elements of float32.
const fn tile_edge<T>() -> usize {
    let t = 256 / std::mem::size_of::<T>();
    if t > 64 {
        64
    } else if t < 16 {
        16
    } else {
        t
    }
}

/// Edge of the blocks of tiles of the transpose kernel (bounds the pages a block touches).
const BLOCK: usize = 256;

/// One 2-D transpose problem inside a larger layout: element `(l, m)` is read from
/// `src[sbase + l * src_ld + m]` and written to `out[obase + m * out_ld + l]`.
struct Plane {
    sbase: usize,
    src_ld: usize,
    obase: usize,
    out_ld: usize,
    /// Extent along `l` (contiguous in the output).
    len_l: usize,
    /// Extent along `m` (contiguous in the source).
    len_m: usize,
}

/// Transposes one plane tile by tile. Each tile is gathered into a small contiguous buffer
/// first, so source rows and output rows are each touched once per tile; this avoids the
/// cache-set conflicts that strided access suffers when row lengths are powers of two.
fn transpose_plane<T: Copy>(src: &[T], out: &mut [T], p: &Plane, buf: &mut [T]) {
    let tile = tile_edge::<T>();
    if p.len_l <= 4 || p.len_m <= 4 {
        // Thin planes stream well without tiling.
        for m in 0..p.len_m {
            let o = p.obase + m * p.out_ld;
            for (l, dst) in out[o..o + p.len_l].iter_mut().enumerate() {
                *dst = src[p.sbase + l * p.src_ld + m];
            }
        }
        return;
    }
    // Blocks of BLOCK x BLOCK keep the pages touched (one per source row and one per output
    // row) within the TLB; tiles of tile x tile inside them keep the data within L1.
    for lb in (0..p.len_l).step_by(BLOCK) {
        let lb1 = (lb + BLOCK).min(p.len_l);
        for mb in (0..p.len_m).step_by(BLOCK) {
            let mb1 = (mb + BLOCK).min(p.len_m);
            for l0 in (lb..lb1).step_by(tile) {
                let l1 = (l0 + tile).min(lb1);
                for mm0 in (mb..mb1).step_by(tile) {
                    let mm1 = (mm0 + tile).min(mb1);
                    let w = mm1 - mm0;
                    for l in l0..l1 {
                        let s = p.sbase + l * p.src_ld + mm0;
                        buf[(l - l0) * tile..(l - l0) * tile + w].copy_from_slice(&src[s..s + w]);
                    }
                    for m in mm0..mm1 {
                        let o = p.obase + m * p.out_ld + l0;
                        for (k, dst) in out[o..o + (l1 - l0)].iter_mut().enumerate() {
                            *dst = buf[k * tile + (m - mm0)];
                        }
                    }
                }
            }
        }
    }
}

/// Transposes a `rows x cols` matrix into `out` (`cols x rows`).
pub fn transpose2d<T: Copy + Default + Send + Sync>(src: &[T], rows: usize, cols: usize, out: &mut [T]) {
    transpose_into(src, &[rows, cols], &[1, 0], out);
}

/// Permutes the axes of `src` (shape `shape`): output axis `k` is input axis `perm[k]`.
/// `perm` must be a permutation of `0..shape.len()`.
pub fn transpose<T: Copy + Default + Send + Sync>(src: &[T], shape: &[usize], perm: &[usize]) -> Vec<T> {
    let mut out = vec![T::default(); src.len()];
    transpose_into(src, shape, perm, &mut out);
    out
}

/// `transpose` into a caller-provided buffer of the same length as `src`.
fn transpose_into<T: Copy + Default + Send + Sync>(src: &[T], shape: &[usize], perm: &[usize], out: &mut [T]) {
    let n = src.len();
    let (sh, p) = simplify_transpose(shape, perm);
    if n == 0 {
        return;
    }
    let rank = sh.len();
    if p.iter().enumerate().all(|(k, &d)| k == d) {
        out.copy_from_slice(src);
        return;
    }
    let in_strides = shape::strides(&sh);
    let out_shape: Vec<usize> = p.iter().map(|&d| sh[d]).collect();
    let out_strides = shape::strides(&out_shape);
    let src_stride: Vec<usize> = p.iter().map(|&d| in_strides[d]).collect();
    if p[rank - 1] == rank - 1 {
        // The innermost axis stays innermost: every output row is one contiguous source run.
        let row_len = out_shape[rank - 1];
        let outer_shape = &out_shape[..rank - 1];
        fill_rows(out, row_len, |r, row| {
            let mut idx: SmallVec<[usize; 8]> = smallvec![0; rank - 1];
            unravel(r, outer_shape, &mut idx);
            let base: usize = idx.iter().zip(&src_stride).map(|(i, s)| i * s).sum();
            row.copy_from_slice(&src[base..base + row_len]);
        });
        return;
    }
    // Otherwise a batch of 2-D transposes: between output axis `a` (the source's contiguous
    // axis) and the output's last axis; every other axis indexes the batch. The output is cut
    // into chunks along its first axis, which are contiguous and independent.
    let a = p.iter().position(|&d| d == rank - 1).unwrap_or(0);
    let rows0 = out_shape[0];
    let per_index = out_strides[0];
    // A chunk that cuts axis `a` holds whole blocks, so each source row is read in long runs.
    let min_rows = if a == 0 { BLOCK } else { 1 };
    let chunk_rows = if n >= PAR_THRESHOLD { (PAR_GRAIN / per_index).max(min_rows) } else { rows0 };
    let run = |c: usize, chunk: &mut [T]| {
        let k0 = c * chunk_rows;
        let k1 = (k0 + chunk.len() / per_index).min(rows0);
        let mut buf = vec![T::default(); tile_edge::<T>() * tile_edge::<T>()];
        // Ranges of every output axis within this chunk.
        let lo: SmallVec<[usize; 8]> = (0..rank).map(|d| if d == 0 { k0 } else { 0 }).collect();
        let hi: SmallVec<[usize; 8]> = (0..rank).map(|d| if d == 0 { k1 } else { out_shape[d] }).collect();
        let batch: SmallVec<[usize; 8]> = (0..rank).filter(|&d| d != a && d != rank - 1).collect();
        let mut idx: SmallVec<[usize; 8]> = batch.iter().map(|&d| lo[d]).collect();
        if batch.iter().any(|&d| lo[d] >= hi[d]) {
            return;
        }
        loop {
            let mut sbase = 0;
            let mut obase = 0;
            for (&d, &i) in batch.iter().zip(&idx) {
                sbase += i * src_stride[d];
                obase += i * out_strides[d];
            }
            // Offsets are relative to the chunk. When the chunk cuts axis `a` itself, shift the
            // source instead (axis `a` has source stride 1).
            let (sbase, obase, len_m) =
                if a == 0 { (sbase + k0, obase, k1 - k0) } else { (sbase, obase - k0 * per_index, hi[a]) };
            let plane = Plane {
                sbase,
                src_ld: src_stride[rank - 1],
                obase,
                out_ld: out_strides[a],
                len_l: out_shape[rank - 1],
                len_m,
            };
            transpose_plane(src, chunk, &plane, &mut buf);
            // Next batch index (odometer over the batch axes).
            let mut k = batch.len();
            loop {
                if k == 0 {
                    return;
                }
                k -= 1;
                idx[k] += 1;
                if idx[k] < hi[batch[k]] {
                    break;
                }
                idx[k] = lo[batch[k]];
            }
        }
    };
    if n >= PAR_THRESHOLD {
        out.par_chunks_mut(chunk_rows * per_index).enumerate().for_each(|(c, chunk)| run(c, chunk));
    } else {
        run(0, out);
    }
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
    let out_shape: Vec<usize> = shape.iter().zip(pads).map(|(&n, &(b, a))| b + n + a).collect();
    let mut out = vec![value; shape::num_elements(&out_shape)];
    if out.is_empty() {
        // An empty output may still have huge dimensions: build no index maps for it.
        return out;
    }
    let maps: Vec<Vec<Option<usize>>> =
        shape.iter().zip(pads).map(|(&n, &(b, a))| pad_index_map(n, b, a, mode)).collect();
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
