//! Common-subexpression elimination: nodes computing the same thing from the same values
//! merge into one.

use super::rewrite::Rewrite;
use crate::error::Result;
use crate::graph::ir::{Graph, Node, NodeId, NodeKind, Output};
use crate::tensor::Storage;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Merges identical non-stateful nodes (same kind, attributes, inputs and control inputs;
/// constants compare by value, bit for bit).
pub fn cse(graph: &Graph) -> Result<Graph> {
    let mut rw = Rewrite::new(graph);
    let mut seen: HashMap<u64, Vec<NodeId>> = HashMap::new();
    for id in graph.topological_order()? {
        rw.resolve_inputs(id);
        let node = &rw.nodes[id];
        if !mergeable(node) {
            continue;
        }
        let h = key_hash(node);
        let bucket = seen.entry(h).or_default();
        match bucket.iter().copied().find(|&other| same(&rw.nodes[other], node)) {
            Some(other) => {
                for i in 0..node.outputs.len() {
                    rw.replace(Output::new(id, i), Output::new(other, i));
                }
            }
            None => bucket.push(id),
        }
    }
    rw.finish()
}

/// Placeholders are distinct arguments, stateful ops and variable writes have distinct
/// effects, two reads of one variable may straddle an assignment, and control-flow sub-graphs
/// may read variables too, so none of them merge.
fn mergeable(n: &Node) -> bool {
    match n.kind {
        NodeKind::Const(_) => true,
        NodeKind::Op(op) => !op.stateful,
        _ => false,
    }
}

fn same(a: &Node, b: &Node) -> bool {
    a.kind == b.kind
        && a.attrs == b.attrs
        && a.inputs == b.inputs
        && a.control_inputs == b.control_inputs
        && a.outputs == b.outputs
}

fn key_hash(n: &Node) -> u64 {
    let mut h = DefaultHasher::new();
    n.kind.name().hash(&mut h);
    n.inputs.hash(&mut h);
    n.control_inputs.hash(&mut h);
    n.attrs.0.iter().for_each(|(k, _)| k.hash(&mut h));
    if let NodeKind::Const(t) = &n.kind {
        t.shape().hash(&mut h);
        // A prefix of the bits spreads constants over buckets; equality checks the rest.
        match t.storage() {
            Storage::F32(v) => v.iter().take(16).for_each(|x| x.to_bits().hash(&mut h)),
            Storage::F64(v) => v.iter().take(16).for_each(|x| x.to_bits().hash(&mut h)),
            Storage::I32(v) => v.iter().take(16).for_each(|x| x.hash(&mut h)),
            Storage::I64(v) => v.iter().take(16).for_each(|x| x.hash(&mut h)),
            Storage::Bool(v) => v.iter().take(16).for_each(|x| x.hash(&mut h)),
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{Attr, Attrs};
    use crate::graph::exec::run;
    use crate::ops::{math, random_ops, Spec};
    use crate::{DType, Tensor};

    #[test]
    fn merges_repeated_expressions_and_equal_constants() -> Result<()> {
        // (exp(x) + 2) * (exp(x) + 2), with the 2 written twice.
        let mut g = Graph::new();
        let x = g.add_placeholder(Spec::new(DType::F32, &[3]));
        let e1 = g.add_op1(&math::EXP, &[x], Attrs::new())?;
        let e2 = g.add_op1(&math::EXP, &[x], Attrs::new())?;
        let c1 = g.add_const(Tensor::from(2.0f32));
        let c2 = g.add_const(Tensor::from(2.0f32));
        let c3 = g.add_const(Tensor::from(-0.0f32));
        let c4 = g.add_const(Tensor::from(0.0f32));
        let a1 = g.add_op1(&math::ADD, &[e1, c1], Attrs::new())?;
        let a2 = g.add_op1(&math::ADD, &[e2, c2], Attrs::new())?;
        let m = g.add_op1(&math::MUL, &[a1, a2], Attrs::new())?;
        let s1 = g.add_op1(&math::ADD, &[m, c3], Attrs::new())?;
        let s2 = g.add_op1(&math::ADD, &[s1, c4], Attrs::new())?;
        g.set_outputs(&[s2])?;
        let c = cse(&g)?;
        // x, exp, 2, -0, 0, add, mul, add, add: the zeros differ in their bits and stay apart.
        assert_eq!((g.len(), c.len()), (12, 9), "{c}");
        let xv = Tensor::from([0.0f32, 1.0, -1.5]);
        let want: Vec<f32> = xv
            .to_vec::<f32>()?
            .iter()
            .map(|&v| {
                let a = math::exp(&Tensor::from(v)).and_then(|t| t.item::<f32>()).unwrap_or(f32::NAN) + 2.0;
                a * a + -0.0 + 0.0
            })
            .collect();
        assert_eq!(run(&c, std::slice::from_ref(&xv), &[])?[0].to_vec::<f32>()?, want);
        assert_eq!(run(&g, &[xv], &[])?[0].to_vec::<f32>()?, want);
        Ok(())
    }

    #[test]
    fn different_attrs_and_stateful_ops_stay_apart() -> Result<()> {
        let mut g = Graph::new();
        let rnd = |seed| {
            Attrs::new()
                .with("shape", Attr::Ints(vec![2]))
                .with("dtype", Attr::DType(DType::F32))
                .with("seed", Attr::Int(seed))
                .with("seed2", Attr::Int(0))
        };
        let r1 = g.add_op1(&random_ops::RANDOM_UNIFORM, &[], rnd(1))?;
        let r2 = g.add_op1(&random_ops::RANDOM_UNIFORM, &[], rnd(1))?;
        let l1 = g.add_op1(&math::LEAKY_RELU, &[r1], Attrs::new().with("alpha", Attr::Float(0.1)))?;
        let l2 = g.add_op1(&math::LEAKY_RELU, &[r1], Attrs::new().with("alpha", Attr::Float(0.2)))?;
        g.set_outputs(&[r2, l1, l2])?;
        assert_eq!(cse(&g)?.len(), g.len());
        Ok(())
    }
}
