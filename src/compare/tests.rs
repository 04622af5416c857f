use super::*;
use crate::config::FailOn;
use crate::engine::Evaluation;
use crate::finding::tests::TEST_RULE;
use crate::finding::Subject;
use crate::gate::Gate;
use crate::model::Coverage;
use crate::score::score;
use crate::source::Origin;

fn finding(subject: &str, severity: Severity) -> Finding {
    let mut f = Finding::new(&TEST_RULE, Subject::resource(subject), Origin::pointer(0, ""), "m");
    f.severity = severity;
    f
}

fn evaluation(findings: Vec<Finding>) -> Evaluation {
    Evaluation {
        scores: score(&findings),
        findings,
        not_evaluated: Vec::new(),
        rules: vec![&TEST_RULE],
        coverage: Coverage::default(),
        warnings: Vec::new(),
    }
}

fn prior(f: &Finding) -> Prior {
    Prior {
        rule: f.rule.id.into(),
        severity: f.severity,
        subject: f.subject.id.clone(),
        subject_kind: f.subject.kind,
        message: f.message.clone(),
        fingerprint: f.fingerprint(),
        locations: Vec::new(),
    }
}

fn before_change(findings: &[Finding]) -> Baseline {
    Baseline {
        against: Against::BeforeChange,
        findings: findings.iter().map(prior).collect(),
    }
}

/// Two evaluations, as `--new-only` makes them: the change fixes `/fixed` and introduces `/opened`.
#[test]
fn a_change_that_fixes_one_finding_and_introduces_another() {
    let before = [finding("/kept", Severity::High), finding("/fixed", Severity::Critical)];
    let after = evaluation(vec![
        finding("/kept", Severity::High),
        finding("/opened", Severity::High),
    ]);
    let c = Comparison::new(before_change(&before), &after.findings);
    assert_eq!(c.state(&after.findings[0]), State::Unchanged);
    assert_eq!(c.state(&after.findings[1]), State::New);
    assert_eq!(c.counts(&after.findings), (1, 1));
    assert_eq!(c.absent().len(), 1);
    assert_eq!(c.absent()[0].subject, "/fixed");

    let gate = Gate::judge(&after, Some(&c), FailOn::Severity(Severity::High), None);
    assert!(!gate.passed);
    assert_eq!((gate.at_or_above, gate.new, gate.fixed), (2, Some(1), Some(1)));
    assert_eq!(
        gate.verdict(),
        "gate failed: 2 findings at or above high, 1 new, 1 fixed; score 60/100 C"
    );
}

#[test]
fn only_new_findings_fail_a_compared_gate() {
    let findings = vec![finding("/a", Severity::Critical)];
    let after = evaluation(findings.clone());
    let c = Comparison::new(before_change(&findings), &after.findings);
    let gate = Gate::judge(&after, Some(&c), FailOn::Severity(Severity::High), None);
    assert!(gate.passed, "{}", gate.verdict());
    assert_eq!(
        gate.verdict(),
        "gate passed: 1 finding at or above high, none new; score 60/100 C"
    );
    // The same evaluation without a comparison fails.
    assert!(!Gate::judge(&after, None, FailOn::Severity(Severity::High), None).passed);
}

#[test]
fn a_new_finding_below_the_threshold_does_not_fail() {
    let after = evaluation(vec![finding("/low", Severity::Low)]);
    let c = Comparison::new(before_change(&[]), &after.findings);
    let gate = Gate::judge(&after, Some(&c), FailOn::Severity(Severity::High), None);
    assert!(gate.passed);
    assert_eq!(gate.new, Some(0));
    assert_eq!(c.counts(&after.findings), (1, 0));
}

/// Fingerprints ignore the subject's case: a report written by another export keeps its findings.
#[test]
fn matching_ignores_the_case_of_the_subject() {
    let before = [finding("/Subscriptions/S/VM1", Severity::High)];
    let after = evaluation(vec![finding("/subscriptions/s/vm1", Severity::High)]);
    let c = Comparison::new(before_change(&before), &after.findings);
    assert_eq!(c.state(&after.findings[0]), State::Unchanged);
    assert!(c.absent().is_empty());
}

#[test]
fn a_suppressed_finding_never_fails_even_when_new() {
    let mut f = finding("/s", Severity::Critical);
    f.suppression = Some(crate::finding::Suppression {
        source: crate::finding::SuppressionSource::Config,
        reason: "r".into(),
        expires: None,
    });
    let after = evaluation(vec![f]);
    let c = Comparison::new(before_change(&[]), &after.findings);
    assert!(Gate::judge(&after, Some(&c), FailOn::Severity(Severity::Info), None).passed);
}

#[test]
fn the_verdict_names_the_minimum_score_when_one_is_set() {
    let after = evaluation(vec![finding("/m", Severity::Medium)]);
    let pass = Gate::judge(&after, None, FailOn::Severity(Severity::High), Some(90));
    assert_eq!(
        pass.verdict(),
        "gate passed: no finding at or above high; score 92/100 A (minimum 90)"
    );
    let fail = Gate::judge(&after, None, FailOn::Severity(Severity::High), Some(95));
    assert_eq!(
        fail.verdict(),
        "gate failed: no finding at or above high; score 92/100 A, below the minimum 95"
    );
    let never = Gate::judge(&after, None, FailOn::Never, None);
    assert!(never.passed);
    assert_eq!(
        never.verdict(),
        "gate passed: findings not gated (--fail-on none); score 92/100 A"
    );
}

fn parse(text: &str) -> Result<Vec<Prior>, InputError> {
    Baseline::parse(&Source::from_text("baseline.json", text.to_string()))
}

#[test]
fn malformed_baselines_are_input_errors_with_line_and_column() {
    let e = parse("{\n  \"tool\": {\"name\": \"rdsaudit\"},\n  \"findings\": [\n").unwrap_err();
    assert_eq!(e.path, "baseline.json");
    assert_eq!(e.line, Some(4));
    assert!(e.column.is_some());
    assert!(e.message.starts_with("malformed baseline report"), "{}", e.message);
}

#[test]
fn a_report_of_another_tool_is_refused_at_its_name() {
    let e = parse("{\n  \"tool\": {\n    \"name\": \"checkov\"\n  },\n  \"findings\": []\n}").unwrap_err();
    assert_eq!((e.line, e.column), (Some(3), Some(5)));
    assert!(e.message.contains("not an rdsaudit JSON report"), "{}", e.message);
    let sarif = parse("{\"version\": \"2.1.0\", \"runs\": []}").unwrap_err();
    assert_eq!(sarif.line, Some(1));
}

#[test]
fn a_finding_without_a_fingerprint_is_refused_where_it_is() {
    let text = "{\"tool\": {\"name\": \"rdsaudit\"},\n\"findings\": [{\"rule\": \"RDS001\", \"severity\": \"high\",\n\"subject\": \"/x\", \"message\": \"m\"}]}";
    let e = parse(text).unwrap_err();
    assert!(e.message.contains("fingerprint"), "{}", e.message);
    assert_eq!(e.line, Some(3));
    let bad = text.replace("\"m\"}", "\"m\", \"fingerprint\": \"xyz\"}");
    let e = parse(&bad).unwrap_err();
    assert!(e.message.contains("32 hexadecimal digits"), "{}", e.message);
}
