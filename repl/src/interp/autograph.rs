//! AutoGraph: while a function is traced, `if`, `while` and `for` statements whose condition or
//! iterable is a symbolic tensor become the engine's `cond` and `while_loop`.
//!
//! The statement's blocks run inside the engine's branch and body closures, with the names they
//! assign as the construct's outputs or loop variables, as TensorFlow's AutoGraph does:
//! - an `if` outputs the names assigned in either branch that are live afterwards; a name
//!   assigned in one branch only must have existed before (the other branch keeps its value);
//! - a loop carries the names assigned in its body that are live at the loop's head or after
//!   it; they must be defined before the loop and keep their dtype and structure;
//! - `break`, `continue` and `return` become boolean outputs / loop variables: the rest of the
//!   enclosing block (up to the end of the loop body, branch or function) moves into the
//!   branches, so the statements after an exit run only where no exit happened;
//! - a Python loop (unrolled at trace time) guards the rest of its body the same way after a
//!   `continue` under a tensor condition; a `break` or `return` under one makes whether the loop
//!   goes on a tensor, which TensorFlow refuses (NotImplementedError), and so do we;
//! - `a if pred else b` on a symbolic `pred` becomes a `cond` of the two expressions.
//!
//! Liveness comes from a backward data-flow pass over the enclosing function's body
//! ([`Liveness`]), computed once per function.

use super::exceptions::{raise, Ctrl, PyResult};
use super::value::{Args, Body, BuiltinType, Code, Value};
use super::Interp;
use crate::ast::{Arg, Expr, ExprKind, Span, Stmt, StmtKind};
use crate::tf::control::{normalize, to_structure, PyNest, Shared};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use tensile::control_flow::{self as cf, WhileOptions};
use tensile::function::trace::{self, TraceOptions};
use tensile::ops::{array, indexing, math};
use tensile::{DType, Tensor};

/// A set of variable names.
pub type Names = BTreeSet<String>;

/// True for a symbolic tensor: a condition or iterable AutoGraph converts.
pub fn is_symbolic(v: &Value) -> bool {
    matches!(v, Value::Tensor(t) if t.is_symbolic())
}

/// The `if`/`while` hook for conditions: while tracing, `and`, `or` and `not` on symbolic
/// tensors become `logical_and`/`logical_or`/`logical_not` (on Python values they keep
/// Python's short-circuit semantics); any other expression evaluates as usual.
pub fn eval_condition(it: &mut Interp, e: &Expr) -> PyResult<Value> {
    if !trace::is_tracing() {
        return it.eval(e);
    }
    match &e.kind {
        ExprKind::BoolOp { op, values } if !values.is_empty() => {
            let mut acc = eval_condition(it, &values[0])?;
            for v in &values[1..] {
                if is_symbolic(&acc) {
                    let rhs = eval_condition(it, v)?;
                    let a = bool_scalar(&acc, "and/or")?;
                    let b = as_bool_tensor(it, &rhs)?;
                    acc = Value::Tensor(engine(match op {
                        crate::ast::BoolOp::And => math::logical_and(&a, &b),
                        crate::ast::BoolOp::Or => math::logical_or(&a, &b),
                    })?);
                    continue;
                }
                let t = it.truthy(&acc)?;
                let done = match op {
                    crate::ast::BoolOp::And => !t,
                    crate::ast::BoolOp::Or => t,
                };
                if done {
                    return Ok(acc);
                }
                acc = eval_condition(it, v)?;
            }
            Ok(acc)
        }
        ExprKind::UnaryOp { op: crate::ast::UnaryOp::Not, operand } => {
            let v = eval_condition(it, operand)?;
            if is_symbolic(&v) {
                return Ok(Value::Tensor(engine(math::logical_not(&bool_scalar(&v, "not")?))?));
            }
            Ok(Value::Bool(!it.truthy(&v)?))
        }
        _ => it.eval(e),
    }
}

fn as_bool_tensor(it: &mut Interp, v: &Value) -> PyResult<Tensor> {
    if is_symbolic(v) {
        return bool_scalar(v, "and/or");
    }
    Ok(Tensor::from(it.truthy(v)?))
}

/// What a `for` statement iterates, as the [`for_iterable`] hook sees it.
pub enum Iterable {
    /// A value the interpreter iterates itself.
    Python(Value),
    /// `range`/`tf.range` with a symbolic bound, or `tf.range` while tracing: start, limit,
    /// delta and the requested dtype.
    Range(Value, Value, Value, Option<DType>),
    /// A symbolic tensor, iterated along its first axis.
    Tensor(Tensor),
}

// ----- liveness -----

/// Per compound statement (by span) the names live after it, and per loop the names live at
/// its head.
#[derive(Default)]
pub struct Liveness {
    out: HashMap<(usize, usize), Names>,
    head: HashMap<(usize, usize), Names>,
    brk: Vec<Names>,
    cont: Vec<Names>,
}

fn key(s: Span) -> (usize, usize) {
    (s.start, s.end)
}

impl Liveness {
    /// Analyses a function body.
    pub fn of(body: &[Stmt]) -> Liveness {
        let mut l = Liveness::default();
        l.block(body, Names::new());
        l
    }

    /// Names live after the statement at `span` (`None` when it is not a compound statement
    /// of this body).
    pub fn live_out(&self, span: Span) -> Option<&Names> {
        self.out.get(&key(span))
    }

    /// Names live at the head of the loop at `span`.
    pub fn live_head(&self, span: Span) -> Option<&Names> {
        self.head.get(&key(span))
    }

    fn record(map: &mut HashMap<(usize, usize), Names>, span: Span, names: &Names) {
        map.entry(key(span)).or_default().extend(names.iter().cloned());
    }

    fn block(&mut self, stmts: &[Stmt], out: Names) -> Names {
        let mut live = out;
        for s in stmts.iter().rev() {
            live = self.stmt(s, live);
        }
        live
    }

    fn stmt(&mut self, s: &Stmt, out: Names) -> Names {
        let mut r = Names::new();
        match &s.kind {
            StmtKind::Expr(e) => {
                reads(e, &mut r);
                r.extend(out);
            }
            StmtKind::Assign { targets, value } => {
                let mut live = out;
                for t in targets {
                    for d in defs(t) {
                        live.remove(&d);
                    }
                    target_reads(t, &mut r);
                }
                reads(value, &mut r);
                r.extend(live);
            }
            StmtKind::AugAssign { target, value, .. } => {
                reads(target, &mut r);
                reads(value, &mut r);
                r.extend(out);
            }
            StmtKind::AnnAssign { target, value, .. } => {
                let mut live = out;
                if let Some(v) = value {
                    for d in defs(target) {
                        live.remove(&d);
                    }
                    reads(v, &mut r);
                }
                target_reads(target, &mut r);
                r.extend(live);
            }
            StmtKind::Return(e) => {
                if let Some(e) = e {
                    reads(e, &mut r);
                }
            }
            StmtKind::If { test, body, orelse } => {
                Self::record(&mut self.out, s.span, &out);
                reads(test, &mut r);
                r.extend(self.block(body, out.clone()));
                r.extend(self.block(orelse, out));
            }
            StmtKind::While { test, body, orelse } => {
                Self::record(&mut self.out, s.span, &out);
                let mut base = self.block(orelse, out.clone());
                reads(test, &mut base);
                let mut head = base.clone();
                for _ in 0..8 {
                    self.brk.push(out.clone());
                    self.cont.push(head.clone());
                    let b = self.block(body, head.clone());
                    self.brk.pop();
                    self.cont.pop();
                    let mut next = base.clone();
                    next.extend(b);
                    if next == head {
                        break;
                    }
                    head = next;
                }
                Self::record(&mut self.head, s.span, &head);
                r = head;
            }
            StmtKind::For { target, iter, body, orelse } => {
                Self::record(&mut self.out, s.span, &out);
                let base = self.block(orelse, out.clone());
                let mut head = base.clone();
                for _ in 0..8 {
                    self.brk.push(out.clone());
                    self.cont.push(head.clone());
                    let mut b = self.block(body, head.clone());
                    self.brk.pop();
                    self.cont.pop();
                    for d in defs(target) {
                        b.remove(&d);
                    }
                    target_reads(target, &mut b);
                    let mut next = base.clone();
                    next.extend(b);
                    if next == head {
                        break;
                    }
                    head = next;
                }
                Self::record(&mut self.head, s.span, &head);
                reads(iter, &mut r);
                r.extend(head);
            }
            StmtKind::Break => r = self.brk.last().cloned().unwrap_or_default(),
            StmtKind::Continue => r = self.cont.last().cloned().unwrap_or_default(),
            StmtKind::With { items, body } => {
                let mut inner = self.block(body, out);
                for it in items {
                    if let Some(t) = &it.target {
                        for d in defs(t) {
                            inner.remove(&d);
                        }
                        target_reads(t, &mut inner);
                    }
                    reads(&it.context, &mut inner);
                }
                r = inner;
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                let fin = self.block(finalbody, out);
                let mut handled = Names::new();
                for h in handlers {
                    handled.extend(self.block(&h.body, fin.clone()));
                    if let Some(t) = &h.typ {
                        reads(t, &mut handled);
                    }
                }
                let mut after_body = self.block(orelse, fin.clone());
                after_body.extend(handled.iter().cloned());
                r = self.block(body, after_body);
                r.extend(handled);
                r.extend(fin_reads(finalbody));
            }
            StmtKind::FunctionDef(_) | StmtKind::ClassDef(_) => {
                // A nested definition may read any name when it runs: keep everything it mentions.
                let mut live = out;
                if let StmtKind::FunctionDef(f) = &s.kind {
                    live.remove(&f.name.name);
                }
                if let StmtKind::ClassDef(c) = &s.kind {
                    live.remove(&c.name.name);
                }
                mentioned_stmt(s, &mut r);
                r.extend(live);
            }
            StmtKind::Raise { exc, cause } => {
                for e in exc.iter().chain(cause) {
                    reads(e, &mut r);
                }
            }
            StmtKind::Assert { test, msg } => {
                reads(test, &mut r);
                if let Some(m) = msg {
                    reads(m, &mut r);
                }
                r.extend(out);
            }
            StmtKind::Delete(ts) => {
                let mut live = out;
                for t in ts {
                    for d in defs(t) {
                        live.remove(&d);
                    }
                    target_reads(t, &mut r);
                }
                r.extend(live);
            }
            StmtKind::Import(_) | StmtKind::ImportFrom { .. } => {
                let mut live = out;
                for d in assigned(std::slice::from_ref(s)) {
                    live.remove(&d);
                }
                r = live;
            }
            StmtKind::Pass | StmtKind::Global(_) | StmtKind::Nonlocal(_) => r = out,
        }
        r
    }
}

fn fin_reads(stmts: &[Stmt]) -> Names {
    let mut n = Names::new();
    for s in stmts {
        mentioned_stmt(s, &mut n);
    }
    n
}

/// Every name an expression reads (names in nested lambdas and comprehensions included).
fn reads(e: &Expr, out: &mut Names) {
    visit_expr(e, &mut |x| {
        if let ExprKind::Name(n) = &x.kind {
            out.insert(n.clone());
        }
    });
}

/// Names an assignment target binds.
fn defs(t: &Expr) -> Vec<String> {
    match &t.kind {
        ExprKind::Name(n) => vec![n.clone()],
        ExprKind::Tuple(v) | ExprKind::List(v) => v.iter().flat_map(defs).collect(),
        ExprKind::Starred(inner) => defs(inner),
        _ => Vec::new(),
    }
}

/// Names an assignment target reads (the objects of attribute and subscript targets).
fn target_reads(t: &Expr, out: &mut Names) {
    match &t.kind {
        ExprKind::Name(_) => {}
        ExprKind::Tuple(v) | ExprKind::List(v) => v.iter().for_each(|x| target_reads(x, out)),
        ExprKind::Starred(inner) => target_reads(inner, out),
        _ => reads(t, out),
    }
}

fn visit_expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    let mut go = |x: &Expr| visit_expr(x, f);
    match &e.kind {
        ExprKind::Name(_) | ExprKind::Constant(_) => {}
        ExprKind::FString(parts) => {
            fn parts_visit(parts: &[crate::ast::FStringPart], go: &mut dyn FnMut(&Expr)) {
                for p in parts {
                    if let crate::ast::FStringPart::Field { expr, format_spec, .. } = p {
                        go(expr);
                        if let Some(spec) = format_spec {
                            parts_visit(spec, go);
                        }
                    }
                }
            }
            parts_visit(parts, &mut go);
        }
        ExprKind::Tuple(v) | ExprKind::List(v) | ExprKind::Set(v) => v.iter().for_each(go),
        ExprKind::Dict(items) => {
            for it in items {
                match it {
                    crate::ast::DictItem::Pair(k, v) => {
                        go(k);
                        go(v);
                    }
                    crate::ast::DictItem::Unpack(m) => go(m),
                }
            }
        }
        ExprKind::Starred(x) => go(x),
        ExprKind::BinOp { left, right, .. } => {
            go(left);
            go(right);
        }
        ExprKind::UnaryOp { operand, .. } => go(operand),
        ExprKind::BoolOp { values, .. } => values.iter().for_each(go),
        ExprKind::Compare { left, ops } => {
            go(left);
            ops.iter().for_each(|(_, x)| go(x));
        }
        ExprKind::IfExp { test, body, orelse } => {
            go(test);
            go(body);
            go(orelse);
        }
        ExprKind::Lambda { params, body } => {
            for p in params.args.iter().chain(&params.kwonly) {
                if let Some(d) = &p.default {
                    go(d);
                }
            }
            go(body);
        }
        ExprKind::Call { func, args } => {
            go(func);
            for a in args {
                match a {
                    Arg::Positional(x) | Arg::Keyword(_, x) | Arg::Star(x) | Arg::DoubleStar(x) => go(x),
                }
            }
        }
        ExprKind::Attribute { value, .. } => go(value),
        ExprKind::Subscript { value, index } => {
            go(value);
            go(index);
        }
        ExprKind::Slice { lower, upper, step } => {
            for x in [lower, upper, step].into_iter().flatten() {
                go(x);
            }
        }
        ExprKind::ListComp { elt, generators }
        | ExprKind::SetComp { elt, generators }
        | ExprKind::GeneratorExp { elt, generators } => {
            go(elt);
            for g in generators {
                go(&g.iter);
                g.ifs.iter().for_each(&mut go);
            }
        }
        ExprKind::DictComp { key, value, generators } => {
            go(key);
            go(value);
            for g in generators {
                go(&g.iter);
                g.ifs.iter().for_each(&mut go);
            }
        }
    }
}

/// Every name mentioned anywhere in a statement (for nested definitions).
fn mentioned_stmt(s: &Stmt, out: &mut Names) {
    let mut exprs: Vec<&Expr> = Vec::new();
    collect_exprs(s, &mut exprs);
    for e in exprs {
        reads(e, out);
    }
}

fn collect_exprs<'a>(s: &'a Stmt, out: &mut Vec<&'a Expr>) {
    let block = |b: &'a [Stmt], out: &mut Vec<&'a Expr>| b.iter().for_each(|s| collect_exprs(s, out));
    match &s.kind {
        StmtKind::Expr(e) => out.push(e),
        StmtKind::Assign { targets, value } => {
            out.extend(targets);
            out.push(value);
        }
        StmtKind::AugAssign { target, value, .. } => {
            out.push(target);
            out.push(value);
        }
        StmtKind::AnnAssign { target, value, .. } => {
            out.push(target);
            out.extend(value);
        }
        StmtKind::FunctionDef(f) => {
            for p in f.params.args.iter().chain(&f.params.kwonly) {
                out.extend(&p.default);
            }
            out.extend(&f.decorators);
            block(&f.body, out);
        }
        StmtKind::ClassDef(c) => {
            out.extend(&c.decorators);
            block(&c.body, out);
        }
        StmtKind::Return(e) => out.extend(e),
        StmtKind::If { test, body, orelse } | StmtKind::While { test, body, orelse } => {
            out.push(test);
            block(body, out);
            block(orelse, out);
        }
        StmtKind::For { target, iter, body, orelse } => {
            out.push(target);
            out.push(iter);
            block(body, out);
            block(orelse, out);
        }
        StmtKind::With { items, body } => {
            for it in items {
                out.push(&it.context);
                out.extend(&it.target);
            }
            block(body, out);
        }
        StmtKind::Try { body, handlers, orelse, finalbody } => {
            block(body, out);
            for h in handlers {
                out.extend(&h.typ);
                block(&h.body, out);
            }
            block(orelse, out);
            block(finalbody, out);
        }
        StmtKind::Raise { exc, cause } => {
            out.extend(exc);
            out.extend(cause);
        }
        StmtKind::Assert { test, msg } => {
            out.push(test);
            out.extend(msg);
        }
        StmtKind::Delete(ts) => out.extend(ts),
        _ => {}
    }
}

/// Names a block binds, in first-binding order (nested function bodies excluded).
pub fn assigned(stmts: &[Stmt]) -> Vec<String> {
    fn go(stmts: &[Stmt], out: &mut Vec<String>) {
        let add = |n: String, out: &mut Vec<String>| {
            if !out.contains(&n) {
                out.push(n);
            }
        };
        for s in stmts {
            match &s.kind {
                StmtKind::Assign { targets, .. } => targets.iter().flat_map(defs).for_each(|n| add(n, out)),
                StmtKind::AugAssign { target, .. } | StmtKind::AnnAssign { target, .. } => {
                    defs(target).into_iter().for_each(|n| add(n, out))
                }
                StmtKind::FunctionDef(f) => add(f.name.name.clone(), out),
                StmtKind::ClassDef(c) => add(c.name.name.clone(), out),
                StmtKind::If { body, orelse, .. } | StmtKind::While { body, orelse, .. } => {
                    go(body, out);
                    go(orelse, out);
                }
                StmtKind::For { target, body, orelse, .. } => {
                    defs(target).into_iter().for_each(|n| add(n, out));
                    go(body, out);
                    go(orelse, out);
                }
                StmtKind::With { items, body } => {
                    for it in items {
                        if let Some(t) = &it.target {
                            defs(t).into_iter().for_each(|n| add(n, out));
                        }
                    }
                    go(body, out);
                }
                StmtKind::Try { body, handlers, orelse, finalbody } => {
                    go(body, out);
                    for h in handlers {
                        if let Some(n) = &h.name {
                            add(n.name.clone(), out);
                        }
                        go(&h.body, out);
                    }
                    go(orelse, out);
                    go(finalbody, out);
                }
                StmtKind::Import(aliases) => {
                    for a in aliases {
                        let n = match &a.asname {
                            Some(n) => n.name.clone(),
                            None => a.name.name.split('.').next().unwrap_or("").to_string(),
                        };
                        add(n, out);
                    }
                }
                StmtKind::ImportFrom { names, .. } => {
                    for a in names {
                        add(a.asname.as_ref().unwrap_or(&a.name).name.clone(), out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    go(stmts, &mut out);
    out
}

/// Which exits a block contains at its own loop level: (break or continue, return).
fn exits(stmts: &[Stmt]) -> (bool, bool) {
    let mut loop_exit = false;
    let mut ret = false;
    fn go(stmts: &[Stmt], in_loop: bool, loop_exit: &mut bool, ret: &mut bool) {
        for s in stmts {
            match &s.kind {
                StmtKind::Break | StmtKind::Continue if !in_loop => *loop_exit = true,
                StmtKind::Return(_) => *ret = true,
                StmtKind::If { body, orelse, .. } => {
                    go(body, in_loop, loop_exit, ret);
                    go(orelse, in_loop, loop_exit, ret);
                }
                StmtKind::While { body, orelse, .. } | StmtKind::For { body, orelse, .. } => {
                    go(body, true, loop_exit, ret);
                    go(orelse, in_loop, loop_exit, ret);
                }
                StmtKind::With { body, .. } => go(body, in_loop, loop_exit, ret),
                StmtKind::Try { body, handlers, orelse, finalbody } => {
                    go(body, in_loop, loop_exit, ret);
                    for h in handlers {
                        go(&h.body, in_loop, loop_exit, ret);
                    }
                    go(orelse, in_loop, loop_exit, ret);
                    go(finalbody, in_loop, loop_exit, ret);
                }
                _ => {}
            }
        }
    }
    go(stmts, false, &mut loop_exit, &mut ret);
    (loop_exit, ret)
}

fn has_break(stmts: &[Stmt]) -> bool {
    fn go(stmts: &[Stmt]) -> bool {
        stmts.iter().any(|s| match &s.kind {
            StmtKind::Break => true,
            StmtKind::If { body, orelse, .. } => go(body) || go(orelse),
            StmtKind::With { body, .. } => go(body),
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                go(body) || handlers.iter().any(|h| go(&h.body)) || go(orelse) || go(finalbody)
            }
            _ => false,
        })
    }
    go(stmts)
}

// ----- regions -----

/// A block whose exits AutoGraph tracks: a branch of a converted `if`, a converted loop's body,
/// or one iteration of a Python loop's body while tracing.
struct Region {
    depth: usize,
    block: Rc<Vec<Stmt>>,
    /// Names the construct reads back when the block ends.
    live_end: Names,
    kind: RegionKind,
    pending: Option<Exit>,
}

/// What opened a region.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RegionKind {
    Branch,
    /// The body of a loop converted to `while_loop`.
    Loop,
    /// The body of a Python loop, unrolled at trace time.
    PyLoop,
}

/// Per function code (by address, the code kept alive beside it), its liveness.
type LivenessCache = HashMap<usize, (Rc<Code>, Rc<Liveness>)>;

thread_local! {
    static REGIONS: RefCell<Vec<Region>> = const { RefCell::new(Vec::new()) };
    static LIVENESS: RefCell<LivenessCache> = RefCell::new(HashMap::new());
}

/// Whether an exit happened: statically known, or a symbolic bool.
#[derive(Clone)]
enum Flag {
    No,
    Yes,
    Maybe(Tensor),
}

impl Flag {
    fn tensor(&self) -> Tensor {
        match self {
            Flag::No => Tensor::from(false),
            Flag::Yes => Tensor::from(true),
            Flag::Maybe(t) => t.clone(),
        }
    }
    fn is_no(&self) -> bool {
        matches!(self, Flag::No)
    }
}

/// How a block ended: by a `break`, a `return` (with its value), or normally.
#[derive(Clone)]
struct Exit {
    brk: Flag,
    ret: Flag,
    retval: Option<Value>,
}

impl Exit {
    fn normal() -> Exit {
        Exit { brk: Flag::No, ret: Flag::No, retval: None }
    }
}

/// The region the current statement runs in, when it is one AutoGraph opened in this frame.
fn region_info(it: &Interp) -> Option<(Names, RegionKind)> {
    let depth = it.frames.len();
    REGIONS.with(|r| r.borrow().last().filter(|g| g.depth == depth).map(|g| (g.live_end.clone(), g.kind)))
}

/// True when a loop of one of `kinds` encloses the current statement within this frame.
fn inside_loop(it: &Interp, kinds: &[RegionKind]) -> bool {
    let depth = it.frames.len();
    REGIONS.with(|r| r.borrow().iter().rev().take_while(|g| g.depth == depth).any(|g| kinds.contains(&g.kind)))
}

fn run_region(it: &mut Interp, block: Rc<Vec<Stmt>>, live_end: Names, kind: RegionKind) -> PyResult<Exit> {
    let depth = it.frames.len();
    REGIONS.with(|r| r.borrow_mut().push(Region { depth, block: block.clone(), live_end, kind, pending: None }));
    let result = it.exec_block(&block);
    let region = REGIONS.with(|r| r.borrow_mut().pop());
    let pending = region.and_then(|g| g.pending);
    match result {
        Ok(()) | Err(Ctrl::Continue) => Ok(Exit::normal()),
        Err(Ctrl::Break) => Ok(Exit { brk: Flag::Yes, ..Exit::normal() }),
        Err(Ctrl::Return(v)) => Ok(pending.unwrap_or(Exit { brk: Flag::No, ret: Flag::Yes, retval: Some(v) })),
        Err(e) => Err(e),
    }
}

fn function_body(it: &Interp) -> Option<(Rc<Code>, Rc<Vec<Stmt>>)> {
    let f = it.frame().function.clone()?;
    match &f.code.body {
        Body::Block(stmts) => Some((f.code.clone(), Rc::new(stmts.clone()))),
        Body::Expr(_) => None,
    }
}

fn liveness(it: &Interp) -> Option<Rc<Liveness>> {
    let f = it.frame().function.clone()?;
    let Body::Block(stmts) = &f.code.body else { return None };
    let id = Rc::as_ptr(&f.code) as usize;
    if let Some(l) = LIVENESS.with(|c| c.borrow().get(&id).map(|(_, l)| l.clone())) {
        return Some(l);
    }
    let l = Rc::new(Liveness::of(stmts));
    LIVENESS.with(|c| c.borrow_mut().insert(id, (f.code.clone(), l.clone())));
    Some(l)
}

/// The statements that run after `span` up to the end of the current region (the rest of each
/// enclosing block, innermost first).
fn continuation(it: &Interp, span: Span) -> PyResult<Vec<Stmt>> {
    let depth = it.frames.len();
    let block = REGIONS.with(|r| r.borrow().last().filter(|g| g.depth == depth).map(|g| g.block.clone()));
    let block = match block {
        Some(b) => b,
        None => match function_body(it) {
            Some((_, b)) => b,
            None => return Ok(Vec::new()),
        },
    };
    fn find(block: &[Stmt], span: Span) -> Result<Option<Vec<Stmt>>, ()> {
        for (i, s) in block.iter().enumerate() {
            let rest = || block.get(i + 1..).unwrap_or(&[]).to_vec();
            if s.span == span {
                return Ok(Some(rest()));
            }
            if s.span.start <= span.start && span.end <= s.span.end {
                let inner = match &s.kind {
                    StmtKind::If { body, orelse, .. } => match find(body, span)? {
                        Some(k) => Some(k),
                        None => find(orelse, span)?,
                    },
                    _ => return Err(()),
                };
                if let Some(mut k) = inner {
                    k.extend(rest());
                    return Ok(Some(k));
                }
            }
        }
        Ok(None)
    }
    match find(&block, span) {
        Ok(k) => Ok(k.unwrap_or_default()),
        Err(()) => Err(raise(
            "NotImplementedError",
            "break, continue or return under a tensor-dependent condition inside a Python loop, `with` or \
             `try` block is not supported in a traced function; use a tensor loop (tf.range) or move the \
             statement out of that block",
        )),
    }
}

// ----- scope access -----

fn get_local(it: &Interp, name: &str) -> Option<Value> {
    it.frame().scope.get(name)
}

fn set_local(it: &Interp, name: &str, v: Option<Value>) {
    match v {
        Some(v) => it.frame().scope.set(name, v),
        None => {
            it.frame().scope.vars.borrow_mut().remove(name);
        }
    }
}

fn snapshot(it: &Interp, names: &[String]) -> Vec<Option<Value>> {
    names.iter().map(|n| get_local(it, n)).collect()
}

fn restore(it: &Interp, names: &[String], values: &[Option<Value>]) {
    for (n, v) in names.iter().zip(values) {
        set_local(it, n, v.clone());
    }
}

// ----- checks -----

fn py_shape(dims: &[Option<usize>]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.map_or("None".to_string(), |d| d.to_string())).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

fn normalize_named(v: &Value, name: &str, place: &str) -> PyResult<Value> {
    if v.is_none() {
        return Err(raise("ValueError", format!("'{name}' is None {place}.")));
    }
    normalize(v, &format!("'{name}'")).map_err(|_| {
        raise(
            "TypeError",
            format!(
                "'{name}' must be a tensor, a Python number or a nested structure of them {place}, got {}",
                v.type_name()
            ),
        )
    })
}

/// Compares a cond output of the else branch with the main branch's, as TF's messages do.
fn check_cond_var(name: &str, main: &Value, other: &Value) -> PyResult<()> {
    let (a, b) = (to_structure(main)?, to_structure(other)?);
    if !a.same_structure(&b) {
        return Err(raise(
            "TypeError",
            format!(
                "'{name}' must have the same nested structure in the main and else branches:\n\n{} vs {}",
                a.describe(),
                b.describe()
            ),
        ));
    }
    for (x, y) in a.flatten().iter().zip(b.flatten()) {
        if x.dtype() != y.dtype() {
            return Err(raise(
                "TypeError",
                format!(
                    "'{name}' has dtype {} in the main branch, but dtype {} in the else branch",
                    x.dtype().name(),
                    y.dtype().name()
                ),
            ));
        }
    }
    Ok(())
}

/// Compares a loop variable after one iteration with its value on entry.
fn check_loop_var(name: &str, entry: &Value, exit: &Value) -> PyResult<()> {
    let (a, b) = (to_structure(entry)?, to_structure(exit)?);
    if !a.same_structure(&b) {
        return Err(raise(
            "TypeError",
            format!(
                "'{name}' does not have the same nested structure after one iteration.\n\n{} before the loop, {} after one iteration",
                a.describe(),
                b.describe()
            ),
        ));
    }
    for (x, y) in a.flatten().iter().zip(b.flatten()) {
        if x.dtype() != y.dtype() {
            return Err(raise(
                "TypeError",
                format!(
                    "'{name}' has dtype {} before the loop, but dtype {} after one iteration",
                    x.dtype().name(),
                    y.dtype().name()
                ),
            ));
        }
        let (dx, dy) = (x.dims(), y.dims());
        let fits = dx.len() == dy.len() && dx.iter().zip(&dy).all(|(e, o)| e.is_none() || e == o);
        if !fits {
            return Err(raise(
                "ValueError",
                format!(
                    "'{name}' has shape {} before the loop, but shape {} after one iteration. Shape invariants \
                     are not supported for AutoGraph loops: keep the shape fixed",
                    py_shape(&dx),
                    py_shape(&dy)
                ),
            ));
        }
    }
    Ok(())
}

fn bool_scalar(v: &Value, what: &str) -> PyResult<Tensor> {
    let Value::Tensor(t) = v else { return Err(raise("TypeError", format!("{what} must be a tensor"))) };
    if t.dtype() != DType::Bool || t.rank() != 0 {
        return Err(raise(
            "TypeError",
            format!(
                "the condition of a tensor `{what}` must be a scalar bool tensor, got a {} tensor with shape {}",
                t.dtype().name(),
                py_shape(&t.dims())
            ),
        ));
    }
    Ok(t.clone())
}

fn engine<T>(r: tensile::Result<T>) -> PyResult<T> {
    r.map_err(super::exceptions::engine_error)
}

/// Zeros shaped like `like`'s tensors: the value a return slot holds on paths that do not return.
fn placeholder_like(like: &Value) -> PyResult<Value> {
    let s = to_structure(like)?;
    let mut zeros = Vec::new();
    for t in s.flatten() {
        let dims = t.dims();
        let Some(shape) = tensile::shape::to_shape(&dims) else {
            return Err(raise(
                "ValueError",
                format!(
                    "the return value has shape {} with unknown dimensions; a value returned under a tensor \
                     condition must have a fully known shape",
                    py_shape(&dims)
                ),
            ));
        };
        zeros.push(engine(array::zeros(t.dtype(), &shape))?);
    }
    Ok(crate::tf::control::from_structure(engine(s.pack_sequence_as(&zeros))?))
}

// ----- conditional expressions -----

/// The conditional-expression hook: `a if pred else b` with a symbolic `pred` becomes a `cond`
/// whose branches evaluate `a` and `b`, as TensorFlow's AutoGraph converts it.
pub fn eval_if_exp(it: &mut Interp, test: &Expr, pred: &Value, body: &Expr, orelse: &Expr) -> PyResult<Value> {
    let pred = bool_scalar(pred, "if")?;
    // TensorFlow names the expression's value after the source of its condition.
    let name = it.frame().source.text.get(test.span.start..test.span.end).unwrap_or("the condition").to_string();
    let name = name.as_str();
    let shared = Shared::new(it);
    let main: RefCell<Option<Value>> = RefCell::new(None);
    let branch = |e: &Expr, i: usize| -> tensile::Result<PyNest> {
        shared.run(|it| {
            let place = if i == 0 { "at the end of the main branch" } else { "at the end of the else branch" };
            let v = normalize_named(&it.eval(e)?, name, place)?;
            if let (1, Some(m)) = (i, main.borrow().as_ref()) {
                check_cond_var(name, m, &v)?;
            }
            if i == 0 {
                *main.borrow_mut() = Some(v.clone());
            }
            Ok(PyNest(v))
        })
    };
    let result = cf::cond(&pred, || branch(body, 0), || branch(orelse, 1));
    Ok(shared.finish(result)?.0)
}

// ----- if -----

/// Where a branch's statements come from.
enum Branch {
    Block(Rc<Vec<Stmt>>),
    /// Returns this value without running anything.
    Return(Value),
}

/// The `if` hook: runs `if pred: body else: orelse` as an engine `cond` (`pred` is symbolic).
pub fn exec_if(it: &mut Interp, s: &Stmt, pred: &Value, body: &[Stmt], orelse: &[Stmt]) -> PyResult<()> {
    let pred = bool_scalar(pred, "if")?;
    let (le_a, ret_a) = exits(body);
    let (le_b, ret_b) = exits(orelse);
    let absorb = le_a || le_b || ret_a || ret_b;
    let (mut body, mut orelse) = (body.to_vec(), orelse.to_vec());
    if absorb {
        let k = continuation(it, s.span)?;
        body.extend(k.iter().cloned());
        orelse.extend(k);
    }
    let live = liveness(it).and_then(|l| l.live_out(s.span).cloned());
    let brk = has_break(&body) || has_break(&orelse);
    let want_ret = exits(&body).1 || exits(&orelse).1;
    run_cond(it, pred, [Branch::Block(Rc::new(body)), Branch::Block(Rc::new(orelse))], live, absorb, brk, want_ret)
}

fn run_cond(
    it: &mut Interp,
    pred: Tensor,
    branches: [Branch; 2],
    live: Option<Names>,
    absorb: bool,
    want_brk: bool,
    want_ret: bool,
) -> PyResult<()> {
    let region = region_info(it);
    let function_level = region.is_none();
    let in_py_loop = region.as_ref().is_some_and(|r| r.1 == RegionKind::PyLoop);
    let region_end = region.as_ref().map(|r| r.0.clone()).unwrap_or_default();
    if want_brk && !inside_loop(it, &[RegionKind::Loop, RegionKind::PyLoop]) {
        return Err(raise("SyntaxError", "'break' outside loop"));
    }
    // Outside a converted loop nothing carries a return value into the branch that does not
    // return, so both branches must return (TensorFlow's rule).
    let carried_return = inside_loop(it, &[RegionKind::Loop]);
    let mut all: Vec<String> = Vec::new();
    for b in &branches {
        if let Branch::Block(stmts) = b {
            for n in assigned(stmts) {
                if !all.contains(&n) {
                    all.push(n);
                }
            }
        }
    }
    let outputs: Vec<String> = all
        .iter()
        .filter(|n| if absorb { region_end.contains(*n) } else { live.as_ref().is_none_or(|l| l.contains(*n)) })
        .cloned()
        .collect();
    let out_set: Names = outputs.iter().cloned().collect();
    let before = snapshot(it, &all);
    if probing_arrays() {
        // Only the arrays' element shapes are wanted: run both branches, then stop the probe.
        for b in &branches {
            restore(it, &all, &before);
            if let Branch::Block(stmts) = b {
                let _ = run_region(it, stmts.clone(), out_set.clone(), RegionKind::Branch);
            }
            record_array_shapes(it);
        }
        return Err(raise("RuntimeError", "array shape probe finished"));
    }
    let shared = Shared::new(it);
    let main_vals: RefCell<Option<Vec<Value>>> = RefCell::new(None);
    let exits_seen: RefCell<[Option<Exit>; 2]> = RefCell::new([None, None]);
    let ret_template: RefCell<Option<Value>> = RefCell::new(None);
    let names = ["main", "else"];
    let run_branch = |i: usize| -> tensile::Result<PyNest> {
        shared.run(|it| {
            restore(it, &all, &before);
            let exit = match &branches[i] {
                Branch::Block(stmts) => run_region(it, stmts.clone(), out_set.clone(), RegionKind::Branch)?,
                Branch::Return(v) => Exit { brk: Flag::No, ret: Flag::Yes, retval: Some(v.clone()) },
            };
            let mut vals = Vec::new();
            for n in &outputs {
                let v = get_local(it, n).ok_or_else(|| {
                    raise("ValueError", format!("'{n}' must also be initialized in the {} branch", names[i]))
                })?;
                let v = normalize_named(&v, n, &format!("at the end of the {} branch", names[i]))?;
                vals.push(v);
            }
            if i == 1 {
                if let Some(main) = main_vals.borrow().as_ref() {
                    for ((n, a), b) in outputs.iter().zip(main).zip(&vals) {
                        check_cond_var(n, a, b)?;
                    }
                }
            } else {
                *main_vals.borrow_mut() = Some(vals.clone());
            }
            if want_brk {
                vals.push(Value::Tensor(exit.brk.tensor()));
            }
            if want_ret {
                vals.push(Value::Tensor(exit.ret.tensor()));
                let retval = match (&exit.ret, &exit.retval) {
                    (Flag::No, _) | (_, None) => None,
                    (_, Some(v)) => {
                        Some(normalize_named(v, "the return value", &format!("in the {} branch", names[i]))?)
                    }
                };
                let retval = match retval {
                    Some(v) => {
                        if let Some(t) = ret_template.borrow().as_ref() {
                            check_cond_var("the return value", t, &v)?;
                        }
                        *ret_template.borrow_mut() = Some(v.clone());
                        v
                    }
                    None if !carried_return => {
                        return Err(raise(
                            "ValueError",
                            format!("the {} branch must also have a return statement.", names[i]),
                        ))
                    }
                    None => {
                        let known = ret_template.borrow().clone();
                        let like = match known {
                            Some(t) => t,
                            None => probe_branch(it, &branches[1 - i], &all, &before, &out_set)?.ok_or_else(|| {
                                raise(
                                    "ValueError",
                                    format!("the {} branch must also have a return statement.", names[i]),
                                )
                            })?,
                        };
                        placeholder_like(&like)?
                    }
                };
                vals.push(retval);
            }
            exits_seen.borrow_mut()[i] = Some(exit);
            Ok(PyNest(Value::tuple(vals)))
        })
    };
    let result = cf::cond(&pred, || run_branch(0), || run_branch(1));
    let out = shared.finish(result)?.0;
    let it = shared.into_inner();
    restore(it, &all, &before);
    let mut vals = match out {
        Value::Tuple(t) => t.to_vec(),
        other => vec![other],
    };
    let retval = if want_ret { vals.pop() } else { None };
    let ret_flag = if want_ret { vals.pop() } else { None };
    let brk_flag = if want_brk { vals.pop() } else { None };
    for (n, v) in outputs.iter().zip(vals) {
        set_local(it, n, Some(v));
    }
    if !absorb {
        return Ok(());
    }
    let seen = exits_seen.into_inner();
    let both = |f: &dyn Fn(&Exit) -> bool| seen.iter().all(|e| e.as_ref().is_some_and(f));
    // In a Python loop the flags are the cond's outputs, symbolic even when both branches exit
    // (the loop then cannot decide at trace time whether to go on).
    let combine = |all_yes: bool, all_no: bool, t: Option<Value>| match (all_yes && !in_py_loop, all_no, t) {
        (true, _, _) => Flag::Yes,
        (_, true, _) => Flag::No,
        (_, _, Some(Value::Tensor(t))) => Flag::Maybe(t),
        _ => Flag::No,
    };
    let ret = combine(both(&|e| matches!(e.ret, Flag::Yes)), both(&|e| e.ret.is_no()), ret_flag);
    let brk = combine(both(&|e| matches!(e.brk, Flag::Yes)), both(&|e| e.brk.is_no()), brk_flag);
    if function_level {
        return match ret {
            Flag::Yes => Err(Ctrl::Return(retval.unwrap_or(Value::None))),
            Flag::No => Err(Ctrl::Return(Value::None)),
            Flag::Maybe(_) => {
                let missing = if seen[0].as_ref().is_some_and(|e| e.ret.is_no()) { "main" } else { "else" };
                Err(raise("ValueError", format!("the {missing} branch must also have a return statement.")))
            }
        };
    }
    let exit = Exit { brk, ret, retval };
    let depth = it.frames.len();
    REGIONS.with(|r| {
        if let Some(g) = r.borrow_mut().last_mut().filter(|g| g.depth == depth) {
            g.pending = Some(exit);
        }
    });
    Err(Ctrl::Return(Value::None))
}

/// Runs a branch in a throwaway trace to learn the structure of the value it returns.
fn probe_branch(
    it: &mut Interp,
    branch: &Branch,
    all: &[String],
    before: &[Option<Value>],
    live_end: &Names,
) -> PyResult<Option<Value>> {
    let stmts = match branch {
        Branch::Return(v) => return Ok(Some(normalize(v, "the return value")?)),
        Branch::Block(s) => s.clone(),
    };
    let saved = snapshot(it, all);
    let shared = Shared::new(it);
    let found = RefCell::new(None);
    let r = trace::trace_graph(&[], TraceOptions { root: false, allow_variable_creation: true }, |_| {
        shared.run(|it| {
            restore(it, all, before);
            let exit = run_region(it, stmts.clone(), live_end.clone(), RegionKind::Branch)?;
            if !exit.ret.is_no() {
                if let Some(v) = exit.retval {
                    *found.borrow_mut() = Some(normalize(&v, "the return value")?);
                }
            }
            Ok(Vec::new())
        })
    });
    shared.finish(r)?;
    let it = shared.into_inner();
    restore(it, all, &saved);
    Ok(found.into_inner())
}

// ----- loops -----

/// The `for` hook: how the iterable of `for ... in iter` is iterated.
pub fn for_iterable(it: &mut Interp, iter: &Expr) -> PyResult<Iterable> {
    if let ExprKind::Call { func, args } = &iter.kind {
        let named_range = match &func.kind {
            ExprKind::Name(n) => n == "range",
            ExprKind::Attribute { attr, .. } => attr.name == "range",
            _ => false,
        };
        let simple = args.iter().all(|a| matches!(a, Arg::Positional(_) | Arg::Keyword(..)));
        if named_range && simple {
            let f = it.eval(func)?;
            // Python's `range` unrolls at trace time unless a bound is symbolic; `tf.range` always
            // becomes a loop in the graph, as with TensorFlow's AutoGraph.
            let builtin_range = match (&f, it.builtins.get("range")) {
                (Value::Builtin(a), Some(Value::Builtin(b))) => Rc::ptr_eq(a, b),
                _ => false,
            };
            let tf_range = !builtin_range && matches!(&f, Value::Builtin(b) if b.name == "range");
            let py_range = builtin_range || matches!(f, Value::Type(BuiltinType::Range));
            if tf_range || py_range {
                let mut a = Args::default();
                for arg in args {
                    match arg {
                        Arg::Positional(e) => a.pos.push(it.eval(e)?),
                        Arg::Keyword(k, e) => {
                            let v = it.eval(e)?;
                            a.kw.push((k.name.as_str().into(), v));
                        }
                        _ => {}
                    }
                }
                let symbolic = a.pos.iter().chain(a.kw.iter().map(|(_, v)| v)).any(is_symbolic);
                if trace::is_tracing() && (symbolic || tf_range) && a.kw.iter().all(|(k, _)| &**k == "dtype") {
                    let (start, limit) = match a.pos.len() {
                        1 => (Value::Int(0), a.pos[0].clone()),
                        2 | 3 => (a.pos[0].clone(), a.pos[1].clone()),
                        n => return Err(raise("TypeError", format!("range expected at most 3 arguments, got {n}"))),
                    };
                    let delta = a.pos.get(2).cloned().unwrap_or(Value::Int(1));
                    let dtype = match a.kw.first().map(|(_, v)| v) {
                        Some(Value::DType(d)) => Some(*d),
                        Some(other) if !other.is_none() => {
                            return Err(raise(
                                "TypeError",
                                format!("range dtype must be a DType, got {}", other.type_name()),
                            ))
                        }
                        _ => None,
                    };
                    return Ok(Iterable::Range(start, limit, delta, dtype));
                }
                return Ok(Iterable::Python(it.call(&f, a)?));
            }
        }
    }
    let v = it.eval(iter)?;
    match v {
        Value::Tensor(t) if t.is_symbolic() => Ok(Iterable::Tensor(t)),
        other => Ok(Iterable::Python(other)),
    }
}

/// How a converted loop steps: the `while` test, a range counter, or a tensor's rows.
enum Driver<'a> {
    While(&'a Expr),
    Range { target: &'a Expr, limit: Tensor, delta: Tensor },
    Rows { target: &'a Expr, t: Tensor, n: Tensor },
}

/// The `while` hook: runs the loop as an engine `while_loop` (the test evaluated to a symbolic
/// tensor).
pub fn exec_while(
    it: &mut Interp,
    s: &Stmt,
    test: &Expr,
    first: &Value,
    body: &[Stmt],
    orelse: &[Stmt],
) -> PyResult<()> {
    bool_scalar(first, "while")?;
    run_loop(it, s, Driver::While(test), None, body, orelse)
}

/// Runs a `for` statement over a converted iterable.
pub fn exec_for(
    it: &mut Interp,
    s: &Stmt,
    target: &Expr,
    iter: Iterable,
    body: &[Stmt],
    orelse: &[Stmt],
) -> PyResult<()> {
    match iter {
        Iterable::Python(_) => Err(raise("TypeError", "internal: a Python iterable reached the converted for loop")),
        Iterable::Range(start, limit, delta, dtype) => {
            let scalar = |v: &Value, what: &str| -> PyResult<Tensor> {
                let t = crate::tf::to_tensor(v, None)?;
                if t.dtype() == DType::Bool || t.rank() != 0 {
                    return Err(raise(
                        "TypeError",
                        format!(
                            "range {what} must be a scalar number, got a {} with shape {}",
                            t.dtype().name(),
                            py_shape(&t.dims())
                        ),
                    ));
                }
                Ok(t)
            };
            let (mut a, mut b, mut c) = (scalar(&start, "start")?, scalar(&limit, "limit")?, scalar(&delta, "delta")?);
            // TF's tf.range: the widest of the operands' dtypes unless one is given.
            let rank =
                |d: DType| [DType::I32, DType::I64, DType::F32, DType::F64].iter().position(|&x| x == d).unwrap_or(0);
            let widest = [&a, &b, &c].iter().map(|t| t.dtype()).max_by_key(|&d| rank(d)).unwrap_or(DType::I32);
            let dt = dtype.unwrap_or(widest);
            for t in [&mut a, &mut b, &mut c] {
                if t.dtype() != dt {
                    *t = engine(math::cast(t, dt))?;
                }
            }
            run_loop(it, s, Driver::Range { target, limit: b, delta: c }, Some(a), body, orelse)
        }
        Iterable::Tensor(t) => {
            if t.rank() == 0 {
                return Err(raise("TypeError", "Cannot iterate over a scalar tensor."));
            }
            let n = engine(array::shape(&t).and_then(|sh| indexing::gather(&sh, &Tensor::from(0i32), 0, 0)))?;
            run_loop(it, s, Driver::Rows { target, t, n }, Some(Tensor::from(0i32)), body, orelse)
        }
    }
}

fn run_loop(
    it: &mut Interp,
    s: &Stmt,
    driver: Driver<'_>,
    counter0: Option<Tensor>,
    body: &[Stmt],
    orelse: &[Stmt],
) -> PyResult<()> {
    if !orelse.is_empty() && (exits(orelse) != (false, false)) {
        return Err(raise(
            "NotImplementedError",
            "break, continue or return in the `else` clause of a loop over tensors is not supported in a traced \
             function",
        ));
    }
    let live = liveness(it);
    let live_out = live.as_ref().and_then(|l| l.live_out(s.span).cloned());
    let live_head = live.as_ref().and_then(|l| l.live_head(s.span).cloned());
    let target_names: Vec<String> = match &driver {
        Driver::Range { target, .. } | Driver::Rows { target, .. } => defs(target),
        Driver::While(_) => Vec::new(),
    };
    let mut all = assigned(body);
    for n in &target_names {
        if !all.contains(n) {
            all.push(n.clone());
        }
    }
    let region_end = region_info(it).map(|r| r.0).unwrap_or_default();
    let vars: Vec<String> = all
        .iter()
        // The loop target is carried only when it is used after the loop and already has a value
        // (a loop that runs zero times leaves it unchanged, as in Python).
        .filter(|n| {
            !target_names.contains(n)
                || (live_out.as_ref().is_some_and(|o| o.contains(*n)) && get_local(it, n).is_some())
        })
        .filter(|n| {
            let l = live_head.as_ref().is_none_or(|h| h.contains(*n))
                || live_out.as_ref().is_none_or(|o| o.contains(*n))
                || region_end.contains(*n);
            l
        })
        .cloned()
        .collect();
    let (_, want_ret) = exits(body);
    let want_brk = has_break(body);
    let before_all = snapshot(it, &all);
    let mut init = Vec::new();
    for n in &vars {
        match get_local(it, n) {
            None => return Err(raise("ValueError", format!("'{n}' must be defined before the loop"))),
            Some(Value::None) => {
                return Err(raise("ValueError", format!("'{n}' is not allowed to be None before the loop")))
            }
            Some(v) => init.push(normalize_named(&v, n, "before the loop")?),
        }
    }
    if probing_arrays() {
        record_array_shapes(it);
        return Err(raise("RuntimeError", "array shape probe finished"));
    }
    infer_array_shapes(it, &driver, &vars, &mut init, &counter0, body, &all, &before_all)?;
    let mut retval0 = None;
    if want_ret {
        retval0 = Some(probe_loop_return(it, &driver, &vars, &init, &counter0, body, &all, &before_all)?);
    }
    // Loop state: counter?, vars..., brk?, ret?, retval?
    let mut state = Vec::new();
    if let Some(c) = &counter0 {
        state.push(Value::Tensor(c.clone()));
    }
    state.extend(init.iter().cloned());
    if want_brk {
        state.push(Value::Tensor(Tensor::from(false)));
    }
    if want_ret {
        state.push(Value::Tensor(Tensor::from(false)));
        state.push(retval0.clone().unwrap_or(Value::None));
    }
    let has_counter = counter0.is_some();
    let n_vars = vars.len();
    let body_rc = Rc::new(body.to_vec());
    let shared = Shared::new(it);
    let split = |v: &Value| -> Vec<Value> {
        match v {
            Value::Tuple(t) => t.to_vec(),
            other => vec![other.clone()],
        }
    };
    let expected = state.len();
    let check_len = |items: &[Value]| -> PyResult<()> {
        if items.len() == expected {
            Ok(())
        } else {
            Err(raise("RuntimeError", format!("loop state has {} values, expected {expected}", items.len())))
        }
    };
    let cond_fn = |st: &PyNest| -> tensile::Result<Tensor> {
        let items = split(&st.0);
        shared.run(|it| {
            check_len(&items)?;
            let mut i = 0;
            let counter = if has_counter {
                i += 1;
                match &items[0] {
                    Value::Tensor(t) => Some(t.clone()),
                    _ => None,
                }
            } else {
                None
            };
            for n in &vars {
                set_local(it, n, Some(items[i].clone()));
                i += 1;
            }
            let mut keep = match &driver {
                Driver::While(test) => {
                    let v = eval_condition(it, test)?;
                    let v = match v {
                        Value::Tensor(_) => v,
                        other => {
                            let b = it.truthy(&other)?;
                            Value::Tensor(Tensor::from(b))
                        }
                    };
                    bool_scalar(&v, "while")?
                }
                Driver::Range { limit, delta, .. } => {
                    let k = counter.clone().ok_or_else(|| raise("RuntimeError", "loop counter missing"))?;
                    let zero = engine(math::cast(&Tensor::from(0i32), delta.dtype()))?;
                    let up = engine(math::logical_and(
                        &engine(math::greater(delta, &zero))?,
                        &engine(math::less(&k, limit))?,
                    ))?;
                    let down = engine(math::logical_and(
                        &engine(math::less(delta, &zero))?,
                        &engine(math::greater(&k, limit))?,
                    ))?;
                    engine(math::logical_or(&up, &down))?
                }
                Driver::Rows { n, .. } => {
                    let k = counter.clone().ok_or_else(|| raise("RuntimeError", "loop counter missing"))?;
                    engine(math::less(&k, n))?
                }
            };
            for _ in 0..(usize::from(want_brk) + usize::from(want_ret)) {
                if let Value::Tensor(f) = &items[i] {
                    keep = engine(math::logical_and(&keep, &engine(math::logical_not(f))?))?;
                }
                i += 1;
            }
            Ok(keep)
        })
    };
    let body_fn = |st: &PyNest| -> tensile::Result<PyNest> {
        let items = split(&st.0);
        shared.run(|it| {
            check_len(&items)?;
            restore(it, &all, &before_all);
            let mut i = 0;
            let mut next = Vec::new();
            let mut element = None;
            if has_counter {
                let Value::Tensor(k) = &items[0] else { return Err(raise("RuntimeError", "loop counter missing")) };
                match &driver {
                    Driver::Range { target, delta, .. } => {
                        element = Some((*target, Value::Tensor(k.clone())));
                        next.push(Value::Tensor(engine(math::add(k, delta))?));
                    }
                    Driver::Rows { target, t, .. } => {
                        let row = engine(indexing::gather(t, k, 0, 0))?;
                        element = Some((*target, Value::Tensor(row)));
                        next.push(Value::Tensor(engine(math::add(k, &Tensor::from(1i32)))?));
                    }
                    Driver::While(_) => {}
                }
                i += 1;
            }
            let entry: Vec<Value> = items[i..i + n_vars].to_vec();
            for (n, v) in vars.iter().zip(&entry) {
                set_local(it, n, Some(v.clone()));
            }
            // After the carried values, so a target used after the loop takes this iteration's element.
            if let Some((target, v)) = element {
                it.assign(target, v)?;
            }
            let live_end: Names = vars.iter().cloned().collect();
            let exit = run_region(it, body_rc.clone(), live_end, RegionKind::Loop)?;
            for (n, e) in vars.iter().zip(&entry) {
                let v = get_local(it, n)
                    .ok_or_else(|| raise("ValueError", format!("'{n}' is undefined at the end of the iteration")))?;
                let v = normalize_named(&v, n, "at the end of the iteration")?;
                check_loop_var(n, e, &v)?;
                next.push(v);
            }
            if want_brk {
                next.push(Value::Tensor(exit.brk.tensor()));
            }
            if want_ret {
                next.push(Value::Tensor(exit.ret.tensor()));
                let prev = items.last().cloned().unwrap_or(Value::None);
                let v = match (&exit.ret, exit.retval) {
                    (Flag::No, _) | (_, None) => prev,
                    (_, Some(v)) => {
                        let v = normalize_named(&v, "the return value", "in the loop")?;
                        check_cond_var("the return value", &prev, &v)?;
                        v
                    }
                };
                next.push(v);
            }
            Ok(PyNest(Value::tuple(next)))
        })
    };
    let result = cf::while_loop(cond_fn, body_fn, PyNest(Value::tuple(state)), WhileOptions::default());
    let out = shared.finish(result)?.0;
    let it = shared.into_inner();
    restore(it, &all, &before_all);
    let mut items = split(&out);
    let retval = if want_ret { items.pop() } else { None };
    let ret_flag = if want_ret { items.pop() } else { None };
    let brk_flag = if want_brk { items.pop() } else { None };
    let start = usize::from(has_counter);
    for (n, v) in vars.iter().zip(items.into_iter().skip(start)) {
        set_local(it, n, Some(v));
    }
    if !orelse.is_empty() {
        // The `else` clause runs when the loop ended without `break` (or `return`).
        let stopped = match (&brk_flag, &ret_flag) {
            (Some(Value::Tensor(b)), Some(Value::Tensor(r))) => Some(engine(math::logical_or(b, r))?),
            (Some(Value::Tensor(t)), _) | (_, Some(Value::Tensor(t))) => Some(t.clone()),
            _ => None,
        };
        match stopped {
            None => it.exec_block(orelse)?,
            Some(flag) => {
                let live = liveness(it).and_then(|l| l.live_out(s.span).cloned());
                run_cond(
                    it,
                    flag,
                    [Branch::Block(Rc::new(Vec::new())), Branch::Block(Rc::new(orelse.to_vec()))],
                    live,
                    false,
                    false,
                    false,
                )?;
            }
        }
    }
    if let (Some(Value::Tensor(flag)), Some(rv)) = (ret_flag, retval) {
        // After a loop that may have returned, the rest of the region runs only if it did not.
        let k = continuation(it, s.span)?;
        let live = region_info(it).map(|r| r.0);
        return run_cond(it, flag, [Branch::Return(rv), Branch::Block(Rc::new(k))], live, true, false, true);
    }
    Ok(())
}

// ----- Python loops while tracing -----

/// How one iteration of a Python loop's body ended while tracing.
pub enum PyStep {
    /// Go on with the next iteration.
    Next,
    /// A `break` ran.
    Break,
    /// A `break` or `return` happened under a tensor condition: whether the loop goes on is a
    /// tensor, which a Python loop cannot follow.
    Symbolic,
}

/// The body of a Python loop as a region block, when it must run as one: while tracing, with a
/// `break`, `continue` or `return` in it that a tensor condition may guard.
pub fn py_loop_region(body: &[Stmt]) -> Option<Rc<Vec<Stmt>>> {
    (trace::is_tracing() && exits(body) != (false, false)).then(|| Rc::new(body.to_vec()))
}

/// Runs one iteration of the Python loop `s` whose body is `body` (from [`py_loop_region`]):
/// a `continue` under a tensor condition guards the rest of the body with a cond, as
/// TensorFlow's AutoGraph does; a plain `return` returns.
pub fn run_py_loop_body(it: &mut Interp, s: &Stmt, body: &Rc<Vec<Stmt>>) -> PyResult<PyStep> {
    let live_end: Names = match liveness(it) {
        Some(l) => {
            let mut n = l.live_head(s.span).cloned().unwrap_or_default();
            n.extend(l.live_out(s.span).cloned().unwrap_or_default());
            n
        }
        None => assigned(body).into_iter().collect(),
    };
    let exit = run_region(it, body.clone(), live_end, RegionKind::PyLoop)?;
    match (exit.brk, exit.ret) {
        (_, Flag::Yes) => Err(Ctrl::Return(exit.retval.unwrap_or(Value::None))),
        (_, Flag::Maybe(_)) | (Flag::Maybe(_), _) => Ok(PyStep::Symbolic),
        (Flag::Yes, _) => Ok(PyStep::Break),
        (Flag::No, Flag::No) => Ok(PyStep::Next),
    }
}

/// The error of a Python `for` loop whose `break` or `return` depends on a tensor (TensorFlow's
/// message).
pub fn symbolic_for_exit() -> Ctrl {
    raise(
        "NotImplementedError",
        "break and return statements which depend on a TF condition are not supported in Python for loops. Did \
         you intend to make it a TF loop?",
    )
}

const WHILE_BECAME_TENSOR: &str = "The condition of while loop started as non-Tensor, then changed to Tensor. This \
    may happen either because variables changed type, or when a break or return statement inside the loop depends \
    on a Tensor condition. In both cases, changing to a TF loop should remove the error.";

/// The error of a Python `while` loop whose condition turned into a tensor after its first test.
pub fn while_became_tensor() -> Ctrl {
    raise("NotImplementedError", WHILE_BECAME_TENSOR)
}

/// The error of a Python `while` loop after a `break` or `return` that depends on a tensor:
/// TensorFlow tests `not flag and test` with a cond on the flag, so the loop's condition turns
/// into a tensor (a test that is not a bool does not even match the flag's dtype).
pub fn symbolic_while_exit(it: &mut Interp, test: &Expr) -> Ctrl {
    let v = match eval_condition(it, test) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let dtype = match &v {
        Value::Bool(_) => Some(DType::Bool),
        Value::Int(_) => Some(DType::I32),
        Value::Float(_) => Some(DType::F32),
        Value::Tensor(t) => Some(t.dtype()),
        _ => None,
    };
    match dtype {
        Some(DType::Bool) => while_became_tensor(),
        Some(d) => raise(
            "TypeError",
            format!(
                "true_fn and false_fn arguments to tf.cond must have the same number, type, and overall structure \
                 of return values: the while loop's condition is {} and its break/return flag is bool",
                d.name()
            ),
        ),
        None => raise(
            "TypeError",
            format!(
                "the while loop's condition is a {}, which cannot be combined with a tensor break/return flag",
                v.type_name()
            ),
        ),
    }
}

thread_local! {
    /// While a loop's body is probed for the element shapes of its arrays: per name, the
    /// element shape of the array it held.
    static ARRAY_PROBE: RefCell<Option<HashMap<String, Vec<Option<usize>>>>> = const { RefCell::new(None) };
}

fn probing_arrays() -> bool {
    ARRAY_PROBE.with(|p| p.borrow().is_some())
}

/// A TensorArray whose element shape is still unknown (nothing tells its dense form yet).
fn unshaped_array(v: &Value) -> Option<tensile::control_flow::TensorArray> {
    let ta = crate::tf::control::as_array(v)?;
    let known = ta.buffer().is_some() || ta.element_shape().and_then(|d| tensile::shape::to_shape(d)).is_some();
    (!known).then_some(ta)
}

fn record_array_shapes(it: &Interp) {
    let vars: Vec<(String, Value)> =
        it.frame().scope.vars.borrow().iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ARRAY_PROBE.with(|p| {
        if let Some(map) = p.borrow_mut().as_mut() {
            for (n, v) in vars {
                let shape = crate::tf::control::as_array(&v).and_then(|ta| ta.element_shape().map(|d| d.to_vec()));
                if let Some(d) = shape.filter(|d| d.iter().all(Option::is_some)) {
                    map.entry(n).or_insert(d);
                }
            }
        }
    });
}

/// A TensorArray loop variable enters the loop as one dense buffer, which needs its element
/// shape; when neither a declared shape nor its elements tell it, the body runs once in a
/// throwaway trace and the shape of the first value written is taken (TensorFlow learns it from
/// the writes too).
#[allow(clippy::too_many_arguments)]
fn infer_array_shapes(
    it: &mut Interp,
    driver: &Driver<'_>,
    vars: &[String],
    init: &mut [Value],
    counter0: &Option<Tensor>,
    body: &[Stmt],
    all: &[String],
    before: &[Option<Value>],
) -> PyResult<()> {
    if !init.iter().any(|v| unshaped_array(v).is_some()) {
        return Ok(());
    }
    let saved = snapshot(it, all);
    // The probe is not a trace of the program: what the body prints is not shown.
    let out = std::mem::replace(&mut it.out, Box::new(std::io::sink()));
    let shared = Shared::new(it);
    let body_rc = Rc::new(body.to_vec());
    ARRAY_PROBE.with(|p| *p.borrow_mut() = Some(HashMap::new()));
    let r = trace::trace_graph(&[], TraceOptions { root: false, allow_variable_creation: true }, |_| {
        shared.run(|it| {
            restore(it, all, before);
            for (n, v) in vars.iter().zip(init.iter()) {
                set_local(it, n, Some(v.clone()));
            }
            match (driver, counter0) {
                (Driver::Range { target, .. }, Some(c)) => it.assign(target, Value::Tensor(c.clone()))?,
                (Driver::Rows { target, t, .. }, Some(c)) => {
                    it.assign(target, Value::Tensor(engine(indexing::gather(t, c, 0, 0))?))?
                }
                _ => {}
            }
            let _ = run_region(it, body_rc.clone(), vars.iter().cloned().collect(), RegionKind::Loop);
            record_array_shapes(it);
            Ok(Vec::new())
        })
    });
    let found = ARRAY_PROBE.with(|p| p.borrow_mut().take()).unwrap_or_default();
    // The probe's own failures do not matter: the real loop reports them.
    let _ = shared.finish(r);
    let it = shared.into_inner();
    it.out = out;
    restore(it, all, &saved);
    for (n, v) in vars.iter().zip(init.iter_mut()) {
        if let (Some(ta), Some(dims)) = (unshaped_array(v), found.get(n)) {
            *v = crate::tf::control::array_value(ta.with_element_shape(dims));
        }
    }
    Ok(())
}

/// Traces the loop body once, throwing the graph away, to learn the structure of the value it
/// returns (the return slot needs an initial value of that structure).
#[allow(clippy::too_many_arguments)]
fn probe_loop_return(
    it: &mut Interp,
    driver: &Driver<'_>,
    vars: &[String],
    init: &[Value],
    counter0: &Option<Tensor>,
    body: &[Stmt],
    all: &[String],
    before: &[Option<Value>],
) -> PyResult<Value> {
    let saved = snapshot(it, all);
    let mut specs = Vec::new();
    for v in init {
        for t in to_structure(v)?.flatten() {
            specs.push(tensile::ops::Spec { dtype: t.dtype(), dims: t.dims() });
        }
    }
    let structures: Vec<_> = init.iter().map(to_structure).collect::<PyResult<_>>()?;
    let shared = Shared::new(it);
    let found = RefCell::new(None);
    let body_rc = Rc::new(body.to_vec());
    let r = trace::trace_graph(&specs, TraceOptions { root: false, allow_variable_creation: true }, |args| {
        shared.run(|it| {
            restore(it, all, before);
            let mut offset = 0;
            for (n, s) in vars.iter().zip(&structures) {
                let k = s.num_leaves();
                let packed = engine(s.pack_sequence_as(&args[offset..offset + k]))?;
                set_local(it, n, Some(crate::tf::control::from_structure(packed)));
                offset += k;
            }
            match (driver, counter0) {
                (Driver::Range { target, .. }, Some(c)) => it.assign(target, Value::Tensor(c.clone()))?,
                (Driver::Rows { target, t, .. }, Some(c)) => {
                    it.assign(target, Value::Tensor(engine(indexing::gather(t, c, 0, 0))?))?
                }
                _ => {}
            }
            let exit = run_region(it, body_rc.clone(), vars.iter().cloned().collect(), RegionKind::Loop)?;
            if let (false, Some(v)) = (exit.ret.is_no(), exit.retval) {
                *found.borrow_mut() = Some(normalize(&v, "the return value")?);
            }
            Ok(Vec::new())
        })
    });
    shared.finish(r)?;
    let it = shared.into_inner();
    restore(it, all, &saved);
    let like = found.into_inner().ok_or_else(|| {
        raise("ValueError", "a return statement inside a TensorFlow loop must return a value of a fixed structure")
    })?;
    placeholder_like(&like)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(src: &str) -> Vec<Stmt> {
        let m = crate::parse_module(src, "<test>").expect("parses");
        match &m.body[0].kind {
            StmtKind::FunctionDef(f) => f.body.clone(),
            _ => panic!("not a def"),
        }
    }

    #[test]
    fn live_out_of_if_and_loop_head() {
        let body = body_of("def f(x):\n    y = 0\n    z = 1\n    if x:\n        y = 2\n        z = 3\n    return y\n");
        let l = Liveness::of(&body);
        let out = l.live_out(body[2].span).expect("if recorded");
        assert!(out.contains("y") && !out.contains("z"));
        let body = body_of("def f(n):\n    i = 0\n    s = 0\n    t = 0\n    while i < n:\n        t = i\n        s = s + t\n        i = i + 1\n    return s\n");
        let l = Liveness::of(&body);
        let head = l.live_head(body[3].span).expect("loop recorded");
        assert!(head.contains("i") && head.contains("s") && !head.contains("t"));
    }
}
