//! NPS exports: the parser and the secret finder (which must never panic, even on broken XML).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::ingest::host::nps_xml::{parse_nps, secret_spans};

fuzz_target!(|text: &str| {
    for span in secret_spans(text) {
        assert!(span.start <= span.end && span.end <= text.len());
    }
    let _ = parse_nps(text);
});
