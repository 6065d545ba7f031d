//! `tf.function` beyond what TensorFlow prints: retrace explanations, the retrace warning and
//! the description the REPL's `:trace` and `:graph` commands show.

use std::cell::RefCell;
use std::io::Write;
use std::process::Command;
use std::rc::Rc;
use tensile_repl::interp::value::Value;
use tensile_repl::tf::{describe_function, FunctionInfo};
use tensile_repl::{Interp, RunError};

/// Collects what `print` writes.
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `code`, returning the session and its printed output.
fn run(code: &str) -> (Interp, String) {
    let mut interp = Interp::new();
    let out = Captured::default();
    interp.out = Box::new(out.clone());
    if let Err(e) = interp.run_file(code, "test.py") {
        let text = match e {
            RunError::Exception(u) => u.render(),
            RunError::Syntax(s) => s.to_string(),
        };
        panic!("the script failed:\n{text}");
    }
    let text = String::from_utf8(out.0.borrow().clone()).expect("utf-8 output");
    (interp, text)
}

fn info(interp: &Interp, name: &str) -> FunctionInfo {
    let v = interp.globals().get(name).unwrap_or_else(|| panic!("{name} is defined"));
    describe_function(&v).unwrap_or_else(|| panic!("{name} is a tf.function"))
}

fn reasons(info: &FunctionInfo) -> Vec<Vec<String>> {
    info.traces.iter().map(|t| t.reasons.clone()).collect()
}

#[test]
fn retraces_explain_which_argument_changed() {
    let (interp, out) = run(r#"
import tensorflow as tf

@tf.function
def f(x, scale=2.0):
    print("tracing", scale)
    return x * scale

f(tf.constant([1.0, 2.0, 3.0]))
f(tf.constant([4.0, 5.0, 6.0]))
f(tf.constant([1.0, 2.0, 3.0, 4.0, 5.0]))
f(tf.constant([1.0, 2.0, 3.0, 4.0, 5.0]), scale=3.0)
f(tf.constant([1, 2, 3]), 3.0)
"#);
    assert_eq!(out, "tracing 2.0\ntracing 2.0\ntracing 3.0\ntracing 3.0\n");
    let i = info(&interp, "f");
    assert_eq!(i.name, "f");
    assert_eq!(i.tracing_count, 4);
    assert_eq!(
        reasons(&i),
        vec![
            vec![],
            vec!["x: shape [3] → [5]".to_string()],
            vec!["scale: 2.0 → 3.0".to_string()],
            // Nearest cached signatures differ in two ways; the latest of them is named.
            vec!["x: dtype float32 → int32".to_string(), "x: shape [5] → [3]".to_string()],
        ]
    );
    assert_eq!(i.traces[2].signature, "TensorSpec(shape=(5,), dtype=tf.float32, name=None), Literal[3.0]",);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    assert_eq!(i.concrete.len(), 4);
    assert!(i.concrete[0].signature.starts_with("Input Parameters:\n  x (POSITIONAL_OR_KEYWORD)"));
    // The graph of `x * 2.0`: the argument, the constant and the multiplication.
    let g = &i.concrete[0].graph;
    assert!(g.contains("placeholder") && g.contains("mul") && g.contains("return"), "{g}");
}

#[test]
fn reduce_retracing_and_input_signature_keep_one_trace() {
    let (interp, _) = run(r#"
import tensorflow as tf

@tf.function(reduce_retracing=True)
def r(x):
    return x + 1.0

@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)], jit_compile=True)
def s(x):
    return x + 1.0

for n in [3, 5, 7, 9]:
    r(tf.constant([0.0] * n))
    s(tf.constant([0.0] * n))
"#);
    let r = info(&interp, "r");
    assert_eq!(r.tracing_count, 2);
    assert_eq!(r.traces[1].signature, "TensorSpec(shape=(None,), dtype=tf.float32, name=None)");
    assert_eq!(r.traces[1].reasons, vec!["x: shape [3] → [5]".to_string()]);
    let s = info(&interp, "s");
    assert_eq!(s.tracing_count, 1);
    assert!(s.traces[0].reasons.is_empty());
}

#[test]
fn frequent_retracing_warns_with_the_explanation() {
    let (interp, _) = run(r#"
import tensorflow as tf

@tf.function
def k(x, scale):
    return x * scale

for i in range(6):
    k(tf.constant(1.0), float(i))
"#);
    let i = info(&interp, "k");
    assert_eq!(i.tracing_count, 6);
    assert_eq!(
        i.warnings,
        vec!["5 of the last 5 calls to tf.function 'k' retraced. The argument `scale` keeps changing (last: \
             scale: 3.0 → 4.0). Tracing is expensive: pass `scale` as a tensor (tf.constant) instead of a Python \
             value, so that its value is not part of the cache key."
            .to_string()]
    );
}

#[test]
fn the_warning_goes_to_stderr_once() {
    let dir = std::env::temp_dir().join(format!("tensile-function-warn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let script = dir.join("warn.py");
    std::fs::write(
        &script,
        "import tensorflow as tf\n\n@tf.function\ndef k(x):\n    return x\n\nfor n in range(1, 9):\n    k(tf.constant([1.0] * n))\nprint('done')\n",
    )
    .expect("the script is written");
    let out = Command::new(env!("CARGO_BIN_EXE_tensile")).arg("run").arg(&script).output().expect("tensile runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "done\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "WARNING:tensorflow:5 of the last 5 calls to tf.function 'k' retraced. The argument `x` keeps changing \
         (last: x: shape [4] → [5]). Tracing is expensive: pass input_signature with None for the dimensions that \
         vary, or reduce_retracing=True, so that `x` of any size reuses one trace.\n"
    );
}

#[test]
fn methods_trace_per_instance_and_variables_are_captured_by_reference() {
    let (interp, out) = run(r#"
import tensorflow as tf

class Dense:
    def __init__(self):
        self.w = None

    @tf.function
    def __call__(self, x):
        if self.w is None:
            self.w = tf.Variable([[2.0], [3.0]], name="w")
        return tf.matmul(x, self.w)

a = Dense()
b = Dense()
x = tf.constant([[1.0, 1.0]])
print(a(x).numpy().tolist(), b(x).numpy().tolist())
a.w.assign([[1.0], [1.0]])
print(a(x).numpy().tolist(), b(x).numpy().tolist())
fa = a.__call__
"#);
    assert_eq!(out, "[[5.0]] [[5.0]]\n[[2.0]] [[5.0]]\n");
    let i = info(&interp, "fa");
    // The first trace created the variable; the second uses it.
    assert_eq!(i.tracing_count, 2);
    assert_eq!(
        reasons(&i),
        vec![vec![], vec!["the first trace created the variable 'w:0': traced again to use it".to_string()]]
    );
    assert!(i.concrete[0].signature.ends_with("Captures:\n  w:0: TensorSpec(shape=(), dtype=tf.resource, name=None)"));
    // Read from the class, the method lists the functions of its live instances.
    let class = interp.globals().get("Dense").expect("the class");
    let Value::Class(c) = class else { panic!("a class") };
    let method = c.dict.borrow().get("__call__").cloned().expect("the method");
    let m = describe_function(&method).expect("a tf.function");
    assert_eq!(m.tracing_count, 0);
    assert_eq!(m.instances.len(), 2);
}

#[test]
fn variable_creation_on_a_later_trace_is_a_value_error() {
    let mut interp = Interp::new();
    interp.out = Box::new(Captured::default());
    let err = interp
        .run_file(
            "import tensorflow as tf\n\n@tf.function\ndef f(x):\n    v = tf.Variable(1.0)\n    return v + x\n\nf(1.0)\n",
            "make.py",
        )
        .expect_err("creating a variable on every trace fails");
    let RunError::Exception(u) = err else { panic!("an exception") };
    assert_eq!(u.type_name(), "ValueError");
    assert!(
        u.message.starts_with(
            "ValueError: tf.function only supports singleton tf.Variables created on the first call. Make sure the \
             tf.Variable is only created once or created outside tf.function"
        ),
        "{}",
        u.message
    );
    assert!(u.render().contains("make.py:8:1, in <module>"), "{}", u.render());
}

#[test]
fn non_functions_are_not_described() {
    assert!(describe_function(&Value::Int(3)).is_none());
    let (interp, _) = run("import tensorflow as tf\nspec = tf.TensorSpec([2], tf.float32)\n");
    assert!(describe_function(&interp.globals().get("spec").expect("spec")).is_none());
}

#[test]
fn a_concrete_function_is_described_alone() {
    let (interp, out) = run(r#"
import tensorflow as tf

@tf.function
def f(x):
    return tf.reduce_sum(x * x)

f(tf.constant([1.0]))
cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
print(cf(tf.constant([1.0, 2.0])).numpy())
"#);
    assert_eq!(out, "5.0\n");
    let c = describe_function(&interp.globals().get("cf").expect("cf")).expect("a concrete function");
    assert_eq!(c.tracing_count, 2);
    assert_eq!(c.concrete.len(), 1);
    assert!(c.concrete[0].signature.contains("TensorSpec(shape=(None,), dtype=tf.float32, name=None)"));
    assert!(c.concrete[0].traced_nodes >= 3);
}

#[test]
fn trace_and_graph_text_for_the_repl() {
    let (interp, _) = run(r#"
import tensorflow as tf

@tf.function
def f(x, scale=2.0):
    return x * scale

f(tf.constant([1.0]))
f(tf.constant([1.0]), 3.0)
"#);
    let i = info(&interp, "f");
    assert_eq!(
        i.trace_text(),
        "tf.function 'f': traced 2 times\n  1. (TensorSpec(shape=(1,), dtype=tf.float32, name=None), Literal[2.0]): \
         first trace\n  2. (TensorSpec(shape=(1,), dtype=tf.float32, name=None), Literal[3.0]): scale: 2.0 → 3.0\n"
    );
    let g = i.graph_text();
    assert!(g.starts_with("concrete function 1 of 'f' ("), "{g}");
    assert!(g.contains("concrete function 2 of 'f'") && g.contains("Literal[3.0]") && g.contains("return"), "{g}");
}
