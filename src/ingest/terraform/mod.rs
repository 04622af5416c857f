//! Terraform plan and state JSON (`terraform show -json tfplan`, `terraform show -json` of a state): the
//! azurerm resources of one side of the change (`resource_changes[].change.after`, or `before` for
//! `--new-only`) or of the state (`values.root_module` and its child modules), read into the model's typed
//! items. Values Terraform knows only after apply are joined through the `configuration` references
//! (`refs`); what stays unknown is kept as unresolved, so that the rules say "not evaluated". Sensitive
//! values are never read: their byte spans become the source's secrets, which no output prints.

mod read;
mod refs;

use serde_json::{json, Map, Value};

use super::azure::Staged;
use super::Side;
use crate::error::InputError;
use crate::source::{join_pointer, Source};

/// What `terraform show -json` printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plan,
    State,
}

/// A Terraform JSON document: a `format_version` beside plan or state members.
pub fn is_terraform(v: &Value) -> bool {
    v.get("format_version").is_some()
        && ["resource_changes", "planned_values", "values", "terraform_version"]
            .iter()
            .any(|k| v.get(k).is_some())
}

/// What one Terraform file declares.
pub struct Read {
    pub kind: Kind,
    pub staged: Vec<Staged>,
    /// JSON pointers of the values Terraform marks sensitive, anywhere in the file (both sides).
    pub secrets: Vec<String>,
    pub warnings: Vec<String>,
}

/// Read a plan or state. `side` picks the state of a plan that is read; a state reads the same on both.
pub fn read(doc: &Value, source: &Source, side: Side) -> Result<Read, InputError> {
    check_version(doc, source)?;
    let kind = match doc.get("resource_changes").is_some() || doc.get("planned_values").is_some() {
        true => Kind::Plan,
        false => Kind::State,
    };
    let instances = match kind {
        Kind::Plan => plan_instances(doc, side),
        Kind::State => {
            let mut out = Vec::new();
            if let Some(root) = doc.pointer("/values/root_module") {
                state_instances(root, "/values/root_module", &mut out);
            }
            out
        }
    };
    let config = refs::Config::new(doc.pointer("/configuration/root_module"));
    let (staged, warnings) = read::stage(source, &config, instances);
    Ok(Read {
        kind,
        staged,
        secrets: secret_pointers(doc),
        warnings,
    })
}

/// `format_version` 0.1/0.2 (Terraform 0.12–1.0) and 1.x are read; a major of 2 or more is refused.
fn check_version(doc: &Value, source: &Source) -> Result<(), InputError> {
    let at = |m: String| source.error_at_pointer("/format_version", m);
    let Some(version) = doc.get("format_version").and_then(Value::as_str) else {
        return Err(at("format_version is not a string".into()));
    };
    let major = version.split('.').next().and_then(|m| m.trim().parse::<u64>().ok());
    match major {
        Some(0 | 1) => Ok(()),
        Some(_) => Err(at(format!(
            "Terraform JSON format_version {version} is not supported (rdsaudit reads 0.x and 1.x)"
        ))),
        None => Err(at(format!("invalid format_version '{version}'"))),
    }
}

/// One resource instance of the side that is read, with its values as the rules may see them: unknown and
/// sensitive values replaced by unresolved markers (see [`overlay`]).
pub struct Instance {
    /// `module.m["k"].azurerm_subnet.s[0]`.
    pub address: String,
    /// The module instance the resource is in (`module.m["k"]`), empty for the root module.
    pub module: String,
    pub rtype: String,
    pub name: String,
    /// `count` index or `for_each` key.
    pub index: Option<Value>,
    pub values: Value,
    /// JSON pointer of `values` in the file.
    pub pointer: String,
    /// Whether Terraform leaves some of it unknown until apply (a plan's `after`).
    pub planned: bool,
}

impl Instance {
    /// The address without its instance key: what configuration references name.
    pub fn base(&self) -> String {
        match self.module.is_empty() {
            true => format!("{}.{}", self.rtype, self.name),
            false => format!("{}.{}.{}", self.module, self.rtype, self.name),
        }
    }
}

fn is_azurerm(r: &Value) -> bool {
    r.get("mode").and_then(Value::as_str).unwrap_or("managed") == "managed"
        && r.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with("azurerm_"))
}

fn instance(r: &Value, values: Value, pointer: String, module: &str, planned: bool) -> Option<Instance> {
    Some(Instance {
        address: r.get("address")?.as_str()?.to_string(),
        module: module.to_string(),
        rtype: r.get("type")?.as_str()?.to_string(),
        name: r.get("name")?.as_str()?.to_string(),
        index: r.get("index").cloned(),
        values,
        pointer,
        planned,
    })
}

/// The resource changes of a plan, on `side`: a resource the change creates does not exist before it, one
/// it deletes does not exist after it.
fn plan_instances(doc: &Value, side: Side) -> Vec<Instance> {
    let Some(changes) = doc.get("resource_changes").and_then(Value::as_array) else {
        return Vec::new();
    };
    let (state, unknown, sensitive) = match side {
        Side::After => ("after", Some("after_unknown"), "after_sensitive"),
        Side::Before => ("before", None, "before_sensitive"),
    };
    let mut out = Vec::new();
    for (i, rc) in changes.iter().enumerate().filter(|(_, r)| is_azurerm(r)) {
        let Some(change) = rc.get("change") else { continue };
        let actions: Vec<&str> = change
            .get("actions")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(values) = change.get(state).filter(|v| v.is_object()) else {
            continue;
        };
        if side == Side::After && actions == ["delete"] {
            continue;
        }
        let values = overlay(values, unknown.and_then(|u| change.get(u)), change.get(sensitive));
        let module = rc.get("module_address").and_then(Value::as_str).unwrap_or("");
        let pointer = format!("/resource_changes/{i}/change/{state}");
        out.extend(instance(rc, values, pointer, module, side == Side::After));
    }
    out
}

/// The resources of a state module and its child modules, at any depth.
fn state_instances(module: &Value, pointer: &str, out: &mut Vec<Instance>) {
    let address = module.get("address").and_then(Value::as_str).unwrap_or("");
    if let Some(resources) = module.get("resources").and_then(Value::as_array) {
        for (i, r) in resources.iter().enumerate().filter(|(_, r)| is_azurerm(r)) {
            let Some(values) = r.get("values").filter(|v| v.is_object()) else {
                continue;
            };
            let values = overlay(values, None, r.get("sensitive_values"));
            out.extend(instance(
                r,
                values,
                format!("{pointer}/resources/{i}/values"),
                address,
                false,
            ));
        }
    }
    if let Some(children) = module.get("child_modules").and_then(Value::as_array) {
        for (i, child) in children.iter().enumerate() {
            state_instances(child, &format!("{pointer}/child_modules/{i}"), out);
        }
    }
}

/// The marker of a value the rules must not decide on, in the shape the template evaluator uses.
pub fn marker(expression: &str, reason: &str) -> Value {
    json!({ "$unresolved": expression, "reason": reason })
}

pub const UNKNOWN: &str = "(known after apply)";
pub const UNKNOWN_REASON: &str = "Terraform knows it only after apply";
const SENSITIVE: &str = "(sensitive value)";
const SENSITIVE_REASON: &str = "Terraform marks it sensitive";

/// `value` with every part `unknown` marks `true` (Terraform's `after_unknown`) or `sensitive` marks `true`
/// replaced by an unresolved marker; unknown members absent from `value` are added as markers. A sensitive
/// value is never copied.
fn overlay(value: &Value, unknown: Option<&Value>, sensitive: Option<&Value>) -> Value {
    if sensitive == Some(&Value::Bool(true)) {
        return marker(SENSITIVE, SENSITIVE_REASON);
    }
    if unknown == Some(&Value::Bool(true)) {
        return marker(UNKNOWN, UNKNOWN_REASON);
    }
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            let extra = unknown.and_then(Value::as_object).into_iter().flatten();
            let keys = map.keys().chain(extra.map(|(k, _)| k));
            for k in keys {
                if out.contains_key(k) {
                    continue;
                }
                let v = map.get(k).unwrap_or(&Value::Null);
                let child = overlay(v, unknown.and_then(|u| u.get(k)), sensitive.and_then(|s| s.get(k)));
                out.insert(k.clone(), child);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let len = unknown.and_then(Value::as_array).map_or(0, Vec::len).max(items.len());
            (0..len)
                .map(|i| {
                    let v = items.get(i).unwrap_or(&Value::Null);
                    overlay(v, unknown.and_then(|u| u.get(i)), sensitive.and_then(|s| s.get(i)))
                })
                .collect()
        }
        other => other.clone(),
    }
}

/// The pointers of every value the file marks sensitive: resource changes (both sides), planned values,
/// prior state and state values, output changes and outputs, root variables declared sensitive, and
/// constant configuration values of attributes marked sensitive.
fn secret_pointers(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut sensitive_attrs: Vec<(String, String)> = Vec::new();
    if let Some(changes) = doc.get("resource_changes").and_then(Value::as_array) {
        for (i, rc) in changes.iter().enumerate() {
            for side in ["before", "after"] {
                let Some(mask) = rc.pointer(&format!("/change/{side}_sensitive")) else {
                    continue;
                };
                let base = format!("/resource_changes/{i}/change/{side}");
                mask_pointers(mask, &base, &mut out);
                let rtype = rc.get("type").and_then(Value::as_str).unwrap_or("");
                for (k, v) in mask.as_object().into_iter().flatten() {
                    if *v != Value::Bool(false) && !is_empty_mask(v) {
                        sensitive_attrs.push((rtype.to_string(), k.clone()));
                    }
                }
            }
        }
    }
    for base in ["/planned_values", "/prior_state/values", "/values"] {
        if let Some(root) = doc.pointer(&format!("{base}/root_module")) {
            module_secrets(root, &format!("{base}/root_module"), &mut out);
        }
        if let Some(outputs) = doc.pointer(&format!("{base}/outputs")).and_then(Value::as_object) {
            for (name, o) in outputs {
                if o.get("sensitive") == Some(&Value::Bool(true)) {
                    out.push(join_pointer(&join_pointer(&format!("{base}/outputs"), name), "value"));
                }
            }
        }
    }
    if let Some(outputs) = doc.get("output_changes").and_then(Value::as_object) {
        for (name, o) in outputs {
            let base = join_pointer("/output_changes", name);
            for side in ["before", "after"] {
                if let Some(mask) = o.get(format!("{side}_sensitive")) {
                    mask_pointers(mask, &join_pointer(&base, side), &mut out);
                }
            }
        }
    }
    let config = doc.pointer("/configuration/root_module");
    if let Some(vars) = config.and_then(|c| c.get("variables")).and_then(Value::as_object) {
        for (name, v) in vars {
            if v.get("sensitive") == Some(&Value::Bool(true)) {
                out.push(join_pointer(&join_pointer("/variables", name), "value"));
                out.push(join_pointer(
                    &join_pointer("/configuration/root_module/variables", name),
                    "default",
                ));
            }
        }
    }
    if let Some(root) = config {
        config_secrets(root, "/configuration/root_module", &sensitive_attrs, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn is_empty_mask(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.values().all(is_empty_mask),
        Value::Array(a) => a.iter().all(is_empty_mask),
        Value::Bool(b) => !b,
        _ => true,
    }
}

/// The elements of the array member `key` of `v`, with their index; none when it is absent.
fn indexed<'v>(v: &'v Value, key: &str) -> impl Iterator<Item = (usize, &'v Value)> {
    v.get(key).and_then(Value::as_array).into_iter().flatten().enumerate()
}

fn module_secrets(module: &Value, pointer: &str, out: &mut Vec<String>) {
    for (i, r) in indexed(module, "resources") {
        if let Some(mask) = r.get("sensitive_values") {
            mask_pointers(mask, &format!("{pointer}/resources/{i}/values"), out);
        }
    }
    for (i, child) in indexed(module, "child_modules") {
        module_secrets(child, &format!("{pointer}/child_modules/{i}"), out);
    }
}

/// Constant values written in the configuration for attributes Terraform marks sensitive, and module
/// call arguments (a secret passed into a module), at any depth.
fn config_secrets(module: &Value, pointer: &str, attrs: &[(String, String)], out: &mut Vec<String>) {
    for (i, r) in indexed(module, "resources") {
        let rtype = r.get("type").and_then(Value::as_str).unwrap_or("");
        for (_, attr) in attrs.iter().filter(|(t, _)| t == rtype) {
            if r.pointer(&format!("/expressions/{attr}")).is_some() {
                out.push(join_pointer(&format!("{pointer}/resources/{i}/expressions"), attr));
            }
        }
    }
    for (name, call) in module
        .get("module_calls")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let base = join_pointer(&format!("{pointer}/module_calls"), name);
        if let Some(child) = call.get("module") {
            // A sensitive variable of the child module: its argument in the call is a secret too.
            for (var, v) in child.get("variables").and_then(Value::as_object).into_iter().flatten() {
                if v.get("sensitive") == Some(&Value::Bool(true)) {
                    out.push(join_pointer(&join_pointer(&base, "expressions"), var));
                }
            }
            config_secrets(child, &join_pointer(&base, "module"), attrs, out);
        }
    }
}

/// Every place `mask` marks `true`, as a pointer below `base`.
fn mask_pointers(mask: &Value, base: &str, out: &mut Vec<String>) {
    match mask {
        Value::Bool(true) => out.push(base.to_string()),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| mask_pointers(v, &join_pointer(base, k), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| mask_pointers(v, &format!("{base}/{i}"), out)),
        _ => {}
    }
}
