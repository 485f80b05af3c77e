//! sessionStorage, localStorage and an in-memory store behind one small interface. Every
//! access is fallible: storage throws when blocked by the user, in sandboxed iframes, or when
//! the quota is full, and that is `storage_unavailable`, never a panic.

use crate::error::{Code, Error, Result};
use std::cell::RefCell;

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
