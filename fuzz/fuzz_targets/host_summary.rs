//! `host-summary.json`, validated against its schema, then read.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::ingest::host::summary::HostSummary;
use rdsaudit::source::Source;

fuzz_target!(|text: &str| {
    let _ = HostSummary::parse(&Source::from_text("host-summary.json", text.to_string()));
});
