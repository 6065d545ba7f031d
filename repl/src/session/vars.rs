//! `:vars`: the session's variables as an aligned table.

use crate::interp::value::Value;
use crate::interp::Interp;

fn shape_text(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

fn is_dunder(name: &str) -> bool {
    name.starts_with("__") && name.ends_with("__")
}

/// Shape and element type of tensors, variables and arrays; empty for other values.
fn shape_and_dtype(v: &Value) -> (String, String) {
    match v {
        Value::Tensor(t) | Value::Array(t) => (shape_text(t.shape()), t.dtype().name().to_string()),
        Value::Variable(var) => (shape_text(var.shape()), var.dtype().name().to_string()),
        _ => (String::new(), String::new()),
    }
}

/// The table of global variables (not modules, built-in functions or `__dunder__` names),
/// sorted by name.
pub fn table(interp: &Interp) -> String {
    let mut rows: Vec<[String; 4]> = interp
        .globals()
        .vars
        .borrow()
        .iter()
        .filter(|(name, v)| !(is_dunder(name) || matches!(v, Value::Module(_) | Value::Builtin(_))))
        .map(|(name, v)| {
            let (shape, dtype) = shape_and_dtype(v);
            [name.to_string(), v.type_name(), shape, dtype]
        })
        .collect();
    if rows.is_empty() {
        return "No variables defined.\n".to_string();
    }
    rows.sort();
    let header = ["Name", "Type", "Shape", "DType"].map(String::from);
    let mut widths = [0; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 4]| {
        let text: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", text.join("  ").trim_end())
    };
    let mut out = line(&header);
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_variables_and_plain_values_in_aligned_columns() {
        let mut interp = Interp::new();
        let code = "import tensorflow as tf\nx = tf.constant([[1.0, 2.0]])\nw = tf.Variable([1, 2, 3])\nn = 3\ndef f():\n    pass\np = print\n";
        assert!(interp.run_interactive(code).is_ok());
        assert_eq!(
            table(&interp),
            "Name  Type              Shape   DType\n\
             ----  ----------------  ------  -------\n\
             f     function\n\
             n     int\n\
             w     ResourceVariable  (3,)    int32\n\
             x     EagerTensor       (1, 2)  float32\n"
        );
    }

    #[test]
    fn empty_session() {
        assert_eq!(table(&Interp::new()), "No variables defined.\n");
    }
}
