//! `inkasso gen`: writes a complete, realistic data directory for benchmarks
//! and load tests: `inkasso.toml` with K Swedish creditors, receivables
//! exports (one per creditor and night) and camt.053.001.02 statements of
//! the agency's client-funds account.
//!
//! Layout of `--out DIR` (every night under `days/`, the first also in the
//! inbox, so `inkasso run --data DIR --date <first>` works at once and a
//! script drops each later night's files into `inbox/` in turn):
//!
//! ```text
//! DIR/inkasso.toml                 K creditors, [inbox] settle_seconds = 0
//! DIR/inbox/                       night 1's files (hard links to days/<date_1>/)
//! DIR/days/<date_i>/               night i's files, i = 1..=D, consecutive dates
//!     export_<creditor>_<date>.csv     receivables, N rows per night in total
//!     camt053_seb_<date-1>_<nn>.xml    M entries per night, <= 100 000 per file
//! DIR/expected.json                what each night should give (see `Night`)
//! ```
//!
//! Proportions (per row / per entry, drawn from a seeded PRNG):
//!
//! - Receivables: 80 % consumers, 20 % businesses; 90 % `sent`, 10 %
//!   `partially_paid`; about 4 % refused by admission: `status` (paid) 0.8 %,
//!   `other_agency` 0.5 %, `missing_address` 0.5 %, `too_old` 0.3 %,
//!   `below_min_amount` 0.8 %, `not_yet_due` 0.8 %, `duplicate` 0.3 % (a
//!   repeat of the file's previous admitted row). Admitted invoices fell
//!   due 10-90 days before the night (moved later where the creditor's
//!   `days_after_due` and the banking calendar require it).
//! - Payments (booked the day before the night): 85 % the agency OCR of a
//!   claim, 4.5 % the creditor's own OCR (the invoice reference) as
//!   structured reference, 7 % `Faktura <invoice reference>` in free text,
//!   3 % matching nothing, 0.5 % a repeat of another file's entry (same
//!   AcctSvcrRef, amount and date). Of the payments to a claim, 75 % pay
//!   the principal, 15 % part of it, 10 % more than it owes (a refund).
//!
//! Claim numbers are predicted as `admit` gives them: rows are admitted in
//! (file name, line) order from 1001, night after night; a payment's OCR
//! is `se_ocr_with_length(claim_no)` of the claim it pays. Each claim is
//! paid at most once while unpaid claims remain (claims admitted on earlier
//! nights stay candidates), so the expected counts in `expected.json` are
//! exact when M is below the number of admitted claims.
//!
//! Deterministic: splitmix64 seeded from `--seed`, no hash-map iteration;
//! the same arguments give the same bytes. Money is integer öre.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, Months, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;

use super::Error;
use crate::rules::calendar::next_banking_day_se;
use crate::store::atomic;

/// Generate a data directory for benchmarks and load tests.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The directory to create (must not contain an inkasso.toml yet).
    #[arg(long)]
    pub out: PathBuf,
    /// Receivables rows per night, over all creditors.
    #[arg(long)]
    pub claims: u64,
    /// Bank entries per night, over all statement files.
    #[arg(long)]
    pub payments: u64,
    /// Receivables rows of the first night instead of `--claims`: builds up
    /// a large state (e.g. 1 050 000 rows with `--first-payments 0`, then
    /// the second night is the benchmark's night).
    #[arg(long)]
    pub first_claims: Option<u64>,
    /// Bank entries of the first night instead of `--payments`.
    #[arg(long)]
    pub first_payments: Option<u64>,
    /// Number of creditors.
    #[arg(long, default_value_t = 3)]
    pub creditors: u32,
    /// Number of consecutive nights.
    #[arg(long, default_value_t = 1)]
    pub days: u32,
    /// PRNG seed: the same seed and arguments give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The first night the directory is meant for.
    #[arg(long, default_value = "2025-01-10")]
    pub date: NaiveDate,
    /// Write `render_pdf = false` (letters manifest only) into inkasso.toml.
    #[arg(long)]
    pub no_pdf: bool,
}

/// Most entries in one statement file.
pub const MAX_ENTRIES_PER_FILE: u64 = 100_000;
const FIRST_CLAIM_NO: u64 = 1001;
const AGENCY_IBAN: &str = "SE4550000000058398257466";
const OPENING_BALANCE_ORE: i64 = 100_000_000;

/// What one night should give when run in order (also `expected.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Night {
    pub date: NaiveDate,
    pub files: Vec<String>,
    pub receivable_rows: u64,
    pub claims_admitted: u64,
    pub first_claim_no: u64,
    pub refused_by_reason: BTreeMap<String, u64>,
    pub bank_entries: u64,
    /// Payments found by each matching step (`allocations.csv` method).
    pub matched_by_method: BTreeMap<String, u64>,
    pub partial: u64,
    pub overpaid: u64,
    pub unmatched: u64,
    pub bank_duplicates: u64,
    /// True when every payment pays a different claim (the counts are exact).
    pub exact: bool,
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub seed: u64,
    pub nights: Vec<Night>,
    pub files: u64,
    pub bytes: u64,
}

/// # Errors
/// `Error::Usage` if DIR already holds a config; `Error::Failed` on I/O errors.
pub fn run(args: Args) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let report = generate(&args)?;
    let rows: u64 = report.nights.iter().map(|n| n.receivable_rows).sum();
    let entries: u64 = report.nights.iter().map(|n| n.bank_entries).sum();
    let admitted: u64 = report.nights.iter().map(|n| n.claims_admitted).sum();
    println!(
        "wrote {}: {} files, {} receivables rows ({} to be admitted), {} bank entries, {} bytes in {:.1?}",
        args.out.display(),
        report.files,
        rows,
        admitted,
        entries,
        report.bytes,
        started.elapsed()
    );
    for n in &report.nights {
        let m: Vec<String> = n.matched_by_method.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "  {}: {} rows -> {} claims (from {}), {} refused; {} entries: {}, {} partial, {} overpaid, {} unmatched, {} duplicates",
            n.date,
            n.receivable_rows,
            n.claims_admitted,
            n.first_claim_no,
            n.refused_by_reason.values().sum::<u64>(),
            n.bank_entries,
            m.join(", "),
            n.partial,
            n.overpaid,
            n.unmatched,
            n.bank_duplicates
        );
    }
    let dir = args.out.display();
    let first = report.nights.first().map(|n| n.date).unwrap_or(args.date);
    println!("expected counts: {dir}/expected.json");
    println!("run:  inkasso run --data {dir} --date {first}");
    if report.nights.len() > 1 {
        println!(
            "then: for d in $(ls {dir}/days | tail -n +2); do cp {dir}/days/$d/* {dir}/inbox/ && inkasso run --data {dir} --date $d; done"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- PRNG

/// splitmix64: tiny, fast, good enough for test data, same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x6A09_E667_F3BC_C908)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------- formatting without allocation

/// Öre as a plain decimal with two decimals.
struct Ore(i64);

impl fmt::Display for Ore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

/// A Swedish OCR number with length and Luhn digits over a numeric payload
/// (the same digits as `rules::reference::se_ocr_with_length`), on the stack.
#[derive(Clone, Copy)]
struct Ocr {
    buf: [u8; 24],
    len: usize,
}

fn ocr(payload: u64) -> Ocr {
    let mut digits = [0u8; 24];
    let mut n = 0;
    let mut x = payload;
    loop {
        digits[n] = (x % 10) as u8;
        n += 1;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    let mut buf = [0u8; 24];
    for i in 0..n {
        buf[i] = b'0' + digits[n - 1 - i];
    }
    buf[n] = b'0' + ((n + 2) % 10) as u8;
    let mut sum = 0u32;
    for (i, c) in buf[..=n].iter().rev().enumerate() {
        let d = u32::from(c - b'0');
        let p = if i % 2 == 0 { d * 2 } else { d };
        sum += p / 10 + p % 10;
    }
    buf[n + 1] = b'0' + ((10 - sum % 10) % 10) as u8;
    Ocr { buf, len: n + 2 }
}

impl fmt::Display for Ocr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.buf[..self.len]).map_err(|_| fmt::Error)?)
    }
}

/// Luhn check digit of a numeric payload.
fn luhn(payload: u64) -> u64 {
    let mut sum = 0u64;
    let mut x = payload;
    let mut i = 0;
    while x > 0 {
        let d = x % 10;
        let p = if i % 2 == 0 { d * 2 } else { d };
        sum += p / 10 + p % 10;
        x /= 10;
        i += 1;
    }
    (10 - sum % 10) % 10
}

/// A Swedish IBAN (SE, 2 check digits, 20-digit BBAN) with valid check digits.
fn se_iban(bban: &str) -> String {
    let rearranged = format!("{bban}281400"); // S=28, E=14, check 00
    let rem = rearranged.bytes().fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    format!("SE{:02}{bban}", 98 - rem)
}

// ---------------------------------------------------------------- names

const FIRST: &[&str] = &[
    "Anna", "Erik", "Maria", "Lars", "Karin", "Anders", "Eva", "Johan", "Kerstin", "Per", "Lena", "Karl", "Ingrid",
    "Nils", "Åsa", "Mikael", "Sofia", "Björn", "Elin", "Magnus", "Linnéa", "Oskar", "Märta", "Gustav", "Ebba",
    "Jörgen", "Ida", "Fredrik", "Sara", "Henrik", "Hanna", "Mats",
];
const LAST: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Lindström",
    "Öberg",
    "Lindqvist",
    "Berglund",
    "Axelsson",
    "Sandberg",
    "Åkesson",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Engström",
    "Håkansson",
    "Lundgren",
];
const BIZ_A: &[&str] = &[
    "Norrlands",
    "Västkust",
    "Mälardalens",
    "Skånska",
    "Fjällens",
    "Bergslagens",
    "Södra",
    "Östra",
    "Gotlands",
    "Dalarnas",
    "Roslagens",
    "Hallands",
    "Kustens",
    "Smålands",
    "Värmlands",
    "Uppsala",
];
const BIZ_B: &[&str] = &[
    "Bygg",
    "El",
    "Transport",
    "Måleri",
    "Fastighet",
    "Data",
    "Städ",
    "Rör",
    "Trädgård",
    "Café",
    "Konsult",
    "Verkstad",
    "Tryck",
    "Snickeri",
    "Frakt",
    "Bageri",
];
const BIZ_FORM: &[&str] = &["AB", "AB", "AB", "HB", "KB"];
const STREETS: &[&str] = &[
    "Storgatan",
    "Kyrkogatan",
    "Drottninggatan",
    "Skolgatan",
    "Järnvägsgatan",
    "Industrivägen",
    "Björkvägen",
    "Ängsvägen",
    "Södra vägen",
    "Strandvägen",
    "Parkgatan",
    "Nygatan",
    "Tallvägen",
    "Vasagatan",
    "Backgränd",
    "Östra Långgatan",
];
/// City and its first three postcode digits.
const CITIES: &[(&str, u32)] = &[
    ("Stockholm", 114),
    ("Göteborg", 411),
    ("Malmö", 211),
    ("Uppsala", 753),
    ("Västerås", 722),
    ("Örebro", 702),
    ("Linköping", 582),
    ("Helsingborg", 252),
    ("Jönköping", 553),
    ("Norrköping", 602),
    ("Lund", 222),
    ("Umeå", 903),
    ("Gävle", 802),
    ("Borås", 503),
    ("Sundsvall", 852),
    ("Luleå", 972),
    ("Östersund", 831),
    ("Karlstad", 652),
];
const CONSUMER_TEXT: &[&str] = &[
    "Elförbrukning",
    "Bredband och tv",
    "Hyra",
    "Mobilabonnemang",
    "Tandvård",
    "Gymkort",
    "Försäkringspremie",
    "Varor enligt order",
    "Fjärrvärme",
    "Hemlarm",
];
const BUSINESS_TEXT: &[&str] = &[
    "Konsulttimmar",
    "Hyra av lokal",
    "Material enligt offert",
    "Transporttjänster",
    "Licensavgift",
    "Serviceavtal",
    "Ställningshyra",
    "Reparation maskin",
];
const MONTHS: &[&str] = &[
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];
const UNKNOWN_PAYERS: &[&str] = &[
    "Okänd Avsändare",
    "Swish Överföring",
    "Kontantinsättning",
    "Bankgirocentralen Retur",
    "Utlandsbetalning",
    "Föreningen Gemenskapen",
];
const UNKNOWN_TEXT: &[&str] =
    &["Present till mormor", "Hyra garage", "Återbetalning lån", "Medlemsavgift", "Insättning", "Tack för hjälpen", ""];

#[derive(Clone, Copy)]
enum Name {
    Person { first: u8, last: u8 },
    Company { a: u8, b: u8, form: u8 },
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Name::Person { first, last } => write!(f, "{} {}", FIRST[first as usize], LAST[last as usize]),
            Name::Company { a, b, form } => {
                write!(f, "{} {} {}", BIZ_A[a as usize], BIZ_B[b as usize], BIZ_FORM[form as usize])
            }
        }
    }
}

// ---------------------------------------------------------------- plan

struct Creditor {
    id: String,
    name: String,
    payout_iban: String,
    days_after_due: i64,
    min_ore: i64,
    charge_reminder_fee: bool,
    reminder_to_collection_days: u32,
    approve_before_collection: bool,
    excluded_groups: bool,
    weight: u64,
    /// Payload prefix of the creditor's own OCR references.
    ocr_prefix: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cat {
    Ok,
    Paid,
    OtherAgency,
    MissingAddress,
    TooOld,
    BelowMin,
    NotYetDue,
    Duplicate,
}

impl Cat {
    fn reason(self) -> &'static str {
        match self {
            Cat::Ok => "",
            Cat::Paid => "status",
            Cat::OtherAgency => "other_agency",
            Cat::MissingAddress => "missing_address",
            Cat::TooOld => "too_old",
            Cat::BelowMin => "below_min_amount",
            Cat::NotYetDue => "not_yet_due",
            Cat::Duplicate => "duplicate",
        }
    }
}

#[derive(Clone, Copy)]
struct Row {
    cat: Cat,
    invoice_no: u64,
    invoice_date: NaiveDate,
    due_date: NaiveDate,
    amount: i64,
    open: i64,
    partially_paid: bool,
    business: bool,
    name: Name,
    debtor_no: u64,
    street: u8,
    street_no: u16,
    city: u8,
    postcode_tail: u16,
    delivery: u8,
    reminded: bool,
    text: u8,
}

struct ReceivablesFile {
    name: String,
    creditor: usize,
    rows: Vec<Row>,
}

/// A claim the generator expects admission to create.
#[derive(Clone, Copy)]
struct Claim {
    claim_no: u64,
    principal: i64,
    creditor: u32,
    invoice_no: u64,
    name: Name,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pay {
    AgencyOcr,
    CreditorOcr,
    FreeText,
    Unmatched,
}

#[derive(Clone, Copy)]
struct Entry {
    kind: Pay,
    /// Index into the claims (not for `Unmatched`).
    claim: u32,
    amount: i64,
    bank_ref: u64,
    payer: u8,
    text: u8,
}

struct BankFileOut {
    name: String,
    booking: NaiveDate,
    seq: u64,
    opening: i64,
    entries: Vec<Entry>,
}

/// Generates the directory `args.out`.
///
/// # Errors
/// As `run`.
pub fn generate(args: &Args) -> Result<Report, Error> {
    if args.creditors == 0 || args.creditors > 900 {
        return Err(Error::Usage("--creditors must be between 1 and 900".into()));
    }
    if args.days == 0 {
        return Err(Error::Usage("--days must be at least 1".into()));
    }
    if args.out.join("inkasso.toml").exists() {
        return Err(Error::Usage(format!("{} already holds a data directory", args.out.display())));
    }
    let mut rng = Rng::new(args.seed);
    let creditors = make_creditors(&mut rng, args.creditors);
    for sub in ["inbox", "archive", "quarantine", "state", "out", "days"] {
        atomic::create_dir(&args.out.join(sub))?;
    }
    atomic::write(&args.out.join("inkasso.toml"), config_text(&creditors, args.no_pdf).as_bytes())?;

    let mut claims: Vec<Claim> = Vec::new();
    let mut unpaid: Vec<u32> = Vec::new();
    let mut next_invoice: Vec<u64> = creditors.iter().map(|_| 10_000 + rng.below(80_000)).collect();
    let mut next_debtor: u64 = 100_000 + rng.below(100_000);
    let mut next_bank_ref: u64 = 1;
    let mut stmt_seq: u64 = 100;
    let mut balance = OPENING_BALANCE_ORE;
    let mut nights = Vec::new();
    let mut total_files = 0u64;
    let mut total_bytes = 0u64;
    for i in 0..args.days {
        let date = args.date + Duration::days(i64::from(i));
        let (rows, entries) = if i == 0 {
            (args.first_claims.unwrap_or(args.claims), args.first_payments.unwrap_or(args.payments))
        } else {
            (args.claims, args.payments)
        };
        let booking = date - Duration::days(1);
        let day_dir = args.out.join("days").join(date.to_string());
        atomic::create_dir(&day_dir)?;
        let mut night =
            Night { date, first_claim_no: FIRST_CLAIM_NO + claims.len() as u64, exact: true, ..Night::default() };

        // Receivables: plan the rows, predict the claims in (file name, line) order.
        let mut files = plan_receivables(&mut rng, &creditors, rows, date, &mut next_invoice, &mut next_debtor);
        files.sort_by(|a, b| a.name.cmp(&b.name));
        for f in &files {
            for r in &f.rows {
                night.receivable_rows += 1;
                if r.cat == Cat::Ok {
                    let claim_no = FIRST_CLAIM_NO + claims.len() as u64;
                    unpaid.push(claims.len() as u32);
                    claims.push(Claim {
                        claim_no,
                        principal: r.open,
                        creditor: f.creditor as u32,
                        invoice_no: r.invoice_no,
                        name: r.name,
                    });
                    night.claims_admitted += 1;
                } else {
                    *night.refused_by_reason.entry(r.cat.reason().to_string()).or_insert(0) += 1;
                }
            }
        }

        // Payments.
        let bank_files = plan_payments(
            &mut rng,
            entries,
            booking,
            &claims,
            &mut unpaid,
            &mut next_bank_ref,
            &mut stmt_seq,
            &mut balance,
            &mut night,
        );

        // Write everything of the night in parallel, one task per file.
        let written: Vec<Result<(String, u64), Error>> = files
            .par_iter()
            .map(|f| write_receivables(&day_dir, f, &creditors).map(|b| (f.name.clone(), b)))
            .chain(
                bank_files
                    .par_iter()
                    .map(|b| write_camt(&day_dir, b, &claims, &creditors).map(|n| (b.name.clone(), n))),
            )
            .collect();
        for w in written {
            let (name, bytes) = w?;
            total_files += 1;
            total_bytes += bytes;
            night.files.push(name);
        }
        if i == 0 {
            for name in &night.files {
                link_or_copy(&day_dir.join(name), &args.out.join("inbox").join(name))?;
            }
        }
        nights.push(night);
    }
    let report = Report { seed: args.seed, nights, files: total_files, bytes: total_bytes };
    let json = serde_json::to_vec_pretty(&report).map_err(|e| Error::Failed(e.to_string()))?;
    atomic::write(&args.out.join("expected.json"), &json)?;
    Ok(report)
}

fn link_or_copy(from: &Path, to: &Path) -> Result<(), Error> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).map(|_| ()).map_err(|e| Error::Failed(format!("{}: {e}", to.display())))
}

fn make_creditors(rng: &mut Rng, k: u32) -> Vec<Creditor> {
    let step = 990_000 / u64::from(k);
    (0..k)
        .map(|i| {
            // 556 + 6 digits + Luhn: ascending, so file names sort in creditor order.
            let payload = 556_000_000 + 1_000 + u64::from(i) * step + rng.below(step / 2 + 1);
            let id = payload * 10 + luhn(payload);
            let bban = format!("{:04}{:016}", 5000 + rng.below(4000), rng.below(10_000_000_000_000_000));
            Creditor {
                id: id.to_string(),
                name: format!("{} {} AB", rng.pick(BIZ_A), rng.pick(BIZ_B)),
                payout_iban: se_iban(&bban),
                days_after_due: rng.pick(&[3, 5, 5, 7, 10]),
                min_ore: rng.pick(&[5_000, 10_000, 10_000, 15_000, 20_000]),
                charge_reminder_fee: rng.below(4) != 0,
                reminder_to_collection_days: rng.pick(&[10, 14, 14, 21]),
                approve_before_collection: rng.below(4) == 0,
                excluded_groups: rng.below(3) == 0,
                weight: 1 + rng.below(4),
                ocr_prefix: 7_000 + u64::from(i),
            }
        })
        .collect()
}

fn config_text(creditors: &[Creditor], no_pdf: bool) -> String {
    let mut s = String::from(
        "# inkasso configuration written by `inkasso gen` (every key: schemas/inkasso.toml.md).\n\n\
         [agency]\nname = \"Exempel Inkasso AB\"\norg_no = \"5560000000\"\ncountry = \"SE\"\n\
         bankgiro = \"5050-1055\"\n",
    );
    s.push_str(&format!("iban = \"{AGENCY_IBAN}\"\n"));
    s.push_str(
        "bic = \"ESSESESS\"\naddress = \"Box 123, 111 22 Stockholm\"\nphone = \"08-123 456 00\"\n\
         email = \"kundtjanst@exempelinkasso.se\"\n",
    );
    for c in creditors {
        s.push_str(&format!(
            "\n[[creditor]]\nid = \"{}\"\nname = \"{}\"\ncountry = \"SE\"\npayout_iban = \"{}\"\n\
             journal_formats = [\"sie4\", \"csv\"]\n\n[creditor.policy]\ndays_after_due = {}\n\
             min_amount = \"{}\"\ncharge_reminder_fee = {}\nreminder_to_collection_days = {}\n\
             approve_before_collection = {}\napprove_before_legal = true\n",
            c.id,
            c.name,
            c.payout_iban,
            c.days_after_due,
            Ore(c.min_ore),
            c.charge_reminder_fee,
            c.reminder_to_collection_days,
            c.approve_before_collection
        ));
        if c.excluded_groups {
            s.push_str("excluded_groups = [\"VIP\"]\n");
        }
    }
    s.push_str(&format!(
        "\n[letters]\nrender_pdf = {}\n\n[inbox]\n# gen writes whole files; nothing is still uploading.\nsettle_seconds = 0\n",
        !no_pdf
    ));
    s
}

/// Splits `n` rows over the creditors by weight (the last takes the rest).
fn split(n: u64, creditors: &[Creditor]) -> Vec<u64> {
    let total: u64 = creditors.iter().map(|c| c.weight).sum();
    let mut out: Vec<u64> = creditors.iter().map(|c| n * c.weight / total).collect();
    let given: u64 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += n - given;
    }
    out
}

fn plan_receivables(
    rng: &mut Rng,
    creditors: &[Creditor],
    n: u64,
    date: NaiveDate,
    next_invoice: &mut [u64],
    next_debtor: &mut u64,
) -> Vec<ReceivablesFile> {
    let counts = split(n, creditors);
    let mut files = Vec::new();
    for (k, c) in creditors.iter().enumerate() {
        let mut rows: Vec<Row> = Vec::with_capacity(counts[k] as usize);
        let mut last_ok: Option<Row> = None;
        for _ in 0..counts[k] {
            let r = rng.below(1000);
            let cat = match r {
                0..8 => Cat::Paid,
                8..13 => Cat::OtherAgency,
                13..18 => Cat::MissingAddress,
                18..21 => Cat::TooOld,
                21..29 => Cat::BelowMin,
                29..37 => Cat::NotYetDue,
                37..40 => Cat::Duplicate,
                _ => Cat::Ok,
            };
            if cat == Cat::Duplicate {
                if let Some(prev) = last_ok {
                    rows.push(Row { cat, ..prev });
                    continue;
                }
            }
            let cat = if cat == Cat::Duplicate { Cat::Ok } else { cat };
            let row = make_row(rng, c, cat, date, &mut next_invoice[k], next_debtor);
            if cat == Cat::Ok {
                last_ok = Some(row);
            }
            rows.push(row);
        }
        files.push(ReceivablesFile { name: format!("export_{}_{date}.csv", c.id), creditor: k, rows });
    }
    files
}

fn make_row(
    rng: &mut Rng,
    c: &Creditor,
    cat: Cat,
    date: NaiveDate,
    next_invoice: &mut u64,
    next_debtor: &mut u64,
) -> Row {
    let invoice_no = *next_invoice;
    *next_invoice += 1 + u64::from(rng.below(10) == 0);
    let business = rng.below(100) < 20;
    let debtor_no = *next_debtor;
    *next_debtor += 1;
    let name = if business {
        Name::Company {
            a: rng.below(BIZ_A.len() as u64) as u8,
            b: rng.below(BIZ_B.len() as u64) as u8,
            form: rng.below(BIZ_FORM.len() as u64) as u8,
        }
    } else {
        Name::Person { first: rng.below(FIRST.len() as u64) as u8, last: rng.below(LAST.len() as u64) as u8 }
    };
    // Amounts in öre, from integers.
    let kronor = match (business, rng.below(10)) {
        (false, 0..7) => rng.range(150, 4_999),
        (false, _) => rng.range(5_000, 29_999),
        (true, 0..6) => rng.range(500, 9_999),
        (true, _) => rng.range(10_000, 249_999),
    };
    let ore = if rng.below(2) == 0 { 0 } else { rng.range(0, 99) };
    let mut amount = (kronor * 100 + ore).max(c.min_ore + rng.range(0, 10_000));
    let mut open = amount;
    let mut partially_paid = false;
    if rng.below(10) == 0 {
        let part = amount * rng.range(30, 90) / 100 / 100 * 100;
        if part >= c.min_ore {
            open = part;
            partially_paid = true;
        }
    }
    // Due 10-90 days before the night, later if admission would still wait.
    let mut due = date - Duration::days(rng.range(10, 90));
    while date < next_banking_day_se(due) + Duration::days(c.days_after_due) {
        due -= Duration::days(1);
    }
    let term = Duration::days(rng.pick(&[10, 15, 20, 30, 30, 30]));
    let invoice_date = due - term;
    let delivery = match (business, rng.below(10)) {
        (false, 0..8) => 0,
        (false, _) => 1,
        (true, 0..4) => 0,
        (true, 4..7) => 1,
        (true, _) => 2,
    };
    let mut row = Row {
        cat,
        invoice_no,
        invoice_date,
        due_date: due,
        amount,
        open,
        partially_paid,
        business,
        name,
        debtor_no,
        street: rng.below(STREETS.len() as u64) as u8,
        street_no: 1 + rng.below(120) as u16,
        city: rng.below(CITIES.len() as u64) as u8,
        postcode_tail: rng.below(100) as u16,
        delivery,
        reminded: rng.below(5) == 0,
        text: rng.below(10) as u8,
    };
    match cat {
        Cat::Ok | Cat::Duplicate | Cat::OtherAgency | Cat::MissingAddress => {}
        Cat::Paid => {
            row.open = 0;
            row.partially_paid = false;
        }
        Cat::TooOld => {
            let mut d = date.checked_sub_months(Months::new(36)).unwrap_or(date) - Duration::days(rng.range(1, 365));
            while d.checked_add_months(Months::new(36)).is_some_and(|l| date < l) {
                d -= Duration::days(1);
            }
            row.invoice_date = d;
            row.due_date = d + Duration::days(30);
        }
        Cat::BelowMin => {
            amount = rng.range(1_000, c.min_ore - 1);
            row.amount = amount;
            row.open = amount;
            row.partially_paid = false;
        }
        Cat::NotYetDue => {
            row.due_date = date + Duration::days(rng.range(0, 20));
            row.invoice_date = row.due_date - term;
        }
    }
    row
}

#[allow(clippy::too_many_arguments)]
fn plan_payments(
    rng: &mut Rng,
    m: u64,
    booking: NaiveDate,
    claims: &[Claim],
    unpaid: &mut Vec<u32>,
    next_bank_ref: &mut u64,
    stmt_seq: &mut u64,
    balance: &mut i64,
    night: &mut Night,
) -> Vec<BankFileOut> {
    // Split into files of at most MAX_ENTRIES_PER_FILE (a little room for
    // repeats), at least two once there is anything to repeat.
    let dups_wanted = if m >= 20 { (m * 5).div_ceil(1000) } else { 0 };
    let unique = m - dups_wanted;
    let n_files =
        unique.div_ceil(MAX_ENTRIES_PER_FILE - MAX_ENTRIES_PER_FILE / 100).max(if dups_wanted > 0 { 2 } else { 1 });
    let mut per_file: Vec<Vec<Entry>> = (0..n_files).map(|_| Vec::new()).collect();
    let mut file_of: Vec<(u32, u32)> = Vec::with_capacity(unique as usize); // (file, index)
    for j in 0..unique {
        let f = (j * n_files / unique.max(1)) as usize;
        let r = rng.below(1000);
        let mut kind = match r {
            0..855 => Pay::AgencyOcr,
            855..900 => Pay::CreditorOcr,
            900..970 => Pay::FreeText,
            _ => Pay::Unmatched,
        };
        let claim = if kind == Pay::Unmatched || claims.is_empty() {
            kind = Pay::Unmatched;
            0
        } else if unpaid.is_empty() {
            night.exact = false;
            rng.below(claims.len() as u64) as u32
        } else {
            let at = rng.below(unpaid.len() as u64) as usize;
            unpaid.swap_remove(at)
        };
        let amount = if kind == Pay::Unmatched {
            night.unmatched += 1;
            rng.range(5_000, 800_000) | 1
        } else {
            let method = match kind {
                Pay::AgencyOcr => "agency_ocr",
                Pay::CreditorOcr => "structured_reference",
                _ => "reference_in_text",
            };
            *night.matched_by_method.entry(method.to_string()).or_insert(0) += 1;
            let p = claims[claim as usize].principal;
            match rng.below(100) {
                0..75 => p,
                75..90 => {
                    night.partial += 1;
                    (p * rng.range(20, 90) / 100 / 100 * 100).max(100)
                }
                _ => {
                    night.overpaid += 1;
                    p + 50_000 + p * rng.range(10, 30) / 100 / 100 * 100
                }
            }
        };
        let e = Entry {
            kind,
            claim,
            amount,
            bank_ref: *next_bank_ref,
            payer: rng.below(UNKNOWN_PAYERS.len() as u64) as u8,
            text: rng.below(UNKNOWN_TEXT.len() as u64) as u8,
        };
        *next_bank_ref += 1;
        file_of.push((f as u32, per_file[f].len() as u32));
        per_file[f].push(e);
    }
    // Repeats of an entry of another file: same AcctSvcrRef, amount and date.
    for _ in 0..dups_wanted {
        if file_of.is_empty() {
            break;
        }
        let (f, at) = file_of[rng.below(file_of.len() as u64) as usize];
        let e = per_file[f as usize][at as usize];
        let target = (f as usize + 1) % per_file.len();
        per_file[target].push(e);
        night.bank_duplicates += 1;
    }
    night.bank_entries = per_file.iter().map(|v| v.len() as u64).sum();
    per_file
        .into_iter()
        .enumerate()
        .map(|(i, entries)| {
            *stmt_seq += 1;
            let opening = *balance;
            *balance += entries.iter().map(|e| e.amount).sum::<i64>();
            BankFileOut {
                name: format!("camt053_seb_{booking}_{:02}.xml", i + 1),
                booking,
                seq: *stmt_seq,
                opening,
                entries,
            }
        })
        .collect()
}

// ---------------------------------------------------------------- writers

const CSV_HEADER: &str = "creditor_id,invoice_number,invoice_date,due_date,currency,amount,open_amount,status,reference,debtor_id,debtor_type,debtor_name,debtor_address1,debtor_address2,debtor_postcode,debtor_city,debtor_country,debtor_email,debtor_language,debtor_group,delivery,reminded_by_creditor,other_agency,credited_invoice,description\n";

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Failed(format!("{}: {e}", path.display()))
}

/// Writes through a temp file in the folder and renames it into place.
fn write_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<u64, Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err(path))?;
    let mut w = BufWriter::with_capacity(1 << 20, tmp);
    body(&mut w).map_err(io_err(path))?;
    let tmp = w.into_inner().map_err(|e| Error::Failed(format!("{}: {}", path.display(), e.error())))?;
    let bytes = tmp.as_file().metadata().map_err(io_err(path))?.len();
    tmp.persist(path).map_err(|e| Error::Failed(format!("{}: {}", path.display(), e.error)))?;
    Ok(bytes)
}

fn write_receivables(dir: &Path, f: &ReceivablesFile, creditors: &[Creditor]) -> Result<u64, Error> {
    let c = &creditors[f.creditor];
    write_file(&dir.join(&f.name), |w| {
        w.write_all(CSV_HEADER.as_bytes())?;
        for r in &f.rows {
            let status = if r.cat == Cat::Paid {
                "paid"
            } else if r.partially_paid {
                "partially_paid"
            } else {
                "sent"
            };
            write!(
                w,
                "{},{},{},{},SEK,{},{},{status},{},",
                c.id,
                r.invoice_no,
                r.invoice_date,
                r.due_date,
                Ore(r.amount),
                Ore(r.open),
                ocr(c.ocr_prefix * 1_000_000_000 + r.invoice_no)
            )?;
            if r.business {
                // A business debtor's id is its org number.
                let payload = 556_000_000 + r.debtor_no % 400_000_000;
                write!(w, "{},business,{},", payload * 10 + luhn(payload), r.name)?;
            } else {
                write!(w, "K{},consumer,{},", r.debtor_no, r.name)?;
            }
            if r.cat != Cat::MissingAddress {
                write!(w, "{} {}", STREETS[r.street as usize], r.street_no)?;
            }
            let (city, pc) = CITIES[r.city as usize];
            write!(w, ",,{pc} {:02},{city},SE,", r.postcode_tail)?;
            let delivery = ["paper", "email", "einvoice"][r.delivery as usize];
            if r.delivery == 1 {
                write!(w, "kund{}@example.se", r.debtor_no)?;
            }
            write!(
                w,
                ",sv,,{delivery},{},{},,",
                if r.reminded { "true" } else { "false" },
                if r.cat == Cat::OtherAgency { "true" } else { "false" }
            )?;
            let texts = if r.business { BUSINESS_TEXT } else { CONSUMER_TEXT };
            let month = MONTHS[r.invoice_date.month0() as usize];
            writeln!(w, "{} {month} {}", texts[r.text as usize % texts.len()], r.invoice_date.year())?;
        }
        Ok(())
    })
}

/// Escapes the XML special characters of a name or text.
struct Xml<T>(T);

impl<T: fmt::Display> fmt::Display for Xml<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Esc<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl fmt::Write for Esc<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let mut last = 0;
                for (i, b) in s.bytes().enumerate() {
                    let rep = match b {
                        b'&' => "&amp;",
                        b'<' => "&lt;",
                        b'>' => "&gt;",
                        _ => continue,
                    };
                    self.0.write_str(&s[last..i])?;
                    self.0.write_str(rep)?;
                    last = i + 1;
                }
                self.0.write_str(&s[last..])
            }
        }
        fmt::write(&mut Esc(f), format_args!("{}", self.0))
    }
}

fn write_camt(dir: &Path, b: &BankFileOut, claims: &[Claim], creditors: &[Creditor]) -> Result<u64, Error> {
    let sum: i64 = b.entries.iter().map(|e| e.amount).sum();
    let d = b.booking;
    let ymd = d.format("%y%m%d");
    write_file(&dir.join(&b.name), |w| {
        write!(
            w,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- written by inkasso gen: client-funds account statement {d} -->
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>SEB{compact}053{seq:06}</MsgId>
      <CreDtTm>{d}T22:00:00+01:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>{AGENCY_IBAN}-{ymd}{stmt_no:04}</Id>
      <ElctrncSeqNb>{seq}</ElctrncSeqNb>
      <CreDtTm>{d}T22:00:00+01:00</CreDtTm>
      <Acct>
        <Id><IBAN>{AGENCY_IBAN}</IBAN></Id>
        <Ccy>SEK</Ccy>
        <Ownr><Nm>Exempel Inkasso AB Klientmedelskonto</Nm></Ownr>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="SEK">{opening}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>{d}</Dt></Dt>
      </Bal>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="SEK">{closing}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>{d}</Dt></Dt>
      </Bal>
      <TxsSummry><TtlNtries><NbOfNtries>{n}</NbOfNtries><Sum>{sum}</Sum><TtlNetNtryAmt>{sum}</TtlNetNtryAmt><CdtDbtInd>CRDT</CdtDbtInd></TtlNtries></TxsSummry>
"#,
            compact = d.format("%Y%m%d"),
            seq = b.seq,
            stmt_no = b.seq % 10_000,
            opening = Ore(b.opening),
            closing = Ore(b.opening + sum),
            n = b.entries.len(),
            sum = Ore(sum),
        )?;
        for e in &b.entries {
            let amt = Ore(e.amount);
            write!(
                w,
                r#"      <Ntry>
        <Amt Ccy="SEK">{amt}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{d}</Dt></BookgDt>
        <ValDt><Dt>{d}</Dt></ValDt>
        <AcctSvcrRef>SEB{ymd}{r:09}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="SEK">{amt}</Amt></TxAmt></AmtDtls>
"#,
                r = e.bank_ref
            )?;
            let c = claims.get(e.claim as usize).filter(|_| e.kind != Pay::Unmatched);
            match (e.kind, c) {
                (_, None) => {
                    writeln!(
                        w,
                        "            <RltdPties><Dbtr><Nm>{}</Nm></Dbtr></RltdPties>",
                        Xml(UNKNOWN_PAYERS[e.payer as usize])
                    )?;
                    let text = UNKNOWN_TEXT[e.text as usize];
                    if !text.is_empty() {
                        writeln!(w, "            <RmtInf><Ustrd>{}</Ustrd></RmtInf>", Xml(text))?;
                    }
                }
                (Pay::AgencyOcr | Pay::CreditorOcr, Some(c)) => {
                    let reference = if e.kind == Pay::AgencyOcr {
                        ocr(c.claim_no)
                    } else {
                        ocr(creditors[c.creditor as usize].ocr_prefix * 1_000_000_000 + c.invoice_no)
                    };
                    write!(
                        w,
                        "            <RltdPties><Dbtr><Nm>{}</Nm></Dbtr></RltdPties>\n            <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>\n",
                        Xml(c.name)
                    )?;
                }
                (_, Some(c)) => {
                    let reference = ocr(creditors[c.creditor as usize].ocr_prefix * 1_000_000_000 + c.invoice_no);
                    write!(
                        w,
                        "            <RltdPties><Dbtr><Nm>{}</Nm></Dbtr></RltdPties>\n            <RmtInf><Ustrd>Faktura {reference}</Ustrd></RmtInf>\n",
                        Xml(c.name)
                    )?;
                }
            }
            w.write_all(b"          </TxDtls>\n        </NtryDtls>\n      </Ntry>\n")?;
        }
        w.write_all(b"    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::reference::se_ocr_with_length;

    #[test]
    fn ocr_on_the_stack_equals_the_rule_pack() {
        for p in (1001..3000u64).chain([7_000_000_010_123, 7_123_999_999_999, 123_456_789]) {
            assert_eq!(ocr(p).to_string(), se_ocr_with_length(&p.to_string()).unwrap(), "{p}");
        }
        assert_eq!(ocr(1001).to_string(), "100164");
    }

    #[test]
    fn money_and_iban_format() {
        assert_eq!(Ore(123_456).to_string(), "1234.56");
        assert_eq!(Ore(5).to_string(), "0.05");
        assert_eq!(Ore(-250).to_string(), "-2.50");
        assert_eq!(se_iban("50000000058398257466"), AGENCY_IBAN);
        assert_eq!(luhn(7_992_739_871), 3);
    }

    #[test]
    fn prng_is_stable() {
        let mut r = Rng::new(7);
        let a: Vec<u64> = (0..3).map(|_| r.below(1000)).collect();
        let mut r = Rng::new(7);
        let b: Vec<u64> = (0..3).map(|_| r.below(1000)).collect();
        assert_eq!(a, b);
        assert!((0..1000).all(|_| r.below(10) < 10));
    }
}
