//! `tf` bindings on symbolic tensors: traced with placeholders of partly unknown shape, the
//! graph run afterwards must compute what the eager calls compute, `x.shape` shows `None` for
//! unknown dimensions and `tf.print` prints at run time.

use tensile::function::trace::{trace_graph, TraceOptions};
use tensile::graph::exec;
use tensile::ops::Spec;
use tensile::{DType, Tensor};
use tensile_repl::interp::value::{Args, Value};
use tensile_repl::Interp;

fn tf_fn(interp: &mut Interp, path: &str) -> Value {
    let mut v = Value::Module(tensile_repl::tf::build(interp));
    for part in path.split('.') {
        v = interp.get_attr(&v, part).unwrap_or_else(|_| panic!("tf.{path} is bound"));
    }
    v
}

fn call(interp: &mut Interp, path: &str, args: Vec<Value>) -> Tensor {
    let f = tf_fn(interp, path);
    match interp.call(&f, Args::positional(args)) {
        Ok(Value::Tensor(t)) => t,
        Ok(other) => panic!("tf.{path} returned {}", other.type_name()),
        Err(_) => panic!("tf.{path} failed"),
    }
}

#[test]
fn shapes_and_ops_trace_and_run() {
    let mut interp = Interp::new();
    let spec = Spec { dtype: DType::F32, dims: [None, Some(3)].into_iter().collect() };
    let mut shape_text = String::new();
    let traced = trace_graph(&[spec], TraceOptions { root: true, allow_variable_creation: true }, |args| {
        let x = Value::Tensor(args[0].clone());
        let Ok(shape) = interp.get_attr(&x, "shape") else { panic!("x.shape") };
        shape_text = interp.str_of(&shape).unwrap_or_default();
        let dims = call(&mut interp, "shape", vec![x.clone()]);
        let total = call(&mut interp, "reduce_sum", vec![x.clone(), Value::Int(1)]);
        let act = call(&mut interp, "nn.relu", vec![x.clone()]);
        let ones = call(&mut interp, "ones_like", vec![x.clone()]);
        let printed = tf_fn(&mut interp, "print");
        let sys = Value::Module(interp_sys(&mut interp));
        let Ok(stream) = interp.get_attr(&sys, "stdout") else { panic!("sys.stdout") };
        let args = Args {
            pos: vec![Value::str("dims:"), Value::Tensor(dims.clone())],
            kw: vec![("output_stream".into(), stream)],
        };
        interp.call(&printed, args).map_err(|_| tensile::Error::invalid("print", "tf.print failed while tracing"))?;
        Ok(vec![dims, total, act, ones])
    })
    .expect("traces");
    assert_eq!(shape_text, "(None, 3)");
    let input = Tensor::from_vec(vec![1.0f32, -2.0, 3.0, -4.0, 5.0, 6.0], &[2, 3]).expect("input");
    let (out, printed) = tensile::ops::io::capture_prints(|| exec::run(&traced.graph, &[input], &traced.variables));
    let out = out.expect("runs");
    assert_eq!(printed, "dims: [2 3]\n");
    assert_eq!(out[0].to_vec::<i32>().expect("int32"), vec![2, 3]);
    assert_eq!(out[1].to_vec::<f32>().expect("f32"), vec![2.0, 7.0]);
    assert_eq!(out[2].to_vec::<f32>().expect("f32"), vec![1.0, 0.0, 3.0, 0.0, 5.0, 6.0]);
    assert_eq!(out[3].to_vec::<f32>().expect("f32"), vec![1.0; 6]);
}

fn interp_sys(interp: &mut Interp) -> std::rc::Rc<tensile_repl::interp::value::NativeModule> {
    interp.run_file("import sys\n", "<test>").ok().expect("import sys");
    match interp.globals().get("sys") {
        Some(Value::Module(m)) => m,
        _ => panic!("sys is a module"),
    }
}
