//! Elementwise kernels with NumPy broadcasting that never materializes a broadcast operand.

use crate::shape;

/// Applies `f` to corresponding elements of `a` (shape `ash`) and `b` (shape `bsh`),
/// broadcasting both to `out` (which must be their broadcast shape).
pub fn broadcast_binary<A: Copy, B: Copy, O>(
    a: &[A],
    ash: &[usize],
    b: &[B],
    bsh: &[usize],
    out: &[usize],
    f: impl Fn(A, B) -> O,
) -> Vec<O> {
    let n = shape::num_elements(out);
    if ash == bsh && ash == out {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    if b.len() == 1 && ash == out {
        let y = b[0];
        return a.iter().map(|&x| f(x, y)).collect();
    }
    if a.len() == 1 && bsh == out {
        let x = a[0];
        return b.iter().map(|&y| f(x, y)).collect();
    }
    let mut res = Vec::with_capacity(n);
    if n == 0 {
        return res;
    }
    let rank = out.len();
    let sa = broadcast_strides(ash, out);
    let sb = broadcast_strides(bsh, out);
    let inner = out[rank - 1];
    let (ia, ib) = (sa[rank - 1], sb[rank - 1]);
    let mut idx = vec![0usize; rank];
    let rows = n / inner.max(1);
    for _ in 0..rows {
        let mut oa = 0;
        let mut ob = 0;
        for d in 0..rank - 1 {
            oa += idx[d] * sa[d];
            ob += idx[d] * sb[d];
        }
        match (ia, ib) {
            (1, 1) => res.extend(a[oa..oa + inner].iter().zip(&b[ob..ob + inner]).map(|(&x, &y)| f(x, y))),
            (1, 0) => {
                let y = b[ob];
                res.extend(a[oa..oa + inner].iter().map(|&x| f(x, y)))
            }
            (0, 1) => {
                let x = a[oa];
                res.extend(b[ob..ob + inner].iter().map(|&y| f(x, y)))
            }
            _ => {
                for k in 0..inner {
                    res.push(f(a[oa + k * ia], b[ob + k * ib]));
                }
            }
        }
        for d in (0..rank - 1).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    res
}

/// Strides of `shape` viewed as broadcast to `out`: 0 along broadcast dimensions.
pub fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let st = shape::strides(shape);
    let off = out.len() - shape.len();
    (0..out.len()).map(|d| if d < off || shape[d - off] == 1 && out[d] != 1 { 0 } else { st[d - off] }).collect()
}

/// Copies `src` (shape `sh`) broadcast to `out`.
pub fn broadcast_to<T: Copy>(src: &[T], sh: &[usize], out: &[usize]) -> Vec<T> {
    if sh == out {
        return src.to_vec();
    }
    broadcast_binary(src, sh, &[()], &[], out, |x, _| x)
}
