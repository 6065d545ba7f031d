//! AutoGraph: script functions traced into graphs, with `if`/`while`/`for` on symbolic tensors
//! converted to `cond`/`while_loop`. Each function is traced from Rust, the graph is run on
//! concrete inputs, and the results are compared with running the same function eagerly and
//! with closed forms.

use tensile::function::trace::{trace_graph, TraceOptions};
use tensile::ops::Spec;
use tensile::{DType, Tensor};
use tensile_repl::interp::exceptions::Ctrl;
use tensile_repl::interp::value::{Args, Value};
use tensile_repl::interp::Interp;

const SCRIPT: &str = r#"
import tensorflow as tf

def branchy(x):
    if x > 10.0:
        y = x * 2.0
    elif x > 0.0:
        y = x + 100.0
    else:
        y = -x
    return y

def single(x):
    y = x
    z = 5.0
    if x > 0.0:
        y = y * 3.0
        w = 1.0
    return y + z

def ret_both(x):
    if x > 0.0:
        return x * x
    else:
        return x - 1.0

def ret_partial(x):
    if x > 0.0:
        return x * x
    y = x - 1.0
    return y * 2.0

def collatz(n):
    steps = 0
    while n > 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps

def sum_squares(n):
    s = 0
    for i in tf.range(n):
        s = s + i * i
    return s

def sum_range_step(a, b):
    s = 0
    for i in tf.range(a, b, 3):
        s += i
    return s

def sum_rows(t):
    acc = tf.constant(0.0)
    for row in t:
        acc = acc + tf.reduce_sum(row) * 2.0
    return acc

def count_until(n, stop):
    total = 0
    for i in tf.range(n):
        if i >= stop:
            break
        total += i
    return total

def skip_odd(n):
    total = 0
    for i in tf.range(n):
        if i % 2 == 1:
            continue
        total += i
    return total

def find_first(n, target):
    for i in tf.range(n):
        if i * i >= target:
            return i
    return -1

def while_break(n):
    i = 0
    s = 0
    while i < n:
        s += i
        if s > 20:
            break
        i += 1
    return s

def nested(n):
    total = 0
    for i in tf.range(n):
        j = 0
        while j < i:
            total += j
            j += 1
    return total

def loop_cond(n):
    x = 1.0
    for i in tf.range(n):
        x = tf.cond(x > 10.0, lambda: x - 5.0, lambda: x * 2.0)
    return x

def squares(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[])
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i * i, tf.float32))
    return ta.stack()

def grad_pow(x, n):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x
        for i in tf.range(n - 1):
            y = y * x
    return tape.gradient(y, x)

def grad_if(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        if x > 0.0:
            y = x * x * x
        else:
            y = x * 2.0
    return tape.gradient(y, x)

def last_index(n):
    i = -1
    for i in tf.range(n):
        pass
    return i

def float_range(x):
    acc = 0.0
    for t in tf.range(0.0, x, 0.5):
        acc += t
    return acc

def python_loop(x):
    for k in range(3):
        if x > 0.0:
            x = x - 1.0
        else:
            x = x + 10.0
    return x

def undefined_else(x):
    if x > 0.0:
        y = x
    return y

def branch_dtype(x):
    if x > 0.0:
        y = 1
    else:
        y = 2.0
    return y

def branch_structure(x):
    if x > 0.0:
        y = (x, x)
    else:
        y = [x, x]
    return y

def dtype_change(n):
    v = 0
    for i in tf.range(n):
        v = tf.cast(v, tf.float32) + 1.0
    return v

def structure_change(n):
    v = (tf.constant(1.0), tf.constant(2.0))
    i = 0
    while i < n:
        v = [v[0], v[1]]
        i += 1
    return v

def shape_change(n):
    v = tf.constant([1.0])
    for i in tf.range(n):
        v = tf.constant([1.0, 2.0])
    return v

def undefined_before_loop(n):
    for i in tf.range(n):
        w = i
    return w

def missing_return(x):
    if x > 0.0:
        return x

def api_cond(x):
    return tf.cond(x > 0.0, lambda: (x * 2.0, 1), lambda: (x - 1.0, 2))

def api_while(n):
    i, acc = tf.while_loop(lambda i, acc: i < n, lambda i, acc: (i + 1, acc * 2.0), (0, 1.0))
    return acc

def api_switch(i, x):
    return tf.switch_case(i, [lambda: x, lambda: x * 10.0, lambda: x * 100.0])

def api_cond_raises(x):
    def bad():
        raise IndexError("from the true branch")
    return tf.cond(x > 0.0, bad, lambda: x)

def nested_if_return(x, y):
    if x > 0.0:
        if y > 0.0:
            return x + y
        z = x - y
    else:
        z = y - x
    return z * 10.0

def bool_ops(x, y):
    if x > 0.0 and not y > 0.0:
        r = 1.0
    elif x > 0.0 or y > 5.0:
        r = 2.0
    else:
        r = 3.0
    return r

def search_else(n, target):
    found = -1
    for i in tf.range(n):
        if i == target:
            found = i
            break
    else:
        found = -2
    return found

def raises_inside(x):
    if x > 0.0:
        raise KeyError("inside the branch")
    return x
"#;

fn interp() -> Interp {
    let mut it = Interp::new();
    it.out = Box::new(std::io::sink());
    if it.run_file(SCRIPT, "autograph_test.py").is_err() {
        panic!("the test script runs");
    }
    it
}

fn func(it: &Interp, name: &str) -> Value {
    it.globals().get(name).unwrap_or_else(|| panic!("{name} is defined"))
}

fn leaves(v: &Value) -> Vec<Tensor> {
    match v {
        Value::Tensor(t) => vec![t.clone()],
        Value::Tuple(t) => t.iter().flat_map(leaves).collect(),
        Value::List(l) => l.borrow().iter().flat_map(leaves).collect(),
        Value::Int(i) => vec![Tensor::from(*i as i32)],
        Value::Float(f) => vec![Tensor::from(*f as f32)],
        other => panic!("unexpected result {}", other.type_name()),
    }
}

/// Traces `name` for `feeds`' dtypes and shapes (or `specs`), then runs the graph on `feeds`.
fn traced_with(it: &mut Interp, name: &str, specs: &[Spec], feeds: &[Tensor]) -> Result<Vec<Tensor>, String> {
    let f = func(it, name);
    let mut message = None;
    let traced = trace_graph(specs, TraceOptions { root: true, allow_variable_creation: true }, |args| {
        let args = Args::positional(args.iter().cloned().map(Value::Tensor).collect());
        match it.call(&f, args) {
            Ok(v) => Ok(leaves(&v)),
            Err(Ctrl::Raise(e)) => {
                let m = it.exception_message(&e.value);
                message = Some(m.clone());
                Err(tensile::Error::invalid("script", m))
            }
            Err(_) => Err(tensile::Error::invalid("script", "stray control flow")),
        }
    });
    let traced = match traced {
        Ok(t) => t,
        Err(e) => return Err(message.unwrap_or_else(|| e.to_string())),
    };
    let mut all = feeds.to_vec();
    all.extend(traced.captures.iter().cloned());
    tensile::graph::run(&traced.graph, &all, &traced.variables).map_err(|e| e.to_string())
}

fn traced(it: &mut Interp, name: &str, feeds: &[Tensor]) -> Result<Vec<Tensor>, String> {
    let specs: Vec<Spec> = feeds.iter().map(|t| Spec { dtype: t.dtype(), dims: t.dims() }).collect();
    traced_with(it, name, &specs, feeds)
}

fn eager(it: &mut Interp, name: &str, feeds: &[Tensor]) -> Vec<Tensor> {
    let f = func(it, name);
    match it.call(&f, Args::positional(feeds.iter().cloned().map(Value::Tensor).collect())) {
        Ok(v) => leaves(&v),
        Err(Ctrl::Raise(e)) => panic!("{name} failed eagerly: {}", it.exception_message(&e.value)),
        Err(_) => panic!("stray control flow"),
    }
}

/// Scalar specs with unknown nothing but value: the graph must not depend on trace-time values.
fn scalar_spec(dtype: DType) -> Spec {
    Spec { dtype, dims: Vec::new().into() }
}

fn f32s(ts: &[Tensor]) -> Vec<f64> {
    ts.iter().flat_map(|t| t.to_f64_vec()).collect()
}

/// Runs `name` traced (one trace, many inputs) and eagerly; both must equal `expected(input)`.
fn check_scalar_fn(name: &str, dtype: DType, inputs: &[Vec<f64>], expected: impl Fn(&[f64]) -> Vec<f64>) {
    let mut it = interp();
    for input in inputs {
        let feeds: Vec<Tensor> = input.iter().map(|&x| Tensor::scalar_of(dtype, x)).collect();
        let specs: Vec<Spec> = feeds.iter().map(|_| scalar_spec(dtype)).collect();
        let g = traced_with(&mut it, name, &specs, &feeds).unwrap_or_else(|e| panic!("{name}{input:?} traced: {e}"));
        let e = eager(&mut it, name, &feeds);
        let want = expected(input);
        assert_eq!(f32s(&g), want, "{name}{input:?}: graph vs closed form");
        assert_eq!(f32s(&e), want, "{name}{input:?}: eager vs closed form");
    }
}

#[test]
fn if_elif_else_on_tensors() {
    check_scalar_fn("branchy", DType::F32, &[vec![20.0], vec![3.0], vec![-4.0], vec![0.0]], |x| {
        let x = x[0];
        vec![if x > 10.0 {
            x * 2.0
        } else if x > 0.0 {
            x + 100.0
        } else {
            -x
        }]
    });
}

#[test]
fn single_branch_if_keeps_the_old_value() {
    check_scalar_fn("single", DType::F32, &[vec![2.0], vec![-2.0]], |x| {
        vec![if x[0] > 0.0 { x[0] * 3.0 } else { x[0] } + 5.0]
    });
}

#[test]
fn return_in_both_branches() {
    check_scalar_fn("ret_both", DType::F32, &[vec![3.0], vec![-3.0]], |x| {
        vec![if x[0] > 0.0 { x[0] * x[0] } else { x[0] - 1.0 }]
    });
}

#[test]
fn return_in_one_branch_guards_the_rest() {
    check_scalar_fn("ret_partial", DType::F32, &[vec![3.0], vec![-3.0]], |x| {
        vec![if x[0] > 0.0 { x[0] * x[0] } else { (x[0] - 1.0) * 2.0 }]
    });
}

#[test]
fn while_with_tensor_condition() {
    fn steps(mut n: i64) -> f64 {
        let mut s = 0;
        while n > 1 {
            n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
            s += 1;
        }
        s as f64
    }
    check_scalar_fn("collatz", DType::I32, &[vec![1.0], vec![6.0], vec![27.0]], |x| vec![steps(x[0] as i64)]);
}

#[test]
fn for_over_symbolic_range() {
    check_scalar_fn("sum_squares", DType::I32, &[vec![0.0], vec![1.0], vec![10.0]], |x| {
        let n = x[0];
        vec![n * (n - 1.0) * (2.0 * n - 1.0) / 6.0]
    });
    check_scalar_fn("sum_range_step", DType::I32, &[vec![2.0, 15.0], vec![5.0, 5.0], vec![-4.0, 4.0]], |x| {
        let (a, b) = (x[0] as i64, x[1] as i64);
        vec![(a..b).step_by(3).sum::<i64>() as f64]
    });
}

#[test]
fn for_over_a_symbolic_tensor_iterates_rows() {
    let mut it = interp();
    let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]).expect("tensor");
    // The row count is unknown in the trace, so the loop cannot be unrolled.
    let spec = Spec { dtype: DType::F32, dims: vec![None, Some(2)].into() };
    let g = traced_with(&mut it, "sum_rows", &[spec], std::slice::from_ref(&t)).expect("traces");
    assert_eq!(f32s(&g), vec![42.0]);
    assert_eq!(f32s(&eager(&mut it, "sum_rows", &[t])), vec![42.0]);
}

#[test]
fn break_continue_and_return_in_tensor_loops() {
    check_scalar_fn("count_until", DType::I32, &[vec![10.0, 4.0], vec![3.0, 8.0], vec![5.0, 0.0]], |x| {
        let m = x[0].min(x[1]).max(0.0) as i64;
        vec![(0..m).sum::<i64>() as f64]
    });
    check_scalar_fn("skip_odd", DType::I32, &[vec![0.0], vec![7.0], vec![10.0]], |x| {
        vec![(0..x[0] as i64).filter(|i| i % 2 == 0).sum::<i64>() as f64]
    });
    check_scalar_fn("find_first", DType::I32, &[vec![10.0, 10.0], vec![10.0, 0.0], vec![3.0, 50.0]], |x| {
        let found = (0..x[0] as i64).find(|i| (i * i) as f64 >= x[1]);
        vec![found.map_or(-1.0, |i| i as f64)]
    });
    check_scalar_fn("while_break", DType::I32, &[vec![3.0], vec![100.0]], |x| {
        let (mut i, mut s) = (0, 0);
        while (i as f64) < x[0] {
            s += i;
            if s > 20 {
                break;
            }
            i += 1;
        }
        vec![s as f64]
    });
}

#[test]
fn nested_loops_and_loops_containing_cond() {
    check_scalar_fn("nested", DType::I32, &[vec![0.0], vec![5.0], vec![9.0]], |x| {
        vec![(0..x[0] as i64).map(|i| i * (i - 1) / 2).sum::<i64>() as f64]
    });
    check_scalar_fn("loop_cond", DType::I32, &[vec![0.0], vec![3.0], vec![8.0]], |x| {
        let mut v = 1.0f64;
        for _ in 0..x[0] as i64 {
            v = if v > 10.0 { v - 5.0 } else { v * 2.0 };
        }
        vec![v]
    });
}

#[test]
fn tensor_array_written_in_a_converted_loop() {
    check_scalar_fn("squares", DType::I32, &[vec![4.0], vec![1.0]], |x| {
        (0..x[0] as i64).map(|i| (i * i) as f64).collect()
    });
}

#[test]
fn gradient_through_a_converted_loop() {
    let mut it = interp();
    for (x, n) in [(1.5f32, 3i32), (2.0, 5), (0.5, 1)] {
        let feeds = [Tensor::from(x), Tensor::from(n)];
        let specs = [scalar_spec(DType::F32), scalar_spec(DType::I32)];
        let g = traced_with(&mut it, "grad_pow", &specs, &feeds).expect("traces");
        let want = f64::from(n) * f64::from(x).powi(n - 1);
        assert!((f32s(&g)[0] - want).abs() < 1e-4, "graph d/dx x^{n} at {x}: {:?} vs {want}", f32s(&g));
        let e = eager(&mut it, "grad_pow", &feeds);
        assert!((f32s(&e)[0] - want).abs() < 1e-4, "eager d/dx x^{n} at {x}");
    }
}

#[test]
fn gradient_through_a_converted_if() {
    check_scalar_fn("grad_if", DType::F32, &[vec![2.0], vec![-1.5]], |x| {
        vec![if x[0] > 0.0 { 3.0 * x[0] * x[0] } else { 2.0 }]
    });
}

#[test]
fn loop_target_used_after_the_loop_keeps_the_last_element() {
    check_scalar_fn("last_index", DType::I32, &[vec![0.0], vec![4.0]], |x| {
        vec![if x[0] > 0.0 { x[0] - 1.0 } else { -1.0 }]
    });
}

#[test]
fn float_ranges_convert_too() {
    check_scalar_fn("float_range", DType::F32, &[vec![2.0], vec![0.0], vec![1.2]], |x| {
        let n = (x[0] / 0.5).ceil().max(0.0) as i64;
        vec![(0..n).map(|k| k as f64 * 0.5).sum()]
    });
}

#[test]
fn python_conditions_still_unroll() {
    check_scalar_fn("python_loop", DType::F32, &[vec![5.0], vec![1.5], vec![-1.0]], |x| {
        let mut v = x[0];
        for _ in 0..3 {
            v = if v > 0.0 { v - 1.0 } else { v + 10.0 };
        }
        vec![v]
    });
}

#[test]
fn control_flow_apis_traced() {
    check_scalar_fn("api_cond", DType::F32, &[vec![2.0], vec![-2.0]], |x| {
        if x[0] > 0.0 {
            vec![x[0] * 2.0, 1.0]
        } else {
            vec![x[0] - 1.0, 2.0]
        }
    });
    check_scalar_fn("api_while", DType::I32, &[vec![0.0], vec![5.0]], |x| vec![2f64.powi(x[0] as i32)]);
    let mut it = interp();
    for (i, want) in [(0, 3.0), (1, 30.0), (2, 300.0), (7, 300.0)] {
        let feeds = [Tensor::from(i), Tensor::from(3.0f32)];
        let specs = [scalar_spec(DType::I32), scalar_spec(DType::F32)];
        assert_eq!(f32s(&traced_with(&mut it, "api_switch", &specs, &feeds).expect("traces")), vec![want]);
        assert_eq!(f32s(&eager(&mut it, "api_switch", &feeds)), vec![want]);
    }
}

#[test]
fn nested_tensor_ifs_with_a_return_in_the_inner_one() {
    check_scalar_fn("nested_if_return", DType::F32, &[vec![1.0, 2.0], vec![3.0, -1.0], vec![-1.0, 2.0]], |v| {
        let (x, y) = (v[0], v[1]);
        vec![if x > 0.0 {
            if y > 0.0 {
                x + y
            } else {
                (x - y) * 10.0
            }
        } else {
            (y - x) * 10.0
        }]
    });
}

#[test]
fn exception_in_a_traced_tf_cond_branch_keeps_its_traceback() {
    let mut it = interp();
    let f = func(&it, "api_cond_raises");
    let mut rendered = None;
    let r =
        trace_graph(&[scalar_spec(DType::F32)], TraceOptions { root: true, allow_variable_creation: true }, |args| {
            match it.call(&f, Args::positional(vec![Value::Tensor(args[0].clone())])) {
                Ok(v) => Ok(leaves(&v)),
                Err(Ctrl::Raise(e)) => {
                    let message = it.exception_message(&e.value);
                    rendered = Some(tensile_repl::interp::exceptions::render_traceback(&e, &message));
                    Err(tensile::Error::invalid("script", message))
                }
                Err(_) => Err(tensile::Error::invalid("script", "stray control flow")),
            }
        });
    assert!(r.is_err());
    let text = rendered.expect("the script raised");
    assert!(text.ends_with("IndexError: from the true branch\n"), "{text}");
    assert!(text.contains("raise IndexError(\"from the true branch\")"), "{text}");
    assert!(text.contains("in bad"), "{text}");
}

#[test]
fn and_or_not_in_tensor_conditions() {
    check_scalar_fn(
        "bool_ops",
        DType::F32,
        &[vec![1.0, -1.0], vec![1.0, 1.0], vec![-1.0, 6.0], vec![-1.0, 1.0]],
        |v| {
            let (x, y) = (v[0], v[1]);
            vec![if x > 0.0 && y <= 0.0 {
                1.0
            } else if x > 0.0 || y > 5.0 {
                2.0
            } else {
                3.0
            }]
        },
    );
}

#[test]
fn loop_else_runs_only_without_break() {
    check_scalar_fn("search_else", DType::I32, &[vec![5.0, 3.0], vec![5.0, 7.0]], |v| {
        vec![if v[1] < v[0] { v[1] } else { -2.0 }]
    });
}

fn trace_error(name: &str, feeds: &[Tensor]) -> String {
    let mut it = interp();
    match traced(&mut it, name, feeds) {
        Ok(v) => panic!("{name} traced without error: {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn errors_name_the_variable() {
    let x = [Tensor::from(1.0f32)];
    let n = [Tensor::from(3i32)];
    assert_eq!(trace_error("undefined_else", &x), "ValueError: 'y' must also be initialized in the else branch");
    assert_eq!(
        trace_error("branch_dtype", &x),
        "TypeError: 'y' has dtype int32 in the main branch, but dtype float32 in the else branch"
    );
    let e = trace_error("branch_structure", &x);
    assert!(e.starts_with("TypeError: 'y' must have the same nested structure in the main and else branches"), "{e}");
    assert_eq!(
        trace_error("dtype_change", &n),
        "TypeError: 'v' has dtype int32 before the loop, but dtype float32 after one iteration"
    );
    let e = trace_error("structure_change", &n);
    assert!(e.starts_with("TypeError: 'v' does not have the same nested structure after one iteration."), "{e}");
    let e = trace_error("shape_change", &n);
    assert!(
        e.starts_with("ValueError: 'v' has shape (1,) before the loop, but shape (2,) after one iteration."),
        "{e}"
    );
    assert_eq!(trace_error("undefined_before_loop", &n), "ValueError: 'w' must be defined before the loop");
    assert_eq!(trace_error("missing_return", &x), "ValueError: the else branch must also have a return statement.");
}

#[test]
fn exceptions_inside_branches_propagate_unchanged() {
    assert_eq!(trace_error("raises_inside", &[Tensor::from(1.0f32)]), "KeyError: 'inside the branch'");
}

#[test]
fn eager_tensor_range_just_iterates() {
    let mut it = interp();
    assert_eq!(f32s(&eager(&mut it, "sum_squares", &[Tensor::from(4i32)])), vec![14.0]);
    assert_eq!(f32s(&eager(&mut it, "find_first", &[Tensor::from(10i32), Tensor::from(10i32)])), vec![4.0]);
}
