//! The machine-readable reports against their schemas: SARIF against the official OASIS 2.1.0 schema plus
//! the rules GitHub code scanning adds, the JSON report against `schemas/report.schema.json`. Runs the
//! library path the binary takes (load, evaluate, resolve positions, render).

mod common;

use std::path::{Path, PathBuf};

use common::{assert_github_accepts, assert_valid, render_formats, validator, Setup};
use rdsaudit::config::{Config, ConfigSuppression};
use rdsaudit::ingest::Options;
use rdsaudit::report::Format;
use serde_json::Value;

/// Every format for the inputs at `paths`, rendered without colour.
fn reports(paths: &[PathBuf], config: &Config) -> [String; 3] {
    reports_with(paths, config, &Options::default())
}

fn reports_with(paths: &[PathBuf], config: &Config, options: &Options) -> [String; 3] {
    let setup = Setup {
        ingest: options.clone(),
        ..Setup::default()
    };
    render_formats(paths, config, &setup, [Format::Sarif, Format::Json, Format::Table])
}

fn contoso() -> Vec<PathBuf> {
    vec![PathBuf::from("fixtures/environments/contoso")]
}

/// A one-line (minified) inventory holding an NSG that allows RDP from anywhere, in a temporary directory:
/// it exercises exact columns on one line and artifact URIs outside the current directory.
fn minified_nsg(dir: &Path) -> Vec<PathBuf> {
    let nsg = serde_json::json!([{
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg",
        "name": "nsg",
        "type": "Microsoft.Network/networkSecurityGroups",
        "location": "westeurope",
        "properties": {"securityRules": [{
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/open-rdp",
            "name": "open-rdp",
            "properties": {
                "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                "sourceAddressPrefix": "*", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": "3389"
            }
        }]}
    }]);
    let path = dir.join("nsgs.json");
    std::fs::write(&path, serde_json::to_string(&nsg).unwrap()).unwrap();
    vec![path]
}

#[test]
fn contoso_reports_validate_and_are_deterministic() {
    let [sarif, json, table] = reports(&contoso(), &Config::default());
    let sarif_value = assert_valid(&validator("sarif-schema-2.1.0.json"), &sarif, "SARIF");
    let json_value = assert_valid(&validator("report.schema.json"), &json, "JSON report");
    assert_github_accepts(&sarif_value);

    let results = sarif_value["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty(), "the contoso sample has findings");
    assert_eq!(results.len(), json_value["findings"].as_array().unwrap().len());
    // Inputs below the current directory are relative URIs: the only path of this machine in a report is
    // the base folder they resolve against (SARIF `originalUriBaseIds`).
    let cwd = std::env::current_dir().unwrap();
    let mut without_base = sarif_value.clone();
    without_base["runs"][0]["originalUriBaseIds"] = Value::Null;
    for text in [&without_base.to_string(), &json, &table] {
        assert!(!text.contains(cwd.to_str().unwrap()), "absolute path in a report");
    }
    assert!(table.contains("Score: ") && table.contains("RDS001"));

    assert_eq!(
        reports(&contoso(), &Config::default()),
        [sarif, json, table],
        "a second run differs"
    );
}

/// An export that holds nothing, let through by `--allow-empty`: zero counts and rules listed against the
/// `(inputs)` subject still validate.
#[test]
fn empty_reports_validate() {
    let options = Options {
        allow_empty: true,
        ..Options::default()
    };
    let [sarif, json, _] = reports_with(
        &[PathBuf::from("fixtures/empty/az-wrong-subscription")],
        &Config::default(),
        &options,
    );
    let sarif_value = assert_valid(&validator("sarif-schema-2.1.0.json"), &sarif, "SARIF");
    let json_value = assert_valid(&validator("report.schema.json"), &json, "JSON report");
    assert_github_accepts(&sarif_value);
    assert_eq!(json_value["coverage"]["nsgs"], 0);
    let notes = sarif_value["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| n["message"]["text"]
        .as_str()
        .unwrap()
        .ends_with("no host evidence in the inputs")));
}

#[test]
fn the_validators_reject_what_the_schemas_forbid() {
    let [sarif, json, _] = reports(&contoso(), &Config::default());
    let mut bad_sarif: Value = serde_json::from_str(&sarif).unwrap();
    bad_sarif["runs"][0]["results"][0]["level"] = "critical".into();
    assert!(!validator("sarif-schema-2.1.0.json").is_valid(&bad_sarif));
    let mut bad_json: Value = serde_json::from_str(&json).unwrap();
    bad_json["summary"]["unexpected"] = 1.into();
    assert!(!validator("report.schema.json").is_valid(&bad_json));
    let mut bad_gate: Value = serde_json::from_str(&json).unwrap();
    bad_gate["gate"]["threshold"] = "severe".into();
    assert!(!validator("report.schema.json").is_valid(&bad_gate));
    let mut no_verdict: Value = serde_json::from_str(&json).unwrap();
    no_verdict["gate"].as_object_mut().unwrap().remove("passed");
    assert!(!validator("report.schema.json").is_valid(&no_verdict));
    let mut bad_state: Value = serde_json::from_str(&json).unwrap();
    bad_state["findings"][0]["baseline_state"] = "absent".into();
    assert!(
        !validator("report.schema.json").is_valid(&bad_state),
        "a finding of this run is new or unchanged, never absent"
    );
    let mut bad_coverage: Value = serde_json::from_str(&json).unwrap();
    bad_coverage["coverage"]["nsgs"] = (-1).into();
    assert!(!validator("report.schema.json").is_valid(&bad_coverage));
}

#[test]
fn suppressed_findings_and_files_outside_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        suppressions: vec![ConfigSuppression {
            rule: "RDS001",
            subject: "*/open-rdp".into(),
            reason: "break-glass access, tracked in CHG-42".into(),
            expires: Some("2099-12-31".into()),
        }],
        ..Config::default()
    };
    let [sarif, json, table] = reports(&minified_nsg(dir.path()), &config);
    let sarif_value = assert_valid(&validator("sarif-schema-2.1.0.json"), &sarif, "SARIF");
    let json_value = assert_valid(&validator("report.schema.json"), &json, "JSON report");
    assert_github_accepts(&sarif_value);

    let result = &sarif_value["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "RDS001");
    assert_eq!(result["suppressions"][0]["kind"], "external");
    assert_eq!(
        result["suppressions"][0]["justification"],
        "break-glass access, tracked in CHG-42"
    );
    let physical = &result["locations"][0]["physicalLocation"];
    assert!(physical["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("file:///"));
    // One minified line: the region is on line 1, somewhere inside it.
    assert_eq!(physical["region"]["startLine"], 1);
    assert!(physical["region"]["startColumn"].as_u64().unwrap() > 1);

    let finding = &json_value["findings"][0];
    assert_eq!(finding["suppression"]["kind"], "config");
    assert_eq!(json_value["summary"]["suppressed"], 1);
    assert_eq!(json_value["summary"]["score"], 100);
    assert!(table.contains("(suppressed: break-glass access"));
}

#[test]
fn minified_inputs_get_a_windowed_snippet() {
    let dir = tempfile::tempdir().unwrap();
    let [_, _, table] = reports(&minified_nsg(dir.path()), &Config::default());
    let snippet_lines: Vec<&str> = table.lines().filter(|l| l.contains(" 1 │ ")).collect();
    assert_eq!(snippet_lines.len(), 1, "one snippet line in:\n{table}");
    assert!(
        snippet_lines[0].chars().count() < 200,
        "snippet not windowed: {}",
        snippet_lines[0]
    );
}

/// The README's example `rdsaudit.toml` is accepted by the parser and described by `schemas/config.schema.json`.
#[test]
fn the_readme_config_matches_the_config_schema() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let example = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a toml example");
    rdsaudit::config::Config::parse(&rdsaudit::source::Source::from_text(
        "rdsaudit.toml",
        example.to_string(),
    ))
    .expect("the README example parses");
    let mut json = toml_to_json(toml::from_str(example).unwrap());
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("schemas/config.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| e.to_string()).collect();
    assert_eq!(json["suppressions"][0]["expires"], "2027-01-31");
    assert!(errors.is_empty(), "{errors:?}\n{json}");
    json["unknown-key"] = serde_json::Value::Bool(true);
    assert!(
        !validator.is_valid(&json),
        "unknown keys are rejected, as the parser does"
    );
}

/// The JSON view of a TOML document, dates as `YYYY-MM-DD` strings.
fn toml_to_json(v: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => J::from(f),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}
