//! `Module`: objects that own variables and submodules, and name scopes for variable names.

use crate::variable::Variable;
use std::cell::RefCell;

thread_local! {
    static SCOPES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` inside name scope `name`: variables created there are named `name/...`.
pub fn name_scope<R>(name: &str, f: impl FnOnce() -> R) -> R {
    SCOPES.with(|s| s.borrow_mut().push(name.trim_end_matches('/').to_string()));
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            SCOPES.with(|s| {
                s.borrow_mut().pop();
            });
        }
    }
    let _p = Pop;
    f()
}

/// The current scope prefix joined with `name` (`outer/inner/name`).
pub fn scoped_name(name: &str) -> String {
    SCOPES.with(|s| {
        let s = s.borrow();
        if s.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", s.join("/"))
        }
    })
}

/// An object owning variables and child modules (TensorFlow's `tf.Module`).
///
/// Implementors list what they own directly; the provided methods walk the tree, so there is
/// no global collection of variables.
pub trait Module {
    /// The module's name (used as its name scope).
    fn name(&self) -> &str;

    /// Variables this module owns directly (not those of submodules).
    fn own_variables(&self) -> Vec<Variable>;

    /// Direct child modules.
    fn submodules(&self) -> Vec<&dyn Module> {
        Vec::new()
    }

    /// All variables of this module and its submodules, depth first, each once.
    fn variables(&self) -> Vec<Variable> {
        let mut out: Vec<Variable> = Vec::new();
        collect(self.own_variables(), &mut out);
        for m in self.submodules() {
            collect(m.variables(), &mut out);
        }
        out
    }

    /// The trainable subset of `variables()`.
    fn trainable_variables(&self) -> Vec<Variable> {
        self.variables().into_iter().filter(|v| v.trainable()).collect()
    }
}

fn collect(vars: Vec<Variable>, out: &mut Vec<Variable>) {
    for v in vars {
        if !out.iter().any(|o| o.same(&v)) {
            out.push(v);
        }
    }
}
