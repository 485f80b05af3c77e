//! The app's storage adapters (`tokenStorage` or `transactionStorage` as an object with
//! `getItem`, `setItem` and `removeItem`, each of which may return a promise): the storage
//! backend seam's third kind of store. The shell keeps the objects and calls them; what a
//! failing adapter does to a session (memory instead) and how a transaction is taken out of
//! one (under a cross-tab lock) are the core's (`crate::flow`).

use super::storage;
use crate::config::{StorageAdapter, TokenStorage, ValidConfig};
use crate::error::{Code, Error, Result};
use crate::flow::Store;
use crate::json::Json;
use js_sys::{Function, Promise, Reflect};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The most adapter objects kept. An app passes the same object each time (its config is a
/// constant); one that makes a new adapter for every call has the oldest forgotten, and a
/// call still using a forgotten one fails as an unavailable storage.
const KEPT: usize = 32;

thread_local! {
    /// The adapters this page was given, with their handles (counting up from 1).
    static ADAPTERS: RefCell<(u32, Vec<(u32, JsValue)>)> = const { RefCell::new((0, Vec::new())) };
}

const METHODS: [&str; 3] = ["getItem", "setItem", "removeItem"];

/// Keeps `object` (the same object gets the same handle) after checking that it has the
/// three methods (own or inherited: an adapter may be a class instance).
pub fn storage_adapter(object: &JsValue) -> Result<StorageAdapter> {
    let callable = |m: &str| Reflect::get(object, &m.into()).is_ok_and(|f| f.is_function());
    if !object.is_object() || !METHODS.iter().all(|m| callable(m)) {
        return Err(Error::new(
            Code::InvalidConfig,
            t!("A storage adapter must be an object with getItem, setItem and removeItem methods."),
        ));
    }
    Ok(ADAPTERS.with(|a| {
        let (next, kept) = &mut *a.borrow_mut();
        if let Some((id, _)) = kept.iter().find(|(_, o)| o == object) {
            return StorageAdapter(*id);
        }
        if kept.len() >= KEPT {
            kept.remove(0);
        }
        *next += 1;
        kept.push((*next, object.clone()));
        StorageAdapter(*next)
    }))
}

/// Keeps the adapter objects of a config read from JavaScript (`config_js`), and gives the
/// config their handles.
pub(crate) fn attach(config: &mut ValidConfig, config_js: &JsValue) -> Result<()> {
    let custom_tokens = matches!(config.token_storage, TokenStorage::Custom(_));
    if !custom_tokens && config.transaction_storage.is_none() {
        return Ok(());
    }
    let handle = |member: &str| match Json::get(config_js, member) {
        Some(o) if o.is_object() => storage_adapter(&o),
        _ => Ok(StorageAdapter(0)),
    };
    let (tokens, transactions) = (handle("tokenStorage")?, handle("transactionStorage")?);
    config.attach_adapters(tokens, transactions);
    Ok(())
}

fn failed() -> Error {
    Error::new(
        Code::StorageUnavailable,
        t!("The storage adapter failed: it threw, rejected, or gave something other than a string or null."),
    )
}

/// Calls `method` of the adapter with `args`, and waits for its promise if it returns one.
async fn call(
    adapter: StorageAdapter,
    method: usize,
    key: &str,
    value: Option<&str>,
) -> Result<JsValue> {
    let object = ADAPTERS.with(|a| {
        let kept = &a.borrow().1;
        kept.iter()
            .find(|(id, _)| *id == adapter.0)
            .map(|(_, o)| o.clone())
    });
    let object = object.ok_or_else(failed)?;
    let name = METHODS.get(method).copied().unwrap_or_default();
    let f: Function = Reflect::get(&object, &name.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(failed)?;
    let key = JsValue::from_str(key);
    let answer = match value {
        Some(v) => f.call2(&object, &key, &JsValue::from_str(v)),
        None => f.call1(&object, &key),
    }
    .map_err(|_| failed())?;
    // Bounded (`refresh::ADAPTER_TIMEOUT_MS`): a store that never answers fails as
    // unavailable rather than holding the refresh lock, and every call after it, forever.
    let mut give_up = None;
    let timer = Promise::new(&mut |_, reject| give_up = Some(reject));
    let window = web_sys::window();
    let timeout = match (&window, give_up) {
        (Some(w), Some(f)) => w
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                &f,
                crate::refresh::ADAPTER_TIMEOUT_MS as i32,
            )
            .ok(),
        _ => None,
    };
    let raced = Promise::race(&js_sys::Array::of2(&Promise::resolve(&answer), &timer));
    let out = JsFuture::from(raced).await.map_err(|_| failed());
    if let (Some(w), Some(t)) = (window, timeout) {
        w.clear_timeout_with_handle(t);
    }
    out
}

/// One operation of the storage seam (`GET`, `SET` or `REMOVE`) on any store, as one boxed
/// future type: the flows await storage in many places, and an adapter's promise handling
/// inlined into each of them cost kilobytes. sessionStorage and localStorage answer at once.
pub(crate) type Op = Pin<Box<dyn Future<Output = Result<Option<String>>>>>;
pub(crate) const GET: usize = 0;
pub(crate) const SET: usize = 1;
pub(crate) const REMOVE: usize = 2;

pub(crate) fn op(store: Store, method: usize, key: &str, value: Option<&str>) -> Op {
    let Store::Custom(adapter) = store else {
        let done = match (method, value) {
            (GET, _) => storage::get(store, key),
            (SET, Some(v)) => storage::set(store, key, v).map(|()| None),
            _ => storage::remove(store, key).map(|()| None),
        };
        return Box::pin(std::future::ready(done));
    };
    let (key, value) = (key.to_owned(), value.map(str::to_owned));
    Box::pin(async move {
        let v = call(adapter, method, &key, value.as_deref()).await?;
        if method != GET || v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        v.as_string().map(Some).ok_or_else(failed)
    })
}

#[cfg(test)]
pub(crate) async fn get(adapter: StorageAdapter, key: &str) -> Result<Option<String>> {
    op(Store::Custom(adapter), GET, key, None).await
}

#[cfg(test)]
pub(crate) async fn set(adapter: StorageAdapter, key: &str, value: &str) -> Result<()> {
    op(Store::Custom(adapter), SET, key, Some(value))
        .await
        .map(|_| ())
}

#[cfg(test)]
pub(crate) async fn remove(adapter: StorageAdapter, key: &str) -> Result<()> {
    op(Store::Custom(adapter), REMOVE, key, None)
        .await
        .map(|_| ())
}
