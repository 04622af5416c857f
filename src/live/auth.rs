//! Credentials from the official `azure_identity` crate, or a token the user already has
//! (`AZURE_ACCESS_TOKEN`). `auto` tries each source in the README's order and takes the first that gives a
//! token; a source whose settings are absent is passed over without a request.

use std::sync::Arc;

use azure_core::cloud::CloudConfiguration;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};

use super::redact::Redactor;
use super::transport::{block_on, IdentityTransport};

/// `--auth`: where the token comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Auth {
    /// The first of token, env, workload-identity, cli, managed-identity that gives a token.
    #[default]
    Auto,
    /// `AZURE_ACCESS_TOKEN`, used as it is.
    Token,
    /// A service principal: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    Env,
    /// Workload identity federation: `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`.
    WorkloadIdentity,
    /// The Azure CLI login (`az login`).
    Cli,
    /// The managed identity of the Azure VM or service this runs on (`AZURE_CLIENT_ID` picks a user-assigned one).
    ManagedIdentity,
}

/// The order `auto` tries.
const AUTO_ORDER: [Auth; 5] = [
    Auth::Token,
    Auth::Env,
    Auth::WorkloadIdentity,
    Auth::Cli,
    Auth::ManagedIdentity,
];

impl Auth {
    fn name(self) -> &'static str {
        match self {
            Auth::Auto => "auto",
            Auth::Token => "token (AZURE_ACCESS_TOKEN)",
            Auth::Env => "env (service principal)",
            Auth::WorkloadIdentity => "workload-identity",
            Auth::Cli => "cli (az login)",
            Auth::ManagedIdentity => "managed-identity",
        }
    }
}

/// A bearer token; its `Debug` shows nothing of it.
pub struct Token(Secret);

impl Token {
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.0.secret())
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([REDACTED])")
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Get a token for `scope` (the management audience). The secrets read and the token obtained are added to
/// `redactor`; the error names each source tried and why it failed, redacted.
pub fn token(
    auth: Auth,
    scope: &str,
    cloud: CloudConfiguration,
    agent: &ureq::Agent,
    redactor: &mut Redactor,
) -> Result<Token, String> {
    for name in ["AZURE_ACCESS_TOKEN", "AZURE_CLIENT_SECRET", "IDENTITY_HEADER"] {
        if let Some(secret) = var(name) {
            redactor.add(&secret);
        }
    }
    let tried: &[Auth] = match auth {
        Auth::Auto => &AUTO_ORDER,
        ref one => std::slice::from_ref(one),
    };
    let mut causes = Vec::new();
    for &source in tried {
        match from(source, scope, &cloud, agent, auth == Auth::Auto) {
            Ok(Some(token)) => {
                redactor.add(token.0.secret());
                return Ok(token);
            }
            Ok(None) => causes.push(format!("{}: not configured", source.name())),
            Err(e) => causes.push(format!("{}: {}", source.name(), redactor.clean(&e))),
        }
    }
    Err(format!(
        "no Azure credential gave a token (--auth {}): {}",
        auth.name(),
        causes.join("; ")
    ))
}

/// `Ok(None)`: the source is not configured here (only when `auto` passes over it).
fn from(
    source: Auth,
    scope: &str,
    cloud: &CloudConfiguration,
    agent: &ureq::Agent,
    auto: bool,
) -> Result<Option<Token>, String> {
    let options = || ClientOptions {
        transport: Some(Transport::new(Arc::new(IdentityTransport(agent.clone())))),
        cloud: Some(Arc::new(cloud.clone())),
        ..ClientOptions::default()
    };
    let missing = |names: &[&str]| names.iter().any(|n| var(n).is_none());
    let credential: Arc<dyn TokenCredential> = match source {
        Auth::Token => {
            return match var("AZURE_ACCESS_TOKEN") {
                Some(t) => Ok(Some(Token(Secret::new(t.trim().to_string())))),
                None if auto => Ok(None),
                None => Err("AZURE_ACCESS_TOKEN is not set".into()),
            }
        }
        Auth::Env if auto && missing(&["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]) => {
            return Ok(None)
        }
        Auth::Env => {
            let get = |n: &str| var(n).ok_or_else(|| format!("{n} is not set"));
            ClientSecretCredential::new(
                &get("AZURE_TENANT_ID")?,
                get("AZURE_CLIENT_ID")?,
                Secret::new(get("AZURE_CLIENT_SECRET")?),
                Some(ClientSecretCredentialOptions {
                    client_options: options(),
                }),
            )
            .map_err(|e| e.to_string())?
        }
        Auth::WorkloadIdentity if auto && missing(&["AZURE_FEDERATED_TOKEN_FILE"]) => return Ok(None),
        Auth::WorkloadIdentity => WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
            credential_options: ClientAssertionCredentialOptions {
                client_options: options(),
            },
            ..Default::default()
        }))
        .map_err(|e| e.to_string())?,
        Auth::Cli => AzureCliCredential::new(None).map_err(|e| e.to_string())?,
        Auth::Auto => return Err("auto is not a source".into()),
        Auth::ManagedIdentity => ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
            user_assigned_id: var("AZURE_CLIENT_ID").map(azure_identity::UserAssignedId::ClientId),
            client_options: options(),
        }))
        .map_err(|e| e.to_string())?,
    };
    let token = block_on(credential.get_token(&[scope], None)).map_err(|e| e.to_string())?;
    Ok(Some(Token(token.token)))
}
