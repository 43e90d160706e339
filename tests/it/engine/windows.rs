//! Windows only: `unix:` addresses are refused with the reason.

#![cfg(windows)]

use std::path::PathBuf;
use std::time::Duration;

use drupe::net::BindAddr;

use super::here;

/// `unix:` addresses: refused when parsed, when bound, and by `App::serve` (status 64),
/// each time with the reason and what to do instead.
#[test]
fn unix_addresses_are_refused_with_the_reason() {
    let me = here!();
    let path = r"C:\drupe\app.sock";
    let reason = format!(
        "`unix:{path}` is a Unix domain socket, and drupe does not serve on those on \
         Windows: listen on a TCP address instead, such as 127.0.0.1:8080."
    );
    let err = format!("unix:{path}").parse::<BindAddr>().unwrap_err();
    assert_eq!(err.to_string(), reason);
    let err = drupe::net::bind(&BindAddr::Unix(PathBuf::from(path)), Duration::ZERO).unwrap_err();
    assert_eq!(err.to_string(), reason);
    let out = me
        .command("serve")
        .env("DRUPE_BIND", format!("unix:{path}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains(&reason), "{stderr}");
    // Refused before anything started.
    assert!(!stderr.contains("Bus STARTING"), "{stderr}");
}
