//! A compact s-expression dump of the syntax tree, e.g. `(- (** 2 2))`, so tests can
//! state the shape of a parse in one line.

use crate::ast::*;
use std::fmt::Write;

/// One line per top-level statement.
pub fn module(m: &Module) -> String {
    m.body.iter().map(stmt).collect::<Vec<_>>().join("\n")
}

/// A statement.
pub fn stmt(s: &Stmt) -> String {
    let mut out = String::new();
    write_stmt(&mut out, s);
    out
}

/// An expression.
pub fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e);
    out
}

fn write_body(out: &mut String, tag: &str, body: &[Stmt]) {
    let _ = write!(out, " ({tag}");
    for s in body {
        out.push(' ');
        write_stmt(out, s);
    }
    out.push(')');
}

fn write_list(out: &mut String, tag: &str, items: &[Expr]) {
    let _ = write!(out, "({tag}");
    for e in items {
        out.push(' ');
        write_expr(out, e);
    }
    out.push(')');
}

fn write_stmt(out: &mut String, s: &Stmt) {
    match &s.kind {
        StmtKind::Expr(e) => write_expr(out, e),
        StmtKind::Assign { targets, value } => {
            out.push_str("(=");
            for t in targets.iter().chain([value]) {
                out.push(' ');
                write_expr(out, t);
            }
            out.push(')');
        }
        StmtKind::AugAssign { target, op, value } => {
            let _ = write!(out, "({}= ", op.symbol());
            write_expr(out, target);
            out.push(' ');
            write_expr(out, value);
            out.push(')');
        }
        StmtKind::AnnAssign { target, annotation, value } => {
            out.push_str("(ann ");
            write_expr(out, target);
            out.push(' ');
            write_expr(out, annotation);
            if let Some(v) = value {
                out.push(' ');
                write_expr(out, v);
            }
            out.push(')');
        }
        StmtKind::FunctionDef(f) => {
            let _ = write!(out, "(def {} ", f.name.name);
            write_params(out, &f.params);
            if let Some(r) = &f.returns {
                out.push_str(" -> ");
                write_expr(out, r);
            }
            if !f.decorators.is_empty() {
                out.push(' ');
                write_list(out, "@", &f.decorators);
            }
            write_body(out, "body", &f.body);
            out.push(')');
        }
        StmtKind::ClassDef(c) => {
            let _ = write!(out, "(class {} (bases", c.name.name);
            for a in &c.bases {
                out.push(' ');
                write_arg(out, a);
            }
            out.push(')');
            if !c.decorators.is_empty() {
                out.push(' ');
                write_list(out, "@", &c.decorators);
            }
            write_body(out, "body", &c.body);
            out.push(')');
        }
        StmtKind::Return(v) => {
            out.push_str("(return");
            if let Some(v) = v {
                out.push(' ');
                write_expr(out, v);
            }
            out.push(')');
        }
        StmtKind::If { test, body, orelse } | StmtKind::While { test, body, orelse } => {
            let tag = if matches!(s.kind, StmtKind::If { .. }) { "if" } else { "while" };
            let _ = write!(out, "({tag} ");
            write_expr(out, test);
            write_body(out, "body", body);
            if !orelse.is_empty() {
                write_body(out, "else", orelse);
            }
            out.push(')');
        }
        StmtKind::For { target, iter, body, orelse } => {
            out.push_str("(for ");
            write_expr(out, target);
            out.push(' ');
            write_expr(out, iter);
            write_body(out, "body", body);
            if !orelse.is_empty() {
                write_body(out, "else", orelse);
            }
            out.push(')');
        }
        StmtKind::Break => out.push_str("break"),
        StmtKind::Continue => out.push_str("continue"),
        StmtKind::Pass => out.push_str("pass"),
        StmtKind::With { items, body } => {
            out.push_str("(with");
            for item in items {
                out.push(' ');
                match &item.target {
                    Some(t) => {
                        out.push_str("(as ");
                        write_expr(out, &item.context);
                        out.push(' ');
                        write_expr(out, t);
                        out.push(')');
                    }
                    None => write_expr(out, &item.context),
                }
            }
            write_body(out, "body", body);
            out.push(')');
        }
        StmtKind::Try { body, handlers, orelse, finalbody } => {
            out.push_str("(try");
            write_body(out, "body", body);
            for h in handlers {
                out.push_str(" (except");
                if let Some(t) = &h.typ {
                    out.push(' ');
                    write_expr(out, t);
                }
                if let Some(n) = &h.name {
                    let _ = write!(out, " {}", n.name);
                }
                write_body(out, "body", &h.body);
                out.push(')');
            }
            if !orelse.is_empty() {
                write_body(out, "else", orelse);
            }
            if !finalbody.is_empty() {
                write_body(out, "finally", finalbody);
            }
            out.push(')');
        }
        StmtKind::Raise { exc, cause } => {
            out.push_str("(raise");
            if let Some(e) = exc {
                out.push(' ');
                write_expr(out, e);
            }
            if let Some(c) = cause {
                out.push_str(" from ");
                write_expr(out, c);
            }
            out.push(')');
        }
        StmtKind::Assert { test, msg } => {
            out.push_str("(assert ");
            write_expr(out, test);
            if let Some(m) = msg {
                out.push(' ');
                write_expr(out, m);
            }
            out.push(')');
        }
        StmtKind::Delete(targets) => write_list(out, "del", targets),
        StmtKind::Global(names) | StmtKind::Nonlocal(names) => {
            let tag = if matches!(s.kind, StmtKind::Global(_)) { "global" } else { "nonlocal" };
            let _ = write!(out, "({tag}");
            for n in names {
                let _ = write!(out, " {}", n.name);
            }
            out.push(')');
        }
        StmtKind::Import(names) => {
            out.push_str("(import");
            write_aliases(out, names);
            out.push(')');
        }
        StmtKind::ImportFrom { module, names, level } => {
            let _ = write!(out, "(from {}{}", ".".repeat(*level), module.as_ref().map_or("", |m| m.name.as_str()));
            write_aliases(out, names);
            out.push(')');
        }
    }
}

fn write_aliases(out: &mut String, names: &[Alias]) {
    for a in names {
        match &a.asname {
            Some(asname) => {
                let _ = write!(out, " (as {} {})", a.name.name, asname.name);
            }
            None => {
                let _ = write!(out, " {}", a.name.name);
            }
        }
    }
}

fn write_param(out: &mut String, prefix: &str, p: &Param) {
    let _ = write!(out, "{prefix}{}", p.name.name);
    if let Some(a) = &p.annotation {
        out.push(':');
        write_expr(out, a);
    }
    if let Some(d) = &p.default {
        out.push('=');
        write_expr(out, d);
    }
}

fn write_params(out: &mut String, params: &Params) {
    out.push('(');
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push(' ');
        }
        first = false;
    };
    for p in &params.args {
        sep(out);
        write_param(out, "", p);
    }
    match &params.vararg {
        Some(p) => {
            sep(out);
            write_param(out, "*", p);
        }
        None if !params.kwonly.is_empty() => {
            sep(out);
            out.push('*');
        }
        None => {}
    }
    for p in &params.kwonly {
        sep(out);
        write_param(out, "", p);
    }
    if let Some(p) = &params.kwarg {
        sep(out);
        write_param(out, "**", p);
    }
    out.push(')');
}

fn write_arg(out: &mut String, a: &Arg) {
    match a {
        Arg::Positional(e) => write_expr(out, e),
        Arg::Keyword(name, e) => {
            let _ = write!(out, "(= {} ", name.name);
            write_expr(out, e);
            out.push(')');
        }
        Arg::Star(e) => {
            out.push_str("(* ");
            write_expr(out, e);
            out.push(')');
        }
        Arg::DoubleStar(e) => {
            out.push_str("(** ");
            write_expr(out, e);
            out.push(')');
        }
    }
}

fn write_opt(out: &mut String, e: &Option<Box<Expr>>) {
    match e {
        Some(e) => write_expr(out, e),
        None => out.push('_'),
    }
}

fn write_generators(out: &mut String, generators: &[Comprehension]) {
    for g in generators {
        out.push_str(" (for ");
        write_expr(out, &g.target);
        out.push(' ');
        write_expr(out, &g.iter);
        for c in &g.ifs {
            out.push_str(" (if ");
            write_expr(out, c);
            out.push(')');
        }
        out.push(')');
    }
}

fn write_fstring_parts(out: &mut String, tag: &str, parts: &[FStringPart]) {
    let _ = write!(out, "({tag}");
    for p in parts {
        out.push(' ');
        match p {
            FStringPart::Literal(s) => {
                let _ = write!(out, "{s:?}");
            }
            FStringPart::Field { expr, conversion, format_spec } => {
                out.push('{');
                write_expr(out, expr);
                if let Some(c) = conversion {
                    let _ = write!(out, " !{c}");
                }
                if let Some(spec) = format_spec {
                    out.push(' ');
                    write_fstring_parts(out, "spec", spec);
                }
                out.push('}');
            }
        }
    }
    out.push(')');
}

fn write_expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Name(n) => out.push_str(n),
        ExprKind::Constant(c) => match c {
            Constant::None => out.push_str("None"),
            Constant::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Constant::Ellipsis => out.push_str("..."),
            Constant::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Constant::Float(v) => {
                let _ = write!(out, "{v:?}");
            }
            Constant::Str(s) => {
                let _ = write!(out, "{s:?}");
            }
        },
        ExprKind::FString(parts) => write_fstring_parts(out, "f", parts),
        ExprKind::Tuple(elts) => write_list(out, "tuple", elts),
        ExprKind::List(elts) => write_list(out, "list", elts),
        ExprKind::Set(elts) => write_list(out, "set", elts),
        ExprKind::Dict(items) => {
            out.push_str("(dict");
            for item in items {
                out.push_str(" (");
                match item {
                    DictItem::Pair(k, v) => {
                        write_expr(out, k);
                        out.push(' ');
                        write_expr(out, v);
                    }
                    DictItem::Unpack(m) => {
                        out.push_str("** ");
                        write_expr(out, m);
                    }
                }
                out.push(')');
            }
            out.push(')');
        }
        ExprKind::Starred(inner) => {
            out.push_str("(* ");
            write_expr(out, inner);
            out.push(')');
        }
        ExprKind::BinOp { left, op, right } => {
            let _ = write!(out, "({} ", op.symbol());
            write_expr(out, left);
            out.push(' ');
            write_expr(out, right);
            out.push(')');
        }
        ExprKind::UnaryOp { op, operand } => {
            let _ = write!(out, "({} ", op.symbol());
            write_expr(out, operand);
            out.push(')');
        }
        ExprKind::BoolOp { op, values } => write_list(out, if *op == BoolOp::And { "and" } else { "or" }, values),
        ExprKind::Compare { left, ops } => {
            if let [(op, right)] = ops.as_slice() {
                let _ = write!(out, "({} ", op.symbol());
                write_expr(out, left);
                out.push(' ');
                write_expr(out, right);
            } else {
                out.push_str("(cmp ");
                write_expr(out, left);
                for (op, right) in ops {
                    let _ = write!(out, " {} ", op.symbol());
                    write_expr(out, right);
                }
            }
            out.push(')');
        }
        ExprKind::IfExp { test, body, orelse } => {
            out.push_str("(if ");
            write_expr(out, test);
            out.push(' ');
            write_expr(out, body);
            out.push(' ');
            write_expr(out, orelse);
            out.push(')');
        }
        ExprKind::Lambda { params, body } => {
            out.push_str("(lambda ");
            write_params(out, params);
            out.push(' ');
            write_expr(out, body);
            out.push(')');
        }
        ExprKind::Call { func, args } => {
            out.push_str("(call ");
            write_expr(out, func);
            for a in args {
                out.push(' ');
                write_arg(out, a);
            }
            out.push(')');
        }
        ExprKind::Attribute { value, attr } => {
            out.push_str("(. ");
            write_expr(out, value);
            let _ = write!(out, " {})", attr.name);
        }
        ExprKind::Subscript { value, index } => {
            out.push_str("([] ");
            write_expr(out, value);
            out.push(' ');
            write_expr(out, index);
            out.push(')');
        }
        ExprKind::Slice { lower, upper, step } => {
            out.push_str("(: ");
            write_opt(out, lower);
            out.push(' ');
            write_opt(out, upper);
            out.push(' ');
            write_opt(out, step);
            out.push(')');
        }
        ExprKind::ListComp { elt, generators }
        | ExprKind::SetComp { elt, generators }
        | ExprKind::GeneratorExp { elt, generators } => {
            let tag = match e.kind {
                ExprKind::ListComp { .. } => "listcomp",
                ExprKind::SetComp { .. } => "setcomp",
                _ => "genexp",
            };
            let _ = write!(out, "({tag} ");
            write_expr(out, elt);
            write_generators(out, generators);
            out.push(')');
        }
        ExprKind::DictComp { key, value, generators } => {
            out.push_str("(dictcomp ");
            write_expr(out, key);
            out.push(' ');
            write_expr(out, value);
            write_generators(out, generators);
            out.push(')');
        }
    }
}
