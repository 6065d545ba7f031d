//! Random ops: TensorFlow's exact values (fixture printed by TensorFlow), seed semantics,
//! determinism, statistics, dropout and errors.

use std::collections::HashMap;
use tensile::ops::random_ops::*;
use tensile::prelude::*;
use tensile::random::{get_seed, set_seed, Generator, DEFAULT_GRAPH_SEED};
use tensile::Storage;

/// One fixture line: dtype name and raw values (float bit patterns or integers).
struct Expected {
    dtype: String,
    raw: Vec<String>,
}

fn fixture() -> HashMap<String, Expected> {
    let text = include_str!("fixtures/random_tf.txt");
    let mut map = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap().to_string();
        let dtype = parts.next().unwrap().to_string();
        map.insert(name, Expected { dtype, raw: parts.map(str::to_string).collect() });
    }
    map
}

/// Asserts `t` (or its strided selection) equals the fixture entry bit for bit.
fn check(fx: &HashMap<String, Expected>, name: &str, t: &Tensor) {
    let e = fx.get(name).unwrap_or_else(|| panic!("fixture has no entry {name}"));
    assert_eq!(t.dtype().name(), e.dtype, "{name}: dtype");
    // Large tensors are stored as elements 0, 997, 1994, ...
    let take = |n: usize| -> Vec<usize> {
        if name.ends_with("@strided") {
            (0..n).step_by(997).collect()
        } else {
            (0..n).collect()
        }
    };
    let idx = take(t.size());
    assert_eq!(idx.len(), e.raw.len(), "{name}: number of values");
    let mut mismatches = Vec::new();
    for (k, &i) in idx.iter().enumerate() {
        let (got, want) = match t.storage() {
            Storage::F32(v) => (format!("{:08x}", v[i].to_bits()), e.raw[k].clone()),
            Storage::F64(v) => (format!("{:016x}", v[i].to_bits()), e.raw[k].clone()),
            Storage::I32(v) => (v[i].to_string(), e.raw[k].clone()),
            Storage::I64(v) => (v[i].to_string(), e.raw[k].clone()),
            Storage::Bool(_) => panic!("{name}: bool output"),
        };
        if got != want {
            mismatches.push(format!("[{i}] got {got} want {want}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{name}: {} mismatches: {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(8)]
    );
}

const F32: DType = DType::F32;
const F64: DType = DType::F64;

#[test]
fn stateless_ops_match_tensorflow() -> Result<()> {
    let fx = fixture();
    check(&fx, "stateless_uniform_f32", &stateless_random_uniform(&[7], [1, 2], 0.0, 1.0, F32)?);
    check(&fx, "stateless_uniform_f64", &stateless_random_uniform(&[5], [1, 2], 0.0, 1.0, F64)?);
    check(&fx, "stateless_uniform_f32_range", &stateless_random_uniform(&[2, 3], [-3, 123456789012], -2.0, 3.0, F32)?);
    check(&fx, "stateless_uniform_i32", &stateless_random_uniform(&[9], [1, 2], 0.0, 10.0, DType::I32)?);
    check(&fx, "stateless_uniform_i32_neg", &stateless_random_uniform(&[9], [5, 6], -7.0, 3.0, DType::I32)?);
    check(&fx, "stateless_uniform_i64", &stateless_random_uniform(&[5], [1, 2], -5.0, 1e12, DType::I64)?);
    check(&fx, "stateless_normal_f32", &stateless_random_normal(&[2, 5], [1, 2], 0.0, 1.0, F32)?);
    check(&fx, "stateless_normal_f64", &stateless_random_normal(&[7], [1, 2], 0.0, 1.0, F64)?);
    check(&fx, "stateless_normal_f32_ms", &stateless_random_normal(&[6], [42, 0], 1.5, 0.25, F32)?);
    check(&fx, "stateless_normal_f32_big", &stateless_random_normal(&[4099], [7, 8], 0.0, 1.0, F32)?);
    check(&fx, "stateless_normal_f64_big", &stateless_random_normal(&[1001], [7, 8], 0.0, 1.0, F64)?);
    check(&fx, "stateless_truncated_normal_f32", &stateless_truncated_normal(&[2003], [3, 4], 0.0, 1.0, F32)?);
    check(&fx, "stateless_truncated_normal_f64", &stateless_truncated_normal(&[1001], [3, 4], 0.0, 1.0, F64)?);
    check(&fx, "stateless_truncated_normal_f32_ms", &stateless_truncated_normal(&[5], [3, 4], -1.0, 3.0, F32)?);
    // Large outputs are filled in parallel; the values must not depend on it.
    check(&fx, "stateless_normal_f32_100003@strided", &stateless_random_normal(&[100003], [11, 12], 0.0, 1.0, F32)?);
    check(
        &fx,
        "stateless_truncated_normal_f32_100003@strided",
        &stateless_truncated_normal(&[100003], [11, 12], 0.0, 1.0, F32)?,
    );
    check(&fx, "stateless_uniform_f64_100003@strided", &stateless_random_uniform(&[100003], [11, 12], 0.0, 1.0, F64)?);
    Ok(())
}

#[test]
fn generator_matches_tensorflow() -> Result<()> {
    let fx = fixture();
    let g = Generator::from_seed(1234);
    check(&fx, "gen_normal_f32", &g.normal(&[3], 0.0, 1.0, F32)?);
    check(&fx, "gen_state_1", &g.state().peek());
    check(&fx, "gen_uniform_f32", &g.uniform(&[5], 0.0, 1.0, F32)?);
    check(&fx, "gen_truncated_normal_f32", &g.truncated_normal(&[6], 0.0, 1.0, F32)?);
    check(&fx, "gen_normal_f64", &g.normal(&[3], 2.0, 0.5, F64)?);
    check(&fx, "gen_uniform_i32", &g.uniform(&[4], 0.0, 100.0, DType::I32)?);
    check(&fx, "gen_uniform_f32_range", &g.uniform(&[2, 2], -1.0, 1.0, F32)?);
    check(&fx, "gen_state_2", &g.state().peek());
    let g2 = Generator::from_seed(-1);
    check(&fx, "gen_neg_state", &g2.state().peek());
    check(&fx, "gen_neg_normal_f32", &g2.normal(&[5], 0.0, 1.0, F32)?);
    Ok(())
}

#[test]
fn stateful_ops_match_tensorflow() -> Result<()> {
    let fx = fixture();
    set_seed(1234);
    check(&fx, "stateful_uniform_seed1_a", &random_uniform(&[3], 0.0, 1.0, F32, Some(1))?);
    check(&fx, "stateful_uniform_seed1_b", &random_uniform(&[3], 0.0, 1.0, F32, Some(1))?);
    check(&fx, "stateful_normal_noseed_a", &random_normal(&[4], 0.0, 1.0, F32, None)?);
    check(&fx, "stateful_normal_noseed_b", &random_normal(&[4], 0.0, 1.0, F32, None)?);
    check(&fx, "stateful_truncated_seed7", &truncated_normal(&[5], 0.0, 1.0, F32, Some(7))?);
    check(&fx, "stateful_uniform_int_seed2", &random_uniform(&[6], -3.0, 4.0, DType::I32, Some(2))?);
    check(&fx, "stateful_uniform_int64_seed2", &random_uniform(&[6], -3.0, 4.0, DType::I64, Some(2))?);
    check(&fx, "stateful_uniform_f64_range_seed3", &random_uniform(&[4], 2.0, 5.0, F64, Some(3))?);
    check(&fx, "stateful_uniform_f32_max_seed3", &random_uniform(&[4], 0.0, 5.0, F32, Some(3))?);
    check(&fx, "stateful_normal_ms_seed4", &random_normal(&[4], 10.0, 2.0, F32, Some(4))?);
    set_seed(1234);
    check(&fx, "stateful_reset_uniform_seed1", &random_uniform(&[3], 0.0, 1.0, F32, Some(1))?);
    set_seed(None);
    check(&fx, "stateful_opseed_only_uniform", &random_uniform(&[3], 0.0, 1.0, F32, Some(5))?);
    check(&fx, "stateful_opseed_only_uniform_b", &random_uniform(&[3], 0.0, 1.0, F32, Some(5))?);
    Ok(())
}

#[test]
fn dropout_matches_tensorflow() -> Result<()> {
    let fx = fixture();
    set_seed(0);
    let x = Tensor::from_vec((1..=12).map(|v| v as f32).collect(), &[3, 4])?;
    check(&fx, "dropout_rate05_seed3", &dropout(&x, 0.5, None, Some(3))?);
    check(&fx, "dropout_rate025_noise", &dropout(&x, 0.25, Some(&[3, 1]), Some(4))?);
    let same = dropout(&x, 0.0, None, None)?;
    check(&fx, "dropout_rate0", &same);
    assert!(same.same(&x), "rate 0 returns x itself");
    // Rate 0 still drew an op seed, so the next call sees the same seed as in TensorFlow.
    check(&fx, "dropout_after_rate0", &dropout(&x, 0.5, None, None)?);
    Ok(())
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_f64_vec()
}

#[test]
fn stateless_ops_are_pure_functions_of_the_seed() -> Result<()> {
    let a = stateless_random_normal(&[50], [7, 9], 0.0, 1.0, F32)?;
    let b = stateless_random_normal(&[50], [7, 9], 0.0, 1.0, F32)?;
    let c = stateless_random_normal(&[50], [7, 10], 0.0, 1.0, F32)?;
    let d = stateless_random_normal(&[50], [8, 9], 0.0, 1.0, F32)?;
    assert_eq!(values(&a), values(&b));
    assert_ne!(values(&a), values(&c));
    assert_ne!(values(&a), values(&d));
    // A prefix of a longer request is the shorter request (elements depend on their index only).
    let long = stateless_random_uniform(&[2, 50], [7, 9], 0.0, 1.0, F64)?;
    let short = stateless_random_uniform(&[3], [7, 9], 0.0, 1.0, F64)?;
    assert_eq!(&values(&long)[..3], &values(&short)[..]);
    // The global seed does not affect stateless ops.
    set_seed(5);
    let e = stateless_random_normal(&[50], [7, 9], 0.0, 1.0, F32)?;
    set_seed(None);
    assert_eq!(values(&a), values(&e));
    // An int32 seed tensor gives the same key and counter as the same int64 seed.
    let (k32, c32) = stateless_random_get_key_counter(&Tensor::from(vec![-3i32, 4]))?;
    let (k64, c64) = stateless_random_get_key_counter(&Tensor::from(vec![-3i64, 4]))?;
    assert_eq!(k32.to_vec::<i64>()?, k64.to_vec::<i64>()?);
    assert_eq!(c32.to_vec::<i64>()?, c64.to_vec::<i64>()?);
    Ok(())
}

#[test]
fn global_seed_makes_stateful_sequences_repeatable() -> Result<()> {
    let run = || -> Result<Vec<Vec<f64>>> {
        Ok(vec![
            values(&random_uniform(&[4], 0.0, 1.0, F32, None)?),
            values(&random_normal(&[4], 0.0, 1.0, F32, None)?),
            values(&truncated_normal(&[4], 0.0, 1.0, F64, Some(3))?),
            values(&random_uniform(&[4], 0.0, 1.0, F32, Some(3))?),
            values(&random_uniform(&[4], 0.0, 1.0, F32, Some(3))?),
            values(&random_uniform(&[4], 0.0, 1000.0, DType::I64, None)?),
        ])
    };
    set_seed(42);
    let first = run()?;
    set_seed(42);
    let second = run()?;
    assert_eq!(first, second, "same global seed, same sequence");
    // Consecutive calls differ: new op seeds, or an advancing counter for a repeated op seed.
    assert_ne!(first[0], values(&random_uniform(&[4], 0.0, 1.0, F32, None)?));
    assert_ne!(first[3], first[4]);
    set_seed(43);
    assert_ne!(first, run()?, "a different global seed gives different values");
    set_seed(None);
    Ok(())
}

#[test]
fn unseeded_stateful_ops_are_nondeterministic() -> Result<()> {
    set_seed(None);
    let a = random_normal(&[16], 0.0, 1.0, F32, None)?;
    let b = random_normal(&[16], 0.0, 1.0, F32, None)?;
    assert_ne!(values(&a), values(&b));
    assert_eq!(get_seed(None), (None, None));
    Ok(())
}

#[test]
fn seed_rules_follow_tensorflow() {
    set_seed(None);
    assert_eq!(get_seed(Some(5)), (Some(DEFAULT_GRAPH_SEED), Some(5)));
    assert_eq!(get_seed(Some((1 << 31) + 3)), (Some(DEFAULT_GRAPH_SEED), Some(4)), "op seeds wrap mod 2**31 - 1");
    set_seed(0);
    // (0, 0) would mean "nondeterministic" to the kernels.
    assert_eq!(get_seed(Some(0)), (Some(0), Some((1 << 31) - 1)));
    set_seed(1234);
    // Op seeds drawn from the global seed follow Python's random.Random(1234).randint(0, 2**31 - 1).
    assert_eq!(get_seed(None), (Some(1234), Some(1_892_932_127)));
    assert_eq!(get_seed(None), (Some(1234), Some(501_869_158)));
    assert_eq!(tensile::random::global_seed(), Some(1234));
    set_seed(None);
    assert_eq!(tensile::random::global_seed(), None);
}

#[test]
fn generator_state_advances_and_is_shared_by_clones() -> Result<()> {
    let g = Generator::from_seed(7);
    let h = g.clone();
    let a = g.normal(&[5], 0.0, 1.0, F32)?;
    assert_eq!(h.state_values(), [7 + 5 * 256, 0, 0], "256 counter steps per element");
    let b = h.normal(&[5], 0.0, 1.0, F32)?;
    assert_ne!(values(&a), values(&b));
    assert_eq!(values(&a), values(&Generator::from_seed(7).normal(&[5], 0.0, 1.0, F32)?));
    // skip(n) leaves the state where drawing n values would.
    let s = Generator::from_seed(7);
    s.skip(5)?;
    assert_eq!(values(&s.normal(&[5], 0.0, 1.0, F32)?), values(&b));
    let st = Generator::from_state([1, 2, 3]);
    assert_eq!(st.key(), 3);
    assert_ne!(
        values(&Generator::from_non_deterministic_state().uniform(&[8], 0.0, 1.0, F32)?),
        values(&Generator::from_non_deterministic_state().uniform(&[8], 0.0, 1.0, F32)?)
    );
    Ok(())
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

#[test]
fn distributions_have_the_right_moments() -> Result<()> {
    const N: i64 = 100_000;
    for dtype in [F32, F64] {
        let u = values(&stateless_random_uniform(&[N], [1, 1], 0.0, 1.0, dtype)?);
        let (m, s) = mean_std(&u);
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        assert!((m - 0.5).abs() < 0.005 && (s - (1.0f64 / 12.0).sqrt()).abs() < 0.005, "uniform {dtype}: {m} {s}");

        let r = values(&stateless_random_uniform(&[N], [1, 2], -3.0, 5.0, dtype)?);
        let (m, _) = mean_std(&r);
        assert!(r.iter().all(|&x| (-3.0..5.0).contains(&x)) && (m - 1.0).abs() < 0.04, "range {dtype}: {m}");

        let z = values(&stateless_random_normal(&[N], [2, 3], 0.0, 1.0, dtype)?);
        let (m, s) = mean_std(&z);
        assert!(m.abs() < 0.01 && (s - 1.0).abs() < 0.01, "normal {dtype}: {m} {s}");

        let z = values(&random_normal(&[N], 3.0, 2.0, dtype, Some(1))?);
        let (m, s) = mean_std(&z);
        assert!((m - 3.0).abs() < 0.02 && (s - 2.0).abs() < 0.02, "normal(3, 2) {dtype}: {m} {s}");

        // Normal truncated at two standard deviations: std = sqrt(1 - 4 φ(2) / (Φ(2) - Φ(-2))).
        let t = values(&stateless_truncated_normal(&[N], [4, 5], 0.0, 1.0, dtype)?);
        let (m, s) = mean_std(&t);
        assert!(t.iter().all(|x| x.abs() < 2.0), "truncated {dtype} within 2 std");
        assert!(m.abs() < 0.01 && (s - 0.879_626).abs() < 0.01, "truncated {dtype}: {m} {s}");

        let t = values(&truncated_normal(&[N], 10.0, 0.5, dtype, Some(2))?);
        assert!(t.iter().all(|x| (x - 10.0).abs() <= 1.0), "truncated(10, 0.5) {dtype} within 2 std");
    }
    for dtype in [DType::I32, DType::I64] {
        let v = values(&stateless_random_uniform(&[N], [6, 7], -3.0, 7.0, dtype)?);
        let mut counts = [0usize; 10];
        for x in &v {
            assert!(*x >= -3.0 && *x < 7.0 && x.fract() == 0.0, "int {dtype} out of [-3, 7): {x}");
            counts[(*x + 3.0) as usize] += 1;
        }
        for c in counts {
            assert!((c as f64 - 10_000.0).abs() < 500.0, "int {dtype} counts {counts:?}");
        }
    }
    Ok(())
}

#[test]
fn shapes_dtypes_and_empty_outputs() -> Result<()> {
    let t = random_normal(&[2, 3, 4], 0.0, 1.0, F64, Some(1))?;
    assert_eq!((t.shape(), t.dtype()), (&[2usize, 3, 4][..], F64));
    let s = stateless_random_uniform(&[], [1, 2], 0.0, 1.0, F32)?;
    assert_eq!(s.shape(), &[] as &[usize]);
    assert_eq!(s.size(), 1);
    let e = random_uniform(&[3, 0], 0.0, 1.0, F32, None)?;
    assert_eq!((e.shape(), e.size()), (&[3usize, 0][..], 0));
    // An empty integer output needs no valid range (as TensorFlow's kernels).
    let ei = random_uniform_int(&[0], 5, 5, DType::I32, Some(1))?;
    assert_eq!(ei.size(), 0);
    let i = random_uniform(&[4], 0.0, 3.0, DType::I32, Some(1))?;
    assert_eq!(i.dtype(), DType::I32);
    for op in ["random_uniform", "random_standard_normal", "truncated_normal", "random_uniform_int"] {
        let def = tensile::ops::lookup(op).unwrap();
        assert!(def.stateful && def.grad.is_none(), "{op} is stateful without gradient");
    }
    for op in ["stateless_random_uniform_v2", "stateless_random_normal_v2", "stateless_truncated_normal_v2"] {
        let def = tensile::ops::lookup(op).unwrap();
        assert!(!def.stateful && def.grad.is_none(), "{op} is stateless without gradient");
    }
    Ok(())
}

fn err_text(r: Result<Tensor>) -> String {
    match r {
        Ok(t) => panic!("expected an error, got {t:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_the_op_and_what_was_expected() {
    let e = err_text(random_normal(&[2, -1], 0.0, 1.0, F32, Some(1)));
    assert!(e.contains("random_standard_normal") && e.contains("[2, -1]") && e.contains(">= 0"), "{e}");
    let e = err_text(stateless_random_normal(&[-4], [1, 2], 0.0, 1.0, F32));
    assert!(e.contains("stateless_random_normal_v2") && e.contains("[-4]"), "{e}");
    let e = err_text(Generator::from_seed(1).normal(&[-1], 0.0, 1.0, F32));
    assert!(e.contains("Generator.normal") && e.contains(">= 0"), "{e}");
    let e = err_text(stateless_random_uniform(&[i64::MAX, 4], [1, 2], 0.0, 1.0, F32));
    assert!(e.contains("overflows"), "{e}");

    let e = err_text(random_normal(&[2], 0.0, 1.0, DType::I32, None));
    assert!(e.contains("random_standard_normal") && e.contains("int32") && e.contains("float32 or float64"), "{e}");
    let e = err_text(stateless_truncated_normal(&[2], [1, 2], 0.0, 1.0, DType::Bool));
    assert!(e.contains("stateless_truncated_normal") && e.contains("bool"), "{e}");
    let e = err_text(random_uniform(&[2], 0.0, 1.0, DType::Bool, None));
    assert!(e.contains("random_uniform") && e.contains("bool"), "{e}");

    let e = err_text(random_uniform(&[3], 5.0, 5.0, DType::I32, Some(1)));
    assert!(e.contains("random_uniform") && e.contains("minval < maxval") && e.contains("5 >= 5"), "{e}");
    let e = err_text(random_uniform_int(&[3], 9, 2, DType::I64, Some(1)));
    assert!(e.contains("random_uniform_int") && e.contains("9 >= 2"), "{e}");
    let e = err_text(stateless_random_uniform(&[3], [1, 2], 4.0, 1.0, DType::I64));
    assert!(e.contains("stateless_random_uniform") && e.contains("minval < maxval"), "{e}");
    let e = err_text(Generator::from_seed(1).uniform(&[3], 2.0, 2.0, DType::I32));
    assert!(e.contains("Generator.uniform") && e.contains("minval < maxval"), "{e}");
    let e = err_text(random_uniform(&[3], 0.5, 4.0, DType::I32, None));
    assert!(e.contains("minval = 0.5") && e.contains("int32"), "{e}");
    let e = err_text(random_uniform_int(&[3], 0, 1 << 40, DType::I32, None));
    assert!(e.contains("does not fit in int32"), "{e}");

    let x = Tensor::from(vec![1.0f32, 2.0]);
    for rate in [1.0, -0.1, 1.5, f64::NAN] {
        let e = err_text(dropout(&x, rate, None, None));
        assert!(e.contains("dropout") && e.contains("[0, 1)"), "{e}");
    }
    let e = err_text(dropout(&Tensor::from(vec![1i32, 2]), 0.5, None, None));
    assert!(e.contains("dropout") && e.contains("int32") && e.contains("float"), "{e}");
    let e = err_text(dropout(&x, 0.5, Some(&[3]), None));
    assert!(e.contains("noise_shape [3]") && e.contains("[2]"), "{e}");

    let e = match stateless_random_get_key_counter(&Tensor::from(vec![1i64, 2, 3])) {
        Ok(_) => panic!("3-element seed accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("stateless_random_get_key_counter") && e.contains("shape [2]") && e.contains("[3]"), "{e}");
    let e = err_text(stateless_random_normal_v2(&[2], &Tensor::from(vec![1i64, 2]), &Tensor::from(vec![0i64, 0]), F32));
    assert!(e.contains("key must be an int64 tensor with shape [1]"), "{e}");
}

#[test]
fn dropout_keeps_scales_and_passes_gradients_to_kept_elements() -> Result<()> {
    set_seed(3);
    let x = Tensor::from_vec((0..1000).map(|i| 1.0 + i as f64 / 1000.0).collect(), &[10, 100])?;
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        dropout(&x, 0.3, None, Some(9))
    })??;
    let g = tape.gradient(&y, &[&x])?[0].clone().expect("gradient reaches x");
    let (xv, yv, gv) = (values(&x), values(&y), values(&g));
    let scale = 1.0 / 0.7;
    let mut kept = 0;
    for i in 0..xv.len() {
        if yv[i] == 0.0 {
            assert_eq!(gv[i], 0.0);
        } else {
            kept += 1;
            assert!((yv[i] - xv[i] * scale).abs() < 1e-12 && (gv[i] - scale).abs() < 1e-12);
        }
    }
    assert!((kept as f64 / 1000.0 - 0.7).abs() < 0.05, "kept fraction {kept}/1000");

    // noise_shape [10, 1]: whole rows are kept or dropped together.
    let z = values(&dropout(&x, 0.5, Some(&[10, 1]), Some(1))?);
    for row in z.chunks(100) {
        assert!(row.iter().all(|&v| v == 0.0) || row.iter().all(|&v| v != 0.0));
    }
    set_seed(None);
    Ok(())
}

#[test]
fn dropout_gradient_matches_finite_differences() -> Result<()> {
    use tensile::testing::{check_gradients, test_tensor, GradCase};
    // Resetting the global seed in the function fixes the mask across evaluations.
    let case = GradCase::new("select", vec![test_tensor(&[4, 5], 3, -1.0, 1.0)], |x| {
        set_seed(11);
        dropout(&x[0], 0.4, Some(&[4, 1]), Some(2))
    });
    let errs = check_gradients(&case)?;
    assert!(errs[0] < 1e-6, "relative error {errs:?}");
    set_seed(None);
    Ok(())
}

#[test]
fn huge_outputs_are_resource_errors() {
    let e = stateless_random_normal(&[1 << 40, 1 << 10], [1, 2], 0.0, 1.0, F32).unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::ResourceExhausted, "{e}");
    let e = random_uniform(&[1 << 45], 0.0, 9.0, DType::I64, Some(1)).unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::ResourceExhausted, "{e}");
}

// tf.random.shuffle and tf.random.categorical; expected values printed by TensorFlow 2.21.

mod sampling {
    use super::*;
    use tensile::ops::random_sampling::{categorical, shuffle};

    fn ints(t: &Tensor) -> Vec<i64> {
        t.to_f64_vec().into_iter().map(|v| v as i64).collect()
    }

    #[test]
    fn shuffle_matches_tensorflow() -> Result<()> {
        let a = Tensor::from_vec((0..10).collect::<Vec<i32>>(), &[10])?;
        set_seed(5);
        assert_eq!(ints(&shuffle(&a, None)?), [0, 5, 2, 8, 1, 6, 7, 9, 4, 3]);
        assert_eq!(ints(&shuffle(&a, None)?), [7, 8, 2, 9, 4, 0, 6, 5, 3, 1]);
        assert_eq!(ints(&shuffle(&a, Some(3))?), [0, 9, 8, 7, 4, 6, 3, 2, 5, 1]);
        let m = Tensor::from_vec((0..12).map(|v| v as f32).collect::<Vec<f32>>(), &[6, 2])?;
        let got = shuffle(&m, Some(3))?;
        assert_eq!(got.shape(), &[6, 2]);
        assert_eq!(ints(&got), [4, 5, 0, 1, 8, 9, 10, 11, 2, 3, 6, 7]);
        set_seed(None);
        assert_eq!(ints(&shuffle(&a, Some(7))?), [7, 2, 0, 9, 8, 4, 5, 1, 6, 3]);
        // Nothing to shuffle: the value comes back unchanged.
        assert_eq!(ints(&shuffle(&Tensor::from(3i32), Some(1))?), [3]);
        Ok(())
    }

    #[test]
    fn unseeded_shuffle_is_a_permutation() -> Result<()> {
        set_seed(None);
        let a = Tensor::from_vec((0..50).collect::<Vec<i64>>(), &[50])?;
        let mut got = ints(&shuffle(&a, None)?);
        got.sort();
        assert_eq!(got, (0..50).collect::<Vec<i64>>());
        Ok(())
    }

    #[test]
    fn categorical_matches_tensorflow() -> Result<()> {
        let lg = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 1.0, -1.0, f32::NEG_INFINITY], &[2, 3])?;
        set_seed(11);
        let c1 = categorical(&lg, 7, DType::I64, None)?;
        assert_eq!((c1.dtype(), c1.shape()), (DType::I64, &[2usize, 7][..]));
        assert_eq!(ints(&c1), [0, 2, 1, 2, 2, 1, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(ints(&categorical(&lg, 5, DType::I64, Some(4))?), [2, 1, 0, 2, 0, 0, 1, 0, 0, 0]);
        let lg64 = tensile::ops::math::cast(&lg, DType::F64)?;
        let c3 = categorical(&lg64, 3, DType::I32, Some(4))?;
        assert_eq!((c3.dtype(), ints(&c3)), (DType::I32, vec![2, 1, 0, 0, 0, 0]));
        // The same op seed again continues that kernel's stream.
        assert_eq!(ints(&categorical(&lg, 5, DType::I64, Some(4))?), [1, 2, 2, 0, 2, 0, 1, 1, 0, 0]);
        set_seed(None);
        Ok(())
    }

    #[test]
    fn categorical_frequencies_follow_softmax() -> Result<()> {
        let lg = Tensor::from_vec(vec![0.0f64, (2.0f64).ln(), (5.0f64).ln()], &[1, 3])?;
        let n = 20000;
        let got = ints(&categorical(&lg, n, DType::I64, Some(1))?);
        for (class, p) in [(0, 0.125), (1, 0.25), (2, 0.625)] {
            let f = got.iter().filter(|&&c| c == class).count() as f64 / n as f64;
            assert!((f - p).abs() < 0.015, "class {class}: frequency {f}, expected {p}");
        }
        Ok(())
    }

    #[test]
    fn categorical_errors_name_the_op() {
        let e = categorical(&Tensor::from([1.0f32, 2.0]), 3, DType::I64, Some(1)).unwrap_err();
        assert!(e.to_string().contains("multinomial") && e.to_string().contains("matrix"), "{e}");
        let m = Tensor::from([[1.0f32, 2.0]]);
        let e = categorical(&m, -1, DType::I64, Some(1)).unwrap_err();
        assert!(e.to_string().contains("num_samples should be non-negative"), "{e}");
        let empty = Tensor::from_vec(Vec::<f32>::new(), &[2, 0]).unwrap();
        let e = categorical(&empty, 3, DType::I64, Some(1)).unwrap_err();
        assert!(e.to_string().contains("num_classes should be positive"), "{e}");
        assert!(categorical(&Tensor::from([[1i32, 2]]), 3, DType::I64, Some(1)).is_err());
        assert!(categorical(&m, 3, DType::F32, Some(1)).is_err());
        assert_eq!(categorical(&m, 0, DType::I32, Some(1)).unwrap().shape(), &[1, 0]);
    }
}

#[test]
fn draws_of_a_run_time_shape_match_static_draws() -> Result<()> {
    use tensile::ops::array::RUN_TIME_DIM;
    let shape = Tensor::from(vec![2i32, 3]);
    let known = [RUN_TIME_DIM, 3];
    let run = |dynamic: bool| -> Result<Vec<Vec<f64>>> {
        set_seed(7);
        let draw = |dist: Distribution, p: (f64, f64), dtype: DType, seed: Option<i64>| -> Result<Tensor> {
            if dynamic {
                return random_dynamic(dist, &shape, &known, p, dtype, seed);
            }
            match dist {
                Distribution::Uniform => random_uniform(&[2, 3], p.0, p.1, dtype, seed),
                Distribution::Normal => random_normal(&[2, 3], p.0, p.1, dtype, seed),
                Distribution::TruncatedNormal => truncated_normal(&[2, 3], p.0, p.1, dtype, seed),
            }
        };
        Ok(vec![
            values(&draw(Distribution::Uniform, (0.0, 1.0), F32, None)?),
            values(&draw(Distribution::Uniform, (-2.0, 5.0), F64, Some(4))?),
            values(&draw(Distribution::Normal, (1.0, 0.5), F32, Some(4))?),
            values(&draw(Distribution::TruncatedNormal, (0.0, 2.0), F64, None)?),
            values(&draw(Distribution::Uniform, (-3.0, 9.0), DType::I32, Some(5))?),
            values(&draw(Distribution::Uniform, (0.0, 1000.0), DType::I64, None)?),
        ])
    };
    assert_eq!(run(true)?, run(false)?);
    set_seed(None);
    // Traced with the shape as an input: its known entries are promised, the rest checked.
    let specs = [tensile::ops::Spec { dtype: DType::I32, dims: [Some(2)].into_iter().collect() }];
    let options = tensile::function::TraceOptions { root: true, allow_variable_creation: false };
    let traced = tensile::function::trace_graph(&specs, options, |a| {
        let u = random_dynamic(Distribution::Uniform, &a[0], &known, (0.0, 1.0), F32, Some(1))?;
        assert_eq!(u.dims().as_slice(), &[None, Some(3)]);
        Ok(vec![u])
    })?;
    let run = |v: Vec<i32>| tensile::graph::exec::run(&traced.graph, &[Tensor::from(v)], &traced.variables);
    assert_eq!(run(vec![4, 3])?[0].shape(), &[4, 3]);
    assert_eq!(run(vec![0, 3])?[0].shape(), &[0, 3]);
    let e = run(vec![4, 2]).unwrap_err().to_string();
    assert!(e.contains("random_uniform") && e.contains("[4, 2]") && e.contains("[None, 3]"), "{e}");
    let e = random_dynamic(Distribution::Normal, &Tensor::from(vec![-1i32]), &[RUN_TIME_DIM], (0.0, 1.0), F32, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("negative"), "{e}");
    let e = random_dynamic(Distribution::Normal, &shape, &known, (0.0, 9.0), DType::I32, None).unwrap_err().to_string();
    assert!(e.contains("float dtype") && e.contains("int32"), "{e}");
    let e =
        random_dynamic(Distribution::Uniform, &shape, &known, (4.0, 4.0), DType::I32, None).unwrap_err().to_string();
    assert!(e.contains("minval") && e.contains("maxval"), "{e}");
    // Integers with a run-time shape, traced: the shape is checked when the graph runs.
    let traced = tensile::function::trace_graph(&specs, options, |a| {
        Ok(vec![random_dynamic(Distribution::Uniform, &a[0], &known, (-3.0, 3.0), DType::I64, Some(2))?])
    })?;
    let drawn = tensile::graph::exec::run(&traced.graph, &[Tensor::from(vec![5i32, 3])], &traced.variables)?;
    assert_eq!((drawn[0].dtype(), drawn[0].shape()), (DType::I64, &[5usize, 3][..]));
    assert!(drawn[0].to_vec::<i64>()?.iter().all(|v| (-3..3).contains(v)));
    let e = tensile::graph::exec::run(&traced.graph, &[Tensor::from(vec![5i32, 4])], &traced.variables).unwrap_err();
    assert!(e.to_string().contains("random_uniform_int") && e.to_string().contains("[5, 4]"), "{e}");
    Ok(())
}
