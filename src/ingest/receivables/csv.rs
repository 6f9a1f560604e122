//! The canonical receivables CSV (schema: `schemas/receivables.csv.md`).
//!
//! A file whose structure is broken (not UTF-8, no header, a required column
//! missing) is rejected whole. A row with a bad value is rejected alone, with
//! the line, field, value and what was expected; the file's other rows run.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::ingest::Error;
use crate::model::{parse_amount, Channel, Currency, Debtor, DebtorKind, InvoiceStatus, ReceivableRow, Source};

/// Columns every receivables file must have.
pub const REQUIRED: &[&str] = &[
    "creditor_id",
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "amount",
    "open_amount",
    "status",
    "reference",
    "debtor_id",
    "debtor_type",
    "debtor_name",
    "debtor_address1",
    "debtor_postcode",
    "debtor_city",
    "debtor_country",
    "delivery",
];

/// Columns that may be absent.
pub const OPTIONAL: &[&str] = &[
    "debtor_address2",
    "debtor_email",
    "debtor_language",
    "debtor_group",
    "reminded_by_creditor",
    "other_agency",
    "credited_invoice",
    "description",
];

/// Good rows and rejected rows of one file.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<ReceivableRow>,
    pub rejects: Vec<Error>,
}

/// True if the first line is a receivables header.
pub fn sniff(bytes: &[u8]) -> bool {
    let first = first_line(bytes);
    first.contains("creditor_id") && first.contains("invoice_number") && first.contains("open_amount")
}

fn first_line(bytes: &[u8]) -> String {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len()).min(4096);
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Parses a receivables CSV. `file` names the file in each row's `Source`.
///
/// # Errors
/// The whole file is rejected (all reasons returned) when it is not UTF-8,
/// has no header or lacks a required column.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Parsed, Vec<Error>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u32;
        return Err(vec![Error::new(
            line,
            "(encoding)",
            "",
            "UTF-8 text (the file has bytes that are not UTF-8; export it as UTF-8)",
        )]);
    }
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![Error::new(1, "(header)", &e.to_string(), "a header row")]),
    };
    let index: Columns = header.iter().enumerate().map(|(i, h)| (h.trim(), i)).collect();
    let missing: Vec<Error> = REQUIRED
        .iter()
        .filter(|c| !index.contains_key(*c))
        .map(|c| Error::new(1, c, "", format!("a column named {c} in the header")))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut out = Parsed::default();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as u32);
                out.rejects.push(Error::new(line, "(row)", &e.to_string(), "a well-formed CSV row"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as u32);
        let cells = Cells { index: &index, record: &record };
        match parse_row(file, line, &cells) {
            Ok(row) => out.rows.push(row),
            Err(e) => out.rejects.push(e),
        }
    }
    Ok(out)
}

/// The first `n` characters of `s` (all of it when shorter).
fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(end, _)| &s[..end])
}

/// A header's column positions by name. foldhash, not std's SipHash: a
/// row looks up every column (5 M lookups for 200 000 invoices).
type Columns<'a> = HashMap<&'a str, usize, foldhash::fast::FixedState>;

/// The cells of one record, looked up by column name (missing = empty).
struct Cells<'a> {
    index: &'a Columns<'a>,
    record: &'a ::csv::StringRecord,
}

impl<'a> Cells<'a> {
    fn get(&self, name: &str) -> &'a str {
        self.index.get(name).and_then(|&i| self.record.get(i)).unwrap_or("").trim()
    }
}

fn parse_row(file: &str, line: u32, cells: &Cells<'_>) -> Result<ReceivableRow, Error> {
    let get = |name: &str| cells.get(name);
    let text = |name: &str| -> Result<String, Error> {
        let v = get(name);
        if v.is_empty()
            && REQUIRED.contains(&name)
            && !matches!(name, "reference" | "debtor_address1" | "debtor_postcode" | "debtor_city")
        {
            return Err(Error::new(line, name, v, "a value (the column is required)"));
        }
        Ok(v.to_string())
    };
    let date = |name: &str| -> Result<NaiveDate, Error> {
        let v = get(name);
        crate::ingest::parse_ymd(v).ok_or_else(|| Error::new(line, name, v, "a calendar date as YYYY-MM-DD"))
    };
    let amount = |name: &str| -> Result<rust_decimal::Decimal, Error> {
        let v = get(name);
        parse_amount(v).map_err(|_| {
            Error::new(
                line,
                name,
                v,
                "a plain decimal with '.' and at most two decimals, like 1234.50 (no thousands separator)",
            )
        })
    };
    let flag = |name: &str| -> Result<bool, Error> {
        match get(name).to_ascii_lowercase().as_str() {
            "" | "false" | "0" | "no" => Ok(false),
            "true" | "1" | "yes" => Ok(true),
            _ => Err(Error::new(line, name, get(name), "true or false")),
        }
    };
    let creditor_id = text("creditor_id")?;
    if !creditor_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(line, "creditor_id", &creditor_id, "the creditor's org number, digits only"));
    }
    let currency: Currency = get("currency")
        .parse()
        .map_err(|_| Error::new(line, "currency", get("currency"), "an ISO 4217 code like SEK"))?;
    let status = InvoiceStatus::parse(get("status")).ok_or_else(|| {
        Error::new(line, "status", get("status"), "one of sent, partially_paid, paid, credited, financed, cancelled")
    })?;
    let kind = match get("debtor_type") {
        "consumer" => DebtorKind::Consumer,
        "business" => DebtorKind::Business,
        v => return Err(Error::new(line, "debtor_type", v, "consumer or business")),
    };
    let channel = match get("delivery") {
        "paper" => Channel::Paper,
        "email" => Channel::Email,
        "einvoice" => Channel::Einvoice,
        v => return Err(Error::new(line, "delivery", v, "paper, email or einvoice")),
    };
    let language = get("debtor_language");
    if !matches!(language, "" | "sv" | "da" | "nb" | "fi" | "en") {
        return Err(Error::new(line, "debtor_language", language, "one of sv, da, nb, fi, en (or empty)"));
    }
    let country = text("debtor_country")?;
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::new(line, "debtor_country", &country, "an ISO 3166 alpha-2 code like SE"));
    }
    let row = ReceivableRow {
        source: Source { file: file.to_string(), line },
        invoice_number: text("invoice_number")?,
        invoice_date: date("invoice_date")?,
        due_date: date("due_date")?,
        currency,
        amount: amount("amount")?,
        open_amount: amount("open_amount")?,
        status,
        reference: get("reference").to_string(),
        debtor: Debtor {
            id: text("debtor_id")?.into(),
            kind,
            name: text("debtor_name")?.into(),
            address1: get("debtor_address1").into(),
            address2: get("debtor_address2").into(),
            postcode: get("debtor_postcode").into(),
            city: get("debtor_city").into(),
            country: country.into(),
            email: get("debtor_email").into(),
            language: language.into(),
        },
        debtor_group: get("debtor_group").to_string(),
        channel,
        reminded_by_creditor: flag("reminded_by_creditor")?,
        other_agency: flag("other_agency")?,
        credited_invoice: get("credited_invoice").to_string(),
        description: first_chars(get("description"), 1000).to_string(),
        creditor_id,
    };
    if row.is_credit_note() && row.amount.is_sign_positive() && !row.amount.is_zero() {
        return Err(Error::new(
            line,
            "amount",
            get("amount"),
            "a negative amount for a credit note (credited_invoice is set)",
        ));
    }
    if !row.is_credit_note() && (row.amount.is_sign_negative() || row.open_amount.is_sign_negative()) {
        return Err(Error::new(
            line,
            "amount",
            get("amount"),
            "a non-negative amount and open_amount for an invoice (a credit note needs credited_invoice)",
        ));
    }
    if !row.is_credit_note() && row.open_amount > row.amount {
        return Err(Error::new(
            line,
            "open_amount",
            get("open_amount"),
            format!("at most the invoice amount {}", get("amount")),
        ));
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "creditor_id,invoice_number,invoice_date,due_date,currency,amount,open_amount,status,reference,debtor_id,debtor_type,debtor_name,debtor_address1,debtor_postcode,debtor_city,debtor_country,delivery";

    #[test]
    fn a_description_keeps_its_first_thousand_characters() {
        assert_eq!(first_chars("Åsa", 2), "Ås");
        assert_eq!(first_chars("Åsa", 3), "Åsa");
        assert_eq!(first_chars("", 1000), "");
        let long = "ö".repeat(1001);
        assert_eq!(first_chars(&long, 1000), "ö".repeat(1000));
    }

    #[test]
    fn good_and_bad_rows() {
        let text = format!(
            "{HEADER}\n5561234567,1001,2024-11-01,2024-11-30,SEK,1000.00,1000.00,sent,1001,D1,consumer,Åsa Öberg,Storgatan 1,12345,Västerås,SE,paper\n\
             5561234567,1002,2024-02-30,2024-11-30,SEK,1000.00,1000.00,sent,1002,D1,consumer,A,B,1,C,SE,paper\n\
             5561234567,1003,2024-11-01,2024-11-30,SEK,\"1 000,00\",1000.00,sent,1003,D1,consumer,A,B,1,C,SE,paper\n"
        );
        let p = parse("r.csv", text.as_bytes()).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].debtor.name, "Åsa Öberg");
        assert_eq!(p.rows[0].source, Source { file: "r.csv".into(), line: 2 });
        assert_eq!(p.rejects.len(), 2);
        assert_eq!((p.rejects[0].line, p.rejects[0].field.as_str()), (3, "invoice_date"));
        assert_eq!(p.rejects[0].value, "2024-02-30");
        assert_eq!((p.rejects[1].line, p.rejects[1].field.as_str()), (4, "amount"));
    }

    #[test]
    fn missing_column_rejects_the_file() {
        let errs = parse("r.csv", b"creditor_id,invoice_number\n1,2\n").unwrap_err();
        assert!(errs.iter().any(|e| e.field == "due_date"));
    }

    #[test]
    fn non_utf8_rejects_the_file_with_line() {
        let mut bytes = format!("{HEADER}\n").into_bytes();
        bytes.extend_from_slice(
            b"5561234567,1,2024-01-01,2024-01-31,SEK,1.00,1.00,sent,1,D,consumer,\xC5sa,x,1,y,SE,paper\n",
        );
        let errs = parse("r.csv", &bytes).unwrap_err();
        assert_eq!(errs[0].line, 2);
    }
}
