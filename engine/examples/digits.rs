//! Logistic regression on the handwritten-digits data set, trained eagerly with a
//! `GradientTape` and a hand-written Adam update: `cargo run --release -p tensile --example digits`.

use std::io::Read;
use tensile::ops::{linalg, math, nn, reduce};
use tensile::prelude::*;

const DIGITS_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

struct Split {
    x: Vec<f32>,
    y: Vec<i32>,
}

/// Rows i with i % 5 == 4 are the test set (1438 train / 359 test); pixels scaled by 1/16.
fn load() -> std::result::Result<(Split, Split), String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS_GZ).read_to_string(&mut text).map_err(|e| e.to_string())?;
    let (mut train, mut test) = (Split { x: vec![], y: vec![] }, Split { x: vec![], y: vec![] });
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let vals: Vec<f32> = line
            .split(',')
            .map(|v| v.trim().parse::<f32>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| format!("digits.csv line {}: {e}", i + 1))?;
        if vals.len() != 65 {
            return Err(format!("digits.csv line {}: expected 65 columns, found {}", i + 1, vals.len()));
        }
        let dst = if i % 5 == 4 { &mut test } else { &mut train };
        dst.x.extend(vals[..64].iter().map(|p| p / 16.0));
        dst.y.push(vals[64] as i32);
    }
    Ok((train, test))
}

/// Adam (Kingma & Ba) with TensorFlow's defaults for beta1, beta2 and epsilon.
struct Adam {
    lr: f64,
    step: i32,
    slots: Vec<(Variable, Variable)>,
}

impl Adam {
    fn new(lr: f64, vars: &[&Variable]) -> Result<Adam> {
        let slots = vars
            .iter()
            .map(|v| -> Result<(Variable, Variable)> {
                Ok((
                    Variable::with_trainable(zeros(v.dtype(), v.shape())?, "m", false),
                    Variable::with_trainable(zeros(v.dtype(), v.shape())?, "v", false),
                ))
            })
            .collect::<Result<_>>()?;
        Ok(Adam { lr, step: 0, slots })
    }

    fn apply(&mut self, grads: &[Tensor], vars: &[&Variable]) -> Result<()> {
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-7f64);
        self.step += 1;
        let lr_t = self.lr * (1.0 - b2.powi(self.step)).sqrt() / (1.0 - b1.powi(self.step));
        for ((g, var), (m, v)) in grads.iter().zip(vars).zip(&self.slots) {
            let m_new = (&(&m.read_value() * b1)? + &(g * (1.0 - b1))?)?;
            let v_new = (&(&v.read_value() * b2)? + &(&math::square(g)? * (1.0 - b2))?)?;
            let step = (&math::div(&m_new, &(&math::sqrt(&v_new)? + eps)?)? * lr_t)?;
            m.assign(&m_new)?;
            v.assign(&v_new)?;
            var.assign_sub(&step)?;
        }
        Ok(())
    }
}

fn logits(x: &Tensor, w: &Variable, b: &Variable) -> Result<Tensor> {
    &linalg::matmul(x, &w.read_value())? + &b.read_value()
}

fn accuracy(x: &Tensor, y: &Tensor, w: &Variable, b: &Variable) -> Result<f64> {
    let pred = math::cast(&reduce::argmax(&logits(x, w, b)?, 1)?, DType::I32)?;
    let hits = math::cast(&math::equal(&pred, y)?, DType::F32)?;
    Ok(reduce::reduce_mean(&hits, None, false)?.item::<f32>()? as f64)
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let (train, test) = load()?;
    let n = train.y.len();
    let x_test = Tensor::from_vec(test.x.clone(), &[test.y.len(), 64])?;
    let y_test = Tensor::from_vec(test.y.clone(), &[test.y.len()])?;
    println!("digits: {n} train rows, {} test rows", test.y.len());

    let w = Variable::new(zeros(DType::F32, &[64, 10])?, "dense/kernel");
    let b = Variable::new(zeros(DType::F32, &[10])?, "dense/bias");
    let mut opt = Adam::new(1e-2, &[&w, &b])?;
    let (epochs, batch) = (30, 32);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let start = std::time::Instant::now();
    for epoch in 1..=epochs {
        // Fisher–Yates shuffle with a fixed xorshift stream: the run is reproducible.
        for i in (1..n).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        let mut total = 0.0;
        for chunk in order.chunks(batch) {
            let xb: Vec<f32> = chunk.iter().flat_map(|&i| train.x[i * 64..(i + 1) * 64].iter().copied()).collect();
            let yb: Vec<i32> = chunk.iter().map(|&i| train.y[i]).collect();
            let xb = Tensor::from_vec(xb, &[chunk.len(), 64])?;
            let yb = Tensor::from_vec(yb, &[chunk.len()])?;
            let tape = GradientTape::new();
            let loss = tape.scope(|_| -> Result<Tensor> {
                let per_example = nn::sparse_softmax_cross_entropy_with_logits(&yb, &logits(&xb, &w, &b)?)?;
                reduce::reduce_mean(&per_example, None, false)
            })??;
            let grads = tape.gradient(&loss, &[&w, &b])?;
            let grads: Vec<Tensor> = grads.into_iter().map(|g| g.expect("both variables feed the loss")).collect();
            opt.apply(&grads, &[&w, &b])?;
            total += loss.item::<f32>()? as f64 * chunk.len() as f64;
        }
        if epoch % 5 == 0 || epoch == 1 {
            println!("epoch {epoch:2}: loss {:.4}", total / n as f64);
        }
    }
    let acc = accuracy(&x_test, &y_test, &w, &b)?;
    println!("trained in {:.2} s; test accuracy: {acc:.4}", start.elapsed().as_secs_f64());
    Ok(())
}
