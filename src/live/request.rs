//! One Resource Manager request with Azure's retry etiquette: 429 waits for `Retry-After` (or the Resource
//! Graph quota's `x-ms-user-quota-resets-after`), 5xx and transport failures back off exponentially, both a
//! bounded number of times; every attempt has its own timeout, so a scan never hangs.

use std::time::Duration;

use serde_json::Value;

use super::redact::Redactor;
use super::transport::{send, Reply};

/// How hard to try.
#[derive(Debug, Clone)]
pub struct Retry {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff after a 5xx or a transport failure; doubled each time.
    pub base: Duration,
    /// No single wait (backoff or `Retry-After`) is longer than this.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// Why a request gave no result, redacted and ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed(pub String);

/// A request for [`Client::send`].
pub struct Call<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub body: Option<&'a Value>,
    pub headers: &'a [(&'a str, &'a str)],
    pub bearer: bool,
    pub deadline: std::time::Instant,
}

impl<'a> Call<'a> {
    /// A Resource Manager request: the bearer token, no other header.
    pub fn arm(method: &'a str, url: &'a str, body: Option<&'a Value>, deadline: std::time::Instant) -> Self {
        Self {
            method,
            url,
            body,
            headers: &[],
            bearer: true,
            deadline,
        }
    }
}

pub struct Client<'a> {
    pub agent: ureq::Agent,
    pub bearer: String,
    pub retry: Retry,
    pub redactor: &'a Redactor,
}

impl Client<'_> {
    /// POST `body` as JSON and parse the JSON answer. `scope` names what the request is for, in messages.
    pub fn post(&self, url: &str, body: &Value, scope: &str) -> Result<Value, Failed> {
        self.call("POST", url, Some(body), scope)
    }

    /// GET `url` and every `nextLink` after it (ARM's list paging), giving each page to `each`; at most
    /// `max_pages`. A `nextLink` is followed only on the origin of `url`: the token goes nowhere else.
    pub fn get_paged(
        &self,
        url: &str,
        scope: &str,
        max_pages: usize,
        mut each: impl FnMut(&Value) -> Result<(), Failed>,
    ) -> Result<usize, Failed> {
        let mut next = url.to_string();
        let mut pages = 0;
        loop {
            let page = self.call("GET", &next, None, scope)?;
            each(&page)?;
            pages += 1;
            let fail = |m: String| Err(self.failed(format!("{scope}: {m}")));
            match page.get("nextLink") {
                None | Some(Value::Null) => return Ok(pages),
                Some(Value::String(link)) if link.is_empty() => return Ok(pages),
                Some(Value::String(link)) if *link == next => return fail("the same nextLink came back twice".into()),
                Some(Value::String(_)) if pages >= max_pages => return fail(format!("more than {max_pages} pages")),
                Some(Value::String(link)) if origin(link).is_some() && origin(link) == origin(url) => {
                    next.clone_from(link)
                }
                Some(Value::String(_)) => return fail("the nextLink is not on this endpoint; not followed".into()),
                Some(_) => return fail("the nextLink is not a string".into()),
            }
        }
    }

    /// One request with the retry etiquette; the JSON answer parsed.
    fn call(&self, method: &str, url: &str, body: Option<&Value>, scope: &str) -> Result<Value, Failed> {
        let mut headers = vec![("authorization".to_string(), self.bearer.clone())];
        if body.is_some() {
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        let body = body.map(Value::to_string);
        let mut attempt = 0;
        loop {
            let outcome = send(&self.agent, method, url, &headers, body.as_deref().map(str::as_bytes));
            let wait = match &outcome {
                Ok(r) if (200..300).contains(&r.status) => {
                    pace(r, self.retry.max_wait);
                    return serde_json::from_slice(&r.body)
                        .map_err(|e| self.failed(format!("{scope}: the answer is not JSON ({e})")));
                }
                Ok(r) if r.status == 429 => throttled_wait(r).unwrap_or_else(|| self.backoff(attempt)),
                Ok(r) if r.status >= 500 => retry_after(r).unwrap_or_else(|| self.backoff(attempt)),
                Ok(r) => return Err(self.failed(refused(r, scope))),
                Err(_) => self.backoff(attempt),
            };
            if attempt >= self.retry.max_retries {
                let cause = match outcome {
                    Ok(r) => format!("HTTP {} ({})", r.status, error_text(&r)),
                    Err(e) => e,
                };
                let attempts = match attempt {
                    0 => "1 attempt".to_string(),
                    n => format!("{} attempts", n + 1),
                };
                return Err(self.failed(format!("{scope}: gave up after {attempts}: {cause}")));
            }
            std::thread::sleep(wait.min(self.retry.max_wait));
            attempt += 1;
        }
    }

    /// One request of any method with the same etiquette as [`Client::post`] (429, 5xx and transport failures
    /// retried), for Run Command: any other status comes back as it is, for the caller to judge. `bearer`
    /// false sends no token (a blob SAS URL carries its own authorization); no wait goes past `deadline`. The
    /// body returned is redacted.
    pub fn send(&self, call: Call<'_>, scope: &str) -> Result<Reply, Failed> {
        let mut headers: Vec<(String, String)> = call
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        if call.bearer {
            headers.push(("authorization".into(), self.bearer.clone()));
        }
        let body = call.body.map(|b| {
            headers.push(("content-type".into(), "application/json".into()));
            b.to_string()
        });
        let mut attempt = 0;
        loop {
            // Redacted before anyone reads it, so that no cut of it can keep half a secret.
            let outcome = send(
                &self.agent,
                call.method,
                call.url,
                &headers,
                body.as_deref().map(str::as_bytes),
            )
            .map(|mut r| {
                r.body = self.redactor.clean(&String::from_utf8_lossy(&r.body)).into_bytes();
                r
            });
            let wait = match &outcome {
                Ok(r) if r.status == 429 => throttled_wait(r).unwrap_or_else(|| self.backoff(attempt)),
                Ok(r) if r.status >= 500 => retry_after(r).unwrap_or_else(|| self.backoff(attempt)),
                Ok(_) => return outcome.map_err(|e| self.failed(e)),
                Err(_) => self.backoff(attempt),
            };
            let wait = wait.min(self.retry.max_wait);
            let late = std::time::Instant::now() + wait > call.deadline;
            if attempt >= self.retry.max_retries || late {
                let cause = match outcome {
                    Ok(r) => format!("HTTP {} ({})", r.status, error_text(&r)),
                    Err(e) => e,
                };
                return Err(self.failed(format!("{scope}: gave up after {} attempt(s): {cause}", attempt + 1)));
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry.base.saturating_mul(1 << attempt.min(16))
    }

    fn failed(&self, message: String) -> Failed {
        Failed(self.redactor.clean(&message))
    }
}

/// `scheme://host:port` of a URL, lower-cased (a `nextLink` must stay on it).
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{host}").to_ascii_lowercase())
}

/// After a success, an exhausted Resource Graph quota (`x-ms-user-quota-remaining: 0`) waits for its reset.
fn pace(r: &Reply, max_wait: Duration) {
    if r.header("x-ms-user-quota-remaining").map(str::trim) == Some("0") {
        if let Some(wait) = r.header("x-ms-user-quota-resets-after").and_then(hms) {
            std::thread::sleep(wait.min(max_wait));
        }
    }
}

fn throttled_wait(r: &Reply) -> Option<Duration> {
    retry_after(r).or_else(|| r.header("x-ms-user-quota-resets-after").and_then(hms))
}

/// `Retry-After` in seconds (Azure sends seconds; an HTTP date is not honoured and falls back to backoff).
pub(super) fn retry_after(r: &Reply) -> Option<Duration> {
    let v = r.header("retry-after")?.trim();
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// `hh:mm:ss` (Resource Graph's quota reset).
fn hms(v: &str) -> Option<Duration> {
    let parts: Vec<u64> = v.trim().split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match parts[..] {
        [h, m, s] => Some(Duration::from_secs(h * 3600 + m * 60 + s)),
        _ => None,
    }
}

/// A status that retrying will not change: 401 and 403 name the role needed.
fn refused(r: &Reply, scope: &str) -> String {
    let why = error_text(r);
    match r.status {
        401 => format!("{scope}: HTTP 401 unauthenticated: the token was refused ({why}); sign in again (az login) or check --auth and --cloud"),
        403 => format!("{scope}: HTTP 403 forbidden: the identity needs the Reader role at {scope} ({why})"),
        s => format!("{scope}: HTTP {s} ({why})"),
    }
}

/// The ARM error's `code: message`, cut short (the body may echo anything; the caller redacts it).
pub(super) fn error_text(r: &Reply) -> String {
    let parsed: Option<Value> = serde_json::from_slice(&r.body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let field = |k: &str| error.and_then(|e| e.get(k)).and_then(Value::as_str).unwrap_or("");
    let text = match (field("code"), field("message")) {
        ("", "") => String::from_utf8_lossy(&r.body).into_owned(),
        (code, message) => format!("{code}: {message}"),
    };
    let text: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    if text.trim().is_empty() {
        "no error body".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        Reply {
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn waits_come_from_retry_after_then_the_quota_reset() {
        assert_eq!(
            throttled_wait(&reply(429, &[("retry-after", "3")], "")),
            Some(Duration::from_secs(3))
        );
        let quota = reply(429, &[("x-ms-user-quota-resets-after", "00:01:05")], "");
        assert_eq!(throttled_wait(&quota), Some(Duration::from_secs(65)));
        assert_eq!(
            throttled_wait(&reply(429, &[("retry-after", "Wed, 21 Oct 2015")], "")),
            None
        );
    }

    #[test]
    fn a_next_link_must_keep_the_origin() {
        let base = origin("https://management.azure.com/subscriptions?api-version=2022-12-01");
        assert_eq!(base.as_deref(), Some("https://management.azure.com"));
        assert_eq!(origin("HTTPS://Management.Azure.com?x=1"), base);
        assert_ne!(origin("https://management.azure.com.evil.example/subscriptions"), base);
        assert_ne!(origin("http://management.azure.com/subscriptions"), base);
        assert_eq!(origin("nextlink"), None);
    }

    #[test]
    fn refusals_name_the_role_and_the_arm_error() {
        let body = r#"{"error":{"code":"AuthorizationFailed","message":"no read\u001b access"}}"#;
        let m = refused(&reply(403, &[], body), "/subscriptions/s1");
        assert!(m.contains("Reader role at /subscriptions/s1"), "{m}");
        assert!(m.contains("AuthorizationFailed: no read access"), "{m}");
    }
}
