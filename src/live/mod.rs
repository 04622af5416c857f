//! Live scans (feature `live`): read what is deployed now from Azure Resource Graph into result files,
//! which the offline pipeline then scans like any export. Scopes that fail are reported, not dropped: the
//! scan goes on with what was read, and the run exits 3 (README, Live scans).

pub mod args;
pub mod auth;
pub mod cloud;
mod graph;
mod hosts;
mod managed;
mod partial;
pub mod progress;
mod redact;
mod request;
mod runcommand;
mod subscriptions;
mod transport;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::engine::Evaluation;
use crate::error::Error;
use crate::model::Environment;
pub use args::LiveArgs;
pub use graph::{query, Scope, TYPES};
pub use partial::{failure_lines, mark_not_evaluated};
pub use progress::Progress;
use redact::Redactor;
use request::{Client, Retry};

/// The longest a token request may take.
const IDENTITY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// A scope that could not be read (or only in part), or a VM whose host evidence could not be collected,
/// and why (redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The scope's path, or the VM's resource ID.
    pub scope: String,
    pub cause: String,
    pub concerns: Concerns,
}

/// What a [`Failure`] leaves unjudged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concerns {
    /// The Azure resources of a scope: the collection was partial (exit 3).
    Resources,
    /// One VM's host evidence (Run Command): its host rules are not evaluated; not a partial collection.
    Host,
}

/// What a live collection gave: the result files written (scanned next) and the scopes that failed.
#[derive(Debug)]
pub struct Collected {
    pub files: Vec<PathBuf>,
    /// The scope each file was read from (`azure:/subscriptions/<id>`), shown for it without `--export`.
    labels: Vec<String>,
    pub failures: Vec<Failure>,
    /// Subscriptions of `--all-subscriptions` not read for their state: warnings of the report.
    pub warnings: Vec<String>,
    /// The folder the files are in when there is no `--export`; removed when this is dropped.
    temp: Option<tempfile::TempDir>,
    /// How many of `files` (the first ones) are host summaries collected through Run Command.
    host_files: usize,
}

/// Read every scope of `args`. Usage errors (a bad endpoint, a non-empty `--export`) are `Error::Usage`;
/// no credential at all is `Error::Collection` (exit 3); a scope that fails is a `Failure` beside the rest.
/// `progress` counts the subscriptions listed, the scopes, pages and resources read.
pub fn collect(args: &LiveArgs, progress: &Progress) -> Result<Collected, Error> {
    let endpoint = cloud::endpoint(args.cloud, args.endpoint.as_deref()).map_err(Error::Usage)?;
    let container = args
        .evidence_container
        .as_deref()
        .map(managed::Container::parse)
        .transpose()
        .map_err(Error::Usage)?;
    let (dir, temp) = folder(args.export.as_deref())?;
    // A proxy from the environment is for the outside world, never for a loopback test endpoint.
    let loopback = endpoint.starts_with("http://");
    let agent = transport::agent(args.request_timeout, !loopback);
    // Token endpoints answer in a second; a managed-identity probe off Azure must not wait a full minute.
    let identity_agent = transport::agent(args.request_timeout.min(IDENTITY_TIMEOUT), true);
    let mut redactor = Redactor::default();
    for secret in container.iter().flat_map(managed::Container::secrets) {
        redactor.add(&secret);
    }
    let token = auth::token(
        args.auth,
        &args.cloud.token_scope(),
        args.cloud.configuration(),
        &identity_agent,
        &mut redactor,
    )
    .map_err(Error::Collection)?;
    let client = Client {
        agent,
        bearer: token.bearer(),
        retry: Retry {
            max_retries: args.max_retries,
            base: args.retry_backoff,
            ..Retry::default()
        },
        redactor: &redactor,
    };
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    // Explicit subscriptions stay one query each, so that a failure names the exact subscription.
    let mut scopes: Vec<Scope> = args
        .subscription
        .iter()
        .map(|s| Scope::Subscription(s.trim().to_string()))
        .collect();
    if args.all_subscriptions {
        let failed = |cause| Failure {
            scope: subscriptions::LIST_SUBJECT.into(),
            cause,
            concerns: Concerns::Resources,
        };
        match subscriptions::list(&client, &endpoint, |n| progress.subscriptions_listed(n)) {
            Ok(listed) => {
                if listed.read.is_empty() {
                    failures.push(failed(subscriptions::nothing_to_read(&listed)));
                }
                scopes.extend(graph::batches(&listed.read, args.batch_size));
                warnings = listed.warnings;
            }
            Err(f) => failures.push(failed(f.0)),
        }
    }
    scopes.extend(
        args.management_group
            .iter()
            .map(|m| Scope::ManagementGroup(m.trim().to_string())),
    );
    progress.scopes(scopes.len());
    let mut files = Vec::new();
    let mut labels = Vec::new();
    for scope in &scopes {
        progress.scope_started(&scope.path());
        let (read, failed) = match graph::read_scope(&client, &endpoint, scope, &dir, progress) {
            Ok(read) => (read, None),
            Err((read, failed)) => (read, Some(failed)),
        };
        progress.scope_done();
        labels.extend(read.iter().map(|_| format!("azure:{}", scope.path())));
        files.extend(read);
        if let Some(failed) = failed {
            failures.extend(scope.members().into_iter().map(|scope| Failure {
                scope,
                cause: failed.0.clone(),
                concerns: Concerns::Resources,
            }));
        }
    }
    let mut host_files = 0;
    if args.collect_host_evidence {
        let plan = hosts::Plan {
            endpoint: &endpoint,
            timeout: args.host_timeout,
            container: container.as_ref(),
        };
        let gathered = hosts::collect(&client, &plan, &hosts::windows_vms(&files), &dir, progress);
        // First, as an offline scan of the folder walks them (`hosts/` before `resource-graph-*`): the same
        // report either way.
        host_files = gathered.files.len();
        let (paths, vms): (Vec<PathBuf>, Vec<String>) = gathered.files.into_iter().unzip();
        files.splice(0..0, paths);
        labels.splice(0..0, vms.into_iter().map(|vm| format!("azure:{vm}")));
        failures.extend(gathered.failures);
    }
    Ok(Collected {
        files,
        labels,
        failures,
        warnings,
        temp,
        host_files,
    })
}

impl Collected {
    /// After evaluation: without `--export` the files read are named by their scope (`azure:<scope>`), not by
    /// a temporary path that is gone after the run (reports stay deterministic); each failed scope is
    /// "not evaluated", and so is each VM whose host evidence could not be collected. `true` when the
    /// collection of resources was partial (exit 3).
    pub fn finish(&self, env: &mut Environment, eval: &mut Evaluation) -> bool {
        if self.temp.is_some() {
            let index: HashMap<&Path, usize> = self.files.iter().enumerate().map(|(i, f)| (f.as_path(), i)).collect();
            for source in &mut env.sources {
                if let Some(&i) = index.get(source.path.as_path()) {
                    source.display.clone_from(&self.labels[i]);
                    // SARIF then points at `azure:<resource ID>` (report/sarif.rs, `is_live`).
                    source.kind = "resource-graph-live";
                }
            }
            // A host collected through Run Command is named by its VM, not by the temporary folder.
            for host in env.hosts.values_mut() {
                let source = host.origin.as_ref().and_then(|o| env.sources.get(o.source));
                let Some(&i) = source.and_then(|s| index.get(s.path.as_path())) else {
                    continue;
                };
                if i < self.host_files {
                    let old = std::mem::replace(&mut host.folder, self.labels[i].clone());
                    for n in &mut eval.not_evaluated {
                        n.reason = n.reason.replace(&old, &host.folder);
                    }
                }
            }
        }
        mark_not_evaluated(&self.failures, eval);
        env.warnings.extend(self.warnings.iter().cloned());
        self.failures.iter().any(|f| f.concerns == Concerns::Resources)
    }
}

/// `--export DIR` (created when missing; an existing one must be empty, so that a later offline scan of it
/// reads this run alone), else a temporary folder.
fn folder(export: Option<&Path>) -> Result<(PathBuf, Option<tempfile::TempDir>), Error> {
    let usage = |m: String| Error::Usage(m);
    let Some(dir) = export else {
        let temp = tempfile::Builder::new()
            .prefix("rdsaudit-live-")
            .tempdir()
            .map_err(|e| usage(format!("cannot create a temporary folder: {e}")))?;
        return Ok((temp.path().to_path_buf(), Some(temp)));
    };
    if dir.is_file() {
        return Err(usage(format!("--export {} is a file; name a folder", dir.display())));
    }
    std::fs::create_dir_all(dir).map_err(|e| usage(format!("--export {}: {e}", dir.display())))?;
    let not_empty = std::fs::read_dir(dir)
        .map_err(|e| usage(format!("--export {}: {e}", dir.display())))?
        .next()
        .is_some();
    if not_empty {
        return Err(usage(format!(
            "--export {} is not empty; name a new or empty folder",
            dir.display()
        )));
    }
    Ok((dir.to_path_buf(), None))
}
