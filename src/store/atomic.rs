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
    write_parts(path, std::iter::once(Ok::<_, Error>(bytes)))
}

/// Writes the file made of `parts` like `write`, each part as it comes
/// (so a big file built part by part is never whole in memory). A part
/// that is an error stops the write: the file is not created.
///
/// # Errors
/// As `write`, or the first error among `parts`.
pub fn write_parts<B: AsRef<[u8]>, E: From<Error>>(
    path: &Path,
    parts: impl IntoIterator<Item = Result<B, E>>,
) -> Result<(), E> {
    fault::before_write(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir).map_err(io(dir))?;
    for part in parts {
        tmp.write_all(part?.as_ref()).map_err(io(path))?;
    }
    tmp.as_file().sync_all().map_err(io(path))?;
    tmp.persist(path).map_err(|e| Error::Io { path: path.to_path_buf(), source: e.error })?;
    Ok(sync_dir(dir)?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_written_in_order_and_an_error_part_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_parts(&path, [Ok::<_, Error>(&b"a;b\n"[..]), Ok(b""), Ok(b"1;2\n")]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a;b\n1;2\n");
        let broken = dir.path().join("broken.csv");
        let failed = Error::Io { path: broken.clone(), source: std::io::Error::other("part 2") };
        assert!(write_parts(&broken, [Ok(&b"a;b\n"[..]), Err(failed)]).is_err());
        assert!(!broken.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }
}
