//! Unary elementwise functions and activations.

use super::{scalar_like, select};
use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::elementwise::{map, map_inplace, FloatExt, Scalar};
use crate::kernels::fastmath::FastMath;
use crate::ops::{array, donated_output, execute1, expect_arity, split_donated, GradCtx, OpDef, Spec, FLOATS, NUMERIC};
use crate::tensor::{Element, Tensor};
use crate::{with_float, with_numeric, DType};

fn infer_unary(op: &str, s: &[Spec], allowed: &[DType], out: Option<DType>) -> Result<Vec<Spec>> {
    expect_arity(op, s, 1)?;
    crate::ops::expect_dtype_in(op, &s[0], allowed)?;
    Ok(vec![Spec { dtype: out.unwrap_or(s[0].dtype), dims: s[0].dims.clone() }])
}

/// In-place form of the unary kernels (see [`crate::ops::InplaceFn`]).
fn unary_inplace<T: Element>(
    i: &mut [Tensor],
    at: usize,
    f: impl Fn(T) -> T + Sync + Send,
) -> Result<Option<Vec<Tensor>>> {
    let Some((buf, _, _)) = split_donated::<T>(i, at) else { return Ok(None) };
    map_inplace(buf, f);
    let shape = i[at].shape().to_vec();
    Ok(Some(vec![donated_output(i, at, &shape)?]))
}

fn bad_dtype(op: &str, t: &Tensor) -> Error {
    Error::invalid(op, format!("unsupported dtype {} (tensor with shape {:?})", t.dtype(), t.shape()))
}

macro_rules! float_unary {
    ($S:ident, $fun:ident, $name:literal, $doc:literal, |$x:ident| $k:expr, $grad:expr) => {
        #[doc = concat!("Registry entry of `", $name, "`.")]
        pub static $S: OpDef = OpDef {
            name: $name,
            infer: |s, _| infer_unary($name, s, FLOATS, None),
            kernel: |i, _, _| {
                let t = &i[0];
        let out = with_float!(t.dtype(), T => {
                    Tensor::from_vec(map(t.as_slice::<T>()?, |$x: T| -> T { $k })?, t.shape())?
                }, other => return Err(bad_dtype($name, t)));
                Ok(vec![out])
            },
            grad: $grad,
            stateful: false,
            inplace: Some(|i, at, _, _| {
                with_float!(i.get(at).map_or(DType::Bool, Tensor::dtype), T => unary_inplace::<T>(i, at, |$x: T| -> T { $k }), other => Ok(None))
            }),
        };
        #[doc = $doc]
        pub fn $fun(x: &Tensor) -> Result<Tensor> {
            execute1(&$S, std::slice::from_ref(x), Attrs::new())
        }
    };
}

macro_rules! numeric_unary {
    ($S:ident, $fun:ident, $name:literal, $doc:literal, |$x:ident| $k:expr, $grad:expr) => {
        #[doc = concat!("Registry entry of `", $name, "`.")]
        pub static $S: OpDef = OpDef {
            name: $name,
            infer: |s, _| infer_unary($name, s, NUMERIC, None),
            kernel: |i, _, _| {
                let t = &i[0];
        let out = with_numeric!(t.dtype(), T => {
                    Tensor::from_vec(map(t.as_slice::<T>()?, |$x: T| -> T { $k })?, t.shape())?
                }, bool => return Err(bad_dtype($name, t)));
                Ok(vec![out])
            },
            grad: $grad,
            stateful: false,
            inplace: Some(|i, at, _, _| {
                with_numeric!(i.get(at).map_or(DType::Bool, Tensor::dtype), T => unary_inplace::<T>(i, at, |$x: T| -> T { $k }), bool => Ok(None))
            }),
        };
        #[doc = $doc]
        pub fn $fun(x: &Tensor) -> Result<Tensor> {
            execute1(&$S, std::slice::from_ref(x), Attrs::new())
        }
    };
}

macro_rules! float_predicate {
    ($S:ident, $fun:ident, $name:literal, $doc:literal, |$x:ident| $k:expr) => {
        #[doc = concat!("Registry entry of `", $name, "`.")]
        pub static $S: OpDef = OpDef {
            name: $name,
            infer: |s, _| infer_unary($name, s, FLOATS, Some(DType::Bool)),
            kernel: |i, _, _| {
                let t = &i[0];
        let out = with_float!(t.dtype(), T => {
                    Tensor::from_vec(map(t.as_slice::<T>()?, |$x: T| -> bool { $k })?, t.shape())?
                }, other => return Err(bad_dtype($name, t)));
                Ok(vec![out])
            },
            grad: None,
            stateful: false,
            inplace: None,
        };
        #[doc = $doc]
        pub fn $fun(x: &Tensor) -> Result<Tensor> {
            execute1(&$S, std::slice::from_ref(x), Attrs::new())
        }
    };
}

fn x0<'a>(c: &'a GradCtx<'a>) -> &'a Tensor {
    &c.inputs[0]
}
fn y0<'a>(c: &'a GradCtx<'a>) -> &'a Tensor {
    &c.outputs[0]
}
fn k(like: &Tensor, v: f64) -> Tensor {
    scalar_like(like, v)
}
fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    super::mul(a, b)
}
fn one(g: Result<Tensor>) -> Result<Vec<Option<Tensor>>> {
    Ok(vec![Some(g?)])
}
/// `g` where `cond`, else 0.
fn mask(cond: &Tensor, g: &Tensor) -> Result<Tensor> {
    select(cond, g, &k(g, 0.0))
}

numeric_unary!(NEG, neg, "neg", "Elementwise `-x` (`tf.negative`).", |x| x.neg_(), Some(|c| one(neg(&c.grad(0)?))));
numeric_unary!(
    ABS,
    abs,
    "abs",
    "Elementwise absolute value (`tf.abs`).",
    |x| x.abs_(),
    Some(|c| one(mul(&c.grad(0)?, &sign(x0(c))?)))
);
numeric_unary!(
    SIGN,
    sign,
    "sign",
    "Elementwise sign: -1, 0 or 1 (`tf.sign`).",
    |x| x.sign_(),
    Some(|c| one(array::zeros_like(x0(c))))
);
numeric_unary!(
    SQUARE,
    square,
    "square",
    "Elementwise `x * x` (`tf.square`).",
    |x| x.square_(),
    Some(|c| one(mul(&c.grad(0)?, &mul(x0(c), &k(x0(c), 2.0))?)))
);
numeric_unary!(
    RELU,
    relu,
    "relu",
    "Rectified linear unit `max(x, 0)` (`tf.nn.relu`).",
    |x| if x > T::ZERO { x } else { T::ZERO },
    // From the output, as TensorFlow: the pre-activation is then free to fuse into a matmul.
    Some(|c| one(super::relu_grad(&c.grad(0)?, y0(c))))
);
numeric_unary!(
    RELU6,
    relu6,
    "relu6",
    "`min(max(x, 0), 6)` (`tf.nn.relu6`).",
    |x| if x > T::ZERO {
        if x < T::of(6.0) {
            x
        } else {
            T::of(6.0)
        }
    } else {
        T::ZERO
    },
    Some(|c| {
        let x = x0(c);
        let inside = super::logical_and(&super::greater(x, &k(x, 0.0))?, &super::less(x, &k(x, 6.0))?)?;
        one(mask(&inside, &c.grad(0)?))
    })
);
float_unary!(
    RECIPROCAL,
    reciprocal,
    "reciprocal",
    "Elementwise `1 / x` (`tf.math.reciprocal`).",
    |x| 1.0 / x,
    Some(|c| one(neg(&mul(&c.grad(0)?, &square(y0(c))?)?)))
);
float_unary!(
    EXP,
    exp,
    "exp",
    "Elementwise `e^x` (`tf.exp`).",
    |x| x.fast_exp(),
    Some(|c| one(mul(&c.grad(0)?, y0(c))))
);
float_unary!(
    EXPM1,
    expm1,
    "expm1",
    "Elementwise `e^x - 1`, accurate near 0 (`tf.math.expm1`).",
    |x| x.fast_expm1(),
    Some(|c| one(mul(&c.grad(0)?, &super::add(y0(c), &k(y0(c), 1.0))?)))
);
float_unary!(
    LOG,
    log,
    "log",
    "Natural logarithm (`tf.math.log`).",
    |x| x.ln(),
    Some(|c| one(super::div(&c.grad(0)?, x0(c))))
);
float_unary!(
    LOG1P,
    log1p,
    "log1p",
    "`log(1 + x)`, accurate near 0 (`tf.math.log1p`).",
    |x| x.ln_1p(),
    Some(|c| one(super::div(&c.grad(0)?, &super::add(x0(c), &k(x0(c), 1.0))?)))
);
float_unary!(
    SQRT,
    sqrt,
    "sqrt",
    "Elementwise square root (`tf.sqrt`).",
    |x| x.sqrt(),
    Some(|c| one(super::div(&c.grad(0)?, &mul(y0(c), &k(y0(c), 2.0))?)))
);
float_unary!(
    RSQRT,
    rsqrt,
    "rsqrt",
    "Elementwise `1 / sqrt(x)` (`tf.math.rsqrt`).",
    |x| 1.0 / x.sqrt(),
    Some(|c| {
        let y = y0(c);
        one(mul(&c.grad(0)?, &mul(&mul(y, &square(y)?)?, &k(y, -0.5))?))
    })
);
float_unary!(
    SIN,
    sin,
    "sin",
    "Elementwise sine (`tf.sin`).",
    |x| x.sin(),
    Some(|c| one(mul(&c.grad(0)?, &cos(x0(c))?)))
);
float_unary!(
    COS,
    cos,
    "cos",
    "Elementwise cosine (`tf.cos`).",
    |x| x.cos(),
    Some(|c| one(neg(&mul(&c.grad(0)?, &sin(x0(c))?)?)))
);
float_unary!(
    TAN,
    tan,
    "tan",
    "Elementwise tangent (`tf.tan`).",
    |x| x.tan(),
    Some(|c| {
        let y = y0(c);
        one(mul(&c.grad(0)?, &super::add(&square(y)?, &k(y, 1.0))?))
    })
);
float_unary!(
    ASIN,
    asin,
    "asin",
    "Elementwise arcsine, NaN outside [-1, 1] (`tf.math.asin`).",
    |x| x.asin(),
    Some(|c| {
        let x = x0(c);
        one(mul(&c.grad(0)?, &rsqrt(&super::sub(&k(x, 1.0), &square(x)?)?)?))
    })
);
float_unary!(
    ACOS,
    acos,
    "acos",
    "Elementwise arccosine, NaN outside [-1, 1] (`tf.math.acos`).",
    |x| x.acos(),
    Some(|c| {
        let x = x0(c);
        one(neg(&mul(&c.grad(0)?, &rsqrt(&super::sub(&k(x, 1.0), &square(x)?)?)?)?))
    })
);
float_unary!(
    ATAN,
    atan,
    "atan",
    "Elementwise arctangent (`tf.math.atan`).",
    |x| x.atan(),
    Some(|c| {
        let x = x0(c);
        one(super::div(&c.grad(0)?, &super::add(&k(x, 1.0), &square(x)?)?))
    })
);
float_unary!(
    SINH,
    sinh,
    "sinh",
    "Hyperbolic sine (`tf.math.sinh`).",
    |x| x.sinh(),
    Some(|c| one(mul(&c.grad(0)?, &cosh(x0(c))?)))
);
float_unary!(
    COSH,
    cosh,
    "cosh",
    "Hyperbolic cosine (`tf.math.cosh`).",
    |x| x.cosh(),
    Some(|c| one(mul(&c.grad(0)?, &sinh(x0(c))?)))
);
float_unary!(
    ASINH,
    asinh,
    "asinh",
    "Inverse hyperbolic sine (`tf.math.asinh`).",
    |x| x.asinh(),
    Some(|c| one(super::div(&c.grad(0)?, &cosh(y0(c))?)))
);
float_unary!(
    ACOSH,
    acosh,
    "acosh",
    "Inverse hyperbolic cosine, NaN below 1 (`tf.math.acosh`).",
    |x| x.acosh(),
    Some(|c| one(super::div(&c.grad(0)?, &sinh(y0(c))?)))
);
float_unary!(
    ATANH,
    atanh,
    "atanh",
    "Inverse hyperbolic tangent, NaN outside [-1, 1] (`tf.math.atanh`).",
    |x| x.atanh(),
    Some(|c| {
        let x = x0(c);
        one(super::div(&c.grad(0)?, &super::sub(&k(x, 1.0), &square(x)?)?))
    })
);
float_unary!(
    TANH,
    tanh,
    "tanh",
    "Hyperbolic tangent (`tf.tanh`).",
    |x| x.fast_tanh(),
    Some(|c| {
        let y = y0(c);
        one(mul(&c.grad(0)?, &super::sub(&k(y, 1.0), &square(y)?)?))
    })
);
float_unary!(
    SIGMOID,
    sigmoid,
    "sigmoid",
    "Logistic function `1 / (1 + e^-x)` (`tf.sigmoid`).",
    |x| x.fast_sigmoid(),
    Some(|c| {
        let y = y0(c);
        one(mul(&c.grad(0)?, &mul(y, &super::sub(&k(y, 1.0), y)?)?))
    })
);
float_unary!(
    ELU,
    elu,
    "elu",
    "Exponential linear unit (`tf.nn.elu`).",
    |x| {
        // Computed unconditionally so the choice is a select and the loop vectorizes.
        let e = x.fast_expm1();
        if x > 0.0 {
            x
        } else {
            e
        }
    },
    Some(|c| {
        let (x, y, g) = (x0(c), y0(c), c.grad(0)?);
        one(select(&super::greater(x, &k(x, 0.0))?, &g, &mul(&g, &super::add(y, &k(y, 1.0))?)?))
    })
);
const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
float_unary!(
    SELU,
    selu,
    "selu",
    "Scaled exponential linear unit (`tf.nn.selu`).",
    |x| {
        let e = (SELU_ALPHA as T) * x.fast_expm1();
        (SELU_SCALE as T) * if x > 0.0 { x } else { e }
    },
    Some(|c| {
        let (x, y, g) = (x0(c), y0(c), c.grad(0)?);
        let neg_branch = mul(&g, &super::add(y, &k(y, SELU_SCALE * SELU_ALPHA))?)?;
        one(select(&super::greater(x, &k(x, 0.0))?, &mul(&g, &k(&g, SELU_SCALE))?, &neg_branch))
    })
);
float_unary!(
    SOFTPLUS,
    softplus,
    "softplus",
    "`log(e^x + 1)`, computed stably (`tf.math.softplus`).",
    |x| x.fast_softplus(),
    Some(|c| one(mul(&c.grad(0)?, &sigmoid(x0(c))?)))
);
float_unary!(
    SOFTSIGN,
    softsign,
    "softsign",
    "`x / (|x| + 1)` (`tf.nn.softsign`).",
    |x| x / (x.abs() + 1.0),
    Some(|c| {
        let x = x0(c);
        one(super::div(&c.grad(0)?, &square(&super::add(&abs(x)?, &k(x, 1.0))?)?))
    })
);
float_unary!(
    SILU,
    silu,
    "silu",
    "`x * sigmoid(x)` (`tf.nn.silu`, swish).",
    |x| x * x.fast_sigmoid(),
    Some(|c| {
        let x = x0(c);
        let s = sigmoid(x)?;
        let inner = super::add(&k(x, 1.0), &mul(x, &super::sub(&k(x, 1.0), &s)?)?)?;
        one(mul(&c.grad(0)?, &mul(&s, &inner)?))
    })
);
float_unary!(
    ERF,
    erf,
    "erf",
    "The Gauss error function (`tf.math.erf`).",
    |x| x.erf_(),
    Some(|c| {
        let x = x0(c);
        let d = mul(&exp(&neg(&square(x)?)?)?, &k(x, std::f64::consts::FRAC_2_SQRT_PI))?;
        one(mul(&c.grad(0)?, &d))
    })
);
float_unary!(FLOOR, floor, "floor", "Largest integer not greater than x (`tf.floor`).", |x| x.floor(), None);
float_unary!(CEIL, ceil, "ceil", "Smallest integer not less than x (`tf.math.ceil`).", |x| x.ceil(), None);
float_unary!(
    ROUND,
    round,
    "round",
    "Rounds half to even, as TensorFlow and NumPy do (`tf.round`).",
    |x| x.round_ties_even(),
    None
);
float_predicate!(IS_NAN, is_nan, "is_nan", "True where x is NaN (`tf.math.is_nan`).", |x| x.is_nan());
float_predicate!(IS_FINITE, is_finite, "is_finite", "True where x is finite (`tf.math.is_finite`).", |x| x.is_finite());
float_predicate!(IS_INF, is_inf, "is_inf", "True where x is ±infinity (`tf.math.is_inf`).", |x| x.is_infinite());

/// `tf.nn.leaky_relu`: `x` where positive, `alpha * x` elsewhere.
pub static LEAKY_RELU: OpDef = OpDef {
    name: "leaky_relu",
    infer: |s, _| infer_unary("leaky_relu", s, FLOATS, None),
    kernel: |i, a, _| {
        let t = &i[0];
        let alpha = a.float("leaky_relu", "alpha")?;
        let out = with_float!(t.dtype(), T => {
            let al = alpha as T;
            Tensor::from_vec(map(t.as_slice::<T>()?, |x: T| if x > 0.0 { x } else { al * x })?, t.shape())?
        }, other => return Err(bad_dtype("leaky_relu", t)));
        Ok(vec![out])
    },
    grad: Some(|c| {
        let (x, g) = (x0(c), c.grad(0)?);
        let alpha = c.attrs.float("leaky_relu", "alpha")?;
        one(select(&super::greater(x, &k(x, 0.0))?, &g, &mul(&g, &k(&g, alpha))?))
    }),
    stateful: false,
    inplace: None,
};

/// Leaky ReLU with slope `alpha` for negative inputs (TF's default alpha is 0.2).
pub fn leaky_relu(x: &Tensor, alpha: f64) -> Result<Tensor> {
    execute1(&LEAKY_RELU, std::slice::from_ref(x), Attrs::new().with("alpha", Attr::Float(alpha)))
}

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const GELU_C: f64 = 0.044_715;

/// `tf.nn.gelu`: Gaussian error linear unit, exact (erf) or tanh-approximated.
pub static GELU: OpDef = OpDef {
    name: "gelu",
    infer: |s, _| infer_unary("gelu", s, FLOATS, None),
    kernel: |i, a, _| {
        let t = &i[0];
        let approx = a.bool_or("approximate", false);
        let out = with_float!(t.dtype(), T => {
            let xs = t.as_slice::<T>()?;
            let v = if approx {
                // 0.5 (1 + tanh(u)) = sigmoid(2u): the same function, without the
                // cancellation that loses all relative accuracy on the negative tail.
                map(xs, |x: T| x * ((2.0 * SQRT_2_OVER_PI as T) * (x + (GELU_C as T) * x * x * x)).fast_sigmoid())?
            } else {
                map(xs, |x: T| 0.5 * x * (1.0 + (x * (std::f64::consts::FRAC_1_SQRT_2 as T)).erf_()))?
            };
            Tensor::from_vec(v, t.shape())?
        }, other => return Err(bad_dtype("gelu", t)));
        Ok(vec![out])
    },
    grad: Some(|c| {
        let (x, g) = (x0(c), c.grad(0)?);
        let d = if c.attrs.bool_or("approximate", false) {
            // u = c1 (x + c2 x^3), t = tanh(u): d = 0.5 (1 + t) + 0.5 x (1 - t^2) c1 (1 + 3 c2 x^2)
            let x2 = square(x)?;
            let u = mul(&super::add(x, &mul(&mul(&x2, x)?, &k(x, GELU_C))?)?, &k(x, SQRT_2_OVER_PI))?;
            let t = tanh(&u)?;
            let a = mul(&super::add(&t, &k(x, 1.0))?, &k(x, 0.5))?;
            let du = mul(&super::add(&mul(&x2, &k(x, 3.0 * GELU_C))?, &k(x, 1.0))?, &k(x, SQRT_2_OVER_PI))?;
            let b = mul(&mul(&mul(x, &k(x, 0.5))?, &super::sub(&k(x, 1.0), &square(&t)?)?)?, &du)?;
            super::add(&a, &b)?
        } else {
            // d = Φ(x) + x φ(x)
            let cdf =
                mul(&super::add(&erf(&mul(x, &k(x, std::f64::consts::FRAC_1_SQRT_2))?)?, &k(x, 1.0))?, &k(x, 0.5))?;
            let pdf = mul(&exp(&mul(&square(x)?, &k(x, -0.5))?)?, &k(x, 0.398_942_280_401_432_7))?;
            super::add(&cdf, &mul(x, &pdf)?)?
        };
        one(mul(&g, &d))
    }),
    stateful: false,
    inplace: None,
};

/// GELU; `approximate` selects the tanh approximation (TF's default is exact).
pub fn gelu(x: &Tensor, approximate: bool) -> Result<Tensor> {
    execute1(&GELU, std::slice::from_ref(x), Attrs::new().with("approximate", Attr::Bool(approximate)))
}
