//! Evaluator for the small subset of ARM template expressions that `az group export` writes.
//!
//! Exported templates refer to names and resources through expressions such as
//! `[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnet'), 'sub')]`. The rules need the
//! resulting IDs to link NICs, subnets and NSGs, so strings are parsed into a small syntax tree and evaluated
//! (matching with regexes would silently mis-handle nesting and quote escapes). Anything outside the supported
//! subset becomes [`Evaluated::Unresolved`] with a reason: a compliance linter must report "not evaluated" rather
//! than guess a value. Only malformed syntax is an error, because it means the file is not a valid template.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Literal text standing for the subscription in computed IDs: an export does not say which subscription it
/// came from, and consumers compare IDs from the same file, so a fixed placeholder keeps them comparable.
pub const SUBSCRIPTION_PLACEHOLDER: &str = "{subscriptionId}";
/// Literal text standing for the resource group in computed IDs (see [`SUBSCRIPTION_PLACEHOLDER`]).
pub const RESOURCE_GROUP_PLACEHOLDER: &str = "{resourceGroup}";

/// Bounds call nesting so that hostile input cannot overflow the stack of the recursive parser.
const MAX_NESTING: usize = 64;
/// Bounds chains of `parameters()`/`variables()` references for the same reason.
const MAX_REFERENCE_DEPTH: usize = 64;
/// Bounds `concat()` results: variables that concatenate each other twice over would otherwise double in
/// length at every level. Real exports stay far below this.
const MAX_STRING_LEN: usize = 64 * 1024;

/// The parts of a template that expressions can read: `parameters` (through their `defaultValue`, since an
/// export is scanned without a parameter file) and `variables`.
pub struct EvalContext<'a> {
    parameters: Option<&'a Map<String, Value>>,
    variables: Option<&'a Map<String, Value>>,
}

impl<'a> EvalContext<'a> {
    /// Takes the `parameters` and `variables` objects of `template`; missing sections are simply empty.
    pub fn new(template: &'a Value) -> Self {
        Self {
            parameters: template.get("parameters").and_then(Value::as_object),
            variables: template.get("variables").and_then(Value::as_object),
        }
    }
}

/// Result of evaluating one template string.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluated {
    /// The value the expression stands for (the string itself for plain literals).
    Value(Value),
    /// The expression is well formed but cannot be evaluated offline; the text says why.
    Unresolved(String),
}

/// A template string that starts like an expression but is not valid expression syntax.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid template expression at offset {offset}: {message}")]
pub struct ExprError {
    /// Byte offset inside the evaluated string (the leading `[` is offset 0).
    pub offset: usize,
    pub message: String,
}

/// Whether `s` is an expression in ARM's sense: bracketed, and not escaped with a leading `[[`.
pub fn is_expression(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[")
}

/// Evaluates one template string. Plain strings come back unchanged, except that the `[[` escape loses its
/// first bracket (`"[[x]"` is the literal `"[x]"`).
pub fn evaluate(s: &str, ctx: &EvalContext) -> Result<Evaluated, ExprError> {
    if !is_expression(s) {
        return Ok(Evaluated::Value(Value::String(unescape_literal(s).to_owned())));
    }
    let expr = parse(s)?;
    let mut evaluator = Evaluator {
        ctx,
        stack: Vec::new(),
        memo: HashMap::new(),
    };
    Ok(match evaluator.eval(&expr) {
        Ok(value) => Evaluated::Value(value),
        Err(reason) => Evaluated::Unresolved(reason),
    })
}

/// Builds the ID of a resource in the exported group from its full type and one name per type segment.
/// The error is the reason the ID cannot be built.
pub(crate) fn resource_id(resource_type: &str, names: &[&str]) -> Result<String, String> {
    build_id(
        SUBSCRIPTION_PLACEHOLDER,
        RESOURCE_GROUP_PLACEHOLDER,
        resource_type,
        names,
    )
}

fn unescape_literal(s: &str) -> &str {
    if s.starts_with("[[") && s.ends_with(']') {
        &s[1..]
    } else {
        s
    }
}

fn build_id(sub: &str, group: &str, resource_type: &str, names: &[&str]) -> Result<String, String> {
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
    if sub.is_empty() || group.is_empty() {
        return Err("empty subscription or resource group name".to_owned());
    }
    let mut id = format!("/subscriptions/{sub}/resourceGroups/{group}/providers/{namespace}");
    for (t, n) in types.iter().zip(names) {
        id.push('/');
        id.push_str(t);
        id.push('/');
        id.push_str(n);
    }
    Ok(id)
}

/// Syntax tree of one expression.
#[derive(Debug)]
enum Expr {
    Str(String),
    Int(i64),
    /// Function name and arguments.
    Call(String, Vec<Expr>),
    /// `.prop` or `[index]` after a value (its source text): parsed so the syntax is checked, never evaluated.
    Access(String),
}

fn parse(s: &str) -> Result<Expr, ExprError> {
    let mut parser = Parser {
        src: s,
        pos: 1,
        end: s.len() - 1,
        depth: 0,
    };
    let expr = parser.expression()?;
    parser.skip_ws();
    match parser.peek() {
        None => Ok(expr),
        Some(_) => Err(parser.unexpected()),
    }
}

fn syntax(offset: usize, message: impl Into<String>) -> ExprError {
    let message = message.into();
    ExprError { offset, message }
}

/// Recursive-descent parser over the text between the outer brackets. `pos` only ever stops on ASCII
/// bytes or at the end, so slicing `src` at it is always on a character boundary.
struct Parser<'s> {
    src: &'s str,
    pos: usize,
    end: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.src.as_bytes()[self.pos])
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn unexpected(&self) -> ExprError {
        match self.src[self.pos..self.end].chars().next() {
            Some(c) => syntax(self.pos, format!("unexpected character '{c}'")),
            None => syntax(self.pos, "unexpected end of expression"),
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(syntax(self.pos, "expression nested too deeply"));
        }
        Ok(())
    }

    fn expression(&mut self) -> Result<Expr, ExprError> {
        self.skip_ws();
        let start = self.pos;
        let base = match self.peek() {
            Some(b'\'') => Expr::Str(self.string()?),
            Some(b) if b == b'-' || b.is_ascii_digit() => Expr::Int(self.integer()?),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.call()?,
            _ => return Err(self.unexpected()),
        };
        self.postfix(base, start)
    }

    fn string(&mut self) -> Result<String, ExprError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src.as_bytes()[self.pos..self.end];
            let Some(q) = rest.iter().position(|&b| b == b'\'').map(|i| self.pos + i) else {
                return Err(syntax(open, "unterminated string literal"));
            };
            out.push_str(&self.src[self.pos..q]);
            self.pos = q + 1;
            if self.peek() == Some(b'\'') {
                out.push('\'');
                self.pos += 1;
            } else {
                return Ok(out);
            }
        }
    }

    fn integer(&mut self) -> Result<i64, ExprError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits {
            return Err(syntax(digits, "expected digits after '-'"));
        }
        self.src[start..self.pos]
            .parse()
            .map_err(|_| syntax(start, "integer literal out of range"))
    }

    fn identifier(&mut self) -> &str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    fn call(&mut self) -> Result<Expr, ExprError> {
        let name = self.identifier().to_owned();
        self.skip_ws();
        if self.peek() != Some(b'(') {
            return Err(syntax(self.pos, format!("expected '(' after '{name}'")));
        }
        self.pos += 1;
        self.enter()?;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
        } else {
            loop {
                args.push(self.expression()?);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    None => return Err(syntax(self.pos, format!("missing ')' for '{name}('"))),
                    Some(_) => return Err(self.unexpected()),
                }
            }
        }
        self.depth -= 1;
        Ok(Expr::Call(name, args))
    }

    fn postfix(&mut self, base: Expr, start: usize) -> Result<Expr, ExprError> {
        let mut accessed = false;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    if !self.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
                        return Err(syntax(self.pos, "expected a property name after '.'"));
                    }
                    self.identifier();
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.enter()?;
                    self.expression()?;
                    self.skip_ws();
                    if self.peek() != Some(b']') {
                        return Err(syntax(self.pos, "missing ']' after index"));
                    }
                    self.pos += 1;
                    self.depth -= 1;
                }
                _ => break,
            }
            accessed = true;
        }
        Ok(if accessed {
            Expr::Access(self.src[start..self.pos].to_owned())
        } else {
            base
        })
    }
}

/// Evaluation state for one top-level string; the error side of every `Result` is an unresolved reason.
struct Evaluator<'c, 'a> {
    ctx: &'c EvalContext<'a>,
    /// `parameters`/`variables` entries being evaluated, to detect reference cycles.
    stack: Vec<String>,
    /// Entries already evaluated successfully, so shared references are evaluated once, not once per path.
    memo: HashMap<String, Value>,
}

impl Evaluator<'_, '_> {
    fn eval(&mut self, expr: &Expr) -> Result<Value, String> {
        match expr {
            Expr::Str(s) => Ok(Value::String(s.clone())),
            Expr::Int(i) => Ok(Value::from(*i)),
            Expr::Access(text) => Err(format!("property access is not supported: {text}")),
            Expr::Call(name, args) => self.call(name, args),
        }
    }

    fn call(&mut self, name: &str, args: &[Expr]) -> Result<Value, String> {
        let lower = name.to_ascii_lowercase();
        if !matches!(lower.as_str(), "parameters" | "variables" | "concat" | "resourceid") {
            return Err(format!("function '{name}' is not supported"));
        }
        let values = args.iter().map(|a| self.eval(a)).collect::<Result<Vec<_>, _>>()?;
        match lower.as_str() {
            "parameters" => self.reference(true, &values),
            "variables" => self.reference(false, &values),
            "concat" => concat(&values),
            _ => resource_id_call(&values),
        }
    }

    /// `parameters('p')` (its `defaultValue`) when `parameter`, else `variables('v')`.
    fn reference(&mut self, parameter: bool, args: &[Value]) -> Result<Value, String> {
        let (noun, map) = if parameter {
            ("parameter", self.ctx.parameters)
        } else {
            ("variable", self.ctx.variables)
        };
        let [Value::String(name)] = args else {
            return Err(format!("{noun} reference needs one string argument"));
        };
        let Some((key, entry)) = map.and_then(|m| lookup(m, name)) else {
            return Err(format!("{noun} '{name}' is not defined"));
        };
        let raw = match entry.get("defaultValue") {
            _ if !parameter => entry,
            Some(default) => default,
            None => return Err(format!("parameter '{name}' has no defaultValue")),
        };
        let frame = format!("{noun}:{key}");
        if let Some(done) = self.memo.get(&frame) {
            return Ok(done.clone());
        }
        if self.stack.contains(&frame) {
            return Err(format!("circular reference through {noun} '{name}'"));
        }
        if self.stack.len() >= MAX_REFERENCE_DEPTH {
            return Err("parameter and variable references nested too deeply".to_owned());
        }
        self.stack.push(frame.clone());
        let resolved = self.resolve(raw);
        self.stack.pop();
        let resolved = resolved?;
        self.memo.insert(frame, resolved.clone());
        Ok(resolved)
    }

    /// Evaluates a parameter default or variable value. Arrays and objects are taken whole only when they
    /// hold no expression: evaluating inside them could duplicate values exponentially through references,
    /// and without property access nothing here needs their insides.
    fn resolve(&mut self, value: &Value) -> Result<Value, String> {
        match value {
            Value::String(s) if is_expression(s) => {
                let expr = parse(s).map_err(|e| format!("{s:?} is not valid: {e}"))?;
                self.eval(&expr)
            }
            Value::String(s) => Ok(Value::String(unescape_literal(s).to_owned())),
            other if holds_expression(other) => {
                Err("expressions inside array or object values are not evaluated".to_owned())
            }
            other => Ok(other.clone()),
        }
    }
}

/// Whether any string inside `value` starts with `[` (an expression, or an escaped literal needing unescaping).
fn holds_expression(value: &Value) -> bool {
    match value {
        Value::String(s) => s.starts_with('['),
        Value::Array(items) => items.iter().any(holds_expression),
        Value::Object(map) => map.values().any(holds_expression),
        _ => false,
    }
}

/// ARM names of parameters and variables are case-insensitive; an exact match wins.
fn lookup<'m>(map: &'m Map<String, Value>, name: &str) -> Option<(&'m str, &'m Value)> {
    map.get_key_value(name)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .map(|(k, v)| (k.as_str(), v))
}

fn concat(values: &[Value]) -> Result<Value, String> {
    if values.is_empty() {
        return Err("concat() needs at least one argument".to_owned());
    }
    let mut out = String::new();
    for value in values {
        match value {
            Value::String(s) => out.push_str(s),
            other => return Err(format!("concat() of a non-string value {other}")),
        }
        if out.len() > MAX_STRING_LEN {
            return Err(format!("concat() result longer than {MAX_STRING_LEN} bytes"));
        }
    }
    Ok(Value::String(out))
}

/// `resourceId([subscriptionId,] [resourceGroupName,] type, name...)`: the type is the first argument with a
/// `/`, since subscription IDs and group names never contain one.
fn resource_id_call(values: &[Value]) -> Result<Value, String> {
    let args = values
        .iter()
        .map(|v| v.as_str())
        .collect::<Option<Vec<&str>>>()
        .ok_or("resourceId() arguments must be strings")?;
    let type_at = args
        .iter()
        .position(|a| a.contains('/'))
        .ok_or("resourceId() has no resource type argument")?;
    let (scope, rest) = args.split_at(type_at);
    let (sub, group) = match scope {
        [] => (SUBSCRIPTION_PLACEHOLDER, RESOURCE_GROUP_PLACEHOLDER),
        [group] => (SUBSCRIPTION_PLACEHOLDER, *group),
        [sub, group] => (*sub, *group),
        _ => return Err("resourceId() has too many arguments before the resource type".to_owned()),
    };
    build_id(sub, group, rest[0], &rest[1..]).map(Value::String)
}

#[cfg(test)]
mod tests;
