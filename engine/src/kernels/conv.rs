//! 2-D convolution over NHWC data with HWIO filters: im2col + GEMM (the `gemm` crate),
//! parallel over the batch, and the two backprop kernels built the same way. Each kernel
//! checks the current cancel token between images and im2col tiles.

use crate::cancel::Stop;
use crate::error::Result;
use num_traits::Float;
use rayon::prelude::*;

/// Work (multiply-adds) below which a convolution runs on the calling thread only.
const PAR_WORK: usize = 1 << 18;

/// Fully resolved geometry of one `conv2d` call (validated by the op's shape rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    /// Batch size.
    pub n: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Input channels.
    pub c: usize,
    /// Filter height.
    pub kh: usize,
    /// Filter width.
    pub kw: usize,
    /// Output channels.
    pub o: usize,
    /// Vertical stride.
    pub sh: usize,
    /// Horizontal stride.
    pub sw: usize,
    /// Vertical dilation.
    pub dh: usize,
    /// Horizontal dilation.
    pub dw: usize,
    /// Zero rows added above the input.
    pub pad_top: usize,
    /// Zero columns added left of the input.
    pub pad_left: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
}

impl ConvGeom {
    /// Elements of one input image.
    pub fn in_image(&self) -> usize {
        self.h * self.w * self.c
    }

    /// Elements of one output image.
    pub fn out_image(&self) -> usize {
        self.oh * self.ow * self.o
    }

    /// Output positions of one image (rows of the im2col matrix).
    fn m(&self) -> usize {
        self.oh * self.ow
    }

    /// Length of one im2col row (`kh * kw * c`, the GEMM inner dimension).
    fn k(&self) -> usize {
        self.kh * self.kw * self.c
    }

    fn work(&self) -> usize {
        self.n.saturating_mul(self.m()).saturating_mul(self.k()).saturating_mul(self.o)
    }

    /// True when im2col would copy the image unchanged (1x1 filter, unit stride, no padding).
    fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.sh == 1 && self.sw == 1 && self.pad_top == 0 && self.pad_left == 0
    }

    /// Input row/column hit by output index `out` and filter tap `tap`, if inside the image.
    #[inline]
    fn src(out: usize, stride: usize, tap: usize, dil: usize, pad: usize, size: usize) -> Option<usize> {
        let p = (out * stride + tap * dil).checked_sub(pad)?;
        (p < size).then_some(p)
    }
}

/// Element types the GEMM kernels accept.
pub trait ConvFloat: Float + Send + Sync + std::ops::AddAssign + 'static {}
impl ConvFloat for f32 {}
impl ConvFloat for f64 {}

/// `dst (m×n) = a (m×k) · b (k×n)`, or `dst += a·b` when `accumulate`. Each operand is given
/// with its row and column strides so transposes cost nothing.
#[allow(clippy::too_many_arguments)]
fn gemm<T: ConvFloat>(
    dst: &mut [T],
    a: (&[T], usize, usize),
    b: (&[T], usize, usize),
    m: usize,
    n: usize,
    k: usize,
    accumulate: bool,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(T::zero());
        }
        return;
    }
    let ((a, a_rs, a_cs), (b, b_rs, b_cs)) = (a, b);
    // The raw call reads these extents; checking them keeps the unsafe block sound.
    assert!(dst.len() >= m * n, "gemm: destination too small");
    assert!(a.len() > (m - 1) * a_rs + (k - 1) * a_cs, "gemm: lhs too small");
    assert!(b.len() > (k - 1) * b_rs + (n - 1) * b_cs, "gemm: rhs too small");
    let par = if parallel { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    // SAFETY: the asserts above bound every element the kernel touches; `dst` is row-major
    // m×n and does not alias `a` or `b` (distinct borrows). gemm 0.19 computes
    // `dst = alpha*dst + beta*a*b`, reading dst only when `read_dst`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            T::one(),
            T::one(),
            false,
            false,
            false,
            par,
        );
    }
}

/// Bytes of im2col buffer per tile: whole small images in one tile, bounded memory for big ones.
const TILE_BYTES: usize = 1 << 20;

/// Writes im2col rows `rows` (output positions `oy * ow + ox`) of one image into `col`,
/// each row holding the `kh*kw*c` input values under that window position.
fn im2col<T: ConvFloat>(x: &[T], g: &ConvGeom, rows: std::ops::Range<usize>, col: &mut [T]) {
    let (c, k) = (g.c, g.k());
    for (r, pos) in rows.enumerate() {
        let (oy, ox) = (pos / g.ow, pos % g.ow);
        let row = &mut col[r * k..][..k];
        for ky in 0..g.kh {
            let iy = ConvGeom::src(oy, g.sh, ky, g.dh, g.pad_top, g.h);
            for kx in 0..g.kw {
                let dst = &mut row[(ky * g.kw + kx) * c..][..c];
                match (iy, ConvGeom::src(ox, g.sw, kx, g.dw, g.pad_left, g.w)) {
                    (Some(iy), Some(ix)) => dst.copy_from_slice(&x[(iy * g.w + ix) * c..][..c]),
                    _ => dst.fill(T::zero()),
                }
            }
        }
    }
}

/// Adds im2col rows `rows` of a gradient (`col`) back onto the image gradient `dx`.
fn col2im<T: ConvFloat>(col: &[T], g: &ConvGeom, rows: std::ops::Range<usize>, dx: &mut [T]) {
    let (c, k) = (g.c, g.k());
    for (r, pos) in rows.enumerate() {
        let (oy, ox) = (pos / g.ow, pos % g.ow);
        let row = &col[r * k..][..k];
        for ky in 0..g.kh {
            let Some(iy) = ConvGeom::src(oy, g.sh, ky, g.dh, g.pad_top, g.h) else { continue };
            for kx in 0..g.kw {
                let Some(ix) = ConvGeom::src(ox, g.sw, kx, g.dw, g.pad_left, g.w) else { continue };
                let src = &row[(ky * g.kw + kx) * c..][..c];
                for (d, &s) in dx[(iy * g.w + ix) * c..][..c].iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
    }
}

/// Runs `f(image_index, out_chunk, scratch)` over `out` split into `chunk`-sized pieces, in
/// parallel over images when `parallel`; `scratch` is a per-worker buffer of `scratch_len`.
fn per_image<T: ConvFloat>(
    out: &mut [T],
    chunk: usize,
    scratch_len: usize,
    parallel: bool,
    f: impl Fn(usize, &mut [T], &mut [T]) + Sync,
) {
    if chunk == 0 {
        return;
    }
    if parallel {
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each_init(|| vec![T::zero(); scratch_len], |scratch, (b, o)| f(b, o, scratch));
    } else {
        let mut scratch = vec![T::zero(); scratch_len];
        for (b, o) in out.chunks_mut(chunk).enumerate() {
            f(b, o, &mut scratch);
        }
    }
}

/// How to spread the work: over images (rayon) or inside each GEMM.
fn split(g: &ConvGeom) -> (bool, bool) {
    let big = g.work() >= PAR_WORK;
    let over_batch = big && g.n >= rayon::current_num_threads();
    (over_batch, big && !over_batch)
}

/// im2col rows per tile for geometry `g` (at least one).
fn tile_rows<T>(g: &ConvGeom) -> usize {
    (TILE_BYTES / (g.k() * std::mem::size_of::<T>()).max(1)).max(32).min(g.m().max(1))
}

/// `conv2d`: `x` is `[n, h, w, c]`, `f` is `[kh, kw, c, o]`; returns `[n, oh, ow, o]`.
pub fn conv2d<T: ConvFloat>(x: &[T], f: &[T], g: &ConvGeom) -> Result<Vec<T>> {
    let stop = Stop::current();
    let mut out = vec![T::zero(); g.n * g.out_image()];
    let (m, k, o) = (g.m(), g.k(), g.o);
    let (over_batch, inner_par) = split(g);
    let pointwise = g.is_pointwise();
    let tile = tile_rows::<T>(g);
    let scratch = if pointwise { 0 } else { tile * k };
    per_image(&mut out, g.out_image(), scratch, over_batch, |b, y, col| {
        let img = &x[b * g.in_image()..][..g.in_image()];
        if pointwise {
            if !stop.requested() {
                gemm(y, (img, k, 1), (f, o, 1), m, o, k, false, inner_par);
            }
            return;
        }
        for start in (0..m).step_by(tile) {
            if stop.requested() {
                return;
            }
            let rows = tile.min(m - start);
            im2col(img, g, start..start + rows, col);
            gemm(&mut y[start * o..][..rows * o], (col, k, 1), (f, o, 1), rows, o, k, false, inner_par);
        }
    });
    stop.check("conv2d")?;
    Ok(out)
}

/// Gradient of `conv2d` with respect to its input: `dy` is `[n, oh, ow, o]`; returns `[n, h, w, c]`.
pub fn conv2d_backprop_input<T: ConvFloat>(f: &[T], dy: &[T], g: &ConvGeom) -> Result<Vec<T>> {
    let stop = Stop::current();
    let mut dx = vec![T::zero(); g.n * g.in_image()];
    let (m, k, o) = (g.m(), g.k(), g.o);
    let (over_batch, inner_par) = split(g);
    let pointwise = g.is_pointwise();
    let tile = tile_rows::<T>(g);
    let scratch = if pointwise { 0 } else { tile * k };
    per_image(&mut dx, g.in_image(), scratch, over_batch, |b, dx_img, col| {
        let dy_img = &dy[b * g.out_image()..][..g.out_image()];
        // dcol (rows×k) = dy (rows×o) · fᵀ (o×k); f is stored k×o row-major.
        if pointwise {
            if !stop.requested() {
                gemm(dx_img, (dy_img, o, 1), (f, 1, o), m, k, o, false, inner_par);
            }
            return;
        }
        for start in (0..m).step_by(tile) {
            if stop.requested() {
                return;
            }
            let rows = tile.min(m - start);
            gemm(col, (&dy_img[start * o..], o, 1), (f, 1, o), rows, k, o, false, inner_par);
            col2im(col, g, start..start + rows, dx_img);
        }
    });
    stop.check("conv2d_backprop_input")?;
    Ok(dx)
}

/// Gradient of `conv2d` with respect to its filter: returns `[kh, kw, c, o]`.
pub fn conv2d_backprop_filter<T: ConvFloat>(x: &[T], dy: &[T], g: &ConvGeom) -> Result<Vec<T>> {
    let stop = Stop::current();
    let (m, k, o) = (g.m(), g.k(), g.o);
    let pointwise = g.is_pointwise();
    let tile = tile_rows::<T>(g);
    // Each worker sums its share of the batch into a private filter gradient; the partial
    // sums are added at the end (dW = Σ colᵀ · dy over images and tiles).
    let accumulate = |images: std::ops::Range<usize>, inner_par: bool| -> Vec<T> {
        let mut dw = vec![T::zero(); k * o];
        let mut col = vec![T::zero(); if pointwise { 0 } else { tile * k }];
        for b in images {
            if stop.requested() {
                break;
            }
            let img = &x[b * g.in_image()..][..g.in_image()];
            let dy_img = &dy[b * g.out_image()..][..g.out_image()];
            if pointwise {
                gemm(&mut dw, (img, 1, k), (dy_img, o, 1), k, o, m, true, inner_par);
                continue;
            }
            for start in (0..m).step_by(tile) {
                let rows = tile.min(m - start);
                im2col(img, g, start..start + rows, &mut col);
                gemm(&mut dw, (&col[..], 1, k), (&dy_img[start * o..], o, 1), k, o, rows, true, inner_par);
            }
        }
        dw
    };
    let (over_batch, inner_par) = split(g);
    if !over_batch {
        let dw = accumulate(0..g.n, inner_par);
        stop.check("conv2d_backprop_filter")?;
        return Ok(dw);
    }
    let workers = rayon::current_num_threads().min(g.n).max(1);
    let per = g.n.div_ceil(workers);
    let partials: Vec<Vec<T>> =
        (0..workers).into_par_iter().map(|w| accumulate(w * per..((w + 1) * per).min(g.n), false)).collect();
    stop.check("conv2d_backprop_filter")?;
    let mut iter = partials.into_iter();
    let mut dw = iter.next().unwrap_or_else(|| vec![T::zero(); k * o]);
    for p in iter {
        for (d, s) in dw.iter_mut().zip(&p) {
            *d += *s;
        }
    }
    Ok(dw)
}
