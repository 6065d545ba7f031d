//! The parser: hand-written recursive descent over the lexer's tokens, with Python's
//! precedence. Binary operators use precedence climbing so a parenthesis level costs a
//! bounded number of stack frames; a nesting limit turns pathological input into an error.

use crate::ast::*;
use crate::diagnostics::SyntaxError;
use crate::lexer::{tokenize, tokenize_inner, Number, StrInfo, Tok, Token};

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

fn binop_of(t: Token) -> Option<(BinOp, u8)> {
    Some(match t {
        Token::Pipe => (BinOp::BitOr, 1),
        Token::Caret => (BinOp::BitXor, 2),
        Token::Amp => (BinOp::BitAnd, 3),
        Token::LShift => (BinOp::LShift, 4),
        Token::RShift => (BinOp::RShift, 4),
        Token::Plus => (BinOp::Add, 5),
        Token::Minus => (BinOp::Sub, 5),
        Token::Star => (BinOp::Mul, 6),
        Token::Slash => (BinOp::Div, 6),
        Token::DoubleSlash => (BinOp::FloorDiv, 6),
        Token::Percent => (BinOp::Mod, 6),
        Token::At => (BinOp::MatMul, 6),
        _ => return None,
    })
}

fn augop_of(t: Token) -> Option<BinOp> {
    Some(match t {
        Token::PlusEq => BinOp::Add,
        Token::MinusEq => BinOp::Sub,
        Token::StarEq => BinOp::Mul,
        Token::SlashEq => BinOp::Div,
        Token::DoubleSlashEq => BinOp::FloorDiv,
        Token::PercentEq => BinOp::Mod,
        Token::DoubleStarEq => BinOp::Pow,
        Token::AtEq => BinOp::MatMul,
        Token::AmpEq => BinOp::BitAnd,
        Token::PipeEq => BinOp::BitOr,
        Token::CaretEq => BinOp::BitXor,
        Token::LShiftEq => BinOp::LShift,
        Token::RShiftEq => BinOp::RShift,
        _ => return None,
    })
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

    // ---- statements ---------------------------------------------------------------------

    fn parse_file(&mut self) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        loop {
            match self.peek() {
                Token::EndOfFile => return Ok(body),
                Token::Newline => {
                    self.bump();
                }
                Token::Indent => return Err(self.unexpected()),
                _ => self.parse_statement(&mut body)?,
            }
        }
    }

    fn parse_statement(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let stmt = match self.peek() {
            Token::If => self.parse_if()?,
            Token::While => self.parse_while()?,
            Token::For => self.parse_for()?,
            Token::Try => self.parse_try()?,
            Token::With => self.parse_with()?,
            Token::Def | Token::Class | Token::At => self.parse_decorated()?,
            Token::Elif | Token::Else => {
                let kw = self.text(self.span());
                let message = if kw == "elif" {
                    "'elif' without a matching 'if'".to_string()
                } else {
                    "'else' without a matching 'if', 'for', 'while' or 'try'".to_string()
                };
                return Err(self.error_here(message));
            }
            Token::Except | Token::Finally => {
                let kw = self.text(self.span());
                return Err(self.error_here(format!("'{kw}' without a matching 'try'")));
            }
            _ => return self.parse_simple_statements(out),
        };
        out.push(stmt);
        Ok(())
    }

    /// `small (; small)* [;] NEWLINE`.
    fn parse_simple_statements(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        loop {
            out.push(self.parse_small()?);
            if !self.eat(Token::Semi) || self.peek() == Token::Newline {
                break;
            }
        }
        if self.peek() == Token::Newline {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn parse_small(&mut self) -> PResult<Stmt> {
        let start = self.span().start;
        let kind = match self.peek() {
            Token::Pass => {
                self.bump();
                StmtKind::Pass
            }
            Token::Break => {
                self.bump();
                StmtKind::Break
            }
            Token::Continue => {
                self.bump();
                StmtKind::Continue
            }
            Token::Return => {
                self.bump();
                let value = if starts_expr(self.peek()) { Some(self.parse_testlist_star()?) } else { None };
                StmtKind::Return(value)
            }
            Token::Raise => {
                self.bump();
                let mut exc = None;
                let mut cause = None;
                if starts_expr(self.peek()) {
                    exc = Some(self.parse_test()?);
                    if self.eat(Token::From) {
                        cause = Some(self.parse_test()?);
                    }
                }
                StmtKind::Raise { exc, cause }
            }
            Token::Assert => {
                self.bump();
                let test = self.parse_test()?;
                let msg = if self.eat(Token::Comma) { Some(self.parse_test()?) } else { None };
                StmtKind::Assert { test, msg }
            }
            Token::Del => {
                self.bump();
                let targets = self.parse_target_list()?;
                self.check_target(&targets, TargetUse::Delete)?;
                match targets.kind {
                    ExprKind::Tuple(elts) if !self.text(targets.span).starts_with('(') => StmtKind::Delete(elts),
                    _ => StmtKind::Delete(vec![targets]),
                }
            }
            Token::Global | Token::Nonlocal => {
                let global = self.bump().kind == Token::Global;
                let mut names = vec![self.expect_name("a name")?];
                while self.eat(Token::Comma) {
                    names.push(self.expect_name("a name")?);
                }
                if global {
                    StmtKind::Global(names)
                } else {
                    StmtKind::Nonlocal(names)
                }
            }
            Token::Import => {
                self.bump();
                let mut names = Vec::new();
                loop {
                    let name = self.parse_dotted_name()?;
                    let asname = if self.eat(Token::As) { Some(self.expect_name("a name after 'as'")?) } else { None };
                    names.push(Alias { name, asname });
                    if !self.eat(Token::Comma) {
                        break;
                    }
                }
                StmtKind::Import(names)
            }
            Token::From => self.parse_from_import()?,
            _ => return self.parse_expr_statement(),
        };
        Ok(self.stmt(kind, start))
    }

    fn parse_dotted_name(&mut self) -> PResult<Ident> {
        let first = self.expect_name("a module name")?;
        let mut span = first.span;
        while self.peek() == Token::Dot {
            self.bump();
            span = span.to(self.expect_name("a name after '.'")?.span);
        }
        // Spaces around dots are legal; the name drops them.
        let name: String = self.text(span).chars().filter(|c| !c.is_whitespace()).collect();
        Ok(Ident { name, span })
    }

    fn parse_from_import(&mut self) -> PResult<StmtKind> {
        self.bump();
        let mut level = 0;
        loop {
            match self.peek() {
                Token::Dot => level += 1,
                Token::Ellipsis => level += 3,
                _ => break,
            }
            self.bump();
        }
        let module = if self.peek() == Token::Name || level == 0 { Some(self.parse_dotted_name()?) } else { None };
        self.expect(Token::Import, "'import'")?;
        let mut names = Vec::new();
        if self.peek() == Token::Star {
            let t = self.bump();
            names.push(Alias { name: Ident { name: "*".into(), span: t.span }, asname: None });
            return Ok(StmtKind::ImportFrom { module, names, level });
        }
        let paren = self.eat(Token::LParen);
        loop {
            let name = self.expect_name("a name to import")?;
            let asname = if self.eat(Token::As) { Some(self.expect_name("a name after 'as'")?) } else { None };
            names.push(Alias { name, asname });
            if !self.eat(Token::Comma) || (paren && self.peek() == Token::RParen) {
                break;
            }
        }
        if paren {
            self.expect(Token::RParen, "')'")?;
        }
        Ok(StmtKind::ImportFrom { module, names, level })
    }

    fn parse_expr_statement(&mut self) -> PResult<Stmt> {
        let start = self.span().start;
        if !starts_expr(self.peek()) {
            return Err(self.unexpected());
        }
        let first = self.parse_testlist_star()?;
        if let Some(op) = augop_of(self.peek()) {
            self.check_target(&first, TargetUse::AugAssign)?;
            self.bump();
            let value = self.parse_testlist_star()?;
            return Ok(self.stmt(StmtKind::AugAssign { target: first, op, value }, start));
        }
        match self.peek() {
            Token::Assign => {
                let mut targets = vec![first];
                let value = loop {
                    self.bump();
                    let v = self.parse_testlist_star()?;
                    if self.peek() != Token::Assign {
                        break v;
                    }
                    targets.push(v);
                };
                for t in &targets {
                    self.check_target(t, TargetUse::Assign)?;
                }
                Ok(self.stmt(StmtKind::Assign { targets, value }, start))
            }
            Token::Colon => {
                match first.kind {
                    ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } => {}
                    ExprKind::Tuple(_) => {
                        return Err(self.error(first.span, "only single target (not tuple) can be annotated"))
                    }
                    _ => return Err(self.error(first.span, format!("illegal target for annotation: {}", what(&first)))),
                }
                self.bump();
                let annotation = self.parse_test()?;
                let value = if self.eat(Token::Assign) { Some(self.parse_testlist_star()?) } else { None };
                Ok(self.stmt(StmtKind::AnnAssign { target: first, annotation, value }, start))
            }
            _ => {
                if let ExprKind::Starred(_) = first.kind {
                    return Err(self.error(first.span, "can't use starred expression here"));
                }
                Ok(self.stmt(StmtKind::Expr(first), start))
            }
        }
    }

    fn check_target(&self, e: &Expr, usage: TargetUse) -> PResult<()> {
        match &e.kind {
            ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } => Ok(()),
            ExprKind::Tuple(elts) | ExprKind::List(elts) if usage != TargetUse::AugAssign => {
                elts.iter().try_for_each(|t| self.check_target(t, usage))
            }
            ExprKind::Tuple(_) | ExprKind::List(_) => {
                let kind = if matches!(e.kind, ExprKind::Tuple(_)) { "tuple" } else { "list" };
                Err(self.error(e.span, format!("'{kind}' is an illegal expression for augmented assignment")))
            }
            ExprKind::Starred(_) if usage == TargetUse::Assign => {
                Err(self.error(e.span, "starred assignment targets are not supported"))
            }
            _ => {
                let verb = if usage == TargetUse::Delete { "delete" } else { "assign to" };
                Err(self.error(e.span, format!("cannot {verb} {}", what(e))))
            }
        }
    }

    /// After a block header's `:` — an indented block or simple statements on the same line.
    fn parse_block(&mut self, header: &str, header_start: usize) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        if self.peek() != Token::Newline {
            self.parse_simple_statements(&mut body)?;
            return Ok(body);
        }
        self.bump();
        if self.peek() != Token::Indent {
            let line = self.src[..header_start].matches('\n').count() + 1;
            return Err(self.error_here(format!("expected an indented block after {header} on line {line}")));
        }
        self.bump();
        self.nested(|p| {
            while !matches!(p.peek(), Token::Dedent | Token::EndOfFile) {
                if p.peek() == Token::Indent {
                    return Err(p.unexpected());
                }
                p.parse_statement(&mut body)?;
            }
            p.eat(Token::Dedent);
            Ok(())
        })?;
        Ok(body)
    }

    fn parse_colon_block(&mut self, header: &str, header_start: usize) -> PResult<Vec<Stmt>> {
        self.expect(Token::Colon, "':'")?;
        self.parse_block(header, header_start)
    }

    fn end_of(body: &[Stmt], fallback: usize) -> usize {
        body.last().map_or(fallback, |s| s.span.end)
    }

    fn parse_else(&mut self) -> PResult<Vec<Stmt>> {
        if self.peek() == Token::Else {
            let start = self.bump().span.start;
            self.parse_colon_block("'else' statement", start)
        } else {
            Ok(Vec::new())
        }
    }

    fn parse_if(&mut self) -> PResult<Stmt> {
        // Clauses are collected in a loop so a long elif chain does not recurse.
        let mut clauses = Vec::new();
        loop {
            let start = self.bump().span.start;
            let test = self.parse_test()?;
            let header = if clauses.is_empty() { "'if' statement" } else { "'elif' statement" };
            let body = self.parse_colon_block(header, start)?;
            clauses.push((start, test, body));
            if self.peek() != Token::Elif {
                break;
            }
        }
        let mut orelse = self.parse_else()?;
        let mut end = Self::end_of(&orelse, 0);
        while let Some((start, test, body)) = clauses.pop() {
            end = end.max(Self::end_of(&body, start));
            let stmt = Stmt { kind: StmtKind::If { test, body, orelse }, span: Span::new(start, end) };
            orelse = vec![stmt];
        }
        Ok(orelse.pop().expect("at least one clause"))
    }

    fn parse_while(&mut self) -> PResult<Stmt> {
        let start = self.bump().span.start;
        let test = self.parse_test()?;
        let body = self.parse_colon_block("'while' statement", start)?;
        let orelse = self.parse_else()?;
        let end = Self::end_of(&orelse, Self::end_of(&body, start));
        Ok(Stmt { kind: StmtKind::While { test, body, orelse }, span: Span::new(start, end) })
    }

    fn parse_for(&mut self) -> PResult<Stmt> {
        let start = self.bump().span.start;
        let target = self.parse_target_list()?;
        self.check_target(&target, TargetUse::Assign)?;
        self.expect(Token::In, "'in'")?;
        let iter = self.parse_testlist_star()?;
        let body = self.parse_colon_block("'for' statement", start)?;
        let orelse = self.parse_else()?;
        let end = Self::end_of(&orelse, Self::end_of(&body, start));
        Ok(Stmt { kind: StmtKind::For { target, iter, body, orelse }, span: Span::new(start, end) })
    }

    fn parse_try(&mut self) -> PResult<Stmt> {
        let start = self.bump().span.start;
        let body = self.parse_colon_block("'try' statement", start)?;
        let mut end = Self::end_of(&body, start);
        let mut handlers = Vec::new();
        while self.peek() == Token::Except {
            let hstart = self.bump().span.start;
            let mut typ = None;
            let mut name = None;
            if self.peek() != Token::Colon {
                typ = Some(self.parse_test()?);
                if self.eat(Token::As) {
                    name = Some(self.expect_name("a name after 'as'")?);
                }
            }
            let hbody = self.parse_colon_block("'except' statement", hstart)?;
            let hend = Self::end_of(&hbody, hstart);
            end = hend;
            handlers.push(ExceptHandler { typ, name, body: hbody, span: Span::new(hstart, hend) });
        }
        let orelse = if handlers.is_empty() { Vec::new() } else { self.parse_else()? };
        end = Self::end_of(&orelse, end);
        let finalbody = if self.peek() == Token::Finally {
            let fstart = self.bump().span.start;
            self.parse_colon_block("'finally' statement", fstart)?
        } else {
            Vec::new()
        };
        end = Self::end_of(&finalbody, end);
        if handlers.is_empty() && finalbody.is_empty() {
            return Err(self.error_here("expected 'except' or 'finally' block"));
        }
        Ok(Stmt { kind: StmtKind::Try { body, handlers, orelse, finalbody }, span: Span::new(start, end) })
    }

    fn parse_with(&mut self) -> PResult<Stmt> {
        let start = self.bump().span.start;
        let mut items = Vec::new();
        loop {
            let context = self.parse_test()?;
            let target = if self.eat(Token::As) {
                let t = self.parse_target()?;
                self.check_target(&t, TargetUse::Assign)?;
                Some(t)
            } else {
                None
            };
            items.push(WithItem { context, target });
            if !self.eat(Token::Comma) {
                break;
            }
        }
        let body = self.parse_colon_block("'with' statement", start)?;
        let end = Self::end_of(&body, start);
        Ok(Stmt { kind: StmtKind::With { items, body }, span: Span::new(start, end) })
    }

    fn parse_decorated(&mut self) -> PResult<Stmt> {
        let mut decorators = Vec::new();
        while self.eat(Token::At) {
            decorators.push(self.parse_test()?);
            if self.peek() != Token::Newline {
                return Err(self.unexpected());
            }
            self.bump();
        }
        match self.peek() {
            Token::Def => self.parse_def(decorators),
            Token::Class => self.parse_class(decorators),
            _ => Err(self.error_here(format!("expected 'def' or 'class' after a decorator, found {}", self.found()))),
        }
    }

    fn parse_def(&mut self, decorators: Vec<Expr>) -> PResult<Stmt> {
        let start = self.bump().span.start;
        let name = self.expect_name("a function name")?;
        self.expect(Token::LParen, "'('")?;
        let params = self.parse_params(Token::RParen, true)?;
        self.expect(Token::RParen, "')'")?;
        let returns = if self.eat(Token::Arrow) { Some(self.parse_test()?) } else { None };
        let header = format!("function definition '{}'", name.name);
        let body = self.parse_colon_block(&header, start)?;
        let end = Self::end_of(&body, start);
        let def = FunctionDef { name, params, returns, body, decorators };
        Ok(Stmt { kind: StmtKind::FunctionDef(Box::new(def)), span: Span::new(start, end) })
    }

    fn parse_class(&mut self, decorators: Vec<Expr>) -> PResult<Stmt> {
        let start = self.bump().span.start;
        let name = self.expect_name("a class name")?;
        let bases = if self.eat(Token::LParen) { self.parse_call_args()? } else { Vec::new() };
        let header = format!("class definition '{}'", name.name);
        let body = self.parse_colon_block(&header, start)?;
        let end = Self::end_of(&body, start);
        let class = ClassDef { name, bases, body, decorators };
        Ok(Stmt { kind: StmtKind::ClassDef(Box::new(class)), span: Span::new(start, end) })
    }

    /// Parameters up to (not including) `close`; `def` allows annotations, `lambda` does not.
    fn parse_params(&mut self, close: Token, annotations: bool) -> PResult<Params> {
        let mut params = Params::default();
        let mut star: Option<Span> = None;
        let mut seen_default = false;
        let mut names: Vec<String> = Vec::new();
        while self.peek() != close {
            let start = self.span().start;
            let kind = self.peek();
            if kind == Token::Star || kind == Token::DoubleStar {
                self.bump();
            }
            if kind == Token::Star && star.is_some() {
                return Err(self.error(Span::new(start, start + 1), "'*' argument may appear only once"));
            }
            if kind == Token::Star && self.peek() != Token::Name {
                star = Some(Span::new(start, start + 1));
                if !self.eat(Token::Comma) {
                    break;
                }
                continue;
            }
            if kind == Token::Slash {
                return Err(self.error_here("positional-only parameters ('/') are not supported"));
            }
            let name = self.expect_name("a parameter name")?;
            if names.contains(&name.name) {
                return Err(self.error(name.span, format!("duplicate argument '{}' in function definition", name.name)));
            }
            names.push(name.name.clone());
            let annotation = if annotations && self.eat(Token::Colon) { Some(self.parse_test()?) } else { None };
            let default = if kind == Token::Name && self.eat(Token::Assign) { Some(self.parse_test()?) } else { None };
            let param = Param { name, annotation, default, span: Span::new(start, self.prev_end()) };
            match kind {
                Token::Star => {
                    star = Some(param.span);
                    params.vararg = Some(param);
                }
                Token::DoubleStar => {
                    params.kwarg = Some(param);
                    self.eat(Token::Comma);
                    if self.peek() != close {
                        return Err(self.error_here("arguments cannot follow var-keyword argument"));
                    }
                    break;
                }
                _ if star.is_some() => params.kwonly.push(param),
                _ => {
                    if param.default.is_some() {
                        seen_default = true;
                    } else if seen_default {
                        return Err(self.error(param.span, "non-default argument follows default argument"));
                    }
                    params.args.push(param);
                }
            }
            if !self.eat(Token::Comma) {
                break;
            }
        }
        if let Some(span) = star {
            if params.vararg.is_none() && params.kwonly.is_empty() {
                return Err(self.error(span, "named arguments must follow bare *"));
            }
        }
        Ok(params)
    }

    // ---- expressions --------------------------------------------------------------------

    /// `test (, test)* [,]` with `*x` items; several items make a bare tuple.
    fn parse_testlist_star(&mut self) -> PResult<Expr> {
        self.parse_sequence(Self::parse_test_or_star, starts_expr)
    }

    /// Targets of `for`/`del`: expressions without comparisons, so `in` ends them.
    fn parse_target_list(&mut self) -> PResult<Expr> {
        self.parse_sequence(Self::parse_target, starts_expr)
    }

    fn parse_target(&mut self) -> PResult<Expr> {
        if self.peek() == Token::Star {
            let start = self.bump().span.start;
            let inner = self.parse_binary(0)?;
            return Ok(self.expr(ExprKind::Starred(boxed(inner)), start));
        }
        self.parse_binary(0)
    }

    fn parse_sequence(&mut self, item: fn(&mut Self) -> PResult<Expr>, starts: fn(Token) -> bool) -> PResult<Expr> {
        let start = self.span().start;
        let first = item(self)?;
        if self.peek() != Token::Comma {
            return Ok(first);
        }
        let mut elts = vec![first];
        while self.eat(Token::Comma) {
            if !starts(self.peek()) {
                break;
            }
            elts.push(item(self)?);
        }
        Ok(self.expr(ExprKind::Tuple(elts), start))
    }

    fn parse_test_or_star(&mut self) -> PResult<Expr> {
        if self.peek() == Token::Star {
            let start = self.bump().span.start;
            let inner = self.parse_binary(0)?;
            return Ok(self.expr(ExprKind::Starred(boxed(inner)), start));
        }
        self.parse_test()
    }

    /// `test`: lambda, conditional expression, or an `or` expression.
    fn parse_test(&mut self) -> PResult<Expr> {
        self.nested(Self::parse_test_inner)
    }

    fn parse_test_inner(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        if self.peek() == Token::Lambda {
            self.bump();
            let params = self.parse_params(Token::Colon, false)?;
            self.expect(Token::Colon, "':'")?;
            let body = self.parse_test()?;
            return Ok(self.expr(ExprKind::Lambda { params: Box::new(params), body: boxed(body) }, start));
        }
        if !starts_expr(self.peek()) || self.peek() == Token::Star {
            return Err(self.expected_expression());
        }
        let body = self.parse_or()?;
        if self.peek() != Token::If {
            return Ok(body);
        }
        self.bump();
        let test = self.parse_or()?;
        if self.peek() != Token::Else {
            return Err(self.error_here(format!("expected 'else' after 'if' expression, found {}", self.found())));
        }
        self.bump();
        let orelse = self.parse_test()?;
        Ok(self.expr(ExprKind::IfExp { test: boxed(test), body: boxed(body), orelse: boxed(orelse) }, start))
    }

    fn expected_expression(&self) -> SyntaxError {
        match self.peek() {
            Token::Indent | Token::Yield | Token::Async | Token::Await => self.unexpected(),
            _ => self.error_here(format!("expected an expression, found {}", self.found())),
        }
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        let first = self.parse_and()?;
        if self.peek() != Token::Or {
            return Ok(first);
        }
        let mut values = vec![first];
        while self.eat(Token::Or) {
            values.push(self.parse_and()?);
        }
        Ok(self.expr(ExprKind::BoolOp { op: BoolOp::Or, values }, start))
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        let first = self.parse_not()?;
        if self.peek() != Token::And {
            return Ok(first);
        }
        let mut values = vec![first];
        while self.eat(Token::And) {
            values.push(self.parse_not()?);
        }
        Ok(self.expr(ExprKind::BoolOp { op: BoolOp::And, values }, start))
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        if self.peek() != Token::Not {
            return self.parse_comparison();
        }
        let start = self.bump().span.start;
        let operand = self.nested(Self::parse_not)?;
        Ok(self.expr(ExprKind::UnaryOp { op: UnaryOp::Not, operand: boxed(operand) }, start))
    }

    fn parse_comparison(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        let left = self.parse_binary(0)?;
        let mut ops = Vec::new();
        loop {
            let op = match self.peek() {
                Token::EqEq => CmpOp::Eq,
                Token::NotEq => CmpOp::NotEq,
                Token::Lt => CmpOp::Lt,
                Token::LtE => CmpOp::LtE,
                Token::Gt => CmpOp::Gt,
                Token::GtE => CmpOp::GtE,
                Token::In => CmpOp::In,
                Token::Not if self.peek_at(1) == Token::In => {
                    self.bump();
                    CmpOp::NotIn
                }
                Token::Is if self.peek_at(1) == Token::Not => {
                    self.bump();
                    CmpOp::IsNot
                }
                Token::Is => CmpOp::Is,
                _ => break,
            };
            self.bump();
            ops.push((op, self.parse_binary(0)?));
        }
        if ops.is_empty() {
            return Ok(left);
        }
        Ok(self.expr(ExprKind::Compare { left: boxed(left), ops }, start))
    }

    /// Binary operators `| ^ & << >> + - * / // % @` by precedence climbing.
    fn parse_binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let start = self.span().start;
        let mut left = self.parse_factor()?;
        let mut chain = 0;
        while let Some((op, prec)) = binop_of(self.peek()) {
            if prec < min_prec {
                break;
            }
            self.bump();
            self.deepen(&mut chain)?;
            let right = self.parse_binary(prec + 1)?;
            left = self.expr(ExprKind::BinOp { left: boxed(left), op, right: boxed(right) }, start);
        }
        self.depth -= chain;
        Ok(left)
    }

    /// Unary `+ - ~`, which bind looser than `**` on their right: `-2**2` is `-(2**2)`.
    fn parse_factor(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            Token::Minus => UnaryOp::Neg,
            Token::Plus => UnaryOp::Pos,
            Token::Tilde => UnaryOp::Invert,
            _ => return self.parse_power(),
        };
        let start = self.bump().span.start;
        let operand = self.nested(Self::parse_factor)?;
        Ok(self.expr(ExprKind::UnaryOp { op, operand: boxed(operand) }, start))
    }

    fn parse_power(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        let base = self.parse_postfix()?;
        if self.peek() != Token::DoubleStar {
            return Ok(base);
        }
        self.bump();
        let exponent = self.nested(Self::parse_factor)?;
        Ok(self.expr(ExprKind::BinOp { left: boxed(base), op: BinOp::Pow, right: boxed(exponent) }, start))
    }

    /// An atom followed by calls, subscripts and attributes.
    fn parse_postfix(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        let mut e = self.parse_atom()?;
        let mut chain = 0;
        loop {
            match self.peek() {
                Token::LParen => {
                    self.bump();
                    self.deepen(&mut chain)?;
                    let args = self.parse_call_args()?;
                    e = self.expr(ExprKind::Call { func: boxed(e), args }, start);
                }
                Token::LBracket => {
                    self.bump();
                    self.deepen(&mut chain)?;
                    let index = self.parse_subscript()?;
                    self.expect(Token::RBracket, "']'")?;
                    e = self.expr(ExprKind::Subscript { value: boxed(e), index: boxed(index) }, start);
                }
                Token::Dot => {
                    self.bump();
                    self.deepen(&mut chain)?;
                    let attr = self.expect_name("an attribute name after '.'")?;
                    e = self.expr(ExprKind::Attribute { value: boxed(e), attr }, start);
                }
                _ => break,
            }
        }
        self.depth -= chain;
        Ok(e)
    }

    /// Arguments after `(`, through the closing `)`.
    fn parse_call_args(&mut self) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        let mut keyword_seen = false;
        let mut kwargs_seen = false;
        while self.peek() != Token::RParen {
            let arg_start = self.span().start;
            if self.eat(Token::Star) {
                if kwargs_seen {
                    return Err(self.error(
                        Span::new(arg_start, arg_start + 1),
                        "iterable argument unpacking follows keyword argument unpacking",
                    ));
                }
                args.push(Arg::Star(self.parse_test()?));
            } else if self.eat(Token::DoubleStar) {
                kwargs_seen = true;
                args.push(Arg::DoubleStar(self.parse_test()?));
            } else if self.peek() == Token::Name && self.peek_at(1) == Token::Assign {
                let name = self.expect_name("a keyword")?;
                self.bump();
                keyword_seen = true;
                args.push(Arg::Keyword(name, self.parse_test()?));
            } else {
                let e = self.parse_test()?;
                if self.peek() == Token::For {
                    let generators = self.parse_comprehension()?;
                    let genexp = self.expr(ExprKind::GeneratorExp { elt: boxed(e), generators }, arg_start);
                    if !args.is_empty() || self.peek() != Token::RParen {
                        return Err(self.error(genexp.span, "generator expression must be parenthesized"));
                    }
                    args.push(Arg::Positional(genexp));
                    break;
                }
                if self.peek() == Token::Assign {
                    return Err(self.error(e.span, "expression cannot contain assignment, perhaps you meant \"==\"?"));
                }
                if kwargs_seen {
                    return Err(self.error(e.span, "positional argument follows keyword argument unpacking"));
                }
                if keyword_seen {
                    return Err(self.error(e.span, "positional argument follows keyword argument"));
                }
                args.push(Arg::Positional(e));
            }
            if !self.eat(Token::Comma) {
                break;
            }
        }
        self.expect(Token::RParen, "',' or ')'")?;
        Ok(args)
    }

    /// The inside of `[...]` after a value: indices and slices; several make a tuple.
    fn parse_subscript(&mut self) -> PResult<Expr> {
        self.parse_sequence(Self::parse_slice_item, |t| t == Token::Colon || starts_expr(t))
    }

    fn parse_slice_item(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        let lower = if self.peek() == Token::Colon { None } else { Some(self.parse_test_or_star()?) };
        if self.peek() != Token::Colon {
            return Ok(lower.expect("parsed above"));
        }
        if let Some(e @ Expr { kind: ExprKind::Starred(_), .. }) = &lower {
            return Err(self.error(e.span, "cannot use a starred expression in a slice"));
        }
        self.bump();
        let bound = |p: &mut Self| -> PResult<Option<Box<Expr>>> {
            if matches!(p.peek(), Token::Colon | Token::Comma | Token::RBracket) {
                Ok(None)
            } else {
                Ok(Some(boxed(p.parse_test()?)))
            }
        };
        let upper = bound(self)?;
        let step = if self.eat(Token::Colon) { bound(self)? } else { None };
        Ok(self.expr(ExprKind::Slice { lower: lower.map(boxed), upper, step }, start))
    }

    /// The `for ...` clauses after `elt`.
    fn parse_comprehension_of(&mut self, elt: &Expr) -> PResult<Vec<Comprehension>> {
        if let ExprKind::Starred(_) = elt.kind {
            return Err(self.error(elt.span, "iterable unpacking cannot be used in comprehension"));
        }
        self.parse_comprehension()
    }

    fn parse_comprehension(&mut self) -> PResult<Vec<Comprehension>> {
        let mut generators = Vec::new();
        while self.eat(Token::For) {
            let target = self.parse_target_list()?;
            self.check_target(&target, TargetUse::Assign)?;
            self.expect(Token::In, "'in'")?;
            let iter = self.parse_or()?;
            let mut ifs = Vec::new();
            while self.eat(Token::If) {
                ifs.push(self.parse_or()?);
            }
            generators.push(Comprehension { target, iter, ifs });
        }
        Ok(generators)
    }

    fn parse_atom(&mut self) -> PResult<Expr> {
        let t = self.toks[self.pos];
        let start = t.span.start;
        let constant = |c| ExprKind::Constant(c);
        let kind = match t.kind {
            Token::Name => ExprKind::Name(self.text(t.span).to_string()),
            Token::Number(Number::Int(v)) => constant(Constant::Int(v)),
            Token::Number(Number::Float(v)) => constant(Constant::Float(v)),
            Token::True => constant(Constant::Bool(true)),
            Token::False => constant(Constant::Bool(false)),
            Token::None => constant(Constant::None),
            Token::Ellipsis => constant(Constant::Ellipsis),
            Token::Str(_) => return self.parse_strings(),
            Token::LParen => return self.parse_paren(),
            Token::LBracket => return self.parse_list(),
            Token::LBrace => return self.parse_brace(),
            _ => return Err(self.expected_expression()),
        };
        self.bump();
        Ok(self.expr(kind, start))
    }

    fn parse_paren(&mut self) -> PResult<Expr> {
        let start = self.bump().span.start;
        if self.eat(Token::RParen) {
            return Ok(self.expr(ExprKind::Tuple(Vec::new()), start));
        }
        let first = self.parse_test_or_star()?;
        let e = match self.peek() {
            Token::For => {
                let generators = self.parse_comprehension_of(&first)?;
                self.expect(Token::RParen, "')'")?;
                self.expr(ExprKind::GeneratorExp { elt: boxed(first), generators }, start)
            }
            Token::Comma => {
                let mut elts = vec![first];
                while self.eat(Token::Comma) && self.peek() != Token::RParen {
                    elts.push(self.parse_test_or_star()?);
                }
                self.expect(Token::RParen, "',' or ')'")?;
                self.expr(ExprKind::Tuple(elts), start)
            }
            _ => {
                self.expect(Token::RParen, "')'")?;
                first
            }
        };
        Ok(e)
    }

    fn parse_list(&mut self) -> PResult<Expr> {
        let start = self.bump().span.start;
        if self.eat(Token::RBracket) {
            return Ok(self.expr(ExprKind::List(Vec::new()), start));
        }
        let first = self.parse_test_or_star()?;
        let e = if self.peek() == Token::For {
            let generators = self.parse_comprehension_of(&first)?;
            self.expect(Token::RBracket, "']'")?;
            self.expr(ExprKind::ListComp { elt: boxed(first), generators }, start)
        } else {
            let mut elts = vec![first];
            while self.eat(Token::Comma) && self.peek() != Token::RBracket {
                elts.push(self.parse_test_or_star()?);
            }
            self.expect(Token::RBracket, "',' or ']'")?;
            self.expr(ExprKind::List(elts), start)
        };
        Ok(e)
    }

    fn parse_brace(&mut self) -> PResult<Expr> {
        let start = self.bump().span.start;
        if self.eat(Token::RBrace) {
            return Ok(self.expr(ExprKind::Dict(Vec::new()), start));
        }
        let e = if self.peek() == Token::DoubleStar {
            self.bump();
            let first = DictItem::Unpack(self.parse_binary(0)?);
            self.parse_dict_rest(first, start)?
        } else {
            let first = self.parse_test_or_star()?;
            if self.peek() == Token::Colon && matches!(first.kind, ExprKind::Starred(_)) {
                return Err(self.error(first.span, "cannot use a starred expression in a dictionary key"));
            }
            if self.eat(Token::Colon) {
                let value = self.parse_test()?;
                if self.peek() == Token::For {
                    let generators = self.parse_comprehension()?;
                    self.expect(Token::RBrace, "'}'")?;
                    let kind = ExprKind::DictComp { key: boxed(first), value: boxed(value), generators };
                    self.expr(kind, start)
                } else {
                    self.parse_dict_rest(DictItem::Pair(first, value), start)?
                }
            } else if self.peek() == Token::For {
                let generators = self.parse_comprehension_of(&first)?;
                self.expect(Token::RBrace, "'}'")?;
                self.expr(ExprKind::SetComp { elt: boxed(first), generators }, start)
            } else {
                let mut elts = vec![first];
                while self.eat(Token::Comma) && self.peek() != Token::RBrace {
                    elts.push(self.parse_test_or_star()?);
                }
                self.expect(Token::RBrace, "',' or '}'")?;
                self.expr(ExprKind::Set(elts), start)
            }
        };
        Ok(e)
    }

    fn parse_dict_rest(&mut self, first: DictItem, start: usize) -> PResult<Expr> {
        let mut items = vec![first];
        while self.eat(Token::Comma) && self.peek() != Token::RBrace {
            if self.eat(Token::DoubleStar) {
                items.push(DictItem::Unpack(self.parse_binary(0)?));
            } else {
                let key = self.parse_test()?;
                self.expect(Token::Colon, "':'")?;
                items.push(DictItem::Pair(key, self.parse_test()?));
            }
        }
        self.expect(Token::RBrace, "',' or '}'")?;
        Ok(self.expr(ExprKind::Dict(items), start))
    }

    // ---- string literals ----------------------------------------------------------------

    /// Adjacent string literals, concatenated; any f-string makes the whole an f-string.
    fn parse_strings(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        let mut parts: Vec<FStringPart> = Vec::new();
        let mut any_f = false;
        while let Token::Str(info) = self.peek() {
            let t = self.bump();
            if info.bytes {
                return Err(self.error(t.span, "bytes literals are not supported"));
            }
            let q = info.quote_len as usize;
            let body_start = t.span.start + info.prefix_len as usize + q;
            let body_end = t.span.end - q;
            if info.fstring {
                any_f = true;
                for part in self.parse_fstring(body_start, body_end, info, 0)? {
                    push_part(&mut parts, part);
                }
            } else {
                let text = self.decode(body_start, body_end, info.raw)?;
                push_part(&mut parts, FStringPart::Literal(text));
            }
        }
        if any_f {
            return Ok(self.expr(ExprKind::FString(parts), start));
        }
        let text = match parts.pop() {
            Some(FStringPart::Literal(s)) => s,
            _ => String::new(),
        };
        Ok(self.expr(ExprKind::Constant(Constant::Str(text)), start))
    }

    fn decode(&self, start: usize, end: usize, raw: bool) -> PResult<String> {
        let text = &self.src[start..end];
        if raw {
            return Ok(text.to_string());
        }
        let mut out = String::with_capacity(text.len());
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else {
                out.push('\\');
                break;
            };
            let mut hex = |n: usize, what: &str| -> PResult<char> {
                let mut v = 0u32;
                for _ in 0..n {
                    match chars.peek().and_then(|&(_, d)| d.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            chars.next();
                        }
                        None => {
                            let span = Span::new(start + i, start + i + 2);
                            return Err(self.error(span, format!("truncated {what} escape")));
                        }
                    }
                }
                char::from_u32(v)
                    .ok_or_else(|| self.error(Span::new(start + i, start + i + 2 + n), "illegal Unicode character"))
            };
            match e {
                '\n' => {}
                '\r' => {
                    if chars.peek().is_some_and(|&(_, c)| c == '\n') {
                        chars.next();
                    }
                }
                '\\' | '\'' | '"' => out.push(e),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0C'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'v' => out.push('\x0B'),
                'x' => out.push(hex(2, "\\xXX")?),
                'u' => out.push(hex(4, "\\uXXXX")?),
                'U' => out.push(hex(8, "\\UXXXXXXXX")?),
                '0'..='7' => {
                    let mut v = e.to_digit(8).expect("octal digit");
                    for _ in 0..2 {
                        match chars.peek().and_then(|&(_, d)| d.to_digit(8)) {
                            Some(d) => {
                                v = v * 8 + d;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    out.push(char::from_u32(v).expect("at most 0o777"));
                }
                'N' => {
                    return Err(self.error(Span::new(start + i, start + i + 2), "\\N{...} escapes are not supported"))
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
        Ok(out)
    }

    /// The text of an f-string (or a format spec) between `start` and `end`.
    fn parse_fstring(&mut self, start: usize, end: usize, info: StrInfo, depth: usize) -> PResult<Vec<FStringPart>> {
        let bytes = self.src.as_bytes();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut lit_start = start;
        let mut i = start;
        while i < end {
            match bytes[i] {
                b @ (b'{' | b'}') if i + 1 < end && bytes[i + 1] == b => {
                    literal.push_str(&self.decode(lit_start, i + 1, info.raw)?);
                    i += 2;
                    lit_start = i;
                }
                b'}' => return Err(self.error(Span::new(i, i + 1), "f-string: single '}' is not allowed")),
                b'{' => {
                    literal.push_str(&self.decode(lit_start, i, info.raw)?);
                    if !literal.is_empty() {
                        parts.push(FStringPart::Literal(std::mem::take(&mut literal)));
                    }
                    let (echo, field, next) = self.parse_fstring_field(i, end, info, depth)?;
                    if let Some(text) = echo {
                        parts.push(FStringPart::Literal(text));
                    }
                    parts.push(field);
                    i = next;
                    lit_start = i;
                }
                b'\\' if !info.raw => i = (i + 2).min(end),
                _ => i += 1,
            }
        }
        literal.push_str(&self.decode(lit_start, end, info.raw)?);
        if !literal.is_empty() {
            parts.push(FStringPart::Literal(literal));
        }
        Ok(parts)
    }

    /// A replacement field starting at the `{` at `open`; returns the text a self-documenting
    /// field (`{x=}`) echoes, the field, and the index after `}`.
    fn parse_fstring_field(
        &mut self,
        open: usize,
        end: usize,
        info: StrInfo,
        depth: usize,
    ) -> PResult<(Option<String>, FStringPart, usize)> {
        let bytes = self.src.as_bytes();
        if depth >= 2 {
            return Err(self.error(Span::new(open, open + 1), "f-string: expressions nested too deeply"));
        }
        let (src, file) = (self.src, self.file);
        let unclosed = || SyntaxError::new(src, file, Span::new(open, open + 1), "f-string: expecting '}'");
        let expr_start = open + 1;
        let mut i = expr_start;
        let mut nest = 0usize;
        let mut quote: Option<u8> = None;
        loop {
            if i >= end {
                return Err(unclosed());
            }
            let c = bytes[i];
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            match c {
                b'\\' => {
                    return Err(self.error(Span::new(i, i + 1), "f-string expression part cannot include a backslash"))
                }
                b'#' => return Err(self.error(Span::new(i, i + 1), "f-string expression part cannot include '#'")),
                b'\'' | b'"' => quote = Some(c),
                b'(' | b'[' | b'{' => nest += 1,
                b')' | b']' | b'}' if nest > 0 => nest -= 1,
                b'}' | b':' if nest == 0 => break,
                b'!' if nest == 0 && bytes.get(i + 1) != Some(&b'=') => break,
                b'=' if nest == 0
                    && matches!(bytes.get(skip_spaces(bytes, i + 1, end)), Some(b'}' | b'!' | b':'))
                    && !matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>') =>
                {
                    break
                }
                _ => {}
            }
            i += 1;
        }
        let expr_end = i;
        let echo = if bytes[i] == b'=' {
            i = skip_spaces(bytes, i + 1, end);
            Some(self.src[expr_start..i].to_string())
        } else {
            None
        };
        if self.src[expr_start..expr_end].trim().is_empty() {
            return Err(self.error(Span::new(open, expr_end + 1), "f-string: empty expression not allowed"));
        }
        // The string is closed, so no further input can complete a broken field.
        let complete = |mut e: SyntaxError| {
            e.incomplete = false;
            e
        };
        let toks = tokenize_inner(self.src, self.file, expr_start, expr_end).map_err(complete)?;
        let mut sub = Parser { src: self.src, file: self.file, toks, pos: 0, nesting: self.nesting, depth: self.depth };
        let expr = sub.parse_testlist_star().map_err(complete)?;
        if sub.peek() != Token::EndOfFile {
            return Err(sub.unexpected());
        }
        let mut conversion = None;
        if bytes[i] == b'!' {
            match bytes.get(i + 1) {
                Some(&c @ (b'r' | b's' | b'a')) if i + 1 < end => conversion = Some(c as char),
                _ => {
                    let span = Span::new(i, (i + 2).min(end));
                    return Err(self.error(span, "f-string: invalid conversion character: expected 's', 'r', or 'a'"));
                }
            }
            i += 2;
        }
        let mut format_spec = None;
        if i < end && bytes[i] == b':' {
            let spec_start = i + 1;
            let mut j = spec_start;
            let mut nest = 0usize;
            while j < end {
                match bytes[j] {
                    b'{' => nest += 1,
                    b'}' if nest == 0 => break,
                    b'}' => nest -= 1,
                    _ => {}
                }
                j += 1;
            }
            format_spec = Some(self.parse_fstring(spec_start, j, info, depth + 1)?);
            i = j;
        }
        if i >= end || bytes[i] != b'}' {
            return Err(unclosed());
        }
        if echo.is_some() && conversion.is_none() && format_spec.is_none() {
            conversion = Some('r');
        }
        Ok((echo, FStringPart::Field { expr: boxed(expr), conversion, format_spec }, i + 1))
    }
}

fn skip_spaces(bytes: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && bytes[i] == b' ' {
        i += 1;
    }
    i
}

fn push_part(parts: &mut Vec<FStringPart>, part: FStringPart) {
    if let (Some(FStringPart::Literal(prev)), FStringPart::Literal(s)) = (parts.last_mut(), &part) {
        prev.push_str(s);
        return;
    }
    parts.push(part);
}

/// How an expression is named in "cannot assign to ..." messages.
fn what(e: &Expr) -> &'static str {
    match &e.kind {
        ExprKind::Call { .. } => "function call",
        ExprKind::Constant(Constant::None) => "None",
        ExprKind::Constant(Constant::Bool(true)) => "True",
        ExprKind::Constant(Constant::Bool(false)) => "False",
        ExprKind::Constant(Constant::Ellipsis) => "ellipsis",
        ExprKind::Constant(_) => "literal",
        ExprKind::FString(_) => "f-string expression",
        ExprKind::Compare { .. } => "comparison",
        ExprKind::IfExp { .. } => "conditional expression",
        ExprKind::Lambda { .. } => "lambda",
        ExprKind::Dict(_) => "dict literal",
        ExprKind::Set(_) => "set display",
        ExprKind::ListComp { .. } => "list comprehension",
        ExprKind::SetComp { .. } => "set comprehension",
        ExprKind::DictComp { .. } => "dict comprehension",
        ExprKind::GeneratorExp { .. } => "generator expression",
        ExprKind::Starred(_) => "starred",
        ExprKind::Slice { .. } => "slice",
        ExprKind::Tuple(_) => "tuple",
        ExprKind::List(_) => "list",
        _ => "expression",
    }
}
