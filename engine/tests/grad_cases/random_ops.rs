//! Cases for random_ops ops.

use tensile::testing::GradCase;

/// Gradient cases for `tensile::ops::random_ops`.
pub fn cases() -> Vec<GradCase> {
    vec![]
}
