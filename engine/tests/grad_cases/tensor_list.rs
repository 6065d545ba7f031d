//! Cases for the dense TensorArray ops.

use tensile::ops::tensor_list;
use tensile::testing::{test_tensor, GradCase};
use tensile::Tensor;

/// Gradient cases for `tensile::ops::tensor_list`.
pub fn cases() -> Vec<GradCase> {
    vec![
        // Overwrites row 1: its old value gets no gradient.
        GradCase::new(
            "tensor_list_set_item",
            vec![test_tensor(&[3, 2], 61, -1.0, 1.0), test_tensor(&[2], 62, -1.0, 1.0)],
            |x| tensor_list::tensor_list_set_item(&x[0], &Tensor::from(1i32), &x[1]),
        ),
        GradCase::new(
            "tensor_list_set_item",
            vec![test_tensor(&[2, 2, 3], 63, -1.0, 1.0), test_tensor(&[2, 3], 64, -1.0, 1.0)],
            |x| tensor_list::tensor_list_set_item(&x[0], &Tensor::from(0i64), &x[1]),
        ),
        // Grows by two zero rows, then shrinks to one row.
        GradCase::new("tensor_list_resize", vec![test_tensor(&[3, 2], 66, -1.0, 1.0)], |x| {
            tensor_list::tensor_list_resize(&x[0], &Tensor::from(5i32))
        }),
        GradCase::new("tensor_list_resize", vec![test_tensor(&[3, 2, 2], 67, -1.0, 1.0)], |x| {
            tensor_list::tensor_list_resize(&x[0], &Tensor::from(1i64))
        }),
        // Rows 2 and 0 replaced (their old values get no gradient), row 1 kept.
        GradCase::new(
            "tensor_list_scatter",
            vec![test_tensor(&[3, 2], 68, -1.0, 1.0), Tensor::from([2i64, 0]), test_tensor(&[2, 2], 69, -1.0, 1.0)],
            |x| tensor_list::tensor_list_scatter(&x[0], &x[1], &x[2]),
        ),
        GradCase::new(
            "tensor_list_scatter",
            vec![test_tensor(&[4, 1, 3], 70, -1.0, 1.0), Tensor::from([3i32]), test_tensor(&[1, 1, 3], 71, -1.0, 1.0)],
            |x| tensor_list::tensor_list_scatter(&x[0], &x[1], &x[2]),
        ),
        GradCase::new("tensor_list_get_item", vec![test_tensor(&[3, 2, 2], 65, -1.0, 1.0)], |x| {
            tensor_list::tensor_list_get_item(&x[0], &Tensor::from(2i32))
        }),
    ]
}
