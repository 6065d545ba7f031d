//! The Tensile language: a Python subset with a `tf` namespace.
//!
//! This crate holds the front end: [`lexer`], [`parser`] and the [`ast`] they produce, with
//! [`diagnostics`] for syntax errors.

pub mod ast;
pub mod diagnostics;
pub mod lexer;
