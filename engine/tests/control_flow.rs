//! Eager control flow: cond, switch_case, while_loop, TensorArray and nested structures,
//! with gradients through a tape.

use std::collections::BTreeMap;
use tensile::control_flow::{
    assert_same_structure, cond, switch_case, while_loop, Nest, Structure, TensorArray, WhileOptions,
};
use tensile::prelude::*;
use tensile::ErrorKind;

fn grad_of(y: &Tensor, x: &Tensor, tape: &GradientTape) -> Result<f64> {
    let g = tape.gradient(y, &[x])?;
    g[0].as_ref().expect("connected gradient").item::<f64>()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

#[test]
fn cond_runs_only_the_chosen_branch() -> Result<()> {
    let x = Tensor::from(3.0f64);
    let ran_false = std::cell::Cell::new(false);
    let y = cond(
        &greater(&x, &Tensor::from(2.0f64))?,
        || &x * &x,
        || {
            ran_false.set(true);
            &x + 1.0
        },
    )?;
    assert_eq!(y.item::<f64>()?, 9.0);
    assert!(!ran_false.get());
    let y = cond(&Tensor::from(false), || &x * &x, || &x + 1.0)?;
    assert_eq!(y.item::<f64>()?, 4.0);
    // Structured results.
    let (a, b) = cond(&Tensor::from(true), || Ok((x.clone(), (&x * 2.0)?)), || Ok((x.clone(), x.clone())))?;
    assert_eq!((a.item::<f64>()?, b.item::<f64>()?), (3.0, 6.0));
    Ok(())
}

#[test]
fn cond_rejects_non_scalar_or_non_bool_predicates() {
    let one = || Ok(Tensor::from(1.0f32));
    let e = cond(&Tensor::from([true, false]), one, one).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("pred") && e.message.contains("[2]") && e.message.contains("bool"), "{e}");
    let e = cond(&Tensor::from(1i32), one, one).unwrap_err();
    assert!(e.message.contains("int32"), "{e}");
}

#[test]
fn cond_gradient_follows_the_branch_that_ran() -> Result<()> {
    let f = |v: f64| -> Result<f64> {
        let x = Tensor::from(v);
        let tape = GradientTape::new();
        let y = tape.scope(|t| {
            t.watch(&x);
            cond(&greater(&x, &Tensor::from(0.0f64))?, || &x * &x, || &x * -3.0)
        })??;
        grad_of(&y, &x, &tape)
    };
    assert_eq!(f(2.0)?, 4.0); // d(x^2) = 2x
    assert_eq!(f(-1.0)?, -3.0);
    Ok(())
}

#[test]
fn switch_case_picks_by_index_and_falls_back_like_tensorflow() -> Result<()> {
    let b0 = || Ok(Tensor::from(10i32));
    let b1 = || Ok(Tensor::from(11i32));
    let b2 = || Ok(Tensor::from(12i32));
    let dflt = || Ok(Tensor::from(-1i32));
    let branches: [&dyn Fn() -> Result<Tensor>; 3] = [&b0, &b1, &b2];
    for (i, want) in [(0, 10), (1, 11), (2, 12)] {
        assert_eq!(switch_case(&Tensor::from(i), &branches, Some(&dflt))?.item::<i32>()?, want);
    }
    assert_eq!(switch_case(&Tensor::from(7i64), &branches, Some(&dflt))?.item::<i32>()?, -1);
    // Without a default, an out-of-range index runs the last branch.
    assert_eq!(switch_case(&Tensor::from(7), &branches, None)?.item::<i32>()?, 12);
    assert_eq!(switch_case(&Tensor::from(-1), &branches, None)?.item::<i32>()?, 12);
    let e = switch_case(&Tensor::from(1.0f32), &branches, None).unwrap_err();
    assert!(e.message.contains("branch_index") && e.message.contains("float32"), "{e}");
    let e = switch_case(&Tensor::from([0, 1]), &branches, None).unwrap_err();
    assert!(e.message.contains("[2]"), "{e}");
    let none: [&dyn Fn() -> Result<Tensor>; 0] = [];
    assert!(switch_case(&Tensor::from(0), &none, None).is_err());
    Ok(())
}

#[test]
fn while_loop_sums_and_respects_maximum_iterations() -> Result<()> {
    let run = |opts: WhileOptions| {
        while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(10)),
            |(i, s): &(Tensor, Tensor)| Ok(((i + 1)?, (s + i)?)),
            (Tensor::from(0), Tensor::from(0)),
            opts,
        )
    };
    let (i, s) = run(WhileOptions::default())?;
    assert_eq!((i.item::<i32>()?, s.item::<i32>()?), (10, 45));
    let (i, s) = run(WhileOptions::max_iterations(3))?;
    assert_eq!((i.item::<i32>()?, s.item::<i32>()?), (3, 3));
    let (i, _) = run(WhileOptions::max_iterations(0))?;
    assert_eq!(i.item::<i32>()?, 0);
    let e = run(WhileOptions::max_iterations(-1)).unwrap_err();
    assert!(e.message.contains("maximum_iterations"), "{e}");
    Ok(())
}

#[test]
fn while_loop_checks_structure_dtype_and_shape_each_iteration() -> Result<()> {
    let start = || vec![Tensor::from(0), Tensor::from([1.0f32, 2.0])];
    // Structure: the body drops a loop variable.
    let e = while_loop(
        |v: &Vec<Tensor>| less(&v[0], &Tensor::from(3)),
        |v| Ok(vec![(&v[0] + 1)?]),
        start(),
        WhileOptions::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("loop_vars") && e.message.contains("body's result"), "{e}");
    assert!(e.message.contains("[T, T]") && e.message.contains("[T]"), "{e}");
    // Dtype.
    let e = while_loop(
        |v: &Vec<Tensor>| less(&v[0], &Tensor::from(3)),
        |v| Ok(vec![(&v[0] + 1)?, cast(&v[1], DType::F64)?]),
        start(),
        WhileOptions::default(),
    )
    .unwrap_err();
    assert!(
        e.message.contains("loop_vars[1]") && e.message.contains("float32") && e.message.contains("float64"),
        "{e}"
    );
    // Shape, then the same loop with a shape invariant.
    let grow = |v: &Vec<Tensor>| -> Result<Vec<Tensor>> {
        Ok(vec![(&v[0] + 1)?, concat(&[v[1].clone(), reshape(&cast(&v[0], DType::F32)?, &[1])?], 0)?])
    };
    let e = while_loop(|v: &Vec<Tensor>| less(&v[0], &Tensor::from(3)), grow, start(), WhileOptions::default())
        .unwrap_err();
    assert!(e.message.contains("loop_vars[1]") && e.message.contains("[2]") && e.message.contains("[3]"), "{e}");
    let opts = WhileOptions::default().with_shape_invariants(vec![None, Some([None].into_iter().collect())]);
    let out = while_loop(|v: &Vec<Tensor>| less(&v[0], &Tensor::from(3)), grow, start(), opts)?;
    assert_eq!(out[1].to_vec::<f32>()?, vec![1.0, 2.0, 0.0, 1.0, 2.0]);
    // A shape invariant the initial value does not fit.
    let opts = WhileOptions::default().with_shape_invariants(vec![None, Some([Some(5)].into_iter().collect())]);
    let e = while_loop(|v: &Vec<Tensor>| less(&v[0], &Tensor::from(3)), grow, start(), opts).unwrap_err();
    assert!(e.message.contains("shape invariant"), "{e}");
    // cond must return a scalar bool.
    let e = while_loop(|v: &Vec<Tensor>| Ok(v[0].clone()), |v| Ok(v.clone()), start(), WhileOptions::default())
        .unwrap_err();
    assert!(e.message.contains("scalar bool") && e.message.contains("int32"), "{e}");
    Ok(())
}

#[test]
fn gradient_through_while_loop_of_repeated_multiplication() -> Result<()> {
    // y = x^5 by four multiplications: dy/dx = 5 x^4.
    let x = Tensor::from(1.5f64);
    let tape = GradientTape::new();
    let y = tape
        .scope(|t| {
            t.watch(&x);
            while_loop(
                |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(4)),
                |(i, y): &(Tensor, Tensor)| Ok(((i + 1)?, (y * &x)?)),
                (Tensor::from(0), x.clone()),
                WhileOptions::default(),
            )
        })??
        .1;
    close(y.item::<f64>()?, 1.5f64.powi(5));
    close(grad_of(&y, &x, &tape)?, 5.0 * 1.5f64.powi(4));
    Ok(())
}

#[test]
fn tensor_array_write_read_stack_are_values() -> Result<()> {
    let ta = TensorArray::new(DType::F32, 3, false);
    let ta1 = ta.write(0, &Tensor::from([1.0f32, 2.0]))?;
    let ta2 = ta1.write(2, &Tensor::from([5.0f32, 6.0]))?;
    // The originals are unchanged.
    assert!(ta.read(0).is_err());
    assert_eq!(ta1.read(2)?.to_vec::<f32>()?, vec![0.0, 0.0]); // unwritten, shape known from index 0
    assert_eq!(ta2.read(2)?.to_vec::<f32>()?, vec![5.0, 6.0]);
    let s = ta2.stack()?;
    assert_eq!(s.shape(), &[3, 2]);
    assert_eq!(s.to_vec::<f32>()?, vec![1.0, 2.0, 0.0, 0.0, 5.0, 6.0]);
    assert_eq!(ta2.size()?.item::<i32>()?, 3);
    assert_eq!(ta2.gather(&[2, 0])?.to_vec::<f32>()?, vec![5.0, 6.0, 1.0, 2.0]);
    assert_eq!(ta2.concat()?.to_vec::<f32>()?, vec![1.0, 2.0, 0.0, 0.0, 5.0, 6.0]);
    // Overwriting replaces (as eager TensorFlow does).
    assert_eq!(ta2.write(0, &Tensor::from([9.0f32, 9.0]))?.read(0)?.to_vec::<f32>()?, vec![9.0, 9.0]);
    Ok(())
}

#[test]
fn tensor_array_errors_name_index_size_dtype_and_shape() -> Result<()> {
    let ta = TensorArray::new(DType::F32, 2, false);
    let e = ta.write(2, &Tensor::from(1.0f32)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfRange);
    assert!(e.message.contains("index 2") && e.message.contains("size is 2"), "{e}");
    let e = ta.write(0, &Tensor::from(1i32)).unwrap_err();
    assert!(e.message.contains("int32") && e.message.contains("float32"), "{e}");
    let ta1 = ta.write(0, &Tensor::from([1.0f32, 2.0]))?;
    let e = ta1.write(1, &Tensor::from([1.0f32, 2.0, 3.0])).unwrap_err();
    assert!(e.message.contains("[3]") && e.message.contains("[2]"), "{e}");
    let e = ta1.read(5).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfRange);
    // Unwritten element of unknown shape.
    let e = ta.read(1).unwrap_err();
    assert!(e.message.contains("never written"), "{e}");
    assert!(ta.stack().is_err());
    // A huge declared size fails cleanly instead of allocating.
    let huge = TensorArray::new(DType::F64, usize::MAX / 2, false).with_element_shape(&[Some(4)]);
    assert!(huge.stack().is_err());
    // Empty arrays stack to [0, ...] when the element shape is known.
    let empty = TensorArray::new(DType::F64, 0, true).with_element_shape(&[Some(2)]);
    assert_eq!(empty.stack()?.shape(), &[0, 2]);
    // scatter with a mismatched count.
    let e = ta.scatter(&[0], &Tensor::from([[1.0f32], [2.0]])).unwrap_err();
    assert!(e.message.contains("1 indices"), "{e}");
    Ok(())
}

#[test]
fn tensor_array_dynamic_size_unstack_scatter_and_ragged_concat() -> Result<()> {
    let ta = TensorArray::new(DType::I32, 0, true);
    let ta = ta.write(3, &Tensor::from(7))?;
    assert_eq!(ta.len(), 4);
    assert_eq!(ta.stack()?.to_vec::<i32>()?, vec![0, 0, 0, 7]);
    let ta = TensorArray::new(DType::I32, 3, false).unstack(&Tensor::from([[1, 2], [3, 4], [5, 6]]))?;
    assert_eq!(ta.read(1)?.to_vec::<i32>()?, vec![3, 4]);
    let ta = ta.scatter(&[2, 0], &Tensor::from([[9, 9], [8, 8]]))?;
    assert_eq!(ta.stack()?.to_vec::<i32>()?, vec![8, 8, 3, 4, 9, 9]);
    let ragged = TensorArray::new(DType::I32, 2, false).with_infer_shape(false);
    let ragged = ragged.write(0, &Tensor::from([1, 2, 3]))?.write(1, &Tensor::from([4]))?;
    assert_eq!(ragged.concat()?.to_vec::<i32>()?, vec![1, 2, 3, 4]);
    Ok(())
}

#[test]
fn tensor_array_is_differentiable_through_the_tape() -> Result<()> {
    // Element k is x * (k + 1); y = sum(stack) + 10 * read(1) = 6x + 20x.
    let x = Tensor::from([1.0f64, 2.0]);
    let tape = GradientTape::persistent();
    let (y, z) = tape.scope(|t| -> Result<(Tensor, Tensor)> {
        t.watch(&x);
        let mut ta = TensorArray::new(DType::F64, 3, false);
        for k in 0..3 {
            ta = ta.write(k, &(&x * (k as f64 + 1.0))?)?;
        }
        let y = (&reduce_sum(&ta.stack()?, None, false)? + &(&reduce_sum(&ta.read(1)?, None, false)? * 10.0)?)?;
        // unstack/gather/concat route through ops as well.
        let tb = TensorArray::new(DType::F64, 2, false).unstack(&stack(&[x.clone(), (&x * &x)?], 0)?)?;
        let z = reduce_sum(&(&tb.gather(&[1, 1])? + &reshape(&tb.concat()?, &[2, 2])?)?, None, false)?;
        Ok((y, z))
    })??;
    let g = tape.gradient(&y, &[&x])?[0].clone().expect("connected");
    assert_eq!(g.to_vec::<f64>()?, vec![26.0, 26.0]);
    // z = 2 * sum(x^2) + sum(x) + sum(x^2): dz/dx = 6x + 1.
    let g = tape.gradient(&z, &[&x])?[0].clone().expect("connected");
    assert_eq!(g.to_vec::<f64>()?, vec![7.0, 13.0]);
    Ok(())
}

#[test]
fn tensor_array_accumulates_inside_a_while_loop() -> Result<()> {
    let (_, ta) = while_loop(
        |(i, _): &(Tensor, Structure)| less(i, &Tensor::from(4)),
        |(i, ta): &(Tensor, Structure)| Ok(((i + 1)?, ta.clone())),
        (Tensor::from(0), Structure::List(vec![])),
        WhileOptions::default(),
    )?;
    assert_eq!(ta.num_leaves(), 0);
    // TensorArray values are carried in plain Rust state around the loop.
    let mut ta = TensorArray::new(DType::F32, 0, true);
    let i = while_loop(
        |i: &Tensor| less(i, &Tensor::from(4)),
        |i: &Tensor| {
            let k = i.item::<i32>()? as usize;
            ta = ta.write(k, &Tensor::from((k * k) as f32))?;
            i + 1
        },
        Tensor::from(0),
        WhileOptions::default(),
    )?;
    assert_eq!(i.item::<i32>()?, 4);
    assert_eq!(ta.stack()?.to_vec::<f32>()?, vec![0.0, 1.0, 4.0, 9.0]);
    Ok(())
}

#[test]
fn nest_flatten_pack_and_structure_errors() -> Result<()> {
    let t = |v: f32| Tensor::from(v);
    let mut dict = BTreeMap::new();
    dict.insert("b".to_string(), t(3.0));
    dict.insert("a".to_string(), t(2.0));
    let value = (t(1.0), vec![dict], t(4.0));
    let s = value.to_structure();
    assert_eq!(s.describe(), "(T, [{\"a\": T, \"b\": T}], T)");
    let flat: Vec<f32> = s.flatten().iter().map(|x| x.item::<f32>().unwrap()).collect();
    assert_eq!(flat, vec![1.0, 2.0, 3.0, 4.0]); // dicts flatten in sorted key order
    assert_eq!(s.paths(), vec!["[0]", "[1][0][\"a\"]", "[1][0][\"b\"]", "[2]"]);
    let doubled: Vec<Tensor> = s.flatten().iter().map(|x| x * 2.0).collect::<Result<_>>()?;
    let packed = s.pack_sequence_as(&doubled)?;
    let (a, list, c) = <(Tensor, Vec<BTreeMap<String, Tensor>>, Tensor)>::from_structure(packed)?;
    assert_eq!((a.item::<f32>()?, list[0]["b"].item::<f32>()?, c.item::<f32>()?), (2.0, 6.0, 8.0));
    let e = s.pack_sequence_as(&doubled[..3]).unwrap_err();
    assert!(e.message.contains("4 tensors") && e.message.contains("3 were given"), "{e}");
    let other = (t(1.0), t(2.0)).to_structure();
    let e = assert_same_structure("test", "first", &s, "second", &other).unwrap_err();
    assert!(e.message.contains("first") && e.message.contains("second") && e.message.contains("(T, T)"), "{e}");
    assert!(<(Tensor, Tensor)>::from_structure(Structure::from(vec![t(1.0)])).is_err());
    Ok(())
}

#[test]
fn tensor_array_loop_variable_is_differentiable_eagerly() -> Result<()> {
    // Element i is x * i for i < 4: sum(stack) = 6x, read(3) = 3x.
    let x = Tensor::from(1.5f64);
    let tape = GradientTape::persistent();
    let (s, r) = tape.scope(|t| -> Result<(Tensor, Tensor)> {
        t.watch(&x);
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| less(i, &Tensor::from(4)),
            |(i, ta): &(Tensor, TensorArray)| Ok(((i + 1)?, ta.write(i, &(&x * &cast(i, DType::F64)?)?)?)),
            (Tensor::from(0), TensorArray::new(DType::F64, 0, true)),
            WhileOptions::default(),
        )?;
        assert_eq!(ta.len(), 4);
        Ok((reduce_sum(&ta.stack()?, None, false)?, ta.read(Tensor::from(3))?))
    })??;
    close(s.item::<f64>()?, 9.0);
    close(grad_of(&s, &x, &tape)?, 6.0);
    close(r.item::<f64>()?, 4.5);
    close(grad_of(&r, &x, &tape)?, 3.0);
    Ok(())
}

#[test]
fn tensor_array_is_a_leaf_structure() -> Result<()> {
    let ta = TensorArray::new(DType::F64, 2, false).write(0, &Tensor::from(1.0f64))?;
    let s = (Tensor::from(0), ta).to_structure();
    assert_eq!(s.describe(), "(T, TensorArray(float64))");
    // Eagerly its elements stay Rust state: no tensors to flatten.
    assert_eq!(s.num_leaves(), 1);
    let (_, back): (Tensor, TensorArray) = Nest::from_structure(s.pack_sequence_as(&s.flatten())?)?;
    assert_eq!(back.stack()?.to_vec::<f64>()?, vec![1.0, 0.0]);
    // Indices: negative ones and non-integer tensors are rejected.
    let e = back.read(-1).unwrap_err();
    assert!(e.message.contains("index -1"), "{e}");
    let e = back.write(Tensor::from(1.0f32), &Tensor::from(2.0f64)).unwrap_err();
    assert!(e.message.contains("int32 or int64"), "{e}");
    // A branch may return one; eager cond runs only the chosen branch.
    let picked =
        cond(&Tensor::from(false), || back.write(0, &Tensor::from(5.0f64)), || back.write(1, &Tensor::from(7.0f64)))?;
    assert_eq!(picked.stack()?.to_vec::<f64>()?, vec![1.0, 7.0]);
    Ok(())
}
