//! Higher-order gradients through nested tapes, checked against closed-form derivatives.

use tensile::ops::math::{cos, exp, mul, sin, tanh};
use tensile::prelude::*;
use tensile::testing::assert_close;

/// Returns (f(x), f'(x), f''(x)) computed with two nested tapes.
fn second_derivative(x: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<(Tensor, Tensor, Tensor)> {
    let outer = GradientTape::new();
    let (y, dy) = outer.scope(|o| -> Result<(Tensor, Tensor)> {
        o.watch(x);
        let inner = GradientTape::new();
        let y = inner.scope(|i| {
            i.watch(x);
            f(x)
        })??;
        let dy = inner.gradient(&y, &[x])?[0].clone().expect("connected");
        Ok((y, dy))
    })??;
    let d2 = outer.gradient(&dy, &[x])?[0].clone().expect("connected");
    Ok((y, dy, d2))
}

fn xs() -> Tensor {
    Tensor::from(vec![-1.5f64, -0.3, 0.0, 0.7, 2.0])
}

#[test]
fn sin_times_x() -> Result<()> {
    // f = x sin x; f' = sin x + x cos x; f'' = 2 cos x - x sin x
    let x = xs();
    let (_, d1, d2) = second_derivative(&x, |x| mul(&sin(x)?, x))?;
    let v = x.to_f64_vec();
    let e1: Vec<f64> = v.iter().map(|x| x.sin() + x * x.cos()).collect();
    let e2: Vec<f64> = v.iter().map(|x| 2.0 * x.cos() - x * x.sin()).collect();
    assert_close(&d1.to_f64_vec(), &e1, 1e-12, 1e-12);
    assert_close(&d2.to_f64_vec(), &e2, 1e-12, 1e-12);
    Ok(())
}

#[test]
fn tanh_second_derivative() -> Result<()> {
    // f'' = -2 tanh(x) (1 - tanh(x)^2)
    let x = xs();
    let (_, _, d2) = second_derivative(&x, tanh)?;
    let e2: Vec<f64> = x.to_f64_vec().iter().map(|x| -2.0 * x.tanh() * (1.0 - x.tanh().powi(2))).collect();
    assert_close(&d2.to_f64_vec(), &e2, 1e-12, 1e-12);
    Ok(())
}

#[test]
fn exp_of_cos_second_derivative() -> Result<()> {
    // f = exp(cos x); f'' = exp(cos x) (sin^2 x - cos x)
    let x = xs();
    let (_, _, d2) = second_derivative(&x, |x| exp(&cos(x)?))?;
    let e2: Vec<f64> = x.to_f64_vec().iter().map(|x| x.cos().exp() * (x.sin().powi(2) - x.cos())).collect();
    assert_close(&d2.to_f64_vec(), &e2, 1e-12, 1e-12);
    Ok(())
}

#[test]
fn third_derivative_with_three_tapes() -> Result<()> {
    // f = x^4 at x = 1.5: f''' = 24 x = 36
    let x = Tensor::from(1.5f64);
    let t3 = GradientTape::new();
    let d2 = t3.scope(|a| -> Result<Tensor> {
        a.watch(&x);
        let t2 = GradientTape::new();
        let d1 = t2.scope(|b| -> Result<Tensor> {
            b.watch(&x);
            let t1 = GradientTape::new();
            let y = t1.scope(|c| {
                c.watch(&x);
                let x2 = (&x * &x)?;
                &x2 * &x2
            })??;
            Ok(t1.gradient(&y, &[&x])?[0].clone().unwrap())
        })??;
        Ok(t2.gradient(&d1, &[&x])?[0].clone().unwrap())
    })??;
    assert_eq!(d2.item::<f64>()?, 27.0); // 12 x^2
    assert_eq!(t3.gradient(&d2, &[&x])?[0].as_ref().unwrap().item::<f64>()?, 36.0);
    Ok(())
}

#[test]
fn hessian_via_jacobian_of_gradient() -> Result<()> {
    // f(x, y) = x^2 y + y^3 → H = [[2y, 2x], [2x, 6y]]
    let v = Tensor::from(vec![1.0f64, 2.0]);
    let outer = GradientTape::persistent();
    let g = outer.scope(|o| -> Result<Tensor> {
        o.watch(&v);
        let inner = GradientTape::new();
        let f = inner.scope(|i| -> Result<Tensor> {
            i.watch(&v);
            let w = Tensor::from(vec![1.0f64, 0.0]);
            let x = reduce_sum(&(&v * &w)?, None, false)?;
            let y = reduce_sum(&(&v * &Tensor::from(vec![0.0f64, 1.0]))?, None, false)?;
            &(&(&x * &x)? * &y)? + &(&(&y * &y)? * &y)?
        })??;
        Ok(inner.gradient(&f, &[&v])?[0].clone().unwrap())
    })??;
    let h = outer.jacobian(&g, &v)?.unwrap();
    assert_close(&h.to_f64_vec(), &[4.0, 2.0, 2.0, 12.0], 1e-12, 1e-12);
    Ok(())
}
