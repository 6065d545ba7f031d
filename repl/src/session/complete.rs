//! Tab completion: names in scope, attributes after a dot, and `:` commands.
//!
//! Completion never runs user code: a dotted chain is resolved by plain table lookups
//! (module members, instance and class dictionaries, the engine's attribute tables), never
//! by calls, properties or `__getattr__`.

use crate::interp::methods::method_names;
use crate::interp::value::{Descriptor, Value};
use crate::interp::Interp;
use std::collections::BTreeSet;

/// Python's keywords, offered when completing a bare name.
pub const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// The REPL commands, offered after a leading `:`.
pub const COMMANDS: &[&str] = &[":help", ":vars", ":time", ":trace", ":graph", ":reset", ":quit", ":q"];

/// Attribute names the engine's tensors, variables, arrays and dtypes may have; each one is
/// checked against the value before it is offered, so the list may be generous.
const ENGINE_ATTRS: &[&str] = &[
    "T",
    "assign",
    "assign_add",
    "assign_sub",
    "astype",
    "device",
    "dtype",
    "flatten",
    "get_shape",
    "is_floating",
    "is_integer",
    "item",
    "max",
    "mean",
    "min",
    "name",
    "ndim",
    "numpy",
    "read_value",
    "reshape",
    "shape",
    "size",
    "sum",
    "tolist",
    "trainable",
    "transpose",
    "value",
];

/// What indentation Tab inserts at the start of a line.
const INDENT: &str = "    ";

/// One completion: the name shown in the list and the text that replaces the word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The name, as listed.
    pub display: String,
    /// The inserted text (a callable gets `(`, most keywords a space).
    pub replacement: String,
}

impl Candidate {
    fn plain(name: &str) -> Candidate {
        Candidate { display: name.to_string(), replacement: name.to_string() }
    }
}

/// Completes the word that ends at byte `pos` of `line`: where the replaced text starts,
/// and the candidates in sorted order.
pub fn complete(interp: &mut Interp, line: &str, pos: usize) -> (usize, Vec<Candidate>) {
    let pos = floor_char_boundary(line, pos);
    let before = &line[..pos];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let current = &before[line_start..];
    if current.trim().is_empty() {
        // Like Python's REPL: Tab at the start of a line indents.
        return (pos, vec![Candidate { display: String::new(), replacement: INDENT.to_string() }]);
    }
    if line_start == 0 && current.starts_with(':') && !current.contains(char::is_whitespace) {
        let found = COMMANDS.iter().filter(|c| c.starts_with(current)).map(|c| Candidate::plain(c)).collect();
        return (0, found);
    }
    let start = word_start(before);
    let word = &before[start..];
    if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
        return (pos, Vec::new());
    }
    // A chain after `)`, `]` or a string literal would need evaluation: offer nothing.
    if word.starts_with('.') {
        return (pos, Vec::new());
    }
    match word.rsplit_once('.') {
        None => (start, name_candidates(interp, word)),
        Some((chain, prefix)) => {
            let attr_start = pos - prefix.len();
            let path: Vec<&str> = chain.split('.').collect();
            if path.iter().any(|p| !is_identifier(p)) {
                return (pos, Vec::new());
            }
            match resolve(interp, &path) {
                Some(target) => (attr_start, attribute_candidates(interp, &target, prefix)),
                None => (pos, Vec::new()),
            }
        }
    }
}

fn floor_char_boundary(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Start of the dotted name chain ending at the end of `before`.
fn word_start(before: &str) -> usize {
    before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Hides `_private` names unless the prefix asks for them, as Python's completer does.
fn visible(name: &str, prefix: &str) -> bool {
    name.starts_with(prefix) && (prefix.starts_with('_') || !name.starts_with('_'))
}

fn is_callable(v: &Value) -> bool {
    matches!(v, Value::Function(_) | Value::Builtin(_) | Value::Method(_) | Value::Class(_) | Value::Type(_))
}

fn with_call_paren(name: &str, v: Option<&Value>) -> Candidate {
    let replacement = if v.is_some_and(is_callable) { format!("{name}(") } else { name.to_string() };
    Candidate { display: name.to_string(), replacement }
}

/// Keywords, globals and built-ins starting with `prefix`.
fn name_candidates(interp: &mut Interp, prefix: &str) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut seen = BTreeSet::new();
    for k in KEYWORDS.iter().filter(|k| k.starts_with(prefix)) {
        seen.insert(k.to_string());
        let replacement = match *k {
            "finally" | "try" => format!("{k}:"),
            "False" | "None" | "True" | "break" | "continue" | "pass" | "else" => k.to_string(),
            _ => format!("{k} "),
        };
        out.push(Candidate { display: k.to_string(), replacement });
    }
    let mut names: Vec<String> = interp.globals().vars.borrow().keys().map(|k| k.to_string()).collect();
    names.extend(interp.builtin_names().iter().map(|k| k.to_string()));
    for name in names {
        if visible(&name, prefix) && seen.insert(name.clone()) {
            let v = interp.global_or_builtin(&name);
            out.push(with_call_paren(&name, v.as_ref()));
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

/// The value a dotted chain of names denotes, found without running user code; `None` when
/// a link is missing or would need a call (a property, `__getattr__`).
pub fn resolve(interp: &mut Interp, path: &[&str]) -> Option<Value> {
    let (first, rest) = path.split_first()?;
    let mut v = interp.global_or_builtin(first)?;
    for name in rest {
        v = attribute(interp, &v, name)?;
    }
    Some(v)
}

/// `v.name` by plain lookup.
fn attribute(interp: &mut Interp, v: &Value, name: &str) -> Option<Value> {
    match v {
        Value::Module(m) => m.attrs.borrow().get(name).cloned(),
        Value::Instance(i) => {
            if let Some(x) = i.dict.borrow().get(name) {
                return Some(x.clone());
            }
            match i.class.lookup(name)? {
                Value::Descriptor(d) => match d.0 {
                    Descriptor::Static => Some(d.1.clone()),
                    Descriptor::ClassMethod => {
                        Some(Value::Method(std::rc::Rc::new((Value::Class(i.class.clone()), d.1.clone()))))
                    }
                    Descriptor::Property => None,
                },
                f @ Value::Function(_) => Some(Value::Method(std::rc::Rc::new((v.clone(), f)))),
                other => Some(other),
            }
        }
        Value::Class(c) => match c.lookup(name)? {
            Value::Descriptor(d) if d.0 == Descriptor::Property => None,
            Value::Descriptor(d) => Some(d.1.clone()),
            other => Some(other),
        },
        Value::Native(n) => match n.get_attr(v, name)? {
            Value::Descriptor(_) => None,
            other => Some(other),
        },
        // The engine's attribute tables are Rust code: no user code runs.
        Value::Tensor(_) | Value::Variable(_) | Value::Array(_) | Value::DType(_) => interp.get_attr(v, name).ok(),
        _ => crate::interp::methods::builtin_method(v, name),
    }
}

/// Every attribute name `v` is known to have, sorted.
pub fn attribute_names(interp: &mut Interp, v: &Value) -> Vec<String> {
    let mut names = BTreeSet::new();
    match v {
        Value::Module(m) => names.extend(m.attrs.borrow().keys().map(|k| k.to_string())),
        Value::Instance(i) => {
            names.extend(i.dict.borrow().keys().map(|k| k.to_string()));
            let mut class = Some(i.class.clone());
            while let Some(c) = class {
                names.extend(c.dict.borrow().keys().map(|k| k.to_string()));
                class = c.base.clone();
            }
        }
        Value::Class(c) => {
            let mut class = Some(c.clone());
            while let Some(c) = class {
                names.extend(c.dict.borrow().keys().map(|k| k.to_string()));
                class = c.base.clone();
            }
            names.insert("__name__".to_string());
        }
        Value::Tensor(_) | Value::Variable(_) | Value::Array(_) | Value::DType(_) => {
            for a in ENGINE_ATTRS {
                if interp.get_attr(v, a).is_ok() {
                    names.insert(a.to_string());
                }
            }
        }
        Value::Function(_) | Value::Type(_) => {
            names.insert("__name__".to_string());
        }
        _ => names.extend(method_names(v).iter().map(|n| n.to_string())),
    }
    names.into_iter().collect()
}

fn attribute_candidates(interp: &mut Interp, target: &Value, prefix: &str) -> Vec<Candidate> {
    let names = attribute_names(interp, target);
    names
        .iter()
        .filter(|n| visible(n, prefix))
        .map(|n| {
            let v = attribute(interp, target, n);
            with_call_paren(n, v.as_ref())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(interp: &mut Interp, code: &str) {
        if interp.run_interactive(code).is_err() {
            panic!("setup code failed: {code}");
        }
    }

    fn shown(interp: &mut Interp, line: &str) -> (usize, Vec<String>) {
        let (start, found) = complete(interp, line, line.len());
        (start, found.into_iter().map(|c| c.replacement).collect())
    }

    #[test]
    fn names_keywords_and_builtins() {
        let mut interp = Interp::new();
        run(&mut interp, "learning_rate = 0.1\ndef learn(x):\n    return x\n");
        assert_eq!(shown(&mut interp, "y = lea"), (4, vec!["learn(".to_string(), "learning_rate".to_string()]));
        assert_eq!(shown(&mut interp, "pri").1, vec!["print("]);
        assert_eq!(shown(&mut interp, "whi").1, vec!["while "]);
        assert_eq!(shown(&mut interp, "Tr").1, vec!["True"]);
        assert_eq!(shown(&mut interp, "tr").1, vec!["try:"]);
        assert!(shown(&mut interp, "zzz").1.is_empty());
    }

    #[test]
    fn attributes_of_modules_instances_and_builtin_types() {
        let mut interp = Interp::new();
        run(
            &mut interp,
            "import tensorflow as tf\nclass P:\n    scale = 2\n    def area(self):\n        return 1\np = P()\np.width = 3\nitems = [1]\n",
        );
        let (start, found) = shown(&mut interp, "tf.reduce_me");
        assert_eq!((start, found), (3, vec!["reduce_mean(".to_string()]));
        assert_eq!(shown(&mut interp, "p.").1, vec!["area(", "scale", "width"]);
        assert_eq!(shown(&mut interp, "items.app").1, vec!["append("]);
        assert_eq!(shown(&mut interp, "tf.errors.InvalidArg").1, vec!["InvalidArgumentError("]);
        assert!(shown(&mut interp, "nothing.").1.is_empty());
    }

    #[test]
    fn tensor_attributes_are_checked_against_the_value() {
        let mut interp = Interp::new();
        run(&mut interp, "import tensorflow as tf\nx = tf.constant([1.0, 2.0])\nv = tf.Variable(1.0)\n");
        let x = shown(&mut interp, "x.").1;
        assert!(x.contains(&"shape".to_string()) && x.contains(&"numpy(".to_string()), "{x:?}");
        assert!(!x.contains(&"assign(".to_string()), "{x:?}");
        assert!(shown(&mut interp, "v.assign").1.contains(&"assign_add(".to_string()));
        assert_eq!(shown(&mut interp, "x.dtype.is_f").1, vec!["is_floating"]);
    }

    #[test]
    fn completion_runs_no_user_code() {
        let mut interp = Interp::new();
        run(
            &mut interp,
            "calls = []\nclass Sneaky:\n    @property\n    def p(self):\n        calls.append(1)\n        return self\n    def __getattr__(self, n):\n        calls.append(2)\n        return self\ns = Sneaky()\n",
        );
        assert!(shown(&mut interp, "s.p.").1.is_empty());
        assert!(shown(&mut interp, "s.missing.").1.is_empty());
        assert!(shown(&mut interp, "f(s).").1.is_empty());
        assert_eq!(interp.run_interactive("len(calls)").ok().flatten().map(|v| matches!(v, Value::Int(0))), Some(true));
    }

    #[test]
    fn tab_indents_at_line_start_and_commands_complete() {
        let mut interp = Interp::new();
        assert_eq!(shown(&mut interp, ""), (0, vec![INDENT.to_string()]));
        assert_eq!(shown(&mut interp, "if x:\n    "), (10, vec![INDENT.to_string()]));
        assert_eq!(shown(&mut interp, ":va"), (0, vec![":vars".to_string()]));
        assert!(shown(&mut interp, "x = 1.5").1.is_empty());
    }
}
