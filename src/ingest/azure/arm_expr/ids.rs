//! Resource IDs and the deployment's scope as template functions see them: `resourceId()` and its siblings,
//! `resourceGroup()`, `subscription()`, `deployment()`.

use serde_json::Value;

use super::functions::texts;
use super::Deployment;

/// A scope name as functions see it: the placeholders (`{resourceGroup}`) are unknown values whose text is the
/// placeholder itself, so that `take(resourceGroup().name, 3)` stays unknown while IDs concatenated by hand
/// (`concat('/subscriptions/', subscription().subscriptionId, ...)`) equal those `resourceId()` builds.
fn scope_name(name: &str) -> Value {
    match name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
        Some(placeholder) => super::unknown(placeholder),
        None => Value::String(name.to_owned()),
    }
}

/// A text that may hold placeholders: partial when it does.
fn scope_text(text: String) -> Value {
    if text.contains('{') {
        super::partial(text)
    } else {
        Value::String(text)
    }
}

pub fn resource_group(d: &Deployment) -> Value {
    let location = super::unknown("resourceGroup().location");
    serde_json::json!({
        "id": scope_text(group_scope(&d.subscription, &d.group)),
        "name": scope_name(&d.group),
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
    })
}

pub fn subscription(d: &Deployment) -> Value {
    serde_json::json!({
        "id": scope_text(format!("/subscriptions/{}", d.subscription)),
        "subscriptionId": scope_name(&d.subscription),
        "tenantId": super::unknown("subscription().tenantId"),
        "displayName": super::unknown("subscription().displayName"),
    })
}

pub fn deployment(d: &Deployment) -> Value {
    serde_json::json!({ "name": d.name })
}

pub fn group_scope(subscription: &str, group: &str) -> String {
    format!("/subscriptions/{subscription}/resourceGroups/{group}")
}

/// `resourceId([subscriptionId,] [resourceGroupName,] type, name...)`: the type is the first argument with a
/// `/`, since subscription IDs and group names never contain one.
pub fn resource_id_call(a: &[Value], d: &Deployment) -> Result<String, String> {
    let args = texts(a, 0)?;
    let type_at = args
        .iter()
        .position(|a| a.contains('/'))
        .ok_or("resourceId() has no resource type argument")?;
    let (scope, rest) = args.split_at(type_at);
    let scope = match scope {
        [] => group_scope(&d.subscription, &d.group),
        [group] => group_scope(&d.subscription, group),
        [sub, group] => group_scope(sub, group),
        _ => return Err("resourceId() has too many arguments before the resource type".to_owned()),
    };
    build_id(&scope, rest[0], &rest[1..])
}

pub fn subscription_resource_id(a: &[Value], d: &Deployment) -> Result<String, String> {
    let args = texts(a, 0)?;
    let type_at = args
        .iter()
        .position(|a| a.contains('/'))
        .ok_or("subscriptionResourceId() has no type")?;
    let sub = match &args[..type_at] {
        [] => d.subscription.as_str(),
        [sub] => sub,
        _ => return Err("subscriptionResourceId() has too many arguments before the type".to_owned()),
    };
    build_id(&format!("/subscriptions/{sub}"), args[type_at], &args[type_at + 1..])
}

/// `<scope>/providers/<namespace>/<type>/<name>[/<type>/<name>...]`; the error says why it cannot be built.
pub fn build_id(scope: &str, resource_type: &str, names: &[&str]) -> Result<String, String> {
    let invalid_type = || format!("invalid resource type '{resource_type}'");
    let (namespace, types) = resource_type.split_once('/').ok_or_else(invalid_type)?;
    let types: Vec<&str> = types.split('/').collect();
    if namespace.is_empty() || types.iter().any(|t| t.is_empty()) {
        return Err(invalid_type());
    }
    if names.len() != types.len() {
        return Err(format!(
            "resource type '{resource_type}' needs {} name(s), got {}",
            types.len(),
            names.len()
        ));
    }
    if let Some(bad) = names.iter().find(|n| n.is_empty() || n.contains('/')) {
        return Err(format!("invalid resource name '{bad}'"));
    }
    if scope.split('/').skip(1).any(str::is_empty) {
        return Err("empty subscription or resource group name".to_owned());
    }
    let mut id = format!("{scope}/providers/{namespace}");
    for (t, n) in types.iter().zip(names) {
        id.push('/');
        id.push_str(t);
        id.push('/');
        id.push_str(n);
    }
    Ok(id)
}
