//! The position finder on any text and pointers: spans stay inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::locate::locate_pointers;

fuzz_target!(|input: (&str, Vec<&str>)| {
    let (text, pointers) = input;
    for span in locate_pointers(text, &pointers).into_iter().flatten() {
        assert!(span.start <= span.end && span.end <= text.len());
    }
});
