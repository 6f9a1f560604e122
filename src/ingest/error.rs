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
        let masked;
        let value = if field == "debtor_id" || looks_like_personal_number(value) {
            masked = mask(value);
            masked.as_str()
        } else {
            value
        };
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

/// A Swedish personnummer or samordningsnummer as written in exports:
/// 10 or 12 digits, optionally with `-` or `+` before the last four.
pub fn looks_like_personal_number(s: &str) -> bool {
    let digits: String = s.trim().chars().filter(|c| !matches!(c, '-' | '+')).collect();
    (digits.len() == 10 || digits.len() == 12)
        && digits.bytes().all(|b| b.is_ascii_digit())
        && s.trim().chars().filter(|c| matches!(c, '-' | '+')).count() <= 1
}

/// Masks all but the last four characters (personal identity numbers never
/// appear in full in logs or error texts): `197001011234` -> `********1234`.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    s.chars().enumerate().map(|(i, c)| if i + 4 < n && c.is_ascii_alphanumeric() { '*' } else { c }).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_numbers_are_masked_in_errors() {
        let e = Error::new(3, "debtor_id", "19700101-1234", "x");
        assert_eq!(e.value, "********-1234");
        let e = Error::new(3, "amount", "7001011234", "x");
        assert_eq!(e.value, "******1234");
        assert!(!e.to_string().contains("700101"));
        let e = Error::new(3, "amount", "1 234,50", "x");
        assert_eq!(e.value, "1 234,50", "other values are shown as they are");
    }
}
