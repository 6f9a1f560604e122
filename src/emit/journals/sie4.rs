//! SIE 4, type 4I ("importfil"): verifications for import into a ledger.
//!
//! Written against "SIE filformat, version 4B" (SIE-gruppen, 2008-09-30,
//! sie.se). The choices, with the part of the spec each rests on:
//!
//! * **File type.** `#SIETYP 4` with only `#VER` blocks and no balances
//!   (`#IB`/`#UB`/`#RES`) and no `#RAR`: that is a 4I import file
//!   ("importfil"), the type Fortnox and Visma take for posting
//!   verifications into an existing ledger. The identification records
//!   4B requires in every file come first, `#FLAGGA` as the very first
//!   line: `#FLAGGA 0`, `#FORMAT PC8`, `#SIETYP 4`, `#PROGRAM`, `#GEN`,
//!   `#FNAMN`; then the optional `#ORGNR` and `#VALUTA`, then `#KONTO` for
//!   every account used, then the verifications.
//! * **Character set.** 4B: "IBM PC 8-bitars extended ASCII (Codepage
//!   437)", declared as `#FORMAT PC8`. The whole file is encoded CP437.
//!   å ä ö Å Ä Ö æ Æ é ü ... are in CP437; Norwegian/Danish `ø`/`Ø` are
//!   **not** (0x9B in CP437 is `¢`; it is `ø` only in CP865), so they are
//!   written as `o`/`O` ("Søren Bækgaard" -> "Soren Bækgaard"). `€` becomes
//!   `EUR`, typographic quotes/dashes their ASCII forms, any other
//!   character outside CP437 `?`.
//! * **Line ends.** Every record (line) ends with CR LF: 4B defines the
//!   file as a PC8 (IBM PC / DOS) text file with one record per line, and
//!   CR LF is that platform's line end. Readers accept it everywhere (the
//!   real exports in our test corpus use LF, CR LF and even bare CR, and
//!   the test reader takes all three).
//! * **Fields.** 4B: fields are separated by spaces; a field containing
//!   spaces must be in double quotes, and a `"` inside a field is written
//!   `\"`; control characters (ASCII 0-31, 127) may not occur. We quote
//!   every text field (also when it has no space: always allowed), write
//!   `"` as `\"`, replace control characters (TAB, CR, LF, ...) by a space,
//!   and write a backslash as `/` (4B gives `\` no escape of its own, and
//!   readers treat `\"` as a quote, so a text ending in `\` would swallow
//!   its closing quote). Account numbers, dates and amounts are bare.
//! * **Amounts.** 4B: `.` as decimal point, `-` for negative, no thousands
//!   separator; we always write two decimals (`-1000.00`). Positive =
//!   debit, negative = credit, the same sign convention as
//!   [`Posting`](crate::model::Posting).
//! * **`#VER serie vernr verdatum vertext`.** Written as
//!   `#VER "" "" 20250110 "text"`: empty series and empty number. 4B
//!   allows both to be left empty in an import file; the receiving program
//!   then puts the verification in its default series and gives it the
//!   next free number. The automatic SIE 4I import for Fortnox
//!   (fortnox.se integration "SIE automatisk import") documents exactly
//!   that: a file without series is booked in series A, and real
//!   4I files from Visma Fakturering and a POS system (test corpus) send
//!   an empty number too. Sending our own numbers would collide with the
//!   receiving ledger's series (ours restart per creditor and day), so
//!   the number stays in [`Verification`] and in the CSV (`voucher`).
//! * **`#TRANS kontonr {objektlista} belopp transdat transtext`.** The
//!   object list is always present and empty (`{}`), as 4B requires for
//!   `#TRANS`. The transaction date is left empty (`""`, i.e. the
//!   verification date) when a text follows; the posting's text is the
//!   transaction text. Rows are indented by three spaces (cosmetic).
//! * **`#KONTO`.** One line per account used, in ascending order, with the
//!   BAS names 1510 "Kundfordringar", 1512 "Belånade kundfordringar",
//!   8313 "Ränteintäkter från kortfristiga fordringar"; any other account
//!   is named "Konto NNNN". Importers use them to create accounts the
//!   ledger lacks; existing accounts keep their names.
//! * **`#ORGNR`.** Ten digits are written `NNNNNN-NNNN` as 4B shows;
//!   anything else is written as given (quoted if it has spaces).
//! * No `#KSUMMA` (optional in 4B).
//!
//! Output is deterministic: same header and verifications, same bytes
//! (accounts are sorted, nothing depends on clocks or hash order).

use std::borrow::Borrow;
use std::collections::BTreeSet;

use super::JournalHeader;
use crate::emit::push_date;
use crate::model::{push_amount, Verification};

/// CR LF: the record terminator we write (see the module docs).
const EOL: &[u8] = b"\r\n";

/// The BAS account name used in `#KONTO`, "Konto NNNN" for accounts the
/// collection pipeline does not know.
pub fn account_name(account: &str) -> String {
    match account {
        "1510" => "Kundfordringar".to_string(),
        "1512" => "Belånade kundfordringar".to_string(),
        "8313" => "Ränteintäkter från kortfristiga fordringar".to_string(),
        other => format!("Konto {other}"),
    }
}

/// SIE 4 (type 4I import file) bytes in CP437 (IBM PC 8-bit,
/// `#FORMAT PC8`), lines ending in CR LF.
///
/// # Panics
/// If a verification is in another currency than `header.currency` (SIE 4
/// amounts are in the ledger's currency; there is no per-row currency), or
/// a posting amount is not in whole öre (cents): the rounded rows would
/// no longer balance and the importer would reject the file. Both are
/// bugs in the caller, not data errors.
pub fn write<V: Borrow<Verification>>(header: &JournalHeader, verifications: &[V]) -> Vec<u8> {
    let verifications = || verifications.iter().map(Borrow::borrow);
    // A few accounts among a million postings: a set filled one by one.
    let mut accounts: BTreeSet<&str> = BTreeSet::new();
    for v in verifications() {
        assert!(
            v.currency() == header.currency,
            "verification {} of creditor {} is in {}, the SIE file is in {}",
            v.number(),
            v.creditor_id(),
            v.currency(),
            header.currency
        );
        for p in v.postings() {
            assert!(
                p.amount.scale() <= 2 || p.amount.round_dp(2) == p.amount,
                "verification {} of creditor {}: amount {} on account {} is not in whole öre",
                v.number(),
                v.creditor_id(),
                p.amount,
                p.account
            );
            accounts.insert(p.account.as_str());
        }
    }

    let mut out = Vec::new();
    let (program, version) = split_program(&header.program);
    for record in [&b"#FLAGGA 0"[..], b"#FORMAT PC8", b"#SIETYP 4"] {
        out.extend_from_slice(record);
        out.extend_from_slice(EOL);
    }
    out.extend_from_slice(b"#PROGRAM ");
    push_quoted(&mut out, program);
    out.push(b' ');
    push_quoted(&mut out, version);
    out.extend_from_slice(EOL);
    out.extend_from_slice(b"#GEN ");
    push_date(&mut out, header.generated, false);
    out.extend_from_slice(EOL);
    out.extend_from_slice(b"#FNAMN ");
    push_quoted(&mut out, &header.company_name);
    out.extend_from_slice(EOL);
    out.extend_from_slice(b"#ORGNR ");
    push_org_no(&mut out, &header.org_no);
    out.extend_from_slice(EOL);
    out.extend_from_slice(b"#VALUTA ");
    out.extend_from_slice(header.currency.code().as_bytes());
    out.extend_from_slice(EOL);

    for account in accounts {
        out.extend_from_slice(b"#KONTO ");
        push_bare(&mut out, account);
        out.push(b' ');
        push_quoted(&mut out, &account_name(account));
        out.extend_from_slice(EOL);
    }

    // The postings (a million on a big night): each straight into the bytes.
    for v in verifications() {
        out.extend_from_slice(b"#VER \"\" \"\" ");
        push_date(&mut out, v.date(), false);
        out.push(b' ');
        push_quoted(&mut out, v.text());
        out.extend_from_slice(EOL);
        out.push(b'{');
        out.extend_from_slice(EOL);
        for p in v.postings() {
            out.extend_from_slice(b"   #TRANS ");
            push_bare(&mut out, &p.account);
            out.extend_from_slice(b" {} ");
            push_amount(&mut out, p.amount);
            if !p.text.is_empty() {
                out.extend_from_slice(b" \"\" ");
                push_quoted(&mut out, &p.text);
            }
            out.extend_from_slice(EOL);
        }
        out.push(b'}');
        out.extend_from_slice(EOL);
    }
    out
}

/// `"inkasso 0.1.0"` -> (`inkasso`, `0.1.0`); no space -> (whole, "").
fn split_program(program: &str) -> (&str, &str) {
    match program.trim().rsplit_once(' ') {
        Some((name, version)) => (name.trim(), version),
        None => (program.trim(), ""),
    }
}

/// `5561234567` -> `556123-4567`; anything else as given (`push_bare`).
fn push_org_no(out: &mut Vec<u8>, s: &str) {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let only_digits_and_hyphen = s.trim().chars().all(|c| c.is_ascii_digit() || c == '-');
    if digits.len() == 10 && only_digits_and_hyphen {
        out.extend_from_slice(format!("{}-{}", &digits[..6], &digits[6..]).as_bytes());
    } else {
        push_bare(out, s.trim());
    }
}

/// A field written without quotes when it is a plain token (account
/// numbers), quoted otherwise.
fn push_bare(out: &mut Vec<u8>, s: &str) {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        out.extend_from_slice(s.as_bytes());
    } else {
        push_quoted(out, s);
    }
}

/// A quoted SIE string in CP437: characters outside CP437 substituted,
/// control characters as spaces, `\` as `/`, `"` as `\"`.
fn push_quoted(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.push(b'/'),
            c if c.is_control() => out.push(b' '),
            c if c.is_ascii() => out.push(c as u8),
            c => match cp437(c) {
                Some(byte) => out.push(byte),
                None => out.extend_from_slice(substitute(c).as_bytes()),
            },
        }
    }
    out.push(b'"');
}

/// The CP437 byte of a character outside ASCII, if CP437 has one: for
/// Latin-1 (å, ä, ö, é, ...) from a table made once from `oem_cp`'s, for
/// the rest from `oem_cp` itself.
fn cp437(c: char) -> Option<u8> {
    use oem_cp::code_table::ENCODING_TABLE_CP437;
    static LATIN1: std::sync::OnceLock<[Option<u8>; 128]> = std::sync::OnceLock::new();
    let latin1 = LATIN1.get_or_init(|| {
        std::array::from_fn(|i| {
            let c = char::from_u32(0x80 + i as u32).expect("invariant: U+0080..U+00FF are characters");
            oem_cp::encode_char_checked(c, &ENCODING_TABLE_CP437)
        })
    });
    match u32::from(c) {
        code @ 0x80..=0xFF => latin1[(code - 0x80) as usize],
        _ => oem_cp::encode_char_checked(c, &ENCODING_TABLE_CP437),
    }
}

/// What to write for a character CP437 lacks (see the module docs).
fn substitute(c: char) -> &'static str {
    match c {
        'ø' => "o",
        'Ø' => "O",
        '€' => "EUR",
        '\u{2018}' | '\u{2019}' | '\u{201A}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' => "\\\"",
        '\u{2013}' | '\u{2014}' => "-",
        '\u{00A0}' => " ",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, Posting};
    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn posting(account: &str, amount: Decimal, text: &str, invoice: &str) -> Posting {
        Posting {
            account: account.into(),
            amount,
            text: text.into(),
            invoice_number: invoice.into(),
            claim_id: if invoice.is_empty() { "".into() } else { format!("C-{invoice}").into() },
        }
    }

    fn header() -> JournalHeader {
        JournalHeader {
            org_no: "5561234567".to_string(),
            company_name: "Åkeriet Öst AB".to_string(),
            program: "inkasso 0.1.0".to_string(),
            generated: NaiveDate::from_ymd_opt(2025, 1, 10).unwrap(),
            currency: Currency::SEK,
        }
    }

    /// A payment from the debtor settling two invoices and their interest,
    /// cleared against 1930.
    fn payment() -> Verification {
        Verification::new(
            "CR1",
            NaiveDate::from_ymd_opt(2025, 1, 10).unwrap(),
            7,
            "Inbetalning Märta Ström",
            Currency::SEK,
            vec![
                posting("1510", dec!(-1000.00), "Faktura 1001", "1001"),
                posting("1510", dec!(-500.50), "Faktura 1002", "1002"),
                posting("8313", dec!(-12.34), "Ränta 1001", "1001"),
                posting("1930", dec!(1512.84), "", ""),
            ],
        )
        .unwrap()
    }

    #[test]
    fn exact_sie_for_two_invoices_interest_and_clearing() {
        let got = write(&header(), &[payment()]);
        let want: &[u8] = b"#FLAGGA 0\r\n\
#FORMAT PC8\r\n\
#SIETYP 4\r\n\
#PROGRAM \"inkasso\" \"0.1.0\"\r\n\
#GEN 20250110\r\n\
#FNAMN \"\x8fkeriet \x99st AB\"\r\n\
#ORGNR 556123-4567\r\n\
#VALUTA SEK\r\n\
#KONTO 1510 \"Kundfordringar\"\r\n\
#KONTO 1930 \"Konto 1930\"\r\n\
#KONTO 8313 \"R\x84nteint\x84kter fr\x86n kortfristiga fordringar\"\r\n\
#VER \"\" \"\" 20250110 \"Inbetalning M\x84rta Str\x94m\"\r\n\
{\r\n   #TRANS 1510 {} -1000.00 \"\" \"Faktura 1001\"\r\n   #TRANS 1510 {} -500.50 \"\" \"Faktura 1002\"\r\n   #TRANS 8313 {} -12.34 \"\" \"R\x84nta 1001\"\r\n   #TRANS 1930 {} 1512.84\r\n}\r\n";
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
        assert_eq!(got, want);
        // Deterministic.
        assert_eq!(write(&header(), &[payment()]), got);
    }

    fn quoted(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        push_quoted(&mut out, s);
        out
    }

    #[test]
    fn swedish_letters_are_cp437() {
        assert_eq!(quoted("åäöÅÄÖ"), b"\"\x86\x84\x94\x8F\x8E\x99\"");
        assert_eq!(quoted("æÆé"), b"\"\x91\x92\x82\"");
        // ø/Ø are not in CP437: substituted.
        assert_eq!(quoted("Søren Ø"), b"\"Soren O\"");
        assert_eq!(quoted("5 €"), b"\"5 EUR\"");
        assert_eq!(quoted("日"), b"\"?\"");
        // The Latin-1 table is oem_cp's own.
        for c in (0x80..=0xFFu32).filter_map(char::from_u32) {
            let want = oem_cp::encode_char_checked(c, &oem_cp::code_table::ENCODING_TABLE_CP437);
            assert_eq!(cp437(c), want, "{c:?}");
        }
        assert_eq!(cp437('€'), None);
        assert_eq!(cp437('\u{2248}'), Some(0xF7), "≈ is in CP437 beyond Latin-1");
    }

    #[test]
    fn quoting_escapes_quotes_and_removes_control_characters() {
        assert_eq!(quoted(""), b"\"\"");
        assert_eq!(quoted("Faktura \"1001\""), b"\"Faktura \\\"1001\\\"\"");
        assert_eq!(quoted("a\tb\r\nc\u{7f}"), b"\"a b  c \"");
        assert_eq!(quoted("C:\\dir\\"), b"\"C:/dir/\"");
        assert_eq!(quoted("„citat”"), b"\"\\\"citat\\\"\"");
        let bare = |s| {
            let mut out = Vec::new();
            push_bare(&mut out, s);
            out
        };
        assert_eq!(bare("1510"), b"1510");
        assert_eq!(bare("15 10"), b"\"15 10\"");
    }

    #[test]
    fn header_fields() {
        let org_no = |s| {
            let mut out = Vec::new();
            push_org_no(&mut out, s);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(org_no("556123-4567"), "556123-4567");
        assert_eq!(org_no("5561234567"), "556123-4567");
        assert_eq!(org_no("SE556123456701"), "SE556123456701");
        assert_eq!(split_program("inkasso 0.1.0"), ("inkasso", "0.1.0"));
        assert_eq!(split_program("inkasso"), ("inkasso", ""));
        assert_eq!(account_name("1512"), "Belånade kundfordringar");
        assert_eq!(account_name("2890"), "Konto 2890");
    }

    #[test]
    #[should_panic(expected = "is in EUR")]
    fn other_currency_is_refused() {
        let mut h = header();
        h.currency = Currency::EUR;
        let _ = write(&h, &[payment()]);
    }

    #[test]
    fn empty_journal_has_only_the_header() {
        let got = String::from_utf8_lossy(&write::<Verification>(&header(), &[])).into_owned();
        assert!(got.ends_with("#VALUTA SEK\r\n"), "{got}");
    }
}
