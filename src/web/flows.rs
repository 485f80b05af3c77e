//! The three flows, driving the sans-IO core with the browser's I/O. This is also the Rust
//! API for Leptos, Yew and Dioxus apps: the JavaScript exports are thin wrappers over it.

use super::discovery::{self, metadata};
use super::events::{self, SessionEventKind};
use super::flight::Flights;
use super::storage::{self, Store};
use super::{http, id_token, location, now, random};
use crate::authorize::{self, LoginOptions, Server};
use crate::callback;
use crate::config::{Config, ValidConfig};
use crate::error::{Code, Error, Result};
use crate::json::Json;
use crate::logout::{self, LogoutOptions, LogoutResult};
use crate::metadata::Metadata;
use crate::refresh;
use crate::secret::Secret;
use crate::session::{Access, Session, TokenOptions};
use crate::token;
use crate::transaction::{self, Transaction};
use crate::userinfo::UserOptions;
use wasm_bindgen::{JsCast, JsValue};

/// What `handleCallback` resolves to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CallbackResult {
    /// The `returnTo` given to `startLogin`, if any: a same-origin path.
    pub return_to: Option<String>,
    /// The scope the server granted, when it said (it may be narrower than the one asked).
    pub scope: Option<String>,
    /// The page was reached on the way back from the server's logout page (the `state` of
    /// a `logout` call), not from a login: there is no new session.
    pub logged_out: bool,
}

thread_local! {
    /// The session last read: (key, its stored text, decoded). See `load_session`.
    static LAST_SESSION: std::cell::RefCell<Option<(String, JsValue, Session)>> =
        const { std::cell::RefCell::new(None) };
    static CALLBACKS: Flights<CallbackResult> = Flights::new(true);
    static REFRESHES: Flights<String> = Flights::new(false);
    /// The URL this page replaced a callback URL with, and the state of that callback: a
    /// second `handleCallback` after the first finished gets the same result.
    static CLEANED: std::cell::RefCell<Option<(String, String)>> = const { std::cell::RefCell::new(None) };
}

/// The server's metadata, when the config has an issuer (a config with endpoints only has
/// none to fetch).
async fn metadata_if_any(config: &Config) -> Result<Option<Metadata>> {
    match config.issuer {
        Some(_) => metadata(config).await.map(Some),
        None => Ok(None),
    }
}

/// Removes login transactions and logout states of this tab that are too old to be
/// completed, so abandoned logins do not pile up in sessionStorage.
fn sweep_transactions(t: u64) {
    sweep(transaction::KEY_PREFIX, |v| Transaction::is_stale(v, t));
    sweep(logout::STATE_KEY_PREFIX, |v| logout::state_is_stale(v, t));
}

fn sweep(prefix: &str, stale: impl Fn(&str) -> bool) {
    let Ok(keys) = storage::keys_with_prefix(Store::Session, prefix) else {
        return;
    };
    for key in keys {
        if let Ok(Some(v)) = storage::get(Store::Session, &key) {
            if stale(&v) {
                let _ = storage::remove(Store::Session, &key);
            }
        }
    }
}

/// Prepares a login: stores the transaction and returns the authorization URL, without
/// navigating. `start_login` is this plus the navigation.
pub(crate) async fn prepare_login(config: &Config, options: &LoginOptions) -> Result<String> {
    let meta = metadata_if_any(config).await?;
    let server = Server::of(config, meta.as_ref())?;
    let mut rnd = [[0u8; 32]; 3];
    for r in rnd.iter_mut() {
        random(r)?;
    }
    let t = now();
    sweep_transactions(t);
    let verifier = crate::pkce::verifier(&rnd[0]);
    let digest = super::crypto::sha256(verifier.expose().as_bytes()).await?;
    let login = authorize::login(config, &server, options, &rnd, &digest, t)?;
    // Stored before leaving: if storage fails, the error is shown here, not after a round
    // trip through the server as an inexplicable state_mismatch.
    storage::set(
        Store::Session,
        &Transaction::key(&login.transaction.state),
        &login.transaction.encode(),
    )?;
    Ok(login.url)
}

/// Starts a login: stores the transaction in sessionStorage and navigates to the
/// authorization endpoint. Resolves just before the page unloads.
pub async fn start_login(config: &ValidConfig, options: &LoginOptions) -> Result<()> {
    let url = prepare_login(config, options).await?;
    location::assign(&url)
}

/// Completes a login on the redirect URI: checks the response, redeems the code once, stores
/// the session, and removes the response parameters from the address bar. `url` defaults to
/// `location.href`.
pub async fn handle_callback(config: &ValidConfig, url: Option<&str>) -> Result<CallbackResult> {
    let current = location::href().ok();
    let href = match url.map(str::to_owned).or_else(|| current.clone()) {
        Some(h) => h,
        None => {
            return Err(Error::new(
                Code::InvalidCallback,
                t!("There is no URL to read the callback from."),
            ))
        }
    };
    let mode = config.response_mode;
    let parsed = callback::parse(&href, mode);
    let cb = match parsed {
        Ok(cb) => cb,
        Err(e) => {
            // The same page calling again after the first call cleaned the URL.
            let again = CLEANED.with_borrow(|c| {
                c.as_ref()
                    .filter(|(u, _)| *u == href)
                    .map(|(_, s)| s.clone())
            });
            match again {
                Some(state) if CALLBACKS.with(|f| f.has(&state)) => {
                    let flights = CALLBACKS.with(Flights::clone);
                    return flights.run(&state, || async { Err(e) }).await;
                }
                _ => return Err(e),
            }
        }
    };
    let state = cb.state.clone();
    let clean = current.as_deref() == Some(href.as_str());
    // The way back from the server's logout page (RP-Initiated Logout 3): its state is one
    // this tab sent with `logout`, and there is nothing to redeem.
    if let Ok(Some(_)) = storage::take(Store::Session, &logout::state_key(&state)) {
        if clean {
            if let Some(cleaned) = callback::cleaned_url(&href, mode) {
                location::replace(&cleaned);
            }
        }
        return Ok(CallbackResult {
            return_to: None,
            scope: None,
            logged_out: true,
        });
    }
    let flights = CALLBACKS.with(Flights::clone);
    let key = state.clone();
    flights
        .run(&key, || async move {
            // Taken out of storage before the first await: whatever happens next, this
            // code is redeemed at most once (RFC 6749 4.1.2: codes are single-use).
            let stored = storage::take(Store::Session, &Transaction::key(&cb.state))?;
            // The address bar is cleaned before the first request, so that nothing else
            // that runs meanwhile (an analytics snippet, an error reporter) reads the code
            // from it (RFC 9700 4.2.4). The transaction is consumed already: a reload now
            // could not redeem the code anyway.
            if clean {
                if let Some(cleaned) = callback::cleaned_url(&href, mode) {
                    location::replace(&cleaned);
                    CLEANED.with_borrow_mut(|c| *c = Some((cleaned, state.clone())));
                }
            }
            redeem(config, cb, stored.as_deref()).await
        })
        .await
}

async fn redeem(
    config: &Config,
    cb: callback::Callback,
    stored: Option<&str>,
) -> Result<CallbackResult> {
    let (code, tx) = cb.into_code(stored, config, now())?;
    let body = token::code_grant(&tx, &code, config.client_secret.as_ref());
    let request = http::send(
        &tx.token_endpoint,
        Some(&body),
        None,
        config.http_timeout_ms,
    );
    // An OpenID Connect login needs the issuer's keys for its ID token: fetched (or read from
    // the cache) while the token request is in flight, so the callback costs one round trip
    // and startLogin none for the keys. Their address comes from the metadata this tab cached
    // at startLogin; without it (or when this fails) the ID token's check fetches both.
    let jwks_uri = discovery::cached(config)
        .and_then(|m| m.jwks_uri)
        .filter(|_| tx.nonce.is_some());
    let keys = async {
        if let Some(uri) = &jwks_uri {
            let _ = discovery::jwks(config, uri, false).await;
        }
    };
    let (r, ()) = super::join::both(request, keys).await;
    let r = r?;
    let mut tokens = token::parse_response::<JsValue>(r.status, &r.body)?;
    let id = match crate::id_token::for_login(&tx, config, tokens.id_token.take())? {
        Some((token, expected)) => {
            let claims = id_token::validate(config, &token, &expected).await?;
            Some((token, claims))
        }
        None => None,
    };
    let session =
        Session::from_response(tokens, id, now(), &tx.token_endpoint, &tx.client_id, None);
    store_session(config, &session, SessionEventKind::Login);
    Ok(CallbackResult {
        return_to: tx.return_to.clone(),
        scope: session.scope.clone(),
        logged_out: false,
    })
}

/// Stores the session and tells the listeners, saying where it went (memory when the
/// configured storage threw).
fn store_session(config: &Config, session: &Session, kind: SessionEventKind) {
    let key = config.session_key();
    let kept = storage::set_session(config.token_storage.into(), &key, &session.encode());
    events::emit(&key, kind, kept);
    arm_expiry(config, session);
}

/// With listeners, a session that cannot be refreshed gets a timer for the moment its access
/// token stops being usable, so `expired` is reported even when the app makes no call.
pub(super) fn arm_expiry(config: &Config, session: &Session) {
    let key = config.session_key();
    let Some(ms) = session
        .expiry_delay_ms(now())
        .filter(|_| events::has_listeners(&key))
    else {
        return;
    };
    let config = config.clone();
    let fire = wasm_bindgen::closure::Closure::once_into_js(move || {
        if let Ok(Some(s)) = load_session(&config) {
            match s.access(now(), false) {
                Access::Expire(_) => expire(&config),
                _ => arm_expiry(&config, &s),
            }
        }
    });
    if let Some(w) = web_sys::window() {
        let _ = w
            .set_timeout_with_callback_and_timeout_and_arguments_0(fire.unchecked_ref(), ms as i32);
    }
}

/// The session is over without the user logging out: cleared, and reported.
fn expire(config: &Config) {
    let kept = clear_session(config);
    events::emit(&config.session_key(), SessionEventKind::Expired, kept);
}

/// The stored session of this config, if any. A stored text that is not a valid session
/// (edited, truncated, from another version) is removed and reported as such.
fn load_session(config: &Config) -> Result<Option<Session>> {
    Ok(load_stored(config, config.session_key())?.map(|(_, s)| s))
}

/// The stored session under `key` (this config's `session_key`), with the text it is
/// stored as.
fn load_stored(config: &Config, key: String) -> Result<Option<(JsValue, Session)>> {
    let Some(raw) = storage::get_session(config.token_storage.into(), &key) else {
        return Ok(None);
    };
    // getAccessToken reads the session on every call. Decoding it (and copying its 2 KB
    // into the wasm) was most of a call's time; the stored text rarely changes, so the last
    // one decoded is kept, and a JavaScript string comparison tells whether it still holds.
    let hit = LAST_SESSION.with_borrow(|last| {
        last.as_ref()
            .filter(|(k, r, _)| *k == key && *r == raw)
            .map(|(_, _, s)| s.clone())
    });
    if let Some(session) = hit {
        return Ok(Some((raw, session)));
    }
    let Some(session) = raw.as_string().as_deref().and_then(Session::decode) else {
        // Storage is writable by any script of the origin and by extensions: a record
        // that fails the checks is not used, and not left to fail again.
        expire(config);
        return Err(crate::session::login_required(t!(
            "The stored session was damaged and is removed: log in again."
        )));
    };
    LAST_SESSION.set(Some((key, raw.clone(), session.clone())));
    Ok(Some((raw, session)))
}

/// The stored access token, while `get_access_token` would return it as it is, with what
/// tells that this still holds without asking again: the last moment it does (milliseconds
/// since the epoch, as `Date.now()`), where the session is kept, under which key and as
/// which text, and `storage::writes()`. The package entry keeps this to answer
/// `getAccessToken` without entering the wasm (see pkg-template/index.js).
pub(crate) struct Usable {
    pub token: Secret,
    pub until_ms: f64,
    pub store: Store,
    pub key: String,
    pub text: JsValue,
    pub writes: u32,
}

pub(crate) fn usable_token(config: &Config) -> Option<Usable> {
    let key = config.session_key();
    let (text, session) = load_stored(config, key.clone()).ok().flatten()?;
    let Access::Use(token) = session.access(now(), false) else {
        return None;
    };
    Some(Usable {
        token,
        until_ms: session.usable_until_ms(),
        store: storage::session_store(config.token_storage.into(), &key),
        key,
        text,
        writes: storage::writes(),
    })
}

/// Removes the session; returns where it was kept.
fn clear_session(config: &Config) -> Store {
    let key = config.session_key();
    let configured = config.token_storage.into();
    let kept = storage::session_store(configured, &key);
    storage::remove_session(configured, &key);
    kept
}

/// An access token valid for more than 30 seconds: the stored one, or a refreshed one.
/// Concurrent calls in a page share one refresh request.
pub async fn get_access_token(config: &ValidConfig, options: &TokenOptions) -> Result<String> {
    let force_refresh = options.force_refresh;
    let Some(session) = load_session(config)? else {
        return Err(crate::session::no_session());
    };
    match session.access(now(), force_refresh) {
        Access::Use(token) => return Ok(token.expose().into()),
        Access::Refresh => {}
        Access::Fail(e) => return Err(e),
        Access::Expire(e) => {
            expire(config);
            return Err(e);
        }
    }
    let key = config.session_key();
    let flights = REFRESHES.with(Flights::clone);
    let seen = session.access_token.expose().to_owned();
    flights.run(&key, || refresh_guarded(config, seen)).await
}

/// A refresh, in one tab at a time when the session is shared by all tabs (localStorage):
/// under the Web Lock, the session is read again and the grant skipped when another tab
/// refreshed meanwhile. A lock held longer than a live holder can need (a frozen tab) is
/// stolen: see `refresh::lock_steal_ms`.
async fn refresh_guarded(config: &Config, seen: String) -> Result<String> {
    if config.token_storage != crate::config::TokenStorage::Local {
        return refresh(config, &seen, false).await;
    }
    let mut name = String::from("spa-oauth:refresh:");
    name.push_str(&config.session_key());
    let wait = refresh::lock_steal_ms(config.http_timeout_ms);
    let owned = config.clone();
    super::lock::with_lock(&name, wait, move |contended| async move {
        refresh(&owned, &seen, contended).await
    })
    .await
}

/// Carries out the core's refresh (`crate::refresh`). `seen`: the access token the caller
/// found too old. `contended`: another tab held the refresh lock when this one asked.
async fn refresh(config: &Config, seen: &str, contended: bool) -> Result<String> {
    let mut stored = load_session(config)?;
    if refresh::must_wait_for_holder(contended, stored.as_ref(), seen) {
        // The other tab's write comes with a `storage` event: wait for it, bounded.
        events::storage_change(&config.session_key(), refresh::STALE_READ_WAIT_MS as i32).await;
        stored = load_session(config)?;
    }
    let grant = match refresh::start(
        &config.client_id,
        config.client_secret.as_ref(),
        &config.scope,
        stored,
        seen,
        now(),
    ) {
        refresh::Start::Use(token) => return Ok(token.expose().into()),
        refresh::Start::Fail(e) => return Err(e),
        refresh::Start::Grant(g) => g,
    };
    let answer = http::send(
        &grant.endpoint,
        Some(&grant.body),
        None,
        config.http_timeout_ms,
    )
    .await
    .and_then(|r| token::parse_response::<JsValue>(r.status, &r.body));
    let now_stored = load_session(config).ok().flatten();
    match refresh::outcome(answer, &grant, now_stored, now()) {
        refresh::Outcome::Use(token) => Ok(token.expose().into()),
        refresh::Outcome::Keep(e) => Err(e),
        refresh::Outcome::End(e) => {
            expire(config);
            Err(e)
        }
        refresh::Outcome::Store(next, id_token) => {
            // Stored before anything slow: from here on no tab can redeem the rotated-away
            // refresh token, whether the lock is released or stolen.
            store_session(config, &next, SessionEventKind::Refresh);
            let token: String = next.access_token.expose().into();
            let Some(id_token) = id_token else {
                return Ok(token);
            };
            match refreshed_id_token(config, &next, id_token).await {
                Ok(Some(id)) => {
                    let (t, claims) = id;
                    let checked = Session {
                        id_token: Some(t),
                        claims: Some(claims),
                        ..next
                    };
                    // The same tokens, now with the checked ID token: reported already.
                    let key = config.session_key();
                    storage::set_session(config.token_storage.into(), &key, &checked.encode());
                    Ok(token)
                }
                Ok(None) => Ok(token),
                // A refreshed ID token that fails the checks ends the session: whoever
                // answered is not the server, or not about the same user (OIDC Core 12.2).
                Err(e) => {
                    expire(config);
                    Err(e)
                }
            }
        }
    }
}

/// An ID token that came with a refresh, validated as OIDC Core 12.2 asks. Kept only in a
/// session that began with OpenID Connect; a server that sends one to a plain OAuth session
/// has it ignored.
async fn refreshed_id_token(
    config: &Config,
    session: &Session,
    token: Secret,
) -> Result<Option<(Secret, String)>> {
    let Some(original) = refresh::original::<JsValue>(session) else {
        return Ok(None);
    };
    let Some(expected) = refresh::expected(config, session, &original) else {
        return Ok(None);
    };
    let claims = id_token::validate(config, &token, &expected).await?;
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
}

/// The stored session's metadata, or `None` when logged out. Makes no request.
pub fn session_info(config: &ValidConfig) -> Result<Option<SessionInfo>> {
    Ok(load_session(config).ok().flatten().map(|s| SessionInfo {
        expires_at: s.expires_at,
        scope: s.scope.clone(),
        refreshable: s.refresh_token.is_some(),
        refresh_token_withheld: s.refresh_token_withheld(&config.scope),
    }))
}

/// Whether there is a session that can give an access token without the user: a valid
/// access token, or a refresh token. Makes no request.
pub fn is_authenticated(config: &ValidConfig) -> Result<bool> {
    Ok(load_session(config)
        .ok()
        .flatten()
        .is_some_and(|s| matches!(s.access(now(), false), Access::Use(_) | Access::Refresh)))
}

/// The claims of the validated ID token, or `None` when logged out (or when the login was not
/// OpenID Connect). With `userinfo`, the claims of the userinfo endpoint (OIDC Core 5.3) are
/// merged over them, after checking that they are about the same `sub` (5.3.4).
pub async fn get_user(config: &ValidConfig, options: &UserOptions) -> Result<Option<JsValue>> {
    let userinfo = options.userinfo;
    let Some(claims) = load_session(config)
        .ok()
        .flatten()
        .and_then(|s| s.claims)
        .and_then(|c| JsValue::parse(&c))
    else {
        return Ok(None);
    };
    if !userinfo || config.issuer.is_none() {
        return Ok(Some(claims));
    }
    let Some(endpoint) = metadata(config).await?.userinfo_endpoint else {
        return Err(Error::new(
            Code::InvalidConfig,
            t!("The server has no userinfo_endpoint; call getUser without userinfo."),
        ));
    };
    let token = get_access_token(config, &TokenOptions::default()).await?;
    let r = http::send(&endpoint, None, Some(&token), config.http_timeout_ms).await?;
    let info: JsValue = crate::userinfo::parse(r.status, &r.body, &claims)?;
    // Prototype-free: a `__proto__` member of either document stays a plain member instead
    // of becoming the merged object's prototype (Object.assign sets, and `__proto__` has a
    // setter on ordinary objects).
    let merged = super::js_value::dictionary();
    js_sys::Object::assign(&merged, &claims.into());
    js_sys::Object::assign(&merged, &info.into());
    Ok(Some(merged.into()))
}

/// Ends the session: revokes one token (`logout::token_to_revoke`, RFC 7009), clears the
/// stored session, and navigates to the server's logout page (RP-Initiated Logout) when
/// there is one. What happened at the server is the result; a failed revocation is
/// reported there and never keeps the browser from the logout page.
pub async fn logout(config: &ValidConfig, options: &LogoutOptions) -> Result<LogoutResult> {
    let session = load_session(config).ok().flatten();
    let mut error: Option<Error> = None;
    let mut revoked = false;
    // Without metadata there is no revocation, and no logout page unless the options name
    // one: when there was a session to end, that is reported, never passed over as if the
    // server had been told.
    let meta = match &config.issuer {
        Some(_) => match metadata(config).await {
            Ok(m) => Some(m),
            Err(e) => {
                error = session.as_ref().map(|_| e);
                None
            }
        },
        None => None,
    };
    if let (true, Some(s), Some(endpoint)) = (
        options.revoke,
        &session,
        meta.as_ref().and_then(|m| m.revocation_endpoint.as_deref()),
    ) {
        let (token, hint) = logout::token_to_revoke(s);
        let body = logout::revocation_body(&s.client_id, token, hint);
        let failed = match http::send(endpoint, Some(&body), None, config.http_timeout_ms).await {
            Ok(r) => logout::revocation_outcome::<JsValue>(r.status, &r.body),
            Err(e) => Some(e),
        };
        revoked = failed.is_none();
        error = error.or(failed);
    }
    let kept = clear_session(config);
    if session.is_some() {
        events::emit(&config.session_key(), SessionEventKind::Logout, kept);
    }
    // A failed revocation never keeps the browser from the server's logout page: that is
    // what ends the server's session (its cookie), which would otherwise log the user
    // straight back in.
    let endpoint = logout::end_session_endpoint(options, meta.as_ref());
    let mut result = LogoutResult {
        revoked,
        server_logout: false,
        error,
    };
    if let Some(endpoint) = endpoint {
        let mut bytes = [0u8; 32];
        random(&mut bytes)?;
        let state = crate::b64url::encode(&bytes);
        if options.post_logout_redirect_uri.is_some() {
            // Not fatal: without it the return is only reported as a stale login response.
            let record = logout::state_record(now());
            let _ = storage::set(Store::Session, &logout::state_key(&state), &record);
        }
        let url = logout::end_session_url(
            endpoint,
            config,
            session.as_ref().and_then(|s| s.id_token.as_ref()),
            options,
            &state,
        );
        location::assign(&url)?;
        result.server_logout = true;
    }
    Ok(result)
}
