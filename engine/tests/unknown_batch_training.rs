//! A whole train step traced once with a `None` batch dimension (`input_signature`), then run
//! on batches of different sizes: the losses and the updated weights must equal the same step
//! run eagerly on the same batches.

use tensile::function::{Arg, Function, FunctionOptions, TensorSpec};
use tensile::ops::nn::{bias_add, sparse_softmax_cross_entropy_with_logits};
use tensile::ops::{linalg, math, reduce};
use tensile::prelude::*;
use tensile::testing::test_tensor;

struct Net {
    params: Vec<Variable>,
    velocity: Vec<Variable>,
}

impl Net {
    fn new() -> Net {
        let f32s = |t: Tensor| Tensor::from_vec(t.to_f64_vec().iter().map(|&v| v as f32).collect(), t.shape());
        let shapes: [&[usize]; 4] = [&[6, 8], &[8], &[8, 3], &[3]];
        let params: Vec<Variable> = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| Variable::new(f32s(test_tensor(s, 300 + i as u64, -0.5, 0.5)).expect("param"), "p"))
            .collect();
        let velocity = params
            .iter()
            .map(|p| {
                Variable::with_trainable(math::mul(&p.read_value(), &Tensor::from(0.0f32)).expect("zeros"), "v", false)
            })
            .collect();
        Net { params, velocity }
    }

    /// Forward, tape gradient and a momentum SGD update; returns the mean loss.
    fn step(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let tape = GradientTape::new();
        let loss = tape.scope(|_| -> Result<Tensor> {
            let h = math::relu(&bias_add(
                &linalg::matmul(x, &self.params[0].read_value())?,
                &self.params[1].read_value(),
            )?)?;
            let logits = bias_add(&linalg::matmul(&h, &self.params[2].read_value())?, &self.params[3].read_value())?;
            // A per-example weight broadcast over the batch: exercises unbroadcasting too.
            let scaled =
                math::mul(&logits, &math::add(&reduce::reduce_mean(x, Some(&[1]), true)?, &Tensor::from(1.0f32))?)?;
            reduce::reduce_mean(&sparse_softmax_cross_entropy_with_logits(y, &scaled)?, None, false)
        })??;
        let sources: Vec<&dyn tensile::Watchable> = self.params.iter().map(|p| p as &dyn tensile::Watchable).collect();
        let grads = tape.gradient(&loss, &sources)?;
        for ((p, v), g) in self.params.iter().zip(&self.velocity).zip(grads) {
            let g = g.expect("every parameter gets a gradient");
            v.assign(&math::add(&math::mul(&v.read_value(), &Tensor::from(0.9f32))?, &g)?)?;
            p.assign_sub(&math::mul(&v.read_value(), &Tensor::from(0.1f32))?)?;
        }
        Ok(loss)
    }
}

fn batch(rows: usize, seed: u64) -> (Tensor, Tensor) {
    let x = test_tensor(&[rows, 6], seed, -1.0, 1.0);
    let x = Tensor::from_vec(x.to_f64_vec().iter().map(|&v| v as f32).collect(), &[rows, 6]).expect("x");
    let y: Vec<i32> = (0..rows).map(|i| ((i as u64 * 5 + seed) % 3) as i32).collect();
    (x, Tensor::from_vec(y, &[rows]).expect("labels"))
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 2e-5 * (1.0 + x.abs().max(y.abs())), "traced {a:?}\n eager {b:?}");
    }
}

#[test]
fn a_train_step_traced_with_a_none_batch_matches_eager_steps_on_every_batch_size() -> Result<()> {
    let eager = Net::new();
    let traced = std::rc::Rc::new(Net::new());
    let net = traced.clone();
    let f = Function::new(
        "train_step",
        FunctionOptions {
            input_signature: Some(vec![
                TensorSpec::new(&[None, Some(6)], DType::F32),
                TensorSpec::new(&[None], DType::I32),
            ]),
            ..Default::default()
        },
        move |args| Ok(Arg::Tensor(net.step(args[0].tensor()?, args[1].tensor()?)?)),
    );
    for (k, rows) in [5usize, 3, 8, 1, 5].into_iter().enumerate() {
        let (x, y) = batch(rows, 40 + k as u64);
        let want = eager.step(&x, &y)?;
        let got = f.call(&[(&x).into(), (&y).into()])?;
        close(&got.tensor()?.to_f64_vec(), &want.to_f64_vec());
        for (p, q) in traced.params.iter().zip(&eager.params) {
            close(&p.read_value().to_f64_vec(), &q.read_value().to_f64_vec());
        }
    }
    assert_eq!(f.tracing_count(), 1, "one trace serves every batch size");
    Ok(())
}
