//! Throughput benchmarks (`cargo bench --bench throughput`): parse throughput
//! per bank format on one core, then the engine's night (admission,
//! matching, allocation, interest, ladder, settlement), journal writing and
//! PDF rendering on synthetic claims (`BENCH_CLAIMS`, `BENCH_PAYMENTS`,
//! default 100 000 each), and the state snapshot (`BENCH_ONLY=snapshot`:
//! write and read of `BENCH_CLAIMS` claims, default 1 000 000, with as many
//! booked payments and audit events, `SNAPSHOT_RUNS` times each, default 3:
//! the best and the median are reported). Results: BENCHMARKS.md.
//!
//! Each format gets a synthetic file of realistic records (about 20-50 MB),
//! parsed several times (`BENCH_RUNS`, default 5); the best run is reported
//! in MB/s. Targets (issue
//! 3, BENCHMARKS.md): camt.053 >= 200 MB/s, BgMax and Nets OCR >= 400 MB/s.

use std::time::Instant;

/// The same allocator as the `inkasso` binary (src/main.rs), so the figures
/// are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use inkasso::ingest::bank;

fn camt(n: usize) -> Vec<u8> {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>B</MsgId><CreDtTm>2025-01-10T22:00:00+01:00</CreDtTm></GrpHdr><Stmt><Id>S</Id><CreDtTm>2025-01-10T22:00:00+01:00</CreDtTm><Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id><Ccy>SEK</Ccy></Acct>
"#,
    );
    for i in 0..n {
        s.push_str(&format!(
            r#"<Ntry><Amt Ccy="SEK">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-01-10</Dt></BookgDt><ValDt><Dt>2025-01-10</Dt></ValDt><AcctSvcrRef>SEB250110{i:09}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="SEK">{}.{:02}</Amt></TxAmt></AmtDtls><RltdPties><Dbtr><Nm>Åsa Öberg {i}</Nm></Dbtr></RltdPties><RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
"#,
            100 + i % 9000,
            i % 100,
            100 + i % 9000,
            i % 100,
            1_000_000 + i
        ));
    }
    s.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    s.into_bytes()
}

fn rec(tk: &str, fields: &[(usize, String)]) -> String {
    let mut r = vec![b' '; 80];
    r[..2].copy_from_slice(tk.as_bytes());
    for (pos, text) in fields {
        r[pos - 1..pos - 1 + text.len()].copy_from_slice(text.as_bytes());
    }
    String::from_utf8(r).unwrap_or_default()
}

fn bgmax(n: usize) -> Vec<u8> {
    let mut lines = vec![
        rec("01", &[(3, "BGMAX".into()), (23, "01".into()), (25, "20250110060000123456".into()), (45, "P".into())]),
        rec("05", &[(3, "0050501055".into()), (23, "SEK".into())]),
    ];
    let mut total = 0u64;
    for i in 0..n {
        let ore = 10_000 + (i as u64 % 900_000);
        total += ore;
        lines.push(rec(
            "20",
            &[
                (3, "0000000000".into()),
                (13, format!("{:>25}", 1_000_000 + i)),
                (38, format!("{ore:018}")),
                (56, "2".into()),
                (57, "1".into()),
                (58, format!("{:012}", i + 1)),
                (70, "0".into()),
            ],
        ));
        lines.push(rec("26", &[(3, format!("Betalare {i}"))]));
    }
    lines.push(rec(
        "15",
        &[
            (3, format!("{:035}", 50501055)),
            (38, "20250110".into()),
            (46, "00001".into()),
            (51, format!("{total:018}")),
            (69, "SEK".into()),
            (72, format!("{n:08}")),
        ],
    ));
    lines.push(rec("70", &[(3, format!("{n:08}{:08}{:08}{:08}", 0, 0, 1))]));
    lines.join("\r\n").into_bytes()
}

fn nets(n: usize) -> Vec<u8> {
    // Record layouts as in src/ingest/bank/nets_ocr.rs (Nets OCR giro).
    let zeros = |k: usize| "0".repeat(k);
    let mut lines = vec![
        format!("NY000010{}{}{}{}", "00008080", "0000001", "00123456", zeros(49)),
        format!("NY090020{}{}{}{}", "001008566", "0000002", "12345678903", zeros(45)),
    ];
    let mut total: u64 = 0;
    for i in 0..n {
        let t = (i % 9_999_999) as u32 + 1;
        let ore = 100 + (i as u64 % 100_000);
        total += ore;
        let kid = format!("{}", 1_000_000 + i);
        lines.push(format!("NY091030{t:07}{}13201{:05}0{ore:017}{kid:>25}000000", "100125", t % 100_000));
        lines.push(format!("NY091031{t:07}96368271940990385620000000160192{}{}", "99990512341", zeros(22)));
    }
    let records = 2 * n + 4;
    lines.push(format!("NY090088{n:08}{:08}{total:017}{d}{d}{d}{}", records - 2, zeros(21), d = "100125"));
    lines.push(format!("NY000089{n:08}{records:08}{total:017}{}{}", "100125", zeros(33)));
    lines.join("\n").into_bytes()
}

/// Parses `bytes` `BENCH_RUNS` times (default 5) and prints the best run.
/// More runs give a steadier best on a shared machine, and let a profiler
/// see the parser rather than the making of the file.
fn bench(name: &str, bytes: &[u8], parse: impl Fn(&[u8]) -> usize) {
    let runs = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..runs {
        let t = Instant::now();
        count = parse(bytes);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = bytes.len() as f64 / 1e6;
    println!("{name:<10} {mb:8.1} MB  {count:>9} transactions  best {best:7.3} s  {:8.1} MB/s", mb / best);
}

fn count(r: Result<bank::BankFile, Vec<inkasso::ingest::Error>>) -> usize {
    match r {
        Ok(f) => f.transactions.len(),
        Err(e) => panic!("benchmark input rejected: {}", e[0]),
    }
}

fn main() {
    // Repeated steps measure the step, not the kernel zeroing their pages
    // again (the binary returns freed memory instead: `return_freed_memory`).
    inkasso::keep_freed_memory();
    // BENCH_ONLY=camt|bgmax|nets|pipeline|snapshot runs one part.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let want = |part: &str| only.is_empty() || only == part;
    if want("camt") {
        bench("camt.053", &camt(40_000), |b| count(bank::camt::parse(b)));
    }
    if want("bgmax") {
        bench("bgmax", &bgmax(150_000), |b| count(bank::bgmax::parse(b)));
    }
    if want("nets") {
        bench("nets_ocr", &nets(150_000), |b| count(bank::nets_ocr::parse(b)));
    }
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    if want("pipeline") {
        pipeline::run(env("BENCH_CLAIMS", 100_000), env("BENCH_PAYMENTS", 100_000));
    }
    // Not part of the default run: it needs a few GB of RAM.
    if only == "snapshot" {
        snapshot::run(env("BENCH_CLAIMS", 1_000_000), env("BENCH_PAYMENTS", 1_000_000));
    }
}

mod snapshot {
    //! Write and read of the state snapshot (`state/D/`, schemas/state.md)
    //! for a synthetic state shaped like a few months of nights: every claim
    //! has a few principal changes, fees and letters, one in ten a credit
    //! note, one in a thousand an amount with 28 decimals (exact accrued
    //! interest); every payment is booked, and the night has one audit event
    //! per claim.

    use std::sync::Arc;
    use std::time::Instant;

    use chrono::{Duration, NaiveDate};
    use inkasso::engine::{BookedPayment, State};
    use inkasso::model::*;
    use inkasso::store::snapshot;
    use rust_decimal::Decimal;

    fn day(n: usize) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 9, 1).unwrap_or_default() + Duration::days(n as i64)
    }

    fn ore(i: usize, salt: usize) -> Decimal {
        Decimal::new(10_000 + ((i * 7919 + salt * 104_729) % 2_000_000) as i64, 2)
    }

    fn claim(i: usize) -> Claim {
        let creditor = format!("55{:08}", 61_234_567 + (i % 10) * 1_111);
        let invoice = format!("{}", 100_000 + i);
        let principal = ore(i, 0);
        let wide = i % 1000 == 7;
        let changes = (0..1 + i % 3)
            .map(|k| PrincipalChange {
                from: day(40 + k * 9),
                delta: if wide && k == 0 { -principal / Decimal::from(3) } else { -ore(i, k + 1) / Decimal::from(4) },
                cause: [PrincipalCause::Payment, PrincipalCause::DirectPayment, PrincipalCause::CreditNote][k % 3],
            })
            .collect();
        let fees = (0..1 + (i + 1) % 3)
            .map(|k| Fee {
                kind: [FeeKind::Reminder, FeeKind::Collection, FeeKind::LateCompensation][k],
                amount: [Decimal::new(60, 0), Decimal::new(180, 0), Decimal::new(45_000, 2)][k],
                date: day(30 + k * 14),
                rule: [
                    "se::paminnelseavgift (lag 1981:739 2 §)",
                    "se::inkassoavgift (lag 1981:739 3 §)",
                    "se::forseningsersattning (lag 1981:739 4 a §)",
                ][k]
                    .into(),
            })
            .collect();
        let letters = (0..1 + (i + 2) % 3)
            .map(|k| SentLetter {
                kind: if k == 0 { LetterKind::Reminder } else { LetterKind::Collection },
                date: day(30 + k * 14),
                pay_by: day(40 + k * 14),
                amount_due: principal + Decimal::new(60 + 180 * k as i64, 0),
            })
            .collect();
        Claim {
            claim_id: format!("{creditor}-{invoice}").into(),
            claim_no: 1001 + i as u64,
            creditor_id: creditor.as_str().into(),
            invoice_number: invoice.as_str().into(),
            invoice_date: day(0),
            due_date: day(i % 30),
            effective_due: day(i % 30 + 1),
            currency: if i.is_multiple_of(50) { Currency::EUR } else { Currency::SEK },
            invoice_reference: format!("{}", 7_000_000 + i).into(),
            agency_reference: format!("{}{}", 1001 + i, i % 10).into(),
            debtor: std::sync::Arc::new(Debtor {
                id: format!("{:06}-{:04}", 500_000 + i % 400_000, i % 10_000).into(),
                kind: if i.is_multiple_of(5) { DebtorKind::Business } else { DebtorKind::Consumer },
                name: format!("Gäldenär Åsa Öberg {i}").into(),
                address1: format!("Storgatan {}", 1 + i % 120).into(),
                address2: if i.is_multiple_of(4) { format!("c/o Ærø {i}").into() } else { Default::default() },
                postcode: format!("{} {:02}", 100 + i % 900, i % 100).into(),
                city: ["Stockholm", "Göteborg", "Malmö", "Umeå", "Luleå"][i % 5].into(),
                country: "SE".into(),
                email: if i.is_multiple_of(3) { format!("debtor{i}@example.se").into() } else { Default::default() },
                language: "sv".into(),
            }),
            channel: [Channel::Paper, Channel::Email, Channel::Einvoice][i % 3],
            description: if i.is_multiple_of(2) {
                format!("Konsulttjänster oktober, order {i}").into()
            } else {
                Default::default()
            },
            reminded_by_creditor: i.is_multiple_of(7),
            admitted_on: day(30),
            principal_original: principal,
            principal_changes: changes,
            interest_paid: Decimal::new((i % 5000) as i64, 2),
            fees,
            fees_paid: Decimal::new(if i.is_multiple_of(4) { 6000 } else { 0 }, 2),
            letters,
            stage: [
                Stage::Reminder,
                Stage::Collection,
                Stage::AwaitingCollectionApproval,
                Stage::Closed(ClosedReason::Paid),
            ][i % 4],
            stage_since: day(44),
            credit_notes: if i.is_multiple_of(10) { vec![format!("K-{i}")].into() } else { Default::default() },
        }
    }

    fn payment(i: usize, claims: usize) -> BookedPayment {
        let amount = Decimal::new(5_000 + (i % 900_000) as i64, 2);
        let bank_ref = format!("SEB2501{:010}", i);
        let claim = i % claims.max(1);
        BookedPayment {
            payment_id: format!("P{:016X}", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).into(),
            key: format!("SE4550000000058398257466|{bank_ref}|2025-01-{:02}|credit|{amount}", 1 + i % 28).into(),
            booked_on: day(40 + i % 60),
            booking_date: day(39 + i % 60),
            amount,
            currency: Currency::SEK,
            outcome: if i.is_multiple_of(30) { "suspense".into() } else { "allocated".into() },
            claim_id: if i.is_multiple_of(30) {
                Default::default()
            } else {
                format!("55{:08}-{}", 61_234_567 + (claim % 10) * 1_111, 100_000 + claim).into()
            },
            account: "SE4550000000058398257466".into(),
            bank_ref: bank_ref.into(),
            reference: format!("{}{}", 1001 + claim, claim % 10).into(),
            fees: Decimal::new(if i.is_multiple_of(3) { 6000 } else { 0 }, 2),
            interest: Decimal::new((i % 977) as i64, 2),
            principal: amount - Decimal::new((i % 977) as i64, 2),
        }
    }

    fn event(i: usize) -> Event {
        Event {
            date: day(100),
            claim_id: format!("55{:08}-{}", 61_234_567 + (i % 10) * 1_111, 100_000 + i).into(),
            payment_id: if i.is_multiple_of(2) { format!("P{:016X}", i).into() } else { Default::default() },
            kind: ["allocation", "letter", "fee", "stage"][i % 4].into(),
            amount: Decimal::new((i % 100_000) as i64, 2),
            rule: ["allocation: fees, interest, principal", "ladder", "se::inkassoavgift (lag 1981:739 3 §)", "ladder"]
                [i % 4]
                .into(),
            detail: format!("camt053_seb_2025-01-09_01.xml:{}; OCR {}", 40 + i, 1001 + i),
        }
    }

    fn dir_bytes(dir: &std::path::Path) -> Vec<(String, u64)> {
        let mut files: Vec<(String, u64)> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().map(|m| m.len()).unwrap_or(0)))
            .collect();
        files.sort();
        files
    }

    /// Process CPU time (user + system) in seconds, from /proc/self/stat
    /// (Linux; 0 elsewhere). The machine may be shared, so CPU time is the
    /// figure to compare; wall time is printed beside it.
    fn cpu_seconds() -> f64 {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // utime and stime, in clock ticks of 1/100 s.
        (ticks(11) + ticks(12)) / 100.0
    }

    /// Runs `f` `SNAPSHOT_RUNS` times (default 3): the best and the median
    /// wall time, the best CPU time (seconds) and the last result.
    fn best_of<T>(mut f: impl FnMut() -> T) -> (f64, f64, f64, T) {
        let runs = std::env::var("SNAPSHOT_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3usize).max(1);
        let (mut walls, mut cpu, mut last) = (Vec::with_capacity(runs), f64::MAX, None);
        for _ in 0..runs {
            drop(last.take());
            let (t, c) = (Instant::now(), cpu_seconds());
            last = Some(f());
            walls.push(t.elapsed().as_secs_f64());
            cpu = cpu.min(cpu_seconds() - c);
        }
        walls.sort_by(f64::total_cmp);
        (walls[0], walls[runs / 2], cpu, last.expect("invariant: at least one run"))
    }

    pub fn run(claims: usize, payments: usize) {
        let t = Instant::now();
        let state = State {
            date: Some(day(100)),
            claims: (0..claims).map(claim).map(|c| (c.claim_id.clone(), Arc::new(c))).collect(),
            payments: (0..payments)
                .map(|i| payment(i, claims))
                .map(|p| (p.key.clone(), std::sync::Arc::new(p)))
                .collect(),
            next_claim_no: 1001 + claims as u64,
        };
        let events: Vec<Event> = (0..claims).map(event).collect();
        let histories: usize = state
            .claims
            .values()
            .map(|c| c.principal_changes.len() + c.fees.len() + c.letters.len() + c.credit_notes.len())
            .sum();
        println!(
            "snapshot state: {claims} claims ({histories} history entries), {} payments, {} events (built in {:.1} s)",
            state.payments.len(),
            events.len(),
            t.elapsed().as_secs_f64()
        );
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("state").join(day(100).to_string());
        let (write_wall, write_median, write_cpu, ()) =
            best_of(|| snapshot::write(&dir, &state, &events).expect("snapshot write"));
        let (read_wall, read_median, read_cpu, back) =
            best_of(|| snapshot::read(&dir, day(100)).expect("snapshot read"));
        assert!(back == state, "the snapshot read back differs from the state written");
        let back_events = snapshot::read_events(&dir).expect("events read");
        assert!(back_events == events, "the events read back differ");
        let files = dir_bytes(&dir);
        let total: u64 = files.iter().map(|(_, b)| b).sum();
        let sizes: Vec<String> = files.iter().map(|(n, b)| format!("{n} {:.1} MB", *b as f64 / 1e6)).collect();
        println!("snapshot files: {} ({:.1} MB in all)", sizes.join(", "), total as f64 / 1e6);
        println!(
            "snapshot write of {claims} claims: best {write_wall:.3} s wall (median {write_median:.3}), {write_cpu:.2} s CPU"
        );
        println!(
            "snapshot read of {claims} claims: best {read_wall:.3} s wall (median {read_median:.3}), {read_cpu:.2} s CPU"
        );
    }
}

mod pipeline {
    //! The engine's steps, journal writing and PDF rendering.

    use std::time::Instant;

    use chrono::NaiveDate;
    use inkasso::engine::{self, Inputs, State};
    use inkasso::model::*;
    use rust_decimal::Decimal;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn config() -> Config {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/inkasso.toml")).unwrap_or_default();
        inkasso::store::config::parse(std::path::Path::new("inkasso.toml"), &text).expect("fixture config")
    }

    fn row(i: usize) -> ReceivableRow {
        ReceivableRow {
            source: Source { file: "bench.csv".into(), line: i as u32 + 2 },
            creditor_id: "5561234567".into(),
            invoice_number: format!("{}", 100_000 + i),
            invoice_date: d("2024-10-01"),
            due_date: d("2024-11-01"),
            currency: Currency::SEK,
            amount: Decimal::new(100_000 + (i as i64 % 900_000), 2),
            open_amount: Decimal::new(100_000 + (i as i64 % 900_000), 2),
            status: InvoiceStatus::Sent,
            reference: format!("{}", 7_000_000 + i),
            debtor: Debtor {
                id: format!("D{i}").into(),
                kind: if i.is_multiple_of(5) { DebtorKind::Business } else { DebtorKind::Consumer },
                name: format!("Gäldenär {i}").into(),
                address1: "Storgatan 1".into(),
                address2: Default::default(),
                postcode: "111 22".into(),
                city: "Stockholm".into(),
                country: "SE".into(),
                email: Default::default(),
                language: "sv".into(),
            },
            debtor_group: Default::default(),
            channel: Channel::Paper,
            reminded_by_creditor: false,
            other_agency: false,
            credited_invoice: String::new(),
            description: String::new(),
        }
    }

    pub fn run(claims: usize, payments: usize) {
        let cfg = config();
        let rows: Vec<ReceivableRow> = (0..claims).map(row).collect();
        let t = Instant::now();
        let mut day1 = engine::day(
            State::default(),
            Inputs { receivables: vec![rows], ..Inputs::default() },
            &cfg,
            d("2024-12-02"),
        )
        .expect("day 1");
        let admit = t.elapsed().as_secs_f64();
        println!("engine day 1 ({claims} claims admitted, {} letters): {admit:.3} s", day1.letters.len());
        let claims_by_no: Vec<&Claim> = day1.state.claims.values().map(|c| &**c).collect();
        let txs: Vec<BankTransaction> = (0..payments)
            .map(|i| {
                let c = claims_by_no[i % claims_by_no.len()];
                BankTransaction {
                    payment_id: format!("P{i}").into(),
                    key: format!("K{i}"),
                    source: Source { file: "camt.xml".into(), line: i as u32 },
                    account: "SE45".into(),
                    bank_ref: format!("B{i}").into(),
                    booking_date: d("2024-12-03"),
                    amount: Money::new(Decimal::new(50_000, 2), Currency::SEK),
                    direction: Direction::Credit,
                    reversal: false,
                    structured_ref: c.agency_reference.as_str().into(),
                    unstructured: "".into(),
                    payer: "".into(),
                }
            })
            .collect();
        let t = Instant::now();
        let day2 = engine::day(
            std::mem::take(&mut day1.state),
            Inputs { transactions: vec![txs], ..Inputs::default() },
            &cfg,
            d("2024-12-04"),
        )
        .expect("day 2");
        let pay = t.elapsed().as_secs_f64();
        println!(
            "engine day 2 ({payments} payments matched and allocated over {claims} claims, ladder, settlement): {pay:.3} s = {:.0} payments/s",
            payments as f64 / pay
        );
        let t = Instant::now();
        let mut total = Decimal::ZERO;
        let pack = inkasso::rules::se::Sweden::new(&[]);
        for c in day2.state.claims.values() {
            let segs = inkasso::rules::interest::claim_segments(c, d("2025-03-31"), |x| {
                inkasso::rules::RulePack::interest_rate(&pack, x, c.debtor.kind)
            })
            .expect("rates known");
            total += inkasso::rules::interest::total(&segs);
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "interest over a rate change for {claims} claims: {s:.3} s = {:.0} claims/s (sum {})",
            claims as f64 / s,
            total.round_dp(2)
        );
        let header = inkasso::emit::journals::JournalHeader {
            org_no: "5561234567".into(),
            company_name: "Kund AB".into(),
            program: "inkasso".into(),
            generated: d("2024-12-04"),
            currency: Currency::SEK,
        };
        let t = Instant::now();
        let sie = inkasso::emit::journals::sie4::write(&header, &day2.verifications);
        let csv = inkasso::emit::journals::csv::write(&day2.verifications);
        let postings: usize = day2.verifications.iter().map(|v| v.postings().len()).sum();
        let s = t.elapsed().as_secs_f64();
        println!("journals: {postings} postings as SIE4 + CSV ({} bytes): {s:.3} s", sie.len() + csv.len());
        let letters: Vec<Letter> = day1.letters.iter().take(2_000).cloned().collect();
        let t = Instant::now();
        let plan = inkasso::emit::letters::plan(letters.clone()).expect("plan");
        let files = inkasso::emit::letters::render_planned(&plan).expect("render");
        let s = t.elapsed().as_secs_f64();
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        println!(
            "letters: {} one-page letters in {} batch PDFs ({bytes} bytes): {s:.3} s = {:.0} letters/s",
            letters.len(),
            files.len(),
            letters.len() as f64 / s
        );
    }
}
