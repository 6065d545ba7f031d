//! Dead-node pruning: drops every node no graph output depends on, through data or control
//! edges. Stateful ops stay (with everything they need) because their effects are the point of
//! running them, and placeholders stay because they are the graph's signature.

use super::rewrite::{compact, removable};
use crate::error::Result;
use crate::graph::ir::Graph;

/// Removes the nodes that neither a graph output nor a stateful op depends on.
pub fn prune(graph: &Graph) -> Result<Graph> {
    let nodes = graph.nodes();
    let mut live = vec![false; nodes.len()];
    let mut stack: Vec<usize> = graph.outputs().iter().map(|o| o.node).collect();
    stack.extend(nodes.iter().filter(|n| !removable(n)).map(|n| n.id));
    while let Some(id) = stack.pop() {
        match live.get_mut(id) {
            Some(l) if !*l => *l = true,
            _ => continue,
        }
        let n = &nodes[id];
        stack.extend(n.inputs.iter().map(|o| o.node));
        stack.extend(n.control_inputs.iter().copied());
    }
    let removed: Vec<bool> = live.iter().map(|l| !l).collect();
    let (nodes, inputs, outputs) = graph.clone().into_parts();
    compact(nodes, inputs, outputs, &removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{Attr, Attrs};
    use crate::graph::exec::run;
    use crate::ops::{math, random_ops, Spec};
    use crate::{DType, Tensor};

    #[test]
    fn drops_unused_branches_and_keeps_stateful_ops() -> Result<()> {
        let mut g = Graph::new();
        let x = g.add_placeholder(Spec::new(DType::F32, &[3]));
        let unused_c = g.add_const(Tensor::from(2.0f32));
        let dead = g.add_op1(&math::MUL, &[x, unused_c], Attrs::new())?;
        let _dead2 = g.add_op1(&math::EXP, &[dead], Attrs::new())?;
        let y = g.add_op1(&math::NEG, &[x], Attrs::new())?;
        g.set_outputs(&[y])?;
        let before = g.len();
        let p = prune(&g)?;
        assert_eq!((before, p.len()), (5, 2), "{p}");
        let xv = Tensor::from([1.0f32, -2.0, 0.5]);
        assert_eq!(run(&p, std::slice::from_ref(&xv), &[])?[0].to_vec::<f32>()?, vec![-1.0, 2.0, -0.5]);
        assert_eq!(run(&g, &[xv], &[])?[0].to_vec::<f32>()?, vec![-1.0, 2.0, -0.5]);
        // A stateful node without consumers survives.
        let attrs = Attrs::new()
            .with("shape", Attr::Ints(vec![2]))
            .with("dtype", Attr::DType(DType::F32))
            .with("seed", Attr::Int(1))
            .with("seed2", Attr::Int(2));
        let r = g.add_op1(&random_ops::RANDOM_UNIFORM, &[], attrs)?;
        let p = prune(&g)?;
        assert_eq!(p.len(), 3, "{p}");
        assert!(p.nodes().iter().any(|n| n.kind.name() == "random_uniform"));
        let _ = r;
        Ok(())
    }

    #[test]
    fn control_edges_keep_their_sources() -> Result<()> {
        let mut g = Graph::new();
        let x = g.add_placeholder(Spec::new(DType::F32, &[2]));
        let side = g.add_op1(&math::EXP, &[x], Attrs::new())?;
        let y = g.add_op1(&math::NEG, &[x], Attrs::new())?;
        g.add_control_input(y.node, side.node)?;
        let orphan = g.add_op1(&math::ABS, &[x], Attrs::new())?;
        g.set_outputs(&[y])?;
        let p = prune(&g)?;
        assert_eq!(p.len(), 3, "{p}");
        assert!(p.nodes().iter().all(|n| n.kind.name() != "abs"));
        let _ = orphan;
        let xv = Tensor::from([1.0f32, -2.0]);
        assert_eq!(
            run(&p, std::slice::from_ref(&xv), &[])?[0].to_vec::<f32>()?,
            run(&g, &[xv], &[])?[0].to_vec::<f32>()?
        );
        Ok(())
    }
}
