//! The night's input files: those in `inbox/` plus those already archived
//! for the day (a crashed or repeated run of the same day finds its inputs
//! there). The same content twice is one input and a recorded duplicate;
//! files are named by their sha256 in the archive and in run.json.
//!
//! Speed: `collect` compares contents (a 128-bit XXH3 digest, then the
//! bytes themselves), not SHA-256: hashing a night's ~1 GB of inputs with
//! SHA-256 takes ~5 s of CPU on a CPU without SHA instructions, so
//! `fingerprint` runs later, beside the engine, and the archive follows it.
//!
//! Upload conventions (README "Operations"): names ending `.part`, `.tmp` or
//! `.filepart`, or starting with `.`, are uploads in progress and ignored.
//! A file modified less than `[inbox] settle_seconds` ago (default 60) may
//! still be growing: it waits for the next run and is listed as `waiting`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{atomic, io, DataDir, Error};
use chrono::NaiveDate;

/// Largest input file read (bigger files are quarantined unread).
pub const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

/// One input file of the night.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// The name it arrived with.
    pub name: String,
    /// Filled by `fingerprint` (known from the name for an archived copy).
    pub sha256: String,
    /// XXH3-128 of the content: finds candidate duplicates in `collect`.
    digest: u128,
    pub bytes: Vec<u8>,
    /// Where it sits in the inbox (removed after commit), if it came from there.
    pub inbox_path: Option<PathBuf>,
    /// Set when the file is too large to read.
    pub too_large: Option<u64>,
}

/// True for names of uploads still in progress.
pub fn is_in_progress(name: &str) -> bool {
    name.starts_with('.') || [".part", ".tmp", ".filepart"].iter().any(|s| name.ends_with(s))
}

/// SHA-256 (FIPS 180-4) of `bytes` as 64 lowercase hex digits: the
/// fingerprint of inputs (archive names, duplicates) and outputs (run.json).
/// ring's assembly SHA-256 runs ~1.9x the speed of the `sha2` crate's
/// portable code on CPUs without SHA instructions (BENCHMARKS.md).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut sha256 = Sha256::new();
    sha256.update(bytes);
    sha256.hex()
}

/// `sha256_hex` of bytes given in parts, one after another.
pub struct Sha256(ring::digest::Context);

impl Sha256 {
    pub fn new() -> Sha256 {
        Sha256(ring::digest::Context::new(&ring::digest::SHA256))
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn hex(self) -> String {
        use std::fmt::Write;
        let mut hex = String::with_capacity(64);
        for b in self.0.finish().as_ref() {
            let _ = write!(hex, "{b:02x}");
        }
        hex
    }
}

impl Default for Sha256 {
    fn default() -> Sha256 {
        Sha256::new()
    }
}

/// What `collect` found: the night's unique inputs, repeated copies, and
/// inbox files left for the next run because they changed too recently.
#[derive(Debug, Default)]
pub struct Collected {
    pub files: Vec<InputFile>,
    pub duplicates: Vec<InputFile>,
    pub waiting: Vec<String>,
}

/// Collects the inputs of day `date`, sorted by name (the same name by
/// content, archived copy first); the second and later copies of the same
/// content are returned in `duplicates`. `sha256` is filled for archived
/// copies only: see `fingerprint`.
/// Inbox files modified within `settle_seconds` are left in the inbox.
///
/// # Errors
/// `Error::Io` naming the folder or file that could not be read.
pub fn collect(data: &DataDir, date: NaiveDate, settle_seconds: u64, use_inbox: bool) -> Result<Collected, Error> {
    // Settling is about wall-clock time by nature; nothing reaches an output.
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now();
    let mut waiting = Vec::new();
    // (path, input name, inbox copy, sha256 if archived): read in parallel below.
    let mut found: Vec<(PathBuf, String, Option<PathBuf>, String)> = Vec::new();
    let archive = data.archive(date);
    for path in list(&archive)? {
        let fname = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if fname.starts_with('.') {
            continue; // a temp file left by a crash mid-write
        }
        // Archived as <sha256>-<name>.
        let name = fname.get(65..).unwrap_or(&fname).to_string();
        let sha256 = fname.get(..64).unwrap_or_default().to_string();
        found.push((path, name, None, sha256));
    }
    let inbox = if use_inbox { list(&data.inbox())? } else { Vec::new() };
    for path in inbox {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if is_in_progress(&name) {
            continue;
        }
        if settle_seconds > 0 {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).map_err(io(&path))?;
            let age = now.duration_since(modified).map_or(0, |d| d.as_secs());
            if age < settle_seconds {
                waiting.push(name);
                continue;
            }
        }
        found.push((path.clone(), name, Some(path), String::new()));
    }
    let mut files = found
        .into_par_iter()
        .map(|(path, name, inbox_path, sha256)| read(&path, name, inbox_path, sha256))
        .collect::<Result<Vec<_>, _>>()?;
    files.sort_by(|a, b| {
        (&a.name, a.too_large, &a.bytes, a.inbox_path.is_some()).cmp(&(
            &b.name,
            b.too_large,
            &b.bytes,
            b.inbox_path.is_some(),
        ))
    });
    let mut unique: Vec<InputFile> = Vec::new();
    let mut duplicates = Vec::new();
    for mut f in files {
        // A too-large file's key is a stand-in (its size), not its content:
        // two of the same size are two inputs, never a duplicate.
        let same = unique
            .iter_mut()
            .find(|u| f.too_large.is_none() && u.too_large.is_none() && u.digest == f.digest && u.bytes == f.bytes);
        if let Some(first) = same {
            if first.inbox_path.is_none() && f.inbox_path.is_some() && first.name == f.name {
                // The archived copy of this very file (a repeated run): the
                // inbox copy is removed after commit, not a duplicate.
                first.inbox_path = f.inbox_path;
                continue;
            }
            if f.sha256.is_empty() {
                f.sha256.clone_from(&first.sha256); // known when `first` is archived
            }
            duplicates.push(f);
        } else {
            unique.push(f);
        }
    }
    Ok(Collected { files: unique, duplicates, waiting })
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let ft = entry.file_type().map_err(io(&entry.path()))?;
        if ft.is_file() {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

fn read(path: &Path, name: String, inbox_path: Option<PathBuf>, sha256: String) -> Result<InputFile, Error> {
    let len = std::fs::metadata(path).map_err(io(path))?.len();
    if len > MAX_INPUT_BYTES {
        let sha256 = format!("{:064x}", len); // stand-in key: never read whole
        return Ok(InputFile { name, sha256, digest: 0, bytes: Vec::new(), inbox_path, too_large: Some(len) });
    }
    let bytes = std::fs::read(path).map_err(io(path))?;
    let digest = xxhash_rust::xxh3::xxh3_128(&bytes);
    Ok(InputFile { name, sha256, digest, bytes, inbox_path, too_large: None })
}

/// Fills in the file's sha256 if it does not have it yet (read from the
/// inbox). Needed before `archive` and for run.json.
pub fn fingerprint(f: &mut InputFile) {
    if f.sha256.is_empty() {
        f.sha256 = sha256_hex(&f.bytes);
    }
}

/// Removes the temp files (`.tmp-*`, see `atomic::write`) a crashed run left
/// in `archive/D/` and `quarantine/D/`: the copies they were meant to become
/// are made again by this run. Called with the lock held, so no other run is
/// writing them.
///
/// # Errors
/// `Error::Io` naming the file that could not be removed.
pub fn clear_crash_leftovers(data: &DataDir, date: NaiveDate) -> Result<(), Error> {
    for dir in [data.archive(date), data.quarantine(date)] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                std::fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
            }
        }
    }
    Ok(())
}

/// Removes inbox files that day `day` already consumed: a run that crashed
/// after committing but before clearing the inbox leaves them behind, and
/// they must not be read again on the next day. A file counts as consumed
/// when `archive/D/` or `quarantine/D/` holds the same name and content.
///
/// # Errors
/// `Error::Io` naming the file.
pub fn clear_consumed(data: &DataDir, day: NaiveDate) -> Result<(), Error> {
    let archived: Vec<String> = list(&data.archive(day))?
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for path in list(&data.inbox())? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if is_in_progress(&name) {
            continue;
        }
        let quarantined = data.quarantine(day).join(fit(&name, ".error.txt".len()));
        // Only a file whose name the day kept is read (and hashed): a
        // night's new files are left alone at once. Archived as <sha256>-<name>.
        let suffix = fit(&name, 65);
        let archived_shas: Vec<&str> = archived
            .iter()
            .filter(|a| a.get(64..65) == Some("-") && a.get(65..) == Some(suffix))
            .filter_map(|a| a.get(..64))
            .collect();
        if archived_shas.is_empty() && !quarantined.exists() {
            continue;
        }
        let len = std::fs::metadata(&path).map_err(io(&path))?.len();
        if len > MAX_INPUT_BYTES {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let in_archive = !archived_shas.is_empty() && archived_shas.contains(&sha256_hex(&bytes).as_str());
        let in_quarantine = std::fs::read(&quarantined).is_ok_and(|q| q == bytes);
        if in_archive || in_quarantine {
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

/// Longest file name (bytes) the file systems we run on take.
const NAME_MAX: usize = 255;

/// `name` cut at a character boundary so that `reserve` more bytes still fit
/// in one file name (an inbox name can be up to `NAME_MAX` bytes, more once
/// non-UTF-8 bytes are read as U+FFFD).
fn fit(name: &str, reserve: usize) -> &str {
    let mut end = name.len().min(NAME_MAX - reserve);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Copies a file into `archive/D/<sha256>-<name>` (immutable; skipped when
/// present). A long name is cut to fit. `fingerprint` first.
///
/// # Errors
/// `Error::Io` naming the archive path.
pub fn archive(data: &DataDir, date: NaiveDate, f: &InputFile) -> Result<PathBuf, Error> {
    debug_assert_eq!(f.sha256.len(), 64, "fingerprint() before archive()");
    let path = data.archive(date).join(format!("{}-{}", f.sha256, fit(&f.name, 65)));
    if !path.exists() {
        atomic::write(&path, &f.bytes)?;
    }
    Ok(path)
}

/// Puts a rejected file into `quarantine/D/<name>` with `<name>.error.txt`
/// (a long name is cut so that both fit).
///
/// # Errors
/// `Error::Io` naming the quarantine path.
pub fn quarantine(data: &DataDir, date: NaiveDate, f: &InputFile, explanation: &str) -> Result<PathBuf, Error> {
    let dir = data.quarantine(date);
    let name = fit(&f.name, ".error.txt".len());
    let path = dir.join(name);
    match (&f.too_large, &f.inbox_path) {
        // Never read whole: move the file itself.
        (Some(_), Some(src)) => {
            atomic::create_dir(&dir)?;
            std::fs::rename(src, &path).map_err(io(&path))?;
        }
        _ => atomic::write(&path, &f.bytes)?,
    }
    atomic::write(&dir.join(format!("{name}.error.txt")), explanation.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_parts_is_that_of_the_whole() {
        // FIPS 180-4, appendix B.1: "abc".
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex(b"abc"), abc);
        let mut parts = Sha256::new();
        for part in [&b"ab"[..], b"", b"c"] {
            parts.update(part);
        }
        assert_eq!(parts.hex(), abc);
        assert_eq!(Sha256::new().hex(), sha256_hex(b""));
    }

    /// Contents are compared, not names: an archived copy found again in the
    /// inbox is one input, the same content under another name a duplicate,
    /// and every sha256 (from the archive name or computed) is the content's.
    #[test]
    fn collect_compares_contents_and_fingerprint_fills_every_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        let date = NaiveDate::from_ymd_opt(2025, 1, 3).unwrap();
        std::fs::create_dir_all(data.inbox()).unwrap();
        std::fs::create_dir_all(data.archive(date)).unwrap();
        let (a, b) = (b"a,b\n1,2\n".to_vec(), b"a,b\n0,9\n".to_vec());
        std::fs::write(data.archive(date).join(format!("{}-x.csv", sha256_hex(&a))), &a).unwrap();
        std::fs::write(data.inbox().join("x.csv"), &a).unwrap(); // the archived copy again
        std::fs::write(data.inbox().join("y.csv"), &a).unwrap(); // same content, other name
        std::fs::write(data.inbox().join("z.csv"), &b).unwrap();
        let mut c = collect(&data, date, 0, true).unwrap();
        let names = |fs: &[InputFile]| fs.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&c.files), ["x.csv", "z.csv"]);
        assert_eq!(names(&c.duplicates), ["y.csv"]);
        assert!(c.files[0].inbox_path.is_some(), "the inbox copy of x.csv is removed after commit");
        assert!(c.files[1].sha256.is_empty(), "computed later, by fingerprint");
        c.files.iter_mut().chain(&mut c.duplicates).for_each(fingerprint);
        assert_eq!(c.files[0].sha256, sha256_hex(&a));
        assert_eq!(c.files[1].sha256, sha256_hex(&b));
        assert_eq!(c.duplicates[0].sha256, sha256_hex(&a));
    }

    /// A run that crashed after committing day D leaves D's inputs in the
    /// inbox: the copies with the same name and content as D's archived or
    /// quarantined files are removed, everything else stays for the night.
    #[test]
    fn clear_consumed_removes_only_the_day_s_own_copies() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        let day = NaiveDate::from_ymd_opt(2025, 1, 3).unwrap();
        for d in [data.inbox(), data.archive(day), data.quarantine(day)] {
            std::fs::create_dir_all(d).unwrap();
        }
        let (a, b) = (b"a,b\n1,2\n".to_vec(), b"a,b\n0,9\n".to_vec());
        std::fs::write(data.archive(day).join(format!("{}-x.csv", sha256_hex(&a))), &a).unwrap();
        std::fs::write(data.archive(day).join(format!("{}-z.csv", sha256_hex(&a))), &a).unwrap();
        std::fs::write(data.quarantine(day).join("q.csv"), &b).unwrap();
        for (name, bytes) in [("x.csv", &a), ("y.csv", &a), ("z.csv", &b), ("q.csv", &b)] {
            std::fs::write(data.inbox().join(name), bytes).unwrap();
        }
        clear_consumed(&data, day).unwrap();
        let mut left: Vec<String> =
            list(&data.inbox()).unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().into()).collect();
        left.sort();
        assert_eq!(left, ["y.csv", "z.csv"], "y.csv is new, z.csv has other content than the archived z.csv");
    }

    #[test]
    fn sha256_hex_matches_the_fips_180_examples() {
        assert_eq!(super::sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(super::sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
