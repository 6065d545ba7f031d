//! `tf.function` for Rust closures: tracing to graphs, a cache of concrete functions keyed by
//! argument signatures, retracing with explanations, and captured variables.
//!
//! - [`trace`]: the thread-local tracing context that `ops::execute` adds nodes to.
//! - [`signature`]: arguments (`Arg`), their cache keys (`ArgSpec`, `TensorSpec`), relaxing
//!   shapes and explaining what changed between two signatures.
//! - [`concrete`]: `ConcreteFunction`, one traced and optimized graph with its captures.
//! - [`polymorphic`]: `Function`, the user-facing callable that traces on a cache miss.
//! - [`export`]: saving a concrete function to a directory and loading it back.

mod call_gradient;
pub mod concrete;
pub mod export;
pub mod polymorphic;
pub mod signature;
pub mod trace;

pub use concrete::ConcreteFunction;
pub use export::{load, save};
pub use polymorphic::{function, Function, FunctionOptions, TraceRecord};
pub use signature::{Arg, ArgSpec, ObjectKey, TensorSpec};
pub use trace::{is_tracing, trace_graph, TraceOptions, Traced};
