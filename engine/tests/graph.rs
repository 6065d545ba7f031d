//! Graph IR: building with shape inference, dumps, DOT, JSON round trips and hostile documents,
//! execution against eager results, argument checks, release of intermediates, tapes.

use serde_json::{json, Value};
use std::sync::{Arc, Weak};
use tensile::attrs::{Attr, Attrs};
use tensile::graph::{exec, print, Graph, NodeKind, Output};
use tensile::ops::{array::SPLIT, math, reduce::REDUCE_SUM, Spec};
use tensile::prelude::*;
use tensile::shape::Dim;
use tensile::{ErrorKind, Storage};

fn spec(dtype: DType, dims: &[Dim]) -> Spec {
    Spec { dtype, dims: dims.iter().copied().collect() }
}

fn sum_axis1() -> Attrs {
    Attrs::new().with("axis", Attr::OptInts(Some(vec![1]))).with("keepdims", Attr::Bool(false))
}

/// `relu(reduce_sum(x * w, axis=1) + 0.5)` with `x: float32[None, 3]` and captured `w: float32[3]`.
fn dense_graph() -> Result<Graph> {
    let mut g = Graph::new();
    let x = g.add_placeholder(spec(DType::F32, &[None, Some(3)]));
    let w = g.add_variable(0, Spec::new(DType::F32, &[3]));
    let b = g.add_const(Tensor::from(0.5f32));
    let xw = g.add_op1(&math::MUL, &[x, w], Attrs::new())?;
    let s = g.add_op1(&REDUCE_SUM, &[xw], sum_axis1())?;
    let z = g.add_op1(&math::ADD, &[s, b], Attrs::new())?;
    let y = g.add_op1(&math::RELU, &[z], Attrs::new())?;
    g.set_outputs(&[y])?;
    Ok(g)
}

fn dense_eager(x: &Tensor, w: &Variable) -> Result<Tensor> {
    let xw = mul(x, &w.read_value())?;
    let s = reduce_sum(&xw, Some(&[1]), false)?;
    relu(&add(&s, &Tensor::from(0.5f32))?)
}

fn x_value() -> Tensor {
    Tensor::from([[1.0f32, -2.0, 3.0], [0.5, 0.25, -4.0]])
}

fn w_var() -> Variable {
    Variable::new(Tensor::from([0.5f32, 1.5, -1.0]), "w")
}

const DENSE_DUMP: &str = "\
%0 = placeholder[0] : float32[None, 3]
%1 = variable[0] : float32[3]
%2 = const 0.5 : float32[]
%3 = mul(%0, %1) : float32[None, 3]
%4 = reduce_sum(%3) {axis=[1], keepdims=false} : float32[None]
%5 = add(%4, %2) : float32[None]
%6 = relu(%5) : float32[None]
return %6
";

#[test]
fn dump_is_one_node_per_line() -> Result<()> {
    assert_eq!(dense_graph()?.to_string(), DENSE_DUMP);
    Ok(())
}

#[test]
fn dump_shows_multiple_outputs_control_inputs_and_constants() -> Result<()> {
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F64, &[4, 2]));
    let parts = g.add_op(&SPLIT, &[x], Attrs::new().with("num_split", Attr::Int(2)).with("axis", Attr::Int(0)))?;
    assert_eq!(parts, vec![Output::new(1, 0), Output::new(1, 1)]);
    let c = g.add_const(Tensor::from([[1i32, 2], [3, 4]]));
    let big = g.add_const(Tensor::from(vec![true; 9]));
    let y = g.add_op1(&math::SUB, &[parts[1], parts[0]], Attrs::new())?;
    g.add_control_input(y.node, c.node)?;
    g.add_control_input(y.node, big.node)?;
    g.set_outputs(&[y, parts[1]])?;
    let expected = "\
%0 = placeholder[0] : float64[4, 2]
%1 = split(%0) {num_split=2, axis=0} : (float64[2, 2], float64[2, 2])
%2 = const [[1, 2], [3, 4]] : int32[2, 2]
%3 = const <9 elements> : bool[9]
%4 = sub(%1:1, %1, ^%2, ^%3) : float64[2, 2]
return %4, %1:1
";
    assert_eq!(g.to_string(), expected);
    let dot = print::to_dot(&g);
    assert!(dot.contains("n1 -> n4 [label=\":1 float64[2, 2]\"];"), "{dot}");
    assert!(dot.contains("n1 -> n4 [label=\"float64[2, 2]\"];"), "{dot}");
    assert!(dot.contains("n2 -> n4 [style=dashed];"), "{dot}");
    assert!(dot.contains("n1 -> result1 [label=\":1 float64[2, 2]\"];"), "{dot}");
    Ok(())
}

#[test]
fn dot_has_labelled_nodes_and_edges() -> Result<()> {
    let dot = print::to_dot(&dense_graph()?);
    assert!(dot.starts_with("digraph G {\n"), "{dot}");
    assert!(dot.ends_with("}\n"), "{dot}");
    for line in [
        "n0 [shape=ellipse, label=\"%0 placeholder[0]\\nfloat32[None, 3]\"];",
        "n1 [shape=cylinder, label=\"%1 variable[0]\\nfloat32[3]\"];",
        "n3 [shape=box, label=\"%3 mul\\nfloat32[None, 3]\"];",
        "n4 [shape=box, label=\"%4 reduce_sum\\nfloat32[None]\"];",
        "n0 -> n3 [label=\"float32[None, 3]\"];",
        "n1 -> n3 [label=\"float32[3]\"];",
        "n3 -> n4 [label=\"float32[None, 3]\"];",
        "n2 -> n5 [label=\"float32[]\"];",
        "n6 -> result0 [label=\"float32[None]\"];",
    ] {
        assert!(dot.contains(line), "missing {line:?} in\n{dot}");
    }
    assert_eq!(dot.matches(" -> ").count(), 7);
    Ok(())
}

#[test]
fn shape_errors_surface_while_building() -> Result<()> {
    let mut g = Graph::new();
    let x = g.add_placeholder(spec(DType::F32, &[None, Some(3)]));
    let c = g.add_const(Tensor::from([1.0f32, 2.0, 3.0, 4.0]));
    let e = g.add_op(&math::MUL, &[x, c], Attrs::new()).unwrap_err();
    assert_eq!(e.op.as_deref(), Some("mul"));
    assert!(e.message.contains("[None, 3]") && e.message.contains("[4]"), "{e}");
    let i = g.add_const(Tensor::from([1i32, 2, 3]));
    let e = g.add_op(&math::ADD, &[x, i], Attrs::new()).unwrap_err();
    assert!(e.message.contains("float32") && e.message.contains("int32"), "{e}");
    let e = g.add_op(&math::RELU, &[Output::new(9, 0)], Attrs::new()).unwrap_err();
    assert!(e.message.contains("%9") && e.message.contains("3 nodes"), "{e}");
    let e = g.add_op(&math::RELU, &[Output::new(0, 1)], Attrs::new()).unwrap_err();
    assert!(e.message.contains("output 1 of %0 (placeholder), which has 1 outputs"), "{e}");
    let e = g.add_op(&REDUCE_SUM, &[x], Attrs::new().with("axis", Attr::OptInts(Some(vec![5])))).unwrap_err();
    assert!(e.message.contains("axis 5"), "{e}");
    assert!(g.set_outputs(&[Output::new(7, 0)]).is_err());
    // Nothing was added by the failed calls.
    assert_eq!(g.len(), 3);
    Ok(())
}

#[test]
fn unknown_dims_propagate() -> Result<()> {
    let mut g = Graph::new();
    let a = g.add_placeholder(spec(DType::F32, &[None, Some(1)]));
    let b = g.add_placeholder(spec(DType::F32, &[Some(5)]));
    let s = g.add_op1(&math::ADD, &[a, b], Attrs::new())?;
    assert_eq!(g.spec(s).unwrap().fmt_dims(), "[None, 5]");
    Ok(())
}

#[test]
fn control_edges_order_execution_and_cycles_are_rejected() -> Result<()> {
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F32, &[2]));
    let a = g.add_op1(&math::NEG, &[x], Attrs::new())?;
    let b = g.add_op1(&math::EXP, &[x], Attrs::new())?;
    g.set_outputs(&[a, b])?;
    // `a` is stored first but must run after `b`.
    g.add_control_input(a.node, b.node)?;
    let e = g.add_control_input(b.node, a.node).unwrap_err();
    assert!(e.message.contains("cycle"), "{e}");
    assert!(g.add_control_input(a.node, 17).is_err());
    assert_eq!(g.topological_order()?, vec![0, 2, 1]);
    let mut seen = Vec::new();
    exec::run_observed(&g, &[Tensor::from([1.0f32, 2.0])], &[], &mut |n, _| seen.push(n.id))?;
    assert_eq!(seen, vec![0, 2, 1]);
    Ok(())
}

#[test]
fn nodes_may_be_stored_out_of_order() -> Result<()> {
    // A rewrite that appends a node and points an earlier consumer at it.
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F64, &[3]));
    let y = g.add_op1(&math::NEG, &[x], Attrs::new())?;
    let z = g.add_op1(&math::SQUARE, &[x], Attrs::new())?;
    g.set_outputs(&[y])?;
    let (mut nodes, inputs, _) = g.into_parts();
    nodes[y.node].inputs = vec![z];
    let g = Graph::from_parts(nodes, inputs, vec![y])?;
    assert_eq!(g.topological_order()?, vec![0, 2, 1]);
    let out = exec::run(&g, &[Tensor::from([1.0, 2.0, -3.0])], &[])?;
    assert_eq!(out[0].to_vec::<f64>()?, vec![-1.0, -4.0, -9.0]);
    Ok(())
}

#[test]
fn validate_rejects_inconsistent_parts() -> Result<()> {
    let g = dense_graph()?;
    let (nodes, inputs, outputs) = g.clone().into_parts();

    let mut bad = nodes.clone();
    bad[4].outputs[0] = Spec::new(DType::F32, &[7]);
    let e = Graph::from_parts(bad, inputs.clone(), outputs.clone()).unwrap_err();
    assert!(e.message.contains("%4 (reduce_sum) declares outputs (float32[7])"), "{e}");
    assert!(e.message.contains("gives (float32[None])"), "{e}");

    let mut bad = nodes.clone();
    bad[2].kind = NodeKind::Const(Tensor::from(1i32));
    let e = Graph::from_parts(bad, inputs.clone(), outputs.clone()).unwrap_err();
    assert!(e.message.contains("constant %2 holds a int32[] value but declares float32[]"), "{e}");

    let e = Graph::from_parts(nodes.clone(), vec![], outputs.clone()).unwrap_err();
    assert!(e.message.contains("placeholder %0 is not one of the graph's arguments"), "{e}");
    let e = Graph::from_parts(nodes.clone(), vec![0, 0], outputs.clone()).unwrap_err();
    assert!(e.message.contains("more than one argument"), "{e}");
    let e = Graph::from_parts(nodes.clone(), vec![3], outputs.clone()).unwrap_err();
    assert!(e.message.contains("a mul node"), "{e}");

    let mut bad = nodes.clone();
    bad[3].inputs[0] = Output::new(5, 0);
    let e = Graph::from_parts(bad, inputs.clone(), outputs.clone()).unwrap_err();
    assert!(e.message.contains("cycle"), "{e}");

    let mut bad = nodes.clone();
    bad[5].id = 9;
    assert!(Graph::from_parts(bad, inputs.clone(), outputs.clone()).is_err());

    let mut bad = nodes.clone();
    bad[0].outputs[0] = spec(DType::F64, &[Some(1 << 40), Some(1 << 40)]);
    let e = Graph::from_parts(bad, inputs.clone(), outputs).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourceExhausted, "{e}");
    assert!(e.message.contains("output 0 of %0 (placeholder)"), "{e}");
    Ok(())
}

#[test]
fn executor_matches_eager() -> Result<()> {
    let g = dense_graph()?;
    let (x, w) = (x_value(), w_var());
    let out = exec::run(&g, std::slice::from_ref(&x), std::slice::from_ref(&w))?;
    let eager = dense_eager(&x, &w)?;
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].shape(), eager.shape());
    assert_eq!(out[0].to_vec::<f32>()?, eager.to_vec::<f32>()?);
    // relu(0.5 - 3 - 3 + 0.5) = 0; relu(0.25 + 0.375 + 4 + 0.5) = 5.125
    assert_eq!(out[0].to_vec::<f32>()?, vec![0.0, 5.125]);
    // Another batch size, and a variable assignment seen without rebuilding.
    w.assign(&Tensor::from([1.0f32, 1.0, 1.0]))?;
    let x3 = Tensor::from([[1.0f32, 1.0, 1.0], [2.0, 2.0, 2.0], [-1.0, 0.0, 0.0]]);
    let out = exec::run(&g, std::slice::from_ref(&x3), std::slice::from_ref(&w))?;
    assert_eq!(out[0].to_vec::<f32>()?, dense_eager(&x3, &w)?.to_vec::<f32>()?);
    assert_eq!(out[0].to_vec::<f32>()?, vec![3.5, 6.5, 0.0]);
    Ok(())
}

#[test]
fn plan_is_cached_and_reset_by_mutation() -> Result<()> {
    let mut g = dense_graph()?;
    let p1 = exec::plan(&g)?;
    assert!(Arc::ptr_eq(&p1, &exec::plan(&g)?));
    assert_eq!(p1.order(), &[0, 1, 2, 3, 4, 5, 6]);
    // %3 (x * w) is released right after %4 consumes it; x and w after %3.
    assert_eq!(p1.released_after(4), vec![Output::new(3, 0)]);
    assert_eq!(p1.released_after(3), vec![Output::new(0, 0), Output::new(1, 0)]);
    let out = g.outputs()[0];
    g.set_outputs(&[out])?;
    assert!(!Arc::ptr_eq(&p1, &exec::plan(&g)?));
    Ok(())
}

#[test]
fn feeds_are_checked_against_placeholders() -> Result<()> {
    let g = dense_graph()?;
    let w = w_var();
    let e = exec::run(&g, &[Tensor::from([[1.0f32, 2.0, 3.0, 4.0]])], std::slice::from_ref(&w)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("argument 0 must be a float32[None, 3] tensor, got float32[1, 4]"), "{e}");
    let e = exec::run(&g, &[Tensor::from([[1.0f64, 2.0, 3.0]])], std::slice::from_ref(&w)).unwrap_err();
    assert!(e.message.contains("argument 0 must be a float32[None, 3] tensor, got float64[1, 3]"), "{e}");
    let e = exec::run(&g, &[Tensor::from([1.0f32, 2.0, 3.0])], std::slice::from_ref(&w)).unwrap_err();
    assert!(e.message.contains("got float32[3]"), "{e}");
    let e = exec::run(&g, &[], std::slice::from_ref(&w)).unwrap_err();
    assert!(e.message.contains("takes 1 arguments, 0 were given"), "{e}");
    let e = exec::run(&g, &[x_value()], &[]).unwrap_err();
    assert!(e.message.contains("reads 1 captured variables but 0 were given"), "{e}");
    let wrong = Variable::new(Tensor::from([1.0f32, 2.0]), "short");
    let e = exec::run(&g, &[x_value()], &[wrong]).unwrap_err();
    assert!(e.message.contains("'short:0' is float32[2], but node %1 expects float32[3]"), "{e}");
    Ok(())
}

#[test]
fn run_time_errors_name_the_node() -> Result<()> {
    let mut g = Graph::new();
    let a = g.add_placeholder(Spec::new(DType::I32, &[2]));
    let b = g.add_placeholder(Spec::new(DType::I32, &[2]));
    let q = g.add_op1(&math::FLOORDIV, &[a, b], Attrs::new())?;
    g.set_outputs(&[q])?;
    let e = exec::run(&g, &[Tensor::from([1i32, 2]), Tensor::from([1i32, 0])], &[]).unwrap_err();
    assert!(e.message.contains("division by zero") && e.message.contains("(in graph node %2 = floordiv)"), "{e}");
    Ok(())
}

#[test]
fn intermediates_are_released_after_last_use() -> Result<()> {
    // big = x * x (1M elements), s = sum(big), y = s + 1: big must be gone once y runs.
    let mut g = Graph::new();
    let x = g.add_placeholder(spec(DType::F32, &[None]));
    let big = g.add_op1(&math::MUL, &[x, x], Attrs::new())?;
    let s = g.add_op1(&REDUCE_SUM, &[big], Attrs::new().with("axis", Attr::OptInts(None)))?;
    let one = g.add_const(Tensor::from(1.0f32));
    let y = g.add_op1(&math::ADD, &[s, one], Attrs::new())?;
    g.set_outputs(&[y])?;
    let xv = Tensor::from(vec![0.5f32; 1 << 20]);

    let check = |g: &Graph| -> Result<(bool, Weak<Storage>)> {
        let mut weak: Option<Weak<Storage>> = None;
        let mut alive_at_y = None;
        let out = exec::run_observed(g, std::slice::from_ref(&xv), &[], &mut |n, outs| {
            if n.id == big.node {
                weak = Some(Arc::downgrade(outs[0].shared_storage()));
            }
            if n.id == y.node {
                alive_at_y = weak.as_ref().map(|w| w.strong_count() > 0);
            }
        })?;
        assert_eq!(out[0].item::<f32>()?, 262_145.0);
        Ok((alive_at_y.unwrap(), weak.unwrap()))
    };
    let (alive, weak) = check(&g)?;
    assert!(!alive, "the 1M-element intermediate outlived its last consumer");
    assert_eq!(weak.strong_count(), 0);

    // When the same value is also a result it stays alive and is returned.
    g.set_outputs(&[y, big])?;
    let (alive, _) = check(&g)?;
    assert!(alive);
    Ok(())
}

#[test]
fn tape_differentiates_through_a_graph_run() -> Result<()> {
    let g = dense_graph()?;
    let x = Tensor::from([[1.0f32, 2.0, 3.0], [-0.5, 0.25, 4.0]]);
    let w = w_var();

    let tape = GradientTape::persistent();
    let y = tape.scope(|t| {
        t.watch(&x);
        exec::run(&g, std::slice::from_ref(&x), std::slice::from_ref(&w))
    })??;
    let graph_grads = tape.gradient(&y[0], &[&x, &w])?;

    let tape = GradientTape::persistent();
    let y_eager = tape.scope(|t| {
        t.watch(&x);
        dense_eager(&x, &w)
    })??;
    let eager_grads = tape.gradient(&y_eager, &[&x, &w])?;

    assert_eq!(y[0].to_vec::<f32>()?, y_eager.to_vec::<f32>()?);
    for (a, b) in graph_grads.iter().zip(&eager_grads) {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(a.shape(), b.shape());
        assert_eq!(a.to_vec::<f32>()?, b.to_vec::<f32>()?);
    }
    // y = [relu(0.5 + 3 - 3 + 0.5), relu(-0.25 + 0.375 - 4 + 0.5)] = [1, 0]: only row 0
    // passes gradient; dy/dx = w there and dy/dw = x[0].
    assert_eq!(graph_grads[0].as_ref().unwrap().to_vec::<f32>()?, vec![0.5, 1.5, -1.0, 0.0, 0.0, 0.0]);
    assert_eq!(graph_grads[1].as_ref().unwrap().to_vec::<f32>()?, vec![1.0, 2.0, 3.0]);
    Ok(())
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_round_trip_is_identical() -> Result<()> {
    let g = dense_graph()?;
    let text = g.to_json()?;
    let back = Graph::from_json(&text)?;
    assert_eq!(back, g);
    assert_eq!(back.to_string(), DENSE_DUMP);
    assert_eq!(back.to_json()?, text);
    let (x, w) = (x_value(), w_var());
    let a = exec::run(&g, std::slice::from_ref(&x), std::slice::from_ref(&w))?;
    let b = exec::run(&back, &[x], &[w])?;
    assert_eq!(a[0].to_vec::<f32>()?, b[0].to_vec::<f32>()?);
    // The pretty form reads back too.
    assert_eq!(Graph::from_json(&tensile::graph::serial::to_json_pretty(&g)?)?, g);
    Ok(())
}

#[test]
fn json_layout_is_documented_shape() -> Result<()> {
    let v: Value = serde_json::from_str(&dense_graph()?.to_json()?).unwrap();
    assert_eq!(v["format_version"], json!(1));
    assert_eq!(v["inputs"], json!([0]));
    assert_eq!(v["outputs"], json!([[6, 0]]));
    assert_eq!(
        v["nodes"][0],
        json!({"id": 0, "op": "placeholder", "outputs": [{"dtype": "float32", "shape": [null, 3]}]})
    );
    assert_eq!(v["nodes"][1]["variable"], json!(0));
    assert_eq!(v["nodes"][2]["value"], json!({"dtype": "float32", "shape": [], "values": [0.5]}));
    assert_eq!(
        v["nodes"][4],
        json!({"id": 4, "op": "reduce_sum", "inputs": [[3, 0]],
               "attrs": {"axis": {"opt_ints": [1]}, "keepdims": {"bool": false}},
               "outputs": [{"dtype": "float32", "shape": [null]}]})
    );
    Ok(())
}

#[test]
fn json_keeps_every_constant_and_attribute_exactly() -> Result<()> {
    let mut g = Graph::new();
    let consts = [
        Tensor::from(vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 1e-45, f32::MAX, 0.1, 1.0 / 3.0]),
        Tensor::from(vec![f64::NAN, f64::NEG_INFINITY, -0.0, 5e-324, f64::MAX, 0.1]),
        Tensor::from(vec![i32::MIN, i32::MAX, 0]),
        Tensor::from(vec![i64::MIN, i64::MAX, -1]),
        Tensor::from([[true, false], [false, true]]),
        Tensor::from_vec(Vec::<f32>::new(), &[0, 3])?,
    ];
    for c in &consts {
        g.add_const(c.clone());
    }
    let x = g.add_placeholder(Spec::new(DType::F32, &[2]));
    let attrs = Attrs::new()
        .with("clip", Attr::Float(f64::INFINITY))
        .with("name", Attr::Str("a \"quoted\" \u{e9} name".into()))
        .with("perm", Attr::Ints(vec![1, 0, i64::MIN]))
        .with("axis", Attr::OptInts(None))
        .with("to", Attr::DType(DType::Bool))
        .with("n", Attr::Int(-3));
    // `identity` ignores attributes it does not know, which lets every kind appear here.
    let y = g.add_op1(tensile::ops::lookup("identity").unwrap(), &[x], attrs)?;
    g.set_outputs(&[y])?;
    let back = Graph::from_json(&g.to_json()?)?;
    assert_eq!(back, g);
    for (a, b) in g.nodes().iter().zip(back.nodes()) {
        if let (NodeKind::Const(a), NodeKind::Const(b)) = (&a.kind, &b.kind) {
            let bits = |t: &Tensor| match t.storage() {
                Storage::F32(v) => v.iter().map(|x| x.to_bits() as u64).collect::<Vec<_>>(),
                Storage::F64(v) => v.iter().map(|x| x.to_bits()).collect(),
                _ => t.to_f64_vec().iter().map(|x| x.to_bits()).collect(),
            };
            assert_eq!(bits(a), bits(b));
            assert_eq!(a.shape(), b.shape());
        }
    }
    Ok(())
}

#[test]
fn float32_constants_round_trip_bit_exactly() -> Result<()> {
    // Pseudo-random bit patterns across the whole f32 range, including subnormals.
    let mut s = 0x9E37_79B9u32;
    let values: Vec<f32> = (0..20_000)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            f32::from_bits(s)
        })
        .filter(|v| !v.is_nan())
        .collect();
    let mut g = Graph::new();
    let c = g.add_const(Tensor::from(values.clone()));
    g.set_outputs(&[c])?;
    let back = Graph::from_json(&g.to_json()?)?;
    let NodeKind::Const(t) = &back.nodes()[0].kind else { panic!("not a const") };
    let got = t.to_vec::<f32>()?;
    for (a, b) in values.iter().zip(&got) {
        assert_eq!(a.to_bits(), b.to_bits(), "{a:e} came back as {b:e}");
    }
    Ok(())
}

/// An edit applied to a valid document to make it hostile.
type Edit = Box<dyn Fn(&mut Value)>;

fn dense_json() -> Value {
    serde_json::from_str(&dense_graph().unwrap().to_json().unwrap()).unwrap()
}

fn load(v: &Value) -> tensile::Error {
    match Graph::from_json(&v.to_string()) {
        Ok(g) => panic!("hostile document accepted:\n{g}"),
        Err(e) => e,
    }
}

#[test]
fn truncated_documents_are_rejected_at_every_length() {
    let text = dense_graph().unwrap().to_json().unwrap();
    for n in 0..text.len() {
        let e = Graph::from_json(&text[..n]).unwrap_err();
        assert!(e.message.starts_with("invalid graph JSON"), "prefix {n}: {e}");
    }
    let e = Graph::from_json(&text[..text.len() / 2]).unwrap_err();
    assert!(e.message.contains("EOF"), "{e}");
    assert!(Graph::from_json("[]").is_err());
    assert!(Graph::from_json("null").is_err());
}

#[test]
fn hostile_unknown_op_is_named() {
    let mut v = dense_json();
    v["nodes"][3]["op"] = json!("launch_missiles");
    let e = load(&v);
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("node %3: unknown op `launch_missiles`"), "{e}");
}

#[test]
fn hostile_versions_are_rejected() {
    let mut v = dense_json();
    v["format_version"] = json!(2);
    let e = load(&v);
    assert!(e.message.contains("unsupported format_version 2 (this build reads version 1)"), "{e}");
    v["format_version"] = json!("1");
    assert!(load(&v).message.contains("unsupported format_version \"1\""));
    v.as_object_mut().unwrap().remove("format_version");
    assert!(load(&v).message.contains("no `format_version`"));
    // A future version is reported as such even when the rest of the layout changed.
    let e = Graph::from_json(r#"{"format_version": 9, "graph": {"whatever": true}}"#).unwrap_err();
    assert!(e.message.contains("unsupported format_version 9"), "{e}");
}

#[test]
fn hostile_references_are_rejected() {
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|v| v["nodes"][3]["inputs"][0] = json!([99, 0])), "refers to node %99 but the graph has 7 nodes"),
        (Box::new(|v| v["nodes"][3]["inputs"][0] = json!([0, 4])), "refers to output 4 of %0 (placeholder)"),
        (Box::new(|v| v["outputs"] = json!([[6, 1]])), "graph output 0 %6:1"),
        (Box::new(|v| v["outputs"] = json!([[1000000, 0]])), "refers to node %1000000"),
        (Box::new(|v| v["inputs"] = json!([42])), "argument 0 refers to node %42"),
        (Box::new(|v| v["nodes"][5]["control_inputs"] = json!([8])), "control input ^%8 of %5"),
        (Box::new(|v| v["nodes"][3]["inputs"][0] = json!([6, 0])), "the graph has a cycle: %3 -> %4 -> %5 -> %6 -> %3"),
        (Box::new(|v| v["nodes"][3]["control_inputs"] = json!([3])), "the graph has a cycle: %3 -> %3"),
        (Box::new(|v| v["nodes"][3]["inputs"][0] = json!([-1, 0])), "invalid graph JSON"),
        (Box::new(|v| v["nodes"][2]["id"] = json!(5)), "node at position 2 has id %5"),
        (Box::new(|v| v["nodes"][3]["inputs"] = json!([[0, 0]])), "mul"),
    ];
    for (edit, expected) in cases {
        let mut v = dense_json();
        edit(&mut v);
        let e = load(&v);
        assert!(e.message.contains(expected), "expected {expected:?} in: {e}");
    }
}

#[test]
fn hostile_shapes_and_values_are_rejected() {
    let huge = json!({"dtype": "float32", "shape": [1u64 << 40, 1u64 << 40]});
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(move |v| v["nodes"][0]["outputs"][0] = huge.clone()), "does not fit in memory"),
        (
            Box::new(|v| v["nodes"][0]["outputs"][0] = json!({"dtype": "float32", "shape": [u64::MAX, 2]})),
            "does not fit in memory",
        ),
        (
            Box::new(|v| v["nodes"][0]["outputs"][0] = json!({"dtype": "float32", "shape": vec![1; 300]})),
            "rank 300 exceeds the limit of 254",
        ),
        (
            Box::new(|v| {
                v["nodes"][2]["value"] = json!({"dtype": "float32", "shape": [1000000000000u64], "values": [1]})
            }),
            "a constant of shape [1000000000000] needs 1000000000000 values, 1 given",
        ),
        (
            Box::new(|v| {
                v["nodes"][2]["value"] = json!({"dtype": "float32", "shape": [u64::MAX, u64::MAX], "values": []})
            }),
            "needs more than usize::MAX values",
        ),
        (
            Box::new(|v| v["nodes"][2]["value"] = json!({"dtype": "float32", "shape": [2], "values": [1, 2]})),
            "constant %2 holds a float32[2] value but declares float32[]",
        ),
        (Box::new(|v| v["nodes"][2]["value"]["values"] = json!([true])), "is not a valid float32"),
        (Box::new(|v| v["nodes"][2]["value"]["values"] = json!([1e300])), "is not a valid float32"),
        (Box::new(|v| v["nodes"][2]["value"]["values"] = json!(["NaN!"])), "unexpected string"),
        (Box::new(|v| v["nodes"][2]["value"]["dtype"] = json!("float16")), "unknown dtype `float16`"),
        (
            Box::new(|v| {
                v["nodes"][2]["value"] = json!({"dtype": "int32", "shape": [], "values": [3000000000u64]});
                v["nodes"][2]["outputs"][0]["dtype"] = json!("int32");
            }),
            "is not a valid int32",
        ),
        (Box::new(|v| v["nodes"][4]["outputs"][0]["shape"] = json!([7])), "declares outputs (float32[7])"),
        (
            Box::new(|v| v["nodes"][4]["outputs"] = json!([])),
            "refers to output 0 of %4 (reduce_sum), which has 0 outputs",
        ),
        (Box::new(|v| v["nodes"][2].as_object_mut().unwrap().remove("value").map(|_| ()).unwrap()), "needs a `value`"),
        (
            Box::new(|v| v["nodes"][1].as_object_mut().unwrap().remove("variable").map(|_| ()).unwrap()),
            "needs a `variable`",
        ),
        (Box::new(|v| v["nodes"][3]["value"] = v["nodes"][2]["value"].clone()), "only const nodes"),
        (Box::new(|v| v["nodes"][3]["surprise"] = json!(1)), "unknown field `surprise`"),
        (Box::new(|v| v["nodes"][4]["attrs"]["axis"] = json!({"opt_ints": [7]})), "axis 7"),
        (Box::new(|v| v["nodes"][4]["attrs"]["axis"] = json!({"complex": 1})), "unknown variant `complex`"),
        (Box::new(|v| v["nodes"][4]["attrs"]["bad name!"] = json!({"int": 1})), "invalid attribute name"),
        (Box::new(|v| v["nodes"][4]["attrs"][&"x".repeat(65)] = json!({"int": 1})), "invalid attribute name"),
    ];
    for (i, (edit, expected)) in cases.into_iter().enumerate() {
        let mut v = dense_json();
        edit(&mut v);
        let e = load(&v);
        assert!(e.message.contains(expected), "case {i}: expected {expected:?} in: {e}");
    }
}

#[test]
fn hostile_text_level_cases_are_rejected() {
    let text = dense_graph().unwrap().to_json().unwrap();
    // Duplicate attribute names (a JSON object with a repeated key).
    let dup = text.replace(r#""keepdims":{"bool":false}"#, r#""keepdims":{"bool":false},"keepdims":{"bool":true}"#);
    assert_ne!(dup, text);
    let e = Graph::from_json(&dup).unwrap_err();
    assert!(e.message.contains("duplicate attribute `keepdims`"), "{e}");
    // Deep nesting is cut off by the parser's recursion limit instead of overflowing the stack.
    let (open, close) = ("[".repeat(100_000), "]".repeat(100_000));
    let e = Graph::from_json(&format!(r#"{{"format_version": {open}{close}}}"#)).unwrap_err();
    assert!(e.message.contains("recursion limit"), "{e}");
    assert!(Graph::from_json(&format!(r#"{{"format_version": 1, "nodes": {open}{close}}}"#)).is_err());
    assert!(Graph::from_json(&format!(r#"{{"format_version": 1, "x": {open}{close}}}"#)).is_err());
    // Not valid UTF-8 cannot even reach the parser as &str; garbage does.
    assert!(Graph::from_json("\u{0}\u{1}garbage").is_err());
}

#[test]
fn shape_rules_never_panic_on_partially_known_dims() {
    // Deserialized graphs feed any spec and attribute to shape rules; unknown dims are the part
    // eager execution never exercises.
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let dims: Vec<Vec<Dim>> = vec![
        vec![None],
        vec![None, None],
        vec![None, Some(3)],
        vec![Some(2), None],
        vec![None, Some(0)],
        vec![None, Some(1), None],
        vec![Some(1 << 40), None],
    ];
    let big = 1i64 << 40;
    let mut attr_sets = vec![Attrs::new()];
    for (name, v) in [
        ("axis", Attr::Int(0)),
        ("axis", Attr::Int(-1)),
        ("axis", Attr::Int(i64::MIN)),
        ("axis", Attr::OptInts(Some(vec![1, 0]))),
        ("shape", Attr::Ints(vec![-1])),
        ("shape", Attr::Ints(vec![2, -1])),
        ("shape", Attr::Ints(vec![big, big])),
        ("perm", Attr::Ints(vec![1, 0])),
        ("multiples", Attr::Ints(vec![big, big])),
        ("num_split", Attr::Int(2)),
        ("num_split", Attr::Int(big)),
        ("num", Attr::Int(big)),
        ("depth", Attr::Int(big)),
        ("begin", Attr::Ints(vec![0, 0])),
        ("size", Attr::Ints(vec![-1, 1])),
        ("paddings", Attr::Ints(vec![1, 1, big, 0])),
    ] {
        attr_sets.push(Attrs::new().with(name, v));
    }
    let mut panics = Vec::new();
    let mut built = 0;
    for op in tensile::ops::registry() {
        for arity in 0..=3usize {
            for (i, d) in dims.iter().enumerate() {
                for dtype in [DType::F32, DType::I32] {
                    for attrs in &attr_sets {
                        let mut g = Graph::new();
                        let inputs: Vec<Output> =
                            (0..arity).map(|k| g.add_placeholder(spec(dtype, &dims[(i + k) % dims.len()]))).collect();
                        let r = catch_unwind(AssertUnwindSafe(|| g.add_op(op, &inputs, attrs.clone())));
                        match r {
                            Ok(Ok(_)) => built += 1,
                            Ok(Err(_)) => {}
                            Err(_) => panics.push(format!("{} on {d:?} {dtype} attrs {attrs:?}", op.name)),
                        }
                    }
                }
            }
        }
    }
    assert!(built > 1000, "only {built} calls succeeded");
    panics.dedup_by(|a, b| a.split(' ').next() == b.split(' ').next());
    assert!(panics.is_empty(), "shape rules panicked:\n{}", panics.join("\n"));
}

#[test]
fn random_graphs_match_eager_and_survive_json() -> Result<()> {
    // Each step applies a random op to earlier values both in a graph and eagerly.
    let unary = ["neg", "square", "tanh", "relu", "sigmoid", "abs"];
    let binary = ["add", "sub", "mul", "maximum", "minimum"];
    let mut s = 12345u64;
    let mut next = |n: usize| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % n as u64) as usize
    };
    for round in 0..40 {
        let mut g = Graph::new();
        let feeds = vec![
            tensile::testing::test_tensor(&[2 + round % 3, 3], round as u64, -2.0, 2.0),
            tensile::testing::test_tensor(&[3], 100 + round as u64, -2.0, 2.0),
        ];
        let mut outs =
            vec![g.add_placeholder(spec(DType::F64, &[None, Some(3)])), g.add_placeholder(Spec::new(DType::F64, &[3]))];
        let mut vals = feeds.clone();
        for _ in 0..12 {
            let (name, args) = if next(2) == 0 {
                (unary[next(unary.len())], vec![next(outs.len())])
            } else {
                (binary[next(binary.len())], vec![next(outs.len()), next(outs.len())])
            };
            let op = tensile::ops::lookup(name).unwrap();
            let ins: Vec<Output> = args.iter().map(|&i| outs[i]).collect();
            let tens: Vec<Tensor> = args.iter().map(|&i| vals[i].clone()).collect();
            outs.push(g.add_op1(op, &ins, Attrs::new())?);
            vals.push(tensile::ops::execute1(op, &tens, Attrs::new())?);
        }
        let sum = g.add_op1(&REDUCE_SUM, &[*outs.last().unwrap()], Attrs::new())?;
        outs.push(sum);
        vals.push(reduce_sum(vals.last().unwrap(), None, false)?);
        g.set_outputs(&outs[2..])?;
        let back = Graph::from_json(&g.to_json()?)?;
        assert_eq!(back, g);
        for graph in [&g, &back] {
            let got = exec::run(graph, &feeds, &[])?;
            for (k, (a, b)) in got.iter().zip(&vals[2..]).enumerate() {
                assert_eq!(a.shape(), b.shape(), "round {round} value {k}\n{g}");
                assert_eq!(a.to_vec::<f64>()?, b.to_vec::<f64>()?, "round {round} value {k}\n{g}");
            }
        }
    }
    Ok(())
}

#[test]
fn only_registered_ops_enter_graphs() {
    static ROGUE: tensile::ops::OpDef = tensile::ops::OpDef {
        name: "add",
        infer: |s, _| Ok(s.to_vec()),
        kernel: |i, _, _| Ok(i.to_vec()),
        grad: None,
        stateful: false,
        inplace: None,
    };
    let mut g = Graph::new();
    let x = g.add_placeholder(Spec::new(DType::F32, &[1]));
    let e = g.add_op(&ROGUE, &[x, x], Attrs::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("op `add` is not in the op registry"), "{e}");
}

#[test]
fn graphs_can_be_shared_across_threads() -> Result<()> {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Graph>();
    let g = Arc::new(dense_graph()?);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let g = g.clone();
            std::thread::spawn(move || -> Result<Vec<f32>> {
                let w = w_var();
                exec::run(&g, &[x_value()], std::slice::from_ref(&w))?[0].to_vec::<f32>()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap()?, vec![0.0, 5.125]);
    }
    Ok(())
}

/// `relu(matmul(x, w) + b)` with `x: float32[None, 4]`, captured `w: float32[4, 3]`, `b: float32[3]`.
fn layer_graph() -> Result<Graph> {
    let mut g = Graph::new();
    let x = g.add_placeholder(spec(DType::F32, &[None, Some(4)]));
    let w = g.add_variable(0, Spec::new(DType::F32, &[4, 3]));
    let b = g.add_variable(1, Spec::new(DType::F32, &[3]));
    let attrs = Attrs::new().with("transpose_a", Attr::Bool(false)).with("transpose_b", Attr::Bool(false));
    let xw = g.add_op1(&tensile::ops::linalg::MATMUL, &[x, w], attrs)?;
    let z = g.add_op1(&math::ADD, &[xw, b], Attrs::new())?;
    let y = g.add_op1(&math::RELU, &[z], Attrs::new())?;
    g.set_outputs(&[y])?;
    Ok(g)
}

#[test]
fn dense_layer_dumps_runs_and_differentiates_like_eager() -> Result<()> {
    let g = layer_graph()?;
    assert_eq!(
        g.to_string(),
        "\
%0 = placeholder[0] : float32[None, 4]
%1 = variable[0] : float32[4, 3]
%2 = variable[1] : float32[3]
%3 = matmul(%0, %1) {transpose_a=false, transpose_b=false} : float32[None, 3]
%4 = add(%3, %2) : float32[None, 3]
%5 = relu(%4) : float32[None, 3]
return %5
"
    );
    let mut bad = Graph::new();
    let x = bad.add_placeholder(spec(DType::F32, &[None, Some(5)]));
    let w = bad.add_variable(0, Spec::new(DType::F32, &[4, 3]));
    let e = bad.add_op(&tensile::ops::linalg::MATMUL, &[x, w], Attrs::new()).unwrap_err();
    assert_eq!(e.op.as_deref(), Some("matmul"));
    assert!(e.message.contains("[None, 5]") && e.message.contains("[4, 3]"), "{e}");

    let x =
        Tensor::from_vec(tensile::testing::test_values(20, 7, -1.0, 1.0).iter().map(|&v| v as f32).collect(), &[5, 4])?;
    let w = Variable::new(
        Tensor::from_vec(tensile::testing::test_values(12, 8, -1.0, 1.0).iter().map(|&v| v as f32).collect(), &[4, 3])?,
        "w",
    );
    let b = Variable::new(Tensor::from([0.1f32, -0.2, 0.3]), "b");
    let vars = [w.clone(), b.clone()];
    let eager = |x: &Tensor| relu(&add(&matmul(x, &w.read_value())?, &b.read_value())?);

    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        exec::run(&g, std::slice::from_ref(&x), &vars)
    })??;
    let from_graph = tape.gradient(&y[0], &[&x, &w, &b])?;
    let tape = GradientTape::new();
    let y_eager = tape.scope(|t| {
        t.watch(&x);
        eager(&x)
    })??;
    let from_eager = tape.gradient(&y_eager, &[&x, &w, &b])?;

    assert_eq!(y[0].shape(), &[5, 3]);
    assert_eq!(y[0].to_vec::<f32>()?, y_eager.to_vec::<f32>()?);
    let yv = y[0].to_vec::<f32>()?;
    assert!(yv.contains(&0.0) && yv.iter().any(|&v| v > 0.0), "relu should both clip and pass: {yv:?}");
    for (a, e) in from_graph.iter().zip(&from_eager) {
        let (a, e) = (a.as_ref().unwrap(), e.as_ref().unwrap());
        assert_eq!(a.shape(), e.shape());
        assert_eq!(a.to_vec::<f32>()?, e.to_vec::<f32>()?);
    }
    let back = Graph::from_json(&g.to_json()?)?;
    assert_eq!(exec::run(&back, &[x], &vars)?[0].to_vec::<f32>()?, y_eager.to_vec::<f32>()?);
    Ok(())
}
