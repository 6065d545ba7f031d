//! The engine's op set under TensorFlow's names: `tf.reduce_sum`, `tf.math.reduce_sum`,
//! `tf.nn.relu`, ... Each family file holds a table of (TF paths, function); [`register`]
//! files every path into the `tf` module and its submodules (`tf.math`, `tf.nn`, ...).

pub mod args;
mod arrange;
mod array;
mod attrs;
mod linalg;
mod math;
mod nn;
mod print;
mod random;
mod reduce;
mod segment;
pub mod shape;

use crate::interp::exceptions::PyResult;
use crate::interp::value::{Builtin, NativeFn, NativeModule, Value};
use crate::interp::Interp;
use std::rc::Rc;
use tensile::DType;

/// One binding: every TF path of a function (`"math.sigmoid"`, `"nn.sigmoid"`) and its body.
pub type Entry = (&'static [&'static str], NativeFn);

/// Every table of this module.
pub fn entries() -> Vec<Entry> {
    let mut v = Vec::new();
    for table in [
        math::table(),
        reduce::table(),
        array::table(),
        arrange::table(),
        segment::table(),
        linalg::table(),
        nn::table(),
        random::table(),
    ] {
        v.extend(table);
    }
    v.extend(print::table());
    v
}

/// Fills `m` (the `tensorflow` module) with the op bindings, the submodules and the types
/// `TensorShape`, `random.Generator` and the dtypes.
pub fn register(m: &NativeModule) {
    for (paths, f) in entries() {
        for path in paths {
            let (module, name) = submodule(m, path);
            let v = Value::Builtin(Rc::new(Builtin { name, f, bound: None }));
            match module {
                Some(sub) => sub.set(name, v),
                None => m.set(name, v),
            }
        }
    }
    m.set("TensorShape", Value::Class(shape::class()));
    if let (Some(random), _) = submodule(m, "random.Generator") {
        random.set("Generator", random::generator_type());
    }
    let Some(dtypes) = submodule(m, "dtypes.float32").0 else { return };
    for d in DType::ALL {
        dtypes.set(d.name(), Value::DType(d));
    }
}

/// The submodule holding a dotted path below `m` (created on first use; `None` for a
/// top-level name) and the last name.
fn submodule(m: &NativeModule, path: &'static str) -> (Option<Rc<NativeModule>>, &'static str) {
    let mut parts: Vec<&'static str> = path.split('.').collect();
    let name = parts.pop().unwrap_or(path);
    let mut cur: Option<Rc<NativeModule>> = None;
    for part in parts {
        let parent_name = cur.as_ref().map_or(m.name.clone(), |c| c.name.clone());
        let existing = match &cur {
            Some(c) => c.attrs.borrow().get(part).cloned(),
            None => m.attrs.borrow().get(part).cloned(),
        };
        let next = match existing {
            Some(Value::Module(sub)) => sub,
            _ => {
                let sub = Rc::new(NativeModule::new(&format!("{parent_name}.{part}")));
                match &cur {
                    Some(c) => c.set(part, Value::Module(sub.clone())),
                    None => m.set(part, Value::Module(sub.clone())),
                }
                sub
            }
        };
        cur = Some(next);
    }
    (cur, name)
}

/// Attributes of tensors and variables added to the base table (`x.shape` as a
/// `TensorShape`, `x.get_shape()`); `None` leaves the lookup to the base table.
pub fn tensor_attr(_: &mut Interp, v: &Value, name: &str) -> PyResult<Option<Value>> {
    attrs::tensor_attr(v, name)
}
