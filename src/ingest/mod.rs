//! From paths on the command line to a built `Environment`: walk folders, read and decode every file once
//! (in parallel), recognise each by its content, hand what it declares to the model's typed builder. One
//! module per input family: `azure` (az CLI, ARM REST, Resource Graph, ARM templates), `host` (Windows
//! host evidence).

pub mod azure;
pub mod host;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::error::{Error, InputError};
use crate::model::{Builder, Environment};
use crate::source::{display_path, Source};
use azure::{Family, RawResource};
use host::assemble::{assemble, Folder};

#[derive(Debug, Clone)]
pub struct Options {
    /// Skip files named on the command line whose kind is unknown, instead of failing.
    pub skip_unknown: bool,
    /// Accept inputs that hold no resource and no host evidence (every list `[]`) instead of failing.
    pub allow_empty: bool,
    /// The largest file read, in bytes; a larger one is an input error before it is read.
    pub max_input_size: u64,
}

/// 1 GiB: a tenant-wide Resource Graph dump fits; a runaway file is refused before it is read.
pub const DEFAULT_MAX_INPUT_SIZE: u64 = 1 << 30;

impl Default for Options {
    fn default() -> Self {
        Self {
            skip_unknown: false,
            allow_empty: false,
            max_input_size: DEFAULT_MAX_INPUT_SIZE,
        }
    }
}

/// What reading one file gave.
enum Read {
    Inventory {
        source: Source,
        family: Family,
        resources: Vec<(String, Value)>,
    },
    Host {
        source: Source,
        parsed: host::evidence::Parsed,
    },
    Skipped {
        warning: String,
    },
}

/// Read every input and build the environment. All input errors are collected and returned together.
pub fn load(paths: &[PathBuf], opts: &Options) -> Result<Environment, Error> {
    let walked = walk::collect(paths)?;
    let reads: Vec<Result<Read, InputError>> = walked
        .files
        .par_iter()
        .map(|f| read_one(&f.path, f.named, opts))
        .collect();

    let mut builder = Builder::default();
    walked.warnings.into_iter().for_each(|w| builder.warn(w));
    let mut errors = Vec::new();
    let mut raw = Vec::new();
    let mut folders: BTreeMap<PathBuf, Folder> = BTreeMap::new();
    for read in reads {
        match read {
            Ok(Read::Inventory {
                mut source,
                family,
                resources,
            }) => {
                source.kind = family.name();
                let id = builder.source(source);
                raw.extend(resources.into_iter().map(|(pointer, value)| RawResource {
                    source: id,
                    pointer,
                    value,
                }));
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
            Ok(Read::Skipped { warning }) => builder.warn(warning),
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
    for r in raw {
        azure::add(&mut builder, r)?;
    }
    let env = builder.finish();
    if env.coverage().is_empty() && !opts.allow_empty {
        return Err(InputError::new(&shown(), nothing_to_audit(env.sources.len())).into());
    }
    Ok(env)
}

/// Recognised inputs that hold nothing rdsaudit audits: what `az ... list` prints for the wrong subscription.
fn nothing_to_audit(files: usize) -> String {
    let noun = if files == 1 { "file" } else { "files" };
    format!("nothing to audit: {files} {noun} read, all empty — did the export target the right subscription?")
}

fn read_one(path: &Path, named: bool, opts: &Options) -> Result<Read, InputError> {
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
    let mut source = Source::load(path, named)?;
    if host::evidence::is_evidence(path) {
        // Each parser decides what an empty file means (an empty group is `[]` or nothing at all).
        let parsed = host::evidence::parse(&mut source)?;
        return Ok(Read::Host { source, parsed });
    }
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if !is_json && !named {
        return Ok(Read::Skipped {
            warning: format!("{}: skipped: not an input rdsaudit reads", source.display),
        });
    }
    if source.text.trim().is_empty() {
        return Err(InputError::new(
            &source.display,
            "file is empty (did the export command fail?)",
        ));
    }
    let value: Value = serde_json::from_str(&source.text)
        .map_err(|e| source.error_at_line(e.line(), e.column(), format!("malformed JSON: {}", strip_position(&e))))?;
    match azure::recognise(value, &source)? {
        Some((family, resources)) => Ok(Read::Inventory {
            source,
            family,
            resources,
        }),
        None if named && !opts.skip_unknown => Err(InputError::new(
            &source.display,
            "not a recognised input (expected Azure inventory JSON); pass --skip-unknown to skip it",
        )),
        None => Ok(Read::Skipped {
            warning: format!("{}: skipped: not a recognised input", source.display),
        }),
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
