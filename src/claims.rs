//! Typed ID-token claims for Rust apps (the `serde` feature; never in the npm package's
//! wasm, whose JSON is the browser's own). The claims a login stored passed every check of
//! OIDC Core 3.1.3.7 first; this only reads them into a type.
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use spa_oauth::IdTokenClaims;
//!
//! let text = r#"{"iss":"https://id.example","sub":"u1","aud":"my-spa","exp":2000000000,
//!                "iat":1700000000,"email":"a@example.com","tenant":"acme"}"#;
//! let claims: IdTokenClaims = spa_oauth::claims_from_json(text)?;
//! assert_eq!(claims.sub, "u1");
//! assert_eq!(claims.aud, ["my-spa"]);
//! assert_eq!(claims.email.as_deref(), Some("a@example.com"));
//! assert_eq!(claims.additional["tenant"], "acme");
//! # }
//! # Ok::<(), spa_oauth::Error>(())
//! ```

use crate::error::{Code, Error, Result};
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;

/// The claims of a validated ID token: those of OIDC Core 2 and the standard claims of 5.1,
/// with every other claim in `additional`. An app with claims of its own reads them into its
/// own type instead (`get_user_claims::<MyClaims>`).
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    /// One audience or several: a single string in the token is one element here (OIDC
    /// Core 2, `aud`).
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Seconds since the epoch (RFC 7519 NumericDate), as are `iat` and `auth_time`.
    pub exp: u64,
    pub iat: u64,
    pub auth_time: Option<u64>,
    pub nonce: Option<String>,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    pub azp: Option<String>,
    /// The session at the server (OIDC Front-Channel Logout 3, RP-Initiated Logout).
    pub sid: Option<String>,
    // OIDC Core 5.1, the standard claims an ID token commonly carries.
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub picture: Option<String>,
    pub locale: Option<String>,
    /// Every other claim, as JSON.
    #[serde(flatten)]
    pub additional: serde_json::Map<String, serde_json::Value>,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(a) => vec![a],
        Aud::Many(a) => a,
    })
}

/// Reads claims (JSON text, as `get_user` returns them) into `T`: [`IdTokenClaims`], or an
/// app's own type. A claim of the wrong type for `T` is an `invalid_response` error naming
/// the place, never a panic.
pub fn claims_from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        // Not a `t!` text: this feature is never in the npm package, whose texts table
        // would carry it for nothing.
        Error::detail(
            Code::InvalidResponse,
            &[
                "The claims do not have the type asked for: ",
                &e.to_string(),
            ],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIMS: &str = r#"{"iss":"https://id.example","sub":"u1","aud":["a","b"],
        "exp":2000000000,"iat":1700000000,"auth_time":1699999000,"nonce":"n","amr":["pwd"],
        "email_verified":true,"groups":["x"]}"#;

    #[test]
    fn reads_the_standard_claims_and_keeps_the_others() {
        let c: IdTokenClaims = claims_from_json(CLAIMS).unwrap();
        assert_eq!(c.aud, ["a", "b"]);
        assert_eq!(c.auth_time, Some(1699999000));
        assert_eq!(c.amr.as_deref(), Some(&["pwd".to_string()][..]));
        assert_eq!(c.email_verified, Some(true));
        assert_eq!(c.additional["groups"][0], "x");
        // The named claims are not repeated in `additional`.
        assert!(!c.additional.contains_key("sub"));
    }

    #[test]
    fn an_apps_own_type() {
        #[derive(Deserialize)]
        struct Mine {
            sub: String,
            groups: Vec<String>,
        }
        let m: Mine = claims_from_json(CLAIMS).unwrap();
        assert_eq!((m.sub.as_str(), m.groups.len()), ("u1", 1));
    }

    #[test]
    fn a_claim_of_the_wrong_type_is_an_error_not_a_panic() {
        for bad in [
            r#"{"iss":"i","sub":1,"aud":"a","exp":1,"iat":1}"#,
            r#"{"iss":"i","sub":"s","aud":3,"exp":1,"iat":1}"#,
            r#"{"iss":"i","sub":"s","aud":"a","exp":-1,"iat":1}"#,
            r#"{"iss":"i","sub":"s","aud":"a","iat":1}"#,
            "not json",
        ] {
            let e = claims_from_json::<IdTokenClaims>(bad).unwrap_err();
            assert_eq!(e.code, Code::InvalidResponse, "{bad}");
            assert!(e.to_string().contains("type asked for"), "{e}");
        }
    }
}
