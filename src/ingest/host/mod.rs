//! Parsers for Windows host evidence: the unmodified output of standard Windows commands that the
//! collector saves in a per-host folder (see the "Host evidence" table in the input spec).
//!
//! Every parser takes decoded text (see [`crate::source::decode`]) and keeps byte spans into that text, so a
//! diagnostic can point at the exact line the value came from. None of them panics on any input:
//! evidence files are hand-copied, truncated or mis-encoded often enough that a parser failure must
//! always be a located error, never a crash.

pub mod assemble;
pub mod evidence;
pub mod nps_xml;
pub mod ps_json;
pub mod reg;
pub mod registered;
pub mod sc;
pub mod summary;
pub mod text;

#[cfg(test)]
mod tests;
