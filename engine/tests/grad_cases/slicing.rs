//! Cases for slicing ops.

use tensile::testing::GradCase;

/// Gradient cases for `tensile::ops::slicing`.
pub fn cases() -> Vec<GradCase> {
    vec![]
}
