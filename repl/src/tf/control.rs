//! `tf.cond`, `tf.while_loop`, `tf.switch_case` and `tf.TensorArray`, bound to the engine's
//! control flow (which runs eagerly, or builds graph nodes while a function is traced).
//!
//! The engine's branch and body closures cannot take the interpreter as an argument, so one
//! [`Shared`] lends it to them through a `RefCell` (the engine calls them one at a time). A
//! Python exception raised inside a branch travels through the engine as a placeholder error
//! and is re-raised unchanged, traceback included, once the engine call returns.

use super::{bound, dtype_arg, r, to_tensor};
use crate::interp::exceptions::{engine_error, raise, Ctrl, PyResult};
use crate::interp::value::{Args, Dict, Key, NativeModule, NativeObject, Value};
use crate::interp::Interp;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use tensile::control_flow::{self as cf, ArrayIndex, Nest, Structure, TensorArray, WhileOptions};
use tensile::shape::Dims;
use tensile::{DType, Tensor};

/// Adds the control-flow members to the `tf` module table.
pub fn register(m: &NativeModule) {
    m.add_fn("cond", cond);
    m.add_fn("while_loop", while_loop);
    m.add_fn("switch_case", switch_case);
    m.add_fn("TensorArray", new_tensor_array);
}

/// The interpreter lent to engine closures, and the first Python exception they raised.
pub struct Shared<'a> {
    interp: RefCell<&'a mut Interp>,
    error: RefCell<Option<Ctrl>>,
}

impl<'a> Shared<'a> {
    /// Lends `interp` to closures until [`Shared::finish`].
    pub fn new(interp: &'a mut Interp) -> Shared<'a> {
        Shared { interp: RefCell::new(interp), error: RefCell::new(None) }
    }

    /// Runs `f` with the interpreter; a Python exception (or other non-local exit) is kept
    /// aside and the engine sees a placeholder error that unwinds it.
    pub fn run<T>(&self, f: impl FnOnce(&mut Interp) -> PyResult<T>) -> tensile::Result<T> {
        let result = {
            let mut guard = self.interp.borrow_mut();
            f(&mut guard)
        };
        result.map_err(|c| {
            let mut slot = self.error.borrow_mut();
            if slot.is_none() {
                *slot = Some(c);
            }
            tensile::Error::invalid("control flow", "a Python exception was raised in a branch or loop body")
        })
    }

    /// Turns the engine's result back into the language's: the kept exception if there is one.
    pub fn finish<T>(&self, result: tensile::Result<T>) -> PyResult<T> {
        result.map_err(|e| self.error.borrow_mut().take().unwrap_or_else(|| engine_error(e)))
    }

    /// Gives the interpreter back (the closures that borrowed it must be gone).
    pub fn into_inner(self) -> &'a mut Interp {
        self.interp.into_inner()
    }

    /// The interpreter, between engine calls.
    pub fn with<T>(&self, f: impl FnOnce(&mut Interp) -> T) -> T {
        let mut guard = self.interp.borrow_mut();
        f(&mut guard)
    }
}

/// A language value crossing the engine's control flow: a nested structure of tensors and
/// TensorArrays (validated by [`normalize`] before it reaches the engine while tracing).
pub struct PyNest(pub Value);

impl Nest for PyNest {
    fn to_structure(&self) -> Structure {
        // Values reaching the engine were normalized; anything else flattens to nothing.
        to_structure(&self.0).unwrap_or(Structure::Tuple(Vec::new()))
    }
    fn from_structure(s: Structure) -> tensile::Result<Self> {
        Ok(PyNest(from_structure(s)))
    }
}

/// The script object wrapping an engine `TensorArray`.
pub struct ArrayObj(pub TensorArray);

impl NativeObject for ArrayObj {
    fn type_name(&self) -> &str {
        "TensorArray"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "write" => bound(this, "write", ta_write),
            "read" => bound(this, "read", ta_read),
            "stack" => bound(this, "stack", |_, t, a| {
                a.check("stack", 0, &["name"])?;
                Ok(Value::Tensor(r(array_of(t)?.stack())?))
            }),
            "concat" => bound(this, "concat", |_, t, a| {
                a.check("concat", 0, &["name"])?;
                Ok(Value::Tensor(r(array_of(t)?.concat())?))
            }),
            "gather" => bound(this, "gather", ta_gather),
            "unstack" => bound(this, "unstack", ta_unstack),
            "scatter" => bound(this, "scatter", ta_scatter),
            "size" => bound(this, "size", |_, t, _| Ok(Value::Tensor(r(array_of(t)?.size())?))),
            "dtype" => Value::DType(self.0.dtype()),
            "dynamic_size" => Value::Bool(self.0.dynamic_size()),
            "element_shape" => match self.0.element_shape() {
                Some(d) => Value::tuple(d.iter().map(|x| x.map_or(Value::None, |n| Value::Int(n as i64))).collect()),
                None => Value::None,
            },
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        "<tensorflow.python.ops.tensor_array_ops.TensorArray object>".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn array_of(v: Option<&Value>) -> PyResult<TensorArray> {
    match v {
        Some(Value::Native(n)) => match n.as_any().downcast_ref::<ArrayObj>() {
            Some(a) => Ok(a.0.clone()),
            None => Err(raise("TypeError", "not a TensorArray")),
        },
        _ => Err(raise("TypeError", "not a TensorArray")),
    }
}

/// The engine array inside a script value, if it is one.
pub fn as_array(v: &Value) -> Option<TensorArray> {
    match v {
        Value::Native(n) => n.as_any().downcast_ref::<ArrayObj>().map(|a| a.0.clone()),
        _ => None,
    }
}

/// The script value wrapping a TensorArray.
pub fn array_value(ta: TensorArray) -> Value {
    Value::Native(Rc::new(ArrayObj(ta)))
}

fn index_arg(v: &Value, what: &str) -> PyResult<ArrayIndex> {
    match v {
        Value::Int(i) => Ok(ArrayIndex::Int(*i)),
        Value::Bool(_) => Err(raise("TypeError", format!("{what} must be an integer, got bool"))),
        Value::Tensor(t) => Ok(ArrayIndex::Tensor(t.clone())),
        Value::Variable(v) => Ok(ArrayIndex::Tensor(v.read_value())),
        other => {
            Err(raise("TypeError", format!("{what} must be an integer or an int tensor, got {}", other.type_name())))
        }
    }
}

fn ta_write(_: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("write", 3, &["index", "value", "name"])?;
    let ta = array_of(t)?;
    let index = index_arg(&a.req(0, "index", "write")?, "index")?;
    let value = to_tensor(&a.req(1, "value", "write")?, Some(ta.dtype()))?;
    Ok(array_value(r(ta.write(index, &value))?))
}

fn ta_read(_: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("read", 2, &["index", "name"])?;
    let index = index_arg(&a.req(0, "index", "read")?, "index")?;
    Ok(Value::Tensor(r(array_of(t)?.read(index))?))
}

fn usize_list(v: &Value, what: &str) -> PyResult<Vec<usize>> {
    super::convert::int_list(v)?
        .into_iter()
        .map(|i| {
            usize::try_from(i)
                .map_err(|_| raise("InvalidArgumentError", format!("TensorArray.{what}: index {i} is negative")))
        })
        .collect()
}

fn ta_gather(_: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("gather", 2, &["indices", "name"])?;
    let indices = a.req(0, "indices", "gather")?;
    if let Value::Tensor(t_idx) = &indices {
        if t_idx.is_symbolic() {
            return Ok(Value::Tensor(r(array_of(t)?.gather_at(t_idx))?));
        }
    }
    let idx = usize_list(&indices, "gather")?;
    Ok(Value::Tensor(r(array_of(t)?.gather(&idx))?))
}

fn ta_unstack(_: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("unstack", 2, &["value", "name"])?;
    let ta = array_of(t)?;
    let value = to_tensor(&a.req(0, "value", "unstack")?, Some(ta.dtype()))?;
    Ok(array_value(r(ta.unstack(&value))?))
}

fn ta_scatter(_: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("scatter", 3, &["indices", "value", "name"])?;
    let ta = array_of(t)?;
    let indices = a.req(0, "indices", "scatter")?;
    let value = to_tensor(&a.req(1, "value", "scatter")?, Some(ta.dtype()))?;
    if let Value::Tensor(t_idx) = &indices {
        if t_idx.is_symbolic() {
            return Ok(array_value(r(ta.scatter_at(t_idx, &value))?));
        }
    }
    let idx = usize_list(&indices, "scatter")?;
    Ok(array_value(r(ta.scatter(&idx, &value))?))
}

fn eager_int(v: &Value, what: &str) -> PyResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Tensor(t) if !t.is_symbolic() && t.dtype().is_int() && t.rank() == 0 => {
            Ok(t.to_f64_vec().first().copied().unwrap_or(0.0) as i64)
        }
        Value::Tensor(t) if t.is_symbolic() => {
            Err(raise("TypeError", format!("{what} must be known while tracing (a Python int or an eager tensor)")))
        }
        other => Err(raise("TypeError", format!("{what} must be an integer, got {}", other.type_name()))),
    }
}

/// Dims from a shape value: a list/tuple of ints and `None`s.
fn dims_arg(v: &Value, what: &str) -> PyResult<Dims> {
    let items = match v {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        other => {
            return Err(raise("TypeError", format!("{what} must be a list of dimensions, got {}", other.type_name())))
        }
    };
    items
        .iter()
        .map(|d| match d {
            Value::None => Ok(None),
            Value::Int(n) if *n >= 0 => Ok(Some(*n as usize)),
            other => Err(raise(
                "TypeError",
                format!("{what}: dimensions must be non-negative ints or None, got {}", other.type_name()),
            )),
        })
        .collect()
}

fn new_tensor_array(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check(
        "TensorArray",
        11,
        &[
            "dtype",
            "size",
            "dynamic_size",
            "clear_after_read",
            "tensor_array_name",
            "handle",
            "flow",
            "infer_shape",
            "element_shape",
            "colocate_with_first_write_call",
            "name",
        ],
    )?;
    let dtype =
        dtype_arg(&a, 0)?.ok_or_else(|| raise("TypeError", "TensorArray() missing required argument: 'dtype'"))?;
    let flag = |i: usize, name: &str, default: bool| match a.get(i, name) {
        None | Some(Value::None) => Ok(default),
        Some(Value::Bool(b)) => Ok(b),
        Some(other) => Err(raise("TypeError", format!("TensorArray {name} must be a bool, got {}", other.type_name()))),
    };
    let dynamic = flag(2, "dynamic_size", false)?;
    let ta = match a.get(1, "size") {
        None | Some(Value::None) => TensorArray::new(dtype, 0, dynamic),
        // Known only when the traced function runs (`size=tf.shape(x)[0]`).
        Some(Value::Tensor(t)) if t.is_symbolic() => r(TensorArray::with_size(dtype, &t, dynamic))?,
        Some(v) => {
            let size = eager_int(&v, "TensorArray size")?;
            let size = usize::try_from(size)
                .map_err(|_| raise("ValueError", format!("TensorArray size must be >= 0, got {size}")))?;
            TensorArray::new(dtype, size, dynamic)
        }
    };
    let mut ta =
        ta.with_clear_after_read(flag(3, "clear_after_read", true)?).with_infer_shape(flag(7, "infer_shape", true)?);
    if let Some(s) = a.get(8, "element_shape").filter(|v| !v.is_none()) {
        ta = ta.with_element_shape(&dims_arg(&s, "element_shape")?);
    }
    Ok(array_value(ta))
}

// ----- nested structures -----

/// A value as the engine sees it: Python numbers become tensors (TF's defaults), variables
/// their current value; anything that is not a tensor, TensorArray, list, tuple or str-keyed
/// dict is a `TypeError` naming `what`.
pub fn normalize(v: &Value, what: &str) -> PyResult<Value> {
    Ok(match v {
        Value::Tensor(_) => v.clone(),
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Variable(_) | Value::Array(_) => {
            Value::Tensor(to_tensor(v, None)?)
        }
        Value::List(l) => {
            let items = l.borrow().clone();
            Value::list(items.iter().map(|x| normalize(x, what)).collect::<PyResult<_>>()?)
        }
        Value::Tuple(t) => Value::tuple(t.iter().map(|x| normalize(x, what)).collect::<PyResult<_>>()?),
        Value::Dict(d) => {
            let mut out = Dict::default();
            for (k, (kv, x)) in d.borrow().iter() {
                if !matches!(kv, Value::Str(_)) {
                    return Err(raise(
                        "TypeError",
                        format!("{what}: dict keys must be strings, got {}", kv.type_name()),
                    ));
                }
                out.insert(k.clone(), (kv.clone(), normalize(x, what)?));
            }
            Value::Dict(Rc::new(RefCell::new(out)))
        }
        _ if as_array(v).is_some() => v.clone(),
        other => {
            return Err(raise(
                "TypeError",
                format!(
                    "{what} must be a tensor or a nested structure (list, tuple, dict) of tensors, got {}",
                    other.type_name()
                ),
            ))
        }
    })
}

/// The engine structure of a normalized value.
pub fn to_structure(v: &Value) -> PyResult<Structure> {
    Ok(match v {
        Value::Tensor(t) => Structure::Tensor(t.clone()),
        Value::List(l) => Structure::List(l.borrow().iter().map(to_structure).collect::<PyResult<_>>()?),
        Value::Tuple(t) => Structure::Tuple(t.iter().map(to_structure).collect::<PyResult<_>>()?),
        Value::Dict(d) => {
            let mut m = BTreeMap::new();
            for (_, (k, x)) in d.borrow().iter() {
                let Value::Str(k) = k else { return Err(raise("TypeError", "dict keys must be strings")) };
                m.insert(k.to_string(), to_structure(x)?);
            }
            Structure::Dict(m)
        }
        other => match as_array(other) {
            Some(ta) => ta.to_structure(),
            None => {
                return Err(raise("TypeError", format!("cannot use a {} as a tensor structure", other.type_name())))
            }
        },
    })
}

/// The language value of an engine structure (dicts in sorted key order).
pub fn from_structure(s: Structure) -> Value {
    match s {
        Structure::Tensor(t) => Value::Tensor(t),
        Structure::List(v) => Value::list(v.into_iter().map(from_structure).collect()),
        Structure::Tuple(v) => Value::tuple(v.into_iter().map(from_structure).collect()),
        Structure::Dict(m) => {
            let mut d = Dict::default();
            for (k, x) in m {
                let key: Rc<str> = k.as_str().into();
                d.insert(Key::Str(key.clone()), (Value::Str(key), from_structure(x)));
            }
            Value::Dict(Rc::new(RefCell::new(d)))
        }
        Structure::TensorArray(ta) => array_value(*ta),
    }
}

/// `v` with its dicts' keys in `like`'s order (engine structures sort them).
pub fn reorder_like(v: Value, like: &Value) -> Value {
    match (&v, like) {
        (Value::List(a), Value::List(b)) if a.borrow().len() == b.borrow().len() => {
            let items: Vec<Value> =
                a.borrow().iter().zip(b.borrow().iter()).map(|(x, y)| reorder_like(x.clone(), y)).collect();
            Value::list(items)
        }
        (Value::Tuple(a), Value::Tuple(b)) if a.len() == b.len() => {
            Value::tuple(a.iter().zip(b.iter()).map(|(x, y)| reorder_like(x.clone(), y)).collect())
        }
        (Value::Dict(a), Value::Dict(b)) => {
            let a = a.borrow();
            let mut d = Dict::default();
            for (k, _) in b.borrow().iter() {
                if let Some((kv, x)) = a.get(k) {
                    let y = b.borrow().get(k).map(|p| p.1.clone()).unwrap_or(Value::None);
                    d.insert(k.clone(), (kv.clone(), reorder_like(x.clone(), &y)));
                }
            }
            for (k, e) in a.iter() {
                if !d.contains_key(k) {
                    d.insert(k.clone(), e.clone());
                }
            }
            Value::Dict(Rc::new(RefCell::new(d)))
        }
        _ => v,
    }
}

fn check_callable(it: &mut Interp, v: &Value, what: &str) -> PyResult<()> {
    let callable = it.get_attr(v, "__call__").is_ok()
        || matches!(v, Value::Function(_) | Value::Builtin(_) | Value::Method(_) | Value::Class(_));
    if callable {
        Ok(())
    } else {
        Err(raise("TypeError", format!("'{what}' must be callable.")))
    }
}

/// Calls a branch function; inside a trace its result must be a structure of tensors.
fn call_branch(it: &mut Interp, f: &Value, what: &str) -> PyResult<PyNest> {
    let v = it.call(f, Args::default())?;
    if tensile::function::trace::is_tracing() {
        return Ok(PyNest(normalize(&v, what)?));
    }
    Ok(PyNest(v))
}

fn pred_tensor(v: &Value) -> PyResult<Tensor> {
    let t = to_tensor(v, None)?;
    if t.dtype() != DType::Bool || t.rank() != 0 {
        return Err(raise(
            "TypeError",
            format!(
                "pred must be a scalar bool tensor, got a {} tensor with {} dimensions",
                t.dtype().name(),
                t.rank()
            ),
        ));
    }
    Ok(t)
}

fn cond(it: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("cond", 4, &["pred", "true_fn", "false_fn", "name"])?;
    let pred = pred_tensor(&a.req(0, "pred", "cond")?)?;
    let t = a.req(1, "true_fn", "cond")?;
    let f = a.req(2, "false_fn", "cond")?;
    check_callable(it, &t, "true_fn")?;
    check_callable(it, &f, "false_fn")?;
    let shared = Shared::new(it);
    let template = RefCell::new(None);
    let result = cf::cond(
        &pred,
        || {
            let r = shared.run(|it| call_branch(it, &t, "true_fn's result"))?;
            *template.borrow_mut() = Some(r.0.clone());
            Ok(r)
        },
        || shared.run(|it| call_branch(it, &f, "false_fn's result")),
    );
    let v = shared.finish(result)?.0;
    let v = match template.into_inner() {
        Some(like) => reorder_like(v, &like),
        None => v,
    };
    Ok(v)
}

fn switch_case(it: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("switch_case", 4, &["branch_index", "branch_fns", "default", "name"])?;
    let index = match a.req(0, "branch_index", "switch_case")? {
        Value::Tensor(t) => t,
        Value::Variable(v) => v.read_value(),
        other => {
            return Err(raise(
                "TypeError",
                format!("'branch_index' must be a Tensor, got <class '{}'>", other.type_name()),
            ))
        }
    };
    if !index.dtype().is_int() {
        return Err(raise(
            "TypeError",
            format!("'branch_index' must be an integer Tensor, got {}", index.dtype().name()),
        ));
    }
    let fns = a.req(1, "branch_fns", "switch_case")?;
    let pairs: Vec<(Value, Value)> = match &fns {
        Value::Dict(d) => d.borrow().values().cloned().collect(),
        Value::List(_) | Value::Tuple(_) => {
            let items = it.to_vec(&fns)?;
            let mut pairs = Vec::new();
            let all_callable = items.iter().all(|x| !matches!(x, Value::Tuple(_)));
            for (i, x) in items.into_iter().enumerate() {
                match x {
                    Value::Tuple(p) if !all_callable && p.len() == 2 => pairs.push((p[0].clone(), p[1].clone())),
                    other if all_callable => pairs.push((Value::Int(i as i64), other)),
                    _ => return Err(raise("TypeError", "Each entry in 'branch_fns' must be a 2-tuple.")),
                }
            }
            pairs
        }
        _ => return Err(raise("TypeError", "'branch_fns' must be a list, tuple, or dict")),
    };
    if pairs.is_empty() {
        return Err(raise("ValueError", "Must provide at least one item in 'branch_fns'"));
    }
    let mut keyed = Vec::new();
    for (k, f) in pairs {
        let Value::Int(k) = k else {
            return Err(raise("TypeError", format!("key must be a Python `int`, got <class '{}'>", k.type_name())));
        };
        check_callable(it, &f, &format!("fn for key {k}"))?;
        keyed.push((k, f));
    }
    keyed.sort_by_key(|(k, _)| *k);
    let n = keyed.len() as i64;
    if keyed.first().is_some_and(|(k, _)| *k < 0) || keyed.iter().enumerate().any(|(i, (k, _))| *k != i as i64) {
        let keys: Vec<String> = keyed.iter().map(|(k, _)| k.to_string()).collect();
        return Err(raise(
            "ValueError",
            format!("branch indices (keys) must form contiguous range of [0 to {n}) but found {{{}}}", keys.join(",")),
        ));
    }
    let default = a.get(2, "default").filter(|v| !v.is_none());
    if let Some(d) = &default {
        check_callable(it, d, "default")?;
    }
    let shared = Shared::new(it);
    let template = RefCell::new(None);
    let call = |f: &Value| -> tensile::Result<PyNest> {
        let r = shared.run(|it| call_branch(it, f, "a branch's result"))?;
        if template.borrow().is_none() {
            *template.borrow_mut() = Some(r.0.clone());
        }
        Ok(r)
    };
    let closures: Vec<Box<dyn Fn() -> tensile::Result<PyNest> + '_>> =
        keyed.iter().map(|(_, f)| Box::new(move || call(f)) as Box<dyn Fn() -> tensile::Result<PyNest>>).collect();
    let refs: Vec<&dyn Fn() -> tensile::Result<PyNest>> = closures.iter().map(|b| b.as_ref()).collect();
    let default_fn = default.as_ref().map(|d| Box::new(move || call(d)) as Box<dyn Fn() -> tensile::Result<PyNest>>);
    let result = cf::switch_case(&index, &refs, default_fn.as_deref());
    drop(refs);
    drop(closures);
    drop(default_fn);
    let v = shared.finish(result)?.0;
    let v = match template.into_inner() {
        Some(like) => reorder_like(v, &like),
        None => v,
    };
    Ok(v)
}

/// Per flattened loop variable, its shape invariant, following the loop variables' structure.
fn invariants(loop_vars: &Value, inv: &Value, out: &mut Vec<Option<Dims>>) -> PyResult<()> {
    let seq = |v: &Value| -> Option<Vec<Value>> {
        match v {
            Value::List(l) => Some(l.borrow().clone()),
            Value::Tuple(t) => Some(t.to_vec()),
            _ => None,
        }
    };
    match loop_vars {
        Value::Tensor(_) => {
            out.push(if inv.is_none() { None } else { Some(dims_arg(inv, "shape_invariants")?) });
        }
        Value::List(_) | Value::Tuple(_) => {
            let vars = seq(loop_vars).unwrap_or_default();
            let invs = seq(inv).filter(|i| i.len() == vars.len()).ok_or_else(|| {
                raise("ValueError", "shape_invariants must have the same nested structure as loop_vars")
            })?;
            for (v, i) in vars.iter().zip(&invs) {
                invariants(v, i, out)?;
            }
        }
        Value::Dict(d) => {
            let Value::Dict(i) = inv else {
                return Err(raise("ValueError", "shape_invariants must have the same nested structure as loop_vars"));
            };
            // The engine flattens dicts in sorted key order.
            let mut keys: Vec<(String, Value)> = Vec::new();
            for (k, v) in d.borrow().values() {
                let Value::Str(k) = k else { return Err(raise("TypeError", "dict keys must be strings")) };
                keys.push((k.to_string(), v.clone()));
            }
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in keys {
                let iv = i.borrow().get(&Key::Str(k.as_str().into())).map(|p| p.1.clone());
                let iv =
                    iv.ok_or_else(|| raise("ValueError", format!("shape_invariants has no entry for key '{k}'")))?;
                invariants(&v, &iv, out)?;
            }
        }
        other => {
            if let Some(ta) = as_array(other) {
                let n = ta.to_structure().num_leaves();
                out.extend(std::iter::repeat_n(None, n));
            }
        }
    }
    Ok(())
}

fn seq_items(v: &Value) -> Vec<Value> {
    match v {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        other => vec![other.clone()],
    }
}

/// The loop variables of a body result that is not a list or tuple, as TensorFlow reads it: in
/// a graph a single value is the only loop variable (while_v2 wraps it); eagerly the result is
/// iterated (a tensor by rows), so a scalar or a number is refused.
fn body_result_items(r: &Value, n: usize, has_max: bool) -> PyResult<Vec<Value>> {
    let mismatch = |what: &str| {
        raise(
            "ValueError",
            format!(
                "while_loop: the body's result must have the same nested structure as loop_vars ({n} loop \
                 variable{}), got {what}",
                if n == 1 { "" } else { "s" }
            ),
        )
    };
    if matches!(r, Value::Dict(_)) {
        return Err(mismatch("a dict"));
    }
    if tensile::function::trace::is_tracing() {
        return Ok(vec![r.clone()]);
    }
    if has_max {
        // Eagerly TF pairs the iteration counter with the body's result, which then must be a sequence.
        return Err(mismatch(&format!("a single {}", r.type_name())));
    }
    match r {
        Value::Tensor(t) if t.rank() == 0 => Err(raise(
            "TypeError",
            "while_loop: the body returned a scalar tensor, but loop_vars is a list or tuple; eagerly TensorFlow \
             iterates the result: Cannot iterate over a scalar tensor.",
        )),
        Value::Tensor(t) => {
            let rows = t.dims()[0].unwrap_or(0);
            (0..rows)
                .map(|k| {
                    tensile::ops::indexing::gather(t, &Tensor::from(k as i32), 0, 0)
                        .map(Value::Tensor)
                        .map_err(engine_error)
                })
                .collect()
        }
        other => Err(raise(
            "TypeError",
            format!(
                "while_loop: body must return a list or tuple of {n} loop variable{} (as loop_vars), got {}: \
                 '{}' object is not iterable",
                if n == 1 { "" } else { "s" },
                other.type_name(),
                other.type_name()
            ),
        )),
    }
}

fn while_loop(it: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check(
        "while_loop",
        10,
        &[
            "cond",
            "body",
            "loop_vars",
            "shape_invariants",
            "parallel_iterations",
            "back_prop",
            "swap_memory",
            "maximum_iterations",
            "name",
        ],
    )?;
    let c = a.req(0, "cond", "while_loop")?;
    let b = a.req(1, "body", "while_loop")?;
    check_callable(it, &c, "cond")?;
    check_callable(it, &b, "body")?;
    let given = a.req(2, "loop_vars", "while_loop")?;
    let is_tuple = match &given {
        Value::Tuple(t) if !t.is_empty() => true,
        Value::List(l) if !l.borrow().is_empty() => false,
        Value::List(_) | Value::Tuple(_) | Value::None => {
            return Err(raise("ValueError", "'loop_vars' must be provided."))
        }
        other => {
            return Err(raise(
                "TypeError",
                format!("loop_vars must be a list or tuple of loop variables, got {}", other.type_name()),
            ))
        }
    };
    let loop_vars = normalize(&given, "loop_vars")?;
    let mut options = WhileOptions::default();
    if let Some(m) = a.get(7, "maximum_iterations").filter(|v| !v.is_none()) {
        options.maximum_iterations = Some(eager_int(&m, "maximum_iterations")?);
    }
    if let Some(p) = a.get(4, "parallel_iterations").filter(|v| !v.is_none()) {
        let p = eager_int(&p, "parallel_iterations")?;
        options.parallel_iterations = usize::try_from(p)
            .map_err(|_| raise("ValueError", format!("'parallel_iterations' must be a positive integer: {p}")))?;
    }
    if let Some(inv) = a.get(3, "shape_invariants").filter(|v| !v.is_none()) {
        let mut out = Vec::new();
        invariants(&loop_vars, &inv, &mut out)?;
        options.shape_invariants = out;
    }
    let n = seq_items(&loop_vars).len();
    let has_max = options.maximum_iterations.is_some();
    let last_kind_tuple = RefCell::new(is_tuple);
    let last_bare = RefCell::new(None);
    let shared = Shared::new(it);
    let result = cf::while_loop(
        |vars: &PyNest| {
            shared.run(|it| {
                let r = it.call(&c, Args::positional(seq_items(&vars.0)))?;
                let t = to_tensor(&r, None)?;
                if t.dtype() != DType::Bool || t.rank() != 0 {
                    return Err(raise(
                        "TypeError",
                        format!(
                            "while_loop: cond must return a scalar bool, got a {} tensor with {} dimensions",
                            t.dtype().name(),
                            t.rank()
                        ),
                    ));
                }
                Ok(t)
            })
        },
        |vars: &PyNest| {
            shared.run(|it| {
                let r = it.call(&b, Args::positional(seq_items(&vars.0)))?;
                let items = match &r {
                    Value::List(l) => l.borrow().clone(),
                    Value::Tuple(t) => t.to_vec(),
                    other => body_result_items(other, n, has_max)?,
                };
                *last_bare.borrow_mut() = (!matches!(r, Value::List(_) | Value::Tuple(_))).then(|| r.clone());
                if items.len() != n {
                    return Err(raise(
                        "ValueError",
                        format!("while_loop: body returned {} values but there are {n} loop variables", items.len()),
                    ));
                }
                *last_kind_tuple.borrow_mut() = matches!(r, Value::Tuple(_));
                let items = items.iter().map(|x| normalize(x, "the body's result")).collect::<PyResult<Vec<_>>>()?;
                // The engine compares structures exactly; the outer sequence kind may differ, as in TF.
                Ok(PyNest(if is_tuple { Value::tuple(items) } else { Value::list(items) }))
            })
        },
        PyNest(loop_vars.clone()),
        options,
    );
    let v = reorder_like(shared.finish(result)?.0, &loop_vars);
    let traced = tensile::function::trace::is_tracing();
    if let (false, Some(bare)) = (traced, last_bare.into_inner()) {
        // Eagerly TF returns the body's last result itself (a tensor whose rows were the variables).
        return Ok(bare);
    }
    let want_tuple = if traced { is_tuple } else { *last_kind_tuple.borrow() };
    let items = seq_items(&v);
    Ok(if want_tuple { Value::tuple(items) } else { Value::list(items) })
}
