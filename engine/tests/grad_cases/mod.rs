//! Gradient-check cases, one file per op family.

pub mod array;
pub mod indexing;
pub mod linalg;
pub mod math;
pub mod nn;
pub mod random_ops;
pub mod reduce;
pub mod slicing;
