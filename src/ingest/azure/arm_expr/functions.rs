//! The template functions on known values, with the semantics of the ARM template function reference
//! (string, array, object, logical, comparison, numeric and resource-ID functions). The evaluator decides
//! what to do with symbolic arguments before calling here; an `Err` is why a call has no value.

use serde_json::{Map, Value};

use super::ids::{build_id, resource_id_call, subscription_resource_id};
use super::Deployment;

type Out = Result<Option<Value>, String>;

/// Functions whose result only exists at deployment time: their calls are symbolic, named by their text.
pub fn is_unknowable(name: &str) -> bool {
    matches!(
        name,
        "uniquestring"
            | "guid"
            | "newguid"
            | "utcnow"
            | "reference"
            | "pickzones"
            | "environment"
            | "tenant"
            | "managementgroup"
            | "deployer"
            | "resourceinfo"
    ) || name.starts_with("list")
}

/// Functions that build text, into which a symbolic argument can be written as its `{...}` text.
pub fn is_textual(name: &str) -> bool {
    matches!(
        name,
        "concat"
            | "format"
            | "tolower"
            | "toupper"
            | "string"
            | "uri"
            | "resourceid"
            | "subscriptionresourceid"
            | "extensionresourceid"
            | "tenantresourceid"
    )
}

/// Functions that only move values around, so unknown members pass through them.
pub fn is_structural(name: &str) -> bool {
    matches!(
        name,
        "createarray" | "createobject" | "array" | "union" | "first" | "last" | "take" | "skip" | "concat"
    )
}

/// Calls `name` (lower-cased). `Ok(None)`: a function this evaluator does not know, hence symbolic.
pub fn call(name: &str, a: &[Value], d: &Deployment) -> Out {
    let v = match name {
        "concat" => concat(a)?,
        "format" => format(a)?,
        "tolower" => Value::String(text(a, 0)?.to_lowercase()),
        "toupper" => Value::String(text(a, 0)?.to_uppercase()),
        "trim" => Value::String(text(a, 0)?.trim().to_owned()),
        "replace" => Value::String(text(a, 0)?.replace(text(a, 1)?, text(a, 2)?)),
        "split" => split(a)?,
        "substring" => substring(a)?,
        "padleft" => pad_left(a)?,
        "startswith" => Value::Bool(text(a, 0)?.to_lowercase().starts_with(&text(a, 1)?.to_lowercase())),
        "endswith" => Value::Bool(text(a, 0)?.to_lowercase().ends_with(&text(a, 1)?.to_lowercase())),
        "string" => Value::String(match arg(a, 0)? {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        "int" => Value::from(match arg(a, 0)? {
            Value::String(s) => s.trim().parse::<i64>().map_err(|_| format!("int() of '{s}'"))?,
            other => int(other)?,
        }),
        "bool" => Value::Bool(match arg(a, 0)? {
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            other => other
                .as_bool()
                .or(other.as_i64().map(|i| i != 0))
                .ok_or("bool() of a non-scalar")?,
        }),
        "json" => serde_json::from_str(text(a, 0)?).map_err(|e| format!("json(): {e}"))?,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        "uri" => Value::String(uri(text(a, 0)?, text(a, 1)?)),
        "length" => Value::from(match arg(a, 0)? {
            Value::String(s) => s.chars().count(),
            Value::Array(items) => items.len(),
            Value::Object(map) => map.len(),
            other => return Err(format!("length() of {other}")),
        }),
        "empty" => Value::Bool(match arg(a, 0)? {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(items) => items.is_empty(),
            Value::Object(map) => map.is_empty(),
            _ => false,
        }),
        "contains" => Value::Bool(contains(arg(a, 0)?, arg(a, 1)?)?),
        "first" | "last" => ends(name == "first", arg(a, 0)?)?,
        "take" | "skip" => take_skip(name == "take", arg(a, 0)?, int(arg(a, 1)?)?)?,
        "union" => union(a)?,
        "intersection" => intersection(a)?,
        "createarray" => Value::Array(a.to_vec()),
        "array" => match arg(a, 0)? {
            Value::Array(items) => Value::Array(items.clone()),
            other => Value::Array(vec![other.clone()]),
        },
        "createobject" => create_object(a)?,
        "coalesce" => a.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null),
        "equals" => Value::Bool(arg(a, 0)? == arg(a, 1)?),
        "not" => Value::Bool(!boolean(arg(a, 0)?)?),
        "and" => Value::Bool(
            a.iter()
                .map(boolean)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .all(|b| b),
        ),
        "or" => Value::Bool(
            a.iter()
                .map(boolean)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .any(|b| b),
        ),
        "greater" | "greaterorequals" | "less" | "lessorequals" => compare(name, arg(a, 0)?, arg(a, 1)?)?,
        "add" | "sub" | "mul" | "div" | "mod" => arithmetic(name, int(arg(a, 0)?)?, int(arg(a, 1)?)?)?,
        "min" | "max" => min_max(name == "min", a)?,
        "range" => {
            let (start, count) = (int(arg(a, 0)?)?, int(arg(a, 1)?)?);
            if !(0..=10_000).contains(&count) {
                return Err(format!("range() count {count} out of bounds"));
            }
            Value::Array((start..start + count).map(Value::from).collect())
        }
        "resourceid" => Value::String(resource_id_call(a, d)?),
        "subscriptionresourceid" => Value::String(subscription_resource_id(a, d)?),
        "tenantresourceid" => Value::String(build_id("", text(a, 0)?, &texts(a, 1)?)?),
        "extensionresourceid" => {
            let all = texts(a, 0)?;
            let [scope, ty, names @ ..] = all.as_slice() else {
                return Err("extensionResourceId() needs a scope, a type and names".to_owned());
            };
            Value::String(build_id(scope.trim_end_matches('/'), ty, names)?)
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

fn arg(a: &[Value], i: usize) -> Result<&Value, String> {
    a.get(i).ok_or_else(|| format!("missing argument {}", i + 1))
}

fn text(a: &[Value], i: usize) -> Result<&str, String> {
    arg(a, i)?
        .as_str()
        .ok_or_else(|| format!("argument {} is not a string", i + 1))
}

/// Every argument from `from` on as strings.
pub fn texts(a: &[Value], from: usize) -> Result<Vec<&str>, String> {
    (from..a.len()).map(|i| text(a, i)).collect()
}

fn int(v: &Value) -> Result<i64, String> {
    v.as_i64().ok_or_else(|| format!("{v} is not an integer"))
}

fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| format!("{v} is not a boolean"))
}

/// The value of `base.name`: object properties are case-insensitive in ARM, an exact match first.
pub fn member(base: &Value, name: &str) -> Result<Value, String> {
    let obj = base
        .as_object()
        .ok_or_else(|| format!("cannot read '.{name}' of a non-object"))?;
    obj.get(name)
        .or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
        .cloned()
        .ok_or_else(|| format!("object has no property '{name}'"))
}

/// `base[index]`: an array element or an object property.
pub fn index(base: &Value, index: &Value) -> Result<Value, String> {
    match (base, index) {
        (Value::Array(items), Value::Number(n)) => n
            .as_u64()
            .and_then(|i| items.get(i as usize))
            .cloned()
            .ok_or_else(|| format!("index {n} out of range for {} element(s)", items.len())),
        (Value::Object(_), Value::String(name)) => member(base, name),
        _ => Err(format!("cannot index with {index}")),
    }
}

fn concat(a: &[Value]) -> Result<Value, String> {
    if a.is_empty() {
        return Err("concat() needs at least one argument".to_owned());
    }
    if a.iter().all(Value::is_array) {
        return Ok(Value::Array(
            a.iter()
                .flat_map(|v| v.as_array().into_iter().flatten().cloned())
                .collect(),
        ));
    }
    let mut out = String::new();
    for v in a {
        match v {
            Value::String(s) => out.push_str(s),
            Value::Number(_) | Value::Bool(_) => out.push_str(&v.to_string()),
            other => return Err(format!("concat() of a non-string value {other}")),
        }
    }
    Ok(Value::String(out))
}

/// .NET composite formatting as `format()` documents it: `{0}`, `{1:N0}`, `{2:D3}`, `{{` and `}}`.
fn format(a: &[Value]) -> Result<Value, String> {
    let fmt = text(a, 0)?;
    let mut out = String::new();
    let mut rest = fmt;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let close = tail
            .find('}')
            .filter(|_| tail.starts_with('{'))
            .ok_or("format() has an unmatched brace")?;
        let (index, spec) = tail[1..close].split_once(':').unwrap_or((&tail[1..close], ""));
        let index: usize = index
            .trim()
            .parse()
            .map_err(|_| format!("format() item '{}'", &tail[..=close]))?;
        out.push_str(&format_item(arg(a, index + 1)?, spec)?);
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn format_item(v: &Value, spec: &str) -> Result<String, String> {
    let (kind, digits) = spec.split_at(spec.len().min(1));
    let digits: usize = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| format!("format spec '{spec}'"))?
    };
    Ok(match (kind.to_ascii_uppercase().as_str(), v) {
        ("", Value::String(s)) => s.clone(),
        ("", other) => other.to_string(),
        ("D", Value::Number(n)) => format!("{:0digits$}", int(&Value::Number(n.clone()))?),
        ("N", Value::Number(n)) if digits == 0 => thousands(int(&Value::Number(n.clone()))?),
        _ => return Err(format!("format spec '{spec}' is not supported for {v}")),
    })
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

fn split(a: &[Value]) -> Result<Value, String> {
    let s = text(a, 0)?;
    let delimiters: Vec<&str> = match arg(a, 1)? {
        Value::String(d) => vec![d.as_str()],
        Value::Array(ds) => ds
            .iter()
            .map(|d| d.as_str().ok_or("split() delimiter is not a string"))
            .collect::<Result<_, _>>()?,
        _ => return Err("split() delimiter is not a string".to_owned()),
    };
    let parts = s.split(|c: char| delimiters.iter().any(|d| d.chars().count() == 1 && d.starts_with(c)));
    if delimiters.iter().all(|d| d.chars().count() == 1) {
        return Ok(Value::Array(parts.map(|p| Value::String(p.to_owned())).collect()));
    }
    let mut pieces = vec![s.to_owned()];
    for d in delimiters.iter().filter(|d| !d.is_empty()) {
        pieces = pieces
            .iter()
            .flat_map(|p| p.split(d).map(str::to_owned).collect::<Vec<_>>())
            .collect();
    }
    Ok(Value::Array(pieces.into_iter().map(Value::String).collect()))
}

fn substring(a: &[Value]) -> Result<Value, String> {
    let chars: Vec<char> = text(a, 0)?.chars().collect();
    let start = a.get(1).map(int).transpose()?.unwrap_or(0);
    let len = a.get(2).map(int).transpose()?.unwrap_or(chars.len() as i64 - start);
    if start < 0 || len < 0 || start + len > chars.len() as i64 {
        return Err(format!(
            "substring() start {start} and length {len} are outside the string"
        ));
    }
    Ok(Value::String(
        chars[start as usize..(start + len) as usize].iter().collect(),
    ))
}

fn pad_left(a: &[Value]) -> Result<Value, String> {
    let s = match arg(a, 0)? {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let width = usize::try_from(int(arg(a, 1)?)?).map_err(|_| "padLeft() length is negative")?;
    let pad = a
        .get(2)
        .map(|_| text(a, 2))
        .transpose()?
        .and_then(|p| p.chars().next())
        .unwrap_or(' ');
    let missing = width.saturating_sub(s.chars().count()).min(super::MAX_STRING_LEN);
    Ok(Value::String(
        std::iter::repeat_n(pad, missing).chain(s.chars()).collect(),
    ))
}

/// `uri(base, relative)`: as .NET combines them, a base without a trailing slash loses its last segment.
fn uri(base: &str, relative: &str) -> String {
    let keep = match base.find("://").map(|i| i + 3) {
        Some(authority) if !base[authority..].contains('/') => return format!("{base}/{relative}"),
        _ => base.rfind('/').map_or(0, |i| i + 1),
    };
    format!("{}{relative}", &base[..keep])
}

fn contains(container: &Value, item: &Value) -> Result<bool, String> {
    Ok(match (container, item) {
        (Value::String(s), Value::String(i)) => s.contains(i.as_str()),
        (Value::Array(items), _) => items.contains(item),
        (Value::Object(map), Value::String(k)) => map.keys().any(|key| key.eq_ignore_ascii_case(k)),
        _ => return Err(format!("contains() of {item} in {container}")),
    })
}

fn ends(first: bool, v: &Value) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => {
            let c = if first { s.chars().next() } else { s.chars().last() };
            Value::String(c.map(String::from).unwrap_or_default())
        }
        Value::Array(items) => (if first { items.first() } else { items.last() })
            .cloned()
            .unwrap_or(Value::Null),
        other => return Err(format!("first()/last() of {other}")),
    })
}

fn take_skip(take: bool, v: &Value, n: i64) -> Result<Value, String> {
    let n = usize::try_from(n.max(0)).unwrap_or(0);
    Ok(match v {
        Value::String(s) if take => Value::String(s.chars().take(n).collect()),
        Value::String(s) => Value::String(s.chars().skip(n).collect()),
        Value::Array(items) if take => Value::Array(items.iter().take(n).cloned().collect()),
        Value::Array(items) => Value::Array(items.iter().skip(n).cloned().collect()),
        other => return Err(format!("take()/skip() of {other}")),
    })
}

/// Objects merge (later wins, nested objects merge too); arrays keep each distinct element once.
fn union(a: &[Value]) -> Result<Value, String> {
    if a.iter().all(Value::is_array) {
        let mut out: Vec<Value> = Vec::new();
        for v in a.iter().flat_map(|v| v.as_array().into_iter().flatten()) {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
        return Ok(Value::Array(out));
    }
    let mut out = Map::new();
    for v in a {
        merge(&mut out, v.as_object().ok_or("union() of an object with a non-object")?);
    }
    Ok(Value::Object(out))
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

fn intersection(a: &[Value]) -> Result<Value, String> {
    let (first, rest) = a.split_first().ok_or("intersection() needs arguments")?;
    Ok(match first {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|i| rest.iter().all(|r| r.as_array().is_some_and(|o| o.contains(i))))
                .cloned()
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, v)| rest.iter().all(|r| r.get(k.as_str()) == Some(v)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => return Err(format!("intersection() of {other}")),
    })
}

fn create_object(a: &[Value]) -> Result<Value, String> {
    if !a.len().is_multiple_of(2) {
        return Err("createObject() needs key and value pairs".to_owned());
    }
    let mut out = Map::new();
    for pair in a.chunks(2) {
        let key = pair[0].as_str().ok_or("createObject() key is not a string")?;
        out.insert(key.to_owned(), pair[1].clone());
    }
    Ok(Value::Object(out))
}

fn compare(name: &str, x: &Value, y: &Value) -> Result<Value, String> {
    let order = match (x, y) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => int(x)?.cmp(&int(y)?),
    };
    Ok(Value::Bool(match name {
        "greater" => order.is_gt(),
        "greaterorequals" => order.is_ge(),
        "less" => order.is_lt(),
        _ => order.is_le(),
    }))
}

fn arithmetic(name: &str, x: i64, y: i64) -> Result<Value, String> {
    let r = match name {
        "add" => x.checked_add(y),
        "sub" => x.checked_sub(y),
        "mul" => x.checked_mul(y),
        "div" => x.checked_div(y),
        _ => x.checked_rem(y),
    };
    r.map(Value::from)
        .ok_or_else(|| format!("{name}({x}, {y}) has no value"))
}

fn min_max(min: bool, a: &[Value]) -> Result<Value, String> {
    let ints: Vec<i64> = match a {
        [Value::Array(items)] => items.iter().map(int).collect::<Result<_, _>>()?,
        _ => a.iter().map(int).collect::<Result<_, _>>()?,
    };
    let r = if min { ints.iter().min() } else { ints.iter().max() };
    r.map(|i| Value::from(*i))
        .ok_or_else(|| "min()/max() of nothing".to_owned())
}
