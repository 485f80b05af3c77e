//! Authorization server metadata: OpenID Connect Discovery 1.0 section 4, and its checks.
//! What spa-oauth uses of it is cached in sessionStorage, so the callback and the next login
//! make no extra round trip.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::form::{self, Pairs};
use crate::json::{self, Json};
use crate::response;
use crate::url;

/// A cached document is used for this long (seconds); after that it is fetched again.
pub const CACHE_SECS: u64 = 3600;

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub end_session_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    /// RFC 9207 3: the server puts `iss` in authorization responses.
    pub iss_parameter_supported: bool,
    /// RFC 9126 5: where authorization requests are pushed, and whether the server accepts
    /// only pushed ones.
    pub par_endpoint: Option<String>,
    pub par_required: bool,
    /// When it was fetched (seconds since the epoch).
    pub fetched_at: u64,
}

/// `{issuer}/.well-known/openid-configuration`, with a terminating `/` of the issuer removed
/// first (Discovery 4).
pub(crate) fn discovery_url(issuer: &str) -> String {
    let mut u = String::from(issuer.strip_suffix('/').unwrap_or(issuer));
    u.push_str("/.well-known/openid-configuration");
    u
}

/// The RFC 8414 (3.1) location: `/.well-known/oauth-authorization-server` inserted between
/// the host and the issuer's path, whose terminating `/` is removed first. Used when the
/// OpenID Connect location has no document (a plain OAuth 2.0 server).
pub(crate) fn oauth_metadata_url(issuer: &str) -> String {
    let (origin, path) = match url::split(issuer) {
        Some(p) => (p.origin, p.path),
        None => (issuer, ""),
    };
    let mut u = String::from(origin);
    u.push_str("/.well-known/oauth-authorization-server");
    u.push_str(path.strip_suffix('/').unwrap_or(path));
    u
}

/// Where the metadata of `config` is looked for, in order: `metadataUrl` alone when the app
/// gives one (Azure AD B2C: the policy is a query parameter); otherwise the OpenID Connect
/// location, then, when that has no document ([`try_next`]), RFC 8414's. `None` without an
/// issuer (a server configured by its endpoints has no metadata).
pub(crate) fn locations(config: &Config) -> Option<(String, Option<String>)> {
    let issuer = config.issuer.as_deref()?;
    Some(match &config.metadata_url {
        Some(u) => (u.clone(), None),
        None => (discovery_url(issuer), Some(oauth_metadata_url(issuer))),
    })
}

/// Whether the first location's answer says "no document here", so the second is tried: a
/// 4xx, or a network error (a 404 page without CORS headers, which fetch reports as one). A
/// timeout or a 5xx is the server's trouble, not a missing document, and is reported.
pub(crate) fn try_next(answer: core::result::Result<u16, Code>) -> bool {
    match answer {
        Ok(status) => (400..500).contains(&status),
        Err(code) => code == Code::NetworkError,
    }
}

/// The sessionStorage key of the cached metadata of `config`: by its `metadataUrl` when it
/// has one (two policies of one B2C tenant are two documents), else by its issuer.
pub(crate) fn cache_key_of(config: &Config) -> String {
    cache_key(
        config
            .metadata_url
            .as_deref()
            .or(config.issuer.as_deref())
            .unwrap_or(""),
    )
}

/// The sessionStorage key of the cached metadata of `issuer` (or of a `metadataUrl`).
pub(crate) fn cache_key(issuer: &str) -> String {
    let mut k = String::from("spa-oauth:metadata:");
    k.push_str(issuer);
    k
}

fn invalid(description: &'static str, status: u16) -> Error {
    Error::new(Code::InvalidResponse, description).with_status(status)
}

impl Metadata {
    /// Reads a discovery response for the configured `issuer`.
    pub(crate) fn parse<J: Json>(
        issuer: &str,
        status: u16,
        body: &str,
        now: u64,
    ) -> Result<Metadata> {
        let v: J = response::json_body(status, body)?;
        // Discovery 4.3: the issuer in the document MUST be identical to the one used to
        // find it; otherwise this is another server's document (the mix-up attack).
        match json::string(&v, "issuer") {
            Ok(i) if i == issuer => {}
            Ok(sent) => {
                return Err(Error::issuer_mismatch(
                    Code::IssuerMismatch,
                    "The discovery document's issuer",
                    &sent,
                    issuer,
                )
                .with_status(status))
            }
            Err(_) => return Err(invalid(t!("The discovery document has no issuer."), status)),
        }
        let endpoint = |key: &str, required: bool, what: &'static str| -> Result<Option<String>> {
            match json::opt_string(&v, key) {
                Ok(Some(u)) if url::is_safe_endpoint(&u) => Ok(Some(u)),
                Ok(None) if !required => Ok(None),
                _ => Err(invalid(what, status)),
            }
        };
        let authorization_endpoint = endpoint(
            "authorization_endpoint",
            true,
            t!("The discovery document's authorization_endpoint is missing or not an https URL."),
        )?;
        let token_endpoint = endpoint(
            "token_endpoint",
            true,
            t!("The discovery document's token_endpoint is missing or not an https URL."),
        )?;
        let userinfo_endpoint = endpoint(
            "userinfo_endpoint",
            false,
            t!("The discovery document's userinfo_endpoint is not an https URL."),
        )?;
        let revocation_endpoint = endpoint(
            "revocation_endpoint",
            false,
            t!("The discovery document's revocation_endpoint is not an https URL."),
        )?;
        let end_session_endpoint = endpoint(
            "end_session_endpoint",
            false,
            t!("The discovery document's end_session_endpoint is not an https URL."),
        )?;
        let jwks_uri = endpoint(
            "jwks_uri",
            false,
            t!("The discovery document's jwks_uri is not an https URL."),
        )?;
        let par_endpoint = endpoint(
            "pushed_authorization_request_endpoint",
            false,
            t!("The discovery document's pushed_authorization_request_endpoint is not an https URL."),
        )?;
        let flag = |key: &str| {
            json::opt_bool(&v, key)
                .map_err(|_| {
                    invalid(
                        t!("A boolean of the discovery document is not a boolean."),
                        status,
                    )
                })
                .map(|b| b.unwrap_or(false))
        };
        // RFC 8414 2: when the server lists its PKCE methods, S256 must be among them;
        // otherwise it would ignore or refuse the challenge spa-oauth always sends.
        match json::opt_strings(&v, "code_challenge_methods_supported") {
            Ok(None) => {}
            Ok(Some(methods)) if methods.iter().any(|m| m == "S256") => {}
            _ => {
                return Err(invalid(
                    t!("The server does not support PKCE with S256."),
                    status,
                ))
            }
        }
        let iss_parameter_supported = flag("authorization_response_iss_parameter_supported")?;
        let par_required = flag("require_pushed_authorization_requests")?;
        Ok(Metadata {
            issuer: issuer.into(),
            authorization_endpoint: authorization_endpoint.unwrap_or_default(),
            token_endpoint: token_endpoint.unwrap_or_default(),
            userinfo_endpoint,
            revocation_endpoint,
            end_session_endpoint,
            jwks_uri,
            iss_parameter_supported,
            par_endpoint,
            par_required,
            fetched_at: now,
        })
    }

    /// Whether a cached copy may still be used at `now`.
    pub(crate) fn is_fresh(&self, now: u64) -> bool {
        now >= self.fetched_at && now - self.fetched_at < CACHE_SECS
    }

    pub(crate) fn encode(&self) -> String {
        let mut s = String::with_capacity(512);
        form::push(&mut s, "issuer", &self.issuer);
        form::push(
            &mut s,
            "authorization_endpoint",
            &self.authorization_endpoint,
        );
        form::push(&mut s, "token_endpoint", &self.token_endpoint);
        let optional = [
            ("userinfo_endpoint", &self.userinfo_endpoint),
            ("revocation_endpoint", &self.revocation_endpoint),
            ("end_session_endpoint", &self.end_session_endpoint),
            ("jwks_uri", &self.jwks_uri),
            ("par_endpoint", &self.par_endpoint),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                form::push(&mut s, name, v);
            }
        }
        for (name, set) in [
            ("iss_parameter_supported", self.iss_parameter_supported),
            ("par_required", self.par_required),
        ] {
            if set {
                form::push(&mut s, name, "1");
            }
        }
        form::push_num(&mut s, "fetched_at", self.fetched_at);
        s
    }

    /// Reads a cached copy. The endpoints are checked again: storage is input too.
    pub(crate) fn decode(s: &str) -> Option<Metadata> {
        let mut p = Pairs::parse(s).ok()?;
        let m = Metadata {
            issuer: p.take("issuer")?,
            authorization_endpoint: p.take("authorization_endpoint")?,
            token_endpoint: p.take("token_endpoint")?,
            userinfo_endpoint: p.take("userinfo_endpoint"),
            revocation_endpoint: p.take("revocation_endpoint"),
            end_session_endpoint: p.take("end_session_endpoint"),
            jwks_uri: p.take("jwks_uri"),
            iss_parameter_supported: p.take("iss_parameter_supported").is_some(),
            par_endpoint: p.take("par_endpoint"),
            par_required: p.take("par_required").is_some(),
            fetched_at: form::parse_u64(&p.take("fetched_at")?)?,
        };
        let endpoints = [
            Some(&m.authorization_endpoint),
            Some(&m.token_endpoint),
            m.userinfo_endpoint.as_ref(),
            m.revocation_endpoint.as_ref(),
            m.end_session_endpoint.as_ref(),
            m.jwks_uri.as_ref(),
            m.par_endpoint.as_ref(),
        ];
        let safe = endpoints
            .into_iter()
            .flatten()
            .all(|e| url::is_safe_endpoint(e));
        safe.then_some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const DOC: &str = r#"{"issuer":"https://id.example","authorization_endpoint":"https://id.example/auth",
        "token_endpoint":"https://id.example/token","userinfo_endpoint":"https://id.example/me",
        "revocation_endpoint":"https://id.example/revoke","end_session_endpoint":"https://id.example/logout",
        "jwks_uri":"https://id.example/jwks","code_challenge_methods_supported":["S256"],
        "authorization_response_iss_parameter_supported":true,"response_types_supported":["code"],
        "pushed_authorization_request_endpoint":"https://id.example/par",
        "require_pushed_authorization_requests":true}"#;

    fn parse(body: &str) -> Result<Metadata> {
        Metadata::parse::<Value>("https://id.example", 200, body, 50)
    }

    fn with(key: &str, value: &str) -> String {
        let mut v: Value = serde_json::from_str(DOC).unwrap();
        if value == "DELETE" {
            v.as_object_mut().unwrap().remove(key);
        } else {
            v[key] = serde_json::from_str(value).unwrap();
        }
        v.to_string()
    }

    #[test]
    fn discovery_url_follows_section_4() {
        assert_eq!(
            discovery_url("https://id.example"),
            "https://id.example/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://id.example/"),
            "https://id.example/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://id.example/tenant/a"),
            "https://id.example/tenant/a/.well-known/openid-configuration"
        );
    }

    #[test]
    fn oauth_metadata_url_inserts_the_well_known_part_before_the_path() {
        // RFC 8414 3.1's example.
        assert_eq!(
            oauth_metadata_url("https://example.com/issuer1"),
            "https://example.com/.well-known/oauth-authorization-server/issuer1"
        );
        assert_eq!(
            oauth_metadata_url("https://example.com"),
            "https://example.com/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            oauth_metadata_url("https://example.com/"),
            "https://example.com/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            oauth_metadata_url("http://127.0.0.1:4400/t/a/"),
            "http://127.0.0.1:4400/.well-known/oauth-authorization-server/t/a"
        );
    }

    #[test]
    fn reads_a_document() {
        let m = parse(DOC).unwrap();
        assert_eq!(m.token_endpoint, "https://id.example/token");
        assert_eq!(
            m.end_session_endpoint.as_deref(),
            Some("https://id.example/logout")
        );
        assert!(m.iss_parameter_supported);
        assert_eq!(m.fetched_at, 50);
        let m = parse(&with("code_challenge_methods_supported", "DELETE")).unwrap();
        assert!(m.iss_parameter_supported);
        let m = parse(&with(
            "authorization_response_iss_parameter_supported",
            "DELETE",
        ))
        .unwrap();
        assert!(!m.iss_parameter_supported);
    }

    #[test]
    fn reads_the_pushed_authorization_request_members() {
        let m = parse(DOC).unwrap();
        assert_eq!(m.par_endpoint.as_deref(), Some("https://id.example/par"));
        assert!(m.par_required);
        let m = parse(&with("require_pushed_authorization_requests", "DELETE")).unwrap();
        assert!(!m.par_required);
        let m = parse(&with("pushed_authorization_request_endpoint", "DELETE")).unwrap();
        assert_eq!(m.par_endpoint, None);
    }

    #[test]
    fn issuer_must_be_identical() {
        for other in [
            r#""https://evil.example""#,
            r#""https://id.example/""#,
            r#""https://ID.example""#,
        ] {
            assert_eq!(
                parse(&with("issuer", other)).err().unwrap().code,
                Code::IssuerMismatch,
                "{other}"
            );
        }
        assert_eq!(
            parse(&with("issuer", "DELETE")).err().unwrap().code,
            Code::InvalidResponse
        );
        assert_eq!(
            parse(&with("issuer", "1")).err().unwrap().code,
            Code::InvalidResponse
        );
    }

    #[test]
    fn bad_documents_are_invalid_response() {
        for (key, value) in [
            ("authorization_endpoint", "DELETE"),
            ("token_endpoint", "DELETE"),
            ("token_endpoint", r#""http://id.example/token""#),
            ("token_endpoint", r#""/token""#),
            ("token_endpoint", "7"),
            ("userinfo_endpoint", r#""javascript:alert(1)""#),
            ("code_challenge_methods_supported", r#"["plain"]"#),
            ("code_challenge_methods_supported", r#""S256""#),
            (
                "authorization_response_iss_parameter_supported",
                r#""true""#,
            ),
            (
                "pushed_authorization_request_endpoint",
                r#""http://id.example/par""#,
            ),
            ("require_pushed_authorization_requests", "1"),
        ] {
            let e = parse(&with(key, value)).err().unwrap();
            assert_eq!(
                (e.code, e.status),
                (Code::InvalidResponse, Some(200)),
                "{key} = {value}"
            );
        }
        assert_eq!(parse("<html>").err().unwrap().code, Code::InvalidResponse);
        let e = Metadata::parse::<Value>("https://id.example", 404, "Not Found", 0)
            .err()
            .unwrap();
        assert_eq!((e.code, e.status), (Code::ServerError, Some(404)));
    }

    #[test]
    fn cache_round_trip_and_freshness() {
        let m = parse(DOC).unwrap();
        assert_eq!(Metadata::decode(&m.encode()), Some(m.clone()));
        let mut bare = m.clone();
        (
            bare.userinfo_endpoint,
            bare.revocation_endpoint,
            bare.end_session_endpoint,
            bare.jwks_uri,
            bare.par_endpoint,
        ) = (None, None, None, None, None);
        (bare.iss_parameter_supported, bare.par_required) = (false, false);
        assert_eq!(Metadata::decode(&bare.encode()), Some(bare));
        assert!(m.is_fresh(50) && m.is_fresh(50 + 3599));
        assert!(!m.is_fresh(50 + 3600) && !m.is_fresh(49));
        assert_eq!(
            Metadata::decode(&m.encode().replace(
                "https%3A%2F%2Fid.example%2Ftoken",
                "http%3A%2F%2Fevil.example%2Ft"
            )),
            None
        );
        assert_eq!(Metadata::decode("issuer=x"), None);
    }

    #[test]
    fn where_the_document_is_looked_for() {
        let c = |extra: &str| {
            Config::from_json(&crate::json::native::json(&format!(
                r#"{{"clientId":"spa","redirectUri":"https://app.example/","issuer":"https://id.example/tenant"{extra}}}"#
            )))
            .unwrap()
        };
        assert_eq!(
            locations(&c("")),
            Some((
                "https://id.example/tenant/.well-known/openid-configuration".into(),
                Some("https://id.example/.well-known/oauth-authorization-server/tenant".into())
            ))
        );
        // metadataUrl alone: no guessing at other locations.
        let b2c = c(
            r#","metadataUrl":"https://id.example/tenant/v2.0/.well-known/openid-configuration?p=B2C_1_signin""#,
        );
        assert_eq!(
            locations(&b2c),
            Some((b2c.metadata_url.clone().unwrap(), None))
        );
        let plain = Config::from_json(&crate::json::native::json(
            r#"{"clientId":"spa","redirectUri":"https://app.example/","authorizationEndpoint":"https://id.example/a","tokenEndpoint":"https://id.example/t"}"#,
        ))
        .unwrap();
        assert_eq!(locations(&plain), None);
        // Cached per document: by the issuer, or by the metadataUrl that names a policy's.
        assert_eq!(
            cache_key_of(&c("")),
            "spa-oauth:metadata:https://id.example/tenant"
        );
        assert_eq!(
            cache_key_of(&b2c),
            "spa-oauth:metadata:https://id.example/tenant/v2.0/.well-known/openid-configuration?p=B2C_1_signin"
        );
        // The second location after "no document here", not after a server in trouble.
        assert!(try_next(Ok(404)));
        assert!(try_next(Ok(400)));
        assert!(try_next(Err(Code::NetworkError)));
        assert!(!try_next(Ok(200)));
        assert!(!try_next(Ok(500)));
        assert!(!try_next(Ok(503)));
        assert!(!try_next(Err(Code::Timeout)));
    }

    #[test]
    fn an_issuer_template_is_the_documents_issuer() {
        let template = "https://login.example/{tenantid}/v2.0";
        let doc = DOC.replace(
            "https://id.example\"",
            "https://login.example/{tenantid}/v2.0\"",
        );
        let m = Metadata::parse::<serde_json::Value>(template, 200, &doc, 0).unwrap();
        assert_eq!(m.issuer, template);
        // Without the opt-in, the document is another issuer's.
        let e = Metadata::parse::<serde_json::Value>(
            "https://login.example/organizations/v2.0",
            200,
            &doc,
            0,
        )
        .unwrap_err();
        assert_eq!(e.code, Code::IssuerMismatch);
    }

    /// docs/SERVERS.md's Supabase Auth config (its OAuth 2.1 server): valid as written, and its
    /// documents are where Supabase publishes them (OIDC under the issuer, RFC 8414 at the
    /// origin with the issuer's path after it), and a document of that shape is read.
    #[test]
    fn supabase_auths_documented_configuration() {
        let config = Config::from_json(&crate::json::native::json(
            r#"{"issuer":"https://abcd.supabase.co/auth/v1","clientId":"9a8b7c","redirectUri":"https://app.example/","scope":"openid email profile"}"#,
        ))
        .unwrap();
        assert_eq!(
            locations(&config),
            Some((
                "https://abcd.supabase.co/auth/v1/.well-known/openid-configuration".into(),
                Some(
                    "https://abcd.supabase.co/.well-known/oauth-authorization-server/auth/v1"
                        .into()
                )
            ))
        );
        let doc = r#"{"issuer":"https://abcd.supabase.co/auth/v1",
            "authorization_endpoint":"https://abcd.supabase.co/auth/v1/oauth/authorize",
            "token_endpoint":"https://abcd.supabase.co/auth/v1/oauth/token",
            "userinfo_endpoint":"https://abcd.supabase.co/auth/v1/oauth/userinfo",
            "jwks_uri":"https://abcd.supabase.co/auth/v1/.well-known/jwks.json",
            "response_types_supported":["code"],"code_challenge_methods_supported":["S256","plain"],
            "grant_types_supported":["authorization_code","refresh_token"]}"#;
        let m =
            Metadata::parse::<serde_json::Value>("https://abcd.supabase.co/auth/v1", 200, doc, 0)
                .unwrap();
        assert_eq!(
            m.token_endpoint,
            "https://abcd.supabase.co/auth/v1/oauth/token"
        );
        assert!(m.revocation_endpoint.is_none() && m.end_session_endpoint.is_none());
    }
}
