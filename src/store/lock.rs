//! One run at a time per data directory: `DATA/.lock` holds the pid of the
//! run. A lock whose process is gone is taken over.

use std::io::Write;
use std::path::PathBuf;

use super::{DataDir, Error};

/// Held while a run works; removes the lock file when dropped.
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the lock.
    ///
    /// # Errors
    /// `Error::Locked` when a live process holds it; `Error::Io` otherwise.
    pub fn acquire(data: &DataDir) -> Result<Lock, Error> {
        let path = data.root.join(".lock");
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    let _ = f.sync_all();
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid: Option<u32> = holder.trim().parse().ok();
                    let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
                    if alive {
                        return Err(Error::Locked(format!(
                            "{}: another inkasso run (pid {}) is working on this data directory; try again when it has finished",
                            path.display(),
                            holder.trim()
                        )));
                    }
                    // Stale: the process that held it is gone.
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => return Err(Error::Io { path, source: e }),
            }
        }
        Err(Error::Locked(format!("{}: could not take the lock", path.display())))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
