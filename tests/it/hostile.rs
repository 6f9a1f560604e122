//! Hostile inputs: every file of `tests/hostile/` (plus two 2 GiB sparse
//! files made at test time) dropped into one inbox next to one good
//! receivables export. The night must run (good claims admitted, exit 0, no
//! panic) and every hostile file must have its precise outcome: quarantined
//! with an `.error.txt` naming file, line, field, value and expectation; a
//! row in `rejected_rows.csv`; or a refusal in `refused.csv`. Nothing is
//! written outside the data directory, and nothing big is read into memory.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use inkasso::cli::run::run_day;

const DATE: &str = "2024-12-16";
const TWO_GIB: u64 = 2 << 30;
/// Inbox name of `name_traversal.txt`: `../../etc/passwd` with the slashes
/// URL-encoded. It starts with `.`, the upload-in-progress convention: it is
/// never read and stays in the inbox.
const TRAVERSAL: &str = "..%2F..%2Fetc%2Fpasswd";
/// The same fully URL-encoded: read, and quarantined under this very name.
const TRAVERSAL_ENCODED: &str = "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd";
/// Inbox name of `name_odd.csv`: a newline, a tab, quotes, shell and CSV syntax.
const ODD: &str = "odd\nname\t\"quoted\",$(touch pwned);|<>*?\\.csv";
/// Inbox name of `name_non_utf8.txt`: bytes that are not UTF-8
/// (read as U+FFFD, the name every output uses).
const NON_UTF8_RAW: &[u8] = b"junk_\xff\xfe.bin";
const NON_UTF8: &str = "junk_\u{fffd}\u{fffd}.bin";

/// 250-byte inbox names (`NAME_MAX` is 255): `<sha256>-<name>` in the archive
/// and `<name>.error.txt` in quarantine would not fit; they are cut.
fn long_name(ext: &str) -> String {
    format!("long_{}.{ext}", "x".repeat(250 - 6 - ext.len()))
}

fn hostile(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hostile").join(name)).unwrap()
}

/// Files of `tests/hostile/` copied into the inbox under their own name.
const SAME_NAME: &[&str] = &[
    "empty.csv",
    "binary_junk.bin",
    "camt_truncated.xml",
    "camt_truncated_at_tag.xml",
    "camt_billion_laughs.xml",
    "camt_xxe.xml",
    "camt_undeclared_entity.xml",
    "receivables_latin1.csv",
    "receivables_utf16.csv",
    "amount_comma_decimal.csv",
    "amount_thousands_space.csv",
    "amount_thousands_comma.csv",
    "amount_negative_invoice.csv",
    "amount_absurd.csv",
    "amount_three_decimals.csv",
    "date_feb30.csv",
    "date_month13.csv",
    "currency_sekk.csv",
    "currency_xxx.csv",
    "unknown_creditor.csv",
    "duplicate_invoice.csv",
];

/// `outer/data` with the sample config, the good export and every hostile
/// file in the inbox. `outer` holds nothing else, so anything written
/// outside the data directory shows up there.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let data = outer.path().join("data");
    let inbox = data.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("fixtures/inkasso.toml"), data.join("inkasso.toml")).unwrap();
    std::fs::copy(
        root.join("fixtures/days/2024-12-16/export_5561234567_2024-12-16.csv"),
        inbox.join("export_5561234567_2024-12-16.csv"),
    )
    .unwrap();
    for name in SAME_NAME {
        std::fs::write(inbox.join(name), hostile(name)).unwrap();
    }
    std::fs::write(inbox.join(TRAVERSAL), hostile("name_traversal.txt")).unwrap();
    std::fs::write(inbox.join(TRAVERSAL_ENCODED), hostile("name_traversal.txt")).unwrap();
    std::fs::write(inbox.join(ODD), hostile("name_odd.csv")).unwrap();
    std::fs::write(inbox.join(OsString::from_vec(NON_UTF8_RAW.to_vec())), hostile("name_non_utf8.txt")).unwrap();
    std::fs::write(inbox.join(long_name("csv")), hostile("name_long.csv")).unwrap();
    std::fs::write(inbox.join(long_name("txt")), hostile("name_long.txt")).unwrap();
    // Two 2 GiB sparse files of the same size (no disk blocks, never committed).
    for name in ["huge_sparse.csv", "huge_sparse_2.csv"] {
        std::fs::File::create(inbox.join(name)).unwrap().set_len(TWO_GIB).unwrap();
    }
    (outer, data)
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

/// Every file under `dir` (not following symlinks).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        assert!(!ft.is_symlink(), "a symlink was created: {}", e.path().display());
        if ft.is_dir() {
            walk(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

/// Rows of a CSV output (header left out), parsed with quoting.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect()
}

fn quarantine_text(data: &Path, name: &str) -> String {
    std::fs::read_to_string(data.join("quarantine").join(DATE).join(format!("{name}.error.txt"))).unwrap()
}

/// Every asserted outcome of the night, whichever way it was run.
fn assert_outcomes(outer: &Path, data: &Path) {
    // Nothing outside the data directory; nothing but the usual folders in it.
    assert_eq!(entries(outer), BTreeSet::from(["data".to_string()]), "written outside DATA");
    let top = entries(data);
    let allowed: BTreeSet<String> =
        ["inkasso.toml", "inbox", "archive", "quarantine", "out", "state", ".lock"].map(String::from).into();
    assert!(top.is_subset(&allowed), "unexpected entries in DATA: {top:?}");
    let canon = data.canonicalize().unwrap();
    let mut files = Vec::new();
    walk(data, &mut files);
    for f in &files {
        assert!(f.canonicalize().unwrap().starts_with(&canon), "{} outside DATA", f.display());
    }
    let qdir = data.join("quarantine").join(DATE);
    let adir = data.join("archive").join(DATE);
    for f in files.iter().filter(|f| f.starts_with(data.join("quarantine")) || f.starts_with(data.join("archive"))) {
        let parent = f.parent().unwrap();
        assert!(parent == qdir || parent == adir, "{} is not directly in quarantine/D or archive/D", f.display());
    }
    // Every inbox file was consumed but the one whose name starts with `.`,
    // which is left as it was.
    assert_eq!(entries(&data.join("inbox")), BTreeSet::from([TRAVERSAL.to_string()]));
    assert_eq!(std::fs::read(data.join("inbox").join(TRAVERSAL)).unwrap(), hostile("name_traversal.txt"));

    let long_txt = long_name("txt");
    let long_csv = long_name("csv");
    // Quarantined whole files: name -> what the .error.txt must say.
    let quarantined: Vec<(&str, Vec<String>)> = vec![
        ("empty.csv", vec![r#"empty.csv:1: field (format): expected a receivables CSV"#.into(), r#"found """#.into()]),
        (
            "binary_junk.bin",
            vec!["binary_junk.bin:1: field (format): expected a receivables CSV".into(), "found \"\u{fffd}PNG\\r\\n".into()],
        ),
        (
            NON_UTF8,
            vec![
                format!("{NON_UTF8}:1: field (format): expected a receivables CSV"),
                r#"found "a file whose name is not UTF-8"#.into(),
            ],
        ),
        (
            TRAVERSAL_ENCODED,
            vec![format!("{TRAVERSAL_ENCODED}:1: field (format): expected"), r#"found "root:x:0:0:root"#.into()],
        ),
        (
            "camt_truncated.xml",
            vec![r#"camt_truncated.xml:35: field xml: expected well-formed XML, found "syntax error: tag not closed"#.into()],
        ),
        (
            "camt_truncated_at_tag.xml",
            vec![r#"camt_truncated_at_tag.xml:31: field Ntry: expected </Ntry> (the file is truncated), found "end of file""#.into()],
        ),
        (
            "camt_billion_laughs.xml",
            vec![r#"camt_billion_laughs.xml:2: field DOCTYPE: expected no DOCTYPE or entity declarations in a camt file, found "<!DOCTYPE""#.into()],
        ),
        (
            "camt_xxe.xml",
            vec![r#"camt_xxe.xml:2: field DOCTYPE: expected no DOCTYPE or entity declarations in a camt file, found "<!DOCTYPE""#.into()],
        ),
        (
            "camt_undeclared_entity.xml",
            vec![r#"camt_undeclared_entity.xml:4: field xml: expected only the predefined XML entities or a character reference, found "&lol9;""#.into()],
        ),
        (
            "receivables_latin1.csv",
            vec!["receivables_latin1.csv:2: field (encoding): expected UTF-8 text (the file has bytes that are not UTF-8; export it as UTF-8)".into()],
        ),
        (
            "receivables_utf16.csv",
            vec![
                "receivables_utf16.csv:1: field (format): expected a receivables CSV".into(),
                "found \"\u{fffd}\u{fffd}c\\0r\\0e\\0d\\0i\\0t\\0o\\0r".into(),
            ],
        ),
        (
            // Cut to 245 bytes so that `.error.txt` fits; the text has the whole name.
            &long_txt[..245],
            vec![format!("{long_txt}:1: field (format): expected"), r#"found "a file with a 250-byte name"#.into()],
        ),
        (
            "huge_sparse.csv",
            vec![r#"huge_sparse.csv:0: field (size): expected a file of at most 536870912 bytes, found "2147483648""#.into()],
        ),
        (
            "huge_sparse_2.csv",
            vec![r#"huge_sparse_2.csv:0: field (size): expected a file of at most 536870912 bytes, found "2147483648""#.into()],
        ),
    ];
    let expected_q: BTreeSet<String> = quarantined.iter().map(|(n, _)| (*n).to_string()).collect();
    let in_q: BTreeSet<String> = entries(&qdir).into_iter().filter(|n| !n.ends_with(".error.txt")).collect();
    assert_eq!(in_q, expected_q);
    for (name, wants) in &quarantined {
        let text = quarantine_text(data, name);
        let full = if name.starts_with("long_") { long_txt.as_str() } else { name };
        assert!(text.starts_with(&format!("inkasso rejected {full} on {DATE}")), "{text}");
        for want in wants {
            assert!(text.contains(want.as_str()), "{name}: want {want:?} in\n{text}");
        }
        assert!(text.len() < 2000, "{name}: a short explanation, {} bytes", text.len());
    }
    // Rejected files are kept byte for byte; the big ones were moved, not copied.
    assert_eq!(std::fs::read(qdir.join("camt_truncated.xml")).unwrap(), hostile("camt_truncated.xml"));
    assert_eq!(std::fs::read(qdir.join(TRAVERSAL_ENCODED)).unwrap(), hostile("name_traversal.txt"));
    for name in ["huge_sparse.csv", "huge_sparse_2.csv"] {
        assert_eq!(std::fs::metadata(qdir.join(name)).unwrap().len(), TWO_GIB);
    }
    // Entities were never expanded, nothing was fetched.
    let laughs = quarantine_text(data, "camt_billion_laughs.xml");
    assert!(!laughs.contains("lollol"), "{laughs}");
    assert!(!quarantine_text(data, "camt_xxe.xml").contains("root:"), "the external entity was never read");

    // Bad rows of otherwise good receivables files.
    let out = data.join("out").join(DATE);
    let plain = "a plain decimal with '.' and at most two decimals, like 1234.50 (no thousands separator)";
    let date = "a calendar date as YYYY-MM-DD";
    let want_rejects: Vec<[&str; 5]> = vec![
        ["amount_absurd.csv", "2", "amount", "100000000000000000000.00", plain],
        ["amount_comma_decimal.csv", "2", "amount", "1234,50", plain],
        [
            "amount_negative_invoice.csv",
            "2",
            "amount",
            "-500.00",
            "a non-negative amount and open_amount for an invoice (a credit note needs credited_invoice)",
        ],
        ["amount_thousands_comma.csv", "2", "amount", "1,234.50", plain],
        ["amount_thousands_space.csv", "2", "amount", "1 234.50", plain],
        ["amount_three_decimals.csv", "2", "amount", "1234.505", plain],
        ["currency_sekk.csv", "2", "currency", "SEKK", "an ISO 4217 code like SEK"],
        ["date_feb30.csv", "2", "invoice_date", "2026-02-30", date],
        ["date_month13.csv", "2", "due_date", "2024-13-01", date],
        // The good export's own bad row.
        ["export_5561234567_2024-12-16.csv", "14", "invoice_date", "2024-02-30", date],
    ];
    let want_rejects: Vec<Vec<String>> =
        want_rejects.iter().map(|r| r.iter().map(|s| (*s).to_string()).collect()).collect();
    assert_eq!(csv_rows(&out.join("rejected_rows.csv")), want_rejects);

    // Admission refusals (the good export's own ones left aside).
    let refused: Vec<Vec<String>> = csv_rows(&out.join("refused.csv"))
        .into_iter()
        .filter(|r| r[0] != "export_5561234567_2024-12-16.csv")
        .map(|r| r[..5].to_vec())
        .collect();
    let want_refused: Vec<Vec<String>> = [
        ["currency_xxx.csv", "2", "5561234567", "H-10", "currency"],
        ["duplicate_invoice.csv", "3", "5561234567", "H-DUP", "duplicate"],
        [&long_csv, "2", "5561234567", "H-15", "below_min_amount"],
        [ODD, "2", "5561234567", "H-14", "below_min_amount"],
        ["unknown_creditor.csv", "2", "5560000001", "H-11", "unknown_creditor"],
    ]
    .iter()
    .map(|r| r.iter().map(|s| (*s).to_string()).collect())
    .collect();
    assert_eq!(refused, want_refused);

    // The good export ran: its four claims plus the first H-DUP row.
    let manifest = std::fs::read_to_string(out.join("letters/manifest.csv")).unwrap();
    for claim in ["5561234567-1001,", "5561234567-1002,", "5561234567-1003,", "5561234567-1004,", "5561234567-H-DUP,"] {
        assert!(manifest.contains(claim), "{claim} missing from\n{manifest}");
    }
    assert_eq!(manifest.lines().count(), 6, "five letters:\n{manifest}");

    // run.json lists every input with its status.
    let run: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["counts"]["claims_admitted"], 5);
    assert_eq!(run["counts"]["files_quarantined"], quarantined.len());
    assert_eq!(run["counts"]["files_duplicate"], 0, "no input is taken for a copy of another");
    let inputs = run["inputs"].as_array().unwrap();
    let status = |name: &str| -> (String, u64) {
        let i = inputs.iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("{name:?} not in run.json"));
        (i["status"].as_str().unwrap().to_string(), i["rejected_rows"].as_u64().unwrap())
    };
    for (name, _) in &quarantined {
        let full = if name.starts_with("long_") { long_txt.as_str() } else { name };
        assert_eq!(status(full).0, "quarantined", "{full}");
    }
    for r in &want_rejects {
        assert_eq!(status(&r[0]), ("ok".to_string(), 1), "{}", r[0]);
    }
    for name in ["currency_xxx.csv", "duplicate_invoice.csv", ODD, &long_csv, "unknown_creditor.csv"] {
        assert_eq!(status(name), ("ok".to_string(), 0), "{name}");
    }
    assert_eq!(inputs.len(), quarantined.len() + want_rejects.len() + 5);
    // Good files are archived as <sha256>-<name>, with the odd name intact.
    let archived = entries(&adir);
    assert!(archived.iter().any(|n| n.len() == 65 + ODD.len() && n.ends_with(ODD)), "{archived:?}");
    assert!(archived.iter().any(|n| n.len() == 255 && long_csv.starts_with(&n[65..])), "{archived:?}");
    assert_eq!(archived.len(), want_rejects.len() + 5, "{archived:?}");
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn hostile_inbox_in_process_quarantines_rejects_and_refuses_each_file() {
    let (outer, data) = setup();
    let s = run_day(&data, NaiveDate::parse_from_str(DATE, "%Y-%m-%d").unwrap(), false, false).unwrap();
    let peak = peak_rss_kib();
    assert!(peak < 500 * 1024, "peak RSS {peak} KiB: a big file was read into memory");
    assert_eq!(s.counts["claims_admitted"], 5);
    assert_eq!(s.counts["rows_rejected"], 10);
    assert_eq!(s.refused_by_reason.get("unknown_creditor"), Some(&1));
    assert_eq!(s.refused_by_reason.get("currency"), Some(&1));
    assert_eq!(s.refused_by_reason.get("duplicate"), Some(&2), "H-DUP here, 1001 in the good export");
    assert_outcomes(outer.path(), &data);
}

#[test]
fn hostile_inbox_binary_exits_0_without_panic() {
    let (outer, data) = setup();
    let out = Command::new(env!("CARGO_BIN_EXE_inkasso"))
        .args(["run", "--data", data.to_str().unwrap(), "--date", DATE])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("claims: 5 admitted"), "{stdout}");
    assert!(stdout.contains("QUARANTINED: huge_sparse.csv"), "{stdout}");
    assert_outcomes(outer.path(), &data);
}
