//! Rendered outputs of the bundled sample: snapshots (insta), determinism across thread counts, several
//! formats in one run, and that no secret reaches any output.

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;

fn contoso() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/environments/contoso")
}

/// Run a scan from the crate root (so paths in the reports are relative and stable).
fn scan(threads: &str, args: &[&str]) -> (Vec<u8>, i32) {
    let out = Command::cargo_bin("rdsaudit")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RAYON_NUM_THREADS", threads)
        .env("NO_COLOR", "1")
        .arg("scan")
        .arg("fixtures/environments/contoso")
        .args(args)
        .output()
        .unwrap();
    (out.stdout, out.status.code().unwrap_or(-1))
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn json_and_sarif_are_byte_identical_at_one_and_two_threads() {
    for format in ["json", "sarif", "table", "markdown", "junit"] {
        let (one, code1) = scan("1", &["--format", format]);
        let (two, code2) = scan("2", &["--format", format]);
        assert_eq!((code1, code2), (1, 1));
        assert!(!one.is_empty());
        assert!(one == two, "{format} differs between 1 and 2 threads");
    }
}

#[test]
fn table_snapshot() {
    insta::assert_snapshot!("contoso_table", text(scan("2", &[]).0));
}

#[test]
fn sarif_snapshot() {
    let sarif: serde_json::Value = serde_json::from_slice(&scan("2", &["--format", "sarif"]).0).unwrap();
    insta::assert_json_snapshot!("contoso_sarif", sarif, {
        ".runs[0].tool.driver.version" => "[version]",
        ".runs[0].tool.driver.semanticVersion" => "[version]",
        // The checkout's absolute path differs from machine to machine.
        ".runs[0].originalUriBaseIds.*.uri" => "[base]",
    });
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("contoso_markdown", text(scan("2", &["--format", "markdown"]).0));
}

/// An NSG whose rules allow RDP from anywhere, named as given (names an attacker may choose).
fn nsg_with_rules(names: &[&str]) -> String {
    let rules: Vec<(&str, &str)> = names.iter().map(|n| (*n, "3389")).collect();
    common::nsg_list(&rules)
}

const HOSTILE: &str = "<img src=x onerror=alert(1)>|[fix](javascript:alert(2)) @org-team `x` &amp;";

/// A scan in `dir` against a baseline: one finding kept, one fixed, one new with a hostile name.
fn compared(dir: &Path, format: &str) -> String {
    compared_at(dir, format, "2")
}

fn compared_at(dir: &Path, format: &str, threads: &str) -> String {
    let run = |args: &[&str]| {
        Command::cargo_bin("rdsaudit")
            .unwrap()
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("RAYON_NUM_THREADS", threads)
            .arg("scan")
            .arg("nsgs.json")
            .args(args)
            .output()
            .unwrap()
    };
    std::fs::write(dir.join("nsgs.json"), nsg_with_rules(&["kept-rdp", "old-rdp"])).unwrap();
    run(&["--format", "json", "--output", "baseline.json"]);
    std::fs::write(dir.join("nsgs.json"), nsg_with_rules(&["kept-rdp", HOSTILE])).unwrap();
    let out = run(&["--baseline", "baseline.json", "--format", format]);
    assert_eq!(out.status.code(), Some(1));
    text(out.stdout)
}

#[test]
fn compared_reports_are_byte_identical_at_one_and_two_threads() {
    // One folder for both: SARIF names it (originalUriBaseIds).
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "sarif", "markdown", "junit", "table"] {
        let one = compared_at(dir.path(), format, "1");
        let two = compared_at(dir.path(), format, "2");
        assert!(one.contains("RDS001"), "{format}");
        assert!(one == two, "{format} differs between 1 and 2 threads");
    }
}

#[test]
fn compared_markdown_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!("compared_markdown", compared(dir.path(), "markdown"));
}

#[test]
fn hostile_names_stay_inert_in_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let md = compared(dir.path(), "markdown");
    assert!(md.contains("**new** | RDS001"), "{md}");
    for raw in ["<img", "](javascript", "|[fix", "@org", "`x`", "&amp;", ">|"] {
        let unescaped = md.match_indices(raw).any(|(i, _)| !md[..i].ends_with('\\'));
        assert!(!unescaped, "{raw} reaches the markdown unescaped:\n{md}");
    }
    assert!(
        md.contains("\\<img src=x onerror=alert(1)\\>\\|\\[fix\\](javascript"),
        "{md}"
    );
    // Every table row keeps its five columns: no pipe from a name splits a cell.
    for row in md
        .lines()
        .filter(|l| l.starts_with("| **new**") || l.starts_with("| kept"))
    {
        assert_eq!(row.matches(" | ").count(), 4, "{row}");
    }
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("contoso_junit", text(scan("2", &["--format", "junit"]).0));
}

#[test]
fn compared_junit_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!("compared_junit", compared(dir.path(), "junit"));
}

/// The XML parses, and the hostile name reads back exactly as written: escaped, not interpreted.
#[test]
fn hostile_names_stay_inert_in_junit() {
    let dir = tempfile::tempdir().unwrap();
    let xml = compared(dir.path(), "junit");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with(&format!("/securityRules/{HOSTILE}"))),
        "{names:?}"
    );
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("img")).count(), 0);
    let failures = doc.descendants().filter(|n| n.has_tag_name("failure")).count();
    assert_eq!(failures, 2, "one failure per rule and subject");
    let skipped = doc.descendants().filter(|n| n.has_tag_name("skipped")).count();
    assert!(skipped > 0, "not-evaluated checks are skipped");
}

/// A rule that judged its inputs and found nothing is one passing case, neither failed nor skipped.
#[test]
fn a_rule_that_found_nothing_is_a_passing_junit_case() {
    let dir = tempfile::tempdir().unwrap();
    let https = nsg_with_rules(&["https"]).replace("3389", "443");
    std::fs::write(dir.path().join("nsgs.json"), https).unwrap();
    let out = Command::cargo_bin("rdsaudit")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "nsgs.json", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let xml = text(out.stdout);
    assert!(
        xml.contains("<testcase classname=\"RDS001\" name=\"(inputs)\"/>"),
        "{xml}"
    );
    assert!(xml.contains("failures=\"0\""));
}

/// A control character in a name would make the XML invalid (XML 1.0 allows no C0 control but tab, CR and
/// LF, not even as a character reference): it is shown escaped.
#[test]
fn control_characters_in_names_are_escaped_in_junit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nsgs.json"),
        nsg_with_rules(&["bell\u{7}\u{1b}[31mred"]),
    )
    .unwrap();
    let out = Command::cargo_bin("rdsaudit")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "nsgs.json", "--format", "junit"])
        .output()
        .unwrap();
    let xml = text(out.stdout);
    assert!(!xml.contains('\u{7}') && !xml.contains('\u{1b}'));
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    assert!(doc
        .descendants()
        .filter_map(|n| n.attribute("name"))
        .any(|n| n.ends_with("bell\\x07\\x1b[31mred")));
}

#[test]
fn several_formats_in_one_run_are_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let sarif = dir.path().join("report.sarif");
    let (stdout, code) = scan(
        "2",
        &[
            "--format",
            "json",
            "--output",
            json.to_str().unwrap(),
            "--format",
            "sarif",
            "--output",
            sarif.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "nothing goes to stdout when every format has a file");
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert!(j["findings"].as_array().unwrap().len() > 5);
    assert_eq!(s["version"], "2.1.0");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
}

/// `--output` naming a FIFO (or a device such as `/dev/null`) writes into it; renaming a report over it
/// would replace the special file with a regular one.
#[cfg(unix)]
#[test]
fn a_fifo_output_is_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let (_, code) = scan("2", &["--format", "json", "--output", fifo.to_str().unwrap()]);
    assert_eq!(code, 1);
    // Checked before joining: a replaced FIFO would leave the reader waiting for a writer.
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let report: serde_json::Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert!(report["findings"].as_array().unwrap().len() > 5);
}

/// `--output` naming a link replaces the file it points at; the link stays a link.
#[cfg(unix)]
#[test]
fn a_linked_output_replaces_its_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (_, code) = scan("2", &["--format", "json", "--output", link.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&real).unwrap()).unwrap();
    assert!(report["findings"].as_array().unwrap().len() > 5);
}

#[test]
fn an_input_error_writes_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[{").unwrap();
    let out = dir.path().join("out.sarif");
    Command::cargo_bin("rdsaudit")
        .unwrap()
        .arg("scan")
        .arg(&bad)
        .args(["--format", "sarif", "--output"])
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
}

/// A RADIUS secret planted in the gateway's NPS export, on the line of the `Timeout` that fires RDS015.
const CANARY: &str = "CANARY-s3cr3t-6f1d";

#[test]
fn no_secret_reaches_any_output() {
    let planted = std::fs::read_to_string(contoso().join("hosts/RDGVM01/nps-config.xml")).unwrap();
    let line = planted
        .lines()
        .find(|l| l.contains(CANARY))
        .expect("the canary is planted");
    assert!(
        line.contains("<Timeout"),
        "the canary shares its line with the Timeout that fires RDS015"
    );
    for format in ["table", "json", "sarif", "markdown", "junit"] {
        let out = Command::cargo_bin("rdsaudit")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .args(["scan", "fixtures/environments/contoso", "--format", format])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("RDS015"), "{format}: the finding on that line is reported");
        assert!(!all.contains(CANARY), "{format} leaks the secret");
        if format == "table" {
            assert!(
                all.contains("REDACTED") && all.contains("<Timeout"),
                "the snippet shows the line, redacted"
            );
        }
    }
}
