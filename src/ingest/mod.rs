//! From paths on the command line to a built `Environment`: walk folders, read and decode every file once
//! (in parallel), recognise each by its content, hand what it declares to the model's typed builder. One
//! module per input family: `azure` (az CLI, ARM REST, Resource Graph, ARM templates), `host` (Windows
//! host evidence).

pub mod azure;
pub mod host;
pub mod terraform;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, InputError};
use crate::model::{Builder, Environment};
use crate::source::{display_path, Source};
use azure::stream::Streamed;
use azure::template::{self, Parameters};
use azure::{Family, Staged};
use host::assemble::{assemble, Folder};

#[derive(Debug, Clone)]
pub struct Options {
    /// Skip files named on the command line whose kind is unknown, instead of failing.
    pub skip_unknown: bool,
    /// Accept inputs that hold no resource and no host evidence (every list `[]`) instead of failing.
    pub allow_empty: bool,
    /// The largest file read, in bytes; a larger one is an input error before it is read.
    pub max_input_size: u64,
    /// Deployment parameter files applied to every template, in order (later files win).
    pub parameters: Vec<PathBuf>,
    /// Which state of a change input (a Terraform plan, an ARM what-if) is read. Inputs that describe one
    /// state (exports, templates, host evidence) read the same on both sides.
    pub side: Side,
}

/// The state a change input describes before or after the change: `After` is judged; `Before` is read too
/// for `--new-only`, which fails only on findings the change introduces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Side {
    Before,
    #[default]
    After,
}

/// 1 GiB: a tenant-wide Resource Graph dump fits; a runaway file is refused before it is read.
pub const DEFAULT_MAX_INPUT_SIZE: u64 = 1 << 30;

impl Default for Options {
    fn default() -> Self {
        Self {
            skip_unknown: false,
            allow_empty: false,
            max_input_size: DEFAULT_MAX_INPUT_SIZE,
            parameters: Vec::new(),
            side: Side::default(),
        }
    }
}

/// What reading one file gave.
enum Read {
    Inventory {
        family: Family,
        /// The file, then the templates it links to (read with it): source IDs 0, 1.. in `staged`.
        sources: Vec<Source>,
        staged: Vec<Staged>,
        warnings: Vec<String>,
    },
    Host {
        source: Source,
        parsed: host::evidence::Parsed,
    },
    Skipped {
        warning: Option<String>,
    },
}

/// Read every input and build the environment. All input errors are collected and returned together.
pub fn load(paths: &[PathBuf], opts: &Options) -> Result<Environment, Error> {
    let mut walked = walk::collect(paths)?;
    let parameters = opts
        .parameters
        .iter()
        .map(|p| template::load_parameters(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Input(vec![e]))?;
    // A `--parameters` file found again in a walked folder is already applied.
    let given: Vec<PathBuf> = opts
        .parameters
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    walked
        .files
        .retain(|f| std::fs::canonicalize(&f.path).map_or(true, |c| !given.contains(&c)));
    let reads: Vec<Result<Read, InputError>> = walked
        .files
        .par_iter()
        .map(|f| read_one(&f.path, f.named, opts, &parameters))
        .collect();

    let mut builder = Builder::default();
    walked.warnings.into_iter().for_each(|w| builder.warn(w));
    let mut errors = Vec::new();
    let mut staged = Vec::new();
    let mut folders: BTreeMap<PathBuf, Folder> = BTreeMap::new();
    for read in reads {
        match read {
            Ok(Read::Inventory {
                family,
                sources,
                staged: mut file,
                warnings,
            }) => {
                warnings.into_iter().for_each(|w| builder.warn(w));
                let base = builder.sources().len();
                for mut source in sources {
                    source.kind = family.name();
                    builder.source(source);
                }
                file.iter_mut().for_each(|s| s.rebase(base));
                staged.push(file);
            }
            Ok(Read::Host { source, parsed }) => {
                let dir = source.path.parent().map(Path::to_path_buf).unwrap_or_default();
                let folder = folders.entry(dir.clone()).or_insert_with(|| Folder {
                    display: display_path(&dir),
                    path: dir,
                    files: Vec::new(),
                });
                folder.files.push((builder.source(source), parsed));
            }
            Ok(Read::Skipped { warning }) => warning.into_iter().for_each(|w| builder.warn(w)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let shown = || {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if builder.sources().is_empty() {
        return Err(InputError::new(&shown(), "no recognised input: expected Azure inventory JSON (az CLI, Resource Graph, ARM REST or an exported template) or host evidence folders").into());
    }
    for folder in folders.into_values() {
        let host = assemble(folder, builder.sources());
        builder.host(host);
    }
    for s in staged.into_iter().flatten() {
        s.apply(&mut builder)?;
    }
    let env = builder.finish();
    if env.coverage().is_empty() && !opts.allow_empty {
        // The warnings may say why (a linked template not found, a file skipped): they go with the error.
        let mut message = nothing_to_audit(env.sources.len());
        for w in &env.warnings {
            message.push_str(&format!("\n  warning: {w}"));
        }
        return Err(InputError::new(&shown(), message).into());
    }
    Ok(env)
}

/// Recognised inputs that hold nothing rdsaudit audits: what `az ... list` prints for the wrong subscription.
fn nothing_to_audit(files: usize) -> String {
    let noun = if files == 1 { "file" } else { "files" };
    format!("nothing to audit: {files} {noun} read, all empty — did the export target the right subscription?")
}

fn read_one(path: &Path, named: bool, opts: &Options, parameters: &[Parameters]) -> Result<Read, InputError> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    if size > opts.max_input_size {
        return Err(InputError::new(
            &display_path(path),
            format!(
                "file is {size} bytes, over --max-input-size {} (raise it to read this file)",
                opts.max_input_size
            ),
        ));
    }
    if let Some(message) = bicep(path) {
        let display = display_path(path);
        return match named {
            true => Err(InputError::new(&display, message)),
            false => Ok(Read::Skipped {
                warning: Some(format!("{display}: skipped: {message}")),
            }),
        };
    }
    let mut source = Source::load(path, named)?;
    if host::evidence::is_evidence(path) {
        // Each parser decides what an empty file means (an empty group is `[]` or nothing at all).
        let parsed = host::evidence::parse(&mut source)?;
        return Ok(Read::Host { source, parsed });
    }
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if !is_json && !named {
        return Ok(Read::Skipped {
            warning: Some(format!("{}: skipped: not an input rdsaudit reads", source.display)),
        });
    }
    if source.text.trim().is_empty() {
        return Err(InputError::new(
            &source.display,
            "file is empty (did the export command fail?)",
        ));
    }
    let value = match azure::stream::read(&source) {
        Some(Streamed::Staged(Some((family, staged, elements)))) => {
            source.elements = Some(elements);
            return Ok(inventory(family, vec![source], staged, Vec::new()));
        }
        Some(Streamed::Staged(None)) => return unrecognised(source, named, opts),
        Some(Streamed::Document(value)) => value,
        None => serde_json::from_str(&source.text).map_err(|e| {
            source.error_at_line(e.line(), e.column(), format!("malformed JSON: {}", strip_position(&e)))
        })?,
    };
    if terraform::is_terraform(&value) {
        return read_terraform(source, &value, opts.side);
    }
    if template::is_parameter_file(&value) {
        return Ok(Read::Skipped {
            warning: parameter_file_alone(&source),
        });
    }
    let Some(r) = azure::recognise(value, &source, parameters, opts.side)? else {
        return unrecognised(source, named, opts);
    };
    let mut staged = azure::stage(&source, 0, r.resources);
    let mut sources = vec![source];
    for (local, (linked, resources)) in (1..).zip(r.linked) {
        staged.extend(azure::stage(&linked, local, resources));
        sources.push(linked);
    }
    Ok(inventory(r.family, sources, staged, r.warnings))
}

/// A Terraform plan or state: its resources on `side`, and the spans of its sensitive values as the
/// source's secrets, which no output prints.
fn read_terraform(mut source: Source, value: &serde_json::Value, side: Side) -> Result<Read, InputError> {
    let read = terraform::read(value, &source, side)?;
    let pointers: Vec<&str> = read.secrets.iter().map(String::as_str).collect();
    let spans = crate::locate::locate_pointers(&source.text, &pointers);
    source.secrets.extend(spans.into_iter().flatten());
    let family = match read.kind {
        terraform::Kind::Plan => Family::TerraformPlan,
        terraform::Kind::State => Family::TerraformState,
    };
    Ok(inventory(family, vec![source], read.staged, read.warnings))
}

fn inventory(family: Family, sources: Vec<Source>, staged: Vec<Staged>, warnings: Vec<String>) -> Read {
    Read::Inventory {
        family,
        sources,
        staged,
        warnings,
    }
}

/// A JSON file that is no input rdsaudit knows: an error when named (unless `--skip-unknown`), else skipped.
fn unrecognised(source: Source, named: bool, opts: &Options) -> Result<Read, InputError> {
    match named && !opts.skip_unknown {
        true => Err(InputError::new(
            &source.display,
            "not a recognised input (expected Azure inventory JSON); pass --skip-unknown to skip it",
        )),
        false => Ok(Read::Skipped {
            warning: Some(format!("{}: skipped: not a recognised input", source.display)),
        }),
    }
}

/// A deployment parameter file is no inventory: it applies to the template beside it (read with that
/// template, so nothing to say) or, found alone, is skipped with a warning naming the template it is for.
fn parameter_file_alone(source: &Source) -> Option<String> {
    let template = template::template_of(&source.path);
    if template.as_deref().is_some_and(Path::is_file) {
        return None;
    }
    let name = template
        .as_deref()
        .and_then(Path::file_name)
        .map_or("its template".to_owned(), |n| n.to_string_lossy().into_owned());
    Some(format!(
        "{}: skipped: deployment parameters for {name}, which is not beside it; scan the template with --parameters {}",
        source.display, source.display
    ))
}

/// Bicep is compiled to the ARM JSON rdsaudit reads; the message says how.
fn bicep(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let name = path.file_name()?.to_string_lossy();
    match ext.as_str() {
        "bicep" => Some(format!(
            "Bicep is not read directly: compile it with `az bicep build --file {name}` and scan the JSON template it writes"
        )),
        "bicepparam" => Some(format!(
            "Bicep parameters are not read directly: compile them with `az bicep build-params --file {name}` and pass the JSON with --parameters"
        )),
        _ => None,
    }
}

/// serde_json appends " at line L column C" to its messages; the location is reported separately.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
