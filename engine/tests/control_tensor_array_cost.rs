//! The cost of the `ta = ta.write(i, x)` idiom in a traced `while_loop`: the loop hands its
//! carried buffer to each iteration, so a write at the buffer's last use overwrites the row in
//! place and n writes copy the buffer a bounded number of times, not n times. Counted with
//! `tensor_list::buffer_copies` (no timing).

use tensile::control_flow::{while_loop, TensorArray, WhileOptions};
use tensile::function::{Function, FunctionOptions};
use tensile::ops::tensor_list::buffer_copies;
use tensile::prelude::*;

/// `ta.write(i, [i, i²])` for `i < n` into an array of `size` rows, then stacked.
fn squares(n: &Tensor, size: usize) -> Result<Tensor> {
    let ta = TensorArray::new(DType::F64, size, false).with_element_shape(&[Some(2)]);
    let (_, ta) = while_loop(
        |(i, _): &(Tensor, TensorArray)| less(i, n),
        |(i, ta): &(Tensor, TensorArray)| {
            let x = cast(i, DType::F64)?;
            Ok(((i + 1)?, ta.write(i, &stack(&[x.clone(), (&x * &x)?], 0)?)?))
        },
        (Tensor::from(0), ta),
        WhileOptions::default(),
    )?;
    ta.stack()
}

fn want(n: usize, size: usize) -> Vec<f64> {
    (0..size).flat_map(|i| if i < n { [i as f64, (i * i) as f64] } else { [0.0, 0.0] }).collect()
}

/// Buffer copies made by one call of `func` on `args`.
fn copies_of(func: &Function, args: &[&Tensor]) -> Result<(Vec<Tensor>, u64)> {
    let before = buffer_copies();
    let out = func.call_tensors(args)?;
    Ok((out, buffer_copies() - before))
}

#[test]
fn traced_writes_in_a_loop_reuse_the_buffer() -> Result<()> {
    for size in [50usize, 400] {
        let func =
            Function::of_tensors("squares", FunctionOptions::default(), move |a| Ok(vec![squares(&a[0], size)?]));
        // First call traces; the counts below are of runs only.
        func.call_tensors(&[&Tensor::from(1)])?;
        let (out, copies) = copies_of(&func, &[&Tensor::from(size as i32)])?;
        assert_eq!(out[0].shape(), &[size, 2]);
        assert_eq!(out[0].to_vec::<f64>()?, want(size, size));
        // The initial buffer is a constant of the graph, so the first write copies it once;
        // every later write reuses the loop's own buffer.
        assert!(copies <= 1, "{size} writes copied the buffer {copies} times");
        let (out, copies) = copies_of(&func, &[&Tensor::from(7)])?;
        assert_eq!(out[0].to_vec::<f64>()?, want(7, size));
        assert!(copies <= 1, "7 writes copied the buffer {copies} times");
    }
    Ok(())
}

#[test]
fn a_buffer_still_read_after_the_write_is_copied_not_overwritten() -> Result<()> {
    // The body reads the old array after writing the new one, so the write must not clobber
    // the buffer the read sees: each row holds the previous row plus one.
    let func = Function::of_tensors("prefix", FunctionOptions::default(), |a| {
        let n = &a[0];
        let ta = TensorArray::new(DType::F64, 6, false).with_element_shape(&[]);
        let (_, ta, _) = while_loop(
            |(i, _, _): &(Tensor, TensorArray, Tensor)| less(i, n),
            |(i, ta, _): &(Tensor, TensorArray, Tensor)| {
                let prev = ta.read(&maximum(&(i - 1)?, &Tensor::from(0))?)?;
                let next = ta.write(i, &(&prev + 1.0)?)?;
                let old = ta.read(i)?;
                Ok(((i + 1)?, next, old))
            },
            (Tensor::from(0), ta, Tensor::from(0.0f64)),
            WhileOptions::default(),
        )?;
        Ok(vec![ta.stack()?])
    });
    let (out, copies) = copies_of(&func, &[&Tensor::from(6)])?;
    assert_eq!(out[0].to_vec::<f64>()?, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert!(copies >= 6, "every write whose input is read afterwards copies ({copies})");
    Ok(())
}

#[test]
fn growing_arrays_match_eager_and_stay_correct() -> Result<()> {
    fn grow(n: &Tensor) -> Result<Tensor> {
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| less(i, n),
            |(i, ta): &(Tensor, TensorArray)| Ok(((i + 1)?, ta.write(i, &(&cast(i, DType::F32)? * 3.0)?)?)),
            (Tensor::from(0), TensorArray::new(DType::F32, 0, true).with_element_shape(&[])),
            WhileOptions::default(),
        )?;
        ta.stack()
    }
    let func = Function::of_tensors("grow", FunctionOptions::default(), |a| Ok(vec![grow(&a[0])?]));
    for n in [0, 1, 9] {
        let got = func.call_tensors(&[&Tensor::from(n)])?;
        let eager = grow(&Tensor::from(n))?;
        assert_eq!(got[0].to_vec::<f32>()?, eager.to_vec::<f32>()?);
        assert_eq!(got[0].to_vec::<f32>()?, (0..n).map(|i| 3.0 * i as f32).collect::<Vec<_>>());
    }
    Ok(())
}

#[test]
fn eager_owned_writes_fill_the_array_and_leave_other_holders_unchanged() -> Result<()> {
    let mut ta = TensorArray::new(DType::F32, 0, true);
    for i in 0..100usize {
        ta = ta.write_owned(i, &Tensor::from(i as f32))?;
    }
    assert_eq!(ta.stack()?.to_vec::<f32>()?, (0..100).map(|i| i as f32).collect::<Vec<_>>());
    // A clone shares the elements, so the owned write must copy them rather than change both.
    let before = ta.clone();
    let after = ta.write_owned(3, &Tensor::from(-1.0f32))?;
    assert_eq!(before.read(3)?.item::<f32>()?, 3.0);
    assert_eq!(after.read(3)?.item::<f32>()?, -1.0);
    let e = after.write_owned(-1i64, &Tensor::from(0.0f32)).unwrap_err();
    assert!(e.message.contains("negative"), "{e}");
    Ok(())
}
