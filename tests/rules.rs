//! Fixture-driven rule tests: every `fixtures/rules/<ID>/<case>/` folder is scanned. A `fires*` case must
//! produce a finding of that rule, a `passes*` case none, and the rule must have been evaluable there; an
//! `unknown*` case no finding and at least one "not evaluated" of that rule; and
//! what the rule reported in each case (findings and "not evaluated" entries, with their positions) is an
//! insta snapshot named after the case, so that a rule change shows in review. One case alone:
//! `INSTA_GLOB_FILTER='RDS003/fires-lb-nat' cargo test --test rules`. A case is scanned as materialized by
//! [`materialize`]: host folders named in its `fixture.toml` are built from `fixtures/hosts/<base>/` with the
//! case's own files on top (`fixtures/rules/README.md`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use rdsaudit::config::Config;
use rdsaudit::engine::{evaluate, Evaluation};
use rdsaudit::ingest::{load, Options};
use rdsaudit::model::Environment;
use rdsaudit::source::display_path;

mod support;

/// A case's `fixture.toml`.
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureToml {
    /// `hosts/<NAME>/` to build from a base folder.
    #[serde(default)]
    hosts: BTreeMap<String, HostFromBase>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HostFromBase {
    /// A folder of `fixtures/hosts/`.
    base: String,
    /// Base files this case must not have.
    #[serde(default)]
    omit: Vec<String>,
}

const FIXTURE_TOML: &str = "fixture.toml";
/// Describes a base folder; never copied into a case.
const BASE_README: &str = "README.md";

/// Files under `dir`, as sorted `/`-separated paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            rel.to_string_lossy().replace('\\', "/")
        })
        .collect()
}

fn copy_file(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{} -> {}: {e}", from.display(), to.display()));
}

/// The case's `fixture.toml`, or an empty one when it has none.
fn fixture_toml(case: &Path) -> FixtureToml {
    let path = case.join(FIXTURE_TOML);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FixtureToml::default(),
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// Writes `case` into the empty folder `dest` the way the scanner must see it: every `hosts.<NAME>` of the
/// case's `fixture.toml` becomes `hosts/<NAME>/` with the files of `bases/<base>/` (not its README.md, not
/// `omit`), then every file of the case but `fixture.toml` is copied on top. A case without `fixture.toml` is
/// copied as is. Panics on an unknown key, an unknown base, an `omit` the base does not have, or a case file
/// that an `omit` removes.
fn materialize(case: &Path, bases: &Path, dest: &Path) {
    let toml_path = case.join(FIXTURE_TOML);
    let fixture = fixture_toml(case);
    let own = files_under(case);
    for (name, host) in &fixture.hosts {
        let at = format!("{} [hosts.{name}]", toml_path.display());
        let single = |s: &str| !s.is_empty() && !s.contains(['/', '\\']) && s != "." && s != "..";
        assert!(
            single(name) && single(&host.base),
            "{at}: host and base are plain folder names"
        );
        let base = bases.join(&host.base);
        assert!(
            base.is_dir(),
            "{at}: unknown base {:?} (no folder {})",
            host.base,
            base.display()
        );
        let files: Vec<String> = files_under(&base).into_iter().filter(|f| f != BASE_README).collect();
        for o in &host.omit {
            assert!(
                files.contains(o),
                "{at}: omit {o:?} is not a file of base {}",
                base.display()
            );
            let rel = format!("hosts/{name}/{o}");
            assert!(!own.contains(&rel), "{at}: omits {o:?} but the case has {rel}");
        }
        for f in files.iter().filter(|f| !host.omit.contains(f)) {
            copy_file(&base.join(f), &dest.join("hosts").join(name).join(f));
        }
    }
    for f in own.iter().filter(|f| *f != FIXTURE_TOML) {
        copy_file(&case.join(f), &dest.join(f));
    }
}

/// A case materialized in a temporary folder `<tmp>/<ID>/<case>`, removed on drop.
struct Materialized {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

fn materialized(case: &Path) -> Materialized {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(rule_of(case)).join(case.file_name().unwrap());
    std::fs::create_dir_all(&path).unwrap();
    materialize(case, &manifest_dir.join("fixtures/hosts"), &path);
    Materialized { _tmp: tmp, path }
}

fn scan(path: &Path) -> (Environment, Evaluation) {
    let mut env =
        load(&[path.to_path_buf()], &Options::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    (env, eval)
}

fn cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let mut out = Vec::new();
    for rule in std::fs::read_dir(&root).expect("fixtures/rules") {
        let rule = rule.unwrap().path();
        if !rule.is_dir() {
            continue;
        }
        let id = rule.file_name().unwrap().to_string_lossy().to_string();
        for case in std::fs::read_dir(&rule).unwrap() {
            let case = case.unwrap().path();
            if case.is_dir() {
                out.push((id.clone(), case));
            }
        }
    }
    out.sort();
    out
}

/// The rule ID a case folder belongs to (`fixtures/rules/<ID>/<case>`).
fn rule_of(case: &Path) -> String {
    case.parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string()
}

/// What one rule reported in one case, as reviewable text.
fn report(case: &Path) -> String {
    let id = rule_of(case);
    let built = materialized(case);
    let (env, eval) = scan(&built.path);
    let out = support::outcomes(&env, &eval, &display_path(&built.path), |rule| rule == id);
    if out.is_empty() {
        return "nothing reported\n".to_string();
    }
    out
}

#[test]
fn case() {
    insta::glob!("../fixtures/rules", "*/*", |case| {
        insta::assert_snapshot!(report(case));
    });
}

#[test]
fn every_rule_fixture_behaves() {
    let cases = cases();
    assert!(cases.len() > 30, "expected the rule fixtures, found {}", cases.len());
    let mut failures = Vec::new();
    for (id, case) in &cases {
        let (_, eval) = scan(&materialized(case).path);
        let name = case.file_name().unwrap().to_string_lossy();
        let fired: Vec<_> = eval.findings.iter().filter(|f| f.rule.id == id).collect();
        let skipped: Vec<_> = eval.not_evaluated.iter().filter(|n| n.rule.id == id).collect();
        let ok = if name.starts_with("fires") {
            !fired.is_empty()
        } else if name.starts_with("passes") {
            fired.is_empty() && skipped.is_empty()
        } else if name.starts_with("unknown") {
            fired.is_empty() && !skipped.is_empty()
        } else {
            panic!("{}: case folders start with fires, passes or unknown", case.display())
        };
        if !ok {
            let f: Vec<_> = fired
                .iter()
                .map(|f| format!("{} {}", f.subject.id, f.message))
                .collect();
            let s: Vec<_> = skipped
                .iter()
                .map(|n| format!("{} {}", n.subject.id, n.reason))
                .collect();
            failures.push(format!("{id}/{name}: findings {f:?}, not evaluated {s:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_firing_and_a_passing_case() {
    let cases = cases();
    for r in rdsaudit::rules::registry() {
        let id = r.meta().id;
        let names: Vec<String> = cases
            .iter()
            .filter(|(i, _)| i == id)
            .map(|(_, c)| c.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("fires")),
            "{id} has no firing fixture"
        );
        assert!(
            names.iter().any(|n| n.starts_with("passes")),
            "{id} has no passing fixture"
        );
    }
}

/// The catalog users and pipelines rely on: IDs, names and default severities (cargo-deny's `codes_unique`).
/// A rename, a new rule or a severity change shows here in review.
#[test]
fn rule_catalog() {
    let mut out = String::new();
    let mut ids = std::collections::BTreeSet::new();
    for r in rdsaudit::rules::registry() {
        let m = r.meta();
        assert!(ids.insert(m.id), "{} is registered twice", m.id);
        let _ = writeln!(out, "{} {} {}", m.id, m.severity.as_str(), m.name);
    }
    insta::assert_snapshot!(out);
}

fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Materializes into `<tmp>/out/` a tiny case (`fixture.toml` = `toml`, `vms.json`, `hosts/H1/c.json` and
/// `hosts/H1/d.txt`) over a tiny base `BASE` (README.md, a.reg, b.reg, c.json).
fn materialize_tiny(toml: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    for f in ["a.reg", "b.reg", "c.json", BASE_README] {
        write_file(&t.join("bases/BASE").join(f), &format!("base {f}"));
    }
    write_file(&t.join("case").join(FIXTURE_TOML), toml);
    write_file(&t.join("case/vms.json"), "[]");
    write_file(&t.join("case/hosts/H1/c.json"), "case c.json");
    write_file(&t.join("case/hosts/H1/d.txt"), "case d.txt");
    let out = t.join("out");
    std::fs::create_dir(&out).unwrap();
    materialize(&t.join("case"), &t.join("bases"), &out);
    (tmp, out)
}

#[test]
fn materializing_leaves_omitted_files_out_and_case_files_win() {
    let (_tmp, out) =
        materialize_tiny("[hosts.H1]\nbase = \"BASE\"\nomit = [\"b.reg\"]\n\n[hosts.H2]\nbase = \"BASE\"\n");
    assert_eq!(
        files_under(&out),
        [
            "hosts/H1/a.reg",
            "hosts/H1/c.json",
            "hosts/H1/d.txt",
            "hosts/H2/a.reg",
            "hosts/H2/b.reg",
            "hosts/H2/c.json",
            "vms.json"
        ]
    );
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    assert_eq!(read("hosts/H1/a.reg"), "base a.reg");
    assert_eq!(read("hosts/H1/c.json"), "case c.json");
    assert_eq!(read("hosts/H2/c.json"), "base c.json");
}

#[test]
fn materializing_a_case_without_fixture_toml_copies_it() {
    let tmp = tempfile::tempdir().unwrap();
    write_file(&tmp.path().join("case/hosts/H1/os.json"), "{}");
    write_file(&tmp.path().join("case/nsgs.json"), "[]");
    let out = tmp.path().join("out");
    materialize(&tmp.path().join("case"), &tmp.path().join("no-bases"), &out);
    assert_eq!(files_under(&out), ["hosts/H1/os.json", "nsgs.json"]);
}

#[test]
#[should_panic(expected = "unknown base \"NOPE\"")]
fn a_fixture_toml_naming_an_unknown_base_fails() {
    materialize_tiny("[hosts.H1]\nbase = \"NOPE\"\n");
}

#[test]
#[should_panic(expected = "omit \"z.reg\" is not a file of base")]
fn a_fixture_toml_omitting_a_file_the_base_lacks_fails() {
    materialize_tiny("[hosts.H1]\nbase = \"BASE\"\nomit = [\"z.reg\"]\n");
}

#[test]
#[should_panic(expected = "omits \"c.json\" but the case has hosts/H1/c.json")]
fn a_fixture_toml_omitting_a_file_the_case_has_fails() {
    materialize_tiny("[hosts.H1]\nbase = \"BASE\"\nomit = [\"c.json\"]\n");
}

#[test]
#[should_panic(expected = "unknown field `omitt`")]
fn a_fixture_toml_with_an_unknown_host_key_fails() {
    materialize_tiny("[hosts.H1]\nbase = \"BASE\"\nomitt = [\"b.reg\"]\n");
}

#[test]
#[should_panic(expected = "unknown field `host`")]
fn a_fixture_toml_with_an_unknown_table_fails() {
    materialize_tiny("[host.H1]\nbase = \"BASE\"\n");
}
/// Every base folder has a README.md and is used, and a case keeps only the host files that differ from its base.
#[test]
fn host_bases_are_used_and_overlays_only_hold_differences() {
    let bases = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hosts");
    let mut unused: std::collections::BTreeSet<String> = std::fs::read_dir(&bases)
        .expect("fixtures/hosts")
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    for base in &unused {
        assert!(
            bases.join(base).join(BASE_README).is_file(),
            "fixtures/hosts/{base} has no {BASE_README}"
        );
    }
    let mut same = Vec::new();
    for (_, case) in cases() {
        for (name, host) in fixture_toml(&case).hosts {
            unused.remove(&host.base);
            let own = case.join("hosts").join(&name);
            if !own.is_dir() {
                continue;
            }
            for f in files_under(&own) {
                let base = bases.join(&host.base).join(&f);
                if base.is_file() && std::fs::read(&base).unwrap() == std::fs::read(own.join(&f)).unwrap() {
                    same.push(own.join(&f).display().to_string());
                }
            }
        }
    }
    assert!(unused.is_empty(), "base folders no case uses: {unused:?}");
    assert!(same.is_empty(), "identical to the base, delete them: {same:#?}");
}
