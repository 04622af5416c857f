//! The command line (clap derive) and the `scan` pipeline: config, ingest, evaluate, render, gate.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{Config, FailOn};
use crate::engine::{evaluate, today_utc, Evaluation};
use crate::error::{Error, Exit};
use crate::finding::Severity;
use crate::ingest::{self, Options};
use crate::report::positions::Positions;
use crate::report::terminal::inert;
use crate::report::{self, Context, Format};
use crate::rules::{find, registry};

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
    Scan(ScanArgs),
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
    #[cfg_attr(not(feature = "live"), arg(required = true, value_name = "PATH"))]
    #[cfg_attr(
        feature = "live",
        arg(required_unless_present_any = ["subscription", "management_group"], value_name = "PATH")
    )]
    pub paths: Vec<PathBuf>,
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

fn scan(args: &ScanArgs, outputs: &[Output]) -> Result<Exit, Error> {
    #[cfg(feature = "live")]
    guard_outputs(&[args.paths.as_slice(), args.live.export.as_slice()].concat(), outputs)?;
    #[cfg(not(feature = "live"))]
    guard_outputs(&args.paths, outputs)?;
    let config = Config::discover(args.config.as_deref())?;
    #[cfg(feature = "live")]
    let live = live_inputs(args)?;
    #[cfg(feature = "live")]
    let paths = [args.paths.as_slice(), live.as_ref().map_or(&[][..], |l| &l.files)].concat();
    #[cfg(not(feature = "live"))]
    let paths = args.paths.clone();
    let mut env = ingest::load(
        &paths,
        &Options {
            skip_unknown: args.skip_unknown,
            allow_empty: args.allow_empty || config.allow_empty,
            max_input_size: args.max_input_size.unwrap_or(ingest::DEFAULT_MAX_INPUT_SIZE),
            parameters: args.parameters.clone(),
            ..Options::default()
        },
    )?;
    #[cfg_attr(not(feature = "live"), allow(unused_mut))]
    let mut eval = evaluate(&mut env, &config, &today_utc());
    #[cfg(feature = "live")]
    let partial = live.as_ref().is_some_and(|l| l.finish(&mut env, &mut eval));
    #[cfg(not(feature = "live"))]
    let partial = false;
    for w in env.warnings.iter().chain(&eval.warnings) {
        eprintln!("warning: {}", inert(w));
    }
    let positions = Positions::resolve(&env, &eval);
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for out in outputs {
        let ctx = Context {
            env: &env,
            eval: &eval,
            positions: &positions,
            color: color && out.path.is_none(),
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
    let fail_on = args
        .fail_on
        .or(config.fail_on)
        .unwrap_or(FailOn::Severity(Severity::High));
    let mut exit = if gate_fails(&eval, fail_on, args.min_score.or(config.min_score)) {
        Exit::GateFailed
    } else {
        Exit::Pass
    };
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
    let collected = crate::live::collect(&args.live)?;
    if collected.files.is_empty() && args.paths.is_empty() {
        let causes: Vec<&str> = collected.failures.iter().map(|f| f.cause.as_str()).collect();
        return Err(Error::Collection(causes.join("; ")));
    }
    for f in &collected.failures {
        eprintln!("error: live collection: {}", inert(&f.cause));
    }
    Ok(Some(collected))
}

/// The gate: an unsuppressed finding at or above the threshold, or a score below the minimum.
fn gate_fails(eval: &Evaluation, fail_on: FailOn, min_score: Option<u32>) -> bool {
    let by_severity = match fail_on {
        FailOn::Severity(t) => eval.findings.iter().any(|f| f.suppression.is_none() && f.severity >= t),
        FailOn::Never => false,
    };
    by_severity || min_score.is_some_and(|m| eval.scores.environment.value < m)
}

/// Refuse, before anything is read or written, an `--output` that is a folder, an input file, or a file
/// inside an input folder: a report must never replace the export it came from.
fn guard_outputs(inputs: &[PathBuf], outputs: &[Output]) -> Result<(), Error> {
    let inputs: Vec<PathBuf> = inputs.iter().filter_map(|p| p.canonicalize().ok()).collect();
    for path in outputs.iter().filter_map(|o| o.path.as_deref()) {
        if path.is_dir() {
            return Err(Error::Usage(format!(
                "--output {} is a folder; name a file",
                path.display()
            )));
        }
        let Some(target) = resolved(path) else { continue };
        if let Some(input) = inputs
            .iter()
            .find(|i| target == **i || (i.is_dir() && target.starts_with(i)))
        {
            return Err(Error::Usage(format!(
                "--output {} would write into the input {}; write the report elsewhere",
                path.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// The absolute path a file is or would be at (its folder resolved, links followed).
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let dir = parent_dir(path).canonicalize().ok()?;
    Some(dir.join(path.file_name()?))
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Write to a temporary file beside the target, then rename: a reader never sees half a report. The file
/// gets the usual permissions (0666 less the umask), not a temporary file's 0600. A link is followed (its
/// target gets the report, the link stays), and a device or a FIFO (`--output /dev/null`, a named pipe) is
/// written straight into: renaming over it would replace `/dev/null` with a regular file for every process.
fn write_atomically(path: &Path, document: impl Fn(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let err = |source| Error::Output {
        path: path.display().to_string(),
        source,
    };
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let device = std::fs::OpenOptions::new().write(true).open(path).map_err(err)?;
        return buffered(device, document).map_err(err);
    }
    let target = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(parent_dir(&target)).map_err(err)?;
    buffered(tmp.as_file_mut(), document).map_err(err)?;
    tmp.persist(&target).map_err(|e| err(e.error))?;
    Ok(())
}

fn buffered(w: impl Write, document: impl Fn(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(w);
    document(&mut w)?;
    w.flush()
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
