//! Syntax highlighting of the line being edited, from the language's own lexer: keywords,
//! strings, numbers and comments get ANSI colours (the palette of Python's REPL).

use crate::lexer::{LexErrorKind, Token};
use logos::Logos;

const KEYWORD: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[33m";
const COMMENT: &str = "\x1b[31m";
const DEFINITION: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";
/// Hints (the rest of a history entry) are dimmed.
pub const HINT: &str = "\x1b[2m";

fn is_keyword(t: Token) -> bool {
    use Token::*;
    matches!(
        t,
        False
            | None
            | True
            | And
            | As
            | Assert
            | Async
            | Await
            | Break
            | Class
            | Continue
            | Def
            | Del
            | Elif
            | Else
            | Except
            | Finally
            | For
            | From
            | Global
            | If
            | Import
            | In
            | Is
            | Lambda
            | Nonlocal
            | Not
            | Or
            | Pass
            | Raise
            | Return
            | Try
            | While
            | With
            | Yield
    )
}

/// Appends `text` with the comments in it coloured: it is what the lexer skipped between
/// two tokens (blanks, comments, line continuations), so any `#` in it starts a comment.
fn push_gap(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('#') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('\n').map_or(rest.len(), |j| i + j);
        paint(out, COMMENT, &rest[i..end]);
        rest = &rest[end..];
    }
    out.push_str(rest);
}

fn paint(out: &mut String, colour: &str, text: &str) {
    out.push_str(colour);
    out.push_str(text);
    out.push_str(RESET);
}

/// `line` with ANSI colours added; the visible text is unchanged.
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let mut lex = Token::lexer(line);
    let mut at = 0;
    let mut after_def = false;
    while let Some(result) = lex.next() {
        let span = lex.span();
        push_gap(&mut out, &line[at..span.start]);
        let text = &line[span.clone()];
        let colour = match result {
            Ok(t) if is_keyword(t) => Some(KEYWORD),
            Ok(Token::Str(_)) => Some(STRING),
            Ok(Token::Number(_)) => Some(NUMBER),
            Ok(Token::Name) if after_def => Some(DEFINITION),
            Err(LexErrorKind::UnterminatedString | LexErrorKind::UnterminatedTripleString) => Some(STRING),
            _ => None,
        };
        after_def = matches!(result, Ok(Token::Def | Token::Class));
        match colour {
            Some(c) => paint(&mut out, c, text),
            None => out.push_str(text),
        }
        at = span.end;
    }
    push_gap(&mut out, &line[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn colours_keywords_strings_numbers_and_comments() {
        let h = highlight("for i in range(10): print('a', 1.5)  # done");
        assert!(h.starts_with(&format!("{KEYWORD}for{RESET} i {KEYWORD}in{RESET} range(")), "{h:?}");
        assert!(h.contains(&format!("{NUMBER}10{RESET}")));
        assert!(h.contains(&format!("{STRING}'a'{RESET}")));
        assert!(h.contains(&format!("{NUMBER}1.5{RESET}")));
        assert!(h.ends_with(&format!("  {COMMENT}# done{RESET}")));
        assert_eq!(highlight("def f(x):"), format!("{KEYWORD}def{RESET} {DEFINITION}f{RESET}(x):"));
    }

    #[test]
    fn text_is_unchanged_even_when_incomplete_or_invalid() {
        for line in ["x = 'unterminated", "s = \"\"\"doc", "a $ b # c", "", "  # only a comment", "f(x,\n  y) # two\nz"]
        {
            assert_eq!(strip(&highlight(line)), line);
        }
        assert!(highlight("x = 'open").ends_with(&format!("{STRING}'open{RESET}")));
    }
}
