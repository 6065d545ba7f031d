//! Cases for nn ops.

use tensile::testing::GradCase;

/// Gradient cases for `tensile::ops::nn`.
pub fn cases() -> Vec<GradCase> {
    vec![]
}
