//! `tf.function` for Rust closures: tracing, the signature cache, retracing and its
//! explanations, captured variables and constants, stateful ordering, nested functions,
//! gradients through and inside functions, and errors.

use std::cell::RefCell;
use std::rc::Rc;
use tensile::function::{Arg, ArgSpec, Function, FunctionOptions, TensorSpec};
use tensile::graph::NodeKind;
use tensile::ops::{math, reduce};
use tensile::prelude::*;

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>().expect("float32 tensor")
}

fn t1(v: &[f32]) -> Tensor {
    Tensor::from(v.to_vec())
}

/// `x * 2 + 1` as a function of one tensor.
fn affine() -> Function {
    Function::new("affine", FunctionOptions { arg_names: vec!["x".into()], ..Default::default() }, |args| {
        let x = args[0].tensor()?;
        Ok(Arg::Tensor(((x * 2.0)? + 1.0)?))
    })
}

#[test]
fn traced_call_matches_eager_and_caches_by_shape() -> Result<()> {
    let f = affine();
    let out = f.call(&[t1(&[1.0, 2.0, 3.0]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![3.0, 5.0, 7.0]);
    assert_eq!(f.tracing_count(), 1);
    // Same dtype and shape: the cached graph runs.
    let out = f.call(&[t1(&[0.5, -1.0, 10.0]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![2.0, -1.0, 21.0]);
    assert_eq!(f.tracing_count(), 1);
    // A new shape retraces, and the record says why.
    let out = f.call(&[t1(&[1.0, 1.0, 1.0, 1.0, 1.0]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![3.0; 5]);
    assert_eq!(f.tracing_count(), 2);
    let log = f.trace_log();
    assert!(log[0].reasons.is_empty());
    assert_eq!(log[1].reasons, vec!["x: shape [3] → [5]".to_string()]);
    // A new dtype too.
    f.call(&[Tensor::from(vec![1.0f64, 2.0, 3.0]).into()])?;
    assert_eq!(f.trace_log()[2].reasons, vec!["x: dtype float32 → float64".to_string()]);
    Ok(())
}

#[test]
fn traced_graph_holds_ops_not_values() -> Result<()> {
    let f = affine();
    let cf = f.get_concrete_function(&[TensorSpec::new(&[None], DType::F32).into()])?;
    let g = cf.graph();
    assert_eq!(g.inputs().len(), 1);
    assert_eq!(g.input_specs()[0].dims.as_slice(), &[None]);
    let ops: Vec<&str> = g.nodes().iter().map(|n| n.kind.name()).collect();
    assert!(ops.contains(&"mul") && ops.contains(&"add"), "{ops:?}");
    // One trace serves every length.
    for n in [1usize, 4, 9] {
        let x = Tensor::from_vec(vec![1.0f32; n], &[n])?;
        assert_eq!(f32s(&cf.call(&[x.into()])?.tensors()[0]), vec![3.0; n]);
    }
    assert_eq!(f.tracing_count(), 1);
    Ok(())
}

#[test]
fn python_values_are_part_of_the_key() -> Result<()> {
    let f = Function::new(
        "scale",
        FunctionOptions { arg_names: vec!["x".into(), "scale".into()], ..Default::default() },
        |args| {
            let x = args[0].tensor()?;
            let Arg::Float(s) = args[1] else { return Err(Error::invalid("scale", "want a float")) };
            Ok(Arg::Tensor((x * s)?))
        },
    );
    let x = t1(&[1.0, 2.0]);
    assert_eq!(f32s(f.call(&[(&x).into(), 2.0.into()])?.tensor()?), vec![2.0, 4.0]);
    assert_eq!(f32s(f.call(&[(&x).into(), 2.0.into()])?.tensor()?), vec![2.0, 4.0]);
    assert_eq!(f.tracing_count(), 1);
    assert_eq!(f32s(f.call(&[(&x).into(), 3.0.into()])?.tensor()?), vec![3.0, 6.0]);
    assert_eq!(f.tracing_count(), 2);
    assert_eq!(f.trace_log()[1].reasons, vec!["scale: 2.0 → 3.0".to_string()]);
    let sig = f.pretty_printed_concrete_signatures();
    assert_eq!(
        sig.split("\n\n").next().expect("first signature"),
        "Input Parameters:\n  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(2,), dtype=tf.float32, name=None)\n  \
         scale (POSITIONAL_OR_KEYWORD): Literal[2.0]\nOutput Type:\n  TensorSpec(shape=(2,), dtype=tf.float32, \
         name=None)\nCaptures:\n  None"
    );
    Ok(())
}

#[test]
fn input_signature_traces_once_and_rejects_mismatches() -> Result<()> {
    let f = Function::new(
        "sig",
        FunctionOptions {
            input_signature: Some(vec![TensorSpec::new(&[None, Some(2)], DType::F32)]),
            arg_names: vec!["x".into()],
            ..Default::default()
        },
        |args| Ok(Arg::Tensor(reduce::reduce_sum(args[0].tensor()?, Some(&[1]), false)?)),
    );
    let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    let b = Tensor::from([[1.0f32, 1.0], [2.0, 2.0], [3.0, 3.0]]);
    assert_eq!(f32s(f.call(&[a.into()])?.tensor()?), vec![3.0, 7.0]);
    assert_eq!(f32s(f.call(&[b.into()])?.tensor()?), vec![2.0, 4.0, 6.0]);
    assert_eq!(f.tracing_count(), 1);
    let err = f.call(&[Tensor::from([[1.0f32, 2.0, 3.0]]).into()]).expect_err("shape [1, 3] does not fit [None, 2]");
    assert!(err.message.contains("argument x") && err.message.contains("[None, 2]"), "{err}");
    let err = f.call(&[Tensor::from([[1.0f64, 2.0]]).into()]).expect_err("float64 does not fit float32");
    assert!(err.message.contains("float32") && err.message.contains("float64"), "{err}");
    assert_eq!(f.tracing_count(), 1);
    Ok(())
}

#[test]
fn reduce_retracing_generalizes_shapes() -> Result<()> {
    let f = Function::new(
        "relaxed",
        FunctionOptions { reduce_retracing: true, arg_names: vec!["x".into()], ..Default::default() },
        |args| Ok(Arg::Tensor(math::square(args[0].tensor()?)?)),
    );
    f.call(&[t1(&[1.0, 2.0, 3.0]).into()])?;
    let out = f.call(&[t1(&[1.0, 2.0, 3.0, 4.0, 5.0]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![1.0, 4.0, 9.0, 16.0, 25.0]);
    assert_eq!(f.tracing_count(), 2);
    assert!(f.trace_log()[1].signature.contains("shape=(None,)"), "{:?}", f.trace_log());
    // The relaxed trace covers every length from now on; the specific one stays cached.
    f.call(&[t1(&[2.0; 7]).into()])?;
    f.call(&[t1(&[2.0; 3]).into()])?;
    assert_eq!(f.tracing_count(), 2);
    assert_eq!(f.concrete_functions().len(), 2);
    Ok(())
}

#[test]
fn frequent_retracing_warns_naming_the_argument() -> Result<()> {
    let f = affine();
    for n in 1..=4 {
        f.call(&[Tensor::from_vec(vec![1.0f32; n], &[n])?.into()])?;
    }
    assert!(f.warnings().is_empty());
    f.call(&[Tensor::from_vec(vec![1.0f32; 5], &[5])?.into()])?;
    let w = f.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("5 of the last 5 calls") && w[0].contains("`x`"), "{}", w[0]);
    assert!(w[0].contains("input_signature") && w[0].contains("reduce_retracing"), "{}", w[0]);
    Ok(())
}

#[test]
fn variables_are_captured_by_reference() -> Result<()> {
    let v = Variable::new(Tensor::from(2.0f32), "w");
    let vv = v.clone();
    let f = Function::new("times_v", FunctionOptions::default(), move |args| {
        Ok(Arg::Tensor((args[0].tensor()? * &vv.read_value())?))
    });
    let x = t1(&[1.0, 2.0]);
    assert_eq!(f32s(f.call(&[(&x).into()])?.tensor()?), vec![2.0, 4.0]);
    v.assign(&Tensor::from(5.0f32))?;
    assert_eq!(f32s(f.call(&[(&x).into()])?.tensor()?), vec![5.0, 10.0]);
    assert_eq!(f.tracing_count(), 1);
    let cf = &f.concrete_functions()[0];
    assert_eq!(cf.variables().len(), 1);
    assert!(cf.graph().nodes().iter().any(|n| matches!(n.kind, NodeKind::Variable(0))));
    Ok(())
}

#[test]
fn eager_tensors_from_the_environment_become_constants() -> Result<()> {
    let c = t1(&[10.0, 20.0]);
    let cc = c.clone();
    let f =
        Function::new("plus_c", FunctionOptions::default(), move |args| Ok(Arg::Tensor((args[0].tensor()? + &cc)?)));
    assert_eq!(f32s(f.call(&[t1(&[1.0, 2.0]).into()])?.tensor()?), vec![11.0, 22.0]);
    let g = f.concrete_functions()[0].graph().clone();
    let consts: Vec<&Tensor> = g
        .nodes()
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Const(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(consts.iter().any(|t| f32s(t) == vec![10.0, 20.0]), "constants: {consts:?}");
    Ok(())
}

#[test]
fn assignments_run_in_program_order() -> Result<()> {
    let v = Variable::new(Tensor::from(1.0f32), "counter");
    let vv = v.clone();
    // read, add 1, read, double, read: the reads must see each write in order.
    let f = Function::new("steps", FunctionOptions::default(), move |_| {
        let a = vv.read_value();
        vv.assign_add(&Tensor::from(1.0f32))?;
        let b = vv.read_value();
        vv.assign(&(&vv.read_value() * 2.0)?)?;
        let c = vv.read_value();
        Ok(Arg::List(vec![a.into(), b.into(), c.into()]))
    });
    let out = f.call(&[])?.tensors();
    assert_eq!(out.iter().map(|t| t.item::<f32>().expect("scalar")).collect::<Vec<_>>(), vec![1.0, 2.0, 4.0]);
    assert_eq!(v.peek().item::<f32>()?, 4.0);
    let out = f.call(&[])?.tensors();
    assert_eq!(out.iter().map(|t| t.item::<f32>().expect("scalar")).collect::<Vec<_>>(), vec![4.0, 5.0, 10.0]);
    assert_eq!(f.tracing_count(), 1);
    // assign_add broadcasts a scalar delta, as it does eagerly.
    let m = Variable::new(Tensor::from([1.0f32, 2.0]), "m");
    let mm = m.clone();
    let g = Function::new("bump", FunctionOptions::default(), move |_| {
        mm.assign_add(&Tensor::from(0.5f32))?;
        Ok(Arg::None)
    });
    g.call(&[])?;
    assert_eq!(f32s(&m.peek()), vec![1.5, 2.5]);
    Ok(())
}

#[test]
fn variables_may_only_be_created_on_the_first_trace() -> Result<()> {
    let slot: Rc<RefCell<Vec<Variable>>> = Rc::default();
    let s = slot.clone();
    // Creates a variable on every trace, as a careless Keras-style build would.
    let f = Function::new("make", FunctionOptions::default(), move |args| {
        let x = args[0].tensor()?;
        let v = Variable::new(math::mul(&tensile::ops::array::ones_like(x)?, &Tensor::from(3.0f32))?, "made");
        s.borrow_mut().push(v.clone());
        Ok(Arg::Tensor((x * &v.read_value())?))
    });
    // The first trace may create it; its initializer (symbolic inside the trace) is evaluated.
    assert_eq!(f32s(f.call(&[t1(&[1.0, 2.0]).into()])?.tensor()?), vec![3.0, 6.0]);
    assert_eq!(f32s(&slot.borrow()[0].peek()), vec![3.0, 3.0]);
    let err = f.call(&[t1(&[1.0, 2.0, 3.0]).into()]).expect_err("second trace creates a variable");
    assert!(err.message.contains("non-first trace") && err.message.contains("'make'"), "{err}");
    // A failed trace is not cached.
    assert_eq!(f.concrete_functions().len(), 1);
    Ok(())
}

#[test]
fn calling_a_function_inside_a_trace_inlines_it() -> Result<()> {
    let inner = affine();
    let i2 = inner.clone();
    let outer = Function::new("outer", FunctionOptions::default(), move |args| {
        let y = i2.call(args)?;
        Ok(Arg::Tensor(math::square(y.tensor()?)?))
    });
    assert_eq!(f32s(outer.call(&[t1(&[1.0, 2.0]).into()])?.tensor()?), vec![9.0, 25.0]);
    // The inner function is traced on its own, and its graph copied into the outer one.
    assert_eq!(inner.tracing_count(), 1);
    let cf = &outer.concrete_functions()[0];
    let names: Vec<&str> = cf.tape_graph().nodes().iter().map(|n| n.kind.name()).collect();
    assert!(names.contains(&"mul") && names.contains(&"add") && names.contains(&"square"), "{names:?}");
    // The graph calls run has the three elementwise ops fused into one kernel.
    let fused: Vec<&str> = cf.graph().nodes().iter().map(|n| n.kind.name()).collect();
    assert_eq!(fused, vec!["placeholder", "fused_elementwise"], "{}", cf.graph());
    assert!(cf.pass_reports().iter().any(|r| r.starts_with("fuse_elementwise")), "{:?}", cf.pass_reports());
    Ok(())
}

#[test]
fn a_tape_outside_differentiates_through_the_call() -> Result<()> {
    // d/dx sum(tanh(x) * w) = (1 - tanh²x) * w, and d/dw = tanh(x).
    let w = Variable::new(t1(&[2.0, -1.0]), "w");
    let ww = w.clone();
    let f = Function::new("net", FunctionOptions::default(), move |args| {
        let y = (&math::tanh(args[0].tensor()?)? * &ww.read_value())?;
        Ok(Arg::Tensor(reduce::reduce_sum(&y, None, false)?))
    });
    let x = t1(&[0.5, -0.25]);
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        f.call(&[(&x).into()])
    })??;
    let g = tape.gradient(y.tensor()?, &[&x, &w])?;
    let gx = f32s(g[0].as_ref().expect("dx"));
    let gw = f32s(g[1].as_ref().expect("dw"));
    for (i, (&xi, &wi)) in [0.5f64, -0.25].iter().zip(&[2.0f64, -1.0]).enumerate() {
        let th = xi.tanh();
        assert!((gx[i] as f64 - (1.0 - th * th) * wi).abs() < 1e-6);
        assert!((gw[i] as f64 - th).abs() < 1e-6);
    }
    Ok(())
}

#[test]
fn a_tape_inside_builds_a_symbolic_gradient() -> Result<()> {
    // The whole step (forward, gradient, update) is one graph.
    let w = Variable::new(t1(&[1.0, 2.0]), "w");
    let ww = w.clone();
    let step = Function::new("step", FunctionOptions::default(), move |args| {
        let x = args[0].tensor()?;
        let tape = GradientTape::new();
        let loss = tape.scope(|_| reduce::reduce_sum(&math::square(&(x * &ww.read_value())?)?, None, false))??;
        let g = tape.gradient(&loss, &[&ww])?.remove(0).expect("gradient");
        ww.assign_sub(&(&g * 0.1)?)?;
        Ok(Arg::List(vec![loss.into(), g.into()]))
    });
    let x = t1(&[1.0, 3.0]);
    let out = step.call(&[(&x).into()])?.tensors();
    // loss = (1*1)² + (3*2)² = 37; dloss/dw = 2 x² w = [2, 36].
    assert_eq!(out[0].item::<f32>()?, 37.0);
    assert_eq!(f32s(&out[1]), vec![2.0, 36.0]);
    assert_eq!(f32s(&w.peek()), vec![1.0f32 - 2.0 * 0.1, 2.0f32 - 36.0 * 0.1]);
    let out = step.call(&[(&x).into()])?.tensors();
    assert!((out[0].item::<f32>()? - (0.64 + 9.0 * 2.56)).abs() < 1e-5);
    assert_eq!(step.tracing_count(), 1);
    let cf = &step.concrete_functions()[0];
    assert!(cf.graph().nodes().iter().any(|n| matches!(n.kind, NodeKind::Assign(..))));
    // Variable writes survive a JSON round trip and run the same.
    let back = tensile::graph::serial::from_json(&tensile::graph::serial::to_json(cf.graph())?)?;
    assert_eq!(format!("{back}"), format!("{}", cf.graph()));
    assert!(format!("{back}").contains("assign_sub_variable[0]"), "{back}");
    let before = f32s(&w.peek());
    tensile::graph::exec::run(&back, std::slice::from_ref(&x), cf.variables())?;
    let g = [2.0 * before[0], 18.0 * before[1]];
    assert_eq!(f32s(&w.peek()), vec![before[0] - g[0] * 0.1, before[1] - g[1] * 0.1]);
    Ok(())
}

#[test]
fn results_keep_their_structure() -> Result<()> {
    let f = Function::new("structured", FunctionOptions::default(), |args| {
        let Arg::List(items) = &args[0] else { return Err(Error::invalid("structured", "want a list")) };
        let a = items[0].tensor()?;
        let b = items[1].tensor()?;
        Ok(Arg::Dict(vec![
            ("sum".into(), Arg::Tensor((a + b)?)),
            ("pair".into(), Arg::List(vec![Arg::Tensor((a * b)?), Arg::Int(3), Arg::Str("tag".into())])),
        ]))
    });
    let out = f.call(&[Arg::List(vec![t1(&[1.0, 2.0]).into(), t1(&[3.0, 4.0]).into()])])?;
    let Arg::Dict(d) = out else { panic!("expected a dict") };
    assert_eq!(d[0].0, "sum");
    assert_eq!(f32s(d[0].1.tensor()?), vec![4.0, 6.0]);
    let Arg::List(pair) = &d[1].1 else { panic!("expected a list") };
    assert_eq!(f32s(pair[0].tensor()?), vec![3.0, 8.0]);
    // Python numbers come back as tensors, as in TensorFlow; strings stay plain.
    assert_eq!(pair[1].tensor()?.item::<i32>()?, 3);
    assert!(matches!(&pair[2], Arg::Str(s) if s == "tag"));
    Ok(())
}

#[test]
fn symbolic_tensors_print_like_graph_tensors_and_cannot_escape() -> Result<()> {
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let leaked: Rc<RefCell<Option<Tensor>>> = Rc::default();
    let (s, l) = (seen.clone(), leaked.clone());
    let f = Function::new(
        "leaky",
        FunctionOptions { input_signature: Some(vec![TensorSpec::new(&[None], DType::F32)]), ..Default::default() },
        move |args| {
            let y = (args[0].tensor()? + 1.0)?;
            s.borrow_mut().push(format!("{y}"));
            *l.borrow_mut() = Some(y.clone());
            Ok(Arg::Tensor(y))
        },
    );
    f.call(&[t1(&[1.0]).into()])?;
    let shown = seen.borrow()[0].clone();
    assert!(shown.starts_with("Tensor(\"add_") && shown.ends_with(":0\", shape=(None,), dtype=float32)"), "{shown}");
    let escaped = leaked.borrow().clone().expect("kept");
    assert!(escaped.is_symbolic());
    let err = math::exp(&escaped).expect_err("a traced value used eagerly");
    assert!(err.message.contains("outside the traced function"), "{err}");
    let err = escaped.to_vec::<f32>().expect_err("no values");
    assert!(err.message.contains("symbolic"), "{err}");
    Ok(())
}

#[test]
fn errors_while_tracing_name_the_function_and_op() {
    let f = Function::new("bad", FunctionOptions::default(), |args| {
        let x = args[0].tensor()?;
        Ok(Arg::Tensor(math::add(x, &Tensor::from([1.0f32, 2.0, 3.0]))?))
    });
    let err = f.call(&[t1(&[1.0, 2.0]).into()]).expect_err("shapes [2] and [3] do not broadcast");
    assert!(err.message.contains("while tracing tf.function 'bad'"), "{err}");
    assert!(err.to_string().contains("add"), "{err}");
    assert_eq!(f.concrete_functions().len(), 0);
    // The thread is left clean: eager execution works after the failed trace.
    assert!(!tensile::function::is_tracing());
    assert_eq!(f32s(&math::add(&t1(&[1.0]), &t1(&[2.0])).expect("eager add")), vec![3.0]);
}

#[test]
fn get_concrete_function_traces_once_per_spec() -> Result<()> {
    let f = affine();
    let spec: ArgSpec = TensorSpec::new(&[None], DType::F32).into();
    let a = f.get_concrete_function(std::slice::from_ref(&spec))?;
    let b = f.get_concrete_function(&[spec])?;
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert_eq!(f.tracing_count(), 1);
    // A call with any length uses it.
    f.call(&[t1(&[1.0; 6]).into()])?;
    assert_eq!(f.tracing_count(), 1);
    Ok(())
}

#[test]
fn gradients_over_a_none_batch_dimension_use_the_run_time_batch() -> Result<()> {
    // One trace for any batch size: the mean's divisor and the broadcasts of the backward pass
    // are computed from the batch each call brings.
    let w = Variable::new(t1(&[1.0, 2.0]), "w");
    let ww = w.clone();
    let f = Function::new(
        "grad_none",
        FunctionOptions {
            input_signature: Some(vec![TensorSpec::new(&[None, Some(2)], DType::F32)]),
            ..Default::default()
        },
        move |args| {
            let x = args[0].tensor()?;
            let tape = GradientTape::new();
            let loss = tape.scope(|_| reduce::reduce_mean(&math::square(&(x * &ww.read_value())?)?, None, false))??;
            let g = tape.gradient(&loss, &[&ww])?.remove(0).expect("connected");
            Ok(Arg::Tensor(g))
        },
    );
    // d/dw mean((x w)²) = Σ_rows 2 x² w / (rows · 2): w0: 2(1+9)(1)/4 = 5, w1: 2(4+16)(2)/4 = 20.
    let out = f.call(&[Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![5.0, 20.0]);
    // Three rows of ones: 2 · 3 · w / 6 = w.
    let out = f.call(&[Tensor::from([[1.0f32, 1.0], [1.0, 1.0], [1.0, 1.0]]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![1.0, 2.0]);
    assert_eq!(f.tracing_count(), 1);
    Ok(())
}

/// `sum(op(x))`'s gradient taken inside a function over a `[None, None]` float32 input.
fn unknown_dims_gradient(name: &str, op: fn(&Tensor) -> Result<Tensor>) -> Function {
    Function::new(
        name,
        FunctionOptions {
            input_signature: Some(vec![TensorSpec::new(&[None, None], DType::F32)]),
            ..Default::default()
        },
        move |args| {
            let x = args[0].tensor()?;
            let tape = GradientTape::new();
            let y = tape.scope(|t| {
                t.watch(x);
                reduce::reduce_sum(&op(x)?, None, false)
            })??;
            Ok(Arg::Tensor(tape.gradient(&y, &[x])?.remove(0).expect("connected")))
        },
    )
}

#[test]
fn einsum_gradient_with_every_size_known_only_at_run_time() -> Result<()> {
    // Summing rows then everything: every entry's gradient is 1.
    let f = unknown_dims_gradient("einsum_none", |x| tensile::ops::linalg::einsum("ij->i", std::slice::from_ref(x)));
    let out = f.call(&[Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).into()])?;
    assert_eq!((out.tensor()?.shape().to_vec(), f32s(out.tensor()?)), (vec![2, 2], vec![1.0; 4]));
    // The diagonal's gradient is the identity.
    let f = unknown_dims_gradient("trace_none", |x| tensile::ops::linalg::einsum("ii->i", std::slice::from_ref(x)));
    let out = f.call(&[Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    let out = f.call(&[Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![1.0, 0.0, 0.0, 1.0]);
    assert_eq!(f.tracing_count(), 1);
    Ok(())
}

#[test]
fn repeat_gradient_with_every_size_known_only_at_run_time() -> Result<()> {
    // Each row appears three times in repeat(x, [3], 0).
    let f = unknown_dims_gradient("repeat_none", |x| tensile::ops::rearrange::repeat(x, &[3], 0));
    let out = f.call(&[Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![3.0; 4]);
    let out = f.call(&[Tensor::from([[1.0f32, 2.0, 3.0]]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![3.0; 3]);
    assert_eq!(f.tracing_count(), 1);
    Ok(())
}

#[test]
fn tile_gradient_with_every_size_known_only_at_run_time() -> Result<()> {
    // Each element appears twice in tile(x, [2, 1]).
    let f = unknown_dims_gradient("tile_none", |x| tensile::ops::array::tile(x, &[2, 1]));
    let out = f.call(&[Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![2.0; 4]);
    let out = f.call(&[Tensor::from([[1.0f32, 2.0, 3.0]]).into()])?;
    assert_eq!(f32s(out.tensor()?), vec![2.0; 3]);
    assert_eq!(f.tracing_count(), 1);
    Ok(())
}

#[test]
fn a_first_trace_that_creates_variables_is_traced_again_when_asked() -> Result<()> {
    let slot: Rc<RefCell<Option<Variable>>> = Rc::default();
    let s = slot.clone();
    let traces = Rc::new(RefCell::new(0));
    let n = traces.clone();
    // Creates its variable once, guarded, as a Keras layer's build does.
    let f = Function::new(
        "lazy",
        FunctionOptions { retrace_after_creating_variables: true, ..Default::default() },
        move |args| {
            *n.borrow_mut() += 1;
            let x = args[0].tensor()?;
            let v = s.borrow_mut().get_or_insert_with(|| Variable::new(Tensor::from(2.0f32), "w")).clone();
            Ok(Arg::Tensor((x * &v.read_value())?))
        },
    );
    assert_eq!(f32s(f.call(&[Tensor::from(3.0f32).into()])?.tensor()?), vec![6.0]);
    assert_eq!(*traces.borrow(), 2);
    assert_eq!(f.tracing_count(), 2);
    assert_eq!(f.trace_log()[1].reasons, vec!["the first trace created the variable 'w:0': traced again to use it"]);
    assert_eq!(f.concrete_functions().len(), 1);
    // The kept graph reads the variable by reference.
    slot.borrow().as_ref().expect("created").assign(&Tensor::from(5.0f32))?;
    assert_eq!(f32s(f.call(&[Tensor::from(3.0f32).into()])?.tensor()?), vec![15.0]);
    assert_eq!(*traces.borrow(), 2);

    // A body that creates a variable on every trace fails on its first call.
    let g = Function::new(
        "careless",
        FunctionOptions { retrace_after_creating_variables: true, ..Default::default() },
        |args| {
            let v = Variable::new(Tensor::from(1.0f32), "v");
            Ok(Arg::Tensor((args[0].tensor()? + &v.read_value())?))
        },
    );
    let err = g.call(&[Tensor::from(1.0f32).into()]).expect_err("the second trace creates a variable");
    assert!(err.message.contains("only supports singleton tf.Variables"), "{err}");
    Ok(())
}

#[test]
fn tuples_are_keyed_apart_from_lists_and_objects_by_identity() -> Result<()> {
    let f = Function::new("id", FunctionOptions::default(), |args| Ok(args[0].clone()));
    let t = Tensor::from(1.0f32);
    let out = f.call(&[Arg::Tuple(vec![t.clone().into(), Arg::Int(2)])])?;
    assert!(matches!(&out, Arg::Tuple(v) if v.len() == 2), "{out:?}");
    f.call(&[Arg::List(vec![t.clone().into(), Arg::Int(2)])])?;
    assert_eq!(f.tracing_count(), 2);
    assert_eq!(f.trace_log()[1].reasons, vec!["arg0: a tuple of 2 → a list of 2"]);
    let obj = |id| Arg::Object(tensile::function::ObjectKey { id, repr: format!("<object {id}>") });
    f.call(&[Arg::List(vec![obj(7)])])?;
    f.call(&[Arg::List(vec![obj(7)])])?;
    f.call(&[Arg::List(vec![obj(8)])])?;
    assert_eq!(f.tracing_count(), 4);
    assert_eq!(f.trace_log()[3].reasons, vec!["arg0[0]: <object 7> → <object 8>"]);
    assert!(f.pretty_printed_concrete_signatures().contains("arg0 (POSITIONAL_OR_KEYWORD): Tuple[TensorSpec"));
    Ok(())
}
