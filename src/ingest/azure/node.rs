//! A JSON value together with where it sits in its file, so that everything read from it keeps its
//! provenance. Also hides the difference between the ARM shape (fields under `properties`) and the
//! flattened shape some `az` commands print (fields at the top level).

use serde_json::Value;

use crate::model::Ref;
use crate::source::Origin;

#[derive(Clone, Copy)]
pub struct Node<'a> {
    pub value: &'a Value,
    pub origin: &'a Origin,
}

/// A child node owns its origin; `Owned` keeps the pair together.
pub struct Owned<'a> {
    pub value: &'a Value,
    pub origin: Origin,
}

impl<'a> Owned<'a> {
    pub fn node(&self) -> Node<'_> {
        Node {
            value: self.value,
            origin: &self.origin,
        }
    }
}

/// The key as written, else a case-insensitive match (Resource Graph and old exports vary in casing).
fn lookup<'v>(value: &'v Value, key: &str) -> Option<(&'v str, &'v Value)> {
    let obj = value.as_object()?;
    obj.get_key_value(key)
        .or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
        .map(|(k, v)| (k.as_str(), v))
}

impl<'a> Node<'a> {
    pub fn get(&self, key: &str) -> Option<Owned<'a>> {
        let (k, v) = lookup(self.value, key)?;
        (!v.is_null()).then(|| Owned {
            value: v,
            origin: self.origin.child(k),
        })
    }

    /// The object holding a resource's fields: `properties` when present, else the object itself.
    pub fn props(&self) -> Owned<'a> {
        match lookup(self.value, "properties") {
            Some((k, v)) if v.is_object() => Owned {
                value: v,
                origin: self.origin.child(k),
            },
            _ => Owned {
                value: self.value,
                origin: self.origin.clone(),
            },
        }
    }

    pub fn str(&self, key: &str) -> Option<&'a str> {
        lookup(self.value, key).and_then(|(_, v)| v.as_str())
    }

    /// Elements of an array field (absent or null: none).
    pub fn items(&self, key: &str) -> Vec<Owned<'a>> {
        let Some((k, Value::Array(items))) = lookup(self.value, key) else {
            return Vec::new();
        };
        let base = self.origin.child(k);
        items
            .iter()
            .enumerate()
            .map(|(i, v)| Owned {
                value: v,
                origin: base.child(&i.to_string()),
            })
            .collect()
    }

    /// A reference field: `{"id": "..."}` (or an unresolved template expression in its place).
    pub fn reference(&self, key: &str) -> Option<Ref> {
        let (_, v) = lookup(self.value, key)?;
        as_ref(v)
    }

    /// Every `{"id": ...}` element of an array field.
    pub fn references(&self, key: &str) -> Vec<Ref> {
        match lookup(self.value, key) {
            Some((_, Value::Array(items))) => items.iter().filter_map(as_ref).collect(),
            _ => Vec::new(),
        }
    }

    /// A string field that may be an unresolved template expression.
    pub fn text(&self, key: &str) -> Option<Result<&'a str, String>> {
        let (_, v) = lookup(self.value, key)?;
        match v {
            Value::String(s) => Some(Ok(s)),
            Value::Null => None,
            other => Some(Err(unresolved(other).unwrap_or_else(|| other.to_string()))),
        }
    }

    /// A number field (exports sometimes write numbers as strings).
    pub fn number(&self, key: &str) -> Option<Result<u64, String>> {
        let (_, v) = lookup(self.value, key)?;
        match v {
            Value::Number(n) => Some(n.as_u64().ok_or_else(|| n.to_string())),
            Value::String(s) => Some(s.trim().parse().map_err(|_| s.clone())),
            Value::Null => None,
            other => Some(Err(unresolved(other).unwrap_or_else(|| other.to_string()))),
        }
    }
}

/// The expression text of a value the template evaluator could not resolve.
pub fn unresolved(v: &Value) -> Option<String> {
    v.get("$unresolved").and_then(Value::as_str).map(str::to_string)
}

/// `{"id": "..."}`, or the bare ID string (Terraform lists IDs as strings).
fn as_ref(v: &Value) -> Option<Ref> {
    if let Value::String(s) = v {
        return (!s.is_empty()).then(|| Ref::Id(s.clone()));
    }
    if let Some(expr) = unresolved(v) {
        return Some(Ref::Unresolved(expr));
    }
    match v.get("id")? {
        Value::String(s) if !s.is_empty() => Some(Ref::Id(s.clone())),
        other => unresolved(other).map(Ref::Unresolved),
    }
}
