//! Cross-tab mutual exclusion with the Web Locks API (`navigator.locks`): a refresh of a
//! session kept in localStorage runs in one tab at a time, so two tabs never redeem the same
//! rotating refresh token (RFC 9700 4.14.2: the second use would be refused, or revoke the
//! whole grant, and log the user out everywhere).

use js_sys::{Function, Promise, Reflect};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `navigator.locks.request`, bound to `navigator.locks`; `None` where the API is missing
/// (insecure contexts, old browsers).
fn request_fn() -> Option<(JsValue, Function)> {
    let window = web_sys::window()?;
    let locks = Reflect::get(&window, &"navigator".into())
        .and_then(|n| Reflect::get(&n, &"locks".into()))
        .ok()
        .filter(|l| l.is_object())?;
    let request = Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into()
        .ok()?;
    Some((locks, request))
}

type Work<T> = Pin<Box<dyn Future<Output = T>>>;
/// The work, not started yet: it is told whether the lock was contended when it starts.
type Job<T> = Rc<RefCell<Option<Box<dyn FnOnce(bool) -> Work<T>>>>>;

/// How a request for the lock is made; tried in this order.
#[derive(Clone, Copy, PartialEq)]
enum Attempt {
    /// `ifAvailable`: granted at once when nobody holds the lock, else not at all. Tells an
    /// uncontended lock from one another tab held (and may have used) just before.
    IfFree,
    /// Waits in the queue, up to `wait_ms`.
    Wait,
    /// Takes the lock from a holder that kept it too long (a frozen tab).
    Steal,
}

/// Runs `work` holding the lock `name` in every tab of the origin. When the lock is not
/// granted within `wait_ms` (a tab frozen mid-request holds it), it is taken with `steal`.
/// Without the Web Locks API, `work` runs unguarded.
///
/// `work` is told whether the lock was contended: whether another holder had it when this
/// one asked. That holder's writes to localStorage may not be visible here yet (see
/// `flows::refresh`).
pub(crate) async fn with_lock<T: 'static, F: Future<Output = T> + 'static>(
    name: &str,
    wait_ms: u32,
    work: impl FnOnce(bool) -> F + 'static,
) -> T {
    let job: Job<T> = Rc::new(RefCell::new(Some(Box::new(move |contended| {
        Box::pin(work(contended)) as Work<T>
    }))));
    let Some((locks, request)) = request_fn() else {
        return run(&job, false).await;
    };
    let result: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
    // Settles when the job has finished, under whichever grant started it.
    let mut finish: Option<Function> = None;
    let done = Promise::new(&mut |resolve, _| finish = Some(resolve));
    let finish = Rc::new(finish);
    let started = Rc::new(Cell::new(false));
    for attempt in [Attempt::IfFree, Attempt::Wait, Attempt::Steal] {
        let options = super::js_value::dictionary();
        let _ = match attempt {
            Attempt::IfFree => Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE),
            Attempt::Wait => Reflect::set(
                &options,
                &"signal".into(),
                &web_sys::AbortSignal::timeout_with_u32(wait_ms),
            ),
            Attempt::Steal => Reflect::set(&options, &"steal".into(), &JsValue::TRUE),
        };
        let (j, r, f, s) = (job.clone(), result.clone(), finish.clone(), started.clone());
        // The lock is held until the promise this callback returns settles.
        let callback = Closure::once_into_js(move |lock: JsValue| -> Promise {
            // `null`: an `ifAvailable` request found the lock held.
            let taken = if lock.is_null() {
                None
            } else {
                j.borrow_mut().take()
            };
            let Some(taken) = taken else {
                return Promise::resolve(&JsValue::UNDEFINED);
            };
            s.set(true);
            let job = taken(attempt != Attempt::IfFree);
            super::promise(Box::pin(async move {
                let value = job.await;
                r.borrow_mut().replace(value);
                if let Some(f) = f.as_ref() {
                    let _ = f.call0(&JsValue::UNDEFINED);
                }
                Ok(JsValue::UNDEFINED)
            }))
        });
        let granted = request
            .call3(&locks, &name.into(), &options, &callback)
            .ok()
            .and_then(|p| p.dyn_into::<Promise>().ok());
        let Some(granted) = granted else { break };
        // Resolves after the job ran under the lock (or at once when `ifAvailable` found it
        // held); rejects when the wait timed out (or, for a stolen lock, at the steal, while
        // the job goes on).
        let _ = JsFuture::from(granted).await;
        if started.get() {
            break;
        }
    }
    if started.get() {
        let _ = JsFuture::from(done).await;
    }
    let value = result.borrow_mut().take();
    match value {
        Some(v) => v,
        // The API misbehaved (no grant at all): do the work without it.
        None => run(&job, false).await,
    }
}

async fn run<T>(job: &Job<T>, contended: bool) -> T {
    let taken = job.borrow_mut().take();
    match taken {
        Some(j) => j(contended).await,
        // Only when a grant started the job and then lost its result, which the code above
        // never does. Never panic on it.
        None => std::future::pending().await,
    }
}
