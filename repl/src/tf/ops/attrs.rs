//! Tensor and variable attributes beyond the base table (`x.shape` as a `TensorShape`,
//! `x.get_shape()`), and the named tuples some ops return (`TopKV2`).

use super::shape;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Builtin, Class, Instance, NativeFn, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

fn shape_value(v: &Value) -> Option<Value> {
    match v {
        Value::Tensor(t) => Some(shape::of_tensor(t)),
        Value::Variable(var) => Some(shape::new_shape(Some(var.shape().iter().map(|&d| Some(d as i64)).collect()))),
        _ => None,
    }
}

/// `x.shape` and `x.get_shape()` of tensors and variables; other names are left to the base table.
pub fn tensor_attr(v: &Value, name: &str) -> PyResult<Option<Value>> {
    if !matches!(v, Value::Tensor(_) | Value::Variable(_)) {
        return Ok(None);
    }
    Ok(match name {
        "shape" => shape_value(v),
        "get_shape" => Some(Value::Builtin(Rc::new(Builtin {
            name: "get_shape",
            f: |_, this, _| this.and_then(shape_value).ok_or_else(|| raise("TypeError", "get_shape() needs a tensor")),
            bound: Some(v.clone()),
        }))),
        _ => None,
    })
}

thread_local! {
    static TUPLES: RefCell<HashMap<&'static str, Rc<Class>>> = RefCell::new(HashMap::new());
}

fn recv(this: Option<&Value>, mut a: Args) -> PyResult<(Rc<Instance>, Args)> {
    let v = match this {
        Some(v) => v.clone(),
        None if !a.pos.is_empty() => a.pos.remove(0),
        None => return Err(raise("TypeError", "method called without an instance")),
    };
    match v {
        Value::Instance(i) => Ok((i, a)),
        other => Err(raise("TypeError", format!("expected a named tuple, got {}", other.type_name()))),
    }
}

fn items(i: &Instance) -> Vec<Value> {
    match i.dict.borrow().get("_items") {
        Some(Value::Tuple(t)) => t.to_vec(),
        _ => Vec::new(),
    }
}

fn tuple_class(name: &'static str) -> Rc<Class> {
    TUPLES.with(|m| {
        m.borrow_mut()
            .entry(name)
            .or_insert_with(|| {
                let methods: &[(&'static str, NativeFn)] = &[
                    ("__len__", |_, this, a| Ok(Value::Int(items(&recv(this, a)?.0).len() as i64))),
                    ("__iter__", |it, this, a| it.iter_of(&Value::tuple(items(&recv(this, a)?.0)))),
                    ("__getitem__", |it, this, a| {
                        let (i, a) = recv(this, a)?;
                        let key = a.pos.first().cloned().unwrap_or(Value::None);
                        it.get_item(&Value::tuple(items(&i)), &key)
                    }),
                    ("__repr__", |it, this, a| {
                        let (i, _) = recv(this, a)?;
                        let fields = match i.dict.borrow().get("_fields") {
                            Some(Value::Tuple(f)) => f.to_vec(),
                            _ => Vec::new(),
                        };
                        let mut parts = Vec::new();
                        for (f, v) in fields.iter().zip(items(&i)) {
                            parts.push(format!("{}={}", it.str_of(f)?, it.repr_of(&v)?));
                        }
                        Ok(Value::str(&format!("{}({})", i.class.name, parts.join(", "))))
                    }),
                ];
                let dict = methods
                    .iter()
                    .map(|(n, f)| ((*n).into(), Value::Builtin(Rc::new(Builtin { name: n, f: *f, bound: None }))))
                    .collect();
                Rc::new(Class { name: name.into(), base: None, dict: RefCell::new(dict) })
            })
            .clone()
    })
}

/// A named tuple value (`TopKV2(values=..., indices=...)`): fields by name, index or unpacking.
pub fn named_tuple(name: &'static str, fields: &[&str], values: Vec<Value>) -> Value {
    let inst = Instance { class: tuple_class(name), dict: RefCell::new(Default::default()) };
    {
        let mut d = inst.dict.borrow_mut();
        for (f, v) in fields.iter().zip(&values) {
            d.insert((*f).into(), v.clone());
        }
        d.insert("_fields".into(), Value::tuple(fields.iter().map(|f| Value::str(f)).collect()));
        d.insert("_items".into(), Value::tuple(values));
    }
    Value::Instance(Rc::new(inst))
}
