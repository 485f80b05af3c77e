//! The package's lazily loaded JavaScript modules (pkg-template/dpop.js, login-window.js),
//! as the wasm calls them. A Rust build imports each one (wasm-bindgen copies it next to its
//! glue: see the callers); the npm package's entry loads a module only when a call needs it
//! and hands it over (`useDpopKeys`, `useLoginWindow`), so that an app that never needs it
//! never downloads it.

#[cfg(spa_oauth_npm)]
mod handed_over {
    use js_sys::{Function, Promise, Reflect};
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;

    thread_local! {
        /// The modules the entry handed over, by `Module` index.
        static MODULES: RefCell<[JsValue; 2]> = const { RefCell::new([JsValue::UNDEFINED, JsValue::UNDEFINED]) };
    }

    fn keep(which: usize, module: JsValue) {
        MODULES.with(|m| {
            if let Some(slot) = m.borrow_mut().get_mut(which) {
                *slot = module;
            }
        });
    }

    /// The package entry hands over pkg-template/dpop.js once it has loaded it.
    #[wasm_bindgen(js_name = useDpopKeys)]
    pub fn use_dpop_keys(module: JsValue) {
        keep(0, module);
    }

    /// The package entry hands over pkg-template/login-window.js once it has loaded it.
    #[wasm_bindgen(js_name = useLoginWindow)]
    pub fn use_login_window(module: JsValue) {
        keep(1, module);
    }

    /// Calls the function `name` of module `which`: its promise, or a rejected one when the
    /// module was not handed over.
    pub(crate) fn call(which: usize, name: &str, args: &[JsValue]) -> Promise {
        let f = MODULES.with(|m| {
            let m = m.borrow();
            let module = m.get(which).cloned().unwrap_or(JsValue::UNDEFINED);
            Reflect::get(&module, &JsValue::from_str(name))
        });
        let Ok(f) = f.and_then(|f| f.dyn_into::<Function>()) else {
            return Promise::reject(&JsValue::UNDEFINED);
        };
        let args: js_sys::Array = args.iter().collect();
        f.apply(&JsValue::NULL, &args)
            .map_or_else(|e| Promise::reject(&e), |p| p.unchecked_into())
    }
}
#[cfg(spa_oauth_npm)]
pub(crate) use handed_over::call;

/// Module indexes for `call`.
#[cfg(spa_oauth_npm)]
pub(crate) const DPOP: usize = 0;
#[cfg(spa_oauth_npm)]
pub(crate) const LOGIN_WINDOW: usize = 1;
