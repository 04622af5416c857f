//! Tests for the host-evidence parsers, against real-shaped fixtures in `fixtures/host-parsers/`
//! (written as bytes, UTF-16LE with BOM where the Windows tool writes that).

mod fuzz;
mod nps;
mod reg;
mod small;

use crate::source::decode;

/// The raw bytes of a fixture.
fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/host-parsers/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fixture decoded the way rdsaudit decodes every evidence file.
fn fixture(name: &str) -> String {
    decode(fixture_bytes(name)).expect("fixture decodes")
}
