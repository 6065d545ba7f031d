//! Cases for indexing ops.

use tensile::testing::GradCase;

/// Gradient cases for `tensile::ops::indexing`.
pub fn cases() -> Vec<GradCase> {
    vec![]
}
