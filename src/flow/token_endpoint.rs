//! The token endpoint: the one place both grants (RFC 6749 4.1.3 and 6), the revocation
//! (RFC 7009) and the pushed authorization request (RFC 9126) are sent, so that what every
//! such request needs is added once: the request decoration, a DPoP proof (RFC 9449 5, 10.1)
//! with the server's nonce. The token answers are read by one function too
//! (`token::parse_response`).

use super::{dpop, Platform, Response};
use crate::config::Config;
use crate::error::Result;
use crate::token::{self, TokenResponse};

/// POSTs `body` to `endpoint`. With DPoP, with a proof signed by the key pair `key` (the
/// login's, or the session's), sent once more with the server's nonce when it asks for one
/// (RFC 9449 8).
pub(crate) async fn send<P: Platform>(
    p: &P,
    config: &Config,
    endpoint: &str,
    body: &str,
    key: &str,
) -> Result<Response> {
    let timeout = config.http_timeout_ms;
    if !config.dpop {
        let r = p.send(endpoint, Some(body), None, None, timeout).await?;
        super::clock::from_date(p, r.date.as_deref()).await;
        return Ok(r);
    }
    let mut asked = false;
    loop {
        let proof = dpop::proof(p, key, "POST", endpoint, None).await?;
        let r = p
            .send(endpoint, Some(body), None, Some(&proof), timeout)
            .await?;
        dpop::remember_nonce(p, endpoint, r.dpop_nonce.as_deref()).await;
        let offset = super::clock::offset(p).await;
        super::clock::from_date(p, r.date.as_deref()).await;
        let error = crate::response::http_error::<P::Json>(r.status, &r.body);
        let wants = r.status == 400
            && (crate::dpop::token_endpoint_wants_nonce(&error, r.dpop_nonce.as_deref())
                // A proof refused for its time (this device's clock is off) whose answer
                // taught the server's time: sent again on it (issue 26, 3).
                || (error.error.as_deref() == Some("invalid_dpop_proof")
                    && super::clock::offset(p).await != offset));
        if asked || !wants {
            return Ok(r);
        }
        asked = true;
    }
}

/// Sends a grant and reads its token response: a DPoP token when the config asks for DPoP,
/// a Bearer token otherwise.
pub(crate) async fn tokens<P: Platform>(
    p: &P,
    config: &Config,
    endpoint: &str,
    body: &str,
    key: &str,
) -> Result<TokenResponse> {
    let r = send(p, config, endpoint, body, key).await?;
    token::parse_response::<P::Json>(r.status, &r.body, config.dpop)
}
