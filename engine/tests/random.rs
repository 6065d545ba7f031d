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

/// Elements 0, 997, 1994, ... (how the fixture stores large tensors).
fn strided(v: &[f64]) -> Vec<f64> {
    v.iter().step_by(997).copied().collect()
}

/// Asserts `t` (or its strided selection) equals the fixture entry bit for bit.
fn check(fx: &HashMap<String, Expected>, name: &str, t: &Tensor) {
    let e = fx.get(name).unwrap_or_else(|| panic!("fixture has no entry {name}"));
    assert_eq!(t.dtype().name(), e.dtype, "{name}: dtype");
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
