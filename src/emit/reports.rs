//! The day's CSV files (DESIGN.md "Outputs the contract fixes"): UTF-8,
//! header row, dates YYYY-MM-DD, amounts with `.` and two decimals, never
//! localised. Rows are sorted by the documented key of each file.

use std::borrow::Cow;

use rayon::prelude::*;

use super::CsvRow;
use crate::engine::{Allocation, Awaiting, Refund, Refusal, SuspenseItem};
use crate::ingest::Error;
use crate::model::{fmt_amount, sort_prefix, Letter};

/// Rows per parallel task: each chunk is written by its own CSV writer, and
/// the chunks are joined in order (the bytes are those of one writer).
const ROWS_PER_TASK: usize = 8192;

/// A CSV report: `header`, then `row(item)` for each item in order.
fn to_bytes<T: Sync>(header: &[&str], items: &[T], row: impl Fn(&T) -> Vec<Cow<'_, str>> + Sync) -> Vec<u8> {
    let write = |items: &[T], header: Option<&[&str]>| -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(header) = header {
            let mut r = CsvRow::new(&mut out);
            for column in header {
                r.field(column.as_bytes());
            }
            r.end();
        }
        for item in items {
            let mut r = CsvRow::new(&mut out);
            for cell in row(item) {
                r.field(super::csv_cell(&cell).as_bytes());
            }
            r.end();
        }
        out
    };
    let mut parts = vec![write(&[], Some(header))];
    parts.par_extend(items.par_chunks(ROWS_PER_TASK).map(|chunk| write(chunk, None)));
    super::concat(parts)
}

/// `letters/manifest.csv`, one row per letter in (claim_id, kind) order.
pub fn letters_manifest(letters: &[Letter]) -> Vec<u8> {
    let mut sorted: Vec<&Letter> = letters.iter().collect();
    sorted.sort_by(|a, b| (&a.claim_id, a.kind).cmp(&(&b.claim_id, b.kind)));
    to_bytes(
        &[
            "letter_id",
            "claim_id",
            "creditor_id",
            "invoice_number",
            "debtor_id",
            "kind",
            "language",
            "channel",
            "currency",
            "principal",
            "interest",
            "fees",
            "amount_due",
            "pay_by",
            "reference",
            "file",
            "page",
        ],
        &sorted,
        |l| {
            vec![
                l.letter_id.as_str().into(),
                l.claim_id.as_str().into(),
                l.creditor_id.as_str().into(),
                l.invoice_number.as_str().into(),
                l.debtor.id.as_str().into(),
                l.kind.as_str().into(),
                l.language.as_str().into(),
                l.channel.as_str().into(),
                l.currency.code().into(),
                fmt_amount(l.principal).into(),
                fmt_amount(l.interest).into(),
                fmt_amount(l.fees).into(),
                fmt_amount(l.amount_due).into(),
                l.pay_by.to_string().into(),
                l.reference.as_str().into(),
                l.file.as_str().into(),
                l.page.to_string().into(),
            ]
        },
    )
}

/// `suspense.csv`, in (booking date, source file, payment id) order.
pub fn suspense(items: &[SuspenseItem]) -> Vec<u8> {
    let mut sorted: Vec<&SuspenseItem> = items.iter().collect();
    sorted.sort_by(|a, b| {
        (a.payment.booking_date, &a.payment.source, &a.payment.payment_id).cmp(&(
            b.payment.booking_date,
            &b.payment.source,
            &b.payment.payment_id,
        ))
    });
    to_bytes(
        &["payment_id", "source_file", "booking_date", "amount", "currency", "reference", "payer", "reason"],
        &sorted,
        |s| {
            let p = &s.payment;
            let reference =
                if p.structured_ref.is_empty() { p.unstructured.as_str() } else { p.structured_ref.as_str() };
            vec![
                p.payment_id.as_str().into(),
                p.source.file.as_str().into(),
                p.booking_date.to_string().into(),
                fmt_amount(p.amount.amount()).into(),
                p.amount.currency().code().to_string().into(),
                reference.into(),
                p.payer.as_str().into(),
                s.reason.as_str().into(),
            ]
        },
    )
}

/// `refunds.csv`, in (booking date, payment id) order.
pub fn refunds(items: &[Refund]) -> Vec<u8> {
    let mut sorted: Vec<&Refund> = items.iter().collect();
    sorted.sort_by(|a, b| {
        (a.payment.booking_date, &a.payment.payment_id).cmp(&(b.payment.booking_date, &b.payment.payment_id))
    });
    to_bytes(&["payment_id", "claim_id", "booking_date", "amount", "currency", "payer", "reason"], &sorted, |r| {
        vec![
            r.payment.payment_id.as_str().into(),
            r.claim_id.as_str().into(),
            r.payment.booking_date.to_string().into(),
            fmt_amount(r.amount).into(),
            r.payment.amount.currency().code().to_string().into(),
            r.payment.payer.as_str().into(),
            r.reason.into(),
        ]
    })
}

/// `awaiting_approval.csv`, in claim-id order.
pub fn awaiting(items: &[Awaiting]) -> Vec<u8> {
    let mut sorted: Vec<&Awaiting> = items.iter().collect();
    sorted.sort_by(|a, b| a.claim_id.cmp(&b.claim_id));
    to_bytes(&["claim_id", "creditor_id", "step", "since"], &sorted, |a| {
        vec![a.claim_id.as_str().into(), a.creditor_id.as_str().into(), a.step.into(), a.since.to_string().into()]
    })
}

/// `refused.csv`: receivables rows not admitted, in (file, line) order.
pub fn refused(items: &[Refusal]) -> Vec<u8> {
    let mut sorted: Vec<&Refusal> = items.iter().collect();
    sorted.sort_by(|a, b| a.source.cmp(&b.source));
    to_bytes(&["source_file", "line", "creditor_id", "invoice_number", "reason", "detail"], &sorted, |r| {
        vec![
            r.source.file.as_str().into(),
            r.source.line.to_string().into(),
            r.creditor_id.as_str().into(),
            r.invoice_number.as_str().into(),
            r.reason.into(),
            r.detail.as_str().into(),
        ]
    })
}

/// `rejected_rows.csv`: rows that could not be read, in (file, line) order.
pub fn rejected_rows(items: &[Error]) -> Vec<u8> {
    let mut sorted: Vec<&Error> = items.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    to_bytes(&["source_file", "line", "field", "value", "expected"], &sorted, |e| {
        vec![
            e.file.as_str().into(),
            e.line.to_string().into(),
            e.field.as_str().into(),
            e.value.as_str().into(),
            e.expected.as_str().into(),
        ]
    })
}

/// `allocations.csv`: how each payment was split, in (booking date, payment id) order
/// (equal keys in the night's order).
pub fn allocations(items: &[Allocation]) -> Vec<u8> {
    let mut keyed: Vec<(chrono::NaiveDate, u128, usize)> =
        items.iter().enumerate().map(|(i, a)| (a.booking_date, sort_prefix(&a.payment_id), i)).collect();
    keyed.par_sort_unstable_by(|x, y| {
        (x.0, x.1).cmp(&(y.0, y.1)).then_with(|| items[x.2].payment_id.cmp(&items[y.2].payment_id)).then(x.2.cmp(&y.2))
    });
    let sorted: Vec<&Allocation> = keyed.iter().map(|k| &items[k.2]).collect();
    to_bytes(
        &[
            "payment_id",
            "claim_id",
            "creditor_id",
            "invoice_number",
            "booking_date",
            "currency",
            "fees",
            "interest",
            "principal",
            "method",
        ],
        &sorted,
        |a| {
            vec![
                a.payment_id.as_str().into(),
                a.claim_id.as_str().into(),
                a.creditor_id.as_str().into(),
                a.invoice_number.as_str().into(),
                a.booking_date.to_string().into(),
                a.currency.code().into(),
                fmt_amount(a.fees).into(),
                fmt_amount(a.interest).into(),
                fmt_amount(a.principal).into(),
                a.method.into(),
            ]
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks written in parallel join into exactly what one writer writes,
    /// across chunk boundaries, with quoting and formula-escaped cells.
    #[test]
    fn parallel_chunks_join_into_one_writers_bytes() {
        let items: Vec<u32> = (0..3 * ROWS_PER_TASK as u32 + 17).collect();
        fn row(i: &u32) -> Vec<Cow<'_, str>> {
            vec![format!("P{i}").into(), format!("=cmd {i}").into(), format!("a \"quoted\", {i}").into(), "".into()]
        }
        let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        w.write_record(["id", "formula", "text", "empty"]).unwrap();
        for i in &items {
            w.write_record(row(i).iter().map(|c| super::super::csv_cell(c).into_owned())).unwrap();
        }
        let one_writer = w.into_inner().unwrap();
        assert_eq!(to_bytes(&["id", "formula", "text", "empty"], &items, row), one_writer);
        assert!(String::from_utf8(one_writer).unwrap().contains("'=cmd 8192,\"a \"\"quoted\"\", 8192\",\n"));
    }
}
