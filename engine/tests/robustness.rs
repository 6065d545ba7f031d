//! No user input makes an op panic: every registered op is called with a spread of dtypes,
//! shapes (including empty and mismatched ones) and hostile attributes. Errors are fine;
//! panics, and errors that don't name the op, are not.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tensile::ops::{execute, registry};
use tensile::{DType, Tensor};

use tensile::testing::{hostile_attr_sets as attr_sets, sweep_shapes as shapes, sweep_tensor as tensor};

#[test]
fn huge_shapes_are_resource_errors() {
    let err = tensile::ops::array::zeros(DType::F32, &[1 << 40, 1 << 40]).unwrap_err();
    assert_eq!(err.kind, tensile::ErrorKind::ResourceExhausted, "{err}");
    let err = tensile::ops::array::broadcast_to(&Tensor::from(1.0f32), &[1 << 20, 1 << 20, 1 << 20]).unwrap_err();
    assert!(err.to_string().contains("does not fit in memory"), "{err}");
}

#[test]
fn no_op_panics_on_hostile_input() {
    // Panics are collected below; keep the report readable.
    std::panic::set_hook(Box::new(|_| {}));
    let attrs = attr_sets();
    let shapes = shapes();
    let dtypes = DType::ALL;
    let mut panics = Vec::new();
    let mut unnamed = Vec::new();
    let mut seed = 1u64;
    for op in registry() {
        for arity in 0..=3usize {
            for (si, _) in shapes.iter().enumerate() {
                for &dt in &dtypes {
                    // Mix shapes and dtypes deterministically across inputs.
                    let inputs: Vec<Tensor> = (0..arity)
                        .map(|k| {
                            seed += 1;
                            let shape = &shapes[(si + k * (seed as usize % 3)) % shapes.len()];
                            let d = if k == 1 && seed.is_multiple_of(4) { DType::I32 } else { dt };
                            tensor(d, shape, seed)
                        })
                        .collect();
                    for a in &attrs {
                        let r = catch_unwind(AssertUnwindSafe(|| execute(op, &inputs, a.clone())));
                        match r {
                            Err(_) => {
                                let desc: Vec<String> =
                                    inputs.iter().map(|t| format!("{}{:?}", t.dtype(), t.shape())).collect();
                                panics.push(format!("{} inputs {:?} attrs {:?}", op.name, desc, a));
                            }
                            Ok(Err(e)) if e.op.is_none() && !e.message.contains(op.name) => {
                                unnamed.push(format!("{}: {e}", op.name))
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    panics.sort();
    panics.dedup_by(|a, b| a.split(' ').next() == b.split(' ').next());
    assert!(panics.is_empty(), "ops panicked ({}):\n{}", panics.len(), panics.join("\n"));
    unnamed.dedup();
    assert!(unnamed.is_empty(), "errors that don't name the op:\n{}", unnamed.join("\n"));
}
