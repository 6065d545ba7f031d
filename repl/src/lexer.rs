//! The lexer: `logos` finds raw tokens; a layer on top turns line structure into
//! NEWLINE/INDENT/DEDENT tokens the way Python's tokenizer does (brackets join lines,
//! backslash continues them, blank and comment lines are ignored).

use crate::ast::Span;
use crate::diagnostics::SyntaxError;
use logos::Logos;

/// Why `logos` rejected some text; turned into a [`SyntaxError`] with the span.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum LexErrorKind {
    /// A character that starts no token.
    #[default]
    UnexpectedChar,
    /// A single-quoted string that reaches the end of its line.
    UnterminatedString,
    /// A triple-quoted string that reaches the end of input.
    UnterminatedTripleString,
    /// An integer literal too large for the literal type.
    IntTooLarge,
    /// `012`.
    LeadingZeros,
    /// A number literal that does not parse (`0x`).
    BadNumber,
}

/// The prefix and quoting of a string literal; the parser decodes the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrInfo {
    /// `r` prefix: no escape processing.
    pub raw: bool,
    /// `f` prefix: replacement fields.
    pub fstring: bool,
    /// `b` prefix (not supported by the language; the parser reports it).
    pub bytes: bool,
    /// Bytes of prefix letters before the opening quote.
    pub prefix_len: u8,
    /// 1 or 3.
    pub quote_len: u8,
}

/// A token kind (with its literal value for numbers and strings).
#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\x0C\r]+")]
#[logos(skip r"#[^\r\n]*")]
#[logos(skip r"\\\r?\n")]
pub enum Token {
    /// End of a logical line.
    #[regex(r"\r?\n")]
    Newline,
    /// Indentation increased.
    Indent,
    /// Indentation decreased (one per closed block).
    Dedent,
    /// End of input.
    EndOfFile,

    /// An identifier.
    #[regex(r"[\p{XID_Start}_][\p{XID_Continue}]*")]
    Name,
    /// A number literal; the regex only finds its start, a scanner reads the rest (logos
    /// does not backtrack out of a partial exponent like the `1e` of `1else`).
    #[regex(r"[0-9]|\.[0-9]", number)]
    Number(Number),
    /// A string literal (any prefix, any quoting).
    #[regex(r#"([rRfFbBuU]|[rR][fFbB]|[fFbB][rR])?["']"#, string)]
    Str(StrInfo),

    /// `False`
    #[token("False")]
    False,
    /// `None`
    #[token("None")]
    None,
    /// `True`
    #[token("True")]
    True,
    /// `and`
    #[token("and")]
    And,
    /// `as`
    #[token("as")]
    As,
    /// `assert`
    #[token("assert")]
    Assert,
    /// `async` (reserved, unsupported)
    #[token("async")]
    Async,
    /// `await` (reserved, unsupported)
    #[token("await")]
    Await,
    /// `break`
    #[token("break")]
    Break,
    /// `class`
    #[token("class")]
    Class,
    /// `continue`
    #[token("continue")]
    Continue,
    /// `def`
    #[token("def")]
    Def,
    /// `del`
    #[token("del")]
    Del,
    /// `elif`
    #[token("elif")]
    Elif,
    /// `else`
    #[token("else")]
    Else,
    /// `except`
    #[token("except")]
    Except,
    /// `finally`
    #[token("finally")]
    Finally,
    /// `for`
    #[token("for")]
    For,
    /// `from`
    #[token("from")]
    From,
    /// `global`
    #[token("global")]
    Global,
    /// `if`
    #[token("if")]
    If,
    /// `import`
    #[token("import")]
    Import,
    /// `in`
    #[token("in")]
    In,
    /// `is`
    #[token("is")]
    Is,
    /// `lambda`
    #[token("lambda")]
    Lambda,
    /// `nonlocal`
    #[token("nonlocal")]
    Nonlocal,
    /// `not`
    #[token("not")]
    Not,
    /// `or`
    #[token("or")]
    Or,
    /// `pass`
    #[token("pass")]
    Pass,
    /// `raise`
    #[token("raise")]
    Raise,
    /// `return`
    #[token("return")]
    Return,
    /// `try`
    #[token("try")]
    Try,
    /// `while`
    #[token("while")]
    While,
    /// `with`
    #[token("with")]
    With,
    /// `yield` (reserved, unsupported)
    #[token("yield")]
    Yield,

    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `{`
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `,`
    #[token(",")]
    Comma,
    /// `:`
    #[token(":")]
    Colon,
    /// `;`
    #[token(";")]
    Semi,
    /// `.`
    #[token(".")]
    Dot,
    /// `...`
    #[token("...")]
    Ellipsis,
    /// `->`
    #[token("->")]
    Arrow,
    /// `=`
    #[token("=")]
    Assign,
    /// `+`
    #[token("+")]
    Plus,
    /// `-`
    #[token("-")]
    Minus,
    /// `*`
    #[token("*")]
    Star,
    /// `/`
    #[token("/")]
    Slash,
    /// `//`
    #[token("//")]
    DoubleSlash,
    /// `%`
    #[token("%")]
    Percent,
    /// `**`
    #[token("**")]
    DoubleStar,
    /// `@`
    #[token("@")]
    At,
    /// `<<`
    #[token("<<")]
    LShift,
    /// `>>`
    #[token(">>")]
    RShift,
    /// `&`
    #[token("&")]
    Amp,
    /// `|`
    #[token("|")]
    Pipe,
    /// `^`
    #[token("^")]
    Caret,
    /// `~`
    #[token("~")]
    Tilde,
    /// `<`
    #[token("<")]
    Lt,
    /// `>`
    #[token(">")]
    Gt,
    /// `<=`
    #[token("<=")]
    LtE,
    /// `>=`
    #[token(">=")]
    GtE,
    /// `==`
    #[token("==")]
    EqEq,
    /// `!=`
    #[token("!=")]
    NotEq,
    /// `+=`
    #[token("+=")]
    PlusEq,
    /// `-=`
    #[token("-=")]
    MinusEq,
    /// `*=`
    #[token("*=")]
    StarEq,
    /// `/=`
    #[token("/=")]
    SlashEq,
    /// `//=`
    #[token("//=")]
    DoubleSlashEq,
    /// `%=`
    #[token("%=")]
    PercentEq,
    /// `**=`
    #[token("**=")]
    DoubleStarEq,
    /// `@=`
    #[token("@=")]
    AtEq,
    /// `&=`
    #[token("&=")]
    AmpEq,
    /// `|=`
    #[token("|=")]
    PipeEq,
    /// `^=`
    #[token("^=")]
    CaretEq,
    /// `<<=`
    #[token("<<=")]
    LShiftEq,
    /// `>>=`
    #[token(">>=")]
    RShiftEq,
    /// A backslash not followed by a newline (an error unless at end of input).
    #[token("\\")]
    Backslash,
}

impl Token {
    /// How the token is named in error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Token::Newline => "end of line",
            Token::Indent => "indent",
            Token::Dedent => "dedent",
            Token::EndOfFile => "end of input",
            Token::Name => "name",
            Token::Number(_) => "number",
            Token::Str(_) => "string",
            _ => "token",
        }
    }
}

/// The value of a number literal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// An integer (Python's are unbounded; literals beyond u64 are rejected).
    Int(u64),
    /// A float.
    Float(f64),
}

/// A token with its byte range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tok {
    /// The kind.
    pub kind: Token,
    /// Where it is.
    pub span: Span,
}

fn scan_digits(b: &[u8], mut i: usize, radix: u32) -> usize {
    let digit = |i: usize| b.get(i).is_some_and(|&c| (c as char).is_digit(radix));
    while digit(i) {
        i += 1;
        if b.get(i) == Some(&b'_') && digit(i + 1) {
            i += 1;
        }
    }
    i
}

fn number(lex: &mut logos::Lexer<Token>) -> Result<Number, LexErrorKind> {
    let b = &lex.source().as_bytes()[lex.span().start..];
    let matched = lex.slice().len();
    let radix = match (b[0], b.get(1).map(u8::to_ascii_lowercase)) {
        (b'0', Some(b'x')) => 16,
        (b'0', Some(b'o')) => 8,
        (b'0', Some(b'b')) => 2,
        _ => 10,
    };
    if radix != 10 {
        let mut start = 2;
        if b.get(2) == Some(&b'_') {
            start = 3;
        }
        let end = scan_digits(b, start, radix);
        lex.bump(end.max(2) - matched);
        if end == start {
            return Err(LexErrorKind::BadNumber);
        }
        let clean: String = b[2..end].iter().filter(|&&c| c != b'_').map(|&c| c as char).collect();
        return u64::from_str_radix(&clean, radix).map(Number::Int).map_err(|_| LexErrorKind::IntTooLarge);
    }
    let mut i = scan_digits(b, 0, 10);
    let int_end = i;
    let mut float = false;
    if b.get(i) == Some(&b'.') {
        float = true;
        i = scan_digits(b, i + 1, 10);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            float = true;
            i = scan_digits(b, j, 10);
        }
    }
    lex.bump(i - matched);
    let clean: String = b[..i].iter().filter(|&&c| c != b'_').map(|&c| c as char).collect();
    if float {
        return clean.parse().map(Number::Float).map_err(|_| LexErrorKind::BadNumber);
    }
    if int_end > 1 && b[0] == b'0' && clean.bytes().any(|c| c != b'0') {
        return Err(LexErrorKind::LeadingZeros);
    }
    clean.parse().map(Number::Int).map_err(|_| LexErrorKind::IntTooLarge)
}

/// Scans to the closing quote; the regex only matched prefix and opening quote.
fn string(lex: &mut logos::Lexer<Token>) -> Result<StrInfo, LexErrorKind> {
    let opening = lex.slice();
    let quote = opening.as_bytes()[opening.len() - 1];
    let prefix = &opening[..opening.len() - 1];
    let lower = prefix.to_ascii_lowercase();
    let rest = lex.remainder().as_bytes();
    let triple = rest.len() >= 2 && rest[0] == quote && rest[1] == quote;
    let info = StrInfo {
        raw: lower.contains('r'),
        fstring: lower.contains('f'),
        bytes: lower.contains('b'),
        prefix_len: prefix.len() as u8,
        quote_len: if triple { 3 } else { 1 },
    };
    let mut i = if triple { 2 } else { 0 };
    while i < rest.len() {
        let c = rest[i];
        if c == b'\\' {
            // Even raw strings cannot end in an odd backslash: `r"\"` is unterminated.
            i += 2;
            continue;
        }
        if c == b'\n' && !triple {
            lex.bump(i);
            return Err(LexErrorKind::UnterminatedString);
        }
        if c == quote && (!triple || (i + 2 < rest.len() && rest[i + 1] == quote && rest[i + 2] == quote)) {
            lex.bump(i + info.quote_len as usize);
            return Ok(info);
        }
        i += 1;
    }
    lex.bump(rest.len());
    Err(if triple { LexErrorKind::UnterminatedTripleString } else { LexErrorKind::UnterminatedString })
}

const INCONSISTENT: &str = "inconsistent use of tabs and spaces in indentation";

/// Where the text after the last token starts, relative to `start`.
fn lex_end(out: &[Tok], start: usize) -> usize {
    out.last().map_or(0, |t| t.span.end - start)
}

fn closing_for(open: Token) -> char {
    match open {
        Token::LParen => ')',
        Token::LBracket => ']',
        _ => '}',
    }
}

fn opening_char(open: Token) -> char {
    match open {
        Token::LParen => '(',
        Token::LBracket => '[',
        _ => '{',
    }
}

/// Tokenizes a whole module: the result ends with NEWLINE (if the last line has tokens),
/// the DEDENTs that close open blocks, and END OF FILE.
pub fn tokenize(source: &str, file: &str) -> Result<Vec<Tok>, SyntaxError> {
    Tokenizer::new(source, file, 0, source.len(), false).run()
}

/// Tokenizes `source[start..end]` as the inside of brackets (no line structure): the
/// expression part of an f-string field. Spans are positions in the whole `source`.
pub fn tokenize_inner(source: &str, file: &str, start: usize, end: usize) -> Result<Vec<Tok>, SyntaxError> {
    Tokenizer::new(source, file, start, end, true).run()
}

struct Tokenizer<'s> {
    source: &'s str,
    file: &'s str,
    start: usize,
    end: usize,
    inner: bool,
    out: Vec<Tok>,
    brackets: Vec<Tok>,
    /// Indentation levels as (column with tab stops of 8, column with tabs as 1): Python
    /// rejects indentation whose order depends on the tab size.
    indents: Vec<(usize, usize)>,
    at_line_start: bool,
}

impl<'s> Tokenizer<'s> {
    fn new(source: &'s str, file: &'s str, start: usize, end: usize, inner: bool) -> Tokenizer<'s> {
        Tokenizer {
            source,
            file,
            start,
            end,
            inner,
            out: Vec::new(),
            brackets: Vec::new(),
            indents: vec![(0, 0)],
            at_line_start: true,
        }
    }

    fn error(&self, span: Span, message: impl Into<String>) -> SyntaxError {
        SyntaxError::new(self.source, self.file, span, message)
    }

    fn push(&mut self, kind: Token, span: Span) {
        self.out.push(Tok { kind, span });
    }

    fn run(mut self) -> Result<Vec<Tok>, SyntaxError> {
        let text = &self.source[self.start..self.end];
        let mut lex = Token::lexer(text);
        while let Some(result) = lex.next() {
            let r = lex.span();
            let span = Span::new(r.start + self.start, r.end + self.start);
            let kind = match result {
                Ok(kind) => kind,
                Err(e) => return Err(self.lex_error(e, span)),
            };
            match kind {
                Token::Newline => {
                    if self.inner || !self.brackets.is_empty() || self.at_line_start {
                        continue;
                    }
                    self.push(Token::Newline, span);
                    self.at_line_start = true;
                    continue;
                }
                Token::Backslash => {
                    // The skip pattern already consumed backslash-newline pairs.
                    if span.end == self.end {
                        return Err(self.error(span, "unexpected end of input after line continuation").incomplete());
                    }
                    return Err(self.error(span, "unexpected character after line continuation character"));
                }
                _ => {}
            }
            if self.at_line_start && !self.inner && self.brackets.is_empty() {
                self.at_line_start = false;
                self.indentation(span.start)?;
            }
            match kind {
                Token::LParen | Token::LBracket | Token::LBrace => self.brackets.push(Tok { kind, span }),
                Token::RParen | Token::RBracket | Token::RBrace => {
                    let close = match kind {
                        Token::RParen => ')',
                        Token::RBracket => ']',
                        _ => '}',
                    };
                    match self.brackets.pop() {
                        None => return Err(self.error(span, format!("unmatched '{close}'"))),
                        Some(open) if closing_for(open.kind) != close => {
                            let message = format!(
                                "closing parenthesis '{close}' does not match opening parenthesis '{}'",
                                opening_char(open.kind)
                            );
                            return Err(self.error(span, message));
                        }
                        Some(_) => {}
                    }
                }
                _ => {}
            }
            self.push(kind, span);
        }
        self.continuation_at_end(text, lex_end(&self.out, self.start))?;
        if let Some(open) = self.brackets.last() {
            let message = format!("'{}' was never closed", opening_char(open.kind));
            return Err(self.error(open.span, message).incomplete());
        }
        let eof = Span::new(self.end, self.end);
        if !self.inner {
            if !self.at_line_start {
                self.push(Token::Newline, eof);
            }
            for _ in 1..self.indents.len() {
                self.push(Token::Dedent, eof);
            }
        }
        self.push(Token::EndOfFile, eof);
        Ok(self.out)
    }

    /// A backslash continuation with nothing after it: more input is needed (the skip
    /// pattern consumed it silently).
    fn continuation_at_end(&self, text: &str, tail_start: usize) -> Result<(), SyntaxError> {
        let tail = text[tail_start..].trim_end_matches([' ', '\t', '\x0C']);
        let Some(rest) = tail.strip_suffix('\n') else { return Ok(()) };
        let rest = rest.strip_suffix('\r').unwrap_or(rest);
        let Some(before) = rest.strip_suffix('\\') else { return Ok(()) };
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        if before[line_start..].contains('#') {
            return Ok(());
        }
        let at = self.start + tail_start + before.len();
        Err(self.error(Span::new(at, at + 1), "unexpected end of input after line continuation").incomplete())
    }

    fn lex_error(&self, kind: LexErrorKind, span: Span) -> SyntaxError {
        match kind {
            LexErrorKind::UnexpectedChar => {
                let c = self.source[span.start..].chars().next().unwrap_or(' ');
                let message = match c {
                    '!' => "invalid syntax: '!' is only valid as part of '!='".to_string(),
                    '$' | '?' | '`' => format!("invalid character '{c}'"),
                    c if c.is_whitespace() => format!("invalid non-printable character U+{:04X}", c as u32),
                    c => format!("invalid character '{c}' (U+{:04X})", c as u32),
                };
                self.error(span, message)
            }
            LexErrorKind::UnterminatedString => self.error(span, "unterminated string literal"),
            LexErrorKind::UnterminatedTripleString => {
                self.error(span, "unterminated triple-quoted string literal").incomplete()
            }
            LexErrorKind::IntTooLarge => self.error(span, "integer literal is too large"),
            LexErrorKind::LeadingZeros => self.error(
                span,
                "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
            ),
            LexErrorKind::BadNumber => self.error(span, "invalid number literal"),
        }
    }

    /// Compares the indentation of the line holding `at` with the open blocks.
    fn indentation(&mut self, at: usize) -> Result<(), SyntaxError> {
        let line_start = self.source[..at].rfind('\n').map_or(0, |i| i + 1);
        let (mut col, mut alt) = (0usize, 0usize);
        for c in self.source[line_start..at].chars() {
            match c {
                '\t' => {
                    col = (col / 8 + 1) * 8;
                    alt += 1;
                }
                '\x0C' => {
                    col = 0;
                    alt = 0;
                }
                _ => {
                    col += 1;
                    alt += 1;
                }
            }
        }
        let span = Span::new(line_start, at);
        let &(top, top_alt) = self.indents.last().expect("indent stack never empty");
        if col == top {
            if alt != top_alt {
                return Err(self.error(span, INCONSISTENT));
            }
        } else if col > top {
            if alt <= top_alt {
                return Err(self.error(span, INCONSISTENT));
            }
            self.indents.push((col, alt));
            self.push(Token::Indent, span);
        } else {
            while self.indents.last().is_some_and(|&(c, _)| col < c) {
                self.indents.pop();
                self.push(Token::Dedent, Span::new(at, at));
            }
            let &(top, top_alt) = self.indents.last().expect("indent stack never empty");
            if col != top {
                return Err(self.error(span, "unindent does not match any outer indentation level"));
            }
            if alt != top_alt {
                return Err(self.error(span, INCONSISTENT));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(non_snake_case)]
    fn Int(v: u64) -> Token {
        Token::Number(Number::Int(v))
    }

    #[allow(non_snake_case)]
    fn Float(v: f64) -> Token {
        Token::Number(Number::Float(v))
    }

    fn kinds(src: &str) -> Vec<Token> {
        tokenize(src, "t").unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn indentation_tokens() {
        use Token::*;
        assert_eq!(
            kinds("if x:\n    y\n\n  # c\n    z\nw\n"),
            vec![If, Name, Colon, Newline, Indent, Name, Newline, Name, Newline, Dedent, Name, Newline, EndOfFile]
        );
    }

    #[test]
    fn brackets_join_lines_and_backslash_continues() {
        use Token::*;
        assert_eq!(kinds("f(a,\n  b)\nx = 1 + \\\n  2"), {
            vec![
                Name,
                LParen,
                Name,
                Comma,
                Name,
                RParen,
                Newline,
                Name,
                Assign,
                Int(1),
                Plus,
                Int(2),
                Newline,
                EndOfFile,
            ]
        });
    }

    #[test]
    fn numbers() {
        use Token::*;
        assert_eq!(
            kinds("0x_ff 0o17 0b101 1_000 1. .5 1e3 2.5E-2 0 00"),
            vec![
                Int(255),
                Int(15),
                Int(5),
                Int(1000),
                Float(1.0),
                Float(0.5),
                Float(1000.0),
                Float(0.025),
                Int(0),
                Int(0),
                Newline,
                EndOfFile
            ]
        );
    }

    #[test]
    fn strings_and_spans() {
        let toks = tokenize("x = r'a\\'b' + '''t\n'''", "t").unwrap();
        assert_eq!(toks[2].span, Span::new(4, 11));
        assert!(matches!(toks[2].kind, Token::Str(StrInfo { raw: true, quote_len: 1, .. })));
        assert!(matches!(toks[4].kind, Token::Str(StrInfo { quote_len: 3, .. })));
    }

    #[test]
    fn errors() {
        let e = tokenize("if x:\n    y\n  z\n", "t").unwrap_err();
        assert_eq!(
            (e.line, e.column, e.message.as_str()),
            (3, 1, "unindent does not match any outer indentation level")
        );
        let e = tokenize("f(1,\n2", "t").unwrap_err();
        assert!(e.incomplete);
        assert_eq!((e.line, e.column), (1, 2));
        let e = tokenize("'''abc", "t").unwrap_err();
        assert!(e.incomplete);
        let e = tokenize("'abc\n", "t").unwrap_err();
        assert!(!e.incomplete);
        assert!(tokenize("x = 1 + \\", "t").unwrap_err().incomplete);
        assert_eq!(tokenize("(]", "t").unwrap_err().column, 2);
    }

    /// Every character is in a token, whitespace, a comment or a line continuation:
    /// guards against the lexer silently stopping early.
    fn assert_covered(src: &str, toks: &[Tok]) {
        let mut covered = vec![false; src.len()];
        for t in toks {
            covered[t.span.range()].iter_mut().for_each(|c| *c = true);
        }
        let bytes = src.as_bytes();
        let mut in_comment = false;
        for (i, &b) in bytes.iter().enumerate() {
            if covered[i] {
                continue;
            }
            match b {
                b'\n' => in_comment = false,
                b'#' => in_comment = true,
                b' ' | b'\t' | b'\x0C' | b'\r' => {}
                b'\\' if matches!(bytes.get(i + 1), Some(b'\n' | b'\r')) => {}
                _ => assert!(in_comment, "byte {i} ({:?}) of {src:?} lost", b as char),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn nothing_is_dropped(parts in proptest::collection::vec(proptest::sample::select(vec![
            "x", "1", "1.5", "1e", "0x", " ", "\t", "\n", "\\", "\\\n", "#c", "'s'", "(", ")", "[", "]",
            "...", ".", "=", "==", "**=", "'''", "\"", "f", "r", "é", "_1", "\r\n", "\x0C",
        ]), 0..40)) {
            let src: String = parts.concat();
            if let Ok(toks) = tokenize(&src, "t") {
                assert_covered(&src, &toks);
            }
        }
    }
}
