//! `sc.exe qsidtype IAS` output.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::ingest::host::sc::parse_qsidtype;

fuzz_target!(|text: &str| {
    let _ = parse_qsidtype(text);
});
