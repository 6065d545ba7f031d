//! Fused ops the graph optimizer emits: a whole elementwise program as one node, and a matmul
//! with its bias and activation. Neither has a gradient: tapes differentiate the unfused graph.

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::elementwise::PAR_THRESHOLD;
use crate::kernels::fused::{self, FusedFloat, Program, UnaryFn, BLOCK};
use crate::ops::linalg::MATMUL;
use crate::ops::{donated_output, expect_arity, expect_dtype_in, split_donated, OpDef, Spec, FLOATS};
use crate::shape::Dims;
use crate::tensor::{Element, Tensor};
use rayon::prelude::*;
use std::sync::Arc;

/// Most inputs a fused elementwise node may take.
pub const MAX_FUSED_INPUTS: usize = 1024;

fn program_of(specs_len: usize, attrs: &Attrs) -> Result<Arc<Program>> {
    const OP: &str = "fused_elementwise";
    let text = attrs.str(OP, "program")?;
    Program::cached(text, specs_len).map_err(|e| Error::invalid(OP, format!("invalid program: {e}")))
}

fn infer_fused_elementwise(specs: &[Spec], attrs: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "fused_elementwise";
    if specs.is_empty() || specs.len() > MAX_FUSED_INPUTS {
        return Err(Error::invalid(OP, format!("expected 1 to {MAX_FUSED_INPUTS} inputs, got {}", specs.len())));
    }
    let dtype = specs[0].dtype;
    let mut dims: Dims = Dims::new();
    for (i, s) in specs.iter().enumerate() {
        expect_dtype_in(OP, s, FLOATS)?;
        if s.dtype != dtype {
            return Err(Error::invalid(
                OP,
                format!(
                    "input {i} is {} but input 0 is {}; all inputs must share one float dtype",
                    s.describe(),
                    specs[0].describe()
                ),
            ));
        }
        if s.rank() == 0 {
            continue;
        }
        if dims.is_empty() {
            dims = s.dims.clone();
        } else if s.dims != dims {
            return Err(Error::invalid(
                OP,
                format!(
                    "input {i} has shape {} but an earlier input has shape {}; inputs must share one shape or be scalars",
                    s.fmt_dims(),
                    crate::shape::fmt_dims(&dims)
                ),
            ));
        }
    }
    let p = program_of(specs.len(), attrs)?;
    Ok(p.outputs.iter().map(|_| Spec { dtype, dims: dims.clone() }).collect())
}

fn run_fused<T: FusedFloat + Element>(p: &Program, inputs: &[Tensor], out: &Spec) -> Result<Vec<Tensor>> {
    let shape = out.shape().ok_or_else(|| Error::invalid("fused_elementwise", "output shape unknown"))?;
    let n = crate::shape::num_elements(&shape);
    let slices: Vec<&[T]> = inputs.iter().map(|t| t.as_slice::<T>()).collect::<Result<_>>()?;
    fused::run(p, &slices, n).into_iter().map(|v| Tensor::from_vec(v, &shape)).collect()
}

/// In place: output 0 overwrites input `at`, which has the output's shape.
fn run_fused_inplace<T: FusedFloat + Element>(
    p: &Program,
    i: &mut [Tensor],
    at: usize,
    out: &Spec,
) -> Result<Option<Vec<Tensor>>> {
    let Some(shape) = out.shape() else { return Ok(None) };
    let n = crate::shape::num_elements(&shape);
    if p.outputs.is_empty() || i.get(at).is_none_or(|t| t.shape() != shape.as_slice()) {
        return Ok(None);
    }
    let Some((buf, before, after)) = split_donated::<T>(i, at) else { return Ok(None) };
    let others: Vec<&[T]> = before.iter().chain(after).map(|t| t.as_slice::<T>()).collect::<Result<_>>()?;
    let rest = fused::run_inplace(p, at, buf, &others, n);
    let mut outs = vec![donated_output(i, at, &shape)?];
    for v in rest {
        outs.push(Tensor::from_vec(v, &shape)?);
    }
    Ok(Some(outs))
}

/// `fused_elementwise`: runs the elementwise program in the `program` attribute (see
/// [`crate::kernels::fused`]) over inputs that share one shape or are scalars.
pub static FUSED_ELEMENTWISE: OpDef = OpDef {
    name: "fused_elementwise",
    infer: infer_fused_elementwise,
    kernel: |i, a, o| {
        let p = program_of(i.len(), a)?;
        let first = o.first().ok_or_else(|| Error::invalid("fused_elementwise", "program has no outputs"))?;
        match first.dtype {
            DType::F32 => run_fused::<f32>(&p, i, first),
            DType::F64 => run_fused::<f64>(&p, i, first),
            d => Err(Error::invalid("fused_elementwise", format!("unsupported dtype {d}"))),
        }
    },
    grad: None,
    stateful: false,
    inplace: Some(|i, at, a, o| {
        let p = program_of(i.len(), a)?;
        match o.first().map(|s| s.dtype) {
            Some(DType::F32) => run_fused_inplace::<f32>(&p, i, at, &o[0]),
            Some(DType::F64) => run_fused_inplace::<f64>(&p, i, at, &o[0]),
            _ => Ok(None),
        }
    }),
};

/// The activation of a `fused_matmul` (`none` or a unary function name).
fn activation(attrs: &Attrs) -> Result<Option<UnaryFn>> {
    match attrs.get("activation") {
        None => Ok(None),
        Some(Attr::Str(s)) if s == "none" => Ok(None),
        Some(Attr::Str(s)) => UnaryFn::from_name(s).map(Some).ok_or_else(|| {
            Error::invalid("fused_matmul", format!("unknown activation `{s}` (expected `none` or a unary function)"))
        }),
        Some(other) => {
            Err(Error::invalid("fused_matmul", format!("attribute `activation` must be a string, got {other:?}")))
        }
    }
}

fn infer_fused_matmul(specs: &[Spec], attrs: &Attrs) -> Result<Vec<Spec>> {
    const OP: &str = "fused_matmul";
    expect_arity(OP, specs, 3)?;
    for s in specs {
        expect_dtype_in(OP, s, FLOATS)?;
    }
    let (a, b, bias) = (&specs[0], &specs[1], &specs[2]);
    if a.rank() != 2 || b.rank() != 2 {
        return Err(Error::invalid(OP, format!("expects matrices, got {} and {}", a.describe(), b.describe())));
    }
    let out = (MATMUL.infer)(&specs[..2], attrs).map_err(|e| Error::invalid(OP, e.message))?;
    let o = out.first().ok_or_else(|| Error::invalid(OP, "matmul gave no output"))?;
    if bias.dtype != o.dtype || bias.rank() != 1 {
        return Err(Error::invalid(OP, format!("bias must be a {} vector, got {}", o.dtype, bias.describe())));
    }
    if let (Some(c), Some(n)) = (o.dims[1], bias.dims[0]) {
        if c != n {
            return Err(Error::invalid(
                OP,
                format!("bias of shape {} does not match output {}", bias.fmt_dims(), o.describe()),
            ));
        }
    }
    activation(attrs)?;
    Ok(out)
}

/// Adds the bias to every row of the product `y` and applies the activation, in `y`'s own
/// buffer when `y` holds it alone (the fresh product always does), else in a copy.
fn epilogue<T: FusedFloat + Element>(mut y: Tensor, bias: &Tensor, act: Option<UnaryFn>) -> Result<Tensor> {
    let bs = bias.as_slice::<T>()?;
    let c = bs.len();
    if c == 0 || y.size() == 0 {
        return Ok(y);
    }
    let mut copy: Option<Vec<T>> = None;
    let out: &mut [T] = match y.storage_mut().and_then(T::slice_mut) {
        Some(own) => own,
        None => {
            let ys = y.as_slice::<T>()?;
            let mut v: Vec<T> = crate::kernels::elementwise::alloc_out(ys.len());
            v.extend_from_slice(ys);
            copy.insert(v)
        }
    };
    if out.len() >= PAR_THRESHOLD {
        // Whole rows per task, about 16K elements each.
        let rows = (16_384 / c).max(1);
        out.par_chunks_mut(rows * c).for_each(|r| epilogue_rows(r, bs, act));
    } else {
        epilogue_rows(out, bs, act);
    }
    match copy {
        Some(v) => Tensor::from_vec(v, y.shape()),
        None => Ok(y),
    }
}

/// Adds the bias to each row of `out` (rows of `bias.len()` elements) and applies `act`.
#[inline(always)]
fn epilogue_rows_body<T: FusedFloat>(out: &mut [T], bias: &[T], act: Option<UnaryFn>) {
    // The bias add and the activation are the unfused ops' formulas, applied while the row
    // is in cache.
    let mut tmp = [T::ZERO; BLOCK];
    for r in out.chunks_mut(bias.len()) {
        for (chunk, bchunk) in r.chunks_mut(BLOCK).zip(bias.chunks(BLOCK)) {
            let t = &mut tmp[..chunk.len()];
            for ((t, &x), &b) in t.iter_mut().zip(chunk.iter()).zip(bchunk) {
                *t = x + b;
            }
            match act {
                Some(f) => fused::unary_slice(f, t, chunk),
                None => chunk.copy_from_slice(t),
            }
        }
    }
}

crate::kernels::elementwise::dispatched!(
    epilogue_rows,
    epilogue_rows_body,
    [T: FusedFloat],
    (out: &mut [T], bias: &[T], act: Option<UnaryFn>)
);

/// `fused_matmul`: `activation(matmul(a, b) + bias)` for matrices `a`, `b` (with TensorFlow's
/// `transpose_a`/`transpose_b`) and a bias along the last axis; `activation` is `none` or the
/// name of a unary function such as `relu`.
pub static FUSED_MATMUL: OpDef = OpDef {
    name: "fused_matmul",
    infer: infer_fused_matmul,
    kernel: |i, a, o| {
        let act = activation(a)?;
        let y = (MATMUL.kernel)(&i[..2], a, o)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid("fused_matmul", "matmul gave no output"))?;
        let t = match y.dtype() {
            DType::F32 => epilogue::<f32>(y, &i[2], act)?,
            DType::F64 => epilogue::<f64>(y, &i[2], act)?,
            d => return Err(Error::invalid("fused_matmul", format!("unsupported dtype {d}"))),
        };
        Ok(vec![t])
    },
    grad: None,
    stateful: false,
    inplace: None,
};

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[&FUSED_ELEMENTWISE, &FUSED_MATMUL];
