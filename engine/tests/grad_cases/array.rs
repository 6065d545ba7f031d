//! Cases for shape ops.

use tensile::ops::array;
use tensile::testing::{test_tensor, GradCase};

/// Gradient cases for `tensile::ops::array`.
pub fn cases() -> Vec<GradCase> {
    vec![
        GradCase::new("reshape", vec![test_tensor(&[2, 3], 21, -1.0, 1.0)], |x| array::reshape(&x[0], &[3, -1])),
        GradCase::new("broadcast_to", vec![test_tensor(&[3, 1], 22, -1.0, 1.0)], |x| {
            array::broadcast_to(&x[0], &[2, 3, 4])
        }),
        GradCase::new("stack", vec![test_tensor(&[2, 3], 23, -1.0, 1.0), test_tensor(&[2, 3], 24, -1.0, 1.0)], |x| {
            array::stack(x, 1)
        }),
    ]
}
