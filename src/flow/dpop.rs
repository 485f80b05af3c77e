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

/// A new key pair for a login, replacing the one before it; its public key.
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

/// The nonce the server of `url` gave last (RFC 9449 8, 9: kept per origin, in this page).
fn nonce_for<P: Platform>(p: &P, url: &str) -> Option<String> {
    let origin = crate::url::split(url)?.origin;
    let nonces = p.state().dpop_nonces.borrow();
    nonces
        .iter()
        .find(|(o, _)| o == origin)
        .map(|(_, n)| n.clone())
}

/// Remembers the `DPoP-Nonce` a server of `url` sent (with any answer: a server may rotate it
/// on success too).
pub(crate) fn remember_nonce<P: Platform>(p: &P, url: &str, nonce: Option<&str>) {
    let (Some(parts), Some(n)) = (crate::url::split(url), nonce.filter(|n| dpop::is_nonce(n)))
    else {
        return;
    };
    let mut nonces = p.state().dpop_nonces.borrow_mut();
    nonces.retain(|(o, _)| o != parts.origin);
    nonces.push((parts.origin.into(), n.into()));
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
    let nonce = nonce_for(p, url);
    let input = dpop::signing_input(
        &key,
        &Claims {
            htm,
            htu,
            iat: p.now(),
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
