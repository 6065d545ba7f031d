//! Expression evaluation, name resolution, attribute access and subscripts.

use super::exceptions::{raise, PyResult};
use super::format::{format_float, format_int, format_str};
use super::scope::{FuncInfo, Scope, ScopeKind};
use super::value::{new_dict, Args, Body, Builtin, Code, Descriptor, Dict, Function, Value};
use super::Interp;
use crate::ast::{Arg, Comprehension, Constant, DictItem, Expr, ExprKind, FStringPart, Params};
use std::cell::RefCell;
use std::rc::Rc;

/// Stack left below which evaluation continues on a fresh segment (deep expressions).
const RED_ZONE: usize = 128 * 1024;
const SEGMENT: usize = 2 * 1024 * 1024;

impl Interp {
    /// Evaluates an expression; an exception leaving it records this position.
    pub fn eval(&mut self, e: &Expr) -> PyResult<Value> {
        match self.eval_inner(e) {
            Ok(v) => Ok(v),
            Err(c) => Err(self.locate(c, e.span)),
        }
    }

    fn eval_inner(&mut self, e: &Expr) -> PyResult<Value> {
        match &e.kind {
            ExprKind::Name(n) => self.lookup(n),
            ExprKind::Constant(c) => Ok(match c {
                Constant::None => Value::None,
                Constant::Bool(b) => Value::Bool(*b),
                Constant::Ellipsis => Value::Ellipsis,
                Constant::Int(i) => Value::Int(
                    i64::try_from(*i).map_err(|_| raise("OverflowError", "integer literal too large for 64 bits"))?,
                ),
                Constant::Float(f) => Value::Float(*f),
                Constant::Str(s) => Value::Str(s.as_str().into()),
            }),
            ExprKind::BinOp { left, op, right } => {
                let a = self.eval(left)?;
                let b = self.eval(right)?;
                self.binary(*op, &a, &b)
            }
            ExprKind::Call { func, args } => stacker::maybe_grow(RED_ZONE, SEGMENT, || self.eval_call(func, args)),
            ExprKind::Attribute { value, attr } => {
                let v = self.eval(value)?;
                self.get_attr(&v, &attr.name)
            }
            ExprKind::Subscript { value, index } => {
                let v = self.eval(value)?;
                let i = self.eval(index)?;
                self.get_item(&v, &i)
            }
            ExprKind::Compare { left, ops } => {
                let mut a = self.eval(left)?;
                let mut result = Value::Bool(true);
                for (i, (op, right)) in ops.iter().enumerate() {
                    let b = self.eval(right)?;
                    result = self.compare(*op, &a, &b)?;
                    if i + 1 < ops.len() && !self.truthy(&result)? {
                        return Ok(result);
                    }
                    a = b;
                }
                Ok(result)
            }
            ExprKind::UnaryOp { op, operand } => {
                let v = self.eval(operand)?;
                self.unary(*op, &v)
            }
            ExprKind::BoolOp { op, values } => {
                let mut last = Value::None;
                for (i, x) in values.iter().enumerate() {
                    last = self.eval(x)?;
                    if i + 1 == values.len() {
                        break;
                    }
                    let t = self.truthy(&last)?;
                    if t == (*op == crate::ast::BoolOp::Or) {
                        return Ok(last);
                    }
                }
                Ok(last)
            }
            ExprKind::IfExp { test, body, orelse } => {
                let t = super::autograph::eval_condition(self, test)?;
                if super::autograph::is_symbolic(&t) {
                    return super::autograph::eval_if_exp(self, test, &t, body, orelse);
                }
                if self.truthy(&t)? {
                    self.eval(body)
                } else {
                    self.eval(orelse)
                }
            }
            ExprKind::FString(parts) => Ok(Value::Str(self.fstring(parts)?.into())),
            ExprKind::Tuple(items) => Ok(Value::tuple(self.eval_items(items)?)),
            ExprKind::List(items) => Ok(Value::list(self.eval_items(items)?)),
            ExprKind::Set(items) => {
                let items = self.eval_items(items)?;
                let mut d = Dict::default();
                for v in items {
                    d.insert(v.key()?, (v, Value::None));
                }
                Ok(Value::Set(Rc::new(RefCell::new(d))))
            }
            ExprKind::Dict(items) => {
                let mut d = Dict::default();
                for item in items {
                    match item {
                        DictItem::Pair(k, v) => {
                            let k = self.eval(k)?;
                            let v = self.eval(v)?;
                            d.insert(k.key()?, (k, v));
                        }
                        DictItem::Unpack(m) => {
                            let m = self.eval(m)?;
                            for (k, v) in self.mapping_items(&m)? {
                                d.insert(k.key()?, (k, v));
                            }
                        }
                    }
                }
                Ok(new_dict(d))
            }
            ExprKind::Starred(_) => Err(raise("SyntaxError", "can't use starred expression here")),
            ExprKind::Lambda { params, body } => {
                let info = Rc::new(FuncInfo::lambda(params));
                let code = Code {
                    name: "<lambda>".into(),
                    params: (**params).clone(),
                    body: Body::Expr((**body).clone()),
                    info,
                    source: self.frame().source.clone(),
                };
                self.make_function(Rc::new(code))
            }
            ExprKind::Slice { lower, upper, step } => {
                let mut part = |x: &Option<Box<Expr>>| -> PyResult<Value> {
                    match x {
                        Some(x) => self.eval(x),
                        None => Ok(Value::None),
                    }
                };
                Ok(Value::Slice(Rc::new([part(lower)?, part(upper)?, part(step)?])))
            }
            ExprKind::ListComp { elt, generators } | ExprKind::GeneratorExp { elt, generators } => {
                let mut out = Vec::new();
                self.comprehension(generators, &mut |me| {
                    out.push(me.eval(elt)?);
                    Ok(())
                })?;
                Ok(Value::list(out)).map(|v| {
                    if matches!(e.kind, ExprKind::GeneratorExp { .. }) {
                        self.iter_of(&v)
                    } else {
                        Ok(v)
                    }
                })?
            }
            ExprKind::SetComp { elt, generators } => {
                let mut d = Dict::default();
                self.comprehension(generators, &mut |me| {
                    let v = me.eval(elt)?;
                    d.insert(v.key()?, (v, Value::None));
                    Ok(())
                })?;
                Ok(Value::Set(Rc::new(RefCell::new(d))))
            }
            ExprKind::DictComp { key, value, generators } => {
                let mut d = Dict::default();
                self.comprehension(generators, &mut |me| {
                    let k = me.eval(key)?;
                    let v = me.eval(value)?;
                    d.insert(k.key()?, (k, v));
                    Ok(())
                })?;
                Ok(new_dict(d))
            }
        }
    }

    /// Items of a display, expanding `*iterable`.
    fn eval_items(&mut self, items: &[Expr]) -> PyResult<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        for x in items {
            if let ExprKind::Starred(inner) = &x.kind {
                let v = self.eval(inner)?;
                out.extend(self.to_vec(&v)?);
            } else {
                out.push(self.eval(x)?);
            }
        }
        Ok(out)
    }

    /// Runs a comprehension's loops in a scope of its own, calling `body` per item.
    fn comprehension(
        &mut self,
        gens: &[Comprehension],
        body: &mut dyn FnMut(&mut Interp) -> PyResult<()>,
    ) -> PyResult<()> {
        // The first iterable is evaluated in the enclosing scope, as in Python.
        let first = self.eval(&gens[0].iter)?;
        let parent = self.frame().scope.clone();
        let scope = Scope::new(ScopeKind::Function, Some(parent), None);
        let old = std::mem::replace(&mut self.frames.last_mut().expect("frame").scope, scope);
        let r = self.comp_level(gens, 0, first, body);
        self.frames.last_mut().expect("frame").scope = old;
        r
    }

    fn comp_level(
        &mut self,
        gens: &[Comprehension],
        level: usize,
        iterable: Value,
        body: &mut dyn FnMut(&mut Interp) -> PyResult<()>,
    ) -> PyResult<()> {
        let g = &gens[level];
        let it = self.iter_of(&iterable)?;
        'items: while let Some(x) = self.next_of(&it)? {
            self.assign(&g.target, x)?;
            for cond in &g.ifs {
                let c = self.eval(cond)?;
                if !self.truthy(&c)? {
                    continue 'items;
                }
            }
            if level + 1 == gens.len() {
                body(self)?;
            } else {
                let next = self.eval(&gens[level + 1].iter)?;
                self.comp_level(gens, level + 1, next, body)?;
            }
        }
        Ok(())
    }

    fn fstring(&mut self, parts: &[FStringPart]) -> PyResult<String> {
        let mut out = String::new();
        for p in parts {
            match p {
                FStringPart::Literal(s) => out.push_str(s),
                FStringPart::Field { expr, conversion, format_spec } => {
                    let v = self.eval(expr)?;
                    let spec = match format_spec {
                        Some(parts) => self.fstring(parts)?,
                        None => String::new(),
                    };
                    let v = match conversion {
                        Some('r') | Some('a') => Value::Str(self.repr_of(&v)?.into()),
                        Some('s') => Value::Str(self.str_of(&v)?.into()),
                        _ => v,
                    };
                    out.push_str(&self.format_value(&v, &spec)?);
                }
            }
        }
        Ok(out)
    }

    /// `format(v, spec)`.
    pub fn format_value(&mut self, v: &Value, spec: &str) -> PyResult<String> {
        match v {
            Value::Int(i) => format_int(*i, spec),
            Value::Bool(b) if spec.is_empty() => Ok(if *b { "True" } else { "False" }.into()),
            Value::Bool(b) => format_int(*b as i64, spec),
            Value::Float(f) => format_float(*f, spec),
            Value::Str(s) => format_str(s, spec),
            Value::Tensor(_) | Value::Variable(_) | Value::Array(_) if !spec.is_empty() => {
                let scalar = crate::tf::scalar_value(v)?;
                self.format_value(&scalar, spec)
            }
            Value::Instance(_) => {
                if let Some(r) = self.call_dunder(v, "__format__", vec![Value::str(spec)])? {
                    return self.str_of(&r);
                }
                let s = self.str_of(v)?;
                format_str(&s, spec)
            }
            _ => {
                let s = self.str_of(v)?;
                if spec.is_empty() {
                    Ok(s)
                } else {
                    Err(raise("TypeError", format!("unsupported format string passed to {}.__format__", v.type_name())))
                }
            }
        }
    }

    /// Creates a function value for `code` in the current scope.
    pub(crate) fn make_function(&mut self, code: Rc<Code>) -> PyResult<Value> {
        let (defaults, kw_defaults) = self.eval_defaults(&code.params)?;
        let scope = &self.frame().scope;
        // Functions close over function scopes only; class bodies are skipped.
        let mut closure = Some(scope.clone());
        while let Some(s) = &closure {
            match s.kind {
                ScopeKind::Class => closure = s.parent.clone(),
                ScopeKind::Module => {
                    closure = None;
                    break;
                }
                ScopeKind::Function => break,
            }
        }
        Ok(Value::Function(Rc::new(Function {
            code,
            defaults,
            kw_defaults,
            closure,
            globals: self.globals.clone(),
            class: RefCell::new(None),
        })))
    }

    fn eval_defaults(&mut self, p: &Params) -> PyResult<(Vec<Value>, Vec<Option<Value>>)> {
        let mut defaults = Vec::new();
        for a in &p.args {
            if let Some(d) = &a.default {
                defaults.push(self.eval(d)?);
            }
        }
        let mut kw = Vec::new();
        for a in &p.kwonly {
            kw.push(match &a.default {
                Some(d) => Some(self.eval(d)?),
                None => None,
            });
        }
        Ok((defaults, kw))
    }

    fn eval_call(&mut self, func: &Expr, args: &[Arg]) -> PyResult<Value> {
        // `super()` needs the calling frame, so it is resolved here.
        if let ExprKind::Name(n) = &func.kind {
            if n == "super" && args.is_empty() && self.frame().scope.get("super").is_none() {
                return self.zero_arg_super();
            }
        }
        let f = self.eval(func)?;
        let mut a = Args { pos: Vec::with_capacity(args.len()), kw: Vec::new() };
        for arg in args {
            match arg {
                Arg::Positional(x) => a.pos.push(self.eval(x)?),
                Arg::Keyword(k, x) => {
                    let v = self.eval(x)?;
                    a.kw.push((k.name.as_str().into(), v));
                }
                Arg::Star(x) => {
                    let v = self.eval(x)?;
                    a.pos.extend(self.to_vec(&v)?);
                }
                Arg::DoubleStar(x) => {
                    let m = self.eval(x)?;
                    for (k, v) in self.mapping_items(&m)? {
                        match k {
                            Value::Str(s) => a.kw.push((s, v)),
                            _ => return Err(raise("TypeError", "keywords must be strings")),
                        }
                    }
                }
            }
        }
        self.call(&f, a)
    }

    /// `(key, value)` pairs of a dict (for `**m`).
    pub(crate) fn mapping_items(&mut self, m: &Value) -> PyResult<Vec<(Value, Value)>> {
        match m {
            Value::Dict(d) => Ok(d.borrow().values().cloned().collect()),
            other => Err(raise("TypeError", format!("'{}' object is not a mapping", other.type_name()))),
        }
    }

    fn zero_arg_super(&mut self) -> PyResult<Value> {
        let frame = self.frame();
        let class = frame.function.as_ref().and_then(|f| f.class.borrow().as_ref().and_then(|w| w.upgrade()));
        let Some(class) = class else {
            return Err(raise("RuntimeError", "super(): no arguments"));
        };
        let first = frame
            .function
            .as_ref()
            .and_then(|f| f.code.params.args.first().map(|p| p.name.name.clone()))
            .and_then(|n| frame.scope.get(&n))
            .ok_or_else(|| raise("RuntimeError", "super(): no arguments"))?;
        Ok(Value::Native(Rc::new(Super { class, this: first })))
    }

    /// Resolves a name: local, enclosing functions, globals, builtins.
    pub fn lookup(&mut self, name: &str) -> PyResult<Value> {
        let scope = &self.frame().scope;
        if let Some(v) = scope.vars.borrow().get(name) {
            return Ok(v.clone());
        }
        if let Some(info) = &scope.info {
            if info.locals.contains(name) {
                return Err(raise(
                    "UnboundLocalError",
                    format!("cannot access local variable '{name}' where it is not associated with a value"),
                ));
            }
        }
        if scope.kind != ScopeKind::Module {
            let global_decl = scope.info.as_ref().is_some_and(|i| i.globals.contains(name));
            if !global_decl {
                let mut p = scope.parent.clone();
                while let Some(s) = p {
                    if s.kind == ScopeKind::Module {
                        break;
                    }
                    if let Some(v) = s.vars.borrow().get(name) {
                        return Ok(v.clone());
                    }
                    p = s.parent.clone();
                }
            }
            if let Some(v) = self.globals.vars.borrow().get(name) {
                return Ok(v.clone());
            }
        }
        if let Some(v) = self.builtins.get(name) {
            return Ok(v.clone());
        }
        Err(raise("NameError", format!("name '{name}' is not defined")))
    }

    /// Binds a name in the current scope, honouring `global`/`nonlocal`.
    pub fn store(&mut self, name: &str, v: Value) -> PyResult<()> {
        let scope = &self.frame().scope;
        if let Some(info) = &scope.info {
            if info.globals.contains(name) {
                self.globals.set(name, v);
                return Ok(());
            }
            if info.nonlocals.contains(name) {
                let mut p = scope.parent.clone();
                while let Some(s) = p {
                    if s.kind == ScopeKind::Function && s.vars.borrow().contains_key(name) {
                        s.set(name, v);
                        return Ok(());
                    }
                    p = s.parent.clone();
                }
                return Err(raise("SyntaxError", format!("no binding for nonlocal '{name}' found")));
            }
        }
        scope.set(name, v);
        Ok(())
    }

    /// Attribute lookup (`v.name`).
    pub fn get_attr(&mut self, v: &Value, name: &str) -> PyResult<Value> {
        match v {
            Value::Instance(i) => {
                if let Some(x) = i.dict.borrow().get(name) {
                    return Ok(x.clone());
                }
                match i.class.lookup(name) {
                    Some(x) => self.bind_class_attr(x, v, &Value::Class(i.class.clone())),
                    None => {
                        if name == "__class__" {
                            return Ok(Value::Class(i.class.clone()));
                        }
                        if name == "__dict__" {
                            let mut d = Dict::default();
                            for (k, x) in i.dict.borrow().iter() {
                                d.insert(super::value::Key::Str(k.clone()), (Value::Str(k.clone()), x.clone()));
                            }
                            return Ok(new_dict(d));
                        }
                        if let Some(g) = i.class.lookup("__getattr__") {
                            return self.call(&g, Args::positional(vec![v.clone(), Value::str(name)]));
                        }
                        Err(raise("AttributeError", format!("'{}' object has no attribute '{name}'", i.class.name)))
                    }
                }
            }
            Value::Class(c) => match c.lookup(name) {
                Some(Value::Descriptor(d)) if d.0 == Descriptor::ClassMethod => {
                    Ok(Value::Method(Rc::new((v.clone(), d.1.clone()))))
                }
                Some(Value::Descriptor(d)) if d.0 == Descriptor::Static => Ok(d.1.clone()),
                Some(x) => Ok(x),
                None if name == "__name__" => Ok(Value::Str(c.name.clone())),
                None => Err(raise("AttributeError", format!("type object '{}' has no attribute '{name}'", c.name))),
            },
            Value::Module(m) => m
                .attrs
                .borrow()
                .get(name)
                .cloned()
                .ok_or_else(|| raise("AttributeError", format!("module '{}' has no attribute '{name}'", m.name))),
            Value::Native(n) => n
                .get_attr(v, name)
                .ok_or_else(|| raise("AttributeError", format!("'{}' object has no attribute '{name}'", n.type_name())))
                .and_then(|x| match x {
                    // Tables return property-like getters as descriptors.
                    Value::Descriptor(d) if d.0 == Descriptor::Property => self.call(&d.1, Args::default()),
                    x => Ok(x),
                }),
            Value::Function(f) if name == "__name__" => Ok(Value::Str(f.code.name.clone())),
            Value::Type(t) if name == "__name__" => Ok(Value::str(t.name())),
            Value::Tensor(_) | Value::Variable(_) | Value::Array(_) | Value::DType(_) => {
                crate::tf::get_attr(self, v, name)
            }
            _ => super::methods::builtin_method(v, name).ok_or_else(|| {
                raise("AttributeError", format!("'{}' object has no attribute '{name}'", v.type_name()))
            }),
        }
    }

    /// Binds a class attribute found through an instance (methods, properties...).
    fn bind_class_attr(&mut self, x: Value, this: &Value, class: &Value) -> PyResult<Value> {
        Ok(match x {
            Value::Function(_) => Value::Method(Rc::new((this.clone(), x))),
            Value::Builtin(b) if b.bound.is_none() => {
                Value::Builtin(Rc::new(Builtin { name: b.name, f: b.f, bound: Some(this.clone()) }))
            }
            Value::Descriptor(d) => match d.0 {
                Descriptor::Static => d.1.clone(),
                Descriptor::ClassMethod => Value::Method(Rc::new((class.clone(), d.1.clone()))),
                Descriptor::Property => self.call(&d.1, Args::positional(vec![this.clone()]))?,
            },
            // Engine objects that bind to instances (a `tf.function` method).
            Value::Native(ref n) => match n.get_attr(&x, "__get__") {
                Some(get) => self.call(&get, Args::positional(vec![this.clone()]))?,
                None => x,
            },
            other => other,
        })
    }

    /// Attribute assignment (`v.name = x`).
    pub fn set_attr(&mut self, v: &Value, name: &str, x: Value) -> PyResult<()> {
        match v {
            Value::Instance(i) => {
                if let Some(f) = i.class.lookup("__setattr__") {
                    self.call(&f, Args::positional(vec![v.clone(), Value::str(name), x]))?;
                    return Ok(());
                }
                i.dict.borrow_mut().insert(name.into(), x);
                Ok(())
            }
            Value::Class(c) => {
                c.dict.borrow_mut().insert(name.into(), x);
                Ok(())
            }
            Value::Module(m) => {
                m.set(name, x);
                Ok(())
            }
            _ => Err(raise("AttributeError", format!("'{}' object has no attribute '{name}'", v.type_name()))),
        }
    }

    /// `v[i]`.
    pub fn get_item(&mut self, v: &Value, i: &Value) -> PyResult<Value> {
        match (v, i) {
            (Value::List(l), Value::Int(k)) => {
                let l = l.borrow();
                let idx = norm_index(*k, l.len()).ok_or_else(|| raise("IndexError", "list index out of range"))?;
                Ok(l[idx].clone())
            }
            (Value::Tuple(t), Value::Int(k)) => {
                let idx = norm_index(*k, t.len()).ok_or_else(|| raise("IndexError", "tuple index out of range"))?;
                Ok(t[idx].clone())
            }
            (Value::Str(s), Value::Int(k)) => {
                let n = s.chars().count();
                let idx = norm_index(*k, n).ok_or_else(|| raise("IndexError", "string index out of range"))?;
                Ok(Value::Str(s.chars().nth(idx).map(String::from).unwrap_or_default().into()))
            }
            (Value::List(_) | Value::Tuple(_) | Value::Str(_), Value::Bool(b)) => {
                self.get_item(v, &Value::Int(*b as i64))
            }
            (Value::List(l), Value::Slice(s)) => {
                let items = l.borrow();
                let idx = slice_indices(s, items.len())?;
                Ok(Value::list(idx.into_iter().map(|i| items[i].clone()).collect()))
            }
            (Value::Tuple(t), Value::Slice(s)) => {
                let idx = slice_indices(s, t.len())?;
                Ok(Value::tuple(idx.into_iter().map(|i| t[i].clone()).collect()))
            }
            (Value::Str(st), Value::Slice(s)) => {
                let chars: Vec<char> = st.chars().collect();
                let idx = slice_indices(s, chars.len())?;
                Ok(Value::Str(idx.into_iter().map(|i| chars[i]).collect::<String>().into()))
            }
            (Value::Range(a, b, st), Value::Int(k)) => {
                let n = super::ops::range_len(*a, *b, *st);
                let idx =
                    norm_index(*k, n as usize).ok_or_else(|| raise("IndexError", "range object index out of range"))?;
                Ok(Value::Int((*a as i128 + *st as i128 * idx as i128) as i64))
            }
            (Value::Dict(d), k) => {
                let key = k.key()?;
                if let Some((_, x)) = d.borrow().get(&key) {
                    return Ok(x.clone());
                }
                Err(super::exceptions::raise_value(super::exceptions::new_exception(
                    super::exceptions::exception_class("KeyError"),
                    vec![k.clone()],
                )))
            }
            (Value::Instance(_), _) => match self.call_dunder(v, "__getitem__", vec![i.clone()])? {
                Some(x) => Ok(x),
                None => Err(raise("TypeError", format!("'{}' object is not subscriptable", v.type_name()))),
            },
            (Value::Tensor(_) | Value::Variable(_) | Value::Array(_), _) => crate::tf::get_item(self, v, i),
            (Value::List(_) | Value::Tuple(_), _) => Err(raise(
                "TypeError",
                format!("{} indices must be integers or slices, not {}", v.type_name(), i.type_name()),
            )),
            _ => Err(raise("TypeError", format!("'{}' object is not subscriptable", v.type_name()))),
        }
    }

    /// `v[i] = x`.
    pub fn set_item(&mut self, v: &Value, i: &Value, x: Value) -> PyResult<()> {
        match (v, i) {
            (Value::List(l), Value::Int(k)) => {
                let mut l = l.borrow_mut();
                let n = l.len();
                let idx = norm_index(*k, n).ok_or_else(|| raise("IndexError", "list assignment index out of range"))?;
                l[idx] = x;
                Ok(())
            }
            (Value::List(l), Value::Slice(s)) => {
                let items = self.to_vec(&x)?;
                let mut l = l.borrow_mut();
                let n = l.len() as i64;
                let get = |v: &Value, d: i64| match v {
                    Value::Int(i) => (if *i < 0 { (i + n).max(0) } else { (*i).min(n) }) as usize,
                    _ => d as usize,
                };
                if !s[2].is_none() {
                    return Err(raise("ValueError", "extended slice assignment is not supported"));
                }
                let lo = get(&s[0], 0);
                let hi = get(&s[1], n).max(lo);
                l.splice(lo..hi, items);
                Ok(())
            }
            (Value::Dict(d), k) => {
                let key = k.key()?;
                d.borrow_mut().insert(key, (k.clone(), x));
                Ok(())
            }
            (Value::Instance(_), _) => match self.call_dunder(v, "__setitem__", vec![i.clone(), x])? {
                Some(_) => Ok(()),
                None => Err(raise("TypeError", format!("'{}' object does not support item assignment", v.type_name()))),
            },
            _ => Err(raise("TypeError", format!("'{}' object does not support item assignment", v.type_name()))),
        }
    }
}

/// A non-negative index for `k` into a sequence of length `n`.
pub fn norm_index(k: i64, n: usize) -> Option<usize> {
    let n = n as i64;
    let k = if k < 0 { k + n } else { k };
    (0..n).contains(&k).then_some(k as usize)
}

/// The indices a slice selects from a sequence of length `n`.
pub fn slice_indices(s: &[Value; 3], n: usize) -> PyResult<Vec<usize>> {
    let n = n as i64;
    let int = |v: &Value| -> PyResult<Option<i64>> {
        match v {
            Value::None => Ok(None),
            Value::Int(i) => Ok(Some(*i)),
            Value::Bool(b) => Ok(Some(*b as i64)),
            _ => Err(raise("TypeError", "slice indices must be integers or None")),
        }
    };
    let step = int(&s[2])?.unwrap_or(1);
    if step == 0 {
        return Err(raise("ValueError", "slice step cannot be zero"));
    }
    let clamp = |v: Option<i64>, default: i64| -> i64 {
        match v {
            None => default,
            Some(i) => {
                let i = if i < 0 { i + n } else { i };
                if step > 0 {
                    i.clamp(0, n)
                } else {
                    i.clamp(-1, n - 1)
                }
            }
        }
    };
    let (lo, hi) = if step > 0 {
        (clamp(int(&s[0])?, 0), clamp(int(&s[1])?, n))
    } else {
        (clamp(int(&s[0])?, n - 1), clamp(int(&s[1])?, -1))
    };
    let mut out = Vec::new();
    let mut i = lo;
    while (step > 0 && i < hi) || (step < 0 && i > hi) {
        out.push(i as usize);
        i += step;
    }
    Ok(out)
}

/// `super()`: attribute lookup starting after the defining class.
struct Super {
    class: Rc<super::value::Class>,
    this: Value,
}

fn object_init(_: &mut Interp, this: Option<&Value>, args: Args) -> PyResult<Value> {
    if let Some(Value::Instance(i)) = this {
        if i.class.derives_from_named("BaseException") {
            i.dict.borrow_mut().insert("args".into(), Value::tuple(args.pos));
        }
    }
    Ok(Value::None)
}

impl super::value::NativeObject for Super {
    fn type_name(&self) -> &str {
        "super"
    }
    fn get_attr(&self, _this: &Value, name: &str) -> Option<Value> {
        let found = self.class.base.as_ref().and_then(|b| b.lookup(name));
        match found {
            Some(Value::Function(f)) => Some(Value::Method(Rc::new((self.this.clone(), Value::Function(f))))),
            Some(Value::Descriptor(d)) if d.0 == Descriptor::Property => Some(Value::Descriptor(Rc::new((
                Descriptor::Property,
                Value::Method(Rc::new((self.this.clone(), d.1.clone()))),
            )))),
            Some(Value::Descriptor(d)) if d.0 == Descriptor::ClassMethod => {
                let class = match &self.this {
                    Value::Instance(i) => Value::Class(i.class.clone()),
                    other => other.clone(),
                };
                Some(Value::Method(Rc::new((class, d.1.clone()))))
            }
            Some(Value::Descriptor(d)) => Some(d.1.clone()),
            Some(Value::Builtin(b)) => {
                Some(Value::Builtin(Rc::new(Builtin { name: b.name, f: b.f, bound: Some(self.this.clone()) })))
            }
            Some(other) => Some(other),
            None if name == "__init__" => Some(Value::Builtin(Rc::new(Builtin {
                name: "__init__",
                f: object_init,
                bound: Some(self.this.clone()),
            }))),
            None => None,
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
