//! `:trace NAME` and `:graph NAME`: what the REPL shows about a `tf.function`.

use crate::interp::value::Value;
use crate::tf::{describe_function, FunctionInfo};
use std::fmt::Write;

/// The text `:trace` (`graph == false`: concrete functions and retrace reasons) or `:graph`
/// (`graph == true`: the optimized graph of each concrete function) prints for `value`, bound
/// to `name`.
pub fn function_report(name: &str, value: &Value, graph: bool) -> Result<String, String> {
    let info = describe_function(value).ok_or_else(|| format!("{name} is not a tf.function"))?;
    let mut out = String::new();
    if graph {
        graphs(name, &info, &mut out);
    } else {
        traces(name, &info, &mut out);
    }
    Ok(out.trim_end().to_string())
}

fn traces(name: &str, info: &FunctionInfo, out: &mut String) {
    let plural = if info.tracing_count == 1 { "" } else { "s" };
    let _ = writeln!(out, "{name}: tf.function '{}', traced {} time{plural}", info.name, info.tracing_count);
    for (i, t) in info.traces.iter().enumerate() {
        let why = if t.reasons.is_empty() { "first call".to_string() } else { t.reasons.join("; ") };
        let _ = writeln!(out, "  trace {}: {}  ({why})", i + 1, t.signature);
    }
    if !info.concrete.is_empty() {
        let _ = writeln!(out, "concrete functions:");
    }
    for (i, c) in info.concrete.iter().enumerate() {
        let _ = writeln!(out, "  [{i}] {} nodes traced", c.traced_nodes);
        for line in c.signature.lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
    for w in &info.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    for inst in &info.instances {
        traces(&format!("{name} (instance)"), inst, out);
    }
    if info.tracing_count == 0 && info.instances.is_empty() {
        let _ = writeln!(out, "  not traced yet: call it once to trace");
    }
}

fn graphs(name: &str, info: &FunctionInfo, out: &mut String) {
    if info.concrete.is_empty() && info.instances.is_empty() {
        let _ = writeln!(out, "{name} has not been traced yet: call it once to build its graph");
    }
    for (i, c) in info.concrete.iter().enumerate() {
        let _ = writeln!(out, "# concrete function [{i}]");
        for line in c.signature.lines() {
            let _ = writeln!(out, "# {line}");
        }
        for line in &c.pass_reports {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(out, "{}", c.graph);
    }
    for inst in &info.instances {
        graphs(name, inst, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Interp;

    #[test]
    fn other_values_are_rejected_by_name() {
        assert_eq!(function_report("f", &Value::Int(1), false), Err("f is not a tf.function".to_string()));
        assert_eq!(function_report("g", &Value::None, true), Err("g is not a tf.function".to_string()));
    }

    fn traced_function() -> Value {
        let mut interp = Interp::new();
        let src = "import tensorflow as tf\n@tf.function\ndef f(x):\n    return tf.tanh(x * 2.0 + 1.0)\nf(tf.constant([1.0, 2.0]))\nf(tf.constant([1.0, 2.0, 3.0]))\n";
        assert!(interp.run_file(src, "t.py").is_ok());
        interp.globals().get("f").expect("f is defined")
    }

    #[test]
    fn trace_report_lists_each_trace_with_its_reason() {
        let report = function_report("f", &traced_function(), false).expect("f is a tf.function");
        assert!(report.starts_with("f: tf.function 'f', traced 2 times"), "{report}");
        assert!(report.contains("first call"), "{report}");
        assert!(report.contains("x: shape [2] → [3]"), "{report}");
        assert!(report.contains("[1]"), "{report}");
    }

    #[test]
    fn graph_report_shows_the_optimized_graphs() {
        let report = function_report("f", &traced_function(), true).expect("f is a tf.function");
        assert_eq!(report.matches("# concrete function").count(), 2, "{report}");
        assert!(report.contains("tanh") || report.contains("fused"), "{report}");
    }
}
