//! A template file as the scan reads it: with its deployment parameters (`<name>.parameters.json` beside
//! `<name>.json`, then every `--parameters FILE`, later ones winning as with `az deployment group create`),
//! the linked templates it names by `templateLink.relativePath`, and a warning at the place of every nested
//! deployment that could not be evaluated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::arm_template::{self, Files, Supplied};
use super::Resources;
use crate::error::InputError;
use crate::source::Source;

/// Parameter values keyed by lower-cased parameter name.
pub type Parameters = BTreeMap<String, Supplied>;

/// Whether `root` is a deployment parameter file (`deploymentParameters.json#` schema).
pub fn is_parameter_file(root: &Value) -> bool {
    let schema = root.get("$schema").and_then(Value::as_str);
    schema.is_some_and(|s| s.contains("deploymentParameters.json"))
        && root.get("parameters").is_some_and(Value::is_object)
}

/// The values of a parameter file: `{"value": ...}` literals and Key Vault `{"reference": ...}` entries.
pub fn parameters(root: &Value) -> Result<Parameters, String> {
    let entries = root
        .get("parameters")
        .and_then(Value::as_object)
        .ok_or("no \"parameters\" object")?;
    let mut out = Parameters::new();
    for (name, entry) in entries {
        let supplied = match (entry.get("value"), entry.pointer("/reference/secretName")) {
            (Some(v), _) => Supplied::Value(v.clone()),
            (None, Some(Value::String(secret))) => Supplied::KeyVault(secret.clone()),
            _ => {
                return Err(format!(
                    "parameter '{name}' has neither a value nor a Key Vault reference"
                ))
            }
        };
        out.insert(name.to_ascii_lowercase(), supplied);
    }
    Ok(out)
}

/// `x.parameters.json` for the template `x.json`.
fn sibling_parameters(template: &Path) -> Option<PathBuf> {
    let stem = template.file_stem()?.to_str()?;
    Some(template.with_file_name(format!("{stem}.parameters.json")))
}

/// `x.json` for the parameter file `x.parameters.json`.
pub fn template_of(parameters: &Path) -> Option<PathBuf> {
    let name = parameters.file_name()?.to_str()?;
    let stem = name.strip_suffix(".parameters.json")?;
    Some(parameters.with_file_name(format!("{stem}.json")))
}

/// What a template gives the scan: its own resources, and the linked files' with their sources.
pub struct Read {
    pub resources: Resources,
    pub linked: Vec<(Source, Resources)>,
    pub warnings: Vec<String>,
}

/// Linked templates, read relative to the file that links them.
struct Linked<'a> {
    /// Index 0 is the template itself, then every linked file read.
    paths: Vec<PathBuf>,
    main: &'a Source,
    sources: Vec<Source>,
}

impl Files for Linked<'_> {
    fn linked(&mut self, from: usize, relative: &str) -> Result<(usize, Value), String> {
        let dir = self.paths[from].parent().unwrap_or(Path::new("."));
        let path = dir.join(relative);
        let source = Source::load(&path, false).map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_str(&source.text).map_err(|e| format!("{}: {e}", source.display))?;
        if !arm_template::is_template(&value) {
            return Err(format!("{} is not a deployment template", source.display));
        }
        self.paths.push(path);
        self.sources.push(source);
        Ok((self.paths.len() - 1, value))
    }
}

impl Linked<'_> {
    fn source(&self, file: usize) -> &Source {
        if file == 0 {
            self.main
        } else {
            &self.sources[file - 1]
        }
    }
}

/// Expands the template `root` read from `source`, with `extra` parameter files applied after its sibling.
pub fn read(root: &Value, source: &Source, extra: &[Parameters]) -> Result<Read, InputError> {
    let mut warnings = Vec::new();
    let mut supplied = Parameters::new();
    if let Some(path) = sibling_parameters(&source.path).filter(|p| p.is_file()) {
        match load_parameters(&path) {
            Ok(values) => supplied.extend(values),
            Err(e) => warnings.push(format!("{e}; the template's defaults apply")),
        }
    }
    extra.iter().for_each(|p| supplied.extend(p.clone()));
    // As `az deployment group create --template-file x.json` names the deployment.
    let name = source.path.file_stem().and_then(|s| s.to_str()).unwrap_or("deployment");
    let mut files = Linked {
        paths: vec![source.path.clone()],
        main: source,
        sources: Vec::new(),
    };
    let expansion = match arm_template::expand(root, supplied, name, &mut files) {
        Ok(expansion) => expansion,
        Err(e) => return Err(files.source(e.file).error_at_pointer(&e.pointer, e.source.to_string())),
    };
    for u in &expansion.unevaluated {
        let at = files.source(u.file).error_at_pointer(&u.pointer, "");
        let place = at.to_string();
        warnings.push(format!(
            "{} nested deployment not evaluated: {}",
            place.trim_end(),
            u.reason
        ));
    }
    let mut resources = Resources::new();
    let mut linked: Vec<(Source, Resources)> = files.sources.into_iter().map(|s| (s, Resources::new())).collect();
    for r in expansion.resources {
        match r.file {
            0 => resources.push((r.pointer, r.value)),
            n => linked[n - 1].1.push((r.pointer, r.value)),
        }
    }
    Ok(Read {
        resources,
        linked,
        warnings,
    })
}

/// Reads a parameter file; the error names it (but never quotes it: it may hold secrets).
pub fn load_parameters(path: &Path) -> Result<Parameters, InputError> {
    let source = Source::load(path, true)?;
    let fail = |why: String| {
        InputError::new(
            &source.display,
            format!("not a usable deployment parameter file: {why}"),
        )
    };
    let value: Value =
        serde_json::from_str(&source.text).map_err(|e| fail(format!("malformed JSON at line {}", e.line())))?;
    if !is_parameter_file(&value) {
        return Err(fail(
            "no deploymentParameters.json $schema and \"parameters\" object".to_owned(),
        ));
    }
    parameters(&value).map_err(fail)
}
