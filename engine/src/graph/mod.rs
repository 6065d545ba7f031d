//! Dataflow graphs of registered ops: the representation `tf.function` traces into.
//!
//! - [`ir`]: the graph itself (`Graph`, `Node`, `Output`), a builder that runs each op's shape
//!   rule as nodes are added, and validation.
//! - [`print`]: a readable one-node-per-line dump (`Display`) and Graphviz DOT export.
//! - [`serial`]: versioned JSON (de)serialization, safe against hostile documents.
//! - [`control`]: control-flow nodes (`cond`, `while`, `case`) holding sub-graphs: builders,
//!   shape rules and how they run.
//! - [`passes`]: the optimizer (folding, CSE, pruning, simplification, fusion).
//! - [`exec`]: runs a graph on concrete tensors, freeing intermediates after their last use
//!   and recording on active gradient tapes exactly as eager execution does.

pub mod control;
pub mod exec;
pub mod ir;
pub mod passes;
pub mod print;
pub mod serial;

pub use exec::{run, Plan};
pub use ir::{AssignMode, Graph, Node, NodeId, NodeKind, Output};
