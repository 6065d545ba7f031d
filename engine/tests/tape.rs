//! GradientTape semantics: watching, variables, persistence, nesting, jacobians, custom gradients.

use tensile::prelude::*;
use tensile::testing::assert_close;
use tensile::{custom_gradient, UnconnectedGradients};

fn t(v: &[f64]) -> Tensor {
    Tensor::from(v.to_vec())
}

#[test]
fn gradient_of_product_and_unconnected_source() -> Result<()> {
    let x = Tensor::from(3.0f32);
    let z = Tensor::from(1.0f32);
    let tape = GradientTape::new();
    let y = tape.scope(|tp| {
        tp.watch(&x);
        tp.watch(&z);
        &x * &x
    })??;
    let g = tape.gradient(&y, &[&x, &z])?;
    assert_eq!(g[0].as_ref().unwrap().item::<f32>()?, 6.0);
    assert!(g[1].is_none());
    Ok(())
}

#[test]
fn unconnected_zero_option() -> Result<()> {
    let x = t(&[1.0, 2.0]);
    let z = t(&[5.0, 6.0, 7.0]);
    let tape = GradientTape::new();
    let y = tape.scope(|tp| {
        tp.watch(&x);
        tp.watch(&z);
        reduce_sum(&(&x * 2.0)?, None, false)
    })??;
    let g = tape.gradient_with(&y, &[&x, &z], None, UnconnectedGradients::Zero)?;
    assert_close(&g[1].as_ref().unwrap().to_f64_vec(), &[0.0, 0.0, 0.0], 0.0, 0.0);
    assert_close(&g[0].as_ref().unwrap().to_f64_vec(), &[2.0, 2.0], 0.0, 0.0);
    Ok(())
}

#[test]
fn unwatched_tensors_are_not_recorded() -> Result<()> {
    let x = Tensor::from(2.0f64);
    let tape = GradientTape::new();
    let y = tape.scope(|_| &x * &x)??;
    assert!(tape.gradient(&y, &[&x])?[0].is_none());
    Ok(())
}

#[test]
fn non_persistent_tape_allows_one_gradient_call() -> Result<()> {
    let x = Tensor::from(2.0f64);
    let tape = GradientTape::new();
    let y = tape.scope(|tp| {
        tp.watch(&x);
        &x * &x
    })??;
    tape.gradient(&y, &[&x])?;
    let err = tape.gradient(&y, &[&x]).unwrap_err();
    assert!(err.to_string().contains("only be called once"), "{err}");
    Ok(())
}

#[test]
fn persistent_tape_allows_many_calls() -> Result<()> {
    let x = Tensor::from(3.0f64);
    let tape = GradientTape::persistent();
    let (y, z) = tape.scope(|tp| -> Result<(Tensor, Tensor)> {
        tp.watch(&x);
        let y = (&x * &x)?;
        let z = (&y * &y)?;
        Ok((y, z))
    })??;
    assert_eq!(tape.gradient(&z, &[&x])?[0].as_ref().unwrap().item::<f64>()?, 108.0); // 4x^3
    assert_eq!(tape.gradient(&y, &[&x])?[0].as_ref().unwrap().item::<f64>()?, 6.0);
    Ok(())
}

#[test]
fn trainable_variables_are_watched_automatically() -> Result<()> {
    let w = Variable::new(Tensor::from([1.0f32, 2.0]), "w");
    let frozen = Variable::with_trainable(Tensor::from([3.0f32, 4.0]), "frozen", false);
    let tape = GradientTape::new();
    let loss = tape.scope(|_| reduce_sum(&(&w.read_value() * &frozen.read_value())?, None, false))??;
    let g = tape.gradient(&loss, &[&w, &frozen])?;
    assert_eq!(g[0].as_ref().unwrap().to_vec::<f32>()?, vec![3.0, 4.0]);
    assert!(g[1].is_none());
    assert_eq!(tape.watched_variables().len(), 1);
    Ok(())
}

#[test]
fn watch_accessed_variables_false_needs_explicit_watch() -> Result<()> {
    let w = Variable::new(Tensor::from(2.0f64), "w");
    let tape =
        GradientTape::with_options(tensile::tape::TapeOptions { persistent: false, watch_accessed_variables: false });
    let y = tape.scope(|_| &w.read_value() * &w.read_value())??;
    assert!(tape.gradient(&y, &[&w])?[0].is_none());
    let tape =
        GradientTape::with_options(tensile::tape::TapeOptions { persistent: false, watch_accessed_variables: false });
    let y = tape.scope(|tp| {
        tp.watch(&w);
        &w.read_value() * &w.read_value()
    })??;
    assert_eq!(tape.gradient(&y, &[&w])?[0].as_ref().unwrap().item::<f64>()?, 4.0);
    Ok(())
}

#[test]
fn stop_recording_and_reset() -> Result<()> {
    let x = Tensor::from(3.0f64);
    let tape = GradientTape::persistent();
    let y = tape.scope(|tp| -> Result<Tensor> {
        tp.watch(&x);
        let a = (&x * 2.0)?;
        let b = tp.stop_recording(|| &x * &x)?;
        &a + &b
    })??;
    // Only the recorded branch contributes: d(2x)/dx = 2.
    assert_eq!(tape.gradient(&y, &[&x])?[0].as_ref().unwrap().item::<f64>()?, 2.0);
    tape.reset();
    assert!(tape.gradient(&y, &[&x])?[0].is_none());
    Ok(())
}

#[test]
fn nested_tapes_give_second_derivative() -> Result<()> {
    // y = x^3 at x = 2: dy/dx = 12, d2y/dx2 = 12.
    let x = Tensor::from(2.0f64);
    let outer = GradientTape::new();
    let dy = outer.scope(|o| -> Result<Tensor> {
        o.watch(&x);
        let inner = GradientTape::new();
        let y = inner.scope(|i| -> Result<Tensor> {
            i.watch(&x);
            &(&x * &x)? * &x
        })??;
        Ok(inner.gradient(&y, &[&x])?[0].clone().unwrap())
    })??;
    assert_eq!(dy.item::<f64>()?, 12.0);
    let d2 = outer.gradient(&dy, &[&x])?;
    assert_eq!(d2[0].as_ref().unwrap().item::<f64>()?, 12.0);
    Ok(())
}

#[test]
fn jacobian_of_elementwise_square() -> Result<()> {
    let x = t(&[1.0, 2.0, 3.0]);
    let tape = GradientTape::new();
    let y = tape.scope(|tp| {
        tp.watch(&x);
        &x * &x
    })??;
    let j = tape.jacobian(&y, &x)?.unwrap();
    assert_eq!(j.shape(), &[3, 3]);
    assert_close(&j.to_f64_vec(), &[2.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 6.0], 0.0, 0.0);
    Ok(())
}

#[test]
fn batch_jacobian_of_rowwise_map() -> Result<()> {
    // y[b] = x[b] * x[b][0]  → dy_i/dx_j = delta_ij * x0 + (j == 0) * x_i
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2])?;
    let tape = GradientTape::new();
    let y = tape.scope(|tp| -> Result<Tensor> {
        tp.watch(&x);
        let first = reduce_sum(&(&x * &Tensor::from_vec(vec![1.0f64, 0.0], &[1, 2])?)?, Some(&[1]), true)?;
        &x * &first
    })??;
    let j = tape.batch_jacobian(&y, &x)?.unwrap();
    assert_eq!(j.shape(), &[2, 2, 2]);
    assert_close(&j.to_f64_vec(), &[2.0, 0.0, 2.0, 1.0, 6.0, 0.0, 4.0, 3.0], 0.0, 1e-12);
    Ok(())
}

#[test]
fn custom_gradient_replaces_backward() -> Result<()> {
    // Forward: identity; backward: clip the gradient to 0.5 × upstream.
    let x = t(&[1.0, -2.0]);
    let tape = GradientTape::new();
    let y = tape.scope(|tp| -> Result<Tensor> {
        tp.watch(&x);
        let out = custom_gradient(std::slice::from_ref(&x), |xs| {
            let y = (&xs[0] * 1.0)?;
            let grad: tensile::tape::CustomGradFn = std::rc::Rc::new(|gs: &[Tensor]| Ok(vec![Some((&gs[0] * 0.5)?)]));
            Ok((vec![y], grad))
        })?;
        reduce_sum(&(&out[0] * 3.0)?, None, false)
    })??;
    assert_close(&tape.gradient(&y, &[&x])?[0].as_ref().unwrap().to_f64_vec(), &[1.5, 1.5], 0.0, 0.0);
    Ok(())
}

#[test]
fn integer_gradients_are_none() -> Result<()> {
    let x = Tensor::from(3i32);
    let tape = GradientTape::new();
    let y = tape.scope(|tp| {
        tp.watch(&x);
        &x * &x
    })??;
    assert!(tape.gradient(&y, &[&x])?[0].is_none());
    Ok(())
}

#[test]
fn variables_release_memory_with_their_last_holder() -> Result<()> {
    let v = Variable::new(tensile::ops::array::zeros(DType::F32, &[1024, 1024])?, "big");
    let weak = std::sync::Arc::downgrade(v.peek().shared_storage());
    let v2 = v.clone();
    assert_eq!(v.handle_count(), 2);
    drop(v);
    assert!(weak.upgrade().is_some(), "a live handle keeps the buffer");
    drop(v2);
    assert!(weak.upgrade().is_none(), "the 4 MiB buffer must be freed with the last handle");
    Ok(())
}

#[test]
fn variable_assign_checks_shape_and_dtype() -> Result<()> {
    let v = Variable::new(Tensor::from([1.0f32, 2.0]), "v");
    v.assign_add(&Tensor::from([1.0f32, 1.0]))?;
    v.assign_sub(&Tensor::from(0.5f32))?;
    assert_eq!(v.read_value().to_vec::<f32>()?, vec![1.5, 2.5]);
    let err = v.assign(&Tensor::from([1.0f64, 2.0])).unwrap_err().to_string();
    assert!(err.contains("float32") && err.contains("float64"), "{err}");
    let err = v.assign(&Tensor::from([1.0f32, 2.0, 3.0])).unwrap_err().to_string();
    assert!(err.contains("[2]") && err.contains("[3]"), "{err}");
    Ok(())
}

struct Dense {
    name: String,
    kernel: Variable,
    bias: Variable,
}

impl Dense {
    fn new(name: &str) -> Dense {
        tensile::name_scope(name, || Dense {
            name: name.to_string(),
            kernel: Variable::new(Tensor::from([[1.0f32, 2.0]]), "kernel"),
            bias: Variable::new(Tensor::from([0.0f32, 0.0]), "bias"),
        })
    }
}

impl Module for Dense {
    fn name(&self) -> &str {
        &self.name
    }
    fn own_variables(&self) -> Vec<Variable> {
        vec![self.kernel.clone(), self.bias.clone()]
    }
}

struct Net {
    layers: Vec<Dense>,
    steps: Variable,
}

impl Module for Net {
    fn name(&self) -> &str {
        "net"
    }
    fn own_variables(&self) -> Vec<Variable> {
        vec![self.steps.clone()]
    }
    fn submodules(&self) -> Vec<&dyn Module> {
        self.layers.iter().map(|l| l as &dyn Module).collect()
    }
}

#[test]
fn modules_walk_submodules_with_scoped_names() {
    let net = tensile::name_scope("net", || Net {
        layers: vec![Dense::new("dense"), Dense::new("dense_1")],
        steps: Variable::with_trainable(Tensor::from(0i64), "steps", false),
    });
    let names: Vec<String> = net.variables().iter().map(|v| v.name().to_string()).collect();
    assert_eq!(
        names,
        ["net/steps:0", "net/dense/kernel:0", "net/dense/bias:0", "net/dense_1/kernel:0", "net/dense_1/bias:0"]
    );
    assert_eq!(net.trainable_variables().len(), 4);
}
