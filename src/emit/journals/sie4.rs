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

use rust_decimal::Decimal;

use super::JournalHeader;
use crate::model::{fmt_amount, Verification};

/// CR LF: the record terminator we write (see the module docs).
const EOL: &str = "\r\n";

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
                p.amount.round_dp(2) == p.amount,
                "verification {} of creditor {}: amount {} on account {} is not in whole öre",
                v.number(),
                v.creditor_id(),
                p.amount,
                p.account
            );
        }
    }

    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push_str(EOL);
    };

    let (program, version) = split_program(&header.program);
    line("#FLAGGA 0".to_string());
    line("#FORMAT PC8".to_string());
    line("#SIETYP 4".to_string());
    line(format!("#PROGRAM {} {}", quote(program), quote(version)));
    line(format!("#GEN {}", sie_date(header.generated)));
    line(format!("#FNAMN {}", quote(&header.company_name)));
    line(format!("#ORGNR {}", org_no(&header.org_no)));
    line(format!("#VALUTA {}", header.currency.code()));

    let accounts: BTreeSet<&str> =
        verifications().flat_map(|v| v.postings().iter().map(|p| p.account.as_str())).collect();
    for account in accounts {
        line(format!("#KONTO {} {}", bare(account), quote(&account_name(account))));
    }
    let mut bytes = encode_cp437(&out);

    // The postings (a million on a big night): each row straight into the
    // bytes, the account as a token, the text quoted.
    for v in verifications() {
        bytes.extend_from_slice(
            encode_cp437(&format!("#VER \"\" \"\" {} {}", sie_date(v.date()), quote(v.text()))).as_slice(),
        );
        bytes.extend_from_slice(EOL.as_bytes());
        bytes.extend_from_slice(b"{");
        bytes.extend_from_slice(EOL.as_bytes());
        for p in v.postings() {
            bytes.extend_from_slice(b"   #TRANS ");
            bytes.extend_from_slice(&encode_cp437(&bare(&p.account)));
            bytes.extend_from_slice(b" {} ");
            bytes.extend_from_slice(amount(p.amount).as_bytes());
            if !p.text.is_empty() {
                bytes.extend_from_slice(b" \"\" ");
                bytes.extend_from_slice(&encode_cp437(&quote(&p.text)));
            }
            bytes.extend_from_slice(EOL.as_bytes());
        }
        bytes.extend_from_slice(b"}");
        bytes.extend_from_slice(EOL.as_bytes());
    }
    bytes
}

/// `"inkasso 0.1.0"` -> (`inkasso`, `0.1.0`); no space -> (whole, "").
fn split_program(program: &str) -> (&str, &str) {
    match program.trim().rsplit_once(' ') {
        Some((name, version)) => (name.trim(), version),
        None => (program.trim(), ""),
    }
}

fn sie_date(d: chrono::NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn amount(d: Decimal) -> String {
    fmt_amount(d)
}

/// `5561234567` -> `556123-4567`; anything else as given.
fn org_no(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let only_digits_and_hyphen = s.trim().chars().all(|c| c.is_ascii_digit() || c == '-');
    if digits.len() == 10 && only_digits_and_hyphen {
        format!("{}-{}", &digits[..6], &digits[6..])
    } else {
        bare(s.trim())
    }
}

/// A field written without quotes when it is a plain token (account
/// numbers), quoted otherwise.
fn bare(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
        s.to_string()
    } else {
        quote(s)
    }
}

/// A quoted SIE string: characters outside CP437 substituted, control
/// characters as spaces, `\` as `/`, `"` as `\"`.
pub(crate) fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push('/'),
            c if c.is_control() => q.push(' '),
            c if c.is_ascii()
                || oem_cp::encode_char_checked(c, &oem_cp::code_table::ENCODING_TABLE_CP437).is_some() =>
            {
                q.push(c);
            }
            c => q.push_str(substitute(c)),
        }
    }
    q.push('"');
    q
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

/// CP437 bytes of `s` (ASCII is the same byte in both).
fn encode_cp437(s: &str) -> Vec<u8> {
    if s.is_ascii() {
        return s.as_bytes().to_vec();
    }
    s.chars().map(|c| oem_cp::encode_char_lossy(c, &oem_cp::code_table::ENCODING_TABLE_CP437)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, Posting};
    use chrono::NaiveDate;
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

    #[test]
    fn swedish_letters_are_cp437() {
        assert_eq!(encode_cp437("åäöÅÄÖ"), vec![0x86, 0x84, 0x94, 0x8F, 0x8E, 0x99]);
        assert_eq!(encode_cp437("æÆé"), vec![0x91, 0x92, 0x82]);
        // ø/Ø are not in CP437: substituted before encoding.
        assert_eq!(quote("Søren Ø"), "\"Soren O\"");
        assert_eq!(quote("5 €"), "\"5 EUR\"");
        assert_eq!(quote("日"), "\"?\"");
    }

    #[test]
    fn quoting_escapes_quotes_and_removes_control_characters() {
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("Faktura \"1001\""), "\"Faktura \\\"1001\\\"\"");
        assert_eq!(quote("a\tb\r\nc\u{7f}"), "\"a b  c \"");
        assert_eq!(quote("C:\\dir\\"), "\"C:/dir/\"");
        assert_eq!(quote("„citat”"), "\"\\\"citat\\\"\"");
        assert_eq!(bare("1510"), "1510");
        assert_eq!(bare("15 10"), "\"15 10\"");
    }

    #[test]
    fn header_fields() {
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
