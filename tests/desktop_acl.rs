//! The desktop shell exposes only the operation table's commands and its own (`ui_ready`,
//! `open_window`, `events_subscribe`), and the window may call exactly those:
//! `src-tauri/commands.txt` (the app manifest's list, read by `src-tauri/build.rs`) holds every
//! operation in table order and then the shell's; the capability grants `allow-*` for each of
//! them and nothing else (events come through `events_subscribe`'s channel, so not even event
//! listening). The CSP stays strict. Text checks only: no Tauri build needed.

use std::collections::BTreeSet;
use std::path::Path;

use redscope_admin::ops::OPERATIONS;

/// Commands the shell adds to the table: the UI-ready signal, "open in new window" and the
/// page's event feed.
const DESKTOP_COMMANDS: &[&str] = &["ui_ready", "open_window", "events_subscribe"];

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every command the window knows: the operations in table order, then the shell's own.
fn commands() -> Vec<&'static str> {
    OPERATIONS
        .iter()
        .map(|op| op.name)
        .chain(DESKTOP_COMMANDS.iter().copied())
        .collect()
}

#[test]
fn the_command_list_is_the_operation_table_plus_the_shells_own() {
    let expected: String = commands().iter().map(|c| format!("{c}\n")).collect();
    assert_eq!(
        read("src-tauri/commands.txt"),
        expected,
        "src-tauri/commands.txt is stale: one command per line, table order, then the shell's"
    );
    let build = read("src-tauri/build.rs");
    assert!(
        build.contains(".app_manifest(") && build.contains("\"commands.txt\""),
        "build.rs must declare the app manifest from commands.txt"
    );
}

#[test]
fn the_capability_allows_exactly_the_commands() {
    let cap: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/default.json")).unwrap();
    // The main window and the per-connection windows ("open in new window"), nothing else.
    assert_eq!(cap["windows"], serde_json::json!(["main", "conn-*"]));
    let perms: Vec<&str> = cap["permissions"]
        .as_array()
        .expect("a permissions list")
        .iter()
        .map(|p| p.as_str().expect("plain permission names"))
        .collect();
    let allowed: BTreeSet<String> = perms
        .iter()
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    let expected: BTreeSet<String> = commands().iter().map(|c| c.to_string()).collect();
    assert_eq!(
        allowed, expected,
        "the capability's allow-* permissions vs the commands"
    );
    assert_eq!(
        perms.len(),
        expected.len(),
        "a command is granted twice: {perms:?}"
    );
    let others: Vec<&str> = perms
        .iter()
        .copied()
        .filter(|p| !p.starts_with("allow-"))
        .collect();
    assert!(
        others.is_empty(),
        "the capability grants more than our commands: {others:?}"
    );
}

#[test]
fn the_csp_allows_only_the_app_itself() {
    let conf: serde_json::Value = serde_json::from_str(&read("src-tauri/tauri.conf.json")).unwrap();
    let csp = conf["app"]["security"]["csp"]
        .as_str()
        .expect("a CSP string");
    for needed in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(needed), "CSP lacks {needed}: {csp}");
    }
    let tokens: Vec<&str> = csp.split([' ', ';']).filter(|t| !t.is_empty()).collect();
    for banned in ["'unsafe-eval'", "*", "http:", "https:", "ws:", "wss:"] {
        assert!(!tokens.contains(&banned), "CSP allows {banned}: {csp}");
    }
    let script = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .expect("a script-src");
    assert_eq!(
        script.trim(),
        "script-src 'self'",
        "scripts only from the app"
    );
}
