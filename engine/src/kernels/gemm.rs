//! Contraction kernels: batched matrix products over strided operands (a transpose is a
//! stride swap, never a copy), the `gemm` crate for large float products, plain loops for
//! small or integer ones, and a strided gather-sum that einsum uses to permute, take
//! diagonals and reduce.

use crate::cancel::Stop;
use crate::error::{Error, ErrorKind, Result};
use rayon::prelude::*;
use smallvec::{smallvec, SmallVec};
use std::mem::MaybeUninit;

/// Element types the contraction kernels handle.
pub trait MatElem: Copy + Send + Sync + Default + 'static {
    /// `acc + a * b`, wrapping for integers (as TensorFlow's integer matmul).
    fn mul_add(acc: Self, a: Self, b: Self) -> Self;
    /// `a + b`, wrapping for integers.
    fn add(a: Self, b: Self) -> Self;
    /// Runs one product with the `gemm` crate, writing every element of `out`; returns false,
    /// having written nothing, when the type has no such path.
    fn gemm(d: &MatDims, a: &[Self], b: &[Self], out: &mut [MaybeUninit<Self>], threads: usize) -> bool;
}

macro_rules! float_elem {
    ($t:ty) => {
        impl MatElem for $t {
            #[inline(always)]
            fn mul_add(acc: $t, a: $t, b: $t) -> $t {
                acc + a * b
            }
            #[inline(always)]
            fn add(a: $t, b: $t) -> $t {
                a + b
            }
            fn gemm(d: &MatDims, a: &[$t], b: &[$t], out: &mut [MaybeUninit<$t>], threads: usize) -> bool {
                // Callers check extents; this re-check keeps the unsafe calls sound on their own.
                if !d.fits(a.len(), b.len(), out.len()) || d.m == 0 || d.n == 0 || d.k == 0 {
                    return false;
                }
                if !transposed_output_pays(d) {
                    // SAFETY: `fits` proved every element (i, p) of A, (p, j) of B and (i, j) of
                    // the row-major output lies inside its slice.
                    unsafe { gemm_into(d, a, b, out, d.n, 1, threads, 0.0, 1.0) };
                    return true;
                }
                let len = d.m * d.n;
                let mut t: Vec<$t> = crate::kernels::elementwise::alloc_out(len);
                // SAFETY: as above, with the output written column-major: element (i, j) at
                // `i + j * m`, which also lies inside `len` elements.
                unsafe {
                    gemm_into(d, a, b, &mut t.spare_capacity_mut()[..len], 1, d.m, threads, 0.0, 1.0);
                    t.set_len(len);
                }
                crate::kernels::layout::transpose2d(&t, d.n, d.m, zeroed(out));
                true
            }
        }
    };
}
float_elem!(f32);
float_elem!(f64);

macro_rules! int_elem {
    ($t:ty) => {
        impl MatElem for $t {
            #[inline(always)]
            fn mul_add(acc: $t, a: $t, b: $t) -> $t {
                acc.wrapping_add(a.wrapping_mul(b))
            }
            #[inline(always)]
            fn add(a: $t, b: $t) -> $t {
                a.wrapping_add(b)
            }
            fn gemm(_: &MatDims, _: &[$t], _: &[$t], _: &mut [MaybeUninit<$t>], _: usize) -> bool {
                false
            }
        }
    };
}
int_elem!(i32);
int_elem!(i64);

/// True when a product is faster computed column-major and transposed afterwards: the `gemm`
/// crate runs a row-major left operand times a column-major right operand (`a @ b^T`) at about
/// 60% of its speed with a row-major output, and at full speed with a column-major one, while
/// the transpose costs one pass over the output (a k-th of the product's work).
fn transposed_output_pays(d: &MatDims) -> bool {
    d.a.cs == 1 && d.b.rs == 1 && d.b.cs != 1 && d.k >= 64 && d.m >= 16 && d.n >= 16
}

/// Runs `gemm::gemm` with output element (i, j) at `i * dst_rs + j * dst_cs` and `read_dst`
/// false, so `out` may start uninitialized: every element of the product is stored.
///
/// # Safety
/// Every element (i, p) of A, (p, j) of B and (i, j) of the output must lie inside its slice,
/// and the output must not overlap the operands.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_into<T: 'static>(
    d: &MatDims,
    a: &[T],
    b: &[T],
    out: &mut [MaybeUninit<T>],
    dst_rs: usize,
    dst_cs: usize,
    threads: usize,
    zero: T,
    one: T,
) {
    let par = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    gemm::gemm(
        d.m,
        d.n,
        d.k,
        out.as_mut_ptr().cast::<T>(),
        dst_cs as isize,
        dst_rs as isize,
        false,
        a.as_ptr(),
        d.a.cs as isize,
        d.a.rs as isize,
        b.as_ptr(),
        d.b.cs as isize,
        d.b.rs as isize,
        zero,
        one,
        false,
        false,
        false,
        par,
    );
}

/// Layout of a matrix operand: element (i, j) is at `i * rs + j * cs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strides {
    /// Row stride in elements.
    pub rs: usize,
    /// Column stride in elements.
    pub cs: usize,
}

impl Strides {
    /// Layout of a stored row-major matrix with `cols` columns, read transposed when `transposed`.
    pub fn stored(cols: usize, transposed: bool) -> Strides {
        if transposed {
            Strides { rs: 1, cs: cols }
        } else {
            Strides { rs: cols, cs: 1 }
        }
    }
}

/// One product `[m, k] @ [k, n]` with the operand layouts; the output is row-major `[m, n]`.
#[derive(Clone, Copy, Debug)]
pub struct MatDims {
    /// Output rows.
    pub m: usize,
    /// Output columns.
    pub n: usize,
    /// Contracted size.
    pub k: usize,
    /// Layout of the left operand.
    pub a: Strides,
    /// Layout of the right operand.
    pub b: Strides,
}

impl MatDims {
    /// True when every element the product touches lies inside slices of these lengths.
    pub fn fits(&self, a_len: usize, b_len: usize, out_len: usize) -> bool {
        if self.m.checked_mul(self.n) != Some(out_len) {
            return false;
        }
        if self.m == 0 || self.n == 0 || self.k == 0 {
            return true;
        }
        let end = |r: usize, c: usize, s: Strides| -> Option<usize> {
            (r - 1).checked_mul(s.rs)?.checked_add((c - 1).checked_mul(s.cs)?)?.checked_add(1)
        };
        matches!(end(self.m, self.k, self.a), Some(e) if e <= a_len)
            && matches!(end(self.k, self.n, self.b), Some(e) if e <= b_len)
    }

    fn flops(&self) -> usize {
        self.m.saturating_mul(self.n).saturating_mul(self.k)
    }
}

/// Products with at most this many multiply-adds use plain loops: below it the `gemm` crate's
/// dispatch costs more than the arithmetic (measured crossover: between 8³ and 12³).
pub const SMALL_MNK: usize = 1024;
/// Products with at least this many multiply-adds are split across threads (single-threaded
/// AVX-512 gemm runs ~180 GFLOP/s up to 192³; a second thread pays off from ~256³).
pub const PARALLEL_MNK: usize = 200 * 200 * 200;
/// A batch of products is spread over threads when its total work reaches this.
const PARALLEL_BATCH_MNK: usize = 64 * 64 * 64;
/// Products with more multiply-adds than this run as blocks of rows, checking for cancellation
/// between blocks (2^30 multiply-adds: about 10 ms of gemm on two AVX-512 cores).
pub const CANCEL_BLOCK_MNK: usize = 1 << 30;
/// The fewest rows of a block: every block packs the whole right operand again, which costs
/// about one part in this many of the block's arithmetic.
const CANCEL_BLOCK_ROWS: usize = 256;

/// Rows per cancellation block of a product (`d.m` or more when it runs in one piece).
fn block_rows(d: &MatDims) -> usize {
    (CANCEL_BLOCK_MNK / d.n.saturating_mul(d.k).max(1)).max(CANCEL_BLOCK_ROWS)
}

/// Computes `out = A @ B` for one product, overwriting `out`. Large products stop between
/// blocks of rows with `CancelledError` when the current cancel token is cancelled.
pub fn matmul<T: MatElem>(d: &MatDims, a: &[T], b: &[T], out: &mut [T], parallel: bool) -> Result<()> {
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and the product only stores initialized
    // values, so `out` stays initialized.
    let view = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<MaybeUninit<T>>(), out.len()) };
    product(d, a, b, view, parallel, &Stop::current())
}

/// Zero-fills `out` and returns it as initialized values.
fn zeroed<T: MatElem>(out: &mut [MaybeUninit<T>]) -> &mut [T] {
    out.iter_mut().for_each(|o| {
        o.write(T::default());
    });
    // SAFETY: every element was just written.
    unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<T>(), out.len()) }
}

/// [`matmul`] polling `stop` (captured by the caller, which may be a rayon worker). On success
/// every element of `out` has been written, so it may start uninitialized.
fn product<T: MatElem>(
    d: &MatDims,
    a: &[T],
    b: &[T],
    out: &mut [MaybeUninit<T>],
    parallel: bool,
    stop: &Stop,
) -> Result<()> {
    if !d.fits(a.len(), b.len(), out.len()) {
        return Err(Error::new(
            ErrorKind::Internal,
            "matmul",
            format!("operand extents do not fit the product {d:?} ({} / {} / {})", a.len(), b.len(), out.len()),
        ));
    }
    if d.m == 0 || d.n == 0 || d.k == 0 {
        zeroed(out);
        return Ok(());
    }
    stop.check("matmul")?;
    let flops = d.flops();
    if flops > SMALL_MNK {
        let threads = if parallel && flops >= PARALLEL_MNK { rayon::current_num_threads() } else { 1 };
        let rows = if flops > CANCEL_BLOCK_MNK { block_rows(d) } else { d.m };
        if gemm_blocks(d, a, b, out, threads, rows, stop)? {
            return Ok(());
        }
        if parallel && flops >= PARALLEL_MNK && d.m > 1 {
            return loops_parallel(d, a, b, zeroed(out), stop);
        }
    }
    loops(d, a, b, zeroed(out));
    Ok(())
}

/// Runs the product with the `gemm` crate in blocks of `rows` rows, checking `stop` between
/// blocks; returns false, having written nothing, when `T` has no gemm path.
fn gemm_blocks<T: MatElem>(
    d: &MatDims,
    a: &[T],
    b: &[T],
    out: &mut [MaybeUninit<T>],
    threads: usize,
    rows: usize,
    stop: &Stop,
) -> Result<bool> {
    let rows = rows.max(1);
    if rows >= d.m {
        return Ok(T::gemm(d, a, b, out, threads));
    }
    for (i, block) in out.chunks_mut(rows * d.n).enumerate() {
        if i > 0 {
            stop.check("matmul")?;
        }
        let r0 = i * rows;
        let sub = MatDims { m: block.len() / d.n, ..*d };
        // Every block has the same element type, so only the first can decline.
        if !T::gemm(&sub, &a[r0 * d.a.rs..], b, block, threads) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Plain-loop product for small float and all integer products; `out` must be zero-filled.
fn loops<T: MatElem>(d: &MatDims, a: &[T], b: &[T], out: &mut [T]) {
    let MatDims { m, n, k, a: sa, b: sb } = *d;
    if sb.cs == 1 {
        // out[i, :] += a[i, p] * b[p, :], blocked over p so a panel of B stays in cache.
        const KC: usize = 128;
        const NC: usize = 1024;
        for j0 in (0..n).step_by(NC) {
            let j1 = (j0 + NC).min(n);
            for p0 in (0..k).step_by(KC) {
                let p1 = (p0 + KC).min(k);
                for i in 0..m {
                    let orow = &mut out[i * n + j0..i * n + j1];
                    for p in p0..p1 {
                        let av = a[i * sa.rs + p * sa.cs];
                        let brow = &b[p * sb.rs + j0..p * sb.rs + j1];
                        for (o, &bv) in orow.iter_mut().zip(brow) {
                            *o = T::mul_add(*o, av, bv);
                        }
                    }
                }
            }
        }
    } else if sa.cs == 1 && sb.rs == 1 {
        // Both operands are contiguous along k: dot products.
        for i in 0..m {
            let arow = &a[i * sa.rs..i * sa.rs + k];
            for j in 0..n {
                let bcol = &b[j * sb.cs..j * sb.cs + k];
                out[i * n + j] = arow.iter().zip(bcol).fold(T::default(), |acc, (&x, &y)| T::mul_add(acc, x, y));
            }
        }
    } else {
        for i in 0..m {
            for p in 0..k {
                let av = a[i * sa.rs + p * sa.cs];
                for j in 0..n {
                    out[i * n + j] = T::mul_add(out[i * n + j], av, b[p * sb.rs + j * sb.cs]);
                }
            }
        }
    }
}

/// `loops` split over row blocks on the rayon pool (integer products), checking `stop`
/// before each block.
fn loops_parallel<T: MatElem>(d: &MatDims, a: &[T], b: &[T], out: &mut [T], stop: &Stop) -> Result<()> {
    let threads = rayon::current_num_threads().max(1);
    // Blocks of at most ~2^26 multiply-adds, so a cancellation is seen within a few of them.
    let rows = d.m.div_ceil(threads * 4).min((1 << 26) / d.n.saturating_mul(d.k).max(1)).max(1);
    out.par_chunks_mut(rows * d.n).enumerate().try_for_each(|(c, chunk)| {
        stop.check("matmul")?;
        let r0 = c * rows;
        let sub = MatDims { m: chunk.len() / d.n, ..*d };
        loops(&sub, &a[r0 * d.a.rs..], b, chunk);
        Ok(())
    })
}

/// Where each product of a batch reads its operands: batch index → element offsets.
#[derive(Clone, Debug)]
pub struct BatchOffsets {
    /// Output batch dimensions (row-major).
    pub dims: SmallVec<[usize; 4]>,
    /// Per batch dimension, the left operand's offset step (0 where it broadcasts).
    pub a_steps: SmallVec<[usize; 4]>,
    /// Per batch dimension, the right operand's offset step (0 where it broadcasts).
    pub b_steps: SmallVec<[usize; 4]>,
}

impl BatchOffsets {
    /// Offsets of contiguous, non-broadcast batches of `a_size` and `b_size` elements.
    pub fn dense(batch: usize, a_size: usize, b_size: usize) -> BatchOffsets {
        BatchOffsets { dims: smallvec![batch], a_steps: smallvec![a_size], b_steps: smallvec![b_size] }
    }

    /// Number of products.
    pub fn count(&self) -> usize {
        self.dims.iter().product()
    }

    fn offsets(&self, mut idx: usize) -> (usize, usize) {
        let (mut oa, mut ob) = (0, 0);
        for d in (0..self.dims.len()).rev() {
            let size = self.dims[d].max(1);
            let i = idx % size;
            idx /= size;
            oa += i * self.a_steps[d];
            ob += i * self.b_steps[d];
        }
        (oa, ob)
    }
}

/// Computes every product of a batch into `out` (`count * m * n` elements, which may start
/// uninitialized: on success every one has been written). Threads go inside one large product,
/// or across the batch when products are small.
pub fn batched_matmul<T: MatElem>(
    d: &MatDims,
    a: &[T],
    b: &[T],
    batch: &BatchOffsets,
    out: &mut [MaybeUninit<T>],
) -> Result<()> {
    let count = batch.count();
    let per = d.m * d.n;
    if out.len() != count * per {
        return Err(Error::new(
            ErrorKind::Internal,
            "matmul",
            format!("output has {} elements, expected {count} x {per}", out.len()),
        ));
    }
    if per == 0 {
        return Ok(());
    }
    let stop = Stop::current();
    let run = |bi: usize, o: &mut [MaybeUninit<T>], parallel: bool| -> Result<()> {
        let (oa, ob) = batch.offsets(bi);
        let (a, b) = match (a.get(oa..), b.get(ob..)) {
            (Some(a), Some(b)) => (a, b),
            _ if d.k == 0 => {
                zeroed(o);
                return Ok(());
            }
            _ => return Err(Error::new(ErrorKind::Internal, "matmul", "batch offset out of range")),
        };
        product(d, a, b, o, parallel, &stop)
    };
    let total = d.flops().saturating_mul(count);
    if count > 1 && d.flops() < PARALLEL_MNK && total >= PARALLEL_BATCH_MNK {
        out.par_chunks_mut(per).enumerate().try_for_each(|(bi, o)| run(bi, o, false))
    } else {
        out.chunks_mut(per).enumerate().try_for_each(|(bi, o)| run(bi, o, true))
    }
}

/// Reads `src` through a strided view and sums over some of its axes.
///
/// `keep` lists (size, source stride) of each output axis in output order, `sum` those of the
/// summed axes. The result is contiguous row-major over `keep`. Equal strides on several source
/// axes (a diagonal) are expressed by the caller adding them up.
pub fn strided_sum<T: MatElem>(src: &[T], keep: &[(usize, usize)], sum: &[(usize, usize)]) -> Result<Vec<T>> {
    let n_out: usize = keep.iter().map(|&(s, _)| s).product();
    let n_sum: usize = sum.iter().map(|&(s, _)| s).product();
    if n_out == 0 {
        return Ok(Vec::new());
    }
    if n_sum == 0 {
        return Ok(vec![T::default(); n_out]);
    }
    let last: usize = keep.iter().chain(sum).map(|&(s, st)| (s - 1) * st).sum();
    if last >= src.len() {
        return Err(Error::new(
            ErrorKind::Internal,
            "einsum",
            format!("strided view reaches element {last} of a buffer of {}", src.len()),
        ));
    }
    let mut out = Vec::with_capacity(n_out);
    // The innermost kept axis is walked directly; the others by an odometer.
    let (inner_n, inner_st) = keep.last().copied().unwrap_or((1, 0));
    let outer = &keep[..keep.len().saturating_sub(1)];
    let mut idx = vec![0usize; outer.len()];
    let mut base = 0usize;
    let mut sidx = vec![0usize; sum.len()];
    for _ in 0..n_out / inner_n {
        if sum.is_empty() {
            if inner_st == 1 {
                out.extend_from_slice(&src[base..base + inner_n]);
            } else {
                out.extend((0..inner_n).map(|j| src[base + j * inner_st]));
            }
        } else {
            for j in 0..inner_n {
                out.push(sum_view(src, base + j * inner_st, sum, &mut sidx));
            }
        }
        for d in (0..outer.len()).rev() {
            idx[d] += 1;
            base += outer[d].1;
            if idx[d] < outer[d].0 {
                break;
            }
            base -= outer[d].1 * outer[d].0;
            idx[d] = 0;
        }
    }
    Ok(out)
}

/// Sum of `src` over the strided box `sum` starting at `base`.
fn sum_view<T: MatElem>(src: &[T], base: usize, sum: &[(usize, usize)], idx: &mut [usize]) -> T {
    let (inner_n, inner_st) = sum[sum.len() - 1];
    let outer = &sum[..sum.len() - 1];
    idx.iter_mut().for_each(|i| *i = 0);
    let mut acc = T::default();
    let mut off = base;
    let rows: usize = outer.iter().map(|&(s, _)| s).product();
    for _ in 0..rows {
        if inner_st == 1 {
            acc = src[off..off + inner_n].iter().fold(acc, |a, &v| T::add(a, v));
        } else {
            for j in 0..inner_n {
                acc = T::add(acc, src[off + j * inner_st]);
            }
        }
        for d in (0..outer.len()).rev() {
            idx[d] += 1;
            off += outer[d].1;
            if idx[d] < outer[d].0 {
                break;
            }
            off -= outer[d].1 * outer[d].0;
            idx[d] = 0;
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut o = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    o[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        o
    }

    #[test]
    fn all_paths_agree() {
        for &(m, n, k) in &[(3, 4, 5), (20, 30, 40), (130, 70, 150), (1, 200, 9)] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 7 % 13) as f64) - 6.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 5 % 11) as f64) - 5.0).collect();
            let want = naive(m, n, k, &a, &b);
            let d = MatDims { m, n, k, a: Strides::stored(k, false), b: Strides::stored(n, false) };
            // Outputs start as garbage: every path must overwrite them.
            let mut got = vec![f64::NAN; m * n];
            matmul(&d, &a, &b, &mut got, true).unwrap();
            assert_eq!(got, want);
            let ai: Vec<i64> = a.iter().map(|&v| v as i64).collect();
            let bi: Vec<i64> = b.iter().map(|&v| v as i64).collect();
            let mut goti = vec![i64::MIN; m * n];
            matmul(&d, &ai, &bi, &mut goti, true).unwrap();
            assert_eq!(goti.iter().map(|&v| v as f64).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn right_transposed_products_agree_with_the_naive_product() {
        // Shapes on both sides of the column-major-output threshold (k >= 64, m, n >= 16).
        for &(m, n, k) in &[(16, 16, 64), (33, 70, 130), (128, 40, 64), (20, 15, 100), (40, 40, 63)] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 7 % 13) as f64) - 6.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 5 % 11) as f64) - 5.0).collect();
            let want = naive(m, n, k, &a, &b);
            // B stored transposed: bt[j * k + p] = b[p * n + j].
            let mut bt = vec![0.0; k * n];
            for p in 0..k {
                for j in 0..n {
                    bt[j * k + p] = b[p * n + j];
                }
            }
            let d = MatDims { m, n, k, a: Strides::stored(k, false), b: Strides::stored(k, true) };
            for parallel in [false, true] {
                let mut got = vec![f64::NAN; m * n];
                matmul(&d, &a, &bt, &mut got, parallel).unwrap();
                assert_eq!(got, want, "{m}x{n}x{k}");
            }
        }
    }

    /// A float whose "gemm" is the plain loops and cancels `CANCEL_AFTER` after that many blocks.
    #[derive(Clone, Copy, Default, Debug, PartialEq)]
    struct Counted(f64);

    thread_local! {
        static BLOCKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        static CANCEL_AFTER: std::cell::RefCell<Option<(usize, crate::cancel::CancelToken)>> =
            const { std::cell::RefCell::new(None) };
    }

    impl MatElem for Counted {
        fn mul_add(acc: Self, a: Self, b: Self) -> Self {
            Counted(acc.0 + a.0 * b.0)
        }
        fn add(a: Self, b: Self) -> Self {
            Counted(a.0 + b.0)
        }
        fn gemm(d: &MatDims, a: &[Self], b: &[Self], out: &mut [MaybeUninit<Self>], _: usize) -> bool {
            loops(d, a, b, zeroed(out));
            let n = BLOCKS.with(|c| {
                c.set(c.get() + 1);
                c.get()
            });
            CANCEL_AFTER.with(|c| {
                if let Some((after, token)) = &*c.borrow() {
                    if n == *after {
                        token.cancel();
                    }
                }
            });
            true
        }
    }

    #[test]
    fn row_blocks_compute_the_product_and_stop_between_blocks() {
        use crate::cancel::{CancelToken, Stop};
        let (m, n, k) = (10, 7, 5);
        let a: Vec<Counted> = (0..m * k).map(|i| Counted((i % 7) as f64 - 3.0)).collect();
        let b: Vec<Counted> = (0..k * n).map(|i| Counted((i % 5) as f64 - 2.0)).collect();
        let want =
            naive(m, n, k, &a.iter().map(|x| x.0).collect::<Vec<_>>(), &b.iter().map(|x| x.0).collect::<Vec<_>>());
        for transposed in [false, true] {
            let a = if transposed { (0..k * m).map(|i| a[(i % m) * k + i / m]).collect::<Vec<_>>() } else { a.clone() };
            let d = MatDims {
                m,
                n,
                k,
                a: Strides::stored(if transposed { m } else { k }, transposed),
                b: Strides::stored(n, false),
            };
            // Blocks of 3 rows: 4 blocks, the same product as one piece.
            BLOCKS.with(|c| c.set(0));
            let mut out = vec![MaybeUninit::new(Counted(f64::NAN)); m * n];
            assert!(gemm_blocks(&d, &a, &b, &mut out, 1, 3, &Stop::never()).unwrap());
            assert_eq!(BLOCKS.with(|c| c.get()), 4);
            // SAFETY: initialized above, and gemm_blocks only stores initialized values.
            assert_eq!(out.iter().map(|x| unsafe { x.assume_init() }.0).collect::<Vec<_>>(), want);
            // Cancelled while the second block runs: the third never starts.
            let token = CancelToken::new();
            CANCEL_AFTER.with(|c| *c.borrow_mut() = Some((2, token.clone())));
            BLOCKS.with(|c| c.set(0));
            let mut out = vec![MaybeUninit::new(Counted::default()); m * n];
            let e = crate::cancel::with_cancel(&token, || gemm_blocks(&d, &a, &b, &mut out, 1, 3, &Stop::current()))
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Cancelled);
            assert_eq!(BLOCKS.with(|c| c.get()), 2);
            CANCEL_AFTER.with(|c| *c.borrow_mut() = None);
        }
    }

    #[test]
    fn strided_sum_permutes_and_reduces() {
        let x: Vec<i32> = (0..6).collect(); // [[0,1,2],[3,4,5]]
        assert_eq!(strided_sum(&x, &[(3, 1), (2, 3)], &[]).unwrap(), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(strided_sum(&x, &[(2, 3)], &[(3, 1)]).unwrap(), vec![3, 12]);
        assert_eq!(strided_sum(&x, &[], &[(2, 3), (3, 1)]).unwrap(), vec![15]);
        let eye: Vec<i32> = vec![1, 2, 3, 4]; // diagonal: stride 3 over a 2x2
        assert_eq!(strided_sum(&eye, &[(2, 3)], &[]).unwrap(), vec![1, 4]);
    }
}
