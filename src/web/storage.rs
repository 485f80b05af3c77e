//! sessionStorage, localStorage and an in-memory store behind one small interface. Every
//! access is fallible: storage throws when blocked by the user, in sandboxed iframes, or when
//! the quota is full, and that is `storage_unavailable`, never a panic.

use crate::error::{Code, Error, Result};
use std::cell::RefCell;
use wasm_bindgen::JsValue;

/// Where a value lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Store {
    Session,
    Local,
    /// This page's memory: gone on reload.
    Memory,
}

impl From<crate::config::TokenStorage> for Store {
    fn from(t: crate::config::TokenStorage) -> Store {
        match t {
            crate::config::TokenStorage::Session => Store::Session,
            crate::config::TokenStorage::Local => Store::Local,
            crate::config::TokenStorage::Memory => Store::Memory,
        }
    }
}

impl From<Store> for crate::config::TokenStorage {
    fn from(s: Store) -> Self {
        match s {
            Store::Session => crate::config::TokenStorage::Session,
            Store::Local => crate::config::TokenStorage::Local,
            Store::Memory => crate::config::TokenStorage::Memory,
        }
    }
}

thread_local! {
    static MEMORY: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

fn unavailable() -> Error {
    Error::code(Code::StorageUnavailable)
}

fn area(store: Store) -> Result<web_sys::Storage> {
    let window = web_sys::window().ok_or_else(unavailable)?;
    let area = match store {
        Store::Local => window.local_storage(),
        _ => window.session_storage(),
    };
    area.ok().flatten().ok_or_else(unavailable)
}

pub(crate) fn get(store: Store, key: &str) -> Result<Option<String>> {
    if store == Store::Memory {
        return Ok(MEMORY.with_borrow(|m| m.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())));
    }
    area(store)?.get_item(key).map_err(|_| unavailable())
}

pub(crate) fn set(store: Store, key: &str, value: &str) -> Result<()> {
    if store == Store::Memory {
        MEMORY.with_borrow_mut(|m| {
            m.retain(|(k, _)| k != key);
            m.push((key.into(), value.into()));
        });
        return Ok(());
    }
    area(store)?.set_item(key, value).map_err(|_| unavailable())
}

pub(crate) fn remove(store: Store, key: &str) -> Result<()> {
    if store == Store::Memory {
        MEMORY.with_borrow_mut(|m| m.retain(|(k, _)| k != key));
        return Ok(());
    }
    area(store)?.remove_item(key).map_err(|_| unavailable())
}

/// Reads and removes `key` in one step (no await between), so that a value is taken at
/// most once however many callers race for it.
pub(crate) fn take(store: Store, key: &str) -> Result<Option<String>> {
    let value = get(store, key)?;
    if value.is_some() {
        remove(store, key)?;
    }
    Ok(value)
}

/// The keys in `store` that start with `prefix`.
pub(crate) fn keys_with_prefix(store: Store, prefix: &str) -> Result<Vec<String>> {
    if store == Store::Memory {
        return Ok(MEMORY.with_borrow(|m| {
            m.iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, _)| k.clone())
                .collect()
        }));
    }
    let s = area(store)?;
    let n = s.length().map_err(|_| unavailable())?;
    let mut keys = Vec::new();
    for i in 0..n {
        if let Ok(Some(k)) = s.key(i) {
            if k.starts_with(prefix) {
                keys.push(k);
            }
        }
    }
    Ok(keys)
}

thread_local! {
    /// Session keys whose configured storage threw on the last write: kept in memory since.
    static FELL_BACK: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// How many times this page wrote or removed a session (see `writes`).
    static WRITES: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A number that changes whenever this page writes or removes a session, wherever it goes
/// (storage, memory, or from one to the other). What other tabs or the app write to storage
/// changes the stored text instead; together they tell the package entry that a session it
/// read earlier is still the one stored (`getAccessToken`'s fast path).
pub(crate) fn writes() -> u32 {
    WRITES.get()
}

fn count_write() {
    WRITES.set(WRITES.get().wrapping_add(1));
}

/// Where the session under `key` is kept: the configured store, or memory once writing there
/// failed.
pub(crate) fn session_store(configured: Store, key: &str) -> Store {
    if FELL_BACK.with_borrow(|f| f.iter().any(|k| k == key)) {
        Store::Memory
    } else {
        configured
    }
}

/// Writes a session. When the configured storage throws (blocked by the user, a sandboxed
/// iframe, the quota full), the session goes to this page's memory instead: the user stays
/// logged in in this tab rather than losing the tokens just received. Returns where it went.
pub(crate) fn set_session(configured: Store, key: &str, value: &str) -> Store {
    count_write();
    let written = configured != Store::Memory && set(configured, key, value).is_ok();
    FELL_BACK.with_borrow_mut(|f| f.retain(|k| k != key));
    if written {
        // An older copy from a failed write is stale now.
        let _ = remove(Store::Memory, key);
        return configured;
    }
    if configured != Store::Memory {
        FELL_BACK.with_borrow_mut(|f| f.push(key.into()));
    }
    let _ = set(Store::Memory, key, value);
    Store::Memory
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// web-sys's `Storage`, with `getItem` leaving the value a JavaScript string: comparing
    /// it with the last one read then copies nothing into the wasm.
    type RawStorage;
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &RawStorage, key: &str) -> std::result::Result<JsValue, JsValue>;
}

/// Reads a session, as the JavaScript string it is stored as. Storage that cannot be read
/// holds no session this page can use.
pub(crate) fn get_session(configured: Store, key: &str) -> Option<JsValue> {
    let store = session_store(configured, key);
    if store == Store::Memory {
        return get(store, key)
            .ok()
            .flatten()
            .map(|s| JsValue::from_str(&s));
    }
    use wasm_bindgen::JsCast;
    area(store)
        .ok()?
        .unchecked_ref::<RawStorage>()
        .get_item(key)
        .ok()
        .filter(JsValue::is_string)
}

/// Removes a session wherever it is.
pub(crate) fn remove_session(configured: Store, key: &str) {
    count_write();
    let _ = remove(configured, key);
    let _ = remove(Store::Memory, key);
    FELL_BACK.with_borrow_mut(|f| f.retain(|k| k != key));
}
