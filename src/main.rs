//! Thin binary: parse, run, and map how the run ended to its exit code (README, Exit codes).

use std::io::IsTerminal;
use std::process::ExitCode;

use rdsaudit::error::Error;
use rdsaudit::report::terminal::inert;

fn main() -> ExitCode {
    let exit = match rdsaudit::cli::run(std::env::args_os()) {
        Ok(exit) => exit,
        Err(e) => {
            match &e {
                Error::Input(errors) => {
                    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                    eprint!("{}", rdsaudit::report::render_input_errors(errors, color));
                }
                other => eprintln!("error: {}", inert(&other.to_string())),
            }
            e.exit()
        }
    };
    ExitCode::from(exit.code())
}
