//! The cost of the `ta = ta.write(i, x)` idiom in a traced `while_loop`: the loop hands its
//! carried buffer to each iteration, so a write at the buffer's last use overwrites the row in
//! place and n writes copy the buffer a bounded number of times, not n times. A growing array
//! extends its buffer in place into spare capacity that doubles, so n appends copy it
//! O(log n) times; so do the per-iteration stacks a differentiated loop keeps for its backward
//! pass. Counted with `tensor_list::buffer_copies` (no timing).

use tensile::control_flow::{while_loop, TensorArray, WhileOptions};
use tensile::function::{Function, FunctionOptions};
use tensile::graph::Graph;
use tensile::ops::array::range_dynamic;
use tensile::ops::tensor_list::buffer_copies;
use tensile::prelude::*;
use tensile::Watchable;

/// `ta.write(i, [i, i²])` for `i < n` in a `while_loop`; returns the written array.
fn write_squares(n: &Tensor, ta: TensorArray) -> Result<TensorArray> {
    let (_, ta) = while_loop(
        |(i, _): &(Tensor, TensorArray)| less(i, n),
        |(i, ta): &(Tensor, TensorArray)| {
            let x = cast(i, DType::F64)?;
            Ok(((i + 1)?, ta.write(i, &stack(&[x.clone(), (&x * &x)?], 0)?)?))
        },
        (Tensor::from(0), ta),
        WhileOptions::default(),
    )?;
    Ok(ta)
}

/// `ta.write(i, [i, i²])` for `i < n` into an array of `size` rows, then stacked.
fn squares(n: &Tensor, size: usize) -> Result<Tensor> {
    write_squares(n, TensorArray::new(DType::F64, size, false).with_element_shape(&[Some(2)]))?.stack()
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

/// The kind names of every node of `g` and of its sub-graphs, nested ones included.
fn all_nodes(g: &Graph) -> Vec<&'static str> {
    let mut out = Vec::new();
    for n in g.nodes() {
        out.push(n.kind.name());
        for (_, sub) in n.kind.subgraphs() {
            out.extend(all_nodes(sub));
        }
    }
    out
}

/// The nodes of `func`'s only trace, nested ones included.
fn traced_nodes(func: &Function) -> Vec<&'static str> {
    let cfs = func.concrete_functions();
    assert_eq!(cfs.len(), 1, "expected one trace");
    all_nodes(cfs[0].graph())
}

/// ceil(log2(n)): the doublings from one row to `n` rows.
fn doublings(n: usize) -> u64 {
    u64::from(n.next_power_of_two().trailing_zeros())
}

/// `ta.write(i, [i, i²])` for `i < n` into a growing array, then stacked, and its size.
fn growing_squares(n: &Tensor) -> Result<Vec<Tensor>> {
    let ta = write_squares(n, TensorArray::new(DType::F64, 0, true).with_element_shape(&[Some(2)]))?;
    Ok(vec![ta.stack()?, ta.size()?])
}

#[test]
fn traced_growing_writes_copy_the_buffer_a_logarithmic_number_of_times() -> Result<()> {
    let func = Function::of_tensors("growing_squares", FunctionOptions::default(), |a| growing_squares(&a[0]));
    func.call_tensors(&[&Tensor::from(1)])?;
    let mut counts = Vec::new();
    for n in [50usize, 400, 3000] {
        let (out, copies) = copies_of(&func, &[&Tensor::from(n as i32)])?;
        assert_eq!(out[0].shape(), &[n, 2]);
        assert_eq!(out[0].to_vec::<f64>()?, want(n, n));
        assert_eq!(out[1].item::<i32>()?, n as i32);
        // One copy of the graph's empty initial buffer, then a reallocation each time the
        // capacity doubles.
        assert!(copies <= 1 + doublings(n), "{n} growing writes copied the buffer {copies} times");
        counts.push(copies);
    }
    assert!(counts[2] - counts[0] <= doublings(3000) - doublings(50) + 1, "copies grew like n: {counts:?}");
    // The counted ops are the only way the buffer grows: one loop, no concatenation.
    let nodes = traced_nodes(&func);
    assert!(nodes.contains(&"tensor_list_resize"), "{nodes:?}");
    assert_eq!(nodes.iter().filter(|&&n| n == "while").count(), 1, "{nodes:?}");
    assert!(!nodes.contains(&"concat"), "{nodes:?}");
    // Eagerly the same code gives the same values.
    let eager = growing_squares(&Tensor::from(50))?;
    assert_eq!(eager[0].to_vec::<f64>()?, want(50, 50));
    assert_eq!(eager[1].item::<i32>()?, 50);
    Ok(())
}

#[test]
fn traced_writes_that_skip_rows_grow_with_zeros() -> Result<()> {
    // Rows 0, 3, 6, ... are written; the rows skipped over read as zeros, and the array ends at
    // the last row written.
    let func = Function::of_tensors("every_third", FunctionOptions::default(), |a| {
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| less(i, &a[0]),
            |(i, ta): &(Tensor, TensorArray)| {
                let at = cast(&(i * 3)?, DType::I64)?;
                Ok(((i + 1)?, ta.write(&at, &(&cast(i, DType::F32)? + 1.0)?)?))
            },
            (Tensor::from(0), TensorArray::new(DType::F32, 0, true).with_element_shape(&[])),
            WhileOptions::default(),
        )?;
        Ok(vec![ta.stack()?, ta.read(3)?])
    });
    let (out, copies) = copies_of(&func, &[&Tensor::from(200)])?;
    let want: Vec<f32> = (0..598).map(|r| if r % 3 == 0 { (r / 3 + 1) as f32 } else { 0.0 }).collect();
    assert_eq!(out[0].to_vec::<f32>()?, want);
    assert_eq!(out[1].item::<f32>()?, 2.0);
    assert!(copies <= 1 + doublings(598), "200 spread-out writes copied the buffer {copies} times");
    Ok(())
}

#[test]
fn a_growing_buffer_still_read_after_the_write_is_copied_not_overwritten() -> Result<()> {
    // The body grows the array and then reads the old one: its last row and its size must be
    // the ones before the write.
    let func = Function::of_tensors("grow_and_read", FunctionOptions::default(), |a| {
        let ta = TensorArray::new(DType::F64, 1, true).with_element_shape(&[]).write(0, &Tensor::from(1.0f64))?;
        let (_, ta, sizes) = while_loop(
            |(i, _, _): &(Tensor, TensorArray, Tensor)| less(i, &a[0]),
            |(i, ta, sizes): &(Tensor, TensorArray, Tensor)| {
                let next = ta.write(i, &(&ta.read(&(i - 1)?)? * 2.0)?)?;
                let old_size = cast(&ta.size()?, DType::F64)?;
                let old_last = ta.read(&(i - 1)?)?;
                Ok(((i + 1)?, next, (&(sizes + &(&old_size * 1000.0)?)? + &old_last)?))
            },
            (Tensor::from(1), ta, Tensor::from(0.0f64)),
            WhileOptions::default(),
        )?;
        Ok(vec![ta.stack()?, sizes])
    });
    let out = func.call_tensors(&[&Tensor::from(6)])?;
    assert_eq!(out[0].to_vec::<f64>()?, vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
    // Sizes 1..5 before each write, last rows 1, 2, 4, 8, 16.
    assert_eq!(out[1].item::<f64>()?, 15000.0 + 31.0);
    Ok(())
}

/// `v ← 0.5 v + x` for `n` iterations from `v = 0`, summed; the tape inside the function makes
/// the loop keep its per-iteration stacks for the backward loop.
fn damped_sum(a: &[Tensor]) -> Result<Vec<Tensor>> {
    let (x, n) = (&a[0], &a[1]);
    let tape = GradientTape::new();
    let y = tape.scope(|tape| {
        tape.watch(x);
        let (_, v) = while_loop(
            |(i, _): &(Tensor, Tensor)| less(i, n),
            |(i, v): &(Tensor, Tensor)| Ok(((i + 1)?, (&(v * 0.5)? + x)?)),
            (Tensor::from(0), zeros_like(x)?),
            WhileOptions::default(),
        )?;
        reduce_sum(&v, None, false)
    })??;
    let g = tape.gradient(&y, &[x as &dyn Watchable])?.remove(0).expect("connected");
    Ok(vec![y, g])
}

#[test]
fn a_differentiated_traced_loop_stacks_its_iterations_without_copying_per_iteration() -> Result<()> {
    let func = Function::of_tensors("damped_sum", FunctionOptions::default(), damped_sum);
    let x = Tensor::from([1.0f64, -2.0, 0.25]);
    func.call_tensors(&[&x, &Tensor::from(1)])?;
    let mut counts = Vec::new();
    for n in [50usize, 400] {
        let (out, copies) = copies_of(&func, &[&x, &Tensor::from(n as i32)])?;
        // v_n = (2 - 2^(1-n)) x, so y = (2 - 2^(1-n)) Σx and dy/dx = 2 - 2^(1-n) each.
        let k = 2.0 - 0.5f64.powi(n as i32 - 1);
        assert!((out[0].item::<f64>()? - k * -0.75).abs() < 1e-12, "{}", out[0]);
        for g in out[1].to_vec::<f64>()? {
            assert!((g - k).abs() < 1e-12, "{}", out[1]);
        }
        // Two loop variables, two stacks: each copied once from its initial row, then on each
        // doubling of its capacity.
        assert!(copies <= 2 * (1 + doublings(n + 1)), "{n} iterations copied the stacks {copies} times");
        counts.push(copies);
    }
    assert!(counts[1] - counts[0] <= 2 * (doublings(401) - doublings(51)), "copies grew like n: {counts:?}");
    // The stacks grow only through the counted ops (no concatenation per iteration).
    let nodes = traced_nodes(&func);
    assert!(nodes.contains(&"tensor_list_resize"), "{nodes:?}");
    assert!(!nodes.contains(&"concat"), "{nodes:?}");
    // The same gradient eagerly (the tape records the unrolled iterations).
    let eager = damped_sum(&[x, Tensor::from(50)])?;
    assert!((eager[1].to_vec::<f64>()?[0] - (2.0 - 0.5f64.powi(49))).abs() < 1e-12);
    Ok(())
}

#[test]
fn graphs_that_resize_buffers_survive_a_json_round_trip() -> Result<()> {
    use tensile::graph::{exec, serial};
    let grow = Function::of_tensors("growing_squares", FunctionOptions::default(), |a| growing_squares(&a[0]));
    let diff = Function::of_tensors("damped_sum", FunctionOptions::default(), damped_sum);
    let x = Tensor::from([1.0f64, -2.0, 0.25]);
    let n = Tensor::from(9);
    for (func, args) in [(&grow, vec![n.clone()]), (&diff, vec![x, n])] {
        let refs: Vec<&Tensor> = args.iter().collect();
        let want = func.call_tensors(&refs)?;
        let cf = &func.concrete_functions()[0];
        let back = serial::from_json(&serial::to_json(cf.graph())?)?;
        assert_eq!(format!("{back}"), format!("{}", cf.graph()));
        assert!(all_nodes(&back).contains(&"tensor_list_resize"), "{back}");
        let got = exec::run(&back, &args, cf.variables())?;
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.shape(), w.shape());
            assert_eq!(g.to_f64_vec(), w.to_f64_vec());
        }
    }
    Ok(())
}

#[test]
fn traced_scatters_in_a_loop_reuse_the_buffer() -> Result<()> {
    // Iteration i scatters the rows [i, -i] at [2i, 2i + 1] of an array of 2n rows.
    let func = Function::of_tensors("pairs", FunctionOptions::default(), |a| {
        let n = &a[0];
        let ta = TensorArray::new(DType::F64, 200, false).with_element_shape(&[]);
        let (_, ta) = while_loop(
            |(i, _): &(Tensor, TensorArray)| less(i, n),
            |(i, ta): &(Tensor, TensorArray)| {
                let at = range_dynamic(&(i * 2)?, &(&(i * 2)? + 2)?, &Tensor::from(1))?;
                let x = cast(i, DType::F64)?;
                Ok(((i + 1)?, ta.scatter_at(&at, &stack(&[x.clone(), neg(&x)?], 0)?)?))
            },
            (Tensor::from(0), ta),
            WhileOptions::default(),
        )?;
        Ok(vec![ta.stack()?])
    });
    func.call_tensors(&[&Tensor::from(1)])?;
    let (out, copies) = copies_of(&func, &[&Tensor::from(100)])?;
    let want: Vec<f64> = (0..100).flat_map(|i| [i as f64, -(i as f64)]).collect();
    assert_eq!(out[0].to_vec::<f64>()?, want);
    assert!(copies <= 1, "100 scatters copied the buffer {copies} times");
    let (out, _) = copies_of(&func, &[&Tensor::from(3)])?;
    assert_eq!(&out[0].to_vec::<f64>()?[..8], &[0.0, 0.0, 1.0, -1.0, 2.0, -2.0, 0.0, 0.0]);
    Ok(())
}
