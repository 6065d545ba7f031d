//! slicing ops.

use crate::ops::OpDef;

/// Ops of this family.
pub(crate) static OPS: &[&OpDef] = &[];
