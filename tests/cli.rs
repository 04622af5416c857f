//! The binary end to end: exit codes, formats, the catalog, bad input (assert_cmd).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

fn rdsaudit() -> Command {
    let mut c = Command::cargo_bin("rdsaudit").unwrap();
    c.env_remove("NO_COLOR").env("RAYON_NUM_THREADS", "2");
    c
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(rel)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// An az CLI NSG list with one rule; `rule` is spliced into the rule object.
fn nsg_list(rule: &str) -> String {
    format!(
        r#"[
  {{
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1",
    "name": "nsg1",
    "type": "Microsoft.Network/networkSecurityGroups",
    "securityRules": [
      {{
        "name": "r1",
        "access": "Allow",
        "direction": "Inbound",
        "priority": 100,
        "protocol": "Tcp",
        "sourceAddressPrefix": "*",
        {rule}
      }}
    ]
  }}
]
"#
    )
}

#[test]
fn contoso_fails_the_default_gate() {
    rdsaudit()
        .arg("scan")
        .arg(fixture("environments/contoso"))
        .assert()
        .code(1);
}

#[test]
fn fail_on_and_min_score_decide_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "nsgs.json", &nsg_list(r#""destinationPortRange": "443""#));
    rdsaudit().arg("scan").arg(&f).assert().code(0);
    rdsaudit()
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .args(["--fail-on", "high"])
        .assert()
        .code(0);
    rdsaudit()
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .args(["--fail-on", "medium"])
        .assert()
        .code(1);
    rdsaudit()
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .args(["--min-score", "93"])
        .assert()
        .code(1);
    rdsaudit()
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .args(["--min-score", "92"])
        .assert()
        .code(0);
    rdsaudit()
        .arg("scan")
        .arg(fixture("environments/contoso"))
        .args(["--fail-on", "none"])
        .assert()
        .code(0);
}

#[test]
fn malformed_json_is_an_input_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "nsgs.json",
        "[\n  {\"id\": \"x\",\n   \"name\" \"nsg\"}\n]\n",
    );
    rdsaudit()
        .arg("scan")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(contains("nsgs.json:3:11: malformed JSON"));
}

#[test]
fn malformed_port_spec_is_an_input_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "nsgs.json",
        &nsg_list(r#""destinationPortRange": "3390-3389""#),
    );
    rdsaudit()
        .arg("scan")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(contains("nsgs.json:14:9: invalid port range '3390-3389'"));
}

#[test]
fn malformed_prefix_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = nsg_list(r#""destinationPortRange": "3389""#).replace(
        r#""sourceAddressPrefix": "*""#,
        r#""sourceAddressPrefix": "10.0.0.300/24""#,
    );
    let f = write(dir.path(), "nsgs.json", &text);
    rdsaudit()
        .arg("scan")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(contains("nsgs.json:13:9:").and(contains("10.0.0.300/24")));
}

#[test]
fn unknown_named_file_fails_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = write(dir.path(), "package.json", r#"{"name": "x", "version": "1.0.0"}"#);
    let nsgs = write(dir.path(), "nsgs.json", &nsg_list(r#""destinationPortRange": "443""#));
    rdsaudit()
        .arg("scan")
        .arg(&pkg)
        .arg(&nsgs)
        .assert()
        .code(2)
        .stderr(contains("package.json: not a recognised input"));
    rdsaudit()
        .arg("scan")
        .arg(&pkg)
        .arg(&nsgs)
        .arg("--skip-unknown")
        .assert()
        .code(0)
        .stderr(contains("package.json: skipped"));
    // Found while walking a folder: a warning, not an error.
    rdsaudit()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(contains("package.json: skipped"));
}

#[test]
fn no_recognised_input_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "package.json", r#"{"name": "x"}"#);
    rdsaudit()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("no recognised input"));
    let empty = tempfile::tempdir().unwrap();
    rdsaudit()
        .arg("scan")
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(contains("no recognised input"));
}

#[test]
fn empty_and_undecodable_files_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "nsgs.json", "");
    rdsaudit()
        .arg("scan")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(contains("file is empty"));
    let bad = dir.path().join("vms.json");
    std::fs::write(&bad, b"[\xff\xfe\x00]").unwrap();
    rdsaudit()
        .arg("scan")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(contains("vms.json"));
    let odd = dir.path().join("odd.json");
    std::fs::write(&odd, [0xFF, 0xFE, b'[', 0, b']']).unwrap();
    rdsaudit()
        .arg("scan")
        .arg(&odd)
        .assert()
        .code(2)
        .stderr(contains("odd number of bytes"));
}

#[test]
fn utf16_and_bom_files_written_by_powershell_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = nsg_list(r#""destinationPortRange": "3389""#);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.path().join("a.json"), utf16).unwrap();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(text.replace("nsg1", "nsg2").bytes());
    std::fs::write(dir.path().join("b.json"), bom).unwrap();
    rdsaudit()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(contains("nsg1").and(contains("nsg2")));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_are_skipped_in_folders_and_named_links_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nsgs.json", &nsg_list(r#""destinationPortRange": "443""#));
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    rdsaudit()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(contains("symbolic link loop"));
    std::os::unix::fs::symlink(dir.path().join("missing.json"), dir.path().join("dangling.json")).unwrap();
    rdsaudit()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(contains("dangling.json: skipped: dangling symbolic link"));
    rdsaudit()
        .arg("scan")
        .arg(dir.path().join("dangling.json"))
        .assert()
        .code(2)
        .stderr(contains("dangling.json"));
}

#[test]
fn files_over_the_size_limit_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let nsgs = write(dir.path(), "nsgs.json", &nsg_list(r#""destinationPortRange": "443""#));
    rdsaudit()
        .arg("scan")
        .arg(&nsgs)
        .args(["--max-input-size", "100"])
        .assert()
        .code(2)
        .stderr(contains("over --max-input-size 100"));
    rdsaudit()
        .arg("scan")
        .arg(&nsgs)
        .args(["--max-input-size", "1MB"])
        .assert()
        .code(0);
}

#[cfg(unix)]
#[test]
fn fifos_in_a_folder_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nsgs.json", &nsg_list(r#""destinationPortRange": "443""#));
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    rdsaudit()
        .arg("scan")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(0)
        .stderr(contains("pipe.json: skipped: not a regular file"));
    rdsaudit()
        .arg("scan")
        .arg(&fifo)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains("not a regular file"));
}

#[test]
fn missing_path_and_bad_usage_exit_2() {
    rdsaudit()
        .args(["scan", "/nonexistent/inventory"])
        .assert()
        .code(2)
        .stderr(contains("/nonexistent/inventory"));
    rdsaudit().args(["scan"]).assert().code(2);
    rdsaudit().args(["scan", "--fail-on", "severe", "x"]).assert().code(2);
    rdsaudit()
        .args(["explain", "RDS999"])
        .assert()
        .code(2)
        .stderr(contains("unknown rule"));
}

#[test]
fn output_must_follow_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    rdsaudit()
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .arg("--output")
        .arg(&out)
        .args(["--format", "json"])
        .assert()
        .code(2)
        .stderr(contains("must follow the --format"));
    rdsaudit()
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .args(["--format", "json", "--format", "sarif"])
        .assert()
        .code(2)
        .stderr(contains("at most one --format can go to stdout"));
    assert!(!out.exists());
}

#[test]
fn rules_explain_completions_version() {
    rdsaudit().arg("rules").assert().code(0).stdout(
        contains("RDS001")
            .and(contains("nsg-rdp-from-internet"))
            .and(contains("RDS006")),
    );
    rdsaudit()
        .args(["explain", "rds003"])
        .assert()
        .code(0)
        .stdout(contains("# RDS003: vm-rdp-reachable"));
    rdsaudit()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(contains("rdsaudit"));
    rdsaudit()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(contains(env!("CARGO_PKG_VERSION")));
    rdsaudit()
        .args(["scan", "--help"])
        .assert()
        .code(0)
        .stdout(contains("--fail-on"));
}

#[test]
fn config_errors_point_at_the_line_and_the_file_is_discovered() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rdsaudit.toml",
        "fail-on = \"medium\"\n\n[severty]\nRDS001 = \"low\"\n",
    );
    rdsaudit()
        .current_dir(dir.path())
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .assert()
        .code(2)
        .stderr(contains("rdsaudit.toml:3:").and(contains("unknown field")));
    write(dir.path(), "rdsaudit.toml", "fail-on = \"medium\"\n");
    rdsaudit()
        .current_dir(dir.path())
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .assert()
        .code(1);
    let other = write(dir.path(), "other.toml", "fail-on = \"critical\"\n");
    rdsaudit()
        .arg("scan")
        .arg(fixture("rules/RDS005/fires"))
        .arg("--config")
        .arg(&other)
        .assert()
        .code(0);
}

#[test]
fn malformed_host_evidence_is_an_input_error_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("NPSVM01");
    std::fs::create_dir(&host).unwrap();
    let xml = write(
        &host,
        "nps-config.xml",
        "<Root>\n<Children>\n<Microsoft_Internet_Authentication_Service name=\"x\">\n",
    );
    rdsaudit()
        .arg("scan")
        .arg(&xml)
        .assert()
        .code(2)
        .stderr(contains("nps-config.xml:"));
    std::fs::remove_file(&xml).unwrap();
    let reg = write(&host, "authsrv.reg", "[HKEY_LOCAL_MACHINE\\SYSTEM]\n\"a\"=dword:1\n");
    rdsaudit()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("authsrv.reg:1:1"));
    std::fs::remove_file(&reg).unwrap();
    std::fs::write(host.join("os.json"), [0xFF, 0xFE, b'{', 0, b'}']).unwrap();
    rdsaudit()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("os.json").and(contains("odd number of bytes")));
}

#[test]
fn input_errors_show_their_source_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "nsgs.json", &nsg_list(r#""destinationPortRange": "33x89""#));
    rdsaudit()
        .env("NO_COLOR", "1")
        .arg("scan")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains(r#"│         "destinationPortRange": "33x89""#).and(contains(":14:9]")));
}

#[test]
fn input_error_snippets_never_show_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("NPSVM01");
    std::fs::create_dir(&host).unwrap();
    // The XML breaks on the line that holds a RADIUS shared secret.
    let xml = "<Root>\n<Children>\n<Srv name=\"s\"><Shared_Secret>CANARY-s3cr3t-6f1d</Shared_Secret><Bad a=></Bad>\n";
    write(&host, "nps-config.xml", xml);
    rdsaudit()
        .env("NO_COLOR", "1")
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(
            contains("nps-config.xml:3:")
                .and(contains("REDACTED"))
                .and(contains("CANARY").not()),
        );
}

#[test]
fn an_output_that_would_replace_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv");
    std::fs::create_dir(&inv).unwrap();
    let nsgs = write(&inv, "nsgs.json", &nsg_list(r#""destinationPortRange": "3389""#));
    let before = std::fs::read(&nsgs).unwrap();
    for output in [nsgs.clone(), inv.join("report.json"), inv.clone()] {
        rdsaudit()
            .arg("scan")
            .arg(&inv)
            .args(["--format", "json", "--output"])
            .arg(&output)
            .assert()
            .code(2)
            .stderr(contains("--output"));
    }
    assert_eq!(std::fs::read(&nsgs).unwrap(), before, "the input is untouched");
    assert!(!inv.join("report.json").exists());
    // The same file named through another path is caught too.
    rdsaudit()
        .current_dir(dir.path())
        .args([
            "scan",
            "inv/nsgs.json",
            "--format",
            "json",
            "--output",
            "./inv/../inv/nsgs.json",
        ])
        .assert()
        .code(2);
}

#[cfg(unix)]
#[test]
fn reports_get_the_usual_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let nsgs = write(dir.path(), "nsgs.json", &nsg_list(r#""destinationPortRange": "22""#));
    let report = dir.path().join("out").join("report.json");
    std::fs::create_dir(report.parent().unwrap()).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("rdsaudit");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"umask 022; exec "$0" scan "$1" --format json --output "$2""#)
        .arg(&bin)
        .arg(&nsgs)
        .arg(&report)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let mode = std::fs::metadata(&report).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_quietly() {
    let bin = assert_cmd::cargo::cargo_bin("rdsaudit");
    for command in ["completions bash", "rules", "explain RDS003"] {
        // Several runs: whether the reader is gone before the first write is a matter of timing.
        for _ in 0..5 {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!(r#""$0" {command} | head -c 1 > /dev/null"#))
                .arg(&bin)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        }
    }
}
