//! The data directory (DESIGN.md): config, lock, inbox, archive,
//! quarantine, state snapshots, outputs and the run manifest. Every file is
//! written to a temp file in its folder and renamed into place.

pub mod atomic;
pub mod config;
pub mod inbox;
pub mod lock;
pub mod money_columns;
pub mod snapshot;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// Errors of the data directory.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a path.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// `inkasso.toml` is missing or wrong.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    /// A snapshot file that cannot be read back.
    #[error("{path}: {message}")]
    Snapshot { path: PathBuf, message: String },
    /// Another run holds the lock.
    #[error("{0}")]
    Locked(String),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// Paths inside a data directory.
#[derive(Clone, Debug)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }
    pub fn config(&self) -> PathBuf {
        self.root.join("inkasso.toml")
    }
    pub fn inbox(&self) -> PathBuf {
        self.root.join("inbox")
    }
    pub fn archive(&self, d: NaiveDate) -> PathBuf {
        self.root.join("archive").join(d.to_string())
    }
    pub fn quarantine(&self, d: NaiveDate) -> PathBuf {
        self.root.join("quarantine").join(d.to_string())
    }
    pub fn state(&self, d: NaiveDate) -> PathBuf {
        self.root.join("state").join(d.to_string())
    }
    pub fn out(&self, d: NaiveDate) -> PathBuf {
        self.root.join("out").join(d.to_string())
    }
    /// A day is committed when its `out/D/run.json` and `state/D/` exist.
    pub fn is_committed(&self, d: NaiveDate) -> bool {
        self.out(d).join("run.json").is_file() && self.state(d).is_dir()
    }
    /// Committed days, oldest first.
    pub fn committed_days(&self) -> Vec<NaiveDate> {
        let mut days: Vec<NaiveDate> = std::fs::read_dir(self.root.join("state"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| NaiveDate::parse_from_str(&e.file_name().to_string_lossy(), "%Y-%m-%d").ok())
            .filter(|d| self.is_committed(*d))
            .collect();
        days.sort();
        days
    }
    /// The last committed day before `d`.
    pub fn last_committed_before(&self, d: NaiveDate) -> Option<NaiveDate> {
        self.committed_days().into_iter().filter(|x| *x < d).max()
    }
}
