//! Data flows one way (CONTRIBUTING.md, The pipeline): every `crate::` path in a layer's source names only
//! the layers it may use. A new back edge fails here, with the file and the path it used.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The crate's top-level modules a file uses, from `crate::x` paths and `crate::{x, y}` groups.
fn used_modules(text: &str) -> BTreeSet<String> {
    used_after(text, "crate::")
}

/// The first path segments after `prefix` (`crate::`, `super::`), groups included; comments are skipped.
fn used_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.insert(name);
            }
        }
    }
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The sources of a layer: its folder, and its `<layer>.rs` file when there is one.
fn layer_files(layer: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let dir = src().join(layer);
    if dir.is_dir() {
        out.extend(files(&dir));
    }
    let file = src().join(format!("{layer}.rs"));
    if file.is_file() {
        out.push(file);
    }
    assert!(!out.is_empty(), "no source for layer {layer}");
    out
}

fn check(layer: &str, allowed: &[&str]) {
    let mut bad = Vec::new();
    for file in layer_files(layer) {
        let text = std::fs::read_to_string(&file).unwrap();
        for used in used_modules(&text) {
            if used != layer && !allowed.contains(&used.as_str()) {
                bad.push(format!("{} uses crate::{used}", file.display()));
            }
        }
    }
    assert!(bad.is_empty(), "{layer} may use only {allowed:?}:\n{}", bad.join("\n"));
}

#[test]
fn the_parser_of_use_lines_sees_groups_and_paths() {
    let text = "use crate::model::{Key, Ref};\nuse crate::{finding::Severity, net};\nlet x = crate::source::Origin::pointer(0, \"\"); // crate::report";
    let got: Vec<String> = used_modules(text).into_iter().collect();
    assert_eq!(got, ["finding", "model", "net", "source"]);
    let got: Vec<String> = used_after("use super::{diagnostics, Context};", "super::")
        .into_iter()
        .collect();
    assert_eq!(got, ["Context", "diagnostics"]);
}

#[test]
fn net_stands_alone() {
    check("net", &[]);
}

#[test]
fn the_model_uses_only_net_and_source() {
    check("model", &["net", "source"]);
}

#[test]
fn rules_use_the_model_net_and_findings() {
    check("rules", &["model", "net", "finding"]);
}

#[test]
fn findings_know_no_rules() {
    check("finding", &["model", "source"]);
}

#[test]
fn ingest_reads_into_the_model_and_nothing_downstream() {
    check("ingest", &["model", "net", "source", "error", "locate"]);
}

/// Live collection writes result files for `ingest` to read; it may mark failed scopes on the evaluation, but
/// neither reads inputs itself nor formats reports.
#[test]
fn live_collects_and_knows_no_ingest_or_report() {
    check("live", &["error", "engine", "finding", "model"]);
}

/// Inside `report/`, modules form no circle: every renderer uses only modules listed before it here (and
/// the shared `Context` and `WIDTH` of `report/mod.rs`, which declares them all).
#[test]
fn report_has_no_internal_circle() {
    let order = [
        "terminal",
        "excerpt",
        "positions",
        "uri",
        "md",
        "diagnostics",
        "table",
        "json",
        "sarif_log",
        "sarif",
        "markdown",
        "junit",
        "mod",
    ];
    for (i, name) in order.iter().enumerate() {
        let text = std::fs::read_to_string(src().join("report").join(format!("{name}.rs"))).unwrap();
        let used: BTreeSet<String> = used_after(&text, "super::")
            .into_iter()
            .chain(used_after(&text, "report::"))
            .collect();
        for later in &order[i + 1..] {
            assert!(
                !used.contains(*later),
                "report/{name}.rs uses {later}, which comes after it"
            );
        }
    }
    let listed = files(&src().join("report")).len();
    assert_eq!(listed, order.len(), "list every report/ module in the order above");
}
