//! The markdown report: a pull-request comment or `$GITHUB_STEP_SUMMARY`. The verdict, the score, what a
//! comparison found (new, kept, fixed), a table of findings, and the exposure path of each RDS003 finding as
//! a Mermaid flowchart. Every value from the inputs goes through `md::escape` (or `md::mermaid_label`).

use std::fmt::Write;

use super::excerpt::short_subject;
use super::md::{escape, mermaid_label};
use super::Context;
use crate::compare::{Against, Prior, State};
use crate::finding::{Evidence, Finding};

/// Findings listed in the table at most: a PR comment holds 65,536 characters.
const MAX_ROWS: usize = 200;

pub fn render(ctx: &Context<'_>) -> String {
    let mut out = String::new();
    let gate = ctx.gate;
    let outcome = if gate.passed { "passed" } else { "failed" };
    let _ = writeln!(out, "## rdsaudit: gate {outcome}\n");
    let _ = writeln!(out, "**Gate {outcome}:** {}\n", escape(&gate.reason));
    let eval = ctx.eval;
    let _ = writeln!(out, "| Score | Grade | Findings | Suppressed | Not evaluated |");
    let _ = writeln!(out, "|---:|:---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {}/100 | {} | {} | {} | {} |\n",
        gate.score.value,
        gate.score.grade,
        eval.findings.len() - ctx.suppressed(),
        ctx.suppressed(),
        eval.not_evaluated.len()
    );
    comparison(ctx, &mut out);
    findings(ctx, &mut out);
    exposure_paths(ctx, &mut out);
    not_evaluated(ctx, &mut out);
    out
}

fn comparison(ctx: &Context<'_>, out: &mut String) {
    let Some(c) = ctx.comparison else { return };
    let (new, kept) = c.counts(&ctx.eval.findings);
    let against = match &c.against {
        Against::Baseline(path) => format!("the baseline {}", escape(path)),
        Against::BeforeChange => "the state before the change".to_string(),
    };
    let _ = writeln!(out, "### Compared with {against}\n");
    let _ = writeln!(
        out,
        "- **New:** {new}\n- **Kept:** {kept}\n- **Fixed:** {}\n",
        c.absent().len()
    );
    if !c.absent().is_empty() {
        let _ = writeln!(out, "#### Fixed\n");
        let _ = writeln!(out, "| Rule | Severity | Subject | Message |\n|---|---|---|---|");
        for p in c.absent().iter().take(MAX_ROWS) {
            let _ = writeln!(out, "{}", fixed_row(p));
        }
        more(out, c.absent().len());
        out.push('\n');
    }
}

fn fixed_row(p: &Prior) -> String {
    format!(
        "| {} | {} | {} | {} |",
        escape(&p.rule),
        p.severity.as_str(),
        escape(short_subject(&p.subject)),
        escape(&p.message)
    )
}

fn findings(ctx: &Context<'_>, out: &mut String) {
    let list = &ctx.eval.findings;
    let _ = writeln!(out, "### Findings ({})\n", list.len());
    if list.is_empty() {
        out.push_str("No findings.\n\n");
        return;
    }
    let state_column = ctx.comparison.is_some();
    let (head, rule) = if state_column {
        (
            "| State | Rule | Severity | Subject | Message |",
            "|---|---|---|---|---|",
        )
    } else {
        ("| Rule | Severity | Subject | Message |", "|---|---|---|---|")
    };
    let _ = writeln!(out, "{head}\n{rule}");
    for f in list.iter().take(MAX_ROWS) {
        let state = ctx.comparison.map(|c| match c.state(f) {
            State::New => "**new** | ",
            _ => "kept | ",
        });
        let severity = match &f.suppression {
            Some(s) => format!("{} (suppressed: {})", f.severity.as_str(), escape(&s.reason)),
            None => f.severity.as_str().to_string(),
        };
        let _ = writeln!(
            out,
            "| {}{} | {severity} | {} | {} |",
            state.unwrap_or(""),
            f.rule.id,
            escape(short_subject(&f.subject.id)),
            escape(&f.message)
        );
    }
    more(out, list.len());
    out.push('\n');
}

fn more(out: &mut String, total: usize) {
    if total > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n… and {} more (the JSON and SARIF reports list them all).",
            total - MAX_ROWS
        );
    }
}

/// Each unsuppressed RDS003 finding's ways in, from its evidence: `path` (the entry point, the NIC and what
/// is open) followed by the `nsg` verdicts on that path, subnet then NIC.
fn exposure_paths(ctx: &Context<'_>, out: &mut String) {
    let exposed: Vec<&Finding> = ctx
        .eval
        .findings
        .iter()
        .filter(|f| f.rule.id == "RDS003" && f.suppression.is_none())
        .collect();
    if exposed.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Exposure paths (RDS003)\n");
    for f in exposed.into_iter().take(MAX_ROWS) {
        let vm = short_subject(&f.subject.id).rsplit('/').next().unwrap_or(&f.subject.id);
        let _ = writeln!(out, "#### VM {}\n", escape(vm));
        let _ = writeln!(out, "```mermaid\n{}```\n", flowchart(vm, &f.evidence));
    }
}

/// `internet -->|open to| entry --> subnet NSG --> NIC NSG --> NIC --> VM`, one line of nodes per path.
fn flowchart(vm: &str, evidence: &[Evidence]) -> String {
    let mut out = String::from("flowchart LR\n  internet((\"Internet\"))\n");
    let _ = writeln!(out, "  vm[\"VM {}\"]", mermaid_label(vm));
    let mut paths = 0;
    let mut chain: Vec<String> = Vec::new();
    let mut nic = String::new();
    let finish = |out: &mut String, chain: &mut Vec<String>, nic: &str| {
        if !chain.is_empty() {
            let _ = writeln!(out, "  {} --> {nic} --> vm", chain.join(" --> "));
            chain.clear();
        }
    };
    for e in evidence {
        match e.label.as_str() {
            "path" => {
                finish(&mut out, &mut chain, &nic);
                paths += 1;
                let (route, open) = e.value.split_once(" — open to ").unwrap_or((&e.value, "RDP"));
                let (entry, nic_name) = route
                    .rsplit_once(" -> NIC ")
                    .map_or((route, None), |(a, b)| (a, Some(b)));
                let id = format!("p{paths}");
                let _ = writeln!(out, "  {id}[\"{}\"]", mermaid_label(entry));
                nic = format!("p{paths}nic");
                let nic_label = nic_name.map_or_else(|| "NIC".to_string(), |n| format!("NIC {n}"));
                let _ = writeln!(out, "  {nic}[\"{}\"]", mermaid_label(&nic_label));
                chain.push(format!("internet -->|\"{}\"| {id}", mermaid_label(open)));
            }
            "nsg" if paths > 0 => {
                let id = format!("p{paths}n{}", chain.len());
                let _ = writeln!(out, "  {id}{{{{\"{}\"}}}}", mermaid_label(&e.value));
                chain.push(id);
            }
            _ => {}
        }
    }
    finish(&mut out, &mut chain, &nic);
    out
}

fn not_evaluated(ctx: &Context<'_>, out: &mut String) {
    let list = &ctx.eval.not_evaluated;
    if list.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Not evaluated ({}): these checks could not run and did not pass</summary>\n",
        list.len()
    );
    let _ = writeln!(out, "| Rule | Subject | Reason |\n|---|---|---|");
    for n in list.iter().take(MAX_ROWS) {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            n.rule.id,
            escape(short_subject(&n.subject.id)),
            escape(&n.reason)
        );
    }
    more(out, list.len());
    out.push_str("\n</details>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(label: &str, value: &str) -> Evidence {
        Evidence {
            label: label.into(),
            value: value.into(),
            origin: None,
        }
    }

    #[test]
    fn a_path_becomes_a_chain_from_the_internet_to_the_vm() {
        let chart = flowchart(
            "vm1",
            &[
                evidence(
                    "path",
                    "public IP pip1 (Standard) -> NIC nic1 / ipconfig1 — open to TCP from all IPv4 internet",
                ),
                evidence("nsg", "subnet NSG allows: web-nsg/Allow-RDP (priority 300)"),
                evidence("nsg", "no NIC NSG"),
            ],
        );
        assert!(chart.contains("p1[\"public IP pip1 (Standard)\"]"), "{chart}");
        assert!(chart.contains("p1nic[\"NIC nic1 / ipconfig1\"]"), "{chart}");
        assert!(
            chart.contains("internet -->|\"TCP from all IPv4 internet\"| p1 --> p1n1 --> p1n2 --> p1nic --> vm"),
            "{chart}"
        );
    }

    #[test]
    fn a_load_balancer_rule_keeps_its_arrow_inside_the_entry() {
        let chart = flowchart(
            "vm1",
            &[
                evidence(
                    "path",
                    "load balancer lb inboundNatRules r (TCP 50001 -> 3389) -> NIC n / c — open to TCP",
                ),
                evidence("path", "public IP p (Basic) -> NIC n / c — open to UDP"),
            ],
        );
        assert!(
            chart.contains("p1[\"load balancer lb inboundNatRules r (TCP 50001 -#62; 3389)\"]"),
            "{chart}"
        );
        assert!(chart.contains("internet -->|\"TCP\"| p1 --> p1nic --> vm"), "{chart}");
        assert!(chart.contains("internet -->|\"UDP\"| p2 --> p2nic --> vm"), "{chart}");
    }

    #[test]
    fn hostile_names_cannot_break_out_of_the_chart() {
        let chart = flowchart(
            "vm\"]-->x",
            &[evidence(
                "path",
                "public IP ```\n<script> -> NIC n\"] / c — open to TCP|x",
            )],
        );
        assert!(
            !chart.contains("```")
                && !chart.contains("<script>")
                && !chart.contains('\n'.to_string().repeat(2).as_str())
        );
        assert!(chart.contains("vm[\"VM vm#34;#93;--#62;x\"]"), "{chart}");
        assert!(chart.contains("|\"TCP#124;x\"|"), "{chart}");
    }
}
