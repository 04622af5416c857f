//! A real HTTP server on 127.0.0.1 for the live-scan tests: it answers Resource Graph queries with the
//! shapes of the Azure REST API specification's examples (`ResourcesFirstPageQuery.json`,
//! `ResourcesNextPageQuery.json`: `totalRecords`, `count`, `resultTruncated`, `facets`, `$skipToken`, `data`)
//! and ARM error bodies (`{"error": {"code", "message"}}`), as each test scripts it; Resource Manager's
//! subscription list in the shape of `GetSubscriptions.json` (2022-12-01: `value`, `nextLink`).

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
