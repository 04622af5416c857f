//! Every parser must return an error (or a "could not tell") on damaged input, never panic.
//! A small deterministic generator stands in for proptest: truncations of every fixture at every
//! byte, plus byte flips and pseudo-random garbage.

use super::fixture_bytes;
use crate::ingest::host::nps_xml::{parse_nps, secret_spans};
use crate::ingest::host::ps_json::{parse_features, parse_group_members, parse_os};
use crate::ingest::host::reg::RegFile;
use crate::ingest::host::registered::parse_registered;
use crate::ingest::host::sc::parse_qsidtype;
use crate::source::decode;

const FIXTURES: [&str; 9] = [
    "authsrv-parameters.reg",
    "mixed-types.reg",
    "sc-qsidtype-ias.txt",
    "sc-qsidtype-missing.txt",
    "os.json",
    "features.json",
    "ras-and-ias-servers.json",
    "nps-registeredserver.txt",
    "nps-config.xml",
];

/// Feed bytes through decode and, when they decode, through every parser; check that offsets
/// and spans stay inside the text so callers can slice with them.
fn exercise(bytes: &[u8]) {
    let text = match decode(bytes) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.offset <= bytes.len());
            // Parsers also see lossily decoded text in practice (e.g. a caller's fallback).
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    let ok_span = |r: &std::ops::Range<usize>| {
        assert!(r.start <= r.end && r.end <= text.len());
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
    };
    let ok_offset = |o: usize| assert!(o <= text.len() && text.is_char_boundary(o));
    match RegFile::parse(&text) {
        Ok(reg) => reg.keys().for_each(|k| {
            ok_span(&k.span);
            k.values().for_each(|v| ok_span(&v.span));
        }),
        Err(e) => ok_offset(e.offset),
    }
    match parse_qsidtype(&text) {
        Ok(sc) => ok_span(&sc.span),
        Err(e) => ok_offset(e.offset),
    }
    for r in [parse_os(&text).err(), parse_features(&text).err()] {
        r.into_iter().for_each(|e| ok_offset(e.offset));
    }
    if let Err(e) = parse_group_members(&text) {
        ok_offset(e.offset);
    }
    ok_span(&parse_registered(&text).span);
    match parse_nps(&text) {
        Ok(nps) => {
            for p in nps.network_policies.iter().chain(&nps.connection_request_policies) {
                ok_span(&p.span);
            }
        }
        Err(e) => ok_offset(e.offset),
    }
    secret_spans(&text).iter().for_each(ok_span);
}

#[test]
fn truncated_and_garbled_inputs_never_panic() {
    for name in FIXTURES {
        let bytes = fixture_bytes(name);
        for cut in 0..=bytes.len() {
            exercise(&bytes[..cut]);
        }
        // Flip bytes at a pseudo-random stride.
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        for _ in 0..200 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut damaged = bytes.clone();
            let at = (seed as usize) % damaged.len().max(1);
            if let Some(b) = damaged.get_mut(at) {
                *b = (seed >> 32) as u8;
            }
            exercise(&damaged);
        }
    }
    const ALPHABET: &[u8] = b"<>\"'=/\\[]@:,{}hexdword(7)\r\n\xFF\xFE\x00secretTimeout";
    let mut seed = 7_u64;
    for len in 0..300 {
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                ALPHABET[(seed >> 33) as usize % ALPHABET.len()]
            })
            .collect();
        exercise(&garbage);
    }
}
