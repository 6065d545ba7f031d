//! Cases for shape ops.

use tensile::ops::{array, math};
use tensile::testing::{test_tensor, GradCase};
use tensile::Tensor;

fn t(shape: &[usize], seed: u64) -> Tensor {
    test_tensor(shape, seed, -1.0, 1.0)
}

/// Gradient cases for `tensile::ops::array`.
pub fn cases() -> Vec<GradCase> {
    vec![
        GradCase::new("reshape", vec![t(&[2, 3], 21)], |x| array::reshape(&x[0], &[3, -1])),
        GradCase::new("fill", vec![Tensor::from(vec![2i32, 3]), Tensor::from(0.75f64)], |x| {
            array::fill_dynamic(&x[0], &x[1], &[array::RUN_TIME_DIM, 3])
        }),
        GradCase::new("reshape_dynamic", vec![t(&[2, 3], 120), Tensor::from(vec![3i32, 2])], |x| {
            array::reshape_dynamic(&x[0], &x[1], &[array::RUN_TIME_DIM, 2])
        }),
        GradCase::new("reshape_dynamic", vec![t(&[2, 3, 2], 121), Tensor::from(vec![-1i64, 2])], |x| {
            array::reshape_dynamic(&x[0], &x[1], &[array::RUN_TIME_DIM, array::RUN_TIME_DIM])
        }),
        GradCase::new("broadcast_to", vec![t(&[3, 1], 22)], |x| array::broadcast_to(&x[0], &[2, 3, 4])),
        GradCase::new("stack", vec![t(&[2, 3], 23), t(&[2, 3], 24)], |x| array::stack(x, 1)),
        GradCase::new("stack", vec![t(&[2, 3], 25), t(&[2, 3], 26), t(&[2, 3], 27)], |x| array::stack(x, -1)),
        // Only some outputs used: the others receive no gradient.
        GradCase::new("unstack", vec![t(&[2, 3, 4], 28)], |x| {
            let v = array::unstack(&x[0], 1)?;
            math::add(&v[0], &math::mul(&v[2], &v[2])?)
        }),
        GradCase::new("unstack", vec![t(&[3, 2], 29)], |x| {
            let v = array::unstack(&x[0], -1)?;
            array::stack(&[v[1].clone(), v[0].clone()], 0)
        }),
        GradCase::new("transpose", vec![t(&[2, 3, 4], 30)], |x| array::transpose(&x[0], Some(&[2, 0, 1]))),
        GradCase::new("transpose", vec![t(&[3, 5], 31)], |x| array::transpose(&x[0], None)),
        GradCase::new("transpose", vec![t(&[2, 1, 3, 2], 32)], |x| array::transpose(&x[0], Some(&[0, 3, 2, 1]))),
        GradCase::new("transpose", vec![t(&[40, 37], 33)], |x| array::transpose(&x[0], Some(&[1, 0]))),
        GradCase::new("expand_dims", vec![t(&[2, 3], 34)], |x| array::expand_dims(&x[0], 1)),
        GradCase::new("expand_dims", vec![t(&[2, 3], 35)], |x| {
            // Through a broadcast, so the inserted axis matters.
            math::mul(&array::expand_dims(&x[0], -1)?, &t(&[1, 3, 2], 36))
        }),
        GradCase::new("squeeze", vec![t(&[1, 3, 1, 2], 37)], |x| array::squeeze(&x[0], None)),
        GradCase::new("squeeze", vec![t(&[2, 1, 3, 1], 38)], |x| array::squeeze(&x[0], Some(&[-1]))),
        GradCase::new("concat", vec![t(&[2, 1], 39), t(&[2, 3], 40), t(&[2, 2], 41)], |x| array::concat(x, 1)),
        GradCase::new("concat", vec![t(&[1, 2, 3], 42), t(&[2, 2, 3], 43)], |x| array::concat(x, -3)),
        GradCase::new("split", vec![t(&[2, 6], 44)], |x| {
            let v = array::split(&x[0], array::Split::Num(3), 1)?;
            math::sub(&v[0], &math::mul(&v[2], &v[2])?)
        }),
        GradCase::new("split", vec![t(&[3, 7], 45)], |x| {
            let v = array::split(&x[0], array::Split::Sizes(vec![2, -1, 1]), -1)?;
            array::concat(&[v[2].clone(), v[1].clone()], 1)
        }),
        GradCase::new("tile", vec![t(&[2, 3], 46)], |x| array::tile(&x[0], &[2, 3])),
        GradCase::new("tile", vec![t(&[2, 1, 3], 47)], |x| array::tile(&x[0], &[1, 4, 2])),
        GradCase::new("tile", vec![t(&[3], 48)], |x| array::tile(&x[0], &[1])),
        GradCase::new("pad", vec![t(&[2, 3], 49)], |x| array::pad(&x[0], &[[1, 2], [0, 1]], "CONSTANT", 1.5)),
        GradCase::new("pad", vec![t(&[3, 4], 50)], |x| array::pad(&x[0], &[[2, 1], [1, 3]], "REFLECT", 0.0)),
        GradCase::new("pad", vec![t(&[3, 4], 51)], |x| array::pad(&x[0], &[[3, 0], [2, 4]], "SYMMETRIC", 0.0)),
        GradCase::new("pad", vec![t(&[2, 2, 3], 52)], |x| array::pad(&x[0], &[[1, 1], [0, 1], [2, 2]], "reflect", 0.0)),
        GradCase::new("pad_grad", vec![t(&[5, 5], 53)], |x| array::pad_grad(&x[0], &[[1, 2], [0, 1]], "CONSTANT")),
        GradCase::new("pad_grad", vec![t(&[6, 8], 54)], |x| array::pad_grad(&x[0], &[[2, 1], [1, 3]], "REFLECT")),
        GradCase::new("pad_grad", vec![t(&[6, 10], 55)], |x| array::pad_grad(&x[0], &[[3, 0], [2, 4]], "SYMMETRIC")),
        GradCase::new("identity", vec![t(&[2, 3], 56)], |x| array::identity(&x[0])),
        GradCase::new("linspace", vec![t(&[], 57), t(&[], 58)], |x| array::linspace(&x[0], &x[1], 5)),
        GradCase::new("linspace", vec![t(&[3], 59), t(&[2, 1], 60)], |x| array::linspace_axis(&x[0], &x[1], 4, -1)),
        GradCase::new("linspace", vec![t(&[2], 61), t(&[2], 62)], |x| array::linspace_axis(&x[0], &x[1], 1, 1)),
    ]
}
