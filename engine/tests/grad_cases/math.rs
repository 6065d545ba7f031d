//! Cases for elementwise math ops.

use tensile::ops::math;
use tensile::testing::{test_tensor, GradCase};

/// Gradient cases for `tensile::ops::math`.
pub fn cases() -> Vec<GradCase> {
    vec![
        GradCase::new("add", vec![test_tensor(&[2, 3], 1, -1.0, 1.0), test_tensor(&[3], 2, -1.0, 1.0)], |x| {
            math::add(&x[0], &x[1])
        }),
        GradCase::new("sub", vec![test_tensor(&[2, 1], 3, -1.0, 1.0), test_tensor(&[2, 3], 4, -1.0, 1.0)], |x| {
            math::sub(&x[0], &x[1])
        }),
        GradCase::new("mul", vec![test_tensor(&[2, 3], 5, -1.0, 1.0), test_tensor(&[1, 3], 6, -1.0, 1.0)], |x| {
            math::mul(&x[0], &x[1])
        }),
        GradCase::new("neg", vec![test_tensor(&[4], 7, -1.0, 1.0)], |x| math::neg(&x[0])),
    ]
}
