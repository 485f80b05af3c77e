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

/// The claims that say who issued the ID token, to whom, when and how the user
/// authenticated (OIDC Core 2, 3.1.3.7; `tid`: the Entra tenant multi-tenant apps authorize
/// by). They were validated on the ID token; the userinfo answer is not signed and is not
/// checked for them, so it never replaces them (security review round 2, I10).
pub(crate) const PROTOCOL_CLAIMS: [&str; 11] = [
    "iss",
    "aud",
    "azp",
    "tid",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "auth_time",
    "acr",
    "amr",
];

/// The members of the userinfo answer that `getUser({ userinfo: true })` sets over the ID
/// token's claims (fresher profile claims: 5.3.2): all but the protocol claims, which stay
/// the ID token's alone ([`PROTOCOL_CLAIMS`]).
pub(crate) fn over_id_token<J: Json>(info: &J) -> Vec<(String, J)> {
    let mut members = Vec::new();
    for (name, value) in info.entries().unwrap_or_default() {
        if !PROTOCOL_CLAIMS.contains(&name.as_str()) {
            members.push((name, value));
        }
    }
    members
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

    /// I10: before, the userinfo answer's members all replaced the ID token's, and an app
    /// that authorizes by `getUser().tid` (the README tells multi-tenant apps to) read the
    /// unsigned answer's tenant.
    #[test]
    fn userinfo_claims_merge_over_the_id_tokens_except_the_protocol_claims() {
        let id = json(
            r#"{"iss":"https://id.example","sub":"alice","aud":"spa","tid":"t-1","exp":2,"iat":1,"nonce":"n","acr":"mfa","amr":["otp"],"email":"old@example.test"}"#,
        );
        let info = json(
            r#"{"sub":"alice","iss":"https://evil.example","aud":"evil","azp":"evil","tid":"t-2","exp":9,"iat":9,"nbf":9,"nonce":"x","auth_time":9,"acr":"none","amr":[],"email":"new@example.test","name":"Alice"}"#,
        );
        // The ID token's claims, then the userinfo members set over them, as the shell does.
        // (The native JSON's objects are sorted; the browser's keep their order.)
        let mut merged: Vec<(String, String)> = id
            .entries()
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        for (k, v) in over_id_token(&info) {
            merged.retain(|(n, _)| *n != k);
            merged.push((k, v.to_string()));
        }
        merged.sort();
        let mut expected: Vec<(String, String)> = [
            ("iss", r#""https://id.example""#),
            ("sub", r#""alice""#),
            ("aud", r#""spa""#),
            ("tid", r#""t-1""#),
            ("exp", "2"),
            ("iat", "1"),
            ("nonce", r#""n""#),
            ("acr", r#""mfa""#),
            ("amr", r#"["otp"]"#),
            ("email", r#""new@example.test""#),
            ("name", r#""Alice""#),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        expected.sort();
        assert_eq!(merged, expected);
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
