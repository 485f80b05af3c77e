//! The core's JSON view over JavaScript values: configs and options as the app passed
//! them, and response bodies parsed by the browser's own `JSON.parse` (no JSON parser is
//! shipped in the wasm).
//!
//! Only own properties are read. `config.tokenEndpoint` would otherwise find
//! `Object.prototype.tokenEndpoint`, and a metadata document without `revocation_endpoint`
//! would find that member on the prototype: with a prototype-pollution bug anywhere in the
//! app (a deep merge of a `__proto__` key), codes, verifiers and tokens would be sent where
//! the polluter chose, and the polluted metadata cached.

use crate::json::Json;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// `Object.hasOwn` (ES2022): a static function, so neither the object (a server's
    /// JSON may have a `hasOwnProperty` member) nor its prototype can change the answer.
    /// `catch`: a Proxy's trap may throw.
    #[wasm_bindgen(js_namespace = Object, js_name = hasOwn, catch)]
    fn has_own(object: &JsValue, key: &JsValue) -> Result<bool, JsValue>;
}

/// A fresh object with no prototype, for every dictionary handed to a browser API (fetch's
/// init, WebCrypto's key and algorithm parameters, the Web Locks options). WebIDL converts
/// a dictionary by reading each member with [[Get]] (WebIDL 3.2.17), which follows the
/// prototype chain: on a plain object, a polluted `Object.prototype.key_ops`, `.method`,
/// `.body` or `.steal` would become a member the library never set.
pub(crate) fn dictionary() -> Object {
    Object::create(JsValue::NULL.unchecked_ref())
}

impl Json for JsValue {
    fn parse(text: &str) -> Option<Self> {
        JSON::parse(text).ok()
    }

    fn get(&self, key: &str) -> Option<Self> {
        if !JsValue::is_object(self) {
            return None;
        }
        let key = JsValue::from_str(key);
        if has_own(self, &key) != Ok(true) {
            return None;
        }
        // A getter that throws (a Proxy, a hostile object) reads as absent.
        Reflect::get(self, &key).ok().filter(|v| !v.is_undefined())
    }

    fn is_object(&self) -> bool {
        JsValue::is_object(self) && !Array::is_array(self)
    }

    fn is_null(&self) -> bool {
        self.is_null() || self.is_undefined()
    }

    fn as_string(&self) -> Option<String> {
        JsValue::as_string(self)
    }

    fn as_f64(&self) -> Option<f64> {
        JsValue::as_f64(self)
    }

    fn as_bool(&self) -> Option<bool> {
        JsValue::as_bool(self)
    }

    fn entries(&self) -> Option<Vec<(String, Self)>> {
        if !Json::is_object(self) {
            return None;
        }
        let obj: &Object = self.unchecked_ref();
        let mut out = Vec::new();
        for entry in Object::entries(obj).iter() {
            let pair: Array = entry.unchecked_into();
            out.push((pair.get(0).as_string()?, pair.get(1)));
        }
        Some(out)
    }

    fn elements(&self) -> Option<Vec<Self>> {
        if !Array::is_array(self) {
            return None;
        }
        // Config arrays (`apiOrigins`, `tenants`) are the app's own: a sparse one has holes,
        // and reading a hole reads `Array.prototype` and `Object.prototype`, where a
        // prototype-pollution bug puts the attacker's value (`Object.prototype[0]`: the token
        // sent to its origin). An array with a hole is refused whole, as a value of the wrong
        // type (security review round 2, L15). `JSON.parse` makes no holes.
        let array: &Array = self.unchecked_ref();
        let mut out = Vec::new();
        for i in 0..array.length() {
            if has_own(self, &JsValue::from(i)) != Ok(true) {
                return None;
            }
            out.push(array.get(i));
        }
        Some(out)
    }
}
