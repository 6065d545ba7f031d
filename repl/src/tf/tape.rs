//! `tf.GradientTape` as a context manager object.

use super::{bound, r, to_tensor};
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, NativeObject, Value};
use crate::interp::Interp;
use std::rc::Rc;
use tensile::tape::TapeOptions;
use tensile::{GradientTape, Watchable};

/// The script-visible tape.
pub struct Tape(Rc<GradientTape>);

impl NativeObject for Tape {
    fn type_name(&self) -> &str {
        "GradientTape"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        Some(match name {
            "__enter__" => bound(this, "__enter__", |_, t, _| {
                tape_of(t)?.push().map_err(crate::interp::exceptions::engine_error)?;
                Ok(t.cloned().unwrap_or(Value::None))
            }),
            "__exit__" => bound(this, "__exit__", |_, t, _| {
                tape_of(t)?.pop();
                Ok(Value::Bool(false))
            }),
            "watch" => bound(this, "watch", watch),
            "gradient" => bound(this, "gradient", gradient),
            "reset" => bound(this, "reset", |_, t, _| {
                tape_of(t)?.reset();
                Ok(Value::None)
            }),
            _ => return None,
        })
    }
    fn repr(&self) -> String {
        "<tensorflow.python.eager.backprop.GradientTape object>".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn tape_of(v: Option<&Value>) -> PyResult<Rc<GradientTape>> {
    match v {
        Some(Value::Native(n)) => match n.as_any().downcast_ref::<Tape>() {
            Some(t) => Ok(t.0.clone()),
            None => Err(raise("TypeError", "not a GradientTape")),
        },
        _ => Err(raise("TypeError", "not a GradientTape")),
    }
}

/// `tf.GradientTape(persistent=False, watch_accessed_variables=True)`.
pub fn new_tape(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("GradientTape", 2, &["persistent", "watch_accessed_variables"])?;
    let persistent = matches!(a.get(0, "persistent"), Some(Value::Bool(true)));
    let watch = !matches!(a.get(1, "watch_accessed_variables"), Some(Value::Bool(false)));
    let tape = GradientTape::with_options(TapeOptions { persistent, watch_accessed_variables: watch });
    Ok(Value::Native(Rc::new(Tape(Rc::new(tape)))))
}

/// A gradient source: tensor or variable.
enum Source {
    T(tensile::Tensor),
    V(tensile::Variable),
}

impl Source {
    fn of(v: &Value) -> PyResult<Source> {
        match v {
            Value::Tensor(t) => Ok(Source::T(t.clone())),
            Value::Variable(v) => Ok(Source::V(v.clone())),
            other => Err(raise(
                "TypeError",
                format!("gradient sources must be tensors or variables, got {}", other.type_name()),
            )),
        }
    }
    fn watchable(&self) -> &dyn Watchable {
        match self {
            Source::T(t) => t,
            Source::V(v) => v,
        }
    }
}

fn flat_sources(it: &mut Interp, v: &Value) -> PyResult<(Vec<Source>, bool)> {
    match v {
        Value::List(_) | Value::Tuple(_) => {
            let items = it.to_vec(v)?;
            Ok((items.iter().map(Source::of).collect::<PyResult<_>>()?, true))
        }
        one => Ok((vec![Source::of(one)?], false)),
    }
}

fn watch(it: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    let tape = tape_of(t)?;
    let (sources, _) = flat_sources(it, &a.req(0, "tensor", "watch")?)?;
    for s in &sources {
        tape.watch(s.watchable());
    }
    Ok(Value::None)
}

fn gradient(it: &mut Interp, t: Option<&Value>, a: Args) -> PyResult<Value> {
    let tape = tape_of(t)?;
    let target = a.req(0, "target", "gradient")?;
    let sources_v = a.req(1, "sources", "gradient")?;
    let (sources, is_list) = flat_sources(it, &sources_v)?;
    let refs: Vec<&dyn Watchable> = sources.iter().map(|s| s.watchable()).collect();
    let grads = match &target {
        Value::List(_) | Value::Tuple(_) => {
            let targets = it.to_vec(&target)?.iter().map(|x| to_tensor(x, None)).collect::<PyResult<Vec<_>>>()?;
            r(tape.gradient_multi(&targets, &refs, None, tensile::UnconnectedGradients::None))?
        }
        _ => r(tape.gradient(&to_tensor(&target, None)?, &refs))?,
    };
    let vals: Vec<Value> = grads.into_iter().map(|g| g.map_or(Value::None, Value::Tensor)).collect();
    Ok(if is_list {
        match sources_v {
            Value::Tuple(_) => Value::tuple(vals),
            _ => Value::list(vals),
        }
    } else {
        vals.into_iter().next().unwrap_or(Value::None)
    })
}
