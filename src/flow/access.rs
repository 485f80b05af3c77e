//! `getAccessToken` and what reads the session without a request (`getSessionInfo`,
//! `isAuthenticated`): the stored token while usable, else a refresh (RFC 6749 6) with
//! rotation, one per page at a time and, for a session all tabs share, one per origin.

use super::{sessions, token_endpoint, verify, Platform, Store};
use crate::config::Config;
use crate::error::{Code, Result};
use crate::refresh;
use crate::secret::Secret;
use crate::session::{Access, Session, TokenOptions};
use crate::session_event::SessionEventKind;

/// An access token valid for more than 30 seconds: the stored one, or a refreshed one.
/// Concurrent calls in a page share one refresh request.
pub(crate) async fn get_access_token<P: Platform>(
    p: &P,
    config: &Config,
    options: &TokenOptions,
) -> Result<String> {
    match from_session(p, config, options).await {
        // `silentLogin`: the session cannot give a token (there is none, or its refresh
        // token is gone or refused); the server may still know the user (its own session
        // cookie), so it is asked without any interaction before the app is told to log in.
        // Concurrent calls share one silent login (one iframe, one code, one login event),
        // as they share one refresh (review round 2, I8).
        Err(e) if e.code == Code::LoginRequired && config.silent_login => {
            // (In the refreshes' flights, under a key of its own: one copy of the flight code.)
            let mut key = String::from("silent ");
            key.push_str(&sessions::page_key(config));
            let flights = p.state().refreshes.clone();
            flights
                .run(&key, || async {
                    super::login::silent_login(p, config, None).await?;
                    from_session(p, config, &TokenOptions::default()).await
                })
                .await
        }
        r => r,
    }
}

/// The access token the stored session gives: itself, or refreshed.
async fn from_session<P: Platform>(
    p: &P,
    config: &Config,
    options: &TokenOptions,
) -> Result<String> {
    let Some(session) = sessions::load(p, config).await? else {
        return Err(crate::session::no_session());
    };
    match session.access(p.now(), options.force_refresh) {
        Access::Use(token) => return Ok(token.expose().into()),
        Access::Refresh => {}
        Access::Fail(e) => return Err(e),
        Access::Expire(e) => {
            sessions::expire(p, config, Some(&session)).await;
            return Err(e);
        }
    }
    let key = sessions::page_key(config);
    // Refreshes of this session failed lately without ending it: none is sent before the
    // backoff's moment; the call gets the last failure's error at once (issue 26, 2).
    if let Some(e) = backing_off(p, &key) {
        return Err(e);
    }
    let flights = p.state().refreshes.clone();
    let seen = session.access_token.expose().to_owned();
    flights.run(&key, || refresh_guarded(p, config, seen)).await
}

/// The error of the last failed refresh of the session `key`, while its backoff lasts.
fn backing_off<P: Platform>(p: &P, key: &str) -> Option<crate::error::Error> {
    let now = p.now();
    let list = p.state().backoff.borrow();
    list.iter()
        .find(|b| b.key == key && now < b.until)
        .map(|b| b.error.clone())
}

/// Records a refresh of the session `key` that failed without ending it (`refresh::retry_delay`).
fn failed<P: Platform>(p: &P, key: String, e: &crate::error::Error, retry_after: Option<u64>) {
    let now = p.now();
    let mut r = [0u8; 1];
    let _ = p.random(&mut r);
    let mut list = p.state().backoff.borrow_mut();
    let failures = list
        .iter()
        .find(|b| b.key == key)
        .map_or(0, |b| b.failures)
        .saturating_add(1);
    list.retain(|b| b.key != key);
    list.push(super::Backoff {
        key,
        failures,
        sent: now,
        until: now.saturating_add(refresh::retry_delay(failures, retry_after, r[0])),
        error: e.clone(),
    });
}

/// The page came back (`online`, visible again, restored from the back-forward cache, or a
/// timer that fired late after the machine slept): a session whose access token expired
/// meanwhile is refreshed once, in the background (shared by the page's calls and, under
/// the cross-tab lock, by the tabs), and its listeners hear of it. After refreshes that
/// failed, coming back is a fresh chance (the backoff is cut short), but not sooner than
/// `refresh::COME_BACK_SPACING_SECS` after the last refresh sent: events that flap make no
/// storm (issue 26, 2).
pub(crate) async fn come_back<P: Platform>(p: &P, config: &Config) {
    let key = sessions::page_key(config);
    let now = p.now();
    for b in p.state().backoff.borrow_mut().iter_mut() {
        if b.key == key {
            if now < b.sent.saturating_add(refresh::COME_BACK_SPACING_SECS) {
                return;
            }
            b.until = b.until.min(now);
        }
    }
    let Ok(Some(s)) = sessions::load(p, config).await else {
        return;
    };
    if !matches!(s.access(p.now(), false), Access::Use(_)) {
        let _ = get_access_token(p, config, &TokenOptions::default()).await;
    }
}

/// A refresh, in one tab at a time unless the session is in this page's memory (a session
/// in storage is shared by the tabs, or copied into a duplicated tab: `refresh::locked`):
/// under the cross-tab lock, the session is read again and the grant skipped when another
/// tab refreshed meanwhile. A lock held longer than a live holder can need (a frozen tab) is
/// taken: see `refresh::lock_steal_ms`.
async fn refresh_guarded<P: Platform>(p: &P, config: &Config, seen: String) -> Result<String> {
    if !refresh::locked(&config.token_storage) {
        return refresh(p, config, &seen, false).await;
    }
    let name = refresh::lock_name(&config.session_key());
    let adapter = matches!(config.token_storage, crate::config::TokenStorage::Custom(_));
    let wait = refresh::lock_steal_ms(config.http_timeout_ms, config.dpop, adapter);
    let (owned, p2) = (config.clone(), p.clone());
    p.with_lock(
        &name,
        wait,
        super::lock_work(
            move |contended| async move { refresh(&p2, &owned, &seen, contended).await },
        ),
    )
    .await
}

/// Carries out the core's refresh (`crate::refresh`). `seen`: the access token the caller
/// found too old. `contended`: another tab held the refresh lock when this one asked.
async fn refresh<P: Platform>(
    p: &P,
    config: &Config,
    seen: &str,
    contended: bool,
) -> Result<String> {
    let shared = refresh::shared(&config.token_storage);
    let mut stored = sessions::load(p, config).await?;
    if shared && refresh::must_wait_for_holder(contended, stored.as_ref(), seen) {
        // The other tab's write comes with a `storage` event: wait for it, bounded.
        p.storage_change(&config.session_key(), refresh::STALE_READ_WAIT_MS)
            .await;
        stored = sessions::load(p, config).await?;
    }
    let grant = match refresh::start(
        &config.client_id,
        config.client_secret.as_ref(),
        &config.scope,
        stored,
        seen,
        p.now(),
    ) {
        refresh::Start::Use(token) => return Ok(token.expose().into()),
        refresh::Start::Fail(e) => return Err(e),
        refresh::Start::Grant(g) => g,
    };
    // A copy of this session (a duplicated tab) may have rotated this refresh token away
    // already: then it is never sent again (review round 2, L12).
    let record_key = refresh::retired_key(&config.session_key());
    let sent = grant.previous.refresh_token.as_ref().map(|t| t.expose());
    let hash = refresh::token_hash(&p.sha256(sent.unwrap_or_default().as_bytes()).await?);
    let mut record = p.get(Store::Local, &record_key).await.ok().flatten();
    if contended && !shared && !refresh::is_retired(record.as_deref(), &hash) {
        // The holder may have been that copy, and its record may not have reached this
        // tab yet (see `refresh::must_wait_for_holder`).
        p.storage_change(&record_key, refresh::STALE_READ_WAIT_MS)
            .await;
        record = p.get(Store::Local, &record_key).await.ok().flatten();
    }
    if refresh::is_retired(record.as_deref(), &hash) {
        // Only this copy ends: the pair it signed with is the live copy's too.
        sessions::expire(p, config, None).await;
        return Err(refresh::copied_session());
    }
    let key = super::dpop::key_of(&grant.previous, config);
    let mut retry_after = None;
    let answer = match token_endpoint::send(p, config, &grant.endpoint, &grant.body, &key).await {
        Ok(r) => {
            if r.retry_after.is_some() {
                let now = super::clock::server_now(p).await;
                retry_after = refresh::retry_after(r.retry_after.as_deref(), now);
            }
            crate::token::parse_response::<P::Json>(r.status, &r.body, config.dpop)
        }
        Err(e) => Err(e),
    };
    let reread = sessions::load(p, config).await;
    let gone = matches!(reread, Ok(None));
    let page = sessions::page_key(config);
    let outcome = refresh::outcome(answer, &grant, reread.ok().flatten(), gone, p.now());
    if !matches!(outcome, refresh::Outcome::Keep(_)) {
        p.state().backoff.borrow_mut().retain(|b| b.key != page);
    }
    match outcome {
        refresh::Outcome::Use(token) => Ok(token.expose().into()),
        refresh::Outcome::Keep(e) => {
            // A failure that kept the session (not a logout meanwhile, nor another tab's
            // rotation to use): back off.
            if !gone && !refresh::refuses_grant(&e) {
                failed(p, page, &e, retry_after);
            }
            Err(e)
        }
        refresh::Outcome::End(e) => {
            sessions::expire(p, config, Some(&grant.previous)).await;
            Err(e)
        }
        refresh::Outcome::Store(next, id_token) => {
            if next.refresh_token.as_ref().map(|t| t.expose()) != sent {
                // Best effort: a localStorage that throws records nothing (and this tab's
                // copies are then as before).
                let record = refresh::retire(record.as_deref(), &hash);
                let _ = p.set(Store::Local, &record_key, &record).await;
            }
            if next.dpop {
                // The pair is in use: not idle (`crate::dpop::IDLE_SECS`).
                p.dpop_adopt(&key).await;
            }
            // Stored before anything slow: from here on no tab can redeem the rotated-away
            // refresh token, whether the lock is released or taken.
            sessions::store(p, config, &next, SessionEventKind::Refresh).await;
            let token: String = next.access_token.expose().into();
            let Some(id_token) = id_token else {
                return Ok(token);
            };
            match refreshed_id_token(p, config, &next, id_token).await {
                Ok(Some((t, claims))) => {
                    let checked = Session {
                        id_token: Some(t),
                        claims: Some(claims),
                        ..next
                    };
                    // The same tokens, now with the checked ID token: reported already.
                    let key = config.session_key();
                    sessions::write(p, config.token_storage.into(), &key, &checked.encode()).await;
                    Ok(token)
                }
                Ok(None) => Ok(token),
                // A refreshed ID token that fails the checks ends the session: whoever
                // answered is not the server, or not about the same user (OIDC Core 12.2).
                Err(e) => {
                    sessions::expire(p, config, Some(&next)).await;
                    Err(e)
                }
            }
        }
    }
}

/// An ID token that came with a refresh, validated as OIDC Core 12.2 asks. Kept only in a
/// session that began with OpenID Connect; a server that sends one to a plain OAuth session
/// has it ignored.
async fn refreshed_id_token<P: Platform>(
    p: &P,
    config: &Config,
    session: &Session,
    token: Secret,
) -> Result<Option<(Secret, String)>> {
    let Some(original) = refresh::original::<P::Json>(session) else {
        return Ok(None);
    };
    let Some(expected) = refresh::expected(config, session, &original) else {
        return Ok(None);
    };
    let claims = verify::validate(p, config, &token, &expected).await?;
    Ok(Some((token, claims)))
}

/// What an app may show about the session, without the tokens themselves.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SessionInfo {
    /// When the access token expires (seconds since the epoch), when the server said.
    pub expires_at: Option<u64>,
    /// The granted scope, when the server said.
    pub scope: Option<String>,
    /// Whether a refresh token is held (the session can outlive the access token).
    pub refreshable: bool,
    /// The login asked for `offline_access` and the server issued no refresh token (it
    /// wants the user's consent to it, `prompt: "consent"`): the session ends with the
    /// access token.
    pub refresh_token_withheld: bool,
    /// When the session can no longer be refreshed (seconds since the epoch): the end the
    /// server gave its refresh token (Keycloak, Entra ID), or without a refresh token, the
    /// access token's expiry; `None` when nobody said.
    pub session_expires_at: Option<u64>,
    /// The servers' clock minus this browser's, in seconds, as learned (`crate::clock`).
    pub clock_offset_secs: i64,
    /// When the idle logout comes (seconds since the epoch), with `idleTimeoutSeconds`.
    pub idle_logout_at: Option<u64>,
}

/// The stored session's metadata, or `None` when logged out. Makes no request.
pub(crate) async fn session_info<P: Platform>(
    p: &P,
    config: &Config,
) -> Result<Option<SessionInfo>> {
    let clock_offset_secs = super::clock::offset(p).await;
    let idle_logout_at = super::idle::logout_at(p, config).await;
    Ok(sessions::load(p, config)
        .await
        .ok()
        .flatten()
        .map(|s| SessionInfo {
            expires_at: s.expires_at,
            scope: s.scope.clone(),
            refreshable: s.refresh_token.is_some(),
            refresh_token_withheld: s.refresh_token_withheld(&config.scope),
            session_expires_at: s.ends_at(),
            clock_offset_secs,
            idle_logout_at,
        }))
}

/// Whether there is a session that can give an access token without the user: a valid
/// access token, or a refresh token. Makes no request.
pub(crate) async fn is_authenticated<P: Platform>(p: &P, config: &Config) -> Result<bool> {
    Ok(sessions::load(p, config)
        .await
        .ok()
        .flatten()
        .is_some_and(|s| matches!(s.access(p.now(), false), Access::Use(_) | Access::Refresh)))
}
