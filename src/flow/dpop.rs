//! DPoP in the flows (RFC 9449): the request decoration of every request to the
//! authorization server (`token_endpoint::send`) and of the authorized resource requests
//! (`resource`). What a proof says is `crate::dpop`'s; the key pair and the signature are the
//! platform's.

use super::Platform;
use crate::dpop::{self, Claims, PublicKey};
use crate::error::{Code, Error, Result};

/// The session's key is gone (site data cleared, another browser profile's session in
/// storage): its tokens cannot be used without it, so the user logs in again.
fn key_gone() -> Error {
    crate::session::login_required(t!(
        "The DPoP key of this session is gone (site data cleared?); log in again."
    ))
}

/// The name of the key pair `session` signs with: its login's, or for a session stored
/// before pairs were per login, the one kept under the session key.
pub(crate) fn key_of(session: &crate::session::Session, config: &crate::config::Config) -> String {
    session
        .dpop_key
        .clone()
        .unwrap_or_else(|| config.session_key())
}

/// A new key pair for a login; its public key.
pub(crate) async fn new_key<P: Platform>(p: &P, name: &str) -> Result<PublicKey> {
    match p.dpop_key(name, true).await? {
        Some((x, y)) => PublicKey::of(x, y),
        None => Err(key_gone()),
    }
}

/// RFC 9449 10: `dpop_jkt`, the thumbprint (RFC 7638) of the login's key, which binds the
/// authorization code to it.
pub(crate) async fn thumbprint<P: Platform>(p: &P, key: &PublicKey) -> Result<String> {
    let digest = p.sha256(key.jwk().as_bytes()).await?;
    Ok(crate::b64url::encode(&digest))
}

/// Where the last nonce of a server origin is kept for the origin's pages (RFC 9449 8, 9 let
/// a client use a nonce until the server refuses it). A page that starts without one sends
/// every first request twice (`use_dpop_nonce`, then again), and a refresh under the
/// cross-tab lock then takes two requests (review round 2, L13). A nonce is no secret: the
/// server hands it to anyone.
fn nonce_key(origin: &str) -> String {
    let mut key = String::from("spa-oauth:dpop-nonce?");
    key.push_str(origin);
    key
}

/// The nonce the server of `url` gave last: this page's, or another page's of the origin.
async fn nonce_for<P: Platform>(p: &P, url: &str) -> Option<String> {
    let origin = crate::url::split(url)?.origin;
    let mine = {
        let nonces = p.state().dpop_nonces.borrow();
        nonces
            .iter()
            .find(|(o, _)| o == origin)
            .map(|(_, n)| n.clone())
    };
    match mine {
        Some(n) => Some(n),
        None => p
            .get(super::Store::Local, &nonce_key(origin))
            .await
            .ok()
            .flatten()
            .filter(|n| dpop::is_nonce(n)),
    }
}

/// Remembers the `DPoP-Nonce` a server of `url` sent (with any answer: a server may rotate it
/// on success too), for this page and the origin's next ones.
pub(crate) async fn remember_nonce<P: Platform>(p: &P, url: &str, nonce: Option<&str>) {
    let (Some(parts), Some(n)) = (crate::url::split(url), nonce.filter(|n| dpop::is_nonce(n)))
    else {
        return;
    };
    {
        let mut nonces = p.state().dpop_nonces.borrow_mut();
        nonces.retain(|(o, _)| o != parts.origin);
        nonces.push((parts.origin.into(), n.into()));
    }
    // Best effort: without localStorage, the next page asks the server once more.
    let _ = p
        .set(super::Store::Local, &nonce_key(parts.origin), n)
        .await;
}

/// A proof for a request of `htm` to `url` with the session's key (`name`); `token`: the
/// access token it carries, for `ath`.
pub(crate) async fn proof<P: Platform>(
    p: &P,
    name: &str,
    htm: &str,
    url: &str,
    token: Option<&str>,
) -> Result<String> {
    let Some((x, y)) = p.dpop_key(name, false).await? else {
        return Err(key_gone());
    };
    let key = PublicKey::of(x, y)?;
    let Some(htu) = dpop::htu(url) else {
        return Err(Error::new(
            Code::InvalidConfig,
            t!("A DPoP proof needs an absolute http(s) URL."),
        ));
    };
    let ath = match token {
        Some(t) => Some(crate::b64url::encode(&p.sha256(t.as_bytes()).await?)),
        None => None,
    };
    let mut jti = [0u8; 18];
    p.random(&mut jti)?;
    let jti = crate::b64url::encode(&jti);
    let nonce = nonce_for(p, url).await;
    let input = dpop::signing_input(
        &key,
        &Claims {
            htm,
            htu,
            iat: super::clock::server_now(p).await,
            jti: &jti,
            nonce: nonce.as_deref(),
            ath: ath.as_deref(),
        },
    )?;
    match p.dpop_sign(name, &input).await? {
        Some(signature) => Ok(dpop::proof(&input, &signature)),
        None => Err(key_gone()),
    }
}
