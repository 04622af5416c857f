//! Nested deployments (`Microsoft.Resources/deployments`): an inline `properties.template` in the parent's
//! scope (`outer`, the default) or its own (`inner`, with parameters passed from the parent), and linked
//! templates read from `templateLink.relativePath` beside the file; any other link is reported as not
//! evaluated.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::scope::{Scope, Supplied, Walker};
use super::{Expander, TemplateError, MAX_DEPLOYMENT_DEPTH};
use crate::ingest::azure::arm_expr::{self, Deployment};
use crate::locate::escape_token;

impl Expander<'_> {
    pub(super) fn deployment(
        &mut self,
        scope: &Scope,
        walker: &mut Walker,
        fields: &Map<String, Value>,
        file: usize,
        pointer: &str,
        name: Result<String, String>,
    ) -> Result<(), TemplateError> {
        let props = fields.get("properties").cloned().unwrap_or_default();
        let props_at = format!("{pointer}/properties");
        if self.depth >= MAX_DEPLOYMENT_DEPTH {
            let reason = format!("nested deployments deeper than {MAX_DEPLOYMENT_DEPTH}");
            self.not_evaluated(file, pointer, reason);
            return Ok(());
        }
        let inner_scope = props
            .pointer("/expressionEvaluationOptions/scope")
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let (template, template_file, template_at) = match (props.get("template"), props.get("templateLink")) {
            (Some(template), _) if !inner_scope => {
                // Outer scope: the nested template's expressions read the parent's parameters and variables.
                self.depth += 1;
                let result = self.template(scope, template, file, &format!("{props_at}/template"));
                self.depth -= 1;
                return result;
            }
            (Some(template), _) => (template.clone(), file, format!("{props_at}/template")),
            (None, Some(link)) => match self.linked(walker, link, file, &props_at) {
                Ok((linked, template)) => (template, linked, String::new()),
                Err(reason) => {
                    self.not_evaluated(file, pointer, reason);
                    return Ok(());
                }
            },
            (None, None) => return Ok(()),
        };
        let mut supplied = BTreeMap::new();
        let given = props.get("parameters").and_then(Value::as_object);
        for (key, entry) in given.into_iter().flatten() {
            let at = format!("{props_at}/parameters/{}/value", escape_token(key));
            let value = match (entry.get("value"), entry.pointer("/reference/secretName")) {
                (Some(v), _) => Supplied::Value(walker.value(v, &mut at.clone())),
                (None, Some(secret)) => Supplied::KeyVault(secret.as_str().unwrap_or("?").to_owned()),
                (None, None) => continue,
            };
            supplied.insert(key.to_ascii_lowercase(), value);
        }
        if props.get("parametersLink").is_some() {
            let reason = "its parametersLink is not read: parameters without a default stay unknown".to_owned();
            self.not_evaluated(file, pointer, reason);
        }
        // A deployment to another resource group or subscription: the IDs of its resources say so.
        let mut text = |key: &str, default: &str| -> String {
            let Some(v) = fields.get(key) else {
                return default.to_owned();
            };
            let value = walker.value(v, &mut format!("{pointer}/{key}"));
            match arm_expr::symbolic_text(&value) {
                Some(t) => t.into_owned(),
                None => value.as_str().unwrap_or(default).to_owned(),
            }
        };
        let deployment = Deployment {
            subscription: text("subscriptionId", &scope.deployment.subscription),
            group: text("resourceGroup", &scope.deployment.group),
            name: name.unwrap_or_else(|reason| format!("{{{reason}}}")),
        };
        let inner = Scope::new(&template, supplied, deployment);
        self.depth += 1;
        let result = self.template(&inner, &template, template_file, &template_at);
        self.depth -= 1;
        result
    }

    /// The template a `templateLink` names, when it is a `relativePath` to a file that is present.
    fn linked(&mut self, walker: &mut Walker, link: &Value, file: usize, at: &str) -> Result<(usize, Value), String> {
        let relative = link
            .get("relativePath")
            .map(|p| walker.value(p, &mut format!("{at}/templateLink/relativePath")));
        let shown = link.get("uri").or(link.get("relativePath")).and_then(Value::as_str);
        let shown = shown.map_or_else(|| "(no uri)".to_owned(), arm_expr::canonical);
        match relative.as_ref().and_then(Value::as_str) {
            Some(rel) => self
                .files
                .linked(file, rel)
                .map_err(|reason| format!("linked template {shown} not read: {reason}")),
            None => Err(format!(
                "linked template {shown} not read: only templateLink.relativePath files beside the template are"
            )),
        }
    }
}
