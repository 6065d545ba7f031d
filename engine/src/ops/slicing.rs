//! Slicing ops (`tf.slice`, `tf.strided_slice`) and the NumPy-style indexing built on them
//! (`x[1:, ..., ::-1, tf.newaxis]` → [`index`] with [`SliceItem`]s, or the [`s!`](crate::s) macro).

use crate::attrs::{Attr, Attrs};
use crate::error::{Error, Result};
use crate::kernels::slicing::{gather_window, scatter_window, Window};
use crate::ops::shape_like::has_static_shape;
use crate::ops::{execute1, expect_arity, GradCtx, OpDef, Spec};
use crate::shape::{fmt_dims, Dim, Dims};
use crate::tensor::Tensor;
use crate::with_any;
use crate::DType;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&SLICE, &SLICE_GRAD, &STRIDED_SLICE, &STRIDED_SLICE_GRAD];

// ---------------------------------------------------------------------------------------------
// tf.slice

/// Validated `slice` parameters: per-dimension begin and (possibly unknown) size.
pub(super) fn resolve_slice(op: &str, x: &Spec, begin: &[i64], size: &[i64]) -> Result<(Vec<usize>, Dims)> {
    let rank = x.rank();
    if begin.len() != rank || size.len() != rank {
        return Err(Error::invalid(
            op,
            format!(
                "begin and size must each have one entry per dimension of the input {} (length {rank}), \
                 got begin {begin:?} and size {size:?}",
                x.describe()
            ),
        ));
    }
    let mut b_out = Vec::with_capacity(rank);
    let mut dims = Dims::with_capacity(rank);
    for d in 0..rank {
        let (b, s) = (begin[d], size[d]);
        match x.dims[d] {
            Some(n) => {
                let n = n as i64;
                if b < 0 || b > n {
                    return Err(Error::invalid(
                        op,
                        format!("expected begin[{d}] in [0, {n}] for input {}, but got {b}", x.describe()),
                    ));
                }
                let s = if s == -1 { n - b } else { s };
                if s < 0 || s > n - b {
                    return Err(Error::invalid(
                        op,
                        format!(
                            "expected size[{d}] in [0, {}] (or -1) for input {} with begin[{d}] = {b}, but got {}",
                            n - b,
                            x.describe(),
                            size[d]
                        ),
                    ));
                }
                dims.push(Some(s as usize));
            }
            None => {
                if b < 0 || s < -1 {
                    return Err(Error::invalid(
                        op,
                        format!("expected begin[{d}] >= 0 and size[{d}] >= -1, but got {b} and {s}"),
                    ));
                }
                dims.push(if s == -1 { None } else { Some(s as usize) });
            }
        }
        b_out.push(b as usize);
    }
    Ok((b_out, dims))
}

/// The box of `x` of `size` starting at `begin` (checked by [`resolve_slice`]).
pub(super) fn gather_box(x: &Tensor, begin: Vec<usize>, size: &[usize]) -> Result<Tensor> {
    let w = Window { shape: x.shape().to_vec(), stride: vec![1; begin.len()], begin, size: size.to_vec() };
    Ok(with_any!(x.dtype(), T => Tensor::from_vec(gather_window(x.as_slice::<T>()?, &w), size)?))
}

pub(super) fn unknown(op: &str) -> Error {
    Error::invalid(op, "the shape must be fully known to run this op")
}

/// `tf.slice`: the box of `size` elements starting at `begin` (`size` -1 = to the end).
pub static SLICE: OpDef = OpDef {
    name: "slice",
    infer: |s, a| {
        expect_arity("slice", s, 1)?;
        let (_, dims) = resolve_slice("slice", &s[0], a.ints("slice", "begin")?, a.ints("slice", "size")?)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let (begin, _) = resolve_slice("slice", &Spec::of(x), a.ints("slice", "begin")?, a.ints("slice", "size")?)?;
        let size = o[0].shape().ok_or_else(|| unknown("slice"))?;
        Ok(vec![gather_box(x, begin, &size)?])
    },
    grad: Some(|c: &GradCtx| {
        let begin = c.attrs.ints("slice", "begin")?;
        let attrs = Attrs::new().with("begin", Attr::Ints(begin.to_vec()));
        Ok(vec![Some(backward_into(&SLICE_GRAD, &c.grad(0)?, &c.inputs[0], attrs)?)])
    }),
    stateful: false,
    inplace: None,
};

/// Backward of `slice`: a zero tensor of the input shape with the incoming gradient placed at `begin`.
pub static SLICE_GRAD: OpDef = OpDef {
    name: "slice_grad",
    infer: |s, a| {
        let dims = backward_dims("slice_grad", s, a)?;
        let begin = a.ints("slice_grad", "begin")?;
        let dy = &s[0];
        let input = Spec { dtype: dy.dtype, dims: dims.clone() };
        let size: Vec<i64> = dy.dims.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
        if dy.rank() != input.rank() {
            return Err(Error::invalid(
                "slice_grad",
                format!("gradient {} must have the rank of the input shape {}", dy.describe(), fmt_dims(&dims)),
            ));
        }
        let (_, out) = resolve_slice("slice_grad", &input, begin, &size)?;
        check_compatible("slice_grad", dy, &out)?;
        Ok(vec![input])
    },
    kernel: |i, a, o| {
        let dy = &i[0];
        let shape = o[0].shape().ok_or_else(|| unknown("slice_grad"))?;
        let begin: Vec<usize> = a.ints("slice_grad", "begin")?.iter().map(|&b| b as usize).collect();
        let w = Window { shape: shape.to_vec(), stride: vec![1; begin.len()], begin, size: dy.shape().to_vec() };
        let t = with_any!(dy.dtype(), T => Tensor::from_vec(scatter_window(dy.as_slice::<T>()?, &w), &shape)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let begin = c.attrs.ints("slice_grad", "begin")?;
        let g = slice_like(&c.grad(0)?, begin, &c.inputs[0])?;
        Ok(std::iter::once(Some(g)).chain(c.inputs[1..].iter().map(|_| None)).collect())
    }),
    stateful: false,
    inplace: None,
};

/// The box of `x` at `begin` the size of `like`, whose dims may be known only at run time.
fn slice_like(x: &Tensor, begin: &[i64], like: &Tensor) -> Result<Tensor> {
    if has_static_shape(like) {
        let size: Vec<i64> = like.shape().iter().map(|&d| d as i64).collect();
        return slice(x, begin, &size);
    }
    let shape = crate::ops::array::shape(like)?;
    let mut items = Vec::with_capacity(begin.len());
    for (d, (&b, dim)) in begin.iter().zip(like.dims()).enumerate() {
        items.push(match dim {
            Some(n) => SliceItem::range(b, b + n as i64),
            None => {
                let n = index(&shape, &[SliceItem::Index(d as i64)])?;
                let stop = crate::ops::math::add(&n, &Tensor::from(b as i32))?;
                SliceItem::RangeAt { start: Some(Tensor::from(b)), stop: Some(stop), step: None }
            }
        });
    }
    index(x, &items)
}

/// The output dims of a backward op (`slice_grad`, `strided_slice_grad`): its `shape`
/// attribute, completed by the run-time shape of the optional second input (the forward op's
/// input, passed when that attribute has unknown dimensions).
fn backward_dims(op: &str, s: &[Spec], a: &Attrs) -> Result<Dims> {
    if s.is_empty() || s.len() > 2 {
        return Err(Error::invalid(op, format!("expected 1 or 2 inputs, got {}", s.len())));
    }
    let dims = shape_attr_dims(op, a)?;
    let Some(like) = s.get(1) else { return Ok(dims) };
    crate::shape::merge_dims(&like.dims, &dims).ok_or_else(|| {
        Error::invalid(
            op,
            format!("the input {} does not have the attribute shape {}", like.describe(), fmt_dims(&dims)),
        )
    })
}

/// A backward op writing `dy` into zeros shaped like the forward input `x`: its shape is an
/// attribute, with `x` as a second input for the dimensions known only at run time.
fn backward_into(op: &'static OpDef, dy: &Tensor, x: &Tensor, attrs: Attrs) -> Result<Tensor> {
    let shape: Vec<i64> = x.dims().iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
    let attrs = attrs.with("shape", Attr::Ints(shape));
    if has_static_shape(x) {
        execute1(op, std::slice::from_ref(dy), attrs)
    } else {
        execute1(op, &[dy.clone(), x.clone()], attrs)
    }
}

/// The `shape` attribute of a backward op as dims (`-1` = unknown).
pub(super) fn shape_attr_dims(op: &str, a: &Attrs) -> Result<Dims> {
    let dims: Dims = a
        .ints(op, "shape")?
        .iter()
        .map(|&d| match d {
            -1 => Ok(None),
            d if d >= 0 => Ok(Some(d as usize)),
            d => Err(Error::invalid(op, format!("invalid dimension {d} in attribute `shape`"))),
        })
        .collect::<Result<_>>()?;
    check_size(op, &dims)?;
    Ok(dims)
}

/// Fails when the known dims multiply to more elements than a buffer can hold.
fn check_size(op: &str, dims: &[Dim]) -> Result<()> {
    let n = dims.iter().flatten().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match n {
        Some(n) if n <= isize::MAX as usize / 8 => Ok(()),
        _ => Err(Error::invalid(op, format!("shape {} has too many elements", fmt_dims(dims)))),
    }
}

/// Fails unless `dy` has the (possibly partial) dims `expected`.
pub(super) fn check_compatible(op: &str, dy: &Spec, expected: &[Dim]) -> Result<()> {
    let ok = crate::shape::dims_compatible(&dy.dims, expected);
    if !ok {
        return Err(Error::invalid(
            op,
            format!("gradient {} does not have the slice's output shape {}", dy.describe(), fmt_dims(expected)),
        ));
    }
    Ok(())
}

/// `tf.slice(x, begin, size)`: `size[i] == -1` takes everything from `begin[i]` on.
pub fn slice(x: &Tensor, begin: &[i64], size: &[i64]) -> Result<Tensor> {
    let attrs = Attrs::new().with("begin", Attr::Ints(begin.to_vec())).with("size", Attr::Ints(size.to_vec()));
    execute1(&SLICE, std::slice::from_ref(x), attrs)
}

/// The backward of [`slice`]: zeros of `shape` with `dy` placed at `begin`.
pub fn slice_grad(dy: &Tensor, shape: &[usize], begin: &[i64]) -> Result<Tensor> {
    let shape: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    let attrs = Attrs::new().with("shape", Attr::Ints(shape)).with("begin", Attr::Ints(begin.to_vec()));
    execute1(&SLICE_GRAD, std::slice::from_ref(dy), attrs)
}

// ---------------------------------------------------------------------------------------------
// tf.strided_slice

/// The parameters of TensorFlow's `StridedSlice`: one entry of `begin`/`end`/`strides` per
/// slice-spec item, and bit `i` of each mask says how item `i` is to be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StridedSliceSpec {
    /// Start index per item (ignored where `begin_mask` is set).
    pub begin: Vec<i64>,
    /// Stop index per item (ignored where `end_mask` is set).
    pub end: Vec<i64>,
    /// Step per item (non-zero).
    pub strides: Vec<i64>,
    /// Items whose start is "from the beginning" (the end, for negative strides).
    pub begin_mask: i64,
    /// Items whose stop is "to the end" (the beginning, for negative strides).
    pub end_mask: i64,
    /// The one item that stands for all remaining dimensions (`...`).
    pub ellipsis_mask: i64,
    /// Items that insert a new size-1 dimension (`tf.newaxis`).
    pub new_axis_mask: i64,
    /// Items that index a single position and drop the dimension (an integer index).
    pub shrink_axis_mask: i64,
}

const MASKS: [&str; 5] = ["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"];

impl StridedSliceSpec {
    /// The spec as op attributes.
    pub fn to_attrs(&self) -> Attrs {
        let masks = [self.begin_mask, self.end_mask, self.ellipsis_mask, self.new_axis_mask, self.shrink_axis_mask];
        let mut a = Attrs::new()
            .with("begin", Attr::Ints(self.begin.clone()))
            .with("end", Attr::Ints(self.end.clone()))
            .with("strides", Attr::Ints(self.strides.clone()));
        for (name, m) in MASKS.iter().zip(masks) {
            a = a.with(name, Attr::Int(m));
        }
        a
    }

    /// Reads the spec from op attributes (absent masks are 0).
    pub fn from_attrs(op: &str, a: &Attrs) -> Result<StridedSliceSpec> {
        let mask = |name: &str| match a.get(name) {
            None => Ok(0),
            Some(_) => a.int(op, name),
        };
        Ok(StridedSliceSpec {
            begin: a.ints(op, "begin")?.to_vec(),
            end: a.ints(op, "end")?.to_vec(),
            strides: a.ints(op, "strides")?.to_vec(),
            begin_mask: mask("begin_mask")?,
            end_mask: mask("end_mask")?,
            ellipsis_mask: mask("ellipsis_mask")?,
            new_axis_mask: mask("new_axis_mask")?,
            shrink_axis_mask: mask("shrink_axis_mask")?,
        })
    }
}

/// Where each output dimension of a strided slice comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FinalDim {
    Input(usize),
    NewAxis,
}

/// A strided slice resolved against an input shape: per input dimension the first index,
/// stride and count (unknown for unknown dims), and the output dims.
pub(crate) struct Resolved {
    begin: Vec<Option<usize>>,
    strides: Vec<i64>,
    size: Vec<Dim>,
    /// The output dims.
    pub out: Dims,
}

impl Resolved {
    /// The window over a fully known input, `None` when some dimension is unknown.
    pub(crate) fn window(&self, shape: &[usize]) -> Option<Window> {
        Some(Window {
            shape: shape.to_vec(),
            begin: self.begin.iter().copied().collect::<Option<Vec<_>>>()?,
            stride: self.strides.clone(),
            size: self.size.iter().copied().collect::<Option<Vec<_>>>()?,
        })
    }
}

/// Which `begin`/`end` entries of a spec are known only at run time (bit `i` = item `i`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunTimeBounds {
    /// Items whose `begin` is a run-time input.
    pub begin: i64,
    /// Items whose `end` is a run-time input.
    pub end: i64,
    /// Items whose stride is a run-time input.
    pub strides: i64,
}

/// TensorFlow's strided-slice resolution: expands the ellipsis (an implicit one trails the
/// spec), then clamps each range like a Python slice and checks integer indices.
pub(crate) fn resolve_strided(op: &str, x: &Spec, spec: &StridedSliceSpec) -> Result<Resolved> {
    resolve_strided_at(op, x, spec, RunTimeBounds::default())
}

/// [`resolve_strided`] where the bounds `run_time` marks have no value yet: their items' start
/// (and, for ranges, size) stay unknown.
pub(crate) fn resolve_strided_at(
    op: &str,
    x: &Spec,
    spec: &StridedSliceSpec,
    run_time: RunTimeBounds,
) -> Result<Resolved> {
    let n = spec.begin.len();
    if spec.end.len() != n || spec.strides.len() != n {
        return Err(Error::invalid(
            op,
            format!(
                "begin, end and strides must have the same length, got {}, {} and {}",
                n,
                spec.end.len(),
                spec.strides.len()
            ),
        ));
    }
    if n > 63 {
        return Err(Error::invalid(op, format!("a slice spec may have at most 63 items, got {n}")));
    }
    // Bits beyond the spec's items are ignored, as TensorFlow does.
    let bit = |m: i64, i: usize| (m >> i) & 1 == 1;
    let ellipses = (0..n).filter(|&i| bit(spec.ellipsis_mask, i)).count();
    if ellipses > 1 {
        return Err(Error::invalid(op, "multiple ellipses in slice spec not allowed"));
    }
    let rank = x.rank();
    let consumes = |i: usize| !bit(spec.ellipsis_mask, i) && !bit(spec.new_axis_mask, i);
    let consuming = (0..n).filter(|&i| consumes(i)).count();
    if consuming > rank {
        return Err(Error::invalid(
            op,
            format!("the slice spec indexes {consuming} dimensions, but the input {} has only {rank}", x.describe()),
        ));
    }
    // The ellipsis (explicit, or implicit after the last item) stands for the dimensions
    // no item consumes.
    let ellipsis_dims = rank - consuming;
    let mut dense_item: Vec<Option<usize>> = vec![None; rank];
    let mut final_dims: Vec<FinalDim> = Vec::with_capacity(n + rank);
    let mut full = 0usize;
    let expand = |full: &mut usize, final_dims: &mut Vec<FinalDim>| {
        for _ in 0..ellipsis_dims {
            final_dims.push(FinalDim::Input(*full));
            *full += 1;
        }
    };
    for i in 0..n {
        if bit(spec.ellipsis_mask, i) {
            expand(&mut full, &mut final_dims);
        } else if bit(spec.new_axis_mask, i) {
            final_dims.push(FinalDim::NewAxis);
        } else {
            dense_item[full] = Some(i);
            final_dims.push(FinalDim::Input(full));
            full += 1;
        }
    }
    if ellipses == 0 {
        expand(&mut full, &mut final_dims);
    }

    let mut begin = Vec::with_capacity(rank);
    let mut strides = Vec::with_capacity(rank);
    let mut size: Vec<Dim> = Vec::with_capacity(rank);
    let mut shrunk = vec![false; rank];
    for (d, item) in dense_item.iter().enumerate() {
        let dim = x.dims[d];
        let Some(i) = *item else {
            begin.push(Some(0));
            strides.push(1);
            size.push(dim);
            continue;
        };
        let stride = spec.strides[i];
        if stride == 0 {
            return Err(Error::invalid(op, format!("strides[{i}] must be non-zero")));
        }
        if bit(spec.shrink_axis_mask, i) {
            shrunk[d] = true;
            strides.push(1);
            if stride < 0 {
                return Err(Error::invalid(
                    op,
                    format!("an integer index (shrink axis) needs a positive stride, got strides[{i}] = {stride}"),
                ));
            }
            let k = spec.begin[i];
            match dim {
                _ if bit(run_time.begin, i) => begin.push(None),
                Some(len) => {
                    let l = len as i64;
                    let fwd = if k < 0 { k.saturating_add(l) } else { k };
                    if fwd < 0 || fwd >= l {
                        return Err(Error::invalid(
                            op,
                            format!(
                                "slice index {k} of dimension {d} out of bounds: dimension {d} of input {} has \
                                 size {len} (valid indices are [-{len}, {len}))",
                                x.describe()
                            ),
                        ));
                    }
                    begin.push(Some(fwd as usize));
                }
                None => begin.push(None),
            }
            size.push(Some(1));
            continue;
        }
        let unknown_bound = (bit(run_time.begin, i) && !bit(spec.begin_mask, i))
            || (bit(run_time.end, i) && !bit(spec.end_mask, i))
            || bit(run_time.strides, i);
        let Some(len) = dim.filter(|_| !unknown_bound) else {
            begin.push(None);
            strides.push(stride);
            size.push(None);
            continue;
        };
        let l = len as i64;
        // Python slice clamping: valid positions are [0, len] walking forward, [-1, len-1] backward.
        let (lo, hi) = if stride > 0 { (0, l) } else { (-1, l - 1) };
        let canonical = |v: i64, masked: bool, is_end: bool| -> i64 {
            if masked {
                // A masked begin is the first element in walking order; a masked end is past the last.
                if (stride > 0) != is_end {
                    lo
                } else {
                    hi
                }
            } else {
                let fwd = if v < 0 { v.saturating_add(l) } else { v };
                fwd.clamp(lo, hi)
            }
        };
        let b = canonical(spec.begin[i], bit(spec.begin_mask, i), false);
        let e = canonical(spec.end[i], bit(spec.end_mask, i), true);
        let interval = e - b;
        let count = if interval == 0 || (interval < 0) != (stride < 0) {
            0
        } else {
            interval / stride + i64::from(interval % stride != 0)
        };
        // An empty range may start at -1 or len; the window never reads it, so any start will do.
        begin.push(Some(if count == 0 { 0 } else { b as usize }));
        // With fewer than two elements the stride is never taken; 1 keeps offset arithmetic small.
        strides.push(if count < 2 { 1 } else { stride });
        size.push(Some(count as usize));
    }
    let out = final_dims
        .iter()
        .filter_map(|fd| match *fd {
            FinalDim::NewAxis => Some(Some(1)),
            FinalDim::Input(d) if !shrunk[d] => Some(size[d]),
            FinalDim::Input(_) => None,
        })
        .collect();
    Ok(Resolved { begin, strides, size, out })
}

/// `tf.strided_slice`: NumPy basic indexing as TensorFlow encodes it (see [`StridedSliceSpec`]).
pub static STRIDED_SLICE: OpDef = OpDef {
    name: "strided_slice",
    infer: |s, a| {
        expect_arity("strided_slice", s, 1)?;
        let spec = StridedSliceSpec::from_attrs("strided_slice", a)?;
        let r = resolve_strided("strided_slice", &s[0], &spec)?;
        Ok(vec![Spec { dtype: s[0].dtype, dims: r.out }])
    },
    kernel: |i, a, o| {
        let x = &i[0];
        let spec = StridedSliceSpec::from_attrs("strided_slice", a)?;
        let r = resolve_strided("strided_slice", &Spec::of(x), &spec)?;
        let w = r.window(x.shape()).ok_or_else(|| unknown("strided_slice"))?;
        let osh = o[0].shape().ok_or_else(|| unknown("strided_slice"))?;
        let t = with_any!(x.dtype(), T => Tensor::from_vec(gather_window(x.as_slice::<T>()?, &w), &osh)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let spec = StridedSliceSpec::from_attrs("strided_slice", c.attrs)?;
        Ok(vec![Some(backward_into(&STRIDED_SLICE_GRAD, &c.grad(0)?, &c.inputs[0], spec.to_attrs())?)])
    }),
    stateful: false,
    inplace: None,
};

/// Backward of `strided_slice`: a zero tensor of the input `shape` with the incoming gradient
/// written at the positions the slice read.
pub static STRIDED_SLICE_GRAD: OpDef = OpDef {
    name: "strided_slice_grad",
    infer: |s, a| {
        let spec = StridedSliceSpec::from_attrs("strided_slice_grad", a)?;
        let input = Spec { dtype: s[0].dtype, dims: backward_dims("strided_slice_grad", s, a)? };
        let r = resolve_strided("strided_slice_grad", &input, &spec)?;
        check_compatible("strided_slice_grad", &s[0], &r.out)?;
        Ok(vec![input])
    },
    kernel: |i, a, o| {
        let dy = &i[0];
        let spec = StridedSliceSpec::from_attrs("strided_slice_grad", a)?;
        let shape = o[0].shape().ok_or_else(|| unknown("strided_slice_grad"))?;
        let r = resolve_strided("strided_slice_grad", &o[0], &spec)?;
        let w = r.window(&shape).ok_or_else(|| unknown("strided_slice_grad"))?;
        let t = with_any!(dy.dtype(), T => Tensor::from_vec(scatter_window(dy.as_slice::<T>()?, &w), &shape)?);
        Ok(vec![t])
    },
    grad: Some(|c: &GradCtx| {
        let spec = StridedSliceSpec::from_attrs("strided_slice_grad", c.attrs)?;
        let g = strided_slice_with(&c.grad(0)?, &spec)?;
        Ok(std::iter::once(Some(g)).chain(c.inputs[1..].iter().map(|_| None)).collect())
    }),
    stateful: false,
    inplace: None,
};

/// `tf.strided_slice(x, begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
/// shrink_axis_mask)`, TensorFlow's encoding of `x[...]`.
#[allow(clippy::too_many_arguments)]
pub fn strided_slice(
    x: &Tensor,
    begin: &[i64],
    end: &[i64],
    strides: &[i64],
    begin_mask: i64,
    end_mask: i64,
    ellipsis_mask: i64,
    new_axis_mask: i64,
    shrink_axis_mask: i64,
) -> Result<Tensor> {
    let spec = StridedSliceSpec {
        begin: begin.to_vec(),
        end: end.to_vec(),
        strides: strides.to_vec(),
        begin_mask,
        end_mask,
        ellipsis_mask,
        new_axis_mask,
        shrink_axis_mask,
    };
    strided_slice_with(x, &spec)
}

/// [`strided_slice`] with the parameters in one [`StridedSliceSpec`].
pub fn strided_slice_with(x: &Tensor, spec: &StridedSliceSpec) -> Result<Tensor> {
    execute1(&STRIDED_SLICE, std::slice::from_ref(x), spec.to_attrs())
}

/// The backward of [`strided_slice_with`]: zeros of `shape` with `dy` written where the slice read.
pub fn strided_slice_grad(dy: &Tensor, shape: &[usize], spec: &StridedSliceSpec) -> Result<Tensor> {
    let shape: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    execute1(&STRIDED_SLICE_GRAD, std::slice::from_ref(dy), spec.to_attrs().with("shape", Attr::Ints(shape)))
}

// ---------------------------------------------------------------------------------------------
// NumPy-style indexing

/// One item of an indexing expression `x[a, b:c:d, ..., None]`.
#[derive(Clone, Debug)]
pub enum SliceItem {
    /// An integer index (negative counts from the end); drops the dimension.
    Index(i64),
    /// A Python slice `start:stop:step` (`None` bounds take everything in walking order).
    Range {
        /// First index (`None`: the start, or the end for negative steps).
        start: Option<i64>,
        /// Stop index, exclusive (`None`: past the end, or before the start for negative steps).
        stop: Option<i64>,
        /// Step, non-zero.
        step: i64,
    },
    /// `tf.newaxis` / `None`: inserts a size-1 dimension.
    NewAxis,
    /// `...`: as many full slices as needed to cover the remaining dimensions.
    Ellipsis,
    /// An index held by a scalar int32/int64 tensor, which inside a traced function may be
    /// known only at run time (`x[i]` in a loop over `tf.range`); drops the dimension.
    IndexAt(Tensor),
    /// A slice whose bounds are scalar int32/int64 tensors (`x[:tf.shape(y)[0]]`); `None` as in
    /// [`SliceItem::Range`].
    RangeAt {
        /// First index.
        start: Option<Tensor>,
        /// Stop index, exclusive.
        stop: Option<Tensor>,
        /// Step, non-zero (`None`: 1).
        step: Option<Tensor>,
    },
}

impl SliceItem {
    /// The integer index `i`.
    pub fn index(i: i64) -> SliceItem {
        SliceItem::Index(i)
    }

    /// `:` — the whole dimension.
    pub fn full() -> SliceItem {
        SliceItem::Range { start: None, stop: None, step: 1 }
    }

    /// `start:stop`.
    pub fn range(start: i64, stop: i64) -> SliceItem {
        SliceItem::Range { start: Some(start), stop: Some(stop), step: 1 }
    }

    /// `start:stop:step` with optional bounds.
    pub fn slice(start: Option<i64>, stop: Option<i64>, step: i64) -> SliceItem {
        SliceItem::Range { start, stop, step }
    }

    /// `start:`.
    pub fn starting_at(start: i64) -> SliceItem {
        SliceItem::Range { start: Some(start), stop: None, step: 1 }
    }

    /// `:stop`.
    pub fn up_to(stop: i64) -> SliceItem {
        SliceItem::Range { start: None, stop: Some(stop), step: 1 }
    }

    /// `::step` (`::-1` reverses).
    pub fn step(step: i64) -> SliceItem {
        SliceItem::Range { start: None, stop: None, step }
    }

    /// A range-like Rust value with a step: `stepped(1.., 2)` is `1::2`.
    pub fn stepped(range: impl SliceRange, step: i64) -> SliceItem {
        let (start, stop) = range.bounds();
        SliceItem::Range { start, stop, step }
    }
}

/// Half-open Rust ranges usable as slice bounds (`a..b`, `a..`, `..b`, `..`).
pub trait SliceRange {
    /// `(start, stop)`; `None` where the range is open.
    fn bounds(&self) -> (Option<i64>, Option<i64>);
}

impl SliceRange for std::ops::RangeFull {
    fn bounds(&self) -> (Option<i64>, Option<i64>) {
        (None, None)
    }
}

macro_rules! int_slice_items {
    ($($t:ty),*) => {$(
        impl From<$t> for SliceItem {
            fn from(i: $t) -> SliceItem {
                SliceItem::Index(i as i64)
            }
        }
        impl SliceRange for std::ops::Range<$t> {
            fn bounds(&self) -> (Option<i64>, Option<i64>) {
                (Some(self.start as i64), Some(self.end as i64))
            }
        }
        impl SliceRange for std::ops::RangeFrom<$t> {
            fn bounds(&self) -> (Option<i64>, Option<i64>) {
                (Some(self.start as i64), None)
            }
        }
        impl SliceRange for std::ops::RangeTo<$t> {
            fn bounds(&self) -> (Option<i64>, Option<i64>) {
                (None, Some(self.end as i64))
            }
        }
        impl From<std::ops::Range<$t>> for SliceItem {
            fn from(r: std::ops::Range<$t>) -> SliceItem {
                SliceItem::stepped(r, 1)
            }
        }
        impl From<std::ops::RangeFrom<$t>> for SliceItem {
            fn from(r: std::ops::RangeFrom<$t>) -> SliceItem {
                SliceItem::stepped(r, 1)
            }
        }
        impl From<std::ops::RangeTo<$t>> for SliceItem {
            fn from(r: std::ops::RangeTo<$t>) -> SliceItem {
                SliceItem::stepped(r, 1)
            }
        }
    )*};
}
int_slice_items!(i32, i64, isize, usize);

impl From<std::ops::RangeFull> for SliceItem {
    fn from(_: std::ops::RangeFull) -> SliceItem {
        SliceItem::full()
    }
}

/// Lowers indexing items to TensorFlow's strided-slice encoding (what `x[...]` compiles to).
/// Bounds held by tensors must have values (be eager); [`index`] also takes traced ones.
pub fn slice_spec(items: &[SliceItem]) -> Result<StridedSliceSpec> {
    let lowered = lower(items)?;
    if !lowered.values.is_empty() {
        return Err(Error::invalid("index", "slice bounds known only at run time have no strided-slice spec"));
    }
    Ok(lowered.spec)
}

/// Indexing items lowered to a strided slice whose bounds may be known only at run time.
pub(crate) struct Lowered {
    pub spec: StridedSliceSpec,
    /// Which bounds `values` hold.
    pub run_time: RunTimeBounds,
    /// The run-time bounds as scalar tensors: the `begin` entries by item, then the `end` ones,
    /// then the strides.
    pub values: Vec<Tensor>,
}

/// The value of a bound held by a tensor: `Ok(Some(v))` for an eager tensor, `Ok(None)` for a
/// traced one.
fn bound_value(i: usize, t: &Tensor) -> Result<Option<i64>> {
    if t.rank() != 0 || !matches!(t.dtype(), DType::I32 | DType::I64) {
        return Err(Error::invalid(
            "index",
            format!("slice bounds must be scalar int32 or int64 tensors, got {} (item {i})", Spec::of(t).describe()),
        ));
    }
    if t.is_symbolic() {
        return Ok(None);
    }
    Ok(Some(crate::ops::indexing::index_values("index", t)?[0]))
}

/// [`slice_spec`] keeping bounds known only at run time.
pub(crate) fn lower(items: &[SliceItem]) -> Result<Lowered> {
    let mut spec = StridedSliceSpec::default();
    if items.len() > 63 {
        return Err(Error::invalid("index", format!("at most 63 indexing items are supported, got {}", items.len())));
    }
    let mut run_time = RunTimeBounds::default();
    let (mut begins, mut ends, mut steps) = (Vec::new(), Vec::new(), Vec::new());
    for (i, item) in items.iter().enumerate() {
        let bit = 1i64 << i;
        // A run-time bound's spec entry is a placeholder its input replaces.
        let at = |t: Option<&Tensor>, mask: &mut i64, values: &mut Vec<Tensor>, placeholder: i64| {
            let Some(t) = t else { return Ok(None) };
            match bound_value(i, t)? {
                Some(v) => Ok(Some(v)),
                None => {
                    *mask |= bit;
                    values.push(t.clone());
                    Ok(Some(placeholder))
                }
            }
        };
        let (b, e, s) = match item {
            SliceItem::Index(k) => {
                spec.shrink_axis_mask |= bit;
                (*k, k.saturating_add(1), 1)
            }
            SliceItem::IndexAt(t) => {
                spec.shrink_axis_mask |= bit;
                let k = at(Some(t), &mut run_time.begin, &mut begins, 0)?.unwrap_or(0);
                (k, k.saturating_add(1), 1)
            }
            SliceItem::Range { start, stop, step } => range_item(&mut spec, i, *start, *stop, *step)?,
            SliceItem::RangeAt { start, stop, step } => {
                let start = at(start.as_ref(), &mut run_time.begin, &mut begins, 0)?;
                let stop = at(stop.as_ref(), &mut run_time.end, &mut ends, 0)?;
                let step = at(step.as_ref(), &mut run_time.strides, &mut steps, 1)?.unwrap_or(1);
                range_item(&mut spec, i, start, stop, step)?
            }
            SliceItem::NewAxis => {
                spec.new_axis_mask |= bit;
                (0, 0, 1)
            }
            SliceItem::Ellipsis => {
                if spec.ellipsis_mask != 0 {
                    return Err(Error::invalid("index", "an index can only have a single ellipsis ('...')"));
                }
                spec.ellipsis_mask |= bit;
                (0, 0, 1)
            }
        };
        spec.begin.push(b);
        spec.end.push(e);
        spec.strides.push(s);
    }
    begins.extend(ends);
    begins.extend(steps);
    Ok(Lowered { spec, run_time, values: begins })
}

/// The `(begin, end, stride)` of a slice item, setting its mask bits for absent bounds.
fn range_item(
    spec: &mut StridedSliceSpec,
    i: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
) -> Result<(i64, i64, i64)> {
    if step == 0 {
        return Err(Error::invalid("index", format!("slice step cannot be zero (item {i})")));
    }
    let bit = 1i64 << i;
    if start.is_none() {
        spec.begin_mask |= bit;
    }
    if stop.is_none() {
        spec.end_mask |= bit;
    }
    Ok((start.unwrap_or(0), stop.unwrap_or(0), step))
}

/// `x[items]` with NumPy/TensorFlow basic-indexing semantics, e.g. `x[1:, ..., ::-1, None]` is
/// `index(&x, &[SliceItem::starting_at(1), SliceItem::Ellipsis, SliceItem::step(-1), SliceItem::NewAxis])`
/// or `index(&x, &s![1.., ..., ..;-1, None])`.
pub fn index(x: &Tensor, items: &[SliceItem]) -> Result<Tensor> {
    let lowered = lower(items)?;
    if lowered.values.is_empty() {
        return strided_slice_with(x, &lowered.spec);
    }
    super::slicing_dynamic::strided_slice_dynamic(x, &lowered.spec, lowered.run_time, &lowered.values)
}

/// Builds a `[SliceItem; N]` with Python-like syntax: integers index, `a..b`, `a..`, `..b`, `..`
/// are slices, `;k` adds a step (`..;-1` is `::-1`), `...` is the ellipsis, `None` a new axis.
///
/// ```
/// use tensile::{s, Tensor};
/// use tensile::ops::slicing::index;
/// let x = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let y = index(&x, &s![1.., ..;-1, None]).unwrap();   // x[1:, ::-1, None]
/// assert_eq!(y.shape(), &[1, 3, 1]);
/// assert_eq!(y.to_vec::<f32>().unwrap(), vec![6.0, 5.0, 4.0]);
/// ```
#[macro_export]
macro_rules! s {
    (@acc [$($acc:expr,)*]) => { [$($acc,)*] };
    (@acc [$($acc:expr,)*] ... $(, $($rest:tt)*)?) => {
        $crate::s!(@acc [$($acc,)* $crate::ops::slicing::SliceItem::Ellipsis,] $($($rest)*)?)
    };
    (@acc [$($acc:expr,)*] None $(, $($rest:tt)*)?) => {
        $crate::s!(@acc [$($acc,)* $crate::ops::slicing::SliceItem::NewAxis,] $($($rest)*)?)
    };
    (@acc [$($acc:expr,)*] $e:expr ; $step:expr $(, $($rest:tt)*)?) => {
        $crate::s!(@acc [$($acc,)* {
            // `2..0;-1` is a valid Python slice even though the Rust range is empty.
            #[allow(clippy::reversed_empty_ranges)]
            let range = $e;
            $crate::ops::slicing::SliceItem::stepped(range, $step)
        },] $($($rest)*)?)
    };
    (@acc [$($acc:expr,)*] $e:expr $(, $($rest:tt)*)?) => {
        $crate::s!(@acc [$($acc,)* <$crate::ops::slicing::SliceItem as ::core::convert::From<_>>::from($e),] $($($rest)*)?)
    };
    ($($t:tt)*) => { $crate::s!(@acc [] $($t)*) };
}
