//! The token endpoint (RFC 6749 section 3.2): the two grant requests a public client sends
//! (authorization_code, 4.1.3 with RFC 7636 4.5; refresh_token, section 6), and the strict
//! reading of what comes back (5.1 success, 5.2 error).

use crate::error::Result;
use crate::form;
use crate::json::{self, Json};
use crate::secret::Secret;
use crate::transaction::Transaction;

/// The longest lifetime believed (ten years); a larger `expires_in` is clamped to it, so a
/// huge value cannot overflow the expiry time.
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

/// The authorization_code grant body (RFC 6749 4.1.3, RFC 7636 4.5). `redirect_uri` and
/// `client_id` are those of the transaction, so the request matches the one that got the
/// code even if the app's config changed in between.
pub(crate) fn code_grant(tx: &Transaction, code: &Secret, secret: Option<&Secret>) -> String {
    let mut body = String::with_capacity(256);
    form::push(&mut body, "grant_type", "authorization_code");
    form::push(&mut body, "code", code.expose());
    form::push(&mut body, "redirect_uri", &tx.redirect_uri);
    form::push(&mut body, "client_id", &tx.client_id);
    push_secret(&mut body, secret);
    form::push(&mut body, "code_verifier", tx.verifier.expose());
    body
}

/// `client_secret` (RFC 6749 2.3.1, in the body), for the servers that want one from a
/// browser app (`Config::client_secret`).
fn push_secret(body: &mut String, secret: Option<&Secret>) {
    if let Some(s) = secret {
        form::push(body, "client_secret", s.expose());
    }
}

/// The refresh_token grant body (RFC 6749 section 6). A public client identifies itself with
/// `client_id` (RFC 6749 3.2.1). `scope`, when not empty, is sent: RFC 6749 6 allows the
/// scope originally granted, and Entra ID needs it to issue a token for an API scope again
/// (without it, it answers for its default resource and the app's API refuses the token).
pub(crate) fn refresh_grant(
    client_id: &str,
    secret: Option<&Secret>,
    refresh_token: &Secret,
    scope: &str,
) -> String {
    let mut body = String::with_capacity(256);
    form::push(&mut body, "grant_type", "refresh_token");
    form::push(&mut body, "refresh_token", refresh_token.expose());
    form::push(&mut body, "client_id", client_id);
    push_secret(&mut body, secret);
    if !scope.is_empty() {
        form::push(&mut body, "scope", scope);
    }
    body
}

/// A successful token response.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct TokenResponse {
    pub access_token: Secret,
    /// Seconds, when the server said.
    pub expires_in: Option<u64>,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    /// The granted scope, when the server sent one (RFC 6749 5.1: it must when it differs).
    pub scope: Option<String>,
    /// `token_type` is `DPoP`: the token is bound to this browser's key (RFC 9449 5).
    pub dpop: bool,
    /// Seconds the refresh token (and so the session) can still be used, when the server
    /// says: see [`refresh_lifetime`].
    pub refresh_expires_in: Option<u64>,
}

/// The refresh token's remaining life, where a server says it: Keycloak's
/// `refresh_expires_in` (its SSO session's idle or maximum time, whichever ends first; 0 for
/// an offline token, which has no end) and Entra ID's `refresh_token_expires_in` (a
/// single-page app's refresh token lives 24 hours from the login, whatever the refreshes).
/// Extensions, informative only: a value that is not a positive number is read as not said
/// (nothing is accepted that the server did not say; a session just gets no warning). The
/// refresh token itself is never parsed: it is opaque to the client (RFC 6749 1.5).
fn refresh_lifetime<J: Json>(v: &J) -> Option<u64> {
    ["refresh_expires_in", "refresh_token_expires_in"]
        .into_iter()
        .find_map(|k| lifetime(v.get(k)?))
        .filter(|n| *n > 0)
}

/// A lifetime in seconds: a number, or a decimal string ("3600", as Azure AD B2C and Entra
/// ID v1 send): digits only, so nothing but a number is ever read as one. `None`: not one.
fn lifetime<J: Json>(e: J) -> Option<u64> {
    if e.is_null() {
        return None;
    }
    let n = e.as_f64().or_else(|| {
        e.as_string()
            .and_then(|s| form::parse_u64(&s))
            .map(|n| n as f64)
    })?;
    (n.is_finite() && n >= 0.0).then(|| (n as u64).min(MAX_EXPIRES_IN))
}

use crate::response::{invalid, oauth_body};

/// RFC 6750 2.1 `b64token`: the characters a Bearer token can hold in an Authorization
/// header. Anything else would be refused by `fetch`, or worse, reinterpreted.
pub(crate) fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// Reads a token response (RFC 6749 5.1) strictly.
/// `dpop`: whether the request carried a DPoP proof; the token must then be a DPoP token,
/// and otherwise a Bearer token (RFC 9449 5: a client that sent a proof and got a Bearer
/// token has a token any thief can use, which it did not ask for).
pub(crate) fn parse_response<J: Json>(
    status: u16,
    body: &str,
    dpop: bool,
) -> Result<TokenResponse> {
    let v: J = oauth_body(status, body)?;
    let access_token = match json::string(&v, "access_token") {
        Ok(t) if is_b64token(&t) => t,
        _ => {
            return Err(invalid(
                t!("The token response has no valid access_token."),
                status,
            ))
        }
    };
    // RFC 6749 5.1: token_type is required and case-insensitive. Bearer (RFC 6750) without
    // DPoP; DPoP (RFC 9449 5) with it: a token this client cannot use as the server meant
    // is refused, not misused.
    let want = if dpop { "dpop" } else { "bearer" };
    match json::string(&v, "token_type") {
        Ok(t) if t.eq_ignore_ascii_case(want) => {}
        _ => {
            return Err(invalid(
                if dpop {
                    t!("The token response's token_type is not DPoP: the server did not bind the token to this browser's key.")
                } else {
                    t!("The token response's token_type is not Bearer.")
                },
                status,
            ))
        }
    }
    let expires_in = match v.get("expires_in").filter(|e| !e.is_null()) {
        None => None,
        Some(e) => match lifetime(e) {
            Some(n) => Some(n),
            None => {
                return Err(invalid(
                    t!("The token response's expires_in is not a non-negative number."),
                    status,
                ))
            }
        },
    };
    let optional = |key: &str, what: &'static str| match json::opt_string(&v, key) {
        Ok(Some(s)) if s.is_empty() => Err(invalid(what, status)),
        Ok(s) => Ok(s),
        Err(_) => Err(invalid(what, status)),
    };
    let refresh_token = optional(
        "refresh_token",
        t!("The token response's refresh_token is not a string."),
    )?
    .map(Secret::new);
    let id_token = optional(
        "id_token",
        t!("The token response's id_token is not a string."),
    )?
    .map(Secret::new);
    let scope = json::opt_string(&v, "scope")
        .map_err(|_| invalid(t!("The token response's scope is not a string."), status))?;
    Ok(TokenResponse {
        access_token: Secret::new(access_token),
        expires_in,
        refresh_expires_in: refresh_lifetime(&v),
        refresh_token,
        id_token,
        scope,
        dpop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Code, Error};
    use crate::form::Pairs;
    use crate::response::{oversized, MAX_BODY_BYTES};
    use serde_json::Value;

    fn parse(status: u16, body: &str) -> Result<TokenResponse> {
        parse_response::<Value>(status, body, false)
    }

    #[test]
    fn a_dpop_request_needs_a_dpop_token_and_a_bearer_request_a_bearer_token() {
        let body =
            |t: &str| format!(r#"{{"access_token":"a","token_type":"{t}","expires_in":60}}"#);
        assert!(
            parse_response::<Value>(200, &body("DPoP"), true)
                .unwrap()
                .dpop
        );
        assert!(
            parse_response::<Value>(200, &body("dpop"), true)
                .unwrap()
                .dpop
        );
        let e = parse_response::<Value>(200, &body("Bearer"), true).unwrap_err();
        assert_eq!(e.code, Code::InvalidResponse);
        assert!(e.description.as_str().contains("DPoP"));
        assert!(parse_response::<Value>(200, &body("DPoP"), false).is_err());
        assert!(!parse(200, &body("Bearer")).unwrap().dpop);
    }

    fn err(status: u16, body: &str) -> Error {
        parse(status, body).err().unwrap()
    }

    #[test]
    fn code_grant_body_has_every_parameter_encoded() {
        let mut tx = Transaction::sample();
        tx.client_id = "my spa&co".into();
        let body = code_grant(&tx, &Secret::new("c+d/e=".into()), None);
        let p = Pairs::parse(&body).unwrap();
        assert_eq!(p.get("grant_type"), Some("authorization_code"));
        assert_eq!(p.get("code"), Some("c+d/e="));
        assert_eq!(
            p.get("redirect_uri"),
            Some("https://app.example/cb?x=1&y=%20")
        );
        assert_eq!(p.get("client_id"), Some("my spa&co"));
        assert_eq!(
            p.get("code_verifier"),
            Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        );
        assert!(body.contains("code=c%2Bd%2Fe%3D"));
    }

    #[test]
    fn a_client_secret_goes_into_both_grants() {
        let secret = Secret::new("GOCSPX-s+t".into());
        let rt = Secret::new("r1".into());
        let body = refresh_grant("spa", Some(&secret), &rt, "");
        assert_eq!(
            body,
            "grant_type=refresh_token&refresh_token=r1&client_id=spa&client_secret=GOCSPX-s%2Bt"
        );
        let tx = Transaction::sample();
        let body = code_grant(&tx, &Secret::new("c".into()), Some(&secret));
        assert!(body.contains("&client_secret=GOCSPX-s%2Bt&"), "{body}");
    }

    #[test]
    fn refresh_grant_body() {
        let body = refresh_grant("spa", None, &Secret::new("r1".into()), "");
        assert_eq!(
            body,
            "grant_type=refresh_token&refresh_token=r1&client_id=spa"
        );
        let body = refresh_grant(
            "spa",
            None,
            &Secret::new("r1".into()),
            "openid api://x/read",
        );
        assert_eq!(
            body,
            "grant_type=refresh_token&refresh_token=r1&client_id=spa&scope=openid+api%3A%2F%2Fx%2Fread"
        );
    }

    #[test]
    fn reads_a_full_response() {
        let r = parse(200, r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"bearer","expires_in":3600,
            "refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","id_token":"a.b.c","scope":"openid profile","extra":{"x":[1]}}"#)
        .unwrap();
        assert_eq!(r.access_token.expose(), "2YotnFZFEjr1zCsicMWpAA");
        assert_eq!(r.expires_in, Some(3600));
        assert_eq!(r.refresh_token.unwrap().expose(), "tGzv3JOkF0XG5Qx2TlKWIA");
        assert_eq!(r.id_token.unwrap().expose(), "a.b.c");
        assert_eq!(r.scope.as_deref(), Some("openid profile"));
        let r = parse(200, r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
        assert_eq!((r.expires_in, r.refresh_token, r.scope), (None, None, None));
        let r = parse(
            200,
            r#"{"access_token":"a","token_type":"BEARER","expires_in":null,"refresh_token":null}"#,
        )
        .unwrap();
        assert_eq!(r.expires_in, None);
    }

    #[test]
    fn expires_in_edge_values() {
        let exp = |v: &str| {
            parse(
                200,
                &format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":{v}}}"#),
            )
        };
        assert_eq!(exp("0").unwrap().expires_in, Some(0));
        assert_eq!(exp("59.9").unwrap().expires_in, Some(59));
        assert_eq!(exp("1e300").unwrap().expires_in, Some(MAX_EXPIRES_IN));
        // Azure AD B2C and Entra ID v1 send a decimal string: the same number.
        assert_eq!(exp("\"3600\"").unwrap().expires_in, Some(3600));
        assert_eq!(exp("\"0\"").unwrap().expires_in, Some(0));
        for bad in [
            "\"\"",
            "\" 3600\"",
            "\"3600 \"",
            "\"+3600\"",
            "\"-1\"",
            "\"36.5\"",
            "\"1e3\"",
            "\"3600s\"",
            "\"0x10\"",
            "-1",
            "-0.5",
            "true",
            "[]",
            "{}",
        ] {
            let e = exp(bad).err().unwrap();
            assert_eq!(
                (e.code, e.status),
                (Code::InvalidResponse, Some(200)),
                "{bad}"
            );
        }
    }

    #[test]
    fn each_bad_success_response_is_invalid_response() {
        for body in [
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":"","token_type":"Bearer"}"#,
            r#"{"access_token":42,"token_type":"Bearer"}"#,
            r#"{"access_token":"a b","token_type":"Bearer"}"#,
            r#"{"access_token":"a\nb","token_type":"Bearer"}"#,
            r#"{"access_token":"a"}"#,
            r#"{"access_token":"a","token_type":"mac"}"#,
            r#"{"access_token":"a","token_type":"DPoP"}"#,
            r#"{"access_token":"a","token_type":"Bearer","refresh_token":7}"#,
            r#"{"access_token":"a","token_type":"Bearer","refresh_token":""}"#,
            r#"{"access_token":"a","token_type":"Bearer","id_token":{}}"#,
            r#"{"access_token":"a","token_type":"Bearer","scope":["openid"]}"#,
            "not json",
            "",
            "[]",
            "\"a string\"",
            "null",
            "<!doctype html><html><body>Sign in</body></html>",
        ] {
            let e = err(200, body);
            assert_eq!(
                (e.code, e.status),
                (Code::InvalidResponse, Some(200)),
                "{body}"
            );
        }
    }

    #[test]
    fn a_200_with_an_error_object_is_the_servers_error() {
        let e = err(
            200,
            r#"{"error":"invalid_grant","error_description":"refresh token expired"}"#,
        );
        assert_eq!((e.code, e.status), (Code::InvalidGrant, Some(200)));
        assert_eq!(e.description.as_str(), "refresh token expired");
        // Even beside an access token: the server said the grant failed.
        let e = err(
            200,
            r#"{"error":"server_error","access_token":"a","token_type":"Bearer"}"#,
        );
        assert_eq!(e.code, Code::ServerError);
        // A member that is no error code is no error object.
        let r = parse(
            200,
            r#"{"access_token":"a","token_type":"Bearer","error":7}"#,
        );
        assert!(r.is_ok());
    }

    #[test]
    fn oversized_bodies_are_not_parsed() {
        let big = format!(
            r#"{{"access_token":"a","token_type":"Bearer","pad":"{}"}}"#,
            "x".repeat(MAX_BODY_BYTES)
        );
        assert_eq!(err(200, &big).code, Code::InvalidResponse);
        // What the shell answers when it stops reading at the limit.
        assert_eq!(oversized(201).code, Code::InvalidResponse);
        let e = oversized(400);
        assert_eq!((e.code, e.status), (Code::ServerError, Some(400)));
    }

    #[test]
    fn server_errors() {
        let e = err(
            400,
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
        );
        assert_eq!((e.code, e.status), (Code::InvalidGrant, Some(400)));
        assert_eq!(e.description.as_str(), "grant request is invalid");
        let e = err(401, r#"{"error":"invalid_client"}"#);
        assert_eq!((e.code, e.status), (Code::InvalidClient, Some(401)));
        assert_eq!(
            e.description.as_str(),
            "The server does not accept this client."
        );
        let e = err(400, r#"{"error":"custom_thing"}"#);
        assert_eq!(
            (e.code, e.error.as_deref()),
            (Code::OauthError, Some("custom_thing"))
        );
        for (status, body) in [
            (500, r#"{"error":"invalid_grant"}"#),
            (502, "<html>Bad gateway</html>"),
            (400, "<html>Bad request</html>"),
            (400, r#"{"message":"no error member"}"#),
            (400, r#"{"error":5}"#),
            (400, r#"{"error":"bad\"quote"}"#),
            (404, ""),
            (302, ""),
            (0, ""),
        ] {
            let e = err(status, body);
            assert_eq!(
                (e.code, e.status),
                (Code::ServerError, Some(status)),
                "{status} {body}"
            );
        }
    }
}
