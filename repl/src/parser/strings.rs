//! String literals: escape decoding, implicit concatenation, f-strings whose replacement
//! fields are parsed as expressions with spans into the original source.

use super::{boxed, PResult, Parser};
use crate::ast::*;
use crate::diagnostics::SyntaxError;
use crate::lexer::{tokenize_inner, StrInfo, Token};

impl Parser<'_> {
    /// Adjacent string literals, concatenated; any f-string makes the whole an f-string.
    pub(super) fn parse_strings(&mut self) -> PResult<Expr> {
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

    pub(super) fn decode(&self, start: usize, end: usize, raw: bool) -> PResult<String> {
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
    pub(super) fn parse_fstring(
        &mut self,
        start: usize,
        end: usize,
        info: StrInfo,
        depth: usize,
    ) -> PResult<Vec<FStringPart>> {
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
    pub(super) fn parse_fstring_field(
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
