//! ARM what-if, the pre-change gate for ARM and Bicep: `az deployment group|sub|mg|tenant what-if
//! --no-pretty-print -o json` (`{"changes": [...], "status": ...}`) and the REST `Deployments_WhatIf`
//! response (`{"status": ..., "properties": {"changes": [...]}}`). Each change holds full ARM resource bodies
//! in `before` and `after` (a Create has no `before`, a Delete no `after`); the side that is read is staged
//! as any ARM resource, its subject the change's `resourceId`.

use serde_json::Value;

use super::Resources;
use crate::error::InputError;
use crate::ingest::Side;
use crate::source::Source;

/// The member of `obj` named `key` in any case.
fn member<'v>(obj: &'v serde_json::Map<String, Value>, key: &str) -> Option<(&'v String, &'v Value)> {
    obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))
}

/// Where the `changes` array is (`/changes` or `/properties/changes`), when `v` is a what-if result.
pub fn changes_pointer(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    member(obj, "status")?;
    if let Some((k, Value::Array(_))) = member(obj, "changes") {
        return Some(format!("/{k}"));
    }
    let (p, props) = member(obj, "properties")?;
    match member(props.as_object()?, "changes") {
        Some((k, Value::Array(_))) => Some(format!("/{p}/{k}")),
        _ => None,
    }
}

/// The resource bodies of `side`, with their pointers. A what-if that failed is an input error.
pub fn read(mut value: Value, source: &Source, pointer: &str, side: Side) -> Result<Resources, InputError> {
    if let Some((k, status)) = value.as_object().and_then(|o| member(o, "status")) {
        if status.as_str().is_some_and(|s| s.eq_ignore_ascii_case("failed")) {
            let message = value
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("no error message");
            return Err(source.error_at_pointer(&format!("/{k}"), format!("the what-if failed: {message}")));
        }
    }
    let Some(Value::Array(changes)) = value.pointer_mut(pointer).map(Value::take) else {
        return Ok(Vec::new());
    };
    let state = match side {
        Side::After => "after",
        Side::Before => "before",
    };
    let mut out = Vec::new();
    for (i, change) in changes.into_iter().enumerate() {
        let Value::Object(mut change) = change else { continue };
        let resource_id = member(&change, "resourceId")
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string);
        let Some(key) = member(&change, state).map(|(k, _)| k.clone()) else {
            continue;
        };
        let Some(Value::Object(mut body)) = change.remove(&key) else {
            continue;
        };
        // The subject is the change's resource ID; bodies carry it as `id` too, but only `resourceId` is sure.
        if let Some(id) = resource_id {
            body.insert("id".into(), Value::String(id));
        }
        out.push((format!("{pointer}/{i}/{key}"), Value::Object(body)));
    }
    Ok(out)
}
