//! Windows PowerShell `ConvertTo-Json` output: os.json, features.json, ras-and-ias-servers.json.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::ingest::host::ps_json::{parse_features, parse_group_members, parse_os};

fuzz_target!(|text: &str| {
    let _ = parse_os(text);
    let _ = parse_features(text);
    let _ = parse_group_members(text);
});
