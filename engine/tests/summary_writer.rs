//! The summary writer: event files as TensorFlow writes them, the default writer/step/recording
//! context, summaries inside traced functions, the background writer thread's flushing, and
//! the in-memory view.

use prost::Message;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tensile::function::{Arg, Function, FunctionOptions};
use tensile::summary::proto::{self, event::What, summary::value::Value as PV, DataType, Event, TensorProto};
use tensile::summary::record::{read_record, Next};
use tensile::summary::{self as summary, Step, SummaryValue, WriterOptions};
use tensile::{ErrorKind, Result, Tensor, Variable};

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "tensile_summary_writer_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every complete event of an event file.
fn events(path: &Path) -> Vec<Event> {
    let bytes = std::fs::read(path).expect("event file");
    let mut off = 0;
    let mut out = Vec::new();
    while let Next::Record(p) = read_record(&bytes, &mut off, "test").expect("valid records") {
        out.push(Event::decode(p.as_slice()).expect("an Event"));
    }
    assert_eq!(off, bytes.len(), "no partial record after a flush");
    out
}

/// The summary events (tag, step, value) of a file, skipping the header.
fn values(path: &Path) -> Vec<(String, i64, proto::summary::Value)> {
    events(path)
        .into_iter()
        .skip(1)
        .flat_map(|e| match e.what {
            Some(What::Summary(s)) => s.value.into_iter().map(|v| (v.tag.clone(), e.step, v)).collect(),
            _ => Vec::new(),
        })
        .collect()
}

fn scalar_of(v: &proto::summary::Value) -> f32 {
    match &v.value {
        Some(PV::Tensor(t)) => f32::from_le_bytes(t.tensor_content.as_slice().try_into().expect("4 bytes")),
        other => panic!("not a tensor value: {other:?}"),
    }
}

fn file_writer(dir: &Path) -> summary::SummaryWriter {
    summary::create_file_writer(dir, WriterOptions::default()).expect("writer")
}

fn written(t: &Tensor) -> bool {
    assert_eq!(t.dtype(), tensile::DType::Bool);
    assert!(t.shape().is_empty());
    t.item::<bool>().expect("bool scalar")
}

/// Polls until `path` holds `n` events; the writer thread writes on its own schedule.
fn wait_for_events(path: &Path, n: usize) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let e = events(path);
        if e.len() >= n || Instant::now() > deadline {
            return e;
        }
        std::thread::yield_now();
    }
}

#[test]
fn scalars_and_text_are_written_as_tensorflow_writes_them() -> Result<()> {
    let dir = TempDir::new();
    let logdir = dir.path().join("run1");
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let w = file_writer(&logdir);
    assert!(logdir.is_dir(), "the log directory is created");
    let path = w.path().expect("a file writer has a path");
    assert_eq!(path.parent(), Some(logdir.as_path()));
    assert_eq!(w.logdir(), Some(logdir.as_path()));
    // events.out.tfevents.<10-digit seconds>.<host>.<pid>.<counter>.v2
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    let rest = name.strip_prefix("events.out.tfevents.").expect("prefix");
    let rest = rest.strip_suffix(".v2").expect("suffix");
    let (secs, rest) = rest.split_once('.').expect("seconds");
    assert_eq!(secs.len(), 10);
    let secs: u64 = secs.parse().expect("seconds are digits");
    assert!(secs >= before && secs <= before + 60);
    let (host_pid, counter) = rest.rsplit_once('.').expect("counter");
    counter.parse::<u64>().expect("counter is a number");
    let (host, pid) = host_pid.rsplit_once('.').expect("pid");
    assert!(!host.is_empty());
    assert_eq!(pid, std::process::id().to_string());

    {
        let _g = w.as_default(Some(Step::Value(5)));
        assert!(written(&summary::scalar("loss", &Tensor::from(2.5f32), None, None)?));
        assert!(written(&summary::scalar("acc", &Tensor::from(7i32), Some(&Tensor::from(9i64)), Some("accuracy"))?));
        assert!(written(&summary::text("note", "héllo", Some(&Tensor::from(3i32)), None)?));
    }
    w.flush()?;
    let evs = events(&path);
    assert_eq!(evs.len(), 4);
    // Header: whole seconds (the file name's), the file version.
    assert_eq!(evs[0].wall_time, secs as f64);
    assert_eq!(evs[0].step, 0);
    assert_eq!(evs[0].what, Some(What::FileVersion("brain.Event:2".into())));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    for e in &evs[1..] {
        assert!(e.wall_time >= secs as f64 && e.wall_time <= now, "{}", e.wall_time);
    }
    let vals = values(&path);
    let tags: Vec<(&str, i64)> = vals.iter().map(|(t, s, _)| (t.as_str(), *s)).collect();
    assert_eq!(tags, vec![("loss", 5), ("acc", 9), ("note", 3)]);

    // Scalar: DT_FLOAT, shape [], 4 raw bytes; metadata plugin `scalars`, data class SCALAR.
    let (_, _, loss) = &vals[0];
    let Some(PV::Tensor(t)) = &loss.value else { panic!("tensor") };
    assert_eq!(t.encode_to_vec(), [&[0x08, 0x01, 0x12, 0x00, 0x22, 0x04][..], &2.5f32.to_le_bytes()].concat());
    let mut md = b"\x0a\x09\x0a\x07scalars".to_vec();
    md.extend_from_slice(&[0x20, 0x01]);
    assert_eq!(loss.metadata.as_ref().unwrap().encode_to_vec(), md);
    assert_eq!(scalar_of(&vals[1].2), 7.0);
    let acc_md = vals[1].2.metadata.as_ref().unwrap();
    assert_eq!(acc_md.summary_description, "accuracy");
    // Text: DT_STRING, shape [], the UTF-8 bytes in string_val; plugin `text`, class TENSOR.
    let (_, _, note) = &vals[2];
    assert_eq!(
        note.value,
        Some(PV::Tensor(TensorProto {
            dtype: DataType::DtString as i32,
            tensor_shape: Some(Default::default()),
            string_val: vec!["héllo".as_bytes().to_vec()],
            ..Default::default()
        }))
    );
    let mut md = b"\x0a\x06\x0a\x04text".to_vec();
    md.extend_from_slice(&[0x20, 0x02]);
    assert_eq!(note.metadata.as_ref().unwrap().encode_to_vec(), md);
    w.close()?;
    Ok(())
}

#[test]
fn float64_and_bool_data_are_cast_to_float32_and_int64_steps_stay_exact() -> Result<()> {
    let dir = TempDir::new();
    let w = file_writer(dir.path());
    let big = (1i64 << 53) + 1;
    {
        let _g = w.as_default(None);
        summary::scalar("f64", &Tensor::from(0.1f64), Some(&Tensor::from(big)), None)?;
        summary::scalar("bool", &Tensor::from(true), Some(&Tensor::from(-4i64)), None)?;
    }
    let vals = values(&w.path().unwrap());
    assert_eq!((vals[0].1, scalar_of(&vals[0].2)), (big, 0.1f32));
    assert_eq!((vals[1].1, scalar_of(&vals[1].2)), (-4, 1.0));
    Ok(())
}

#[test]
fn default_writer_scopes_nest_and_restore() -> Result<()> {
    let (da, db) = (TempDir::new(), TempDir::new());
    let (a, b) = (file_writer(da.path()), file_writer(db.path()));
    let x = Tensor::from(1.0f32);
    assert!(summary::default_writer().is_none());
    assert!(!summary::should_record_summaries());
    // No writer: nothing is written, even without a step.
    assert!(!written(&summary::scalar("none", &x, None, None)?));
    {
        let _ga = a.as_default(Some(Step::Value(1)));
        assert!(summary::should_record_summaries());
        summary::scalar("in_a", &x, None, None)?;
        {
            let _gb = b.as_default(Some(2.into()));
            assert!(summary::default_writer().unwrap().same(&b));
            assert_eq!(summary::get_step(), Some(2));
            summary::scalar("in_b", &x, None, None)?;
            {
                // Without a step, the step is kept (and not restored).
                let _ga2 = a.as_default(None);
                assert_eq!(summary::get_step(), Some(2));
                summary::scalar("in_a_again", &x, None, None)?;
            }
            summary::scalar("in_b_again", &x, None, None)?;
        }
        assert!(summary::default_writer().unwrap().same(&a));
        assert_eq!(summary::get_step(), Some(1));
        summary::scalar("back_in_a", &x, None, None)?;
    }
    assert!(summary::default_writer().is_none());
    assert_eq!(summary::get_step(), None);
    // The guards flushed on exit: everything is on disk without an explicit flush.
    let tags = |w: &summary::SummaryWriter| -> Vec<(String, i64)> {
        values(&w.path().unwrap()).into_iter().map(|(t, s, _)| (t, s)).collect()
    };
    assert_eq!(tags(&a), vec![("in_a".into(), 1), ("in_a_again".into(), 2), ("back_in_a".into(), 1)]);
    assert_eq!(tags(&b), vec![("in_b".into(), 2), ("in_b_again".into(), 2)]);

    // set_as_default lasts; a no-op writer's as_default changes nothing.
    a.set_as_default(Some(Step::Value(40)));
    {
        let _n = summary::create_noop_writer().as_default(Some(Step::Value(99)));
        assert!(summary::default_writer().unwrap().same(&a));
        assert_eq!(summary::get_step(), Some(40));
        summary::scalar("noop_scope", &x, None, None)?;
    }
    summary::flush_default()?;
    assert_eq!(tags(&a).last().unwrap(), &("noop_scope".to_string(), 40));
    summary::set_step(None);
    let e = summary::scalar("no_step", &x, None, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(
        e.message.contains(
            "No step set. Please specify one either through the `step` argument or through \
             tf.summary.experimental.set_step()"
        ),
        "{e}"
    );
    Ok(())
}

#[test]
fn record_if_false_writes_nothing_and_restores() -> Result<()> {
    let dir = TempDir::new();
    let w = file_writer(dir.path());
    let _g = w.as_default(Some(Step::Value(3)));
    let x = Tensor::from(1.0f32);
    {
        let _off = summary::record_if(false);
        assert!(!summary::should_record_summaries());
        assert!(!written(&summary::scalar("off", &x, None, None)?));
        assert!(!written(&summary::text("off_text", "t", None, None)?));
        {
            let _on = summary::record_if(true);
            assert!(written(&summary::scalar("on", &x, None, None)?));
        }
        assert!(!written(&summary::scalar("off_again", &x, None, None)?));
    }
    assert!(written(&summary::scalar("after", &x, None, None)?));
    w.flush()?;
    let tags: Vec<String> = values(&w.path().unwrap()).into_iter().map(|(t, _, _)| t).collect();
    assert_eq!(tags, vec!["on", "after"]);
    assert_eq!(w.view().tags(), vec!["on", "after"]);
    Ok(())
}

#[test]
fn steps_come_from_set_step_as_default_and_variables_read_at_write_time() -> Result<()> {
    let dir = TempDir::new();
    let w = file_writer(dir.path());
    let x = Tensor::from(0.5f32);
    let _g = w.as_default(None);
    summary::set_step(Some(Step::Value(11)));
    assert_eq!(summary::get_step(), Some(11));
    summary::scalar("a", &x, None, None)?;
    let iterations = Variable::new(Tensor::from(100i64), "iterations");
    summary::set_step(Some(Step::from(&iterations)));
    summary::scalar("b", &x, None, None)?;
    iterations.assign_add(&Tensor::from(1i64))?;
    assert_eq!(summary::get_step(), Some(101));
    summary::scalar("c", &x, None, None)?;
    {
        let _inner = w.as_default(Some(Step::Value(7)));
        summary::scalar("d", &x, None, None)?;
        // An explicit step wins.
        summary::scalar("e", &x, Some(&Tensor::from(1i32)), None)?;
    }
    summary::scalar("f", &x, None, None)?;
    // A float variable cannot be a step.
    summary::set_step(Some(Step::Variable(Variable::new(Tensor::from(1.0f32), "fstep"))));
    let e = summary::scalar("g", &x, None, None).unwrap_err();
    assert!(e.message.contains("fstep") && e.message.contains("int64"), "{e}");
    summary::set_step(None);
    w.flush()?;
    let got: Vec<(String, i64)> = values(&w.path().unwrap()).into_iter().map(|(t, s, _)| (t, s)).collect();
    let want = [("a", 11), ("b", 100), ("c", 101), ("d", 7), ("e", 1), ("f", 101)];
    assert_eq!(got, want.iter().map(|(t, s)| (t.to_string(), *s)).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn bad_data_and_steps_are_errors_naming_the_tag() {
    // TensorFlow checks the shape before looking for a writer.
    let e = summary::scalar("weights", &Tensor::from([1.0f32, 2.0]), Some(&Tensor::from(1i64)), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("'weights'") && e.message.contains("[2]"), "{e}");
    let e = summary::scalar("s", &Tensor::from(1.0f32), Some(&Tensor::from(1.5f32)), None).unwrap_err();
    assert!(e.message.contains("step") && e.message.contains("float32"), "{e}");
    let e = summary::scalar("s", &Tensor::from(1.0f32), Some(&Tensor::from([1i64, 2])), None).unwrap_err();
    assert!(e.message.contains("step") && e.message.contains("[2]"), "{e}");
}

#[test]
fn name_scopes_prefix_tags() -> Result<()> {
    let dir = TempDir::new();
    let w = file_writer(dir.path());
    {
        let _g = w.as_default(Some(Step::Value(0)));
        tensile::name_scope("train", || summary::scalar("loss", &Tensor::from(1.0f32), None, None))?;
    }
    assert_eq!(values(&w.path().unwrap())[0].0, "train/loss");
    Ok(())
}

#[test]
fn traced_functions_write_to_the_writer_that_is_default_when_they_run() -> Result<()> {
    let (da, db) = (TempDir::new(), TempDir::new());
    let (a, b) = (file_writer(da.path()), file_writer(db.path()));
    let step = Variable::new(Tensor::from(0i64), "step");
    let s = step.clone();
    let f = Function::new("log", FunctionOptions::default(), move |args| {
        let x = args[0].tensor()?;
        s.assign_add(&Tensor::from(1i64))?;
        let y = (x * 2.0)?;
        // The value written is computed in the graph; its result is unused (never pruned).
        summary::scalar("y", &y, None, None)?;
        summary::text("msg", "called", None, None)?;
        Ok(Arg::Tensor(summary::scalar("x", x, None, None)?))
    });
    // Traced under A, with a fixed step.
    let out = {
        let _ga = a.as_default(Some(Step::Value(1000)));
        f.call(&[Tensor::from(1.0f32).into()])?
    };
    assert!(written(out.tensor()?));
    assert_eq!(f.tracing_count(), 1);
    let concrete = f.concrete_functions();
    let graph = concrete[0].graph();
    let writes = graph.nodes().iter().filter(|n| n.kind.name() == "write_summary").count();
    assert_eq!(writes, 3, "the optimized graph keeps every write");
    // Called under B, with the step variable: events land in B, steps read as the graph runs.
    {
        let _gb = b.as_default(Some(Step::from(&step)));
        for v in [2.0f32, 3.0] {
            let out = f.call(&[Tensor::from(v).into()])?;
            assert!(written(out.tensor()?));
        }
    }
    assert_eq!(f.tracing_count(), 1, "no retrace");
    // No default writer: the function runs and writes nothing.
    let out = f.call(&[Tensor::from(4.0f32).into()])?;
    assert!(!written(out.tensor()?));
    {
        let _gb = b.as_default(Some(Step::Value(50)));
        let _off = summary::record_if(false);
        assert!(!written(f.call(&[Tensor::from(5.0f32).into()])?.tensor()?));
    }
    let in_a: Vec<(String, i64, f32)> = values(&a.path().unwrap())
        .into_iter()
        .filter(|(t, _, _)| t != "msg")
        .map(|(t, s, v)| (t, s, scalar_of(&v)))
        .collect();
    assert_eq!(in_a, vec![("y".into(), 1000, 2.0), ("x".into(), 1000, 1.0)]);
    let in_b: Vec<(String, i64)> = values(&b.path().unwrap()).into_iter().map(|(t, s, _)| (t, s)).collect();
    let want = [("y", 2), ("msg", 2), ("x", 2), ("y", 3), ("msg", 3), ("x", 3)];
    assert_eq!(in_b, want.iter().map(|(t, s)| (t.to_string(), *s)).collect::<Vec<_>>());
    let ys: Vec<f64> = b.view().scalars("y").iter().map(|r| r.2).collect();
    assert_eq!(ys, vec![4.0, 6.0]);
    assert_eq!(step.peek().item::<i64>()?, 5);
    // Traced without a step anywhere: the error comes when the write runs.
    let g = Function::new("nostep", FunctionOptions::default(), |args| {
        Ok(Arg::Tensor(summary::scalar("z", args[0].tensor()?, None, None)?))
    });
    let _gb = b.as_default(None);
    let e = g.call(&[Tensor::from(1.0f32).into()]).unwrap_err();
    assert!(e.to_string().contains("No step set"), "{e}");
    Ok(())
}

#[test]
fn dropping_the_last_handle_writes_everything_out() -> Result<()> {
    let dir = TempDir::new();
    let opts = WriterOptions { max_queue: 1000, flush_millis: 3_600_000, ..Default::default() };
    let w = summary::create_file_writer(dir.path(), opts)?;
    let path = w.path().unwrap();
    let view = w.view();
    let w2 = w.clone();
    for step in 0..5 {
        summary_event(&w, "v", step, step as f32)?;
    }
    assert_eq!(events(&path).len(), 1, "nothing is due yet: only the header is on disk");
    drop(w);
    assert_eq!(events(&path).len(), 1, "another handle is alive");
    drop(w2);
    assert_eq!(events(&path).len(), 6);
    // The view outlives the writer.
    assert_eq!(view.scalars("v").len(), 5);
    Ok(())
}

/// Writes a scalar event directly (no default writer involved).
fn summary_event(w: &summary::SummaryWriter, tag: &str, step: i64, v: f32) -> Result<()> {
    let value = proto::summary::Value {
        node_name: String::new(),
        tag: tag.into(),
        metadata: Some(proto::SummaryMetadata {
            plugin_data: Some(proto::summary_metadata::PluginData { plugin_name: "scalars".into(), content: vec![] }),
            ..Default::default()
        }),
        value: Some(PV::Tensor(TensorProto {
            dtype: DataType::DtFloat as i32,
            tensor_shape: Some(Default::default()),
            tensor_content: v.to_le_bytes().to_vec(),
            ..Default::default()
        })),
    };
    w.write_event(Event { wall_time: 1.5, step, what: Some(What::Summary(proto::Summary { value: vec![value] })) })
}

#[test]
fn max_queue_and_flush_millis_decide_when_records_reach_the_file() -> Result<()> {
    let dir = TempDir::new();
    // Never due by time: only a full queue or a flush writes.
    let w = summary::create_file_writer(
        dir.path(),
        WriterOptions { max_queue: 3, flush_millis: 3_600_000, ..Default::default() },
    )?;
    let path = w.path().unwrap();
    assert_eq!(events(&path).len(), 1, "the header is written at creation");
    summary_event(&w, "q", 1, 1.0)?;
    summary_event(&w, "q", 2, 2.0)?;
    assert_eq!(events(&path).len(), 1, "two records wait for the third");
    summary_event(&w, "q", 3, 3.0)?;
    assert_eq!(wait_for_events(&path, 4).len(), 4, "a full queue is written out");
    summary_event(&w, "q", 4, 4.0)?;
    assert_eq!(events(&path).len(), 4);
    w.flush()?;
    assert_eq!(events(&path).len(), 5, "flush returns once the record is in the file");

    // Due at once by time: the first pending record is written without a flush.
    let w = summary::create_file_writer(
        dir.path().join("t"),
        WriterOptions { max_queue: 1_000_000, flush_millis: 0, ..Default::default() },
    )?;
    summary_event(&w, "t", 1, 1.0)?;
    assert_eq!(wait_for_events(&w.path().unwrap(), 2).len(), 2);

    // flush_all reaches writers no one flushes explicitly.
    let w = summary::create_file_writer(
        dir.path().join("all"),
        WriterOptions { max_queue: 1_000_000, flush_millis: 3_600_000, ..Default::default() },
    )?;
    w.set_as_default(Some(Step::Value(1)));
    summary::scalar("kept", &Tensor::from(1.0f32), None, None)?;
    assert_eq!(events(&w.path().unwrap()).len(), 1);
    summary::flush_all()?;
    assert_eq!(events(&w.path().unwrap()).len(), 2);
    Ok(())
}

#[test]
fn closed_writers_refuse_writes_and_bad_logdirs_are_clear_errors() -> Result<()> {
    let dir = TempDir::new();
    let w = file_writer(dir.path());
    summary_event(&w, "a", 1, 1.0)?;
    assert!(!w.is_closed());
    w.close()?;
    assert!(w.is_closed());
    assert_eq!(events(&w.path().unwrap()).len(), 2, "close writes everything out");
    let e = summary_event(&w, "a", 2, 2.0).unwrap_err();
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    assert!(e.message.contains("closed") && e.message.contains("events.out.tfevents"), "{e}");
    {
        let _g = w.as_default(Some(Step::Value(1)));
        assert!(summary::scalar("a", &Tensor::from(1.0f32), None, None).is_err());
    }
    w.flush()?;
    w.close()?;

    let file = dir.path().join("a_file");
    std::fs::write(&file, "x").unwrap();
    let e = summary::create_file_writer(&file, WriterOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    assert!(e.message.contains("a_file is not a directory"), "{e}");
    let e = summary::create_file_writer(file.join("sub"), WriterOptions::default()).unwrap_err();
    assert!(e.to_string().contains("a_file"), "{e}");
    Ok(())
}

#[test]
fn the_view_keeps_recent_values_per_tag_and_signals_writes() -> Result<()> {
    let dir = TempDir::new();
    let w = summary::create_file_writer(dir.path(), WriterOptions { view_capacity: 3, ..Default::default() })?;
    let view = w.view();
    assert_eq!(view.run(), dir.path().to_string_lossy());
    assert_eq!(view.capacity(), 3);
    let v0 = view.version();
    {
        let _g = w.as_default(None);
        for step in 0..5i64 {
            summary::scalar("loss", &Tensor::from(step as f32 * 0.5), Some(&Tensor::from(step)), None)?;
        }
        summary::text("notes", "first", Some(&Tensor::from(0i64)), None)?;
    }
    assert_eq!(view.version(), v0 + 6);
    assert_eq!(view.tags(), vec!["loss", "notes"]);
    let rows = view.scalars("loss");
    assert_eq!(rows.iter().map(|r| (r.0, r.2)).collect::<Vec<_>>(), vec![(2, 1.0), (3, 1.5), (4, 2.0)]);
    assert!(rows.windows(2).all(|p| p[0].1 <= p[1].1), "wall times are ordered");
    assert_eq!(view.texts("notes").iter().map(|r| r.2.as_str()).collect::<Vec<_>>(), vec!["first"]);
    assert!(view.scalars("notes").is_empty() && view.scalars("missing").is_empty());
    assert_eq!(view.values("notes")[0].value, SummaryValue::Text("first".into()));

    // Raw tensors: a histogram-shaped float64 tensor under plugin `histograms`, and a graph.
    let md = proto::SummaryMetadata {
        plugin_data: Some(proto::summary_metadata::PluginData { plugin_name: "histograms".into(), content: vec![] }),
        data_class: proto::DataClass::Tensor as i32,
        ..Default::default()
    };
    let buckets = Tensor::from([[0.0f64, 1.0, 2.0], [1.0, 2.0, 5.0]]);
    {
        let _g = w.as_default(Some(Step::Value(8)));
        summary::write_raw("tensor", "h", std::slice::from_ref(&buckets), None, &md, Default::default())?;
        summary::write_raw(
            "tensor",
            "ints",
            &[Tensor::from([1i32, 2, 3])],
            None,
            &Default::default(),
            Default::default(),
        )?;
    }
    assert_eq!(view.values("h")[0].value, SummaryValue::Histogram(vec![[0.0, 1.0, 2.0], [1.0, 2.0, 5.0]]));
    assert_eq!(
        view.values("ints")[0].value,
        SummaryValue::Tensor { plugin: String::new(), dtype: DataType::DtInt32 as i32, shape: vec![3] }
    );
    let vals = values(&w.path().unwrap());
    let (_, step, h) = vals.iter().find(|(t, _, _)| t == "h").unwrap();
    assert_eq!(*step, 8);
    let Some(PV::Tensor(t)) = &h.value else { panic!() };
    assert_eq!(t.dtype, DataType::DtDouble as i32);
    assert_eq!(t.tensor_shape.as_ref().unwrap().dim.iter().map(|d| d.size).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(t.tensor_content.len(), 6 * 8);
    assert_eq!(h.metadata.as_ref().unwrap(), &md);
    let graph = proto::GraphDef { node: vec![], versions: Some(proto::VersionDef { producer: 1, min_consumer: 0 }) };
    w.write_event(Event { wall_time: 2.0, step: 0, what: Some(What::GraphDef(graph.encode_to_vec())) })?;
    assert_eq!(view.graph().as_deref(), Some(&graph.encode_to_vec()));

    // wait_newer: returns at once when newer, waits for the next write otherwise.
    let v = view.version();
    assert_eq!(view.wait_newer(v - 1, Duration::from_secs(10)), v);
    assert_eq!(view.wait_newer(v, Duration::from_millis(1)), v, "times out unchanged");
    let waiter = {
        let view = view.clone();
        std::thread::spawn(move || view.wait_newer(v, Duration::from_secs(60)))
    };
    let _g = w.as_default(Some(Step::Value(9)));
    // Keep writing until the waiter has seen a change (it may start waiting after any write).
    while !waiter.is_finished() {
        summary::scalar("tick", &Tensor::from(1.0f32), None, None)?;
        std::thread::yield_now();
    }
    assert!(waiter.join().unwrap() > v);
    Ok(())
}

#[test]
fn noop_writers_write_nothing() -> Result<()> {
    let n = summary::create_noop_writer();
    assert!(n.path().is_none() && n.logdir().is_none());
    let _g = n.as_default(Some(Step::Value(1)));
    assert!(summary::default_writer().is_none());
    assert!(!written(&summary::scalar("x", &Tensor::from(1.0f32), None, None)?));
    n.write_event(Event::default())?;
    n.flush()?;
    n.close()?;
    assert!(n.view().tags().is_empty());
    Ok(())
}
