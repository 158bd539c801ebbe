//! Ids in paths: a malformed one cannot name anything, so it is a 404 like any unknown id.

use std::str::FromStr;

use app::types::{
    BanId, CustomerId, CustomerImportId, EntitlementId, MergeId, OrderId, PaymentDetailId,
    ProductId, SubscriptionId,
};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Parses a path id, answering 404 naming `what` when it is malformed.
pub fn path_id<T: FromStr>(raw: &str, what: &'static str) -> Result<T, ApiError> {
    Ok(app::domain::paging::id(raw, what)?)
}

/// An id kind a path can hold, with the word its 404 names it by.
pub trait PathIdKind: FromStr {
    /// The `customer` of "No such customer."
    const WHAT: &'static str;
}

/// The path's `{id}`, parsed: a malformed one answers 404 naming its kind.
///
/// It is read where it stands among the extractors; a handler that also reads a body or a
/// query reads the text with `Path<String>` and parses it with [`path_id`] after them, so that
/// their errors come first.
#[derive(Debug)]
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: PathIdKind> FromRequestParts<S> for PathId<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        path_id(&raw, T::WHAT)
            .map(PathId)
            .map_err(IntoResponse::into_response)
    }
}

/// Implements [`PathIdKind`] for each id kind a path holds, with its word.
macro_rules! path_id_kinds {
    ($($kind:ty => $what:literal),* $(,)?) => {
        $(impl PathIdKind for $kind {
            const WHAT: &'static str = $what;
        })*
    };
}

path_id_kinds! {
    BanId => "ban",
    CustomerId => "customer",
    CustomerImportId => "customer import",
    EntitlementId => "entitlement",
    MergeId => "merge",
    OrderId => "order",
    PaymentDetailId => "payment detail",
    ProductId => "product",
    SubscriptionId => "subscription",
}
