//! Constant folding: an op whose inputs are all constants is evaluated once, while optimizing,
//! and replaced by constants holding its outputs.

use super::rewrite::Rewrite;
use crate::error::Result;
use crate::graph::ir::{Graph, NodeKind, Output};
use crate::ops::{self, Spec};
use crate::shape;
use crate::tape;
use crate::tensor::Tensor;

/// Largest output (in elements) that is folded. A folded value lives in the graph for as long
/// as the graph does and is written into every serialized copy of it, while the op that makes
/// it (`zeros`, `broadcast_to`, `tile`, ...) is cheap to run on demand: folding large results
/// would trade a little compute for a lot of resident memory and file size.
pub const MAX_FOLDED_ELEMENTS: usize = 1 << 20;

/// Replaces non-stateful ops whose inputs are all constants by the constants they compute.
pub fn constant_folding(graph: &Graph) -> Result<Graph> {
    let mut rw = Rewrite::new(graph);
    for id in graph.topological_order()? {
        rw.resolve_inputs(id);
        let node = &rw.nodes[id];
        let NodeKind::Op(op) = node.kind else { continue };
        if op.stateful || !node.control_inputs.is_empty() || !small_enough(&node.outputs) {
            continue;
        }
        let Some(values) = node
            .inputs
            .iter()
            .map(|o| match &rw.nodes[o.node].kind {
                NodeKind::Const(t) if o.index == 0 => Some(t.clone()),
                _ => None,
            })
            .collect::<Option<Vec<Tensor>>>()
        else {
            continue;
        };
        // An op that fails on these constants (integer division by zero, ...) is left in
        // place, so the error surfaces when the graph runs, as it would have unoptimized.
        let Ok(results) = tape::no_record(|| ops::execute(op, &values, node.attrs.clone())) else { continue };
        let declared = node.outputs.clone();
        if results.len() != declared.len() || results.iter().zip(&declared).any(|(t, s)| Spec::of(t) != *s) {
            continue;
        }
        for (i, t) in results.into_iter().enumerate() {
            let spec = Spec::of(&t);
            let c = rw.push(NodeKind::Const(t), Default::default(), Vec::new(), vec![spec]);
            rw.replace(Output::new(id, i), Output::new(c, 0));
        }
    }
    rw.finish()
}

fn small_enough(outputs: &[Spec]) -> bool {
    outputs.iter().all(|s| s.shape().is_some_and(|sh| shape::num_elements(&sh) <= MAX_FOLDED_ELEMENTS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{Attr, Attrs};
    use crate::graph::exec::run;
    use crate::ops::{array, math};
    use crate::DType;

    #[test]
    fn folds_constant_subtrees_and_keeps_the_rest() -> Result<()> {
        // y = x * (exp(c1) + c2): the parenthesis folds, the product does not.
        let mut g = Graph::new();
        let x = g.add_placeholder(Spec::new(DType::F32, &[2]));
        let c1 = g.add_const(Tensor::from([0.5f32, -1.0]));
        let c2 = g.add_const(Tensor::from(3.0f32));
        let e = g.add_op1(&math::EXP, &[c1], Attrs::new())?;
        let s = g.add_op1(&math::ADD, &[e, c2], Attrs::new())?;
        let y = g.add_op1(&math::MUL, &[x, s], Attrs::new())?;
        g.set_outputs(&[y])?;
        let f = constant_folding(&g)?;
        assert_eq!(f.len(), 3, "{f}");
        let folded = f.nodes().iter().find_map(|n| match &n.kind {
            NodeKind::Const(t) => Some(t.to_vec::<f32>()),
            _ => None,
        });
        let want = [
            math::exp(&Tensor::from(0.5f32))?.item::<f32>()? + 3.0,
            math::exp(&Tensor::from(-1.0f32))?.item::<f32>()? + 3.0,
        ];
        assert_eq!(folded.transpose()?, Some(want.to_vec()));
        let xv = Tensor::from([2.0f32, -4.0]);
        let got = run(&f, std::slice::from_ref(&xv), &[])?[0].to_vec::<f32>()?;
        assert_eq!(got, vec![2.0 * want[0], -4.0 * want[1]]);
        assert_eq!(run(&g, &[xv], &[])?[0].to_vec::<f32>()?, got);
        Ok(())
    }

    #[test]
    fn leaves_failing_and_huge_results_alone() -> Result<()> {
        let mut g = Graph::new();
        let a = g.add_const(Tensor::from(1i32));
        let z = g.add_const(Tensor::from(0i32));
        let q = g.add_op1(&math::DIV, &[a, z], Attrs::new())?;
        let one = g.add_const(Tensor::from(1.0f32));
        let big = (MAX_FOLDED_ELEMENTS + 1) as i64;
        let b = g.add_op1(&array::BROADCAST_TO, &[one], Attrs::new().with("shape", Attr::Ints(vec![big])))?;
        g.set_outputs(&[q, b])?;
        let f = constant_folding(&g)?;
        assert_eq!(f.len(), g.len(), "{f}");
        let err = run(&f, &[], &[]).unwrap_err();
        assert!(err.to_string().contains("division by zero"), "{err}");
        Ok(())
    }

    #[test]
    fn multi_output_ops_fold_each_output() -> Result<()> {
        let mut g = Graph::new();
        let c = g.add_const(Tensor::from([1.0f32, 2.0, 3.0, 4.0]));
        let parts =
            g.add_op(&array::SPLIT, &[c], Attrs::new().with("num_split", Attr::Int(2)).with("axis", Attr::Int(0)))?;
        g.set_outputs(&parts)?;
        let f = constant_folding(&g)?;
        assert!(f.nodes().iter().all(|n| matches!(n.kind, NodeKind::Const(_))), "{f}");
        assert_eq!(f.len(), 2);
        let out = run(&f, &[], &[])?;
        assert_eq!(out[0].to_vec::<f32>()?, vec![1.0, 2.0]);
        assert_eq!(out[1].to_vec::<f32>()?, vec![3.0, 4.0]);
        Ok(())
    }
}
