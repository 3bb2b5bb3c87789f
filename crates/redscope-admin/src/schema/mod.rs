//! Everything generated from the operation table ([`crate::ops::OPERATIONS`]): the OpenAPI
//! document, the UI's TypeScript client, docs/API.md's route table and the desktop's command
//! list and capability. Each is a pure function of the table; `tests/generated.rs` checks the
//! committed files against them and rewrites them with `REDSCOPE_BLESS=1`.
//!
//! [`json`] holds the JSON Schemas of requests and replies (schemars) that [`openapi`] builds on;
//! [`typescript`] renders ts-rs declarations; [`api_md`] and [`desktop`] are plain text.

pub mod api_md;
pub mod desktop;
pub mod json;
pub mod openapi;
pub mod typescript;

use crate::ops::Operation;

/// What a request or reply type must offer to be described: a JSON Schema and a TypeScript type.
pub trait Described: schemars::JsonSchema + ts_rs::TS + 'static {}

impl<T: schemars::JsonSchema + ts_rs::TS + 'static> Described for T {}

/// Receives each operation of the table with its request and reply types
/// ([`crate::ops::visit`]).
pub trait OperationVisitor {
    /// Called once per operation, in table order.
    fn operation<Req: Described, Reply: Described>(&mut self, op: &Operation);
}

/// One generated file: where it lives in the repository and how to render it.
pub struct Artefact {
    /// Path relative to the repository root.
    pub path: &'static str,
    /// Renders the file; receives the committed text, for files generated only in part.
    pub render: fn(current: &str) -> String,
}

/// Every generated file.
pub const ARTEFACTS: &[Artefact] = &[
    Artefact {
        path: "docs/openapi.json",
        render: |_| openapi::document_text(),
    },
    Artefact {
        path: "ui/src/api.gen.ts",
        render: |_| typescript::module(),
    },
    Artefact {
        path: "docs/API.md",
        render: api_md::splice,
    },
    Artefact {
        path: "src-tauri/commands.txt",
        render: |_| desktop::commands_txt(),
    },
    Artefact {
        path: "src-tauri/capabilities/default.json",
        render: |_| desktop::capability(),
    },
];

/// The regeneration command named in generated files and staleness failures.
pub const REGENERATE: &str = "REDSCOPE_BLESS=1 cargo test -p redscope-admin --test generated";

/// A JSON value with every object's keys in sorted order, whatever serde_json's map keeps, so
/// generated JSON is the same in every build of the workspace.
pub(crate) fn sorted(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut entries: Vec<_> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}
