//! `ApiJson`: a JSON body whose errors name the offending field in the REST error envelope.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// Most bytes a request body may have.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::body_invalid(
                "send the body as JSON with Content-Type: application/json",
                None,
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::body_invalid(&e.body_text(), None))?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses `bytes`, reporting the path of the first bad field (`metadata.plan`, `email`).
///
/// No text in a request may hold a control character (NUL, a line break, DEL...), in a key or
/// a value: nothing Patron stores or passes on needs one, and PostgreSQL cannot store NUL. The
/// one exception is a line break in a field of [`MULTI_LINE`] (a postal address).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::body_invalid(&e.to_string(), None))?;
    whole_numbers_as_integers(&mut value);
    if let Some(param) = control_character_in(&value, &mut String::new()) {
        return Err(ApiError::body_invalid(
            "text must not contain control characters",
            Some(param),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        // An unknown field is reported at its parent: name the field itself.
        let param = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
            .or_else(|| Some(e.path().to_string()).filter(|p| p != "."));
        ApiError::body_invalid(&message, param)
    })
}

/// `1500.0` is the number `1500`, as JSON has it: written as an integer, so that fields of
/// whole numbers (amounts in minor units, versions) take it.
fn whole_numbers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Exact: |f| < 2^53, so the conversion loses nothing.
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *v = Value::from(whole);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// The fields whose text is written in lines: there, and only there, a line break (`\n`, or
/// `\r\n`) is no control character to refuse.
pub const MULTI_LINE: &[&str] = &["legal_address"];

/// Whether the value at `path` may break lines: a top-level field of [`MULTI_LINE`] alone, never
/// a metadata key or a nested field that happens to share its name.
fn may_break_lines(path: &str) -> bool {
    MULTI_LINE.contains(&path)
}

/// The path (`metadata.plan`, `identities[0].value`) of the first text in `v` that holds a
/// control character, as a key or a value.
fn control_character_in(v: &Value, path: &mut String) -> Option<String> {
    let bad = |s: &str| s.chars().any(char::is_control);
    match v {
        Value::String(s) if may_break_lines(path.as_str()) => s
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
            .then(|| path.clone()),
        Value::String(s) => bad(s).then(|| path.clone()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = control_character_in(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = if bad(key) {
                Some(path.clone())
            } else {
                control_character_in(item, path)
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Query parameters of type `T`, whose errors use the REST envelope.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let pairs = url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes());
        for (name, value) in pairs {
            if value.is_empty() {
                return Err(ApiError::new(
                    app::types::ErrorCode::ParameterInvalid,
                    format!("{name}: must not be empty (leave the parameter out instead)"),
                )
                .with_param(name));
            }
            if name.chars().chain(value.chars()).any(char::is_control) {
                return Err(ApiError::new(
                    app::types::ErrorCode::ParameterInvalid,
                    format!("{name}: must not contain control characters"),
                )
                .with_param(name));
            }
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::query_invalid(&e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Body {
        name: Option<String>,
        legal_address: Option<String>,
    }

    #[test]
    fn only_an_address_may_break_lines() {
        let body =
            parse::<Body>(br#"{"name": "Shop", "legal_address": "1 Harbour Street\r\nBristol"}"#)
                .unwrap();
        assert_eq!(body.name.as_deref(), Some("Shop"));
        assert_eq!(
            body.legal_address.as_deref(),
            Some("1 Harbour Street\r\nBristol")
        );
        for bad in [
            r#"{"name": "Two\nlines"}"#,
            r#"{"legal_address": "A tab\there"}"#,
            r#"{"legal_address": "NUL\u0000"}"#,
            r#"{"metadata": {"legal_address": "Two\nlines"}}"#,
        ] {
            assert!(parse::<Body>(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
