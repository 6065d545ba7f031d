//! Event files written by the summary writer, read back by the real TensorBoard package
//! (`tensorboard` from PyPI, in the virtual environment `scripts/python_env.sh` creates):
//! its EventAccumulator must see the scalars, histogram buckets, text, image pixels and the
//! graph that were written.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;
use tensile::function::{Arg, Function, FunctionOptions, TensorSpec};
use tensile::prelude::*;
use tensile::summary::{self, WriterOptions};

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("TENSILE_TB_PYTHON") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf();
    let p = root.join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run `bash scripts/python_env.sh` (it installs the tensorboard package) \
         or set TENSILE_TB_PYTHON",
        p.display()
    );
    p
}

/// What TensorBoard's loader sees in `logdir`, per run.
fn tensorboard_view(logdir: &Path) -> Json {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/tensorboard_dump.py");
    let out = Command::new(python()).arg(&script).arg(logdir).output().expect("run python");
    assert!(out.status.success(), "tensorboard_dump.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON from tensorboard_dump.py")
}

fn f(v: &Json) -> f64 {
    v.as_f64().expect("a number")
}

#[test]
fn tensorboard_reads_what_the_writer_wrote() -> Result<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let train = summary::create_file_writer(dir.path().join("train"), WriterOptions::default())?;
    let eval = summary::create_file_writer(dir.path().join("eval"), WriterOptions::default())?;
    {
        let _scope = train.as_default(None);
        for step in 0..5i64 {
            summary::scalar("loss", &Tensor::scalar(1.0f32 / (step as f32 + 1.0)), Some(&Tensor::scalar(step)), None)?;
        }
        summary::histogram(
            "weights",
            &Tensor::from(vec![1.0f32, 2.0, 3.0, 4.0]),
            Some(&Tensor::scalar(1i64)),
            None,
            None,
        )?;
        summary::text("note", "hello *TensorBoard*", Some(&Tensor::scalar(2i64)), None)?;
        // A 2-high, 3-wide RGB image of floats in [0, 1] and a 2x2 grayscale one.
        let rgb: Vec<f32> = (0..18).map(|i| i as f32 / 17.0).collect();
        summary::image("rgb", &Tensor::from_vec(rgb, &[1, 2, 3, 3])?, Some(&Tensor::scalar(3i64)), 3, None)?;
        let gray = Tensor::from_vec(vec![0.0f32, 0.5, 1.0, 0.25], &[1, 2, 2, 1])?;
        summary::image("gray", &gray, Some(&Tensor::scalar(3i64)), 3, None)?;
        let relu2 =
            Function::new("relu2", FunctionOptions { arg_names: vec!["x".into()], ..Default::default() }, |a| {
                Ok(Arg::Tensor((relu(a[0].tensor()?)? * 2.0)?))
            });
        let cf = relu2.get_concrete_function(&[TensorSpec::new(&[None], DType::F32).into()])?;
        assert!(summary::graph(cf.graph())?);
    }
    {
        let _scope = eval.as_default(Some(7.into()));
        summary::scalar("accuracy", &Tensor::scalar(0.75f32), None, None)?;
    }
    train.flush()?;
    eval.flush()?;

    let runs = tensorboard_view(dir.path());
    let train = &runs["train"];
    let loss: Vec<(i64, f64)> =
        train["scalars"]["loss"].as_array().unwrap().iter().map(|p| (p[0].as_i64().unwrap(), f(&p[1]))).collect();
    let expected: Vec<(i64, f64)> = (0..5).map(|s| (s, (1.0f32 / (s as f32 + 1.0)) as f64)).collect();
    assert_eq!(loss, expected);
    assert_eq!(runs["eval"]["scalars"]["accuracy"], serde_json::json!([[7, 0.75]]));

    // TF2's layout: 30 equal-width buckets from min to max, the last one closed.
    let hist = &train["histograms"]["weights"][0];
    assert_eq!(hist[0], 1);
    let rows = hist[1].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    for (i, row) in rows.iter().enumerate() {
        let (left, right, count) = (f(&row[0]), f(&row[1]), f(&row[2]));
        assert!((left - (1.0 + 0.1 * i as f64)).abs() < 1e-12 && (right - (1.1 + 0.1 * i as f64)).abs() < 1e-12);
        assert_eq!(count, if matches!(i, 0 | 10 | 20 | 29) { 1.0 } else { 0.0 }, "bucket {i}");
    }

    assert_eq!(train["text"]["note"], serde_json::json!([[2, "hello *TensorBoard*"]]));

    // tf.image.convert_image_dtype(saturate=True) to uint8: truncate x * 255.5, clamped.
    let byte = |x: f32| (x * 255.5).clamp(0.0, 255.0) as u8;
    let rgb = &train["images"]["rgb"][0];
    assert_eq!((rgb[0].as_i64(), rgb[1].as_i64(), rgb[2].as_i64()), (Some(3), Some(3), Some(2)));
    let pixels: Vec<u8> = (0..18).map(|i| byte(i as f32 / 17.0)).collect();
    assert_eq!(rgb[3][0], serde_json::json!([3, 2, 3, pixels]));
    let gray = &train["images"]["gray"][0];
    assert_eq!(gray[3][0], serde_json::json!([2, 2, 1, [0, 127, 255, 63]]));

    let graph = train["graph"].as_array().expect("a graph");
    let ops: Vec<&str> = graph.iter().map(|n| n["op"].as_str().unwrap()).collect();
    assert!(ops.contains(&"Placeholder") && ops.contains(&"Relu"), "{ops:?}");
    // Every input names a node of the graph.
    let names: Vec<&str> = graph.iter().map(|n| n["name"].as_str().unwrap()).collect();
    for n in graph {
        for input in n["input"].as_array().unwrap() {
            let name = input.as_str().unwrap().trim_start_matches('^');
            let name = name.split(':').next().unwrap();
            assert!(names.contains(&name), "{name} is not a node: {names:?}");
        }
    }
    Ok(())
}

#[test]
fn tensorboard_reads_writes_from_a_traced_function() -> Result<()> {
    let dir = tempfile::tempdir().expect("temp dir");
    let writer = summary::create_file_writer(dir.path(), WriterOptions::default())?;
    let step = Variable::new(Tensor::scalar(0i64), "step");
    let s2 = step.clone();
    let train =
        Function::new("train", FunctionOptions { arg_names: vec!["x".into()], ..Default::default() }, move |a| {
            let x = a[0].tensor()?;
            let loss = reduce_mean(&(x * x)?, None, false)?;
            summary::scalar("loss", &loss, Some(&s2.read_value()), None)?;
            s2.assign_add(&Tensor::scalar(1i64))?;
            Ok(Arg::Tensor(loss))
        });
    {
        let _scope = writer.as_default(None);
        for i in 1..=3 {
            train.call(&[Tensor::from(vec![i as f32, -(i as f32)]).into()])?;
        }
    }
    assert_eq!(train.tracing_count(), 1);
    writer.flush()?;
    let runs = tensorboard_view(dir.path());
    assert_eq!(runs["."]["scalars"]["loss"], serde_json::json!([[0, 1.0], [1, 4.0], [2, 9.0]]));
    Ok(())
}
