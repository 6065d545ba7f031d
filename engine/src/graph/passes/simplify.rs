//! Arithmetic simplification: operations that return their input unchanged are bypassed, and
//! chains of transposes or reshapes collapse into one.
//!
//! Every rewrite must give bit-identical results, which rules out some textbook identities for
//! floats: `x + 0.0` turns `-0.0` into `+0.0`, so only `x + (-0.0)` and `x - (+0.0)` are
//! removed (integers have no signed zero and simplify either way). A constant that would
//! broadcast `x` to a larger shape is never bypassed.

use super::rewrite::Rewrite;
use crate::attrs::Attr;
use crate::error::Result;
use crate::graph::ir::{Graph, NodeId, NodeKind, Output};
use crate::ops::{array, math, OpDef, Spec};
use crate::tensor::{Storage, Tensor};

/// Bypasses identity arithmetic, same-dtype casts and `identity`, and merges transpose and
/// reshape chains.
pub fn simplify(graph: &Graph) -> Result<Graph> {
    let mut rw = Rewrite::new(graph);
    let control_targets = rw.control_targets();
    for id in graph.topological_order()? {
        rw.resolve_inputs(id);
        let node = &rw.nodes[id];
        let NodeKind::Op(op) = node.kind else { continue };
        if !node.control_inputs.is_empty() || control_targets[id] || node.outputs.len() != 1 {
            continue;
        }
        if let Some(x) = bypass(&rw, id, op) {
            if rw.nodes[x.node].outputs.get(x.index) == Some(&rw.nodes[id].outputs[0]) {
                rw.replace(Output::new(id, 0), x);
                continue;
            }
        }
        if is(op, &array::TRANSPOSE) {
            merge_transposes(&mut rw, id);
        } else if is(op, &array::RESHAPE) {
            merge_reshapes(&mut rw, id);
        }
    }
    rw.finish()
}

fn is(op: &OpDef, other: &'static OpDef) -> bool {
    std::ptr::eq(op, other)
}

/// The value node `id` passes through unchanged, if it does.
fn bypass(rw: &Rewrite, id: NodeId, op: &'static OpDef) -> Option<Output> {
    let node = &rw.nodes[id];
    let spec = |o: Output| rw.nodes[o.node].outputs.get(o.index);
    let konst = |o: Output| match &rw.nodes[o.node].kind {
        NodeKind::Const(t) => Some(t),
        _ => None,
    };
    let ins = &node.inputs;
    if is(op, &array::IDENTITY) {
        return ins.first().copied();
    }
    if is(op, &math::CAST) {
        let x = *ins.first()?;
        let to = node.attrs.dtype("cast", "dtype").ok()?;
        return (spec(x)?.dtype == to).then_some(x);
    }
    if is(op, &array::TRANSPOSE) {
        let x = *ins.first()?;
        let perm = perm_of(node.attrs.opt_ints("perm"), spec(x)?.rank())?;
        return perm.iter().enumerate().all(|(k, &p)| k == p).then_some(x);
    }
    if is(op, &array::RESHAPE) {
        let x = *ins.first()?;
        let s = spec(x)?;
        return (s.shape().is_some() && s == &node.outputs[0]).then_some(x);
    }
    let [a, b] = ins.as_slice() else { return None };
    let (a, b) = (*a, *b);
    // (constant operand, other operand, identity element) for each position a constant may take.
    let candidates: &[(Output, Output, Neutral)] = if is(op, &math::MUL) {
        &[(b, a, Neutral::One), (a, b, Neutral::One)]
    } else if is(op, &math::ADD) {
        &[(b, a, Neutral::AddZero), (a, b, Neutral::AddZero)]
    } else if is(op, &math::SUB) {
        &[(b, a, Neutral::SubZero)]
    } else if is(op, &math::DIV) {
        &[(b, a, Neutral::One)]
    } else {
        &[]
    };
    candidates.iter().find_map(|&(c, x, neutral)| {
        let t = konst(c)?;
        (is_neutral(t, neutral) && fits_within(spec(c)?, spec(x)?)).then_some(x)
    })
}

#[derive(Clone, Copy)]
enum Neutral {
    /// 1, for `x * 1`, `1 * x` and `x / 1`.
    One,
    /// The zero with `x + z == x` bitwise: `-0.0` for floats.
    AddZero,
    /// The zero with `x - z == x` bitwise: `+0.0` for floats.
    SubZero,
}

fn is_neutral(t: &Tensor, n: Neutral) -> bool {
    match (t.storage(), n) {
        (Storage::F32(v), Neutral::One) => v.iter().all(|&x| x == 1.0),
        (Storage::F64(v), Neutral::One) => v.iter().all(|&x| x == 1.0),
        (Storage::F32(v), Neutral::AddZero) => v.iter().all(|&x| x.to_bits() == (-0.0f32).to_bits()),
        (Storage::F64(v), Neutral::AddZero) => v.iter().all(|&x| x.to_bits() == (-0.0f64).to_bits()),
        (Storage::F32(v), Neutral::SubZero) => v.iter().all(|&x| x.to_bits() == 0),
        (Storage::F64(v), Neutral::SubZero) => v.iter().all(|&x| x.to_bits() == 0),
        (Storage::I32(v), Neutral::One) => v.iter().all(|&x| x == 1),
        (Storage::I64(v), Neutral::One) => v.iter().all(|&x| x == 1),
        (Storage::I32(v), _) => v.iter().all(|&x| x == 0),
        (Storage::I64(v), _) => v.iter().all(|&x| x == 0),
        (Storage::Bool(_), _) => false,
    }
}

/// True when broadcasting `c` against `x` cannot enlarge `x`: `c` has no more axes and each
/// of its axes is 1 or equal to `x`'s (known) size there.
fn fits_within(c: &Spec, x: &Spec) -> bool {
    c.dtype == x.dtype
        && c.rank() <= x.rank()
        && c.dims.iter().rev().zip(x.dims.iter().rev()).all(|(cd, xd)| *cd == Some(1) || (cd.is_some() && cd == xd))
}

/// A transpose's permutation (`None` reverses the axes).
fn perm_of(perm: Option<&[i64]>, rank: usize) -> Option<Vec<usize>> {
    match perm {
        None => Some((0..rank).rev().collect()),
        Some(p) if p.len() == rank => p.iter().map(|&d| usize::try_from(d).ok().filter(|&d| d < rank)).collect(),
        Some(_) => None,
    }
}

/// `transpose(transpose(x, p), q)` becomes `transpose(x, r)` with `r[j] = p[q[j]]`.
fn merge_transposes(rw: &mut Rewrite, id: NodeId) {
    let Some(&inner) = rw.nodes[id].inputs.first() else { return };
    let inner_node = &rw.nodes[inner.node];
    if !matches!(inner_node.kind, NodeKind::Op(op) if is(op, &array::TRANSPOSE))
        || !inner_node.control_inputs.is_empty()
    {
        return;
    }
    let Some(&x) = inner_node.inputs.first() else { return };
    let Some(rank) = rw.nodes[x.node].outputs.get(x.index).map(Spec::rank) else { return };
    let (Some(p), Some(q)) =
        (perm_of(inner_node.attrs.opt_ints("perm"), rank), perm_of(rw.nodes[id].attrs.opt_ints("perm"), rank))
    else {
        return;
    };
    let r: Vec<i64> = q.iter().map(|&j| p[j] as i64).collect();
    let mut attrs = rw.nodes[id].attrs.clone();
    attrs.0.retain(|(k, _)| *k != "perm");
    let attrs = attrs.with("perm", Attr::OptInts(Some(r.clone())));
    if r.iter().enumerate().all(|(k, &d)| k as i64 == d)
        && rw.nodes[x.node].outputs.get(x.index) == Some(&rw.nodes[id].outputs[0])
    {
        rw.replace(Output::new(id, 0), x);
        return;
    }
    retarget(rw, id, x, attrs, inner.node);
}

/// `reshape(reshape(x, s1), s2)` becomes `reshape(x, s2)` (or `x` when that is its shape).
fn merge_reshapes(rw: &mut Rewrite, id: NodeId) {
    let Some(&inner) = rw.nodes[id].inputs.first() else { return };
    let inner_node = &rw.nodes[inner.node];
    if !matches!(inner_node.kind, NodeKind::Op(op) if is(op, &array::RESHAPE)) || !inner_node.control_inputs.is_empty()
    {
        return;
    }
    let Some(&x) = inner_node.inputs.first() else { return };
    let xs = rw.nodes[x.node].outputs.get(x.index);
    if xs.is_some_and(|s| s.shape().is_some() && s == &rw.nodes[id].outputs[0]) {
        rw.replace(Output::new(id, 0), x);
        return;
    }
    let attrs = rw.nodes[id].attrs.clone();
    retarget(rw, id, x, attrs, inner.node);
}

/// Points single-input node `id` at `x` with `attrs`, if its shape rule then still gives the
/// declared output; `old` (its previous producer) may have become unused.
fn retarget(rw: &mut Rewrite, id: NodeId, x: Output, attrs: crate::attrs::Attrs, old: NodeId) {
    let NodeKind::Op(op) = rw.nodes[id].kind else { return };
    let Some(xs) = rw.nodes[x.node].outputs.get(x.index).cloned() else { return };
    match (op.infer)(&[xs], &attrs) {
        Ok(out) if out == rw.nodes[id].outputs => {
            let n = &mut rw.nodes[id];
            n.inputs = vec![x];
            n.attrs = attrs;
            rw.dead_candidates.push(old);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::Attrs;
    use crate::graph::exec::run;
    use crate::DType;

    fn ph(g: &mut Graph, shape: &[usize]) -> Output {
        g.add_placeholder(Spec::new(DType::F32, shape))
    }

    #[test]
    fn neutral_arithmetic_is_bypassed_bit_exactly() -> Result<()> {
        let mut g = Graph::new();
        let x = ph(&mut g, &[2, 3]);
        let one = g.add_const(Tensor::from(1.0f32));
        let ones_row = g.add_const(Tensor::from([1.0f32, 1.0, 1.0]));
        let neg0 = g.add_const(Tensor::from(-0.0f32));
        let pos0 = g.add_const(Tensor::from(0.0f32));
        let a = g.add_op1(&math::MUL, &[x, one], Attrs::new())?;
        let b = g.add_op1(&math::MUL, &[ones_row, a], Attrs::new())?;
        let c = g.add_op1(&math::ADD, &[b, neg0], Attrs::new())?;
        let d = g.add_op1(&math::SUB, &[c, pos0], Attrs::new())?;
        let e = g.add_op1(&math::DIV, &[d, one], Attrs::new())?;
        let f = g.add_op1(&array::IDENTITY, &[e], Attrs::new())?;
        let h = g.add_op1(&math::CAST, &[f], Attrs::new().with("dtype", Attr::DType(DType::F32)))?;
        // x + 0.0 is not x (-0.0 + 0.0 = +0.0), so this one stays.
        let kept = g.add_op1(&math::ADD, &[h, pos0], Attrs::new())?;
        g.set_outputs(&[h, kept])?;
        let s = simplify(&g)?;
        // x, +0.0 and the one add remain.
        assert_eq!(s.len(), 3, "{s}");
        assert_eq!(s.outputs()[0], Output::new(0, 0));
        let xv = Tensor::from([[-0.0f32, 1.5, f32::NAN], [f32::INFINITY, -2.0, 0.0]]);
        let got = run(&s, std::slice::from_ref(&xv), &[])?;
        let want = run(&g, std::slice::from_ref(&xv), &[])?;
        let bits = |t: &Tensor| t.to_vec::<f32>().map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        assert_eq!(bits(&got[0])?, bits(&xv)?);
        assert_eq!(bits(&got[1])?, bits(&want[1])?);
        assert_eq!(got[1].to_vec::<f32>()?[0].to_bits(), 0.0f32.to_bits());
        Ok(())
    }

    #[test]
    fn broadcasting_constants_are_not_bypassed() -> Result<()> {
        let mut g = Graph::new();
        let x = ph(&mut g, &[3]);
        let ones = g.add_const(Tensor::from([[1.0f32, 1.0, 1.0], [1.0, 1.0, 1.0]]));
        let y = g.add_op1(&math::MUL, &[x, ones], Attrs::new())?;
        g.set_outputs(&[y])?;
        let s = simplify(&g)?;
        assert_eq!(s.len(), g.len());
        assert_eq!(run(&s, &[Tensor::from([1.0f32, 2.0, 3.0])], &[])?[0].shape(), &[2, 3]);
        Ok(())
    }

    #[test]
    fn transpose_and_reshape_chains_collapse() -> Result<()> {
        let mut g = Graph::new();
        let x = ph(&mut g, &[2, 3, 4]);
        let perm = |p: &[i64]| Attrs::new().with("perm", Attr::OptInts(Some(p.to_vec())));
        let t1 = g.add_op1(&array::TRANSPOSE, &[x], perm(&[1, 2, 0]))?;
        let t2 = g.add_op1(&array::TRANSPOSE, &[t1], perm(&[2, 0, 1]))?; // = x
        let t3 = g.add_op1(&array::TRANSPOSE, &[t2], perm(&[2, 1, 0]))?;
        let t4 = g.add_op1(&array::TRANSPOSE, &[t3], Attrs::new().with("perm", Attr::OptInts(None)))?; // = x
        let t5 = g.add_op1(&array::TRANSPOSE, &[t4], perm(&[0, 2, 1]))?;
        let shape = |s: &[i64]| Attrs::new().with("shape", Attr::Ints(s.to_vec()));
        let r1 = g.add_op1(&array::RESHAPE, &[t5], shape(&[6, 4]))?;
        let r2 = g.add_op1(&array::RESHAPE, &[r1], shape(&[-1]))?;
        let r3 = g.add_op1(&array::RESHAPE, &[r2], shape(&[2, 4, 3]))?; // = t5's shape
        g.set_outputs(&[t5, r2, r3])?;
        let s = simplify(&g)?;
        // x, one transpose, one reshape.
        assert_eq!(s.len(), 3, "{s}");
        let xv = Tensor::from_vec((0..24).map(|v| v as f32).collect::<Vec<f32>>(), &[2, 3, 4])?;
        let got = run(&s, std::slice::from_ref(&xv), &[])?;
        let want = run(&g, &[xv], &[])?;
        for (a, b) in got.iter().zip(&want) {
            assert_eq!(a.shape(), b.shape());
            assert_eq!(a.to_vec::<f32>()?, b.to_vec::<f32>()?);
        }
        // The transposed values themselves: out[i, j, k] = x[i, k, j].
        assert_eq!(got[0].to_vec::<f32>()?[..4], [0.0, 4.0, 8.0, 1.0]);
        Ok(())
    }
}
