//! The change-aware gate end to end: the verdict line, `--baseline`, `--new-only`, `--plan`, and fingerprints
//! that survive reformatting, reordering and unrelated edits.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use serde_json::Value;

fn rdsaudit() -> Command {
    let mut c = Command::cargo_bin("rdsaudit").unwrap();
    c.env("NO_COLOR", "1").env("RAYON_NUM_THREADS", "2");
    c
}

fn contoso() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/environments/contoso")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).expect("a JSON report on stdout")
    }

    fn verdict(&self) -> &str {
        self.stderr.lines().last().unwrap_or("")
    }
}

fn scan(args: &[&std::ffi::OsStr]) -> Run {
    let out = rdsaudit().arg("scan").args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(std::ffi::OsStr::new($a)),*] };
}

#[test]
fn the_last_line_on_stderr_is_the_verdict_whatever_the_format() {
    for format in ["table", "json", "sarif"] {
        let run = scan(args!(contoso().as_os_str(), "--format", format));
        assert_eq!(run.code, 1);
        assert!(
            run.verdict().starts_with("gate failed: ") && run.verdict().contains(" at or above high; score "),
            "{format}: {}",
            run.verdict()
        );
    }
    let run = scan(args!(contoso().as_os_str(), "--fail-on", "none", "--format", "json"));
    assert_eq!(run.code, 0);
    assert!(
        run.verdict().starts_with("gate passed: findings not gated"),
        "{}",
        run.verdict()
    );
}

#[test]
fn the_json_gate_object_states_what_the_verdict_says() {
    let run = scan(args!(contoso().as_os_str(), "--format", "json", "--min-score", "99"));
    let gate = &run.json()["gate"];
    assert_eq!(gate["passed"], false);
    assert_eq!(gate["threshold"], "high");
    assert_eq!(gate["min_score"], 99);
    assert!(gate.get("new").is_none(), "no comparison, no new count");
    assert_eq!(
        format!("gate failed: {}", gate["reason"].as_str().unwrap()),
        run.verdict()
    );
    assert!(run.verdict().contains("below the minimum 99"));
    assert_eq!(gate["score"], run.json()["summary"]["score"]);
}

#[test]
fn a_passing_gate_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("nsgs.json");
    std::fs::write(&f, common::nsg_list(&[("https", "443")])).unwrap();
    let run = scan(args!(f.as_os_str()));
    assert_eq!(run.code, 0);
    assert_eq!(
        run.verdict(),
        "gate passed: no finding at or above high; score 100/100 A"
    );
}

#[test]
fn a_baseline_round_trip_passes_and_lists_every_finding_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let first = scan(args!(
        contoso().as_os_str(),
        "--format",
        "json",
        "--output",
        baseline.as_os_str()
    ));
    assert_eq!(first.code, 1);
    let run = scan(args!(
        contoso().as_os_str(),
        "--format",
        "json",
        "--baseline",
        baseline.as_os_str()
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.verdict().contains(", none new; score"), "{}", run.verdict());
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["baseline_state"] == "unchanged"));
    assert_eq!(report["comparison"]["against"], "baseline");
    assert_eq!(report["comparison"]["unchanged"], findings.len());
    assert_eq!(report["comparison"]["absent"].as_array().unwrap().len(), 0);
    assert_eq!(report["gate"]["new"], 0);
    // A compared report is itself a baseline.
    let again = dir.path().join("again.json");
    std::fs::write(&again, &run.stdout).unwrap();
    assert_eq!(
        scan(args!(contoso().as_os_str(), "--baseline", again.as_os_str())).code,
        0
    );
}

#[test]
fn a_baseline_gate_fails_only_on_new_findings_and_lists_the_fixed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("nsgs.json");
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&inv, common::nsg_list(&[("old-rdp", "3389"), ("kept-rdp", "3389")])).unwrap();
    scan(args!(
        inv.as_os_str(),
        "--format",
        "json",
        "--output",
        baseline.as_os_str()
    ));
    std::fs::write(&inv, common::nsg_list(&[("kept-rdp", "3389"), ("new-rdp", "3389")])).unwrap();
    let run = scan(args!(
        inv.as_os_str(),
        "--format",
        "json",
        "--baseline",
        baseline.as_os_str()
    ));
    assert_eq!(run.code, 1);
    assert!(
        run.verdict().contains("2 findings at or above high, 1 new, 1 fixed"),
        "{}",
        run.verdict()
    );
    let report = run.json();
    let state = |name: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["subject"].as_str().unwrap().ends_with(name))
            .map(|f| f["baseline_state"].clone())
    };
    assert_eq!(state("/new-rdp"), Some("new".into()));
    assert_eq!(state("/kept-rdp"), Some("unchanged".into()));
    let absent = report["comparison"]["absent"].as_array().unwrap();
    assert_eq!(absent.len(), 1);
    assert!(absent[0]["subject"].as_str().unwrap().ends_with("/old-rdp"));
    let table = scan(args!(inv.as_os_str(), "--baseline", baseline.as_os_str()));
    assert!(
        table.stdout.contains("baseline.json: 1 new, 1 unchanged, 1 fixed\n"),
        "{}",
        table.stdout
    );
}

#[test]
fn a_malformed_baseline_is_an_input_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("baseline.json");
    std::fs::write(&bad, "{\n  \"tool\": {\"name\": \"rdsaudit\"},\n  \"findings\": [}\n").unwrap();
    let run = scan(args!(contoso().as_os_str(), "--baseline", bad.as_os_str()));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("baseline.json:3:16: malformed baseline report"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_baseline_is_an_input_error() {
    let run = scan(args!(contoso().as_os_str(), "--baseline", "no-such-baseline.json"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no-such-baseline.json"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("gate "),
        "no verdict when the gate could not be judged"
    );
}

#[test]
fn a_report_of_another_tool_is_not_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("report.sarif");
    let run = scan(args!(
        contoso().as_os_str(),
        "--format",
        "sarif",
        "--output",
        sarif.as_os_str()
    ));
    assert_eq!(run.code, 1);
    let run = scan(args!(contoso().as_os_str(), "--baseline", sarif.as_os_str()));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("report.sarif:1:1: not an rdsaudit JSON report"),
        "{}",
        run.stderr
    );
}

/// Inputs that read the same before and after (no plan, no what-if): nothing is new, nothing fixed.
#[test]
fn new_only_compares_the_inputs_before_and_after_the_change() {
    let run = scan(args!(contoso().as_os_str(), "--new-only", "--format", "json"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["comparison"]["against"], "before-change");
    assert!(report["comparison"].get("baseline").is_none());
    assert_eq!(report["comparison"]["new"], 0);
    assert_eq!(
        report["comparison"]["unchanged"],
        report["findings"].as_array().unwrap().len()
    );
    assert!(run.verdict().contains("none new"), "{}", run.verdict());
}

#[test]
fn new_only_and_baseline_do_not_go_together() {
    let run = scan(args!(contoso().as_os_str(), "--new-only", "--baseline", "x.json"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn plan_adds_an_input() {
    let nsgs = contoso().join("nsgs.json");
    let by_plan = scan(args!("--plan", nsgs.as_os_str(), "--format", "json"));
    let by_path = scan(args!(nsgs.as_os_str(), "--format", "json"));
    assert_eq!(by_plan.code, by_path.code);
    assert_eq!(by_plan.json()["findings"], by_path.json()["findings"]);
    assert!(!by_plan.json()["findings"].as_array().unwrap().is_empty());
}

fn fingerprints(dir: &Path) -> BTreeSet<String> {
    let run = scan(args!(dir.as_os_str(), "--format", "json"));
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

/// A copy of contoso with each inventory file rewritten by `edit`, under a new name when `rename` says so.
fn edited_copy(dir: &Path, edit: impl Fn(&str, &mut Value) -> String, rename: bool) {
    for entry in common::walk(&contoso()) {
        let rel = entry.strip_prefix(contoso()).unwrap();
        let name = rel.to_str().unwrap();
        let target = if rename && !name.contains('/') {
            dir.join(format!("z-{name}"))
        } else {
            dir.join(rel)
        };
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let is_inventory = !name.contains('/') && name.ends_with(".json");
        if is_inventory {
            let mut value: Value = serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
            std::fs::write(&target, edit(name, &mut value)).unwrap();
        } else {
            std::fs::copy(&entry, &target).unwrap();
        }
    }
}

#[test]
fn fingerprints_survive_reformatting() {
    let original = fingerprints(&contoso());
    assert!(original.len() > 5);
    let dir = tempfile::tempdir().unwrap();
    edited_copy(dir.path(), |_, v| serde_json::to_string(v).unwrap(), false);
    assert_eq!(fingerprints(dir.path()), original, "minified");
    let dir = tempfile::tempdir().unwrap();
    edited_copy(
        dir.path(),
        |_, v| serde_json::to_string_pretty(v).unwrap().replace("  ", "\t"),
        false,
    );
    assert_eq!(fingerprints(dir.path()), original, "tab-indented");
}

#[test]
fn fingerprints_survive_reordered_resources_and_files() {
    let original = fingerprints(&contoso());
    let dir = tempfile::tempdir().unwrap();
    edited_copy(
        dir.path(),
        |_, v| {
            if let Some(list) = v.as_array_mut() {
                list.reverse();
                for item in list.iter_mut() {
                    if let Some(rules) = item.get_mut("securityRules").and_then(Value::as_array_mut) {
                        rules.reverse();
                    }
                }
            }
            serde_json::to_string_pretty(v).unwrap()
        },
        true,
    );
    assert_eq!(fingerprints(dir.path()), original);
}

#[test]
fn fingerprints_survive_an_unrelated_resource_added() {
    let original = fingerprints(&contoso());
    let dir = tempfile::tempdir().unwrap();
    edited_copy(
        dir.path(),
        |name, v| {
            if name == "nsgs.json" {
                let mut extra =
                    serde_json::from_str::<Value>(&common::nsg_list(&[("https", "443")])).unwrap()[0].clone();
                extra["id"] =
                    "/subscriptions/s/resourceGroups/other/providers/Microsoft.Network/networkSecurityGroups/web"
                        .into();
                extra["name"] = "web".into();
                v.as_array_mut().unwrap().insert(0, extra);
            }
            serde_json::to_string_pretty(v).unwrap()
        },
        false,
    );
    assert_eq!(fingerprints(dir.path()), original);
}

/// The other side of the coin: an edit that matters changes the set.
#[test]
fn a_renamed_rule_gets_a_new_fingerprint() {
    let original = fingerprints(&contoso());
    let dir = tempfile::tempdir().unwrap();
    edited_copy(
        dir.path(),
        |name, v| {
            let text = serde_json::to_string_pretty(v).unwrap();
            if name == "nsgs.json" {
                text.replace("Allow-RDP\"", "Allow-RDP-Renamed\"")
            } else {
                text
            }
        },
        false,
    );
    let edited = fingerprints(dir.path());
    assert_eq!(edited.len(), original.len());
    assert_ne!(edited, original);
}
