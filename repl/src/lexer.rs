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
    /// A number literal that does not parse (`1e`, `0x`).
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
    /// An integer literal.
    #[regex(r"[0-9](_?[0-9])*", |l| int_value(l.slice(), 10))]
    #[regex(r"0[xX](_?[0-9a-fA-F])+", |l| int_value(&l.slice()[2..], 16))]
    #[regex(r"0[oO](_?[0-7])+", |l| int_value(&l.slice()[2..], 8))]
    #[regex(r"0[bB](_?[01])+", |l| int_value(&l.slice()[2..], 2))]
    Int(u64),
    /// A float literal.
    #[regex(r"[0-9](_?[0-9])*\.([0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?", float_value)]
    #[regex(r"\.[0-9](_?[0-9])*([eE][+-]?[0-9](_?[0-9])*)?", float_value)]
    #[regex(r"[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*", float_value)]
    Float(f64),
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
            Token::Int(_) | Token::Float(_) => "number",
            Token::Str(_) => "string",
            _ => "token",
        }
    }
}

/// A token with its byte range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tok {
    /// The kind.
    pub kind: Token,
    /// Where it is.
    pub span: Span,
}

fn int_value(digits: &str, radix: u32) -> Result<u64, LexErrorKind> {
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    // logos does not backtrack, so `1e` or `0x` reach here whole: report them as Python does.
    if !clean.chars().all(|c| c.is_digit(radix)) {
        return Err(LexErrorKind::BadNumber);
    }
    if radix == 10 && clean.len() > 1 && clean.starts_with('0') && clean.bytes().any(|b| b != b'0') {
        return Err(LexErrorKind::LeadingZeros);
    }
    u64::from_str_radix(&clean, radix).map_err(|_| LexErrorKind::IntTooLarge)
}

fn float_value(lex: &mut logos::Lexer<Token>) -> Result<f64, LexErrorKind> {
    let clean: String = lex.slice().chars().filter(|&c| c != '_').collect();
    clean.parse().map_err(|_| LexErrorKind::BadNumber)
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
