//! One operation in flight per key, shared by every caller in the page: two
//! `getAccessToken` calls that both find the token expired send one refresh, and
//! `handleCallback` called twice with the same URL (React StrictMode runs effects twice)
//! redeems the code once and gives both callers the same result. Plain futures and wakers:
//! it runs under any executor (the browser's, or the native tests').

use crate::error::Result;
use std::cell::RefCell;
use std::future::{poll_fn, Future};
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
    pub(crate) async fn run<F: Future<Output = Result<T>>>(
        &self,
        key: &str,
        work: impl FnOnce() -> F,
    ) -> Result<T> {
        let existing = self
            .list
            .borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.clone());
        if let Some(slot) = existing {
            return poll_fn(|cx| {
                let mut s = slot.borrow_mut();
                match &s.0 {
                    Some(result) => Poll::Ready(result.clone()),
                    None => {
                        s.1.push(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
            .await;
        }
        let slot: Slot<T> = Rc::new(RefCell::new((None, Vec::new())));
        self.list.borrow_mut().push((key.into(), slot.clone()));
        let result = work().await;
        let waiting = {
            let mut s = slot.borrow_mut();
            s.0 = Some(result.clone());
            std::mem::take(&mut s.1)
        };
        if !self.keep_results {
            self.list.borrow_mut().retain(|(k, _)| k != key);
        }
        for w in waiting {
            w.wake();
        }
        result
    }
}
