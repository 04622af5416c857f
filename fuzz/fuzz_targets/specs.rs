//! Port specs, address prefixes and service tags, NIC address blocks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdsaudit::net::addresses::{address_block, AddressSpec};
use rdsaudit::net::ports::PortSet;

fuzz_target!(|text: &str| {
    let _ = PortSet::parse(text);
    if let Ok(spec) = AddressSpec::parse(text) {
        let _ = spec.internet_part();
    }
    let _ = address_block(text, Some(28));
});
