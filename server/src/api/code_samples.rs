//! Samples in the OpenAPI document (`x-codeSamples`, the extension API reference viewers such
//! as Redoc show beside each operation): the main operations in curl and with the TypeScript
//! SDK (`sdk/typescript`), written as a developer would copy them.

use serde_json::{Value, json};

/// `(path, method, curl, TypeScript)` for each operation that carries samples. `$PATRON` is the
/// server's address and `$PATRON_API_KEY` a key, as the SDK's README names them.
const SAMPLES: &[(&str, &str, &str, &str)] = &[
    (
        "/customers",
        "get",
        r#"curl "$PATRON/api/v1/customers?q=mar&limit=50" \
  -H "Authorization: Bearer $PATRON_API_KEY""#,
        r#"import { Patron } from '@patron/sdk';

const patron = new Patron({ apiKey: process.env.PATRON_API_KEY!, baseUrl: process.env.PATRON! });
// Every page, one customer at a time.
for await (const customer of patron.customers.list({ q: 'mar', limit: 50 })) {
  console.log(customer.id, customer.email);
}"#,
    ),
    (
        "/customers",
        "post",
        r#"curl "$PATRON/api/v1/customers" \
  -H "Authorization: Bearer $PATRON_API_KEY" \
  -H "Idempotency-Key: 6f1c2d0e-signup-ada" \
  -H "Content-Type: application/json" \
  -d '{"email": "ada@example.com", "name": "Ada Lovelace", "external_id": "user_1815"}'"#,
        r#"const patron = new Patron({ apiKey: process.env.PATRON_API_KEY!, baseUrl: process.env.PATRON! });
// Retried on network errors and 5xx with one Idempotency-Key: never created twice.
const customer = await patron.customers.create({
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  external_id: 'user_1815',
});"#,
    ),
    (
        "/checkouts",
        "post",
        r#"curl "$PATRON/api/v1/checkouts" \
  -H "Authorization: Bearer $PATRON_API_KEY" \
  -H "Idempotency-Key: order-2026-0001" \
  -H "Content-Type: application/json" \
  -d '{"customer": {"email": "ada@example.com"}, "product_id": "prod_...", "payment_method": {"type": "card", "number": "4242424242424242"}}'"#,
        r#"const patron = new Patron({ apiKey: process.env.PATRON_API_KEY!, baseUrl: process.env.PATRON! });
const checkout = await patron.checkouts.create(
  {
    customer: { email: 'ada@example.com' },
    product_id: 'prod_...',
    payment_method: { type: 'card', number: '4242424242424242' },
  },
  { idempotencyKey: 'order-2026-0001' },
);
console.log(checkout.order.status);"#,
    ),
    (
        "/orders/{id}/refunds",
        "post",
        r#"curl "$PATRON/api/v1/orders/ord_.../refunds" \
  -H "Authorization: Bearer $PATRON_API_KEY" \
  -H "Idempotency-Key: refund-ord-1" \
  -H "Content-Type: application/json" \
  -d '{"amount": 500, "reason": "Asked for by the customer"}'"#,
        r#"const patron = new Patron({ apiKey: process.env.PATRON_API_KEY!, baseUrl: process.env.PATRON! });
// 500 minor units (5.00 in the order's currency); leave amount out to refund what is left.
const refund = await patron.orders.refund('ord_...', { amount: 500, reason: 'Asked for by the customer' });"#,
    ),
    (
        "/customer_sessions",
        "post",
        r#"curl "$PATRON/api/v1/customer_sessions" \
  -H "Authorization: Bearer $PATRON_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"external_id": "user_1815", "return_url": "https://shop.example/account"}'"#,
        r#"const patron = new Patron({ apiKey: process.env.PATRON_API_KEY!, baseUrl: process.env.PATRON! });
// A one-time link into the customer portal: redirect the signed-in customer to session.url.
const session = await patron.customerSessions.create({
  external_id: 'user_1815',
  return_url: 'https://shop.example/account',
});"#,
    ),
    (
        "/webhook_endpoints",
        "post",
        r#"curl "$PATRON/api/v1/webhook_endpoints" \
  -H "Authorization: Bearer $PATRON_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"url": "https://shop.example/hooks/patron", "event_types": ["order.paid", "subscription.canceled"]}'"#,
        r#"import { Patron, webhooks } from '@patron/sdk';

const patron = new Patron({ apiKey: process.env.PATRON_API_KEY!, baseUrl: process.env.PATRON! });
const endpoint = await patron.webhookEndpoints.create({
  url: 'https://shop.example/hooks/patron',
  event_types: ['order.paid', 'subscription.canceled'],
});
// In the handler: the raw body, the headers, and the endpoint's secret.
const event = webhooks.verify(rawBody, request.headers, endpoint.secret!);"#,
    ),
];

/// Adds the samples to `doc`'s operations. A sample whose operation the document lacks is a
/// bug the integration test `the_main_operations_carry_curl_and_sdk_samples` catches.
pub fn add_code_samples(doc: &mut Value) {
    for (path, method, curl, ts) in SAMPLES {
        if let Some(op) = doc.pointer_mut(&format!("/paths/{}/{method}", pointer_escape(path)))
            && let Some(op) = op.as_object_mut()
        {
            op.insert(
                "x-codeSamples".into(),
                json!([
                    {"lang": "Shell", "label": "curl", "source": curl},
                    {"lang": "TypeScript", "label": "SDK", "source": ts},
                ]),
            );
        }
    }
}

/// A path as one JSON Pointer segment: `~` as `~0`, `/` as `~1`.
fn pointer_escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_land_on_the_operation_they_name() {
        let mut doc = json!({"paths": {"/customers": {"get": {"summary": "List customers"}}}});
        add_code_samples(&mut doc);
        let samples = &doc["paths"]["/customers"]["get"]["x-codeSamples"];
        assert_eq!(samples[0]["label"], "curl");
        assert!(
            samples[1]["source"]
                .as_str()
                .unwrap()
                .contains("patron.customers.list")
        );
        // An operation the document lacks is not invented.
        assert!(doc["paths"]["/customers"].get("post").is_none());
    }
}
