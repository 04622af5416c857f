//! Credentials from the official `azure_identity` crate, or a token the user already has
//! (`AZURE_ACCESS_TOKEN`). `auto` tries each source in the README's order and takes the first that gives a
//! token; a source whose settings are absent is passed over without a request.

use std::sync::Arc;

use azure_core::cloud::CloudConfiguration;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, HttpClient, Transport};
use azure_identity::{
    AzureCliCredential, AzurePipelinesCredential, AzurePipelinesCredentialOptions, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

use super::redact::Redactor;
use super::transport::{block_on, IdentityTransport};

/// `--auth`: where the token comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Auth {
    /// The first of token, env, workload-identity, azure-pipelines, cli, managed-identity that gives a token.
    #[default]
    Auto,
    /// `AZURE_ACCESS_TOKEN`, used as it is.
    Token,
    /// A service principal: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    Env,
    /// Workload identity federation: `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`.
    WorkloadIdentity,
    /// An Azure Pipelines service connection (workload identity federation): the `AZURESUBSCRIPTION_*`
    /// variables the AzureCLI@2 task sets, and `SYSTEM_ACCESSTOKEN`.
    AzurePipelines,
    /// The Azure CLI login (`az login`).
    Cli,
    /// The managed identity of the Azure VM or service this runs on (`AZURE_CLIENT_ID` picks a user-assigned one).
    ManagedIdentity,
}

/// The order `auto` tries.
const AUTO_ORDER: [Auth; 6] = [
    Auth::Token,
    Auth::Env,
    Auth::WorkloadIdentity,
    Auth::AzurePipelines,
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
            Auth::AzurePipelines => "azure-pipelines (service connection)",
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

/// Where the settings come from: the process environment (tests give their own).
type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A variable of the process environment, unless it is empty.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The variables that hold secrets: each value is masked wherever it would appear.
const SECRET_VARIABLES: [&str; 4] = [
    "AZURE_ACCESS_TOKEN",
    "AZURE_CLIENT_SECRET",
    "IDENTITY_HEADER",
    "SYSTEM_ACCESSTOKEN",
];

/// Get a token for `scope` (the management audience). The secrets read and the token obtained are added to
/// `redactor`; the error names each source tried and why it failed, redacted.
pub fn token(
    auth: Auth,
    scope: &str,
    cloud: CloudConfiguration,
    agent: &ureq::Agent,
    redactor: &mut Redactor,
) -> Result<Token, String> {
    let http = Arc::new(IdentityTransport(agent.clone()));
    token_from(auth, scope, &cloud, http, &process_env, redactor)
}

/// [`token`] with the settings read from `env` and the token requests sent through `http`.
fn token_from(
    auth: Auth,
    scope: &str,
    cloud: &CloudConfiguration,
    http: Arc<dyn HttpClient>,
    env: Env,
    redactor: &mut Redactor,
) -> Result<Token, String> {
    // The federated token file of workload identity is a secret too.
    let file_token = env("AZURE_FEDERATED_TOKEN_FILE").and_then(|f| std::fs::read_to_string(f).ok());
    for secret in SECRET_VARIABLES.iter().filter_map(|n| env(n)).chain(file_token) {
        redactor.add(&secret);
    }
    let tried: &[Auth] = match auth {
        Auth::Auto => &AUTO_ORDER,
        ref one => std::slice::from_ref(one),
    };
    let mut causes = Vec::new();
    for &source in tried {
        let settings = Settings {
            scope,
            cloud,
            http: http.clone(),
            env,
            auto: auth == Auth::Auto,
        };
        match settings.from(source) {
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

/// The variables an Azure Pipelines service connection needs (AzureCLI@2 and AzurePowerShell@5 set the
/// first three; `SYSTEM_ACCESSTOKEN` must be mapped from `$(System.AccessToken)`; the agent sets
/// `SYSTEM_OIDCREQUESTURI`, which `azure_identity` reads itself).
const PIPELINE_VARIABLES: [&str; 5] = [
    "AZURESUBSCRIPTION_TENANT_ID",
    "AZURESUBSCRIPTION_CLIENT_ID",
    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
    "SYSTEM_ACCESSTOKEN",
    "SYSTEM_OIDCREQUESTURI",
];

/// What every source is asked with.
struct Settings<'a> {
    scope: &'a str,
    cloud: &'a CloudConfiguration,
    http: Arc<dyn HttpClient>,
    env: Env<'a>,
    /// `auto` passes over a source whose variables are absent (`Ok(None)`).
    auto: bool,
}

impl Settings<'_> {
    fn options(&self) -> ClientOptions {
        ClientOptions {
            transport: Some(Transport::new(self.http.clone())),
            cloud: Some(Arc::new(self.cloud.clone())),
            ..ClientOptions::default()
        }
    }

    fn get(&self, name: &str) -> Result<String, String> {
        (self.env)(name).ok_or_else(|| format!("{name} is not set"))
    }

    /// `auto` and one of `names` absent: the source is not configured here.
    fn absent(&self, names: &[&str]) -> bool {
        self.auto && names.iter().any(|n| (self.env)(n).is_none())
    }

    /// `Ok(None)`: the source is not configured here (only when `auto` passes over it).
    fn from(&self, source: Auth) -> Result<Option<Token>, String> {
        let core = |e: azure_core::Error| e.to_string();
        let credential: Arc<dyn TokenCredential> = match source {
            Auth::Token if self.absent(&["AZURE_ACCESS_TOKEN"]) => return Ok(None),
            Auth::Token => {
                return Ok(Some(Token(Secret::new(
                    self.get("AZURE_ACCESS_TOKEN")?.trim().to_string(),
                ))))
            }
            Auth::Env if self.absent(&["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]) => {
                return Ok(None)
            }
            Auth::Env => ClientSecretCredential::new(
                &self.get("AZURE_TENANT_ID")?,
                self.get("AZURE_CLIENT_ID")?,
                Secret::new(self.get("AZURE_CLIENT_SECRET")?),
                Some(ClientSecretCredentialOptions {
                    client_options: self.options(),
                }),
            )
            .map_err(core)?,
            Auth::WorkloadIdentity if self.absent(&["AZURE_FEDERATED_TOKEN_FILE"]) => return Ok(None),
            Auth::WorkloadIdentity => WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: self.options(),
                },
                client_id: Some(self.get("AZURE_CLIENT_ID")?),
                tenant_id: Some(self.get("AZURE_TENANT_ID")?),
                token_file_path: Some(self.get("AZURE_FEDERATED_TOKEN_FILE")?.into()),
            }))
            .map_err(core)?,
            Auth::AzurePipelines if self.absent(&PIPELINE_VARIABLES) => return Ok(None),
            Auth::AzurePipelines => {
                // azure_identity reads SYSTEM_OIDCREQUESTURI itself; say plainly when it is missing.
                self.get("SYSTEM_OIDCREQUESTURI")?;
                AzurePipelinesCredential::new(
                    self.get("AZURESUBSCRIPTION_TENANT_ID")?,
                    self.get("AZURESUBSCRIPTION_CLIENT_ID")?,
                    &self.get("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID")?,
                    Secret::new(self.get("SYSTEM_ACCESSTOKEN")?),
                    Some(AzurePipelinesCredentialOptions {
                        credential_options: ClientAssertionCredentialOptions {
                            client_options: self.options(),
                        },
                    }),
                )
                .map_err(core)?
            }
            Auth::Cli => AzureCliCredential::new(None).map_err(core)?,
            Auth::Auto => return Err("auto is not a source".into()),
            Auth::ManagedIdentity => ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: (self.env)("AZURE_CLIENT_ID").map(azure_identity::UserAssignedId::ClientId),
                client_options: self.options(),
            }))
            .map_err(core)?,
        };
        let token = block_on(credential.get_token(&[self.scope], None)).map_err(core)?;
        Ok(Some(Token(token.token)))
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
