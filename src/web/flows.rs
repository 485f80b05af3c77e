//! The three flows, driving the sans-IO core with the browser's I/O. This is also the Rust
//! API for Leptos, Yew and Dioxus apps: the JavaScript exports are thin wrappers over it.

use super::flight::Flights;
use super::storage::{self, Store};
use super::{http, location, now, random};
use crate::authorize::{self, LoginOptions};
use crate::callback::{self, ResponseMode};
use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::logout::{self, LogoutOptions};
use crate::metadata::{self, Metadata};
use crate::session::{Next, Session};
use crate::token;
use crate::transaction::{self, Transaction};
use wasm_bindgen::JsValue;

/// What `handleCallback` resolves to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CallbackResult {
    /// The `returnTo` given to `startLogin`, if any: a same-origin path.
    pub return_to: Option<String>,
    /// The scope the server granted, when it said (it may be narrower than the one asked).
    pub scope: Option<String>,
}

thread_local! {
    static CALLBACKS: Flights<CallbackResult> = Flights::new(true);
    static REFRESHES: Flights<String> = Flights::new(false);
    /// The URL this page replaced a callback URL with, and the state of that callback: a
    /// second `handleCallback` after the first finished gets the same result.
    static CLEANED: std::cell::RefCell<Option<(String, String)>> = const { std::cell::RefCell::new(None) };
}

/// The server's metadata: from the sessionStorage cache while fresh, else fetched (OIDC
/// Discovery 4) and cached. A cache that cannot be written is no error: it only costs a
/// round trip next time.
async fn metadata(config: &Config, issuer: &str) -> Result<Metadata> {
    let key = metadata::cache_key(issuer);
    let t = now();
    if let Ok(Some(cached)) = storage::get(Store::Session, &key) {
        if let Some(m) = Metadata::decode(&cached).filter(|m| m.issuer == issuer && m.is_fresh(t)) {
            return Ok(m);
        }
    }
    let r = http::send(
        &metadata::discovery_url(issuer),
        None,
        config.http_timeout_ms,
    )
    .await?;
    let m = Metadata::parse::<JsValue>(issuer, r.status, &r.body, t)?;
    let _ = storage::set(Store::Session, &key, &m.encode());
    Ok(m)
}

/// The authorization and token endpoints: from the config, or discovered.
async fn endpoints(config: &Config) -> Result<(String, String)> {
    match (
        &config.authorization_endpoint,
        &config.token_endpoint,
        &config.issuer,
    ) {
        (Some(a), Some(t), _) => Ok((a.clone(), t.clone())),
        (a, t, Some(issuer)) => {
            let m = metadata(config, issuer).await?;
            Ok((
                a.clone().unwrap_or(m.authorization_endpoint),
                t.clone().unwrap_or(m.token_endpoint),
            ))
        }
        // Config::from_json refuses this combination.
        _ => Err(Error::new(
            Code::InvalidConfig,
            "Give issuer (for discovery), or both authorizationEndpoint and tokenEndpoint.",
        )),
    }
}

/// Removes login transactions of this tab that are too old to be completed, so abandoned
/// logins do not pile up in sessionStorage.
fn sweep_transactions(t: u64) {
    if let Ok(keys) = storage::keys_with_prefix(Store::Session, transaction::KEY_PREFIX) {
        for key in keys {
            let stale = match storage::get(Store::Session, &key) {
                Ok(Some(v)) => Transaction::decode(&v).is_none_or(|tx| tx.is_expired(t)),
                _ => false,
            };
            if stale {
                let _ = storage::remove(Store::Session, &key);
            }
        }
    }
}

/// Prepares a login: stores the transaction and returns the authorization URL, without
/// navigating. `start_login` is this plus the navigation.
pub(crate) async fn prepare_login(config: &Config, options: &LoginOptions) -> Result<String> {
    let (authorization_endpoint, token_endpoint) = endpoints(config).await?;
    let mut rnd = [[0u8; 32]; 3];
    for r in rnd.iter_mut() {
        random(r)?;
    }
    let t = now();
    sweep_transactions(t);
    let login = authorize::login(
        config,
        &authorization_endpoint,
        &token_endpoint,
        options,
        &rnd,
        t,
    )?;
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
pub async fn start_login(config: &Config, options: &LoginOptions) -> Result<()> {
    let url = prepare_login(config, options).await?;
    location::assign(&url)
}

/// Completes a login on the redirect URI: checks the response, redeems the code once, stores
/// the session, and removes the response parameters from the address bar. `url` defaults to
/// `location.href`.
pub async fn handle_callback(config: &Config, url: Option<&str>) -> Result<CallbackResult> {
    let current = location::href().ok();
    let href = match url.map(str::to_owned).or_else(|| current.clone()) {
        Some(h) => h,
        None => {
            return Err(Error::new(
                Code::InvalidCallback,
                "There is no URL to read the callback from.",
            ))
        }
    };
    let mode = ResponseMode::Query;
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
    let flights = CALLBACKS.with(Flights::clone);
    let clean = current.as_deref() == Some(href.as_str());
    let key = state.clone();
    flights
        .run(&key, || async move {
            // Taken out of storage before the first await: whatever happens next, this
            // code is redeemed at most once (RFC 6749 4.1.2: codes are single-use).
            let stored = storage::take(Store::Session, &Transaction::key(&cb.state))?;
            let tx = stored.as_deref().and_then(Transaction::decode);
            let result = redeem(config, cb, tx.as_ref()).await;
            if clean {
                if let Some(cleaned) = callback::cleaned_url(&href, mode) {
                    location::replace(&cleaned);
                    CLEANED.with_borrow_mut(|c| *c = Some((cleaned, state.clone())));
                }
            }
            result
        })
        .await
}

async fn redeem(
    config: &Config,
    cb: callback::Callback,
    tx: Option<&Transaction>,
) -> Result<CallbackResult> {
    let (code, tx) = cb.into_code(tx, now())?;
    let body = token::code_grant(tx, &code);
    let r = http::send(&tx.token_endpoint, Some(&body), config.http_timeout_ms).await?;
    let tokens = token::parse_response::<JsValue>(r.status, &r.body)?;
    let session = Session::from_response(tokens, now(), &tx.token_endpoint, &tx.client_id, None);
    storage::set(
        config.token_storage.into(),
        &config.session_key(),
        &session.encode(),
    )?;
    Ok(CallbackResult {
        return_to: tx.return_to.clone(),
        scope: session.scope.clone(),
    })
}

/// The stored session of this config, if any and readable.
fn load_session(config: &Config) -> Result<Option<Session>> {
    Ok(
        storage::get(config.token_storage.into(), &config.session_key())?
            .as_deref()
            .and_then(Session::decode),
    )
}

fn clear_session(config: &Config) {
    let _ = storage::remove(config.token_storage.into(), &config.session_key());
}

fn login_required(description: &'static str) -> Error {
    Error::new(Code::LoginRequired, description)
}

/// An access token valid for more than 30 seconds: the stored one, or a refreshed one.
/// Concurrent calls in a page share one refresh request.
pub async fn get_access_token(config: &Config, force_refresh: bool) -> Result<String> {
    let Some(session) = load_session(config)? else {
        return Err(login_required("There is no session: log in first."));
    };
    match session.next(now(), force_refresh) {
        Next::Use => return Ok(session.access_token.expose().into()),
        Next::Refresh => {}
        Next::LoginRequired if force_refresh => {
            return Err(login_required(
                "There is no refresh token: log in again to get a new access token.",
            ))
        }
        Next::LoginRequired => {
            clear_session(config);
            return Err(login_required(
                "The access token expired and there is no refresh token.",
            ));
        }
    }
    let key = config.session_key();
    let flights = REFRESHES.with(Flights::clone);
    flights.run(&key, || refresh(config)).await
}

async fn refresh(config: &Config) -> Result<String> {
    // Read again inside the flight: another caller may have refreshed in the meantime.
    let Some(session) = load_session(config)? else {
        return Err(login_required("There is no session: log in first."));
    };
    let Some(refresh_token) = session.refresh_token.clone() else {
        return Err(login_required("There is no refresh token."));
    };
    let body = token::refresh_grant(&session.client_id, &refresh_token);
    let r = http::send(&session.token_endpoint, Some(&body), config.http_timeout_ms).await?;
    match token::parse_response::<JsValue>(r.status, &r.body) {
        Ok(tokens) => {
            let next = Session::from_response(
                tokens,
                now(),
                &session.token_endpoint,
                &session.client_id,
                Some(&session),
            );
            storage::set(
                config.token_storage.into(),
                &config.session_key(),
                &next.encode(),
            )?;
            Ok(next.access_token.expose().into())
        }
        // The server refused the refresh token (RFC 6749 5.2: expired, revoked, or
        // rotated away): the session is over.
        Err(e) if e.status.is_some_and(|s| (400..500).contains(&s)) && e.error.is_some() => {
            clear_session(config);
            Err(Error {
                code: Code::LoginRequired,
                ..e
            })
        }
        // A network failure or a 5xx says nothing about the session: keep it.
        Err(e) => Err(e),
    }
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
}

/// The stored session's metadata, or `None` when logged out. Makes no request.
pub fn session_info(config: &Config) -> Result<Option<SessionInfo>> {
    Ok(load_session(config)?.map(|s| SessionInfo {
        expires_at: s.expires_at,
        scope: s.scope.clone(),
        refreshable: s.refresh_token.is_some(),
    }))
}

/// Ends the session: revokes the refresh token, then the access token (RFC 7009), clears the
/// stored session, and navigates to the server's `end_session_endpoint` (RP-Initiated Logout)
/// when it has one; otherwise resolves. A failed revocation still clears the session and is
/// reported as the rejection, without navigating, so the app can tell the user.
pub async fn logout(config: &Config, options: &LogoutOptions) -> Result<()> {
    let session = load_session(config).ok().flatten();
    let mut failure: Option<Error> = None;
    // Without metadata there is neither revocation nor the server's logout: when there was a
    // session to end, that is reported (after the local session is cleared), never passed
    // over as if the server had been told.
    let meta = match &config.issuer {
        Some(issuer) => match metadata(config, issuer).await {
            Ok(m) => Some(m),
            Err(e) => {
                failure = session.as_ref().map(|_| e);
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
        // The refresh token first: revoking it usually revokes the grant's access tokens too.
        let tokens = [
            (s.refresh_token.as_ref(), "refresh_token"),
            (Some(&s.access_token), "access_token"),
        ];
        for (token, hint) in tokens {
            let Some(token) = token else { continue };
            let body = logout::revocation_body(&s.client_id, token, hint);
            // RFC 7009 2.2: a 200 is success whatever its body and content type.
            let outcome = match http::send(endpoint, Some(&body), config.http_timeout_ms).await {
                Ok(r) if r.status == 200 => None,
                Ok(r) => Some(token::http_error::<JsValue>(r.status, &r.body)),
                Err(e) => Some(e),
            };
            failure = failure.or(outcome);
        }
    }
    clear_session(config);
    if let Some(e) = failure {
        return Err(e);
    }
    if let Some(endpoint) = meta
        .as_ref()
        .and_then(|m| m.end_session_endpoint.as_deref())
    {
        let url = logout::end_session_url(
            endpoint,
            config,
            session.as_ref().and_then(|s| s.id_token.as_ref()),
            options,
        );
        return location::assign(&url);
    }
    Ok(())
}
