//! Nets OCR giro reader against the shared corpus (`nets_ocr/`).
//!
//! What is asserted:
//! - the three OCR giro files (service code 09) parse, with per file the
//!   number of amount-item-1 records and the net total in NOK counted by
//!   hand (in comments), and equal to the file's own transmission-end
//!   control figures read straight from the raw `NY000089` record;
//! - a few transactions field by field (KID, item 3 text, sign, Nets id);
//! - the two AvtaleGiro files (service code 21) are refused with exactly one
//!   error saying so: agreements and payment requests are mandates and claims
//!   exchanged with Nets, not money received, so reading them as bank files
//!   (even with zero transactions) would hide a misrouted file.

use std::path::Path;

use chrono::NaiveDate;
use inkasso::ingest::bank::nets_ocr;
use inkasso::ingest::bank::BankFile;
use inkasso::model::{Currency, Direction};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::util::corpus_dir;

fn parse_file(path: &Path) -> BankFile {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(nets_ocr::sniff(&bytes), "{}: not sniffed as Nets", path.display());
    nets_ocr::parse(&bytes).unwrap_or_else(|errs| panic!("{}: {errs:?}", path.display()))
}

/// Credits minus debits.
fn net(f: &BankFile) -> Decimal {
    f.transactions
        .iter()
        .map(|t| if t.direction == Direction::Credit { t.amount.amount() } else { -t.amount.amount() })
        .sum()
}

/// The transmission end's own figures: (transactions, total in NOK).
fn end_record(path: &Path) -> (usize, Decimal) {
    let text = std::fs::read_to_string(path).expect("read");
    let end = text.lines().find(|l| l.starts_with("NY000089")).expect("NY000089 record");
    let n: usize = end[8..16].parse().expect("count");
    let ore: i64 = end[24..41].parse().expect("total");
    (n, Decimal::new(ore, 2))
}

#[test]
fn nets_ocr_giro_corpus_files_parse_with_hand_counted_totals() {
    let Some(dir) = corpus_dir() else { return };
    let dir = dir.join("nets_ocr");
    let cases: &[(&str, usize, Decimal)] = &[
        // 20 item-1 records, all credits: 1020.00 x5 + 560.00 x2 + 1500.00
        // + 1200.00 + 550.00 + 1943.00 + 1000.00 + 500.00 + 20500.00
        // + 5500.00 + 10500.00 + 644.00 + 564.00 + 288.00 + 540.00 = 51449.00.
        ("netsgiro_ocr_giro_transactions.txt", 20, dec!(51449.00)),
        // 23 item-1 records. Credits 440 + 80 + 1500 + 1500 + 3500 + 1600
        // + 1200 (type 10) + 900 + 100 + 1750 + 1500 + 150 + 360 + 600
        // + 300 + 100 + 150 + 450 + 750 + 850 = 17780.00; three with sign '-'
        // (250 + 400 + 1500 = 2150.00) -> net 15630.00, which is what the
        // end records carry (so their total is net, not gross 19930.00).
        ("javanetsgiro_ocr1.txt", 23, dec!(15630.00)),
        // One type-21 payment of 440.00 with a blank KID and an item 3.
        ("javanetsgiro_ocr3.txt", 1, dec!(440.00)),
    ];
    for &(name, count, total) in cases {
        let path = dir.join(name);
        let f = parse_file(&path);
        assert_eq!(f.format, "nets_ocr");
        assert_eq!(f.transactions.len(), count, "{name}");
        assert_eq!(net(&f), total, "{name}");
        assert_eq!(end_record(&path), (count, total), "{name}: the file's own control figures");
        assert_eq!(f.statements.len(), 1, "{name}");
        assert_eq!(f.statements[0].entries, count);
        assert_eq!(f.statements[0].currency, Some(Currency::NOK));
        for t in &f.transactions {
            assert_eq!(t.amount.currency(), Currency::NOK);
            assert_eq!(t.account, f.statements[0].account);
            assert_eq!(t.bank_ref.len(), 16);
            assert!(t.payment_id.starts_with('P') && t.payment_id.len() == 17);
        }
        let mut keys: Vec<&str> = f.transactions.iter().map(|t| t.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), count, "{name}: keys must be unique within a file");
        assert_eq!(parse_file(&path), f, "{name}: same bytes, same result");
    }
}

#[test]
fn nets_ocr_giro_corpus_fields() {
    let Some(dir) = corpus_dir() else { return };
    let dir = dir.join("nets_ocr");
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");

    let f = parse_file(&dir.join("netsgiro_ocr_giro_transactions.txt"));
    assert_eq!(f.statements[0].account, "99991042764");
    let t = &f.transactions;
    // Line 3: type 21 with KID 0000531 and the item 3 "Foo bar baz".
    assert_eq!(t[0].source.line, 3);
    assert_eq!(t[0].booking_date, date(1992, 1, 20));
    assert_eq!(t[0].bank_ref, "2001921320101464");
    assert_eq!(t[0].amount.amount(), dec!(1020.00));
    assert_eq!(t[0].structured_ref, "0000531");
    assert_eq!(t[0].unstructured, "Foo bar baz");
    assert_eq!(t[0].key, "99991042764|2001921320101464|1992-01-20|credit|1020.00");
    // This crafted sample repeats one Nets id for several payments of the
    // same amount: the later ones get a position suffix.
    assert_eq!(t[1].key, "99991042764|2001921320101464|1992-01-20|credit|1020.00|1");
    // Line 18: type 11, KID 02212291038306.
    assert_eq!((t[7].source.line, t[7].structured_ref.as_str()), (18, "02212291038306"));
    assert_eq!(t[7].amount.amount(), dec!(1500.00));
    assert!(t.iter().all(|x| x.direction == Direction::Credit && !x.reversal));

    let f = parse_file(&dir.join("javanetsgiro_ocr1.txt"));
    let debits: Vec<(u32, Decimal)> = f
        .transactions
        .iter()
        .filter(|x| x.direction == Direction::Debit)
        .map(|x| (x.source.line, x.amount.amount()))
        .collect();
    assert_eq!(debits, [(31, dec!(250.00)), (33, dec!(400.00)), (35, dec!(1500.00))]);
    assert!(f.transactions.iter().all(|x| x.reversal == (x.direction == Direction::Debit)));
    assert_eq!(f.transactions[0].booking_date, date(2004, 3, 24));

    let f = parse_file(&dir.join("javanetsgiro_ocr3.txt"));
    assert_eq!(f.transactions[0].structured_ref, "");
    assert_eq!(f.transactions[0].unstructured, "ABCDEFGHIJKLMNOPQRSTUVWXZYabcdefghijklmn");
}

#[test]
fn nets_avtalegiro_corpus_files_are_refused() {
    let Some(dir) = corpus_dir() else { return };
    let dir = dir.join("nets_ocr");
    for (name, code, kind) in [
        ("netsgiro_avtalegiro_agreements.txt", "NY212420", "agreements"),
        ("netsgiro_avtalegiro_payment_request.txt", "NY210020", "payment requests"),
    ] {
        let bytes = std::fs::read(dir.join(name)).expect("read");
        // Same transmission start, so the sniffer says Nets ...
        assert!(nets_ocr::sniff(&bytes), "{name}");
        // ... and the parser refuses it at the assignment start, with one error.
        let errs = nets_ocr::parse(&bytes).unwrap_err();
        assert_eq!(errs.len(), 1, "{name}: {errs:?}");
        assert_eq!((errs[0].line, errs[0].field.as_str(), errs[0].value.as_str()), (2, "service code", code));
        let want = format!("Nets AvtaleGiro {kind}");
        assert!(errs[0].expected.contains(&want), "{name}: {}", errs[0].expected);
        assert!(errs[0].expected.contains("is not an OCR giro incoming-payment file"), "{name}");
    }
    // Every file in the folder is covered by one of the two tests.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("nets_ocr dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "javanetsgiro_ocr1.txt",
            "javanetsgiro_ocr3.txt",
            "netsgiro_avtalegiro_agreements.txt",
            "netsgiro_avtalegiro_payment_request.txt",
            "netsgiro_ocr_giro_transactions.txt",
        ]
    );
}
