//! The interactive REPL (`tensile` on a terminal): `>>> ` and `... ` prompts with history,
//! completion, highlighting and `:` commands. Each statement runs through
//! [`Interp::run_interactive`]; an expression's value is echoed as its `repr`, as Python does.

mod commands;
pub mod complete;
mod functions;
mod helper;
pub mod highlight;
mod history;
mod interrupt;
pub mod validate;
mod vars;

use crate::interp::exceptions::{render_traceback, Ctrl};
use crate::interp::value::Value;
use crate::{Completeness, Interp, RunError};
use commands::Command;
use helper::ReplHelper;
use interrupt::Signals;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};
use std::any::Any;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// The prompt for a new statement.
pub const PS1: &str = ">>> ";
/// The prompt for the continuation lines of a statement.
pub const PS2: &str = "... ";

/// Runs the REPL until Ctrl-D, `:quit` or `sys.exit()`, and gives the exit status.
pub fn run() -> ExitCode {
    install_panic_hook();
    let mut session = match Session::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tensile: cannot start the interactive session: {e}");
            return ExitCode::from(1);
        }
    };
    println!("Tensile {} — TensorFlow 2 in Rust. :help for commands, Ctrl-D to exit.", env!("CARGO_PKG_VERSION"));
    let status = session.run();
    if let Err(e) = tensile::summary::flush_all() {
        eprintln!("tensile: {e}");
    }
    ExitCode::from(status)
}

/// Whether the session goes on after an input.
enum Flow {
    Continue,
    Exit(u8),
}

struct Session {
    editor: Editor<ReplHelper, FileHistory>,
    interp: Rc<RefCell<Interp>>,
    history: Option<PathBuf>,
    signals: Option<Signals>,
}

fn fresh_interp() -> Interp {
    let mut interp = Interp::new();
    // Python's interactive `sys.argv`.
    interp.argv = vec![String::new()];
    interp
}

impl Session {
    fn new() -> rustyline::Result<Session> {
        let config = Config::builder()
            .auto_add_history(false)
            .history_ignore_dups(true)?
            .max_history_size(10_000)?
            .completion_type(CompletionType::List)
            .build();
        let interp = Rc::new(RefCell::new(fresh_interp()));
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(ReplHelper::new(interp.clone())));
        let history = match history::path() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("warning: history will not be saved: {e}");
                None
            }
        };
        if let Some(p) = history.as_ref().filter(|p| p.exists()) {
            if let Err(e) = editor.load_history(p) {
                eprintln!("warning: cannot read the history file {}: {e}", p.display());
            }
        }
        let signals = match Signals::install() {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("warning: Ctrl-C will not interrupt running code: {e}");
                None
            }
        };
        Ok(Session { editor, interp, history, signals })
    }

    fn run(&mut self) -> u8 {
        let mut pending = String::new();
        loop {
            let prompt = if pending.is_empty() { PS1 } else { PS2 };
            if let Some(h) = self.editor.helper() {
                h.set_pending(&pending);
            }
            let line = match catch_unwind(AssertUnwindSafe(|| self.editor.readline(prompt))) {
                Ok(Ok(line)) => line,
                Ok(Err(ReadlineError::Interrupted)) => {
                    pending.clear();
                    eprintln!("KeyboardInterrupt");
                    continue;
                }
                Ok(Err(ReadlineError::Eof)) => return 0,
                Ok(Err(e)) => {
                    eprintln!("tensile: cannot read input: {e}");
                    return 1;
                }
                Err(payload) => {
                    report_panic(payload);
                    pending.clear();
                    continue;
                }
            };
            if pending.is_empty() {
                if line.trim().is_empty() {
                    continue;
                }
                if let Some(command) = line.trim_start().strip_prefix(':') {
                    self.remember(line.trim());
                    match self.command(command) {
                        Flow::Continue => continue,
                        Flow::Exit(code) => return code,
                    }
                }
            }
            let source = validate::join(&pending, &line);
            match validate::classify(&pending, &line) {
                Completeness::Incomplete => pending = source,
                Completeness::Invalid(e) => {
                    pending.clear();
                    self.remember(&source);
                    eprint!("{}", e.render(&source, false));
                }
                Completeness::Complete => {
                    pending.clear();
                    self.remember(&source);
                    if let Flow::Exit(code) = self.execute(&source, false) {
                        return code;
                    }
                }
            }
        }
    }

    /// Adds an entry to the history and appends it to the history file.
    fn remember(&mut self, entry: &str) {
        let entry = entry.trim_end();
        if !self.editor.add_history_entry(entry).unwrap_or(false) {
            return;
        }
        if let Some(p) = &self.history {
            if let Err(e) = self.editor.append_history(p) {
                eprintln!("warning: cannot write the history file {}: {e}", p.display());
                self.history = None;
            }
        }
    }

    /// Runs a statement with Ctrl-C routed to it; a panic is reported and survived.
    fn execute(&mut self, source: &str, timed: bool) -> Flow {
        let interrupt = self.interp.borrow().interrupt_handle();
        let _running = self.signals.as_ref().map(|s| s.running(interrupt));
        let outcome = catch_unwind(AssertUnwindSafe(|| run_and_echo(&mut self.interp.borrow_mut(), source, timed)));
        outcome.unwrap_or_else(|payload| {
            report_panic(payload);
            Flow::Continue
        })
    }

    fn command(&mut self, text: &str) -> Flow {
        match commands::parse(text) {
            Command::Help => print!("{}", commands::HELP),
            Command::Vars => print!("{}", vars::table(&self.interp.borrow())),
            Command::Time(statement) => return self.execute(statement, true),
            Command::Trace(name) => self.function_command(name, false),
            Command::Graph(name) => self.function_command(name, true),
            Command::Reset => {
                *self.interp.borrow_mut() = fresh_interp();
                println!("Started a fresh interpreter.");
            }
            Command::Quit => return Flow::Exit(0),
            Command::Usage(message) => eprintln!("{message}"),
            Command::Unknown(name) => eprintln!("Unknown command ':{name}'. Type :help for the list of commands."),
        }
        Flow::Continue
    }

    /// `:trace NAME` / `:graph NAME`.
    fn function_command(&mut self, name: &str, graph: bool) {
        let path: Vec<&str> = name.split('.').collect();
        let value = complete::resolve(&mut self.interp.borrow_mut(), &path);
        let Some(value) = value else {
            eprintln!("NameError: name '{name}' is not defined");
            return;
        };
        match functions::function_report(name, &value, graph) {
            Ok(report) => println!("{}", report.trim_end()),
            Err(message) => eprintln!("{message}"),
        }
    }
}

/// Runs `source`, prints its traceback or echoes its value; `timed` prints the wall time
/// of the run before the value, as `%time` does.
fn run_and_echo(interp: &mut Interp, source: &str, timed: bool) -> Flow {
    let start = Instant::now();
    let result = interp.run_interactive(source);
    let elapsed = start.elapsed();
    interp.flush();
    match result {
        Ok(value) => {
            // A Ctrl-C that arrived while no loop was polling (one long engine kernel).
            if interp.interrupt_handle().take() {
                eprintln!("KeyboardInterrupt");
                return Flow::Continue;
            }
            if timed {
                println!("Wall time: {}", commands::format_duration(elapsed.as_secs_f64()));
            }
            if let Some(v) = value {
                echo(interp, v);
            }
        }
        Err(RunError::Syntax(e)) => eprint!("{}", e.render(source, false)),
        Err(RunError::Exception(u)) if u.type_name() == "SystemExit" => return Flow::Exit(interp.exit_status(&u)),
        Err(RunError::Exception(u)) => eprint!("{}", u.render()),
    }
    Flow::Continue
}

/// Prints `repr(v)` and binds it to `_`, as Python's display hook does.
fn echo(interp: &mut Interp, v: Value) {
    match interp.repr_of(&v) {
        Ok(text) => {
            println!("{text}");
            interp.set_builtin("_", v);
        }
        Err(Ctrl::Raise(err)) => {
            let message = interp.exception_message(&err.value);
            eprint!("{}", render_traceback(&err, &message));
        }
        Err(_) => {}
    }
}

/// Where the panic hook leaves the last panic's message and location.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Records panics instead of printing them, so the REPL reports them its own way.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let text = format!("{}{at}", payload_text(info.payload()));
        *LAST_PANIC.lock().unwrap_or_else(PoisonError::into_inner) = Some(text);
    }));
}

fn report_panic(payload: Box<dyn Any + Send>) {
    let recorded = LAST_PANIC.lock().unwrap_or_else(PoisonError::into_inner).take();
    let text = recorded.unwrap_or_else(|| payload_text(&*payload));
    eprintln!("InternalError: {text}\n(this is a bug in Tensile; the session continues)");
}
