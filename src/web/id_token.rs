//! ID-token validation with the browser's I/O: the issuer's key from its JWK Set (refetched
//! once when the token names a key the cached set lacks: the issuer rotated its keys, OIDC
//! Core 10.1.1), the signature by WebCrypto, then the claims rules of the core.

use super::{crypto, discovery, now};
use crate::config::Config;
use crate::error::Result;
use crate::id_token::invalid;
use crate::id_token::{self, Expected};
use crate::jwks;
use crate::jws;
use crate::secret::Secret;
use wasm_bindgen::JsValue;

/// Validates `token` (OIDC Core 3.1.3.7) from the server of `config`; returns its claims as
/// JSON text.
pub(crate) async fn validate(
    config: &Config,
    token: &Secret,
    expected: &Expected<'_>,
) -> Result<String> {
    let jws = jws::parse::<JsValue>(token.expose())?;
    let meta = discovery::metadata(config).await?;
    let Some(uri) = meta.jwks_uri.as_deref() else {
        return Err(invalid(t!(
            "The issuer publishes no jwks_uri, so the ID token's signature cannot be checked."
        )));
    };
    let mut key = None;
    let mut fresh = false;
    while key.is_none() {
        let (set, fetched) = discovery::jwks(config, uri, fresh).await?;
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
    if !crypto::verify(&key, jws.alg, &jws.signing_input, &jws.signature).await? {
        return Err(invalid(t!(
            "The ID token's signature does not verify with the issuer's key."
        )));
    }
    id_token::check(&jws.payload, expected, now())?;
    Ok(jws.payload_text)
}
