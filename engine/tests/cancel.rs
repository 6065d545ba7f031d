//! Cancellation: a cancelled token stops eager ops, heavy kernels, `while_loop` (eager and
//! traced) and the graph executor with `CancelledError`, and leaves variables whole.

use std::sync::mpsc;
use std::time::{Duration, Instant};
use tensile::attrs::Attrs;
use tensile::cancel::{self, with_cancel, CancelToken};
use tensile::control_flow::{while_loop, WhileOptions};
use tensile::function::{Function, FunctionOptions};
use tensile::graph::{exec, Graph};
use tensile::kernels;
use tensile::ops::{linalg::MATMUL, math, Spec};
use tensile::prelude::*;
use tensile::ErrorKind;

fn cancelled() -> CancelToken {
    let t = CancelToken::new();
    t.cancel();
    t
}

fn assert_cancelled<T: std::fmt::Debug>(r: Result<T>, op: &str) {
    let e = r.expect_err("the work should have been cancelled");
    assert_eq!(e.kind, ErrorKind::Cancelled, "{e}");
    assert_eq!(e.op.as_deref(), Some(op), "{e}");
}

fn big_matrix(n: usize) -> Tensor {
    let v: Vec<f32> = (0..n * n).map(|i| (i % 17) as f32 * 0.25 - 2.0).collect();
    Tensor::from_vec(v, &[n, n]).expect("matrix")
}

#[test]
fn eager_matmul_of_a_large_matrix_stops_when_cancelled() -> Result<()> {
    let a = big_matrix(2048);
    let start = Instant::now();
    assert_cancelled(with_cancel(&cancelled(), || matmul(&a, &a)), "matmul");
    assert!(start.elapsed() < Duration::from_secs(1), "took {:?}", start.elapsed());
    // The same call without a cancelled token computes (a small one, to stay quick).
    let s = big_matrix(3);
    let want = matmul(&s, &s)?;
    let got = with_cancel(&CancelToken::new(), || matmul(&s, &s))?;
    assert_eq!(got.to_vec::<f32>()?, want.to_vec::<f32>()?);
    Ok(())
}

#[test]
fn heavy_kernels_check_the_captured_token() {
    use kernels::gemm::{MatDims, Strides};
    let token = cancelled();
    // Called directly (no op dispatch): the kernels see the token themselves.
    let n = 512;
    let a = vec![1.0f32; n * n];
    let d = MatDims { m: n, n, k: n, a: Strides::stored(n, false), b: Strides::stored(n, false) };
    let mut out = vec![0.0f32; n * n];
    assert_cancelled(with_cancel(&token, || kernels::gemm::matmul(&d, &a, &a, &mut out, true)), "matmul");
    let big = vec![1.5f32; 1 << 20];
    assert_cancelled(with_cancel(&token, || kernels::elementwise::map(&big, |x| x * 2.0)), "elementwise");
    let r = with_cancel(&token, || kernels::reduce::reduce(&big, &[1 << 20], &[0], &kernels::reduce::Sum));
    assert_cancelled(r, "reduce");
    // Small inputs run on one thread without polling; outside a scope nothing is cancelled.
    assert_eq!(with_cancel(&token, || kernels::elementwise::map(&[1.0f32, 2.0], |x| x * 2.0)).unwrap(), vec![2.0, 4.0]);
    assert_eq!(kernels::reduce::reduce(&big, &[1 << 20], &[0], &kernels::reduce::Sum).unwrap(), vec![1572864.0]);
}

#[test]
fn eager_ops_name_the_op_that_was_cancelled() -> Result<()> {
    let x = Tensor::from_vec((0..1 << 20).map(|i| i as f32).collect::<Vec<_>>(), &[1 << 10, 1 << 10])?;
    let token = cancelled();
    assert_cancelled(with_cancel(&token, || reduce_sum(&x, None, false)), "reduce_sum");
    assert_cancelled(with_cancel(&token, || exp(&x)), "exp");
    let img = Tensor::from_vec(vec![1.0f32; 2 * 32 * 32 * 8], &[2, 32, 32, 8])?;
    let filt = Tensor::from_vec(vec![0.5f32; 3 * 3 * 8 * 4], &[3, 3, 8, 4])?;
    assert_cancelled(with_cancel(&token, || conv2d(&img, &filt, &[1, 1], "SAME", &[1, 1])), "conv2d");
    // Reset, the token scopes new work.
    token.reset();
    let s = with_cancel(&token, || reduce_sum(&x, None, false))?;
    assert_eq!(s.item::<f32>()?, reduce_sum(&x, None, false)?.item::<f32>()?);
    Ok(())
}

#[test]
fn eager_while_loop_stops_at_the_next_iteration() {
    let token = CancelToken::new();
    let mut bodies = 0;
    let r = with_cancel(&token, || {
        while_loop(
            |i: &Tensor| less(i, &Tensor::from(1_000_000_000i64)),
            |i: &Tensor| {
                bodies += 1;
                if bodies == 5 {
                    token.cancel();
                }
                // A body that runs no engine op: the loop's own check stops it.
                Ok(Tensor::from(i.item::<i64>()? + 1))
            },
            Tensor::from(0i64),
            WhileOptions::default(),
        )
    });
    assert_cancelled(r, "while_loop");
    assert_eq!(bodies, 5);
}

#[test]
fn traced_while_loop_with_a_huge_maximum_is_cancelled_from_another_thread() -> Result<()> {
    let counter = Variable::new(Tensor::from(0i64), "counter");
    let c = counter.clone();
    let f = Function::of_tensors("spin", FunctionOptions::default(), move |_| {
        let (i,) = while_loop(
            |(i,): &(Tensor,)| less(i, &Tensor::from(i64::MAX)),
            |(i,): &(Tensor,)| {
                c.assign_add(&Tensor::from(1i64))?;
                Ok((add(i, &Tensor::from(1i64))?,))
            },
            (Tensor::from(0i64),),
            WhileOptions::max_iterations(i64::MAX),
        )?;
        Ok(vec![i])
    });
    let token = CancelToken::new();
    let (seen_tx, seen_rx) = mpsc::channel();
    let watcher = {
        let (token, counter) = (token.clone(), counter.clone());
        std::thread::spawn(move || {
            // Cancel once the loop has visibly run, then report what had been counted by then.
            loop {
                let n = counter.peek().item::<i64>().expect("scalar");
                if n >= 20 {
                    token.cancel();
                    seen_tx.send(n).expect("receiver");
                    return;
                }
                std::thread::yield_now();
            }
        })
    };
    let r = with_cancel(&token, || f.call_tensors(&[]));
    watcher.join().expect("watcher");
    let e = r.expect_err("cancelled");
    assert_eq!(e.kind, ErrorKind::Cancelled, "{e}");
    let seen = seen_rx.recv().expect("count");
    let after = counter.peek().item::<i64>()?;
    // Every completed increment is whole; the loop stopped within a few iterations.
    assert!(after >= seen && after < seen + 1000, "seen {seen}, finally {after}");
    // The function still works afterwards.
    let g = Function::of_tensors("once", FunctionOptions::default(), |a| Ok(vec![(&a[0] * 2.0)?]));
    assert_eq!(g.call_tensors(&[&Tensor::from(2.0f32)])?[0].item::<f32>()?, 4.0);
    Ok(())
}

/// A chain of `n` additions of 1 to a float32 scalar argument.
fn chain(n: usize) -> Result<Graph> {
    let mut g = Graph::new();
    let mut x = g.add_placeholder(Spec::new(DType::F32, &[]));
    let one = g.add_const(Tensor::from(1.0f32));
    for _ in 0..n {
        x = g.add_op1(&math::ADD, &[x, one], Attrs::new())?;
    }
    g.set_outputs(&[x])?;
    Ok(g)
}

#[test]
fn graph_executor_checks_between_nodes() -> Result<()> {
    let g = chain(10)?;
    let x = Tensor::from(0.0f32);
    assert_eq!(exec::run(&g, std::slice::from_ref(&x), &[])?[0].item::<f32>()?, 10.0);
    let token = CancelToken::new();
    let mut adds = 0;
    let r = with_cancel(&token, || {
        exec::run_observed(&g, std::slice::from_ref(&x), &[], &mut |node, _| {
            if node.kind.op().is_some_and(|op| op.name == "add") {
                adds += 1;
                if adds == 3 {
                    token.cancel();
                }
            }
        })
    });
    let e = r.expect_err("cancelled");
    assert_eq!(e.kind, ErrorKind::Cancelled, "{e}");
    assert_eq!(adds, 3, "no node runs after the cancellation");
    Ok(())
}

#[test]
fn graph_matmul_node_is_cancelled_from_another_thread() -> Result<()> {
    let mut g = Graph::new();
    let a = g.add_placeholder(Spec::new(DType::F32, &[1024, 1024]));
    let mut y = a;
    for _ in 0..1000 {
        y = g.add_op1(&MATMUL, &[y, a], Attrs::new())?;
    }
    g.set_outputs(&[y])?;
    let x = Tensor::from_vec(vec![0.0f32; 1024 * 1024], &[1024, 1024])?;
    let token = CancelToken::new();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let canceller = {
        let token = token.clone();
        std::thread::spawn(move || {
            started_rx.recv().expect("started");
            token.cancel();
        })
    };
    let mut first = Some(started_tx);
    let r = with_cancel(&token, || {
        exec::run_observed(&g, &[x], &[], &mut |_, _| {
            if let Some(tx) = first.take() {
                tx.send(()).expect("canceller");
            }
        })
    });
    canceller.join().expect("canceller");
    assert_eq!(r.expect_err("1000 matmuls cannot finish first").kind, ErrorKind::Cancelled);
    Ok(())
}

#[test]
fn variable_updates_are_cancelled_before_they_write() -> Result<()> {
    let v = Variable::new(Tensor::from_vec(vec![1.0f32; 1 << 16], &[1 << 16])?, "v");
    let token = cancelled();
    assert_cancelled(with_cancel(&token, || v.assign_add(&Tensor::from(1.0f32))), "add");
    assert_cancelled(with_cancel(&token, || v.assign_sub(&Tensor::from(1.0f32))), "sub");
    assert!(v.peek().to_vec::<f32>()?.iter().all(|&x| x == 1.0));
    // Shielded work (what the in-place update runs under) ignores the token.
    with_cancel(&token, || cancel::shielded(|| v.assign_add(&Tensor::from(1.0f32))))?;
    assert!(v.peek().to_vec::<f32>()?.iter().all(|&x| x == 2.0));
    Ok(())
}
