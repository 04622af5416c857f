//! Syntax of ARM template expressions: a recursive-descent parser into [`Expr`], and the canonical text of
//! an expression (single spaces, single quotes, documented function spelling) that names what cannot be
//! known before deployment. Parsing is separate from evaluation so that the same tree is evaluated once per
//! copy-loop iteration, and so that syntax errors carry the byte offset of the offending character.

use std::fmt::{self, Write};

/// Bounds nesting so that hostile input cannot overflow the stack of the recursive parser.
const MAX_NESTING: usize = 64;

/// A template string that starts like an expression but is not valid expression syntax.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid template expression at offset {offset}: {message}")]
pub struct ExprError {
    /// Byte offset inside the evaluated string (the leading `[` is offset 0).
    pub offset: usize,
    pub message: String,
}

/// Syntax tree of one expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(String),
    Int(i64),
    /// Function name as written, and arguments.
    Call(String, Vec<Expr>),
    /// `value.name`
    Member(Box<Expr>, String),
    /// `value[index]`
    Index(Box<Expr>, Box<Expr>),
}

/// Parses the text of `s` between its outer brackets; a string that is not a bracketed expression is an
/// error (found by fuzzing: the empty string used to underflow the end offset).
pub fn parse(s: &str) -> Result<Expr, ExprError> {
    if !super::is_expression(s) {
        return Err(syntax(0, "not an expression: expected text between [ and ]"));
    }
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
        let base = match self.peek() {
            Some(b'\'') => Expr::Str(self.string()?),
            Some(b) if b == b'-' || b.is_ascii_digit() => Expr::Int(self.integer()?),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.call()?,
            _ => return Err(self.unexpected()),
        };
        self.postfix(base)
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
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    fn call(&mut self) -> Result<Expr, ExprError> {
        let mut name = self.identifier().to_owned();
        // User-defined functions are called as `namespace.name(...)`; a bare identifier is never a value.
        if self.peek() == Some(b'.') {
            self.pos += 1;
            name.push('.');
            name.push_str(self.identifier());
        }
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

    fn postfix(&mut self, mut base: Expr) -> Result<Expr, ExprError> {
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    if !self.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
                        return Err(syntax(self.pos, "expected a property name after '.'"));
                    }
                    let name = self.identifier().to_owned();
                    base = Expr::Member(Box::new(base), name);
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.enter()?;
                    let index = self.expression()?;
                    self.skip_ws();
                    if self.peek() != Some(b']') {
                        return Err(syntax(self.pos, "missing ']' after index"));
                    }
                    self.pos += 1;
                    self.depth -= 1;
                    base = Expr::Index(Box::new(base), Box::new(index));
                }
                _ => return Ok(base),
            }
        }
    }
}

/// Documented spellings of the functions whose calls can appear in canonical text, so that `uniquestring(x)`
/// and `uniqueString( x )` name the same unknown.
const SPELLINGS: &[&str] = &[
    "parameters",
    "variables",
    "uniqueString",
    "guid",
    "newGuid",
    "utcNow",
    "reference",
    "resourceGroup",
    "subscription",
    "deployment",
    "copyIndex",
    "resourceId",
    "concat",
    "format",
    "toLower",
    "toUpper",
    "listKeys",
    "environment",
    "tenant",
    "managementGroup",
    "pickZones",
];

/// The documented spelling of a function name, else the name as written.
pub fn spelling(name: &str) -> &str {
    SPELLINGS
        .iter()
        .find(|s| s.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or(name)
}

impl Expr {
    /// Writes the canonical text; `subst` may replace a sub-expression by other text (the evaluator puts a
    /// loop's current index in place of `copyIndex()`, so that each copy names a different unknown).
    pub fn write_canonical(&self, out: &mut String, subst: &dyn Fn(&Expr) -> Option<String>) {
        if let Some(text) = subst(self) {
            out.push_str(&text);
            return;
        }
        match self {
            Expr::Str(s) => {
                let _ = write!(out, "'{}'", s.replace('\'', "''"));
            }
            Expr::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Expr::Call(name, args) => {
                out.push_str(spelling(name));
                out.push('(');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    arg.write_canonical(out, subst);
                }
                out.push(')');
            }
            Expr::Member(base, name) => {
                base.write_canonical(out, subst);
                out.push('.');
                out.push_str(name);
            }
            Expr::Index(base, index) => {
                base.write_canonical(out, subst);
                out.push('[');
                index.write_canonical(out, subst);
                out.push(']');
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_canonical(&mut out, &|_| None);
        f.write_str(&out)
    }
}
