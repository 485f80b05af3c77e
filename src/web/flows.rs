//! The flows in this page (`crate::flow` over the `Browser` platform). This is the Rust API
//! for Leptos, Yew and Dioxus apps; the JavaScript exports are thin wrappers over it.

use super::platform::Browser;
use super::storage::{self, Store};
use crate::authorize::LoginOptions;
use crate::config::ValidConfig;
use crate::error::Result;
use crate::flow::{self, Platform};
use crate::logout::{LogoutOptions, LogoutResult};
use crate::secret::Secret;
use crate::session::{Access, TokenOptions};
use crate::userinfo::UserOptions;
pub use flow::{CallbackResult, SessionInfo};
use wasm_bindgen::{JsCast, JsValue};

/// Prepares a login: stores the transaction and returns the authorization URL, without
/// navigating (the browser tests use it).
#[cfg(test)]
pub(crate) async fn prepare_login(config: &ValidConfig, options: &LoginOptions) -> Result<String> {
    flow::prepare_login(&Browser, config, options).await
}

/// The page came back (online, visible again, restored): the core decides whether the
/// session of `config` needs its refresh now (`flow::come_back`).
pub(crate) async fn come_back(config: &ValidConfig) {
    flow::come_back(&Browser, config).await
}

/// Arms the timer of the stored session of `config`, if any (a new subscription).
pub(crate) async fn watch(config: &ValidConfig) {
    flow::watch(&Browser, config).await
}

/// Arms the expiry timer of `session` (the browser tests use it).
#[cfg(test)]
pub(crate) fn arm_expiry(config: &ValidConfig, session: &crate::session::Session) {
    flow::arm_expiry(&Browser, config, session)
}

/// Starts a login: stores the transaction in sessionStorage and navigates to the
/// authorization endpoint. Resolves just before the page unloads.
pub async fn start_login(config: &ValidConfig, options: &LoginOptions) -> Result<()> {
    flow::start_login(&Browser, config, options).await
}

/// Logs in through a popup: opens it now (call this from a click handler, before any
/// await, or the browser blocks it), shows the server's login page there, and completes the
/// login on this page when the popup's redirect page (which calls `handle_callback`) hands
/// the response back. `popup_closed` when the user closes it, `timeout` after `timeout_ms`
/// (default 5 minutes), `popup_blocked` when the browser refused to open it.
/// `abort_on_close`: whether a popup that reads closed ends the login (`popup_closed`); pass
/// false for a server whose pages send `Cross-Origin-Opener-Policy: same-origin` (Entra ID),
/// which makes the popup read closed while the user is still logging in: the login then
/// waits for the response until `timeout_ms`.
pub async fn login_with_popup(
    config: &ValidConfig,
    options: &LoginOptions,
    timeout_ms: Option<u32>,
    abort_on_close: bool,
) -> Result<CallbackResult> {
    let popup = super::login_window::open_popup();
    with_popup(config, options, timeout_ms, abort_on_close, popup).await
}

/// `login_with_popup` with a popup the caller opened (the package entry opens it before
/// loading anything). The popup is closed and forgotten however the login ends.
pub(crate) async fn with_popup(
    config: &ValidConfig,
    options: &LoginOptions,
    timeout_ms: Option<u32>,
    abort_on_close: bool,
    popup: JsValue,
) -> Result<CallbackResult> {
    use crate::login_window::Shown;
    let id = super::login_window::keep_popup(popup.clone());
    let shown = Shown::popup(id, timeout_ms, abort_on_close);
    let r = flow::login_elsewhere(&Browser, config, options, shown).await;
    super::login_window::forget_popup(id);
    if let Some(w) = popup.dyn_ref::<web_sys::Window>() {
        let _ = w.close();
    }
    r
}

/// A silent login: the authorization request with `prompt=none` in a hidden iframe, answered
/// from the server's own session. `login_required`, `interaction_required` or
/// `consent_required` when the server needs the user; `timeout` after `timeout_ms` (default
/// 10 s). Needs the server's cookie in a third-party iframe: see the README.
pub async fn login_silently(
    config: &ValidConfig,
    timeout_ms: Option<u32>,
) -> Result<CallbackResult> {
    flow::silent_login(&Browser, config, timeout_ms).await
}

/// Completes a login on the redirect URI: checks the response, redeems the code once, stores
/// the session, and removes the response parameters from the address bar. `url` defaults to
/// `location.href`.
pub async fn handle_callback(config: &ValidConfig, url: Option<&str>) -> Result<CallbackResult> {
    flow::handle_callback(&Browser, config, url).await
}

/// An access token valid for more than 30 seconds: the stored one, or a refreshed one.
/// Concurrent calls in a page share one refresh request.
pub async fn get_access_token(config: &ValidConfig, options: &TokenOptions) -> Result<String> {
    flow::get_access_token(&Browser, config, options).await
}

/// The stored session's metadata, or `None` when logged out. Makes no request.
pub async fn session_info(config: &ValidConfig) -> Result<Option<SessionInfo>> {
    flow::session_info(&Browser, config).await
}

/// Whether there is a session that can give an access token without the user: a valid
/// access token, or a refresh token. Makes no request.
pub async fn is_authenticated(config: &ValidConfig) -> Result<bool> {
    flow::is_authenticated(&Browser, config).await
}

/// The claims of the validated ID token, or `None` when logged out (or when the login was not
/// OpenID Connect). With `userinfo`, the claims of the userinfo endpoint (OIDC Core 5.3) are
/// merged over them, after checking that they are about the same `sub` (5.3.4); the protocol
/// claims (`iss`, `aud`, `tid`, `exp`, `acr`, ...) stay the ID token's.
pub async fn get_user(config: &ValidConfig, options: &UserOptions) -> Result<Option<JsValue>> {
    let Some((claims, info)) = flow::get_user(&Browser, config, options).await? else {
        return Ok(None);
    };
    let Some(info) = info else {
        return Ok(Some(claims));
    };
    // The core says which userinfo members go over the ID token's (`userinfo::over_id_token`).
    // Prototype-free: a `__proto__` member of either document stays a plain member instead
    // of becoming the merged object's prototype (Object.assign sets, and `__proto__` has a
    // setter on ordinary objects).
    let merged = super::js_value::dictionary();
    js_sys::Object::assign(&merged, &claims.into());
    for (name, value) in crate::userinfo::over_id_token(&info) {
        let _ = js_sys::Reflect::set(&merged, &JsValue::from_str(&name), &value);
    }
    Ok(Some(merged.into()))
}

/// `get_user`'s claims read into a type (the `serde` feature): [`crate::IdTokenClaims`], or
/// the app's own. `None` when logged out.
///
/// ```ignore
/// let user: Option<spa_oauth::IdTokenClaims> =
///     spa_oauth::get_user_claims(&config, &Default::default()).await?;
/// ```
#[cfg(feature = "serde")]
pub async fn get_user_claims<T: serde::de::DeserializeOwned>(
    config: &ValidConfig,
    options: &UserOptions,
) -> Result<Option<T>> {
    let Some(user) = get_user(config, options).await? else {
        return Ok(None);
    };
    // The browser wrote this object from JSON text; it serialises back to JSON text.
    let text = js_sys::JSON::stringify(&user)
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    crate::claims::claims_from_json(&text).map(Some)
}

/// The headers that authorize an API request of `method` to `url` (an absolute URL on this
/// page's origin or one of `api_origins`): `Authorization: Bearer <token>`, or for a DPoP
/// session `Authorization: DPoP <token>` and a `DPoP` proof for this request. The token is
/// refreshed first when it expires within 30 seconds. A DPoP proof names one request: make
/// new headers for each.
pub async fn authorization_headers(
    config: &ValidConfig,
    method: &str,
    url: &str,
) -> Result<Vec<(&'static str, String)>> {
    let h = flow::authorize_request(&Browser, config, method, url, None).await?;
    let mut out = Vec::new();
    if let Some(h) = h {
        out.push(("authorization", h.authorization));
        if let Some(p) = h.dpop {
            out.push(("dpop", p));
        }
    }
    Ok(out)
}

/// Ends the session: revokes one token (RFC 7009), clears the stored session, and navigates
/// to the server's logout page (RP-Initiated Logout) when there is one. What happened at the
/// server is the result; a failed revocation is reported there and never keeps the browser
/// from the logout page.
pub async fn logout(config: &ValidConfig, options: &LogoutOptions) -> Result<LogoutResult> {
    flow::logout(&Browser, config, options).await
}

/// The stored access token, while `get_access_token` would return it as it is, with what
/// tells that this still holds without asking again: the last moment it does (milliseconds
/// since the epoch, as `Date.now()`), where the session is kept, under which key and as
/// which text, and the count of this page's session writes. The package entry keeps this to
/// answer `getAccessToken` without entering the wasm (see pkg-template/index.js).
pub(crate) struct Usable {
    pub token: Secret,
    pub until_ms: f64,
    pub store: Store,
    pub key: String,
    pub text: JsValue,
    pub writes: u32,
}

pub(crate) fn usable_token(config: &ValidConfig) -> Option<Usable> {
    let key = config.session_key();
    let store = flow::store_of(&Browser, config.token_storage.into(), &key);
    let text = match store {
        Store::Memory => JsValue::from_str(&flow::read_memory(
            &Browser,
            config.token_storage.into(),
            &key,
        )?),
        // The app's adapter cannot be read without a promise: no fast path, every call
        // asks the wasm, which asks the adapter.
        Store::Custom(_) => return None,
        area => storage::get_raw(area, &key)?,
    };
    let session = crate::session::Session::decode(&text.as_string()?)?;
    let Access::Use(token) = session.access(Browser.now(), false) else {
        return None;
    };
    Some(Usable {
        token,
        until_ms: session.usable_until_ms(),
        store,
        key,
        text,
        writes: writes(),
    })
}

/// A number that changes whenever this page writes or removes a session, wherever it goes
/// (storage, memory, or from one to the other). What other tabs or the app write to storage
/// changes the stored text instead; together they tell the package entry that a session it
/// read earlier is still the one stored (`getAccessToken`'s fast path).
pub(crate) fn writes() -> u32 {
    Browser.state().writes.get()
}
