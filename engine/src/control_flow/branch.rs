//! `cond` and `switch_case`.

use super::nest::Nest;
use super::{scalar_bool, scalar_index};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// `tf.cond(pred, true_fn, false_fn)`: runs `true_fn` when the scalar bool `pred` is true,
/// `false_fn` otherwise, and returns that branch's result.
///
/// Eagerly only the chosen branch runs (so only its ops are taped), as in TensorFlow 2. Inside
/// a traced function both branches are traced and one `cond` graph node holds them.
///
/// ```
/// use tensile::prelude::*;
/// use tensile::control_flow::cond;
/// let x = Tensor::from(3.0f32);
/// let y = cond(&Tensor::from(true), || &x * &x, || Ok(x.clone()))?;
/// assert_eq!(y.item::<f32>()?, 9.0);
/// # Ok::<(), tensile::Error>(())
/// ```
pub fn cond<R: Nest>(
    pred: &Tensor,
    true_fn: impl FnOnce() -> Result<R>,
    false_fn: impl FnOnce() -> Result<R>,
) -> Result<R> {
    if crate::function::trace::is_tracing() {
        return super::traced::cond(pred, true_fn, false_fn);
    }
    eager_cond(pred, true_fn, false_fn)
}

fn eager_cond<R: Nest>(
    pred: &Tensor,
    true_fn: impl FnOnce() -> Result<R>,
    false_fn: impl FnOnce() -> Result<R>,
) -> Result<R> {
    if scalar_bool("cond", "pred", pred)? {
        true_fn()
    } else {
        false_fn()
    }
}

/// `tf.switch_case(branch_index, branches, default)`: runs `branches[branch_index]`.
///
/// As in TensorFlow, an index outside `[0, len)` runs `default`, or the last branch when no
/// default is given. `branch_index` must be a scalar int32 or int64 tensor.
pub fn switch_case<R: Nest>(
    branch_index: &Tensor,
    branches: &[&dyn Fn() -> Result<R>],
    default: Option<&dyn Fn() -> Result<R>>,
) -> Result<R> {
    if crate::function::trace::is_tracing() {
        return super::traced::switch_case(branch_index, branches, default);
    }
    eager_switch_case(branch_index, branches, default)
}

fn eager_switch_case<R: Nest>(
    branch_index: &Tensor,
    branches: &[&dyn Fn() -> Result<R>],
    default: Option<&dyn Fn() -> Result<R>>,
) -> Result<R> {
    if branches.is_empty() && default.is_none() {
        return Err(Error::invalid("switch_case", "branches must not be empty (and no default was given)"));
    }
    let i = scalar_index("switch_case", "branch_index", branch_index)?;
    match usize::try_from(i).ok().and_then(|i| branches.get(i)) {
        Some(f) => f(),
        None => match (default, branches.last()) {
            (Some(d), _) => d(),
            (None, Some(last)) => last(),
            (None, None) => Err(Error::invalid("switch_case", "no branch to run")),
        },
    }
}
