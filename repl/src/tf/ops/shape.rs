//! `tf.TensorShape`: a class whose methods are native, so `len`, indexing, iteration, `==`
//! and printing go through the interpreter's ordinary protocols. Unknown dimensions (while
//! tracing) are `None`; an unknown rank is a shape whose dims are `None`.

use super::args::{int_of, r};
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Builtin, Class, Instance, NativeFn, Value};
use crate::interp::Interp;
use std::cell::RefCell;
use std::rc::Rc;
use tensile::Tensor;

/// Dimensions of a shape: `None` for an unknown rank, `None` entries for unknown sizes.
pub type Dims = Option<Vec<Option<i64>>>;

thread_local! {
    static CLASS: RefCell<Option<Rc<Class>>> = const { RefCell::new(None) };
}

/// The `TensorShape` class (one per thread, so `isinstance` and `type` agree everywhere).
pub fn class() -> Rc<Class> {
    CLASS.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| {
                let methods: &[(&'static str, NativeFn)] = &[
                    ("__init__", init),
                    ("__repr__", repr),
                    ("__str__", str),
                    ("__len__", len),
                    ("__getitem__", get_item),
                    ("__iter__", iter),
                    ("__eq__", eq),
                    ("__ne__", ne),
                    ("as_list", as_list),
                    ("num_elements", num_elements),
                    ("is_fully_defined", is_fully_defined),
                    ("concatenate", concatenate),
                    ("__add__", concatenate),
                    ("__radd__", radd),
                ];
                let dict = methods
                    .iter()
                    .map(|(n, f)| ((*n).into(), Value::Builtin(Rc::new(Builtin { name: n, f: *f, bound: None }))))
                    .collect();
                Rc::new(Class { name: "TensorShape".into(), base: None, dict: RefCell::new(dict) })
            })
            .clone()
    })
}

/// A new `TensorShape` value.
pub fn new_shape(dims: Dims) -> Value {
    let inst = Rc::new(Instance { class: class(), dict: RefCell::new(Default::default()) });
    set_dims(&inst, dims);
    Value::Instance(inst)
}

fn dim_value(d: Option<i64>) -> Value {
    d.map_or(Value::None, Value::Int)
}

fn set_dims(inst: &Instance, dims: Dims) {
    let mut d = inst.dict.borrow_mut();
    match &dims {
        Some(v) => {
            let items: Vec<Value> = v.iter().map(|x| dim_value(*x)).collect();
            d.insert("_dims".into(), Value::tuple(items));
            d.insert("rank".into(), Value::Int(v.len() as i64));
            d.insert("ndims".into(), Value::Int(v.len() as i64));
        }
        None => {
            for k in ["_dims", "rank", "ndims"] {
                d.insert(k.into(), Value::None);
            }
        }
    }
}

/// The shape of a tensor as TF reports it (`None` where unknown while tracing).
pub fn of_tensor(t: &Tensor) -> Value {
    new_shape(Some(t.dims().iter().map(|d| d.map(|n| n as i64)).collect()))
}

/// The dims of a `TensorShape` value, or `None` when `v` is not one.
pub fn dims_of(v: &Value) -> Option<Dims> {
    let Value::Instance(i) = v else { return None };
    if !Rc::ptr_eq(&i.class, &class()) {
        return None;
    }
    let d = i.dict.borrow();
    Some(match d.get("_dims") {
        Some(Value::Tuple(t)) => Some(t.iter().map(|x| if let Value::Int(n) = x { Some(*n) } else { None }).collect()),
        _ => None,
    })
}

/// Splits the receiver off a method call (bound through an attribute, or first positional
/// when called as a dunder).
fn recv(this: Option<&Value>, mut a: Args) -> PyResult<(Dims, Args)> {
    let v = match this {
        Some(v) => v.clone(),
        None if !a.pos.is_empty() => a.pos.remove(0),
        None => return Err(raise("TypeError", "TensorShape method called without a shape")),
    };
    let d = dims_of(&v).ok_or_else(|| raise("TypeError", format!("expected a TensorShape, got {}", v.type_name())))?;
    Ok((d, a))
}

/// Dims from anything `tf.TensorShape(...)` accepts: a shape, a list/tuple of ints and
/// `None`s, an int (rank 1), or `None` (unknown rank).
pub fn as_dims(v: &Value) -> PyResult<Dims> {
    if let Some(d) = dims_of(v) {
        return Ok(d);
    }
    let items = match v {
        Value::None => return Ok(None),
        Value::Int(n) => return Ok(Some(vec![Some(*n)])),
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        Value::Tensor(t) | Value::Array(t) if !t.is_symbolic() && t.dtype().is_int() && t.rank() <= 1 => {
            return Ok(Some(t.to_f64_vec().into_iter().map(|x| Some(x as i64)).collect()))
        }
        other => return Err(raise("TypeError", format!("Cannot convert {} to a TensorShape", other.type_name()))),
    };
    items
        .iter()
        .map(|x| match x {
            Value::None => Ok(None),
            x => int_of("TensorShape", "dimension", x).map(Some),
        })
        .collect::<PyResult<Vec<_>>>()
        .map(Some)
}

fn init(_: &mut Interp, this: Option<&Value>, mut a: Args) -> PyResult<Value> {
    let inst = match this {
        Some(v) => v.clone(),
        None if !a.pos.is_empty() => a.pos.remove(0),
        None => return Err(raise("TypeError", "TensorShape.__init__ needs an instance")),
    };
    a.check("TensorShape", 1, &["dims"])?;
    let dims = as_dims(&a.get(0, "dims").unwrap_or(Value::None))?;
    if let Value::Instance(i) = &inst {
        set_dims(i, dims);
    }
    Ok(Value::None)
}

fn dim_text(d: Option<i64>) -> String {
    d.map_or("None".into(), |n| n.to_string())
}

fn repr(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, _) = recv(this, a)?;
    Ok(Value::str(&match d {
        None => "TensorShape(None)".into(),
        Some(v) => format!("TensorShape([{}])", v.iter().map(|x| dim_text(*x)).collect::<Vec<_>>().join(", ")),
    }))
}

fn str(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, _) = recv(this, a)?;
    Ok(Value::str(&match d {
        None => "<unknown>".into(),
        Some(v) if v.len() == 1 => format!("({},)", dim_text(v[0])),
        Some(v) => format!("({})", v.iter().map(|x| dim_text(*x)).collect::<Vec<_>>().join(", ")),
    }))
}

fn known(d: Dims, what: &str) -> PyResult<Vec<Option<i64>>> {
    d.ok_or_else(|| raise("ValueError", format!("{what} is not defined on an unknown TensorShape.")))
}

fn len(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, _) = recv(this, a)?;
    Ok(Value::Int(known(d, "len")?.len() as i64))
}

fn get_item(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, a) = recv(this, a)?;
    let key = a.pos.first().cloned().unwrap_or(Value::None);
    let Some(v) = d else {
        // An unknown rank: every element is unknown, and so is every slice.
        return Ok(match key {
            Value::Slice(_) => new_shape(None),
            _ => Value::None,
        });
    };
    let n = v.len() as i64;
    match key {
        Value::Int(i) => {
            let k = if i < 0 { i + n } else { i };
            if k < 0 || k >= n {
                return Err(raise("IndexError", "list index out of range"));
            }
            Ok(dim_value(v[k as usize]))
        }
        Value::Slice(s) => {
            let idx = |x: &Value| match x {
                Value::None => Ok(None),
                x => int_of("TensorShape", "slice index", x).map(Some),
            };
            let step = idx(&s[2])?.unwrap_or(1);
            if step == 0 {
                return Err(raise("ValueError", "slice step cannot be zero"));
            }
            let clamp = |x: i64, lo: i64, hi: i64| {
                let x = if x < 0 { x + n } else { x };
                x.clamp(lo, hi)
            };
            let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
            let start = idx(&s[0])?.map_or(if step > 0 { 0 } else { n - 1 }, |x| clamp(x, lo, hi));
            let stop = idx(&s[1])?.map_or(if step > 0 { n } else { -1 }, |x| clamp(x, lo, hi));
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i < stop) || (step < 0 && i > stop) {
                out.push(v[i as usize]);
                i += step;
            }
            Ok(new_shape(Some(out)))
        }
        other => Err(raise("TypeError", format!("list indices must be integers or slices, not {}", other.type_name()))),
    }
}

fn iter(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, _) = recv(this, a)?;
    let items: Vec<Value> = known(d, "iter")?.into_iter().map(dim_value).collect();
    Ok(Value::Iter(Rc::new(RefCell::new(crate::interp::value::Iter::Seq(Rc::new(items), 0)))))
}

fn eq(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, a) = recv(this, a)?;
    let other = a.pos.first().cloned().unwrap_or(Value::None);
    Ok(Value::Bool(match as_dims(&other) {
        Ok(o) => d == o,
        Err(_) => false,
    }))
}

fn ne(it: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = eq(it, this, a)?;
    Ok(Value::Bool(!matches!(v, Value::Bool(true))))
}

fn as_list(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, _) = recv(this, a)?;
    let v = d.ok_or_else(|| raise("ValueError", "as_list() is not defined on an unknown TensorShape."))?;
    Ok(Value::list(v.into_iter().map(dim_value).collect()))
}

fn num_elements(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, _) = recv(this, a)?;
    Ok(match d {
        Some(v) if v.iter().all(Option::is_some) => Value::Int(v.into_iter().flatten().product()),
        _ => Value::None,
    })
}

fn is_fully_defined(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, _) = recv(this, a)?;
    Ok(Value::Bool(d.is_some_and(|v| v.iter().all(Option::is_some))))
}

fn concatenate(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, a) = recv(this, a)?;
    let other = as_dims(&a.pos.first().cloned().unwrap_or(Value::None))?;
    Ok(new_shape(match (d, other) {
        (Some(mut x), Some(y)) => {
            x.extend(y);
            Some(x)
        }
        _ => None,
    }))
}

fn radd(_: &mut Interp, this: Option<&Value>, a: Args) -> PyResult<Value> {
    let (d, a) = recv(this, a)?;
    let other = as_dims(&a.pos.first().cloned().unwrap_or(Value::None))?;
    Ok(new_shape(match (other, d) {
        (Some(mut x), Some(y)) => {
            x.extend(y);
            Some(x)
        }
        _ => None,
    }))
}

/// `tf.shape(input, out_type=tf.int32, name=None)`: the dynamic shape as a 1-D tensor.
pub fn tf_shape(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = super::args::Params::bind("shape", &["input", "out_type", "name"], a)?;
    let x = p.tensor("input")?;
    let s = r(tensile::ops::array::shape(&x))?;
    Ok(Value::Tensor(match p.dtype("out_type")? {
        Some(d) if d != s.dtype() => r(tensile::ops::math::cast(&s, d))?,
        _ => s,
    }))
}
