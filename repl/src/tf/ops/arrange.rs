//! Ops that reorder, repeat or deduplicate elements: `tf.roll`, `tf.repeat`, `tf.unique`,
//! `tf.unique_with_counts`.

use super::args::{ints_of, r, t, Params};
use super::attrs::named_tuple;
use super::Entry;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Value};
use crate::interp::Interp;
use tensile::ops::{array, rearrange, unique};
use tensile::DType;

type Out = PyResult<Value>;

/// `tf.roll(input, shift, axis, name=None)`.
fn roll(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("roll", &["input", "shift", "axis", "name"], a)?;
    let x = p.tensor("input")?;
    let shift = ints_of(&p.req("shift")?)?;
    let axis = ints_of(&p.req("axis")?)?;
    Ok(t(r(rearrange::roll(&x, &shift, &axis))?))
}

/// `tf.repeat(input, repeats, axis=None, name=None)`: without an axis the input is flattened.
fn repeat(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("repeat", &["input", "repeats", "axis", "name"], a)?;
    let x = p.tensor("input")?;
    let repeats = ints_of(&p.req("repeats")?)?;
    Ok(t(match p.opt_int("axis")? {
        None => r(rearrange::repeat_flat(&x, &repeats))?,
        // A scalar is repeated as a vector of one element.
        Some(axis) if x.rank() == 0 => r(rearrange::repeat(&r(array::reshape(&x, &[1]))?, &repeats, axis))?,
        Some(axis) => r(rearrange::repeat(&x, &repeats, axis))?,
    }))
}

fn out_idx(p: &Params) -> PyResult<DType> {
    match p.dtype("out_idx")?.unwrap_or(DType::I32) {
        d @ (DType::I32 | DType::I64) => Ok(d),
        d => Err(raise("TypeError", format!("{}: out_idx must be tf.int32 or tf.int64, got {d}", p.func()))),
    }
}

/// `tf.unique(x, out_idx=tf.int32, name=None)`: a `Unique(y, idx)` named tuple.
fn unique_(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("unique", &["x", "out_idx", "name"], a)?;
    let (y, idx) = r(unique::unique(&p.tensor("x")?, out_idx(&p)?))?;
    Ok(named_tuple("Unique", &["y", "idx"], vec![t(y), t(idx)]))
}

/// `tf.unique_with_counts(x, out_idx=tf.int32, name=None)`: a `UniqueWithCounts(y, idx, count)`
/// named tuple.
fn unique_with_counts(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("unique_with_counts", &["x", "out_idx", "name"], a)?;
    let (y, idx, count) = r(unique::unique_with_counts(&p.tensor("x")?, out_idx(&p)?))?;
    Ok(named_tuple("UniqueWithCounts", &["y", "idx", "count"], vec![t(y), t(idx), t(count)]))
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![
        (&["roll"], roll),
        (&["repeat"], repeat),
        (&["unique"], unique_),
        (&["unique_with_counts"], unique_with_counts),
    ]
}
