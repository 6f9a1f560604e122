//! Ingest errors: every one names the file, the line (1-based) and the field,
//! the value seen and what was expected.

use std::fmt;

/// One problem found in an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// File name as it arrived in the inbox (set by the file loop).
    pub file: String,
    /// 1-based line number; 0 when the problem concerns the whole file.
    pub line: u32,
    /// The field or element, e.g. `due_date` or `Ntry/Amt`.
    pub field: String,
    /// The value seen (already shortened and masked where needed).
    pub value: String,
    /// What was expected.
    pub expected: String,
}

impl Error {
    pub fn new(line: u32, field: &str, value: &str, expected: impl Into<String>) -> Error {
        let mut shown: String = value.chars().take(80).collect();
        if shown.len() < value.len() {
            shown.push('…');
        }
        let value = shown;
        Error { file: String::new(), line, field: field.to_string(), value, expected: expected.into() }
    }

    /// Adds the file name (the file loop knows it; the record parser does not).
    pub fn with_file(mut self, file: &str) -> Error {
        self.file = file.to_string();
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: field {}: expected {}, found {:?}",
            self.file, self.line, self.field, self.expected, self.value
        )
    }
}

impl std::error::Error for Error {}
