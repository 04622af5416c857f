//! Each `azure_identity` source end to end, its token requests answered by a scripted HTTP client in place of
//! Microsoft Entra ID: what is sent where, and that no secret comes back out in an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use azure_core::cloud::CloudConfiguration;
use azure_core::http::headers::Headers;
use azure_core::http::{AsyncRawResponse, HttpClient, Request, StatusCode};

use super::{token_from, Auth};
use crate::live::redact::Redactor;

const SCOPE: &str = "https://management.azure.com/.default";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "0c7d1a4e-2f6b-4d3a-9e58-7b1f0a6c3d21";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.canary-token-5e1f";
const SECRET: &str = "Zx8Q~canary+client/secret=7d";

/// A request as the scripted client saw it.
#[derive(Debug, Clone)]
struct Sent {
    method: String,
    url: String,
    authorization: Option<String>,
    body: String,
}

/// How the scripted endpoint answers a request: status and body.
type Answer = Box<dyn Fn(&Sent) -> (u16, String) + Send + Sync>;

/// Answers every request with `answer(request)` and keeps what was sent.
struct Scripted {
    sent: Mutex<Vec<Sent>>,
    answer: Answer,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

#[async_trait::async_trait]
impl HttpClient for Scripted {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let body: azure_core::Bytes = request.body().into();
        let sent = Sent {
            method: request.method().to_string(),
            url: request.url().to_string(),
            authorization: request
                .headers()
                .iter()
                .find(|(n, _)| n.as_str().eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.as_str().to_string()),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let (status, text) = (self.answer)(&sent);
        self.sent.lock().unwrap().push(sent);
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(status),
            Headers::new(),
            text.into_bytes(),
        ))
    }
}

/// Entra ID's token answer (`oauth2/v2.0/token`).
fn entra_token() -> (u16, String) {
    let body =
        serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": TOKEN});
    (200, body.to_string())
}

struct Run {
    token: Result<String, String>,
    sent: Vec<Sent>,
    redactor: Redactor,
}

fn run(auth: Auth, vars: &[(&str, &str)], answer: impl Fn(&Sent) -> (u16, String) + Send + Sync + 'static) -> Run {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let env = move |name: &str| vars.get(name).cloned();
    let http = Arc::new(Scripted {
        sent: Mutex::new(Vec::new()),
        answer: Box::new(answer),
    });
    let mut redactor = Redactor::default();
    let token = token_from(
        auth,
        SCOPE,
        &CloudConfiguration::AzurePublic,
        http.clone(),
        &env,
        &mut redactor,
    )
    .map(|t| t.bearer());
    let sent = http.sent.lock().unwrap().clone();
    Run { token, sent, redactor }
}

fn form(body: &str, key: &str) -> Option<String> {
    let url = azure_core::http::Url::parse(&format!("http://form/?{body}")).unwrap();
    url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// `value` as a form body carries it.
fn form_encoded(value: &str) -> String {
    let url = azure_core::http::Url::parse_with_params("http://form/", [("v", value)]).unwrap();
    url.query().unwrap()["v=".len()..].to_string()
}

#[test]
fn auto_takes_a_given_token_without_any_request() {
    let r = run(Auth::Auto, &[("AZURE_ACCESS_TOKEN", TOKEN)], |_| (500, String::new()));
    assert_eq!(r.token.unwrap(), format!("Bearer {TOKEN}"));
    assert!(r.sent.is_empty());
}

#[test]
fn a_service_principal_sends_its_secret_to_the_tenant_authority_only() {
    let vars = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_CLIENT_SECRET", SECRET),
    ];
    let r = run(Auth::Auto, &vars, |_| entra_token());
    assert_eq!(r.token.unwrap(), format!("Bearer {TOKEN}"));
    assert_eq!(r.sent.len(), 1, "{:?}", r.sent);
    let sent = &r.sent[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.url,
        format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(form(&sent.body, "client_secret").as_deref(), Some(SECRET));
    assert_eq!(form(&sent.body, "client_id").as_deref(), Some(CLIENT));
    assert_eq!(form(&sent.body, "scope").as_deref(), Some(SCOPE));
    // The secret and the token are known to the redactor, in the forms a server may echo them.
    let json = serde_json::to_string(SECRET).unwrap();
    let echoed = format!("{SECRET} {} {json} {TOKEN}", form_encoded(SECRET));
    assert_eq!(
        r.redactor.clean(&echoed),
        "[REDACTED] [REDACTED] \"[REDACTED]\" [REDACTED]"
    );
}

#[test]
fn an_authority_error_that_echoes_the_secret_is_redacted() {
    let vars = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_CLIENT_SECRET", SECRET),
    ];
    let r = run(Auth::Env, &vars, |sent| {
        let body = serde_json::json!({
            "error": "invalid_client",
            "error_description": format!("AADSTS7000215: Invalid client secret provided. Request: {}", sent.body),
        });
        (401, body.to_string())
    });
    let error = r.token.unwrap_err();
    assert!(
        error.contains("env (service principal)") && error.contains("AADSTS7000215"),
        "{error}"
    );
    assert!(
        error.contains("[REDACTED]"),
        "the echoed request is in the message, masked: {error}"
    );
    assert!(!error.contains(SECRET) && !error.contains("canary+client"), "{error}");
    assert!(!error.contains("canary%2Bclient"), "{error}");
}

#[test]
fn workload_identity_sends_the_federated_token_as_the_assertion() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("azure-identity-token");
    let federated = "eyJhbGciOiJSUzI1NiJ9.federated-canary-88c2";
    std::fs::write(&file, federated).unwrap();
    let file = file.to_string_lossy().into_owned();
    let vars = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_FEDERATED_TOKEN_FILE", file.as_str()),
    ];
    let r = run(Auth::Auto, &vars, |_| entra_token());
    assert_eq!(r.token.unwrap(), format!("Bearer {TOKEN}"));
    assert_eq!(r.sent.len(), 1, "{:?}", r.sent);
    assert_eq!(form(&r.sent[0].body, "client_assertion").as_deref(), Some(federated));
    assert_eq!(
        form(&r.sent[0].body, "client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(r.redactor.clean(federated), "[REDACTED]");
}

#[test]
fn workload_identity_names_a_missing_client_id() {
    let r = run(
        Auth::WorkloadIdentity,
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent"),
        ],
        |_| entra_token(),
    );
    assert!(r.token.unwrap_err().contains("AZURE_CLIENT_ID is not set"));
    assert!(r.sent.is_empty());
}

/// `SYSTEM_OIDCREQUESTURI` is read by `azure_identity` from the process itself; no other test sets it.
#[test]
fn an_azure_pipelines_service_connection_asks_the_oidc_endpoint_with_the_system_token() {
    const OIDC: &str = "https://dev.azure.com/contoso/0b7f4c2e-1a3d-4e5f-8a9b-c0d1e2f3a4b5/_apis/distributedtask/hubs/build/plans/3c1a/jobs/9e2b/oidctoken";
    const SYSTEM_TOKEN: &str = "system-access-token-canary-41d0";
    const ASSERTION: &str = "eyJhbGciOiJSUzI1NiJ9.pipelines-oidc-canary";
    std::env::set_var("SYSTEM_OIDCREQUESTURI", OIDC);
    let vars = [
        ("AZURESUBSCRIPTION_TENANT_ID", TENANT),
        ("AZURESUBSCRIPTION_CLIENT_ID", CLIENT),
        ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "5f2a9c1d-service-connection"),
        ("SYSTEM_ACCESSTOKEN", SYSTEM_TOKEN),
        ("SYSTEM_OIDCREQUESTURI", OIDC),
    ];
    let r = run(Auth::Auto, &vars, |sent| {
        if sent.url.starts_with(OIDC) {
            (200, serde_json::json!({ "oidcToken": ASSERTION }).to_string())
        } else {
            entra_token()
        }
    });
    assert_eq!(r.token.unwrap(), format!("Bearer {TOKEN}"));
    assert_eq!(r.sent.len(), 2, "{:?}", r.sent);
    assert!(r.sent[0].url.starts_with(OIDC), "{}", r.sent[0].url);
    assert!(r.sent[0]
        .url
        .contains("serviceConnectionId=5f2a9c1d-service-connection"));
    assert_eq!(r.sent[0].authorization, Some(format!("Bearer {SYSTEM_TOKEN}")));
    assert_eq!(form(&r.sent[1].body, "client_assertion").as_deref(), Some(ASSERTION));
    assert_eq!(r.redactor.clean(SYSTEM_TOKEN), "[REDACTED]");
}

#[test]
fn auto_passes_over_a_pipeline_without_its_service_connection() {
    let r = run(Auth::AzurePipelines, &[("AZURESUBSCRIPTION_TENANT_ID", TENANT)], |_| {
        entra_token()
    });
    let error = r.token.unwrap_err();
    assert!(error.contains("is not set"), "{error}");
    assert!(r.sent.is_empty());
}
