//! Every `rdsaudit` command in the CI recipes (`docs/ci/`, `.pre-commit-hooks.yaml`) parses with the current
//! command line: a renamed or removed flag fails here, not in a user's pipeline.

use std::path::Path;

use clap::Parser;
use rdsaudit::cli::Cli;

/// The `rdsaudit …` command lines of a recipe (a `run:`/`script:` line, a line of a block, or a pre-commit
/// `entry:`), words split on whitespace with surrounding quotes removed.
fn commands(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(str::trim)
        .map(|l| {
            ["entry: ", "run: ", "script: ", "- script: "]
                .iter()
                .fold(l, |l, p| l.strip_prefix(p).unwrap_or(l))
        })
        .filter(|l| l.starts_with("rdsaudit "))
        .map(|l| l.split_whitespace().map(|w| w.trim_matches('"').to_string()).collect())
        .collect()
}

fn recipe(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

#[test]
fn every_recipe_command_parses() {
    let mut seen = 0;
    for rel in [
        "docs/ci/github-actions.yml",
        "docs/ci/azure-pipelines.yml",
        ".pre-commit-hooks.yaml",
    ] {
        let found = commands(&recipe(rel));
        assert!(!found.is_empty(), "{rel}: no rdsaudit command found");
        for mut args in found {
            if rel == ".pre-commit-hooks.yaml" {
                args.push("azuredeploy.json".into()); // pre-commit appends the file names
            }
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!("{rel}: `{}` does not parse:\n{e}", args.join(" "));
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 5, "commands in the recipes");
}

#[test]
fn the_recipe_parser_finds_commands_in_every_form() {
    let text = "run: rdsaudit scan a.json\n  - script: rdsaudit scan \"b c\"\n  entry: rdsaudit scan\n  rdsaudit x\n echo rdsaudit scan";
    assert_eq!(commands(text).len(), 4);
    assert_eq!(commands(text)[1], ["rdsaudit", "scan", "b", "c"]);
}
