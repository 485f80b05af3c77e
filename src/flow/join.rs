//! Two futures at once: `both(a, b)` polls each until both are done, so that two requests
//! are in flight together (the token request and the JWK Set in `handleCallback`: one round
//! trip instead of two). Hand-written: an executor's combinator would bring its runtime.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

/// Runs `a` and `b` concurrently; resolves to both outputs.
pub(crate) async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let mut ra = None;
    let mut rb = None;
    poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        match (ra.take(), rb.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                ra = x;
                rb = y;
                Poll::Pending
            }
        }
    })
    .await
}
