//! Runs of the real binary and of `run_day`: bad files quarantined while the
//! good ones run, nothing committed on failure, exit codes, `validate`.

use std::path::PathBuf;
use std::process::Command;

use chrono::NaiveDate;
use inkasso::cli::run::run_day;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn fixture(day: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/days").join(day).join(name)
}

/// A data directory with the sample config and the given inbox files.
fn data_dir(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/inkasso.toml"),
        dir.path().join("inkasso.toml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("inbox")).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join("inbox").join(name), bytes).unwrap();
    }
    dir
}

fn inkasso(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_inkasso")).args(args).output().unwrap()
}

fn export_n1() -> Vec<u8> {
    std::fs::read(fixture("2024-12-16", "export_5561234567_2024-12-16.csv")).unwrap()
}

#[test]
fn bad_files_are_quarantined_with_reasons_and_good_files_still_run() {
    let camt = std::fs::read(fixture("2024-12-30", "camt053_seb_2024-12-27.xml")).unwrap();
    let truncated = &camt[..camt.len() / 2];
    let bad_amount = String::from_utf8(camt.clone()).unwrap().replacen(
        "<Amt Ccy=\"SEK\">3000.00</Amt>",
        "<Amt Ccy=\"SEK\">3 000,00</Amt>",
        1,
    );
    // Well-formed, but its closing balance does not match its entries.
    let bad_totals = String::from_utf8(camt.clone()).unwrap().replacen(
        "<Amt Ccy=\"SEK\">54234.00</Amt>",
        "<Amt Ccy=\"SEK\">54324.00</Amt>",
        1,
    );
    assert_ne!(bad_totals.as_bytes(), camt.as_slice());
    let dir = data_dir(&[
        ("export.csv", &export_n1()),
        ("truncated.xml", truncated),
        ("bad_amount.xml", bad_amount.as_bytes()),
        ("bad_totals.xml", bad_totals.as_bytes()),
        ("no_columns.csv", b"creditor_id,invoice_number,open_amount\n5561234567,1,1.00\n"),
        ("notes.txt", b"hello"),
        ("upload.csv.part", b"half a file"),
        (".hidden.csv", b"x"),
    ]);
    let s = run_day(dir.path(), d("2024-12-16"), false, false).unwrap();
    assert_eq!(s.counts["claims_admitted"], 4, "the good export ran");
    let mut q = s.quarantined.clone();
    q.sort();
    assert_eq!(q, ["bad_amount.xml", "bad_totals.xml", "no_columns.csv", "notes.txt", "truncated.xml"]);
    let qdir = dir.path().join("quarantine/2024-12-16");
    let err = |name: &str| std::fs::read_to_string(qdir.join(format!("{name}.error.txt"))).unwrap();
    assert!(err("bad_amount.xml").contains("bad_amount.xml:"), "{}", err("bad_amount.xml"));
    assert!(
        err("bad_amount.xml").contains("Amt") && err("bad_amount.xml").contains("3 000,00"),
        "{}",
        err("bad_amount.xml")
    );
    assert!(
        err("bad_totals.xml").contains("bad_totals.xml:26: field Bal CLBD")
            && err("bad_totals.xml").contains("54324.00 CRDT SEK")
            && err("bad_totals.xml").contains("54234.00 CRDT SEK"),
        "{}",
        err("bad_totals.xml")
    );
    assert!(err("no_columns.csv").contains("no_columns.csv:1: field due_date"), "{}", err("no_columns.csv"));
    assert!(err("truncated.xml").contains("truncated.xml:"));
    assert_eq!(std::fs::read(qdir.join("truncated.xml")).unwrap(), truncated, "the rejected file is kept whole");
    // Uploads in progress stay in the inbox; everything else was consumed.
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join("inbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".hidden.csv", "upload.csv.part"]);
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/2024-12-16/run.json")).unwrap()).unwrap();
    let statuses: Vec<String> = run["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}={}", i["name"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert!(statuses.contains(&"truncated.xml=quarantined".to_string()), "{statuses:?}");
    assert!(statuses.contains(&"export.csv=ok".to_string()));
}

#[test]
fn strict_fails_on_any_rejected_file_and_commits_nothing() {
    let dir = data_dir(&[("export.csv", &export_n1()), ("notes.txt", b"hello")]);
    let e = run_day(dir.path(), d("2024-12-16"), false, true).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert!(!dir.path().join("out/2024-12-16/run.json").exists());
    assert!(!dir.path().join("state/2024-12-16").exists());
    assert!(dir.path().join("inbox/export.csv").exists(), "nothing consumed");
}

#[test]
fn missing_reference_rate_fails_naming_the_config_key_and_commits_nothing() {
    // A claim evaluated in 2026 H2, for which no Riksbank rate is known yet.
    let export = String::from_utf8(export_n1()).unwrap().replace("2024-10-30,2024-11-29", "2026-06-01,2026-06-30");
    let dir = data_dir(&[("export.csv", export.as_bytes())]);
    let out = inkasso(&["run", "--data", dir.path().to_str().unwrap(), "--date", "2026-07-10"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[[rates.SE]] valid_from = \"2026-07-01\""), "{stderr}");
    assert!(stderr.contains("nothing committed"));
    assert!(!dir.path().join("out/2026-07-10/run.json").exists());
    assert!(!dir.path().join("state/2026-07-10").exists());
    // With the rate in the config the same day runs.
    let mut cfg = std::fs::read_to_string(dir.path().join("inkasso.toml")).unwrap();
    cfg.push_str("\n[[rates.SE]]\nvalid_from = \"2026-07-01\"\nreference_rate = \"1.75\"\n");
    std::fs::write(dir.path().join("inkasso.toml"), cfg).unwrap();
    let ok = inkasso(&["run", "--data", dir.path().to_str().unwrap(), "--date", "2026-07-10"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let manifest = std::fs::read_to_string(dir.path().join("out/2026-07-10/letters/manifest.csv")).unwrap();
    // 10 000 from 2026-07-01 to 07-10: 10 days at 1.75 + 8 = 9.75 % = 26.71
    assert!(manifest.contains(",10000.00,26.71,60.00,10086.71,"), "{manifest}");
}

#[test]
fn committed_day_is_refused_without_rerun_with_exit_code_2() {
    let dir = data_dir(&[("export.csv", &export_n1())]);
    let data = dir.path().to_str().unwrap();
    assert_eq!(inkasso(&["run", "--data", data, "--date", "2024-12-16"]).status.code(), Some(0));
    let again = inkasso(&["run", "--data", data, "--date", "2024-12-16"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--rerun"));
    // An earlier day after a later committed one is refused too.
    assert_eq!(inkasso(&["run", "--data", data, "--date", "2024-12-10"]).status.code(), Some(2));
    // --rerun recomputes and keeps the replaced outputs.
    let rerun = inkasso(&["run", "--data", data, "--date", "2024-12-16", "--rerun"]);
    assert_eq!(rerun.status.code(), Some(0), "{}", String::from_utf8_lossy(&rerun.stderr));
    let old = std::fs::read(dir.path().join("out/2024-12-16/superseded/1/letters/manifest.csv")).unwrap();
    let new = std::fs::read(dir.path().join("out/2024-12-16/letters/manifest.csv")).unwrap();
    assert_eq!(old, new, "same archived inputs, same bytes");
}

#[test]
fn a_night_after_a_gap_catches_up_interest_and_ladder() {
    // Nights 12-16 and then 2025-01-10 straight away (the files of the
    // missed nights arrive together): the reminder of 12-16 is more than 14
    // days old, so the inkassokrav goes out on 01-10 with interest over the
    // rate change.
    let dir = data_dir(&[("export.csv", &export_n1())]);
    run_day(dir.path(), d("2024-12-16"), false, false).unwrap();
    run_day(dir.path(), d("2025-01-10"), false, false).unwrap();
    let m = std::fs::read_to_string(dir.path().join("out/2025-01-10/letters/manifest.csv")).unwrap();
    // 1001: 10 000, 32 days (11-30..12-31) at 12 % + 10 days at 11 % = 105.2055 + 30.1370 = 135.3425 -> 135.34
    assert!(m.contains("5561234567-1001,5561234567,1001,D-1001,collection,sv,paper,SEK,10000.00,135.34,240.00,10375.34,2025-01-20,100164"), "{m}");
    assert_eq!(m.lines().count(), 5, "four inkassokrav: {m}");
}

#[test]
fn validate_reports_format_counts_totals_and_errors() {
    let good = fixture("2025-01-10", "camt053_seb_2025-01-09.xml");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "creditor_id,invoice_number,invoice_date,due_date,currency,amount,open_amount,status,reference,debtor_id,debtor_type,debtor_name,debtor_address1,debtor_postcode,debtor_city,debtor_country,delivery\n5561234567,1,2024-01-01,2024-02-30,SEK,10.00,10.00,sent,1,D,consumer,N,A,1,C,SE,paper\n").unwrap();
    let out = inkasso(&["validate", "--json", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["format"], "camt.053.001.02");
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["entries"], 2);
    assert_eq!(lines[0]["totals"]["SEK"], "10360.86");
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["errors"][0]["line"], 2);
    assert_eq!(lines[1]["errors"][0]["field"], "due_date");
    let plain = inkasso(&["validate", good.to_str().unwrap()]);
    assert_eq!(plain.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&plain.stdout).contains("ok, camt.053.001.02, 2 entries, total 10360.86 SEK"));
}

#[test]
fn init_creates_a_data_directory_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("data");
    let out = inkasso(&["init", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(target.join("inbox").is_dir());
    assert_eq!(inkasso(&["init", target.to_str().unwrap()]).status.code(), Some(2), "never overwrites a config");
    std::fs::write(target.join("inbox/export.csv"), export_n1()).unwrap();
    assert_eq!(inkasso(&["run", "--data", target.to_str().unwrap(), "--date", "2024-12-16"]).status.code(), Some(0));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(inkasso(&["run"]).status.code(), Some(2));
    assert_eq!(inkasso(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(inkasso(&["run", "--data", "/x", "--date", "2024-02-30"]).status.code(), Some(2));
}

#[test]
fn a_violated_invariant_exits_1_names_it_and_commits_nothing() {
    let export = std::fs::read(fixture("2024-12-16", "export_5561234567_2024-12-16.csv")).unwrap();
    let camt = std::fs::read(fixture("2024-12-30", "camt053_seb_2024-12-27.xml")).unwrap();
    let dir = data_dir(&[("export.csv", &export)]);
    let data = dir.path().to_str().unwrap();
    assert_eq!(inkasso(&["run", "--data", data, "--date", "2024-12-16"]).status.code(), Some(0));
    std::fs::write(dir.path().join("inbox/camt.xml"), &camt).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_inkasso"))
        .args(["run", "--data", data, "--date", "2024-12-30"])
        .env("INKASSO_TEST_TAMPER", "allocation")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invariant payments_conserved failed for SEK: payments in minus (allocated + refunded + suspense) is -0.01 SEK"), "{stderr}");
    assert!(stderr.contains("invariant journal_equals_allocations failed for 5561234567"), "{stderr}");
    assert!(stderr.contains("nothing committed"));
    assert!(!dir.path().join("out/2024-12-30").exists());
    assert!(!dir.path().join("state/2024-12-30").exists());
    assert!(dir.path().join("inbox/camt.xml").exists(), "the input stays for the next run");
    // The same run without the fault commits.
    assert_eq!(inkasso(&["run", "--data", data, "--date", "2024-12-30"]).status.code(), Some(0));
    assert!(dir.path().join("out/2024-12-30/run.json").exists());
}

#[test]
fn files_still_changing_wait_for_the_settle_window() {
    let dir = data_dir(&[("export.csv", &export_n1())]);
    let cfg = std::fs::read_to_string(dir.path().join("inkasso.toml"))
        .unwrap()
        .replace("settle_seconds = 0", "settle_seconds = 3600");
    std::fs::write(dir.path().join("inkasso.toml"), cfg).unwrap();
    let s = run_day(dir.path(), d("2024-12-16"), false, false).unwrap();
    assert_eq!(s.counts["claims_admitted"], 0, "a file written just now may still be uploading");
    assert!(dir.path().join("inbox/export.csv").exists());
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/2024-12-16/run.json")).unwrap()).unwrap();
    assert_eq!(run["waiting"], serde_json::json!(["export.csv"]));
    // An hour later (mtime set back) it is consumed by the next run.
    #[allow(clippy::disallowed_methods)] // a file's age is wall-clock time
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options().write(true).open(dir.path().join("inbox/export.csv")).unwrap().set_modified(old).unwrap();
    let s = run_day(dir.path(), d("2024-12-17"), false, false).unwrap();
    assert_eq!(s.counts["claims_admitted"], 4);
    assert!(!dir.path().join("inbox/export.csv").exists());
}

/// Every output file of a day except the superseded copies, by relative path.
fn day_outputs(dir: &std::path::Path, day: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut all = crate::scenario_golden::files_with_bytes(&dir.join("out").join(day));
    all.retain(|k, _| !k.starts_with("superseded"));
    for (k, v) in crate::scenario_golden::files_with_bytes(&dir.join("state").join(day)) {
        all.insert(format!("state/{k}"), v);
    }
    all
}

#[test]
fn rerun_marks_later_days_stale_and_replay_recomputes_them_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    crate::scenario_golden::run_fixture_days(dir);
    let days = [
        "2024-12-16",
        "2024-12-20",
        "2024-12-30",
        "2025-01-03",
        "2025-01-10",
        "2025-01-20",
        "2025-01-31",
        "2025-02-03",
    ];
    let before: Vec<_> = days.iter().map(|d| day_outputs(dir, d)).collect();
    let data = dir.to_str().unwrap();

    let rerun = inkasso(&["run", "--data", data, "--date", "2024-12-20", "--rerun"]);
    assert_eq!(rerun.status.code(), Some(0), "{}", String::from_utf8_lossy(&rerun.stderr));
    assert_eq!(day_outputs(dir, "2024-12-20"), before[1], "same inputs, same bytes (letters and journals included)");
    assert!(dir.join("out/2024-12-20/superseded/1/letters/manifest.csv").exists());
    for day in &days[2..] {
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("out").join(day).join("run.json")).unwrap()).unwrap();
        assert_eq!(run["stale"], "day 2024-12-20 was rerun after this day was committed", "{day}");
    }
    let next = inkasso(&["run", "--data", data, "--date", "2025-02-10"]);
    assert_eq!(next.status.code(), Some(2), "a new day on top of a stale one is refused");
    assert!(
        String::from_utf8_lossy(&next.stderr).contains("inkasso replay --data"),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );

    let replay = inkasso(&["replay", "--data", data, "--from", "2024-12-30"]);
    assert_eq!(replay.status.code(), Some(0), "{}", String::from_utf8_lossy(&replay.stderr));
    for (i, day) in days.iter().enumerate().skip(2) {
        assert_eq!(day_outputs(dir, day), before[i], "{day} replayed from archived inputs gives the same bytes");
        assert!(dir.join("out").join(day).join("superseded/1/run.json").exists(), "{day}: replaced outputs kept");
    }
    assert_eq!(inkasso(&["run", "--data", data, "--date", "2025-02-10"]).status.code(), Some(0));
}

#[test]
fn data_directory_files_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    crate::scenario_golden::run_fixture_days(tmp.path());
    for sub in ["archive", "quarantine", "state", "out"] {
        let root = tmp.path().join(sub);
        if !root.exists() {
            continue;
        }
        for f in crate::scenario_golden::walk(&root) {
            let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
            let parent = std::fs::metadata(f.parent().unwrap()).unwrap().permissions().mode() & 0o777;
            assert_eq!(parent, 0o700, "{}", f.parent().unwrap().display());
        }
    }
}

#[test]
fn csv_outputs_cannot_inject_formulas_and_keep_amounts() {
    let export = String::from_utf8(export_n1()).unwrap().replace("Åsa Öberg", "=HYPERLINK(\"http://x\";\"klicka\")");
    let dir = data_dir(&[("export.csv", export.as_bytes())]);
    run_day(dir.path(), d("2024-12-16"), false, false).unwrap();
    let camt = String::from_utf8(std::fs::read(fixture("2024-12-30", "camt053_seb_2024-12-27.xml")).unwrap())
        .unwrap()
        .replace("Present till mormor", "@SUM(1+1)*cmd|' /C calc'!A0");
    std::fs::write(dir.path().join("inbox/camt.xml"), camt).unwrap();
    run_day(dir.path(), d("2024-12-30"), false, false).unwrap();
    let suspense = std::fs::read_to_string(dir.path().join("out/2024-12-30/suspense.csv")).unwrap();
    assert!(suspense.contains(",'@SUM(1+1)*cmd|' /C calc'!A0,"), "{suspense}");
    assert!(suspense.contains(",1234.00,SEK,"), "amounts unchanged: {suspense}");
    let journal =
        std::fs::read_to_string(dir.path().join("out/2024-12-30/journals/5561234567/2024-12-30.csv")).unwrap();
    assert!(journal.contains(",-2847.95,SEK,"), "negative amounts are not neutralised: {journal}");
}
