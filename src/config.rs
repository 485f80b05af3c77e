//! The configuration an app passes to every call, validated before anything happens. Every
//! failure is `invalid_config` with a sentence naming the field, because a typo in a config
//! object is the most common first error and should never surface later as a confusing
//! server error.

use crate::callback::ResponseMode;
use crate::error::{Code, Error, Result};
use crate::issuer;
use crate::json::{self, Json};
use crate::secret::Secret;
use crate::url;

const METADATA_URL: &str =
    t!("metadataUrl must be an https URL (http only on localhost) without a fragment.");
const ISSUER_TEMPLATE: &str =
    t!("issuerTemplate must be an https issuer URL with {tenantid} once, as the server's document writes it.");
const API_ORIGINS: &str =
    t!("apiOrigins must be an array of origins like \"https://api.example\" (https, or http on localhost; no path), written as browsers write them: lower case, no default port.");
const TENANTS: &str =
    t!("tenants must be a non-empty array of tenant ids (lower-case GUIDs), with issuerTemplate.");

/// Where the session (tokens) is kept.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TokenStorage {
    /// `sessionStorage`: survives reloads, not shared between tabs, gone when the tab closes.
    Session,
    /// `localStorage`: shared by all tabs of the origin, survives restarts.
    Local,
    /// Memory only: gone on reload; the least exposed to XSS that persists nothing.
    Memory,
    /// The app's own store (an encrypted store, IndexedDB, a native bridge): an object with
    /// `getItem`, `setItem` and `removeItem`, whose methods may return promises. The
    /// JavaScript API takes the object as `tokenStorage`; a Rust app registers it with
    /// `spa_oauth::storage_adapter`.
    Custom(StorageAdapter),
}

/// A storage adapter the app gave (`TokenStorage::Custom`, `Config::transaction_storage`):
/// a handle to the JavaScript object, which the browser shell keeps. The protocol core only
/// knows that the store is the app's, and that its operations may take time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StorageAdapter(pub(crate) u32);

/// A validated configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Config {
    pub client_id: String,
    pub redirect_uri: String,
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub scope: String,
    pub audience: Option<String>,
    pub resource: Option<String>,
    pub extra_params: Vec<(String, String)>,
    pub token_storage: TokenStorage,
    pub http_timeout_ms: u32,
    /// Where the authorization response is read from: the query (default) or, with
    /// `response_mode=fragment`, the fragment, which never reaches a server's logs.
    pub response_mode: ResponseMode,
    /// How far the browser's clock may be off when checking ID-token times (seconds).
    pub clock_skew_seconds: u64,
    /// A `client_secret` the server insists on although the client is a browser app
    /// (Google's "Web application" clients, even with PKCE). It is no secret: every user
    /// can read it from the app. Sent only in the code and refresh grants (RFC 6749 2.3.1,
    /// `client_secret_post`), never stored, never elsewhere.
    pub client_secret: Option<Secret>,
    /// Where the discovery document is, when not at the issuer's well-known locations (Azure
    /// AD B2C's policy query string). The document's `issuer` must still be `issuer`.
    pub metadata_url: Option<String>,
    /// Opt-in for a multi-tenant server whose document names an issuer template (Entra ID's
    /// `common` and `organizations`: `https://login.microsoftonline.com/{tenantid}/v2.0`).
    /// See `crate::issuer`.
    pub issuer_template: Option<String>,
    /// With `issuer_template`: the tenants (GUIDs) whose users may log in; empty for any.
    pub tenants: Vec<String>,
    /// Pushed Authorization Requests (RFC 9126): the authorization parameters are POSTed to
    /// the server's `pushed_authorization_request_endpoint`, and the browser goes to the
    /// authorization endpoint with only `client_id` and `request_uri`. Also done without
    /// this when the metadata says `require_pushed_authorization_requests`.
    pub pushed_authorization_requests: bool,
    /// DPoP (RFC 9449): the tokens are bound to a key pair of this browser, made at login
    /// and kept non-extractable in IndexedDB; every token request carries a proof, and so
    /// does every request `fetch_with_auth` authorizes.
    pub dpop: bool,
    /// The origins (`https://api.example`, no path) besides the page's own that the access
    /// token may be sent to by the authorized fetch. Empty: the page's origin only.
    pub api_origins: Vec<String>,
    /// Where the login transaction (PKCE verifier, state, nonce) waits for the callback:
    /// `None` for this tab's `sessionStorage` (the default, and what RFC 9700 and the
    /// browser-apps draft assume), or an adapter the app gives (`transactionStorage`). A
    /// transaction is taken out of the adapter under a cross-tab lock, so that a code is
    /// redeemed at most once even when two callbacks race.
    pub transaction_storage: Option<StorageAdapter>,
    /// Silent login as `get_access_token`'s last resort: when the session cannot give a token
    /// (none, or its refresh token is missing or refused), a login with `prompt=none` in a
    /// hidden iframe is tried before `login_required` is returned. For servers that give
    /// browser apps no refresh tokens; it needs the server's cookie in a third-party iframe.
    pub silent_login: bool,
    /// How long before the session's end (`sessionExpiresAt`) the `expiring` event comes
    /// (`expiringNoticeSeconds`, default 60, at most a day).
    pub expiring_notice_secs: u64,
    /// The idle timeout (`idleTimeoutSeconds`, opt-in): the session ends with a logout after
    /// this long without the user's activity in any tab (`crate::idle`).
    pub idle_timeout_secs: Option<u64>,
    /// How long before that logout the `"idle"` event comes (`idleWarningSeconds`,
    /// default 60, less than the timeout).
    pub idle_warning_secs: u64,
    /// The options of that logout (`idleLogout`, as `logout`'s: where the server's logout
    /// page sends the user back, revocation, ...); `logout`'s defaults otherwise.
    pub idle_logout: crate::logout::LogoutOptions,
}

/// A [`Config`] that passed every check: what the flows take, so that a configuration that
/// skipped validation cannot reach them. Made by [`Config::validated`] (and by the
/// JavaScript API from its config object); read through `Deref`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ValidConfig(Config);

impl ValidConfig {
    /// The configuration, to change and validate again.
    pub fn into_inner(self) -> Config {
        self.0
    }

    /// The browser shell's handles for the adapter objects of a config read from
    /// JavaScript (`from_json` marks where an adapter was given; the shell keeps the
    /// objects). Only a store already marked as the app's changes.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn attach_adapters(&mut self, tokens: StorageAdapter, transactions: StorageAdapter) {
        if let TokenStorage::Custom(a) = &mut self.0.token_storage {
            *a = tokens;
        }
        if let Some(a) = &mut self.0.transaction_storage {
            *a = transactions;
        }
    }
}

impl std::ops::Deref for ValidConfig {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.0
    }
}

/// Whether `scope` asks for OpenID Connect.
pub(crate) fn is_openid(scope: &str) -> bool {
    scope.split(' ').any(|s| s == "openid")
}

/// Default `clockSkewSeconds`.
pub const DEFAULT_CLOCK_SKEW_SECONDS: u64 = 60;

/// Default `expiringNoticeSeconds`: as oidc-client-ts's `accessTokenExpiringNotificationTimeInSeconds`.
pub const DEFAULT_EXPIRING_NOTICE_SECONDS: u64 = 60;

/// Default `idleWarningSeconds`.
pub const DEFAULT_IDLE_WARNING_SECONDS: u64 = 60;

/// Default `httpTimeoutMs`.
pub const DEFAULT_HTTP_TIMEOUT_MS: u32 = 10_000;

fn invalid(description: &'static str) -> Error {
    Error::new(Code::InvalidConfig, description)
}

/// Reads a string member, mapping a missing or mistyped value to `invalid_config` with the
/// given sentence.
fn opt_str<J: Json>(obj: &J, key: &str, wrong: &'static str) -> Result<Option<String>> {
    json::opt_string(obj, key).map_err(|_| invalid(wrong))
}

fn req_str<J: Json>(obj: &J, key: &str, wrong: &'static str) -> Result<String> {
    json::string(obj, key).map_err(|_| invalid(wrong))
}

/// The authorization-request parameters whose meaning spa-oauth owns: it sets them, derives
/// them from its own options (`prompt`, `loginHint`, `maxAge`, `audience`, `resource`), or
/// checks what they imply. Set through `extraParams`, `max_age` would skip the `auth_time`
/// check (OIDC Core 3.1.3.7 step 13), `response_mode=form_post` or `web_message` would send
/// the response where the callback never reads it, and `request`/`request_uri` would replace
/// the whole request (RFC 9101, RFC 9126). Refused, by name, where extraParams are read.
pub(crate) const OWNED_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "max_age",
    "prompt",
    "login_hint",
    "audience",
    "resource",
    "request",
    "request_uri",
    "dpop_jkt",
];

/// `invalid_config` naming the parameter, when `params` sets one spa-oauth owns.
pub(crate) fn check_extra_params(params: &[(String, String)]) -> Result<()> {
    refuse_owned(params, OWNED_PARAMS)
}

/// `invalid_config` naming the first of `params` that is in `owned` (a login's or a
/// logout's extraParams setting a parameter spa-oauth sets or derives from its options).
pub(crate) fn refuse_owned(params: &[(String, String)], owned: &[&str]) -> Result<()> {
    match params.iter().find(|(n, _)| owned.contains(&n.as_str())) {
        Some((name, _)) => Err(Error::detail(
            Code::InvalidConfig,
            &[
                "extraParams may not set ",
                name,
                t!(": spa-oauth sets it, or one of its options does (prompt, loginHint, maxAge, audience, resource, responseMode, scope, idTokenHint, postLogoutRedirectUri)."),
            ],
        )),
        None => Ok(()),
    }
}

/// Every member of a configuration object that `Config::from_json` reads, and nothing else.
/// The package entry's getAccessToken fast path (pkg-template/index.js, `MEMBERS`) compares
/// configs by exactly these, read the same way (own properties): two configs that differ in
/// any other way are one configuration to the wasm, and two that differ here are not. Tests
/// hold this list, the reads and the entry's copy equal (it exists for them only).
#[cfg(test)]
pub(crate) const MEMBERS: &[&str] = &[
    "clientId",
    "redirectUri",
    "issuer",
    "authorizationEndpoint",
    "tokenEndpoint",
    "scope",
    "audience",
    "resource",
    "extraParams",
    "tokenStorage",
    "httpTimeoutMs",
    "responseMode",
    "clockSkewSeconds",
    "clientSecret",
    "metadataUrl",
    "issuerTemplate",
    "tenants",
    "pushedAuthorizationRequests",
    "dpop",
    "apiOrigins",
    "transactionStorage",
    "silentLogin",
    "expiringNoticeSeconds",
    "idleTimeoutSeconds",
    "idleWarningSeconds",
    "idleLogout",
];

/// Inserts `item` into the sorted, duplicate-free `set`. For the few short lists compared as
/// sets (scopes, audiences), this is all the sorting needed: core's sort routines would add
/// 6 KB of wasm.
pub(crate) fn set_insert<T: Ord>(set: &mut Vec<T>, item: T) {
    if let Err(at) = set.binary_search(&item) {
        set.insert(at, item);
    }
}

/// Reads an object of string values (`extraParams`).
pub(crate) fn string_map<J: Json>(
    obj: &J,
    key: &str,
    wrong: &'static str,
) -> Result<Vec<(String, String)>> {
    let Some(v) = obj.get(key).filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let entries = v.entries().ok_or_else(|| invalid(wrong))?;
    let mut out = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        if value.is_null() {
            continue; // `{ foo: undefined }` is how apps leave a parameter out.
        }
        let value = value.as_string().ok_or_else(|| invalid(wrong))?;
        if name.is_empty() {
            return Err(invalid(wrong));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// A whole, non-negative number member up to `max`, or `default` when absent.
fn whole<J: Json>(obj: &J, key: &str, default: f64, max: f64, wrong: &'static str) -> Result<f64> {
    match obj.get(key).filter(|v| !v.is_null()) {
        None => Ok(default),
        Some(v) => match v.as_f64() {
            Some(n) if (0.0..=max).contains(&n) && n.fract() == 0.0 => Ok(n),
            _ => Err(invalid(wrong)),
        },
    }
}

impl Config {
    /// A configuration with the defaults, to be completed with struct update syntax and
    /// checked with [`Config::validated`]:
    ///
    /// ```
    /// use spa_oauth::{Config, TokenStorage};
    ///
    /// let config = Config {
    ///     issuer: Some("https://id.example".into()),
    ///     scope: "openid profile offline_access".into(),
    ///     token_storage: TokenStorage::Local,
    ///     ..Config::new("my-spa", "https://app.example/callback")
    /// }
    /// .validated()?;
    /// assert_eq!(config.http_timeout_ms, 10_000);
    ///
    /// // Every check of the JavaScript API applies: here, a redirect URI over plain http.
    /// let err = Config {
    ///     issuer: Some("https://id.example".into()),
    ///     ..Config::new("my-spa", "http://app.example/callback")
    /// }
    /// .validated()
    /// .unwrap_err();
    /// assert_eq!(err.code.as_str(), "invalid_config");
    /// # Ok::<(), spa_oauth::Error>(())
    /// ```
    pub fn new(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> Config {
        Config {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            issuer: None,
            authorization_endpoint: None,
            token_endpoint: None,
            scope: String::new(),
            audience: None,
            resource: None,
            extra_params: Vec::new(),
            token_storage: TokenStorage::Session,
            http_timeout_ms: DEFAULT_HTTP_TIMEOUT_MS,
            response_mode: ResponseMode::Query,
            clock_skew_seconds: DEFAULT_CLOCK_SKEW_SECONDS,
            client_secret: None,
            metadata_url: None,
            issuer_template: None,
            tenants: Vec::new(),
            pushed_authorization_requests: false,
            dpop: false,
            api_origins: Vec::new(),
            transaction_storage: None,
            silent_login: false,
            expiring_notice_secs: DEFAULT_EXPIRING_NOTICE_SECONDS,
            idle_timeout_secs: None,
            idle_warning_secs: DEFAULT_IDLE_WARNING_SECONDS,
            idle_logout: crate::logout::LogoutOptions::default(),
        }
    }

    /// Checks every value (`invalid_config` naming the field). An empty `scope` becomes
    /// `"openid"` when there is an issuer.
    pub fn validated(mut self) -> Result<ValidConfig> {
        if self.scope.is_empty() && self.issuer.is_some() {
            self.scope = "openid".into();
        }
        self.validate()?;
        Ok(ValidConfig(self))
    }

    /// The value checks, shared by [`Config::validated`] and [`Config::from_json`].
    fn validate(&self) -> Result<()> {
        if self.client_id.is_empty() {
            return Err(invalid(t!(
                "clientId is required and must be a non-empty string."
            )));
        }
        if !url::is_safe_redirect_uri(&self.redirect_uri) {
            return Err(invalid(
                t!("redirectUri must be an absolute https URL (http only on localhost) without a fragment."),
            ));
        }
        if let Some(iss) = &self.issuer {
            // RFC 8414 2: "https" scheme, no query or fragment.
            if !url::is_safe_endpoint(iss) || iss.contains('?') {
                return Err(invalid(t!("issuer must be an https URL (http only on localhost) without query or fragment.")));
            }
        }
        for endpoint in [&self.authorization_endpoint, &self.token_endpoint]
            .into_iter()
            .flatten()
        {
            if !url::is_safe_endpoint(endpoint) {
                return Err(invalid(
                    t!("authorizationEndpoint and tokenEndpoint must be https URLs (http only on localhost) without a fragment."),
                ));
            }
        }
        if self.issuer.is_none()
            && (self.authorization_endpoint.is_none() || self.token_endpoint.is_none())
        {
            return Err(invalid(t!(
                "Give issuer (for discovery), or both authorizationEndpoint and tokenEndpoint."
            )));
        }
        // RFC 6749 3.3: space-delimited tokens of NQCHAR (none at all: no scope parameter).
        let scope_ok = self.scope.is_empty()
            || self.scope.split(' ').all(|t| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
            });
        if !scope_ok {
            return Err(invalid(t!(
                "scope must be scope tokens separated by single spaces."
            )));
        }
        // ID tokens are checked against the issuer (OIDC Core 3.1.3.7 step 2) and its keys:
        // without one, an `openid` login could only accept ID tokens unchecked.
        if self.issuer.is_none() && is_openid(&self.scope) {
            return Err(invalid(
                t!("scope openid needs issuer: ID tokens are validated against the issuer and its keys."),
            ));
        }
        if let Some(r) = &self.resource {
            // RFC 8707 2: an absolute URI without a fragment.
            if !r.contains(':') || r.contains('#') {
                return Err(invalid(t!(
                    "resource must be an absolute URI without a fragment."
                )));
            }
        }
        if self.extra_params.iter().any(|(n, _)| n.is_empty()) {
            return Err(invalid(t!(
                "extraParams must be an object of string values."
            )));
        }
        check_extra_params(&self.extra_params)?;
        if !(1..=600_000).contains(&self.http_timeout_ms) {
            return Err(invalid(t!(
                "httpTimeoutMs must be a whole number of milliseconds from 1 to 600000."
            )));
        }
        if self.metadata_url.is_some() || self.issuer_template.is_some() {
            if self.issuer.is_none() {
                return Err(invalid(t!("metadataUrl and issuerTemplate need issuer.")));
            }
            if self
                .metadata_url
                .as_deref()
                .is_some_and(|u| !url::is_safe_endpoint(u))
            {
                return Err(invalid(METADATA_URL));
            }
            if let Some(t) = &self.issuer_template {
                // `{tenantid}` once, in an issuer-shaped URL (RFC 8414 2: no query).
                let once = issuer::placeholder(t)
                    .is_some_and(|at| t.get(at + 1..).and_then(issuer::placeholder).is_none());
                if !once || !url::is_safe_endpoint(t) || t.contains('?') {
                    return Err(invalid(ISSUER_TEMPLATE));
                }
            }
        }
        if !self.tenants.is_empty()
            && (self.issuer_template.is_none() || !self.tenants.iter().all(|t| issuer::is_guid(t)))
        {
            return Err(invalid(TENANTS));
        }
        // The endpoint is in the server's metadata (RFC 9126 5).
        if self.pushed_authorization_requests && self.issuer.is_none() {
            return Err(invalid(t!(
                "pushedAuthorizationRequests needs issuer: the endpoint is in the server's metadata."
            )));
        }
        // An origin: https (http on loopback), no path, query or fragment, as `URL.origin`
        // writes it.
        let origin_ok = |o: &String| {
            url::is_safe_endpoint(o)
                && url::split(o).is_some_and(|p| p.origin.len() == o.len())
                && url::is_serialized_origin(o)
        };
        if !self.api_origins.iter().all(origin_ok) {
            return Err(invalid(API_ORIGINS));
        }
        if let Some(t) = self.idle_timeout_secs {
            if !(10..=604_800).contains(&t) {
                return Err(invalid(t!(
                    "idleTimeoutSeconds must be a whole number of seconds from 10 to 604800 (a week)."
                )));
            }
            if self.idle_warning_secs >= t {
                return Err(invalid(t!(
                    "idleWarningSeconds must be a whole number of seconds, less than idleTimeoutSeconds."
                )));
            }
        }
        if self.expiring_notice_secs > 86_400 {
            return Err(invalid(t!(
                "expiringNoticeSeconds must be a whole number of seconds from 0 to 86400."
            )));
        }
        if self.clock_skew_seconds > 3600 {
            return Err(invalid(t!(
                "clockSkewSeconds must be a whole number of seconds from 0 to 3600."
            )));
        }
        Ok(())
    }

    /// Reads and validates a configuration object (the JavaScript API's `config`).
    pub(crate) fn from_json<J: Json>(obj: &J) -> Result<ValidConfig> {
        if !obj.is_object() {
            return Err(invalid(t!("The configuration must be an object.")));
        }
        let client_id = req_str(
            obj,
            "clientId",
            t!("clientId is required and must be a non-empty string."),
        )?;
        let redirect_uri = req_str(
            obj,
            "redirectUri",
            t!("redirectUri is required and must be a non-empty string."),
        )?;
        let issuer = opt_str(obj, "issuer", t!("issuer must be a string."))?;
        let authorization_endpoint = opt_str(
            obj,
            "authorizationEndpoint",
            t!("authorizationEndpoint must be a string."),
        )?;
        let token_endpoint = opt_str(obj, "tokenEndpoint", t!("tokenEndpoint must be a string."))?;
        let scope = match opt_str(obj, "scope", t!("scope must be a string."))? {
            // OpenID Connect by default when there is an issuer to validate ID tokens
            // against; a plain OAuth server configured by its endpoints gets no scope
            // parameter (RFC 6749 3.3: the server's default applies).
            None if issuer.is_some() => "openid".into(),
            None => String::new(),
            Some(s) if s.is_empty() => {
                return Err(invalid(t!(
                    "scope must be scope tokens separated by single spaces."
                )))
            }
            Some(s) => s,
        };
        let audience = opt_str(obj, "audience", t!("audience must be a string."))?;
        let resource = opt_str(obj, "resource", t!("resource must be a string."))?;
        let extra_params = string_map(
            obj,
            "extraParams",
            t!("extraParams must be an object of string values."),
        )?;
        const STORAGE: &str = t!("tokenStorage must be \"session\", \"local\", \"memory\" or an object with getItem, setItem and removeItem.");
        // An object is the app's adapter: the shell checks its methods and keeps it.
        let adapter = |key: &str| {
            obj.get(key)
                .filter(|v| v.is_object())
                .map(|_| StorageAdapter(0))
        };
        let token_storage = match adapter("tokenStorage") {
            Some(a) => TokenStorage::Custom(a),
            None => match opt_str(obj, "tokenStorage", STORAGE)?.as_deref() {
                None | Some("session") => TokenStorage::Session,
                Some("local") => TokenStorage::Local,
                Some("memory") => TokenStorage::Memory,
                Some(_) => return Err(invalid(STORAGE)),
            },
        };
        let transaction_storage = match obj.get("transactionStorage").filter(|v| !v.is_null()) {
            None => None,
            Some(_) => Some(adapter("transactionStorage").ok_or_else(|| {
                invalid(t!(
                    "transactionStorage must be an object with getItem, setItem and removeItem."
                ))
            })?),
        };
        let http_timeout_ms = whole(
            obj,
            "httpTimeoutMs",
            DEFAULT_HTTP_TIMEOUT_MS as f64,
            600_000.0,
            t!("httpTimeoutMs must be a whole number of milliseconds from 1 to 600000."),
        )? as u32;
        let response_mode = match opt_str(
            obj,
            "responseMode",
            t!("responseMode must be \"query\" or \"fragment\"."),
        )?
        .as_deref()
        {
            None | Some("query") => ResponseMode::Query,
            Some("fragment") => ResponseMode::Fragment,
            Some(_) => {
                return Err(invalid(t!(
                    "responseMode must be \"query\" or \"fragment\"."
                )))
            }
        };
        let clock_skew_seconds = whole(
            obj,
            "clockSkewSeconds",
            DEFAULT_CLOCK_SKEW_SECONDS as f64,
            3600.0,
            t!("clockSkewSeconds must be a whole number of seconds from 0 to 3600."),
        )? as u64;
        let idle_timeout_secs = match obj.get("idleTimeoutSeconds").filter(|v| !v.is_null()) {
            None => None,
            Some(_) => Some(whole(
                obj,
                "idleTimeoutSeconds",
                0.0,
                604_800.0,
                t!("idleTimeoutSeconds must be a whole number of seconds from 10 to 604800 (a week)."),
            )? as u64),
        };
        let idle_warning_secs = whole(
            obj,
            "idleWarningSeconds",
            DEFAULT_IDLE_WARNING_SECONDS as f64,
            604_800.0,
            t!("idleWarningSeconds must be a whole number of seconds, less than idleTimeoutSeconds."),
        )? as u64;
        // The same options, and the same checks, as `logout`'s.
        let idle_logout = obj.get("idleLogout");
        if idle_logout
            .as_ref()
            .is_some_and(|o| !o.is_null() && !o.is_object())
        {
            return Err(invalid(t!(
                "idleLogout must be an object of logout's options."
            )));
        }
        let idle_logout = crate::logout::LogoutOptions::from_json(idle_logout.as_ref())?;
        let expiring_notice_secs = whole(
            obj,
            "expiringNoticeSeconds",
            DEFAULT_EXPIRING_NOTICE_SECONDS as f64,
            86_400.0,
            t!("expiringNoticeSeconds must be a whole number of seconds from 0 to 86400."),
        )? as u64;
        let client_secret =
            match opt_str(obj, "clientSecret", t!("clientSecret must be a string."))? {
                Some(s) if s.is_empty() => {
                    return Err(invalid(t!("clientSecret must be a non-empty string.")))
                }
                s => s.map(Secret::new),
            };
        let metadata_url = opt_str(obj, "metadataUrl", METADATA_URL)?;
        let issuer_template = opt_str(obj, "issuerTemplate", ISSUER_TEMPLATE)?;
        let tenants = match json::opt_strings(obj, "tenants") {
            Ok(None) => Vec::new(),
            Ok(Some(list)) if !list.is_empty() => list,
            _ => return Err(invalid(TENANTS)),
        };
        let pushed_authorization_requests = json::opt_bool(obj, "pushedAuthorizationRequests")
            .map_err(|_| invalid(t!("pushedAuthorizationRequests must be a boolean.")))?
            .unwrap_or(false);
        let dpop = json::opt_bool(obj, "dpop")
            .map_err(|_| invalid(t!("dpop must be a boolean.")))?
            .unwrap_or(false);
        let silent_login = json::opt_bool(obj, "silentLogin")
            .map_err(|_| invalid(t!("silentLogin must be a boolean.")))?
            .unwrap_or(false);
        let api_origins = match json::opt_strings(obj, "apiOrigins") {
            Ok(list) => list.unwrap_or_default(),
            Err(_) => return Err(invalid(API_ORIGINS)),
        };
        let config = Config {
            client_id,
            redirect_uri,
            issuer,
            authorization_endpoint,
            token_endpoint,
            scope,
            audience,
            resource,
            extra_params,
            token_storage,
            http_timeout_ms,
            response_mode,
            clock_skew_seconds,
            client_secret,
            metadata_url,
            issuer_template,
            tenants,
            pushed_authorization_requests,
            dpop,
            api_origins,
            transaction_storage,
            silent_login,
            expiring_notice_secs,
            idle_timeout_secs,
            idle_warning_secs,
            idle_logout,
        };
        config.validate()?;
        Ok(ValidConfig(config))
    }

    /// Where the login transaction waits for the callback.
    pub(crate) fn transaction_store(&self) -> crate::flow::Store {
        self.transaction_storage
            .map_or(crate::flow::Store::Session, crate::flow::Store::Custom)
    }

    /// The storage key of this client's session: one per client and server, and per what
    /// the tokens are for (`scope`, `audience`, `resource`): two configurations in one app
    /// never read each other's tokens, and a token asked for one API is never returned for
    /// another. The scope is compared as a set (`"openid profile"` is `"profile openid"`).
    pub(crate) fn session_key(&self) -> String {
        let mut key = String::from("spa-oauth:session?");
        crate::form::push(&mut key, "client", &self.client_id);
        let server = self
            .issuer
            .as_deref()
            .or(self.authorization_endpoint.as_deref())
            .unwrap_or("");
        crate::form::push(&mut key, "server", server);
        let mut scopes = Vec::new();
        for s in self.scope.split(' ').filter(|s| !s.is_empty()) {
            set_insert(&mut scopes, s);
        }
        let mut scope = String::new();
        for s in scopes {
            if !scope.is_empty() {
                scope.push(' ');
            }
            scope.push_str(s);
        }
        crate::form::push(&mut key, "scope", &scope);
        for (name, value) in [
            ("audience", &self.audience),
            ("resource", &self.resource),
            ("template", &self.issuer_template),
            // Azure AD B2C: one `iss` for every policy of a tenant; the policy (sign-in,
            // step-up, password reset) is in the metadata URL.
            ("metadata", &self.metadata_url),
        ] {
            if let Some(v) = value {
                crate::form::push(&mut key, name, v);
            }
        }
        // `acr_values`, `claims`, `max_age` and the like ask for another authentication or
        // other claims: a step-up configuration is not answered with the base login's tokens
        // (review round 2, L10). By name, so that the members' order does not matter.
        // (Sorted by insertion, by name, which is unique: a slice sort costs the wasm 4 KB.)
        let mut sorted: Vec<&(String, String)> = Vec::new();
        for p in &self.extra_params {
            let at = sorted
                .iter()
                .position(|q| q.0 > p.0)
                .unwrap_or(sorted.len());
            sorted.insert(at, p);
        }
        for (name, value) in sorted {
            crate::form::push(&mut key, "param", name);
            crate::form::push(&mut key, "value", value);
        }
        // A session made by a configuration open to every tenant is not one for a
        // configuration that allows only some.
        for t in &self.tenants {
            crate::form::push(&mut key, "tenant", t);
        }
        // A DPoP session's tokens are useless as Bearer tokens and the other way round; its
        // key pair is kept under this key too.
        if self.dpop {
            crate::form::push(&mut key, "dpop", "1");
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::native::json;

    fn cfg(text: &str) -> Result<Config> {
        Config::from_json(&json(text)).map(ValidConfig::into_inner)
    }

    /// A JSON view that records which top-level members are read.
    struct Spy(
        serde_json::Value,
        std::rc::Rc<std::cell::RefCell<Vec<String>>>,
        bool,
    );

    impl Json for Spy {
        fn parse(_: &str) -> Option<Self> {
            None
        }
        fn get(&self, key: &str) -> Option<Self> {
            if self.2 {
                self.1.borrow_mut().push(key.into());
            }
            self.0
                .get(key)
                .map(|v| Spy(v.clone(), self.1.clone(), false))
        }
        fn is_object(&self) -> bool {
            self.0.is_object()
        }
        fn is_null(&self) -> bool {
            self.0.is_null()
        }
        fn as_string(&self) -> Option<String> {
            self.0.as_str().map(Into::into)
        }
        fn as_f64(&self) -> Option<f64> {
            self.0.as_f64()
        }
        fn as_bool(&self) -> Option<bool> {
            self.0.as_bool()
        }
        fn entries(&self) -> Option<Vec<(String, Self)>> {
            let o = self.0.as_object()?;
            let child = |v: &serde_json::Value| Spy(v.clone(), self.1.clone(), false);
            Some(o.iter().map(|(k, v)| (k.clone(), child(v))).collect())
        }
        fn elements(&self) -> Option<Vec<Self>> {
            let a = self.0.as_array()?;
            Some(
                a.iter()
                    .map(|v| Spy(v.clone(), self.1.clone(), false))
                    .collect(),
            )
        }
    }

    #[test]
    fn members_are_exactly_what_from_json_reads() {
        let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let full = json(
            r#"{"clientId":"c","redirectUri":"https://app.example/cb","issuer":"https://id.example",
               "scope":"openid","audience":"a","resource":"https://api.example","extraParams":{"x":"1"},
               "tokenStorage":"local","httpTimeoutMs":5000,"responseMode":"fragment","clockSkewSeconds":5,
               "clientSecret":"not-a-secret"}"#,
        );
        Config::from_json(&Spy(full, seen.clone(), true)).unwrap();
        let mut read = seen.borrow().clone();
        read.sort();
        read.dedup();
        let mut members = MEMBERS.to_vec();
        members.sort();
        assert_eq!(read, members);
    }

    #[test]
    fn the_package_entry_fingerprints_the_same_members() {
        let entry = include_str!("../pkg-template/index.js");
        let line = entry
            .lines()
            .find(|l| l.starts_with("const MEMBERS = ["))
            .expect("index.js declares MEMBERS on one line");
        let listed: Vec<&str> = line
            .trim_start_matches("const MEMBERS = [")
            .trim_end_matches("];")
            .split(',')
            .map(|m| m.trim().trim_matches('"'))
            .collect();
        assert_eq!(listed, MEMBERS);
    }

    fn err(text: &str) -> &'static str {
        match cfg(text) {
            Err(Error {
                code: Code::InvalidConfig,
                description: crate::error::Text::Fixed(d),
                ..
            }) => d,
            other => panic!("expected invalid_config for {text}, got {other:?}"),
        }
    }

    const MIN: &str =
        r#""clientId":"spa","redirectUri":"https://app.example/cb","issuer":"https://id.example""#;

    #[test]
    fn session_timing_options_are_checked() {
        let c = cfg(&format!(
            r#"{{{MIN},"idleTimeoutSeconds":900,"idleWarningSeconds":120,"expiringNoticeSeconds":300}}"#
        ))
        .unwrap();
        assert_eq!(
            (
                c.idle_timeout_secs,
                c.idle_warning_secs,
                c.expiring_notice_secs
            ),
            (Some(900), 120, 300)
        );
        let plain = cfg(&format!("{{{MIN}}}")).unwrap();
        assert_eq!(
            (plain.idle_timeout_secs, plain.idle_warning_secs),
            (None, 60)
        );
        assert_eq!(plain.expiring_notice_secs, 60);
        for extra in [
            r#""idleTimeoutSeconds":5"#,
            r#""idleTimeoutSeconds":900.5"#,
            r#""idleTimeoutSeconds":"900""#,
            r#""idleTimeoutSeconds":9999999"#,
            r#""idleTimeoutSeconds":60,"idleWarningSeconds":60"#,
            r#""expiringNoticeSeconds":-1"#,
            r#""expiringNoticeSeconds":86401"#,
        ] {
            assert!(
                err(&format!("{{{MIN},{extra}}}")).contains("Seconds"),
                "{extra}"
            );
        }
    }

    /// `idleLogout`: logout's options, with logout's checks, for the idle logout.
    #[test]
    fn idle_logout_takes_logouts_options() {
        let c = cfg(&format!(
            r#"{{{MIN},"idleTimeoutSeconds":900,"idleLogout":{{"postLogoutRedirectUri":"https://app.example/bye","revoke":false}}}}"#
        ))
        .unwrap();
        assert_eq!(
            c.idle_logout.post_logout_redirect_uri.as_deref(),
            Some("https://app.example/bye")
        );
        assert!(!c.idle_logout.revoke);
        let plain = cfg(&format!(r#"{{{MIN},"idleLogout":null}}"#)).unwrap();
        assert_eq!(plain.idle_logout, crate::logout::LogoutOptions::default());
        for bad in ["5", r#""https://app.example/bye""#, "[]"] {
            assert!(
                err(&format!(r#"{{{MIN},"idleLogout":{bad}}}"#)).starts_with("idleLogout must be"),
                "{bad}"
            );
        }
        assert!(err(&format!(
            r#"{{{MIN},"idleLogout":{{"postLogoutRedirectUri":"javascript:alert(1)"}}}}"#
        ))
        .starts_with("postLogoutRedirectUri must be"));
        let owned = cfg(&format!(
            r#"{{{MIN},"idleLogout":{{"extraParams":{{"state":"x"}}}}}}"#
        ))
        .unwrap_err();
        assert_eq!(owned.code, Code::InvalidConfig);
        assert!(owned.description.as_str().contains("state"));
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = cfg(&format!("{{{MIN}}}")).unwrap();
        assert_eq!(c.client_id, "spa");
        assert_eq!(c.scope, "openid");
        assert_eq!(c.token_storage, TokenStorage::Session);
        assert_eq!(c.http_timeout_ms, 10_000);
        assert_eq!(c.response_mode, ResponseMode::Query);
        assert_eq!(c.clock_skew_seconds, 60);
        assert!(c.authorization_endpoint.is_none());
        assert!(c.extra_params.is_empty());
    }

    #[test]
    fn explicit_endpoints_need_no_discovery() {
        let c = cfg(r#"{"clientId":"spa","redirectUri":"http://localhost:5173/cb",
            "authorizationEndpoint":"https://id.example/authorize?tenant=a","tokenEndpoint":"https://id.example/token",
            "scope":"profile offline_access","tokenStorage":"local","extraParams":{"ui_locales":"de","skip":null},
            "audience":"https://api.example","resource":"https://api.example/","httpTimeoutMs":2500}"#)
        .unwrap();
        assert!(c.token_endpoint.is_some());
        assert_eq!(c.token_storage, TokenStorage::Local);
        assert_eq!(
            c.extra_params,
            vec![("ui_locales".to_string(), "de".to_string())]
        );
        assert_eq!(c.http_timeout_ms, 2500);
    }

    #[test]
    fn openid_needs_an_issuer_and_is_the_default_only_with_one() {
        // Endpoints only: plain OAuth, no scope parameter unless one is given.
        let plain = r#""clientId":"spa","redirectUri":"https://app.example/cb",
            "authorizationEndpoint":"https://id.example/a","tokenEndpoint":"https://id.example/t""#;
        assert_eq!(cfg(&format!("{{{plain}}}")).unwrap().scope, "");
        assert_eq!(
            cfg(&format!(r#"{{{plain},"scope":"api"}}"#)).unwrap().scope,
            "api"
        );
        assert!(err(&format!(r#"{{{plain},"scope":"api openid"}}"#))
            .starts_with("scope openid needs issuer"));
        // Endpoints with an issuer: the ID token can be checked.
        let both = cfg(&format!(r#"{{{plain},"issuer":"https://id.example"}}"#)).unwrap();
        assert_eq!(both.scope, "openid");
    }

    #[test]
    fn a_session_is_per_client_server_scope_audience_and_resource() {
        let key = |extra: &str| cfg(&format!("{{{MIN}{extra}}}")).unwrap().session_key();
        let base = key(r#","scope":"openid api.read""#);
        assert_eq!(
            base,
            "spa-oauth:session?client=spa&server=https%3A%2F%2Fid.example&scope=api.read+openid"
        );
        // The same set of scopes, in any order, is one session.
        assert_eq!(key(r#","scope":"api.read openid""#), base);
        // What changes the token's audience or scope is another session.
        for other in [
            r#","scope":"openid api.write""#,
            r#","scope":"openid""#,
            r#","scope":"openid api.read","audience":"https://api.example""#,
            r#","scope":"openid api.read","resource":"https://api.example/""#,
            r#","scope":"openid api.read","clientId":"other""#,
            r#","scope":"openid api.read","issuer":"https://other.example""#,
        ] {
            assert_ne!(key(other), base, "{other}");
        }
        assert_ne!(
            key(r#","scope":"openid","audience":"https://a.example""#),
            key(r#","scope":"openid","resource":"https://a.example""#),
        );
        // What does not change the tokens keeps the session.
        assert_eq!(
            key(r#","scope":"openid api.read","httpTimeoutMs":500,"tokenStorage":"local""#),
            base
        );
    }

    /// L10: a step-up configuration (another authentication asked for, or another B2C
    /// policy) is another session; before, it was answered with the base login's tokens.
    #[test]
    fn a_step_up_or_another_policy_is_another_session() {
        let key = |extra: &str| cfg(&format!("{{{MIN}{extra}}}")).unwrap().session_key();
        let base = key("");
        let step_up = key(r#","extraParams":{"acr_values":"mfa","claims":"{}"}"#);
        for other in [
            step_up.clone(),
            key(r#","extraParams":{"acr_values":"phr"}"#),
            key(
                r#","metadataUrl":"https://id.example/v2.0/.well-known/openid-configuration?p=B2C_1_mfa""#,
            ),
        ] {
            assert_ne!(other, base);
        }
        assert_ne!(
            key(r#","metadataUrl":"https://id.example/m?p=B2C_1_a""#),
            key(r#","metadataUrl":"https://id.example/m?p=B2C_1_b""#)
        );
        // The same parameters in another order: the same session.
        assert_eq!(
            key(r#","extraParams":{"claims":"{}","acr_values":"mfa"}"#),
            step_up
        );
    }

    #[test]
    fn extra_params_may_not_set_a_parameter_spa_oauth_owns() {
        for name in OWNED_PARAMS {
            let e = cfg(&format!(r#"{{{MIN},"extraParams":{{"{name}":"x"}}}}"#)).unwrap_err();
            assert_eq!(e.code, Code::InvalidConfig, "{name}");
            assert!(
                e.description
                    .as_str()
                    .starts_with(&format!("extraParams may not set {name}:")),
                "{}",
                e.description.as_str()
            );
        }
        // The ones found in the wild that led here.
        for name in ["max_age", "response_mode", "request_uri"] {
            assert!(cfg(&format!(r#"{{{MIN},"extraParams":{{"{name}":"0"}}}}"#)).is_err());
        }
        // Parameters spa-oauth does not own pass, and names are case-sensitive (RFC 6749 3.1).
        let c = cfg(&format!(
            r#"{{{MIN},"extraParams":{{"ui_locales":"de","acr_values":"1","STATE":"x"}}}}"#
        ))
        .unwrap();
        assert_eq!(c.extra_params.len(), 3);
        let mut rust = Config {
            issuer: Some("https://id.example".into()),
            ..Config::new("spa", "https://app.example/cb")
        };
        rust.extra_params = vec![("max_age".into(), "0".into())];
        assert_eq!(rust.validated().unwrap_err().code, Code::InvalidConfig);
    }

    #[test]
    fn response_mode_and_clock_skew() {
        let c = cfg(&format!(
            r#"{{{MIN},"responseMode":"fragment","clockSkewSeconds":0}}"#
        ))
        .unwrap();
        assert_eq!(c.response_mode, ResponseMode::Fragment);
        assert_eq!(c.clock_skew_seconds, 0);
        assert!(
            err(&format!(r#"{{{MIN},"responseMode":"form_post"}}"#)).starts_with("responseMode")
        );
        assert!(err(&format!(r#"{{{MIN},"clockSkewSeconds":-1}}"#)).starts_with("clockSkewSeconds"));
        assert!(
            err(&format!(r#"{{{MIN},"clockSkewSeconds":0.5}}"#)).starts_with("clockSkewSeconds")
        );
        assert!(
            err(&format!(r#"{{{MIN},"clockSkewSeconds":"60"}}"#)).starts_with("clockSkewSeconds")
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        assert!(err("[]").contains("object"));
        assert!(
            err(r#"{"redirectUri":"https://a.example/cb","issuer":"https://id.example"}"#)
                .starts_with("clientId")
        );
        assert!(err(
            r#"{"clientId":"","redirectUri":"https://a.example/cb","issuer":"https://id.example"}"#
        )
        .starts_with("clientId"));
        assert!(err(
            r#"{"clientId":7,"redirectUri":"https://a.example/cb","issuer":"https://id.example"}"#
        )
        .starts_with("clientId"));
        assert!(
            err(r#"{"clientId":"spa","issuer":"https://id.example"}"#).starts_with("redirectUri")
        );
        assert!(
            err(r#"{"clientId":"spa","redirectUri":"/cb","issuer":"https://id.example"}"#)
                .starts_with("redirectUri")
        );
        assert!(err(r#"{"clientId":"spa","redirectUri":"http://app.example/cb","issuer":"https://id.example"}"#).starts_with("redirectUri"));
        assert!(err(r#"{"clientId":"spa","redirectUri":"https://app.example/cb#x","issuer":"https://id.example"}"#).starts_with("redirectUri"));
        assert!(
            err(r#"{"clientId":"spa","redirectUri":"https://app.example/cb"}"#)
                .starts_with("Give issuer")
        );
        assert!(err(r#"{"clientId":"spa","redirectUri":"https://app.example/cb","tokenEndpoint":"https://id.example/t"}"#).starts_with("Give issuer"));
        assert!(err(r#"{"clientId":"spa","redirectUri":"https://app.example/cb","issuer":"http://id.example"}"#).starts_with("issuer"));
        assert!(err(r#"{"clientId":"spa","redirectUri":"https://app.example/cb","issuer":"https://id.example?x=1"}"#).starts_with("issuer"));
        assert!(err(r#"{"clientId":"spa","redirectUri":"https://app.example/cb","issuer":"https://id.example","tokenEndpoint":"http://id.example/t"}"#).starts_with("authorizationEndpoint and tokenEndpoint"));
        assert!(err(&format!(r#"{{{MIN},"scope":""}}"#)).starts_with("scope"));
        assert!(err(&format!(r#"{{{MIN},"scope":"openid  profile"}}"#)).starts_with("scope"));
        assert!(err(&format!(r#"{{{MIN},"scope":"openid\"x"}}"#)).starts_with("scope"));
        assert!(err(&format!(r#"{{{MIN},"scope":["openid"]}}"#)).starts_with("scope"));
        assert!(err(&format!(r#"{{{MIN},"tokenStorage":"cookie"}}"#)).starts_with("tokenStorage"));
        assert!(err(&format!(r#"{{{MIN},"extraParams":{{"a":1}}}}"#)).starts_with("extraParams"));
        assert!(err(&format!(r#"{{{MIN},"extraParams":"a=1"}}"#)).starts_with("extraParams"));
        assert!(err(&format!(r#"{{{MIN},"resource":"api"}}"#)).starts_with("resource"));
        assert!(
            err(&format!(r#"{{{MIN},"resource":"https://api.example/#x"}}"#))
                .starts_with("resource")
        );
        assert!(err(&format!(r#"{{{MIN},"httpTimeoutMs":0}}"#)).starts_with("httpTimeoutMs"));
        assert!(err(&format!(r#"{{{MIN},"httpTimeoutMs":1.5}}"#)).starts_with("httpTimeoutMs"));
        assert!(err(&format!(r#"{{{MIN},"httpTimeoutMs":"10"}}"#)).starts_with("httpTimeoutMs"));
    }

    #[test]
    fn metadata_url_issuer_template_and_tenants() {
        const ENTRA: &str = r#""clientId":"spa","redirectUri":"https://app.example/","issuer":"https://login.microsoftonline.com/organizations/v2.0""#;
        const T: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
        const A: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
        let c = cfg(&format!(
            r#"{{{ENTRA},"issuerTemplate":"{T}","tenants":["{A}"]}}"#
        ))
        .unwrap();
        assert_eq!(c.issuer_template.as_deref(), Some(T));
        assert_eq!(c.tenants, vec![A.to_string()]);
        let b2c = cfg(&format!(
            r#"{{{MIN},"metadataUrl":"https://t.b2clogin.com/t.onmicrosoft.com/v2.0/.well-known/openid-configuration?p=B2C_1_signin"}}"#
        ))
        .unwrap();
        assert!(b2c.metadata_url.unwrap().ends_with("?p=B2C_1_signin"));
        // Each needs what it refines, and is checked.
        for (bad, starts) in [
            (r#""metadataUrl":"http://id.example/m""#, "metadataUrl must"),
            (
                r#""metadataUrl":"https://id.example/m#x""#,
                "metadataUrl must",
            ),
            (r#""metadataUrl":7"#, "metadataUrl must"),
            (
                r#""issuerTemplate":"https://id.example""#,
                "issuerTemplate must",
            ),
            (
                r#""issuerTemplate":"https://id.example/{tenantid}/{tenantid}""#,
                "issuerTemplate must",
            ),
            (
                r#""issuerTemplate":"http://id.example/{tenantid}""#,
                "issuerTemplate must",
            ),
            (
                r#""issuerTemplate":"https://id.example/{tenantid}?x=1""#,
                "issuerTemplate must",
            ),
            (
                r#""issuerTemplate":"https://id.example/{tenantid}#x""#,
                "issuerTemplate must",
            ),
            (r#""issuerTemplate":"{tenantid}""#, "issuerTemplate must"),
            (r#""issuerTemplate":["x"]"#, "issuerTemplate must"),
            (
                r#""tenants":["9188040d-6c67-4c5b-b112-36a304b66dad"]"#,
                "tenants",
            ),
            (
                r#""issuerTemplate":"https://id.example/{tenantid}","tenants":[]"#,
                "tenants",
            ),
            (
                r#""issuerTemplate":"https://id.example/{tenantid}","tenants":["common"]"#,
                "tenants",
            ),
            (
                r#""issuerTemplate":"https://id.example/{tenantid}","tenants":"9188040d-6c67-4c5b-b112-36a304b66dad""#,
                "tenants",
            ),
            (
                r#""issuerTemplate":"https://id.example/{tenantid}","tenants":[7]"#,
                "tenants",
            ),
        ] {
            assert!(
                err(&format!(r#"{{{MIN},{bad}}}"#)).starts_with(starts),
                "{bad}"
            );
        }
        let plain = r#""clientId":"spa","redirectUri":"https://app.example/","authorizationEndpoint":"https://id.example/a","tokenEndpoint":"https://id.example/t""#;
        for extra in [
            r#""metadataUrl":"https://id.example/m""#,
            r#""issuerTemplate":"https://id.example/{tenantid}""#,
        ] {
            assert!(
                err(&format!("{{{plain},{extra}}}")).ends_with("need issuer."),
                "{extra}"
            );
        }
        // The template and the tenants are part of the session: a configuration that allows
        // one tenant never reads a session made by one that allows any.
        let key = |extra: &str| cfg(&format!("{{{ENTRA}{extra}}}")).unwrap().session_key();
        let any = key(&format!(r#","issuerTemplate":"{T}""#));
        let one = key(&format!(r#","issuerTemplate":"{T}","tenants":["{A}"]"#));
        assert_ne!(any, one);
        assert_ne!(any, key(""));
        // The metadata location is part of the session too: with Azure AD B2C, one `iss`
        // serves every policy, and the policy is in the metadata URL (review round 2, L10).
        assert_ne!(
            cfg(&format!(
                r#"{{{MIN},"metadataUrl":"https://id.example/m"}}"#
            ))
            .unwrap()
            .session_key(),
            cfg(&format!("{{{MIN}}}")).unwrap().session_key()
        );
    }
}
