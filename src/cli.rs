//! The command line (clap derive) and the `scan` pipeline: config, ingest, evaluate, render, gate.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::compare::Comparison;
use crate::config::{Config, FailOn};
use crate::engine::{evaluate, today_utc};
use crate::error::{Error, Exit};
use crate::gate::{Gate, DEFAULT_FAIL_ON};
use crate::ingest::{self, Options, Side};
use crate::report::positions::Positions;
use crate::report::terminal::inert;
use crate::report::{self, Context, Format};
use crate::rules::{find, registry};

mod compare;
mod output;

use output::{buffered, guard_outputs, write_atomically};

/// Audit secure remote access (RD Gateway, NPS, Entra MFA) to VMs in Microsoft Entra Domain Services.
#[derive(Debug, Parser)]
#[command(name = "rdsaudit", version, propagate_version = true, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan exported Azure inventory files or folders and report findings.
    Scan(Box<ScanArgs>),
    /// List the rule catalog.
    Rules,
    /// Print a rule's documentation.
    Explain {
        /// A rule ID, e.g. RDS003.
        id: String,
    },
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to read (folders are walked).
    #[cfg_attr(not(feature = "live"), arg(required_unless_present = "plan", value_name = "PATH"))]
    #[cfg_attr(
        feature = "live",
        arg(required_unless_present_any = ["plan", "subscription", "management_group", "all_subscriptions"], value_name = "PATH")
    )]
    pub paths: Vec<PathBuf>,
    /// A Terraform plan (`terraform show -json`) or ARM what-if to judge: one more input, like a PATH.
    #[arg(long, value_name = "FILE", action = clap::ArgAction::Append)]
    pub plan: Vec<PathBuf>,
    /// Fail only on findings absent from this earlier JSON report of rdsaudit (matched by fingerprint);
    /// the reports list new, unchanged and absent (fixed) findings.
    #[arg(long, value_name = "FILE", conflicts_with = "new_only")]
    pub baseline: Option<PathBuf>,
    /// Fail only on findings a change introduces: plans and what-if are also read before the change, and
    /// findings are compared as with --baseline.
    #[arg(long)]
    pub new_only: bool,
    /// SARIF `runAutomationDetails.id`: a category per upload when several SARIF files go with one commit.
    #[arg(long, value_name = "CATEGORY")]
    pub sarif_category: Option<String>,
    /// SARIF artifact URIs are relative to this folder (`%SRCROOT%`) [default: the enclosing git work tree,
    /// else the current directory].
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Output format; repeat for several. Each --output goes with the --format before it.
    #[arg(short, long, value_enum, action = clap::ArgAction::Append)]
    pub format: Vec<Format>,
    /// Write the preceding --format to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE", action = clap::ArgAction::Append)]
    pub output: Vec<PathBuf>,
    /// Fail (exit 1) on unsuppressed findings at or above this severity [default: high; or `none`].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
    /// Fail (exit 1) when the environment score is below this.
    #[arg(long, value_name = "SCORE", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub min_score: Option<u32>,
    /// Config file [default: ./rdsaudit.toml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Skip files named on the command line whose kind is not recognised, instead of failing.
    #[arg(long)]
    pub skip_unknown: bool,
    /// Accept inputs that hold no resource and no host evidence (every rule is then listed as not
    /// evaluated) instead of failing with exit 2.
    #[arg(long)]
    pub allow_empty: bool,
    /// The largest input file read, in bytes, or with a unit: 200MB, 2GiB [default: 1GiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_input_size: Option<u64>,
    /// A deployment parameter file for the templates scanned (repeatable; later files win, as with
    /// `az deployment group create --parameters`). `x.parameters.json` beside `x.json` applies by itself.
    #[arg(long, value_name = "FILE", action = clap::ArgAction::Append)]
    pub parameters: Vec<PathBuf>,
    /// No progress display on stderr (a live scan shows one only when stderr is a terminal); warnings,
    /// errors and the verdict are still printed.
    #[arg(short, long)]
    pub quiet: bool,
    #[cfg(feature = "live")]
    #[command(flatten)]
    pub live: Box<crate::live::LiveArgs>,
}

/// `1048576`, `500KB`, `200MB`, `2GiB` (K/M/G are powers of 1024, with or without `i` and `B`).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 200MB)"))?;
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches('B')
        .trim_end_matches('I')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("'{s}': the unit is one of B, KB, MB, GB")),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("'{s}' is too large"))
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    FailOn::parse(s).ok_or_else(|| format!("'{s}' is not one of critical, high, medium, low, info, none"))
}

/// Parse the arguments and run; `Ok` holds the exit code of a run that could read its inputs.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<Exit, Error> {
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let exit = if e.use_stderr() { Exit::Error } else { Exit::Pass };
            let _ = e.print();
            return Ok(exit);
        }
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|e| Error::Usage(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Scan(args) => {
            let scan_matches = matches
                .subcommand_matches("scan")
                .ok_or_else(|| Error::Usage("scan".into()))?;
            scan(&args, &pair_outputs(&args, scan_matches)?)
        }
        Command::Rules => {
            for r in registry() {
                let m = r.meta();
                let _ = writeln!(
                    stdout,
                    "{:<8} {:<9} {:<26} {}",
                    m.id,
                    m.severity.as_str(),
                    m.name,
                    m.short
                );
            }
            Ok(Exit::Pass)
        }
        Command::Explain { id } => match find(&id) {
            Some(r) => {
                let _ = write!(stdout, "{}", r.meta().help);
                Ok(Exit::Pass)
            }
            None => Err(Error::Usage(format!(
                "unknown rule '{id}'; `rdsaudit rules` lists them"
            ))),
        },
        Command::Completions { shell } => {
            // Generated in memory: clap_complete panics on a write error, and `| head` closes the pipe early.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "rdsaudit", &mut script);
            let _ = stdout.write_all(&script);
            Ok(Exit::Pass)
        }
    }
}

/// Where one rendered format goes.
#[derive(Debug, PartialEq, Eq)]
struct Output {
    format: Format,
    path: Option<PathBuf>,
}

/// Pair each `--output` with the `--format` given before it (by position on the command line).
fn pair_outputs(args: &ScanArgs, m: &ArgMatches) -> Result<Vec<Output>, Error> {
    let fmt_idx: Vec<usize> = m.indices_of("format").map(Iterator::collect).unwrap_or_default();
    let out_idx: Vec<usize> = m.indices_of("output").map(Iterator::collect).unwrap_or_default();
    let mut outputs: Vec<Output> = args.format.iter().map(|f| Output { format: *f, path: None }).collect();
    for (path, idx) in args.output.iter().zip(out_idx) {
        let owner = fmt_idx.iter().rposition(|&f| f < idx).ok_or_else(|| {
            Error::Usage(format!(
                "--output {} must follow the --format it is for",
                path.display()
            ))
        })?;
        if outputs[owner].path.replace(path.clone()).is_some() {
            return Err(Error::Usage(format!(
                "--format {} has two --output files",
                outputs[owner].format
            )));
        }
    }
    if outputs.is_empty() {
        outputs.push(Output {
            format: Format::Table,
            path: None,
        });
    }
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        return Err(Error::Usage(
            "at most one --format can go to stdout; give the others an --output file".into(),
        ));
    }
    Ok(outputs)
}

impl ScanArgs {
    /// The inputs: the PATHs, then every `--plan`.
    fn inputs(&self) -> Vec<PathBuf> {
        self.paths.iter().chain(&self.plan).cloned().collect()
    }
}

fn scan(args: &ScanArgs, outputs: &[Output]) -> Result<Exit, Error> {
    let inputs = args.inputs();
    #[cfg(feature = "live")]
    guard_outputs(&[inputs.as_slice(), args.live.export.as_slice()].concat(), outputs)?;
    #[cfg(not(feature = "live"))]
    guard_outputs(&inputs, outputs)?;
    let config = Config::discover(args.config.as_deref())?;
    #[cfg(feature = "live")]
    let live = live_inputs(args)?;
    #[cfg(feature = "live")]
    let inputs = [inputs.as_slice(), live.as_ref().map_or(&[][..], |l| &l.files)].concat();
    let options = Options {
        skip_unknown: args.skip_unknown,
        allow_empty: args.allow_empty || config.allow_empty,
        max_input_size: args.max_input_size.unwrap_or(ingest::DEFAULT_MAX_INPUT_SIZE),
        parameters: args.parameters.clone(),
        side: Side::After,
    };
    let render_options = report::Options {
        sarif_category: args.sarif_category.clone(),
        base_dir: Some(compare::base_dir(args.base_dir.as_deref())?),
        severity: config.severity.clone(),
    };
    let today = today_utc();
    let baseline = compare::baseline(
        args.baseline.as_deref(),
        args.new_only,
        &inputs,
        &options,
        &config,
        &render_options,
        &today,
    )?;
    let mut env = ingest::load(&inputs, &options)?;
    #[cfg_attr(not(feature = "live"), allow(unused_mut))]
    let mut eval = evaluate(&mut env, &config, &today);
    #[cfg(feature = "live")]
    let partial = live.as_ref().is_some_and(|l| l.finish(&mut env, &mut eval));
    #[cfg(not(feature = "live"))]
    let partial = false;
    for w in env.warnings.iter().chain(&eval.warnings) {
        eprintln!("warning: {}", inert(w));
    }
    let comparison = baseline.map(|b| Comparison::new(b, &eval.findings));
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(DEFAULT_FAIL_ON);
    let gate = Gate::judge(&eval, comparison.as_ref(), fail_on, args.min_score.or(config.min_score));
    let positions = Positions::resolve(&env, &eval);
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for out in outputs {
        let ctx = Context {
            env: &env,
            eval: &eval,
            positions: &positions,
            color: color && out.path.is_none(),
            gate: &gate,
            comparison: comparison.as_ref(),
            options: &render_options,
        };
        let document = |w: &mut dyn Write| report::write(out.format, &ctx, w);
        match &out.path {
            Some(path) => write_atomically(path, document)?,
            None => {
                // A closed pipe (`| head`) ends the output quietly.
                let _ = buffered(std::io::stdout().lock(), document);
            }
        }
    }
    // The last line on stderr, whatever the formats.
    eprintln!("{}", inert(&gate.verdict()));
    let mut exit = if gate.passed { Exit::Pass } else { Exit::GateFailed };
    if partial {
        exit = exit.worst(Exit::Partial);
    }
    // The process ends here: freeing a tenant's model piece by piece would only delay the exit.
    std::mem::forget((env, eval, positions));
    Ok(exit)
}

/// Read the live scopes, if any. Each scope that failed is said on stderr; nothing read at all, and no
/// file given either, is a collection failure (exit 3).
#[cfg(feature = "live")]
fn live_inputs(args: &ScanArgs) -> Result<Option<crate::live::Collected>, Error> {
    if !args.live.is_live() {
        return Ok(None);
    }
    let progress = crate::live::Progress::new(!args.quiet && std::io::stderr().is_terminal());
    let collected = crate::live::collect(&args.live, &progress);
    progress.finish();
    let collected = collected?;
    let failures = crate::live::failure_lines(&collected.failures);
    if collected.files.is_empty() && args.inputs().is_empty() {
        for w in &collected.warnings {
            eprintln!("warning: {}", inert(w));
        }
        return Err(Error::Collection(failures.join("; ")));
    }
    for f in &failures {
        eprintln!("error: live collection: {}", inert(f));
    }
    for f in collected
        .failures
        .iter()
        .filter(|f| f.concerns == crate::live::Concerns::Host)
    {
        eprintln!(
            "warning: host evidence of {} not collected, its host rules are not evaluated: {}",
            inert(&f.scope),
            inert(&f.cause)
        );
    }
    Ok(Some(collected))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_or_without_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("200MB"), Ok(200 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("5 k"), Ok(5 << 10));
        assert!(parse_size("12 parsecs").is_err() && parse_size("").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
