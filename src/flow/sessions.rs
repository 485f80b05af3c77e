//! The stored session: where it is kept, what a storage that throws does to it, reading it
//! (a damaged record ends it), and the expiry timer. The storage areas are the platform's;
//! the memory store and every rule here are the core's.

use super::{Platform, Store};
use crate::config::Config;
use crate::error::Result;
use crate::session::{Access, Session};
use crate::session_event::SessionEventKind;

/// Where the session under `key` is kept: the configured store, or memory once writing
/// there failed.
pub(crate) fn store_of<P: Platform>(p: &P, configured: Store, key: &str) -> Store {
    if p.state().fell_back.borrow().iter().any(|k| k == key) {
        Store::Memory
    } else {
        configured
    }
}

fn memory_get<P: Platform>(p: &P, key: &str) -> Option<String> {
    let m = p.state().memory.borrow();
    m.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn memory_set<P: Platform>(p: &P, key: &str, value: Option<&str>) {
    let mut m = p.state().memory.borrow_mut();
    m.retain(|(k, _)| k != key);
    if let Some(v) = value {
        m.push((key.into(), v.into()));
    }
}

fn count_write<P: Platform>(p: &P) {
    let w = &p.state().writes;
    w.set(w.get().wrapping_add(1));
}

/// Writes a session. When the configured storage throws (blocked by the user, a sandboxed
/// iframe, the quota full), the session goes to this page's memory instead: the user stays
/// logged in in this tab rather than losing the tokens just received. Returns where it went.
pub(crate) async fn write<P: Platform>(p: &P, configured: Store, key: &str, value: &str) -> Store {
    count_write(p);
    let written = configured != Store::Memory && p.set(configured, key, value).await.is_ok();
    p.state().fell_back.borrow_mut().retain(|k| k != key);
    if written {
        // An older copy from a failed write is stale now.
        memory_set(p, key, None);
        return configured;
    }
    if configured != Store::Memory {
        p.state().fell_back.borrow_mut().push(key.into());
    }
    memory_set(p, key, Some(value));
    Store::Memory
}

/// Removes a session wherever it is; returns where it was kept.
pub(crate) async fn remove<P: Platform>(p: &P, configured: Store, key: &str) -> Store {
    let kept = store_of(p, configured, key);
    count_write(p);
    if configured != Store::Memory {
        let _ = p.remove(configured, key).await;
    }
    memory_set(p, key, None);
    p.state().fell_back.borrow_mut().retain(|k| k != key);
    kept
}

/// The text under `key` in this page's memory (for the browser's fast path, which reads the
/// storage areas itself).
pub(crate) fn read_memory<P: Platform>(p: &P, key: &str) -> Option<String> {
    memory_get(p, key)
}

/// The stored session of `config`, if any; `storage_unavailable` when the storage cannot be
/// read (the adapter threw or rejected). A stored text that is not a valid session
/// (edited, truncated, from another version) is removed, reported as `expired`, and
/// `login_required`: storage is writable by any script of the origin and by extensions.
pub(crate) async fn load<P: Platform>(p: &P, config: &Config) -> Result<Option<Session>> {
    let key = config.session_key();
    // (The browser decodes the text on each call that reaches the wasm: the package entry
    // answers most `getAccessToken` calls from its memo, and a decode-cache cost 308 B gzip.)
    // A storage that cannot be read says nothing about the session: `storage_unavailable`,
    // never "no session" (which an app answers with a new login, as if logged out).
    let text = match store_of(p, config.token_storage.into(), &key) {
        Store::Memory => memory_get(p, &key),
        store => p.get(store, &key).await?,
    };
    match text.map(|t| Session::decode(&t)) {
        None => Ok(None),
        Some(Some(session)) => Ok(Some(session)),
        Some(None) => {
            expire(p, config).await;
            Err(crate::session::login_required(t!(
                "The stored session was damaged and is removed: log in again."
            )))
        }
    }
}

/// Stores the session and tells the listeners, saying where it went (memory when the
/// configured storage threw); arms the expiry timer.
pub(crate) async fn store<P: Platform>(
    p: &P,
    config: &Config,
    session: &Session,
    kind: SessionEventKind,
) {
    let key = config.session_key();
    let kept = write(p, config.token_storage.into(), &key, &session.encode()).await;
    p.emit(&key, kind, kept);
    arm_expiry(p, config, session);
}

/// The session is over without the user logging out: cleared, and reported.
pub(crate) async fn expire<P: Platform>(p: &P, config: &Config) {
    let key = config.session_key();
    let kept = remove(p, config.token_storage.into(), &key).await;
    p.emit(&key, SessionEventKind::Expired, kept);
}

/// With listeners, a session that cannot be refreshed gets a timer for the moment its access
/// token stops being usable (`Session::expiry_delay_ms`), so `expired` is reported even when
/// the app makes no call.
pub(crate) fn arm_expiry<P: Platform>(p: &P, config: &Config, session: &Session) {
    let key = config.session_key();
    let Some(ms) = session
        .expiry_delay_ms(p.now())
        .filter(|_| p.has_listeners(&key))
    else {
        return;
    };
    let (p2, config) = (p.clone(), config.clone());
    p.after(
        ms,
        Box::pin(async move {
            if let Ok(Some(s)) = load(&p2, &config).await {
                match s.access(p2.now(), false) {
                    Access::Expire(_) => expire(&p2, &config).await,
                    _ => arm_expiry(&p2, &config, &s),
                }
            }
        }),
    );
}
