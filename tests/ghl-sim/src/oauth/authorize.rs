//! `GET /oauth/chooselocation` (also under `/v2/`, GHL's real path): the authorize page.
//!
//! On GHL a user picks a location and consents, and the browser is redirected to the app's
//! `redirect_uri` with `?code=…`. The simulator plays that user: it grants the location of
//! the last consent registered (`POST /_sim/oauth/consent`) the scopes asked for and answers
//! the `302` at once. `state` is echoed when given (GHL documents no `state`; clients that
//! send it should check it when it comes back). Bad requests are GHL-shaped 400s; their
//! wording is invented, since GHL shows an HTML page.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;
use crate::input::Query;
use crate::state::Sim;

pub(crate) async fn choose_location(State(sim): State<Sim>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let param = |name: &str| match query.single(name) {
        Ok(value) => Ok(value.filter(|v| !v.is_empty())),
        Err(()) => Err(bad(format!("{name} must be given once"))),
    };
    if param("response_type")? != Some("code") {
        return Err(bad("response_type must be code".to_owned()));
    }
    let client_id = param("client_id")?.ok_or_else(|| bad("client_id is required".to_owned()))?;
    let app = sim.oauth_app(client_id).ok_or_else(|| bad(format!("Invalid client_id: {client_id}")))?;
    let redirect_uri = match (param("redirect_uri")?, app.redirect_uri.as_deref()) {
        (Some(given), Some(registered)) if given != registered => {
            return Err(bad("redirect_uri does not match the app's redirect URI".to_owned()));
        }
        (Some(uri), _) | (None, Some(uri)) => uri,
        (None, None) => return Err(bad("redirect_uri is required".to_owned())),
    };
    let mut target =
        url::Url::parse(redirect_uri).map_err(|_| bad("redirect_uri must be an absolute URL".to_owned()))?;
    let consent = sim.last_consent().ok_or_else(|| {
        bad("No location to choose: register a consent with POST /_sim/oauth/consent first".to_owned())
    })?;
    let scopes = param("scope")?.unwrap_or_default().split_whitespace();
    let code = sim.issue_code_for(client_id, consent, scopes);

    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = param("state")? {
        target.query_pairs_mut().append_pair("state", state);
    }
    let location = HeaderValue::from_str(target.as_str()).map_err(|_| bad("redirect_uri is not valid".to_owned()))?;
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

fn bad(message: String) -> ApiError {
    ApiError::BadRequest(message)
}
