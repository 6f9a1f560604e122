//! Output files: letters (PDF), journals (SIE4, CSV), CSV reports.

pub mod journals;
pub mod letters;
pub mod reports;

use std::borrow::Cow;

/// A CSV cell made safe to open in Excel: a text beginning with `=`, `+`,
/// `-`, `@`, TAB or CR (which a spreadsheet would run as a formula) gets a
/// leading `'`. Plain numbers (`-500.00`, `+46`) are left alone, so amounts
/// in numeric columns never change. Applied to every cell of every CSV we
/// write (OWASP "CSV injection").
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = {
        let t = s.strip_prefix(['-', '+']).unwrap_or(s);
        let (int, frac) = t.split_once('.').unwrap_or((t, "0"));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    if risky && !number {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The parts of a file built in parallel, joined in order into one buffer
/// of the exact size (a growing buffer would be copied each time it
/// doubles, and hold up to twice the file).
pub fn concat(parts: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        out.extend_from_slice(&part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1+1"), "'+1+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("-500.00"), "-500.00");
        assert_eq!(csv_cell("+46"), "+46");
        assert_eq!(csv_cell("Åsa Öberg"), "Åsa Öberg");
    }
}
