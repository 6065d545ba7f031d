//! The parser: hand-written recursive descent over the lexer's tokens, with Python's
//! precedence. Binary operators use precedence climbing so a parenthesis level costs a
//! bounded number of stack frames; a nesting limit turns pathological input into an error.

use crate::ast::*;
use crate::diagnostics::SyntaxError;
use crate::lexer::{tokenize, tokenize_inner, Tok, Token};

mod expressions;
mod statements;
mod strings;

/// Parenthesis/block nesting allowed before "too deeply nested" (Python allows 200
/// parentheses); it also bounds the recursion of later passes over the tree.
const MAX_NESTING: usize = 100;
/// Bound on the syntax tree's depth, counting left-nested chains (`a+b+c`, `a.b.c`) that
/// the parser builds in loops: later passes recurse over the tree.
const MAX_DEPTH: usize = 3000;
/// Stack left below which a nesting level continues on a fresh segment.
const RED_ZONE: usize = 128 * 1024;
/// Size of each fresh stack segment.
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// Whether REPL input is ready to run.
#[derive(Clone, Debug, PartialEq)]
pub enum Completeness {
    /// A whole statement (or block followed by a blank line): run it.
    Complete,
    /// More lines needed: an open bracket, triple-quoted string, backslash, or block.
    Incomplete,
    /// No continuation can fix it.
    Invalid(SyntaxError),
}

/// Parses a file's source; `file_name` appears in error messages.
pub fn parse_module(source: &str, file_name: &str) -> Result<Module, SyntaxError> {
    let toks = tokenize(source, file_name)?;
    let body = Parser::new(source, file_name, toks).parse_file()?;
    Ok(Module { body })
}

/// Parses one REPL input (any number of statements); errors name the file `<stdin>`.
pub fn parse_interactive(source: &str) -> Result<Module, SyntaxError> {
    parse_module(source, "<stdin>")
}

/// Parses a single expression (a bare tuple allowed), e.g. for `:time`.
pub fn parse_expression(source: &str, file_name: &str) -> Result<Expr, SyntaxError> {
    let toks = tokenize_inner(source, file_name, 0, source.len())?;
    let mut p = Parser::new(source, file_name, toks);
    let e = p.parse_testlist_star()?;
    if p.peek() != Token::EndOfFile {
        return Err(p.unexpected());
    }
    Ok(e)
}

/// Decides whether the REPL should run `source` or ask for another line.
///
/// `source` is the buffer without the newline of the Enter being pressed: a compound
/// statement is complete once its last line is blank, as in Python's REPL.
pub fn is_complete(source: &str) -> Completeness {
    let trailing_blank = source.contains('\n') && source.rsplit('\n').next().is_some_and(|l| l.trim().is_empty());
    let toks = match tokenize(source, "<stdin>") {
        Ok(toks) => toks,
        Err(e) if e.incomplete => return Completeness::Incomplete,
        Err(e) => return Completeness::Invalid(e),
    };
    let has_block = toks.iter().any(|t| t.kind == Token::Indent);
    match Parser::new(source, "<stdin>", toks).parse_file() {
        Ok(_) if has_block && !trailing_blank => Completeness::Incomplete,
        Ok(_) => Completeness::Complete,
        // A blank line after a block header (or a decorator) ends the input.
        Err(e) if e.incomplete && !trailing_blank => Completeness::Incomplete,
        Err(e) => Completeness::Invalid(e),
    }
}

type PResult<T> = Result<T, SyntaxError>;

#[derive(Clone, Copy, PartialEq)]
enum TargetUse {
    Assign,
    AugAssign,
    Delete,
}

struct Parser<'s> {
    src: &'s str,
    file: &'s str,
    toks: Vec<Tok>,
    pos: usize,
    nesting: usize,
    depth: usize,
}

fn starts_expr(t: Token) -> bool {
    matches!(
        t,
        Token::Name
            | Token::Number(_)
            | Token::Str(_)
            | Token::True
            | Token::False
            | Token::None
            | Token::Ellipsis
            | Token::LParen
            | Token::LBracket
            | Token::LBrace
            | Token::Minus
            | Token::Plus
            | Token::Tilde
            | Token::Not
            | Token::Lambda
            | Token::Star
    )
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl<'s> Parser<'s> {
    fn new(src: &'s str, file: &'s str, toks: Vec<Tok>) -> Parser<'s> {
        Parser { src, file, toks, pos: 0, nesting: 0, depth: 0 }
    }

    // ---- token access -------------------------------------------------------------------

    fn peek(&self) -> Token {
        self.toks[self.pos].kind
    }

    fn peek_at(&self, n: usize) -> Token {
        self.toks[(self.pos + n).min(self.toks.len() - 1)].kind
    }

    fn span(&self) -> Span {
        self.toks[self.pos].span
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.end
        }
    }

    fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos];
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, kind: Token) -> bool {
        if self.peek() == kind {
            self.bump();
            true
        } else {
            false
        }
    }

    fn text(&self, span: Span) -> &'s str {
        &self.src[span.range()]
    }

    fn error(&self, span: Span, message: impl Into<String>) -> SyntaxError {
        SyntaxError::new(self.src, self.file, span, message)
    }

    /// An error at the current token; at end of input more lines could fix it.
    fn error_here(&self, message: impl Into<String>) -> SyntaxError {
        let e = self.error(self.span(), message);
        if self.peek() == Token::EndOfFile {
            e.incomplete()
        } else {
            e
        }
    }

    fn found(&self) -> String {
        let t = self.toks[self.pos];
        match t.kind {
            Token::Newline | Token::Indent | Token::Dedent | Token::EndOfFile => t.kind.describe().to_string(),
            Token::Name => format!("name '{}'", self.text(t.span)),
            Token::Number(_) => format!("number '{}'", self.text(t.span)),
            Token::Str(_) => "string".to_string(),
            _ => format!("'{}'", self.text(t.span)),
        }
    }

    fn unexpected(&self) -> SyntaxError {
        match self.peek() {
            Token::Indent => self.error_here("unexpected indent"),
            Token::Yield | Token::Async | Token::Await => {
                self.error_here(format!("'{}' is not supported", self.text(self.span())))
            }
            _ => self.error_here(format!("unexpected {}", self.found())),
        }
    }

    fn expect(&mut self, kind: Token, what: &str) -> PResult<Tok> {
        if self.peek() == kind {
            Ok(self.bump())
        } else if self.peek() == Token::Indent {
            Err(self.unexpected())
        } else {
            Err(self.error_here(format!("expected {what}, found {}", self.found())))
        }
    }

    fn expect_name(&mut self, what: &str) -> PResult<Ident> {
        let t = self.expect(Token::Name, what)?;
        Ok(Ident { name: self.text(t.span).to_string(), span: t.span })
    }

    /// Runs one level of nesting: checks the limits, and grows the stack when it runs low
    /// (unoptimized builds use ~25 KB of stack per level; the caller's thread may be small).
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.nesting += 1;
        self.depth += 1;
        if self.nesting > MAX_NESTING || self.depth > MAX_DEPTH {
            return Err(self.error_here("too deeply nested"));
        }
        let result = stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || f(self));
        self.nesting -= 1;
        self.depth -= 1;
        result
    }

    /// Counts one more level of a left-nested chain built in a loop.
    fn deepen(&mut self, chain: &mut usize) -> PResult<()> {
        *chain += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here("too deeply nested"));
        }
        Ok(())
    }

    fn expr(&self, kind: ExprKind, start: usize) -> Expr {
        Expr { kind, span: Span::new(start, self.prev_end()) }
    }

    fn stmt(&self, kind: StmtKind, start: usize) -> Stmt {
        Stmt { kind, span: Span::new(start, self.prev_end()) }
    }
}
