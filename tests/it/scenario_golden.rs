//! The golden end-to-end scenario: the bundled sample data (`fixtures/`),
//! eight nights from 2024-12-16 to 2025-02-03, over the reference-rate
//! change of 2025-01-01 (Riksbank 4.00 -> 3.00 %, so 12 % -> 11 %).
//!
//! Every figure below was computed by hand from DOMAIN.md Part A and
//! re-checked with an independent day-by-day computation (interest for day
//! d = principal at the start of d × rate(d) / 365; rounded to öre half
//! away from zero only where printed or allocated):
//!
//! | claim (OCR)          | who                    | story |
//! |----------------------|------------------------|-------|
//! | 1001 (100164)        | consumer Åsa Öberg     | 10 000.00 due Fri 2024-11-29; reminder 12-16 (+60 fee); 3 000.00 paid 12-27 with the agency OCR; inkassokrav 12-30 (+180); paid in full 2025-01-09 with the OCR -> closed paid |
//! | 1002 (100263)        | business Byggfirman    | 25 000.00 due Sat 2024-11-30 -> effective Mon 12-02; reminder 12-16 (no fee); inkassokrav 12-30 (+450 förseningsersättning); 10 000.00 paid 01-02 with the invoice reference in free text; waits for legal approval 01-31; approved 02-03 |
//! | 1003 (100362)        | consumer Karl Svensson | 4 000.00; reminder (+60), inkassokrav (+180); creditor reports open 1 500.00 on 01-03 (direct payment 2 500) and paid on 01-10 -> closed paid_to_creditor, fees written off |
//! | 1004 (100461)        | consumer Lisa Berg     | 2 000.00; reminder (+60); credit note CN-9001 -500.00 on 12-20; inkassokrav (+180); 500.00 paid 01-02 with the invoice reference in free text; waits for legal approval; rejected 02-03 -> withdrawn |
//! | B-501 (100560)       | consumer Per Ek        | creditor Bygg & Co (approve_before_collection): reminder 12-16 (no fee agreed); waits for approval 12-30; approved by approvals.csv 01-03 -> inkassokrav (+180); 1 000.00 paid 01-17; waits for legal approval 01-31 |
//! | 1011 (100669)        | consumer Nils Ågren    | due Fri 12-13: not yet due on 12-16 (earliest 12-18), admitted 12-20; reminded by the creditor -> inkassokrav at once (+180); paid in full 01-17 |
//!
//! Interest worked out, e.g. claim 1001 (10 000.00, interest from 11-30):
//! * letter 12-16: 17 days × 10 000 × 12 % / 365 = 55.89
//! * payment 12-27: 28 days -> 92.05; allocation 60.00 fee, 92.05 interest,
//!   2 847.95 principal; principal 7 152.05 from 12-28
//! * letter 12-30: 28 d on 10 000 + 3 d on 7 152.05, at 12 % = 99.1088 ->
//!   99.11 - 92.05 paid = 7.06; due 7 152.05 + 7.06 + 180 = 7 339.11
//! * payment 01-09: + 4 d (12-28..31) at 12 % + 9 d (01-01..09) at 11 % on
//!   7 152.05 = 120.8589 -> 120.86 - 92.05 = 28.81; due 7 360.86, paid exactly.
//!
//! Claim 1002 (business, 25 000.00, interest from 12-03): 12-16: 14 d =
//! 115.07; 12-30: 28 d = 230.14; payment 01-02: 29 d at 12 % + 2 d at 11 %
//! = 238.36 + 15.07 = 253.42 (exact sum 253.4246...); allocation 450 fee,
//! 253.42 interest, 9 296.58 principal.
//! Claim 1011 (1 500.00 from 12-14): 12-20: 7 d = 3.45; payment 01-17:
//! 18 d at 12 % + 17 d at 11 % = 8.8767 + 7.6849 = 16.5616 -> 16.56;
//! due 1 500 + 16.56 + 180 = 1 696.56, paid exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use inkasso::cli::run::run_day;

/// The sample days, installed into a fresh data directory and run in order.
pub fn run_fixture_days(dir: &Path) {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let days = inkasso::cli::demo::install(&fixtures, dir).expect("install fixtures");
    assert_eq!(days.len(), 8, "the scenario has eight nights");
    for (date, files) in days {
        for f in files {
            std::fs::copy(&f, dir.join("inbox").join(f.file_name().unwrap())).unwrap();
        }
        run_day(dir, date, false, false).unwrap_or_else(|e| panic!("{date}: {e}"));
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A CSV output as rows of column -> value.
pub fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect()
}

/// Selected columns of every row, joined by `|`.
fn cols(rows: &[BTreeMap<String, String>], names: &[&str]) -> Vec<String> {
    rows.iter().map(|r| names.iter().map(|n| r[*n].as_str()).collect::<Vec<_>>().join("|")).collect()
}

fn scenario() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        run_fixture_days(&dir);
        dir
    })
}

fn out(day: &str, file: &str) -> PathBuf {
    scenario().join("out").join(day).join(file)
}

const LETTER_COLS: &[&str] =
    &["claim_id", "kind", "principal", "interest", "fees", "amount_due", "pay_by", "reference"];

#[test]
fn letters_per_night_to_the_ore() {
    let expected: &[(&str, &[&str])] = &[
        (
            "2024-12-16",
            &[
                // pay-by 12-26 is annandag jul -> Friday 12-27
                "5561234567-1001|reminder|10000.00|55.89|60.00|10115.89|2024-12-27|100164",
                "5561234567-1002|reminder|25000.00|115.07|0.00|25115.07|2024-12-27|100263",
                "5561234567-1003|reminder|4000.00|27.62|60.00|4087.62|2024-12-27|100362",
                "5561234567-1004|reminder|2000.00|17.10|60.00|2077.10|2024-12-27|100461",
                "5569876543-B-501|reminder|3000.00|16.77|0.00|3016.77|2024-12-27|100560",
            ],
        ),
        ("2024-12-20", &["5561234567-1011|collection|1500.00|3.45|180.00|1683.45|2024-12-30|100669"]),
        (
            "2024-12-30",
            &[
                "5561234567-1001|collection|7152.05|7.06|180.00|7339.11|2025-01-09|100164",
                "5561234567-1002|collection|25000.00|230.14|450.00|25680.14|2025-01-09|100263",
                "5561234567-1003|collection|4000.00|46.03|240.00|4286.03|2025-01-09|100362",
                "5561234567-1004|collection|1500.00|24.66|240.00|1764.66|2025-01-09|100461",
            ],
        ),
        ("2025-01-03", &["5569876543-B-501|collection|3000.00|34.27|180.00|3214.27|2025-01-13|100560"]),
        ("2025-01-10", &[]),
        ("2025-01-20", &[]),
        ("2025-01-31", &[]),
        ("2025-02-03", &[]),
    ];
    for (day, letters) in expected {
        let rows = read_csv(&out(day, "letters/manifest.csv"));
        assert_eq!(cols(&rows, LETTER_COLS), *letters, "letters of {day}");
        // Paper letters share the day's batch PDF for the print shop; each
        // starts on a new page after the previous letter's pages.
        let mut next_page = 1;
        for r in &rows {
            assert_eq!(r["file"], "batch-0001.pdf");
            let page: u32 = r["page"].parse().unwrap();
            assert!(page >= next_page, "{day}: page {page}");
            next_page = page + 1;
            assert!(out(day, &format!("letters/{}", r["file"])).is_file(), "{day}: PDF {} missing", r["file"]);
            assert_eq!((r["language"].as_str(), r["channel"].as_str(), r["currency"].as_str()), ("sv", "paper", "SEK"));
        }
    }
}

#[test]
fn allocations_fees_then_interest_then_principal() {
    let expected: &[(&str, &[&str])] = &[
        ("2024-12-30", &["5561234567-1001|2024-12-27|60.00|92.05|2847.95|agency_ocr"]),
        (
            "2025-01-03",
            &[
                "5561234567-1002|2025-01-02|450.00|253.42|9296.58|reference_in_text",
                "5561234567-1004|2025-01-02|240.00|26.05|233.95|reference_in_text",
            ],
        ),
        ("2025-01-10", &["5561234567-1001|2025-01-09|180.00|28.81|7152.05|agency_ocr"]),
        (
            "2025-01-20",
            &[
                "5561234567-1011|2025-01-17|180.00|16.56|1500.00|agency_ocr",
                "5569876543-B-501|2025-01-17|180.00|46.93|773.07|agency_ocr",
            ],
        ),
    ];
    for (day, rows) in expected {
        let mut got = cols(
            &read_csv(&out(day, "allocations.csv")),
            &["claim_id", "booking_date", "fees", "interest", "principal", "method"],
        );
        got.sort();
        assert_eq!(got, *rows, "allocations of {day}");
    }
    for day in ["2024-12-16", "2024-12-20", "2025-01-31", "2025-02-03"] {
        assert!(read_csv(&out(day, "allocations.csv")).is_empty());
    }
}

#[test]
fn journals_balance_and_equal_the_payments() {
    // creditor, day -> clearing total (capital + interest of the day's payments)
    let expected = [
        ("5561234567", "2024-12-30", "2940.00", 2), // 2 847.95 + 92.05
        ("5561234567", "2025-01-03", "9810.00", 4), // (9 296.58 + 253.42) + (233.95 + 26.05)
        ("5561234567", "2025-01-10", "7180.86", 2), // 7 152.05 + 28.81
        ("5561234567", "2025-01-20", "1516.56", 2), // 1 500.00 + 16.56
        ("5569876543", "2025-01-20", "820.00", 2),  // 773.07 + 46.93
    ];
    let mut journal_files = 0;
    for entry in walk(&scenario().join("out")) {
        if entry.extension().is_some_and(|e| e == "se") {
            journal_files += 1;
        }
    }
    assert_eq!(journal_files, expected.len(), "one SIE file per creditor and day with payments");
    for (creditor, day, total, credit_lines) in expected {
        let bytes = std::fs::read(out(day, &format!("journals/{creditor}/{day}.se"))).unwrap();
        let sie = crate::journals_sie::read_sie(&bytes);
        assert_eq!(sie.format.as_deref(), Some("PC8"));
        assert_eq!(sie.sietyp.as_deref(), Some("4"));
        assert_eq!(sie.vers.len(), 1, "{creditor} {day}: one verification per creditor and day");
        let ver = &sie.vers[0];
        assert!(ver.sum().is_zero(), "{creditor} {day}: verification does not balance");
        let rows: Vec<_> = ver.trans().collect();
        assert_eq!(rows.len(), credit_lines + 1);
        let clearing: Vec<_> = rows.iter().filter(|r| r.account == "1512").collect();
        assert_eq!(clearing.len(), 1);
        assert_eq!(clearing[0].amount.to_string(), total, "{creditor} {day}: 1512 total");
        for r in rows.iter().filter(|r| r.account != "1512") {
            assert!(r.account == "1510" || r.account == "8313", "unexpected account {}", r.account);
            assert!(r.amount.is_sign_negative(), "capital and interest are credits");
            assert!(r.text.starts_with("Faktura "), "posting text names the invoice: {}", r.text);
        }
        let csv_rows = read_csv(&out(day, &format!("journals/{creditor}/{day}.csv")));
        assert_eq!(csv_rows.len(), credit_lines + 1);
        let sum: rust_decimal::Decimal =
            csv_rows.iter().map(|r| r["amount"].parse::<rust_decimal::Decimal>().unwrap()).sum();
        assert!(sum.is_zero());
    }
    // Interest credited on 8313 on 2025-01-03: 253.42 + 26.05.
    let sie =
        crate::journals_sie::read_sie(&std::fs::read(out("2025-01-03", "journals/5561234567/2025-01-03.se")).unwrap());
    let interest: rust_decimal::Decimal = sie.vers[0].trans().filter(|r| r.account == "8313").map(|r| r.amount).sum();
    assert_eq!(interest.to_string(), "-279.47");
}

#[test]
fn every_admission_rule_refuses_with_its_reason() {
    let rows = read_csv(&out("2024-12-16", "refused.csv"));
    assert_eq!(
        cols(&rows, &["invoice_number", "reason"]),
        [
            "1005|status",
            "1006|other_agency",
            "1007|excluded_group",
            "1008|missing_address",
            "1009|too_old",
            "1010|below_min_amount",
            "1011|not_yet_due",
            "1001|duplicate",
        ]
    );
    // 1011 was refused as not yet due on 12-16 and admitted on 12-20.
    assert!(read_csv(&out("2024-12-20", "refused.csv")).is_empty());
    let rejected = read_csv(&out("2024-12-16", "rejected_rows.csv"));
    assert_eq!(cols(&rejected, &["line", "field", "value"]), ["14|invoice_date|2024-02-30"]);
}

#[test]
fn unmatched_payment_in_suspense_and_repeated_bank_entry_booked_once() {
    let s = read_csv(&out("2024-12-30", "suspense.csv"));
    assert_eq!(
        cols(&s, &["amount", "reference", "payer", "reason"]),
        ["1234.00|Present till mormor|Okänd Avsändare|no_candidate"]
    );
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out("2025-01-10", "run.json")).unwrap()).unwrap();
    assert_eq!(run["counts"]["bank_duplicates"], 1, "the 2024-12-27 entry repeated on 2025-01-09 is booked once");
    assert_eq!(run["counts"]["payments_matched"], 1);
    assert_eq!(run["totals"]["payments_in.SEK"], "7360.86");
    for day in ["2025-01-03", "2025-01-10", "2025-01-20"] {
        assert!(read_csv(&out(day, "suspense.csv")).is_empty());
        assert!(read_csv(&out(day, "refunds.csv")).is_empty());
    }
}

#[test]
fn approvals_hold_and_release_claims() {
    let a = |day: &str| cols(&read_csv(&out(day, "awaiting_approval.csv")), &["claim_id", "step", "since"]);
    assert!(a("2024-12-20").is_empty());
    assert_eq!(a("2024-12-30"), ["5569876543-B-501|collection|2024-12-30"]);
    assert!(a("2025-01-03").is_empty(), "approvals.csv released B-501");
    assert!(a("2025-01-20").is_empty());
    // Inkassokrav pay-by 2025-01-09 (+14 = 01-23) and 2025-01-13 (+14 = 01-27) have passed.
    assert_eq!(
        a("2025-01-31"),
        ["5561234567-1002|legal|2025-01-31", "5561234567-1004|legal|2025-01-31", "5569876543-B-501|legal|2025-01-31",]
    );
    assert_eq!(a("2025-02-03"), ["5569876543-B-501|legal|2025-01-31"]);
}

#[test]
fn final_state_of_every_claim() {
    let state = inkasso::store::snapshot::read(&scenario().join("state/2025-02-03"), d("2025-02-03")).unwrap();
    let stage = |id: &str| state.claims[id].stage.as_str();
    assert_eq!(state.claims.len(), 6);
    assert_eq!(stage("5561234567-1001"), "paid");
    assert_eq!(stage("5561234567-1002"), "legal_approved");
    assert_eq!(stage("5561234567-1003"), "paid_to_creditor");
    assert_eq!(stage("5561234567-1004"), "withdrawn");
    assert_eq!(stage("5561234567-1011"), "paid");
    assert_eq!(stage("5569876543-B-501"), "awaiting_legal_approval");
    let c = |id: &str| &state.claims[id];
    // Direct payments: 4 000 - 2 500 (reported 01-03) - 1 500 (paid, 01-10).
    assert_eq!(c("5561234567-1003").principal_now().to_string(), "0.00");
    // Credit note 500 and 233.95 principal paid.
    assert_eq!(c("5561234567-1004").principal_now().to_string(), "1266.05");
    assert_eq!(c("5561234567-1002").principal_now().to_string(), "15703.42");
    assert_eq!(c("5569876543-B-501").principal_now().to_string(), "2226.93");
    // The credit note was applied once although the export of 01-03 repeats it.
    assert_eq!(c("5561234567-1004").credit_notes, ["CN-9001"]);
    assert_eq!(state.payments.len(), 7, "6 matched + 1 in suspense; the repeated entry is not booked twice");
}

#[test]
fn inputs_are_archived_and_the_inbox_emptied() {
    let inbox: Vec<_> = std::fs::read_dir(scenario().join("inbox")).unwrap().collect();
    assert!(inbox.is_empty());
    let archived: Vec<String> = std::fs::read_dir(scenario().join("archive/2025-01-03"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(archived.len(), 3);
    assert!(
        archived.iter().all(|n| n.len() > 65 && n.as_bytes()[64] == b'-'),
        "archive/D/<sha256>-<name>: {archived:?}"
    );
}

#[test]
fn run_json_gives_every_output_file_its_size_and_sha256() {
    for day in std::fs::read_dir(scenario().join("out")).unwrap() {
        let day = day.unwrap().path();
        let run: serde_json::Value = serde_json::from_slice(&std::fs::read(day.join("run.json")).unwrap()).unwrap();
        let listed = run["outputs"].as_array().unwrap();
        assert!(listed.iter().any(|o| o["path"] == "letters/letters.jsonl"), "{}", day.display());
        for o in listed {
            let bytes = std::fs::read(day.join(o["path"].as_str().unwrap())).unwrap();
            assert_eq!(o["bytes"], bytes.len(), "{}: {}", day.display(), o["path"]);
            assert_eq!(o["sha256"], inkasso::store::inbox::sha256_hex(&bytes), "{}: {}", day.display(), o["path"]);
        }
    }
}

#[test]
fn same_inputs_give_byte_identical_outputs() {
    let again = tempfile::tempdir().unwrap();
    run_fixture_days(again.path());
    let a = files_with_bytes(&scenario().join("out"));
    let b = files_with_bytes(&again.path().join("out"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs between two runs");
    }
    let sa = files_with_bytes(&scenario().join("state"));
    let sb = files_with_bytes(&again.path().join("state"));
    assert_eq!(sa, sb, "state snapshots differ");
}

#[test]
fn sample_bank_files_validate_against_the_official_xsds() {
    if !crate::util::have_tool("xmllint") {
        return;
    }
    let Some(corpus) = crate::util::corpus_dir() else { return };
    let mut checked = 0;
    for f in walk(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/days")) {
        if f.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let version = if text.contains("camt.053.001.08") { "08" } else { "02" };
        let xsd = corpus.join(format!("xsd/genkgo_camt.053.001.{version}.xsd"));
        let out =
            std::process::Command::new("xmllint").arg("--noout").arg("--schema").arg(&xsd).arg(&f).output().unwrap();
        assert!(out.status.success(), "{} does not validate: {}", f.display(), String::from_utf8_lossy(&out.stderr));
        checked += 1;
    }
    assert_eq!(checked, 4);
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

pub fn files_with_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| (p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}
