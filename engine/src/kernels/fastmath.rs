//! Branch-free `exp`, `expm1`, `tanh`, `sigmoid` and `softplus` for float32 and float64.
//!
//! `std`'s versions are scalar libm calls that stop a loop from vectorizing. These are
//! straight-line code (selects instead of branches, bit tricks instead of `floor`/`ldexp`
//! calls) that the compiler turns into SIMD when they are mapped over a slice. The algorithms
//! are Cephes' (the same family Eigen, and so TensorFlow, uses): reduce `x = k ln2 + r`,
//! approximate on the small interval, scale by `2^k`. The accuracy, checked by the tests
//! below against a float64 (or libm) reference, stays within a few ulp everywhere, including
//! subnormal results, and special values follow IEEE: `exp(-inf) = 0`, `exp(inf) = inf`,
//! NaN in gives NaN out, `tanh(±0) = ±0`.
//!
//! Polynomials and the range reduction use fused multiply-adds (`mul_add`: one rounding, so
//! results are bit-identical whichever vector width the kernels were compiled for, and a
//! little more accurate). The kernels enable the FMA instructions wherever they enable AVX2 or
//! AVX-512; a CPU without them computes the same values through libm's `fma`, slowly.

// Coefficients are kept as published (Cephes), even where float32 cannot hold every digit.
#![allow(clippy::excessive_precision)]

/// Vectorizable transcendental functions with the precision of the type.
pub trait FastMath: Copy {
    /// `e^x`.
    fn fast_exp(self) -> Self;
    /// `e^x - 1`, accurate near 0.
    fn fast_expm1(self) -> Self;
    /// Hyperbolic tangent.
    fn fast_tanh(self) -> Self;
    /// Logistic function `1 / (1 + e^-x)`, accurate on both tails.
    fn fast_sigmoid(self) -> Self;
    /// `log(1 + e^x)`, accurate on both tails.
    fn fast_softplus(self) -> Self;
}

impl FastMath for f32 {
    #[inline(always)]
    fn fast_exp(self) -> f32 {
        exp_f32(self)
    }
    #[inline(always)]
    fn fast_expm1(self) -> f32 {
        expm1_f32(self)
    }
    #[inline(always)]
    fn fast_tanh(self) -> f32 {
        tanh_f32(self)
    }
    #[inline(always)]
    fn fast_sigmoid(self) -> f32 {
        sigmoid_f32(self)
    }
    #[inline(always)]
    fn fast_softplus(self) -> f32 {
        softplus_f32(self)
    }
}

impl FastMath for f64 {
    #[inline(always)]
    fn fast_exp(self) -> f64 {
        exp_f64(self)
    }
    #[inline(always)]
    fn fast_expm1(self) -> f64 {
        expm1_f64(self)
    }
    #[inline(always)]
    fn fast_tanh(self) -> f64 {
        tanh_f64(self)
    }
    #[inline(always)]
    fn fast_sigmoid(self) -> f64 {
        sigmoid_f64(self)
    }
    #[inline(always)]
    fn fast_softplus(self) -> f64 {
        softplus_f64(self)
    }
}

/// `a` where `c`, else `b`: written so it compiles to a blend, not a branch.
#[inline(always)]
fn pick<T>(c: bool, a: T, b: T) -> T {
    if c {
        a
    } else {
        b
    }
}

/// `c[0] x^(n-1) + c[1] x^(n-2) + ... + c[n-1]` by Horner's rule with fused multiply-adds.
#[inline(always)]
fn horner32(x: f32, c: &[f32]) -> f32 {
    c[1..].iter().fold(c[0], |p, &k| p.mul_add(x, k))
}

/// [`horner32`] for float64.
#[inline(always)]
fn horner64(x: f64, c: &[f64]) -> f64 {
    c[1..].iter().fold(c[0], |p, &k| p.mul_add(x, k))
}

/// `e^r` for `r = x - k ln2` (|r| <= ln2/2): the Cephes `expf` polynomial.
#[inline(always)]
fn exp_poly_f32(x: f32, k: f32) -> f32 {
    const C1: f32 = 0.693_359_4; // ln2 = C1 + C2; C1 has few bits, so k*C1 is exact
    const C2: f32 = -2.121_944_4e-4;
    let r = (-k).mul_add(C2, (-k).mul_add(C1, x));
    let r2 = r * r;
    let p =
        horner32(r, &[1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 5.000_000_1e-1]);
    p.mul_add(r2, r) + 1.0
}

/// `e^x` for float32 (Cephes `expf`: degree-6 polynomial on |r| <= ln2/2).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // Adding 1.5 * 2^23 rounds to an integer (ties to even) without a `round` call, and the
    // integer can be read back from the sum's low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    // Clamp so that 2^k stays representable as two factors; comparisons keep NaN.
    // -104 rounds to 0 after scaling; 88.8 overflows to inf as it should.
    let xc = pick(x < -104.0, -104.0, x);
    let xc = pick(xc > 88.8, 88.8, xc);
    let k = xc.mul_add(std::f32::consts::LOG2_E, MAGIC);
    let kf = k - MAGIC;
    let ki = (k.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let y = exp_poly_f32(xc, kf);
    // 2^k as two normal factors: k in [-150, 128] never fits one exponent field, and the
    // second multiplication rounds subnormal results correctly.
    let k1 = ki >> 1;
    let k2 = ki.wrapping_sub(k1);
    let s1 = f32::from_bits((k1.wrapping_add(127) as u32) << 23);
    let s2 = f32::from_bits((k2.wrapping_add(127) as u32) << 23);
    y * s1 * s2
}

/// `e^x` for float32 arguments >= 0 (or NaN), saturating at `e^88` (tanh's large branch needs
/// no more): one exponent scale instead of [`exp_f32`]'s two, and no underflow clamp.
#[inline(always)]
fn exp_pos_f32(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let xc = pick(x > 88.0, 88.0, x);
    let k = xc.mul_add(std::f32::consts::LOG2_E, MAGIC);
    let kf = k - MAGIC;
    let ki = (k.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    exp_poly_f32(xc, kf) * f32::from_bits((ki.wrapping_add(127) as u32) << 23)
}

/// `e^x` for float64 (Cephes `exp`: Padé form on |r| <= ln2/2).
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    const C1: f64 = 6.931_457_519_531_25e-1;
    const C2: f64 = 1.428_606_820_309_417_232_12e-6;
    let xc = pick(x < -746.0, -746.0, x);
    let xc = pick(xc > 709.9, 709.9, xc);
    let k = xc.mul_add(std::f64::consts::LOG2_E, MAGIC);
    let kf = k - MAGIC;
    let ki = (k.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
    let r = (-kf).mul_add(C2, (-kf).mul_add(C1, xc));
    let rr = r * r;
    let px = r * horner64(rr, &[1.261_771_930_748_105_908_78e-4, 3.029_944_077_074_419_613e-2, 1.0]);
    let qx = horner64(
        rr,
        &[3.001_985_051_386_644_550_42e-6, 2.524_483_403_496_841_041_92e-3, 2.272_655_482_081_550_287_66e-1, 2.0],
    );
    let y = 1.0 + 2.0 * (px / (qx - px));
    // k in [-1076, 1024]; biasing makes it non-negative so a logical shift halves it
    // (64-bit arithmetic shifts have no SIMD form before AVX-512).
    let kb = (ki.wrapping_add(2048)) as u64;
    let k1 = (kb >> 1) as i64 - 1024;
    let k2 = ki.wrapping_sub(k1);
    let s1 = f64::from_bits((k1.wrapping_add(1023) as u64) << 52);
    let s2 = f64::from_bits((k2.wrapping_add(1023) as u64) << 52);
    y * s1 * s2
}

/// `e^x - 1` for float32: Taylor series below |x| = 0.5, `exp(x) - 1` above.
#[inline(always)]
pub fn expm1_f32(x: f32) -> f32 {
    let p = horner32(x, &[1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5]) * x;
    let small = x.mul_add(p, x);
    let big = exp_f32(x) - 1.0;
    // `x == 0` keeps the sign of -0.0, which `x + x * p` would lose.
    pick(x == 0.0, x, pick(x.abs() < 0.5, small, big))
}

/// `e^x - 1` for float64: Taylor series (to x^15) below |x| = 0.5, `exp(x) - 1` above.
#[inline(always)]
pub fn expm1_f64(x: f64) -> f64 {
    const C: [f64; 14] = [
        1.0 / 1_307_674_368_000.0,
        1.0 / 87_178_291_200.0,
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    let small = x.mul_add(horner64(x, &C) * x, x);
    let big = exp_f64(x) - 1.0;
    pick(x == 0.0, x, pick(x.abs() < 0.5, small, big))
}

/// `tanh` for float32 (Cephes `tanhf`): odd polynomial below |x| = 0.625,
/// `1 - 2 / (e^2|x| + 1)` above (which saturates to exactly 1 when `exp` overflows).
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    let ax = x.abs();
    let z = ax * ax;
    let p = horner32(z, &[-5.704_988_7e-3, 2.063_908_9e-2, -5.373_971_6e-2, 1.333_144_2e-1, -3.333_328_2e-1]);
    let small = (ax * z).mul_add(p, ax);
    let big = 1.0 - 2.0 / (exp_pos_f32(ax + ax) + 1.0);
    // Computing on |x| and restoring the sign keeps tanh exactly odd, -0.0 included.
    pick(ax < 0.625, small, big).copysign(x)
}

/// `tanh` for float64 (Cephes `tanh`): rational approximation below |x| = 0.625.
#[inline(always)]
pub fn tanh_f64(x: f64) -> f64 {
    let ax = x.abs();
    let z = ax * ax;
    let p = horner64(
        z,
        &[-9.643_991_794_250_522_386_28e-1, -9.928_772_310_019_185_865_64e1, -1.614_687_684_417_084_479_52e3],
    );
    let q = horner64(
        z,
        &[1.0, 1.128_116_784_916_329_314_02e2, 2.235_488_390_601_004_485_83e3, 4.844_063_053_251_254_860_48e3],
    );
    let small = (ax * z).mul_add(p / q, ax);
    let big = 1.0 - 2.0 / (exp_f64(ax + ax) + 1.0);
    pick(ax < 0.625, small, big).copysign(x)
}

/// Logistic function for float32. With `e = exp(-|x|) <= 1` nothing overflows:
/// `1 / (1 + e)` for x >= 0 and `e / (1 + e)` below keep full relative accuracy on both tails
/// (one division either way).
#[inline(always)]
pub fn sigmoid_f32(x: f32) -> f32 {
    let e = exp_f32(-x.abs());
    pick(x >= 0.0, 1.0, e) / (1.0 + e)
}

/// Logistic function for float64 (see [`sigmoid_f32`]).
#[inline(always)]
pub fn sigmoid_f64(x: f64) -> f64 {
    let e = exp_f64(-x.abs());
    pick(x >= 0.0, 1.0, e) / (1.0 + e)
}

/// `log(1 + e^x)` for float32 as `max(x, 0) + log1p(e^-|x|)`, where `log1p(u)` for `u` in
/// (0, 1] is `2 atanh(u / (2 + u))`, an odd series that converges fast (argument <= 1/3).
#[inline(always)]
pub fn softplus_f32(x: f32) -> f32 {
    let u = exp_f32(-x.abs());
    let s = u / (2.0 + u);
    let s2 = s * s;
    let series = horner32(s2, &[1.0 / 13.0, 1.0 / 11.0, 1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0]) * s2;
    let log1p = (2.0 * s).mul_add(series, 2.0 * s);
    pick(x > 0.0, x, 0.0) + log1p
}

/// `log(1 + e^x)` for float64 (see [`softplus_f32`]; the series runs to s^31).
#[inline(always)]
pub fn softplus_f64(x: f64) -> f64 {
    let u = exp_f64(-x.abs());
    let s = u / (2.0 + u);
    let s2 = s * s;
    // 1/3, 1/5, ..., 1/31, highest first for Horner's rule.
    const C: [f64; 15] = [
        1.0 / 31.0,
        1.0 / 29.0,
        1.0 / 27.0,
        1.0 / 25.0,
        1.0 / 23.0,
        1.0 / 21.0,
        1.0 / 19.0,
        1.0 / 17.0,
        1.0 / 15.0,
        1.0 / 13.0,
        1.0 / 11.0,
        1.0 / 9.0,
        1.0 / 7.0,
        1.0 / 5.0,
        1.0 / 3.0,
    ];
    let series = horner64(s2, &C);
    let log1p = (2.0 * s).mul_add(series * s2, 2.0 * s);
    pick(x > 0.0, x, 0.0) + log1p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance from `got` to the exact value `want`, in units of the float32 spacing at `want`
    /// (subnormal spacing below the normal range).
    fn ulps32(got: f32, want: f64) -> f64 {
        if got.is_nan() || want.is_nan() {
            return if got.is_nan() && want.is_nan() { 0.0 } else { f64::INFINITY };
        }
        let w = want as f32;
        if w.is_infinite() || got.is_infinite() {
            return if got == w { 0.0 } else { f64::INFINITY };
        }
        let e = want.abs().log2().floor().max(-126.0);
        let ulp = (e - 23.0).exp2();
        (got as f64 - want).abs() / ulp
    }

    fn ulps64(got: f64, want: f64) -> f64 {
        if got.is_nan() || want.is_nan() {
            return if got.is_nan() && want.is_nan() { 0.0 } else { f64::INFINITY };
        }
        if want.is_infinite() || got.is_infinite() {
            return if got == want { 0.0 } else { f64::INFINITY };
        }
        let e = want.abs().log2().floor().max(-1022.0);
        let ulp = (e - 52.0).exp2();
        (got - want).abs() / ulp
    }

    /// Every 397th float32 bit pattern in `[lo, hi]` (both signs), plus the usual edge cases.
    fn sweep32(lo: f32, hi: f32) -> Vec<f32> {
        let mut v = vec![
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            1e-45,
            -1e-45,
            1e-40,
            -1e-40,
            f32::EPSILON,
            0.5,
            -0.5,
            0.625,
            -0.625,
            1.0,
            -1.0,
            hi,
            -hi,
        ];
        let mut b = lo.to_bits();
        while f32::from_bits(b) <= hi {
            let x = f32::from_bits(b);
            v.push(x);
            v.push(-x);
            b += 397;
        }
        v
    }

    /// About 1.5 million float64 values spread log-uniformly over `[lo, hi]`, both signs.
    fn sweep64(lo: f64, hi: f64) -> Vec<f64> {
        let mut v = vec![0.0, -0.0, f64::MIN_POSITIVE, -f64::MIN_POSITIVE, 5e-324, -5e-324, 0.5, -0.5, 0.625, -0.625];
        let (l, h) = (lo.ln(), hi.ln());
        let n = 750_000;
        for i in 0..=n {
            let x = (l + (h - l) * i as f64 / n as f64).exp();
            v.push(x);
            v.push(-x);
        }
        v
    }

    fn worst32(xs: &[f32], f: fn(f32) -> f32, reference: fn(f64) -> f64) -> (f64, f32) {
        let mut worst = (0.0, 0.0);
        for &x in xs {
            let e = ulps32(f(x), reference(x as f64));
            if e > worst.0 {
                worst = (e, x);
            }
        }
        worst
    }

    fn worst64(xs: &[f64], f: fn(f64) -> f64, reference: fn(f64) -> f64) -> (f64, f64) {
        let mut worst = (0.0, 0.0);
        for &x in xs {
            let e = ulps64(f(x), reference(x));
            if e > worst.0 {
                worst = (e, x);
            }
        }
        worst
    }

    fn sigmoid_ref(x: f64) -> f64 {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            let e = x.exp();
            e / (1.0 + e)
        }
    }

    fn softplus_ref(x: f64) -> f64 {
        x.max(0.0) + (-x.abs()).exp().ln_1p()
    }

    #[test]
    fn exp_f32_is_within_2_ulp() {
        let (e, at) = worst32(&sweep32(1e-30, 110.0), exp_f32, f64::exp);
        assert!(e <= 2.0, "exp_f32: {e} ulp at {at}");
    }

    #[test]
    fn exp_f64_is_within_2_ulp() {
        let (e, at) = worst64(&sweep64(1e-300, 750.0), exp_f64, f64::exp);
        assert!(e <= 2.0, "exp_f64: {e} ulp at {at}");
    }

    #[test]
    fn expm1_is_within_3_ulp() {
        let (e, at) = worst32(&sweep32(1e-30, 110.0), expm1_f32, f64::exp_m1);
        assert!(e <= 3.0, "expm1_f32: {e} ulp at {at}");
        let (e, at) = worst64(&sweep64(1e-300, 750.0), expm1_f64, f64::exp_m1);
        assert!(e <= 3.0, "expm1_f64: {e} ulp at {at}");
    }

    #[test]
    fn tanh_is_within_3_ulp() {
        let (e, at) = worst32(&sweep32(1e-30, 20.0), tanh_f32, f64::tanh);
        assert!(e <= 3.0, "tanh_f32: {e} ulp at {at}");
        let (e, at) = worst64(&sweep64(1e-300, 40.0), tanh_f64, f64::tanh);
        assert!(e <= 3.0, "tanh_f64: {e} ulp at {at}");
    }

    #[test]
    fn sigmoid_is_within_3_ulp_on_both_tails() {
        let (e, at) = worst32(&sweep32(1e-30, 110.0), sigmoid_f32, sigmoid_ref);
        assert!(e <= 3.0, "sigmoid_f32: {e} ulp at {at}");
        let (e, at) = worst64(&sweep64(1e-300, 750.0), sigmoid_f64, sigmoid_ref);
        assert!(e <= 3.0, "sigmoid_f64: {e} ulp at {at}");
    }

    #[test]
    fn softplus_is_within_3_ulp_on_both_tails() {
        let (e, at) = worst32(&sweep32(1e-30, 110.0), softplus_f32, softplus_ref);
        assert!(e <= 3.0, "softplus_f32: {e} ulp at {at}");
        let (e, at) = worst64(&sweep64(1e-300, 750.0), softplus_f64, softplus_ref);
        assert!(e <= 3.0, "softplus_f64: {e} ulp at {at}");
    }

    #[test]
    fn special_values_follow_ieee() {
        let inf = f32::INFINITY;
        assert_eq!(exp_f32(-inf), 0.0);
        assert_eq!(exp_f32(inf), inf);
        assert_eq!(exp_f32(89.0), inf);
        assert_eq!(exp_f32(-104.0), 0.0);
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-0.0), 1.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(-100.0), (-100.0f64).exp() as f32, "subnormal result rounds correctly");
        assert_eq!(exp_f64(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_f64(710.0), f64::INFINITY);
        assert_eq!(exp_f64(-746.0), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
        assert_eq!(exp_f64(709.78), 709.78f64.exp());

        assert_eq!(expm1_f32(-inf), -1.0);
        assert_eq!(expm1_f32(inf), inf);
        assert_eq!(expm1_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(expm1_f32(f32::NAN).is_nan());
        assert_eq!(expm1_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(expm1_f64(f64::NEG_INFINITY), -1.0);

        assert_eq!(tanh_f32(inf), 1.0);
        assert_eq!(tanh_f32(-inf), -1.0);
        assert_eq!(tanh_f32(30.0), 1.0);
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh_f32(1e-40), 1e-40);
        assert!(tanh_f32(f32::NAN).is_nan());
        assert_eq!(tanh_f64(f64::NEG_INFINITY), -1.0);
        assert_eq!(tanh_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert!(tanh_f64(f64::NAN).is_nan());

        assert_eq!(sigmoid_f32(inf), 1.0);
        assert_eq!(sigmoid_f32(-inf), 0.0);
        assert_eq!(sigmoid_f32(0.0), 0.5);
        assert_eq!(sigmoid_f32(-0.0), 0.5);
        assert!(sigmoid_f32(f32::NAN).is_nan());
        assert!(sigmoid_f32(-100.0) > 0.0, "tiny but representable results are not flushed");
        assert_eq!(sigmoid_f64(f64::NEG_INFINITY), 0.0);
        assert!(sigmoid_f64(f64::NAN).is_nan());

        assert_eq!(softplus_f32(inf), inf);
        assert_eq!(softplus_f32(-inf), 0.0);
        assert_eq!(softplus_f32(100.0), 100.0);
        assert!(softplus_f32(f32::NAN).is_nan());
        assert_eq!(softplus_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(softplus_f64(f64::NEG_INFINITY), 0.0);
        assert!(softplus_f64(f64::NAN).is_nan());
    }

    #[test]
    fn tanh_and_sigmoid_are_exactly_symmetric() {
        for &x in &sweep32(1e-6, 30.0) {
            assert_eq!(tanh_f32(-x).to_bits(), (-tanh_f32(x)).to_bits(), "tanh at {x}");
        }
        for i in 0..2000 {
            let x = i as f64 * 0.01;
            assert_eq!(tanh_f64(-x).to_bits(), (-tanh_f64(x)).to_bits(), "tanh at {x}");
        }
    }
}
