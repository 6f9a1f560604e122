//! Nets (Mastercard Payment Services, Norway) OCR giro reader: the
//! incoming-payment file ("OCR giro systemspesifikasjon"), service code 09.
//!
//! Rules:
//! - The file is a sequence of 80-character records: `NY`, service code (2),
//!   transaction or assignment type (2), record type (2). Positions below are
//!   0-based character offsets `[from..to)`; the spec counts from 1.
//!   - Transmission start `NY000010`: data transmitter `[8..16)`,
//!     transmission number `[16..23)`, data recipient `[23..31)`.
//!   - Assignment start `NY090020`: agreement id `[8..17)`, assignment number
//!     `[17..24)`, assignment account `[24..35)`.
//!   - Amount item 1 `NY09tt30` (tt = transaction type 10..21): transaction
//!     number `[8..15)`, nets date (oppgjørsdato) DDMMYY `[15..21)`, centre id
//!     `[21..23)`, day code `[23..25)`, partial settlement number `[25]`,
//!     partial settlement serial number `[26..31)`, sign `[31]` (`0` or `-`),
//!     amount in øre `[32..49)` (17 digits), KID `[49..74)` (right-aligned).
//!   - Amount item 2 `NY09tt31`: transaction number `[8..15)`, form number,
//!     agreement id, filler, date and debit account `[15..58)` (not used).
//!   - Amount item 3 `NY09tt32`: transaction number `[8..15)`, free text
//!     `[15..55)` (transaction types 20 and 21 in the spec; accepted after
//!     any item 2).
//!   - Assignment end `NY090088`: number of transactions `[8..16)`, number of
//!     records `[16..24)`, total amount in øre `[24..41)`, nets dates
//!     `[41..47)`, `[47..53)`, `[53..59)`.
//!   - Transmission end `NY000089`: number of transactions `[8..16)`, number
//!     of records `[16..24)`, total amount in øre `[24..41)`, nets date
//!     `[41..47)`.
//!
//!   Fillers are not checked.
//! - Input is ASCII in practice; it is read as UTF-8 when it is valid UTF-8
//!   (a BOM is skipped), otherwise as ISO 8859-1, so Norwegian letters in
//!   free text survive either way. LF or CRLF; blank lines are ignored.
//!   Every record must be exactly 80 characters.
//! - One `BankTransaction` per amount item 1, which must be followed by its
//!   item 2 (same transaction type and number) and may be followed by an
//!   item 3. Amount: øre / 100 in NOK. Direction: `Credit`, `Debit` when the
//!   sign is `-`. `reversal` is set for sign `-` and for the reversal
//!   transaction types 18 (reversing with KID) and 20 (reversing with text).
//!   Booking date: the item 1 nets date (two-digit years 00..69 are 20xx,
//!   70..99 19xx). Account: the assignment account of the assignment start.
//!   Bank reference: the 16 digits `[15..31)` of item 1 as written, i.e.
//!   oppgjørsdato (DDMMYY) + sentral-ID + dagkode + delavregningsnummer +
//!   løpenummer, which the spec names as the unique id of a Nets transaction
//!   (sign and amount are not part of it; they are in the key). Structured
//!   reference: the KID with the padding spaces removed (digits, the last may
//!   be `-`), empty if blank. Unstructured: the item 3 text, trimmed. Payer:
//!   always empty (OCR giro carries no payer name; the payer's debit account
//!   in item 2 is not a name and is left out).
//! - Each assignment is a `Statement` (assignment account, NOK, no balances).
//! - Control: every assignment end and the transmission end must carry the
//!   number of amount items 1, the number of records (start and end records
//!   included) and the total amount (credits minus debits, in øre) that
//!   were counted; every mismatch is an error naming the end record's line.
//! - AvtaleGiro files (service code 21: agreements, payment requests,
//!   cancellations) are not incoming payments: the first service-code-21
//!   record stops the parse with one error "Nets AvtaleGiro ... is not an OCR
//!   giro incoming-payment file". Accepting them as empty files would let a
//!   misrouted claim file pass as a bank file with no payments.
//! - Every bad value is an `Error` naming line, field, value and expectation;
//!   all are collected and the file is refused if there is any.
//! - Idempotency key and `payment_id` as in the camt reader:
//!   `{account}|{bank_ref}|{booking_date}|{direction}|{amount}`, with `|{n}`
//!   appended from the second occurrence of the same key in one file on;
//!   `payment_id` is `P` + XXH3-64 of the key in hex (`super::payment_id`).
//!
//! Speed (target 400 MB/s, `benches/throughput.rs`): the text is decoded
//! once; records and their fields are slices of it (`Rec::get`, character
//! offsets, which are byte offsets for the ASCII records of practice), so
//! only the strings of a `BankTransaction` are allocated. An 80-character
//! record followed by a newline is split off without searching
//! (`Lines`; such a record is known to be printable ASCII and is not
//! checked again by `Rec::new`), and a line starting with a letter or digit
//! is not searched for blanks. Dates and numbers are read digit by digit;
//! the key is built by `base_key` without `format!`, with the date text
//! written once per run of equal booking dates (`Parser::date_text`). Repeated keys get their `|{n}` as they
//! are built, counted on the keys' parts (`KeyParts`: account, bank
//! reference and amount as numbers) by `super::KeyRepeats`, which needs
//! no search while the keys ascend (the usual Nets order) and searches the
//! earlier ascending runs from where the previous key was found when they
//! do not. Codes, digits and signs of a record are checked on a byte copy
//! of it (`Rec::ascii`). Account, bank reference, KID and text are
//! `CompactString`s, inline up to 24 bytes, so a transaction allocates one
//! heap string, its key.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use compact_str::CompactString;
use rust_decimal::Decimal;

use super::{canonical, ore_len, payment_id, push_number, BankFile, KeyRepeats, Statement};
use crate::ingest::Error;
use crate::model::{BankTransaction, Currency, Direction, Money, Source};

/// `BankFile::format` of this reader.
pub const FORMAT: &str = "nets_ocr";

const RECORD_LEN: usize = 80;

/// True if the first record is a Nets transmission start: "NY000010".
pub fn sniff(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.starts_with(b"NY000010")
}

/// Parses an OCR giro file. Errors carry line numbers (1-based) but no file
/// name (the caller adds it with `Error::with_file`).
pub fn parse(bytes: &[u8]) -> Result<BankFile, Vec<Error>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text: Cow<'_, str> = match std::str::from_utf8(bytes) {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    };
    let mut p = Parser::with_capacity(text.len());
    let mut last_line = 0u32;
    for (i, (raw, printable)) in Lines(Some(&text)).enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if is_blank(raw) {
            continue;
        }
        last_line = line;
        if !p.record(&Rec::new(line, raw, printable)) {
            break;
        }
    }
    if let Some(e) = p.avtalegiro.take() {
        // Its one error says it all.
        return Err(vec![e]);
    }
    p.finish(last_line);
    if p.errors.is_empty() {
        Ok(BankFile {
            format: FORMAT.to_string(),
            statements: p.statements,
            transactions: p.transactions,
            skipped_not_booked: 0,
        })
    } else {
        Err(p.errors)
    }
}

/// The lines of a text, as `str::split('\n')` gives them. An 80-character
/// printable ASCII record followed by LF or CRLF (nearly every line) is
/// recognised without searching for the newline; it comes with `true`
/// (its 80 characters are known to be printable ASCII).
struct Lines<'a>(Option<&'a str>);

impl<'a> Iterator for Lines<'a> {
    type Item = (&'a str, bool);

    fn next(&mut self) -> Option<(&'a str, bool)> {
        let rest = self.0.take()?;
        let b = rest.as_bytes();
        let end = match b.get(RECORD_LEN..RECORD_LEN + 2) {
            Some([b'\n', _]) => Some(RECORD_LEN),
            Some(b"\r\n") => Some(RECORD_LEN + 1),
            _ => None,
        };
        // No LF (nor any other control byte) inside the record; the fold
        // has no early exit so that it compiles to a few vector compares.
        let printable = |record: &[u8; RECORD_LEN]| {
            record.iter().fold(0u8, |bad, &c| bad | u8::from(c.wrapping_sub(b' ') >= 0x5f)) == 0
        };
        let record = end.filter(|_| b.first_chunk::<RECORD_LEN>().is_some_and(printable));
        match record.or_else(|| rest.find('\n')) {
            Some(i) => {
                self.0 = rest.get(i + 1..);
                Some((rest.get(..i).unwrap_or_default(), record.is_some()))
            }
            None => Some((rest, false)),
        }
    }
}

/// One record: its line and text. Fields are slices of the text, found by
/// character offsets.
struct Rec<'a> {
    line: u32,
    text: &'a str,
    /// Its length in characters.
    len: usize,
    /// The byte offset of every character and of the end; empty when the
    /// record is ASCII (characters are bytes).
    bounds: Vec<usize>,
    /// The first 80 characters, one byte each: an ASCII character as it is,
    /// any other as 0xFF (no digit, letter or sign); blanks after a shorter
    /// record. Record codes, digits and signs are checked here.
    ascii: [u8; RECORD_LEN],
}

impl<'a> Rec<'a> {
    /// The record `text` on `line`; `printable` when it is known to be
    /// printable ASCII already (`Lines`), so it is not checked again.
    fn new(line: u32, text: &'a str, printable: bool) -> Rec<'a> {
        let mut ascii = [b' '; RECORD_LEN];
        if printable || text.is_ascii() {
            let n = text.len().min(RECORD_LEN);
            if let (Some(slots), Some(bytes)) = (ascii.get_mut(..n), text.as_bytes().get(..n)) {
                slots.copy_from_slice(bytes);
            }
            return Rec { line, text, len: text.len(), bounds: Vec::new(), ascii };
        }
        for (slot, c) in ascii.iter_mut().zip(text.chars()) {
            *slot = u8::try_from(c).ok().filter(u8::is_ascii).unwrap_or(0xFF);
        }
        let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        Rec { line, text, len: bounds.len() - 1, bounds, ascii }
    }

    /// Characters `[a..b)` are all ASCII digits (as `all_digits(self.get(a, b))`
    /// for an 80-character record).
    fn digits(&self, a: usize, b: usize) -> bool {
        let field = self.ascii.get(a..b).unwrap_or_default();
        // No early exit: a few vector compares.
        !field.is_empty() && field.iter().fold(true, |ok, c| ok & c.is_ascii_digit())
    }

    /// Characters `[a..b)` (at most 18) as a number, when they are all
    /// digits (as `number(self.get(a, b))` for an 80-character record).
    fn number(&self, a: usize, b: usize) -> Option<i64> {
        if b.saturating_sub(a) > 18 || !self.digits(a, b) {
            return None;
        }
        let field = self.ascii.get(a..b).unwrap_or_default();
        Some(field.iter().fold(0, |n, &c| n * 10 + i64::from(c - b'0')))
    }

    /// Characters `[a..b)` are exactly `want` (ASCII).
    fn is(&self, a: usize, b: usize, want: &[u8]) -> bool {
        self.ascii.get(a..b) == Some(want)
    }

    /// Characters `[a..b)`, or what there is of them.
    fn get(&self, a: usize, b: usize) -> &'a str {
        let b = b.min(self.len);
        let a = a.min(b);
        if self.bounds.is_empty() {
            // ASCII: characters are bytes.
            return self.text.get(a..b).unwrap_or_default();
        }
        let (a, b) = match (self.bounds.get(a), self.bounds.get(b)) {
            (Some(&x), Some(&y)) => (x, y),
            _ => (a, b),
        };
        self.text.get(a..b).unwrap_or_default()
    }
}

/// Nothing but white space (as `str::trim` sees it). A record starts with
/// a letter or digit, so that nearly every line is decided by its first
/// byte.
fn is_blank(line: &str) -> bool {
    !line.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric) && line.trim().is_empty()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A fixed-width unsigned number (at most 18 digits).
fn number(s: &str) -> Option<i64> {
    if !all_digits(s) || s.len() > 18 {
        return None;
    }
    Some(s.bytes().fold(0, |n, b| n * 10 + i64::from(b - b'0')))
}

/// A Nets date `DDMMYY`; years 00..69 are 20xx, 70..99 are 19xx.
fn nets_date(s: &str) -> Option<NaiveDate> {
    let &[d1, d2, m1, m2, y1, y2] = s.as_bytes() else {
        return None;
    };
    if !all_digits(s) {
        return None;
    }
    let n = |a: u8, b: u8| u32::from(a - b'0') * 10 + u32::from(b - b'0');
    let y = n(y1, y2);
    let year = if y < 70 { 2000 + y } else { 1900 + y };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, n(m1, m2), n(d1, d2))
}

/// A KID as written (right-aligned in spaces): digits, the last may be `-`
/// (MOD11 check digit 10). `Some("")` when blank.
fn kid(s: &str) -> Option<&str> {
    let t = trim_blanks(s);
    let body = t.strip_suffix('-').unwrap_or(t);
    if t.is_empty() || all_digits(body) {
        Some(t)
    } else {
        None
    }
}

/// `s.trim_matches(' ')`: blanks cut at both ends, eight at a time over
/// the padding of a fixed-width field.
fn trim_blanks(s: &str) -> &str {
    const BLANKS: [u8; 8] = [b' '; 8];
    let b = s.as_bytes();
    let mut start = 0;
    while b.get(start..start + 8).is_some_and(|eight| eight == BLANKS) {
        start += 8;
    }
    while b.get(start) == Some(&b' ') {
        start += 1;
    }
    let mut end = b.len();
    while end >= start + 8 && b.get(end - 8..end).is_some_and(|eight| eight == BLANKS) {
        end -= 8;
    }
    while end > start && b.get(end - 1) == Some(&b' ') {
        end -= 1;
    }
    // Cut next to ASCII blanks: character boundaries.
    s.get(start..end).unwrap_or_default()
}

/// A date as `YYYY-MM-DD`, as keys write it, without `format!`.
fn date_text(date: NaiveDate) -> String {
    let mut s = String::with_capacity(10);
    push_number(&mut s, u64::try_from(date.year()).unwrap_or_default(), 4);
    s.push('-');
    push_number(&mut s, u64::from(date.month()), 2);
    s.push('-');
    push_number(&mut s, u64::from(date.day()), 2);
    s
}

/// The idempotency key without its position suffix:
/// `{account}|{bank_ref}|{date}|{direction}|{amount}`, the date as
/// `YYYY-MM-DD` (`date_text`, written once per date by the caller) and the
/// amount as `canonical` writes it (at least two decimals), built without
/// `format!`.
fn base_key(account: &str, bank_ref: &str, date: &str, dir: Direction, ore: u64) -> String {
    // Room for the parts, their separators and a short `|{n}`.
    let mut s = String::with_capacity(account.len() + bank_ref.len() + "|YYYY-MM-DD|credit|".len() + ore_len(ore) + 3);
    s.push_str(account);
    s.push('|');
    s.push_str(bank_ref);
    s.push('|');
    s.push_str(date);
    s.push_str(match dir {
        Direction::Credit => "|credit|",
        Direction::Debit => "|debit|",
    });
    push_number(&mut s, ore / 100, 1);
    s.push('.');
    push_number(&mut s, ore % 100, 2);
    s
}

/// An amount item 1 with what its items 2 and 3 added.
struct TxB<'a> {
    line: u32,
    ttype: &'a str,
    number: &'a str,
    date: Option<NaiveDate>,
    bank_ref: &'a str,
    /// `bank_ref` as a number (`digits_number`), for the key counts.
    bank_ref_number: u64,
    direction: Direction,
    reversal: bool,
    ore: Option<i64>,
    kid: Option<&'a str>,
    item2: bool,
    text: Option<&'a str>,
}

/// An open assignment.
struct Asg<'a> {
    line: u32,
    account: &'a str,
    /// `account` as a number (11 digits in a file without errors).
    account_number: u64,
    records: i128,
    txs: i128,
    net: i128,
    produced: usize,
}

/// What tells two keys apart, in a file without errors: the account (11
/// digits) and the bank reference (16 digits, the booking date among them)
/// as numbers, and the amount in øre times two, plus one for a debit.
type KeyParts = (u64, u64, u64);

/// A digit string (at most 18 digits in a file without errors) as a number.
fn digits_number(s: &str) -> u64 {
    number(s).and_then(|n| u64::try_from(n).ok()).unwrap_or(u64::MAX)
}

#[derive(Default)]
struct Parser<'a> {
    errors: Vec<Error>,
    transactions: Vec<BankTransaction>,
    statements: Vec<Statement>,
    /// The AvtaleGiro error, which stops the parse.
    avtalegiro: Option<Error>,
    /// The keys so far, for the `|{n}` of repeats.
    keys: KeyRepeats<KeyParts>,
    /// The booking date of the last key and its text (`date_text`): the
    /// transactions of a file mostly share a few dates, so the text is
    /// written once per run of equal dates.
    date_text: Option<(NaiveDate, String)>,
    started: bool,
    ended: bool,
    records: i128,
    txs: i128,
    net: i128,
    asg: Option<Asg<'a>>,
    tx: Option<TxB<'a>>,
}

impl<'a> Parser<'a> {
    /// A parser for a text of `len` bytes, with room for as many
    /// transactions as it can hold (each takes two records).
    fn with_capacity(len: usize) -> Parser<'a> {
        let n = len / (2 * RECORD_LEN + 2);
        Parser { transactions: Vec::with_capacity(n), keys: KeyRepeats::with_capacity(n), ..Parser::default() }
    }

    fn err(&mut self, line: u32, field: &str, value: &str, expected: impl Into<String>) {
        self.errors.push(Error::new(line, field, value, expected));
    }

    /// Handles one record; false stops the parse.
    fn record(&mut self, r: &Rec<'a>) -> bool {
        let code = r.get(0, 8);
        if !self.started {
            if r.len != RECORD_LEN || code != "NY000010" {
                self.err(r.line, "transmission start", code, "a Nets OCR giro file starting with the record NY000010");
                return false;
            }
            self.started = true;
            self.records += 1;
            self.transmission_start(r);
            return true;
        }
        if self.ended {
            self.err(r.line, "record", code, "nothing after the transmission end record NY000089");
            return false;
        }
        self.records += 1;
        if let Some(a) = self.asg.as_mut() {
            a.records += 1;
        }
        if r.len != RECORD_LEN {
            let n = r.len;
            self.err(r.line, "record", r.get(0, 80), format!("an 80-character Nets record, found {n} characters"));
            return true;
        }
        if r.is(0, 4, b"NY21") {
            self.refuse_avtalegiro(r);
            return false;
        }
        if !r.is(0, 2, b"NY") || !r.digits(2, 8) {
            self.err(r.line, "record type", code, "NY followed by six digits");
            return true;
        }
        match &r.ascii[6..8] {
            b"10" => self.err(r.line, "record type", code, "one transmission start NY000010 per file"),
            b"20" => self.assignment_start(r, code),
            b"30" => self.item1(r, code),
            b"31" => self.item2(r, code),
            b"32" => self.item3(r, code),
            b"88" => self.assignment_end(r, code),
            b"89" => self.transmission_end(r, code),
            _ => self.err(
                r.line,
                "record type",
                code,
                "a record type 10, 20, 30, 31, 32, 88 or 89 (OCR giro transmission, assignment or amount item)",
            ),
        }
        true
    }

    fn transmission_start(&mut self, r: &Rec<'a>) {
        for (a, b, field) in [
            (8, 16, "transmission start data transmitter"),
            (16, 23, "transmission start transmission number"),
            (23, 31, "transmission start data recipient"),
        ] {
            let v = r.get(a, b);
            if !all_digits(v) {
                self.err(r.line, field, v, format!("{} digits", b - a));
            }
        }
    }

    /// A service-code-21 record: the whole file is refused with one error.
    fn refuse_avtalegiro(&mut self, r: &Rec<'a>) {
        let code = r.get(0, 8);
        let kind = match (r.get(4, 6), r.get(6, 8)) {
            ("24", _) | ("94", _) => "agreements (assignment type 24)",
            ("36", _) | ("93", _) => "cancellations (assignment type 36)",
            _ => "payment requests (assignment type 00)",
        };
        self.avtalegiro = Some(Error::new(
            r.line,
            "service code",
            code,
            format!(
                "service code 09 (OCR giro): Nets AvtaleGiro {kind}, service code 21, is not an OCR giro \
                 incoming-payment file"
            ),
        ));
    }

    fn assignment_start(&mut self, r: &Rec<'a>, code: &str) {
        self.flush();
        if let Some(a) = self.asg.take() {
            self.err(a.line, "assignment end", "", "an assignment end NY090088 before the next assignment start");
        }
        if code != "NY090020" {
            self.err(r.line, "assignment start", code, "NY090020 (OCR giro assignment start)");
        }
        let account = r.get(24, 35);
        if !all_digits(account) {
            self.err(r.line, "assignment start assignment account", account, "an 11-digit account number");
        }
        let account_number = digits_number(account);
        self.asg = Some(Asg { line: r.line, account, account_number, records: 1, txs: 0, net: 0, produced: 0 });
    }

    fn item1(&mut self, r: &Rec<'a>, code: &str) {
        self.flush();
        self.txs += 1;
        if self.asg.is_none() {
            self.err(r.line, "amount item 1", code, "an amount item inside an assignment (after NY090020)");
        }
        if let Some(a) = self.asg.as_mut() {
            a.txs += 1;
        }
        let ttype = r.get(4, 6);
        let tt = r.number(4, 6).unwrap_or(0);
        if !(10..=21).contains(&tt) || !r.is(2, 4, b"09") {
            self.err(r.line, "amount item 1 transaction type", code, "NY09tt30 with transaction type tt 10 to 21");
        }
        let num = r.get(8, 15);
        if !r.digits(8, 15) {
            self.err(r.line, "amount item 1 transaction number", num, "7 digits");
        }
        let d = r.get(15, 21);
        let date = nets_date(d);
        if date.is_none() {
            self.err(r.line, "amount item 1 nets date", d, "a date DDMMYY, like 200192");
        }
        for (a, b, field) in [
            (21, 23, "amount item 1 centre id"),
            (23, 25, "amount item 1 day code"),
            (25, 26, "amount item 1 partial settlement number"),
            (26, 31, "amount item 1 partial settlement serial number"),
        ] {
            if !r.digits(a, b) {
                self.err(r.line, field, r.get(a, b), format!("{} digits", b - a));
            }
        }
        let direction = match r.ascii[31] {
            b'-' => Direction::Debit,
            b'0' => Direction::Credit,
            _ => {
                self.err(r.line, "amount item 1 sign", r.get(31, 32), "0 (credit) or - (debit)");
                Direction::Credit
            }
        };
        let ore = r.number(32, 49);
        match ore {
            Some(v) => {
                let signed = if direction == Direction::Debit { -i128::from(v) } else { i128::from(v) };
                self.net += signed;
                if let Some(x) = self.asg.as_mut() {
                    x.net += signed;
                }
            }
            None => self.err(r.line, "amount item 1 amount", r.get(32, 49), "17 digits: the amount in øre"),
        }
        let k = r.get(49, 74);
        let kid = kid(k);
        if kid.is_none() {
            self.err(
                r.line,
                "amount item 1 KID",
                k,
                "a KID of up to 25 digits (the last may be -), right-aligned, or blank",
            );
        }
        self.tx = Some(TxB {
            line: r.line,
            reversal: direction == Direction::Debit || tt == 18 || tt == 20,
            ttype,
            number: num,
            date,
            bank_ref: r.get(15, 31),
            // As `digits_number(bank_ref)`, from the record's byte copy.
            bank_ref_number: r.number(15, 31).and_then(|n| u64::try_from(n).ok()).unwrap_or(u64::MAX),
            direction,
            ore,
            kid,
            item2: false,
            text: None,
        });
    }

    /// Checks that item 2 or 3 belongs to the open transaction.
    fn belongs(&mut self, r: &Rec<'a>, code: &str, item: &str, want_item2: bool) -> bool {
        let num = r.get(8, 15);
        let Some(tx) = self.tx.as_ref() else {
            self.err(r.line, item, code, format!("{item} only after the amount item 1 of its transaction"));
            return false;
        };
        if tx.item2 != want_item2 || (want_item2 && tx.text.is_some()) {
            let what = if want_item2 { "after amount item 2" } else { "after amount item 1" };
            self.err(r.line, item, code, format!("{item} once per transaction, {what}"));
            return false;
        }
        let (tt, n) = (tx.ttype, tx.number);
        if r.get(4, 6) != tt || num != n {
            self.err(
                r.line,
                &format!("{item} transaction number"),
                &format!("{} {}", r.get(4, 6), num),
                format!("transaction type {tt} and number {n} of the amount item 1 before it"),
            );
            return false;
        }
        true
    }

    fn item2(&mut self, r: &Rec<'a>, code: &str) {
        if self.belongs(r, code, "amount item 2", false) {
            if let Some(tx) = self.tx.as_mut() {
                tx.item2 = true;
            }
        }
    }

    fn item3(&mut self, r: &Rec<'a>, code: &str) {
        if self.belongs(r, code, "amount item 3", true) {
            let text = r.get(15, 55).trim();
            if let Some(tx) = self.tx.as_mut() {
                tx.text = Some(text);
            }
        }
    }

    /// Turns the open transaction into a `BankTransaction`.
    fn flush(&mut self) {
        let Some(tx) = self.tx.take() else { return };
        if !tx.item2 {
            self.err(
                tx.line,
                "amount item 2",
                "",
                format!("an amount item 2 NY09{}31 for transaction {} after its amount item 1", tx.ttype, tx.number),
            );
            return;
        }
        let (Some(date), Some(ore), Some(kid), Some(a)) = (tx.date, tx.ore, tx.kid, self.asg.as_mut()) else {
            return;
        };
        a.produced += 1;
        let account = a.account;
        let amount = Decimal::new(ore, 2);
        let ore = u64::try_from(ore).unwrap_or_default();
        let text = match self.date_text.take() {
            Some((d, text)) if d == date => text,
            _ => date_text(date),
        };
        let mut key = base_key(account, tx.bank_ref, &text, tx.direction, ore);
        self.date_text = Some((date, text));
        let parts = (a.account_number, tx.bank_ref_number, ore << 1 | u64::from(tx.direction == Direction::Debit));
        let repeats = self.keys.count(parts);
        if repeats > 0 {
            key.push('|');
            push_number(&mut key, repeats as u64, 1);
        }
        self.transactions.push(BankTransaction {
            payment_id: payment_id(&key),
            key,
            source: Source { file: String::new(), line: tx.line },
            account: CompactString::from(account),
            bank_ref: CompactString::from(tx.bank_ref),
            booking_date: date,
            amount: Money::new(amount, Currency::NOK),
            direction: tx.direction,
            reversal: tx.reversal,
            structured_ref: CompactString::from(kid),
            unstructured: CompactString::from(tx.text.unwrap_or_default()),
            payer: CompactString::default(),
        });
    }

    /// Compares a control field of an end record with what was counted.
    fn control(&mut self, r: &Rec<'a>, (a, b): (usize, usize), field: &str, counted: i128, what: &str) {
        let v = r.get(a, b);
        match number(v) {
            Some(found) if i128::from(found) == counted => {}
            Some(_) => self.err(r.line, field, v, format!("{counted} ({what})")),
            None => self.err(r.line, field, v, format!("{} digits", b - a)),
        }
    }

    fn amount_control(&mut self, r: &Rec<'a>, field: &str, counted: i128, scope: &str) {
        let nok = Decimal::try_from_i128_with_scale(counted, 2).map(canonical).unwrap_or_default();
        let what = format!("øre = NOK {nok}, credits minus debits counted in the {scope}");
        self.control(r, (24, 41), field, counted, &what);
    }

    fn dates(&mut self, r: &Rec<'a>, fields: &[(usize, usize, &str)]) {
        for &(a, b, field) in fields {
            let v = r.get(a, b);
            if v != "000000" && nets_date(v).is_none() {
                self.err(r.line, field, v, "a date DDMMYY, like 200192");
            }
        }
    }

    fn assignment_end(&mut self, r: &Rec<'a>, code: &str) {
        self.flush();
        let Some(a) = self.asg.take() else {
            self.err(r.line, "assignment end", code, "an assignment end only after an assignment start NY090020");
            return;
        };
        if code != "NY090088" {
            self.err(r.line, "assignment end", code, "NY090088 (OCR giro assignment end)");
        }
        self.control(
            r,
            (8, 16),
            "assignment end number of transactions",
            a.txs,
            "amount items 1 counted in the assignment",
        );
        self.control(
            r,
            (16, 24),
            "assignment end number of records",
            a.records,
            "records counted in the assignment, start and end included",
        );
        self.amount_control(r, "assignment end total amount", a.net, "assignment");
        self.dates(
            r,
            &[
                (41, 47, "assignment end nets date"),
                (47, 53, "assignment end first nets date"),
                (53, 59, "assignment end last nets date"),
            ],
        );
        self.statements.push(Statement {
            account: a.account.to_string(),
            currency: Some(Currency::NOK),
            opening: None,
            closing: None,
            entries: a.produced,
        });
    }

    fn transmission_end(&mut self, r: &Rec<'a>, code: &str) {
        self.flush();
        if let Some(a) = self.asg.take() {
            self.err(a.line, "assignment end", "", "an assignment end NY090088 before the transmission end");
        }
        if code != "NY000089" {
            self.err(r.line, "transmission end", code, "NY000089 (transmission end)");
        }
        self.ended = true;
        let (txs, records, net) = (self.txs, self.records, self.net);
        self.control(r, (8, 16), "transmission end number of transactions", txs, "amount items 1 counted in the file");
        self.control(
            r,
            (16, 24),
            "transmission end number of records",
            records,
            "records counted in the file, start and end included",
        );
        self.amount_control(r, "transmission end total amount", net, "file");
        self.dates(r, &[(41, 47, "transmission end nets date")]);
    }

    fn finish(&mut self, last_line: u32) {
        if !self.started {
            if self.errors.is_empty() {
                self.err(1, "transmission start", "", "a Nets OCR giro file starting with the record NY000010");
            }
            return;
        }
        if self.ended {
            return;
        }
        self.flush();
        if let Some(a) = self.asg.take() {
            self.err(a.line, "assignment end", "end of file", "an assignment end NY090088 (the file is truncated)");
        }
        self.err(last_line, "transmission end", "end of file", "a transmission end NY000089 (the file is truncated)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn zeros(n: usize) -> String {
        "0".repeat(n)
    }

    fn tstart() -> String {
        format!("NY000010{}{}{}{}", "00008080", "0000001", "00123456", zeros(49))
    }

    fn astart(account: &str) -> String {
        format!("NY090020{}{}{account}{}", "001008566", "0000002", zeros(45))
    }

    /// Amount item 1: centre 13, day code 20, partial settlement 1, serial = n.
    fn item1(tt: &str, n: u32, date: &str, sign: char, ore: u64, kid: &str) -> String {
        format!("NY09{tt}30{n:07}{date}13201{n:05}{sign}{ore:017}{kid:>25}000000")
    }

    fn item2(tt: &str, n: u32) -> String {
        format!("NY09{tt}31{n:07}96368271940990385620000000160192{}{}", "99990512341", zeros(22))
    }

    fn item3(tt: &str, n: u32, text: &str) -> String {
        format!("NY09{tt}32{n:07}{text:<40}{}", zeros(25))
    }

    fn aend(txs: u32, recs: u32, total: u64, date: &str) -> String {
        format!("NY090088{txs:08}{recs:08}{total:017}{date}{date}{date}{}", zeros(21))
    }

    fn tend(txs: u32, recs: u32, total: u64, date: &str) -> String {
        format!("NY000089{txs:08}{recs:08}{total:017}{date}{}", zeros(33))
    }

    fn file(recs: &[String]) -> String {
        for r in recs {
            assert_eq!(r.chars().count(), 80, "{r}");
        }
        recs.iter().map(|r| format!("{r}\n")).collect()
    }

    const ACCT: &str = "12345678903";

    /// Two transactions: a KID payment and a text payment with item 3.
    fn sample() -> Vec<String> {
        vec![
            tstart(),
            astart(ACCT),
            item1("10", 1, "150324", '0', 125_050, "1000000074"),
            item2("10", 1),
            item1("21", 2, "150324", '0', 89_950, ""),
            item2("21", 2),
            item3("21", 2, "Faktura 4711 Åse"),
            aend(2, 7, 215_000, "150324"),
            tend(2, 9, 215_000, "150324"),
        ]
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn reads_two_transactions_field_by_field() {
        let f = parse(file(&sample()).as_bytes()).unwrap();
        assert_eq!(f.format, "nets_ocr");
        assert_eq!(f.skipped_not_booked, 0);
        assert_eq!(
            f.statements,
            vec![Statement {
                account: ACCT.into(),
                currency: Some(Currency::NOK),
                opening: None,
                closing: None,
                entries: 2
            }]
        );
        let t = &f.transactions;
        assert_eq!(t.len(), 2);

        assert_eq!(t[0].source, Source { file: String::new(), line: 3 });
        assert_eq!(t[0].account, ACCT);
        assert_eq!(t[0].bank_ref, "1503241320100001");
        assert_eq!(t[0].booking_date, d(2024, 3, 15));
        assert_eq!(t[0].amount, Money::new(dec!(1250.50), Currency::NOK));
        assert_eq!(t[0].direction, Direction::Credit);
        assert!(!t[0].reversal);
        assert_eq!(t[0].structured_ref, "1000000074");
        assert_eq!(t[0].unstructured, "");
        assert_eq!(t[0].payer, "");
        assert_eq!(t[0].key, format!("{ACCT}|1503241320100001|2024-03-15|credit|1250.50"));

        assert_eq!(t[1].source.line, 5);
        assert_eq!(t[1].bank_ref, "1503241320100002");
        assert_eq!(t[1].amount, Money::new(dec!(899.50), Currency::NOK));
        assert_eq!(t[1].structured_ref, "");
        assert_eq!(t[1].unstructured, "Faktura 4711 Åse");
        assert_eq!(t[1].key, format!("{ACCT}|1503241320100002|2024-03-15|credit|899.50"));

        for x in t {
            assert_eq!(x.payment_id, payment_id(&x.key));
            assert_eq!(x.payment_id.len(), 17);
        }
        // Same bytes, same ids.
        assert_eq!(parse(file(&sample()).as_bytes()).unwrap(), f);
    }

    #[test]
    fn crlf_bom_latin1_and_blank_lines_are_read() {
        let text = format!("\u{feff}{}\r\n\r\n", sample().join("\r\n"));
        let f = parse(text.as_bytes()).unwrap();
        assert_eq!(f.transactions[1].unstructured, "Faktura 4711 Åse");
        // ISO 8859-1: Å is one byte 0xC5.
        let latin1: Vec<u8> = file(&sample()).chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
        let f = parse(&latin1).unwrap();
        assert_eq!(f.transactions[1].unstructured, "Faktura 4711 Åse");
    }

    #[test]
    fn minus_sign_is_a_debit_and_totals_are_net() {
        let recs = vec![
            tstart(),
            astart(ACCT),
            item1("10", 1, "010170", '0', 10_000, "18-"),
            item2("10", 1),
            item1("18", 2, "311269", '-', 2_500, "18-"),
            item2("18", 2),
            aend(2, 6, 7_500, "010170"),
            tend(2, 8, 7_500, "010170"),
        ];
        let f = parse(file(&recs).as_bytes()).unwrap();
        let t = &f.transactions;
        assert_eq!(t[0].booking_date, d(1970, 1, 1));
        assert_eq!(t[0].structured_ref, "18-");
        assert_eq!((t[0].direction, t[0].reversal), (Direction::Credit, false));
        assert_eq!(t[1].booking_date, d(2069, 12, 31));
        assert_eq!((t[1].direction, t[1].reversal), (Direction::Debit, true));
        assert_eq!(t[1].amount.amount(), dec!(25.00));
        assert!(t[1].key.ends_with("|2069-12-31|debit|25.00"));
    }

    #[test]
    fn repeated_bank_refs_get_positions() {
        // Crafted files (the corpus ones) repeat the Nets id; keys stay unique.
        let recs = vec![
            tstart(),
            astart(ACCT),
            item1("10", 1, "150324", '0', 100, "1"),
            item2("10", 1),
            item1("10", 1, "150324", '0', 100, "2"),
            item2("10", 1),
            aend(2, 6, 200, "150324"),
            tend(2, 8, 200, "150324"),
        ];
        let f = parse(file(&recs).as_bytes()).unwrap();
        assert_eq!(f.transactions[0].key, format!("{ACCT}|1503241320100001|2024-03-15|credit|1.00"));
        assert_eq!(f.transactions[1].key, format!("{ACCT}|1503241320100001|2024-03-15|credit|1.00|1"));
        // Out of order, three times.
        let recs = vec![
            tstart(),
            astart(ACCT),
            item1("10", 2, "150324", '0', 100, "1"),
            item2("10", 2),
            item1("10", 1, "150324", '0', 100, "1"),
            item2("10", 1),
            item1("10", 2, "150324", '0', 100, "2"),
            item2("10", 2),
            item1("10", 2, "150324", '0', 100, "3"),
            item2("10", 2),
            aend(4, 10, 400, "150324"),
            tend(4, 12, 400, "150324"),
        ];
        let f = parse(file(&recs).as_bytes()).unwrap();
        let keys: Vec<&str> = f.transactions.iter().map(|t| t.key.as_str()).collect();
        let k2 = format!("{ACCT}|1503241320100002|2024-03-15|credit|1.00");
        let k1 = format!("{ACCT}|1503241320100001|2024-03-15|credit|1.00");
        assert_eq!(keys, [k2.clone(), k1, format!("{k2}|1"), format!("{k2}|2")]);
        for t in &f.transactions {
            assert_eq!(t.payment_id, payment_id(&t.key));
        }
    }

    #[test]
    fn control_total_mismatches_name_the_end_records() {
        let mut recs = sample();
        recs[7] = aend(3, 8, 215_001, "150324");
        recs[8] = tend(2, 9, 0, "150324");
        let errs = parse(file(&recs).as_bytes()).unwrap_err();
        let got: Vec<(u32, &str, &str)> = errs.iter().map(|e| (e.line, e.field.as_str(), e.value.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (8, "assignment end number of transactions", "00000003"),
                (8, "assignment end number of records", "00000008"),
                (8, "assignment end total amount", "00000000000215001"),
                (9, "transmission end total amount", "00000000000000000"),
            ]
        );
        assert!(errs[0].expected.starts_with("2 (amount items 1"), "{}", errs[0].expected);
        assert!(errs[1].expected.starts_with("7 (records"), "{}", errs[1].expected);
        assert!(errs[2].expected.starts_with("215000 (øre = NOK 2150.00"), "{}", errs[2].expected);
        assert!(errs.iter().all(|e| e.file.is_empty()));
    }

    #[test]
    fn bad_values_are_all_reported_with_line_and_field() {
        let mut recs = sample();
        recs[2] = recs[2].replace("00000000000125050", "0000000000012505O");
        recs[4] = item1("21", 2, "300224", '+', 89_950, "12A");
        let errs = parse(file(&recs).as_bytes()).unwrap_err();
        let got: Vec<(u32, &str, &str)> = errs.iter().map(|e| (e.line, e.field.as_str(), e.value.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "amount item 1 amount", "0000000000012505O"),
                (5, "amount item 1 nets date", "300224"),
                (5, "amount item 1 sign", "+"),
                (5, "amount item 1 KID", "                      12A"),
                // The unreadable amount is missing from the sum.
                (8, "assignment end total amount", "00000000000215000"),
                (9, "transmission end total amount", "00000000000215000"),
            ]
        );
        assert!(errs[0].expected.contains("øre"));
    }

    #[test]
    fn structure_errors() {
        // Item 2 missing.
        let mut recs = sample();
        recs.remove(3);
        let errs = parse(file(&recs).as_bytes()).unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (3, "amount item 2"));
        // Item 2 of another transaction.
        let mut recs = sample();
        recs[3] = item2("10", 7);
        let errs = parse(file(&recs).as_bytes()).unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (4, "amount item 2 transaction number"));
        // Short record.
        let mut recs = sample();
        recs[3].pop();
        let errs = parse(recs.join("\n").as_bytes()).unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (4, "record"));
        // Unknown record type, record after the end.
        let mut recs = sample();
        recs.insert(3, format!("NY091033{}", zeros(72)));
        recs.push(tstart());
        let errs = parse(recs.join("\n").as_bytes()).unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (4, "record type"));
        assert_eq!(errs.last().map(|e| (e.line, e.field.as_str())), Some((11, "record")));
        // Not a Nets file.
        for doc in ["", "\n\n", "hello", "NY000011"] {
            let errs = parse(doc.as_bytes()).unwrap_err();
            assert_eq!(errs[0].field, "transmission start", "{doc:?}");
        }
    }

    #[test]
    fn avtalegiro_files_are_refused_with_one_error() {
        let recs = [tstart(), format!("NY212420{}000000299991042764{}", zeros(9), zeros(45))];
        let errs = parse(file(&recs).as_bytes()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].field.as_str(), errs[0].value.as_str()), (2, "service code", "NY212420"));
        assert!(errs[0].expected.contains("Nets AvtaleGiro agreements"), "{}", errs[0].expected);
        assert!(errs[0].expected.contains("is not an OCR giro incoming-payment file"));
    }

    #[test]
    fn sniff_recognises_nets_only() {
        assert!(sniff(file(&sample()).as_bytes()));
        assert!(sniff(b"\xEF\xBB\xBFNY000010"));
        assert!(!sniff(b"NY090020"));
        assert!(!sniff(b""));
        assert!(!sniff(b"<Document"));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let text = file(&sample());
        let bytes = text.as_bytes();
        // Without its final newline the file is still whole.
        for i in 0..bytes.len() - 1 {
            assert!(parse(&bytes[..i]).is_err(), "prefix of {i} bytes parsed");
        }
    }

    proptest! {
        #[test]
        fn base_key_is_the_formatted_key(
            day in 0u32..36525, ore in 0u64..100_000_000_000_000_000, debit in any::<bool>(),
        ) {
            let date = d(1970, 1, 1) + chrono::Days::new(u64::from(day));
            let (dir, name) = if debit { (Direction::Debit, "debit") } else { (Direction::Credit, "credit") };
            let amount = canonical(Decimal::new(i64::try_from(ore).unwrap_or_default(), 2));
            prop_assert_eq!(
                base_key(ACCT, "1503241320100001", &date_text(date), dir, ore),
                format!("{ACCT}|1503241320100001|{date}|{name}|{amount}")
            );
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = parse(&bytes);
            let _ = sniff(&bytes);
        }

        #[test]
        fn mutated_files_never_panic(pos in 0usize..4000, byte in any::<u8>(), cut in 0usize..4000) {
            let mut bytes = file(&sample()).into_bytes();
            let p = pos % bytes.len();
            bytes[p] = byte;
            bytes.truncate(bytes.len() - cut % bytes.len());
            let _ = parse(&bytes);
        }

        #[test]
        fn arbitrary_records_never_panic(recs in proptest::collection::vec("NY[0-9]{2}[0-9 ]{4}[ -~é]{72}", 0..12)) {
            let mut all = vec![tstart()];
            all.extend(recs);
            let _ = parse(all.join("\n").as_bytes());
        }
    }
}
