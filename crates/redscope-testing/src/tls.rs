//! TLS fixtures: a private CA with a server certificate for `localhost`/127.0.0.1 and a client
//! certificate, made by the `openssl` CLI, and a redis-server that requires the client
//! certificate (`tls-auth-clients yes`) on a TLS port beside its plain one.

use std::path::{Path, PathBuf};
use std::process::Command;

use redscope::error::{Error, Result};

use crate::{free_port, RedisServer};

/// The PEM files [`make_certs`] writes into a directory.
#[derive(Debug, Clone)]
pub struct Certs {
    /// The CA certificate (`ca.crt`).
    pub ca: PathBuf,
    /// The server certificate (`server.crt`, for DNS:localhost and IP:127.0.0.1).
    pub server_cert: PathBuf,
    /// Its key (`server.key`).
    pub server_key: PathBuf,
    /// The client certificate (`client.crt`, CN redscope-client).
    pub client_cert: PathBuf,
    /// Its key (`client.key`, unencrypted).
    pub client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| {
            Error::Config(format!(
                "cannot run openssl (install it: scripts/dev setup): {e}"
            ))
        })?;
    if !out.status.success() {
        return Err(Error::Config(format!(
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// Makes a CA (valid 2 days), a server certificate for 127.0.0.1 and localhost and a client
/// certificate, all signed by it, as EC P-256 keys in `dir`.
pub fn make_certs(dir: &Path) -> Result<Certs> {
    make_certs_for(dir, "DNS:localhost,IP:127.0.0.1")
}

/// Like [`make_certs`], with a server certificate for the names in `san` (`DNS:…,IP:…`).
pub fn make_certs_for(dir: &Path, san: &str) -> Result<Certs> {
    let server_ext = format!("subjectAltName={san}\nextendedKeyUsage=serverAuth\n");
    const EC: [&str; 5] = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(EC);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=Redscope test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca)?;
    for (name, cn, ext) in [
        ("server", "localhost", server_ext.as_str()),
        ("client", "redscope-client", "extendedKeyUsage=clientAuth\n"),
    ] {
        let (key, csr, subj, crt, extf) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("/CN={cn}"),
            format!("{name}.crt"),
            format!("{name}.ext"),
        );
        let mut req = vec!["req"];
        req.extend(EC);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(dir, &req)?;
        std::fs::write(dir.join(&extf), ext)?;
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &extf,
            ],
        )?;
    }
    Ok(Certs {
        ca: dir.join("ca.crt"),
        server_cert: dir.join("server.crt"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.crt"),
        client_key: dir.join("client.key"),
    })
}

/// A redis-server with a TLS port that requires a client certificate signed by the CA.
#[derive(Debug)]
pub struct TlsRedis {
    /// The server (its plain port stays open for the test's own checks).
    pub server: RedisServer,
    /// The TLS port.
    pub tls_port: u16,
    /// The certificates (in a temp dir removed on drop).
    pub certs: Certs,
    _dir: tempfile::TempDir,
}

impl TlsRedis {
    /// Makes certificates and starts the server (`tls-auth-clients yes`).
    pub fn start() -> Result<TlsRedis> {
        Self::start_for("DNS:localhost,IP:127.0.0.1")
    }

    /// The same with a server certificate for the names in `san` only (e.g. `DNS:redis.internal`,
    /// a server its clients reach by another address).
    pub fn start_for(san: &str) -> Result<TlsRedis> {
        let dir = tempfile::Builder::new().prefix("redscope-tls-").tempdir()?;
        let certs = make_certs_for(dir.path(), san)?;
        let tls_port = free_port()?;
        let s = |p: &Path| p.display().to_string();
        let server = RedisServer::builder()
            .raw_args(&[
                "--tls-port",
                &tls_port.to_string(),
                "--tls-cert-file",
                &s(&certs.server_cert),
                "--tls-key-file",
                &s(&certs.server_key),
                "--tls-ca-cert-file",
                &s(&certs.ca),
                "--tls-auth-clients",
                "yes",
            ])
            .start()?;
        Ok(TlsRedis {
            server,
            tls_port,
            certs,
            _dir: dir,
        })
    }

    /// `rediss://127.0.0.1:<tls port>/0`.
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/0", self.tls_port)
    }
}
