//! `--all-subscriptions` against the test server (`support/azure.rs`): the subscription list paged with
//! `nextLink`, states skipped with a warning, one Resource Graph query per batch of subscriptions, failures
//! of the list and of a batch, and the progress display (counted on an in-memory terminal, absent on a pipe).
#![cfg(feature = "live")]

#[path = "support/azure.rs"]
mod azure;
#[path = "support/live_cli.rs"]
mod live_cli;

use std::time::{Duration, Instant};

use assert_cmd::Command;
use azure::{rows, subscription, subscription_page, two_pages_of, Answer, Seen, Server};
use live_cli::{json, live, offline, outcomes, run, CANARY, SUB_A, SUB_B, SUB_C};
use serde_json::{json, Value};

const SUB_OFF: &str = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";

/// The list in two pages (A and a disabled one, then B), and Resource Graph answering for A and B.
fn tenant(seen: &Seen, _: &[Seen]) -> Answer {
    match (seen.is_subscription_list(), seen.path.contains("skiptoken=page2")) {
        (true, false) => subscription_page(
            seen,
            &[
                subscription(SUB_A, "RDS production", "Enabled"),
                subscription(SUB_OFF, "Old \u{1b}[31mlab", "Disabled"),
            ],
            Some("page2"),
        ),
        (true, true) => subscription_page(seen, &[subscription(SUB_B, "RDS test", "Enabled")], None),
        _ => two_pages_of(seen, &[SUB_A, SUB_B]),
    }
}

#[test]
fn all_subscriptions_follows_next_link_skips_the_disabled_one_and_queries_once() {
    let server = Server::start(tenant);
    let r = run(live(&server).args(["--all-subscriptions", "--format", "json"]));
    assert_eq!(r.code, 1, "the sample fails the gate: {}", r.stderr);
    let seen = server.seen();
    let asked: Vec<(&str, &str)> = seen.iter().map(|s| (s.method.as_str(), s.path.as_str())).collect();
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert_eq!(asked[0], ("GET", "/subscriptions?api-version=2022-12-01"));
    assert_eq!(
        asked[1],
        ("GET", "/subscriptions?api-version=2022-12-01&%24skiptoken=page2")
    );
    assert_eq!(
        seen[1].header("authorization"),
        Some(format!("Bearer {CANARY}").as_str())
    );
    // One query (two pages) names every readable subscription, sorted; the disabled one is not asked for.
    for post in &seen[2..] {
        assert_eq!(post.method, "POST");
        assert_eq!(post.scopes(), [SUB_B, SUB_A]);
    }
    assert!(seen[3].skip_token().is_some());
    assert!(
        r.stderr.contains(&format!(
            "warning: subscription /subscriptions/{SUB_OFF} (\"Old [31mlab\") is not read: its state is Disabled"
        )),
        "{}",
        r.stderr
    );
    let report = json(&r);
    assert!(
        report["warnings"].to_string().contains(SUB_OFF),
        "{}",
        report["warnings"]
    );
    assert_eq!(
        report["inputs"][0]["path"],
        "azure:/subscriptions (batch 1 of 1, 2 subscriptions)"
    );
    // The same rows exported by hand give the same findings.
    let data: Vec<Value> = rows(SUB_A).into_iter().chain(rows(SUB_B)).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = json!({ "count": data.len(), "data": data, "skip_token": null, "total_records": data.len() });
    std::fs::write(dir.path().join("graph.json"), file.to_string()).unwrap();
    let offline = offline(dir.path());
    let findings = outcomes(&report, "findings", "message");
    assert!(findings.iter().any(|f| f.contains(SUB_A)) && findings.iter().any(|f| f.contains(SUB_B)));
    assert_eq!(findings, outcomes(&offline, "findings", "message"));
    assert_eq!(report["coverage"], offline["coverage"]);
}

#[test]
fn the_list_waits_for_retry_after_and_its_next_link_stays_on_the_endpoint() {
    let server = Server::start(|seen, before| match (seen.is_subscription_list(), before.len()) {
        (true, 0) => Answer::error(429, "TooManyRequests", "slow down").header("Retry-After", "1"),
        (true, _) => subscription_page(seen, &[subscription(SUB_A, "RDS", "Enabled")], None),
        _ => two_pages_of(seen, &[SUB_A]),
    });
    let start = Instant::now();
    let r = run(live(&server).args(["--all-subscriptions", "--format", "json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    assert!(seen[1].is_subscription_list() && seen[2].scopes() == [SUB_A]);
    // A nextLink to another host would carry the token there: it is not followed.
    let server = Server::start(|_, _| {
        Answer::json(
            200,
            &json!({
                "value": [subscription(SUB_A, "RDS", "Enabled")],
                "nextLink": "http://127.0.0.2:9/subscriptions?api-version=2022-12-01"
            }),
        )
    });
    let r = run(live(&server).args(["--all-subscriptions"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("the nextLink is not on this endpoint"),
        "{}",
        r.stderr
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_forbidden_list_is_exit_3_naming_the_reader_role() {
    let server = Server::start(|_, _| {
        Answer::error(
            403,
            "AuthorizationFailed",
            "The client does not have authorization to perform action",
        )
    });
    let r = run(live(&server).args(["--all-subscriptions", "--format", "json"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "HTTP 403 forbidden: the identity needs the Reader role at the tenant's subscriptions (/subscriptions)"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(server.seen().len(), 1, "a 403 is not retried and nothing is queried");
    assert!(r.stdout.is_empty());
}

#[test]
fn no_readable_subscription_is_exit_3_not_a_pass() {
    let server = Server::start(|seen, _| subscription_page(seen, &[], None));
    let r = run(live(&server).args(["--all-subscriptions"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the identity sees no subscription — does it have the Reader role on any?"),
        "{}",
        r.stderr
    );
    assert_eq!(server.seen().len(), 1);
    // Only a disabled one: named in a warning, and still nothing to read.
    let server = Server::start(|seen, _| subscription_page(seen, &[subscription(SUB_OFF, "Old", "Disabled")], None));
    let r = run(live(&server).args(["--all-subscriptions"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("none of the 1 subscriptions"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("warning: subscription /subscriptions/{SUB_OFF}")),
        "{}",
        r.stderr
    );
    // Explicit subscriptions and --all-subscriptions do not go together.
    let r = run(live(&server).args(["--all-subscriptions", "--subscription", SUB_A]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_failed_batch_leaves_each_of_its_subscriptions_not_evaluated() {
    let server = Server::start(|seen, _| {
        if seen.is_subscription_list() {
            let subs = [SUB_A, SUB_B, SUB_C].map(|s| subscription(s, "RDS", "Enabled"));
            return subscription_page(seen, &subs, None);
        }
        match seen.scopes().as_slice() {
            [one] => two_pages_of(seen, &[one.as_str()]),
            _ => Answer::error(500, "InternalServerError", "batch lost"),
        }
    });
    let r = run(live(&server).args([
        "--all-subscriptions",
        "--batch-size",
        "2",
        "--max-retries",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let posts: Vec<Vec<String>> = server.seen().iter().skip(1).map(Seen::scopes).collect();
    assert_eq!(
        posts,
        [vec![SUB_C, SUB_B], vec![SUB_C, SUB_B], vec![SUB_A], vec![SUB_A]]
    );
    let report = json(&r);
    let missing = outcomes(&report, "not_evaluated", "reason");
    for lost in [SUB_C, SUB_B] {
        assert!(
            missing.iter().any(|n| n.starts_with("\"RDS001\"")
                && n.contains(&format!("/subscriptions/{lost}"))
                && n.contains("batch 1 of 2, 2 subscriptions")
                && n.contains("HTTP 500")),
            "{lost}: {missing:?}"
        );
    }
    assert!(
        !missing
            .iter()
            .any(|n| n.contains(SUB_A) && n.contains("live collection failed")),
        "{missing:?}"
    );
    assert!(outcomes(&report, "findings", "message")
        .iter()
        .any(|f| f.contains(SUB_A)));
    assert!(
        r.stderr.contains(&format!(
            "(not evaluated: /subscriptions/{SUB_C}, /subscriptions/{SUB_B})"
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn progress_counts_what_a_live_scan_read() {
    use clap::Parser;
    use rdsaudit::live::{collect, LiveArgs, Progress};

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        live: LiveArgs,
    }
    let server = Server::start(tenant);
    // Read by `--auth token` in this process; every other test runs the binary with its own environment.
    std::env::set_var("AZURE_ACCESS_TOKEN", CANARY);
    let flags = Flags::parse_from([
        "rdsaudit",
        "--all-subscriptions",
        "--auth",
        "token",
        "--endpoint",
        &server.url,
    ]);
    let term = indicatif::InMemoryTerm::new(3, 200);
    let progress = Progress::to_term(term.clone());
    let collected = collect(&flags.live, &progress).unwrap();
    assert!(term
        .contents()
        .contains("subscriptions 3 · scopes 1/1 · pages 2 · resources "));
    progress.finish();
    let resources = rows(SUB_A).len() + rows(SUB_B).len();
    assert_eq!(
        term.contents().trim_end(),
        format!("live scan: subscriptions 3 · scopes 1/1 · pages 2 · resources {resources}")
    );
    assert_eq!((collected.files.len(), collected.warnings.len()), (2, 1));
    assert!(collected.failures.is_empty());
}

#[test]
fn no_progress_on_a_pipe_and_quiet_goes_with_any_scan() {
    let server = Server::start(tenant);
    let r = run(live(&server).args(["--all-subscriptions", "--format", "json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    for drawn in ["live scan", "resources", "pages", "\r", "\u{1b}["] {
        assert!(!r.stderr.contains(drawn), "{drawn:?} on a pipe: {}", r.stderr);
    }
    let quiet = run(live(&server).args(["--all-subscriptions", "--format", "json", "-q"]));
    assert_eq!((quiet.code, &quiet.stdout), (1, &r.stdout));
    let offline = |extra: &[&str]| {
        let out = Command::cargo_bin("rdsaudit")
            .unwrap()
            .args(["scan", "fixtures/families/resource-graph", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, stdout) = offline(&["--quiet"]);
    assert_eq!(code, Some(1));
    assert_eq!((code, stdout), offline(&[]));
}
