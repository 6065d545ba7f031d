//! No user input makes an op panic: every registered op is called with a spread of dtypes,
//! shapes (including empty and mismatched ones) and hostile attributes. Errors are fine;
//! panics, and errors that don't name the op, are not.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tensile::attrs::{Attr, Attrs};
use tensile::ops::{execute, registry};
use tensile::{DType, Tensor};

fn tensor(dtype: DType, shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let v = tensile::testing::test_values(n, seed, -3.0, 3.0);
    tensile::ops::math::cast(&Tensor::from_vec(v, shape).unwrap(), dtype).unwrap()
}

fn attr_sets() -> Vec<Attrs> {
    let big = 1i64 << 40;
    let mut sets = vec![Attrs::new()];
    let singles: Vec<(&'static str, Attr)> = vec![
        ("axis", Attr::Int(0)),
        ("axis", Attr::Int(-1)),
        ("axis", Attr::Int(7)),
        ("axis", Attr::Int(i64::MIN)),
        ("axis", Attr::OptInts(Some(vec![0, 0]))),
        ("axis", Attr::OptInts(Some(vec![9]))),
        ("axis", Attr::OptInts(None)),
        ("shape", Attr::Ints(vec![-1])),
        ("shape", Attr::Ints(vec![2, -1])),
        ("shape", Attr::Ints(vec![-1, -1])),
        ("shape", Attr::Ints(vec![-7])),
        ("shape", Attr::Ints(vec![big, big])),
        ("perm", Attr::Ints(vec![1, 0])),
        ("perm", Attr::Ints(vec![0, 0])),
        ("perm", Attr::Ints(vec![5])),
        ("dtype", Attr::DType(DType::I32)),
        ("dtype", Attr::DType(DType::Bool)),
        ("k", Attr::Int(1)),
        ("k", Attr::Int(-1)),
        ("k", Attr::Int(big)),
        ("alpha", Attr::Float(f64::NAN)),
        ("padding", Attr::Str("SAME".into())),
        ("padding", Attr::Str("bogus".into())),
        ("strides", Attr::Ints(vec![0, 0])),
        ("strides", Attr::Ints(vec![1, 1, 1, 1])),
        ("depth", Attr::Int(-3)),
        ("depth", Attr::Int(big)),
        ("multiples", Attr::Ints(vec![big, big])),
        ("num", Attr::Int(0)),
        ("begin", Attr::Ints(vec![big])),
        ("size", Attr::Ints(vec![-2])),
        ("equation", Attr::Str("ij,jk->ik".into())),
        ("equation", Attr::Str("->->".into())),
    ];
    for (name, v) in singles {
        sets.push(Attrs::new().with(name, v));
    }
    sets
}

#[test]
fn huge_shapes_are_resource_errors() {
    let err = tensile::ops::array::zeros(DType::F32, &[1 << 40, 1 << 40]).unwrap_err();
    assert_eq!(err.kind, tensile::ErrorKind::ResourceExhausted, "{err}");
    let err = tensile::ops::array::broadcast_to(&Tensor::from(1.0f32), &[1 << 20, 1 << 20, 1 << 20]).unwrap_err();
    assert!(err.to_string().contains("does not fit in memory"), "{err}");
}

fn shapes() -> Vec<Vec<usize>> {
    vec![vec![], vec![0], vec![3], vec![2, 3], vec![1, 3], vec![3, 2], vec![2, 0, 3], vec![2, 2, 2, 2]]
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
                            let d = if k == 1 && seed % 4 == 0 { DType::I32 } else { dt };
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
