//! TLS for `rediss://` through rustls with the `ring` provider: the provider is installed as the
//! process default once (idempotently) before the first TLS connection, a private CA can be
//! given as a PEM file (`?ca=/path` in the URL or `REDIS_TLS_CA`), certificates are verified
//! unless the URL ends in `#insecure`, and a handshake that fails verification becomes a clear,
//! non-retryable [`Error::Config`] naming the fix.

use std::sync::Once;

use crate::config::{Endpoint, RedisConfig};
use crate::error::{Error, Result};

static PROVIDER: Once = Once::new();

/// Installs rustls' `ring` provider as the process default, once. Harmless when the
/// application installed a provider of its own first.
pub fn install_crypto_provider() {
    PROVIDER.call_once(|| {
        if rustls::crypto::ring::default_provider()
            .install_default()
            .is_err()
        {
            tracing::debug!("a rustls crypto provider was already installed; keeping it");
        }
    });
}

/// True when the configuration connects with TLS.
pub fn is_tls(cfg: &RedisConfig) -> bool {
    matches!(cfg.endpoint, Endpoint::Tls { .. })
}

/// The CA certificates to trust for `cfg` (`None`: the system's roots), read from its CA file.
pub fn certificates(cfg: &RedisConfig) -> Result<Option<redis::TlsCertificates>> {
    if !is_tls(cfg) {
        return Ok(None);
    }
    let client_tls = match &cfg.tls_client {
        Some(c) => Some(redis::ClientTlsConfig {
            client_cert: read_pem(
                &c.cert,
                "TLS client certificate",
                b"-----BEGIN CERTIFICATE-----",
            )?,
            client_key: client_key(c)?,
        }),
        None => None,
    };
    let Some(path) = cfg.tls_ca.as_ref() else {
        return Ok(client_tls.map(|c| redis::TlsCertificates {
            client_tls: Some(c),
            root_cert: None,
        }));
    };
    let pem = std::fs::read(path).map_err(|e| {
        Error::Config(format!(
            "cannot read the TLS CA file {}: {e}",
            path.display()
        ))
    })?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(Error::Config(format!(
            "the TLS CA file {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(Some(redis::TlsCertificates {
        client_tls,
        root_cert: Some(pem),
    }))
}

/// Reads a PEM file that must contain `marker`, with errors that name the file and its role.
fn read_pem(path: &std::path::Path, what: &str, marker: &[u8]) -> Result<Vec<u8>> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::Config(format!("cannot read the {what} {}: {e}", path.display())))?;
    if !pem.windows(marker.len()).any(|w| w == marker) {
        let hint = if pem.windows(9).any(|w| w == b"ENCRYPTED") {
            " (it is encrypted: decrypt it with `openssl pkey -in key.pem -out plain.pem`)"
        } else {
            ""
        };
        return Err(Error::Config(format!(
            "the {what} {} is not a PEM file of the expected kind{hint}",
            path.display()
        )));
    }
    Ok(pem)
}

/// The client key as unencrypted PEM: an encrypted PKCS#8 key is decrypted in memory with its
/// passphrase (nothing decrypted is written anywhere).
fn client_key(c: &crate::config::TlsClientCert) -> Result<Vec<u8>> {
    const ENCRYPTED: &[u8] = b"-----BEGIN ENCRYPTED PRIVATE KEY-----";
    let raw = std::fs::read(&c.key).map_err(|e| {
        Error::Config(format!(
            "cannot read the TLS client key {}: {e}",
            c.key.display()
        ))
    })?;
    if !raw.windows(ENCRYPTED.len()).any(|w| w == ENCRYPTED) {
        return read_pem(&c.key, "TLS client key", b"PRIVATE KEY-----");
    }
    decrypt_client_key(c, &raw)
}

/// `raw`, an encrypted PKCS#8 PEM key, decrypted with the configured passphrase.
#[cfg(feature = "tls-encrypted-key")]
fn decrypt_client_key(c: &crate::config::TlsClientCert, raw: &[u8]) -> Result<Vec<u8>> {
    let Some(pass) = &c.key_passphrase else {
        return Err(Error::Config(format!(
            "the TLS client key {} is encrypted: give its passphrase",
            c.key.display()
        )));
    };
    use pkcs8::der::pem::LineEnding;
    let text = std::str::from_utf8(raw).map_err(|_| {
        Error::Config(format!(
            "the TLS client key {} is not PEM text",
            c.key.display()
        ))
    })?;
    let (_, der) = pkcs8::der::pem::decode_vec(text.trim().as_bytes()).map_err(|e| {
        Error::Config(format!(
            "the TLS client key {} is not valid PEM: {e}",
            c.key.display()
        ))
    })?;
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice()).map_err(|e| {
        Error::Config(format!(
            "the TLS client key {} is not an encrypted PKCS#8 key: {e}",
            c.key.display()
        ))
    })?;
    let plain = info.decrypt(pass.expose().as_bytes()).map_err(|_| {
        Error::Config(format!(
            "cannot decrypt the TLS client key {}: wrong passphrase (or an unsupported cipher)",
            c.key.display()
        ))
    })?;
    let pem = plain
        .to_pem("PRIVATE KEY", LineEnding::LF)
        .map_err(|e| Error::Config(format!("cannot re-encode the TLS client key: {e}")))?;
    Ok(pem.as_bytes().to_vec())
}

/// Without the `tls-encrypted-key` feature an encrypted key is refused with what to do.
#[cfg(not(feature = "tls-encrypted-key"))]
fn decrypt_client_key(c: &crate::config::TlsClientCert, _raw: &[u8]) -> Result<Vec<u8>> {
    Err(Error::Config(format!(
        "the TLS client key {} is encrypted and this build reads only unencrypted keys (enable \
         the `tls-encrypted-key` feature, or decrypt it with `openssl pkey -in key.pem -out plain.pem`)",
        c.key.display()
    )))
}

/// A redis-rs client for `info`, with the CA of `cfg` when it names one.
pub fn client(cfg: &RedisConfig, info: redis::ConnectionInfo) -> Result<redis::Client> {
    if !is_tls(cfg) {
        return redis::Client::open(info).map_err(Error::from);
    }
    install_crypto_provider();
    let client = match certificates(cfg)? {
        Some(certs) => redis::Client::build_with_tls(info, certs)?,
        None => redis::Client::open(info)?,
    };
    if cfg.tls_verify_host {
        return Ok(client);
    }
    // Chain checked against the CA, host name not (`#verify-ca`): the flag goes on the address
    // after the certificates, which building the client replaces.
    let info = client.get_connection_info().clone();
    let mut addr = info.addr().clone();
    addr.set_danger_accept_invalid_hostnames(true);
    redis::Client::open(info.set_addr(addr)).map_err(Error::from)
}

/// Turns a failed TLS handshake into a clear configuration error; other errors convert as usual.
pub fn classify(cfg: &RedisConfig, e: redis::RedisError) -> Error {
    match (is_tls(cfg), rustls_cause(&e)) {
        (true, Some(cause)) => {
            let hint = if cfg.tls_ca.is_some() {
                "check that the CA file signed the server's certificate and that the host name matches it \
                 (#verify-ca checks the CA only, for a server reached by a name its certificate does not list)"
            } else {
                "give the CA with ?ca=/path/to/ca.pem or REDIS_TLS_CA, or append #insecure to skip verification"
            };
            Error::Config(format!(
                "TLS handshake with {} failed: {cause} ({hint})",
                cfg.display_url()
            ))
        }
        _ => Error::from(e),
    }
}

/// The rustls error behind a redis-rs error, if any (redis-rs wraps it in an `io::Error`).
fn rustls_cause(e: &redis::RedisError) -> Option<rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut depth = 0;
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r.clone());
        }
        let io = err.downcast_ref::<std::io::Error>().or_else(|| {
            err.downcast_ref::<std::sync::Arc<dyn std::error::Error + Send + Sync>>()
                .and_then(|a| a.downcast_ref::<std::io::Error>())
        });
        if let Some(inner) = io.and_then(|io| io.get_ref()) {
            if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                return Some(r.clone());
            }
        }
        depth += 1;
        if depth > 8 {
            break;
        }
        cur = err.source();
    }
    None
}
