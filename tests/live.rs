//! Live scans against a real HTTP server on 127.0.0.1 (`support/azure.rs`), never Azure: paging, throttling,
//! server errors, refusals, timeouts, partial results, export, and a token that must never be shown.
#![cfg(feature = "live")]

#[path = "support/azure.rs"]
mod azure;
#[path = "support/live_cli.rs"]
mod live_cli;

use std::time::{Duration, Instant};

use assert_cmd::Command;
use azure::{two_pages, Answer, Server};
use live_cli::{json, live, live_at, offline, outcomes, run, CANARY, SUB_A, SUB_B};
use serde_json::Value;

#[test]
fn two_pages_are_read_with_the_skip_token_and_judged_as_offline() {
    let server = Server::start(|seen, _| two_pages(seen, SUB_A));
    let r = run(live(&server).args(["--subscription", SUB_A, "--format", "json"]));
    assert_eq!(r.code, 1, "the sample fails the gate: {}", r.stderr);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].path,
        "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
    );
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {CANARY}").as_str())
    );
    assert_eq!(seen[0].body["subscriptions"], serde_json::json!([SUB_A]));
    assert_eq!(seen[0].body["options"]["$top"], 1000);
    assert_eq!(seen[0].skip_token(), None);
    assert_eq!(
        seen[1].skip_token(),
        Some("eyAibm8iOiAibHVjayIsICJidXQiOiAibmljZSIgfQ==")
    );
    let query = seen[0].body["query"].as_str().unwrap();
    for t in rdsaudit::live::TYPES {
        assert!(query.contains(t), "{t} missing from {query}");
    }
    // The same resources exported by hand (the fixture's own subscription renamed) give the same findings.
    let fixture = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/families/resource-graph/graph.json"
    ))
    .unwrap()
    .replace("3f2c9a1e-5b7d-4e8a-9c61-2d4f8b7a1e90", SUB_A);
    std::fs::write(fixture.path().join("graph.json"), text).unwrap();
    let (live, offline) = (json(&r), offline(fixture.path()));
    assert!(!outcomes(&live, "findings", "message").is_empty());
    assert_eq!(
        outcomes(&live, "findings", "message"),
        outcomes(&offline, "findings", "message")
    );
    assert_eq!(live["coverage"], offline["coverage"]);
    // Without --export the inputs are named by their scope, not by a temporary path.
    assert_eq!(live["inputs"][0]["path"], format!("azure:/subscriptions/{SUB_A}"));
}

#[test]
fn the_export_scans_offline_to_the_same_report() {
    let server = Server::start(|seen, _| two_pages(seen, SUB_A));
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    let r = run(live(&server)
        .args(["--subscription", SUB_A, "--format", "json", "--export"])
        .arg(&export));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let files: Vec<String> = std::fs::read_dir(&export)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        assert!(!std::fs::read_to_string(export.join(f)).unwrap().contains(CANARY));
    }
    let again = offline(&export);
    assert_eq!(
        json(&r),
        again,
        "the live report and the offline scan of its export differ"
    );
    let page: Value = serde_json::from_str(
        &std::fs::read_to_string(export.join(format!("resource-graph-subscription-{SUB_A}-0001.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(page["count"], 4);
    assert!(page["skip_token"].is_string() && page["total_records"] == 8);
    // A second export into the same folder is refused: an offline scan would mix two runs.
    let r = run(live(&server).args(["--subscription", SUB_A, "--export"]).arg(&export));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not empty"), "{}", r.stderr);
}

#[test]
fn throttling_waits_for_retry_after() {
    let server = Server::start(|seen, before| match before.len() {
        0 => Answer::error(429, "RateLimiting", "Please provide below info when asking for support")
            .header("Retry-After", "1")
            .header("x-ms-user-quota-remaining", "0")
            .header("x-ms-user-quota-resets-after", "00:00:01"),
        _ => two_pages(seen, SUB_A),
    });
    let start = Instant::now();
    let r = run(live(&server).args(["--subscription", SUB_A, "--format", "json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn a_server_error_is_retried_with_backoff() {
    let server = Server::start(|seen, before| match before.len() {
        0 => Answer::error(500, "InternalServerError", "try again"),
        _ => two_pages(seen, SUB_A),
    });
    let r = run(live(&server).args(["--subscription", SUB_A, "--format", "json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(server.seen().len(), 3);
    assert!(!json(&r)["findings"].as_array().unwrap().is_empty());
}

#[test]
fn server_errors_past_the_retries_are_exit_3_with_the_cause() {
    let server = Server::start(|_, _| Answer::error(503, "ServiceUnavailable", "down"));
    let r = run(live(&server).args(["--subscription", SUB_A, "--max-retries", "2"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(server.seen().len(), 3);
    assert!(
        r.stderr
            .contains("gave up after 3 attempts: HTTP 503 (ServiceUnavailable: down)"),
        "{}",
        r.stderr
    );
}

#[test]
fn unauthorized_says_to_sign_in_and_never_echoes_the_token() {
    // The server echoes the Authorization header in its body and its headers, as some proxies do.
    let server = Server::start(|seen, _| {
        let auth = seen.header("authorization").unwrap_or("").to_string();
        Answer::error(
            401,
            "InvalidAuthenticationToken",
            &format!("The access token is invalid: {auth}"),
        )
        .header("WWW-Authenticate", &auth)
        .header("x-echo-authorization", &auth)
    });
    let r = run(live(&server).args(["--subscription", SUB_A, "--format", "json"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(server.seen().len(), 1, "a 401 is not retried");
    assert!(
        r.stderr.contains("HTTP 401") && r.stderr.contains("az login"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("The access token is invalid: Bearer [REDACTED]"),
        "{}",
        r.stderr
    );
}

#[test]
fn forbidden_names_the_reader_role_at_the_scope() {
    let server = Server::start(|_, _| {
        Answer::error(
            403,
            "AuthorizationFailed",
            "The client does not have authorization to perform action",
        )
    });
    let r = run(live(&server).args(["--management-group", "mg-rds"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(server.seen()[0].body["managementGroups"], serde_json::json!(["mg-rds"]));
    assert!(
        r.stderr
            .contains("the identity needs the Reader role at /providers/Microsoft.Management/managementGroups/mg-rds"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_slow_answer_times_out_and_never_hangs() {
    let server = Server::start(|seen, _| two_pages(seen, SUB_A).after(Duration::from_secs(5)));
    let start = Instant::now();
    let r = run(live(&server).args([
        "--subscription",
        SUB_A,
        "--request-timeout",
        "0.3",
        "--max-retries",
        "1",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(start.elapsed() < Duration::from_secs(4), "took {:?}", start.elapsed());
    assert!(r.stderr.contains("request timeout"), "{}", r.stderr);
}

#[test]
fn one_subscription_failing_leaves_the_other_judged_and_exits_3() {
    let server = Server::start(|seen, _| match seen.scope().as_str() {
        SUB_A => two_pages(seen, SUB_A),
        _ => Answer::error(403, "AuthorizationFailed", "no access"),
    });
    let r = run(live(&server).args(["--subscription", SUB_A, "--subscription", SUB_B, "--format", "json"]));
    assert_eq!(
        r.code, 3,
        "collection failure (3) wins over the failed gate (1): {}",
        r.stderr
    );
    let report = json(&r);
    assert!(
        !report["findings"].as_array().unwrap().is_empty(),
        "what was read is still judged"
    );
    let missing: Vec<String> = outcomes(&report, "not_evaluated", "reason")
        .into_iter()
        .filter(|n| n.contains(SUB_B))
        .collect();
    assert!(missing.iter().any(|n| n.starts_with("\"RDS001\"")), "{missing:?}");
    assert!(missing.iter().all(|n| n.contains("Reader role")), "{missing:?}");
    assert!(r.stderr.contains(&format!("/subscriptions/{SUB_B}")), "{}", r.stderr);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn a_page_that_fails_keeps_the_pages_read_and_marks_the_scope() {
    let server = Server::start(|seen, _| match seen.skip_token() {
        None => two_pages(seen, SUB_A),
        Some(_) => Answer::error(500, "InternalServerError", "page lost"),
    });
    let r = run(live(&server).args(["--subscription", SUB_A, "--max-retries", "1", "--format", "json"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let report = json(&r);
    assert_eq!(
        report["inputs"].as_array().unwrap().len(),
        1,
        "the first page is still read"
    );
    let missing = outcomes(&report, "not_evaluated", "reason");
    assert!(
        missing
            .iter()
            .any(|n| n.contains(SUB_A) && n.contains("gave up after 2 attempts: HTTP 500")),
        "{missing:?}"
    );
}

#[test]
fn an_empty_subscription_is_nothing_to_audit_not_a_pass() {
    let server = Server::start(|_, _| azure::page(&[], 0, None));
    let r = run(live(&server).args(["--subscription", SUB_A]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("nothing to audit"), "{}", r.stderr);
}

#[test]
fn no_credential_is_exit_3_and_plain_http_elsewhere_is_refused() {
    let server = Server::start(|seen, _| two_pages(seen, SUB_A));
    let r = run(live(&server)
        .env_remove("AZURE_ACCESS_TOKEN")
        .args(["--subscription", SUB_A, "--auth", "token"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("AZURE_ACCESS_TOKEN is not set"), "{}", r.stderr);
    let r = run(live_at("http://management.example.com").args(["--subscription", SUB_A]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("only for a loopback address"), "{}", r.stderr);
    assert!(server.seen().is_empty(), "nothing was sent");
}

#[test]
fn auto_takes_the_access_token_first_and_env_names_what_is_missing() {
    let server = Server::start(|seen, _| two_pages(seen, SUB_A));
    let r = run(live(&server).args(["--subscription", SUB_A, "--auth", "auto"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = run(live(&server)
        .env("AZURE_CLIENT_SECRET", CANARY)
        .args(["--subscription", SUB_A, "--auth", "env"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("env (service principal): AZURE_TENANT_ID is not set"),
        "{}",
        r.stderr
    );
    assert_eq!(server.seen().len(), 2, "only the auto run reached the server");
}

#[test]
fn exit_codes_rank_2_over_3_over_1_over_0() {
    use rdsaudit::error::Exit::{Error, GateFailed, Partial, Pass};
    assert_eq!(Partial.code(), 3);
    assert_eq!(GateFailed.worst(Partial), Partial);
    assert_eq!(Partial.worst(Error), Error);
    assert_eq!(Error.worst(Partial), Error);
    assert_eq!(Pass.worst(GateFailed), GateFailed);
}

#[test]
fn sarif_points_at_the_resource_without_export_and_at_the_file_with_it() {
    let server = Server::start(|seen, _| two_pages(seen, SUB_A));
    let r = run(live(&server).args(["--subscription", SUB_A, "--format", "sarif"]));
    let sarif = json(&r);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let physical = &result["locations"][0]["physicalLocation"];
        let subject = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        assert_eq!(physical["artifactLocation"]["uri"], format!("azure:{subject}"));
        assert!(physical.get("region").is_none(), "{physical}");
    }
    let dir = tempfile::tempdir().unwrap();
    let r = run(live(&server).current_dir(dir.path()).args([
        "--subscription",
        SUB_A,
        "--format",
        "sarif",
        "--export",
        "inv",
    ]));
    let sarif = json(&r);
    let physical = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("inv/resource-graph-subscription-"), "{uri}");
    assert!(physical["region"]["startLine"].as_u64().is_some(), "{physical}");
}

#[test]
fn subscriptions_and_management_groups_go_together_and_live_flags_need_a_scope() {
    let server = Server::start(|seen, _| two_pages(seen, SUB_A));
    let r = run(live(&server).args([
        "--subscription",
        SUB_A,
        "--management-group",
        "mg-rds",
        "--format",
        "json",
    ]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let scopes: Vec<String> = server.seen().iter().map(azure::Seen::scope).collect();
    assert_eq!(scopes, [SUB_A, SUB_A, "mg-rds", "mg-rds"]);
    let r = run(Command::cargo_bin("rdsaudit").unwrap().args([
        "scan",
        "fixtures/families/resource-graph",
        "--export",
        "out",
    ]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--subscription"), "{}", r.stderr);
}

/// Managed identity as App Service and Azure Functions provide it (`IDENTITY_ENDPOINT` on loopback): the
/// `azure_identity` credential runs over rdsaudit's own blocking transport, and its token is sent on.
#[test]
fn managed_identity_gets_its_token_through_azure_identity() {
    const MI_TOKEN: &str = "eyJtaSI6InRva2VuIn0.managed-identity-canary-91ab";
    let server = Server::start(|seen, _| match seen.method.as_str() {
        "GET" if seen.path.starts_with("/msi/token?") => Answer::json(
            200,
            &serde_json::json!({
                "access_token": MI_TOKEN,
                "expires_on": "4102444800",
                "token_type": "Bearer",
                "resource": "https://management.azure.com",
            }),
        ),
        _ if seen.header("authorization") == Some(&format!("Bearer {MI_TOKEN}")) => two_pages(seen, SUB_A),
        _ => Answer::error(401, "InvalidAuthenticationToken", "wrong token"),
    });
    let r = run(live(&server)
        .env_remove("AZURE_ACCESS_TOKEN")
        .env("IDENTITY_ENDPOINT", format!("{}/msi/token", server.url))
        .env("IDENTITY_HEADER", "identity-header-secret")
        .args(["--subscription", SUB_A, "--auth", "managed-identity"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains(MI_TOKEN) && !r.stderr.contains(MI_TOKEN));
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen[0].path.contains("resource=https%3A%2F%2Fmanagement.azure.com"),
        "{}",
        seen[0].path
    );
    assert_eq!(seen[0].header("x-identity-header"), Some("identity-header-secret"));
}
