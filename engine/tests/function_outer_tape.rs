//! A traced function called under a gradient tape: the call is one tape entry backed by a
//! forward graph and a backward graph. Gradients must equal the eager computation's, for the
//! arguments and variables the tape follows, through control flow and across repeated calls.

use tensile::control_flow::{cond, while_loop, WhileOptions};
use tensile::function::{Arg, ConcreteFunction, Function, FunctionOptions};
use tensile::ops::{math, nn, reduce};
use tensile::prelude::*;
use tensile::tape::TapeOptions;
use tensile::testing::test_tensor;
use tensile::UnconnectedGradients;

fn f32_of(t: &Tensor) -> Tensor {
    math::cast(t, DType::F32).expect("cast")
}

/// Two dense layers with a relu between and a scalar loss, as a closure over variables.
fn loss_fn(w1: &Variable, w2: &Variable, x: &Tensor) -> Result<Tensor> {
    let h = math::relu(&tensile::ops::linalg::matmul(x, &w1.read_value())?)?;
    let y = tensile::ops::linalg::matmul(&h, &w2.read_value())?;
    reduce::reduce_sum(&math::square(&math::tanh(&y)?)?, None, false)
}

fn params() -> (Variable, Variable) {
    (
        Variable::new(f32_of(&test_tensor(&[3, 4], 1, -1.0, 1.0)), "w1"),
        Variable::new(f32_of(&test_tensor(&[4, 2], 2, -1.0, 1.0)), "w2"),
    )
}

fn only_concrete(f: &Function) -> std::sync::Arc<ConcreteFunction> {
    let cfs = f.concrete_functions();
    assert_eq!(cfs.len(), 1);
    cfs.into_iter().next().expect("one concrete function")
}

fn assert_near(a: &Tensor, b: &Tensor) {
    assert_eq!(a.shape(), b.shape());
    for (x, y) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
        assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{:?} != {:?}", a.to_f64_vec(), b.to_f64_vec());
    }
}

#[test]
fn a_call_under_a_tape_differentiates_like_eager_code_with_one_graph_pair() -> Result<()> {
    let (w1, w2) = params();
    let (a, b) = (w1.clone(), w2.clone());
    let f = Function::new("loss", FunctionOptions::default(), move |args| {
        Ok(Arg::Tensor(loss_fn(&a, &b, args[0].tensor()?)?))
    });
    for seed in [5u64, 6, 7] {
        let x = f32_of(&test_tensor(&[5, 3], seed, -1.0, 1.0));
        let tape = GradientTape::new();
        let loss = tape.scope(|t| {
            t.watch(&x);
            f.call(&[(&x).into()])
        })??;
        let got = tape.gradient(loss.tensor()?, &[&x, &w1, &w2])?;
        let eager_tape = GradientTape::new();
        let eager_loss = eager_tape.scope(|t| {
            t.watch(&x);
            loss_fn(&w1, &w2, &x)
        })??;
        let want = eager_tape.gradient(&eager_loss, &[&x, &w1, &w2])?;
        assert_near(loss.tensor()?, &eager_loss);
        for (g, w) in got.iter().zip(&want) {
            assert_near(g.as_ref().expect("connected"), w.as_ref().expect("connected"));
        }
    }
    // One trace, one forward/backward pair for the three calls.
    let cf = only_concrete(&f);
    let pairs = cf.gradient_graphs();
    assert_eq!(pairs.len(), 1);
    let (forward, backward) = &pairs[0];
    // The forward graph returns the loss and the values the backward graph saves from it.
    assert!(forward.outputs().len() > 1, "{}", forward.outputs().len());
    assert_eq!(backward.inputs().len(), forward.outputs().len() - 1 + 1);
    // Gradients for x, w1 and w2.
    assert_eq!(backward.outputs().len(), 3);
    assert!(backward.nodes().iter().any(|n| n.kind.name().contains("matmul")), "{}", backward.nodes().len());
    Ok(())
}

#[test]
fn only_the_sources_the_tape_follows_are_differentiated() -> Result<()> {
    let (w1, w2) = params();
    let (a, b) = (w1.clone(), w2.clone());
    let f = Function::new("loss", FunctionOptions::default(), move |args| {
        Ok(Arg::Tensor(loss_fn(&a, &b, args[0].tensor()?)?))
    });
    let x = f32_of(&test_tensor(&[5, 3], 8, -1.0, 1.0));
    // Variables watched on access, the argument not: two gradients.
    let tape = GradientTape::new();
    let loss = tape.scope(|_| f.call(&[(&x).into()]))??;
    let got = tape.gradient(loss.tensor()?, &[&w1, &w2, &x])?;
    assert!(got[0].is_some() && got[1].is_some() && got[2].is_none());
    assert_eq!(only_concrete(&f).gradient_graphs()[0].1.outputs().len(), 2);
    // Only the argument, variables unwatched: a second pair with one gradient.
    let tape = GradientTape::with_options(TapeOptions { persistent: false, watch_accessed_variables: false });
    let loss = tape.scope(|t| {
        t.watch(&x);
        f.call(&[(&x).into()])
    })??;
    let dx = tape.gradient(loss.tensor()?, &[&x, &w1])?;
    assert!(dx[0].is_some() && dx[1].is_none());
    let pairs = only_concrete(&f).gradient_graphs();
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[1].1.outputs().len(), 1);
    // A persistent tape may differentiate its own gradients, so it records the call op by op,
    // with the same values.
    let tape = GradientTape::with_options(TapeOptions { persistent: true, watch_accessed_variables: false });
    let loss = tape.scope(|t| {
        t.watch(&x);
        f.call(&[(&x).into()])
    })??;
    let again = tape.gradient(loss.tensor()?, &[&x])?;
    assert_near(again[0].as_ref().expect("dx"), dx[0].as_ref().expect("dx"));
    assert_eq!(only_concrete(&f).gradient_graphs().len(), 2);
    // No tracked source at all: nothing recorded, no pair built.
    let tape = GradientTape::with_options(TapeOptions { persistent: false, watch_accessed_variables: false });
    let loss = tape.scope(|_| f.call(&[(&x).into()]))??;
    let none = tape.gradient_with(loss.tensor()?, &[&x], None, UnconnectedGradients::None)?;
    assert!(none[0].is_none());
    assert_eq!(only_concrete(&f).gradient_graphs().len(), 2);
    Ok(())
}

#[test]
fn several_results_some_without_gradient_some_integer() -> Result<()> {
    let f = Function::new("parts", FunctionOptions::default(), |args| {
        let x = args[0].tensor()?;
        let s = reduce::reduce_sum(&math::square(x)?, None, false)?;
        let m = reduce::reduce_max(&(x * 3.0)?, None, false)?;
        let n = tensile::ops::array::size(x)?;
        Ok(Arg::Tuple(vec![Arg::Tensor(s), Arg::Tensor(n), Arg::Tensor(m)]))
    });
    let x = Tensor::from(vec![1.0f32, -4.0, 2.0]);
    let call = || -> Result<(GradientTape, Vec<Arg>)> {
        let tape = GradientTape::new();
        let out = tape.scope(|t| {
            t.watch(&x);
            f.call(&[(&x).into()])
        })??;
        let Arg::Tuple(parts) = out else { panic!("a tuple") };
        Ok((tape, parts))
    };
    let (tape, parts) = call()?;
    assert_eq!(parts[1].tensor()?.to_vec::<i32>()?, vec![3]);
    // Only the first result gets a gradient; the third's is zero.
    let g = tape.gradient(parts[0].tensor()?, &[&x])?;
    assert_eq!(g[0].as_ref().expect("dx").to_vec::<f32>()?, vec![2.0, -8.0, 4.0]);
    let (tape, parts) = call()?;
    let g = tape.gradient(parts[2].tensor()?, &[&x])?;
    assert_eq!(g[0].as_ref().expect("dx").to_vec::<f32>()?, vec![0.0, 0.0, 3.0]);
    // Both: the gradients add.
    let (tape, parts) = call()?;
    let g = tape.gradient_multi(
        &[parts[0].tensor()?.clone(), parts[2].tensor()?.clone()],
        &[&x],
        None,
        UnconnectedGradients::None,
    )?;
    assert_eq!(g[0].as_ref().expect("dx").to_vec::<f32>()?, vec![2.0, -8.0, 7.0]);
    assert_eq!(only_concrete(&f).gradient_graphs().len(), 1);
    Ok(())
}

#[test]
fn control_flow_inside_the_call_is_differentiated() -> Result<()> {
    // x -> x * x three times (a while loop), then a cond on the sum: d/dx (x^8) = 8 x^7.
    let f = Function::new("power", FunctionOptions::default(), |args| {
        let x = args[0].tensor()?.clone();
        let (_, y) = while_loop(
            |(i, _): &(Tensor, Tensor)| math::less(i, &Tensor::from(3)),
            |(i, v): &(Tensor, Tensor)| Ok(((i + 1)?, math::mul(v, v)?)),
            (Tensor::from(0), x),
            WhileOptions::default(),
        )?;
        let total = reduce::reduce_sum(&y, None, false)?;
        let r = cond(&math::greater(&total, &Tensor::from(0.0f32))?, || Ok(y.clone()), || &y * -1.0)?;
        Ok(Arg::Tensor(reduce::reduce_sum(&r, None, false)?))
    });
    let x = Tensor::from(vec![1.5f32, -0.5]);
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        f.call(&[(&x).into()])
    })??;
    let g = tape.gradient(y.tensor()?, &[&x])?;
    let want: Vec<f32> = [1.5f32, -0.5].iter().map(|v| 8.0 * v.powi(7)).collect();
    assert_near(g[0].as_ref().expect("dx"), &Tensor::from(want));
    assert_eq!(only_concrete(&f).gradient_graphs().len(), 1);
    Ok(())
}

#[test]
fn nested_tapes_take_second_order_gradients_through_the_call() -> Result<()> {
    // y = sum(x^3): dy/dx = 3x^2, d2y/dx2 = 6x.
    let f = Function::new("cube", FunctionOptions::default(), |args| {
        let x = args[0].tensor()?;
        Ok(Arg::Tensor(reduce::reduce_sum(&math::pow(x, &Tensor::from(3.0f32))?, None, false)?))
    });
    let x = Tensor::from(vec![1.0f32, 2.0]);
    let outer = GradientTape::new();
    let dx = outer.scope(|o| -> Result<Tensor> {
        o.watch(&x);
        let inner = GradientTape::new();
        let y = inner.scope(|i| {
            i.watch(&x);
            f.call(&[(&x).into()])
        })??;
        Ok(inner.gradient(y.tensor()?, &[&x])?.remove(0).expect("dx"))
    })??;
    assert_eq!(dx.to_vec::<f32>()?, vec![3.0, 12.0]);
    let d2 = outer.gradient(&dx, &[&x])?;
    assert_eq!(d2[0].as_ref().expect("d2x").to_vec::<f32>()?, vec![6.0, 12.0]);
    // Two tapes recorded the call: op by op, no graph pair.
    assert!(only_concrete(&f).gradient_graphs().is_empty());
    Ok(())
}

#[test]
fn a_variable_written_inside_the_call_is_differentiated_op_by_op() -> Result<()> {
    // The call reads v, then bumps it: the gradient is taken through the read.
    let v = Variable::new(Tensor::from(vec![2.0f32, 3.0]), "v");
    let c = v.clone();
    let f = Function::new("bump", FunctionOptions::default(), move |args| {
        let y = reduce::reduce_sum(&math::mul(&c.read_value(), args[0].tensor()?)?, None, false)?;
        c.assign_add(&Tensor::from(vec![1.0f32, 1.0]))?;
        Ok(Arg::Tensor(y))
    });
    let x = Tensor::from(vec![5.0f32, 7.0]);
    let tape = GradientTape::new();
    let y = tape.scope(|_| f.call(&[(&x).into()]))??;
    let g = tape.gradient(y.tensor()?, &[&v])?;
    assert_eq!(g[0].as_ref().expect("dv").to_vec::<f32>()?, vec![5.0, 7.0]);
    assert_eq!(v.read_value().to_vec::<f32>()?, vec![3.0, 4.0]);
    assert!(only_concrete(&f).gradient_graphs().is_empty());
    Ok(())
}

#[test]
fn conv_net_call_under_a_tape_matches_eager() -> Result<()> {
    let filter = Variable::new(f32_of(&test_tensor(&[3, 3, 2, 4], 11, -0.5, 0.5)), "filter");
    let fc = filter.clone();
    let net = move |x: &Tensor| -> Result<Tensor> {
        let y = nn::conv2d(x, &fc.read_value(), &[1], "SAME", &[])?;
        let p = nn::max_pool2d(&math::relu(&y)?, &[2], &[2], "VALID")?;
        reduce::reduce_mean(&math::square(&p)?, None, false)
    };
    let traced_net = net.clone();
    let f =
        Function::new("net", FunctionOptions::default(), move |args| Ok(Arg::Tensor(traced_net(args[0].tensor()?)?)));
    let x = f32_of(&test_tensor(&[2, 6, 6, 2], 12, -1.0, 1.0));
    let tape = GradientTape::new();
    let loss = tape.scope(|_| f.call(&[(&x).into()]))??;
    let got = tape.gradient(loss.tensor()?, &[&filter])?;
    let eager = GradientTape::new();
    let want_loss = eager.scope(|_| net(&x))??;
    let want = eager.gradient(&want_loss, &[&filter])?;
    assert_near(got[0].as_ref().expect("df"), want[0].as_ref().expect("df"));
    assert_eq!(only_concrete(&f).gradient_graphs().len(), 1);
    Ok(())
}
