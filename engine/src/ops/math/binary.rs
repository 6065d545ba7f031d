//! Broadcasting binary arithmetic.

use super::{infer_binary, scalar_like, select};
use crate::attrs::Attrs;
use crate::error::{Error, Result};
use crate::kernels::elementwise::{broadcast_binary, broadcast_binary_inplace, Scalar};
use crate::ops::shape_like::unbroadcast_operand;
use crate::ops::{donated_output, execute1, split_donated, GradCtx, OpDef, Spec, NUMERIC};
use crate::tensor::{Element, Tensor};
use crate::DType;

fn infer_numeric(op: &str, s: &[Spec]) -> Result<Vec<Spec>> {
    let out = infer_binary(op, s)?;
    crate::ops::expect_dtype_in(op, &s[0], NUMERIC)?;
    Ok(out)
}

fn go<T: Element>(a: &Tensor, b: &Tensor, out: &[Spec], f: impl Fn(T, T) -> T + Sync + Send) -> Result<Tensor> {
    let osh = out[0].shape().ok_or_else(|| Error::invalid("binary op", "output shape unknown"))?;
    let v = broadcast_binary(a.as_slice::<T>()?, a.shape(), b.as_slice::<T>()?, b.shape(), &osh, f)?;
    Tensor::from_vec(v, &osh)
}

/// In-place form of [`go`]: input `at` has the output shape and receives the result.
fn go_inplace<T: Element>(
    i: &mut [Tensor],
    at: usize,
    out: &[Spec],
    f: impl Fn(T, T) -> T + Sync + Send,
) -> Result<Option<Vec<Tensor>>> {
    let Some(osh) = out.first().and_then(Spec::shape) else { return Ok(None) };
    if i.len() != 2 || at > 1 || i[at].shape() != osh.as_slice() {
        return Ok(None);
    }
    let Some((buf, before, after)) = split_donated::<T>(i, at) else { return Ok(None) };
    let other = if at == 0 { &after[0] } else { &before[0] };
    broadcast_binary_inplace(buf, at == 0, other.as_slice::<T>()?, other.shape(), &osh, f);
    Ok(Some(vec![donated_output(i, at, &osh)?]))
}

/// Fails when an integer divisor contains a zero (TensorFlow: "Integer division by zero").
fn check_int_divisor<T: Element + PartialEq + Default>(op: &str, b: &Tensor) -> Result<()> {
    if b.as_slice::<T>()?.iter().any(|&v| v == T::default()) {
        return Err(Error::invalid(
            op,
            format!("integer division by zero (divisor of dtype {} has a zero)", b.dtype()),
        ));
    }
    Ok(())
}

macro_rules! binary_kernel {
    ($name:literal, $i:expr, $o:expr, f => $ff:expr, i => $fi:expr) => {{
        let (a, b) = (&$i[0], &$i[1]);
        let t = match a.dtype() {
            DType::F32 => go::<f32>(a, b, $o, $ff)?,
            DType::F64 => go::<f64>(a, b, $o, $ff)?,
            DType::I32 => go::<i32>(a, b, $o, $fi)?,
            DType::I64 => go::<i64>(a, b, $o, $fi)?,
            DType::Bool => return Err(Error::invalid($name, "bool tensors are not supported")),
        };
        Ok(vec![t])
    }};
}

macro_rules! binary_inplace {
    ($i:expr, $at:expr, $o:expr, f => $ff:expr, i => $fi:expr) => {{
        match $i.get($at).map(Tensor::dtype) {
            Some(DType::F32) => go_inplace::<f32>($i, $at, $o, $ff),
            Some(DType::F64) => go_inplace::<f64>($i, $at, $o, $ff),
            Some(DType::I32) => go_inplace::<i32>($i, $at, $o, $fi),
            Some(DType::I64) => go_inplace::<i64>($i, $at, $o, $fi),
            _ => Ok(None),
        }
    }};
}

macro_rules! public_binary {
    ($S:ident, $fun:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $fun(a: &Tensor, b: &Tensor) -> Result<Tensor> {
            execute1(&$S, &[a.clone(), b.clone()], Attrs::new())
        }
    };
}

fn both(c: &GradCtx, ga: Result<Tensor>, gb: Result<Tensor>) -> Result<Vec<Option<Tensor>>> {
    let (a, b) = (&c.inputs[0], &c.inputs[1]);
    Ok(vec![Some(unbroadcast_operand(&ga?, a, &[b.dims()])?), Some(unbroadcast_operand(&gb?, b, &[a.dims()])?)])
}

/// Registry entry of `add`.
pub static ADD: OpDef = OpDef {
    name: "add",
    infer: |s, _| infer_numeric("add", s),
    kernel: |i, _, o| binary_kernel!("add", i, o, f => |x, y| x + y, i => |x, y| x.wrapping_add(y)),
    grad: Some(|c| {
        let g = c.grad(0)?;
        both(c, Ok(g.clone()), Ok(g))
    }),
    stateful: false,
    inplace: Some(|i, at, _, o| binary_inplace!(i, at, o, f => |x, y| x + y, i => |x, y| x.wrapping_add(y))),
};
public_binary!(ADD, add, "Elementwise `a + b` with broadcasting (`tf.add`).");

/// Registry entry of `sub`.
pub static SUB: OpDef = OpDef {
    name: "sub",
    infer: |s, _| infer_numeric("sub", s),
    kernel: |i, _, o| binary_kernel!("sub", i, o, f => |x, y| x - y, i => |x, y| x.wrapping_sub(y)),
    grad: Some(|c| {
        let g = c.grad(0)?;
        both(c, Ok(g.clone()), super::neg(&g))
    }),
    stateful: false,
    inplace: Some(|i, at, _, o| binary_inplace!(i, at, o, f => |x, y| x - y, i => |x, y| x.wrapping_sub(y))),
};
public_binary!(SUB, sub, "Elementwise `a - b` with broadcasting (`tf.subtract`).");

/// Registry entry of `mul`.
pub static MUL: OpDef = OpDef {
    name: "mul",
    infer: |s, _| infer_numeric("mul", s),
    kernel: |i, _, o| binary_kernel!("mul", i, o, f => |x, y| x * y, i => |x, y| x.wrapping_mul(y)),
    grad: Some(|c| {
        let g = c.grad(0)?;
        both(c, mul(&g, &c.inputs[1]), mul(&g, &c.inputs[0]))
    }),
    stateful: false,
    inplace: Some(|i, at, _, o| binary_inplace!(i, at, o, f => |x, y| x * y, i => |x, y| x.wrapping_mul(y))),
};
public_binary!(MUL, mul, "Elementwise `a * b` with broadcasting (`tf.multiply`).");

/// Registry entry of `div`.
pub static DIV: OpDef = OpDef {
    name: "div",
    infer: |s, _| infer_numeric("div", s),
    kernel: |i, _, o| {
        match i[1].dtype() {
            DType::I32 => check_int_divisor::<i32>("div", &i[1])?,
            DType::I64 => check_int_divisor::<i64>("div", &i[1])?,
            _ => {}
        }
        binary_kernel!("div", i, o, f => |x, y| x / y, i => |x, y| x.wrapping_div(y))
    },
    grad: Some(|c| {
        let g = c.grad(0)?;
        let b = &c.inputs[1];
        both(c, div(&g, b), super::neg(&div(&mul(&g, &c.outputs[0])?, b)?))
    }),
    stateful: false,
    inplace: Some(|i, at, _, o| {
        match i[1].dtype() {
            DType::I32 => check_int_divisor::<i32>("div", &i[1])?,
            DType::I64 => check_int_divisor::<i64>("div", &i[1])?,
            _ => {}
        }
        binary_inplace!(i, at, o, f => |x, y| x / y, i => |x, y| x.wrapping_div(y))
    }),
};
public_binary!(DIV, div, "Elementwise `a / b` (`tf.math.divide` for floats; integers divide truncating toward zero).");

/// Python's true division: integers are converted to float64 first, as `tf.math.truediv` does.
pub fn truediv(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.dtype().is_int() && b.dtype() == a.dtype() {
        return div(&super::cast(a, DType::F64)?, &super::cast(b, DType::F64)?);
    }
    div(a, b)
}

fn floor_div_int<T: num_traits::PrimInt + num_traits::WrappingSub + num_traits::CheckedDiv + num_traits::CheckedRem>(
    x: T,
    y: T,
) -> T {
    let q = x.checked_div(&y).unwrap_or(x);
    if (x.checked_rem(&y).unwrap_or(T::zero()) != T::zero()) && ((x < T::zero()) != (y < T::zero())) {
        q.wrapping_sub(&T::one())
    } else {
        q
    }
}

fn floor_mod_int<T: num_traits::PrimInt + num_traits::WrappingAdd + num_traits::CheckedRem>(x: T, y: T) -> T {
    let r = x.checked_rem(&y).unwrap_or(T::zero());
    if r != T::zero() && ((r < T::zero()) != (y < T::zero())) {
        r.wrapping_add(&y)
    } else {
        r
    }
}

/// Registry entry of `floordiv`.
pub static FLOORDIV: OpDef = OpDef {
    name: "floordiv",
    infer: |s, _| infer_numeric("floordiv", s),
    kernel: |i, _, o| {
        match i[1].dtype() {
            DType::I32 => check_int_divisor::<i32>("floordiv", &i[1])?,
            DType::I64 => check_int_divisor::<i64>("floordiv", &i[1])?,
            _ => {}
        }
        binary_kernel!("floordiv", i, o, f => |x, y| (x / y).floor(), i => floor_div_int)
    },
    grad: None,
    stateful: false,
    inplace: None,
};
public_binary!(FLOORDIV, floordiv, "Elementwise floor division, Python's `//` (`tf.math.floordiv`).");

/// Registry entry of `floormod`.
pub static FLOORMOD: OpDef = OpDef {
    name: "floormod",
    infer: |s, _| infer_numeric("floormod", s),
    kernel: |i, _, o| {
        match i[1].dtype() {
            DType::I32 => check_int_divisor::<i32>("floormod", &i[1])?,
            DType::I64 => check_int_divisor::<i64>("floormod", &i[1])?,
            _ => {}
        }
        binary_kernel!("floormod", i, o, f => |x, y| {
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) { r + y } else { r }
        }, i => floor_mod_int)
    },
    grad: Some(|c| {
        let g = c.grad(0)?;
        let (a, b) = (&c.inputs[0], &c.inputs[1]);
        let q = super::floor(&div(a, b)?)?;
        both(c, Ok(g.clone()), super::neg(&mul(&g, &q)?))
    }),
    stateful: false,
    inplace: None,
};
public_binary!(FLOORMOD, floormod, "Elementwise remainder with the divisor's sign, Python's `%` (`tf.math.floormod`).");

fn int_pow<T: num_traits::PrimInt>(x: T, y: T) -> T {
    let mut e = y.to_u64().unwrap_or(0);
    let mut base = x;
    let mut acc = T::one();
    while e > 0 {
        if e & 1 == 1 {
            acc = wrapping_mul(acc, base);
        }
        base = wrapping_mul(base, base);
        e >>= 1;
    }
    acc
}

fn wrapping_mul<T: num_traits::PrimInt>(a: T, b: T) -> T {
    a.checked_mul(&b).unwrap_or_else(|| {
        let w = (a.to_i128().unwrap_or(0)).wrapping_mul(b.to_i128().unwrap_or(0));
        let bits = (std::mem::size_of::<T>() * 8) as u32;
        let m = w & ((1i128 << bits) - 1);
        let signed = if m >> (bits - 1) & 1 == 1 { m - (1i128 << bits) } else { m };
        T::from(signed).unwrap_or(T::zero())
    })
}

/// Registry entry of `pow`.
pub static POW: OpDef = OpDef {
    name: "pow",
    infer: |s, _| infer_numeric("pow", s),
    kernel: |i, _, o| {
        let neg = match i[1].dtype() {
            DType::I32 => i[1].as_slice::<i32>()?.iter().any(|&v| v < 0),
            DType::I64 => i[1].as_slice::<i64>()?.iter().any(|&v| v < 0),
            _ => false,
        };
        if neg {
            return Err(Error::invalid("pow", "integers to negative integer powers are not allowed"));
        }
        binary_kernel!("pow", i, o, f => |x, y| x.powf(y), i => int_pow)
    },
    grad: Some(|c| {
        let g = c.grad(0)?;
        let (x, y, z) = (&c.inputs[0], &c.inputs[1], &c.outputs[0]);
        let one = scalar_like(x, 1.0);
        let gx = mul(&g, &mul(y, &pow(x, &sub(y, &one)?)?)?)?;
        // log(x) only where x > 0: elsewhere the exponent gets no gradient (as TensorFlow).
        let pos = super::greater(x, &scalar_like(x, 0.0))?;
        let safe_x = select(&pos, x, &one)?;
        let gy = select(&pos, &mul(&g, &mul(z, &super::log(&safe_x)?)?)?, &scalar_like(x, 0.0))?;
        both(c, Ok(gx), Ok(gy))
    }),
    stateful: false,
    inplace: None,
};
public_binary!(POW, pow, "Elementwise `a ** b` (`tf.pow`).");

fn minmax_grad(c: &GradCtx, x_wins: Tensor) -> Result<Vec<Option<Tensor>>> {
    let g = c.grad(0)?;
    let zero = scalar_like(&g, 0.0);
    both(c, select(&x_wins, &g, &zero), select(&x_wins, &zero, &g))
}

/// Registry entry of `maximum`.
pub static MAXIMUM: OpDef = OpDef {
    name: "maximum",
    infer: |s, _| infer_numeric("maximum", s),
    kernel: |i, _, o| binary_kernel!("maximum", i, o, f => |x, y| if x >= y || x.is_nan() { x } else { y }, i => |x, y| x.max(y)),
    grad: Some(|c| minmax_grad(c, super::greater_equal(&c.inputs[0], &c.inputs[1])?)),
    stateful: false,
    inplace: Some(
        |i, at, _, o| binary_inplace!(i, at, o, f => |x, y| if x >= y || x.is_nan() { x } else { y }, i => |x, y| x.max(y)),
    ),
};
public_binary!(MAXIMUM, maximum, "Elementwise maximum with broadcasting (`tf.maximum`).");

/// Registry entry of `minimum`.
pub static MINIMUM: OpDef = OpDef {
    name: "minimum",
    infer: |s, _| infer_numeric("minimum", s),
    kernel: |i, _, o| binary_kernel!("minimum", i, o, f => |x, y| if x <= y || x.is_nan() { x } else { y }, i => |x, y| x.min(y)),
    grad: Some(|c| minmax_grad(c, super::less_equal(&c.inputs[0], &c.inputs[1])?)),
    stateful: false,
    inplace: Some(
        |i, at, _, o| binary_inplace!(i, at, o, f => |x, y| if x <= y || x.is_nan() { x } else { y }, i => |x, y| x.min(y)),
    ),
};
public_binary!(MINIMUM, minimum, "Elementwise minimum with broadcasting (`tf.minimum`).");

/// Registry entry of `squared_difference`.
pub static SQUARED_DIFFERENCE: OpDef = OpDef {
    name: "squared_difference",
    infer: |s, _| infer_numeric("squared_difference", s),
    kernel: |i, _, o| {
        binary_kernel!("squared_difference", i, o, f => |x, y| (x - y) * (x - y), i => |x, y| {
            let d = x.wrapping_sub(y);
            d.wrapping_mul(d)
        })
    },
    grad: Some(|c| {
        let g = c.grad(0)?;
        let d = mul(&sub(&c.inputs[0], &c.inputs[1])?, &scalar_like(&g, 2.0))?;
        let gd = mul(&g, &d)?;
        both(c, Ok(gd.clone()), super::neg(&gd))
    }),
    stateful: false,
    inplace: Some(|i, at, _, o| {
        binary_inplace!(i, at, o, f => |x, y| (x - y) * (x - y), i => |x, y| {
            let d = x.wrapping_sub(y);
            d.wrapping_mul(d)
        })
    }),
};
public_binary!(SQUARED_DIFFERENCE, squared_difference, "Elementwise `(a - b)^2` (`tf.math.squared_difference`).");

fn go_float(
    name: &str,
    i: &[Tensor],
    o: &[Spec],
    f32_: fn(f32, f32) -> f32,
    f64_: fn(f64, f64) -> f64,
) -> Result<Tensor> {
    let (a, b) = (&i[0], &i[1]);
    match a.dtype() {
        DType::F32 => go::<f32>(a, b, o, f32_),
        DType::F64 => go::<f64>(a, b, o, f64_),
        d => Err(Error::invalid(name, format!("unsupported dtype {d}; expected float32 or float64"))),
    }
}

/// `g` where the ReLU's feature is positive, else `g * 0` (so a NaN or infinite `g` stays NaN).
#[inline(always)]
fn relu_grad_f<T: Scalar + std::ops::Mul<Output = T>>(g: T, f: T) -> T {
    g * if f > T::ZERO { T::ONE } else { T::ZERO }
}

/// Registry entry of `relu_grad`.
pub static RELU_GRAD: OpDef = OpDef {
    name: "relu_grad",
    infer: |s, _| infer_numeric("relu_grad", s),
    kernel: |i, _, o| binary_kernel!("relu_grad", i, o, f => relu_grad_f, i => relu_grad_f),
    // TensorFlow's ReluGradGrad: the result is linear in `g`, and the features get no gradient.
    grad: Some(|c| {
        let gg = relu_grad(&c.grad(0)?, &c.inputs[1])?;
        let (g, f) = (&c.inputs[0], &c.inputs[1]);
        Ok(vec![Some(unbroadcast_operand(&gg, g, &[f.dims()])?), Some(crate::ops::array::zeros_like(f)?)])
    }),
    stateful: false,
    inplace: Some(|i, at, _, o| binary_inplace!(i, at, o, f => relu_grad_f, i => relu_grad_f)),
};
public_binary!(
    RELU_GRAD,
    relu_grad,
    "Gradient of `relu`: `gradients * (features > 0)` with broadcasting, where `features` is the ReLU's input or output (TensorFlow's `ReluGrad`)."
);

/// Registry entry of `atan2`.
pub static ATAN2: OpDef = OpDef {
    name: "atan2",
    infer: |s, _| {
        let out = infer_binary("atan2", s)?;
        crate::ops::expect_dtype_in("atan2", &s[0], crate::ops::FLOATS)?;
        Ok(out)
    },
    kernel: |i, _, o| Ok(vec![go_float("atan2", i, o, f32::atan2, f64::atan2)?]),
    grad: Some(|c| {
        // d/dy atan2(y, x) = x / (x² + y²), d/dx = -y / (x² + y²).
        let g = c.grad(0)?;
        let (y, x) = (&c.inputs[0], &c.inputs[1]);
        let g_over = div(&g, &add(&super::square(x)?, &super::square(y)?)?)?;
        both(c, mul(x, &g_over), super::neg(&mul(y, &g_over)?))
    }),
    stateful: false,
    inplace: Some(|i, at, _, o| match i.get(at).map(Tensor::dtype) {
        Some(DType::F32) => go_inplace::<f32>(i, at, o, f32::atan2),
        Some(DType::F64) => go_inplace::<f64>(i, at, o, f64::atan2),
        _ => Ok(None),
    }),
};

/// Elementwise angle of the point `(x, y)`, in `[-π, π]`, with broadcasting (`tf.math.atan2`).
pub fn atan2(y: &Tensor, x: &Tensor) -> Result<Tensor> {
    execute1(&ATAN2, &[y.clone(), x.clone()], Attrs::new())
}
