//! GHL's error bodies (the spec's `BadRequestDTO`, `UnauthorizedDTO`, `UnprocessableDTO`),
//! produced from one enum so every route answers failures the same way.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::state::SimError;

/// The version every social planner operation declares.
pub(crate) const API_VERSION: &str = "2021-07-28";

/// A failed request, answered with GHL's status code and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    MissingVersion,
    BadVersion(String),
    InvalidToken,
    MissingScope,
    WrongLocation,
    /// An agency operation called with a sub-account token, or the other way round.
    WrongTokenKind(&'static str),
    /// Validation failures; GHL sends `message` as an array of sentences here.
    Unprocessable(Vec<String>),
    BadRequest(String),
    NotFound(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::MissingVersion | Self::BadVersion(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::InvalidToken | Self::MissingScope => StatusCode::UNAUTHORIZED,
            Self::WrongLocation | Self::WrongTokenKind(_) => StatusCode::FORBIDDEN,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
        }
    }

    fn body(&self) -> ErrorBody {
        let message = match self {
            Self::MissingVersion => json!("Version header was not found"),
            Self::BadVersion(version) => {
                json!(format!("Version header '{version}' is not supported; use '{API_VERSION}'"))
            }
            Self::InvalidToken => json!("Invalid token: access token is invalid"),
            Self::MissingScope => json!("The token is not authorized for this scope."),
            Self::WrongLocation => json!("The token does not have access to this location."),
            Self::WrongTokenKind("company") => {
                json!("This route is not available to agency tokens; use a sub-account token.")
            }
            Self::WrongTokenKind(_) => json!("This route needs an agency token."),
            Self::Unprocessable(messages) => json!(messages),
            Self::BadRequest(message) | Self::NotFound(message) => json!(message),
        };
        let error = match self {
            Self::InvalidToken | Self::MissingScope => Some("Unauthorized"),
            Self::Unprocessable(_) => Some("Unprocessable Entity"),
            _ => None,
        };
        ErrorBody { status_code: self.status().as_u16(), message, error }
    }
}

/// Fields in the order GHL's NestJS sends them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    status_code: u16,
    /// A string, or an array of strings for 422s.
    message: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.body())).into_response()
    }
}

impl From<SimError> for ApiError {
    fn from(err: SimError) -> Self {
        match err {
            SimError::TagNotFound { .. } => Self::NotFound(err.to_string()),
            SimError::InvalidSetting { reason } => Self::Unprocessable(vec![reason]),
        }
    }
}
