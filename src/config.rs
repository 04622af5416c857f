//! `rdsaudit.toml`: rule selection, severity overrides, roles by host name, suppressions and gate
//! defaults. Unknown keys and bad values are input errors pointing at the line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::InputError;
use crate::finding::Severity;
use crate::model::RoleSet;
use crate::rules::find;
use crate::source::Source;

pub const DEFAULT_FILE: &str = "rdsaudit.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    select: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
    min_score: Option<Spanned<u32>>,
    #[serde(default)]
    allow_empty: bool,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    roles: BTreeMap<String, Spanned<Vec<String>>>,
    #[serde(default)]
    suppressions: Vec<Spanned<RawSuppression>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    rule: Spanned<String>,
    subject: String,
    reason: Spanned<String>,
    expires: Option<Spanned<toml::value::Datetime>>,
}

/// The gate threshold: a severity, or `none` to never fail on findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<Self> {
        if s.trim().eq_ignore_ascii_case("none") {
            return Some(FailOn::Never);
        }
        Severity::parse(s).map(FailOn::Severity)
    }
}

#[derive(Debug, Clone)]
pub struct ConfigSuppression {
    pub rule: &'static str,
    /// A subject (ID or host name), compared case-insensitively; `*` matches any run of characters.
    pub subject: String,
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Rule IDs to run; empty means all.
    pub select: Vec<&'static str>,
    pub ignore: Vec<&'static str>,
    pub fail_on: Option<FailOn>,
    pub min_score: Option<u32>,
    /// The default of `--allow-empty`: accept inputs that hold no resource and no host evidence.
    pub allow_empty: bool,
    pub severity: BTreeMap<&'static str, Severity>,
    /// Roles by upper-cased host name.
    pub roles: BTreeMap<String, RoleSet>,
    pub suppressions: Vec<ConfigSuppression>,
}

impl Config {
    /// `--config PATH`, else `rdsaudit.toml` in the current directory when present, else defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<Self, InputError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => DEFAULT_FILE.into(),
            None => return Ok(Config::default()),
        };
        let source = Source::load(&path, true)?;
        Self::parse(&source)
    }

    pub fn parse(source: &Source) -> Result<Self, InputError> {
        let raw: RawConfig = toml::from_str(&source.text).map_err(|e| {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            source.error_at(at, e.message().trim().to_string())
        })?;
        let err = |span: std::ops::Range<usize>, msg: String| source.error_at(span.start, msg);
        let rule = |s: &Spanned<String>| {
            find(s.get_ref())
                .map(|r| r.meta().id)
                .ok_or_else(|| err(s.span(), format!("unknown rule '{}'", s.get_ref())))
        };
        let mut cfg = Config {
            select: raw.select.iter().map(rule).collect::<Result<_, _>>()?,
            ignore: raw.ignore.iter().map(rule).collect::<Result<_, _>>()?,
            min_score: raw.min_score.as_ref().map(|m| *m.get_ref()),
            allow_empty: raw.allow_empty,
            ..Config::default()
        };
        if let Some(m) = &raw.min_score {
            if *m.get_ref() > 100 {
                return Err(err(m.span(), "min-score must be between 0 and 100".into()));
            }
        }
        if let Some(f) = &raw.fail_on {
            cfg.fail_on = Some(FailOn::parse(f.get_ref()).ok_or_else(|| {
                err(
                    f.span(),
                    format!(
                        "invalid fail-on '{}': expected critical, high, medium, low, info or none",
                        f.get_ref()
                    ),
                )
            })?);
        }
        for (id, sev) in &raw.severity {
            let sev_value = Severity::parse(sev.get_ref())
                .ok_or_else(|| err(sev.span(), format!("invalid severity '{}'", sev.get_ref())))?;
            cfg.severity.insert(rule(id)?, sev_value);
        }
        for (host, roles) in &raw.roles {
            let set = RoleSet::parse_list(&roles.get_ref().join(","))
                .map_err(|bad| err(roles.span(), format!("unknown role '{bad}'")))?;
            cfg.roles.insert(host.to_uppercase(), set);
        }
        for s in &raw.suppressions {
            let s_ref = s.get_ref();
            if s_ref.reason.get_ref().trim().is_empty() {
                return Err(err(s_ref.reason.span(), "a suppression needs a reason".into()));
            }
            let expires = match &s_ref.expires {
                Some(d) => match d.get_ref().date {
                    Some(date) if d.get_ref().time.is_none() => Some(date.to_string()),
                    _ => return Err(err(d.span(), "expires must be a date (YYYY-MM-DD)".into())),
                },
                None => None,
            };
            cfg.suppressions.push(ConfigSuppression {
                rule: rule(&s_ref.rule)?,
                subject: s_ref.subject.clone(),
                reason: s_ref.reason.get_ref().clone(),
                expires,
            });
        }
        Ok(cfg)
    }

    pub fn is_selected(&self, id: &str) -> bool {
        (self.select.is_empty() || self.select.contains(&id)) && !self.ignore.contains(&id)
    }
}

/// Case-insensitive match with `*` wildcards.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_ascii_lowercase(), text.to_ascii_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !t.starts_with(first) || !t[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &t[first.len()..t.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, InputError> {
        Config::parse(&Source::from_text("rdsaudit.toml", text.to_string()))
    }

    #[test]
    fn reads_every_section() {
        let c = parse(
            "select = [\"RDS001\", \"rds003\"]\nignore = [\"RDS003\"]\nfail-on = \"medium\"\nmin-score = 80\nallow-empty = true\n\
             [severity]\nRDS001 = \"low\"\n[roles]\nrdgvm01 = [\"gateway\", \"nps\"]\n\
             [[suppressions]]\nrule = \"RDS002\"\nsubject = \"*/virtualMachines/RDGVM01\"\nreason = \"break-glass\"\nexpires = 2027-01-31\n",
        )
        .unwrap();
        assert_eq!(c.select, ["RDS001", "RDS003"]);
        assert!(c.is_selected("RDS001") && !c.is_selected("RDS003") && !c.is_selected("RDS002"));
        assert_eq!(c.fail_on, Some(FailOn::Severity(Severity::Medium)));
        assert!(c.allow_empty && !parse("").unwrap().allow_empty);
        assert_eq!(c.severity.get("RDS001"), Some(&Severity::Low));
        assert!(c.roles["RDGVM01"].contains(crate::model::Role::Nps));
        assert_eq!(c.suppressions[0].expires.as_deref(), Some("2027-01-31"));
    }

    #[test]
    fn errors_point_at_the_line() {
        let e = parse("select = []\nunknown-key = 1\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e = parse("\n\nignore = [\"RDS999\"]\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("RDS999"));
        let e = parse("[[suppressions]]\nrule = \"RDS001\"\nsubject = \"x\"\nreason = \"  \"\n").unwrap_err();
        assert_eq!(e.line, Some(4));
        let e = parse("[[suppressions]]\nrule = \"RDS001\"\nsubject = \"x\"\n").unwrap_err();
        assert!(e.message.contains("reason"), "{}", e.message);
        assert_eq!(parse("fail-on = \"severe\"\n").unwrap_err().line, Some(1));
    }

    #[test]
    fn globs() {
        assert!(glob_match(
            "*/virtualMachines/RDG*",
            "/subscriptions/s/x/virtualmachines/rdgvm01"
        ));
        assert!(glob_match("RDGVM01", "rdgvm01"));
        assert!(!glob_match("RDGVM01", "rdgvm011"));
        assert!(glob_match("a*b*c", "axxbyyc") && !glob_match("a*b*c", "axxcyyb"));
    }
}
