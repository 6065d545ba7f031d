//! Gradient-check cases, one file per op family.

pub mod array;
pub mod linalg;
pub mod math;
pub mod nn;
pub mod reduce;
