//! The authorization request (RFC 6749 4.1.1 with RFC 7636 4.3 and OIDC Core 3.1.2.1):
//! `startLogin`'s options, the new transaction, and the URL the browser is sent to.

use crate::callback::ResponseMode;
use crate::config::{self, Config};
use crate::error::{Code, Error, Result};
use crate::form;
use crate::json::{self, Json};
use crate::metadata::Metadata;
use crate::pkce;
use crate::secret::Secret;
use crate::transaction::Transaction;
use crate::{b64url, url};

/// The options of one `startLogin` call.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct LoginOptions {
    /// A same-origin path handed back by `handleCallback`.
    pub return_to: Option<String>,
    /// OIDC `prompt` (`login`, `consent`, `none`, `select_account`, ...).
    pub prompt: Option<String>,
    /// OIDC `login_hint`.
    pub login_hint: Option<String>,
    /// OIDC `max_age` (seconds): the server must re-authenticate a user who logged in
    /// longer ago; the ID token's `auth_time` is checked against it.
    pub max_age: Option<u64>,
    /// More parameters for this request; they override the config's `extraParams`.
    pub extra_params: Vec<(String, String)>,
}

fn invalid(description: &'static str) -> Error {
    Error::new(Code::InvalidConfig, description)
}

impl LoginOptions {
    pub(crate) fn from_json<J: Json>(obj: Option<&J>) -> Result<LoginOptions> {
        let Some(obj) = obj.filter(|o| !o.is_null()) else {
            return Ok(LoginOptions::default());
        };
        if !obj.is_object() {
            return Err(invalid(t!("The options must be an object.")));
        }
        let return_to =
            json::opt_string(obj, "returnTo").map_err(|_| Error::code(Code::InvalidReturnTo))?;
        if let Some(r) = &return_to {
            if !url::is_same_origin_path(r) {
                return Err(Error::code(Code::InvalidReturnTo));
            }
        }
        let prompt =
            json::opt_string(obj, "prompt").map_err(|_| invalid(t!("prompt must be a string.")))?;
        let login_hint = json::opt_string(obj, "loginHint")
            .map_err(|_| invalid(t!("loginHint must be a string.")))?;
        let max_age = match obj.get("maxAge").filter(|v| !v.is_null()) {
            None => None,
            Some(v) => match v.as_f64() {
                Some(s) if (0.0..=1e9).contains(&s) && s.fract() == 0.0 => Some(s as u64),
                _ => return Err(invalid(t!("maxAge must be a whole number of seconds."))),
            },
        };
        let extra_params = config::string_map(
            obj,
            "extraParams",
            t!("extraParams must be an object of string values."),
        )?;
        config::check_extra_params(&extra_params)?;
        Ok(LoginOptions {
            return_to,
            prompt,
            login_hint,
            max_age,
            extra_params,
        })
    }
}

/// The randomness one login needs: 32 bytes each for the verifier, the state and the nonce.
pub(crate) type Random = [[u8; 32]; 3];

/// A login ready to start: the transaction to store, the authorization request's
/// parameters, and where to send the browser when they are not pushed.
pub(crate) struct Login {
    pub transaction: Transaction,
    /// The parameters, form-encoded: the query of `url`, or the body of a pushed
    /// authorization request (RFC 9126 2.1).
    pub request: String,
    pub url: String,
}

/// Where a login goes: from the config or the server's metadata.
pub(crate) struct Server<'a> {
    pub authorization_endpoint: &'a str,
    pub token_endpoint: &'a str,
    /// RFC 9207: the server promises `iss` in its authorization responses.
    pub iss_required: bool,
    /// Where the authorization request is pushed (RFC 9126), when it is: the app asked
    /// (`pushedAuthorizationRequests`) or the server requires it.
    pub par_endpoint: Option<&'a str>,
}

impl<'a> Server<'a> {
    /// The endpoints of a login: the config's, each overriding the metadata's (`metadata`:
    /// the server's, when there is an issuer).
    pub(crate) fn of(config: &'a Config, metadata: Option<&'a Metadata>) -> Result<Server<'a>> {
        let pick = |own: &'a Option<String>, found: Option<&'a str>| own.as_deref().or(found);
        match (
            pick(
                &config.authorization_endpoint,
                metadata.map(|m| m.authorization_endpoint.as_str()),
            ),
            pick(
                &config.token_endpoint,
                metadata.map(|m| m.token_endpoint.as_str()),
            ),
        ) {
            (Some(authorization_endpoint), Some(token_endpoint)) => Ok(Server {
                authorization_endpoint,
                token_endpoint,
                iss_required: metadata.is_some_and(|m| m.iss_parameter_supported),
                par_endpoint: match metadata {
                    Some(m) if config.pushed_authorization_requests || m.par_required => {
                        match m.par_endpoint.as_deref() {
                            Some(e) => Some(e),
                            None => {
                                return Err(Error::new(
                                    Code::InvalidConfig,
                                    t!("pushedAuthorizationRequests is set, but the server's metadata has no pushed_authorization_request_endpoint."),
                                ))
                            }
                        }
                    }
                    // Config::validate refuses pushedAuthorizationRequests without an issuer.
                    _ => None,
                },
            }),
            // Config::validate refuses this combination.
            _ => Err(Error::new(
                Code::InvalidConfig,
                t!("Give issuer (for discovery), or both authorizationEndpoint and tokenEndpoint."),
            )),
        }
    }
}

/// Builds the transaction and the authorization URL.
/// `digest`: SHA-256 of the verifier `pkce::verifier(&random[0])` makes, which the shell
/// computes with WebCrypto (a SHA-256 in the wasm would cost 1.3 KB gzip).
#[allow(clippy::too_many_arguments)] // each is one input of the request, none optional
pub(crate) fn login(
    config: &Config,
    server: &Server,
    options: &LoginOptions,
    random: &Random,
    digest: &[u8; 32],
    now: u64,
    dpop_jkt: Option<&str>,
    window: Option<crate::login_window::Window>,
) -> Result<Login> {
    let [verifier_bytes, state_bytes, nonce_bytes] = random;
    let verifier = pkce::verifier(verifier_bytes);
    let state = crate::login_window::state(b64url::encode(state_bytes), window);
    // OIDC Core 3.1.2.1: nonce binds the ID token to this login; sent whenever `openid` is.
    let nonce = config::is_openid(&config.scope).then(|| Secret::new(b64url::encode(nonce_bytes)));

    let mut params: Vec<(&str, &str)> = Vec::with_capacity(16);
    let challenge = pkce::challenge(digest);
    params.push(("response_type", "code"));
    params.push(("client_id", &config.client_id));
    params.push(("redirect_uri", &config.redirect_uri));
    if !config.scope.is_empty() {
        params.push(("scope", &config.scope));
    }
    params.push(("state", &state));
    params.push(("code_challenge", &challenge));
    params.push(("code_challenge_method", "S256"));
    if let Some(n) = &nonce {
        params.push(("nonce", n.expose()));
    }
    // The default for `code` is the query (OAuth 2.0 Multiple Response Type Encoding
    // Practices 2.1); only the other mode is asked for.
    if config.response_mode == ResponseMode::Fragment {
        params.push(("response_mode", "fragment"));
    }
    let mut max_age = String::new();
    if let Some(m) = options.max_age {
        form::push_u64(&mut max_age, m);
        params.push(("max_age", &max_age));
    }
    let optional = [
        ("prompt", &options.prompt),
        ("login_hint", &options.login_hint),
        ("audience", &config.audience),
        ("resource", &config.resource),
    ];
    for (name, value) in &optional {
        if let Some(v) = value {
            params.push((name, v));
        }
    }
    if let Some(jkt) = dpop_jkt {
        params.push(("dpop_jkt", jkt));
    }
    // The call's extraParams override the config's. Neither can hold a parameter set above:
    // both were checked against `config::OWNED_PARAMS` when they were read.
    for (name, value) in config
        .extra_params
        .iter()
        .filter(|(n, _)| !options.extra_params.iter().any(|(o, _)| o == n))
        .chain(&options.extra_params)
    {
        params.push((name, value));
    }

    let mut request = String::with_capacity(512);
    for (name, value) in &params {
        form::push(&mut request, name, value);
    }
    let mut url = url::with_query_start(server.authorization_endpoint);
    url.push_str(&request);
    let transaction = Transaction {
        state,
        verifier,
        nonce,
        client_id: config.client_id.clone(),
        redirect_uri: config.redirect_uri.clone(),
        token_endpoint: server.token_endpoint.into(),
        issuer: config.issuer.clone(),
        scope: config.scope.clone(),
        return_to: options.return_to.clone(),
        iss_required: server.iss_required,
        max_age: options.max_age,
        created_at: now,
        dpop_key: None,
    };
    Ok(Login {
        transaction,
        request,
        url,
    })
}

/// The body of a pushed authorization request (RFC 9126 2.1): the parameters, and the
/// client's authentication as at the token endpoint (a `client_secret` when the config has
/// one, RFC 6749 2.3.1).
pub(crate) fn pushed_request(request: &str, config: &Config) -> String {
    let mut body = String::from(request);
    if let Some(s) = &config.client_secret {
        form::push(&mut body, "client_secret", s.expose());
    }
    body
}

/// The authorization request that refers to a pushed one (RFC 9126 4): `client_id` and
/// `request_uri` only, so no parameter of the login travels in the browser's address.
pub(crate) fn pushed_url(server: &Server, client_id: &str, request_uri: &str) -> String {
    let mut url = url::with_query_start(server.authorization_endpoint);
    form::push(&mut url, "client_id", client_id);
    form::push(&mut url, "request_uri", request_uri);
    url
}

/// Reads the pushed authorization response (RFC 9126 2.2, 2.3): `201 Created` with a
/// `request_uri` and a positive `expires_in`; an error object is the server's error, as at
/// the token endpoint. The `request_uri` is used at once and once: each login pushes anew,
/// so its lifetime only has to be a real one.
pub(crate) fn read_pushed_response<J: crate::json::Json>(
    status: u16,
    body: &str,
) -> Result<String> {
    let v: J = crate::response::oauth_body(status, body)?;
    // RFC 9126 2.2: a URI, which goes into a URL as a parameter value (encoded), never as a
    // URL of its own; and a lifetime in seconds.
    match (
        crate::json::string(&v, "request_uri"),
        v.get("expires_in").and_then(|e| e.as_f64()),
    ) {
        (Ok(u), Some(n)) if status == 201 && u.contains(':') && n >= 1.0 && n.fract() == 0.0 => {
            Ok(u)
        }
        _ => Err(crate::response::invalid(
            t!("The pushed authorization response is not 201 with a request_uri and a positive whole expires_in."),
            status,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Pairs;
    use crate::json::native::json;

    fn config(extra: &str) -> Config {
        Config::from_json(&json(&format!(
            r#"{{"clientId":"my spa&co","redirectUri":"https://app.example/cb?a=1","issuer":"https://id.example"{extra}}}"#
        )))
        .unwrap()
        .into_inner()
    }

    fn opts(text: &str) -> Result<LoginOptions> {
        LoginOptions::from_json(Some(&json(text)))
    }

    const RANDOM: Random = [[1; 32], [2; 32], [3; 32]];

    /// What the shell's WebCrypto computes: SHA-256 of RANDOM's verifier.
    fn digest() -> [u8; 32] {
        pkce::tests::sha256(pkce::verifier(&RANDOM[0]).expose())
    }

    #[test]
    fn fragment_mode_max_age_and_iss_promise_reach_the_request_and_transaction() {
        let c = config(r#","responseMode":"fragment""#);
        let o = opts(r#"{"maxAge":300}"#).unwrap();
        let server = Server {
            authorization_endpoint: "https://id.example/auth",
            token_endpoint: "https://id.example/t",
            iss_required: true,
            par_endpoint: None,
        };
        let l = login(&c, &server, &o, &RANDOM, &digest(), 0, None, None).unwrap();
        let q = query(&l.url);
        assert_eq!(q.get("response_mode"), Some("fragment"));
        assert_eq!(q.get("max_age"), Some("300"));
        assert!(l.transaction.iss_required);
        assert_eq!(l.transaction.max_age, Some(300));
        // The default mode is not sent; bad maxAge values are refused.
        let l = login(
            &config(""),
            &server,
            &LoginOptions::default(),
            &RANDOM,
            &digest(),
            0,
            None,
            None,
        )
        .unwrap();
        assert_eq!(query(&l.url).get("response_mode"), None);
        assert_eq!(query(&l.url).get("max_age"), None);
        for bad in [
            r#"{"maxAge":-1}"#,
            r#"{"maxAge":1.5}"#,
            r#"{"maxAge":"300"}"#,
        ] {
            assert_eq!(opts(bad).err().unwrap().code, Code::InvalidConfig, "{bad}");
        }
    }

    fn query(url: &str) -> Pairs {
        Pairs::parse(url.split_once('?').unwrap().1).unwrap()
    }

    #[test]
    fn builds_the_authorization_request() {
        let c = config(r#","scope":"openid profile""#);
        let login = login(
            &c,
            &Server {
                authorization_endpoint: "https://id.example/auth",
                token_endpoint: "https://id.example/token",
                iss_required: false,
                par_endpoint: None,
            },
            &LoginOptions::default(),
            &RANDOM,
            &digest(),
            100,
            None,
            None,
        )
        .unwrap();
        let q = query(&login.url);
        assert!(login
            .url
            .starts_with("https://id.example/auth?response_type=code&client_id=my+spa%26co&"));
        assert_eq!(q.get("response_type"), Some("code"));
        assert_eq!(q.get("client_id"), Some("my spa&co"));
        assert_eq!(q.get("redirect_uri"), Some("https://app.example/cb?a=1"));
        assert_eq!(q.get("scope"), Some("openid profile"));
        assert_eq!(q.get("code_challenge_method"), Some("S256"));
        let tx = &login.transaction;
        assert_eq!(q.get("state"), Some(tx.state.as_str()));
        assert_eq!(tx.state.len(), 43);
        assert_eq!(
            q.get("code_challenge"),
            Some(pkce::challenge(&pkce::tests::sha256(tx.verifier.expose())).as_str())
        );
        assert_eq!(q.get("nonce"), tx.nonce.as_ref().map(|n| n.expose()));
        assert_eq!(tx.created_at, 100);
        assert_eq!(tx.token_endpoint, "https://id.example/token");
        assert_eq!(tx.redirect_uri, "https://app.example/cb?a=1");
        // The verifier never leaves in the URL.
        assert!(!login.url.contains(tx.verifier.expose()));
        for absent in [
            "prompt",
            "login_hint",
            "audience",
            "resource",
            "code_verifier",
        ] {
            assert_eq!(q.get(absent), None, "{absent}");
        }
    }

    #[test]
    fn state_verifier_and_nonce_come_from_separate_randomness() {
        let c = config("");
        let tx = login(
            &c,
            &Server {
                authorization_endpoint: "https://id.example/auth",
                token_endpoint: "https://id.example/t",
                iss_required: false,
                par_endpoint: None,
            },
            &LoginOptions::default(),
            &RANDOM,
            &digest(),
            0,
            None,
            None,
        )
        .unwrap()
        .transaction;
        let n = tx.nonce.unwrap();
        assert_ne!(tx.state, tx.verifier.expose());
        assert_ne!(tx.state, n.expose());
        assert_ne!(n.expose(), tx.verifier.expose());
    }

    #[test]
    fn no_nonce_without_openid() {
        let c = config(r#","scope":"api.read""#);
        let l = login(
            &c,
            &Server {
                authorization_endpoint: "https://id.example/auth",
                token_endpoint: "https://id.example/t",
                iss_required: false,
                par_endpoint: None,
            },
            &LoginOptions::default(),
            &RANDOM,
            &digest(),
            0,
            None,
            None,
        )
        .unwrap();
        assert_eq!(query(&l.url).get("nonce"), None);
        assert!(l.transaction.nonce.is_none());
        assert!(!config::is_openid("openidx profile"));
    }

    #[test]
    fn keeps_the_endpoints_query_and_encodes_every_value() {
        let c = config(
            r#","audience":"https://api.example","resource":"urn:x:y","extraParams":{"ui_locales":"de fr","q":"a&b=c#d+e","ü":"é"}"#,
        );
        let o = opts(r#"{"returnTo":"/orders/42?x=1&y=2#frag","prompt":"login consent","loginHint":"a+b@example.com"}"#).unwrap();
        let l = login(
            &c,
            &Server {
                authorization_endpoint: "https://id.example/auth?tenant=t%201",
                token_endpoint: "https://id.example/t",
                iss_required: false,
                par_endpoint: None,
            },
            &o,
            &RANDOM,
            &digest(),
            0,
            None,
            None,
        )
        .unwrap();
        assert!(l
            .url
            .starts_with("https://id.example/auth?tenant=t%201&response_type=code&"));
        assert!(!l.url.contains('#'), "a # would cut the URL: {}", l.url);
        let q = query(&l.url);
        assert_eq!(q.get("tenant"), Some("t 1"));
        assert_eq!(q.get("prompt"), Some("login consent"));
        assert_eq!(q.get("login_hint"), Some("a+b@example.com"));
        assert_eq!(q.get("audience"), Some("https://api.example"));
        assert_eq!(q.get("resource"), Some("urn:x:y"));
        assert_eq!(q.get("ui_locales"), Some("de fr"));
        assert_eq!(q.get("q"), Some("a&b=c#d+e"));
        assert_eq!(q.get("ü"), Some("é"));
        // returnTo stays in the transaction and is not sent to the server.
        assert_eq!(q.get("returnTo"), None);
        assert_eq!(
            l.transaction.return_to.as_deref(),
            Some("/orders/42?x=1&y=2#frag")
        );
    }

    #[test]
    fn call_extra_params_override_config_ones() {
        let c = config(r#","extraParams":{"ui_locales":"de","acr_values":"1"}"#);
        let o = opts(r#"{"extraParams":{"ui_locales":"fr"}}"#).unwrap();
        let l = login(
            &c,
            &Server {
                authorization_endpoint: "https://id.example/auth",
                token_endpoint: "https://id.example/t",
                iss_required: false,
                par_endpoint: None,
            },
            &o,
            &RANDOM,
            &digest(),
            0,
            None,
            None,
        )
        .unwrap();
        let q = query(&l.url);
        assert_eq!(q.get("ui_locales"), Some("fr"));
        assert_eq!(q.get("acr_values"), Some("1"));
    }

    #[test]
    fn extra_params_cannot_replace_protocol_parameters() {
        for name in [
            "state",
            "code_challenge",
            "redirect_uri",
            "nonce",
            "max_age",
        ] {
            let text = format!(
                r#"{{"clientId":"spa","redirectUri":"https://app.example/cb","issuer":"https://id.example","extraParams":{{"{name}":"x"}}}}"#
            );
            let e = Config::from_json(&json(&text)).unwrap_err();
            assert_eq!(e.code, Code::InvalidConfig, "{name}");
            let e = opts(&format!(r#"{{"extraParams":{{"{name}":"x"}}}}"#)).unwrap_err();
            assert_eq!(e.code, Code::InvalidConfig, "{name}");
            assert!(e.description.as_str().contains(name));
        }
        // Even where this call leaves it out: max_age without maxAge would skip the
        // auth_time check, response_mode would send the response where it is never read.
        for name in ["max_age", "response_mode", "prompt", "login_hint"] {
            assert!(
                opts(&format!(r#"{{"extraParams":{{"{name}":"x"}}}}"#)).is_err(),
                "{name}"
            );
        }
    }

    #[test]
    fn every_parameter_login_sets_is_one_extra_params_may_not_set() {
        let c = config(
            r#","scope":"openid","responseMode":"fragment","audience":"https://api.example","resource":"urn:x""#,
        );
        let o = opts(r#"{"prompt":"login","loginHint":"a","maxAge":5}"#).unwrap();
        let l = login(
            &c,
            &Server {
                authorization_endpoint: "https://id.example/auth",
                token_endpoint: "https://id.example/t",
                iss_required: false,
                par_endpoint: None,
            },
            &o,
            &RANDOM,
            &digest(),
            0,
            None,
            None,
        )
        .unwrap();
        let q = l.url.split_once('?').unwrap().1;
        let names: Vec<String> = q
            .split('&')
            .map(|kv| kv.split_once('=').unwrap().0.to_string())
            .collect();
        assert_eq!(names.len(), 14, "{names:?}");
        for name in &names {
            assert!(config::OWNED_PARAMS.contains(&name.as_str()), "{name}");
        }
    }

    #[test]
    fn options_are_validated() {
        assert_eq!(
            LoginOptions::from_json::<serde_json::Value>(None).unwrap(),
            LoginOptions::default()
        );
        assert_eq!(
            LoginOptions::from_json(Some(&json("null"))).unwrap(),
            LoginOptions::default()
        );
        assert_eq!(opts("7").err().unwrap().code, Code::InvalidConfig);
        assert_eq!(
            opts(r#"{"prompt":1}"#).err().unwrap().code,
            Code::InvalidConfig
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "orders",
            "",
        ] {
            let e = opts(&format!(
                r#"{{"returnTo":{}}}"#,
                serde_json::Value::from(bad)
            ))
            .err()
            .unwrap();
            assert_eq!(e.code, Code::InvalidReturnTo, "{bad}");
        }
        assert_eq!(
            opts(r#"{"returnTo":5}"#).err().unwrap().code,
            Code::InvalidReturnTo
        );
    }

    #[test]
    fn the_endpoints_of_a_login() {
        let doc = r#"{"issuer":"https://id.example","authorization_endpoint":"https://id.example/a","token_endpoint":"https://id.example/t","authorization_response_iss_parameter_supported":true}"#;
        let meta = Metadata::parse::<serde_json::Value>("https://id.example", 200, doc, 0).unwrap();
        let discovered = Config {
            issuer: Some("https://id.example".into()),
            ..Config::new("spa", "https://app.example/")
        };
        let s = Server::of(&discovered, Some(&meta)).unwrap();
        assert_eq!(
            (s.authorization_endpoint, s.token_endpoint, s.iss_required),
            ("https://id.example/a", "https://id.example/t", true)
        );
        // The config's own endpoint overrides the discovered one.
        let mixed = Config {
            token_endpoint: Some("https://proxy.example/t".into()),
            ..discovered.clone()
        };
        let s = Server::of(&mixed, Some(&meta)).unwrap();
        assert_eq!(
            (s.authorization_endpoint, s.token_endpoint),
            ("https://id.example/a", "https://proxy.example/t")
        );
        // No metadata: both from the config, and no iss promised.
        let plain = Config {
            authorization_endpoint: Some("https://id.example/a".into()),
            ..mixed.clone()
        };
        let s = Server::of(&plain, None).unwrap();
        assert!(!s.iss_required);
        assert_eq!(
            Server::of(&mixed, None).err().unwrap().code,
            Code::InvalidConfig
        );
    }
}

#[cfg(test)]
mod pushed_tests {
    use super::*;
    use serde_json::Value;

    fn meta(extra: &str) -> Metadata {
        let doc = format!(
            r#"{{"issuer":"https://id.example","authorization_endpoint":"https://id.example/a",
            "token_endpoint":"https://id.example/t"{extra}}}"#
        );
        Metadata::parse::<Value>("https://id.example", 200, &doc, 0).unwrap()
    }

    fn config(par: bool) -> Config {
        Config {
            issuer: Some("https://id.example".into()),
            pushed_authorization_requests: par,
            ..Config::new("spa", "https://app.example/")
        }
    }

    #[test]
    fn pushed_when_the_app_asks_or_the_server_requires_it() {
        let par = r#","pushed_authorization_request_endpoint":"https://id.example/par""#;
        let required = r#","pushed_authorization_request_endpoint":"https://id.example/par",
            "require_pushed_authorization_requests":true"#;
        let e = Some("https://id.example/par");
        assert_eq!(
            Server::of(&config(false), Some(&meta(par)))
                .unwrap()
                .par_endpoint,
            None
        );
        assert_eq!(
            Server::of(&config(true), Some(&meta(par)))
                .unwrap()
                .par_endpoint,
            e
        );
        assert_eq!(
            Server::of(&config(false), Some(&meta(required)))
                .unwrap()
                .par_endpoint,
            e
        );
        // Asked for, and the server has no endpoint: said before anything is sent.
        let err = Server::of(&config(true), Some(&meta(""))).err().unwrap();
        assert_eq!(err.code, Code::InvalidConfig);
        assert!(err
            .description
            .as_str()
            .contains("pushed_authorization_request_endpoint"));
        // The config refuses it without an issuer (no metadata to find the endpoint in).
        let endpoints = Config {
            issuer: None,
            authorization_endpoint: Some("https://id.example/a".into()),
            token_endpoint: Some("https://id.example/t".into()),
            ..config(true)
        };
        assert_eq!(
            endpoints.validated().err().unwrap().code,
            Code::InvalidConfig
        );
    }

    #[test]
    fn the_url_names_only_the_client_and_the_pushed_request() {
        let m = meta("");
        let c = config(false);
        let server = Server::of(&c, Some(&m)).unwrap();
        assert_eq!(
            pushed_url(&server, "spa", "urn:ietf:params:oauth:request_uri:a&b"),
            "https://id.example/a?client_id=spa&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aa%26b"
        );
        // The body carries the client's secret as the token endpoint's would.
        let with_secret = Config {
            client_secret: Some(crate::secret::Secret::new("s+1".into())),
            ..c
        };
        assert_eq!(
            pushed_request("response_type=code", &with_secret),
            "response_type=code&client_secret=s%2B1"
        );
    }

    #[test]
    fn reads_the_pushed_authorization_response_strictly() {
        let read = |status, body: &str| read_pushed_response::<Value>(status, body);
        assert_eq!(
            read(
                201,
                r#"{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":60}"#
            )
            .unwrap(),
            "urn:ietf:params:oauth:request_uri:x"
        );
        for (status, body, code) in [
            (
                200,
                r#"{"request_uri":"urn:x","expires_in":60}"#,
                Code::InvalidResponse,
            ),
            (201, r#"{"request_uri":"urn:x"}"#, Code::InvalidResponse),
            (
                201,
                r#"{"request_uri":"urn:x","expires_in":0}"#,
                Code::InvalidResponse,
            ),
            (
                201,
                r#"{"request_uri":"urn:x","expires_in":1.5}"#,
                Code::InvalidResponse,
            ),
            (
                201,
                r#"{"request_uri":"urn:x","expires_in":"60"}"#,
                Code::InvalidResponse,
            ),
            (
                201,
                r#"{"request_uri":"","expires_in":60}"#,
                Code::InvalidResponse,
            ),
            (
                201,
                r#"{"request_uri":"no-scheme","expires_in":60}"#,
                Code::InvalidResponse,
            ),
            (
                201,
                r#"{"request_uri":7,"expires_in":60}"#,
                Code::InvalidResponse,
            ),
            (201, "[]", Code::InvalidResponse),
            (
                400,
                r#"{"error":"invalid_request","error_description":"bad"}"#,
                Code::InvalidRequest,
            ),
            (201, r#"{"error":"invalid_scope"}"#, Code::InvalidScope),
            (500, "oops", Code::ServerError),
        ] {
            let e = read(status, body).unwrap_err();
            assert_eq!((e.code, e.status), (code, Some(status)), "{status} {body}");
        }
    }
}
