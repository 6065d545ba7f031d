//! The event-file reader against files written by TensorFlow 2.21
//! (`tests/fixtures/summary/make_fixtures.py`; `expected.json` is what TensorFlow read back).

use proptest::prelude::*;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use tensile::summary::proto::{event::What, Event};
use tensile::summary::reader::{
    decode_graph, read_events, runs, EventFileReader, LogDir, OnCorruption, RunReader, SummaryData,
};
use tensile::ErrorKind;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/summary")
}

fn logdir() -> PathBuf {
    fixture_dir().join("tf")
}

fn expected() -> Json {
    let text = std::fs::read_to_string(fixture_dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn event_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains("tfevents"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.pop().unwrap()
}

fn root_bytes() -> Vec<u8> {
    std::fs::read(event_file(&logdir())).unwrap()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("summary_reader_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Events and the byte offset just past each record.
fn events_with_ends(bytes: &[u8]) -> (Vec<Event>, Vec<u64>) {
    let mut r = EventFileReader::from_bytes("full", bytes.to_vec());
    let mut events = Vec::new();
    let mut ends = Vec::new();
    while let Some(e) = r.next_event().unwrap() {
        events.push(e);
        ends.push(r.offset());
    }
    assert_eq!(r.offset(), bytes.len() as u64);
    (events, ends)
}

fn drain(r: &mut EventFileReader) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(e) = r.next_event().unwrap() {
        out.push(e);
    }
    out
}

fn kind(e: &Event) -> &'static str {
    match &e.what {
        Some(What::FileVersion(_)) => "file_version",
        Some(What::GraphDef(_)) => "graph_def",
        Some(What::Summary(_)) => "summary",
        None => "none",
    }
}

fn as_f64(j: &Json) -> f64 {
    j.as_f64().unwrap()
}

#[test]
fn reads_every_record_tensorflow_wrote() {
    let exp = expected();
    let events = read_events(event_file(&logdir())).unwrap();
    assert!(matches!(&events[0].what, Some(What::FileVersion(v)) if v == "brain.Event:2"));
    assert!(events[0].wall_time > 1.6e9);
    let want: Vec<(i64, String)> = exp["."]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["step"].as_i64().unwrap(), e["what"].as_str().unwrap().to_string()))
        .collect();
    let got: Vec<(i64, String)> = events.iter().map(|e| (e.step, kind(e).to_string())).collect();
    assert_eq!(got, want);
}

/// Each summary value of the root run, decoded with the run's remembered plugins.
fn root_values() -> Vec<(i64, String, SummaryData)> {
    let mut run = RunReader::new(".", logdir(), OnCorruption::Stop);
    let events = run.poll().unwrap();
    assert!(run.take_warnings().is_empty());
    let mut out = Vec::new();
    for e in &events {
        if let Some(What::Summary(s)) = &e.what {
            for v in &s.value {
                out.push((e.step, v.tag.clone(), run.data(v).unwrap()));
            }
        }
    }
    assert_eq!(run.plugin("loss"), Some("scalars"));
    assert_eq!(run.plugin("weights"), Some("histograms"));
    assert_eq!(run.plugin("note"), Some("text"));
    assert_eq!(run.plugin("rgb"), Some("images"));
    out
}

#[test]
fn scalars_match_tensorflow() {
    let exp = expected();
    let values = root_values();
    for tag in ["loss", "lr"] {
        let want: Vec<(i64, f64)> = exp["."]["scalars"][tag]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_i64().unwrap(), as_f64(&p[1])))
            .collect();
        let got: Vec<(i64, f64)> = values
            .iter()
            .filter(|(_, t, _)| t == tag)
            .map(|(s, _, d)| match d {
                SummaryData::Scalar(x) => (*s, *x),
                other => panic!("{tag}: {other:?}"),
            })
            .collect();
        assert_eq!(got, want, "{tag}");
    }
    let loss: Vec<f64> = values.iter().filter(|v| v.1 == "loss").map(|v| (v.0 as f64) * 0.5).collect();
    assert_eq!(loss, [0.0, 0.5, 1.0, 1.5, 2.0]);
}

#[test]
fn histograms_match_tensorflow_bit_for_bit() {
    let exp = expected();
    let values = root_values();
    for tag in ["weights", "constant"] {
        let point = &exp["."]["histograms"][tag][0];
        let want: Vec<[u64; 3]> = point[2]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let r = r.as_array().unwrap();
                [r[0].as_u64().unwrap(), r[1].as_u64().unwrap(), r[2].as_u64().unwrap()]
            })
            .collect();
        let (step, _, data) = values.iter().find(|v| v.1 == tag).unwrap();
        assert_eq!(*step, point[0].as_i64().unwrap());
        let SummaryData::Histogram(rows) = data else { panic!("{tag}: {data:?}") };
        let got: Vec<[u64; 3]> = rows.iter().map(|r| r.map(f64::to_bits)).collect();
        assert_eq!(got, want, "{tag}");
        assert_eq!(rows.len(), 30);
    }
    let (_, _, SummaryData::Histogram(rows)) = values.iter().find(|v| v.1 == "weights").unwrap() else { panic!() };
    assert_eq!(rows.iter().map(|r| r[2]).sum::<f64>(), 8.0);
    assert_eq!((rows[0][0], rows[29][1]), (0.0, 13.0));
}

#[test]
fn text_matches_tensorflow() {
    let exp = expected();
    let values = root_values();
    let (step, _, data) = values.iter().find(|v| v.1 == "note").unwrap();
    assert_eq!(*step, 0);
    assert_eq!(data, &SummaryData::Text(exp["."]["text"]["note"][0][1].as_str().unwrap().to_string()));
    assert_eq!(data, &SummaryData::Text("hello **tensile**".into()));
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn images_match_tensorflow_pixels() {
    let exp = expected();
    let values = root_values();
    for tag in ["rgb", "gray"] {
        let want = &exp["."]["images"][tag][0][1];
        let (_, _, data) = values.iter().find(|v| v.1 == tag).unwrap();
        let SummaryData::Images(blob) = data else { panic!("{tag}: {data:?}") };
        assert_eq!(blob.width as u64, want["width"].as_u64().unwrap());
        assert_eq!(blob.height as u64, want["height"].as_u64().unwrap());
        assert_eq!(blob.encoded.len(), 1);
        let (w, h, pixels) = decode_png(&blob.encoded[0]);
        assert_eq!((w, h), (blob.width, blob.height));
        let want_pixels: Vec<u8> = want["pixels"][0]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter())
            .flat_map(|px| px.as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as u8))
            .collect();
        assert_eq!(pixels, want_pixels, "{tag}");
    }
    let (_, _, SummaryData::Images(rgb)) = values.iter().find(|v| v.1 == "rgb").unwrap() else { panic!() };
    assert_eq!((rgb.width, rgb.height), (3, 2));
}

fn nodes(exp: &Json) -> Vec<(String, String)> {
    exp.as_array()
        .unwrap()
        .iter()
        .map(|n| (n[0].as_str().unwrap().to_string(), n[1].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn graphs_decode_into_tensorflows_nodes() {
    let exp = expected();
    let events = read_events(event_file(&logdir())).unwrap();
    let graph = events
        .iter()
        .find_map(|e| match &e.what {
            Some(What::GraphDef(g)) => Some(decode_graph(g).unwrap()),
            _ => None,
        })
        .unwrap();
    let got: Vec<(String, String)> = graph.node.iter().map(|n| (n.name.clone(), n.op.clone())).collect();
    assert_eq!(got, nodes(&exp["."]["graph_nodes"]));
    assert!(got.contains(&("MatMul".to_string(), "MatMul".to_string())));
    let matmul = graph.node.iter().find(|n| n.op == "MatMul").unwrap();
    assert_eq!(matmul.input, ["x", "Const"]);

    let values = root_values();
    let (_, _, SummaryData::Graphs(traced)) = values.iter().find(|v| v.1 == "affine_trace").unwrap() else {
        panic!("trace_export value is not decoded as graphs")
    };
    let want = exp["."]["run_metadata_nodes"]["affine_trace"].as_array().unwrap();
    assert_eq!(traced.len(), want.len());
    for (g, w) in traced.iter().zip(want) {
        let got: Vec<(String, String)> = g.node.iter().map(|n| (n.name.clone(), n.op.clone())).collect();
        assert_eq!(got, nodes(w));
    }
}

#[test]
fn log_directory_has_two_runs() {
    let exp = expected();
    let found = runs(logdir()).unwrap();
    let names: Vec<&str> = found.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, [".", "eval"]);
    for run in &found {
        let files: Vec<String> =
            run.files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
        let want: Vec<String> =
            exp[&run.name]["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
        assert_eq!(files, want);
    }

    let mut dir = LogDir::open(logdir()).unwrap();
    let updates = dir.poll().unwrap();
    let counts: Vec<(&str, usize)> = updates.iter().map(|u| (u.run.as_str(), u.events.len())).collect();
    assert_eq!(counts, [(".", exp["."]["events"].as_array().unwrap().len()), ("eval", 4)]);
    let eval = dir.run("eval").unwrap();
    let got: Vec<(i64, f64)> = updates[1]
        .events
        .iter()
        .filter_map(|e| match &e.what {
            Some(What::Summary(s)) => Some((e.step, s.value[0].clone())),
            _ => None,
        })
        .map(|(step, v)| match eval.data(&v).unwrap() {
            SummaryData::Scalar(x) => (step, x),
            other => panic!("{other:?}"),
        })
        .collect();
    let want: Vec<(i64, f64)> = exp["eval"]["scalars"]["accuracy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_i64().unwrap(), as_f64(&p[1])))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got, [(0, 0.25), (10, 0.5), (20, 0.75)]);
    assert!(dir.poll().unwrap().is_empty(), "a second poll has nothing new");
    assert!(dir.take_warnings().is_empty());
}

#[test]
fn every_truncation_gives_a_prefix_of_the_events() {
    let bytes = root_bytes();
    let (full, ends) = events_with_ends(&bytes);
    for cut in 0..=bytes.len() {
        let mut r = EventFileReader::from_bytes("cut", bytes[..cut].to_vec());
        let got = drain(&mut r);
        let complete = ends.iter().filter(|&&end| end <= cut as u64).count();
        assert_eq!(got.len(), complete, "cut at {cut}");
        assert_eq!(got[..], full[..complete], "cut at {cut}");
        assert_eq!(r.offset(), if complete == 0 { 0 } else { ends[complete - 1] });
    }
}

#[test]
fn a_corrupt_payload_stops_or_is_skipped() {
    let bytes = root_bytes();
    let (full, ends) = events_with_ends(&bytes);
    let k = 3;
    let start = ends[k - 1] as usize;
    let mut bad = bytes.clone();
    bad[start + 12 + 2] ^= 0x10;

    let mut r = EventFileReader::from_bytes("bad.tfevents", bad.clone());
    for e in &full[..k] {
        assert_eq!(&r.next_event().unwrap().unwrap(), e);
    }
    let err = r.next_event().unwrap_err();
    assert_eq!(err.kind, ErrorKind::DataLoss);
    assert!(err.to_string().contains(&format!("bad.tfevents: corrupt record at byte {start}")), "{err}");
    assert!(err.to_string().contains("payload"), "{err}");
    assert!(r.next_event().is_err(), "Stop does not move past the record");

    let mut r = EventFileReader::from_bytes("bad.tfevents", bad).on_corruption(OnCorruption::Skip);
    let got = drain(&mut r);
    let mut want = full.clone();
    want.remove(k);
    assert_eq!(got, want);
    assert_eq!(r.warnings().len(), 1);
    assert_eq!(r.warnings()[0].offset, start as u64);
    assert!(r.warnings()[0].to_string().contains(&format!("corrupt record at byte {start}")));
}

#[test]
fn a_corrupt_length_stops_or_is_skipped() {
    let bytes = root_bytes();
    let (full, ends) = events_with_ends(&bytes);
    let start = ends[0] as usize;
    let mut bad = bytes.clone();
    bad[start + 1] ^= 0xff;
    let err = drain_result(EventFileReader::from_bytes("f", bad.clone())).unwrap_err();
    assert!(err.to_string().contains(&format!("byte {start}: the length's CRC")), "{err}");
    let mut r = EventFileReader::from_bytes("f", bad).on_corruption(OnCorruption::Skip);
    let got = drain(&mut r);
    assert_eq!(got[0], full[0]);
    assert_eq!(got[1..], full[2..]);
    assert_eq!(r.take_warnings().len(), 1);
}

fn drain_result(mut r: EventFileReader) -> tensile::Result<Vec<Event>> {
    let mut out = Vec::new();
    while let Some(e) = r.next_event()? {
        out.push(e);
    }
    Ok(out)
}

#[test]
fn tailing_a_growing_file_returns_only_new_events() {
    let bytes = root_bytes();
    let (full, ends) = events_with_ends(&bytes);
    let dir = scratch("tail");
    let path = dir.join("events.out.tfevents.1.test");
    let cut = ends[4] as usize + 7;
    std::fs::write(&path, &bytes[..cut]).unwrap();
    let mut r = EventFileReader::open(&path).unwrap();
    assert_eq!(drain(&mut r), full[..5]);
    assert_eq!(drain(&mut r), []);
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut f, &bytes[cut..cut + 20]).unwrap();
    assert_eq!(drain(&mut r), [], "still a partial record");
    std::io::Write::write_all(&mut f, &bytes[cut + 20..]).unwrap();
    assert_eq!(drain(&mut r), full[5..]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn polling_a_log_directory_sees_new_files_runs_and_records() {
    let bytes = root_bytes();
    let (full, ends) = events_with_ends(&bytes);
    let eval_bytes = std::fs::read(event_file(&logdir().join("eval"))).unwrap();
    let dir = scratch("poll");
    // Later file names sort after earlier ones, as TensorFlow's timestamped names do.
    let second = dir.join("events.out.tfevents.2000.host.1.v2");
    std::fs::write(&second, &bytes[..ends[2] as usize]).unwrap();
    let mut logdir = LogDir::open(&dir).unwrap();
    let first_poll = logdir.poll().unwrap();
    assert_eq!(first_poll.len(), 1);
    assert_eq!(first_poll[0].run, ".");
    assert_eq!(first_poll[0].events, full[..3]);

    let first = dir.join("events.out.tfevents.1000.host.1.v2");
    std::fs::write(&first, &bytes[..ends[1] as usize]).unwrap();
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::write(dir.join("a/b/events.out.tfevents.3000.host.2.v2"), &eval_bytes).unwrap();
    std::fs::write(dir.join("a/not_events.txt"), b"ignored").unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(&second).unwrap();
    std::io::Write::write_all(&mut f, &bytes[ends[2] as usize..ends[3] as usize]).unwrap();

    let update = logdir.poll().unwrap();
    let names: Vec<&str> = update.iter().map(|u| u.run.as_str()).collect();
    assert_eq!(names, [".", "a/b"]);
    // The new file sorts first, so its events come before the appended record.
    let mut want = full[..2].to_vec();
    want.push(full[3].clone());
    assert_eq!(update[0].events, want);
    assert_eq!(update[1].events.len(), 4);
    let files: Vec<PathBuf> = logdir.run(".").unwrap().files().iter().map(|p| p.to_path_buf()).collect();
    assert_eq!(files, [first, second]);
    assert!(logdir.poll().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_corrupt_file_in_a_log_directory_is_reported_and_the_rest_read() {
    let bytes = root_bytes();
    let (full, ends) = events_with_ends(&bytes);
    let dir = scratch("corrupt_logdir");
    let mut bad = bytes.clone();
    bad[ends[1] as usize + 13] ^= 1;
    std::fs::write(dir.join("events.out.tfevents.1.a"), &bad).unwrap();
    std::fs::write(dir.join("events.out.tfevents.2.a"), &bytes).unwrap();

    let mut stop = LogDir::open(&dir).unwrap();
    let update = stop.poll().unwrap();
    assert_eq!(update[0].events.len(), 2 + full.len());
    let warnings = stop.take_warnings();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].1.message.contains("DataLossError") && warnings[0].1.message.contains("stopped"));
    assert_eq!(warnings[0].1.offset, ends[1]);

    let mut skip = LogDir::open_with(&dir, OnCorruption::Skip).unwrap();
    let update = skip.poll().unwrap();
    assert_eq!(update[0].events.len(), 2 * full.len() - 1);
    assert_eq!(skip.take_warnings().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn opening_missing_paths_is_not_found() {
    let err = EventFileReader::open("/nonexistent/events.out.tfevents.1").unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(LogDir::open("/nonexistent/logdir").unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(runs("/nonexistent/logdir").unwrap_err().kind, ErrorKind::NotFound);
}

fn read_all_lenient(bytes: Vec<u8>, mode: OnCorruption) -> tensile::Result<Vec<Event>> {
    let mut r = EventFileReader::from_bytes("fuzz", bytes).on_corruption(mode);
    let mut out = Vec::new();
    // Bounded: each call either returns an event (consuming at least 16 bytes) or ends.
    for _ in 0..100_000 {
        match r.next_event()? {
            Some(e) => out.push(e),
            None => return Ok(out),
        }
    }
    panic!("reader did not terminate");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_all_lenient(bytes.clone(), OnCorruption::Stop);
        prop_assert!(read_all_lenient(bytes, OnCorruption::Skip).is_ok());
    }

    #[test]
    fn mutated_files_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)) {
        let mut bytes = root_bytes();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i.min(bytes.len()), byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        let _ = read_all_lenient(bytes.clone(), OnCorruption::Stop);
        prop_assert!(read_all_lenient(bytes, OnCorruption::Skip).is_ok());
    }

    #[test]
    fn one_flipped_byte_loses_exactly_one_record_with_skip(at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let bytes = root_bytes();
        let (full, ends) = events_with_ends(&bytes);
        let i = at.index(bytes.len());
        let mut bad = bytes;
        bad[i] ^= 1 << bit;
        let hit = ends.iter().position(|&end| (i as u64) < end).unwrap();
        let mut want = full;
        want.remove(hit);
        let got = read_all_lenient(bad.clone(), OnCorruption::Skip).unwrap();
        prop_assert_eq!(got, want);
        let stopped = read_all_lenient(bad, OnCorruption::Stop).unwrap_err();
        prop_assert_eq!(stopped.kind, ErrorKind::DataLoss);
    }
}
