//! The invariants every run checks before it commits (DESIGN.md), as a list
//! of named checks. Each violation names its check, the claim, payment or
//! creditor, and by how much.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rust_decimal::Decimal;

use super::{BookedPayment, Day, FastMap, FastSet, Ledger, Packs};
use crate::model::{Currency, Direction};

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub check: &'static str,
    /// The claim, payment or creditor concerned.
    pub subject: String,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invariant {} failed for {}: {}", self.check, self.subject, self.detail)
    }
}

type Check = fn(&Ledger, &Day, &Packs) -> Vec<Violation>;

/// The checks, most useful first.
pub const CHECKS: &[(&str, Check)] = &[
    ("payments_conserved", payments_conserved),
    ("verifications_balance", verifications_balance),
    ("journal_equals_allocations", journal_equals_allocations),
    ("bank_txn_booked_once", bank_txn_booked_once),
    ("no_negative_claim", no_negative_claim),
    ("fee_within_cap", fee_within_cap),
    ("no_letter_for_closed_claim", no_letter_for_closed_claim),
];

/// Runs every check; returns the names checked and the violations found.
/// The checks run in parallel; their findings are reported in `CHECKS` order.
pub fn run(booked_before: &Ledger, day: &Day, packs: &Packs) -> (Vec<&'static str>, Vec<Violation>) {
    use rayon::prelude::*;
    let found: Vec<Vec<Violation>> = CHECKS.par_iter().map(|(_, check)| check(booked_before, day, packs)).collect();
    (CHECKS.iter().map(|(name, _)| *name).collect(), found.into_iter().flatten().collect())
}

fn v(check: &'static str, subject: impl Into<String>, detail: String) -> Violation {
    Violation { check, subject: subject.into(), detail }
}

/// Sum in = allocated + refunded + in suspense, per currency, to the öre.
fn payments_conserved(_booked_before: &Ledger, day: &Day, _: &Packs) -> Vec<Violation> {
    let mut balance: BTreeMap<Currency, Decimal> = BTreeMap::new();
    let released: FastSet<&str> = day.released.iter().map(|r| &*r.key).collect();
    for p in day.state.payments.values().filter(|p| p.booked_on == day.date && !released.contains(&*p.key)) {
        *balance.entry(p.currency).or_default() += p.amount;
    }
    for r in &day.released {
        *balance.entry(r.currency).or_default() += r.amount;
    }
    for a in &day.allocations {
        *balance.entry(a.currency).or_default() -= a.total();
    }
    for r in &day.refunds {
        *balance.entry(r.payment.amount.currency()).or_default() -= r.amount;
    }
    for s in &day.suspense {
        *balance.entry(s.payment.amount.currency()).or_default() -= s.payment.amount.amount();
    }
    balance
        .into_iter()
        .filter(|(_, d)| !d.is_zero())
        .map(|(c, d)| {
            v("payments_conserved", c.code(), format!("payments in minus (allocated + refunded + suspense) is {d} {c}"))
        })
        .collect()
}

fn verifications_balance(_booked_before: &Ledger, day: &Day, _: &Packs) -> Vec<Violation> {
    day.verifications
        .iter()
        .filter_map(|ver| {
            let sum: Decimal = ver.postings().iter().map(|p| p.amount).sum();
            (!sum.is_zero()).then(|| {
                v("verifications_balance", ver.creditor_id(), format!("verification {} sums to {sum}", ver.number()))
            })
        })
        .collect()
}

/// Each creditor's clearing debit equals the capital and interest allocated.
fn journal_equals_allocations(_booked_before: &Ledger, day: &Day, _: &Packs) -> Vec<Violation> {
    let mut expected: BTreeMap<&str, Decimal> = BTreeMap::new();
    for a in &day.allocations {
        *expected.entry(a.creditor_id.as_str()).or_default() += a.principal + a.interest;
    }
    let mut out = Vec::new();
    for (creditor, want) in expected {
        let got: Decimal = day.verifications.iter().filter(|x| x.creditor_id() == creditor).map(|x| x.settled()).sum();
        if got != want {
            out.push(v(
                "journal_equals_allocations",
                creditor,
                format!("journal settles {got}, allocations of capital + interest {want}, off by {}", got - want),
            ));
        }
    }
    out
}

/// A transaction booked tonight was not booked before, and each booked
/// credit ends in exactly one of allocations, refunds (closed claim) or
/// suspense. The two halves run side by side (a million payments each).
fn bank_txn_booked_once(booked_before: &Ledger, day: &Day, _: &Packs) -> Vec<Violation> {
    let tonight = || day.state.payments.values().filter(|p| p.booked_on == day.date);
    // About one outcome per payment booked tonight.
    let n = day.allocations.len() + day.refunds.len() + day.suspense.len();
    let (mut out, ended) = rayon::join(
        || {
            let mut out = Vec::new();
            let released: FastSet<&str> = day.released.iter().map(|r| &*r.key).collect();
            let mut seen: FastSet<&str> = FastSet::with_capacity_and_hasher(n, Default::default());
            for p in tonight() {
                if booked_before.contains_key(&p.key) && !released.contains(&*p.key) {
                    out.push(v(
                        "bank_txn_booked_once",
                        p.payment_id.as_str(),
                        format!("key {} was booked on an earlier day", p.key),
                    ));
                }
                if !seen.insert(p.payment_id.as_str()) {
                    let detail = "two transactions share the payment id".into();
                    out.push(v("bank_txn_booked_once", p.payment_id.as_str(), detail));
                }
            }
            out
        },
        || ended_once(day, tonight(), n),
    );
    out.extend(ended);
    out
}

/// Each of tonight's booked credits (`tonight`) in exactly one outcome, and
/// no duplicate among them.
fn ended_once<'d>(day: &'d Day, tonight: impl Iterator<Item = &'d Arc<BookedPayment>>, n: usize) -> Vec<Violation> {
    let mut out = Vec::new();
    // Per payment id: (outcomes, allocations).
    let mut ended: FastMap<&str, (usize, usize)> = FastMap::with_capacity_and_hasher(n, Default::default());
    for a in &day.allocations {
        let e = ended.entry(a.payment_id.as_str()).or_default();
        (e.0, e.1) = (e.0 + 1, e.1 + 1);
    }
    for r in day.refunds.iter().filter(|r| r.reason != "overpayment") {
        ended.entry(r.payment.payment_id.as_str()).or_default().0 += 1;
    }
    for s in &day.suspense {
        ended.entry(s.payment.payment_id.as_str()).or_default().0 += 1;
    }
    for p in tonight {
        let (outcomes, allocated) = ended.get(p.payment_id.as_str()).copied().unwrap_or_default();
        if outcomes == 0 {
            out.push(v(
                "bank_txn_booked_once",
                p.payment_id.as_str(),
                "booked but in none of allocations, refunds, suspense".into(),
            ));
        }
        if allocated > 1 {
            out.push(v("bank_txn_booked_once", p.payment_id.as_str(), format!("allocated {allocated} times")));
        }
    }
    for d in day.duplicates.iter().chain(day.debits.iter()) {
        if d.direction == Direction::Credit
            && ended.contains_key(d.payment_id.as_str())
            && !day.state.payments.contains_key(d.key.as_str())
        {
            out.push(v("bank_txn_booked_once", d.payment_id.as_str(), "a duplicate was booked".into()));
        }
    }
    out
}

fn no_negative_claim(_booked_before: &Ledger, day: &Day, _: &Packs) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in day.state.claims.values() {
        let mut days: Vec<_> = c.principal_changes.iter().map(|x| x.from).collect();
        days.sort();
        for d in days {
            let p = c.principal_at(d);
            if p.is_sign_negative() && !p.is_zero() {
                out.push(v("no_negative_claim", c.claim_id.as_str(), format!("principal {p} from {d}")));
            }
        }
        if c.fees_outstanding() < Decimal::ZERO {
            out.push(v(
                "no_negative_claim",
                c.claim_id.as_str(),
                format!("fees paid exceed fees charged by {}", -c.fees_outstanding()),
            ));
        }
        if c.interest_paid < Decimal::ZERO {
            out.push(v("no_negative_claim", c.claim_id.as_str(), format!("interest paid {}", c.interest_paid)));
        }
    }
    out
}

/// Each fee at most once per claim and at most the statutory cap.
fn fee_within_cap(_booked_before: &Ledger, day: &Day, packs: &Packs) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in day.state.claims.values() {
        let Some(pack) = packs.get(&c.creditor_id) else { continue };
        let mut kinds = BTreeSet::new();
        for f in &c.fees {
            let cap = pack.fee_cap(f.kind, c.debtor.kind);
            if f.amount > cap {
                out.push(v(
                    "fee_within_cap",
                    c.claim_id.as_str(),
                    format!("{} of {} exceeds the cap {cap} by {}", f.kind.as_str(), f.amount, f.amount - cap),
                ));
            }
            if !kinds.insert(f.kind) {
                out.push(v("fee_within_cap", c.claim_id.as_str(), format!("{} charged twice", f.kind.as_str())));
            }
        }
    }
    out
}

/// No letter for a claim that is paid, closed or awaiting approval.
fn no_letter_for_closed_claim(_booked_before: &Ledger, day: &Day, _: &Packs) -> Vec<Violation> {
    let mut out = Vec::new();
    for l in &day.letters {
        match day.state.claims.get(l.claim_id.as_str()) {
            None => out.push(v("no_letter_for_closed_claim", &l.claim_id, "letter for an unknown claim".into())),
            Some(c) if c.stage.is_closed() || c.stage.awaits_approval() => out.push(v(
                "no_letter_for_closed_claim",
                &l.claim_id,
                format!("letter {} but the claim is {}", l.letter_id, c.stage.as_str()),
            )),
            Some(_) if l.amount_due <= Decimal::ZERO => out.push(v(
                "no_letter_for_closed_claim",
                &l.claim_id,
                format!("letter {} asks for {}", l.letter_id, l.amount_due),
            )),
            Some(_) => {}
        }
    }
    out
}
