//! `--all-subscriptions`: the subscriptions the identity can see, from Resource Manager's
//! `GET {endpoint}/subscriptions?api-version=2022-12-01` (`Subscriptions_List`), paged with `nextLink`. The
//! answer has the shape of the REST API specification's example
//! (azure-rest-api-specs, `specification/resources/resource-manager/Microsoft.Resources/subscriptions/
//! examples/2022-12-01/GetSubscriptions.json`): `{"nextLink", "value": [{"id", "subscriptionId",
//! "displayName", "state", "tenantId", ...}]}`.
//!
//! Which states are read ("Azure subscription states", Microsoft Learn, cost-management-billing): `Enabled`
//! (all operations), `PastDue` ("still active ... All operations are available") and `Warned` ("You can
//! retrieve ... resources (GET)"; its resources are still deployed and come back when it is enabled again).
//! `Disabled` and `Deleted` (and any other state) are skipped and named in a warning, never silently.

use serde_json::Value;

use super::request::{Client, Failed};

const API_VERSION: &str = "2022-12-01";
/// A runaway pager stops here (ARM lists subscriptions a few hundred a page).
const MAX_PAGES: usize = 1_000;
/// How messages name the listing (a 403 says the Reader role is needed at it).
pub const LIST_SCOPE: &str = "the tenant's subscriptions (/subscriptions)";
/// The subject a failed listing is "not evaluated" for.
pub const LIST_SUBJECT: &str = "/subscriptions";
/// States whose resources are read.
const READ_STATES: [&str; 3] = ["Enabled", "PastDue", "Warned"];

/// What the listing gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Listed {
    /// Subscription IDs to read, lower-cased, sorted, without duplicates.
    pub read: Vec<String>,
    /// Every subscription seen, read or not.
    pub seen: usize,
    /// One warning per subscription skipped (its state, or an ID that is not one), in ID order.
    pub warnings: Vec<String>,
}

/// List every subscription the identity can see.
pub fn list(client: &Client, endpoint: &str, on_page: impl Fn(usize)) -> Result<Listed, Failed> {
    let url = format!("{endpoint}/subscriptions?api-version={API_VERSION}");
    let mut entries = Vec::new();
    client.get_paged(&url, LIST_SCOPE, MAX_PAGES, |page| {
        let Some(value) = page.get("value").and_then(Value::as_array) else {
            return Err(Failed(format!("{LIST_SCOPE}: the answer has no `value` array")));
        };
        on_page(value.len());
        entries.extend(value.iter().cloned());
        Ok(())
    })?;
    Ok(sort(&entries))
}

/// Keep the readable subscriptions; name the others.
fn sort(entries: &[Value]) -> Listed {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut read = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    for entry in entries {
        let raw = text(entry, "subscriptionId");
        let name = shown(&text(entry, "displayName"));
        let state = text(entry, "state");
        if !is_guid(&raw) {
            let why = format!(
                "a subscription in the list has no valid subscriptionId ({:?}, \"{name}\"); it is not read",
                shown(&raw)
            );
            skipped.push((raw, why));
        } else if READ_STATES.contains(&state.as_str()) {
            read.push(raw.to_ascii_lowercase());
        } else {
            let state = if state.is_empty() {
                "unknown".into()
            } else {
                shown(&state)
            };
            let why = format!(
                "subscription /subscriptions/{} (\"{name}\") is not read: its state is {state} (--all-subscriptions reads Enabled, PastDue and Warned ones)",
                raw.to_ascii_lowercase()
            );
            skipped.push((raw.to_ascii_lowercase(), why));
        }
    }
    read.sort();
    read.dedup();
    skipped.sort();
    skipped.dedup();
    Listed {
        read,
        seen: entries.len(),
        warnings: skipped.into_iter().map(|(_, w)| w).collect(),
    }
}

/// The cause when nothing can be read: none seen at all, or none in a readable state.
pub fn nothing_to_read(listed: &Listed) -> String {
    match listed.seen {
        0 => format!(
            "{LIST_SCOPE}: the identity sees no subscription — does it have the Reader role on any? (--all-subscriptions reads the subscriptions where it has a role)"
        ),
        n => format!(
            "{LIST_SCOPE}: none of the {n} subscriptions the identity sees can be read (see the warnings for their states)"
        ),
    }
}

/// A subscription ID is a GUID: anything else from the answer is neither queried nor put in a file name.
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A name from the answer, short and without control characters (terminals escape the rest).
fn shown(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(100).collect();
    if s.chars().count() > 100 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn readable_states_are_kept_and_the_others_named() {
        let entries = [
            json!({"subscriptionId": "72AC930A-F34E-42D8-B06D-DC2A9E12ED71", "displayName": "B", "state": "Enabled"}),
            json!({"subscriptionId": "291bba3f-e0a5-47bc-a099-3bdcb2a50a05", "displayName": "A", "state": "Warned"}),
            json!({"subscriptionId": "291bba3f-e0a5-47bc-a099-3bdcb2a50a05", "displayName": "A", "state": "Warned"}),
            json!({"subscriptionId": "0f0f0f0f-0000-4000-8000-000000000001", "displayName": "Old\u{1b}[2J", "state": "Disabled"}),
            json!({"subscriptionId": "11111111-2222-4333-8444-555555555555", "state": "PastDue"}),
            json!({"subscriptionId": "../../etc", "displayName": "x", "state": "Enabled"}),
        ];
        let listed = sort(&entries);
        assert_eq!(
            listed.read,
            [
                "11111111-2222-4333-8444-555555555555",
                "291bba3f-e0a5-47bc-a099-3bdcb2a50a05",
                "72ac930a-f34e-42d8-b06d-dc2a9e12ed71"
            ]
        );
        assert_eq!(listed.seen, 6);
        assert_eq!(listed.warnings.len(), 2, "{:?}", listed.warnings);
        assert!(listed.warnings[1].contains("/subscriptions/0f0f0f0f-0000-4000-8000-000000000001 (\"Old[2J\")"));
        assert!(listed.warnings[1].contains("its state is Disabled"));
        assert!(listed.warnings[0].contains("\"../../etc\""), "{:?}", listed.warnings);
        assert!(nothing_to_read(&Listed::default()).contains("sees no subscription"));
    }
}
