//! `payments.parquet` (every booked bank transaction, by idempotency key)
//! and `events.parquet` (the day's part of the audit log).

use polars::prelude::*;
use rayon::prelude::*;

use super::table::TableBuilder;
use super::Table;
use crate::engine::{BookedPayment, Ledger};
use crate::model::{Currency, Event};
use crate::store::Error;

/// One row per booked bank transaction, in idempotency-key order.
pub const PAYMENTS: &str = "payments.parquet";
/// One row per audit event of the day, in the order the night made them.
pub const EVENTS: &str = "events.parquet";

/// `payments.parquet` as Parquet bytes.
pub fn payments_table(payments: &[&BookedPayment]) -> PolarsResult<Vec<u8>> {
    let mut t = TableBuilder::new(payments);
    t.text("payment_id", |p| &p.payment_id);
    t.text("key", |p| &p.key);
    t.date("booked_on", |p| p.booked_on);
    t.date("booking_date", |p| p.booking_date);
    t.amount("amount", |p| p.amount);
    t.word("currency", |p| p.currency.code());
    t.word("outcome", |p| &p.outcome);
    t.text("claim_id", |p| &p.claim_id);
    t.word("account", |p| &p.account);
    t.text("bank_ref", |p| &p.bank_ref);
    t.text("reference", |p| &p.reference);
    t.amount("fees", |p| p.fees);
    t.amount("interest", |p| p.interest);
    t.amount("principal", |p| p.principal);
    t.to_parquet()
}

/// `events.parquet` as Parquet bytes.
pub fn events_table(events: &[Event]) -> PolarsResult<Vec<u8>> {
    let mut t = TableBuilder::new(events);
    t.date("date", |e| e.date);
    t.text("claim_id", |e| &e.claim_id);
    t.text("payment_id", |e| &e.payment_id);
    t.word("kind", |e| &e.kind);
    t.amount("amount", |e| e.amount);
    t.word("rule", |e| &e.rule);
    t.text("detail", |e| &e.detail);
    t.to_parquet()
}

/// The booked payments of `payments.parquet`, by idempotency key.
///
/// # Errors
/// `Error::Snapshot` naming the file, column and row of the first bad value.
pub fn read_payments(t: &Table) -> Result<Ledger, Error> {
    let (payment_id, key, outcome, claim_id) =
        (t.texts("payment_id")?, t.keys("key")?, t.texts("outcome")?, t.texts("claim_id")?);
    let (account, bank_ref, reference) = (t.texts("account")?, t.texts("bank_ref")?, t.texts("reference")?);
    let (booked_on, booking_date) = (t.dates("booked_on")?, t.dates("booking_date")?);
    let currency = t.words("currency", Currency::from_str_exact)?;
    let (amount, fees, interest, principal) =
        (t.amounts("amount")?, t.amounts("fees")?, t.amounts("interest")?, t.amounts("principal")?);
    let mut rows: Vec<(std::sync::Arc<str>, std::sync::Arc<BookedPayment>)> = Vec::with_capacity(t.len());
    (0..t.len())
        .into_par_iter()
        .map(|i| {
            let payment = BookedPayment {
                payment_id: payment_id.get(i).into(),
                key: key.get(i).into(),
                booked_on: booked_on[i],
                booking_date: booking_date[i],
                amount: amount[i],
                currency: currency[i],
                outcome: outcome.get(i).into(),
                claim_id: claim_id.get(i).into(),
                account: account.get(i).into(),
                bank_ref: bank_ref.get(i).into(),
                reference: reference.get(i).into(),
                fees: fees[i],
                interest: interest[i],
                principal: principal[i],
            };
            (payment.key.clone(), std::sync::Arc::new(payment))
        })
        .collect_into_vec(&mut rows);
    Ok(rows.into_iter().collect())
}

/// The events of `events.parquet`, in file order.
///
/// # Errors
/// `Error::Snapshot` naming the file, column and row of the first bad value.
pub fn read_events(t: &Table) -> Result<Vec<Event>, Error> {
    let (claim_id, payment_id, kind) = (t.texts("claim_id")?, t.texts("payment_id")?, t.texts("kind")?);
    let (rule, detail) = (t.texts("rule")?, t.texts("detail")?);
    let (date, amount) = (t.dates("date")?, t.amounts("amount")?);
    let mut events = Vec::with_capacity(t.len());
    (0..t.len())
        .into_par_iter()
        .map(|i| Event {
            date: date[i],
            claim_id: claim_id.get(i).into(),
            payment_id: payment_id.get(i).into(),
            kind: kind.get(i).to_owned().into(),
            amount: amount[i],
            rule: rule.get(i).to_owned().into(),
            detail: detail.get(i).into(),
        })
        .collect_into_vec(&mut events);
    Ok(events)
}
