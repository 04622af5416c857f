//! Host evidence through VM Run Command (`--collect-host-evidence`): the Windows VMs among the Resource Graph
//! rows read run the collector's `-Summary` mode (the action API, or a managed run command writing to
//! `--evidence-container`), at most [`MAX_PARALLEL`] at a time and each within `--host-timeout`. Each summary,
//! checked against `schemas/host-summary.schema.json`, is written as `<folder>/hosts/<VM name>/
//! host-summary.json` beside the Resource Graph files, where the offline pipeline reads it as any host
//! folder. A VM whose evidence could not be had is a [`Failure`] about a host: "not evaluated" for the host
//! rules, never a pass, and not a failed collection (no exit 3 for that alone).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::managed::{self, Container};
use super::request::Client;
use super::runcommand::{self, cut};
use super::{Concerns, Failure, Progress};

/// At most this many VMs run the collector at the same time.
pub const MAX_PARALLEL: usize = 8;
const SCHEMA: &str = include_str!("../../schemas/host-summary.schema.json");
/// The action API returns only the last 4,096 bytes of output.
const ACTION_OUTPUT_LIMIT: usize = 4096;

/// A VM to collect from, as Resource Graph gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vm {
    pub id: String,
    pub name: String,
    pub location: String,
}

/// How to collect.
pub struct Plan<'a> {
    pub endpoint: &'a str,
    pub timeout: Duration,
    pub container: Option<&'a Container>,
}

/// The summaries written (path, VM resource ID) and the VMs that gave none.
#[derive(Debug, Default)]
pub struct Gathered {
    pub files: Vec<(PathBuf, String)>,
    pub failures: Vec<Failure>,
}

/// The Windows VMs in the Resource Graph result files (`{"data": [...]}`), in file order, each once.
pub fn windows_vms(files: &[PathBuf]) -> Vec<Vm> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for file in files {
        let Some(doc) = std::fs::read(file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            continue;
        };
        for row in doc.get("data").and_then(Value::as_array).into_iter().flatten() {
            let text = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let is_vm = text("type").eq_ignore_ascii_case("microsoft.compute/virtualmachines");
            if !is_vm || !row.get("properties").is_some_and(is_windows) {
                continue;
            }
            let vm = Vm {
                id: text("id"),
                name: text("name"),
                location: text("location"),
            };
            if vm.id.starts_with('/') && seen.insert(vm.id.to_ascii_lowercase()) {
                out.push(vm);
            }
        }
    }
    out
}

/// A VM's `properties` say Windows: the OS profile's `windowsConfiguration`, or the OS disk's `osType`.
/// (The ingest's fuller detection, marketplace images included, is downstream of `live/`: a VM it calls
/// Windows only by its image is not run here.)
fn is_windows(properties: &Value) -> bool {
    let os_type = properties
        .pointer("/storageProfile/osDisk/osType")
        .and_then(Value::as_str);
    properties.pointer("/osProfile/windowsConfiguration").is_some()
        || os_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("windows"))
}

/// A safe file name for a host folder: anything but `[A-Za-z0-9._-]` replaced, never `.` or `..`.
fn folder_name(name: &str) -> String {
    let safe = super::graph::safe_file_name(name);
    match safe.trim_matches('.') {
        "" => "vm".to_string(),
        _ => safe,
    }
}

/// Collect from every VM, at most [`MAX_PARALLEL`] at a time; the outcomes come back in `vms` order.
/// Each VM done counts on `progress`.
pub fn collect(client: &Client, plan: &Plan, vms: &[Vm], dir: &Path, progress: &Progress) -> Gathered {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the embedded schema is valid JSON");
    let validator = jsonschema::validator_for(&schema).expect("the embedded schema compiles");
    let mut taken = HashSet::new();
    let folders: Vec<String> = vms
        .iter()
        .map(|vm| {
            let base = folder_name(&vm.name);
            let mut name = base.clone();
            let mut n = 1;
            while !taken.insert(name.to_ascii_lowercase()) {
                n += 1;
                name = format!("{base}-{n}");
            }
            name
        })
        .collect();
    progress.hosts(vms.len());
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..vms.len().min(MAX_PARALLEL) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(vm) = vms.get(i) else { break };
                let outcome = one(client, plan, vm, &folders[i], dir, &validator);
                progress.host_done();
                done.lock().unwrap_or_else(|e| e.into_inner()).push((i, outcome));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    let mut gathered = Gathered::default();
    for (i, outcome) in done {
        match outcome {
            Ok(path) => gathered.files.push((path, vms[i].id.clone())),
            Err(cause) => gathered.failures.push(Failure {
                scope: vms[i].id.clone(),
                cause: client.redactor.clean(&cause),
                concerns: Concerns::Host,
            }),
        }
    }
    // In path order, as an offline scan of the folder walks them: the same report either way.
    gathered.files.sort();
    gathered
}

/// One VM: run, check, write `hosts/<folder>/host-summary.json`.
fn one(
    client: &Client,
    plan: &Plan,
    vm: &Vm,
    folder: &str,
    dir: &Path,
    validator: &jsonschema::Validator,
) -> Result<PathBuf, String> {
    let deadline = Instant::now() + plan.timeout;
    let text = match plan.container {
        None => runcommand::action(client, plan.endpoint, vm, deadline)?,
        Some(c) => managed::run(client, plan.endpoint, vm, c, folder, plan.timeout, deadline)?,
    };
    let summary = summary(&text, plan.container.is_none(), validator)?;
    let host = dir.join("hosts").join(folder);
    let path = host.join("host-summary.json");
    let pretty = serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n";
    std::fs::create_dir_all(&host)
        .and_then(|()| std::fs::write(&path, pretty))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The collector's output as a host summary. Run through the action API, output that is not one whole JSON
/// document was most likely cut to its last 4 KB.
fn summary(text: &str, via_action: bool, validator: &jsonschema::Validator) -> Result<Value, String> {
    let text = text.trim_start_matches('\u{feff}').trim();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) if via_action => {
            let cut_off = text.len() + 100 >= ACTION_OUTPUT_LIMIT || !text.starts_with('{');
            return Err(format!(
                "the collector's output ({} bytes) is not a complete JSON document ({e}){}; collect with --evidence-container <SAS URL>, whose output blob keeps the whole summary",
                text.len(),
                if cut_off {
                    ": truncated, the Run Command action API keeps only the last 4 KB of output"
                } else {
                    ""
                }
            ));
        }
        Err(e) => return Err(format!("the output blob is not a JSON document ({e})")),
    };
    if let Some(err) = validator.iter_errors(&value).next() {
        return Err(format!(
            "the collector's output does not match schemas/host-summary.schema.json at '{}': {}",
            err.instance_path(),
            cut(&err.to_string())
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn windows_is_told_by_the_os_profile_or_the_os_disk() {
        assert!(is_windows(&json!({"osProfile": {"windowsConfiguration": {}}})));
        assert!(is_windows(
            &json!({"storageProfile": {"osDisk": {"osType": "Windows"}}})
        ));
        assert!(!is_windows(&json!({"storageProfile": {"osDisk": {"osType": "Linux"}}})));
        assert!(!is_windows(&json!({"osProfile": {"linuxConfiguration": {}}})));
    }

    #[test]
    fn host_folders_are_safe_names() {
        assert_eq!(folder_name("NPSVM01"), "NPSVM01");
        assert_eq!(folder_name("../x/y"), ".._x_y");
        assert_eq!(folder_name(".."), "vm");
        assert_eq!(folder_name(""), "vm");
    }

    #[test]
    fn a_cut_summary_says_so_and_names_the_container() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let v = jsonschema::validator_for(&schema).unwrap();
        let e = summary("\"computer_name\": \"X\"}", true, &v).unwrap_err();
        assert!(e.contains("truncated") && e.contains("--evidence-container"), "{e}");
        let e = summary("{\"schema\": \"rdsaudit-host-summary/1\"}", true, &v).unwrap_err();
        assert!(e.contains("does not match"), "{e}");
    }
}
