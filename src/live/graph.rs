//! Azure Resource Graph: one query per scope for every resource type the rules read, paged with
//! `$skipToken` (1,000 rows a page), each page written as the `az graph query -o json` result file
//! (`{"count", "data", "skip_token", "total_records"}`) that the offline scan reads. The subscriptions of
//! `--all-subscriptions` go in batches of at most [`MAX_BATCH`] per query: "Batch requests for the query with
//! a subset of subscriptions to stay under the 1,000 subscription limit" (Microsoft Learn, "Troubleshoot
//! errors using Azure Resource Graph", Too many subscriptions).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::progress::Progress;
use super::request::{Client, Failed};

const API_VERSION: &str = "2022-10-01";
const PAGE: u32 = 1000;
/// A runaway pager (a token that never ends) stops here: 10 million resources.
const MAX_PAGES: usize = 10_000;
/// The most subscriptions one Resource Graph request may name.
pub const MAX_BATCH: usize = 1_000;

/// The top-level types `ingest/azure/resources.rs` reads (child resources come inside their parents).
pub const TYPES: [&str; 8] = [
    "microsoft.network/networksecuritygroups",
    "microsoft.network/virtualnetworks",
    "microsoft.network/networkinterfaces",
    "microsoft.network/publicipaddresses",
    "microsoft.network/bastionhosts",
    "microsoft.network/loadbalancers",
    "microsoft.compute/virtualmachines",
    "microsoft.aad/domainservices",
];

/// What a query runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Subscription(String),
    ManagementGroup(String),
    /// Batch `batch` of `of` from `--all-subscriptions`: several subscriptions in one query.
    Subscriptions {
        batch: usize,
        of: usize,
        ids: Vec<String>,
    },
}

/// The subscriptions of `--all-subscriptions` (sorted) in batches of `size` (at most [`MAX_BATCH`]).
pub fn batches(ids: &[String], size: usize) -> Vec<Scope> {
    let chunks: Vec<&[String]> = ids.chunks(size.clamp(1, MAX_BATCH)).collect();
    let of = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, ids)| Scope::Subscriptions {
            batch: i + 1,
            of,
            ids: ids.to_vec(),
        })
        .collect()
}

impl Scope {
    /// The scope's ARM path, as messages and "not evaluated" subjects name it.
    pub fn path(&self) -> String {
        match self {
            Scope::Subscription(id) => format!("/subscriptions/{id}"),
            Scope::ManagementGroup(id) => format!("/providers/Microsoft.Management/managementGroups/{id}"),
            Scope::Subscriptions { batch, of, ids } => {
                let s = if ids.len() == 1 { "" } else { "s" };
                format!("/subscriptions (batch {batch} of {of}, {} subscription{s})", ids.len())
            }
        }
    }

    /// The scopes a failure of this one leaves not evaluated: each subscription of a batch by itself.
    pub fn members(&self) -> Vec<String> {
        match self {
            Scope::Subscriptions { ids, .. } => ids.iter().map(|id| format!("/subscriptions/{id}")).collect(),
            _ => vec![self.path()],
        }
    }

    /// A file-name prefix: the kind and the ID, with anything but `[A-Za-z0-9._-]` replaced.
    fn file_stem(&self) -> String {
        let (kind, id) = match self {
            Scope::Subscription(id) => ("subscription", id),
            Scope::ManagementGroup(id) => ("management-group", id),
            Scope::Subscriptions { batch, .. } => return format!("resource-graph-subscriptions-batch-{batch:04}"),
        };
        format!("resource-graph-{kind}-{}", safe_file_name(id))
    }

    fn request(&self, skip_token: Option<&str>) -> Value {
        let mut options = json!({ "$top": PAGE, "resultFormat": "objectArray" });
        if let Some(t) = skip_token {
            options["$skipToken"] = json!(t);
        }
        let mut body = json!({ "query": query(), "options": options });
        match self {
            Scope::Subscription(id) => body["subscriptions"] = json!([id]),
            Scope::ManagementGroup(id) => body["managementGroups"] = json!([id]),
            Scope::Subscriptions { ids, .. } => body["subscriptions"] = json!(ids),
        }
        body
    }
}

/// `text` as a file name: anything but `[A-Za-z0-9._-]` replaced with `_`.
pub(super) fn safe_file_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The Kusto query: every type the rules read, in a stable order.
pub fn query() -> String {
    let types: Vec<String> = TYPES.iter().map(|t| format!("'{t}'")).collect();
    format!("Resources | where type in~ ({}) | order by id asc", types.join(", "))
}

/// Read every page of `scope` into `dir`. `Ok` holds the files written; `Err` the files written before the
/// failure (what was read is still scanned) and why the rest could not be read.
pub fn read_scope(
    client: &Client,
    endpoint: &str,
    scope: &Scope,
    dir: &Path,
    progress: &Progress,
) -> Result<Vec<PathBuf>, (Vec<PathBuf>, Failed)> {
    let url = format!("{endpoint}/providers/Microsoft.ResourceGraph/resources?api-version={API_VERSION}");
    let name = scope.path();
    let mut files = Vec::new();
    let mut skip_token: Option<String> = None;
    loop {
        let page = match client.post(&url, &scope.request(skip_token.as_deref()), &name) {
            Ok(p) => p,
            Err(f) => return Err((files, f)),
        };
        let fail = |files, m: String| Err((files, Failed(format!("{name}: {m}"))));
        let Some(data) = page.get("data").and_then(Value::as_array) else {
            return fail(files, "the Resource Graph answer has no `data` array".into());
        };
        progress.page(data.len());
        let next = page.get("$skipToken").and_then(Value::as_str).map(str::to_string);
        let path = dir.join(format!("{}-{:04}.json", scope.file_stem(), files.len() + 1));
        let file = json!({
            "count": data.len(),
            "data": data,
            "skip_token": next,
            "total_records": page.get("totalRecords").cloned().unwrap_or(Value::Null),
        });
        let text = serde_json::to_string_pretty(&file).unwrap_or_default() + "\n";
        if let Err(e) = std::fs::write(&path, text) {
            return fail(files, format!("cannot write {}: {e}", path.display()));
        }
        files.push(path);
        match next {
            Some(t) if Some(&t) == skip_token.as_ref() => {
                return fail(files, "the same $skipToken came back twice".into())
            }
            Some(_) if files.len() >= MAX_PAGES => return fail(files, format!("more than {MAX_PAGES} pages")),
            Some(t) => skip_token = Some(t),
            None if is_truncated(&page) => {
                return fail(files, "Resource Graph truncated the result without a $skipToken".into())
            }
            None => return Ok(files),
        }
    }
}

fn is_truncated(page: &Value) -> bool {
    match page.get("resultTruncated") {
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_has_the_rest_api_shape() {
        let s = Scope::Subscription("cfbbd179-59d2-4052-aa06-9270a38aa9d6".into());
        let body = s.request(Some("eyAibm8iOiAibHVjayIg"));
        assert_eq!(body["subscriptions"], json!(["cfbbd179-59d2-4052-aa06-9270a38aa9d6"]));
        assert_eq!(body["options"]["$top"], json!(1000));
        assert_eq!(body["options"]["$skipToken"], json!("eyAibm8iOiAibHVjayIg"));
        let mg = Scope::ManagementGroup("mg/../x".into()).request(None);
        assert_eq!(mg["managementGroups"], json!(["mg/../x"]));
        assert!(mg["options"].get("$skipToken").is_none());
        assert_eq!(
            Scope::ManagementGroup("mg/../x".into()).file_stem(),
            "resource-graph-management-group-mg_.._x"
        );
    }

    #[test]
    fn subscriptions_go_in_batches_and_fail_one_by_one() {
        let ids: Vec<String> = (0..2_501)
            .map(|i| format!("{i:08x}-0000-4000-8000-000000000000"))
            .collect();
        let scopes = batches(&ids, 5_000);
        assert_eq!(scopes.len(), 3, "at most 1,000 a request");
        let Scope::Subscriptions { batch, of, ids: last } = &scopes[2] else {
            panic!("{:?}", scopes[2])
        };
        assert_eq!((*batch, *of, last.len()), (3, 3, 501));
        assert_eq!(
            scopes[0].request(None)["subscriptions"].as_array().unwrap().len(),
            1_000
        );
        assert_eq!(
            scopes[2].members()[0],
            "/subscriptions/000007d0-0000-4000-8000-000000000000"
        );
        assert_eq!(scopes[2].path(), "/subscriptions (batch 3 of 3, 501 subscriptions)");
        assert_eq!(scopes[1].file_stem(), "resource-graph-subscriptions-batch-0002");
        assert_eq!(batches(&ids[..3], 2).len(), 2);
        assert!(batches(&[], 1_000).is_empty());
    }
}
