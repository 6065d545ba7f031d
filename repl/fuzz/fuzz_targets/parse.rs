//! Any text through the parser, the completeness check and the error renderer: no panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    match tensile_repl::parse_module(src, "fuzz.py") {
        Ok(m) => {
            let _ = tensile_repl::sexp::module(&m);
        }
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= src.len());
            let _ = e.render(src, false);
        }
    }
    let _ = tensile_repl::is_complete(src);
    let _ = tensile_repl::parse_expression(src, "fuzz.py");
});
