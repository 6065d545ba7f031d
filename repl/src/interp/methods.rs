//! Methods of the built-in types (`str.join`, `list.append`, `dict.items`, ...), bound on
//! attribute access through per-type tables.

use super::builtins::sort_values;
use super::exceptions::{exception_class, new_exception, raise, raise_value, PyResult};
use super::value::{new_dict, Args, Builtin, Dict, NativeFn, Value};
use super::Interp;
use std::cell::RefCell;
use std::rc::Rc;

/// The bound method `v.name`, when `v`'s type has it.
pub fn builtin_method(v: &Value, name: &str) -> Option<Value> {
    let (n, f) = method_table(v).iter().find(|(n, _)| *n == name)?;
    Some(Value::Builtin(Rc::new(Builtin { name: n, f: *f, bound: Some(v.clone()) })))
}

/// Names of the methods `v`'s built-in type has (empty for other values).
pub fn method_names(v: &Value) -> Vec<&'static str> {
    method_table(v).iter().map(|(n, _)| *n).collect()
}

/// The method table of `v`'s built-in type (empty for other values).
fn method_table(v: &Value) -> &'static [(&'static str, NativeFn)] {
    match v {
        Value::Str(_) => STR,
        Value::List(_) => LIST,
        Value::Dict(_) => DICT,
        Value::Set(_) => SET,
        Value::Tuple(_) => TUPLE,
        Value::Int(_) | Value::Bool(_) | Value::Float(_) => NUM,
        _ => &[],
    }
}

fn this_str(v: Option<&Value>) -> Rc<str> {
    match v {
        Some(Value::Str(s)) => s.clone(),
        _ => "".into(),
    }
}

fn arg_str(a: &Args, i: usize, name: &str, func: &str) -> PyResult<String> {
    match a.req(i, name, func)? {
        Value::Str(s) => Ok(s.to_string()),
        other => Err(raise("TypeError", format!("must be str, not {}", other.type_name()))),
    }
}

fn opt_str(a: &Args, i: usize, name: &str) -> PyResult<Option<String>> {
    match a.get(i, name) {
        None | Some(Value::None) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_string())),
        Some(other) => Err(raise("TypeError", format!("must be str or None, not {}", other.type_name()))),
    }
}

fn s(v: impl Into<Rc<str>>) -> Value {
    Value::Str(v.into())
}

const STR: &[(&str, NativeFn)] = &[
    ("join", |it, t, a| {
        let sep = this_str(t);
        let items = it.to_vec(&a.req(0, "iterable", "join")?)?;
        let mut parts = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            match x {
                Value::Str(p) => parts.push(p.to_string()),
                other => {
                    return Err(raise(
                        "TypeError",
                        format!("sequence item {i}: expected str instance, {} found", other.type_name()),
                    ))
                }
            }
        }
        Ok(s(parts.join(&sep)))
    }),
    ("split", |_, t, a| {
        let st = this_str(t);
        let max = match a.get(1, "maxsplit") {
            Some(Value::Int(n)) if n >= 0 => Some(n as usize),
            _ => None,
        };
        let parts: Vec<Value> = match opt_str(&a, 0, "sep")? {
            None => match max {
                None => st.split_whitespace().map(s).collect(),
                Some(n) => {
                    let mut out = Vec::new();
                    let mut rest = st.trim_start();
                    while !rest.is_empty() {
                        if out.len() == n {
                            out.push(s(rest));
                            break;
                        }
                        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                        out.push(s(&rest[..end]));
                        rest = rest[end..].trim_start();
                    }
                    out
                }
            },
            Some(sep) if sep.is_empty() => return Err(raise("ValueError", "empty separator")),
            Some(sep) => match max {
                None => st.split(sep.as_str()).map(s).collect(),
                Some(n) => st.splitn(n + 1, sep.as_str()).map(s).collect(),
            },
        };
        Ok(Value::list(parts))
    }),
    ("strip", |_, t, a| {
        let st = this_str(t);
        Ok(s(match opt_str(&a, 0, "chars")? {
            None => st.trim(),
            Some(c) => st.trim_matches(|x| c.contains(x)),
        }))
    }),
    ("lstrip", |_, t, a| {
        let st = this_str(t);
        Ok(s(match opt_str(&a, 0, "chars")? {
            None => st.trim_start(),
            Some(c) => st.trim_start_matches(|x| c.contains(x)),
        }))
    }),
    ("rstrip", |_, t, a| {
        let st = this_str(t);
        Ok(s(match opt_str(&a, 0, "chars")? {
            None => st.trim_end(),
            Some(c) => st.trim_end_matches(|x| c.contains(x)),
        }))
    }),
    ("replace", |_, t, a| {
        let st = this_str(t);
        let old = arg_str(&a, 0, "old", "replace")?;
        let new = arg_str(&a, 1, "new", "replace")?;
        Ok(s(match a.get(2, "count") {
            Some(Value::Int(n)) if n >= 0 => st.replacen(&old, &new, n as usize),
            _ => st.replace(&old, &new),
        }))
    }),
    ("upper", |_, t, _| Ok(s(this_str(t).to_uppercase()))),
    ("lower", |_, t, _| Ok(s(this_str(t).to_lowercase()))),
    ("title", |_, t, _| {
        let mut out = String::new();
        let mut prev_alpha = false;
        for c in this_str(t).chars() {
            if prev_alpha {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            prev_alpha = c.is_alphabetic();
        }
        Ok(s(out))
    }),
    ("capitalize", |_, t, _| {
        let st = this_str(t);
        let mut c = st.chars();
        Ok(s(match c.next() {
            Some(f) => f.to_uppercase().chain(c.flat_map(|x| x.to_lowercase())).collect::<String>(),
            None => String::new(),
        }))
    }),
    ("startswith", |it, t, a| {
        let st = this_str(t);
        let p = a.req(0, "prefix", "startswith")?;
        let opts = match &p {
            Value::Tuple(_) => it.to_vec(&p)?,
            _ => vec![p],
        };
        Ok(Value::Bool(opts.iter().any(|o| matches!(o, Value::Str(o) if st.starts_with(&**o)))))
    }),
    ("endswith", |it, t, a| {
        let st = this_str(t);
        let p = a.req(0, "suffix", "endswith")?;
        let opts = match &p {
            Value::Tuple(_) => it.to_vec(&p)?,
            _ => vec![p],
        };
        Ok(Value::Bool(opts.iter().any(|o| matches!(o, Value::Str(o) if st.ends_with(&**o)))))
    }),
    ("find", |_, t, a| {
        let st = this_str(t);
        let sub = arg_str(&a, 0, "sub", "find")?;
        Ok(Value::Int(st.find(&sub).map_or(-1, |b| st[..b].chars().count() as i64)))
    }),
    ("index", |_, t, a| {
        let st = this_str(t);
        let sub = arg_str(&a, 0, "sub", "index")?;
        st.find(&sub)
            .map(|b| Value::Int(st[..b].chars().count() as i64))
            .ok_or_else(|| raise("ValueError", "substring not found"))
    }),
    ("count", |_, t, a| {
        let st = this_str(t);
        let sub = arg_str(&a, 0, "sub", "count")?;
        Ok(Value::Int(if sub.is_empty() {
            st.chars().count() as i64 + 1
        } else {
            st.matches(sub.as_str()).count() as i64
        }))
    }),
    ("format", |it, t, a| {
        let st = this_str(t);
        let mut out = String::new();
        let mut auto = 0;
        let mut chars = st.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let mut field = String::new();
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                        field.push(c);
                    }
                    let (name, spec) = field.split_once(':').unwrap_or((&field, ""));
                    let (name, conv) = name.split_once('!').map_or((name, None), |(n, c)| (n, Some(c)));
                    let v = if name.is_empty() {
                        auto += 1;
                        a.pos.get(auto - 1).cloned()
                    } else if let Ok(i) = name.parse::<usize>() {
                        a.pos.get(i).cloned()
                    } else {
                        a.kwarg(name)
                    };
                    let v = v.ok_or_else(|| raise("IndexError", format!("Replacement index {name} out of range")))?;
                    let v = match conv {
                        Some("r") => Value::Str(it.repr_of(&v)?.into()),
                        Some("s") => Value::Str(it.str_of(&v)?.into()),
                        _ => v,
                    };
                    out.push_str(&it.format_value(&v, spec)?);
                }
                '}' => return Err(raise("ValueError", "Single '}' encountered in format string")),
                c => out.push(c),
            }
        }
        Ok(s(out))
    }),
    ("isdigit", |_, t, _| {
        let st = this_str(t);
        Ok(Value::Bool(!st.is_empty() && st.chars().all(|c| c.is_ascii_digit())))
    }),
    ("isalpha", |_, t, _| {
        let st = this_str(t);
        Ok(Value::Bool(!st.is_empty() && st.chars().all(char::is_alphabetic)))
    }),
    ("isspace", |_, t, _| {
        let st = this_str(t);
        Ok(Value::Bool(!st.is_empty() && st.chars().all(char::is_whitespace)))
    }),
    ("zfill", |_, t, a| {
        let st = this_str(t);
        let w = match a.req(0, "width", "zfill")? {
            Value::Int(w) => w.max(0) as usize,
            _ => 0,
        };
        let n = st.chars().count();
        if n >= w {
            return Ok(s(st));
        }
        let (sign, rest) = if st.starts_with(['-', '+']) { st.split_at(1) } else { ("", &*st) };
        Ok(s(format!("{sign}{}{rest}", "0".repeat(w - n))))
    }),
    ("center", |_, t, a| pad_str(this_str(t), a, '^')),
    ("ljust", |_, t, a| pad_str(this_str(t), a, '<')),
    ("rjust", |_, t, a| pad_str(this_str(t), a, '>')),
    ("splitlines", |_, t, _| Ok(Value::list(this_str(t).lines().map(s).collect()))),
];

fn pad_str(st: Rc<str>, a: Args, align: char) -> PyResult<Value> {
    let w = match a.req(0, "width", "pad")? {
        Value::Int(w) => w.max(0),
        _ => 0,
    };
    let fill = opt_str(&a, 1, "fillchar")?.unwrap_or_else(|| " ".into());
    let spec = format!("{fill}{align}{w}");
    Ok(s(super::format::format_str(&st, &spec)?))
}

fn this_list(v: Option<&Value>) -> Rc<RefCell<Vec<Value>>> {
    match v {
        Some(Value::List(l)) => l.clone(),
        _ => Rc::new(RefCell::new(Vec::new())),
    }
}

const LIST: &[(&str, NativeFn)] = &[
    ("append", |_, t, a| {
        this_list(t).borrow_mut().push(a.req(0, "object", "append")?);
        Ok(Value::None)
    }),
    ("extend", |it, t, a| {
        let items = it.to_vec(&a.req(0, "iterable", "extend")?)?;
        this_list(t).borrow_mut().extend(items);
        Ok(Value::None)
    }),
    ("pop", |_, t, a| {
        let l = this_list(t);
        let mut l = l.borrow_mut();
        if l.is_empty() {
            return Err(raise("IndexError", "pop from empty list"));
        }
        let n = l.len();
        let i = match a.get(0, "index") {
            Some(Value::Int(i)) => {
                super::eval::norm_index(i, n).ok_or_else(|| raise("IndexError", "pop index out of range"))?
            }
            _ => n - 1,
        };
        Ok(l.remove(i))
    }),
    ("insert", |_, t, a| {
        let l = this_list(t);
        let mut l = l.borrow_mut();
        let n = l.len() as i64;
        let i = match a.req(0, "index", "insert")? {
            Value::Int(i) => (if i < 0 { (i + n).max(0) } else { i.min(n) }) as usize,
            _ => return Err(raise("TypeError", "list indices must be integers")),
        };
        l.insert(i, a.req(1, "object", "insert")?);
        Ok(Value::None)
    }),
    ("index", |it, t, a| {
        let x = a.req(0, "value", "index")?;
        let items = this_list(t).borrow().clone();
        for (i, y) in items.iter().enumerate() {
            if it.eq(y, &x)? {
                return Ok(Value::Int(i as i64));
            }
        }
        Err(raise("ValueError", format!("{} is not in list", it.repr_of(&x)?)))
    }),
    ("count", |it, t, a| {
        let x = a.req(0, "value", "count")?;
        let items = this_list(t).borrow().clone();
        let mut n = 0;
        for y in &items {
            if it.eq(y, &x)? {
                n += 1;
            }
        }
        Ok(Value::Int(n))
    }),
    ("remove", |it, t, a| {
        let x = a.req(0, "value", "remove")?;
        let l = this_list(t);
        let items = l.borrow().clone();
        for (i, y) in items.iter().enumerate() {
            if it.eq(y, &x)? {
                l.borrow_mut().remove(i);
                return Ok(Value::None);
            }
        }
        Err(raise("ValueError", "list.remove(x): x not in list"))
    }),
    ("reverse", |_, t, _| {
        this_list(t).borrow_mut().reverse();
        Ok(Value::None)
    }),
    ("clear", |_, t, _| {
        this_list(t).borrow_mut().clear();
        Ok(Value::None)
    }),
    ("copy", |_, t, _| Ok(Value::list(this_list(t).borrow().clone()))),
    ("sort", |it, t, a| {
        let l = this_list(t);
        let items = l.borrow().clone();
        let key = a.kwarg("key").filter(|k| !k.is_none());
        let reverse = match a.kwarg("reverse") {
            Some(r) => it.truthy(&r)?,
            None => false,
        };
        let sorted = sort_values(it, items, key, reverse)?;
        *l.borrow_mut() = sorted;
        Ok(Value::None)
    }),
];

const TUPLE: &[(&str, NativeFn)] = &[
    ("index", |it, t, a| {
        let x = a.req(0, "value", "index")?;
        let items = it.to_vec(t.unwrap_or(&Value::None))?;
        for (i, y) in items.iter().enumerate() {
            if it.eq(y, &x)? {
                return Ok(Value::Int(i as i64));
            }
        }
        Err(raise("ValueError", "tuple.index(x): x not in tuple"))
    }),
    ("count", |it, t, a| {
        let x = a.req(0, "value", "count")?;
        let items = it.to_vec(t.unwrap_or(&Value::None))?;
        let mut n = 0;
        for y in &items {
            if it.eq(y, &x)? {
                n += 1;
            }
        }
        Ok(Value::Int(n))
    }),
];

fn this_dict(v: Option<&Value>) -> Rc<RefCell<Dict>> {
    match v {
        Some(Value::Dict(d)) | Some(Value::Set(d)) => d.clone(),
        _ => Rc::new(RefCell::new(Dict::default())),
    }
}

fn key_error(k: Value) -> super::exceptions::Ctrl {
    raise_value(new_exception(exception_class("KeyError"), vec![k]))
}

const DICT: &[(&str, NativeFn)] = &[
    ("keys", |_, t, _| Ok(Value::list(this_dict(t).borrow().values().map(|(k, _)| k.clone()).collect()))),
    ("values", |_, t, _| Ok(Value::list(this_dict(t).borrow().values().map(|(_, v)| v.clone()).collect()))),
    ("items", |_, t, _| {
        Ok(Value::list(this_dict(t).borrow().values().map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()])).collect()))
    }),
    ("get", |_, t, a| {
        let k = a.req(0, "key", "get")?;
        let d = this_dict(t);
        let found = d.borrow().get(&k.key()?).map(|(_, v)| v.clone());
        Ok(found.unwrap_or_else(|| a.get(1, "default").unwrap_or(Value::None)))
    }),
    ("pop", |_, t, a| {
        let k = a.req(0, "key", "pop")?;
        let d = this_dict(t);
        let removed = d.borrow_mut().shift_remove(&k.key()?);
        match removed {
            Some((_, v)) => Ok(v),
            None => a.get(1, "default").ok_or_else(|| key_error(k)),
        }
    }),
    ("setdefault", |_, t, a| {
        let k = a.req(0, "key", "setdefault")?;
        let d = this_dict(t);
        let key = k.key()?;
        let default = a.get(1, "default").unwrap_or(Value::None);
        let mut d = d.borrow_mut();
        Ok(d.entry(key).or_insert((k, default)).1.clone())
    }),
    ("update", |it, t, a| {
        let d = this_dict(t);
        if let Some(src) = a.get(0, "other") {
            let pairs = match &src {
                Value::Dict(s) => s.borrow().values().cloned().collect::<Vec<_>>(),
                other => {
                    let mut out = Vec::new();
                    for item in it.to_vec(other)? {
                        let p = it.to_vec(&item)?;
                        if p.len() != 2 {
                            return Err(raise("ValueError", "dictionary update sequence element has wrong length"));
                        }
                        out.push((p[0].clone(), p[1].clone()));
                    }
                    out
                }
            };
            for (k, v) in pairs {
                d.borrow_mut().insert(k.key()?, (k, v));
            }
        }
        for (k, v) in a.kw {
            d.borrow_mut().insert(super::value::Key::Str(k.clone()), (Value::Str(k), v));
        }
        Ok(Value::None)
    }),
    ("copy", |_, t, _| Ok(new_dict(this_dict(t).borrow().clone()))),
    ("clear", |_, t, _| {
        this_dict(t).borrow_mut().clear();
        Ok(Value::None)
    }),
];

const SET: &[(&str, NativeFn)] = &[
    ("add", |_, t, a| {
        let x = a.req(0, "elem", "add")?;
        this_dict(t).borrow_mut().insert(x.key()?, (x, Value::None));
        Ok(Value::None)
    }),
    ("remove", |_, t, a| {
        let x = a.req(0, "elem", "remove")?;
        let removed = this_dict(t).borrow_mut().shift_remove(&x.key()?);
        removed.map(|_| Value::None).ok_or_else(|| key_error(x))
    }),
    ("discard", |_, t, a| {
        let x = a.req(0, "elem", "discard")?;
        this_dict(t).borrow_mut().shift_remove(&x.key()?);
        Ok(Value::None)
    }),
    ("update", |it, t, a| {
        let items = it.to_vec(&a.req(0, "iterable", "update")?)?;
        let d = this_dict(t);
        for x in items {
            d.borrow_mut().insert(x.key()?, (x, Value::None));
        }
        Ok(Value::None)
    }),
    ("union", |it, t, a| set_op(it, t, a, crate::ast::BinOp::BitOr)),
    ("intersection", |it, t, a| set_op(it, t, a, crate::ast::BinOp::BitAnd)),
    ("difference", |it, t, a| set_op(it, t, a, crate::ast::BinOp::Sub)),
    ("copy", |_, t, _| Ok(Value::Set(Rc::new(RefCell::new(this_dict(t).borrow().clone()))))),
];

fn set_op(it: &mut Interp, t: Option<&Value>, a: Args, op: crate::ast::BinOp) -> PyResult<Value> {
    let other = a.req(0, "other", "set operation")?;
    let other = super::builtins::call_type(it, super::value::BuiltinType::Set, Args::positional(vec![other]))?;
    it.binary(op, t.unwrap_or(&Value::None), &other)
}

const NUM: &[(&str, NativeFn)] = &[
    ("is_integer", |_, t, _| {
        Ok(Value::Bool(match t {
            Some(Value::Float(f)) => f.fract() == 0.0,
            _ => true,
        }))
    }),
    ("bit_length", |_, t, _| {
        Ok(Value::Int(match t {
            Some(Value::Int(i)) => 64 - i.unsigned_abs().leading_zeros() as i64,
            _ => 0,
        }))
    }),
];
