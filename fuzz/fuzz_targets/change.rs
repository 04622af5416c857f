//! Any bytes as a change input (a Terraform plan or state, ARM what-if), read on both sides of the change
//! and judged: the seeds are the plan, state and what-if fixtures, so mutations stay near the real shapes.
//! Errors are fine; a panic or a hang is not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::ingest::{load, Options, Side};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tfplan.json");
    std::fs::write(&path, data).unwrap();
    for side in [Side::Before, Side::After] {
        let opts = Options {
            allow_empty: true,
            side,
            ..Options::default()
        };
        if let Ok(mut env) = load(&[path.clone()], &opts) {
            let _ = evaluate(&mut env, &Config::default(), "2026-01-01");
        }
    }
});
