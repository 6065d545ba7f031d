//! The interactive REPL driven through a pseudo-terminal, as a person types into it.
//!
//! Expected text is always output that the typed input does not contain, so an echo of the
//! input can never satisfy an expectation.

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Long enough for a loaded machine; a passing test never waits for it.
const TIMEOUT_MS: u64 = 30_000;

struct Repl {
    pty: PtySession,
}

impl Repl {
    /// Starts `tensile` on a terminal, with its history in `history`.
    fn start(history: &Path) -> Repl {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tensile"));
        cmd.env("TERM", "xterm").env("TENSILE_HISTORY", history).env_remove("NO_COLOR");
        let options = Options::new().timeout_ms(Some(TIMEOUT_MS)).strip_ansi_escape_codes(true);
        let pty = rexpect::spawn_with_options(cmd, options).expect("spawn tensile");
        let mut repl = Repl { pty };
        repl.expect("TensorFlow 2 in Rust. :help for commands, Ctrl-D to exit.");
        repl.expect(">>> ");
        repl
    }

    /// Types `text` and presses Enter.
    fn line(&mut self, text: &str) {
        self.pty.send(text).expect("send");
        self.pty.send("\r").expect("send");
        self.pty.flush().expect("flush");
    }

    /// Types `text` without pressing Enter.
    fn keys(&mut self, text: &str) {
        self.pty.send(text).expect("send");
        self.pty.flush().expect("flush");
    }

    fn expect(&mut self, text: &str) {
        if let Err(e) = self.pty.exp_string(text) {
            panic!("expected {text:?}: {e}");
        }
    }

    fn expect_regex(&mut self, re: &str) {
        if let Err(e) = self.pty.exp_regex(re) {
            panic!("expected /{re}/: {e}");
        }
    }

    fn ctrl(&mut self, c: char) {
        self.pty.send_control(c).expect("send control");
    }

    /// Presses Ctrl-D at the next prompt and checks the exit status.
    fn exit_with_ctrl_d(mut self) -> i32 {
        // The prompt is drawn once the editor reads keys: Ctrl-D is then a key, not the
        // terminal's end of file.
        self.expect(">>> ");
        self.ctrl('d');
        self.pty.exp_eof().expect("end of output");
        match self.pty.process().wait().expect("wait") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("tensile did not exit normally: {other:?}"),
        }
    }
}

fn history_in(dir: &tempfile::TempDir) -> PathBuf {
    // A directory that does not exist yet: the REPL creates it.
    dir.path().join("state").join("history")
}

#[test]
fn multi_line_def_then_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(&history_in(&dir));
    repl.line("def double(a):");
    repl.expect("... ");
    repl.line("    return a * 21");
    repl.expect("... ");
    repl.line("");
    repl.line("double(2)");
    repl.expect("42\r\n");
    repl.line("items = [1,");
    repl.expect("... ");
    repl.line("   2]");
    repl.line("len(items) + 40");
    repl.expect("42\r\n");
    // A pasted block arrives as one buffer: Enter runs it once it is complete.
    repl.keys("\x1b[200~def h(x):\n    return x + 1\n\nh(99)\n\x1b[201~");
    repl.line("");
    repl.expect("100\r\n");
    assert_eq!(repl.exit_with_ctrl_d(), 0);
}

#[test]
fn tab_completes_attributes_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(&history_in(&dir));
    repl.line("import tensorflow as tf");
    repl.keys("m = tf.reduce_me\t");
    repl.expect("tf.reduce_mean(");
    repl.line("[1.0, 3.0])");
    repl.line("m");
    repl.expect("<tf.Tensor: shape=(), dtype=float32, numpy=2.0>");
    repl.line("counter_value = 5");
    repl.keys("counter_v\t");
    repl.expect("counter_value");
    repl.line(" * 8 + 2");
    repl.expect("42\r\n");
    assert_eq!(repl.exit_with_ctrl_d(), 0);
}

#[test]
fn errors_are_reported_and_the_session_continues() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(&history_in(&dir));
    repl.line("1/0");
    repl.expect("ZeroDivisionError: division by zero");
    repl.line("undefined_name");
    repl.expect("NameError: name 'undefined_name' is not defined");
    repl.line("x = = 1");
    repl.expect("expected an expression, found '='");
    repl.line("if True:");
    repl.line("");
    repl.expect("expected an indented block");
    repl.line("print(40 + 2)");
    repl.expect("42\r\n");
    assert_eq!(repl.exit_with_ctrl_d(), 0);
}

#[test]
fn ctrl_c_interrupts_a_loop_and_clears_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(&history_in(&dir));
    repl.line("def spin():");
    repl.line("    print('spin' + 'ning')");
    repl.line("    while True: pass");
    repl.line("");
    repl.line("spin()");
    // The loop is running once it has printed.
    repl.expect("spinning");
    repl.ctrl('c');
    repl.expect("KeyboardInterrupt");
    repl.line("print(6 * 7)");
    repl.expect("42\r\n");
    repl.keys("half typed");
    // Echoed by the editor, so Ctrl-C reaches it as a key rather than as a signal.
    repl.expect("half typed");
    repl.ctrl('c');
    repl.expect("KeyboardInterrupt");
    repl.line("print(7 * 7)");
    repl.expect("49\r\n");
    assert_eq!(repl.exit_with_ctrl_d(), 0);
}

#[test]
fn commands() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(&history_in(&dir));
    repl.line(":help");
    repl.expect("the session's variables");
    repl.expect("import tensorflow as tf");
    repl.line("import tensorflow as tf");
    repl.line("w = tf.Variable([1.0, 2.0, 3.0])");
    repl.line("n = 3");
    repl.line(":vars");
    repl.expect_regex(r"Name\s+Type\s+Shape\s+DType");
    repl.expect_regex(r"n\s+int\s*\r\n");
    repl.expect_regex(r"w\s+ResourceVariable\s+\(3,\)\s+float32");
    repl.line(":time sum(range(1000))");
    repl.expect_regex(r"Wall time: [0-9.]+ \S*s\r\n499500\r\n");
    repl.line(":trace n");
    repl.expect("n is not a tf.function");
    repl.line(":graph missing");
    repl.expect("NameError: name 'missing' is not defined");
    repl.line(":nope");
    repl.expect("Unknown command ':nope'");
    repl.line(":reset");
    repl.expect("Started a fresh interpreter.");
    repl.line("n");
    repl.expect("NameError: name 'n' is not defined");
    repl.line(":quit");
    repl.pty.exp_eof().expect("end of output");
    assert!(matches!(repl.pty.process().wait(), Ok(WaitStatus::Exited(_, 0))));
}

#[test]
fn history_is_saved_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let history = history_in(&dir);
    let mut repl = Repl::start(&history);
    repl.line("def g():");
    repl.line("    return 5");
    repl.line("");
    repl.line("print(g() * 8 + 2)");
    repl.expect("42\r\n");
    assert_eq!(repl.exit_with_ctrl_d(), 0);
    let saved = std::fs::read_to_string(&history).expect("history file");
    assert!(saved.contains("def g():\\n    return 5\n"), "{saved:?}");
    assert!(saved.contains("print(g() * 8 + 2)\n"), "{saved:?}");

    // A new session recalls the last entry with the Up arrow (`g` is not defined there).
    let mut repl = Repl::start(&history);
    repl.keys("\x1b[A");
    repl.expect("print(g() * 8 + 2)");
    repl.line("");
    repl.expect("NameError: name 'g' is not defined");
    assert_eq!(repl.exit_with_ctrl_d(), 0);
}

#[test]
fn ctrl_c_interrupts_engine_work_and_leaves_variables_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(&history_in(&dir));
    repl.line("import tensorflow as tf");
    repl.line("v = tf.Variable(tf.zeros([1000]))");
    repl.line("def body(i):");
    repl.line("    v.assign_add(tf.ones([1000]))");
    repl.line("    return [i + 1]");
    repl.line("");
    repl.line("@tf.function");
    repl.line("def spin(n):");
    repl.line("    return tf.while_loop(lambda i: i < n, body, [tf.constant(0)])");
    repl.line("");
    repl.line("spin(tf.constant(3))");
    repl.expect("numpy=3>");
    // A traced while_loop of two billion iterations: no interpreter loop runs while it does.
    repl.line("print('graph' + ' running'); spin(tf.constant(2000000000))");
    repl.expect("graph running");
    repl.ctrl('c');
    repl.expect("KeyboardInterrupt");
    // Every element saw the same number of whole updates.
    repl.line("print(bool(tf.reduce_all(v == v[0])), bool(v[0] >= 3.0))");
    repl.expect("True True\r\n");
    // An eager tf.while_loop whose body is a lambda (no statement loop polls the interrupt).
    repl.line("print('eager' + ' loop'); tf.while_loop(lambda i: i < 2000000000, lambda i: [i + 1], [tf.constant(0)])");
    repl.expect("eager loop");
    repl.ctrl('c');
    repl.expect("KeyboardInterrupt");
    repl.line("print(spin(tf.constant(2))[0].numpy() * 21)");
    repl.expect("42\r\n");
    assert_eq!(repl.exit_with_ctrl_d(), 0);
}
