use std::time::Instant;
use tensile::kernels::fused::{run, Program};
fn main() {
    let n = 1 << 20;
    let x: Vec<f32> = (0..n).map(|i| ((i * 7919 % 2000) as f32) / 500.0 - 2.0).collect();
    for text in [
        "r1 = mul r0 2.0; return r1",
        "r1 = tanh r0; return r1",
        "r1 = sigmoid r0; return r1",
        "r1 = exp r0; return r1",
        "r1 = mul r0 2.0; r2 = add r1 1.0; r3 = tanh r2; r4 = sigmoid r0; r5 = mul r3 r4; r6 = sub r5 r0; return r6",
    ] {
        let p = Program::parse(text, 1).unwrap();
        for _ in 0..5 {
            std::hint::black_box(run(&p, &[&x], n));
        }
        let mut v = vec![];
        for _ in 0..15 {
            let s = Instant::now();
            std::hint::black_box(run(&p, &[&x], n));
            v.push(s.elapsed().as_secs_f64());
        }
        v.sort_by(|a, b| a.total_cmp(b));
        println!("{:.3} ns/elem  {text}", v[7] / n as f64 * 1e9);
    }
}
