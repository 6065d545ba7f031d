//! LU factorization with partial pivoting of small dense square matrices, and what it gives:
//! the inverse, the determinant and its logarithm.
//!
//! The loops follow LAPACK's unblocked `getf2` and `getrs` (pivot = first largest magnitude in
//! the column, the column below it divided by the pivot, right-looking rank-1 updates;
//! substitutions column by column); results agree with NumPy and TensorFlow to rounding (their
//! blocked factorizations may order the updates differently and differ in the last bit).

use num_traits::Float;

/// An `n x n` row-major matrix factored in place as `P A = L U`: `L` (unit diagonal, not
/// stored) below the diagonal, `U` on and above it.
pub struct Lu<T> {
    /// The factors, row-major.
    pub lu: Vec<T>,
    /// Matrix order.
    pub n: usize,
    /// `perm[i]` is the row of `A` that ended up as row `i`.
    pub perm: Vec<usize>,
    /// True when an odd number of row swaps happened.
    pub odd: bool,
}

impl<T: Float> Lu<T> {
    /// Factors the row-major `n x n` matrix `a`. A zero pivot leaves its column as it is (the
    /// factorization of a singular matrix then has a zero on `U`'s diagonal).
    pub fn factor(a: &[T], n: usize) -> Lu<T> {
        let mut lu = a.to_vec();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut odd = false;
        for k in 0..n {
            let mut p = k;
            let mut best = lu[k * n + k].abs();
            for i in k + 1..n {
                let v = lu[i * n + k].abs();
                if v > best {
                    p = i;
                    best = v;
                }
            }
            if p != k {
                for j in 0..n {
                    lu.swap(k * n + j, p * n + j);
                }
                perm.swap(k, p);
                odd = !odd;
            }
            let pivot = lu[k * n + k];
            if pivot == T::zero() {
                continue;
            }
            for i in k + 1..n {
                lu[i * n + k] = lu[i * n + k] / pivot;
            }
            for i in k + 1..n {
                let l = lu[i * n + k];
                for j in k + 1..n {
                    lu[i * n + j] = lu[i * n + j] - l * lu[k * n + j];
                }
            }
        }
        Lu { lu, n, perm, odd }
    }

    /// The diagonal of `U`.
    pub fn pivots(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.n).map(|i| self.lu[i * self.n + i])
    }

    /// True when some pivot is exactly zero (the test TensorFlow's `MatrixInverse` makes).
    pub fn is_singular(&self) -> bool {
        self.pivots().any(|p| p == T::zero())
    }

    /// The determinant: the product of the pivots, negated after an odd number of swaps.
    pub fn det(&self) -> T {
        let d = self.pivots().fold(T::one(), |acc, p| acc * p);
        if self.odd {
            -d
        } else {
            d
        }
    }

    /// `(sign, log |det|)`; a singular matrix gives a signed zero and `-inf`.
    pub fn slogdet(&self) -> (T, T) {
        let mut sign = if self.odd { -T::one() } else { T::one() };
        let mut log_abs = T::zero();
        for p in self.pivots() {
            if p == T::zero() {
                return (sign * T::zero(), T::neg_infinity());
            }
            sign = sign * p.signum();
            log_abs = log_abs + p.abs().ln();
        }
        (sign, log_abs)
    }

    /// Writes `A⁻¹` (row-major) into `out` by solving `A X = I`.
    pub fn inverse_into(&self, out: &mut [T]) {
        let (n, lu) = (self.n, &self.lu);
        for x in out.iter_mut() {
            *x = T::zero();
        }
        for (i, &p) in self.perm.iter().enumerate() {
            out[i * n + p] = T::one();
        }
        for j in 0..n {
            // Forward substitution with the unit lower triangle.
            for k in 0..n {
                let b = out[k * n + j];
                if b != T::zero() {
                    for i in k + 1..n {
                        out[i * n + j] = out[i * n + j] - b * lu[i * n + k];
                    }
                }
            }
            // Back substitution with the upper triangle.
            for k in (0..n).rev() {
                if out[k * n + j] != T::zero() {
                    let b = out[k * n + j] / lu[k * n + k];
                    out[k * n + j] = b;
                    for i in 0..k {
                        out[i * n + j] = out[i * n + j] - b * lu[i * n + k];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_reproduce_the_permuted_matrix() {
        let a = [2.0f64, 1.0, 1.0, 4.0, -6.0, 0.0, -2.0, 7.0, 2.0];
        let f = Lu::factor(&a, 3);
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3)
                    .map(|k| {
                        let l = if k == i {
                            1.0
                        } else if k < i {
                            f.lu[i * 3 + k]
                        } else {
                            0.0
                        };
                        let u = if k <= j { f.lu[k * 3 + j] } else { 0.0 };
                        l * u
                    })
                    .sum();
                assert!((s - a[f.perm[i] * 3 + j]).abs() < 1e-12, "({i}, {j})");
            }
        }
        assert!((f.det() - -16.0).abs() < 1e-12);
    }

    #[test]
    fn singular_and_empty_matrices() {
        let f = Lu::factor(&[1.0f64, 2.0, 2.0, 4.0], 2);
        assert!(f.is_singular());
        let (s, l) = f.slogdet();
        assert_eq!((s, l), (0.0, f64::NEG_INFINITY));
        assert!(s.is_sign_negative());
        let e = Lu::<f32>::factor(&[], 0);
        assert_eq!(e.det(), 1.0);
        assert!(!e.is_singular());
    }
}
