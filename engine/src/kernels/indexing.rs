//! Gather and scatter-add kernels. Indices are validated by the calling op; here an index is
//! either in range or (where the op allows it) negative, meaning "skip".

use rayon::prelude::*;

/// Outputs at least this large are gathered on several threads.
const PAR_THRESHOLD: usize = 32 * 1024;

/// Addition that wraps for integers, so scatter-adds never panic on overflow.
pub trait ScatterAdd: Copy + Default + Send + Sync {
    /// `self + other`.
    fn add(self, other: Self) -> Self;
}

impl ScatterAdd for f32 {
    fn add(self, o: f32) -> f32 {
        self + o
    }
}
impl ScatterAdd for f64 {
    fn add(self, o: f64) -> f64 {
        self + o
    }
}
impl ScatterAdd for i32 {
    fn add(self, o: i32) -> i32 {
        self.wrapping_add(o)
    }
}
impl ScatterAdd for i64 {
    fn add(self, o: i64) -> i64 {
        self.wrapping_add(o)
    }
}

/// Layout of a gather along one axis, everything flattened to
/// params `[batch, outer, n, inner]`, indices `[batch, count]`, output `[batch, outer, count, inner]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisLayout {
    /// Product of the batch dimensions.
    pub batch: usize,
    /// Product of the params dimensions between the batch dimensions and the axis.
    pub outer: usize,
    /// Size of the gathered axis.
    pub n: usize,
    /// Product of the params dimensions after the axis.
    pub inner: usize,
    /// Number of indices per batch entry.
    pub count: usize,
}

/// Gathers rows along an axis; a negative index yields a zero row.
pub fn gather_axis<T: Copy + Default + Send + Sync>(params: &[T], idx: &[i64], l: AxisLayout) -> Vec<T> {
    let rows = l.batch * l.outer * l.count;
    let mut out = vec![T::default(); rows * l.inner];
    if l.inner == 0 || rows == 0 {
        return out;
    }
    let fill = |r: usize, row: &mut [T]| {
        let i = r % l.count;
        let bo = r / l.count;
        let b = bo / l.outer;
        let k = idx[b * l.count + i];
        if k >= 0 {
            let src = (bo * l.n + k as usize) * l.inner;
            row.copy_from_slice(&params[src..src + l.inner]);
        }
    };
    if out.len() >= PAR_THRESHOLD {
        out.par_chunks_mut(l.inner).enumerate().for_each(|(r, row)| fill(r, row));
    } else {
        out.chunks_mut(l.inner).enumerate().for_each(|(r, row)| fill(r, row));
    }
    out
}

/// The adjoint of [`gather_axis`]: adds each update row into a zero `[batch, outer, n, inner]`
/// tensor at its index (duplicates add; negative indices are skipped).
pub fn scatter_add_axis<T: ScatterAdd>(updates: &[T], idx: &[i64], l: AxisLayout) -> Vec<T> {
    let mut out = vec![T::default(); l.batch * l.outer * l.n * l.inner];
    if l.inner == 0 {
        return out;
    }
    for (r, row) in updates.chunks(l.inner).enumerate() {
        let i = r % l.count;
        let bo = r / l.count;
        let b = bo / l.outer;
        let k = idx[b * l.count + i];
        if k >= 0 {
            let dst = (bo * l.n + k as usize) * l.inner;
            for (o, &u) in out[dst..dst + l.inner].iter_mut().zip(row) {
                *o = o.add(u);
            }
        }
    }
    out
}

/// Layout of an N-d gather, flattened to params `[batch, slots, inner]` (the `depth` indexed
/// dimensions of each batch entry form `slots`), indices `[batch, count, depth]`, output
/// `[batch, count, inner]`. `offsets` holds each index's flat slot (already validated).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NdLayout {
    /// Product of the batch dimensions.
    pub batch: usize,
    /// Number of addressable slots per batch entry.
    pub slots: usize,
    /// Elements per slot.
    pub inner: usize,
    /// Number of index tuples per batch entry.
    pub count: usize,
}

/// Gathers slots by flat slot number per batch entry.
pub fn gather_slots<T: Copy + Default + Send + Sync>(params: &[T], slot: &[usize], l: NdLayout) -> Vec<T> {
    let rows = l.batch * l.count;
    let mut out = vec![T::default(); rows * l.inner];
    if l.inner == 0 || rows == 0 {
        return out;
    }
    let fill = |r: usize, row: &mut [T]| {
        let b = r / l.count;
        let src = (b * l.slots + slot[r]) * l.inner;
        row.copy_from_slice(&params[src..src + l.inner]);
    };
    if out.len() >= PAR_THRESHOLD {
        out.par_chunks_mut(l.inner).enumerate().for_each(|(r, row)| fill(r, row));
    } else {
        out.chunks_mut(l.inner).enumerate().for_each(|(r, row)| fill(r, row));
    }
    out
}

/// The adjoint of [`gather_slots`]: adds update rows into a zero `[batch, slots, inner]` tensor.
pub fn scatter_add_slots<T: ScatterAdd>(updates: &[T], slot: &[usize], l: NdLayout) -> Vec<T> {
    let mut out = vec![T::default(); l.batch * l.slots * l.inner];
    if l.inner == 0 {
        return out;
    }
    for (r, row) in updates.chunks(l.inner).enumerate() {
        let b = r / l.count;
        let dst = (b * l.slots + slot[r]) * l.inner;
        for (o, &u) in out[dst..dst + l.inner].iter_mut().zip(row) {
            *o = o.add(u);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_and_scatter_are_adjoint() {
        // params [2, 3] gathered along axis 1 with indices [2, 0, 2].
        let p = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let l = AxisLayout { batch: 1, outer: 2, n: 3, inner: 1, count: 3 };
        let idx = [2, 0, 2];
        assert_eq!(gather_axis(&p, &idx, l), vec![3.0, 1.0, 3.0, 6.0, 4.0, 6.0]);
        let s = scatter_add_axis(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &idx, l);
        assert_eq!(s, vec![2.0, 0.0, 4.0, 5.0, 0.0, 10.0]);
    }

    #[test]
    fn negative_indices_are_skipped() {
        let l = AxisLayout { batch: 1, outer: 1, n: 2, inner: 2, count: 2 };
        assert_eq!(gather_axis(&[1, 2, 3, 4], &[-1, 1], l), vec![0, 0, 3, 4]);
        assert_eq!(scatter_add_axis(&[1, 2, 3, 4], &[-1, 1], l), vec![0, 0, 3, 4]);
    }
}
