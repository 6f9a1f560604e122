//! Atomic file writes: a temp file in the same folder, fsync, rename, fsync
//! the folder. A crash leaves either the old file or the new one, never half.

use std::io::Write;
use std::path::Path;

use super::{io, Error};

/// Writes `bytes` to `path` atomically, creating parent folders (0700).
///
/// # Errors
/// `Error::Io` naming the path on any failure (ENOSPC, EIO, permissions).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_parts(path, &[bytes])
}

/// Writes the file made of `parts`, one after another, like `write`.
///
/// # Errors
/// As `write`.
pub fn write_parts(path: &Path, parts: &[impl AsRef<[u8]>]) -> Result<(), Error> {
    fault::before_write(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir).map_err(io(dir))?;
    for part in parts {
        tmp.write_all(part.as_ref()).map_err(io(path))?;
    }
    tmp.as_file().sync_all().map_err(io(path))?;
    tmp.persist(path).map_err(|e| Error::Io { path: path.to_path_buf(), source: e.error })?;
    sync_dir(dir)
}

/// Creates a folder and its parents, readable by the owner only.
///
/// # Errors
/// `Error::Io` naming the folder.
pub fn create_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io(dir))
}

/// fsyncs a folder so that a rename in it is durable.
///
/// # Errors
/// `Error::Io` naming the folder.
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
}

/// Fault injection for the crash and full-disk tests, active in debug builds
/// only: `INKASSO_TEST_FAULT=abort:N` kills the process (abort, no cleanup,
/// as a SIGKILL would) just before the N-th atomic write of the run;
/// `INKASSO_TEST_FAULT=enospc:N` makes the N-th write fail with "No space
/// left on device".
mod fault {
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Error;

    static WRITES: AtomicUsize = AtomicUsize::new(0);

    pub fn before_write(path: &Path) -> Result<(), Error> {
        if !cfg!(debug_assertions) {
            return Ok(());
        }
        let Ok(spec) = std::env::var("INKASSO_TEST_FAULT") else { return Ok(()) };
        let n = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
        match spec.split_once(':') {
            Some(("abort", at)) if at.parse() == Ok(n) => std::process::abort(),
            Some(("enospc", at)) if at.parse() == Ok(n) => {
                Err(Error::Io { path: path.to_path_buf(), source: std::io::Error::from_raw_os_error(28) })
            }
            _ => Ok(()),
        }
    }
}
