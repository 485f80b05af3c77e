//! The token endpoint: the one place both grants (RFC 6749 4.1.3 and 6) are sent, so that
//! what every token request needs (a DPoP proof, issue 17) is added once. Their answers are
//! read by one function too (`token::parse_response`). Not an `async fn`: it hands back the
//! platform's own future (a wrapper state machine costs the wasm 85 B).

use super::{Platform, Response};
use crate::error::Result;
use std::future::Future;

/// Sends a grant's `body` to `endpoint`.
pub(crate) fn send<'a, P: Platform>(
    p: &'a P,
    endpoint: &'a str,
    body: &'a str,
    timeout_ms: u32,
) -> impl Future<Output = Result<Response>> + 'a {
    p.send(endpoint, Some(body), None, timeout_ms)
}
