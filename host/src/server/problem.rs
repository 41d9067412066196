//! Errors as `application/problem+json` (RFC 9457) with stable codes a
//! client can switch on, and a sentence a builder can act on.

use crate::CallError;
use crate::connections::ConnectionError;
use crate::error::ErrorCode;
use crate::store::StoreError;
use crate::subscriptions::SubscriptionError;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// A problem, boxed so results carrying one stay small.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem(Box<ProblemBody>);

impl utoipa::PartialSchema for Problem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ProblemBody as utoipa::PartialSchema>::schema()
    }
}

impl ToSchema for Problem {
    fn name() -> std::borrow::Cow<'static, str> {
        "Problem".into()
    }
}

/// What went wrong and what to do (RFC 9457).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(super) struct ProblemBody {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What happened and what to do, in a sentence.
    pub detail: String,
    /// A stable code: `invalid-input`, `missing-scope`, `reconnect-required`,
    /// `rate-limited`, `not-found`, `unauthorized`, `conflict`, `malformed-json`, …
    pub code: ErrorCode,
    /// The input field to blame, as a JSON pointer, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    /// A problem with this status and code.
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Problem {
        Problem(Box::new(ProblemBody {
            kind: format!("https://weft.dev/problems/{}", code.as_str()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code,
            field: None,
        }))
    }

    /// What happened and what to do.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// Its stable code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// The input field to blame, when there is one (a JSON pointer).
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// Names the input field to blame, when there is one.
    pub fn with_field(mut self, field: Option<String>) -> Problem {
        self.0.field = field;
        self
    }

    /// A 404 with `code` `not-found`; `what` says what was not found.
    pub fn not_found(what: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, what)
    }

    /// A 422 with `code` `invalid-input`.
    pub fn invalid(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(*self.0)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
        response
    }
}

impl From<CallError> for Problem {
    fn from(e: CallError) -> Problem {
        use crate::ConnectorFailure as F;
        let code = e.code();
        let status = match &e {
            CallError::InvalidInput(_) | CallError::Connector(F::InvalidInput { .. }) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            CallError::UnknownKey(_) | CallError::Connector(F::NotFound(_)) => StatusCode::NOT_FOUND,
            CallError::Connector(F::Unauthorized(_)) | CallError::ReconnectRequired(_) => StatusCode::CONFLICT,
            CallError::Connector(F::Forbidden { .. }) | CallError::EgressDenied(_) => StatusCode::FORBIDDEN,
            CallError::Connector(F::RateLimited { .. }) => StatusCode::TOO_MANY_REQUESTS,
            CallError::Connector(F::Transient(_))
            | CallError::LimitExceeded {
                limit: crate::limits::Limit::CallTimeout | crate::limits::Limit::RequestTimeout,
                ..
            } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_GATEWAY,
        };
        let field = match &e {
            CallError::InvalidInput(problems) => problems.first().map(|p| p.field.clone()),
            CallError::Connector(F::InvalidInput { field, .. }) => field.clone(),
            _ => None,
        };
        Problem::new(status, code, e.to_string()).with_field(field)
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::Conflict(what) => Problem::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                format!("{what} already exists; choose another name"),
            ),
            other => {
                tracing::error!("store error: {other}");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the server's database failed; try again",
                )
            }
        }
    }
}

impl From<ConnectionError> for Problem {
    fn from(e: ConnectionError) -> Problem {
        match e {
            ConnectionError::NotFound(name) => Problem::not_found(format!("no connection named `{name}`")),
            ConnectionError::Store(s) => s.into(),
            ConnectionError::Invalid(m) => Problem::invalid(m),
            ConnectionError::OAuth(m) => Problem::new(StatusCode::BAD_REQUEST, ErrorCode::OauthFailed, m),
            other => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, other.to_string()),
        }
    }
}

impl From<crate::mapping::MappingError> for Problem {
    /// A mapping's fault is the builder's to fix, so it names `/mapping`;
    /// only the host failing to run it is the server's.
    fn from(e: crate::mapping::MappingError) -> Problem {
        use crate::mapping::MappingError as M;
        let field = Some("/mapping".to_string());
        match e {
            M::OnSample(inner) if matches!(*inner, M::Host(_)) => (*inner).into(),
            e @ (M::Limit(_) | M::OnSample(_)) if e.is_limit() => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::LimitExceeded, e.to_string())
                    .with_field(field)
            }
            e @ M::Host(_) => {
                tracing::error!("mapping: {e}");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, e.to_string())
            }
            e => Problem::invalid(e.to_string()).with_field(field),
        }
    }
}

impl From<SubscriptionError> for Problem {
    fn from(e: SubscriptionError) -> Problem {
        match e {
            SubscriptionError::Invalid(m) => Problem::invalid(m),
            e @ SubscriptionError::Destination(_) => {
                Problem::invalid(e.to_string()).with_field(Some("/destination".into()))
            }
            SubscriptionError::Mapping(m) => m.into(),
            e @ SubscriptionError::DestinationSchema(_) => {
                Problem::invalid(e.to_string()).with_field(Some("/destinationSchema".into()))
            }
            SubscriptionError::NotFound(n) => Problem::not_found(format!("no subscription named `{n}`")),
            SubscriptionError::Store(s) => s.into(),
        }
    }
}

/// A JSON body whose rejections are problems: malformed JSON is a 400
/// naming where it broke, a body of the wrong shape a 422 naming the field.
pub(super) struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        // Every body the API takes is one JSON object; serde alone would also
        // read a struct from an array of its fields in order.
        match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(value)) if !value.is_object() => {
                Err(Problem::invalid("the body must be one JSON object, e.g. `{\"name\": …}`"))
            }
            Ok(Json(value)) => serde_json::from_value::<T>(value)
                .map(ApiJson)
                .map_err(|e| Problem::invalid(format!("the body is not valid: {e}"))),
            Err(JsonRejection::JsonDataError(e)) => Err(Problem::invalid(e.body_text())),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::MalformedJson,
                "send the body as JSON with `Content-Type: application/json`",
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the request body is larger than the {} bytes the API reads", super::MAX_BODY_BYTES),
            )),
            Err(e) => Err(Problem::new(StatusCode::BAD_REQUEST, ErrorCode::MalformedJson, e.body_text())),
        }
    }
}

/// Query parameters whose rejections are problems: a value of the wrong
/// type or out of its set is a 422 naming what was wrong.
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(e) => Err(Problem::invalid(format!("a query parameter is not valid: {}", e.body_text()))),
        }
    }
}
