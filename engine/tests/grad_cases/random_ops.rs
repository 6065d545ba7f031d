//! Cases for random ops.
//!
//! The random ops themselves have no gradient. `dropout` is composed of `mul`,
//! `greater_equal` and `select`, whose cases live with the math ops; its composed gradient is
//! checked against finite differences in `tests/random.rs`.

use tensile::testing::GradCase;

/// Gradient cases for `tensile::ops::random_ops` (none: no registered op is differentiable).
pub fn cases() -> Vec<GradCase> {
    vec![]
}
