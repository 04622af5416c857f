//! rdsaudit: checks an Azure environment and its Windows hosts against Microsoft's guidance "Secure remote
//! access to virtual machines in Microsoft Entra Domain Services".
//!
//! Data flows one way: files -> `ingest` -> `model::Environment` -> `rules` -> `engine` -> `report`.

pub mod cli;
pub mod compare;
pub mod config;
pub mod engine;
pub mod error;
pub mod finding;
pub mod gate;
pub mod ingest;
#[cfg(feature = "live")]
pub mod live;
pub mod locate;
pub mod model;
pub mod net;
pub mod report;
pub mod rules;
pub mod score;
pub mod source;
