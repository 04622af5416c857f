//! VM Run Command, the action API: `POST {vmId}/runCommand` with the collector's `-Summary` mode, then the
//! long-running operation is polled until it ends. Response shapes from the Azure REST API specification,
//! `specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-07-01/examples/
//! runCommandExamples/VirtualMachineRunCommand.json`: 202 with `Location` (Azure also sends
//! `Azure-AsyncOperation`), and the result `{"value": [{"code": "ComponentStatus/StdOut/succeeded",
//! "message": ...}, {"code": "ComponentStatus/StdErr/succeeded", ...}]}`. The Azure-AsyncOperation status
//! body (`{"status", "startTime", "endTime", "properties": {"output": <that result>}, "error"}`,
//! `RunCommandResult` of the 2017-12-01 runCommands API) carries the same result under `properties.output`.
//! The action API keeps only the last 4 KB of output: a longer summary arrives cut.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::hosts::Vm;
use super::request::{error_text, retry_after, Call, Client};
use super::transport::Reply;

pub const API_VERSION: &str = "2024-07-01";
/// The collector, sent whole to the VM.
pub const COLLECTOR: &str = include_str!("../../collect/rdsaudit-collect.ps1");
/// How long to wait between two polls when Azure sends no `Retry-After`.
const DEFAULT_POLL: Duration = Duration::from_secs(10);
/// No poll is closer to the previous one than this, whatever `Retry-After` says.
const MIN_POLL: Duration = Duration::from_millis(50);

/// `-Summary` (Run Command passes it as `-Summary true`, which the collector reads as the switch).
pub fn parameters() -> Value {
    json!([{ "name": "Summary", "value": "true" }])
}

/// The body of `POST {vmId}/runCommand`: `RunCommandInput` (`commandId`, `script` as lines, `parameters`).
pub fn action_body() -> Value {
    json!({
        "commandId": "RunPowerShellScript",
        "script": COLLECTOR.lines().collect::<Vec<_>>(),
        "parameters": parameters(),
    })
}

/// Run the collector on `vm` through the action API; `Ok` is what it printed on standard output.
pub fn action(client: &Client, endpoint: &str, vm: &Vm, deadline: Instant) -> Result<String, String> {
    let url = format!("{endpoint}{}/runCommand?api-version={API_VERSION}", vm.id);
    let body = action_body();
    let call = Call::arm("POST", &url, Some(&body), deadline);
    let reply = client.send(call, &vm.id).map_err(|f| f.0)?;
    let result = match reply.status {
        200 => parse(&reply)?,
        202 => {
            let location = reply.header("location").map(str::to_string);
            let operation = reply
                .header("azure-asyncoperation")
                .or(location.as_deref())
                .ok_or("Azure accepted the command (202) without an Azure-AsyncOperation or Location header")?
                .to_string();
            let status = poll(
                client,
                endpoint,
                &operation,
                first_wait(&reply),
                deadline,
                operation_done,
            )?;
            match output(&status) {
                Some(_) => status,
                // The status said Succeeded without the output: the result is at the Location URL.
                None => match location.filter(|l| *l != operation) {
                    Some(l) => poll(client, endpoint, &l, Duration::ZERO, deadline, result_done)?,
                    None => return Err("the command succeeded but Azure returned no output".into()),
                },
            }
        }
        _ => return Err(refused(&reply)),
    };
    stdout(&result)
}

/// The wait before the first poll: the `Retry-After` of the answer that started the operation.
pub fn first_wait(reply: &Reply) -> Duration {
    retry_after(reply).unwrap_or(DEFAULT_POLL)
}

/// GET `url` (a URL Azure handed out: it must be on the management endpoint, or the token would go
/// elsewhere) every `Retry-After` until `done` says it is over or `deadline` passes.
pub fn poll(
    client: &Client,
    endpoint: &str,
    url: &str,
    first: Duration,
    deadline: Instant,
    done: fn(&Reply) -> Result<Option<Value>, String>,
) -> Result<Value, String> {
    if !url.starts_with(&format!("{endpoint}/")) {
        return Err(format!(
            "Azure named an operation URL outside the management endpoint {endpoint}; it was not followed with the token"
        ));
    }
    let mut wait = first;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        std::thread::sleep(wait.max(MIN_POLL).min(left));
        let call = Call::arm("GET", url, None, deadline);
        let reply = client.send(call, "the Run Command operation").map_err(|f| f.0)?;
        if let Some(v) = done(&reply)? {
            return Ok(v);
        }
        wait = retry_after(&reply).unwrap_or(DEFAULT_POLL);
    }
}

pub fn timed_out() -> String {
    "no result within --host-timeout (the command may still be running on the VM)".into()
}

/// An Azure-AsyncOperation status (or, polling a Location URL, 202 then the result).
fn operation_done(reply: &Reply) -> Result<Option<Value>, String> {
    match reply.status {
        202 => Ok(None),
        200 => {
            let body = parse(reply)?;
            let Some(status) = body.get("status").and_then(Value::as_str) else {
                return Ok(output(&body).is_some().then_some(body));
            };
            match status.to_ascii_lowercase().as_str() {
                "succeeded" => Ok(Some(body)),
                "failed" | "canceled" | "cancelled" => Err(format!("the command ended {status}{}", arm_error(&body))),
                _ => Ok(None),
            }
        }
        _ => Err(refused(reply)),
    }
}

/// A Location URL: 202 while running, 200 with the result.
fn result_done(reply: &Reply) -> Result<Option<Value>, String> {
    match reply.status {
        202 => Ok(None),
        200 => parse(reply).map(Some),
        _ => Err(refused(reply)),
    }
}

/// `: code: message` of an ARM `error` object in `body`, if any.
pub fn arm_error(body: &Value) -> String {
    let error = body.get("error");
    let field = |k: &str| error.and_then(|e| e.get(k)).and_then(Value::as_str).unwrap_or("");
    match (field("code"), field("message")) {
        ("", "") => String::new(),
        (code, message) => format!(": {code}: {}", cut(message)),
    }
}

pub fn parse(reply: &Reply) -> Result<Value, String> {
    serde_json::from_slice(&reply.body).map_err(|e| format!("the answer is not JSON ({e})"))
}

/// A status that waiting will not change; 403 names the permission Run Command needs.
pub fn refused(reply: &Reply) -> String {
    let why = error_text(reply);
    match reply.status {
        401 => format!("HTTP 401 unauthenticated: the token was refused ({why})"),
        403 => format!(
            "HTTP 403 forbidden: Run Command needs Microsoft.Compute/virtualMachines/runCommand/action (managed: runCommands/write, read and delete), as Virtual Machine Contributor has, on the VM ({why})"
        ),
        409 => format!("HTTP 409 ({why}): the VM is stopped or deallocated, or already runs a command"),
        s => format!("HTTP {s} ({why})"),
    }
}

/// The status list: `properties.output.value` of a status body, or `value` of the result itself.
fn output(body: &Value) -> Option<&Vec<Value>> {
    let out = body.pointer("/properties/output").unwrap_or(body);
    out.get("value").or(Some(out)).and_then(Value::as_array)
}

/// StdOut of the result; nothing on it is an error that shows the start of StdErr.
fn stdout(result: &Value) -> Result<String, String> {
    let statuses = output(result).ok_or("the command's result has no output statuses")?;
    let message = |stream: &str| {
        statuses
            .iter()
            .find(|s| {
                s.get("code")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.to_ascii_lowercase().contains(stream))
            })
            .and_then(|s| s.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let out = message("/stdout/");
    if out.trim().is_empty() {
        let err = message("/stderr/");
        return Err(match err.trim() {
            "" => "the collector printed nothing".into(),
            e => format!(
                "the collector printed nothing on standard output; standard error: {}",
                cut(e)
            ),
        });
    }
    Ok(out.to_string())
}

/// At most 300 characters, control characters dropped (the caller still escapes what it shows).
pub fn cut(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_is_read_from_a_status_body_and_from_the_result() {
        let result = json!({"value": [
            {"code": "ComponentStatus/StdOut/succeeded", "level": "Info", "message": "{\"a\":1}"},
            {"code": "ComponentStatus/StdErr/succeeded", "level": "Info", "message": ""}
        ]});
        assert_eq!(stdout(&result).unwrap(), "{\"a\":1}");
        let status = json!({"status": "Succeeded", "properties": {"output": result}});
        assert_eq!(stdout(&status).unwrap(), "{\"a\":1}");
        let silent = json!({"value": [{"code": "ComponentStatus/StdErr/succeeded", "message": "boom\u{1b}[2J"}]});
        assert_eq!(
            stdout(&silent).unwrap_err(),
            "the collector printed nothing on standard output; standard error: boom[2J"
        );
    }

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn operations_end_on_their_status_or_on_the_location_result() {
        assert_eq!(operation_done(&reply(202, "")), Ok(None));
        assert_eq!(operation_done(&reply(200, r#"{"status": "InProgress"}"#)), Ok(None));
        let failed = operation_done(&reply(
            200,
            r#"{"status": "Failed", "error": {"code": "VMAgentStatusCommunicationError", "message": "no agent"}}"#,
        ));
        assert_eq!(
            failed.unwrap_err(),
            "the command ended Failed: VMAgentStatusCommunicationError: no agent"
        );
        // Polling the Location URL: 202, then the result itself (no `status`).
        let result = r#"{"value": [{"code": "ComponentStatus/StdOut/succeeded", "message": "{}"}]}"#;
        assert!(operation_done(&reply(200, result)).unwrap().is_some());
        assert_eq!(result_done(&reply(202, "")), Ok(None));
        assert!(refused(&reply(403, "")).contains("runCommand/action"));
    }

    #[test]
    fn no_token_goes_to_an_operation_url_off_the_endpoint() {
        let redactor = super::super::redact::Redactor::default();
        let client = Client {
            agent: super::super::transport::agent(Duration::from_secs(1), false),
            bearer: "Bearer x".into(),
            retry: super::super::request::Retry::default(),
            redactor: &redactor,
        };
        let e = poll(
            &client,
            "https://management.azure.com",
            "https://management.azure.com.evil.example/operations/1",
            Duration::ZERO,
            Instant::now() + Duration::from_secs(5),
            result_done,
        )
        .unwrap_err();
        assert!(e.contains("not followed with the token"), "{e}");
    }

    #[test]
    fn the_script_goes_as_lines_with_the_summary_switch() {
        let body = action_body();
        assert_eq!(body["commandId"], "RunPowerShellScript");
        assert_eq!(body["parameters"], json!([{"name": "Summary", "value": "true"}]));
        let lines = body["script"].as_array().unwrap();
        assert_eq!(lines.len(), COLLECTOR.lines().count());
        assert!(lines.iter().any(|l| l.as_str().unwrap().contains("[switch]$Summary")));
    }
}
