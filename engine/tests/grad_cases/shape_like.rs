//! Ops that take their shape from another tensor at run time.

use tensile::ops::{execute1, shape_like};
use tensile::testing::{test_tensor, GradCase};
use tensile::Tensor;

fn t(shape: &[usize], seed: u64) -> Tensor {
    test_tensor(shape, seed, -1.0, 1.0)
}

pub fn cases() -> Vec<GradCase> {
    // The second input only lends its shape: its finite-difference gradient is zero.
    let call = |op: &'static tensile::ops::OpDef| move |x: &[Tensor]| execute1(op, x, Default::default());
    vec![
        GradCase::new("broadcast_like", vec![t(&[3, 1], 90), t(&[2, 3, 4], 91)], call(&shape_like::BROADCAST_LIKE)),
        GradCase::new("broadcast_like", vec![t(&[4], 92), t(&[3, 4], 93)], call(&shape_like::BROADCAST_LIKE)),
        GradCase::new("reshape_like", vec![t(&[2, 3], 94), t(&[3, 2], 95)], call(&shape_like::RESHAPE_LIKE)),
        GradCase::new("sum_to_like", vec![t(&[2, 3, 4], 96), t(&[3, 1], 97)], call(&shape_like::SUM_TO_LIKE)),
        GradCase::new("sum_to_like", vec![t(&[2, 3], 98), t(&[2, 3], 99)], call(&shape_like::SUM_TO_LIKE)),
    ]
}
