//! CPU kernels: tight loops over contiguous row-major buffers.

pub mod elementwise;
pub mod indexing;
pub mod reduce;
pub mod slicing;
