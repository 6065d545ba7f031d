//! Update fusion: `v.assign_add(f(...))` / `v.assign_sub(f(...))` where `f` is an elementwise
//! program becomes `v.assign(f'(..., v))`, with the add or subtract folded into the program.
//!
//! Unfused, the update makes two passes over memory (the program writes the delta, the assign
//! reads it back together with the variable); fused, one pass reads the operands and the
//! variable and writes the new value, which the assign stores without touching the elements.
//! An optimizer step (Adam's three updates per parameter) is made of exactly such updates.
//!
//! The folded read must see the value the update starts from, so the rewrite only applies to
//! a variable with no other write in the graph (and none inside control flow), where every
//! read that feeds the update precedes it.

use super::rewrite::Rewrite;
use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::Result;
use crate::graph::ir::{AssignMode, Graph, Node, NodeKind, Output};
use crate::kernels::fused::{Arg, BinaryFn, Instr, Program, MAX_INSTRUCTIONS};
use crate::ops::fused::{FUSED_ELEMENTWISE, MAX_FUSED_INPUTS};
use std::collections::HashMap;

/// The program of `n` and its inputs when `n` is a single-output `fused_elementwise` node.
fn program_of(n: &Node) -> Option<Program> {
    let NodeKind::Op(op) = n.kind else { return None };
    if !std::ptr::eq(op, &FUSED_ELEMENTWISE) || n.outputs.len() != 1 {
        return None;
    }
    let p = Program::parse(n.attrs.str(op.name, "program").ok()?, n.inputs.len()).ok()?;
    (p.outputs.len() == 1).then_some(p)
}

/// Folds add/sub assigns of fused elementwise values into the programs (see the module docs).
pub fn fuse_assign(graph: &Graph) -> Result<Graph> {
    let nodes = graph.nodes();
    // Control flow may write variables in its sub-graphs, which the counts below cannot see.
    if nodes.iter().any(|n| n.kind.is_control_flow() && n.kind.is_stateful()) {
        return Ok(graph.clone());
    }
    let mut writes: HashMap<usize, usize> = HashMap::new();
    let mut uses = vec![0usize; nodes.len()];
    for n in nodes {
        if let NodeKind::Assign(v, _) = n.kind {
            *writes.entry(v).or_default() += 1;
        }
        for o in &n.inputs {
            uses[o.node] += 1;
        }
    }
    for o in graph.outputs() {
        uses[o.node] += 1;
    }
    let mut rw = Rewrite::new(graph);
    let control_target = rw.control_targets();
    for a in nodes {
        let NodeKind::Assign(var, mode) = a.kind else { continue };
        let combine = match mode {
            AssignMode::Add => BinaryFn::Add,
            AssignMode::Sub => BinaryFn::Sub,
            AssignMode::Set => continue,
        };
        let Some(&delta) = a.inputs.first() else { continue };
        let d: &Node = &nodes[delta.node];
        let var_spec = &a.outputs[0];
        if writes.get(&var).copied() != Some(1)
            || uses[d.id] != 1
            || control_target[d.id]
            || !d.control_inputs.is_empty()
            || d.outputs[0] != *var_spec
            || !matches!(var_spec.dtype, DType::F32 | DType::F64)
            || var_spec.shape().is_none()
        {
            continue;
        }
        let Some(mut program) = program_of(d) else { continue };
        if program.instrs.len() >= MAX_INSTRUCTIONS {
            continue;
        }
        // Reuse a read of the variable the program already takes (`(g - m) * 0.1`), else add one.
        let reads_var = |o: &Output| matches!(nodes[o.node].kind, NodeKind::Variable(i) if i == var);
        let mut inputs = d.inputs.clone();
        let read_reg = match inputs.iter().position(reads_var) {
            Some(r) => r,
            None => {
                if inputs.len() >= MAX_FUSED_INPUTS {
                    continue;
                }
                let read = rw.push(NodeKind::Variable(var), Attrs::new(), Vec::new(), vec![var_spec.clone()]);
                // A new input register shifts every computed register up by one.
                program = shift_registers(&program);
                inputs.push(Output::new(read, 0));
                inputs.len() - 1
            }
        };
        let result = program.outputs[0];
        program.instrs.push(Instr::Binary(combine, Arg::Reg(read_reg), Arg::Reg(result)));
        program.outputs = vec![program.num_inputs + program.instrs.len() - 1];
        let attrs = Attrs::new().with("program", Attr::Str(program.to_text()));
        let fused: &mut Node = &mut rw.nodes[d.id];
        fused.attrs = attrs;
        fused.inputs = inputs;
        rw.nodes[a.id].kind = NodeKind::Assign(var, AssignMode::Set);
    }
    rw.finish()
}

/// The same program with one more input register: registers at or past the old input count
/// move up by one.
fn shift_registers(p: &Program) -> Program {
    let k = p.num_inputs;
    let up = |r: usize| if r >= k { r + 1 } else { r };
    let arg = |a: Arg| match a {
        Arg::Reg(r) => Arg::Reg(up(r)),
        lit => lit,
    };
    Program {
        num_inputs: k + 1,
        instrs: p
            .instrs
            .iter()
            .map(|i| match *i {
                Instr::Unary(f, a) => Instr::Unary(f, arg(a)),
                Instr::Binary(f, a, b) => Instr::Binary(f, arg(a), arg(b)),
            })
            .collect(),
        outputs: p.outputs.iter().map(|&r| up(r)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::exec::run;
    use crate::graph::passes::fuse_elementwise;
    use crate::ops::{math, Spec};
    use crate::{Tensor, Variable};

    /// `m.assign_add((g - m) * 0.1)` then `p.assign_sub(m * 0.5)`, as an optimizer step has them.
    fn update_graph(n: usize) -> Result<Graph> {
        let mut g = Graph::new();
        let spec = Spec::new(DType::F32, &[n]);
        let grad = g.add_placeholder(spec.clone());
        let m = g.add_variable(0, spec.clone());
        let d = g.add_op1(&math::SUB, &[grad, m], Attrs::new())?;
        let k = g.add_const(Tensor::from(0.1f32));
        let d = g.add_op1(&math::MUL, &[d, k], Attrs::new())?;
        let am = g.add_assign(0, AssignMode::Add, d, spec.clone())?;
        g.add_control_input(am.node, m.node)?;
        let m2 = g.add_variable(0, spec.clone());
        g.add_control_input(m2.node, am.node)?;
        let half = g.add_const(Tensor::from(0.5f32));
        let u = g.add_op1(&math::MUL, &[m2, half], Attrs::new())?;
        let u = g.add_op1(&math::SQUARE, &[u], Attrs::new())?;
        let ap = g.add_assign(1, AssignMode::Sub, u, spec)?;
        g.add_control_input(ap.node, am.node)?;
        g.set_outputs(&[ap])?;
        Ok(g)
    }

    fn vars(n: usize) -> Result<Vec<Variable>> {
        let m: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        let p: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
        Ok(vec![Variable::new(Tensor::from_vec(m, &[n])?, "m"), Variable::new(Tensor::from_vec(p, &[n])?, "p")])
    }

    #[test]
    fn add_and_sub_updates_fold_into_their_programs_bit_for_bit() -> Result<()> {
        let n = 3000;
        let g = update_graph(n)?;
        let fused = fuse_elementwise(&g)?;
        let f = fuse_assign(&fused)?;
        let names: Vec<&str> = f.nodes().iter().map(|n| n.kind.name()).collect();
        assert_eq!(names.iter().filter(|&&k| k == "assign_variable").count(), 2, "{f}");
        assert!(!names.contains(&"assign_add_variable") && !names.contains(&"assign_sub_variable"), "{f}");
        let programs: Vec<String> =
            f.nodes().iter().filter_map(|n| n.attrs.str("t", "program").ok().map(str::to_string)).collect();
        assert_eq!(
            programs,
            [
                "r2 = sub r0 r1; r3 = mul r2 0.10000000149011612; r4 = add r1 r3; return r4",
                "r2 = mul r0 0.5; r3 = square r2; r4 = sub r1 r3; return r4"
            ],
            "{f}"
        );
        let grad = Tensor::from_vec((0..n).map(|i| i as f32 * 1e-3 - 1.0).collect::<Vec<f32>>(), &[n])?;
        let (want_vars, got_vars) = (vars(n)?, vars(n)?);
        run(&g, std::slice::from_ref(&grad), &want_vars)?;
        run(&f, std::slice::from_ref(&grad), &got_vars)?;
        for (w, v) in want_vars.iter().zip(&got_vars) {
            let bits = |t: Tensor| t.to_vec::<f32>().map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
            assert_eq!(bits(w.peek())?, bits(v.peek())?, "{}", w.name());
        }
        // Independently, on plain floats: m' = m + (g - m) * 0.1, p' = p - (m' * 0.5)^2.
        let m0 = vars(n)?[0].peek().to_vec::<f32>()?;
        let p0 = vars(n)?[1].peek().to_vec::<f32>()?;
        let gv = grad.to_vec::<f32>()?;
        let p1 = got_vars[1].peek().to_vec::<f32>()?;
        for i in (0..n).step_by(97) {
            let m1 = m0[i] + (gv[i] - m0[i]) * 0.1;
            let want = p0[i] - (m1 * 0.5) * (m1 * 0.5);
            assert_eq!(p1[i].to_bits(), want.to_bits(), "element {i}");
        }
        Ok(())
    }

    #[test]
    fn variables_written_twice_or_deltas_read_elsewhere_are_left_alone() -> Result<()> {
        let spec = Spec::new(DType::F32, &[8]);
        // Two writes of one variable: the second update's read would not see the first.
        let mut g = Graph::new();
        let x = g.add_placeholder(spec.clone());
        for _ in 0..2 {
            let d = g.add_op1(&math::MUL, &[x, x], Attrs::new())?;
            let d = g.add_op1(&math::EXP, &[d], Attrs::new())?;
            g.add_assign(0, AssignMode::Add, d, spec.clone())?;
        }
        let f = fuse_assign(&fuse_elementwise(&g)?)?;
        assert_eq!(f.nodes().iter().filter(|n| n.kind.name() == "assign_add_variable").count(), 2, "{f}");
        // The delta is also a graph output: it must stay a value of its own.
        let mut g = Graph::new();
        let x = g.add_placeholder(spec.clone());
        let d = g.add_op1(&math::MUL, &[x, x], Attrs::new())?;
        let d = g.add_op1(&math::EXP, &[d], Attrs::new())?;
        g.add_assign(0, AssignMode::Sub, d, spec)?;
        g.set_outputs(&[d])?;
        let f = fuse_assign(&fuse_elementwise(&g)?)?;
        assert_eq!(f.nodes().iter().filter(|n| n.kind.name() == "assign_sub_variable").count(), 1, "{f}");
        Ok(())
    }
}
