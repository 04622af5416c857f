//! Thin binary: parse, run, map the error kind to the exit code (outputs.md, Exit codes).

use std::process::ExitCode;

fn main() -> ExitCode {
    match rdsaudit::cli::run(std::env::args_os()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
