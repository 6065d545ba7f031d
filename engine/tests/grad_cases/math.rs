//! Cases for elementwise math ops.

use tensile::ops::math;
use tensile::testing::{test_tensor, GradCase};
use tensile::{DType, Tensor};

fn x(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    test_tensor(shape, seed, lo, hi)
}

/// Values in ±[lo, hi]: away from the kink at 0 that relu/abs/etc. have.
fn away_from_zero(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    let t = test_tensor(shape, seed, lo, hi).to_f64_vec();
    let s = test_tensor(shape, seed + 1000, -1.0, 1.0).to_f64_vec();
    let v: Vec<f64> = t.iter().zip(&s).map(|(a, b)| if *b < 0.0 { -a } else { *a }).collect();
    Tensor::from_vec(v, shape).unwrap()
}

macro_rules! unary_case {
    ($name:literal, $f:path, $input:expr) => {
        GradCase::new($name, vec![$input], |v| $f(&v[0]))
    };
}

/// Gradient cases for `tensile::ops::math`.
pub fn cases() -> Vec<GradCase> {
    let s = [2, 3];
    vec![
        GradCase::new("add", vec![x(&s, 1, -1.0, 1.0), x(&[3], 2, -1.0, 1.0)], |v| math::add(&v[0], &v[1])),
        GradCase::new("sub", vec![x(&[2, 1], 3, -1.0, 1.0), x(&s, 4, -1.0, 1.0)], |v| math::sub(&v[0], &v[1])),
        GradCase::new("mul", vec![x(&s, 5, -1.0, 1.0), x(&[1, 3], 6, -1.0, 1.0)], |v| math::mul(&v[0], &v[1])),
        GradCase::new("div", vec![x(&s, 7, -1.0, 1.0), away_from_zero(&[3], 8, 0.5, 2.0)], |v| math::div(&v[0], &v[1])),
        GradCase::new("floormod", vec![x(&s, 9, 0.1, 0.9), x(&s, 10, 1.1, 1.9)], |v| math::floormod(&v[0], &v[1])),
        GradCase::new("pow", vec![x(&s, 11, 0.5, 2.0), x(&s, 12, -1.5, 2.5)], |v| math::pow(&v[0], &v[1])),
        GradCase::new(
            "pow",
            vec![away_from_zero(&s, 13, 0.5, 2.0), Tensor::from_vec(vec![2.0f64; 1], &[1]).unwrap()],
            |v| math::pow(&v[0], &v[1]),
        ),
        GradCase::new("maximum", vec![x(&s, 14, -1.0, 0.0), x(&[3], 15, 0.0, 1.0)], |v| {
            math::maximum(&math::mul(&v[0], &Tensor::from(-1.0f64))?, &v[1])
        }),
        GradCase::new("minimum", vec![x(&s, 16, -1.0, 0.0), x(&s, 17, -0.5, 1.0)], |v| math::minimum(&v[0], &v[1])),
        GradCase::new("squared_difference", vec![x(&s, 18, -1.0, 1.0), x(&[1], 19, -1.0, 1.0)], |v| {
            math::squared_difference(&v[0], &v[1])
        }),
        unary_case!("neg", math::neg, x(&s, 20, -1.0, 1.0)),
        unary_case!("abs", math::abs, away_from_zero(&s, 21, 0.1, 1.0)),
        unary_case!("sign", math::sign, away_from_zero(&s, 22, 0.1, 1.0)),
        unary_case!("square", math::square, x(&s, 23, -2.0, 2.0)),
        unary_case!("reciprocal", math::reciprocal, away_from_zero(&s, 24, 0.5, 2.0)),
        unary_case!("exp", math::exp, x(&s, 25, -2.0, 2.0)),
        unary_case!("expm1", math::expm1, x(&s, 26, -2.0, 2.0)),
        unary_case!("log", math::log, x(&s, 27, 0.2, 3.0)),
        unary_case!("log1p", math::log1p, x(&s, 28, -0.5, 3.0)),
        unary_case!("sqrt", math::sqrt, x(&s, 29, 0.2, 3.0)),
        unary_case!("rsqrt", math::rsqrt, x(&s, 30, 0.2, 3.0)),
        unary_case!("sin", math::sin, x(&s, 31, -3.0, 3.0)),
        unary_case!("cos", math::cos, x(&s, 32, -3.0, 3.0)),
        unary_case!("tan", math::tan, x(&s, 33, -1.2, 1.2)),
        unary_case!("asin", math::asin, x(&s, 53, -0.9, 0.9)),
        unary_case!("acos", math::acos, x(&s, 54, -0.9, 0.9)),
        unary_case!("atan", math::atan, x(&s, 55, -3.0, 3.0)),
        unary_case!("sinh", math::sinh, x(&s, 56, -2.0, 2.0)),
        unary_case!("cosh", math::cosh, x(&s, 57, -2.0, 2.0)),
        unary_case!("asinh", math::asinh, x(&s, 58, -3.0, 3.0)),
        unary_case!("acosh", math::acosh, x(&s, 59, 1.2, 3.0)),
        unary_case!("atanh", math::atanh, x(&s, 60, -0.9, 0.9)),
        GradCase::new("atan2", vec![x(&s, 61, -2.0, 2.0), away_from_zero(&[3], 62, 0.3, 2.0)], |v| {
            math::atan2(&v[0], &v[1])
        }),
        GradCase::new("atan2", vec![x(&[1, 3], 63, 0.3, 2.0), x(&[2, 1], 64, -2.0, 2.0)], |v| {
            math::atan2(&v[0], &v[1])
        }),
        unary_case!("tanh", math::tanh, x(&s, 34, -2.0, 2.0)),
        unary_case!("sigmoid", math::sigmoid, x(&s, 35, -4.0, 4.0)),
        unary_case!("relu", math::relu, away_from_zero(&s, 36, 0.1, 2.0)),
        GradCase::new("relu_grad", vec![x(&s, 65, -1.0, 1.0), away_from_zero(&s, 66, 0.1, 2.0)], |v| {
            math::relu_grad(&v[0], &v[1])
        }),
        GradCase::new("relu_grad", vec![x(&[3], 67, -1.0, 1.0), away_from_zero(&s, 68, 0.1, 2.0)], |v| {
            math::relu_grad(&v[0], &v[1])
        }),
        unary_case!("relu6", math::relu6, x(&[3, 4], 37, -2.0, 5.9)),
        unary_case!("elu", math::elu, away_from_zero(&s, 38, 0.1, 2.0)),
        unary_case!("selu", math::selu, away_from_zero(&s, 39, 0.1, 2.0)),
        unary_case!("softplus", math::softplus, x(&s, 40, -3.0, 3.0)),
        unary_case!("softsign", math::softsign, away_from_zero(&s, 41, 0.1, 2.0)),
        unary_case!("silu", math::silu, x(&s, 42, -3.0, 3.0)),
        unary_case!("erf", math::erf, x(&s, 43, -2.0, 2.0)),
        GradCase::new("leaky_relu", vec![away_from_zero(&s, 44, 0.1, 2.0)], |v| math::leaky_relu(&v[0], 0.2)),
        GradCase::new("gelu", vec![x(&s, 45, -3.0, 3.0)], |v| math::gelu(&v[0], false)),
        GradCase::new("gelu", vec![x(&s, 46, -3.0, 3.0)], |v| math::gelu(&v[0], true)),
        GradCase::new("select", vec![x(&s, 47, -1.0, 1.0), x(&[3], 48, -1.0, 1.0)], |v| {
            let cond = Tensor::from_vec(vec![true, false, true, false, false, true], &[2, 3])?;
            math::select(&cond, &v[0], &v[1])
        }),
        GradCase::new(
            "clip_by_value",
            vec![x(&[3, 4], 49, -2.0, 2.0), x(&[], 50, -1.2, -0.8), x(&[4], 51, 0.8, 1.2)],
            |v| math::clip_by_value(&v[0], &v[1], &v[2]),
        ),
        GradCase::new("cast", vec![x(&s, 52, -1.0, 1.0)], |v| {
            math::cast(&math::mul(&math::cast(&v[0], DType::F32)?, &Tensor::from(1.0f32))?, DType::F64)
        })
        .tol(5e-2),
    ]
}
