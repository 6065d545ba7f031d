//! The syntax tree of the Tensile language (a Python subset).
//!
//! Every node carries the byte range of the source text it was parsed from, so the
//! interpreter can point tracebacks and AutoGraph errors at the exact text.

use std::ops::Range;

/// A byte range into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// The span as a `Range` for slicing.
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// A name with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A parsed file or REPL input: a list of statements.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// The top-level statements in order.
    pub body: Vec<Stmt>,
}

/// A statement with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What kind of statement.
    pub kind: StmtKind,
    /// From its first token to its last (a compound statement includes its blocks).
    pub span: Span,
}

/// The statement kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (the REPL echoes its value).
    Expr(Expr),
    /// `a = b = value`: one or more targets, assigned left to right.
    Assign { targets: Vec<Expr>, value: Expr },
    /// `target op= value`.
    AugAssign { target: Expr, op: BinOp, value: Expr },
    /// `target: annotation [= value]`.
    AnnAssign { target: Expr, annotation: Expr, value: Option<Expr> },
    /// `def`.
    FunctionDef(Box<FunctionDef>),
    /// `class`.
    ClassDef(Box<ClassDef>),
    /// `return [value]`.
    Return(Option<Expr>),
    /// `if`/`elif`/`else`; an `elif` is an `If` alone in `orelse`.
    If { test: Expr, body: Vec<Stmt>, orelse: Vec<Stmt> },
    /// `while test: body else: orelse`.
    While { test: Expr, body: Vec<Stmt>, orelse: Vec<Stmt> },
    /// `for target in iter: body else: orelse`.
    For { target: Expr, iter: Expr, body: Vec<Stmt>, orelse: Vec<Stmt> },
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `pass`.
    Pass,
    /// `with a as b, c: body`.
    With { items: Vec<WithItem>, body: Vec<Stmt> },
    /// `try` with its handlers and optional `else`/`finally` blocks.
    Try { body: Vec<Stmt>, handlers: Vec<ExceptHandler>, orelse: Vec<Stmt>, finalbody: Vec<Stmt> },
    /// `raise [exc [from cause]]`.
    Raise { exc: Option<Expr>, cause: Option<Expr> },
    /// `assert test[, msg]`.
    Assert { test: Expr, msg: Option<Expr> },
    /// `del a, b[0]`.
    Delete(Vec<Expr>),
    /// `global a, b`.
    Global(Vec<Ident>),
    /// `nonlocal a, b`.
    Nonlocal(Vec<Ident>),
    /// `import a.b as c, d`.
    Import(Vec<Alias>),
    /// `from [.]module import a as b, c`; `level` counts the leading dots.
    ImportFrom { module: Option<Ident>, names: Vec<Alias>, level: usize },
}

/// A function definition.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    /// The function's name.
    pub name: Ident,
    /// Its parameters.
    pub params: Params,
    /// The `-> annotation`, if any.
    pub returns: Option<Expr>,
    /// The body.
    pub body: Vec<Stmt>,
    /// Decorator expressions, outermost first.
    pub decorators: Vec<Expr>,
}

/// A class definition.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassDef {
    /// The class's name.
    pub name: Ident,
    /// Base classes and keywords (`metaclass=`), as call arguments.
    pub bases: Vec<Arg>,
    /// The body.
    pub body: Vec<Stmt>,
    /// Decorator expressions, outermost first.
    pub decorators: Vec<Expr>,
}

/// The parameter list of a `def` or `lambda`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    /// Positional-or-keyword parameters.
    pub args: Vec<Param>,
    /// `*args`.
    pub vararg: Option<Param>,
    /// Keyword-only parameters (after `*` or `*args`).
    pub kwonly: Vec<Param>,
    /// `**kwargs`.
    pub kwarg: Option<Param>,
}

/// One parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: Ident,
    /// `: annotation`.
    pub annotation: Option<Expr>,
    /// `= default`.
    pub default: Option<Expr>,
    /// From the name to the end of the default.
    pub span: Span,
}

/// One `expr [as target]` of a `with`.
#[derive(Clone, Debug, PartialEq)]
pub struct WithItem {
    /// The context manager expression.
    pub context: Expr,
    /// What `__enter__`'s result is bound to.
    pub target: Option<Expr>,
}

/// One `except [type [as name]]:` clause.
#[derive(Clone, Debug, PartialEq)]
pub struct ExceptHandler {
    /// The exception type (or tuple of types); `None` catches everything.
    pub typ: Option<Expr>,
    /// The name bound to the exception.
    pub name: Option<Ident>,
    /// The handler's body.
    pub body: Vec<Stmt>,
    /// From `except` to the end of the body.
    pub span: Span,
}

/// `name [as asname]` in an import; `name` may be dotted (`a.b.c`) or `*`.
#[derive(Clone, Debug, PartialEq)]
pub struct Alias {
    /// The imported (possibly dotted) name.
    pub name: Ident,
    /// The binding name, if renamed.
    pub asname: Option<Ident>,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// The text it was parsed from (parentheses included for tuples, not for `(x)`).
    pub span: Span,
}

/// The expression kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A variable reference.
    Name(String),
    /// A literal.
    Constant(Constant),
    /// An f-string (after concatenation with neighbouring literals).
    FString(Vec<FStringPart>),
    /// `(a, b)` or bare `a, b`.
    Tuple(Vec<Expr>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{a, b}`.
    Set(Vec<Expr>),
    /// `{k: v, **other}`.
    Dict(Vec<DictItem>),
    /// `*x` inside a display (`[*a, *b]`).
    Starred(Box<Expr>),
    /// A binary arithmetic or bitwise operation.
    BinOp { left: Box<Expr>, op: BinOp, right: Box<Expr> },
    /// A unary operation.
    UnaryOp { op: UnaryOp, operand: Box<Expr> },
    /// `a and b and c` / `a or b`.
    BoolOp { op: BoolOp, values: Vec<Expr> },
    /// `a < b <= c`: the first operand and each (operator, operand) pair.
    Compare { left: Box<Expr>, ops: Vec<(CmpOp, Expr)> },
    /// `body if test else orelse`.
    IfExp { test: Box<Expr>, body: Box<Expr>, orelse: Box<Expr> },
    /// `lambda params: body`.
    Lambda { params: Box<Params>, body: Box<Expr> },
    /// `func(args)`.
    Call { func: Box<Expr>, args: Vec<Arg> },
    /// `value.attr`.
    Attribute { value: Box<Expr>, attr: Ident },
    /// `value[index]`; several indices make `index` a `Tuple`.
    Subscript { value: Box<Expr>, index: Box<Expr> },
    /// `lower:upper:step` inside a subscript.
    Slice { lower: Option<Box<Expr>>, upper: Option<Box<Expr>>, step: Option<Box<Expr>> },
    /// `[elt for ...]`.
    ListComp { elt: Box<Expr>, generators: Vec<Comprehension> },
    /// `{elt for ...}`.
    SetComp { elt: Box<Expr>, generators: Vec<Comprehension> },
    /// `{key: value for ...}`.
    DictComp { key: Box<Expr>, value: Box<Expr>, generators: Vec<Comprehension> },
    /// `(elt for ...)`.
    GeneratorExp { elt: Box<Expr>, generators: Vec<Comprehension> },
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Constant {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// `...`.
    Ellipsis,
    /// An integer literal (Python ints are unbounded; literals beyond u64 are rejected).
    Int(u64),
    /// A float literal.
    Float(f64),
    /// A string literal, escapes decoded, neighbours concatenated.
    Str(String),
}

/// A piece of an f-string.
#[derive(Clone, Debug, PartialEq)]
pub enum FStringPart {
    /// Literal text (escapes and `{{`/`}}` decoded).
    Literal(String),
    /// A replacement field `{expr!conv:spec}`.
    Field {
        /// The expression.
        expr: Box<Expr>,
        /// `r`, `s` or `a` after `!`.
        conversion: Option<char>,
        /// The format spec after `:`, which may itself hold fields.
        format_spec: Option<Vec<FStringPart>>,
    },
}

/// One entry of a dict display.
#[derive(Clone, Debug, PartialEq)]
pub enum DictItem {
    /// `key: value`.
    Pair(Expr, Expr),
    /// `**mapping`.
    Unpack(Expr),
}

/// One argument of a call.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `value`.
    Positional(Expr),
    /// `name=value`.
    Keyword(Ident, Expr),
    /// `*iterable`.
    Star(Expr),
    /// `**mapping`.
    DoubleStar(Expr),
}

/// One `for target in iter if cond...` clause of a comprehension.
#[derive(Clone, Debug, PartialEq)]
pub struct Comprehension {
    /// The loop target.
    pub target: Expr,
    /// The iterable.
    pub iter: Expr,
    /// The filter conditions.
    pub ifs: Vec<Expr>,
}

/// Binary operators (also used by augmented assignment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `@`
    MatMul,
    /// `<<`
    LShift,
    /// `>>`
    RShift,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::MatMul => "@",
            BinOp::LShift => "<<",
            BinOp::RShift => ">>",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
        }
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `+`
    Pos,
    /// `~`
    Invert,
    /// `not`
    Not,
}

impl UnaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Pos => "+",
            UnaryOp::Invert => "~",
            UnaryOp::Not => "not",
        }
    }
}

/// `and` / `or`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoolOp {
    /// `and`
    And,
    /// `or`
    Or,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtE,
    /// `>`
    Gt,
    /// `>=`
    GtE,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `is`
    Is,
    /// `is not`
    IsNot,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::NotEq => "!=",
            CmpOp::Lt => "<",
            CmpOp::LtE => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtE => ">=",
            CmpOp::In => "in",
            CmpOp::NotIn => "not-in",
            CmpOp::Is => "is",
            CmpOp::IsNot => "is-not",
        }
    }
}
