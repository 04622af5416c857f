//! `rdsaudit.toml`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::config::Config;
use rdsaudit::source::Source;

fuzz_target!(|text: &str| {
    let _ = Config::parse(&Source::from_text("rdsaudit.toml", text.to_string()));
});
