//! Evaluator of ARM template expressions, as Azure Resource Manager evaluates them (the ARM template
//! function reference is the contract).
//!
//! Templates refer to names and resources through expressions such as
//! `[resourceId('Microsoft.Network/virtualNetworks/subnets', variables('vnet').name, 'sub')]`. The rules need
//! the resulting IDs to link NICs, subnets and NSGs, so strings are parsed ([`parser`]) and evaluated
//! (matching with regexes would silently mis-handle nesting and quote escapes).
//!
//! What cannot be known before deployment (`uniqueString`, `guid`, `reference`, `list*`, `utcNow`, a
//! parameter without a value, an unknown function) evaluates to a *symbolic* value whose canonical
//! expression text stands in for it: `{"$unknown": "uniqueString(resourceGroup().id)"}` for a whole value,
//! `{"$text": "nsg-{uniqueString(resourceGroup().id)}"}` for a string built around one. Two references to the
//! same unknown thus give the same text, so IDs built from it still join, and consumers can name it. A value
//! of the wrong type or an impossible call is [`Evaluated::Unresolved`] with a reason: never a guess. Only
//! malformed syntax is an error.

mod functions;
mod ids;
mod parser;

use std::borrow::Cow;

use serde_json::{Map, Value};

pub use parser::{Expr, ExprError};

/// Literal text standing for the subscription in computed IDs: a template does not say which subscription
/// it is deployed to, and consumers compare IDs from the same file, so a fixed placeholder keeps them
/// comparable.
pub const SUBSCRIPTION_PLACEHOLDER: &str = "{subscriptionId}";
/// Literal text standing for the resource group in computed IDs (see [`SUBSCRIPTION_PLACEHOLDER`]).
pub const RESOURCE_GROUP_PLACEHOLDER: &str = "{resourceGroup}";

/// Key of a value nothing is known of; its text is the canonical expression.
pub const UNKNOWN: &str = "$unknown";
/// Key of a string with unknown parts, each written `{<canonical expression>}`.
pub const PARTIAL: &str = "$text";

/// Bounds string results: variables that concatenate each other twice over would otherwise double in
/// length at every level. Real templates stay far below this.
const MAX_STRING_LEN: usize = 64 * 1024;

/// Where the template is deployed, as far as the scan knows it.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub subscription: String,
    pub group: String,
    /// `deployment().name`.
    pub name: String,
}

/// What expressions read besides their own text: parameters, variables, the copy loops being expanded.
pub trait Context {
    /// `parameters(name)`: its value, a symbolic value, or why it cannot be had.
    fn parameter(&self, name: &str) -> Result<Value, String>;
    /// `variables(name)`, fully evaluated.
    fn variable(&self, name: &str) -> Result<Value, String>;
    /// `copyIndex()` (innermost loop) or `copyIndex(name)`: an integer, or a symbolic value when the loop's
    /// count is unknown.
    fn copy_index(&self, name: Option<&str>) -> Result<Value, String>;
    fn deployment(&self) -> &Deployment;
}

/// Result of evaluating one template string.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluated {
    /// The value the expression stands for (the string itself for plain literals); may hold symbolic parts.
    Value(Value),
    /// The expression is well formed but has no value (a type error, an impossible call); the text says why.
    Unresolved(String),
}

/// Whether `s` is an expression in ARM's sense: bracketed, and not escaped with a leading `[[`.
pub fn is_expression(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[")
}

/// Evaluates one template string. Plain strings come back unchanged, except that the `[[` escape loses its
/// first bracket (`"[[x]"` is the literal `"[x]"`).
pub fn evaluate(s: &str, ctx: &dyn Context) -> Result<Evaluated, ExprError> {
    if !is_expression(s) {
        return Ok(Evaluated::Value(Value::String(unescape_literal(s).to_owned())));
    }
    Ok(evaluate_expr(&parser::parse(s)?, ctx))
}

/// Evaluates an already parsed expression.
pub fn evaluate_expr(expr: &Expr, ctx: &dyn Context) -> Evaluated {
    match (Evaluator { ctx }).eval(expr) {
        Ok(value) => Evaluated::Value(value),
        Err(reason) => Evaluated::Unresolved(reason),
    }
}

/// Parses an expression string (for callers that evaluate it many times).
pub fn parse(s: &str) -> Result<Expr, ExprError> {
    parser::parse(s)
}

/// The canonical text of an expression string: `[ parameters( "x" ) ]`-style spacing and spelling removed.
pub fn canonical(s: &str) -> String {
    match is_expression(s).then(|| parser::parse(s)).and_then(Result::ok) {
        Some(expr) => format!("[{expr}]"),
        None => s.to_owned(),
    }
}

/// Builds the ID of a resource from its full type and one name per type segment; the error is the reason
/// the ID cannot be built.
pub(crate) fn resource_id(deployment: &Deployment, resource_type: &str, names: &[&str]) -> Result<String, String> {
    ids::build_id(
        &ids::group_scope(&deployment.subscription, &deployment.group),
        resource_type,
        names,
    )
}

/// A value nothing is known of, named by its canonical expression text.
pub fn unknown(text: impl Into<String>) -> Value {
    let mut map = Map::new();
    map.insert(UNKNOWN.to_owned(), Value::String(text.into()));
    Value::Object(map)
}

pub(crate) fn partial(text: String) -> Value {
    let mut map = Map::new();
    map.insert(PARTIAL.to_owned(), Value::String(text));
    Value::Object(map)
}

/// The text of a symbolic value: `{expr}` for a whole unknown, the string with its `{...}` parts otherwise.
pub fn symbolic_text(v: &Value) -> Option<Cow<'_, str>> {
    let obj = v.as_object().filter(|o| o.len() == 1)?;
    match obj.iter().next()? {
        (k, Value::String(s)) if k == UNKNOWN => Some(Cow::Owned(format!("{{{s}}}"))),
        (k, Value::String(s)) if k == PARTIAL => Some(Cow::Borrowed(s)),
        _ => None,
    }
}

fn as_unknown(v: &Value) -> Option<&str> {
    v.as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get(UNKNOWN))
        .and_then(Value::as_str)
}

/// Whether `v` is or holds a symbolic value.
pub fn is_symbolic(v: &Value) -> bool {
    match v {
        _ if symbolic_text(v).is_some() => true,
        Value::Array(items) => items.iter().any(is_symbolic),
        Value::Object(map) => map.values().any(is_symbolic),
        _ => false,
    }
}

/// The `[[` escape: `"[[x]"` stands for the literal `"[x]"`.
pub fn unescape_literal(s: &str) -> &str {
    if s.starts_with("[[") && s.ends_with(']') {
        &s[1..]
    } else {
        s
    }
}

/// Evaluation of one expression tree; the error side of every `Result` is an unresolved reason.
struct Evaluator<'c> {
    ctx: &'c dyn Context,
}

impl Evaluator<'_> {
    fn eval(&self, expr: &Expr) -> Result<Value, String> {
        match expr {
            Expr::Str(s) => Ok(Value::String(s.clone())),
            Expr::Int(i) => Ok(Value::from(*i)),
            Expr::Member(base, name) => {
                let base = self.eval(base)?;
                if as_unknown(&base).is_some() {
                    return Ok(self.unknown_of(expr));
                }
                functions::member(&base, name)
            }
            Expr::Index(base, index) => {
                let (base, index) = (self.eval(base)?, self.eval(index)?);
                if as_unknown(&base).is_some() || symbolic_text(&index).is_some() {
                    return Ok(self.unknown_of(expr));
                }
                functions::index(&base, &index)
            }
            Expr::Call(name, args) => self.call(expr, name, args),
        }
    }

    /// A symbolic value named by `expr`'s canonical text, with each known `copyIndex()` replaced by its value.
    fn unknown_of(&self, expr: &Expr) -> Value {
        let mut text = String::new();
        let subst = |e: &Expr| match e {
            Expr::Call(name, args) if name.eq_ignore_ascii_case("copyIndex") => {
                self.copy_index(args).ok().flatten().map(|i| i.to_string())
            }
            _ => None,
        };
        expr.write_canonical(&mut text, &subst);
        unknown(text)
    }

    fn call(&self, expr: &Expr, name: &str, args: &[Expr]) -> Result<Value, String> {
        let lower = name.to_ascii_lowercase();
        // Lazy: only the branch taken is evaluated, as ARM does (the other may be invalid on purpose).
        if lower == "if" {
            let [cond, yes, no] = args else {
                return Err("if() needs 3 arguments".to_owned());
            };
            return match self.eval(cond)? {
                Value::Bool(true) => self.eval(yes),
                Value::Bool(false) => self.eval(no),
                v if is_symbolic(&v) => Ok(self.unknown_of(expr)),
                v => Err(format!("if() condition {v} is not a boolean")),
            };
        }
        if lower == "copyindex" {
            return Ok(match self.copy_index(args)? {
                Some(i) => Value::from(i),
                None => self.unknown_of(expr),
            });
        }
        if functions::is_unknowable(&lower) {
            return Ok(self.unknown_of(expr));
        }
        let values = args.iter().map(|a| self.eval(a)).collect::<Result<Vec<_>, _>>()?;
        let d = self.ctx.deployment();
        match (lower.as_str(), values.as_slice()) {
            ("parameters", [Value::String(n)]) => return self.ctx.parameter(n),
            ("variables", [Value::String(n)]) => return self.ctx.variable(n),
            ("resourcegroup", []) => return Ok(ids::resource_group(d)),
            ("subscription", []) => return Ok(ids::subscription(d)),
            ("deployment", []) => return Ok(ids::deployment(d)),
            _ => {}
        }
        if functions::is_textual(&lower) {
            return self.textual(&lower, &values);
        }
        // A function of an unknown is unknown, except that functions which only move values around carry
        // unknown members through (`createArray(parameters('p'))[0]` is still `{parameters('p')}`).
        let whole = values.iter().any(|v| symbolic_text(v).is_some());
        if whole || values.iter().any(is_symbolic) && !functions::is_structural(&lower) {
            return Ok(self.unknown_of(expr));
        }
        match functions::call(&lower, &values, d)? {
            Some(v) => Ok(v),
            None => Ok(self.unknown_of(expr)),
        }
    }

    /// Functions that build text: symbolic arguments take part as their `{...}` text and make the result
    /// partial, so that `resourceId('...', parameters('nsgName'))` is still an ID to join on.
    fn textual(&self, name: &str, values: &[Value]) -> Result<Value, String> {
        let symbolic = values.iter().any(|v| symbolic_text(v).is_some());
        let texts: Vec<Value> = values
            .iter()
            .map(|v| match symbolic_text(v) {
                Some(t) => Value::String(t.into_owned()),
                None => v.clone(),
            })
            .collect();
        let out = functions::call(name, &texts, self.ctx.deployment())?
            .ok_or_else(|| format!("{name}() is not a text function"))?;
        if out.as_str().is_some_and(|s| s.len() > MAX_STRING_LEN) {
            return Err(format!("{name}() result longer than {MAX_STRING_LEN} bytes"));
        }
        Ok(match out {
            Value::String(s) if symbolic => partial(s),
            other => other,
        })
    }

    /// `copyIndex()`, `copyIndex(offset)`, `copyIndex('loop')`, `copyIndex('loop', offset)`: `None` when the
    /// loop's count, hence its index, is unknown.
    fn copy_index(&self, args: &[Expr]) -> Result<Option<i64>, String> {
        let values = args.iter().map(|a| self.eval(a)).collect::<Result<Vec<_>, _>>()?;
        let (name, offset) = match values.as_slice() {
            [] => (None, None),
            [Value::String(n)] => (Some(n.as_str()), None),
            [offset] => (None, Some(offset)),
            [Value::String(n), offset] => (Some(n.as_str()), Some(offset)),
            _ => return Err("copyIndex() takes a loop name and an offset".to_owned()),
        };
        let offset = match offset {
            None => 0,
            Some(v) => v
                .as_i64()
                .ok_or_else(|| format!("copyIndex() offset {v} is not an integer"))?,
        };
        Ok(self.ctx.copy_index(name)?.as_i64().map(|i| i + offset))
    }
}

#[cfg(test)]
mod tests;
