//! The examples as real processes: built with the test's own profile, started on a free
//! port, stopped by signal. For the checks a process boundary makes true (logs, `kill -9`,
//! SIGTERM with requests in flight, memory).

#![cfg_attr(not(unix), allow(dead_code))]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One build at a time: tests run in parallel and cargo would queue them anyway.
static BUILD: Mutex<()> = Mutex::new(());

/// The example binary `name`, built (or found fresh) with the profile and target directory
/// of this test binary.
pub(crate) fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target[/TRIPLE]/PROFILE/deps/it-HASH
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/PROFILE");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let mut target_dir = profile_dir
        .parent()
        .expect("the target directory")
        .to_path_buf();
    let triple = target_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.matches('-').count() >= 2);
    if triple.is_some() {
        target_dir.pop();
    }
    let _one = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "--example", name])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        cmd.arg("--release");
    }
    if let Some(t) = &triple {
        cmd.args(["--target", t]);
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "cargo build --example {name} failed");
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("an ephemeral port")
        .port()
}

/// Waits until something accepts connections on `port` (at most a minute).
pub(crate) fn wait_port(port: u16) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes `request` (which should say `Connection: close`) to `addr` and reads the answer
/// until the server closes, waiting up to a minute: for requests slower than
/// [`drupe::testing::raw_request`]'s two quiet seconds allow, such as a first password check
/// (argon2, a second or more in a debug build).
pub(crate) fn http(addr: SocketAddr, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(addr).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    s.write_all(request).expect("write the request");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The process's resident memory, in kB.
#[cfg(target_os = "linux")]
pub(crate) fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Sends `signal` (a number: 15 is SIGTERM, 9 SIGKILL) to `child`.
#[cfg(unix)]
pub(crate) fn signal(child: &std::process::Child, signal: i32) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// SIGTERM, then waits (at most 30 s) and returns the exit status.
#[cfg(unix)]
pub(crate) fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    signal(child, 15);
    wait_exit(child)
}

/// Waits (at most 30 s) for `child`, already sent SIGTERM, to exit; kills it past that.
#[cfg(unix)]
pub(crate) fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().expect("wait for the child") {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
