//! `inkasso gen`: the generated directory is deterministic, every file is
//! valid, and a run gives exactly what the generator says it intended
//! (`expected.json`): the claims it numbered, the refusals, each matching
//! step, partial payments, overpayments, suspense and bank duplicates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::scenario_golden::read_csv;
use crate::util::{corpus_dir, have_tool};

fn inkasso(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_inkasso")).args(args).output().unwrap()
}

fn gen(dir: &Path, extra: &[&str]) {
    let mut args = vec!["gen", "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = inkasso(&args);
    assert!(out.status.success(), "gen: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("inkasso run --data"), "{stdout}");
}

/// Every file under `dir`, relative path -> bytes, sorted.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

const SMALL: &[&str] = &["--claims", "2000", "--payments", "1500", "--creditors", "3", "--seed", "7", "--no-pdf"];

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    gen(a.path(), SMALL);
    gen(b.path(), SMALL);
    let (ta, tb) = (tree(a.path()), tree(b.path()));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(v == &tb[k], "{} differs between two runs with seed 7", k.display());
    }
    // 3 exports + 2 statements, in days/<date>/ and in the inbox.
    assert_eq!(ta.keys().filter(|k| k.starts_with("inbox")).count(), 5);
    assert_eq!(ta.keys().filter(|k| k.starts_with("days/2025-01-10")).count(), 5);
    let mut other = SMALL.to_vec();
    other[7] = "8";
    gen(c.path(), &other);
    assert_ne!(
        ta[Path::new("inbox/camt053_seb_2025-01-09_01.xml")],
        tree(c.path())[Path::new("inbox/camt053_seb_2025-01-09_01.xml")]
    );
    // An existing data directory is never overwritten.
    let again = inkasso(&["gen", "--out", a.path().to_str().unwrap(), "--claims", "1", "--payments", "1"]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn generated_files_validate_and_the_camt_matches_the_xsd() {
    let tmp = tempfile::tempdir().unwrap();
    gen(tmp.path(), SMALL);
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(tmp.path().join("inbox")).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    let mut args = vec!["validate".to_string(), "--json".to_string()];
    args.extend(files.iter().map(|f| f.to_string_lossy().into_owned()));
    let out = Command::new(env!("CARGO_BIN_EXE_inkasso")).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8_lossy(&out.stdout);
    let reports: Vec<Value> =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(reports.len(), files.len(), "{text}");
    let mut rows = 0;
    let mut entries = 0;
    for r in &reports {
        assert_eq!(r["ok"], true, "{r}");
        let format = r["format"].as_str().unwrap();
        match format {
            "receivables_csv" => rows += n(&r["entries"]),
            "camt.053.001.02" => entries += n(&r["entries"]),
            other => panic!("unexpected format {other}"),
        }
    }
    assert_eq!((rows, entries), (2000, 1500));

    if !have_tool("xmllint") {
        return;
    }
    let Some(corpus) = corpus_dir() else { return };
    let xsd = corpus.join("xsd/genkgo_camt.053.001.02.xsd");
    let camt = files.iter().find(|f| f.extension().is_some_and(|e| e == "xml")).unwrap();
    let out = Command::new("xmllint").arg("--noout").arg("--schema").arg(&xsd).arg(camt).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn run(dir: &Path, date: &str) -> Value {
    let out = inkasso(&["run", "--data", dir.to_str().unwrap(), "--date", date]);
    assert!(out.status.success(), "{date}: {}", String::from_utf8_lossy(&out.stderr));
    json(&dir.join("out").join(date).join("run.json"))
}

/// Compares one night's run.json and allocations.csv with the generator's intent.
fn check_night(dir: &Path, night: &Value, run: &Value) {
    let date = night["date"].as_str().unwrap();
    let counts = &run["counts"];
    assert_eq!(night["exact"], true, "{date}: every payment pays a different claim");
    assert_eq!(n(&counts["claims_admitted"]), n(&night["claims_admitted"]), "{date}");
    assert_eq!(run["refused_by_reason"], night["refused_by_reason"], "{date}");
    assert_eq!(n(&counts["rows_rejected"]) + n(&counts["files_quarantined"]), 0, "{date}");
    assert_eq!(n(&counts["payments_in_suspense"]), n(&night["unmatched"]), "{date}");
    assert_eq!(n(&counts["overpayments"]), n(&night["overpaid"]), "{date}");
    assert_eq!(n(&counts["bank_duplicates"]), n(&night["bank_duplicates"]), "{date}");
    let by_method: u64 = night["matched_by_method"].as_object().unwrap().values().map(n).sum();
    assert_eq!(n(&counts["payments_matched"]), by_method, "{date}");
    assert_eq!(by_method + n(&night["unmatched"]) + n(&night["bank_duplicates"]), n(&night["bank_entries"]));

    // Each matching step found what the generator meant it to find.
    let alloc = read_csv(&dir.join("out").join(date).join("allocations.csv"));
    let mut methods: BTreeMap<String, u64> = BTreeMap::new();
    for a in &alloc {
        *methods.entry(a["method"].clone()).or_insert(0) += 1;
    }
    let want: BTreeMap<String, u64> =
        night["matched_by_method"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), n(v))).collect();
    assert_eq!(methods, want, "{date}");
    check_claim_numbers(dir, night);
}

/// Predicts claim numbers as the generator does (tonight's export rows in
/// (file name, line) order, minus refused rows, numbered from the night's
/// first claim number) and checks them against the letters' OCR numbers and
/// the payers of the agency-OCR payments.
fn check_claim_numbers(dir: &Path, night: &Value) {
    let date = night["date"].as_str().unwrap();
    let out = dir.join("out").join(date);
    let refused: std::collections::BTreeSet<(String, String)> =
        read_csv(&out.join("refused.csv")).into_iter().map(|r| (r["source_file"].clone(), r["line"].clone())).collect();
    let mut exports: Vec<&str> = night["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .filter(|f| f.starts_with("export_"))
        .collect();
    exports.sort();
    let mut claim_no = n(&night["first_claim_no"]);
    let mut by_claim: BTreeMap<String, String> = BTreeMap::new(); // claim id -> OCR
    let mut payer_of: BTreeMap<String, String> = BTreeMap::new(); // OCR -> debtor name
    for f in exports {
        for (i, row) in read_csv(&dir.join("days").join(date).join(f)).iter().enumerate() {
            if refused.contains(&(f.to_string(), (i + 2).to_string())) {
                continue;
            }
            let ocr = inkasso::rules::reference::se_ocr_with_length(&claim_no.to_string()).unwrap();
            claim_no += 1;
            by_claim.insert(format!("{}-{}", row["creditor_id"], row["invoice_number"]), ocr.clone());
            payer_of.insert(ocr, row["debtor_name"].clone());
        }
    }
    assert_eq!(by_claim.len() as u64, n(&night["claims_admitted"]), "{date}");
    let manifest = read_csv(&out.join("letters/manifest.csv"));
    let mut checked = 0;
    for l in &manifest {
        if let Some(ocr) = by_claim.get(&l["claim_id"]) {
            assert_eq!(&l["reference"], ocr, "{date}: {}", l["claim_id"]);
            checked += 1;
        }
    }
    assert!(checked > 0, "{date}: no letter for tonight's claims");
    // Every agency OCR in the statements is paid by the debtor of that claim.
    let mut paid = 0;
    for f in night["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).filter(|f| f.ends_with(".xml")) {
        let xml = std::fs::read_to_string(dir.join("days").join(date).join(f)).unwrap();
        for entry in xml.split("<Ntry>").skip(1) {
            let between = |a: &str, b: &str| entry.split_once(a).and_then(|(_, r)| r.split_once(b)).map(|(v, _)| v);
            if let (Some(name), Some(r)) = (between("<Nm>", "</Nm>"), between("<Ref>", "</Ref>")) {
                if let Some(debtor) = payer_of.get(r) {
                    assert_eq!(name, debtor, "{date}: {f}: OCR {r}");
                    paid += 1;
                }
            }
        }
    }
    // Claims of earlier nights are paid too, so at least tonight's share.
    assert!(paid > 0 || n(&night["bank_entries"]) == 0, "{date}");
}

#[test]
fn a_run_gives_exactly_what_the_generator_intended() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    gen(dir, SMALL);
    let expected = json(&dir.join("expected.json"));
    let night = &expected["nights"][0];
    assert_eq!(night["date"], "2025-01-10");
    assert_eq!(n(&night["first_claim_no"]), 1001);

    // The intended proportions of this seed, pinned.
    assert_eq!(n(&night["receivable_rows"]), 2000);
    assert_eq!(n(&night["claims_admitted"]), 1903);
    let refused: u64 = night["refused_by_reason"].as_object().unwrap().values().map(n).sum();
    assert_eq!(refused, 97);
    for reason in
        ["status", "other_agency", "missing_address", "too_old", "below_min_amount", "not_yet_due", "duplicate"]
    {
        assert!(n(&night["refused_by_reason"][reason]) > 0, "{reason}");
    }
    let m = &night["matched_by_method"];
    assert_eq!((n(&m["agency_ocr"]), n(&m["structured_reference"]), n(&m["reference_in_text"])), (1280, 61, 111));
    assert_eq!((n(&night["partial"]), n(&night["overpaid"])), (228, 151));
    assert_eq!((n(&night["unmatched"]), n(&night["bank_duplicates"])), (40, 8));

    let run = run(dir, "2025-01-10");
    check_night(dir, night, &run);
    let counts = &run["counts"];
    assert!(n(&counts["payments_matched"]) * 10 > n(&night["bank_entries"]) * 9);
    assert!(n(&m["agency_ocr"]) * 10 > n(&counts["payments_matched"]) * 8, "agency OCR dominates");

    // Payments with the agency OCR paid the claim the generator numbered.
    let alloc = read_csv(&dir.join("out/2025-01-10/allocations.csv"));
    let refunds = read_csv(&dir.join("out/2025-01-10/refunds.csv"));
    assert_eq!(refunds.len() as u64, n(&night["overpaid"]));
    let suspense = read_csv(&dir.join("out/2025-01-10/suspense.csv"));
    assert!(suspense.iter().all(|s| s["reason"] == "no_candidate"), "{suspense:?}");
    assert!(alloc.iter().any(|a| a["method"] == "agency_ocr"));
}

/// Runs night `i` of `expected.json` (its files dropped into the inbox
/// first, except night 0's, which are there) and checks it.
fn run_and_check(dir: &Path, i: usize, night: &Value, date: &str) {
    if i > 0 {
        for f in night["files"].as_array().unwrap() {
            let f = f.as_str().unwrap();
            std::fs::copy(dir.join("days").join(date).join(f), dir.join("inbox").join(f)).unwrap();
        }
    }
    let run = run(dir, date);
    check_night(dir, night, &run);
}

#[test]
fn consecutive_nights_continue_the_claim_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    gen(dir, &["--claims", "300", "--payments", "200", "--creditors", "2", "--days", "3", "--seed", "11", "--no-pdf"]);
    let expected = json(&dir.join("expected.json"));
    let nights = expected["nights"].as_array().unwrap();
    assert_eq!(nights.len(), 3);
    let mut next = 1001;
    for (i, night) in nights.iter().enumerate() {
        let date = night["date"].as_str().unwrap().to_string();
        assert_eq!(n(&night["first_claim_no"]), next, "{date}");
        next += n(&night["claims_admitted"]);
        run_and_check(dir, i, night, &date);
    }
    assert_eq!(
        nights.iter().map(|n| n["date"].as_str().unwrap()).collect::<Vec<_>>(),
        ["2025-01-10", "2025-01-11", "2025-01-12"]
    );
}

/// `--first-claims/--first-payments` build up a state on night 1 (here
/// without payments); night 2 is the usual night on top of it.
#[test]
fn a_large_first_night_builds_up_the_state() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let args = ["--claims", "100", "--payments", "150", "--first-claims", "400", "--first-payments", "0"];
    gen(dir, &[&args[..], &["--creditors", "2", "--days", "2", "--seed", "5", "--no-pdf"]].concat());
    let expected = json(&dir.join("expected.json"));
    let nights = expected["nights"].as_array().unwrap();
    assert_eq!((n(&nights[0]["receivable_rows"]), n(&nights[0]["bank_entries"])), (400, 0));
    assert_eq!((n(&nights[1]["receivable_rows"]), n(&nights[1]["bank_entries"])), (100, 150));
    for (i, night) in nights.iter().enumerate() {
        let date = night["date"].as_str().unwrap().to_string();
        run_and_check(dir, i, night, &date);
    }
}
