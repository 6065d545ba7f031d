//! Function arguments and their cache keys.
//!
//! A call's key keeps, for each tensor, its dtype and shape, and for every other value the value
//! itself (as TensorFlow does for Python values). Keys can be relaxed (`[3]` and `[5]` become
//! `[None]`) and compared, so a retrace can say what changed.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Spec;
use crate::shape::{self, Dims};
use crate::tensor::Tensor;
use std::fmt;

/// An argument or result of a traced function: tensors and plain values in nested lists and
/// dicts (Python's tuples/lists/dicts of tensors and numbers).
#[derive(Clone, Debug)]
pub enum Arg {
    /// A tensor (traced symbolically: only its dtype and shape are part of the key).
    Tensor(Tensor),
    /// A plain integer (part of the key by value).
    Int(i64),
    /// A plain float (part of the key by value).
    Float(f64),
    /// A plain bool (part of the key by value).
    Bool(bool),
    /// A string (part of the key by value).
    Str(String),
    /// Python's `None`.
    None,
    /// A list.
    List(Vec<Arg>),
    /// A tuple (keyed apart from a list of the same items, as TensorFlow does).
    Tuple(Vec<Arg>),
    /// A dict with string keys, in insertion order.
    Dict(Vec<(String, Arg)>),
    /// Any other object of the calling language, part of the key by identity.
    Object(ObjectKey),
}

/// An object argument's identity and how to show it (`<Model object at 0x1f2e>`).
#[derive(Clone, Debug)]
pub struct ObjectKey {
    /// Identity: two arguments with the same id are the same object.
    pub id: u64,
    /// Its repr, for signatures and retrace explanations.
    pub repr: String,
}

impl PartialEq for ObjectKey {
    fn eq(&self, other: &ObjectKey) -> bool {
        self.id == other.id
    }
}

impl From<Tensor> for Arg {
    fn from(t: Tensor) -> Arg {
        Arg::Tensor(t)
    }
}
impl From<&Tensor> for Arg {
    fn from(t: &Tensor) -> Arg {
        Arg::Tensor(t.clone())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Arg {
        Arg::Int(v as i64)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Arg {
        Arg::Float(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Str(v.to_string())
    }
}
impl From<Vec<Tensor>> for Arg {
    fn from(v: Vec<Tensor>) -> Arg {
        Arg::List(v.into_iter().map(Arg::Tensor).collect())
    }
}
impl From<Vec<Arg>> for Arg {
    fn from(v: Vec<Arg>) -> Arg {
        Arg::List(v)
    }
}

impl Arg {
    /// The tensor, when this is a tensor.
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Arg::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// The tensor, or an error naming what this is instead.
    pub fn tensor(&self) -> Result<&Tensor> {
        self.as_tensor().ok_or_else(|| Error::invalid("tf.function", format!("expected a tensor, got {}", self.kind())))
    }

    /// The tensors of a flat list (or a single tensor), in order.
    pub fn tensors(&self) -> Vec<Tensor> {
        let mut v = Vec::new();
        self.for_each_tensor(&mut |t| v.push(t.clone()));
        v
    }

    /// Visits every tensor leaf in depth-first order (the order graph arguments follow).
    pub fn for_each_tensor(&self, f: &mut dyn FnMut(&Tensor)) {
        match self {
            Arg::Tensor(t) => f(t),
            Arg::List(v) | Arg::Tuple(v) => v.iter().for_each(|a| a.for_each_tensor(f)),
            Arg::Dict(v) => v.iter().for_each(|(_, a)| a.for_each_tensor(f)),
            _ => {}
        }
    }

    /// The same structure with every tensor leaf replaced by `f(leaf)`.
    pub fn map_tensors(&self, f: &mut dyn FnMut(&Tensor) -> Result<Tensor>) -> Result<Arg> {
        Ok(match self {
            Arg::Tensor(t) => Arg::Tensor(f(t)?),
            Arg::List(v) => Arg::List(v.iter().map(|a| a.map_tensors(f)).collect::<Result<_>>()?),
            Arg::Tuple(v) => Arg::Tuple(v.iter().map(|a| a.map_tensors(f)).collect::<Result<_>>()?),
            Arg::Dict(v) => {
                Arg::Dict(v.iter().map(|(k, a)| Ok((k.clone(), a.map_tensors(f)?))).collect::<Result<_>>()?)
            }
            other => other.clone(),
        })
    }

    /// What kind of value this is, for messages (`a float32 tensor`, `the Python int 3`).
    pub fn kind(&self) -> String {
        match self {
            Arg::Tensor(t) => format!("a {} tensor with shape {}", t.dtype(), shape::fmt_dims(&t.dims())),
            Arg::Int(v) => format!("the int {v}"),
            Arg::Float(v) => format!("the float {}", py_float(*v)),
            Arg::Bool(v) => format!("the bool {}", if *v { "True" } else { "False" }),
            Arg::Str(v) => format!("the string {v:?}"),
            Arg::None => "None".to_string(),
            Arg::List(v) => format!("a list of {} items", v.len()),
            Arg::Tuple(v) => format!("a tuple of {} items", v.len()),
            Arg::Object(o) => o.repr.clone(),
            Arg::Dict(v) => format!("a dict of {} items", v.len()),
        }
    }

    /// The cache key of this argument.
    pub fn spec(&self) -> ArgSpec {
        match self {
            Arg::Tensor(t) => ArgSpec::Tensor(TensorSpec { dtype: t.dtype(), dims: t.dims(), name: None }),
            Arg::Int(v) => ArgSpec::Int(*v),
            Arg::Float(v) => ArgSpec::Float(v.to_bits()),
            Arg::Bool(v) => ArgSpec::Bool(*v),
            Arg::Str(v) => ArgSpec::Str(v.clone()),
            Arg::None => ArgSpec::None,
            Arg::List(v) => ArgSpec::List(v.iter().map(Arg::spec).collect()),
            Arg::Tuple(v) => ArgSpec::Tuple(v.iter().map(Arg::spec).collect()),
            Arg::Object(o) => ArgSpec::Object(o.clone()),
            Arg::Dict(v) => ArgSpec::Dict(v.iter().map(|(k, a)| (k.clone(), a.spec())).collect()),
        }
    }
}

/// Python's repr of a float (`2.0`, `0.1`, `inf`).
pub(crate) fn py_float(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if v == v.trunc() && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// The dtype and (partially known) shape a tensor argument must have (`tf.TensorSpec`).
#[derive(Clone, Debug, PartialEq)]
pub struct TensorSpec {
    /// Element type.
    pub dtype: DType,
    /// Dimensions, `None` for any size.
    pub dims: Dims,
    /// Optional argument name (shown in signatures).
    pub name: Option<String>,
}

impl TensorSpec {
    /// A spec from dims (`None` = any size) and a dtype: `TensorSpec::new(&[None, Some(3)], F32)`.
    pub fn new(dims: &[Option<usize>], dtype: DType) -> TensorSpec {
        TensorSpec { dtype, dims: dims.iter().copied().collect(), name: None }
    }

    /// A spec with a fully known shape.
    pub fn of_shape(shape: &[usize], dtype: DType) -> TensorSpec {
        TensorSpec { dtype, dims: shape::to_dims(shape), name: None }
    }

    /// The same spec with a name.
    pub fn named(mut self, name: &str) -> TensorSpec {
        self.name = Some(name.to_string());
        self
    }

    /// The op-level spec.
    pub fn spec(&self) -> Spec {
        Spec { dtype: self.dtype, dims: self.dims.clone() }
    }

    /// True when `t` has this dtype and a shape these dims allow.
    pub fn accepts(&self, t: &Tensor) -> bool {
        t.dtype() == self.dtype && dims_accept(&self.dims, &t.dims())
    }

    /// TensorFlow's repr: `TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)`.
    pub fn repr(&self) -> String {
        let name = self.name.as_ref().map_or("None".to_string(), |n| format!("'{n}'"));
        format!("TensorSpec(shape={}, dtype=tf.{}, name={name})", py_dims(&self.dims), self.dtype.name())
    }
}

impl fmt::Display for TensorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr())
    }
}

/// Python tuple form of dims: `(None, 3)`, `(5,)`, `()`.
pub(crate) fn py_dims(dims: &[Option<usize>]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.map_or("None".to_string(), |d| d.to_string())).collect();
    match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    }
}

/// True when `dims` (possibly with `None`) allow `actual` (same rank, known dims equal; an
/// unknown actual dim is only allowed by an unknown spec dim).
pub(crate) fn dims_accept(dims: &[Option<usize>], actual: &[Option<usize>]) -> bool {
    dims.len() == actual.len() && dims.iter().zip(actual).all(|(d, a)| d.is_none() || d == a)
}

/// The cache key of one argument: tensors by dtype and shape, everything else by value.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgSpec {
    /// A tensor of this spec.
    Tensor(TensorSpec),
    /// This int.
    Int(i64),
    /// This float (bit pattern, so NaN keys compare equal).
    Float(u64),
    /// This bool.
    Bool(bool),
    /// This string.
    Str(String),
    /// `None`.
    None,
    /// A list of these.
    List(Vec<ArgSpec>),
    /// A tuple of these.
    Tuple(Vec<ArgSpec>),
    /// This object (by identity).
    Object(ObjectKey),
    /// A dict of these.
    Dict(Vec<(String, ArgSpec)>),
}

impl From<TensorSpec> for ArgSpec {
    fn from(s: TensorSpec) -> ArgSpec {
        ArgSpec::Tensor(s)
    }
}

impl ArgSpec {
    /// True when a call with argument `arg` can run a function traced for this key.
    pub fn accepts(&self, arg: &Arg) -> bool {
        match (self, arg) {
            (ArgSpec::Tensor(s), Arg::Tensor(t)) => s.accepts(t),
            (ArgSpec::Int(a), Arg::Int(b)) => a == b,
            (ArgSpec::Float(a), Arg::Float(b)) => *a == b.to_bits(),
            (ArgSpec::Bool(a), Arg::Bool(b)) => a == b,
            (ArgSpec::Str(a), Arg::Str(b)) => a == b,
            (ArgSpec::None, Arg::None) => true,
            (ArgSpec::List(a), Arg::List(b)) | (ArgSpec::Tuple(a), Arg::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(s, x)| s.accepts(x))
            }
            (ArgSpec::Object(a), Arg::Object(b)) => a == b,
            (ArgSpec::Dict(a), Arg::Dict(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((k, s), (j, x))| k == j && s.accepts(x))
            }
            _ => false,
        }
    }

    /// The most specific key that accepts everything `self` and `other` accept, when they differ
    /// only in tensor dims (`[3]` and `[5]` give `[None]`); `None` when they differ otherwise.
    pub fn relax(&self, other: &ArgSpec) -> Option<ArgSpec> {
        Some(match (self, other) {
            (ArgSpec::Tensor(a), ArgSpec::Tensor(b)) => {
                if a.dtype != b.dtype || a.dims.len() != b.dims.len() {
                    return None;
                }
                let dims = a.dims.iter().zip(&b.dims).map(|(x, y)| if x == y { *x } else { None }).collect();
                ArgSpec::Tensor(TensorSpec { dtype: a.dtype, dims, name: a.name.clone() })
            }
            (ArgSpec::List(a), ArgSpec::List(b)) if a.len() == b.len() => {
                ArgSpec::List(a.iter().zip(b).map(|(x, y)| x.relax(y)).collect::<Option<_>>()?)
            }
            (ArgSpec::Tuple(a), ArgSpec::Tuple(b)) if a.len() == b.len() => {
                ArgSpec::Tuple(a.iter().zip(b).map(|(x, y)| x.relax(y)).collect::<Option<_>>()?)
            }
            (ArgSpec::Dict(a), ArgSpec::Dict(b)) if a.len() == b.len() => ArgSpec::Dict(
                a.iter()
                    .zip(b)
                    .map(|((k, x), (j, y))| if k == j { x.relax(y).map(|r| (k.clone(), r)) } else { None })
                    .collect::<Option<_>>()?,
            ),
            (a, b) if a == b => a.clone(),
            _ => return None,
        })
    }

    /// Human-readable differences from `old` to `self`, each prefixed with `path`
    /// (`x: shape [3] → [5]`, `scale: 2.0 → 3.0`).
    pub fn diff(&self, old: &ArgSpec, path: &str, out: &mut Vec<String>) {
        match (old, self) {
            (ArgSpec::Tensor(a), ArgSpec::Tensor(b)) => {
                if a.dtype != b.dtype {
                    out.push(format!("{path}: dtype {} → {}", a.dtype, b.dtype));
                }
                if a.dims != b.dims {
                    out.push(format!("{path}: shape {} → {}", shape::fmt_dims(&a.dims), shape::fmt_dims(&b.dims)));
                }
            }
            (ArgSpec::List(a), ArgSpec::List(b)) | (ArgSpec::Tuple(a), ArgSpec::Tuple(b)) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    y.diff(x, &format!("{path}[{i}]"), out);
                }
            }
            (ArgSpec::Dict(a), ArgSpec::Dict(b))
                if a.len() == b.len() && a.iter().zip(b).all(|((k, _), (j, _))| k == j) =>
            {
                for ((k, x), (_, y)) in a.iter().zip(b) {
                    y.diff(x, &format!("{path}[{k:?}]"), out);
                }
            }
            (a, b) if a == b => {}
            (a, b) => out.push(format!("{path}: {} → {}", a.describe(), b.describe())),
        }
    }

    /// Short description for retrace messages: `2.0`, `float32[3]`, `list of 2`.
    pub fn describe(&self) -> String {
        match self {
            ArgSpec::Tensor(s) => format!("{}{}", s.dtype, shape::fmt_dims(&s.dims)),
            ArgSpec::Int(v) => v.to_string(),
            ArgSpec::Float(b) => py_float(f64::from_bits(*b)),
            ArgSpec::Bool(v) => if *v { "True" } else { "False" }.to_string(),
            ArgSpec::Str(v) => format!("{v:?}"),
            ArgSpec::None => "None".to_string(),
            ArgSpec::List(v) => format!("a list of {}", v.len()),
            ArgSpec::Tuple(v) => format!("a tuple of {}", v.len()),
            ArgSpec::Object(o) => o.repr.clone(),
            ArgSpec::Dict(v) => format!("a dict of {}", v.len()),
        }
    }

    /// TensorFlow's repr of the key: `TensorSpec(...)` for tensors, `Literal[2.0]` for plain
    /// values, `List[...]`/`Dict[...]` for containers.
    pub fn repr(&self) -> String {
        match self {
            ArgSpec::Tensor(s) => s.repr(),
            ArgSpec::List(v) => format!("List[{}]", v.iter().map(ArgSpec::repr).collect::<Vec<_>>().join(", ")),
            ArgSpec::Tuple(v) => format!("Tuple[{}]", v.iter().map(ArgSpec::repr).collect::<Vec<_>>().join(", ")),
            ArgSpec::Dict(v) => {
                format!(
                    "Dict[{}]",
                    v.iter().map(|(k, s)| format!("['{k}', {}]", s.repr())).collect::<Vec<_>>().join(", ")
                )
            }
            ArgSpec::Str(v) => format!("Literal['{v}']"),
            ArgSpec::None => "None".to_string(),
            other => format!("Literal[{}]", other.describe()),
        }
    }

    /// The tensor specs of the key's tensor leaves, depth-first (the graph's argument order).
    pub fn tensor_specs(&self) -> Vec<TensorSpec> {
        let mut v = Vec::new();
        self.collect_specs(&mut v);
        v
    }

    fn collect_specs(&self, out: &mut Vec<TensorSpec>) {
        match self {
            ArgSpec::Tensor(s) => out.push(s.clone()),
            ArgSpec::List(v) | ArgSpec::Tuple(v) => v.iter().for_each(|a| a.collect_specs(out)),
            ArgSpec::Dict(v) => v.iter().for_each(|(_, a)| a.collect_specs(out)),
            _ => {}
        }
    }

    /// The argument the traced body receives: `tensors` (symbolic) placed at the tensor leaves,
    /// plain values as they are.
    pub fn rebuild(&self, tensors: &mut dyn Iterator<Item = Tensor>) -> Result<Arg> {
        Ok(match self {
            ArgSpec::Tensor(_) => Arg::Tensor(tensors.next().ok_or_else(|| {
                Error::new(crate::ErrorKind::Internal, "tf.function", "fewer traced arguments than tensor leaves")
            })?),
            ArgSpec::Int(v) => Arg::Int(*v),
            ArgSpec::Float(b) => Arg::Float(f64::from_bits(*b)),
            ArgSpec::Bool(v) => Arg::Bool(*v),
            ArgSpec::Str(v) => Arg::Str(v.clone()),
            ArgSpec::None => Arg::None,
            ArgSpec::List(v) => Arg::List(v.iter().map(|a| a.rebuild(tensors)).collect::<Result<_>>()?),
            ArgSpec::Tuple(v) => Arg::Tuple(v.iter().map(|a| a.rebuild(tensors)).collect::<Result<_>>()?),
            ArgSpec::Object(o) => Arg::Object(o.clone()),
            ArgSpec::Dict(v) => {
                Arg::Dict(v.iter().map(|(k, a)| Ok((k.clone(), a.rebuild(tensors)?))).collect::<Result<_>>()?)
            }
        })
    }
}
