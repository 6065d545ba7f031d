//! Reductions, arg-reductions, scans, `top_k`, `sort` and `moments`.

use super::args::{r, t, Params};
use super::Entry;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Value};
use crate::interp::Interp;
use tensile::ops::{array, math, reduce};
use tensile::{DType, Tensor};

type Out = PyResult<Value>;

macro_rules! reduction {
    ($($fname:ident : $tf:literal => $op:path;)*) => {$(
        fn $fname(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
            let p = Params::bind($tf, &["input_tensor", "axis", "keepdims", "name"], a)?;
            let x = p.tensor("input_tensor")?;
            let axis = p.ints("axis")?;
            Ok(t(r($op(&x, axis.as_deref(), p.bool("keepdims", false)?))?))
        }
    )*};
}

reduction! {
    reduce_sum: "reduce_sum" => reduce::reduce_sum;
    reduce_mean: "reduce_mean" => reduce::reduce_mean;
    reduce_max: "reduce_max" => reduce::reduce_max;
    reduce_min: "reduce_min" => reduce::reduce_min;
    reduce_prod: "reduce_prod" => reduce::reduce_prod;
    reduce_all: "reduce_all" => reduce::reduce_all;
    reduce_any: "reduce_any" => reduce::reduce_any;
    reduce_logsumexp: "reduce_logsumexp" => reduce::reduce_logsumexp;
    reduce_variance: "reduce_variance" => reduce::reduce_variance;
    reduce_std: "reduce_std" => reduce::reduce_std;
}

fn arg(a: Args, func: &'static str, f: fn(&Tensor, i64, DType) -> tensile::Result<Tensor>) -> Out {
    let p = Params::bind(func, &["input", "axis", "output_type", "name"], a)?;
    let x = p.tensor("input")?;
    let out = p.dtype("output_type")?.unwrap_or(DType::I64);
    Ok(t(r(f(&x, p.int("axis", 0)?, out))?))
}

fn argmax(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    arg(a, "argmax", reduce::argmax_with_type)
}

fn argmin(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    arg(a, "argmin", reduce::argmin_with_type)
}

fn scan(a: Args, func: &'static str, f: fn(&Tensor, i64, bool, bool) -> tensile::Result<Tensor>) -> Out {
    let p = Params::bind(func, &["x", "axis", "exclusive", "reverse", "name"], a)?;
    let x = p.tensor("x")?;
    Ok(t(r(f(&x, p.int("axis", 0)?, p.bool("exclusive", false)?, p.bool("reverse", false)?))?))
}

fn cumsum(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    scan(a, "cumsum", reduce::cumsum)
}

fn cumprod(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    scan(a, "cumprod", reduce::cumprod)
}

/// `tf.math.top_k(input, k=1, sorted=True, index_type=tf.int32, name=None)`: a `TopKV2`
/// pair `(values, indices)`.
fn top_k(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("top_k", &["input", "k", "sorted", "index_type", "name"], a)?;
    let x = p.tensor("input")?;
    let (values, indices) = match p.get("k") {
        Some(Value::Tensor(k)) if k.is_symbolic() => r(reduce::top_k_dynamic(&x, &k, p.bool("sorted", true)?))?,
        _ => r(reduce::top_k(&x, p.int("k", 1)?, p.bool("sorted", true)?))?,
    };
    let indices = match p.dtype("index_type")? {
        Some(d) if d != indices.dtype() => r(math::cast(&indices, d))?,
        _ => indices,
    };
    Ok(super::attrs::named_tuple("TopKV2", &["values", "indices"], vec![t(values), t(indices)]))
}

/// Moves `axis` of `x` last (and back): the permutation and its rank.
fn axis_last(func: &str, x: &Tensor, axis: i64) -> PyResult<Option<Vec<i64>>> {
    let rank = x.rank() as i64;
    let ax = if axis < 0 { axis + rank } else { axis };
    if ax < 0 || ax >= rank {
        return Err(raise(
            "InvalidArgumentError",
            format!("{func}: axis {axis} is out of range for a tensor of rank {rank}"),
        ));
    }
    if ax == rank - 1 {
        return Ok(None);
    }
    let mut perm: Vec<i64> = (0..rank).filter(|&d| d != ax).collect();
    perm.push(ax);
    Ok(Some(perm))
}

fn inverse(perm: &[i64]) -> Vec<i64> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p as usize] = i as i64;
    }
    inv
}

/// Sorted values or their indices along `axis`, by `top_k` over all elements as TF does;
/// ascending order sorts the negated values.
fn sort_impl(a: Args, func: &'static str, indices: bool) -> Out {
    let names: &'static [&'static str] = if indices {
        &["values", "axis", "direction", "stable", "name"]
    } else {
        &["values", "axis", "direction", "name"]
    };
    let p = Params::bind(func, names, a)?;
    let x = p.tensor("values")?;
    let direction = p.str("direction", "ASCENDING")?;
    let ascending = match direction.as_str() {
        "ASCENDING" => true,
        "DESCENDING" => false,
        other => {
            return Err(raise("ValueError", format!("{func}: direction must be ASCENDING or DESCENDING, got {other}")))
        }
    };
    if x.rank() == 0 {
        return Err(raise("ValueError", format!("{func}: the input must have rank >= 1, got a scalar")));
    }
    let perm = axis_last(func, &x, p.int("axis", -1)?)?;
    let moved = match &perm {
        Some(pm) => r(array::transpose(&x, Some(pm)))?,
        None => x.clone(),
    };
    let n = *moved.shape().last().unwrap_or(&0) as i64;
    let key = if ascending { r(math::neg(&moved))? } else { moved };
    let (vals, idx) = r(reduce::top_k(&key, n, true))?;
    let out = if indices {
        idx
    } else if ascending {
        r(math::neg(&vals))?
    } else {
        vals
    };
    Ok(t(match &perm {
        Some(pm) => r(array::transpose(&out, Some(&inverse(pm))))?,
        None => out,
    }))
}

fn sort(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    sort_impl(a, "sort", false)
}

fn argsort(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    sort_impl(a, "argsort", true)
}

/// `tf.nn.moments(x, axes, shift=None, keepdims=False, name=None)`: `(mean, variance)`.
fn moments(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("moments", &["x", "axes", "shift", "keepdims", "name"], a)?;
    let x = p.tensor("x")?;
    let (m, v) = r(reduce::moments(&x, &p.req_ints("axes")?, p.bool("keepdims", false)?))?;
    Ok(Value::tuple(vec![t(m), t(v)]))
}

/// `tf.math.reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None)`.
fn reduce_euclidean_norm(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("reduce_euclidean_norm", &["input_tensor", "axis", "keepdims", "name"], a)?;
    let x = p.tensor("input_tensor")?;
    let axis = p.ints("axis")?;
    let s = r(reduce::reduce_sum(&r(math::square(&x))?, axis.as_deref(), p.bool("keepdims", false)?))?;
    Ok(t(r(math::sqrt(&s))?))
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![
        (&["reduce_sum", "math.reduce_sum"], reduce_sum),
        (&["reduce_mean", "math.reduce_mean"], reduce_mean),
        (&["reduce_max", "math.reduce_max"], reduce_max),
        (&["reduce_min", "math.reduce_min"], reduce_min),
        (&["reduce_prod", "math.reduce_prod"], reduce_prod),
        (&["reduce_all", "math.reduce_all"], reduce_all),
        (&["reduce_any", "math.reduce_any"], reduce_any),
        (&["reduce_logsumexp", "math.reduce_logsumexp"], reduce_logsumexp),
        (&["math.reduce_variance"], reduce_variance),
        (&["math.reduce_std"], reduce_std),
        (&["math.reduce_euclidean_norm"], reduce_euclidean_norm),
        (&["argmax", "math.argmax"], argmax),
        (&["argmin", "math.argmin"], argmin),
        (&["cumsum", "math.cumsum"], cumsum),
        (&["math.cumprod"], cumprod),
        (&["math.top_k", "nn.top_k"], top_k),
        (&["sort"], sort),
        (&["argsort"], argsort),
        (&["nn.moments"], moments),
    ]
}
