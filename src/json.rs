//! A read-only view of a parsed JSON value (or a JavaScript object), so that the sans-IO
//! core can validate configs, token responses and metadata without carrying a JSON parser:
//! in the browser the values come from the browser's own `JSON.parse` (see `web::js_value`),
//! in native tests from `serde_json`. Only one implementation exists per build, so the
//! generic functions over it are compiled once.

pub(crate) trait Json: Sized {
    /// Parses JSON text; `None` when it is not JSON.
    fn parse(text: &str) -> Option<Self>;
    /// The member `key` of an object; `None` when absent, or when `self` is not an object.
    fn get(&self, key: &str) -> Option<Self>;
    fn is_object(&self) -> bool;
    /// `null` or (for JavaScript objects) `undefined`.
    fn is_null(&self) -> bool;
    fn as_string(&self) -> Option<String>;
    fn as_f64(&self) -> Option<f64>;
    fn as_bool(&self) -> Option<bool>;
    /// The members of an object, in order; `None` when `self` is not an object.
    fn entries(&self) -> Option<Vec<(String, Self)>>;
    /// The elements of an array; `None` when `self` is not an array.
    fn elements(&self) -> Option<Vec<Self>>;
}

/// Why a member could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Missing,
    WrongType,
}

/// A member that, when present and not null, must be a string.
pub(crate) fn opt_string<J: Json>(obj: &J, key: &str) -> Result<Option<String>, Field> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or(Field::WrongType),
    }
}

/// A member that must be a non-empty string.
pub(crate) fn string<J: Json>(obj: &J, key: &str) -> Result<String, Field> {
    match opt_string(obj, key)? {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => Err(Field::WrongType),
        None => Err(Field::Missing),
    }
}

/// A member that, when present and not null, must be a boolean.
pub(crate) fn opt_bool<J: Json>(obj: &J, key: &str) -> Result<Option<bool>, Field> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => v.as_bool().map(Some).ok_or(Field::WrongType),
    }
}

/// A member that, when present and not null, must be an array of strings.
pub(crate) fn opt_strings<J: Json>(obj: &J, key: &str) -> Result<Option<Vec<String>>, Field> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => {
            let items = v.elements().ok_or(Field::WrongType)?;
            items
                .iter()
                .map(|i| i.as_string().ok_or(Field::WrongType))
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        }
    }
}

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod native {
    //! The native implementation, over serde_json (for tests and the fuzz targets: it never
    //! reaches the wasm).
    use super::Json;
    use serde_json::Value;

    impl Json for Value {
        fn parse(text: &str) -> Option<Self> {
            serde_json::from_str(text).ok()
        }
        fn get(&self, key: &str) -> Option<Self> {
            self.as_object()?.get(key).cloned()
        }
        fn is_object(&self) -> bool {
            self.as_object().is_some()
        }
        fn is_null(&self) -> bool {
            Value::is_null(self)
        }
        fn as_string(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }
        fn as_f64(&self) -> Option<f64> {
            Value::as_f64(self)
        }
        fn as_bool(&self) -> Option<bool> {
            Value::as_bool(self)
        }
        fn entries(&self) -> Option<Vec<(String, Self)>> {
            Some(
                self.as_object()?
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        }
        fn elements(&self) -> Option<Vec<Self>> {
            self.as_array().cloned()
        }
    }

    /// Parses test JSON.
    #[cfg(test)]
    pub(crate) fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("test JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::native::json;
    use super::*;

    #[test]
    fn typed_member_access() {
        let v = json(r#"{"s":"x","e":"","n":1,"z":null,"b":true,"a":["p","q"],"m":["p",1]}"#);
        assert_eq!(string(&v, "s"), Ok("x".into()));
        assert_eq!(string(&v, "e"), Err(Field::WrongType));
        assert_eq!(string(&v, "n"), Err(Field::WrongType));
        assert_eq!(string(&v, "z"), Err(Field::Missing));
        assert_eq!(string(&v, "absent"), Err(Field::Missing));
        assert_eq!(opt_string(&v, "e"), Ok(Some(String::new())));
        assert_eq!(opt_string(&v, "z"), Ok(None));
        assert_eq!(opt_bool(&v, "b"), Ok(Some(true)));
        assert_eq!(opt_bool(&v, "s"), Err(Field::WrongType));
        assert_eq!(opt_strings(&v, "a"), Ok(Some(vec!["p".into(), "q".into()])));
        assert_eq!(opt_strings(&v, "m"), Err(Field::WrongType));
        assert_eq!(opt_strings(&v, "s"), Err(Field::WrongType));
        assert_eq!(opt_strings(&v, "absent"), Ok(None));
        // Not an object: every member is absent.
        assert_eq!(opt_string(&json("[1]"), "s"), Ok(None));
    }
}
