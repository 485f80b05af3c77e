//! The userinfo response (OpenID Connect Core 5.3.2) and what makes it usable: it is about
//! the user of the ID token (5.3.4).

use crate::error::{Code, Error, Result};
use crate::json::{self, Json};
use crate::response;

/// The options of `get_user`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct UserOptions {
    /// Ask the userinfo endpoint and merge its claims over the ID token's (`userinfo`).
    pub userinfo: bool,
}

/// Reads a userinfo response for the session whose ID-token claims are `id_claims`, and
/// returns its claims. Refused: an error status (the server's error), a signed or encrypted
/// JWT instead of JSON (5.3.2 allows one when the client is registered for it; spa-oauth
/// reads claims from the ID token it verified, and says what to change), anything but a
/// JSON object, and claims about another `sub` than the ID token's (5.3.4: a token
/// substitution).
pub(crate) fn parse<J: Json>(status: u16, body: &str, id_claims: &J) -> Result<J> {
    if (200..300).contains(&status) && looks_like_jwt(body) {
        return Err(Error::new(
            Code::InvalidResponse,
            t!("The userinfo answer is a JWT (OIDC Core 5.3.2), not JSON: register the client without userinfo_signed_response_alg."),
        )
        .with_status(status));
    }
    let info: J = response::json_body(status, body)?;
    let sub = json::string(id_claims, "sub").ok();
    if sub.is_none() || json::string(&info, "sub").ok() != sub {
        return Err(Error::new(
            Code::InvalidResponse,
            t!("The userinfo response's sub is not the ID token's (OIDC Core 5.3.4)."),
        )
        .with_status(status));
    }
    Ok(info)
}

/// A compact JWS or JWE, as a server writes an `application/jwt` answer: its first part is
/// a base64url JSON object (`{"` is `eyJ`), where a JSON body starts with `{`.
fn looks_like_jwt(body: &str) -> bool {
    body.trim_ascii_start().starts_with("eyJ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::native::json;
    use serde_json::Value;

    fn id() -> Value {
        json(r#"{"sub":"alice","iss":"https://id.example"}"#)
    }

    #[test]
    fn the_claims_of_the_same_user_are_returned() {
        let info = parse(200, r#"{"sub":"alice","email":"a@example.test"}"#, &id()).unwrap();
        assert_eq!(info["email"], "a@example.test");
    }

    #[test]
    fn another_users_claims_are_refused() {
        for body in [
            r#"{"sub":"mallory"}"#,
            r#"{"email":"a@example.test"}"#,
            r#"{"sub":1}"#,
        ] {
            let e = parse::<Value>(200, body, &id()).unwrap_err();
            assert_eq!(e.code, Code::InvalidResponse, "{body}");
            assert!(e.description.as_str().contains("5.3.4"));
        }
        // No sub in the session's claims: nothing to compare with, so nothing is trusted.
        let e = parse::<Value>(200, r#"{"sub":"alice"}"#, &json("{}")).unwrap_err();
        assert_eq!(e.code, Code::InvalidResponse);
    }

    #[test]
    fn a_signed_or_encrypted_answer_is_named() {
        for jwt in [
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln",
            "eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn\n",
        ] {
            let e = parse::<Value>(200, jwt, &id()).unwrap_err();
            assert_eq!(e.code, Code::InvalidResponse);
            assert!(e
                .description
                .as_str()
                .contains("userinfo_signed_response_alg"));
            assert_eq!(e.status, Some(200));
        }
        // Not JSON and not a JWT: the plain answer.
        for body in ["<html>", "ey.a.b c", "", "\"eyJ\""] {
            let e = parse::<Value>(200, body, &id()).unwrap_err();
            assert!(
                !e.description.as_str().contains("userinfo_signed"),
                "{body}"
            );
        }
    }

    #[test]
    fn an_error_status_is_the_servers_error() {
        let e = parse::<Value>(401, r#"{"error":"invalid_token"}"#, &id()).unwrap_err();
        assert_eq!(e.error.as_deref(), Some("invalid_token"));
        // Even when the body looks like a JWT.
        let e = parse::<Value>(500, "eyJ.eyJ.c2ln", &id()).unwrap_err();
        assert_eq!(e.code, Code::ServerError);
    }
}
