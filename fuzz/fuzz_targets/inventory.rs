//! Any bytes as an inventory file, through the whole scan: recognition, model building, rules, positions and
//! every report format. Errors are fine; a panic or a hang is not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::ingest::{load, Options};
use rdsaudit::report::positions::Positions;
use rdsaudit::report::{render, Context, Format};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    std::fs::write(&path, data).unwrap();
    let opts = Options {
        allow_empty: true,
        ..Options::default()
    };
    if let Ok(mut env) = load(&[path], &opts) {
        let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
        let positions = Positions::resolve(&env, &eval);
        let gate = rdsaudit::gate::Gate::judge(&eval, None, rdsaudit::gate::DEFAULT_FAIL_ON, None);
        let options = rdsaudit::report::Options::default();
        let ctx = Context {
            env: &env,
            eval: &eval,
            positions: &positions,
            color: false,
            gate: &gate,
            comparison: None,
            options: &options,
        };
        for format in [Format::Table, Format::Json, Format::Sarif] {
            let _ = render(format, &ctx);
        }
    }
});
