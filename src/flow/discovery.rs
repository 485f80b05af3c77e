//! What the flows read from the server before they can act: the metadata document (OIDC
//! Discovery 4, else RFC 8414 3, or the app's `metadataUrl`) and the issuer's JWK Set (OIDC
//! Core 10.1). Both are cached in sessionStorage for an hour, so a callback after a login
//! makes no extra round trip. A cache that cannot be written is no error: it only costs a
//! round trip next time.

use super::{Platform, Store};
use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::issuer::Issuer;
use crate::jwks;
use crate::metadata::{self, Metadata};

/// The server's metadata as cached by this tab, while fresh; no request.
pub(crate) async fn cached<P: Platform>(p: &P, config: &Config) -> Option<Metadata> {
    let issuer = Issuer::of(config)?;
    let text = p
        .get(Store::Session, &metadata::cache_key_of(config))
        .await
        .ok()??;
    Metadata::decode(&text).filter(|m| m.issuer == issuer.document() && m.is_fresh(p.now()))
}

/// The server's metadata: from the cache while fresh, else fetched (at the locations the
/// core names, `metadata::locations`) and cached.
pub(crate) async fn metadata<P: Platform>(p: &P, config: &Config) -> Result<Metadata> {
    let (Some((first, second)), Some(rule)) = (metadata::locations(config), Issuer::of(config))
    else {
        return Err(Error::code(Code::InvalidConfig)); // Config::validate refuses this.
    };
    if let Some(m) = cached(p, config).await {
        return Ok(m);
    }
    let timeout = config.http_timeout_ms;
    let mut r = p.send(&first, None, None, None, timeout).await;
    if let Some(second) =
        second.filter(|_| metadata::try_next(r.as_ref().map(|r| r.status).map_err(|e| e.code)))
    {
        r = p.send(&second, None, None, None, timeout).await;
    }
    let r = r?;
    let m = Metadata::parse::<P::Json>(rule.document(), r.status, &r.body, p.now())?;
    let _ = p
        .set(Store::Session, &metadata::cache_key_of(config), &m.encode())
        .await;
    Ok(m)
}

/// The server's metadata, when the config has an issuer (a config with endpoints only has
/// none to fetch).
pub(crate) async fn metadata_if_any<P: Platform>(
    p: &P,
    config: &Config,
) -> Result<Option<Metadata>> {
    match config.issuer {
        Some(_) => metadata(p, config).await.map(Some),
        None => Ok(None),
    }
}

/// The JWK Set at `jwks_uri`: cached unless `fresh`. Returns it parsed, and whether it was
/// fetched by this call (a key missing from a set just fetched is not worth another fetch).
pub(crate) async fn jwks<P: Platform>(
    p: &P,
    config: &Config,
    jwks_uri: &str,
    fresh: bool,
) -> Result<(P::Json, bool)> {
    let key = jwks::cache_key(jwks_uri);
    if !fresh {
        let cached = p.get(Store::Session, &key).await.ok().flatten();
        if let Some(set) = cached
            .and_then(|c| jwks::decode_cache(&c, p.now()))
            .and_then(|text| <P::Json as crate::json::Json>::parse(&text))
        {
            return Ok((set, false));
        }
    }
    let r = p
        .send(jwks_uri, None, None, None, config.http_timeout_ms)
        .await?;
    let set: P::Json = crate::response::json_body(r.status, &r.body)?;
    let _ = p
        .set(Store::Session, &key, &jwks::encode_cache(&r.body, p.now()))
        .await;
    Ok((set, true))
}
