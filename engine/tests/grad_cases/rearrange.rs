//! Cases for roll and repeat.

use tensile::ops::rearrange;
use tensile::testing::{test_tensor, GradCase};

/// Gradient cases for `tensile::ops::rearrange`.
pub fn cases() -> Vec<GradCase> {
    vec![
        GradCase::new("roll", vec![test_tensor(&[3, 4], 81, -1.0, 1.0)], |x| {
            rearrange::roll(&x[0], &[-1, 6, 1], &[0, 1, -1])
        }),
        GradCase::new("repeat", vec![test_tensor(&[2, 3], 82, -1.0, 1.0)], |x| rearrange::repeat(&x[0], &[2, 0, 3], 1)),
        GradCase::new("repeat", vec![test_tensor(&[2, 3], 83, -1.0, 1.0)], |x| rearrange::repeat(&x[0], &[3], 0)),
        GradCase::new("repeat", vec![test_tensor(&[2, 3, 2], 85, -1.0, 1.0)], |x| rearrange::repeat(&x[0], &[2], 1)),
        GradCase::new("repeat", vec![test_tensor(&[3, 2], 86, -1.0, 1.0)], |x| rearrange::repeat(&x[0], &[1, 4, 0], 0)),
        GradCase::new("repeat", vec![test_tensor(&[2, 3], 87, -1.0, 1.0)], |x| rearrange::repeat(&x[0], &[0], -1)),
        GradCase::new("repeat_grad", vec![test_tensor(&[5, 2], 84, -1.0, 1.0)], |x| {
            rearrange::repeat_grad(&x[0], &[2, 0, 3], 0)
        }),
    ]
}
