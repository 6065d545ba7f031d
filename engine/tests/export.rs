//! Exported functions: save a concrete function with its variables, load it back, get the same
//! results without tracing; corrupt and hostile directories give clear errors.

use std::path::PathBuf;
use tensile::function::{self, Arg, Function, FunctionOptions, TensorSpec};
use tensile::ops::{linalg, math, reduce};
use tensile::prelude::*;
use tensile::ErrorKind;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tensile-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>().expect("float32")
}

/// A dense layer `relu(x @ w + b) * scale` returning a dict, with a plain `scale` argument.
fn dense() -> (Function, Variable, Variable) {
    let w = Variable::new(Tensor::from([[1.0f32, -1.0], [0.5, 2.0]]), "dense/kernel");
    let b = Variable::new(Tensor::from([0.25f32, -0.5]), "dense/bias");
    let (ww, bb) = (w.clone(), b.clone());
    let f = Function::new(
        "dense",
        FunctionOptions { arg_names: vec!["x".into(), "scale".into()], ..Default::default() },
        move |args| {
            let x = args[0].tensor()?;
            let Arg::Float(scale) = args[1] else { return Err(Error::invalid("dense", "scale must be a float")) };
            let y = math::relu(&(&linalg::matmul(x, &ww.read_value())? + &bb.read_value())?)?;
            Ok(Arg::Dict(vec![
                ("y".into(), Arg::Tensor((&y * scale)?)),
                ("total".into(), Arg::Tensor(reduce::reduce_sum(&y, None, false)?)),
            ]))
        },
    );
    (f, w, b)
}

fn unpack(out: Arg) -> (Vec<f32>, f32) {
    let Arg::Dict(d) = out else { panic!("expected a dict, got {out:?}") };
    assert_eq!(d[0].0, "y");
    assert_eq!(d[1].0, "total");
    (f32s(d[0].1.tensor().expect("y")), d[1].1.tensor().expect("total").item::<f32>().expect("scalar"))
}

#[test]
fn saved_functions_load_and_compute_the_same() -> Result<()> {
    let (f, w, _) = dense();
    let x = Tensor::from([[1.0f32, 2.0], [-3.0, 0.5]]);
    let args = [Arg::Tensor(x.clone()), Arg::Float(3.0)];
    let expected = unpack(f.call(&args)?);
    // Independently: x@w + b = [[2.25, 2.5], [-2.5, 3.5]] → relu → [[2.25, 2.5], [0, 3.5]].
    assert_eq!(expected.0, vec![6.75, 7.5, 0.0, 10.5]);
    assert_eq!(expected.1, 8.25);
    let dir = scratch("dense");
    f.concrete_functions()[0].save(&dir)?;
    let loaded = function::load(&dir)?;
    assert_eq!(loaded.name(), "dense");
    assert_eq!(unpack(loaded.call(&args)?), expected);
    // The loaded variables are its own: changing the original does not reach them.
    w.assign(&Tensor::from([[0.0f32, 0.0], [0.0, 0.0]]))?;
    assert_eq!(unpack(loaded.call(&args)?), expected);
    assert_eq!(loaded.variables()[0].name(), "dense/kernel:0");
    // The signature travels too: the plain argument must match.
    let err = loaded.call(&[Arg::Tensor(x), Arg::Float(2.0)]).expect_err("scale 2.0 was not saved");
    assert!(err.message.contains("scale") && err.message.contains("Literal[3.0]"), "{err}");
    assert_eq!(loaded.pretty_printed_signature(), f.concrete_functions()[0].pretty_printed_signature());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn loaded_functions_keep_updating_their_variables() -> Result<()> {
    let v = Variable::new(Tensor::from([1.0f32, 2.0]), "acc");
    let vv = v.clone();
    let f = Function::new(
        "accumulate",
        FunctionOptions { input_signature: Some(vec![TensorSpec::new(&[Some(2)], DType::F32)]), ..Default::default() },
        move |args| {
            vv.assign_add(args[0].tensor()?)?;
            Ok(Arg::Tensor(vv.read_value()))
        },
    );
    let cf = f.get_concrete_function(&[])?;
    let dir = scratch("acc");
    cf.save(&dir)?;
    let loaded = function::load(&dir)?;
    let d = Tensor::from([0.5f32, 0.25]);
    assert_eq!(f32s(&loaded.call(&[Arg::Tensor(d.clone())])?.tensors()[0]), vec![1.5, 2.25]);
    assert_eq!(f32s(&loaded.call(&[Arg::Tensor(d)])?.tensors()[0]), vec![2.0, 2.5]);
    assert_eq!(f32s(&v.peek()), vec![1.0, 2.0]);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn saved_dense(name: &str) -> Result<PathBuf> {
    let (f, _, _) = dense();
    f.call(&[Arg::Tensor(Tensor::from([[1.0f32, 2.0]])), Arg::Float(1.0)])?;
    let dir = scratch(name);
    f.concrete_functions()[0].save(&dir)?;
    Ok(dir)
}

fn expect_load_error(dir: &std::path::Path, needle: &str) {
    let err = function::load(dir).expect_err("a damaged directory must not load");
    assert!(err.to_string().contains(needle), "expected {needle:?} in: {err}");
}

#[test]
fn damaged_directories_give_clear_errors() -> Result<()> {
    let missing = scratch("missing");
    let err = function::load(&missing).expect_err("nothing there");
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.to_string().contains("manifest.json"), "{err}");

    let dir = saved_dense("damaged")?;
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    let weights = std::fs::read(dir.join("variables.safetensors")).expect("weights");
    let graph = std::fs::read_to_string(dir.join("graph.json")).expect("graph");

    std::fs::write(dir.join("manifest.json"), manifest.replace("\"format_version\": 1", "\"format_version\": 99"))
        .expect("write");
    expect_load_error(&dir, "unsupported format_version");
    std::fs::write(dir.join("manifest.json"), "{\"format\": \"something-else\"}").expect("write");
    expect_load_error(&dir, "not a saved function");
    std::fs::write(dir.join("manifest.json"), &manifest[..manifest.len() / 2]).expect("write");
    expect_load_error(&dir, "invalid JSON");
    // Deep nesting is refused, not followed until the stack overflows.
    let deep = format!("{}{}", "{\"list\": [".repeat(5000), "]}".repeat(5000));
    std::fs::write(
        dir.join("manifest.json"),
        manifest.replacen("\"signature\": [", &format!("\"signature\": [{deep}, "), 1),
    )
    .expect("write");
    assert!(function::load(&dir).is_err());
    // A variable whose saved dtype disagrees with the manifest.
    std::fs::write(dir.join("manifest.json"), manifest.replacen("\"dtype\": \"float32\"", "\"dtype\": \"int32\"", 1))
        .expect("write");
    expect_load_error(&dir, "in the signature but float32[1, 2] in the graph");
    let at = manifest.find("\"variables\"").expect("variables section");
    let (head, tail) = manifest.split_at(at);
    let wrong_var = format!("{head}{}", tail.replacen("\"dtype\": \"float32\"", "\"dtype\": \"int32\"", 1));
    std::fs::write(dir.join("manifest.json"), wrong_var).expect("write");
    expect_load_error(&dir, "variable dense/kernel:0: stored as F32, the manifest says int32");
    std::fs::write(dir.join("manifest.json"), &manifest).expect("write");

    std::fs::write(dir.join("variables.safetensors"), &weights[..weights.len() - 3]).expect("write");
    expect_load_error(&dir, "variables.safetensors");
    // A header that promises far more data than the file has.
    let mut lying = weights.clone();
    lying[0..8].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    std::fs::write(dir.join("variables.safetensors"), &lying).expect("write");
    expect_load_error(&dir, "variables.safetensors");
    std::fs::write(dir.join("variables.safetensors"), &weights).expect("write");

    std::fs::write(dir.join("graph.json"), graph.replace("\"matmul\"", "\"no_such_op\"")).expect("write");
    expect_load_error(&dir, "no_such_op");
    std::fs::write(dir.join("graph.json"), &graph).expect("write");
    assert!(function::load(&dir).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
