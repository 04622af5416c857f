//! ARM template expression syntax: the parser and the canonical text of symbolic values.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::ingest::azure::arm_expr::{canonical, parse};

fuzz_target!(|text: &str| {
    let _ = parse(text);
    let _ = canonical(text);
});
