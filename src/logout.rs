//! Ending a session: token revocation (RFC 7009) and the RP-initiated logout request
//! (OpenID Connect RP-Initiated Logout 1.0, section 2).

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::form;
use crate::json::{self, Json};
use crate::response;
use crate::secret::Secret;
use crate::session::Session;
use crate::url;

/// The options of one `logout` call.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LogoutOptions {
    /// Where the server sends the browser after logging out; registered at the server.
    pub post_logout_redirect_uri: Option<String>,
    /// Revoke the refresh and access tokens first (default true).
    pub revoke: bool,
    /// Send the ID token as `id_token_hint` (default true). The logout URL is the one place a
    /// token goes into a URL, where the server's logs and the browser's history can keep it
    /// (RP-Initiated Logout 2 recommends the hint; without it the server may ask the user to
    /// confirm the logout). `false` leaves it out; `client_id` still names the client.
    pub id_token_hint: bool,
    /// The server's logout page, when its metadata names none or another (Auth0's
    /// `/v2/logout`, Cognito's `/logout`): used instead of `end_session_endpoint`.
    pub end_session_endpoint: Option<String>,
    /// More parameters for the logout URL (Cognito's `logout_uri`, Auth0's `returnTo`).
    pub extra_params: Vec<(String, String)>,
}

/// What `logout` did at the server. The local session is gone whatever this says.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LogoutResult {
    /// The server confirmed the revocation (or said the token was already unusable).
    pub revoked: bool,
    /// The browser is on its way to the server's logout page. `false`: the server has no
    /// logout page spa-oauth knows of, and its session (its cookie) may still be alive.
    pub server_logout: bool,
    /// What stopped the revocation or the server's logout, when something did.
    pub error: Option<Error>,
}

impl Default for LogoutOptions {
    fn default() -> Self {
        LogoutOptions {
            post_logout_redirect_uri: None,
            revoke: true,
            id_token_hint: true,
            end_session_endpoint: None,
            extra_params: Vec::new(),
        }
    }
}

/// A URL option: absent, or an absolute https URL (http on loopback) with no fragment.
fn url_option<J: Json>(obj: &J, key: &str, wrong: &'static str) -> Result<Option<String>> {
    match json::opt_string(obj, key) {
        Ok(Some(u)) if !url::is_safe_endpoint(&u) => Err(Error::new(Code::InvalidConfig, wrong)),
        Ok(v) => Ok(v),
        Err(_) => Err(Error::new(Code::InvalidConfig, wrong)),
    }
}

impl LogoutOptions {
    pub(crate) fn from_json<J: Json>(obj: Option<&J>) -> Result<LogoutOptions> {
        let Some(obj) = obj.filter(|o| !o.is_null()) else {
            return Ok(LogoutOptions::default());
        };
        let invalid = |d| Error::new(Code::InvalidConfig, d);
        if !obj.is_object() {
            return Err(invalid(t!("The options must be an object.")));
        }
        let post_logout_redirect_uri = url_option(
            obj,
            "postLogoutRedirectUri",
            t!("postLogoutRedirectUri must be an absolute https URL (http only on localhost) without a fragment."),
        )?;
        let revoke = json::opt_bool(obj, "revoke")
            .map_err(|_| invalid(t!("revoke must be a boolean.")))?
            .unwrap_or(true);
        let id_token_hint = json::opt_bool(obj, "idTokenHint")
            .map_err(|_| invalid(t!("idTokenHint must be a boolean.")))?
            .unwrap_or(true);
        let end_session_endpoint = url_option(
            obj,
            "endSessionEndpoint",
            t!("endSessionEndpoint must be an absolute https URL (http only on localhost) without a fragment."),
        )?;
        let extra_params = crate::config::string_map(
            obj,
            "extraParams",
            t!("extraParams must be an object of string values."),
        )?;
        crate::config::refuse_owned(&extra_params, OWNED_PARAMS)?;
        Ok(LogoutOptions {
            post_logout_redirect_uri,
            revoke,
            id_token_hint,
            end_session_endpoint,
            extra_params,
        })
    }
}

/// The logout-request parameters spa-oauth sets (RP-Initiated Logout 2).
const OWNED_PARAMS: &[&str] = &[
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
];

/// The one token to revoke (RFC 7009 2.1): the refresh token when there is one, since
/// revoking it revokes the grant's access tokens too at servers that support it; the
/// access token otherwise. One request: a second one for the access token is what Cognito
/// refuses (`unsupported_token_type`) and Google answers with `invalid_token` once the
/// refresh token's revocation has killed the access token.
pub(crate) fn token_to_revoke(session: &Session) -> (&Secret, &'static str) {
    match &session.refresh_token {
        Some(rt) => (rt, "refresh_token"),
        None => (&session.access_token, "access_token"),
    }
}

/// What a revocation answer means: `None` when the token is revoked or unusable anyway. RFC
/// 7009 2.2: any 2xx is success (204 too), whatever its body; `invalid_token` says the token
/// is not valid (any more), and `unsupported_token_type` (2.2.1) that this server revokes
/// no such token: nothing more a client can do. Anything else is reported.
pub(crate) fn revocation_outcome<J: Json>(status: u16, body: &str) -> Option<Error> {
    if (200..300).contains(&status) {
        return None;
    }
    let e = response::http_error::<J>(status, body);
    match e.error.as_deref() {
        Some("invalid_token" | "unsupported_token_type") => None,
        _ => Some(e),
    }
}

/// The revocation request body (RFC 7009 2.1); a public client adds its `client_id`
/// (RFC 6749 2.3 / RFC 7009 2.1: the client identifies itself as at the token endpoint).
pub(crate) fn revocation_body(client_id: &str, token: &Secret, hint: &str) -> String {
    let mut body = String::with_capacity(256);
    form::push(&mut body, "token", token.expose());
    form::push(&mut body, "token_type_hint", hint);
    form::push(&mut body, "client_id", client_id);
    body
}

/// Prefix of the sessionStorage keys that remember a logout's `state` until the server
/// sends the browser back with it.
pub(crate) const STATE_KEY_PREFIX: &str = "spa-oauth:logout:";

/// The storage key of a logout `state`.
pub(crate) fn state_key(state: &str) -> String {
    let mut k = String::from(STATE_KEY_PREFIX);
    k.push_str(state);
    k
}

/// What is stored under [`state_key`] while the browser is at the server's logout page:
/// when the logout left (seconds since the epoch).
pub(crate) fn state_record(now: u64) -> String {
    let mut at = String::new();
    form::push_u64(&mut at, now);
    at
}

/// Whether a stored logout state is too old to be waited for (a login transaction's
/// lifetime), or damaged: swept with the stale transactions.
pub(crate) fn state_is_stale(stored: &str, now: u64) -> bool {
    form::parse_u64(stored)
        .is_none_or(|at| now.saturating_sub(at) > crate::transaction::MAX_AGE_SECS)
}

/// The server's logout page: the one the options name (Auth0's `/v2/logout`, Cognito's
/// `/logout`), else the metadata's `end_session_endpoint`. `None`: the server has none that
/// spa-oauth knows of (`serverLogout: false`).
pub(crate) fn end_session_endpoint<'a>(
    options: &'a LogoutOptions,
    metadata: Option<&'a crate::metadata::Metadata>,
) -> Option<&'a str> {
    options
        .end_session_endpoint
        .as_deref()
        .or(metadata.and_then(|m| m.end_session_endpoint.as_deref()))
}

/// The logout URL (RP-Initiated Logout 2): `id_token_hint` when there is an ID token and
/// the options do not leave it out,
/// `client_id` always (so the server can check `post_logout_redirect_uri` without one), and
/// with `post_logout_redirect_uri` a `state`, which the server passes back so that the page
/// it returns to can tell a logout's return from a forged or stale login response.
pub(crate) fn end_session_url(
    endpoint: &str,
    config: &Config,
    id_token: Option<&Secret>,
    options: &LogoutOptions,
    state: &str,
) -> String {
    let mut u = url::with_query_start(endpoint);
    if let Some(t) = id_token.filter(|_| options.id_token_hint) {
        form::push(&mut u, "id_token_hint", t.expose());
    }
    form::push(&mut u, "client_id", &config.client_id);
    if let Some(p) = &options.post_logout_redirect_uri {
        form::push(&mut u, "post_logout_redirect_uri", p);
        form::push(&mut u, "state", state);
    }
    for (name, value) in &options.extra_params {
        form::push(&mut u, name, value);
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Pairs;
    use crate::json::native::json;

    #[test]
    fn options() {
        assert_eq!(
            LogoutOptions::from_json::<serde_json::Value>(None).unwrap(),
            LogoutOptions::default()
        );
        let o = LogoutOptions::from_json(Some(&json(
            r#"{"postLogoutRedirectUri":"https://app.example/","revoke":false}"#,
        )))
        .unwrap();
        assert_eq!(
            o.post_logout_redirect_uri.as_deref(),
            Some("https://app.example/")
        );
        assert!(!o.revoke);
        assert!(o.id_token_hint);
        let o = LogoutOptions::from_json(Some(&json(r#"{"idTokenHint":false}"#))).unwrap();
        assert!(!o.id_token_hint);
        for bad in [
            r#"{"idTokenHint":"no"}"#,
            r#"{"postLogoutRedirectUri":"/"}"#,
            r#"{"postLogoutRedirectUri":"http://app.example/"}"#,
            r#"{"revoke":"no"}"#,
            "3",
        ] {
            assert_eq!(
                LogoutOptions::from_json(Some(&json(bad))).unwrap_err().code,
                Code::InvalidConfig,
                "{bad}"
            );
        }
    }

    #[test]
    fn logout_options_for_servers_without_a_standard_logout() {
        let o = LogoutOptions::from_json(Some(&json(
            r#"{"endSessionEndpoint":"https://auth.example/logout","extraParams":{"logout_uri":"https://app.example/"}}"#,
        )))
        .unwrap();
        assert_eq!(
            o.end_session_endpoint.as_deref(),
            Some("https://auth.example/logout")
        );
        let c = Config::from_json(&json(r#"{"clientId":"spa","redirectUri":"https://app.example/","issuer":"https://id.example"}"#)).unwrap();
        let u = end_session_url("https://auth.example/logout", &c, None, &o, "st8");
        assert_eq!(
            u,
            "https://auth.example/logout?client_id=spa&logout_uri=https%3A%2F%2Fapp.example%2F"
        );
        for bad in [
            r#"{"endSessionEndpoint":"http://auth.example/logout"}"#,
            r#"{"endSessionEndpoint":"https://auth.example/logout#x"}"#,
            r#"{"extraParams":{"state":"x"}}"#,
            r#"{"extraParams":{"id_token_hint":"x"}}"#,
            r#"{"extraParams":{"a":1}}"#,
        ] {
            assert_eq!(
                LogoutOptions::from_json(Some(&json(bad))).unwrap_err().code,
                Code::InvalidConfig,
                "{bad}"
            );
        }
    }

    #[test]
    fn one_token_is_revoked_the_refresh_token_first() {
        let mut s = Session::decode(
            "access_token=at&refresh_token=rt&token_endpoint=https%3A%2F%2Fid.example%2Ft&client_id=spa",
        )
        .unwrap();
        assert_eq!(token_to_revoke(&s).0.expose(), "rt");
        assert_eq!(token_to_revoke(&s).1, "refresh_token");
        s.refresh_token = None;
        assert_eq!(token_to_revoke(&s), (&s.access_token, "access_token"));
    }

    #[test]
    fn revocation_answers_of_real_servers() {
        let done = |status, body| revocation_outcome::<serde_json::Value>(status, body).is_none();
        assert!(done(200, ""));
        assert!(done(200, "<html>ok</html>"));
        assert!(done(204, "")); // RFC 7009 says 200; 204 is as good
        assert!(done(400, r#"{"error":"invalid_token"}"#)); // Google, after the refresh token's revocation
        assert!(done(400, r#"{"error":"unsupported_token_type"}"#)); // Cognito, for an access token
        let e = revocation_outcome::<serde_json::Value>(401, r#"{"error":"invalid_client"}"#);
        assert_eq!(e.map(|e| e.code), Some(Code::InvalidClient));
        let e = revocation_outcome::<serde_json::Value>(503, "");
        assert_eq!(e.map(|e| e.code), Some(Code::ServerError));
    }

    #[test]
    fn state_keys() {
        assert_eq!(state_key("ab"), "spa-oauth:logout:ab");
    }

    #[test]
    fn revocation_request() {
        let body = revocation_body("spa", &Secret::new("r+t".into()), "refresh_token");
        assert_eq!(
            body,
            "token=r%2Bt&token_type_hint=refresh_token&client_id=spa"
        );
    }

    #[test]
    fn end_session_request() {
        let c = Config::from_json(&json(r#"{"clientId":"spa","redirectUri":"https://app.example/","issuer":"https://id.example"}"#)).unwrap();
        let o = LogoutOptions {
            post_logout_redirect_uri: Some("https://app.example/bye?x=1".into()),
            ..LogoutOptions::default()
        };
        let u = end_session_url(
            "https://id.example/session/end",
            &c,
            Some(&Secret::new("a.b.c".into())),
            &o,
            "st8",
        );
        let q = Pairs::parse(u.split_once('?').unwrap().1).unwrap();
        assert_eq!(q.get("id_token_hint"), Some("a.b.c"));
        assert_eq!(q.get("client_id"), Some("spa"));
        assert_eq!(
            q.get("post_logout_redirect_uri"),
            Some("https://app.example/bye?x=1")
        );
        assert_eq!(q.get("state"), Some("st8"));
        // Without a place to return to there is nothing for a state to protect.
        let u = end_session_url(
            "https://id.example/logout?tenant=1",
            &c,
            None,
            &LogoutOptions::default(),
            "st8",
        );
        assert_eq!(u, "https://id.example/logout?tenant=1&client_id=spa");
        // idTokenHint: false keeps the ID token out of the URL (I2).
        let o = LogoutOptions {
            id_token_hint: false,
            ..LogoutOptions::default()
        };
        let t = Secret::new("a.b.c".into());
        let u = end_session_url("https://id.example/logout", &c, Some(&t), &o, "st8");
        assert_eq!(u, "https://id.example/logout?client_id=spa");
    }

    #[test]
    fn logout_states_and_which_logout_page() {
        let at = state_record(1_000);
        assert!(!state_is_stale(
            &at,
            1_000 + crate::transaction::MAX_AGE_SECS
        ));
        assert!(state_is_stale(
            &at,
            1_001 + crate::transaction::MAX_AGE_SECS
        ));
        assert!(state_is_stale("x", 1_000));
        let doc = r#"{"issuer":"https://id.example","authorization_endpoint":"https://id.example/a","token_endpoint":"https://id.example/t","end_session_endpoint":"https://id.example/logout"}"#;
        let meta = crate::metadata::Metadata::parse::<serde_json::Value>(
            "https://id.example",
            200,
            doc,
            0,
        )
        .unwrap();
        let none = LogoutOptions::default();
        assert_eq!(
            end_session_endpoint(&none, Some(&meta)),
            Some("https://id.example/logout")
        );
        assert_eq!(end_session_endpoint(&none, None), None);
        let named = LogoutOptions {
            end_session_endpoint: Some("https://id.example/v2/logout".into()),
            ..LogoutOptions::default()
        };
        assert_eq!(
            end_session_endpoint(&named, Some(&meta)),
            Some("https://id.example/v2/logout")
        );
        assert_eq!(
            end_session_endpoint(&named, None),
            Some("https://id.example/v2/logout")
        );
    }
}
