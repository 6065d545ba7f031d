//! Cases for segment reductions.

use tensile::ops::segment;
use tensile::testing::{test_tensor, GradCase};
use tensile::Tensor;

/// Gradient cases for `tensile::ops::segment`.
pub fn cases() -> Vec<GradCase> {
    // Segment 1 is empty; segment 0 has two rows, segment 2 three.
    let sorted = || Tensor::from([0i32, 0, 2, 2, 2]);
    let unsorted = || Tensor::from([[2i64, 0], [-1, 2], [0, 3]]);
    vec![
        GradCase::new("segment_sum", vec![test_tensor(&[5, 2], 71, -1.0, 1.0)], move |x| {
            segment::segment_sum(&x[0], &sorted())
        }),
        GradCase::new("segment_mean", vec![test_tensor(&[5, 2], 72, -1.0, 1.0)], move |x| {
            segment::segment_mean(&x[0], &sorted())
        }),
        GradCase::new("segment_max", vec![test_tensor(&[5, 2], 73, -1.0, 1.0)], move |x| {
            segment::segment_max(&x[0], &sorted())
        }),
        GradCase::new("segment_min", vec![test_tensor(&[5, 2], 74, -1.0, 1.0)], move |x| {
            segment::segment_min(&x[0], &sorted())
        }),
        GradCase::new("segment_prod", vec![test_tensor(&[5, 2], 75, 0.5, 1.5)], move |x| {
            segment::segment_prod(&x[0], &sorted())
        }),
        GradCase::new("unsorted_segment_max", vec![test_tensor(&[3, 2, 2], 76, -1.0, 1.0)], move |x| {
            segment::unsorted_segment_max(&x[0], &unsorted(), 4)
        }),
        GradCase::new("unsorted_segment_min", vec![test_tensor(&[3, 2, 2], 77, -1.0, 1.0)], move |x| {
            segment::unsorted_segment_min(&x[0], &unsorted(), 4)
        }),
        GradCase::new("unsorted_segment_prod", vec![test_tensor(&[3, 2, 2], 78, 0.5, 1.5)], move |x| {
            segment::unsorted_segment_prod(&x[0], &unsorted(), 4)
        }),
        // The mean is composed of segment sums and a division.
        GradCase::new("unsorted_segment_sum", vec![test_tensor(&[3, 2, 2], 79, -1.0, 1.0)], move |x| {
            segment::unsorted_segment_mean(&x[0], &unsorted(), 4)
        }),
    ]
}
