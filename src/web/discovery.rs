//! What spa-oauth reads from the server before it can act: the metadata document (OIDC
//! Discovery 4, else RFC 8414 3) and the issuer's JWK Set (OIDC Core 10.1). Both are cached in
//! sessionStorage for an hour, so a callback after a login makes no extra round trip. A cache
//! that cannot be written is no error: it only costs a round trip next time.

use super::storage::{self, Store};
use super::{http, now};
use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::issuer::Issuer;
use crate::json::Json;
use crate::jwks;
use crate::metadata::{self, Metadata};
use wasm_bindgen::JsValue;

/// The server's metadata as cached by this tab, while fresh; no request.
pub(crate) fn cached(config: &Config) -> Option<Metadata> {
    let issuer = Issuer::of(config)?;
    let cached = storage::get(Store::Session, &metadata::cache_key_of(config)).ok()??;
    Metadata::decode(&cached).filter(|m| m.issuer == issuer.document() && m.is_fresh(now()))
}

/// The server's metadata: from the cache while fresh, else fetched (at the locations the
/// core names, `metadata::locations`) and cached.
pub(crate) async fn metadata(config: &Config) -> Result<Metadata> {
    let (Some((first, second)), Some(rule)) = (metadata::locations(config), Issuer::of(config))
    else {
        return Err(Error::code(Code::InvalidConfig)); // Config::validate refuses this.
    };
    if let Some(m) = cached(config) {
        return Ok(m);
    }
    let issuer = rule.document();
    let key = metadata::cache_key_of(config);
    let t = now();
    let timeout = config.http_timeout_ms;
    let mut r = http::send(&first, None, None, timeout).await;
    if let Some(second) =
        second.filter(|_| metadata::try_next(r.as_ref().map(|r| r.status).map_err(|e| e.code)))
    {
        r = http::send(&second, None, None, timeout).await;
    }
    let r = r?;
    let m = Metadata::parse::<JsValue>(issuer, r.status, &r.body, t)?;
    let _ = storage::set(Store::Session, &key, &m.encode());
    Ok(m)
}

/// The JWK Set at `jwks_uri`: cached unless `fresh`. Returns it parsed, and whether it was
/// fetched by this call (a key missing from a set just fetched is not worth another fetch).
pub(crate) async fn jwks(config: &Config, jwks_uri: &str, fresh: bool) -> Result<(JsValue, bool)> {
    let key = jwks::cache_key(jwks_uri);
    if !fresh {
        let cached = storage::get(Store::Session, &key).ok().flatten();
        if let Some(set) = cached
            .and_then(|c| jwks::decode_cache(&c, now()))
            .and_then(|text| JsValue::parse(&text))
        {
            return Ok((set, false));
        }
    }
    let r = http::send(jwks_uri, None, None, config.http_timeout_ms).await?;
    let set: JsValue = crate::response::json_body(r.status, &r.body)?;
    let _ = storage::set(Store::Session, &key, &jwks::encode_cache(&r.body, now()));
    Ok((set, true))
}
