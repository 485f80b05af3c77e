//! spa-oauth: an OAuth 2.0 / OpenID Connect client for browser single-page apps.
//!
//! For Rust web apps (Leptos, Yew, Dioxus) compiled to `wasm32-unknown-unknown`, the same
//! flows as the npm package, as `async` functions over a validated [`Config`]:
//!
//! ```ignore
//! // (wasm32 only: the flows use the browser's fetch, storage and location.)
//! use spa_oauth::{get_access_token, handle_callback, start_login, Config, LoginOptions};
//!
//! let config = Config {
//!     issuer: Some("https://id.example".into()),
//!     scope: "openid profile offline_access".into(),
//!     ..Config::new("my-spa", "https://app.example/callback")
//! }
//! .validated()?;
//!
//! // The login button: navigates to the authorization server.
//! start_login(&config, &LoginOptions { return_to: Some("/orders".into()), ..Default::default() }).await?;
//!
//! // On /callback: `None` reads location.href.
//! let result = handle_callback(&config, None).await?;
//!
//! // Before each API call: a valid access token, refreshed when needed.
//! let token = get_access_token(&config, &Default::default()).await?;
//!
//! // The validated ID-token claims (a JavaScript object), and session events.
//! let user = spa_oauth::get_user(&config, &Default::default()).await?;
//! // Session events until `subscription` is dropped.
//! let subscription = spa_oauth::on_session_change(&config, |event| {
//!     web_sys::console::log_1(&event.kind.as_str().into());
//! });
//! ```
//!
//! Errors implement `std::error::Error` and display as `description (code)`; the public enums
//! are `#[non_exhaustive]`, so a match on them needs a `_` arm:
//!
//! ```
//! let error = spa_oauth::Config::new("", "https://app.example/").validated().unwrap_err();
//! match error.code {
//!     spa_oauth::Code::LoginRequired => { /* show the login button */ }
//!     _ => assert!(error.to_string().ends_with("(invalid_config)")),
//! }
//! ```
//!
//! Errors are [`Error`]s whose [`Code`] is the same stable code JavaScript sees
//! (`code.as_str()`).
//!
//! The protocol lives in a sans-IO core (URL building, callback parsing, transaction and
//! token checks, expiry decisions) that builds and tests natively; the `web` module is the
//! thin browser shell (fetch, storage, location, randomness) and the JavaScript exports,
//! compiled only for `wasm32`.

// No unsafe code, except the npm package's allocator (src/npm_alloc.rs), which only that
// build compiles.
#![cfg_attr(not(spa_oauth_npm), forbid(unsafe_code))]
#![cfg_attr(spa_oauth_npm, deny(unsafe_code))]
// Natively only the core is built (for its tests); its callers are the wasm shell.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

#[macro_use]
mod texts;

mod authorize;
mod b64url;
mod callback;
#[cfg(feature = "serde")]
mod claims;
mod clock;
mod config;
mod dpop;
mod error;
mod flow;
mod form;
mod id_token;
mod idle;
mod issuer;
mod json;
mod jwks;
mod jws;
mod login_window;
mod logout;
mod metadata;
#[cfg(all(spa_oauth_npm, target_arch = "wasm32"))]
#[allow(unsafe_code)]
mod npm_alloc;
mod pkce;
mod refresh;
mod resource;
mod response;
mod secret;
mod session;
mod session_event;
mod token;
mod transaction;
mod url;
mod userinfo;

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;

pub use authorize::LoginOptions;
pub use callback::ResponseMode;
#[cfg(feature = "serde")]
pub use claims::{claims_from_json, IdTokenClaims};
pub use config::{Config, StorageAdapter, TokenStorage, ValidConfig};
pub use error::{Code, Error, Result, Text};
pub use logout::{LogoutOptions, LogoutResult};
pub use secret::Secret;
pub use session::TokenOptions;
pub use userinfo::UserOptions;

#[cfg(all(target_arch = "wasm32", feature = "serde"))]
pub use web::get_user_claims;
#[cfg(target_arch = "wasm32")]
pub use web::{
    authorization_headers, get_access_token, get_user, handle_callback, is_authenticated,
    login_silently, login_with_popup, logout, on_session_change, session_info, start_login,
    storage_adapter, CallbackResult, SessionEvent, SessionEventKind, SessionInfo, Subscription,
};
