//! Control-flow graph nodes (cond, while, case): building with signature checks, running
//! against eager results, tapes through runs, dumps, DOT, JSON round trips and hostile documents.

use serde_json::{json, Value};
use std::sync::Arc;
use tensile::attrs::{Attr, Attrs};
use tensile::control_flow::{cond, switch_case, while_loop, WhileOptions};
use tensile::graph::control::MAX_NESTING_DEPTH;
use tensile::graph::{exec, print, Graph, NodeKind, Output};
use tensile::ops::{array::CONCAT, math, Spec};
use tensile::prelude::*;
use tensile::shape::Dim;
use tensile::testing::power_while_graph;

fn spec(dtype: DType, dims: &[Dim]) -> Spec {
    Spec { dtype, dims: dims.iter().copied().collect() }
}

fn scalar(dtype: DType) -> Spec {
    Spec::new(dtype, &[])
}

/// One-argument graph `x -> f(x)` built by `body`.
fn unary(arg: Spec, body: impl FnOnce(&mut Graph, Output) -> Result<Output>) -> Result<Graph> {
    let mut g = Graph::new();
    let x = g.add_placeholder(arg);
    let y = body(&mut g, x)?;
    g.set_outputs(&[y])?;
    Ok(g)
}

fn square(arg: Spec) -> Result<Graph> {
    unary(arg, |g, x| g.add_op1(&math::MUL, &[x, x], Attrs::new()))
}

fn times(arg: Spec, k: f64) -> Result<Graph> {
    let dtype = arg.dtype;
    unary(arg, |g, x| {
        let c = g.add_const(Tensor::scalar_of(dtype, k));
        g.add_op1(&math::MUL, &[x, c], Attrs::new())
    })
}

/// `y = cond(x > 0, x*x, x*-3)` for a float64 scalar `x`.
fn cond_graph() -> Result<Graph> {
    let mut g = Graph::new();
    let x = g.add_placeholder(scalar(DType::F64));
    let zero = g.add_const(Tensor::from(0.0f64));
    let pred = g.add_op1(&math::GREATER, &[x, zero], Attrs::new())?;
    let y = g.add_cond(pred, &[x], square(scalar(DType::F64))?, times(scalar(DType::F64), -3.0)?)?;
    g.set_outputs(&y)?;
    Ok(g)
}

fn eager_cond(x: f64) -> Result<f64> {
    let x = Tensor::from(x);
    cond(&greater(&x, &Tensor::from(0.0f64))?, || &x * &x, || &x * -3.0)?.item::<f64>()
}

#[test]
fn cond_node_runs_the_chosen_branch_like_eager() -> Result<()> {
    let g = cond_graph()?;
    for x in [2.0, -1.0, 0.0, 7.5] {
        let out = exec::run(&g, &[Tensor::from(x)], &[])?;
        assert_eq!(out[0].item::<f64>()?, eager_cond(x)?);
        assert_eq!(out[0].item::<f64>()?, if x > 0.0 { x * x } else { -3.0 * x });
    }
    Ok(())
}

const COND_DUMP: &str = "\
%0 = placeholder[0] : float64[]
%1 = const 0.0 : float64[]
%2 = greater(%0, %1) : bool[]
%3 = cond(%2, %0) : float64[]
  then_branch:
    %0 = placeholder[0] : float64[]
    %1 = mul(%0, %0) : float64[]
    return %1
  else_branch:
    %0 = placeholder[0] : float64[]
    %1 = const -3.0 : float64[]
    %2 = mul(%0, %1) : float64[]
    return %2
return %3
";

#[test]
fn dump_and_dot_show_sub_graphs() -> Result<()> {
    let g = cond_graph()?;
    assert_eq!(g.to_string(), COND_DUMP);
    let dot = print::to_dot(&g);
    assert!(dot.contains("subgraph cluster_n3_then_branch_ {"), "{dot}");
    assert!(dot.contains("n3_else_branch_n2 -> n3 [style=dotted];"), "{dot}");
    assert!(dot.contains("n3_then_branch_n0 -> n3_then_branch_n1"), "{dot}");
    assert!(dot.contains("n3 [shape=box3d"), "{dot}");
    Ok(())
}

#[test]
fn while_dump_shows_max_iterations_and_sub_graphs() -> Result<()> {
    let text = power_graph(Some(3))?.to_string();
    assert!(text.contains("%2 = while(%1, %0, %0) {max_iterations=3} : (int32[], float64[])"), "{text}");
    assert!(text.contains("\n  cond:\n    %0 = placeholder[0] : int32[]\n"), "{text}");
    assert!(text.contains("\n  body:\n"), "{text}");
    assert!(text.contains("    %5 = mul(%1, %2) : float64[]\n    return %4, %5\n"), "{text}");
    Ok(())
}

#[test]
fn branch_results_merge_to_partially_known_shapes() -> Result<()> {
    // then: x ([3]); else: concat(x, x) ([6]) -> the node's output is float32[None].
    let arg = Spec::new(DType::F32, &[3]);
    let then_g = unary(arg.clone(), |g, x| g.add_op1(&tensile::ops::array::IDENTITY, &[x], Attrs::new()))?;
    let else_g = unary(arg.clone(), |g, x| g.add_op1(&CONCAT, &[x, x], Attrs::new().with("axis", Attr::Int(0))))?;
    let mut g = Graph::new();
    let p = g.add_placeholder(scalar(DType::Bool));
    let x = g.add_placeholder(arg);
    let y = g.add_cond(p, &[x], then_g, else_g)?;
    assert_eq!(g.spec(y[0]), Some(&spec(DType::F32, &[None])));
    g.set_outputs(&y)?;
    let xv = Tensor::from([1.0f32, 2.0, 3.0]);
    assert_eq!(exec::run(&g, &[Tensor::from(true), xv.clone()], &[])?[0].shape(), &[3]);
    assert_eq!(exec::run(&g, &[Tensor::from(false), xv], &[])?[0].shape(), &[6]);
    Ok(())
}

#[test]
fn cond_builder_checks_signatures() -> Result<()> {
    let f64s = scalar(DType::F64);
    let mut g = Graph::new();
    let x = g.add_placeholder(f64s.clone());
    let p = g.add_placeholder(scalar(DType::Bool));
    let ip = g.add_placeholder(scalar(DType::I32));
    // Predicate must be a scalar bool.
    let e = g.add_cond(ip, &[x], square(f64s.clone())?, square(f64s.clone())?).unwrap_err();
    assert!(e.message.contains("predicate") && e.message.contains("int32[]"), "{e}");
    // Arity.
    let e = g.add_cond(p, &[x, x], square(f64s.clone())?, square(f64s.clone())?).unwrap_err();
    assert!(e.message.contains("then_branch takes 1 arguments but the node passes 2"), "{e}");
    // Argument dtype.
    let e = g.add_cond(p, &[x], square(f64s.clone())?, square(scalar(DType::F32))?).unwrap_err();
    assert!(
        e.message.contains("else_branch") && e.message.contains("float32[]") && e.message.contains("float64[]"),
        "{e}"
    );
    // Result dtypes must agree.
    let to_f32 =
        unary(f64s.clone(), |g, x| g.add_op1(&math::CAST, &[x], Attrs::new().with("dtype", Attr::DType(DType::F32))))?;
    let e = g.add_cond(p, &[x], square(f64s.clone())?, to_f32).unwrap_err();
    assert!(e.message.contains("then_branch") && e.message.contains("else_branch"), "{e}");
    assert!(e.message.contains("float64[]") && e.message.contains("float32[]"), "{e}");
    // Result ranks must agree.
    let vec_g = unary(f64s.clone(), |g, x| {
        g.add_op1(&tensile::ops::array::STACK, &[x, x], Attrs::new().with("axis", Attr::Int(0)))
    })?;
    let e = g.add_cond(p, &[x], square(f64s.clone())?, vec_g).unwrap_err();
    assert!(e.message.contains("ranks"), "{e}");
    // The failed attempts added nothing.
    assert_eq!(g.len(), 3);
    Ok(())
}

/// `case(index, x)` with branches x+1, x*2, x*x.
fn case_graph() -> Result<Graph> {
    let f = scalar(DType::F64);
    let plus1 = unary(f.clone(), |g, x| {
        let one = g.add_const(Tensor::from(1.0f64));
        g.add_op1(&math::ADD, &[x, one], Attrs::new())
    })?;
    let mut g = Graph::new();
    let i = g.add_placeholder(scalar(DType::I32));
    let x = g.add_placeholder(f.clone());
    let y = g.add_case(i, &[x], vec![Arc::new(plus1), Arc::new(times(f.clone(), 2.0)?), Arc::new(square(f)?)])?;
    g.set_outputs(&y)?;
    Ok(g)
}

#[test]
fn case_node_matches_eager_switch_case() -> Result<()> {
    let g = case_graph()?;
    let x = Tensor::from(3.0f64);
    let b0 = || &x + 1.0;
    let b1 = || &x * 2.0;
    let b2 = || &x * &x;
    let branches: [&dyn Fn() -> Result<Tensor>; 3] = [&b0, &b1, &b2];
    for i in [0, 1, 2, 3, -4, 100] {
        let got = exec::run(&g, &[Tensor::from(i), x.clone()], &[])?[0].item::<f64>()?;
        assert_eq!(got, switch_case(&Tensor::from(i), &branches, None)?.item::<f64>()?);
        assert_eq!(got, [4.0, 6.0, 9.0][usize::try_from(i).unwrap_or(2).min(2)]);
    }
    let mut bad = Graph::new();
    let i = bad.add_placeholder(scalar(DType::F32));
    let e = bad.add_case(i, &[], vec![]).unwrap_err();
    assert!(e.message.contains("branch index"), "{e}");
    let i = bad.add_placeholder(scalar(DType::I64));
    assert!(bad.add_case(i, &[], vec![]).is_err());
    Ok(())
}

/// The while graph of [`power_while_graph`] with the loop's results as outputs.
fn power_graph(max_iterations: Option<i64>) -> Result<Graph> {
    let (mut g, outs) = power_while_graph(max_iterations)?;
    assert_eq!(outs.len(), 2);
    g.set_outputs(&outs)?;
    Ok(g)
}

#[test]
fn while_node_matches_eager_while_loop() -> Result<()> {
    let x = 1.5f64;
    let eager = |opts: WhileOptions| -> Result<(i32, f64)> {
        let xt = Tensor::from(x);
        let (i, y) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(4)),
            |(i, y): &(Tensor, Tensor)| Ok(((i + 1)?, (y * &xt)?)),
            (Tensor::from(0), xt.clone()),
            opts,
        )?;
        Ok((i.item()?, y.item()?))
    };
    let out = exec::run(&power_graph(None)?, &[Tensor::from(x)], &[])?;
    assert_eq!((out[0].item::<i32>()?, out[1].item::<f64>()?), eager(WhileOptions::default())?);
    assert_eq!(out[1].item::<f64>()?, x.powi(5));
    let out = exec::run(&power_graph(Some(2))?, &[Tensor::from(x)], &[])?;
    assert_eq!((out[0].item::<i32>()?, out[1].item::<f64>()?), eager(WhileOptions::max_iterations(2))?);
    assert_eq!(out[1].item::<f64>()?, x.powi(3));
    let e = power_graph(Some(-1)).unwrap_err();
    assert!(e.message.contains("max_iterations"), "{e}");
    Ok(())
}

/// Loop variables (i: int32, v: float32[n]): while i < 3: (i + 1, concat(v, [i])).
fn growing_graph(v_param: Spec) -> Result<Graph> {
    let i_spec = scalar(DType::I32);
    let mut c = Graph::new();
    let ci = c.add_placeholder(i_spec.clone());
    c.add_placeholder(v_param.clone());
    let three = c.add_const(Tensor::from(3));
    let lt = c.add_op1(&math::LESS, &[ci, three], Attrs::new())?;
    c.set_outputs(&[lt])?;
    let mut b = Graph::new();
    let bi = b.add_placeholder(i_spec);
    let bv = b.add_placeholder(v_param);
    let one = b.add_const(Tensor::from(1));
    let i1 = b.add_op1(&math::ADD, &[bi, one], Attrs::new())?;
    let fi = b.add_op1(&math::CAST, &[bi], Attrs::new().with("dtype", Attr::DType(DType::F32)))?;
    let item = b.add_op1(&tensile::ops::array::RESHAPE, &[fi], Attrs::new().with("shape", Attr::Ints(vec![1])))?;
    let v2 = b.add_op1(&CONCAT, &[bv, item], Attrs::new().with("axis", Attr::Int(0)))?;
    b.set_outputs(&[i1, v2])?;
    let mut g = Graph::new();
    let v0 = g.add_const(Tensor::from([7.0f32]));
    let zero = g.add_const(Tensor::from(0));
    let outs = g.add_while(&[zero, v0], c, b, None)?;
    g.set_outputs(&outs)?;
    Ok(g)
}

#[test]
fn while_node_shape_invariants_are_placeholder_specs() -> Result<()> {
    let e = growing_graph(Spec::new(DType::F32, &[1])).unwrap_err();
    assert!(e.message.contains("body declares argument 1 (loop variable 1)"), "{e}");
    assert!(e.message.contains("float32[1]") && e.message.contains("float32[None]"), "{e}");
    assert!(e.message.contains("shape invariant"), "{e}");
    let g = growing_graph(spec(DType::F32, &[None]))?;
    assert_eq!(g.output_specs()[1], spec(DType::F32, &[None]));
    let out = exec::run(&g, &[], &[])?;
    assert_eq!(out[1].to_vec::<f32>()?, vec![7.0, 0.0, 1.0, 2.0]);
    Ok(())
}

#[test]
fn while_builder_checks_cond_and_body() -> Result<()> {
    let f = scalar(DType::F64);
    let mut g = Graph::new();
    let x = g.add_placeholder(f.clone());
    // cond returning a float.
    let e = g.add_while(&[x], square(f.clone())?, square(f.clone())?, None).unwrap_err();
    assert!(e.message.contains("cond must return one scalar bool") && e.message.contains("float64[]"), "{e}");
    // body changing a loop variable's dtype.
    let to_f32 =
        unary(f.clone(), |g, x| g.add_op1(&math::CAST, &[x], Attrs::new().with("dtype", Attr::DType(DType::F32))))?;
    let is_pos = unary(f.clone(), |g, x| {
        let z = g.add_const(Tensor::from(0.0f64));
        g.add_op1(&math::GREATER, &[x, z], Attrs::new())
    })?;
    let e = g.add_while(&[x], is_pos.clone(), to_f32, None).unwrap_err();
    assert!(e.message.contains("loop variable 0") && e.message.contains("float32[]"), "{e}");
    // body returning more loop variables than there are inputs.
    let two = unary(f.clone(), |g, x| Ok(g.add_op(&tensile::ops::array::IDENTITY, &[x], Attrs::new())?[0]))?;
    let (nodes, inputs, outputs) = two.into_parts();
    let two = Graph::from_parts(nodes, inputs, vec![outputs[0], outputs[0]])?;
    let e = g.add_while(&[x], is_pos, two, None).unwrap_err();
    assert!(e.message.contains("2 loop variables"), "{e}");
    Ok(())
}

#[test]
fn tapes_differentiate_through_the_branch_and_iterations_that_ran() -> Result<()> {
    let g = cond_graph()?;
    for (x, want) in [(2.0f64, 4.0), (-1.0, -3.0)] {
        let x = Tensor::from(x);
        let tape = GradientTape::new();
        let y = tape.scope(|t| {
            t.watch(&x);
            exec::run(&g, std::slice::from_ref(&x), &[])
        })??;
        assert_eq!(tape.gradient(&y[0], &[&x])?[0].as_ref().unwrap().item::<f64>()?, want);
    }
    let g = power_graph(None)?;
    let x = Tensor::from(1.5f64);
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        exec::run(&g, std::slice::from_ref(&x), &[])
    })??;
    let d = tape.gradient(&y[1], &[&x])?[0].as_ref().unwrap().item::<f64>()?;
    assert!((d - 5.0 * 1.5f64.powi(4)).abs() < 1e-12, "{d}");
    Ok(())
}

#[test]
fn sub_graphs_read_the_outer_variables() -> Result<()> {
    let f = scalar(DType::F32);
    let then_g = unary(f.clone(), |g, x| {
        let w = g.add_variable(1, f.clone());
        g.add_op1(&math::MUL, &[x, w], Attrs::new())
    })?;
    let mut g = Graph::new();
    let p = g.add_placeholder(scalar(DType::Bool));
    let x = g.add_placeholder(f.clone());
    let y = g.add_cond(p, &[x], then_g, times(f, 1.0)?)?;
    g.set_outputs(&y)?;
    assert_eq!(g.num_variables(), 2);
    let vars = [Variable::new(Tensor::from(0.0f32), "unused"), Variable::new(Tensor::from(4.0f32), "w")];
    assert_eq!(exec::run(&g, &[Tensor::from(true), Tensor::from(2.0f32)], &vars)?[0].item::<f32>()?, 8.0);
    assert!(exec::run(&g, &[Tensor::from(true), Tensor::from(2.0f32)], &vars[..1]).is_err());
    Ok(())
}

#[test]
fn json_round_trips_nested_graphs() -> Result<()> {
    for g in [cond_graph()?, case_graph()?, power_graph(Some(3))?, growing_graph(spec(DType::F32, &[None]))?] {
        let text = g.to_json()?;
        let back = Graph::from_json(&text)?;
        assert_eq!(back, g);
        assert_eq!(back.to_string(), g.to_string());
        assert_eq!(back.to_json()?, text);
    }
    let back = Graph::from_json(&power_graph(Some(3))?.to_json()?)?;
    let NodeKind::While { max_iterations, .. } = &back.nodes()[2].kind else { panic!("not a while node") };
    assert_eq!(*max_iterations, Some(3));
    assert_eq!(exec::run(&back, &[Tensor::from(2.0f64)], &[])?[1].item::<f64>()?, 16.0);
    Ok(())
}

fn expect_rejected(v: &Value, needle: &str) {
    match Graph::from_json(&v.to_string()) {
        Ok(_) => panic!("accepted a bad document: {v}"),
        Err(e) => assert!(e.to_string().contains(needle), "expected `{needle}` in: {e}"),
    }
}

/// A graph `x: float32[] -> op(pred, x)` whose branches are `inner` (a sub-graph doc): a cond
/// with both branches `inner`, or a case with `inner` as its only branch (linear document size).
fn wrap(inner: Value, op: &str) -> Value {
    let (pred, subgraphs) = match op {
        "cond" => (json!({"dtype": "bool", "shape": [], "values": [true]}), json!([inner.clone(), inner])),
        _ => (json!({"dtype": "int32", "shape": [], "values": [0]}), json!([inner])),
    };
    let pred_dtype = pred["dtype"].clone();
    json!({"inputs": [0], "outputs": [[2, 0]], "nodes": [
        {"id": 0, "op": "placeholder", "outputs": [{"dtype": "float32", "shape": []}]},
        {"id": 1, "op": "const", "value": pred, "outputs": [{"dtype": pred_dtype, "shape": []}]},
        {"id": 2, "op": op, "inputs": [[1, 0], [0, 0]], "subgraphs": subgraphs,
         "outputs": [{"dtype": "float32", "shape": []}]}
    ]})
}

fn nested_doc(levels: usize, op: &str) -> Value {
    let mut g = json!({"inputs": [0], "outputs": [[0, 0]], "nodes": [
        {"id": 0, "op": "placeholder", "outputs": [{"dtype": "float32", "shape": []}]}
    ]});
    for _ in 0..levels {
        g = wrap(g, op);
    }
    g["format_version"] = json!(1);
    g
}

#[test]
fn hostile_nested_documents_are_rejected_cleanly() -> Result<()> {
    // The deepest allowed nesting loads and runs.
    let ok = Graph::from_json(&nested_doc(MAX_NESTING_DEPTH - 1, "case").to_string())?;
    assert_eq!(ok.nesting_depth(), MAX_NESTING_DEPTH);
    assert_eq!(exec::run(&ok, &[Tensor::from(2.5f32)], &[])?[0].item::<f32>()?, 2.5);
    expect_rejected(&nested_doc(MAX_NESTING_DEPTH, "case"), "deeper than the limit");
    // Far deeper than the JSON parser's own recursion limit: an error, not a stack overflow.
    let mut deep = String::from("{\"format_version\": 1, \"inputs\": [], \"outputs\": [], \"nodes\": [");
    for _ in 0..5000 {
        deep.push_str("{\"id\": 0, \"op\": \"cond\", \"outputs\": [], \"subgraphs\": [{\"inputs\": [], \"outputs\": [], \"nodes\": [");
    }
    assert!(Graph::from_json(&deep).is_err());
    let mut v = nested_doc(1, "cond");
    v["nodes"][2]["subgraphs"].as_array_mut().unwrap().pop();
    expect_rejected(&v, "needs exactly 2 sub-graphs, has 1");
    let mut v = nested_doc(1, "cond");
    v["nodes"][2]["max_iterations"] = json!(3);
    expect_rejected(&v, "only while nodes");
    let mut v = nested_doc(1, "cond");
    v["nodes"][1]["subgraphs"] = json!([]);
    v["nodes"][1]["subgraphs"] = v["nodes"][2]["subgraphs"].clone();
    expect_rejected(&v, "only cond, while and case nodes");
    // A branch whose argument does not accept the operand.
    let mut v = nested_doc(1, "cond");
    v["nodes"][2]["subgraphs"][1]["nodes"][0]["outputs"][0]["dtype"] = json!("float64");
    expect_rejected(&v, "else_branch declares argument 0");
    // Declared outputs that disagree with the branches.
    let mut v = nested_doc(1, "cond");
    v["nodes"][2]["outputs"][0]["shape"] = json!([2]);
    expect_rejected(&v, "declares outputs");
    // A broken sub-graph names where it is.
    let mut v = nested_doc(1, "cond");
    v["nodes"][2]["subgraphs"][0]["outputs"] = json!([[9, 0]]);
    expect_rejected(&v, "in sub-graph 0 of node %2, cond");
    let mut v = power_graph(None)?.to_json()?.parse::<Value>().unwrap();
    v["nodes"][2]["max_iterations"] = json!(-5);
    expect_rejected(&v, "max_iterations must be >= 0");
    let mut v = nested_doc(1, "cond");
    v["nodes"][2]["subgraphs"][0]["format_version"] = json!(1);
    expect_rejected(&v, "unknown field");
    let mut v = nested_doc(1, "case");
    v["nodes"][2]["subgraphs"] = json!([]);
    expect_rejected(&v, "needs at least 1 sub-graphs, has 0");
    // A while whose cond returns nothing, and one whose body returns more than it is given.
    let mut v = power_graph(None)?.to_json()?.parse::<Value>().unwrap();
    v["nodes"][2]["subgraphs"][0]["outputs"] = json!([]);
    expect_rejected(&v, "cond must return one scalar bool");
    let mut v = power_graph(None)?.to_json()?.parse::<Value>().unwrap();
    v["nodes"][2]["inputs"] = json!([[1, 0]]);
    expect_rejected(&v, "body returns 2 loop variables but the node has only 1 inputs");
    // Wrong kinds of values in the new fields.
    let mut v = power_graph(None)?.to_json()?.parse::<Value>().unwrap();
    v["nodes"][2]["max_iterations"] = json!("many");
    expect_rejected(&v, "invalid graph JSON");
    let mut v = nested_doc(1, "cond");
    v["nodes"][2]["subgraphs"] = json!({"a": 1});
    expect_rejected(&v, "invalid graph JSON");
    Ok(())
}

#[test]
fn builder_limits_nesting_depth() -> Result<()> {
    let f = scalar(DType::F32);
    let mut inner = unary(f.clone(), |g, x| g.add_op1(&tensile::ops::array::IDENTITY, &[x], Attrs::new()))?;
    for level in 1.. {
        let mut g = Graph::new();
        let x = g.add_placeholder(f.clone());
        let t = g.add_const(Tensor::from(true));
        let sub = Arc::new(inner);
        match g.add_cond(t, &[x], sub.clone(), sub) {
            Ok(y) => g.set_outputs(&y)?,
            Err(e) => {
                assert_eq!(level, MAX_NESTING_DEPTH);
                assert!(e.message.contains("levels deep"), "{e}");
                break;
            }
        }
        inner = g;
    }
    Ok(())
}

#[test]
fn validate_rejects_tampered_control_nodes() -> Result<()> {
    let g = cond_graph()?;
    let (mut nodes, inputs, outputs) = g.clone().into_parts();
    nodes[3].outputs[0] = scalar(DType::F32);
    assert!(Graph::from_parts(nodes, inputs.clone(), outputs.clone()).is_err());
    let (mut nodes, _, _) = g.clone().into_parts();
    nodes[3].inputs.pop();
    let e = Graph::from_parts(nodes, inputs.clone(), outputs.clone()).unwrap_err();
    assert!(e.message.contains("takes 1 arguments but the node passes 0"), "{e}");
    let (mut nodes, _, _) = g.into_parts();
    nodes[3].attrs = Attrs::new().with("x", Attr::Int(1));
    assert!(Graph::from_parts(nodes, inputs, outputs).is_err());
    Ok(())
}
