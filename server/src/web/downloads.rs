//! `GET /downloads/{token}`: a signed download link. The file is fetched from where the
//! merchant keeps it ([`crate::adapters::files`]) and streamed while the link and the
//! entitlement hold; its own address is never handed out.

use app::domain::entitlements::resolve_download;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::api::error::ApiError;
use crate::state::AppState;

/// A signed download link: streams the file while the link and the entitlement hold (its
/// own address is never handed out).
pub async fn download(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let target = resolve_download(&state.services, &token).await?;
    state.files.stream(&target).await
}
