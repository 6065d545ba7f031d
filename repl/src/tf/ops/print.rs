//! `tf.print(*inputs, output_stream=sys.stderr, summarize=3, sep=' ', end='\n', name=None)`
//! through the engine's stateful `print` op, so it prints at every call of a traced function.
//! Python values around the tensors are formatted here into the op's template.

use super::args::{int_of, r};
use super::Entry;
use crate::interp::builtins::stream_name;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Value};
use crate::interp::Interp;
use crate::tf::to_tensor;
use std::io::Write;
use tensile::ops::io::{capture_prints, print as print_op, PrintOptions};
use tensile::Tensor;

/// Appends `v` to the template: tensors become `{}` placeholders, containers are walked,
/// other values print as `str()` at the top level and `repr()` inside containers.
fn render(it: &mut Interp, v: &Value, top: bool, out: &mut String, tensors: &mut Vec<Tensor>) -> PyResult<()> {
    let seq = |it: &mut Interp, items: &[Value], open: &str, close: &str, out: &mut String, ts: &mut Vec<Tensor>| {
        out.push_str(open);
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            render(it, x, false, out, ts)?;
        }
        if open == "(" && items.len() == 1 {
            out.push(',');
        }
        out.push_str(close);
        Ok::<(), crate::interp::exceptions::Ctrl>(())
    };
    match v {
        Value::Tensor(_) | Value::Variable(_) => {
            out.push_str("{}");
            tensors.push(to_tensor(v, None)?);
        }
        Value::List(l) => {
            let items = l.borrow().clone();
            seq(it, &items, "[", "]", out, tensors)?;
        }
        Value::Tuple(t) => seq(it, t, "(", ")", out, tensors)?,
        Value::Dict(d) => {
            let pairs: Vec<(Value, Value)> = d.borrow().values().cloned().collect();
            out.push('{');
            for (i, (k, x)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(it, k, false, out, tensors)?;
                out.push_str(": ");
                render(it, x, false, out, tensors)?;
            }
            out.push('}');
        }
        other => {
            let text = if top { it.str_of(other)? } else { it.repr_of(other)? };
            if text.contains("{}") {
                return Err(raise("ValueError", "tf.print: a printed string may not contain the placeholder '{}'"));
            }
            out.push_str(&text);
        }
    }
    Ok(())
}

fn tf_print(it: &mut Interp, _: Option<&Value>, a: Args) -> PyResult<Value> {
    a.check("print", usize::MAX, &["output_stream", "summarize", "sep", "end", "name"])?;
    let text = |name: &str, default: &str| match a.kwarg(name) {
        None => Ok(default.to_string()),
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(v) => Err(raise("TypeError", format!("print: {name} must be a string, got {}", v.type_name()))),
    };
    let sep = text("sep", " ")?;
    let end = text("end", "\n")?;
    let summarize = match a.kwarg("summarize") {
        None => 3,
        Some(Value::None) => -1,
        Some(v) => int_of("print", "summarize", &v)?,
    };
    let stream = match a.kwarg("output_stream") {
        None => "stderr",
        Some(v) if stream_name(&v).is_some() => stream_name(&v).unwrap_or("stderr"),
        Some(v) => {
            return Err(raise(
                "ValueError",
                format!("print: output_stream must be sys.stdout or sys.stderr, got {}", it.repr_of(&v)?),
            ))
        }
    };
    let mut template = String::new();
    let mut tensors = Vec::new();
    for (i, v) in a.pos.iter().enumerate() {
        if i > 0 {
            template.push_str(&sep);
        }
        render(it, v, true, &mut template, &mut tensors)?;
    }
    let options = PrintOptions { summarize, end, output_stream: stream.to_string() };
    if tensile::function::trace::is_tracing() {
        r(print_op(&template, &tensors, &options))?;
        return Ok(Value::None);
    }
    // Eager: write through the interpreter's own streams, so output keeps its order with `print`.
    let (res, text) = capture_prints(|| print_op(&template, &tensors, &options));
    r(res)?;
    if stream == "stdout" {
        let _ = it.out.write_all(text.as_bytes());
    } else {
        it.flush();
        eprint!("{text}");
    }
    Ok(Value::None)
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![(&["print"], tf_print)]
}
