//! The matching cascade end to end, with real files: a BgMax file and two
//! camt.053 statements (`tests/data/matching/`) against the claims of the
//! first sample night (fixtures, 2024-12-16). Shows each matching step, a
//! repeated bank entry booked once, an ambiguous payment and a bad check
//! digit in suspense, an overpayment refunded, a bank reversal undoing its
//! allocation, and a manual match (`matches.csv`) resolving a suspense item
//! when finance staff rerun the day.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scenario_golden::read_csv;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/matching").join(name)
}

fn run(dir: &Path, date: &str, extra: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_inkasso"))
        .args(["run", "--data", dir.to_str().unwrap(), "--date", date])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{date}: {}", String::from_utf8_lossy(&out.stderr));
}

fn drop_file(dir: &Path, from: &Path) {
    std::fs::copy(from, dir.join("inbox").join(from.file_name().unwrap())).unwrap();
}

#[test]
fn every_matching_step_reversal_and_manual_match_in_a_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("fixtures/inkasso.toml"), dir.join("inkasso.toml")).unwrap();
    std::fs::create_dir(dir.join("inbox")).unwrap();
    drop_file(dir, &root.join("fixtures/days/2024-12-16/export_5561234567_2024-12-16.csv"));
    run(dir, "2024-12-16", &[]);

    // Night of 2024-12-20: BgMax and camt.053 of 2024-12-19.
    drop_file(dir, &data("bgmax_2024-12-19.txt"));
    drop_file(dir, &data("camt053_2024-12-19.xml"));
    run(dir, "2024-12-20", &[]);
    let out = dir.join("out/2024-12-20");
    let mut alloc = read_csv(&out.join("allocations.csv"));
    alloc.sort_by(|a, b| a["claim_id"].cmp(&b["claim_id"]));
    let got: Vec<String> = alloc
        .iter()
        .map(|a| format!("{} {} {} {} {}", a["claim_id"], a["method"], a["fees"], a["interest"], a["principal"]))
        .collect();
    assert_eq!(
        got,
        [
            // BgMax TK20, reference code 2, agency OCR 100164: fee, interest 11-30..12-19 (20 days) = 65.75
            "5561234567-1001 agency_ocr 60.00 65.75 874.25",
            // camt, agency OCR 100263, 30 000.00 on a 25 000.00 business claim: interest 12-03..12-19 (17 days) = 139.73
            "5561234567-1002 agency_ocr 0.00 139.73 25000.00",
            // BgMax TK20, free text "Faktura 1003": invoice number after a prefix; interest 11-26..12-19 (24 days) = 31.56
            "5561234567-1003 reference_in_text 60.00 31.56 408.44",
            // camt, no reference, 2 077.10 = Lisa Berg's reminder amount; payer name matches; interest 11-21..12-19 (29 days) = 19.07
            "5561234567-1004 amount_and_payer 60.00 19.07 1998.03",
        ]
    );
    let refunds = read_csv(&out.join("refunds.csv"));
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        (refunds[0]["claim_id"].as_str(), refunds[0]["amount"].as_str(), refunds[0]["reason"].as_str()),
        ("5561234567-1002", "4860.27", "overpayment")
    );
    let suspense = read_csv(&out.join("suspense.csv"));
    let reasons: Vec<String> = suspense.iter().map(|s| format!("{} {}", s["amount"], s["reason"])).collect();
    assert_eq!(reasons, ["100.00 bad_check_digit", "50.00 ambiguous: 2 claims"]);
    let run_json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["counts"]["bank_duplicates"], 1, "the repeated camt entry is booked once");
    assert_eq!(
        run_json["totals"]["payments_in.SEK"], "33727.10",
        "1 600.00 BgMax + 32 127.10 camt (one 30 000.00 entry not counted twice)"
    );

    // Night of 2024-12-30: the bank reverses Lisa Berg's payment.
    drop_file(dir, &data("camt053_2024-12-27_reversal.xml"));
    run(dir, "2024-12-30", &[]);
    let out = dir.join("out/2024-12-30");
    let alloc = read_csv(&out.join("allocations.csv"));
    let rev: Vec<String> = alloc
        .iter()
        .map(|a| format!("{} {} {} {} {}", a["claim_id"], a["method"], a["fees"], a["interest"], a["principal"]))
        .collect();
    assert_eq!(rev, ["5561234567-1004 reversal -60.00 -19.07 -1998.03"]);
    let sie = crate::journals_sie::read_sie(&std::fs::read(out.join("journals/5561234567/2024-12-30.se")).unwrap());
    let clearing: rust_decimal::Decimal = sie.vers[0].trans().filter(|t| t.account == "1512").map(|t| t.amount).sum();
    assert_eq!(clearing.to_string(), "-2017.10", "capital and interest booked back from the creditor");
    // The reopened claim gets its inkassokrav with the fee and principal restored.
    let letters = read_csv(&out.join("letters/manifest.csv"));
    let lisa = letters.iter().find(|l| l["claim_id"] == "5561234567-1004").unwrap();
    assert_eq!(
        (lisa["kind"].as_str(), lisa["principal"].as_str(), lisa["fees"].as_str()),
        ("collection", "2000.00", "240.00")
    );

    // Finance staff assign the bad-check-digit payment to claim 1003 and rerun the day.
    let bad = suspense.iter().find(|s| s["reason"] == "bad_check_digit").unwrap();
    std::fs::write(
        dir.join("inbox/matches.csv"),
        format!("payment_id,claim_id\n{},5561234567-1003\n", bad["payment_id"]),
    )
    .unwrap();
    run(dir, "2024-12-30", &["--rerun"]);
    assert!(out.join("superseded/1/run.json").is_file(), "the replaced outputs are kept");
    let alloc = read_csv(&out.join("allocations.csv"));
    let manual = alloc.iter().find(|a| a["method"] == "manual").expect("manual match allocated");
    assert_eq!(
        (manual["claim_id"].as_str(), manual["booking_date"].as_str(), manual["principal"].as_str()),
        ("5561234567-1003", "2024-12-19", "100.00")
    );
    let state = inkasso::store::snapshot::read(
        &dir.join("state/2024-12-30"),
        chrono::NaiveDate::from_ymd_opt(2024, 12, 30).unwrap(),
    )
    .unwrap();
    let p = state.payments.values().find(|p| p.payment_id == bad["payment_id"]).unwrap();
    assert_eq!((p.outcome.as_str(), p.claim_id.as_str()), ("allocated", "5561234567-1003"));
}
