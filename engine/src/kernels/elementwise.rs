//! Elementwise kernels: parallel maps and NumPy broadcasting that never materializes a
//! broadcast operand.
//!
//! Every inner loop is compiled twice, for the baseline x86-64 target and for AVX2, and the
//! AVX2 copy is picked at run time when the CPU has it; the loop bodies are the same code, so
//! both produce bit-identical results. Broadcasting first collapses the output shape to as few
//! dimensions as possible (merging dimensions that all operands walk contiguously), so the
//! common cases (same shape, scalar, row vector `[N, M] op [M]`, column `[N, M] op [N, 1]`,
//! outer `[N, 1] op [1, M]`) become contiguous inner loops that vectorize, split across the
//! rayon pool for large outputs.

use crate::cancel::Stop;
use crate::error::Result;
use crate::shape;
use crate::tensor::Storage;
use rayon::prelude::*;
use smallvec::{smallvec, SmallVec};
use std::any::Any;
use std::mem::MaybeUninit;
use std::sync::Mutex;

/// Above this many elements, elementwise kernels split work across the rayon pool.
pub const PAR_THRESHOLD: usize = 1 << 15;

/// Elements per parallel task.
const PAR_CHUNK: usize = 1 << 15;

/// An empty vector with room for `n` elements: a recently released buffer when one fits (see
/// [`recycle`]), else a fresh allocation that large outputs advise onto transparent huge
/// pages. First-touch page faults otherwise dominate big elementwise ops: a fresh 64 MiB
/// output takes 16384 faults (each zeroing a 4 KiB page) before a single value is computed.
pub fn alloc_out<T: 'static>(n: usize) -> Vec<T> {
    if let Some(v) = take_cached(n) {
        return v;
    }
    let v = Vec::with_capacity(n);
    #[cfg(target_os = "linux")]
    advise_huge_pages(v.as_ptr() as usize, n.saturating_mul(std::mem::size_of::<T>()));
    v
}

/// Buffers at least this large are kept for reuse when their last tensor is dropped.
const REUSE_MIN_BYTES: usize = 1 << 20;
/// At most this many bytes of released buffers are kept (oldest are freed first).
const REUSE_MAX_BYTES: usize = 512 << 20;

struct Cached {
    bytes: usize,
    capacity: usize,
    buf: Box<dyn Any + Send>,
}

static CACHE: Mutex<Vec<Cached>> = Mutex::new(Vec::new());

/// Takes the buffer out of `storage` (which its last tensor is releasing) and keeps it for a
/// later output of similar size, within a fixed memory budget. Small buffers are left alone.
pub fn recycle(storage: &mut Storage) {
    let bytes = storage.len().max(1) * storage.dtype().size_of();
    if !(REUSE_MIN_BYTES..=REUSE_MAX_BYTES).contains(&bytes) {
        return;
    }
    match storage {
        Storage::F32(v) => keep(std::mem::take(v)),
        Storage::F64(v) => keep(std::mem::take(v)),
        Storage::I32(v) => keep(std::mem::take(v)),
        Storage::I64(v) => keep(std::mem::take(v)),
        Storage::Bool(v) => keep(std::mem::take(v)),
    }
}

fn keep<T: Send + 'static>(mut v: Vec<T>) {
    v.clear();
    let bytes = v.capacity() * std::mem::size_of::<T>();
    let mut evicted = Vec::new();
    {
        let Ok(mut cache) = CACHE.lock() else { return };
        let mut total: usize = cache.iter().map(|c| c.bytes).sum::<usize>() + bytes;
        while total > REUSE_MAX_BYTES && !cache.is_empty() {
            let old = cache.remove(0);
            total -= old.bytes;
            evicted.push(old);
        }
        cache.push(Cached { bytes, capacity: v.capacity(), buf: Box::new(v) });
    }
    // Freeing (unmapping) happens outside the lock.
    drop(evicted);
}

/// The most recently released buffer of `T` that holds `n` elements without wasting more
/// than a quarter (recent buffers are the likeliest to still be in cache).
fn take_cached<T: 'static>(n: usize) -> Option<Vec<T>> {
    let size = std::mem::size_of::<T>();
    if size == 0 || n.saturating_mul(size) < REUSE_MIN_BYTES {
        return None;
    }
    let mut cache = CACHE.lock().ok()?;
    let i = cache.iter().rposition(|c| c.buf.is::<Vec<T>>() && c.capacity >= n && c.capacity - n <= n / 4)?;
    let c = cache.remove(i);
    drop(cache);
    c.buf.downcast::<Vec<T>>().ok().map(|b| *b)
}

/// Frees every buffer kept for reuse (they are otherwise bounded to 512 MiB in total).
pub fn release_cached_buffers() {
    let drained: Vec<Cached> = match CACHE.lock() {
        Ok(mut cache) => cache.drain(..).collect(),
        Err(_) => return,
    };
    drop(drained);
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(addr: usize, bytes: usize) {
    const HUGE: usize = 2 << 20;
    const PAGE: usize = 4096;
    extern "C" {
        fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: std::ffi::c_int) -> std::ffi::c_int;
    }
    const MADV_HUGEPAGE: std::ffi::c_int = 14;
    if bytes < 2 * HUGE {
        return;
    }
    let start = addr & !(PAGE - 1);
    let end = (addr + bytes + PAGE - 1) & !(PAGE - 1);
    // SAFETY: the range lies within pages of a live allocation owned by the caller; the advice
    // only changes how the kernel backs those pages, never their contents. Failure (for
    // example when huge pages are disabled) is harmless and ignored.
    unsafe {
        madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE);
    }
}

/// The widest vector instruction set the inner loops were compiled for that this CPU runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Isa {
    /// The baseline target (SSE2 on x86-64).
    Base,
    /// AVX2: 256-bit vectors.
    Avx2,
    /// AVX-512 (F, BW, DQ, VL): 512-bit vectors.
    Avx512,
}

/// The instruction set the kernels use on this machine (detected once).
pub fn isa() -> Isa {
    use std::sync::atomic::{AtomicU8, Ordering};
    static LEVEL: AtomicU8 = AtomicU8::new(0);
    match LEVEL.load(Ordering::Relaxed) {
        1 => Isa::Base,
        2 => Isa::Avx2,
        3 => Isa::Avx512,
        _ => {
            let level = detect_isa();
            LEVEL.store(
                match level {
                    Isa::Base => 1,
                    Isa::Avx2 => 2,
                    Isa::Avx512 => 3,
                },
                Ordering::Relaxed,
            );
            level
        }
    }
}

fn detect_isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        // Both levels compile the math kernels with FMA; a CPU with AVX2 but no FMA takes
        // the baseline path.
        let fma = std::is_x86_feature_detected!("fma");
        if fma
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl")
        {
            return Isa::Avx512;
        }
        if fma && std::is_x86_feature_detected!("avx2") {
            return Isa::Avx2;
        }
    }
    Isa::Base
}

#[inline(always)]
fn unary_body<T: Copy, U, F: Fn(T) -> U>(src: &[T], out: &mut [MaybeUninit<U>], f: &F) {
    for (o, &x) in out.iter_mut().zip(src) {
        o.write(f(x));
    }
}

/// One run of a binary op: `a` and `b` start at the run's first element and advance by
/// `ia`/`ib` (0 = the operand is broadcast along the run, 1 = contiguous).
#[inline(always)]
fn binary_body<A: Copy, B: Copy, O, F: Fn(A, B) -> O>(
    a: &[A],
    ia: usize,
    b: &[B],
    ib: usize,
    out: &mut [MaybeUninit<O>],
    f: &F,
) {
    let n = out.len();
    match (ia, ib) {
        (1, 1) => {
            for ((o, &x), &y) in out.iter_mut().zip(&a[..n]).zip(&b[..n]) {
                o.write(f(x, y));
            }
        }
        (1, 0) => {
            let y = b[0];
            for (o, &x) in out.iter_mut().zip(&a[..n]) {
                o.write(f(x, y));
            }
        }
        (0, 1) => {
            let x = a[0];
            for (o, &y) in out.iter_mut().zip(&b[..n]) {
                o.write(f(x, y));
            }
        }
        _ => {
            for (k, o) in out.iter_mut().enumerate() {
                o.write(f(a[k * ia], b[k * ib]));
            }
        }
    }
}

/// One run of a ternary op with every stride 0 or 1 fixed at compile time, so the loop has no
/// index arithmetic left and vectorizes.
#[inline(always)]
fn ternary_fixed<const SA: usize, const SB: usize, const SC: usize, A: Copy, B: Copy, C: Copy, O, F>(
    a: &[A],
    b: &[B],
    c: &[C],
    out: &mut [MaybeUninit<O>],
    f: &F,
) where
    F: Fn(A, B, C) -> O,
{
    let n = out.len();
    if n == 0 {
        return;
    }
    let (a, b, c) = (&a[..(n - 1) * SA + 1], &b[..(n - 1) * SB + 1], &c[..(n - 1) * SC + 1]);
    for (k, o) in out.iter_mut().enumerate() {
        o.write(f(a[k * SA], b[k * SB], c[k * SC]));
    }
}

#[inline(always)]
fn ternary_body<A: Copy, B: Copy, C: Copy, O, F: Fn(A, B, C) -> O>(
    a: &[A],
    b: &[B],
    c: &[C],
    st: [usize; 3],
    out: &mut [MaybeUninit<O>],
    f: &F,
) {
    match st {
        [1, 1, 1] => ternary_fixed::<1, 1, 1, _, _, _, _, _>(a, b, c, out, f),
        [1, 0, 0] => ternary_fixed::<1, 0, 0, _, _, _, _, _>(a, b, c, out, f),
        [0, 1, 1] => ternary_fixed::<0, 1, 1, _, _, _, _, _>(a, b, c, out, f),
        [1, 1, 0] => ternary_fixed::<1, 1, 0, _, _, _, _, _>(a, b, c, out, f),
        [1, 0, 1] => ternary_fixed::<1, 0, 1, _, _, _, _, _>(a, b, c, out, f),
        [0, 1, 0] => ternary_fixed::<0, 1, 0, _, _, _, _, _>(a, b, c, out, f),
        [0, 0, 1] => ternary_fixed::<0, 0, 1, _, _, _, _, _>(a, b, c, out, f),
        [sa, sb, sc] => {
            for (k, o) in out.iter_mut().enumerate() {
                o.write(f(a[k * sa], b[k * sb], c[k * sc]));
            }
        }
    }
}

/// Defines `$name`, which runs `$body` compiled for the best available instruction set.
/// The clones are the same generic body under `#[target_feature]`, so the closure inlined
/// into them vectorizes with wider registers.
macro_rules! dispatched {
    ($name:ident, $body:ident, [$($g:tt)*], ($($arg:ident: $ty:ty),*)) => {
        #[inline]
        fn $name<$($g)*>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn avx2<$($g)*>($($arg: $ty),*) {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
                fn avx512<$($g)*>($($arg: $ty),*) {
                    $body($($arg),*)
                }
                match $crate::kernels::elementwise::isa() {
                    // SAFETY: `isa()` reported that the CPU supports these features.
                    $crate::kernels::elementwise::Isa::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    $crate::kernels::elementwise::Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::kernels::elementwise::Isa::Base => {}
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use dispatched;

#[inline(always)]
fn unary_update_body<T: Copy, F: Fn(T) -> T>(buf: &mut [T], f: &F) {
    for x in buf.iter_mut() {
        *x = f(*x);
    }
}

/// One run of a binary op computed in place: `buf` holds the first operand (`first`) or the
/// second, `other` the remaining one advancing by `step` (0 = broadcast along the run).
#[inline(always)]
fn binary_update_body<T: Copy, F: Fn(T, T) -> T>(buf: &mut [T], first: bool, other: &[T], step: usize, f: &F) {
    let n = buf.len();
    match (step, first) {
        (1, true) => {
            for (x, &y) in buf.iter_mut().zip(&other[..n]) {
                *x = f(*x, y);
            }
        }
        (1, false) => {
            for (y, &x) in buf.iter_mut().zip(&other[..n]) {
                *y = f(x, *y);
            }
        }
        (0, true) => {
            let y = other[0];
            for x in buf.iter_mut() {
                *x = f(*x, y);
            }
        }
        (0, false) => {
            let x = other[0];
            for y in buf.iter_mut() {
                *y = f(x, *y);
            }
        }
        (s, true) => {
            for (k, x) in buf.iter_mut().enumerate() {
                *x = f(*x, other[k * s]);
            }
        }
        (s, false) => {
            for (k, y) in buf.iter_mut().enumerate() {
                *y = f(other[k * s], *y);
            }
        }
    }
}

dispatched!(unary_update_seg, unary_update_body, [T: Copy, F: Fn(T) -> T], (buf: &mut [T], f: &F));
dispatched!(
    binary_update_seg,
    binary_update_body,
    [T: Copy, F: Fn(T, T) -> T],
    (buf: &mut [T], first: bool, other: &[T], step: usize, f: &F)
);
dispatched!(unary_seg, unary_body, [T: Copy, U, F: Fn(T) -> U], (src: &[T], out: &mut [MaybeUninit<U>], f: &F));
dispatched!(
    binary_seg,
    binary_body,
    [A: Copy, B: Copy, O, F: Fn(A, B) -> O],
    (a: &[A], ia: usize, b: &[B], ib: usize, out: &mut [MaybeUninit<O>], f: &F)
);
dispatched!(
    ternary_seg,
    ternary_body,
    [A: Copy, B: Copy, C: Copy, O, F: Fn(A, B, C) -> O],
    (a: &[A], b: &[B], c: &[C], st: [usize; 3], out: &mut [MaybeUninit<O>], f: &F)
);

/// Allocates `n` outputs and lets `fill(start, slots)` write them, in parallel chunks for
/// large `n`. `fill` must write every slot it is given. Large outputs check the current cancel
/// token before each chunk and fail with `CancelledError` once it is cancelled.
fn par_fill<O: Send + 'static>(n: usize, fill: impl Fn(usize, &mut [MaybeUninit<O>]) + Sync) -> Result<Vec<O>> {
    let mut v: Vec<O> = alloc_out(n);
    let slots = &mut v.spare_capacity_mut()[..n];
    if n < PAR_THRESHOLD {
        fill(0, slots);
    } else {
        let stop = Stop::current();
        let streaming = n.saturating_mul(std::mem::size_of::<O>()) >= STREAM_MIN_BYTES;
        slots.par_chunks_mut(PAR_CHUNK).enumerate().for_each(|(i, c)| {
            if stop.requested() {
                return;
            }
            if streaming {
                fill_streaming(i * PAR_CHUNK, c, &fill);
            } else {
                fill(i * PAR_CHUNK, c);
            }
        });
        // A skipped chunk makes this fail; `v` still has length 0, so dropping it never reads
        // the unwritten slots.
        stop.check("elementwise")?;
    }
    // SAFETY: every slot in 0..n was handed to `fill` (directly or through a tile copied into
    // place) exactly once and written there (no chunk was skipped).
    unsafe { v.set_len(n) };
    Ok(v)
}

/// Lets `update(start, chunk)` rewrite `buf` in place, in parallel chunks for large buffers.
fn par_update<T: Send>(buf: &mut [T], update: impl Fn(usize, &mut [T]) + Sync) {
    if buf.len() < PAR_THRESHOLD {
        update(0, buf);
    } else {
        buf.par_chunks_mut(PAR_CHUNK).enumerate().for_each(|(i, c)| update(i * PAR_CHUNK, c));
    }
}

/// Outputs at least this large are written with non-temporal stores: they do not fit in the
/// caches anyway, and streaming skips the read-for-ownership of every destination line
/// (measured: about 20% less time for a 64 MiB map).
pub(crate) const STREAM_MIN_BYTES: usize = 8 << 20;

/// Elements per tile that `fill_streaming` computes in L1 before streaming it out.
const TILE: usize = 1024;

/// Runs `fill` tile by tile into a small buffer that stays in L1, then copies each tile to
/// `out` with non-temporal stores.
fn fill_streaming<O>(start: usize, out: &mut [MaybeUninit<O>], fill: &impl Fn(usize, &mut [MaybeUninit<O>])) {
    #[cfg(target_arch = "x86_64")]
    {
        let size = std::mem::size_of::<O>();
        if size > 0 && std::mem::align_of::<O>() <= 16 {
            let mut tile: [MaybeUninit<O>; TILE] = [const { MaybeUninit::uninit() }; TILE];
            let mut pos = 0;
            while pos < out.len() {
                let len = TILE.min(out.len() - pos);
                fill(start + pos, &mut tile[..len]);
                // SAFETY: `tile[..len]` was fully written by `fill` and `out[pos..pos + len]`
                // has room for the same number of elements; the regions do not overlap. The
                // bytes are moved, and `tile` (MaybeUninit) never drops them.
                unsafe {
                    stream_copy(tile.as_ptr() as *const u8, out.as_mut_ptr().add(pos) as *mut u8, len * size);
                }
                pos += len;
            }
            // Non-temporal stores are weakly ordered: make them visible before this task
            // reports completion to the thread that will read the output.
            // SAFETY: `sfence` has no preconditions (SSE is part of x86-64).
            unsafe { std::arch::x86_64::_mm_sfence() };
            return;
        }
    }
    fill(start, out)
}

/// Copies `len` bytes from `src` to `dst`, the aligned middle with non-temporal stores as wide
/// as the CPU has (64-byte stores write a whole cache line per instruction).
///
/// # Safety
/// `src` must be valid for `len` reads, `dst` for `len` writes, and they must not overlap.
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn stream_copy(src: *const u8, dst: *mut u8, len: usize) {
    use std::arch::x86_64::*;
    #[target_feature(enable = "avx512f")]
    unsafe fn wide(src: *const u8, dst: *mut u8, len: usize) -> usize {
        let mut i = 0;
        while i + 64 <= len {
            let v = _mm512_loadu_si512(src.add(i) as *const __m512i);
            _mm512_stream_si512(dst.add(i) as *mut __m512i, v);
            i += 64;
        }
        i
    }
    #[target_feature(enable = "avx2")]
    unsafe fn mid(src: *const u8, dst: *mut u8, len: usize) -> usize {
        let mut i = 0;
        while i + 32 <= len {
            let v = _mm256_loadu_si256(src.add(i) as *const __m256i);
            _mm256_stream_si256(dst.add(i) as *mut __m256i, v);
            i += 32;
        }
        i
    }
    unsafe fn narrow(src: *const u8, dst: *mut u8, len: usize) -> usize {
        let mut i = 0;
        while i + 16 <= len {
            let v = _mm_loadu_si128(src.add(i) as *const __m128i);
            _mm_stream_si128(dst.add(i) as *mut __m128i, v);
            i += 16;
        }
        i
    }
    let align = match isa() {
        Isa::Avx512 => 64,
        Isa::Avx2 => 32,
        Isa::Base => 16,
    };
    let head = ((dst as usize).wrapping_neg() % align).min(len);
    std::ptr::copy_nonoverlapping(src, dst, head);
    let (s, d, rest) = (src.add(head), dst.add(head), len - head);
    // SAFETY: `isa()` reported the features each wide variant needs; `d` is aligned for it.
    let done = match isa() {
        Isa::Avx512 => wide(s, d, rest),
        Isa::Avx2 => mid(s, d, rest),
        Isa::Base => narrow(s, d, rest),
    };
    std::ptr::copy_nonoverlapping(s.add(done), d.add(done), rest - done);
}

type Small = SmallVec<[usize; 6]>;

/// A broadcast walk over an output shape: the output dims collapsed as far as possible and
/// each operand's element stride along them (0 where the operand is broadcast).
struct Plan<const K: usize> {
    dims: Small,
    strides: [Small; K],
}

impl<const K: usize> Plan<K> {
    fn new(out: &[usize], shapes: [&[usize]; K]) -> Plan<K> {
        let full: [Vec<usize>; K] = shapes.map(|s| broadcast_strides(s, out));
        let mut dims = Small::new();
        let mut strides: [Small; K] = std::array::from_fn(|_| Small::new());
        for (d, &size) in out.iter().enumerate() {
            if size == 1 {
                continue;
            }
            // Dimension d folds into the previous kept one when every operand steps over
            // it exactly as if the two were a single longer dimension.
            let merge = !dims.is_empty() && (0..K).all(|k| strides[k].last() == Some(&(full[k][d] * size)));
            if merge {
                if let Some(last) = dims.last_mut() {
                    *last *= size;
                }
                for k in 0..K {
                    if let Some(last) = strides[k].last_mut() {
                        *last = full[k][d];
                    }
                }
            } else {
                dims.push(size);
                for k in 0..K {
                    strides[k].push(full[k][d]);
                }
            }
        }
        if dims.is_empty() {
            dims.push(1);
            for s in strides.iter_mut() {
                s.push(0);
            }
        }
        Plan { dims, strides }
    }

    /// Calls `seg(offsets, steps, slots)` for each run of consecutive output elements starting
    /// at `start` and covering `out`; a run never crosses the end of the innermost dimension.
    fn walk<O>(&self, start: usize, out: &mut [O], mut seg: impl FnMut([usize; K], [usize; K], &mut [O])) {
        let r = self.dims.len();
        let inner = self.dims[r - 1];
        let outer = &self.dims[..r - 1];
        let steps: [usize; K] = std::array::from_fn(|k| self.strides[k][r - 1]);
        let mut idx: Small = smallvec![0; r - 1];
        let mut off = [0usize; K];
        let mut row = start / inner;
        let mut col = start % inner;
        for d in (0..r - 1).rev() {
            let i = row % outer[d];
            row /= outer[d];
            idx[d] = i;
            for (o, st) in off.iter_mut().zip(&self.strides) {
                *o += i * st[d];
            }
        }
        let mut pos = 0;
        while pos < out.len() {
            let len = (inner - col).min(out.len() - pos);
            let at: [usize; K] = std::array::from_fn(|k| off[k] + col * steps[k]);
            seg(at, steps, &mut out[pos..pos + len]);
            pos += len;
            col = 0;
            for d in (0..r - 1).rev() {
                idx[d] += 1;
                for (o, st) in off.iter_mut().zip(&self.strides) {
                    *o += st[d];
                }
                if idx[d] < outer[d] {
                    break;
                }
                idx[d] = 0;
                for (o, st) in off.iter_mut().zip(&self.strides) {
                    *o -= st[d] * outer[d];
                }
            }
        }
    }
}

/// Applies `f` to every element, in parallel for large inputs.
pub fn map<T: Copy + Sync, U: Send + 'static>(src: &[T], f: impl Fn(T) -> U + Sync + Send) -> Result<Vec<U>> {
    par_fill(src.len(), |s, o| unary_seg(&src[s..s + o.len()], o, &f))
}

/// Replaces every element `x` of `buf` by `f(x)` (the in-place form of [`map`], same results).
pub fn map_inplace<T: Copy + Send + Sync>(buf: &mut [T], f: impl Fn(T) -> T + Sync + Send) {
    par_update(buf, |_, c| unary_update_seg(c, &f))
}

/// The in-place form of [`broadcast_binary`] when one operand already has the output shape
/// `out`: `buf` holds that operand (the first when `first`, else the second) and receives the
/// result; `other` (shape `osh`) is broadcast. Same results as `broadcast_binary`.
pub fn broadcast_binary_inplace<T: Copy + Send + Sync>(
    buf: &mut [T],
    first: bool,
    other: &[T],
    osh: &[usize],
    out: &[usize],
    f: impl Fn(T, T) -> T + Sync + Send,
) {
    if buf.is_empty() {
        return;
    }
    if osh == out {
        return par_update(buf, |s, c| binary_update_seg(c, first, &other[s..], 1, &f));
    }
    if other.len() == 1 {
        return par_update(buf, |_, c| binary_update_seg(c, first, other, 0, &f));
    }
    let plan = Plan::new(out, [osh]);
    par_update(buf, |start, c| plan.walk(start, c, |[o], [st], run| binary_update_seg(run, first, &other[o..], st, &f)))
}

/// Applies `f` to corresponding elements of two equally long slices, in parallel for large inputs.
pub fn zip_map<A: Copy + Sync, B: Copy + Sync, U: Send + 'static>(
    a: &[A],
    b: &[B],
    f: impl Fn(A, B) -> U + Sync + Send,
) -> Result<Vec<U>> {
    let n = a.len().min(b.len());
    par_fill(n, |s, o| binary_seg(&a[s..], 1, &b[s..], 1, o, &f))
}

/// Applies `f` to corresponding elements of `a` (shape `ash`) and `b` (shape `bsh`),
/// broadcasting both to `out` (which must be their broadcast shape).
pub fn broadcast_binary<A: Copy + Sync, B: Copy + Sync, O: Send + 'static>(
    a: &[A],
    ash: &[usize],
    b: &[B],
    bsh: &[usize],
    out: &[usize],
    f: impl Fn(A, B) -> O + Sync + Send,
) -> Result<Vec<O>> {
    if ash == bsh && ash == out {
        return zip_map(a, b, f);
    }
    let n = shape::num_elements(out);
    if n == 0 {
        return Ok(Vec::new());
    }
    if b.len() == 1 && ash == out {
        let y = b[0];
        return map(a, |x| f(x, y));
    }
    if a.len() == 1 && bsh == out {
        let x = a[0];
        return map(b, |y| f(x, y));
    }
    let plan = Plan::new(out, [ash, bsh]);
    par_fill(n, |start, slots| {
        plan.walk(start, slots, |[oa, ob], [ia, ib], run| binary_seg(&a[oa..], ia, &b[ob..], ib, run, &f))
    })
}

/// Strides of `shape` viewed as broadcast to `out`: 0 along broadcast dimensions.
pub fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let st = shape::strides(shape);
    let off = out.len() - shape.len();
    (0..out.len()).map(|d| if d < off || shape[d - off] == 1 && out[d] != 1 { 0 } else { st[d - off] }).collect()
}

/// Copies `src` (shape `sh`) broadcast to `out`.
pub fn broadcast_to<T: Copy + Send + Sync + 'static>(src: &[T], sh: &[usize], out: &[usize]) -> Result<Vec<T>> {
    if sh == out {
        return Ok(src.to_vec());
    }
    broadcast_binary(src, sh, &[()], &[], out, |x, _| x)
}

/// Applies `f` to three operands broadcast to `out`.
#[allow(clippy::too_many_arguments)]
pub fn broadcast_ternary<A: Copy + Sync, B: Copy + Sync, C: Copy + Sync, O: Send + 'static>(
    a: &[A],
    ash: &[usize],
    b: &[B],
    bsh: &[usize],
    c: &[C],
    csh: &[usize],
    out: &[usize],
    f: impl Fn(A, B, C) -> O + Sync + Send,
) -> Result<Vec<O>> {
    let n = shape::num_elements(out);
    if n == 0 {
        return Ok(Vec::new());
    }
    let plan = Plan::new(out, [ash, bsh, csh]);
    par_fill(n, |start, slots| {
        plan.walk(start, slots, |[oa, ob, oc], st, run| ternary_seg(&a[oa..], &b[ob..], &c[oc..], st, run, &f))
    })
}

/// Element types with arithmetic, as the generic kernels need them.
pub trait Scalar: Copy + Send + Sync + PartialOrd + 'static {
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Absolute value (wrapping for the most negative integer, as TF does).
    fn abs_(self) -> Self;
    /// `-self` (wrapping for the most negative integer; `-0.0` for `0.0`).
    fn neg_(self) -> Self;
    /// -1, 0 or 1 (NaN stays NaN).
    fn sign_(self) -> Self;
    /// `self * self` (wrapping for integers).
    fn square_(self) -> Self;
    /// Converts from f64 with `as` semantics.
    fn of(v: f64) -> Self;
}

macro_rules! scalar_float {
    ($t:ty) => {
        impl Scalar for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            fn abs_(self) -> Self {
                self.abs()
            }
            fn neg_(self) -> Self {
                -self
            }
            fn sign_(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else {
                    self
                }
            }
            fn square_(self) -> Self {
                self * self
            }
            fn of(v: f64) -> Self {
                v as $t
            }
        }
    };
}
macro_rules! scalar_int {
    ($t:ty) => {
        impl Scalar for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            fn abs_(self) -> Self {
                self.wrapping_abs()
            }
            fn neg_(self) -> Self {
                self.wrapping_neg()
            }
            fn sign_(self) -> Self {
                self.signum()
            }
            fn square_(self) -> Self {
                self.wrapping_mul(self)
            }
            fn of(v: f64) -> Self {
                v as $t
            }
        }
    };
}
scalar_float!(f32);
scalar_float!(f64);
scalar_int!(i32);
scalar_int!(i64);

/// Float functions missing from `std` (erf), with the precision of the type.
pub trait FloatExt: Copy {
    /// The error function.
    fn erf_(self) -> Self;
}

impl FloatExt for f32 {
    fn erf_(self) -> Self {
        libm::erff(self)
    }
}

impl FloatExt for f64 {
    fn erf_(self) -> Self {
        libm::erf(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive broadcast by index arithmetic, the reference for the planned walk.
    fn naive(a: &[i64], ash: &[usize], b: &[i64], bsh: &[usize]) -> (Vec<usize>, Vec<i64>) {
        let out = shape::broadcast_shapes(ash, bsh).expect("compatible").to_vec();
        let n = shape::num_elements(&out);
        let at = |v: &[i64], sh: &[usize], mut i: usize| {
            let mut off = 0;
            let mut mul = 1;
            for d in (0..out.len()).rev() {
                let c = i % out[d];
                i /= out[d];
                let k = d as isize - (out.len() - sh.len()) as isize;
                if k >= 0 {
                    let k = k as usize;
                    if sh[k] != 1 {
                        off += c * mul;
                    }
                    mul *= sh[k];
                }
            }
            v[off]
        };
        (out.clone(), (0..n).map(|i| at(a, ash, i) * 1000 + at(b, bsh, i)).collect())
    }

    #[test]
    fn planned_broadcast_matches_index_arithmetic() {
        let cases: &[(&[usize], &[usize])] = &[
            (&[3, 4], &[4]),
            (&[3, 4], &[3, 1]),
            (&[3, 1], &[1, 4]),
            (&[2, 3, 4], &[3, 1]),
            (&[2, 1, 4], &[3, 1]),
            (&[1, 1], &[5]),
            (&[], &[2, 3]),
            (&[2, 3, 1, 5], &[3, 4, 1]),
            (&[300, 257], &[257]),
            (&[257, 300], &[257, 1]),
            (&[2, 1, 130, 3], &[1, 70, 1, 3]),
            (&[4096, 3], &[3]),
        ];
        for (ash, bsh) in cases {
            let a: Vec<i64> = (0..shape::num_elements(ash) as i64).collect();
            let b: Vec<i64> = (0..shape::num_elements(bsh) as i64).map(|x| x * 7).collect();
            let (out, want) = naive(&a, ash, &b, bsh);
            let got = broadcast_binary(&a, ash, &b, bsh, &out, |x, y| x * 1000 + y).unwrap();
            assert_eq!(got, want, "{ash:?} with {bsh:?}");
            let (_, want_rev) = naive(&b, bsh, &a, ash);
            let got_rev = broadcast_binary(&b, bsh, &a, ash, &out, |x, y| x * 1000 + y).unwrap();
            assert_eq!(got_rev, want_rev, "{bsh:?} with {ash:?}");
        }
    }

    #[test]
    fn ternary_broadcast_matches_elementwise_selection() {
        let (n, m) = (200, 301);
        let c: Vec<bool> = (0..m).map(|j| j % 3 == 0).collect();
        let x: Vec<i32> = (0..(n * m) as i32).collect();
        let y: Vec<i32> = (0..n as i32).map(|i| -i).collect();
        let got =
            broadcast_ternary(&c, &[m], &x, &[n, m], &y, &[n, 1], &[n, m], |c, x, y| if c { x } else { y }).unwrap();
        for i in 0..n {
            for j in 0..m {
                let want = if j % 3 == 0 { (i * m + j) as i32 } else { -(i as i32) };
                assert_eq!(got[i * m + j], want, "at ({i}, {j})");
            }
        }
    }

    #[test]
    fn in_place_forms_match_allocating_ones() {
        let n = 3 * PAR_CHUNK + 17;
        let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut buf = a.clone();
        map_inplace(&mut buf, |x| x * 3.0 - 1.0);
        assert_eq!(buf, map(&a, |x| x * 3.0 - 1.0).unwrap());
        let cases: &[(&[usize], &[usize])] = &[
            (&[n], &[n]),
            (&[n], &[]),
            (&[n], &[1]),
            (&[300, 257], &[257]),
            (&[257, 300], &[257, 1]),
            (&[2, 3, 4], &[3, 1]),
        ];
        for (bsh, osh) in cases {
            let big: Vec<f32> = (0..shape::num_elements(bsh)).map(|i| i as f32 * 0.5 - 7.0).collect();
            let small: Vec<f32> = (0..shape::num_elements(osh)).map(|i| i as f32 + 0.25).collect();
            let f = |x: f32, y: f32| x / y - y;
            let mut first = big.clone();
            broadcast_binary_inplace(&mut first, true, &small, osh, bsh, f);
            assert_eq!(first, broadcast_binary(&big, bsh, &small, osh, bsh, f).unwrap(), "{bsh:?} op {osh:?}");
            let mut second = big.clone();
            broadcast_binary_inplace(&mut second, false, &small, osh, bsh, f);
            assert_eq!(second, broadcast_binary(&small, osh, &big, bsh, bsh, f).unwrap(), "{osh:?} op {bsh:?}");
        }
    }

    #[test]
    fn large_maps_are_complete_and_ordered() {
        let n = 3 * PAR_CHUNK + 17;
        let src: Vec<u32> = (0..n as u32).collect();
        assert_eq!(map(&src, |x| x * 2).unwrap(), src.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(zip_map(&src, &src, |x, y| x + y).unwrap(), src.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(map(&[] as &[u32], |x| x).unwrap().is_empty());
    }
}
