//! Secrets as a newtype (as the `oauth2` crate does): a code verifier, an authorization
//! code, or a token can only be read with an explicit `expose()`, and its `Debug` never
//! prints it, so a logged struct or error cannot leak one.

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(s: String) -> Secret {
        Secret(s)
    }

    /// The secret's value. Every call site is a place where it leaves spa-oauth.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_does_not_print_the_value() {
        let s = super::Secret::new("eyJhbGciOi.secret".into());
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.expose(), "eyJhbGciOi.secret");
    }
}
