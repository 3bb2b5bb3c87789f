//! The JSON Schemas (draft 2020-12, by schemars) of every operation's request and reply.
//! Requests are described as serde reads them and replies as serde writes them (a field skipped
//! when empty is optional only in a reply); named types of both live in one map that OpenAPI
//! publishes as `#/components/schemas`.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value};

use super::{Described, OperationVisitor};
use crate::ops::{self, Operation};
use crate::ErrorBody;

/// Where named schemas live; every `$ref` points there.
pub const COMPONENTS: &str = "/components/schemas";

/// The schemas of one operation.
pub struct OperationSchemas {
    /// The table's row.
    pub op: Operation,
    /// The request as a JSON body: a `$ref` or an inline schema.
    pub request: Value,
    /// The request's top-level fields with named types inlined: what GET and DELETE take as
    /// query (and path) parameters.
    pub fields: Vec<Field>,
    /// The reply: a `$ref` or an inline schema.
    pub reply: Value,
}

/// One top-level field of a request.
pub struct Field {
    /// Its JSON name.
    pub name: String,
    /// Whether serde needs it.
    pub required: bool,
    /// Its doc comment.
    pub description: Option<String>,
    /// Its schema, without the description.
    pub schema: Value,
}

/// The schemas of every operation, and the named schemas they refer to.
pub struct Schemas {
    /// One entry per operation, in table order.
    pub operations: Vec<OperationSchemas>,
    /// The error body every operation may answer with (a `$ref`).
    pub error: Value,
    /// Named schemas by name.
    pub components: Map<String, Value>,
}

fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = COMPONENTS.into();
        s.meta_schema = None;
    })
}

struct Collect {
    requests: SchemaGenerator,
    replies: SchemaGenerator,
    /// Inlines everything: the fields of query requests, which are never published whole.
    inline: SchemaGenerator,
    operations: Vec<OperationSchemas>,
}

impl OperationVisitor for Collect {
    fn operation<Req: Described, Reply: Described>(&mut self, op: &Operation) {
        let request = if op.method.takes_query() {
            Value::Object(Map::new())
        } else {
            self.requests.subschema_for::<Req>().to_value()
        };
        let whole = self.inline.subschema_for::<Req>().to_value();
        self.operations.push(OperationSchemas {
            op: *op,
            request,
            fields: fields(op.name, &whole),
            reply: self.replies.subschema_for::<Reply>().to_value(),
        });
    }
}

/// The schemas of every operation in [`ops::OPERATIONS`].
pub fn schemas() -> Schemas {
    let mut c = Collect {
        requests: settings().for_deserialize().into_generator(),
        replies: settings().for_serialize().into_generator(),
        inline: settings()
            .for_deserialize()
            .with(|s| s.inline_subschemas = true)
            .into_generator(),
        operations: Vec::new(),
    };
    ops::visit(&mut c);
    let error = c.replies.subschema_for::<ErrorBody>().to_value();
    let mut components = c.replies.take_definitions(true);
    for (name, schema) in c.requests.take_definitions(true) {
        match components.get(&name) {
            Some(other) if *other != schema => panic!(
                "{name} is read and written with different shapes: give one of them its own \
                 schema name (#[schemars(rename)])"
            ),
            _ => {
                components.insert(name, schema);
            }
        }
    }
    Schemas {
        operations: c.operations,
        error,
        components,
    }
}

/// The top-level fields of a request schema (an object, possibly with flattened parts).
fn fields(op: &str, schema: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema["properties"].as_object() else {
        assert_eq!(
            schema["type"], "object",
            "{op}: the request must be a JSON object"
        );
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, s)| {
            let mut s = s.clone();
            let description = s
                .as_object_mut()
                .and_then(|o| o.remove("description"))
                .and_then(|d| d.as_str().map(str::to_string));
            Field {
                name: name.clone(),
                required: required.contains(&name.as_str()),
                description,
                schema: s,
            }
        })
        .collect()
}

/// `schema` without `null` among its types: a query or path parameter is absent, never null.
pub fn non_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    schema
}
