//! Session events: `onSessionChange`. Listeners are kept per session key (one per client and
//! server); the flows report login, refresh, logout and expiry, and the `storage` event
//! reports what other tabs did to a session kept in localStorage.

use super::storage::Store;
use crate::config::{TokenStorage, ValidConfig};
pub use crate::session_event::SessionEventKind;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// A change of the session. It carries no token: listeners read what they need with
/// `get_session_info` or `get_user`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SessionEvent {
    pub kind: SessionEventKind,
    /// Whether another tab made the change (seen through the `storage` event).
    pub external: bool,
    /// Where the session is kept: the configured `token_storage`, or `Memory` when that
    /// storage threw (blocked, sandboxed, quota full) and the session fell back to this
    /// page's memory.
    pub storage: TokenStorage,
}

type Callback = Rc<dyn Fn(&SessionEvent)>;

struct Listener {
    id: u32,
    key: String,
    store: Store,
    callback: Callback,
    /// What the page's coming back refreshes (`hook_coming_back`).
    config: ValidConfig,
}

thread_local! {
    static LISTENERS: RefCell<Vec<Listener>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    static STORAGE_HOOKED: Cell<bool> = const { Cell::new(false) };
    static COMING_BACK_HOOKED: Cell<bool> = const { Cell::new(false) };
    static ACTIVITY_HOOKED: Cell<bool> = const { Cell::new(false) };
    /// When this page last wrote the user's activity (seconds since the epoch).
    static ACTIVITY_WRITTEN: Cell<u64> = const { Cell::new(0) };
}

/// A subscription made by `on_session_change`; `unsubscribe` ends it (dropping it does not).
#[derive(Debug)]
pub struct Subscription(u32);

impl Subscription {
    /// Stops the listener. Calling it again does nothing; dropping the subscription does
    /// the same.
    pub fn unsubscribe(&self) {
        unsubscribe(self.0);
    }

    /// Keeps the listener for the life of the page, whatever becomes of this value; returns
    /// its id for [`unsubscribe`] (the JavaScript API's unsubscribe function, which an app
    /// may drop without meaning to stop listening).
    pub(crate) fn detach(self) -> u32 {
        std::mem::ManuallyDrop::new(self).0
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.unsubscribe();
    }
}

/// Stops the listener `id`.
pub(crate) fn unsubscribe(id: u32) {
    LISTENERS.with_borrow_mut(|l| l.retain(|x| x.id != id));
}

/// Calls `listener` on every change of `config`'s session, until the returned
/// [`Subscription`] is dropped or unsubscribed.
pub fn on_session_change(
    config: &ValidConfig,
    listener: impl Fn(&SessionEvent) + 'static,
) -> Subscription {
    hook_storage_event();
    hook_coming_back();
    if config.idle_timeout_secs.is_some() {
        hook_activity();
    }
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    LISTENERS.with_borrow_mut(|l| {
        l.push(Listener {
            id,
            key: crate::flow::page_key(config),
            store: config.token_storage.into(),
            callback: Rc::new(listener),
            config: config.clone(),
        })
    });
    Subscription(id)
}

/// Whether anyone listens to the session under `key`.
pub(crate) fn has_listeners(key: &str) -> bool {
    LISTENERS.with_borrow(|l| l.iter().any(|x| x.key == key))
}

/// Reports a change of this tab to the listeners of `key`.
pub(crate) fn emit(key: &str, kind: SessionEventKind, kept: Store) {
    dispatch(
        |l| l.key == key,
        SessionEvent {
            kind,
            external: false,
            storage: kept.into(),
        },
    );
}

fn dispatch(matches: impl Fn(&Listener) -> bool, event: SessionEvent) {
    // Collected first: a listener may subscribe or unsubscribe while being called.
    let callbacks: Vec<Callback> = LISTENERS.with_borrow(|l| {
        l.iter()
            .filter(|x| matches(x))
            .map(|x| x.callback.clone())
            .collect()
    });
    for c in callbacks {
        c(&event);
    }
}

/// Listens once per page to the page coming back: the network (`online`), the tab visible
/// again (`visibilitychange`), the page restored from the back-forward cache (`pageshow`
/// with `persisted`). Each session the app listens to is then handed to the core
/// (`flow::come_back`), which decides whether to refresh it.
fn hook_coming_back() {
    if COMING_BACK_HOOKED.with(|h| h.replace(true)) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let handler = Closure::<dyn Fn(web_sys::Event)>::new(|e: web_sys::Event| {
        let document = web_sys::window().and_then(|w| w.document());
        let back = match e.type_().as_str() {
            "visibilitychange" => document.is_some_and(|d| !d.hidden()),
            "pageshow" => e
                .dyn_ref::<web_sys::PageTransitionEvent>()
                .is_some_and(|p| p.persisted()),
            _ => true,
        };
        if !back {
            return;
        }
        let mut configs: Vec<ValidConfig> = Vec::new();
        LISTENERS.with_borrow(|l| {
            for x in l {
                if !configs.iter().any(|c| crate::flow::page_key(c) == x.key) {
                    configs.push(x.config.clone());
                }
            }
        });
        for config in configs {
            wasm_bindgen_futures::spawn_local(async move {
                super::flows::come_back(&config).await;
            });
        }
    });
    let f = handler.as_ref().unchecked_ref();
    let _ = window.add_event_listener_with_callback("online", f);
    let _ = window.add_event_listener_with_callback("pageshow", f);
    if let Some(d) = window.document() {
        let _ = d.add_event_listener_with_callback("visibilitychange", f);
    }
    // Lives as long as the page.
    handler.forget();
}

/// Records the user's activity for the idle timeout (`crate::idle`): a key, a click, a
/// touch, the wheel or the pointer moving, written to localStorage for every tab of the
/// origin at most every `idle::WRITE_EVERY_SECS`.
fn hook_activity() {
    if ACTIVITY_HOOKED.with(|h| h.replace(true)) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let handler = Closure::<dyn Fn()>::new(|| {
        let now = (js_sys::Date::now() / 1000.0) as u64;
        let last = ACTIVITY_WRITTEN.with(Cell::get);
        if now < last.saturating_add(crate::idle::WRITE_EVERY_SECS) {
            return;
        }
        ACTIVITY_WRITTEN.with(|w| w.set(now));
        let mut text = String::new();
        crate::form::push_u64(&mut text, now);
        let _ = super::storage::set(Store::Local, crate::idle::ACTIVITY_KEY, &text);
    });
    let f = handler.as_ref().unchecked_ref();
    for name in [
        "keydown",
        "pointerdown",
        "pointermove",
        "wheel",
        "touchstart",
    ] {
        let _ = window.add_event_listener_with_callback(name, f);
    }
    // Lives as long as the page.
    handler.forget();
}

/// Listens once per page to `storage` events: fired in this tab when another tab of the
/// origin changes localStorage (HTML Living Standard, 12.2.1). Only the session keys matter.
fn hook_storage_event() {
    if STORAGE_HOOKED.with(|h| h.replace(true)) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let handler = Closure::<dyn Fn(web_sys::StorageEvent)>::new(|e: web_sys::StorageEvent| {
        // sessionStorage fires storage events too (in same-tab frames); sessions kept there
        // are this tab's own.
        let local = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        if e.storage_area() != local {
            return;
        }
        let Some(kind) =
            SessionEventKind::of_change(e.old_value().as_deref(), e.new_value().as_deref())
        else {
            return;
        };
        let event = SessionEvent {
            kind,
            external: true,
            storage: TokenStorage::Local,
        };
        match e.key() {
            Some(key) => dispatch(|l| l.key == key && l.store == Store::Local, event),
            // `localStorage.clear()` in another tab removed every session.
            None => dispatch(|l| l.store == Store::Local, event),
        }
    });
    let _ = window.add_event_listener_with_callback("storage", handler.as_ref().unchecked_ref());
    // Lives as long as the page.
    handler.forget();
}

/// Resolves when another tab changes `key` in localStorage (or clears it), or after `ms`,
/// whichever comes first. Call it right after a read, with no `await` between: an event
/// dispatched later carries the change the read could not see yet.
pub(crate) async fn storage_change(key: &str, ms: i32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let mut settle: Option<js_sys::Function> = None;
    let changed = js_sys::Promise::new(&mut |resolve, _| settle = Some(resolve));
    let Some(settle) = settle else {
        return;
    };
    let key = key.to_owned();
    let on_event = settle.clone();
    let handler = Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |e: web_sys::StorageEvent| {
        if e.key().is_none_or(|k| k == key) {
            let _ = on_event.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    });
    let listener = handler.as_ref().unchecked_ref();
    let _ = window.add_event_listener_with_callback("storage", listener);
    let timer = window.set_timeout_with_callback_and_timeout_and_arguments_0(&settle, ms);
    let _ = wasm_bindgen_futures::JsFuture::from(changed).await;
    let _ = window.remove_event_listener_with_callback("storage", listener);
    if let Ok(t) = timer {
        window.clear_timeout_with_handle(t);
    }
}
