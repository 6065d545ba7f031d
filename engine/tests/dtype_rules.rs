//! Dtype rules: tensors never promote implicitly, Rust scalars adopt the tensor's dtype through
//! the operators, and literals convert to the dtype their Rust type names.

use tensile::ops::math;
use tensile::{DType, Result, Tensor};

#[test]
fn mixed_dtypes_are_an_error_naming_both_dtypes_and_shapes() {
    let i = Tensor::from(vec![1i32, 2, 3]);
    let f = Tensor::from_vec(vec![1.0f32; 6], &[2, 3]).unwrap();
    for err in [(&i + &f).unwrap_err(), math::add(&i, &f).unwrap_err()] {
        let msg = err.to_string();
        assert!(msg.contains("add"), "{msg}");
        assert!(msg.contains("int32") && msg.contains("float32"), "{msg}");
        assert!(msg.contains("[3]") && msg.contains("[2, 3]"), "{msg}");
        assert!(msg.contains("cast"), "the message suggests the fix: {msg}");
    }
    let cases: [(Tensor, Tensor); 4] = [
        (Tensor::from(1.0f32), Tensor::from(1.0f64)),
        (Tensor::from(1i32), Tensor::from(1i64)),
        (Tensor::from(1i64), Tensor::from(1.0f64)),
        (Tensor::from(true), Tensor::from(1i32)),
    ];
    for (a, b) in &cases {
        let msg = (a * b).unwrap_err().to_string();
        assert!(msg.contains(a.dtype().name()) && msg.contains(b.dtype().name()), "{msg}");
        let msg = math::less(a, b).unwrap_err().to_string();
        assert!(msg.contains(a.dtype().name()) && msg.contains(b.dtype().name()), "{msg}");
    }
}

#[test]
fn bool_tensors_have_no_arithmetic() {
    let b = Tensor::from(vec![true, false]);
    let msg = (&b + &b).unwrap_err().to_string();
    assert!(msg.contains("add") && msg.contains("bool"), "{msg}");
    let msg = math::neg(&b).unwrap_err().to_string();
    assert!(msg.contains("neg") && msg.contains("bool"), "{msg}");
}

#[test]
fn rust_scalars_adopt_the_tensor_dtype() -> Result<()> {
    let i = Tensor::from(vec![1i32, -2, 3]);
    let p = (&i * 2.0)?;
    assert_eq!(p.dtype(), DType::I32);
    assert_eq!(p.to_vec::<i32>()?, vec![2, -4, 6]);
    let p = (&i * 2)?;
    assert_eq!(p.dtype(), DType::I32);
    assert_eq!(p.to_vec::<i32>()?, vec![2, -4, 6]);
    let q = (10 - &i)?;
    assert_eq!(q.to_vec::<i32>()?, vec![9, 12, 7]);

    let l = Tensor::from(vec![5i64, 1 << 40]);
    assert_eq!((&l + 1.0)?.to_vec::<i64>()?, vec![6, (1 << 40) + 1]);
    assert_eq!((&l * 3)?.dtype(), DType::I64);

    let d = Tensor::from(vec![0.5f64, 1.5]);
    let r = (&d * 2.0)?;
    assert_eq!(r.dtype(), DType::F64);
    assert_eq!(r.to_vec::<f64>()?, vec![1.0, 3.0]);
    assert_eq!((1.0 / &d)?.to_vec::<f64>()?, vec![2.0, 1.0 / 1.5]);

    let s = Tensor::from(vec![0.1f32, 3.0]);
    let r = (s.clone() + 0.1)?;
    assert_eq!(r.dtype(), DType::F32);
    assert_eq!(r.to_vec::<f32>()?, vec![0.1f32 + 0.1f32, 3.0f32 + 0.1f32], "the scalar is rounded to float32 first");
    assert_eq!((2 * s)?.to_vec::<f32>()?, vec![0.2, 6.0]);
    Ok(())
}

#[test]
fn a_scalar_the_dtype_cannot_hold_is_an_error_not_a_truncation() {
    let i = Tensor::from(vec![1i32, 2]);
    for err in [(&i + 1.5).unwrap_err(), (&i * 1e10).unwrap_err(), (0.5 - &i).unwrap_err()] {
        let msg = err.to_string();
        assert!(msg.contains("int32") && msg.contains("[2]"), "{msg}");
    }
    let l = Tensor::from(vec![1i64]);
    assert!((&l + f64::NAN).is_err());
    assert!((&l + 9.3e18).is_err());
}

#[test]
fn literals_convert_to_the_dtype_their_rust_type_names() {
    assert_eq!(Tensor::from(1.0f32).dtype(), DType::F32);
    assert_eq!(Tensor::from(1.0f64).dtype(), DType::F64);
    // An unsuffixed Rust float literal is f64, so it makes a float64 tensor (TensorFlow's Python
    // float literal defaults to float32): write `1.0f32` for float32.
    assert_eq!(Tensor::from(1.0).dtype(), DType::F64);
    // An unsuffixed integer literal is i32, which matches TensorFlow's int32 default.
    assert_eq!(Tensor::from(1).dtype(), DType::I32);
    assert_eq!(Tensor::from(1i64).dtype(), DType::I64);
    assert_eq!(Tensor::from(true).dtype(), DType::Bool);
    let m = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    assert_eq!((m.dtype(), m.shape()), (DType::F32, &[2usize, 2][..]));
    assert_eq!(Tensor::from(vec![1i64, 2, 3]).shape(), &[3]);
    assert_eq!(Tensor::from(2.5f32).rank(), 0);
}

#[test]
fn division_and_remainder_operators() -> Result<()> {
    let a = Tensor::from(vec![7i32, -7, 7, -7]);
    let b = Tensor::from(vec![2i32, 2, -2, -2]);
    // `/` is same-dtype division: integers truncate toward zero.
    assert_eq!((&a / &b)?.to_vec::<i32>()?, vec![3, -3, -3, 3]);
    // `%` is Python's floormod: the remainder takes the divisor's sign.
    assert_eq!((&a % &b)?.to_vec::<i32>()?, vec![1, 1, -1, -1]);
    assert_eq!((&a % 3)?.to_vec::<i32>()?, vec![1, 2, 1, 2]);
    let msg = (&a / 0).unwrap_err().to_string();
    assert!(msg.contains("division by zero"), "{msg}");
    let x = Tensor::from(vec![7.0f32, -7.5]);
    assert_eq!((&x / 2.0)?.to_vec::<f32>()?, vec![3.5, -3.75]);
    assert_eq!((&x % 2.0)?.to_vec::<f32>()?, vec![1.0, 0.5]);
    // Python's true division of integers gives float64.
    let t = math::truediv(&a, &b)?;
    assert_eq!(t.dtype(), DType::F64);
    assert_eq!(t.to_vec::<f64>()?, vec![3.5, -3.5, -3.5, 3.5]);
    Ok(())
}

#[test]
fn method_forms_chain() -> Result<()> {
    let x = Tensor::from(vec![-1.0f64, 0.0, 2.0]);
    assert_eq!(x.square()?.sqrt()?.to_vec::<f64>()?, vec![1.0, 0.0, 2.0]);
    assert_eq!(x.relu()?.to_vec::<f64>()?, vec![0.0, 0.0, 2.0]);
    assert_eq!(x.abs()?.to_vec::<f64>()?, vec![1.0, 0.0, 2.0]);
    assert_eq!(x.exp()?.log()?.to_vec::<f64>()?.len(), 3);
    assert_eq!(x.maximum(&Tensor::from(0.5))?.to_vec::<f64>()?, vec![0.5, 0.5, 2.0]);
    assert_eq!(x.minimum(&Tensor::from(0.5))?.to_vec::<f64>()?, vec![-1.0, 0.0, 0.5]);
    assert_eq!(x.pow(&Tensor::from(2.0))?.to_vec::<f64>()?, vec![1.0, 0.0, 4.0]);
    assert_eq!(x.cast(DType::I32)?.to_vec::<i32>()?, vec![-1, 0, 2]);
    assert_eq!(x.tanh()?.to_vec::<f64>()?[1], 0.0);
    assert_eq!(x.sigmoid()?.to_vec::<f64>()?[1], 0.5);
    Ok(())
}
