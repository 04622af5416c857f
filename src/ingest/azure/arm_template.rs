//! Expansion of an `az group export` template into resources in ARM REST shape.
//!
//! An export describes the same resources that `az resource list` returns, but its names and references are
//! template expressions, child resources may be nested inside their parent, and there is no `id`. The rules
//! are written against the REST shape, so this module evaluates every string (see
//! [`super::arm_expr`]), lifts nested children out with their full type and name, and computes IDs.
//! Every other value stays at the same relative JSON pointer as in the file, so that a finding about
//! `value` can still be located in the original text under [`TemplateResource::pointer`].

use serde_json::{Map, Value};

use super::arm_expr::{self, EvalContext, Evaluated, ExprError};
use crate::locate::escape_token;

/// Whether `root` looks like a resource-group deployment template (what `az group export` writes).
pub fn is_template(root: &Value) -> bool {
    let schema = root.get("$schema").and_then(Value::as_str);
    schema.is_some_and(|s| s.contains("deploymentTemplate.json")) && root.get("resources").is_some_and(Value::is_array)
}

/// One resource of the template, nested children included, with every expression evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateResource {
    /// JSON pointer of the resource object in the file, e.g. `/resources/3/resources/0`.
    pub pointer: String,
    /// The resource with a full `type`, a resolved `name`, a computed `id`, and no `dependsOn` or `resources`.
    pub value: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A string in the template is not valid expression syntax; `pointer` addresses that string.
    #[error("{pointer}: {source}")]
    Expr { pointer: String, source: ExprError },
}

/// Expands every resource of `root`, parents before their nested children, in file order. Strings that
/// cannot be evaluated become `{"$unresolved": "<expression>", "reason": "..."}` so that consumers report
/// "not evaluated" instead of guessing; only invalid expression syntax is an error.
pub fn expand(root: &Value) -> Result<Vec<TemplateResource>, TemplateError> {
    let ctx = EvalContext::new(root);
    let mut expander = Expander {
        ctx: &ctx,
        out: Vec::new(),
    };
    let resources = root.get("resources").and_then(Value::as_array);
    for (i, resource) in resources.into_iter().flatten().enumerate() {
        expander.resource(resource, format!("/resources/{i}"), None)?;
    }
    Ok(expander.out)
}

/// The JSON that replaces a string which could not be evaluated.
fn unresolved(original: Value, reason: String) -> Value {
    let mut map = Map::new();
    map.insert("$unresolved".to_owned(), original);
    map.insert("reason".to_owned(), Value::String(reason));
    Value::Object(map)
}

/// The output for `type` or `name`: the full resolved string, or the file's value marked unresolved.
fn settled(result: &Result<String, String>, raw: &Value) -> Value {
    match result {
        Ok(s) => Value::String(s.clone()),
        Err(reason) => unresolved(raw.clone(), reason.clone()),
    }
}

/// What a nested child inherits: its parent's full type and full name, or why they are unknown.
struct Parent {
    resource_type: Result<String, String>,
    name: Result<String, String>,
}

struct Expander<'c, 'a> {
    ctx: &'c EvalContext<'a>,
    out: Vec<TemplateResource>,
}

impl Expander<'_, '_> {
    fn resource(&mut self, resource: &Value, pointer: String, parent: Option<&Parent>) -> Result<(), TemplateError> {
        let Some(fields) = resource.as_object() else {
            return Ok(());
        };
        let resource_type = self
            .string_field(fields, "type", &pointer)?
            .and_then(|t| full_type(parent, t));
        let name = self.string_field(fields, "name", &pointer)?;
        let name = match &resource_type {
            Ok(t) => name.and_then(|n| full_name(parent, t, n)),
            Err(_) => name,
        };
        let id = match (&resource_type, &name) {
            (Ok(t), Ok(n)) => arm_expr::resource_id(t, &n.split('/').collect::<Vec<_>>()),
            (Err(reason), _) | (_, Err(reason)) => Err(reason.clone()),
        };

        let mut value = Map::new();
        let mut path = pointer.clone();
        for (key, field) in fields {
            let resolved = match key.as_str() {
                "dependsOn" | "resources" | "id" => continue,
                "type" => settled(&resource_type, field),
                "name" => settled(&name, field),
                _ => {
                    path.push('/');
                    path.push_str(&escape_token(key));
                    let walked = self.walk(field, &mut path)?;
                    path.truncate(pointer.len());
                    walked
                }
            };
            value.insert(key.clone(), resolved);
        }
        let id = match id {
            Ok(id) => Value::String(id),
            // An unresolved name already carries the expression and reason; repeat it rather than restate it.
            Err(reason) => match (&name, value.get("name")) {
                (Err(_), Some(unresolved_name)) => unresolved_name.clone(),
                _ => unresolved(fields.get("name").cloned().unwrap_or(Value::Null), reason),
            },
        };
        value.insert("id".to_owned(), id);
        self.out.push(TemplateResource {
            pointer: pointer.clone(),
            value: Value::Object(value),
        });

        let children = fields.get("resources").and_then(Value::as_array);
        let parent = Parent { resource_type, name };
        for (i, child) in children.into_iter().flatten().enumerate() {
            self.resource(child, format!("{pointer}/resources/{i}"), Some(&parent))?;
        }
        Ok(())
    }

    /// Evaluates `fields[key]` to a string; the inner error is the reason it is not one.
    fn string_field(
        &self,
        fields: &Map<String, Value>,
        key: &str,
        pointer: &str,
    ) -> Result<Result<String, String>, TemplateError> {
        let Some(raw) = fields.get(key).and_then(Value::as_str) else {
            return Ok(Err(format!("resource has no string '{key}'")));
        };
        let evaluated = arm_expr::evaluate(raw, self.ctx).map_err(|source| TemplateError::Expr {
            pointer: format!("{pointer}/{key}"),
            source,
        })?;
        Ok(match evaluated {
            Evaluated::Value(Value::String(s)) => Ok(s),
            Evaluated::Value(other) => Err(format!("'{key}' evaluates to a non-string {other}")),
            Evaluated::Unresolved(reason) => Err(reason),
        })
    }

    /// Copies `value` with every string evaluated; `path` is its pointer in the file, for error reports.
    fn walk(&self, value: &Value, path: &mut String) -> Result<Value, TemplateError> {
        Ok(match value {
            Value::String(s) => match arm_expr::evaluate(s, self.ctx) {
                Ok(Evaluated::Value(v)) => v,
                Ok(Evaluated::Unresolved(reason)) => unresolved(Value::String(s.clone()), reason),
                Err(source) => {
                    return Err(TemplateError::Expr {
                        pointer: path.clone(),
                        source,
                    })
                }
            },
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    out.push(self.walk(item, path)?);
                    path.truncate(len);
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&escape_token(key));
                    out.insert(key.clone(), self.walk(item, path)?);
                    path.truncate(len);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

/// A nested child may give its type relative to the parent (`securityRules`) or in full.
fn full_type(parent: Option<&Parent>, child_type: String) -> Result<String, String> {
    match parent {
        Some(parent) if !child_type.contains('/') => match &parent.resource_type {
            Ok(parent_type) => Ok(format!("{parent_type}/{child_type}")),
            Err(reason) => Err(format!("parent type is unresolved: {reason}")),
        },
        _ => Ok(child_type),
    }
}

/// A nested child may give its name relative to the parent (`rdp`) or in full (`nsg1/rdp`); the type says
/// how many segments a full name has.
fn full_name(parent: Option<&Parent>, resource_type: &str, name: String) -> Result<String, String> {
    let needed = resource_type.matches('/').count();
    match parent {
        Some(parent) if name.split('/').count() < needed => match &parent.name {
            Ok(parent_name) => Ok(format!("{parent_name}/{name}")),
            Err(reason) => Err(format!("parent name is unresolved: {reason}")),
        },
        _ => Ok(name),
    }
}

#[cfg(test)]
mod tests;
