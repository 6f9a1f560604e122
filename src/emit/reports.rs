//! The day's CSV files (DESIGN.md "Outputs the contract fixes"): UTF-8,
//! header row, dates YYYY-MM-DD, amounts with `.` and two decimals, never
//! localised. Rows are sorted by the documented key of each file.

use rayon::prelude::*;

use super::CsvRow;
use crate::engine::{Allocation, Awaiting, Refund, Refusal, SuspenseItem};
use crate::ingest::Error;
use crate::model::{sort_prefix, Letter};

/// Rows per parallel task: each chunk is written by its own CSV writer, and
/// the chunks are joined in order (the bytes are those of one writer).
const ROWS_PER_TASK: usize = 8192;

/// A CSV report: `header`, then a row per item in order (`row` fills it).
fn to_bytes<T: Sync>(header: &[&str], items: &[T], row: impl Fn(&T, &mut CsvRow) + Sync) -> Vec<u8> {
    let write = |items: &[T]| -> Vec<u8> {
        let mut out = Vec::new();
        for item in items {
            let mut r = CsvRow::new(&mut out);
            row(item, &mut r);
            r.end();
        }
        out
    };
    let mut head = Vec::new();
    CsvRow::header(&mut head, header);
    let mut parts = vec![head];
    parts.par_extend(items.par_chunks(ROWS_PER_TASK).map(write));
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
        |l, r| {
            r.text(&l.letter_id).text(&l.claim_id).text(&l.creditor_id).text(&l.invoice_number).text(&l.debtor.id);
            r.text(l.kind.as_str()).text(&l.language).text(l.channel.as_str()).text(l.currency.code());
            r.amount(l.principal).amount(l.interest).amount(l.fees).amount(l.amount_due).date(l.pay_by);
            r.text(&l.reference).text(&l.file).number(u64::from(l.page));
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
        |s, r| {
            let p = &s.payment;
            let reference =
                if p.structured_ref.is_empty() { p.unstructured.as_str() } else { p.structured_ref.as_str() };
            r.text(&p.payment_id).text(&p.source.file).date(p.booking_date).amount(p.amount.amount());
            r.text(p.amount.currency().code()).text(reference).text(&p.payer).text(&s.reason);
        },
    )
}

/// `refunds.csv`, in (booking date, payment id) order.
pub fn refunds(items: &[Refund]) -> Vec<u8> {
    let mut sorted: Vec<&Refund> = items.iter().collect();
    sorted.sort_by(|a, b| {
        (a.payment.booking_date, &a.payment.payment_id).cmp(&(b.payment.booking_date, &b.payment.payment_id))
    });
    to_bytes(&["payment_id", "claim_id", "booking_date", "amount", "currency", "payer", "reason"], &sorted, |f, r| {
        r.text(&f.payment.payment_id).text(&f.claim_id).date(f.payment.booking_date).amount(f.amount);
        r.text(f.payment.amount.currency().code()).text(&f.payment.payer).text(f.reason);
    })
}

/// `awaiting_approval.csv`, in claim-id order.
pub fn awaiting(items: &[Awaiting]) -> Vec<u8> {
    let mut sorted: Vec<&Awaiting> = items.iter().collect();
    sorted.sort_by(|a, b| a.claim_id.cmp(&b.claim_id));
    to_bytes(&["claim_id", "creditor_id", "step", "since"], &sorted, |a, r| {
        r.text(&a.claim_id).text(&a.creditor_id).text(a.step).date(a.since);
    })
}

/// `refused.csv`: receivables rows not admitted, in (file, line) order.
pub fn refused(items: &[Refusal]) -> Vec<u8> {
    let mut sorted: Vec<&Refusal> = items.iter().collect();
    sorted.sort_by(|a, b| a.source.cmp(&b.source));
    to_bytes(&["source_file", "line", "creditor_id", "invoice_number", "reason", "detail"], &sorted, |f, r| {
        r.text(&f.source.file).number(u64::from(f.source.line)).text(&f.creditor_id).text(&f.invoice_number);
        r.text(f.reason).text(&f.detail);
    })
}

/// `rejected_rows.csv`: rows that could not be read, in (file, line) order.
pub fn rejected_rows(items: &[Error]) -> Vec<u8> {
    let mut sorted: Vec<&Error> = items.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    to_bytes(&["source_file", "line", "field", "value", "expected"], &sorted, |e, r| {
        r.text(&e.file).number(u64::from(e.line)).text(&e.field).text(&e.value).text(&e.expected);
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
        |a, r| {
            r.text(&a.payment_id).text(&a.claim_id).text(&a.creditor_id).text(&a.invoice_number);
            r.date(a.booking_date).text(a.currency.code()).amount(a.fees).amount(a.interest).amount(a.principal);
            r.text(a.method);
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
        let cells = |i: &u32| [format!("P{i}"), format!("=cmd {i}"), format!("a \"quoted\", {i}"), String::new()];
        let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        w.write_record(["id", "formula", "text", "empty"]).unwrap();
        for i in &items {
            w.write_record(cells(i).iter().map(|c| super::super::csv_cell(c).into_owned())).unwrap();
        }
        let one_writer = w.into_inner().unwrap();
        let row = |i: &u32, r: &mut CsvRow| {
            for cell in cells(i) {
                r.text(&cell);
            }
        };
        assert_eq!(to_bytes(&["id", "formula", "text", "empty"], &items, row), one_writer);
        assert!(String::from_utf8(one_writer).unwrap().contains("'=cmd 8192,\"a \"\"quoted\"\", 8192\",\n"));
    }
}
