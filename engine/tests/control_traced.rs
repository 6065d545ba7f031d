//! Control flow inside `tf.function`: cond, while_loop and switch_case trace into graph nodes
//! holding sub-graphs, capture outer values, and compute what eager execution computes.

use tensile::control_flow::{cond, switch_case, while_loop, TensorArray, WhileOptions};
use tensile::function::{Function, FunctionOptions};
use tensile::graph::Graph;
use tensile::ops::array::range_dynamic;
use tensile::ops::math;
use tensile::prelude::*;
use tensile::ErrorKind;

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

/// `ta.write(i, 2 * i)` for `i < n`, as TensorFlow's TensorArray-in-while_loop idiom.
fn doubles(n: &Tensor, ta: TensorArray) -> Result<Tensor> {
    let (_, ta) = while_loop(
        |(i, _): &(Tensor, TensorArray)| less(i, n),
        |(i, ta): &(Tensor, TensorArray)| Ok(((i + 1)?, ta.write(i, &(&cast(i, DType::F32)? * 2.0)?)?)),
        (Tensor::from(0), ta),
        WhileOptions::default(),
    )?;
    ta.stack()
}

fn growing_scalars() -> TensorArray {
    TensorArray::new(DType::F32, 0, true).with_element_shape(&[])
}

#[test]
fn tensor_array_in_a_while_loop_eager_and_traced() -> Result<()> {
    // Eagerly the element shape need not be declared.
    let eager = doubles(&Tensor::from(5), TensorArray::new(DType::F32, 0, true))?;
    assert_eq!(eager.to_vec::<f32>()?, vec![0.0, 2.0, 4.0, 6.0, 8.0]);
    let func = f("doubles", |a| Ok(vec![doubles(&a[0], growing_scalars())?]));
    let out = func.call_tensors(&[&Tensor::from(5)])?;
    assert_eq!(out[0].shape(), &[5]);
    assert_eq!(out[0].to_vec::<f32>()?, vec![0.0, 2.0, 4.0, 6.0, 8.0]);
    // The same trace serves other lengths, including none.
    assert_eq!(func.call_tensors(&[&Tensor::from(2)])?[0].to_vec::<f32>()?, vec![0.0, 2.0]);
    assert_eq!(func.call_tensors(&[&Tensor::from(0)])?[0].shape(), &[0]);
    assert_eq!(func.tracing_count(), 1);
    let names = node_names(&only_graph(&func));
    assert!(names.contains(&"while"), "{names:?}");
    Ok(())
}

#[test]
fn tensor_array_loop_with_n_from_an_input_signature() -> Result<()> {
    let options =
        FunctionOptions { input_signature: Some(vec![TensorSpec::new(&[], DType::I32)]), ..FunctionOptions::default() };
    let func = Function::of_tensors("doubles_sig", options, |a| Ok(vec![doubles(&a[0], growing_scalars())?]));
    for n in [5, 1, 7] {
        let want: Vec<f32> = (0..n).map(|i| 2.0 * i as f32).collect();
        assert_eq!(func.call_tensors(&[&Tensor::from(n)])?[0].to_vec::<f32>()?, want);
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

#[test]
fn traced_tensor_array_infers_the_element_shape_from_a_write_before_the_loop() -> Result<()> {
    // Row 0 is [1, 1]; row i (1 <= i < n) is [i, i*i].
    let func = f("rows", |a| {
        let ta = TensorArray::new(DType::F64, 0, true).write(0, &Tensor::from([1.0f64, 1.0]))?;
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| less(i, &a[0]),
            |(i, ta): &(Tensor, TensorArray)| {
                let x = cast(i, DType::F64)?;
                Ok(((i + 1)?, ta.write(i, &stack(&[x.clone(), (&x * &x)?], 0)?)?))
            },
            (Tensor::from(1), ta),
            WhileOptions::default(),
        )?;
        Ok(vec![ta.stack()?, ta.size()?])
    });
    let out = func.call_tensors(&[&Tensor::from(4)])?;
    assert_eq!(out[0].shape(), &[4, 2]);
    assert_eq!(out[0].to_vec::<f64>()?, vec![1.0, 1.0, 1.0, 1.0, 2.0, 4.0, 3.0, 9.0]);
    assert_eq!(out[1].item::<i32>()?, 4);
    Ok(())
}

#[test]
fn traced_tensor_array_takes_the_element_shape_its_loop_writes() -> Result<()> {
    // No declared shape: the body's writes tell it, as in TensorFlow.
    let func = f("no_shape", |a| Ok(vec![doubles(&a[0], TensorArray::new(DType::F32, 0, true))?]));
    assert_eq!(func.call_tensors(&[&Tensor::from(3)])?[0].to_vec::<f32>()?, vec![0.0, 2.0, 4.0]);
    assert_eq!(func.call_tensors(&[&Tensor::from(0)])?[0].shape(), &[0]);
    // Rows of a vector, into a fixed-size array nested in a tuple with a second, declared one.
    let func = f("pairs", |a| {
        let arrays =
            (TensorArray::new(DType::F64, 3, false), TensorArray::new(DType::F64, 3, false).with_element_shape(&[]));
        let (_, (rows, squares)) = while_loop(
            |(i, _): &(Tensor, (TensorArray, TensorArray))| less(i, &a[0]),
            |(i, (rows, squares)): &(Tensor, (TensorArray, TensorArray))| {
                let x = cast(i, DType::F64)?;
                Ok(((i + 1)?, (rows.write(i, &stack(&[x.clone(), neg(&x)?], 0)?)?, squares.write(i, &(&x * &x)?)?)))
            },
            (Tensor::from(0), arrays),
            WhileOptions::default(),
        )?;
        Ok(vec![rows.stack()?, squares.stack()?])
    });
    let out = func.call_tensors(&[&Tensor::from(2)])?;
    assert_eq!(out[0].shape(), &[3, 2]);
    assert_eq!(out[0].to_vec::<f64>()?, vec![0.0, 0.0, 1.0, -1.0, 0.0, 0.0]);
    assert_eq!(out[1].to_vec::<f64>()?, vec![0.0, 1.0, 0.0]);
    Ok(())
}

#[test]
fn traced_tensor_array_without_an_element_shape_asks_for_one() {
    // The body never writes, so nothing tells the shape.
    let func = f("no_shape", |a| {
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| less(i, &a[0]),
            |(i, ta): &(Tensor, TensorArray)| Ok(((i + 1)?, ta.clone())),
            (Tensor::from(0), TensorArray::new(DType::F32, 0, true)),
            WhileOptions::default(),
        )?;
        Ok(vec![ta.size()?])
    });
    let e = func.call_tensors(&[&Tensor::from(3)]).unwrap_err();
    assert!(e.message.contains("element_shape") && e.message.contains("unknown"), "{e}");
}

#[test]
fn tensor_array_in_a_traced_loop_with_fixed_size() -> Result<()> {
    // Size 4, not resizeable: row i is [i, -i]; the buffer keeps its static shape.
    let n = 4usize;
    let func = f("fixed", move |a| {
        let ta = TensorArray::new(DType::F32, n, false).with_element_shape(&[Some(2)]);
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| less(i, &a[0]),
            |(i, ta): &(Tensor, TensorArray)| {
                let x = cast(i, DType::F32)?;
                Ok(((i + 1)?, ta.write(i, &stack(&[x.clone(), neg(&x)?], 0)?)?))
            },
            (Tensor::from(0), ta),
            WhileOptions::default(),
        )?;
        assert_eq!(ta.len(), n, "the size stays statically known");
        Ok(vec![ta.stack()?])
    });
    let out = func.call_tensors(&[&Tensor::from(4)])?;
    assert_eq!(out[0].to_vec::<f32>()?, vec![0.0, 0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0]);
    // Fewer iterations leave zero rows.
    let out = func.call_tensors(&[&Tensor::from(2)])?;
    assert_eq!(out[0].to_vec::<f32>()?, vec![0.0, 0.0, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0]);
    // Writing past the end is an out-of-range error naming the op, the index and the size.
    let e = func.call_tensors(&[&Tensor::from(6)]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfRange, "{e}");
    assert_eq!(e.op.as_deref(), Some("tensor_list_set_item"), "{e}");
    assert!(e.message.contains("index 4") && e.message.contains("size is 4"), "{e}");
    assert!(e.message.contains("dynamic_size=true"), "{e}");
    Ok(())
}

/// Writes `x` at 0 when `x > 0`, else `-x` at 1, into a fresh array of two scalars.
fn signed_slot(x: &Tensor) -> Result<Tensor> {
    let ta = TensorArray::new(DType::F64, 2, false).with_element_shape(&[]);
    let ta = cond(&greater(x, &Tensor::from(0.0f64))?, || ta.write(0, x), || ta.write(1, &neg(x)?))?;
    ta.stack()
}

#[test]
fn tensor_array_as_a_cond_result() -> Result<()> {
    let func = f("signed_slot", |a| Ok(vec![signed_slot(&a[0])?]));
    for (x, want) in [(3.0f64, [3.0, 0.0]), (-2.0, [0.0, 2.0])] {
        let x = Tensor::from(x);
        assert_eq!(func.call_tensors(&[&x])?[0].to_vec::<f64>()?, want.to_vec());
        assert_eq!(signed_slot(&x)?.to_vec::<f64>()?, want.to_vec());
    }
    assert_eq!(func.tracing_count(), 1);
    assert!(node_names(&only_graph(&func)).contains(&"cond"));
    Ok(())
}

/// `sum(ta[i] for i < n)` over an array unstacked from `values`, read with the loop's tensor index.
fn sum_reads(values: &Tensor, n: &Tensor) -> Result<Tensor> {
    let ta = TensorArray::new(DType::F64, 4, false).unstack(values)?;
    let (_, s) = while_loop(
        |(i, _): &(Tensor, Tensor)| less(i, n),
        |(i, s): &(Tensor, Tensor)| Ok(((i + 1)?, (s + &ta.read(i)?)?)),
        (Tensor::from(0), Tensor::from(0.0f64)),
        WhileOptions::default(),
    )?;
    Ok(s)
}

#[test]
fn tensor_array_read_with_a_tensor_index() -> Result<()> {
    let values = Tensor::from([10.0f64, 20.0, 30.0, 40.0]);
    let func = f("read_at", |a| {
        let ta = TensorArray::new(DType::F64, 4, false).unstack(&a[0])?;
        Ok(vec![ta.read(&a[1])?])
    });
    assert_eq!(func.call_tensors(&[&values, &Tensor::from(2)])?[0].item::<f64>()?, 30.0);
    assert_eq!(func.call_tensors(&[&values, &Tensor::from(0i32)])?[0].item::<f64>()?, 10.0);
    // Eagerly a tensor index reads the same element.
    let ta = TensorArray::new(DType::F64, 4, false).unstack(&values)?;
    assert_eq!(ta.read(Tensor::from(3i64))?.item::<f64>()?, 40.0);
    // Out of range: eagerly and when the traced graph runs, naming the op, the index and the size.
    let e = ta.read(Tensor::from(7)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfRange);
    assert!(e.message.contains("index 7") && e.message.contains("size is 4"), "{e}");
    let e = func.call_tensors(&[&values, &Tensor::from(7)]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfRange, "{e}");
    assert_eq!(e.op.as_deref(), Some("tensor_list_get_item"), "{e}");
    assert!(e.message.contains("index 7") && e.message.contains("size is 4"), "{e}");
    let e = func.call_tensors(&[&values, &Tensor::from(-1)]).unwrap_err();
    assert!(e.message.contains("index -1"), "{e}");
    // Inside a loop body: 10 + 20 + 30.
    let sum = f("sum_reads", |a| Ok(vec![sum_reads(&a[0], &a[1])?]));
    assert_eq!(sum.call_tensors(&[&values, &Tensor::from(3)])?[0].item::<f64>()?, 60.0);
    assert_eq!(sum_reads(&values, &Tensor::from(3))?.item::<f64>()?, 60.0);
    Ok(())
}

#[test]
fn traced_tensor_array_dtype_and_index_errors() {
    // A float64 value into a float32 array, at a tensor index.
    let func = f("bad_dtype", |a| {
        let ta = growing_scalars();
        Ok(vec![ta.write(&a[0], &Tensor::from(1.0f64))?.stack()?])
    });
    let e = func.call_tensors(&[&Tensor::from(0)]).unwrap_err();
    assert!(e.message.contains("float64") && e.message.contains("float32"), "{e}");
    // A float index.
    let func = f("bad_index", |a| Ok(vec![growing_scalars().write(&a[0], &Tensor::from(1.0f32))?.stack()?]));
    let e = func.call_tensors(&[&Tensor::from(0.5f32)]).unwrap_err();
    assert!(e.message.contains("int32 or int64") && e.message.contains("float32"), "{e}");
    // A loop body that returns an array of another dtype.
    let func = f("dtype_change", |a| {
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| less(i, &a[0]),
            |(i, _): &(Tensor, TensorArray)| {
                Ok(((i + 1)?, TensorArray::new(DType::I32, 0, true).with_element_shape(&[])))
            },
            (Tensor::from(0), growing_scalars()),
            WhileOptions::default(),
        )?;
        Ok(vec![ta.stack()?])
    });
    let e = func.call_tensors(&[&Tensor::from(2)]).unwrap_err();
    assert!(e.message.contains("TensorArray(float32)") && e.message.contains("TensorArray(int32)"), "{e}");
}

/// Running sums of the rows of `x` through two arrays sized by `x`'s run-time length: one
/// unstacked from `x` and read, one written.
fn running_sums(x: &Tensor) -> Result<Vec<Tensor>> {
    let n = gather(&shape(x)?, &Tensor::from(0), 0, 0)?;
    let rows = TensorArray::with_size(DType::F64, &n, false)?.unstack(x)?;
    let out = TensorArray::with_size(DType::F64, &n, false)?.with_element_shape(&[Some(2)]);
    let (_, _, out) = while_loop(
        |(i, _, _): &(Tensor, Tensor, TensorArray)| less(i, &n),
        |(i, acc, out): &(Tensor, Tensor, TensorArray)| {
            let acc = (acc + &rows.read(i)?)?;
            Ok(((i + 1)?, acc.clone(), out.write(i, &acc)?))
        },
        (Tensor::from(0), zeros(DType::F64, &[2])?, out),
        WhileOptions::default(),
    )?;
    Ok(vec![out.stack()?, out.size()?])
}

#[test]
fn tensor_arrays_sized_at_run_time() -> Result<()> {
    let func = Function::new(
        "running_sums",
        FunctionOptions {
            input_signature: Some(vec![tensile::function::TensorSpec::new(&[None, Some(2)], DType::F64)]),
            ..Default::default()
        },
        |args| {
            let out = running_sums(args[0].tensor()?)?;
            Ok(tensile::function::Arg::List(out.into_iter().map(tensile::function::Arg::Tensor).collect()))
        },
    );
    for x in [vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], vec![0.5, -1.0]] {
        let t = Tensor::from_vec(x.clone(), &[x.len() / 2, 2])?;
        let out = func.call(&[t.clone().into()])?;
        let parts = match out {
            tensile::function::Arg::List(parts) => parts,
            other => panic!("expected a list, got {other:?}"),
        };
        let mut want = Vec::new();
        let (mut a, mut b) = (0.0, 0.0);
        for row in x.chunks(2) {
            a += row[0];
            b += row[1];
            want.extend([a, b]);
        }
        assert_eq!(parts[0].tensor()?.to_vec::<f64>()?, want);
        assert_eq!(parts[1].tensor()?.item::<i32>()?, (x.len() / 2) as i32);
        // Eagerly the size is a known number and the arrays are ordinary.
        let eager = running_sums(&t)?;
        assert_eq!(eager[0].to_vec::<f64>()?, want);
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

#[test]
fn a_run_time_sized_array_takes_its_element_shape_from_a_declaration_or_the_first_write() -> Result<()> {
    // Unwritten rows are zeros of the declared element shape.
    let declared = f("declared", |a| {
        let n = size(&a[0])?;
        let ta = TensorArray::with_size(DType::F32, &n, false)?.with_element_shape(&[Some(3)]);
        Ok(vec![ta.write(1, &(&ones(DType::F32, &[3])? * 2.0)?)?.stack()?])
    });
    let out = declared.call_tensors(&[&Tensor::from([1.0f32, 1.0, 1.0])])?;
    assert_eq!(out[0].shape(), &[3, 3]);
    assert_eq!(out[0].to_vec::<f32>()?, vec![0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.0, 0.0, 0.0]);
    // No declaration: the first write's value.
    let written = f("written", |a| {
        let n = size(&a[0])?;
        let ta = TensorArray::with_size(DType::F32, &n, false)?;
        Ok(vec![ta.write(0, &a[0])?.stack()?])
    });
    let out = written.call_tensors(&[&Tensor::from([4.0f32, 5.0])])?;
    assert_eq!(out[0].to_vec::<f32>()?, vec![4.0, 5.0, 0.0, 0.0]);
    // A read before any write has nothing to go by.
    let unknown = f("unknown", |a| {
        let n = size(&a[0])?;
        Ok(vec![TensorArray::with_size(DType::F32, &n, false)?.read(0)?])
    });
    let e = unknown.call_tensors(&[&Tensor::from([1.0f32])]).unwrap_err();
    assert!(e.message.contains("only known at run time") && e.message.contains("element_shape"), "{e}");
    // Writing past the run-time size of a fixed-size array fails when the graph runs.
    let past = f("past", |a| {
        let n = size(&a[0])?;
        let ta = TensorArray::with_size(DType::F32, &n, false)?;
        Ok(vec![ta.write(2, &Tensor::from(1.0f32))?.stack()?])
    });
    let e = past.call_tensors(&[&Tensor::from([1.0f32, 2.0])]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfRange, "{e}");
    // The size must be an integer scalar.
    let e = TensorArray::with_size(DType::F32, &Tensor::from(2.0f32), false).unwrap_err();
    assert!(e.message.contains("scalar integer"), "{e}");
    Ok(())
}

#[test]
fn tensor_array_scatter_with_run_time_indices() -> Result<()> {
    // ta.scatter(tf.range(k, k + 2), rows) into a fixed-size array of 4.
    let func = f("scatter_at", |a| {
        let idx = range_dynamic(&a[1], &math::add(&a[1], &Tensor::from(2))?, &Tensor::from(1))?;
        Ok(vec![TensorArray::new(DType::F64, 4, false).scatter_at(&idx, &a[0])?.stack()?])
    });
    let rows = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
    let run = |k: i32| -> Result<Vec<f64>> { func.call_tensors(&[&rows, &Tensor::from(k)])?[0].to_vec::<f64>() };
    assert_eq!(run(1)?, vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 0.0]);
    assert_eq!(run(2)?, vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(func.concrete_functions().len(), 1);
    let e = func.call_tensors(&[&rows, &Tensor::from(3)]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfRange, "{e}");
    assert!(e.message.contains("index 4") && e.message.contains("array size is 4"), "{e}");

    // A growing array grows to the largest index; a later duplicate index wins.
    let grow = f("scatter_grow", |a| {
        let ta = TensorArray::new(DType::F64, 0, true).scatter_at(&a[1], &a[0])?;
        Ok(vec![ta.stack()?, ta.size()?])
    });
    let out = grow.call_tensors(&[&rows, &Tensor::from(vec![3i32, 1])])?;
    assert_eq!(out[0].to_vec::<f64>()?, vec![0.0, 0.0, 3.0, 4.0, 0.0, 0.0, 1.0, 2.0]);
    assert_eq!(out[1].to_vec::<i32>()?, vec![4]);
    let out = grow.call_tensors(&[&rows, &Tensor::from(vec![0i32, 0])])?;
    assert_eq!((out[0].to_vec::<f64>()?, out[1].to_vec::<i32>()?), (vec![3.0, 4.0], vec![1]));
    let e = grow.call_tensors(&[&rows, &Tensor::from(vec![0i32, -1])]).unwrap_err();
    assert!(e.message.contains("index -1"), "{e}");

    // Eagerly the indices are read now, as a list would be.
    let ta = TensorArray::new(DType::F64, 3, false).scatter_at(&Tensor::from(vec![2i64, 0]), &rows)?;
    assert_eq!(ta.stack()?.to_vec::<f64>()?, vec![3.0, 4.0, 0.0, 0.0, 1.0, 2.0]);
    let e = ta.scatter_at(&Tensor::from(vec![-1i64, 0]), &rows).unwrap_err();
    assert!(e.message.contains("negative"), "{e}");
    let e = ta.scatter_at(&Tensor::from([[0i32]]), &rows).unwrap_err();
    assert!(e.message.contains("int32 or int64 vector"), "{e}");
    Ok(())
}

#[test]
fn tensor_array_scatter_of_a_run_time_length_value_checks_its_rows() -> Result<()> {
    // ta.scatter([2, 0], v) with v's length known only when the graph runs.
    let func = Function::new(
        "scatter_rows",
        FunctionOptions {
            input_signature: Some(vec![tensile::function::TensorSpec::new(&[None, Some(2)], DType::F64)]),
            ..Default::default()
        },
        |args| {
            let ta = TensorArray::new(DType::F64, 3, false).scatter(&[2, 0], args[0].tensor()?)?;
            Ok(tensile::function::Arg::Tensor(ta.stack()?))
        },
    );
    let call = |rows: usize| {
        let v = Tensor::from_vec((1..=2 * rows).map(|v| v as f64).collect(), &[rows, 2])?;
        func.call(&[v.into()])?.tensor()?.to_vec::<f64>()
    };
    assert_eq!(call(2)?, vec![3.0, 4.0, 0.0, 0.0, 1.0, 2.0]);
    for rows in [1, 3] {
        let e = call(rows).unwrap_err();
        assert!(e.message.contains("TensorArray.scatter") && e.message.contains(&format!("float64[{rows}, 2]")), "{e}");
    }
    Ok(())
}

#[test]
fn gradient_through_a_scatter_with_run_time_indices() -> Result<()> {
    // y = sum(w * stack(scatter(idx, x * x))): rows of x land at idx, so dy/dx = 2 x w[idx].
    let func = f("scatter_grad", |a| {
        let (x, idx) = (&a[0], &a[1]);
        let w = Tensor::from([[1.0f64], [10.0], [100.0], [1000.0]]);
        let tape = GradientTape::new();
        let y = tape.scope(|t| -> Result<Tensor> {
            t.watch(x);
            let ta = TensorArray::new(DType::F64, 4, false).scatter_at(idx, &math::mul(x, x)?)?;
            reduce_sum(&math::mul(&ta.stack()?, &w)?, None, false)
        })??;
        let g = tape.gradient(&y, &[x])?[0].clone().unwrap();
        Ok(vec![y, g])
    });
    let x = Tensor::from([[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    let out = func.call_tensors(&[&x, &Tensor::from(vec![3i32, 0, 1])])?;
    assert_eq!(out[0].to_vec::<f64>()?, vec![1000.0 * (1.0 + 4.0) + (9.0 + 16.0) + 10.0 * (25.0 + 36.0)]);
    assert_eq!(out[1].to_vec::<f64>()?, vec![2000.0, 4000.0, 6.0, 8.0, 100.0, 120.0]);
    Ok(())
}

#[test]
fn tensor_array_gather_with_run_time_indices() -> Result<()> {
    let func = f("gather_at", |a| {
        let ta = TensorArray::new(DType::F64, 4, false).unstack(&a[0])?;
        let idx = range_dynamic(&a[1], &Tensor::from(4), &Tensor::from(2))?;
        Ok(vec![ta.gather_at(&idx)?])
    });
    let values = Tensor::from([10.0f64, 20.0, 30.0, 40.0]);
    assert_eq!(func.call_tensors(&[&values, &Tensor::from(1)])?[0].to_vec::<f64>()?, vec![20.0, 40.0]);
    assert_eq!(func.call_tensors(&[&values, &Tensor::from(0)])?[0].to_vec::<f64>()?, vec![10.0, 30.0]);
    // Eagerly the indices are read now; out of range and negative indices are errors.
    let ta = TensorArray::new(DType::F64, 4, false).unstack(&values)?;
    assert_eq!(ta.gather_at(&Tensor::from(vec![3i64, 0]))?.to_vec::<f64>()?, vec![40.0, 10.0]);
    let e = ta.gather_at(&Tensor::from(vec![-1i32])).unwrap_err();
    assert!(e.message.contains("negative"), "{e}");
    let e = ta.gather_at(&Tensor::from(vec![4i32])).unwrap_err();
    assert!(e.message.contains("index 4") && e.message.contains("size 4"), "{e}");
    let e = ta.gather_at(&Tensor::from(1.0f32)).unwrap_err();
    assert!(e.message.contains("int32 or int64 vector"), "{e}");
    // When the graph runs, a bad index names the gather and the valid range.
    let e = func.call_tensors(&[&values, &Tensor::from(-7)]).unwrap_err();
    assert!(e.message.contains("-7 is not in [0, 4)"), "{e}");
    Ok(())
}
