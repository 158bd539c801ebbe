//! The OpenAPI 3 document at `/api/v1/openapi.json`, generated from the handlers.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Doc, ServerBuilder};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Patron API",
        description = "Customers, orders, subscriptions and bans. Authenticate with `Authorization: Bearer <API key>`; every POST and PATCH accepts an `Idempotency-Key`."
    ),
    modifiers(&Security),
    tags((name = "customers", description = "People who pay you"))
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

/// The document's fixed part; the routes add their paths and schemas.
pub fn base() -> Doc {
    Base::openapi()
}
