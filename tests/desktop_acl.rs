//! The desktop shell exposes only its own commands, and the window may call exactly those: the
//! commands `generate_handler!` registers (`src-tauri/src/main.rs`), the app manifest's list
//! (`src-tauri/build.rs`) and the capability's `allow-*` permissions must be the same set, and
//! the capability grants nothing else beyond listening to events. The CSP stays strict.
//! Text checks only: no Tauri build needed.

use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The text between the first `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("no {open}")) + open.len();
    let end = text[start..]
        .find(close)
        .unwrap_or_else(|| panic!("no {close}"))
        + start;
    &text[start..end]
}

#[test]
fn handler_manifest_and_capability_list_the_same_commands() {
    let main = read("src-tauri/src/main.rs");
    let handler: BTreeSet<String> = between(&main, "generate_handler![", "])")
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| l.rsplit("::").next().unwrap().to_string())
        .collect();
    let build = read("src-tauri/build.rs");
    let manifest: BTreeSet<String> = between(&build, "const COMMANDS: &[&str] = &[", "];")
        .lines()
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"'))
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(str::to_string)
        .collect();
    assert!(
        build.contains(".app_manifest("),
        "build.rs must declare the app manifest"
    );
    let cap: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/default.json")).unwrap();
    let perms: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("plain permission names").to_string())
        .collect();
    let allowed: BTreeSet<String> = perms
        .iter()
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    let others: Vec<&String> = perms.iter().filter(|p| !p.starts_with("allow-")).collect();
    assert!(handler.len() >= 30, "commands: {handler:?}");
    assert_eq!(handler, manifest, "generate_handler! vs build.rs COMMANDS");
    assert_eq!(
        handler, allowed,
        "generate_handler! vs capability allow-* permissions"
    );
    assert_eq!(
        others,
        ["core:event:allow-listen", "core:event:allow-unlisten"],
        "the capability grants more than our commands and events"
    );
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
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
