//! The Tensile language: a Python subset with a `tf` namespace.
//!
//! This crate holds the front end: [`lexer`], [`parser`] and the [`ast`] they produce, with
//! [`diagnostics`] for syntax errors and [`sexp`] to print trees compactly; the [`interp`]
//! interpreter that runs the trees; [`tf`], the engine bound into the language; and
//! [`session`], the interactive REPL.

pub mod ast;
pub mod diagnostics;
pub mod interp;
pub mod lexer;
pub mod numpy;
pub mod parser;
pub mod session;
pub mod sexp;
pub mod tf;

pub use diagnostics::SyntaxError;
pub use interp::{Interp, Interrupt, RunError};
pub use parser::{is_complete, parse_expression, parse_interactive, parse_module, Completeness};
