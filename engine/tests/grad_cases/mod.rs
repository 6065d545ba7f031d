//! Gradient-check cases, one file per op family.

pub mod array;
pub mod indexing;
pub mod linalg;
pub mod math;
pub mod nn;
pub mod random_ops;
pub mod rearrange;
pub mod reduce;
pub mod segment;
pub mod shape_like;
pub mod slicing;
pub mod tensor_list;

/// Every case, across all families.
pub fn all() -> Vec<tensile::testing::GradCase> {
    let mut v = Vec::new();
    v.extend(math::cases());
    v.extend(reduce::cases());
    v.extend(array::cases());
    v.extend(linalg::cases());
    v.extend(nn::cases());
    v.extend(slicing::cases());
    v.extend(indexing::cases());
    v.extend(random_ops::cases());
    v.extend(tensor_list::cases());
    v.extend(rearrange::cases());
    v.extend(segment::cases());
    v.extend(shape_like::cases());
    v
}
