//! What a trading service pulls in by depending on the library with its default features: a
//! bounded number of crates and none of the app's (web server, desktop shell, CLI, keyring, schema
//! generators, SSH).

use std::collections::BTreeSet;
use std::process::Command;

/// Most crates (the library included) a default `redscope` dependency may bring.
const MAX_CRATES: usize = 120;

/// Crates that belong to the app, never to the library.
const APP_CRATES: &[&str] = &[
    "axum",
    "hyper",
    "tower",
    "tauri",
    "clap",
    "keyring",
    "schemars",
    "ts-rs",
    "reqwest",
    "sysinfo",
    "plotters",
    "russh",
    "pkcs8",
    "redscope-admin",
    "redscope-cli",
];

#[test]
fn the_library_pulls_few_crates_and_no_app_crates() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "redscope", "-e", "normal", "--prefix", "none"])
        .args(["--locked", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "name vX.Y.Z": two versions of one crate count twice, as they are built twice.
    let crates: BTreeSet<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect();
    let app: Vec<&String> = crates
        .iter()
        .map(|(name, _)| name)
        .filter(|name| APP_CRATES.contains(&name.as_str()))
        .collect();
    assert!(app.is_empty(), "app crates in the library's tree: {app:?}");
    assert!(
        crates.len() <= MAX_CRATES,
        "the library pulls {} crates (at most {MAX_CRATES}): {crates:?}",
        crates.len()
    );
}
