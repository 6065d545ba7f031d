//! Fused elementwise programs: a small register program of float unary and binary functions,
//! run in one pass over memory.
//!
//! The output is computed block by block (`BLOCK` elements, small enough that every live
//! register of a block stays in L1). Each instruction is a tight loop over one block, compiled
//! for the best available instruction set like the unfused kernels, and the per-element
//! formulas are the unfused ops' own (same `fastmath` functions, same expression shapes), so
//! a fused program gives bit-identical results to running its ops one at a time.
//!
//! Text form (stored in the `program` attribute of `fused_elementwise`): registers `r0..rK-1`
//! are the inputs, each statement defines the next register, literals are float numbers:
//!
//! ```text
//! r1 = mul r0 2.0; r2 = add r1 1.0; r3 = tanh r2; r4 = sigmoid r0; r5 = mul r3 r4; r6 = sub r5 r0; return r6
//! ```

use crate::kernels::elementwise::{alloc_out, isa, FloatExt, Isa, Scalar, PAR_THRESHOLD, STREAM_MIN_BYTES};
use crate::kernels::fastmath::FastMath;
use rayon::prelude::*;
use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};

/// Elements per block: 16 KiB of float32 registers for a program with four live values.
pub const BLOCK: usize = 1024;
/// Elements per parallel task.
const TASK: usize = 32 * BLOCK;
/// Longest accepted program text.
pub const MAX_PROGRAM_CHARS: usize = 1 << 16;
/// Most instructions in one program.
pub const MAX_INSTRUCTIONS: usize = 4096;

// Must equal the constants of `selu` in `ops::math::unary` (the bit-exactness tests compare them).
const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

macro_rules! fn_enum {
    ($(#[$m:meta])* $E:ident { $($V:ident = $name:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $E {
            $(#[doc = concat!("The `", $name, "` op.")] $V,)*
        }
        impl $E {
            /// Every function, in declaration order.
            pub const ALL: &'static [$E] = &[$($E::$V),*];
            /// The registry name of the op this function computes.
            pub fn name(self) -> &'static str {
                match self { $($E::$V => $name,)* }
            }
            /// The function computing the registry op `name`, if there is one.
            pub fn from_name(name: &str) -> Option<$E> {
                match name { $($name => Some($E::$V),)* _ => None }
            }
        }
    };
}

fn_enum!(
    /// Float unary functions a program can apply.
    UnaryFn {
        Neg = "neg", Abs = "abs", Sign = "sign", Square = "square", Reciprocal = "reciprocal",
        Exp = "exp", Expm1 = "expm1", Log = "log", Log1p = "log1p", Sqrt = "sqrt", Rsqrt = "rsqrt",
        Sin = "sin", Cos = "cos", Tan = "tan", Asin = "asin", Acos = "acos", Atan = "atan", Sinh = "sinh",
        Cosh = "cosh", Asinh = "asinh", Acosh = "acosh", Atanh = "atanh", Tanh = "tanh", Sigmoid = "sigmoid", Relu = "relu",
        Relu6 = "relu6", Elu = "elu", Selu = "selu", Softplus = "softplus", Softsign = "softsign",
        Silu = "silu", Erf = "erf", Floor = "floor", Ceil = "ceil", Round = "round",
    }
);

fn_enum!(
    /// Float binary functions a program can apply.
    BinaryFn {
        Add = "add", Sub = "sub", Mul = "mul", Div = "div", Maximum = "maximum", Minimum = "minimum",
        SquaredDifference = "squared_difference", Pow = "pow", Atan2 = "atan2",
        ReluGrad = "relu_grad",
    }
);

/// An instruction operand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg {
    /// A register (input or earlier result).
    Reg(usize),
    /// A literal, converted to the program's dtype (exactly, for values printed from it).
    Lit(f64),
}

/// One instruction; its result is the next register.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instr {
    /// `f(a)`.
    Unary(UnaryFn, Arg),
    /// `f(a, b)`.
    Binary(BinaryFn, Arg, Arg),
}

/// A parsed, validated program.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Registers `0..num_inputs` hold the inputs.
    pub num_inputs: usize,
    /// Instruction `i` defines register `num_inputs + i`.
    pub instrs: Vec<Instr>,
    /// Registers returned, in output order.
    pub outputs: Vec<usize>,
}

fn fmt_arg(a: Arg) -> String {
    match a {
        Arg::Reg(r) => format!("r{r}"),
        // `{:?}` of an f64 parses back to the same f64, and a float32 widened to f64 narrows
        // back exactly, so literals survive the text round trip bit for bit.
        Arg::Lit(v) => format!("{v:?}"),
    }
}

impl Program {
    /// The text form (parses back to an equal program).
    pub fn to_text(&self) -> String {
        let mut parts: Vec<String> = self
            .instrs
            .iter()
            .enumerate()
            .map(|(i, ins)| {
                let r = self.num_inputs + i;
                match *ins {
                    Instr::Unary(f, a) => format!("r{r} = {} {}", f.name(), fmt_arg(a)),
                    Instr::Binary(f, a, b) => format!("r{r} = {} {} {}", f.name(), fmt_arg(a), fmt_arg(b)),
                }
            })
            .collect();
        let outs: Vec<String> = self.outputs.iter().map(|&r| format!("r{r}")).collect();
        parts.push(format!("return {}", outs.join(", ")));
        parts.join("; ")
    }

    /// Parses and validates `text` for a call with `num_inputs` inputs.
    pub fn parse(text: &str, num_inputs: usize) -> std::result::Result<Program, String> {
        if text.len() > MAX_PROGRAM_CHARS {
            return Err(format!("program is {} characters long; at most {MAX_PROGRAM_CHARS} are allowed", text.len()));
        }
        let mut instrs = Vec::new();
        let mut outputs = None;
        for (k, stmt) in text.split(';').map(str::trim).enumerate() {
            if outputs.is_some() {
                return Err(format!("statement {k} (`{stmt}`) follows `return`, which must come last"));
            }
            let defined = num_inputs + instrs.len();
            if let Some(rest) = stmt.strip_prefix("return") {
                let regs: Vec<usize> = rest
                    .split(',')
                    .map(|t| parse_reg(t.trim(), defined))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|e| format!("in `{stmt}`: {e}"))?;
                outputs = Some(regs);
                continue;
            }
            if instrs.len() >= MAX_INSTRUCTIONS {
                return Err(format!("program has more than {MAX_INSTRUCTIONS} instructions"));
            }
            instrs.push(parse_instr(stmt, defined).map_err(|e| format!("in statement {k} (`{stmt}`): {e}"))?);
        }
        let outputs = outputs.ok_or("program does not end with `return r..`")?;
        Ok(Program { num_inputs, instrs, outputs })
    }

    /// The parsed program of `text`, from a cache (kernels and shape rules ask for it on every
    /// call).
    pub fn cached(text: &str, num_inputs: usize) -> std::result::Result<Arc<Program>, String> {
        type Cache = HashMap<(String, usize), Arc<Program>>;
        static CACHE: Mutex<Option<Cache>> = Mutex::new(None);
        let key = (text.to_string(), num_inputs);
        if let Ok(guard) = CACHE.lock() {
            if let Some(p) = guard.as_ref().and_then(|m| m.get(&key)) {
                return Ok(p.clone());
            }
        }
        let p = Arc::new(Program::parse(text, num_inputs)?);
        if let Ok(mut guard) = CACHE.lock() {
            let map = guard.get_or_insert_with(HashMap::new);
            // Bounded: a process tracing many distinct programs re-parses rather than grows.
            if map.len() >= 256 {
                map.clear();
            }
            map.insert(key, p.clone());
        }
        Ok(p)
    }
}

fn parse_reg(tok: &str, defined: usize) -> std::result::Result<usize, String> {
    let r: usize = tok
        .strip_prefix('r')
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| format!("expected a register like `r0`, found `{tok}`"))?;
    if r >= defined {
        return Err(format!("register r{r} is used before it is defined (r0..r{} exist)", defined.saturating_sub(1)));
    }
    Ok(r)
}

fn parse_arg(tok: &str, defined: usize) -> std::result::Result<Arg, String> {
    if tok.starts_with('r') {
        return parse_reg(tok, defined).map(Arg::Reg);
    }
    tok.parse::<f64>().map(Arg::Lit).map_err(|_| format!("`{tok}` is neither a register nor a number"))
}

fn parse_instr(stmt: &str, defined: usize) -> std::result::Result<Instr, String> {
    let (dest, rhs) = stmt.split_once('=').ok_or("expected `rN = op args`")?;
    let dest = dest.trim();
    if dest != format!("r{defined}") {
        return Err(format!("this statement must define r{defined}, it defines `{dest}`"));
    }
    let toks: Vec<&str> = rhs.split_whitespace().collect();
    match toks.as_slice() {
        [op, a] => {
            let f = UnaryFn::from_name(op).ok_or_else(|| format!("`{op}` is not a supported unary function"))?;
            Ok(Instr::Unary(f, parse_arg(a, defined)?))
        }
        [op, a, b] => {
            let f = BinaryFn::from_name(op).ok_or_else(|| format!("`{op}` is not a supported binary function"))?;
            Ok(Instr::Binary(f, parse_arg(a, defined)?, parse_arg(b, defined)?))
        }
        _ => Err("expected a function name and one or two operands".to_string()),
    }
}

/// Float element types programs run on.
pub trait FusedFloat:
    Scalar
    + FastMath
    + FloatExt
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + Default
{
    /// Natural logarithm.
    fn ln_(self) -> Self;
    /// `ln(1 + x)`.
    fn ln_1p_(self) -> Self;
    /// Square root.
    fn sqrt_(self) -> Self;
    /// Sine.
    fn sin_(self) -> Self;
    /// Cosine.
    fn cos_(self) -> Self;
    /// Tangent.
    fn tan_(self) -> Self;
    /// Arcsine.
    fn asin_(self) -> Self;
    /// Arccosine.
    fn acos_(self) -> Self;
    /// Arctangent.
    fn atan_(self) -> Self;
    /// Hyperbolic sine.
    fn sinh_(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh_(self) -> Self;
    /// Inverse hyperbolic sine.
    fn asinh_(self) -> Self;
    /// Inverse hyperbolic cosine.
    fn acosh_(self) -> Self;
    /// Inverse hyperbolic tangent.
    fn atanh_(self) -> Self;
    /// Four-quadrant arctangent of `self / x`.
    fn atan2_(self, x: Self) -> Self;
    /// Floor.
    fn floor_(self) -> Self;
    /// Ceiling.
    fn ceil_(self) -> Self;
    /// Round half to even.
    fn round_(self) -> Self;
    /// `self ^ y`.
    fn powf_(self, y: Self) -> Self;
    /// Absolute value.
    fn fabs(self) -> Self;
    /// NaN test.
    fn nan(self) -> bool;
}

macro_rules! fused_float {
    ($t:ty) => {
        impl FusedFloat for $t {
            #[inline(always)]
            fn ln_(self) -> Self {
                self.ln()
            }
            #[inline(always)]
            fn ln_1p_(self) -> Self {
                self.ln_1p()
            }
            #[inline(always)]
            fn sqrt_(self) -> Self {
                self.sqrt()
            }
            #[inline(always)]
            fn sin_(self) -> Self {
                self.sin()
            }
            #[inline(always)]
            fn cos_(self) -> Self {
                self.cos()
            }
            #[inline(always)]
            fn tan_(self) -> Self {
                self.tan()
            }
            #[inline(always)]
            fn asin_(self) -> Self {
                self.asin()
            }
            #[inline(always)]
            fn acos_(self) -> Self {
                self.acos()
            }
            #[inline(always)]
            fn atan_(self) -> Self {
                self.atan()
            }
            #[inline(always)]
            fn sinh_(self) -> Self {
                self.sinh()
            }
            #[inline(always)]
            fn cosh_(self) -> Self {
                self.cosh()
            }
            #[inline(always)]
            fn asinh_(self) -> Self {
                self.asinh()
            }
            #[inline(always)]
            fn acosh_(self) -> Self {
                self.acosh()
            }
            #[inline(always)]
            fn atanh_(self) -> Self {
                self.atanh()
            }
            #[inline(always)]
            fn atan2_(self, x: Self) -> Self {
                self.atan2(x)
            }
            #[inline(always)]
            fn floor_(self) -> Self {
                self.floor()
            }
            #[inline(always)]
            fn ceil_(self) -> Self {
                self.ceil()
            }
            #[inline(always)]
            fn round_(self) -> Self {
                self.round_ties_even()
            }
            #[inline(always)]
            fn powf_(self, y: Self) -> Self {
                self.powf(y)
            }
            #[inline(always)]
            fn fabs(self) -> Self {
                self.abs()
            }
            #[inline(always)]
            fn nan(self) -> bool {
                self.is_nan()
            }
        }
    };
}
fused_float!(f32);
fused_float!(f64);

/// Applies `f` to one value (the formula of the op `f` names).
#[inline(always)]
pub fn unary_value<T: FusedFloat>(f: UnaryFn, x: T) -> T {
    let mut out = [T::ZERO];
    unary_slice(f, &[x], &mut out);
    out[0]
}

/// `dst[i] = f(src[i])`, as a loop specialised for `f` (so it vectorizes).
#[inline(always)]
pub fn unary_slice<T: FusedFloat>(f: UnaryFn, src: &[T], dst: &mut [T]) {
    macro_rules! each {
        (|$x:ident| $e:expr) => {
            for (o, &$x) in dst.iter_mut().zip(src) {
                *o = $e;
            }
        };
    }
    let six = T::of(6.0);
    let one = T::ONE;
    match f {
        UnaryFn::Neg => each!(|x| x.neg_()),
        UnaryFn::Abs => each!(|x| x.abs_()),
        UnaryFn::Sign => each!(|x| x.sign_()),
        UnaryFn::Square => each!(|x| x.square_()),
        UnaryFn::Reciprocal => each!(|x| one / x),
        UnaryFn::Exp => each!(|x| x.fast_exp()),
        UnaryFn::Expm1 => each!(|x| x.fast_expm1()),
        UnaryFn::Log => each!(|x| x.ln_()),
        UnaryFn::Log1p => each!(|x| x.ln_1p_()),
        UnaryFn::Sqrt => each!(|x| x.sqrt_()),
        UnaryFn::Rsqrt => each!(|x| one / x.sqrt_()),
        UnaryFn::Sin => each!(|x| x.sin_()),
        UnaryFn::Cos => each!(|x| x.cos_()),
        UnaryFn::Tan => each!(|x| x.tan_()),
        UnaryFn::Asin => each!(|x| x.asin_()),
        UnaryFn::Acos => each!(|x| x.acos_()),
        UnaryFn::Atan => each!(|x| x.atan_()),
        UnaryFn::Sinh => each!(|x| x.sinh_()),
        UnaryFn::Cosh => each!(|x| x.cosh_()),
        UnaryFn::Asinh => each!(|x| x.asinh_()),
        UnaryFn::Acosh => each!(|x| x.acosh_()),
        UnaryFn::Atanh => each!(|x| x.atanh_()),
        UnaryFn::Tanh => each!(|x| x.fast_tanh()),
        UnaryFn::Sigmoid => each!(|x| x.fast_sigmoid()),
        UnaryFn::Relu => each!(|x| if x > T::ZERO { x } else { T::ZERO }),
        UnaryFn::Relu6 => each!(|x| if x > T::ZERO {
            if x < six {
                x
            } else {
                six
            }
        } else {
            T::ZERO
        }),
        UnaryFn::Elu => each!(|x| {
            let e = x.fast_expm1();
            if x > T::ZERO {
                x
            } else {
                e
            }
        }),
        UnaryFn::Selu => {
            let (alpha, scale) = (T::of(SELU_ALPHA), T::of(SELU_SCALE));
            each!(|x| {
                let e = alpha * x.fast_expm1();
                scale * if x > T::ZERO { x } else { e }
            })
        }
        UnaryFn::Softplus => each!(|x| x.fast_softplus()),
        UnaryFn::Softsign => each!(|x| x / (x.fabs() + one)),
        UnaryFn::Silu => each!(|x| x * x.fast_sigmoid()),
        UnaryFn::Erf => each!(|x| x.erf_()),
        UnaryFn::Floor => each!(|x| x.floor_()),
        UnaryFn::Ceil => each!(|x| x.ceil_()),
        UnaryFn::Round => each!(|x| x.round_()),
    }
}

#[inline(always)]
fn binary_value<T: FusedFloat>(f: BinaryFn, x: T, y: T) -> T {
    let mut out = [T::ZERO];
    binary_slice(f, Src::S(x), Src::S(y), &mut out);
    out[0]
}

/// An operand over one block: a slice, or one value for every element.
#[derive(Clone, Copy)]
enum Src<'a, T> {
    V(&'a [T]),
    S(T),
}

#[inline(always)]
fn binary_slice<T: FusedFloat>(f: BinaryFn, a: Src<T>, b: Src<T>, dst: &mut [T]) {
    macro_rules! each {
        (|$x:ident, $y:ident| $e:expr) => {
            match (a, b) {
                (Src::V(va), Src::V(vb)) => {
                    for ((o, &$x), &$y) in dst.iter_mut().zip(va).zip(vb) {
                        *o = $e;
                    }
                }
                (Src::V(va), Src::S($y)) => {
                    for (o, &$x) in dst.iter_mut().zip(va) {
                        *o = $e;
                    }
                }
                (Src::S($x), Src::V(vb)) => {
                    for (o, &$y) in dst.iter_mut().zip(vb) {
                        *o = $e;
                    }
                }
                (Src::S($x), Src::S($y)) => {
                    let v = $e;
                    dst.fill(v);
                }
            }
        };
    }
    match f {
        BinaryFn::Add => each!(|x, y| x + y),
        BinaryFn::Sub => each!(|x, y| x - y),
        BinaryFn::Mul => each!(|x, y| x * y),
        BinaryFn::Div => each!(|x, y| x / y),
        BinaryFn::Maximum => each!(|x, y| if x >= y || x.nan() { x } else { y }),
        BinaryFn::Minimum => each!(|x, y| if x <= y || x.nan() { x } else { y }),
        BinaryFn::SquaredDifference => each!(|x, y| (x - y) * (x - y)),
        BinaryFn::Pow => each!(|x, y| x.powf_(y)),
        BinaryFn::Atan2 => each!(|x, y| x.atan2_(y)),
        BinaryFn::ReluGrad => each!(|g, f| g * if f > T::ZERO { T::ONE } else { T::ZERO }),
    }
}

/// Where each register of a program lives while a block runs.
#[derive(Clone, Copy, Debug)]
enum Loc<T> {
    /// Input `k`, a full-size operand read in place.
    Input(usize),
    /// A value computed once (scalar inputs, literals and what only depends on them).
    Scalar(T),
    /// A block-sized scratch buffer.
    Slot(usize),
}

/// Register placement for one call: scalars are folded, and scratch buffers are reused once
/// the value in them is dead.
struct Layout<T> {
    locs: Vec<Loc<T>>,
    num_slots: usize,
    /// The input that lives in output 0's buffer (in-place runs), and the scratch slot each
    /// block copies it into before output 0 overwrites it.
    staged: Option<(usize, usize)>,
}

fn layout<T: FusedFloat>(p: &Program, scalar_inputs: &[Option<T>], staged_input: Option<usize>) -> Layout<T> {
    let nregs = p.num_inputs + p.instrs.len();
    let mut last_use = vec![0usize; nregs];
    let args = |ins: &Instr| -> [Option<usize>; 2] {
        let reg = |a: &Arg| match a {
            Arg::Reg(r) => Some(*r),
            Arg::Lit(_) => None,
        };
        match ins {
            Instr::Unary(_, a) => [reg(a), None],
            Instr::Binary(_, a, b) => [reg(a), reg(b)],
        }
    };
    for (i, ins) in p.instrs.iter().enumerate() {
        for r in args(ins).into_iter().flatten() {
            last_use[r] = i + 1;
        }
    }
    for &r in &p.outputs {
        last_use[r] = usize::MAX;
    }
    let mut locs: Vec<Loc<T>> =
        (0..p.num_inputs).map(|k| scalar_inputs.get(k).copied().flatten().map_or(Loc::Input(k), Loc::Scalar)).collect();
    let mut free: Vec<usize> = Vec::new();
    let mut num_slots = 0;
    let staged = staged_input.filter(|&k| k < p.num_inputs).map(|k| {
        locs[k] = Loc::Slot(0);
        num_slots = 1;
        (k, 0)
    });
    for (i, ins) in p.instrs.iter().enumerate() {
        let val = |a: &Arg, locs: &[Loc<T>]| match a {
            Arg::Lit(v) => Some(T::of(*v)),
            Arg::Reg(r) => match locs[*r] {
                Loc::Scalar(s) => Some(s),
                _ => None,
            },
        };
        let folded = match ins {
            Instr::Unary(f, a) => val(a, &locs).map(|x| unary_value(*f, x)),
            Instr::Binary(f, a, b) => match (val(a, &locs), val(b, &locs)) {
                (Some(x), Some(y)) => Some(binary_value(*f, x, y)),
                _ => None,
            },
        };
        let loc = match folded {
            Some(v) => Loc::Scalar(v),
            None => Loc::Slot(free.pop().unwrap_or_else(|| {
                num_slots += 1;
                num_slots - 1
            })),
        };
        locs.push(loc);
        // Operands dying here release their buffers only now, so no instruction writes a
        // buffer it also reads.
        for r in args(ins).into_iter().flatten() {
            if last_use[r] == i + 1 {
                if let Loc::Slot(s) = locs[r] {
                    if !free.contains(&s) {
                        free.push(s);
                    }
                }
            }
        }
        let r = p.num_inputs + i;
        if last_use[r] == 0 {
            if let Loc::Slot(s) = locs[r] {
                free.push(s);
            }
        }
    }
    Layout { locs, num_slots, staged }
}

/// Runs `program` over `n` elements. `inputs[k]` has `n` elements or exactly one (a scalar,
/// broadcast). Returns one vector of `n` elements per program output.
pub fn run<T: FusedFloat>(program: &Program, inputs: &[&[T]], n: usize) -> Vec<Vec<T>> {
    run_impl(program, inputs, None, n)
}

/// Like [`run`], but input `at` is `buf` (`n` elements), which receives output 0; `others` are
/// the remaining inputs in order. Returns outputs 1 and on. Results are bit-identical to `run`.
pub fn run_inplace<T: FusedFloat>(
    program: &Program,
    at: usize,
    buf: &mut [T],
    others: &[&[T]],
    n: usize,
) -> Vec<Vec<T>> {
    if buf.len() != n || at > others.len() || program.outputs.is_empty() {
        // Not an in-place call after all: compute normally and copy output 0 over.
        let mut inputs: Vec<&[T]> = others.to_vec();
        let own = buf.to_vec();
        inputs.insert(at.min(others.len()), &own);
        let mut outs = run_impl(program, &inputs, None, n);
        if let Some(first) = outs.first() {
            if first.len() == buf.len() {
                buf.copy_from_slice(first);
            }
        }
        if !outs.is_empty() {
            outs.remove(0);
        }
        return outs;
    }
    let mut inputs: Vec<&[T]> = others.to_vec();
    // Reads of input `at` come from the staged copy of each block, never from this stand-in.
    inputs.insert(at, &[]);
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and every write through this view stores
    // an initialized value, so `buf` stays initialized.
    let view: &mut [MaybeUninit<T>] = unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast(), buf.len()) };
    run_impl(program, &inputs, Some((at, view)), n)
}

fn run_impl<T: FusedFloat>(
    program: &Program,
    inputs: &[&[T]],
    inplace: Option<(usize, &mut [MaybeUninit<T>])>,
    n: usize,
) -> Vec<Vec<T>> {
    let staged_input = inplace.as_ref().map(|(k, _)| *k);
    let scalars: Vec<Option<T>> = inputs
        .iter()
        .enumerate()
        .map(|(k, s)| if s.len() == n || Some(k) == staged_input { None } else { s.first().copied() })
        .collect();
    let lay = layout(program, &scalars, staged_input);
    let fresh = program.outputs.len() - usize::from(inplace.is_some());
    let mut outs: Vec<Vec<T>> = (0..fresh).map(|_| alloc_out(n)).collect();
    {
        // In place, output 0's lines were just read into cache: plain stores are cheaper there.
        let stream = inplace.is_none() && n.saturating_mul(std::mem::size_of::<T>()) >= STREAM_MIN_BYTES;
        let mut spare: Vec<std::slice::ChunksMut<'_, MaybeUninit<T>>> = inplace
            .map(|(_, view)| view.chunks_mut(TASK))
            .into_iter()
            .chain(outs.iter_mut().map(|v| v.spare_capacity_mut()[..n].chunks_mut(TASK)))
            .collect();
        let tasks: Vec<Vec<&mut [MaybeUninit<T>]>> =
            (0..n.div_ceil(TASK)).map(|_| spare.iter_mut().filter_map(|c| c.next()).collect()).collect();
        let job = |(t, mut dsts): (usize, Vec<&mut [MaybeUninit<T>]>)| {
            run_task(program, &lay, inputs, t * TASK, &mut dsts, stream);
        };
        if n < PAR_THRESHOLD {
            tasks.into_iter().enumerate().for_each(job);
        } else {
            tasks.into_par_iter().enumerate().for_each(job);
        }
    }
    for v in &mut outs {
        // SAFETY: every element 0..n of every output was written by exactly one task (each
        // task writes all of its chunk, block by block).
        unsafe { v.set_len(n) };
    }
    outs
}

/// Runs the blocks of one task, picking the widest instruction set the CPU has.
fn run_task<T: FusedFloat>(
    p: &Program,
    lay: &Layout<T>,
    inputs: &[&[T]],
    start: usize,
    dsts: &mut [&mut [MaybeUninit<T>]],
    stream: bool,
) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        fn avx2<T: FusedFloat>(
            p: &Program,
            lay: &Layout<T>,
            inputs: &[&[T]],
            start: usize,
            dsts: &mut [&mut [MaybeUninit<T>]],
            stream: bool,
        ) {
            task_body(p, lay, inputs, start, dsts, stream)
        }
        #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
        fn avx512<T: FusedFloat>(
            p: &Program,
            lay: &Layout<T>,
            inputs: &[&[T]],
            start: usize,
            dsts: &mut [&mut [MaybeUninit<T>]],
            stream: bool,
        ) {
            task_body(p, lay, inputs, start, dsts, stream)
        }
        match isa() {
            // SAFETY: `isa()` reported that the CPU supports these features.
            Isa::Avx512 => return unsafe { avx512(p, lay, inputs, start, dsts, stream) },
            // SAFETY: as above.
            Isa::Avx2 => return unsafe { avx2(p, lay, inputs, start, dsts, stream) },
            Isa::Base => {}
        }
    }
    task_body(p, lay, inputs, start, dsts, stream)
}

#[inline(always)]
fn task_body<T: FusedFloat>(
    p: &Program,
    lay: &Layout<T>,
    inputs: &[&[T]],
    start: usize,
    dsts: &mut [&mut [MaybeUninit<T>]],
    stream: bool,
) {
    let len = dsts.first().map_or(0, |d| d.len());
    let mut slots: Vec<Vec<T>> = (0..lay.num_slots).map(|_| vec![T::ZERO; BLOCK]).collect();
    let mut pos = 0;
    while pos < len {
        let bl = BLOCK.min(len - pos);
        let at = start + pos;
        if let (Some((_, slot)), Some(own)) = (lay.staged, dsts.first()) {
            for (d, x) in slots[slot][..bl].iter_mut().zip(&own[pos..pos + bl]) {
                // SAFETY: in an in-place run output 0's buffer holds the donated input, fully
                // initialized, and this block of it has not been overwritten yet.
                *d = unsafe { x.assume_init() };
            }
        }
        for (i, ins) in p.instrs.iter().enumerate() {
            let Loc::Slot(d) = lay.locs[p.num_inputs + i] else { continue };
            let mut dst = std::mem::take(&mut slots[d]);
            {
                let src = |a: &Arg| -> Src<T> {
                    match a {
                        Arg::Lit(v) => Src::S(T::of(*v)),
                        Arg::Reg(r) => match lay.locs[*r] {
                            Loc::Input(k) => Src::V(&inputs[k][at..at + bl]),
                            Loc::Scalar(s) => Src::S(s),
                            Loc::Slot(s) => Src::V(&slots[s][..bl]),
                        },
                    }
                };
                match ins {
                    Instr::Unary(f, a) => match src(a) {
                        Src::V(v) => unary_slice(*f, v, &mut dst[..bl]),
                        Src::S(s) => dst[..bl].fill(unary_value(*f, s)),
                    },
                    Instr::Binary(f, a, b) => binary_slice(*f, src(a), src(b), &mut dst[..bl]),
                }
            }
            slots[d] = dst;
        }
        for (o, &r) in p.outputs.iter().enumerate() {
            let out = &mut dsts[o][pos..pos + bl];
            let value: Src<T> = match lay.locs[r] {
                Loc::Input(k) => Src::V(&inputs[k][at..at + bl]),
                Loc::Scalar(s) => Src::S(s),
                Loc::Slot(s) => Src::V(&slots[s][..bl]),
            };
            match value {
                Src::S(s) => out.iter_mut().for_each(|o| {
                    o.write(s);
                }),
                Src::V(v) => write_out(v, out, stream),
            }
        }
        pos += bl;
    }
    #[cfg(target_arch = "x86_64")]
    if stream {
        // Non-temporal stores are weakly ordered: make them visible before the task reports
        // completion to the thread that will read the outputs.
        // SAFETY: `sfence` has no preconditions (SSE is part of x86-64).
        unsafe { std::arch::x86_64::_mm_sfence() };
    }
}

#[inline(always)]
fn write_out<T: Copy>(v: &[T], out: &mut [MaybeUninit<T>], stream: bool) {
    #[cfg(target_arch = "x86_64")]
    if stream {
        // SAFETY: `v` and `out` have the same length, do not overlap (one is a scratch block,
        // the other an output being filled), and `T` is plain data.
        unsafe {
            crate::kernels::elementwise::stream_copy(
                v.as_ptr() as *const u8,
                out.as_mut_ptr() as *mut u8,
                std::mem::size_of_val(v),
            )
        };
        return;
    }
    let _ = stream;
    for (o, &x) in out.iter_mut().zip(v) {
        o.write(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: &str =
        "r1 = mul r0 2.0; r2 = add r1 1.0; r3 = tanh r2; r4 = sigmoid r0; r5 = mul r3 r4; r6 = sub r5 r0; return r6";

    #[test]
    fn text_round_trips() {
        let p = Program::parse(CHAIN, 1).expect("valid");
        assert_eq!(p.to_text(), CHAIN);
        assert_eq!(p.instrs.len(), 6);
        let lit = Program::parse("r1 = add r0 0.10000000149011612; r2 = mul r1 -inf; return r2, r1", 1).expect("valid");
        assert_eq!(Program::parse(&lit.to_text(), 1).expect("valid"), lit);
        assert_eq!(lit.outputs, vec![2, 1]);
    }

    #[test]
    fn hostile_programs_are_errors() {
        let bad = [
            "",
            "return",
            "return r5",
            "r1 = exp r0",
            "r2 = exp r0; return r2",
            "r1 = exp r1; return r1",
            "r1 = frobnicate r0; return r1",
            "r1 = add r0; return r1",
            "r1 = exp r0 r0; return r1",
            "r1 = exp r0 r0 r0; return r1",
            "r1 = add r0 1.0.0; return r1",
            "return r0; r1 = exp r0",
            "r1 = exp r99999999999999999999999; return r1",
            "r1 exp r0; return r1",
        ];
        for b in bad {
            assert!(Program::parse(b, 1).is_err(), "{b:?} parsed");
        }
        assert!(Program::parse(&"r1 = exp r0; ".repeat(MAX_PROGRAM_CHARS), 1).is_err());
    }

    #[test]
    fn chain_matches_the_scalar_formula_across_block_and_task_edges() {
        let p = Program::parse(CHAIN, 1).expect("valid");
        for n in [0usize, 1, 7, BLOCK + 3, TASK * 2 + 5, PAR_THRESHOLD + 1] {
            let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 4.0).collect();
            let out = run(&p, &[&x], n);
            let want: Vec<f32> = x.iter().map(|&v| (v * 2.0 + 1.0).fast_tanh() * v.fast_sigmoid() - v).collect();
            assert_eq!(out.len(), 1);
            assert_eq!(
                out[0].iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "n = {n}"
            );
        }
    }

    #[test]
    fn in_place_runs_match_allocating_runs() {
        let progs = [
            (CHAIN, 1usize),
            ("r2 = mul r0 r1; r3 = exp 2.0; r4 = add r2 r3; return r4, r2", 2),
            ("r2 = sub r1 r0; r3 = tanh r2; return r3, r1, r0", 2),
        ];
        for (text, k) in progs {
            let p = Program::parse(text, k).expect("valid");
            for n in [1usize, 7, BLOCK + 3, TASK * 2 + 5, PAR_THRESHOLD + 1] {
                let ins: Vec<Vec<f32>> =
                    (0..k).map(|j| (0..n).map(|i| (i as f32 * 0.37 + j as f32).sin() * 4.0).collect()).collect();
                let refs: Vec<&[f32]> = ins.iter().map(|v| v.as_slice()).collect();
                let want = run(&p, &refs, n);
                for at in 0..k {
                    let mut buf = ins[at].clone();
                    let others: Vec<&[f32]> = (0..k).filter(|&j| j != at).map(|j| ins[j].as_slice()).collect();
                    let rest = run_inplace(&p, at, &mut buf, &others, n);
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&buf), bits(&want[0]), "{text} n = {n} at = {at}");
                    assert_eq!(rest.len(), want.len() - 1);
                    for (r, w) in rest.iter().zip(&want[1..]) {
                        assert_eq!(bits(r), bits(w), "{text} n = {n} at = {at}");
                    }
                }
            }
        }
    }

    #[test]
    fn scalar_inputs_and_multiple_outputs() {
        // r2 = r0 * r1 (r1 scalar), r3 = exp(2.0) (folded), r4 = r2 + r3; return r4, r2.
        let p = Program::parse("r2 = mul r0 r1; r3 = exp 2.0; r4 = add r2 r3; return r4, r2", 2).expect("valid");
        let x = [1.0f64, -2.0, 3.5];
        let out = run(&p, &[&x, &[0.5]], 3);
        let e = 2.0f64.fast_exp();
        assert_eq!(out[0], vec![0.5 + e, -1.0 + e, 1.75 + e]);
        assert_eq!(out[1], vec![0.5, -1.0, 1.75]);
    }
}
