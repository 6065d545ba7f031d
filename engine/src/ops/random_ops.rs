//! Random ops (`tf.random`): stateful ops seeded by the global + op seed, stateless ops seeded
//! by an explicit `[a, b]` seed, and `tf.nn.dropout`. Values equal TensorFlow's on CPU.
//!
//! As in TensorFlow, an op produces raw samples (uniform in `[0, 1)`, standard normal, ...)
//! and the public functions scale and shift them with `mul` and `add`, so the rounding of
//! every step matches.

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::array::RUN_TIME_DIM;
use crate::ops::{execute, execute1, expect_arity, math, OpDef, Spec};
use crate::random::{self, FloatDist, Philox};
use crate::shape::{self, Shape};
use crate::tensor::Tensor;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[
    &RANDOM_UNIFORM,
    &RANDOM_STANDARD_NORMAL,
    &TRUNCATED_NORMAL,
    &RANDOM_UNIFORM_INT,
    &STATELESS_RANDOM_GET_KEY_COUNTER,
    &STATELESS_RANDOM_UNIFORM_V2,
    &STATELESS_RANDOM_NORMAL_V2,
    &STATELESS_TRUNCATED_NORMAL_V2,
    &STATELESS_RANDOM_UNIFORM_INT_V2,
];

/// Validates a requested output shape: every dimension `>= 0` and the element count fits.
pub(crate) fn check_shape(op: &str, shape: &[i64]) -> Result<Shape> {
    let mut out = Shape::new();
    let mut total: usize = 1;
    for &d in shape {
        if d < 0 {
            return Err(Error::invalid(op, format!("invalid shape {shape:?}: every dimension must be >= 0, got {d}")));
        }
        let d = usize::try_from(d)
            .map_err(|_| Error::invalid(op, format!("invalid shape {shape:?}: dimension {d} is too large")))?;
        total = total
            .checked_mul(d)
            .ok_or_else(|| Error::invalid(op, format!("invalid shape {shape:?}: the number of elements overflows")))?;
        out.push(d);
    }
    if total > isize::MAX as usize / 8 {
        return Err(Error::invalid(op, format!("invalid shape {shape:?}: {total} elements is too many")));
    }
    Ok(out)
}

/// Fails unless `dtype` is float32 or float64.
pub(crate) fn check_float_dtype(op: &str, dtype: DType) -> Result<()> {
    if !dtype.is_float() {
        return Err(Error::invalid(op, format!("dtype {dtype} is not supported; expected float32 or float64")));
    }
    Ok(())
}

/// Integer bounds given as numbers: must be integral, representable in `dtype`, `minval < maxval`.
pub(crate) fn int_bounds(op: &str, dtype: DType, minval: f64, maxval: f64) -> Result<(i64, i64)> {
    let (lo_lim, hi_lim) = match dtype {
        DType::I32 => (i32::MIN as f64, i32::MAX as f64),
        DType::I64 => (i64::MIN as f64, i64::MAX as f64),
        other => return Err(Error::invalid(op, format!("dtype {other} is not an integer dtype"))),
    };
    for (name, v) in [("minval", minval), ("maxval", maxval)] {
        if v.fract() != 0.0 || !v.is_finite() || v < lo_lim || v > hi_lim {
            return Err(Error::invalid(op, format!("{name} = {v} is not a valid {dtype} value")));
        }
    }
    let (lo, hi) = (minval as i64, maxval as i64);
    if lo >= hi {
        return Err(Error::invalid(op, format!("need minval < maxval for dtype {dtype}, got {lo} >= {hi}")));
    }
    Ok((lo, hi))
}

/// `rnd * scale + shift` in `rnd`'s dtype as TensorFlow's separate `mul` and `add` (skipped
/// when the transformation is the identity, which leaves every sample unchanged).
pub(crate) fn scale_shift(rnd: &Tensor, scale: f64, shift: f64, add: bool) -> Result<Tensor> {
    if scale == 1.0 && (shift == 0.0 || !add) {
        return Ok(rnd.clone());
    }
    let dt = rnd.dtype();
    let scaled = math::mul(rnd, &Tensor::scalar_of(dt, scale))?;
    if !add {
        return Ok(scaled);
    }
    math::add(&scaled, &Tensor::scalar_of(dt, shift))
}

/// `maxval - minval` rounded as in `dtype`.
fn width(dtype: DType, minval: f64, maxval: f64) -> f64 {
    match dtype {
        DType::F32 => (maxval as f32 - minval as f32) as f64,
        _ => maxval - minval,
    }
}

/// The `shape` attribute as a validated static shape.
fn attr_shape(op: &str, attrs: &Attrs) -> Result<Shape> {
    check_shape(op, attrs.ints(op, "shape")?)
}

/// Shape rule of ops that make a float tensor of the `shape` attribute.
fn infer_float_output(op: &str, specs: &[Spec], attrs: &Attrs, n_inputs: usize) -> Result<Vec<Spec>> {
    expect_arity(op, specs, n_inputs)?;
    let dtype = attrs.dtype(op, "dtype")?;
    check_float_dtype(op, dtype)?;
    Ok(vec![Spec::new(dtype, &attr_shape(op, attrs)?)])
}

/// Checks that `minval`/`maxval` are integer scalars of one dtype; returns it.
fn infer_int_bounds(op: &str, lo: &Spec, hi: &Spec) -> Result<DType> {
    for (name, s) in [("minval", lo), ("maxval", hi)] {
        if !s.dtype.is_int() || s.rank() != 0 {
            return Err(Error::invalid(
                op,
                format!(
                    "{name} must be an int32 or int64 scalar, got a {} tensor with shape {}",
                    s.dtype,
                    s.fmt_dims()
                ),
            ));
        }
    }
    if lo.dtype != hi.dtype {
        return Err(Error::invalid(
            op,
            format!("minval is {} but maxval is {}; dtypes must match", lo.dtype, hi.dtype),
        ));
    }
    Ok(lo.dtype)
}

/// Reads integer scalar bounds; `Ok(None)` for an empty output, which needs no valid range.
fn read_int_bounds(op: &str, lo: &Tensor, hi: &Tensor, n: usize) -> Result<Option<(i64, i64)>> {
    if n == 0 {
        return Ok(None);
    }
    let (a, b) = (int_scalar(lo), int_scalar(hi));
    if a >= b {
        return Err(Error::invalid(op, format!("need minval < maxval, got {a} >= {b}")));
    }
    Ok(Some((a, b)))
}

/// The single element of an int32/int64 scalar as i64 (shape rules reject other dtypes).
fn int_scalar(t: &Tensor) -> i64 {
    match t.storage() {
        crate::Storage::I32(v) => v.first().map_or(0, |&x| x as i64),
        crate::Storage::I64(v) => v.first().copied().unwrap_or(0),
        _ => 0,
    }
}

/// The `seed`/`seed2` attributes of a stateful op.
fn seeds(op: &str, attrs: &Attrs) -> Result<(i64, i64)> {
    Ok((attrs.int(op, "seed")?, attrs.int(op, "seed2")?))
}

/// Kernel of the stateful float ops: draws from this op's counter for `(dtype, seed, seed2)`.
/// Shape rule of the stateful float ops: the `shape` attribute, or with one input, the shape
/// vector that input holds at run time (the attribute then says what tracing knew of it: a
/// size or [`RUN_TIME_DIM`]), as TensorFlow's shape input.
fn infer_stateful_float(op: &str, specs: &[Spec], attrs: &Attrs) -> Result<Vec<Spec>> {
    let Some(v) = specs.first() else { return infer_float_output(op, specs, attrs, 0) };
    expect_arity(op, specs, 1)?;
    let dims = drawn_dims(op, v, attrs)?;
    let dtype = attrs.dtype(op, "dtype")?;
    check_float_dtype(op, dtype)?;
    Ok(vec![Spec { dtype, dims }])
}

/// The dims of a draw whose shape is the run-time vector `v`: attribute `shape` holds what
/// tracing knew of its entries (a size or [`RUN_TIME_DIM`]).
fn drawn_dims(op: &str, v: &Spec, attrs: &Attrs) -> Result<crate::shape::Dims> {
    let known = attrs.ints(op, "shape")?;
    crate::ops::array::expect_shape_vector(op, v, known.len())?;
    if let Some(&bad) = known.iter().find(|&&d| d < 0 && d != RUN_TIME_DIM) {
        return Err(Error::invalid(op, format!("invalid dimension {bad} in the shape {known:?}")));
    }
    Ok(known.iter().map(|&d| usize::try_from(d).ok()).collect())
}

/// The shape a stateful op draws: its attribute, or its shape-vector input's values.
fn drawn_shape(op: &str, inputs: &[Tensor], attrs: &Attrs) -> Result<Shape> {
    match inputs.first() {
        None => attr_shape(op, attrs),
        Some(v) => {
            let sizes = crate::ops::array::dynamic_sizes(op, v, attrs.ints(op, "shape")?)?;
            check_shape(op, &sizes.iter().map(|&d| d as i64).collect::<Vec<_>>())
        }
    }
}

fn stateful_float_kernel(
    op: &'static str,
    dist: FloatDist,
    inputs: &[Tensor],
    attrs: &Attrs,
    out: &[Spec],
) -> Result<Vec<Tensor>> {
    let sh = drawn_shape(op, inputs, attrs)?;
    let (seed, seed2) = seeds(op, attrs)?;
    let base = random::reserve(op, out[0].dtype, seed, seed2, shape::num_elements(&sh));
    Ok(vec![random::float_tensor(op, dist, out[0].dtype, &sh, base)?])
}

/// TensorFlow's `RandomUniform`: uniform `[0, 1)` floats (stateful, seeded by `seed`, `seed2`).
pub static RANDOM_UNIFORM: OpDef = OpDef {
    name: "random_uniform",
    infer: |s, a| infer_stateful_float("random_uniform", s, a),
    kernel: |i, a, o| stateful_float_kernel("random_uniform", FloatDist::Uniform, i, a, o),
    grad: None,
    stateful: true,
    inplace: None,
};

/// TensorFlow's `RandomStandardNormal`: standard normal floats (stateful).
pub static RANDOM_STANDARD_NORMAL: OpDef = OpDef {
    name: "random_standard_normal",
    infer: |s, a| infer_stateful_float("random_standard_normal", s, a),
    kernel: |i, a, o| stateful_float_kernel("random_standard_normal", FloatDist::Normal, i, a, o),
    grad: None,
    stateful: true,
    inplace: None,
};

/// TensorFlow's `TruncatedNormal`: standard normal floats re-drawn outside `(-2, 2)` (stateful).
pub static TRUNCATED_NORMAL: OpDef = OpDef {
    name: "truncated_normal",
    infer: |s, a| infer_stateful_float("truncated_normal", s, a),
    kernel: |i, a, o| stateful_float_kernel("truncated_normal", FloatDist::TruncatedNormal, i, a, o),
    grad: None,
    stateful: true,
    inplace: None,
};

/// TensorFlow's `RandomUniformInt`: integers in `[minval, maxval)` (stateful); inputs are the
/// scalar bounds, then (for a shape known only at run time) the shape vector.
pub static RANDOM_UNIFORM_INT: OpDef = OpDef {
    name: "random_uniform_int",
    infer: |s, a| {
        const OP: &str = "random_uniform_int";
        if s.len() != 2 && s.len() != 3 {
            return Err(Error::invalid(OP, format!("expected 2 inputs (or 3 with a shape vector), got {}", s.len())));
        }
        let dtype = infer_int_bounds(OP, &s[0], &s[1])?;
        match s.get(2) {
            Some(v) => Ok(vec![Spec { dtype, dims: drawn_dims(OP, v, a)? }]),
            None => Ok(vec![Spec::new(dtype, &attr_shape(OP, a)?)]),
        }
    },
    kernel: |i, a, o| {
        const OP: &str = "random_uniform_int";
        let sh = drawn_shape(OP, &i[2..], a)?;
        let n = shape::num_elements(&sh);
        let Some((lo, hi)) = read_int_bounds(OP, &i[0], &i[1], n)? else {
            return Ok(vec![random::int_tensor(OP, o[0].dtype, &sh, 0, 1, Philox::default())?]);
        };
        let (seed, seed2) = seeds(OP, a)?;
        let base = random::reserve(OP, o[0].dtype, seed, seed2, n);
        Ok(vec![random::int_tensor(OP, o[0].dtype, &sh, lo, hi, base)?])
    },
    grad: None,
    stateful: true,
    inplace: None,
};

/// Reads a stateless `[key]`/`[counter_low, counter_high]` pair into a generator.
fn key_counter_gen(op: &str, key: &Tensor, counter: &Tensor) -> Result<Philox> {
    let k = key.as_slice::<i64>()?;
    let c = counter.as_slice::<i64>()?;
    match (k, c) {
        ([k], [c0, c1]) => Ok(Philox::from_counter_key([*c0 as u64, *c1 as u64], *k as u64)),
        _ => Err(Error::invalid(op, "key must have shape [1] and counter shape [2]")),
    }
}

/// Checks the key (int64 `[1]`) and counter (int64 `[2]`) inputs of the stateless V2 ops.
fn infer_key_counter(op: &str, key: &Spec, counter: &Spec) -> Result<()> {
    for (name, s, n) in [("key", key, 1usize), ("counter", counter, 2)] {
        if s.dtype != DType::I64 || s.dims.as_slice() != [Some(n)] {
            return Err(Error::invalid(
                op,
                format!(
                    "{name} must be an int64 tensor with shape [{n}], got a {} tensor with shape {}",
                    s.dtype,
                    s.fmt_dims()
                ),
            ));
        }
    }
    Ok(())
}

/// TensorFlow's `StatelessRandomGetKeyCounter`: scrambles a `[2]` seed (int32 or int64) into a
/// Philox key (int64 `[1]`) and counter (int64 `[2]`).
pub static STATELESS_RANDOM_GET_KEY_COUNTER: OpDef = OpDef {
    name: "stateless_random_get_key_counter",
    infer: |s, _| {
        const OP: &str = "stateless_random_get_key_counter";
        expect_arity(OP, s, 1)?;
        if !s[0].dtype.is_int() || s[0].dims.as_slice() != [Some(2)] {
            return Err(Error::invalid(
                OP,
                format!(
                    "seed must be an int32 or int64 tensor with shape [2], got a {} tensor with shape {}",
                    s[0].dtype,
                    s[0].fmt_dims()
                ),
            ));
        }
        Ok(vec![Spec::new(DType::I64, &[1]), Spec::new(DType::I64, &[2])])
    },
    kernel: |i, _, _| {
        let v: Vec<i64> = match i[0].storage() {
            crate::Storage::I32(v) => v.iter().map(|&x| x as i64).collect(),
            crate::Storage::I64(v) => v.clone(),
            _ => Vec::new(),
        };
        let [a, b] = v[..] else {
            return Err(Error::invalid("stateless_random_get_key_counter", "seed must have 2 elements"));
        };
        let p = Philox::from_stateless_seed([a, b]);
        let [c0, c1] = p.counter_u64();
        Ok(vec![Tensor::from(vec![p.key_u64() as i64]), Tensor::from(vec![c0 as i64, c1 as i64])])
    },
    grad: None,
    stateful: false,
    inplace: None,
};

/// Kernel of the stateless float ops.
fn stateless_float_kernel(
    op: &'static str,
    dist: FloatDist,
    i: &[Tensor],
    attrs: &Attrs,
    out: &[Spec],
) -> Result<Vec<Tensor>> {
    let sh = attr_shape(op, attrs)?;
    let base = key_counter_gen(op, &i[0], &i[1])?;
    Ok(vec![random::float_tensor(op, dist, out[0].dtype, &sh, base)?])
}

fn infer_stateless_float(op: &str, s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    let out = infer_float_output(op, s, a, 2)?;
    infer_key_counter(op, &s[0], &s[1])?;
    Ok(out)
}

/// TensorFlow's `StatelessRandomUniformV2`: uniform `[0, 1)` floats from a key and counter.
pub static STATELESS_RANDOM_UNIFORM_V2: OpDef = OpDef {
    name: "stateless_random_uniform_v2",
    infer: |s, a| infer_stateless_float("stateless_random_uniform_v2", s, a),
    kernel: |i, a, o| stateless_float_kernel("stateless_random_uniform_v2", FloatDist::Uniform, i, a, o),
    grad: None,
    stateful: false,
    inplace: None,
};

/// TensorFlow's `StatelessRandomNormalV2`: standard normal floats from a key and counter.
pub static STATELESS_RANDOM_NORMAL_V2: OpDef = OpDef {
    name: "stateless_random_normal_v2",
    infer: |s, a| infer_stateless_float("stateless_random_normal_v2", s, a),
    kernel: |i, a, o| stateless_float_kernel("stateless_random_normal_v2", FloatDist::Normal, i, a, o),
    grad: None,
    stateful: false,
    inplace: None,
};

/// TensorFlow's `StatelessTruncatedNormalV2`: truncated standard normals from a key and counter.
pub static STATELESS_TRUNCATED_NORMAL_V2: OpDef = OpDef {
    name: "stateless_truncated_normal_v2",
    infer: |s, a| infer_stateless_float("stateless_truncated_normal_v2", s, a),
    kernel: |i, a, o| stateless_float_kernel("stateless_truncated_normal_v2", FloatDist::TruncatedNormal, i, a, o),
    grad: None,
    stateful: false,
    inplace: None,
};

/// TensorFlow's `StatelessRandomUniformIntV2`: integers in `[minval, maxval)` from a key and
/// counter; inputs `key, counter, minval, maxval`.
pub static STATELESS_RANDOM_UNIFORM_INT_V2: OpDef = OpDef {
    name: "stateless_random_uniform_int_v2",
    infer: |s, a| {
        const OP: &str = "stateless_random_uniform_int_v2";
        expect_arity(OP, s, 4)?;
        infer_key_counter(OP, &s[0], &s[1])?;
        let dtype = infer_int_bounds(OP, &s[2], &s[3])?;
        Ok(vec![Spec::new(dtype, &attr_shape(OP, a)?)])
    },
    kernel: |i, a, o| {
        const OP: &str = "stateless_random_uniform_int_v2";
        let sh = attr_shape(OP, a)?;
        let n = shape::num_elements(&sh);
        let Some((lo, hi)) = read_int_bounds(OP, &i[2], &i[3], n)? else {
            return Ok(vec![random::int_tensor(OP, o[0].dtype, &sh, 0, 1, Philox::default())?]);
        };
        let base = key_counter_gen(OP, &i[0], &i[1])?;
        Ok(vec![random::int_tensor(OP, o[0].dtype, &sh, lo, hi, base)?])
    },
    grad: None,
    stateful: false,
    inplace: None,
};

fn shape_attrs(shape: &[i64]) -> Attrs {
    Attrs::new().with("shape", Attr::Ints(shape.to_vec()))
}

/// Attributes of a stateful op call: the seeds resolved now from the global and op seed.
fn stateful_attrs(shape: &[i64], dtype: Option<DType>, seed: Option<i64>) -> Attrs {
    let (s1, s2) = random::get_seed(seed);
    let mut a = shape_attrs(shape).with("seed", Attr::Int(s1.unwrap_or(0))).with("seed2", Attr::Int(s2.unwrap_or(0)));
    if let Some(d) = dtype {
        a = a.with("dtype", Attr::DType(d));
    }
    a
}

/// `tf.random.normal`: normal values with `mean` and `stddev`; seeded by the global seed
/// ([`random::set_seed`]) and `seed` as TensorFlow's rules say, nondeterministic when neither is set.
pub fn random_normal(shape: &[i64], mean: f64, stddev: f64, dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    let rnd = execute1(&RANDOM_STANDARD_NORMAL, &[], stateful_attrs(shape, Some(dtype), seed))?;
    scale_shift(&rnd, stddev, mean, true)
}

/// The stateful float distributions, for drawing with a run-time shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    /// `tf.random.uniform`: `[minval, maxval)` (the two parameters).
    Uniform,
    /// `tf.random.normal`: mean and standard deviation.
    Normal,
    /// `tf.random.truncated_normal`: mean and standard deviation, re-drawn beyond two.
    TruncatedNormal,
}

/// `tf.random.uniform` (float or integer dtypes)/`normal`/`truncated_normal` (float) of the int32/int64 shape
/// vector `shape`, known only at run time inside a traced function (`tf.random.uniform(tf.shape(x))`);
/// `known` is what tracing knows of its entries (a size or [`RUN_TIME_DIM`]); `a`, `b` are the
/// distribution's parameters.
pub fn random_dynamic(
    dist: Distribution,
    shape: &Tensor,
    known: &[i64],
    (a, b): (f64, f64),
    dtype: DType,
    seed: Option<i64>,
) -> Result<Tensor> {
    let op: &'static OpDef = match dist {
        Distribution::Uniform => &RANDOM_UNIFORM,
        Distribution::Normal => &RANDOM_STANDARD_NORMAL,
        Distribution::TruncatedNormal => &TRUNCATED_NORMAL,
    };
    if dtype.is_int() && dist == Distribution::Uniform {
        let (lo, hi) = int_bounds("random_uniform", dtype, a, b)?;
        let (lo, hi) = int_scalars("random_uniform", dtype, lo, hi)?;
        return execute1(&RANDOM_UNIFORM_INT, &[lo, hi, shape.clone()], stateful_attrs(known, None, seed));
    }
    if !dtype.is_float() {
        return Err(Error::invalid(op.name, format!("{} needs a float dtype, got {dtype}", op.name)));
    }
    let rnd = execute1(op, std::slice::from_ref(shape), stateful_attrs(known, Some(dtype), seed))?;
    match dist {
        Distribution::Uniform if a == 0.0 => scale_shift(&rnd, b, 0.0, false),
        Distribution::Uniform => scale_shift(&rnd, width(dtype, a, b), a, true),
        _ => scale_shift(&rnd, b, a, true),
    }
}

/// `tf.random.truncated_normal`: normal values more than two `stddev`s from `mean` re-drawn.
pub fn truncated_normal(shape: &[i64], mean: f64, stddev: f64, dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    let rnd = execute1(&TRUNCATED_NORMAL, &[], stateful_attrs(shape, Some(dtype), seed))?;
    scale_shift(&rnd, stddev, mean, true)
}

/// `tf.random.uniform`: values in `[minval, maxval)`. Float dtypes scale `[0, 1)` samples;
/// integer dtypes need integral bounds with `minval < maxval` (maxval excluded).
pub fn random_uniform(shape: &[i64], minval: f64, maxval: f64, dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    if dtype.is_int() {
        let (lo, hi) = int_bounds("random_uniform", dtype, minval, maxval)?;
        return random_uniform_int(shape, lo, hi, dtype, seed);
    }
    let rnd = execute1(&RANDOM_UNIFORM, &[], stateful_attrs(shape, Some(dtype), seed))?;
    if minval == 0.0 {
        // TensorFlow only multiplies when the range starts at zero.
        return scale_shift(&rnd, maxval, 0.0, false);
    }
    scale_shift(&rnd, width(dtype, minval, maxval), minval, true)
}

/// `tf.random.uniform` for int32/int64 with exact 64-bit bounds: integers in `[minval, maxval)`.
pub fn random_uniform_int(shape: &[i64], minval: i64, maxval: i64, dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    let (lo, hi) = int_scalars("random_uniform", dtype, minval, maxval)?;
    execute1(&RANDOM_UNIFORM_INT, &[lo, hi], stateful_attrs(shape, None, seed))
}

/// Scalar bound tensors of an integer `dtype`, or an error when a bound does not fit.
fn int_scalars(op: &str, dtype: DType, minval: i64, maxval: i64) -> Result<(Tensor, Tensor)> {
    match dtype {
        DType::I64 => Ok((Tensor::scalar(minval), Tensor::scalar(maxval))),
        DType::I32 => {
            let conv = |name: &str, v: i64| {
                i32::try_from(v).map_err(|_| Error::invalid(op, format!("{name} = {v} does not fit in int32")))
            };
            Ok((Tensor::scalar(conv("minval", minval)?), Tensor::scalar(conv("maxval", maxval)?)))
        }
        other => Err(Error::invalid(op, format!("dtype {other} is not supported; expected int32 or int64"))),
    }
}

/// `tf.random.experimental.stateless_random_get_key_counter`: key and counter from a `[2]` seed.
pub fn stateless_random_get_key_counter(seed: &Tensor) -> Result<(Tensor, Tensor)> {
    let mut out = execute(&STATELESS_RANDOM_GET_KEY_COUNTER, std::slice::from_ref(seed), Attrs::new())?;
    let counter = out.pop();
    let key = out.pop();
    match (key, counter) {
        (Some(k), Some(c)) => Ok((k, c)),
        _ => Err(Error::new(crate::ErrorKind::Internal, "stateless_random_get_key_counter", "expected two outputs")),
    }
}

fn seed_key_counter(seed: [i64; 2]) -> Result<(Tensor, Tensor)> {
    stateless_random_get_key_counter(&Tensor::from(seed.to_vec()))
}

fn v2_attrs(shape: &[i64], dtype: DType) -> Attrs {
    shape_attrs(shape).with("dtype", Attr::DType(dtype))
}

/// Raw uniform `[0, 1)` floats from a Philox key (int64 `[1]`) and counter (int64 `[2]`).
pub fn stateless_random_uniform_v2(shape: &[i64], key: &Tensor, counter: &Tensor, dtype: DType) -> Result<Tensor> {
    execute1(&STATELESS_RANDOM_UNIFORM_V2, &[key.clone(), counter.clone()], v2_attrs(shape, dtype))
}

/// Raw standard normal floats from a Philox key and counter.
pub fn stateless_random_normal_v2(shape: &[i64], key: &Tensor, counter: &Tensor, dtype: DType) -> Result<Tensor> {
    execute1(&STATELESS_RANDOM_NORMAL_V2, &[key.clone(), counter.clone()], v2_attrs(shape, dtype))
}

/// Raw truncated standard normal floats from a Philox key and counter.
pub fn stateless_truncated_normal_v2(shape: &[i64], key: &Tensor, counter: &Tensor, dtype: DType) -> Result<Tensor> {
    execute1(&STATELESS_TRUNCATED_NORMAL_V2, &[key.clone(), counter.clone()], v2_attrs(shape, dtype))
}

/// Integers in `[minval, maxval)` from a Philox key and counter.
pub fn stateless_random_uniform_int_v2(
    shape: &[i64],
    key: &Tensor,
    counter: &Tensor,
    minval: i64,
    maxval: i64,
    dtype: DType,
) -> Result<Tensor> {
    let (lo, hi) = int_scalars("stateless_random_uniform_int_v2", dtype, minval, maxval)?;
    execute1(&STATELESS_RANDOM_UNIFORM_INT_V2, &[key.clone(), counter.clone(), lo, hi], shape_attrs(shape))
}

/// `tf.random.stateless_uniform`: values in `[minval, maxval)` determined by `seed` alone.
/// Integer dtypes need integral bounds with `minval < maxval`.
pub fn stateless_random_uniform(
    shape: &[i64],
    seed: [i64; 2],
    minval: f64,
    maxval: f64,
    dtype: DType,
) -> Result<Tensor> {
    const OP: &str = "stateless_random_uniform";
    if dtype.is_int() {
        let (lo, hi) = int_bounds(OP, dtype, minval, maxval)?;
        let (key, counter) = seed_key_counter(seed)?;
        return stateless_random_uniform_int_v2(shape, &key, &counter, lo, hi, dtype);
    }
    check_float_dtype(OP, dtype)?;
    let (key, counter) = seed_key_counter(seed)?;
    let rnd = stateless_random_uniform_v2(shape, &key, &counter, dtype)?;
    scale_shift(&rnd, width(dtype, minval, maxval), minval, true)
}

/// `tf.random.stateless_normal`: normal values determined by `seed` alone.
pub fn stateless_random_normal(shape: &[i64], seed: [i64; 2], mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
    check_float_dtype("stateless_random_normal", dtype)?;
    let (key, counter) = seed_key_counter(seed)?;
    let rnd = stateless_random_normal_v2(shape, &key, &counter, dtype)?;
    scale_shift(&rnd, stddev, mean, true)
}

/// `tf.random.stateless_truncated_normal`: truncated normal values determined by `seed` alone.
pub fn stateless_truncated_normal(
    shape: &[i64],
    seed: [i64; 2],
    mean: f64,
    stddev: f64,
    dtype: DType,
) -> Result<Tensor> {
    check_float_dtype("stateless_truncated_normal", dtype)?;
    let (key, counter) = seed_key_counter(seed)?;
    let rnd = stateless_truncated_normal_v2(shape, &key, &counter, dtype)?;
    scale_shift(&rnd, stddev, mean, true)
}

/// `tf.nn.dropout`: zeroes each element with probability `rate` and scales the kept ones by
/// `1 / (1 - rate)`. `noise_shape` (broadcastable to `x`'s shape) shares one keep/drop draw
/// along its size-1 dimensions; `seed` follows the stateful seed rules. Gradients flow
/// through the scaling to the kept elements.
pub fn dropout(x: &Tensor, rate: f64, noise_shape: Option<&[i64]>, seed: Option<i64>) -> Result<Tensor> {
    const OP: &str = "dropout";
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::invalid(OP, format!("rate must be a float in the range [0, 1), got {rate}")));
    }
    let dtype = x.dtype();
    if !dtype.is_float() {
        return Err(Error::invalid(
            OP,
            format!(
                "x must be a float tensor since kept values are scaled, got a {dtype} tensor with shape {}",
                shape::fmt_shape(x.shape())
            ),
        ));
    }
    let xs: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
    let noise: Vec<i64> = noise_shape.map_or_else(|| xs.clone(), <[i64]>::to_vec);
    let nd = check_shape(OP, &noise)?;
    if shape::broadcast_shapes(&nd, x.shape()).as_deref() != Some(x.shape()) {
        return Err(Error::invalid(
            OP,
            format!("noise_shape {noise:?} must broadcast to the shape of x {:?}", x.shape()),
        ));
    }
    if rate == 0.0 {
        // Draw the op seed anyway, so later ops see the same seeds whatever the rate.
        random::get_seed(seed);
        return Ok(x.clone());
    }
    let scaled = math::mul(x, &Tensor::scalar_of(dtype, 1.0 / (1.0 - rate)))?;
    let rnd = random_uniform(&noise, 0.0, 1.0, dtype, seed)?;
    let keep = math::greater_equal(&rnd, &Tensor::scalar_of(dtype, rate))?;
    math::where_(&keep, &scaled, &Tensor::scalar_of(dtype, 0.0))
}
