//! Linear algebra (`tf.linalg`): `matmul` with transposes, `matvec`, `einsum`, `tensordot`,
//! norms and `l2_normalize`, inverses and determinants, diagonals, bands and traces.

use super::args::{ints_of, pair, r, t, tensor_list, Params};
use super::Entry;
use crate::interp::exceptions::{raise, PyResult};
use crate::interp::value::{Args, Value};
use crate::interp::Interp;
use tensile::ops::linalg::{self, DiagOptions, NormOrd, TensordotAxes};
use tensile::ops::{array, math};

type Out = PyResult<Value>;

const MATMUL: &[&str] = &[
    "a",
    "b",
    "transpose_a",
    "transpose_b",
    "adjoint_a",
    "adjoint_b",
    "a_is_sparse",
    "b_is_sparse",
    "output_type",
    "grad_a",
    "grad_b",
    "name",
];

/// `tf.matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, ...)`;
/// for real dtypes an adjoint is a transpose.
fn matmul(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("matmul", MATMUL, a)?;
    let (x, y) = pair(&p, "a", "b")?;
    let ta = p.bool("transpose_a", false)? || p.bool("adjoint_a", false)?;
    let tb = p.bool("transpose_b", false)? || p.bool("adjoint_b", false)?;
    let out = r(linalg::matmul_t(&x, &y, ta, tb))?;
    Ok(t(match p.dtype("output_type")? {
        Some(d) if d != out.dtype() => r(math::cast(&out, d))?,
        _ => out,
    }))
}

/// `tf.linalg.matvec(a, b, transpose_a=False, adjoint_a=False, ...)`: `a @ b[..., None]` squeezed.
fn matvec(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("matvec", &["a", "b", "transpose_a", "adjoint_a", "a_is_sparse", "b_is_sparse", "name"], a)?;
    let (x, y) = pair(&p, "a", "b")?;
    let ta = p.bool("transpose_a", false)? || p.bool("adjoint_a", false)?;
    let col = r(array::expand_dims(&y, -1))?;
    let out = r(linalg::matmul_t(&x, &col, ta, false))?;
    Ok(t(r(array::squeeze(&out, Some(&[-1])))?))
}

/// `tf.linalg.matrix_transpose(a, name='matrix_transpose', conjugate=False)`: swaps the last two axes.
fn matrix_transpose(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("matrix_transpose", &["a", "name", "conjugate"], a)?;
    let x = p.tensor("a")?;
    let n = x.rank() as i64;
    if n < 2 {
        return Err(raise(
            "ValueError",
            format!(
                "matrix_transpose: the input must have rank >= 2, got shape {}",
                tensile::shape::fmt_dims(&x.dims())
            ),
        ));
    }
    let mut perm: Vec<i64> = (0..n).collect();
    perm.swap((n - 1) as usize, (n - 2) as usize);
    Ok(t(r(array::transpose(&x, Some(&perm)))?))
}

/// `tf.einsum(equation, *inputs, **kwargs)`.
fn einsum(_: &mut Interp, _: Option<&Value>, mut a: Args) -> Out {
    if a.pos.is_empty() {
        return Err(raise("TypeError", "einsum() missing 1 required positional argument: 'equation'"));
    }
    let eq = match a.pos.remove(0) {
        Value::Str(s) => s.to_string(),
        other => {
            return Err(raise("TypeError", format!("einsum: equation must be a string, got {}", other.type_name())))
        }
    };
    a.check("einsum", usize::MAX, &["name", "optimize"])?;
    let inputs = tensor_list(&a.pos)?;
    Ok(t(r(linalg::einsum(&eq, &inputs))?))
}

/// `tf.tensordot(a, b, axes, name=None)`: `axes` is a count, a pair of axes or a pair of lists.
fn tensordot(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("tensordot", &["a", "b", "axes", "name"], a)?;
    let (x, y) = pair(&p, "a", "b")?;
    let axes = match p.req("axes")? {
        Value::Int(n) if n >= 0 => TensordotAxes::Count(n as usize),
        v @ (Value::List(_) | Value::Tuple(_)) => {
            let items = match &v {
                Value::List(l) => l.borrow().clone(),
                Value::Tuple(t) => t.to_vec(),
                _ => Vec::new(),
            };
            match items.as_slice() {
                [u, w] => TensordotAxes::Lists(ints_of(u)?, ints_of(w)?),
                _ => {
                    return Err(raise("ValueError", "tensordot: axes must be an int or a pair [a_axes, b_axes]"));
                }
            }
        }
        other => {
            return Err(raise(
                "ValueError",
                format!(
                    "tensordot: axes must be a non-negative int or a pair of axis lists, got {}",
                    other.type_name()
                ),
            ))
        }
    };
    Ok(t(r(linalg::tensordot(&x, &y, axes))?))
}

/// `tf.norm(tensor, ord='euclidean', axis=None, keepdims=None, name=None)`.
fn norm(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("norm", &["tensor", "ord", "axis", "keepdims", "name"], a)?;
    let x = p.tensor("tensor")?;
    let ord = match p.get("ord") {
        None => NormOrd::Euclidean,
        Some(Value::Str(s)) if &*s == "euclidean" => NormOrd::Euclidean,
        Some(Value::Str(s)) if &*s == "fro" => NormOrd::Fro,
        Some(v @ (Value::Int(_) | Value::Float(_))) => {
            let f = super::args::float_of("norm", "ord", &v)?;
            if f == f64::INFINITY {
                NormOrd::Inf
            } else {
                NormOrd::P(f)
            }
        }
        Some(other) => {
            return Err(raise(
                "ValueError",
                format!("norm: ord must be 'euclidean', 'fro', a positive number or inf, got {}", other.type_name()),
            ))
        }
    };
    let axis = p.ints("axis")?;
    Ok(t(r(linalg::norm(&x, ord, axis.as_deref(), p.bool("keepdims", false)?))?))
}

/// `tf.math.l2_normalize(x, axis=None, epsilon=1e-12, name=None)`.
fn l2_normalize(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("l2_normalize", &["x", "axis", "epsilon", "name", "dim"], a)?;
    let x = p.tensor("x")?;
    let axis = match p.ints("axis")? {
        Some(a) => Some(a),
        None => p.ints("dim")?,
    };
    Ok(t(r(linalg::l2_normalize(&x, axis.as_deref(), p.float("epsilon", 1e-12)?))?))
}

/// Swaps the last two axes of a tensor of rank >= 2 (lower ranks are left to the op's own error).
fn transpose_last(x: &tensile::Tensor) -> PyResult<tensile::Tensor> {
    let n = x.rank() as i64;
    if n < 2 {
        return Ok(x.clone());
    }
    let mut perm: Vec<i64> = (0..n).collect();
    perm.swap((n - 1) as usize, (n - 2) as usize);
    r(array::transpose(x, Some(&perm)))
}

/// `tf.linalg.inv(input, adjoint=False, name=None)`: with `adjoint`, the inverse of the
/// transpose.
fn inv(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("inv", &["input", "adjoint", "name"], a)?;
    let mut x = p.tensor("input")?;
    if p.bool("adjoint", false)? {
        x = transpose_last(&x)?;
    }
    Ok(t(r(linalg::matrix_inverse(&x))?))
}

/// `tf.linalg.det(input, name=None)`.
fn det(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("det", &["input", "name"], a)?;
    Ok(t(r(linalg::matrix_determinant(&p.tensor("input")?))?))
}

/// `tf.linalg.slogdet(input, name=None)`: `LogMatrixDeterminant(sign, log_abs_determinant)`.
fn slogdet(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("slogdet", &["input", "name"], a)?;
    let (sign, log_abs) = r(linalg::log_matrix_determinant(&p.tensor("input")?))?;
    Ok(super::attrs::named_tuple("LogMatrixDeterminant", &["sign", "log_abs_determinant"], vec![t(sign), t(log_abs)]))
}

/// `tf.linalg.trace(x, name=None)`: the sum of each matrix's main diagonal.
fn trace(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("trace", &["x", "name"], a)?;
    Ok(t(r(linalg::trace(&p.tensor("x")?))?))
}

/// The diagonal offset `k`: an int (a pair `(lower, upper)` selects several diagonals, which
/// only the single-diagonal form supports when both are equal).
fn diag_offset(p: &Params) -> PyResult<i64> {
    match p.get("k") {
        None => Ok(0),
        Some(v @ (Value::List(_) | Value::Tuple(_))) => match ints_of(&v)?.as_slice() {
            [k] => Ok(*k),
            [lo, hi] if lo == hi => Ok(*lo),
            other => Err(raise(
                "ValueError",
                format!("{}: k must be one diagonal offset; a range of diagonals {other:?} is not supported", p.func()),
            )),
        },
        Some(v) => super::args::int_of(p.func(), "k", &v),
    }
}

/// Fails unless `align` is one of TensorFlow's four alignments (with one diagonal, all four
/// give the same result).
fn check_align(p: &Params) -> PyResult<()> {
    let align = p.str("align", "RIGHT_LEFT")?;
    if !["RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT"].contains(&align.as_str()) {
        return Err(raise(
            "ValueError",
            format!("{}: align must be one of LEFT_RIGHT, RIGHT_LEFT, LEFT_LEFT, RIGHT_RIGHT, got '{align}'", p.func()),
        ));
    }
    Ok(())
}

/// `tf.linalg.diag(diagonal, name='diag', k=0, num_rows=-1, num_cols=-1, padding_value=0,
/// align='RIGHT_LEFT')`.
fn diag(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("diag", &["diagonal", "name", "k", "num_rows", "num_cols", "padding_value", "align"], a)?;
    check_align(&p)?;
    let o = DiagOptions {
        k: diag_offset(&p)?,
        num_rows: p.int("num_rows", -1)?,
        num_cols: p.int("num_cols", -1)?,
        padding_value: p.float("padding_value", 0.0)?,
    };
    Ok(t(r(linalg::matrix_diag(&p.tensor("diagonal")?, o))?))
}

/// `tf.linalg.diag_part(input, name='diag_part', k=0, padding_value=0, align='RIGHT_LEFT')`;
/// with one diagonal nothing is padded.
fn diag_part(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("diag_part", &["input", "name", "k", "padding_value", "align"], a)?;
    check_align(&p)?;
    p.float("padding_value", 0.0)?;
    Ok(t(r(linalg::matrix_diag_part(&p.tensor("input")?, diag_offset(&p)?))?))
}

/// `tf.linalg.set_diag(input, diagonal, name='set_diag', k=0, align='RIGHT_LEFT')`.
fn set_diag(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("set_diag", &["input", "diagonal", "name", "k", "align"], a)?;
    check_align(&p)?;
    let x = p.tensor("input")?;
    let d = p.tensor_as("diagonal", Some(x.dtype()))?;
    Ok(t(r(linalg::matrix_set_diag(&x, &d, diag_offset(&p)?))?))
}

/// `tf.linalg.band_part(input, num_lower, num_upper, name=None)`.
fn band_part(_: &mut Interp, _: Option<&Value>, a: Args) -> Out {
    let p = Params::bind("band_part", &["input", "num_lower", "num_upper", "name"], a)?;
    let x = p.tensor("input")?;
    let (lower, upper) = pair(&p, "num_lower", "num_upper")?;
    Ok(t(r(linalg::matrix_band_part(&x, &lower, &upper))?))
}

/// The table of this family.
pub fn table() -> Vec<Entry> {
    vec![
        (&["matmul", "linalg.matmul"], matmul),
        (&["linalg.matvec"], matvec),
        (&["linalg.matrix_transpose"], matrix_transpose),
        (&["einsum", "linalg.einsum"], einsum),
        (&["tensordot", "linalg.tensordot"], tensordot),
        (&["norm", "linalg.norm"], norm),
        (&["math.l2_normalize", "nn.l2_normalize", "linalg.l2_normalize"], l2_normalize),
        (&["linalg.inv"], inv),
        (&["linalg.det"], det),
        (&["linalg.slogdet"], slogdet),
        (&["linalg.trace"], trace),
        (&["linalg.diag"], diag),
        (&["linalg.diag_part"], diag_part),
        (&["linalg.set_diag"], set_diag),
        (&["linalg.band_part"], band_part),
    ]
}
