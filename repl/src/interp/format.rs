//! Number formatting as Python does it: `repr(float)` (shortest round-trip digits laid out by
//! Python's rules) and the format-spec mini-language of `format()` and f-strings.

use super::exceptions::{raise, PyResult};

/// Python's `repr(float)`: `0.1`, `1e-05`, `1.0`, `1e+16`, `inf`, `nan`.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde-5".
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp >= 0 {
            let int_len = exp + 1;
            if n <= int_len {
                format!("{}{}.0", digits, "0".repeat((int_len - n) as usize))
            } else {
                format!("{}.{}", &digits[..int_len as usize], &digits[int_len as usize..])
            }
        } else {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        format!("{sign}{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

/// A parsed format spec: `[[fill]align][sign][#][0][width][,|_][.precision][type]`.
#[derive(Default, Debug)]
struct Spec {
    fill: char,
    align: Option<char>,
    sign: char,
    alternate: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

fn parse_spec(spec: &str) -> PyResult<Spec> {
    let bad = || raise("ValueError", format!("Invalid format specifier '{spec}'"));
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec { fill: ' ', sign: '-', ..Spec::default() };
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        s.fill = chars[0];
        s.align = Some(chars[1]);
        i = 2;
    } else if !chars.is_empty() && is_align(chars[0]) {
        s.align = Some(chars[0]);
        i = 1;
    }
    if i < chars.len() && matches!(chars[i], '+' | '-' | ' ') {
        s.sign = chars[i];
        i += 1;
    }
    if i < chars.len() && chars[i] == '#' {
        s.alternate = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '0' {
        s.zero = true;
        i += 1;
    }
    let start = i;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    if i > start {
        s.width = chars[start..i].iter().collect::<String>().parse().map_err(|_| bad())?;
    }
    if i < chars.len() && matches!(chars[i], ',' | '_') {
        s.grouping = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
        s.precision = Some(chars[start..i].iter().collect::<String>().parse().map_err(|_| bad())?);
    }
    if i < chars.len() {
        s.ty = Some(chars[i]);
        i += 1;
    }
    if i != chars.len() {
        return Err(bad());
    }
    Ok(s)
}

fn group(int_part: &str, sep: char) -> String {
    let digits: Vec<char> = int_part.chars().collect();
    let mut out = String::new();
    for (k, c) in digits.iter().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(*c);
    }
    out
}

/// Pads `body` (without sign) to the spec's width; numbers align right by default.
fn pad(spec: &Spec, sign: &str, body: &str, numeric: bool) -> String {
    let len = sign.chars().count() + body.chars().count();
    if len >= spec.width {
        return format!("{sign}{body}");
    }
    let fill_n = spec.width - len;
    let (fill, align) = if spec.zero && spec.align.is_none() && numeric {
        ('0', '=')
    } else {
        (spec.fill, spec.align.unwrap_or(if numeric { '>' } else { '<' }))
    };
    let f = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
    match align {
        '<' => format!("{sign}{body}{}", f(fill_n)),
        '^' => format!("{}{sign}{body}{}", f(fill_n / 2), f(fill_n - fill_n / 2)),
        '=' => format!("{sign}{}{body}", f(fill_n)),
        _ => format!("{}{sign}{body}", f(fill_n)),
    }
}

fn sign_str(spec: &Spec, negative: bool) -> &'static str {
    match (negative, spec.sign) {
        (true, _) => "-",
        (false, '+') => "+",
        (false, ' ') => " ",
        _ => "",
    }
}

fn with_grouping(spec: &Spec, body: String) -> String {
    let Some(sep) = spec.grouping else { return body };
    let split = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
    format!("{}{}", group(&body[..split], sep), &body[split..])
}

/// Python's exponent notation for `{:.Ne}`: `1.234560e+05`.
fn exp_format(x: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, x);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// `%g`-style formatting with `prec` significant digits.
fn general_format(x: f64, prec: usize, alternate: bool) -> String {
    let p = prec.max(1);
    if x == 0.0 {
        return if alternate { format!("{:.*}", p - 1, 0.0) } else { "0".into() };
    }
    let e = exp_format(x, p - 1);
    let exp: i32 = e.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
    let strip = |s: String| -> String {
        if alternate || !s.contains('.') {
            return s;
        }
        let s = s.trim_end_matches('0');
        s.trim_end_matches('.').to_string()
    };
    if exp >= -4 && exp < p as i32 {
        strip(format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, x))
    } else {
        let (m, rest) = e.split_once('e').unwrap_or((&e, ""));
        format!("{}e{}", strip(m.to_string()), rest)
    }
}

/// Formats a float with a spec (`format(x, spec)`).
pub fn format_float(x: f64, spec_text: &str) -> PyResult<String> {
    let spec = parse_spec(spec_text)?;
    let neg = x.is_sign_negative() && !x.is_nan();
    let a = x.abs();
    let body = if !a.is_finite() {
        let t = if a.is_nan() { "nan" } else { "inf" };
        if matches!(spec.ty, Some('F' | 'E' | 'G')) {
            t.to_uppercase()
        } else {
            t.to_string()
        }
    } else {
        match spec.ty {
            Some('f' | 'F') => format!("{:.*}", spec.precision.unwrap_or(6), a),
            Some('e' | 'E') => {
                let s = exp_format(a, spec.precision.unwrap_or(6));
                if spec.ty == Some('E') {
                    s.to_uppercase()
                } else {
                    s
                }
            }
            Some('%') => format!("{:.*}%", spec.precision.unwrap_or(6), a * 100.0),
            Some('g' | 'G') => general_format(a, spec.precision.unwrap_or(6), spec.alternate),
            None => match spec.precision {
                Some(p) => {
                    let s = general_format(a, p, spec.alternate);
                    if s.contains(['.', 'e', 'n', 'i']) {
                        s
                    } else {
                        format!("{s}.0")
                    }
                }
                None => float_repr(a),
            },
            Some(c) => {
                return Err(raise("ValueError", format!("Unknown format code '{c}' for object of type 'float'")))
            }
        }
    };
    let body = if a.is_finite() { with_grouping(&spec, body) } else { body };
    Ok(pad(&spec, sign_str(&spec, neg), &body, true))
}

/// Formats an int with a spec.
pub fn format_int(x: i64, spec_text: &str) -> PyResult<String> {
    let spec = parse_spec(spec_text)?;
    let body = match spec.ty {
        None | Some('d') | Some('n') => x.unsigned_abs().to_string(),
        Some('x') => format!("{}{:x}", if spec.alternate { "0x" } else { "" }, x.unsigned_abs()),
        Some('X') => format!("{}{:X}", if spec.alternate { "0X" } else { "" }, x.unsigned_abs()),
        Some('o') => format!("{}{:o}", if spec.alternate { "0o" } else { "" }, x.unsigned_abs()),
        Some('b') => format!("{}{:b}", if spec.alternate { "0b" } else { "" }, x.unsigned_abs()),
        Some('c') => char::from_u32(x as u32).map(String::from).unwrap_or_default(),
        Some('f' | 'F' | 'e' | 'E' | 'g' | 'G' | '%') => return format_float(x as f64, spec_text),
        Some(c) => return Err(raise("ValueError", format!("Unknown format code '{c}' for object of type 'int'"))),
    };
    let body = with_grouping(&spec, body);
    Ok(pad(&spec, sign_str(&spec, x < 0), &body, true))
}

/// Formats a string with a spec.
pub fn format_str(s: &str, spec_text: &str) -> PyResult<String> {
    let spec = parse_spec(spec_text)?;
    if let Some(c) = spec.ty.filter(|c| *c != 's') {
        return Err(raise("ValueError", format!("Unknown format code '{c}' for object of type 'str'")));
    }
    let body: String = match spec.precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    };
    Ok(pad(&spec, "", &body, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        for (x, s) in [
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (1.0, "1.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (-2.5e-7, "-2.5e-07"),
            (1.5e300, "1.5e+300"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(float_repr(x), s);
        }
    }

    #[test]
    fn specs() {
        assert_eq!(format_float(1.23456, ".3f").ok().unwrap(), "1.235");
        assert_eq!(format_float(1234567.891, ",.2f").ok().unwrap(), "1,234,567.89");
        assert_eq!(format_float(0.25, ".1%").ok().unwrap(), "25.0%");
        assert_eq!(format_float(12345.678, ".2e").ok().unwrap(), "1.23e+04");
        assert_eq!(format_int(42, ">8").ok().unwrap(), "      42");
        assert_eq!(format_int(1234567, ",").ok().unwrap(), "1,234,567");
        assert_eq!(format_int(5, "03d").ok().unwrap(), "005");
        assert_eq!(format_str("ab", "^6").ok().unwrap(), "  ab  ");
    }
}
