//! Segment reductions: `tf.math.segment_sum/mean/max/min/prod` (sorted ids; the number of
//! segments is the last id + 1, known only from the values) and
//! `tf.math.unsorted_segment_max/min/prod/mean` (any order, `num_segments` given).
//! `unsorted_segment_sum` lives with the gather ops, whose adjoint it is.

use crate::attrs::{Attr, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::indexing::{expect_indices, fmt_pos, gather_drop_negatives, index_values, unsorted_segment_sum};
use crate::ops::{array, execute1, expect_arity, expect_dtype_in, math, GradCtx, OpDef, Spec, NUMERIC};
use crate::shape::{self, Dims};
use crate::tensor::{Element, Tensor};
use crate::with_numeric;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[
    &SEGMENT_SUM,
    &SEGMENT_MEAN,
    &SEGMENT_MAX,
    &SEGMENT_MIN,
    &SEGMENT_PROD,
    &UNSORTED_SEGMENT_MAX,
    &UNSORTED_SEGMENT_MIN,
    &UNSORTED_SEGMENT_PROD,
];

/// How the rows of one segment combine.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reduce {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
}

/// Arithmetic a segment reduction needs from an element type.
trait SegmentElem: Element {
    fn zero() -> Self;
    fn one() -> Self;
    fn lowest() -> Self;
    fn highest() -> Self;
    fn plus(self, o: Self) -> Self;
    fn times(self, o: Self) -> Self;
    fn div_count(self, n: usize) -> Self;
}

macro_rules! segment_float {
    ($t:ty) => {
        impl SegmentElem for $t {
            fn zero() -> Self {
                0.0
            }
            fn one() -> Self {
                1.0
            }
            fn lowest() -> Self {
                <$t>::MIN
            }
            fn highest() -> Self {
                <$t>::MAX
            }
            fn plus(self, o: Self) -> Self {
                self + o
            }
            fn times(self, o: Self) -> Self {
                self * o
            }
            fn div_count(self, n: usize) -> Self {
                self / n as $t
            }
        }
    };
}

macro_rules! segment_int {
    ($t:ty) => {
        impl SegmentElem for $t {
            fn zero() -> Self {
                0
            }
            fn one() -> Self {
                1
            }
            fn lowest() -> Self {
                <$t>::MIN
            }
            fn highest() -> Self {
                <$t>::MAX
            }
            fn plus(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn times(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            fn div_count(self, n: usize) -> Self {
                self.wrapping_div(<$t>::try_from(n).unwrap_or(<$t>::MAX))
            }
        }
    };
}

segment_float!(f32);
segment_float!(f64);
segment_int!(i32);
segment_int!(i64);

/// The value a segment starts from before its first row.
fn initial<T: SegmentElem>(r: Reduce) -> T {
    match r {
        Reduce::Sum | Reduce::Mean => T::zero(),
        Reduce::Prod => T::one(),
        Reduce::Max => T::lowest(),
        Reduce::Min => T::highest(),
    }
}

fn combine<T: SegmentElem>(r: Reduce, acc: T, v: T) -> T {
    match r {
        Reduce::Sum | Reduce::Mean => acc.plus(v),
        Reduce::Prod => acc.times(v),
        // As `std::max`/`std::min`: the accumulator is kept unless the new value is strictly better.
        Reduce::Max => {
            if acc < v {
                v
            } else {
                acc
            }
        }
        Reduce::Min => {
            if v < acc {
                v
            } else {
                acc
            }
        }
    }
}

/// Reduces rows of `inner` elements of `data` into `n` segments; ids below zero are skipped.
/// Segments that received no row hold `empty` (or the reduction's identity when `None`).
fn reduce_rows<T: SegmentElem>(data: &[T], ids: &[i64], n: usize, inner: usize, r: Reduce, empty: Option<T>) -> Vec<T> {
    let mut out = vec![initial::<T>(r); n * inner];
    let mut counts = vec![0usize; n];
    for (row, &id) in ids.iter().enumerate() {
        if id < 0 {
            continue;
        }
        let s = id as usize;
        counts[s] += 1;
        let dst = &mut out[s * inner..(s + 1) * inner];
        for (d, &v) in dst.iter_mut().zip(&data[row * inner..(row + 1) * inner]) {
            *d = combine(r, *d, v);
        }
    }
    for (s, &c) in counts.iter().enumerate() {
        let dst = &mut out[s * inner..(s + 1) * inner];
        match (c, empty) {
            (0, Some(e)) => dst.fill(e),
            (c, _) if c > 0 && r == Reduce::Mean => dst.iter_mut().for_each(|d| *d = d.div_count(c)),
            _ => {}
        }
    }
    out
}

/// Shape rule of the sorted ops: `data` at least 1-D, `segment_ids` a vector as long as its
/// first dimension; the number of segments is unknown until the ids are read.
fn infer_sorted(op: &str, s: &[Spec]) -> Result<Vec<Spec>> {
    expect_arity(op, s, 2)?;
    let (data, ids) = (&s[0], &s[1]);
    expect_dtype_in(op, data, NUMERIC)?;
    expect_indices(op, "segment_ids", ids)?;
    if data.rank() == 0 {
        return Err(Error::invalid(op, format!("input must be at least rank 1, got {}", data.describe())));
    }
    if ids.rank() != 1 {
        return Err(Error::invalid(op, format!("segment_ids should be a vector, got {}", ids.describe())));
    }
    if let (Some(a), Some(b)) = (data.dims[0], ids.dims[0]) {
        if a != b {
            return Err(Error::invalid(
                op,
                format!(
                    "segment_ids should be the same size as dimension 0 of input: data {}, segment_ids {}",
                    data.describe(),
                    ids.describe()
                ),
            ));
        }
    }
    let mut dims: Dims = Dims::new();
    dims.push(None);
    dims.extend(data.dims[1..].iter().copied());
    Ok(vec![Spec { dtype: data.dtype, dims }])
}

/// The number of segments of sorted `ids` (last id + 1), checking they are sorted and non-negative.
fn sorted_segments(op: &str, ids: &[i64]) -> Result<usize> {
    let rows = ids.last().map_or(0, |&l| l.saturating_add(1).max(0));
    let mut prev = 0i64;
    for &id in ids {
        if id < 0 || id >= rows {
            return Err(Error::invalid(
                op,
                format!("segment id {id} out of range [0, {rows}), possibly because segment_ids is not sorted"),
            ));
        }
        if id < prev {
            return Err(Error::invalid(op, format!("segment ids are not increasing ({prev} is followed by {id})")));
        }
        prev = id;
    }
    usize::try_from(rows).map_err(|_| Error::invalid(op, format!("{rows} segments do not fit in memory")))
}

fn sorted_kernel(op: &'static str, r: Reduce, i: &[Tensor]) -> Result<Vec<Tensor>> {
    let (data, ids) = (&i[0], &i[1]);
    let idx = index_values(op, ids)?;
    let n = sorted_segments(op, &idx)?;
    let mut osh = data.shape().to_vec();
    osh[0] = n;
    shape::check_allocation(op, data.dtype(), &osh)?;
    let inner: usize = data.shape()[1..].iter().product();
    let t = with_numeric!(data.dtype(), T => {
        // Segments between the used ids are 0 (1 for a product), as TensorFlow's sorted kernels give.
        let empty = if r == Reduce::Prod { <T as SegmentElem>::one() } else { <T as SegmentElem>::zero() };
        Tensor::from_vec(reduce_rows(data.as_slice::<T>()?, &idx, n, inner, r, Some(empty)), &osh)?
    }, bool => return Err(Error::invalid(op, "bool tensors are not supported")));
    Ok(vec![t])
}

/// Shape rule of the unsorted ops, as `unsorted_segment_sum`'s.
fn infer_unsorted(op: &str, s: &[Spec], a: &Attrs) -> Result<Vec<Spec>> {
    expect_arity(op, s, 2)?;
    let (data, ids) = (&s[0], &s[1]);
    expect_dtype_in(op, data, NUMERIC)?;
    expect_indices(op, "segment_ids", ids)?;
    let n = a.int(op, "num_segments")?;
    if n < 0 {
        return Err(Error::invalid(op, format!("num_segments == {n} must not be negative")));
    }
    let prefix = ids.rank() <= data.rank() && crate::shape::dims_compatible(&data.dims[..ids.rank()], &ids.dims);
    if !prefix {
        return Err(Error::invalid(
            op,
            format!("data.shape = {} does not start with segment_ids.shape = {}", data.fmt_dims(), ids.fmt_dims()),
        ));
    }
    let mut dims: Dims = Dims::new();
    dims.push(Some(n as usize));
    dims.extend(data.dims[ids.rank()..].iter().copied());
    if dims.iter().flatten().try_fold(1usize, |acc, &d| acc.checked_mul(d)).is_none_or(|n| n > isize::MAX as usize / 8)
    {
        return Err(Error::invalid(op, format!("an output of shape {} has too many elements", shape::fmt_dims(&dims))));
    }
    Ok(vec![Spec { dtype: data.dtype, dims }])
}

fn unsorted_kernel(op: &'static str, r: Reduce, i: &[Tensor], o: &[Spec]) -> Result<Vec<Tensor>> {
    let (data, ids) = (&i[0], &i[1]);
    let osh = o[0].shape().ok_or_else(|| Error::invalid(op, "the output shape must be fully known"))?;
    let n = osh[0];
    let idx = index_values(op, ids)?;
    if let Some(p) = idx.iter().position(|&v| v >= n as i64) {
        let at = if ids.rank() == 0 { String::new() } else { format!("[{}]", fmt_pos(p, ids.shape())) };
        return Err(Error::invalid(op, format!("segment_ids{at} = {} is out of range [0, {n})", idx[p])));
    }
    let inner: usize = data.shape()[ids.rank()..].iter().product();
    let t = with_numeric!(data.dtype(), T => {
        Tensor::from_vec(reduce_rows(data.as_slice::<T>()?, &idx, n, inner, r, None), &osh)?
    }, bool => return Err(Error::invalid(op, "bool tensors are not supported")));
    Ok(vec![t])
}

/// `segment_ids` reshaped to broadcast against `data` (trailing size-1 axes).
fn ids_like_data(ids: &Tensor, data: &Tensor) -> Result<Tensor> {
    if !crate::ops::shape_like::has_static_shape(ids) {
        let mut out = ids.clone();
        for _ in ids.rank()..data.rank() {
            out = array::expand_dims(&out, -1)?;
        }
        return Ok(out);
    }
    let mut sh: Vec<i64> = ids.shape().iter().map(|&d| d as i64).collect();
    sh.extend(std::iter::repeat_n(1, data.rank() - ids.rank()));
    array::reshape(ids, &sh)
}

/// `x` (one value per segment) reshaped to broadcast against a segment output of rank `rank`.
fn per_segment(x: &Tensor, rank: usize) -> Result<Tensor> {
    let mut sh = vec![-1i64];
    sh.extend(std::iter::repeat_n(1, rank - 1));
    array::reshape(x, &sh)
}

/// Gradient of a max/min reduction: the output gradient goes to the rows that attained the
/// extreme, split evenly between ties (TensorFlow's `_SegmentMinOrMaxGrad`).
fn extreme_grad(c: &GradCtx, seg_sum: &dyn Fn(&Tensor) -> Result<Tensor>) -> Result<Vec<Option<Tensor>>> {
    let (data, ids, out) = (&c.inputs[0], &c.inputs[1], &c.outputs[0]);
    let g = c.grad(0)?;
    let gathered = gather_drop_negatives(out, ids)?;
    let mut selected = math::equal(data, &gathered)?;
    let kept = math::greater_equal(&ids_like_data(ids, data)?, &Tensor::scalar_of(ids.dtype(), 0.0))?;
    selected = math::logical_and(&selected, &kept)?;
    let num_selected = seg_sum(&math::cast(&selected, g.dtype())?)?;
    let weighted = math::div(&g, &num_selected)?;
    let spread = gather_drop_negatives(&weighted, ids)?;
    Ok(vec![Some(math::where_(&selected, &spread, &array::zeros_like(&spread)?)?), None])
}

/// Gradient of a product: the product of the other rows of the segment, computed without
/// dividing by zero (TensorFlow's `_SegmentProdGrad`).
fn prod_grad(
    c: &GradCtx,
    seg_sum: &dyn Fn(&Tensor) -> Result<Tensor>,
    seg_prod: &dyn Fn(&Tensor) -> Result<Tensor>,
) -> Result<Vec<Option<Tensor>>> {
    let (data, ids, out) = (&c.inputs[0], &c.inputs[1], &c.outputs[0]);
    let g = c.grad(0)?;
    let zero = Tensor::scalar_of(data.dtype(), 0.0);
    let is_zero = math::equal(data, &zero)?;
    let num_zeros = seg_sum(&math::cast(&is_zero, DType::I32)?)?;
    let many = math::greater(&num_zeros, &Tensor::scalar_of(DType::I32, 1.0))?;
    let g = math::where_(&many, &array::zeros_like(&g)?, &g)?;
    let non_zero_data = math::where_(&is_zero, &array::ones_like(data)?, data)?;
    let non_zero_prod = seg_prod(&non_zero_data)?;
    let gathered_prod = gather_drop_negatives(out, ids)?;
    let gathered_non_zero = gather_drop_negatives(&non_zero_prod, ids)?;
    let divided = math::div(&gathered_prod, &non_zero_data)?;
    let partial = math::where_(&is_zero, &gathered_non_zero, &divided)?;
    Ok(vec![Some(math::mul(&gather_drop_negatives(&g, ids)?, &partial)?), None])
}

macro_rules! sorted_op {
    ($S:ident, $name:literal, $r:expr, $grad:expr, $doc:literal) => {
        #[doc = $doc]
        pub static $S: OpDef = OpDef {
            name: $name,
            infer: |s, _| infer_sorted($name, s),
            kernel: |i, _, _| sorted_kernel($name, $r, i),
            grad: Some($grad),
            stateful: false,
            inplace: None,
        };
    };
}

sorted_op!(
    SEGMENT_SUM,
    "segment_sum",
    Reduce::Sum,
    |c| Ok(vec![Some(gather_drop_negatives(&c.grad(0)?, &c.inputs[1])?), None]),
    "`tf.math.segment_sum`: sums of the rows of each segment (sorted ids)."
);
sorted_op!(
    SEGMENT_MEAN,
    "segment_mean",
    Reduce::Mean,
    |c| {
        let (data, ids) = (&c.inputs[0], &c.inputs[1]);
        let ones = array::ones(data.dtype(), &[ids.size()])?;
        let counts = per_segment(&segment_sum(&ones, ids)?, data.rank())?;
        let scaled = math::div(&c.grad(0)?, &counts)?;
        Ok(vec![Some(gather_drop_negatives(&scaled, ids)?), None])
    },
    "`tf.math.segment_mean`: means of the rows of each segment (sorted ids)."
);
sorted_op!(
    SEGMENT_MAX,
    "segment_max",
    Reduce::Max,
    |c| extreme_grad(c, &|x| segment_sum(x, &c.inputs[1])),
    "`tf.math.segment_max`: elementwise maxima of each segment (sorted ids; 0 for an empty segment)."
);
sorted_op!(
    SEGMENT_MIN,
    "segment_min",
    Reduce::Min,
    |c| extreme_grad(c, &|x| segment_sum(x, &c.inputs[1])),
    "`tf.math.segment_min`: elementwise minima of each segment (sorted ids; 0 for an empty segment)."
);
sorted_op!(
    SEGMENT_PROD,
    "segment_prod",
    Reduce::Prod,
    |c| prod_grad(c, &|x| segment_sum(x, &c.inputs[1]), &|x| segment_prod(x, &c.inputs[1])),
    "`tf.math.segment_prod`: products of the rows of each segment (sorted ids; 1 for an empty segment)."
);

fn num_segments(c: &GradCtx, op: &str) -> Result<i64> {
    c.attrs.int(op, "num_segments")
}

macro_rules! unsorted_op {
    ($S:ident, $name:literal, $r:expr, $grad:expr, $doc:literal) => {
        #[doc = $doc]
        pub static $S: OpDef = OpDef {
            name: $name,
            infer: |s, a| infer_unsorted($name, s, a),
            kernel: |i, _, o| unsorted_kernel($name, $r, i, o),
            grad: Some($grad),
            stateful: false,
            inplace: None,
        };
    };
}

unsorted_op!(
    UNSORTED_SEGMENT_MAX,
    "unsorted_segment_max",
    Reduce::Max,
    |c| {
        let n = num_segments(c, "unsorted_segment_max")?;
        extreme_grad(c, &|x| unsorted_segment_sum(x, &c.inputs[1], n))
    },
    "`tf.math.unsorted_segment_max`: elementwise maxima per segment; an empty segment holds the \
     dtype's lowest value; negative ids are dropped."
);
unsorted_op!(
    UNSORTED_SEGMENT_MIN,
    "unsorted_segment_min",
    Reduce::Min,
    |c| {
        let n = num_segments(c, "unsorted_segment_min")?;
        extreme_grad(c, &|x| unsorted_segment_sum(x, &c.inputs[1], n))
    },
    "`tf.math.unsorted_segment_min`: elementwise minima per segment; an empty segment holds the \
     dtype's highest value; negative ids are dropped."
);
unsorted_op!(
    UNSORTED_SEGMENT_PROD,
    "unsorted_segment_prod",
    Reduce::Prod,
    |c| {
        let n = num_segments(c, "unsorted_segment_prod")?;
        prod_grad(c, &|x| unsorted_segment_sum(x, &c.inputs[1], n), &|x| unsorted_segment_prod(x, &c.inputs[1], n))
    },
    "`tf.math.unsorted_segment_prod`: products per segment (1 for an empty one); negative ids are dropped."
);

fn sorted(op: &'static OpDef, data: &Tensor, ids: &Tensor) -> Result<Tensor> {
    execute1(op, &[data.clone(), ids.clone()], Attrs::new())
}

fn unsorted(op: &'static OpDef, data: &Tensor, ids: &Tensor, n: i64) -> Result<Tensor> {
    execute1(op, &[data.clone(), ids.clone()], Attrs::new().with("num_segments", Attr::Int(n)))
}

/// `tf.math.segment_sum(data, segment_ids)`: `segment_ids` is a sorted vector of non-negative
/// ids, one per row of `data`; the output has `segment_ids[-1] + 1` rows.
pub fn segment_sum(data: &Tensor, segment_ids: &Tensor) -> Result<Tensor> {
    sorted(&SEGMENT_SUM, data, segment_ids)
}

/// `tf.math.segment_mean(data, segment_ids)` (integers divide truncating).
pub fn segment_mean(data: &Tensor, segment_ids: &Tensor) -> Result<Tensor> {
    sorted(&SEGMENT_MEAN, data, segment_ids)
}

/// `tf.math.segment_max(data, segment_ids)`.
pub fn segment_max(data: &Tensor, segment_ids: &Tensor) -> Result<Tensor> {
    sorted(&SEGMENT_MAX, data, segment_ids)
}

/// `tf.math.segment_min(data, segment_ids)`.
pub fn segment_min(data: &Tensor, segment_ids: &Tensor) -> Result<Tensor> {
    sorted(&SEGMENT_MIN, data, segment_ids)
}

/// `tf.math.segment_prod(data, segment_ids)`.
pub fn segment_prod(data: &Tensor, segment_ids: &Tensor) -> Result<Tensor> {
    sorted(&SEGMENT_PROD, data, segment_ids)
}

/// `tf.math.unsorted_segment_max(data, segment_ids, num_segments)`.
pub fn unsorted_segment_max(data: &Tensor, segment_ids: &Tensor, num_segments: i64) -> Result<Tensor> {
    unsorted(&UNSORTED_SEGMENT_MAX, data, segment_ids, num_segments)
}

/// `tf.math.unsorted_segment_min(data, segment_ids, num_segments)`.
pub fn unsorted_segment_min(data: &Tensor, segment_ids: &Tensor, num_segments: i64) -> Result<Tensor> {
    unsorted(&UNSORTED_SEGMENT_MIN, data, segment_ids, num_segments)
}

/// `tf.math.unsorted_segment_prod(data, segment_ids, num_segments)`.
pub fn unsorted_segment_prod(data: &Tensor, segment_ids: &Tensor, num_segments: i64) -> Result<Tensor> {
    unsorted(&UNSORTED_SEGMENT_PROD, data, segment_ids, num_segments)
}

/// `tf.math.unsorted_segment_mean(data, segment_ids, num_segments)`: the segment sum divided by
/// the number of rows in the segment (at least 1), as TensorFlow composes it; integer data
/// gives float64 means.
pub fn unsorted_segment_mean(data: &Tensor, segment_ids: &Tensor, num_segments: i64) -> Result<Tensor> {
    let summed = unsorted_segment_sum(data, segment_ids, num_segments)?;
    let ones = math::cast(&array::ones_like(segment_ids)?, data.dtype())?;
    let counts = unsorted_segment_sum(&ones, segment_ids, num_segments)?;
    let counts = math::maximum(&counts, &Tensor::scalar_of(data.dtype(), 1.0))?;
    let counts = per_segment(&counts, summed.rank())?;
    math::truediv(&summed, &counts)
}
