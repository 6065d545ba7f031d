//! `tf.function` for functions written in the language, on the engine's tracer.
//!
//! A script function is wrapped in an engine [`Function`] built with
//! [`Function::with_body_per_call`]: the engine keeps the cache of concrete functions, the
//! retrace log and the warnings, and gets the body at each call as a closure that borrows the
//! interpreter for the duration of the call. The body runs the script function with symbolic
//! tensors; a Python exception it raises is kept aside and re-raised unchanged (with its
//! traceback) once the engine has unwound the trace.
//!
//! Arguments are bound to the script function's parameters first (defaults filled in,
//! keywords placed), so `f(x)` and `f(x=x)` share a trace and signatures name the parameters.
//! Tensors are keyed by dtype and shape, Python values by value, other objects by identity.
//!
//! `@tf.function` on a method: reading it through an instance gives a function bound to that
//! instance with its own cache (as TensorFlow binds one per instance), so every instance traces
//! with its own variables.

use super::{bound, r, to_tensor};
use crate::interp::exceptions::{engine_error, raise, Ctrl, PyResult};
use crate::interp::value::{new_dict, Args, Dict, Instance, Key, NativeModule, NativeObject, Value};
use crate::interp::Interp;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use tensile::function::{
    Arg, ArgSpec, ConcreteFunction, Function, FunctionOptions, ObjectKey, TensorSpec, TraceRecord,
};
use tensile::DType;

/// Adds `tf.function` and `tf.TensorSpec` to the module.
pub fn install(m: &NativeModule) {
    m.add_fn("function", function);
    m.add_fn("TensorSpec", tensor_spec);
}

/// What `:trace NAME` and `:graph NAME` show about a `tf.function` value.
#[derive(Clone, Debug)]
pub struct FunctionInfo {
    /// The wrapped function's name.
    pub name: String,
    /// How many times the body was traced (`experimental_get_tracing_count()`).
    pub tracing_count: usize,
    /// Every trace, oldest first, with why it was needed (`x: shape [3] → [5]`).
    pub traces: Vec<TraceRecord>,
    /// Retrace warnings issued so far.
    pub warnings: Vec<String>,
    /// The cached concrete functions, oldest first.
    pub concrete: Vec<ConcreteInfo>,
    /// For a method read from its class: the functions bound to each live instance.
    pub instances: Vec<FunctionInfo>,
}

/// One concrete function of a [`FunctionInfo`].
#[derive(Clone, Debug)]
pub struct ConcreteInfo {
    /// TensorFlow's pretty-printed signature (inputs, output type, captures).
    pub signature: String,
    /// The optimized graph a call runs, as text.
    pub graph: String,
    /// Nodes the trace produced before optimization.
    pub traced_nodes: usize,
    /// One line per optimizer pass.
    pub pass_reports: Vec<String>,
}

impl FunctionInfo {
    /// The traces and why each happened, one per line, then the warnings (`:trace NAME`).
    pub fn trace_text(&self) -> String {
        let mut s = format!(
            "tf.function '{}': traced {} time{}\n",
            self.name,
            self.tracing_count,
            if self.tracing_count == 1 { "" } else { "s" }
        );
        for (i, t) in self.traces.iter().enumerate() {
            let why = if t.reasons.is_empty() { "first trace".to_string() } else { t.reasons.join(", ") };
            s.push_str(&format!("  {}. ({}): {why}\n", i + 1, t.signature));
        }
        for w in &self.warnings {
            s.push_str(&format!("  warning: {w}\n"));
        }
        for (i, f) in self.instances.iter().enumerate() {
            s.push_str(&format!("instance {}: {}", i + 1, f.trace_text()));
        }
        s
    }

    /// Every concrete function's signature and optimized graph (`:graph NAME`).
    pub fn graph_text(&self) -> String {
        let mut s = String::new();
        for (i, c) in self.concrete.iter().enumerate() {
            s.push_str(&format!(
                "concrete function {} of '{}' ({} traced nodes)\n{}\n{}",
                i + 1,
                self.name,
                c.traced_nodes,
                c.signature,
                c.graph
            ));
        }
        for (i, f) in self.instances.iter().enumerate() {
            s.push_str(&format!("instance {}:\n{}", i + 1, f.graph_text()));
        }
        s
    }
}

impl ConcreteInfo {
    fn of(cf: &ConcreteFunction) -> ConcreteInfo {
        ConcreteInfo {
            signature: cf.pretty_printed_signature(),
            graph: cf.graph().to_string(),
            traced_nodes: cf.traced_nodes(),
            pass_reports: cf.pass_reports().to_vec(),
        }
    }
}

/// Describes a `tf.function` (or one of its concrete functions); `None` for other values.
pub fn describe_function(v: &Value) -> Option<FunctionInfo> {
    let Value::Native(n) = v else { return None };
    if let Some(f) = n.as_any().downcast_ref::<PyFunction>() {
        return Some(f.0.info());
    }
    let c = n.as_any().downcast_ref::<Concrete>()?;
    let mut info = c.owner.info();
    info.concrete = vec![ConcreteInfo::of(&c.cf)];
    Some(info)
}

/// Options given to `tf.function(...)`.
#[derive(Clone, Default)]
struct Config {
    input_signature: Option<Vec<TensorSpec>>,
    reduce_retracing: bool,
}

/// A parameter of the wrapped function, for binding call arguments.
#[derive(Clone)]
enum Slot {
    Positional(String, Option<Value>),
    VarArgs(String),
    KwOnly(String, Option<Value>),
    KwArgs(String),
}

impl Slot {
    fn name(&self) -> &str {
        match self {
            Slot::Positional(n, _) | Slot::VarArgs(n) | Slot::KwOnly(n, _) | Slot::KwArgs(n) => n,
        }
    }
}

/// The object a method's function is bound to. Instances are held weakly: the class holds
/// the method, which holds its per-instance functions, which must not keep instances alive.
#[derive(Clone)]
enum Receiver {
    Instance(Weak<Instance>),
    Other(Value),
}

impl Receiver {
    fn value(&self) -> PyResult<Value> {
        match self {
            Receiver::Instance(w) => w
                .upgrade()
                .map(Value::Instance)
                .ok_or_else(|| raise("ReferenceError", "the instance this tf.function was bound to no longer exists")),
            Receiver::Other(v) => Ok(v.clone()),
        }
    }
}

/// A `tf.function` value.
pub struct PyFunction(Rc<FnState>);

/// What a `tf.function` value holds.
struct FnState {
    name: String,
    /// The wrapped callable.
    python: Value,
    /// The instance a method is bound to (passed as the first argument, not part of the key).
    receiver: Option<Receiver>,
    /// The parameters after the receiver; `None` for a native callable (positional only).
    slots: Option<Vec<Slot>>,
    config: Config,
    engine: Function,
    /// Functions bound to instances (`tf.function` values), by instance identity.
    per_instance: RefCell<Vec<(usize, Receiver, Value)>>,
}

impl FnState {
    fn new(python: Value, receiver: Option<Receiver>, config: Config) -> PyResult<FnState> {
        let (name, slots, skip) = match &python {
            Value::Function(f) => (f.code.name.to_string(), Some(slots_of(f)), receiver.is_some()),
            Value::Method(m) => match &m.1 {
                Value::Function(f) => (f.code.name.to_string(), Some(slots_of(f)), true),
                other => (other.type_name(), None, false),
            },
            Value::Builtin(b) => (b.name.to_string(), None, false),
            Value::Native(_) | Value::Class(_) | Value::Instance(_) => ("function".to_string(), None, false),
            other => {
                return Err(raise("TypeError", format!("tf.function expects a callable, got {}", other.type_name())))
            }
        };
        let slots = slots.map(|s| if skip && !s.is_empty() { s[1..].to_vec() } else { s });
        let (python, receiver) = match (&python, receiver) {
            (Value::Method(m), None) => (m.1.clone(), Some(Receiver::Other(m.0.clone()))),
            (_, r) => (python, r),
        };
        if let (Some(sig), Some(slots)) = (&config.input_signature, &slots) {
            let positional = slots.iter().filter(|s| matches!(s, Slot::Positional(..))).count();
            if sig.len() > positional {
                return Err(raise(
                    "TypeError",
                    format!(
                        "input_signature of {name} has {} specs but the function has {positional} positional parameters",
                        sig.len()
                    ),
                ));
            }
        }
        let arg_names = match (&slots, &config.input_signature) {
            (Some(s), Some(sig)) => s.iter().take(sig.len()).map(|s| s.name().to_string()).collect(),
            (Some(s), None) => s.iter().map(|s| s.name().to_string()).collect(),
            (None, _) => Vec::new(),
        };
        let options = FunctionOptions {
            input_signature: config.input_signature.clone(),
            reduce_retracing: config.reduce_retracing,
            arg_names,
            warn_to_stderr: false,
            retrace_after_creating_variables: true,
        };
        Ok(FnState {
            engine: Function::with_body_per_call(&name, options),
            name,
            python,
            receiver,
            slots,
            config,
            per_instance: RefCell::default(),
        })
    }

    fn info(&self) -> FunctionInfo {
        let live: Vec<Value> = self
            .per_instance
            .borrow()
            .iter()
            .filter(|(_, r, _)| r.value().is_ok())
            .map(|(_, _, f)| f.clone())
            .collect();
        FunctionInfo {
            name: self.name.clone(),
            tracing_count: self.engine.tracing_count(),
            traces: self.engine.trace_log(),
            warnings: self.engine.warnings(),
            concrete: self.engine.concrete_functions().iter().map(|c| ConcreteInfo::of(c)).collect(),
            instances: live.iter().filter_map(describe_function).collect(),
        }
    }

    /// The function bound to `this` (one per instance, created on first access).
    fn bind_to(self: &Rc<Self>, this: &Value) -> PyResult<Value> {
        let (id, receiver) = match this {
            Value::Instance(i) => (Rc::as_ptr(i) as *const () as usize, Receiver::Instance(Rc::downgrade(i))),
            Value::None => return Ok(Value::Native(Rc::new(PyFunction(self.clone())))),
            other => match other.key() {
                Ok(Key::Id(id)) => (id, Receiver::Other(other.clone())),
                _ => return Ok(Value::Native(Rc::new(PyFunction(self.clone())))),
            },
        };
        let mut table = self.per_instance.borrow_mut();
        // Instances that are gone free their functions (and the graphs those hold).
        table.retain(|(_, r, _)| r.value().is_ok());
        if let Some((_, _, f)) = table.iter().find(|(i, _, _)| *i == id) {
            return Ok(f.clone());
        }
        let state = FnState::new(self.python.clone(), Some(receiver.clone()), self.config.clone())?;
        let f = Value::Native(Rc::new(PyFunction(Rc::new(state))));
        table.push((id, receiver, f.clone()));
        Ok(f)
    }

    /// Binds call arguments to the parameters: one value per slot, in order.
    fn bind_args(&self, args: Args) -> PyResult<Vec<Value>> {
        self.bind_args_with(args, &|_| None)
    }

    /// [`FnState::bind_args`] where `fixed(i)` gives parameter `i`'s value when the call omits
    /// it, before its default (a concrete function's traced Python values).
    fn bind_args_with(&self, args: Args, fixed: &dyn Fn(usize) -> Option<Value>) -> PyResult<Vec<Value>> {
        let Some(slots) = &self.slots else {
            if let Some((k, _)) = args.kw.first() {
                return Err(raise("TypeError", format!("{}() got an unexpected keyword argument '{k}'", self.name)));
            }
            return Ok(args.pos);
        };
        let name = &self.name;
        let mut values: Vec<Option<Value>> = vec![None; slots.len()];
        let mut pos = args.pos.into_iter();
        let mut extra = Vec::new();
        for (i, s) in slots.iter().enumerate() {
            if let Slot::Positional(..) = s {
                match pos.next() {
                    Some(v) => values[i] = Some(v),
                    None => break,
                }
            }
        }
        extra.extend(pos);
        let var_slot = slots.iter().position(|s| matches!(s, Slot::VarArgs(_)));
        match var_slot {
            Some(i) => values[i] = Some(Value::tuple(std::mem::take(&mut extra))),
            None if !extra.is_empty() => {
                let n = slots.iter().filter(|s| matches!(s, Slot::Positional(..))).count();
                return Err(raise(
                    "TypeError",
                    format!("{name}() takes {n} positional arguments but {} were given", n + extra.len()),
                ));
            }
            None => {}
        }
        let kw_slot = slots.iter().position(|s| matches!(s, Slot::KwArgs(_)));
        let mut kwargs = Dict::default();
        for (k, v) in args.kw {
            let found =
                slots.iter().position(|s| matches!(s, Slot::Positional(..) | Slot::KwOnly(..)) && s.name() == &*k);
            match (found, kw_slot) {
                (Some(i), _) if values[i].is_some() => {
                    return Err(raise("TypeError", format!("{name}() got multiple values for argument '{k}'")))
                }
                (Some(i), _) => values[i] = Some(v),
                (None, Some(_)) => {
                    kwargs.insert(Key::Str(k.clone()), (Value::Str(k), v));
                }
                (None, None) => {
                    return Err(raise("TypeError", format!("{name}() got an unexpected keyword argument '{k}'")))
                }
            }
        }
        if let Some(i) = kw_slot {
            values[i] = Some(new_dict(kwargs));
        }
        slots
            .iter()
            .zip(values)
            .enumerate()
            .map(|(i, (s, v))| match (v.or_else(|| fixed(i)), s) {
                (Some(v), _) => Ok(v),
                (None, Slot::Positional(_, Some(d)) | Slot::KwOnly(_, Some(d))) => Ok(d.clone()),
                (None, s) => Err(raise("TypeError", format!("{name}() missing required argument: '{}'", s.name()))),
            })
            .collect()
    }

    /// Calls the wrapped function with bound values (the inverse of [`PyFunction::bind_args`]).
    fn call_python(&self, it: &mut Interp, values: Vec<Value>) -> PyResult<Value> {
        let mut args = Args::default();
        if let Some(r) = &self.receiver {
            args.pos.push(r.value()?);
        }
        match &self.slots {
            None => args.pos.extend(values),
            Some(slots) => {
                for (s, v) in slots.iter().zip(values) {
                    match s {
                        Slot::Positional(..) => args.pos.push(v),
                        Slot::VarArgs(_) => args.pos.extend(it.to_vec(&v)?),
                        Slot::KwOnly(n, _) => args.kw.push((n.as_str().into(), v)),
                        Slot::KwArgs(_) => {
                            if let Value::Dict(d) = &v {
                                for (k, x) in d.borrow().values() {
                                    if let Value::Str(k) = k {
                                        args.kw.push((k.clone(), x.clone()));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        it.call(&self.python, args)
    }

    /// The call arguments as engine arguments; with an input signature, the leading ones are
    /// converted to tensors of the specs' dtypes and checked against them.
    fn engine_args(&self, values: &[Value]) -> PyResult<Vec<Arg>> {
        let Some(sig) = &self.config.input_signature else { return values.iter().map(to_arg).collect() };
        let names = self.engine_arg_names();
        if values.len() > sig.len() && self.slots.is_none() {
            return Err(raise(
                "TypeError",
                format!(
                    "Binding inputs to tf.function '{}' failed: the input_signature has {} arguments, {} were given",
                    self.name,
                    sig.len(),
                    values.len()
                ),
            ));
        }
        values
            .iter()
            .take(sig.len())
            .zip(sig)
            .enumerate()
            .map(|(i, (v, spec))| {
                let arg = names.get(i).cloned().unwrap_or_else(|| format!("arg{i}"));
                let fail = |got: String| {
                    raise(
                        "TypeError",
                        format!(
                            "Binding inputs to tf.function '{}' failed: argument `{arg}` must match {} \
                             (input_signature), got {got}",
                            self.name,
                            spec.repr()
                        ),
                    )
                };
                let t = match v {
                    Value::Tensor(t) | Value::Array(t) => t.clone(),
                    Value::Variable(var) => var.read_value(),
                    other => {
                        to_tensor(other, Some(spec.dtype)).map_err(|_| fail(format!("a {}", other.type_name())))?
                    }
                };
                if !spec.accepts(&t) {
                    return Err(fail(Arg::Tensor(t).kind()));
                }
                Ok(Arg::Tensor(t))
            })
            .collect()
    }

    fn engine_arg_names(&self) -> Vec<String> {
        match &self.slots {
            Some(s) => s.iter().map(|s| s.name().to_string()).collect(),
            None => Vec::new(),
        }
    }

    /// Calls the function: finds or traces the concrete function and runs it.
    fn call(&self, it: &mut Interp, args: Args) -> PyResult<Value> {
        if let (Some(sig), Some(_)) = (&self.config.input_signature, &self.slots) {
            // Parameters after the signature keep their defaults.
            let given = args.pos.len() + args.kw.len();
            if given > sig.len() {
                return Err(raise(
                    "TypeError",
                    format!(
                        "Binding inputs to tf.function '{}' failed: the input_signature covers {} argument{} ({}), \
                         but {given} were given",
                        self.name,
                        sig.len(),
                        if sig.len() == 1 { "" } else { "s" },
                        self.engine_arg_names()[..sig.len()].join(", "),
                    ),
                ));
            }
        }
        let values = self.bind_args(args)?;
        let args = self.engine_args(&values)?;
        it.flush();
        let warned = self.engine.warnings().len();
        let mut raised = None;
        let result = {
            let mut body = |a: &[Arg]| self.run_body(it, a, &values, &mut raised);
            self.engine.call_with(&args, &mut body)
        };
        for w in self.engine.warnings().iter().skip(warned) {
            eprintln!("WARNING:tensorflow:{w}");
        }
        match result {
            Ok(out) => Ok(from_arg(&out, None)),
            Err(e) => Err(raised.unwrap_or_else(|| function_error(e))),
        }
    }

    /// The traced body: the script function on symbolic arguments. A Python exception is kept
    /// in `raised` and the engine gets a placeholder error that unwinds the trace.
    fn run_body(
        &self,
        it: &mut Interp,
        args: &[Arg],
        template: &[Value],
        raised: &mut Option<Ctrl>,
    ) -> tensile::Result<Arg> {
        let mut values: Vec<Value> = args.iter().enumerate().map(|(i, a)| from_arg(a, template.get(i))).collect();
        // Parameters an input signature does not cover run with the values they were bound to.
        values.extend(template.iter().skip(args.len()).cloned());
        let result = self.call_python(it, values).and_then(|v| result_arg(&self.name, &v));
        result.map_err(|c| {
            *raised = Some(c);
            tensile::Error::invalid(&self.name, "the function body raised an exception")
        })
    }

    /// `get_concrete_function(*specs)`: tensors and `tf.TensorSpec`s give tensor specs, other
    /// values are keyed by value as in a call.
    fn concrete(&self, it: &mut Interp, args: Args) -> PyResult<Arc<ConcreteFunction>> {
        let given = !args.pos.is_empty() || !args.kw.is_empty();
        let values = if given || self.config.input_signature.is_none() { self.bind_args(args)? } else { Vec::new() };
        let specs: Vec<ArgSpec> = if self.config.input_signature.is_some() && !given {
            Vec::new()
        } else if let Some(sig) = &self.config.input_signature {
            let specs = values.iter().map(to_spec).collect::<PyResult<Vec<_>>>()?;
            let want: Vec<ArgSpec> = sig.iter().cloned().map(ArgSpec::Tensor).collect();
            if specs != want {
                return Err(raise(
                    "ValueError",
                    format!(
                        "get_concrete_function of {} was given specs that differ from its input_signature; call it \
                         without arguments or with the same specs",
                        self.name
                    ),
                ));
            }
            Vec::new()
        } else {
            values.iter().map(to_spec).collect::<PyResult<_>>()?
        };
        let mut raised = None;
        let result = {
            let mut body = |a: &[Arg]| self.run_body(it, a, &values, &mut raised);
            self.engine.get_concrete_function_with(&specs, &mut body)
        };
        result.map_err(|e| raised.unwrap_or_else(|| function_error(e)))
    }
}

/// The parameters of a script function.
fn slots_of(f: &crate::interp::value::Function) -> Vec<Slot> {
    let p = &f.code.params;
    let first_default = p.args.len() - f.defaults.len();
    let mut slots: Vec<Slot> = p
        .args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let d = if i >= first_default { Some(f.defaults[i - first_default].clone()) } else { None };
            Slot::Positional(a.name.name.to_string(), d)
        })
        .collect();
    if let Some(v) = &p.vararg {
        slots.push(Slot::VarArgs(v.name.name.to_string()));
    }
    for (a, d) in p.kwonly.iter().zip(&f.kw_defaults) {
        slots.push(Slot::KwOnly(a.name.name.to_string(), d.clone()));
    }
    if let Some(k) = &p.kwarg {
        slots.push(Slot::KwArgs(k.name.name.to_string()));
    }
    slots
}

/// Engine errors of a call, as TensorFlow raises them.
fn function_error(e: tensile::Error) -> Ctrl {
    if e.message.contains("only supports singleton tf.Variables") {
        let text =
            e.message.split_once("tf.function only").map_or(e.message.clone(), |(_, m)| format!("tf.function only{m}"));
        return raise("ValueError", text);
    }
    engine_error(e)
}

/// Identity and description of an object argument.
fn object_key(v: &Value) -> PyResult<ObjectKey> {
    let (id, repr) = match v {
        Value::Variable(var) => (
            var.handle_id(),
            format!(
                "<tf.Variable '{}' shape={} dtype={}>",
                var.name(),
                tensile::shape::fmt_dims(&tensile::shape::to_dims(var.shape())),
                var.dtype().name()
            ),
        ),
        other => match other.key() {
            Ok(Key::Id(id)) => (id as u64, format!("<{} object at {id:#x}>", other.type_name())),
            _ => {
                return Err(raise(
                    "TypeError",
                    format!(
                        "a {} cannot be passed to a tf.function; pass a tensor or a Python value",
                        other.type_name()
                    ),
                ))
            }
        },
    };
    Ok(ObjectKey { id, repr })
}

/// A call argument as an engine argument (its cache key follows from it).
fn to_arg(v: &Value) -> PyResult<Arg> {
    Ok(match v {
        Value::Tensor(t) | Value::Array(t) => Arg::Tensor(t.clone()),
        Value::Int(i) => Arg::Int(*i),
        Value::Float(f) => Arg::Float(*f),
        Value::Bool(b) => Arg::Bool(*b),
        Value::Str(s) => Arg::Str(s.to_string()),
        Value::None => Arg::None,
        Value::List(l) => Arg::List(l.borrow().iter().map(to_arg).collect::<PyResult<_>>()?),
        Value::Tuple(t) => Arg::Tuple(t.iter().map(to_arg).collect::<PyResult<_>>()?),
        Value::Dict(d) => Arg::Dict(
            d.borrow()
                .values()
                .map(|(k, x)| match k {
                    Value::Str(k) => Ok((k.to_string(), to_arg(x)?)),
                    other => Err(raise(
                        "TypeError",
                        format!("dict arguments of a tf.function need string keys, got a {} key", other.type_name()),
                    )),
                })
                .collect::<PyResult<_>>()?,
        ),
        other => Arg::Object(object_key(other)?),
    })
}

/// The cache key for `get_concrete_function`: `tf.TensorSpec`s as they are, tensors by spec.
fn to_spec(v: &Value) -> PyResult<ArgSpec> {
    Ok(match v {
        Value::Native(n) => match n.as_any().downcast_ref::<Spec>() {
            Some(s) => ArgSpec::Tensor(s.0.clone()),
            None => to_arg(v)?.spec(),
        },
        Value::List(l) => ArgSpec::List(l.borrow().iter().map(to_spec).collect::<PyResult<_>>()?),
        Value::Tuple(t) => ArgSpec::Tuple(t.iter().map(to_spec).collect::<PyResult<_>>()?),
        Value::Dict(d) => ArgSpec::Dict(
            d.borrow()
                .values()
                .map(|(k, x)| match k {
                    Value::Str(k) => Ok((k.to_string(), to_spec(x)?)),
                    other => Err(raise(
                        "TypeError",
                        format!("dict arguments of a tf.function need string keys, got a {} key", other.type_name()),
                    )),
                })
                .collect::<PyResult<_>>()?,
        ),
        other => to_arg(other)?.spec(),
    })
}

/// An engine argument or result as a value. Objects come back from `template`, the values the
/// call was made with.
fn from_arg(a: &Arg, template: Option<&Value>) -> Value {
    let items = |t: Option<&Value>, i: usize| -> Option<Value> {
        match t {
            Some(Value::List(l)) => l.borrow().get(i).cloned(),
            Some(Value::Tuple(v)) => v.get(i).cloned(),
            Some(Value::Dict(d)) => d.borrow().get_index(i).map(|(_, (_, x))| x.clone()),
            _ => None,
        }
    };
    match a {
        Arg::Tensor(t) => Value::Tensor(t.clone()),
        Arg::Int(i) => Value::Int(*i),
        Arg::Float(f) => Value::Float(*f),
        Arg::Bool(b) => Value::Bool(*b),
        Arg::Str(s) => Value::str(s),
        Arg::None => Value::None,
        Arg::List(v) => {
            Value::list(v.iter().enumerate().map(|(i, x)| from_arg(x, items(template, i).as_ref())).collect())
        }
        Arg::Tuple(v) => {
            Value::tuple(v.iter().enumerate().map(|(i, x)| from_arg(x, items(template, i).as_ref())).collect())
        }
        Arg::Dict(v) => {
            let mut d = Dict::default();
            for (i, (k, x)) in v.iter().enumerate() {
                d.insert(Key::Str(k.as_str().into()), (Value::str(k), from_arg(x, items(template, i).as_ref())));
            }
            new_dict(d)
        }
        Arg::Object(_) => template.cloned().unwrap_or(Value::None),
    }
}

/// A value the body returned, as an engine result.
fn result_arg(name: &str, v: &Value) -> PyResult<Arg> {
    Ok(match v {
        Value::Variable(var) => Arg::Tensor(var.read_value()),
        Value::List(l) => Arg::List(l.borrow().iter().map(|x| result_arg(name, x)).collect::<PyResult<_>>()?),
        Value::Tuple(t) => Arg::Tuple(t.iter().map(|x| result_arg(name, x)).collect::<PyResult<_>>()?),
        Value::Dict(_) => match to_arg(v)? {
            Arg::Dict(items) if items.iter().all(|(_, a)| !matches!(a, Arg::Object(_))) => Arg::Dict(items),
            _ => return Err(unsupported_result(name, v)),
        },
        other => match to_arg(other)? {
            Arg::Object(_) => return Err(unsupported_result(name, v)),
            a => a,
        },
    })
}

fn unsupported_result(name: &str, v: &Value) -> Ctrl {
    raise(
        "TypeError",
        format!(
            "tf.function '{name}' returned a {}; results must be tensors, variables, numbers, strings, None, or \
             lists, tuples and dicts of them",
            v.type_name()
        ),
    )
}

fn this_function(this: Option<&Value>) -> PyResult<Rc<FnState>> {
    match this {
        Some(Value::Native(n)) => n.as_any().downcast_ref::<PyFunction>().map(|f| f.0.clone()),
        _ => None,
    }
    .ok_or_else(|| raise("TypeError", "not a tf.function"))
}

impl NativeObject for PyFunction {
    fn type_name(&self) -> &str {
        "Function"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "__call__" => bound(this, "__call__", |it, t, a| this_function(t)?.call(it, a)),
            "__get__" => bound(this, "__get__", |_, t, a| {
                let f = this_function(t)?;
                f.bind_to(&a.pos.first().cloned().unwrap_or(Value::None))
            }),
            "get_concrete_function" => bound(this, "get_concrete_function", |it, t, a| {
                let f = this_function(t)?;
                let cf = f.concrete(it, a)?;
                Ok(Value::Native(Rc::new(Concrete { cf, owner: f })))
            }),
            "experimental_get_tracing_count" => bound(this, "experimental_get_tracing_count", |_, t, _| {
                Ok(Value::Int(this_function(t)?.engine.tracing_count() as i64))
            }),
            "pretty_printed_concrete_signatures" => bound(this, "pretty_printed_concrete_signatures", |_, t, _| {
                Ok(Value::str(&this_function(t)?.engine.pretty_printed_concrete_signatures()))
            }),
            "python_function" => self.0.python.clone(),
            "input_signature" => match &self.0.config.input_signature {
                Some(sig) => Value::tuple(sig.iter().map(|s| Value::Native(Rc::new(Spec(s.clone())))).collect()),
                None => Value::None,
            },
            "__name__" => Value::str(&self.0.name),
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        format!(
            "<tensorflow.python.eager.polymorphic_function.polymorphic_function.Function object at {:#x}>",
            Rc::as_ptr(&self.0) as usize
        )
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `tf.function(func=None, input_signature=None, autograph=True, jit_compile=None,
/// reduce_retracing=False, ...)`: a `Function`, or a decorator when `func` is omitted.
fn function(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check(
        "function",
        7,
        &[
            "func",
            "input_signature",
            "autograph",
            "jit_compile",
            "reduce_retracing",
            "experimental_implements",
            "experimental_autograph_options",
            "experimental_attributes",
            "experimental_relax_shapes",
            "experimental_compile",
            "experimental_follow_type_hints",
        ],
    )?;
    let mut config = Config::default();
    if let Some(sig) = a.get(1, "input_signature").filter(|v| !v.is_none()) {
        let items = match &sig {
            Value::List(l) => l.borrow().clone(),
            Value::Tuple(t) => t.to_vec(),
            other => {
                return Err(raise(
                    "TypeError",
                    format!("input_signature must be a list or tuple of tf.TensorSpec, got {}", other.type_name()),
                ))
            }
        };
        let specs = items
            .iter()
            .map(|v| match v {
                Value::Native(n) => n.as_any().downcast_ref::<Spec>().map(|s| s.0.clone()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                raise(
                    "TypeError",
                    "input_signature must be a flat list of tf.TensorSpec (nested structures are not supported)",
                )
            })?;
        config.input_signature = Some(specs);
    }
    config.reduce_retracing = [a.get(4, "reduce_retracing"), a.kwarg("experimental_relax_shapes")]
        .iter()
        .any(|v| matches!(v, Some(Value::Bool(true))));
    match a.get(0, "func").filter(|v| !v.is_none()) {
        Some(f) => Ok(Value::Native(Rc::new(PyFunction(Rc::new(FnState::new(f, None, config)?))))),
        None => Ok(Value::Native(Rc::new(Decorator(config)))),
    }
}

/// What `tf.function(...)` without a function returns: applied to a function, wraps it.
struct Decorator(Config);

impl NativeObject for Decorator {
    fn type_name(&self) -> &str {
        "function"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        (name == "__call__").then(|| {
            bound(this, "__call__", |_, t, a| {
                let config = match t {
                    Some(Value::Native(n)) => n.as_any().downcast_ref::<Decorator>().map(|d| d.0.clone()),
                    _ => None,
                }
                .ok_or_else(|| raise("TypeError", "not a tf.function decorator"))?;
                let f = a.req(0, "func", "function")?;
                Ok(Value::Native(Rc::new(PyFunction(Rc::new(FnState::new(f, None, config)?)))))
            })
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A concrete function value (`f.get_concrete_function(...)`): callable, runs its graph.
struct Concrete {
    cf: Arc<ConcreteFunction>,
    owner: Rc<FnState>,
}

fn this_concrete(this: Option<&Value>) -> PyResult<(Arc<ConcreteFunction>, Rc<FnState>)> {
    match this {
        Some(Value::Native(n)) => n.as_any().downcast_ref::<Concrete>().map(|c| (c.cf.clone(), c.owner.clone())),
        _ => None,
    }
    .ok_or_else(|| raise("TypeError", "not a ConcreteFunction"))
}

impl NativeObject for Concrete {
    fn type_name(&self) -> &str {
        "ConcreteFunction"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "__call__" => bound(this, "__call__", |it, t, a| {
                let (cf, owner) = this_concrete(t)?;
                // Python values are fixed by the trace: omitted ones take the traced value.
                let fixed = |i: usize| match cf.signature().get(i) {
                    Some(ArgSpec::Tensor(_)) | None => None,
                    Some(s) => Some(spec_value(s)),
                };
                let values = owner.bind_args_with(a, &fixed)?;
                let args = match owner.config.input_signature {
                    Some(_) => owner.engine_args(&values)?,
                    None => values.iter().map(to_arg).collect::<PyResult<_>>()?,
                };
                it.flush();
                Ok(from_arg(&r(cf.call(&args))?, None))
            }),
            "pretty_printed_signature" => bound(this, "pretty_printed_signature", |_, t, _| {
                Ok(Value::str(&this_concrete(t)?.0.pretty_printed_signature()))
            }),
            "graph" => Value::Native(Rc::new(FuncGraph(self.cf.clone()))),
            "structured_input_signature" => {
                let names = self.owner.engine_arg_names();
                let args = self
                    .cf
                    .signature()
                    .iter()
                    .enumerate()
                    .map(|(i, s)| match s {
                        ArgSpec::Tensor(t) => {
                            let mut t = t.clone();
                            if t.name.is_none() {
                                t.name = names.get(i).cloned();
                            }
                            Value::Native(Rc::new(Spec(t)))
                        }
                        other => spec_value(other),
                    })
                    .collect();
                Value::tuple(vec![Value::tuple(args), new_dict(Dict::default())])
            }
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        format!("ConcreteFunction {}", self.cf.pretty_printed_signature())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A concrete function's graph (`cf.graph`), which `tf.summary.graph` writes.
pub struct FuncGraph(pub Arc<ConcreteFunction>);

impl NativeObject for FuncGraph {
    fn type_name(&self) -> &str {
        "FuncGraph"
    }
    fn get_attr(&self, _: &Value, name: &str) -> Option<Value> {
        match name {
            "name" => Some(Value::str(self.0.name())),
            _ => None,
        }
    }
    fn repr(&self) -> String {
        format!("<FuncGraph {}>", self.0.name())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A key as the value it stands for (`tf.TensorSpec` for tensors).
fn spec_value(s: &ArgSpec) -> Value {
    match s {
        ArgSpec::Tensor(t) => Value::Native(Rc::new(Spec(t.clone()))),
        ArgSpec::List(v) => Value::list(v.iter().map(spec_value).collect()),
        ArgSpec::Tuple(v) => Value::tuple(v.iter().map(spec_value).collect()),
        ArgSpec::Dict(v) => {
            let mut d = Dict::default();
            for (k, x) in v {
                d.insert(Key::Str(k.as_str().into()), (Value::str(k), spec_value(x)));
            }
            new_dict(d)
        }
        other => match other.rebuild(&mut std::iter::empty()) {
            Ok(a) => from_arg(&a, None),
            Err(_) => Value::None,
        },
    }
}

/// `tf.TensorSpec(shape, dtype=tf.float32, name=None)`.
struct Spec(TensorSpec);

fn this_spec(this: Option<&Value>) -> PyResult<TensorSpec> {
    match this {
        Some(Value::Native(n)) => n.as_any().downcast_ref::<Spec>().map(|s| s.0.clone()),
        _ => None,
    }
    .ok_or_else(|| raise("TypeError", "not a TensorSpec"))
}

impl NativeObject for Spec {
    fn type_name(&self) -> &str {
        "TensorSpec"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "shape" => {
                Value::tuple(self.0.dims.iter().map(|d| d.map_or(Value::None, |d| Value::Int(d as i64))).collect())
            }
            "dtype" => Value::DType(self.0.dtype),
            "name" => self.0.name.as_ref().map_or(Value::None, |n| Value::str(n)),
            "is_compatible_with" => bound(this, "is_compatible_with", |_, t, a| {
                let spec = this_spec(t)?;
                let other = a.req(0, "spec_or_value", "is_compatible_with")?;
                Ok(Value::Bool(match &other {
                    Value::Native(n) => match n.as_any().downcast_ref::<Spec>() {
                        Some(o) => o.0.dtype == spec.dtype && dims_compatible(&spec.dims, &o.0.dims),
                        None => false,
                    },
                    v => {
                        let t = to_tensor(v, Some(spec.dtype))?;
                        t.dtype() == spec.dtype && dims_compatible(&spec.dims, &t.dims())
                    }
                }))
            }),
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        self.0.repr()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// TensorFlow's shape compatibility: same rank, and known dims equal where both are known.
fn dims_compatible(a: &[Option<usize>], b: &[Option<usize>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.is_none() || y.is_none() || x == y)
}

fn tensor_spec(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("TensorSpec", 3, &["shape", "dtype", "name"])?;
    let shape = a.req(0, "shape", "TensorSpec")?;
    let items = match &shape {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        Value::Int(_) => vec![shape.clone()],
        Value::None => {
            return Err(raise(
                "ValueError",
                "TensorSpec with an unknown rank (shape=None) is not supported; give the rank",
            ))
        }
        other => {
            return Err(raise(
                "TypeError",
                format!("TensorSpec shape must be a list or tuple, got {}", other.type_name()),
            ))
        }
    };
    let dims = items
        .iter()
        .map(|d| match d {
            Value::None => Ok(None),
            Value::Int(n) if *n >= 0 => Ok(Some(*n as usize)),
            Value::Int(n) => Err(raise("ValueError", format!("Dimension {n} must be >= 0"))),
            other => Err(raise(
                "TypeError",
                format!("TensorSpec dimensions must be ints or None, got {}", other.type_name()),
            )),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let dtype = match a.get(1, "dtype") {
        None | Some(Value::None) => DType::F32,
        Some(v) => super::ops::args::dtype_of(&v)?,
    };
    let mut spec = TensorSpec::new(&dims, dtype);
    match a.get(2, "name") {
        None | Some(Value::None) => {}
        Some(Value::Str(s)) => spec = spec.named(&s),
        Some(v) => return Err(raise("TypeError", format!("TensorSpec name must be a string, got {}", v.type_name()))),
    }
    Ok(Value::Native(Rc::new(Spec(spec))))
}
