//! The stored session: where it is kept, what a storage that throws does to it, reading it
//! (a damaged record ends it), and the expiry timer. The storage areas are the platform's;
//! the memory store and every rule here are the core's.

use super::{Platform, Store};
use crate::config::Config;
use crate::error::Result;
use crate::session::{Access, Due, Session};
use crate::session_event::SessionEventKind;

/// The name of a session in this page's own state (the memory store, the flights, the
/// listeners): its storage key, and for a session in the app's adapter, which adapter. Two
/// configurations that differ only in their adapter (two accounts, each in its own store)
/// have the same storage key, each in its own store, and must not share anything in the
/// page either: account B was given account A's token (review round 2, L11). Adapter
/// handles are this page's (`storage_adapter`), so this name never leaves the page.
pub(crate) fn in_page(configured: Store, key: &str) -> String {
    let mut name = String::from(key);
    if let Store::Custom(a) = configured {
        name.push_str("#adapter=");
        crate::form::push_u64(&mut name, a.0.into());
    }
    name
}

/// `config`'s session name in this page (`in_page`).
pub(crate) fn page_key(config: &Config) -> String {
    in_page(config.token_storage.into(), &config.session_key())
}

/// Where the session under `key` is kept: the configured store, or memory once writing
/// there failed.
pub(crate) fn store_of<P: Platform>(p: &P, configured: Store, key: &str) -> Store {
    let key = in_page(configured, key);
    if p.state().fell_back.borrow().contains(&key) {
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
    let mine = in_page(configured, key);
    p.state().fell_back.borrow_mut().retain(|k| *k != mine);
    if written {
        // An older copy from a failed write is stale now.
        memory_set(p, &mine, None);
        return configured;
    }
    if configured != Store::Memory {
        p.state().fell_back.borrow_mut().push(mine.clone());
    }
    memory_set(p, &mine, Some(value));
    Store::Memory
}

/// Removes a session wherever it is; returns where it was kept.
pub(crate) async fn remove<P: Platform>(p: &P, configured: Store, key: &str) -> Store {
    let kept = store_of(p, configured, key);
    count_write(p);
    if configured != Store::Memory {
        let _ = p.remove(configured, key).await;
    }
    let mine = in_page(configured, key);
    memory_set(p, &mine, None);
    p.state().fell_back.borrow_mut().retain(|k| *k != mine);
    kept
}

/// The text of the session under `key` of `configured` in this page's memory (for the
/// browser's fast path, which reads the storage areas itself).
pub(crate) fn read_memory<P: Platform>(p: &P, configured: Store, key: &str) -> Option<String> {
    memory_get(p, &in_page(configured, key))
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
        Store::Memory => memory_get(p, &page_key(config)),
        store => p.get(store, &key).await?,
    };
    match text.map(|t| Session::decode(&t)) {
        None => Ok(None),
        Some(Some(session)) => Ok(Some(session)),
        Some(None) => {
            expire(p, config, None).await;
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
    p.emit(&page_key(config), kind, kept);
    arm_expiry(p, config, session);
}

/// The session is over without the user logging out: cleared, and reported. `ended`: the
/// session whose end this is (it was read, and the server or its lifetime ended it): the
/// DPoP key pair it signed with goes with it.
pub(crate) async fn expire<P: Platform>(p: &P, config: &Config, ended: Option<&Session>) {
    let key = config.session_key();
    let kept = remove(p, config.token_storage.into(), &key).await;
    if let Some(s) = ended.filter(|s| s.dpop) {
        p.dpop_forget(&super::dpop::key_of(s, config)).await;
    }
    p.emit(&page_key(config), SessionEventKind::Expired, kept);
}

/// A new timer for `key` (a session's, or its idle timer): its generation. The timer set
/// before it for the same key does nothing when it fires (`is_current`).
pub(crate) fn next_timer<P: Platform>(p: &P, key: &str) -> u32 {
    let mut timers = p.state().timers.borrow_mut();
    let next = timers
        .iter()
        .find(|(k, _)| k == key)
        .map_or(1, |(_, g)| g.wrapping_add(1));
    timers.retain(|(k, _)| k != key);
    timers.push((key.into(), next));
    next
}

/// Whether the timer `generation` of `key` is still the current one.
pub(crate) fn is_current<P: Platform>(p: &P, key: &str, generation: u32) -> bool {
    let timers = p.state().timers.borrow();
    timers.iter().any(|(k, g)| k == key && *g == generation)
}

/// Milliseconds from `now` to `at` (seconds), within setTimeout's limit: a later moment is
/// armed again when its timer fires.
pub(crate) fn delay_ms(at: u64, now: u64) -> u32 {
    at.saturating_sub(now).saturating_mul(1000).min(0x7fff_ffff) as u32
}

/// A timer that fires this much later than it was set for slept (or its tab was frozen):
/// browsers fire overdue timers when the machine wakes.
const LATE_SECS: u64 = 60;

/// With listeners, a session gets a timer for its next timed change (`Session::due`): the
/// `expiring` event before its end, then `expired` once it gives no token, reported even
/// when the app makes no call. One timer per session in a page: arming again (each store,
/// each subscription) makes the earlier one do nothing when it fires.
pub(crate) fn arm_expiry<P: Platform>(p: &P, config: &Config, session: &Session) {
    let key = page_key(config);
    if !p.has_listeners(&key) {
        return;
    }
    super::idle::arm(p, config);
    let now = p.now();
    let end = session.ends_at();
    let warned = end.is_some() && p.state().warned.borrow().contains(&(key.clone(), end));
    let Some((at, due)) = session.due(now, config.expiring_notice_secs, warned) else {
        return;
    };
    let generation = next_timer(p, &key);
    let ms = delay_ms(at, now);
    let (p2, config) = (p.clone(), config.clone());
    p.after(
        ms,
        Box::pin(async move {
            if !is_current(&p2, &key, generation) {
                return;
            }
            // Read again: another tab, or a refresh, may have changed it meanwhile.
            let Ok(Some(s)) = load(&p2, &config).await else {
                return;
            };
            match (due, s.access(p2.now(), false)) {
                (_, Access::Expire(_)) => expire(&p2, &config, Some(&s)).await,
                // Fired late: the machine slept (or the tab was frozen) past the moment.
                (Due::Stale, _) if p2.now() > at.saturating_add(LATE_SECS) => {
                    super::access::come_back(&p2, &config).await;
                    if let Ok(Some(s)) = load(&p2, &config).await {
                        arm_expiry(&p2, &config, &s);
                    }
                }
                (Due::Expiring, _) if s.ends_at() == end && p2.now() >= at => {
                    p2.state().warned.borrow_mut().push((key.clone(), end));
                    p2.emit(
                        &key,
                        SessionEventKind::Expiring,
                        store_of(&p2, config.token_storage.into(), &config.session_key()),
                    );
                    arm_expiry(&p2, &config, &s);
                }
                _ => arm_expiry(&p2, &config, &s),
            }
        }),
    );
}

/// A new listener: the stored session, if any, gets its timer (`arm_expiry`).
pub(crate) async fn watch<P: Platform>(p: &P, config: &Config) {
    if let Ok(Some(s)) = load(p, config).await {
        arm_expiry(p, config, &s);
    }
}
