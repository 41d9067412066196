//! `POST /oauth/token` (spec: apps/oauth.json `get-access-token`): no `Version` header, no
//! bearer token; the client authenticates with `client_id`/`client_secret` in the body.
//!
//! The body is `application/x-www-form-urlencoded` as documented; a JSON object is read too,
//! as GHL's NestJS parses both. Checks run in this order: body validation (422, class-validator
//! wording, as the spec's `UnprocessableDTO`), client credentials (401 `invalid_client`), then
//! the grant (400). GHL's documented answers: `Invalid grant: refresh token is invalid`, and
//! the NestJS 400 `Location is not active`. Invented (GHL documents no wording): the
//! `invalid_client` and `unsupported_grant_type` descriptions and
//! `Invalid grant: authorization code is invalid`, shaped like the refresh one.
//! `redirect_uri` is accepted and not compared (GHL documents no check); `user_type` must be
//! `Location` or `Company` when given, and the tokens are always `Location` tokens.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::GrantError;
use crate::errors::ApiError;
use crate::input::Query;
use crate::state::Sim;

const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];
const USER_TYPES: &[&str] = &["Company", "Location"];

/// The body's fields; each `None` when absent.
#[derive(Debug, Default)]
struct TokenForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    code: Option<String>,
    refresh_token: Option<String>,
    user_type: Option<String>,
}

/// Where the fields come from: a form (the documented encoding) or a JSON object.
enum Body {
    Form(Query),
    Json(Value),
}

impl Body {
    fn read(headers: &HeaderMap, bytes: &[u8]) -> Self {
        let content_type = headers.get(header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()));
        if content_type.is_some_and(|t| t.to_ascii_lowercase().contains("json")) {
            Self::Json(serde_json::from_slice(bytes).unwrap_or(Value::Null))
        } else {
            Self::Form(Query::parse(Some(&String::from_utf8_lossy(bytes))))
        }
    }

    /// A string field; one that is repeated or not a string adds a 422 message.
    fn field(&self, name: &str, errors: &mut Vec<String>) -> Option<String> {
        let value = match self {
            Self::Form(query) => query.single(name).map(|v| v.map(str::to_owned)),
            Self::Json(json) => match json.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(_) => Err(()),
            },
        };
        value.unwrap_or_else(|()| {
            errors.push(format!("{name} must be a string"));
            None
        })
    }
}

impl TokenForm {
    /// Reads and validates the body; anything wrong is one 422 listing every problem.
    fn parse(headers: &HeaderMap, bytes: &[u8]) -> Result<Self, ApiError> {
        let body = Body::read(headers, bytes);
        let mut errors = Vec::new();
        let form = Self {
            client_id: body.field("client_id", &mut errors),
            client_secret: body.field("client_secret", &mut errors),
            grant_type: body.field("grant_type", &mut errors),
            code: body.field("code", &mut errors),
            refresh_token: body.field("refresh_token", &mut errors),
            user_type: body.field("user_type", &mut errors),
        };
        form.validate(errors)
    }

    fn validate(self, mut errors: Vec<String>) -> Result<Self, ApiError> {
        for (name, value) in
            [("client_id", &self.client_id), ("client_secret", &self.client_secret), ("grant_type", &self.grant_type)]
        {
            if value.as_deref().is_none_or(str::is_empty) {
                errors.push(format!("{name} should not be empty"));
            }
        }
        let one_of = |name: &str, allowed: &[&str]| {
            format!("{name} must be one of the following values: {}", allowed.join(", "))
        };
        if let Some(grant) = self.grant_type.as_deref().filter(|g| !g.is_empty() && !GRANT_TYPES.contains(g)) {
            errors.push(format!("{} (got {grant})", one_of("grant_type", GRANT_TYPES)));
        }
        if self.user_type.as_deref().is_some_and(|u| !USER_TYPES.contains(&u)) {
            errors.push(one_of("user_type", USER_TYPES));
        }
        let needs = |grant: &str, field: &Option<String>| {
            self.grant_type.as_deref() == Some(grant) && field.as_deref().is_none_or(str::is_empty)
        };
        if needs("authorization_code", &self.code) {
            errors.push("code should not be empty".to_owned());
        }
        if needs("refresh_token", &self.refresh_token) {
            errors.push("refresh_token should not be empty".to_owned());
        }
        if errors.is_empty() { Ok(self) } else { Err(ApiError::Unprocessable(errors)) }
    }
}

/// The handler: validate, then run the grant.
pub(crate) async fn token(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match TokenForm::parse(&headers, &body) {
        Ok(form) => form,
        Err(err) => return err.into_response(),
    };
    let client_id = form.client_id.as_deref().unwrap_or_default();
    let secret = form.client_secret.as_deref().unwrap_or_default();
    let result = match form.grant_type.as_deref() {
        Some("authorization_code") => {
            sim.count_code_exchange();
            sim.exchange_code(client_id, secret, form.code.as_deref().unwrap_or_default())
        }
        Some("refresh_token") => {
            sim.count_refresh_call();
            sim.refresh(client_id, secret, form.refresh_token.as_deref().unwrap_or_default())
        }
        other => return unsupported_grant_type(other.unwrap_or_default()),
    };
    match result {
        Ok(tokens) => (StatusCode::OK, Json(tokens)).into_response(),
        Err(err) => grant_error(err),
    }
}

/// RFC 6749 §5.2 error bodies, which GHL's token endpoint uses for grant failures.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

fn grant_error(err: GrantError) -> Response {
    match err {
        GrantError::InvalidClient => {
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client: client credentials are invalid")
        }
        GrantError::InvalidCode => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid grant: authorization code is invalid")
        }
        GrantError::InvalidRefreshToken => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid grant: refresh token is invalid")
        }
        GrantError::LocationInactive => {
            let body = json!({"statusCode": 400, "message": "Location is not active", "error": "Bad Request"});
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

/// `client_credentials` is in the spec's enum, but the simulator (like the connector) only
/// does the authorization-code flow.
fn unsupported_grant_type(grant: &str) -> Response {
    let description = format!("Unsupported grant type: {grant}");
    oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", &description)
}
