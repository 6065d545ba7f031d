//! Value and error tests for nn ops. Convolutions and pooling are checked against direct
//! loops written from the definitions here; losses against hand-computed values.

use tensile::ops::nn::{self, Padding};
use tensile::testing::{assert_close, test_tensor};
use tensile::{DType, GradientTape, Result, Tensor};

// ---------- reference implementations ----------

/// Output size and padding-before of one dimension, from TensorFlow's documented rules.
fn ref_dim(padding: &Padding, axis: usize, input: usize, k: usize, s: usize, d: usize) -> (usize, usize) {
    let k_eff = (k - 1) * d + 1;
    match padding {
        Padding::Name(n) if n == "SAME" => {
            let out = input.div_ceil(s);
            let total = ((out - 1) * s + k_eff).saturating_sub(input);
            (out, total / 2)
        }
        Padding::Name(_) => ((input - k_eff) / s + 1, 0),
        Padding::Explicit(p) => ((input + p[axis][0] + p[axis][1] - k_eff) / s + 1, p[axis][0]),
    }
}

struct Geom {
    n: usize,
    h: usize,
    w: usize,
    c: usize,
    kh: usize,
    kw: usize,
    o: usize,
    s: [usize; 2],
    d: [usize; 2],
    pad: [usize; 2],
    oh: usize,
    ow: usize,
}

impl Geom {
    fn new(x: &[usize], f: &[usize], s: [usize; 2], padding: &Padding, d: [usize; 2]) -> Geom {
        let (oh, pt) = ref_dim(padding, 0, x[1], f[0], s[0], d[0]);
        let (ow, pl) = ref_dim(padding, 1, x[2], f[1], s[1], d[1]);
        Geom { n: x[0], h: x[1], w: x[2], c: x[3], kh: f[0], kw: f[1], o: f[3], s, d, pad: [pt, pl], oh, ow }
    }

    /// Input position for output `(oy, ox)` and tap `(ky, kx)`, if inside the image.
    fn src(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let iy = (oy * self.s[0] + ky * self.d[0]) as i64 - self.pad[0] as i64;
        let ix = (ox * self.s[1] + kx * self.d[1]) as i64 - self.pad[1] as i64;
        (iy >= 0 && ix >= 0 && (iy as usize) < self.h && (ix as usize) < self.w).then_some((iy as usize, ix as usize))
    }
}

/// Direct convolution: y[b,oy,ox,o] = Σ x[b, oy*s+ky*d-pt, ox*s+kx*d-pl, c] · f[ky,kx,c,o].
fn ref_conv2d(x: &[f64], f: &[f64], g: &Geom) -> Vec<f64> {
    let mut y = vec![0.0; g.n * g.oh * g.ow * g.o];
    for b in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                for o in 0..g.o {
                    let mut acc = 0.0;
                    for ky in 0..g.kh {
                        for kx in 0..g.kw {
                            if let Some((iy, ix)) = g.src(oy, ox, ky, kx) {
                                for c in 0..g.c {
                                    acc += x[((b * g.h + iy) * g.w + ix) * g.c + c]
                                        * f[((ky * g.kw + kx) * g.c + c) * g.o + o];
                                }
                            }
                        }
                    }
                    y[((b * g.oh + oy) * g.ow + ox) * g.o + o] = acc;
                }
            }
        }
    }
    y
}

/// dx[b,iy,ix,c] = Σ over taps reaching (iy, ix) of dy[b,oy,ox,o] · f[ky,kx,c,o].
fn ref_backprop_input(f: &[f64], dy: &[f64], g: &Geom) -> Vec<f64> {
    let mut dx = vec![0.0; g.n * g.h * g.w * g.c];
    for b in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                for ky in 0..g.kh {
                    for kx in 0..g.kw {
                        let Some((iy, ix)) = g.src(oy, ox, ky, kx) else { continue };
                        for c in 0..g.c {
                            for o in 0..g.o {
                                dx[((b * g.h + iy) * g.w + ix) * g.c + c] += dy
                                    [((b * g.oh + oy) * g.ow + ox) * g.o + o]
                                    * f[((ky * g.kw + kx) * g.c + c) * g.o + o];
                            }
                        }
                    }
                }
            }
        }
    }
    dx
}

/// df[ky,kx,c,o] = Σ x[b, iy, ix, c] · dy[b, oy, ox, o].
fn ref_backprop_filter(x: &[f64], dy: &[f64], g: &Geom) -> Vec<f64> {
    let mut df = vec![0.0; g.kh * g.kw * g.c * g.o];
    for b in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                for ky in 0..g.kh {
                    for kx in 0..g.kw {
                        let Some((iy, ix)) = g.src(oy, ox, ky, kx) else { continue };
                        for c in 0..g.c {
                            for o in 0..g.o {
                                df[((ky * g.kw + kx) * g.c + c) * g.o + o] += x[((b * g.h + iy) * g.w + ix) * g.c + c]
                                    * dy[((b * g.oh + oy) * g.ow + ox) * g.o + o];
                            }
                        }
                    }
                }
            }
        }
    }
    df
}

/// Max or mean of each window over its in-image elements.
fn ref_pool(x: &[f64], g: &Geom, max: bool) -> Vec<f64> {
    let mut y = vec![0.0; g.n * g.oh * g.ow * g.c];
    for b in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                for c in 0..g.c {
                    let mut vals = Vec::new();
                    for ky in 0..g.kh {
                        for kx in 0..g.kw {
                            if let Some((iy, ix)) = g.src(oy, ox, ky, kx) {
                                vals.push(x[((b * g.h + iy) * g.w + ix) * g.c + c]);
                            }
                        }
                    }
                    y[((b * g.oh + oy) * g.ow + ox) * g.c + c] = if max {
                        vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                    } else {
                        vals.iter().sum::<f64>() / vals.len() as f64
                    };
                }
            }
        }
    }
    y
}

fn f32_tensor(t: &Tensor) -> Tensor {
    Tensor::from_vec(t.to_f64_vec().iter().map(|&v| v as f32).collect(), t.shape()).unwrap()
}

// ---------- convolution ----------

struct ConvCase {
    x: [usize; 4],
    f: [usize; 4],
    s: [usize; 2],
    p: Padding,
    d: [usize; 2],
}

fn conv_cases() -> Vec<ConvCase> {
    let c = |x, f, s, p: Padding, d| ConvCase { x, f, s, p, d };
    vec![
        c([2, 5, 5, 3], [3, 3, 3, 4], [1, 1], "SAME".into(), [1, 1]),
        c([2, 6, 6, 2], [3, 3, 2, 3], [2, 2], "SAME".into(), [1, 1]),
        c([1, 8, 7, 2], [3, 2, 2, 2], [2, 3], "VALID".into(), [1, 1]),
        c([1, 9, 8, 3], [3, 3, 3, 2], [1, 1], "SAME".into(), [2, 2]),
        c([2, 9, 8, 1], [2, 3, 1, 2], [1, 1], "VALID".into(), [3, 2]),
        c([1, 5, 6, 2], [3, 3, 2, 2], [2, 1], [[2, 1], [0, 3]].into(), [1, 1]),
        c([3, 4, 4, 5], [1, 1, 5, 3], [1, 1], "SAME".into(), [1, 1]),
        c([1, 4, 4, 5], [1, 1, 5, 3], [2, 2], "VALID".into(), [1, 1]),
        // Big enough to split over the batch on the thread pool, and one image big enough to
        // parallelize inside the matrix product.
        c([8, 16, 16, 8], [3, 3, 8, 16], [1, 1], "SAME".into(), [1, 1]),
        c([1, 40, 40, 8], [3, 3, 8, 16], [1, 1], "SAME".into(), [1, 1]),
        // Wide filters: the im2col matrix is processed in several row tiles (the last partial).
        c([2, 24, 24, 64], [3, 3, 64, 4], [1, 1], "SAME".into(), [1, 1]),
    ]
}

#[test]
fn conv2d_matches_direct_convolution() -> Result<()> {
    for (k, case) in conv_cases().into_iter().enumerate() {
        let x = test_tensor(&case.x, 1000 + k as u64, -1.0, 1.0);
        let f = test_tensor(&case.f, 2000 + k as u64, -1.0, 1.0);
        let g = Geom::new(&case.x, &case.f, case.s, &case.p, case.d);
        let want = ref_conv2d(&x.to_f64_vec(), &f.to_f64_vec(), &g);
        let y = nn::conv2d(&x, &f, &case.s, case.p.clone(), &case.d)?;
        assert_eq!(y.shape(), &[g.n, g.oh, g.ow, g.o], "case {k}");
        assert_close(&y.to_f64_vec(), &want, 1e-12, 1e-12);
        let y32 = nn::conv2d(&f32_tensor(&x), &f32_tensor(&f), &case.s, case.p.clone(), &case.d)?;
        assert_eq!(y32.dtype(), DType::F32);
        assert_close(&y32.to_f64_vec(), &want, 1e-4, 1e-4);
    }
    Ok(())
}

#[test]
fn conv2d_backprop_ops_match_direct_loops() -> Result<()> {
    for (k, case) in conv_cases().into_iter().enumerate() {
        let g = Geom::new(&case.x, &case.f, case.s, &case.p, case.d);
        let x = test_tensor(&case.x, 3000 + k as u64, -1.0, 1.0);
        let f = test_tensor(&case.f, 4000 + k as u64, -1.0, 1.0);
        let dy = test_tensor(&[g.n, g.oh, g.ow, g.o], 5000 + k as u64, -1.0, 1.0);
        let dx = nn::conv2d_backprop_input(&case.x, &f, &dy, &case.s, case.p.clone(), &case.d)?;
        assert_eq!(dx.shape(), &case.x);
        assert_close(&dx.to_f64_vec(), &ref_backprop_input(&f.to_f64_vec(), &dy.to_f64_vec(), &g), 1e-12, 1e-12);
        let df = nn::conv2d_backprop_filter(&x, &case.f, &dy, &case.s, case.p.clone(), &case.d)?;
        assert_eq!(df.shape(), &case.f);
        assert_close(&df.to_f64_vec(), &ref_backprop_filter(&x.to_f64_vec(), &dy.to_f64_vec(), &g), 1e-12, 1e-12);
    }
    Ok(())
}

#[test]
fn conv2d_gradients_are_the_backprop_ops() -> Result<()> {
    let case = &conv_cases()[1];
    let g = Geom::new(&case.x, &case.f, case.s, &case.p, case.d);
    let x = test_tensor(&case.x, 11, -1.0, 1.0);
    let f = test_tensor(&case.f, 12, -1.0, 1.0);
    let dy = test_tensor(&[g.n, g.oh, g.ow, g.o], 13, -1.0, 1.0);
    let tape = GradientTape::new();
    let y = tape.scope(|t| {
        t.watch(&x);
        t.watch(&f);
        nn::conv2d(&x, &f, &case.s, case.p.clone(), &case.d)
    })??;
    let grads = tape.gradient_with(&y, &[&x, &f], Some(&dy), Default::default())?;
    let (gx, gf) = (grads[0].as_ref().unwrap(), grads[1].as_ref().unwrap());
    assert_close(&gx.to_f64_vec(), &ref_backprop_input(&f.to_f64_vec(), &dy.to_f64_vec(), &g), 1e-12, 1e-12);
    assert_close(&gf.to_f64_vec(), &ref_backprop_filter(&x.to_f64_vec(), &dy.to_f64_vec(), &g), 1e-12, 1e-12);
    Ok(())
}

#[test]
fn conv2d_hand_computed() -> Result<()> {
    // 1x3x3x1 image 1..9, 2x2 filter of ones, SAME, stride 1: pad 0 before, 1 after.
    let x = Tensor::from_vec((1..=9).map(|v| v as f32).collect(), &[1, 3, 3, 1])?;
    let f = Tensor::from_vec(vec![1.0f32; 4], &[2, 2, 1, 1])?;
    let y = nn::conv2d(&x, &f, &[1], "SAME", &[])?;
    assert_eq!(y.shape(), &[1, 3, 3, 1]);
    assert_eq!(y.to_vec::<f32>()?, vec![12.0, 16.0, 9.0, 24.0, 28.0, 15.0, 15.0, 17.0, 9.0]);
    let y = nn::conv2d(&x, &f, &[1, 1, 1, 1], "VALID", &[1, 1, 1, 1])?;
    assert_eq!(y.to_vec::<f32>()?, vec![12.0, 16.0, 24.0, 28.0]);
    // Dilation 2 picks the four corners.
    let y = nn::conv2d(&x, &f, &[1], "VALID", &[2])?;
    assert_eq!(y.to_vec::<f32>()?, vec![20.0]);
    Ok(())
}

#[test]
fn conv1d_matches_direct_convolution() -> Result<()> {
    let x = test_tensor(&[2, 11, 3], 21, -1.0, 1.0);
    let f = test_tensor(&[3, 3, 4], 22, -1.0, 1.0);
    for (stride, padding, dilation) in
        [(1, Padding::from("SAME"), 1), (2, "VALID".into(), 1), (1, "SAME".into(), 2), (3, vec![[2, 1]].into(), 1)]
    {
        let explicit = match &padding {
            Padding::Explicit(p) => Padding::Explicit(vec![[0, 0], p[0]]),
            p => p.clone(),
        };
        let g = Geom::new(&[2, 1, 11, 3], &[1, 3, 3, 4], [1, stride], &explicit, [1, dilation]);
        let want = ref_conv2d(&x.to_f64_vec(), &f.to_f64_vec(), &g);
        let y = nn::conv1d(&x, &f, stride, padding, dilation)?;
        assert_eq!(y.shape(), &[2, g.ow, 4]);
        assert_close(&y.to_f64_vec(), &want, 1e-12, 1e-12);
    }
    Ok(())
}

/// Σ(∂L/∂f)² for L = Σ conv2d(x, f)·w, and its gradient with respect to `x` (a second-order
/// gradient through `conv2d_backprop_filter`).
fn filter_grad_norm(x: &Tensor, f: &Tensor, w: &Tensor) -> Result<(f64, Option<Tensor>)> {
    use tensile::ops::{math, reduce};
    let outer = GradientTape::new();
    let x = x.fresh();
    let obj = outer.scope(|o| -> Result<Tensor> {
        o.watch(&x);
        let inner = GradientTape::new();
        let f = f.fresh();
        let l = inner.scope(|t| -> Result<Tensor> {
            t.watch(&f);
            let y = nn::conv2d(&x, &f, &[2], "SAME", &[])?;
            reduce::reduce_sum(&math::mul(&y, w)?, None, false)
        })??;
        let gf = inner.gradient(&l, &[&f])?.remove(0).expect("connected");
        reduce::reduce_sum(&math::mul(&gf, &gf)?, None, false)
    })??;
    let g = outer.gradient(&obj, &[&x])?.remove(0);
    Ok((obj.item::<f64>()?, g))
}

#[test]
fn conv2d_second_order_gradient_matches_finite_differences() -> Result<()> {
    let x = test_tensor(&[1, 4, 4, 2], 31, -1.0, 1.0);
    let f = test_tensor(&[2, 2, 2, 1], 32, -1.0, 1.0);
    let w = test_tensor(&[1, 2, 2, 1], 33, -1.0, 1.0);
    let analytic = filter_grad_norm(&x, &f, &w)?.1.expect("connected").to_f64_vec();
    let xv = x.to_f64_vec();
    for i in 0..xv.len() {
        let (mut p, mut m) = (xv.clone(), xv.clone());
        p[i] += 1e-6;
        m[i] -= 1e-6;
        let fp = filter_grad_norm(&Tensor::from_vec(p, x.shape())?, &f, &w)?.0;
        let fm = filter_grad_norm(&Tensor::from_vec(m, x.shape())?, &f, &w)?.0;
        let num = (fp - fm) / 2e-6;
        assert!((num - analytic[i]).abs() < 1e-6, "element {i}: {num} vs {}", analytic[i]);
    }
    Ok(())
}

// ---------- pooling ----------

#[test]
fn pooling_hand_computed() -> Result<()> {
    // 3x3 image 1..9, 2x2 windows, stride 2, SAME: pad 0 before and 1 after.
    let x = Tensor::from_vec((1..=9).map(|v| v as f32).collect(), &[1, 3, 3, 1])?;
    let avg = nn::avg_pool2d(&x, &[2], &[2], "SAME")?;
    assert_eq!(avg.shape(), &[1, 2, 2, 1]);
    // Averages over valid elements only: (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9.
    assert_eq!(avg.to_vec::<f32>()?, vec![3.0, 4.5, 7.5, 9.0]);
    let max = nn::max_pool2d(&x, &[2, 2], &[2, 2], "SAME")?;
    assert_eq!(max.to_vec::<f32>()?, vec![5.0, 6.0, 8.0, 9.0]);
    let max = nn::max_pool2d(&x, &[1, 2, 2, 1], &[1, 1, 1, 1], "VALID")?;
    assert_eq!(max.to_vec::<f32>()?, vec![5.0, 6.0, 8.0, 9.0]);
    let avg = nn::avg_pool2d(&x, &[3], &[1], "VALID")?;
    assert_eq!(avg.to_vec::<f32>()?, vec![5.0]);
    // Gradients: max routes to the maxima, avg spreads over valid elements.
    let dy = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 2, 2, 1])?;
    let dx = nn::max_pool2d_grad(&x, &dy, &[2], &[2], "SAME")?;
    assert_eq!(dx.to_vec::<f32>()?, vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 4.0]);
    let dx = nn::avg_pool2d_grad(&[1, 3, 3, 1], &dy, &[2], &[2], "SAME")?;
    assert_eq!(dx.to_vec::<f32>()?, vec![0.25, 0.25, 1.0, 0.25, 0.25, 1.0, 1.5, 1.5, 4.0]);
    let gg = Tensor::from_vec((1..=9).map(|v| -(v as f32)).collect(), &[1, 3, 3, 1])?;
    let sel = nn::max_pool2d_grad_grad(&x, &gg, &[2], &[2], "SAME")?;
    assert_eq!(sel.to_vec::<f32>()?, vec![-5.0, -6.0, -8.0, -9.0]);
    Ok(())
}

#[test]
fn max_pool_ties_go_to_the_first_maximum() -> Result<()> {
    let x = Tensor::from_vec(vec![1.0f64, 3.0, 3.0, 3.0], &[1, 2, 2, 1])?;
    let dx = nn::max_pool2d_grad(&x, &Tensor::from_vec(vec![1.0f64], &[1, 1, 1, 1])?, &[2], &[2], "VALID")?;
    assert_eq!(dx.to_vec::<f64>()?, vec![0.0, 1.0, 0.0, 0.0]);
    Ok(())
}

/// Input shape, window, strides, padding.
type PoolCase = ([usize; 4], [usize; 2], [usize; 2], Padding);

#[test]
fn pooling_matches_direct_loops() -> Result<()> {
    let cases: Vec<PoolCase> = vec![
        ([2, 7, 6, 3], [3, 3], [2, 2], "SAME".into()),
        ([2, 8, 8, 2], [2, 2], [2, 2], "VALID".into()),
        ([1, 7, 9, 2], [3, 2], [1, 3], "SAME".into()),
        ([1, 9, 7, 1], [2, 4], [3, 1], "VALID".into()),
        ([4, 32, 32, 16], [3, 3], [2, 2], "SAME".into()),
    ];
    for (k, (xs, ks, s, p)) in cases.into_iter().enumerate() {
        let x = test_tensor(&xs, 600 + k as u64, -1.0, 1.0);
        let g = Geom::new(&xs, &[ks[0], ks[1], xs[3], xs[3]], s, &p, [1, 1]);
        let xv = x.to_f64_vec();
        let y = nn::max_pool2d(&x, &ks, &s, p.clone())?;
        assert_eq!(y.shape(), &[g.n, g.oh, g.ow, g.c]);
        assert_close(&y.to_f64_vec(), &ref_pool(&xv, &g, true), 0.0, 0.0);
        let y = nn::avg_pool2d(&x, &ks, &s, p.clone())?;
        assert_close(&y.to_f64_vec(), &ref_pool(&xv, &g, false), 1e-12, 1e-12);
        let y32 = nn::avg_pool2d(&f32_tensor(&x), &ks, &s, p.clone())?;
        assert_close(&y32.to_f64_vec(), &ref_pool(&xv, &g, false), 1e-5, 1e-5);
    }
    // Explicit padding (max pooling only): padded positions never win.
    let x = test_tensor(&[1, 4, 5, 2], 650, -2.0, -1.0);
    let p: Padding = [[1, 2], [2, 0]].into();
    let g = Geom::new(&[1, 4, 5, 2], &[3, 3, 2, 2], [2, 2], &p, [1, 1]);
    let y = nn::max_pool2d(&x, &[3], &[2], p)?;
    assert_close(&y.to_f64_vec(), &ref_pool(&x.to_f64_vec(), &g, true), 0.0, 0.0);
    assert!(y.to_f64_vec().iter().all(|&v| v < -1.0));
    Ok(())
}

// ---------- softmax, bias_add ----------

#[test]
fn softmax_values() -> Result<()> {
    let x = Tensor::from([[1.0f64, 2.0, 3.0], [0.0, 0.0, 0.0]]);
    let s: f64 = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).sum();
    let want = vec![1f64.exp() / s, 2f64.exp() / s, 3f64.exp() / s, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0];
    assert_close(&nn::softmax(&x, -1)?.to_f64_vec(), &want, 1e-15, 0.0);
    let ls: Vec<f64> = want.iter().map(|v| v.ln()).collect();
    assert_close(&nn::log_softmax(&x, 1)?.to_f64_vec(), &ls, 1e-14, 1e-15);
    // Along axis 0: each column of [[a], [b]] → [σ(a-b), σ(b-a)].
    let y = nn::softmax(&x, 0)?.to_f64_vec();
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    assert_close(&y, &[sig(1.0), sig(2.0), sig(3.0), sig(-1.0), sig(-2.0), sig(-3.0)], 1e-15, 0.0);
    Ok(())
}

#[test]
fn softmax_is_numerically_stable() -> Result<()> {
    let x = Tensor::from([1000.0f32, 1001.0, -1000.0]);
    let y = nn::softmax(&x, -1)?.to_f64_vec();
    let e = std::f64::consts::E;
    assert_close(&y, &[1.0 / (1.0 + e), e / (1.0 + e), 0.0], 1e-6, 1e-30);
    let l = nn::log_softmax(&Tensor::from([1000.0f64, 1000.0]), -1)?.to_f64_vec();
    assert_close(&l, &[-std::f64::consts::LN_2; 2], 1e-15, 0.0);
    let l = nn::log_softmax(&Tensor::from([[-1000.0f64], [0.0]]), 0)?.to_f64_vec();
    assert_close(&l, &[-1000.0, 0.0], 1e-15, 0.0);
    // Large inputs on the parallel path and on an inner axis.
    let big = test_tensor(&[64, 3, 300], 7, -50.0, 50.0);
    for axis in [0, 1, 2] {
        let y = nn::softmax(&big, axis)?;
        let sums = tensile::ops::reduce::reduce_sum(&y, Some(&[axis]), false)?.to_f64_vec();
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-12), "axis {axis}");
    }
    Ok(())
}

#[test]
fn bias_add_values() -> Result<()> {
    let x = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let b = Tensor::from([10.0f32, 20.0, 30.0]);
    assert_eq!(nn::bias_add(&x, &b)?.to_vec::<f32>()?, vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    let xi = Tensor::from([[i32::MAX, 0]]);
    assert_eq!(nn::bias_add(&xi, &Tensor::from([1i32, -1]))?.to_vec::<i32>()?, vec![i32::MIN, -1]);
    let tape = GradientTape::new();
    let (x, b) = (Tensor::from([[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]]), Tensor::from([0.5f64, 0.25]));
    let y = tape.scope(|t| {
        t.watch(&b);
        nn::bias_add(&x, &b)
    })??;
    let g = tape.gradient(&y, &[&b])?;
    assert_eq!(g[0].as_ref().unwrap().to_vec::<f64>()?, vec![3.0, 3.0]);
    Ok(())
}

// ---------- errors ----------

fn err_text<T: std::fmt::Debug>(r: Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn conv_errors_name_shapes_and_expectations() {
    let x = Tensor::from_vec(vec![0.0f32; 2 * 5 * 5 * 3], &[2, 5, 5, 3]).unwrap();
    let f = Tensor::from_vec(vec![0.0f32; 3 * 3 * 4 * 8], &[3, 3, 4, 8]).unwrap();
    let e = err_text(nn::conv2d(&x, &f, &[1], "SAME", &[]));
    assert!(e.contains("conv2d") && e.contains("[2, 5, 5, 3]") && e.contains("[3, 3, 4, 8]"), "{e}");
    assert!(e.contains("in_channels"), "{e}");

    let f = Tensor::from_vec(vec![0.0f32; 3 * 3 * 3 * 8], &[3, 3, 3, 8]).unwrap();
    let e = err_text(nn::conv2d(&x, &f, &[1], "FULL", &[]));
    assert!(e.contains("conv2d") && e.contains("\"FULL\"") && e.contains("SAME"), "{e}");

    let x3 = Tensor::from_vec(vec![0.0f32; 25], &[1, 5, 5]).unwrap();
    let e = err_text(nn::conv2d(&x3, &f, &[1], "SAME", &[]));
    assert!(e.contains("rank-4") && e.contains("float32[1, 5, 5]"), "{e}");
    let e = err_text(nn::conv2d(&x, &x3, &[1], "SAME", &[]));
    assert!(e.contains("filter") && e.contains("HWIO"), "{e}");

    let x64 = Tensor::from_vec(vec![0.0f64; 2 * 5 * 5 * 3], &[2, 5, 5, 3]).unwrap();
    let e = err_text(nn::conv2d(&x64, &f, &[1], "SAME", &[]));
    assert!(e.contains("float64") && e.contains("float32"), "{e}");
    let xi = Tensor::from_vec(vec![0i32; 2 * 5 * 5 * 3], &[2, 5, 5, 3]).unwrap();
    let e = err_text(nn::conv2d(&xi, &f, &[1], "SAME", &[]));
    assert!(e.contains("int32") && e.contains("float32, float64"), "{e}");

    let e = err_text(nn::conv2d(&x, &f, &[0], "SAME", &[]));
    assert!(e.contains("strides") && e.contains("positive"), "{e}");
    let e = err_text(nn::conv2d(&x, &f, &[1, 1, 1], "SAME", &[]));
    assert!(e.contains("strides") && e.contains("1, 2 or 4"), "{e}");
    let e = err_text(nn::conv2d(&x, &f, &[2, 1, 1, 1], "SAME", &[]));
    assert!(e.contains("batch and depth"), "{e}");
    let big = Tensor::from_vec(vec![0.0f32; 7 * 7 * 3], &[7, 7, 3, 1]).unwrap();
    let e = err_text(nn::conv2d(&x, &big, &[1], "VALID", &[]));
    assert!(e.contains("negative") && e.contains("height"), "{e}");
    let e = err_text(nn::conv2d(&x, &f, &[1], vec![[1, 1]], &[]));
    assert!(e.contains("explicit padding"), "{e}");

    // Absurd window parameters are errors, not overflows.
    let e = err_text(nn::conv2d(&x, &f, &[usize::MAX], "SAME", &[]));
    assert!(e.contains("strides") && e.contains("positive"), "{e}");
    let e = err_text(nn::conv2d(&x, &f, &[1], "SAME", &[1 << 40]));
    assert!(e.contains("dilations"), "{e}");
    let e = err_text(nn::conv2d(&x, &f, &[1], vec![[1 << 40, 0], [0, 0]], &[]));
    assert!(e.contains("explicit padding"), "{e}");
    let one = Tensor::from_vec(vec![0.0f32; 8], &[1, 1, 1, 8]).unwrap();
    let e = nn::conv2d_backprop_input(&[1, 1 << 30, 1 << 30, 3], &f, &one, &[1 << 30], "SAME", &[]).unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::ResourceExhausted, "{e}");
    assert!(e.to_string().contains("conv2d_backprop_input"), "{e}");

    let dy = Tensor::from_vec(vec![0.0f32; 2 * 4 * 4 * 8], &[2, 4, 4, 8]).unwrap();
    let e = err_text(nn::conv2d_backprop_input(&[2, 5, 5, 3], &f, &dy, &[1], "SAME", &[]));
    assert!(e.contains("conv2d_backprop_input") && e.contains("[2, 4, 4, 8]") && e.contains("[2, 5, 5, 8]"), "{e}");
    let e = err_text(nn::conv2d_backprop_filter(&x, &[3, 3, 3], &dy, &[1], "SAME", &[]));
    assert!(e.contains("filter_sizes"), "{e}");

    let e = err_text(nn::conv1d(&x, &f, 1, "SAME", 1));
    assert!(e.contains("conv1d") && e.contains("rank-3"), "{e}");
    let x1 = Tensor::from_vec(vec![0.0f32; 10], &[1, 5, 2]).unwrap();
    let f1 = Tensor::from_vec(vec![0.0f32; 9], &[3, 3, 1]).unwrap();
    let e = err_text(nn::conv1d(&x1, &f1, 1, "SAME", 1));
    assert!(e.contains("conv1d") && e.contains("[1, 5, 2]") && e.contains("[3, 3, 1]"), "{e}");
}

#[test]
fn pool_softmax_and_bias_errors() {
    let x = Tensor::from_vec(vec![0.0f32; 16], &[1, 4, 4, 1]).unwrap();
    let e = err_text(nn::max_pool2d(&x, &[2], &[2], "same-ish"));
    assert!(e.contains("max_pool2d") && e.contains("same-ish"), "{e}");
    let e = err_text(nn::avg_pool2d(&Tensor::from([1.0f32, 2.0]), &[2], &[2], "SAME"));
    assert!(e.contains("avg_pool2d") && e.contains("rank-4") && e.contains("float32[2]"), "{e}");
    let e = err_text(nn::avg_pool2d(&x, &[2], &[2], [[1, 1], [1, 1]]));
    assert!(e.contains("explicit"), "{e}");
    let e = err_text(nn::max_pool2d(&x, &[2], &[2], [[2, 0], [0, 0]]));
    assert!(e.contains("smaller than the window"), "{e}");
    let e = err_text(nn::max_pool2d(&x, &[6], &[1], "VALID"));
    assert!(e.contains("negative") && e.contains("height 4"), "{e}");
    // TensorFlow's arithmetic gives (4 - 5 + 1) / 1 = 0 outputs here rather than an error.
    assert_eq!(nn::max_pool2d(&x, &[5], &[1], "VALID").unwrap().shape(), &[1, 0, 0, 1]);
    let dy = Tensor::from_vec(vec![0.0f32; 9], &[1, 3, 3, 1]).unwrap();
    let e = err_text(nn::max_pool2d_grad(&x, &dy, &[2], &[2], "SAME"));
    assert!(e.contains("[1, 3, 3, 1]") && e.contains("[1, 2, 2, 1]"), "{e}");

    let e = err_text(nn::softmax(&Tensor::from([1.0f32, 2.0]), 1));
    assert!(e.contains("softmax") && e.contains("axis 1"), "{e}");
    let e = err_text(nn::softmax(&Tensor::from([1i32, 2]), 0));
    assert!(e.contains("softmax") && e.contains("int32"), "{e}");
    let e = err_text(nn::log_softmax(&Tensor::from(1.0f32), -1));
    assert!(e.contains("log_softmax") && e.contains("scalar"), "{e}");

    let e = err_text(nn::bias_add(&Tensor::from([[1.0f32, 2.0]]), &Tensor::from([1.0f32, 2.0, 3.0])));
    assert!(e.contains("bias_add") && e.contains("[3]") && e.contains("[1, 2]"), "{e}");
    let e = err_text(nn::bias_add(&Tensor::from([1.0f32, 2.0]), &Tensor::from([1.0f32, 2.0])));
    assert!(e.contains("rank at least 2"), "{e}");
}

// ---------- losses ----------

#[test]
fn sparse_softmax_cross_entropy_values() -> Result<()> {
    // TensorFlow's documented example.
    let logits = Tensor::from([[2.0f32, -5.0, 0.5, -0.1], [0.0, 0.0, 1.9, 1.4], [-100.0, 100.0, -100.0, -100.0]]);
    let loss = nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from([0i32, 3, 1]), &logits)?;
    assert_eq!(loss.shape(), &[3]);
    assert_close(&loss.to_f64_vec(), &[0.29750752, 1.1448325, 0.0], 1e-6, 1e-7);
    // By hand: ln(e + e² + e³) - x[label].
    let x = Tensor::from([[1.0f64, 2.0, 3.0], [1.0, 2.0, 3.0]]);
    let lse = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
    let loss = nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from([2i64, 0]), &x)?;
    assert_close(&loss.to_f64_vec(), &[lse - 3.0, lse - 1.0], 1e-15, 0.0);
    // Huge logits stay finite; a scalar label with a vector of logits gives a scalar.
    let loss = nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from(1i32), &Tensor::from([1e4f64, 0.0]))?;
    assert_eq!(loss.shape(), &[] as &[usize]);
    assert_close(&loss.to_f64_vec(), &[1e4], 1e-15, 0.0);
    Ok(())
}

#[test]
fn softmax_cross_entropy_values() -> Result<()> {
    // TensorFlow's documented example.
    let logits = Tensor::from([[4.0f32, 2.0, 1.0], [0.0, 5.0, 1.0]]);
    let labels = Tensor::from([[1.0f32, 0.0, 0.0], [0.0, 0.8, 0.2]]);
    let loss = nn::softmax_cross_entropy_with_logits(&labels, &logits, -1)?;
    assert_close(&loss.to_f64_vec(), &[0.16984604, 0.82474494], 1e-6, 0.0);
    // The same along axis 0 of the transposed tensors; by hand: ln(1 + e⁻² + e⁻³) and
    // 0.8·(lse - 5) + 0.2·(lse - 1) with lse = ln(1 + e⁵ + e).
    let lt = Tensor::from([[4.0f64, 0.0], [2.0, 5.0], [1.0, 1.0]]);
    let zt = Tensor::from([[1.0f64, 0.0], [0.0, 0.8], [0.0, 0.2]]);
    let loss = nn::softmax_cross_entropy_with_logits(&zt, &lt, 0)?;
    assert_eq!(loss.shape(), &[2]);
    assert_close(&loss.to_f64_vec(), &[0.16984601955628567, 0.8247448901388224], 1e-12, 0.0);
    // -inf logits with zero labels contribute nothing (not NaN).
    let loss = nn::softmax_cross_entropy_with_logits(
        &Tensor::from([0.0f64, 1.0]),
        &Tensor::from([f64::NEG_INFINITY, 3.0]),
        -1,
    )?;
    assert_eq!(loss.to_f64_vec(), vec![0.0]);
    Ok(())
}

#[test]
fn sigmoid_cross_entropy_values() -> Result<()> {
    // TensorFlow's documented example.
    let logits = Tensor::from([1.0f32, -1.0, 0.0, 1.0, -1.0, 0.0, 0.0]);
    let labels = Tensor::from([0.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 0.5]);
    let loss = nn::sigmoid_cross_entropy_with_logits(&labels, &logits)?;
    let ln2 = std::f64::consts::LN_2;
    let want = [1.3132617, 0.3132617, ln2, 0.3132617, 1.3132617, ln2, ln2];
    assert_close(&loss.to_f64_vec(), &want, 1e-6, 0.0);
    // The stable form never overflows.
    let loss =
        nn::sigmoid_cross_entropy_with_logits(&Tensor::from([0.0f32, 1.0]), &Tensor::from([1000.0f32, -1000.0]))?;
    assert_eq!(loss.to_vec::<f32>()?, vec![1000.0, 1000.0]);
    Ok(())
}

#[test]
fn sparse_xent_gradient_is_softmax_minus_one_hot() -> Result<()> {
    let logits = test_tensor(&[2, 3], 71, -1.0, 1.0);
    let labels = Tensor::from([1i32, 2]);
    let tape = GradientTape::new();
    let loss = tape.scope(|t| {
        t.watch(&logits);
        nn::sparse_softmax_cross_entropy_with_logits(&labels, &logits)
    })??;
    let g = tape.gradient(&loss, &[&logits])?.remove(0).unwrap().to_f64_vec();
    let p = nn::softmax(&logits, -1)?.to_f64_vec();
    let want: Vec<f64> = (0..6).map(|i| p[i] - if i == 1 || i == 5 { 1.0 } else { 0.0 }).collect();
    assert_close(&g, &want, 1e-15, 1e-15);
    Ok(())
}

/// `Σ v · ∂/∂logits Σ sparse_xent(labels, logits)` and its gradient with respect to `logits`.
fn sparse_xent_directional(labels: &Tensor, logits: &Tensor, v: &Tensor) -> Result<(f64, Tensor)> {
    use tensile::ops::{math, reduce};
    let logits = logits.fresh();
    let outer = GradientTape::new();
    let obj = outer.scope(|o| -> Result<Tensor> {
        o.watch(&logits);
        let inner = GradientTape::new();
        let l = inner.scope(|t| -> Result<Tensor> {
            t.watch(&logits);
            reduce::reduce_sum(&nn::sparse_softmax_cross_entropy_with_logits(labels, &logits)?, None, false)
        })??;
        let g = inner.gradient(&l, &[&logits])?.remove(0).expect("connected");
        reduce::reduce_sum(&math::mul(&g, v)?, None, false)
    })??;
    let h = outer.gradient(&obj, &[&logits])?.remove(0).expect("connected");
    Ok((obj.item::<f64>()?, h))
}

#[test]
fn sparse_xent_second_derivative_matches_finite_differences() -> Result<()> {
    let labels = Tensor::from([0i32, 2, 1]);
    let logits = test_tensor(&[3, 4], 81, -2.0, 2.0);
    let v = test_tensor(&[3, 4], 82, -1.0, 1.0);
    let (_, hv) = sparse_xent_directional(&labels, &logits, &v)?;
    let hv = hv.to_f64_vec();
    let base = logits.to_f64_vec();
    for i in 0..base.len() {
        let (mut p, mut m) = (base.clone(), base.clone());
        p[i] += 1e-6;
        m[i] -= 1e-6;
        let fp = sparse_xent_directional(&labels, &Tensor::from_vec(p, logits.shape())?, &v)?.0;
        let fm = sparse_xent_directional(&labels, &Tensor::from_vec(m, logits.shape())?, &v)?.0;
        let num = (fp - fm) / 2e-6;
        assert!((num - hv[i]).abs() < 1e-7, "element {i}: finite difference {num}, tape {}", hv[i]);
    }
    // The Hessian of softmax cross entropy is diag(p) - p pᵀ per row: check one row exactly.
    let p = nn::softmax(&logits, -1)?.to_f64_vec();
    let vv = v.to_f64_vec();
    let pv: f64 = (0..4).map(|j| p[j] * vv[j]).sum();
    let want: Vec<f64> = (0..4).map(|j| p[j] * vv[j] - p[j] * pv).collect();
    assert_close(&hv[..4], &want, 1e-12, 1e-14);
    Ok(())
}

#[test]
fn loss_errors_name_the_problem() {
    let logits = Tensor::from([[0.0f32, 1.0, 2.0], [1.0, 1.0, 1.0]]);
    let e = err_text(nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from([0i32, 3]), &logits));
    assert!(
        e.contains("sparse_softmax_cross_entropy_with_logits") && e.contains("labels[1] = 3") && e.contains("[0, 3)"),
        "{e}"
    );
    let e = err_text(nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from([-1i64, 0]), &logits));
    assert!(e.contains("labels[0] = -1"), "{e}");
    let e = err_text(nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from([0i32, 1, 2]), &logits));
    assert!(e.contains("[3]") && e.contains("[2, 3]") && e.contains("[2]"), "{e}");
    let e = err_text(nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from([0.0f32, 1.0]), &logits));
    assert!(e.contains("float32") && e.contains("int32, int64"), "{e}");
    let e = err_text(nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from([0i32, 1]), &Tensor::from([[1i32]])));
    assert!(e.contains("int32") && e.contains("float32, float64"), "{e}");

    let e = err_text(nn::softmax_cross_entropy_with_logits(&Tensor::from([[1.0f32, 0.0]]), &logits, -1));
    assert!(e.contains("same shape") && e.contains("float32[1, 2]") && e.contains("float32[2, 3]"), "{e}");
    let e = err_text(nn::softmax_cross_entropy_with_logits(&logits, &logits, 2));
    assert!(e.contains("axis 2"), "{e}");
    let e = err_text(nn::sigmoid_cross_entropy_with_logits(&Tensor::from([1.0f64]), &Tensor::from([1.0f32])));
    assert!(e.contains("sigmoid_cross_entropy_with_logits") && e.contains("float64") && e.contains("float32"), "{e}");
    let e = err_text(nn::sigmoid_cross_entropy_with_logits(&Tensor::from([1.0f32]), &Tensor::from([1.0f32, 2.0])));
    assert!(e.contains("same shape") && e.contains("[1]") && e.contains("[2]"), "{e}");
}

#[test]
fn empty_tensors_give_empty_or_zero_results() -> Result<()> {
    let z = |shape: &[usize]| Tensor::from_vec(vec![0.0f32; shape.iter().product()], shape).unwrap();
    assert_eq!(nn::conv2d(&z(&[0, 5, 5, 3]), &z(&[3, 3, 3, 4]), &[1], "SAME", &[])?.shape(), &[0, 5, 5, 4]);
    // No input channels: every output is an empty sum.
    let y = nn::conv2d(&z(&[1, 3, 3, 0]), &z(&[2, 2, 0, 2]), &[1], "VALID", &[])?;
    assert_eq!((y.shape(), y.to_vec::<f32>()?), (&[1, 2, 2, 2][..], vec![0.0; 8]));
    assert_eq!(nn::conv2d(&z(&[1, 3, 3, 2]), &z(&[2, 2, 2, 0]), &[1], "SAME", &[])?.shape(), &[1, 3, 3, 0]);
    assert_eq!(nn::conv2d(&z(&[1, 0, 3, 2]), &z(&[2, 2, 2, 1]), &[1], "SAME", &[])?.shape(), &[1, 0, 3, 1]);
    let df = nn::conv2d_backprop_filter(&z(&[0, 3, 3, 2]), &[2, 2, 2, 1], &z(&[0, 3, 3, 1]), &[1], "SAME", &[])?;
    assert_eq!(df.to_vec::<f32>()?, vec![0.0; 8]);
    assert_eq!(nn::max_pool2d(&z(&[2, 4, 4, 0]), &[2], &[2], "SAME")?.shape(), &[2, 2, 2, 0]);
    assert_eq!(nn::avg_pool2d(&z(&[0, 4, 4, 3]), &[2], &[2], "VALID")?.shape(), &[0, 2, 2, 3]);
    assert_eq!(nn::softmax(&z(&[2, 0]), -1)?.shape(), &[2, 0]);
    assert_eq!(nn::log_softmax(&z(&[0, 3]), 0)?.shape(), &[0, 3]);
    let labels = Tensor::from_vec(Vec::<i32>::new(), &[0])?;
    assert_eq!(nn::sparse_softmax_cross_entropy_with_logits(&labels, &z(&[0, 3]))?.shape(), &[0]);
    let e = err_text(nn::sparse_softmax_cross_entropy_with_logits(&Tensor::from([0i32]), &z(&[1, 0])));
    assert!(e.contains("at least one class"), "{e}");
    assert_eq!(nn::softmax_cross_entropy_with_logits(&z(&[2, 0]), &z(&[2, 0]), -1)?.to_vec::<f32>()?, vec![0.0; 2]);
    Ok(())
}

/// Depthwise convolution against a direct loop: output channel `c * m + j` is input channel
/// `c` convolved with `filter[:, :, c, j]` (VALID, stride 2 vertically, dilation 1).
#[test]
fn depthwise_conv2d_matches_a_direct_loop() -> Result<()> {
    let (n, h, w, c, kh, kw, m) = (2usize, 5usize, 4usize, 3usize, 2usize, 3usize, 2usize);
    let x = test_tensor(&[n, h, w, c], 301, -1.0, 1.0);
    let f = test_tensor(&[kh, kw, c, m], 302, -1.0, 1.0);
    let y = nn::depthwise_conv2d(&x, &f, &[2, 1], "VALID", &[])?;
    let (oh, ow) = ((h - kh) / 2 + 1, w - kw + 1);
    assert_eq!(y.shape(), &[n, oh, ow, c * m]);
    let (xv, fv) = (x.to_f64_vec(), f.to_f64_vec());
    let mut want = vec![0.0; n * oh * ow * c * m];
    for b in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ch in 0..c {
                    for j in 0..m {
                        let mut s = 0.0;
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let xi = ((b * h + oy * 2 + ky) * w + ox + kx) * c + ch;
                                s += xv[xi] * fv[((ky * kw + kx) * c + ch) * m + j];
                            }
                        }
                        want[((b * oh + oy) * ow + ox) * c * m + ch * m + j] = s;
                    }
                }
            }
        }
    }
    assert_close(&y.to_f64_vec(), &want, 1e-12, 1e-12);
    let e = nn::depthwise_conv2d(&x, &test_tensor(&[2, 2, 4, 1], 303, -1.0, 1.0), &[1, 1], "SAME", &[]).unwrap_err();
    assert!(e.to_string().contains("input depth 3 does not match filter in_channels 4"), "{e}");
    Ok(())
}

/// Same shape and bit-identical values.
fn assert_same(a: &Tensor, b: &Tensor) {
    assert_eq!((a.shape(), a.to_f64_vec()), (b.shape(), b.to_f64_vec()));
}

/// Attributes of a stride-1 `SAME` window op with a sizes attribute `name` = `sizes`.
fn sizes_attrs(name: &'static str, sizes: &[i64]) -> tensile::attrs::Attrs {
    use tensile::attrs::{Attr, Attrs};
    Attrs::new()
        .with("strides", Attr::Ints(vec![1]))
        .with("padding", Attr::Str("SAME".into()))
        .with("ksize", Attr::Ints(vec![2]))
        .with(name, Attr::Ints(sizes.to_vec()))
}

#[test]
fn backward_ops_read_run_time_sizes_from_their_sizes_input() -> Result<()> {
    use tensile::ops::execute1;
    let x = f32_tensor(&test_tensor(&[2, 3, 4, 2], 7, -1.0, 1.0));
    let f = f32_tensor(&test_tensor(&[2, 2, 2, 3], 8, -1.0, 1.0));
    let dy = f32_tensor(&test_tensor(&[2, 3, 4, 3], 9, -1.0, 1.0));
    let shape_of = |t: &Tensor| Tensor::from_vec(t.shape().iter().map(|&d| d as i32).collect::<Vec<_>>(), &[4]);
    // -2 marks a size read from the sizes input; -1 the batch of the incoming gradient.
    let unknown = [-1, -2, -2, 2];
    let got = execute1(
        &nn::CONV2D_BACKPROP_INPUT,
        &[f.clone(), dy.clone(), shape_of(&x)?],
        sizes_attrs("input_sizes", &unknown),
    )?;
    assert_same(&got, &nn::conv2d_backprop_input(&[2, 3, 4, 2], &f, &dy, &[1], "SAME", &[])?);
    let got = execute1(
        &nn::CONV2D_BACKPROP_FILTER,
        &[x.clone(), dy.clone(), shape_of(&f)?],
        sizes_attrs("filter_sizes", &[-2, 2, -2, -2]),
    )?;
    assert_same(&got, &nn::conv2d_backprop_filter(&x, &[2, 2, 2, 3], &dy, &[1], "SAME", &[])?);
    let pooled = f32_tensor(&test_tensor(&[2, 3, 4, 2], 10, -1.0, 1.0));
    let got = execute1(
        &nn::AVG_POOL2D_GRAD,
        &[pooled.clone(), shape_of(&x)?],
        sizes_attrs("input_sizes", &[-2, -2, -2, -2]),
    )?;
    assert_same(&got, &nn::avg_pool2d_grad(&[2, 3, 4, 2], &pooled, &[2], &[1], "SAME")?);

    // The sizes input must agree with the sizes known already and with the incoming gradient.
    let bad = Tensor::from_vec(vec![2i32, 3, 4, 5], &[4])?;
    let e = err_text(execute1(
        &nn::CONV2D_BACKPROP_INPUT,
        &[f.clone(), dy.clone(), bad],
        sizes_attrs("input_sizes", &unknown),
    ));
    assert!(e.contains("conv2d_backprop_input") && e.contains("[2, 3, 4, 5]"), "{e}");
    let wider = Tensor::from_vec(vec![2i32, 5, 4, 2], &[4])?;
    let e = err_text(execute1(
        &nn::CONV2D_BACKPROP_INPUT,
        &[f.clone(), dy.clone(), wider],
        sizes_attrs("input_sizes", &unknown),
    ));
    assert!(e.contains("out_backprop shape [2, 3, 4, 3]") && e.contains("[2, 5, 4, 3]"), "{e}");
    let huge = Tensor::from_vec(vec![2i32, 1 << 30, 1 << 30, 2], &[4])?;
    let e = execute1(&nn::CONV2D_BACKPROP_INPUT, &[f.clone(), dy.clone(), huge], sizes_attrs("input_sizes", &unknown))
        .unwrap_err();
    assert_eq!(e.kind, tensile::ErrorKind::ResourceExhausted, "{e}");
    let e =
        err_text(execute1(&nn::CONV2D_BACKPROP_INPUT, &[f.clone(), dy.clone()], sizes_attrs("input_sizes", &unknown)));
    assert!(e.contains("input_sizes") && e.contains("-1"), "{e}");
    let e = err_text(execute1(
        &nn::CONV2D_BACKPROP_FILTER,
        &[x, dy, shape_of(&f)?],
        sizes_attrs("filter_sizes", &[-1, 2, 2, 3]),
    ));
    assert!(e.contains("filter_sizes"), "{e}");
    let e = err_text(execute1(
        &nn::AVG_POOL2D_GRAD,
        &[pooled, Tensor::from(3i32)],
        sizes_attrs("input_sizes", &[-2, 3, 4, 2]),
    ));
    assert!(e.contains("avg_pool2d_grad") && e.contains("int32 or int64 vector of 4"), "{e}");
    Ok(())
}
