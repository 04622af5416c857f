//! Managed Run Command (`--evidence-container`): `PUT {vmId}/runCommands/rdsaudit-collect` with the collector
//! and an `outputBlobUri` in the user's container, polled (`$expand=instanceView`) until it ends; the output
//! blob is then read with the SAS alone (no token goes to storage), and the run command deleted. The blob
//! receives everything the collector prints, so the summary is never cut to 4 KB as with the action API.
//! Shapes from the Azure REST API specification examples `runCommandExamples/
//! VirtualMachineRunCommand_CreateOrUpdate.json`, `VirtualMachineRunCommand_Get.json` and
//! `VirtualMachineRunCommand_Delete.json` (`Microsoft.Compute/ComputeRP/stable/2024-07-01` and `2024-11-01`);
//! `instanceView.executionState` is one of Unknown, Pending, Running, Failed, Succeeded, TimedOut, Canceled.
//!
//! The SAS query string is a secret: [`Container::secrets`] go to the redactor before any request.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::hosts::Vm;
use super::request::{Call, Client};
use super::runcommand::{arm_error, cut, first_wait, parameters, parse, poll, refused, API_VERSION, COLLECTOR};
use super::transport::Reply;

/// The name of the run command on the VM (one at a time; deleted after the run).
pub const NAME: &str = "rdsaudit-collect";
/// The Blob storage REST version sent with the blob GET.
const BLOB_VERSION: &str = "2021-12-02";

/// `--evidence-container`: a container URL and its SAS query string.
#[derive(Debug, Clone)]
pub struct Container {
    base: String,
    query: String,
}

impl Container {
    /// `https://<account>.blob.core.windows.net/<container>?<SAS>` (plain `http://` only on loopback, for
    /// tests). The error never shows the query string.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let base = base.trim_end_matches('/').to_string();
        let shown = || format!("--evidence-container {base}?...");
        let (scheme, rest) = base.split_once("://").ok_or_else(|| {
            format!(
                "{}: expected https://<account>.blob.core.windows.net/<container>?<SAS>",
                shown()
            )
        })?;
        let host = rest.split('/').next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        let loopback = ["127.0.0.1", "localhost", "[::1]"].contains(&host);
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(format!("{}: expected an https:// URL", shown())),
        }
        if !rest.trim_end_matches('/').contains('/') {
            return Err(format!(
                "{}: name the container (https://<account>.blob.core.windows.net/<container>)",
                shown()
            ));
        }
        if !query.split('&').any(|p| p.starts_with("sig=")) {
            return Err(format!(
                "{}: expected a SAS URL with create and write permissions (its query string has no sig=)",
                shown()
            ));
        }
        Ok(Self {
            base,
            query: query.to_string(),
        })
    }

    /// What must never be shown: the whole query string, and the signature raw and percent-decoded.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = vec![self.query.clone()];
        for sig in self.query.split('&').filter_map(|p| p.strip_prefix("sig=")) {
            out.push(sig.to_string());
            out.push(percent_decode(sig));
        }
        out
    }

    /// The blob `name` in the container, with the SAS.
    pub fn blob(&self, name: &str) -> String {
        format!("{}/{name}?{}", self.base, self.query)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The body of the PUT: `VirtualMachineRunCommand` with the script inline and the output blobs.
pub fn body(vm: &Vm, container: &Container, blob: &str, timeout: Duration) -> Value {
    json!({
        "location": vm.location,
        "properties": {
            "source": { "script": COLLECTOR },
            "parameters": parameters(),
            "outputBlobUri": container.blob(&format!("{blob}-host-summary.json")),
            "errorBlobUri": container.blob(&format!("{blob}-host-summary.stderr.txt")),
            "timeoutInSeconds": timeout.as_secs().max(1),
            "asyncExecution": false,
            "treatFailureAsDeploymentFailure": false,
        }
    })
}

/// Run the collector on `vm` as a managed run command writing to `container`; `Ok` is the output blob.
pub fn run(
    client: &Client,
    endpoint: &str,
    vm: &Vm,
    container: &Container,
    blob: &str,
    timeout: Duration,
    deadline: Instant,
) -> Result<String, String> {
    let resource = format!("{endpoint}{}/runCommands/{NAME}", vm.id);
    let put_url = format!("{resource}?api-version={API_VERSION}");
    let body = body(vm, container, blob, timeout);
    let call = Call::arm("PUT", &put_url, Some(&body), deadline);
    let reply = client.send(call, &vm.id).map_err(|f| f.0)?;
    if !matches!(reply.status, 200 | 201) {
        return Err(refused(&reply));
    }
    let outcome = finished(client, endpoint, &resource, &reply, deadline)
        .and_then(|()| read_blob(client, &container.blob(&format!("{blob}-host-summary.json")), deadline));
    // Best effort: the run command must not stay on the VM, whatever happened.
    let call = Call::arm("DELETE", &put_url, None, Instant::now() + Duration::from_secs(60));
    let _ = client.send(call, &vm.id);
    outcome
}

/// Poll the run command until its provisioning and its execution are over.
fn finished(client: &Client, endpoint: &str, resource: &str, put: &Reply, deadline: Instant) -> Result<(), String> {
    // The PUT's answer has no instance view: once provisioned, one GET tells how the execution ended.
    let provisioned = parse(put).is_ok_and(|b| {
        b.pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.eq_ignore_ascii_case("creating") && !s.eq_ignore_ascii_case("updating"))
    });
    let first = if provisioned { Duration::ZERO } else { first_wait(put) };
    let url = format!("{resource}?$expand=instanceView&api-version={API_VERSION}");
    poll(client, endpoint, &url, first, deadline, |reply| match reply.status {
        200 => state_done(&parse(reply)?),
        _ => Err(refused(reply)),
    })
    .map(|_| ())
}

/// `Some` when the run command ended well, `None` while it runs, `Err` when it failed.
fn state_done(body: &Value) -> Result<Option<Value>, String> {
    let text = |p: &str| body.pointer(p).and_then(Value::as_str).unwrap_or("");
    let provisioning = text("/properties/provisioningState").to_ascii_lowercase();
    let execution = text("/properties/instanceView/executionState").to_ascii_lowercase();
    let why = || {
        let view = |k: &str| text(&format!("/properties/instanceView/{k}")).to_string();
        let detail = [view("error"), view("executionMessage")]
            .into_iter()
            .find(|t| !t.trim().is_empty())
            .map(|t| format!(": {}", cut(&t)))
            .unwrap_or_else(|| arm_error(body));
        detail
    };
    match (provisioning.as_str(), execution.as_str()) {
        ("failed" | "canceled", _) => Err(format!(
            "the managed run command's provisioning {provisioning}{}",
            why()
        )),
        ("succeeded", "" | "succeeded") => Ok(Some(Value::Null)),
        ("succeeded", "failed" | "timedout" | "canceled") => {
            Err(format!("the collector's execution ended {execution}{}", why()))
        }
        _ => Ok(None),
    }
}

/// GET the output blob with its SAS (no bearer token) and the Blob storage version header.
fn read_blob(client: &Client, url: &str, deadline: Instant) -> Result<String, String> {
    let call = Call {
        method: "GET",
        url,
        body: None,
        headers: &[("x-ms-version", BLOB_VERSION)],
        bearer: false,
        deadline,
    };
    let reply = client.send(call, "the output blob").map_err(|f| f.0)?;
    match reply.status {
        200 => Ok(String::from_utf8_lossy(&reply.body).into_owned()),
        404 => Err(
            "the output blob was not written: check that the SAS allows create and write and that the VM can reach the storage account".into(),
        ),
        s => Err(format!("the output blob: HTTP {s} ({})", cut(&String::from_utf8_lossy(&reply.body)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_url_needs_a_signature_and_never_shows_it() {
        let c = Container::parse("https://acct.blob.core.windows.net/evidence/?sv=2022-11-02&sp=cw&sig=abc%2Bdef%3D")
            .unwrap();
        assert_eq!(
            c.blob("vm1.json"),
            "https://acct.blob.core.windows.net/evidence/vm1.json?sv=2022-11-02&sp=cw&sig=abc%2Bdef%3D"
        );
        assert!(c.secrets().contains(&"abc+def=".to_string()));
        let e = Container::parse("https://acct.blob.core.windows.net/evidence?sv=1&sp=cw").unwrap_err();
        assert!(e.contains("no sig=") && !e.contains("sp=cw"), "{e}");
        assert!(Container::parse("http://acct.blob.core.windows.net/c?sig=x").is_err());
        assert!(Container::parse("https://acct.blob.core.windows.net?sig=x").is_err());
        assert!(Container::parse("http://127.0.0.1:9/c?sig=x").is_ok());
    }

    #[test]
    fn the_run_command_ends_on_its_execution_state() {
        let at = |p: &str, e: &str| json!({"properties": {"provisioningState": p, "instanceView": {"executionState": e, "executionMessage": "boom"}}});
        assert!(state_done(&at("Succeeded", "Succeeded")).unwrap().is_some());
        assert!(state_done(&at("Creating", "Running")).unwrap().is_none());
        assert!(state_done(&at("Succeeded", "Running")).unwrap().is_none());
        assert_eq!(
            state_done(&at("Succeeded", "TimedOut")).unwrap_err(),
            "the collector's execution ended timedout: boom"
        );
        assert!(state_done(&at("Failed", "")).is_err());
    }
}
