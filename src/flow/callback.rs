//! `handleCallback`: the authorization response checked (`crate::callback`), the code
//! redeemed once, the ID token validated, the session stored, the address bar cleaned.

use super::{discovery, join, sessions, token_endpoint, verify, Platform, Store};
use crate::callback;
use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::login_window;
use crate::logout;
use crate::session::Session;
use crate::session_event::SessionEventKind;
use crate::token;
use crate::transaction::Transaction;

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
    /// This page is the popup or the hidden iframe of a login another page started
    /// (`loginWithPopup`, silent login): the response was handed to that page, which
    /// completes the login and closes this window. Nothing is left to do here.
    pub handed_over: bool,
}

/// Completes a login on the redirect URI: checks the response, redeems the code once, stores
/// the session, and removes the response parameters from the address bar. `url` defaults to
/// the page's address.
pub(crate) async fn handle_callback<P: Platform>(
    p: &P,
    config: &Config,
    url: Option<&str>,
) -> Result<CallbackResult> {
    let current = p.href();
    let Some(href) = url.map(str::to_owned).or_else(|| current.clone()) else {
        return Err(Error::new(
            Code::InvalidCallback,
            t!("There is no URL to read the callback from."),
        ));
    };
    let mode = config.response_mode;
    let flights = p.state().callbacks.clone();
    let cb = match callback::parse(&href, mode) {
        Ok(cb) => cb,
        Err(e) => {
            // The same page calling again after the first call cleaned the URL.
            let again = p
                .state()
                .cleaned
                .borrow()
                .as_ref()
                .filter(|(u, _)| *u == href)
                .map(|(_, s)| s.clone());
            return match again {
                Some(state) if flights.has(&state) => {
                    flights.run(&state, || async { Err(e) }).await
                }
                _ => Err(e),
            };
        }
    };
    let state = cb.state.clone();
    let clean = current.as_deref() == Some(href.as_str());
    // The redirect page inside a login window: the login is the page's that opened it, which
    // redeems the code with its own transaction; this page only hands the response over,
    // and only at the redirect URI (any other page of the app is no redirect page: review
    // round 2, I7).
    if clean
        && login_window::of_state(&state).is_some()
        && crate::url::same_page(&href, &config.redirect_uri)
    {
        p.hand_over(&state, &href);
        return Ok(CallbackResult {
            return_to: None,
            scope: None,
            logged_out: false,
            handed_over: true,
        });
    }
    // The way back from the server's logout page (RP-Initiated Logout 3): its state is one
    // this tab sent with `logout`, and there is nothing to redeem.
    if let Ok(Some(_)) = take(p, Store::Session, logout::state_key(&state), 0).await {
        if let Some(cleaned) = callback::cleaned_url(&href, mode).filter(|_| clean) {
            p.replace(&cleaned);
        }
        return Ok(CallbackResult {
            return_to: None,
            scope: None,
            logged_out: true,
            handed_over: false,
        });
    }
    flights
        .run(&state.clone(), || async move {
            // Taken out of storage before the first await: whatever happens next, this
            // code is redeemed at most once (RFC 6749 4.1.2: codes are single-use).
            let key = Transaction::key(&cb.state);
            let stored = take(p, config.transaction_store(), key, config.http_timeout_ms).await?;
            // The address bar is cleaned before the first request, so that nothing else
            // that runs meanwhile (an analytics snippet, an error reporter) reads the code
            // from it (RFC 9700 4.2.4). The transaction is consumed already: a reload now
            // could not redeem the code anyway.
            if let Some(cleaned) = callback::cleaned_url(&href, mode).filter(|_| clean) {
                p.replace(&cleaned);
                *p.state().cleaned.borrow_mut() = Some((cleaned, state));
            }
            redeem(p, config, cb, stored.as_deref()).await
        })
        .await
}

/// Reads and removes a stored value, at most once. sessionStorage answers at once and
/// belongs to this tab: nothing runs between the read and the removal. The app's adapter
/// may take time and may be shared by the origin's tabs (a callback URL opened twice): there
/// the read and the removal hold the cross-tab lock of the key, so that two callbacks never
/// both read the transaction, and the code is redeemed at most once (RFC 6749 4.1.2, 10.5).
/// The lock is taken from a holder only after `wait_ms` twice over plus a minute: an adapter
/// that slow is broken, and a tab frozen that long is gone.
async fn take<P: Platform>(
    p: &P,
    store: Store,
    key: String,
    wait_ms: u32,
) -> Result<Option<String>> {
    // "" for nothing stored (a stored value is never empty): the lock then runs work of the
    // type the refresh lock runs, and its code is compiled once (1.1 KB of wasm).
    async fn read_and_remove<P: Platform>(p: &P, store: Store, key: &str) -> Result<String> {
        let v = p.get(store, key).await?;
        if v.is_some() {
            p.remove(store, key).await?;
        }
        Ok(v.unwrap_or_default())
    }
    let v = if matches!(store, Store::Custom(_)) {
        let mut name = String::from("spa-oauth:take:");
        name.push_str(&key);
        let p2 = p.clone();
        let steal = wait_ms.saturating_mul(2).saturating_add(60_000);
        p.with_lock(
            &name,
            steal,
            super::lock_work(move |_| async move { read_and_remove(&p2, store, &key).await }),
        )
        .await
    } else {
        read_and_remove(p, store, &key).await
    };
    Ok(Some(v?).filter(|v| !v.is_empty()))
}

/// Redeems the code of a taken transaction. A login that fails here deletes its DPoP key
/// pair: nothing will ever sign with it (review round 2, L8).
async fn redeem<P: Platform>(
    p: &P,
    config: &Config,
    cb: callback::Callback,
    stored: Option<&str>,
) -> Result<CallbackResult> {
    let key = stored
        .and_then(Transaction::decode)
        .and_then(|tx| tx.dpop_key);
    let r = complete(p, config, cb, stored).await;
    if r.is_err() {
        super::login::forget(p, key.as_deref()).await;
    }
    r
}

async fn complete<P: Platform>(
    p: &P,
    config: &Config,
    cb: callback::Callback,
    stored: Option<&str>,
) -> Result<CallbackResult> {
    let (code, tx, iss) = cb.into_code(stored, config, p.now())?;
    let body = token::code_grant(&tx, &code, config.client_secret.as_ref());
    // A transaction stored before pairs were per login: the pair under the session key.
    let key = tx.dpop_key.clone().unwrap_or_else(|| config.session_key());
    let request = token_endpoint::tokens(p, config, &tx.token_endpoint, &body, &key);
    // An OpenID Connect login needs the issuer's keys for its ID token: fetched (or read from
    // the cache) while the token request is in flight, so the callback costs one round trip
    // and startLogin none for the keys. Their address comes from the metadata this tab cached
    // at startLogin; without it (or when this fails) the ID token's check fetches both.
    let jwks_uri = discovery::cached(p, config)
        .await
        .and_then(|m| m.jwks_uri)
        .filter(|_| tx.nonce.is_some());
    let keys = async {
        if let Some(uri) = &jwks_uri {
            let _ = discovery::jwks(p, config, uri, false).await;
        }
    };
    let (r, ()) = join::both(request, keys).await;
    let mut tokens = r?;
    let id = match crate::id_token::for_login(&tx, config, tokens.id_token.take(), iss.as_deref())?
    {
        Some((token, expected)) => {
            let claims = verify::validate(p, config, &token, &expected).await?;
            Some((token, claims))
        }
        None => None,
    };
    let session = Session {
        dpop_key: tx.dpop_key.clone(),
        ..Session::from_response(tokens, id, p.now(), &tx.token_endpoint, &tx.client_id, None)
    };
    // The session this one replaces: its key pair is deleted once this one is stored, and
    // not before (a login that fails leaves the live session as it was).
    let replaced = match config.dpop {
        true => sessions::load(p, config).await.ok().flatten(),
        false => None,
    };
    if session.dpop {
        p.dpop_adopt(&key).await;
    }
    sessions::store(p, config, &session, SessionEventKind::Login).await;
    // A login succeeded: silent logins may be tried again (`login_window::stopped`).
    let failures = login_window::failures_key(&config.session_key());
    let _ = p.remove(Store::Session, &failures).await;
    if let Some(old) = replaced.filter(|s| s.dpop) {
        let old = super::dpop::key_of(&old, config);
        if old != key {
            p.dpop_forget(&old).await;
        }
    }
    Ok(CallbackResult {
        return_to: tx.return_to.clone(),
        scope: session.scope.clone(),
        logged_out: false,
        handed_over: false,
    })
}
