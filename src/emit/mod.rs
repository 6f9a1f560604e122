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
    let number = || {
        let t = s.strip_prefix(['-', '+']).unwrap_or(s);
        let (int, frac) = t.split_once('.').unwrap_or((t, "0"));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    if risky && !number() {
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

/// One CSV row being appended to `out`, field by field, with the bytes the
/// `csv` crate's writer gives with our settings (`,` between fields, `"`
/// to quote, `\n` after the row): a field is quoted when it holds `,`,
/// `"`, CR or LF, a `"` inside it doubled, and a row's only field is
/// quoted when it is empty. Written by hand because the journals and
/// reports have millions of fields and the crate's writer, state machine
/// and all, took a fifth of building them.
pub struct CsvRow<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
    fields: usize,
}

impl<'a> CsvRow<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> CsvRow<'a> {
        let start = out.len();
        CsvRow { out, start, fields: 0 }
    }

    /// Appends a header row: the column names as they are.
    pub fn header(out: &mut Vec<u8>, columns: &[&str]) {
        let mut row = CsvRow::new(out);
        for column in columns {
            row.field(column.as_bytes());
        }
        row.end();
    }

    /// Appends the next field as it is.
    pub fn field(&mut self, field: &[u8]) -> &mut Self {
        self.separate();
        if field.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            self.out.push(b'"');
            for &b in field {
                if b == b'"' {
                    self.out.push(b'"');
                }
                self.out.push(b);
            }
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(field);
        }
        self
    }

    /// A text cell, made safe to open in a spreadsheet (`csv_cell`).
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.field(csv_cell(text).as_bytes())
    }

    /// An amount as `fmt_amount` writes it: a number, which `csv_cell`
    /// leaves alone and nothing in it needs quotes.
    pub fn amount(&mut self, amount: rust_decimal::Decimal) -> &mut Self {
        self.separate();
        crate::model::push_amount(self.out, amount);
        self
    }

    /// A date, `YYYY-MM-DD`.
    pub fn date(&mut self, date: chrono::NaiveDate) -> &mut Self {
        use chrono::Datelike;
        if (0..=9999).contains(&date.year()) {
            self.separate();
            push_iso_date(self.out, date);
            self
        } else {
            self.text(&date.to_string()) // a sign first: a cell like any text
        }
    }

    /// A whole number.
    pub fn number(&mut self, n: u64) -> &mut Self {
        self.field(itoa::Buffer::new().format(n).as_bytes())
    }

    fn separate(&mut self) {
        if self.fields > 0 {
            self.out.push(b',');
        }
        self.fields += 1;
    }

    /// Ends the row.
    pub fn end(self) {
        if self.fields == 1 && self.out.len() == self.start {
            self.out.extend_from_slice(b"\"\"");
        }
        self.out.push(b'\n');
    }
}

/// Appends `d` as `YYYY-MM-DD` (`NaiveDate`'s own text, without formatting
/// machinery for the common years).
pub(crate) fn push_iso_date(out: &mut Vec<u8>, d: chrono::NaiveDate) {
    push_date(out, d, true);
}

/// Appends `d` as `YYYYMMDD` (SIE), or with hyphens.
pub(crate) fn push_date(out: &mut Vec<u8>, d: chrono::NaiveDate, hyphens: bool) {
    use chrono::Datelike;
    let Some(year) = u32::try_from(d.year()).ok().filter(|y| *y <= 9999) else {
        // Years chrono writes with a sign: its own text.
        let text = if hyphens { d.format("%Y-%m-%d") } else { d.format("%Y%m%d") };
        out.extend_from_slice(text.to_string().as_bytes());
        return;
    };
    let digit = |n: u32| b'0' + (n % 10) as u8;
    out.extend_from_slice(&[digit(year / 1000), digit(year / 100), digit(year / 10), digit(year)]);
    for n in [d.month(), d.day()] {
        if hyphens {
            out.push(b'-');
        }
        out.extend_from_slice(&[digit(n / 10), digit(n)]);
    }
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

    proptest::proptest! {
        /// The same bytes as the `csv` crate's writer, for any fields.
        #[test]
        fn csv_rows_are_the_csv_crates(rows in proptest::collection::vec(
            proptest::collection::vec("[a,\"\r\n \\t=é]{0,6}", 0..5), 0..5)
        ) {
            let mut w = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::Any(b'\n'))
                .flexible(true)
                .from_writer(Vec::new());
            let mut ours = Vec::new();
            for row in rows.iter().filter(|r| !r.is_empty()) {
                w.write_record(row).unwrap();
                let mut r = super::CsvRow::new(&mut ours);
                for field in row {
                    r.field(field.as_bytes());
                }
                r.end();
            }
            proptest::prop_assert_eq!(ours, w.into_inner().unwrap());
        }

        /// Amounts, dates and numbers give the cells their texts would.
        #[test]
        fn typed_cells_are_their_texts(
            mantissa in proptest::num::i64::ANY,
            scale in 0u32..8,
            days in -1_000_000i32..4_000_000,
            n in proptest::num::u64::ANY,
        ) {
            let amount = rust_decimal::Decimal::new(mantissa, scale);
            let date = chrono::NaiveDate::from_num_days_from_ce_opt(days).unwrap();
            let (mut typed, mut texts) = (Vec::new(), Vec::new());
            let mut r = super::CsvRow::new(&mut typed);
            r.amount(amount).date(date).number(n);
            r.end();
            let mut r = super::CsvRow::new(&mut texts);
            r.text(&crate::model::fmt_amount(amount)).text(&date.to_string()).text(&n.to_string());
            r.end();
            proptest::prop_assert_eq!(typed, texts);
        }

        /// `YYYY-MM-DD` and `YYYYMMDD` as chrono writes them, any year.
        #[test]
        fn dates_are_chronos(days in -1_000_000i32..4_000_000) {
            let d = chrono::NaiveDate::from_num_days_from_ce_opt(days).unwrap();
            let (mut iso, mut sie) = (Vec::new(), Vec::new());
            super::push_iso_date(&mut iso, d);
            super::push_date(&mut sie, d, false);
            let iso = String::from_utf8(iso).unwrap();
            proptest::prop_assert_eq!(&iso, &d.to_string());
            proptest::prop_assert_eq!(&iso, &d.format("%Y-%m-%d").to_string());
            proptest::prop_assert_eq!(String::from_utf8(sie).unwrap(), d.format("%Y%m%d").to_string());
        }
    }
}
