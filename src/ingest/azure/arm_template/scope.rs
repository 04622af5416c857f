//! What expressions in one template (or one inner-scope nested template) can read: its parameters (with the
//! values supplied by parameter files or the parent deployment), its variables (evaluated once, on demand),
//! and the copy loops being expanded; and the walk that evaluates every string of a JSON value, expanding
//! `copy` arrays of properties and variables.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::super::arm_expr::{self, Context, Deployment, Evaluated, ExprError};
use crate::locate::escape_token;

/// Bounds chains of `parameters()`/`variables()` references, so that a cycle or a hostile chain stops.
const MAX_REFERENCE_DEPTH: usize = 64;
/// Azure Resource Manager refuses more copies than this in one loop.
pub const MAX_COPIES: i64 = 800;

/// A parameter value given from outside the template.
#[derive(Debug, Clone)]
pub enum Supplied {
    /// A `value` from a parameter file (a literal) or from a parent deployment (already evaluated).
    Value(Value),
    /// A Key Vault `reference`: the secret's name, never its value.
    KeyVault(String),
}

pub struct Scope<'t> {
    parameters: Option<&'t Map<String, Value>>,
    variables: Option<&'t Map<String, Value>>,
    supplied: BTreeMap<String, Supplied>,
    pub deployment: Deployment,
    memo: RefCell<HashMap<String, Result<Value, String>>>,
    stack: RefCell<Vec<String>>,
}

/// ARM names of parameters and variables are case-insensitive; an exact match wins.
fn lookup<'m>(map: Option<&'m Map<String, Value>>, name: &str) -> Option<(&'m str, &'m Value)> {
    let map = map?;
    map.get_key_value(name)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .map(|(k, v)| (k.as_str(), v))
}

/// A `securestring`/`secureObject` parameter: its value must never reach any output, so it stays symbolic.
fn is_secure(declaration: &Value) -> bool {
    let t = declaration.get("type").and_then(Value::as_str).unwrap_or("");
    t.eq_ignore_ascii_case("securestring") || t.eq_ignore_ascii_case("secureobject")
}

impl<'t> Scope<'t> {
    /// `supplied` is keyed by lower-cased parameter name.
    pub fn new(template: &'t Value, supplied: BTreeMap<String, Supplied>, deployment: Deployment) -> Self {
        Self {
            parameters: template.get("parameters").and_then(Value::as_object),
            variables: template.get("variables").and_then(Value::as_object),
            supplied,
            deployment,
            memo: RefCell::default(),
            stack: RefCell::default(),
        }
    }

    /// A walker with no copy loop.
    pub fn walker(&self) -> Walker<'_, 't> {
        Walker {
            scope: self,
            loops: Vec::new(),
            invalid: Vec::new(),
        }
    }

    fn parameter(&self, name: &str) -> Result<Value, String> {
        let Some((key, declaration)) = lookup(self.parameters, name) else {
            return Err(format!("parameter '{name}' is not defined"));
        };
        let symbolic = || arm_expr::unknown(format!("parameters('{key}')"));
        if is_secure(declaration) {
            return Ok(symbolic());
        }
        match self.supplied.get(&key.to_ascii_lowercase()) {
            Some(Supplied::Value(v)) => return Ok(v.clone()),
            Some(Supplied::KeyVault(secret)) => {
                return Ok(arm_expr::unknown(format!("reference(keyVault, '{secret}')")));
            }
            None => {}
        }
        match declaration.get("defaultValue") {
            Some(default) => self.memoized(format!("parameter:{key}"), default, &format!("/parameters/{key}")),
            None => Ok(symbolic()),
        }
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        if let Some((key, value)) = lookup(self.variables, name).filter(|(k, _)| *k != "copy") {
            return self.memoized(format!("variable:{key}"), value, &format!("/variables/{key}"));
        }
        // `variables.copy` declares array variables: `[{"name", "count", "input"}]`.
        let loops = self.variables.and_then(|v| v.get("copy")).and_then(Value::as_array);
        let entry = loops.into_iter().flatten().find(|e| {
            e.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        let Some(entry) = entry else {
            return Err(format!("variable '{name}' is not defined"));
        };
        let mut walker = self.walker();
        let frame = format!("variable:{name}");
        self.enter(&frame)?;
        let result = walker.copy_array(entry, &mut String::from("/variables/copy"));
        self.stack.borrow_mut().pop();
        result
    }

    fn enter(&self, frame: &str) -> Result<(), String> {
        let mut stack = self.stack.borrow_mut();
        if stack.iter().any(|f| f == frame) {
            return Err(format!("circular reference through {}", frame.replace(':', " '") + "'"));
        }
        if stack.len() >= MAX_REFERENCE_DEPTH {
            return Err("parameter and variable references nested too deeply".to_owned());
        }
        stack.push(frame.to_owned());
        Ok(())
    }

    /// Evaluates a parameter default or a variable once; shared references reuse the result.
    fn memoized(&self, frame: String, raw: &Value, pointer: &str) -> Result<Value, String> {
        if let Some(done) = self.memo.borrow().get(&frame) {
            return done.clone();
        }
        self.enter(&frame)?;
        let mut walker = self.walker();
        let value = walker.value(raw, &mut pointer.to_owned());
        self.stack.borrow_mut().pop();
        // Invalid strings deep inside stay marked where they are; only a wholly unresolved value is an error.
        let result = match super::marker_reason(&value) {
            Some(reason) => Err(reason),
            None => Ok(value),
        };
        self.memo.borrow_mut().insert(frame, result.clone());
        result
    }
}

/// Evaluates the strings of JSON values inside the copy loops being expanded; remembers the strings that are
/// not valid expression syntax, by JSON pointer.
pub struct Walker<'s, 't> {
    scope: &'s Scope<'t>,
    /// Loop name and current index (an integer, or a symbolic value when the count is unknown).
    pub loops: Vec<(String, Value)>,
    pub invalid: Vec<(String, ExprError)>,
}

impl Context for Walker<'_, '_> {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        self.scope.parameter(name)
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        self.scope.variable(name)
    }

    fn copy_index(&self, name: Option<&str>) -> Result<Value, String> {
        let found = match name {
            // Unnamed, `copyIndex()` means the resource's own loop: the outermost.
            None => self.loops.first(),
            Some(n) => self.loops.iter().rev().find(|(l, _)| l.eq_ignore_ascii_case(n)),
        };
        found.map(|(_, i)| i.clone()).ok_or_else(|| {
            format!(
                "copyIndex({}) outside its copy loop",
                name.map(|n| format!("'{n}'")).unwrap_or_default()
            )
        })
    }

    fn deployment(&self) -> &Deployment {
        &self.scope.deployment
    }
}

impl Walker<'_, '_> {
    /// Evaluates one string; invalid syntax is remembered at `path` and kept, marked unresolved.
    pub fn string(&mut self, s: &str, path: &str) -> Value {
        match arm_expr::evaluate(s, self) {
            Ok(Evaluated::Value(v)) => v,
            Ok(Evaluated::Unresolved(reason)) => super::unresolved(Value::String(arm_expr::canonical(s)), reason),
            Err(e) => {
                let marker = super::unresolved(Value::String(s.to_owned()), e.to_string());
                self.invalid.push((path.to_owned(), e));
                marker
            }
        }
    }

    /// Copies `value` with every string evaluated and every property `copy` array expanded; `path` is its
    /// pointer in the file.
    pub fn value(&mut self, value: &Value, path: &mut String) -> Value {
        match value {
            Value::String(s) => self.string(s, path),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.at(path, &i.to_string(), |w, p| w.value(item, p)))
                    .collect(),
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    match item {
                        Value::Array(loops) if key == "copy" => {
                            for (i, entry) in loops.iter().enumerate() {
                                let name = entry.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
                                let made = self.at(path, &format!("copy/{i}"), |w, p| w.copy_array(entry, p));
                                out.insert(
                                    name,
                                    made.unwrap_or_else(|reason| super::unresolved(entry.clone(), reason)),
                                );
                            }
                        }
                        _ => {
                            let v = self.at(path, &escape_token(key), |w, p| w.value(item, p));
                            out.insert(key.clone(), v);
                        }
                    }
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    fn at<T>(&mut self, path: &mut String, token: &str, f: impl FnOnce(&mut Self, &mut String) -> T) -> T {
        let len = path.len();
        path.push('/');
        path.push_str(token);
        let out = f(self, path);
        path.truncate(len);
        out
    }

    /// `{"name", "count", "input"}` into the array of `count` inputs, each with `copyIndex(name)` set. An
    /// unknown count gives one element with a symbolic index: what the template says is judged, not dropped.
    pub fn copy_array(&mut self, entry: &Value, path: &mut String) -> Result<Value, String> {
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .ok_or("copy has no name")?
            .to_owned();
        let input = entry
            .get("input")
            .ok_or_else(|| format!("copy '{name}' has no input"))?;
        let indices = self.count(entry.get("count"), &name, path)?;
        let mut out = Vec::with_capacity(indices.len());
        for index in indices {
            self.loops.push((name.clone(), index));
            out.push(self.at(path, "input", |w, p| w.value(input, p)));
            self.loops.pop();
        }
        Ok(Value::Array(out))
    }

    /// The indices of a copy loop from its `count`: `0..count`, or one symbolic index when it is unknown.
    pub fn count(&mut self, count: Option<&Value>, name: &str, path: &str) -> Result<Vec<Value>, String> {
        let count = match count {
            Some(Value::String(s)) => self.string(s, &format!("{path}/count")),
            Some(v) => v.clone(),
            None => return Err(format!("copy '{name}' has no count")),
        };
        match count.as_i64() {
            Some(n) if (0..=MAX_COPIES).contains(&n) => Ok((0..n).map(Value::from).collect()),
            Some(n) => Err(format!("copy '{name}' count {n} is outside 0..{MAX_COPIES}")),
            None if arm_expr::is_symbolic(&count) => Ok(vec![arm_expr::unknown(format!("copyIndex('{name}')"))]),
            None => Err(format!("copy '{name}' count {count} is not an integer")),
        }
    }
}
