//! Elementwise fusion: connected float unary/binary ops over one shape become a single
//! `fused_elementwise` node, which reads its inputs and writes its outputs once instead of
//! materializing every intermediate.
//!
//! A node joins a group when its operands are the group's shape or scalars, and when no value
//! outside the group lies on a path from the group to it (the fused node would otherwise need
//! its own output as an input: a cycle). Scalar constants become program literals. Values a
//! group computes that something outside it reads become extra outputs of the fused node.

use super::rewrite::Rewrite;
use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::Result;
use crate::graph::ir::{Graph, Node, NodeId, NodeKind, Output};
use crate::kernels::fused::{Arg, BinaryFn, Instr, Program, UnaryFn, MAX_INSTRUCTIONS};
use crate::ops::fused::{FUSED_ELEMENTWISE, MAX_FUSED_INPUTS};
use std::collections::{HashMap, HashSet};

/// Largest group; bigger chains are split (a longer program gains nothing more).
const MAX_GROUP: usize = 512;

/// What a candidate node computes.
#[derive(Clone, Copy)]
enum Fn_ {
    U(UnaryFn),
    B(BinaryFn),
}

/// The function a node computes, when it may be fused.
fn candidate(g: &Graph, n: &Node, control_target: bool) -> Option<Fn_> {
    let NodeKind::Op(op) = n.kind else { return None };
    if control_target || !n.control_inputs.is_empty() || n.outputs.len() != 1 {
        return None;
    }
    let out = &n.outputs[0];
    if !matches!(out.dtype, DType::F32 | DType::F64) || out.shape().is_none() {
        return None;
    }
    // Operands must be exactly the output's shape or scalars: the fused kernel does not
    // broadcast otherwise.
    let fits = |o: &Output| g.spec(*o).is_some_and(|s| s.dtype == out.dtype && (s.dims == out.dims || s.rank() == 0));
    if !n.inputs.iter().all(fits) {
        return None;
    }
    match n.inputs.len() {
        1 => UnaryFn::from_name(op.name).map(Fn_::U),
        2 => BinaryFn::from_name(op.name).map(Fn_::B),
        _ => None,
    }
}

/// Replaces groups of two or more fusible elementwise ops by `fused_elementwise` nodes.
pub fn fuse_elementwise(graph: &Graph) -> Result<Graph> {
    let order = graph.topological_order()?;
    let nodes = graph.nodes();
    let mut control_target = vec![false; nodes.len()];
    for n in nodes {
        for &c in &n.control_inputs {
            control_target[c] = true;
        }
    }
    let funcs: Vec<Option<Fn_>> = nodes.iter().map(|n| candidate(graph, n, control_target[n.id])).collect();
    let mut group: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut members: Vec<Vec<NodeId>> = Vec::new();
    // Groups each node depends on (its own included).
    let mut deps: Vec<HashSet<usize>> = vec![HashSet::new(); nodes.len()];
    let mut pos = vec![0usize; nodes.len()];
    for (i, &id) in order.iter().enumerate() {
        pos[id] = i;
    }
    for &id in &order {
        let n = &nodes[id];
        let preds: Vec<NodeId> = n.inputs.iter().map(|o| o.node).chain(n.control_inputs.iter().copied()).collect();
        let mut d: HashSet<usize> = HashSet::new();
        for &p in &preds {
            d.extend(deps[p].iter().copied());
        }
        if funcs[id].is_some() {
            let joinable = |gid: usize| {
                members[gid].len() < MAX_GROUP
                    && nodes[members[gid][0]].outputs[0].dims == n.outputs[0].dims
                    && preds.iter().all(|&q| group[q] == Some(gid) || !deps[q].contains(&gid))
            };
            let choice = n.inputs.iter().filter_map(|o| group[o.node]).find(|&gid| joinable(gid));
            let gid = choice.unwrap_or_else(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            group[id] = Some(gid);
            members[gid].push(id);
            d.insert(gid);
            deps[id] = d;
            // Operands computed by other groups (a side branch such as `sigmoid(x)` in
            // `tanh(x) * sigmoid(x)`) merge in too, when no outside node sits between them.
            let others: Vec<usize> = n.inputs.iter().filter_map(|o| group[o.node]).filter(|&h| h != gid).collect();
            for h in others {
                if group[id] != Some(gid) || members[h].is_empty() {
                    continue;
                }
                let same_shape = nodes[members[h][0]].outputs[0].dims == n.outputs[0].dims;
                let small = members[h].len() + members[gid].len() <= MAX_GROUP;
                let legal = members[gid].iter().chain(&members[h]).all(|&x| {
                    let nx = &nodes[x];
                    nx.inputs.iter().map(|o| o.node).chain(nx.control_inputs.iter().copied()).all(|q| {
                        matches!(group[q], Some(gq) if gq == gid || gq == h)
                            || !(deps[q].contains(&gid) || deps[q].contains(&h))
                    })
                });
                if !(same_shape && small && legal) {
                    continue;
                }
                let moved = std::mem::take(&mut members[h]);
                for &x in &moved {
                    group[x] = Some(gid);
                }
                members[gid].extend(moved);
                members[gid].sort_by_key(|&x| pos[x]);
                for dset in deps.iter_mut() {
                    if dset.remove(&h) {
                        dset.insert(gid);
                    }
                }
            }
            continue;
        }
        deps[id] = d;
    }
    let mut consumers: Vec<Vec<NodeId>> = vec![Vec::new(); nodes.len()];
    for n in nodes {
        for o in &n.inputs {
            consumers[o.node].push(n.id);
        }
    }
    let mut is_output = vec![false; nodes.len()];
    for o in graph.outputs() {
        is_output[o.node] = true;
    }
    let mut rw = Rewrite::new(graph);
    for (gid, ms) in members.iter().enumerate() {
        if ms.len() < 2 {
            continue;
        }
        let escapes = |m: NodeId| is_output[m] || consumers[m].iter().any(|&c| group[c] != Some(gid));
        let _ = fuse_group(&mut rw, graph, ms, &funcs, escapes);
    }
    rw.finish()
}

/// Emits the fused node of one group (members in topological order) and redirects the values
/// that leave the group. Leaves the graph alone when the group cannot be expressed.
fn fuse_group(
    rw: &mut Rewrite,
    graph: &Graph,
    ms: &[NodeId],
    funcs: &[Option<Fn_>],
    escapes: impl Fn(NodeId) -> bool,
) -> Option<()> {
    let nodes = graph.nodes();
    let inside: HashSet<NodeId> = ms.iter().copied().collect();
    let literal = |o: &Output| match &nodes[o.node].kind {
        NodeKind::Const(t) if t.rank() == 0 => Some(t.storage().get_f64(0)),
        _ => None,
    };
    let mut inputs: Vec<Output> = Vec::new();
    let mut in_reg: HashMap<Output, usize> = HashMap::new();
    for &m in ms {
        for o in &nodes[m].inputs {
            if !inside.contains(&o.node) && literal(o).is_none() && !in_reg.contains_key(o) {
                in_reg.insert(*o, inputs.len());
                inputs.push(*o);
            }
        }
    }
    if inputs.is_empty() || inputs.len() > MAX_FUSED_INPUTS || ms.len() > MAX_INSTRUCTIONS {
        return None;
    }
    let k = inputs.len();
    let mut reg: HashMap<NodeId, usize> = HashMap::new();
    let mut instrs = Vec::with_capacity(ms.len());
    for (i, &m) in ms.iter().enumerate() {
        let arg = |o: &Output| -> Option<Arg> {
            if let Some(&r) = reg.get(&o.node) {
                return Some(Arg::Reg(r));
            }
            if let Some(v) = literal(o) {
                return Some(Arg::Lit(v));
            }
            in_reg.get(o).map(|&r| Arg::Reg(r))
        };
        let ins = &nodes[m].inputs;
        instrs.push(match funcs[m]? {
            Fn_::U(f) => Instr::Unary(f, arg(ins.first()?)?),
            Fn_::B(f) => Instr::Binary(f, arg(ins.first()?)?, arg(ins.get(1)?)?),
        });
        reg.insert(m, k + i);
    }
    let outs: Vec<NodeId> = ms.iter().copied().filter(|&m| escapes(m)).collect();
    let program = Program { num_inputs: k, instrs, outputs: outs.iter().map(|m| reg[m]).collect() };
    let attrs = Attrs::new().with("program", Attr::Str(program.to_text()));
    let specs: Vec<_> = inputs.iter().map(|&o| graph.spec(o).cloned()).collect::<Option<_>>()?;
    let out_specs = (FUSED_ELEMENTWISE.infer)(&specs, &attrs).ok()?;
    let fused = rw.push(NodeKind::Op(&FUSED_ELEMENTWISE), attrs, inputs, out_specs);
    for (i, &m) in outs.iter().enumerate() {
        rw.replace(Output::new(m, 0), Output::new(fused, i));
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::exec::run;
    use crate::ops::{math, Spec};
    use crate::Tensor;

    fn bits(t: &Tensor) -> Vec<u32> {
        t.to_vec::<f32>().map(|v| v.iter().map(|x| x.to_bits()).collect()).unwrap_or_default()
    }

    /// `tanh(x*2+1)*sigmoid(x)-x`.
    fn chain_graph(n: usize) -> Result<Graph> {
        let mut g = Graph::new();
        let x = g.add_placeholder(Spec::new(DType::F32, &[n]));
        let two = g.add_const(Tensor::from(2.0f32));
        let one = g.add_const(Tensor::from(1.0f32));
        let a = g.add_op1(&math::MUL, &[x, two], Attrs::new())?;
        let b = g.add_op1(&math::ADD, &[a, one], Attrs::new())?;
        let t = g.add_op1(&math::TANH, &[b], Attrs::new())?;
        let s = g.add_op1(&math::SIGMOID, &[x], Attrs::new())?;
        let p = g.add_op1(&math::MUL, &[t, s], Attrs::new())?;
        let y = g.add_op1(&math::SUB, &[p, x], Attrs::new())?;
        g.set_outputs(&[y])?;
        Ok(g)
    }

    #[test]
    fn chain_becomes_one_node_with_identical_results() -> Result<()> {
        let g = chain_graph(5000)?;
        let f = fuse_elementwise(&g)?;
        assert_eq!(f.len(), 2, "{f}");
        let fused = &f.nodes()[1];
        assert_eq!(fused.kind.name(), "fused_elementwise");
        assert_eq!(
            fused.attrs.str("t", "program")?,
            "r1 = mul r0 2.0; r2 = add r1 1.0; r3 = tanh r2; r4 = sigmoid r0; r5 = mul r3 r4; r6 = sub r5 r0; return r6"
        );
        let x: Vec<f32> = (0..5000).map(|i| (i as f32 - 2500.0) * 0.013).collect();
        let xv = Tensor::from_vec(x.clone(), &[5000])?;
        let got = run(&f, std::slice::from_ref(&xv), &[])?;
        assert_eq!(bits(&got[0]), bits(&run(&g, &[xv], &[])?[0]));
        // Independently: the formula on plain floats, through the eager ops.
        let eager = math::sub(
            &math::mul(
                &math::tanh(&math::add(
                    &math::mul(&Tensor::from_vec(x.clone(), &[5000])?, &Tensor::from(2.0f32))?,
                    &Tensor::from(1.0f32),
                )?)?,
                &math::sigmoid(&Tensor::from_vec(x, &[5000])?)?,
            )?,
            &Tensor::from_vec((0..5000).map(|i| (i as f32 - 2500.0) * 0.013).collect::<Vec<f32>>(), &[5000])?,
        )?;
        assert_eq!(bits(&got[0]), bits(&eager));
        Ok(())
    }

    #[test]
    fn intermediates_used_elsewhere_become_extra_outputs() -> Result<()> {
        // e = exp(x); y = e * 3; z = reduce_sum(e) reads e outside the group.
        let mut g = Graph::new();
        let x = g.add_placeholder(Spec::new(DType::F32, &[4]));
        let three = g.add_const(Tensor::from(3.0f32));
        let e = g.add_op1(&math::EXP, &[x], Attrs::new())?;
        let y = g.add_op1(&math::MUL, &[e, three], Attrs::new())?;
        let z = g.add_op1(
            &crate::ops::reduce::REDUCE_SUM,
            &[e],
            Attrs::new().with("axis", Attr::OptInts(None)).with("keepdims", Attr::Bool(false)),
        )?;
        g.set_outputs(&[y, z])?;
        let f = fuse_elementwise(&g)?;
        let fused = f.nodes().iter().find(|n| n.kind.name() == "fused_elementwise").expect("fused");
        assert_eq!(fused.outputs.len(), 2, "{f}");
        let xv = Tensor::from([0.0f32, 1.0, -1.0, 2.5]);
        let (got, want) = (run(&f, std::slice::from_ref(&xv), &[])?, run(&g, &[xv], &[])?);
        assert_eq!(bits(&got[0]), bits(&want[0]));
        assert_eq!(bits(&got[1]), bits(&want[1]));
        Ok(())
    }

    #[test]
    fn paths_through_outside_nodes_do_not_fuse_into_cycles() -> Result<()> {
        // a = exp(x); s = reduce_sum(a, keepdims) broadcast back by b = a * s... s is [1]:
        // b's operand has another shape, so b is no candidate; c = neg(b) + a would need a's
        // group to feed b and take b back.
        let mut g = Graph::new();
        let x = g.add_placeholder(Spec::new(DType::F32, &[3]));
        let a = g.add_op1(&math::EXP, &[x], Attrs::new())?;
        let a2 = g.add_op1(&math::SQUARE, &[a], Attrs::new())?;
        let s = g.add_op1(
            &crate::ops::reduce::REDUCE_SUM,
            &[a2],
            Attrs::new().with("axis", Attr::OptInts(None)).with("keepdims", Attr::Bool(false)),
        )?;
        let b = g.add_op1(&math::MUL, &[a2, s], Attrs::new())?;
        let c = g.add_op1(&math::ADD, &[b, a], Attrs::new())?;
        g.set_outputs(&[c])?;
        let f = fuse_elementwise(&g)?;
        f.validate()?;
        let xv = Tensor::from([0.5f32, -1.0, 2.0]);
        assert_eq!(bits(&run(&f, std::slice::from_ref(&xv), &[])?[0]), bits(&run(&g, &[xv], &[])?[0]));
        // exp and square fuse; mul (scalar operand from outside) and add join a second group.
        assert_eq!(f.nodes().iter().filter(|n| n.kind.name() == "fused_elementwise").count(), 2, "{f}");
        Ok(())
    }
}
