//! `while_loop`.

use super::nest::{assert_same_structure, Nest, Structure};
use super::scalar_bool;
use super::tensor_array::TensorArray;
use crate::error::{Error, Result};
use crate::shape::{self, Dims};
use crate::tensor::Tensor;

const OP: &str = "while_loop";

/// Options of [`while_loop`] (TensorFlow's keyword arguments).
#[derive(Clone, Debug)]
pub struct WhileOptions {
    /// Stop after this many iterations even if `cond` still holds (must be >= 0).
    pub maximum_iterations: Option<i64>,
    /// Per flattened loop variable, the shapes it may take (`None` dims vary freely); empty
    /// means every loop variable keeps its initial shape. An entry of `None` keeps that one.
    pub shape_invariants: Vec<Option<Dims>>,
    /// Iterations allowed to run in parallel (accepted for compatibility; must be positive).
    pub parallel_iterations: usize,
}

impl Default for WhileOptions {
    fn default() -> WhileOptions {
        WhileOptions { maximum_iterations: None, shape_invariants: Vec::new(), parallel_iterations: 10 }
    }
}

impl WhileOptions {
    /// Options with a maximum iteration count.
    pub fn max_iterations(n: i64) -> WhileOptions {
        WhileOptions { maximum_iterations: Some(n), ..WhileOptions::default() }
    }

    /// Adds shape invariants (one per flattened loop variable).
    pub fn with_shape_invariants(mut self, invariants: Vec<Option<Dims>>) -> WhileOptions {
        self.shape_invariants = invariants;
        self
    }
}

fn fits(dims: &[shape::Dim], shape: &[usize]) -> bool {
    dims.len() == shape.len() && dims.iter().zip(shape).all(|(d, &s)| d.is_none_or(|d| d == s))
}

/// True when every dim `inv` fixes is known in `dims` with that size.
fn fits_dims(inv: &[shape::Dim], dims: &[shape::Dim]) -> bool {
    inv.len() == dims.len() && inv.iter().zip(dims).all(|(i, d)| i.is_none() || i == d)
}

/// `tf.while_loop(cond, body, loop_vars)`: while `cond_fn(&vars)` is true (and fewer than
/// `maximum_iterations` iterations ran), `vars = body_fn(&vars)`; returns the final `vars`.
///
/// Every iteration checks that the body returned the same nested structure as `loop_vars`,
/// with the same dtypes and shapes (or shapes within the given shape invariants); errors name
/// the loop variable by its path in the structure. Inside a traced function the condition and
/// body are traced once each into one `while` graph node.
///
/// ```
/// use tensile::prelude::*;
/// use tensile::control_flow::{while_loop, WhileOptions};
/// let (i, p) = while_loop(
///     |(i, _): &(Tensor, Tensor)| less(i, &Tensor::from(5)),
///     |(i, p): &(Tensor, Tensor)| Ok(((i + 1)?, (p * 2.0)?)),
///     (Tensor::from(0), Tensor::from(1.0f32)),
///     WhileOptions::default(),
/// )?;
/// assert_eq!((i.item::<i32>()?, p.item::<f32>()?), (5, 32.0));
/// # Ok::<(), tensile::Error>(())
/// ```
pub fn while_loop<V: Nest>(
    cond_fn: impl FnMut(&V) -> Result<Tensor>,
    body_fn: impl FnMut(&V) -> Result<V>,
    loop_vars: V,
    options: WhileOptions,
) -> Result<V> {
    check_options(&options)?;
    let (mut body_fn, loop_vars) = (body_fn, loop_vars);
    let loop_vars = match crate::function::trace::is_tracing() {
        true => with_probed_element_shapes(&mut body_fn, loop_vars)?,
        false => loop_vars,
    };
    // Inside a trace `to_structure` makes TensorArrays dense; doing it once here keeps the
    // buffers the loop is checked against and the ones it is given the same tensors.
    let structure = loop_vars.to_structure();
    let loop_vars =
        if crate::function::trace::is_tracing() { V::from_structure(structure.clone())? } else { loop_vars };
    let allowed = invariants(&structure.flatten_with_paths(), &structure.loop_dims(), &options.shape_invariants)?;
    if crate::function::trace::is_tracing() {
        return super::traced::while_loop(cond_fn, body_fn, loop_vars, &options, &allowed);
    }
    eager_while_loop(cond_fn, body_fn, loop_vars, options, &allowed)
}

/// The TensorArrays among `loop_vars` in flatten order.
fn arrays_mut<'a>(s: &'a mut Structure, out: &mut Vec<&'a mut TensorArray>) {
    match s {
        Structure::Tensor(_) => {}
        Structure::TensorArray(ta) => out.push(ta),
        Structure::List(v) | Structure::Tuple(v) => v.iter_mut().for_each(|s| arrays_mut(s, out)),
        Structure::Dict(m) => m.values_mut().for_each(|s| arrays_mut(s, out)),
    }
}

/// A traced loop carries each TensorArray as one dense buffer, which needs its element shape.
/// When neither a declared shape nor written elements tell it, the body runs once in a
/// throwaway trace and the arrays take the element shapes its writes gave them (TensorFlow
/// learns them from the writes too).
fn with_probed_element_shapes<V: Nest>(body_fn: &mut impl FnMut(&V) -> Result<V>, loop_vars: V) -> Result<V> {
    let mut structure = super::tensor_array::sparse_structure(&loop_vars);
    let mut arrays = Vec::new();
    arrays_mut(&mut structure, &mut arrays);
    if !arrays.iter().any(|ta| ta.lacks_element_shape()) {
        return Ok(loop_vars);
    }
    let options = crate::function::TraceOptions { root: false, allow_variable_creation: true };
    let mut found: Vec<Option<Dims>> = Vec::new();
    // The probe's own failures do not matter: the real trace of the body reports them.
    let _ = crate::function::trace_graph(&[], options, |_| {
        let mut out = super::tensor_array::sparse_structure(&body_fn(&loop_vars)?);
        let mut written = Vec::new();
        arrays_mut(&mut out, &mut written);
        found = written.iter().map(|ta| ta.element_shape().cloned()).collect();
        Ok(Vec::new())
    });
    if found.len() == arrays.len() {
        for (ta, dims) in arrays.iter_mut().zip(found) {
            if let Some(dims) = dims.filter(|d| ta.lacks_element_shape() && shape::to_shape(d).is_some()) {
                **ta = ta.clone().with_element_shape(&dims);
            }
        }
    }
    V::from_structure(structure)
}

fn check_options(options: &WhileOptions) -> Result<()> {
    if let Some(m) = options.maximum_iterations {
        if m < 0 {
            return Err(Error::invalid(OP, format!("maximum_iterations must be >= 0, got {m}")));
        }
    }
    if options.parallel_iterations == 0 {
        return Err(Error::invalid(OP, "parallel_iterations must be a positive integer, got 0"));
    }
    Ok(())
}

fn eager_while_loop<V: Nest>(
    mut cond_fn: impl FnMut(&V) -> Result<Tensor>,
    mut body_fn: impl FnMut(&V) -> Result<V>,
    loop_vars: V,
    options: WhileOptions,
    allowed: &[Dims],
) -> Result<V> {
    let initial = loop_vars.to_structure();
    let vars0 = initial.flatten_with_paths();
    let mut vars = loop_vars;
    let mut iterations: i64 = 0;
    loop {
        if options.maximum_iterations.is_some_and(|m| iterations >= m) {
            break;
        }
        // A body of Python callbacks may run no engine op at all; the loop itself stops.
        crate::cancel::check(OP)?;
        let keep_going = cond_fn(&vars)?;
        if !scalar_bool(OP, "the value returned by cond", &keep_going)? {
            break;
        }
        let next = body_fn(&vars)?;
        check_iteration(&initial, &vars0, allowed, &next.to_structure(), iterations)?;
        vars = next;
        iterations += 1;
    }
    Ok(vars)
}

/// The dims each flattened loop variable may take, checking that the initial values fit.
fn invariants(vars0: &[(String, Tensor)], defaults: &[Option<Dims>], given: &[Option<Dims>]) -> Result<Vec<Dims>> {
    if !given.is_empty() && given.len() != vars0.len() {
        return Err(Error::invalid(
            OP,
            format!("shape_invariants has {} entries but loop_vars has {} tensors", given.len(), vars0.len()),
        ));
    }
    vars0
        .iter()
        .enumerate()
        .map(|(i, (path, t))| match given.get(i).cloned().flatten() {
            None => Ok(defaults.get(i).cloned().flatten().unwrap_or_else(|| t.dims())),
            Some(dims) if fits_dims(&dims, &t.dims()) => Ok(dims),
            Some(dims) => Err(Error::invalid(
                OP,
                format!(
                    "loop variable loop_vars{path} has shape {}, which does not fit its shape invariant {}",
                    shape::fmt_dims(&t.dims()),
                    shape::fmt_dims(&dims)
                ),
            )),
        })
        .collect()
}

fn check_iteration(
    initial: &Structure,
    vars0: &[(String, Tensor)],
    allowed: &[Dims],
    next: &Structure,
    iteration: i64,
) -> Result<()> {
    assert_same_structure(OP, "loop_vars", initial, "the body's result", next)?;
    for (((path, old), new), dims) in vars0.iter().zip(next.flatten()).zip(allowed) {
        if new.dtype() != old.dtype() {
            return Err(Error::invalid(
                OP,
                format!(
                    "loop variable loop_vars{path} entered the loop as {} but the body returned {} \
                     (iteration {iteration}); dtypes of loop variables cannot change",
                    old.dtype(),
                    new.dtype()
                ),
            ));
        }
        if !fits(dims, new.shape()) {
            return Err(Error::invalid(
                OP,
                format!(
                    "loop variable loop_vars{path} has shape {} before the loop but the body returned \
                     shape {} (iteration {iteration}); allowed shapes are {} (pass a shape invariant with \
                     None dims to let it change)",
                    shape::fmt_shape(old.shape()),
                    shape::fmt_shape(new.shape()),
                    shape::fmt_dims(dims)
                ),
            ));
        }
    }
    Ok(())
}
