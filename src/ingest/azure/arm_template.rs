//! Expansion of an ARM template (an `az group export`, a quickstart, Azure/RDS-Templates) into resources in
//! ARM REST shape, as Azure Resource Manager would deploy them.
//!
//! Names and references are template expressions, child resources may be nested inside their parent, loops
//! (`copy`) multiply resources and properties, `condition` removes resources, nested deployments bring more
//! templates, and there is no `id`. The rules are written against the REST shape, so every string is
//! evaluated ([`super::arm_expr`]), loops are unrolled, nested children are lifted out with their full type
//! and name, and IDs are computed. Every other value stays at the same relative JSON pointer as in its
//! file, so that a finding about `value` can still be located under [`TemplateResource::pointer`].
//!
//! Markers written into the expanded resources (documented in `README` of the project for the rules side):
//! - `{"$unresolved": "<text>", "reason": "..."}` for a value that is not known before deployment (its text
//!   names the unknown, e.g. `{parameters('p')}`) or has no value; IDs built around an unknown name stay
//!   strings (`.../networkSecurityGroups/{parameters('nsgName')}`) so that joins still work;
//! - a top-level `"$condition": "<text>"` on a resource that exists only if something unknown holds: its
//!   `condition` could not be evaluated, or it comes from a copy loop whose count is unknown.

mod deployments;
mod scope;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::arm_expr::{self, Deployment, ExprError, RESOURCE_GROUP_PLACEHOLDER, SUBSCRIPTION_PLACEHOLDER};
use crate::locate::escape_token;
use scope::{Scope, Walker};

pub use scope::Supplied;

/// Key of the marker of a resource whose existence depends on something unknown.
pub const CONDITION: &str = "$condition";
/// Nested deployments deeper than this are reported, not expanded (a template can link itself).
const MAX_DEPLOYMENT_DEPTH: usize = 16;

/// Whether `root` looks like a deployment template: a `deploymentTemplate.json` schema and resources.
pub fn is_template(root: &Value) -> bool {
    let schema = root.get("$schema").and_then(Value::as_str);
    let resources = root.get("resources");
    schema.is_some_and(|s| s.contains("deploymentTemplate.json"))
        && resources.is_some_and(|r| r.is_array() || r.is_object())
}

/// One resource of the template, nested children and copies included, with every expression evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateResource {
    /// Which file it is in: 0 the template, `n` the `n`-th file read through [`Files::linked`].
    pub file: usize,
    /// JSON pointer of the resource object in that file, e.g. `/resources/3/resources/0`.
    pub pointer: String,
    /// The resource with a full `type`, a resolved `name`, a computed `id`, and no `dependsOn` or `resources`.
    pub value: Value,
}

/// A nested deployment whose template could not be read: its resources are not evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Unevaluated {
    pub file: usize,
    /// Pointer of the `Microsoft.Resources/deployments` resource.
    pub pointer: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Expansion {
    pub resources: Vec<TemplateResource>,
    pub unevaluated: Vec<Unevaluated>,
}

/// Linked templates (`templateLink.relativePath`), read by the caller.
pub trait Files {
    /// Reads `relative` beside file `from`; its index for [`TemplateResource::file`] and its JSON, or why not.
    fn linked(&mut self, from: usize, relative: &str) -> Result<(usize, Value), String>;
}

/// A string the rules read is not valid expression syntax.
#[derive(Debug, thiserror::Error)]
#[error("{pointer}: {source}")]
pub struct TemplateError {
    pub file: usize,
    pub pointer: String,
    pub source: ExprError,
}

/// Fields whose value the rules read: invalid expression syntax there rejects the file; anywhere else it
/// is kept, marked unresolved (a placeholder such as `[Application_Insights_Key]` in an extension setting).
const READ_FIELDS: &[&str] = &[
    "name",
    "type",
    "id",
    "protocol",
    "access",
    "direction",
    "priority",
    "sourceAddressPrefix",
    "sourceAddressPrefixes",
    "destinationAddressPrefix",
    "destinationAddressPrefixes",
    "sourcePortRange",
    "sourcePortRanges",
    "destinationPortRange",
    "destinationPortRanges",
    "frontendPort",
    "backendPort",
    "frontendPortRangeStart",
    "frontendPortRangeEnd",
    "addressPrefix",
    "addressPrefixes",
    "ipAddress",
];

fn is_read_field(pointer: &str) -> bool {
    let field = pointer.rsplit('/').find(|t| t.parse::<usize>().is_err()).unwrap_or("");
    READ_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(field))
}

/// Expands every resource of `root` (parents before their nested children, in file order), with the
/// parameter values `supplied` (keyed by lower-cased name) and `name` as `deployment().name`.
pub fn expand(
    root: &Value,
    supplied: BTreeMap<String, Supplied>,
    name: &str,
    files: &mut dyn Files,
) -> Result<Expansion, TemplateError> {
    let deployment = Deployment {
        subscription: SUBSCRIPTION_PLACEHOLDER.to_owned(),
        group: RESOURCE_GROUP_PLACEHOLDER.to_owned(),
        name: name.to_owned(),
    };
    let scope = Scope::new(root, supplied, deployment);
    let mut expander = Expander {
        files,
        out: Expansion::default(),
        depth: 0,
    };
    expander.template(&scope, root, 0, "")?;
    Ok(expander.out)
}

/// The JSON that replaces a value which could not be evaluated.
fn unresolved(original: Value, reason: String) -> Value {
    let mut map = Map::new();
    map.insert("$unresolved".to_owned(), original);
    map.insert("reason".to_owned(), Value::String(reason));
    Value::Object(map)
}

/// The reason of an unresolved marker.
fn marker_reason(v: &Value) -> Option<String> {
    v.get("$unresolved")?;
    v.get("reason").and_then(Value::as_str).map(str::to_owned)
}

/// Symbolic values in an expanded resource, as consumers read them: an ID around an unknown name stays a
/// string (it still joins), anything else symbolic is unresolved, named by its text.
fn settle(value: Value, key: &str) -> Value {
    if let Some(text) = arm_expr::symbolic_text(&value) {
        let partial = value.get(arm_expr::PARTIAL).is_some();
        // Names and IDs keep their text (two references to the same unknown still join, and a subject stays
        // readable); any other value that is symbolic is unresolved.
        let names = key.eq_ignore_ascii_case("name") || (partial && key.eq_ignore_ascii_case("id"));
        return if names {
            Value::String(text.into_owned())
        } else {
            let text = text.into_owned();
            unresolved(Value::String(text), "not known before deployment".to_owned())
        };
    }
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(|v| settle(v, key)).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = settle(v, &k);
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// What a nested child inherits: its parent's full type and full name, or why they are unknown.
struct Parent {
    resource_type: Result<String, String>,
    name: Result<String, String>,
}

struct Expander<'f> {
    files: &'f mut dyn Files,
    out: Expansion,
    depth: usize,
}

impl Expander<'_> {
    fn template(&mut self, scope: &Scope, template: &Value, file: usize, base: &str) -> Result<(), TemplateError> {
        let entries: Vec<(String, &Value)> = match template.get("resources") {
            Some(Value::Array(items)) => items.iter().enumerate().map(|(i, r)| (i.to_string(), r)).collect(),
            // Templates with `languageVersion` 2.0 name their resources symbolically.
            Some(Value::Object(map)) => map.iter().map(|(k, r)| (escape_token(k).into_owned(), r)).collect(),
            _ => Vec::new(),
        };
        for (token, resource) in entries {
            self.resource(scope, resource, file, format!("{base}/resources/{token}"), None)?;
        }
        Ok(())
    }

    /// One resource object with its copies, condition and nested children.
    fn resource(
        &mut self,
        scope: &Scope,
        resource: &Value,
        file: usize,
        pointer: String,
        parent: Option<&Parent>,
    ) -> Result<(), TemplateError> {
        let Some(fields) = resource.as_object() else {
            return Ok(());
        };
        let mut walker = scope.walker();
        // Each copy: the loop's name and index, and what its existence depends on when the count is unknown.
        let copies: Vec<Option<(String, Value, Option<String>)>> = match fields.get("copy").filter(|c| c.is_object()) {
            None => vec![None],
            Some(copy) => {
                let name = copy.get("name").and_then(Value::as_str).unwrap_or("copy").to_owned();
                let count = copy
                    .get("count")
                    .map_or_else(String::new, |c| c.as_str().map_or(c.to_string(), arm_expr::canonical));
                match walker.count(copy.get("count"), &name, &format!("{pointer}/copy")) {
                    Ok(indices) if indices.iter().all(Value::is_i64) => {
                        indices.into_iter().map(|i| Some((name.clone(), i, None))).collect()
                    }
                    Ok(indices) => indices
                        .into_iter()
                        .map(|i| Some((name.clone(), i, Some(format!("copy '{name}' count {count}")))))
                        .collect(),
                    Err(reason) => {
                        let index = arm_expr::unknown(format!("copyIndex('{name}')"));
                        vec![Some((name.clone(), index, Some(format!("copy '{name}': {reason}"))))]
                    }
                }
            }
        };
        for copy in copies {
            let mut condition = None;
            if let Some((name, index, unknown_count)) = copy {
                walker.loops = vec![(name, index)];
                condition = unknown_count;
            }
            match self.condition(&mut walker, fields.get("condition"), &pointer) {
                Some(false) => continue,
                Some(true) => {}
                None => {
                    let text = fields["condition"]
                        .as_str()
                        .map_or_else(|| fields["condition"].to_string(), arm_expr::canonical);
                    condition = Some(match condition {
                        Some(count) => format!("{text} and {count}"),
                        None => text,
                    });
                }
            }
            self.instance(scope, &mut walker, fields, file, &pointer, parent, condition)?;
        }
        Ok(())
    }

    /// `Some(exists)`, or `None` when the condition is unknown (the resource is kept and marked).
    fn condition(&mut self, walker: &mut Walker, condition: Option<&Value>, pointer: &str) -> Option<bool> {
        match condition {
            None => Some(true),
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => walker.string(s, &format!("{pointer}/condition")).as_bool(),
            Some(_) => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn instance(
        &mut self,
        scope: &Scope,
        walker: &mut Walker,
        fields: &Map<String, Value>,
        file: usize,
        pointer: &str,
        parent: Option<&Parent>,
        condition: Option<String>,
    ) -> Result<(), TemplateError> {
        walker.invalid.clear();
        let resource_type = string_field(walker, fields, "type", pointer).and_then(|t| full_type(parent, t));
        let name = string_field(walker, fields, "name", pointer);
        let name = match &resource_type {
            Ok(t) => name.and_then(|n| full_name(parent, t, n)),
            Err(_) => name,
        };
        if resource_type
            .as_ref()
            .is_ok_and(|t| t.eq_ignore_ascii_case("Microsoft.Resources/deployments"))
        {
            self.check(walker, file)?;
            return self.deployment(scope, walker, fields, file, pointer, name);
        }
        let id = match (&resource_type, &name) {
            (Ok(t), Ok(n)) => arm_expr::resource_id(&scope.deployment, t, &n.split('/').collect::<Vec<_>>()),
            (Err(reason), _) | (_, Err(reason)) => Err(reason.clone()),
        };
        let mut value = Map::new();
        for (key, field) in fields {
            let resolved = match key.as_str() {
                "dependsOn" | "resources" | "id" | "copy" | "condition" => continue,
                "type" => settled(&resource_type, field),
                "name" => settled(&name, field),
                _ => {
                    let walked = walker.value(field, &mut format!("{pointer}/{}", escape_token(key)));
                    settle(walked, key)
                }
            };
            value.insert(key.clone(), resolved);
        }
        self.check(walker, file)?;
        let id = match id {
            Ok(id) => Value::String(id),
            // An unresolved name already carries the expression and reason; repeat it rather than restate it.
            Err(reason) => match (&name, value.get("name")) {
                (Err(_), Some(unresolved_name)) => unresolved_name.clone(),
                _ => unresolved(fields.get("name").cloned().unwrap_or(Value::Null), reason),
            },
        };
        value.insert("id".to_owned(), id);
        if let Some(text) = &condition {
            value.insert(CONDITION.to_owned(), Value::String(text.clone()));
        }
        self.out.resources.push(TemplateResource {
            file,
            pointer: pointer.to_owned(),
            value: Value::Object(value),
        });
        let children = fields.get("resources").and_then(Value::as_array);
        let parent = Parent { resource_type, name };
        for (i, child) in children.into_iter().flatten().enumerate() {
            self.resource(scope, child, file, format!("{pointer}/resources/{i}"), Some(&parent))?;
        }
        Ok(())
    }

    fn not_evaluated(&mut self, file: usize, pointer: &str, reason: String) {
        let pointer = pointer.to_owned();
        self.out.unevaluated.push(Unevaluated { file, pointer, reason });
    }

    /// Invalid syntax in a field the rules read rejects the file.
    fn check(&self, walker: &mut Walker, file: usize) -> Result<(), TemplateError> {
        match walker.invalid.drain(..).find(|(p, _)| is_read_field(p)) {
            Some((pointer, source)) => Err(TemplateError { file, pointer, source }),
            None => Ok(()),
        }
    }
}

/// Evaluates `fields[key]` to a string (an unknown is its `{...}` text); the error is why it is not one.
fn string_field(walker: &mut Walker, fields: &Map<String, Value>, key: &str, pointer: &str) -> Result<String, String> {
    let Some(raw) = fields.get(key).and_then(Value::as_str) else {
        return Err(format!("resource has no string '{key}'"));
    };
    let value = walker.string(raw, &format!("{pointer}/{key}"));
    if let Some(text) = arm_expr::symbolic_text(&value) {
        return Ok(text.into_owned());
    }
    match value {
        Value::String(s) => Ok(s),
        v => Err(marker_reason(&v).unwrap_or_else(|| format!("'{key}' evaluates to a non-string {v}"))),
    }
}

/// The output for `type` or `name`: the full resolved string, or the file's value marked unresolved.
fn settled(result: &Result<String, String>, raw: &Value) -> Value {
    match result {
        Ok(s) => Value::String(s.clone()),
        Err(reason) => unresolved(raw.clone(), reason.clone()),
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

/// Evaluates `s` in the top-level scope of `template` (for the evaluator's tests).
#[cfg(test)]
pub(crate) fn evaluate_in(template: &Value, s: &str) -> Result<arm_expr::Evaluated, ExprError> {
    let deployment = Deployment {
        subscription: SUBSCRIPTION_PLACEHOLDER.to_owned(),
        group: RESOURCE_GROUP_PLACEHOLDER.to_owned(),
        name: "azuredeploy".to_owned(),
    };
    let scope = Scope::new(template, BTreeMap::new(), deployment);
    arm_expr::evaluate(s, &scope.walker())
}
