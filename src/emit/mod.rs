//! Output files: letters (PDF), journals (SIE4, CSV), CSV reports.

pub mod journals;
pub mod letters;
pub mod reports;
