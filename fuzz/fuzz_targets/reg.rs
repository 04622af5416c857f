//! `reg export` files, UTF-16 (with BOM) or UTF-8: decoding, then parsing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::ingest::host::reg::RegFile;
use rdsaudit::source::decode;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = decode(data) {
        let _ = RegFile::parse(&text);
    }
});
