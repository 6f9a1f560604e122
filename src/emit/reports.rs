//! The day's CSV files (DESIGN.md "Outputs the contract fixes"): UTF-8,
//! header row, dates YYYY-MM-DD, amounts with `.` and two decimals, never
//! localised. Rows are sorted by the documented key of each file.

use rayon::prelude::*;

use crate::engine::{Allocation, Awaiting, Refund, Refusal, SuspenseItem};
use crate::ingest::Error;
use crate::model::{fmt_amount, Letter};

/// Rows per parallel task: each chunk is written by its own CSV writer, and
/// the chunks are joined in order (the bytes are those of one writer).
const ROWS_PER_TASK: usize = 8192;

/// A CSV report: `header`, then `row(item)` for each item in order.
fn to_bytes<T: Sync>(header: &[&str], items: &[T], row: impl Fn(&T) -> Vec<String> + Sync) -> Vec<u8> {
    let write = |items: &[T], header: Option<&[&str]>| -> Vec<u8> {
        let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        // Writing to a Vec cannot fail.
        if let Some(header) = header {
            w.write_record(header).expect("invariant: writing CSV to memory");
        }
        for item in items {
            for cell in row(item) {
                w.write_field(super::csv_cell(&cell).as_bytes()).expect("invariant: writing CSV to memory");
            }
            w.write_record(None::<&[u8]>).expect("invariant: writing CSV to memory");
        }
        w.into_inner().expect("invariant: flushing CSV to memory")
    };
    let mut out = write(&[], Some(header));
    let chunks: Vec<Vec<u8>> = items.par_chunks(ROWS_PER_TASK).map(|chunk| write(chunk, None)).collect();
    for chunk in chunks {
        out.extend_from_slice(&chunk);
    }
    out
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
                l.letter_id.clone(),
                l.claim_id.clone(),
                l.creditor_id.clone(),
                l.invoice_number.clone(),
                l.debtor.id.clone(),
                l.kind.as_str().into(),
                l.language.clone(),
                l.channel.as_str().into(),
                l.currency.code().into(),
                fmt_amount(l.principal),
                fmt_amount(l.interest),
                fmt_amount(l.fees),
                fmt_amount(l.amount_due),
                l.pay_by.to_string(),
                l.reference.clone(),
                l.file.clone(),
                l.page.to_string(),
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
                if p.structured_ref.is_empty() { p.unstructured.to_string() } else { p.structured_ref.to_string() };
            vec![
                p.payment_id.to_string(),
                p.source.file.clone(),
                p.booking_date.to_string(),
                fmt_amount(p.amount.amount()),
                p.amount.currency().code().into(),
                reference,
                p.payer.to_string(),
                s.reason.clone(),
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
            r.payment.payment_id.to_string(),
            r.claim_id.clone(),
            r.payment.booking_date.to_string(),
            fmt_amount(r.amount),
            r.payment.amount.currency().code().into(),
            r.payment.payer.to_string(),
            r.reason.into(),
        ]
    })
}

/// `awaiting_approval.csv`, in claim-id order.
pub fn awaiting(items: &[Awaiting]) -> Vec<u8> {
    let mut sorted: Vec<&Awaiting> = items.iter().collect();
    sorted.sort_by(|a, b| a.claim_id.cmp(&b.claim_id));
    to_bytes(&["claim_id", "creditor_id", "step", "since"], &sorted, |a| {
        vec![a.claim_id.clone(), a.creditor_id.clone(), a.step.into(), a.since.to_string()]
    })
}

/// `refused.csv`: receivables rows not admitted, in (file, line) order.
pub fn refused(items: &[Refusal]) -> Vec<u8> {
    let mut sorted: Vec<&Refusal> = items.iter().collect();
    sorted.sort_by(|a, b| a.source.cmp(&b.source));
    to_bytes(&["source_file", "line", "creditor_id", "invoice_number", "reason", "detail"], &sorted, |r| {
        vec![
            r.source.file.clone(),
            r.source.line.to_string(),
            r.creditor_id.clone(),
            r.invoice_number.clone(),
            r.reason.into(),
            r.detail.clone(),
        ]
    })
}

/// `rejected_rows.csv`: rows that could not be read, in (file, line) order.
pub fn rejected_rows(items: &[Error]) -> Vec<u8> {
    let mut sorted: Vec<&Error> = items.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    to_bytes(&["source_file", "line", "field", "value", "expected"], &sorted, |e| {
        vec![e.file.clone(), e.line.to_string(), e.field.clone(), e.value.clone(), e.expected.clone()]
    })
}

/// `allocations.csv`: how each payment was split, in (booking date, payment id) order.
pub fn allocations(items: &[Allocation]) -> Vec<u8> {
    let mut sorted: Vec<&Allocation> = items.iter().collect();
    sorted.sort_by(|a, b| (a.booking_date, &a.payment_id).cmp(&(b.booking_date, &b.payment_id)));
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
                a.payment_id.clone(),
                a.claim_id.clone(),
                a.creditor_id.clone(),
                a.invoice_number.clone(),
                a.booking_date.to_string(),
                a.currency.code().into(),
                fmt_amount(a.fees),
                fmt_amount(a.interest),
                fmt_amount(a.principal),
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
        let row = |i: &u32| vec![format!("P{i}"), format!("=cmd {i}"), format!("a \"quoted\", {i}"), String::new()];
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
