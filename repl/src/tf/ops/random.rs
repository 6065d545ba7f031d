//! `tf.random`: the global seed, stateful and stateless sampling, and `tf.random.Generator`
//! (bit-compatible with TensorFlow's Philox streams).

use super::args::{float_of, r, t, Params};
use super::Entry;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Builtin, NativeFn, NativeObject, Value};
use crate::interp::Interp;
use std::rc::Rc;
use tensile::ops::random_ops as rnd;
use tensile::random::Generator;
use tensile::{DType, Tensor};

type Out = PyResult<Value>;

fn set_seed(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("set_seed", &["seed"], a)?;
    tensile::random::set_seed(p.opt_int("seed")?);
    Ok(Value::None)
}

/// `maxval` for `uniform`: 1 for floats; integer dtypes must give it.
fn maxval(func: &str, p: &Params, dtype: DType) -> PyResult<f64> {
    match p.get("maxval") {
        Some(v) => float_of(func, "maxval", &v),
        None if dtype.is_int() => {
            Err(raise("ValueError", format!("{func}: must specify maxval for integer dtype {dtype}")))
        }
        None => Ok(1.0),
    }
}

fn normal(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("normal", &["shape", "mean", "stddev", "dtype", "seed", "name"], a)?;
    let d = p.dtype("dtype")?.unwrap_or(DType::F32);
    let (mean, std) = (p.float("mean", 0.0)?, p.float("stddev", 1.0)?);
    if let Some(out) = run_time_draw(&p, rnd::Distribution::Normal, (mean, std), d)? {
        return Ok(t(out));
    }
    Ok(t(r(rnd::random_normal(&p.req_ints("shape")?, mean, std, d, p.opt_int("seed")?))?))
}

fn truncated_normal(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("truncated_normal", &["shape", "mean", "stddev", "dtype", "seed", "name"], a)?;
    let d = p.dtype("dtype")?.unwrap_or(DType::F32);
    let (mean, std) = (p.float("mean", 0.0)?, p.float("stddev", 1.0)?);
    if let Some(out) = run_time_draw(&p, rnd::Distribution::TruncatedNormal, (mean, std), d)? {
        return Ok(t(out));
    }
    Ok(t(r(rnd::truncated_normal(&p.req_ints("shape")?, mean, std, d, p.opt_int("seed")?))?))
}

fn uniform(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("uniform", &["shape", "minval", "maxval", "dtype", "seed", "name"], a)?;
    let d = p.dtype("dtype")?.unwrap_or(DType::F32);
    let hi = maxval("uniform", &p, d)?;
    if let Some(out) = run_time_draw(&p, rnd::Distribution::Uniform, (p.float("minval", 0.0)?, hi), d)? {
        return Ok(t(out));
    }
    Ok(t(r(rnd::random_uniform(&p.req_ints("shape")?, p.float("minval", 0.0)?, hi, d, p.opt_int("seed")?))?))
}

/// A draw whose `shape` argument holds traced sizes (`tf.random.uniform(tf.shape(x))`).
fn run_time_draw(p: &Params, dist: rnd::Distribution, params: (f64, f64), d: DType) -> PyResult<Option<Tensor>> {
    match super::array::run_time_shape(&p.req("shape")?)? {
        Some((vector, known)) => {
            Ok(Some(r(rnd::random_dynamic(dist, &vector, &known, params, d, p.opt_int("seed")?))?))
        }
        None => Ok(None),
    }
}

fn seed_pair(p: &Params) -> PyResult<[i64; 2]> {
    match p.req_ints("seed")?.as_slice() {
        [a, b] => Ok([*a, *b]),
        other => Err(raise("ValueError", format!("{}: seed must have shape [2], got {other:?}", p.func()))),
    }
}

fn stateless_uniform(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("stateless_uniform", &["shape", "seed", "minval", "maxval", "dtype", "name", "alg"], a)?;
    let d = p.dtype("dtype")?.unwrap_or(DType::F32);
    let hi = maxval("stateless_uniform", &p, d)?;
    let out = rnd::stateless_random_uniform(&p.req_ints("shape")?, seed_pair(&p)?, p.float("minval", 0.0)?, hi, d);
    Ok(t(r(out)?))
}

fn stateless_normal(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("stateless_normal", &["shape", "seed", "mean", "stddev", "dtype", "name", "alg"], a)?;
    let d = p.dtype("dtype")?.unwrap_or(DType::F32);
    let (mean, std) = (p.float("mean", 0.0)?, p.float("stddev", 1.0)?);
    Ok(t(r(rnd::stateless_random_normal(&p.req_ints("shape")?, seed_pair(&p)?, mean, std, d))?))
}

fn stateless_truncated_normal(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p =
        Params::bind("stateless_truncated_normal", &["shape", "seed", "mean", "stddev", "dtype", "name", "alg"], a)?;
    let d = p.dtype("dtype")?.unwrap_or(DType::F32);
    let (mean, std) = (p.float("mean", 0.0)?, p.float("stddev", 1.0)?);
    Ok(t(r(rnd::stateless_truncated_normal(&p.req_ints("shape")?, seed_pair(&p)?, mean, std, d))?))
}

/// `tf.random.shuffle(value, seed=None, name=None)`.
fn shuffle(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("shuffle", &["value", "seed", "name"], a)?;
    Ok(t(r(tensile::ops::random_sampling::shuffle(&p.tensor("value")?, p.opt_int("seed")?))?))
}

/// `tf.random.categorical(logits, num_samples, dtype=None, seed=None, name=None)`.
fn categorical(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("categorical", &["logits", "num_samples", "dtype", "seed", "name"], a)?;
    let logits = p.tensor("logits")?;
    let d = match p.dtype("dtype")?.unwrap_or(DType::I64) {
        d @ (DType::I32 | DType::I64) => d,
        d => {
            return Err(raise(
                "ValueError",
                format!("Argument `dtype` got invalid value <dtype: '{d}'>. Accepted dtypes are (tf.int32, tf.int64)."),
            ))
        }
    };
    let n = p.req_int("num_samples")?;
    Ok(t(r(tensile::ops::random_sampling::categorical(&logits, n, d, p.opt_int("seed")?))?))
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![
        (&["random.set_seed"], set_seed),
        (&["random.normal"], normal),
        (&["random.uniform"], uniform),
        (&["random.truncated_normal"], truncated_normal),
        (&["random.stateless_uniform"], stateless_uniform),
        (&["random.stateless_normal"], stateless_normal),
        (&["random.stateless_truncated_normal"], stateless_truncated_normal),
        (&["random.shuffle"], shuffle),
        (&["random.categorical"], categorical),
    ]
}

/// `tf.random.Generator` (the class, for its constructors and `isinstance`).
struct GeneratorType;

/// A `tf.random.Generator` instance.
struct GeneratorObj(Generator);

fn method(this: &Value, name: &'static str, f: NativeFn) -> Value {
    Value::Builtin(Rc::new(Builtin { name, f, bound: Some(this.clone()) }))
}

/// The `tf.random.Generator` class value.
pub fn generator_type() -> Value {
    Value::Native(Rc::new(GeneratorType))
}

fn new_generator(g: Generator) -> Value {
    Value::Native(Rc::new(GeneratorObj(g)))
}

impl NativeObject for GeneratorType {
    fn type_name(&self) -> &str {
        "type"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "from_seed" => method(this, "from_seed", |_, _, a| {
                let p = Params::bind("from_seed", &["seed", "alg"], a)?;
                Ok(new_generator(Generator::from_seed(p.req_int("seed")?)))
            }),
            "from_non_deterministic_state" => method(this, "from_non_deterministic_state", |_, _, a| {
                Params::bind("from_non_deterministic_state", &["alg"], a)?;
                Ok(new_generator(Generator::from_non_deterministic_state()))
            }),
            "from_state" => method(this, "from_state", |_, _, a| {
                let p = Params::bind("from_state", &["state", "alg"], a)?;
                match p.req_ints("state")?.as_slice() {
                    [a, b, c] => Ok(new_generator(Generator::from_state([*a, *b, *c]))),
                    other => {
                        Err(raise("ValueError", format!("from_state: a Philox state has 3 elements, got {other:?}")))
                    }
                }
            }),
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        "<class 'tensorflow.python.ops.stateful_random_ops.Generator'>".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn generator_of(this: Option<&Value>) -> PyResult<Generator> {
    match this {
        Some(Value::Native(n)) => match n.as_any().downcast_ref::<GeneratorObj>() {
            Some(g) => Ok(g.0.clone()),
            None => Err(raise("TypeError", "not a tf.random.Generator")),
        },
        _ => Err(raise("TypeError", "not a tf.random.Generator")),
    }
}

impl NativeObject for GeneratorObj {
    fn type_name(&self) -> &str {
        "Generator"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "normal" => method(this, "normal", |_, g, a| {
                let p = Params::bind("normal", &["shape", "mean", "stddev", "dtype", "name"], a)?;
                let d = p.dtype("dtype")?.unwrap_or(DType::F32);
                let (mean, std) = (p.float("mean", 0.0)?, p.float("stddev", 1.0)?);
                Ok(t(r(generator_of(g)?.normal(&p.req_ints("shape")?, mean, std, d))?))
            }),
            "truncated_normal" => method(this, "truncated_normal", |_, g, a| {
                let p = Params::bind("truncated_normal", &["shape", "mean", "stddev", "dtype", "name"], a)?;
                let d = p.dtype("dtype")?.unwrap_or(DType::F32);
                let (mean, std) = (p.float("mean", 0.0)?, p.float("stddev", 1.0)?);
                Ok(t(r(generator_of(g)?.truncated_normal(&p.req_ints("shape")?, mean, std, d))?))
            }),
            "uniform" => method(this, "uniform", |_, g, a| {
                let p = Params::bind("uniform", &["shape", "minval", "maxval", "dtype", "name"], a)?;
                let d = p.dtype("dtype")?.unwrap_or(DType::F32);
                let hi = maxval("uniform", &p, d)?;
                Ok(t(r(generator_of(g)?.uniform(&p.req_ints("shape")?, p.float("minval", 0.0)?, hi, d))?))
            }),
            "skip" => method(this, "skip", |_, g, a| {
                let p = Params::bind("skip", &["delta"], a)?;
                let delta = p.req_int("delta")?;
                let delta = u64::try_from(delta)
                    .map_err(|_| raise("ValueError", format!("skip: delta must be non-negative, got {delta}")))?;
                r(generator_of(g)?.skip(delta))?;
                Ok(Value::None)
            }),
            "state" => Value::Variable(self.0.state().clone()),
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        "<tensorflow.python.ops.stateful_random_ops.Generator object>".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
