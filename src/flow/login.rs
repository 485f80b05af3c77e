//! `startLogin`: the authorization request (RFC 6749 4.1.1, RFC 7636, OIDC Core 3.1.2.1),
//! its transport (in the URL, or pushed first: RFC 9126), its transaction stored in
//! sessionStorage, and the navigation.

use super::discovery::metadata_if_any;
use super::{dpop, handle_callback, token_endpoint, CallbackResult, Platform, Store};
use crate::authorize::{self, Login, LoginOptions, Server};
use crate::config::Config;
use crate::error::Result;
use crate::login_window::{self, Answer, Shown, Window};
use crate::logout;
use crate::transaction::{self, Transaction};

/// Removes login transactions and logout states of this tab that are too old to be
/// completed, so abandoned logins do not pile up in sessionStorage.
async fn sweep<P: Platform>(p: &P, t: u64) {
    for prefix in [transaction::KEY_PREFIX, logout::STATE_KEY_PREFIX] {
        let Ok(keys) = p.keys(Store::Session, prefix) else {
            continue;
        };
        for key in keys {
            if let Ok(Some(v)) = p.get(Store::Session, &key).await {
                let stale = if prefix == transaction::KEY_PREFIX {
                    Transaction::is_stale(&v, t)
                } else {
                    logout::state_is_stale(&v, t)
                };
                if stale {
                    let _ = p.remove(Store::Session, &key).await;
                }
            }
        }
    }
}

/// Prepares a login: stores the transaction and returns the authorization URL, without
/// navigating. `start_login` is this plus the navigation. One round trip at most (the
/// metadata, when it is not cached); the issuer's keys are fetched by the callback, beside
/// its token request.
pub(crate) async fn prepare_login<P: Platform>(
    p: &P,
    config: &Config,
    options: &LoginOptions,
) -> Result<String> {
    prepare(p, config, options, None)
        .await
        .map(|(url, _, _)| url)
}

/// `prepare_login` for a login shown in `window`; also returns the state and the name of
/// the login's DPoP key pair.
async fn prepare<P: Platform>(
    p: &P,
    config: &Config,
    options: &LoginOptions,
    window: Option<Window>,
) -> Result<(String, String, Option<String>)> {
    let meta = metadata_if_any(p, config).await?;
    let server = Server::of(config, meta.as_ref())?;
    let mut rnd = [[0u8; 32]; 3];
    for r in rnd.iter_mut() {
        p.random(r)?;
    }
    let t = p.now();
    sweep(p, t).await;
    let verifier = crate::pkce::verifier(&rnd[0]);
    let digest = p.sha256(verifier.expose().as_bytes()).await?;
    // DPoP: a new key pair for this login, and its thumbprint in the request (RFC 9449 10),
    // so that the code can only be redeemed with this key. The pair is the login's own,
    // named in its transaction: the live session keeps signing with its pair until this
    // login's session replaces it (review round 2, L8). The pairs of logins that never
    // completed, anywhere in the origin, are swept first.
    let (key, jkt) = match config.dpop {
        true => {
            let idle = t.saturating_sub(crate::dpop::IDLE_SECS);
            p.dpop_sweep(crate::dpop::pending_before(t), idle).await;
            let mut id = [0u8; 32];
            p.random(&mut id)?;
            let name = crate::dpop::key_name(&id);
            let public = dpop::new_key(p, &name).await?;
            (Some(name), Some(dpop::thumbprint(p, &public).await?))
        }
        false => (None, None),
    };
    let stored = async {
        let Login {
            mut transaction,
            request,
            url,
        } = authorize::login(
            config,
            &server,
            options,
            &rnd,
            &digest,
            t,
            jkt.as_deref(),
            window,
        )?;
        transaction.dpop_key = key.clone();
        let url = transport(p, config, &server, &request, url, key.as_deref()).await?;
        // Stored before leaving: if storage fails, the error is shown here, not after a
        // round trip through the server as an inexplicable state_mismatch. In this tab's
        // sessionStorage, or the app's `transactionStorage` (which cannot list its keys: the
        // sweep above does not reach it, and the adapter expires what it keeps).
        p.set(
            config.transaction_store(),
            &Transaction::key(&transaction.state),
            &transaction.encode(),
        )
        .await?;
        Ok((url, transaction.state))
    };
    match stored.await {
        Ok((url, state)) => Ok((url, state, key)),
        Err(e) => {
            forget(p, key.as_deref()).await;
            Err(e)
        }
    }
}

/// Deletes a login's key pair (its login failed or was abandoned).
pub(crate) async fn forget<P: Platform>(p: &P, key: Option<&str>) {
    if let Some(k) = key {
        p.dpop_forget(k).await;
    }
}

/// The authorization-request transport: the parameters travel in the URL the browser goes
/// to, or, when the server takes pushed requests and the app or the server asks for them,
/// they are POSTed to it first (RFC 9126 2) and the URL only names them (`request_uri`):
/// nothing of the login (scope, redirect URI, challenge, state) is in the browser's address,
/// history or the server's access logs, and the server has checked it before the user sees a
/// page (RFC 9700 2.1). The request goes through the token endpoint's choke point: whatever
/// a back-channel request to the server carries (a DPoP proof), this one carries too.
async fn transport<P: Platform>(
    p: &P,
    config: &Config,
    server: &Server<'_>,
    request: &str,
    url: String,
    key: Option<&str>,
) -> Result<String> {
    let Some(endpoint) = server.par_endpoint else {
        return Ok(url);
    };
    let body = authorize::pushed_request(request, config);
    let key = key.unwrap_or_default();
    let r = token_endpoint::send(p, config, endpoint, &body, key).await?;
    let request_uri = authorize::read_pushed_response::<P::Json>(r.status, &r.body)?;
    Ok(authorize::pushed_url(
        server,
        &config.client_id,
        &request_uri,
    ))
}

/// A login in another window: the popup (`loginWithPopup`) or a hidden iframe with
/// `prompt=none` (silent login). The response its redirect page hands back is completed here
/// with every check of `handleCallback`; a window that gives up leaves no transaction.
pub(crate) async fn login_elsewhere<P: Platform>(
    p: &P,
    config: &Config,
    options: &LoginOptions,
    shown: Shown,
) -> Result<CallbackResult> {
    let window = shown.window;
    let (url, state, key) = prepare(p, config, options, Some(window)).await?;
    let error = match p.show_elsewhere(&url, &shown, &state).await {
        // The response handed over must be this login's own (its URL's `state`, not only
        // the message's): another login of this page would otherwise be completed by it
        // (review round 2, I7).
        Answer::Response(response)
            if crate::callback::parse(&response, config.response_mode)
                .is_ok_and(|cb| cb.state == state) =>
        {
            return handle_callback(p, config, Some(&response)).await
        }
        Answer::Response(_) => crate::callback::refused(t!(
            "The login window handed over another login's response: nothing sent."
        )),
        Answer::Blocked => login_window::blocked(),
        Answer::Closed => Window::closed(),
        Answer::TimedOut => window.timed_out(),
    };
    let _ = p
        .remove(config.transaction_store(), &Transaction::key(&state))
        .await;
    forget(p, key.as_deref()).await;
    Err(error)
}

/// A silent login (OIDC Core 3.1.2.1 `prompt=none`) in a hidden iframe: the server answers
/// from its own session (its cookie), without showing anything; `login_required`,
/// `interaction_required` or `consent_required` when it cannot. The server's cookie is a
/// third-party cookie in the iframe: browsers that block those make this fail whenever the
/// server is on another site than the app.
pub(crate) async fn silent_login<P: Platform>(
    p: &P,
    config: &Config,
    timeout_ms: Option<u32>,
) -> Result<CallbackResult> {
    let options = LoginOptions {
        prompt: Some("none".into()),
        ..LoginOptions::default()
    };
    // No loop: after SILENT_TRIES failures in a row the same way, not tried again until a
    // login succeeds in this tab (`callback::complete` clears the count).
    let key = login_window::failures_key(&config.session_key());
    let record = p.get(Store::Session, &key).await.ok().flatten();
    if let Some(e) = login_window::stopped(record.as_deref()) {
        return Err(e);
    }
    let r = login_elsewhere(p, config, &options, Shown::iframe(timeout_ms)).await;
    if let Err(e) = &r {
        let counted = login_window::failed(record.as_deref(), e.code);
        let _ = p.set(Store::Session, &key, &counted).await;
    }
    r
}

/// Starts a login: stores the transaction in sessionStorage and navigates to the
/// authorization endpoint.
pub(crate) async fn start_login<P: Platform>(
    p: &P,
    config: &Config,
    options: &LoginOptions,
) -> Result<()> {
    let url = prepare_login(p, config, options).await?;
    p.assign(&url)
}
