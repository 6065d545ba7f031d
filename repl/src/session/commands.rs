//! The `:` commands: parsing, help text and the `:time` report.

/// A parsed REPL command.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `:help`
    Help,
    /// `:vars`
    Vars,
    /// `:time STATEMENT`
    Time(&'a str),
    /// `:trace NAME`
    Trace(&'a str),
    /// `:graph NAME`
    Graph(&'a str),
    /// `:reset`
    Reset,
    /// `:quit` or `:q`
    Quit,
    /// A known command used wrongly: the message to show.
    Usage(&'static str),
    /// An unknown command name.
    Unknown(&'a str),
}

/// The `:help` text.
pub const HELP: &str = "\
Commands:
  :help          this list
  :vars          the session's variables: name, type, shape and dtype
  :time STMT     run STMT and print its wall time
  :trace NAME    concrete functions and retrace reasons of the tf.function NAME
  :graph NAME    the graph traced for the tf.function NAME
  :reset         start a fresh interpreter (history is kept)
  :quit, :q      leave (as does Ctrl-D)
Code runs as Python does: nothing is imported for you, so start with
`import tensorflow as tf`. Blocks end with an empty line. Tab completes names and
attributes; Ctrl-C interrupts a running statement.
";

/// Parses the text after a leading `:`.
pub fn parse(text: &str) -> Command<'_> {
    let text = text.trim();
    let (name, arg) = match text.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (text, ""),
    };
    let no_arg = |c: Command<'static>, usage: &'static str| if arg.is_empty() { c } else { Command::Usage(usage) };
    let is_name = !arg.is_empty()
        && arg.split('.').all(|p| {
            p.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
        });
    match name {
        "help" | "h" | "?" => no_arg(Command::Help, ":help takes no argument"),
        "vars" => no_arg(Command::Vars, ":vars takes no argument"),
        "reset" => no_arg(Command::Reset, ":reset takes no argument"),
        "quit" | "q" | "exit" => no_arg(Command::Quit, ":quit takes no argument"),
        "time" if arg.is_empty() => Command::Usage("usage: :time STATEMENT"),
        "time" => Command::Time(arg),
        "trace" if is_name => Command::Trace(arg),
        "trace" => Command::Usage("usage: :trace NAME"),
        "graph" if is_name => Command::Graph(arg),
        "graph" => Command::Usage("usage: :graph NAME"),
        _ => Command::Unknown(name),
    }
}

/// A duration the way IPython's `%time` prints it: three significant digits and a unit.
pub fn format_duration(secs: f64) -> String {
    if secs >= 60.0 {
        let mut parts = Vec::new();
        let mut left = secs;
        for (suffix, length) in [("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)] {
            let value = (left / length).floor();
            if value > 0.0 {
                left %= length;
                parts.push(format!("{value}{suffix}"));
            }
            if left < 1.0 {
                break;
            }
        }
        return parts.join(" ");
    }
    let units = ["s", "ms", "µs", "ns"];
    let order = if secs > 0.0 { (-(secs.log10().floor() as i64).div_euclid(3)).clamp(0, 3) as usize } else { 3 };
    let scaled = secs * 1000f64.powi(order as i32);
    let digits = crate::interp::format::format_float(scaled, ".3g").unwrap_or_else(|_| scaled.to_string());
    format!("{digits} {}", units[order])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_arguments() {
        assert_eq!(parse("help"), Command::Help);
        assert_eq!(parse("vars "), Command::Vars);
        assert_eq!(parse("q"), Command::Quit);
        assert_eq!(parse("time  x = f(1, 2) "), Command::Time("x = f(1, 2)"));
        assert_eq!(parse("trace model.step"), Command::Trace("model.step"));
        assert_eq!(parse("graph f"), Command::Graph("f"));
        assert_eq!(parse("time"), Command::Usage("usage: :time STATEMENT"));
        assert_eq!(parse("trace f(1)"), Command::Usage("usage: :trace NAME"));
        assert_eq!(parse("graph"), Command::Usage("usage: :graph NAME"));
        assert_eq!(parse("reset now"), Command::Usage(":reset takes no argument"));
        assert_eq!(parse("plot x"), Command::Unknown("plot"));
    }

    #[test]
    fn durations_like_ipython() {
        assert_eq!(format_duration(1.5), "1.5 s");
        assert_eq!(format_duration(0.0123), "12.3 ms");
        assert_eq!(format_duration(0.000_004_56), "4.56 µs");
        assert_eq!(format_duration(3e-8), "30 ns");
        assert_eq!(format_duration(0.0), "0 ns");
        assert_eq!(format_duration(75.0), "1min 15s");
        assert_eq!(format_duration(120.4), "2min");
    }
}
