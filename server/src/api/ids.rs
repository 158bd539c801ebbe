//! Ids in paths: a malformed one cannot name anything, so it is a 404 like any unknown id.

use std::str::FromStr;

use super::error::ApiError;

/// Parses a path id, answering 404 naming `what` when it is malformed.
pub fn path_id<T: FromStr>(raw: &str, what: &'static str) -> Result<T, ApiError> {
    Ok(app::domain::paging::id(raw, what)?)
}
