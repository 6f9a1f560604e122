//! The journal as CSV: one row per posting.
//!
//! Columns `date,voucher,account,amount,currency,invoice_number,claim_id,text`;
//! UTF-8 without BOM, a header row, `,` separated, fields quoted only
//! when needed (RFC 4180, as the `csv` crate writes them), LF line ends.
//! `date` is the verification date `YYYY-MM-DD`, `voucher` the
//! verification's number, `amount` signed (positive = debit) with `.` and
//! two decimals, `text` the posting's text (the verification's text when
//! the posting has none).

use std::borrow::Borrow;

use crate::emit::CsvRow;
use crate::model::Verification;

/// The header row, in column order.
pub const COLUMNS: [&str; 8] =
    ["date", "voucher", "account", "amount", "currency", "invoice_number", "claim_id", "text"];

/// The same postings as [`super::sie4::write`], as CSV bytes.
pub fn write<V: Borrow<Verification>>(verifications: &[V]) -> Vec<u8> {
    let mut out = Vec::new();
    CsvRow::header(&mut out, &COLUMNS);
    for v in verifications.iter().map(Borrow::borrow) {
        for p in v.postings() {
            let text = if p.text.is_empty() { v.text() } else { p.text.as_str() };
            let mut row = CsvRow::new(&mut out);
            row.date(v.date()).number(u64::from(v.number())).field(p.account.as_bytes()).amount(p.amount);
            row.field(v.currency().code().as_bytes()).text(&p.invoice_number).text(&p.claim_id).text(text);
            row.end();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, Posting};
    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn posting(account: &str, amount: Decimal, text: &str, invoice: &str) -> Posting {
        Posting {
            account: account.into(),
            amount,
            text: text.into(),
            invoice_number: invoice.into(),
            claim_id: if invoice.is_empty() { "".into() } else { format!("C-{invoice}").into() },
        }
    }

    #[test]
    fn rows_are_exact() {
        let v = Verification::new(
            "CR1",
            NaiveDate::from_ymd_opt(2025, 1, 10).unwrap(),
            7,
            "Inbetalning Märta Ström",
            Currency::SEK,
            vec![
                posting("1510", dec!(-1000), "Faktura 1001", "1001"),
                posting("1510", dec!(-500.5), "Faktura \"1002\", rest", "1002"),
                posting("8313", dec!(-12.34), "Ränta 1001", "1001"),
                posting("1930", dec!(1512.84), "", ""),
            ],
        )
        .unwrap();
        let got = String::from_utf8(write(&[v])).unwrap();
        let want = "date,voucher,account,amount,currency,invoice_number,claim_id,text\n\
2025-01-10,7,1510,-1000.00,SEK,1001,C-1001,Faktura 1001\n\
2025-01-10,7,1510,-500.50,SEK,1002,C-1002,\"Faktura \"\"1002\"\", rest\"\n\
2025-01-10,7,8313,-12.34,SEK,1001,C-1001,Ränta 1001\n\
2025-01-10,7,1930,1512.84,SEK,,,Inbetalning Märta Ström\n";
        assert_eq!(got, want);
    }

    #[test]
    fn empty_journal_is_just_the_header() {
        assert_eq!(
            write::<Verification>(&[]),
            b"date,voucher,account,amount,currency,invoice_number,claim_id,text\n".to_vec()
        );
    }
}
