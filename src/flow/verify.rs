//! ID-token validation with the platform's I/O: the issuer's key from its JWK Set (fetched
//! again once when the token names a key the cached set lacks: the issuer rotated its keys,
//! OIDC Core 10.1.1), the signature by the platform's crypto, then the claims rules of the
//! core (`crate::id_token`).

use super::{discovery, Platform};
use crate::config::Config;
use crate::error::Result;
use crate::id_token::{self, invalid, Expected};
use crate::json::Json;
use crate::jwks;
use crate::jws;
use crate::secret::Secret;

/// Validates `token` (OIDC Core 3.1.3.7) from the server of `config`; returns its claims as
/// JSON text.
pub(crate) async fn validate<P: Platform>(
    p: &P,
    config: &Config,
    token: &Secret,
    expected: &Expected<'_>,
) -> Result<String> {
    let jws = jws::parse::<P::Json>(token.expose())?;
    let meta = discovery::metadata(p, config).await?;
    let Some(uri) = meta.jwks_uri.as_deref() else {
        return Err(invalid(t!(
            "The issuer publishes no jwks_uri, so the ID token's signature cannot be checked."
        )));
    };
    let mut key = None;
    let mut fresh = false;
    while key.is_none() {
        let (set, fetched) = discovery::jwks(p, config, uri, fresh).await?;
        key = jwks::select(&set, jws.alg, jws.kid.as_deref())?;
        if fetched {
            break;
        }
        fresh = true;
    }
    let Some(key) = key else {
        return Err(invalid(t!(
            "No key of the issuer matches the ID token's kid and alg."
        )));
    };
    if !p
        .verify(&key, jws.alg, &jws.signing_input, &jws.signature)
        .await?
    {
        return Err(invalid(t!(
            "The ID token's signature does not verify with the issuer's key."
        )));
    }
    // On server time (`crate::clock`). A login's token, bound to the login by its nonce,
    // teaches the offset when its `iat` disagrees by more than the tolerance: a device whose
    // clock is hours off still logs in (issue 26, 3).
    // The offset is kept only once every other check passed (the nonce among them): a token
    // replayed from another login, or for another client, teaches nothing.
    let offset = super::clock::offset(p).await;
    let learned = match expected.nonce {
        Some(_) => jws
            .payload
            .get("iat")
            .and_then(|v| v.as_f64())
            .and_then(|i| crate::clock::from_login_iat(i, p.now(), offset, expected.skew)),
        None => None,
    };
    let now = crate::clock::server_now(p.now(), learned.unwrap_or(offset));
    id_token::check(&jws.payload, expected, now)?;
    if let Some(o) = learned {
        super::clock::learn(p, o).await;
    }
    Ok(jws.payload_text)
}
