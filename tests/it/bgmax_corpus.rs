//! BgMax reader against the shared corpus (Bankgirot's published sample
//! files, as copied by several open-source projects; see
//! `corpus/SOURCES.md`).
//!
//! What is asserted:
//! - every file under corpus `bgmax/` parses, none is rejected: the
//!   UTF-8 re-save (`tsbgmax_...cleaned_utf8.txt`, whose å/ä lines are 81
//!   bytes) is valid UTF-8 with non-ASCII characters, so it is decoded as
//!   UTF-8, and then reads exactly like the ISO-8859-1 original;
//! - per file, the hand-counted number of transactions (20 + 21 records) and
//!   credits minus debits per currency (hand counts in comments), and that
//!   they equal the file's own control figures (15 deposit amounts and 70
//!   counts, read here independently of the reader);
//! - keys are unique within a file and the same bytes give the same result;
//! - single fields (references, payer, deduction, dates, accounts) of the
//!   richest samples.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use inkasso::ingest::bank::{bgmax, BankFile};
use inkasso::model::{Currency, Direction};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::util::corpus_dir;

fn parse_file(path: &Path) -> BankFile {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bgmax::sniff(&bytes), "{}: sniff", path.display());
    bgmax::parse(&bytes).unwrap_or_else(|errs| panic!("{}: {errs:?}", path.display()))
}

/// Credits minus debits per currency.
fn net_by_currency(f: &BankFile) -> BTreeMap<String, Decimal> {
    let mut m = BTreeMap::new();
    for t in &f.transactions {
        let a = t.amount.amount();
        let signed = if t.direction == Direction::Credit { a } else { -a };
        *m.entry(t.amount.currency().to_string()).or_insert(Decimal::ZERO) += signed;
    }
    m
}

/// The file's own control figures, read without the reader: the 15
/// records' deposit amounts summed per currency, and the 70 record's counts
/// of 20 and 21 records.
fn control_figures(path: &Path) -> (BTreeMap<String, Decimal>, usize) {
    let bytes = std::fs::read(path).expect("corpus file");
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    let records: Vec<Vec<char>> = if text.contains('\n') {
        text.lines().map(|l| l.chars().collect()).collect()
    } else {
        text.chars().collect::<Vec<_>>().chunks(80).map(<[char]>::to_vec).collect()
    };
    let s = |r: &[char], from: usize, to: usize| -> String { r[from - 1..to].iter().collect() };
    let mut deposits = BTreeMap::new();
    let mut payments = None;
    for r in &records {
        if r.starts_with(&['1', '5']) {
            let ore: i64 = s(r, 51, 68).parse().expect("15 amount");
            *deposits.entry(s(r, 69, 71)).or_insert(Decimal::ZERO) += Decimal::new(ore, 2);
        } else if r.starts_with(&['7', '0']) {
            let n20: usize = s(r, 3, 10).parse().expect("70 payments");
            let n21: usize = s(r, 11, 18).parse().expect("70 deductions");
            payments = Some(n20 + n21);
        }
    }
    (deposits, payments.expect("a 70 record"))
}

const FABHED: &str = "bgmax/fabhed_bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt";
const RLINDGREN: &str =
    "bgmax/rlindgren_bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt";
const TSBGMAX: &str = "bgmax/tsbgmax_bankgiroinbetalningar_exempelfil_cleaned_utf8.txt";
const BILDFIL: &str = "bgmax/2xic_bankgiroinbetalningar_bildfil_avtal-ocr-kontroll_utokad-blankettregistrering-ocr-kontroll_exempelfil.txt";
const UTOKAD: &str =
    "bgmax/2xic_bankgiroinbetalningar_avtal-ocr-kontroll_utokad-blankettregistrering-ocr-kontroll_exempelfil.txt";
const OCR: &str = "bgmax/2xic_bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt";
const UTAN: &str = "bgmax/2xic_bangiroinbetalningar_exempelfil_avtalutantillval_kontroller_sv.txt";

/// File, transactions (20 + 21 records), credits minus debits per currency.
type HandCount<'a> = (&'a str, usize, &'a [(&'a str, Decimal)]);

#[test]
fn bgmax_every_corpus_file_parses_with_hand_counted_totals() {
    let Some(dir) = corpus_dir() else { return };
    let cases: &[HandCount<'_>] = &[
        // No line terminators, 28 records, one section. 20s: 100.00 + 200.00
        // + 300.00 + 100.00 + 150.00 = 850.00 (15: 850.00, 5 payments;
        // 70: 5 payments, 0 deductions, 0 extra refs, 1 deposit).
        (UTAN, 5, &[("SEK", dec!(850.00))]),
        // No line terminators, 50 records, three sections.
        // 1800.00 + 1900.00 = 3700.00 | 2000.00 | 500.00 + 500.00 + 500.00
        // + 1400.00 = 2900.00 -> 8600.00 (15s agree; 70: 7, 0, 9, 3). The
        // 22/23 part amounts (1700 + 300; 1000 + 500 + 400 - 500) sum to
        // their 20 and are not transactions.
        (UTOKAD, 7, &[("SEK", dec!(8600.00))]),
        // No line terminators, 28 records. 1000.00 + 780.00 + 291.00 + 300.00
        // + 700.00 + 462.00 = 3533.00 (15: 3533.00, 6; 70: 6, 0, 10, 1).
        (BILDFIL, 6, &[("SEK", dec!(3533.00))]),
        // No line terminators, 24 records. 900.00 + 100.00 + 600.00 + 500.00
        // = 2100.00 (15: 2100.00, 4; 70: 4, 0, 3, 1).
        (OCR, 4, &[("SEK", dec!(2100.00))]),
        // CRLF, TABs, right-trimmed 22 and 70. Section 1: 1000.00 - 500.00
        // (21 deduction) + 1400.00 = 1900.00 (15: 1900.00, 3); section 2:
        // 1100.00 + 1200.00 + 700.00 + 5000.00 = 8000.00 (15: 8000.00, 4)
        // -> 6 x 20 + 1 x 21 = 7, net 9900.00 (70: 6, 1, 6, 2).
        (FABHED, 7, &[("SEK", dec!(9900.00))]),
        // LF: the two SEK sections above plus a EUR section 3000.00 +
        // 1000.00 = 4000.00 (15: 4000.00 EUR, 2) -> 9 (70: 8, 1, 9, 3).
        (RLINDGREN, 9, &[("EUR", dec!(4000.00)), ("SEK", dec!(9900.00))]),
        // UTF-8 re-save of FABHED: same figures.
        (TSBGMAX, 7, &[("SEK", dec!(9900.00))]),
    ];
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("bgmax"))
        .expect("bgmax dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 7, "expected the 7 bgmax corpus files");
    for path in &files {
        assert!(cases.iter().any(|(f, _, _)| dir.join(f) == *path), "{} has no hand count", path.display());
    }
    for (file, count, net) in cases {
        let path = dir.join(file);
        let f = parse_file(&path);
        assert_eq!(f.format, "bgmax");
        assert_eq!(f.transactions.len(), *count, "{file}");
        let want: BTreeMap<String, Decimal> = net.iter().map(|(c, d)| (c.to_string(), *d)).collect();
        assert_eq!(net_by_currency(&f), want, "{file}");
        // ... and the file's own control figures say the same.
        let (deposits, payments) = control_figures(&path);
        assert_eq!(deposits, want, "{file}: 15 deposit amounts");
        assert_eq!(payments, *count, "{file}: 70 counts");

        let per_stmt: usize = f.statements.iter().map(|s| s.entries).sum();
        assert_eq!(per_stmt, f.transactions.len(), "{file}");
        for t in &f.transactions {
            assert!(t.amount.amount() > Decimal::ZERO);
            assert_eq!(t.account, "9912346");
            assert!(t.source.line > 0 && t.source.file.is_empty());
            assert!(t.payment_id.starts_with('P') && t.payment_id.len() == 17);
            assert_eq!(t.bank_ref.len(), 12, "{file}: every sample payment has a BGC serial number");
        }
        let mut keys: Vec<&str> = f.transactions.iter().map(|t| t.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), f.transactions.len(), "{file}: keys must be unique within a file");
        assert_eq!(parse_file(&path), f, "{file}: same bytes, same result");
    }
}

#[test]
fn bgmax_utf8_resave_reads_like_the_latin1_original() {
    let Some(dir) = corpus_dir() else { return };
    let bytes = std::fs::read(dir.join(TSBGMAX)).expect("tsbgmax");
    // The trap: read as ISO-8859-1, the å/ä lines are 81 characters.
    let latin1 = encoding_rs::mem::decode_latin1(&bytes);
    let long: Vec<usize> =
        latin1.lines().enumerate().filter(|(_, l)| l.chars().count() > 80).map(|(i, _)| i + 1).collect();
    assert_eq!(long, [4, 6, 9, 11, 19, 21, 26, 28, 33, 38, 45, 47]);
    // Decoded as UTF-8 it is the same file as the CRLF original (which has
    // TABs and right-trimmed records where this copy has blanks).
    let ts = parse_file(&dir.join(TSBGMAX));
    let orig = parse_file(&dir.join(FABHED));
    assert_eq!(ts, orig);
    assert_eq!(ts.transactions[0].payer, "Kalles Plåt AB");
    // The LF variant with its extra EUR section starts with the same 7.
    let long = parse_file(&dir.join(RLINDGREN));
    assert_eq!(long.transactions[..7], orig.transactions[..]);
}

#[test]
fn bgmax_corpus_spot_checks() {
    let Some(dir) = corpus_dir() else { return };
    let may25 = NaiveDate::from_ymd_opt(2004, 5, 25).expect("date");

    let f = parse_file(&dir.join(FABHED));
    assert_eq!(f.statements.len(), 2);
    assert_eq!((f.statements[0].entries, f.statements[1].entries), (3, 4));
    assert_eq!(f.statements[0].currency, Some(Currency::SEK));
    assert_eq!(f.statements[0].account, "9912346");
    let t = &f.transactions;
    // OCR payment (reference code 2).
    assert_eq!((t[0].source.line, t[0].structured_ref.as_str(), t[0].unstructured.as_str()), (3, "655969", ""));
    assert_eq!(t[0].booking_date, may25);
    assert_eq!(t[0].key, "9912346|000000000010|2004-05-25|credit|1000.00");
    // The 21 deduction: a debit with its own serial number.
    assert_eq!(t[1].source.line, 8);
    assert_eq!(t[1].direction, Direction::Debit);
    assert_eq!(t[1].amount.amount(), dec!(500.00));
    assert_eq!(t[1].bank_ref, "000230000111");
    assert_eq!(t[1].unstructured, "89853");
    assert_eq!(t[1].payer, "Kalles Plåt AB");
    // Reference code 3 with three refs, its four 22 records (one with TABs,
    // one right-trimmed) and the 25 text.
    assert_eq!(t[2].structured_ref, "");
    assert_eq!(t[2].unstructured, "657866 658765 657767 657866 658765 657767 657965 Betalning med extra refnr 657965");
    // Reference code 1 (form payment, blank reference).
    assert_eq!((t[4].source.line, t[4].structured_ref.as_str(), t[4].unstructured.as_str()), (30, "", ""));
    assert_eq!(t[4].payer, "Berits Garn");
    // Two payments share serial 000000000016 (700.00 and 5000.00): the
    // amounts keep the keys apart.
    assert_eq!(t[5].bank_ref, t[6].bank_ref);
    assert_ne!(t[5].key, t[6].key);

    let eur = parse_file(&dir.join(RLINDGREN));
    assert_eq!(eur.statements[2].currency, Some(Currency::EUR));
    assert_eq!(eur.transactions[7].unstructured, "801266,801365,801464 801266 801365 801464 Faktura801465");
    assert_eq!(eur.transactions[7].amount.currency(), Currency::EUR);

    let bild = parse_file(&dir.join(BILDFIL));
    let b = &bild.transactions;
    assert!(b.iter().all(|t| t.booking_date == NaiveDate::from_ymd_opt(2005, 12, 6).expect("date")));
    // Reference code 0: refs only in the 22/23 records (the 23 is a negative part amount).
    assert_eq!((b[4].source.line, b[4].unstructured.as_str()), (12, "34850 47852 583161"));
    // Reference code 5 (incorrect reference): kept as text, not as OCR.
    assert_eq!((b[3].structured_ref.as_str(), b[3].unstructured.as_str()), ("", "43753"));
    assert_eq!(b[2].structured_ref, "22657");

    let utan = parse_file(&dir.join(UTAN));
    assert_eq!(utan.transactions[0].unstructured, "65598 Här är betalning från mig till dig");
    assert_eq!(utan.transactions[1].payer, "Olles färg AB");

    let utokad = parse_file(&dir.join(UTOKAD));
    assert_eq!(utokad.statements.len(), 3);
    assert_eq!(
        utokad.transactions[0].unstructured,
        "665760 665869 665661 Betalning med extra refnr 665869 657375 665661 665760"
    );
    let ocr = parse_file(&dir.join(OCR));
    assert_eq!(ocr.transactions[3].unstructured, "Faktura65581 Kundnr1233");
    assert_eq!(ocr.transactions[3].structured_ref, "65581");
}
