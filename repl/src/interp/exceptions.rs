//! Exceptions: the built-in exception classes, the non-local control flow that carries a
//! raised exception (or `return`/`break`/`continue`) up the Rust stack, and tracebacks.

use super::scope::FastMap;
use super::value::{Class, Instance, Source, Str, Value};
use crate::ast::Span;
use std::cell::RefCell;
use std::rc::Rc;

/// Non-local exits of statement and expression evaluation.
pub enum Ctrl {
    /// An exception propagating.
    Raise(Box<PyErr>),
    /// `return value`.
    Return(Value),
    /// `break`.
    Break,
    /// `continue`.
    Continue,
}

impl std::fmt::Debug for Ctrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ctrl::Raise(e) => write!(f, "Raise({})", e.value.type_name()),
            Ctrl::Return(_) => f.write_str("Return"),
            Ctrl::Break => f.write_str("Break"),
            Ctrl::Continue => f.write_str("Continue"),
        }
    }
}

/// Result of evaluation.
pub type PyResult<T> = Result<T, Ctrl>;

/// A raised exception with its traceback.
pub struct PyErr {
    /// The exception instance.
    pub value: Value,
    /// Frames the exception passed through, innermost first.
    pub traceback: Vec<TraceFrame>,
    /// True once the current frame has recorded where it was.
    pub located: bool,
}

/// One traceback entry.
#[derive(Clone)]
pub struct TraceFrame {
    /// The source of the frame's code.
    pub source: Rc<Source>,
    /// What was being evaluated.
    pub span: Span,
    /// The function's name (`<module>` at top level).
    pub function: Str,
}

/// Built-in exception hierarchy: (name, base).
const HIERARCHY: &[(&str, &str)] = &[
    ("BaseException", ""),
    ("Exception", "BaseException"),
    ("KeyboardInterrupt", "BaseException"),
    ("SystemExit", "BaseException"),
    ("ArithmeticError", "Exception"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("LookupError", "Exception"),
    ("KeyError", "LookupError"),
    ("IndexError", "LookupError"),
    ("ValueError", "Exception"),
    ("TypeError", "Exception"),
    ("NameError", "Exception"),
    ("UnboundLocalError", "NameError"),
    ("AttributeError", "Exception"),
    ("AssertionError", "Exception"),
    ("RuntimeError", "Exception"),
    ("RecursionError", "RuntimeError"),
    ("NotImplementedError", "RuntimeError"),
    ("StopIteration", "Exception"),
    ("ImportError", "Exception"),
    ("SyntaxError", "Exception"),
    ("EOFError", "Exception"),
    ("OSError", "Exception"),
    ("ModuleNotFoundError", "ImportError"),
    // TensorFlow's errors (`tf.errors.*`), raised by engine failures.
    ("OpError", "Exception"),
    ("InvalidArgumentError", "OpError"),
    ("OutOfRangeError", "OpError"),
    ("FailedPreconditionError", "OpError"),
    ("NotFoundError", "OpError"),
    ("UnimplementedError", "OpError"),
    ("InternalError", "OpError"),
    ("CancelledError", "OpError"),
    ("ResourceExhaustedError", "OpError"),
    ("DataLossError", "OpError"),
    ("PermissionDeniedError", "OpError"),
    ("UnknownError", "OpError"),
];

thread_local! {
    static CLASSES: RefCell<FastMap<String, Rc<Class>>> = RefCell::new(FastMap::default());
}

/// The built-in exception class `name` (created on first use, one per thread).
pub fn exception_class(name: &str) -> Rc<Class> {
    if let Some(c) = CLASSES.with(|c| c.borrow().get(name).cloned()) {
        return c;
    }
    // Names outside the table (engine error kinds added later) derive from Exception.
    let base = HIERARCHY.iter().find(|(n, _)| *n == name).map_or("Exception", |(_, b)| *b);
    let base = if base.is_empty() { None } else { Some(exception_class(base)) };
    let class = Rc::new(Class { name: name.into(), base, dict: RefCell::new(FastMap::default()) });
    CLASSES.with(|c| c.borrow_mut().insert(name.to_string(), class.clone()));
    class
}

/// Names of every built-in exception class.
pub fn exception_names() -> impl Iterator<Item = &'static str> {
    HIERARCHY.iter().map(|(n, _)| *n)
}

/// A new exception instance of `class` with `args`.
pub fn new_exception(class: Rc<Class>, args: Vec<Value>) -> Value {
    let inst = Instance { class, dict: RefCell::new(FastMap::default()) };
    inst.dict.borrow_mut().insert("args".into(), Value::tuple(args));
    Value::Instance(Rc::new(inst))
}

/// Raises the built-in exception `kind` with a message.
pub fn raise(kind: &str, message: impl Into<String>) -> Ctrl {
    let msg: String = message.into();
    raise_value(new_exception(exception_class(kind), vec![Value::Str(msg.into())]))
}

/// Raises an exception instance.
pub fn raise_value(value: Value) -> Ctrl {
    Ctrl::Raise(Box::new(PyErr { value, traceback: Vec::new(), located: false }))
}

/// Converts an engine error into TensorFlow's exception class of the same kind; cancelled
/// engine work (Ctrl-C) is `KeyboardInterrupt`.
pub fn engine_error(e: tensile::Error) -> Ctrl {
    if e.kind == tensile::ErrorKind::Cancelled {
        return keyboard_interrupt();
    }
    let text = e.to_string();
    // The Display form is "KindError: op: message"; the class carries the kind.
    let (kind, message) = text.split_once(": ").unwrap_or(("InvalidArgumentError", text.as_str()));
    raise(kind, message.to_string())
}

/// The `KeyboardInterrupt` that answers a Ctrl-C, consuming the request so that code which
/// catches it can go on running engine work.
pub fn keyboard_interrupt() -> Ctrl {
    if let Some(token) = tensile::cancel::current() {
        token.reset();
    }
    raise("KeyboardInterrupt", "")
}

/// `e.args` of an exception instance.
pub fn exception_args(v: &Value) -> Vec<Value> {
    if let Value::Instance(i) = v {
        if let Some(Value::Tuple(t)) = i.dict.borrow().get("args") {
            return t.to_vec();
        }
    }
    Vec::new()
}

/// Renders an uncaught exception like Python's traceback, with file:line:col positions,
/// each frame's source line and carets under the failing expression.
pub fn render_traceback(err: &PyErr, message: &str) -> String {
    let mut out = String::new();
    if !err.traceback.is_empty() {
        out.push_str("Traceback (most recent call last):\n");
    }
    let frames: Vec<&TraceFrame> = err.traceback.iter().rev().collect();
    let mut i = 0;
    while i < frames.len() {
        let f = frames[i];
        // Like Python, a frame repeated more than three times in a row is summarised.
        let mut same = 1;
        while i + same < frames.len() && frames[i + same].same_place(f) {
            same += 1;
        }
        let shown = same.min(3);
        for _ in 0..shown {
            render_frame(&mut out, f);
        }
        if same > shown {
            let more = same - shown;
            out.push_str(&format!("  [Previous line repeated {more} more time{}]\n", if more == 1 { "" } else { "s" }));
        }
        i += same;
    }
    out.push_str(message);
    out.push('\n');
    out
}

impl TraceFrame {
    fn same_place(&self, other: &TraceFrame) -> bool {
        Rc::ptr_eq(&self.source, &other.source) && self.span == other.span && self.function == other.function
    }
}

fn render_frame(out: &mut String, f: &TraceFrame) {
    {
        let (line, col, text) = locate(&f.source.text, f.span.start);
        out.push_str(&format!("  {}:{}:{}, in {}\n", f.source.name, line, col, f.function));
        if !text.trim().is_empty() {
            let indent = text.len() - text.trim_start().len();
            let trimmed = text.trim();
            out.push_str(&format!("    {trimmed}\n"));
            // Carets under the span, clipped to its first line.
            let line_start = f.span.start - (col_bytes(&f.source.text, f.span.start));
            let start_in_line = f.span.start - line_start;
            let end_in_line =
                (f.span.end.min(line_start + text.len())).saturating_sub(line_start).max(start_in_line + 1);
            let pad = text[indent.min(start_in_line)..start_in_line].chars().count();
            let width = text.get(start_in_line..end_in_line.min(text.len())).map_or(1, |s| s.chars().count().max(1));
            let whole = start_in_line <= indent && end_in_line >= text.trim_end().len();
            if !whole {
                out.push_str(&format!("    {}{}\n", " ".repeat(pad), "^".repeat(width)));
            }
        }
    }
}

fn col_bytes(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    at - text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// (1-based line, 1-based column in characters, the line's text) of a byte offset.
pub fn locate(text: &str, at: usize) -> (usize, usize, &str) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = text[..at].matches('\n').count() + 1;
    let col = text[line_start..at].chars().count() + 1;
    (line, col, &text[line_start..line_end])
}
