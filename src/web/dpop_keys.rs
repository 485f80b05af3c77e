//! The DPoP key pairs (request decoration, `Platform::dpop_key`): WebCrypto and IndexedDB,
//! through pkg-template/dpop.js. A Rust build imports that module (wasm-bindgen copies it
//! next to its glue); the npm package's entry loads it only for a config with `dpop: true`
//! and hands it over (`useDpopKeys`), so that an app without DPoP never downloads it.

use crate::error::{Code, Error, Result};
#[cfg(not(spa_oauth_npm))]
use js_sys::Promise;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[cfg(not(spa_oauth_npm))]
#[wasm_bindgen(module = "/pkg-template/dpop.js")]
extern "C" {
    fn key(name: &str, fresh: bool) -> Promise;
    fn sign(name: &str, input: &str) -> Promise;
    fn forget(name: &str) -> Promise;
}

#[cfg(spa_oauth_npm)]
mod store {
    use js_sys::{Function, Promise, Reflect};
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;

    thread_local! {
        static MODULE: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
    }

    /// The package entry hands over pkg-template/dpop.js once it has loaded it.
    #[wasm_bindgen(js_name = useDpopKeys)]
    pub fn use_dpop_keys(module: JsValue) {
        MODULE.with(|m| *m.borrow_mut() = module);
    }

    fn call(name: &str, args: &[JsValue]) -> Promise {
        let f = MODULE.with(|m| Reflect::get(&m.borrow(), &JsValue::from_str(name)));
        let Ok(f) = f.and_then(|f| f.dyn_into::<Function>()) else {
            return Promise::reject(&JsValue::UNDEFINED);
        };
        let args: js_sys::Array = args.iter().collect();
        f.apply(&JsValue::NULL, &args)
            .map_or_else(|e| Promise::reject(&e), |p| p.unchecked_into())
    }

    pub(super) fn key(name: &str, fresh: bool) -> Promise {
        call("key", &[JsValue::from_str(name), JsValue::from(fresh)])
    }
    pub(super) fn sign(name: &str, input: &str) -> Promise {
        call("sign", &[JsValue::from_str(name), JsValue::from_str(input)])
    }
    pub(super) fn forget(name: &str) -> Promise {
        call("forget", &[JsValue::from_str(name)])
    }
}
#[cfg(spa_oauth_npm)]
use store::{forget, key, sign};

/// WebCrypto or IndexedDB refused (a private window without IndexedDB, storage blocked).
fn unavailable(_: JsValue) -> Error {
    Error::new(
        Code::StorageUnavailable,
        t!("The DPoP key pair could not be made or read (WebCrypto or IndexedDB refused)."),
    )
}

pub(crate) async fn public_key(name: &str, fresh: bool) -> Result<Option<(String, String)>> {
    let v = JsFuture::from(key(name, fresh))
        .await
        .map_err(unavailable)?;
    if v.is_null() {
        return Ok(None);
    }
    let xy: Array = v.unchecked_into();
    match (xy.get(0).as_string(), xy.get(1).as_string()) {
        (Some(x), Some(y)) => Ok(Some((x, y))),
        _ => Ok(None),
    }
}

pub(crate) async fn signature(name: &str, input: &str) -> Result<Option<Vec<u8>>> {
    let v = JsFuture::from(sign(name, input))
        .await
        .map_err(unavailable)?;
    Ok(v.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec()))
}

pub(crate) fn delete(name: &str) {
    let _ = forget(name);
}
