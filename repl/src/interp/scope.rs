//! Scopes and the per-function pre-pass that decides which names are local (Python decides
//! at compile time: a name assigned anywhere in a function body is local to the whole body).

use super::value::{Str, Value};
use crate::ast::{Expr, ExprKind, Params, Stmt, StmtKind};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// A small multiplicative hasher: names are short and not attacker-chosen, so SipHash's
/// cost buys nothing on the hot path of variable lookup.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(SEED);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(SEED);
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(SEED);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash map with the fast hasher.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// What kind of code a scope belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ScopeKind {
    /// The module (globals).
    Module,
    /// A function call (or a comprehension).
    Function,
    /// A class body: invisible to the functions defined in it.
    Class,
}

/// One namespace.
pub struct Scope {
    /// The bindings.
    pub vars: RefCell<FastMap<Str, Value>>,
    /// The enclosing function scope (for closures); `None` at module level.
    pub parent: Option<Rc<Scope>>,
    /// The function's scope analysis, when this is a function scope.
    pub info: Option<Rc<FuncInfo>>,
    /// The kind.
    pub kind: ScopeKind,
}

impl Scope {
    /// A new scope.
    pub fn new(kind: ScopeKind, parent: Option<Rc<Scope>>, info: Option<Rc<FuncInfo>>) -> Rc<Scope> {
        Rc::new(Scope { vars: RefCell::new(FastMap::default()), parent, info, kind })
    }

    /// The binding of `name` in this scope only.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.vars.borrow().get(name).cloned()
    }

    /// Binds `name` here.
    pub fn set(&self, name: &str, v: Value) {
        let mut vars = self.vars.borrow_mut();
        if let Some(slot) = vars.get_mut(name) {
            *slot = v;
        } else {
            vars.insert(name.into(), v);
        }
    }
}

/// The result of the pre-pass over a function body.
#[derive(Default, Debug)]
pub struct FuncInfo {
    /// Names bound in the body (parameters included), minus global/nonlocal ones.
    pub locals: HashSet<String>,
    /// Names declared `global`.
    pub globals: HashSet<String>,
    /// Names declared `nonlocal`.
    pub nonlocals: HashSet<String>,
}

impl FuncInfo {
    /// Analyses a function's parameters and body.
    pub fn analyse(params: &Params, body: &[Stmt]) -> FuncInfo {
        let mut info = FuncInfo::default();
        for p in params.args.iter().chain(&params.kwonly).chain(&params.vararg).chain(&params.kwarg) {
            info.locals.insert(p.name.name.clone());
        }
        for s in body {
            info.stmt(s);
        }
        for g in info.globals.iter().chain(&info.nonlocals) {
            info.locals.remove(g);
        }
        info
    }

    /// Analyses a lambda (its parameters, and walrus-free bodies bind nothing else).
    pub fn lambda(params: &Params) -> FuncInfo {
        FuncInfo::analyse(params, &[])
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Assign { targets, value } => {
                for t in targets {
                    self.target(t);
                }
                self.expr(value);
            }
            StmtKind::AugAssign { target, value, .. } => {
                self.target(target);
                self.expr(value);
            }
            StmtKind::AnnAssign { target, value, .. } => {
                if value.is_some() {
                    self.target(target);
                }
            }
            StmtKind::FunctionDef(f) => {
                self.locals.insert(f.name.name.clone());
            }
            StmtKind::ClassDef(c) => {
                self.locals.insert(c.name.name.clone());
            }
            StmtKind::If { body, orelse, .. } | StmtKind::While { body, orelse, .. } => {
                self.block(body);
                self.block(orelse);
            }
            StmtKind::For { target, body, orelse, .. } => {
                self.target(target);
                self.block(body);
                self.block(orelse);
            }
            StmtKind::With { items, body } => {
                for it in items {
                    if let Some(t) = &it.target {
                        self.target(t);
                    }
                }
                self.block(body);
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                self.block(body);
                for h in handlers {
                    if let Some(n) = &h.name {
                        self.locals.insert(n.name.clone());
                    }
                    self.block(&h.body);
                }
                self.block(orelse);
                self.block(finalbody);
            }
            StmtKind::Delete(ts) => {
                for t in ts {
                    self.target(t);
                }
            }
            StmtKind::Global(ns) => {
                for n in ns {
                    self.globals.insert(n.name.clone());
                }
            }
            StmtKind::Nonlocal(ns) => {
                for n in ns {
                    self.nonlocals.insert(n.name.clone());
                }
            }
            StmtKind::Import(aliases) => {
                for a in aliases {
                    let name = match &a.asname {
                        Some(n) => n.name.clone(),
                        None => a.name.name.split('.').next().unwrap_or("").to_string(),
                    };
                    self.locals.insert(name);
                }
            }
            StmtKind::ImportFrom { names, .. } => {
                for a in names {
                    self.locals.insert(a.asname.as_ref().unwrap_or(&a.name).name.clone());
                }
            }
            StmtKind::Expr(_)
            | StmtKind::Return(_)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Pass
            | StmtKind::Raise { .. }
            | StmtKind::Assert { .. } => {}
        }
    }

    fn block(&mut self, b: &[Stmt]) {
        for s in b {
            self.stmt(s);
        }
    }

    fn target(&mut self, t: &Expr) {
        match &t.kind {
            ExprKind::Name(n) => {
                self.locals.insert(n.clone());
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for i in items {
                    self.target(i);
                }
            }
            ExprKind::Starred(inner) => self.target(inner),
            _ => {}
        }
    }

    // Assignment expressions are not in the subset, so only statements bind names; this
    // stays as the hook where `:=` would be handled.
    fn expr(&mut self, _e: &Expr) {}
}
