//! The OpenAPI 3 document at `/api/v1/openapi.json`, generated from the handlers.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    Content, OpenApi as Doc, Ref, RefOr, Required, ResponseBuilder, ServerBuilder,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Patron API",
        description = "Customers, orders, subscriptions and bans. Authenticate with `Authorization: Bearer <API key>`; every POST and PATCH accepts an `Idempotency-Key`."
    ),
    modifiers(&Security, &Tags),
    // What parameters name by reference (utoipa collects only what bodies and answers name).
    components(schemas(
        app::types::BanId,
        app::types::BulkActionId,
        app::types::CommandId,
        app::types::CustomerId,
        app::types::CustomerImportId,
        app::types::DisputeId,
        app::types::EntitlementId,
        app::types::EventId,
        app::types::InvoiceId,
        app::types::MergeId,
        app::types::OrderId,
        app::types::PaymentDetailId,
        app::types::ProductId,
        app::types::ProviderEventId,
        app::types::RefundId,
        app::types::SegmentId,
        app::types::SubscriptionId,
        app::types::WebhookDeliveryId,
        app::types::WebhookEndpointId,
        app::types::customer::CustomerSort,
        app::types::customer::SubscriptionFilter,
        app::types::order::OrderStatus,
        app::types::segment::BulkItemStatus,
        app::types::contact::Country,
        app::types::schema::DayOrTime,
    )),
)]
struct Base;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key, `pat_sk_...`"))
                    .build(),
            ),
        );
        doc.servers = Some(vec![ServerBuilder::new().url("/api/v1").build()]);
    }
}

/// Each tag the operations name, in the reference's order: its name, the title the API
/// reference shows (`x-displayName`, read by Redoc) and what it groups.
const TAGS: [(&str, &str, &str); 12] = [
    (
        "customers",
        "Customers",
        "People who pay you: their details, metadata, stats, export and import",
    ),
    (
        "orders",
        "Orders",
        "Purchases, their refunds, disputes and what the payment provider said",
    ),
    (
        "subscriptions",
        "Subscriptions",
        "Recurring charges: their invoices, cancellation and resumption",
    ),
    (
        "checkouts",
        "Checkouts",
        "Record a purchase, creating the customer when needed",
    ),
    (
        "products",
        "Products",
        "What a workspace sells and the benefits each grants",
    ),
    (
        "entitlements",
        "Entitlements",
        "Benefits a customer holds: licence keys, downloads, access",
    ),
    (
        "payment_details",
        "Payment details",
        "Saved cards and other payment methods",
    ),
    (
        "bans",
        "Bans",
        "Blocked emails, cards and addresses, and banned customers",
    ),
    (
        "segments",
        "Segments and bulk actions",
        "Saved list filters, and bulk actions over many customers",
    ),
    (
        "portal",
        "Customer portal",
        "Links that sign a customer into the hosted or embedded portal",
    ),
    (
        "webhooks",
        "Webhooks",
        "Endpoints that hear what happened, and their deliveries",
    ),
    ("workspace", "Workspace", "The workspace's settings"),
];

struct Tags;

impl Modify for Tags {
    fn modify(&self, doc: &mut Doc) {
        doc.tags = Some(
            TAGS.iter()
                .map(|(name, title, description)| {
                    TagBuilder::new()
                        .name(*name)
                        .description(Some(*description))
                        .extensions(Some(
                            ExtensionsBuilder::new()
                                .add("x-displayName", *title)
                                .build(),
                        ))
                        .build()
                })
                .collect(),
        );
    }
}

/// The document's fixed part; the routes add their paths and schemas.
pub fn base() -> Doc {
    Base::openapi()
}

/// The error answers an operation can give besides its own: what authentication, scopes,
/// idempotency, rate limits and the server itself answer for every route alike.
///
/// Each is a shared response (`#/components/responses/...`) with the error envelope; an
/// operation's own description of a status, naming its particular cases, is kept.
pub fn add_common_errors(doc: &mut Doc) {
    let common: [(&str, &str, &str); 9] = [
        (
            "400",
            "BadRequest",
            "A parameter, the body or a header is invalid; `param` names it",
        ),
        (
            "401",
            "Unauthenticated",
            "No API key, or an unknown or revoked one",
        ),
        ("403", "Forbidden", "The API key lacks the scope this needs"),
        (
            "404",
            "NotFound",
            "No such object in the workspace (a malformed id names nothing)",
        ),
        (
            "409",
            "Conflict",
            "The object's state refuses this, or a request with this `Idempotency-Key` is still running",
        ),
        (
            "422",
            "Unprocessable",
            "The input has the published form but breaks a rule it cannot state (`parameter_unprocessable`: a time that must lie ahead, fields that exclude each other), or this `Idempotency-Key` was used with a different request",
        ),
        (
            "429",
            "RateLimited",
            "Too many requests with this API key: retry after `Retry-After` seconds",
        ),
        (
            "500",
            "InternalError",
            "Patron failed; quote the request id to support",
        ),
        (
            "503",
            "Unavailable",
            "Patron cannot reach its database right now: retry",
        ),
    ];
    let envelope = Content::new(Some(Ref::from_schema_name("ErrorEnvelope")));
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in common {
        components.responses.insert(
            name.to_owned(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", envelope.clone())
                    .build(),
            ),
        );
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        let ops = [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (true, item.patch.as_mut()),
            (false, item.delete.as_mut()),
        ];
        for (keyed, op) in ops {
            let Some(op) = op else { continue };
            if keyed {
                idempotency_key_header(op);
            }
            let has_input =
                op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            for (status, name, _) in common {
                let applies = match status {
                    "400" => has_input,
                    // An id in the path, the query or the body may name nothing.
                    "404" => has_id || has_input,
                    "409" => keyed,
                    "422" => keyed || has_input,
                    _ => true,
                };
                if applies {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// Every POST and PATCH takes an `Idempotency-Key` (the idempotency layer serves them all):
/// publishes it where an operation does not, with the rule the layer checks.
fn idempotency_key_header(op: &mut Operation) {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(255))
        .pattern(Some("^[!-~]+$"))
        .build();
    let params = op.parameters.get_or_insert_with(Vec::new);
    let existing = params
        .iter_mut()
        .find(|p| p.name.eq_ignore_ascii_case("idempotency-key"));
    match existing {
        Some(p) => p.schema = Some(schema.into()),
        None => params.push(
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Makes a retry safe: the same key replays the first answer for 24 hours",
                ))
                .schema(Some(schema))
                .build(),
        ),
    }
}

/// No text in a request may hold a control character (see `json::parse` and `ApiQuery`), and a
/// free-text field with `minLength: 1` is trimmed and must keep a visible character
/// (`validate::text`). Publishes both rules as patterns on every request string that has no
/// pattern, format or list of values of its own; and that request objects take no fields
/// beyond their own.
pub fn add_text_rules(doc: &mut serde_json::Value) {
    use serde_json::Value;

    const ANY: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";
    const VISIBLE: &str = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$";

    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                let plain_string = map.get("type").is_some_and(|t| {
                    t == "string"
                        || t.as_array()
                            .is_some_and(|a| a.iter().any(|x| x == "string"))
                }) && !["pattern", "format", "enum", "const"]
                    .iter()
                    .any(|k| map.contains_key(*k));
                // Every request type refuses fields it does not know (`deny_unknown_fields`).
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                if plain_string {
                    let visible = map.get("minLength").and_then(Value::as_u64) == Some(1);
                    map.insert(
                        "pattern".into(),
                        Value::from(if visible { VISIBLE } else { ANY }),
                    );
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }

    // What requests carry: the schemas request bodies name (and those they name), and the
    // parameters.
    let mut inputs: Vec<String> = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for ops in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in ops.values_mut() {
                if let Some(body) = op.get("requestBody") {
                    collect_refs(body, &mut inputs);
                }
                if let Some(body) = op.get_mut("requestBody") {
                    walk(body);
                }
                if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                    for param in params.iter_mut() {
                        // A query parameter sent is not empty (leave it out instead).
                        if param["in"] == "query"
                            && let Some(schema) = param.get_mut("schema")
                            && schema["type"] == "string"
                            && schema.get("minLength").is_none()
                        {
                            schema["pattern"] = Value::from(ANY);
                            schema["minLength"] = Value::from(1);
                        }
                    }
                    params.iter_mut().for_each(walk);
                }
            }
        }
    }
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut i = 0;
    while i < inputs.len() {
        if let Some(schema) = schemas.get(&inputs[i]) {
            let mut more = Vec::new();
            collect_refs(schema, &mut more);
            for name in more {
                if !inputs.contains(&name) {
                    inputs.push(name);
                }
            }
        }
        i += 1;
    }
    for name in inputs {
        if let Some(schema) = schemas.get_mut(&name) {
            walk(schema);
        }
    }
}

/// The schema names `v` refers to (`#/components/schemas/<name>`).
fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                && !out.iter().any(|o| o == name)
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}
