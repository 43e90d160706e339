//! HTTPS: the certificate and key a server presents, read from PEM files and reloaded in place.
//!
//! This module owns the server's rustls configuration (`[global] server.tls.cert` and
//! `server.tls.key`, or [`Server::tls`](crate::engine::Server::tls)): a certificate chain and
//! its private key (PKCS#8, PKCS#1 or SEC1), checked to match when they are read, TLS 1.2 and
//! 1.3 with rustls's safe defaults (the `ring` provider), and ALPN offering `h2` then
//! `http/1.1` (actix-web adds both), so a client that speaks HTTP/2 gets it. The certificate
//! sits behind a resolver that [`Tls::reload`] swaps: connections already open keep the
//! session they negotiated, the next handshake presents the new certificate, and a reload that
//! fails (a file half-written, a key that does not match) keeps the old one and says why.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::engine_log;

/// Why a certificate could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or holds no PEM item of the kind expected.
    #[error("cannot read the TLS {what} {path}: {reason}")]
    File {
        /// `certificate` or `key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key is not the certificate's, or rustls refuses one of them.
    #[error("cannot use the TLS certificate {cert} with the key {key}: {reason}")]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        reason: String,
    },
}

/// The certificate presented to every client; swapped by a reload.
struct Current(RwLock<Arc<CertifiedKey>>);

impl fmt::Debug for Current {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Current")
    }
}

impl ResolvesServerCert for Current {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

/// A server's TLS: its files, its rustls configuration, and the certificate in use.
pub(crate) struct Tls {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<Current>,
    config: Arc<rustls::ServerConfig>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish()
    }
}

impl Tls {
    /// Reads `cert` (the chain, leaf first) and `key`, and checks that they belong together.
    pub(crate) fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certified = read(&provider, cert, key)?;
        let current = Arc::new(Current(RwLock::new(Arc::new(certified))));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Mismatch {
                cert: cert.to_owned(),
                key: key.to_owned(),
                reason: e.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        Ok(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            current,
            config: Arc::new(config),
        })
    }

    /// The configuration a listener is given (actix-web adds the ALPN protocols to its copy).
    pub(crate) fn server_config(&self) -> rustls::ServerConfig {
        (*self.config).clone()
    }

    /// Reads the files again and presents the new certificate from the next handshake on; on
    /// failure the old one stays.
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let provider = self.config.crypto_provider().clone();
        let certified = read(&provider, &self.cert, &self.key)?;
        *self.current.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(certified);
        engine_log!(
            info,
            "Reloaded the TLS certificate {} and key {}.",
            self.cert.display(),
            self.key.display()
        );
        Ok(())
    }
}

fn read(provider: &CryptoProvider, cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let file_error = |what, path: &Path, reason: String| TlsError::File {
        what,
        path: path.to_owned(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_error("certificate", cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error("certificate", cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error(
            "certificate",
            cert,
            "no CERTIFICATE in it".to_owned(),
        ));
    }
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|e| file_error("key", key, e.to_string()))?;
    let mismatch = |reason: String| TlsError::Mismatch {
        cert: cert.to_owned(),
        key: key.to_owned(),
        reason,
    };
    let signing = provider
        .key_provider
        .load_private_key(private)
        .map_err(|e| mismatch(e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .map_err(|e| mismatch(e.to_string()))?;
    Ok(certified)
}
