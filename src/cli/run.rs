//! `inkasso run`: one night, from the inbox to a committed day.
//!
//! 1. Lock the data directory; load `inkasso.toml`; fix the date.
//! 2. Read the state of the last committed day before D.
//! 3. Collect the inputs (inbox + anything already archived for D), detect
//!    and parse them in parallel; quarantine the bad.
//! 4. Run the engine (pure) while the inputs are fingerprinted (SHA-256)
//!    and archived, then every invariant check.
//! 5. Write the outputs, then `state/D/`, then `out/D/run.json` last: the
//!    day is committed when run.json is in place. Then clear the inbox.
//!
//! A crash anywhere before run.json leaves D uncommitted; running it again
//! finds its inputs in `archive/D/` (or still in the inbox) and gives the
//! same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Error;
use crate::emit::{journals, letters, reports};
use crate::engine::{self, checks, Day, Inputs, Packs, State};
use crate::ingest::{self, Input};
use crate::model::{fmt_amount, Config, Currency, Letter, Verification};
use crate::store::{atomic, config, inbox, lock::Lock, snapshot, DataDir};

/// Process one day.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The day to process (YYYY-MM-DD); default: today.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Recompute a day that is already committed (its outputs move to out/D/superseded/N/).
    #[arg(long)]
    pub rerun: bool,
    /// Fail the run (exit 1, nothing committed) if any input file is rejected.
    #[arg(long)]
    pub strict: bool,
}

/// What a committed run produced (also printed as a summary).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub date: NaiveDate,
    pub out_dir: PathBuf,
    pub counts: BTreeMap<String, usize>,
    pub refused_by_reason: BTreeMap<String, usize>,
    pub letters_by_kind: BTreeMap<String, usize>,
    pub settlement: BTreeMap<String, String>,
    pub quarantined: Vec<String>,
}

/// # Errors
/// See `cli::Error`.
pub fn run(args: Args) -> Result<Summary, Error> {
    let date = match args.date {
        Some(d) => d,
        // The one place that reads the clock: `run` without --date means today.
        #[allow(clippy::disallowed_methods)]
        None => chrono::Local::now().date_naive(),
    };
    let summary = run_day(&args.data, date, args.rerun, args.strict)?;
    print_summary(&summary);
    Ok(summary)
}

/// One row of run.json's `inputs`.
#[derive(Debug, Clone, Serialize)]
struct InputRecord {
    name: String,
    sha256: String,
    format: String,
    /// `ok`, `quarantined` or `duplicate`.
    status: String,
    records: usize,
    rejected_rows: usize,
    errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
struct OutputRecord {
    path: String,
    sha256: String,
    bytes: usize,
}

#[derive(Debug, Clone, Serialize)]
struct CheckRecord {
    name: String,
    ok: bool,
}

#[derive(Debug, Serialize)]
struct Manifest<'a> {
    inkasso_version: &'static str,
    date: NaiveDate,
    previous_day: Option<NaiveDate>,
    inputs: &'a [InputRecord],
    /// Inbox files that changed within the settle window: left for the next run.
    waiting: &'a [String],
    outputs: Vec<OutputRecord>,
    counts: &'a BTreeMap<String, usize>,
    refused_by_reason: &'a BTreeMap<String, usize>,
    letters_by_kind: &'a BTreeMap<String, usize>,
    totals: BTreeMap<String, String>,
    invariants: Vec<CheckRecord>,
}

/// Runs day `date` on the data directory `root`.
///
/// # Errors
/// `Error::Usage` for a committed day without `rerun`; `Error::Failed` for
/// bad config, a missing rate, a failed invariant or an I/O failure
/// (nothing committed); `Error::Locked` when another run is working.
pub fn run_day(root: &Path, date: NaiveDate, rerun: bool, strict: bool) -> Result<Summary, Error> {
    run_day_with(root, date, Options { rerun, strict, use_inbox: true })
}

/// How a day is run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Recompute a committed day (its outputs move to `out/D/superseded/N/`).
    pub rerun: bool,
    /// Fail if any input file is rejected.
    pub strict: bool,
    /// Take new files from the inbox (false for `replay`: archived inputs only).
    pub use_inbox: bool,
}

/// Runs day `date` with `opts`; see `run_day`.
///
/// # Errors
/// As `run_day`; also `Error::Usage` when the day before is stale (a rerun
/// of an earlier day has not been replayed forward yet).
pub fn run_day_with(root: &Path, date: NaiveDate, opts: Options) -> Result<Summary, Error> {
    let Options { rerun, strict, use_inbox } = opts;
    let mut clock = StepClock::from_env();
    let data = DataDir::new(root);
    let config = config::load(&data.config())?;
    let _lock = Lock::acquire(&data)?;
    let committed = data.committed_days();
    if let Some(last) = committed.last() {
        inbox::clear_consumed(&data, *last)?; // a crash after the last commit left them
    }
    if data.is_committed(date) && !rerun {
        return Err(Error::Usage(format!(
            "day {date} is already committed ({}). To recompute it from the day before, with its archived inputs and any new inbox files, run: inkasso run --data {} --date {date} --rerun",
            data.out(date).join("run.json").display(),
            root.display()
        )));
    }
    if let Some(last) = committed.iter().max().filter(|l| **l > date) {
        if !rerun {
            return Err(Error::Usage(format!(
                "day {last} is already committed, after {date}: a day before it can only be rerun (--rerun)"
            )));
        }
    }
    let previous_day = data.last_committed_before(date);
    if let Some(stale) = previous_day.and_then(|d| stale_reason(&data, d)) {
        return Err(Error::Usage(format!(
            "day {} is stale ({stale}); recompute it and the days after it first: inkasso replay --data {} --from {}",
            previous_day.map(|d| d.to_string()).unwrap_or_default(),
            root.display(),
            committed.iter().find(|d| stale_reason(&data, **d).is_some()).map(|d| d.to_string()).unwrap_or_default()
        )));
    }
    let prev = match previous_day {
        Some(d) => snapshot::read(&data.state(d), d)?,
        None => State::default(),
    };
    clock.step("read state");

    // Inputs: parse in parallel, keep file order.
    inbox::clear_crash_leftovers(&data, date)?;
    let inbox::Collected { mut files, duplicates: mut duplicate_files, waiting } =
        inbox::collect(&data, date, config.inbox.settle_seconds, use_inbox)?;
    clock.step("collect inbox");
    let parsed: Vec<Result<Input, Vec<ingest::Error>>> = files
        .par_iter()
        .map(|f| match f.too_large {
            Some(len) => Err(vec![ingest::Error::new(
                0,
                "(size)",
                &len.to_string(),
                format!("a file of at most {} bytes", inbox::MAX_INPUT_BYTES),
            )
            .with_file(&f.name)]),
            None => ingest::read(&f.name, &f.bytes),
        })
        .collect();
    clock.step("parse inputs");
    let is_ok: Vec<bool> = parsed.iter().map(Result::is_ok).collect();
    let mut inputs = Inputs::default();
    let mut records = Vec::new();
    let mut rejected_rows = Vec::new();
    let mut quarantined = Vec::new();
    let mut skipped_not_booked = 0usize;
    for (f, result) in files.iter().zip(parsed) {
        let mut rec = InputRecord {
            name: f.name.clone(),
            sha256: String::new(), // after `fingerprint`, below
            format: String::new(),
            status: "ok".into(),
            records: 0,
            rejected_rows: 0,
            errors: Vec::new(),
        };
        match result {
            Ok(Input::Receivables { rows, rejects }) => {
                rec.format = "receivables_csv".into();
                rec.records = rows.len();
                rec.rejected_rows = rejects.len();
                inputs.receivables.push(rows);
                rejected_rows.extend(rejects);
            }
            Ok(Input::Bank(b)) => {
                rec.format = b.format.clone();
                rec.records = b.transactions.len();
                skipped_not_booked += b.skipped_not_booked;
                inputs.transactions.push(b.transactions);
            }
            Ok(Input::Approvals(a)) => {
                rec.format = "approvals_csv".into();
                rec.records = a.len();
                inputs.approvals.extend(a);
            }
            Ok(Input::Matches(m)) => {
                rec.format = "matches_csv".into();
                rec.records = m.len();
                inputs.matches.extend(m);
            }
            Err(errors) => {
                rec.status = "quarantined".into();
                rec.errors = errors.iter().map(ToString::to_string).collect();
                let text = format!(
                    "inkasso rejected {} on {date}: the file was not processed. Fix it and drop it into the inbox again.\n\n{}\n",
                    f.name,
                    rec.errors.join("\n")
                );
                inbox::quarantine(&data, date, f, &text)?;
                quarantined.push(f.name.clone());
            }
        }
        records.push(rec);
    }
    if strict && !quarantined.is_empty() {
        return Err(Error::Failed(format!(
            "--strict: {} file(s) rejected ({}); nothing committed",
            quarantined.len(),
            quarantined.join(", ")
        )));
    }
    clock.step("gather inputs");

    // The day itself (pure), beside the inputs' SHA-256 and archive copies
    // (every readable file, and the repeated copies): the engine's booking
    // of payments runs on one core, the fingerprints take the other.
    // The engine takes the state of the night before and changes it in
    // place; the checks need only its ledger.
    let booked_before = prev.payments.clone();
    // How long each side took, for `INKASSO_TIMINGS` (which side to shorten).
    let (mut engine_took, mut archive_took) = (Duration::ZERO, Duration::ZERO);
    let started = Instant::now();
    let (day, archived) = rayon::join(
        || {
            let day = engine::day(prev, inputs, &config, date);
            engine_took = started.elapsed();
            day
        },
        || -> Result<(), Error> {
            // Each file is fingerprinted, archived (if it was read: a
            // rejected file is in quarantine already) and let go of in one
            // task, so that its bytes leave memory as soon as it is done,
            // not with the last file.
            files
                .par_iter_mut()
                .zip(is_ok.par_iter().copied())
                .chain(duplicate_files.par_iter_mut().map(|f| (f, true)))
                .try_for_each(|(f, read)| -> Result<(), Error> {
                    inbox::fingerprint(f);
                    if read {
                        inbox::archive(&data, date, f)?;
                    }
                    f.bytes = Vec::new();
                    Ok(())
                })?;
            archive_took = started.elapsed();
            Ok(())
        },
    );
    clock.detail(|| {
        format!(
            "engine done at {:.3} s, inputs' SHA-256 and archive copies at {:.3} s",
            engine_took.as_secs_f64(),
            archive_took.as_secs_f64()
        )
    });
    archived?;
    let mut day = day.map_err(|e| Error::Failed(format!("day {date}: {e}; nothing committed")))?;
    for (rec, f) in records.iter_mut().zip(&files) {
        rec.sha256.clone_from(&f.sha256);
    }
    for f in &duplicate_files {
        records.push(InputRecord {
            name: f.name.clone(),
            sha256: f.sha256.clone(),
            format: String::new(),
            status: "duplicate".into(),
            records: 0,
            rejected_rows: 0,
            errors: vec!["same content as another input of the day: no effect".into()],
        });
    }
    clock.step("engine + archive");
    tamper_for_tests(&mut day);
    let packs = Packs::new(&config).map_err(|e| Error::Failed(e.to_string()))?;
    let (check_names, violations) = checks::run(&booked_before, &day, &packs);
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return Err(Error::Failed(format!(
            "day {date}: {} invariant violation(s); nothing committed:\n  {}",
            list.len(),
            list.join("\n  ")
        )));
    }

    rayon::spawn(move || drop(booked_before));
    clock.step("invariant checks");

    // Outputs.
    let out = data.out(date);
    if rerun && data.is_committed(date) {
        supersede(&out)?;
    } else {
        clear_uncommitted(&out)?;
    }
    let plan = letters::plan(std::mem::take(&mut day.letters)).map_err(|e| Error::Failed(format!("letters: {e}")))?;
    clock.step("letters plan");
    // Each output file is built, written and hashed by one task, and freed
    // then (a night's outputs are hundreds of MB), beside the snapshot.
    // Neither commits the day (run.json does).
    let jobs = output_jobs(&day, &config, &plan, &rejected_rows);
    let (written, snapshot_written) =
        rayon::join(|| write_outputs(&out, jobs), || snapshot::write(&data.state(date), &day.state, &day.events));
    let written = written?;
    snapshot_written?;
    clock.step("outputs + snapshot");

    // Commit: run.json.
    let summary = summarize(
        &day,
        &plan.letters,
        &config,
        &out,
        &quarantined,
        &rejected_rows,
        &duplicate_files,
        skipped_not_booked,
    );
    let manifest = Manifest {
        inkasso_version: env!("CARGO_PKG_VERSION"),
        date,
        previous_day,
        inputs: &records,
        waiting: &waiting,
        outputs: written,
        counts: &summary.counts,
        refused_by_reason: &summary.refused_by_reason,
        letters_by_kind: &summary.letters_by_kind,
        totals: totals(&day),
        invariants: check_names.iter().map(|n| CheckRecord { name: (*n).to_string(), ok: true }).collect(),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Failed(e.to_string()))?;
    atomic::write(&out.join("run.json"), &json)?;
    if rerun {
        for later in committed.iter().filter(|d| **d > date) {
            mark_stale(&data, *later, date)?;
        }
    }

    clock.step("run.json");

    // Committed: every inbox copy is archived or quarantined; remove it.
    for f in files.iter().chain(duplicate_files.iter()) {
        if let Some(p) = &f.inbox_path {
            let _ = std::fs::remove_file(p);
        }
    }
    // A night's state and outputs take seconds to free: not on the way out.
    rayon::spawn(move || drop((day, plan)));
    Ok(summary)
}

/// Wall time per step on stderr when `INKASSO_TIMINGS` is set (for
/// `bench/nightly.sh` and profiling), with the CPU time the process spent
/// in it (user + system, where `/proc/self/stat` tells it): CPU near wall
/// is a step on one core, near twice wall one on both. Then the resident
/// memory at the step's end and the peak so far. Never written into
/// `out/`: outputs must not depend on the clock.
struct StepClock {
    last: Option<(Instant, Option<f64>)>,
}

impl StepClock {
    fn from_env() -> StepClock {
        StepClock { last: std::env::var_os("INKASSO_TIMINGS").map(|_| (Instant::now(), cpu_seconds())) }
    }

    fn step(&mut self, name: &str) {
        if let Some((last, last_cpu)) = self.last {
            let (now, cpu) = (Instant::now(), cpu_seconds());
            let cpu_text = match (cpu, last_cpu) {
                (Some(c), Some(l)) => format!("  (cpu {:>7.3} s)", c - l),
                _ => String::new(),
            };
            let memory_text = match (memory_kib("VmRSS:"), memory_kib("VmHWM:")) {
                (Some(rss), Some(peak)) => {
                    let gib = |kib: u64| kib as f64 / f64::from(1u32 << 20);
                    format!("  (rss {:>5.2} GiB, peak {:>5.2} GiB)", gib(rss), gib(peak))
                }
                _ => String::new(),
            };
            eprintln!("  {name:<18} {:>8.3} s{cpu_text}{memory_text}", (now - last).as_secs_f64());
            self.last = Some((now, cpu));
        }
    }

    /// A detail of the step under way, indented, when timings are on.
    fn detail(&self, text: impl FnOnce() -> String) {
        if self.last.is_some() {
            eprintln!("    {}", text());
        }
    }
}

/// The process's user + system CPU time in seconds, from `/proc/self/stat`
/// (Linux; fields 14 and 15, in clock ticks of 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let mut fields = after_name.split(' ').skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// A memory figure of this process in KiB from `/proc/self/status` (Linux):
/// `VmRSS:` resident now, `VmHWM:` the peak so far.
fn memory_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// The reason a committed day is stale, if it is (`stale` in its run.json).
pub fn stale_reason(data: &DataDir, day: NaiveDate) -> Option<String> {
    let bytes = std::fs::read(data.out(day).join("run.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("stale").and_then(|s| s.as_str()).map(str::to_string)
}

/// Marks a committed day stale after a rerun of an earlier day: its state
/// and outputs no longer follow from the days before it until `replay`.
fn mark_stale(data: &DataDir, day: NaiveDate, rerun_of: NaiveDate) -> Result<(), Error> {
    let path = data.out(day).join("run.json");
    let bytes = std::fs::read(&path).map_err(|e| Error::Failed(format!("{}: {e}", path.display())))?;
    let mut v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::Failed(format!("{}: {e}", path.display())))?;
    if let Some(map) = v.as_object_mut() {
        map.insert(
            "stale".into(),
            serde_json::Value::String(format!("day {rerun_of} was rerun after this day was committed")),
        );
    }
    let json = serde_json::to_vec_pretty(&v).map_err(|e| Error::Failed(e.to_string()))?;
    atomic::write(&path, &json)?;
    Ok(())
}

/// Test hook: `INKASSO_TEST_TAMPER=allocation` adds one öre to the first
/// allocation after the engine ran, so that tests can prove a violated
/// invariant stops the run before anything is committed. Active in debug
/// builds only.
fn tamper_for_tests(day: &mut Day) {
    if cfg!(debug_assertions) && std::env::var("INKASSO_TEST_TAMPER").as_deref() == Ok("allocation") {
        if let Some(a) = day.allocations.first_mut() {
            a.principal += Decimal::new(1, 2);
        }
    }
}

/// Every letter with everything printed on it, one JSON object per line in
/// manifest order: what `inkasso letters` renders a committed day from.
/// Serialised batch by batch (the chunks of a batch in parallel), each
/// batch written before the next is built.
fn letters_jsonl(letters: &[Letter]) -> Build<'_> {
    Box::new(letters.chunks(LETTERS_PER_BATCH).map(|batch| {
        let chunks: Vec<Result<Vec<u8>, Error>> = batch
            .par_chunks(4096)
            .map(|chunk| {
                let mut out = Vec::new();
                for l in chunk {
                    serde_json::to_writer(&mut out, l).map_err(|e| Error::Failed(e.to_string()))?;
                    out.push(b'\n');
                }
                Ok(out)
            })
            .collect();
        Ok(crate::emit::concat(chunks.into_iter().collect::<Result<_, _>>()?)) // the first error in order
    }))
}

/// Letters serialised before their bytes are written: ~50 MB of JSON
/// (a night's 260 MB `letters.jsonl` built whole was a tenth of its peak
/// memory).
const LETTERS_PER_BATCH: usize = 32_768;

/// Builds one output file: its bytes, part by part, each built when the
/// one before it has been written.
type Build<'a> = Box<dyn Iterator<Item = Result<Vec<u8>, Error>> + Send + 'a>;

/// One output file built in one part.
fn whole<'a>(build: impl FnOnce() -> Result<Vec<u8>, Error> + Send + 'a) -> Build<'a> {
    Box::new(std::iter::once_with(build))
}

/// Every output file of the day but run.json, in the order run.json lists
/// them: the PDFs (when rendered in the run), letters data and manifest,
/// journals per creditor, reports. Each file is independent of the others.
fn output_jobs<'a>(
    day: &'a Day,
    config: &'a Config,
    plan: &'a letters::Plan,
    rejected_rows: &'a [ingest::Error],
) -> Vec<(String, Build<'a>)> {
    let mut jobs: Vec<(String, Build)> = Vec::new();
    if config.letters.render_pdf {
        for (n, (name, _)) in plan.files.iter().enumerate() {
            jobs.push((
                format!("letters/{name}"),
                whole(move || {
                    letters::render_planned_file(plan, n).map_err(|e| Error::Failed(format!("letters: {e}")))
                }),
            ));
        }
    }
    let letter_list = &plan.letters;
    jobs.push(("letters/letters.jsonl".into(), letters_jsonl(letter_list)));
    jobs.push(("letters/manifest.csv".into(), whole(|| Ok(reports::letters_manifest(letter_list)))));
    for (creditor_id, vers) in group_verifications(day) {
        let Some(creditor) = config.creditor(creditor_id) else { continue };
        let header = journals::JournalHeader {
            org_no: creditor.id.clone(),
            company_name: creditor.name.clone(),
            program: format!("inkasso {}", env!("CARGO_PKG_VERSION")),
            generated: day.date,
            currency: vers[0].currency(),
        };
        let vers = std::sync::Arc::new(vers);
        if creditor.journal_formats.iter().any(|f| f == "sie4") {
            let vers = vers.clone();
            jobs.push((
                format!("journals/{creditor_id}/{}.se", day.date),
                whole(move || Ok(journals::sie4::write(&header, &vers))),
            ));
        }
        if creditor.journal_formats.iter().any(|f| f == "csv") {
            jobs.push((
                format!("journals/{creditor_id}/{}.csv", day.date),
                whole(move || Ok(journals::csv::write(&vers))),
            ));
        }
    }
    jobs.push(("suspense.csv".into(), whole(|| Ok(reports::suspense(&day.suspense)))));
    jobs.push(("refunds.csv".into(), whole(|| Ok(reports::refunds(&day.refunds)))));
    jobs.push(("awaiting_approval.csv".into(), whole(|| Ok(reports::awaiting(&day.awaiting)))));
    jobs.push(("refused.csv".into(), whole(|| Ok(reports::refused(&day.refusals)))));
    jobs.push(("rejected_rows.csv".into(), whole(|| Ok(reports::rejected_rows(rejected_rows)))));
    jobs.push(("allocations.csv".into(), whole(|| Ok(reports::allocations(&day.allocations)))));
    jobs
}

/// Builds and writes the output files (each atomically, in parallel) and
/// returns their records for run.json in the given order.
fn write_outputs(out: &Path, jobs: Vec<(String, Build)>) -> Result<Vec<OutputRecord>, Error> {
    jobs.into_par_iter()
        .map(|(rel, build)| {
            let (mut sha256, mut bytes) = (inbox::Sha256::new(), 0);
            let hashed = build.map(|part| {
                let part = part?;
                sha256.update(&part);
                bytes += part.len();
                Ok::<_, Error>(part)
            });
            atomic::write_parts(&out.join(&rel), hashed)?;
            Ok(OutputRecord { sha256: sha256.hex(), bytes, path: rel })
        })
        .collect()
}

fn group_verifications(day: &Day) -> BTreeMap<&str, Vec<&Verification>> {
    let mut by: BTreeMap<&str, Vec<&Verification>> = BTreeMap::new();
    for v in &day.verifications {
        by.entry(v.creditor_id()).or_default().push(v);
    }
    by
}

/// Moves a committed day's outputs to `out/D/superseded/N/` (never deleted).
fn supersede(out: &Path) -> Result<(), Error> {
    let sup = out.join("superseded");
    let n = std::fs::read_dir(&sup).map(|r| r.count()).unwrap_or(0) + 1;
    let target = sup.join(n.to_string());
    atomic::create_dir(&target)?;
    for entry in std::fs::read_dir(out).map_err(|e| Error::Failed(format!("{}: {e}", out.display())))?.flatten() {
        if entry.file_name() == "superseded" {
            continue;
        }
        std::fs::rename(entry.path(), target.join(entry.file_name()))
            .map_err(|e| Error::Failed(format!("{}: {e}", entry.path().display())))?;
    }
    Ok(())
}

/// Removes what a crashed, uncommitted attempt left in `out/D/`.
fn clear_uncommitted(out: &Path) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(out) else { return Ok(()) };
    for entry in entries.flatten() {
        if entry.file_name() == "superseded" {
            continue;
        }
        let p = entry.path();
        let r = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
        r.map_err(|e| Error::Failed(format!("{}: {e}", p.display())))?;
    }
    Ok(())
}

fn totals(day: &Day) -> BTreeMap<String, String> {
    let mut t: BTreeMap<(&str, Currency), Decimal> = BTreeMap::new();
    let mut add = |k: &'static str, c: Currency, v: Decimal| *t.entry((k, c)).or_default() += v;
    for p in day.state.payments.values().filter(|p| p.booked_on == day.date) {
        add("payments_in", p.currency, p.amount);
    }
    for a in &day.allocations {
        add("allocated", a.currency, a.total());
        add("allocated_fees", a.currency, a.fees);
        add("allocated_interest", a.currency, a.interest);
        add("allocated_principal", a.currency, a.principal);
    }
    for r in &day.refunds {
        add("refunds", r.payment.amount.currency(), r.amount);
    }
    for s in &day.suspense {
        add("suspense", s.payment.amount.currency(), s.payment.amount.amount());
    }
    let mut named: BTreeMap<String, String> =
        t.into_iter().map(|((k, c), v)| (format!("{k}.{c}"), fmt_amount(v))).collect();
    let mut settled: BTreeMap<String, Decimal> = BTreeMap::new();
    for v in &day.verifications {
        *settled.entry(format!("settlement.{}.{}", v.creditor_id(), v.currency())).or_default() += v.settled();
    }
    named.extend(settled.into_iter().map(|(k, v)| (k, fmt_amount(v))));
    named
}

#[allow(clippy::too_many_arguments)]
fn summarize(
    day: &Day,
    letters: &[Letter],
    config: &Config,
    out: &Path,
    quarantined: &[String],
    rejected_rows: &[ingest::Error],
    duplicate_files: &[inbox::InputFile],
    skipped_not_booked: usize,
) -> Summary {
    let mut counts = BTreeMap::new();
    counts.insert("claims_admitted".to_string(), day.admitted.len());
    counts.insert("claims_refused".to_string(), day.refusals.len());
    counts.insert("claims_open".to_string(), day.state.claims.values().filter(|c| !c.stage.is_closed()).count());
    counts.insert("rows_rejected".to_string(), rejected_rows.len());
    counts.insert("files_quarantined".to_string(), quarantined.len());
    counts.insert("files_duplicate".to_string(), duplicate_files.len());
    counts.insert("letters".to_string(), letters.len());
    counts.insert("payments_matched".to_string(), day.allocations.len());
    counts.insert("payments_refunded".to_string(), day.refunds.iter().filter(|r| r.reason != "overpayment").count());
    counts.insert("overpayments".to_string(), day.refunds.iter().filter(|r| r.reason == "overpayment").count());
    counts.insert("payments_in_suspense".to_string(), day.suspense.len());
    counts.insert("bank_duplicates".to_string(), day.duplicates.len());
    counts.insert("bank_debits_not_payments".to_string(), day.debits.len());
    counts.insert("bank_entries_not_booked".to_string(), skipped_not_booked);
    counts.insert("awaiting_approval".to_string(), day.awaiting.len());
    let mut refused_by_reason = BTreeMap::new();
    for r in &day.refusals {
        *refused_by_reason.entry(r.reason.to_string()).or_insert(0) += 1;
    }
    let mut letters_by_kind = BTreeMap::new();
    for l in letters {
        *letters_by_kind.entry(l.kind.as_str().to_string()).or_insert(0) += 1;
    }
    let mut settlement = BTreeMap::new();
    for v in &day.verifications {
        let name = config.creditor(v.creditor_id()).map_or("", |c| c.name.as_str());
        settlement
            .insert(format!("{} {name}", v.creditor_id()), format!("{} {}", fmt_amount(v.settled()), v.currency()));
    }
    Summary {
        date: day.date,
        out_dir: out.to_path_buf(),
        counts,
        refused_by_reason,
        letters_by_kind,
        settlement,
        quarantined: quarantined.to_vec(),
    }
}

/// Prints a short human summary of a committed day.
pub fn print_summary(s: &Summary) {
    let c = |k: &str| s.counts.get(k).copied().unwrap_or(0);
    println!("{}: committed -> {}", s.date, s.out_dir.display());
    let reasons: Vec<String> = s.refused_by_reason.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "  claims: {} admitted, {} refused{}",
        c("claims_admitted"),
        c("claims_refused"),
        if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) }
    );
    let kinds: Vec<String> = s.letters_by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "  letters: {}{}",
        c("letters"),
        if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) }
    );
    println!(
        "  payments: {} matched, {} in suspense, {} refunded, {} overpaid, {} duplicates",
        c("payments_matched"),
        c("payments_in_suspense"),
        c("payments_refunded"),
        c("overpayments"),
        c("bank_duplicates")
    );
    for (creditor, amount) in &s.settlement {
        println!("  settlement: {creditor}: {amount}");
    }
    if c("awaiting_approval") > 0 {
        println!("  awaiting approval: {}", c("awaiting_approval"));
    }
    for q in &s.quarantined {
        println!("  QUARANTINED: {q} (see quarantine/{}/{q}.error.txt)", s.date);
    }
    if c("rows_rejected") > 0 {
        println!("  rejected rows: {} (see rejected_rows.csv)", c("rows_rejected"));
    }
}
