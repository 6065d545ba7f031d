//! Cases for linalg ops.

use tensile::testing::GradCase;

/// Gradient cases for `tensile::ops::linalg`.
pub fn cases() -> Vec<GradCase> {
    vec![]
}
