//! Control flow inside `tf.function`: cond, while_loop and switch_case trace into graph nodes
//! holding sub-graphs, capture outer values, and compute what eager execution computes.

use tensile::control_flow::{cond, switch_case, while_loop, WhileOptions};
use tensile::function::{Function, FunctionOptions};
use tensile::graph::Graph;
use tensile::prelude::*;

fn f(name: &str, body: impl Fn(&[Tensor]) -> Result<Vec<Tensor>> + 'static) -> Function {
    Function::of_tensors(name, FunctionOptions::default(), body)
}

fn node_names(g: &Graph) -> Vec<&'static str> {
    g.nodes().iter().map(|n| n.kind.name()).collect()
}

fn only_graph(func: &Function) -> Graph {
    let cfs = func.concrete_functions();
    assert_eq!(cfs.len(), 1, "expected one trace");
    cfs[0].graph().clone()
}

fn sign_square(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    // Both branches read the outer `y`; only the true branch reads `x` twice.
    let pred = greater(&reduce_sum(x, None, false)?, &Tensor::from(0.0f64))?;
    cond(&pred, || &(x * x)? * y, || y - x)
}

#[test]
fn traced_cond_is_one_node_and_matches_eager() -> Result<()> {
    let func = f("sign_square", |a| Ok(vec![sign_square(&a[0], &a[1])?]));
    let y = Tensor::from([10.0f64, 20.0]);
    for x in [[1.0f64, 2.0], [-3.0, 1.0], [0.5, -0.25]] {
        let x = Tensor::from(x);
        let got = func.call_tensors(&[&x, &y])?;
        let want = sign_square(&x, &y)?;
        assert_eq!(got[0].to_vec::<f64>()?, want.to_vec::<f64>()?);
    }
    assert_eq!(func.tracing_count(), 1);
    let g = only_graph(&func);
    assert!(node_names(&g).contains(&"cond"), "{g}");
    // Closed form for one input: sum > 0 so x*x*y.
    let out = func.call_tensors(&[&Tensor::from([1.0f64, 2.0]), &y])?;
    assert_eq!(out[0].to_vec::<f64>()?, vec![10.0, 80.0]);
    Ok(())
}

/// sum_{i < n} i and the running product of x, with `n` a traced argument.
fn sum_below(n: &Tensor, x: &Tensor) -> Result<Vec<Tensor>> {
    let (i, s, p) = while_loop(
        |(i, _, _): &(Tensor, Tensor, Tensor)| less(i, n),
        |(i, s, p): &(Tensor, Tensor, Tensor)| Ok(((i + 1)?, (s + i)?, (p * x)?)),
        (Tensor::from(0), Tensor::from(0), Tensor::from(1.0f64)),
        WhileOptions::default(),
    )?;
    Ok(vec![i, s, p])
}

#[test]
fn traced_while_loop_iterates_a_data_dependent_number_of_times() -> Result<()> {
    let func = f("sum_below", |a| sum_below(&a[0], &a[1]));
    let x = Tensor::from(1.5f64);
    for n in [0, 1, 4, 10] {
        let out = func.call_tensors(&[&Tensor::from(n), &x])?;
        assert_eq!(out[0].item::<i32>()?, n);
        assert_eq!(out[1].item::<i32>()?, n * (n - 1) / 2);
        assert!((out[2].item::<f64>()? - 1.5f64.powi(n)).abs() < 1e-12);
        let eager = sum_below(&Tensor::from(n), &x)?;
        assert_eq!(out[1].item::<i32>()?, eager[1].item::<i32>()?);
    }
    assert_eq!(func.tracing_count(), 1);
    assert!(node_names(&only_graph(&func)).contains(&"while"));
    Ok(())
}

#[test]
fn traced_while_loop_respects_maximum_iterations_and_shape_invariants() -> Result<()> {
    let func = f("grow", |a| {
        let opts =
            WhileOptions::max_iterations(3).with_shape_invariants(vec![None, Some([None].into_iter().collect())]);
        let (_, v) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(100)),
            |(i, v): &(Tensor, Tensor)| Ok(((i + 1)?, concat(&[v.clone(), a[0].clone()], 0)?)),
            (Tensor::from(0), a[0].clone()),
            opts,
        )?;
        Ok(vec![v])
    });
    let out = func.call_tensors(&[&Tensor::from([1.0f32, 2.0])])?;
    assert_eq!(out[0].to_vec::<f32>()?, [1.0f32, 2.0].repeat(4));
    // Without the invariant the changing shape is reported at trace time.
    let bad = f("grow_bad", |a| {
        let (_, v) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(3)),
            |(i, v): &(Tensor, Tensor)| Ok(((i + 1)?, concat(&[v.clone(), a[0].clone()], 0)?)),
            (Tensor::from(0), a[0].clone()),
            WhileOptions::default(),
        )?;
        Ok(vec![v])
    });
    let e = bad.call_tensors(&[&Tensor::from([1.0f32, 2.0])]).unwrap_err();
    assert!(e.message.contains("loop_vars[1]") && e.message.contains("float32[2]"), "{e}");
    assert!(e.message.contains("float32[4]") && e.message.contains("shape invariant"), "{e}");
    Ok(())
}

#[test]
fn traced_switch_case_with_default() -> Result<()> {
    let func = f("pick", |a| {
        let x = &a[1];
        let b0 = || x + 1.0;
        let b1 = || x * 2.0;
        let dflt = || x * &(x * x)?;
        Ok(vec![switch_case(&a[0], &[&b0, &b1], Some(&dflt))?])
    });
    let x = Tensor::from(3.0f64);
    for (i, want) in [(0, 4.0), (1, 6.0), (2, 27.0), (-1, 27.0)] {
        assert_eq!(func.call_tensors(&[&Tensor::from(i), &x])?[0].item::<f64>()?, want);
    }
    assert_eq!(func.tracing_count(), 1);
    assert!(node_names(&only_graph(&func)).contains(&"case"));
    Ok(())
}

#[test]
fn cond_nested_in_a_while_body_captures_through_both_levels() -> Result<()> {
    // y0 = 1; for i in 0..5: y = y * k if i < 2 else y + k, with k = 2: 2, 4, 6, 8, 10.
    let func = f("nested", |a| {
        let k = &a[0];
        let (_, y) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(5)),
            |(i, y): &(Tensor, Tensor)| {
                let y2 = cond(&less(i, &Tensor::from(2))?, || y * k, || y + k)?;
                Ok(((i + 1)?, y2))
            },
            (Tensor::from(0), Tensor::from(1.0f64)),
            WhileOptions::default(),
        )?;
        Ok(vec![y])
    });
    assert_eq!(func.call_tensors(&[&Tensor::from(2.0f64)])?[0].item::<f64>()?, 10.0);
    // k = 3: 3, 9, 12, 15, 18.
    assert_eq!(func.call_tensors(&[&Tensor::from(3.0f64)])?[0].item::<f64>()?, 18.0);
    let g = only_graph(&func);
    let text = g.to_string();
    assert!(text.contains("while(") && text.contains("cond("), "{text}");
    Ok(())
}

#[test]
fn traced_branches_read_variables_by_reference() -> Result<()> {
    let w = Variable::new(Tensor::from(2.0f64), "w");
    let wc = w.clone();
    let func = f("scaled", move |a| {
        let x = &a[0];
        Ok(vec![cond(&greater(x, &Tensor::from(0.0f64))?, || x * &wc.read_value(), || Ok(x.clone()))?])
    });
    assert_eq!(func.call_tensors(&[&Tensor::from(3.0f64)])?[0].item::<f64>()?, 6.0);
    w.assign(&Tensor::from(5.0f64))?;
    assert_eq!(func.call_tensors(&[&Tensor::from(3.0f64)])?[0].item::<f64>()?, 15.0);
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

#[test]
fn traced_structure_and_dtype_errors_name_both_sides() {
    let func = f("mismatch", |a| {
        let x = &a[0];
        let (p, _q) = cond(
            &greater(x, &Tensor::from(0.0f64))?,
            || Ok((x.clone(), x.clone())),
            || Ok((x.clone(), cast(x, DType::F32)?)),
        )?;
        Ok(vec![p])
    });
    let e = func.call_tensors(&[&Tensor::from(1.0f64)]).unwrap_err();
    assert!(e.message.contains("then_branch") && e.message.contains("else_branch"), "{e}");
    assert!(e.message.contains("float64[]") && e.message.contains("float32[]"), "{e}");
    let func = f("mismatch2", |a| {
        let x = &a[0];
        let v: Vec<Tensor> =
            cond(&greater(x, &Tensor::from(0.0f64))?, || Ok(vec![x.clone()]), || Ok(vec![x.clone(), x.clone()]))?;
        Ok(v)
    });
    let e = func.call_tensors(&[&Tensor::from(1.0f64)]).unwrap_err();
    assert!(e.message.contains("true_fn's result") && e.message.contains("false_fn's result"), "{e}");
    let func = f("dtype_change", |a| {
        let x = a[0].clone();
        Ok(vec![while_loop(
            |v: &Tensor| less(v, &Tensor::from(10.0f64)),
            |v: &Tensor| cast(v, DType::F32),
            x,
            WhileOptions::default(),
        )?])
    });
    let e = func.call_tensors(&[&Tensor::from(1.0f64)]).unwrap_err();
    assert!(e.message.contains("loop variable loop_vars") && e.message.contains("float32[]"), "{e}");
}

#[test]
fn a_tape_outside_differentiates_through_traced_control_flow() -> Result<()> {
    let func = f("pow_or_neg", |a| {
        let x = &a[0];
        let (_, y) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(4)),
            |(i, y): &(Tensor, Tensor)| Ok(((i + 1)?, (y * x)?)),
            (Tensor::from(0), x.clone()),
            WhileOptions::default(),
        )?;
        Ok(vec![cond(&greater(x, &Tensor::from(0.0f64))?, || Ok(y.clone()), || x * -3.0)?])
    });
    for (x, want) in [(1.5f64, 5.0 * 1.5f64.powi(4)), (-2.0, -3.0)] {
        let x = Tensor::from(x);
        let tape = GradientTape::new();
        let y = tape.scope(|t| {
            t.watch(&x);
            func.call_tensors(&[&x])
        })??;
        let d = tape.gradient(&y[0], &[&x])?[0].as_ref().expect("connected").item::<f64>()?;
        assert!((d - want).abs() < 1e-12, "{d} vs {want}");
    }
    Ok(())
}

#[test]
fn a_function_with_control_flow_called_inside_another_trace() -> Result<()> {
    let inner = f("inner", |a| Ok(vec![sign_square(&a[0], &a[1])?]));
    let inner2 = inner.clone();
    let outer = f("outer", move |a| {
        let r = inner2.call_tensors(&[&a[0], &a[1]])?;
        Ok(vec![(&r[0] + 1.0)?])
    });
    let y = Tensor::from([10.0f64, 20.0]);
    for x in [[1.0f64, 2.0], [-3.0, 1.0]] {
        let x = Tensor::from(x);
        let want = (&sign_square(&x, &y)? + 1.0)?;
        assert_eq!(outer.call_tensors(&[&x, &y])?[0].to_vec::<f64>()?, want.to_vec::<f64>()?);
    }
    Ok(())
}

#[test]
fn loop_bodies_are_optimized_like_the_function_graph() -> Result<()> {
    // The body's elementwise chain fuses into one kernel and `* 1.0` disappears.
    let body = |x: &Tensor| tanh(&(&(&(x * 0.5)? + 1.0)? * 1.0)?);
    let run = move |x: &Tensor| -> Result<Tensor> {
        let (_, y) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(4)),
            |(i, v): &(Tensor, Tensor)| Ok(((i + 1)?, body(v)?)),
            (Tensor::from(0), x.clone()),
            WhileOptions::default(),
        )?;
        Ok(y)
    };
    let func = f("fused_body", move |a| Ok(vec![run(&a[0])?]));
    let x = Tensor::from([0.25f32, -1.0, 3.0]);
    let got = func.call_tensors(&[&x])?;
    let mut want = x.to_vec::<f32>()?;
    for _ in 0..4 {
        want = want.iter().map(|v| (v * 0.5 + 1.0).tanh()).collect();
    }
    for (g, w) in got[0].to_vec::<f32>()?.iter().zip(&want) {
        assert!((g - w).abs() < 1e-6, "{g} vs {w}");
    }
    let g = only_graph(&func);
    let w = g.nodes().iter().find(|n| n.kind.name() == "while").expect("a while node");
    let (_, body_g) = w.kind.subgraphs().into_iter().find(|(name, _)| name == "body").expect("a body");
    let names = node_names(body_g);
    assert!(names.contains(&"fused_elementwise"), "{body_g}");
    assert!(!names.contains(&"tanh") && !names.contains(&"mul"), "{body_g}");
    Ok(())
}
