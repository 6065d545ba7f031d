//! CPU kernels: tight loops over contiguous row-major buffers.

pub mod elementwise;
pub mod gemm;
pub mod indexing;
pub mod layout;
pub mod reduce;
pub mod slicing;
