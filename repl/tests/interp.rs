//! The interpreter as a library: interrupts, REPL echo values, and hostile input.

use std::time::Duration;
use tensile_repl::{Interp, RunError};

fn uncaught(r: Result<(), RunError>) -> String {
    match r {
        Err(RunError::Exception(u)) => u.render(),
        Err(RunError::Syntax(e)) => e.to_string(),
        Ok(()) => String::new(),
    }
}

#[test]
fn interrupt_stops_an_endless_loop() {
    let mut interp = Interp::new();
    let handle = interp.interrupt_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        handle.trigger();
    });
    let text = uncaught(interp.run_file("n = 0\nwhile True:\n    n += 1\n", "loop.py"));
    t.join().expect("the timer thread ends");
    assert!(text.ends_with("KeyboardInterrupt\n"), "{text}");
    // The session survives and keeps its state.
    assert!(interp.run_file("assert n > 0\n", "after.py").is_ok());
}

#[test]
fn interactive_input_returns_the_last_expression() {
    let mut interp = Interp::new();
    let v = interp.run_interactive("x = 2\nx * 21").ok().flatten().expect("a value");
    assert_eq!(interp.repr_of(&v).ok().as_deref(), Some("42"));
    assert!(interp.run_interactive("None").ok().flatten().is_none());
    let t =
        interp.run_interactive("import tensorflow as tf\ntf.constant([1.0, 2.0])").ok().flatten().expect("a tensor");
    assert_eq!(
        interp.repr_of(&t).ok().as_deref(),
        Some("<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>")
    );
}

#[test]
fn hostile_programs_raise_instead_of_crashing() {
    let cases = [
        ("def f(): return f()\nf()", "RecursionError"),
        ("a = []\na.append(a)\nb = {}\nb[0] = b\nx = repr(a) + repr(b)", ""),
        ("x = 2 ** 64", "OverflowError"),
        ("x = -9223372036854775807 - 1\ny = x // -1", "OverflowError"),
        ("x = [1][1 << 40]", "IndexError"),
        ("x = 'a' * -5 + 'b'[5:1:-1]", ""),
        ("class A:\n    def __repr__(self): return 5\nrepr(A())", "TypeError"),
        ("raise 5", "TypeError"),
        ("x = {[]: 1}", "TypeError"),
        ("import nothing_here", "ModuleNotFoundError"),
        ("def g(*, k): pass\ng()", "TypeError"),
        ("a, b = 1", "TypeError"),
        ("a, b = [1, 2, 3]", "ValueError"),
        ("import tensorflow as tf\ntf.constant([[1], [2, 3]])", "ValueError"),
        ("import tensorflow as tf\ntf.constant(1) + 1.5", "TypeError"),
    ];
    for (src, expected) in cases {
        let mut interp = Interp::new();
        let text = uncaught(interp.run_file(src, "case.py"));
        if expected.is_empty() {
            assert!(text.is_empty(), "{src}: {text}");
        } else {
            assert!(text.lines().last().unwrap_or_default().starts_with(expected), "{src}: {text}");
        }
    }
}
