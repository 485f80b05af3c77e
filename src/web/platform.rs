//! The browser as the flows' platform (`crate::flow::Platform`): each method is one browser
//! API, through the shell's modules. Nothing here decides.

use super::{
    crypto, dpop_keys, events, http, location, lock, login_window, storage, storage_adapter,
};
use crate::error::Result;
use crate::flow::{FlowState, Platform, Response, Store};
use crate::jwks::Jwk;
use crate::jws::Alg;
use crate::session_event::SessionEventKind;
use std::future::Future;
use wasm_bindgen::{JsCast, JsValue};

/// This page.
#[derive(Clone, Copy)]
pub(crate) struct Browser;

thread_local! {
    /// The flows' state in this page: made once, kept for the page's life.
    static STATE: &'static FlowState = Box::leak(Box::new(FlowState::new()));
}

impl Platform for Browser {
    type Json = JsValue;

    fn state(&self) -> &FlowState {
        STATE.with(|s| *s)
    }

    fn now(&self) -> u64 {
        super::now()
    }

    fn random(&self, buf: &mut [u8]) -> Result<()> {
        super::random(buf)
    }

    fn get(&self, store: Store, key: &str) -> impl Future<Output = Result<Option<String>>> {
        storage_adapter::op(store, storage_adapter::GET, key, None)
    }

    async fn set(&self, store: Store, key: &str, value: &str) -> Result<()> {
        storage_adapter::op(store, storage_adapter::SET, key, Some(value))
            .await
            .map(|_| ())
    }

    async fn remove(&self, store: Store, key: &str) -> Result<()> {
        storage_adapter::op(store, storage_adapter::REMOVE, key, None)
            .await
            .map(|_| ())
    }

    fn keys(&self, store: Store, prefix: &str) -> Result<Vec<String>> {
        storage::keys_with_prefix(store, prefix)
    }

    fn send(
        &self,
        url: &str,
        body: Option<&str>,
        authorization: Option<&str>,
        dpop: Option<&str>,
        timeout_ms: u32,
    ) -> impl Future<Output = Result<Response>> {
        http::send(url, body, authorization, dpop, timeout_ms)
    }

    fn dpop_key(
        &self,
        name: &str,
        fresh: bool,
    ) -> impl Future<Output = Result<Option<(String, String)>>> {
        dpop_keys::public_key(name, fresh)
    }

    fn dpop_sign(&self, name: &str, input: &str) -> impl Future<Output = Result<Option<Vec<u8>>>> {
        dpop_keys::signature(name, input)
    }

    fn dpop_forget(&self, name: &str) -> impl Future<Output = ()> {
        dpop_keys::delete(name)
    }

    fn dpop_adopt(&self, name: &str) -> impl Future<Output = ()> {
        dpop_keys::mark_adopted(name)
    }

    fn dpop_sweep(&self, pending_before: u64, idle_before: u64) -> impl Future<Output = ()> {
        dpop_keys::sweep_before(pending_before, idle_before)
    }

    fn sha256(&self, data: &[u8]) -> impl Future<Output = Result<[u8; 32]>> {
        crypto::sha256(data)
    }

    fn verify(
        &self,
        jwk: &Jwk,
        alg: Alg,
        signing_input: &str,
        signature: &[u8],
    ) -> impl Future<Output = Result<bool>> {
        crypto::verify(jwk, alg, signing_input, signature)
    }

    fn href(&self) -> Option<String> {
        location::href().ok()
    }

    fn assign(&self, url: &str) -> Result<()> {
        location::assign(url)
    }

    fn replace(&self, url: &str) {
        location::replace(url)
    }

    fn show_elsewhere(
        &self,
        url: &str,
        shown: &crate::login_window::Shown,
        state: &str,
    ) -> impl Future<Output = crate::login_window::Answer> {
        login_window::show_elsewhere(url, *shown, state)
    }

    fn hand_over(&self, state: &str, url: &str) {
        login_window::hand_over(state, url)
    }

    fn emit(&self, key: &str, kind: SessionEventKind, kept: Store) {
        events::emit(key, kind, kept)
    }

    fn has_listeners(&self, key: &str) -> bool {
        events::has_listeners(key)
    }

    fn storage_change(&self, key: &str, ms: u32) -> impl Future<Output = ()> {
        events::storage_change(key, ms.min(i32::MAX as u32) as i32)
    }

    fn after(&self, ms: u32, f: std::pin::Pin<Box<dyn Future<Output = ()>>>) {
        let run = move || {
            let _ = super::promise(Box::pin(async move {
                f.await;
                Ok(JsValue::UNDEFINED)
            }));
        };
        let fire = wasm_bindgen::closure::Closure::once_into_js(run);
        if let Some(w) = web_sys::window() {
            let ms = ms.min(i32::MAX as u32) as i32;
            let _ =
                w.set_timeout_with_callback_and_timeout_and_arguments_0(fire.unchecked_ref(), ms);
        }
    }

    fn with_lock<T: 'static, F: Future<Output = T> + 'static>(
        &self,
        name: &str,
        steal_ms: u32,
        work: impl FnOnce(bool) -> F + 'static,
    ) -> impl Future<Output = T> {
        lock::with_lock(name, steal_ms, work)
    }
}
