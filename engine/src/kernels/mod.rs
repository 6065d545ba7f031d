//! CPU kernels: tight loops over contiguous row-major buffers.

pub mod elementwise;
pub mod reduce;
pub mod indexing;
pub mod slicing;
