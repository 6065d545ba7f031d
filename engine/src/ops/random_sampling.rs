//! Stateful sampling ops that pick among given values: `tf.random.shuffle` (TensorFlow's
//! `RandomShuffle`) and `tf.random.categorical` (`Multinomial`). Both follow the stateful seed
//! rules of the other random ops and draw the same Philox words as TensorFlow's CPU kernels, so
//! seeded results equal TensorFlow's.

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{execute1, expect_arity, OpDef, Spec, FLOATS};
use crate::random::{self, SingleSample};
use crate::tensor::{Element, Tensor};
use crate::{with_any, with_float};

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&RANDOM_SHUFFLE, &MULTINOMIAL];

fn seeds(op: &str, a: &Attrs) -> Result<(i64, i64)> {
    Ok((a.int(op, "seed")?, a.int(op, "seed2")?))
}

/// The order in which TensorFlow's shuffle takes the rows: a Fisher–Yates pass that swaps row
/// `i` with one drawn uniformly (modulo) from `i..n`.
fn shuffle_order(n: usize, words: &mut SingleSample<'_>) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    for i in 0..n.saturating_sub(1) {
        let j = i + (words.next() % (n - i) as u32) as usize;
        perm.swap(i, j);
    }
    perm
}

/// `tf.random.shuffle`'s op: the input with the slices along its first axis in random order.
pub static RANDOM_SHUFFLE: OpDef = OpDef {
    name: "random_shuffle",
    infer: |s, a| {
        expect_arity("random_shuffle", s, 1)?;
        seeds("random_shuffle", a)?;
        Ok(vec![s[0].clone()])
    },
    kernel: |i, a, _| {
        const OP: &str = "random_shuffle";
        let x = &i[0];
        let n = x.shape().first().copied().unwrap_or(1);
        if x.size() <= 1 || n <= 1 {
            // Nothing to reorder: TensorFlow draws no numbers either.
            return Ok(vec![x.fresh()]);
        }
        if n >= i32::MAX as usize {
            return Err(Error::invalid(OP, format!("cannot shuffle {n} rows: at most {} are supported", i32::MAX - 1)));
        }
        let (seed, seed2) = seeds(OP, a)?;
        let samples = (n - 1) as u64;
        let mut gen = random::reserve_blocks(OP, x.dtype(), seed, seed2, samples.div_ceil(4));
        let perm = shuffle_order(n, &mut SingleSample::new(&mut gen));
        let inner = x.size() / n;
        let t = with_any!(x.dtype(), T => {
            let v = x.as_slice::<T>()?;
            let mut out = Vec::with_capacity(v.len());
            for &p in &perm {
                out.extend_from_slice(&v[p * inner..(p + 1) * inner]);
            }
            Tensor::from_vec(out, x.shape())?
        });
        Ok(vec![t])
    },
    grad: None,
    stateful: true,
    inplace: None,
};

/// Shape rule of `multinomial`: float logits `[batch, classes]` give `[batch, num_samples]` indices.
fn infer_multinomial(s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "multinomial";
    expect_arity(OP, s, 1)?;
    let logits = &s[0];
    crate::ops::expect_dtype_in(OP, logits, FLOATS)?;
    if logits.rank() != 2 {
        return Err(Error::invalid(OP, format!("logits should be a matrix, got {}", logits.describe())));
    }
    let n = a.int(OP, "num_samples")?;
    if n < 0 {
        return Err(Error::invalid(OP, format!("num_samples should be non-negative, got {n}")));
    }
    if logits.dims[1] == Some(0) {
        return Err(Error::invalid(
            OP,
            format!("num_classes should be positive, got 0 (logits {})", logits.describe()),
        ));
    }
    for (what, d) in [("batch_size", logits.dims[0]), ("num_classes", logits.dims[1])] {
        if d.is_some_and(|d| d >= i32::MAX as usize) {
            return Err(Error::invalid(OP, format!("{what} of logits {} should fit in int32", logits.describe())));
        }
    }
    let out_dtype = a.dtype(OP, "output_dtype")?;
    if !matches!(out_dtype, DType::I32 | DType::I64) {
        return Err(Error::invalid(OP, format!("output_dtype must be int32 or int64, got {out_dtype}")));
    }
    seeds(OP, a)?;
    Ok(vec![Spec { dtype: out_dtype, dims: [logits.dims[0], usize::try_from(n).ok()].into_iter().collect() }])
}

/// Samples `num_samples` class indices per row of `logits` ([batch, classes]) as TensorFlow's
/// CPU kernel does: an unnormalized CDF of `exp(logit - max)` over the finite logits, and for
/// each sample the first class whose CDF exceeds `u * total` (`u` a uniform double from two
/// words). Rows draw from one stream in order, as TensorFlow does when it runs the batch as
/// one shard (for large batches it splits rows across threads, which changes the numbers).
fn sample_classes<T: Element + num_traits::Float>(
    logits: &[T],
    classes: usize,
    num_samples: usize,
    words: &mut SingleSample<'_>,
) -> Vec<i64> {
    let mut out = Vec::with_capacity(logits.len() / classes.max(1) * num_samples);
    let mut cdf = vec![0.0f64; classes];
    for row in logits.chunks(classes) {
        let max = row.iter().filter(|v| v.is_finite()).fold(T::min_value(), |m, &v| if m < v { v } else { m });
        let max = <T as Element>::to_f64(max);
        let mut total = 0.0f64;
        for (c, &v) in cdf.iter_mut().zip(row) {
            let p = (<T as Element>::to_f64(v) - max).exp();
            if v.is_finite() {
                total += p;
            }
            *c = total;
        }
        for _ in 0..num_samples {
            let (x0, x1) = (words.next(), words.next());
            let to_find = random::uint64_to_double(x0, x1) * total;
            out.push(cdf.partition_point(|&c| c <= to_find) as i64);
        }
    }
    out
}

/// `tf.random.categorical`'s op (TensorFlow's `Multinomial`): class indices drawn with
/// probabilities `softmax(logits)` per row.
pub static MULTINOMIAL: OpDef = OpDef {
    name: "multinomial",
    infer: infer_multinomial,
    kernel: |i, a, o| {
        const OP: &str = "multinomial";
        let logits = &i[0];
        let (batch, classes) = (logits.shape()[0], logits.shape()[1]);
        if classes == 0 {
            return Err(Error::invalid(OP, "num_classes should be positive, got 0"));
        }
        let n = a.int(OP, "num_samples")? as usize;
        let out_dtype = o[0].dtype;
        let shape = [batch, n];
        if batch == 0 || n == 0 {
            return Ok(vec![crate::ops::array::zeros(out_dtype, &shape)?]);
        }
        let (seed, seed2) = seeds(OP, a)?;
        // Two words per sample, reserved in groups of four samples per row (TensorFlow's count).
        let per_row = n.div_ceil(4) * 4 * 2;
        // The kernel cache keys its counter by output dtype too.
        let key = if out_dtype == DType::I32 { "multinomial/int32" } else { "multinomial" };
        let mut gen = random::reserve(key, logits.dtype(), seed, seed2, batch.saturating_mul(per_row));
        let mut words = SingleSample::new(&mut gen);
        let idx = with_float!(logits.dtype(), T => sample_classes(logits.as_slice::<T>()?, classes, n, &mut words),
            other => return Err(Error::invalid(OP, "logits must be float32 or float64")));
        let t = match out_dtype {
            DType::I32 => Tensor::from_vec(idx.into_iter().map(|v| v as i32).collect::<Vec<i32>>(), &shape)?,
            _ => Tensor::from_vec(idx, &shape)?,
        };
        Ok(vec![t])
    },
    grad: None,
    stateful: true,
    inplace: None,
};

/// `tf.random.shuffle(value, seed)`: the slices of `value` along its first axis in random
/// order; seeded by the global seed and `seed` as the other stateful random ops.
pub fn shuffle(value: &Tensor, seed: Option<i64>) -> Result<Tensor> {
    let (s1, s2) = random::get_seed(seed);
    let attrs = Attrs::new().with("seed", Attr::Int(s1.unwrap_or(0))).with("seed2", Attr::Int(s2.unwrap_or(0)));
    execute1(&RANDOM_SHUFFLE, std::slice::from_ref(value), attrs)
}

/// `tf.random.categorical(logits, num_samples, dtype, seed)`: for each row of the float
/// `[batch, classes]` `logits`, `num_samples` class indices drawn with probabilities
/// `softmax(row)`; `dtype` is int32 or int64.
pub fn categorical(logits: &Tensor, num_samples: i64, dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    let (s1, s2) = random::get_seed(seed);
    let attrs = Attrs::new()
        .with("num_samples", Attr::Int(num_samples))
        .with("output_dtype", Attr::DType(dtype))
        .with("seed", Attr::Int(s1.unwrap_or(0)))
        .with("seed2", Attr::Int(s2.unwrap_or(0)));
    execute1(&MULTINOMIAL, std::slice::from_ref(logits), attrs)
}
