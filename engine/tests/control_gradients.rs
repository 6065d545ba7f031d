//! Gradients through `cond`, `switch_case` and `while_loop` taken by a tape inside a traced
//! function: the backward pass is control flow in the same graph. Each case is compared with
//! the same code run eagerly (where the tape records the unrolled iterations that ran) and with
//! a closed form.

use tensile::control_flow::{cond, switch_case, while_loop, TensorArray, WhileOptions};
use tensile::function::{Function, FunctionOptions};
use tensile::prelude::*;
use tensile::Watchable;

/// `f`'s scalar result followed by its gradient with respect to every argument, from a tape
/// (unconnected gradients read as zeros). Run eagerly or inside a trace.
fn gradients_of(f: fn(&[Tensor]) -> Result<Tensor>, args: &[Tensor]) -> Result<Vec<Tensor>> {
    let tape = GradientTape::new();
    let y = tape.scope(|tape| {
        for a in args {
            tape.watch(a);
        }
        f(args)
    })??;
    let sources: Vec<&dyn Watchable> = args.iter().map(|a| a as &dyn Watchable).collect();
    let mut out = vec![y.clone()];
    for (g, a) in tape.gradient(&y, &sources)?.into_iter().zip(args) {
        out.push(match g {
            Some(g) => g,
            None => zeros_like(a)?,
        });
    }
    Ok(out)
}

/// [`gradients_of`] traced: the tape records inside the function, so the gradient is part of
/// the function's graph.
fn traced_gradients(name: &str, f: fn(&[Tensor]) -> Result<Tensor>) -> Function {
    Function::of_tensors(name, FunctionOptions::default(), move |args| gradients_of(f, args))
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().expect("float64 tensor")
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: {a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-9 * (1.0 + y.abs()), "{what}: {a:?} vs {b:?}");
    }
}

/// Runs `f` traced and eagerly on `args`, checks they agree, returns the traced results.
fn both_ways(func: &Function, f: fn(&[Tensor]) -> Result<Tensor>, args: &[Tensor]) -> Result<Vec<Vec<f64>>> {
    let refs: Vec<&Tensor> = args.iter().collect();
    let traced = func.call_tensors(&refs)?;
    let eager = gradients_of(f, args)?;
    // Integer arguments (trip counts, branch indices) have no gradient.
    let floats = |t: &Tensor| if t.dtype().is_float() { f64s(t) } else { Vec::new() };
    for (i, (t, e)) in traced.iter().zip(&eager).enumerate() {
        close(&floats(t), &floats(e), &format!("result {i} traced vs eager"));
    }
    Ok(traced.iter().map(floats).collect())
}

fn sign_branch(a: &[Tensor]) -> Result<Tensor> {
    let (x, w) = (&a[0], &a[1]);
    let pred = greater(&reduce_sum(x, None, false)?, &Tensor::from(0.0f64))?;
    let y = cond(&pred, || &(x * x)? * w, || w - x)?;
    reduce_sum(&y, None, false)
}

#[test]
fn gradient_of_a_traced_cond_follows_the_branch_taken() -> Result<()> {
    let func = traced_gradients("sign_branch", sign_branch);
    let w = Tensor::from([10.0f64, 20.0]);
    // True branch: y = Σ x² w, so dy/dx = 2 x w and dy/dw = x².
    let r = both_ways(&func, sign_branch, &[Tensor::from([1.0f64, 2.0]), w.clone()])?;
    close(&r[1], &[20.0, 80.0], "dx");
    close(&r[2], &[1.0, 4.0], "dw");
    // False branch: y = Σ (w - x), so dy/dx = -1 and dy/dw = 1.
    let r = both_ways(&func, sign_branch, &[Tensor::from([-3.0f64, 1.0]), w])?;
    close(&r[1], &[-1.0, -1.0], "dx");
    close(&r[2], &[1.0, 1.0], "dw");
    assert_eq!(func.tracing_count(), 1);
    let g = func.concrete_functions()[0].graph().clone();
    let conds = g.nodes().iter().filter(|n| n.kind.name() == "cond").count();
    assert_eq!(conds, 2, "forward and backward cond nodes:\n{g}");
    Ok(())
}

/// x^n by repeated multiplication, n (an int32 tensor) deciding the number of iterations.
fn power(a: &[Tensor]) -> Result<Tensor> {
    let (x, n) = (&a[0], &a[1]);
    let (_, p) = while_loop(
        |(i, _): &(Tensor, Tensor)| less(i, n),
        |(i, p): &(Tensor, Tensor)| Ok(((i + 1)?, (p * x)?)),
        (Tensor::from(0), ones_like(x)?),
        WhileOptions::default(),
    )?;
    reduce_sum(&p, None, false)
}

#[test]
fn gradient_of_a_traced_while_loop_with_a_data_dependent_trip_count() -> Result<()> {
    let func = traced_gradients("power", power);
    let x = Tensor::from([1.5f64, -0.5, 2.0]);
    for n in [0i32, 1, 2, 5] {
        let r = both_ways(&func, power, &[x.clone(), Tensor::from(n)])?;
        let want: Vec<f64> = f64s(&x).iter().map(|&x| f64::from(n) * x.powi(n - 1)).collect();
        let want = if n == 0 { vec![0.0; 3] } else { want };
        close(&r[1], &want, &format!("d(x^{n})/dx"));
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

/// A small recurrence: h ← tanh(h · w + x[i] + b) over the rows of x, with `b` a variable read
/// only inside the loop body.
fn recurrence(a: &[Tensor], b: &Variable) -> Result<Tensor> {
    let (x, w, h0) = (&a[0], &a[1], &a[2]);
    let steps = Tensor::from(x.shape()[0] as i32);
    let (_, h) = while_loop(
        |(i, _): &(Tensor, Tensor)| less(i, &steps),
        |(i, h): &(Tensor, Tensor)| {
            let row = gather(x, i, 0, 0)?;
            Ok(((i + 1)?, tanh(&(&(&(h * w)? + &row)? + &b.read_value())?)?))
        },
        (Tensor::from(0), h0.clone()),
        WhileOptions::default(),
    )?;
    reduce_sum(&square(&h)?, None, false)
}

#[test]
fn gradient_of_a_traced_recurrence_reaches_inputs_captures_and_variables() -> Result<()> {
    let b = Variable::new(Tensor::from([0.1f64, -0.2]), "b");
    let args = [
        Tensor::from([[0.5f64, -1.0], [0.25, 0.75], [-0.5, 0.3], [1.0, 0.0]]),
        Tensor::from([0.9f64, -0.4]),
        Tensor::from([0.2f64, 0.6]),
    ];
    let bb = b.clone();
    let func = Function::of_tensors("rnn", FunctionOptions::default(), move |a| {
        let tape = GradientTape::new();
        let y = tape.scope(|tape| {
            a.iter().for_each(|t| tape.watch(t));
            recurrence(a, &bb)
        })??;
        let g = tape.gradient(&y, &[&a[0], &a[1], &a[2], &bb])?;
        Ok(std::iter::once(y).chain(g.into_iter().map(|g| g.expect("connected"))).collect())
    });
    let refs: Vec<&Tensor> = args.iter().collect();
    let traced = func.call_tensors(&refs)?;
    // Eagerly the loop runs its iterations and the tape records each of them.
    let tape = GradientTape::new();
    let y = tape.scope(|tape| {
        args.iter().for_each(|t| tape.watch(t));
        recurrence(&args, &b)
    })??;
    let eager = tape.gradient(&y, &[&args[0], &args[1], &args[2], &b])?;
    close(&f64s(&traced[0]), &f64s(&y), "loss");
    for (i, (t, e)) in traced[1..].iter().zip(&eager).enumerate() {
        close(&f64s(t), &f64s(e.as_ref().expect("eager gradient")), &format!("gradient {i}"));
    }
    // An independent check of db by central differences on the eager computation.
    let loss_at = |bv: [f64; 2]| -> Result<f64> {
        let v = Variable::new(Tensor::from(bv), "probe");
        recurrence(&args, &v)?.item::<f64>()
    };
    let db = f64s(&traced[4]);
    for (k, &g) in db.iter().enumerate() {
        let (mut hi, mut lo) = ([0.1, -0.2], [0.1, -0.2]);
        hi[k] += 1e-6;
        lo[k] -= 1e-6;
        let fd = (loss_at(hi)? - loss_at(lo)?) / 2e-6;
        assert!((fd - g).abs() < 1e-6, "db[{k}]: finite difference {fd}, traced {g}");
    }
    Ok(())
}

fn three_way(a: &[Tensor]) -> Result<Tensor> {
    let (x, i) = (&a[0], &a[1]);
    let f0 = || x * x;
    let f1 = || sin(x);
    let f2 = || &(x * 3.0)? + 1.0;
    let y = switch_case(i, &[&f0, &f1, &f2], None)?;
    reduce_sum(&y, None, false)
}

#[test]
fn gradient_of_a_traced_switch_case() -> Result<()> {
    let func = traced_gradients("three_way", three_way);
    let x = Tensor::from([0.5f64, -2.0]);
    let xs = f64s(&x);
    let want: [Vec<f64>; 3] =
        [xs.iter().map(|x| 2.0 * x).collect(), xs.iter().map(|x| x.cos()).collect(), vec![3.0; 2]];
    for (i, want) in want.iter().enumerate() {
        let r = both_ways(&func, three_way, &[x.clone(), Tensor::from(i as i32)])?;
        close(&r[1], want, &format!("branch {i}"));
    }
    Ok(())
}

/// The first and second derivatives of `y` at `x`, from nested tapes.
fn derivatives(y: fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Result<Vec<Tensor>> {
    let outer = GradientTape::new();
    let dy = outer.scope(|outer| -> Result<Tensor> {
        outer.watch(x);
        let inner = GradientTape::new();
        let v = inner.scope(|inner| {
            inner.watch(x);
            y(x)
        })??;
        Ok(inner.gradient(&v, &[x])?.remove(0).expect("first derivative"))
    })??;
    let d2 = outer.gradient(&dy, &[x])?.remove(0).expect("second derivative");
    Ok(vec![dy, d2])
}

#[test]
fn second_order_gradient_through_a_traced_cond() -> Result<()> {
    // y = x³ for x > 0, -x² otherwise: y'' = 6x or -2.
    fn y(x: &Tensor) -> Result<Tensor> {
        let pred = greater(x, &Tensor::from(0.0f64))?;
        cond(&pred, || &(x * x)? * x, || neg(&(x * x)?))
    }
    let func = Function::of_tensors("second", FunctionOptions::default(), |a| derivatives(y, &a[0]));
    for (x, d1, d2) in [(2.0f64, 12.0, 12.0), (-1.5, 3.0, -2.0)] {
        let out = func.call_tensors(&[&Tensor::from(x)])?;
        close(&[out[0].item::<f64>()?, out[1].item::<f64>()?], &[d1, d2], &format!("x = {x}"));
    }
    Ok(())
}

#[test]
fn differentiating_a_loop_body_that_writes_what_it_reads_is_a_clear_error() {
    let v = Variable::new(Tensor::from(1.0f64), "v");
    let vv = v.clone();
    let func = Function::of_tensors("writes", FunctionOptions::default(), move |a| {
        let x = &a[0];
        let tape = GradientTape::new();
        let y = tape.scope(|tape| {
            tape.watch(x);
            let (_, p) = while_loop(
                |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(3)),
                |(i, p): &(Tensor, Tensor)| {
                    vv.assign_add(&Tensor::from(1.0f64))?;
                    Ok(((i + 1)?, (p * &(x * &vv.read_value())?)?))
                },
                (Tensor::from(0), Tensor::from(1.0f64)),
                WhileOptions::default(),
            )?;
            Ok::<_, Error>(p)
        })??;
        Ok(vec![tape.gradient(&y, &[x])?.remove(0).expect("connected")])
    });
    let e = func.call_tensors(&[&Tensor::from(2.0f64)]).unwrap_err();
    assert!(e.message.contains("cannot differentiate while_loop"), "{e}");
    assert!(e.message.contains("reads a variable it also assigns"), "{e}");
}

#[test]
fn a_train_step_with_a_loop_is_one_graph_and_updates_the_variable() -> Result<()> {
    // loss = Σ (w^3 x)², minimized over w by one SGD step per call.
    let w = Variable::new(Tensor::from([0.5f64, 1.5]), "w");
    let ww = w.clone();
    let step = Function::of_tensors("step", FunctionOptions::default(), move |a| {
        let x = &a[0];
        let tape = GradientTape::new();
        let loss = tape.scope(|_| {
            let (_, p) = while_loop(
                |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(3)),
                |(i, p): &(Tensor, Tensor)| Ok(((i + 1)?, (p * &ww.read_value())?)),
                (Tensor::from(0), ones_like(x)?),
                WhileOptions::default(),
            )?;
            reduce_sum(&square(&(&p * x)?)?, None, false)
        })??;
        let g = tape.gradient(&loss, &[&ww])?.remove(0).expect("w is read in the loop body");
        ww.assign_sub(&(&g * 0.01)?)?;
        Ok(vec![loss, g])
    });
    let x = Tensor::from([2.0f64, -1.0]);
    let out = step.call_tensors(&[&x])?;
    // d/dw (w³x)² = 6 w⁵ x².
    let want: Vec<f64> = [(0.5f64, 2.0f64), (1.5, -1.0)].iter().map(|(w, x)| 6.0 * w.powi(5) * x * x).collect();
    close(&f64s(&out[1]), &want, "dloss/dw");
    close(&f64s(&w.peek()), &[0.5 - 0.01 * want[0], 1.5 - 0.01 * want[1]], "updated w");
    assert_eq!(step.tracing_count(), 1);
    Ok(())
}

#[test]
fn a_function_with_a_loop_called_inside_a_differentiating_trace() -> Result<()> {
    let inner = Function::of_tensors("inner_power", FunctionOptions::default(), |a| Ok(vec![power(a)?]));
    let outer = Function::of_tensors("outer", FunctionOptions::default(), move |a| {
        let tape = GradientTape::new();
        let y = tape.scope(|tape| {
            tape.watch(&a[0]);
            Ok::<_, Error>(inner.call_tensors(&[&a[0], &a[1]])?.remove(0))
        })??;
        Ok(vec![tape.gradient(&y, &[&a[0]])?.remove(0).expect("connected")])
    });
    let out = outer.call_tensors(&[&Tensor::from([2.0f64, 3.0]), &Tensor::from(3)])?;
    close(&f64s(&out[0]), &[12.0, 27.0], "3 x²");
    Ok(())
}

/// [`derivatives`] of `y` traced (nested tapes inside the function) and run eagerly (where the
/// tapes record the unrolled iterations); checks both against the closed forms `d1`, `d2`.
fn check_second_order(name: &str, y: fn(&Tensor) -> Result<Tensor>, x: &Tensor, d1: &[f64], d2: &[f64]) -> Result<()> {
    let func = Function::of_tensors(name, FunctionOptions::default(), move |a| derivatives(y, &a[0]));
    let traced = func.call_tensors(&[x])?;
    let eager = derivatives(y, x)?;
    close(&f64s(&eager[0]), d1, &format!("{name}: eager first derivative"));
    close(&f64s(&eager[1]), d2, &format!("{name}: eager second derivative"));
    close(&f64s(&traced[0]), d1, &format!("{name}: traced first derivative"));
    close(&f64s(&traced[1]), d2, &format!("{name}: traced second derivative"));
    let g = func.concrete_functions()[0].graph().clone();
    let whiles = g.nodes().iter().filter(|n| n.kind.name() == "while").count();
    assert!(whiles >= 3, "forward, backward and second-order loops are graph nodes:\n{g}");
    Ok(())
}

#[test]
fn second_order_gradient_through_a_traced_loop_with_a_fixed_trip_count() -> Result<()> {
    // y = Σ x³ by multiplying three times: y' = 3x², y'' = 6x.
    fn y(x: &Tensor) -> Result<Tensor> {
        power(&[x.clone(), Tensor::from(3)])
    }
    let xs = [1.5f64, -0.5, 2.0];
    let d1: Vec<f64> = xs.iter().map(|x| 3.0 * x * x).collect();
    let d2: Vec<f64> = xs.iter().map(|x| 6.0 * x).collect();
    check_second_order("cube", y, &Tensor::from(xs), &d1, &d2)?;
    check_second_order("cube_scalar", y, &Tensor::from(2.0f64), &[12.0], &[12.0])
}

#[test]
fn second_order_gradient_through_a_traced_loop_with_maximum_iterations() -> Result<()> {
    // The condition alone would run 100 iterations; maximum_iterations stops after 4: y = x⁴.
    fn y(x: &Tensor) -> Result<Tensor> {
        let (_, p) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(100)),
            |(i, p): &(Tensor, Tensor)| Ok(((i + 1)?, (p * x)?)),
            (Tensor::from(0), ones_like(x)?),
            WhileOptions::max_iterations(4),
        )?;
        reduce_sum(&p, None, false)
    }
    let xs = [0.5f64, -1.25];
    let d1: Vec<f64> = xs.iter().map(|x| 4.0 * x.powi(3)).collect();
    let d2: Vec<f64> = xs.iter().map(|x| 12.0 * x * x).collect();
    check_second_order("fourth", y, &Tensor::from(xs), &d1, &d2)
}

#[test]
fn second_order_gradient_through_a_traced_loop_with_a_data_dependent_trip_count() -> Result<()> {
    // n is an argument of the function, so one trace serves every trip count.
    let func = Function::of_tensors("power_n", FunctionOptions::default(), |a| {
        let (x, n) = (&a[0], &a[1]);
        let outer = GradientTape::new();
        let dy = outer.scope(|outer| -> Result<Tensor> {
            outer.watch(x);
            let inner = GradientTape::new();
            let v = inner.scope(|inner| {
                inner.watch(x);
                power(&[x.clone(), n.clone()])
            })??;
            Ok(inner.gradient(&v, &[x])?.remove(0).expect("first derivative"))
        })??;
        Ok(vec![dy.clone(), outer.gradient(&dy, &[x])?.remove(0).expect("second derivative")])
    });
    let x = [1.5f64, -0.5];
    for n in [0i32, 1, 2, 3, 5] {
        let out = func.call_tensors(&[&Tensor::from(x), &Tensor::from(n)])?;
        let nf = f64::from(n);
        let d1: Vec<f64> = x.iter().map(|x| if n == 0 { 0.0 } else { nf * x.powi(n - 1) }).collect();
        let d2: Vec<f64> = x.iter().map(|x| if n < 2 { 0.0 } else { nf * (nf - 1.0) * x.powi(n - 2) }).collect();
        close(&f64s(&out[0]), &d1, &format!("d(x^{n})/dx"));
        close(&f64s(&out[1]), &d2, &format!("d²(x^{n})/dx²"));
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

#[test]
fn second_order_gradient_through_a_traced_nonlinear_recurrence() -> Result<()> {
    // h ← tanh(h·x + 0.5), three times from h = x: no closed form worth writing, so the
    // eager unrolled derivatives are the reference, and the eager second derivative is itself
    // checked by central differences of the eager first derivative.
    fn y(x: &Tensor) -> Result<Tensor> {
        let (_, h) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(3)),
            |(i, h): &(Tensor, Tensor)| Ok(((i + 1)?, tanh(&(&(h * x)? + 0.5)?)?)),
            (Tensor::from(0), x.clone()),
            WhileOptions::default(),
        )?;
        reduce_sum(&h, None, false)
    }
    let x = Tensor::from([0.3f64, -0.8, 1.1]);
    let eager = derivatives(y, &x)?;
    let first_at = |v: Vec<f64>| -> Result<Vec<f64>> { Ok(f64s(&derivatives(y, &Tensor::from(v))?[0])) };
    let xs = f64s(&x);
    let eps = 1e-6;
    let fd: Vec<f64> = {
        let hi = first_at(xs.iter().map(|v| v + eps).collect())?;
        let lo = first_at(xs.iter().map(|v| v - eps).collect())?;
        hi.iter().zip(&lo).map(|(a, b)| (a - b) / (2.0 * eps)).collect()
    };
    for (a, b) in f64s(&eager[1]).iter().zip(&fd) {
        assert!((a - b).abs() < 1e-6, "eager y'' {a} vs finite differences {b}");
    }
    check_second_order("recurrence", y, &x, &f64s(&eager[0]), &f64s(&eager[1]))
}

#[test]
fn mixed_second_derivative_reaches_a_variable_read_in_the_loop() -> Result<()> {
    // y = Σ (w x)³ with the variable w read in the body: ∂y/∂x = 3 w³ x², whose gradient is
    // 6 w³ x with respect to x and 9 w² x² with respect to w.
    let w = Variable::new(Tensor::from([0.5f64, 2.0]), "w");
    let ww = w.clone();
    let func = Function::of_tensors("mixed", FunctionOptions::default(), move |a| {
        let x = &a[0];
        let outer = GradientTape::new();
        let dy = outer.scope(|outer| -> Result<Tensor> {
            outer.watch(x);
            let inner = GradientTape::new();
            let v = inner.scope(|inner| {
                inner.watch(x);
                let (_, p) = while_loop(
                    |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(3)),
                    |(i, p): &(Tensor, Tensor)| Ok(((i + 1)?, (p * &(x * &ww.read_value())?)?)),
                    (Tensor::from(0), ones_like(x)?),
                    WhileOptions::default(),
                )?;
                reduce_sum(&p, None, false)
            })??;
            Ok(inner.gradient(&v, &[x])?.remove(0).expect("first derivative"))
        })??;
        let g = outer.gradient(&dy, &[x, &ww])?;
        Ok(vec![dy, g[0].clone().expect("d/dx"), g[1].clone().expect("d/dw")])
    });
    let x = [1.5f64, -0.5];
    let out = func.call_tensors(&[&Tensor::from(x)])?;
    let wv = [0.5f64, 2.0];
    let at = |f: fn(f64, f64) -> f64| -> Vec<f64> { x.iter().zip(&wv).map(|(&x, &w)| f(x, w)).collect() };
    close(&f64s(&out[0]), &at(|x, w| 3.0 * w.powi(3) * x * x), "dy/dx");
    close(&f64s(&out[1]), &at(|x, w| 6.0 * w.powi(3) * x), "d²y/dx²");
    close(&f64s(&out[2]), &at(|x, w| 9.0 * w * w * x * x), "d²y/dxdw");
    Ok(())
}

/// Σ (x · i)² over `i < n`, the terms written into a fixed-size TensorArray of four rows in the
/// loop and stacked after it (unwritten rows stay zero).
fn tensor_array_terms(a: &[Tensor]) -> Result<Tensor> {
    let (x, n) = (&a[0], &a[1]);
    let (_, ta) = while_loop(
        |(i, _): &(Tensor, TensorArray)| less(i, n),
        |(i, ta): &(Tensor, TensorArray)| Ok(((i + 1)?, ta.write(i, &(x * &cast(i, DType::F64)?)?)?)),
        (Tensor::from(0), TensorArray::new(DType::F64, 4, false).with_element_shape(&[])),
        WhileOptions::default(),
    )?;
    reduce_sum(&square(&ta.stack()?)?, None, false)
}

#[test]
fn gradient_through_a_tensor_array_written_in_a_traced_loop() -> Result<()> {
    // The loop only writes the array, so the forward loop keeps just its shape per iteration
    // and the backward loop walks the writes back.
    let func = traced_gradients("tensor_array_terms", tensor_array_terms);
    let x = Tensor::from(1.5f64);
    for (n, sum_sq) in [(4, 14.0), (2, 1.0), (0, 0.0)] {
        let r = both_ways(&func, tensor_array_terms, &[x.clone(), Tensor::from(n)])?;
        close(&r[0], &[sum_sq * 2.25], &format!("y for n = {n}"));
        close(&r[1], &[2.0 * sum_sq * 1.5], &format!("dy/dx for n = {n}"));
    }
    assert_eq!(func.tracing_count(), 1);
    // The loop only writes the buffer, so it stacks the buffer's shape per iteration (int32
    // rows), never a copy of the [4] buffer (float64 rows of 4).
    let g = func.concrete_functions()[0].graph().clone();
    let stacked_buffers = g
        .nodes()
        .iter()
        .filter(|n| n.kind.name() == "while")
        .flat_map(|n| n.outputs.iter())
        .filter(|s| s.dtype == DType::F64 && s.dims.len() == 2)
        .count();
    assert_eq!(stacked_buffers, 0, "{g}");
    Ok(())
}

/// The first three derivatives of `Σ y(x)` from three nested tapes.
fn three_derivatives(y: &dyn Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Result<Vec<Tensor>> {
    let t3 = GradientTape::new();
    let (d1, d2) = t3.scope(|t3| -> Result<(Tensor, Tensor)> {
        t3.watch(x);
        let t2 = GradientTape::new();
        let d1 = t2.scope(|t2| -> Result<Tensor> {
            t2.watch(x);
            let t1 = GradientTape::new();
            let v = t1.scope(|t1| {
                t1.watch(x);
                y(x)
            })??;
            Ok(t1.gradient(&v, &[x])?.remove(0).expect("first derivative"))
        })??;
        Ok((d1.clone(), t2.gradient(&d1, &[x])?.remove(0).expect("second derivative")))
    })??;
    let d3 = t3.gradient(&d2, &[x])?.remove(0).expect("third derivative");
    Ok(vec![d1, d2, d3])
}

#[test]
fn third_order_gradient_through_a_traced_loop_with_a_data_dependent_trip_count() -> Result<()> {
    // y = Σ xⁿ by n multiplications, n fed at run time: y' = n xⁿ⁻¹, y'' = n(n-1) xⁿ⁻², y''' = n(n-1)(n-2) xⁿ⁻³.
    let func = Function::of_tensors("third", FunctionOptions::default(), |a| {
        let n = a[1].clone();
        three_derivatives(&move |x: &Tensor| power(&[x.clone(), n.clone()]), &a[0])
    });
    let xs = [1.5f64, -0.5, 2.0];
    // From n = 3 on, so the second derivative still depends on x.
    for n in [3i32, 4, 6] {
        let out = func.call_tensors(&[&Tensor::from(xs), &Tensor::from(n)])?;
        let eager = three_derivatives(&|x: &Tensor| power(&[x.clone(), Tensor::from(n)]), &Tensor::from(xs))?;
        let k = n as f64;
        let want = [
            xs.map(|x| k * x.powi(n - 1)),
            xs.map(|x| k * (k - 1.0) * x.powi(n - 2)),
            xs.map(|x| k * (k - 1.0) * (k - 2.0) * x.powi(n - 3)),
        ];
        for (d, w) in want.iter().enumerate() {
            close(&f64s(&out[d]), w, &format!("n = {n}: traced derivative {}", d + 1));
            close(&f64s(&eager[d]), w, &format!("n = {n}: eager derivative {}", d + 1));
        }
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

#[test]
fn gradient_of_a_traced_loop_over_a_none_batch_dimension() -> Result<()> {
    // y = Σ xⁿ over a batch of any length: the loop's stacks hold rows of the run-time batch.
    let func = Function::new(
        "power_none",
        FunctionOptions {
            input_signature: Some(vec![
                tensile::function::TensorSpec::new(&[None], DType::F64),
                tensile::function::TensorSpec::new(&[], DType::I32),
            ]),
            ..Default::default()
        },
        |args| {
            let a = [args[0].tensor()?.clone(), args[1].tensor()?.clone()];
            let g = gradients_of(power, &a)?;
            Ok(tensile::function::Arg::Tensor(g[1].clone()))
        },
    );
    for xs in [vec![1.5f64, -0.5, 2.0], vec![3.0], vec![0.5, 1.0, -2.0, 4.0, 1.25]] {
        let out = func.call(&[Tensor::from(xs.clone()).into(), Tensor::from(3).into()])?;
        let want: Vec<f64> = xs.iter().map(|x| 3.0 * x * x).collect();
        close(&f64s(out.tensor()?), &want, "3 x²");
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

/// Σ x^(2k) for k = 1..=n: the powers x^k are written into a TensorArray that starts empty and
/// grows one row per iteration (`dynamic_size`), then stacked and squared.
fn growing_powers(a: &[Tensor]) -> Result<Tensor> {
    let (x, n) = (&a[0], &a[1]);
    let (_, _, ta) = while_loop(
        |(i, _, _): &(Tensor, Tensor, TensorArray)| less(i, n),
        |(i, p, ta): &(Tensor, Tensor, TensorArray)| {
            let p = (p * x)?;
            Ok(((i + 1)?, p.clone(), ta.write(i, &p)?))
        },
        (Tensor::from(0), ones_like(x)?, TensorArray::new(DType::F64, 0, true).with_element_shape(&x.dims())),
        WhileOptions::default(),
    )?;
    reduce_sum(&square(&ta.stack()?)?, None, false)
}

#[test]
fn gradient_through_a_tensor_array_growing_in_a_traced_loop() -> Result<()> {
    // The buffer changes shape every iteration, so it cannot be stacked per iteration; the
    // backward loop walks its writes back instead. dy/dx = Σ 2k x^(2k-1).
    let func = traced_gradients("growing_powers", growing_powers);
    let x = 0.75f64;
    for n in [1i32, 3, 6] {
        let r = both_ways(&func, growing_powers, &[Tensor::from(x), Tensor::from(n)])?;
        let y: f64 = (1..=n).map(|k| x.powi(2 * k)).sum();
        let dy: f64 = (1..=n).map(|k| 2.0 * f64::from(k) * x.powi(2 * k - 1)).sum();
        close(&r[0], &[y], &format!("y for n = {n}"));
        close(&r[1], &[dy], &format!("dy/dx for n = {n}"));
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

/// Two rows per iteration into a growing array, the second written first and the first
/// overwritten: rows 2k and 2k+1 end as x^k·w and (x^k)², from i = k iterations.
fn two_writes_per_iteration(a: &[Tensor]) -> Result<Tensor> {
    let (x, w, n) = (&a[0], &a[1], &a[2]);
    let (_, _, ta) = while_loop(
        |(i, _, _): &(Tensor, Tensor, TensorArray)| less(i, n),
        |(i, p, ta): &(Tensor, Tensor, TensorArray)| {
            let p = (p * x)?;
            let even = (i * 2)?;
            let odd = (&even + 1)?;
            let ta = ta.write(&odd, &square(&p)?)?.write(&even, &(&p * 100.0)?)?.write(&even, &(&p * w)?)?;
            Ok(((i + 1)?, p, ta))
        },
        (Tensor::from(0), ones_like(x)?, TensorArray::new(DType::F64, 0, true).with_element_shape(&[Some(2)])),
        WhileOptions::default(),
    )?;
    reduce_sum(&ta.stack()?, None, false)
}

#[test]
fn gradient_through_overwritten_rows_of_a_growing_array() -> Result<()> {
    // y = Σ_k (x^k w + x^2k) summed over both elements: the overwritten x^k·100 contributes
    // nothing. dy/dx = Σ_k (k x^(k-1) w + 2k x^(2k-1)), dy/dw = Σ_k x^k.
    let func = traced_gradients("two_writes", two_writes_per_iteration);
    let x = Tensor::from([0.5f64, -1.25]);
    let w = Tensor::from([3.0f64, 2.0]);
    for n in [1i32, 4] {
        let r = both_ways(&func, two_writes_per_iteration, &[x.clone(), w.clone(), Tensor::from(n)])?;
        let (xs, ws) = (f64s(&x), f64s(&w));
        let y: f64 = (1..=n).map(|k| xs.iter().zip(&ws).map(|(x, w)| x.powi(k) * w + x.powi(2 * k)).sum::<f64>()).sum();
        let dx: Vec<f64> = xs
            .iter()
            .zip(&ws)
            .map(|(x, w)| {
                (1..=n).map(|k| f64::from(k) * x.powi(k - 1) * w + 2.0 * f64::from(k) * x.powi(2 * k - 1)).sum()
            })
            .collect();
        let dw: Vec<f64> = xs.iter().map(|x| (1..=n).map(|k| x.powi(k)).sum()).collect();
        close(&r[0], &[y], &format!("y for n = {n}"));
        close(&r[1], &dx, &format!("dy/dx for n = {n}"));
        close(&r[2], &dw, &format!("dy/dw for n = {n}"));
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

/// Like [`growing_powers`], with an int32 array of the step numbers written alongside, which
/// weights each term after the loop (so the integer buffer is a loop variable with no gradient).
fn weighted_by_step(a: &[Tensor]) -> Result<Tensor> {
    let (x, n) = (&a[0], &a[1]);
    type Vars = (Tensor, Tensor, TensorArray, TensorArray);
    let (_, _, ta, steps) = while_loop(
        |(i, _, _, _): &Vars| less(i, n),
        |(i, p, ta, steps): &Vars| {
            let p = (p * x)?;
            let next = (i + 1)?;
            Ok((next.clone(), p.clone(), ta.write(i, &p)?, steps.write(i, &next)?))
        },
        (
            Tensor::from(0),
            ones_like(x)?,
            TensorArray::new(DType::F64, 0, true).with_element_shape(&[]),
            TensorArray::new(DType::I32, 0, true).with_element_shape(&[]),
        ),
        WhileOptions::default(),
    )?;
    reduce_sum(&(&ta.stack()? * &cast(&steps.stack()?, DType::F64)?)?, None, false)
}

#[test]
fn gradient_next_to_an_integer_array_growing_in_a_traced_loop() -> Result<()> {
    // y = Σ k x^k, dy/dx = Σ k² x^(k-1).
    let func = traced_gradients("weighted_by_step", weighted_by_step);
    let x = -1.5f64;
    for n in [2i32, 5] {
        let r = both_ways(&func, weighted_by_step, &[Tensor::from(x), Tensor::from(n)])?;
        let y: f64 = (1..=n).map(|k| f64::from(k) * x.powi(k)).sum();
        let dy: f64 = (1..=n).map(|k| f64::from(k * k) * x.powi(k - 1)).sum();
        close(&r[0], &[y], &format!("y for n = {n}"));
        close(&r[1], &[dy], &format!("dy/dx for n = {n}"));
    }
    Ok(())
}

/// Σ of the rows of `ta` after the loop sets row i to row i-1 times x for 1 <= i < n.
fn read_back(x: &Tensor, n: &Tensor, ta: TensorArray) -> Result<Tensor> {
    let (_, ta) = while_loop(
        |(i, _): &(Tensor, TensorArray)| less(i, n),
        |(i, ta): &(Tensor, TensorArray)| {
            let prev = ta.read(&(i - 1)?)?;
            Ok(((i + 1)?, ta.write(i, &(&prev * x)?)?))
        },
        (Tensor::from(1), ta),
        WhileOptions::default(),
    )?;
    reduce_sum(&ta.stack()?, None, false)
}

/// A growing array the loop also reads (each term is the previous one times x).
fn growing_and_read(a: &[Tensor]) -> Result<Tensor> {
    read_back(&a[0], &a[1], TensorArray::new(DType::F64, 0, true).write(0, &ones_like(&a[0])?)?)
}

#[test]
fn gradient_through_a_growing_array_the_loop_reads() -> Result<()> {
    // Rows are x^k for k < n: y = Σ x^k, dy/dx = Σ k x^(k-1). The forward loop stacks the row
    // each iteration reads, not the growing buffer.
    let func = traced_gradients("growing_and_read", growing_and_read);
    let x = Tensor::from([2.0f64, -0.5]);
    for n in [1i32, 2, 5] {
        let r = both_ways(&func, growing_and_read, &[x.clone(), Tensor::from(n)])?;
        let xs = f64s(&x);
        let y: f64 = xs.iter().map(|x| (0..n).map(|k| x.powi(k)).sum::<f64>()).sum();
        let dy: Vec<f64> = xs.iter().map(|x| (1..n).map(|k| f64::from(k) * x.powi(k - 1)).sum()).collect();
        close(&r[0], &[y], &format!("y for n = {n}"));
        close(&r[1], &dy, &format!("dy/dx for n = {n}"));
    }
    assert_eq!(func.tracing_count(), 1);
    Ok(())
}

#[test]
fn second_order_gradient_through_a_growing_array_the_loop_reads() -> Result<()> {
    // y = Σ_{k<5} x^k: y' = Σ k x^(k-1), y'' = Σ k(k-1) x^(k-2).
    fn y(x: &Tensor) -> Result<Tensor> {
        growing_and_read(&[x.clone(), Tensor::from(5)])
    }
    let xs = [0.5f64, -1.5];
    let d1: Vec<f64> = xs.iter().map(|x| (1..5).map(|k| f64::from(k) * x.powi(k - 1)).sum()).collect();
    let d2: Vec<f64> = xs.iter().map(|x| (2..5).map(|k| f64::from(k * (k - 1)) * x.powi(k - 2)).sum()).collect();
    check_second_order("growing_read_second", y, &Tensor::from(xs), &d1, &d2)
}

/// Each iteration writes row i of a growing array, then reads it back (a read after a write).
fn read_after_write(a: &[Tensor]) -> Result<Tensor> {
    let (x, n) = (&a[0], &a[1]);
    let (_, total, _) = while_loop(
        |(i, _, _): &(Tensor, Tensor, TensorArray)| less(i, n),
        |(i, total, ta): &(Tensor, Tensor, TensorArray)| {
            let ta = ta.write(i, &(x * &cast(i, DType::F64)?)?)?;
            let back = ta.read(i)?;
            Ok(((i + 1)?, (total + &back)?, ta))
        },
        (Tensor::from(0), Tensor::from(0.0f64), TensorArray::new(DType::F64, 0, true).with_element_shape(&[])),
        WhileOptions::default(),
    )?;
    Ok(total)
}

#[test]
fn differentiating_a_growing_array_read_after_a_write_is_a_clear_error() {
    let func = traced_gradients("read_after_write", read_after_write);
    let err = func.call_tensors(&[&Tensor::from(2.0f64), &Tensor::from(3)]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("while_loop") && msg.contains("changes shape between iterations"), "{msg}");
    assert!(msg.contains("reads rows only before writing") && msg.contains("fixed size"), "{msg}");
    // Eagerly the tape records the unrolled iterations: y = x (0 + 1 + 2).
    let eager = gradients_of(read_after_write, &[Tensor::from(2.0f64), Tensor::from(3)]).unwrap();
    close(&f64s(&eager[1]), &[3.0], "eager gradient");
}

/// A fixed-size array the loop both reads and writes: rows hold x^k, each from the previous.
fn fixed_and_read(a: &[Tensor]) -> Result<Tensor> {
    read_back(&a[0], &a[1], TensorArray::new(DType::F64, 5, false).with_element_shape(&[]).write(0, &a[0])?)
}

#[test]
fn gradient_through_a_fixed_size_array_the_loop_reads() -> Result<()> {
    // Rows 0..n hold x^(k+1), the rest stay zero: dy/dx = Σ_{k<n} (k+1) x^k.
    let func = traced_gradients("fixed_and_read", fixed_and_read);
    let x = 1.25f64;
    for n in [1i32, 3, 5] {
        let r = both_ways(&func, fixed_and_read, &[Tensor::from(x), Tensor::from(n)])?;
        let dy: f64 = (0..n).map(|k| f64::from(k + 1) * x.powi(k)).sum();
        close(&r[1], &[dy], &format!("dy/dx for n = {n}"));
    }
    // The forward loop stacks the row read per iteration (float64 [None]), never a copy of
    // the [5] buffer (float64 [None, 5]).
    let g = func.concrete_functions()[0].graph().clone();
    let whiles = g.nodes().iter().filter(|n| n.kind.name() == "while");
    let stacked_buffers = whiles.flat_map(|n| n.outputs.iter()).filter(|s| s.dtype == DType::F64 && s.dims.len() == 2);
    assert_eq!(stacked_buffers.count(), 0, "{g}");
    Ok(())
}

#[test]
fn second_order_gradient_through_a_growing_array() -> Result<()> {
    // y = Σ_{k≤3} x^2k: y' = Σ 2k x^(2k-1), y'' = Σ 2k(2k-1) x^(2k-2).
    fn y(x: &Tensor) -> Result<Tensor> {
        growing_powers(&[x.clone(), Tensor::from(3)])
    }
    let xs = [0.5f64, -1.5];
    let d1: Vec<f64> = xs.iter().map(|x| (1..=3).map(|k| 2.0 * f64::from(k) * x.powi(2 * k - 1)).sum()).collect();
    let d2: Vec<f64> =
        xs.iter().map(|x| (1..=3).map(|k| f64::from(2 * k * (2 * k - 1)) * x.powi(2 * k - 2)).sum()).collect();
    check_second_order("growing_second", y, &Tensor::from(xs), &d1, &d2)
}

/// Like [`growing_powers`], also carrying the array's size after each write as a loop variable
/// (the body reads the shape of the buffer it produces), which weights the result.
fn growing_with_size(a: &[Tensor]) -> Result<Tensor> {
    let (x, n) = (&a[0], &a[1]);
    type Vars = (Tensor, Tensor, TensorArray, Tensor);
    let (_, _, ta, size) = while_loop(
        |(i, _, _, _): &Vars| less(i, n),
        |(i, p, ta, _): &Vars| {
            let p = (p * x)?;
            let ta = ta.write(i, &p)?;
            let size = ta.size()?;
            Ok(((i + 1)?, p, ta, size))
        },
        (
            Tensor::from(0),
            ones_like(x)?,
            TensorArray::new(DType::F64, 0, true).with_element_shape(&[]),
            Tensor::from(0),
        ),
        WhileOptions::default(),
    )?;
    &reduce_sum(&ta.stack()?, None, false)? * &cast(&size, DType::F64)?
}

#[test]
fn gradient_through_a_growing_array_whose_new_size_the_loop_reads() -> Result<()> {
    // y = n Σ_{k≤n} x^k, dy/dx = n Σ k x^(k-1).
    let func = traced_gradients("growing_with_size", growing_with_size);
    let x = 1.25f64;
    for n in [1i32, 4] {
        let r = both_ways(&func, growing_with_size, &[Tensor::from(x), Tensor::from(n)])?;
        let k = f64::from(n);
        close(&r[0], &[k * (1..=n).map(|j| x.powi(j)).sum::<f64>()], &format!("y for n = {n}"));
        close(&r[1], &[k * (1..=n).map(|j| f64::from(j) * x.powi(j - 1)).sum::<f64>()], &format!("dy/dx, n = {n}"));
    }
    Ok(())
}
