//! Strided-window kernels: copy a (possibly reversed) strided box out of a row-major tensor,
//! or write one back into a zero tensor (the backward of the copy).

use rayon::prelude::*;

/// Outputs at least this large are copied on several threads.
const PAR_THRESHOLD: usize = 32 * 1024;

/// A strided box over a row-major tensor: along dimension `d` it selects
/// `begin[d] + k * stride[d]` for `k` in `0..size[d]`. Every selected index must lie inside `shape`.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Shape of the tensor the window reads from.
    pub shape: Vec<usize>,
    /// First selected index per dimension.
    pub begin: Vec<usize>,
    /// Step per dimension (non-zero; negative walks backwards).
    pub stride: Vec<i64>,
    /// Number of selected indices per dimension.
    pub size: Vec<usize>,
}

/// A window lowered to flat offsets: a base offset plus an element step per dimension.
struct Plan {
    base: i64,
    steps: Vec<i64>,
    size: Vec<usize>,
}

impl Window {
    /// Number of selected elements.
    pub fn len(&self) -> usize {
        self.size.iter().product()
    }

    /// True when the window selects nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Flat offsets, with neighbouring dimensions merged where the window is contiguous across
    /// them, so the innermost run is as long as possible.
    fn plan(&self) -> Plan {
        let rank = self.shape.len();
        let mut elem = vec![1i64; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            elem[d] = elem[d + 1] * self.shape[d + 1] as i64;
        }
        let base: i64 = (0..rank).map(|d| self.begin[d] as i64 * elem[d]).sum();
        // Built innermost first, then reversed.
        let mut steps: Vec<i64> = Vec::with_capacity(rank);
        let mut size: Vec<usize> = Vec::with_capacity(rank);
        for d in (0..rank).rev() {
            let step = self.stride[d] * elem[d];
            let n = self.size[d];
            if let (Some(&last_step), Some(last_n)) = (steps.last(), size.last_mut()) {
                // Dimension d continues the run of the dimension inside it.
                if step == last_step * *last_n as i64 {
                    *last_n *= n;
                    continue;
                }
            }
            if n == 1 {
                continue;
            }
            steps.push(step);
            size.push(n);
        }
        steps.reverse();
        size.reverse();
        if steps.is_empty() {
            steps.push(1);
            size.push(1);
        }
        Plan { base, steps, size }
    }
}

/// Offset of the first element of output row `row` (all dimensions but the innermost).
fn row_offset(plan: &Plan, mut row: usize) -> i64 {
    let mut off = plan.base;
    for d in (0..plan.size.len() - 1).rev() {
        let n = plan.size[d];
        off += (row % n) as i64 * plan.steps[d];
        row /= n;
    }
    off
}

fn copy_row<T: Copy>(src: &[T], off: i64, step: i64, out: &mut [T]) {
    if step == 1 {
        let o = off as usize;
        out.copy_from_slice(&src[o..o + out.len()]);
    } else {
        for (k, v) in out.iter_mut().enumerate() {
            *v = src[(off + k as i64 * step) as usize];
        }
    }
}

/// Copies the elements `w` selects from `src`, row-major in window order.
pub fn gather_window<T: Copy + Default + Send + Sync>(src: &[T], w: &Window) -> Vec<T> {
    let n = w.len();
    if n == 0 {
        return Vec::new();
    }
    let plan = w.plan();
    let inner = plan.size[plan.size.len() - 1];
    let step = plan.steps[plan.steps.len() - 1];
    let mut out = vec![T::default(); n];
    if n >= PAR_THRESHOLD && inner < n {
        out.par_chunks_mut(inner).enumerate().for_each(|(r, row)| copy_row(src, row_offset(&plan, r), step, row));
    } else {
        for (r, row) in out.chunks_mut(inner).enumerate() {
            copy_row(src, row_offset(&plan, r), step, row);
        }
    }
    out
}

/// A zero tensor of `w.shape` with `values` (in window order) written at the positions `w` selects.
pub fn scatter_window<T: Copy + Default>(values: &[T], w: &Window) -> Vec<T> {
    let mut out = vec![T::default(); w.shape.iter().product()];
    if values.is_empty() {
        return out;
    }
    let plan = w.plan();
    let inner = plan.size[plan.size.len() - 1];
    let step = plan.steps[plan.steps.len() - 1];
    for (r, row) in values.chunks(inner).enumerate() {
        let off = row_offset(&plan, r);
        if step == 1 {
            let o = off as usize;
            out[o..o + row.len()].copy_from_slice(row);
        } else {
            for (k, &v) in row.iter().enumerate() {
                out[(off + k as i64 * step) as usize] = v;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversed_and_strided_windows() {
        let src: Vec<i32> = (0..12).collect();
        // [3, 4]: rows 2,0 (stride -2), columns 1,2.
        let w = Window { shape: vec![3, 4], begin: vec![2, 1], stride: vec![-2, 1], size: vec![2, 2] };
        assert_eq!(gather_window(&src, &w), vec![9, 10, 1, 2]);
        let back = scatter_window(&[1, 2, 3, 4], &w);
        assert_eq!(back, vec![0, 3, 4, 0, 0, 0, 0, 0, 0, 1, 2, 0]);
    }

    #[test]
    fn contiguous_dims_merge() {
        let src: Vec<i32> = (0..24).collect();
        let w = Window { shape: vec![2, 3, 4], begin: vec![1, 0, 0], stride: vec![1, 1, 1], size: vec![1, 3, 4] };
        assert_eq!(gather_window(&src, &w), (12..24).collect::<Vec<_>>());
        let p = w.plan();
        assert_eq!(p.size, vec![12]);
    }
}
