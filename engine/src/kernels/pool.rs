//! 2-D max and average pooling over NHWC data, and their gradients. Window positions
//! that fall in the padding are skipped (TensorFlow's SAME semantics).

use num_traits::Float;
use rayon::prelude::*;

/// Elements below which pooling runs on the calling thread only.
const PAR_ELEMS: usize = 32 * 1024;

/// Fully resolved geometry of one pooling call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolGeom {
    /// Batch size.
    pub n: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Channels.
    pub c: usize,
    /// Window height.
    pub kh: usize,
    /// Window width.
    pub kw: usize,
    /// Vertical stride.
    pub sh: usize,
    /// Horizontal stride.
    pub sw: usize,
    /// Padding rows above the input.
    pub pad_top: usize,
    /// Padding columns left of the input.
    pub pad_left: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
}

impl PoolGeom {
    /// Elements of one input image.
    pub fn in_image(&self) -> usize {
        self.h * self.w * self.c
    }

    /// Elements of one output image.
    pub fn out_image(&self) -> usize {
        self.oh * self.ow * self.c
    }

    /// The in-image rows and columns covered by the window of output `(oy, ox)`.
    #[inline]
    fn window(&self, oy: usize, ox: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let clip = |o: usize, s: usize, k: usize, pad: usize, size: usize| {
            let start = o * s;
            (start.saturating_sub(pad).min(size))..((start + k).saturating_sub(pad).min(size))
        };
        (clip(oy, self.sh, self.kh, self.pad_top, self.h), clip(ox, self.sw, self.kw, self.pad_left, self.w))
    }

    fn parallel(&self) -> bool {
        self.n > 1 && self.n * self.in_image().max(self.out_image()) >= PAR_ELEMS
    }
}

/// Runs `f(image, out_chunk)` over `out` in image-sized chunks, in parallel when `par`.
fn per_image<T: Send>(out: &mut [T], chunk: usize, par: bool, f: impl Fn(usize, &mut [T]) + Sync) {
    if chunk == 0 {
        return;
    }
    if par {
        out.par_chunks_mut(chunk).enumerate().for_each(|(b, o)| f(b, o));
    } else {
        out.chunks_mut(chunk).enumerate().for_each(|(b, o)| f(b, o));
    }
}

/// Maximum of each window, and (into `arg`, when given) the flat in-image offset of the first
/// maximal element per channel, scanning the window row by row as TensorFlow's CPU kernel does.
#[inline]
fn window_max<T: Float>(img: &[T], g: &PoolGeom, oy: usize, ox: usize, out: &mut [T], mut arg: Option<&mut [usize]>) {
    let c = g.c;
    let (rows, cols) = g.window(oy, ox);
    let mut first = true;
    for iy in rows {
        for ix in cols.clone() {
            let base = (iy * g.w + ix) * c;
            let src = &img[base..][..c];
            if first {
                out.copy_from_slice(src);
                if let Some(a) = arg.as_deref_mut() {
                    a.iter_mut().enumerate().for_each(|(ch, a)| *a = base + ch);
                }
                first = false;
                continue;
            }
            match arg.as_deref_mut() {
                None => {
                    for (o, &v) in out.iter_mut().zip(src) {
                        if v > *o {
                            *o = v;
                        }
                    }
                }
                Some(a) => {
                    for (ch, (o, &v)) in out.iter_mut().zip(src).enumerate() {
                        if v > *o {
                            *o = v;
                            a[ch] = base + ch;
                        }
                    }
                }
            }
        }
    }
    if first {
        // Only reachable for windows entirely in the padding, which the op rejects.
        out.fill(T::neg_infinity());
    }
}

/// `max_pool2d` forward: `[n, h, w, c]` → `[n, oh, ow, c]`.
pub fn max_pool2d<T: Float + Send + Sync>(x: &[T], g: &PoolGeom) -> Vec<T> {
    let mut out = vec![T::zero(); g.n * g.out_image()];
    per_image(&mut out, g.out_image(), g.parallel(), |b, y| {
        let img = &x[b * g.in_image()..][..g.in_image()];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                window_max(img, g, oy, ox, &mut y[(oy * g.ow + ox) * g.c..][..g.c], None);
            }
        }
    });
    out
}

/// Gradient of `max_pool2d`: routes each `dy` element to its window's first maximum in `x`.
pub fn max_pool2d_grad<T: Float + Send + Sync + std::ops::AddAssign>(x: &[T], dy: &[T], g: &PoolGeom) -> Vec<T> {
    let mut dx = vec![T::zero(); g.n * g.in_image()];
    per_image(&mut dx, g.in_image(), g.parallel(), |b, dx_img| {
        let img = &x[b * g.in_image()..][..g.in_image()];
        let dy_img = &dy[b * g.out_image()..][..g.out_image()];
        let mut best = vec![T::zero(); g.c];
        let mut arg = vec![0usize; g.c];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                window_max(img, g, oy, ox, &mut best, Some(&mut arg));
                for (&a, &d) in arg.iter().zip(&dy_img[(oy * g.ow + ox) * g.c..][..g.c]) {
                    dx_img[a] += d;
                }
            }
        }
    });
    dx
}

/// Gradient of `max_pool2d_grad` with respect to its incoming gradient: picks `ggx` at each
/// window's first maximum in `x`, giving a tensor shaped like the pooled output.
pub fn max_pool2d_grad_grad<T: Float + Send + Sync>(x: &[T], ggx: &[T], g: &PoolGeom) -> Vec<T> {
    let mut out = vec![T::zero(); g.n * g.out_image()];
    per_image(&mut out, g.out_image(), g.parallel(), |b, y| {
        let img = &x[b * g.in_image()..][..g.in_image()];
        let gg = &ggx[b * g.in_image()..][..g.in_image()];
        let mut best = vec![T::zero(); g.c];
        let mut arg = vec![0usize; g.c];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                window_max(img, g, oy, ox, &mut best, Some(&mut arg));
                for (o, &a) in y[(oy * g.ow + ox) * g.c..][..g.c].iter_mut().zip(&arg) {
                    *o = gg[a];
                }
            }
        }
    });
    out
}

/// `avg_pool2d` forward: each window's mean over its in-image elements only.
pub fn avg_pool2d<T: Float + Send + Sync + std::ops::AddAssign>(x: &[T], g: &PoolGeom) -> Vec<T> {
    let mut out = vec![T::zero(); g.n * g.out_image()];
    per_image(&mut out, g.out_image(), g.parallel(), |b, y| {
        let img = &x[b * g.in_image()..][..g.in_image()];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let o = &mut y[(oy * g.ow + ox) * g.c..][..g.c];
                let (rows, cols) = g.window(oy, ox);
                let count = rows.len() * cols.len();
                for iy in rows {
                    for ix in cols.clone() {
                        for (o, &v) in o.iter_mut().zip(&img[(iy * g.w + ix) * g.c..][..g.c]) {
                            *o += v;
                        }
                    }
                }
                let inv = T::one() / T::from(count.max(1)).unwrap_or_else(T::one);
                o.iter_mut().for_each(|o| *o = *o * inv);
            }
        }
    });
    out
}

/// Gradient of `avg_pool2d`: spreads each `dy` element evenly over its window's in-image elements.
pub fn avg_pool2d_grad<T: Float + Send + Sync + std::ops::AddAssign>(dy: &[T], g: &PoolGeom) -> Vec<T> {
    let mut dx = vec![T::zero(); g.n * g.in_image()];
    let mut share = vec![T::zero(); g.c];
    let par = g.parallel();
    let body = |b: usize, dx_img: &mut [T], share: &mut [T]| {
        let dy_img = &dy[b * g.out_image()..][..g.out_image()];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (rows, cols) = g.window(oy, ox);
                let inv = T::one() / T::from((rows.len() * cols.len()).max(1)).unwrap_or_else(T::one);
                for (s, &d) in share.iter_mut().zip(&dy_img[(oy * g.ow + ox) * g.c..][..g.c]) {
                    *s = d * inv;
                }
                for iy in rows {
                    for ix in cols.clone() {
                        for (d, &s) in dx_img[(iy * g.w + ix) * g.c..][..g.c].iter_mut().zip(share.iter()) {
                            *d += s;
                        }
                    }
                }
            }
        }
    };
    if g.in_image() == 0 {
        return dx;
    }
    if par {
        dx.par_chunks_mut(g.in_image())
            .enumerate()
            .for_each_init(|| vec![T::zero(); g.c], |share, (b, d)| body(b, d, share));
    } else {
        for (b, d) in dx.chunks_mut(g.in_image()).enumerate() {
            body(b, d, &mut share);
        }
    }
    dx
}
