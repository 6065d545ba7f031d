//! 2-D max and average pooling over NHWC data, with gradient ops that are themselves
//! differentiable (max pooling's gradient routes through the window maxima; average pooling
//! is linear, so its gradient and the pooling are each other's adjoints).

use super::{make_window_attrs, parse_window, window_attrs, window_dim, Pad, Padding};
use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::pool::{self as kern, PoolGeom};
use crate::ops::{execute1, expect_arity, expect_dtype_in, expect_same_dtype, GradCtx, OpDef, Spec, FLOATS};
use crate::shape::{fmt_dims, Dims};
use crate::tensor::Tensor;
use crate::with_float;

/// Output dims of pooling `x` (`[n, h, w, c]`), and the geometry when every dim is known.
fn resolve(op: &str, x: &Spec, attrs: &Attrs, allow_explicit: bool) -> Result<(Dims, Option<PoolGeom>)> {
    if x.rank() != 4 {
        return Err(Error::invalid(
            op,
            format!(
                "input must be a rank-4 NHWC [batch, height, width, channels] tensor, got {} (rank {})",
                x.describe(),
                x.rank()
            ),
        ));
    }
    let ksize = super::spatial_pair(op, attrs, "ksize", None)?;
    let win = parse_window(op, attrs, false)?;
    if let Pad::Explicit(p) = win.pad {
        if !allow_explicit {
            return Err(Error::invalid(
                op,
                "padding must be \"SAME\" or \"VALID\" (explicit padding is not supported)",
            ));
        }
        // A window lying entirely in the padding would have no maximum.
        if p.iter().zip(ksize).any(|(pair, k)| pair[0] >= k || pair[1] >= k) {
            return Err(Error::invalid(
                op,
                format!("explicit padding {p:?} must be smaller than the window size {ksize:?} on each side"),
            ));
        }
    }
    let mut spatial = [None; 2];
    for (axis, what) in ["height", "width"].into_iter().enumerate() {
        spatial[axis] = window_dim(op, what, win.pad, axis, x.dims[axis + 1], ksize[axis], win.strides[axis])?;
    }
    let out: Dims = [x.dims[0], spatial[0].map(|d| d.0), spatial[1].map(|d| d.0), x.dims[3]].into_iter().collect();
    let geom = match (x.shape(), spatial) {
        (Some(xs), [Some((oh, pad_top)), Some((ow, pad_left))]) => Some(PoolGeom {
            n: xs[0],
            h: xs[1],
            w: xs[2],
            c: xs[3],
            kh: ksize[0],
            kw: ksize[1],
            sh: win.strides[0],
            sw: win.strides[1],
            pad_top,
            pad_left,
            oh,
            ow,
        }),
        _ => None,
    };
    Ok((out, geom))
}

fn geometry(op: &str, x: &Spec, attrs: &Attrs, allow_explicit: bool) -> Result<PoolGeom> {
    resolve(op, x, attrs, allow_explicit)?.1.ok_or_else(|| Error::invalid(op, "shapes must be fully known to run"))
}

/// Fails unless `g` (named `what`) has exactly the dims `expected`, where both are known.
fn expect_dims(op: &str, what: &str, g: &Spec, expected: &[Option<usize>], input: &Spec) -> Result<()> {
    let ok = crate::shape::dims_compatible(&g.dims, expected);
    if !ok {
        return Err(Error::invalid(
            op,
            format!(
                "{what} shape {} does not match the expected shape {} for input shape {}",
                g.fmt_dims(),
                fmt_dims(expected),
                input.fmt_dims()
            ),
        ));
    }
    Ok(())
}

fn expect_float_pair(op: &str, a: &Spec, b: &Spec) -> Result<()> {
    expect_dtype_in(op, a, FLOATS)?;
    expect_dtype_in(op, b, FLOATS)?;
    expect_same_dtype(op, a, b)
}

/// `tf.nn.max_pool2d`.
pub static MAX_POOL2D: OpDef = OpDef {
    name: "max_pool2d",
    infer: |s, a| {
        expect_arity("max_pool2d", s, 1)?;
        expect_dtype_in("max_pool2d", &s[0], FLOATS)?;
        let (dims, _) = resolve("max_pool2d", &s[0], a, true)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let g = geometry("max_pool2d", &Spec::of(x), a, true)?;
        let sh = o[0].shape().ok_or_else(|| Error::invalid("max_pool2d", "unknown output shape"))?;
        let t = with_float!(x.dtype(), T => Tensor::from_vec(kern::max_pool2d(x.as_slice::<T>()?, &g), &sh)?,
            other => return Err(Error::invalid("max_pool2d", format!("unsupported dtype {}", x.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let dx = execute1(&MAX_POOL2D_GRAD, &[c.inputs[0].clone(), c.grad(0)?], window_attrs(c.attrs, None))?;
        Ok(vec![Some(dx)])
    }),
    stateful: false,
    inplace: None,
};

/// Gradient of `max_pool2d` (TensorFlow's `MaxPoolGrad`): inputs `(orig_input, grad)`; each
/// `grad` element goes to the first maximum of its window in `orig_input`.
pub static MAX_POOL2D_GRAD: OpDef = OpDef {
    name: "max_pool2d_grad",
    infer: |s, a| {
        const OP: &str = "max_pool2d_grad";
        expect_arity(OP, s, 2)?;
        expect_float_pair(OP, &s[0], &s[1])?;
        let (out, _) = resolve(OP, &s[0], a, true)?;
        expect_dims(OP, "grad", &s[1], &out, &s[0])?;
        Ok(vec![s[0].clone()])
    },
    kernel: |i, a, _| {
        const OP: &str = "max_pool2d_grad";
        let (x, dy) = (&i[0], &i[1]);
        let g = geometry(OP, &Spec::of(x), a, true)?;
        let t = with_float!(x.dtype(), T => Tensor::from_vec(kern::max_pool2d_grad(x.as_slice::<T>()?, dy.as_slice::<T>()?, &g), x.shape())?,
            other => return Err(Error::invalid(OP, format!("unsupported dtype {}", x.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        // Piecewise constant in orig_input; linear in grad, with the selection as adjoint.
        let ggx = c.grad(0)?;
        let d = execute1(&MAX_POOL2D_GRAD_GRAD, &[c.inputs[0].clone(), ggx], window_attrs(c.attrs, None))?;
        Ok(vec![None, Some(d)])
    }),
    stateful: false,
    inplace: None,
};

/// Gradient of `max_pool2d_grad` with respect to its `grad` input (TensorFlow's
/// `MaxPoolGradGrad`): inputs `(orig_input, grad)` with `grad` shaped like `orig_input`;
/// picks `grad` at each window's first maximum, giving the pooled shape.
pub static MAX_POOL2D_GRAD_GRAD: OpDef = OpDef {
    name: "max_pool2d_grad_grad",
    infer: |s, a| {
        const OP: &str = "max_pool2d_grad_grad";
        expect_arity(OP, s, 2)?;
        expect_float_pair(OP, &s[0], &s[1])?;
        let (out, _) = resolve(OP, &s[0], a, true)?;
        expect_dims(OP, "grad", &s[1], &s[0].dims, &s[0])?;
        Ok(vec![Spec { dtype: s[0].dtype, dims: out }])
    },
    kernel: |i, a, o| {
        const OP: &str = "max_pool2d_grad_grad";
        let (x, gg) = (&i[0], &i[1]);
        let g = geometry(OP, &Spec::of(x), a, true)?;
        let sh = o[0].shape().ok_or_else(|| Error::invalid(OP, "unknown output shape"))?;
        let t = with_float!(x.dtype(), T => Tensor::from_vec(kern::max_pool2d_grad_grad(x.as_slice::<T>()?, gg.as_slice::<T>()?, &g), &sh)?,
            other => return Err(Error::invalid(OP, format!("unsupported dtype {}", x.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let g = c.grad(0)?;
        let d = execute1(&MAX_POOL2D_GRAD, &[c.inputs[0].clone(), g], window_attrs(c.attrs, None))?;
        Ok(vec![None, Some(d)])
    }),
    stateful: false,
    inplace: None,
};

/// `tf.nn.avg_pool2d`: windows average over their in-image elements only.
pub static AVG_POOL2D: OpDef = OpDef {
    name: "avg_pool2d",
    infer: |s, a| {
        expect_arity("avg_pool2d", s, 1)?;
        expect_dtype_in("avg_pool2d", &s[0], FLOATS)?;
        let (dims, _) = resolve("avg_pool2d", &s[0], a, false)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let g = geometry("avg_pool2d", &Spec::of(x), a, false)?;
        let sh = o[0].shape().ok_or_else(|| Error::invalid("avg_pool2d", "unknown output shape"))?;
        let t = with_float!(x.dtype(), T => Tensor::from_vec(kern::avg_pool2d(x.as_slice::<T>()?, &g), &sh)?,
            other => return Err(Error::invalid("avg_pool2d", format!("unsupported dtype {}", x.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let (sizes, input) = super::sizes_of(&c.inputs[0], true)?;
        let a = window_attrs(c.attrs, Some(("input_sizes", sizes)));
        let dx = execute1(&AVG_POOL2D_GRAD, &[c.grad(0)?].into_iter().chain(input).collect::<Vec<_>>(), a)?;
        Ok(vec![Some(dx)])
    }),
    stateful: false,
    inplace: None,
};

/// Gradient of `avg_pool2d` (TensorFlow's `AvgPoolGrad`): input `grad`, plus the pooled
/// input's run-time shape vector when attribute `input_sizes` (that input's shape) has sizes
/// known only at run time.
pub static AVG_POOL2D_GRAD: OpDef = OpDef {
    name: "avg_pool2d_grad",
    infer: |s, a| {
        const OP: &str = "avg_pool2d_grad";
        if s.len() != 1 && s.len() != 2 {
            return Err(Error::invalid(OP, format!("expected 1 input (or 2 with a sizes input), got {}", s.len())));
        }
        expect_dtype_in(OP, &s[0], FLOATS)?;
        let x = super::sizes_spec(OP, a, "input_sizes", s[0].dtype, Some(&s[0]), s.get(1))?;
        let (out, _) = resolve(OP, &x, a, false)?;
        expect_dims(OP, "grad", &s[0], &out, &x)?;
        Ok(vec![x])
    },
    kernel: |i, a, o| {
        const OP: &str = "avg_pool2d_grad";
        let dy = &i[0];
        let x = super::run_time_sizes(OP, &o[0], i.get(1))?;
        let (out, g) = resolve(OP, &x, a, false)?;
        expect_dims(OP, "grad", &Spec::of(dy), &out, &x)?;
        let g = g.ok_or_else(|| Error::invalid(OP, "shapes must be fully known to run"))?;
        let sh = x.shape().ok_or_else(|| Error::invalid(OP, "unknown output shape"))?;
        let t = with_float!(dy.dtype(), T => Tensor::from_vec(kern::avg_pool2d_grad(dy.as_slice::<T>()?, &g), &sh)?,
            other => return Err(Error::invalid(OP, format!("unsupported dtype {}", dy.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let d = execute1(&AVG_POOL2D, &[c.grad(0)?], window_attrs(c.attrs, None))?;
        Ok(vec![Some(d), None][..c.inputs.len()].to_vec())
    }),
    stateful: false,
    inplace: None,
};

fn pool_attrs(ksize: &[usize], strides: &[usize], padding: impl Into<Padding>) -> Attrs {
    make_window_attrs(Some(ksize), strides, &padding.into(), None)
}

/// Max pooling (`tf.nn.max_pool2d`) of an NHWC `input`. `ksize` and `strides` take 1, 2 or 4
/// (NHWC) entries; `padding` is `"SAME"`, `"VALID"` or explicit pairs (each smaller than the window).
pub fn max_pool2d(input: &Tensor, ksize: &[usize], strides: &[usize], padding: impl Into<Padding>) -> Result<Tensor> {
    execute1(&MAX_POOL2D, std::slice::from_ref(input), pool_attrs(ksize, strides, padding))
}

/// Average pooling (`tf.nn.avg_pool2d`) of an NHWC `input`; `padding` is `"SAME"` or `"VALID"`.
pub fn avg_pool2d(input: &Tensor, ksize: &[usize], strides: &[usize], padding: impl Into<Padding>) -> Result<Tensor> {
    execute1(&AVG_POOL2D, std::slice::from_ref(input), pool_attrs(ksize, strides, padding))
}

/// Gradient of [`max_pool2d`]: `grad` (pooled shape) routed to the window maxima of `orig_input`.
pub fn max_pool2d_grad(
    orig_input: &Tensor,
    grad: &Tensor,
    ksize: &[usize],
    strides: &[usize],
    padding: impl Into<Padding>,
) -> Result<Tensor> {
    execute1(&MAX_POOL2D_GRAD, &[orig_input.clone(), grad.clone()], pool_attrs(ksize, strides, padding))
}

/// Gradient of [`max_pool2d_grad`] with respect to its `grad`: `grad` (input shape) read at the
/// window maxima of `orig_input`.
pub fn max_pool2d_grad_grad(
    orig_input: &Tensor,
    grad: &Tensor,
    ksize: &[usize],
    strides: &[usize],
    padding: impl Into<Padding>,
) -> Result<Tensor> {
    execute1(&MAX_POOL2D_GRAD_GRAD, &[orig_input.clone(), grad.clone()], pool_attrs(ksize, strides, padding))
}

/// Gradient of [`avg_pool2d`] for an input of shape `input_sizes`.
pub fn avg_pool2d_grad(
    input_sizes: &[usize],
    grad: &Tensor,
    ksize: &[usize],
    strides: &[usize],
    padding: impl Into<Padding>,
) -> Result<Tensor> {
    let sizes = Attr::Ints(input_sizes.iter().map(|&d| d as i64).collect());
    execute1(
        &AVG_POOL2D_GRAD,
        std::slice::from_ref(grad),
        pool_attrs(ksize, strides, padding).with("input_sizes", sizes),
    )
}
