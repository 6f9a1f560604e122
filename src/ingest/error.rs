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
/// 10 or 12 digits (optionally `-` or `+` before the last four) of the form
/// (YY)YYMMDDNNNC, with a plausible month and day (day + 60 for a
/// samordningsnummer) and a valid Luhn check digit C.
pub fn looks_like_personal_number(s: &str) -> bool {
    let t = s.trim();
    if t.chars().filter(|c| matches!(c, '-' | '+')).count() > 1 {
        return false;
    }
    let digits: String = t.chars().filter(|c| !matches!(c, '-' | '+')).collect();
    if !(digits.len() == 10 || digits.len() == 12) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let ten = &digits[digits.len() - 10..];
    let num = |r: std::ops::Range<usize>| ten[r].parse::<u32>().unwrap_or(0);
    let (month, day) = (num(2..4), num(4..6));
    let day_ok = (1..=31).contains(&day) || (61..=91).contains(&day);
    (1..=12).contains(&month)
        && day_ok
        && crate::rules::reference::luhn_check_digit(&ten[..9]).map(|c| c.to_string()) == Some(ten[9..].to_string())
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
        // 811218-9876 is the Skatteverket example personnummer (valid Luhn).
        let e = Error::new(3, "description", "8112189876", "x");
        assert_eq!(e.value, "******9876");
        assert!(!e.to_string().contains("811218"));
        let e = Error::new(3, "TK05 payee bankgiro", "0000000000", "x");
        assert_eq!(e.value, "0000000000", "not a personnummer: month 00");
        let e = Error::new(3, "amount", "1 234,50", "x");
        assert_eq!(e.value, "1 234,50", "other values are shown as they are");
    }
}
