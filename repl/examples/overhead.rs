//! Interpreter overhead per loop iteration: a script loop of 100k scalar tensor adds, minus the
//! same adds made directly through the engine. Prints one JSON line.
//!
//! `cargo run --release -p tensile-repl --example overhead`

use std::time::Instant;
use tensile::Tensor;
use tensile_repl::Interp;

const N: usize = 100_000;

fn main() {
    // The engine alone: x = x + 1.0 with the Python float converted each time, as the script does.
    let mut best_engine = f64::MAX;
    for _ in 0..5 {
        let mut x = Tensor::scalar(0.0f32);
        let start = Instant::now();
        for _ in 0..N {
            let one = Tensor::scalar_of(x.dtype(), 1.0);
            x = tensile::ops::math::add(&x, &one).expect("add");
        }
        best_engine = best_engine.min(start.elapsed().as_secs_f64());
        assert_eq!(x.to_f64_vec()[0], N as f64);
    }
    let script = format!(
        "import tensorflow as tf\nx = tf.constant(0.0)\nfor i in range({N}):\n    x = x + 1.0\nassert float(x) == {N}\n"
    );
    let empty = format!("for i in range({N}):\n    pass\n");
    let mut interp = Interp::new();
    let mut time = |src: &str| {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            if interp.run_file(src, "bench.py").is_err() {
                panic!("the benchmark script failed");
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        best
    };
    let best_script = time(&script);
    let best_empty = time(&empty);
    let per = |t: f64| t / N as f64 * 1e9;
    println!(
        "{{\"iterations\": {N}, \"script_ns_per_iter\": {:.1}, \"engine_add_ns\": {:.1}, \"overhead_ns_per_iter\": {:.1}, \"empty_loop_ns_per_iter\": {:.1}}}",
        per(best_script),
        per(best_engine),
        per(best_script - best_engine),
        per(best_empty)
    );
}
