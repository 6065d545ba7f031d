//! CPU kernels: tight loops over contiguous row-major buffers.

pub mod elementwise;
pub mod fastmath;
pub mod reduce;
