//! JUnit XML for pipelines that read only test results (Azure DevOps `PublishTestResults`, GitLab, Jenkins):
//! a test suite per rule, a test case per rule and subject. A finding is a failure, a suppressed one or a
//! check that could not run ("not evaluated") is skipped, a rule that found nothing is one passing case.
//! Text from the inputs is shown inert (control characters escaped) and XML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::terminal::inert;
use super::Context;
use crate::finding::{Finding, NotEvaluated, RuleMeta};

/// What one test case holds: the findings and unevaluated checks of one rule on one subject.
#[derive(Default)]
struct Case<'a> {
    subject: &'a str,
    findings: Vec<&'a Finding>,
    not_evaluated: Vec<&'a NotEvaluated>,
}

enum Outcome {
    Passed,
    Failed { message: String, body: String },
    Skipped(String),
}

impl Case<'_> {
    fn outcome(&self) -> Outcome {
        let active: Vec<&&Finding> = self.findings.iter().filter(|f| f.suppression.is_none()).collect();
        if let Some(first) = active.first() {
            let mut body = Vec::new();
            for f in &active {
                body.push(format!("{}: {}", f.severity.as_str(), inert(&f.message)));
                for e in &f.evidence {
                    body.push(format!("  {}: {}", inert(&e.label), inert(&e.value)));
                }
            }
            return Outcome::Failed {
                message: format!("{}: {}", first.severity.as_str(), inert(&first.message)),
                body: body.join("\n"),
            };
        }
        let why: Vec<String> = self
            .findings
            .iter()
            .filter_map(|f| f.suppression.as_ref())
            .map(|s| format!("suppressed: {}", inert(&s.reason)))
            .chain(
                self.not_evaluated
                    .iter()
                    .map(|n| format!("not evaluated: {}", inert(&n.reason))),
            )
            .collect();
        if why.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Skipped(why.join("; "))
        }
    }
}

pub fn render(ctx: &Context<'_>) -> String {
    let suites: Vec<(&RuleMeta, Vec<Case<'_>>)> = ctx.eval.rules.iter().map(|r| (*r, cases(ctx, r))).collect();
    let outcomes: Vec<Vec<Outcome>> = suites
        .iter()
        .map(|(_, cases)| cases.iter().map(Case::outcome).collect())
        .collect();
    let count = |list: &[Outcome], what: fn(&Outcome) -> bool| list.iter().filter(|o| what(o)).count();
    let failed = |o: &Outcome| matches!(o, Outcome::Failed { .. });
    let skipped = |o: &Outcome| matches!(o, Outcome::Skipped(_));
    let all: Vec<&Outcome> = outcomes.iter().flatten().collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"rdsaudit\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        all.len(),
        all.iter().filter(|o| failed(o)).count(),
        all.iter().filter(|o| skipped(o)).count()
    );
    let _ = writeln!(
        out,
        "  <properties>\n    <property name=\"gate\" value=\"{}\"/>\n  </properties>",
        xml(&ctx.gate.verdict())
    );
    for ((rule, cases), outcomes) in suites.iter().zip(&outcomes) {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{} {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            rule.id,
            rule.name,
            cases.len(),
            count(outcomes, failed),
            count(outcomes, skipped)
        );
        for (case, outcome) in cases.iter().zip(outcomes) {
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                rule.id,
                xml(&inert(case.subject))
            );
            match outcome {
                Outcome::Passed => {
                    let _ = writeln!(out, "{open}/>");
                }
                Outcome::Skipped(why) => {
                    let _ = writeln!(
                        out,
                        "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(why)
                    );
                }
                Outcome::Failed { message, body } => {
                    let _ = writeln!(
                        out,
                        "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        xml(message),
                        rule.id,
                        xml(body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The cases of one rule, by subject (compared case-insensitively, as fingerprints do); a rule that judged
/// its inputs and found nothing is one passing case for `(inputs)`.
fn cases<'a>(ctx: &Context<'a>, rule: &RuleMeta) -> Vec<Case<'a>> {
    let mut by_subject: BTreeMap<String, Case<'a>> = BTreeMap::new();
    for f in ctx.eval.findings.iter().filter(|f| f.rule.id == rule.id) {
        let case = by_subject.entry(f.subject.key()).or_default();
        case.subject = &f.subject.id;
        case.findings.push(f);
    }
    for n in ctx.eval.not_evaluated.iter().filter(|n| n.rule.id == rule.id) {
        let case = by_subject.entry(n.subject.key()).or_default();
        case.subject = &n.subject.id;
        case.not_evaluated.push(n);
    }
    if by_subject.is_empty() {
        return vec![Case {
            subject: "(inputs)",
            ..Case::default()
        }];
    }
    by_subject.into_values().collect()
}

/// Text escaped for an XML attribute or element (control characters are already shown escaped by
/// `inert`; a newline joining lines of a body stays).
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_controls_are_escaped() {
        assert_eq!(xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml("]]></failure><x>"), "]]&gt;&lt;/failure&gt;&lt;x&gt;");
        assert_eq!(xml("line\nnext"), "line&#10;next");
        assert_eq!(xml("bell\x07"), "bell\\x07");
    }
}
