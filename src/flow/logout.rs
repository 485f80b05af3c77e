//! `logout`: revocation of one token (RFC 7009), the stored session cleared, and the
//! server's logout page (OIDC RP-Initiated Logout). The rules are `crate::logout`'s.

use super::{discovery, sessions, token_endpoint, Platform, Store};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::logout::{self, LogoutOptions, LogoutResult};
use crate::refresh;
use crate::session_event::SessionEventKind;

/// Ends the session: revokes one token (`logout::token_to_revoke`), clears the stored
/// session, and navigates to the server's logout page when there is one. What happened at the
/// server is the result; a failed revocation is reported there and never keeps the browser
/// from the logout page.
pub(crate) async fn logout<P: Platform>(
    p: &P,
    config: &Config,
    options: &LogoutOptions,
) -> Result<LogoutResult> {
    let session = sessions::load(p, config).await.ok().flatten();
    let mut error: Option<Error> = None;
    let mut revoked = false;
    // Without metadata there is no revocation, and no logout page unless the options name
    // one: when there was a session to end, that is reported, never passed over as if the
    // server had been told.
    let meta = match discovery::metadata_if_any(p, config).await {
        Ok(m) => m,
        Err(e) => {
            error = session.as_ref().map(|_| e);
            None
        }
    };
    if let (true, Some(s), Some(endpoint)) = (
        options.revoke,
        &session,
        meta.as_ref().and_then(|m| m.revocation_endpoint.as_deref()),
    ) {
        let (token, hint) = logout::token_to_revoke(s);
        let body = logout::revocation_body(&s.client_id, token, hint);
        let key = super::dpop::key_of(s, config);
        let failed = match token_endpoint::send(p, config, endpoint, &body, &key).await {
            Ok(r) => logout::revocation_outcome::<P::Json>(r.status, &r.body),
            Err(e) => Some(e),
        };
        revoked = failed.is_none();
        error = error.or(failed);
    }
    // Not while a refresh of this session runs (review round 2, L9): this page's finishes
    // first, and a shared session is removed under the refresh's cross-tab lock, so no
    // refresh stores its rotated session after this (and `refresh::outcome` keeps nothing
    // of a refresh whose session is gone when its answer comes).
    let key = config.session_key();
    let _ = p.state().refreshes.wait(&sessions::page_key(config)).await;
    let configured: Store = config.token_storage.into();
    let kept = if refresh::shared(&config.token_storage) {
        let adapter = matches!(configured, Store::Custom(_));
        let steal = refresh::lock_steal_ms(config.http_timeout_ms, config.dpop, adapter);
        let (p2, k) = (p.clone(), key.clone());
        let kept = std::rc::Rc::new(std::cell::Cell::new(configured));
        let out = kept.clone();
        let work = super::lock_work(move |_| async move {
            out.set(sessions::remove(&p2, configured, &k).await);
            Ok(String::new())
        });
        let _ = p.with_lock(&refresh::lock_name(&key), steal, work).await;
        kept.get()
    } else {
        sessions::remove(p, configured, &key).await
    };
    // The key pair of a DPoP session goes with it (RFC 9449: a new login makes a new one);
    // only this session's: another tab's login has a pair of its own (review round 2, L8).
    if let Some(s) = session.as_ref().filter(|s| s.dpop) {
        p.dpop_forget(&super::dpop::key_of(s, config)).await;
    }
    if session.is_some() {
        p.emit(&sessions::page_key(config), SessionEventKind::Logout, kept);
    }
    // A failed revocation never keeps the browser from the server's logout page: that is
    // what ends the server's session (its cookie), which would otherwise log the user
    // straight back in.
    let mut result = LogoutResult {
        revoked,
        server_logout: false,
        error,
    };
    if let Some(endpoint) = logout::end_session_endpoint(options, meta.as_ref()) {
        let mut bytes = [0u8; 32];
        p.random(&mut bytes)?;
        let state = crate::b64url::encode(&bytes);
        if options.post_logout_redirect_uri.is_some() {
            // Not fatal: without it the return is only reported as a stale login response.
            let record = logout::state_record(p.now());
            let _ = p
                .set(Store::Session, &logout::state_key(&state), &record)
                .await;
        }
        let url = logout::end_session_url(
            endpoint,
            config,
            session.as_ref().and_then(|s| s.id_token.as_ref()),
            options,
            &state,
        );
        p.assign(&url)?;
        result.server_logout = true;
    }
    Ok(result)
}
