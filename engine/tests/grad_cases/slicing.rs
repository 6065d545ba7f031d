//! Cases for slicing ops.

use tensile::ops::slicing::{self, slice_spec, SliceItem};
use tensile::s;
use tensile::testing::{test_tensor, GradCase};

/// Gradient cases for `tensile::ops::slicing`.
pub fn cases() -> Vec<GradCase> {
    vec![
        GradCase::new("slice", vec![test_tensor(&[3, 4], 41, -1.0, 1.0)], |x| slicing::slice(&x[0], &[1, 0], &[2, -1])),
        GradCase::new("slice", vec![test_tensor(&[2, 3, 4], 42, -1.0, 1.0)], |x| {
            slicing::slice(&x[0], &[0, 1, 2], &[2, 2, 1])
        }),
        GradCase::new("slice_grad", vec![test_tensor(&[2, 3], 43, -1.0, 1.0)], |x| {
            slicing::slice_grad(&x[0], &[3, 4], &[1, 1])
        }),
        // x[1:, ..., ::-2, None]
        GradCase::new("strided_slice", vec![test_tensor(&[3, 2, 5], 44, -1.0, 1.0)], |x| {
            slicing::index(&x[0], &s![1.., ..., ..;-2, None])
        }),
        // x[-1, 3:0:-1, None, 1] (shrink, negative stride, new axis)
        GradCase::new("strided_slice", vec![test_tensor(&[2, 4, 3], 45, -1.0, 1.0)], |x| {
            slicing::index(
                &x[0],
                &[
                    SliceItem::Index(-1),
                    SliceItem::slice(Some(3), Some(0), -1),
                    SliceItem::NewAxis,
                    SliceItem::Index(1),
                ],
            )
        }),
        // Raw masks: begin_mask on dim 0, end_mask on dim 1, stride 2 then -1.
        GradCase::new("strided_slice", vec![test_tensor(&[5, 4], 46, -1.0, 1.0)], |x| {
            slicing::strided_slice(&x[0], &[9, -2], &[4, 0], &[2, -1], 0b01, 0b10, 0, 0, 0)
        }),
        GradCase::new("strided_slice_grad", vec![test_tensor(&[2, 2, 3, 1], 47, -1.0, 1.0)], |x| {
            let spec = slice_spec(&s![1.., ..., ..;-2, None])?;
            slicing::strided_slice_grad(&x[0], &[3, 2, 5], &spec)
        }),
        GradCase::new("strided_slice_grad", vec![test_tensor(&[3, 1], 48, -1.0, 1.0)], |x| {
            let spec = slice_spec(&[
                SliceItem::Index(-1),
                SliceItem::slice(Some(3), Some(0), -1),
                SliceItem::NewAxis,
                SliceItem::Index(1),
            ])?;
            slicing::strided_slice_grad(&x[0], &[2, 4, 3], &spec)
        }),
    ]
}
