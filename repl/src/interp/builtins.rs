//! The built-in functions and types (`print`, `len`, `range`, `int`, ...).

use super::exceptions::{exception_class, exception_names, raise, PyResult};
use super::exec::descriptor;
use super::ops::range_len;
use super::value::{new_dict, Args, Builtin, BuiltinType, Descriptor, Dict, Iter, NativeModule, Value};
use super::Interp;
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

fn builtin(name: &'static str, f: super::value::NativeFn) -> Value {
    Value::Builtin(Rc::new(Builtin { name, f, bound: None }))
}

/// Installs the built-in names and the `sys` and `math` modules.
pub fn install(interp: &mut Interp) {
    let fns: &[(&'static str, super::value::NativeFn)] = &[
        ("print", print),
        ("len", len),
        ("range", range),
        ("enumerate", enumerate),
        ("zip", zip),
        ("abs", abs),
        ("min", min),
        ("max", max),
        ("sum", sum),
        ("round", round),
        ("sorted", sorted),
        ("reversed", reversed),
        ("isinstance", isinstance),
        ("issubclass", issubclass),
        ("hasattr", hasattr),
        ("getattr", getattr),
        ("setattr", setattr),
        ("map", map),
        ("filter", filter),
        ("any", any),
        ("all", all),
        ("repr", repr),
        ("type", type_),
        ("iter", iter),
        ("next", next),
        ("callable", callable),
        ("id", id),
        ("hash", hash),
        ("divmod", divmod),
        ("pow", pow),
        ("chr", chr),
        ("ord", ord),
        ("format", format),
        ("staticmethod", staticmethod),
        ("classmethod", classmethod),
        ("property", property),
        ("input", input),
    ];
    for (name, f) in fns {
        interp.set_builtin(name, builtin(name, *f));
    }
    for t in [
        BuiltinType::Object,
        BuiltinType::Int,
        BuiltinType::Float,
        BuiltinType::Bool,
        BuiltinType::Str,
        BuiltinType::List,
        BuiltinType::Tuple,
        BuiltinType::Dict,
        BuiltinType::Set,
    ] {
        interp.set_builtin(t.name(), Value::Type(t));
    }
    for n in exception_names() {
        interp.set_builtin(n, Value::Class(exception_class(n)));
    }
    interp.register_module("sys", sys_module);
    interp.register_module("math", math_module);
}

fn sys_module(interp: &mut Interp) -> Rc<NativeModule> {
    let m = NativeModule::new("sys");
    m.set("argv", Value::list(interp.argv.iter().map(|a| Value::str(a)).collect()));
    m.set("version", Value::str("3.11 (Tensile)"));
    m.set("maxsize", Value::Int(i64::MAX));
    m.add_fn("exit", sys_exit);
    m.set("stdout", Value::Native(Rc::new(Stream("stdout"))));
    m.set("stderr", Value::Native(Rc::new(Stream("stderr"))));
    Rc::new(m)
}

/// `sys.stdout` / `sys.stderr`: `write` and `flush`, and a name `tf.print(output_stream=...)` reads.
struct Stream(&'static str);

impl super::value::NativeObject for Stream {
    fn type_name(&self) -> &str {
        "TextIOWrapper"
    }
    fn get_attr(&self, this: &Value, name: &str) -> Option<Value> {
        let (name, f): (&'static str, super::value::NativeFn) = match name {
            "write" => ("write", |it, t, a| {
                let text = match a.req(0, "s", "write")? {
                    Value::Str(s) => s,
                    v => {
                        return Err(raise("TypeError", format!("write() argument must be str, not {}", v.type_name())))
                    }
                };
                match t.and_then(stream_name) {
                    Some("stderr") => {
                        it.flush();
                        let _ = std::io::stderr().write_all(text.as_bytes());
                    }
                    _ => {
                        let _ = it.out.write_all(text.as_bytes());
                    }
                }
                Ok(Value::Int(text.chars().count() as i64))
            }),
            "flush" => ("flush", |it, _, _| {
                it.flush();
                Ok(Value::None)
            }),
            _ => return None,
        };
        Some(Value::Builtin(Rc::new(Builtin { name, f, bound: Some(this.clone()) })))
    }
    fn repr(&self) -> String {
        format!("<_io.TextIOWrapper name='<{}>' mode='w' encoding='utf-8'>", self.0)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `"stdout"` or `"stderr"` for `sys.stdout` / `sys.stderr`.
pub fn stream_name(v: &Value) -> Option<&'static str> {
    match v {
        Value::Native(n) => n.as_any().downcast_ref::<Stream>().map(|s| s.0),
        _ => None,
    }
}

fn sys_exit(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let code = a.get(0, "code").unwrap_or(Value::None);
    Err(super::exceptions::raise_value(super::exceptions::new_exception(exception_class("SystemExit"), vec![code])))
}

fn math_module(_: &mut Interp) -> Rc<NativeModule> {
    let m = NativeModule::new("math");
    m.set("pi", Value::Float(std::f64::consts::PI));
    m.set("e", Value::Float(std::f64::consts::E));
    m.set("inf", Value::Float(f64::INFINITY));
    m.set("nan", Value::Float(f64::NAN));
    macro_rules! unary {
        ($($name:literal => $f:expr),*) => {$(
            m.add_fn($name, |_, _, a| {
                let x = to_f64(&a.req(0, "x", $name)?)?;
                let f: fn(f64) -> f64 = $f;
                Ok(Value::Float(f(x)))
            });
        )*};
    }
    unary!("sqrt" => f64::sqrt, "exp" => f64::exp, "log" => f64::ln, "sin" => f64::sin, "cos" => f64::cos,
        "tan" => f64::tan, "tanh" => f64::tanh, "fabs" => f64::abs, "log2" => f64::log2, "log10" => f64::log10,
        "atan" => f64::atan);
    m.add_fn("floor", |_, _, a| Ok(Value::Int(to_f64(&a.req(0, "x", "floor")?)?.floor() as i64)));
    m.add_fn("ceil", |_, _, a| Ok(Value::Int(to_f64(&a.req(0, "x", "ceil")?)?.ceil() as i64)));
    m.add_fn("isnan", |_, _, a| Ok(Value::Bool(to_f64(&a.req(0, "x", "isnan")?)?.is_nan())));
    m.add_fn("isinf", |_, _, a| Ok(Value::Bool(to_f64(&a.req(0, "x", "isinf")?)?.is_infinite())));
    m.add_fn("pow", |_, _, a| Ok(Value::Float(to_f64(&a.req(0, "x", "pow")?)?.powf(to_f64(&a.req(1, "y", "pow")?)?))));
    Rc::new(m)
}

/// A Python number as `f64`.
pub fn to_f64(v: &Value) -> PyResult<f64> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(*b as i64 as f64),
        Value::Float(f) => Ok(*f),
        Value::Tensor(_) | Value::Variable(_) | Value::Array(_) => to_f64(&crate::tf::scalar_value(v)?),
        other => Err(raise("TypeError", format!("must be real number, not {}", other.type_name()))),
    }
}

fn to_int(v: &Value, what: &str) -> PyResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        other => Err(raise("TypeError", format!("{what} must be an integer, not '{}'", other.type_name()))),
    }
}

fn print(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("print", usize::MAX, &["sep", "end", "file", "flush"])?;
    let sep = match a.kwarg("sep") {
        Some(Value::Str(s)) => s.to_string(),
        Some(Value::None) | None => " ".into(),
        Some(v) => return Err(raise("TypeError", format!("sep must be None or a string, not {}", v.type_name()))),
    };
    let end = match a.kwarg("end") {
        Some(Value::Str(s)) => s.to_string(),
        Some(Value::None) | None => "\n".into(),
        Some(v) => return Err(raise("TypeError", format!("end must be None or a string, not {}", v.type_name()))),
    };
    let mut text = String::new();
    for (i, v) in a.pos.iter().enumerate() {
        if i > 0 {
            text.push_str(&sep);
        }
        text.push_str(&interp.str_of(v)?);
    }
    text.push_str(&end);
    let _ = interp.out.write_all(text.as_bytes());
    Ok(Value::None)
}

fn len(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "obj", "len")?;
    let n = match &v {
        Value::Str(s) => s.chars().count(),
        Value::List(l) => l.borrow().len(),
        Value::Tuple(t) => t.len(),
        Value::Dict(d) | Value::Set(d) => d.borrow().len(),
        Value::Range(x, y, s) => range_len(*x, *y, *s) as usize,
        Value::Instance(_) => match interp.call_dunder(&v, "__len__", vec![])? {
            Some(Value::Int(n)) if n >= 0 => n as usize,
            Some(_) => return Err(raise("TypeError", "__len__() should return a non-negative int")),
            None => return Err(raise("TypeError", format!("object of type '{}' has no len()", v.type_name()))),
        },
        Value::Tensor(_) | Value::Variable(_) | Value::Array(_) => crate::tf::len(&v)?,
        _ => return Err(raise("TypeError", format!("object of type '{}' has no len()", v.type_name()))),
    };
    Ok(Value::Int(n as i64))
}

fn range(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    // An eager integer scalar tensor is an index, as TF tensors' `__index__` makes it.
    let index = |v: &Value| match v {
        Value::Tensor(t)
            if !t.is_symbolic() && t.rank() == 0 && matches!(t.dtype(), tensile::DType::I32 | tensile::DType::I64) =>
        {
            Ok(t.to_f64_vec().first().map_or(0, |x| *x as i64))
        }
        other => to_int(other, "'range' argument"),
    };
    let nums: Vec<i64> = a.pos.iter().map(index).collect::<PyResult<_>>()?;
    let (start, stop, step) = match nums[..] {
        [stop] => (0, stop, 1),
        [start, stop] => (start, stop, 1),
        [start, stop, step] => (start, stop, step),
        _ => return Err(raise("TypeError", format!("range expected 1 to 3 arguments, got {}", nums.len()))),
    };
    if step == 0 {
        return Err(raise("ValueError", "range() arg 3 must not be zero"));
    }
    Ok(Value::Range(start, stop, step))
}

fn iter_value(st: Iter) -> Value {
    Value::Iter(Rc::new(RefCell::new(st)))
}

fn enumerate(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let it = interp.iter_of(&a.req(0, "iterable", "enumerate")?)?;
    let start = match a.get(1, "start") {
        Some(v) => to_int(&v, "start")?,
        None => 0,
    };
    Ok(iter_value(Iter::Enumerate(it, start)))
}

fn zip(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let its = a.pos.iter().map(|v| interp.iter_of(v)).collect::<PyResult<_>>()?;
    Ok(iter_value(Iter::Zip(its)))
}

fn map(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let f = a.req(0, "func", "map")?;
    let its = a.pos[1..].iter().map(|v| interp.iter_of(v)).collect::<PyResult<_>>()?;
    Ok(iter_value(Iter::Map(f, its)))
}

fn filter(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let f = a.req(0, "function", "filter")?;
    let it = interp.iter_of(&a.req(1, "iterable", "filter")?)?;
    Ok(iter_value(Iter::Filter(f, it)))
}

fn abs(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    match a.req(0, "x", "abs")? {
        Value::Int(i) => i.checked_abs().map(Value::Int).ok_or_else(|| raise("OverflowError", "integer overflow")),
        Value::Bool(b) => Ok(Value::Int(b as i64)),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        v @ (Value::Tensor(_) | Value::Variable(_)) => crate::tf::call_op(interp, "abs", vec![v]),
        v => match interp.call_dunder(&v, "__abs__", vec![])? {
            Some(r) => Ok(r),
            None => Err(raise("TypeError", format!("bad operand type for abs(): '{}'", v.type_name()))),
        },
    }
}

fn min_max(interp: &mut Interp, a: Args, name: &str, want: std::cmp::Ordering) -> PyResult<Value> {
    let items = if a.pos.len() == 1 { interp.to_vec(&a.pos[0])? } else { a.pos.clone() };
    let key = a.kwarg("key").filter(|k| !k.is_none());
    if items.is_empty() {
        return match a.kwarg("default") {
            Some(d) => Ok(d),
            None => Err(raise("ValueError", format!("{name}() iterable argument is empty"))),
        };
    }
    let mut best = items[0].clone();
    let mut best_key = match &key {
        Some(k) => interp.call(k, Args::positional(vec![best.clone()]))?,
        None => best.clone(),
    };
    for x in &items[1..] {
        let kx = match &key {
            Some(k) => interp.call(k, Args::positional(vec![x.clone()]))?,
            None => x.clone(),
        };
        if interp.cmp_order(&kx, &best_key, if name == "min" { "<" } else { ">" })? == want {
            best = x.clone();
            best_key = kx;
        }
    }
    Ok(best)
}

fn min(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    min_max(interp, a, "min", std::cmp::Ordering::Less)
}

fn max(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    min_max(interp, a, "max", std::cmp::Ordering::Greater)
}

fn sum(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let items = interp.to_vec(&a.req(0, "iterable", "sum")?)?;
    let mut acc = a.get(1, "start").unwrap_or(Value::Int(0));
    for x in items {
        acc = interp.binary(crate::ast::BinOp::Add, &acc, &x)?;
    }
    Ok(acc)
}

fn round(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let x = a.req(0, "number", "round")?;
    let nd = a.get(1, "ndigits").filter(|v| !v.is_none());
    match (&x, nd) {
        (Value::Int(_) | Value::Bool(_), None) => Ok(Value::Int(to_int(&x, "number")?)),
        (Value::Int(i), Some(_)) => Ok(Value::Int(*i)),
        (Value::Float(f), None) => {
            if !f.is_finite() {
                return Err(raise("OverflowError", "cannot convert float infinity or NaN to integer"));
            }
            Ok(Value::Int(round_half_even(*f) as i64))
        }
        (Value::Float(f), Some(n)) => {
            let n = to_int(&n, "ndigits")?;
            // Python rounds the exact decimal value; formatting does the same correctly-rounded step.
            let s = if n >= 0 {
                format!("{:.*}", n as usize, f)
            } else {
                format!("{}", (f / 10f64.powi(-n as i32)).round_ties_even() * 10f64.powi(-n as i32))
            };
            Ok(Value::Float(s.parse().unwrap_or(*f)))
        }
        _ => Err(raise("TypeError", format!("type {} doesn't define __round__ method", x.type_name()))),
    }
}

fn round_half_even(f: f64) -> f64 {
    f.round_ties_even()
}

fn sorted(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let items = interp.to_vec(&a.req(0, "iterable", "sorted")?)?;
    let key = a.kwarg("key").filter(|k| !k.is_none());
    let reverse = match a.kwarg("reverse") {
        Some(r) => interp.truthy(&r)?,
        None => false,
    };
    Ok(Value::list(sort_values(interp, items, key, reverse)?))
}

/// A stable sort by `key`, raising the first comparison error.
pub fn sort_values(interp: &mut Interp, items: Vec<Value>, key: Option<Value>, reverse: bool) -> PyResult<Vec<Value>> {
    let mut keyed = Vec::with_capacity(items.len());
    for x in items {
        let k = match &key {
            Some(f) => interp.call(f, Args::positional(vec![x.clone()]))?,
            None => x.clone(),
        };
        keyed.push((k, x));
    }
    let mut err = None;
    keyed.sort_by(|(a, _), (b, _)| {
        if err.is_some() {
            return std::cmp::Ordering::Equal;
        }
        let o = if reverse { interp.cmp_order(b, a, "<") } else { interp.cmp_order(a, b, "<") };
        o.unwrap_or_else(|e| {
            err = Some(e);
            std::cmp::Ordering::Equal
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    Ok(keyed.into_iter().map(|(_, x)| x).collect())
}

fn reversed(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let mut items = interp.to_vec(&a.req(0, "sequence", "reversed")?)?;
    items.reverse();
    Ok(iter_value(Iter::Seq(Rc::new(items), 0)))
}

/// `isinstance(v, t)` for one type.
pub fn instance_of(v: &Value, t: &Value) -> PyResult<bool> {
    Ok(match t {
        Value::Type(bt) => match bt {
            BuiltinType::Object => true,
            BuiltinType::Int => matches!(v, Value::Int(_) | Value::Bool(_)),
            BuiltinType::Float => matches!(v, Value::Float(_)),
            BuiltinType::Bool => matches!(v, Value::Bool(_)),
            BuiltinType::Str => matches!(v, Value::Str(_)),
            BuiltinType::List => matches!(v, Value::List(_)),
            BuiltinType::Tuple => matches!(v, Value::Tuple(_)),
            BuiltinType::Dict => matches!(v, Value::Dict(_)),
            BuiltinType::Set => matches!(v, Value::Set(_)),
            BuiltinType::NoneType => v.is_none(),
            BuiltinType::Range => matches!(v, Value::Range(..)),
            BuiltinType::Function => matches!(v, Value::Function(_)),
            BuiltinType::Type => matches!(v, Value::Class(_) | Value::Type(_)),
        },
        Value::Class(c) => match v {
            Value::Instance(i) => i.class.is_subclass(c),
            _ => false,
        },
        Value::Tuple(ts) => {
            for t in ts.iter() {
                if instance_of(v, t)? {
                    return Ok(true);
                }
            }
            false
        }
        Value::Native(_) | Value::Builtin(_) | Value::Module(_) => crate::tf::instance_of(v, t),
        _ => return Err(raise("TypeError", "isinstance() arg 2 must be a type, a tuple of types, or a union")),
    })
}

fn isinstance(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    Ok(Value::Bool(instance_of(&a.req(0, "obj", "isinstance")?, &a.req(1, "class_or_tuple", "isinstance")?)?))
}

fn issubclass(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    match (a.req(0, "cls", "issubclass")?, a.req(1, "class_or_tuple", "issubclass")?) {
        (Value::Class(x), Value::Class(y)) => Ok(Value::Bool(x.is_subclass(&y))),
        (_, Value::Type(BuiltinType::Object)) => Ok(Value::Bool(true)),
        (Value::Type(x), Value::Type(y)) => {
            Ok(Value::Bool(x == y || (x == BuiltinType::Bool && y == BuiltinType::Int)))
        }
        _ => Ok(Value::Bool(false)),
    }
}

fn attr_name(v: Value) -> PyResult<String> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        other => Err(raise("TypeError", format!("attribute name must be string, not '{}'", other.type_name()))),
    }
}

fn hasattr(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "obj", "hasattr")?;
    let name = attr_name(a.req(1, "name", "hasattr")?)?;
    match interp.get_attr(&v, &name) {
        Ok(_) => Ok(Value::Bool(true)),
        Err(super::exceptions::Ctrl::Raise(e)) if e.value.type_name() == "AttributeError" => Ok(Value::Bool(false)),
        Err(e) => Err(e),
    }
}

fn getattr(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "obj", "getattr")?;
    let name = attr_name(a.req(1, "name", "getattr")?)?;
    match interp.get_attr(&v, &name) {
        Err(super::exceptions::Ctrl::Raise(e)) if e.value.type_name() == "AttributeError" && a.pos.len() > 2 => {
            Ok(a.pos[2].clone())
        }
        r => r,
    }
}

fn setattr(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "obj", "setattr")?;
    let name = attr_name(a.req(1, "name", "setattr")?)?;
    interp.set_attr(&v, &name, a.req(2, "value", "setattr")?)?;
    Ok(Value::None)
}

fn any(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let it = interp.iter_of(&a.req(0, "iterable", "any")?)?;
    while let Some(x) = interp.next_of(&it)? {
        if interp.truthy(&x)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn all(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let it = interp.iter_of(&a.req(0, "iterable", "all")?)?;
    while let Some(x) = interp.next_of(&it)? {
        if !interp.truthy(&x)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn repr(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let s = interp.repr_of(&a.req(0, "obj", "repr")?)?;
    Ok(Value::Str(s.into()))
}

fn type_(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "object", "type")?;
    Ok(match &v {
        Value::Instance(i) => Value::Class(i.class.clone()),
        Value::None => Value::Type(BuiltinType::NoneType),
        Value::Bool(_) => Value::Type(BuiltinType::Bool),
        Value::Int(_) => Value::Type(BuiltinType::Int),
        Value::Float(_) => Value::Type(BuiltinType::Float),
        Value::Str(_) => Value::Type(BuiltinType::Str),
        Value::List(_) => Value::Type(BuiltinType::List),
        Value::Tuple(_) => Value::Type(BuiltinType::Tuple),
        Value::Dict(_) => Value::Type(BuiltinType::Dict),
        Value::Set(_) => Value::Type(BuiltinType::Set),
        Value::Range(..) => Value::Type(BuiltinType::Range),
        Value::Function(_) => Value::Type(BuiltinType::Function),
        Value::Class(_) | Value::Type(_) => Value::Type(BuiltinType::Type),
        other => crate::tf::type_of(other),
    })
}

fn iter(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    interp.iter_of(&a.req(0, "object", "iter")?)
}

fn next(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let it = a.req(0, "iterator", "next")?;
    match interp.next_of(&it)? {
        Some(v) => Ok(v),
        None => match a.pos.get(1) {
            Some(d) => Ok(d.clone()),
            None => Err(super::exceptions::raise_value(super::exceptions::new_exception(
                exception_class("StopIteration"),
                vec![],
            ))),
        },
    }
}

fn callable(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "obj", "callable")?;
    Ok(Value::Bool(match &v {
        Value::Function(_) | Value::Builtin(_) | Value::Method(_) | Value::Class(_) | Value::Type(_) => true,
        Value::Instance(i) => i.class.lookup("__call__").is_some(),
        Value::Native(n) => n.get_attr(&v, "__call__").is_some(),
        _ => false,
    }))
}

fn id(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "obj", "id")?;
    Ok(Value::Int(match v.key() {
        Ok(super::value::Key::Id(p)) => p as i64,
        _ => match &v {
            Value::List(l) => Rc::as_ptr(l) as *const () as i64,
            Value::Dict(d) | Value::Set(d) => Rc::as_ptr(d) as *const () as i64,
            _ => 0,
        },
    }))
}

fn hash(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    use std::hash::{Hash, Hasher};
    let k = a.req(0, "obj", "hash")?.key()?;
    if let super::value::Key::Int(i) = k {
        return Ok(Value::Int(i));
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    k.hash(&mut h);
    Ok(Value::Int(h.finish() as i64))
}

fn divmod(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let x = a.req(0, "x", "divmod")?;
    let y = a.req(1, "y", "divmod")?;
    let q = interp.binary(crate::ast::BinOp::FloorDiv, &x, &y)?;
    let r = interp.binary(crate::ast::BinOp::Mod, &x, &y)?;
    Ok(Value::tuple(vec![q, r]))
}

fn pow(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    interp.binary(crate::ast::BinOp::Pow, &a.req(0, "base", "pow")?, &a.req(1, "exp", "pow")?)
}

fn chr(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let i = to_int(&a.req(0, "i", "chr")?, "chr() argument")?;
    let c = u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .ok_or_else(|| raise("ValueError", "chr() arg not in range(0x110000)"))?;
    Ok(Value::Str(c.to_string().into()))
}

fn ord(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    match a.req(0, "c", "ord")? {
        Value::Str(s) if s.chars().count() == 1 => Ok(Value::Int(s.chars().next().map_or(0, |c| c as i64))),
        Value::Str(s) => Err(raise(
            "TypeError",
            format!("ord() expected a character, but string of length {} found", s.chars().count()),
        )),
        v => Err(raise("TypeError", format!("ord() expected string of length 1, but {} found", v.type_name()))),
    }
}

fn format(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    let v = a.req(0, "value", "format")?;
    let spec = match a.get(1, "format_spec") {
        Some(Value::Str(s)) => s.to_string(),
        _ => String::new(),
    };
    Ok(Value::Str(interp.format_value(&v, &spec)?.into()))
}

fn staticmethod(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    Ok(descriptor(Descriptor::Static, a.req(0, "function", "staticmethod")?))
}

fn classmethod(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    Ok(descriptor(Descriptor::ClassMethod, a.req(0, "function", "classmethod")?))
}

fn property(_: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    Ok(descriptor(Descriptor::Property, a.req(0, "fget", "property")?))
}

fn input(interp: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    if let Some(p) = a.get(0, "prompt") {
        let s = interp.str_of(&p)?;
        let _ = interp.out.write_all(s.as_bytes());
        interp.flush();
    }
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(0) => Err(raise("EOFError", "EOF when reading a line")),
        Ok(_) => Ok(Value::Str(line.trim_end_matches(['\n', '\r']).into())),
        Err(e) => Err(raise("OSError", e.to_string())),
    }
}

/// Calls a built-in type: `int(x)`, `list(it)`, `dict(a=1)`, ...
pub fn call_type(interp: &mut Interp, t: BuiltinType, a: Args) -> PyResult<Value> {
    let arg = a.pos.first().cloned();
    match t {
        BuiltinType::Int => match arg {
            None => Ok(Value::Int(0)),
            Some(Value::Int(i)) => Ok(Value::Int(i)),
            Some(Value::Bool(b)) => Ok(Value::Int(b as i64)),
            Some(Value::Float(f)) => {
                if !f.is_finite() {
                    return Err(raise("OverflowError", "cannot convert float infinity or NaN to integer"));
                }
                Ok(Value::Int(f.trunc() as i64))
            }
            Some(Value::Str(s)) => {
                let base = match a.get(1, "base") {
                    Some(b) => to_int(&b, "base")? as u32,
                    None => 10,
                };
                let t = s.trim().replace('_', "");
                i64::from_str_radix(&t, base).map(Value::Int).map_err(|_| {
                    raise(
                        "ValueError",
                        format!("invalid literal for int() with base {base}: {}", super::ops::str_repr(&s)),
                    )
                })
            }
            Some(v @ (Value::Tensor(_) | Value::Variable(_) | Value::Array(_))) => {
                call_type(interp, BuiltinType::Int, Args::positional(vec![crate::tf::scalar_value(&v)?]))
            }
            Some(v) => Err(raise(
                "TypeError",
                format!(
                    "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                    v.type_name()
                ),
            )),
        },
        BuiltinType::Float => match arg {
            None => Ok(Value::Float(0.0)),
            Some(Value::Str(s)) => {
                let t = s.trim().to_ascii_lowercase();
                let v = match t.as_str() {
                    "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
                    "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
                    "nan" | "+nan" | "-nan" => Some(f64::NAN),
                    _ => t.replace('_', "").parse::<f64>().ok(),
                };
                v.map(Value::Float).ok_or_else(|| {
                    raise("ValueError", format!("could not convert string to float: {}", super::ops::str_repr(&s)))
                })
            }
            Some(v) => Ok(Value::Float(to_f64(&v)?)),
        },
        BuiltinType::Bool => match arg {
            None => Ok(Value::Bool(false)),
            Some(v) => Ok(Value::Bool(interp.truthy(&v)?)),
        },
        BuiltinType::Str => match arg {
            None => Ok(Value::str("")),
            Some(v) => Ok(Value::Str(interp.str_of(&v)?.into())),
        },
        BuiltinType::List => Ok(Value::list(match arg {
            None => vec![],
            Some(v) => interp.to_vec(&v)?,
        })),
        BuiltinType::Tuple => match arg {
            None => Ok(Value::tuple(vec![])),
            Some(v @ Value::Tuple(_)) => Ok(v),
            Some(v) => Ok(Value::tuple(interp.to_vec(&v)?)),
        },
        BuiltinType::Set => {
            let mut d = Dict::default();
            if let Some(v) = arg {
                for x in interp.to_vec(&v)? {
                    d.insert(x.key()?, (x, Value::None));
                }
            }
            Ok(Value::Set(Rc::new(RefCell::new(d))))
        }
        BuiltinType::Dict => {
            let mut d = Dict::default();
            if let Some(v) = arg {
                match &v {
                    Value::Dict(src) => d = src.borrow().clone(),
                    _ => {
                        for item in interp.to_vec(&v)? {
                            let pair = interp.to_vec(&item)?;
                            if pair.len() != 2 {
                                return Err(raise(
                                    "ValueError",
                                    format!(
                                        "dictionary update sequence element has length {}; 2 is required",
                                        pair.len()
                                    ),
                                ));
                            }
                            d.insert(pair[0].key()?, (pair[0].clone(), pair[1].clone()));
                        }
                    }
                }
            }
            for (k, v) in a.kw {
                d.insert(super::value::Key::Str(k.clone()), (Value::Str(k), v));
            }
            Ok(new_dict(d))
        }
        BuiltinType::Object => Ok(Value::Instance(Rc::new(super::value::Instance {
            class: Rc::new(super::value::Class { name: "object".into(), base: None, dict: Default::default() }),
            dict: Default::default(),
        }))),
        BuiltinType::Type => type_(interp, None, a),
        other => Err(raise("TypeError", format!("cannot create '{}' instances", other.name()))),
    }
}
