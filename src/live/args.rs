//! The `scan` flags of a live scan (flattened into `ScanArgs` when the `live` feature is built).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::auth::Auth;
use super::cloud::Cloud;

/// Every other flag of a live scan requires a scope (`live-scope`): given alone it would be ignored.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Live scan (Azure Resource Graph)")]
#[command(group(clap::ArgGroup::new("live-scope").multiple(true)))]
pub struct LiveArgs {
    /// Read this subscription live from Azure Resource Graph (repeatable).
    #[arg(long, value_name = "ID", action = clap::ArgAction::Append, group = "live-scope")]
    pub subscription: Vec<String>,
    /// Read this management group (and every subscription under it) live (repeatable).
    #[arg(long, value_name = "ID", action = clap::ArgAction::Append, group = "live-scope")]
    pub management_group: Vec<String>,
    /// Read every subscription the identity can see (Enabled, PastDue, Warned; the others are named in a
    /// warning), up to 1,000 in one Resource Graph query.
    #[arg(long, group = "live-scope", conflicts_with = "subscription")]
    pub all_subscriptions: bool,
    /// Where the token comes from; auto takes the first of token, env, workload-identity,
    /// azure-pipelines, cli, managed-identity that works.
    #[arg(long, requires = "live-scope", value_enum, default_value_t, value_name = "SOURCE")]
    pub auth: Auth,
    /// The Azure cloud: management endpoint, token authority and audience.
    #[arg(long, requires = "live-scope", value_enum, default_value_t, value_name = "CLOUD")]
    pub cloud: Cloud,
    /// Send requests to this management endpoint instead of the cloud's (https://, or http:// on loopback).
    #[arg(long, requires = "live-scope", value_name = "URL")]
    pub endpoint: Option<String>,
    /// Keep what was read in this folder (created if missing, refused if not empty): `rdsaudit scan DIR`
    /// reads it again offline.
    #[arg(long, requires = "live-scope", value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// The longest any single request may take, in seconds.
    #[arg(long, requires = "live-scope", value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    pub request_timeout: Duration,
    /// Retries of a throttled (429), failing (5xx) or unanswered request.
    #[arg(long, requires = "live-scope", value_name = "N", default_value_t = 4)]
    pub max_retries: u32,
    /// Also read each Windows VM's host settings: run the collector (`-Summary`) through VM Run Command
    /// (needs Virtual Machine Contributor on the VMs, or `Microsoft.Compute/virtualMachines/runCommand/action`;
    /// `runCommands/*` with --evidence-container).
    #[arg(long, requires = "live-scope")]
    pub collect_host_evidence: bool,
    /// The longest the host evidence of one VM may take, in seconds; a VM not done by then is "not
    /// evaluated" for the host rules.
    #[arg(long, requires = "collect_host_evidence", value_name = "SECONDS", default_value = "600", value_parser = parse_seconds)]
    pub host_timeout: Duration,
    /// A blob container SAS URL (create and write permissions): run the collector as a managed Run Command
    /// whose output goes there, without the action API's 4 KB limit. The SAS is never shown.
    #[arg(long, requires = "collect_host_evidence", value_name = "SAS URL")]
    pub evidence_container: Option<String>,
    /// The first backoff after a 5xx, doubled each retry (tests shorten it).
    #[arg(long, requires = "live-scope", value_name = "SECONDS", default_value = "1", value_parser = parse_seconds, hide = true)]
    pub retry_backoff: Duration,
    /// Subscriptions per Resource Graph query with --all-subscriptions (tests shorten it).
    #[arg(long, requires = "live-scope", value_name = "N", default_value_t = super::graph::MAX_BATCH,
          value_parser = parse_batch, hide = true)]
    pub batch_size: usize,
}

impl LiveArgs {
    pub fn is_live(&self) -> bool {
        !self.subscription.is_empty() || !self.management_group.is_empty() || self.all_subscriptions
    }
}

fn parse_batch(s: &str) -> Result<usize, String> {
    let max = super::graph::MAX_BATCH;
    s.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("'{s}' is not a number from 1 to {max} (Resource Graph's limit per request)"))
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("'{s}' is not a number of seconds (e.g. 30 or 0.5)"))
}
