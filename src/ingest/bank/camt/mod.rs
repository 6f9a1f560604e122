//! ISO 20022 camt.052 (account report), camt.053 (statement) and camt.054
//! (debit/credit notification) reader, versions 001.02 to 001.08.
//!
//! Rules:
//! - The version is the root `Document`'s namespace
//!   `urn:iso:std:iso:20022:tech:xsd:camt.05X.001.NN` (X in 2, 3, 4; NN in 02..08);
//!   `BankFile::format` is `camt.05X.001.NN`. Elements are matched on their
//!   local names (prefixes are ignored) and on their path relative to the
//!   enclosing `Stmt`/`Ntfctn`/`Rpt`, `Ntry` or `TxDtls`; the order of
//!   siblings does not matter (real files break the schema order).
//! - Input is UTF-8, with or without BOM, LF or CRLF (or ISO-8859-1 or
//!   Windows-1252 when the XML declaration names it). A `DOCTYPE` (and so any
//!   entity declaration) is refused; only the five predefined entities and
//!   character references are resolved.
//! - Each `Stmt`/`Ntfctn`/`Rpt` is a `Statement`: account `Acct/Id/IBAN` or
//!   `Acct/Id/Othr/Id`, currency `Acct/Ccy`, opening balance the `Bal` typed
//!   `OPBD` (else `PRCD`), closing `CLBD`, signed by the balance's `CdtDbtInd`
//!   (`DBIT` negative).
//! - One `BankTransaction` per `Ntry/NtryDtls/TxDtls`; an `Ntry` without
//!   `TxDtls` is one transaction itself. Amount: `TxDtls/AmtDtls/TxAmt/Amt`,
//!   else `TxDtls/Amt` (v08), else `Ntry/Amt`; the currency is the amount's
//!   `Ccy` attribute (falling back to `Acct/Ccy`). Direction: `TxDtls/CdtDbtInd`,
//!   else `Ntry/CdtDbtInd`. Booking date: `BookgDt/Dt`, the date part of
//!   `BookgDt/DtTm`, else `ValDt`. Bank reference: `TxDtls/Refs/AcctSvcrRef`,
//!   else `Ntry/AcctSvcrRef`. Structured reference: the first
//!   `RmtInf/Strd/CdtrRefInf/Ref`, whitespace removed. Unstructured text: the
//!   `RmtInf/Ustrd` lines, each trimmed, joined by one space. Payer:
//!   `RltdPties/Dbtr/Nm` (v02..v07) or `RltdPties/Dbtr/Pty/Nm` (v08).
//! - An `Ntry` with several `TxDtls` of which some carry no amount of their
//!   own is one transaction (the `Ntry` itself, its amount, no references):
//!   giving each `TxDtls` the entry's amount would multiply the money.
//! - Booking date fallback when an entry has neither `BookgDt` nor `ValDt`
//!   (a camt.054 sample does this): the date part of the statement's
//!   `CreDtTm`, else of `GrpHdr/CreDtTm`.
//! - Only booked entries (`Sts` = `BOOK`, v08 `Sts/Cd` = `BOOK`) become
//!   transactions; any other status (PDNG, INFO, FUTR...) is not returned
//!   but counted, per `Ntry`, in `BankFile::skipped_not_booked`. An entry
//!   without `Sts` is treated as booked.
//! - Amounts are plain decimals with `.` and at most five decimals, never
//!   negative, read with `rust_decimal` only. Every bad value is an `Error`
//!   naming line, field, value and expectation; all are collected and the
//!   file is refused if there is any.
//! - Control totals, per statement, when the file carries them; each
//!   mismatch is an `Error` on the line of the figure (for a balance, the
//!   line of its `Amt`) naming the field, the value found and the value
//!   computed, and the file is refused:
//!   - `TxsSummry/TtlNtries/NbOfNtries` = the number of `Ntry` in the
//!     statement, whatever their status: ISO 20022 defines the summary over
//!     the entries the statement reports, and a camt.052 reports pending
//!     entries too. `TtlCdtNtries`/`TtlDbtNtries` `NbOfNtries` count the
//!     entries by `Ntry/CdtDbtInd` (a reversal is counted by its own
//!     indicator, as it is booked);
//!   - `TtlNtries/Sum`, `TtlCdtNtries/Sum`, `TtlDbtNtries/Sum` = the sum of
//!     those entries' `Ntry/Amt` (never negative);
//!   - `TtlNtries/TtlNetNtryAmt` + `TtlNtries/CdtDbtInd` (v02, v03) or
//!     `TtlNtries/TtlNetNtry/Amt` + `TtlNetNtry/CdtDbtInd` (v04 on) = credits
//!     minus debits (`DBIT` when negative; no indicator means credit). The
//!     sums are only checked when every entry has an `Ntry/Amt` in one
//!     currency (the entry's `Ccy`, else `Acct/Ccy`): a `Sum` has no
//!     currency, and one over several currencies cannot be recomputed;
//!   - balances: when an opening (`OPBD`, else `PRCD`) and a closing booked
//!     balance (`CLBD`) are both present in the same currency, opening +
//!     booked credits - booked debits (`Ntry/Amt` of the `BOOK` entries in
//!     that currency) = closing. Entries booked in another currency cannot be
//!     converted: with only foreign debits the closing must be at most, with
//!     only foreign credits at least, the computed figure; with both there is
//!     nothing to check. Balances of other types (`CLAV`, `ITBD`...) and
//!     balances in different currencies are not compared. A camt.052 or
//!     camt.054 usually has no balances and is then only checked on what it
//!     has.
//!   - A statement that is one page of several (`StmtPgntn`/`NtfctnPgntn`/
//!     `RptPgntn` or `GrpHdr/MsgPgntn` with `PgNb` other than 1 or
//!     `LastPgInd` false) is not checked: its totals may cover entries on
//!     pages this file does not hold. Nor is a statement in which an entry
//!     already has an error.
//! - Idempotency key: with a bank reference
//!   `{account}|{bank_ref}|{booking_date}|{direction}|{amount}`, otherwise
//!   `{account}|{booking_date}|{direction}|{amount}|{structured_ref}|{unstructured}|{n}`
//!   where `n` counts (from 0) earlier transactions of the same file with the
//!   same other parts. The `TxDtls` of a batch entry without references of
//!   their own (they share the entry's `AcctSvcrRef`) get `|tx{i}`, their
//!   position in the entry, appended. The same entry repeated (in the same file or another:
//!   a camt.054 then the day's camt.053, a file uploaded again) gives the
//!   same key and is booked once. `amount` is written canonically (trailing zeros
//!   dropped, at least two decimals) so `8.850` and `8.85` give one key;
//!   `direction` is `credit` or `debit`. `payment_id` is `P` + XXH3-64 of
//!   the key in 16 hex digits (`bank::payment_id`).
//!
//! - The XML is read by the small scanner in `scan.rs` (its module doc has
//!   the rules): malformed XML (an unclosed or mismatched tag, a bad
//!   reference, a malformed attribute, a truncated file) is one `xml` error
//!   on the line where the construct starts, and the file is refused.
//!
//! Implementation: one pass over the whole file as one `&str`, checked as
//! UTF-8 once; the parser is the scanner's `Handler`. The stack of open
//! elements holds each element's `Tag` (its local name, classified once at
//! its start tag; the tags in a vector of their own, so the path below a
//! context element is a slice), its name as written (borrowed from the
//! input, for the end tag check) and its byte offset; line numbers are
//! counted only when one is kept or reported. Which rule reads a leaf is a
//! `match` on that path (`TxRule`, `NtryRule`...). An element's text is
//! borrowed from the input unless it needs decoding (references, `\r`,
//! CDATA, several pieces), so the allocations left are the values a
//! transaction keeps. Amounts are built from their digits (the value and
//! scale `Decimal::from_str` gives), and written into keys the same way;
//! dates in the usual `YYYY-MM-DD` shape are read directly, chrono only
//! sees the others.

mod scan;
mod tag;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;

use super::{canonical, payment_id, BankFile, Statement};
use crate::ingest::{parse_ymd, Error};
use crate::model::{BankTransaction, Currency, Direction, Money, Source};
use scan::{Attributes, StartTag, XmlError};
use tag::Tag;

const NS_PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:";

/// Single-byte encodings an XML declaration may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SingleByte {
    Latin1,
    Windows1252,
}

/// The single-byte encoding named by the XML declaration
/// (`<?xml ... encoding="ISO-8859-1"?>`), if any.
fn declared_single_byte(bytes: &[u8]) -> Option<SingleByte> {
    let head = &bytes[..bytes.len().min(200)];
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    let enc = decl.split("encoding=").nth(1)?.trim_start_matches(['"', '\'']);
    let name: String = enc.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    match name.as_str() {
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "iso_8859-1" => Some(SingleByte::Latin1),
        "windows-1252" | "cp1252" => Some(SingleByte::Windows1252),
        _ => None,
    }
}

/// true if the bytes look like a camt document: the start of the file names
/// an ISO 20022 `camt.05x` namespace.
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let needle = b"urn:iso:std:iso:20022:tech:xsd:camt.05";
    head.windows(needle.len()).any(|w| w == needle)
}

/// Parses a camt.052/053/054 file. Errors carry line numbers (1-based) but
/// no file name (the caller adds it with `Error::with_file`).
pub fn parse(bytes: &[u8]) -> Result<BankFile, Vec<Error>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let transcoded: String;
    let text = match (std::str::from_utf8(bytes), declared_single_byte(bytes)) {
        (Ok(t), _) => t,
        // An XML declaration naming ISO-8859-1 or Windows-1252: decode it
        // (one byte per character, so lines stay where they were).
        (Err(_), Some(SingleByte::Latin1)) => {
            transcoded = encoding_rs::mem::decode_latin1(bytes).into_owned();
            &transcoded
        }
        (Err(_), Some(SingleByte::Windows1252)) => {
            transcoded = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned();
            &transcoded
        }
        (Err(e), None) => {
            let line = line_of(bytes, e.valid_up_to());
            let end = (e.valid_up_to() + 4).min(bytes.len());
            let shown = String::from_utf8_lossy(&bytes[e.valid_up_to()..end]).into_owned();
            return Err(vec![Error::new(
                line,
                "encoding",
                &shown,
                "UTF-8 text (or an XML declaration naming ISO-8859-1 or Windows-1252)",
            )]);
        }
    };
    let mut p = Parser::new(text);
    p.run();
    if p.errors.is_empty() {
        Ok(p.file)
    } else {
        Err(p.errors)
    }
}

fn line_of(bytes: &[u8], pos: usize) -> u32 {
    let n = bytes[..pos.min(bytes.len())].iter().filter(|&&b| b == b'\n').count();
    u32::try_from(n + 1).unwrap_or(u32::MAX)
}

/// Incremental line counter: only the newlines between the last position
/// asked for and this one are counted (positions mostly grow, so counting
/// is linear). The parser keeps byte offsets and asks for a line only when
/// it keeps or reports one, so most bytes are counted in long runs.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Newlines in `bytes[..pos]`.
    newlines: usize,
}

impl Lines<'_> {
    /// 1-based line of byte offset `pos`.
    fn at(&mut self, pos: usize) -> u32 {
        let pos = pos.min(self.bytes.len());
        if pos >= self.pos {
            self.newlines += count_newlines(&self.bytes[self.pos..pos]);
        } else {
            self.newlines -= count_newlines(&self.bytes[pos..self.pos]);
        }
        self.pos = pos;
        u32::try_from(self.newlines + 1).unwrap_or(u32::MAX)
    }
}

/// The number of `\n` in `bytes`, in blocks of at most 255 bytes counted
/// in a `u8`: the compiler turns that into byte-wide vector adds, several
/// times faster than a `usize` count per byte. (Tried and slower: memchr's
/// count, on the short runs asked for here, and 16 `u8` lanes by hand.)
fn count_newlines(bytes: &[u8]) -> usize {
    bytes.chunks(255).map(|c| usize::from(c.iter().fold(0u8, |n, &x| n + u8::from(x == b'\n')))).sum()
}

/// A parsed amount with its `Ccy` attribute.
#[derive(Clone, Copy, Debug)]
struct Amt {
    value: Decimal,
    ccy: Option<Currency>,
}

#[derive(Default)]
struct TxB {
    line: u32,
    tx_amt: Option<Amt>,
    amt: Option<Amt>,
    direction: Option<Direction>,
    bank_ref: CompactString,
    structured_ref: Option<CompactString>,
    /// The non-empty `Ustrd` lines, trimmed, joined by one space.
    ustrd: CompactString,
    payer: CompactString,
}

struct NtryB {
    line: u32,
    amt: Option<Amt>,
    direction: Option<Direction>,
    reversal: bool,
    /// false once a non-empty `Sts` other than `BOOK` is read (no `Sts`:
    /// booked).
    booked: bool,
    booking: Option<NaiveDate>,
    value_date: Option<NaiveDate>,
    bank_ref: CompactString,
    /// This entry's `TxDtls`: indexes into `StmtB::txs`.
    txs: std::ops::Range<usize>,
    /// An error was already reported inside this entry.
    had_error: bool,
}

impl NtryB {
    /// An entry starting on `line`; its `TxDtls` will be stored from
    /// `StmtB::txs[first_tx]` on.
    fn new(line: u32, first_tx: usize) -> NtryB {
        NtryB {
            line,
            amt: None,
            direction: None,
            reversal: false,
            booked: true,
            booking: None,
            value_date: None,
            bank_ref: CompactString::default(),
            txs: first_tx..first_tx,
            had_error: false,
        }
    }
}

#[derive(Default)]
struct BalB {
    code: String,
    amount: Option<Amt>,
    direction: Option<Direction>,
    /// Line of the balance's `Amt`.
    line: u32,
}

/// A `Bal` kept for the statement: signed amount, currency, line of its `Amt`.
#[derive(Clone, Copy, Debug)]
struct BalV {
    signed: Decimal,
    ccy: Option<Currency>,
    line: u32,
}

/// A control figure read from the statement: the field's path (as found),
/// its text and its line.
#[derive(Clone, Debug)]
struct Fig {
    field: &'static str,
    text: String,
    line: u32,
}

/// `NbOfNtries` and `Sum` of one `TxsSummry` block.
#[derive(Default)]
struct CountSum {
    nb: Option<Fig>,
    sum: Option<Fig>,
}

/// `TxsSummry` as read.
#[derive(Default)]
struct SummaryB {
    all: CountSum,
    /// `TtlNtries/TtlNetNtryAmt` (v02/v03) or `TtlNtries/TtlNetNtry/Amt`.
    net: Option<Fig>,
    net_dir: Option<Direction>,
    cdt: CountSum,
    dbt: CountSum,
}

#[derive(Default)]
struct StmtB {
    line: u32,
    account: CompactString,
    currency: Option<Currency>,
    opening_opbd: Option<BalV>,
    opening_prcd: Option<BalV>,
    closing: Option<BalV>,
    summary: SummaryB,
    /// `StmtPgntn`/`NtfctnPgntn`/`RptPgntn` says this is one page of several.
    paged: bool,
    /// Date part of `CreDtTm`, the last fallback for a booking date.
    created: Option<NaiveDate>,
    entries: Vec<NtryB>,
    /// The `TxDtls` of all entries, in order (one vector for the statement
    /// rather than one per entry).
    txs: Vec<TxB>,
}

/// An open element.
#[derive(Clone, Copy, Debug)]
struct Open<'a> {
    /// The name as written in the start tag (`c:Ntry`), for the end tag check.
    name: &'a [u8],
    /// Byte offset of the start tag (`Parser::lines` turns it into a line
    /// when one is needed).
    at: usize,
}

/// The open elements, outermost first. Their tags are kept apart, in one
/// vector, so that the path below an element is a slice of it.
#[derive(Default)]
struct Stack<'a> {
    tags: Vec<Tag>,
    open: Vec<Open<'a>>,
}

impl<'a> Stack<'a> {
    #[inline(always)]
    fn push(&mut self, tag: Tag, open: Open<'a>) {
        self.tags.push(tag);
        self.open.push(open);
    }

    #[inline(always)]
    fn pop(&mut self) {
        self.tags.pop();
        self.open.pop();
    }

    fn len(&self) -> usize {
        self.open.len()
    }

    fn last(&self) -> Option<&Open<'a>> {
        self.open.last()
    }

    fn last_tag(&self) -> Option<Tag> {
        self.tags.last().copied()
    }

    /// The tags of the elements open below depth `depth` (0 is the root).
    fn tags_below(&self, depth: usize) -> &[Tag] {
        self.tags.get(depth + 1..).unwrap_or_default()
    }
}

struct Parser<'a> {
    input: &'a str,
    lines: Lines<'a>,
    /// Open elements, outermost first.
    stack: Stack<'a>,
    /// Text read since the last start or end tag, while it is one plain
    /// piece of the input (the usual case: no decoding, no copy).
    text: &'a str,
    /// true once that text needed decoding or came in several pieces: it
    /// is then in `buf` (reused, not reallocated, from element to element).
    text_in_buf: bool,
    buf: String,
    /// `Ccy` attribute of the last start tag, until the next end tag.
    ccy: Option<Cow<'a, str>>,
    stmt: Option<(usize, StmtB)>,
    bal: Option<(usize, BalB)>,
    /// Depth of the open `Ntry`; the entry is built in place, as the last
    /// of `stmt`'s entries (`ntry_mut`).
    ntry: Option<usize>,
    /// Depth of the open `TxDtls`; built in place as the last of `stmt`'s
    /// `txs` (`tx_mut`).
    tx: Option<usize>,
    seen_root: bool,
    /// A handler stopped the scan (after reporting why).
    stopped: bool,
    /// Date part of `GrpHdr/CreDtTm`.
    group_created: Option<NaiveDate>,
    /// `GrpHdr/MsgPgntn` says this message is one page of several.
    group_paged: bool,
    file: BankFile,
    errors: Vec<Error>,
    /// Key prefix -> transactions seen so far with it (for `n`).
    key_counts: HashMap<String, usize>,
}

impl<'a> scan::Handler<'a> for Parser<'a> {
    fn open_name(&self) -> Option<&'a [u8]> {
        self.stack.last().map(|o| o.name)
    }

    #[inline(always)]
    fn start(&mut self, tag: &StartTag<'a>) -> bool {
        self.start_element(tag)
    }

    fn text(&mut self, raw: &'a str, at: usize, plain: bool) -> bool {
        if plain && !self.text_in_buf && self.text.is_empty() {
            self.text = raw;
            return true;
        }
        self.move_text_to_buf();
        if plain {
            self.buf.push_str(raw);
        } else if let Err(e) = scan::push_text(&mut self.buf, raw, at) {
            self.xml_err(&e);
            self.stopped = true;
            return false;
        }
        true
    }

    fn cdata(&mut self, content: &'a str) {
        self.move_text_to_buf();
        scan::push_cdata(&mut self.buf, content);
    }

    #[inline(always)]
    fn end(&mut self) {
        self.end_element();
    }

    #[inline(always)]
    fn leaf(&mut self, tag: &StartTag<'a>, text: &'a str, _text_at: usize) -> bool {
        let t = Tag::of(tag.local);
        let ccy = if tag.attrs.is_empty() { None } else { plain_ccy(tag.attrs) };
        let other_attrs = ccy.is_none() && !tag.attrs.is_empty();
        if !self.seen_root || other_attrs || matches!(t, Tag::Stmt | Tag::Ntry | Tag::Bal | Tag::TxDtls) {
            if !self.start_element(tag) {
                return false;
            }
            // `start_element` forgot any earlier text; this is plain.
            self.text = text;
            self.end_element();
            return true;
        }
        // The usual leaf opens and closes no context: what `start_element`
        // and `end_element` would do comes down to reading it by the rules
        // with the element on the stack (for its path) and its own `Ccy` (no
        // attribute, or only a plain `Ccy`), and forgetting the parent's
        // text and `Ccy`.
        self.clear_text();
        self.ccy = None;
        if t.is_read() {
            self.stack.push(t, Open { name: tag.name, at: tag.at });
            self.read_leaf(self.stack.len(), text, ccy, tag.at);
            self.stack.pop();
        }
        true
    }

    fn doctype(&mut self, at: usize) {
        self.err_at(at, "DOCTYPE", "<!DOCTYPE", "no DOCTYPE or entity declarations in a camt file");
        self.stopped = true;
    }
}

// The reading rules: which leaf, by its path below its context element,
// is read as what (see the module doc). Choosing the rule is a match on the
// path; applying it is out of line, as most elements match none.

/// A leaf outside the statements, below `BkToCstmr*`.
#[derive(Clone, Copy)]
enum GroupRule {
    /// `GrpHdr/CreDtTm`.
    Created,
    /// `GrpHdr/MsgPgntn/*` (`PgNb`, `LastPgInd`).
    Page(Tag),
}

impl GroupRule {
    fn of(path: &[Tag]) -> Option<GroupRule> {
        match *path {
            [Tag::GrpHdr, Tag::CreDtTm] => Some(GroupRule::Created),
            [Tag::GrpHdr, Tag::MsgPgntn, leaf] => Some(GroupRule::Page(leaf)),
            _ => None,
        }
    }
}

/// A leaf below a `Stmt`/`Ntfctn`/`Rpt` (outside its entries and balances).
#[derive(Clone, Copy)]
enum StmtRule {
    /// `Acct/Id/IBAN`, `Acct/Id/Othr/Id`.
    Account,
    /// `CreDtTm`.
    Created,
    /// `Acct/Ccy`.
    Currency,
    /// `StmtPgntn/*` (`PgNb`, `LastPgInd`).
    Page(Tag),
    /// A `TxsSummry` figure, by its path.
    Summary(&'static str),
}

impl StmtRule {
    fn of(path: &[Tag]) -> Option<StmtRule> {
        use Tag::{
            CdtDbtInd, NbOfNtries, Sum, TtlCdtNtries, TtlDbtNtries, TtlNetNtry, TtlNetNtryAmt, TtlNtries, TxsSummry,
        };
        let field = match *path {
            [Tag::Acct, Tag::Id, Tag::Iban] | [Tag::Acct, Tag::Id, Tag::Othr, Tag::Id] => {
                return Some(StmtRule::Account)
            }
            [Tag::CreDtTm] => return Some(StmtRule::Created),
            [Tag::Acct, Tag::Ccy] => return Some(StmtRule::Currency),
            [Tag::Pgntn, leaf] => return Some(StmtRule::Page(leaf)),
            [TxsSummry, TtlNtries, NbOfNtries] => "TxsSummry/TtlNtries/NbOfNtries",
            [TxsSummry, TtlNtries, Sum] => "TxsSummry/TtlNtries/Sum",
            [TxsSummry, TtlNtries, TtlNetNtryAmt] => "TxsSummry/TtlNtries/TtlNetNtryAmt",
            [TxsSummry, TtlNtries, TtlNetNtry, Tag::Amt] => "TxsSummry/TtlNtries/TtlNetNtry/Amt",
            [TxsSummry, TtlNtries, CdtDbtInd] => "TxsSummry/TtlNtries/CdtDbtInd",
            [TxsSummry, TtlNtries, TtlNetNtry, CdtDbtInd] => "TxsSummry/TtlNtries/TtlNetNtry/CdtDbtInd",
            [TxsSummry, TtlCdtNtries, NbOfNtries] => "TxsSummry/TtlCdtNtries/NbOfNtries",
            [TxsSummry, TtlCdtNtries, Sum] => "TxsSummry/TtlCdtNtries/Sum",
            [TxsSummry, TtlDbtNtries, NbOfNtries] => "TxsSummry/TtlDbtNtries/NbOfNtries",
            [TxsSummry, TtlDbtNtries, Sum] => "TxsSummry/TtlDbtNtries/Sum",
            _ => return None,
        };
        Some(StmtRule::Summary(field))
    }
}

/// A leaf below a `Bal`.
#[derive(Clone, Copy)]
enum BalRule {
    /// `Tp/CdOrPrtry/Cd`.
    Code,
    /// `Amt`.
    Amt,
    /// `CdtDbtInd`.
    Dir,
}

impl BalRule {
    fn of(path: &[Tag]) -> Option<BalRule> {
        match *path {
            [Tag::Tp, Tag::CdOrPrtry, Tag::Cd] => Some(BalRule::Code),
            [Tag::Amt] => Some(BalRule::Amt),
            [Tag::CdtDbtInd] => Some(BalRule::Dir),
            _ => None,
        }
    }
}

/// A leaf below an `Ntry` (outside its `TxDtls`).
#[derive(Clone, Copy)]
enum NtryRule {
    /// `Amt`.
    Amt,
    /// `CdtDbtInd`.
    Dir,
    /// `RvslInd`.
    Reversal,
    /// `Sts`, `Sts/Cd`, `Sts/Prtry`.
    Status,
    /// `BookgDt/Dt`, `BookgDt/DtTm`, `ValDt/Dt`, `ValDt/DtTm`.
    Date { booking: bool, date_time: bool },
    /// `AcctSvcrRef`.
    BankRef,
}

impl NtryRule {
    fn of(path: &[Tag]) -> Option<NtryRule> {
        let date = |booking, date_time| Some(NtryRule::Date { booking, date_time });
        match *path {
            [Tag::Amt] => Some(NtryRule::Amt),
            [Tag::CdtDbtInd] => Some(NtryRule::Dir),
            [Tag::RvslInd] => Some(NtryRule::Reversal),
            [Tag::Sts] | [Tag::Sts, Tag::Cd | Tag::Prtry] => Some(NtryRule::Status),
            [Tag::BookgDt, Tag::Dt] => date(true, false),
            [Tag::BookgDt, Tag::DtTm] => date(true, true),
            [Tag::ValDt, Tag::Dt] => date(false, false),
            [Tag::ValDt, Tag::DtTm] => date(false, true),
            [Tag::AcctSvcrRef] => Some(NtryRule::BankRef),
            _ => None,
        }
    }
}

/// A leaf below a `TxDtls`.
#[derive(Clone, Copy)]
enum TxRule {
    /// `AmtDtls/TxAmt/Amt`.
    TxAmt,
    /// `Amt` (v08).
    Amt,
    /// `CdtDbtInd`.
    Dir,
    /// `Refs/AcctSvcrRef`.
    BankRef,
    /// `RmtInf/Strd/CdtrRefInf/Ref`.
    StructuredRef,
    /// `RmtInf/Ustrd`.
    Unstructured,
    /// `RltdPties/Dbtr/Nm`, `RltdPties/Dbtr/Pty/Nm`.
    Payer,
}

impl TxRule {
    fn of(path: &[Tag]) -> Option<TxRule> {
        match *path {
            [Tag::AmtDtls, Tag::TxAmt, Tag::Amt] => Some(TxRule::TxAmt),
            [Tag::Amt] => Some(TxRule::Amt),
            [Tag::CdtDbtInd] => Some(TxRule::Dir),
            [Tag::Refs, Tag::AcctSvcrRef] => Some(TxRule::BankRef),
            [Tag::RmtInf, Tag::Strd, Tag::CdtrRefInf, Tag::Ref] => Some(TxRule::StructuredRef),
            [Tag::RmtInf, Tag::Ustrd] => Some(TxRule::Unstructured),
            [Tag::RltdPties, Tag::Dbtr, Tag::Nm] | [Tag::RltdPties, Tag::Dbtr, Tag::Pty, Tag::Nm] => {
                Some(TxRule::Payer)
            }
            _ => None,
        }
    }
}

/// `t.trim()`, without looking at characters when the ends show there
/// is nothing to trim (the usual case): text that starts with visible
/// ASCII or with a character U+00C0 to U+07FF (lead byte 0xC3 to 0xDF:
/// Latin letters like `Å`; Unicode has no whitespace there, its whitespace
/// being U+0009 to U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000 to
/// U+200A, U+2028, U+2029, U+202F, U+205F and U+3000) only needs its end
/// trimmed, and nothing if it ends with visible ASCII.
fn trim(t: &str) -> &str {
    let b = t.as_bytes();
    let visible = |x: u8| x > b' ' && x < 0x80;
    let starts_clean = b.first().is_some_and(|&x| visible(x) || (0xC3..=0xDF).contains(&x));
    if !starts_clean {
        t.trim()
    } else if b.last().is_some_and(|&x| visible(x)) {
        t
    } else {
        t.trim_end()
    }
}

/// The value of attributes that are exactly ` Ccy="SEK"` (one space, a
/// double-quoted value of three ASCII capital letters): an amount's usual
/// attribute, taken without the general attribute reader, which would give
/// the same (nothing to resolve or normalize in such a value). Anything
/// else is `None` and goes to that reader.
fn plain_ccy(attrs: &str) -> Option<&str> {
    let b = attrs.as_bytes();
    let plain = b.len() == 10
        && b.starts_with(b" Ccy=\"")
        && b.get(9) == Some(&b'"')
        && b.get(6..9).is_some_and(|c| c.iter().all(u8::is_ascii_uppercase));
    if plain {
        attrs.get(6..9)
    } else {
        None
    }
}

/// `c.parse::<Currency>()`, with the usual three capital letters matched
/// directly (no trimming, no string compares); anything else goes to
/// `Currency::from_str`.
fn currency(c: &str) -> Result<Currency, crate::model::MoneyError> {
    match *c.as_bytes() {
        [b'S', b'E', b'K'] => Ok(Currency::SEK),
        [b'D', b'K', b'K'] => Ok(Currency::DKK),
        [b'N', b'O', b'K'] => Ok(Currency::NOK),
        [b'E', b'U', b'R'] => Ok(Currency::EUR),
        [x, y, z] if [x, y, z].iter().all(u8::is_ascii_uppercase) => Ok(Currency::Other([x, y, z])),
        _ => c.parse(),
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            input: text,
            lines: Lines { bytes: text.as_bytes(), pos: 0, newlines: 0 },
            stack: Stack::default(),
            text: "",
            text_in_buf: false,
            buf: String::new(),
            ccy: None,
            stmt: None,
            bal: None,
            ntry: None,
            tx: None,
            seen_root: false,
            stopped: false,
            group_created: None,
            group_paged: false,
            file: BankFile {
                format: String::new(),
                statements: Vec::new(),
                transactions: Vec::new(),
                skipped_not_booked: 0,
            },
            errors: Vec::new(),
            key_counts: HashMap::new(),
        }
    }

    /// The open entry (built in place: the statement's last), if any.
    fn ntry_mut(&mut self) -> Option<&mut NtryB> {
        self.ntry?;
        self.stmt.as_mut().and_then(|(_, s)| s.entries.last_mut())
    }

    /// The open `TxDtls` (built in place: the statement's last), if any.
    fn tx_mut(&mut self) -> Option<&mut TxB> {
        self.tx?;
        self.stmt.as_mut().and_then(|(_, s)| s.txs.last_mut())
    }

    fn err(&mut self, line: u32, field: &str, value: &str, expected: &str) {
        if let Some(n) = self.ntry_mut() {
            n.had_error = true;
        }
        self.errors.push(Error::new(line, field, value, expected));
    }

    /// `err` on the line of byte offset `at`.
    fn err_at(&mut self, at: usize, field: &str, value: &str, expected: &str) {
        let line = self.lines.at(at);
        self.err(line, field, value, expected);
    }

    /// An error in the XML itself.
    fn xml_err(&mut self, e: &XmlError) {
        self.err_at(e.at, "xml", &e.value, e.expected);
    }

    fn run(&mut self) {
        let input = self.input;
        if let Err(e) = scan::scan(input, self) {
            self.xml_err(&e);
            return;
        }
        if self.stopped {
            return;
        }
        if let Some(open) = self.stack.last().copied() {
            let full = String::from_utf8_lossy(open.name);
            let name = local_name(&full);
            self.err_at(open.at, name, "end of file", &format!("</{name}> (the file is truncated)"));
        } else if !self.seen_root {
            self.err(1, "Document", "", "a camt XML document");
        }
    }

    /// From now on the element's text is collected in `buf`.
    fn move_text_to_buf(&mut self) {
        if !self.text_in_buf {
            self.buf.clear();
            self.buf.push_str(self.text);
            self.text_in_buf = true;
        }
    }

    /// Forgets the text read so far (at every start and end tag).
    fn clear_text(&mut self) {
        self.text = "";
        if self.text_in_buf {
            self.buf.clear();
            self.text_in_buf = false;
        }
    }

    /// Handles a start tag; false stops the parse (root is not camt, or an
    /// attribute is malformed).
    #[inline(always)]
    fn start_element(&mut self, t: &StartTag<'a>) -> bool {
        self.clear_text();
        self.ccy = None;
        let tag = Tag::of(t.local);
        // Most tags have no attributes, or a plain `Ccy`; the root comes once.
        if !t.attrs.is_empty() || !self.seen_root {
            match plain_ccy(t.attrs) {
                Some(ccy) if self.seen_root => self.ccy = Some(Cow::Borrowed(ccy)),
                _ => return self.start_with_attributes_or_root(t, tag),
            }
        }
        if matches!(tag, Tag::Stmt | Tag::Ntry | Tag::Bal | Tag::TxDtls) {
            self.open_context(tag, t.at);
        }
        self.stack.push(tag, Open { name: t.name, at: t.at });
        true
    }

    /// `start_element` for a tag with attributes, or the root.
    #[inline(never)]
    fn start_with_attributes_or_root(&mut self, t: &StartTag<'a>, tag: Tag) -> bool {
        let ns = if t.attrs.bytes().any(|b| !scan::is_space(b)) {
            match self.attributes(t) {
                Ok(ns) => ns,
                Err(e) => {
                    self.xml_err(&e);
                    self.stopped = true;
                    return false;
                }
            }
        } else {
            None
        };
        let open = Open { name: t.name, at: t.at };
        if !self.seen_root {
            self.seen_root = true;
            let ok = self.root(tag, open, t.local, ns.as_deref());
            self.stopped = !ok;
            return ok;
        }
        self.open_context(tag, t.at);
        self.stack.push(tag, open);
        true
    }

    /// Opens the context (statement, entry, balance, transaction) that an
    /// element with this tag starts where it is (at the top of the stack):
    /// a `Stmt`/`Ntfctn`/`Rpt` in a `BkToCstmr*`, an `Ntry` or `Bal` in the
    /// statement, a `TxDtls` anywhere in an entry.
    #[inline(never)]
    fn open_context(&mut self, tag: Tag, at: usize) {
        let depth = self.stack.len();
        if self.stmt.is_none() {
            let parent_ok = self.stack.last_tag() == Some(Tag::BkToCstmr);
            if parent_ok && tag == Tag::Stmt {
                self.stmt = Some((depth, StmtB { line: self.lines.at(at), ..StmtB::default() }));
            }
        } else if self.ntry.is_none() && self.bal.is_none() {
            if let Some((sd, s)) = &mut self.stmt {
                if depth == *sd + 1 && tag == Tag::Ntry {
                    let first_tx = s.txs.len();
                    s.entries.push(NtryB::new(self.lines.at(at), first_tx));
                    self.ntry = Some(depth);
                } else if depth == *sd + 1 && tag == Tag::Bal {
                    self.bal = Some((depth, BalB::default()));
                }
            }
        } else if self.ntry.is_some() && self.tx.is_none() && tag == Tag::TxDtls {
            if let Some((_, s)) = &mut self.stmt {
                s.txs.push(TxB { line: self.lines.at(at), ..TxB::default() });
                self.tx = Some(depth);
            }
        }
    }

    /// Reads the tag's attributes: keeps `Ccy` (any prefix) in `ccy`;
    /// returns the ISO 20022 namespace (`xmlns` or `xmlns:*`), if any. Every
    /// attribute must be well-formed, whatever its name.
    fn attributes(&mut self, t: &StartTag<'a>) -> Result<Option<Cow<'a, str>>, XmlError> {
        let mut ns = None;
        let mut attrs = Attributes::new(t.attrs, t.attrs_at);
        while let Some(a) = attrs.next_attr()? {
            let value = scan::attr_value(a.raw, a.at)?;
            if a.name == "Ccy" || a.name.ends_with(":Ccy") {
                self.ccy = Some(value);
            } else if (a.name == "xmlns" || a.name.starts_with("xmlns:")) && value.starts_with(NS_PREFIX) {
                ns = Some(value);
            }
        }
        Ok(ns)
    }

    fn root(&mut self, tag: Tag, open: Open<'a>, local: &[u8], ns: Option<&str>) -> bool {
        let at = open.at;
        if local != b"Document" {
            let local = String::from_utf8_lossy(local);
            self.err_at(at, "Document", &local, "root element <Document> of a camt.052/053/054 message");
            return false;
        }
        let ns = ns.unwrap_or("");
        let fmt = ns.strip_prefix(NS_PREFIX).unwrap_or("");
        let b = fmt.as_bytes();
        let ok = b.len() == 15
            && fmt.starts_with("camt.05")
            && matches!(b[7], b'2' | b'3' | b'4')
            && &b[8..13] == b".001."
            && b[13] == b'0'
            && (b'2'..=b'8').contains(&b[14]);
        if !ok {
            self.err_at(
                at,
                "Document/@xmlns",
                ns,
                "namespace urn:iso:std:iso:20022:tech:xsd:camt.05X.001.NN (X 2, 3 or 4; NN 02 to 08)",
            );
            return false;
        }
        self.file.format = fmt.to_string();
        self.stack.push(tag, open);
        true
    }

    #[inline(always)]
    fn end_element(&mut self) {
        let depth = self.stack.len();
        let Some(&Open { at, .. }) = self.stack.last() else {
            return;
        };
        let ccy = self.ccy.take();
        // Elements no rule reads (containers, mostly) are not looked up.
        if !self.stack.last_tag().is_some_and(Tag::is_read) {
            if self.text_in_buf {
                self.buf.clear();
                self.text_in_buf = false;
            }
        } else if self.text_in_buf {
            // Taken out of `self` for the rules, put back (cleared, the
            // allocation kept).
            let mut buf = std::mem::take(&mut self.buf);
            self.read_leaf(depth, &buf, ccy.as_deref(), at);
            buf.clear();
            self.buf = buf;
            self.text_in_buf = false;
        } else {
            self.read_leaf(depth, self.text, ccy.as_deref(), at);
        }
        self.text = "";
        // Close contexts whose element ends here.
        let closing = depth - 1;
        if self.tx == Some(closing) {
            self.close_tx();
        } else if self.ntry == Some(closing) {
            self.close_ntry();
        } else if self.bal.as_ref().is_some_and(|(d, _)| *d == closing) {
            self.close_bal();
        } else if self.stmt.as_ref().is_some_and(|(d, _)| *d == closing) {
            if let Some((_, s)) = self.stmt.take() {
                self.finish_stmt(s);
            }
        }
        self.stack.pop();
    }

    // The context closers are kept out of `end_element`, which runs for
    // every element: inlined, their moves of whole entries made it slower.

    #[inline(never)]
    fn close_tx(&mut self) {
        if let (Some(_), Some(_), Some((_, s))) = (self.tx.take(), self.ntry, self.stmt.as_mut()) {
            let end = s.txs.len();
            if let Some(n) = s.entries.last_mut() {
                n.txs.end = end;
            }
        }
    }

    #[inline(never)]
    fn close_ntry(&mut self) {
        // The entry is in place already.
        self.ntry = None;
    }

    #[inline(never)]
    fn close_bal(&mut self) {
        if let (Some((_, b)), Some((_, s))) = (self.bal.take(), self.stmt.as_mut()) {
            let signed = b.amount.map(|a| BalV {
                signed: if b.direction == Some(Direction::Debit) { -a.value } else { a.value },
                ccy: a.ccy,
                line: b.line,
            });
            match b.code.as_str() {
                "OPBD" if s.opening_opbd.is_none() => s.opening_opbd = signed,
                "PRCD" if s.opening_prcd.is_none() => s.opening_prcd = signed,
                "CLBD" if s.closing.is_none() => s.closing = signed,
                _ => {}
            }
        }
    }

    /// Reads the element ending now (at `depth`, with its text and `Ccy`)
    /// by the rules of the innermost context it is in, if one applies.
    #[inline]
    fn read_leaf(&mut self, depth: usize, text: &str, ccy: Option<&str>, at: usize) {
        if let Some(d) = self.tx.filter(|d| depth > d + 1) {
            if let Some(rule) = TxRule::of(self.stack.tags_below(d)) {
                self.tx_leaf(rule, text, ccy, at);
            }
        } else if let Some(d) = self.ntry.filter(|d| depth > d + 1) {
            if let Some(rule) = NtryRule::of(self.stack.tags_below(d)) {
                self.ntry_leaf(rule, text, ccy, at);
            }
        } else if let Some(&(d, _)) = self.bal.as_ref().filter(|(d, _)| depth > d + 1) {
            if let Some(rule) = BalRule::of(self.stack.tags_below(d)) {
                self.bal_leaf(rule, text, ccy, at);
            }
        } else if let Some(&(d, _)) = self.stmt.as_ref().filter(|(d, _)| depth > d + 1) {
            if let Some(rule) = StmtRule::of(self.stack.tags_below(d)) {
                self.stmt_leaf(rule, text, at);
            }
        } else if self.stmt.is_none() && (depth == 4 || depth == 5) {
            // Below `Document` and `BkToCstmr*`.
            if let Some(rule) = GroupRule::of(self.stack.tags_below(1)) {
                self.group_leaf(rule, text, at);
            }
        }
    }

    #[inline(never)]
    fn group_leaf(&mut self, rule: GroupRule, text: &str, at: usize) {
        match rule {
            GroupRule::Created => self.group_created = self.date(trim(text), true, at, "GrpHdr/CreDtTm"),
            GroupRule::Page(leaf) => self.group_paged |= other_page(leaf, trim(text)),
        }
    }

    #[inline(never)]
    fn stmt_leaf(&mut self, rule: StmtRule, text: &str, at: usize) {
        let t = trim(text);
        match rule {
            StmtRule::Account => {
                if let Some((_, s)) = self.stmt.as_mut() {
                    if s.account.is_empty() {
                        s.account = t.into();
                    }
                }
            }
            StmtRule::Created => {
                let v = self.date(t, true, at, "CreDtTm");
                if let Some((_, s)) = self.stmt.as_mut() {
                    s.created = v;
                }
            }
            StmtRule::Currency => match t.parse::<Currency>() {
                Ok(c) => {
                    if let Some((_, s)) = self.stmt.as_mut() {
                        s.currency = Some(c);
                    }
                }
                Err(_) => self.err_at(at, "Acct/Ccy", t, "an ISO 4217 currency code like SEK"),
            },
            StmtRule::Page(leaf) => {
                let paged = other_page(leaf, t);
                if let Some((_, s)) = self.stmt.as_mut() {
                    s.paged |= paged;
                }
            }
            StmtRule::Summary(field) => self.summary_leaf(field, t, at),
        }
    }

    /// A `TxsSummry` figure (`field` is its path): kept as text, checked
    /// when the statement ends.
    fn summary_leaf(&mut self, field: &'static str, t: &str, at: usize) {
        let fig = Fig { field, text: t.to_string(), line: self.lines.at(at) };
        if field.ends_with("CdtDbtInd") {
            let v = self.direction(t, at, field);
            if let Some((_, s)) = self.stmt.as_mut() {
                s.summary.net_dir = v;
            }
            return;
        }
        let Some((_, s)) = self.stmt.as_mut() else { return };
        let sm = &mut s.summary;
        let slot = match field {
            "TxsSummry/TtlNtries/NbOfNtries" => &mut sm.all.nb,
            "TxsSummry/TtlNtries/Sum" => &mut sm.all.sum,
            "TxsSummry/TtlCdtNtries/NbOfNtries" => &mut sm.cdt.nb,
            "TxsSummry/TtlCdtNtries/Sum" => &mut sm.cdt.sum,
            "TxsSummry/TtlDbtNtries/NbOfNtries" => &mut sm.dbt.nb,
            "TxsSummry/TtlDbtNtries/Sum" => &mut sm.dbt.sum,
            _ => &mut sm.net,
        };
        if slot.is_none() {
            *slot = Some(fig);
        }
    }

    #[inline(never)]
    fn bal_leaf(&mut self, rule: BalRule, text: &str, ccy: Option<&str>, at: usize) {
        let t = trim(text);
        match rule {
            BalRule::Code => {
                if let Some((_, b)) = self.bal.as_mut() {
                    b.code = t.to_string();
                }
            }
            BalRule::Amt => {
                let v = self.amt(t, ccy, at, "Bal/Amt");
                let line = self.lines.at(at);
                if let Some((_, b)) = self.bal.as_mut() {
                    b.amount = v;
                    b.line = line;
                }
            }
            BalRule::Dir => {
                let v = self.direction(t, at, "Bal/CdtDbtInd");
                if let Some((_, b)) = self.bal.as_mut() {
                    b.direction = v;
                }
            }
        }
    }

    #[inline(never)]
    fn ntry_leaf(&mut self, rule: NtryRule, text: &str, ccy: Option<&str>, at: usize) {
        let t = trim(text);
        match rule {
            NtryRule::Amt => {
                let v = self.amt(t, ccy, at, "Ntry/Amt");
                if let Some(n) = self.ntry_mut() {
                    n.amt = v;
                }
            }
            NtryRule::Dir => {
                let v = self.direction(t, at, "Ntry/CdtDbtInd");
                if let Some(n) = self.ntry_mut() {
                    n.direction = v;
                }
            }
            NtryRule::Reversal => {
                let v = match t {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        self.err_at(at, "Ntry/RvslInd", t, "true or false");
                        false
                    }
                };
                if let Some(n) = self.ntry_mut() {
                    n.reversal = v;
                }
            }
            NtryRule::Status => {
                if let Some(n) = self.ntry_mut() {
                    if !t.is_empty() {
                        n.booked = t == "BOOK";
                    }
                }
            }
            NtryRule::Date { booking, date_time } => {
                let field = match (booking, date_time) {
                    (true, false) => "Ntry/BookgDt/Dt",
                    (true, true) => "Ntry/BookgDt/DtTm",
                    (false, false) => "Ntry/ValDt/Dt",
                    (false, true) => "Ntry/ValDt/DtTm",
                };
                let v = self.date(t, date_time, at, field);
                if let Some(n) = self.ntry_mut() {
                    if booking {
                        n.booking = n.booking.or(v);
                    } else {
                        n.value_date = n.value_date.or(v);
                    }
                }
            }
            NtryRule::BankRef => {
                if let Some(n) = self.ntry_mut() {
                    n.bank_ref = t.into();
                }
            }
        }
    }

    #[inline(never)]
    fn tx_leaf(&mut self, rule: TxRule, text: &str, ccy: Option<&str>, at: usize) {
        let t = trim(text);
        match rule {
            TxRule::TxAmt => {
                let v = self.amt(t, ccy, at, "TxDtls/AmtDtls/TxAmt/Amt");
                if let Some(x) = self.tx_mut() {
                    x.tx_amt = v;
                }
            }
            TxRule::Amt => {
                let v = self.amt(t, ccy, at, "TxDtls/Amt");
                if let Some(x) = self.tx_mut() {
                    x.amt = v;
                }
            }
            TxRule::Dir => {
                let v = self.direction(t, at, "TxDtls/CdtDbtInd");
                if let Some(x) = self.tx_mut() {
                    x.direction = v;
                }
            }
            TxRule::BankRef => {
                if let Some(x) = self.tx_mut() {
                    x.bank_ref = t.into();
                }
            }
            TxRule::StructuredRef => {
                if let Some(x) = self.tx_mut() {
                    if x.structured_ref.is_none() {
                        // Whitespace removed; ASCII without any is taken as it is.
                        let r: CompactString = if t.bytes().all(|b| b.is_ascii_graphic()) {
                            t.into()
                        } else {
                            t.chars().filter(|c| !c.is_whitespace()).collect()
                        };
                        x.structured_ref = Some(r).filter(|r| !r.is_empty());
                    }
                }
            }
            TxRule::Unstructured => {
                if let Some(x) = self.tx_mut() {
                    if !t.is_empty() {
                        if !x.ustrd.is_empty() {
                            x.ustrd.push(' ');
                        }
                        x.ustrd.push_str(t);
                    }
                }
            }
            TxRule::Payer => {
                if let Some(x) = self.tx_mut() {
                    if x.payer.is_empty() {
                        x.payer = t.into();
                    }
                }
            }
        }
    }

    fn amount(&mut self, t: &str, at: usize, field: &str) -> Option<Decimal> {
        match parse_camt_amount(t) {
            Some(v) => Some(v),
            None => {
                self.err_at(at, field, t, "a non-negative decimal with '.' and at most 5 decimals, like 1234.50");
                None
            }
        }
    }

    fn amt(&mut self, t: &str, ccy: Option<&str>, at: usize, field: &str) -> Option<Amt> {
        let value = self.amount(t, at, field)?;
        let ccy = match ccy {
            None => None,
            Some(c) => match currency(c) {
                Ok(c) => Some(c),
                Err(_) => {
                    self.err_at(at, &format!("{field}/@Ccy"), c, "an ISO 4217 currency code like SEK");
                    return None;
                }
            },
        };
        Some(Amt { value, ccy })
    }

    fn direction(&mut self, t: &str, at: usize, field: &str) -> Option<Direction> {
        match t {
            "CRDT" => Some(Direction::Credit),
            "DBIT" => Some(Direction::Debit),
            _ => {
                self.err_at(at, field, t, "CRDT or DBIT");
                None
            }
        }
    }

    fn date(&mut self, t: &str, date_time: bool, at: usize, field: &str) -> Option<NaiveDate> {
        let part = if date_time { t.get(..10).unwrap_or(t) } else { t };
        let ok = !date_time || t.as_bytes().get(10) == Some(&b'T');
        match parse_ymd(part) {
            Some(d) if ok && part.len() == 10 => Some(d),
            _ => {
                let exp = if date_time { "a date-time like 2024-03-01T10:15:00" } else { "a date like 2024-03-01" };
                self.err_at(at, field, t, exp);
                None
            }
        }
    }

    fn finish_stmt(&mut self, s: StmtB) {
        if s.account.is_empty() {
            self.err(s.line, "Acct/Id", "", "an account identifier in Acct/Id/IBAN or Acct/Id/Othr/Id");
        }
        self.check_controls(&s);
        let StmtB { account, currency, opening_opbd, opening_prcd, closing, created, entries, mut txs, .. } = s;
        let most = entries.iter().map(|n| n.txs.len().max(1)).sum();
        self.file.transactions.reserve(most);
        let mut produced = 0usize;
        for mut n in entries {
            if n.had_error {
                continue;
            }
            if !n.booked {
                self.file.skipped_not_booked += 1;
                continue;
            }
            let Some(date) = n.booking.or(n.value_date).or(created).or(self.group_created) else {
                self.err(n.line, "Ntry/BookgDt", "", "a booking date (BookgDt/Dt or BookgDt/DtTm) or a value date");
                continue;
            };
            let own: &mut [TxB] = txs.get_mut(n.txs.clone()).unwrap_or_default();
            let split_amounts = own.len() < 2 || own.iter().all(|x| x.tx_amt.or(x.amt).is_some());
            let mut whole_entry: [TxB; 1];
            let list = if own.is_empty() || !split_amounts {
                whole_entry = [TxB { line: n.line, ..TxB::default() }];
                &mut whole_entry[..]
            } else {
                own
            };
            let batch = list.len() > 1;
            // The strings are taken out of each `TxB`; the rest is copied.
            for (i, x) in list.iter_mut().enumerate() {
                let Some(amt) = x.tx_amt.or(x.amt).or(n.amt) else {
                    self.err(x.line, "Ntry/Amt", "", "an amount (Ntry/Amt or TxDtls/AmtDtls/TxAmt/Amt)");
                    continue;
                };
                let Some(ccy) = amt.ccy.or(currency) else {
                    self.err(x.line, "Ntry/Amt/@Ccy", "", "a Ccy attribute (or Acct/Ccy)");
                    continue;
                };
                let Some(direction) = x.direction.or(n.direction) else {
                    self.err(x.line, "Ntry/CdtDbtInd", "", "CRDT or DBIT");
                    continue;
                };
                let own_ref = !x.bank_ref.is_empty();
                let bank_ref = match (own_ref, batch) {
                    (true, _) => std::mem::take(&mut x.bank_ref),
                    (false, true) => n.bank_ref.clone(),
                    (false, false) => std::mem::take(&mut n.bank_ref),
                };
                let structured_ref = x.structured_ref.take().unwrap_or_default();
                // The lines are trimmed and not empty: joined, they need no
                // trimming again.
                let unstructured = std::mem::take(&mut x.ustrd);
                let mut t = BankTransaction {
                    payment_id: CompactString::default(),
                    key: String::new(),
                    source: Source { file: String::new(), line: x.line },
                    account: account.clone(),
                    bank_ref,
                    booking_date: date,
                    amount: Money::new(amt.value, ccy),
                    direction,
                    reversal: n.reversal,
                    structured_ref,
                    unstructured,
                    payer: std::mem::take(&mut x.payer),
                };
                // TxDtls of one batch entry may share the entry's reference.
                t.key = self.key(&t, (batch && !own_ref).then_some(i));
                t.payment_id = payment_id(&t.key);
                self.file.transactions.push(t);
                produced += 1;
            }
        }
        self.file.statements.push(Statement {
            account: account.into_string(),
            currency,
            opening: opening_opbd.or(opening_prcd).map(|b| b.signed),
            closing: closing.map(|b| b.signed),
            entries: produced,
        });
    }

    /// The idempotency key (see the module doc): with a bank reference
    /// `{account}|{bank_ref}|{date}|{direction}|{amount}` (+ `|tx{i}` for
    /// the `i`th `TxDtls` of a batch sharing the entry's reference), else
    /// `{account}|{date}|{direction}|{amount}|{structured}|{unstructured}|{n}`.
    fn key(&mut self, t: &BankTransaction, batch_index: Option<usize>) -> String {
        let dir = match t.direction {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        };
        let mut key = String::with_capacity(
            t.account.len() + t.bank_ref.len() + t.structured_ref.len() + t.unstructured.len() + 64,
        );
        key.push_str(&t.account);
        key.push('|');
        if !t.bank_ref.is_empty() {
            key.push_str(&t.bank_ref);
            key.push('|');
        }
        push_date(&mut key, t.booking_date);
        key.push('|');
        key.push_str(dir);
        key.push('|');
        push_canonical(&mut key, t.amount.amount());
        if t.bank_ref.is_empty() {
            key.push('|');
            key.push_str(&t.structured_ref);
            key.push('|');
            key.push_str(&t.unstructured);
            let seen = match self.key_counts.get_mut(&key) {
                Some(seen) => seen,
                None => self.key_counts.entry(key.clone()).or_insert(0),
            };
            *seen += 1;
            let _ = write!(key, "|{}", *seen - 1);
        } else if let Some(i) = batch_index {
            let _ = write!(key, "|tx{i}");
        }
        key
    }

    /// The statement's own control figures against its entries (see the
    /// module doc, "Control totals"). Each mismatch is an error on the line of
    /// the figure.
    fn check_controls(&mut self, s: &StmtB) {
        if s.paged || self.group_paged || s.entries.iter().any(|n| n.had_error) {
            return;
        }
        let sm = &s.summary;
        let all: Vec<&NtryB> = s.entries.iter().collect();
        let credits: Vec<&NtryB> = all.iter().copied().filter(|n| n.direction == Some(Direction::Credit)).collect();
        let debits: Vec<&NtryB> = all.iter().copied().filter(|n| n.direction == Some(Direction::Debit)).collect();
        let dirs_known = all.iter().all(|n| n.direction.is_some());
        let ccys: Vec<Option<Currency>> = {
            let mut v: Vec<Option<Currency>> = all.iter().map(|n| n.amt.and_then(|a| a.ccy).or(s.currency)).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        // A sum over several currencies means nothing we can check.
        let sums_known = all.iter().all(|n| n.amt.is_some()) && ccys.len() <= 1;
        let total = |ns: &[&NtryB]| -> Option<Decimal> {
            ns.iter().try_fold(Decimal::ZERO, |acc, n| acc.checked_add(n.amt?.value))
        };

        self.check_count(sm.all.nb.as_ref(), all.len(), "entries");
        if dirs_known {
            self.check_count(sm.cdt.nb.as_ref(), credits.len(), "credit entries (CdtDbtInd CRDT)");
            self.check_count(sm.dbt.nb.as_ref(), debits.len(), "debit entries (CdtDbtInd DBIT)");
        }
        if sums_known {
            self.check_sum(sm.all.sum.as_ref(), total(&all), all.len(), "entries");
        }
        if sums_known && dirs_known {
            let (c, d) = (total(&credits), total(&debits));
            self.check_sum(sm.cdt.sum.as_ref(), c, credits.len(), "credit entries");
            self.check_sum(sm.dbt.sum.as_ref(), d, debits.len(), "debit entries");
            if let (Some(fig), Some(c), Some(d)) = (sm.net.as_ref(), c, d) {
                if let Some(found) = parse_decimal_number(&fig.text) {
                    // ISO 20022: without CdtDbtInd (a zero amount) the net is a credit.
                    let dir = sm.net_dir.unwrap_or(Direction::Credit);
                    let found = if dir == Direction::Debit { -found } else { found };
                    let want = c - d;
                    if found != want {
                        self.err(
                            fig.line,
                            fig.field,
                            &fmt_cd(found),
                            &format!(
                                "{} = credits {c} - debits {d} of the statement's {} entries",
                                fmt_cd(want),
                                all.len()
                            ),
                        );
                    }
                } else {
                    self.bad_decimal(fig);
                }
            }
        }
        self.check_balances(s);
    }

    fn check_count(&mut self, fig: Option<&Fig>, n: usize, what: &str) {
        let Some(fig) = fig else { return };
        let ok = !fig.text.is_empty() && fig.text.len() <= 15 && fig.text.bytes().all(|b| b.is_ascii_digit());
        match fig.text.parse::<u64>() {
            Ok(found) if ok => {
                if u64::try_from(n).ok() != Some(found) {
                    self.err(fig.line, fig.field, &fig.text, &format!("{n} = the number of {what} in the statement"));
                }
            }
            _ => self.err(fig.line, fig.field, &fig.text, "a number of entries (1 to 15 digits)"),
        }
    }

    fn check_sum(&mut self, fig: Option<&Fig>, want: Option<Decimal>, n: usize, what: &str) {
        let (Some(fig), Some(want)) = (fig, want) else { return };
        match parse_decimal_number(&fig.text) {
            Some(found) if found == want => {}
            Some(_) => self.err(
                fig.line,
                fig.field,
                &fig.text,
                &format!("{want} = the sum of the amounts of the statement's {n} {what}"),
            ),
            None => self.bad_decimal(fig),
        }
    }

    fn bad_decimal(&mut self, fig: &Fig) {
        self.err(fig.line, fig.field, &fig.text, "a decimal number with '.', like 1234.50");
    }

    /// Opening (`OPBD`, else `PRCD`) + booked credits - booked debits =
    /// closing (`CLBD`), when both balances are there in one currency.
    fn check_balances(&mut self, s: &StmtB) {
        let (opening, code) = match (s.opening_opbd, s.opening_prcd) {
            (Some(b), _) => (b, "OPBD"),
            (None, Some(b)) => (b, "PRCD"),
            (None, None) => return,
        };
        let Some(closing) = s.closing else { return };
        let ccy = opening.ccy.or(s.currency);
        if ccy != closing.ccy.or(s.currency) {
            return;
        }
        let (mut cr, mut db, mut n) = (Decimal::ZERO, Decimal::ZERO, 0usize);
        let (mut foreign_cr, mut foreign_db) = (Vec::new(), Vec::new());
        for e in &s.entries {
            if !e.booked {
                continue;
            }
            let (Some(a), Some(dir)) = (e.amt, e.direction) else { return };
            let e_ccy = a.ccy.or(s.currency).or(ccy);
            if e_ccy != ccy {
                let name = e_ccy.map(|c| c.to_string()).unwrap_or_default();
                if dir == Direction::Credit {
                    foreign_cr.push(name);
                } else {
                    foreign_db.push(name);
                }
                continue;
            }
            let sum = if dir == Direction::Credit { &mut cr } else { &mut db };
            let Some(v) = sum.checked_add(a.value) else { return };
            *sum = v;
            n += 1;
        }
        let Some(want) = opening.signed.checked_add(cr).and_then(|x| x.checked_sub(db)) else { return };
        let found = closing.signed;
        let unit = ccy.map(|c| format!(" {c}")).unwrap_or_default();
        let how =
            format!("{code} {}{unit} + booked credits {cr} - booked debits {db} ({n} entries)", fmt_cd(opening.signed));
        let foreign = |v: &mut Vec<String>| {
            v.sort();
            v.dedup();
            v.join(", ")
        };
        let expected = match (foreign_cr.is_empty(), foreign_db.is_empty()) {
            (true, true) if found != want => format!("{}{unit} = {how}", fmt_cd(want)),
            // Entries in another currency cannot be converted; they can only
            // move the closing balance one way.
            (true, false) if found > want => format!(
                "at most {}{unit} = {how}, less debits in {} that cannot be converted",
                fmt_cd(want),
                foreign(&mut foreign_db)
            ),
            (false, true) if found < want => format!(
                "at least {}{unit} = {how}, plus credits in {} that cannot be converted",
                fmt_cd(want),
                foreign(&mut foreign_cr)
            ),
            _ => return,
        };
        self.err(closing.line, "Bal CLBD", &format!("{}{unit}", fmt_cd(found)), &expected);
    }
}

/// The local name of a tag name: everything after the first `:`.
fn local_name(name: &str) -> &str {
    name.split_once(':').map_or(name, |(_, local)| local)
}

/// Appends a date as `NaiveDate`'s `Display` writes it (`2024-03-01`),
/// without the formatting machinery for the usual four-digit years.
fn push_date(out: &mut String, d: NaiveDate) {
    use chrono::Datelike;
    let Ok(y) = u32::try_from(d.year()) else {
        let _ = write!(out, "{d}");
        return;
    };
    if y > 9999 {
        let _ = write!(out, "{d}");
        return;
    }
    // Two digits of `v` (below 100).
    let two = |out: &mut String, v: u32| {
        out.push(char::from(b'0' + (v / 10) as u8));
        out.push(char::from(b'0' + (v % 10) as u8));
    };
    two(out, y / 100);
    two(out, y % 100);
    out.push('-');
    two(out, d.month());
    out.push('-');
    two(out, d.day());
}

/// Appends `canonical(d)` (the amount as keys write it: trailing zeros
/// dropped, at least two decimals), built from the digits for the usual
/// amounts (non-negative, at most 20 digits; camt amounts have at most 18)
/// instead of normalizing and formatting a `Decimal`. The test
/// `push_canonical_is_canonical` holds it to `canonical`.
fn push_canonical(out: &mut String, d: Decimal) {
    let (mut mantissa, mut scale) = (d.mantissa(), d.scale());
    if d.is_sign_negative() || !(0..100_000_000_000_000_000_000).contains(&mantissa) {
        out.push_str(&canonical(d));
        return;
    }
    while scale > 2 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    while scale < 2 {
        mantissa *= 10;
        scale += 1;
    }
    // Digits from the right, with the point `scale` digits in and at least
    // one digit before it.
    let mut buf = [0u8; 64];
    let mut pos = buf.len();
    let mut written = 0;
    while mantissa > 0 || written <= scale {
        if written == scale && written > 0 {
            pos -= 1;
            buf[pos] = b'.';
        }
        pos -= 1;
        buf[pos] = b'0' + (mantissa % 10) as u8;
        mantissa /= 10;
        written += 1;
    }
    out.push_str(std::str::from_utf8(buf.get(pos..).unwrap_or_default()).unwrap_or_default());
}

/// true if a pagination leaf (`PgNb`, `LastPgInd`) shows that its message or
/// statement is not the only page: a page number other than 1, or not the
/// last page.
fn other_page(leaf: Tag, t: &str) -> bool {
    match leaf {
        Tag::PgNb => t.parse::<u64>().ok() != Some(1),
        Tag::LastPgInd => matches!(t, "false" | "0"),
        _ => false,
    }
}

/// A signed amount in camt terms: `343174.12 DBIT`, `10.00 CRDT`.
fn fmt_cd(d: Decimal) -> String {
    if d.is_sign_negative() && !d.is_zero() {
        format!("{} DBIT", -d)
    } else {
        format!("{} CRDT", d.abs())
    }
}

/// An ISO 20022 `DecimalNumber` (control sums): optional `-`, digits,
/// optionally `.` and decimals; at most 18 digits.
fn parse_decimal_number(t: &str) -> Option<Decimal> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(body.contains('.') && frac.is_empty())
        && int.len() + frac.len() <= 18;
    if !ok {
        return None;
    }
    let v = Decimal::from_str(body).ok()?;
    Some(if neg { -v } else { v })
}

/// A camt amount: digits, optionally `.` and 1 to 5 decimals; no sign, no
/// exponent, no thousands separator, at most 18 digits (the schema's limit).
/// Read in one pass over the bytes; the value and scale are the ones
/// `Decimal::from_str` gives (the property test
/// `fast_paths_match_the_generic_parsers` holds it to that).
fn parse_camt_amount(t: &str) -> Option<Decimal> {
    let mut mantissa = 0i64;
    let mut digits = 0usize;
    // Digits before the `.`, once it is read.
    let mut int_digits = None;
    for &c in t.as_bytes() {
        match c {
            // At most 18 digits: they fit an i64 mantissa.
            b'0'..=b'9' if digits < 18 => {
                mantissa = mantissa * 10 + i64::from(c - b'0');
                digits += 1;
            }
            b'.' if int_digits.is_none() => int_digits = Some(digits),
            _ => return None,
        }
    }
    let int_len = int_digits.unwrap_or(digits);
    let frac_len = digits - int_len;
    if int_len == 0 || (int_digits.is_some() && frac_len == 0) || frac_len > 5 {
        return None;
    }
    Decimal::try_new(mantissa, u32::try_from(frac_len).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse_camt_amount` as it was written before the one-pass reader:
    /// the rules spelled out, for the property test.
    fn reference_camt_amount(t: &str) -> Option<Decimal> {
        let dot = t.bytes().position(|b| b == b'.');
        let (int, frac) = dot.map_or((t, ""), |i| (t.get(..i).unwrap_or_default(), t.get(i + 1..).unwrap_or_default()));
        let ok = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 5
            && !(dot.is_some() && frac.is_empty())
            && int.len() + frac.len() <= 18;
        if !ok {
            return None;
        }
        Decimal::from_str(t).ok()
    }

    #[test]
    fn declared_iso_8859_1_and_windows_1252_are_decoded() {
        let doc = |enc: &str, name: &[u8]| -> Vec<u8> {
            let mut v = format!(
                "<?xml version=\"1.0\" encoding=\"{enc}\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Acct><Id><IBAN>SE45</IBAN></Id></Acct><Ntry><Amt Ccy=\"SEK\">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-01-02</Dt></BookgDt><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>"
            )
            .into_bytes();
            v.extend_from_slice(name);
            v.extend_from_slice(
                b"</Nm></Dbtr></RltdPties></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>\n",
            );
            v
        };
        let latin1 = parse(&doc("ISO-8859-1", b"\xC5sa \xD6berg")).unwrap();
        assert_eq!(latin1.transactions[0].payer, "Åsa Öberg");
        let cp1252 = parse(&doc("windows-1252", b"Per \x96 \x80")).unwrap();
        assert_eq!(cp1252.transactions[0].payer, "Per – €");
        // Without a declaration the bytes must be UTF-8.
        let bad = parse(&doc("UTF-8", b"\xC5sa")).unwrap_err();
        assert_eq!((bad[0].line, bad[0].field.as_str()), (2, "encoding"));
    }
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// 1-based line of the `nth` (0-based) occurrence of `needle`.
    fn line_in(doc: &str, needle: &str, nth: usize) -> u32 {
        let pos = doc.match_indices(needle).nth(nth).map(|(i, _)| i).expect("needle present");
        line_of(doc.as_bytes(), pos)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const V02: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-15T22:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <CreDtTm>2024-03-15T22:00:00</CreDtTm>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="SEK">1175.25</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2024-03-15</Dt></Dt>
      </Bal>
      <Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id><Ccy>SEK</Ccy></Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="SEK">1000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2024-03-15</Dt></Dt>
      </Bal>
      <Ntry>
        <Amt Ccy="SEK">300.50</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2024-03-15</Dt></BookgDt>
        <ValDt><Dt>2024-03-16</Dt></ValDt>
        <AcctSvcrRef>NTRY-1</AcctSvcrRef>
        <BkTxCd/>
        <NtryDtls>
          <Btch><NbOfTxs>2</NbOfTxs></Btch>
          <TxDtls>
            <Refs><AcctSvcrRef>TX-1a</AcctSvcrRef><EndToEndId>E2E</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="SEK">100.00</Amt></TxAmt></AmtDtls>
            <RltdPties><Dbtr><Nm> Anna Andersson </Nm></Dbtr><Cdtr><Nm>Agency</Nm></Cdtr></RltdPties>
            <RmtInf>
              <Ustrd> Faktura 1 </Ustrd>
              <Ustrd>och 2</Ustrd>
              <Strd><CdtrRefInf><Ref>1000 000 74</Ref></CdtrRefInf></Strd>
              <Strd><CdtrRefInf><Ref>999</Ref></CdtrRefInf></Strd>
            </RmtInf>
          </TxDtls>
          <TxDtls>
            <AmtDtls><InstdAmt><Amt Ccy="EUR">17.00</Amt></InstdAmt><TxAmt><Amt Ccy="SEK">200.50</Amt></TxAmt></AmtDtls>
            <RmtInf><Strd><CdtrRefInf><Ref>100000181</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Amt Ccy="SEK">50</Amt>
        <RvslInd>true</RvslInd>
        <Sts>BOOK</Sts>
        <BookgDt><DtTm>2024-03-15T13:15:00+01:00</DtTm></BookgDt>
      </Ntry>
      <Ntry>
        <Amt Ccy="SEK">75.25</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <ValDt><Dt>2024-03-14</Dt></ValDt>
        <NtryDtls><TxDtls><RmtInf><Ustrd>Bankavgift</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="SEK">999.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>PDNG</Sts>
        <BookgDt><Dt>2024-03-15</Dt></BookgDt>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"#;

    #[test]
    fn reads_a_v02_statement_field_by_field() {
        let f = parse(V02.as_bytes()).unwrap();
        assert_eq!(f.format, "camt.053.001.02");
        assert_eq!(f.skipped_not_booked, 1);
        assert_eq!(
            f.statements,
            vec![Statement {
                account: "SE4550000000058398257466".into(),
                currency: Some(Currency::SEK),
                opening: Some(dec!(1000.00)),
                closing: Some(dec!(1175.25)),
                entries: 4,
            }]
        );
        let t = &f.transactions;
        assert_eq!(t.len(), 4);
        let acct = "SE4550000000058398257466";

        // Batch entry, first TxDtls: its own bank reference, first Strd ref only.
        assert_eq!(t[0].source, Source { file: String::new(), line: line_in(V02, "<TxDtls>", 0) });
        assert_eq!(t[0].account, acct);
        assert_eq!(t[0].bank_ref, "TX-1a");
        assert_eq!(t[0].booking_date, d("2024-03-15"));
        assert_eq!(t[0].amount, Money::new(dec!(100.00), Currency::SEK));
        assert_eq!(t[0].direction, Direction::Credit);
        assert!(!t[0].reversal);
        assert_eq!(t[0].structured_ref, "100000074");
        assert_eq!(t[0].unstructured, "Faktura 1 och 2");
        assert_eq!(t[0].payer, "Anna Andersson");
        assert_eq!(t[0].key, format!("{acct}|TX-1a|2024-03-15|credit|100.00"));

        // Second TxDtls: TxAmt (not InstdAmt), the entry's bank reference.
        assert_eq!(t[1].source.line, line_in(V02, "<TxDtls>", 1));
        assert_eq!(t[1].bank_ref, "NTRY-1");
        assert_eq!(t[1].amount, Money::new(dec!(200.50), Currency::SEK));
        assert_eq!(t[1].structured_ref, "100000181");
        assert_eq!((t[1].unstructured.as_str(), t[1].payer.as_str()), ("", ""));
        assert_eq!(t[1].key, format!("{acct}|NTRY-1|2024-03-15|credit|200.50|tx1"));

        // Reversal without TxDtls or bank reference; date from BookgDt/DtTm.
        assert_eq!(t[2].source.line, line_in(V02, "<Ntry>", 1));
        assert_eq!(t[2].bank_ref, "");
        assert_eq!(t[2].booking_date, d("2024-03-15"));
        assert_eq!(t[2].amount, Money::new(dec!(50), Currency::SEK));
        assert_eq!(t[2].direction, Direction::Debit);
        assert!(t[2].reversal);
        assert_eq!(t[2].key, format!("{acct}|2024-03-15|debit|50.00|||0"));

        // Debit with Ustrd only; booking date falls back to ValDt.
        assert_eq!(t[3].source.line, line_in(V02, "<TxDtls>", 2));
        assert_eq!(t[3].booking_date, d("2024-03-14"));
        assert_eq!(t[3].amount, Money::new(dec!(75.25), Currency::SEK));
        assert_eq!(t[3].direction, Direction::Debit);
        assert_eq!(t[3].unstructured, "Bankavgift");
        assert_eq!(t[3].structured_ref, "");
        assert_eq!(t[3].key, format!("{acct}|2024-03-14|debit|75.25||Bankavgift|0"));

        for x in t {
            assert_eq!(x.payment_id, payment_id(&x.key));
            assert_eq!(x.payment_id.len(), 17);
            assert!(x.payment_id.starts_with('P'));
            assert!(x.payment_id[1..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        }
    }

    #[test]
    fn same_file_twice_gives_same_keys_and_duplicates_get_positions() {
        let a = parse(V02.as_bytes()).unwrap();
        let b = parse(V02.as_bytes()).unwrap();
        let keys = |f: &BankFile| f.transactions.iter().map(|t| t.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&a), keys(&b));

        // Two identical entries without bank reference: positions 0 and 1.
        let ntry = "<Ntry><Amt Ccy=\"SEK\">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
                    <BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry>";
        let doc = wrap("camt.053.001.02", &format!("{ntry}{ntry}"));
        let f = parse(doc.as_bytes()).unwrap();
        assert_eq!(f.transactions[0].key, "ACC|2024-01-02|credit|10.00|||0");
        assert_eq!(f.transactions[1].key, "ACC|2024-01-02|credit|10.00|||1");
        assert_ne!(f.transactions[0].payment_id, f.transactions[1].payment_id);
    }

    fn wrap(format: &str, entries: &str) -> String {
        format!(
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:{format}\"><BkToCstmrStmt><Stmt>\
             <Acct><Id><Othr><Id>ACC</Id></Othr></Id></Acct>{entries}</Stmt></BkToCstmrStmt></Document>"
        )
    }

    #[test]
    fn reads_v08_with_prefixes_bom_and_crlf() {
        let doc = "\u{feff}<?xml version=\"1.0\"?>\r\n\
<c:Document xmlns:c=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">\r\n\
<c:BkToCstmrDbtCdtNtfctn><c:Ntfctn>\r\n\
<c:Acct><c:Id><c:Othr><c:Id>5050-1055</c:Id></c:Othr></c:Id></c:Acct>\r\n\
<c:Ntry>\r\n\
<c:Amt Ccy=\"SEK\">9.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd>\r\n\
<c:Sts><c:Cd>BOOK</c:Cd></c:Sts>\r\n\
<c:BookgDt><c:DtTm>2024-05-02T00:10:00+02:00</c:DtTm></c:BookgDt>\r\n\
<c:AcctSvcrRef>R-1</c:AcctSvcrRef>\r\n\
<c:NtryDtls><c:TxDtls>\r\n\
<c:Amt Ccy=\"SEK\">9.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd>\r\n\
<c:RltdPties><c:Dbtr><c:Pty><c:Nm>Sm&#229;land &amp; Co</c:Nm></c:Pty></c:Dbtr></c:RltdPties>\r\n\
<c:RmtInf><c:Strd><c:CdtrRefInf><c:Ref>RF18 5390 0754 7034</c:Ref></c:CdtrRefInf></c:Strd></c:RmtInf>\r\n\
</c:TxDtls></c:NtryDtls></c:Ntry>\r\n\
<c:Ntry><c:Amt Ccy=\"SEK\">1.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts><c:Cd>INFO</c:Cd></c:Sts></c:Ntry>\r\n\
</c:Ntfctn></c:BkToCstmrDbtCdtNtfctn></c:Document>\r\n";
        let f = parse(doc.as_bytes()).unwrap();
        assert_eq!(f.format, "camt.054.001.08");
        assert_eq!(f.skipped_not_booked, 1);
        assert_eq!(f.statements.len(), 1);
        assert_eq!(f.statements[0].entries, 1);
        assert_eq!(f.statements[0].currency, None);
        let t = &f.transactions[0];
        assert_eq!(t.account, "5050-1055");
        assert_eq!(t.source.line, 10);
        assert_eq!(t.booking_date, d("2024-05-02"));
        assert_eq!(t.amount, Money::new(dec!(9.00), Currency::SEK));
        assert_eq!(t.payer, "Småland & Co");
        assert_eq!(t.structured_ref, "RF18539007547034");
        assert_eq!(t.bank_ref, "R-1");
        assert_eq!(t.key, "5050-1055|R-1|2024-05-02|credit|9.00");
    }

    #[test]
    fn five_decimals_are_accepted_six_are_not() {
        let ok = wrap(
            "camt.052.001.02",
            "<Ntry><Amt Ccy=\"EUR\">5442.09000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry>",
        );
        let f = parse(ok.as_bytes()).unwrap();
        assert_eq!(f.transactions[0].amount.amount(), dec!(5442.09));
        assert!(f.transactions[0].key.ends_with("|5442.09|||0"));
        assert_eq!(parse_camt_amount("1.123456"), None);
        for bad in ["", "-1.00", "+1", "1,00", "1 000", "1e3", ".5", "1.", "NaN", "1234567890123456789"] {
            assert_eq!(parse_camt_amount(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bad_values_are_all_reported_with_line_and_field() {
        let doc = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n\
<BkToCstmrStmt><Stmt><Acct><Id><IBAN>SE45</IBAN></Id></Acct>\n\
<Ntry>\n\
<Amt Ccy=\"SEK\">12,50</Amt>\n\
<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\n\
<BookgDt><Dt>2024-02-30</Dt></BookgDt>\n\
</Ntry>\n\
<Ntry><Amt Ccy=\"sek\">1.00</Amt><CdtDbtInd>CREDIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-02-01</Dt></BookgDt></Ntry>\n\
</Stmt></BkToCstmrStmt></Document>";
        let errs = parse(doc.as_bytes()).unwrap_err();
        let got: Vec<(u32, &str, &str)> = errs.iter().map(|e| (e.line, e.field.as_str(), e.value.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (4, "Ntry/Amt", "12,50"),
                (6, "Ntry/BookgDt/Dt", "2024-02-30"),
                (8, "Ntry/Amt/@Ccy", "sek"),
                (8, "Ntry/CdtDbtInd", "CREDIT"),
            ]
        );
        assert!(errs[0].expected.contains("decimal"));
        assert!(errs.iter().all(|e| e.file.is_empty()));
    }

    #[test]
    fn doctype_and_entities_are_refused() {
        let doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE Document [<!ENTITY x \"boom\">]>\n\
<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt/></Document>";
        let errs = parse(doc.as_bytes()).unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (2, "DOCTYPE"));
        let doc = wrap("camt.053.001.02", "<Ntry><AcctSvcrRef>&x;</AcctSvcrRef></Ntry>");
        let errs = parse(doc.as_bytes()).unwrap_err();
        assert_eq!(errs[0].value, "&x;");
    }

    #[test]
    fn wrong_documents_are_errors() {
        let truncated = &V02[..V02.find("<Ntry>").unwrap() + "<Ntry>".len()];
        let errs = parse(truncated.as_bytes()).unwrap_err();
        assert!(errs[0].expected.contains("truncated"), "{errs:?}");
        assert_eq!((errs[0].line, errs[0].field.as_str()), (line_in(V02, "<Ntry>", 0), "Ntry"));
        let cut_in_tag = &V02[..V02.find("<Ntry>").unwrap() + 3];
        assert_eq!(parse(cut_in_tag.as_bytes()).unwrap_err()[0].field, "xml");
        for doc in [
            "",
            "not xml",
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"/>",
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.09\"/>",
            "<Foo xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"/>",
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053é.001\"/>",
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001é2\"/>",
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><a></b></Document>",
        ] {
            assert!(parse(doc.as_bytes()).is_err(), "{doc:?}");
        }
        assert!(parse(b"<Document \xff\xfe>").is_err());
        // Missing account is an error, not an empty string.
        let doc = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt>\
                   </Stmt></BkToCstmrStmt></Document>";
        assert_eq!(parse(doc.as_bytes()).unwrap_err()[0].field, "Acct/Id");
    }

    #[test]
    fn batch_without_own_amounts_is_one_transaction() {
        let doc = wrap(
            "camt.054.001.02",
            "<Ntry><Amt Ccy=\"SEK\">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>2024-01-02</Dt></BookgDt><NtryDtls>\
             <TxDtls><RmtInf><Ustrd>a</Ustrd></RmtInf></TxDtls>\
             <TxDtls><RmtInf><Ustrd>b</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
        );
        let f = parse(doc.as_bytes()).unwrap();
        assert_eq!(f.transactions.len(), 1);
        assert_eq!(f.transactions[0].amount.amount(), dec!(30.00));
        assert_eq!(f.transactions[0].unstructured, "");
    }

    /// No rule reads an element whose tag is not `Tag::is_read` (paths of
    /// up to four tags below a context; the pagination rules only change
    /// anything for `PgNb` and `LastPgInd`).
    #[test]
    fn only_read_tags_have_rules() {
        use Tag::*;
        let all = [
            Document,
            BkToCstmr,
            Stmt,
            Pgntn,
            GrpHdr,
            MsgPgntn,
            PgNb,
            LastPgInd,
            CreDtTm,
            Acct,
            Id,
            Iban,
            Othr,
            Ccy,
            Bal,
            Tp,
            CdOrPrtry,
            Cd,
            Prtry,
            Amt,
            CdtDbtInd,
            TxsSummry,
            TtlNtries,
            TtlCdtNtries,
            TtlDbtNtries,
            NbOfNtries,
            Sum,
            TtlNetNtryAmt,
            TtlNetNtry,
            Ntry,
            RvslInd,
            Sts,
            BookgDt,
            ValDt,
            Dt,
            DtTm,
            AcctSvcrRef,
            TxDtls,
            Refs,
            AmtDtls,
            TxAmt,
            RmtInf,
            Strd,
            CdtrRefInf,
            Ref,
            Ustrd,
            RltdPties,
            Dbtr,
            Pty,
            Nm,
            Other,
        ];
        // Every path of up to three tags, as the prefix of a leaf.
        let mut level: Vec<Vec<Tag>> = vec![vec![]];
        let mut paths = level.clone();
        for _ in 0..3 {
            level = level.iter().flat_map(|p| all.iter().map(move |&t| [p.as_slice(), &[t]].concat())).collect();
            paths.extend(level.iter().cloned());
        }
        for last in all.into_iter().filter(|t| !t.is_read()) {
            for prefix in &paths {
                let path = [prefix.as_slice(), &[last]].concat();
                assert!(TxRule::of(&path).is_none(), "{path:?}");
                assert!(NtryRule::of(&path).is_none(), "{path:?}");
                assert!(BalRule::of(&path).is_none(), "{path:?}");
                assert!(!matches!(StmtRule::of(&path), Some(r) if !matches!(r, StmtRule::Page(_))), "{path:?}");
                assert!(!matches!(GroupRule::of(&path), Some(r) if !matches!(r, GroupRule::Page(_))), "{path:?}");
            }
            assert!(!other_page(last, "2") && !other_page(last, "false"));
        }
    }

    #[test]
    fn newlines_are_counted() {
        for n in [0, 1, 15, 16, 17, 255 * 16 - 1, 255 * 16, 255 * 16 + 17, 10_000] {
            for pattern in [&b"\n"[..], b"a\n", b"ab\ncd\n\n", b"xyz"] {
                let bytes: Vec<u8> = pattern.iter().copied().cycle().take(n).collect();
                assert_eq!(count_newlines(&bytes), bytes.iter().filter(|&&b| b == b'\n').count(), "{n} {pattern:?}");
            }
        }
    }

    #[test]
    fn sniff_recognises_camt_only() {
        assert!(sniff(V02.as_bytes()));
        assert!(!sniff(b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"/>"));
        assert!(!sniff(b""));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = V02.as_bytes();
        let end = V02.rfind("</Document>").unwrap();
        for i in 0..end {
            assert!(parse(&bytes[..i]).is_err(), "prefix of {i} bytes parsed");
        }
    }

    /// A camt.053 v02 statement: OPBD 1000.00 SEK, entries +300.50, -50,
    /// +125.00 (PDNG), -75.25, CLBD 1175.25; the summary counts all 4
    /// entries (sum 550.75), net +300.25, 2 credits 425.50, 2 debits 125.25.
    const CTL: &str = r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><Stmt>
<Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id><Ccy>SEK</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
<Amt Ccy="SEK">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
<Amt Ccy="SEK">1175.25</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<TxsSummry>
<TtlNtries>
<NbOfNtries>4</NbOfNtries>
<Sum>550.75</Sum>
<TtlNetNtryAmt>300.25</TtlNetNtryAmt>
<CdtDbtInd>CRDT</CdtDbtInd>
</TtlNtries>
<TtlCdtNtries><NbOfNtries>2</NbOfNtries><Sum>425.50</Sum></TtlCdtNtries>
<TtlDbtNtries><NbOfNtries>2</NbOfNtries><Sum>125.25</Sum></TtlDbtNtries>
</TxsSummry>
<Ntry><Amt Ccy="SEK">300.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-03-15</Dt></BookgDt></Ntry>
<Ntry><Amt Ccy="SEK">50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-03-15</Dt></BookgDt></Ntry>
<Ntry><Amt Ccy="SEK">125.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts><BookgDt><Dt>2024-03-15</Dt></BookgDt></Ntry>
<Ntry><Amt Ccy="SEK">75.25</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-03-15</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>
"#;

    /// `CTL` with the `nth` occurrence of `from` replaced by `to`.
    fn ctl_with(from: &str, to: &str, nth: usize) -> String {
        let pos = CTL.match_indices(from).nth(nth).map(|(i, _)| i).expect("needle present");
        format!("{}{to}{}", &CTL[..pos], &CTL[pos + from.len()..])
    }

    /// (line, field, value, expected) of the one error `doc` gives.
    fn one_error(doc: &str) -> (u32, String, String, String) {
        let errs = parse(doc.as_bytes()).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        let e = &errs[0];
        (e.line, e.field.clone(), e.value.clone(), e.expected.clone())
    }

    #[test]
    fn consistent_control_totals_pass() {
        let f = parse(CTL.as_bytes()).unwrap();
        assert_eq!(f.transactions.len(), 3);
        assert_eq!(f.skipped_not_booked, 1);
        assert_eq!((f.statements[0].opening, f.statements[0].closing), (Some(dec!(1000.00)), Some(dec!(1175.25))));
        // v08 spelling of the net: TtlNetNtry/Amt + TtlNetNtry/CdtDbtInd.
        let v08 = CTL.replace("camt.053.001.02", "camt.053.001.08").replace(
            "<TtlNetNtryAmt>300.25</TtlNetNtryAmt>\n<CdtDbtInd>CRDT</CdtDbtInd>",
            "<TtlNetNtry><Amt>300.250</Amt><CdtDbtInd>CRDT</CdtDbtInd></TtlNetNtry>",
        );
        assert!(v08.contains("<TtlNetNtry>"));
        parse(v08.as_bytes()).unwrap();
        // PRCD stands in for a missing OPBD.
        parse(ctl_with("OPBD", "PRCD", 0).as_bytes()).unwrap();
        // Without a summary or an opening balance nothing is compared.
        let bare = CTL.replace("<Cd>OPBD</Cd>", "<Cd>OPAV</Cd>").replace("<Sum>550.75</Sum>", "");
        parse(bare.as_bytes()).unwrap();
    }

    #[test]
    fn wrong_entry_count_is_an_error() {
        let doc = ctl_with("<NbOfNtries>4</NbOfNtries>", "<NbOfNtries>5</NbOfNtries>", 0);
        let (line, field, value, expected) = one_error(&doc);
        assert_eq!(
            (line, field.as_str(), value.as_str()),
            (line_in(CTL, "<NbOfNtries>", 0), "TxsSummry/TtlNtries/NbOfNtries", "5")
        );
        assert!(expected.starts_with("4 = the number of entries"), "{expected}");
        let doc = ctl_with("<NbOfNtries>2</NbOfNtries>", "<NbOfNtries>3</NbOfNtries>", 1);
        let (line, field, value, expected) = one_error(&doc);
        assert_eq!(
            (line, field.as_str(), value.as_str()),
            (line_in(CTL, "<TtlDbtNtries>", 0), "TxsSummry/TtlDbtNtries/NbOfNtries", "3")
        );
        assert!(expected.starts_with("2 = the number of debit entries"), "{expected}");
        let doc = ctl_with("<NbOfNtries>4</NbOfNtries>", "<NbOfNtries>four</NbOfNtries>", 0);
        let (_, field, value, expected) = one_error(&doc);
        assert_eq!((field.as_str(), value.as_str()), ("TxsSummry/TtlNtries/NbOfNtries", "four"));
        assert!(expected.contains("number of entries"));
    }

    #[test]
    fn wrong_sum_is_an_error() {
        let doc = ctl_with("<Sum>550.75</Sum>", "<Sum>550.57</Sum>", 0);
        let (line, field, value, expected) = one_error(&doc);
        assert_eq!(
            (line, field.as_str(), value.as_str()),
            (line_in(CTL, "<Sum>", 0), "TxsSummry/TtlNtries/Sum", "550.57")
        );
        assert!(expected.starts_with("550.75 = the sum of the amounts of the statement's 4 entries"), "{expected}");
        let doc = ctl_with("<Sum>425.50</Sum>", "<Sum>300.50</Sum>", 0);
        let (line, field, value, expected) = one_error(&doc);
        assert_eq!(
            (line, field.as_str(), value.as_str()),
            (line_in(CTL, "<TtlCdtNtries>", 0), "TxsSummry/TtlCdtNtries/Sum", "300.50")
        );
        assert!(expected.starts_with("425.50 = "), "{expected}");
    }

    #[test]
    fn wrong_net_is_an_error() {
        let doc = ctl_with("<CdtDbtInd>CRDT</CdtDbtInd>\n</TtlNtries>", "<CdtDbtInd>DBIT</CdtDbtInd>\n</TtlNtries>", 0);
        let (line, field, value, expected) = one_error(&doc);
        assert_eq!(
            (line, field.as_str(), value.as_str()),
            (line_in(CTL, "<TtlNetNtryAmt>", 0), "TxsSummry/TtlNtries/TtlNetNtryAmt", "300.25 DBIT")
        );
        assert!(expected.starts_with("300.25 CRDT = credits 425.50 - debits 125.25"), "{expected}");
        let v08 = CTL.replace("camt.053.001.02", "camt.053.001.08").replace(
            "<TtlNetNtryAmt>300.25</TtlNetNtryAmt>\n<CdtDbtInd>CRDT</CdtDbtInd>",
            "<TtlNetNtry>\n<Amt>300.52</Amt><CdtDbtInd>CRDT</CdtDbtInd></TtlNetNtry>",
        );
        let (line, field, value, expected) = one_error(&v08);
        assert_eq!(
            (line, field.as_str(), value.as_str()),
            (line_in(&v08, "<Amt>300.52", 0), "TxsSummry/TtlNtries/TtlNetNtry/Amt", "300.52 CRDT")
        );
        assert!(expected.starts_with("300.25 CRDT"), "{expected}");
    }

    #[test]
    fn wrong_closing_balance_is_an_error() {
        let doc = ctl_with("1175.25", "1175.52", 0);
        let (line, field, value, expected) = one_error(&doc);
        assert_eq!(
            (line, field.as_str(), value.as_str()),
            (line_in(CTL, "1175.25", 0), "Bal CLBD", "1175.52 CRDT SEK")
        );
        assert_eq!(
            expected,
            "1175.25 CRDT SEK = OPBD 1000.00 CRDT SEK + booked credits 300.50 - booked debits 125.25 (3 entries)"
        );
        // A debit closing balance is negative.
        let doc = ctl_with("<CdtDbtInd>CRDT</CdtDbtInd></Bal>", "<CdtDbtInd>DBIT</CdtDbtInd></Bal>", 1);
        let (line, field, value, _) = one_error(&doc);
        assert_eq!(
            (line, field.as_str(), value.as_str()),
            (line_in(CTL, "1175.25", 0), "Bal CLBD", "1175.25 DBIT SEK")
        );
        // Several errors are all reported.
        let doc = ctl_with("1175.25", "1175.52", 0).replace("<Sum>550.75</Sum>", "<Sum>1</Sum>");
        let errs = parse(doc.as_bytes()).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["TxsSummry/TtlNtries/Sum", "Bal CLBD"]);
    }

    #[test]
    fn balances_in_other_currencies_and_pages_are_not_compared_wrongly() {
        // Closing in another currency than the opening: not compared.
        parse(ctl_with("<Amt Ccy=\"SEK\">1175.25", "<Amt Ccy=\"EUR\">9.99", 0).as_bytes()).unwrap();
        // An entry in EUR on a SEK account: the sums are not checked (no
        // single currency); the EUR debit can only lower the closing.
        // 1000.00 + 300.50 - 50 = 1250.50 less some EUR debit: 1175.25 fits.
        let eur = ctl_with("<Amt Ccy=\"SEK\">75.25", "<Amt Ccy=\"EUR\">7.00", 0);
        parse(eur.as_bytes()).unwrap();
        let eur_bad = eur.replace("1175.25", "1300.00");
        let errs = parse(eur_bad.as_bytes()).unwrap_err();
        let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.value.as_str())).collect();
        assert_eq!(got, [("Bal CLBD", "1300.00 CRDT SEK")]);
        assert!(errs[0].expected.starts_with("at most 1250.50 CRDT SEK"), "{}", errs[0].expected);
        assert!(errs[0].expected.contains("debits in EUR"), "{}", errs[0].expected);
        // One page of several: the totals may cover other pages.
        let paged = ctl_with("1175.25", "1.00", 0)
            .replace("<Stmt>\n", "<Stmt>\n<StmtPgntn><PgNb>2</PgNb><LastPgInd>true</LastPgInd></StmtPgntn>\n");
        parse(paged.as_bytes()).unwrap();
        let paged = ctl_with("1175.25", "1.00", 0).replace(
            "<BkToCstmrStmt>",
            "<BkToCstmrStmt><GrpHdr><MsgPgntn><PgNb>1</PgNb><LastPgInd>false</LastPgInd></MsgPgntn></GrpHdr>",
        );
        parse(paged.as_bytes()).unwrap();
        let single = ctl_with("1175.25", "1.00", 0).replace(
            "<BkToCstmrStmt>",
            "<BkToCstmrStmt><GrpHdr><MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn></GrpHdr>",
        );
        assert!(parse(single.as_bytes()).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = parse(&bytes);
            let _ = sniff(&bytes);
        }

        /// Keys write amounts exactly as `canonical` does.
        #[test]
        fn push_canonical_is_canonical(mantissa in any::<i64>(), wide in any::<u64>(), scale in 0u32..=28) {
            for m in [i128::from(mantissa), i128::from(wide) << 32, i128::from(mantissa % 100_000)] {
                if let Ok(d) = Decimal::try_from_i128_with_scale(m, scale) {
                    let mut s = String::new();
                    push_canonical(&mut s, d);
                    prop_assert_eq!(s, canonical(d));
                }
            }
        }

        /// The direct readers give exactly what the generic parsers give.
        #[test]
        fn fast_paths_match_the_generic_parsers(
            date in prop_oneof!["[0-9+ -]{0,11}", "[0-9]{4}-[01][0-9]-[0-3][0-9]"],
            amount in "[0-9.]{0,20}",
            days in -1_000_000i32..4_000_000,
        ) {
            let chrono = NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok();
            prop_assert_eq!(parse_ymd(&date), chrono);
            let generic = parse_camt_amount(&amount).and_then(|_| Decimal::from_str(&amount).ok());
            let fast = parse_camt_amount(&amount);
            prop_assert_eq!(fast.map(|d| (d, d.scale())), generic.map(|d| (d, d.scale())));
            if let Some(d) = NaiveDate::from_num_days_from_ce_opt(days) {
                let mut s = String::new();
                push_date(&mut s, d);
                prop_assert_eq!(s, d.to_string());
            }
        }

        /// The one-pass amount reader accepts and refuses what the rules
        /// (as the earlier reader wrote them) say, with the same value and
        /// scale; `trim` and `currency` give what `str::trim` and
        /// `Currency::from_str` give.
        #[test]
        fn amount_trim_and_currency_match_their_references(
            amount in prop_oneof!["[0-9.]{0,22}", "[0-9 .a+-]{0,8}", any::<String>()],
            text in prop_oneof![any::<String>(), "[ \t\nÅå\u{a0}\u{85}\u{3000}a-z]{0,6}"],
            ccy in prop_oneof!["[A-Z]{3}", "[A-Za-z ]{0,4}", any::<String>()],
        ) {
            prop_assert_eq!(
                parse_camt_amount(&amount).map(|d| (d, d.scale())),
                reference_camt_amount(&amount).map(|d| (d, d.scale()))
            );
            prop_assert_eq!(trim(&text), text.trim());
            prop_assert_eq!(currency(&ccy).ok(), ccy.parse::<Currency>().ok());
        }

        #[test]
        fn mutated_documents_never_panic(pos in 0usize..4000, byte in any::<u8>(), cut in 0usize..4000) {
            let mut bytes = V02.as_bytes().to_vec();
            let p = pos % bytes.len();
            bytes[p] = byte;
            bytes.truncate(bytes.len() - cut % bytes.len());
            let _ = parse(&bytes);
        }
    }
}
