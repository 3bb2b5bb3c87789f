//! Web mode as a system service: `packaging/redscope.service` (shipped in the `redscope-cli`
//! package) passes systemd's own checks, its sandbox rates "OK", and this build of `redscope`
//! started exactly as the unit says, with the example settings `packaging/serve.env`, serves
//! HTTPS to the allowed name with the token, read-only, and stops cleanly on SIGTERM.
//! The package test (`tests/package.rs`) runs the same check on what the .deb installs;
//! `REDSCOPE_BIN` points these tests at another `redscope`.

use std::path::{Path, PathBuf};

use redscope_testing::service::{exposure, verify_unit};
use redscope_testing::web_service::{check_shipped_service, missing_serve_flags};

fn packaging(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../packaging")
        .join(file)
}

/// This build's `redscope`, or the one `REDSCOPE_BIN` names (e.g. another build or install).
fn binary() -> PathBuf {
    std::env::var_os("REDSCOPE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_redscope")))
}

#[test]
fn unit_passes_systemd_verify_and_its_sandbox_rates_ok() {
    let unit = packaging("redscope.service");
    verify_unit(&unit, "/usr/bin/redscope", &binary()).unwrap();
    let level = exposure(&unit).unwrap();
    println!("systemd-analyze security: exposure {level}");
    // 0 is locked down, 10 unprotected; systemd calls up to 4.9 "OK". The unit reaches about
    // 1.1; 2.0 leaves room for systemd versions that weigh settings differently.
    assert!(level <= 2.0, "exposure {level} (want at most 2.0)");
}

#[test]
fn unit_uses_only_flags_redscope_serve_has() {
    let missing = missing_serve_flags(&binary());
    assert!(
        missing.is_empty(),
        "redscope serve lacks {missing:?}, which redscope.service passes"
    );
}

#[test]
fn service_started_as_the_unit_says_serves_https_read_only_with_its_token() {
    let checked = check_shipped_service(
        &binary(),
        &packaging("redscope.service"),
        &packaging("serve.env"),
    );
    println!("{}", checked.banner);
    assert_eq!(
        checked.about["version"],
        env!("CARGO_PKG_VERSION"),
        "{}",
        checked.about
    );
}
