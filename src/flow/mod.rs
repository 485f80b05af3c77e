//! The flows: login, callback, access token, user, logout, in the order the specs ask, over
//! named seams (the [`Platform`]). Every decision is the core's (the modules beside this one,
//! called from here); a platform only does I/O. The browser shell (`crate::web`) is one
//! platform; the native tests' simulation (`sim`, an in-process authorization server on a
//! virtual clock) is another, so every flow runs under `cargo test` as it runs in a browser.
//!
//! The seams, each one trait method group:
//! - storage backend: string areas (`Store::Session`, `Store::Local`); the memory store and
//!   what happens when an area throws are the core's (`sessions`);
//! - request transport: one HTTP request to a server (`send`); the authorization request's
//!   transport (in the URL, or pushed first) is `login::transport`'s choice;
//! - request decoration: a DPoP proof on every request to the authorization server
//!   (`token_endpoint::send`) and on authorized resource requests (`resource`), signed with
//!   the platform's key pair (`dpop_key`, `dpop_sign`, `dpop_forget`);
//! - navigation: the page's address (`href`, `assign`, `replace`);
//! - crypto: SHA-256 and signature checks (`sha256`, `verify`);
//! - clock, randomness, timers, cross-tab locks and session events.

// The browser shell (wasm32) and the native simulation are the callers.
#![cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))]

mod access;
mod callback;
mod clock;
mod discovery;
mod dpop;
mod flight;
mod idle;
mod join;
mod login;
mod logout;
mod resource;
mod sessions;
mod token_endpoint;
mod user;
mod verify;

// The native simulation (the browser tests run the browser platform instead).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod sim;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub use access::SessionInfo;
pub(crate) use access::{come_back, get_access_token, is_authenticated, session_info};
pub(crate) use callback::handle_callback;
pub use callback::CallbackResult;
pub(crate) use flight::Flights;
#[allow(unused_imports)] // prepare_login: the browser tests'
pub(crate) use login::{login_elsewhere, prepare_login, silent_login, start_login};
pub(crate) use logout::logout;
#[allow(unused_imports)] // the browser's exports and tests
pub(crate) use resource::{authorize_request, Previous};
#[allow(unused_imports)] // arm_expiry: the browser tests'
pub(crate) use sessions::{arm_expiry, page_key, read_memory, store_of, watch};
pub(crate) use user::get_user;

use crate::error::Result;
use crate::json::Json;
use crate::jwks::Jwk;
use crate::jws::Alg;
use crate::session_event::SessionEventKind;
use std::cell::{Cell, RefCell};
use std::future::Future;

/// Where a value lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Store {
    /// The tab's `sessionStorage` (the login transaction, caches, sessions by default).
    Session,
    /// The origin's `localStorage`, shared by its tabs.
    Local,
    /// This page's memory: gone on reload. Kept by the core (`FlowState`), not a platform.
    Memory,
    /// The app's adapter (`tokenStorage` or `transactionStorage` as an object): its
    /// operations may take time, and it may be shared by the origin's tabs.
    Custom(crate::config::StorageAdapter),
}

impl From<crate::config::TokenStorage> for Store {
    fn from(t: crate::config::TokenStorage) -> Store {
        match t {
            crate::config::TokenStorage::Session => Store::Session,
            crate::config::TokenStorage::Local => Store::Local,
            crate::config::TokenStorage::Memory => Store::Memory,
            crate::config::TokenStorage::Custom(a) => Store::Custom(a),
        }
    }
}

impl From<Store> for crate::config::TokenStorage {
    fn from(s: Store) -> Self {
        match s {
            Store::Session => crate::config::TokenStorage::Session,
            Store::Local => crate::config::TokenStorage::Local,
            Store::Memory => crate::config::TokenStorage::Memory,
            Store::Custom(a) => crate::config::TokenStorage::Custom(a),
        }
    }
}

/// Status and body text of a server's answer.
pub(crate) struct Response {
    pub status: u16,
    pub body: String,
    /// The `DPoP-Nonce` header (RFC 9449 8), when the server sent one.
    pub dpop_nonce: Option<String>,
    /// The `WWW-Authenticate` header of a resource server's answer (RFC 9449 7.1).
    pub www_authenticate: Option<String>,
    /// The `Retry-After` header (RFC 9110 10.2.3) of a 429 or 503, where CORS exposes it.
    pub retry_after: Option<String>,
    /// The `Date` header (RFC 9110 6.6.1), where CORS exposes it: the server's time.
    pub date: Option<String>,
}

/// What the flows need from where they run. Implementations do I/O only: each method is one
/// browser API (or, natively, its simulation), and decides nothing.
#[allow(async_fn_in_trait)] // single-threaded: the flows run on one thread, in a browser tab
pub(crate) trait Platform: Clone + 'static {
    /// The JSON values the platform parses into (`JsValue` in the browser).
    type Json: Json + Clone;

    /// The flows' own state in this page (in-flight operations, the memory store).
    fn state(&self) -> &FlowState;
    /// Seconds since the epoch.
    fn now(&self) -> u64;
    /// Cryptographically secure random bytes.
    fn random(&self, buf: &mut [u8]) -> Result<()>;

    /// Storage backend: a value of an area (`Store::Session`, `Store::Local`, or the app's
    /// adapter, `Store::Custom`, whose operations may take time: hence futures).
    fn get(&self, store: Store, key: &str) -> impl Future<Output = Result<Option<String>>>;
    fn set(&self, store: Store, key: &str, value: &str) -> impl Future<Output = Result<()>>;
    fn remove(&self, store: Store, key: &str) -> impl Future<Output = Result<()>>;
    /// The keys of an area that start with `prefix` (`Store::Session` only: an adapter
    /// cannot list its keys).
    fn keys(&self, store: Store, prefix: &str) -> Result<Vec<String>>;

    /// Request transport: a GET, or a form POST with `body`; `authorization` and `dpop`: the
    /// `Authorization` and `DPoP` headers (userinfo; DPoP proofs).
    fn send(
        &self,
        url: &str,
        body: Option<&str>,
        authorization: Option<&str>,
        dpop: Option<&str>,
        timeout_ms: u32,
    ) -> impl Future<Output = Result<Response>>;

    /// Request decoration: the public key (x, y) of the P-256 key pair kept under `name`,
    /// made anew (replacing the old one) when `fresh`; `None` when there is none. The private
    /// key never leaves the platform (non-extractable).
    fn dpop_key(
        &self,
        name: &str,
        fresh: bool,
    ) -> impl Future<Output = Result<Option<(String, String)>>>;
    /// The ES256 signature (r and s, 64 bytes) of `input` with the key pair `name`.
    fn dpop_sign(&self, name: &str, input: &str) -> impl Future<Output = Result<Option<Vec<u8>>>>;
    /// Deletes the key pair `name`; resolves once the deletion is committed (a page that
    /// navigates right after, to the server's logout page, would abort it otherwise).
    fn dpop_forget(&self, name: &str) -> impl Future<Output = ()>;
    /// A session took the key pair `name` (made by `dpop_key` as a login's, pending until
    /// then); its last use is now.
    fn dpop_adopt(&self, name: &str) -> impl Future<Output = ()>;
    /// Deletes the pending key pairs made before `pending_before`, and the taken ones last
    /// used before `idle_before` (seconds since the epoch): which is the core's decision.
    fn dpop_sweep(&self, pending_before: u64, idle_before: u64) -> impl Future<Output = ()>;

    /// SHA-256 of `data`.
    fn sha256(&self, data: &[u8]) -> impl Future<Output = Result<[u8; 32]>>;
    /// Whether `signature` is `jwk`'s signature of `signing_input` under `alg`.
    fn verify(
        &self,
        jwk: &Jwk,
        alg: Alg,
        signing_input: &str,
        signature: &[u8],
    ) -> impl Future<Output = Result<bool>>;

    /// Navigation: the page's address, going to another page, replacing the address.
    fn href(&self) -> Option<String>;
    fn assign(&self, url: &str) -> Result<()>;
    fn replace(&self, url: &str);

    /// Navigation in another window: shows `url` in the login's popup (opened at the user's
    /// click; the pages shown there get no link to this one) or in a hidden iframe, until
    /// the redirect page there hands over a response for `state`, the popup reads closed
    /// (with `abort_on_close`), or `timeout_ms` pass; then closes the popup or removes the
    /// iframe, whatever happened.
    fn show_elsewhere(
        &self,
        url: &str,
        shown: &crate::login_window::Shown,
        state: &str,
    ) -> impl Future<Output = crate::login_window::Answer>;
    /// The redirect page in a login window: hands the response `url` for `state` to the
    /// same-origin page that waits for it.
    fn hand_over(&self, state: &str, url: &str);

    /// Session events to this page's listeners of `key`.
    fn emit(&self, key: &str, kind: SessionEventKind, kept: Store);
    fn has_listeners(&self, key: &str) -> bool;
    /// Resolves when another tab changes `key`, or after `ms`.
    fn storage_change(&self, key: &str, ms: u32) -> impl Future<Output = ()>;
    /// Runs `f` in `ms` milliseconds.
    fn after(&self, ms: u32, f: std::pin::Pin<Box<dyn Future<Output = ()>>>);
    /// Runs `work` holding the cross-tab lock `name`, taken from its holder after `steal_ms`;
    /// `work` is told whether another tab held it when this one asked.
    fn with_lock<T: 'static, F: Future<Output = T> + 'static>(
        &self,
        name: &str,
        steal_ms: u32,
        work: impl FnOnce(bool) -> F + 'static,
    ) -> impl Future<Output = T>;
}

/// Work under a cross-tab lock (`Platform::with_lock`), boxed, with one result type: every
/// flow's lock (the refresh, a transaction's take, logout's removal) is then one copy of the
/// lock's code in the wasm, not one per flow (about 1.5 KB each).
pub(crate) type LockWork =
    Box<dyn FnOnce(bool) -> std::pin::Pin<Box<dyn Future<Output = Result<String>>>>>;

/// `work` as [`LockWork`].
pub(crate) fn lock_work<F: Future<Output = Result<String>> + 'static>(
    work: impl FnOnce(bool) -> F + 'static,
) -> LockWork {
    Box::new(move |contended| Box::pin(work(contended)))
}

/// The flows' state in one page: what is in flight, the memory store and which sessions
/// fell back to it, and the count of session writes.
pub(crate) struct FlowState {
    pub(crate) callbacks: Flights<CallbackResult>,
    /// getAccessToken's refreshes, by session key, and its silent logins (`silentLogin`),
    /// by "silent " and the session key.
    pub(crate) refreshes: Flights<String>,
    /// The URL this page replaced a callback URL with, and the state of that callback: a
    /// second `handleCallback` after the first finished gets the same result.
    pub(crate) cleaned: RefCell<Option<(String, String)>>,
    pub(crate) memory: RefCell<Vec<(String, String)>>,
    pub(crate) fell_back: RefCell<Vec<String>>,
    pub(crate) writes: Cell<u32>,
    /// The last DPoP nonce of each server origin (RFC 9449 8, 9).
    pub(crate) dpop_nonces: RefCell<Vec<(String, String)>>,
    /// The current timer of each session with listeners, by generation (`arm_expiry`).
    pub(crate) timers: RefCell<Vec<(String, u32)>>,
    /// The session ends this page already reported `expiring` for.
    pub(crate) warned: RefCell<Vec<(String, Option<u64>)>>,
    /// Refreshes that failed without ending their session, by session (`access::backoff`).
    pub(crate) backoff: RefCell<Vec<Backoff>>,
    /// The offset of the servers' clock from this browser's, once read or learned
    /// (`crate::clock`).
    pub(crate) offset: Cell<Option<i64>>,
}

/// A session's failed refreshes in a row: how many, when the last was sent, until when
/// none is sent again, and the error the calls meanwhile get.
#[derive(Clone)]
pub(crate) struct Backoff {
    pub key: String,
    pub failures: u32,
    pub sent: u64,
    pub until: u64,
    pub error: crate::error::Error,
}

impl FlowState {
    pub(crate) fn new() -> FlowState {
        FlowState {
            callbacks: Flights::new(true),
            refreshes: Flights::new(false),
            cleaned: RefCell::new(None),
            memory: RefCell::new(Vec::new()),
            fell_back: RefCell::new(Vec::new()),
            writes: Cell::new(0),
            dpop_nonces: RefCell::new(Vec::new()),
            timers: RefCell::new(Vec::new()),
            warned: RefCell::new(Vec::new()),
            backoff: RefCell::new(Vec::new()),
            offset: Cell::new(None),
        }
    }
}
