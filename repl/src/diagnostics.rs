//! Syntax errors: a structured error with position, rendered through `ariadne`.

use crate::ast::Span;
use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};

/// A syntax error at a position in a named source.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SyntaxError {
    /// What is wrong, in the style of Python's messages.
    pub message: String,
    /// The file name (`<stdin>` for the REPL).
    pub file: String,
    /// 1-based line of the error's start.
    pub line: usize,
    /// 1-based column (in characters) of the error's start.
    pub column: usize,
    /// The offending text.
    pub span: Span,
    /// True when more input could fix it (open bracket, block header at end of input, ...).
    pub incomplete: bool,
}

impl SyntaxError {
    /// An error at `span` of `source`, with line and column computed from the span.
    pub fn new(source: &str, file: &str, span: Span, message: impl Into<String>) -> SyntaxError {
        let start = clamp_to_char(source, span.start);
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..start].chars().count() + 1;
        SyntaxError {
            message: message.into(),
            file: file.to_string(),
            line,
            column,
            span: Span::new(start, clamp_to_char(source, span.end.max(start))),
            incomplete: false,
        }
    }

    /// Marks the error as one that more input could fix.
    pub fn incomplete(mut self) -> SyntaxError {
        self.incomplete = true;
        self
    }

    /// The full report: `file:line:col`, the source line and a caret under the span.
    pub fn render(&self, source: &str, color: bool) -> String {
        let id = self.file.as_str();
        let mut range = self.span.range();
        // An empty span would draw no caret; point at one character (or just past the end).
        if range.is_empty() {
            range.end = next_char_boundary(source, range.start);
        }
        let config = Config::default().with_color(color).with_index_type(IndexType::Byte);
        let mut out = Vec::new();
        let written = Report::build(ReportKind::Error, (id, range.clone()))
            .with_config(config)
            .with_message(&self.message)
            .with_label(Label::new((id, range)).with_message(&self.message))
            .finish()
            .write((id, Source::from(source)), &mut out);
        match written {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(_) => format!("{self}\n"),
        }
    }
}

fn clamp_to_char(source: &str, mut at: usize) -> usize {
    at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn next_char_boundary(source: &str, at: usize) -> usize {
    source[at..].chars().next().map_or(at, |c| at + c.len_utf8())
}
