//! The day's steps, in the order DOMAIN.md Part A fixes ("Order of a
//! night"): the creditors' exports (admission, then their own news: direct
//! payments and credit notes), approvals, payments (match and allocate),
//! the ladder (letters), settlement. Then the invariant checks.
//!
//! Pure functions from (state, inputs, date) to (state, outputs): no I/O,
//! no clock, no hash-map iteration reaching an output.

#![deny(clippy::float_arithmetic)]

pub mod accrue;
pub mod admit;
pub mod advance;
pub mod allocate;
pub mod approve;
pub mod checks;
pub mod matching;
pub mod news;
pub mod settle;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;

use crate::model::{
    Approval, BankTransaction, Claim, ClosedReason, Config, Currency, Event, Letter, ManualMatch, ReceivableRow,
    Source, Stage, Verification,
};
use crate::rules::{self, MissingRate, RulePack, UnknownCountry};

/// A payment already booked on an earlier day (or earlier tonight): its
/// idempotency key makes a repeat of the same bank transaction a no-op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookedPayment {
    pub payment_id: CompactString,
    pub key: Arc<str>,
    pub booked_on: NaiveDate,
    pub booking_date: NaiveDate,
    pub amount: Decimal,
    pub currency: Currency,
    /// `allocated`, `refund`, `suspense`, `reversal` (a bank reversal of an
    /// earlier payment, amount negative) or `reversed` (undone by one).
    pub outcome: CompactString,
    pub claim_id: CompactString,
    /// The client-funds account, the bank's reference and the payment's
    /// reference (structured, else free text): what a reversal is matched on.
    pub account: CompactString,
    pub bank_ref: CompactString,
    pub reference: CompactString,
    /// How an `allocated` payment was split (to reverse it exactly).
    pub fees: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
}

/// Every booked bank transaction, by idempotency key.
pub type Ledger = BTreeMap<Arc<str>, Arc<BookedPayment>>;

/// Everything carried from one night to the next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// The last committed day this state is the result of.
    pub date: Option<NaiveDate>,
    /// Every claim ever admitted, by claim id. The night takes the state
    /// of the night before and changes its claims in place; where that
    /// state is kept too (tests, benchmarks), the two share the claims the
    /// night did not change (copy on write, through `claim_mut`).
    pub claims: BTreeMap<CompactString, Arc<Claim>>,
    /// Every booked bank transaction, by idempotency key. The run keeps the
    /// ledger of the night before for the checks (`checks::run`), so the
    /// night shares its records and copies only those it changes.
    pub payments: Ledger,
    /// The next claim sequence number (agency OCR references derive from it).
    pub next_claim_no: u64,
}

impl State {
    /// The claim to change tonight: copied first if a state kept beside
    /// still shares it.
    pub fn claim_mut(&mut self, claim_id: &str) -> Option<&mut Claim> {
        self.claims.get_mut(claim_id).map(Arc::make_mut)
    }
}

/// A hash map with a fixed-seed fast hasher (foldhash), for lookups that
/// are never iterated into an output (so neither seed nor order matters).
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// The first claim number; OCR references start at six digits.
pub const FIRST_CLAIM_NO: u64 = 1001;

/// The night's parsed inputs, in a deterministic order (file name, line).
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Each file's rows, as parsed (kept per file: a night's million
    /// transactions are not copied into one vector).
    pub receivables: Vec<Vec<ReceivableRow>>,
    /// Each file's transactions, as parsed.
    pub transactions: Vec<Vec<BankTransaction>>,
    pub approvals: Vec<Approval>,
    /// `matches.csv`: payment id -> claim id, set by finance staff.
    pub matches: Vec<ManualMatch>,
}

/// A receivables row that was not admitted, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub source: Source,
    pub creditor_id: String,
    pub invoice_number: String,
    /// Stable reason code, e.g. `below_min_amount`.
    pub reason: &'static str,
    pub detail: String,
}

/// How a payment was split over its claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub payment_id: CompactString,
    pub claim_id: CompactString,
    pub creditor_id: CompactString,
    pub invoice_number: CompactString,
    pub booking_date: NaiveDate,
    pub currency: Currency,
    pub fees: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
    /// How the payment found its claim, e.g. `agency_ocr`.
    pub method: &'static str,
}

impl Allocation {
    pub fn total(&self) -> Decimal {
        self.fees + self.interest + self.principal
    }
}

/// A payment no claim could take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuspenseItem {
    pub payment: BankTransaction,
    pub reason: String,
}

/// Money to pay back: overpayments and payments to closed claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub payment: BankTransaction,
    pub claim_id: String,
    pub amount: Decimal,
    pub reason: &'static str,
}

/// A claim waiting for the creditor's approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Awaiting {
    pub claim_id: String,
    pub creditor_id: String,
    pub step: &'static str,
    pub since: NaiveDate,
}

/// Everything a day produced.
#[derive(Clone, Debug)]
pub struct Day {
    pub date: NaiveDate,
    pub state: State,
    pub events: Vec<Event>,
    pub admitted: Vec<String>,
    pub refusals: Vec<Refusal>,
    pub allocations: Vec<Allocation>,
    pub suspense: Vec<SuspenseItem>,
    pub refunds: Vec<Refund>,
    /// Bank transactions seen again (same idempotency key): no effect.
    pub duplicates: Vec<BankTransaction>,
    /// Debit entries on the client-funds account (not debtor payments).
    pub debits: Vec<BankTransaction>,
    /// Payments of earlier days taken out of suspense tonight by a manual
    /// match (as they stood in suspense).
    pub released: Vec<BookedPayment>,
    pub letters: Vec<Letter>,
    pub awaiting: Vec<Awaiting>,
    pub verifications: Vec<Verification>,
}

/// Why a day could not be computed at all.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A day without a known reference rate.
    #[error(transparent)]
    MissingRate(#[from] MissingRate),
    /// A creditor in a country without a rule pack.
    #[error("creditor {creditor}: {source}")]
    UnknownCountry { creditor: String, source: UnknownCountry },
    /// A verification that does not balance (a bug: settle builds them).
    #[error(transparent)]
    Unbalanced(#[from] crate::model::Unbalanced),
    /// `date` is not after the state's last committed day.
    #[error("day {date} is not after the last committed day {last}")]
    NotAfter { date: NaiveDate, last: NaiveDate },
}

/// The rule packs of the configured creditors, by creditor id.
pub struct Packs {
    by_creditor: BTreeMap<String, Box<dyn RulePack>>,
}

impl Packs {
    /// # Errors
    /// `EngineError::UnknownCountry` for a creditor whose country has no pack.
    pub fn new(config: &Config) -> Result<Packs, EngineError> {
        let mut by_creditor = BTreeMap::new();
        for c in &config.creditors {
            let pack = rules::pack_for(&c.country, config)
                .map_err(|source| EngineError::UnknownCountry { creditor: c.id.clone(), source })?;
            by_creditor.insert(c.id.clone(), pack);
        }
        Ok(Packs { by_creditor })
    }
    pub fn get(&self, creditor_id: &str) -> Option<&dyn RulePack> {
        self.by_creditor.get(creditor_id).map(|b| b.as_ref())
    }
}

/// Runs day `date` on `prev` (the state after the last committed day)
/// and tonight's `inputs`. `prev` becomes the day's state: a claim is
/// changed in place unless someone else still shares it (then it is copied
/// first, `claim_mut`). The inputs are freed once booked.
///
/// # Errors
/// See `EngineError`. Invariant violations are not errors here: the caller
/// runs `checks::run` on the returned `Day` before committing anything.
pub fn day(prev: State, inputs: Inputs, config: &Config, date: NaiveDate) -> Result<Day, EngineError> {
    if let Some(last) = prev.date {
        if date <= last {
            return Err(EngineError::NotAfter { date, last });
        }
    }
    let packs = Packs::new(config)?;
    let mut state = prev;
    state.date = Some(date);
    if state.next_claim_no < FIRST_CLAIM_NO {
        state.next_claim_no = FIRST_CLAIM_NO;
    }
    let mut events = Vec::new();
    let Inputs { receivables, transactions, approvals, matches } = inputs;
    let rows = sorted_rows(&receivables);

    let admission = admit::admit(&mut state, &rows, config, &packs, date, &mut events); // who is taken over tonight
    let mut refusals = admission.refusals;
    refusals.extend(news::apply(&mut state, &rows, &admission.admitted, config, &packs, date, &mut events)?); // direct payments, credit notes
    drop(rows);
    let approved = approve::apply(&mut state, &approvals, date, &mut events); // approvals.csv
    let paid = allocate::book_payments(&mut state, &transactions, &matches, &packs, date, &mut events)?; // match + allocate

    // The inputs are used up: freed beside the rest of the night (a
    // million transactions are a tenth of its peak memory).
    rayon::spawn(move || drop((receivables, transactions)));
    let ladder = advance::advance(&mut state, &admission.admitted, &approved, config, &packs, date, &mut events)?; // letters
    let verifications = settle::settle(&paid.allocations, config, date)?; // creditor journals

    Ok(Day {
        date,
        state,
        events,
        admitted: admission.admitted.into_iter().collect(),
        refusals,
        allocations: paid.allocations,
        suspense: paid.suspense,
        refunds: paid.refunds,
        duplicates: paid.duplicates,
        debits: paid.debits,
        released: paid.released,
        letters: ladder.letters,
        awaiting: ladder.awaiting,
        verifications,
    })
}

/// Adds `entries` (keys not in `map`; an entry repeated keeps its last
/// value, as inserting them in turn would) to `map`: a few one by one,
/// many in one merge that rebuilds the map, which takes time in
/// proportion to both sizes instead of a search per entry.
pub(crate) fn add_to_map<K: Ord, V>(map: &mut BTreeMap<K, V>, entries: Vec<(K, V)>) {
    if entries.len() * 16 < map.len() {
        map.extend(entries);
    } else {
        let mut added: BTreeMap<K, V> = entries.into_iter().collect();
        map.append(&mut added);
    }
}

/// Rows in (file, line) order: the documented total order of a night's rows.
fn sorted_rows(rows: &[Vec<ReceivableRow>]) -> Vec<&ReceivableRow> {
    let mut v: Vec<&ReceivableRow> = rows.iter().flatten().collect();
    v.sort_by(|a, b| a.source.cmp(&b.source));
    v
}

/// Claim ids admitted tonight.
pub type Admitted = BTreeSet<String>;

/// Closes a claim: no more letters; fees still owed are written off (and
/// interest, which a closed claim no longer accrues or owes).
pub(crate) fn close(claim: &mut Claim, reason: ClosedReason, date: NaiveDate, events: &mut Vec<Event>) {
    let fees = claim.fees_outstanding();
    if !fees.is_zero() {
        events.push(event(
            date,
            &claim.claim_id,
            "fees_written_off",
            -fees,
            closing_rule(reason),
            reason.as_str().to_string(),
        ));
    }
    claim.stage = Stage::Closed(reason);
    claim.stage_since = date;
    events.push(event(
        date,
        &claim.claim_id,
        "closed",
        Decimal::ZERO,
        closing_rule(reason),
        reason.as_str().to_string(),
    ));
}

/// The rule behind a closing, for the audit log.
fn closing_rule(reason: ClosedReason) -> &'static str {
    match reason {
        ClosedReason::Paid => "fully paid: principal, rounded interest and fees all zero",
        ClosedReason::PaidToCreditor => "se::creditor_news: paid directly to the creditor",
        ClosedReason::Credited => "se::creditor_news: credited in full",
        ClosedReason::Withdrawn => "withdrawn by the creditor (approval rejected or invoice cancelled)",
    }
}

/// An event on a claim.
pub(crate) fn event(
    date: NaiveDate,
    claim_id: &str,
    kind: &'static str,
    amount: Decimal,
    rule: &'static str,
    detail: String,
) -> Event {
    Event {
        date,
        claim_id: claim_id.into(),
        payment_id: CompactString::default(),
        kind: kind.into(),
        amount,
        rule: rule.into(),
        detail,
    }
}

#[cfg(test)]
mod tests;
