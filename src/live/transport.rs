//! One blocking HTTP client (ureq, rustls) for both Resource Graph and the token requests `azure_identity`
//! makes: the identity crate gets it as its `azure_core` transport, so no async runtime, reqwest or tokio is
//! built (README, Live scans). `block_on` drives the identity crate's futures on the calling thread.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use azure_core::error::{Error as CoreError, ErrorKind};
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{AsyncRawResponse, HttpClient, Method, Request, StatusCode};

/// The largest response body read (a Resource Graph page of 1,000 resources is a few MB).
const MAX_BODY: u64 = 256 << 20;

/// An agent whose every request ends within `timeout` (connect, send, wait, read), with HTTP error statuses
/// returned as responses, not errors. `proxy_from_env` is off for loopback endpoints (tests).
pub fn agent(timeout: Duration, proxy_from_env: bool) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("rdsaudit/", env!("CARGO_PKG_VERSION")));
    if !proxy_from_env {
        config = config.proxy(None);
    }
    config.build().into()
}

/// A response read whole: status, headers (lower-case names) and body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Send one request; `Err` is a transport failure (connection, timeout), described without any header.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Result<Reply, String> {
    let request = ureq::http::Request::builder().method(method).uri(url);
    let request = headers
        .iter()
        .fold(request, |r, (n, v)| r.header(n.as_str(), v.as_str()));
    let result = match body {
        Some(b) => agent.run(request.body(b.to_vec()).map_err(|e| e.to_string())?),
        None => agent.run(request.body(()).map_err(|e| e.to_string())?),
    };
    let mut response = result.map_err(describe)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(describe)?;
    Ok(Reply { status, headers, body })
}

fn describe(e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "no answer within the request timeout (--request-timeout)".into(),
        other => other.to_string(),
    }
}

/// `azure_identity`'s transport: its token requests (service principal, workload identity, managed identity)
/// go through the same blocking agent.
#[derive(Debug)]
pub struct IdentityTransport(pub ureq::Agent);

#[async_trait::async_trait]
impl HttpClient for IdentityTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let method = match request.method() {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            _ => return Err(CoreError::with_message(ErrorKind::Other, "unsupported HTTP method")),
        };
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_str().to_string()))
            .collect();
        let body: azure_core::Bytes = request.body().into();
        let body = (!body.is_empty()).then_some(body.as_ref());
        let reply = send(&self.0, method, request.url().as_str(), &headers, body)
            .map_err(|m| CoreError::with_message(ErrorKind::Io, m))?;
        let mut out = Headers::new();
        for (n, v) in reply.headers {
            out.insert(HeaderName::from(n), HeaderValue::from(v));
        }
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(reply.status),
            out,
            reply.body,
        ))
    }
}

/// Run a future to completion on this thread (the identity crate's futures only wait on our blocking
/// transport or on `std` timers).
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
