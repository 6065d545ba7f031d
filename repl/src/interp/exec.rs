//! Statement execution.

use super::exceptions::{exception_class, new_exception, raise, raise_value, Ctrl, PyErr, PyResult};
use super::scope::{FuncInfo, Scope, ScopeKind};
use super::value::{Args, Body, Class, Code, Descriptor, Value};
use super::{autograph, Interp};
use crate::ast::{ExceptHandler, Expr, ExprKind, Stmt, StmtKind};
use std::cell::RefCell;
use std::rc::Rc;

impl Interp {
    /// Runs a block of statements.
    pub fn exec_block(&mut self, stmts: &[Stmt]) -> PyResult<()> {
        for s in stmts {
            self.exec(s)?;
        }
        Ok(())
    }

    /// Runs one statement; an exception leaving it records the statement's position.
    pub fn exec(&mut self, s: &Stmt) -> PyResult<()> {
        match self.exec_inner(s) {
            Ok(()) => Ok(()),
            Err(c) => Err(self.locate(c, s.span)),
        }
    }

    fn exec_inner(&mut self, s: &Stmt) -> PyResult<()> {
        match &s.kind {
            StmtKind::Expr(e) => {
                self.eval(e)?;
            }
            StmtKind::Assign { targets, value } => {
                let v = self.eval(value)?;
                for t in targets {
                    self.assign(t, v.clone())?;
                }
            }
            StmtKind::AugAssign { target, op, value } => match &target.kind {
                ExprKind::Name(n) => {
                    let cur = self.lookup(n).map_err(|c| self.locate(c, target.span))?;
                    let v = self.eval(value)?;
                    let r = self.inplace(*op, &cur, &v)?;
                    self.store(n, r)?;
                }
                ExprKind::Attribute { value: obj, attr } => {
                    let o = self.eval(obj)?;
                    let cur = self.get_attr(&o, &attr.name)?;
                    let v = self.eval(value)?;
                    let r = self.inplace(*op, &cur, &v)?;
                    self.set_attr(&o, &attr.name, r)?;
                }
                ExprKind::Subscript { value: obj, index } => {
                    let o = self.eval(obj)?;
                    let i = self.eval(index)?;
                    let cur = self.get_item(&o, &i)?;
                    let v = self.eval(value)?;
                    let r = self.inplace(*op, &cur, &v)?;
                    self.set_item(&o, &i, r)?;
                }
                _ => return Err(raise("SyntaxError", "illegal expression for augmented assignment")),
            },
            StmtKind::AnnAssign { target, value, .. } => {
                if let Some(v) = value {
                    let v = self.eval(v)?;
                    self.assign(target, v)?;
                }
            }
            StmtKind::FunctionDef(def) => {
                let info = Rc::new(FuncInfo::analyse(&def.params, &def.body));
                let code = Code {
                    name: def.name.name.as_str().into(),
                    params: def.params.clone(),
                    body: Body::Block(def.body.clone()),
                    info,
                    source: self.frame().source.clone(),
                };
                let mut f = self.make_function(Rc::new(code))?;
                f = self.decorate(&def.decorators, f)?;
                self.store(&def.name.name, f)?;
            }
            StmtKind::ClassDef(def) => {
                let mut base = None;
                for b in &def.bases {
                    match b {
                        crate::ast::Arg::Positional(e) => match self.eval(e)? {
                            Value::Class(c) => {
                                if base.is_some() {
                                    return Err(raise("TypeError", "multiple inheritance is not supported"));
                                }
                                base = Some(c);
                            }
                            Value::Type(super::value::BuiltinType::Object) => {}
                            other => {
                                return Err(raise(
                                    "TypeError",
                                    format!("cannot inherit from '{}' (only classes are supported)", other.type_name()),
                                ))
                            }
                        },
                        _ => return Err(raise("TypeError", "class keywords are not supported")),
                    }
                }
                let parent = self.frame().scope.clone();
                let scope = Scope::new(ScopeKind::Class, Some(parent), None);
                let old = std::mem::replace(&mut self.frames.last_mut().expect("frame").scope, scope.clone());
                let r = self.exec_block(&def.body);
                self.frames.last_mut().expect("frame").scope = old;
                r?;
                let dict = std::mem::take(&mut *scope.vars.borrow_mut());
                let class = Rc::new(Class { name: def.name.name.as_str().into(), base, dict: RefCell::new(dict) });
                for v in class.dict.borrow().values() {
                    let f = match v {
                        Value::Function(f) => Some(f),
                        Value::Descriptor(d) => match &d.1 {
                            Value::Function(f) => Some(f),
                            _ => None,
                        },
                        _ => None,
                    };
                    if let Some(f) = f {
                        *f.class.borrow_mut() = Some(Rc::downgrade(&class));
                    }
                }
                let c = self.decorate(&def.decorators, Value::Class(class))?;
                self.store(&def.name.name, c)?;
            }
            StmtKind::Return(v) => {
                let v = match v {
                    Some(e) => self.eval(e)?,
                    None => Value::None,
                };
                return Err(Ctrl::Return(v));
            }
            StmtKind::If { test, body, orelse } => {
                let t = autograph::eval_condition(self, test)?;
                if autograph::is_symbolic(&t) {
                    return autograph::exec_if(self, s, &t, body, orelse);
                }
                if self.truthy(&t)? {
                    self.exec_block(body)?;
                } else {
                    self.exec_block(orelse)?;
                }
            }
            StmtKind::While { test, body, orelse } => {
                let region = autograph::py_loop_region(body);
                let mut first = true;
                loop {
                    self.check_interrupt()?;
                    let t = autograph::eval_condition(self, test)?;
                    if autograph::is_symbolic(&t) {
                        if !first {
                            return Err(autograph::while_became_tensor());
                        }
                        return autograph::exec_while(self, s, test, &t, body, orelse);
                    }
                    first = false;
                    if !self.truthy(&t)? {
                        self.exec_block(orelse)?;
                        break;
                    }
                    match self.loop_body(s, body, region.as_ref())? {
                        autograph::PyStep::Next => {}
                        autograph::PyStep::Break => break,
                        autograph::PyStep::Symbolic => return Err(autograph::symbolic_while_exit(self, test)),
                    }
                }
            }
            StmtKind::For { target, iter, body, orelse } => {
                let it = match autograph::for_iterable(self, iter)? {
                    autograph::Iterable::Python(v) => v,
                    converted => return autograph::exec_for(self, s, target, converted, body, orelse),
                };
                self.exec_for(s, target, it, body, orelse)?;
            }
            StmtKind::Break => return Err(Ctrl::Break),
            StmtKind::Continue => return Err(Ctrl::Continue),
            StmtKind::Pass | StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            StmtKind::With { items, body } => self.exec_with(items, body)?,
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                let mut result = match self.exec_block(body) {
                    Ok(()) => self.exec_block(orelse),
                    Err(Ctrl::Raise(e)) => self.handle(e, handlers),
                    Err(other) => Err(other),
                };
                if !finalbody.is_empty() {
                    if let Err(c) = self.exec_block(finalbody) {
                        result = Err(c);
                    }
                }
                result?;
            }
            StmtKind::Raise { exc, cause } => {
                let Some(exc) = exc else {
                    return match self.handling.last() {
                        Some((v, tb)) => {
                            Err(Ctrl::Raise(Box::new(PyErr { value: v.clone(), traceback: tb.clone(), located: true })))
                        }
                        None => Err(raise("RuntimeError", "No active exception to reraise")),
                    };
                };
                let v = self.eval(exc)?;
                if let Some(c) = cause {
                    self.eval(c)?;
                }
                let v = self.exception_value(v)?;
                return Err(raise_value(v));
            }
            StmtKind::Assert { test, msg } => {
                let t = self.eval(test)?;
                if !self.truthy(&t)? {
                    let args = match msg {
                        Some(m) => vec![self.eval(m)?],
                        None => vec![],
                    };
                    return Err(raise_value(new_exception(exception_class("AssertionError"), args)));
                }
            }
            StmtKind::Delete(targets) => {
                for t in targets {
                    self.delete(t)?;
                }
            }
            StmtKind::Import(aliases) => {
                for a in aliases {
                    let m = self.import(&a.name.name)?;
                    match &a.asname {
                        Some(n) => self.store(&n.name, Value::Module(m))?,
                        None => {
                            let top = a.name.name.split('.').next().unwrap_or_default();
                            let m = self.import(top)?;
                            self.store(top, Value::Module(m))?;
                        }
                    }
                }
            }
            StmtKind::ImportFrom { module, names, level } => {
                if *level > 0 {
                    return Err(raise("ImportError", "relative imports are not supported"));
                }
                let name = module.as_ref().map(|m| m.name.clone()).unwrap_or_default();
                let m = self.import(&name)?;
                for a in names {
                    if a.name.name == "*" {
                        let all: Vec<_> = m.attrs.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                        for (k, v) in all {
                            self.store(&k, v)?;
                        }
                        continue;
                    }
                    let v = match m.attrs.borrow().get(a.name.name.as_str()) {
                        Some(v) => v.clone(),
                        None => {
                            return Err(raise(
                                "ImportError",
                                format!("cannot import name '{}' from '{}'", a.name.name, m.name),
                            ))
                        }
                    };
                    self.store(&a.asname.as_ref().unwrap_or(&a.name).name, v)?;
                }
            }
        }
        Ok(())
    }

    /// `a op= b`: lists extend in place; everything else rebinds.
    fn inplace(&mut self, op: crate::ast::BinOp, cur: &Value, v: &Value) -> PyResult<Value> {
        if let (crate::ast::BinOp::Add, Value::List(l)) = (op, cur) {
            let items = self.to_vec(v)?;
            l.borrow_mut().extend(items);
            return Ok(cur.clone());
        }
        if let Value::Instance(_) = cur {
            let name = match op {
                crate::ast::BinOp::Add => Some("__iadd__"),
                crate::ast::BinOp::Sub => Some("__isub__"),
                crate::ast::BinOp::Mul => Some("__imul__"),
                _ => None,
            };
            if let Some(n) = name {
                if let Some(r) = self.call_dunder(cur, n, vec![v.clone()])? {
                    return Ok(r);
                }
            }
        }
        self.binary(op, cur, v)
    }

    fn decorate(&mut self, decorators: &[Expr], mut v: Value) -> PyResult<Value> {
        for d in decorators.iter().rev() {
            let f = self.eval(d)?;
            v = self.call(&f, Args::positional(vec![v])).map_err(|c| self.locate(c, d.span))?;
        }
        Ok(v)
    }

    /// Turns what `raise X` was given into an exception instance.
    fn exception_value(&mut self, v: Value) -> PyResult<Value> {
        match &v {
            Value::Class(c) if c.derives_from_named("BaseException") => self.call(&v, Args::default()),
            Value::Instance(i) if i.class.derives_from_named("BaseException") => Ok(v),
            _ => Err(raise("TypeError", "exceptions must derive from BaseException")),
        }
    }

    fn handle(&mut self, e: Box<PyErr>, handlers: &[ExceptHandler]) -> PyResult<()> {
        for h in handlers {
            let matches = match &h.typ {
                None => true,
                Some(t) => {
                    let t = self.eval(t)?;
                    self.exception_matches(&e.value, &t)?
                }
            };
            if !matches {
                continue;
            }
            if let Some(n) = &h.name {
                self.store(&n.name, e.value.clone())?;
            }
            self.handling.push((e.value.clone(), e.traceback.clone()));
            let r = self.exec_block(&h.body);
            self.handling.pop();
            if let Some(n) = &h.name {
                self.frame().scope.vars.borrow_mut().remove(n.name.as_str());
            }
            return r;
        }
        Err(Ctrl::Raise(e))
    }

    /// Whether exception `v` is an instance of `t` (a class or tuple of classes).
    pub(crate) fn exception_matches(&mut self, v: &Value, t: &Value) -> PyResult<bool> {
        match t {
            Value::Class(c) => Ok(match v {
                Value::Instance(i) => i.class.is_subclass(c),
                _ => false,
            }),
            Value::Tuple(ts) => {
                for t in ts.iter() {
                    if self.exception_matches(v, t)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(raise("TypeError", "catching classes that do not inherit from BaseException is not allowed")),
        }
    }

    /// Runs one iteration of a Python loop's body; `region` is set while tracing a body whose
    /// exits AutoGraph tracks.
    fn loop_body(&mut self, s: &Stmt, body: &[Stmt], region: Option<&Rc<Vec<Stmt>>>) -> PyResult<autograph::PyStep> {
        if let Some(block) = region {
            return autograph::run_py_loop_body(self, s, block);
        }
        match self.exec_block(body) {
            Ok(()) | Err(Ctrl::Continue) => Ok(autograph::PyStep::Next),
            Err(Ctrl::Break) => Ok(autograph::PyStep::Break),
            Err(e) => Err(e),
        }
    }

    fn exec_for(&mut self, s: &Stmt, target: &Expr, it: Value, body: &[Stmt], orelse: &[Stmt]) -> PyResult<()> {
        let region = autograph::py_loop_region(body);
        macro_rules! step {
            ($v:expr) => {{
                self.check_interrupt()?;
                self.assign(target, $v)?;
                match self.loop_body(s, body, region.as_ref())? {
                    autograph::PyStep::Next => {}
                    autograph::PyStep::Break => return Ok(()),
                    autograph::PyStep::Symbolic => return Err(autograph::symbolic_for_exit()),
                }
            }};
        }
        match &it {
            Value::Range(a, b, s) => {
                let (mut i, b, s) = (*a, *b, *s);
                while (s > 0 && i < b) || (s < 0 && i > b) {
                    step!(Value::Int(i));
                    i = match i.checked_add(s) {
                        Some(n) => n,
                        None => break,
                    };
                }
            }
            Value::List(l) => {
                let mut k = 0;
                loop {
                    let x = l.borrow().get(k).cloned();
                    let Some(x) = x else { break };
                    step!(x);
                    k += 1;
                }
            }
            _ => {
                let iter = self.iter_of(&it)?;
                while let Some(x) = self.next_of(&iter)? {
                    step!(x);
                }
            }
        }
        self.exec_block(orelse)
    }

    fn exec_with(&mut self, items: &[crate::ast::WithItem], body: &[Stmt]) -> PyResult<()> {
        let Some((first, rest)) = items.split_first() else {
            return self.exec_block(body);
        };
        let ctx = self.eval(&first.context)?;
        let enter = self.get_attr(&ctx, "__enter__")?;
        let exit = self.get_attr(&ctx, "__exit__")?;
        let entered = self.call(&enter, Args::default())?;
        if let Some(t) = &first.target {
            self.assign(t, entered)?;
        }
        let r = self.exec_with(rest, body);
        match r {
            Err(Ctrl::Raise(e)) => {
                let typ = match &e.value {
                    Value::Instance(i) => Value::Class(i.class.clone()),
                    _ => Value::None,
                };
                let suppress = self.call(&exit, Args::positional(vec![typ, e.value.clone(), Value::None]))?;
                if self.truthy(&suppress)? {
                    Ok(())
                } else {
                    Err(Ctrl::Raise(e))
                }
            }
            other => {
                self.call(&exit, Args::positional(vec![Value::None, Value::None, Value::None]))?;
                other
            }
        }
    }

    /// Assigns to a target: a name, attribute, subscript, or (nested, starred) unpacking.
    pub fn assign(&mut self, t: &Expr, v: Value) -> PyResult<()> {
        match &t.kind {
            ExprKind::Name(n) => self.store(n, v),
            ExprKind::Attribute { value, attr } => {
                let o = self.eval(value)?;
                self.set_attr(&o, &attr.name, v)
            }
            ExprKind::Subscript { value, index } => {
                let o = self.eval(value)?;
                let i = self.eval(index)?;
                self.set_item(&o, &i, v)
            }
            ExprKind::Tuple(targets) | ExprKind::List(targets) => {
                let items = self.to_vec(&v)?;
                let star = targets.iter().position(|t| matches!(t.kind, ExprKind::Starred(_)));
                match star {
                    None => {
                        if items.len() != targets.len() {
                            return Err(raise(
                                "ValueError",
                                if items.len() > targets.len() {
                                    format!("too many values to unpack (expected {})", targets.len())
                                } else {
                                    format!(
                                        "not enough values to unpack (expected {}, got {})",
                                        targets.len(),
                                        items.len()
                                    )
                                },
                            ));
                        }
                        for (t, x) in targets.iter().zip(items) {
                            self.assign(t, x)?;
                        }
                    }
                    Some(k) => {
                        let after = targets.len() - k - 1;
                        if items.len() < k + after {
                            return Err(raise(
                                "ValueError",
                                format!(
                                    "not enough values to unpack (expected at least {}, got {})",
                                    k + after,
                                    items.len()
                                ),
                            ));
                        }
                        for (t, x) in targets[..k].iter().zip(&items) {
                            self.assign(t, x.clone())?;
                        }
                        let mid = items[k..items.len() - after].to_vec();
                        if let ExprKind::Starred(inner) = &targets[k].kind {
                            self.assign(inner, Value::list(mid))?;
                        }
                        for (t, x) in targets[k + 1..].iter().zip(&items[items.len() - after..]) {
                            self.assign(t, x.clone())?;
                        }
                    }
                }
                Ok(())
            }
            _ => Err(raise("SyntaxError", "cannot assign to expression")),
        }
    }

    fn delete(&mut self, t: &Expr) -> PyResult<()> {
        match &t.kind {
            ExprKind::Name(n) => {
                let removed = self.frame().scope.vars.borrow_mut().remove(n.as_str());
                match removed {
                    Some(_) => Ok(()),
                    None => Err(raise("NameError", format!("name '{n}' is not defined"))),
                }
            }
            ExprKind::Subscript { value, index } => {
                let o = self.eval(value)?;
                let i = self.eval(index)?;
                match (&o, &i) {
                    (Value::List(l), Value::Int(k)) => {
                        let mut l = l.borrow_mut();
                        let idx = super::eval::norm_index(*k, l.len())
                            .ok_or_else(|| raise("IndexError", "list assignment index out of range"))?;
                        l.remove(idx);
                        Ok(())
                    }
                    (Value::List(l), Value::Slice(s)) => {
                        let n = l.borrow().len();
                        let mut idx = super::eval::slice_indices(s, n)?;
                        idx.sort_unstable();
                        let mut l = l.borrow_mut();
                        for i in idx.into_iter().rev() {
                            l.remove(i);
                        }
                        Ok(())
                    }
                    (Value::Dict(d), k) => {
                        let key = k.key()?;
                        match d.borrow_mut().shift_remove(&key) {
                            Some(_) => Ok(()),
                            None => Err(raise_value(new_exception(exception_class("KeyError"), vec![k.clone()]))),
                        }
                    }
                    (Value::Instance(_), _) => match self.call_dunder(&o, "__delitem__", vec![i.clone()])? {
                        Some(_) => Ok(()),
                        None => Err(raise("TypeError", "object does not support item deletion")),
                    },
                    _ => Err(raise("TypeError", format!("'{}' object does not support item deletion", o.type_name()))),
                }
            }
            ExprKind::Attribute { value, attr } => {
                let o = self.eval(value)?;
                match &o {
                    Value::Instance(i) => match i.dict.borrow_mut().remove(attr.name.as_str()) {
                        Some(_) => Ok(()),
                        None => Err(raise("AttributeError", attr.name.clone())),
                    },
                    _ => Err(raise("AttributeError", attr.name.clone())),
                }
            }
            ExprKind::Tuple(ts) | ExprKind::List(ts) => {
                for t in ts {
                    self.delete(t)?;
                }
                Ok(())
            }
            _ => Err(raise("SyntaxError", "cannot delete expression")),
        }
    }
}

/// Wraps `f` as a class-body descriptor.
pub fn descriptor(kind: Descriptor, f: Value) -> Value {
    Value::Descriptor(Rc::new((kind, f)))
}
