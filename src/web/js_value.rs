//! The core's JSON view over JavaScript values: configs and options as the app passed
//! them, and response bodies parsed by the browser's own `JSON.parse` (no JSON parser is
//! shipped in the wasm).

use crate::json::Json;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

impl Json for JsValue {
    fn parse(text: &str) -> Option<Self> {
        JSON::parse(text).ok()
    }

    fn get(&self, key: &str) -> Option<Self> {
        if !JsValue::is_object(self) {
            return None;
        }
        // A getter that throws (a Proxy, a hostile object) reads as absent.
        Reflect::get(self, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined())
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
        Some(self.unchecked_ref::<Array>().iter().collect())
    }
}
