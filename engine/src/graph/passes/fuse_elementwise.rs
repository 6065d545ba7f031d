//! Elementwise fusion (placeholder).
use crate::error::Result;
use crate::graph::ir::Graph;
/// Fuses elementwise chains.
pub fn fuse_elementwise(graph: &Graph) -> Result<Graph> {
    Ok(graph.clone())
}
