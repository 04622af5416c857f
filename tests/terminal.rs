//! Names are attacker-controlled (anyone who can name a resource names it): no output meant for a terminal
//! carries a raw control character or bidi override, while JSON keeps the exact text and SARIF messages
//! escape brackets so that a name cannot become a link.

use std::path::Path;

use assert_cmd::Command;

/// An NSG whose name and rule name carry an OSC title sequence, a screen clear and a right-to-left override,
/// and a rule that opens RDP, so the names reach every output.
const HOSTILE: &str = r#"[{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/evil\u001b]0;pwned\u0007\u202etxt.exe",
  "name": "evil\u001b]0;pwned\u0007\u202etxt.exe",
  "securityRules": [{"name": "[Click to fix](javascript:alert(1))\u001b[2J", "access": "Allow", "direction": "Inbound",
    "priority": 100, "protocol": "Tcp", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
    "destinationPortRange": "3389"}]}]
"#;

fn scan(dir: &Path, args: &[&str]) -> (String, String) {
    let out = Command::cargo_bin("rdsaudit")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("scan")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn hostile_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nsgs.json"), HOSTILE).unwrap();
    // A walked file that is skipped with a warning naming it.
    std::fs::write(dir.path().join("notes\u{1b}[31m.txt"), "x").unwrap();
    dir
}

fn assert_inert(what: &str, text: &str) {
    assert!(!text.contains('\u{1b}'), "{what} carries a raw ESC:\n{text}");
    assert!(!text.contains('\u{7}'), "{what} carries a raw BEL");
    assert!(!text.contains('\u{202e}'), "{what} carries a raw RLO");
}

#[test]
fn the_table_diagnostics_and_warnings_show_control_characters_escaped() {
    let dir = hostile_dir();
    let (stdout, stderr) = scan(dir.path(), &[]);
    assert_inert("the table and diagnostics", &stdout);
    assert_inert("the warnings", &stderr);
    // Table cells wrap: look at the text without the layout.
    let flat: String = stdout
        .chars()
        .filter(|c| !c.is_whitespace() && !"│┆".contains(*c))
        .collect();
    assert!(flat.contains(r"evil\x1b]0;pwned\x07\u{202e}txt.exe"), "{stdout}");
    assert!(flat.contains(r"alert(1))\x1b[2J"), "{stdout}");
    assert!(stderr.contains(r"notes\x1b[31m.txt"), "{stderr}");
}

#[test]
fn input_errors_show_control_characters_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nsgs.json"),
        HOSTILE.replace(r#""3389""#, r#""33\u001b[2J89""#),
    )
    .unwrap();
    let (_, stderr) = scan(dir.path(), &[]);
    assert_inert("the input error", &stderr);
    assert!(stderr.contains(r"33\x1b[2J89"), "{stderr}");
}

#[test]
fn json_keeps_the_exact_text_and_sarif_escapes_brackets() {
    let dir = hostile_dir();
    let (json, _) = scan(dir.path(), &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let subject = report["findings"][0]["subject"].as_str().unwrap();
    assert!(subject.ends_with(
        "evil\u{1b}]0;pwned\u{7}\u{202e}txt.exe/securityRules/[Click to fix](javascript:alert(1))\u{1b}[2J"
    ));
    let (sarif, _) = scan(dir.path(), &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let message = sarif["runs"][0]["results"][0]["message"]["text"].as_str().unwrap();
    assert!(message.contains(r"\[Click to fix\](javascript:alert(1))"), "{message}");
}
