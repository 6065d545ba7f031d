//! Elementwise kernels with NumPy broadcasting that never materializes a broadcast operand.

use crate::shape;

/// Applies `f` to corresponding elements of `a` (shape `ash`) and `b` (shape `bsh`),
/// broadcasting both to `out` (which must be their broadcast shape).
pub fn broadcast_binary<A: Copy + Sync, B: Copy + Sync, O: Send>(
    a: &[A],
    ash: &[usize],
    b: &[B],
    bsh: &[usize],
    out: &[usize],
    f: impl Fn(A, B) -> O + Sync + Send,
) -> Vec<O> {
    let n = shape::num_elements(out);
    if ash == bsh && ash == out {
        return zip_map(a, b, f);
    }
    if b.len() == 1 && ash == out {
        let y = b[0];
        return map(a, |x| f(x, y));
    }
    if a.len() == 1 && bsh == out {
        let x = a[0];
        return map(b, |y| f(x, y));
    }
    let mut res = Vec::with_capacity(n);
    if n == 0 {
        return res;
    }
    let rank = out.len();
    let sa = broadcast_strides(ash, out);
    let sb = broadcast_strides(bsh, out);
    let inner = out[rank - 1];
    let (ia, ib) = (sa[rank - 1], sb[rank - 1]);
    let mut idx = vec![0usize; rank];
    let rows = n / inner.max(1);
    for _ in 0..rows {
        let mut oa = 0;
        let mut ob = 0;
        for d in 0..rank - 1 {
            oa += idx[d] * sa[d];
            ob += idx[d] * sb[d];
        }
        match (ia, ib) {
            (1, 1) => res.extend(a[oa..oa + inner].iter().zip(&b[ob..ob + inner]).map(|(&x, &y)| f(x, y))),
            (1, 0) => {
                let y = b[ob];
                res.extend(a[oa..oa + inner].iter().map(|&x| f(x, y)))
            }
            (0, 1) => {
                let x = a[oa];
                res.extend(b[ob..ob + inner].iter().map(|&y| f(x, y)))
            }
            _ => {
                for k in 0..inner {
                    res.push(f(a[oa + k * ia], b[ob + k * ib]));
                }
            }
        }
        for d in (0..rank - 1).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    res
}

/// Strides of `shape` viewed as broadcast to `out`: 0 along broadcast dimensions.
pub fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let st = shape::strides(shape);
    let off = out.len() - shape.len();
    (0..out.len()).map(|d| if d < off || shape[d - off] == 1 && out[d] != 1 { 0 } else { st[d - off] }).collect()
}

/// Copies `src` (shape `sh`) broadcast to `out`.
pub fn broadcast_to<T: Copy + Send + Sync>(src: &[T], sh: &[usize], out: &[usize]) -> Vec<T> {
    if sh == out {
        return src.to_vec();
    }
    broadcast_binary(src, sh, &[()], &[], out, |x, _| x)
}

/// Element types with arithmetic, as the generic kernels need them.
pub trait Scalar: Copy + Send + Sync + PartialOrd + 'static {
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Absolute value (wrapping for the most negative integer, as TF does).
    fn abs_(self) -> Self;
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

/// Above this many elements, elementwise kernels split work across the rayon pool.
pub const PAR_THRESHOLD: usize = 1 << 15;

const PAR_CHUNK: usize = 1 << 14;

/// Applies `f` to every element, in parallel for large inputs.
pub fn map<T: Copy + Sync, U: Send>(src: &[T], f: impl Fn(T) -> U + Sync + Send) -> Vec<U> {
    use rayon::prelude::*;
    if src.len() < PAR_THRESHOLD {
        return src.iter().map(|&x| f(x)).collect();
    }
    let mut out: Vec<U> = Vec::with_capacity(src.len());
    out.spare_capacity_mut().par_chunks_mut(PAR_CHUNK).zip(src.par_chunks(PAR_CHUNK)).for_each(|(o, s)| {
        for (o, &x) in o.iter_mut().zip(s) {
            o.write(f(x));
        }
    });
    // SAFETY: every slot in 0..len was written by exactly one chunk above.
    unsafe { out.set_len(src.len()) };
    out
}

/// Applies `f` to corresponding elements of two equally long slices, in parallel for large inputs.
pub fn zip_map<A: Copy + Sync, B: Copy + Sync, U: Send>(
    a: &[A],
    b: &[B],
    f: impl Fn(A, B) -> U + Sync + Send,
) -> Vec<U> {
    use rayon::prelude::*;
    let n = a.len().min(b.len());
    if n < PAR_THRESHOLD {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    let mut out: Vec<U> = Vec::with_capacity(n);
    out.spare_capacity_mut()
        .par_chunks_mut(PAR_CHUNK)
        .zip(a[..n].par_chunks(PAR_CHUNK).zip(b[..n].par_chunks(PAR_CHUNK)))
        .for_each(|(o, (sa, sb))| {
            for ((o, &x), &y) in o.iter_mut().zip(sa).zip(sb) {
                o.write(f(x, y));
            }
        });
    // SAFETY: every slot in 0..n was written by exactly one chunk above.
    unsafe { out.set_len(n) };
    out
}

/// Applies `f` to three operands broadcast to `out`.
#[allow(clippy::too_many_arguments)]
pub fn broadcast_ternary<A: Copy, B: Copy, C: Copy, O>(
    a: &[A],
    ash: &[usize],
    b: &[B],
    bsh: &[usize],
    c: &[C],
    csh: &[usize],
    out: &[usize],
    f: impl Fn(A, B, C) -> O,
) -> Vec<O> {
    let n = shape::num_elements(out);
    if ash == out && bsh == out && csh == out {
        return a.iter().zip(b).zip(c).map(|((&x, &y), &z)| f(x, y, z)).collect();
    }
    let mut res = Vec::with_capacity(n);
    let rank = out.len();
    let (sa, sb, sc) = (broadcast_strides(ash, out), broadcast_strides(bsh, out), broadcast_strides(csh, out));
    let mut idx = vec![0usize; rank];
    for _ in 0..n {
        let (mut oa, mut ob, mut oc) = (0, 0, 0);
        for d in 0..rank {
            oa += idx[d] * sa[d];
            ob += idx[d] * sb[d];
            oc += idx[d] * sc[d];
        }
        res.push(f(a[oa], b[ob], c[oc]));
        for d in (0..rank).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    res
}
