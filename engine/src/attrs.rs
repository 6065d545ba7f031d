//! Op attributes: the non-tensor parameters of an op call (axis, transpose flags, ...).

use crate::dtype::DType;
use crate::error::{Error, Result};
use smallvec::SmallVec;

/// One attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    /// An integer (axis, count, seed).
    Int(i64),
    /// A float (alpha, epsilon, rate).
    Float(f64),
    /// A flag (keepdims, transpose_a).
    Bool(bool),
    /// A string (padding, equation).
    Str(String),
    /// A list of integers (shape, perm, axes).
    Ints(Vec<i64>),
    /// An optional list of integers (`None` = all axes).
    OptInts(Option<Vec<i64>>),
    /// A dtype (cast target).
    DType(DType),
}

/// An op's attributes: a small name → value list (no allocation when empty).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs(pub SmallVec<[(&'static str, Attr); 2]>);

impl Attrs {
    /// No attributes.
    pub fn new() -> Attrs {
        Attrs(SmallVec::new())
    }

    /// Adds an attribute (builder style).
    pub fn with(mut self, name: &'static str, value: Attr) -> Attrs {
        self.0.push((name, value));
        self
    }

    /// The raw value of an attribute, if present.
    pub fn get(&self, name: &str) -> Option<&Attr> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn missing(op: &str, name: &str, what: &str) -> Error {
        Error::invalid(op, format!("attribute `{name}` must be {what}"))
    }

    /// An integer attribute, or an error naming `op`.
    pub fn int(&self, op: &str, name: &str) -> Result<i64> {
        match self.get(name) {
            Some(Attr::Int(v)) => Ok(*v),
            _ => Err(Attrs::missing(op, name, "an int")),
        }
    }

    /// A float attribute, or an error naming `op`.
    pub fn float(&self, op: &str, name: &str) -> Result<f64> {
        match self.get(name) {
            Some(Attr::Float(v)) => Ok(*v),
            Some(Attr::Int(v)) => Ok(*v as f64),
            _ => Err(Attrs::missing(op, name, "a float")),
        }
    }

    /// A bool attribute, `default` when absent.
    pub fn bool_or(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            Some(Attr::Bool(v)) => *v,
            _ => default,
        }
    }

    /// A string attribute, or an error naming `op`.
    pub fn str(&self, op: &str, name: &str) -> Result<&str> {
        match self.get(name) {
            Some(Attr::Str(v)) => Ok(v),
            _ => Err(Attrs::missing(op, name, "a string")),
        }
    }

    /// An integer-list attribute, or an error naming `op`.
    pub fn ints(&self, op: &str, name: &str) -> Result<&[i64]> {
        match self.get(name) {
            Some(Attr::Ints(v)) => Ok(v),
            Some(Attr::OptInts(Some(v))) => Ok(v),
            _ => Err(Attrs::missing(op, name, "a list of ints")),
        }
    }

    /// An optional integer-list attribute (absent or `None` → `None`).
    pub fn opt_ints(&self, name: &str) -> Option<&[i64]> {
        match self.get(name) {
            Some(Attr::Ints(v)) => Some(v),
            Some(Attr::OptInts(Some(v))) => Some(v),
            _ => None,
        }
    }

    /// A dtype attribute, or an error naming `op`.
    pub fn dtype(&self, op: &str, name: &str) -> Result<DType> {
        match self.get(name) {
            Some(Attr::DType(v)) => Ok(*v),
            _ => Err(Attrs::missing(op, name, "a dtype")),
        }
    }
}
