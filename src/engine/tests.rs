//! Unit tests of the day's rules (DOMAIN.md Part A), one small night each.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::model::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const CR: &str = "5561234567";

fn config() -> Config {
    Config {
        agency: Agency {
            name: "Exempel Inkasso AB".into(),
            org_no: "5560000000".into(),
            country: "SE".into(),
            bankgiro: "5050-1055".into(),
            iban: "SE4550000000058398257466".into(),
            bic: "ESSESESS".into(),
            address: String::new(),
            phone: String::new(),
            email: Default::default(),
        },
        creditors: vec![Creditor {
            id: CR.into(),
            name: "Kund AB".into(),
            country: "SE".into(),
            payout_iban: String::new(),
            journal_formats: vec![],
            policy: Policy { excluded_groups: vec!["VIP".into()], ..Policy::default() },
            accounts: Accounts::default(),
        }],
        letters: LettersConfig::default(),
        inbox: InboxConfig::default(),
        rates: Default::default(),
    }
}

fn row(invoice: &str, due: &str, open: Decimal) -> ReceivableRow {
    ReceivableRow {
        source: Source { file: "export.csv".into(), line: 2 },
        creditor_id: CR.into(),
        invoice_number: invoice.into(),
        invoice_date: d("2024-10-01"),
        due_date: d(due),
        currency: Currency::SEK,
        amount: open,
        open_amount: open,
        status: InvoiceStatus::Sent,
        reference: inv_ref(invoice),
        debtor: Debtor {
            id: "D1".into(),
            kind: DebtorKind::Consumer,
            name: "Åsa Öberg".into(),
            address1: "Storgatan 1".into(),
            address2: Default::default(),
            postcode: "722 15".into(),
            city: "Västerås".into(),
            country: "SE".into(),
            email: Default::default(),
            language: "sv".into(),
        },
        debtor_group: String::new(),
        channel: Channel::Paper,
        reminded_by_creditor: false,
        other_agency: false,
        credited_invoice: String::new(),
        description: String::new(),
    }
}

/// The creditor's OCR reference of a test invoice (valid Luhn + length digit).
fn inv_ref(invoice: &str) -> String {
    let digits: String = invoice.chars().filter(char::is_ascii_digit).collect();
    crate::rules::reference::se_ocr_with_length(&format!("77{digits}")).unwrap()
}

fn payment(reference: &str, text: &str, amount: Decimal, booked: &str, n: u32) -> BankTransaction {
    BankTransaction {
        payment_id: format!("P{n}").into(),
        key: format!("K{n}"),
        source: Source { file: "camt.xml".into(), line: n },
        account: "SE45".into(),
        bank_ref: format!("B{n}").into(),
        booking_date: d(booked),
        amount: Money::new(amount, Currency::SEK),
        direction: Direction::Credit,
        reversal: false,
        structured_ref: reference.into(),
        unstructured: text.into(),
        payer: "Åsa".into(),
    }
}

/// The night of 2024-12-02 that takes over claim 5561234567-1 (1 000 SEK,
/// due 2024-11-01) and sends its reminder, and the claim's agency OCR.
fn one_claim_reminded(cfg: &Config) -> (Day, String) {
    let n1 = night(&State::default(), cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let ocr = n1.state.claims["5561234567-1"].agency_reference.to_string();
    (n1, ocr)
}

fn night(state: &State, cfg: &Config, date: &str, rows: Vec<ReceivableRow>, txs: Vec<BankTransaction>) -> Day {
    let inputs = Inputs { receivables: vec![rows], transactions: vec![txs], ..Inputs::default() };
    let day = day(state.clone(), inputs, cfg, d(date)).unwrap();
    let packs = Packs::new(cfg).unwrap();
    let (_, violations) = checks::run(&state.payments, &day, &packs);
    assert!(violations.is_empty(), "{violations:?}");
    day
}

#[test]
fn admission_records_the_first_failing_rule_in_order() {
    let cfg = config();
    // Fails rule 2 (other agency), 3 (VIP), 6 (amount) and 7 (not due): 2 is recorded.
    let mut r = row("1", "2024-12-30", dec!(50));
    r.other_agency = true;
    r.debtor_group = "VIP".into();
    let mut paid = row("2", "2024-11-01", dec!(500));
    paid.status = InvoiceStatus::Paid;
    let mut no_city = row("3", "2024-11-01", dec!(500));
    no_city.debtor.city.clear();
    let mut vip = row("4", "2024-11-01", dec!(500));
    vip.debtor_group = "VIP".into();
    let mut old = row("5", "2024-11-01", dec!(500));
    old.invoice_date = d("2021-12-16"); // exactly 3 years before: refused
    let mut young = row("6", "2024-11-01", dec!(500));
    young.invoice_date = d("2021-12-17"); // a day less than 3 years: admitted
    let mut other = row("7", "2024-11-01", dec!(500));
    other.creditor_id = "5550000000".into();
    let day = night(&State::default(), &cfg, "2024-12-16", vec![r, paid, no_city, vip, old, young, other], vec![]);
    let reasons: Vec<&str> = day.refusals.iter().map(|r| r.reason).collect();
    assert_eq!(reasons, ["other_agency", "status", "missing_address", "excluded_group", "too_old", "unknown_creditor"]);
    assert_eq!(day.admitted, ["5561234567-6"]);
}

#[test]
fn admission_follows_the_rows_order_for_duplicates_and_claim_numbers() {
    let cfg = config();
    let n1 = night(&State::default(), &cfg, "2024-12-16", vec![row("A", "2024-11-01", dec!(500))], vec![]);
    let at = |line, invoice: &str| {
        let mut r = row(invoice, "2024-11-01", dec!(500));
        r.source.line = line;
        r
    };
    let mut no_city = at(4, "B");
    no_city.debtor.city.clear();
    let rows = vec![
        at(2, "A"), // the existing claim: the creditor's news
        at(3, "A"), // the existing claim again tonight: a duplicate
        no_city,    // refused: missing_address
        at(5, "B"), // B's second row: a duplicate, though the first was refused
        at(6, "C"),
        at(7, "C"), // a duplicate
        at(8, "D"),
    ];
    let n2 = night(&n1.state, &cfg, "2024-12-17", rows, vec![]);
    let refused: Vec<(u32, &str)> = n2.refusals.iter().map(|r| (r.source.line, r.reason)).collect();
    assert_eq!(refused, [(3, "duplicate"), (4, "missing_address"), (5, "duplicate"), (7, "duplicate")]);
    assert_eq!(n2.admitted, ["5561234567-C", "5561234567-D"]);
    // Numbered in row order after the claims of earlier nights, each
    // admission event naming its row and the OCR reference of its number.
    let pack = Packs::new(&cfg).unwrap();
    let pack = pack.get(CR).unwrap();
    let admitted: Vec<(u64, &str, String)> = n2
        .events
        .iter()
        .filter(|e| e.kind == "admitted")
        .map(|e| {
            let claim = &n2.state.claims[e.claim_id.as_str()];
            (claim.claim_no, claim.agency_reference.as_str(), e.detail.to_string())
        })
        .collect();
    let ocr = |no| pack.agency_reference(no);
    assert_eq!(
        admitted,
        [
            (1002, ocr(1002).as_str(), format!("from export.csv:6; OCR {}", ocr(1002))),
            (1003, ocr(1003).as_str(), format!("from export.csv:8; OCR {}", ocr(1003))),
        ]
    );
    assert_eq!(n1.state.claims["5561234567-A"].claim_no, 1001);
}

#[test]
fn due_date_rule_uses_the_effective_due_date() {
    let cfg = config();
    // Due Saturday 2024-11-30 -> effective Monday 12-02; + 5 days = 12-07.
    let early = night(&State::default(), &cfg, "2024-12-06", vec![row("1", "2024-11-30", dec!(500))], vec![]);
    assert_eq!(early.refusals[0].reason, "not_yet_due");
    let ok = night(&State::default(), &cfg, "2024-12-07", vec![row("1", "2024-11-30", dec!(500))], vec![]);
    assert_eq!(ok.admitted.len(), 1);
    assert_eq!(ok.state.claims["5561234567-1"].effective_due, d("2024-12-02"));
    // Minimum amount: 100.00 is enough, 99.99 is not.
    let min = night(
        &State::default(),
        &cfg,
        "2024-12-16",
        vec![row("1", "2024-11-01", dec!(99.99)), row("2", "2024-11-01", dec!(100.00))],
        vec![],
    );
    assert_eq!(min.refusals[0].reason, "below_min_amount");
    assert_eq!(min.admitted, ["5561234567-2"]);
}

#[test]
fn reminded_by_creditor_goes_straight_to_the_inkassokrav() {
    let cfg = config();
    let mut r = row("1", "2024-11-01", dec!(1000));
    r.reminded_by_creditor = true;
    let day = night(&State::default(), &cfg, "2024-12-16", vec![r], vec![]);
    assert_eq!(day.letters[0].kind, LetterKind::Collection);
    assert_eq!(day.letters[0].fees, dec!(180), "inkassoavgift only, no reminder fee");
}

#[test]
fn business_debtor_pays_no_reminder_fee_but_450_with_the_inkassokrav() {
    let cfg = config();
    let mut r = row("1", "2024-11-01", dec!(1000));
    r.debtor.kind = DebtorKind::Business;
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![r], vec![]);
    assert_eq!(n1.letters[0].fees, dec!(0));
    let n2 = night(&n1.state, &cfg, "2024-12-15", vec![], vec![]);
    assert!(n2.letters.is_empty(), "13 days after the reminder: wait");
    let n3 = night(&n2.state, &cfg, "2024-12-16", vec![], vec![]);
    assert_eq!(n3.letters[0].kind, LetterKind::Collection);
    assert_eq!(n3.letters[0].fees, dec!(450));
    assert_eq!(n3.letters[0].fee_lines[0].kind, FeeKind::LateCompensation);
}

#[test]
fn direct_payment_in_full_closes_and_writes_off_fees_and_interest() {
    let cfg = config();
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let mut paid = row("1", "2024-11-01", dec!(1000));
    paid.open_amount = dec!(400);
    let n2 = night(&n1.state, &cfg, "2024-12-05", vec![paid.clone()], vec![]);
    let c = &n2.state.claims["5561234567-1"];
    assert_eq!(c.principal_now(), dec!(400));
    assert_eq!(c.principal_at(d("2024-12-05")), dec!(1000), "interest for the night's own day is on the old principal");
    assert_eq!(c.principal_at(d("2024-12-06")), dec!(400));
    assert!(n2.allocations.is_empty() && n2.verifications.is_empty(), "nothing to settle: the creditor has the money");
    paid.status = InvoiceStatus::Paid;
    let n3 = night(&n2.state, &cfg, "2024-12-06", vec![paid], vec![]);
    let c = &n3.state.claims["5561234567-1"];
    assert_eq!(c.stage, Stage::Closed(ClosedReason::PaidToCreditor));
    assert!(n3.events.iter().any(|e| e.kind == "fees_written_off" && e.amount == dec!(-60)));
    // A closed claim gets no more letters, and its payments are refunded.
    let n4 = night(
        &n3.state,
        &cfg,
        "2024-12-20",
        vec![],
        vec![payment(&c.agency_reference.clone(), "", dec!(100), "2024-12-19", 1)],
    );
    assert!(n4.letters.is_empty());
    assert_eq!((n4.refunds[0].reason, n4.refunds[0].amount), ("claim_closed", dec!(100)));
}

#[test]
fn continue_fees_after_direct_payment_keeps_the_claim_open_for_fees() {
    let mut cfg = config();
    cfg.creditors[0].policy.continue_fees_after_direct_payment = true;
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let mut paid = row("1", "2024-11-01", dec!(1000));
    paid.status = InvoiceStatus::Paid;
    let n2 = night(&n1.state, &cfg, "2024-12-05", vec![paid], vec![]);
    let c = &n2.state.claims["5561234567-1"];
    assert!(!c.stage.is_closed());
    assert_eq!(c.fees_outstanding(), dec!(60));
}

#[test]
fn credit_note_is_applied_once_and_a_full_credit_closes_the_claim() {
    let cfg = config();
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let mut cn = row("CN1", "2024-11-01", dec!(-300));
    cn.credited_invoice = "1".into();
    let n2 = night(&n1.state, &cfg, "2024-12-03", vec![cn.clone()], vec![]);
    assert_eq!(n2.state.claims["5561234567-1"].principal_now(), dec!(700));
    let n3 = night(&n2.state, &cfg, "2024-12-04", vec![cn.clone()], vec![]);
    assert_eq!(n3.state.claims["5561234567-1"].principal_now(), dec!(700), "same credit note again: no effect");
    let mut cn2 = row("CN2", "2024-11-01", dec!(-700));
    cn2.credited_invoice = "1".into();
    let n4 = night(&n3.state, &cfg, "2024-12-05", vec![cn, cn2], vec![]);
    assert_eq!(n4.state.claims["5561234567-1"].stage, Stage::Closed(ClosedReason::Credited));
    // A credit note for an invoice not in collection is listed, not lost.
    let mut stray = row("CN3", "2024-11-01", dec!(-10));
    stray.credited_invoice = "999".into();
    let n5 = night(&n4.state, &cfg, "2024-12-06", vec![stray], vec![]);
    assert_eq!(n5.refusals[0].reason, "credit_note_without_claim");
}

#[test]
fn payment_matching_structured_free_text_ambiguous_and_overpaid() {
    let cfg = config();
    let mut other = row("2", "2024-11-01", dec!(500));
    other.reference = inv_ref("1"); // same invoice reference as claim 1: ambiguous
    let n1 = night(
        &State::default(),
        &cfg,
        "2024-12-02",
        vec![row("1", "2024-11-01", dec!(1000)), other, row("3", "2024-11-01", dec!(200))],
        vec![],
    );
    let ocr3 = n1.state.claims["5561234567-3"].agency_reference.clone();
    let txs = vec![
        payment(&inv_ref("1"), "", dec!(10), "2024-12-03", 1),
        payment("", &format!("faktura {}", inv_ref("1")), dec!(10), "2024-12-03", 2),
        payment("", &format!("OCR {ocr3} tack"), dec!(1000), "2024-12-03", 3),
        payment("12345", "", dec!(5), "2024-12-03", 4),
    ];
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], txs);
    let reasons: Vec<&str> = n2.suspense.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons, ["ambiguous: 2 claims", "ambiguous: 2 claims", "bad_check_digit"]);
    assert_eq!(n2.allocations.len(), 1);
    assert_eq!(n2.allocations[0].method, "reference_in_text");
    // 200 principal + 60 fee + interest 2024-11-02..12-03 (32 days at 12 %) = 2.10
    assert_eq!(
        (n2.allocations[0].fees, n2.allocations[0].interest, n2.allocations[0].principal),
        (dec!(60), dec!(2.10), dec!(200))
    );
    assert_eq!((n2.refunds[0].reason, n2.refunds[0].amount), ("overpayment", dec!(737.90)));
    assert_eq!(n2.state.claims["5561234567-3"].stage, Stage::Closed(ClosedReason::Paid));
    // The audit log tells the allocation, event after event (the closing follows it).
    let logged: Vec<(&str, &str)> = n2
        .events
        .iter()
        .filter(|e| e.claim_id == "5561234567-3")
        .map(|e| (e.kind.as_ref(), e.detail.as_str()))
        .collect();
    let detail = format!(
        "{} booked 2024-12-03 via reference_in_text: fees 60 interest 2.10 principal 200",
        n2.allocations[0].payment_id
    );
    assert_eq!(logged, [("allocation", detail.as_str()), ("closed", "paid")]);
}

#[test]
fn the_same_bank_transaction_is_booked_once() {
    let cfg = config();
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let p = payment(&inv_ref("1"), "", dec!(100), "2024-12-03", 1);
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], vec![p.clone(), p.clone()]);
    assert_eq!((n2.allocations.len(), n2.duplicates.len()), (1, 1));
    let n3 = night(&n2.state, &cfg, "2024-12-05", vec![], vec![p]);
    assert_eq!((n3.allocations.len(), n3.duplicates.len()), (0, 1));
}

#[test]
fn legal_step_without_approval_policy_clears_the_claim_directly() {
    let mut cfg = config();
    cfg.creditors[0].policy.approve_before_legal = false;
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let n2 = night(&n1.state, &cfg, "2024-12-16", vec![], vec![]);
    let pay_by = n2.letters[0].pay_by; // 12-26 is a holiday -> 12-27
    assert_eq!(pay_by, d("2024-12-27"));
    let n3 = night(&n2.state, &cfg, "2025-01-10", vec![], vec![]);
    assert_eq!(n3.state.claims["5561234567-1"].stage, Stage::Collection, "pay-by + 14 = 01-10 not yet passed");
    let n4 = night(&n3.state, &cfg, "2025-01-11", vec![], vec![]);
    assert_eq!(n4.state.claims["5561234567-1"].stage, Stage::LegalApproved);
    assert!(n4.awaiting.is_empty());
}

#[test]
fn settlement_credits_capital_per_invoice_and_interest_and_debits_clearing() {
    let cfg = config();
    let n1 = night(
        &State::default(),
        &cfg,
        "2024-12-02",
        vec![row("1", "2024-11-01", dec!(1000)), row("2", "2024-11-01", dec!(500))],
        vec![],
    );
    let txs = vec![
        payment(&inv_ref("1"), "", dec!(500), "2024-12-03", 1),
        payment(&inv_ref("2"), "", dec!(100), "2024-12-03", 2),
    ];
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], txs);
    let v = &n2.verifications[0];
    let lines: Vec<String> = v.postings().iter().map(|p| format!("{} {}", p.account, p.amount)).collect();
    // 1: 60 fee, interest 11-02..12-03 on 1000 = 10.52, principal 429.48; 2: 60 fee, 5.26 interest, 34.74 principal
    assert_eq!(lines, ["1510 -429.48", "8313 -10.52", "1510 -34.74", "8313 -5.26", "1512 480.00"]);
}

#[test]
fn checks_detect_a_tampered_day() {
    let cfg = config();
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let mut n2 =
        night(&n1.state, &cfg, "2024-12-04", vec![], vec![payment(&inv_ref("1"), "", dec!(500), "2024-12-03", 1)]);
    n2.allocations[0].principal += dec!(0.01);
    n2.state.claim_mut("5561234567-1").unwrap().fees.push(Fee {
        kind: FeeKind::Reminder,
        amount: dec!(75),
        date: d("2024-12-04"),
        rule: "test".into(),
    });
    let mut letter = n1.letters[0].clone();
    letter.claim_id = "5561234567-1".into();
    n2.state.claim_mut("5561234567-1").unwrap().stage = Stage::Closed(ClosedReason::Paid);
    n2.letters.push(letter);
    let (_, v) = checks::run(&n1.state.payments, &n2, &Packs::new(&cfg).unwrap());
    let names: std::collections::BTreeSet<&str> = v.iter().map(|x| x.check).collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["fee_within_cap", "journal_equals_allocations", "no_letter_for_closed_claim", "payments_conserved"]
    );
    assert!(v.iter().any(|x| x.detail.contains("-0.01 SEK")), "{v:?}");
}

proptest::proptest! {
    #[test]
    fn every_verification_balances_and_equals_the_payments(amounts in proptest::collection::vec(1i64..2_000_000, 1..6)) {
        let cfg = config();
        let rows: Vec<ReceivableRow> = (0..amounts.len()).map(|i| row(&i.to_string(), "2024-11-01", dec!(5000))).collect();
        let n1 = night(&State::default(), &cfg, "2024-12-02", rows, vec![]);
        let txs: Vec<BankTransaction> = amounts.iter().enumerate().map(|(i, a)| payment(&inv_ref(&i.to_string()), "", Decimal::new(*a, 2), "2024-12-03", i as u32)).collect();
        let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], txs);
        let paid_to_creditor: Decimal = n2.allocations.iter().map(|a| a.principal + a.interest).sum();
        let total_in: Decimal = amounts.iter().map(|a| Decimal::new(*a, 2)).sum();
        let out: Decimal = n2.allocations.iter().map(Allocation::total).sum::<Decimal>() + n2.refunds.iter().map(|r| r.amount).sum::<Decimal>();
        proptest::prop_assert_eq!(total_in, out);
        for v in &n2.verifications {
            proptest::prop_assert!(v.postings().iter().map(|p| p.amount).sum::<Decimal>().is_zero());
        }
        proptest::prop_assert_eq!(n2.verifications.iter().map(|v| v.settled()).sum::<Decimal>(), paid_to_creditor);
    }
}

#[test]
fn amount_and_payer_match_exactly_one_similar_name() {
    let cfg = config();
    let mut other = row("2", "2024-11-01", dec!(1000));
    other.debtor.name = "Per Eriksson".into();
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000)), other], vec![]);
    // Both letters ask 1000 + 60 fee + interest to 12-02 (31 days at 12 % = 10.19) = 1070.19.
    assert_eq!(n1.letters[0].amount_due, dec!(1070.19));
    let mut p = payment("", "tack", dec!(1070.19), "2024-12-02", 1);
    p.payer = "ASA OBERG".into();
    let mut nobody = payment("", "", dec!(1070.19), "2024-12-02", 2);
    nobody.payer = "Karl Nilsson".into();
    // The balance at a later booking date matches too (one more day of interest: 10.52 on 12-03).
    let mut later = payment("", "", dec!(1070.52), "2024-12-03", 3);
    later.payer = "Eriksson, Per".into();
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], vec![p, nobody, later]);
    let got: Vec<(&str, &str)> = n2.allocations.iter().map(|a| (a.claim_id.as_str(), a.method)).collect();
    assert_eq!(got, [("5561234567-1", "amount_and_payer"), ("5561234567-2", "amount_and_payer")]);
    assert_eq!(n2.suspense[0].reason, "no_candidate");
}

#[test]
fn manual_match_resolves_an_earlier_suspense_item() {
    let cfg = config();
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let n2 =
        night(&n1.state, &cfg, "2024-12-04", vec![], vec![payment("", "för Åsas räkning", dec!(500), "2024-12-03", 1)]);
    assert_eq!(n2.suspense.len(), 1);
    let line = |line, payment_id: &str| ManualMatch {
        source: Source { file: "matches.csv".into(), line },
        payment_id: payment_id.into(),
        claim_id: "5561234567-1".into(),
    };
    // An unknown payment id is reported; the same payment named again is
    // released once.
    let matches = vec![line(4, "P1"), line(3, "P404"), line(2, "P1")];
    let inputs = Inputs { matches, ..Inputs::default() };
    let n3 = day(n2.state.clone(), inputs, &cfg, d("2024-12-05")).unwrap();
    let (_, violations) = checks::run(&n2.state.payments, &n3, &Packs::new(&cfg).unwrap());
    assert!(violations.is_empty(), "{violations:?}");
    let ignored: Vec<&str> =
        n3.events.iter().filter(|e| e.kind == "manual_match_ignored").map(|e| e.detail.as_str()).collect();
    assert_eq!(ignored, ["matches.csv:3: no payment P404"]);
    assert_eq!(n3.allocations.len(), 1);
    assert_eq!((n3.allocations[0].method, n3.allocations[0].booking_date), ("manual", d("2024-12-03")));
    assert_eq!(n3.released.len(), 1);
    assert_eq!(n3.state.payments["K1"].outcome, "allocated");
    assert_eq!(n3.verifications.len(), 1, "settled on the night it is resolved");
}

#[test]
fn a_bank_reversal_undoes_the_allocation() {
    let cfg = config();
    let (n1, ocr) = one_claim_reminded(&cfg);
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], vec![payment(&ocr, "", dec!(1200), "2024-12-03", 1)]);
    assert_eq!(n2.state.claims["5561234567-1"].stage, Stage::Closed(ClosedReason::Paid));
    assert_eq!(n2.refunds[0].amount, dec!(1200) - dec!(1000) - dec!(60) - dec!(10.52));
    let mut rev = payment(&ocr, "", dec!(1200), "2024-12-05", 2);
    rev.direction = Direction::Debit;
    rev.reversal = true;
    rev.bank_ref = "B1".into(); // the bank repeats the original's reference
    let n3 = night(&n2.state, &cfg, "2024-12-06", vec![], vec![rev]);
    let c = &n3.state.claims["5561234567-1"];
    assert_eq!(c.stage, Stage::Reminder, "reopened");
    assert_eq!((c.principal_now(), c.fees_outstanding(), c.interest_paid), (dec!(1000), dec!(60), dec!(0)));
    assert_eq!(n3.allocations[0].principal, dec!(-1000));
    assert_eq!(n3.verifications[0].settled(), dec!(-1010.52), "the creditor's journal books capital and interest back");
    assert!(n3.suspense[0].reason.contains("stop or recover the refund"));
    assert_eq!(n3.state.payments["K1"].outcome, "reversed");
}

#[test]
fn a_reversal_finds_a_payment_booked_earlier_the_same_night() {
    let cfg = config();
    let (n1, ocr) = one_claim_reminded(&cfg);
    let paid = payment(&ocr, "", dec!(300), "2024-12-03", 1);
    let mut rev = payment(&ocr, "", dec!(300), "2024-12-03", 2);
    (rev.direction, rev.reversal, rev.bank_ref) = (Direction::Debit, true, "B1".into());
    let again = payment(&ocr, "", dec!(300), "2024-12-03", 3);
    let mut repeat = paid.clone(); // the same transaction in a later file: booked once
    repeat.source.line = 9;
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], vec![paid, rev, again, repeat]);
    assert_eq!(n2.duplicates.len(), 1);
    let methods: Vec<&str> = n2.allocations.iter().map(|a| a.method).collect();
    assert_eq!(methods, ["agency_ocr", "reversal", "agency_ocr"]);
    assert_eq!(n2.allocations[1].total(), -n2.allocations[0].total());
    let outcomes: Vec<&str> = ["K1", "K2", "K3"].iter().map(|k| n2.state.payments[*k].outcome.as_str()).collect();
    assert_eq!(outcomes, ["reversed", "reversal", "allocated"]);
    assert_eq!(n2.state.payments.len(), 3);
}

#[test]
fn a_second_reversal_finds_a_payment_booked_after_the_first_reversal() {
    let cfg = config();
    let (n1, ocr) = one_claim_reminded(&cfg);
    let reversal_of = |n: u32, of: &str| {
        let mut rev = payment(&ocr, "", dec!(300), "2024-12-03", n);
        (rev.direction, rev.reversal, rev.bank_ref) = (Direction::Debit, true, of.into());
        rev
    };
    let txs = vec![
        payment(&ocr, "", dec!(300), "2024-12-03", 1),
        reversal_of(2, "B1"),
        payment(&ocr, "", dec!(300), "2024-12-03", 3),
        reversal_of(4, "B3"),
        reversal_of(5, "B3"), // B3 is reversed already: nothing left to undo
    ];
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], txs);
    let outcomes: Vec<&str> =
        ["K1", "K2", "K3", "K4", "K5"].iter().map(|k| n2.state.payments[*k].outcome.as_str()).collect();
    assert_eq!(outcomes, ["reversed", "reversal", "reversed", "reversal", "suspense"]);
    assert_eq!(n2.state.claims["5561234567-1"].principal_now(), dec!(1000));
    assert!(n2.suspense[0].reason.starts_with("reversal_without_original"));
}

#[test]
fn a_reference_hash_collision_never_matches_the_other_claim() {
    let cfg = config();
    let n1 = night(&State::default(), &cfg, "2024-12-02", vec![row("1", "2024-11-01", dec!(1000))], vec![]);
    let claims: Vec<&Claim> = n1.state.claims.values().map(|c| &**c).collect();
    let mut index = super::matching::Index::new(&claims);
    let by_text = |index: &super::matching::Index, text: &str| {
        index.by_reference_steps(&payment("", text, dec!(10), "2024-12-03", 1), &claims)
    };
    let found =
        super::matching::ByReference::Found(super::matching::Match::Claim { pos: 0, method: "reference_in_text" });
    assert_eq!(by_text(&index, "Faktura 1"), found);
    index.collide_invoice_number("999", 0);
    assert_eq!(by_text(&index, "Faktura 999"), super::matching::ByReference::NotFound { bad_check_digit: false });
    assert_eq!(by_text(&index, "Faktura 1"), found);
}

#[test]
fn a_second_payment_the_same_night_sees_what_the_first_paid() {
    let cfg = config();
    let (n1, ocr) = one_claim_reminded(&cfg);
    let first = payment(&ocr, "", dec!(100), "2024-12-03", 1);
    let second = payment(&ocr, "", dec!(100), "2024-12-03", 2);
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], vec![first, second]);
    let splits: Vec<(Decimal, Decimal, Decimal)> =
        n2.allocations.iter().map(|a| (a.fees, a.interest, a.principal)).collect();
    // Interest to 12-03: 1000 × 12 % × 32 / 365 = 10.52, owed once.
    assert_eq!(splits, [(dec!(60), dec!(10.52), dec!(29.48)), (dec!(0), dec!(0), dec!(100))]);
}

#[test]
fn add_to_map_keeps_the_last_value_of_a_repeated_key_one_by_one_or_merged() {
    for existing in [0, 100] {
        let mut map: std::collections::BTreeMap<u32, &str> = (1000..1000 + existing).map(|k| (k, "old")).collect();
        add_to_map(&mut map, vec![(2, "a"), (1, "b"), (2, "c")]);
        assert_eq!((map[&1], map[&2], map.len()), ("b", "c", existing as usize + 2), "{existing} entries before");
    }
}

/// Each invariant check fires on the fault it guards against (a day made
/// by the engine, then broken by hand). `verifications_balance` cannot be
/// broken from here: `Verification::new` refuses an unbalanced one.
#[test]
fn every_check_catches_its_fault() {
    let cfg = config();
    let packs = Packs::new(&cfg).unwrap();
    let (n1, ocr) = one_claim_reminded(&cfg);
    let n2 = night(&n1.state, &cfg, "2024-12-04", vec![], vec![payment(&ocr, "", dec!(500), "2024-12-03", 1)]);
    assert_eq!(n2.allocations.len(), 1);
    let fired = |booked_before: &Ledger, day: &Day| -> Vec<&'static str> {
        let checks: BTreeSet<&str> = checks::run(booked_before, day, &packs).1.iter().map(|v| v.check).collect();
        checks.into_iter().collect()
    };
    let before = &n1.state.payments;
    let claim = "5561234567-1";
    let broken = |change: &dyn Fn(&mut Day)| {
        let mut day = n2.clone();
        change(&mut day);
        fired(before, &day)
    };
    assert_eq!(fired(before, &n2), Vec::<&str>::new());

    let one_ore_more = broken(&|d| d.allocations[0].principal += dec!(0.01));
    assert_eq!(one_ore_more, ["journal_equals_allocations", "payments_conserved"]);
    // The payment's key was booked on an earlier day.
    assert_eq!(fired(&n2.state.payments, &n2), ["bank_txn_booked_once"]);
    let twice = broken(&|d| d.allocations.push(d.allocations[0].clone()));
    assert!(twice.contains(&"bank_txn_booked_once"), "{twice:?}");
    let nowhere = broken(&|d| d.allocations.clear());
    assert!(nowhere.contains(&"bank_txn_booked_once"), "{nowhere:?}");
    let mut repeat = payment(&ocr, "", dec!(500), "2024-12-03", 1);
    repeat.key = "K1 again".into();
    assert_eq!(broken(&|d| d.duplicates.push(repeat.clone())), ["bank_txn_booked_once"]);

    let overpaid_fees = broken(&|d| {
        let c = Arc::make_mut(d.state.claims.get_mut(claim).unwrap());
        c.fees_paid = c.fees.iter().map(|f| f.amount).sum::<Decimal>() + dec!(1);
    });
    assert_eq!(overpaid_fees, ["no_negative_claim"]);
    let above_cap = broken(&|d| {
        let c = Arc::make_mut(d.state.claims.get_mut(claim).unwrap());
        let fee = Fee { kind: FeeKind::Collection, amount: dec!(180.01), date: d.date, rule: "test".into() };
        c.fees.push(fee);
    });
    assert_eq!(above_cap, ["fee_within_cap"]);

    let mut n1_closed = n1.clone();
    Arc::make_mut(n1_closed.state.claims.get_mut(claim).unwrap()).stage = Stage::Closed(ClosedReason::Paid);
    assert_eq!(n1.letters.len(), 1);
    assert_eq!(fired(&Ledger::new(), &n1_closed), ["no_letter_for_closed_claim"]);
}
