//! Thin binary: parse, run, and map how the run ended to its exit code (README, Exit codes).

use std::io::IsTerminal;
use std::process::ExitCode;

use rdsaudit::error::Error;

fn main() -> ExitCode {
    let exit = match rdsaudit::cli::run(std::env::args_os()) {
        Ok(exit) => exit,
        Err(e) => {
            match &e {
                Error::Input(errors) => {
                    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                    eprint!("{}", rdsaudit::report::render_input_errors(errors, color));
                }
                other => eprintln!("error: {other}"),
            }
            e.exit()
        }
    };
    ExitCode::from(exit.code())
}
