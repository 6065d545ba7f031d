//! Operators and the core protocols: truth, `repr`/`str`, equality, ordering, arithmetic and
//! iteration, for built-in values, instances (through their dunder methods) and engine values
//! (through [`crate::tf`]).

use super::exceptions::{exception_args, raise, Ctrl, PyResult};
use super::format::float_repr;
use super::value::{Args, Iter, Value};
use super::Interp;
use crate::ast::{BinOp, CmpOp};
use std::cell::RefCell;
use std::rc::Rc;

/// Past this depth a self-containing container prints as `...` instead of overflowing.
const REPR_DEPTH: usize = 200;

/// `repr(str)` with Python's quote choice and escapes.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn checked(v: Option<i64>) -> PyResult<Value> {
    v.map(Value::Int).ok_or_else(|| raise("OverflowError", "integer overflow (Tensile ints are 64-bit)"))
}

/// Python's floor division and modulo on ints.
fn int_floordiv(a: i64, b: i64) -> PyResult<i64> {
    if b == 0 {
        return Err(raise("ZeroDivisionError", "integer division or modulo by zero"));
    }
    let q = a.checked_div(b).ok_or_else(|| raise("OverflowError", "integer overflow"))?;
    Ok(if (a % b != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q })
}

fn int_mod(a: i64, b: i64) -> PyResult<i64> {
    if b == 0 {
        return Err(raise("ZeroDivisionError", "integer division or modulo by zero"));
    }
    let r = a.checked_rem(b).unwrap_or(0);
    Ok(if r != 0 && ((r < 0) != (b < 0)) { r + b } else { r })
}

fn float_mod(a: f64, b: f64) -> PyResult<f64> {
    if b == 0.0 {
        return Err(raise("ZeroDivisionError", "float modulo"));
    }
    let r = a % b;
    Ok(if r != 0.0 && ((r < 0.0) != (b < 0.0)) { r + b } else { r })
}

fn dunder(op: BinOp) -> (&'static str, &'static str) {
    match op {
        BinOp::Add => ("__add__", "__radd__"),
        BinOp::Sub => ("__sub__", "__rsub__"),
        BinOp::Mul => ("__mul__", "__rmul__"),
        BinOp::Div => ("__truediv__", "__rtruediv__"),
        BinOp::FloorDiv => ("__floordiv__", "__rfloordiv__"),
        BinOp::Mod => ("__mod__", "__rmod__"),
        BinOp::Pow => ("__pow__", "__rpow__"),
        BinOp::MatMul => ("__matmul__", "__rmatmul__"),
        BinOp::LShift => ("__lshift__", "__rlshift__"),
        BinOp::RShift => ("__rshift__", "__rrshift__"),
        BinOp::BitAnd => ("__and__", "__rand__"),
        BinOp::BitOr => ("__or__", "__ror__"),
        BinOp::BitXor => ("__xor__", "__rxor__"),
    }
}

/// A number view of ints, bools and floats.
enum Num {
    I(i64),
    F(f64),
}

fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Bool(b) => Some(Num::I(*b as i64)),
        Value::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

fn is_engine(v: &Value) -> bool {
    matches!(v, Value::Tensor(_) | Value::Variable(_) | Value::Array(_))
}

fn repeat(items: &[Value], n: i64) -> Vec<Value> {
    let mut out = Vec::with_capacity(items.len() * n.max(0) as usize);
    for _ in 0..n.max(0) {
        out.extend_from_slice(items);
    }
    out
}

impl Interp {
    /// Python's truth value.
    pub fn truthy(&mut self, v: &Value) -> PyResult<bool> {
        Ok(match v {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.borrow().is_empty(),
            Value::Tuple(t) => !t.is_empty(),
            Value::Dict(d) | Value::Set(d) => !d.borrow().is_empty(),
            Value::Range(a, b, s) => range_len(*a, *b, *s) > 0,
            Value::Instance(_) => {
                if let Some(r) = self.call_dunder(v, "__bool__", vec![])? {
                    return self.truthy(&r);
                }
                if let Some(r) = self.call_dunder(v, "__len__", vec![])? {
                    return self.truthy(&r);
                }
                true
            }
            Value::Tensor(_) | Value::Variable(_) | Value::Array(_) => crate::tf::truthy(v)?,
            _ => true,
        })
    }

    /// `repr(v)`.
    pub fn repr_of(&mut self, v: &Value) -> PyResult<String> {
        self.repr_depth(v, 0)
    }

    fn repr_depth(&mut self, v: &Value, depth: usize) -> PyResult<String> {
        if depth > REPR_DEPTH {
            return Ok("...".into());
        }
        let seq = |me: &mut Interp, items: &[Value]| -> PyResult<Vec<String>> {
            items.iter().map(|x| me.repr_depth(x, depth + 1)).collect()
        };
        Ok(match v {
            Value::None => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_repr(*f),
            Value::Str(s) => str_repr(s),
            Value::List(l) => {
                let id = Rc::as_ptr(l) as *const () as usize;
                if self.repr_active.contains(&id) {
                    return Ok("[...]".into());
                }
                let items = l.borrow().clone();
                self.repr_active.push(id);
                let parts = seq(self, &items);
                self.repr_active.pop();
                format!("[{}]", parts?.join(", "))
            }
            Value::Tuple(t) if t.len() == 1 => format!("({},)", self.repr_depth(&t[0], depth + 1)?),
            Value::Tuple(t) => format!("({})", seq(self, t)?.join(", ")),
            Value::Dict(d) => {
                let id = Rc::as_ptr(d) as *const () as usize;
                if self.repr_active.contains(&id) {
                    return Ok("{...}".into());
                }
                let items: Vec<(Value, Value)> = d.borrow().values().cloned().collect();
                self.repr_active.push(id);
                let parts: PyResult<Vec<String>> = items
                    .iter()
                    .map(|(k, v)| Ok(format!("{}: {}", self.repr_depth(k, depth + 1)?, self.repr_depth(v, depth + 1)?)))
                    .collect();
                self.repr_active.pop();
                format!("{{{}}}", parts?.join(", "))
            }
            Value::Set(d) => {
                let items: Vec<Value> = d.borrow().values().map(|(k, _)| k.clone()).collect();
                if items.is_empty() {
                    "set()".into()
                } else {
                    format!("{{{}}}", seq(self, &items)?.join(", "))
                }
            }
            Value::Range(a, b, 1) => format!("range({a}, {b})"),
            Value::Range(a, b, s) => format!("range({a}, {b}, {s})"),
            Value::Slice(s) => {
                let s = s.clone();
                format!("slice({})", seq(self, &s[..])?.join(", "))
            }
            Value::Ellipsis => "Ellipsis".into(),
            Value::Function(f) => format!("<function {} at {:#x}>", f.code.name, Rc::as_ptr(f) as usize),
            Value::Builtin(b) => match &b.bound {
                Some(r) => format!("<built-in method {} of {} object>", b.name, r.type_name()),
                None => format!("<built-in function {}>", b.name),
            },
            Value::Method(m) => {
                let name = match &m.1 {
                    Value::Function(f) => f.code.name.to_string(),
                    _ => "?".into(),
                };
                format!("<bound method {}.{} of {}>", m.0.type_name(), name, self.repr_depth(&m.0, depth + 1)?)
            }
            Value::Class(c) => format!("<class '{}'>", self.class_qualname(c)),
            Value::Type(t) => format!("<class '{}'>", t.name()),
            Value::Instance(i) => {
                if let Some(r) = self.call_dunder(v, "__repr__", vec![])? {
                    return self.str_result(r, "__repr__");
                }
                if i.class.derives_from_named("BaseException") {
                    let args = exception_args(v);
                    let inner = if args.len() == 1 {
                        self.repr_depth(&args[0], depth + 1)?
                    } else {
                        seq(self, &args)?.join(", ")
                    };
                    format!("{}({inner})", i.class.name)
                } else {
                    format!("<__main__.{} object at {:#x}>", i.class.name, Rc::as_ptr(i) as usize)
                }
            }
            Value::Module(m) => format!("<module '{}'>", m.name),
            Value::Iter(_) => "<iterator object>".into(),
            Value::Descriptor(_) => format!("<{} object>", v.type_name()),
            Value::Tensor(_) | Value::Variable(_) | Value::Array(_) | Value::DType(_) => crate::tf::repr(v),
            Value::Native(n) => n.repr(),
        })
    }

    fn class_qualname(&self, c: &super::value::Class) -> String {
        if super::exceptions::exception_names().any(|n| n == &*c.name) {
            c.name.to_string()
        } else {
            format!("__main__.{}", c.name)
        }
    }

    fn str_result(&mut self, r: Value, what: &str) -> PyResult<String> {
        match r {
            Value::Str(s) => Ok(s.to_string()),
            other => Err(raise("TypeError", format!("{what} returned non-string (type {})", other.type_name()))),
        }
    }

    /// `str(v)`.
    pub fn str_of(&mut self, v: &Value) -> PyResult<String> {
        match v {
            Value::Str(s) => Ok(s.to_string()),
            Value::Instance(i) => {
                if let Some(r) = self.call_dunder(v, "__str__", vec![])? {
                    return self.str_result(r, "__str__");
                }
                if i.class.derives_from_named("BaseException") {
                    let args = exception_args(v);
                    if args.len() == 1 && i.class.derives_from_named("KeyError") {
                        return self.repr_of(&args[0]);
                    }
                    return match args.len() {
                        0 => Ok(String::new()),
                        1 => self.str_of(&args[0]),
                        _ => self.repr_of(&Value::tuple(args)),
                    };
                }
                self.repr_of(v)
            }
            Value::Tensor(_) | Value::Variable(_) | Value::Array(_) | Value::DType(_) => Ok(crate::tf::str(v)),
            Value::Native(n) => Ok(n.str()),
            _ => self.repr_of(v),
        }
    }

    /// Calls `v.name(*args)` when `v` is an instance whose class defines `name`.
    pub(crate) fn call_dunder(&mut self, v: &Value, name: &str, args: Vec<Value>) -> PyResult<Option<Value>> {
        if let Value::Instance(i) = v {
            if let Some(f) = i.class.lookup(name) {
                if matches!(f, Value::Builtin(_)) && i.class.derives_from_named("BaseException") {
                    return Ok(None);
                }
                let mut full = Vec::with_capacity(args.len() + 1);
                full.push(v.clone());
                full.extend(args);
                return self.call(&f, Args::positional(full)).map(Some);
            }
        }
        Ok(None)
    }

    /// `a == b`.
    pub fn eq(&mut self, a: &Value, b: &Value) -> PyResult<bool> {
        if let (Some(x), Some(y)) = (num(a), num(b)) {
            return Ok(match (x, y) {
                (Num::I(x), Num::I(y)) => x == y,
                (Num::I(x), Num::F(y)) | (Num::F(y), Num::I(x)) => (x as f64) == y,
                (Num::F(x), Num::F(y)) => x == y,
            });
        }
        Ok(match (a, b) {
            (Value::None, Value::None) => true,
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                let (x, y) = (x.borrow().clone(), y.borrow().clone());
                self.seq_eq(&x, &y)?
            }
            (Value::Tuple(x), Value::Tuple(y)) => self.seq_eq(x, y)?,
            (Value::Dict(x), Value::Dict(y)) => {
                let (x, y) = (x.borrow().clone(), y.borrow().clone());
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (k, (_, v)) in &x {
                    match y.get(k) {
                        Some((_, w)) if self.eq(v, w)? => {}
                        _ => return Ok(false),
                    }
                }
                true
            }
            (Value::Set(x), Value::Set(y)) => {
                let (x, y) = (x.borrow(), y.borrow());
                x.len() == y.len() && x.keys().all(|k| y.contains_key(k))
            }
            (Value::Range(a, b, c), Value::Range(d, e, f)) => (a, b, c) == (d, e, f),
            (Value::Instance(_), _) | (_, Value::Instance(_)) => {
                if let Some(r) = self.call_dunder(a, "__eq__", vec![b.clone()])? {
                    return self.truthy(&r);
                }
                if let Some(r) = self.call_dunder(b, "__eq__", vec![a.clone()])? {
                    return self.truthy(&r);
                }
                is(a, b)
            }
            (Value::DType(x), Value::DType(y)) => x == y,
            (Value::Type(x), Value::Type(y)) => x == y,
            (Value::Native(n), other) | (other, Value::Native(n)) => n.eq(other).unwrap_or_else(|| is(a, b)),
            _ => is(a, b),
        })
    }

    fn seq_eq(&mut self, x: &[Value], y: &[Value]) -> PyResult<bool> {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (a, b) in x.iter().zip(y) {
            if !self.eq(a, b)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Ordering of two values for `<` and sorting: `Less`/`Equal`/`Greater`.
    pub fn cmp_order(&mut self, a: &Value, b: &Value, op: &str) -> PyResult<std::cmp::Ordering> {
        use std::cmp::Ordering;
        if let (Some(x), Some(y)) = (num(a), num(b)) {
            let (x, y) = match (x, y) {
                (Num::I(x), Num::I(y)) => return Ok(x.cmp(&y)),
                (Num::I(x), Num::F(y)) => (x as f64, y),
                (Num::F(x), Num::I(y)) => (x, y as f64),
                (Num::F(x), Num::F(y)) => (x, y),
            };
            return Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal));
        }
        match (a, b) {
            (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
            (Value::List(_), Value::List(_)) | (Value::Tuple(_), Value::Tuple(_)) => {
                let x = self.to_vec(a)?;
                let y = self.to_vec(b)?;
                for (p, q) in x.iter().zip(&y) {
                    if !self.eq(p, q)? {
                        return self.cmp_order(p, q, op);
                    }
                }
                Ok(x.len().cmp(&y.len()))
            }
            _ => Err(raise(
                "TypeError",
                format!("'{op}' not supported between instances of '{}' and '{}'", a.type_name(), b.type_name()),
            )),
        }
    }

    /// Evaluates a comparison operator.
    pub fn compare(&mut self, op: CmpOp, a: &Value, b: &Value) -> PyResult<Value> {
        use std::cmp::Ordering::*;
        if (is_engine(a) || is_engine(b)) && !matches!(op, CmpOp::Is | CmpOp::IsNot | CmpOp::In | CmpOp::NotIn) {
            return crate::tf::compare(op, a, b);
        }
        let inst_op = |op: CmpOp| match op {
            CmpOp::Lt => Some("__lt__"),
            CmpOp::LtE => Some("__le__"),
            CmpOp::Gt => Some("__gt__"),
            CmpOp::GtE => Some("__ge__"),
            CmpOp::NotEq => Some("__ne__"),
            _ => None,
        };
        if let (Value::Instance(_), Some(name)) = (a, inst_op(op)) {
            if let Some(r) = self.call_dunder(a, name, vec![b.clone()])? {
                return Ok(r);
            }
        }
        Ok(Value::Bool(match op {
            CmpOp::Eq => self.eq(a, b)?,
            CmpOp::NotEq => !self.eq(a, b)?,
            CmpOp::Lt => self.cmp_order(a, b, "<")? == Less,
            CmpOp::LtE => self.cmp_order(a, b, "<=")? != Greater,
            CmpOp::Gt => self.cmp_order(a, b, ">")? == Greater,
            CmpOp::GtE => self.cmp_order(a, b, ">=")? != Less,
            CmpOp::Is => is(a, b),
            CmpOp::IsNot => !is(a, b),
            CmpOp::In => self.contains(b, a)?,
            CmpOp::NotIn => !self.contains(b, a)?,
        }))
    }

    /// `item in container`.
    pub fn contains(&mut self, container: &Value, item: &Value) -> PyResult<bool> {
        match container {
            Value::Str(s) => match item {
                Value::Str(i) => Ok(s.contains(&**i)),
                _ => Err(raise(
                    "TypeError",
                    format!("'in <string>' requires string as left operand, not {}", item.type_name()),
                )),
            },
            Value::Dict(d) | Value::Set(d) => {
                let k = item.key()?;
                Ok(d.borrow().contains_key(&k))
            }
            Value::Range(a, b, s) => match num(item) {
                Some(Num::I(i)) => {
                    let inside = if *s > 0 { i >= *a && i < *b } else { i <= *a && i > *b };
                    Ok(inside && (i as i128 - *a as i128) % *s as i128 == 0)
                }
                _ => Ok(false),
            },
            Value::Instance(_) => {
                if let Some(r) = self.call_dunder(container, "__contains__", vec![item.clone()])? {
                    return self.truthy(&r);
                }
                let items = self.to_vec(container)?;
                self.any_eq(&items, item)
            }
            _ => {
                let items = self.to_vec(container)?;
                self.any_eq(&items, item)
            }
        }
    }

    fn any_eq(&mut self, items: &[Value], item: &Value) -> PyResult<bool> {
        for x in items {
            if is(x, item) || self.eq(x, item)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Evaluates a binary operator.
    pub fn binary(&mut self, op: BinOp, a: &Value, b: &Value) -> PyResult<Value> {
        if let (Some(x), Some(y)) = (num(a), num(b)) {
            return num_binary(op, x, y);
        }
        if is_engine(a) || is_engine(b) {
            return crate::tf::binary(self, op, a, b);
        }
        let (l, r) = dunder(op);
        if let Value::Instance(_) = a {
            if let Some(v) = self.call_dunder(a, l, vec![b.clone()])? {
                return Ok(v);
            }
        }
        if let Value::Instance(_) = b {
            if let Some(v) = self.call_dunder(b, r, vec![a.clone()])? {
                return Ok(v);
            }
        }
        let out = match (op, a, b) {
            (BinOp::Add, Value::Str(x), Value::Str(y)) => Some(Value::Str(format!("{x}{y}").into())),
            (BinOp::Mul, Value::Str(s), Value::Int(n)) | (BinOp::Mul, Value::Int(n), Value::Str(s)) => {
                Some(Value::Str(s.repeat((*n).max(0) as usize).into()))
            }
            (BinOp::Add, Value::List(x), Value::List(y)) => {
                let mut v = x.borrow().clone();
                v.extend(y.borrow().iter().cloned());
                Some(Value::list(v))
            }
            (BinOp::Mul, Value::List(x), Value::Int(n)) | (BinOp::Mul, Value::Int(n), Value::List(x)) => {
                Some(Value::list(repeat(&x.borrow(), *n)))
            }
            (BinOp::Add, Value::Tuple(x), Value::Tuple(y)) => {
                let mut v = x.to_vec();
                v.extend(y.iter().cloned());
                Some(Value::tuple(v))
            }
            (BinOp::Mul, Value::Tuple(x), Value::Int(n)) | (BinOp::Mul, Value::Int(n), Value::Tuple(x)) => {
                Some(Value::tuple(repeat(x, *n)))
            }
            (BinOp::Mod, Value::Str(f), args) => Some(Value::Str(self.percent_format(f, args)?.into())),
            (BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor, Value::Set(x), Value::Set(y)) => {
                let (x, y) = (x.borrow(), y.borrow());
                let mut out = super::value::Dict::default();
                let pick = |k: &super::value::Key, in_x: bool| match op {
                    BinOp::BitOr => true,
                    BinOp::BitAnd => in_x && y.contains_key(k),
                    BinOp::Sub => in_x && !y.contains_key(k),
                    _ => (in_x && !y.contains_key(k)) || (!in_x && !x.contains_key(k)),
                };
                for (k, e) in x.iter() {
                    if pick(k, true) {
                        out.insert(k.clone(), e.clone());
                    }
                }
                if matches!(op, BinOp::BitOr | BinOp::BitXor) {
                    for (k, e) in y.iter() {
                        if pick(k, false) && !out.contains_key(k) {
                            out.insert(k.clone(), e.clone());
                        }
                    }
                }
                Some(Value::Set(Rc::new(RefCell::new(out))))
            }
            (BinOp::BitOr, Value::Dict(x), Value::Dict(y)) => {
                let mut d = x.borrow().clone();
                for (k, e) in y.borrow().iter() {
                    d.insert(k.clone(), e.clone());
                }
                Some(super::value::new_dict(d))
            }
            _ => None,
        };
        if let (BinOp::Add, Value::Str(_) | Value::List(_) | Value::Tuple(_)) = (op, a) {
            if std::mem::discriminant(a) != std::mem::discriminant(b) && out.is_none() {
                let t = a.type_name();
                return Err(raise("TypeError", format!("can only concatenate {t} (not \"{}\") to {t}", b.type_name())));
            }
        }
        out.ok_or_else(|| {
            raise(
                "TypeError",
                format!("unsupported operand type(s) for {}: '{}' and '{}'", op.symbol(), a.type_name(), b.type_name()),
            )
        })
    }

    /// `fmt % args` (printf-style formatting).
    fn percent_format(&mut self, fmt: &str, args: &Value) -> PyResult<String> {
        let args: Vec<Value> = match args {
            Value::Tuple(t) => t.to_vec(),
            other => vec![other.clone()],
        };
        let mut next = args.into_iter();
        let mut out = String::new();
        let mut chars = fmt.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let mut spec = String::new();
            let mut conv = None;
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() || c == '%' {
                    conv = Some(c);
                    break;
                }
                spec.push(c);
            }
            let conv = conv.ok_or_else(|| raise("ValueError", "incomplete format"))?;
            if conv == '%' {
                out.push('%');
                continue;
            }
            let arg = next.next().ok_or_else(|| raise("TypeError", "not enough arguments for format string"))?;
            // printf pads on the left unless the `-` flag asks for the right.
            let spec = if spec.contains('-') { spec.replace('-', "<") } else { format!(">{spec}") };
            let spec = if spec.starts_with(">0") && conv != 's' && conv != 'r' { spec[1..].to_string() } else { spec };
            let text = match conv {
                's' => super::format::format_str(&self.str_of(&arg)?, &spec)?,
                'r' => super::format::format_str(&self.repr_of(&arg)?, &spec)?,
                'd' | 'i' => match num(&arg) {
                    Some(Num::I(i)) => super::format::format_int(i, &format!("{spec}d"))?,
                    Some(Num::F(f)) => super::format::format_int(f.trunc() as i64, &format!("{spec}d"))?,
                    None => {
                        return Err(raise(
                            "TypeError",
                            format!("%d format: a real number is required, not {}", arg.type_name()),
                        ))
                    }
                },
                'f' | 'e' | 'g' | 'F' | 'E' | 'G' | 'x' | 'X' | 'o' => {
                    let f = match num(&arg) {
                        Some(Num::I(i)) if matches!(conv, 'x' | 'X' | 'o') => {
                            out.push_str(&super::format::format_int(i, &format!("{spec}{conv}"))?);
                            continue;
                        }
                        Some(Num::I(i)) => i as f64,
                        Some(Num::F(f)) => f,
                        None => {
                            return Err(raise("TypeError", format!("must be real number, not {}", arg.type_name())))
                        }
                    };
                    super::format::format_float(f, &format!("{spec}{conv}"))?
                }
                c => return Err(raise("ValueError", format!("unsupported format character '{c}'"))),
            };
            out.push_str(&text);
        }
        if next.next().is_some() {
            return Err(raise("TypeError", "not all arguments converted during string formatting"));
        }
        Ok(out)
    }

    /// A unary operator.
    pub fn unary(&mut self, op: crate::ast::UnaryOp, v: &Value) -> PyResult<Value> {
        use crate::ast::UnaryOp::*;
        if op == Not {
            return Ok(Value::Bool(!self.truthy(v)?));
        }
        if is_engine(v) {
            return crate::tf::unary(op, v);
        }
        let name = match op {
            Neg => "__neg__",
            Pos => "__pos__",
            _ => "__invert__",
        };
        if let Some(r) = self.call_dunder(v, name, vec![])? {
            return Ok(r);
        }
        match (op, num(v)) {
            (Neg, Some(Num::I(i))) => checked(i.checked_neg()),
            (Neg, Some(Num::F(f))) => Ok(Value::Float(-f)),
            (Pos, Some(Num::I(i))) => Ok(Value::Int(i)),
            (Pos, Some(Num::F(f))) => Ok(Value::Float(f)),
            (Invert, Some(Num::I(i))) => Ok(Value::Int(!i)),
            _ => Err(raise("TypeError", format!("bad operand type for unary {}: '{}'", op.symbol(), v.type_name()))),
        }
    }

    /// All items of an iterable, eagerly.
    pub fn to_vec(&mut self, v: &Value) -> PyResult<Vec<Value>> {
        match v {
            Value::List(l) => Ok(l.borrow().clone()),
            Value::Tuple(t) => Ok(t.to_vec()),
            _ => {
                let it = self.iter_of(v)?;
                let mut out = Vec::new();
                while let Some(x) = self.next_of(&it)? {
                    out.push(x);
                }
                Ok(out)
            }
        }
    }

    /// `iter(v)`.
    pub fn iter_of(&mut self, v: &Value) -> PyResult<Value> {
        let st = match v {
            Value::Iter(_) => return Ok(v.clone()),
            Value::List(l) => Iter::List(l.clone(), 0),
            Value::Tuple(t) => Iter::Seq(t.clone(), 0),
            Value::Str(s) => Iter::Chars(s.clone(), 0),
            Value::Range(a, b, s) => Iter::Range(*a, *b, *s),
            Value::Dict(d) | Value::Set(d) => {
                Iter::Seq(Rc::new(d.borrow().values().map(|(k, _)| k.clone()).collect()), 0)
            }
            Value::Instance(_) => {
                if let Some(it) = self.call_dunder(v, "__iter__", vec![])? {
                    if let Value::Iter(_) = it {
                        return Ok(it);
                    }
                    Iter::User(it)
                } else if let Some(Value::Instance(i)) = Some(v) {
                    if i.class.lookup("__getitem__").is_some() {
                        // The old sequence protocol: index from 0 until IndexError.
                        let mut items = Vec::new();
                        for k in 0.. {
                            match self.call_dunder(v, "__getitem__", vec![Value::Int(k)]) {
                                Ok(Some(x)) => items.push(x),
                                Err(Ctrl::Raise(e)) if e.value.type_name() == "IndexError" => break,
                                Err(e) => return Err(e),
                                Ok(None) => break,
                            }
                        }
                        Iter::Seq(Rc::new(items), 0)
                    } else {
                        return Err(raise("TypeError", format!("'{}' object is not iterable", v.type_name())));
                    }
                } else {
                    unreachable!("matched an instance")
                }
            }
            Value::Tensor(_) | Value::Variable(_) | Value::Array(_) => Iter::Seq(Rc::new(crate::tf::unstack(v)?), 0),
            _ => return Err(raise("TypeError", format!("'{}' object is not iterable", v.type_name()))),
        };
        Ok(Value::Iter(Rc::new(RefCell::new(st))))
    }

    /// The next item of an iterator value, `None` when exhausted.
    pub fn next_of(&mut self, it: &Value) -> PyResult<Option<Value>> {
        let Value::Iter(cell) = it else {
            return Err(raise("TypeError", format!("'{}' object is not an iterator", it.type_name())));
        };
        // Lazy sources call back into the interpreter, so the borrow must end first.
        let lazy = {
            let mut st = cell.borrow_mut();
            match &mut *st {
                Iter::Seq(v, i) => {
                    let x = v.get(*i).cloned();
                    *i += 1;
                    return Ok(x);
                }
                Iter::List(l, i) => {
                    let x = l.borrow().get(*i).cloned();
                    *i += 1;
                    return Ok(x);
                }
                Iter::Range(a, b, s) => {
                    if (*s > 0 && *a < *b) || (*s < 0 && *a > *b) {
                        let x = *a;
                        *a = a.saturating_add(*s);
                        return Ok(Some(Value::Int(x)));
                    }
                    return Ok(None);
                }
                Iter::Chars(s, i) => {
                    let c = s[*i..].chars().next();
                    if let Some(c) = c {
                        *i += c.len_utf8();
                    }
                    return Ok(c.map(|c| Value::Str(c.to_string().into())));
                }
                Iter::Map(f, its) => Iter::Map(f.clone(), its.clone()),
                Iter::Filter(f, it) => Iter::Filter(f.clone(), it.clone()),
                Iter::Zip(its) => Iter::Zip(its.clone()),
                Iter::Enumerate(it, n) => {
                    *n += 1;
                    Iter::Enumerate(it.clone(), *n - 1)
                }
                Iter::User(v) => Iter::User(v.clone()),
            }
        };
        match lazy {
            Iter::Map(f, its) => {
                let mut args = Vec::with_capacity(its.len());
                for i in &its {
                    match self.next_of(i)? {
                        Some(x) => args.push(x),
                        None => return Ok(None),
                    }
                }
                self.call(&f, Args::positional(args)).map(Some)
            }
            Iter::Filter(f, it) => loop {
                let Some(x) = self.next_of(&it)? else { return Ok(None) };
                let keep = if f.is_none() { x.clone() } else { self.call(&f, Args::positional(vec![x.clone()]))? };
                if self.truthy(&keep)? {
                    return Ok(Some(x));
                }
            },
            Iter::Zip(its) => {
                let mut items = Vec::with_capacity(its.len());
                for i in &its {
                    match self.next_of(i)? {
                        Some(x) => items.push(x),
                        None => return Ok(None),
                    }
                }
                Ok(Some(Value::tuple(items)))
            }
            Iter::Enumerate(it, n) => Ok(self.next_of(&it)?.map(|x| Value::tuple(vec![Value::Int(n), x]))),
            Iter::User(v) => match self.call_dunder(&v, "__next__", vec![]) {
                Ok(Some(x)) => Ok(Some(x)),
                Ok(None) => Err(raise("TypeError", format!("'{}' object is not an iterator", v.type_name()))),
                Err(Ctrl::Raise(e)) if e.value.type_name() == "StopIteration" => Ok(None),
                Err(e) => Err(e),
            },
            _ => Ok(None),
        }
    }
}

fn num_binary(op: BinOp, x: Num, y: Num) -> PyResult<Value> {
    use BinOp::*;
    match (x, y) {
        (Num::I(a), Num::I(b)) => match op {
            Add => checked(a.checked_add(b)),
            Sub => checked(a.checked_sub(b)),
            Mul => checked(a.checked_mul(b)),
            Div => {
                if b == 0 {
                    Err(raise("ZeroDivisionError", "division by zero"))
                } else {
                    Ok(Value::Float(a as f64 / b as f64))
                }
            }
            FloorDiv => Ok(Value::Int(int_floordiv(a, b)?)),
            Mod => Ok(Value::Int(int_mod(a, b)?)),
            Pow => {
                if b < 0 {
                    if a == 0 {
                        return Err(raise("ZeroDivisionError", "0.0 cannot be raised to a negative power"));
                    }
                    Ok(Value::Float((a as f64).powf(b as f64)))
                } else {
                    checked(u32::try_from(b).ok().and_then(|b| a.checked_pow(b)))
                }
            }
            LShift => {
                if b < 0 {
                    return Err(raise("ValueError", "negative shift count"));
                }
                if a == 0 {
                    return Ok(Value::Int(0));
                }
                checked(if b >= 63 { None } else { a.checked_mul(1i64 << b) })
            }
            RShift => {
                if b < 0 {
                    return Err(raise("ValueError", "negative shift count"));
                }
                Ok(Value::Int(a >> b.min(63)))
            }
            BitAnd => Ok(Value::Int(a & b)),
            BitOr => Ok(Value::Int(a | b)),
            BitXor => Ok(Value::Int(a ^ b)),
            MatMul => Err(raise("TypeError", "unsupported operand type(s) for @: 'int' and 'int'")),
        },
        (x, y) => {
            let a = match x {
                Num::I(i) => i as f64,
                Num::F(f) => f,
            };
            let b = match y {
                Num::I(i) => i as f64,
                Num::F(f) => f,
            };
            Ok(Value::Float(match op {
                Add => a + b,
                Sub => a - b,
                Mul => a * b,
                Div => {
                    if b == 0.0 {
                        return Err(raise("ZeroDivisionError", "float division by zero"));
                    }
                    a / b
                }
                FloorDiv => {
                    if b == 0.0 {
                        return Err(raise("ZeroDivisionError", "float floor division by zero"));
                    }
                    (a / b).floor()
                }
                Mod => float_mod(a, b)?,
                Pow => {
                    if a == 0.0 && b < 0.0 {
                        return Err(raise("ZeroDivisionError", "0.0 cannot be raised to a negative power"));
                    }
                    a.powf(b)
                }
                _ => {
                    return Err(raise(
                        "TypeError",
                        format!("unsupported operand type(s) for {}: 'float' and 'float'", op.symbol()),
                    ))
                }
            }))
        }
    }
}

/// Number of items of `range(a, b, s)`.
pub fn range_len(a: i64, b: i64, s: i64) -> i64 {
    // i128: `b - a` overflows i64 for ranges spanning most of it.
    let (a, b, s) = (a as i128, b as i128, s as i128);
    let n = if s > 0 && a < b {
        (b - a - 1) / s + 1
    } else if s < 0 && a > b {
        (a - b - 1) / (-s) + 1
    } else {
        0
    };
    n.min(i64::MAX as i128) as i64
}

/// Python's `is`.
pub fn is(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) | (Value::Ellipsis, Value::Ellipsis) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y) || x == y,
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        (Value::Tuple(x), Value::Tuple(y)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) | (Value::Set(x), Value::Set(y)) => Rc::ptr_eq(x, y),
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        (Value::Class(x), Value::Class(y)) => Rc::ptr_eq(x, y),
        (Value::Instance(x), Value::Instance(y)) => Rc::ptr_eq(x, y),
        (Value::Type(x), Value::Type(y)) => x == y,
        (Value::Module(x), Value::Module(y)) => Rc::ptr_eq(x, y),
        (Value::Tensor(x), Value::Tensor(y)) => x.same(y),
        (Value::Variable(x), Value::Variable(y)) => x.same(y),
        (Value::DType(x), Value::DType(y)) => x == y,
        // Native type objects are made on demand (`type(a)`), so one type is one repr.
        (Value::Native(x), Value::Native(y)) => {
            Rc::ptr_eq(x, y) || (x.type_name() == "type" && y.type_name() == "type" && x.repr() == y.repr())
        }
        _ => false,
    }
}
