//! CPU kernels: tight loops over contiguous row-major buffers.

pub mod conv;
pub mod elementwise;
pub mod fastmath;
pub mod fused;
pub mod gemm;
pub mod indexing;
pub mod layout;
pub mod lu;
pub mod pool;
pub mod reduce;
pub mod slicing;
pub mod softmax;
