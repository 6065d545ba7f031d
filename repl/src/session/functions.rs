//! `:trace NAME` and `:graph NAME`: what the REPL shows about a `tf.function`.

use crate::interp::value::Value;

/// The text `:trace` (`graph == false`: concrete functions and retrace reasons) or `:graph`
/// (`graph == true`: the traced graph) prints for `value`, bound to `name`.
///
/// This is the one place the REPL asks about `tf.function` objects; the language has none
/// yet, so every value is reported as not being one.
pub fn function_report(name: &str, value: &Value, graph: bool) -> Result<String, String> {
    let _ = (value, graph);
    Err(format!("{name} is not a tf.function"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_values_are_rejected_by_name() {
        assert_eq!(function_report("f", &Value::Int(1), false), Err("f is not a tf.function".to_string()));
        assert_eq!(function_report("g", &Value::None, true), Err("g is not a tf.function".to_string()));
    }
}
