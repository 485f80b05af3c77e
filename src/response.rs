//! Reading a server's HTTP response (token endpoint, discovery, JWK Set, userinfo,
//! revocation): a JSON object of a 2xx answer, the error a non-2xx answer means (RFC 6749
//! 5.2 error objects, or the status), and the size cut.

use crate::error::{Code, Error, Result};
use crate::json::{self, Json};

/// The largest response body spa-oauth reads: no token response or metadata document comes
/// near it, and a larger one is a misbehaving or hostile server.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// `invalid_response` with the HTTP status.
pub(crate) fn invalid(description: &'static str, status: u16) -> Error {
    Error::new(Code::InvalidResponse, description).with_status(status)
}

/// What a response whose body is over `MAX_BODY_BYTES` is: for a 2xx, `invalid_response`
/// (no token response or document is that large); otherwise the server's failure, as for an
/// error page that is not JSON. The shell stops reading at the limit and asks this.
pub(crate) fn oversized(status: u16) -> Error {
    if (200..300).contains(&status) {
        invalid(t!("The response body is larger than 1 MB."), status)
    } else {
        Error::code(Code::ServerError).with_status(status)
    }
}

/// Reads a JSON object body of a 2xx response. Anything else is the error the server meant,
/// or `invalid_response`.
pub(crate) fn json_body<J: Json>(status: u16, body: &str) -> Result<J> {
    if !(200..300).contains(&status) {
        return Err(http_error::<J>(status, body));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(oversized(status));
    }
    match J::parse(body) {
        Some(v) if v.is_object() => Ok(v),
        _ => Err(invalid(t!("The response is not a JSON object."), status)),
    }
}

/// Reads a JSON object body of a 2xx answer from an OAuth endpoint that answers with error
/// objects (token, pushed authorization requests). Some servers answer a refusal with a 2xx
/// and an error object instead of a 400 (RFC 6749 5.2): its `error` is what the server meant,
/// reported as such, never read as a malformed success.
pub(crate) fn oauth_body<J: Json>(status: u16, body: &str) -> Result<J> {
    let v: J = json_body(status, body)?;
    match server_error(&v, status) {
        Some(e) => Err(e),
        None => Ok(v),
    }
}

/// The error for a non-2xx response. A 4xx with a JSON `{"error": ...}` body (RFC 6749 5.2)
/// is the server's own code; a 5xx, or an answer that is not such JSON (an HTML error page,
/// a proxy's message), is `server_error` with the status.
pub(crate) fn http_error<J: Json>(status: u16, body: &str) -> Error {
    if (400..500).contains(&status) && body.len() <= MAX_BODY_BYTES {
        if let Some(e) = J::parse(body).and_then(|v| server_error(&v, status)) {
            return e;
        }
    }
    Error::code(Code::ServerError).with_status(status)
}

/// The server's own error, when `v` is an RFC 6749 5.2 error object.
pub(crate) fn server_error<J: Json>(v: &J, status: u16) -> Option<Error> {
    let error = json::string(v, "error").ok()?;
    let description = json::opt_string(v, "error_description").ok().flatten();
    let uri = json::opt_string(v, "error_uri").ok().flatten();
    Error::from_server(error, description, uri).map(|e| e.with_status(status))
}
