//! Cases for slicing ops.

use tensile::ops::slicing::{self, slice_spec, RunTimeBounds, SliceItem};
use tensile::ops::slicing_dynamic;
use tensile::testing::{test_tensor, GradCase};
use tensile::{s, Tensor};

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
        // x[k, ::-1, 1:e] with k, e as inputs: a run-time shrink index and end.
        GradCase::new(
            "strided_slice_dynamic",
            vec![test_tensor(&[3, 4, 5], 49, -1.0, 1.0), Tensor::from(-2i32), Tensor::from(4i64)],
            |x| {
                let spec = slice_spec(&s![0, ..;-1, 1..2])?;
                let rt = RunTimeBounds { begin: 0b001, end: 0b100, strides: 0 };
                slicing_dynamic::strided_slice_dynamic(&x[0], &spec, rt, &x[1..])
            },
        ),
        // x[b::s, None, ...] with a run-time start and stride.
        GradCase::new(
            "strided_slice_dynamic",
            vec![test_tensor(&[6, 2], 50, -1.0, 1.0), Tensor::from(-1i32), Tensor::from(-2i32)],
            |x| {
                let spec = slice_spec(&s![0..;1, None, ...])?;
                let rt = RunTimeBounds { begin: 0b001, end: 0, strides: 0b001 };
                slicing_dynamic::strided_slice_dynamic(&x[0], &spec, rt, &x[1..])
            },
        ),
        // tf.slice(x, [1, 0], [2, -1]) and tf.slice(x, [0, 1, 1], [1, 2, 1]) with run-time vectors.
        GradCase::new(
            "slice_dynamic",
            vec![test_tensor(&[3, 4], 52, -1.0, 1.0), Tensor::from(vec![1i32, 0]), Tensor::from(vec![2i32, -1])],
            |x| slicing_dynamic::slice_dynamic(&x[0], &x[1], &x[2], &[2, -1]),
        ),
        GradCase::new(
            "slice_dynamic",
            vec![
                test_tensor(&[2, 3, 2], 53, -1.0, 1.0),
                Tensor::from(vec![0i64, 1, 1]),
                Tensor::from(vec![1i64, 2, 1]),
            ],
            |x| {
                let unknown = tensile::ops::array::RUN_TIME_DIM;
                slicing_dynamic::slice_dynamic(&x[0], &x[1], &x[2], &[unknown, unknown, unknown])
            },
        ),
        // The backward of x[k, ::-1, 1:e] for a [3, 4, 5] input.
        GradCase::new(
            "strided_slice_dynamic_grad",
            vec![test_tensor(&[4, 3], 51, -1.0, 1.0), Tensor::from(1i32), Tensor::from(-1i64)],
            |x| {
                let spec = slice_spec(&s![0, ..;-1, 1..2])?;
                let rt = RunTimeBounds { begin: 0b001, end: 0b100, strides: 0 };
                let like = tensile::ops::array::zeros(tensile::DType::F64, &[3, 4, 5])?;
                slicing_dynamic::strided_slice_dynamic_grad(&x[0], &like, &spec, rt, &x[1..])
            },
        ),
    ]
}
