//! Nested structures of tensors (TensorFlow's `tf.nest`): loop variables and branch results
//! may be tensors, lists, tuples and string-keyed dicts of them, nested arbitrarily.
//!
//! Flattening visits lists and tuples in order and dicts in sorted key order, as `tf.nest`
//! does, so a structure and its flat list of tensors convert back and forth losslessly.
//!
//! A `TensorArray` is a leaf structure: its dense buffer is its one tensor (inside a trace),
//! and an eager array has none.

use super::tensor_array::TensorArray;
use crate::error::{Error, Result};
use crate::shape::Dims;
use crate::tensor::Tensor;
use std::collections::BTreeMap;

/// A nested structure of tensors.
#[derive(Clone, Debug)]
pub enum Structure {
    /// A leaf.
    Tensor(Tensor),
    /// A Python-style list.
    List(Vec<Structure>),
    /// A Python-style tuple.
    Tuple(Vec<Structure>),
    /// A dict, flattened in sorted key order.
    Dict(BTreeMap<String, Structure>),
    /// A `TensorArray`, flattened to its dense buffer (none when it is sparse).
    TensorArray(Box<TensorArray>),
}

impl From<Tensor> for Structure {
    fn from(t: Tensor) -> Structure {
        Structure::Tensor(t)
    }
}

impl From<Vec<Tensor>> for Structure {
    fn from(v: Vec<Tensor>) -> Structure {
        Structure::List(v.into_iter().map(Structure::Tensor).collect())
    }
}

impl Structure {
    /// The leaves in `tf.nest.flatten` order.
    pub fn flatten(&self) -> Vec<Tensor> {
        let mut out = Vec::new();
        self.visit(&mut String::new(), &mut |_, t| out.push(t.clone()));
        out
    }

    /// The leaves with their paths (`[1]['a']`), as error messages name them.
    pub fn flatten_with_paths(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit(&mut String::new(), &mut |p, t| out.push((p.to_string(), t.clone())));
        out
    }

    /// The path of each leaf, in flatten order.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.visit(&mut String::new(), &mut |p, _| out.push(p.to_string()));
        out
    }

    fn visit(&self, path: &mut String, f: &mut dyn FnMut(&str, &Tensor)) {
        let len = path.len();
        match self {
            Structure::Tensor(t) => f(path, t),
            Structure::TensorArray(ta) => {
                if let Some(b) = ta.flow() {
                    f(path, b)
                }
            }
            Structure::List(items) | Structure::Tuple(items) => {
                for (i, s) in items.iter().enumerate() {
                    path.push_str(&format!("[{i}]"));
                    s.visit(path, f);
                    path.truncate(len);
                }
            }
            Structure::Dict(items) => {
                for (k, s) in items {
                    path.push_str(&format!("[{k:?}]"));
                    s.visit(path, f);
                    path.truncate(len);
                }
            }
        }
    }

    /// Number of leaves.
    pub fn num_leaves(&self) -> usize {
        match self {
            Structure::Tensor(_) => 1,
            Structure::TensorArray(ta) => usize::from(ta.flow().is_some()),
            Structure::List(v) | Structure::Tuple(v) => v.iter().map(Structure::num_leaves).sum(),
            Structure::Dict(m) => m.values().map(Structure::num_leaves).sum(),
        }
    }

    /// The shape of the structure without values: `(T, [T, T], {"a": T})`.
    pub fn describe(&self) -> String {
        let join = |v: &[Structure]| v.iter().map(Structure::describe).collect::<Vec<_>>().join(", ");
        match self {
            Structure::Tensor(_) => "T".to_string(),
            Structure::TensorArray(ta) => format!("TensorArray({})", ta.dtype()),
            Structure::List(v) => format!("[{}]", join(v)),
            Structure::Tuple(v) if v.len() == 1 => format!("({},)", join(v)),
            Structure::Tuple(v) => format!("({})", join(v)),
            Structure::Dict(m) => {
                let parts: Vec<String> = m.iter().map(|(k, s)| format!("{k:?}: {}", s.describe())).collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }

    /// `tf.nest.pack_sequence_as(self, flat)`: a structure shaped like `self` holding `flat`.
    pub fn pack_sequence_as(&self, flat: &[Tensor]) -> Result<Structure> {
        let need = self.num_leaves();
        if flat.len() != need {
            return Err(Error::invalid(
                "pack_sequence_as",
                format!("the structure {} has {need} tensors but {} were given", self.describe(), flat.len()),
            ));
        }
        let mut it = flat.iter();
        Ok(self.rebuild(&mut it))
    }

    fn rebuild<'a>(&self, it: &mut impl Iterator<Item = &'a Tensor>) -> Structure {
        match self {
            // The leaf count was checked, so the iterator cannot run dry; keep the template leaf
            // rather than panic should that ever change.
            Structure::Tensor(t) => Structure::Tensor(it.next().unwrap_or(t).clone()),
            Structure::TensorArray(ta) => Structure::TensorArray(Box::new(match ta.flow() {
                Some(b) => ta.with_flow(it.next().unwrap_or(b)),
                None => (**ta).clone(),
            })),
            Structure::List(v) => Structure::List(v.iter().map(|s| s.rebuild(it)).collect()),
            Structure::Tuple(v) => Structure::Tuple(v.iter().map(|s| s.rebuild(it)).collect()),
            Structure::Dict(m) => Structure::Dict(m.iter().map(|(k, s)| (k.clone(), s.rebuild(it))).collect()),
        }
    }

    /// Per leaf (in flatten order), the dims a loop lets it take when no shape invariant is
    /// given: `None` keeps the leaf's own shape; a growing `TensorArray`'s buffer may take any size.
    pub(crate) fn loop_dims(&self) -> Vec<Option<Dims>> {
        let mut out = Vec::new();
        self.collect_loop_dims(&mut out);
        out
    }

    fn collect_loop_dims(&self, out: &mut Vec<Option<Dims>>) {
        match self {
            Structure::Tensor(_) => out.push(None),
            Structure::TensorArray(ta) => out.extend(ta.flow().map(|_| ta.loop_dims())),
            Structure::List(v) | Structure::Tuple(v) => v.iter().for_each(|s| s.collect_loop_dims(out)),
            Structure::Dict(m) => m.values().for_each(|s| s.collect_loop_dims(out)),
        }
    }

    /// True when both have the same nesting (kinds, lengths and dict keys), ignoring values.
    pub fn same_structure(&self, other: &Structure) -> bool {
        match (self, other) {
            (Structure::Tensor(_), Structure::Tensor(_)) => true,
            (Structure::TensorArray(a), Structure::TensorArray(b)) => {
                a.dtype() == b.dtype() && a.flow().is_some() == b.flow().is_some()
            }
            (Structure::List(a), Structure::List(b)) | (Structure::Tuple(a), Structure::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_structure(y))
            }
            (Structure::Dict(a), Structure::Dict(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((ka, x), (kb, y))| ka == kb && x.same_structure(y))
            }
            _ => false,
        }
    }
}

/// `tf.nest.assert_same_structure`: fails naming both structures (`a_name`, `b_name`) when
/// their nesting differs. `op` is the API the error is reported for.
pub fn assert_same_structure(op: &str, a_name: &str, a: &Structure, b_name: &str, b: &Structure) -> Result<()> {
    if a.same_structure(b) {
        return Ok(());
    }
    Err(Error::invalid(
        op,
        format!(
            "{a_name} and {b_name} must have the same nested structure: {a_name} is {} ({} tensors), \
             {b_name} is {} ({} tensors)",
            a.describe(),
            a.num_leaves(),
            b.describe(),
            b.num_leaves()
        ),
    ))
}

/// A Rust value that is a nested structure of tensors: `Tensor`, `Vec<T>`, tuples,
/// `BTreeMap<String, T>` and [`Structure`] itself.
pub trait Nest: Sized {
    /// The value as a [`Structure`] (tensors are cheap `Arc` clones).
    fn to_structure(&self) -> Structure;
    /// Rebuilds the value from a structure of the same shape.
    fn from_structure(s: Structure) -> Result<Self>;
}

fn mismatch(expected: &str, got: &Structure) -> Error {
    Error::invalid("nest", format!("expected {expected}, got the structure {}", got.describe()))
}

impl Nest for Structure {
    fn to_structure(&self) -> Structure {
        self.clone()
    }
    fn from_structure(s: Structure) -> Result<Self> {
        Ok(s)
    }
}

impl Nest for Tensor {
    fn to_structure(&self) -> Structure {
        Structure::Tensor(self.clone())
    }
    fn from_structure(s: Structure) -> Result<Self> {
        match s {
            Structure::Tensor(t) => Ok(t),
            other => Err(mismatch("a tensor", &other)),
        }
    }
}

impl<T: Nest> Nest for Vec<T> {
    fn to_structure(&self) -> Structure {
        Structure::List(self.iter().map(Nest::to_structure).collect())
    }
    fn from_structure(s: Structure) -> Result<Self> {
        match s {
            Structure::List(v) => v.into_iter().map(T::from_structure).collect(),
            other => Err(mismatch("a list", &other)),
        }
    }
}

impl<T: Nest> Nest for BTreeMap<String, T> {
    fn to_structure(&self) -> Structure {
        Structure::Dict(self.iter().map(|(k, v)| (k.clone(), v.to_structure())).collect())
    }
    fn from_structure(s: Structure) -> Result<Self> {
        match s {
            Structure::Dict(m) => m.into_iter().map(|(k, v)| Ok((k, T::from_structure(v)?))).collect(),
            other => Err(mismatch("a dict", &other)),
        }
    }
}

macro_rules! nest_tuple {
    ($n:literal; $($T:ident $v:ident),+) => {
        impl<$($T: Nest),+> Nest for ($($T,)+) {
            fn to_structure(&self) -> Structure {
                #[allow(non_snake_case)]
                let ($($v,)+) = self;
                Structure::Tuple(vec![$($v.to_structure()),+])
            }
            fn from_structure(s: Structure) -> Result<Self> {
                match s {
                    Structure::Tuple(v) if v.len() == $n => {
                        let mut it = v.into_iter();
                        Ok(($($T::from_structure(it.next().ok_or_else(|| mismatch("a tuple", &Structure::List(vec![])))?)?,)+))
                    }
                    other => Err(mismatch(concat!("a tuple of ", $n), &other)),
                }
            }
        }
    };
}

nest_tuple!(1; A a);
nest_tuple!(2; A a, B b);
nest_tuple!(3; A a, B b, C c);
nest_tuple!(4; A a, B b, C c, D d);
