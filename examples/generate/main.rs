//! Writes a generated environment of N stacks in one input family, for benchmarks:
//!
//! ```sh
//! cargo run --release --example generate -- --family az-cli --stacks 5000 --out /tmp/gen/az5000
//! ```
//!
//! Families: `az-cli` (the 8 `az ... list` files), `resource-graph` (one `az graph query` result),
//! `arm-template` (one `az group export` template), `hosts` (one evidence folder per VM). The same N always
//! gives the same bytes.

mod environment;
mod resources;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: generate --family az-cli|resource-graph|arm-template|hosts --stacks N --out DIR";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let family = value("--family").and_then(|f| environment::Family::from_name(f));
    let stacks = value("--stacks").and_then(|n| n.parse::<usize>().ok());
    let (Some(family), Some(stacks), Some(out)) = (family, stacks, value("--out")) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match environment::write(family, stacks, &PathBuf::from(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {out}: {e}");
            ExitCode::FAILURE
        }
    }
}
