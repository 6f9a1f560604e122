//! The state after a day as Parquet files in `state/D/` (schema:
//! `schemas/state.md`): `claims.parquet` (one row per claim; the claim's
//! short histories — principal changes, fees, letters, credit notes — as
//! JSON text columns), `payments.parquet` (every booked bank transaction,
//! by idempotency key) and `events.parquet` (that day's part of the
//! append-only audit log; the whole log is the union over days).
//!
//! The folder is written as `state/.D.tmp/` and renamed into place, so a
//! snapshot is either whole or absent.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use super::money_columns::{amount_to_text, date_to_days, days_to_date, text_to_amount};
use super::{atomic, io, Error};
use crate::engine::{BookedPayment, State, FIRST_CLAIM_NO};
use crate::model::{Channel, Claim, Currency, Debtor, DebtorKind, Event, Stage};

fn snap_err(path: &Path) -> impl Fn(PolarsError) -> Error + '_ {
    move |e| Error::Snapshot { path: path.to_path_buf(), message: e.to_string() }
}

fn bad(path: &Path, what: String) -> Error {
    Error::Snapshot { path: path.to_path_buf(), message: what }
}

fn date_col(name: &str, v: Vec<i32>) -> PolarsResult<Column> {
    Column::new(name.into(), v).cast(&DataType::Date)
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("invariant: model types serialise to JSON")
}

/// Writes `state` (and the day's `events`) to `dir` atomically.
///
/// # Errors
/// `Error::Io` / `Error::Snapshot` naming the file.
pub fn write(dir: &Path, state: &State, events: &[Event]) -> Result<(), Error> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    atomic::create_dir(&tmp)?;
    write_parquet(&tmp.join("claims.parquet"), claims_frame(state))?;
    write_parquet(&tmp.join("payments.parquet"), payments_frame(state))?;
    write_parquet(&tmp.join("events.parquet"), events_frame(events))?;
    atomic::sync_dir(&tmp)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::rename(&tmp, dir).map_err(io(dir))?;
    atomic::sync_dir(parent)
}

fn write_parquet(path: &Path, frame: PolarsResult<DataFrame>) -> Result<(), Error> {
    let mut df = frame.map_err(snap_err(path))?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df).map_err(snap_err(path))?;
    atomic::write(path, &buf)
}

fn claims_frame(state: &State) -> PolarsResult<DataFrame> {
    let c: Vec<&Claim> = state.claims.values().map(|c| &**c).collect();
    let s = |f: fn(&Claim) -> String| -> Vec<String> { c.iter().map(|x| f(x)).collect() };
    let d = |f: fn(&Claim) -> NaiveDate| -> Vec<i32> { c.iter().map(|x| date_to_days(f(x))).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("claim_id".into(), s(|x| x.claim_id.clone())),
        Column::new("claim_no".into(), c.iter().map(|x| x.claim_no).collect::<Vec<u64>>()),
        Column::new("creditor_id".into(), s(|x| x.creditor_id.clone())),
        Column::new("invoice_number".into(), s(|x| x.invoice_number.clone())),
        date_col("invoice_date", d(|x| x.invoice_date))?,
        date_col("due_date", d(|x| x.due_date))?,
        date_col("effective_due", d(|x| x.effective_due))?,
        Column::new("currency".into(), s(|x| x.currency.code().to_string())),
        Column::new("invoice_reference".into(), s(|x| x.invoice_reference.clone())),
        Column::new("agency_reference".into(), s(|x| x.agency_reference.clone())),
        Column::new("debtor_id".into(), s(|x| x.debtor.id.clone())),
        Column::new("debtor_type".into(), s(|x| json(&x.debtor.kind).trim_matches('"').to_string())),
        Column::new("debtor_name".into(), s(|x| x.debtor.name.clone())),
        Column::new("debtor_address1".into(), s(|x| x.debtor.address1.clone())),
        Column::new("debtor_address2".into(), s(|x| x.debtor.address2.clone())),
        Column::new("debtor_postcode".into(), s(|x| x.debtor.postcode.clone())),
        Column::new("debtor_city".into(), s(|x| x.debtor.city.clone())),
        Column::new("debtor_country".into(), s(|x| x.debtor.country.clone())),
        Column::new("debtor_email".into(), s(|x| x.debtor.email.clone())),
        Column::new("debtor_language".into(), s(|x| x.debtor.language.clone())),
        Column::new("channel".into(), s(|x| x.channel.as_str().to_string())),
        Column::new("description".into(), s(|x| x.description.clone())),
        Column::new("reminded_by_creditor".into(), c.iter().map(|x| x.reminded_by_creditor).collect::<Vec<bool>>()),
        date_col("admitted_on", d(|x| x.admitted_on))?,
        Column::new("principal_original".into(), s(|x| amount_to_text(x.principal_original))),
        Column::new("interest_paid".into(), s(|x| amount_to_text(x.interest_paid))),
        Column::new("fees_paid".into(), s(|x| amount_to_text(x.fees_paid))),
        Column::new("stage".into(), s(|x| x.stage.as_str().to_string())),
        date_col("stage_since", d(|x| x.stage_since))?,
        Column::new("principal_changes".into(), s(|x| json(&x.principal_changes))),
        Column::new("fees".into(), s(|x| json(&x.fees))),
        Column::new("letters".into(), s(|x| json(&x.letters))),
        Column::new("credit_notes".into(), s(|x| json(&x.credit_notes))),
    ])
}

fn payments_frame(state: &State) -> PolarsResult<DataFrame> {
    let p: Vec<&BookedPayment> = state.payments.values().collect();
    let s = |f: fn(&BookedPayment) -> String| -> Vec<String> { p.iter().map(|x| f(x)).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("payment_id".into(), s(|x| x.payment_id.clone())),
        Column::new("key".into(), s(|x| x.key.clone())),
        date_col("booked_on", p.iter().map(|x| date_to_days(x.booked_on)).collect())?,
        date_col("booking_date", p.iter().map(|x| date_to_days(x.booking_date)).collect())?,
        Column::new("amount".into(), s(|x| amount_to_text(x.amount))),
        Column::new("currency".into(), s(|x| x.currency.code().to_string())),
        Column::new("outcome".into(), s(|x| x.outcome.clone())),
        Column::new("claim_id".into(), s(|x| x.claim_id.clone())),
        Column::new("account".into(), s(|x| x.account.clone())),
        Column::new("bank_ref".into(), s(|x| x.bank_ref.clone())),
        Column::new("reference".into(), s(|x| x.reference.clone())),
        Column::new("fees".into(), s(|x| amount_to_text(x.fees))),
        Column::new("interest".into(), s(|x| amount_to_text(x.interest))),
        Column::new("principal".into(), s(|x| amount_to_text(x.principal))),
    ])
}

fn events_frame(events: &[Event]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&Event) -> String| -> Vec<String> { events.iter().map(f).collect() };
    DataFrame::new_infer_height(vec![
        date_col("date", events.iter().map(|e| date_to_days(e.date)).collect())?,
        Column::new("claim_id".into(), s(|e| e.claim_id.clone())),
        Column::new("payment_id".into(), s(|e| e.payment_id.clone())),
        Column::new("kind".into(), s(|e| e.kind.clone())),
        Column::new("amount".into(), s(|e| amount_to_text(e.amount))),
        Column::new("rule".into(), s(|e| e.rule.clone())),
        Column::new("detail".into(), s(|e| e.detail.clone())),
    ])
}

/// A column reader that names the file and column in its errors.
struct Frame {
    path: PathBuf,
    df: DataFrame,
}

impl Frame {
    fn read(path: &Path) -> Result<Frame, Error> {
        let file = File::open(path).map_err(io(path))?;
        let df = ParquetReader::new(file).finish().map_err(snap_err(path))?;
        Ok(Frame { path: path.to_path_buf(), df })
    }
    fn len(&self) -> usize {
        self.df.height()
    }
    fn strs(&self, name: &str) -> Result<Vec<String>, Error> {
        let col = self.df.column(name).map_err(snap_err(&self.path))?;
        let ca = col.str().map_err(snap_err(&self.path))?;
        Ok(ca.iter().map(|v| v.unwrap_or("").to_string()).collect())
    }
    fn dates(&self, name: &str) -> Result<Vec<NaiveDate>, Error> {
        let col =
            self.df.column(name).map_err(snap_err(&self.path))?.cast(&DataType::Int32).map_err(snap_err(&self.path))?;
        let ca = col.i32().map_err(snap_err(&self.path))?;
        ca.iter()
            .map(|v| {
                v.and_then(days_to_date).ok_or_else(|| bad(&self.path, format!("column {name}: missing or bad date")))
            })
            .collect()
    }
    fn amounts(&self, name: &str) -> Result<Vec<rust_decimal::Decimal>, Error> {
        self.strs(name)?
            .iter()
            .map(|s| text_to_amount(s).ok_or_else(|| bad(&self.path, format!("column {name}: bad amount {s:?}"))))
            .collect()
    }
    fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Vec<T>, Error> {
        self.strs(name)?
            .iter()
            .map(|s| serde_json::from_str(s).map_err(|e| bad(&self.path, format!("column {name}: {e}"))))
            .collect()
    }
}

/// Reads the state written by `write` for day `date`.
///
/// # Errors
/// `Error::Io` / `Error::Snapshot` naming the file and column.
pub fn read(dir: &Path, date: NaiveDate) -> Result<State, Error> {
    let mut state = State { date: Some(date), next_claim_no: FIRST_CLAIM_NO, ..State::default() };
    let f = Frame::read(&dir.join("claims.parquet"))?;
    let n = f.len();
    let st = |name: &str| f.strs(name);
    let (ids, creditors, invoices) = (st("claim_id")?, st("creditor_id")?, st("invoice_number")?);
    let claim_nos: Vec<u64> = {
        let col = f.df.column("claim_no").map_err(snap_err(&f.path))?;
        col.u64().map_err(snap_err(&f.path))?.iter().map(|v| v.unwrap_or(0)).collect()
    };
    let reminded: Vec<bool> = {
        let col = f.df.column("reminded_by_creditor").map_err(snap_err(&f.path))?;
        col.bool().map_err(snap_err(&f.path))?.iter().map(|v| v.unwrap_or(false)).collect()
    };
    let (inv_dates, due, eff, admitted, since) = (
        f.dates("invoice_date")?,
        f.dates("due_date")?,
        f.dates("effective_due")?,
        f.dates("admitted_on")?,
        f.dates("stage_since")?,
    );
    let (currency, inv_ref, ag_ref) = (st("currency")?, st("invoice_reference")?, st("agency_reference")?);
    let (d_id, d_type, d_name, d_a1, d_a2, d_pc, d_city, d_ctry, d_mail, d_lang) = (
        st("debtor_id")?,
        st("debtor_type")?,
        st("debtor_name")?,
        st("debtor_address1")?,
        st("debtor_address2")?,
        st("debtor_postcode")?,
        st("debtor_city")?,
        st("debtor_country")?,
        st("debtor_email")?,
        st("debtor_language")?,
    );
    let (channel, descr, stage) = (st("channel")?, st("description")?, st("stage")?);
    let (p0, ipaid, fpaid) = (f.amounts("principal_original")?, f.amounts("interest_paid")?, f.amounts("fees_paid")?);
    let changes = f.json("principal_changes")?;
    let fees = f.json("fees")?;
    let letters = f.json("letters")?;
    let notes = f.json("credit_notes")?;
    let mut changes = changes.into_iter();
    let mut fees = fees.into_iter();
    let mut letters = letters.into_iter();
    let mut notes = notes.into_iter();
    for i in 0..n {
        let row = |what: &str| bad(&f.path, format!("row {}: bad {what}", i + 1));
        let claim = Claim {
            claim_id: ids[i].clone(),
            claim_no: claim_nos[i],
            creditor_id: creditors[i].clone(),
            invoice_number: invoices[i].clone(),
            invoice_date: inv_dates[i],
            due_date: due[i],
            effective_due: eff[i],
            currency: Currency::from_str_exact(&currency[i]).ok_or_else(|| row("currency"))?,
            invoice_reference: inv_ref[i].clone(),
            agency_reference: ag_ref[i].clone(),
            debtor: Debtor {
                id: d_id[i].clone(),
                kind: match d_type[i].as_str() {
                    "consumer" => DebtorKind::Consumer,
                    "business" => DebtorKind::Business,
                    _ => return Err(row("debtor_type")),
                },
                name: d_name[i].clone(),
                address1: d_a1[i].clone(),
                address2: d_a2[i].clone(),
                postcode: d_pc[i].clone(),
                city: d_city[i].clone(),
                country: d_ctry[i].clone(),
                email: d_mail[i].clone(),
                language: d_lang[i].clone(),
            },
            channel: match channel[i].as_str() {
                "paper" => Channel::Paper,
                "email" => Channel::Email,
                "einvoice" => Channel::Einvoice,
                _ => return Err(row("channel")),
            },
            description: descr[i].clone(),
            reminded_by_creditor: reminded[i],
            admitted_on: admitted[i],
            principal_original: p0[i],
            principal_changes: changes.next().ok_or_else(|| row("principal_changes"))?,
            interest_paid: ipaid[i],
            fees: fees.next().ok_or_else(|| row("fees"))?,
            fees_paid: fpaid[i],
            letters: letters.next().ok_or_else(|| row("letters"))?,
            stage: Stage::parse(&stage[i]).ok_or_else(|| row("stage"))?,
            stage_since: since[i],
            credit_notes: notes.next().ok_or_else(|| row("credit_notes"))?,
        };
        state.next_claim_no = state.next_claim_no.max(claim.claim_no + 1);
        state.claims.insert(claim.claim_id.clone(), std::sync::Arc::new(claim));
    }
    let p = Frame::read(&dir.join("payments.parquet"))?;
    let (pid, key, amount, cur, outcome, cid) = (
        p.strs("payment_id")?,
        p.strs("key")?,
        p.amounts("amount")?,
        p.strs("currency")?,
        p.strs("outcome")?,
        p.strs("claim_id")?,
    );
    let (booked_on, booking) = (p.dates("booked_on")?, p.dates("booking_date")?);
    let (account, bank_ref, reference) = (p.strs("account")?, p.strs("bank_ref")?, p.strs("reference")?);
    let (fees, interest, principal) = (p.amounts("fees")?, p.amounts("interest")?, p.amounts("principal")?);
    for i in 0..p.len() {
        let bp = BookedPayment {
            payment_id: pid[i].clone(),
            key: key[i].clone(),
            booked_on: booked_on[i],
            booking_date: booking[i],
            amount: amount[i],
            currency: Currency::from_str_exact(&cur[i])
                .ok_or_else(|| bad(&p.path, format!("row {}: bad currency", i + 1)))?,
            outcome: outcome[i].clone(),
            claim_id: cid[i].clone(),
            account: account[i].clone(),
            bank_ref: bank_ref[i].clone(),
            reference: reference[i].clone(),
            fees: fees[i],
            interest: interest[i],
            principal: principal[i],
        };
        state.payments.insert(bp.key.clone(), bp);
    }
    Ok(state)
}

/// Reads one day's events (for `explain` and tests).
///
/// # Errors
/// `Error::Io` / `Error::Snapshot` naming the file.
pub fn read_events(dir: &Path) -> Result<Vec<Event>, Error> {
    let f = Frame::read(&dir.join("events.parquet"))?;
    let (dates, claim, pay, kind, amount, rule, detail) = (
        f.dates("date")?,
        f.strs("claim_id")?,
        f.strs("payment_id")?,
        f.strs("kind")?,
        f.amounts("amount")?,
        f.strs("rule")?,
        f.strs("detail")?,
    );
    Ok((0..f.len())
        .map(|i| Event {
            date: dates[i],
            claim_id: claim[i].clone(),
            payment_id: pay[i].clone(),
            kind: kind[i].clone(),
            amount: amount[i],
            rule: rule[i].clone(),
            detail: detail[i].clone(),
        })
        .collect())
}
