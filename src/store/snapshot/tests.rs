//! Round trips and bad files. Under `cfg(test)` a row group has 7 rows, so
//! these small tables span several row groups as large ones do.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::model::{
    Channel, ClosedReason, Currency, Debtor, DebtorKind, Fee, FeeKind, LetterKind, PrincipalCause, PrincipalChange,
    SentLetter, Stage,
};

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 10).unwrap() + Duration::days(n)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Amounts at the edges: zeros, trailing zeros, 28 decimals, beyond i64,
/// rust_decimal's extremes.
fn amount(i: usize) -> Decimal {
    let edges = [
        dec("1312.47"),
        dec("0"),
        dec("0.00"),
        dec("100.50"),
        dec("-250.12345"),
        dec("0.0000000000000000000000000001"),
        Decimal::ONE / Decimal::from(3),
        dec("99999999999999999999.99"),
        dec("9223372036854775807"),
        dec("-9223372036854775808"),
        dec("92233720368547758.08"),
        Decimal::MAX,
        Decimal::MIN,
    ];
    edges[i % edges.len()]
}

const STAGES: [Stage; 9] = [
    Stage::Reminder,
    Stage::AwaitingCollectionApproval,
    Stage::Collection,
    Stage::AwaitingLegalApproval,
    Stage::LegalApproved,
    Stage::Closed(ClosedReason::Paid),
    Stage::Closed(ClosedReason::PaidToCreditor),
    Stage::Closed(ClosedReason::Credited),
    Stage::Closed(ClosedReason::Withdrawn),
];

/// Texts: empty, exactly 12 and 13 bytes (polars keeps up to 12 inline),
/// non-ASCII, long.
fn text(i: usize, what: &str) -> String {
    match i % 5 {
        0 => String::new(),
        1 => "exactly12byt".into(),
        2 => "exactly13byte".into(),
        3 => format!("Åsa Öberg-Ærø ß 日本 {what} {i}"),
        _ => format!("{what} {i} ").repeat(40),
    }
}

fn claim(i: usize) -> Claim {
    Claim {
        claim_id: format!("556{i:07}-{}", 1000 + i).into(),
        claim_no: 1001 + (i as u64 * 7919) % 100_000,
        creditor_id: format!("556{i:07}").into(),
        invoice_number: format!("{}", 1000 + i).into(),
        invoice_date: day(-(i as i64)),
        due_date: day(i as i64 - 400_000),
        effective_due: day(i as i64 + 300_000),
        currency: [
            Currency::SEK,
            Currency::DKK,
            Currency::NOK,
            Currency::EUR,
            Currency::Other(*b"CHF"),
            Currency::Other(*b"JPY"),
        ][i % 6],
        invoice_reference: text(i + 1, "ref").into(),
        agency_reference: text(i + 2, "ocr").into(),
        debtor: std::sync::Arc::new(Debtor {
            id: text(i + 3, "id").into(),
            kind: if i.is_multiple_of(2) { DebtorKind::Consumer } else { DebtorKind::Business },
            name: text(i + 4, "name").into(),
            address1: text(i, "a1").into(),
            address2: text(i + 1, "a2").into(),
            postcode: text(i + 2, "pc").into(),
            city: text(i + 3, "city").into(),
            country: text(i + 4, "ctry").into(),
            email: text(i, "mail").into(),
            language: text(i + 1, "lang").into(),
        }),
        channel: [Channel::Paper, Channel::Email, Channel::Einvoice][i % 3],
        description: text(i + 2, "descr").into(),
        reminded_by_creditor: i.is_multiple_of(3),
        admitted_on: day(i as i64 % 9),
        principal_original: amount(i),
        principal_changes: (0..i % 4)
            .map(|k| PrincipalChange {
                from: day(k as i64),
                delta: amount(i + k + 1),
                cause: [PrincipalCause::Payment, PrincipalCause::DirectPayment, PrincipalCause::CreditNote][k % 3],
            })
            .collect(),
        interest_paid: amount(i + 5),
        fees: (0..(i + 1) % 4)
            .map(|k| Fee {
                kind: [FeeKind::Reminder, FeeKind::Collection, FeeKind::LateCompensation][k % 3],
                amount: amount(i + k + 2),
                date: day(k as i64 * 3),
                rule: text(i + k, "rule").into(),
            })
            .collect(),
        fees_paid: amount(i + 6),
        letters: (0..(i + 2) % 3)
            .map(|k| SentLetter {
                kind: if k.is_multiple_of(2) { LetterKind::Reminder } else { LetterKind::Collection },
                date: day(k as i64),
                pay_by: day(k as i64 + 10),
                amount_due: amount(i + k + 3),
            })
            .collect(),
        stage: STAGES[i % STAGES.len()],
        stage_since: day(i as i64),
        credit_notes: (0..i % 3).map(|k| text(i + k + 1, "K")).collect(),
    }
}

fn payment(i: usize) -> BookedPayment {
    BookedPayment {
        payment_id: format!("P{i:016X}").into(),
        key: format!("SE45|B{i}|{}|credit|{}", day(0), amount(i)).into(),
        booked_on: day(i as i64),
        booking_date: day(i as i64 - 1),
        amount: amount(i),
        currency: [Currency::SEK, Currency::Other(*b"USD")][i % 2],
        outcome: ["allocated", "refund", "suspense", "reversal", "reversed"][i % 5].into(),
        claim_id: text(i, "claim").into(),
        account: text(i + 1, "acct").into(),
        bank_ref: text(i + 2, "bref").into(),
        reference: text(i + 3, "ref").into(),
        fees: amount(i + 1),
        interest: amount(i + 2),
        principal: amount(i + 3),
    }
}

fn event(i: usize) -> Event {
    Event {
        date: day(0),
        claim_id: text(i, "claim").into(),
        payment_id: text(i + 1, "pay").into(),
        kind: text(i + 2, "kind").into(),
        amount: amount(i),
        rule: text(i + 3, "rule").into(),
        detail: text(i + 4, "detail"),
    }
}

fn state(claims: usize, payments: usize) -> State {
    State {
        date: Some(day(0)),
        claims: (0..claims).map(claim).map(|c| (c.claim_id.clone(), Arc::new(c))).collect(),
        payments: (0..payments).map(payment).map(|p| (p.key.clone(), std::sync::Arc::new(p))).collect(),
        next_claim_no: 0,
    }
}

/// `state` as `read` gives it back: the day and the next claim number set.
fn expected(mut state: State) -> State {
    state.next_claim_no = state.claims.values().map(|c| c.claim_no + 1).max().unwrap_or(0).max(FIRST_CLAIM_NO);
    state
}

fn written(claims: usize, payments: usize, events: usize) -> (tempfile::TempDir, PathBuf, State, Vec<Event>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("state").join(day(0).to_string());
    let (s, e) = (state(claims, payments), (0..events).map(event).collect::<Vec<_>>());
    write(&dir, &s, &e).unwrap();
    (tmp, dir, s, e)
}

#[test]
fn every_field_round_trips_exactly() {
    let (_tmp, dir, s, events) = written(40, 30, 25);
    let back = read(&dir, day(0)).unwrap();
    assert_eq!(back, expected(s.clone()));
    assert_eq!(read_events(&dir).unwrap(), events);
    // Equal amounts may differ in scale (`100.5` == `100.50`): the text of
    // every amount must be the same too.
    assert_eq!(format!("{back:?}"), format!("{:?}", expected(s.clone())));
    assert!(format!("{back:?}").contains("100.50"));
    let histories: usize = s.claims.values().map(|c| c.fees.len() + c.letters.len() + c.credit_notes.len()).sum();
    assert!(histories > 7 * 3, "the histories span several row groups");
}

#[test]
fn an_empty_state_round_trips() {
    let (_tmp, dir, s, events) = written(0, 0, 0);
    assert_eq!(read(&dir, day(0)).unwrap(), expected(s));
    assert_eq!(read_events(&dir).unwrap(), events);
}

#[test]
fn the_same_state_gives_the_same_bytes() {
    let (_a, dir_a, s, e) = written(30, 20, 10);
    let tmp = tempfile::tempdir().unwrap();
    let dir_b = tmp.path().join("again");
    write(&dir_b, &s.clone(), &e).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir_a).unwrap().map(|f| f.unwrap().file_name()).collect();
    files.sort();
    assert_eq!(files.len(), 7);
    for file in files {
        assert!(std::fs::read(dir_a.join(&file)).unwrap() == std::fs::read(dir_b.join(&file)).unwrap(), "{file:?}");
    }
}

/// Rewrites one file of the snapshot through `change`.
fn rewrite(dir: &Path, file: &str, change: impl FnOnce(DataFrame) -> DataFrame) {
    let path = dir.join(file);
    let df = ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
    let mut df = change(df);
    ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut df).unwrap();
}

/// Replaces column `name` by `column`.
fn replace(name: &str, column: Column) -> impl FnOnce(DataFrame) -> DataFrame + '_ {
    move |mut df| {
        df.with_column(column.with_name(name.into())).unwrap();
        df
    }
}

fn read_error(dir: &Path) -> String {
    match read(dir, day(0)) {
        Ok(_) => panic!("a bad snapshot was read"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_missing_column_names_the_file_and_the_column() {
    let (_tmp, dir, ..) = written(10, 5, 0);
    rewrite(&dir, "claims.parquet", |df| df.drop("debtor_city").unwrap());
    let message = read_error(&dir);
    assert!(message.contains("claims.parquet") && message.contains("`debtor_city` is missing"), "{message}");
}

#[test]
fn a_column_of_the_wrong_type_names_the_file_and_the_column() {
    let (_tmp, dir, ..) = written(10, 5, 0);
    rewrite(&dir, "payments.parquet", replace("booked_on", Column::new("x".into(), vec!["2025-01-10"; 5])));
    let message = read_error(&dir);
    assert!(message.contains("payments.parquet") && message.contains("`booked_on` has type str"), "{message}");
    let (_tmp, dir, ..) = written(10, 5, 0);
    rewrite(&dir, "claim_fees.parquet", |df| {
        let rows = df.height();
        replace("amount_mantissa", Column::new("x".into(), vec![1.5f64; rows]))(df)
    });
    let message = read_error(&dir);
    assert!(message.contains("claim_fees.parquet") && message.contains("`amount_mantissa` has type f64"), "{message}");
}

#[test]
fn a_bad_value_names_the_file_column_and_row() {
    let (_tmp, dir, ..) = written(10, 5, 0);
    let stages: Vec<&str> = (0..10).map(|i| if i == 8 { "lost" } else { "paid" }).collect();
    rewrite(&dir, "claims.parquet", replace("stage", Column::new("x".into(), stages)));
    let message = read_error(&dir);
    assert!(
        message.contains("claims.parquet") && message.contains("`stage`, row 9: unknown value \"lost\""),
        "{message}"
    );

    let (_tmp, dir, ..) = written(10, 5, 0);
    let names: Vec<Option<&str>> = (0..10).map(|i| (i != 3).then_some("x")).collect();
    rewrite(&dir, "claims.parquet", replace("debtor_name", Column::new("x".into(), names)));
    let message = read_error(&dir);
    assert!(message.contains("`debtor_name`, row 4: no value"), "{message}");

    let (_tmp, dir, ..) = written(10, 5, 0);
    let scales: Vec<u32> = (0..5).map(|i| if i == 2 { 29 } else { 2 }).collect();
    rewrite(&dir, "payments.parquet", |df| {
        let mut df = replace("fees_scale", Column::new("x".into(), scales))(df);
        df.with_column(Column::new("fees_mantissa".into(), vec![1i64; 5])).unwrap();
        df.with_column(Column::full_null("fees_text".into(), 5, &DataType::String)).unwrap();
        df
    });
    let message = read_error(&dir);
    assert!(message.contains("`fees_scale`, row 3: scale 29 beyond 28"), "{message}");

    // A day beyond chrono's calendar, among near days (looked up in a
    // table of the column's span) and among far ones (converted one by one).
    let last_day = crate::store::money_columns::date_to_days(NaiveDate::MAX);
    for (bad, near) in [(last_day + 1, last_day - 9), (i32::MAX - 1, 20_000)] {
        let (_tmp, dir, ..) = written(10, 5, 0);
        let days: Vec<i32> = (0..10).map(|i| if i == 6 { bad } else { near + i }).collect();
        let dates = Column::new("x".into(), days).cast(&DataType::Date).unwrap();
        rewrite(&dir, "claims.parquet", replace("stage_since", dates));
        let message = read_error(&dir);
        assert!(
            message.contains(&format!("`stage_since`, row 7: {bad} days from 1970-01-01 is out of range")),
            "{message}"
        );
    }

    let (_tmp, dir, ..) = written(10, 5, 0);
    rewrite(&dir, "payments.parquet", replace("amount_text", Column::new("x".into(), vec![Some("1.5"); 5])));
    let message = read_error(&dir);
    assert!(message.contains("`amount`, row 1: needs either a mantissa and a scale or a text"), "{message}");
}

#[test]
fn history_rows_must_follow_the_claims() {
    let (_tmp, dir, s, _) = written(10, 0, 0);
    let fees: usize = s.claims.values().map(|c| c.fees.len()).sum();
    rewrite(&dir, "claim_fees.parquet", replace("claim_no", Column::new("x".into(), vec![424_242u64; fees])));
    let message = read_error(&dir);
    assert!(message.contains("claim_fees.parquet") && message.contains("claim_no 424242 is not a claim"), "{message}");
}

#[test]
fn a_damaged_or_missing_file_is_an_error_not_a_panic() {
    let (_tmp, dir, ..) = written(10, 5, 3);
    let path = dir.join("claims.parquet");
    let bytes = std::fs::read(&path).unwrap();
    for cut in [0, 4, bytes.len() / 2, bytes.len() - 9] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        assert!(read_error(&dir).contains("claims.parquet"), "cut at {cut}");
    }
    std::fs::write(&path, b"PAR1 not really parquet PAR1").unwrap();
    assert!(read_error(&dir).contains("claims.parquet"));
    std::fs::remove_file(&path).unwrap();
    assert!(read_error(&dir).contains("claims.parquet"));
    std::fs::remove_file(dir.join("events.parquet")).unwrap();
    assert!(read_events(&dir).unwrap_err().to_string().contains("events.parquet"));
}

#[test]
fn flipped_bytes_give_an_error_or_a_state_never_a_panic() {
    let (_tmp, dir, ..) = written(20, 10, 0);
    for file in ["claims.parquet", "claim_fees.parquet", "payments.parquet"] {
        let path = dir.join(file);
        let bytes = std::fs::read(&path).unwrap();
        for at in (4..bytes.len() - 8).step_by(bytes.len() / 12) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x5a;
            std::fs::write(&path, &damaged).unwrap();
            if let Err(e) = read(&dir, day(0)) {
                assert!(e.to_string().contains(".parquet"), "{e}");
            }
        }
        std::fs::write(&path, &bytes).unwrap();
    }
}

#[test]
fn repeated_keys_are_errors_not_lost_rows() {
    let (_tmp, dir, ..) = written(10, 5, 0);
    let ids: Vec<&str> = (0..10).map(|i| if i < 5 { "a" } else { "b" }).collect();
    rewrite(&dir, "claims.parquet", replace("claim_id", Column::new("x".into(), ids)));
    let message = read_error(&dir);
    assert!(message.contains("claims.parquet") && message.contains("`claim_id`, row 2: \"a\" repeats"), "{message}");

    let (_tmp, dir, ..) = written(10, 5, 0);
    rewrite(&dir, "claims.parquet", replace("claim_no", Column::new("x".into(), vec![1001u64; 10])));
    let message = read_error(&dir);
    assert!(message.contains("`claim_no`, row 10: 1001 appears twice"), "{message}");

    let (_tmp, dir, ..) = written(10, 5, 0);
    rewrite(&dir, "payments.parquet", replace("key", Column::new("x".into(), vec!["k"; 5])));
    let message = read_error(&dir);
    assert!(message.contains("payments.parquet") && message.contains("`key`, row 2: \"k\" repeats"), "{message}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Any mix of the claims, payments and events above (each a different
    /// combination of variants, empty and set fields and edge amounts)
    /// reads back as written.
    #[test]
    fn any_state_round_trips(claims in proptest::collection::btree_set(0usize..5_000, 0..20),
                             payments in proptest::collection::btree_set(0usize..5_000, 0..20),
                             events in proptest::collection::vec(0usize..5_000, 0..20)) {
        let s = State {
            date: Some(day(0)),
            claims: claims.iter().map(|&i| claim(i)).map(|c| (c.claim_id.clone(), Arc::new(c))).collect(),
            payments: payments.iter().map(|&i| payment(i)).map(|p| (p.key.clone(), std::sync::Arc::new(p))).collect(),
            next_claim_no: 0,
        };
        let events: Vec<Event> = events.into_iter().map(event).collect();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        write(&dir, &s, &events).unwrap();
        let (back, expected) = (read(&dir, day(0)).unwrap(), expected(s));
        proptest::prop_assert_eq!(format!("{back:?}"), format!("{expected:?}"));
        proptest::prop_assert_eq!(back, expected);
        proptest::prop_assert_eq!(read_events(&dir).unwrap(), events);
    }
}

#[test]
fn fee_rules_read_back_share_the_packs_texts() {
    use std::borrow::Cow;
    for rule in crate::rules::se::FEE_RULES {
        assert!(matches!(super::claims::fee_rule_text(rule), Cow::Borrowed(r) if r == rule));
    }
    assert!(matches!(super::claims::fee_rule_text("an older rule text"), Cow::Owned(r) if r == "an older rule text"));
}

/// Every single damaged byte of a small snapshot's pages (each flipped in
/// turn) gives an error or a state: the page decoder never panics. (The
/// footer is left alone: polars' footer parser can panic on a damaged one,
/// which `Table::read` turns into an error.)
#[test]
fn no_damaged_page_byte_panics_the_page_decoder() {
    let (_tmp, dir, ..) = written(6, 4, 3);
    for (index, file) in ["claims.parquet", "claim_letters.parquet", "payments.parquet"].into_iter().enumerate() {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let footer = u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap()) as usize;
        // A third of the bytes, a different third in each file.
        for at in (4 + index..bytes.len() - 8 - footer).step_by(3) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xff;
            let decoded = std::panic::catch_unwind(|| super::columns::read(damaged).map(|(rows, _)| rows));
            assert!(decoded.is_ok(), "{file}: flipping byte {at} of {} panicked", bytes.len());
        }
    }
}
