//! The browser shell: thin wrappers over fetch, storage, location/history, randomness and
//! the clock, the flows that drive the core with them, and the JavaScript exports.

mod crypto;
mod dpop_keys;
mod events;
mod exports;
mod flows;
mod http;
mod js_module;
mod js_value;
mod location;
mod lock;
mod login_window;
mod platform;
mod storage;
mod storage_adapter;

pub use events::{on_session_change, SessionEvent, SessionEventKind, Subscription};
#[cfg(feature = "serde")]
pub use flows::get_user_claims;
pub use flows::{
    authorization_headers, get_access_token, get_user, handle_callback, is_authenticated,
    login_silently, login_with_popup, logout, session_info, start_login, CallbackResult,
    SessionInfo,
};
pub use storage_adapter::storage_adapter;

use crate::error::{Code, Error, Result};
use wasm_bindgen::JsValue;

/// A future as a JavaScript promise. Every one the shell makes goes through here: the
/// runtime's `future_to_promise` is generic over the future, and one instantiation per
/// export and per lock callback cost about 2 KB gzip in all. Boxed, it is compiled once.
pub(crate) fn promise(
    job: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>>,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(job)
}

/// Seconds since the epoch, from the browser's clock.
pub(crate) fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Fills `buf` from `crypto.getRandomValues` (through getrandom's `wasm_js` backend).
pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| {
        Error::new(
            Code::InvalidConfig,
            t!("This environment has no crypto.getRandomValues."),
        )
    })
}

#[cfg(test)]
mod tests;
