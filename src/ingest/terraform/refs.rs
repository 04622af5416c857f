//! Joining values Terraform knows only after apply through the plan's `configuration`: each attribute's
//! expression lists the `references` it reads (`["azurerm_public_ip.pip.id", "azurerm_public_ip.pip"]`,
//! `count.index` / `each.key` as elements of their own), a module input is `var.x` inside the module with
//! the caller's expression in `module_calls`, another module's output `module.m.out`. A reference names a
//! resource instance only when the plan makes it unambiguous.

use std::collections::HashMap;

use serde_json::Value;

use super::Instance;

/// The instances of the side that is read, by address without instance key.
#[derive(Default)]
pub struct Targets {
    by_base: HashMap<String, Vec<(String, Option<Value>, String)>>,
}

impl Targets {
    pub fn new(instances: &[Instance]) -> Self {
        let mut by_base: HashMap<String, Vec<_>> = HashMap::new();
        for i in instances {
            by_base
                .entry(i.base())
                .or_default()
                .push((i.address.clone(), i.index.clone(), i.rtype.clone()));
        }
        Self { by_base }
    }
}

/// What a reference resolved to: the addresses of the instances it names, or the expression that stays
/// unknown.
pub enum Resolved {
    Found(Vec<String>),
    Unknown(String),
}

pub struct Config<'a> {
    root: Option<&'a Value>,
}

/// A module of the configuration and the address of its instance (`module.a["k"].module.b`).
#[derive(Clone)]
struct Scope<'a> {
    module: &'a Value,
    address: String,
    /// The module call names from the root, and the instance key of each call (`None` without one).
    path: Vec<(String, Option<String>)>,
}

/// References followed through module inputs and outputs before giving up (a loop guard).
const MAX_DEPTH: usize = 16;

impl<'a> Config<'a> {
    pub fn new(root: Option<&'a Value>) -> Self {
        Self { root }
    }

    /// Whether the configuration of `inst` writes `attr` (an inline block or an argument).
    pub fn writes(&self, inst: &Instance, attr: &str) -> Option<bool> {
        let scope = self.scope(&inst.module)?;
        let resource = resource(scope.module, &inst.rtype, &inst.name)?;
        Some(resource.pointer(&format!("/expressions/{attr}")).is_some())
    }

    /// The instances the expression of `inst` at `path` (attribute names and block indexes) references,
    /// of one of the `wanted` types.
    pub fn resolve(&self, inst: &Instance, path: &[&str], wanted: &[&str], targets: &Targets) -> Resolved {
        let scope = self.scope(&inst.module);
        let expression = scope.as_ref().and_then(|s| {
            let r = resource(s.module, &inst.rtype, &inst.name)?;
            descend(r.get("expressions")?, path)
        });
        let (Some(scope), Some(expression)) = (scope, expression) else {
            return Resolved::Unknown(super::UNKNOWN.to_string());
        };
        let refs = references(expression);
        let text = match refs.is_empty() {
            true => super::UNKNOWN.to_string(),
            false => refs.join(", "),
        };
        let found = self.follow(&scope, &refs, inst.index.as_ref(), wanted, targets, 0);
        match found {
            Some(found) if !found.is_empty() => Resolved::Found(found),
            _ => Resolved::Unknown(text),
        }
    }

    /// The module instance at `address` (`module.a["k"].module.b`, empty for the root).
    fn scope(&self, address: &str) -> Option<Scope<'a>> {
        let mut scope = Scope {
            module: self.root?,
            address: String::new(),
            path: Vec::new(),
        };
        for (name, key) in module_path(address) {
            scope = self.child(&scope, &name, key)?;
        }
        Some(scope)
    }

    fn child(&self, scope: &Scope<'a>, name: &str, key: Option<String>) -> Option<Scope<'a>> {
        let module = scope.module.get("module_calls")?.get(name)?.get("module")?;
        let segment = match &key {
            Some(k) => format!("module.{name}[{k}]"),
            None => format!("module.{name}"),
        };
        let mut path = scope.path.clone();
        path.push((name.to_string(), key));
        Some(Scope {
            module,
            address: join(&scope.address, &segment),
            path,
        })
    }

    fn parent(&self, scope: &Scope<'a>) -> Option<Scope<'a>> {
        let mut parent = self.scope("")?;
        for (name, key) in &scope.path[..scope.path.len().checked_sub(1)?] {
            parent = self.child(&parent, name, key.clone())?;
        }
        Some(parent)
    }

    /// The instances `refs` (one expression's references, read in `scope`) name.
    fn follow(
        &self,
        scope: &Scope<'a>,
        refs: &[String],
        index: Option<&Value>,
        wanted: &[&str],
        targets: &Targets,
        depth: usize,
    ) -> Option<Vec<String>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let per_instance = refs
            .iter()
            .any(|r| r == "each.key" || r == "count.index" || r.starts_with("each.value"));
        let mut found: Vec<String> = Vec::new();
        for r in refs {
            let parts = split_reference(r);
            let hits = match parts.first().map(|(n, _)| n.as_str()) {
                Some("var") if !scope.path.is_empty() => {
                    let Some((var, _)) = parts.get(1) else { continue };
                    let (call, key) = scope.path.last()?;
                    let parent = self.parent(scope)?;
                    let expr = parent
                        .module
                        .get("module_calls")?
                        .get(call)?
                        .get("expressions")?
                        .get(var);
                    let Some(expr) = expr else { continue };
                    let key = key.as_deref().map(parse_key);
                    self.follow(&parent, &references(expr), key.as_ref(), wanted, targets, depth + 1)
                }
                Some("module") => {
                    let (Some((call, key)), Some((output, _))) = (parts.get(1), parts.get(2)) else {
                        continue;
                    };
                    let Some(child) = self.child(scope, call, key.clone()) else {
                        continue;
                    };
                    let expr = child.module.get("outputs")?.get(output)?.get("expression");
                    let Some(expr) = expr else { continue };
                    self.follow(&child, &references(expr), None, wanted, targets, depth + 1)
                }
                Some(t) if t.starts_with("azurerm_") && (wanted.is_empty() || wanted.contains(&t)) => {
                    let Some((name, key)) = parts.get(1) else { continue };
                    let base = join(&scope.address, &format!("{t}.{name}"));
                    let candidates = targets.by_base.get(&base)?;
                    let hit = match key {
                        Some(k) => {
                            let address = format!("{base}[{k}]");
                            candidates.iter().find(|c| c.0 == address)
                        }
                        None if candidates.len() == 1 => candidates.first(),
                        None if per_instance => index.and_then(|i| candidates.iter().find(|c| c.1.as_ref() == Some(i))),
                        // Several instances and nothing says which: ambiguous.
                        None => return None,
                    };
                    hit.map(|c| vec![c.0.clone()])
                }
                _ => continue,
            };
            for h in hits.into_iter().flatten() {
                if !found.contains(&h) {
                    found.push(h);
                }
            }
        }
        Some(found)
    }
}

fn resource<'a>(module: &'a Value, rtype: &str, name: &str) -> Option<&'a Value> {
    module.get("resources")?.as_array()?.iter().find(|r| {
        r.get("mode").and_then(Value::as_str).unwrap_or("managed") == "managed"
            && r.get("type").and_then(Value::as_str) == Some(rtype)
            && r.get("name").and_then(Value::as_str) == Some(name)
    })
}

/// The expression at `path` below a resource's `expressions`: nested blocks are arrays of expression objects;
/// a block written once in the configuration (or as a `dynamic` block) stands for every instance of it.
fn descend<'a>(mut v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    for seg in path {
        v = match v {
            Value::Array(items) => {
                let i: usize = seg.parse().ok()?;
                items.get(i).or_else(|| (items.len() == 1).then(|| &items[0]))?
            }
            Value::Object(_) => v.get(*seg)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The `references` of an expression (and of the expressions nested in it).
fn references(expr: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(refs)) = m.get("references") {
                    out.extend(refs.iter().filter_map(Value::as_str).map(str::to_string));
                }
                m.iter()
                    .filter(|(k, _)| *k != "references")
                    .for_each(|(_, v)| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(expr, &mut out);
    out
}

/// `azurerm_x.n["k"].id` -> `[("azurerm_x", None), ("n", Some("\"k\"")), ("id", None)]`: each name with
/// the instance key written after it.
fn split_reference(r: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut chars = r.chars().peekable();
    let mut name = String::new();
    while let Some(c) = chars.next() {
        match c {
            '.' => out.push((std::mem::take(&mut name), None)),
            '[' => {
                let key = bracket(&mut chars);
                out.push((std::mem::take(&mut name), Some(key)));
                if chars.peek() == Some(&'.') {
                    chars.next();
                }
            }
            c => name.push(c),
        }
    }
    if !name.is_empty() {
        out.push((name, None));
    }
    out
}

/// The text up to the closing `]`, quoted keys kept as written (`"k"`, escapes included).
fn bracket(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut key = String::new();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                key.push(c);
                if let Some(n) = chars.next() {
                    key.push(n);
                }
                continue;
            }
            ']' if !quoted => break,
            _ => {}
        }
        key.push(c);
    }
    key
}

/// `module.a["k"].module.b` -> `[("a", Some("\"k\"")), ("b", None)]`.
fn module_path(address: &str) -> Vec<(String, Option<String>)> {
    let parts = split_reference(address);
    parts
        .chunks(2)
        .filter(|c| c.len() == 2 && c[0].0 == "module")
        .map(|c| (c[1].0.clone(), c[1].1.clone()))
        .collect()
}

/// An instance key as the plan's `index` holds it: a number, or a JSON string.
fn parse_key(k: &str) -> Value {
    serde_json::from_str(k).unwrap_or_else(|_| Value::String(k.to_string()))
}

fn join(prefix: &str, rest: &str) -> String {
    match prefix.is_empty() {
        true => rest.to_string(),
        false => format!("{prefix}.{rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_names_and_keys() {
        assert_eq!(
            split_reference(r#"azurerm_x.n["a.b]"].id"#),
            [
                ("azurerm_x".to_string(), None),
                ("n".to_string(), Some(r#""a.b]""#.to_string())),
                ("id".to_string(), None)
            ]
        );
        assert_eq!(
            module_path(r#"module.a["k"].module.b"#),
            [("a".to_string(), Some(r#""k""#.to_string())), ("b".to_string(), None)]
        );
        assert_eq!(parse_key("0"), Value::from(0));
        assert_eq!(parse_key(r#""k""#), Value::from("k"));
    }
}
