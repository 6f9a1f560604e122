//! SWIFT MT940 (customer statement message) reader.
//!
//! Rules:
//! - Input is UTF-8 (with or without BOM) or, when it is not valid UTF-8,
//!   ISO-8859-1 (every byte one character). LF or CRLF. Line numbers are
//!   1-based lines of the input.
//! - Lines before the first `:20:` are skipped (free-text preambles, the
//!   Rabobank `:940:` line, ABN AMRO's `ABNANL2A` / `940` header lines).
//!   SWIFT envelope blocks `{1:..}{2:..}{3:..}` and the `{4:` opener are
//!   stripped from the start of a line; a line `-` or starting with `-}`
//!   ends a statement, and lines after it are skipped up to the next
//!   `:20:`. Blank lines are ignored everywhere. A new `:20:` also starts a
//!   new statement.
//! - A tag line is `:NN:` or `:NNa:`; any other line inside a statement
//!   continues the previous tag. Unknown tags (`:21:`, `:13D:`, ...) are
//!   ignored with their continuation lines; so are `:20:`'s value, `:28:` /
//!   `:28C:`, `:64:` and `:65:`.
//! - Each `:20:` block is a `Statement`: account the `:25:` value trimmed,
//!   opening balance `:60F:` or `:60M:`, closing `:62F:` or `:62M:` (mark
//!   `C`/`D`, date `YYMMDD`, currency, amount; signed, `D` negative),
//!   currency the opening balance's. All four are required.
//! - One `BankTransaction` per `:61:` line:
//!   value date `YYMMDD` (years 80-99 are 19xx, others 20xx), optional entry
//!   date `MMDD`, mark `C`, `D`, `RC` or `RD`, optional funds-code letter,
//!   amount, transaction type (`N`/`F`/`S` + 3 characters), customer
//!   reference (at most 16 characters, up to `//`), bank reference after
//!   `//` (at most 16 characters). Text beyond those 16 characters on the
//!   same line (Rabobank puts the counterparty name there) and the optional
//!   supplementary-details line are not used.
//!   - Direction: `C` credit, `D` debit; `RC` (reversal of a credit) is a
//!     debit and `RD` (reversal of a debit) a credit, both with
//!     `reversal = true`.
//!   - Booking date: the entry date, with the year of the value date moved
//!     by one where that brings it closer (an entry date `1231` for a value
//!     date `240102` is 2023-12-31); else the value date.
//!   - Bank reference: the reference after `//` if non-empty, else the
//!     customer reference unless it is `NONREF`.
//! - `:86:` lines (and their continuation lines, and further `:86:` tags)
//!   after a `:61:` and before the next `:61:` or the closing balance belong
//!   to that transaction; `:86:` elsewhere (Danske's account information
//!   after `:60F:`) is statement information and not used.
//!   - Free text: `unstructured` is every line trimmed, empty ones dropped,
//!     joined by one space.
//!   - German structured text (three-digit business code followed by `?`):
//!     the lines are concatenated as they are (the bank wraps at 65
//!     characters, mid-word) and split into `?NN` subfields. `unstructured`
//!     is the purpose subfields `?20`..`?29` and `?60`..`?63` concatenated,
//!     then a space and the name `?32` + `?33` when there is one; runs of
//!     whitespace become one space. `payer` is that name. The posting text
//!     `?00`, `?10`, the counterparty's bank and account `?30`/`?31`, `?34`
//!     and non-standard subfields (`?70`...) are not used.
//!   - `structured_ref`: the first ISO 11649 creditor reference (`RF` + two
//!     check digits + up to 21 letters or digits, groups may be separated by
//!     single spaces, not preceded by a letter or digit, mod-97 check
//!     passing) in that text, else the value of `EREF+` (up to the next SEPA
//!     keyword like `SVWZ+`) unless it is `NOTPROVIDED`; whitespace removed.
//!     Else empty. `payer` is empty for free text.
//! - Control: per statement, opening + credits - debits must equal the
//!   closing balance, and the closing balance must be in the opening's
//!   currency; otherwise an error on the closing-balance line names the
//!   expected and found balance, and the file is refused.
//! - Amounts have a decimal comma (mandatory; `15000,` is 15000), at most
//!   five decimals, no sign; read with `rust_decimal` only. Every bad value
//!   is an `Error` naming line, field (e.g. `:61: amount`), value and
//!   expectation; all are collected and the file is refused if there is any.
//! - Idempotency key and `payment_id` as in the camt reader: with a bank
//!   reference `{account}|{bank_ref}|{booking_date}|{direction}|{amount}`
//!   (`|{n}` appended from the second occurrence inside one file), otherwise
//!   `{account}|{booking_date}|{direction}|{amount}|{structured_ref}|{unstructured}|{n}`;
//!   `payment_id` is `P` + the first 16 hex digits of SHA-256 of the key.
//!   `BankFile::format` is `mt940`; `skipped_not_booked` is always 0.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::{canonical, payment_id, BankFile, Statement};
use crate::ingest::Error;
use crate::model::{BankTransaction, Currency, Direction, Money, Source};

/// True if the bytes look like MT940: within the first 8 KiB a line starting
/// with `:20:`, followed later by a `:25:` line and a `:61:`, `:60F:` or
/// `:60M:` line (after an optional preamble, SWIFT envelope or `:940:` line).
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let text = decode(head);
    let mut stage = 0;
    for raw in text.split('\n') {
        let line = strip_envelope(raw.trim_end_matches('\r'));
        stage = match stage {
            0 if line.starts_with(":20:") => 1,
            1 if line.starts_with(":25:") => 2,
            2 if line.starts_with(":61:") || line.starts_with(":60F:") || line.starts_with(":60M:") => {
                return true;
            }
            s => s,
        };
    }
    false
}

/// Parses an MT940 file. Errors carry 1-based line numbers, the field
/// (e.g. `:61: amount`), the value and what was expected, but no file name
/// (the caller adds it with `Error::with_file`).
pub fn parse(bytes: &[u8]) -> Result<BankFile, Vec<Error>> {
    let text = decode(bytes);
    let mut p = Parser::default();
    p.run(&text);
    if p.errors.is_empty() {
        Ok(BankFile {
            format: "mt940".to_string(),
            statements: p.statements,
            transactions: p.transactions,
            skipped_not_booked: 0,
        })
    } else {
        Err(p.errors)
    }
}

/// UTF-8 (BOM dropped) if valid, else ISO-8859-1.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Drops leading `{1:..}{2:..}{3:{..}}` blocks and a `{4:` opener.
fn strip_envelope(line: &str) -> &str {
    let mut rest = line;
    loop {
        if let Some(r) = rest.strip_prefix("{4:") {
            return r;
        }
        if !rest.starts_with('{') {
            return rest;
        }
        let mut depth = 0usize;
        let mut end = None;
        for (i, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(e) => rest = rest.get(e..).unwrap_or(""),
            None => return "",
        }
    }
}

/// `:NN:` or `:NNa:` at the start of the line: (tag, value).
fn split_tag(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.first() != Some(&b':') || b.len() < 4 || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return None;
    }
    let end = if b[3] == b':' {
        3
    } else if b[3].is_ascii_uppercase() && b.get(4) == Some(&b':') {
        4
    } else {
        return None;
    };
    Some((line.get(1..end)?, line.get(end + 1..)?))
}

/// A `:60F:`/`:62F:`-style balance.
#[derive(Clone, Copy)]
struct Balance {
    line: u32,
    signed: Decimal,
    currency: Currency,
}

struct Entry {
    line: u32,
    booking_date: NaiveDate,
    amount: Decimal,
    direction: Direction,
    reversal: bool,
    bank_ref: String,
    /// `:86:` lines (tag value or continuation), as read.
    info: Vec<String>,
}

#[derive(Default)]
struct StmtB {
    line: u32,
    account: Option<String>,
    opening: Option<Balance>,
    closing: Option<(Balance, String)>,
    entries: Vec<Entry>,
    had_error: bool,
}

/// What continuation lines (lines without a tag) belong to.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Cont {
    /// Ignored (statement-level text, the :61: supplementary details).
    #[default]
    None,
    /// The last entry's `:86:` text.
    Info,
}

#[derive(Default)]
struct Parser {
    stmt: Option<StmtB>,
    /// The last tag was a `:61:` or an `:86:` after one: a further `:86:`
    /// belongs to that entry.
    entry_open: bool,
    cont: Cont,
    statements: Vec<Statement>,
    transactions: Vec<BankTransaction>,
    errors: Vec<Error>,
    key_counts: HashMap<String, usize>,
    seen_20: bool,
}

impl Parser {
    fn err(&mut self, line: u32, field: &str, value: &str, expected: &str) {
        if let Some(s) = self.stmt.as_mut() {
            s.had_error = true;
        }
        self.errors.push(Error::new(line, field, value, expected));
    }

    fn run(&mut self, text: &str) {
        for (i, raw) in text.split('\n').enumerate() {
            let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let line = strip_envelope(raw.trim_end_matches('\r'));
            if line.trim().is_empty() {
                continue;
            }
            if line.trim() == "-" || line.starts_with("-}") {
                self.finish();
                continue;
            }
            match split_tag(line) {
                Some((tag, value)) => self.tag(tag, value, line_no),
                None => self.continuation(line),
            }
        }
        self.finish();
        if !self.seen_20 {
            self.errors.push(Error::new(1, ":20:", "", "an MT940 statement starting with a :20: line"));
        }
    }

    fn continuation(&mut self, line: &str) {
        if self.cont == Cont::Info {
            if let Some(e) = self.stmt.as_mut().and_then(|s| s.entries.last_mut()) {
                e.info.push(line.to_string());
            }
        }
    }

    fn tag(&mut self, tag: &str, value: &str, line: u32) {
        if tag == "20" {
            self.finish();
            self.seen_20 = true;
            self.stmt = Some(StmtB { line, ..StmtB::default() });
            return;
        }
        if self.stmt.is_none() {
            return; // preamble (`:940:`) or text after a `-` terminator
        }
        let cont = match tag {
            "25" => {
                let acct = value.trim();
                if acct.is_empty() {
                    self.err(line, ":25: account", value, "an account identification");
                } else if let Some(s) = self.stmt.as_mut() {
                    s.account.get_or_insert_with(|| acct.to_string());
                }
                Cont::None
            }
            "60F" | "60M" => {
                let b = self.balance(tag, value, line);
                if let (Some(b), Some(s)) = (b, self.stmt.as_mut()) {
                    s.opening.get_or_insert(b);
                }
                Cont::None
            }
            "62F" | "62M" => {
                let b = self.balance(tag, value, line);
                if let (Some(b), Some(s)) = (b, self.stmt.as_mut()) {
                    s.closing.get_or_insert((b, tag.to_string()));
                }
                Cont::None
            }
            "61" => {
                let e = self.entry(value, line);
                self.entry_open = e.is_some();
                if let (Some(e), Some(s)) = (e, self.stmt.as_mut()) {
                    s.entries.push(e);
                }
                self.cont = Cont::None;
                return;
            }
            "86" => {
                if self.entry_open {
                    if let Some(e) = self.stmt.as_mut().and_then(|s| s.entries.last_mut()) {
                        e.info.push(value.to_string());
                    }
                    Cont::Info
                } else {
                    Cont::None
                }
            }
            _ => Cont::None,
        };
        if tag != "86" {
            self.entry_open = false;
        }
        self.cont = cont;
    }

    fn balance(&mut self, tag: &str, value: &str, line: u32) -> Option<Balance> {
        let v = value.trim();
        let (mark, rest) = (v.get(..1).unwrap_or(""), v.get(1..).unwrap_or(""));
        let sign_neg = match mark {
            "C" => false,
            "D" => true,
            _ => {
                self.err(line, &format!(":{tag}: debit/credit mark"), v, "C or D");
                return None;
            }
        };
        let date = rest.get(..6).unwrap_or(rest);
        if yymmdd(date).is_none() {
            self.err(line, &format!(":{tag}: date"), date, "a date YYMMDD");
            return None;
        }
        let ccy_s = rest.get(6..9).unwrap_or("");
        let Ok(currency) = Currency::from_str(ccy_s).map_err(|_| ()).and_then(|c| {
            if ccy_s.bytes().all(|b| b.is_ascii_uppercase()) && ccy_s.len() == 3 {
                Ok(c)
            } else {
                Err(())
            }
        }) else {
            self.err(line, &format!(":{tag}: currency"), ccy_s, "an ISO 4217 currency code like SEK");
            return None;
        };
        let amt_s = rest.get(9..).unwrap_or("");
        let Some(amount) = parse_mt_amount(amt_s) else {
            self.err(line, &format!(":{tag}: amount"), amt_s, AMOUNT_EXPECTED);
            return None;
        };
        Some(Balance { line, signed: if sign_neg { -amount } else { amount }, currency })
    }

    fn entry(&mut self, value: &str, line: u32) -> Option<Entry> {
        let v = value.trim_end();
        let vd_s = v.get(..6).unwrap_or(v);
        let Some(value_date) = yymmdd(vd_s) else {
            self.err(line, ":61: value date", vd_s, "a date YYMMDD");
            return None;
        };
        let mut rest = v.get(6..).unwrap_or("");
        let mut booking_date = value_date;
        if rest.len() >= 4 && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
            let md = rest.get(..4).unwrap_or("");
            match entry_date(value_date, md) {
                Some(d) => booking_date = d,
                None => {
                    self.err(line, ":61: entry date", md, "an entry date MMDD");
                    return None;
                }
            }
            rest = rest.get(4..).unwrap_or("");
        }
        let (direction, reversal, r) = if let Some(r) = rest.strip_prefix("RC") {
            (Direction::Debit, true, r)
        } else if let Some(r) = rest.strip_prefix("RD") {
            (Direction::Credit, true, r)
        } else if let Some(r) = rest.strip_prefix('C') {
            (Direction::Credit, false, r)
        } else if let Some(r) = rest.strip_prefix('D') {
            (Direction::Debit, false, r)
        } else {
            let shown = rest.get(..2).unwrap_or(rest);
            self.err(line, ":61: debit/credit mark", shown, "C, D, RC or RD");
            return None;
        };
        rest = r;
        // Optional funds code (third letter of the currency code).
        if rest.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
            rest = rest.get(1..).unwrap_or("");
        }
        let amt_len = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b',').count();
        let amt_s = rest.get(..amt_len).unwrap_or("");
        let Some(amount) = parse_mt_amount(amt_s) else {
            let shown = if amt_s.is_empty() { rest } else { amt_s };
            self.err(line, ":61: amount", shown, AMOUNT_EXPECTED);
            return None;
        };
        rest = rest.get(amt_len..).unwrap_or("");
        let tt = rest.get(..4).unwrap_or(rest);
        let tt_ok = tt.len() == 4
            && matches!(tt.as_bytes()[0], b'N' | b'F' | b'S')
            && tt.bytes().skip(1).all(|b| b.is_ascii_alphanumeric());
        if !tt_ok {
            self.err(line, ":61: transaction type", tt, "N, F or S followed by 3 letters or digits, like NTRF");
            return None;
        }
        rest = rest.get(4..).unwrap_or("");
        let (cust, bank) = match rest.find("//") {
            Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i + 2..).unwrap_or("")),
            None => (rest, ""),
        };
        let cust: String = cust.chars().take(16).collect();
        let bank: String = bank.chars().take(16).collect();
        let (cust, bank) = (cust.trim(), bank.trim());
        let bank_ref = if !bank.is_empty() {
            bank.to_string()
        } else if cust.eq_ignore_ascii_case("NONREF") {
            String::new()
        } else {
            cust.to_string()
        };
        Some(Entry { line, booking_date, amount, direction, reversal, bank_ref, info: Vec::new() })
    }

    /// Ends the current statement: checks it and emits its transactions.
    fn finish(&mut self) {
        self.entry_open = false;
        self.cont = Cont::None;
        let Some(s) = self.stmt.take() else { return };
        let mut bad = s.had_error;
        let account = s.account.clone().unwrap_or_default();
        if s.account.is_none() {
            self.errors.push(Error::new(s.line, ":25:", "", "an account line :25: in the statement"));
            bad = true;
        }
        let Some(opening) = s.opening else {
            self.errors.push(Error::new(s.line, ":60F:", "", "an opening balance :60F: or :60M: in the statement"));
            return;
        };
        let Some((closing, ctag)) = s.closing.clone() else {
            self.errors.push(Error::new(s.line, ":62F:", "", "a closing balance :62F: or :62M: in the statement"));
            return;
        };
        if closing.currency != opening.currency {
            self.errors.push(Error::new(
                closing.line,
                &format!(":{ctag}: currency"),
                closing.currency.code(),
                format!("the opening balance's currency {}", opening.currency),
            ));
            bad = true;
        }
        if bad {
            return;
        }
        let net: Decimal = s
            .entries
            .iter()
            .map(|e| if e.direction == Direction::Credit { e.amount } else { -e.amount })
            .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap_or(a));
        let expected = opening.signed.checked_add(net);
        if expected != Some(closing.signed) {
            let exp = expected.map(fmt_balance).unwrap_or_else(|| "a representable sum".to_string());
            self.errors.push(Error::new(
                closing.line,
                &format!(":{ctag}: closing balance"),
                &fmt_balance(closing.signed),
                format!(
                    "{exp} {} (opening {} + credits - debits of {} entries)",
                    opening.currency,
                    fmt_balance(opening.signed),
                    s.entries.len()
                ),
            ));
            return;
        }
        let ccy = opening.currency;
        for e in &s.entries {
            let info = Info::from_lines(&e.info);
            let dir = match e.direction {
                Direction::Credit => "credit",
                Direction::Debit => "debit",
            };
            let amount = canonical(e.amount);
            let date = e.booking_date;
            let base = if e.bank_ref.is_empty() {
                format!("{account}|{date}|{dir}|{amount}|{}|{}", info.structured_ref, info.unstructured)
            } else {
                format!("{account}|{}|{date}|{dir}|{amount}", e.bank_ref)
            };
            let seen = self.key_counts.entry(base.clone()).or_insert(0);
            let key = if e.bank_ref.is_empty() || *seen > 0 { format!("{base}|{seen}") } else { base };
            *seen += 1;
            self.transactions.push(BankTransaction {
                payment_id: payment_id(&key),
                key,
                source: Source { file: String::new(), line: e.line },
                account: account.as_str().into(),
                bank_ref: e.bank_ref.as_str().into(),
                booking_date: date,
                amount: Money::new(e.amount, ccy),
                direction: e.direction,
                reversal: e.reversal,
                structured_ref: info.structured_ref.into(),
                unstructured: info.unstructured.into(),
                payer: info.payer.into(),
            });
        }
        self.statements.push(Statement {
            account,
            currency: Some(ccy),
            opening: Some(opening.signed),
            closing: Some(closing.signed),
            entries: s.entries.len(),
        });
    }
}

const AMOUNT_EXPECTED: &str = "digits with a decimal comma and at most 5 decimals, like 1234,50";

fn fmt_balance(d: Decimal) -> String {
    d.to_string().replace('.', ",")
}

/// An MT940 amount: digits, a mandatory `,`, 0 to 5 decimals, at most 18
/// digits; no sign.
fn parse_mt_amount(t: &str) -> Option<Decimal> {
    let (int, frac) = t.split_once(',')?;
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 5
        && int.len() + frac.len() <= 18;
    if !ok {
        return None;
    }
    let s = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
    Decimal::from_str(&s).ok()
}

/// `YYMMDD`; years 80-99 are 19xx, 00-79 20xx.
fn yymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let yy = i32::try_from(n(0..2)?).ok()?;
    let year = if yy >= 80 { 1900 + yy } else { 2000 + yy };
    NaiveDate::from_ymd_opt(year, n(2..4)?, n(4..6)?)
}

/// Entry date `MMDD` in the year (value date's, or one either side) that
/// puts it closest to the value date.
fn entry_date(value: NaiveDate, mmdd: &str) -> Option<NaiveDate> {
    let m = mmdd.get(..2)?.parse::<u32>().ok()?;
    let d = mmdd.get(2..4)?.parse::<u32>().ok()?;
    [value.year() - 1, value.year(), value.year() + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, m, d))
        .min_by_key(|c| (*c - value).num_days().abs())
}

/// What a transaction's `:86:` text gives.
#[derive(Debug, Default, PartialEq, Eq)]
struct Info {
    unstructured: String,
    structured_ref: String,
    payer: String,
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Info {
    fn from_lines(lines: &[String]) -> Info {
        let structured = lines.first().is_some_and(|l| {
            let b = l.as_bytes();
            b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b'?'
        });
        let (text, payer) = if structured {
            let raw: String = lines.concat();
            let mut purpose = String::new();
            let mut name = String::new();
            for (code, val) in subfields(&raw) {
                match code {
                    20..=29 | 60..=63 => purpose.push_str(val),
                    32 | 33 => name.push_str(val),
                    _ => {}
                }
            }
            let purpose = collapse_ws(&purpose);
            let name = collapse_ws(&name);
            let text = match (purpose.is_empty(), name.is_empty()) {
                (_, true) => purpose,
                (true, false) => name.clone(),
                (false, false) => format!("{purpose} {name}"),
            };
            (text, name)
        } else {
            let parts: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
            (parts.join(" "), String::new())
        };
        let structured_ref = rf_reference(&text).or_else(|| eref(&text)).unwrap_or_default();
        Info { unstructured: text, structured_ref, payer }
    }
}

/// `?NN` subfields of a German structured `:86:` (the business code before
/// the first `?` is skipped).
fn subfields(raw: &str) -> Vec<(u8, &str)> {
    let b = raw.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'?' && b[i + 1].is_ascii_digit() && b[i + 2].is_ascii_digit() {
            starts.push(i);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(b.len());
        let code = (b[s + 1] - b'0') * 10 + (b[s + 2] - b'0');
        if let Some(v) = raw.get(s + 3..end) {
            out.push((code, v));
        }
    }
    out
}

const SEPA_KEYWORDS: [&str; 14] = [
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "IBAN+", "BIC+", "COAM+", "OAMT+", "SQTP+",
    "PURP+",
];

/// The `EREF+` value up to the next SEPA keyword, whitespace removed.
fn eref(text: &str) -> Option<String> {
    let start = text.find("EREF+")? + 5;
    let rest = text.get(start..)?;
    let end = SEPA_KEYWORDS.iter().filter_map(|k| rest.find(k)).min().unwrap_or(rest.len());
    let v: String = rest.get(..end)?.chars().filter(|c| !c.is_whitespace()).collect();
    if v.is_empty() || v.eq_ignore_ascii_case("NOTPROVIDED") {
        None
    } else {
        Some(v)
    }
}

/// The first valid ISO 11649 reference in the text, spaces removed.
fn rf_reference(text: &str) -> Option<String> {
    let b = text.as_bytes();
    for i in 0..b.len() {
        if b.get(i..i + 4)
            .is_none_or(|w| !(w[0] == b'R' && w[1] == b'F' && w[2].is_ascii_digit() && w[3].is_ascii_digit()))
        {
            continue;
        }
        if i > 0 && b[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        // Collect the body, allowing single spaces between groups; remember
        // every end that is followed by a non-alphanumeric byte.
        let mut body = String::from_utf8_lossy(&b[i..i + 4]).into_owned();
        let mut best = None;
        let mut j = i + 4;
        loop {
            let run_start = j;
            while j < b.len() && (b[j].is_ascii_digit() || b[j].is_ascii_uppercase()) && body.len() < 25 {
                body.push(char::from(b[j]));
                j += 1;
            }
            let at_boundary = j >= b.len() || !b[j].is_ascii_alphanumeric();
            if j > run_start && at_boundary && body.len() > 4 && rf_valid(&body) {
                best = Some(body.clone());
            }
            if !at_boundary || j + 1 >= b.len() || b[j] != b' ' || !b[j + 1].is_ascii_alphanumeric() {
                break;
            }
            j += 1;
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// ISO 11649 check: move `RFnn` to the end, letters to 10..35, mod 97 = 1.
fn rf_valid(r: &str) -> bool {
    if r.len() < 5 || r.len() > 25 {
        return false;
    }
    let (head, body) = r.split_at(4);
    let mut rem: u32 = 0;
    for c in body.chars().chain(head.chars()) {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Opening 1000,00 + 250,50 - 75,25 + 40,00 (RD) - 10,00 (RC) = 1205,25.
    const STMT: &str = "Preamble text from the bank\r\n\
{1:F01DABADKKKAXXX0000000000}{2:O9400000000000DABADKKKXXXX00000000000000000000N}{4:\r\n\
:20:REF1\r\n\
:25: DK5030001234567890 \r\n\
:28C:00001/001\r\n\
:60F:C231229SEK1000,00\r\n\
:86:Statement information, not a transaction\r\n\
:61:2312290102CK250,50NTRFKUNDREF1//BANKREF1\r\n\
Supplementary details\r\n\
:86:Betalning faktura 4711\r\n\
RF18 5390 0754 7034 tack\r\n\
:86:Anna Andersson\r\n\
:61:2401021231D75,25NMSCNONREF\r\n\
:86:Bankavgift\r\n\
:61:240102RD40,NTRFNONREF//R2\r\n\
:61:240102RC10,00NTRFCUSTREF\r\n\
:62F:C240102SEK1205,25\r\n\
:86:Closing information\r\n\
:64:C240102SEK1205,25\r\n\
-}\r\n";

    #[test]
    fn reads_a_statement_field_by_field() {
        let f = parse(STMT.as_bytes()).unwrap();
        assert_eq!(f.format, "mt940");
        assert_eq!(f.skipped_not_booked, 0);
        assert_eq!(
            f.statements,
            vec![Statement {
                account: "DK5030001234567890".into(),
                currency: Some(Currency::SEK),
                opening: Some(dec!(1000.00)),
                closing: Some(dec!(1205.25)),
                entries: 4,
            }]
        );
        let t = &f.transactions;
        assert_eq!(t.len(), 4);
        let acct = "DK5030001234567890";

        // Credit with funds code K, entry date 0102 after value date 231229:
        // booked 2024-01-02. Two :86: tags and a continuation line, joined.
        assert_eq!(t[0].source, Source { file: String::new(), line: 8 });
        assert_eq!(t[0].account, acct);
        assert_eq!(t[0].booking_date, d(2024, 1, 2));
        assert_eq!(t[0].amount, Money::new(dec!(250.50), Currency::SEK));
        assert_eq!(t[0].direction, Direction::Credit);
        assert!(!t[0].reversal);
        assert_eq!(t[0].bank_ref, "BANKREF1");
        assert_eq!(t[0].unstructured, "Betalning faktura 4711 RF18 5390 0754 7034 tack Anna Andersson");
        assert_eq!(t[0].structured_ref, "RF18539007547034");
        assert_eq!(t[0].payer, "");
        assert_eq!(t[0].key, format!("{acct}|BANKREF1|2024-01-02|credit|250.50"));

        // Debit, value date 240102, entry date 1231 -> 2023-12-31; NONREF.
        assert_eq!(t[1].source.line, 13);
        assert_eq!(t[1].booking_date, d(2023, 12, 31));
        assert_eq!(t[1].direction, Direction::Debit);
        assert_eq!(t[1].bank_ref, "");
        assert_eq!(t[1].unstructured, "Bankavgift");
        assert_eq!(t[1].key, format!("{acct}|2023-12-31|debit|75.25||Bankavgift|0"));

        // RD: reversal of a debit is a credit; "40," is 40.
        assert_eq!((t[2].direction, t[2].reversal), (Direction::Credit, true));
        assert_eq!(t[2].amount.amount(), dec!(40));
        assert_eq!(t[2].bank_ref, "R2");
        assert_eq!(t[2].booking_date, d(2024, 1, 2));
        assert_eq!(t[2].key, format!("{acct}|R2|2024-01-02|credit|40.00"));
        // RC: reversal of a credit is a debit; customer reference as bank ref.
        assert_eq!((t[3].direction, t[3].reversal), (Direction::Debit, true));
        assert_eq!(t[3].bank_ref, "CUSTREF");
        assert_eq!(t[3].unstructured, "", "the :86: after :62F: is not the entry's");

        for x in t {
            assert_eq!(x.payment_id, payment_id(&x.key));
        }
        assert!(sniff(STMT.as_bytes()));
    }

    #[test]
    fn lf_latin1_and_german_subfields() {
        let doc = b":20:X\n:25:50880050/0194787400888\n:60F:C070903EUR0,\n\
:61:0709070904CR50990,05NTRFNONREF//0724710333343453\n\
:86:166?00GUTSCHRIFT?100399?20EREF+EndToEndId TFNR 22 004?21 00001?22\n\
SVWZ+Verw CTSc-01 BC-PPP TF?23Nr 22 004?30DRESDEFF508?31DE1450880\n\
0500194785000?32KARL?33        M\xdcLLER?70Empfaenger Marta Metzge\n\
r\n:62F:C070904EUR50990,05\n-\n";
        let f = parse(doc).unwrap();
        let t = &f.transactions[0];
        assert_eq!(t.amount, Money::new(dec!(50990.05), Currency::EUR));
        assert_eq!(t.bank_ref, "0724710333343453");
        assert_eq!(t.booking_date, d(2007, 9, 4));
        assert_eq!(t.payer, "KARL MÜLLER");
        assert_eq!(t.unstructured, "EREF+EndToEndId TFNR 22 004 00001SVWZ+Verw CTSc-01 BC-PPP TFNr 22 004 KARL MÜLLER");
        assert_eq!(t.structured_ref, "EndToEndIdTFNR2200400001");
        assert_eq!(f.statements[0].opening, Some(dec!(0)));
    }

    #[test]
    fn bad_values_are_reported_with_line_and_field() {
        let doc = ":20:X\n:25:A\n:60F:C240101SEK100,00\n:61:240102C12.50NTRF\n:61:240102X1,00NTRF\n\
:61:241302C1,00NTRF\n:61:240102C1,00XTRF\n:62F:C240102SEK100,00\n";
        let errs = parse(doc.as_bytes()).unwrap_err();
        let got: Vec<(u32, &str, &str)> = errs.iter().map(|e| (e.line, e.field.as_str(), e.value.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (4, ":61: amount", "12"),
                (5, ":61: debit/credit mark", "X1"),
                (6, ":61: value date", "241302"),
                (7, ":61: transaction type", "XTRF"),
            ]
        );
        assert!(errs[0].expected.contains("comma"));
        assert!(errs.iter().all(|e| e.file.is_empty()));
        let errs = parse(b":20:X\n:25:A\n:60F:C240101SEK1.000,00\n:62F:C2401SEK1\n").unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (3, ":60F: amount"));
        assert_eq!((errs[1].line, errs[1].field.as_str()), (4, ":62F: date"));
    }

    #[test]
    fn balance_mismatch_rejects_the_file() {
        let doc = ":20:X\n:25:A\n:60F:D240101SEK100,00\n:61:240102C30,00NTRF\n:62F:D240102SEK60,00\n";
        let errs = parse(doc.as_bytes()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            (errs[0].line, errs[0].field.as_str(), errs[0].value.as_str()),
            (5, ":62F: closing balance", "-60,00")
        );
        assert!(errs[0].expected.starts_with("-70,00 SEK"), "{}", errs[0].expected);
        // Closing in another currency.
        let errs = parse(b":20:X\n:25:A\n:60F:C240101SEK0,\n:62F:C240102EUR0,\n").unwrap_err();
        assert_eq!(errs[0].field, ":62F: currency");
        // Missing parts of a statement.
        assert_eq!(parse(b":20:X\n:25:A\n:60F:C240101SEK0,\n").unwrap_err()[0].field, ":62F:");
        assert_eq!(parse(b":20:X\n:25:A\n:62F:C240101SEK0,\n").unwrap_err()[0].field, ":60F:");
        assert_eq!(parse(b":20:X\n:60F:C240101SEK0,\n:62F:C240101SEK0,\n").unwrap_err()[0].field, ":25:");
        assert_eq!(parse(b"").unwrap_err()[0].field, ":20:");
        assert_eq!(parse(b"hello\n:940:\n").unwrap_err()[0].field, ":20:");
    }

    #[test]
    fn multiple_statements_blank_lines_and_duplicate_keys() {
        let doc = ":940:\n:20:A\n:25:ACC\n:28:00000/00\n:60F:C240101EUR0,\n\
:61:240102C5,NTRFNONREF\n:86:same\n\n:61:240102C5,NTRFNONREF\n:86:same\n:62F:C240102EUR10,\n\n\
:20:B\n:25:ACC\n:60M:C240102EUR10,\n:61:240103D5,NTRFREF1\n:61:240103D5,NTRFREF1\n:62M:C240103EUR0,\n";
        let f = parse(doc.as_bytes()).unwrap();
        assert_eq!(f.statements.len(), 2);
        let keys: Vec<&str> = f.transactions.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "ACC|2024-01-02|credit|5.00||same|0",
                "ACC|2024-01-02|credit|5.00||same|1",
                "ACC|REF1|2024-01-03|debit|5.00",
                "ACC|REF1|2024-01-03|debit|5.00|1",
            ]
        );
        assert_eq!(parse(doc.as_bytes()).unwrap(), f, "same bytes, same result");
        assert!(sniff(doc.as_bytes()));
    }

    #[test]
    fn helpers() {
        assert_eq!(parse_mt_amount("000000000473,17"), Some(dec!(473.17)));
        assert_eq!(parse_mt_amount("15000,"), Some(dec!(15000)));
        for bad in ["", ",5", "1.00", "1,2,3", "-1,00", "1,123456", "1 000,00", "1234567890123456789,"] {
            assert_eq!(parse_mt_amount(bad), None, "{bad:?}");
        }
        assert_eq!(yymmdd("991231"), Some(d(1999, 12, 31)));
        assert_eq!(yymmdd("240229"), Some(d(2024, 2, 29)));
        assert_eq!(yymmdd("230229"), None);
        assert_eq!(entry_date(d(2023, 12, 30), "0102"), Some(d(2024, 1, 2)));
        assert_eq!(entry_date(d(2024, 1, 2), "1230"), Some(d(2023, 12, 30)));
        assert_eq!(entry_date(d(2024, 1, 2), "1332"), None);
        assert!(rf_valid("RF18539007547034"));
        assert!(!rf_valid("RF19539007547034"));
        assert_eq!(rf_reference("ref RF18 5390 0754 7034, thanks"), Some("RF18539007547034".into()));
        assert_eq!(rf_reference("XRF18539007547034"), None);
        assert_eq!(rf_reference("RF19539007547034"), None);
        assert_eq!(eref("EREF+NOTPROVIDED SVWZ+x"), None);
        assert_eq!(eref("EREF+ABC 1KREF+x"), Some("ABC1".into()));
        assert_eq!(strip_envelope("{1:F01X}{2:O940}{3:{108:A}}{4::20:X"), ":20:X");
        assert!(!sniff(b":20:X\n:61:\n"));
        assert!(!sniff(b"<Document/>"));
    }

    #[test]
    fn every_truncation_is_handled() {
        let bytes = STMT.as_bytes();
        for i in 0..bytes.len() {
            let _ = parse(&bytes[..i]);
        }
        // Cut before the closing balance: refused.
        let cut = STMT.find(":62F:").unwrap();
        assert!(parse(&bytes[..cut]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = parse(&bytes);
            let _ = sniff(&bytes);
        }

        #[test]
        fn tag_soup_never_panics(lines in proptest::collection::vec(
            (prop::sample::select(vec![":20:", ":25:", ":60F:", ":61:", ":86:", ":62F:", "-", "", "?2", "{4:", "RF1"]),
             "[0-9A-Z,/?{} ]{0,30}"), 0..40)) {
            let doc: String = lines.iter().map(|(t, v)| format!("{t}{v}\n")).collect();
            let _ = parse(doc.as_bytes());
            let _ = sniff(doc.as_bytes());
        }

        #[test]
        fn mutated_statements_never_panic(pos in 0usize..4000, byte in any::<u8>(), cut in 0usize..4000) {
            let mut bytes = STMT.as_bytes().to_vec();
            let p = pos % bytes.len();
            bytes[p] = byte;
            bytes.truncate(bytes.len() - cut % bytes.len());
            let _ = parse(&bytes);
        }
    }
}
