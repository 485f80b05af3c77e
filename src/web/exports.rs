//! The wasm-bindgen exports. The hand-written package entry (pkg-template/index.js) wraps
//! them: it loads the wasm lazily and turns the plain error objects made here into
//! `AuthError` instances.

use super::{events, flows, promise};
use crate::authorize::LoginOptions;
use crate::config::{Config, TokenStorage, ValidConfig};
use crate::error::Error;
use crate::json::{self, Json};
use crate::logout::LogoutOptions;
use crate::session::TokenOptions;
use crate::userinfo::UserOptions;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// A storage as the package's types name it (`SessionChangeEvent.storage`).
fn storage_name(storage: TokenStorage) -> &'static str {
    match storage {
        TokenStorage::Session => "session",
        TokenStorage::Local => "local",
        TokenStorage::Memory => "memory",
        TokenStorage::Custom(_) => "custom",
    }
}

fn opt(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// `{ code, description, error?, errorDescription?, errorUri?, status? }`.
fn to_js(e: Error) -> JsValue {
    let obj = Object::new();
    set(&obj, "code", &JsValue::from_str(e.code.as_str()));
    set(
        &obj,
        "description",
        &JsValue::from_str(e.description.as_str()),
    );
    if let Some(error) = &e.error {
        set(&obj, "error", &JsValue::from_str(error));
        if let crate::error::Text::Server(d) = &e.description {
            set(&obj, "errorDescription", &JsValue::from_str(d));
        }
    }
    if let Some(uri) = &e.error_uri {
        set(&obj, "errorUri", &JsValue::from_str(uri));
    }
    if let Some(status) = e.status {
        set(&obj, "status", &JsValue::from(status));
    }
    obj.into()
}

/// An optional boolean member of an options object (false when absent).
fn bool_option(options: &JsValue, key: &str, wrong: &'static str) -> Result<bool, JsValue> {
    match options.get(key).filter(|v| !Json::is_null(v)) {
        None => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| to_js(Error::new(crate::error::Code::InvalidConfig, wrong))),
    }
}

fn config(value: &JsValue) -> Result<ValidConfig, JsValue> {
    let mut config = Config::from_json(value).map_err(to_js)?;
    super::storage_adapter::attach(&mut config, value).map_err(to_js)?;
    Ok(config)
}

#[wasm_bindgen(js_name = startLogin)]
pub fn start_login(config_js: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let config = config(&config_js)?;
        let options = LoginOptions::from_json(Some(&options)).map_err(to_js)?;
        flows::start_login(&config, &options).await.map_err(to_js)?;
        Ok(JsValue::UNDEFINED)
    }))
}

#[wasm_bindgen(js_name = handleCallback)]
pub fn handle_callback(config_js: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(handle_callback_job(config_js, options)))
}

async fn handle_callback_job(config_js: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let config = config(&config_js)?;
    let url = json::opt_string(&options, "url").map_err(|_| {
        to_js(Error::new(
            crate::error::Code::InvalidConfig,
            t!("url must be a string."),
        ))
    })?;
    let r = flows::handle_callback(&config, url.as_deref())
        .await
        .map_err(to_js)?;
    Ok(callback_result(r))
}

/// `{ returnTo, scope, loggedOut, handedOver }`.
fn callback_result(r: flows::CallbackResult) -> JsValue {
    let obj = Object::new();
    set(&obj, "returnTo", &opt(r.return_to.as_deref()));
    set(&obj, "scope", &opt(r.scope.as_deref()));
    set(&obj, "loggedOut", &JsValue::from(r.logged_out));
    set(&obj, "handedOver", &JsValue::from(r.handed_over));
    obj.into()
}

/// `timeoutMs` of an options object, when given (the core's rule: `login_window::timeout_ms`).
fn timeout_option(options: &JsValue) -> Result<Option<u32>, JsValue> {
    match options.get("timeoutMs").filter(|v| !Json::is_null(v)) {
        None => Ok(None),
        Some(v) => crate::login_window::timeout_ms(v.as_f64().unwrap_or(f64::NAN))
            .map(Some)
            .map_err(to_js),
    }
}

/// `popup`: the window the package entry opened at the user's click (or null).
#[wasm_bindgen(js_name = loginWithPopup)]
pub fn login_with_popup(config_js: JsValue, options: JsValue, popup: JsValue) -> Promise {
    promise(Box::pin(async move {
        let config = config(&config_js)?;
        let login = LoginOptions::from_json(Some(&options)).map_err(to_js)?;
        let timeout = timeout_option(&options)?;
        let keep_waiting = t!("abortOnClose must be a boolean.");
        let abort_on_close = match options.get("abortOnClose").filter(|v| !Json::is_null(v)) {
            None => true,
            Some(_) => bool_option(&options, "abortOnClose", keep_waiting)?,
        };
        let r = flows::with_popup(&config, &login, timeout, abort_on_close, popup)
            .await
            .map_err(to_js)?;
        Ok(callback_result(r))
    }))
}

#[wasm_bindgen(js_name = loginSilently)]
pub fn login_silently(config_js: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let config = config(&config_js)?;
        let timeout = timeout_option(&options)?;
        let r = flows::login_silently(&config, timeout)
            .await
            .map_err(to_js)?;
        Ok(callback_result(r))
    }))
}

/// Resolves to `[token]`, or, when the token is the stored one and usable as it is
/// (`flows::usable_token`), `[token, untilMs, storage, key, text, writes]`: what the package
/// entry keeps for its fast path (pkg-template/index.js).
#[wasm_bindgen(js_name = getAccessToken)]
pub fn get_access_token(config_js: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(get_access_token_job(config_js, options)))
}

async fn get_access_token_job(config_js: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let config = config(&config_js)?;
    let force = bool_option(
        &options,
        "forceRefresh",
        t!("forceRefresh must be a boolean."),
    )?;
    let token = flows::get_access_token(
        &config,
        &TokenOptions {
            force_refresh: force,
        },
    )
    .await
    .map_err(to_js)?;
    let out = js_sys::Array::of1(&JsValue::from_str(&token));
    // No await since the flow ended: this is the state the token came from.
    if let Some(u) = flows::usable_token(&config).filter(|u| u.token.expose() == token) {
        for v in [
            JsValue::from(u.until_ms),
            JsValue::from_str(storage_name(u.store.into())),
            JsValue::from_str(&u.key),
            u.text,
            JsValue::from(u.writes),
        ] {
            out.push(&v);
        }
    }
    Ok(out.into())
}

/// `storage::writes()`: changes whenever this page writes or removes a session.
#[wasm_bindgen(js_name = sessionWrites)]
pub fn session_writes() -> u32 {
    flows::writes()
}

#[wasm_bindgen(js_name = getSessionInfo)]
pub fn get_session_info(config_js: JsValue) -> Promise {
    promise(Box::pin(session_info_job(config_js)))
}

async fn session_info_job(config_js: JsValue) -> Result<JsValue, JsValue> {
    let config = config(&config_js)?;
    let Some(info) = flows::session_info(&config).await.map_err(to_js)? else {
        return Ok(JsValue::NULL);
    };
    let obj = Object::new();
    // Milliseconds, as Date and Date.now() use.
    let ms = |at: Option<u64>| at.map_or(JsValue::NULL, |s| JsValue::from(s as f64 * 1000.0));
    set(&obj, "expiresAt", &ms(info.expires_at));
    set(&obj, "sessionExpiresAt", &ms(info.session_expires_at));
    let offset = JsValue::from(info.clock_offset_secs as f64);
    set(&obj, "clockOffsetSeconds", &offset);
    set(&obj, "idleLogoutAt", &ms(info.idle_logout_at));
    set(&obj, "scope", &opt(info.scope.as_deref()));
    set(&obj, "refreshable", &JsValue::from(info.refreshable));
    set(
        &obj,
        "refreshTokenWithheld",
        &JsValue::from(info.refresh_token_withheld),
    );
    Ok(obj.into())
}

#[wasm_bindgen(js_name = isAuthenticated)]
pub fn is_authenticated(config_js: JsValue) -> Promise {
    promise(Box::pin(async move {
        let config = config(&config_js)?;
        let yes = flows::is_authenticated(&config).await.map_err(to_js)?;
        Ok(JsValue::from(yes))
    }))
}

#[wasm_bindgen(js_name = getUser)]
pub fn get_user(config_js: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let config = config(&config_js)?;
        let userinfo = bool_option(&options, "userinfo", t!("userinfo must be a boolean."))?;
        let user = flows::get_user(&config, &UserOptions { userinfo })
            .await
            .map_err(to_js)?;
        Ok(user.unwrap_or(JsValue::NULL))
    }))
}

/// `onSessionChange(config, callback)`: returns the function that unsubscribes.
#[wasm_bindgen(js_name = onSessionChange)]
pub fn on_session_change(config_js: JsValue, callback: JsValue) -> Result<JsValue, JsValue> {
    let config = config(&config_js)?;
    // The package entry refuses anything but a function, synchronously; a call of anything
    // else would only be an `Err` from `call1`, ignored like a listener that throws.
    let callback: js_sys::Function = callback.unchecked_into();
    let sub = events::on_session_change(&config, move |e| {
        let obj = Object::new();
        set(&obj, "type", &JsValue::from_str(e.kind.as_str()));
        set(&obj, "external", &JsValue::from(e.external));
        set(&obj, "storage", &JsValue::from_str(storage_name(e.storage)));
        // A listener that throws must not break the flow that reported the change.
        let _ = callback.call1(&JsValue::NULL, &obj);
    });
    let id = sub.detach();
    // A session stored before (this page loaded, the app subscribed later) gets its timer
    // now: its `expiring` and `expired` events come without any call.
    wasm_bindgen_futures::spawn_local(async move { flows::watch(&config).await });
    let unsubscribe = Closure::<dyn Fn()>::new(move || events::unsubscribe(id));
    Ok(unsubscribe.into_js_value())
}

/// `authorizeRequest(config, method, url, previous)`: the headers for the package entry's
/// `fetchWithAuth` (`[authorization, dpop]`, `dpop` undefined for a Bearer token), or null.
/// `previous` (`[status, wwwAuthenticate, dpopNonce]` of the first attempt's answer): null
/// unless the answer asks for a DPoP nonce (`flow::authorize_request`).
#[wasm_bindgen(js_name = authorizeRequest)]
pub fn authorize_request(
    config_js: JsValue,
    method: String,
    url: String,
    previous: JsValue,
) -> Promise {
    promise(Box::pin(async move {
        let config = config(&config_js)?;
        let previous = previous
            .dyn_ref::<js_sys::Array>()
            .map(|a| crate::flow::Previous {
                status: a.get(0).as_f64().unwrap_or(0.0) as u16,
                www_authenticate: a.get(1).as_string(),
                dpop_nonce: a.get(2).as_string(),
            });
        let h = crate::flow::authorize_request(
            &super::platform::Browser,
            &config,
            &method,
            &url,
            previous.as_ref(),
        )
        .await
        .map_err(to_js)?;
        Ok(h.map_or(JsValue::NULL, |h| {
            js_sys::Array::of2(
                &JsValue::from_str(&h.authorization),
                &opt(h.dpop.as_deref()),
            )
            .into()
        }))
    }))
}

#[wasm_bindgen]
pub fn logout(config_js: JsValue, options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let config = config(&config_js)?;
        let options = LogoutOptions::from_json(Some(&options)).map_err(to_js)?;
        let r = flows::logout(&config, &options).await.map_err(to_js)?;
        let obj = Object::new();
        set(&obj, "revoked", &JsValue::from(r.revoked));
        set(&obj, "serverLogout", &JsValue::from(r.server_logout));
        set(&obj, "error", &r.error.map_or(JsValue::NULL, to_js));
        Ok(obj.into())
    }))
}
