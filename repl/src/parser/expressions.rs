//! Expressions: Python's precedence from `lambda` down to atoms, calls, subscripts,
//! displays and comprehensions.

use super::{boxed, starts_expr, PResult, Parser, TargetUse};
use crate::ast::*;
use crate::diagnostics::SyntaxError;
use crate::lexer::{Number, Token};

impl Parser<'_> {
    /// `test (, test)* [,]` with `*x` items; several items make a bare tuple.
    pub(super) fn parse_testlist_star(&mut self) -> PResult<Expr> {
        self.parse_sequence(Self::parse_test_or_star, starts_expr)
    }

    /// Targets of `for`/`del`: expressions without comparisons, so `in` ends them.
    pub(super) fn parse_target_list(&mut self) -> PResult<Expr> {
        self.parse_sequence(Self::parse_target, starts_expr)
    }

    pub(super) fn parse_target(&mut self) -> PResult<Expr> {
        if self.peek() == Token::Star {
            let start = self.bump().span.start;
            let inner = self.parse_binary(0)?;
            return Ok(self.expr(ExprKind::Starred(boxed(inner)), start));
        }
        self.parse_binary(0)
    }

    pub(super) fn parse_sequence(
        &mut self,
        item: fn(&mut Self) -> PResult<Expr>,
        starts: fn(Token) -> bool,
    ) -> PResult<Expr> {
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

    pub(super) fn parse_test_or_star(&mut self) -> PResult<Expr> {
        if self.peek() == Token::Star {
            let start = self.bump().span.start;
            let inner = self.parse_binary(0)?;
            return Ok(self.expr(ExprKind::Starred(boxed(inner)), start));
        }
        self.parse_test()
    }

    /// `test`: lambda, conditional expression, or an `or` expression.
    pub(super) fn parse_test(&mut self) -> PResult<Expr> {
        self.nested(Self::parse_test_inner)
    }

    pub(super) fn parse_test_inner(&mut self) -> PResult<Expr> {
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

    pub(super) fn expected_expression(&self) -> SyntaxError {
        match self.peek() {
            Token::Indent | Token::Yield | Token::Async | Token::Await => self.unexpected(),
            _ => self.error_here(format!("expected an expression, found {}", self.found())),
        }
    }

    pub(super) fn parse_or(&mut self) -> PResult<Expr> {
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

    pub(super) fn parse_and(&mut self) -> PResult<Expr> {
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

    pub(super) fn parse_not(&mut self) -> PResult<Expr> {
        if self.peek() != Token::Not {
            return self.parse_comparison();
        }
        let start = self.bump().span.start;
        let operand = self.nested(Self::parse_not)?;
        Ok(self.expr(ExprKind::UnaryOp { op: UnaryOp::Not, operand: boxed(operand) }, start))
    }

    pub(super) fn parse_comparison(&mut self) -> PResult<Expr> {
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
    pub(super) fn parse_binary(&mut self, min_prec: u8) -> PResult<Expr> {
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
    pub(super) fn parse_factor(&mut self) -> PResult<Expr> {
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

    pub(super) fn parse_power(&mut self) -> PResult<Expr> {
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
    pub(super) fn parse_postfix(&mut self) -> PResult<Expr> {
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
    pub(super) fn parse_call_args(&mut self) -> PResult<Vec<Arg>> {
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
    pub(super) fn parse_subscript(&mut self) -> PResult<Expr> {
        self.parse_sequence(Self::parse_slice_item, |t| t == Token::Colon || starts_expr(t))
    }

    pub(super) fn parse_slice_item(&mut self) -> PResult<Expr> {
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
    pub(super) fn parse_comprehension_of(&mut self, elt: &Expr) -> PResult<Vec<Comprehension>> {
        if let ExprKind::Starred(_) = elt.kind {
            return Err(self.error(elt.span, "iterable unpacking cannot be used in comprehension"));
        }
        self.parse_comprehension()
    }

    pub(super) fn parse_comprehension(&mut self) -> PResult<Vec<Comprehension>> {
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

    pub(super) fn parse_atom(&mut self) -> PResult<Expr> {
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

    pub(super) fn parse_paren(&mut self) -> PResult<Expr> {
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

    pub(super) fn parse_list(&mut self) -> PResult<Expr> {
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

    pub(super) fn parse_brace(&mut self) -> PResult<Expr> {
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

    pub(super) fn parse_dict_rest(&mut self, first: DictItem, start: usize) -> PResult<Expr> {
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
