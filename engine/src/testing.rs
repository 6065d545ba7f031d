//! Test support shared by the crate's tests and later crates: finite-difference gradient
//! checks and tolerant comparisons. Not needed by applications.

use crate::attrs::{Attr, Attrs};
use crate::error::Result;
use crate::graph::{Graph, Output};
use crate::ops::{math, Spec};
use crate::tape::GradientTape;
use crate::tensor::Tensor;
use crate::DType;

/// A function of several tensors to one tensor, checked by [`check_gradients`].
pub type TestFn = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;

/// One gradient-check case for an op: float64 inputs and a function that applies the op.
pub struct GradCase {
    /// The registry name of the op under test.
    pub op: &'static str,
    /// Float64 inputs (chosen away from kinks and poles).
    pub inputs: Vec<Tensor>,
    /// Applies the op (and maybe a fixed projection) to the inputs.
    pub f: TestFn,
    /// Largest accepted relative error (looser for cases that round through float32).
    pub tol: f64,
}

impl GradCase {
    /// A case for `op`.
    pub fn new(op: &'static str, inputs: Vec<Tensor>, f: impl Fn(&[Tensor]) -> Result<Tensor> + 'static) -> GradCase {
        GradCase { op, inputs, f: Box::new(f), tol: 1e-5 }
    }

    /// Sets the accepted relative error.
    pub fn tol(mut self, tol: f64) -> GradCase {
        self.tol = tol;
        self
    }
}

/// Deterministic pseudo-random float64 values in `[lo, hi)`, independent of the engine's RNG.
pub fn test_values(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// A float64 tensor of `shape` with values from [`test_values`].
pub fn test_tensor(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(test_values(n, seed, lo, hi), shape).expect("length matches shape")
}

/// Compares the tape gradient of `sum(f(inputs) * w)` (fixed random weights `w`) against
/// central finite differences; returns the worst relative error per input.
pub fn check_gradients(case: &GradCase) -> Result<Vec<f64>> {
    let probe = (case.f)(&case.inputs)?;
    let w = match probe.dtype() {
        DType::F64 => test_tensor(probe.shape(), 99, 0.5, 1.5),
        _ => {
            return Err(crate::Error::invalid(
                case.op,
                format!("gradient check needs a float64 output, got {}", probe.dtype()),
            ))
        }
    };
    let objective = |xs: &[Tensor]| -> Result<f64> {
        let y = (case.f)(xs)?;
        let yw = crate::ops::math::mul(&y, &w)?;
        let s = crate::ops::reduce::reduce_sum(&yw, None, false)?;
        s.item::<f64>()
    };
    let tape = GradientTape::new();
    let inputs: Vec<Tensor> = case.inputs.iter().map(|t| t.fresh()).collect();
    let loss = tape.scope(|t| -> Result<Tensor> {
        for x in &inputs {
            t.watch(x);
        }
        let y = (case.f)(&inputs)?;
        crate::ops::reduce::reduce_sum(&crate::ops::math::mul(&y, &w)?, None, false)
    })??;
    let srcs: Vec<&dyn crate::tape::Watchable> = inputs.iter().map(|t| t as &dyn crate::tape::Watchable).collect();
    let grads = tape.gradient_with(&loss, &srcs, None, crate::UnconnectedGradients::Zero)?;
    let mut worst = Vec::new();
    for (k, x) in case.inputs.iter().enumerate() {
        if x.dtype() != DType::F64 {
            worst.push(0.0);
            continue;
        }
        let analytic = grads[k].as_ref().map(|g| g.to_f64_vec()).unwrap_or_else(|| vec![0.0; x.size()]);
        let base = x.to_f64_vec();
        let mut err: f64 = 0.0;
        for i in 0..base.len() {
            let h = 1e-6 * base[i].abs().max(1.0);
            let mut plus = base.clone();
            plus[i] += h;
            let mut minus = base.clone();
            minus[i] -= h;
            let mut xs = case.inputs.clone();
            xs[k] = Tensor::from_vec(plus, x.shape())?;
            let fp = objective(&xs)?;
            xs[k] = Tensor::from_vec(minus, x.shape())?;
            let fm = objective(&xs)?;
            let numeric = (fp - fm) / (2.0 * h);
            let e = (numeric - analytic[i]).abs() / numeric.abs().max(analytic[i].abs()).max(1.0);
            err = err.max(e);
        }
        worst.push(err);
    }
    Ok(worst)
}

/// Asserts two f64 sequences agree within `rtol`/`atol` (NumPy's `allclose` rule).
pub fn assert_close(actual: &[f64], expected: &[f64], rtol: f64, atol: f64) {
    assert_eq!(actual.len(), expected.len(), "length mismatch: {actual:?} vs {expected:?}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let ok = (a - e).abs() <= atol + rtol * e.abs() || (a.is_nan() && e.is_nan()) || a == e;
        assert!(ok, "element {i}: got {a}, expected {e}\n actual: {actual:?}\n expected: {expected:?}");
    }
}

/// A tensor of `dtype` and `shape` with deterministic values in [-3, 3) (for input sweeps).
pub fn sweep_tensor(dtype: DType, shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let v = test_values(n, seed, -3.0, 3.0);
    crate::ops::math::cast(&Tensor::from_vec(v, shape).expect("sweep shape matches"), dtype).expect("cast to any dtype")
}

/// Attribute sets that sweeps try on every op: none, sensible values and hostile ones.
pub fn hostile_attr_sets() -> Vec<Attrs> {
    let big = 1i64 << 40;
    let mut sets = vec![Attrs::new()];
    let singles: Vec<(&'static str, Attr)> = vec![
        ("axis", Attr::Int(0)),
        ("axis", Attr::Int(-1)),
        ("axis", Attr::Int(7)),
        ("axis", Attr::Int(i64::MIN)),
        ("axis", Attr::OptInts(Some(vec![0, 0]))),
        ("axis", Attr::OptInts(Some(vec![9]))),
        ("axis", Attr::OptInts(None)),
        ("shape", Attr::Ints(vec![-1])),
        ("shape", Attr::Ints(vec![2, -1])),
        ("shape", Attr::Ints(vec![-1, -1])),
        ("shape", Attr::Ints(vec![-7])),
        ("shape", Attr::Ints(vec![big, big])),
        ("perm", Attr::Ints(vec![1, 0])),
        ("perm", Attr::Ints(vec![0, 0])),
        ("perm", Attr::Ints(vec![5])),
        ("dtype", Attr::DType(DType::I32)),
        ("dtype", Attr::DType(DType::Bool)),
        ("k", Attr::Int(1)),
        ("k", Attr::Int(-1)),
        ("k", Attr::Int(big)),
        ("alpha", Attr::Float(f64::NAN)),
        ("padding", Attr::Str("SAME".into())),
        ("padding", Attr::Str("bogus".into())),
        ("strides", Attr::Ints(vec![0, 0])),
        ("strides", Attr::Ints(vec![1, 1, 1, 1])),
        ("depth", Attr::Int(-3)),
        ("depth", Attr::Int(big)),
        ("multiples", Attr::Ints(vec![big, big])),
        ("num", Attr::Int(0)),
        ("begin", Attr::Ints(vec![big])),
        ("size", Attr::Ints(vec![-2])),
        ("equation", Attr::Str("ij,jk->ik".into())),
        ("equation", Attr::Str("->->".into())),
    ];
    for (name, v) in singles {
        sets.push(Attrs::new().with(name, v));
    }
    sets
}

/// Shapes that sweeps combine: scalar, empty, vectors, matrices, rank 3 and 4.
pub fn sweep_shapes() -> Vec<Vec<usize>> {
    vec![vec![], vec![0], vec![3], vec![2, 3], vec![1, 3], vec![3, 2], vec![2, 0, 3], vec![2, 2, 2, 2]]
}

/// The graph `x -> while i < 4: (i + 1, y * x)` from `(0, x)`: loop variables `i` (int32) and
/// `y` (float64), `x` (float64 placeholder) captured. Returns the graph and the while node's
/// two outputs, which the caller sets as outputs or builds on.
pub fn power_while_graph(max_iterations: Option<i64>) -> Result<(Graph, Vec<Output>)> {
    let (i_spec, f) = (Spec::new(DType::I32, &[]), Spec::new(DType::F64, &[]));
    let mut c = Graph::new();
    let ci = c.add_placeholder(i_spec.clone());
    c.add_placeholder(f.clone());
    c.add_placeholder(f.clone());
    let four = c.add_const(Tensor::from(4));
    let lt = c.add_op1(&math::LESS, &[ci, four], Attrs::new())?;
    c.set_outputs(&[lt])?;
    let mut b = Graph::new();
    let bi = b.add_placeholder(i_spec);
    let by = b.add_placeholder(f.clone());
    let bx = b.add_placeholder(f.clone());
    let one = b.add_const(Tensor::from(1));
    let i1 = b.add_op1(&math::ADD, &[bi, one], Attrs::new())?;
    let yx = b.add_op1(&math::MUL, &[by, bx], Attrs::new())?;
    b.set_outputs(&[i1, yx])?;
    let mut g = Graph::new();
    let x = g.add_placeholder(f);
    let zero = g.add_const(Tensor::from(0));
    let outs = g.add_while(&[zero, x, x], c, b, max_iterations)?;
    Ok((g, outs))
}
