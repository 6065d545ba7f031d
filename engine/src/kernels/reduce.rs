//! Reduction kernels over arbitrary axis sets.

use crate::shape;

/// Reduces `src` (shape `sh`) over `axes` (sorted, unique) with `f`, starting from `init`.
/// The result is laid out in the shape with reduced axes removed.
pub fn reduce_axes<T: Copy, A: Copy>(
    src: &[T],
    sh: &[usize],
    axes: &[usize],
    init: A,
    f: impl Fn(A, T) -> A,
) -> Vec<A> {
    let rank = sh.len();
    let keep: Vec<usize> = (0..rank).filter(|d| !axes.contains(d)).collect();
    let out_shape: Vec<usize> = keep.iter().map(|&d| sh[d]).collect();
    let out_n = shape::num_elements(&out_shape);
    let mut out = vec![init; out_n];
    if src.is_empty() {
        return out;
    }
    // Output stride of each input dimension (0 for reduced axes).
    let ost = shape::strides(&out_shape);
    let mut om = vec![0usize; rank];
    for (k, &d) in keep.iter().enumerate() {
        om[d] = ost[k];
    }
    let mut idx = vec![0usize; rank];
    let mut o = 0usize;
    for &x in src {
        out[o] = f(out[o], x);
        for d in (0..rank).rev() {
            idx[d] += 1;
            o += om[d];
            if idx[d] < sh[d] {
                break;
            }
            o -= om[d] * sh[d];
            idx[d] = 0;
        }
    }
    out
}
