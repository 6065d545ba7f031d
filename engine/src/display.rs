//! TensorFlow-style printing of tensors.
//!
//! `Display` for [`Tensor`] is what `print(t)` shows in TensorFlow 2, `Debug` is `repr(t)`.
//! Both embed NumPy's text for the value, so this module reproduces NumPy's array printing
//! (`numpy.array2string` with the default print options) exactly: per-array float formats chosen
//! by `FloatingFormat`, shortest round-trip digits from Dragon4 (float32 values use float32
//! digits), line wrapping at 75 columns and summarisation of arrays above 1000 elements.

use crate::dtype::DType;
use crate::tensor::{Storage, Tensor};
use std::cmp::Ordering;
use std::fmt;

// NumPy's default print options.
const LINE_WIDTH: usize = 75;
const THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;
const PRECISION: i32 = 8;

/// NumPy's `str()` of the tensor's value (`[1. 2.]`; a scalar prints like `3.0`).
pub fn numpy_str(t: &Tensor) -> String {
    if t.rank() == 0 {
        return scalar_str(t.storage());
    }
    if t.size() == 0 {
        return "[]".to_string();
    }
    array2string(t, " ", "", LINE_WIDTH)
}

/// NumPy's `repr()` of the tensor's value as an array (`array([1., 2.], dtype=float32)`).
pub fn numpy_repr(t: &Tensor) -> String {
    let prefix = "array(";
    // NumPy reserves room for the closing parenthesis.
    let body = if t.size() == 0 { "[]".to_string() } else { array2string(t, ", ", prefix, LINE_WIDTH - 1) };
    let mut extras = Vec::new();
    if (t.size() == 0 && t.shape() != [0]) || t.size() > THRESHOLD {
        extras.push(format!("shape={}", py_shape(t.shape())));
    }
    // float64, int64 and bool are NumPy's defaults, implied by how the values print.
    let implied = matches!(t.dtype(), DType::F64 | DType::I64 | DType::Bool);
    if !implied || t.size() == 0 {
        extras.push(format!("dtype={}", t.dtype().name()));
    }
    if extras.is_empty() {
        return format!("{prefix}{body})");
    }
    let arr = format!("{prefix}{body},");
    let extra = format!("{})", extras.join(", "));
    let last_line = arr.len() - arr.rfind('\n').map_or(0, |i| i + 1);
    let spacer = if last_line + extra.len() + 1 > LINE_WIDTH {
        format!("\n{}", " ".repeat(prefix.len()))
    } else {
        " ".to_string()
    };
    format!("{arr}{spacer}{extra}")
}

/// `repr(t.numpy())`: NumPy's array repr, or the NumPy scalar repr (`np.float32(3.0)`) for rank 0.
pub fn numpy_value_repr(t: &Tensor) -> String {
    if t.rank() != 0 {
        return numpy_repr(t);
    }
    match t.storage() {
        Storage::Bool(v) if v.first() == Some(&true) => "np.True_".to_string(),
        Storage::Bool(_) => "np.False_".to_string(),
        s => format!("np.{}({})", s.dtype().name(), scalar_str(s)),
    }
}

/// TensorFlow's graph-tensor repr: `Tensor("add_3:0", shape=(None, 3), dtype=float32)`.
fn fmt_symbolic(t: &Tensor, s: &crate::tensor::Symbol, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let dims: Vec<String> = s.dims.iter().map(|d| d.map_or("None".to_string(), |d| d.to_string())).collect();
    let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    write!(f, "Tensor(\"{}_{}:{}\", shape={shape}, dtype={})", s.op, s.output.node, s.output.index, t.dtype().name())
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.symbol() {
            return fmt_symbolic(self, s, f);
        }
        write!(
            f,
            "tf.Tensor({}, shape={}, dtype={})",
            newline_first(numpy_str(self)),
            py_shape(self.shape()),
            self.dtype().name()
        )
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.symbol() {
            return fmt_symbolic(self, s, f);
        }
        // TensorFlow shows scalars as the Python value (`.item()`), so float32 widens to a Python float.
        let text = if self.rank() == 0 { python_item_repr(self.storage()) } else { numpy_repr(self) };
        write!(
            f,
            "<tf.Tensor: shape={}, dtype={}, numpy={}>",
            py_shape(self.shape()),
            self.dtype().name(),
            newline_first(text)
        )
    }
}

fn newline_first(text: String) -> String {
    if text.contains('\n') {
        format!("\n{text}")
    } else {
        text
    }
}

/// A shape as a Python tuple: `()`, `(2,)`, `(2, 3)`.
fn py_shape(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// `str()` of the single element as a NumPy scalar.
fn scalar_str(s: &Storage) -> String {
    match s {
        Storage::F32(v) => v.first().map_or_else(String::new, |x| float_scalar_str(*x)),
        Storage::F64(v) => v.first().map_or_else(String::new, |x| float_scalar_str(*x)),
        Storage::I32(v) => v.first().map_or_else(String::new, |x| x.to_string()),
        Storage::I64(v) => v.first().map_or_else(String::new, |x| x.to_string()),
        Storage::Bool(v) => v.first().map_or_else(String::new, |x| py_bool(*x).to_string()),
    }
}

/// `repr(x.item())` for the single element: the Python int, float or bool.
fn python_item_repr(s: &Storage) -> String {
    match s {
        Storage::F32(v) => v.first().map_or_else(String::new, |x| float_scalar_str(*x as f64)),
        _ => scalar_str(s),
    }
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

// ---------------------------------------------------------------------------------------------
// Array layout (NumPy's `_formatArray`).

fn array2string(t: &Tensor, sep: &str, prefix: &str, line_width: usize) -> String {
    let shape = t.shape();
    let mut strides = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    let summarize = t.size() > THRESHOLD;
    // Formats are chosen from the printed corners only, like NumPy's `_leading_trailing`.
    let mut picked = Vec::new();
    if summarize {
        corner_indices(shape, &strides, 0, 0, &mut picked);
    } else {
        picked.extend(0..t.size());
    }
    let format: Box<dyn Fn(usize) -> String + '_> = match t.storage() {
        Storage::F32(v) => float_formatter(v, &picked),
        Storage::F64(v) => float_formatter(v, &picked),
        Storage::I32(v) => int_formatter(v, &picked),
        Storage::I64(v) => int_formatter(v, &picked),
        Storage::Bool(v) => {
            let true_str = if t.rank() == 0 { "True" } else { " True" };
            Box::new(move |i| if v[i] { true_str } else { "False" }.to_string())
        }
    };
    let printer = Printer { shape, strides: &strides, format: &*format, sep, summarize };
    let hanging = " ".repeat(1 + prefix.len());
    printer.recurse(0, 0, &hanging, line_width as isize)
}

fn corner_indices(shape: &[usize], strides: &[usize], axis: usize, offset: usize, out: &mut Vec<usize>) {
    if axis == shape.len() {
        out.push(offset);
        return;
    }
    let n = shape[axis];
    let visit =
        |i: usize, out: &mut Vec<usize>| corner_indices(shape, strides, axis + 1, offset + i * strides[axis], out);
    if n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS).chain(n - EDGE_ITEMS..n).for_each(|i| visit(i, out));
    } else {
        (0..n).for_each(|i| visit(i, out));
    }
}

struct Printer<'a> {
    shape: &'a [usize],
    strides: &'a [usize],
    format: &'a dyn Fn(usize) -> String,
    sep: &'a str,
    summarize: bool,
}

impl Printer<'_> {
    fn recurse(&self, axis: usize, offset: usize, hanging: &str, width: isize) -> String {
        let axes_left = self.shape.len() - axis;
        if axes_left == 0 {
            return (self.format)(offset);
        }
        let next_hanging = format!("{hanging} ");
        let next_width = width - 1;
        let n = self.shape[axis];
        let stride = self.strides[axis];
        let show_summary = self.summarize && 2 * EDGE_ITEMS < n;
        let (leading, trailing) = if show_summary { (EDGE_ITEMS, EDGE_ITEMS) } else { (0, n) };
        let child = |i: usize| self.recurse(axis + 1, offset + i * stride, &next_hanging, next_width);
        let mut s = String::new();
        if axes_left == 1 {
            let elem_width = width - self.sep.trim_end().len().max(1) as isize;
            let mut line = hanging.to_string();
            for i in 0..leading {
                extend_line(&mut s, &mut line, &child(i), elem_width, hanging);
                line.push_str(self.sep);
            }
            if show_summary {
                extend_line(&mut s, &mut line, "...", elem_width, hanging);
                line.push_str(self.sep);
            }
            for i in (2..=trailing).rev() {
                extend_line(&mut s, &mut line, &child(n - i), elem_width, hanging);
                line.push_str(self.sep);
            }
            extend_line(&mut s, &mut line, &child(n - 1), elem_width, hanging);
            s.push_str(&line);
        } else {
            let line_sep = format!("{}{}", self.sep.trim_end(), "\n".repeat(axes_left - 1));
            for i in 0..leading {
                s.push_str(hanging);
                s.push_str(&child(i));
                s.push_str(&line_sep);
            }
            if show_summary {
                s.push_str(hanging);
                s.push_str("...");
                s.push_str(&line_sep);
            }
            for i in (2..=trailing).rev() {
                s.push_str(hanging);
                s.push_str(&child(n - i));
                s.push_str(&line_sep);
            }
            s.push_str(hanging);
            s.push_str(&child(n - 1));
        }
        format!("[{}]", &s[hanging.len()..])
    }
}

fn extend_line(s: &mut String, line: &mut String, word: &str, width: isize, next_prefix: &str) {
    // Wrapping a line that holds only the indent would not help.
    let needs_wrap = (line.len() + word.len()) as isize > width && line.len() > next_prefix.len();
    if needs_wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        *line = next_prefix.to_string();
    }
    line.push_str(word);
}

fn int_formatter<'a, T: Copy + Ord + fmt::Display + 'a>(
    v: &'a [T],
    picked: &[usize],
) -> Box<dyn Fn(usize) -> String + 'a> {
    let max = picked.iter().map(|&i| v[i]).max();
    let min = picked.iter().map(|&i| v[i]).min();
    let width = match (max, min) {
        (Some(hi), Some(lo)) => hi.to_string().len().max(lo.to_string().len()),
        _ => 0,
    };
    Box::new(move |i| format!("{:>width$}", v[i]))
}

fn float_formatter<'a, T: NpFloat + 'a>(v: &'a [T], picked: &[usize]) -> Box<dyn Fn(usize) -> String + 'a> {
    let data: Vec<T> = picked.iter().map(|&i| v[i]).collect();
    let ff = FloatingFormat::new(&data);
    Box::new(move |i| ff.format(v[i]))
}

// ---------------------------------------------------------------------------------------------
// Float formats (NumPy's `FloatingFormat` in the default `maxprec` mode).

/// The float element types NumPy formats with its own precision.
trait NpFloat: Copy + PartialOrd + fmt::Debug {
    /// Sign and parts of the value.
    fn decode(self) -> Decoded;
    /// `abs(self)` in the same type.
    fn abs_val(self) -> Self;
    /// `self >= 10**min(8, finfo.precision)`: the largest magnitude still printed positionally.
    fn at_least_exp_cutoff(self) -> bool;
    /// `self < 0.0001` with the constant rounded to this type.
    fn below_ten_thousandth(self) -> bool;
    /// `max / min > 1000` computed in this type.
    fn ratio_above_thousand(max: Self, min: Self) -> bool;
    /// True for finite values.
    fn finite(self) -> bool;
    /// True for zero of either sign.
    fn is_zero(self) -> bool;
    /// Widens to f64.
    fn wide(self) -> f64;
    /// Magnitude from which a scalar's `str()` switches to scientific notation.
    const MAX_POSITIONAL: f64;
}

impl NpFloat for f32 {
    const MAX_POSITIONAL: f64 = 1e6;
    fn decode(self) -> Decoded {
        let bits = self.to_bits();
        let frac = (bits & 0x7f_ffff) as u64;
        let exp = ((bits >> 23) & 0xff) as i32;
        decode_parts(bits >> 31 != 0, frac, exp, 0xff, 23, 127)
    }
    fn abs_val(self) -> Self {
        self.abs()
    }
    fn at_least_exp_cutoff(self) -> bool {
        self >= 1e6
    }
    fn below_ten_thousandth(self) -> bool {
        self < 0.0001f32
    }
    fn ratio_above_thousand(max: Self, min: Self) -> bool {
        max / min > 1000.0
    }
    fn finite(self) -> bool {
        self.is_finite()
    }
    fn is_zero(self) -> bool {
        self == 0.0
    }
    fn wide(self) -> f64 {
        self as f64
    }
}

impl NpFloat for f64 {
    const MAX_POSITIONAL: f64 = 1e16;
    fn decode(self) -> Decoded {
        let bits = self.to_bits();
        let frac = bits & 0xf_ffff_ffff_ffff;
        let exp = ((bits >> 52) & 0x7ff) as i32;
        decode_parts(bits >> 63 != 0, frac, exp, 0x7ff, 52, 1023)
    }
    fn abs_val(self) -> Self {
        self.abs()
    }
    fn at_least_exp_cutoff(self) -> bool {
        self >= 1e8
    }
    fn below_ten_thousandth(self) -> bool {
        self < 0.0001
    }
    fn ratio_above_thousand(max: Self, min: Self) -> bool {
        max / min > 1000.0
    }
    fn finite(self) -> bool {
        self.is_finite()
    }
    fn is_zero(self) -> bool {
        self == 0.0
    }
    fn wide(self) -> f64 {
        self
    }
}

/// A float split into sign and kind.
struct Decoded {
    negative: bool,
    kind: Kind,
}

enum Kind {
    Nan,
    Inf,
    Finite(Parts),
}

/// A finite value `mantissa * 2^exponent`, in the form Dragon4 needs.
struct Parts {
    mantissa: u64,
    exponent: i32,
    /// Index of the highest set mantissa bit.
    mantissa_bit: u32,
    /// True when the gap to the next value up is twice the gap to the next value down.
    unequal_margins: bool,
}

fn decode_parts(negative: bool, frac: u64, exp: i32, exp_all_ones: i32, frac_bits: u32, bias: i32) -> Decoded {
    let kind = if exp == exp_all_ones {
        if frac == 0 {
            Kind::Inf
        } else {
            Kind::Nan
        }
    } else if exp != 0 {
        Kind::Finite(Parts {
            mantissa: (1u64 << frac_bits) | frac,
            exponent: exp - bias - frac_bits as i32,
            mantissa_bit: frac_bits,
            unequal_margins: exp != 1 && frac == 0,
        })
    } else {
        Kind::Finite(Parts {
            mantissa: frac,
            exponent: 1 - bias - frac_bits as i32,
            mantissa_bit: if frac == 0 { 0 } else { 63 - frac.leading_zeros() },
            unequal_margins: false,
        })
    };
    Decoded { negative, kind }
}

struct FloatingFormat {
    exp_format: bool,
    precision: i32,
    min_digits: i32,
    pad_left: i32,
    pad_right: i32,
    exp_size: i32,
    trim: Trim,
}

impl FloatingFormat {
    fn new<T: NpFloat>(data: &[T]) -> FloatingFormat {
        let finite: Vec<T> = data.iter().copied().filter(|x| x.finite()).collect();
        let mut nonzero = finite.iter().filter(|x| !x.is_zero()).map(|x| x.abs_val());
        let mut exp_format = false;
        if let Some(first) = nonzero.next() {
            let (mut max, mut min) = (first, first);
            for x in nonzero {
                if x > max {
                    max = x;
                }
                if x < min {
                    min = x;
                }
            }
            exp_format = max.at_least_exp_cutoff() || min.below_ten_thousandth() || T::ratio_above_thousand(max, min);
        }
        let mut ff = FloatingFormat {
            exp_format,
            precision: PRECISION,
            min_digits: 0,
            pad_left: 0,
            pad_right: 0,
            exp_size: -1,
            trim: Trim::Zeros,
        };
        if finite.is_empty() {
            // Only nan/inf: widths come from their names below.
        } else if exp_format {
            let mut int_len = 0;
            let mut frac_len = 0;
            let mut exp_len = 0;
            for x in &finite {
                let s = format_float(*x, true, PRECISION, -1, Trim::Zeros, -1, -1, -1);
                let (mantissa, exp) = s.split_once('e').unwrap_or((&s, ""));
                let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
                int_len = int_len.max(int.len());
                frac_len = frac_len.max(frac.len());
                exp_len = exp_len.max(exp.len());
            }
            ff.exp_size = exp_len as i32 - 1;
            ff.trim = Trim::None;
            ff.precision = frac_len as i32;
            ff.min_digits = ff.precision;
            ff.pad_left = int_len as i32;
            ff.pad_right = ff.exp_size + 2 + ff.precision;
        } else {
            let mut int_len = 0;
            let mut frac_len = 0;
            for x in &finite {
                let s = format_float(*x, false, PRECISION, -1, Trim::Zeros, -1, -1, -1);
                let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
                int_len = int_len.max(int.len());
                frac_len = frac_len.max(frac.len());
            }
            ff.pad_left = int_len as i32;
            ff.pad_right = frac_len as i32;
        }
        if finite.len() != data.len() {
            let neg_inf = data.iter().any(|x| !x.finite() && x.wide() < 0.0);
            let offset = ff.pad_right + 1;
            ff.pad_left = ff.pad_left.max(3 - offset).max(3 + neg_inf as i32 - offset);
        }
        ff
    }

    fn format<T: NpFloat>(&self, x: T) -> String {
        let d = x.decode();
        let special = match d.kind {
            Kind::Nan => Some("nan"),
            Kind::Inf if d.negative => Some("-inf"),
            Kind::Inf => Some("inf"),
            Kind::Finite(_) => None,
        };
        if let Some(s) = special {
            let width = (self.pad_left + self.pad_right + 1).max(0) as usize;
            return format!("{s:>width$}");
        }
        if self.exp_format {
            format_float(x, true, self.precision, self.min_digits, self.trim, self.pad_left, -1, self.exp_size)
        } else {
            format_float(x, false, self.precision, self.min_digits, self.trim, self.pad_left, self.pad_right, -1)
        }
    }
}

/// `str()` of a NumPy float scalar (also Python's `repr(float)` for float64).
fn float_scalar_str<T: NpFloat>(x: T) -> String {
    let a = x.wide().abs();
    let positional = a == 0.0 || (1e-4..T::MAX_POSITIONAL).contains(&a);
    if positional {
        format_float(x, false, -1, -1, Trim::LeaveOneZero, -1, -1, -1)
    } else {
        format_float(x, true, -1, -1, Trim::DptZeros, -1, -1, -1)
    }
}

// ---------------------------------------------------------------------------------------------
// Dragon4 digit generation and NumPy's positional/scientific layouts.

/// How trailing zeros and the decimal point are trimmed (NumPy's `trim` argument).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Trim {
    /// `'k'`: keep trailing zeros and the point.
    None,
    /// `'.'`: trim trailing zeros, keep the point.
    Zeros,
    /// `'0'`: trim trailing zeros but keep one after the point.
    LeaveOneZero,
    /// `'-'`: trim trailing zeros and the point.
    DptZeros,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cutoff {
    /// Limits count all significant digits.
    Total,
    /// Limits count digits after the decimal point.
    Fraction,
}

/// Formats a value like NumPy's `dragon4_positional`/`dragon4_scientific` in unique mode.
/// Negative integer arguments mean "not set", as in NumPy.
#[allow(clippy::too_many_arguments)]
fn format_float<T: NpFloat>(
    x: T,
    scientific: bool,
    precision: i32,
    min_digits: i32,
    trim: Trim,
    pad_left: i32,
    pad_right: i32,
    exp_digits: i32,
) -> String {
    let d = x.decode();
    let sign = if d.negative { "-" } else { "" };
    match d.kind {
        Kind::Nan => "nan".to_string(),
        Kind::Inf => format!("{sign}inf"),
        Kind::Finite(p) if scientific => format_scientific(sign, &p, precision, min_digits, trim, pad_left, exp_digits),
        Kind::Finite(p) => format_positional(sign, &p, precision, min_digits, trim, pad_left, pad_right),
    }
}

fn push_digits(out: &mut String, digits: &[u8]) {
    out.extend(digits.iter().map(|d| (b'0' + d) as char));
}

/// Drops trailing zeros after the decimal point, which rounding can leave behind.
fn trim_trailing_zeros(out: &mut String, frac_digits: &mut i32) {
    while out.ends_with('0') {
        out.pop();
        *frac_digits -= 1;
    }
}

fn format_positional(
    sign: &str,
    p: &Parts,
    precision: i32,
    min_digits: i32,
    trim: Trim,
    pad_left: i32,
    pad_right: i32,
) -> String {
    let mut out = String::from(sign);
    let (digits, exp) = dragon4(p, Cutoff::Fraction, precision, min_digits);
    let n = digits.len() as i32;
    let mut frac_digits = 0;
    let whole;
    if exp >= 0 {
        whole = exp + 1;
        if n <= whole {
            push_digits(&mut out, &digits);
            out.extend(std::iter::repeat_n('0', (whole - n) as usize));
        } else {
            push_digits(&mut out, &digits[..whole as usize]);
            out.push('.');
            push_digits(&mut out, &digits[whole as usize..]);
            frac_digits = n - whole;
        }
    } else {
        let zeros = -(exp + 1);
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', zeros as usize));
        push_digits(&mut out, &digits);
        frac_digits = n + zeros;
        whole = 1;
    }
    if trim != Trim::DptZeros && frac_digits == 0 {
        out.push('.');
    }
    let wanted = min_digits.max(0);
    if trim == Trim::LeaveOneZero {
        if frac_digits == 0 {
            out.push('0');
            frac_digits += 1;
        }
    } else if trim == Trim::None && wanted > frac_digits {
        out.extend(std::iter::repeat_n('0', (wanted - frac_digits) as usize));
        frac_digits = wanted;
    }
    if trim != Trim::None && frac_digits > 0 {
        trim_trailing_zeros(&mut out, &mut frac_digits);
        if out.ends_with('.') {
            if trim == Trim::LeaveOneZero {
                out.push('0');
                frac_digits += 1;
            } else if trim == Trim::DptZeros {
                out.pop();
            }
        }
    }
    if pad_right >= frac_digits {
        if trim == Trim::DptZeros && frac_digits == 0 {
            out.push(' ');
        }
        out.extend(std::iter::repeat_n(' ', (pad_right - frac_digits) as usize));
    }
    let has_sign = !sign.is_empty() as i32;
    if pad_left > whole + has_sign {
        out.insert_str(0, &" ".repeat((pad_left - whole - has_sign) as usize));
    }
    out
}

fn format_scientific(
    sign: &str,
    p: &Parts,
    precision: i32,
    min_digits: i32,
    trim: Trim,
    pad_left: i32,
    exp_digits: i32,
) -> String {
    let mut out = String::new();
    let left_chars = 1 + !sign.is_empty() as i32;
    if pad_left > left_chars {
        out.push_str(&" ".repeat((pad_left - left_chars) as usize));
    }
    out.push_str(sign);
    let max = if precision < 0 { -1 } else { precision + 1 };
    let min = if min_digits < 0 { -1 } else { min_digits + 1 };
    let (digits, exp) = dragon4(p, Cutoff::Total, max, min);
    push_digits(&mut out, &digits[..1]);
    let mut frac_digits = digits.len() as i32 - 1;
    if frac_digits > 0 {
        out.push('.');
        push_digits(&mut out, &digits[1..]);
    }
    if trim != Trim::DptZeros && frac_digits == 0 {
        out.push('.');
    }
    let wanted = min_digits.max(0);
    if trim == Trim::LeaveOneZero {
        if frac_digits == 0 {
            out.push('0');
            frac_digits += 1;
        }
    } else if trim == Trim::None && wanted > frac_digits {
        out.extend(std::iter::repeat_n('0', (wanted - frac_digits) as usize));
        frac_digits = wanted;
    }
    if trim != Trim::None && frac_digits > 0 {
        trim_trailing_zeros(&mut out, &mut frac_digits);
        if trim == Trim::LeaveOneZero && out.ends_with('.') {
            out.push('0');
        }
    }
    let exp_digits = if exp_digits < 0 { 2 } else { exp_digits.min(5) } as usize;
    out.push('e');
    out.push(if exp >= 0 { '+' } else { '-' });
    let mut e = exp.unsigned_abs();
    let mut exp_dec = [0u8; 5];
    for d in exp_dec.iter_mut() {
        *d = (e % 10) as u8;
        e /= 10;
    }
    let mut size = exp_dec.len();
    while size > exp_digits && exp_dec[size - 1] == 0 {
        size -= 1;
    }
    for d in exp_dec[..size].iter().rev() {
        out.push((b'0' + d) as char);
    }
    out
}

/// Dragon4 (Steele & White, with Burger & Dybvig's rounding) in NumPy's unique-digit mode:
/// the shortest digits that round-trip, cut off after `cutoff_max` digits and extended to at least
/// `cutoff_min` digits (negative = no limit). Returns the digits (0-9) and the base-10 exponent of
/// the first digit.
fn dragon4(p: &Parts, mode: Cutoff, cutoff_max: i32, cutoff_min: i32) -> (Vec<u8>, i32) {
    if p.mantissa == 0 {
        return (vec![0], 0);
    }
    let even = p.mantissa & 1 == 0;
    // Values are scaled by 2 (or 4 with unequal margins) so margins are whole numbers.
    let extra = if p.unequal_margins { 2 } else { 1 };
    let mut value = Big::from_u64(p.mantissa);
    let mut scale;
    let mut margin_low;
    if p.exponent > 0 {
        value.shl(p.exponent as u32 + extra);
        scale = Big::from_u64(1 << extra);
        margin_low = Big::pow2(p.exponent as u32);
    } else {
        value.shl(extra);
        scale = Big::pow2((-p.exponent) as u32 + extra);
        margin_low = Big::from_u64(1);
    }
    // Estimate of floor(log10(v)) + 1 that is correct or one too small.
    let mut digit_exp =
        (((p.mantissa_bit as i32 + p.exponent) as f64) * std::f64::consts::LOG10_2 - 0.69).ceil() as i32;
    if cutoff_max >= 0 && mode == Cutoff::Fraction && digit_exp <= -cutoff_max {
        digit_exp = -cutoff_max + 1;
    }
    match digit_exp.cmp(&0) {
        Ordering::Greater => scale.mul_pow10(digit_exp as u32),
        Ordering::Less => {
            value.mul_pow10((-digit_exp) as u32);
            margin_low.mul_pow10((-digit_exp) as u32);
        }
        Ordering::Equal => {}
    }
    if value.cmp(&scale) != Ordering::Less {
        digit_exp += 1;
    } else {
        value.mul_small(10);
        margin_low.mul_small(10);
    }
    const BUFFER: i32 = 16384;
    let mut max_exp = digit_exp - BUFFER;
    if cutoff_max >= 0 {
        let want = match mode {
            Cutoff::Total => digit_exp - cutoff_max,
            Cutoff::Fraction => -cutoff_max,
        };
        max_exp = max_exp.max(want);
    }
    let mut min_exp = digit_exp;
    if cutoff_min >= 0 {
        let want = match mode {
            Cutoff::Total => digit_exp - cutoff_min,
            Cutoff::Fraction => -cutoff_min,
        };
        min_exp = min_exp.min(want);
    }
    let mut first_exp = digit_exp - 1;
    let mut digits = Vec::new();
    let (mut low, mut high, mut digit);
    loop {
        digit_exp -= 1;
        digit = value.div_rem_digit(&scale);
        let mut margin_high = margin_low.clone();
        if p.unequal_margins {
            margin_high.mul_small(2);
        }
        let value_high = value.add(&margin_high);
        let c = value.cmp(&margin_low);
        low = if even { c != Ordering::Greater } else { c == Ordering::Less };
        let c = value_high.cmp(&scale);
        high = if even { c != Ordering::Less } else { c == Ordering::Greater };
        if ((low || high) && digit_exp <= min_exp) || digit_exp == max_exp {
            break;
        }
        digits.push(digit);
        value.mul_small(10);
        margin_low.mul_small(10);
    }
    let mut round_down = low;
    if low == high {
        value.mul_small(2);
        let c = value.cmp(&scale);
        round_down = c == Ordering::Less || (c == Ordering::Equal && digit & 1 == 0);
    }
    if round_down {
        digits.push(digit);
    } else if digit == 9 {
        loop {
            match digits.pop() {
                None => {
                    digits.push(1);
                    first_exp += 1;
                    break;
                }
                Some(9) => {}
                Some(d) => {
                    digits.push(d + 1);
                    break;
                }
            }
        }
    } else {
        digits.push(digit + 1);
    }
    (digits, first_exp)
}

/// A small unsigned big integer (little-endian 32-bit limbs, no leading zero limbs).
#[derive(Clone, Debug)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.normalize();
        b
    }

    fn pow2(n: u32) -> Big {
        let mut limbs = vec![0u32; (n / 32) as usize + 1];
        limbs[(n / 32) as usize] = 1 << (n % 32);
        Big(limbs)
    }

    fn normalize(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn shl(&mut self, n: u32) {
        if self.0.is_empty() {
            return;
        }
        let bits = n % 32;
        let mut out = vec![0u32; (n / 32) as usize];
        if bits == 0 {
            out.extend_from_slice(&self.0);
        } else {
            let mut carry = 0u32;
            for &w in &self.0 {
                out.push((w << bits) | carry);
                carry = w >> (32 - bits);
            }
            out.push(carry);
        }
        self.0 = out;
        self.normalize();
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for w in self.0.iter_mut() {
            let prod = *w as u64 * m as u64 + carry;
            *w = prod as u32;
            carry = prod >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.normalize();
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        if n > 0 {
            self.mul_small(10u32.pow(n));
        }
    }

    fn add(&self, other: &Big) -> Big {
        let (long, short) = if self.0.len() >= other.0.len() { (&self.0, &other.0) } else { (&other.0, &self.0) };
        let mut out = Vec::with_capacity(long.len() + 1);
        let mut carry = 0u64;
        for (i, &w) in long.iter().enumerate() {
            let sum = w as u64 + short.get(i).copied().unwrap_or(0) as u64 + carry;
            out.push(sum as u32);
            carry = sum >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        Big(out)
    }

    /// `self -= other`, for `self >= other`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, w) in self.0.iter_mut().enumerate() {
            let diff = *w as i64 - other.0.get(i).copied().unwrap_or(0) as i64 - borrow;
            borrow = (diff < 0) as i64;
            *w = diff.rem_euclid(1 << 32) as u32;
        }
        self.normalize();
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// Replaces `self` by `self mod scale` and returns the quotient (below 10 by construction).
    fn div_rem_digit(&mut self, scale: &Big) -> u8 {
        let mut q = 0;
        while self.cmp(scale) != Ordering::Less {
            self.sub_assign(scale);
            q += 1;
        }
        q
    }
}
