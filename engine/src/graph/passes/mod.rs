//! The graph optimizer: rewriting passes run on a traced graph before it executes.
//!
//! Each pass is a function `&Graph -> Result<Graph>` in its own module that preserves what the
//! graph computes bit for bit. [`optimize`] runs the cleanup passes (simplification, constant
//! folding, common-subexpression elimination, pruning) until the graph stops shrinking, then
//! the fusions, then a final cleanup.
//!
//! The fused ops have no gradients: a gradient tape records the ops of the graph it runs, so
//! code that differentiates through a graph runs the unoptimized one (or optimizes with the
//! fusions switched off, see [`PassOptions`]).

pub mod constant_folding;
pub mod cse;
pub mod fuse_assign;
pub mod fuse_elementwise;
pub mod fuse_matmul;
pub mod prune;
mod rewrite;
pub mod simplify;

pub use constant_folding::constant_folding;
pub use cse::cse;
pub use fuse_assign::fuse_assign;
pub use fuse_elementwise::fuse_elementwise;
pub use fuse_matmul::fuse_matmul;
pub use prune::prune;
pub use simplify::simplify;

use crate::error::Result;
use crate::graph::ir::{Graph, NodeKind};
use std::fmt;
use std::sync::Arc;

/// What one pass did: its name and the node count before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassReport {
    /// The pass's name (`constant_folding`, ...).
    pub name: &'static str,
    /// Nodes before the pass ran.
    pub nodes_before: usize,
    /// Nodes after it.
    pub nodes_after: usize,
}

impl fmt::Display for PassReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} -> {} nodes", self.name, self.nodes_before, self.nodes_after)
    }
}

/// Which passes run (all by default) and how many cleanup rounds at most.
#[derive(Clone, Debug)]
pub struct PassOptions {
    /// Arithmetic simplification.
    pub simplify: bool,
    /// Constant folding.
    pub constant_folding: bool,
    /// Common-subexpression elimination.
    pub cse: bool,
    /// Dead-node pruning.
    pub prune: bool,
    /// Matmul + bias + activation fusion.
    pub fuse_matmul: bool,
    /// Elementwise chain fusion.
    pub fuse_elementwise: bool,
    /// Folding variable updates (`assign_add`/`assign_sub`) into their elementwise programs.
    pub fuse_assign: bool,
    /// Upper bound on cleanup rounds (each round runs every enabled cleanup pass once).
    pub max_rounds: usize,
}

impl Default for PassOptions {
    fn default() -> PassOptions {
        PassOptions {
            simplify: true,
            constant_folding: true,
            cse: true,
            prune: true,
            fuse_matmul: true,
            fuse_elementwise: true,
            fuse_assign: true,
            max_rounds: 8,
        }
    }
}

impl PassOptions {
    /// Every pass switched off (enable the ones under test).
    pub fn none() -> PassOptions {
        PassOptions {
            simplify: false,
            constant_folding: false,
            cse: false,
            prune: false,
            fuse_matmul: false,
            fuse_elementwise: false,
            fuse_assign: false,
            max_rounds: 8,
        }
    }
}

type Pass = fn(&Graph) -> Result<Graph>;

fn apply(g: Graph, name: &'static str, pass: Pass, reports: &mut Vec<PassReport>) -> Result<(Graph, bool)> {
    let before = g.len();
    let out = pass(&g)?;
    let changed = out != g;
    reports.push(PassReport { name, nodes_before: before, nodes_after: out.len() });
    Ok((out, changed))
}

/// Runs every pass (see the module docs); returns the optimized graph and one report per pass run.
pub fn optimize(graph: &Graph) -> Result<(Graph, Vec<PassReport>)> {
    optimize_with(graph, &PassOptions::default())
}

/// Runs the passes `options` enables.
pub fn optimize_with(graph: &Graph, options: &PassOptions) -> Result<(Graph, Vec<PassReport>)> {
    let cleanup: Vec<(&'static str, Pass)> = [
        (options.simplify, "simplify", simplify as Pass),
        (options.constant_folding, "constant_folding", constant_folding as Pass),
        (options.cse, "cse", cse as Pass),
        (options.prune, "prune", prune as Pass),
    ]
    .into_iter()
    .filter(|(on, _, _)| *on)
    .map(|(_, n, p)| (n, p))
    .collect();
    let mut reports = Vec::new();
    let mut g = graph.clone();
    let clean = |mut g: Graph, reports: &mut Vec<PassReport>| -> Result<Graph> {
        // Each pass can expose work for another (a folded constant makes `x * 1` visible, a
        // bypassed identity makes two nodes identical), so rounds repeat until nothing changes.
        for _ in 0..options.max_rounds.max(1) {
            let mut any = false;
            for &(name, pass) in &cleanup {
                let (next, changed) = apply(g, name, pass, reports)?;
                g = next;
                any |= changed;
            }
            if !any {
                break;
            }
        }
        Ok(g)
    };
    g = clean(g, &mut reports)?;
    let mut fused = false;
    if options.fuse_matmul {
        let (next, changed) = apply(g, "fuse_matmul", fuse_matmul, &mut reports)?;
        g = next;
        fused |= changed;
    }
    if options.fuse_elementwise {
        let (next, changed) = apply(g, "fuse_elementwise", fuse_elementwise, &mut reports)?;
        g = next;
        fused |= changed;
    }
    if options.fuse_assign {
        let (next, changed) = apply(g, "fuse_assign", fuse_assign, &mut reports)?;
        g = next;
        fused |= changed;
    }
    if fused {
        g = clean(g, &mut reports)?;
    }
    Ok((optimize_subgraphs(g, options)?, reports))
}

/// Optimizes the sub-graphs of every control-flow node with the same options (a loop body
/// runs once per iteration, so it gains the most). Sub-graphs keep their arguments and results,
/// so the nodes holding them stay valid.
fn optimize_subgraphs(g: Graph, options: &PassOptions) -> Result<Graph> {
    if !g.nodes().iter().any(|n| n.kind.is_control_flow()) {
        return Ok(g);
    }
    let opt = |sub: &Arc<Graph>| -> Result<Arc<Graph>> { Ok(Arc::new(optimize_with(sub, options)?.0)) };
    let (mut nodes, inputs, outputs) = g.into_parts();
    for n in &mut nodes {
        match &mut n.kind {
            NodeKind::Cond { then_branch, else_branch } => {
                *then_branch = opt(then_branch)?;
                *else_branch = opt(else_branch)?;
            }
            NodeKind::While { cond, body, .. } => {
                *cond = opt(cond)?;
                *body = opt(body)?;
            }
            NodeKind::Case { branches } => {
                for b in branches.iter_mut() {
                    *b = opt(b)?;
                }
            }
            _ => {}
        }
    }
    Graph::from_parts(nodes, inputs, outputs)
}
