//! Calling: argument binding for script functions, bound methods, class instantiation and
//! native functions.

use super::exceptions::{new_exception, raise, Ctrl, PyResult};
use super::scope::{Scope, ScopeKind};
use super::value::{new_dict, Args, Body, Dict, Function, Instance, Value};
use super::{Frame, Interp};
use std::cell::RefCell;
use std::rc::Rc;

/// Stack left below which a call continues on a fresh segment, so deep recursion reaches
/// `RecursionError` instead of overflowing the thread's stack.
const RED_ZONE: usize = 256 * 1024;
const SEGMENT: usize = 4 * 1024 * 1024;

impl Interp {
    /// Calls any callable value.
    pub fn call(&mut self, f: &Value, mut args: Args) -> PyResult<Value> {
        match f {
            Value::Function(func) => {
                let func = func.clone();
                stacker::maybe_grow(RED_ZONE, SEGMENT, || self.call_function(&func, args))
            }
            Value::Builtin(b) => (b.f)(self, b.bound.as_ref(), args),
            Value::Method(m) => {
                args.pos.insert(0, m.0.clone());
                self.call(&m.1.clone(), args)
            }
            Value::Class(c) => {
                let c = c.clone();
                let init = c.lookup("__init__");
                if c.derives_from_named("BaseException") && !matches!(init, Some(Value::Function(_))) {
                    return Ok(new_exception(c, args.pos));
                }
                let inst =
                    Value::Instance(Rc::new(Instance { class: c.clone(), dict: RefCell::new(Default::default()) }));
                if c.derives_from_named("BaseException") {
                    if let Value::Instance(i) = &inst {
                        i.dict.borrow_mut().insert("args".into(), Value::tuple(args.pos.clone()));
                    }
                }
                match init {
                    Some(init) => {
                        args.pos.insert(0, inst.clone());
                        let r = self.call(&init, args)?;
                        if !r.is_none() {
                            return Err(raise("TypeError", "__init__() should return None"));
                        }
                    }
                    None if !args.pos.is_empty() || !args.kw.is_empty() => {
                        return Err(raise("TypeError", format!("{}() takes no arguments", c.name)));
                    }
                    None => {}
                }
                Ok(inst)
            }
            Value::Type(t) => super::builtins::call_type(self, *t, args),
            Value::Instance(i) => match i.class.lookup("__call__") {
                // A `tf.function` method binds itself to the instance (one cache per instance).
                Some(Value::Native(_)) => {
                    let call = self.get_attr(f, "__call__")?;
                    self.call(&call, args)
                }
                Some(call) => {
                    args.pos.insert(0, f.clone());
                    self.call(&call, args)
                }
                None => Err(raise("TypeError", format!("'{}' object is not callable", i.class.name))),
            },
            Value::Native(n) => match n.get_attr(f, "__call__") {
                Some(call) => self.call(&call, args),
                None => Err(raise("TypeError", format!("'{}' object is not callable", n.type_name()))),
            },
            other => Err(raise("TypeError", format!("'{}' object is not callable", other.type_name()))),
        }
    }

    fn call_function(&mut self, func: &Rc<Function>, args: Args) -> PyResult<Value> {
        let code = &func.code;
        let scope = Scope::new(ScopeKind::Function, func.closure.clone(), Some(code.info.clone()));
        self.bind(func, &scope, args)?;
        self.push_frame(Frame {
            scope,
            function: Some(func.clone()),
            source: code.source.clone(),
            name: code.name.clone(),
        })?;
        let result = match &code.body {
            Body::Block(stmts) => match self.exec_block(stmts) {
                Ok(()) => Ok(Value::None),
                Err(Ctrl::Return(v)) => Ok(v),
                Err(Ctrl::Raise(mut e)) => {
                    // The caller records its own position next.
                    e.located = false;
                    Err(Ctrl::Raise(e))
                }
                Err(_) => Err(raise("SyntaxError", "'break' or 'continue' outside loop")),
            },
            Body::Expr(e) => self.eval(e).map_err(|c| match c {
                Ctrl::Raise(mut e) => {
                    e.located = false;
                    Ctrl::Raise(e)
                }
                other => other,
            }),
        };
        self.pop_frame();
        result
    }

    fn bind(&mut self, func: &Function, scope: &Scope, args: Args) -> PyResult<()> {
        let p = &func.code.params;
        let name = &func.code.name;
        let n_params = p.args.len();
        let mut pos = args.pos.into_iter();
        let mut filled = vec![false; n_params];
        for (i, param) in p.args.iter().enumerate() {
            match pos.next() {
                Some(v) => {
                    scope.set(&param.name.name, v);
                    filled[i] = true;
                }
                None => break,
            }
        }
        let extra: Vec<Value> = pos.collect();
        match &p.vararg {
            Some(va) => scope.set(&va.name.name, Value::tuple(extra)),
            None if !extra.is_empty() => {
                let given = n_params + extra.len();
                let req = n_params - func.defaults.len();
                let takes = if req == n_params { format!("{n_params}") } else { format!("from {req} to {n_params}") };
                return Err(raise(
                    "TypeError",
                    format!(
                        "{name}() takes {takes} positional argument{} but {given} {} given",
                        if n_params == 1 && req == n_params { "" } else { "s" },
                        if given == 1 { "was" } else { "were" }
                    ),
                ));
            }
            None => {}
        }
        let mut kwargs = Dict::default();
        for (k, v) in args.kw {
            if let Some(i) = p.args.iter().position(|a| *a.name.name == *k) {
                if filled[i] {
                    return Err(raise("TypeError", format!("{name}() got multiple values for argument '{k}'")));
                }
                filled[i] = true;
                scope.set(&k, v);
            } else if p.kwonly.iter().any(|a| *a.name.name == *k) {
                scope.set(&k, v);
            } else if p.kwarg.is_some() {
                kwargs.insert(super::value::Key::Str(k.clone()), (Value::Str(k), v));
            } else {
                return Err(raise("TypeError", format!("{name}() got an unexpected keyword argument '{k}'")));
            }
        }
        let first_default = n_params - func.defaults.len();
        let mut missing = Vec::new();
        for (i, param) in p.args.iter().enumerate() {
            if !filled[i] {
                if i >= first_default {
                    scope.set(&param.name.name, func.defaults[i - first_default].clone());
                } else {
                    missing.push(format!("'{}'", param.name.name));
                }
            }
        }
        if !missing.is_empty() {
            let list = match missing.len() {
                1 => missing[0].clone(),
                n => format!("{} and {}", missing[..n - 1].join(", "), missing[n - 1]),
            };
            return Err(raise(
                "TypeError",
                format!(
                    "{name}() missing {} required positional argument{}: {list}",
                    missing.len(),
                    if missing.len() == 1 { "" } else { "s" }
                ),
            ));
        }
        for (param, default) in p.kwonly.iter().zip(&func.kw_defaults) {
            if scope.get(&param.name.name).is_none() {
                match default {
                    Some(d) => scope.set(&param.name.name, d.clone()),
                    None => {
                        return Err(raise(
                            "TypeError",
                            format!("{name}() missing 1 required keyword-only argument: '{}'", param.name.name),
                        ))
                    }
                }
            }
        }
        if let Some(kw) = &p.kwarg {
            scope.set(&kw.name.name, new_dict(kwargs));
        }
        Ok(())
    }
}
