//! The `tensile` command: the interactive REPL on a terminal, or a batch run of a script
//! file, a `-c` string or a script piped on stdin.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use tensile_repl::{Interp, RunError};

const USAGE: &str = "usage: tensile              (interactive)\n       tensile run FILE.py [ARGS...]\n       tensile -c CODE [ARGS...]\n       tensile < FILE.py";

fn run(file: &str, text: &str, argv: Vec<String>) -> ExitCode {
    let mut interp = Interp::new();
    interp.argv = argv;
    let result = interp.run_file(text, file);
    interp.flush();
    report_unflushed(tensile::summary::flush_all());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(RunError::Syntax(e)) => {
            eprint!("{}", e.render(text, false));
            ExitCode::from(1)
        }
        Err(RunError::Exception(u)) => {
            if u.type_name() == "SystemExit" {
                return ExitCode::from(interp.exit_status(&u));
            }
            eprint!("{}", u.render());
            ExitCode::from(1)
        }
    }
}

/// Summary writers still open at exit write what they hold; a failure is reported, not lost.
fn report_unflushed(result: tensile::Result<()>) {
    if let Err(e) = result {
        eprintln!("tensile: {e}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => {
            let Some(file) = args.get(1) else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            match std::fs::read_to_string(file) {
                Ok(text) => run(file, &text, args[1..].to_vec()),
                Err(e) => {
                    eprintln!("tensile: can't open file '{file}': {e}");
                    ExitCode::from(2)
                }
            }
        }
        Some("-c") => match args.get(1) {
            Some(code) => {
                let mut argv = vec!["-c".to_string()];
                argv.extend(args[2..].iter().cloned());
                run("<string>", code, argv)
            }
            None => {
                eprintln!("Argument expected for the -c option\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) if other != "-" => {
            eprintln!("tensile: unknown command '{other}'\n{USAGE}");
            ExitCode::from(2)
        }
        _ => {
            if args.is_empty() && std::io::stdin().is_terminal() {
                return tensile_repl::session::run();
            }
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                eprintln!("tensile: can't read standard input: {e}");
                return ExitCode::from(2);
            }
            run("<stdin>", &text, vec![String::new()])
        }
    }
}
