//! Starts the servers the connection dialog can be tried against, for a person
//! (`./scripts/dev ssh-fixture`) and for the browser tests: a private `sshd`, a Redis reachable
//! only through it (a Unix socket the tunnel user may open), a Redis on a TLS port that requires
//! a client certificate, and an ACL user `trader` limited to `~market:*` and read commands.
//!
//! Prints one JSON line describing them (paths, ports, users and the test-only passwords), then
//! a readable summary on stderr, and keeps everything running until stdin closes or the process
//! is interrupted.

use std::io::Read;

use redscope_testing::sshd::{SshServer, KEY_PASSPHRASE, TUNNEL_PASSWORD, TUNNEL_USER};
use redscope_testing::tls::TlsRedis;
use redscope_testing::{sync_query, RedisServer};

/// The ACL user the fixture creates, and its password.
const ACL_USER: &str = "trader";
const ACL_PASSWORD: &str = "trader-pw";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sshd = SshServer::start()?;
    // Behind the tunnel: a Redis whose only listener a client is given is a Unix socket in the
    // sshd's temp dir (open to the tunnel user, who runs the forwarding).
    let socket = sshd.dir().join("redis.sock");
    let hidden = RedisServer::builder()
        .arg("unixsocket", socket.display().to_string())
        .arg("unixsocketperm", "777")
        .start()?;
    std::fs::set_permissions(
        sshd.dir(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )?;
    let tls = TlsRedis::start()?;
    for server in [&hidden, &tls.server] {
        sync_query(
            server,
            &[
                "ACL",
                "SETUSER",
                ACL_USER,
                "on",
                &format!(">{ACL_PASSWORD}"),
                "~market:*",
                "+@read",
                "+@connection",
                "+info",
                "+command",
            ],
        )?;
        sync_query(server, &["SET", "market:btc", "97000"])?;
        sync_query(server, &["SET", "secret:api-key", "not-for-traders"])?;
    }
    let info = serde_json::json!({
        "ssh": {
            "host": sshd.host(),
            "port": sshd.port(),
            "user": TUNNEL_USER,
            "password": TUNNEL_PASSWORD,
            "key": sshd.user_key(),
            "encrypted_key": sshd.user_key_encrypted(),
            "key_passphrase": KEY_PASSPHRASE,
            "fingerprint": sshd.fingerprint()?,
        },
        "behind_ssh": {
            "url": format!("unix://{}", socket.display()),
            "tcp_url": hidden.url(),
            "port": hidden.port(),
        },
        "tls": {
            "url": tls.url(),
            "port": tls.tls_port,
            "plain_port": tls.server.port(),
            "ca": tls.certs.ca,
            "cert": tls.certs.client_cert,
            "key": tls.certs.client_key,
        },
        "acl": { "user": ACL_USER, "password": ACL_PASSWORD },
    });
    println!("{info}");
    eprintln!(
        "\nReach fixtures are running (stop: Ctrl-C or Ctrl-D).\n\
         \n  SSH      {user}@{host}:{port}  password {pw}\n\
         \x20          key {key} (no passphrase) or {enc} (passphrase {kp})\n\
         \x20          host key {fp}\n\
         \x20 Redis behind SSH: URL unix://{socket} (tick SSH in the dialog)\n\
         \x20 TLS Redis {tls_url}: CA {ca}, client cert {cert}, key {ckey}\n\
         \x20 ACL user on both: {acl} / {acl_pw} (sees only market:*, read commands)\n",
        user = TUNNEL_USER,
        host = sshd.host(),
        port = sshd.port(),
        pw = TUNNEL_PASSWORD,
        key = sshd.user_key().display(),
        enc = sshd.user_key_encrypted().display(),
        kp = KEY_PASSPHRASE,
        fp = sshd.fingerprint()?,
        socket = socket.display(),
        tls_url = tls.url(),
        ca = tls.certs.ca.display(),
        cert = tls.certs.client_cert.display(),
        ckey = tls.certs.client_key.display(),
        acl = ACL_USER,
        acl_pw = ACL_PASSWORD,
    );
    // Runs until stdin closes (the test's pipe, or Ctrl-D); Ctrl-C ends the whole process group.
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop((hidden, tls, sshd));
    Ok(())
}
