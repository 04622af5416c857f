//! A real HTTP server on 127.0.0.1 for the live-scan tests: it answers Resource Graph queries with the
//! shapes of the Azure REST API specification's examples (`ResourcesFirstPageQuery.json`,
//! `ResourcesNextPageQuery.json`: `totalRecords`, `count`, `resultTruncated`, `facets`, `$skipToken`, `data`)
//! and ARM error bodies (`{"error": {"code", "message"}}`), as each test scripts it; Resource Manager's
//! subscription list in the shape of `GetSubscriptions.json` (2022-12-01: `value`, `nextLink`).

#![allow(dead_code)] // each test crate uses its own part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The one subscription (or management group) the query is for.
    pub fn scope(&self) -> String {
        let list = self
            .body
            .get("subscriptions")
            .or_else(|| self.body.get("managementGroups"));
        list.and_then(|l| l[0].as_str()).unwrap_or("").to_string()
    }

    /// Every subscription the query names.
    pub fn scopes(&self) -> Vec<String> {
        let list = self.body.get("subscriptions").and_then(Value::as_array);
        list.into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    }

    /// `GET /subscriptions` (any page).
    pub fn is_subscription_list(&self) -> bool {
        self.method == "GET" && self.path.starts_with("/subscriptions?api-version=2022-12-01")
    }

    pub fn skip_token(&self) -> Option<&str> {
        self.body["options"]["$skipToken"].as_str()
    }
}

/// An answer: status, extra headers, body, and how long to wait before sending it.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Answer {
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// An ARM error body.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, &json!({ "error": { "code": code, "message": message } }))
    }
}

pub struct Server {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Serve until the test process ends; `answer` gets each request and the requests before it.
    pub fn start(answer: impl Fn(&Seen, &[Seen]) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = Arc::clone(&seen);
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, answer) = (Arc::clone(&log), Arc::clone(&answer));
                std::thread::spawn(move || handle(stream, &log, &*answer));
            }
        });
        Self { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn handle(stream: TcpStream, log: &Mutex<Vec<Seen>>, answer: &dyn Fn(&Seen, &[Seen]) -> Answer) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = h.trim_end().split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let seen = Seen {
        method,
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let reply = {
        let mut log = log.lock().unwrap();
        let reply = answer(&seen, &log);
        log.push(seen);
        reply
    };
    std::thread::sleep(reply.delay);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (n, v) in &reply.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    let mut stream = stream;
    let _ = stream.write_all(out.as_bytes());
}

/// The shared small environment (`fixtures/families/resource-graph`) as Resource Graph rows of `subscription`.
pub fn rows(subscription: &str) -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/families/resource-graph/graph.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.replace("3f2c9a1e-5b7d-4e8a-9c61-2d4f8b7a1e90", subscription);
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["data"].as_array().unwrap().clone()
}

/// One page of a Resource Graph answer, as the REST API returns it.
pub fn page(data: &[Value], total: usize, skip_token: Option<&str>) -> Answer {
    let mut body = json!({
        "totalRecords": total,
        "count": data.len(),
        "resultTruncated": "false",
        "facets": [],
        "data": data,
    });
    if let Some(t) = skip_token {
        body["$skipToken"] = json!(t);
    }
    Answer::json(200, &body)
}

/// The environment of `subscription` in two pages: the first ends with a `$skipToken`.
pub fn two_pages(seen: &Seen, subscription: &str) -> Answer {
    two_pages_of(seen, &[subscription])
}

/// The environment of each of `subscriptions`, in two pages.
pub fn two_pages_of(seen: &Seen, subscriptions: &[&str]) -> Answer {
    let all: Vec<Value> = subscriptions.iter().flat_map(|s| rows(s)).collect();
    let half = all.len() / 2;
    match seen.skip_token() {
        None => page(
            &all[..half],
            all.len(),
            Some("eyAibm8iOiAibHVjayIsICJidXQiOiAibmljZSIgfQ=="),
        ),
        Some(_) => page(&all[half..], all.len(), None),
    }
}

/// A subscription as `GET /subscriptions` lists it (the specification's `GetSubscriptions.json` example).
pub fn subscription(id: &str, name: &str, state: &str) -> Value {
    json!({
        "authorizationSource": "RoleBased",
        "displayName": name,
        "id": format!("/subscriptions/{id}"),
        "managedByTenants": [{ "tenantId": "8f70baf1-1f6e-46a2-a1ff-238dac1ebfb7" }],
        "state": state,
        "subscriptionId": id,
        "subscriptionPolicies": {
            "locationPlacementId": "Internal_2014-09-01",
            "quotaId": "Internal_2014-09-01",
            "spendingLimit": "Off"
        },
        "tags": { "tagKey1": "tagValue1" },
        "tenantId": "31c75423-32d6-4322-88b7-c478bdde4858"
    })
}

/// One page of the subscription list; `next` is the `$skiptoken` of the page after it, linked on this server.
pub fn subscription_page(seen: &Seen, value: &[Value], next: Option<&str>) -> Answer {
    let mut body = json!({ "value": value });
    if let Some(t) = next {
        let host = seen.header("host").unwrap_or("127.0.0.1");
        body["nextLink"] = json!(format!(
            "http://{host}/subscriptions?api-version=2022-12-01&%24skiptoken={t}"
        ));
    }
    Answer::json(200, &body)
}

// --- VM Run Command (tests/live_hosts.rs) ------------------------------------------------------------------
// Shapes from the Azure REST API specification, `Microsoft.Compute/ComputeRP/stable/2024-07-01/examples/
// runCommandExamples/`: `VirtualMachineRunCommand.json` (202 with `Location`; the result `{"value":
// [{"code": "ComponentStatus/StdOut/succeeded", ...}, {"code": "ComponentStatus/StdErr/succeeded", ...}]}`,
// here inside the Azure-AsyncOperation status body's `properties.output`), and (2024-11-01)
// `VirtualMachineRunCommand_CreateOrUpdate.json` (201 `provisioningState: Creating`), `_Get.json`,
// `_Delete.json` for managed Run Command.

/// The shared environment's VM as a Resource Graph row named `name` (computer name too): Windows as in the
/// fixture, or turned into a Linux VM (`linuxConfiguration`, `osType: Linux`).
pub fn vm_row(subscription: &str, name: &str, windows: bool) -> Value {
    let mut vm = rows(subscription)
        .into_iter()
        .find(|r| r["type"] == "microsoft.compute/virtualmachines")
        .unwrap();
    let id = vm["id"].as_str().unwrap().replace("/vm-mini", &format!("/{name}"));
    vm["id"] = json!(id);
    vm["name"] = json!(name);
    vm["properties"]["osProfile"]["computerName"] = json!(name);
    vm["properties"]["networkProfile"]["networkInterfaces"] = json!([]);
    if !windows {
        let profile = vm["properties"]["osProfile"].as_object_mut().unwrap();
        profile.remove("windowsConfiguration");
        profile.insert(
            "linuxConfiguration".into(),
            json!({"disablePasswordAuthentication": true}),
        );
        vm["properties"]["storageProfile"]["osDisk"]["osType"] = json!("Linux");
        vm["properties"]["storageProfile"]["imageReference"] =
            json!({"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"});
    }
    vm
}

/// What `rdsaudit-collect.ps1 -Summary` prints on an NPS server (Windows Server 2019) whose IAS service SID
/// type is RESTRICTED: RDS013 fires. The values are those of `tests/hosts.rs`'s summary, on an NPS server.
pub fn host_summary(computer: &str) -> Value {
    json!({
        "schema": "rdsaudit-host-summary/1", "collector_version": "1.0.0", "computer_name": computer,
        "collected_at": "2026-11-25T10:00:00Z",
        "os": {"caption": "Microsoft Windows Server 2019 Datacenter", "version": "10.0.17763", "build": 17763},
        "features": ["NPAS"],
        "licensing": {"policy_mode": null, "policy_read": "absent", "rcm_mode": 5, "rcm_read": "ok"},
        "ias_sid_type": "RESTRICTED",
        "mfa": {"extension_dlls": [], "authorization_dlls": [], "authsrv_read": "ok", "require_user_match": null, "azuremfa_read": "absent"},
        "ad_registration": {"member_of_ras_and_ias_servers": true, "read": "ok"},
        "nps": {"read": "ok", "network_policies": [], "connection_request_policies": [], "radius_server_groups": []}
    })
}

/// `http://<host the request was sent to>`: the base of the URLs Azure hands out (operation status).
pub fn base(seen: &Seen) -> String {
    format!("http://{}", seen.header("host").unwrap_or("127.0.0.1"))
}

/// The VM name of a `.../virtualMachines/<name>/...` request path.
pub fn vm_of(seen: &Seen) -> String {
    let rest = seen.path.split("/virtualMachines/").nth(1).unwrap_or("");
    rest.split(['/', '?']).next().unwrap_or("").to_string()
}

/// The operation name of a `.../operations/<name>?...` status request.
pub fn operation_of(seen: &Seen) -> String {
    let rest = seen.path.split("/operations/").nth(1).unwrap_or("");
    rest.split('?').next().unwrap_or("").to_string()
}

/// `POST .../runCommand` accepted: 202 with `Azure-AsyncOperation` and `Location` naming operation `op`.
pub fn run_command_accepted(seen: &Seen, op: &str) -> Answer {
    let ops = format!(
        "{}/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/{op}",
        base(seen)
    );
    Answer::json(202, &Value::Null)
        .header("Azure-AsyncOperation", &format!("{ops}?p=x&api-version=2024-07-01"))
        .header("Location", &format!("{ops}?p=x&monitor=true&api-version=2024-07-01"))
        .header("Retry-After", "0")
}

/// An Azure-AsyncOperation status body; `Succeeded` carries `stdout` as the StdOut status.
pub fn operation_status(status: &str, stdout: &str) -> Answer {
    let mut body = json!({
        "startTime": "2026-11-25T10:00:00.0000000+00:00",
        "status": status,
        "name": "1e6a3b6c-7d0e-4b8e-9a51-2c3d4e5f6a7b",
    });
    if status == "Succeeded" {
        body["endTime"] = json!("2026-11-25T10:00:31.0000000+00:00");
        body["properties"] = json!({"output": {"value": [
            {"code": "ComponentStatus/StdOut/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded", "message": stdout},
            {"code": "ComponentStatus/StdErr/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded", "message": ""}
        ]}});
    }
    Answer::json(200, &body).header("Retry-After", "0")
}
