//! sessionStorage and localStorage, the storage backend seam of the browser platform. Every
//! access is fallible: storage throws when blocked by the user, in sandboxed iframes, or when
//! the quota is full, and that is `storage_unavailable`, never a panic. The memory store and
//! what a throwing area does to a session are the core's (`crate::flow::sessions`).

use crate::error::{Code, Error, Result};
pub(crate) use crate::flow::Store;
use wasm_bindgen::{JsCast, JsValue};

fn unavailable() -> Error {
    Error::code(Code::StorageUnavailable)
}

fn area(store: Store) -> Result<web_sys::Storage> {
    if store == Store::Memory {
        return Err(unavailable()); // the core keeps the memory store
    }
    let window = web_sys::window().ok_or_else(unavailable)?;
    let area = match store {
        Store::Local => window.local_storage(),
        _ => window.session_storage(),
    };
    area.ok().flatten().ok_or_else(unavailable)
}

pub(crate) fn get(store: Store, key: &str) -> Result<Option<String>> {
    area(store)?.get_item(key).map_err(|_| unavailable())
}

pub(crate) fn set(store: Store, key: &str, value: &str) -> Result<()> {
    area(store)?.set_item(key, value).map_err(|_| unavailable())
}

pub(crate) fn remove(store: Store, key: &str) -> Result<()> {
    area(store)?.remove_item(key).map_err(|_| unavailable())
}

/// The keys in `store` that start with `prefix`.
pub(crate) fn keys_with_prefix(store: Store, prefix: &str) -> Result<Vec<String>> {
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

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// web-sys's `Storage`, with `getItem` leaving the value a JavaScript string: comparing
    /// it with the last one read then copies nothing into the wasm.
    type RawStorage;
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &RawStorage, key: &str) -> std::result::Result<JsValue, JsValue>;
}

/// A stored value as the JavaScript string it is stored as; `None` when there is none or the
/// area cannot be read.
pub(crate) fn get_raw(store: Store, key: &str) -> Option<JsValue> {
    area(store)
        .ok()?
        .unchecked_ref::<RawStorage>()
        .get_item(key)
        .ok()
        .filter(JsValue::is_string)
}
