//! `tf.print`: a stateful op that formats its tensor inputs into a template and writes the line
//! when it runs (eagerly now, or at every call of a traced function, in program order).
//!
//! Tensors are formatted as TensorFlow's `tf.print` formats them: `[1.5 2 -3.25]`, floats in
//! the shortest of 6/9 (float32) or 15/17 (float64) significant digits that reads back exactly,
//! bools as `1`/`0`, and dimensions longer than `2 * summarize` elided with `...`.

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::ops::{execute, OpDef, Spec};
use crate::tensor::{Storage, Tensor};
use std::cell::RefCell;
use std::io::Write;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&PRINT];

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, collecting what `print` ops write on this thread instead of writing it out
/// (for notebooks, the REPL and tests). Returns `f`'s result and the text.
pub fn capture_prints<R>(f: impl FnOnce() -> R) -> (R, String) {
    struct Restore(Option<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAPTURE.with(|c| *c.borrow_mut() = self.0.take());
        }
    }
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(String::new()));
    let restore = Restore(outer);
    let r = f();
    let text = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    drop(restore);
    (r, text)
}

fn emit(stream: &str, text: &str) {
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some(buf) => {
            buf.push_str(text);
            true
        }
        None => false,
    });
    if captured {
        return;
    }
    // A closed pipe must not fail the computation that printed.
    let _ = match stream {
        "stdout" => std::io::stdout().lock().write_all(text.as_bytes()),
        _ => std::io::stderr().lock().write_all(text.as_bytes()),
    };
}

/// `%.{p}g` as C formats it: scientific below 1e-4 or at/above 10^p, trailing zeros removed.
fn c_general(v: f64, p: usize) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let sci = format!("{:.*e}", p.saturating_sub(1), v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= p as i32 {
        format!("{}e{}{:02}", trim(mant), if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim(&format!("{v:.decimals$}"))
    }
}

fn float_text(v: f64, short: usize, long: usize, exact: impl Fn(&str) -> bool) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = c_general(v, short);
    if exact(&s) {
        s
    } else {
        c_general(v, long)
    }
}

fn element(s: &Storage, i: usize) -> String {
    match s {
        Storage::F32(v) => float_text(v[i] as f64, 6, 9, |t| t.parse::<f32>().is_ok_and(|p| p == v[i])),
        Storage::F64(v) => float_text(v[i], 15, 17, |t| t.parse::<f64>().is_ok_and(|p| p == v[i])),
        Storage::I32(v) => v[i].to_string(),
        Storage::I64(v) => v[i].to_string(),
        Storage::Bool(v) => (v[i] as u8).to_string(),
    }
}

/// Formats `t` as `tf.print` does; `summarize` elements are kept at each end of every
/// dimension longer than twice that (negative: no elision).
pub fn format_tensor(t: &Tensor, summarize: i64) -> Result<String> {
    t.expect_eager("print")?;
    let shape = t.shape();
    if shape.is_empty() {
        return Ok(element(t.storage(), 0));
    }
    if t.size() == 0 {
        return Ok("[]".into());
    }
    let mut out = String::new();
    dims(t.storage(), shape, 0, 0, summarize, &mut out);
    Ok(out)
}

fn dims(s: &Storage, shape: &[usize], d: usize, offset: usize, summarize: i64, out: &mut String) {
    let n = shape[d];
    let stride: usize = shape[d + 1..].iter().product();
    let keep = usize::try_from(summarize).ok().filter(|&k| n > 2 * k);
    let sep = if d + 1 == shape.len() {
        " ".to_string()
    } else {
        format!("{}{}", "\n".repeat(shape.len() - d - 1), " ".repeat(d + 1))
    };
    out.push('[');
    let mut first = true;
    let mut item = |i: usize, out: &mut String| {
        if !std::mem::replace(&mut first, false) {
            out.push_str(&sep);
        }
        if d + 1 == shape.len() {
            out.push_str(&element(s, offset + i));
        } else {
            dims(s, shape, d + 1, offset + i * stride, summarize, out);
        }
    };
    match keep {
        Some(k) => {
            (0..k).for_each(|i| item(i, out));
            out.push_str(&sep);
            out.push_str("...");
            (n - k..n).for_each(|i| item(i, out));
        }
        None => (0..n).for_each(|i| item(i, out)),
    }
    out.push(']');
}

/// Fills `template`'s `{}` placeholders with the formatted tensors.
fn render(template: &str, tensors: &[Tensor], summarize: i64) -> Result<String> {
    let parts: Vec<&str> = template.split("{}").collect();
    if parts.len() != tensors.len() + 1 {
        return Err(Error::invalid(
            "print",
            format!(
                "the template has {} placeholders `{{}}` but {} tensors were given",
                parts.len() - 1,
                tensors.len()
            ),
        ));
    }
    let mut s = String::from(parts[0]);
    for (t, p) in tensors.iter().zip(&parts[1..]) {
        s.push_str(&format_tensor(t, summarize)?);
        s.push_str(p);
    }
    Ok(s)
}

fn check_stream(a: &Attrs) -> Result<&str> {
    match a.str("print", "output_stream")? {
        s @ ("stdout" | "stderr") => Ok(s),
        other => Err(Error::invalid("print", format!("output_stream must be \"stdout\" or \"stderr\", got {other:?}"))),
    }
}

/// Registry entry of `print` (TensorFlow's `PrintV2` of a `StringFormat`): no outputs.
pub static PRINT: OpDef = OpDef {
    name: "print",
    infer: |s, a| {
        let template = a.str("print", "template")?;
        let holes = template.matches("{}").count();
        if holes != s.len() {
            return Err(Error::invalid(
                "print",
                format!("the template has {holes} placeholders `{{}}` but {} tensors were given", s.len()),
            ));
        }
        a.int("print", "summarize")?;
        a.str("print", "end")?;
        check_stream(a)?;
        Ok(Vec::<Spec>::new())
    },
    kernel: |i, a, _| {
        let mut text = render(a.str("print", "template")?, i, a.int("print", "summarize")?)?;
        text.push_str(a.str("print", "end")?);
        emit(check_stream(a)?, &text);
        Ok(Vec::new())
    },
    grad: None,
    stateful: true,
    inplace: None,
};

/// Options of [`print`] (`tf.print(..., summarize=3, end="\n", output_stream=sys.stderr)`).
#[derive(Clone, Debug)]
pub struct PrintOptions {
    /// Elements kept at each end of long dimensions (negative: all).
    pub summarize: i64,
    /// Appended after the line.
    pub end: String,
    /// `"stderr"` (TensorFlow's default) or `"stdout"`.
    pub output_stream: String,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions { summarize: 3, end: "\n".into(), output_stream: "stderr".into() }
    }
}

/// `tf.print`: writes `template` with each `{}` replaced by the next tensor, when it runs.
pub fn print(template: &str, tensors: &[Tensor], options: &PrintOptions) -> Result<()> {
    let attrs = Attrs::new()
        .with("template", Attr::Str(template.to_string()))
        .with("summarize", Attr::Int(options.summarize))
        .with("end", Attr::Str(options.end.clone()))
        .with("output_stream", Attr::Str(options.output_stream.clone()));
    execute(&PRINT, tensors, attrs).map(|_| ())
}
