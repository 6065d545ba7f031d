//! Tensile: TensorFlow 2's programming model in Rust.
//!
//! Tensors and TF-named ops that run eagerly, `GradientTape` for automatic differentiation,
//! and `Variable`s owned by the objects that use them (no global state).

pub mod attrs;
pub mod cancel;
pub mod control_flow;
mod display;
pub mod dtype;
pub mod error;
pub mod function;
pub mod graph;
pub mod kernels;
pub mod module;
pub mod ops;
pub mod random;
pub mod shape;
pub mod summary;
pub mod tape;
pub mod tensor;
mod tensor_ops;
pub mod testing;
pub mod variable;

pub use display::{numpy_repr, numpy_str, numpy_value_repr};
pub use dtype::DType;
pub use error::{Error, ErrorKind, Result};
pub use module::{name_scope, Module};
pub use tape::{custom_gradient, GradientTape, UnconnectedGradients, Watchable};
pub use tensor::{Element, Storage, Symbol, Tensor};
pub use variable::Variable;

/// The commonly used names: `use tensile::prelude::*;`.
pub mod prelude {
    pub use crate::control_flow::{cond, switch_case, while_loop, Structure, TensorArray, WhileOptions};
    pub use crate::function::{function, Arg, Function, FunctionOptions, TensorSpec};
    pub use crate::ops::array::*;
    pub use crate::ops::indexing::*;
    pub use crate::ops::linalg::*;
    pub use crate::ops::math::*;
    pub use crate::ops::nn::*;
    pub use crate::ops::random_ops::*;
    pub use crate::ops::reduce::*;
    pub use crate::ops::slicing::*;
    pub use crate::random::{set_seed, Generator};
    pub use crate::{DType, Error, GradientTape, Module, Result, Tensor, Variable};
}
