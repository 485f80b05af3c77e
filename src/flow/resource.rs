//! Requests to resource servers with the access token: the authorized fetch
//! (`fetchWithAuth`, whose request the package entry sends) and userinfo. The request
//! decoration is here: `Bearer`, or `DPoP` with a proof bound to the token (`ath`).

use super::{access, dpop, Platform, Response};
use crate::config::Config;
use crate::error::Result;
use crate::session::TokenOptions;

/// What the first attempt of a request got, when the entry asks whether to try again.
pub(crate) struct Previous {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub dpop_nonce: Option<String>,
}

/// The headers that authorize one request.
pub(crate) struct Headers {
    pub authorization: String,
    /// The DPoP proof, for a DPoP token.
    pub dpop: Option<String>,
}

/// The headers for a request of `method` to `url` with `token`.
pub(crate) async fn headers<P: Platform>(
    p: &P,
    config: &Config,
    method: &str,
    url: &str,
    token: &str,
) -> Result<Headers> {
    let proof = match config.dpop {
        true => {
            // Signed with the pair of the session the token is from.
            let key = match super::sessions::load(p, config).await? {
                Some(s) => dpop::key_of(&s, config),
                None => return Err(crate::session::no_session()),
            };
            Some(dpop::proof(p, &key, method, url, Some(token)).await?)
        }
        false => None,
    };
    Ok(Headers {
        authorization: crate::resource::authorization(token, config.dpop),
        dpop: proof,
    })
}

/// The headers for the app's request of `method` to `url`, with an access token valid for
/// 30 more seconds (refreshed first when needed), after checking that the token may go there
/// (`resource::check_target`). With `previous`, the answer to the first attempt: `None` unless
/// it asks for a DPoP nonce (RFC 9449 9), which is then used once more.
pub(crate) async fn authorize_request<P: Platform>(
    p: &P,
    config: &Config,
    method: &str,
    url: &str,
    previous: Option<&Previous>,
) -> Result<Option<Headers>> {
    crate::resource::check_target(config, url, p.href().as_deref())?;
    if let Some(prev) = previous {
        dpop::remember_nonce(p, url, prev.dpop_nonce.as_deref()).await;
        let again = config.dpop
            && crate::dpop::resource_wants_nonce(
                prev.status,
                prev.www_authenticate.as_deref(),
                prev.dpop_nonce.as_deref(),
            );
        if !again {
            return Ok(None);
        }
    }
    let token = access::get_access_token(p, config, &TokenOptions::default()).await?;
    headers(p, config, method, url, &token).await.map(Some)
}

/// A GET of `url` with `token` (userinfo), sent once more with the server's DPoP nonce when
/// it asks for one.
pub(crate) async fn get<P: Platform>(
    p: &P,
    config: &Config,
    url: &str,
    token: &str,
) -> Result<Response> {
    let mut asked = false;
    loop {
        let h = headers(p, config, "GET", url, token).await?;
        let r = p
            .send(
                url,
                None,
                Some(&h.authorization),
                h.dpop.as_deref(),
                config.http_timeout_ms,
            )
            .await?;
        dpop::remember_nonce(p, url, r.dpop_nonce.as_deref()).await;
        let wants = config.dpop
            && crate::dpop::resource_wants_nonce(
                r.status,
                r.www_authenticate.as_deref(),
                r.dpop_nonce.as_deref(),
            );
        if asked || !wants {
            return Ok(r);
        }
        asked = true;
    }
}
