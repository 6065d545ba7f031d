//! CPU kernels: tight loops over contiguous row-major buffers.

pub mod elementwise;
pub mod conv;
pub mod pool;
pub mod reduce;
pub mod softmax;
