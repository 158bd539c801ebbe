//! The REST API under `/api/v1`: one module per resource, each handler thin.

pub mod auth;
pub mod bans;
pub mod checkouts;
pub mod code_samples;
pub mod customers;
pub mod entitlements;
pub mod erasure;
pub mod error;
pub mod idempotency;
pub mod ids;
pub mod imports;
pub mod json;
pub mod list;
pub mod merges;
pub mod openapi;
pub mod orders;
pub mod payment_details;
pub mod portal;
pub mod products;
pub mod segments;
pub mod subscriptions;
pub mod webhooks;
pub mod workspace;

use std::sync::Arc;

use std::collections::HashMap;

use axum::extract::{MatchedPath, OriginalUri, Request};
use axum::http::header::ALLOW;
use axum::http::{HeaderValue, Method};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use error::ApiError;

/// Every `/api/v1` route and the OpenAPI document describing them.
pub fn router(state: &AppState) -> Router<AppState> {
    let (resources, doc) = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(
            customers::list_customers,
            customers::create_customer
        ))
        .routes(routes!(customers::export_customers))
        .routes(routes!(customers::get_customer, customers::update_customer))
        .routes(routes!(customers::archive_customer))
        .routes(routes!(customers::unarchive_customer))
        .routes(routes!(customers::export_customer_data))
        .routes(routes!(erasure::erase_customer))
        .routes(routes!(merges::merge_customer))
        .routes(routes!(merges::get_merge))
        .routes(routes!(merges::undo_merge))
        .routes(routes!(erasure::list_erasure_requests))
        .routes(routes!(imports::create_import))
        .routes(routes!(imports::get_import))
        .routes(routes!(imports::import_report))
        .routes(routes!(payment_details::get_customer_stats))
        .routes(routes!(products::list_products, products::create_product))
        .routes(routes!(products::get_product))
        .routes(routes!(products::archive_product))
        .routes(routes!(checkouts::create_checkout))
        .routes(routes!(orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::refund_order, orders::list_refunds))
        .routes(routes!(orders::list_provider_events))
        .routes(routes!(orders::open_dispute, orders::list_disputes))
        .routes(routes!(orders::close_dispute))
        .routes(routes!(orders::request_repayment))
        .routes(routes!(orders::pay_order))
        .routes(routes!(subscriptions::list_subscriptions))
        .routes(routes!(subscriptions::get_subscription))
        .routes(routes!(subscriptions::list_invoices))
        .routes(routes!(subscriptions::cancel_subscription))
        .routes(routes!(subscriptions::revoke_subscription))
        .routes(routes!(subscriptions::recover_subscription))
        .routes(routes!(
            entitlements::list_entitlements,
            entitlements::grant_entitlement
        ))
        .routes(routes!(entitlements::get_entitlement))
        .routes(routes!(entitlements::revoke_entitlement))
        .routes(routes!(entitlements::link_discord))
        .routes(routes!(entitlements::reveal_license_key))
        .routes(routes!(entitlements::create_download_link))
        .routes(routes!(entitlements::pending_commands))
        .routes(routes!(entitlements::report_command))
        .routes(routes!(payment_details::list_payment_details))
        .routes(routes!(payment_details::block_all_payment_details))
        .routes(routes!(payment_details::unblock_all_payment_details))
        .routes(routes!(payment_details::block_payment_detail))
        .routes(routes!(payment_details::unblock_payment_detail))
        .routes(routes!(payment_details::payment_detail_log))
        .routes(routes!(bans::list_bans, bans::create_ban))
        .routes(routes!(bans::preview_ban))
        .routes(routes!(bans::get_ban, bans::update_ban))
        .routes(routes!(bans::lift_ban))
        .routes(routes!(portal::create_customer_session))
        .routes(routes!(
            workspace::get_workspace,
            workspace::update_workspace
        ))
        .routes(routes!(segments::list_segments, segments::create_segment))
        .routes(routes!(
            segments::get_segment,
            segments::update_segment,
            segments::delete_segment
        ))
        .routes(routes!(
            segments::list_bulk_actions,
            segments::create_bulk_action
        ))
        .routes(routes!(segments::preview_bulk_action))
        .routes(routes!(segments::get_bulk_action))
        .routes(routes!(segments::cancel_bulk_action))
        .routes(routes!(segments::bulk_action_items))
        .routes(routes!(webhooks::list_endpoints, webhooks::create_endpoint))
        .routes(routes!(
            webhooks::get_endpoint,
            webhooks::update_endpoint,
            webhooks::delete_endpoint
        ))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::resend_failed))
        .routes(routes!(webhooks::get_delivery))
        .routes(routes!(webhooks::resend))
        // Innermost first: authentication runs before idempotency, which needs the workspace.
        .route_layer(from_fn_with_state(state.clone(), idempotency::idempotent))
        .route_layer(from_fn_with_state(state.clone(), auth::require_api_key))
        .split_for_parts();
    let mut doc = doc;
    openapi::add_common_errors(&mut doc);
    let methods = Arc::new(Methods::of(&doc));
    // Serialising plain data cannot fail; were it to, the document says so rather than lie.
    let mut doc = serde_json::to_value(&doc).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document cannot be written as JSON");
        serde_json::json!({"error": "the OpenAPI document cannot be written"})
    });
    openapi::add_text_rules(&mut doc);
    code_samples::add_code_samples(&mut doc);
    let doc = Arc::new(doc);
    resources
        // Outermost: a method the route lacks is a 405 before any key or body is looked at.
        .route_layer(axum::middleware::from_fn(move |req, next| {
            let methods = Arc::clone(&methods);
            async move { methods.check(req, next).await }
        }))
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(route_not_found)
}

/// The methods each route has, as the OpenAPI document lists them.
struct Methods(HashMap<String, Vec<Method>>);

impl Methods {
    fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc.paths.paths.iter().map(|(path, item)| {
            let methods = [
                (item.get.is_some(), Method::GET),
                (item.post.is_some(), Method::POST),
                (item.patch.is_some(), Method::PATCH),
                (item.put.is_some(), Method::PUT),
                (item.delete.is_some(), Method::DELETE),
            ];
            let has = methods.into_iter().filter(|(has, _)| *has).map(|(_, m)| m);
            (path.clone(), has.collect())
        });
        Self(routes.collect())
    }

    /// Answers 405 with `Allow` when the matched route lacks the request's method; `HEAD` is
    /// served wherever `GET` is.
    async fn check(&self, req: Request, next: Next) -> Response {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().strip_prefix("/api/v1").unwrap_or(p.as_str()));
        let Some(allowed) = route.and_then(|r| self.0.get(r)) else {
            return next.run(req).await;
        };
        let method = req.method();
        let served =
            allowed.contains(method) || (method == Method::HEAD && allowed.contains(&Method::GET));
        if served {
            return next.run(req).await;
        }
        let allow = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let mut res =
            ApiError::method_not_allowed(method, req.uri().path(), &allow).into_response();
        if let Ok(v) = HeaderValue::from_str(&allow) {
            res.headers_mut().insert(ALLOW, v);
        }
        res
    }
}

async fn route_not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::route_not_found(&method, uri.path())
}
