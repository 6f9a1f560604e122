//! Booking tonight's bank transactions: each transaction once (by its
//! idempotency key), matched to a claim (`matching`, or a manual match from
//! `matches.csv`) and allocated fees first, then interest due at the
//! payment's booking date, then principal (DOMAIN.md Part A, "Allocation";
//! the order comes from the rule pack). What exceeds the total due is an
//! overpayment and goes to `refunds.csv`; a payment to a closed claim is
//! refunded whole; an unmatched one goes to suspense with its reason.
//!
//! A bank reversal (`RvslInd`, MT940 `RC`) undoes the allocation of the
//! payment it reverses: fees, interest and principal are restored as if the
//! payment had never been made, and the creditor's journal books the
//! capital and interest back. A manual match resolves a payment in
//! suspense, tonight's or an earlier night's.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use compact_str::CompactString;
use rust_decimal::Decimal;

use super::accrue::{balance, interest_due};
use super::matching::{ByReference, Index, Match, Pos};
use super::{
    add_to_map, close, event, Allocation, BookedPayment, EngineError, FastMap, FastSet, Ledger, Packs, Refund, State,
    SuspenseItem,
};
use crate::model::{
    push_decimal, BankTransaction, Claim, ClosedReason, Currency, Direction, Event, LetterKind, ManualMatch, Money,
    PrincipalCause, PrincipalChange, Source, Stage,
};
use crate::rules::{Part, RulePack};

/// What tonight's payments became.
#[derive(Default)]
pub struct Booked {
    pub allocations: Vec<Allocation>,
    pub suspense: Vec<SuspenseItem>,
    pub refunds: Vec<Refund>,
    pub duplicates: Vec<BankTransaction>,
    pub debits: Vec<BankTransaction>,
    pub released: Vec<BookedPayment>,
    /// The allocations (and their events) whose ids and detail text are
    /// written after the booking loop.
    described_later: Vec<Described>,
}

/// What the parallel pass before the booking loop found for a payment.
struct Prepared {
    /// Steps 1 and 2 of the matching.
    by_reference: ByReference,
    /// The payment's ledger record (outcome and split filled by the loop),
    /// allocated here so that the loop moves it into the ledger.
    record: Arc<BookedPayment>,
    /// The interest the found claim owed at the booking date before
    /// tonight's payments (`None`: no claim found, or not computable).
    interest_before: Option<Decimal>,
    /// An earlier night booked the payment's key.
    booked_before: bool,
}

impl Prepared {
    /// The claim steps 1-2 found, or `NO_CLAIM`.
    fn claim(&self) -> Pos {
        match self.by_reference {
            ByReference::Found(Match::Claim { pos, .. }) => pos,
            _ => NO_CLAIM,
        }
    }
}

/// No claim (in `Book::prefetch`'s list).
const NO_CLAIM: Pos = Pos::MAX;

/// How many payments ahead the booking loop starts loading a claim's
/// memory (`Book::prefetch`); each of the claim's links is loaded this many
/// payments before the next is read.
const PREFETCH_AHEAD: usize = 8;

/// Makes the memory of `vec`'s next `n` elements resident (written once
/// with zeros, in parallel) without changing `vec`: its capacity must be
/// reserved.
fn prefault<T: Send>(vec: &mut Vec<T>, n: usize) {
    use rayon::prelude::*;
    let spare = vec.spare_capacity_mut();
    let n = n.min(spare.len());
    spare[..n].par_chunks_mut(1 << 12).for_each(|chunk| chunk.fill_with(std::mem::MaybeUninit::zeroed));
}

/// Asks the CPU to start loading the cache line at `address` (the
/// instruction never faults, reads nothing the program sees and changes
/// nothing; elsewhere than on x86-64, nothing).
#[inline(always)]
fn prefetch_line<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 CPU has; a
    // prefetch of any address, valid or not, is only a hint.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// An allocation made in the booking loop without its texts: they are
/// written after the loop, in parallel (`describe_allocations`).
struct Described {
    /// Index in the night's events.
    event: usize,
    /// Index in `Booked::allocations`.
    allocation: usize,
    claim: Pos,
    payment_id: CompactString,
}

fn booked_record(tx: &BankTransaction, date: NaiveDate) -> BookedPayment {
    BookedPayment {
        payment_id: tx.payment_id.clone(),
        key: tx.key.as_str().into(),
        booked_on: date,
        booking_date: tx.booking_date,
        amount: tx.amount.amount(),
        currency: tx.amount.currency(),
        outcome: CompactString::default(),
        claim_id: CompactString::default(),
        account: tx.account.clone(),
        bank_ref: tx.bank_ref.clone(),
        reference: if tx.structured_ref.is_empty() { &tx.unstructured } else { &tx.structured_ref }.clone(),
        fees: Decimal::ZERO,
        interest: Decimal::ZERO,
        principal: Decimal::ZERO,
    }
}

/// Books tonight's transactions in (booking date, file, line) order, then
/// resolves earlier suspense items named in `matches.csv`.
///
/// # Errors
/// Interest evaluation errors (missing reference rate).
pub fn book_payments(
    state: &mut State,
    transactions: &[Vec<BankTransaction>],
    matches: &[ManualMatch],
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<Booked, EngineError> {
    let mut txs: Vec<&BankTransaction> = transactions.iter().flatten().collect();
    txs.sort_by(|a, b| (a.booking_date, &a.source, &a.key).cmp(&(b.booking_date, &b.source, &b.key)));
    let manual: BTreeMap<&str, &str> = matches.iter().map(|m| (m.payment_id.as_str(), m.claim_id.as_str())).collect();
    use rayon::prelude::*;
    let mut out = Booked::default();
    let claims: Vec<&Claim> = state.claims.values().map(|c| &**c).collect();
    let index = Index::new(&claims);
    // Steps 1-2 read only the index and the claims as they were, a
    // payment's record reads only the payment, whether an earlier night
    // booked its key reads the ledger as it was, and the interest its claim
    // owes at its booking date reads the claim as it was before tonight's
    // payments: all made in parallel, in booking order. (The interest holds
    // for the first payment to reach the claim tonight: `Book::untouched`.)
    let prepared: Vec<Prepared> = txs
        .par_iter()
        .map(|tx| {
            let found = index.by_reference_steps(tx, &claims);
            let interest = match &found {
                ByReference::Found(Match::Claim { pos, .. }) => {
                    let claim = claims[*pos as usize];
                    let pack = packs.get(&claim.creditor_id);
                    pack.and_then(|pack| interest_due(claim, tx.booking_date, pack).ok()).map(|(due, _)| due)
                }
                _ => None,
            };
            Prepared {
                by_reference: found,
                record: Arc::new(booked_record(tx, date)),
                interest_before: interest,
                booked_before: state.payments.contains_key(tx.key.as_str()),
            }
        })
        .collect();
    drop(claims);
    let repeated = repeated_keys(&txs);
    let mut book = Book::new(state, repeated);
    // At most three events per transaction (an allocation, then fees
    // written off and the closing when it pays the claim off; or one
    // reversal): reserved once, so the night's log is not copied to a
    // doubled buffer when it outgrows a tighter guess. Pages never written
    // are never resident.
    events.reserve(3 * txs.len());
    out.allocations.reserve(txs.len());
    out.described_later.reserve(txs.len());
    book.tonight.reserve(txs.len());
    // Most payments are allocated: one allocation and at least one event
    // each. Their memory is made resident here, on every core, rather than
    // page by page in the one-core loop (the kernel zeroes each fresh page
    // on first touch: ~0.5 s of the loop at a million payments).
    rayon::join(
        || prefault(&mut out.allocations, txs.len()),
        || rayon::join(|| prefault(events, txs.len()), || prefault(&mut out.described_later, txs.len())),
    );
    let claim_ahead: Vec<Pos> = prepared.iter().map(Prepared::claim).collect();
    for (at, (tx, prepared)) in txs.into_iter().zip(prepared).enumerate() {
        book.prefetch(&claim_ahead, at);
        let Prepared { by_reference, record: mut booked, interest_before, booked_before } = prepared;
        let record = Arc::make_mut(&mut booked); // not shared: no copy
        if booked_before || book.is_booked_tonight(&tx.key) {
            out.duplicates.push(tx.clone());
            continue;
        }
        if tx.reversal && tx.direction == Direction::Debit {
            reverse(&mut book, tx, date, events, &mut out);
            continue;
        }
        if tx.direction == Direction::Debit {
            out.debits.push(tx.clone());
            continue;
        }
        let mut interest_hint = None;
        let found = if tx.reversal {
            Match::None("reversal_of_a_debit: not a debtor payment".into())
        } else if let Some(claim_id) = manual.get(tx.payment_id.as_str()) {
            match book.position(claim_id) {
                Some(pos) => Match::Claim { pos, method: "manual" },
                None => Match::None(format!("manual match to unknown claim {claim_id}")),
            }
        } else {
            match by_reference {
                ByReference::Found(m) => {
                    if let Match::Claim { pos, .. } = m {
                        interest_hint = interest_before.filter(|_| book.untouched(pos));
                    }
                    m
                }
                ByReference::NotFound { bad_check_digit } => {
                    let balance_at = |c: &Claim, d: NaiveDate| -> Option<Decimal> {
                        let pack = packs.get(&c.creditor_id)?;
                        balance(c, d, pack).ok().map(|b| b.total())
                    };
                    index.by_amount_and_payer_step(tx, bad_check_digit, &book.claims, &balance_at)
                }
            }
        };
        settle_one(&mut book, tx, found, interest_hint, record, packs, date, events, &mut out)?;
        book.add(&tx.key, booked);
    }
    rayon::spawn(move || drop(index)); // a million names and the tables: freed off the night's path
    book.commit_payments();
    release_from_suspense(&mut book, matches, packs, date, events, &mut out)?;
    describe_allocations(&book.claims, events, &mut out);
    Ok(out)
}

/// What the booking loop changes: the claims, reached by their position in
/// the matching index (claim-id order) instead of a search of the claim map
/// by id for every payment, and the booked payments.
struct Book<'a, 't> {
    claims: Vec<&'a mut Arc<Claim>>,
    payments: &'a mut Ledger,
    /// Payments booked tonight and not yet in `payments`: merged in one
    /// pass (`commit_payments`) instead of a million searching inserts.
    tonight: Vec<Arc<BookedPayment>>,
    /// The keys that occur more than once in tonight's transactions (the
    /// only ones that can be booked twice tonight), and those of them booked.
    repeated_keys: FastSet<&'t str>,
    tonight_keys: FastSet<&'t str>,
    /// Claims changed (or about to be) by tonight's booking so far.
    touched: Vec<bool>,
    /// The allocated payments' keys by account, amount and currency: what a
    /// bank reversal can undo. Built at the night's first reversal, then
    /// kept up to date (`commit_payments`), so that a reversal does not
    /// search the whole ledger, which grows every night.
    reversible: Option<Reversible>,
}

impl<'a, 't> Book<'a, 't> {
    fn new(state: &'a mut State, repeated_keys: FastSet<&'t str>) -> Book<'a, 't> {
        Book {
            touched: vec![false; state.claims.len()],
            claims: state.claims.values_mut().collect(),
            payments: &mut state.payments,
            tonight: Vec::new(),
            repeated_keys,
            tonight_keys: FastSet::default(),
            reversible: None,
        }
    }

    fn position(&self, claim_id: &str) -> Option<Pos> {
        self.claims.binary_search_by(|c| c.claim_id.as_str().cmp(claim_id)).ok().and_then(|p| Pos::try_from(p).ok())
    }

    fn claim(&self, pos: Pos) -> &Claim {
        self.claims[pos as usize]
    }

    /// The claim to change: copied first if a state kept beside still
    /// shares it.
    fn claim_mut(&mut self, pos: Pos) -> &mut Claim {
        self.touched[pos as usize] = true;
        Arc::make_mut(self.claims[pos as usize])
    }

    /// Starts loading the memory of the claims the payments after the
    /// `at`-th will change (`claim_ahead`: each payment's claim in booking
    /// order, or `NO_CLAIM`), one link of the chain a step ahead of the
    /// next: this list's entry, the map's slot holding the claim's `Arc`,
    /// the claim itself, then its debtor and histories. The claims are
    /// scattered over a million allocations, so without it each payment
    /// waited for four or five loads from memory one after another.
    fn prefetch(&self, claim_ahead: &[Pos], at: usize) {
        let claim = |ahead: usize| claim_ahead.get(at + ahead).filter(|&&pos| pos != NO_CLAIM).map(|&pos| pos as usize);
        if let Some(pos) = claim(4 * PREFETCH_AHEAD) {
            prefetch_line(self.claims.as_ptr().wrapping_add(pos));
        }
        if let Some(pos) = claim(3 * PREFETCH_AHEAD) {
            prefetch_line::<Arc<Claim>>(&*self.claims[pos]);
        }
        if let Some(pos) = claim(2 * PREFETCH_AHEAD) {
            let start = Arc::as_ptr(self.claims[pos]).cast::<u8>().wrapping_sub(16); // the counts
            for line in 0..=std::mem::size_of::<Claim>().div_ceil(64) {
                prefetch_line(start.wrapping_add(64 * line));
            }
        }
        if let Some(pos) = claim(PREFETCH_AHEAD) {
            let claim = &**self.claims[pos];
            prefetch_line(Arc::as_ptr(&claim.debtor));
            prefetch_line(claim.principal_changes.as_ptr().cast::<u8>().wrapping_sub(16)); // the length
            prefetch_line(claim.fees.as_ptr().cast::<u8>().wrapping_sub(16));
        }
    }

    /// True while no payment tonight has reached the claim: it is as it was
    /// before the booking loop.
    fn untouched(&self, pos: Pos) -> bool {
        !self.touched[pos as usize]
    }

    /// True if a transaction with `key` was booked earlier tonight.
    fn is_booked_tonight(&self, key: &str) -> bool {
        !self.tonight_keys.is_empty() && self.tonight_keys.contains(key)
    }

    /// Books a payment of tonight's (`key` is its transaction's key).
    fn add(&mut self, key: &'t str, booked: Arc<BookedPayment>) {
        if !self.repeated_keys.is_empty() && self.repeated_keys.contains(key) {
            self.tonight_keys.insert(key);
        }
        self.tonight.push(booked);
    }

    /// Moves tonight's payments into `payments`, sorted by key
    /// (`add_to_map`: a few one by one, many in one merge).
    fn commit_payments(&mut self) {
        use rayon::prelude::*;
        let mut tonight = std::mem::take(&mut self.tonight);
        if let Some(reversible) = &mut self.reversible {
            add_reversible(reversible, &tonight);
        }
        tonight.par_sort_unstable_by(|a, b| a.key.cmp(&b.key)); // keys are unique: `is_booked_tonight`
        add_to_map(self.payments, tonight.into_iter().map(|p| (p.key.clone(), p)).collect());
    }

    /// The keys of the allocated payments on `account` of `amount` (their
    /// outcomes may have changed since: the caller checks the records).
    fn reversal_candidates(&mut self, account: &str, amount: Decimal, currency: Currency) -> Vec<Arc<str>> {
        self.commit_payments(); // the original may be tonight's
        let payments = &*self.payments;
        let reversible = self.reversible.get_or_insert_with(|| {
            let mut reversible = FastMap::default();
            add_reversible(&mut reversible, payments.values());
            reversible
        });
        reversible.get(&(CompactString::from(account), amount, currency)).cloned().unwrap_or_default()
    }

    /// A booked payment to change (after `commit_payments`).
    fn payment_mut(&mut self, key: &str) -> Option<&mut BookedPayment> {
        self.payments.get_mut(key).map(Arc::make_mut)
    }
}

/// The allocated payments' keys by account, amount and currency.
type Reversible = FastMap<(CompactString, Decimal, Currency), Vec<Arc<str>>>;

/// Adds the allocated ones among `payments` to the reversal index.
fn add_reversible<'p>(reversible: &mut Reversible, payments: impl IntoIterator<Item = &'p Arc<BookedPayment>>) {
    for p in payments.into_iter().filter(|p| p.outcome == "allocated") {
        reversible.entry((p.account.clone(), p.amount, p.currency)).or_default().push(p.key.clone());
    }
}

/// The keys that occur more than once among `txs` (sorted in parallel).
fn repeated_keys<'t>(txs: &[&'t BankTransaction]) -> FastSet<&'t str> {
    use rayon::prelude::*;
    let mut keys: Vec<&str> = txs.iter().map(|t| t.key.as_str()).collect();
    keys.par_sort_unstable();
    keys.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect()
}

/// Writes the ids and the detail of the event of each allocation made in
/// the booking loop, in parallel: formatting them for a million payments
/// inside the loop kept one core busy for seconds. The events are split
/// into runs, one per run of allocations (their events come in the same
/// order), so that each task writes its own.
fn describe_allocations(claims: &[&mut Arc<Claim>], events: &mut [Event], out: &mut Booked) {
    use rayon::prelude::*;
    let described = std::mem::take(&mut out.described_later);
    let mut runs = Vec::with_capacity(described.len().div_ceil(DESCRIBED_PER_TASK));
    let (mut rest, mut first) = (events, 0); // `rest` is `events[first..]`
    for run in described.chunks(DESCRIBED_PER_TASK) {
        let end = run.last().map_or(first, |d| d.event + 1);
        let (these, after) = std::mem::take(&mut rest).split_at_mut(end - first);
        runs.push((run, these, first));
        (rest, first) = (after, end);
    }
    let allocations = &out.allocations;
    runs.into_par_iter().for_each(|(run, events, first)| {
        let mut date: Option<(NaiveDate, String)> = None;
        for d in run {
            let a = &allocations[d.allocation];
            let date = match &mut date {
                Some((day, text)) if *day == a.booking_date => text,
                _ => &date.insert((a.booking_date, a.booking_date.to_string())).1,
            };
            let e = &mut events[d.event - first];
            e.claim_id = claims[d.claim as usize].claim_id.clone();
            e.payment_id = d.payment_id.clone();
            e.detail = allocation_detail(&d.payment_id, a, date);
        }
    });
}

/// Allocations described by one task (`describe_allocations`); in tests,
/// two, so that a night's few allocations span several tasks.
const DESCRIBED_PER_TASK: usize = if cfg!(test) { 2 } else { 1 << 12 };

/// An allocation event's detail: the payment, its booking date, the step
/// that matched it and the split.
/// `booking_date` is `a.booking_date`'s text (a night has few booking
/// dates: each task formats each once).
fn allocation_detail(payment_id: &str, a: &Allocation, booking_date: &str) -> String {
    let mut detail = String::with_capacity(payment_id.len() + booking_date.len() + a.method.len() + 80);
    for part in [payment_id, " booked ", booking_date, " via ", a.method, ": fees "] {
        detail.push_str(part);
    }
    push_decimal(&mut detail, a.fees);
    detail.push_str(" interest ");
    push_decimal(&mut detail, a.interest);
    detail.push_str(" principal ");
    push_decimal(&mut detail, a.principal);
    detail
}

/// Allocates, refunds or suspends one payment according to its match.
#[allow(clippy::too_many_arguments)]
fn settle_one(
    book: &mut Book,
    tx: &BankTransaction,
    found: Match,
    interest_hint: Option<Decimal>,
    booked: &mut BookedPayment,
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
    out: &mut Booked,
) -> Result<(), EngineError> {
    match found {
        Match::None(reason) => {
            booked.outcome = "suspense".into();
            out.suspense.push(SuspenseItem { payment: tx.clone(), reason });
        }
        Match::Claim { pos, method } => {
            let claim_id = book.claim(pos).claim_id.clone();
            let claim = book.claim_mut(pos);
            if claim.currency != tx.amount.currency() {
                booked.outcome = "suspense".into();
                out.suspense.push(SuspenseItem {
                    payment: tx.clone(),
                    reason: format!("currency_mismatch: claim {claim_id} is in {}", claim.currency),
                });
            } else if claim.stage.is_closed() {
                booked.outcome = "refund".into();
                out.refunds.push(Refund {
                    payment: tx.clone(),
                    claim_id: claim_id.to_string(),
                    amount: tx.amount.amount(),
                    reason: "claim_closed",
                });
            } else {
                booked.outcome = "allocated".into();
                let pack = packs.get(&claim.creditor_id).expect("invariant: admitted claims have a pack");
                let (alloc, event_at) = allocate(claim, tx, method, interest_hint, pack, date, events)?;
                out.described_later.push(Described {
                    event: event_at,
                    allocation: out.allocations.len(),
                    claim: pos,
                    payment_id: tx.payment_id.clone(),
                });
                (booked.fees, booked.interest, booked.principal) = (alloc.fees, alloc.interest, alloc.principal);
                let over = tx.amount.amount() - alloc.total();
                if over > Decimal::ZERO {
                    let claim_id = claim_id.to_string();
                    out.refunds.push(Refund { payment: tx.clone(), claim_id, amount: over, reason: "overpayment" });
                }
                out.allocations.push(alloc);
            }
            booked.claim_id = claim_id;
        }
    }
    Ok(())
}

/// Earlier nights' suspense items named in `matches.csv` are allocated now.
fn release_from_suspense(
    book: &mut Book,
    matches: &[ManualMatch],
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
    out: &mut Booked,
) -> Result<(), EngineError> {
    let mut sorted: Vec<&ManualMatch> = matches.iter().collect();
    sorted.sort_by(|a, b| a.source.cmp(&b.source));
    // The named payments' keys, found in one pass over the ledger (the
    // first in key order for a payment id, should two keys share one), not
    // a pass per line: the ledger holds every payment ever booked.
    let mut keys: FastMap<&str, Option<Arc<str>>> = sorted.iter().map(|m| (m.payment_id.as_str(), None)).collect();
    if !keys.is_empty() {
        for p in book.payments.values() {
            if let Some(key @ None) = keys.get_mut(p.payment_id.as_str()) {
                *key = Some(p.key.clone());
            }
        }
    }
    for m in sorted {
        let key = keys.get(m.payment_id.as_str()).cloned().flatten();
        let Some(key) = key else {
            events.push(event(
                date,
                &m.claim_id,
                "manual_match_ignored",
                Decimal::ZERO,
                "matches.csv",
                format!("{}: no payment {}", m.source, m.payment_id),
            ));
            continue;
        };
        let record = BookedPayment::clone(&book.payments[&key]);
        if record.outcome != "suspense" || record.booked_on == date {
            if record.booked_on != date {
                events.push(event(
                    date,
                    &m.claim_id,
                    "manual_match_ignored",
                    Decimal::ZERO,
                    "matches.csv",
                    format!("{}: payment {} is {}, not in suspense", m.source, m.payment_id, record.outcome),
                ));
            }
            continue; // tonight's payments took their manual match above
        }
        let pos = book.position(&m.claim_id);
        let why = match pos.map(|pos| book.claim(pos)) {
            None => Some(format!("{}: no claim {}", m.source, m.claim_id)),
            Some(c) if c.currency != record.currency => Some(format!(
                "{}: payment {} is in {}, the claim in {}",
                m.source, m.payment_id, record.currency, c.currency
            )),
            Some(_) => None,
        };
        let (Some(pos), None) = (pos, &why) else {
            let why = why.unwrap_or_default();
            events.push(event(date, &m.claim_id, "manual_match_ignored", Decimal::ZERO, "matches.csv", why));
            continue; // it stays in suspense
        };
        let tx = BankTransaction {
            payment_id: record.payment_id.as_str().into(),
            key: record.key.to_string(),
            source: Source { file: format!("suspense of {}", record.booked_on), line: 0 },
            account: record.account.as_str().into(),
            bank_ref: record.bank_ref.as_str().into(),
            booking_date: record.booking_date,
            amount: Money::new(record.amount, record.currency),
            direction: Direction::Credit,
            reversal: false,
            structured_ref: "".into(),
            unstructured: record.reference.as_str().into(),
            payer: "".into(),
        };
        let mut booked = record.clone();
        settle_one(book, &tx, Match::Claim { pos, method: "manual" }, None, &mut booked, packs, date, events, out)?;
        booked.booked_on = date;
        out.released.push(record);
        book.payments.insert(key, Arc::new(booked));
    }
    Ok(())
}

/// Undoes the allocation of the payment a bank reversal reverses: the
/// latest allocated credit on the same account with the same amount and
/// the same bank reference (or, lacking one, the same payment reference).
fn reverse<'t>(
    book: &mut Book<'_, 't>,
    tx: &'t BankTransaction,
    date: NaiveDate,
    events: &mut Vec<Event>,
    out: &mut Booked,
) {
    let reference = if tx.structured_ref.is_empty() { &tx.unstructured } else { &tx.structured_ref };
    let candidates = book.reversal_candidates(&tx.account, tx.amount.amount(), tx.amount.currency());
    let original = candidates
        .iter()
        .filter_map(|key| book.payments.get(key))
        .filter(|p| {
            p.outcome == "allocated"
                && p.account == tx.account
                && p.amount == tx.amount.amount()
                && p.currency == tx.amount.currency()
                && if tx.bank_ref.is_empty() || p.bank_ref.is_empty() {
                    p.reference == reference
                } else {
                    p.bank_ref == tx.bank_ref
                }
        })
        .max_by_key(|p| (p.booking_date, p.booked_on, p.key.clone()))
        .cloned();
    let mut booked = booked_record(tx, date);
    booked.amount = -tx.amount.amount();
    let Some(orig) = original else {
        booked.outcome = "suspense".into();
        let mut shown = tx.clone();
        shown.amount = Money::new(-tx.amount.amount(), tx.amount.currency());
        out.suspense.push(SuspenseItem {
            payment: shown,
            reason: "reversal_without_original: no allocated payment with this account, amount and reference".into(),
        });
        book.add(&tx.key, Arc::new(booked));
        return;
    };
    booked.outcome = "reversal".into();
    booked.claim_id = orig.claim_id.clone();
    let over = orig.amount - (orig.fees + orig.interest + orig.principal);
    if let Some(claim) = book.position(&orig.claim_id).map(|pos| book.claim_mut(pos)) {
        claim.fees_paid -= orig.fees;
        claim.interest_paid -= orig.interest;
        if orig.principal > Decimal::ZERO {
            claim.principal_changes.push(PrincipalChange {
                from: orig.booking_date + Duration::days(1),
                delta: orig.principal,
                cause: PrincipalCause::Payment,
            });
        }
        if claim.stage == Stage::Closed(ClosedReason::Paid) {
            claim.stage =
                if claim.last_letter(LetterKind::Collection).is_some() { Stage::Collection } else { Stage::Reminder };
            claim.stage_since = date;
        }
        let mut e = event(
            date,
            &claim.claim_id,
            "reversal",
            -(orig.fees + orig.interest + orig.principal),
            "bank reversal",
            format!("{} reverses {} booked {}", tx.payment_id, orig.payment_id, orig.booking_date),
        );
        e.payment_id = tx.payment_id.clone();
        events.push(e);
        out.allocations.push(Allocation {
            payment_id: tx.payment_id.clone(),
            claim_id: claim.claim_id.clone(),
            creditor_id: claim.creditor_id.clone(),
            invoice_number: claim.invoice_number.clone(),
            booking_date: tx.booking_date,
            currency: claim.currency,
            fees: -orig.fees,
            interest: -orig.interest,
            principal: -orig.principal,
            method: "reversal",
        });
    }
    if over > Decimal::ZERO {
        // The overpaid part was listed for refund: flag it for a person.
        let mut shown = tx.clone();
        shown.amount = Money::new(-over, tx.amount.currency());
        out.suspense.push(SuspenseItem {
            payment: shown,
            reason: format!(
                "reversal of the overpayment refunded from {}: stop or recover the refund",
                orig.payment_id
            ),
        });
    }
    if let Some(o) = book.payment_mut(&orig.key) {
        o.outcome = "reversed".into();
    }
    book.add(&tx.key, Arc::new(booked));
}

/// Allocates one payment to `claim` at its booking date and updates the
/// claim. Returns the allocation and the index of its event in `events`;
/// the caller writes the ids of both and the event's detail
/// (`describe_allocations`). `interest_owed`, when given, is
/// `interest_due(claim, booking date)` computed beforehand on the claim as
/// it is now.
///
/// # Errors
/// Interest evaluation errors (missing reference rate).
fn allocate(
    claim: &mut Claim,
    tx: &BankTransaction,
    method: &'static str,
    interest_owed: Option<Decimal>,
    pack: &dyn RulePack,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<(Allocation, usize), EngineError> {
    let b = tx.booking_date;
    let interest_owed = match interest_owed {
        Some(owed) => owed,
        None => interest_due(claim, b, pack)?.0,
    };
    let split = split(
        tx.amount.amount(),
        claim.fees_outstanding(),
        interest_owed,
        claim.principal_now(),
        pack.allocation_order(claim.debtor.kind),
    );
    claim.fees_paid += split.fees;
    claim.interest_paid += split.interest;
    if split.principal > Decimal::ZERO {
        // Interest for day b is on the principal at the start of b.
        claim.principal_changes.push(PrincipalChange {
            from: b + Duration::days(1),
            delta: -split.principal,
            cause: PrincipalCause::Payment,
        });
    }
    let e = event(
        date,
        "", // the ids: `describe_allocations`
        "allocation",
        split.fees + split.interest + split.principal,
        "allocation: fees, interest, principal",
        String::new(),
    );
    let event_at = events.len();
    events.push(e);
    // Interest left is computed only when principal and fees are paid.
    if claim.principal_now().is_zero()
        && claim.fees_outstanding().is_zero()
        && interest_due(claim, b.max(date), pack)?.0.is_zero()
    {
        close(claim, ClosedReason::Paid, date, events);
    }
    let allocation = Allocation {
        payment_id: tx.payment_id.clone(),
        claim_id: claim.claim_id.clone(),
        creditor_id: claim.creditor_id.clone(),
        invoice_number: claim.invoice_number.clone(),
        booking_date: b,
        currency: claim.currency,
        fees: split.fees,
        interest: split.interest,
        principal: split.principal,
        method,
    };
    Ok((allocation, event_at))
}

/// A payment split over fees, interest and principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub fees: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
}

/// Splits `amount` over the parts in `order`, each part taking at most what
/// is owed on it. `amount - (fees + interest + principal)` is the overpayment.
pub fn split(amount: Decimal, fees: Decimal, interest: Decimal, principal: Decimal, order: [Part; 3]) -> Split {
    let mut left = amount.max(Decimal::ZERO);
    let mut s = Split { fees: Decimal::ZERO, interest: Decimal::ZERO, principal: Decimal::ZERO };
    for part in order {
        let (owed, slot) = match part {
            Part::Fees => (fees, &mut s.fees),
            Part::Interest => (interest, &mut s.interest),
            Part::Principal => (principal, &mut s.principal),
        };
        let take = left.min(owed.max(Decimal::ZERO));
        *slot = take;
        left -= take;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const ORDER: [Part; 3] = [Part::Fees, Part::Interest, Part::Principal];

    #[test]
    fn fees_then_interest_then_principal() {
        let s = split(dec!(300), dec!(240), dec!(36.16), dec!(10000), ORDER);
        assert_eq!(s, Split { fees: dec!(240), interest: dec!(36.16), principal: dec!(23.84) });
        let s = split(dec!(100), dec!(240), dec!(36.16), dec!(10000), ORDER);
        assert_eq!(s, Split { fees: dec!(100), interest: dec!(0), principal: dec!(0) });
        let s = split(dec!(20000), dec!(0), dec!(5), dec!(10000), ORDER);
        assert_eq!(s.principal, dec!(10000));
        assert_eq!(dec!(20000) - s.fees - s.interest - s.principal, dec!(9995));
    }

    #[test]
    fn prefault_leaves_the_vector_as_it_was() {
        let mut v: Vec<String> = vec!["a".into(), "b".into()];
        v.reserve(10_000);
        let capacity = v.capacity();
        prefault(&mut v, 5_000);
        prefault(&mut v, capacity + 1); // more than the spare capacity: only that
        assert_eq!((v.len(), v.capacity()), (2, capacity));
        v.push("c".into());
        assert_eq!(v, ["a", "b", "c"]);
    }

    proptest::proptest! {
        #[test]
        fn allocation_never_loses_or_invents_an_ore(
            amount in 0i64..10_000_000, fees in 0i64..100_000, interest in 0i64..1_000_000, principal in 0i64..10_000_000,
        ) {
            let d = |x: i64| Decimal::new(x, 2);
            let s = split(d(amount), d(fees), d(interest), d(principal), ORDER);
            let over = d(amount) - s.fees - s.interest - s.principal;
            proptest::prop_assert!(over >= Decimal::ZERO);
            proptest::prop_assert!(s.fees <= d(fees) && s.interest <= d(interest) && s.principal <= d(principal));
            proptest::prop_assert_eq!(s.fees + s.interest + s.principal + over, d(amount));
            // Nothing is refunded while anything is still owed.
            if over > Decimal::ZERO {
                proptest::prop_assert_eq!((s.fees, s.interest, s.principal), (d(fees), d(interest), d(principal)));
            }
        }
    }
}
