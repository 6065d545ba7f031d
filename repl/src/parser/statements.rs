//! Statements: simple statements, blocks, compound statements, assignment targets.

use super::{starts_expr, PResult, Parser, TargetUse};
use crate::ast::*;
use crate::lexer::Token;

impl Parser<'_> {
    pub(super) fn parse_file(&mut self) -> PResult<Vec<Stmt>> {
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

    pub(super) fn parse_statement(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
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
    pub(super) fn parse_simple_statements(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
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

    pub(super) fn parse_small(&mut self) -> PResult<Stmt> {
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

    pub(super) fn parse_dotted_name(&mut self) -> PResult<Ident> {
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

    pub(super) fn parse_from_import(&mut self) -> PResult<StmtKind> {
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

    pub(super) fn parse_expr_statement(&mut self) -> PResult<Stmt> {
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

    pub(super) fn check_target(&self, e: &Expr, usage: TargetUse) -> PResult<()> {
        match &e.kind {
            ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } => Ok(()),
            ExprKind::Tuple(elts) | ExprKind::List(elts) if usage != TargetUse::AugAssign => {
                let stars = elts.iter().filter(|t| matches!(t.kind, ExprKind::Starred(_))).count();
                if stars > 1 && usage == TargetUse::Assign {
                    return Err(self.error(e.span, "multiple starred expressions in assignment"));
                }
                elts.iter().try_for_each(|t| match &t.kind {
                    // `a, *rest = ...`: the starred name collects the middle items.
                    ExprKind::Starred(inner) if usage == TargetUse::Assign => self.check_target(inner, usage),
                    _ => self.check_target(t, usage),
                })
            }
            ExprKind::Tuple(_) | ExprKind::List(_) => {
                let kind = if matches!(e.kind, ExprKind::Tuple(_)) { "tuple" } else { "list" };
                Err(self.error(e.span, format!("'{kind}' is an illegal expression for augmented assignment")))
            }
            ExprKind::Starred(_) if usage == TargetUse::Assign => {
                Err(self.error(e.span, "starred assignment target must be in a list or tuple"))
            }
            _ => {
                let verb = if usage == TargetUse::Delete { "delete" } else { "assign to" };
                Err(self.error(e.span, format!("cannot {verb} {}", what(e))))
            }
        }
    }

    /// After a block header's `:` — an indented block or simple statements on the same line.
    pub(super) fn parse_block(&mut self, header: &str, header_start: usize) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        if self.peek() != Token::Newline {
            self.parse_simple_statements(&mut body)?;
            return Ok(body);
        }
        self.bump();
        if self.peek() != Token::Indent {
            let line = self.src[..header_start].matches('\n').count() + 1;
            let e = self.error_here(format!("expected an indented block after {header} on line {line}"));
            // A header on the last line of a nested block: the dedents before the end of the
            // input close the outer blocks, and the body may still follow.
            let at_end = self.toks[self.pos..].iter().all(|t| matches!(t.kind, Token::Dedent | Token::EndOfFile));
            return Err(if at_end { e.incomplete() } else { e });
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

    pub(super) fn parse_colon_block(&mut self, header: &str, header_start: usize) -> PResult<Vec<Stmt>> {
        self.expect(Token::Colon, "':'")?;
        self.parse_block(header, header_start)
    }

    pub(super) fn end_of(body: &[Stmt], fallback: usize) -> usize {
        body.last().map_or(fallback, |s| s.span.end)
    }

    pub(super) fn parse_else(&mut self) -> PResult<Vec<Stmt>> {
        if self.peek() == Token::Else {
            let start = self.bump().span.start;
            self.parse_colon_block("'else' statement", start)
        } else {
            Ok(Vec::new())
        }
    }

    pub(super) fn parse_if(&mut self) -> PResult<Stmt> {
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

    pub(super) fn parse_while(&mut self) -> PResult<Stmt> {
        let start = self.bump().span.start;
        let test = self.parse_test()?;
        let body = self.parse_colon_block("'while' statement", start)?;
        let orelse = self.parse_else()?;
        let end = Self::end_of(&orelse, Self::end_of(&body, start));
        Ok(Stmt { kind: StmtKind::While { test, body, orelse }, span: Span::new(start, end) })
    }

    pub(super) fn parse_for(&mut self) -> PResult<Stmt> {
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

    pub(super) fn parse_try(&mut self) -> PResult<Stmt> {
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

    pub(super) fn parse_with(&mut self) -> PResult<Stmt> {
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

    pub(super) fn parse_decorated(&mut self) -> PResult<Stmt> {
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

    pub(super) fn parse_def(&mut self, decorators: Vec<Expr>) -> PResult<Stmt> {
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

    pub(super) fn parse_class(&mut self, decorators: Vec<Expr>) -> PResult<Stmt> {
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
    pub(super) fn parse_params(&mut self, close: Token, annotations: bool) -> PResult<Params> {
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
