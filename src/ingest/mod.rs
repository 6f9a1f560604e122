//! Input files -> model types. Format is detected from content.

pub mod bank;
mod error;

pub use error::Error;
