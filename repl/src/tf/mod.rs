//! The `tf` namespace: engine values in the language, bound through tables.
//!
//! `import tensorflow as tf` builds a [`NativeModule`] from [`build`]; each namespace is one
//! function filling a table of names, so `tf.keras`, `tf.data` or `tf.summary` are added by
//! writing their table function and linking it in [`build`], without touching the interpreter.
//! The interpreter calls the hooks below ([`binary`], [`compare`], [`get_attr`], ...) when an
//! operand is an engine value.

pub mod control;
mod convert;
mod function;
pub mod ops;
mod summary;
mod tape;

use crate::ast::{BinOp, CmpOp, UnaryOp};
use crate::interp::exceptions::{engine_error, exception_class, raise, PyResult};
use crate::interp::value::{Args, Builtin, NativeFn, NativeModule, NativeObject, Value};
use crate::interp::Interp;
pub use convert::{int_list, scalar_value, to_list, to_tensor};
pub use function::{describe_function, ConcreteInfo, FunctionInfo};
use std::rc::Rc;
use tensile::ops::{linalg, math, slicing::SliceItem};
use tensile::{DType, Tensor};

/// Registers the native modules this namespace provides.
pub fn register(interp: &mut Interp) {
    interp.register_module("tensorflow", build);
}

fn r<T>(x: tensile::Result<T>) -> PyResult<T> {
    x.map_err(engine_error)
}

/// Builds the `tensorflow` module table.
pub fn build(_: &mut Interp) -> Rc<NativeModule> {
    let m = NativeModule::new("tensorflow");
    let fns: &[(&'static str, NativeFn)] = &[
        ("constant", constant),
        ("convert_to_tensor", constant),
        ("Variable", variable),
        ("GradientTape", tape::new_tape),
    ];
    for (name, f) in fns {
        m.add_fn(name, *f);
    }
    function::install(&m);
    control::register(&m);
    for d in DType::ALL {
        m.set(d.name(), Value::DType(d));
    }
    m.set("newaxis", Value::None);
    m.set("Tensor", Value::Native(Rc::new(TypeMarker("Tensor"))));
    let errors = NativeModule::new("tensorflow.errors");
    for n in [
        "OpError",
        "InvalidArgumentError",
        "OutOfRangeError",
        "FailedPreconditionError",
        "NotFoundError",
        "UnimplementedError",
        "InternalError",
        "ResourceExhaustedError",
        "CancelledError",
        "DataLossError",
        "PermissionDeniedError",
        "UnknownError",
    ] {
        errors.set(n, Value::Class(exception_class(n)));
    }
    m.set("errors", Value::Module(Rc::new(errors)));
    ops::register(&m);
    summary::register(&m);
    Rc::new(m)
}

/// A type object for `isinstance` checks (`tf.Tensor`).
pub struct TypeMarker(pub &'static str);

impl NativeObject for TypeMarker {
    fn type_name(&self) -> &str {
        "type"
    }
    fn get_attr(&self, _: &Value, _: &str) -> Option<Value> {
        None
    }
    fn repr(&self) -> String {
        match self.0 {
            "ndarray" => "<class 'numpy.ndarray'>".to_string(),
            name => format!("<class 'tensorflow.{name}'>"),
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `isinstance(v, t)` where `t` is a type from a native table.
pub fn instance_of(v: &Value, t: &Value) -> bool {
    match t {
        Value::Native(n) => match n.as_any().downcast_ref::<TypeMarker>() {
            Some(TypeMarker("Tensor")) => matches!(v, Value::Tensor(_)),
            Some(TypeMarker("ndarray")) => matches!(v, Value::Array(_)),
            _ => false,
        },
        _ => false,
    }
}

/// `type(v)` for engine values.
pub fn type_of(v: &Value) -> Value {
    match v {
        Value::Tensor(_) => Value::Native(Rc::new(TypeMarker("Tensor"))),
        Value::Array(_) => Value::Native(Rc::new(TypeMarker("ndarray"))),
        _ => Value::str(&format!("<class '{}'>", v.type_name())),
    }
}

fn dtype_arg(a: &Args, i: usize) -> PyResult<Option<DType>> {
    match a.get(i, "dtype") {
        None | Some(Value::None) => Ok(None),
        Some(v) => ops::args::dtype_of(&v).map(Some),
    }
}

fn constant(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "value", "constant")?;
    let dtype = dtype_arg(&a, 1)?;
    let mut t = to_tensor(&v, dtype)?;
    if let Some(d) = dtype {
        if t.dtype() != d {
            t = r(math::cast(&t, d))?;
        }
    }
    if let Some(shape) = a.get(2, "shape").filter(|s| !s.is_none()) {
        let dims = convert::int_list(&shape)?;
        t = if t.size() == 1 && dims.iter().product::<i64>() != 1 {
            r(tensile::ops::array::broadcast_to(&t, &dims.iter().map(|d| *d as usize).collect::<Vec<_>>()))?
        } else {
            r(tensile::ops::array::reshape(&t, &dims))?
        };
    }
    Ok(Value::Tensor(t))
}

fn variable(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let init = a.req(0, "initial_value", "Variable")?;
    let dtype = dtype_arg(&a, 3)?;
    let mut t = to_tensor(&init, dtype)?;
    if let Some(d) = dtype {
        if t.dtype() != d {
            t = r(math::cast(&t, d))?;
        }
    }
    let name = match a.kwarg("name") {
        Some(Value::Str(s)) => s.to_string(),
        _ => String::new(),
    };
    let trainable = !matches!(a.get(1, "trainable"), Some(Value::Bool(false)));
    Ok(Value::Variable(tensile::Variable::with_trainable(t, &name, trainable)))
}

/// Two operands as tensors: a Python number takes the other operand's dtype, as in TF.
fn operands(a: &Value, b: &Value) -> PyResult<(Tensor, Tensor)> {
    let hint = |v: &Value| match v {
        Value::Tensor(t) | Value::Array(t) => Some(t.dtype()),
        Value::Variable(v) => Some(v.dtype()),
        _ => None,
    };
    let x = to_tensor(a, hint(b))?;
    let y = to_tensor(b, Some(x.dtype()))?;
    Ok((x, y))
}

fn unary_fn(a: Args, name: &str, f: fn(&Tensor) -> tensile::Result<Tensor>) -> PyResult<Value> {
    let x = to_tensor(&a.req(0, "x", name)?, None)?;
    Ok(Value::Tensor(r(f(&x))?))
}

/// Calls a named elementwise op on values (used by built-ins such as `abs`).
pub fn call_op(_: &mut Interp, name: &str, args: Vec<Value>) -> PyResult<Value> {
    let a = Args::positional(args);
    match name {
        "abs" => unary_fn(a, "abs", math::abs),
        _ => Err(raise("NotImplementedError", format!("op {name}"))),
    }
}

fn is_array(a: &Value, b: &Value) -> bool {
    matches!(a, Value::Array(_)) && !matches!(b, Value::Tensor(_) | Value::Variable(_))
        || matches!(b, Value::Array(_)) && !matches!(a, Value::Tensor(_) | Value::Variable(_))
}

/// `a op b` where an operand is an engine value.
pub fn binary(_: &mut Interp, op: BinOp, a: &Value, b: &Value) -> PyResult<Value> {
    let array = is_array(a, b);
    let (x, y) = if array { crate::numpy::operands(a, b)? } else { operands(a, b)? };
    let out = (match op {
        BinOp::Add => math::add(&x, &y),
        BinOp::Sub => math::sub(&x, &y),
        BinOp::Mul => math::mul(&x, &y),
        BinOp::Div => math::truediv(&x, &y),
        BinOp::FloorDiv => math::floordiv(&x, &y),
        BinOp::Mod => math::floormod(&x, &y),
        BinOp::Pow => math::pow(&x, &y),
        BinOp::MatMul => linalg::matmul(&x, &y),
        // TensorFlow's `&`, `|`, `^` on bool tensors are the logical ops.
        BinOp::BitAnd if x.dtype() == DType::Bool => math::logical_and(&x, &y),
        BinOp::BitOr if x.dtype() == DType::Bool => math::logical_or(&x, &y),
        BinOp::BitXor if x.dtype() == DType::Bool => math::logical_xor(&x, &y),
        _ => {
            return Err(raise(
                "TypeError",
                format!("unsupported operand type(s) for {}: '{}' and '{}'", op.symbol(), a.type_name(), b.type_name()),
            ))
        }
    })
    .map_err(if array { crate::numpy::value_error } else { engine_error })?;
    Ok(if array { Value::Array(out) } else { Value::Tensor(out) })
}

/// A comparison where an operand is an engine value: elementwise, as TF2's operators are.
pub fn compare(op: CmpOp, a: &Value, b: &Value) -> PyResult<Value> {
    let (x, y) = if is_array(a, b) { crate::numpy::operands(a, b)? } else { operands(a, b)? };
    let out = r(match op {
        CmpOp::Eq => math::equal(&x, &y),
        CmpOp::NotEq => math::not_equal(&x, &y),
        CmpOp::Lt => math::less(&x, &y),
        CmpOp::LtE => math::less_equal(&x, &y),
        CmpOp::Gt => math::greater(&x, &y),
        CmpOp::GtE => math::greater_equal(&x, &y),
        _ => return Err(raise("TypeError", format!("unsupported comparison '{}'", op.symbol()))),
    })?;
    Ok(if is_array(a, b) { Value::Array(out) } else { Value::Tensor(out) })
}

/// A unary operator on an engine value.
pub fn unary(op: UnaryOp, v: &Value) -> PyResult<Value> {
    let x = to_tensor(v, None)?;
    let out = match op {
        UnaryOp::Neg => r(math::neg(&x))?,
        UnaryOp::Pos => x,
        UnaryOp::Invert if x.dtype() == DType::Bool => r(math::logical_not(&x))?,
        _ => {
            return Err(raise("TypeError", format!("bad operand type for unary {}: '{}'", op.symbol(), v.type_name())))
        }
    };
    Ok(if matches!(v, Value::Array(_)) { Value::Array(out) } else { Value::Tensor(out) })
}

/// `bool(t)`: only for single-element eager tensors.
pub fn truthy(v: &Value) -> PyResult<bool> {
    let t = to_tensor(v, None)?;
    if t.is_symbolic() {
        return Err(raise(
            "TypeError",
            "using a symbolic tf.Tensor as a Python bool is not allowed while tracing (AutoGraph converts `if` and `while` on tensors)",
        ));
    }
    if t.size() != 1 {
        return Err(raise(
            "ValueError",
            "The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()",
        ));
    }
    Ok(t.to_f64_vec()[0] != 0.0)
}

fn variable_repr(v: &tensile::Variable) -> String {
    let head = format!("{v:?}");
    let value = format!("{:?}", v.peek());
    let numpy = value.split_once("numpy=").map_or("", |(_, n)| n.trim_end_matches('>'));
    format!("{}, numpy={numpy}>", head.trim_end_matches('>'))
}

/// `repr()` of an engine value, from the engine's own formatting.
pub fn repr(v: &Value) -> String {
    match v {
        Value::Tensor(t) => format!("{t:?}"),
        Value::Variable(v) => variable_repr(v),
        Value::Array(t) => tensile::numpy_value_repr(t),
        Value::DType(d) => format!("tf.{}", d.name()),
        _ => String::new(),
    }
}

/// `str()` of an engine value.
pub fn str(v: &Value) -> String {
    match v {
        Value::Tensor(t) => format!("{t}"),
        Value::Variable(v) => variable_repr(v),
        Value::Array(t) => tensile::numpy_str(t),
        Value::DType(d) => format!("<dtype: '{}'>", d.name()),
        _ => String::new(),
    }
}

/// `len(t)`: the first dimension.
pub fn len(v: &Value) -> PyResult<usize> {
    let t = to_tensor(v, None)?;
    t.shape().first().copied().ok_or_else(|| raise("TypeError", "Scalar tensor has no `len()`"))
}

/// Iteration over the first axis.
pub fn unstack(v: &Value) -> PyResult<Vec<Value>> {
    let t = to_tensor(v, None)?;
    if t.rank() == 0 {
        return Err(raise("TypeError", "Cannot iterate over a scalar tensor."));
    }
    let parts = r(tensile::ops::array::unstack(&t, 0))?;
    let wrap = matches!(v, Value::Array(_));
    Ok(parts.into_iter().map(|p| if wrap { Value::Array(p) } else { Value::Tensor(p) }).collect())
}

/// A slice bound: a Python int, or a scalar integer tensor (a traced one keeps its value to
/// run time).
fn slice_bound(v: &Value) -> PyResult<Option<Tensor>> {
    match v {
        Value::None => Ok(None),
        Value::Int(i) => Ok(Some(Tensor::from(*i))),
        Value::Tensor(t) | Value::Array(t) if t.rank() == 0 && t.dtype().is_int() => Ok(Some(t.clone())),
        _ => Err(raise("TypeError", "slice indices must be integers or None or scalar integer tensors")),
    }
}

fn slice_item(v: &Value) -> PyResult<SliceItem> {
    match v {
        Value::Int(i) => Ok(SliceItem::Index(*i)),
        Value::Tensor(t) | Value::Array(t) if t.rank() == 0 && t.dtype().is_int() => Ok(SliceItem::IndexAt(t.clone())),
        Value::None => Ok(SliceItem::NewAxis),
        Value::Ellipsis => Ok(SliceItem::Ellipsis),
        Value::Slice(s) => {
            Ok(SliceItem::RangeAt { start: slice_bound(&s[0])?, stop: slice_bound(&s[1])?, step: slice_bound(&s[2])? })
        }
        other => Err(raise(
            "TypeError",
            format!(
                "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar integer tensors are valid indices, got {}",
                other.type_name()
            ),
        )),
    }
}

/// `t[index]`.
pub fn get_item(_: &mut Interp, v: &Value, i: &Value) -> PyResult<Value> {
    let t = to_tensor(v, None)?;
    let items = match i {
        Value::Tuple(items) => items.iter().map(slice_item).collect::<PyResult<Vec<_>>>()?,
        one => vec![slice_item(one)?],
    };
    let out = r(tensile::ops::slicing::index(&t, &items))?;
    Ok(if matches!(v, Value::Array(_)) { Value::Array(out) } else { Value::Tensor(out) })
}

fn bound(this: &Value, name: &'static str, f: NativeFn) -> Value {
    Value::Builtin(Rc::new(Builtin { name, f, bound: Some(this.clone()) }))
}

fn this_tensor(this: Option<&Value>) -> PyResult<Tensor> {
    to_tensor(this.unwrap_or(&Value::None), None)
}

fn this_variable(this: Option<&Value>) -> PyResult<tensile::Variable> {
    match this {
        Some(Value::Variable(v)) => Ok(v.clone()),
        _ => Err(raise("TypeError", "not a tf.Variable")),
    }
}

fn shape_value(shape: &[usize]) -> Value {
    Value::tuple(shape.iter().map(|d| Value::Int(*d as i64)).collect())
}

/// Attributes of tensors, variables, arrays and dtypes.
pub fn get_attr(interp: &mut Interp, v: &Value, name: &str) -> PyResult<Value> {
    if let Some(x) = ops::tensor_attr(interp, v, name)? {
        return Ok(x);
    }
    let missing = || raise("AttributeError", format!("'{}' object has no attribute '{name}'", v.type_name()));
    if let Value::DType(d) = v {
        return match name {
            "name" => Ok(Value::str(d.name())),
            "is_floating" => Ok(Value::Bool(d.is_float())),
            "is_integer" => Ok(Value::Bool(d.is_int())),
            _ => Err(missing()),
        };
    }
    if let Some(attr) = crate::numpy::array_attr(v, name)? {
        return Ok(attr);
    }
    if let Value::Variable(var) = v {
        match name {
            "assign" => return Ok(bound(v, "assign", |_, t, a| assign(t, a, tensile::Variable::assign))),
            "assign_add" => return Ok(bound(v, "assign_add", |_, t, a| assign(t, a, tensile::Variable::assign_add))),
            "assign_sub" => return Ok(bound(v, "assign_sub", |_, t, a| assign(t, a, tensile::Variable::assign_sub))),
            "read_value" | "value" => {
                return Ok(bound(v, "read_value", |_, t, _| Ok(Value::Tensor(this_variable(t)?.read_value()))))
            }
            "name" => return Ok(Value::str(var.name())),
            "trainable" => return Ok(Value::Bool(var.trainable())),
            "shape" => return Ok(shape_value(var.shape())),
            "dtype" => return Ok(Value::DType(var.dtype())),
            _ => {}
        }
    }
    let t = to_tensor(v, None)?;
    match name {
        // Unknown dimensions of a traced tensor read as None.
        "shape" => Ok(Value::tuple(t.dims().iter().map(|d| d.map_or(Value::None, |d| Value::Int(d as i64))).collect())),
        "dtype" => Ok(Value::DType(t.dtype())),
        "ndim" => Ok(Value::Int(t.rank() as i64)),
        "numpy" => Ok(bound(v, "numpy", |_, t, _| {
            let t = this_tensor(t)?;
            t.expect_eager("numpy").map_err(engine_error)?;
            Ok(Value::Array(t))
        })),
        "tolist" if matches!(v, Value::Array(_)) => {
            Ok(bound(v, "tolist", |_, t, _| convert::to_list(&this_tensor(t)?)))
        }
        "item" if matches!(v, Value::Array(_)) => {
            Ok(bound(v, "item", |_, t, _| scalar_value(&Value::Tensor(this_tensor(t)?))))
        }
        "size" if matches!(v, Value::Array(_)) => Ok(Value::Int(t.size() as i64)),
        "T" => Ok(Value::Tensor(r(tensile::ops::array::transpose(&t, None))?)),
        _ => Err(missing()),
    }
}

fn assign(this: Option<&Value>, a: Args, f: fn(&tensile::Variable, &Tensor) -> tensile::Result<()>) -> PyResult<Value> {
    let var = this_variable(this)?;
    let value = to_tensor(&a.req(0, "value", "assign")?, Some(var.dtype()))?;
    r(f(&var, &value))?;
    Ok(Value::Variable(var))
}
