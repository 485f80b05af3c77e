//! The browser shell: thin wrappers over fetch, storage, location/history, randomness and
//! the clock, the flows that drive the core with them, and the JavaScript exports.

mod crypto;
mod discovery;
mod events;
mod exports;
mod flight;
mod flows;
mod http;
mod id_token;
mod js_value;
mod location;
mod lock;
mod storage;

pub use events::{on_session_change, SessionEvent, SessionEventKind, Subscription};
pub use flows::{
    get_access_token, get_user, handle_callback, is_authenticated, logout, session_info,
    start_login, CallbackResult, SessionInfo,
};

use crate::error::{Code, Error, Result};

/// Seconds since the epoch, from the browser's clock.
pub(crate) fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Fills `buf` from `crypto.getRandomValues` (through getrandom's `wasm_js` backend).
pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| {
        Error::new(
            Code::InvalidConfig,
            "This environment has no crypto.getRandomValues.",
        )
    })
}

#[cfg(test)]
mod tests;
