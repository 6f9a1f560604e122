//! The one integration-test binary (one link of polars instead of many).

mod util;
mod camt_corpus;
mod journals_sie;
mod letters_pdf;
