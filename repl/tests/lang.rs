//! Runs every `tests/lang/*.py` through the `tensile` binary and compares its standard output
//! with the `.out` file next to it (what CPython, or Python + TensorFlow, prints). When an
//! `.err` file exists the script must fail: standard error must match it and the exit status
//! must be 1. The example scripts in `scripts/` are checked the same way.

use std::path::Path;
use std::process::Command;

#[test]
fn corpus() {
    check_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lang"));
}

/// The example scripts in `scripts/` print what Python + TensorFlow prints for them.
#[test]
fn example_scripts() {
    check_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts"));
}

fn check_dir(dir: &Path) {
    let mut scripts: Vec<_> = std::fs::read_dir(dir)
        .expect("the script directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "py") && p.with_extension("out").exists())
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no scripts in {}", dir.display());
    let mut failures = Vec::new();
    for script in &scripts {
        let name = script.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let out = Command::new(env!("CARGO_BIN_EXE_tensile"))
            .current_dir(dir)
            .args(["run", &name])
            .output()
            .expect("the tensile binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = std::fs::read_to_string(script.with_extension("out")).unwrap_or_default();
        if stdout != expected {
            failures.push(format!("{name}: stdout differs\n{}", diff(&expected, &stdout)));
        }
        match std::fs::read_to_string(script.with_extension("err")) {
            Ok(expected_err) => {
                if stderr != expected_err {
                    failures.push(format!("{name}: stderr differs\n{}", diff(&expected_err, &stderr)));
                }
                if out.status.code() != Some(1) {
                    failures.push(format!("{name}: exit status {:?}, expected 1", out.status.code()));
                }
            }
            Err(_) => {
                if !out.status.success() {
                    failures.push(format!("{name}: failed with {:?}\n{stderr}", out.status.code()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} scripts failed:\n\n{}", failures.len(), scripts.len(), failures.join("\n"));
}

/// The first differing lines, enough to see what went wrong.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i).copied().unwrap_or("<missing>"), a.get(i).copied().unwrap_or("<missing>"));
        if x != y {
            out.push_str(&format!("  line {}:\n    expected: {x}\n    actual:   {y}\n", i + 1));
            if out.lines().count() > 30 {
                break;
            }
        }
    }
    out
}
