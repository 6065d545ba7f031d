//! `tf.summary`: writers, the default-writer scope and the summary kinds, bound to the
//! engine's [`tensile::summary`].
//!
//! Inside a traced function the writes are graph ops: the default writer and step are the
//! ones in effect when the function runs, not when it was traced.

use super::function::FuncGraph;
use super::ops::args::{r, Params};
use super::{bound, to_tensor};
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, NativeFn, NativeModule, NativeObject, Value};
use crate::interp::Interp;
use std::cell::RefCell;
use std::rc::Rc;
use tensile::summary::{self as s, Step, SummaryWriter, WriterOptions};
use tensile::{DType, Tensor};

/// Adds `tf.summary` (and `tf.summary.experimental`) to the `tensorflow` module.
pub fn register(m: &NativeModule) {
    let sm = NativeModule::new("tensorflow.summary");
    let fns: &[(&'static str, NativeFn)] = &[
        ("create_file_writer", create_file_writer),
        ("create_noop_writer", create_noop_writer),
        ("scalar", scalar),
        ("histogram", histogram),
        ("text", text),
        ("image", image),
        ("graph", graph),
        ("trace_on", trace_on),
        ("trace_off", trace_off),
        ("trace_export", trace_export),
        ("record_if", record_if),
        ("should_record_summaries", should_record_summaries),
        ("flush", flush),
    ];
    for (name, f) in fns {
        sm.add_fn(name, *f);
    }
    let experimental = NativeModule::new("tensorflow.summary.experimental");
    experimental.add_fn("set_step", set_step);
    experimental.add_fn("get_step", get_step);
    sm.set("experimental", Value::Module(Rc::new(experimental)));
    m.set("summary", Value::Module(Rc::new(sm)));
}

/// A script-visible summary writer.
struct Writer(SummaryWriter);

fn writer_of(v: Option<&Value>) -> PyResult<SummaryWriter> {
    match v {
        Some(Value::Native(n)) => n.as_any().downcast_ref::<Writer>().map(|w| w.0.clone()),
        _ => None,
    }
    .ok_or_else(|| raise("TypeError", "expected a summary writer from tf.summary.create_file_writer"))
}

impl NativeObject for Writer {
    fn type_name(&self) -> &str {
        "SummaryWriter"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "as_default" => bound(this, "as_default", |_, t, a| {
                let p = Params::bind("as_default", &["step"], a)?;
                let step = p.get("step").map(|v| step_of(&v)).transpose()?;
                let writer = writer_of(t)?;
                Ok(Scope::value(t.cloned().unwrap_or(Value::None), move || {
                    Ok(Box::new(writer.as_default(step.clone())) as Box<dyn std::any::Any>)
                }))
            }),
            "set_as_default" => bound(this, "set_as_default", |_, t, a| {
                let p = Params::bind("set_as_default", &["step"], a)?;
                let step = p.get("step").map(|v| step_of(&v)).transpose()?;
                writer_of(t)?.set_as_default(step);
                Ok(Value::None)
            }),
            "flush" => bound(this, "flush", |_, t, _| {
                r(writer_of(t)?.flush())?;
                Ok(Value::None)
            }),
            "close" => bound(this, "close", |_, t, _| {
                r(writer_of(t)?.close())?;
                Ok(Value::None)
            }),
            "init" => bound(this, "init", |_, _, _| Ok(Value::None)),
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        match self.0.logdir() {
            Some(d) => format!("<SummaryWriter logdir='{}'>", d.display()),
            None => "<NoopSummaryWriter>".into(),
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A `with` scope (`writer.as_default(step=...)`, `tf.summary.record_if(...)`): entering
/// installs an engine guard, leaving drops it (which restores the previous state).
struct Scope {
    /// What `__enter__` returns (`as` target).
    value: Value,
    enter: Box<dyn Fn() -> Result<Box<dyn std::any::Any>, crate::interp::exceptions::Ctrl>>,
    guard: RefCell<Option<Box<dyn std::any::Any>>>,
}

impl Scope {
    fn value(value: Value, enter: impl Fn() -> PyResult<Box<dyn std::any::Any>> + 'static) -> Value {
        Value::Native(Rc::new(Scope { value, enter: Box::new(enter), guard: RefCell::new(None) }))
    }
}

impl NativeObject for Scope {
    fn type_name(&self) -> &str {
        "_GeneratorContextManager"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "__enter__" => bound(this, "__enter__", |_, t, _| {
                let scope = scope_of(t)?;
                *scope.guard.borrow_mut() = Some((scope.enter)()?);
                Ok(scope.value.clone())
            }),
            "__exit__" => bound(this, "__exit__", |_, t, _| {
                scope_of(t)?.guard.borrow_mut().take();
                Ok(Value::Bool(false))
            }),
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        "<contextlib._GeneratorContextManager object>".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn scope_of(v: Option<&Value>) -> PyResult<&Scope> {
    match v {
        Some(Value::Native(n)) => n.as_any().downcast_ref::<Scope>(),
        _ => None,
    }
    .ok_or_else(|| raise("TypeError", "not a summary scope"))
}

/// A step given to `set_step` or `as_default`: a Python int, a scalar integer tensor, or a
/// variable read whenever a summary is written (TF's `optimizer.iterations` idiom).
fn step_of(v: &Value) -> PyResult<Step> {
    match v {
        Value::Variable(var) => Ok(Step::Variable(var.clone())),
        other => Ok(Step::Value(step_int(other)?)),
    }
}

fn step_int(v: &Value) -> PyResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        Value::Tensor(t) if !t.is_symbolic() && t.size() == 1 && matches!(t.dtype(), DType::I32 | DType::I64) => {
            Ok(t.to_f64_vec()[0] as i64)
        }
        other => Err(raise(
            "TypeError",
            format!("step must be an int, a scalar integer tensor or a tf.Variable, got {}", other.type_name()),
        )),
    }
}

/// The `step=` argument of a write as a tensor (symbolic inside traced functions).
fn step_tensor(p: &Params) -> PyResult<Option<Tensor>> {
    match p.get("step") {
        None => Ok(None),
        Some(Value::Int(i)) => Ok(Some(Tensor::scalar(i))),
        Some(v) => {
            let t = to_tensor(&v, Some(DType::I64))?;
            if !matches!(t.dtype(), DType::I32 | DType::I64) {
                return Err(raise(
                    "TypeError",
                    format!("{}(): step must be an integer, got a {} tensor", p.func(), t.dtype().name()),
                ));
            }
            Ok(Some(t))
        }
    }
}

fn opt_str(p: &Params, name: &str) -> PyResult<Option<String>> {
    match p.get(name) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_string())),
        Some(v) => Err(raise("TypeError", format!("{}(): {name} must be a str, got {}", p.func(), v.type_name()))),
    }
}

fn tag(p: &Params) -> PyResult<String> {
    match p.req("name")? {
        Value::Str(s) => Ok(s.to_string()),
        v => Err(raise("TypeError", format!("{}(): name must be a str, got {}", p.func(), v.type_name()))),
    }
}

fn create_file_writer(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind(
        "create_file_writer",
        &[
            "logdir",
            "max_queue",
            "flush_millis",
            "filename_suffix",
            "name",
            "experimental_trackable",
            "experimental_mesh",
        ],
        a,
    )?;
    let logdir = match p.req("logdir")? {
        Value::Str(s) => s.to_string(),
        v => {
            return Err(raise(
                "TypeError",
                format!("create_file_writer(): logdir must be a str, got {}", v.type_name()),
            ))
        }
    };
    let defaults = WriterOptions::default();
    let options = WriterOptions {
        max_queue: usize::try_from(p.int("max_queue", defaults.max_queue as i64)?)
            .map_err(|_| raise("ValueError", "create_file_writer(): max_queue must be >= 0"))?,
        flush_millis: u64::try_from(p.int("flush_millis", defaults.flush_millis as i64)?)
            .map_err(|_| raise("ValueError", "create_file_writer(): flush_millis must be >= 0"))?,
        filename_suffix: opt_str(&p, "filename_suffix")?.unwrap_or(defaults.filename_suffix),
        view_capacity: defaults.view_capacity,
    };
    Ok(Value::Native(Rc::new(Writer(r(s::create_file_writer(&logdir, options))?))))
}

fn create_noop_writer(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    Params::bind("create_noop_writer", &[], a)?;
    Ok(Value::Native(Rc::new(Writer(s::create_noop_writer()))))
}

/// Bad summary arguments (shapes, a missing step) are `ValueError`s in TensorFlow.
fn value_error<T>(x: tensile::Result<T>) -> PyResult<T> {
    x.map_err(|e| match e.kind {
        tensile::ErrorKind::InvalidArgument => raise("ValueError", e.message),
        _ => crate::interp::exceptions::engine_error(e),
    })
}

/// Runs one summary write under the `record_if` condition, with the tag, step and description
/// every write takes; `call` gets them and makes its kind's write.
fn write_gated(
    it: &mut Interp,
    p: &Params,
    call: impl FnOnce(&str, Option<&Tensor>, Option<&str>) -> tensile::Result<Tensor>,
) -> PyResult<Value> {
    gated(it, || {
        let (tag, step, description) = (tag(p)?, step_tensor(p)?, opt_str(p, "description")?);
        Ok(Value::Tensor(value_error(call(&tag, step.as_ref(), description.as_deref()))?))
    })
}

fn scalar(it: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("scalar", &["name", "data", "step", "description"], a)?;
    let data = p.tensor_as("data", Some(DType::F32))?;
    write_gated(it, &p, |tag, step, description| s::scalar(tag, &data, step, description))
}

fn histogram(it: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("histogram", &["name", "data", "step", "buckets", "description"], a)?;
    let data = p.tensor("data")?;
    let buckets = match p.opt_int("buckets")? {
        None => None,
        Some(b) => Some(usize::try_from(b).map_err(|_| raise("ValueError", "histogram(): buckets must be >= 0"))?),
    };
    write_gated(it, &p, |tag, step, description| s::histogram(tag, &data, step, buckets, description))
}

fn text(it: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("text", &["name", "data", "step", "description"], a)?;
    let data = match p.req("data")? {
        Value::Str(s) => s.to_string(),
        v => {
            return Err(raise(
                "TypeError",
                format!("text(): data must be a str (string tensors are not supported), got {}", v.type_name()),
            ))
        }
    };
    write_gated(it, &p, |tag, step, description| s::text(tag, &data, step, description))
}

fn image(it: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("image", &["name", "data", "step", "max_outputs", "description"], a)?;
    let data = p.tensor("data")?;
    let max_outputs = usize::try_from(p.int("max_outputs", 3)?)
        .map_err(|_| raise("ValueError", "image(): max_outputs must be >= 0"))?;
    write_gated(it, &p, |tag, step, description| s::image(tag, &data, step, max_outputs, description))
}

fn graph(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("graph", &["graph_data"], a)?;
    let cf = match p.req("graph_data")? {
        Value::Native(n) => n.as_any().downcast_ref::<FuncGraph>().map(|g| g.0.clone()),
        _ => None,
    }
    .ok_or_else(|| {
        raise("TypeError", "graph(): graph_data must be a concrete function's graph (f.get_concrete_function().graph)")
    })?;
    Ok(Value::Tensor(Tensor::scalar(value_error(s::graph(cf.graph()))?)))
}

fn trace_on(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("trace_on", &["graph", "profiler", "profiler_outdir"], a)?;
    if p.bool("profiler", false)? {
        return Err(raise("NotImplementedError", "trace_on(): profiling is not supported; use graph=True"));
    }
    if p.bool("graph", true)? {
        s::trace_on();
    }
    Ok(Value::None)
}

fn trace_off(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    Params::bind("trace_off", &[], a)?;
    s::trace_off();
    Ok(Value::None)
}

fn trace_export(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("trace_export", &["name", "step", "profiler_outdir"], a)?;
    let step = p.get("step").map(|v| step_int(&v)).transpose()?;
    value_error(s::trace_export(&tag(&p)?, step))?;
    Ok(Value::None)
}

thread_local! {
    /// Callable conditions of the enclosing `record_if` scopes, innermost last.
    static CONDITIONS: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// Pops a callable condition when its `record_if` scope ends.
struct PopCondition;

impl Drop for PopCondition {
    fn drop(&mut self) {
        CONDITIONS.with(|c| c.borrow_mut().pop());
    }
}

fn record_if(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("record_if", &["condition"], a)?;
    let condition = match p.req("condition")? {
        Value::Bool(b) => b,
        Value::Tensor(t) if !t.is_symbolic() && t.size() == 1 => t.to_f64_vec()[0] != 0.0,
        // Called at each write, as TensorFlow does (`record_if(lambda: step % 100 == 0)`).
        f @ (Value::Function(_) | Value::Builtin(_)) => {
            return Ok(Scope::value(Value::None, move || {
                CONDITIONS.with(|c| c.borrow_mut().push(f.clone()));
                Ok(Box::new(PopCondition) as Box<dyn std::any::Any>)
            }))
        }
        v => {
            return Err(raise(
                "TypeError",
                format!(
                    "record_if(): condition must be a bool, a scalar eager tensor or a callable, got {}",
                    v.type_name()
                ),
            ))
        }
    };
    Ok(Scope::value(Value::None, move || Ok(Box::new(s::record_if(condition)) as Box<dyn std::any::Any>)))
}

/// Runs a write with recording turned off when the innermost callable `record_if` condition
/// says so now.
fn gated<T>(it: &mut Interp, write: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let Some(condition) = CONDITIONS.with(|c| c.borrow().last().cloned()) else { return write() };
    let result = it.call(&condition, Args { pos: Vec::new(), kw: Vec::new() })?;
    let record = match &result {
        Value::Tensor(t) if !t.is_symbolic() && t.size() == 1 => t.to_f64_vec()[0] != 0.0,
        v => it.truthy(v)?,
    };
    let _off = (!record).then(|| s::record_if(false));
    write()
}

fn should_record_summaries(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    Params::bind("should_record_summaries", &[], a)?;
    Ok(Value::Tensor(Tensor::scalar(s::should_record_summaries())))
}

fn flush(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("flush", &["writer", "name"], a)?;
    match p.get("writer") {
        Some(w) => r(writer_of(Some(&w))?.flush())?,
        None => r(s::flush_default())?,
    }
    Ok(Value::None)
}

fn set_step(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let p = Params::bind("set_step", &["step"], a)?;
    s::set_step(p.get("step").map(|v| step_of(&v)).transpose()?);
    Ok(Value::None)
}

fn get_step(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    Params::bind("get_step", &[], a)?;
    Ok(s::get_step().map_or(Value::None, Value::Int))
}
