//! Cases for linalg ops.

use tensile::ops::linalg;
use tensile::testing::{test_tensor, GradCase};
use tensile::Tensor;

fn mm(seed: u64, a: &[usize], b: &[usize], ta: bool, tb: bool) -> GradCase {
    GradCase::new("matmul", vec![test_tensor(a, seed, -1.0, 1.0), test_tensor(b, seed + 1, -1.0, 1.0)], move |x| {
        linalg::matmul_t(&x[0], &x[1], ta, tb)
    })
}

fn es(seed: u64, eq: &'static str, shapes: &[&[usize]]) -> GradCase {
    let inputs = shapes.iter().enumerate().map(|(i, s)| test_tensor(s, seed + i as u64, -1.0, 1.0)).collect();
    GradCase::new("einsum", inputs, move |x| linalg::einsum(eq, x))
}

/// Gradient cases for `tensile::ops::linalg`.
pub fn cases() -> Vec<GradCase> {
    let mut v = product_cases();
    v.extend(norm_cases());
    v.extend(inverse_cases());
    v.extend(diag_cases());
    v
}

fn product_cases() -> Vec<GradCase> {
    vec![
        mm(301, &[2, 3], &[3, 4], false, false),
        mm(303, &[2, 3], &[4, 3], false, true),
        mm(305, &[3, 2], &[3, 4], true, false),
        mm(307, &[3, 2], &[4, 3], true, true),
        // Batch dimensions broadcast (a has a size-1 batch axis, b lacks one).
        mm(309, &[2, 1, 2, 3], &[3, 3, 2], false, false),
        mm(311, &[2, 3, 2], &[1, 2, 3], true, true),
        mm(313, &[3, 2], &[2, 2, 3, 2], false, true),
        es(321, "ij,jk->ik", &[&[2, 3], &[3, 2]]),
        es(323, "bij,bjk->bik", &[&[2, 2, 3], &[2, 3, 2]]),
        es(325, "ij->ji", &[&[2, 3]]),
        es(327, "ii->i", &[&[3, 3]]),
        es(329, "ii->", &[&[3, 3]]),
        es(331, "i,i->", &[&[4], &[4]]),
        es(333, "i,j->ij", &[&[3], &[2]]),
        es(335, "ij,j->i", &[&[2, 3], &[3]]),
        es(337, "bi,bi->b", &[&[3, 4], &[3, 4]]),
        es(339, "...ij,...jk->...ik", &[&[2, 1, 2, 3], &[3, 3, 2]]),
        es(341, "ij,jk", &[&[2, 3], &[3, 2]]),
        es(343, "ijk->kj", &[&[2, 3, 2]]),
        es(345, "ij,kj->ikj", &[&[2, 3], &[2, 3]]),
        es(347, "iij,j->ij", &[&[2, 2, 3], &[3]]),
        es(349, "ab,bc,cd->ad", &[&[2, 3], &[3, 2], &[2, 2]]),
        GradCase::new(
            "einsum",
            vec![test_tensor(&[2, 3, 4], 351, -1.0, 1.0), test_tensor(&[4, 3, 2], 352, -1.0, 1.0)],
            |x| linalg::tensordot(&x[0], &x[1], (vec![1, 2], vec![1, 0])),
        ),
        GradCase::new(
            "einsum",
            vec![test_tensor(&[2, 3], 353, -1.0, 1.0), test_tensor(&[3, 2], 354, -1.0, 1.0)],
            |x| linalg::tensordot(&x[0], &x[1], 1),
        ),
    ]
}

/// Cases for the norm compositions, filed under the op that carries their nonlinearity.
fn norm_cases() -> Vec<GradCase> {
    use linalg::{l2_normalize, norm, NormOrd};
    vec![
        GradCase::new("sqrt", vec![test_tensor(&[3, 4], 361, 0.2, 1.0)], |x| {
            norm(&x[0], NormOrd::Euclidean, None, false)
        }),
        GradCase::new("sqrt", vec![test_tensor(&[3, 4], 362, -1.0, 1.0)], |x| {
            norm(&x[0], NormOrd::Euclidean, Some(&[1]), true)
        }),
        GradCase::new("sqrt", vec![test_tensor(&[2, 3, 2], 363, -1.0, 1.0)], |x| {
            norm(&x[0], NormOrd::Fro, Some(&[0, 2]), false)
        }),
        GradCase::new("abs", vec![test_tensor(&[3, 4], 364, 0.2, 1.0)], |x| norm(&x[0], 1.0, Some(&[0]), false)),
        GradCase::new("pow", vec![test_tensor(&[3, 4], 365, 0.2, 1.0)], |x| norm(&x[0], 3.0, Some(&[-1]), false)),
        GradCase::new("reduce_max", vec![test_tensor(&[3, 4], 366, -1.0, 1.0)], |x| {
            norm(&x[0], NormOrd::Inf, Some(&[1]), false)
        }),
        GradCase::new("reduce_max", vec![test_tensor(&[3, 4], 367, -1.0, 1.0)], |x| {
            norm(&x[0], 1.0, Some(&[0, 1]), false)
        }),
        GradCase::new("reduce_max", vec![test_tensor(&[3, 4], 368, -1.0, 1.0)], |x| {
            norm(&x[0], NormOrd::Inf, Some(&[0, 1]), true)
        }),
        GradCase::new("rsqrt", vec![test_tensor(&[3, 4], 369, -1.0, 1.0)], |x| l2_normalize(&x[0], Some(&[1]), 1e-12)),
        GradCase::new("rsqrt", vec![test_tensor(&[2, 3], 370, -1.0, 1.0)], |x| l2_normalize(&x[0], None, 1e-12)),
    ]
}

/// A well-conditioned `[.., n, n]` stack: random entries plus `n` on the diagonal.
fn well_conditioned(batch: &[usize], n: usize, seed: u64) -> Tensor {
    let mut shape = batch.to_vec();
    shape.extend([n, n]);
    let mut v = test_tensor(&shape, seed, -1.0, 1.0).to_f64_vec();
    for (i, x) in v.iter_mut().enumerate() {
        if (i % (n * n)).is_multiple_of(n + 1) {
            *x += n as f64;
        }
    }
    Tensor::from_vec(v, &shape).unwrap()
}

fn inverse_cases() -> Vec<GradCase> {
    vec![
        GradCase::new("matrix_inverse", vec![well_conditioned(&[], 3, 401)], |x| linalg::matrix_inverse(&x[0])),
        GradCase::new("matrix_inverse", vec![well_conditioned(&[2], 2, 402)], |x| linalg::matrix_inverse(&x[0])),
        GradCase::new("matrix_determinant", vec![well_conditioned(&[], 3, 403)], |x| linalg::matrix_determinant(&x[0])),
        GradCase::new("matrix_determinant", vec![test_tensor(&[2, 2, 2], 404, -1.0, 1.0)], |x| {
            linalg::matrix_determinant(&x[0])
        }),
        GradCase::new("log_matrix_determinant", vec![test_tensor(&[3, 3, 3], 405, -1.0, 1.0)], |x| {
            Ok(linalg::log_matrix_determinant(&x[0])?.1)
        }),
    ]
}

fn diag_cases() -> Vec<GradCase> {
    use linalg::{matrix_band_part, matrix_diag, matrix_diag_part, matrix_set_diag, trace, DiagOptions};
    let band = |lower: i64, upper: i64| {
        move |x: &[Tensor]| matrix_band_part(&x[0], &Tensor::from(lower), &Tensor::from(upper))
    };
    vec![
        GradCase::new("matrix_diag", vec![test_tensor(&[2, 3], 411, -1.0, 1.0)], |x| {
            matrix_diag(&x[0], DiagOptions::default())
        }),
        GradCase::new("matrix_diag", vec![test_tensor(&[3], 412, -1.0, 1.0)], |x| {
            matrix_diag(&x[0], DiagOptions { k: -1, num_cols: 5, padding_value: 2.0, ..DiagOptions::default() })
        }),
        GradCase::new("matrix_diag_part", vec![test_tensor(&[2, 3, 4], 413, -1.0, 1.0)], |x| {
            matrix_diag_part(&x[0], 0)
        }),
        GradCase::new("matrix_diag_part", vec![test_tensor(&[3, 4], 414, -1.0, 1.0)], |x| matrix_diag_part(&x[0], 2)),
        GradCase::new("matrix_diag_part", vec![test_tensor(&[2, 3, 3], 415, -1.0, 1.0)], |x| trace(&x[0])),
        GradCase::new(
            "matrix_set_diag",
            vec![test_tensor(&[2, 3, 4], 416, -1.0, 1.0), test_tensor(&[2, 3], 417, -1.0, 1.0)],
            |x| matrix_set_diag(&x[0], &x[1], 0),
        ),
        GradCase::new(
            "matrix_set_diag",
            vec![test_tensor(&[4, 3], 418, -1.0, 1.0), test_tensor(&[2], 419, -1.0, 1.0)],
            |x| matrix_set_diag(&x[0], &x[1], -2),
        ),
        GradCase::new("matrix_band_part", vec![test_tensor(&[2, 3, 4], 420, -1.0, 1.0)], band(1, 0)),
        GradCase::new("matrix_band_part", vec![test_tensor(&[4, 3], 421, -1.0, 1.0)], band(-1, 1)),
    ]
}
