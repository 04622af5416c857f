//! Host evidence through VM Run Command (`--collect-host-evidence`) against the test server on 127.0.0.1
//! (`support/azure.rs`), never Azure. The Run Command answers follow the Azure REST API specification examples
//! `runCommandExamples/VirtualMachineRunCommand.json` (action API: 202, then the StdOut/StdErr statuses, here
//! in the Azure-AsyncOperation status body's `properties.output`) and `VirtualMachineRunCommand_CreateOrUpdate
//! .json`, `VirtualMachineRunCommand_Get.json`, `VirtualMachineRunCommand_Delete.json` (managed Run Command
//! with `--evidence-container`).
#![cfg(feature = "live")]

#[path = "support/azure.rs"]
mod azure;
mod common;
#[path = "support/live_cli.rs"]
mod live_cli;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure::{
    host_summary, operation_of, operation_status, page, rows, run_command_accepted, vm_of, vm_row, Answer, Seen, Server,
};
use live_cli::{json, live, offline, outcomes, run, CANARY, SUB_A};
use serde_json::{json, Value};

/// The shared environment (its Windows VM `vm-mini`) with an NPS server `NPSVM01` and a Linux VM.
fn graph() -> Answer {
    let mut data = rows(SUB_A);
    data.push(vm_row(SUB_A, "NPSVM01", true));
    data.push(vm_row(SUB_A, "linux-jump", false));
    page(&data, data.len(), None)
}

fn is_graph(seen: &Seen) -> bool {
    seen.path.starts_with("/providers/Microsoft.ResourceGraph/")
}

/// The action API: each VM's operation (named after the VM) is InProgress once, then gives `stdout(vm)`.
fn action_api(stdout: fn(&str) -> String) -> Server {
    Server::start(move |seen, before| match seen.method.as_str() {
        "POST" if is_graph(seen) => graph(),
        "POST" if seen.path.contains("/runCommand?") => run_command_accepted(seen, &vm_of(seen)),
        "GET" if seen.path.contains("/operations/") => {
            let vm = operation_of(seen);
            match before.iter().filter(|s| s.path == seen.path).count() {
                0 => operation_status("InProgress", ""),
                _ => operation_status("Succeeded", &stdout(&vm)),
            }
        }
        _ => Answer::error(404, "NotFound", "not scripted"),
    })
}

fn summary_of(vm: &str) -> String {
    host_summary(&vm.to_uppercase()).to_string()
}

/// A summary of `vm` with 60 network policies: more than the 4 KB the action API keeps.
fn long_summary(vm: &str) -> String {
    let mut s = host_summary(&vm.to_uppercase());
    s["nps"]["network_policies"] = (0..60)
        .map(|i| json!({"name": format!("Connections to RD Gateway {i:02}"), "enabled": true, "sequence": i, "allow_dialin": true, "ignore_user_dialin": true}))
        .collect();
    let text = s.to_string();
    assert!(text.len() > 4096);
    text
}

fn npsvm01_id() -> String {
    vm_row(SUB_A, "NPSVM01", true)["id"].as_str().unwrap().to_string()
}

fn rds013_hosts(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "RDS013")
        .map(|f| {
            f["subject"]
                .as_str()
                .unwrap_or(&f["subject"]["id"].to_string())
                .to_string()
        })
        .collect()
}

#[test]
fn the_action_api_runs_the_collector_on_windows_vms_and_a_host_rule_fires() {
    // vm-mini's NPS extension DLLs could not be read: its RDS014 says so, naming the VM, not a temporary folder.
    let server = action_api(|vm| match vm {
        "vm-mini" => {
            let mut s = host_summary("VM-MINI");
            s["mfa"]["authsrv_read"] = json!("error");
            s.to_string()
        }
        _ => summary_of(vm),
    });
    let r = run(live(&server).args(["--subscription", SUB_A, "--collect-host-evidence", "--format", "json"]));
    assert_eq!(r.code, 1, "the sample fails the gate: {}", r.stderr);
    let report = json(&r);
    let fired = outcomes(&report, "findings", "message");
    assert!(
        fired
            .iter()
            .any(|f| f.starts_with("\"RDS013\"") && f.contains("NPSVM01")),
        "{fired:?}"
    );
    let seen = server.seen();
    let post = seen
        .iter()
        .find(|s| s.method == "POST" && s.path.contains("/NPSVM01/runCommand"))
        .expect("the NPS server ran the command");
    assert_eq!(post.path, format!("{}/runCommand?api-version=2024-07-01", npsvm01_id()));
    assert_eq!(post.header("authorization"), Some(format!("Bearer {CANARY}").as_str()));
    assert_eq!(post.body["commandId"], "RunPowerShellScript");
    assert_eq!(post.body["parameters"], json!([{"name": "Summary", "value": "true"}]));
    let script = post.body["script"].as_array().unwrap();
    assert!(script.len() > 100, "the collector goes line by line");
    assert!(script.iter().any(|l| l.as_str().unwrap().contains("[switch]$Summary")));
    let polls: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.method == "GET" && s.path.contains("/operations/NPSVM01?"))
        .collect();
    assert_eq!(polls.len(), 2, "one InProgress poll, then Succeeded");
    assert!(polls
        .iter()
        .all(|p| p.header("authorization") == post.header("authorization")));
    assert!(
        seen.iter().any(|s| s.path.contains("/vm-mini/runCommand")),
        "the fixture's Windows VM runs too"
    );
    assert!(
        !seen.iter().any(|s| s.path.contains("linux-jump")),
        "a Linux VM is never run"
    );
    let missing = outcomes(&report, "not_evaluated", "reason");
    assert!(!missing.iter().any(|n| n.contains("host evidence")), "{missing:?}");
    let vm_mini = vm_row(SUB_A, "vm-mini", true)["id"].as_str().unwrap().to_string();
    assert!(
        missing.iter().any(
            |n| n.starts_with("\"RDS014\" \"VM-MINI\"") && n.contains(&format!("not collected in azure:{vm_mini}"))
        ),
        "{missing:?}"
    );
    assert!(
        !report.to_string().contains("rdsaudit-live-"),
        "no temporary path in the report"
    );
    let inputs = report["inputs"].to_string();
    assert!(inputs.contains(&format!("azure:{}", npsvm01_id())), "{inputs}");
    assert!(!inputs.contains("rdsaudit-live-"), "no temporary path: {inputs}");
}

#[test]
fn the_export_keeps_the_host_summaries_and_scans_offline_to_the_same_report() {
    let server = action_api(summary_of);
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    let r = run(live(&server)
        .args([
            "--subscription",
            SUB_A,
            "--collect-host-evidence",
            "--format",
            "json",
            "--export",
        ])
        .arg(&export));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(export.join("hosts/NPSVM01/host-summary.json")).unwrap())
            .unwrap();
    assert_eq!(written, host_summary("NPSVM01"));
    let live = json(&r);
    assert!(outcomes(&live, "findings", "message")
        .iter()
        .any(|f| f.starts_with("\"RDS013\"") && f.contains("NPSVM01")));
    assert_eq!(
        live,
        offline(&export),
        "the live report and the offline scan of its export differ"
    );
}

#[test]
fn a_vm_that_does_not_finish_in_time_is_not_evaluated_and_the_scan_goes_on() {
    let server = Server::start(|seen, _| match seen.method.as_str() {
        "POST" if is_graph(seen) => graph(),
        "POST" => run_command_accepted(seen, &vm_of(seen)),
        _ => operation_status("InProgress", ""),
    });
    let start = Instant::now();
    let r = run(live(&server).timeout(Duration::from_secs(30)).args([
        "--subscription",
        SUB_A,
        "--collect-host-evidence",
        "--host-timeout",
        "1",
        "--format",
        "json",
    ]));
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert_eq!(r.code, 1, "the resources decide the exit code, not 3: {}", r.stderr);
    let report = json(&r);
    let missing: Vec<String> = outcomes(&report, "not_evaluated", "reason")
        .into_iter()
        .filter(|n| n.contains(&npsvm01_id()) && n.contains("host evidence not collected"))
        .collect();
    for rule in ["RDS010", "RDS013", "RDS014", "RDS020", "RDS022"] {
        assert!(
            missing.iter().any(|n| n.starts_with(&format!("\"{rule}\""))),
            "{rule}: {missing:?}"
        );
    }
    assert!(missing.iter().all(|n| n.contains("--host-timeout")), "{missing:?}");
    assert!(
        !missing.iter().any(|n| ["RDS001", "RDS002", "RDS003", "RDS004"]
            .iter()
            .any(|r| n.starts_with(&format!("\"{r}\"")))),
        "only the host rules: {missing:?}"
    );
    assert!(
        r.stderr.contains("warning: host evidence of") && r.stderr.contains("NPSVM01"),
        "{}",
        r.stderr
    );
    assert!(
        !report["findings"].as_array().unwrap().is_empty(),
        "the resources are still judged"
    );
}

#[test]
fn a_summary_cut_to_4_kb_is_not_evaluated_and_names_the_evidence_container() {
    let server = action_api(|vm| match vm {
        "NPSVM01" => {
            let text = long_summary(vm);
            text[text.len() - 4096..].to_string()
        }
        _ => summary_of(vm),
    });
    let r = run(live(&server).args(["--subscription", SUB_A, "--collect-host-evidence", "--format", "json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report = json(&r);
    assert!(!rds013_hosts(&report).iter().any(|h| h.contains("NPSVM01")));
    assert!(
        rds013_hosts(&report).iter().any(|h| h.contains("VM-MINI")),
        "the other VM is still judged"
    );
    let missing: Vec<String> = outcomes(&report, "not_evaluated", "reason")
        .into_iter()
        .filter(|n| n.starts_with("\"RDS013\"") && n.contains(&npsvm01_id()))
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("truncated") && missing[0].contains("4 KB") && missing[0].contains("--evidence-container"),
        "{missing:?}"
    );
}

#[test]
fn at_most_eight_vms_run_at_once() {
    let most = Arc::new(AtomicUsize::new(0));
    let seen_most = Arc::clone(&most);
    let server = Server::start(move |seen, before| {
        let is_op = |s: &Seen| s.method == "GET" && s.path.contains("/operations/");
        match seen.method.as_str() {
            "POST" if is_graph(seen) => {
                let mut data = rows(SUB_A);
                data.extend((1..=12).map(|i| vm_row(SUB_A, &format!("RDSH{i:02}"), true)));
                page(&data, data.len(), None)
            }
            "POST" => {
                // Started and not yet answered Succeeded, this one included.
                let started = before.iter().filter(|s| s.method == "POST" && !is_graph(s)).count() + 1;
                let finished = before
                    .iter()
                    .enumerate()
                    .filter(|(i, s)| is_op(s) && before[..*i].iter().any(|p| p.path == s.path))
                    .count();
                most.fetch_max(started - finished, Ordering::SeqCst);
                run_command_accepted(seen, &vm_of(seen))
            }
            _ => match before.iter().filter(|s| s.path == seen.path).count() {
                0 => operation_status("InProgress", ""),
                _ => operation_status("Succeeded", &summary_of(&operation_of(seen))),
            },
        }
    });
    let r = run(live(&server).args(["--subscription", SUB_A, "--collect-host-evidence", "--format", "json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(json(&r)["coverage"]["hosts"], 13, "every VM gave its summary");
    assert_eq!(seen_most.load(Ordering::SeqCst), 8, "eight at a time, no more");
}

const SIG: &str = "c2VjcmV0LXNhcy1zaWduYXR1cmUtY2FuYXJ5%2BQ%3D";
const SIG_DECODED: &str = "c2VjcmV0LXNhcy1zaWduYXR1cmUtY2FuYXJ5+Q=";

#[test]
fn the_evidence_container_runs_a_managed_run_command_reads_its_blob_and_deletes_it() {
    let server = Server::start(|seen, before| {
        let vm = vm_of(seen);
        let runs = |m: &str| before.iter().filter(|s| s.method == m && vm_of(s) == vm).count();
        match seen.method.as_str() {
            "POST" if is_graph(seen) => graph(),
            // The 201 of VirtualMachineRunCommand_CreateOrUpdate.json: the body echoes the blob URIs.
            "PUT" => Answer::json(
                201,
                &json!({"name": "rdsaudit-collect", "location": "westeurope", "properties": {
                    "outputBlobUri": seen.body["properties"]["outputBlobUri"],
                    "provisioningState": "Creating", "asyncExecution": false}}),
            )
            .header("Retry-After", "0"),
            "GET" if seen.path.starts_with("/evidence/") => Answer {
                status: 200,
                headers: vec![],
                body: long_summary("NPSVM01"),
                delay: Duration::ZERO,
            },
            "GET" if vm == "NPSVM01" && runs("GET") == 0 => Answer::json(
                200,
                &json!({"properties": {"provisioningState": "Creating", "instanceView": {"executionState": "Running"}}}),
            )
            .header("Retry-After", "0"),
            "GET" if vm == "NPSVM01" => Answer::json(
                200,
                &json!({"properties": {"provisioningState": "Succeeded", "instanceView": {
                    "executionState": "Succeeded", "exitCode": 0, "output": ""}}}),
            ),
            // vm-mini: the script failed, and the message echoes the output blob URI with its SAS.
            "GET" => {
                let uri = before.iter().find(|s| s.method == "PUT" && vm_of(s) == vm).unwrap().body["properties"]
                    ["outputBlobUri"]
                    .as_str()
                    .unwrap()
                    .to_string();
                Answer::json(
                    200,
                    &json!({"properties": {"provisioningState": "Succeeded", "instanceView": {
                        "executionState": "Failed", "executionMessage": format!("cannot write {uri}")}}}),
                )
            }
            "DELETE" => Answer::json(200, &Value::Null),
            _ => Answer::error(404, "NotFound", "not scripted"),
        }
    });
    let container = format!(
        "{}/evidence?sv=2022-11-02&ss=b&srt=o&sp=cw&se=2026-12-02T00%3A00%3A00Z&sig={SIG}",
        server.url
    );
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    let r = run(live(&server)
        .args(["--subscription", SUB_A, "--collect-host-evidence", "--format", "json"])
        .args(["--evidence-container", &container, "--export"])
        .arg(&export));
    assert_eq!(r.code, 1, "{}", r.stderr);
    for text in [&r.stdout, &r.stderr] {
        assert!(
            !text.contains(SIG) && !text.contains(SIG_DECODED) && !text.contains("sig="),
            "the SAS leaked: {text}"
        );
    }
    for entry in common::walk(&export) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(
            !text.contains(SIG) && !text.contains(SIG_DECODED),
            "{}",
            entry.display()
        );
    }
    let report = json(&r);
    assert!(
        rds013_hosts(&report).iter().any(|h| h.contains("NPSVM01")),
        "the blob held the whole summary"
    );
    let failed: Vec<String> = outcomes(&report, "not_evaluated", "reason")
        .into_iter()
        .filter(|n| n.starts_with("\"RDS013\"") && n.contains("vm-mini"))
        .collect();
    assert!(
        failed.len() == 1 && failed[0].contains("ended failed") && failed[0].contains("[REDACTED]"),
        "{failed:?}"
    );
    let seen = server.seen();
    let put = seen
        .iter()
        .find(|s| s.method == "PUT" && vm_of(s) == "NPSVM01")
        .unwrap();
    assert_eq!(
        put.path,
        format!("{}/runCommands/rdsaudit-collect?api-version=2024-07-01", npsvm01_id())
    );
    assert_eq!(put.header("authorization"), Some(format!("Bearer {CANARY}").as_str()));
    let p = &put.body["properties"];
    assert_eq!(put.body["location"], "westeurope");
    assert!(p["source"]["script"].as_str().unwrap().contains("[switch]$Summary"));
    assert_eq!(p["parameters"], json!([{"name": "Summary", "value": "true"}]));
    assert_eq!(
        p["outputBlobUri"],
        format!(
            "{}/evidence/NPSVM01-host-summary.json?{}",
            server.url,
            container.split_once('?').unwrap().1
        )
    );
    assert!(p["errorBlobUri"].as_str().unwrap().contains("/evidence/NPSVM01-"));
    assert_eq!(
        (
            p["asyncExecution"].clone(),
            p["treatFailureAsDeploymentFailure"].clone()
        ),
        (json!(false), json!(false))
    );
    assert_eq!(p["timeoutInSeconds"], 600);
    let polls: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.method == "GET" && vm_of(s) == "NPSVM01")
        .collect();
    assert_eq!(polls.len(), 2);
    assert!(polls[0].path.contains("$expand=instanceView"), "{}", polls[0].path);
    let blob = seen.iter().find(|s| s.path.starts_with("/evidence/")).unwrap();
    assert!(blob
        .path
        .starts_with("/evidence/NPSVM01-host-summary.json?sv=2022-11-02"));
    assert_eq!(blob.header("authorization"), None, "no token goes to storage");
    assert!(blob.header("x-ms-version").is_some());
    for vm in ["NPSVM01", "vm-mini"] {
        assert!(
            seen.iter()
                .any(|s| s.method == "DELETE" && vm_of(s) == vm && s.path.contains("/runCommands/rdsaudit-collect?")),
            "the run command on {vm} is deleted"
        );
    }
    assert!(!seen.iter().any(|s| s.path.contains("linux-jump")));
}

#[test]
fn the_evidence_container_needs_host_evidence_and_a_sas() {
    let server = action_api(summary_of);
    let sas = format!("https://a.blob.core.windows.net/c?sv=2022-11-02&sp=cw&sig={SIG}");
    let r = run(live(&server).args(["--subscription", SUB_A, "--evidence-container", &sas]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--collect-host-evidence"), "{}", r.stderr);
    assert!(!r.stderr.contains(SIG), "{}", r.stderr);
    let r = run(live(&server).args([
        "--subscription",
        SUB_A,
        "--collect-host-evidence",
        "--evidence-container",
        "https://a.blob.core.windows.net/c?sv=1&sp=cw",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no sig="), "{}", r.stderr);
    assert!(server.seen().is_empty(), "nothing was sent");
}
