//! Matmul fusion: `activation(matmul(a, b) + bias)` on matrices becomes one `fused_matmul`
//! node, which applies the bias and activation while the product is still in cache instead of
//! writing and re-reading two intermediates.

use super::rewrite::Rewrite;
use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::Result;
use crate::graph::ir::{Graph, Node, NodeId, NodeKind, Output};
use crate::kernels::fused::UnaryFn;
use crate::ops::fused::FUSED_MATMUL;
use crate::ops::linalg::MATMUL;
use crate::ops::{math, nn, OpDef};

fn is(n: &Node, op: &'static OpDef) -> bool {
    matches!(n.kind, NodeKind::Op(o) if std::ptr::eq(o, op))
}

/// Fuses `matmul` → `bias_add`/`add` of a vector → optional unary activation.
pub fn fuse_matmul(graph: &Graph) -> Result<Graph> {
    let nodes = graph.nodes();
    let mut uses = vec![0usize; nodes.len()];
    let mut consumer: Vec<Option<NodeId>> = vec![None; nodes.len()];
    let mut control_target = vec![false; nodes.len()];
    for n in nodes {
        for o in &n.inputs {
            uses[o.node] += 1;
            consumer[o.node] = Some(n.id);
        }
        for &c in &n.control_inputs {
            control_target[c] = true;
        }
    }
    for o in graph.outputs() {
        uses[o.node] += 1;
    }
    // An intermediate can be folded away only if the next step of the pattern is its one reader.
    let sole_reader = |id: NodeId| -> Option<&Node> {
        (uses[id] == 1 && !control_target[id]).then(|| consumer[id]).flatten().map(|c| &nodes[c])
    };
    let plain = |n: &Node| n.control_inputs.is_empty() && !control_target[n.id];
    let mut rw = Rewrite::new(graph);
    for m in nodes {
        if !is(m, &MATMUL) || !plain(m) {
            continue;
        }
        let out = &m.outputs[0];
        if out.rank() != 2 || !matches!(out.dtype, DType::F32 | DType::F64) {
            continue;
        }
        let (Some(a), Some(b)) = (m.inputs.first(), m.inputs.get(1)) else { continue };
        if graph.spec(*a).map(|s| s.rank()) != Some(2) || graph.spec(*b).map(|s| s.rank()) != Some(2) {
            continue;
        }
        let Some(add) = sole_reader(m.id) else { continue };
        if !plain(add) || add.outputs.first() != Some(out) {
            continue;
        }
        let me = Output::new(m.id, 0);
        let bias = if is(add, &nn::BIAS_ADD) && add.inputs.first() == Some(&me) {
            add.inputs.get(1)
        } else if is(add, &math::ADD) {
            add.inputs.iter().find(|&&o| o != me).filter(|_| add.inputs.contains(&me))
        } else {
            None
        };
        let Some(&bias) = bias else { continue };
        let bias_ok = graph
            .spec(bias)
            .is_some_and(|s| s.dtype == out.dtype && s.rank() == 1 && s.dims[0].is_some() && s.dims[0] == out.dims[1]);
        if !bias_ok {
            continue;
        }
        let act = sole_reader(add.id)
            .filter(|n| plain(n) && n.inputs.len() == 1 && n.outputs.first() == Some(out))
            .and_then(|n| n.kind.op().and_then(|op| UnaryFn::from_name(op.name)).map(|f| (n, f)));
        let (last, act_name) = match act {
            Some((n, f)) => (n.id, f.name()),
            None => (add.id, "none"),
        };
        let mut attrs = Attrs::new();
        for key in ["transpose_a", "transpose_b"] {
            attrs = attrs.with(key, Attr::Bool(m.attrs.bool_or(key, false)));
        }
        let attrs = attrs.with("activation", Attr::Str(act_name.to_string()));
        let specs = [graph.spec(*a).cloned(), graph.spec(*b).cloned(), graph.spec(bias).cloned()];
        let Some(specs) = specs.into_iter().collect::<Option<Vec<_>>>() else { continue };
        let Ok(out_specs) = (FUSED_MATMUL.infer)(&specs, &attrs) else { continue };
        if out_specs.first() != Some(out) {
            continue;
        }
        let fused = rw.push(NodeKind::Op(&FUSED_MATMUL), attrs, vec![*a, *b, bias], out_specs);
        rw.replace(Output::new(last, 0), Output::new(fused, 0));
    }
    rw.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::exec::run;
    use crate::ops::Spec;
    use crate::Tensor;

    fn bits(t: &Tensor) -> Vec<u32> {
        t.to_vec::<f32>().map(|v| v.iter().map(|x| x.to_bits()).collect()).unwrap_or_default()
    }

    fn values(n: usize, seed: f32) -> Vec<f32> {
        (0..n).map(|i| ((i as f32 + seed) * 0.731).sin()).collect()
    }

    fn dense(act: Option<&'static OpDef>, use_bias_add: bool, tb: bool) -> Result<Graph> {
        let mut g = Graph::new();
        let x = g.add_placeholder(Spec::new(DType::F32, &[5, 7]));
        let w = g.add_const(Tensor::from_vec(values(21, 1.0), if tb { &[3, 7] } else { &[7, 3] })?);
        let b = g.add_const(Tensor::from([0.5f32, -0.25, 0.0]));
        let attrs = Attrs::new().with("transpose_a", Attr::Bool(false)).with("transpose_b", Attr::Bool(tb));
        let y = g.add_op1(&MATMUL, &[x, w], attrs)?;
        let z = if use_bias_add {
            g.add_op1(&nn::BIAS_ADD, &[y, b], Attrs::new())?
        } else {
            g.add_op1(&math::ADD, &[b, y], Attrs::new())?
        };
        let out = match act {
            Some(op) => g.add_op1(op, &[z], Attrs::new())?,
            None => z,
        };
        g.set_outputs(&[out])?;
        Ok(g)
    }

    #[test]
    fn matmul_bias_activation_fuse_bit_exactly() -> Result<()> {
        let xv = Tensor::from_vec(values(35, 9.0), &[5, 7])?;
        for (act, name) in [(Some(&math::RELU), "relu"), (Some(&math::TANH), "tanh"), (None, "none")] {
            for (bias_add, tb) in [(true, false), (false, true)] {
                let g = dense(act, bias_add, tb)?;
                let f = fuse_matmul(&g)?;
                let fused: Vec<_> = f.nodes().iter().filter(|n| n.kind.name() == "fused_matmul").collect();
                assert_eq!(fused.len(), 1, "{f}");
                assert_eq!(fused[0].attrs.str("t", "activation")?, name);
                assert_eq!(f.len(), 4, "{f}");
                let (got, want) = (run(&f, std::slice::from_ref(&xv), &[])?, run(&g, std::slice::from_ref(&xv), &[])?);
                assert_eq!(bits(&got[0]), bits(&want[0]), "{name}");
            }
        }
        // Independent check of one entry: relu(x[0] . w[:, 0] + 0.5).
        let g = dense(Some(&math::RELU), true, false)?;
        let got = run(&fuse_matmul(&g)?, std::slice::from_ref(&xv), &[])?[0].to_vec::<f32>()?;
        let (x, w) = (values(35, 9.0), values(21, 1.0));
        let dot: f64 = (0..7).map(|k| x[k] as f64 * w[k * 3] as f64).sum::<f64>() + 0.5;
        assert!((got[0] as f64 - dot.max(0.0)).abs() < 1e-5, "{} vs {dot}", got[0]);
        Ok(())
    }

    #[test]
    fn shared_intermediates_are_not_fused() -> Result<()> {
        let mut g = dense(Some(&math::RELU), true, false)?;
        // The product is also a graph output: it must stay.
        let y = Output::new(3, 0);
        assert_eq!(g.nodes()[3].kind.name(), "matmul");
        let outs = [g.outputs()[0], y];
        g.set_outputs(&outs)?;
        let f = fuse_matmul(&g)?;
        assert_eq!(f.len(), g.len(), "{f}");
        Ok(())
    }
}
