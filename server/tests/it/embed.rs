//! The portal inside a merchant's page: the workspace's list of origins that may frame it
//! (REST and checks), links minted for one of them, the one-time exchange for a session bound
//! to that origin (kept by the frame and sent as a header), and the framing policy of every
//! page. The browser's side (embed.js, postMessage, third-party cookies blocked) is in
//! `end2end/tests/embed.spec.ts`.

use app::db::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{Api, TestApp, TestServer, card, monthly};

const SHOP: &str = "https://shop.example";

/// Mints an embed link for `customer` and page `origin`: the answer's status and body.
async fn mint(api: &Api, customer: &str, origin: &str) -> (StatusCode, Value) {
    api.post(
        "/customer_sessions",
        json!({"customer_id": customer, "embed_origin": origin}),
    )
    .await
}

/// The token in an embed link's fragment.
fn token_of(link: &Value) -> String {
    let url = link["url"].as_str().unwrap();
    let (_, token) = url
        .split_once("#token=")
        .expect("the token rides in the fragment");
    assert_eq!(token, link["token"].as_str().unwrap());
    token.to_owned()
}

/// Calls a portal server function as the embedded portal does: form fields, and the session
/// (if any) in its header, never a cookie.
async fn rpc(
    srv: &TestServer,
    session: Option<&str>,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut req = srv.client.post(srv.url(&format!("/rpc/portal/{path}")));
    if let Some(s) = session {
        req = req.header("patron-portal-session", s);
    }
    let res = req.form(form).send().await.unwrap();
    let status = res.status();
    assert!(
        res.headers().get("set-cookie").is_none(),
        "an embedded portal never gets a cookie"
    );
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Exchanges an embed token from a page of `origin`.
async fn exchange(srv: &TestServer, slug: &str, token: &str, origin: &str) -> (StatusCode, Value) {
    rpc(
        srv,
        None,
        "embed_session",
        &[("slug", slug), ("token", token), ("origin", origin)],
    )
    .await
}

async fn the_workspace_lists_the_origins_that_may_embed_its_portal(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let ws = api.get_ok("/workspace").await;
    assert_eq!(ws["object"], "workspace");
    assert_eq!(ws["slug"], "shop");
    assert_eq!(ws["embed_origins"], json!([]));
    assert!(ws["portal_url"].as_str().unwrap().ends_with("/portal/shop"));

    // One bad origin names its place in the list, and nothing is written.
    let (status, body) = api
        .patch(
            "/workspace",
            json!({"embed_origins": [SHOP, "http://shop.example"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["param"], "embed_origins[1]", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("http:// only for localhost"),
        "{body}"
    );
    for bad in [
        "https://shop.example/account",
        "https://*.com",
        "shop.example",
    ] {
        let (status, body) = api
            .patch("/workspace", json!({"embed_origins": [bad]}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["param"], "embed_origins[0]");
    }
    let (status, body) = api
        .patch("/workspace", json!({"embed_origin": [SHOP]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown field: {body}");
    assert_eq!(api.get_ok("/workspace").await, ws);

    // Origins are written as browsers name them; the other settings stay as they were.
    let saved = api
        .patch_ok(
            "/workspace",
            json!({"embed_origins": ["https://Shop.Example:443", "https://*.shop.example", "http://localhost:5173", SHOP]}),
        )
        .await;
    assert_eq!(
        saved["embed_origins"],
        json!([SHOP, "https://*.shop.example", "http://localhost:5173"])
    );
    assert_eq!(saved["name"], ws["name"]);
    assert_eq!(saved["slug"], ws["slug"]);

    // Changing them takes workspace:write.
    let reader = Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: app
            .tenant
            .key_with(&app.svc, &[app::types::Scope::CustomersRead])
            .await,
    };
    assert_eq!(reader.get_ok("/workspace").await["can_edit"], false);
    let (status, body) = reader
        .patch("/workspace", json!({"embed_origins": []}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.to_string().contains("workspace:write"), "{body}");
    assert_eq!(
        api.get_ok("/workspace").await["embed_origins"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    app.cleanup().await;
}

on_both_engines!(the_workspace_lists_the_origins_that_may_embed_its_portal);

async fn an_embed_token_opens_once_in_a_page_of_its_origin_for_a_session_kept_as_a_header(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let srv = &api.srv;
    let plan = monthly(api, 900, "EUR").await;
    let bought = api
        .post_ok(
            "/checkouts",
            json!({"product_id": plan, "payment_method": card("4242424242424242"),
                   "customer": {"email": "ann@example.com", "name": "Ann Lee"}}),
        )
        .await;
    let ann = bought["customer"]["id"].as_str().unwrap().to_owned();
    let sub = bought["subscription"]["id"].as_str().unwrap().to_owned();

    // Only an origin the workspace lists, and only one origin (not a wildcard).
    let (status, body) = mint(api, &ann, SHOP).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["param"], "embed_origin");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("embed origins"),
        "{body}"
    );
    api.patch_ok(
        "/workspace",
        json!({"embed_origins": [SHOP, "https://*.partner.example"]}),
    )
    .await;
    let (status, body) = mint(api, &ann, "https://*.partner.example").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["param"], "embed_origin");

    let (status, link) = mint(api, &ann, SHOP).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/embed/shop#token=", srv.base)),
        "{url}"
    );
    let token = token_of(&link);

    // Not through the hosted door: an embed token opens only inside its page.
    let res = srv
        .client
        .get(srv.url(&format!("/portal/session/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/portal/shop?link=expired");
    assert!(res.headers().get("set-cookie").is_none());

    // Not from another origin, not in another shop's frame, and neither refusal spends it.
    let (status, _) = exchange(srv, "shop", &token, "https://evil.example").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = exchange(srv, "shop", &token, "https://eu.partner.example").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "allowed, but not the token's origin"
    );
    let other =
        crate::support::Tenant::create(&app.svc, "Other Shop", &app::types::Scope::ALL).await;
    let other_api = Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: other.key.clone(),
    };
    other_api
        .patch_ok("/workspace", json!({"embed_origins": [SHOP]}))
        .await;
    let (status, _) = exchange(srv, "other-shop", &token, SHOP).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // From its page: a session bound to the origin, with no cookie.
    let (status, session) = exchange(srv, "shop", &token, SHOP).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["origin"], SHOP);
    let s = session["session"].as_str().unwrap().to_owned();
    assert_ne!(s, token);
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(session["expires_at"].clone()).unwrap();
    let ttl = expires - app.svc.clock.now();
    assert!(
        ttl <= chrono::Duration::hours(1) && ttl > chrono::Duration::minutes(59),
        "{ttl}"
    );

    // Once only.
    let (status, _) = exchange(srv, "shop", &token, SHOP).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a replayed token is refused"
    );

    // The header is the session: Ann's portal, and her actions.
    let (status, overview) = rpc(srv, Some(&s), "overview", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(overview["SignedIn"]["name"], "Ann Lee", "{overview}");
    let (status, _) = rpc(srv, None, "overview", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = rpc(
        srv,
        Some(&s),
        "cancel_subscription",
        &[("id", &sub), ("reason", "too_expensive"), ("comment", "")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sub_now = api.get_ok(&format!("/subscriptions/{sub}")).await;
    assert_eq!(sub_now["cancel_at_period_end"], true);
    let (status, _) = rpc(
        srv,
        Some("not-a-session"),
        "recover_subscription",
        &[("id", &sub)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // An hour later the session is over: the frame asks its page for a new token.
    app.clock.advance(chrono::Duration::minutes(61));
    let (status, overview) = rpc(srv, Some(&s), "overview", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(overview, json!("SignedOut"));

    // A shop that stops allowing an origin stops its unopened tokens too.
    let (_, fresh) = mint(api, &ann, SHOP).await;
    api.patch_ok(
        "/workspace",
        json!({"embed_origins": ["https://*.partner.example"]}),
    )
    .await;
    let (status, _) = exchange(srv, "shop", &token_of(&fresh), SHOP).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}

on_both_engines!(an_embed_token_opens_once_in_a_page_of_its_origin_for_a_session_kept_as_a_header);

/// The `frame-ancestors` directive of an answer's Content-Security-Policy.
fn framing(h: &reqwest::header::HeaderMap) -> String {
    let policy = h["content-security-policy"].to_str().unwrap();
    policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("frame-ancestors"))
        .unwrap_or_else(|| panic!("no frame-ancestors in {policy}"))
        .to_owned()
}

async fn only_embed_pages_may_be_framed_and_only_by_the_shops_origins(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let srv = &api.srv;
    let headers_of = |path: &'static str| async move {
        let res = srv.client.get(srv.url(path)).send().await.unwrap();
        res.headers().clone()
    };
    // Before the shop lists any origin, nobody may frame its embed page either.
    let h = headers_of("/embed/shop").await;
    assert_eq!(framing(&h), "frame-ancestors 'none'");
    api.patch_ok(
        "/workspace",
        json!({"embed_origins": [SHOP, "https://*.partner.example", "http://localhost:5173"]}),
    )
    .await;
    for path in [
        "/embed/shop",
        "/embed/shop/orders/ord_01KAKX6D00000000000000000",
    ] {
        let h = headers_of(path).await;
        assert_eq!(
            framing(&h),
            "frame-ancestors https://shop.example https://*.partner.example http://localhost:5173",
            "{path}"
        );
        assert!(h.get("x-frame-options").is_none(), "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    // Another shop's embed page, or no shop's, is framed by nobody.
    let h = headers_of("/embed/no-such-shop").await;
    assert_eq!(framing(&h), "frame-ancestors 'none'");
    // Every other page: the dashboard, the hosted portal, the login, the API.
    for path in [
        "/login",
        "/dashboard/customers",
        "/portal",
        "/portal/shop",
        "/api/v1/workspace",
        "/embed.js",
    ] {
        let h = headers_of(path).await;
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(framing(&h), "frame-ancestors 'none'", "{path}");
    }
    app.cleanup().await;
}

on_both_engines!(only_embed_pages_may_be_framed_and_only_by_the_shops_origins);
