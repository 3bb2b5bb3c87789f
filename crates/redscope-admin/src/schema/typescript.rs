//! ui/src/api.gen.ts: the TypeScript declarations (ts-rs) of every request and reply type, the
//! `ROUTES` table (name → method, path, writes) and the `Operations` map (name → request and
//! reply types) the UI's transport is typed by.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use ts_rs::{Config, TypeVisitor, TS};

use super::{Described, OperationVisitor, REGENERATE};
use crate::events::Event;
use crate::ops::{self, Operation};
use crate::ErrorBody;

/// JSON numbers are numbers in TypeScript, whatever the Rust integer width.
fn config() -> Config {
    Config::new().with_large_int("number")
}

/// Collects the declaration of every named type reached, once each.
struct Declarations {
    cfg: Config,
    seen: HashSet<TypeId>,
    /// Declarations by TypeScript name (sorted output), with the Rust type that made each.
    by_name: BTreeMap<String, (String, &'static str)>,
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_some() {
            if !self.seen.insert(TypeId::of::<T>()) {
                return;
            }
            let name = T::ident(&self.cfg);
            let rust = std::any::type_name::<T>();
            let mut decl = String::new();
            if let Some(docs) = T::docs() {
                decl.push_str(&docs);
            }
            write!(decl, "export {}", T::decl(&self.cfg)).unwrap();
            match self.by_name.get(&name) {
                // A type and its shadow (`serde_json::Value` is declared by ts-rs's own type).
                Some((same, _)) if *same == decl => return,
                Some((_, other)) => panic!(
                    "{rust} and {other} are both called {name} in TypeScript: rename one (#[ts(rename)])"
                ),
                None => {
                    self.by_name.insert(name, (decl, rust));
                }
            }
            T::visit_dependencies(self);
        }
        // A wrapper (`Vec<T>`, `Option<T>`, maps, tuples) reaches its types as generics; its
        // own dependency walk would bypass `seen` and never end on a recursive type.
        T::visit_generics(self);
    }
}

/// The rows of `ROUTES` and `Operations`, in table order.
struct Rows {
    decls: Declarations,
    routes: String,
    operations: String,
}

impl OperationVisitor for Rows {
    fn operation<Req: Described, Reply: Described>(&mut self, op: &Operation) {
        self.decls.visit::<Req>();
        self.decls.visit::<Reply>();
        let cfg = &self.decls.cfg;
        writeln!(
            self.routes,
            "  {}: {{ method: '{}', path: '/api{}', writes: '{}' }},",
            op.name,
            op.method.as_str(),
            op.path,
            serde_json::to_value(op.writes).unwrap().as_str().unwrap(),
        )
        .unwrap();
        writeln!(
            self.operations,
            "  /** {} */\n  {}: {{ request: {}; reply: {} }};",
            op.doc,
            op.name,
            Req::name(cfg),
            Reply::name(cfg)
        )
        .unwrap();
    }
}

/// The whole module.
pub fn module() -> String {
    let mut rows = Rows {
        decls: Declarations {
            cfg: config(),
            seen: HashSet::new(),
            by_name: BTreeMap::new(),
        },
        routes: String::new(),
        operations: String::new(),
    };
    ops::visit(&mut rows);
    // Not replies of an operation, but the same service speaks them: the error body and the
    // live events.
    rows.decls.visit::<ErrorBody>();
    rows.decls.visit::<Event>();
    let mut out = format!(
        "// Generated from crates/redscope-admin/src/ops.rs: do not edit.\n\
         // Regenerate with `{REGENERATE}`.\n\
         /* eslint-disable */\n\n"
    );
    for (decl, _) in rows.decls.by_name.values() {
        out.push_str(decl);
        out.push_str("\n\n");
    }
    out.push_str(
        "/** The HTTP method of an operation in web mode. */\n\
         export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';\n\n\
         /** Whether an operation writes to Redis: `per_call` depends on its arguments. */\n\
         export type Writes = 'no' | 'yes' | 'per_call';\n\n\
         /** How an operation maps onto HTTP in web mode; desktop commands carry the same names. */\n\
         export interface Route {\n  method: Method;\n  path: string;\n  writes: Writes;\n}\n\n\
         /** Every admin operation with its HTTP route, in the table's order. */\n\
         export const ROUTES = {\n",
    );
    out.push_str(&rows.routes);
    out.push_str(
        "} as const satisfies Record<string, Route>;\n\n\
         /** Each operation's request and reply types. */\n\
         export interface Operations {\n",
    );
    out.push_str(&rows.operations);
    out.push_str(
        "}\n\n\
         /** An operation's name. */\n\
         export type OperationName = keyof Operations;\n\n\
         /** The request type of operation `C`. */\n\
         export type RequestOf<C extends OperationName> = Operations[C]['request'];\n\n\
         /** The reply type of operation `C`. */\n\
         export type ReplyOf<C extends OperationName> = Operations[C]['reply'];\n",
    );
    out
}
