//! Values of the elementwise math ops, checked against references computed independently in
//! the test (std's float64 functions, hand-derived tables, Python's rounding rules), including
//! NaN, infinities, signed zeros, integer overflow and the error cases.

// The reference tables are NumPy's printed float64 values, some of which equal std constants.
#![allow(clippy::approx_constant)]

use tensile::ops::math;
use tensile::testing::assert_close;
use tensile::{DType, Result, Tensor};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

fn t32(v: &[f32]) -> Tensor {
    Tensor::from(v.to_vec())
}

fn t64(v: &[f64]) -> Tensor {
    Tensor::from(v.to_vec())
}

fn ti32(v: &[i32]) -> Tensor {
    Tensor::from(v.to_vec())
}

fn ti64(v: &[i64]) -> Tensor {
    Tensor::from(v.to_vec())
}

/// Asserts equality bit for bit where it matters: NaN matches NaN, and signed zeros must agree.
fn assert_same(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let ok = (a.is_nan() && e.is_nan()) || (a == e && a.is_sign_negative() == e.is_sign_negative());
        assert!(ok, "element {i}: got {a:?}, expected {e:?}\n actual: {actual:?}\n expected: {expected:?}");
    }
}

/// Inputs that exercise every branch of the float kernels, including the special values.
fn probe_inputs() -> Vec<f64> {
    let mut v = vec![
        0.0, -0.0, 1e-40, -1e-40, 1e-30, -1e-8, 1e-8, 0.1, -0.1, 0.5, -0.5, 0.624, 0.626, -0.7, 1.0, -1.0, 2.5, -3.0,
        5.5, -9.0, 10.0, -15.0, 20.0, 30.0, -40.0, 80.0, -87.0, 88.0, -100.0, 300.0, -700.0, 709.0, -745.0, 800.0, INF,
        -INF, NAN,
    ];
    for i in 0..200 {
        v.push(-12.0 + 0.12 * i as f64);
    }
    v
}

/// Checks a unary float op in float32 and float64 against a float64 reference `r`:
/// float32 within `rtol32` relative (or `atol32` absolute), float64 within 4e-15 relative.
fn check_unary(name: &str, f: fn(&Tensor) -> Result<Tensor>, r: fn(f64) -> f64, rtol32: f64, atol32: f64) {
    check_unary_tol(name, f, r, rtol32, atol32, 4e-15)
}

fn check_unary_tol(
    name: &str,
    f: fn(&Tensor) -> Result<Tensor>,
    r: fn(f64) -> f64,
    rtol32: f64,
    atol32: f64,
    rtol64: f64,
) {
    let xs = probe_inputs();
    let want64: Vec<f64> = xs.iter().map(|&x| r(x)).collect();
    let got64 = f(&t64(&xs)).unwrap();
    assert_eq!(got64.dtype(), DType::F64, "{name}");
    for (i, (&g, &w)) in got64.to_f64_vec().iter().zip(&want64).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= rtol64 * w.abs() + 1e-300;
        assert!(ok, "{name} float64 at x = {}: got {g:e}, expected {w:e}", xs[i]);
    }
    let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    let got32 = f(&t32(&xs32)).unwrap();
    assert_eq!(got32.dtype(), DType::F32, "{name}");
    for (i, (&g, &x)) in got32.to_vec::<f32>().unwrap().iter().zip(&xs32).enumerate() {
        let w = r(x as f64);
        let wf = w as f32;
        let ok = (g.is_nan() && w.is_nan()) || g == wf || ((g as f64) - w).abs() <= rtol32 * w.abs() + atol32;
        assert!(ok, "{name} float32 at x = {x:e} (#{i}): got {g:e}, expected {w:e}");
    }
}

const F32_ULP: f64 = 1.2e-7; // 2^-23: relative spacing of float32
const SUBNORMAL_ULP: f64 = 1.5e-45; // 2^-149, rounded up

#[test]
fn exponentials_and_logs_match_float64_reference() {
    check_unary("exp", math::exp, f64::exp, 2.0 * F32_ULP, SUBNORMAL_ULP);
    check_unary("expm1", math::expm1, f64::exp_m1, 3.0 * F32_ULP, SUBNORMAL_ULP);
    check_unary("log", math::log, f64::ln, 2.0 * F32_ULP, 0.0);
    check_unary("log1p", math::log1p, f64::ln_1p, 2.0 * F32_ULP, 0.0);
    check_unary("sqrt", math::sqrt, f64::sqrt, F32_ULP, 0.0);
    check_unary("rsqrt", math::rsqrt, |x| 1.0 / x.sqrt(), 2.0 * F32_ULP, 0.0);
    check_unary("reciprocal", math::reciprocal, |x| 1.0 / x, F32_ULP, 0.0);
}

#[test]
fn trigonometric_and_hyperbolic_match_float64_reference() {
    check_unary("sin", math::sin, f64::sin, 2.0 * F32_ULP, 1e-7);
    check_unary("cos", math::cos, f64::cos, 2.0 * F32_ULP, 1e-7);
    check_unary("tan", math::tan, f64::tan, 4.0 * F32_ULP, 1e-7);
    check_unary("tanh", math::tanh, f64::tanh, 3.0 * F32_ULP, 0.0);
    check_unary_tol("erf", math::erf, libm_free_erf, 4.0 * F32_ULP, 1e-7, 1e-13);
}

/// erf by its Taylor series (small |x|) or continued fraction for erfc (large |x|): a
/// reference independent of the kernel's libm.
fn libm_free_erf(x: f64) -> f64 {
    if x.is_nan() {
        return NAN;
    }
    let a = x.abs();
    let v = if a < 2.0 {
        let mut term = a;
        let mut sum = a;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= -a * a / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else if a.is_infinite() {
        1.0
    } else {
        // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...))))
        let mut f = a;
        for k in (1..400).rev() {
            f = a + (k as f64 / 2.0) / f;
        }
        1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / f
    };
    v.copysign(x)
}

fn sigmoid_ref(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        x.exp() / (1.0 + x.exp())
    }
}

#[test]
fn activations_match_float64_reference() {
    check_unary("sigmoid", math::sigmoid, sigmoid_ref, 3.0 * F32_ULP, 2.0 * SUBNORMAL_ULP);
    check_unary(
        "softplus",
        math::softplus,
        |x| x.max(0.0) + (-x.abs()).exp().ln_1p(),
        3.0 * F32_ULP,
        2.0 * SUBNORMAL_ULP,
    );
    check_unary("softsign", math::softsign, |x| x / (x.abs() + 1.0), 2.0 * F32_ULP, 0.0);
    // Where sigmoid(x) is subnormal (x < -87), x * sigmoid(x) scales its absolute error by |x|.
    check_unary("silu", math::silu, |x| x * sigmoid_ref(x), 4.0 * F32_ULP, 1e-42);
    check_unary("elu", math::elu, |x| if x > 0.0 { x } else { x.exp_m1() }, 3.0 * F32_ULP, SUBNORMAL_ULP);
    check_unary(
        "selu",
        math::selu,
        |x| {
            let (alpha, scale) = (1.673_263_242_354_377_3, 1.050_700_987_355_480_5);
            if x > 0.0 {
                scale * x
            } else {
                scale * alpha * x.exp_m1()
            }
        },
        4.0 * F32_ULP,
        SUBNORMAL_ULP,
    );
    check_unary("relu", math::relu, |x| if x > 0.0 { x } else { 0.0 }, 0.0, 0.0);
    check_unary("relu6", math::relu6, |x| if x > 0.0 { x.min(6.0) } else { 0.0 }, 0.0, 0.0);
}

#[test]
fn gelu_exact_and_tanh_approximation() {
    let xs = [-6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 6.0];
    let exact: Vec<f64> = xs.iter().map(|&x| 0.5 * x * (1.0 + libm_free_erf(x / 2f64.sqrt()))).collect();
    let c = (2.0 / std::f64::consts::PI).sqrt();
    let approx: Vec<f64> = xs.iter().map(|&x| 0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh())).collect();
    assert_close(&math::gelu(&t64(&xs), false).unwrap().to_f64_vec(), &exact, 1e-14, 1e-300);
    assert_close(&math::gelu(&t64(&xs), true).unwrap().to_f64_vec(), &approx, 1e-13, 1e-16);
    let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    assert_close(&math::gelu(&t32(&xs32), true).unwrap().to_f64_vec(), &approx, 1e-6, 1e-7);
    // The tail keeps its relative accuracy (TF's 0.5x(1+tanh) form cancels to zero here).
    let far = math::gelu(&t64(&[-12.0]), true).unwrap().to_f64_vec()[0];
    let u = c * (-12.0 + 0.044715 * -1728.0);
    let want = -12.0 * sigmoid_ref(2.0 * u);
    assert!(far < 0.0 && ((far - want) / want).abs() < 1e-12, "{far:e} vs {want:e}");
    let leaky = math::leaky_relu(&t64(&[-2.0, -0.0, 3.0]), 0.2).unwrap().to_f64_vec();
    assert_same(&leaky, &[-0.4, -0.0, 3.0]);
}

#[test]
fn special_values_of_unary_functions() {
    let x = t32(&[0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -1.0]);
    let v = |f: fn(&Tensor) -> Result<Tensor>| f(&x).unwrap().to_f64_vec();
    assert_same(&v(math::exp)[..5], &[1.0, 1.0, INF, 0.0, NAN]);
    assert_same(&v(math::expm1)[..5], &[0.0, -0.0, INF, -1.0, NAN]);
    assert_same(&v(math::log)[..5], &[-INF, -INF, INF, NAN, NAN]);
    assert!(v(math::log)[5].is_nan(), "log of a negative number is NaN");
    assert_same(&v(math::sqrt)[..5], &[0.0, -0.0, INF, NAN, NAN]);
    assert_same(&v(math::rsqrt)[..5], &[INF, -INF, 0.0, NAN, NAN]);
    assert_same(&v(math::reciprocal)[..5], &[INF, -INF, 0.0, -0.0, NAN]);
    assert_same(&v(math::tanh)[..5], &[0.0, -0.0, 1.0, -1.0, NAN]);
    assert_same(&v(math::sigmoid)[..5], &[0.5, 0.5, 1.0, 0.0, NAN]);
    assert_same(&v(math::softplus)[2..5], &[INF, 0.0, NAN]);
    assert_same(&v(math::elu)[..5], &[0.0, -0.0, INF, -1.0, NAN]);
    assert_same(&v(math::abs)[..5], &[0.0, 0.0, INF, INF, NAN]);
    assert_same(&v(math::neg)[..5], &[-0.0, 0.0, -INF, INF, NAN]);
    assert_same(&v(math::floor)[..5], &[0.0, -0.0, INF, -INF, NAN]);
    assert_same(&v(math::square)[..5], &[0.0, 0.0, INF, INF, NAN]);
    let sign = v(math::sign);
    assert_eq!(sign[0], 0.0);
    assert_eq!(sign[1], 0.0);
    assert_eq!(&sign[2..4], &[1.0, -1.0]);
    assert!(sign[4].is_nan(), "sign(NaN) is NaN");
    assert_eq!(sign[5], -1.0);
    assert_eq!(math::is_nan(&x).unwrap().to_vec::<bool>().unwrap(), vec![false, false, false, false, true, false]);
    assert_eq!(math::is_inf(&x).unwrap().to_vec::<bool>().unwrap(), vec![false, false, true, true, false, false]);
    assert_eq!(math::is_finite(&x).unwrap().to_vec::<bool>().unwrap(), vec![true, true, false, false, false, true]);
}

#[test]
fn rounding_is_half_to_even_and_floor_ceil_keep_signed_zero() {
    let x = t64(&[0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999999999999994, 2.6, -2.4, 16777217.0, 1e300, -INF, NAN]);
    let want = [0.0, 2.0, 2.0, 4.0, -0.0, -2.0, -2.0, 0.0, 3.0, -2.0, 16777217.0, 1e300, -INF, NAN];
    assert_same(&math::round(&x).unwrap().to_f64_vec(), &want);
    let x32 = t32(&[0.5, 1.5, 2.5, -0.5, -3.5, 8388609.0]);
    assert_same(&math::round(&x32).unwrap().to_f64_vec(), &[0.0, 2.0, 2.0, -0.0, -4.0, 8388609.0]);
    let y = t64(&[-0.5, 0.5, -1.0, 1.2, -1.2, -0.0]);
    assert_same(&math::floor(&y).unwrap().to_f64_vec(), &[-1.0, 0.0, -1.0, 1.0, -2.0, -0.0]);
    assert_same(&math::ceil(&y).unwrap().to_f64_vec(), &[-0.0, 1.0, -1.0, 2.0, -1.0, -0.0]);
}

#[test]
fn integer_unary_ops_wrap_instead_of_overflowing() -> Result<()> {
    let x = ti32(&[i32::MIN, -5, 0, 7, i32::MAX, 65536]);
    assert_eq!(math::neg(&x)?.to_vec::<i32>()?, vec![i32::MIN, 5, 0, -7, -i32::MAX, -65536]);
    assert_eq!(math::abs(&x)?.to_vec::<i32>()?, vec![i32::MIN, 5, 0, 7, i32::MAX, 65536]);
    assert_eq!(math::sign(&x)?.to_vec::<i32>()?, vec![-1, -1, 0, 1, 1, 1]);
    assert_eq!(math::square(&x)?.to_vec::<i32>()?, vec![0, 25, 0, 49, 1, 0]);
    assert_eq!(math::relu(&x)?.to_vec::<i32>()?, vec![0, 0, 0, 7, i32::MAX, 65536]);
    assert_eq!(math::relu6(&x)?.to_vec::<i32>()?, vec![0, 0, 0, 6, 6, 6]);
    let y = ti64(&[i64::MIN, -3, 4]);
    assert_eq!(math::neg(&y)?.to_vec::<i64>()?, vec![i64::MIN, 3, -4]);
    assert_eq!(math::square(&y)?.to_vec::<i64>()?, vec![0, 9, 16]);
    // Float-only functions reject integers, naming the op and dtype.
    let err = math::exp(&x).unwrap_err().to_string();
    assert!(err.contains("exp") && err.contains("int32") && err.contains("float32"), "{err}");
    Ok(())
}

#[test]
fn arithmetic_on_floats_follows_ieee() -> Result<()> {
    let a = t64(&[1.0, -1.0, 0.0, INF, INF, -0.0, 1e308]);
    let b = t64(&[0.0, 0.0, 0.0, INF, -INF, 0.0, 4.0]);
    assert_same(&math::add(&a, &b)?.to_f64_vec(), &[1.0, -1.0, 0.0, INF, NAN, 0.0, 1e308]);
    assert_same(&math::sub(&a, &b)?.to_f64_vec(), &[1.0, -1.0, 0.0, NAN, INF, -0.0, 1e308]);
    assert_same(&math::mul(&a, &b)?.to_f64_vec(), &[0.0, -0.0, 0.0, INF, -INF, -0.0, INF]);
    assert_same(&math::div(&a, &b)?.to_f64_vec(), &[INF, -INF, NAN, NAN, NAN, NAN, 1e308 / 4.0]);
    let sd = math::squared_difference(&t32(&[1.0, -2.0, 3.5]), &t32(&[4.0, 2.0, 3.5]))?;
    assert_eq!(sd.to_vec::<f32>()?, vec![9.0, 16.0, 0.0]);
    Ok(())
}

#[test]
fn integer_arithmetic_wraps_on_overflow() -> Result<()> {
    let a = ti32(&[i32::MAX, i32::MIN, 65536, -7, 7]);
    let b = ti32(&[1, -1, 65536, 2, -2]);
    assert_eq!(math::add(&a, &b)?.to_vec::<i32>()?, vec![i32::MIN, i32::MAX, 131072, -5, 5]);
    assert_eq!(math::sub(&a, &b)?.to_vec::<i32>()?, vec![i32::MAX - 1, i32::MIN + 1, 0, -9, 9]);
    assert_eq!(math::mul(&a, &b)?.to_vec::<i32>()?, vec![i32::MAX, i32::MIN, 0, -14, -14]);
    // Same-dtype division truncates toward zero (TensorFlow's integer `Div`); MIN / -1 wraps.
    assert_eq!(math::div(&a, &b)?.to_vec::<i32>()?, vec![i32::MAX, i32::MIN, 1, -3, -3]);
    let big = ti64(&[i64::MAX, 3_000_000_000]);
    assert_eq!(math::add(&big, &ti64(&[1, 3_000_000_000]))?.to_vec::<i64>()?, vec![i64::MIN, 6_000_000_000]);
    Ok(())
}

#[test]
fn integer_division_by_zero_is_an_error() {
    let a = ti32(&[1, 2, 3]);
    let b = ti32(&[1, 0, 3]);
    for (name, f) in [
        ("div", math::div as fn(&Tensor, &Tensor) -> Result<Tensor>),
        ("floordiv", math::floordiv),
        ("floormod", math::floormod),
    ] {
        let err = f(&a, &b).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains("division by zero") && err.contains("int32"), "{err}");
    }
    let err = math::floordiv(&ti64(&[5]), &ti64(&[0])).unwrap_err().to_string();
    assert!(err.contains("int64"), "{err}");
}

/// Python's `//` and `%` on integers, derived from exact rational floor division.
fn py_floordiv(x: i64, y: i64) -> i64 {
    (x as f64 / y as f64).floor() as i64
}

#[test]
fn floordiv_and_floormod_follow_python_for_every_sign_combination() -> Result<()> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for x in [-7i32, -6, -1, 0, 1, 6, 7, 100] {
        for y in [-3i32, -2, -1, 1, 2, 3, 7] {
            xs.push(x);
            ys.push(y);
        }
    }
    let q = math::floordiv(&ti32(&xs), &ti32(&ys))?.to_vec::<i32>()?;
    let r = math::floormod(&ti32(&xs), &ti32(&ys))?.to_vec::<i32>()?;
    for i in 0..xs.len() {
        let (x, y) = (xs[i] as i64, ys[i] as i64);
        let want_q = py_floordiv(x, y);
        let want_r = x - y * want_q;
        assert_eq!(q[i] as i64, want_q, "{x} // {y}");
        assert_eq!(r[i] as i64, want_r, "{x} % {y}");
        assert!(r[i] == 0 || (r[i] < 0) == (ys[i] < 0), "remainder takes the divisor's sign: {x} % {y}");
    }
    // Extremes: MIN // -1 wraps to MIN, MIN % -1 is 0, nothing panics.
    let q = math::floordiv(&ti32(&[i32::MIN, i32::MIN, i32::MAX]), &ti32(&[-1, 2, -2]))?.to_vec::<i32>()?;
    assert_eq!(q, vec![i32::MIN, -1_073_741_824, -1_073_741_824]);
    let r = math::floormod(&ti32(&[i32::MIN, i32::MIN, i32::MAX]), &ti32(&[-1, 3, -2]))?.to_vec::<i32>()?;
    assert_eq!(r, vec![0, 1, -1]);
    let q64 = math::floordiv(&ti64(&[-7, 7, i64::MIN]), &ti64(&[2, -2, -1]))?.to_vec::<i64>()?;
    assert_eq!(q64, vec![-4, -4, i64::MIN]);
    Ok(())
}

#[test]
fn float_floordiv_and_floormod_match_python() -> Result<()> {
    let x = t64(&[7.5, -7.5, 7.5, -7.5, 1.0, -1.0, 1.0, INF, 6.0, -0.0]);
    let y = t64(&[2.0, 2.0, -2.0, -2.0, 0.0, 0.0, INF, 2.0, 3.0, 5.0]);
    // Python: 7.5 // 2 = 3, -7.5 // 2 = -4, 7.5 // -2 = -4, -7.5 // -2 = 3.
    let q = math::floordiv(&x, &y)?.to_f64_vec();
    assert_same(&q[..4], &[3.0, -4.0, -4.0, 3.0]);
    assert_same(&q[4..6], &[INF, -INF]);
    assert_eq!(q[8], 2.0);
    // Python: 7.5 % 2 = 1.5, -7.5 % 2 = 0.5, 7.5 % -2 = -0.5, -7.5 % -2 = -1.5; x % 0 is NaN here.
    let r = math::floormod(&x, &y)?.to_f64_vec();
    assert_same(&r[..4], &[1.5, 0.5, -0.5, -1.5]);
    assert!(r[4].is_nan() && r[5].is_nan() && r[7].is_nan());
    assert_eq!(r[8], 0.0);
    let r32 = math::floormod(&t32(&[-1.0, 5.25]), &t32(&[3.0, -2.0]))?.to_vec::<f32>()?;
    assert_eq!(r32, vec![2.0, -0.75]);
    Ok(())
}

#[test]
fn pow_for_floats_and_integers() -> Result<()> {
    let x = t64(&[2.0, -8.0, 0.0, NAN, 1.0, 4.0, -2.0]);
    let y = t64(&[0.5, 1.0 / 3.0, -1.0, 0.0, NAN, -0.5, 3.0]);
    let want: Vec<f64> = [(2.0, 0.5), (-8.0, 1.0 / 3.0), (0.0, -1.0), (NAN, 0.0), (1.0, NAN), (4.0, -0.5), (-2.0, 3.0)]
        .iter()
        .map(|&(a, b): &(f64, f64)| a.powf(b))
        .collect();
    assert_same(&math::pow(&x, &y)?.to_f64_vec(), &want);
    assert!(want[1].is_nan(), "negative base, fractional exponent");
    assert_eq!(want[2], INF);
    assert_eq!(want[3], 1.0);

    let b = ti32(&[2, -3, 0, 5, 3, -1]);
    let e = ti32(&[10, 3, 0, 1, 40, 7]);
    let wrap3_40 = (0..40).fold(1i32, |acc, _| acc.wrapping_mul(3));
    assert_eq!(math::pow(&b, &e)?.to_vec::<i32>()?, vec![1024, -27, 1, 5, wrap3_40, -1]);
    assert_eq!(
        math::pow(&ti64(&[2, 10]), &ti64(&[62, 18]))?.to_vec::<i64>()?,
        vec![1 << 62, 1_000_000_000_000_000_000]
    );
    let err = math::pow(&ti32(&[2, 2]), &ti32(&[1, -1])).unwrap_err().to_string();
    assert!(err.contains("pow") && err.contains("negative"), "{err}");
    Ok(())
}

#[test]
fn maximum_and_minimum_propagate_nan_from_either_side() -> Result<()> {
    let a = t64(&[1.0, NAN, 3.0, -0.0, -INF]);
    let b = t64(&[NAN, 2.0, 1.0, 5.0, 0.0]);
    assert_same(&math::maximum(&a, &b)?.to_f64_vec(), &[NAN, NAN, 3.0, 5.0, 0.0]);
    assert_same(&math::minimum(&a, &b)?.to_f64_vec(), &[NAN, NAN, 1.0, -0.0, -INF]);
    let c = ti32(&[i32::MIN, 4, 9]);
    let d = ti32(&[0, 4, -9]);
    assert_eq!(math::maximum(&c, &d)?.to_vec::<i32>()?, vec![0, 4, 9]);
    assert_eq!(math::minimum(&c, &d)?.to_vec::<i32>()?, vec![i32::MIN, 4, -9]);
    Ok(())
}

#[test]
fn comparisons_treat_nan_and_signed_zero_like_ieee() -> Result<()> {
    let a = t32(&[1.0, f32::NAN, 0.0, 2.0, f32::INFINITY]);
    let b = t32(&[1.0, f32::NAN, -0.0, 3.0, f32::INFINITY]);
    let v = |t: Tensor| t.to_vec::<bool>().unwrap();
    assert_eq!(v(math::equal(&a, &b)?), vec![true, false, true, false, true]);
    assert_eq!(v(math::not_equal(&a, &b)?), vec![false, true, false, true, false]);
    assert_eq!(v(math::less(&a, &b)?), vec![false, false, false, true, false]);
    assert_eq!(v(math::less_equal(&a, &b)?), vec![true, false, true, true, true]);
    assert_eq!(v(math::greater(&a, &b)?), vec![false, false, false, false, false]);
    assert_eq!(v(math::greater_equal(&a, &b)?), vec![true, false, true, false, true]);
    // Broadcasting: a column against a row.
    let col = Tensor::from_vec(vec![1i64, 2, 3], &[3, 1])?;
    let row = Tensor::from_vec(vec![2i64, 3], &[1, 2])?;
    let lt = math::less(&col, &row)?;
    assert_eq!(lt.shape(), &[3, 2]);
    assert_eq!(v(lt), vec![true, true, false, true, false, false]);
    // Bools compare for equality but are not ordered.
    let t = Tensor::from(vec![true, false]);
    assert_eq!(v(math::equal(&t, &Tensor::from(true))?), vec![true, false]);
    let err = math::less(&t, &t).unwrap_err().to_string();
    assert!(err.contains("less") && err.contains("bool"), "{err}");
    let err = math::equal(&a, &ti32(&[1, 2, 3, 4, 5])).unwrap_err().to_string();
    assert!(err.contains("float32") && err.contains("int32"), "{err}");
    Ok(())
}

#[test]
fn logical_ops_have_their_truth_tables_and_reject_numbers() -> Result<()> {
    let a = Tensor::from(vec![true, true, false, false]);
    let b = Tensor::from(vec![true, false, true, false]);
    let v = |t: Tensor| t.to_vec::<bool>().unwrap();
    assert_eq!(v(math::logical_and(&a, &b)?), vec![true, false, false, false]);
    assert_eq!(v(math::logical_or(&a, &b)?), vec![true, true, true, false]);
    assert_eq!(v(math::logical_xor(&a, &b)?), vec![false, true, true, false]);
    assert_eq!(v(math::logical_not(&a)?), vec![false, false, true, true]);
    let col = Tensor::from_vec(vec![true, false], &[2, 1])?;
    assert_eq!(v(math::logical_and(&col, &b)?), vec![true, false, true, false, false, false, false, false]);
    let err = math::logical_and(&ti32(&[1]), &ti32(&[1])).unwrap_err().to_string();
    assert!(err.contains("logical_and") && err.contains("int32") && err.contains("bool"), "{err}");
    let err = math::logical_not(&t32(&[1.0])).unwrap_err().to_string();
    assert!(err.contains("logical_not") && err.contains("float32"), "{err}");
    Ok(())
}

#[test]
fn select_broadcasts_all_three_operands() -> Result<()> {
    let cond = Tensor::from_vec(vec![true, false], &[2, 1])?;
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3])?;
    let y = Tensor::from(-1.0f32);
    let out = math::where_(&cond, &x, &y)?;
    assert_eq!(out.shape(), &[2, 3]);
    assert_eq!(out.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, -1.0, -1.0, -1.0]);
    // A row condition against a full x and a column y.
    let cond = Tensor::from(vec![true, false, true]);
    let x = Tensor::from_vec((0..6).collect::<Vec<i32>>(), &[2, 3])?;
    let y = Tensor::from_vec(vec![10, 20], &[2, 1])?;
    assert_eq!(math::select(&cond, &x, &y)?.to_vec::<i32>()?, vec![0, 10, 2, 3, 20, 5]);
    let err = math::select(&ti32(&[1]), &x, &x).unwrap_err().to_string();
    assert!(err.contains("where") && err.contains("bool") && err.contains("int32"), "{err}");
    let err = math::select(&Tensor::from(vec![true, false]), &x, &x).unwrap_err().to_string();
    assert!(err.contains("[2]") && err.contains("[2, 3]"), "{err}");
    let err = math::select(&Tensor::from(true), &x, &t32(&[1.0])).unwrap_err().to_string();
    assert!(err.contains("int32") && err.contains("float32"), "{err}");
    Ok(())
}

#[test]
fn clip_by_value_with_scalar_and_broadcast_bounds() -> Result<()> {
    let x = t32(&[-3.0, -1.0, 0.5, 2.0, 9.0, f32::NAN]);
    let out = math::clip_by_value(&x, &Tensor::from(-1.5f32), &Tensor::from(2.0f32))?.to_f64_vec();
    assert_same(&out, &[-1.5, -1.0, 0.5, 2.0, 2.0, NAN]);
    let m = Tensor::from_vec((0..6).collect::<Vec<i64>>(), &[2, 3])?;
    let lo = Tensor::from_vec(vec![1i64, 0, 4], &[3])?;
    let hi = Tensor::from_vec(vec![2i64, 3], &[2, 1])?;
    // TensorFlow's order, max(min(x, hi), lo): where a bound pair is inverted, lo wins.
    assert_eq!(math::clip_by_value(&m, &lo, &hi)?.to_vec::<i64>()?, vec![1, 1, 4, 3, 3, 4]);
    let err = math::clip_by_value(&x, &Tensor::from(3.0f32), &Tensor::from(1.0f32)).unwrap_err().to_string();
    assert!(err.contains("clip_by_value") && err.contains("greater"), "{err}");
    let err = math::clip_by_value(&x, &t32(&[0.0, 1.0]), &Tensor::from(1.0f32)).unwrap_err().to_string();
    assert!(err.contains("[2]") && err.contains("[6]"), "{err}");
    let err = math::clip_by_value(&x, &Tensor::from(0.0f64), &Tensor::from(1.0f32)).unwrap_err().to_string();
    assert!(err.contains("float64") && err.contains("float32"), "{err}");
    Ok(())
}

/// Casts. TensorFlow documents NaN/inf → integer as undefined (x86 CPUs give the most negative
/// integer, GPUs and XLA give 0); Tensile defines it as XLA does: NaN → 0 and out-of-range
/// values saturate to the integer's bounds. Finite floats truncate toward zero; integers
/// narrow by keeping the low bits; anything nonzero (NaN included) is `true`.
#[test]
fn casts_truncate_saturate_and_convert_bools() -> Result<()> {
    let f = t64(&[1.9, -1.9, 2.5, -2.5, -0.0, NAN, INF, -INF, 1e10, -1e10]);
    assert_eq!(
        math::cast(&f, DType::I32)?.to_vec::<i32>()?,
        vec![1, -1, 2, -2, 0, 0, i32::MAX, i32::MIN, i32::MAX, i32::MIN]
    );
    assert_eq!(
        math::cast(&f, DType::I64)?.to_vec::<i64>()?,
        vec![1, -1, 2, -2, 0, 0, i64::MAX, i64::MIN, 10_000_000_000, -10_000_000_000]
    );
    assert_eq!(
        math::cast(&f, DType::Bool)?.to_vec::<bool>()?,
        vec![true, true, true, true, false, true, true, true, true, true]
    );
    let wide = ti64(&[(1 << 32) + 5, -1, i64::MAX]);
    assert_eq!(math::cast(&wide, DType::I32)?.to_vec::<i32>()?, vec![5, -1, -1]);
    let b = Tensor::from(vec![true, false]);
    assert_eq!(math::cast(&b, DType::F32)?.to_vec::<f32>()?, vec![1.0, 0.0]);
    assert_eq!(math::cast(&b, DType::I64)?.to_vec::<i64>()?, vec![1, 0]);
    assert_eq!(math::cast(&ti32(&[0, 3, -2]), DType::Bool)?.to_vec::<bool>()?, vec![false, true, true]);
    assert_same(&math::cast(&t64(&[1e300, 0.1, -1e-50]), DType::F32)?.to_f64_vec(), &[INF, 0.1f32 as f64, -0.0]);
    assert_eq!(math::cast(&ti32(&[16777217]), DType::F32)?.to_vec::<f32>()?, vec![16777216.0]);
    let same = math::cast(&b, DType::Bool)?;
    assert_eq!(same.to_vec::<bool>()?, vec![true, false]);
    assert!(!same.same(&b), "a no-op cast still returns a new tensor value");
    Ok(())
}

#[test]
fn binary_errors_name_the_op_shapes_and_dtypes() {
    let err = math::add(&t32(&[1.0, 2.0]), &t64(&[1.0, 2.0])).unwrap_err().to_string();
    assert!(err.contains("add") && err.contains("float32") && err.contains("float64") && err.contains("[2]"), "{err}");
    let err = math::mul(&t32(&[1.0, 2.0, 3.0]), &t32(&[1.0, 2.0])).unwrap_err().to_string();
    assert!(err.contains("mul") && err.contains("[3]") && err.contains("[2]"), "{err}");
    let b = Tensor::from(vec![true]);
    let err = math::add(&b, &b).unwrap_err().to_string();
    assert!(err.contains("add") && err.contains("bool"), "{err}");
}

#[test]
fn large_inputs_take_the_parallel_path_and_agree_with_small_ones() -> Result<()> {
    let n = 200_003;
    let xs: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 30.0).collect();
    let big = math::tanh(&Tensor::from(xs.clone()))?.to_vec::<f32>()?;
    for (i, chunk) in xs.chunks(1000).enumerate().step_by(37) {
        let small = math::tanh(&Tensor::from(chunk.to_vec()))?.to_vec::<f32>()?;
        assert_eq!(&big[i * 1000..i * 1000 + chunk.len()], &small[..], "chunk {i}");
    }
    let rows = Tensor::from_vec(xs.clone(), &[n, 1])?;
    let cols = Tensor::from(vec![1.0f32, -2.0]);
    let prod = math::mul(&rows, &cols)?.to_vec::<f32>()?;
    for i in (0..n).step_by(997) {
        assert_eq!(prod[2 * i], xs[i]);
        assert_eq!(prod[2 * i + 1], xs[i] * -2.0);
    }
    Ok(())
}

/// Inverse trigonometric and hyperbolic functions: NumPy's float64 values (printed with
/// `repr`), in float64 to 2 ulps and float32 to float32 precision.
#[test]
fn inverse_trig_and_hyperbolic_match_numpy() {
    type Row = (&'static str, fn(&Tensor) -> Result<Tensor>, &'static [f64], &'static [f64]);
    let rows: &[Row] = &[
        (
            "asin",
            math::asin,
            &[-0.75, -0.3, 0.0, 0.2, 0.5, 0.99],
            &[
                -0.848062078981481,
                -0.30469265401539747,
                0.0,
                0.2013579207903308,
                0.5235987755982989,
                1.4292568534704693,
            ],
        ),
        (
            "acos",
            math::acos,
            &[-0.75, -0.3, 0.0, 0.2, 0.5, 0.99],
            &[
                2.4188584057763776,
                1.8754889808102941,
                1.5707963267948966,
                1.369438406004566,
                1.0471975511965976,
                0.1415394733244273,
            ],
        ),
        (
            "atan",
            math::atan,
            &[-3.0, -0.5, 0.0, 0.25, 1.5, 10.0],
            &[
                -1.2490457723982544,
                -0.4636476090008061,
                0.0,
                0.24497866312686414,
                0.982793723247329,
                1.4711276743037347,
            ],
        ),
        (
            "sinh",
            math::sinh,
            &[-3.0, -0.5, 0.0, 0.25, 1.5, 10.0],
            &[
                -10.017874927409903,
                -0.5210953054937474,
                0.0,
                0.2526123168081683,
                2.1292794550948173,
                11013.232874703393,
            ],
        ),
        (
            "cosh",
            math::cosh,
            &[-3.0, -0.5, 0.0, 0.25, 1.5, 10.0],
            &[10.067661995777765, 1.1276259652063807, 1.0, 1.0314130998795732, 2.352409615243247, 11013.232920103323],
        ),
        (
            "asinh",
            math::asinh,
            &[-3.0, -0.5, 0.0, 0.25, 1.5, 10.0],
            &[
                -1.8184464592320668,
                -0.48121182505960347,
                0.0,
                0.24746646154726346,
                1.1947632172871092,
                2.99822295029797,
            ],
        ),
        (
            "acosh",
            math::acosh,
            &[1.0, 1.25, 2.0, 5.0, 100.0],
            &[0.0, 0.6931471805599453, 1.3169578969248168, 2.2924316695611777, 5.298292365610485],
        ),
        (
            "atanh",
            math::atanh,
            &[-0.75, -0.3, 0.0, 0.2, 0.5, 0.99],
            &[
                -0.9729550745276566,
                -0.3095196042031117,
                0.0,
                0.2027325540540822,
                0.5493061443340549,
                2.6466524123622457,
            ],
        ),
    ];
    for &(name, f, xs, want) in rows {
        let got = f(&t64(xs)).unwrap();
        assert_eq!(got.dtype(), DType::F64, "{name}");
        assert_close(&got.to_f64_vec(), want, 4.5e-16, 0.0);
        let xs32: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
        let got32 = f(&t32(&xs32)).unwrap();
        assert_eq!(got32.dtype(), DType::F32, "{name}");
        // The float32 inputs are rounded first, which moves steep functions by more than an ulp.
        assert_close(&got32.to_f64_vec(), want, 1e-6, 1e-7);
    }
}

#[test]
fn inverse_functions_undo_their_forward_functions() {
    let x = t64(&[-0.9, -0.4, 0.0, 0.3, 0.8]);
    let v = |t: Result<Tensor>| t.unwrap().to_f64_vec();
    let xs = x.to_f64_vec();
    assert_close(&v(math::sin(&math::asin(&x).unwrap())), &xs, 1e-15, 1e-16);
    assert_close(&v(math::cos(&math::acos(&x).unwrap())), &xs, 1e-15, 1e-15);
    assert_close(&v(math::tan(&math::atan(&x).unwrap())), &xs, 1e-15, 1e-16);
    assert_close(&v(math::sinh(&math::asinh(&x).unwrap())), &xs, 1e-15, 1e-16);
    assert_close(&v(math::tanh(&math::atanh(&x).unwrap())), &xs, 1e-15, 1e-16);
    let big = t64(&[1.0, 1.5, 4.0, 30.0]);
    assert_close(&v(math::cosh(&math::acosh(&big).unwrap())), &big.to_f64_vec(), 1e-14, 0.0);
    // cosh² - sinh² = 1 (up to the cancellation of two values near cosh²(3) ≈ 101), and sinh is
    // odd while cosh is even.
    let h = t64(&[-2.0, -0.5, 0.0, 1.0, 3.0]);
    let (s, c) = (v(math::sinh(&h)), v(math::cosh(&h)));
    let ones: Vec<f64> = s.iter().zip(&c).map(|(s, c)| c * c - s * s).collect();
    assert_close(&ones, &[1.0; 5], 0.0, 1e-13);
    assert_close(
        &s,
        &[-3.6268604078470186, -0.5210953054937474, 0.0, 1.1752011936438014, 10.017874927409903],
        1e-15,
        0.0,
    );
}

#[test]
fn inverse_functions_outside_their_domain_and_at_special_values() {
    let x = t32(&[2.0, -1.5, 1.0, -1.0, f32::INFINITY, f32::NAN, -0.0]);
    let v = |f: fn(&Tensor) -> Result<Tensor>| f(&x).unwrap().to_f64_vec();
    let half_pi = std::f32::consts::FRAC_PI_2 as f64;
    assert_same(&v(math::asin), &[NAN, NAN, half_pi, -half_pi, NAN, NAN, -0.0]);
    assert_same(&v(math::acos), &[NAN, NAN, 0.0, std::f32::consts::PI as f64, NAN, NAN, half_pi]);
    assert_same(&v(math::atanh), &[NAN, NAN, INF, -INF, NAN, NAN, -0.0]);
    assert_same(&v(math::atan)[4..], &[half_pi, NAN, -0.0]);
    assert_same(&v(math::sinh)[4..], &[INF, NAN, -0.0]);
    assert_same(&v(math::cosh)[4..], &[INF, NAN, 1.0]);
    assert_same(&v(math::asinh)[4..], &[INF, NAN, -0.0]);
    let a = v(math::acosh);
    assert!(a[1].is_nan() && a[3].is_nan() && a[6].is_nan(), "acosh below 1 is NaN: {a:?}");
    assert_same(&a[2..3], &[0.0]);
    assert_eq!(a[4], INF);
}

#[test]
fn atan2_covers_all_quadrants_and_broadcasts() {
    let y = t64(&[1.0, 1.0, -1.0, -1.0, 0.0, 0.0, -0.0, 2.0, -3.5]);
    let x = t64(&[1.0, -1.0, 1.0, -1.0, 1.0, -1.0, -1.0, 0.0, 0.5]);
    // NumPy's arctan2 of the same points.
    let want = [
        0.7853981633974483,
        2.356194490192345,
        -0.7853981633974483,
        -2.356194490192345,
        0.0,
        3.141592653589793,
        -3.141592653589793,
        1.5707963267948966,
        -1.4288992721907328,
    ];
    assert_same(&math::atan2(&y, &x).unwrap().to_f64_vec(), &want);
    let col = Tensor::from_vec(vec![1.0f32, -1.0], &[2, 1]).unwrap();
    let row = t32(&[1.0, 0.0, -1.0]);
    let out = math::atan2(&col, &row).unwrap();
    assert_eq!(out.shape(), &[2, 3]);
    let q = std::f32::consts::FRAC_PI_4 as f64;
    assert_close(&out.to_f64_vec(), &[q, 2.0 * q, 3.0 * q, -q, -2.0 * q, -3.0 * q], 1e-7, 0.0);
}

#[test]
fn inverse_trig_rejects_integers_and_mismatched_operands() {
    let ints = ti32(&[1, 2]);
    for (name, f) in [
        ("asin", math::asin as fn(&Tensor) -> Result<Tensor>),
        ("acos", math::acos),
        ("atan", math::atan),
        ("sinh", math::sinh),
        ("cosh", math::cosh),
        ("asinh", math::asinh),
        ("acosh", math::acosh),
        ("atanh", math::atanh),
    ] {
        let e = f(&ints).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains("int32") && e.contains("float32"), "{e}");
    }
    let e = math::atan2(&ti64(&[1]), &ti64(&[2])).unwrap_err().to_string();
    assert!(e.contains("atan2") && e.contains("int64"), "{e}");
    let e = math::atan2(&t32(&[1.0]), &t64(&[2.0])).unwrap_err().to_string();
    assert!(e.contains("atan2") && e.contains("float32") && e.contains("float64"), "{e}");
    let e = math::atan2(&t32(&[1.0, 2.0]), &t32(&[1.0, 2.0, 3.0])).unwrap_err().to_string();
    assert!(e.contains("atan2") && e.contains("[2]") && e.contains("[3]"), "{e}");
}

#[test]
fn relu_grad_passes_gradients_where_features_are_positive() {
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let g = t64(&[1.0, 2.0, 3.0, nan, inf, -4.0, 5.0]);
    let f = t64(&[-1.0, 0.0, 2.0, 1.0, -1.0, 0.5, -0.0]);
    let got = math::relu_grad(&g, &f).unwrap().to_f64_vec();
    // TensorFlow's ReluGrad multiplies by the 0/1 mask, so an infinite gradient at a
    // non-positive feature is NaN rather than 0.
    assert_same(&got[..3], &[0.0, 0.0, 3.0]);
    assert!(got[3].is_nan() && got[4].is_nan(), "{got:?}");
    assert_same(&got[5..], &[-4.0, 0.0]);
    let gi = math::relu_grad(&ti32(&[7, 8, 9]), &ti32(&[1, 0, -3])).unwrap();
    assert_eq!(gi.to_f64_vec(), vec![7.0, 0.0, 0.0]);
    // The gradient of relu is relu_grad of its output: zero at exactly 0, as TensorFlow.
    let x = t32(&[-2.0, 0.0, 3.0]);
    let tape = tensile::GradientTape::new();
    let y = tape
        .scope(|t| {
            t.watch(&x);
            math::relu(&x)
        })
        .unwrap()
        .unwrap();
    let dx = tape.gradient(&y, &[&x]).unwrap();
    assert_eq!(dx[0].as_ref().unwrap().to_f64_vec(), vec![0.0, 0.0, 1.0]);
    let e = math::relu_grad(&t32(&[1.0, 2.0]), &t32(&[1.0, 2.0, 3.0])).unwrap_err().to_string();
    assert!(e.contains("relu_grad") && e.contains("[2]") && e.contains("[3]"), "{e}");
}
