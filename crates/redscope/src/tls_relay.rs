//! TLS relays: a private Unix socket whose connections this process carries to a TLS server,
//! doing the TLS itself, so the name the certificate is checked against (and sent as SNI) can
//! differ from the address dialled. redis-rs checks the name it dials, and its connection
//! manager has no hook to change that; the relay is what makes these deployments reachable:
//! - a server known by one name and dialled at another (`?server_name=`, the profile's server
//!   name field): an IP address, a load balancer, a private DNS name not resolvable here;
//! - a TLS server behind an SSH tunnel, dialled at the tunnel's loopback end but checked
//!   against its own host name.
//!
//! The socket lives in a directory only this user can enter (`$XDG_RUNTIME_DIR`, else the temp
//! directory, with mode 0700), so the client certificate the relay presents serves no one else.
//! Relays live in a process-wide registry keyed by what they dial and how, shared by every
//! connection of one deployment; [`close_all`] stops them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio::net::{TcpStream, UnixListener};
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

use crate::config::{Endpoint, RedisConfig};
use crate::error::{Error, Result};

/// What a relay dials and how it checks the server: relays with equal keys are shared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    host: String,
    port: u16,
    server_name: String,
    ca: Option<PathBuf>,
    cert: Option<(PathBuf, PathBuf)>,
    insecure: bool,
    verify_host: bool,
}

/// One relay: its socket and the task accepting on it (stopped on drop).
pub(crate) struct Relay {
    dir: PathBuf,
    socket: PathBuf,
    accept: JoinHandle<()>,
}

impl Relay {
    /// The Unix socket to connect to instead of the server.
    pub(crate) fn socket(&self) -> &Path {
        &self.socket
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn registry() -> &'static Mutex<HashMap<Key, Arc<Relay>>> {
    static REG: std::sync::OnceLock<Mutex<HashMap<Key, Arc<Relay>>>> = std::sync::OnceLock::new();
    REG.get_or_init(Default::default)
}

/// `cfg` (a TLS endpoint, possibly already a tunnel's loopback end) rewritten to reach the
/// server through a relay that checks the certificate against `server_name`. One handshake is
/// made first, so a certificate or CA problem is reported here, clearly, rather than as a
/// connection the server closed.
pub(crate) async fn through_relay(cfg: &RedisConfig, server_name: &str) -> Result<RedisConfig> {
    let Endpoint::Tls {
        host,
        port,
        insecure,
    } = &cfg.endpoint
    else {
        return Ok(cfg.clone());
    };
    let key = Key {
        host: host.clone(),
        port: *port,
        server_name: server_name.to_string(),
        ca: cfg.tls_ca.clone(),
        cert: cfg
            .tls_client
            .as_ref()
            .map(|c| (c.cert.clone(), c.key.clone())),
        insecure: *insecure,
        verify_host: cfg.tls_verify_host,
    };
    let connector = TlsConnector::from(Arc::new(client_config(cfg, *insecure)?));
    let name = ServerName::try_from(server_name.to_string()).map_err(|_| {
        Error::Config(format!(
            "{server_name:?} is not a valid TLS server name (a DNS name or an IP address)"
        ))
    })?;
    handshake(&connector, &key, name.clone(), cfg.connect_timeout)
        .await
        .map_err(|e| handshake_error(cfg, server_name, e))?;
    let existing = registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    let relay = match existing {
        Some(r) => r,
        None => {
            let r = Arc::new(start(key.clone(), connector, name, cfg.connect_timeout)?);
            registry()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(key)
                .or_insert(r)
                .clone()
        }
    };
    let mut out = cfg.clone();
    out.endpoint = Endpoint::Unix {
        path: relay.socket().to_path_buf(),
    };
    Ok(out)
}

/// Stops every relay (their sockets are removed).
pub fn close_all() {
    registry().lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// A failed TLS handshake as an error: a rustls error names the fix, anything else (refused,
/// timed out) keeps its kind.
fn handshake_error(cfg: &RedisConfig, server_name: &str, e: std::io::Error) -> Error {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    match tls {
        Some(cause) => Error::Config(format!(
            "TLS handshake with {} (checked as {server_name}) failed: {cause} (check that the CA \
             file signed the server's certificate and that the server name is one it lists)",
            cfg.display_url()
        )),
        None if e.kind() == std::io::ErrorKind::TimedOut => Error::Timeout(cfg.connect_timeout),
        None => Error::from(e),
    }
}

/// Dials the server and completes one TLS handshake.
async fn handshake(
    connector: &TlsConnector,
    key: &Key,
    name: ServerName<'static>,
    timeout: Duration,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS connect timed out");
    let go = async {
        let tcp = TcpStream::connect((key.host.as_str(), key.port)).await?;
        tcp.set_nodelay(true)?;
        connector.connect(name, tcp).await
    };
    tokio::time::timeout(timeout, go)
        .await
        .map_err(|_| timed_out())?
}

/// Binds the relay's socket in a fresh private directory and starts accepting on it.
fn start(
    key: Key,
    connector: TlsConnector,
    name: ServerName<'static>,
    timeout: Duration,
) -> Result<Relay> {
    let dir = private_dir()?;
    let socket = dir.join("tls.sock");
    let listener = UnixListener::bind(&socket).map_err(|e| {
        let _ = std::fs::remove_dir(&dir);
        Error::Config(format!(
            "cannot open the TLS relay socket {}: {e}",
            socket.display()
        ))
    })?;
    let accept = tokio::spawn(async move {
        loop {
            let mut local = match listener.accept().await {
                Ok((local, _)) => local,
                Err(e) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    tracing::warn!("TLS relay cannot accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (connector, key, name) = (connector.clone(), key.clone(), name.clone());
            tokio::spawn(async move {
                match handshake(&connector, &key, name, timeout).await {
                    Ok(mut tls) => {
                        let _ = tokio::io::copy_bidirectional(&mut local, &mut tls).await;
                    }
                    Err(e) => tracing::warn!(
                        server = %format!("{}:{}", key.host, key.port),
                        "TLS relay could not reach the server: {e}"
                    ),
                }
            });
        }
    });
    Ok(Relay {
        dir,
        socket,
        accept,
    })
}

/// A new directory only this user can enter, for one relay's socket.
fn private_dir() -> Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!(
        "redscope-tls-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| Error::Config(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// The rustls client configuration of `cfg`: its CA (or the system's roots), its client
/// certificate, and how much of the server's certificate to check.
fn client_config(cfg: &RedisConfig, insecure: bool) -> Result<rustls::ClientConfig> {
    crate::tls::install_crypto_provider();
    let pems = crate::tls::certificates(cfg)?;
    let mut roots = rustls::RootCertStore::empty();
    match pems.as_ref().and_then(|p| p.root_cert.as_deref()) {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| Error::Config(format!("the TLS CA file: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| Error::Config(format!("the TLS CA file: {e}")))?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
    }
    let verifier: Arc<dyn ServerCertVerifier> = {
        let webpki = rustls::client::WebPkiServerVerifier::builder(Arc::new(roots))
            .build()
            .map_err(|e| Error::Config(format!("cannot use the TLS CA: {e}")))?;
        if insecure {
            Arc::new(Verify::Nothing(webpki))
        } else if cfg.tls_verify_host {
            webpki
        } else {
            Arc::new(Verify::ChainOnly(webpki))
        }
    };
    let builder = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let client = pems.and_then(|p| p.client_tls);
    Ok(match client {
        None => builder.with_no_client_auth(),
        Some(c) => {
            let chain = CertificateDer::pem_slice_iter(&c.client_cert)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::Config(format!("the TLS client certificate: {e}")))?;
            let key = PrivateKeyDer::from_pem_slice(&c.client_key)
                .map_err(|e| Error::Config(format!("the TLS client key: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::Config(format!("the TLS client certificate and key: {e}")))?
        }
    })
}

/// Checks weaker than the full one, each on request: `#insecure` checks nothing, `#verify-ca`
/// the chain but not the name. Signatures of the handshake itself are always verified.
#[derive(Debug)]
enum Verify {
    Nothing(Arc<rustls::client::WebPkiServerVerifier>),
    ChainOnly(Arc<rustls::client::WebPkiServerVerifier>),
}

impl Verify {
    fn inner(&self) -> &rustls::client::WebPkiServerVerifier {
        match self {
            Verify::Nothing(v) | Verify::ChainOnly(v) => v,
        }
    }
}

impl ServerCertVerifier for Verify {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self {
            Verify::Nothing(_) => Ok(ServerCertVerified::assertion()),
            Verify::ChainOnly(v) => {
                match v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                    Err(rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. },
                    )) => Ok(ServerCertVerified::assertion()),
                    other => other,
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner().supported_verify_schemes()
    }
}
