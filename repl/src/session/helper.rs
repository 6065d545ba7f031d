//! The line editor's helper: completion, history hints, highlighting and validation, each
//! delegating to its module's plain functions.

use super::{complete, highlight, validate};
use crate::interp::Interp;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

/// Editor callbacks sharing the session's interpreter.
pub struct ReplHelper {
    interp: Rc<RefCell<Interp>>,
    /// Lines of the statement accepted before the one being edited.
    pending: RefCell<String>,
    history: HistoryHinter,
}

impl ReplHelper {
    /// A helper completing against `interp`.
    pub fn new(interp: Rc<RefCell<Interp>>) -> ReplHelper {
        ReplHelper { interp, pending: RefCell::default(), history: HistoryHinter::new() }
    }

    /// Sets the lines that precede the line about to be read.
    pub fn set_pending(&self, pending: &str) {
        pending.clone_into(&mut self.pending.borrow_mut());
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let Ok(mut interp) = self.interp.try_borrow_mut() else { return Ok((pos, Vec::new())) };
        // Completion must never take the session down, whatever the engine does.
        let found = catch_unwind(AssertUnwindSafe(|| complete::complete(&mut interp, line, pos)));
        let (start, candidates) = found.unwrap_or((pos, Vec::new()));
        let pairs = candidates.into_iter().map(|c| Pair { display: c.display, replacement: c.replacement }).collect();
        Ok((start, pairs))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if line.trim().is_empty() {
            return None;
        }
        // The rest of a multi-line entry would not fit after the cursor: no hint for it.
        let hint = self.history.hint(line, pos, ctx)?;
        (!hint.is_empty() && !hint.contains('\n')).then_some(hint)
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if line.starts_with(':') {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight::highlight(line))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("{}{hint}\x1b[0m", highlight::HINT))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        // Any keystroke can change a token's class (a quote opens a string to the end).
        true
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        if validate::continue_in_buffer(&self.pending.borrow(), ctx.input()) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

impl Helper for ReplHelper {}
