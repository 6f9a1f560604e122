//! Uploads through a real OpenSSH server on 127.0.0.1 into the inbox, the
//! way creditors and banks deliver (README "Operations"): an upload still
//! named `.part` is never read and is consumed once renamed, a file written
//! within `[inbox] settle_seconds` waits for the next night, and the same
//! content uploaded twice under two names is one input and a recorded
//! duplicate.
//!
//! Needs `/usr/sbin/sshd`, `sftp` and `ssh-keygen` (Debian: openssh-server,
//! openssh-client); skips without them locally, fails in CI.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

/// A throwaway sshd on 127.0.0.1 (own host key, own authorized key, sftp
/// subsystem), killed on drop.
struct SftpServer {
    child: Child,
    port: u16,
    user: String,
    dir: tempfile::TempDir,
}

impl SftpServer {
    /// Starts sshd and waits (at most ~10 s) until its port accepts
    /// connections. `Err` explains why it could not start.
    fn start() -> Result<SftpServer, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let keygen = |name: &str| -> Result<(), String> {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "inkasso-test", "-f"])
                .arg(dir.path().join(name))
                .output()
                .map_err(|e| format!("ssh-keygen: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!("ssh-keygen {name}: {}", String::from_utf8_lossy(&out.stderr)))
            }
        };
        keygen("host_key")?;
        keygen("user_key")?;
        std::fs::copy(dir.path().join("user_key.pub"), dir.path().join("authorized_keys"))
            .map_err(|e| format!("authorized_keys: {e}"))?;
        let user = current_user()?;
        // The privilege-separation directory; sshd refuses to start without it.
        if !Path::new("/run/sshd").is_dir() {
            std::fs::create_dir_all("/run/sshd").map_err(|e| format!("cannot create /run/sshd: {e}"))?;
        }

        // Another process may take the free port between probe and bind: try a few.
        let config = dir.path().join("sshd_config");
        let log = dir.path().join("sshd.log");
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            std::fs::write(&config, sshd_config(dir.path(), port, &user)).map_err(|e| e.to_string())?;
            let stderr = std::fs::File::create(&log).map_err(|e| e.to_string())?;
            let mut child = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .map_err(|e| format!("cannot run {SSHD}: {e}"))?;
            match wait_until_listening(&mut child, port) {
                Ok(()) => return Ok(SftpServer { child, port, user, dir }),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = format!("{e}; sshd log:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
                }
            }
        }
        Err(last_error)
    }

    /// Runs the sftp commands as one batch; any failing command fails it.
    fn batch(&self, commands: &[String]) {
        let file = self.dir.path().join("batch");
        std::fs::write(&file, commands.join("\n") + "\n").unwrap();
        let out = Command::new("sftp")
            .arg("-b")
            .arg(&file)
            .arg("-i")
            .arg(self.dir.path().join("user_key"))
            .arg("-P")
            .arg(self.port.to_string())
            .args(["-F", "/dev/null"])
            .args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"])
            .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
            .args(["-o", "LogLevel=ERROR"])
            .arg(format!("{}@127.0.0.1", self.user))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sftp {commands:?} failed: {}\n{}\nsshd log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
        );
    }

    /// Uploads `bytes` as `remote` (an absolute path on the server).
    fn put(&self, bytes: &[u8], remote: &Path) {
        let local = self.dir.path().join("upload");
        std::fs::write(&local, bytes).unwrap();
        self.batch(&[format!("put {} {}", quote(&local), quote(remote))]);
    }

    fn rename(&self, from: &Path, to: &Path) {
        self.batch(&[format!("rename {} {}", quote(from), quote(to))]);
    }
}

impl Drop for SftpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sshd_config(dir: &Path, port: u16, user: &str) -> String {
    let permit_root = if user == "root" { "prohibit-password" } else { "no" };
    format!(
        "ListenAddress 127.0.0.1\n\
         Port {port}\n\
         HostKey {host_key}\n\
         PidFile {pid}\n\
         AuthorizedKeysFile {keys}\n\
         AllowUsers {user}\n\
         PermitRootLogin {permit_root}\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         StrictModes no\n\
         UsePAM no\n\
         Subsystem sftp internal-sftp\n",
        host_key = dir.join("host_key").display(),
        pid = dir.join("sshd.pid").display(),
        keys = dir.join("authorized_keys").display(),
    )
}

/// Waits at most ~10 s until sshd accepts connections on `port`.
fn wait_until_listening(child: &mut Child, port: u16) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("sshd exited with {status}"));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("sshd did not listen on {addr} within 10 s"))
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    Ok(port)
}

fn current_user() -> Result<String, String> {
    let out = Command::new("id").arg("-un").output().map_err(|e| format!("id -un: {e}"))?;
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && !name.is_empty() {
        Ok(name)
    } else {
        Err("cannot tell the current user (id -un)".into())
    }
}

/// A path as one sftp batch argument.
fn quote(p: &Path) -> String {
    format!("\"{}\"", p.display())
}

fn fixture(day: &str, name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/days").join(day).join(name)).unwrap()
}

fn run(data: &Path, date: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_inkasso"))
        .args(["run", "--data", data.to_str().unwrap(), "--date", date])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "run {date}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&std::fs::read(data.join("out").join(date).join("run.json")).unwrap()).unwrap()
}

/// run.json inputs as "name=status".
fn inputs(run: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = run["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}={}", i["name"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    v.sort();
    v
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn archived(data: &Path, date: &str, bytes: &[u8], name: &str) -> PathBuf {
    data.join("archive").join(date).join(format!("{}-{name}", inkasso::store::inbox::sha256_hex(bytes)))
}

fn set_settle_seconds(data: &Path, seconds: u64) {
    let path = data.join("inkasso.toml");
    let cfg = std::fs::read_to_string(&path).unwrap();
    let line = cfg.lines().find(|l| l.starts_with("settle_seconds")).expect("settle_seconds in inkasso.toml");
    std::fs::write(&path, cfg.replace(line, &format!("settle_seconds = {seconds}"))).unwrap();
}

#[test]
fn uploads_over_sftp_are_consumed_only_when_complete_and_settled() {
    if ![SSHD, "sftp", "ssh-keygen"].iter().all(|t| crate::util::have_tool(t)) {
        return;
    }
    let server = match SftpServer::start() {
        Ok(s) => s,
        Err(e) if std::env::var_os("CI").is_some() => panic!("sshd is installed but did not start: {e}"),
        Err(e) => {
            eprintln!("skipping: sshd did not start: {e}");
            return;
        }
    };

    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/inkasso.toml"), data.join("inkasso.toml"))
        .unwrap();
    let inbox = data.join("inbox");
    std::fs::create_dir(&inbox).unwrap();

    // 1. An upload in progress (.part) next to a complete file.
    let export = fixture("2024-12-16", "export_5561234567_2024-12-16.csv");
    let bygg = fixture("2024-12-16", "export_5569876543_2024-12-16.csv");
    server.put(&export, &inbox.join("export.csv.part"));
    server.put(&bygg, &inbox.join("bygg.csv"));
    let r = run(data, "2024-12-16");
    assert_eq!(inputs(&r), ["bygg.csv=ok"], "the .part upload is not an input");
    assert_eq!(names_in(&inbox), ["export.csv.part"]);
    assert_eq!(std::fs::read(inbox.join("export.csv.part")).unwrap(), export, "left untouched");
    assert_eq!(std::fs::read(archived(data, "2024-12-16", &bygg, "bygg.csv")).unwrap(), bygg);
    assert_eq!(r["counts"]["claims_admitted"], 1, "B-501 of the complete file");

    // 2. Renamed when complete: consumed by the next run.
    server.rename(&inbox.join("export.csv.part"), &inbox.join("export.csv"));
    let r = run(data, "2024-12-17");
    assert_eq!(inputs(&r), ["export.csv=ok"]);
    assert_eq!(r["counts"]["claims_admitted"], 4, "{r}");
    assert!(names_in(&inbox).is_empty(), "{:?}", names_in(&inbox));
    assert_eq!(std::fs::read(archived(data, "2024-12-17", &export, "export.csv")).unwrap(), export);

    // 3. Settle window: a file written just now waits for the next night.
    set_settle_seconds(data, 3600);
    let news = fixture("2024-12-20", "export_5561234567_2024-12-20.csv");
    server.put(&news, &inbox.join("late.csv"));
    let r = run(data, "2024-12-18");
    assert!(inputs(&r).is_empty(), "{:?}", inputs(&r));
    assert_eq!(r["waiting"], serde_json::json!(["late.csv"]));
    assert_eq!(names_in(&inbox), ["late.csv"]);
    assert!(names_in(&data.join("archive/2024-12-18")).is_empty());

    // 4. The same content again under another name: one input, one duplicate
    // without effect (its rows are not read twice), both copies archived.
    set_settle_seconds(data, 0);
    server.put(&news, &inbox.join("again.csv"));
    let r = run(data, "2024-12-20");
    assert_eq!(inputs(&r), ["again.csv=ok", "late.csv=duplicate"]);
    assert_eq!(r["counts"]["files_duplicate"], 1);
    let first = r["inputs"].as_array().unwrap().iter().find(|i| i["name"] == "again.csv").unwrap();
    assert_eq!(first["records"], 3, "{first}");
    assert!(r["refused_by_reason"].get("duplicate").is_none(), "rows counted once: {r}");
    assert!(names_in(&inbox).is_empty(), "{:?}", names_in(&inbox));
    for name in ["again.csv", "late.csv"] {
        assert_eq!(std::fs::read(archived(data, "2024-12-20", &news, name)).unwrap(), news, "{name} archived");
    }
    drop(server);
}
