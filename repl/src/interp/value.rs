//! Runtime values. Every heap value sits behind an `Rc`, so cloning a value is a reference
//! count bump; mutable containers use `RefCell` because Python aliasing is shared mutation.

use super::exceptions::{raise, PyResult};
use super::scope::{FastMap, FuncInfo, Scope};
use super::Interp;
use crate::ast::{Expr, Params, Stmt};
use indexmap::IndexMap;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use tensile::{DType, Tensor, Variable};

/// An interned-enough name: cheap to clone and hash.
pub type Str = Rc<str>;

/// A Python value.
#[derive(Clone)]
pub enum Value {
    /// `None`.
    None,
    /// `True`/`False`.
    Bool(bool),
    /// A 64-bit integer (overflow raises `OverflowError`).
    Int(i64),
    /// A float.
    Float(f64),
    /// An immutable string.
    Str(Str),
    /// A mutable list.
    List(Rc<RefCell<Vec<Value>>>),
    /// An immutable tuple.
    Tuple(Rc<Vec<Value>>),
    /// An insertion-ordered dict.
    Dict(Rc<RefCell<Dict>>),
    /// A set (a dict whose values are unused).
    Set(Rc<RefCell<Dict>>),
    /// `range(start, stop, step)`.
    Range(i64, i64, i64),
    /// A slice object `start:stop:step`.
    Slice(Rc<[Value; 3]>),
    /// `...`.
    Ellipsis,
    /// A function written in the language.
    Function(Rc<Function>),
    /// A function implemented in Rust, possibly bound to a receiver.
    Builtin(Rc<Builtin>),
    /// A function bound to an instance (or class, for classmethods).
    Method(Rc<(Value, Value)>),
    /// A user class or built-in exception class.
    Class(Rc<Class>),
    /// An instance of a user class.
    Instance(Rc<Instance>),
    /// A built-in type such as `int` or `list`.
    Type(BuiltinType),
    /// A native module (`tf`, `sys`, `math`).
    Module(Rc<NativeModule>),
    /// An iterator over a snapshot or a lazy source.
    Iter(Rc<RefCell<Iter>>),
    /// `staticmethod(f)`, `classmethod(f)` or `property(f)` in a class body.
    Descriptor(Rc<(Descriptor, Value)>),
    /// An engine tensor.
    Tensor(Tensor),
    /// An engine variable.
    Variable(Variable),
    /// A NumPy-style array (what `Tensor.numpy()` returns).
    Array(Tensor),
    /// An element type (`tf.float32`).
    DType(DType),
    /// Any other engine object, behind a table of attributes.
    Native(Rc<dyn NativeObject>),
}

/// Kinds of class-body wrappers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Descriptor {
    /// `@staticmethod`.
    Static,
    /// `@classmethod`.
    ClassMethod,
    /// `@property`.
    Property,
}

/// The built-in types that are values themselves (`int`, `list`, ...).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BuiltinType {
    /// `object`
    Object,
    /// `int`
    Int,
    /// `float`
    Float,
    /// `bool`
    Bool,
    /// `str`
    Str,
    /// `list`
    List,
    /// `tuple`
    Tuple,
    /// `dict`
    Dict,
    /// `set`
    Set,
    /// `type(None)`
    NoneType,
    /// `range`
    Range,
    /// functions
    Function,
    /// `type`
    Type,
}

impl BuiltinType {
    /// Python's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            BuiltinType::Object => "object",
            BuiltinType::Int => "int",
            BuiltinType::Float => "float",
            BuiltinType::Bool => "bool",
            BuiltinType::Str => "str",
            BuiltinType::List => "list",
            BuiltinType::Tuple => "tuple",
            BuiltinType::Dict => "dict",
            BuiltinType::Set => "set",
            BuiltinType::NoneType => "NoneType",
            BuiltinType::Range => "range",
            BuiltinType::Function => "function",
            BuiltinType::Type => "type",
        }
    }
}

/// An engine object exposed to scripts through an attribute table.
pub trait NativeObject {
    /// The Python-visible type name (`GradientTape`).
    fn type_name(&self) -> &str;
    /// Looks up an attribute; `this` is the value holding `self`, for bound methods.
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value>;
    /// `repr()`.
    fn repr(&self) -> String {
        format!("<{} object>", self.type_name())
    }
    /// `str()`; the repr unless the type prints differently.
    fn str(&self) -> String {
        self.repr()
    }
    /// `self == other` when the type defines equality (identity otherwise).
    fn eq(&self, _other: &Value) -> Option<bool> {
        None
    }
    /// Lets tables recover the concrete type.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A native module: a name and a table of members, filled by one function per namespace.
pub struct NativeModule {
    /// The dotted name (`tensorflow`).
    pub name: String,
    /// The members.
    pub attrs: RefCell<FastMap<Str, Value>>,
}

impl NativeModule {
    /// An empty module.
    pub fn new(name: &str) -> NativeModule {
        NativeModule { name: name.to_string(), attrs: RefCell::new(FastMap::default()) }
    }

    /// Adds a member.
    pub fn set(&self, name: &str, v: Value) {
        self.attrs.borrow_mut().insert(name.into(), v);
    }

    /// Adds a native function member.
    pub fn add_fn(&self, name: &'static str, f: NativeFn) {
        self.set(name, Value::Builtin(Rc::new(Builtin { name, f, bound: None })));
    }
}

/// Positional and keyword arguments of a native call.
#[derive(Default)]
pub struct Args {
    /// Positional arguments.
    pub pos: Vec<Value>,
    /// Keyword arguments in call order.
    pub kw: Vec<(Str, Value)>,
}

impl Args {
    /// Positional-only arguments.
    pub fn positional(pos: Vec<Value>) -> Args {
        Args { pos, kw: Vec::new() }
    }

    /// Argument `i` or keyword `name`, if given.
    pub fn get(&self, i: usize, name: &str) -> Option<Value> {
        if let Some(v) = self.pos.get(i) {
            return Some(v.clone());
        }
        self.kw.iter().find(|(k, _)| &**k == name).map(|(_, v)| v.clone())
    }

    /// Argument `i` or keyword `name`; a `TypeError` naming `func` when missing.
    pub fn req(&self, i: usize, name: &str, func: &str) -> PyResult<Value> {
        self.get(i, name).ok_or_else(|| raise("TypeError", format!("{func}() missing required argument: '{name}'")))
    }

    /// Keyword argument `name`, if given.
    pub fn kwarg(&self, name: &str) -> Option<Value> {
        self.kw.iter().find(|(k, _)| &**k == name).map(|(_, v)| v.clone())
    }

    /// Fails when more than `max` positional arguments were given or unknown keywords used.
    pub fn check(&self, func: &str, max: usize, keywords: &[&str]) -> PyResult<()> {
        if self.pos.len() > max {
            return Err(raise(
                "TypeError",
                format!("{func}() takes at most {max} positional argument{} ({} given)", plural(max), self.pos.len()),
            ));
        }
        for (k, _) in &self.kw {
            if !keywords.contains(&&**k) {
                return Err(raise("TypeError", format!("{func}() got an unexpected keyword argument '{k}'")));
            }
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The signature of every native function: the receiver (for bound methods) and the arguments.
pub type NativeFn = fn(&mut Interp, Option<&Value>, Args) -> PyResult<Value>;

/// A native function, possibly bound to a receiver.
pub struct Builtin {
    /// Name for messages and repr.
    pub name: &'static str,
    /// The implementation.
    pub f: NativeFn,
    /// The receiver of a bound method.
    pub bound: Option<Value>,
}

/// What a function evaluates: a block, or a lambda's expression.
pub enum Body {
    /// `def` body.
    Block(Vec<Stmt>),
    /// `lambda` body.
    Expr(Expr),
}

/// The code of a function, shared by every closure created from the same definition.
pub struct Code {
    /// The function's name.
    pub name: Str,
    /// Parameters as parsed.
    pub params: Params,
    /// Parameter names in binding order: positional, `*args`, keyword-only, `**kwargs`.
    pub body: Body,
    /// Scope analysis (locals, globals, nonlocals).
    pub info: Rc<FuncInfo>,
    /// The source the code came from.
    pub source: Rc<Source>,
}

/// A function value: code plus evaluated defaults and the enclosing scope.
pub struct Function {
    /// The code.
    pub code: Rc<Code>,
    /// Evaluated defaults of positional parameters, aligned to the end of `params.args`.
    pub defaults: Vec<Value>,
    /// Evaluated defaults of keyword-only parameters (`None` where required).
    pub kw_defaults: Vec<Option<Value>>,
    /// The enclosing function scope, for closures.
    pub closure: Option<Rc<Scope>>,
    /// The module scope.
    pub globals: Rc<Scope>,
    /// The class whose body defined this function, for `super()`.
    pub class: RefCell<Option<std::rc::Weak<Class>>>,
}

/// A source text and its name, for tracebacks.
pub struct Source {
    /// The file name.
    pub name: String,
    /// The text.
    pub text: String,
}

/// A class: name, optional base and its namespace.
pub struct Class {
    /// The class name.
    pub name: Str,
    /// The single base class.
    pub base: Option<Rc<Class>>,
    /// Methods and class attributes.
    pub dict: RefCell<FastMap<Str, Value>>,
}

impl Class {
    /// Finds an attribute along the base chain.
    pub fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.dict.borrow().get(name) {
            return Some(v.clone());
        }
        self.base.as_ref().and_then(|b| b.lookup(name))
    }

    /// True when `self` is `other` or derives from it.
    pub fn is_subclass(self: &Rc<Self>, other: &Rc<Class>) -> bool {
        let mut c = Some(self.clone());
        while let Some(k) = c {
            if Rc::ptr_eq(&k, other) {
                return true;
            }
            c = k.base.clone();
        }
        false
    }

    /// True when some class in the chain has this name (used for built-in exception checks).
    pub fn derives_from_named(&self, name: &str) -> bool {
        if &*self.name == name {
            return true;
        }
        self.base.as_ref().is_some_and(|b| b.derives_from_named(name))
    }
}

/// An instance of a user class.
pub struct Instance {
    /// Its class.
    pub class: Rc<Class>,
    /// Its attributes.
    pub dict: RefCell<FastMap<Str, Value>>,
}

/// A dict key: the value's hashable form (`1`, `1.0` and `True` are the same key).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Key {
    /// `None`.
    None,
    /// Ints, bools and integral floats.
    Int(i64),
    /// Other floats, by bits.
    Float(u64),
    /// Strings.
    Str(Str),
    /// Tuples.
    Tuple(Vec<Key>),
    /// Objects hashed by identity.
    Id(usize),
}

/// An insertion-ordered mapping keeping the original key values.
pub type Dict = IndexMap<Key, (Value, Value)>;

/// Iterator state.
pub enum Iter {
    /// Items of a snapshot.
    Seq(Rc<Vec<Value>>, usize),
    /// A live list (sees appends, as Python's list iterator does).
    List(Rc<RefCell<Vec<Value>>>, usize),
    /// A range.
    Range(i64, i64, i64),
    /// Characters of a string.
    Chars(Str, usize),
    /// `map(f, it...)`.
    Map(Value, Vec<Value>),
    /// `filter(f, it)`.
    Filter(Value, Value),
    /// `zip(it...)`.
    Zip(Vec<Value>),
    /// `enumerate(it, start)`.
    Enumerate(Value, i64),
    /// A user object with `__next__`.
    User(Value),
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(s.into())
    }

    /// A new list value.
    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(v)))
    }

    /// A new tuple value.
    pub fn tuple(v: Vec<Value>) -> Value {
        Value::Tuple(Rc::new(v))
    }

    /// Python's type name of the value.
    pub fn type_name(&self) -> String {
        match self {
            Value::None => "NoneType".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float".into(),
            Value::Str(_) => "str".into(),
            Value::List(_) => "list".into(),
            Value::Tuple(_) => "tuple".into(),
            Value::Dict(_) => "dict".into(),
            Value::Set(_) => "set".into(),
            Value::Range(..) => "range".into(),
            Value::Slice(_) => "slice".into(),
            Value::Ellipsis => "ellipsis".into(),
            Value::Function(_) => "function".into(),
            Value::Builtin(b) if b.bound.is_some() => "builtin_function_or_method".into(),
            Value::Builtin(_) => "builtin_function_or_method".into(),
            Value::Method(_) => "method".into(),
            Value::Class(_) | Value::Type(_) => "type".into(),
            Value::Instance(i) => i.class.name.to_string(),
            Value::Module(_) => "module".into(),
            Value::Iter(_) => "iterator".into(),
            Value::Descriptor(d) => match d.0 {
                Descriptor::Static => "staticmethod".into(),
                Descriptor::ClassMethod => "classmethod".into(),
                Descriptor::Property => "property".into(),
            },
            Value::Tensor(t) if t.is_symbolic() => "SymbolicTensor".into(),
            Value::Tensor(_) => "EagerTensor".into(),
            Value::Variable(_) => "ResourceVariable".into(),
            Value::Array(_) => "numpy.ndarray".into(),
            Value::DType(_) => "DType".into(),
            Value::Native(n) => n.type_name().to_string(),
        }
    }

    /// The hashable key of the value, or `TypeError: unhashable type`.
    pub fn key(&self) -> PyResult<Key> {
        Ok(match self {
            Value::None => Key::None,
            Value::Bool(b) => Key::Int(*b as i64),
            Value::Int(i) => Key::Int(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Key::Int(*f as i64),
            Value::Float(f) => Key::Float(f.to_bits()),
            Value::Str(s) => Key::Str(s.clone()),
            Value::Tuple(t) => Key::Tuple(t.iter().map(|v| v.key()).collect::<PyResult<_>>()?),
            Value::Function(f) => Key::Id(Rc::as_ptr(f) as *const () as usize),
            Value::Class(c) => Key::Id(Rc::as_ptr(c) as *const () as usize),
            Value::Instance(i) => Key::Id(Rc::as_ptr(i) as *const () as usize),
            Value::Builtin(b) => Key::Id(Rc::as_ptr(b) as *const () as usize),
            Value::Module(m) => Key::Id(Rc::as_ptr(m) as *const () as usize),
            Value::Type(t) => Key::Str(format!("<type {}>", t.name()).into()),
            Value::DType(d) => Key::Str(format!("<dtype {}>", d.name()).into()),
            Value::Variable(v) => Key::Id(v.handle_id() as usize),
            Value::Native(n) => Key::Id(Rc::as_ptr(n) as *const () as usize),
            Value::Range(a, b, c) => Key::Tuple(vec![Key::Int(*a), Key::Int(*b), Key::Int(*c)]),
            Value::Ellipsis => Key::Str("<Ellipsis>".into()),
            Value::Tensor(_) => {
                return Err(raise("TypeError", "Tensor is unhashable. Instead, use tensor.ref() as the key."))
            }
            other => return Err(raise("TypeError", format!("unhashable type: '{}'", other.type_name()))),
        })
    }

    /// True for `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.type_name())
    }
}

/// A fresh dict value.
pub fn new_dict(d: Dict) -> Value {
    Value::Dict(Rc::new(RefCell::new(d)))
}
