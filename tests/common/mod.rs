//! What the report tests share: the library path the binary takes (load, evaluate, compare, judge,
//! resolve positions, render) and the schema validators.
#![allow(dead_code)] // each test crate uses its own part

use std::path::{Path, PathBuf};

use jsonschema::Validator;
use rdsaudit::compare::{Baseline, Comparison};
use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::gate::{Gate, DEFAULT_FAIL_ON};
use rdsaudit::ingest::{load, Options};
use rdsaudit::report::positions::Positions;
use rdsaudit::report::{self, render, Context, Format};
use serde_json::Value;

pub const TODAY: &str = "2026-01-01";

/// How a run is set up beyond its inputs and config.
#[derive(Default)]
pub struct Setup {
    pub ingest: Options,
    pub render: report::Options,
    pub baseline: Option<Baseline>,
}

/// The given formats for the inputs at `paths`, rendered without colour, the gate at its default.
pub fn render_formats<const N: usize>(
    paths: &[PathBuf],
    config: &Config,
    setup: &Setup,
    formats: [Format; N],
) -> [String; N] {
    let mut env = load(paths, &setup.ingest).expect("the fixture loads");
    let eval = evaluate(&mut env, config, TODAY);
    let comparison = setup.baseline.clone().map(|b| Comparison::new(b, &eval.findings));
    let gate = Gate::judge(
        &eval,
        comparison.as_ref(),
        config.fail_on.unwrap_or(DEFAULT_FAIL_ON),
        config.min_score,
    );
    let positions = Positions::resolve(&env, &eval);
    let ctx = Context {
        env: &env,
        eval: &eval,
        positions: &positions,
        color: false,
        gate: &gate,
        comparison: comparison.as_ref(),
        options: &setup.render,
    };
    formats.map(|f| render(f, &ctx))
}

pub fn validator(schema_file: &str) -> Validator {
    let text = std::fs::read_to_string(Path::new("schemas").join(schema_file)).expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

pub fn assert_valid(validator: &Validator, document: &str, what: &str) -> Value {
    let value: Value = serde_json::from_str(document).unwrap_or_else(|e| panic!("{what} is not JSON: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what} does not validate:\n{}", errors.join("\n"));
    value
}

/// What GitHub code scanning requires beyond the schema.
pub fn assert_github_accepts(sarif: &Value) {
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().expect("results");
    for r in results {
        let locations = r["locations"].as_array().expect("locations");
        assert!(!locations.is_empty(), "result without a location: {r}");
        let uri = locations[0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("artifact uri");
        assert!(!uri.is_empty());
        assert!(r["partialFingerprints"]["rdsaudit/v1"].is_string());
    }
    for rule in run["tool"]["driver"]["rules"].as_array().expect("rules") {
        assert!(
            rule["properties"]["security-severity"].is_string(),
            "security-severity not a string: {rule}"
        );
        assert!(rule["help"]["markdown"].is_string() && rule["helpUri"].is_string());
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

/// An az CLI list of one NSG whose rules allow TCP from anywhere, each `(name, destination port)`, priorities
/// from 100 in order.
pub fn nsg_list(rules: &[(&str, &str)]) -> String {
    let rules: Vec<Value> = rules
        .iter()
        .enumerate()
        .map(|(i, (name, port))| {
            serde_json::json!({
                "name": name, "access": "Allow", "direction": "Inbound", "priority": 100 + i,
                "protocol": "Tcp", "sourceAddressPrefix": "*", "destinationPortRange": port
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!([{
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1",
        "name": "nsg1",
        "type": "Microsoft.Network/networkSecurityGroups",
        "securityRules": rules
    }]))
    .unwrap()
}

/// Every file under `dir`, folders walked.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
