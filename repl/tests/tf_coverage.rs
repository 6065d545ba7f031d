//! Every function bound in the `tf` module tables (`tf.reduce_sum`, `tf.math.reduce_sum`,
//! `tf.random.Generator`, ...) must be used by at least one corpus script in `tests/lang` or example in `scripts/`,
//! so nothing is bound without a test comparing it with TensorFlow.

use std::path::Path;
use tensile_repl::interp::value::{NativeModule, Value};
use tensile_repl::Interp;

/// Dotted paths of the callables in `m` and its submodules.
fn callables(m: &NativeModule, prefix: &str, out: &mut Vec<String>) {
    let attrs = m.attrs.borrow();
    for (name, v) in attrs.iter() {
        let path = format!("{prefix}{name}");
        match v {
            Value::Module(sub) if sub.name.starts_with("tensorflow.") && !sub.name.ends_with(".errors") => {
                callables(sub, &format!("{path}."), out)
            }
            Value::Builtin(_) | Value::Native(_) => out.push(path),
            Value::Class(c) if &*c.name == "TensorShape" => out.push(path),
            _ => {}
        }
    }
}

/// True when `text` uses `tf.<path>` as a whole name (not as the prefix of a longer one).
fn uses(text: &str, path: &str) -> bool {
    let needle = format!("tf.{path}");
    text.match_indices(&needle).any(|(i, _)| {
        let before_ok = i == 0 || !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.');
        let after = text[i + needle.len()..].chars().next();
        before_ok && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn every_bound_tf_name_is_used_by_a_corpus_script() {
    let mut interp = Interp::new();
    let tf = tensile_repl::tf::build(&mut interp);
    let mut names = Vec::new();
    callables(&tf, "", &mut names);
    names.sort();
    assert!(names.len() > 100, "only {} names bound", names.len());
    // The example scripts are checked against TensorFlow too (tests/lang.rs, tests/summary.rs).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus: String = [root.join("tests/lang"), root.join("../scripts")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).expect("the script directory exists"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let missing: Vec<&String> = names.iter().filter(|n| !uses(&corpus, n)).collect();
    assert!(missing.is_empty(), "bound in tf but used by no script in tests/lang or scripts/: {missing:?}");
}

#[test]
fn the_matcher_needs_whole_names() {
    assert!(uses("y = tf.math.exp(x)", "math.exp"));
    assert!(!uses("y = tf.math.expm1(x)", "math.exp"));
    assert!(!uses("y = tf.math.exp(x)", "exp"));
    assert!(uses("print(tf.exp(x))", "exp"));
}
