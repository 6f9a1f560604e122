//! `claims.parquet` (one row per claim) and the claims' histories, one
//! table each with one row per entry (`claim_principal_changes.parquet`,
//! `claim_fees.parquet`, `claim_letters.parquet`,
//! `claim_credit_notes.parquet`). A history row names its claim by
//! `claim_no`; the rows follow the claims' order (`claim_id`), and one
//! claim's rows keep the order of its history.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use compact_str::CompactString;
use polars::prelude::*;
use rayon::prelude::*;

use super::table::{TableBuilder, Texts};
use super::Table;
use crate::model::{
    Channel, Claim, Currency, Debtor, DebtorKind, Fee, FeeKind, LetterKind, PrincipalCause, PrincipalChange,
    SentLetter, Stage,
};
use crate::store::Error;

/// One row per claim: everything but its histories.
pub const CLAIMS: &str = "claims.parquet";
/// One row per change of a claim's principal (payments, direct payments,
/// credit notes).
pub const PRINCIPAL_CHANGES: &str = "claim_principal_changes.parquet";
/// One row per fee charged on a claim.
pub const FEES: &str = "claim_fees.parquet";
/// One row per letter sent for a claim.
pub const LETTERS: &str = "claim_letters.parquet";
/// One row per credit note applied to a claim.
pub const CREDIT_NOTES: &str = "claim_credit_notes.parquet";

/// The value of a small enum whose word (`word`) is `s`, if any.
fn from_word<T: Copy>(values: &[T], word: fn(T) -> &'static str, s: &str) -> Option<T> {
    values.iter().copied().find(|v| word(*v) == s)
}

fn debtor_type(kind: DebtorKind) -> &'static str {
    match kind {
        DebtorKind::Consumer => "consumer",
        DebtorKind::Business => "business",
    }
}

fn cause(c: PrincipalCause) -> &'static str {
    match c {
        PrincipalCause::Payment => "payment",
        PrincipalCause::DirectPayment => "direct_payment",
        PrincipalCause::CreditNote => "credit_note",
    }
}

/// A fee's kind as the snapshot names it (serde's names, which the older
/// JSON columns used; `FeeKind::as_str` is the name in outputs).
fn fee_kind(k: FeeKind) -> &'static str {
    match k {
        FeeKind::Reminder => "reminder",
        FeeKind::Collection => "collection",
        FeeKind::LateCompensation => "late_compensation",
    }
}

fn parse_debtor_type(s: &str) -> Option<DebtorKind> {
    from_word(&[DebtorKind::Consumer, DebtorKind::Business], debtor_type, s)
}

fn parse_channel(s: &str) -> Option<Channel> {
    from_word(&[Channel::Paper, Channel::Email, Channel::Einvoice], Channel::as_str, s)
}

fn parse_cause(s: &str) -> Option<PrincipalCause> {
    from_word(&[PrincipalCause::Payment, PrincipalCause::DirectPayment, PrincipalCause::CreditNote], cause, s)
}

fn parse_fee_kind(s: &str) -> Option<FeeKind> {
    from_word(&[FeeKind::Reminder, FeeKind::Collection, FeeKind::LateCompensation], fee_kind, s)
}

fn parse_letter_kind(s: &str) -> Option<LetterKind> {
    from_word(&[LetterKind::Reminder, LetterKind::Collection], LetterKind::as_str, s)
}

/// The five tables of the claims, in file order: (file name, how to
/// build the table).
pub fn tables<'a>(claims: &'a [&'a Claim]) -> Vec<(&'static str, super::BuildTable<'a>)> {
    vec![
        (CLAIMS, Box::new(|| claims_table(claims))),
        (
            PRINCIPAL_CHANGES,
            Box::new(|| {
                history_table(
                    claims,
                    |c| &c.principal_changes,
                    |t| {
                        t.date("from", |(_, c)| c.from);
                        t.amount("delta", |(_, c)| c.delta);
                        t.word("cause", |(_, c)| cause(c.cause));
                    },
                )
            }),
        ),
        (
            FEES,
            Box::new(|| {
                history_table(
                    claims,
                    |c| &c.fees,
                    |t| {
                        t.word("kind", |(_, f)| fee_kind(f.kind));
                        t.amount("amount", |(_, f)| f.amount);
                        t.date("date", |(_, f)| f.date);
                        t.word("rule", |(_, f)| &f.rule);
                    },
                )
            }),
        ),
        (
            LETTERS,
            Box::new(|| {
                history_table(
                    claims,
                    |c| &c.letters,
                    |t| {
                        t.word("kind", |(_, l)| l.kind.as_str());
                        t.date("date", |(_, l)| l.date);
                        t.date("pay_by", |(_, l)| l.pay_by);
                        t.amount("amount_due", |(_, l)| l.amount_due);
                    },
                )
            }),
        ),
        (CREDIT_NOTES, Box::new(|| history_table(claims, |c| &c.credit_notes, |t| t.text("credit_note", |(_, n)| n)))),
    ]
}

/// A history table: one row per entry of `entries` of each claim, in the
/// claims' order, starting with the claim's `claim_no`; `columns` adds the
/// entry's columns.
fn history_table<'a, T: Sync + 'a>(
    claims: &[&'a Claim],
    entries: impl Fn(&'a Claim) -> &'a [T],
    columns: impl FnOnce(&mut TableBuilder<'_, (u64, &'a T)>),
) -> PolarsResult<Vec<u8>> {
    let rows: Vec<(u64, &T)> = claims.iter().flat_map(|c| entries(c).iter().map(|e| (c.claim_no, e))).collect();
    let mut t = TableBuilder::new(&rows);
    t.count("claim_no", |(no, _)| *no);
    columns(&mut t);
    t.to_parquet()
}

/// `claims.parquet`: one row per claim, in claim-id order.
fn claims_table(claims: &[&Claim]) -> PolarsResult<Vec<u8>> {
    let mut t = TableBuilder::new(claims);
    t.text("claim_id", |c| &c.claim_id);
    t.count("claim_no", |c| c.claim_no);
    t.word("creditor_id", |c| &c.creditor_id);
    t.text("invoice_number", |c| &c.invoice_number);
    t.date("invoice_date", |c| c.invoice_date);
    t.date("due_date", |c| c.due_date);
    t.date("effective_due", |c| c.effective_due);
    t.word("currency", |c| c.currency.code());
    t.text("invoice_reference", |c| &c.invoice_reference);
    t.text("agency_reference", |c| &c.agency_reference);
    t.text("debtor_id", |c| &c.debtor.id);
    t.word("debtor_type", |c| debtor_type(c.debtor.kind));
    t.text("debtor_name", |c| &c.debtor.name);
    t.text("debtor_address1", |c| &c.debtor.address1);
    t.text("debtor_address2", |c| &c.debtor.address2);
    t.text("debtor_postcode", |c| &c.debtor.postcode);
    t.word("debtor_city", |c| &c.debtor.city);
    t.word("debtor_country", |c| &c.debtor.country);
    t.text("debtor_email", |c| &c.debtor.email);
    t.word("debtor_language", |c| &c.debtor.language);
    t.word("channel", |c| c.channel.as_str());
    t.text("description", |c| &c.description);
    t.flag("reminded_by_creditor", |c| c.reminded_by_creditor);
    t.date("admitted_on", |c| c.admitted_on);
    t.amount("principal_original", |c| c.principal_original);
    t.amount("interest_paid", |c| c.interest_paid);
    t.amount("fees_paid", |c| c.fees_paid);
    t.word("stage", |c| c.stage.as_str());
    t.date("stage_since", |c| c.stage_since);
    t.to_parquet()
}

/// Where each claim's entries are in a history table: `ranges[i]` are the
/// rows of the `i`th claim. The table's `claim_no`s must follow the claims'
/// order.
fn history_ranges(history: &Table, claim_nos: &[u64]) -> Result<Vec<Range<usize>>, Error> {
    let owners = history.counts("claim_no")?;
    let mut ranges = Vec::with_capacity(claim_nos.len());
    let mut row = 0;
    for &no in claim_nos {
        let start = row;
        while row < owners.len() && owners[row] == no {
            row += 1;
        }
        ranges.push(start..row);
    }
    if row < owners.len() {
        return Err(history.row_error(
            "claim_no",
            row,
            &format!(
                "claim_no {} is not a claim of claims.parquet, or the rows are out of the claims' order",
                owners[row]
            ),
        ));
    }
    Ok(ranges)
}

/// The claims stored in `claims` and the four history tables, by claim id.
///
/// # Errors
/// `Error::Snapshot` naming the file, column and row of the first bad value.
pub fn read(
    claims: &Table,
    changes: &Table,
    fees: &Table,
    letters: &Table,
    notes: &Table,
) -> Result<BTreeMap<CompactString, Arc<Claim>>, Error> {
    let t = claims;
    // A history row finds its claim by `claim_no`: it must name one claim.
    let claim_nos = t.unique_counts("claim_no")?;
    let change_rows = history_ranges(changes, &claim_nos)?;
    let fee_rows = history_ranges(fees, &claim_nos)?;
    let letter_rows = history_ranges(letters, &claim_nos)?;
    let note_rows = history_ranges(notes, &claim_nos)?;

    let change_from = changes.dates("from")?;
    let change_delta = changes.amounts("delta")?;
    let change_cause = changes.words("cause", parse_cause)?;

    let fee_kind = fees.words("kind", parse_fee_kind)?;
    let fee_amount = fees.amounts("amount")?;
    let fee_date = fees.dates("date")?;
    let fee_rule = fees.texts("rule")?;

    let letter_kind = letters.words("kind", parse_letter_kind)?;
    let letter_date = letters.dates("date")?;
    let letter_pay_by = letters.dates("pay_by")?;
    let letter_due = letters.amounts("amount_due")?;

    let note_number = notes.texts("credit_note")?;

    let text = |name: &str| t.texts(name);
    let (claim_id, creditor_id, invoice_number) = (t.keys("claim_id")?, text("creditor_id")?, text("invoice_number")?);
    let (invoice_reference, agency_reference, description) =
        (text("invoice_reference")?, text("agency_reference")?, text("description")?);
    let debtor = DebtorTexts {
        id: text("debtor_id")?,
        name: text("debtor_name")?,
        address1: text("debtor_address1")?,
        address2: text("debtor_address2")?,
        postcode: text("debtor_postcode")?,
        city: text("debtor_city")?,
        country: text("debtor_country")?,
        email: text("debtor_email")?,
        language: text("debtor_language")?,
    };
    let debtor_kind = t.words("debtor_type", parse_debtor_type)?;
    let currency = t.words("currency", Currency::from_str_exact)?;
    let channel = t.words("channel", parse_channel)?;
    let stage = t.words("stage", Stage::parse)?;
    let (invoice_date, due_date, effective_due, admitted_on, stage_since) = (
        t.dates("invoice_date")?,
        t.dates("due_date")?,
        t.dates("effective_due")?,
        t.dates("admitted_on")?,
        t.dates("stage_since")?,
    );
    let reminded = t.flags("reminded_by_creditor")?;
    let (principal_original, interest_paid, fees_paid) =
        (t.amounts("principal_original")?, t.amounts("interest_paid")?, t.amounts("fees_paid")?);

    // Every value is checked: build the claims in parallel, in file order.
    let mut rows: Vec<(CompactString, Arc<Claim>)> = Vec::with_capacity(t.len());
    (0..t.len())
        .into_par_iter()
        .map(|i| {
            let claim = Claim {
                claim_id: claim_id.get(i).into(),
                claim_no: claim_nos[i],
                creditor_id: creditor_id.get(i).into(),
                invoice_number: invoice_number.get(i).into(),
                invoice_date: invoice_date[i],
                due_date: due_date[i],
                effective_due: effective_due[i],
                currency: currency[i],
                invoice_reference: invoice_reference.get(i).into(),
                agency_reference: agency_reference.get(i).into(),
                debtor: debtor.get(i, debtor_kind[i]),
                channel: channel[i],
                description: description.get(i).into(),
                reminded_by_creditor: reminded[i],
                admitted_on: admitted_on[i],
                principal_original: principal_original[i],
                principal_changes: change_rows[i]
                    .clone()
                    .map(|r| PrincipalChange { from: change_from[r], delta: change_delta[r], cause: change_cause[r] })
                    .collect(),
                interest_paid: interest_paid[i],
                fees: fee_rows[i]
                    .clone()
                    .map(|r| Fee {
                        kind: fee_kind[r],
                        amount: fee_amount[r],
                        date: fee_date[r],
                        rule: fee_rule_text(fee_rule.get(r)),
                    })
                    .collect(),
                fees_paid: fees_paid[i],
                letters: letter_rows[i]
                    .clone()
                    .map(|r| SentLetter {
                        kind: letter_kind[r],
                        date: letter_date[r],
                        pay_by: letter_pay_by[r],
                        amount_due: letter_due[r],
                    })
                    .collect(),
                stage: stage[i],
                stage_since: stage_since[i],
                credit_notes: note_rows[i].clone().map(|r| note_number.get(r).to_owned()).collect(),
            };
            (claim.claim_id.clone(), Arc::new(claim))
        })
        .collect_into_vec(&mut rows);
    // Sorted by claim id (checked above): the map is built in one pass.
    Ok(rows.into_iter().collect())
}

/// The debtor's text columns.
struct DebtorTexts<'a> {
    id: Texts<'a>,
    name: Texts<'a>,
    address1: Texts<'a>,
    address2: Texts<'a>,
    postcode: Texts<'a>,
    city: Texts<'a>,
    country: Texts<'a>,
    email: Texts<'a>,
    language: Texts<'a>,
}

impl DebtorTexts<'_> {
    fn get(&self, i: usize, kind: DebtorKind) -> Arc<Debtor> {
        Arc::new(Debtor {
            id: self.id.get(i).into(),
            kind,
            name: self.name.get(i).into(),
            address1: self.address1.get(i).into(),
            address2: self.address2.get(i).into(),
            postcode: self.postcode.get(i).into(),
            city: self.city.get(i).into(),
            country: self.country.get(i).into(),
            email: self.email.get(i).into(),
            language: self.language.get(i).into(),
        })
    }
}

/// A fee's rule as read back: one of the packs' own texts where it is one
/// (shared, not a string per fee of a million claims), else the text read.
pub(super) fn fee_rule_text(text: &str) -> Cow<'static, str> {
    match crate::rules::se::FEE_RULES.iter().find(|r| **r == text) {
        Some(rule) => Cow::Borrowed(rule),
        None => Cow::Owned(text.to_owned()),
    }
}
