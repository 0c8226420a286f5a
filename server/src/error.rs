//! The server's one error type, rendered in one place.
//!
//! The two partner endpoints answer failures with the contract's body
//! `{"code", "description", "errors"}`; the admin API answers `{"error", "message"}`. 5xx bodies
//! say nothing internal: the detail is logged once, with the request id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use txstate_core::{Code, Verdict};

/// The failure body of the partner endpoints, fields in the contract's order.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FailureBody<'a> {
    /// In-body code.
    pub code: u16,
    /// In-body description.
    pub description: &'a str,
    /// Every problem found.
    pub errors: &'a [WireFieldError],
}

/// A field error as the partner endpoints send it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WireFieldError {
    /// The field.
    pub field: String,
    /// Its code.
    pub code: u16,
    /// What is wrong.
    pub message: String,
}

/// Every way a request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// The verdict of validation, or of the stored state, says no.
    Rejected {
        /// HTTP status.
        status: u16,
        /// In-body code.
        code: Code,
        /// In-body description.
        description: String,
        /// Every problem found.
        errors: Vec<WireFieldError>,
    },
    /// 401 with 430 (no or wrong credentials for this resource) or 498 (unknown or expired).
    Unauthorized(Code),
    /// 405 with the allowed method.
    MethodNotAllowed(&'static str),
    /// 429 with the seconds to wait.
    Throttled {
        /// Seconds until a request would pass.
        retry_after_s: u64,
    },
    /// 500: the detail is logged, never sent.
    Internal(String),
    /// 404 in the partner shape: a path under the APIs' prefix that is neither API.
    NoSuchPath,
    /// Admin API: missing or wrong admin token.
    AdminUnauthorized,
    /// Admin API: too many failed admin-token attempts from this address; wait this long.
    AdminSlowDown {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// Admin API: no such resource.
    NotFound(String),
    /// Admin API: the request is malformed.
    BadRequest(String),
    /// Admin API: the request conflicts with the stored state.
    Conflict(String),
}

impl ApiError {
    /// The failure a verdict describes.
    pub fn from_verdict(v: &Verdict<'_>) -> ApiError {
        let code = v.code.unwrap_or(Code::InternalError);
        ApiError::Rejected {
            status: v.http_status,
            code,
            description: v.description.to_string(),
            errors: v
                .errors
                .iter()
                .map(|e| WireFieldError {
                    field: e.field.to_string(),
                    code: e.code.number(),
                    message: e.message.to_string(),
                })
                .collect(),
        }
    }

    /// An internal error from anything displayable (logged, not sent).
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }

    /// The in-body code for the request log (admin errors have none).
    pub fn code(&self) -> Option<Code> {
        match self {
            ApiError::Rejected { code, .. } => Some(*code),
            ApiError::Unauthorized(code) => Some(*code),
            ApiError::MethodNotAllowed(_) => Some(Code::MethodNotSupported),
            ApiError::Throttled { .. } => Some(Code::TooManyRequests),
            ApiError::Internal(_) => Some(Code::InternalError),
            ApiError::NoSuchPath => Some(Code::NoSuchPath),
            _ => None,
        }
    }
}

/// The challenge of a 401 (RFC 6750): the scheme to use, and `invalid_token` when a bearer
/// was sent and is unknown or expired (498).
fn bearer_challenge(code: Code) -> HeaderValue {
    if code == Code::InvalidToken {
        HeaderValue::from_static(r#"Bearer realm="txstate", error="invalid_token""#)
    } else {
        HeaderValue::from_static(r#"Bearer realm="txstate""#)
    }
}

fn contract_body<'a>(
    code: Code,
    description: &'a str,
    errors: &'a [WireFieldError],
) -> Json<FailureBody<'a>> {
    Json(FailureBody {
        code: code.number(),
        description,
        errors,
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Rejected {
                status,
                code,
                description,
                errors,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, contract_body(code, &description, &errors)).into_response()
            }
            ApiError::Unauthorized(code) => {
                let mut r = (
                    StatusCode::UNAUTHORIZED,
                    contract_body(code, code.description(), &[]),
                )
                    .into_response();
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, bearer_challenge(code));
                r
            }
            ApiError::MethodNotAllowed(allow) => {
                let code = Code::MethodNotSupported;
                let mut r = (
                    StatusCode::METHOD_NOT_ALLOWED,
                    contract_body(code, code.description(), &[]),
                )
                    .into_response();
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allow));
                r
            }
            ApiError::Throttled { retry_after_s } => {
                let code = Code::TooManyRequests;
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    contract_body(code, code.description(), &[]),
                )
                    .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s.max(1)));
                r
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                let code = Code::InternalError;
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    contract_body(code, code.description(), &[]),
                )
                    .into_response()
            }
            ApiError::NoSuchPath => {
                let code = Code::NoSuchPath;
                (
                    StatusCode::NOT_FOUND,
                    contract_body(code, code.description(), &[]),
                )
                    .into_response()
            }
            ApiError::AdminUnauthorized => {
                let mut r = admin(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "a valid admin token is required: authorization: Bearer <admin token>",
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    bearer_challenge(Code::AuthorizationFailed),
                );
                r
            }
            ApiError::AdminSlowDown { retry_after_s } => {
                let mut r = admin(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    &format!("too many wrong admin tokens from this address: try again in {retry_after_s} s"),
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s.max(1)));
                r
            }
            ApiError::NotFound(m) => admin(StatusCode::NOT_FOUND, "not_found", &m),
            ApiError::BadRequest(m) => admin(StatusCode::BAD_REQUEST, "bad_request", &m),
            ApiError::Conflict(m) => admin(StatusCode::CONFLICT, "conflict", &m),
        }
    }
}

/// The admin API's failure body.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AdminFailure<'a> {
    /// `unauthorized`, `too_many_attempts`, `not_found`, `bad_request` or `conflict`.
    pub error: &'a str,
    /// What is wrong, for a person.
    pub message: &'a str,
}

fn admin(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(AdminFailure { error, message })).into_response()
}

/// An error and its causes on one line (`outer: inner: innermost`): libraries' top-level
/// messages ("error performing TLS handshake", "error sending request") leave out the why.
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}
