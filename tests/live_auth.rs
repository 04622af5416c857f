//! The Azure CLI login as a live scan's credential: `azure_identity`'s `AzureCliCredential` runs
//! `az account get-access-token`, here a stand-in `az` first on `PATH` that prints what the real one prints.
//! (The service principal, workload identity and Azure Pipelines sources are tested against a scripted
//! token endpoint in `src/live/auth_tests.rs`; Entra ID itself is https only.)
#![cfg(all(feature = "live", unix))]

#[path = "support/azure.rs"]
mod azure;
#[path = "support/live_cli.rs"]
mod live_cli;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use azure::{two_pages, Answer, Server};
use live_cli::{live, run, SUB_A};

const CLI_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.az-cli-canary-0c4b";

/// An `az` in `dir` that records its arguments and runs `body`.
fn fake_az(dir: &Path, body: &str) {
    let script = dir.join("az");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" > '{}/args'\n{body}\n", dir.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn path_with(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

#[test]
fn the_azure_cli_login_gives_the_token() {
    let dir = tempfile::tempdir().unwrap();
    // `az account get-access-token -o json` (Azure CLI 2.54 and later also print `expires_on`).
    fake_az(
        dir.path(),
        &format!(
            r#"cat <<'JSON'
{{
  "accessToken": "{CLI_TOKEN}",
  "expiresOn": "2099-01-01 00:00:00.000000",
  "expires_on": 4070908800,
  "subscription": "{SUB_A}",
  "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
  "tokenType": "Bearer"
}}
JSON"#
        ),
    );
    let server = Server::start(|seen, _| {
        if seen.header("authorization") == Some(&format!("Bearer {CLI_TOKEN}")) {
            two_pages(seen, SUB_A)
        } else {
            Answer::error(401, "InvalidAuthenticationToken", "wrong token")
        }
    });
    let r = run(live(&server)
        .env_remove("AZURE_ACCESS_TOKEN")
        .env("PATH", path_with(dir.path()))
        .args(["--subscription", SUB_A, "--auth", "cli"]));
    assert_eq!(r.code, 1, "the sample fails the gate: {}", r.stderr);
    assert_eq!(server.seen().len(), 2);
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(
        args.trim(),
        "account get-access-token -o json --scope https://management.azure.com/.default"
    );
    assert!(!r.stdout.contains(CLI_TOKEN) && !r.stderr.contains(CLI_TOKEN));
}

#[test]
fn an_azure_cli_without_a_login_is_exit_3_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    fake_az(
        dir.path(),
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
    );
    let server = Server::start(|seen, _| two_pages(seen, SUB_A));
    let r = run(live(&server)
        .env_remove("AZURE_ACCESS_TOKEN")
        .env("PATH", path_with(dir.path()))
        .args(["--subscription", SUB_A, "--auth", "cli"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("cli (az login)"), "{}", r.stderr);
    assert!(r.stderr.contains("Please run 'az login'"), "{}", r.stderr);
    assert!(server.seen().is_empty());
}
