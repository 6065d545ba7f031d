//! The interpreter: a tree walker over [`crate::ast`] with Python's semantics for the subset.
//!
//! Values are reference counted ([`value::Value`]); a function call gets a fresh [`scope::Scope`]
//! whose parent is the defining function's scope (closures see later rebinding, like cells).
//! Raised exceptions travel as `Err(Ctrl::Raise)` and collect traceback frames on the way out.

pub mod autograph;
pub mod builtins;
mod call;
mod eval;
pub mod exceptions;
mod exec;
pub mod format;
pub mod methods;
mod ops;
pub mod scope;
pub mod value;

use crate::ast::Span;
use exceptions::{raise, render_traceback, Ctrl, PyErr, PyResult, TraceFrame};
use scope::{FastMap, Scope, ScopeKind};
use std::rc::Rc;
use tensile::cancel::CancelToken;
use value::{NativeModule, Source, Str, Value};

/// Shared flag that makes running code raise `KeyboardInterrupt` (set it from Ctrl-C).
///
/// It is the engine's cancel token of the statements the interpreter runs: interpreter loops
/// poll it, and engine work (kernels, graph execution, `while_loop` iterations) stops with
/// `CancelledError`, which surfaces as `KeyboardInterrupt`.
#[derive(Clone, Default)]
pub struct Interrupt(CancelToken);

impl Interrupt {
    /// Requests an interrupt.
    pub fn trigger(&self) {
        self.0.cancel();
    }

    /// Takes a pending request, clearing it.
    pub fn take(&self) -> bool {
        self.0.take()
    }

    /// The engine cancel token this interrupt sets.
    pub fn token(&self) -> &CancelToken {
        &self.0
    }
}

/// Builds a native module on first import.
pub type ModuleBuilder = fn(&mut Interp) -> Rc<NativeModule>;

/// Python's default recursion limit.
const MAX_DEPTH: usize = 1000;

/// What the evaluator is currently running: for name resolution, `super()` and tracebacks.
pub(crate) struct Frame {
    pub scope: Rc<Scope>,
    pub function: Option<Rc<value::Function>>,
    pub source: Rc<Source>,
    pub name: Str,
}

/// An interpreter session: globals, loaded modules and the call stack.
pub struct Interp {
    globals: Rc<Scope>,
    builtins: FastMap<Str, Value>,
    frames: Vec<Frame>,
    module_builders: FastMap<String, ModuleBuilder>,
    modules: FastMap<String, Rc<NativeModule>>,
    interrupt: Interrupt,
    handling: Vec<(Value, Vec<TraceFrame>)>,
    /// Containers whose repr is being built, so a self-containing one prints `[...]`.
    repr_active: Vec<usize>,
    /// Where `print` writes (stdout unless captured).
    pub out: Box<dyn std::io::Write>,
    /// `sys.argv`.
    pub argv: Vec<String>,
}

/// An uncaught exception, ready to print.
pub struct Uncaught {
    /// The exception.
    pub err: Box<PyErr>,
    /// `Type: message`.
    pub message: String,
}

impl Uncaught {
    /// Python-style traceback text.
    pub fn render(&self) -> String {
        render_traceback(&self.err, &self.message)
    }

    /// The exception's class name.
    pub fn type_name(&self) -> String {
        self.err.value.type_name()
    }
}

impl Default for Interp {
    fn default() -> Self {
        Interp::new()
    }
}

impl Interp {
    /// A fresh session with the built-in functions and the standard native modules.
    pub fn new() -> Interp {
        let source = Rc::new(Source { name: "<stdin>".into(), text: String::new() });
        let globals = Scope::new(ScopeKind::Module, None, None);
        globals.set("__name__", Value::str("__main__"));
        let mut interp = Interp {
            globals: globals.clone(),
            builtins: FastMap::default(),
            frames: vec![Frame { scope: globals, function: None, source, name: "<module>".into() }],
            module_builders: FastMap::default(),
            modules: FastMap::default(),
            interrupt: Interrupt::default(),
            handling: Vec::new(),
            repr_active: Vec::new(),
            out: Box::new(std::io::stdout()),
            argv: Vec::new(),
        };
        builtins::install(&mut interp);
        crate::tf::register(&mut interp);
        crate::numpy::register(&mut interp);
        interp
    }

    /// The handle that interrupts running code.
    pub fn interrupt_handle(&self) -> Interrupt {
        self.interrupt.clone()
    }

    /// Registers a native module under its import name; it is built on first import.
    pub fn register_module(&mut self, name: &str, build: ModuleBuilder) {
        self.module_builders.insert(name.to_string(), build);
    }

    /// Adds a built-in name.
    pub fn set_builtin(&mut self, name: &str, v: Value) {
        self.builtins.insert(name.into(), v);
    }

    /// The module-level namespace.
    pub fn globals(&self) -> &Rc<Scope> {
        &self.globals
    }

    /// The built-in names (`print`, `len`, exception classes...).
    pub fn builtin_names(&self) -> Vec<Str> {
        self.builtins.keys().cloned().collect()
    }

    /// A module-level name's value: a global, else a built-in (no local scopes).
    pub fn global_or_builtin(&self, name: &str) -> Option<Value> {
        self.globals.get(name).or_else(|| self.builtins.get(name).cloned())
    }

    /// The exit status a `SystemExit` asks for: an int is the status, `None` is 0, anything
    /// else is printed to stderr and gives 1.
    pub fn exit_status(&mut self, u: &Uncaught) -> u8 {
        let args = exceptions::exception_args(&u.err.value);
        match args.first() {
            None | Some(Value::None) => 0,
            Some(Value::Int(i)) => (*i & 0xff) as u8,
            Some(other) => {
                eprintln!("{}", self.str_of(other).unwrap_or_default());
                1
            }
        }
    }

    /// Parses and runs a file's text; a syntax error or uncaught exception is returned.
    pub fn run_file(&mut self, text: &str, file: &str) -> Result<(), RunError> {
        let module = crate::parse_module(text, file).map_err(RunError::Syntax)?;
        let source = Rc::new(Source { name: file.to_string(), text: text.to_string() });
        self.run_module(&module, source, false).map(|_| ()).map_err(RunError::Exception)
    }

    /// Runs REPL input: like a file, but the value of a final expression statement is returned.
    pub fn run_interactive(&mut self, text: &str) -> Result<Option<Value>, RunError> {
        let module = crate::parse_interactive(text).map_err(RunError::Syntax)?;
        let source = Rc::new(Source { name: "<stdin>".to_string(), text: text.to_string() });
        self.run_module(&module, source, true).map_err(RunError::Exception)
    }

    fn run_module(
        &mut self,
        module: &crate::ast::Module,
        source: Rc<Source>,
        echo: bool,
    ) -> Result<Option<Value>, Box<Uncaught>> {
        self.frames.truncate(1);
        self.frames[0].source = source;
        self.handling.clear();
        self.repr_active.clear();
        self.interrupt.take();
        let token = self.interrupt.token().clone();
        tensile::cancel::with_cancel(&token, || self.run_statements(module, echo))
    }

    fn run_statements(&mut self, module: &crate::ast::Module, echo: bool) -> Result<Option<Value>, Box<Uncaught>> {
        let mut last = None;
        for (i, stmt) in module.body.iter().enumerate() {
            let result = if echo && i + 1 == module.body.len() {
                if let crate::ast::StmtKind::Expr(e) = &stmt.kind {
                    self.eval(e).map(|v| last = Some(v))
                } else {
                    self.exec(stmt)
                }
            } else {
                self.exec(stmt)
            };
            match result {
                Ok(()) => {}
                Err(Ctrl::Raise(err)) => {
                    self.frames.truncate(1);
                    let message = self.exception_message(&err.value);
                    return Err(Box::new(Uncaught { err, message }));
                }
                Err(_) => {
                    let err = match raise("SyntaxError", "'return', 'break' or 'continue' outside a function or loop") {
                        Ctrl::Raise(e) => e,
                        _ => unreachable!("raise builds an exception"),
                    };
                    return Err(Box::new(Uncaught { err, message: "SyntaxError: misplaced control flow".into() }));
                }
            }
        }
        let _ = self.out.flush();
        Ok(last.filter(|v| !v.is_none()))
    }

    /// `Type: message` of an exception, as the last traceback line shows it.
    pub fn exception_message(&mut self, v: &Value) -> String {
        let name = v.type_name();
        let text = self.str_of(v).unwrap_or_default();
        if text.is_empty() {
            name
        } else {
            format!("{name}: {text}")
        }
    }

    /// Flushes `print` output.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    pub(crate) fn frame(&self) -> &Frame {
        self.frames.last().expect("the module frame is never popped")
    }

    /// Records the current frame's position on an exception leaving it.
    pub(crate) fn locate(&self, mut c: Ctrl, span: Span) -> Ctrl {
        if let Ctrl::Raise(e) = &mut c {
            if !e.located {
                let f = self.frame();
                e.traceback.push(TraceFrame { source: f.source.clone(), span, function: f.name.clone() });
                e.located = true;
            }
        }
        c
    }

    pub(crate) fn check_interrupt(&self) -> PyResult<()> {
        if self.interrupt.take() {
            return Err(raise("KeyboardInterrupt", ""));
        }
        Ok(())
    }

    pub(crate) fn push_frame(&mut self, f: Frame) -> PyResult<()> {
        if self.frames.len() > MAX_DEPTH {
            return Err(raise("RecursionError", "maximum recursion depth exceeded"));
        }
        self.frames.push(f);
        Ok(())
    }

    pub(crate) fn pop_frame(&mut self) {
        if self.frames.len() > 1 {
            self.frames.pop();
        }
    }

    /// Imports a native module by dotted name.
    pub(crate) fn import(&mut self, name: &str) -> PyResult<Rc<NativeModule>> {
        if let Some(m) = self.modules.get(name) {
            return Ok(m.clone());
        }
        if let Some(build) = self.module_builders.get(name).copied() {
            let m = build(self);
            self.modules.insert(name.to_string(), m.clone());
            return Ok(m);
        }
        // `import a.b`: a submodule that is an attribute of its parent.
        if let Some((parent, child)) = name.rsplit_once('.') {
            let p = self.import(parent)?;
            let found = p.attrs.borrow().get(child).cloned();
            if let Some(Value::Module(m)) = found {
                return Ok(m);
            }
        }
        Err(raise("ModuleNotFoundError", format!("No module named '{name}'")))
    }
}

/// Why a run failed.
pub enum RunError {
    /// The text did not parse.
    Syntax(crate::SyntaxError),
    /// An exception was not caught.
    Exception(Box<Uncaught>),
}
