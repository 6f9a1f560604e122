//! The one integration-test binary (one link of polars instead of many).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bgmax_corpus;
mod camt_corpus;
mod crash;
mod gen;
mod hostile;
mod journals_sie;
mod letters_pdf;
mod matching_e2e;
mod mt940_corpus;
mod nets_corpus;
mod runs;
mod scenario_golden;
mod sftp;
mod util;
mod validate_corpus;
