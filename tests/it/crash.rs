//! Crashes and faults: the real binary is killed at every write of a night
//! (and at random moments), or its writes fail as on a full disk; the day
//! stays uncommitted, the day before stays intact, and running again gives
//! exactly the bytes of a run that never crashed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::scenario_golden::files_with_bytes;

const DAY: &str = "2024-12-30";

fn fixture(day: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/days").join(day).join(name)
}

fn inkasso(dir: &Path, date: &str, fault: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_inkasso"));
    c.args(["run", "--data", dir.to_str().unwrap(), "--date", date]);
    if let Some(f) = fault {
        c.env("INKASSO_TEST_FAULT", f);
    }
    c.output().unwrap()
}

/// A data directory after the first sample night, with the inputs of
/// 2024-12-30 in the inbox (a payment file and a file that gets quarantined).
fn prepared() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/inkasso.toml"), dir.join("inkasso.toml"))
        .unwrap();
    std::fs::create_dir(dir.join("inbox")).unwrap();
    std::fs::copy(fixture("2024-12-16", "export_5561234567_2024-12-16.csv"), dir.join("inbox/export.csv")).unwrap();
    assert!(inkasso(dir, "2024-12-16", None).status.success());
    std::fs::copy(fixture("2024-12-30", "camt053_seb_2024-12-27.xml"), dir.join("inbox/camt.xml")).unwrap();
    std::fs::write(
        dir.join("inbox/broken.xml"),
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>",
    )
    .unwrap();
    tmp
}

/// Everything day D produced (outputs and state), by relative path.
fn day_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = Vec::new();
    for sub in ["out", "state", "archive", "quarantine"] {
        let p = dir.join(sub).join(DAY);
        if p.exists() {
            all.extend(files_with_bytes(&p).into_iter().map(|(k, v)| (format!("{sub}/{k}"), v)));
        }
    }
    all
}

/// The paths present in only one of two listings, or with different bytes.
fn differing(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut paths: Vec<String> = a
        .iter()
        .filter(|x| !b.contains(x))
        .chain(b.iter().filter(|x| !a.contains(x)))
        .map(|(p, _)| p.clone())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn clean_reference() -> Vec<(String, Vec<u8>)> {
    let tmp = prepared();
    assert!(inkasso(tmp.path(), DAY, None).status.success());
    day_bytes(tmp.path())
}

fn assert_day_before_intact(dir: &Path, before: &[(String, Vec<u8>)]) {
    let now: Vec<(String, Vec<u8>)> = ["out", "state"]
        .iter()
        .flat_map(|s| {
            files_with_bytes(&dir.join(s).join("2024-12-16")).into_iter().map(move |(k, v)| (format!("{s}/{k}"), v))
        })
        .collect();
    assert!(now == before, "the committed day before changed");
}

#[test]
fn killed_at_every_write_then_rerun_gives_the_clean_bytes() {
    let reference = clean_reference();
    let mut killed = 0;
    for n in 1..200 {
        let tmp = prepared();
        let dir = tmp.path();
        let before: Vec<(String, Vec<u8>)> = ["out", "state"]
            .iter()
            .flat_map(|s| {
                files_with_bytes(&dir.join(s).join("2024-12-16")).into_iter().map(move |(k, v)| (format!("{s}/{k}"), v))
            })
            .collect();
        let crashed = inkasso(dir, DAY, Some(&format!("abort:{n}")));
        if crashed.status.success() {
            assert!(n > 10, "a night writes more than 10 files");
            break; // n is past the last write: every point has been tried
        }
        killed += 1;
        assert_eq!(crashed.status.code(), None, "abort:{n} ends by a signal");
        assert!(
            !dir.join("out").join(DAY).join("run.json").exists(),
            "abort:{n}: committed without run.json being written"
        );
        assert_day_before_intact(dir, &before);
        // The lock of the dead process is taken over; the run completes.
        let again = inkasso(dir, DAY, None);
        assert!(again.status.success(), "after abort:{n}: {}", String::from_utf8_lossy(&again.stderr));
        assert!(day_bytes(dir) == reference, "after abort:{n} the rerun differs from a clean run");
        let inbox: Vec<_> = std::fs::read_dir(dir.join("inbox")).unwrap().collect();
        assert!(inbox.is_empty(), "after abort:{n}: inputs left in the inbox");
    }
    assert!(killed > 10, "only {killed} kill points");
}

#[test]
fn killed_at_random_moments_then_rerun_gives_the_clean_bytes() {
    let reference = clean_reference();
    // Deterministic "random" delays spread over a run's duration.
    let mut seed: u64 = 0x5eed;
    for _ in 0..8 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay_ms = 5 + (seed >> 33) % 400;
        let tmp = prepared();
        let dir = tmp.path();
        let mut child = Command::new(env!("CARGO_BIN_EXE_inkasso"))
            .args(["run", "--data", dir.to_str().unwrap(), "--date", DAY])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let again = inkasso(dir, DAY, None);
        let committed_before_kill = again.status.code() == Some(2);
        assert!(
            again.status.success() || committed_before_kill,
            "kill at {delay_ms} ms: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        let got = day_bytes(dir);
        assert!(
            got == reference,
            "kill at {delay_ms} ms: outputs differ from a clean run: {:?}",
            differing(&got, &reference)
        );
        // The next night never reads the day's inputs again.
        let next = inkasso(dir, "2024-12-31", None);
        assert!(next.status.success());
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("out/2024-12-31/run.json")).unwrap()).unwrap();
        assert_eq!(run["inputs"].as_array().unwrap().len(), 0, "kill at {delay_ms} ms: inputs read twice");
    }
}

#[test]
fn a_full_disk_fails_the_run_clearly_and_commits_nothing() {
    let reference = clean_reference();
    // Writes of that night: inputs archived/quarantined (1-3), PDFs and CSV
    // outputs, the three snapshot files, run.json last.
    for n in [1, 3, 6, 12, 16, 18] {
        let tmp = prepared();
        let dir = tmp.path();
        let out = inkasso(dir, DAY, Some(&format!("enospc:{n}")));
        assert_eq!(out.status.code(), Some(1), "enospc:{n}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("No space left on device"), "enospc:{n}: {stderr}");
        assert!(stderr.contains(dir.to_str().unwrap()), "enospc:{n}: the message names the path: {stderr}");
        assert!(!dir.join("out").join(DAY).join("run.json").exists());
        let day = chrono::NaiveDate::parse_from_str(DAY, "%Y-%m-%d").unwrap();
        assert!(!inkasso::store::DataDir::new(dir).is_committed(day), "enospc:{n}: nothing committed");
        assert!(inkasso(dir, DAY, None).status.success());
        assert!(day_bytes(dir) == reference, "after enospc:{n}");
    }
}

#[test]
fn a_second_run_while_one_holds_the_lock_exits_3() {
    let tmp = prepared();
    let dir = tmp.path();
    // This test process is alive: its pid in the lock means a run in progress.
    std::fs::write(dir.join(".lock"), format!("{}\n", std::process::id())).unwrap();
    let out = inkasso(dir, DAY, None);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another inkasso run"));
    // A lock left by a dead process is taken over.
    std::fs::write(dir.join(".lock"), "999999999\n").unwrap();
    assert!(inkasso(dir, DAY, None).status.success());
    assert!(!dir.join(".lock").exists(), "the lock is released");
}
