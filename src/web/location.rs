//! The address bar: reading it, leaving for the authorization server, and removing the
//! response parameters after the callback without a navigation.

use crate::error::{Code, Error, Result};

fn window() -> Result<web_sys::Window> {
    web_sys::window()
        .ok_or_else(|| Error::new(Code::InvalidConfig, t!("spa-oauth needs a browser window.")))
}

/// `location.href`.
pub(crate) fn href() -> Result<String> {
    window()?
        .location()
        .href()
        .map_err(|_| Error::new(Code::InvalidCallback, t!("location.href cannot be read.")))
}

/// `location.assign(url)`: leaves the page for the authorization server.
pub(crate) fn assign(url: &str) -> Result<()> {
    window()?.location().assign(url).map_err(|_| {
        Error::new(
            Code::InvalidConfig,
            t!("The browser refused to navigate to the authorization endpoint."),
        )
    })
}

/// `history.replaceState(history.state, "", url)`: keeps the router's state object (React
/// Router and Vue Router store theirs there) and changes only the URL.
pub(crate) fn replace(url: &str) {
    if let Ok(w) = window() {
        if let Ok(h) = w.history() {
            let state = h.state().unwrap_or(wasm_bindgen::JsValue::NULL);
            let _ = h.replace_state_with_url(&state, "", Some(url));
        }
    }
}
