//! What the gate compares with and where SARIF URIs start: `--baseline`, `--new-only` (the inputs read
//! before the change) and `--base-dir`.

use std::path::{Path, PathBuf};

use crate::compare::{Against, Baseline};
use crate::config::Config;
use crate::engine::evaluate;
use crate::error::Error;
use crate::gate::{Gate, DEFAULT_FAIL_ON};
use crate::ingest::{self, Options, Side};
use crate::report::positions::Positions;
use crate::report::{self, Context};

/// The baseline of `--baseline FILE`, or of `--new-only`, or none.
pub fn baseline(
    file: Option<&Path>,
    new_only: bool,
    inputs: &[PathBuf],
    options: &Options,
    config: &Config,
    render_options: &report::Options,
    today: &str,
) -> Result<Option<Baseline>, Error> {
    Ok(match file {
        Some(path) => Some(Baseline::read(path)?),
        None if new_only => Some(before_change(inputs, options, config, render_options, today)?),
        None => None,
    })
}

/// `--new-only`: the inputs read before the change (plans and what-if give their `before`; other inputs
/// read the same) and evaluated, as the baseline. Nothing before the change (a plan that creates
/// everything) is an empty baseline, not an error.
fn before_change(
    inputs: &[PathBuf],
    options: &Options,
    config: &Config,
    render_options: &report::Options,
    today: &str,
) -> Result<Baseline, Error> {
    let before = Options {
        side: Side::Before,
        allow_empty: true,
        ..options.clone()
    };
    let mut env = ingest::load(inputs, &before)?;
    let eval = evaluate(&mut env, config, today);
    let positions = Positions::resolve(&env, &eval);
    let gate = Gate::judge(&eval, None, DEFAULT_FAIL_ON, None);
    let ctx = Context {
        env: &env,
        eval: &eval,
        positions: &positions,
        color: false,
        gate: &gate,
        comparison: None,
        options: render_options,
    };
    Ok(Baseline {
        against: Against::BeforeChange,
        findings: report::priors(&ctx),
    })
}

/// `--base-dir`, else the enclosing git work tree of the current directory, else the current directory;
/// absolute and normalised.
pub fn base_dir(given: Option<&Path>) -> Result<PathBuf, Error> {
    let cwd = std::env::current_dir().map_err(|e| Error::Usage(format!("the current directory: {e}")))?;
    if let Some(dir) = given {
        return dir
            .canonicalize()
            .ok()
            .filter(|d| d.is_dir())
            .ok_or_else(|| Error::Usage(format!("--base-dir {} is not a folder", dir.display())));
    }
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let root = cwd.ancestors().find(|d| d.join(".git").exists()).unwrap_or(&cwd);
    Ok(root.to_path_buf())
}
