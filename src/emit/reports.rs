//! The day's CSV files (DESIGN.md "Outputs the contract fixes"): UTF-8,
//! header row, dates YYYY-MM-DD, amounts with `.` and two decimals, never
//! localised. Rows are sorted by the documented key of each file.

use crate::engine::{Allocation, Awaiting, Refund, Refusal, SuspenseItem};
use crate::ingest::Error;
use crate::model::{fmt_amount, Letter};

fn to_bytes(header: &[&str], rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    w.write_record(header).expect("invariant: writing CSV to memory");
    for r in rows {
        w.write_record(r.iter().map(|c| super::csv_cell(c).into_owned())).expect("invariant: writing CSV to memory");
    }
    w.into_inner().expect("invariant: flushing CSV to memory")
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
        sorted
            .into_iter()
            .map(|l| {
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
            })
            .collect(),
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
        sorted
            .into_iter()
            .map(|s| {
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
            })
            .collect(),
    )
}

/// `refunds.csv`, in (booking date, payment id) order.
pub fn refunds(items: &[Refund]) -> Vec<u8> {
    let mut sorted: Vec<&Refund> = items.iter().collect();
    sorted.sort_by(|a, b| {
        (a.payment.booking_date, &a.payment.payment_id).cmp(&(b.payment.booking_date, &b.payment.payment_id))
    });
    to_bytes(
        &["payment_id", "claim_id", "booking_date", "amount", "currency", "payer", "reason"],
        sorted
            .into_iter()
            .map(|r| {
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
            .collect(),
    )
}

/// `awaiting_approval.csv`, in claim-id order.
pub fn awaiting(items: &[Awaiting]) -> Vec<u8> {
    let mut sorted: Vec<&Awaiting> = items.iter().collect();
    sorted.sort_by(|a, b| a.claim_id.cmp(&b.claim_id));
    to_bytes(
        &["claim_id", "creditor_id", "step", "since"],
        sorted
            .into_iter()
            .map(|a| vec![a.claim_id.clone(), a.creditor_id.clone(), a.step.into(), a.since.to_string()])
            .collect(),
    )
}

/// `refused.csv`: receivables rows not admitted, in (file, line) order.
pub fn refused(items: &[Refusal]) -> Vec<u8> {
    let mut sorted: Vec<&Refusal> = items.iter().collect();
    sorted.sort_by(|a, b| a.source.cmp(&b.source));
    to_bytes(
        &["source_file", "line", "creditor_id", "invoice_number", "reason", "detail"],
        sorted
            .into_iter()
            .map(|r| {
                vec![
                    r.source.file.clone(),
                    r.source.line.to_string(),
                    r.creditor_id.clone(),
                    r.invoice_number.clone(),
                    r.reason.into(),
                    r.detail.clone(),
                ]
            })
            .collect(),
    )
}

/// `rejected_rows.csv`: rows that could not be read, in (file, line) order.
pub fn rejected_rows(items: &[Error]) -> Vec<u8> {
    let mut sorted: Vec<&Error> = items.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    to_bytes(
        &["source_file", "line", "field", "value", "expected"],
        sorted
            .into_iter()
            .map(|e| vec![e.file.clone(), e.line.to_string(), e.field.clone(), e.value.clone(), e.expected.clone()])
            .collect(),
    )
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
        sorted
            .into_iter()
            .map(|a| {
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
            })
            .collect(),
    )
}
