//! SARIF for GitHub code scanning and Azure DevOps: severities after overrides, categories, URIs relative to
//! the repository root, plain-text help, related locations and baseline states; every variant validates.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_github_accepts, assert_valid, render_formats, validator, Setup};
use rdsaudit::compare::{Against, Baseline, Prior, PriorLocation, PriorRegion};
use rdsaudit::config::Config;
use rdsaudit::finding::{Severity, SubjectKind};
use rdsaudit::report::{self, Format};
use serde_json::Value;

fn contoso() -> Vec<PathBuf> {
    vec![PathBuf::from("fixtures/environments/contoso")]
}

/// The contoso SARIF for a config and a setup, validated against the schema and GitHub's rules.
fn sarif(config: &Config, setup: &Setup) -> Value {
    let [text] = render_formats(&contoso(), config, setup, [Format::Sarif]);
    let value = assert_valid(&validator("sarif-schema-2.1.0.json"), &text, "SARIF");
    assert_github_accepts(&value);
    value
}

fn rule<'a>(sarif: &'a Value, id: &str) -> &'a Value {
    sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

fn results<'a>(sarif: &'a Value, id: &str) -> Vec<&'a Value> {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == id)
        .collect()
}

#[test]
fn security_severity_follows_the_config_overrides() {
    let plain = sarif(&Config::default(), &Setup::default());
    assert_eq!(rule(&plain, "RDS004")["properties"]["security-severity"], "5.5");
    assert_eq!(rule(&plain, "RDS004")["defaultConfiguration"]["level"], "warning");
    let config = Config {
        severity: [("RDS004", Severity::Critical)].into_iter().collect(),
        ..Config::default()
    };
    let setup = Setup {
        render: report::Options {
            severity: config.severity.clone(),
            ..report::Options::default()
        },
        ..Setup::default()
    };
    let overridden = sarif(&config, &setup);
    let r = rule(&overridden, "RDS004");
    assert_eq!(r["properties"]["security-severity"], "9.5");
    assert_eq!(r["defaultConfiguration"]["level"], "error");
    assert_eq!(results(&overridden, "RDS004")[0]["level"], "error");
    // Other rules keep theirs.
    assert_eq!(rule(&overridden, "RDS003")["properties"]["security-severity"], "9.5");
}

#[test]
fn the_category_is_the_run_automation_id() {
    assert!(sarif(&Config::default(), &Setup::default())["runs"][0]
        .get("automationDetails")
        .is_none());
    let setup = Setup {
        render: report::Options {
            sarif_category: Some("rdsaudit/plan".into()),
            ..report::Options::default()
        },
        ..Setup::default()
    };
    assert_eq!(
        sarif(&Config::default(), &setup)["runs"][0]["automationDetails"]["id"],
        "rdsaudit/plan"
    );
}

#[test]
fn artifact_uris_are_relative_to_the_base_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let setup = Setup {
        render: report::Options {
            base_dir: Some(root.join("fixtures").canonicalize().unwrap()),
            ..report::Options::default()
        },
        ..Setup::default()
    };
    let s = sarif(&Config::default(), &setup);
    let run = &s["runs"][0];
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
    assert!(base.starts_with("file:///") && base.ends_with("/fixtures/"), "{base}");
    let artifact = &run["artifacts"][0]["location"];
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    assert!(artifact["uri"].as_str().unwrap().starts_with("environments/contoso/"));
    let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uriBaseId"], "%SRCROOT%");
    assert!(!location["uri"].as_str().unwrap().contains(".."));
}

#[test]
fn help_text_is_plain_beside_the_markdown_and_the_description_is_not_the_quote() {
    let s = sarif(&Config::default(), &Setup::default());
    let r = rule(&s, "RDS001");
    let text = r["help"]["text"].as_str().unwrap();
    let markdown = r["help"]["markdown"].as_str().unwrap();
    assert!(markdown.contains("**") && markdown.starts_with("# RDS001"));
    assert!(text.starts_with("RDS001: ") && !text.contains("**") && !text.contains('`'));
    let full = r["fullDescription"]["text"].as_str().unwrap();
    assert!(full.contains("network security group"), "{full}");
    assert_ne!(full, r["shortDescription"]["text"].as_str().unwrap());
    assert_eq!(
        s["runs"][0]["tool"]["driver"]["semanticVersion"],
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn evidence_elsewhere_becomes_related_locations() {
    let s = sarif(&Config::default(), &Setup::default());
    let rds001 = results(&s, "RDS001")[0];
    let related = rds001["relatedLocations"].as_array().expect("related locations");
    assert!(related
        .iter()
        .any(|l| l["message"]["text"].as_str().unwrap().starts_with("nsg: ")));
    for (i, l) in related.iter().enumerate() {
        assert_eq!(l["id"], i);
        assert!(l["physicalLocation"]["artifactLocation"]["uri"].is_string());
    }
}

fn prior(rule: &str, subject: &str, fingerprint: &str) -> Prior {
    Prior {
        rule: rule.into(),
        severity: Severity::Critical,
        subject: subject.into(),
        subject_kind: SubjectKind::Resource,
        message: "RDP open on [old] VM".into(),
        fingerprint: fingerprint.into(),
        locations: vec![PriorLocation {
            path: "fixtures/environments/contoso/vms.json".into(),
            region: Some(PriorRegion {
                start_line: 3,
                start_column: 5,
                end_line: 3,
                end_column: 9,
            }),
        }],
    }
}

#[test]
fn no_comparison_no_baseline_state() {
    let s = sarif(&Config::default(), &Setup::default());
    assert!(s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("baselineState").is_none()));
}

/// A baseline holding one finding of this run and one that is gone: new, unchanged and absent results.
#[test]
fn a_comparison_gives_every_result_a_baseline_state() {
    let [json] = render_formats(&contoso(), &Config::default(), &Setup::default(), [Format::Json]);
    let report: Value = serde_json::from_str(&json).unwrap();
    let kept = &report["findings"][0];
    let baseline = Baseline {
        against: Against::BeforeChange,
        findings: vec![
            prior(
                kept["rule"].as_str().unwrap(),
                kept["subject"].as_str().unwrap(),
                kept["fingerprint"].as_str().unwrap(),
            ),
            prior("RDS003", "/subscriptions/s/vm-gone", &"ab".repeat(16)),
        ],
    };
    let setup = Setup {
        baseline: Some(baseline),
        ..Setup::default()
    };
    let s = sarif(&Config::default(), &setup);
    let all = s["runs"][0]["results"].as_array().unwrap();
    let state = |st: &str| all.iter().filter(|r| r["baselineState"] == st).count();
    assert_eq!(state("unchanged"), 1);
    assert_eq!(state("new"), report["findings"].as_array().unwrap().len() - 1);
    assert_eq!(state("absent"), 1);
    let gone = all.iter().find(|r| r["baselineState"] == "absent").unwrap();
    assert_eq!(gone["partialFingerprints"]["rdsaudit/v1"], "ab".repeat(16));
    assert_eq!(gone["message"]["text"], "RDP open on \\[old\\] VM");
    let gone_at = &gone["locations"][0];
    assert_eq!(
        gone_at["logicalLocations"][0]["fullyQualifiedName"],
        "/subscriptions/s/vm-gone"
    );
    assert_eq!(
        gone_at["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/environments/contoso/vms.json"
    );
    assert_eq!(gone_at["physicalLocation"]["region"]["startColumn"], 5);

    let [json] = render_formats(&contoso(), &Config::default(), &setup, [Format::Json]);
    let compared = assert_valid(&validator("report.schema.json"), &json, "compared JSON report");
    assert_eq!(
        compared["comparison"]["absent"][0]["subject"],
        "/subscriptions/s/vm-gone"
    );
    assert_eq!(compared["gate"]["fixed"], 1);
}

/// The command line passes `--sarif-category` and `--base-dir` through; a base that is no folder is a
/// usage error.
#[test]
fn category_and_base_dir_from_the_command_line() {
    let run = |base: &str| {
        assert_cmd::Command::cargo_bin("rdsaudit")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["scan", "fixtures/environments/contoso", "--format", "sarif"])
            .args(["--sarif-category", "plan/prod", "--base-dir", base])
            .output()
            .unwrap()
    };
    let out = run("fixtures/environments");
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run0 = &s["runs"][0];
    assert_eq!(run0["automationDetails"]["id"], "plan/prod");
    assert!(run0["artifacts"][0]["location"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("contoso/"));
    let missing = run("no/such/folder");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--base-dir no/such/folder is not a folder"));
}

/// Without `--base-dir`, URIs are relative to the enclosing git work tree, not the current directory.
#[test]
fn the_default_base_is_the_git_work_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root.join(".git").exists() {
        return; // a source tarball: nothing to find
    }
    let out = assert_cmd::Command::cargo_bin("rdsaudit")
        .unwrap()
        .current_dir(root.join("fixtures/environments"))
        .args(["scan", "contoso", "--format", "sarif"])
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let uri = s["runs"][0]["artifacts"][0]["location"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("fixtures/environments/contoso/"), "{uri}");
}
