//! When a typed line runs and when the REPL asks for more: the parser's [`is_complete`]
//! over the lines entered so far plus the current one.
//!
//! Typed lines are read one at a time, each with its own prompt (`>>> `, then `... `).
//! A buffer that already holds several lines (a pasted or recalled block) is edited as a
//! whole: Enter inside it adds a line to the same buffer until the block is complete.

use crate::lexer::Token;
use crate::parser::{is_complete, Completeness};
use logos::Logos;

/// The statement text: the lines accepted so far followed by `line`.
pub fn join(pending: &str, line: &str) -> String {
    if pending.is_empty() {
        line.to_string()
    } else {
        format!("{pending}\n{line}")
    }
}

/// Whether `source` starts with a compound statement (`while x: pass` included).
fn opens_compound(source: &str) -> bool {
    let first = Token::lexer(source).find(|t| *t != Ok(Token::Newline));
    matches!(
        first,
        Some(Ok(Token::If
            | Token::While
            | Token::For
            | Token::Def
            | Token::Class
            | Token::Try
            | Token::With
            | Token::At))
    )
}

fn ends_with_blank_line(source: &str) -> bool {
    source.rsplit_once('\n').is_some_and(|(_, last)| last.trim().is_empty())
}

/// What to do with the text entered so far. As in Python's REPL, a compound statement
/// waits for a blank line even when its body fits on the header's line.
pub fn classify(pending: &str, line: &str) -> Completeness {
    let source = join(pending, line);
    match is_complete(&source) {
        Completeness::Complete if opens_compound(&source) && !ends_with_blank_line(&source) => Completeness::Incomplete,
        other => other,
    }
}

/// Whether Enter in an editing `buffer` should add a line to it instead of accepting it.
pub fn continue_in_buffer(pending: &str, buffer: &str) -> bool {
    buffer.contains('\n') && classify(pending, buffer) == Completeness::Incomplete
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_invalid(c: Completeness) -> bool {
        matches!(c, Completeness::Invalid(_))
    }

    #[test]
    fn blocks_continue_until_a_blank_line() {
        assert_eq!(classify("", "def f(x):"), Completeness::Incomplete);
        assert_eq!(classify("def f(x):", "    return x + 1"), Completeness::Incomplete);
        assert_eq!(classify("def f(x):\n    return x + 1", ""), Completeness::Complete);
        assert_eq!(classify("for i in range(3):\n    if i:\n        print(i)", "    "), Completeness::Complete);
        assert_eq!(classify("", "x = 1"), Completeness::Complete);
        assert_eq!(classify("", "while True: pass"), Completeness::Incomplete);
        assert_eq!(classify("while True: pass", ""), Completeness::Complete);
        assert_eq!(classify("", "@decorate"), Completeness::Incomplete);
    }

    #[test]
    fn open_brackets_and_strings_continue() {
        assert_eq!(classify("", "x = [1,"), Completeness::Incomplete);
        assert_eq!(classify("x = [1,", "2]"), Completeness::Complete);
        assert_eq!(classify("", "s = '''a"), Completeness::Incomplete);
        assert_eq!(classify("", "y = 1 + \\"), Completeness::Incomplete);
    }

    #[test]
    fn syntax_errors_end_the_input() {
        assert!(is_invalid(classify("", "x = = 1")));
        assert!(is_invalid(classify("", "x = (1]")));
        assert!(is_invalid(classify("if x:", "")));
    }

    #[test]
    fn multi_line_buffers_are_edited_as_a_whole() {
        assert!(!continue_in_buffer("", "def f(x):"));
        assert!(continue_in_buffer("", "def f(x):\n    return x"));
        assert!(!continue_in_buffer("", "def f(x):\n    return x\n"));
        assert!(!continue_in_buffer("", "x = (1\n]"));
        assert!(continue_in_buffer("if True:", "    a = 1\n    b = 2"));
    }
}
