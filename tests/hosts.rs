//! Host evidence beyond the per-rule fixtures: the collector's file names, `host-summary.json`, and
//! registry defaults.

use std::path::{Path, PathBuf};

use rdsaudit::config::Config;
use rdsaudit::engine::{evaluate, Evaluation};
use rdsaudit::ingest::host::evidence::is_evidence;
use rdsaudit::ingest::{load, Options};

fn scan_dir(dir: &Path) -> Evaluation {
    let mut env = load(&[PathBuf::from(dir)], &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    evaluate(&mut env, &Config::default(), "2026-01-01")
}

fn ids(eval: &Evaluation) -> Vec<&str> {
    eval.findings.iter().map(|f| f.rule.id).collect()
}

#[test]
fn every_file_the_collector_writes_is_read_by_the_scanner() {
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("collect/rdsaudit-collect.ps1")).unwrap();
    let mut names: Vec<&str> = script
        .split('\'')
        .filter(|s| !s.contains(' ') && [".json", ".reg", ".txt", ".xml"].iter().any(|e| s.ends_with(e)))
        .filter(|s| !s.starts_with('.') && !s.contains('\\'))
        .collect();
    names.sort();
    names.dedup();
    for expected in [
        "os.json",
        "features.json",
        "manifest.json",
        "nps-config.xml",
        "licensing-policy.reg",
        "sc-qsidtype-ias.txt",
    ] {
        assert!(names.contains(&expected), "the collector writes {expected}: {names:?}");
    }
    for name in names {
        assert!(is_evidence(Path::new(name)), "the scanner does not read {name}");
    }
}

const SUMMARY: &str = r#"{"schema": "rdsaudit-host-summary/1", "collector_version": "1.0.0", "computer_name": "GWSUM01",
 "collected_at": "2026-11-25T10:00:00Z",
 "os": {"caption": "Microsoft Windows Server 2019 Datacenter", "version": "10.0.17763", "build": 17763},
 "features": ["NPAS", "RDS-Gateway"],
 "licensing": {"policy_mode": null, "policy_read": "absent", "rcm_mode": 5, "rcm_read": "ok"},
 "ias_sid_type": "UNRESTRICTED",
 "mfa": {"extension_dlls": [], "authorization_dlls": [], "authsrv_read": "ok", "require_user_match": null, "azuremfa_read": "absent"},
 "ad_registration": {"member_of_ras_and_ias_servers": false, "read": "ok"},
 "nps": {"read": "ok",
   "network_policies": [],
   "connection_request_policies": [{"name": "TS GATEWAY AUTHORIZATION POLICY", "enabled": true, "sequence": 1, "auth_provider_type": 2, "auth_provider_name": "TS GATEWAY SERVER GROUP"}],
   "radius_server_groups": [{"name": "TS GATEWAY SERVER GROUP", "servers": [{"name": "10.0.1.6", "timeout": 10, "blackout_interval": null}]}]}}"#;

#[test]
fn a_host_summary_gives_the_same_facts_as_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("gwsum01");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("host-summary.json"), SUMMARY).unwrap();
    let eval = scan_dir(dir.path());
    let rds015 = eval
        .findings
        .iter()
        .find(|f| f.rule.id == "RDS015")
        .expect("Timeout 10 fires RDS015");
    assert_eq!(rds015.subject.id, "GWSUM01");
    assert_eq!(rds015.discriminator, "10.0.1.6");
    // A gateway that forwards is no NPS server: the NPS-server rules do not judge it.
    assert!(
        !ids(&eval)
            .iter()
            .any(|id| ["RDS011", "RDS012", "RDS013", "RDS014"].contains(id)),
        "{:?}",
        ids(&eval)
    );
    assert!(!eval.not_evaluated.iter().any(|n| n.rule.id == "RDS015"));
}

#[test]
fn a_host_summary_that_breaks_its_schema_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("GWSUM01");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(
        host.join("host-summary.json"),
        SUMMARY.replace("\"build\": 17763", "\"build\": \"17763\""),
    )
    .unwrap();
    let err = load(&[PathBuf::from(dir.path())], &Options::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("host-summary.json:3:") && err.contains("schema"), "{err}");
}

#[test]
fn an_ias_key_without_service_sid_type_means_none() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("NPS19");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("os.json"), r#"{"CSName": "NPS19", "Caption": "Microsoft Windows Server 2019 Datacenter", "Version": "10.0.17763", "BuildNumber": "17763"}"#).unwrap();
    std::fs::write(
        host.join("features.json"),
        r#"{"Name": "NPAS", "DisplayName": "Network Policy and Access Services"}"#,
    )
    .unwrap();
    std::fs::write(
        host.join("ias-service.reg"),
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\IAS]\r\n\"Start\"=dword:00000002\r\n",
    )
    .unwrap();
    let eval = scan_dir(dir.path());
    let f = eval
        .findings
        .iter()
        .find(|f| f.rule.id == "RDS013")
        .expect("RDS013 fires");
    assert!(f.message.contains("is NONE"), "{}", f.message);
}
