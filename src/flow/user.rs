//! `getUser`: the validated ID token's claims, and with `userinfo` the userinfo endpoint's
//! claims about the same user (OIDC Core 5.3).

use super::{access, discovery, sessions, Platform};
use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::json::Json;
use crate::session::TokenOptions;
use crate::userinfo::UserOptions;

/// The claims of the validated ID token, or `None` when logged out (or when the login was
/// not OpenID Connect); with `userinfo`, also the userinfo endpoint's claims, checked to be
/// about the same `sub` (5.3.4). The caller merges them (the userinfo claims over the ID
/// token's).
pub(crate) async fn get_user<P: Platform>(
    p: &P,
    config: &Config,
    options: &UserOptions,
) -> Result<Option<(P::Json, Option<P::Json>)>> {
    let Some(claims) = sessions::load(p, config)
        .await
        .ok()
        .flatten()
        .and_then(|s| s.claims)
        .and_then(|c| P::Json::parse(&c))
    else {
        return Ok(None);
    };
    if !options.userinfo || config.issuer.is_none() {
        return Ok(Some((claims, None)));
    }
    let Some(endpoint) = discovery::metadata(p, config).await?.userinfo_endpoint else {
        return Err(Error::new(
            Code::InvalidConfig,
            t!("The server has no userinfo_endpoint; call getUser without userinfo."),
        ));
    };
    let token = access::get_access_token(p, config, &TokenOptions::default()).await?;
    let r = super::resource::get(p, config, &endpoint, &token).await?;
    let info: P::Json = crate::userinfo::parse(r.status, &r.body, &claims)?;
    Ok(Some((claims, Some(info))))
}
