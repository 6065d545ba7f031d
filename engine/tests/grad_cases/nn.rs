//! Cases for nn ops: every window op under SAME and VALID padding, strides 2, dilation 2,
//! non-square windows and explicit padding; backprop ops checked as ops in their own right.

use tensile::ops::nn;
use tensile::ops::{math, reduce};
use tensile::testing::{test_tensor, GradCase};
use tensile::{DType, GradientTape, Result, Tensor};

/// One convolution configuration: input shape, filter shape, strides, padding, dilations.
struct Conv {
    x: [usize; 4],
    f: [usize; 4],
    strides: [usize; 2],
    padding: nn::Padding,
    dilations: [usize; 2],
}

fn conv_configs() -> Vec<Conv> {
    let c = |x, f, strides, padding: nn::Padding, dilations| Conv { x, f, strides, padding, dilations };
    vec![
        c([2, 4, 5, 3], [3, 3, 3, 2], [1, 1], "SAME".into(), [1, 1]),
        c([1, 7, 6, 2], [3, 2, 2, 3], [2, 2], "VALID".into(), [1, 1]),
        // Even input with stride 2 under SAME pads more after than before.
        c([1, 6, 6, 2], [3, 3, 2, 2], [2, 2], "SAME".into(), [1, 1]),
        c([1, 7, 5, 2], [2, 3, 2, 2], [2, 1], "SAME".into(), [1, 1]),
        c([1, 6, 7, 2], [2, 3, 2, 2], [1, 1], "SAME".into(), [2, 2]),
        c([1, 7, 6, 1], [3, 2, 1, 2], [1, 1], "VALID".into(), [2, 1]),
        c([1, 4, 5, 2], [3, 3, 2, 2], [2, 1], [[1, 2], [0, 1]].into(), [1, 1]),
    ]
}

fn out_shape(c: &Conv) -> Vec<usize> {
    let x = test_tensor(&c.x, 0, -1.0, 1.0);
    let f = test_tensor(&c.f, 0, -1.0, 1.0);
    nn::conv2d(&x, &f, &c.strides, c.padding.clone(), &c.dilations).expect("valid config").shape().to_vec()
}

fn conv_cases() -> Vec<GradCase> {
    let mut v = Vec::new();
    for (k, c) in conv_configs().into_iter().enumerate() {
        let seed = 100 + 10 * k as u64;
        let y = out_shape(&c);
        let (s, p, d, xs, fs) = (c.strides, c.padding.clone(), c.dilations, c.x, c.f);
        let x = test_tensor(&c.x, seed, -1.0, 1.0);
        let f = test_tensor(&c.f, seed + 1, -1.0, 1.0);
        let dy = test_tensor(&y, seed + 2, -1.0, 1.0);
        let pp = p.clone();
        v.push(GradCase::new("conv2d", vec![x.clone(), f.clone()], move |t| {
            nn::conv2d(&t[0], &t[1], &s, pp.clone(), &d)
        }));
        let pp = p.clone();
        v.push(GradCase::new("conv2d_backprop_input", vec![f.clone(), dy.clone()], move |t| {
            nn::conv2d_backprop_input(&xs, &t[0], &t[1], &s, pp.clone(), &d)
        }));
        let pp = p.clone();
        v.push(GradCase::new("conv2d_backprop_filter", vec![x.clone(), dy.clone()], move |t| {
            nn::conv2d_backprop_filter(&t[0], &fs, &t[1], &s, pp.clone(), &d)
        }));
    }
    // conv1d is conv2d on a height-1 image.
    v.push(GradCase::new(
        "conv2d",
        vec![test_tensor(&[2, 9, 2], 190, -1.0, 1.0), test_tensor(&[3, 2, 3], 191, -1.0, 1.0)],
        |t| nn::conv1d(&t[0], &t[1], 2, "SAME", 1),
    ));
    v.push(GradCase::new(
        "conv2d",
        vec![test_tensor(&[1, 9, 2], 192, -1.0, 1.0), test_tensor(&[2, 2, 2], 193, -1.0, 1.0)],
        |t| nn::conv1d(&t[0], &t[1], 1, "VALID", 3),
    ));
    // depthwise_conv2d is conv2d with a block-diagonal filter built from the depthwise one.
    v.push(GradCase::new(
        "conv2d",
        vec![test_tensor(&[2, 5, 4, 3], 194, -1.0, 1.0), test_tensor(&[3, 2, 3, 2], 195, -1.0, 1.0)],
        |t| nn::depthwise_conv2d(&t[0], &t[1], &[2, 1], "SAME", &[]),
    ));
    v.push(GradCase::new(
        "conv2d",
        vec![test_tensor(&[1, 6, 6, 2], 196, -1.0, 1.0), test_tensor(&[2, 2, 2, 1], 197, -1.0, 1.0)],
        |t| nn::depthwise_conv2d(&t[0], &t[1], &[1, 1], "VALID", &[2, 2]),
    ));
    v
}

/// One pooling configuration: input shape, window, strides, padding.
type PoolConfig = ([usize; 4], [usize; 2], [usize; 2], nn::Padding);

fn pool_configs(explicit: bool) -> Vec<PoolConfig> {
    let mut v: Vec<PoolConfig> = vec![
        ([2, 5, 6, 3], [3, 3], [2, 2], "SAME".into()),
        ([1, 4, 6, 2], [2, 2], [2, 2], "VALID".into()),
        ([1, 6, 5, 2], [3, 2], [1, 2], "SAME".into()),
        ([1, 7, 5, 1], [2, 3], [2, 1], "VALID".into()),
    ];
    if explicit {
        v.push(([1, 4, 5, 2], [3, 3], [2, 2], [[1, 2], [2, 0]].into()));
    }
    v
}

fn pool_cases() -> Vec<GradCase> {
    let mut v = Vec::new();
    for (k, (xs, ks, s, p)) in pool_configs(true).into_iter().enumerate() {
        let seed = 300 + 10 * k as u64;
        let x = test_tensor(&xs, seed, -1.0, 1.0);
        let y = nn::max_pool2d(&x, &ks, &s, p.clone()).expect("valid config");
        let dy = test_tensor(y.shape(), seed + 1, -1.0, 1.0);
        let ggx = test_tensor(&xs, seed + 2, -1.0, 1.0);
        let pp = p.clone();
        v.push(GradCase::new("max_pool2d", vec![x.clone()], move |t| nn::max_pool2d(&t[0], &ks, &s, pp.clone())));
        let pp = p.clone();
        v.push(GradCase::new("max_pool2d_grad", vec![x.clone(), dy], move |t| {
            nn::max_pool2d_grad(&t[0], &t[1], &ks, &s, pp.clone())
        }));
        let pp = p.clone();
        v.push(GradCase::new("max_pool2d_grad_grad", vec![x, ggx], move |t| {
            nn::max_pool2d_grad_grad(&t[0], &t[1], &ks, &s, pp.clone())
        }));
    }
    for (k, (xs, ks, s, p)) in pool_configs(false).into_iter().enumerate() {
        let seed = 400 + 10 * k as u64;
        let x = test_tensor(&xs, seed, -1.0, 1.0);
        let y = nn::avg_pool2d(&x, &ks, &s, p.clone()).expect("valid config");
        let dy = test_tensor(y.shape(), seed + 1, -1.0, 1.0);
        let pp = p.clone();
        v.push(GradCase::new("avg_pool2d", vec![x], move |t| nn::avg_pool2d(&t[0], &ks, &s, pp.clone())));
        let pp = p.clone();
        v.push(GradCase::new("avg_pool2d_grad", vec![dy], move |t| {
            nn::avg_pool2d_grad(&xs, &t[0], &ks, &s, pp.clone())
        }));
    }
    v
}

fn softmax_cases() -> Vec<GradCase> {
    vec![
        GradCase::new("softmax", vec![test_tensor(&[2, 5], 21, -2.0, 2.0)], |x| nn::softmax(&x[0], -1)),
        GradCase::new("softmax", vec![test_tensor(&[3, 2, 4], 22, -2.0, 2.0)], |x| nn::softmax(&x[0], 0)),
        GradCase::new("log_softmax", vec![test_tensor(&[2, 5], 23, -2.0, 2.0)], |x| nn::log_softmax(&x[0], -1)),
        GradCase::new("log_softmax", vec![test_tensor(&[2, 3, 4], 24, -2.0, 2.0)], |x| nn::log_softmax(&x[0], 1)),
        GradCase::new(
            "bias_add",
            vec![test_tensor(&[2, 3, 4], 25, -1.0, 1.0), test_tensor(&[4], 26, -1.0, 1.0)],
            |x| nn::bias_add(&x[0], &x[1]),
        ),
    ]
}

/// ∂/∂logits of `Σ w · sparse_xent(labels, logits)` from an inner tape, so an outer tape
/// (the gradient check's) differentiates the loss's gradient: a second-order check.
fn sparse_xent_logit_grad(labels: &Tensor, logits: &Tensor) -> Result<Tensor> {
    // Weights derived from the labels' values, so a trace with unknown shapes can form them.
    let w = math::add(&math::mul(&math::cast(labels, DType::F64)?, &Tensor::from(0.25f64))?, &Tensor::from(0.5f64))?;
    let inner = GradientTape::new();
    let l = inner.scope(|t| -> Result<Tensor> {
        t.watch(logits);
        let loss = nn::sparse_softmax_cross_entropy_with_logits(labels, logits)?;
        reduce::reduce_sum(&math::mul(&loss, &w)?, None, false)
    })??;
    Ok(inner.gradient(&l, &[logits])?.remove(0).expect("connected"))
}

fn loss_cases() -> Vec<GradCase> {
    let labels = Tensor::from(vec![2i32, 0, 4]);
    let labels64 = Tensor::from_vec(vec![1i64, 3, 0, 2], &[2, 2]).expect("shape");
    // Labels that are not distributions check the exact gradient (softmax·Σlabels - labels).
    let dist = test_tensor(&[3, 4], 53, 0.1, 1.0);
    vec![
        GradCase::new(
            "sparse_softmax_cross_entropy_with_logits",
            vec![labels.clone(), test_tensor(&[3, 5], 51, -2.0, 2.0)],
            |x| nn::sparse_softmax_cross_entropy_with_logits(&x[0], &x[1]),
        ),
        GradCase::new(
            "sparse_softmax_cross_entropy_with_logits",
            vec![labels64, test_tensor(&[2, 2, 4], 52, -2.0, 2.0)],
            |x| nn::sparse_softmax_cross_entropy_with_logits(&x[0], &x[1]),
        ),
        GradCase::new(
            "sparse_softmax_cross_entropy_with_logits",
            vec![labels, test_tensor(&[3, 5], 54, -2.0, 2.0)],
            |x| sparse_xent_logit_grad(&x[0], &x[1]),
        ),
        GradCase::new("softmax_cross_entropy_with_logits", vec![dist, test_tensor(&[3, 4], 55, -2.0, 2.0)], |x| {
            nn::softmax_cross_entropy_with_logits(&x[0], &x[1], -1)
        }),
        GradCase::new(
            "softmax_cross_entropy_with_logits",
            vec![test_tensor(&[4, 2, 3], 56, 0.0, 1.0), test_tensor(&[4, 2, 3], 57, -2.0, 2.0)],
            |x| nn::softmax_cross_entropy_with_logits(&x[0], &x[1], 0),
        ),
        GradCase::new(
            "sigmoid_cross_entropy_with_logits",
            vec![test_tensor(&[2, 5], 58, 0.0, 1.0), test_tensor(&[2, 5], 59, -3.0, 3.0)],
            |x| nn::sigmoid_cross_entropy_with_logits(&x[0], &x[1]),
        ),
    ]
}

/// Gradient cases for `tensile::ops::nn`.
pub fn cases() -> Vec<GradCase> {
    let mut v = softmax_cases();
    v.extend(loss_cases());
    v.extend(conv_cases());
    v.extend(pool_cases());
    v
}
