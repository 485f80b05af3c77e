//! Server time in the flows (`crate::clock`): the offset between this browser's clock and
//! the servers', kept in this page and, for the origin's next pages, in localStorage.

use super::{Platform, Store};
use crate::clock;

/// The offset this origin learned (0 until one was).
pub(crate) async fn offset<P: Platform>(p: &P) -> i64 {
    if let Some(o) = p.state().offset.get() {
        return o;
    }
    let stored = p.get(Store::Local, clock::KEY).await.ok().flatten();
    let o = stored.and_then(|s| clock::decode(&s)).unwrap_or(0);
    p.state().offset.set(Some(o));
    o
}

/// Now, on the servers' clock.
pub(crate) async fn server_now<P: Platform>(p: &P) -> u64 {
    clock::server_now(p.now(), offset(p).await)
}

/// Keeps a learned offset (best effort: without localStorage, the next page learns again).
pub(crate) async fn learn<P: Platform>(p: &P, offset: i64) {
    p.state().offset.set(Some(offset));
    let _ = p
        .set(Store::Local, clock::KEY, &clock::encode(offset))
        .await;
}

/// Learns from a server answer's `Date` header, where CORS let the page read it.
pub(crate) async fn from_date<P: Platform>(p: &P, date: Option<&str>) {
    let said = date.and_then(clock::http_date);
    if let Some(o) = said.and_then(|s| clock::offset(s, p.now())) {
        if p.state().offset.get() != Some(o) {
            learn(p, o).await;
        }
    }
}
