//! The desktop shell's command list (src-tauri/commands.txt, read by its build script) and its
//! capability (src-tauri/capabilities/default.json): every operation, then the shell's own
//! `ui_ready`, `open_window` and `events_subscribe`.

use serde::Serialize;

use crate::ops::OPERATIONS;

/// Commands the desktop shell adds to the operations.
pub const SHELL_COMMANDS: &[&str] = &["ui_ready", "open_window", "events_subscribe"];

/// Every desktop command: the operations in table order, then the shell's own.
pub fn commands() -> impl Iterator<Item = &'static str> {
    OPERATIONS
        .iter()
        .map(|o| o.name)
        .chain(SHELL_COMMANDS.iter().copied())
}

/// src-tauri/commands.txt: one command a line.
pub fn commands_txt() -> String {
    commands().map(|c| format!("{c}\n")).collect()
}

/// The capability file's shape (field order is the file's).
#[derive(Serialize)]
struct Capability {
    #[serde(rename = "$schema")]
    schema: &'static str,
    identifier: &'static str,
    description: &'static str,
    windows: [&'static str; 2],
    permissions: Vec<String>,
}

/// src-tauri/capabilities/default.json: the main window and the connection windows (`conn-*`,
/// "open in new window") may call every command (events come through `events_subscribe`'s
/// channel), nothing else.
pub fn capability() -> String {
    let permissions = commands()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    let cap = Capability {
        schema: "../gen/schemas/desktop-schema.json",
        identifier: "default",
        description: "The main window and connection windows may call Redscope's own commands (events come through a channel); nothing else.",
        windows: ["main", "conn-*"],
        permissions,
    };
    let mut text = serde_json::to_string_pretty(&cap).expect("the capability serializes");
    text.push('\n');
    text
}
