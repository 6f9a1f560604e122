//! inkasso: the nightly batch of a Nordic collection service.
//!
//! The data flows `ingest` -> `engine` -> `emit`, with `model` (plain types)
//! and `rules` (jurisdiction packs) beside them and `store` (the data
//! directory) beneath; `cli` glues them together. `model`, `rules` and
//! `engine` do no I/O. See ARCHITECTURE.md.

pub mod cli;
pub mod emit;
pub mod engine;
pub mod ingest;
pub mod model;
pub mod rules;
pub mod store;
