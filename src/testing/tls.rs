//! A [`TestServer`] over HTTPS, and raw requests over TLS: so that a test sends the same
//! requests, readable or hand-written, through a TLS session as the server's clients will.
//!
//! The server presents the certificate it is given; its clients trust that certificate and
//! nothing else, and reach the server by its IP address (the certificate must name
//! `127.0.0.1`).

#[cfg(feature = "tls")]
use std::io::Write;
#[cfg(feature = "tls")]
use std::net::{SocketAddr, TcpStream};
#[cfg(feature = "tls")]
use std::path::Path;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "tls")]
use super::TestServer;
#[cfg(feature = "tls")]
use crate::App;
use crate::engine::rustls_config::ServerConfig;

/// rustls's client configuration, or a type never made without TLS.
#[cfg(feature = "tls")]
pub(super) type ClientConfig = Arc<rustls::ClientConfig>;
#[cfg(not(feature = "tls"))]
pub(super) type ClientConfig = std::convert::Infallible;

/// What a server over TLS needs: its configuration, and its clients'.
pub(super) struct Served {
    server: ServerConfig,
    client: ClientConfig,
}

/// The server's and the clients' configurations, and the URL scheme.
pub(super) fn split(
    tls: Option<Served>,
) -> (Option<ServerConfig>, Option<ClientConfig>, &'static str) {
    match tls {
        Some(t) => (Some(t.server), Some(t.client), "https"),
        None => (None, None, "http"),
    }
}

/// The awc client of a test server: over TLS, trusting its certificate only.
pub(super) fn client(tls: Option<&ClientConfig>) -> awc::Client {
    let builder = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .disable_redirects();
    match tls {
        #[cfg(feature = "tls")]
        Some(config) => {
            // HTTP/2 when the server offers it, as a browser would.
            let mut config = (**config).clone();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            builder
                .connector(awc::Connector::new().rustls_0_23(Arc::new(config)))
                .finish()
        }
        _ => builder.finish(),
    }
}

#[cfg(feature = "tls")]
impl TestServer {
    /// Serves `app` over HTTPS with the PEM certificate chain `cert` (which must name
    /// `127.0.0.1`) and its key, HTTP/2 or HTTP/1.1 by ALPN as the real server does. Its
    /// [`client`](TestServer::client) and [`raw`](TestServer::raw) go through TLS, trusting
    /// that certificate only.
    ///
    /// Panics if the files cannot be used.
    pub async fn start_tls(app: App, cert: &Path, key: &Path) -> Self {
        let tls = crate::engine::Tls::load(cert, key)
            .unwrap_or_else(|e| panic!("cannot serve HTTPS: {e}"));
        let client = trusting(cert);
        Self::serving(
            crate::engine::Site::single(app),
            1,
            Some(Served {
                server: tls.server_config(),
                client,
            }),
        )
    }
}

/// A client configuration trusting the certificates of the PEM file `cert` only.
#[cfg(feature = "tls")]
fn trusting(cert: &Path) -> ClientConfig {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", cert.display()))
    {
        let c = c.unwrap_or_else(|e| panic!("cannot read {}: {e}", cert.display()));
        roots
            .add(c)
            .unwrap_or_else(|e| panic!("{} cannot be trusted: {e}", cert.display()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("rustls's default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// Writes `request` to `addr` through a TLS session (ALPN `http/1.1`) made with `config`,
/// and reads the answer until the server closes or goes quiet for two seconds: a raw request
/// over HTTPS. A handshake that fails is answered `""`.
///
/// ```no_run
/// use std::sync::Arc;
/// use rustls::pki_types::CertificateDer;
/// use rustls::pki_types::pem::PemObject;
///
/// // Trust the server's own (self-signed) certificate, and nothing else.
/// let mut roots = rustls::RootCertStore::empty();
/// roots.add(CertificateDer::from_pem_file("cert.pem").unwrap()).unwrap();
/// let config = rustls::ClientConfig::builder_with_provider(Arc::new(
///     rustls::crypto::ring::default_provider(),
/// ))
/// .with_safe_default_protocol_versions()
/// .unwrap()
/// .with_root_certificates(roots)
/// .with_no_client_auth();
/// let answer = drupe::testing::raw_request_tls(
///     "127.0.0.1:8443".parse().unwrap(),
///     Arc::new(config),
///     b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
/// );
/// assert!(answer.starts_with("HTTP/1.1 200"));
/// ```
#[cfg(feature = "tls")]
pub fn raw_request_tls(addr: SocketAddr, config: ClientConfig, request: &[u8]) -> String {
    let mut config = (*config).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let conn = rustls::ClientConnection::new(Arc::new(config), name)
        .expect("a TLS client for the test server");
    let sock = TcpStream::connect(addr).expect("connect to the test server");
    sock.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let mut s = rustls::StreamOwned::new(conn, sock);
    if s.write_all(request).is_err() {
        return String::new();
    }
    super::read_answer(&mut s)
}
