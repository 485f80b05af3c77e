//! spa-oauth: an OAuth 2.0 / OpenID Connect client for browser single-page apps.
//!
//! The protocol lives in a sans-IO core (URL building, callback parsing, transaction and
//! token checks, expiry decisions) that builds and tests natively; the `web` module is the
//! thin browser shell (fetch, storage, location, randomness) and the JavaScript exports,
//! compiled only for `wasm32`.

#![forbid(unsafe_code)]
// Natively only the core is built (for its tests); its callers are the wasm shell.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod authorize;
mod b64url;
mod callback;
mod config;
mod error;
mod form;
mod id_token;
mod json;
mod jwks;
mod jws;
mod logout;
mod metadata;
mod pkce;
mod secret;
mod session;
mod token;
mod transaction;
mod url;

#[cfg(target_arch = "wasm32")]
mod web;

pub use authorize::LoginOptions;
pub use callback::ResponseMode;
pub use config::{Config, TokenStorage};
pub use error::{Code, Error, Result, Text};
pub use logout::LogoutOptions;
pub use secret::Secret;

#[cfg(target_arch = "wasm32")]
pub use web::{
    get_access_token, get_user, handle_callback, is_authenticated, logout, on_session_change,
    session_info, start_login, CallbackResult, SessionEvent, SessionEventKind, SessionInfo,
    Subscription,
};
