//! Logins in another window (the navigation seam's popup and iframe): showing the request
//! and waiting for the response is pkg-template/login-window.js (`js_module`: loaded only by
//! apps that use a popup or silent login); handing a response over from the redirect page is
//! here, a few calls that every redirect page may need. What a response means, and what a
//! closed popup or a timeout does, is the core's (`crate::login_window`, `flow::login`).

use crate::login_window::{Answer, Window};
use js_sys::{Array, Object, Promise, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[cfg(not(spa_oauth_npm))]
#[wasm_bindgen(module = "/pkg-template/login-window.js")]
extern "C" {
    fn show(url: &str, kind: &str, state: &str, timeout_ms: u32, popup: &JsValue) -> Promise;
}

#[cfg(spa_oauth_npm)]
fn show(url: &str, kind: &str, state: &str, timeout_ms: u32, popup: &JsValue) -> Promise {
    use super::js_module::{call, LOGIN_WINDOW};
    let args = [
        JsValue::from_str(url),
        JsValue::from_str(kind),
        JsValue::from_str(state),
        JsValue::from(timeout_ms),
        popup.clone(),
    ];
    call(LOGIN_WINDOW, "show", &args)
}

thread_local! {
    /// Popups opened at the user's click (the entry's `loginWithPopup`, or `login_with_popup`
    /// before its first await), each waiting for its login's authorization URL.
    static POPUPS: RefCell<Vec<JsValue>> = const { RefCell::new(Vec::new()) };
}

/// The name every page of the origin hands responses over on: it reaches a popup's opener
/// even when the popup lost its link to it.
const CHANNEL: &str = "spa-oauth";

/// Keeps a popup opened at the user's click for the next popup login.
pub(crate) fn keep_popup(popup: JsValue) {
    POPUPS.with(|p| p.borrow_mut().push(popup));
}

/// Forgets `popup` (its login ended, or never reached the point of using it).
pub(crate) fn forget_popup(popup: &JsValue) {
    POPUPS.with(|p| p.borrow_mut().retain(|w| w != popup));
}

/// Opens a popup now (from a click, before any await: browsers block popups opened later).
/// `null` when the browser refused.
pub(crate) fn open_popup() -> JsValue {
    let Some(w) = web_sys::window() else {
        return JsValue::NULL;
    };
    w.open_with_url_and_target_and_features("", "_blank", "popup,width=500,height=680")
        .ok()
        .flatten()
        .map_or(JsValue::NULL, JsValue::from)
}

pub(crate) async fn show_elsewhere(
    url: &str,
    window: Window,
    state: &str,
    timeout_ms: u32,
) -> Answer {
    let (kind, popup) = match window {
        Window::Popup => (
            "popup",
            POPUPS
                .with(|p| p.borrow_mut().pop())
                .unwrap_or(JsValue::NULL),
        ),
        Window::Iframe => ("iframe", JsValue::NULL),
    };
    let answer = JsFuture::from(show(url, kind, state, timeout_ms, &popup)).await;
    let answer: Array = match answer {
        Ok(a) => a.unchecked_into(),
        // The module could not be loaded, or the page has no document: nothing was shown.
        Err(_) => return Answer::Blocked,
    };
    match (
        answer.get(0).as_string().as_deref(),
        answer.get(1).as_string(),
    ) {
        (Some("response"), Some(url)) => Answer::Response(url),
        (Some("closed"), _) => Answer::Closed,
        (Some("timeout"), _) => Answer::TimedOut,
        _ => Answer::Blocked,
    }
}

/// On the redirect page in a login window: posts `{ type, state, url }` to the opener and to
/// the parent (only to this origin: `targetOrigin`), and on the origin's BroadcastChannel
/// (for an opener the popup lost its link to); then a popup closes itself.
pub(crate) fn hand_over(state: &str, url: &str) {
    let Some(w) = web_sys::window() else {
        return;
    };
    let message = Object::new();
    for (k, v) in [
        ("type", "spa-oauth:response"),
        ("state", state),
        ("url", url),
    ] {
        let _ = Reflect::set(&message, &k.into(), &v.into());
    }
    let origin = w.location().origin().unwrap_or_default();
    let top = w.parent().ok().flatten();
    let is_top = top
        .as_ref()
        .is_none_or(|p| JsValue::from(p) == JsValue::from(&w));
    let mut targets = Vec::new();
    if let Ok(opener) = w.opener() {
        targets.push(opener);
    }
    if !is_top {
        targets.extend(top.map(JsValue::from));
    }
    for target in targets.into_iter().filter(|t| t.is_object()) {
        let post = Reflect::get(&target, &"postMessage".into());
        if let Ok(post) = post.and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = post.call2(&target, &message, &JsValue::from_str(&origin));
        }
    }
    let channel = Reflect::get(&w, &"BroadcastChannel".into())
        .and_then(|c| c.dyn_into::<js_sys::Function>())
        .and_then(|c| Reflect::construct(&c, &Array::of1(&CHANNEL.into())));
    if let Ok(channel) = channel {
        let post = Reflect::get(&channel, &"postMessage".into());
        if let Ok(post) = post.and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = post.call1(&channel, &message);
        }
        let close = Reflect::get(&channel, &"close".into());
        if let Ok(close) = close.and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = close.call0(&channel);
        }
    }
    // A popup whose opener did not close it (the link was cut) closes itself; a top-level
    // page that no script opened ignores this.
    if is_top {
        let _ = w.close();
    }
}
