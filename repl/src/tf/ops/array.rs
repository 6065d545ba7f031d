//! Array ops: shapes and layout (`reshape`, `transpose`, `concat`, `split`, ...), creation
//! (`zeros`, `range`, `eye`, ...), slicing and gathering.

use super::args::{dims, list, pair, r, t, Params};
use super::Entry;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Value};
use crate::interp::Interp;
use crate::tf::to_tensor;
use tensile::ops::array::{self as arr, Split};
use tensile::ops::slicing::{self, SliceItem};
use tensile::ops::{indexing, math};
use tensile::{DType, Tensor};

type Out = PyResult<Value>;

fn reshape(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("reshape", &["tensor", "shape", "name"], a)?;
    let x = p.tensor("tensor")?;
    if let Some((vector, known)) = run_time_shape(&p.req("shape")?)? {
        return Ok(t(r(arr::reshape_dynamic(&x, &vector, &known))?));
    }
    Ok(t(r(arr::reshape(&x, &p.req_ints("shape")?))?))
}

/// A shape argument with sizes known only at run time (a traced value such as `tf.shape(x)[0]`,
/// or a whole traced shape vector): the integer shape vector and what is known of it now.
pub(super) fn run_time_shape(v: &Value) -> PyResult<Option<(Tensor, Vec<i64>)>> {
    let traced = |v: &Value| matches!(v, Value::Tensor(t) if t.is_symbolic());
    match v {
        Value::Tensor(s) if s.is_symbolic() => match (s.dtype().is_int(), s.dims().as_slice()) {
            (true, [Some(n)]) => Ok(Some((s.clone(), vec![arr::RUN_TIME_DIM; *n]))),
            _ => Err(raise(
                "ValueError",
                format!(
                    "shape must be an integer vector of known length, got a traced {}{}",
                    s.dtype(),
                    tensile::shape::fmt_dims(&s.dims())
                ),
            )),
        },
        Value::List(_) | Value::Tuple(_) => {
            let items = match v {
                Value::List(l) => l.borrow().clone(),
                Value::Tuple(t) => t.to_vec(),
                _ => Vec::new(),
            };
            if !items.iter().any(traced) {
                return Ok(None);
            }
            let mut sizes = Vec::with_capacity(items.len());
            let mut known = Vec::with_capacity(items.len());
            for item in &items {
                match item {
                    Value::Tensor(s) if s.is_symbolic() => {
                        if !s.dtype().is_int() || s.rank() != 0 {
                            return Err(raise(
                                "TypeError",
                                format!(
                                    "shape entries must be integer scalars, got a traced {}{}",
                                    s.dtype(),
                                    tensile::shape::fmt_dims(&s.dims())
                                ),
                            ));
                        }
                        sizes.push(r(math::cast(s, DType::I64))?);
                        known.push(arr::RUN_TIME_DIM);
                    }
                    other => {
                        let k = super::args::int_of("reshape", "shape element", other)?;
                        sizes.push(Tensor::from(k));
                        known.push(k);
                    }
                }
            }
            Ok(Some((r(arr::stack(&sizes, 0))?, known)))
        }
        _ => Ok(None),
    }
}

fn broadcast_to(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("broadcast_to", &["input", "shape", "name"], a)?;
    if let Some((vector, known)) = run_time_shape(&p.req("shape")?)? {
        return Ok(t(r(tensile::ops::array_dynamic::broadcast_to_dynamic(&p.tensor("input")?, &vector, &known))?));
    }
    let shape = dims("broadcast_to", &p.req_ints("shape")?)?;
    Ok(t(r(arr::broadcast_to(&p.tensor("input")?, &shape))?))
}

fn stack(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("stack", &["values", "axis", "name"], a)?;
    Ok(t(r(arr::stack(&p.tensors("values")?, p.int("axis", 0)?))?))
}

fn unstack(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("unstack", &["value", "num", "axis", "name"], a)?;
    let x = p.tensor("value")?;
    let parts = r(arr::unstack(&x, p.int("axis", 0)?))?;
    if let Some(n) = p.opt_int("num")? {
        if n != parts.len() as i64 {
            return Err(raise(
                "ValueError",
                format!("unstack: num = {n} does not match the size {} of the unstacked axis", parts.len()),
            ));
        }
    }
    Ok(list(parts))
}

fn transpose(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("transpose", &["a", "perm", "conjugate", "name"], a)?;
    let perm = p.ints("perm")?;
    Ok(t(r(arr::transpose(&p.tensor("a")?, perm.as_deref()))?))
}

fn expand_dims(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("expand_dims", &["input", "axis", "name"], a)?;
    Ok(t(r(arr::expand_dims(&p.tensor("input")?, p.req_int("axis")?))?))
}

fn squeeze(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("squeeze", &["input", "axis", "name"], a)?;
    let axis = p.ints("axis")?;
    Ok(t(r(arr::squeeze(&p.tensor("input")?, axis.as_deref()))?))
}

fn concat(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("concat", &["values", "axis", "name"], a)?;
    Ok(t(r(arr::concat(&p.tensors("values")?, p.req_int("axis")?))?))
}

fn split(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("split", &["value", "num_or_size_splits", "axis", "num", "name"], a)?;
    let x = p.tensor("value")?;
    let how = match p.req("num_or_size_splits")? {
        Value::Int(n) if n > 0 => Split::Num(n as usize),
        Value::Int(n) => {
            return Err(raise("ValueError", format!("split: num_or_size_splits must be positive, got {n}")));
        }
        v => Split::Sizes(super::args::ints_of(&v)?),
    };
    Ok(list(r(arr::split(&x, how, p.int("axis", 0)?))?))
}

fn tile(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("tile", &["input", "multiples", "name"], a)?;
    if let Some((vector, _)) = run_time_shape(&p.req("multiples")?)? {
        return Ok(t(r(tensile::ops::array_dynamic::tile_dynamic(&p.tensor("input")?, &vector))?));
    }
    Ok(t(r(arr::tile(&p.tensor("input")?, &p.req_ints("multiples")?))?))
}

fn pad(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("pad", &["tensor", "paddings", "mode", "constant_values", "name"], a)?;
    let x = p.tensor("tensor")?;
    let pt = to_tensor(&p.req("paddings")?, None)?;
    if pt.is_symbolic() {
        if p.str("mode", "CONSTANT")?.to_uppercase() != "CONSTANT" {
            return Err(raise(
                "TypeError",
                "pad: REFLECT and SYMMETRIC padding need paddings known while tracing (Python ints or an eager tensor)",
            ));
        }
        let value = p.float("constant_values", 0.0)?;
        return Ok(t(r(tensile::ops::array_dynamic::pad_dynamic(&x, &pt, value))?));
    }
    if pt.shape() != [x.rank(), 2] {
        return Err(raise(
            "InvalidArgumentError",
            format!(
                "pad: paddings must have shape [{}, 2] for an input of rank {}, got {}",
                x.rank(),
                x.rank(),
                tensile::shape::fmt_dims(&pt.dims())
            ),
        ));
    }
    let pairs: Vec<[i64; 2]> = pt.to_f64_vec().chunks(2).map(|c| [c[0] as i64, c[1] as i64]).collect();
    let mode = p.str("mode", "CONSTANT")?.to_uppercase();
    Ok(t(r(arr::pad(&x, &pairs, &mode, p.float("constant_values", 0.0)?))?))
}

fn identity(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("identity", &["input", "name"], a)?;
    Ok(t(r(arr::identity(&p.tensor("input")?))?))
}

fn stop_gradient(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("stop_gradient", &["input", "name"], a)?;
    Ok(t(r(arr::stop_gradient(&p.tensor("input")?))?))
}

fn size(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("size", &["input", "out_type", "name"], a)?;
    let s = r(arr::size(&p.tensor("input")?))?;
    Ok(t(match p.dtype("out_type")? {
        Some(d) if d != s.dtype() => r(math::cast(&s, d))?,
        _ => s,
    }))
}

fn rank(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("rank", &["input", "name"], a)?;
    Ok(t(r(arr::rank(&p.tensor("input")?))?))
}

fn one_hot(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("one_hot", &["indices", "depth", "on_value", "off_value", "axis", "dtype", "name"], a)?;
    let indices = p.tensor("indices")?;
    let given = |n: &str| p.get(n).map(|v| to_tensor(&v, None)).transpose();
    let (on, off) = (given("on_value")?, given("off_value")?);
    let dtype = match p.dtype("dtype")? {
        Some(d) => d,
        None => on.as_ref().or(off.as_ref()).map_or(DType::F32, Tensor::dtype),
    };
    let scalar = |v: Option<Tensor>, d: f64| v.map_or(d, |t| t.to_f64_vec().first().copied().unwrap_or(d));
    if let Some(Value::Tensor(depth)) = p.get("depth").filter(|d| matches!(d, Value::Tensor(t) if t.is_symbolic())) {
        let (on, off, axis) = (scalar(on, 1.0), scalar(off, 0.0), p.int("axis", -1)?);
        return Ok(t(r(tensile::ops::array_dynamic::one_hot_dynamic(&indices, &depth, on, off, axis, dtype))?));
    }
    let out = arr::one_hot(&indices, p.req_int("depth")?, scalar(on, 1.0), scalar(off, 0.0), p.int("axis", -1)?, dtype);
    Ok(t(r(out)?))
}

fn linspace(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("linspace", &["start", "stop", "num", "name", "axis"], a)?;
    let (start, stop) = pair(&p, "start", "stop")?;
    Ok(t(r(arr::linspace_axis(&start, &stop, p.req_int("num")?, p.int("axis", 0)?))?))
}

/// `tf.range(start, limit=None, delta=1, dtype=None, name='range')`; the dtype is inferred
/// from the arguments as TF does (any float gives float32, else int32).
fn range(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("range", &["start", "limit", "delta", "dtype", "name"], a)?;
    let mut args = vec![p.req("start")?];
    if let Some(l) = p.get("limit") {
        args.push(l);
    }
    let delta = p.get("delta").unwrap_or(Value::Int(1));
    let inferred = [&args[..], std::slice::from_ref(&delta)]
        .concat()
        .iter()
        .map(|v| match v {
            Value::Float(_) => DType::F32,
            Value::Tensor(x) | Value::Array(x) => x.dtype(),
            _ => DType::I32,
        })
        .max_by_key(|d| match d {
            DType::F64 => 4,
            DType::F32 => 3,
            DType::I64 => 2,
            _ => 1,
        })
        .unwrap_or(DType::I32);
    let dtype = p.dtype("dtype")?.unwrap_or(inferred);
    let symbolic = |v: &Value| matches!(v, Value::Tensor(x) if x.is_symbolic());
    if args.iter().chain([&delta]).any(symbolic) {
        // Bounds known only when the traced function runs.
        let scalar = |v: &Value| -> PyResult<Tensor> {
            let x = to_tensor(v, Some(dtype))?;
            if x.rank() != 0 {
                return Err(raise("ValueError", "tf.range: start, limit and delta must be scalars"));
            }
            if x.dtype() == dtype {
                Ok(x)
            } else {
                r(tensile::ops::math::cast(&x, dtype))
            }
        };
        let (start, limit) = match args.as_slice() {
            [l] => (scalar(&Value::Int(0))?, scalar(l)?),
            [s, l] => (scalar(s)?, scalar(l)?),
            _ => return Err(raise("TypeError", "tf.range: missing limit")),
        };
        return Ok(t(r(arr::range_dynamic(&start, &limit, &scalar(&delta)?))?));
    }
    let num = |v: &Value| super::args::float_of("range", "start", v);
    let (start, limit) = match args.as_slice() {
        [l] => (0.0, num(l)?),
        [s, l] => (num(s)?, num(l)?),
        _ => (0.0, 0.0),
    };
    Ok(t(r(arr::range(start, limit, num(&delta)?, dtype))?))
}

fn eye(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("eye", &["num_rows", "num_columns", "batch_shape", "dtype", "name"], a)?;
    let traced = |n: &str| p.get(n).filter(|v| matches!(v, Value::Tensor(t) if t.is_symbolic()));
    let dtype = p.dtype("dtype")?.unwrap_or(DType::F32);
    let m = if traced("num_rows").is_some() || traced("num_columns").is_some() {
        let rows = to_tensor(&p.req("num_rows")?, Some(DType::I32))?;
        let cols = p.get("num_columns").filter(|v| !matches!(v, Value::None));
        let cols = cols.map(|c| to_tensor(&c, Some(DType::I32))).transpose()?;
        r(tensile::ops::array_dynamic::eye_dynamic(&rows, cols.as_ref(), dtype))?
    } else {
        let rows = dims("eye", &[p.req_int("num_rows")?])?[0];
        let cols = p.opt_int("num_columns")?.map(|c| dims("eye", &[c]).map(|d| d[0])).transpose()?;
        r(arr::eye(rows, cols, dtype))?
    };
    let Some(batch) = p.get("batch_shape").filter(|v| !matches!(v, Value::None)) else { return Ok(t(m)) };
    let (batch, mut known) = match run_time_shape(&batch)? {
        Some(traced) => traced,
        None => {
            let sizes = p.ints("batch_shape")?.unwrap_or_default();
            if !m.is_symbolic() {
                let mut shape = dims("eye", &sizes)?;
                shape.extend_from_slice(m.shape());
                return Ok(t(r(arr::broadcast_to(&m, &shape))?));
            }
            (Tensor::from(sizes.clone()), sizes)
        }
    };
    // Copies of the matrix over a batch shape or of a size known only at run time.
    known.extend(m.dims().iter().map(|d| d.map_or(arr::RUN_TIME_DIM, |d| d as i64)));
    let (batch, sizes) = (r(math::cast(&batch, DType::I64))?, r(math::cast(&r(arr::shape(&m))?, DType::I64))?);
    let shape = r(arr::concat(&[batch, sizes], 0))?;
    Ok(t(r(tensile::ops::array_dynamic::broadcast_to_dynamic(&m, &shape, &known))?))
}

fn fill(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("fill", &["dims", "value", "name"], a)?;
    let v = p.tensor("value")?;
    if v.size() != 1 || v.rank() != 0 {
        return Err(raise(
            "InvalidArgumentError",
            format!("fill: value must be a scalar, got shape {}", tensile::shape::fmt_dims(&v.dims())),
        ));
    }
    if let Some((vector, known)) = run_time_shape(&p.req("dims")?)? {
        return Ok(t(r(arr::fill_dynamic(&vector, &v, &known))?));
    }
    let shape = dims("fill", &p.req_ints("dims")?)?;
    Ok(t(r(arr::broadcast_to(&v, &shape))?))
}

fn filled(a: Args, func: &'static str, value: f64) -> Out {
    let p = Params::bind(func, &["shape", "dtype", "name"], a)?;
    let dtype = p.dtype("dtype")?.unwrap_or(DType::F32);
    if let Some((vector, known)) = run_time_shape(&p.req("shape")?)? {
        return Ok(t(r(arr::fill_dynamic(&vector, &Tensor::scalar_of(dtype, value), &known))?));
    }
    let shape = dims(func, &p.req_ints("shape")?)?;
    Ok(t(r(arr::fill(dtype, &shape, value))?))
}

fn zeros(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    filled(a, "zeros", 0.0)
}

fn ones(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    filled(a, "ones", 1.0)
}

fn filled_like(a: Args, func: &'static str, value: f64) -> Out {
    let p = Params::bind(func, &["input", "dtype", "name"], a)?;
    let x = p.tensor("input")?;
    let d = p.dtype("dtype")?.unwrap_or(x.dtype());
    if x.is_symbolic() {
        // The value follows the input's (possibly unknown) shape inside the graph.
        let filled = r(if value == 0.0 { arr::zeros_like(&x) } else { arr::ones_like(&x) })?;
        return Ok(t(if d == x.dtype() { filled } else { r(math::cast(&filled, d))? }));
    }
    Ok(t(r(arr::fill(d, x.shape(), value))?))
}

fn zeros_like(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    filled_like(a, "zeros_like", 0.0)
}

fn ones_like(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    filled_like(a, "ones_like", 1.0)
}

fn slice(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("slice", &["input_", "begin", "size", "name"], a)?;
    let traced = |v: &Value| crate::tf::convert::traced_dtype(v).is_some();
    let (begin, size) = (p.req("begin")?, p.req("size")?);
    if traced(&begin) || traced(&size) {
        let x = p.tensor("input_")?;
        let (size_t, known) = match run_time_shape(&size)? {
            Some((vector, known)) => (vector, known),
            None => {
                let ints = p.req_ints("size")?;
                (Tensor::from(ints.clone()), ints)
            }
        };
        let begin_t = to_tensor(&begin, Some(DType::I32))?;
        return Ok(t(r(tensile::ops::slicing_dynamic::slice_dynamic(&x, &begin_t, &size_t, &known))?));
    }
    Ok(t(r(slicing::slice(&p.tensor("input_")?, &p.req_ints("begin")?, &p.req_ints("size")?))?))
}

fn strided_slice(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind(
        "strided_slice",
        &[
            "input_",
            "begin",
            "end",
            "strides",
            "begin_mask",
            "end_mask",
            "ellipsis_mask",
            "new_axis_mask",
            "shrink_axis_mask",
            "var",
            "name",
        ],
        a,
    )?;
    let x = p.tensor("input_")?;
    let begin = p.req_ints("begin")?;
    let strides = p.ints("strides")?.unwrap_or_else(|| vec![1; begin.len()]);
    let out = slicing::strided_slice(
        &x,
        &begin,
        &p.req_ints("end")?,
        &strides,
        p.int("begin_mask", 0)?,
        p.int("end_mask", 0)?,
        p.int("ellipsis_mask", 0)?,
        p.int("new_axis_mask", 0)?,
        p.int("shrink_axis_mask", 0)?,
    );
    Ok(t(r(out)?))
}

fn gather(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("gather", &["params", "indices", "validate_indices", "axis", "batch_dims", "name"], a)?;
    let batch_dims = p.int("batch_dims", 0)?;
    let axis = p.int("axis", batch_dims)?;
    Ok(t(r(indexing::gather(&p.tensor("params")?, &p.tensor("indices")?, axis, batch_dims))?))
}

fn gather_nd(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("gather_nd", &["params", "indices", "batch_dims", "name"], a)?;
    Ok(t(r(indexing::gather_nd(&p.tensor("params")?, &p.tensor("indices")?, p.int("batch_dims", 0)?))?))
}

fn scatter_nd(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("scatter_nd", &["indices", "updates", "shape", "name"], a)?;
    let shape = dims("scatter_nd", &p.req_ints("shape")?)?;
    Ok(t(r(indexing::scatter_nd(&p.tensor("indices")?, &p.tensor("updates")?, &shape))?))
}

fn embedding_lookup(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("embedding_lookup", &["params", "ids", "max_norm", "name"], a)?;
    // A Python list is TF's list of parameter shards; only the single-shard form is supported.
    let params = match p.req("params")? {
        Value::List(l) if l.borrow().len() == 1 => to_tensor(&l.borrow()[0], None)?,
        Value::Tuple(v) if v.len() == 1 => to_tensor(&v[0], None)?,
        Value::List(_) | Value::Tuple(_) => return Err(raise(
            "ValueError",
            "embedding_lookup: params given as a list are partitioned shards, which are not supported; pass one tensor",
        )),
        v => to_tensor(&v, None)?,
    };
    Ok(t(r(indexing::embedding_lookup(&params, &p.tensor("ids")?))?))
}

/// `tf.reverse(tensor, axis, name=None)`: a strided slice with step -1 on each listed axis.
fn reverse(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("reverse", &["tensor", "axis", "name"], a)?;
    let x = p.tensor("tensor")?;
    let rank = x.rank() as i64;
    let mut items = vec![SliceItem::Range { start: None, stop: None, step: 1 }; x.rank()];
    for ax in p.req_ints("axis")? {
        let k = if ax < 0 { ax + rank } else { ax };
        if k < 0 || k >= rank {
            return Err(raise(
                "InvalidArgumentError",
                format!("reverse: axis {ax} is out of range for a tensor of rank {rank}"),
            ));
        }
        items[k as usize] = SliceItem::Range { start: None, stop: None, step: -1 };
    }
    Ok(t(r(slicing::index(&x, &items))?))
}

/// `tf.boolean_mask(tensor, mask, axis=None, name='boolean_mask')`: the elements where an
/// eager `mask` is true, gathered (so gradients flow to the kept elements).
fn boolean_mask(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("boolean_mask", &["tensor", "mask", "axis", "name"], a)?;
    let x = p.tensor("tensor")?;
    let mask = p.tensor("mask")?;
    let axis = p.int("axis", 0)?;
    let k = mask.rank();
    let rank = x.rank();
    let ax = if axis < 0 { axis + rank as i64 } else { axis } as usize;
    if k == 0 || ax + k > rank || x.shape()[ax..ax + k] != *mask.shape() {
        return Err(raise(
            "ValueError",
            format!(
                "boolean_mask: mask of shape {} does not match the dimensions of tensor {} at axis {axis}",
                tensile::shape::fmt_dims(&mask.dims()),
                tensile::shape::fmt_dims(&x.dims())
            ),
        ));
    }
    let mut flat_shape: Vec<i64> = x.shape()[..ax].iter().map(|&d| d as i64).collect();
    flat_shape.push(-1);
    flat_shape.extend(x.shape()[ax + k..].iter().map(|&d| d as i64));
    let flat = r(arr::reshape(&x, &flat_shape))?;
    let flat_mask = r(arr::reshape(&mask, &[-1]))?;
    let idx = super::math::true_coordinates("boolean_mask", &flat_mask)?;
    let idx = r(arr::reshape(&idx, &[-1]))?;
    Ok(t(r(indexing::gather(&flat, &idx, ax as i64, 0))?))
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![
        (&["reshape"], reshape),
        (&["broadcast_to"], broadcast_to),
        (&["stack"], stack),
        (&["unstack"], unstack),
        (&["transpose"], transpose),
        (&["expand_dims"], expand_dims),
        (&["squeeze"], squeeze),
        (&["concat"], concat),
        (&["split"], split),
        (&["tile"], tile),
        (&["pad"], pad),
        (&["identity"], identity),
        (&["stop_gradient"], stop_gradient),
        (&["shape"], super::shape::tf_shape),
        (&["size"], size),
        (&["rank"], rank),
        (&["one_hot"], one_hot),
        (&["linspace"], linspace),
        (&["range"], range),
        (&["eye", "linalg.eye"], eye),
        (&["fill"], fill),
        (&["zeros"], zeros),
        (&["ones"], ones),
        (&["zeros_like"], zeros_like),
        (&["ones_like"], ones_like),
        (&["slice"], slice),
        (&["strided_slice"], strided_slice),
        (&["gather"], gather),
        (&["gather_nd"], gather_nd),
        (&["scatter_nd"], scatter_nd),
        (&["nn.embedding_lookup"], embedding_lookup),
        (&["reverse"], reverse),
        (&["boolean_mask"], boolean_mask),
    ]
}
