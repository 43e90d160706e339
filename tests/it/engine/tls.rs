//! HTTPS in a real server process: `Server::tls`, the certificate reloaded on SIGHUP while a
//! connection stays open, a failed reload keeping the certificate in use, and files that
//! cannot be used refused at start with a message naming them.

#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::net::{SocketAddr, TcpStream};
#[cfg(unix)]
use std::sync::Arc;
use std::time::Duration;

#[cfg(unix)]
use super::serve_child;
use super::{exit_within, here, spawn_logged};
use crate::tls::Cert;

/// A TLS connection to `addr` trusting `trusted` (HTTP/1.1 by ALPN), kept open.
#[cfg(unix)]
struct Conn(rustls::StreamOwned<rustls::ClientConnection, TcpStream>);

#[cfg(unix)]
impl Conn {
    fn open(addr: SocketAddr, trusted: &Cert) -> Self {
        let mut config = (*trusted.client_config()).clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
        let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut s = rustls::StreamOwned::new(conn, sock);
        while s.conn.is_handshaking() {
            s.conn.complete_io(&mut s.sock).unwrap();
        }
        Self(s)
    }

    /// `GET /ok` on this connection, kept alive; the whole answer.
    fn get_ok(&mut self) -> String {
        self.0
            .write_all(b"GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // The answer is short and has a length: read until its body is in.
        while !String::from_utf8_lossy(&out).ends_with("\r\n\r\nok") {
            let n = self.0.read(&mut buf).unwrap();
            assert!(n > 0, "closed: {}", String::from_utf8_lossy(&out));
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The certificate the server presented, DER.
    fn peer(&self) -> Vec<u8> {
        self.0.conn.peer_certificates().unwrap()[0].to_vec()
    }
}

#[cfg(unix)]
#[test]
fn sighup_reloads_the_certificate_without_closing_a_connection() {
    let me = here!();
    let first = Cert::new("sighup");
    let env = [
        ("DRUPE_TLS_CERT", first.cert.to_str().unwrap()),
        ("DRUPE_TLS_KEY", first.key.to_str().unwrap()),
    ];
    let (mut child, url, log) = serve_child(&me, "127.0.0.1:0", &env);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let addr: SocketAddr = url.trim_start_matches("https://").parse().unwrap();
    let mut kept = Conn::open(addr, &first);
    assert!(kept.get_ok().starts_with("HTTP/1.1 200"));
    assert_eq!(kept.peer(), first.der);

    // New files, then SIGHUP: the next handshake presents the new certificate.
    let old_der = first.der.clone();
    let second = first.renew();
    assert_ne!(second.der, old_der);
    super::signal(&child, "HUP");
    log.wait_line("Reloaded the TLS certificate", 1, Duration::from_secs(20));
    let fresh = Conn::open(addr, &second);
    assert_eq!(fresh.peer(), second.der);
    // The connection opened before still serves, on its own session.
    assert!(kept.get_ok().starts_with("HTTP/1.1 200"));

    // A key that is not PEM: the reload fails, says why, and the certificate in use stays.
    std::fs::write(&second.key, "half-written").unwrap();
    super::signal(&child, "HUP");
    let said = log.wait_line("Error in 'reload' listener", 1, Duration::from_secs(20));
    assert!(said.contains("key.pem"), "{said}");
    let mut after = Conn::open(addr, &second);
    assert_eq!(after.peer(), second.der);
    assert!(after.get_ok().starts_with("HTTP/1.1 200"));
    assert!(kept.get_ok().starts_with("HTTP/1.1 200"));

    super::signal(&child, "TERM");
    let status = exit_within(&mut child, Duration::from_secs(20), &log);
    assert_eq!(status.code(), Some(0), "{}", log.text());
}

#[test]
fn files_that_cannot_be_used_are_refused_at_start_naming_them() {
    let me = here!();
    let cert = Cert::new("refused-at-start");
    let other = Cert::new("refused-at-start-other");
    let missing = cert.dir.join("missing.pem");
    for (c, k, says) in [
        (&missing, &cert.key, "cannot read the TLS certificate"),
        (&cert.cert, &other.key, "cannot use the TLS certificate"),
    ] {
        let mut cmd = me.command("serve");
        cmd.env("DRUPE_BIND", "127.0.0.1:0")
            .env("DRUPE_TLS_CERT", c)
            .env("DRUPE_TLS_KEY", k);
        let (mut child, log) = spawn_logged(cmd);
        let status = exit_within(&mut child, Duration::from_secs(30), &log);
        assert_eq!(status.code(), Some(64), "{}", log.text());
        let text = log.text();
        assert!(text.contains(says), "{text}");
        assert!(text.contains(&c.display().to_string()), "{text}");
        assert!(!text.contains("serving on"), "{text}");
    }
}
