//! Byte-order marks, UTF-16 and UTF-8: decoding never panics and errors point inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::source::decode;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = decode(data) {
        assert!(e.offset <= data.len());
    }
});
