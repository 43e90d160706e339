//! HTTPS: HTTP/2 and HTTP/1.1 negotiated by ALPN over a real socket, with a self-signed
//! certificate made for the test; plain HTTP stays HTTP/1.1; certificates that cannot be used
//! are refused with a message naming the file.

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::http::Version;
use drupe::testing::TestServer;
use drupe::{App, controller};

/// A self-signed certificate for `localhost` and `127.0.0.1`, and its key, as PEM files in a
/// folder of their own.
pub(crate) struct Cert {
    pub(crate) dir: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    /// The certificate, DER.
    pub(crate) der: Vec<u8>,
}

impl Cert {
    /// A new certificate in a temporary folder named after `what`.
    pub(crate) fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("drupe-tls-{what}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = Self {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
            dir,
            der: Vec::new(),
        };
        cert.renew()
    }

    /// Writes a new certificate and key over the files (a new key pair each time).
    pub(crate) fn renew(mut self) -> Self {
        let made = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        std::fs::write(&self.cert, made.cert.pem()).unwrap();
        std::fs::write(&self.key, made.signing_key.serialize_pem()).unwrap();
        self.der = made.cert.der().to_vec();
        self
    }

    /// A client configuration that trusts this certificate only.
    pub(crate) fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.der.clone().into()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }

    /// An awc client trusting this certificate, offering HTTP/2 and HTTP/1.1 (`h1_only`:
    /// HTTP/1.1 alone).
    pub(crate) fn awc(&self, h1_only: bool) -> awc::Client {
        let mut config = (*self.client_config()).clone();
        config.alpn_protocols = if h1_only {
            vec![b"http/1.1".to_vec()]
        } else {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        };
        let connector = awc::Connector::new().rustls_0_23(Arc::new(config));
        awc::Client::builder().connector(connector).finish()
    }
}

impl Drop for Cert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Root;

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "over TLS"
    }

    /// Echoes what it was sent (a body of some size, through HTTP/2's flow control).
    #[expose]
    fn echo(&self, text: String) -> String {
        text
    }
}

#[actix_web::test]
async fn h2_and_http_1_1_are_negotiated_by_alpn() {
    let cert = Cert::new("alpn");
    let s = TestServer::start_tls(App::new(Root).unwrap(), &cert.cert, &cert.key).await;
    for (h1_only, version) in [(false, Version::HTTP_2), (true, Version::HTTP_11)] {
        let client = cert.awc(h1_only);
        let mut res = client.get(s.url("/")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.version(), version, "h1_only: {h1_only}");
        assert_eq!(res.body().await.unwrap(), "over TLS");
        // A form body of 200 KiB and back, several requests on the one connection.
        let text = "é".repeat(100 << 10);
        for _ in 0..3 {
            let mut res = client
                .post(s.url("/echo"))
                .send_form(&[("text", text.as_str())])
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.version(), version);
            assert_eq!(res.body().limit(1 << 20).await.unwrap(), text.as_bytes());
        }
        // A 404 over TLS is the framework's own, as over plain TCP.
        let res = client.get(s.url("/nope")).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }
    s.stop().await;
}

#[actix_web::test]
async fn a_plain_request_to_the_tls_port_gets_no_answer_and_the_server_goes_on() {
    let cert = Cert::new("plain-to-tls");
    let s = TestServer::start_tls(App::new(Root).unwrap(), &cert.cert, &cert.key).await;
    let addr = s.addr();
    let answer = tokio::task::spawn_blocking(move || {
        drupe::testing::raw_request(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    })
    .await
    .unwrap();
    assert!(!answer.contains("HTTP/1.1 200"), "{answer}");
    // A client that does not trust the certificate is refused at the handshake.
    let other = Cert::new("plain-to-tls-other");
    assert!(other.awc(false).get(s.url("/")).send().await.is_err());
    // And the server goes on serving.
    let mut res = cert.awc(false).get(s.url("/")).send().await.unwrap();
    assert_eq!(res.body().await.unwrap(), "over TLS");
    s.stop().await;
}

#[actix_web::test]
async fn plain_sockets_stay_http_1_1() {
    let s = TestServer::start(App::new(Root).unwrap()).await;
    // An HTTP/2 preface on a plain socket is not taken for HTTP/2 (no h2c).
    let addr = s.addr();
    let answer = tokio::task::spawn_blocking(move || {
        drupe::testing::raw_request(addr, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    let mut res = awc::Client::default().get(s.url("/")).send().await.unwrap();
    assert_eq!(res.version(), Version::HTTP_11);
    assert_eq!(res.body().await.unwrap(), "over TLS");
    s.stop().await;
}

#[test]
fn certificates_that_cannot_be_used_are_refused_naming_the_file() {
    let cert = Cert::new("refused");
    let other = Cert::new("refused-other");
    let missing = cert.dir.join("missing.pem");
    let garbage = cert.dir.join("garbage.pem");
    std::fs::write(&garbage, "not PEM at all\n").unwrap();
    let serve = |c: &std::path::Path, k: &std::path::Path| {
        drupe::engine::Server::new()
            .mount("/", App::new(Root).unwrap())
            .tls(c, k)
            .serve("127.0.0.1:0")
    };
    for (c, k) in [
        (&missing, &cert.key),
        (&cert.cert, &missing),
        (&garbage, &cert.key),
        (&cert.cert, &garbage),
        // The key of another certificate.
        (&cert.cert, &other.key),
    ] {
        // 64 (EX_USAGE) at once: the server never starts.
        assert_eq!(
            serve(c, k),
            std::process::ExitCode::from(64),
            "{} {}",
            c.display(),
            k.display()
        );
    }
    // One file of the two in the configuration: refused, naming the other.
    for (given, missing) in [("cert", "server.tls.key"), ("key", "server.tls.cert")] {
        let err = drupe::App::builder(Root)
            .set_global(
                &format!("server.tls.{given}"),
                cert.cert.display().to_string(),
            )
            .build()
            .unwrap_err();
        assert!(err.to_string().contains(missing), "{err}");
    }
    // TLS on a Unix domain socket: refused before anything starts.
    #[cfg(unix)]
    {
        let path = cert.dir.join("tls.sock");
        assert_eq!(
            drupe::engine::Server::new()
                .mount("/", App::new(Root).unwrap())
                .tls(&cert.cert, &cert.key)
                .serve(&format!("unix:{}", path.display())),
            std::process::ExitCode::from(64)
        );
        assert!(!path.exists(), "nothing was bound");
    }
}
