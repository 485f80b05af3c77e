//! Cross-tab mutual exclusion with the Web Locks API (`navigator.locks`): a refresh of a
//! session kept in localStorage runs in one tab at a time, so two tabs never redeem the same
//! rotating refresh token (RFC 9700 4.14.2: the second use would be refused, or revoke the
//! whole grant, and log the user out everywhere).

use js_sys::{Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, JsFuture};

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

type Job<T> = Rc<RefCell<Option<std::pin::Pin<Box<dyn Future<Output = T>>>>>>;

/// Runs `work` holding the lock `name` in every tab of the origin. When the lock is not
/// granted within `wait_ms` (a tab frozen mid-request holds it), it is taken with `steal`.
/// Without the Web Locks API, `work` runs unguarded.
pub(crate) async fn with_lock<T: 'static>(
    name: &str,
    wait_ms: u32,
    work: impl Future<Output = T> + 'static,
) -> T {
    let job: Job<T> = Rc::new(RefCell::new(Some(Box::pin(work))));
    let Some((locks, request)) = request_fn() else {
        return run(&job).await;
    };
    let result: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
    // Settles when the job has finished, under whichever grant started it.
    let mut finish: Option<Function> = None;
    let done = Promise::new(&mut |resolve, _| finish = Some(resolve));
    let finish = Rc::new(finish);
    let started = Rc::new(std::cell::Cell::new(false));
    for steal in [false, true] {
        let options = Object::new();
        if steal {
            let _ = Reflect::set(&options, &"steal".into(), &JsValue::TRUE);
        } else {
            let signal = web_sys::AbortSignal::timeout_with_u32(wait_ms);
            let _ = Reflect::set(&options, &"signal".into(), &signal);
        }
        let (j, r, f, s) = (job.clone(), result.clone(), finish.clone(), started.clone());
        // The lock is held until the promise this callback returns settles.
        let callback = Closure::once_into_js(move |_lock: JsValue| -> Promise {
            let taken = j.borrow_mut().take();
            let Some(taken) = taken else {
                return Promise::resolve(&JsValue::UNDEFINED);
            };
            s.set(true);
            future_to_promise(async move {
                let value = taken.await;
                r.borrow_mut().replace(value);
                if let Some(f) = f.as_ref() {
                    let _ = f.call0(&JsValue::UNDEFINED);
                }
                Ok(JsValue::UNDEFINED)
            })
        });
        let granted = request
            .call3(&locks, &name.into(), &options, &callback)
            .ok()
            .and_then(|p| p.dyn_into::<Promise>().ok());
        let Some(granted) = granted else { break };
        // Resolves after the job ran under the lock; rejects when the wait timed out (or,
        // for a stolen lock, at the steal, while the job goes on).
        if JsFuture::from(granted).await.is_ok() || started.get() {
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
        None => run(&job).await,
    }
}

async fn run<T>(job: &Job<T>) -> T {
    let taken = job.borrow_mut().take();
    match taken {
        Some(j) => j.await,
        // Only when a grant started the job and then lost its result, which the code above
        // never does. Never panic on it.
        None => std::future::pending().await,
    }
}
