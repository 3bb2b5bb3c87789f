//! docs/API.md's route table, between `<!-- operations:begin -->` and `<!-- operations:end -->`:
//! one row per operation (command, HTTP, writes, request, reply, doc), then the routes web mode
//! serves beside them. The rest of the page is written by hand.

use std::fmt::Write;

use ts_rs::Config;

use super::{openapi, Described, OperationVisitor};
use crate::ops::{self, Operation, Writes};

/// The line that opens the generated table.
pub const BEGIN: &str = "<!-- operations:begin -->";
/// The line that closes it.
pub const END: &str = "<!-- operations:end -->";

struct Table {
    cfg: Config,
    rows: String,
}

/// `text` as a table cell in code font (pipes escaped); empty stays empty.
fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{}`", text.replace('|', "\\|"))
    }
}

impl OperationVisitor for Table {
    fn operation<Req: Described, Reply: Described>(&mut self, op: &Operation) {
        let request = Req::name(&self.cfg);
        let request = if request == "NoArgs" {
            String::new()
        } else {
            request
        };
        let writes = match op.writes {
            Writes::No => "no",
            Writes::Yes => "yes",
            Writes::PerCall => "per call",
        };
        writeln!(
            self.rows,
            "| `{}` | `{} /api{}` | {} | {} | {} | {} |",
            op.name,
            op.method.as_str(),
            op.path,
            writes,
            code(&request),
            code(&Reply::name(&self.cfg)),
            op.doc.replace('|', "\\|"),
        )
        .unwrap();
    }
}

/// The generated table, markers included.
pub fn table() -> String {
    let mut t = Table {
        cfg: Config::new().with_large_int("number"),
        rows: String::new(),
    };
    ops::visit(&mut t);
    let mut out = format!(
        "{BEGIN}\n<!-- Generated from crates/redscope-admin/src/ops.rs: edit the table there, then run `{}`. -->\n\n\
         | command | HTTP | writes | request | reply | what it does |\n\
         |---|---|---|---|---|---|\n",
        super::REGENERATE
    );
    out.push_str(&t.rows);
    for (method, path, _, summary, _) in openapi::SURFACE {
        let method = if *path == "/api/events" {
            "WS".to_string()
        } else {
            method.to_ascii_uppercase()
        };
        writeln!(out, "| | `{method} {path}` | no | | | {summary} |").unwrap();
    }
    out.push_str(END);
    out
}

/// `current` (docs/API.md) with the text between the markers replaced by [`table`].
pub fn splice(current: &str) -> String {
    let (Some(start), Some(end)) = (current.find(BEGIN), current.find(END)) else {
        panic!("docs/API.md lacks the {BEGIN} … {END} markers around its route table");
    };
    assert!(start < end, "docs/API.md: {END} comes before {BEGIN}");
    format!(
        "{}{}{}",
        &current[..start],
        table(),
        &current[end + END.len()..]
    )
}
