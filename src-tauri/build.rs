//! Build script of the desktop shell: embeds the UI and declares the app's own commands in an
//! app manifest, so only the commands listed here exist for the ACL and the window may call
//! only those its capability (`capabilities/default.json`) allows. Keep the three lists equal:
//! `generate_handler!` in `src/main.rs`, `COMMANDS` here, and the capability's `allow-*`
//! permissions (`tests/desktop_acl.rs` in the library checks it).

/// Every command `generate_handler!` registers.
const COMMANDS: &[&str] = &[
    "health",
    "ui_ready",
    "tree",
    "keys",
    "keys_meta",
    "key",
    "key_set",
    "key_delete",
    "key_ttl",
    "key_rename",
    "invalidate",
    "job",
    "job_cancel",
    "jobs",
    "info",
    "slowlog",
    "slowlog_reset",
    "clients",
    "client_kill",
    "config_get",
    "server_action",
    "console",
    "monitor",
    "monitor_stats",
    "monitor_stop",
    "publish",
    "streams",
    "stream_entries",
    "stream_pending",
    "stream_tail",
    "stream_tail_stop",
    "metrics",
    "profiles",
    "profile_save",
    "profile_delete",
    "profile_test",
    "connect",
    "services",
    "findings",
    "findings_job",
    "findings_job_cancel",
    "series",
];

fn main() {
    // The UI is embedded from ../ui/dist; make sure the folder exists even before the first UI build.
    // The path is read at run time: a build script compiled in one clone may run for another.
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    std::fs::create_dir_all(std::path::Path::new(&manifest_dir).join("../ui/dist"))
        .expect("create ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build");
}
