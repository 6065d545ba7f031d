//! `tf.print`: formatting as TensorFlow 2.21 prints (expected lines copied from its output),
//! and program order inside traced functions.

use tensile::function::{Arg, Function, FunctionOptions};
use tensile::ops::io::{capture_prints, format_tensor, print, PrintOptions};
use tensile::ops::{array, math};
use tensile::prelude::*;

fn shown(t: &Tensor) -> String {
    format_tensor(t, 3).expect("eager tensor")
}

#[test]
fn tensors_format_as_tensorflow_prints_them() -> Result<()> {
    assert_eq!(shown(&Tensor::from([1.5f32, 2.0, -3.25])), "[1.5 2 -3.25]");
    assert_eq!(shown(&Tensor::from(2.0f32)), "2");
    assert_eq!(shown(&array::range(0.0, 10.0, 1.0, DType::I32)?), "[0 1 2 ... 7 8 9]");
    assert_eq!(shown(&array::range(0.0, 10.0, 1.0, DType::F32)?), "[0 1 2 ... 7 8 9]");
    let cube = array::reshape(&array::range(0.0, 24.0, 1.0, DType::I32)?, &[2, 3, 4])?;
    assert_eq!(
        shown(&cube),
        "[[[0 1 2 3]\n  [4 5 6 7]\n  [8 9 10 11]]\n\n [[12 13 14 15]\n  [16 17 18 19]\n  [20 21 22 23]]]"
    );
    let square = array::reshape(&array::range(0.0, 100.0, 1.0, DType::I32)?, &[10, 10])?;
    assert_eq!(
        shown(&square),
        "[[0 1 2 ... 7 8 9]\n [10 11 12 ... 17 18 19]\n [20 21 22 ... 27 28 29]\n ...\n [70 71 72 ... 77 78 79]\n \
         [80 81 82 ... 87 88 89]\n [90 91 92 ... 97 98 99]]"
    );
    assert_eq!(shown(&Tensor::from(0.123_456_79_f32)), "0.123456791");
    assert_eq!(shown(&Tensor::from([true, false])), "[1 0]");
    assert_eq!(shown(&Tensor::from([1e-8f32, 1e8, 0.1])), "[1e-08 1e+08 0.1]");
    assert_eq!(format_tensor(&Tensor::from([[1.5f32, 2.0], [3.0, 4.25]]), -1)?, "[[1.5 2]\n [3 4.25]]");
    assert_eq!(format_tensor(&array::range(0.0, 10.0, 1.0, DType::I32)?, 2)?, "[0 1 ... 8 9]");
    assert_eq!(shown(&Tensor::from(1.0f64 / 3.0)), "0.33333333333333331");
    assert_eq!(shown(&Tensor::from(1.0f32 / 3.0)), "0.333333343");
    assert_eq!(shown(&Tensor::from_vec(Vec::<f32>::new(), &[0])?), "[]");
    assert_eq!(shown(&Tensor::from([f32::NAN, f32::INFINITY, f32::NEG_INFINITY])), "[nan inf -inf]");
    Ok(())
}

#[test]
fn print_fills_the_template() -> Result<()> {
    let ((), text) = capture_prints(|| {
        print("loss: {} step {}", &[Tensor::from(0.123_456_79_f32), Tensor::from(3i32)], &PrintOptions::default())
            .expect("print")
    });
    assert_eq!(text, "loss: 0.123456791 step 3\n");
    let err = print("{} {}", &[Tensor::from(1.0f32)], &PrintOptions::default()).expect_err("two holes, one tensor");
    assert!(err.message.contains("2 placeholders") && err.message.contains("1 tensors"), "{err}");
    let bad = PrintOptions { output_stream: "file".into(), ..Default::default() };
    assert!(print("{}", &[Tensor::from(1.0f32)], &bad).is_err());
    Ok(())
}

#[test]
fn traced_prints_run_at_every_call_in_program_order() -> Result<()> {
    let v = Variable::new(Tensor::from(1.0f32), "v");
    let vv = v.clone();
    let f = Function::new("show", FunctionOptions::default(), move |args| {
        let x = args[0].tensor()?;
        print("before {}", &[vv.read_value()], &PrintOptions::default())?;
        vv.assign_add(x)?;
        print("after {}", &[vv.read_value()], &PrintOptions::default())?;
        // An unused value must not stop the prints from running.
        let _unused = math::exp(x)?;
        Ok(Arg::None)
    });
    let (r, text) = capture_prints(|| f.call(&[Tensor::from(2.0f32).into()]));
    r?;
    assert_eq!(text, "before 1\nafter 3\n");
    let (r, text) = capture_prints(|| f.call(&[Tensor::from(0.5f32).into()]));
    r?;
    assert_eq!(text, "before 3\nafter 3.5\n");
    assert_eq!(f.tracing_count(), 1);
    Ok(())
}
