//! Static shapes, partially known shapes and NumPy broadcasting.

use smallvec::SmallVec;
use std::fmt;

/// A fully known shape: the size of every dimension.
pub type Shape = SmallVec<[usize; 4]>;

/// One dimension of a partially known shape: `None` is "any size" (TensorFlow's `None`).
pub type Dim = Option<usize>;

/// A shape whose dimensions may be unknown (used by shape inference while tracing).
pub type Dims = SmallVec<[Dim; 4]>;

/// Number of elements of a shape (1 for a scalar).
pub fn num_elements(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Number of elements, or `None` when the product overflows `usize`.
pub fn checked_num_elements(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Largest tensor, in bytes, that ops may allocate: the machine's physical memory.
pub fn max_tensor_bytes() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
                kb.checked_mul(1024)
            })
            .unwrap_or(1 << 40)
    })
}

/// Fails when a tensor of `shape` and `dtype` could not be allocated (overflow or larger than memory).
pub fn check_allocation(op: &str, dtype: crate::DType, shape: &[usize]) -> crate::Result<()> {
    let bytes = checked_num_elements(shape).and_then(|n| n.checked_mul(dtype.size_of()));
    match bytes {
        Some(b) if b <= max_tensor_bytes() => Ok(()),
        _ => Err(crate::Error::new(
            crate::ErrorKind::ResourceExhausted,
            op,
            format!("a {dtype} tensor of shape {} does not fit in memory", fmt_shape(shape)),
        )),
    }
}

/// Row-major strides (in elements) of a contiguous tensor of this shape.
pub fn strides(shape: &[usize]) -> Shape {
    let mut s: Shape = SmallVec::from_elem(1, shape.len());
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Broadcasts two static shapes as NumPy does; `None` when they are incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Shape> {
    let n = a.len().max(b.len());
    let mut out: Shape = SmallVec::with_capacity(n);
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out.push(match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        });
    }
    Some(out)
}

/// Broadcasts two partially known shapes; `None` when they are certainly incompatible.
pub fn broadcast_dims(a: &[Dim], b: &[Dim]) -> Option<Dims> {
    let n = a.len().max(b.len());
    let mut out: Dims = SmallVec::with_capacity(n);
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { Some(1) };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { Some(1) };
        out.push(match (da, db) {
            (Some(x), Some(y)) if x == y => Some(x),
            (Some(1), y) => y,
            (x, Some(1)) => x,
            (Some(_), Some(_)) => return None,
            (None, Some(y)) | (Some(y), None) => Some(y),
            (None, None) => None,
        });
    }
    Some(out)
}

/// True when two partially known shapes may be the same shape: equal ranks, and the
/// dimensions known in both agree.
pub fn dims_compatible(a: &[Dim], b: &[Dim]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.is_none() || y.is_none() || x == y)
}

/// The dimensions known in either of two partially known shapes; `None` when they are not
/// [compatible](dims_compatible).
pub fn merge_dims(a: &[Dim], b: &[Dim]) -> Option<Dims> {
    dims_compatible(a, b).then(|| a.iter().zip(b).map(|(x, y)| x.or(*y)).collect())
}

/// Converts a static shape to partially known dims.
pub fn to_dims(shape: &[usize]) -> Dims {
    shape.iter().map(|&d| Some(d)).collect()
}

/// Converts dims to a static shape when every dimension is known.
pub fn to_shape(dims: &[Dim]) -> Option<Shape> {
    dims.iter().copied().collect()
}

/// Formats a shape as TensorFlow prints it: `(2, 3)`, `(4,)`, `()`, `(None, 3)`.
pub struct ShapeDisplay<'a>(pub &'a [Dim]);

impl fmt::Display for ShapeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            match d {
                Some(d) => write!(f, "{d}")?,
                None => write!(f, "None")?,
            }
        }
        if self.0.len() == 1 {
            write!(f, ",")?;
        }
        write!(f, ")")
    }
}

/// Formats a static shape as a list, the way error messages show it: `[2, 3]`.
pub fn fmt_shape(shape: &[usize]) -> String {
    format!("{shape:?}")
}

/// Formats partially known dims as a list: `[None, 3]`.
pub fn fmt_dims(dims: &[Dim]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.map_or("None".to_string(), |d| d.to_string())).collect();
    format!("[{}]", parts.join(", "))
}

/// Resolves a possibly negative axis against `rank`, naming `op` in the error.
pub fn normalize_axis(op: &str, axis: i64, rank: usize) -> crate::Result<usize> {
    let r = rank as i64;
    if axis < -r || axis >= r {
        return Err(crate::Error::invalid(
            op,
            format!("axis {axis} is out of range for a tensor of rank {rank} (expected [-{r}, {r}))"),
        ));
    }
    Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]).unwrap().as_slice(), &[2, 4, 3]);
        assert_eq!(broadcast_shapes(&[], &[5]).unwrap().as_slice(), &[5]);
        assert!(broadcast_shapes(&[2, 3], &[3, 2]).is_none());
        let d = broadcast_dims(&[None, Some(1)], &[Some(4)]).unwrap();
        assert_eq!(d.as_slice(), &[None, Some(4)]);
    }

    #[test]
    fn strides_are_row_major() {
        assert_eq!(strides(&[2, 3, 4]).as_slice(), &[12, 4, 1]);
        assert_eq!(strides(&[]).as_slice(), &[] as &[usize]);
    }

    #[test]
    fn axes_normalize() {
        assert_eq!(normalize_axis("t", -1, 3).unwrap(), 2);
        assert!(normalize_axis("t", 3, 3).is_err());
        assert!(normalize_axis("t", -4, 3).is_err());
    }

    #[test]
    fn shapes_print_like_tensorflow() {
        assert_eq!(ShapeDisplay(&[Some(4)]).to_string(), "(4,)");
        assert_eq!(ShapeDisplay(&[None, Some(3)]).to_string(), "(None, 3)");
        assert_eq!(ShapeDisplay(&[]).to_string(), "()");
    }
}
