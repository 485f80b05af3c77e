//! One operation in flight per key, shared by every caller in the page: two
//! `getAccessToken` calls that both find the token expired send one refresh, and
//! `handleCallback` called twice with the same URL (React StrictMode runs effects twice)
//! redeems the code once and gives both callers the same result. Plain futures and wakers:
//! it runs under any executor (the browser's, or the native tests').

use crate::error::Result;
use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// A flight's result once it lands, and who waits for it.
type Slot<T> = Rc<RefCell<(Option<Result<T>>, Vec<Waker>)>>;
/// The flights under way (and, when kept, landed), by key.
type List<T> = Rc<RefCell<Vec<(String, Slot<T>)>>>;

/// The flights of one kind of operation: a cheap handle.
pub(crate) struct Flights<T: 'static> {
    list: List<T>,
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
        self.list.borrow().iter().any(|(k, _)| k == key)
    }

    /// Runs `work` unless a flight with `key` exists; then waits for that one instead.
    /// (`work` is boxed: one copy of this per result type, not one per caller.)
    pub(crate) fn run<'a, F: Future<Output = Result<T>> + 'a>(
        &self,
        key: &str,
        work: impl FnOnce() -> F + 'a,
    ) -> Pin<Box<dyn Future<Output = Result<T>> + 'a>> {
        self.run_boxed(key, Box::new(move || Box::pin(work())))
    }

    fn run_boxed<'a>(
        &self,
        key: &str,
        work: Work<'a, T>,
    ) -> Pin<Box<dyn Future<Output = Result<T>> + 'a>> {
        let (this, key) = (self.clone(), key.to_owned());
        Box::pin(async move {
            if let Some(result) = this.wait(&key).await {
                return result;
            }
            let slot: Slot<T> = Rc::new(RefCell::new((None, Vec::new())));
            this.list.borrow_mut().push((key.clone(), slot.clone()));
            let result = work().await;
            let waiting = {
                let mut s = slot.borrow_mut();
                s.0 = Some(result.clone());
                std::mem::take(&mut s.1)
            };
            if !this.keep_results {
                this.list.borrow_mut().retain(|(k, _)| *k != key);
            }
            for w in waiting {
                w.wake();
            }
            result
        })
    }

    /// The result of the flight with `key`, once it lands; `None` at once when there is none.
    pub(crate) async fn wait(&self, key: &str) -> Option<Result<T>> {
        let slot = self
            .list
            .borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.clone())?;
        Some(
            poll_fn(|cx| {
                let mut s = slot.borrow_mut();
                match &s.0 {
                    Some(result) => Poll::Ready(result.clone()),
                    None => {
                        s.1.push(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
            .await,
        )
    }
}

/// A flight's work, boxed.
type Work<'a, T> = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Result<T>> + 'a>> + 'a>;
