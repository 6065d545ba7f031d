//! Cases for reductions.

use tensile::ops::reduce;
use tensile::testing::{test_tensor, GradCase};

/// Gradient cases for `tensile::ops::reduce`.
pub fn cases() -> Vec<GradCase> {
    vec![
        GradCase::new("reduce_sum", vec![test_tensor(&[2, 3, 4], 11, -1.0, 1.0)], |x| {
            reduce::reduce_sum(&x[0], Some(&[0, 2]), false)
        }),
        GradCase::new("reduce_sum", vec![test_tensor(&[2, 3], 12, -1.0, 1.0)], |x| {
            reduce::reduce_sum(&x[0], Some(&[-1]), true)
        }),
    ]
}
