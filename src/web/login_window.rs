//! Logins in another window (the navigation seam's popup and iframe): showing the request
//! and waiting for the response is pkg-template/login-window.js (`js_module`: loaded only by
//! apps that use a popup or silent login); handing a response over from the redirect page is
//! here, a few calls that every redirect page may need. What a response means, and what a
//! closed popup or a timeout does, is the core's (`crate::login_window`, `flow::login`).

use crate::login_window::{Answer, Shown, Window};
use js_sys::{Array, Object, Promise, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[cfg(not(spa_oauth_npm))]
#[wasm_bindgen(module = "/pkg-template/login-window.js")]
extern "C" {
    fn show(
        url: &str,
        kind: &str,
        state: &str,
        timeout_ms: u32,
        popup: &JsValue,
        abort_on_close: bool,
    ) -> Promise;
}

#[cfg(spa_oauth_npm)]
fn show(
    url: &str,
    kind: &str,
    state: &str,
    timeout_ms: u32,
    popup: &JsValue,
    abort_on_close: bool,
) -> Promise {
    use super::js_module::{call, LOGIN_WINDOW};
    let args = [
        JsValue::from_str(url),
        JsValue::from_str(kind),
        JsValue::from_str(state),
        JsValue::from(timeout_ms),
        popup.clone(),
        JsValue::from(abort_on_close),
    ];
    call(LOGIN_WINDOW, "show", &args)
}

thread_local! {
    /// Popups opened at the user's click (the entry's `loginWithPopup`, or `login_with_popup`
    /// before its first await), by handle, each waiting for its own login's authorization
    /// URL (review round 2, I13: a stack let two overlapping logins swap windows).
    static POPUPS: RefCell<(u32, Vec<(u32, JsValue)>)> = const { RefCell::new((0, Vec::new())) };
}

/// The channel a redirect page in a popup hands the response of the login `state` over on
/// (BroadcastChannel: this origin's pages only). A popup's pages have no link to the page
/// that opened it (`show` cuts it), so this is the only way back.
fn channel_name(state: &str) -> String {
    let mut name = String::from("spa-oauth:");
    name.push_str(state);
    name
}

/// Keeps a popup opened at the user's click for its login; its handle (`Shown::popup`).
pub(crate) fn keep_popup(popup: JsValue) -> u32 {
    POPUPS.with(|p| {
        let (next, kept) = &mut *p.borrow_mut();
        *next = next.wrapping_add(1).max(1);
        kept.push((*next, popup));
        *next
    })
}

/// Forgets the popup `id` (its login ended, or never reached the point of using it).
pub(crate) fn forget_popup(id: u32) {
    POPUPS.with(|p| p.borrow_mut().1.retain(|(k, _)| *k != id));
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

/// The popup kept under `id`, or null.
pub(crate) fn popup_of(id: u32) -> JsValue {
    POPUPS.with(|p| {
        let kept = &p.borrow().1;
        let mine = kept.iter().find(|(k, _)| *k == id);
        mine.map_or(JsValue::NULL, |(_, w)| w.clone())
    })
}

pub(crate) async fn show_elsewhere(url: &str, shown: Shown, state: &str) -> Answer {
    let (kind, popup) = match shown.window {
        Window::Popup => ("popup", popup_of(shown.popup)),
        Window::Iframe => ("iframe", JsValue::NULL),
    };
    let (timeout, abort) = (shown.timeout_ms, shown.abort_on_close);
    let answer = JsFuture::from(show(url, kind, state, timeout, &popup, abort)).await;
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

/// On the redirect page in a login window: posts `{ type, state, url }` to the parent of an
/// iframe (only to this origin: `targetOrigin`), or from a popup on the login's own
/// BroadcastChannel (`channel_name`: a popup has no opener, see `show`); then a popup
/// closes itself.
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
    if !is_top {
        if let Some(parent) = top.map(JsValue::from) {
            let post = Reflect::get(&parent, &"postMessage".into());
            if let Ok(post) = post.and_then(|f| f.dyn_into::<js_sys::Function>()) {
                let _ = post.call2(&parent, &message, &JsValue::from_str(&origin));
            }
        }
        return;
    }
    let name = JsValue::from_str(&channel_name(state));
    let channel = Reflect::get(&w, &"BroadcastChannel".into())
        .and_then(|c| c.dyn_into::<js_sys::Function>())
        .and_then(|c| Reflect::construct(&c, &Array::of1(&name)));
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
    // The opener cannot close a popup the server's COOP cut off: it closes itself; a
    // top-level page that no script opened ignores this.
    let _ = w.close();
}
