//! Convolutions: `conv2d` (im2col + GEMM), its two backprop ops (each differentiable, so
//! convolutions have gradients of any order), and `conv1d` lowered to `conv2d`.

use super::{make_window_attrs, parse_window, window_attrs, window_dim, Padding};
use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::conv::{self as kern, ConvGeom};
use crate::ops::{array, execute1, expect_arity, expect_dtype_in, expect_same_dtype, GradCtx, OpDef, Spec, FLOATS};
use crate::shape::{fmt_dims, Dim, Dims};
use crate::tensor::Tensor;
use crate::with_float;

/// Fails unless `s` has rank 4, describing the expected `layout`.
fn expect_rank4(op: &str, what: &str, layout: &str, s: &Spec) -> Result<()> {
    if s.rank() != 4 {
        return Err(Error::invalid(
            op,
            format!("{what} must be a rank-4 {layout} tensor, got {} (rank {})", s.describe(), s.rank()),
        ));
    }
    Ok(())
}

/// Resolves the output dims of a conv2d of `x` (`[n, h, w, c]`) with `f` (`[kh, kw, c, o]`),
/// and the kernel geometry when every dimension is known.
fn resolve(op: &str, x: &Spec, f: &Spec, attrs: &Attrs) -> Result<(Dims, Option<ConvGeom>)> {
    expect_rank4(op, "input", "NHWC [batch, height, width, channels]", x)?;
    expect_rank4(op, "filter", "HWIO [height, width, in_channels, out_channels]", f)?;
    if let (Some(c), Some(i)) = (x.dims[3], f.dims[2]) {
        if c != i {
            return Err(Error::invalid(
                op,
                format!(
                    "input depth {c} does not match filter in_channels {i}: input shape {}, filter shape {} \
                     (input is NHWC, filter is HWIO)",
                    x.fmt_dims(),
                    f.fmt_dims()
                ),
            ));
        }
    }
    if f.dims[..2].contains(&Some(0)) {
        return Err(Error::invalid(
            op,
            format!("filter height and width must be positive, got filter shape {}", f.fmt_dims()),
        ));
    }
    let win = parse_window(op, attrs, true)?;
    let mut spatial = [None; 2];
    for (axis, what) in ["height", "width"].into_iter().enumerate() {
        if let Some(k) = f.dims[axis] {
            let k_eff = (k - 1).saturating_mul(win.dilations[axis]).saturating_add(1);
            spatial[axis] = window_dim(op, what, win.pad, axis, x.dims[axis + 1], k_eff, win.strides[axis])?;
        }
    }
    let out: Dims = [x.dims[0], spatial[0].map(|d| d.0), spatial[1].map(|d| d.0), f.dims[3]].into_iter().collect();
    let geom = match (x.shape(), f.shape(), spatial) {
        (Some(xs), Some(fs), [Some((oh, pad_top)), Some((ow, pad_left))]) => Some(ConvGeom {
            n: xs[0],
            h: xs[1],
            w: xs[2],
            c: xs[3],
            kh: fs[0],
            kw: fs[1],
            o: fs[3],
            sh: win.strides[0],
            sw: win.strides[1],
            dh: win.dilations[0],
            dw: win.dilations[1],
            pad_top,
            pad_left,
            oh,
            ow,
        }),
        _ => None,
    };
    Ok((out, geom))
}

/// The geometry of an eager call (every dimension known).
fn geometry(op: &str, x: &Spec, f: &Spec, attrs: &Attrs) -> Result<ConvGeom> {
    resolve(op, x, f, attrs)?.1.ok_or_else(|| Error::invalid(op, "shapes must be fully known to run"))
}

/// Checks two float operands of the same dtype.
fn expect_float_pair(op: &str, a: &Spec, b: &Spec) -> Result<()> {
    expect_dtype_in(op, a, FLOATS)?;
    expect_dtype_in(op, b, FLOATS)?;
    expect_same_dtype(op, a, b)
}

/// Checks a backward op's 2 inputs, or 3 with the run-time sizes input last.
fn expect_backprop_arity(op: &str, s: &[Spec]) -> Result<()> {
    if s.len() != 2 && s.len() != 3 {
        return Err(Error::invalid(op, format!("expected 2 inputs (or 3 with a sizes input), got {}", s.len())));
    }
    Ok(())
}

/// Fails unless the incoming gradient `dy` has the dims of the forward output `expected`.
fn expect_out_backprop(op: &str, dy: &Spec, expected: &[Dim], x: &Spec, f: &Spec) -> Result<()> {
    let compatible = crate::shape::dims_compatible(&dy.dims, expected);
    if !compatible {
        return Err(Error::invalid(
            op,
            format!(
                "out_backprop shape {} does not match the conv2d output shape {} for input shape {} and filter shape {}",
                dy.fmt_dims(),
                fmt_dims(expected),
                x.fmt_dims(),
                f.fmt_dims()
            ),
        ));
    }
    Ok(())
}

fn usize_ints(v: &[usize]) -> Attr {
    Attr::Ints(v.iter().map(|&d| d as i64).collect())
}

/// `tf.nn.conv2d`: NHWC input, HWIO filter.
pub static CONV2D: OpDef = OpDef {
    name: "conv2d",
    infer: |s, a| {
        expect_arity("conv2d", s, 2)?;
        expect_float_pair("conv2d", &s[0], &s[1])?;
        let (dims, _) = resolve("conv2d", &s[0], &s[1], a)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let (x, f) = (&i[0], &i[1]);
        let g = geometry("conv2d", &Spec::of(x), &Spec::of(f), a)?;
        let sh = o[0].shape().ok_or_else(|| Error::invalid("conv2d", "unknown output shape"))?;
        let t = with_float!(x.dtype(), T => Tensor::from_vec(kern::conv2d(x.as_slice::<T>()?, f.as_slice::<T>()?, &g)?, &sh)?,
            other => return Err(Error::invalid("conv2d", format!("unsupported dtype {}", x.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let dy = c.grad(0)?;
        let (x, f) = (&c.inputs[0], &c.inputs[1]);
        let dx = backprop_input(x, f, &dy, c.attrs)?;
        let df = backprop_filter(x, f, &dy, c.attrs)?;
        Ok(vec![Some(dx), Some(df)])
    }),
    stateful: false,
    inplace: None,
};

/// `tf.raw_ops.Conv2DBackpropInput`: the gradient of `conv2d` with respect to its input.
/// Inputs `(filter, out_backprop)`, plus the input's run-time shape vector when attribute
/// `input_sizes` (the input's shape) has sizes known only at run time.
pub static CONV2D_BACKPROP_INPUT: OpDef = OpDef {
    name: "conv2d_backprop_input",
    infer: |s, a| {
        const OP: &str = "conv2d_backprop_input";
        expect_backprop_arity(OP, s)?;
        expect_float_pair(OP, &s[0], &s[1])?;
        let x = super::sizes_spec(OP, a, "input_sizes", s[1].dtype, Some(&s[1]), s.get(2))?;
        let (out, _) = resolve(OP, &x, &s[0], a)?;
        expect_out_backprop(OP, &s[1], &out, &x, &s[0])?;
        Ok(vec![x])
    },
    kernel: |i, a, o| {
        const OP: &str = "conv2d_backprop_input";
        let (f, dy) = (&i[0], &i[1]);
        let x = super::run_time_sizes(OP, &o[0], i.get(2))?;
        let g = backward_geometry(OP, &x, &Spec::of(f), dy, a)?;
        let sh = x.shape().ok_or_else(|| Error::invalid(OP, "unknown output shape"))?;
        let t = with_float!(f.dtype(), T => Tensor::from_vec(kern::conv2d_backprop_input(f.as_slice::<T>()?, dy.as_slice::<T>()?, &g)?, &sh)?,
            other => return Err(Error::invalid(OP, format!("unsupported dtype {}", f.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        // dx = Bᵢ(f, dy) is bilinear: ⟨G, Bᵢ(f, dy)⟩ = ⟨conv2d(G, f), dy⟩.
        let gx = c.grad(0)?;
        let (f, dy) = (&c.inputs[0], &c.inputs[1]);
        let df = backprop_filter(&gx, f, dy, c.attrs)?;
        let ddy = execute1(&CONV2D, &[gx, f.clone()], window_attrs(c.attrs, None))?;
        Ok(vec![Some(df), Some(ddy), None][..c.inputs.len()].to_vec())
    }),
    stateful: false,
    inplace: None,
};

/// `tf.raw_ops.Conv2DBackpropFilter`: the gradient of `conv2d` with respect to its filter.
/// Inputs `(input, out_backprop)`, plus the filter's run-time shape vector when attribute
/// `filter_sizes` (the filter's shape) has sizes known only at run time.
pub static CONV2D_BACKPROP_FILTER: OpDef = OpDef {
    name: "conv2d_backprop_filter",
    infer: |s, a| {
        const OP: &str = "conv2d_backprop_filter";
        expect_backprop_arity(OP, s)?;
        expect_float_pair(OP, &s[0], &s[1])?;
        let f = super::sizes_spec(OP, a, "filter_sizes", s[0].dtype, None, s.get(2))?;
        let (out, _) = resolve(OP, &s[0], &f, a)?;
        expect_out_backprop(OP, &s[1], &out, &s[0], &f)?;
        Ok(vec![f])
    },
    kernel: |i, a, o| {
        const OP: &str = "conv2d_backprop_filter";
        let (x, dy) = (&i[0], &i[1]);
        let f = super::run_time_sizes(OP, &o[0], i.get(2))?;
        let g = backward_geometry(OP, &Spec::of(x), &f, dy, a)?;
        let sh = f.shape().ok_or_else(|| Error::invalid(OP, "unknown output shape"))?;
        let t = with_float!(x.dtype(), T => Tensor::from_vec(kern::conv2d_backprop_filter(x.as_slice::<T>()?, dy.as_slice::<T>()?, &g)?, &sh)?,
            other => return Err(Error::invalid(OP, format!("unsupported dtype {}", x.dtype()))));
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        // df = B_f(x, dy) is bilinear: ⟨G, B_f(x, dy)⟩ = ⟨conv2d(x, G), dy⟩.
        let gf = c.grad(0)?;
        let (x, dy) = (&c.inputs[0], &c.inputs[1]);
        let dx = backprop_input(x, &gf, dy, c.attrs)?;
        let ddy = execute1(&CONV2D, &[x.clone(), gf], window_attrs(c.attrs, None))?;
        Ok(vec![Some(dx), Some(ddy), None][..c.inputs.len()].to_vec())
    }),
    stateful: false,
    inplace: None,
};

/// The geometry of a backward op whose forward input `x` and filter `f` are now fully known,
/// after checking the incoming gradient `dy` against the forward output they give.
fn backward_geometry(op: &str, x: &Spec, f: &Spec, dy: &Tensor, attrs: &Attrs) -> Result<ConvGeom> {
    let (out, g) = resolve(op, x, f, attrs)?;
    expect_out_backprop(op, &Spec::of(dy), &out, x, f)?;
    g.ok_or_else(|| Error::invalid(op, "shapes must be fully known to run"))
}

/// The gradient of `conv2d(x, f)` with respect to `x`, given `x` for its shape.
fn backprop_input(x: &Tensor, f: &Tensor, dy: &Tensor, attrs: &Attrs) -> Result<Tensor> {
    let (sizes, input) = super::sizes_of(x, true)?;
    let a = window_attrs(attrs, Some(("input_sizes", sizes)));
    execute1(&CONV2D_BACKPROP_INPUT, &[f.clone(), dy.clone()].into_iter().chain(input).collect::<Vec<_>>(), a)
}

/// The gradient of `conv2d(x, f)` with respect to `f`, given `f` for its shape.
fn backprop_filter(x: &Tensor, f: &Tensor, dy: &Tensor, attrs: &Attrs) -> Result<Tensor> {
    let (sizes, input) = super::sizes_of(f, false)?;
    let a = window_attrs(attrs, Some(("filter_sizes", sizes)));
    execute1(&CONV2D_BACKPROP_FILTER, &[x.clone(), dy.clone()].into_iter().chain(input).collect::<Vec<_>>(), a)
}

/// Window attributes of a convolution; an empty `dilations` means no dilation.
fn conv_attrs(strides: &[usize], padding: &Padding, dilations: &[usize]) -> Attrs {
    make_window_attrs(None, strides, padding, (!dilations.is_empty()).then_some(dilations))
}

/// 2-D convolution (`tf.nn.conv2d`) of an NHWC `input` with HWIO `filters`.
///
/// `strides` and `dilations` take 1, 2 or 4 (NHWC) entries; empty `dilations` means 1.
/// `padding` is `"SAME"`, `"VALID"` or explicit `[[top, bottom], [left, right]]`.
pub fn conv2d(
    input: &Tensor,
    filters: &Tensor,
    strides: &[usize],
    padding: impl Into<Padding>,
    dilations: &[usize],
) -> Result<Tensor> {
    execute1(&CONV2D, &[input.clone(), filters.clone()], conv_attrs(strides, &padding.into(), dilations))
}

/// Gradient of [`conv2d`] with respect to its input, whose shape is `input_sizes`.
pub fn conv2d_backprop_input(
    input_sizes: &[usize],
    filters: &Tensor,
    out_backprop: &Tensor,
    strides: &[usize],
    padding: impl Into<Padding>,
    dilations: &[usize],
) -> Result<Tensor> {
    let a = conv_attrs(strides, &padding.into(), dilations).with("input_sizes", usize_ints(input_sizes));
    execute1(&CONV2D_BACKPROP_INPUT, &[filters.clone(), out_backprop.clone()], a)
}

/// Gradient of [`conv2d`] with respect to its filter, whose shape is `filter_sizes`.
pub fn conv2d_backprop_filter(
    input: &Tensor,
    filter_sizes: &[usize],
    out_backprop: &Tensor,
    strides: &[usize],
    padding: impl Into<Padding>,
    dilations: &[usize],
) -> Result<Tensor> {
    let a = conv_attrs(strides, &padding.into(), dilations).with("filter_sizes", usize_ints(filter_sizes));
    execute1(&CONV2D_BACKPROP_FILTER, &[input.clone(), out_backprop.clone()], a)
}

/// 1-D convolution (`tf.nn.conv1d`) of an NWC `input` with WIO `filters`, computed as a
/// `conv2d` over a height-1 image. `padding` is `"SAME"`, `"VALID"` or one `[left, right]` pair.
pub fn conv1d(
    input: &Tensor,
    filters: &Tensor,
    stride: usize,
    padding: impl Into<Padding>,
    dilation: usize,
) -> Result<Tensor> {
    const OP: &str = "conv1d";
    let (xs, fs) = (input.dims(), filters.dims());
    if xs.len() != 3 {
        return Err(Error::invalid(
            OP,
            format!(
                "input must be a rank-3 NWC [batch, width, channels] tensor, got {}{}",
                input.dtype(),
                fmt_dims(&xs)
            ),
        ));
    }
    if fs.len() != 3 {
        return Err(Error::invalid(
            OP,
            format!(
                "filters must be a rank-3 WIO [width, in_channels, out_channels] tensor, got {}{}",
                filters.dtype(),
                fmt_dims(&fs)
            ),
        ));
    }
    if let (Some(c), Some(i)) = (xs[2], fs[1]) {
        if c != i {
            return Err(Error::invalid(
                OP,
                format!(
                    "input depth {c} does not match filter in_channels {i}: input shape {}, filter shape {}",
                    fmt_dims(&xs),
                    fmt_dims(&fs)
                ),
            ));
        }
    }
    let padding = match padding.into() {
        Padding::Name(s) => Padding::Name(s),
        Padding::Explicit(p) if p.len() == 1 => Padding::Explicit(vec![[0, 0], p[0]]),
        Padding::Explicit(p) => {
            return Err(Error::invalid(OP, format!("explicit padding needs exactly one [left, right] pair, got {p:?}")))
        }
    };
    // A height-1 image: [batch, 1, width, channels] with a [1, width, in, out] filter.
    let x4 = array::expand_dims(input, 1)?;
    let f4 = array::expand_dims(filters, 0)?;
    let y = conv2d(&x4, &f4, &[1, stride], padding, &[1, dilation])?;
    array::squeeze(&y, Some(&[1]))
}
