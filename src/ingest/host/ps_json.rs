//! PowerShell `ConvertTo-Json` output: `os.json`, `features.json`, `ras-and-ias-servers.json`.
//!
//! `ConvertTo-Json` writes a bare object when the pipeline held one item and an array otherwise,
//! and Windows PowerShell 5.1 wraps an array passed with `-InputObject` as
//! `{"value": [...], "Count": n}`. Every shape comes back here as a list of objects, each with a
//! JSON pointer for provenance. Property names are matched case-insensitively, as PowerShell does.

use crate::ingest::host::text::{offset_at, ParseError};
use serde_json::{Map, Value};

/// One JSON object and its JSON pointer (`""` for a bare object, `"/0"`, `"/1"` in an array).
pub type PointedObject = (String, Map<String, Value>);

/// Parse `ConvertTo-Json` output into its objects. An empty file or `null` is an empty list (an
/// empty pipeline makes `ConvertTo-Json` print nothing). A serde_json error becomes a
/// [`ParseError`] at the byte offset of serde's line/column; a well-formed document of the wrong
/// shape is an error at offset 0 naming the JSON pointer (`serde_json::Value` keeps no positions).
pub fn parse_objects(text: &str) -> Result<Vec<PointedObject>, ParseError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ParseError::new(
            offset_at(text, e.line(), e.column(), false),
            format!("invalid JSON: {e}"),
        )
    })?;
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => pointed(items, ""),
        Value::Object(mut map) => {
            if map.len() == 2 && get(&map, "Count").is_some_and(Value::is_number) {
                let key = map.keys().find(|k| k.eq_ignore_ascii_case("value")).cloned();
                if let Some(Value::Array(items)) = key.and_then(|k| map.remove(&k)) {
                    return pointed(items, "/value");
                }
            }
            Ok(vec![(String::new(), map)])
        }
        other => Err(ParseError::new(
            0,
            format!("expected a JSON object or array of objects, found {}", kind(&other)),
        )),
    }
}

fn pointed(items: Vec<Value>, prefix: &str) -> Result<Vec<PointedObject>, ParseError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(map) => Ok((format!("{prefix}/{i}"), map)),
            other => Err(ParseError::new(
                0,
                format!("{prefix}/{i}: expected an object, found {}", kind(&other)),
            )),
        })
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Case-insensitive property lookup.
fn get<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

fn get_str(map: &Map<String, Value>, name: &str) -> Option<String> {
    get(map, name).and_then(Value::as_str).map(str::to_owned)
}

/// `Win32_OperatingSystem` as selected by the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsInfo {
    pub cs_name: Option<String>,
    pub caption: Option<String>,
    pub version: Option<String>,
    /// `BuildNumber` is a string in `Win32_OperatingSystem`; a number is accepted too.
    pub build_number: Option<u32>,
}

/// Parse `os.json`: exactly one object.
pub fn parse_os(text: &str) -> Result<OsInfo, ParseError> {
    let mut objects = parse_objects(text)?;
    if objects.len() != 1 {
        return Err(ParseError::new(
            0,
            format!("expected one operating system object, found {}", objects.len()),
        ));
    }
    let (_, map) = objects.remove(0);
    let build_number = match get(&map, "BuildNumber") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            s.trim()
                .parse()
                .map_err(|_| ParseError::new(0, format!("BuildNumber `{s}` is not a number")))?,
        ),
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| ParseError::new(0, format!("BuildNumber {n} is out of range")))?,
        ),
        Some(other) => {
            return Err(ParseError::new(
                0,
                format!("BuildNumber: expected a string, found {}", kind(other)),
            ))
        }
    };
    Ok(OsInfo {
        cs_name: get_str(&map, "CSName"),
        caption: get_str(&map, "Caption"),
        version: get_str(&map, "Version"),
        build_number,
    })
}

/// An installed Windows feature (role or role service) by its short name, e.g. `NPAS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub name: String,
    pub pointer: String,
}

/// Parse `features.json`. Extra properties are tolerated; an item that says `"Installed": false`
/// is skipped, so a listing taken without the `Where-Object Installed` filter still reads right.
pub fn parse_features(text: &str) -> Result<Vec<Feature>, ParseError> {
    let mut out = Vec::new();
    for (pointer, map) in parse_objects(text)? {
        if get(&map, "Installed").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let name =
            get_str(&map, "Name").ok_or_else(|| ParseError::new(0, format!("{pointer}: feature without a Name")))?;
        out.push(Feature { name, pointer });
    }
    Ok(out)
}

/// A member of the `RAS and IAS Servers` group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub name: Option<String>,
    pub sam_account_name: Option<String>,
    pub object_class: Option<String>,
    pub pointer: String,
}

/// Parse `ras-and-ias-servers.json`; an empty file, `null` or `[]` means no members.
pub fn parse_group_members(text: &str) -> Result<Vec<GroupMember>, ParseError> {
    Ok(parse_objects(text)?
        .into_iter()
        .map(|(pointer, map)| GroupMember {
            name: get_str(&map, "Name"),
            sam_account_name: get_str(&map, "SamAccountName"),
            object_class: get_str(&map, "objectClass"),
            pointer,
        })
        .collect())
}
