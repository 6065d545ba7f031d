//! Parses a file (or standard input) and prints its tree as s-expressions, or the syntax
//! error as the REPL will show it.

use std::io::Read;

fn main() {
    let path = std::env::args().nth(1);
    let (name, source) = match &path {
        Some(p) => (p.clone(), std::fs::read_to_string(p).expect("readable file")),
        None => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).expect("readable standard input");
            ("<stdin>".to_string(), s)
        }
    };
    match tensile_repl::parse_module(&source, &name) {
        Ok(m) => println!("{}", tensile_repl::sexp::module(&m)),
        Err(e) => {
            eprintln!("{e}");
            eprint!("{}", e.render(&source, false));
            std::process::exit(1);
        }
    }
}
