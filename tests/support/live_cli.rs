//! Running `rdsaudit scan` live against the test server (`azure.rs`) with a canary token that no output may
//! hold, and reading what it printed.

#![allow(dead_code)] // each test crate uses its own part

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use super::azure::Server;

pub const SUB_A: &str = "cfbbd179-59d2-4052-aa06-9270a38aa9d6";
pub const SUB_B: &str = "6f1d0a3c-2b4e-4f5a-8c7d-9e0f1a2b3c4d";
pub const SUB_C: &str = "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3";
/// The token the tests hand over; it must appear in no output.
pub const CANARY: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.canary-7f3e2d1c";

/// `rdsaudit scan` against `server` with the canary token (`--auth auto` takes it first) and a short backoff.
pub fn live(server: &Server) -> Command {
    live_at(&server.url)
}

pub fn live_at(endpoint: &str) -> Command {
    let mut cmd = Command::cargo_bin("rdsaudit").unwrap();
    for var in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "AZURESUBSCRIPTION_TENANT_ID",
        "AZURESUBSCRIPTION_CLIENT_ID",
        "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
        "SYSTEM_ACCESSTOKEN",
        "SYSTEM_OIDCREQUESTURI",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AZURE_ACCESS_TOKEN", CANARY).env("NO_COLOR", "1").args([
        "scan",
        "--endpoint",
        endpoint,
        "--retry-backoff",
        "0.05",
    ]);
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stdout.contains(CANARY) && !run.stderr.contains(CANARY) && !run.stderr.contains("canary-7f3e"),
        "the token leaked:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run
}

pub fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

/// (rule, subject, message) of every finding, or (rule, subject, reason) of every not-evaluated entry.
pub fn outcomes(report: &Value, key: &str, text: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["rule"], f["subject"], f[text]))
        .collect()
}

pub fn offline(dir: &Path) -> Value {
    let out = Command::cargo_bin("rdsaudit")
        .unwrap()
        .args(["scan", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}
