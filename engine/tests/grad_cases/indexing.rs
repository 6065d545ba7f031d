//! Cases for indexing ops.

use tensile::attrs::{Attr, Attrs};
use tensile::ops::{execute1, indexing};
use tensile::testing::{test_tensor, GradCase};
use tensile::Tensor;

/// Gradient cases for `tensile::ops::indexing`.
pub fn cases() -> Vec<GradCase> {
    vec![
        // Repeated index 2: its gradient rows add up.
        GradCase::new("gather", vec![test_tensor(&[5, 3], 51, -1.0, 1.0)], |x| {
            indexing::gather(&x[0], &Tensor::from([[0i32, 2], [4, 2]]), 0, 0)
        }),
        GradCase::new("gather", vec![test_tensor(&[2, 3, 4], 52, -1.0, 1.0)], |x| {
            indexing::gather(&x[0], &Tensor::from([[3i64, 0, 3], [1, 1, 2]]), -1, 1)
        }),
        GradCase::new("gather_grad", vec![test_tensor(&[2, 2, 3], 53, -1.0, 1.0)], |x| {
            indexing::gather_grad(&x[0], &Tensor::from([[0i32, 2], [4, 2]]), &[5, 3], 0, 0)
        }),
        GradCase::new("gather_nd", vec![test_tensor(&[3, 4, 2], 54, -1.0, 1.0)], |x| {
            indexing::gather_nd(&x[0], &Tensor::from([[0i32, 1], [2, 3], [0, 1]]), 0)
        }),
        GradCase::new("gather_nd", vec![test_tensor(&[2, 3, 2], 55, -1.0, 1.0)], |x| {
            indexing::gather_nd(&x[0], &Tensor::from([[[2i64], [0]], [[1], [1]]]), 1)
        }),
        GradCase::new("scatter_nd", vec![test_tensor(&[3, 2], 56, -1.0, 1.0)], |x| {
            indexing::scatter_nd(&Tensor::from([[1i32], [3], [1]]), &x[0], &[4, 2])
        }),
        GradCase::new("unsorted_segment_sum", vec![test_tensor(&[4, 3], 57, -1.0, 1.0)], |x| {
            indexing::unsorted_segment_sum(&x[0], &Tensor::from([0i32, 2, -1, 0]), 3)
        }),
        GradCase::new("gather_drop_negatives", vec![test_tensor(&[3, 2], 58, -1.0, 1.0)], |x| {
            indexing::gather_drop_negatives(&x[0], &Tensor::from([2i64, -1, 0, 2]))
        }),
        GradCase::new("gather_drop_negatives", vec![test_tensor(&[4, 2, 3], 59, -1.0, 1.0)], |x| {
            indexing::gather_drop_negatives(&x[0], &Tensor::from([[3i32, -1], [0, 3], [1, 1]]))
        }),
        // The number of segments is the first dimension of the third input (how a traced
        // gradient passes a size known only at run time); that input's values do not matter.
        GradCase::new(
            "unsorted_segment_sum",
            vec![test_tensor(&[4, 3], 60, -1.0, 1.0), test_tensor(&[3, 2], 61, -1.0, 1.0)],
            |x| {
                let attrs = Attrs::new().with("num_segments", Attr::Int(-1));
                let ids = Tensor::from([0i32, 2, -1, 0]);
                execute1(&indexing::UNSORTED_SEGMENT_SUM, &[x[0].clone(), ids, x[1].clone()], attrs)
            },
        ),
    ]
}
