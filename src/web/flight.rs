//! One operation in flight per key, shared by every caller in the page: two
//! `getAccessToken` calls that both find the token expired send one refresh, and
//! `handleCallback` called twice with the same URL (React StrictMode runs effects twice)
//! redeems the code once and gives both callers the same result.

use crate::error::Result;
use js_sys::{Function, Promise};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

type Slot<T> = Rc<RefCell<Option<Result<T>>>>;
/// (key, a promise resolved when the flight lands, its result).
type Flight<T> = (String, Promise, Slot<T>);

/// The flights of one kind of operation: a cheap handle, cloned out of a thread-local.
pub(crate) struct Flights<T: 'static> {
    list: Rc<RefCell<Vec<Flight<T>>>>,
    /// Whether a finished flight's result is kept for later callers with the same key.
    keep_results: bool,
}

impl<T> Clone for Flights<T> {
    fn clone(&self) -> Self {
        Flights {
            list: self.list.clone(),
            keep_results: self.keep_results,
        }
    }
}

impl<T: Clone + 'static> Flights<T> {
    pub(crate) fn new(keep_results: bool) -> Self {
        Flights {
            list: Rc::new(RefCell::new(Vec::new())),
            keep_results,
        }
    }

    /// Whether a flight with this key is running or (when results are kept) has finished.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.list.borrow().iter().any(|(k, _, _)| k == key)
    }

    /// Runs `work` unless a flight with `key` exists; then waits for that one instead.
    pub(crate) async fn run<F: Future<Output = Result<T>>>(
        &self,
        key: &str,
        work: impl FnOnce() -> F,
    ) -> Result<T> {
        let existing = self
            .list
            .borrow()
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, p, s)| (p.clone(), s.clone()));
        if let Some((done, slot)) = existing {
            let _ = JsFuture::from(done).await;
            if let Some(result) = slot.borrow().clone() {
                return result;
            }
        }
        let mut resolve: Option<Function> = None;
        let done = Promise::new(&mut |res, _| resolve = Some(res));
        let slot: Slot<T> = Rc::new(RefCell::new(None));
        self.list
            .borrow_mut()
            .push((key.into(), done, slot.clone()));
        let result = work().await;
        *slot.borrow_mut() = Some(result.clone());
        if !self.keep_results {
            self.list.borrow_mut().retain(|(k, _, _)| k != key);
        }
        if let Some(r) = resolve {
            let _ = r.call0(&JsValue::UNDEFINED);
        }
        result
    }
}
