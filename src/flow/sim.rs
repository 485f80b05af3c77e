//! The flows' native platform for `cargo test`: browser tabs that share a localStorage, a
//! virtual clock, and an in-process authorization server that does what a real one does
//! (discovery, PKCE, single-use codes, ES256-signed ID tokens, refresh-token rotation with
//! reuse detection, revocation, userinfo), in the spirit of quinn-proto's `Pair` and
//! rustls's `do_handshake`: both ends in one process, every step observable. Nothing in the
//! flows is mocked: they are the same functions the browser runs.

// Test-only, also declared so in flow/mod.rs: its `expect`s are on the simulation's own
// data (its fixed keys, the URLs the flows under test build), never on a user's input.
#![cfg(all(test, not(target_arch = "wasm32")))]

use super::{FlowState, Platform, Response, Store};
use crate::b64url;
use crate::error::{Code, Error, Result};
use crate::form::{self, Pairs};
use crate::jwks::Jwk;
use crate::jws::Alg;
use crate::login_window::{Answer, Shown, Window};
use crate::session_event::SessionEventKind;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

pub(crate) const ISSUER: &str = "https://id.example";
pub(crate) const CLIENT: &str = "spa";
pub(crate) const APP: &str = "https://app.example/cb";
/// The virtual clock's start (seconds since the epoch).
pub(crate) const T0: u64 = 1_800_000_000;

/// Runs a future to completion on this thread. Every simulated request answers at once; what
/// waits (a lock another tab holds, a flight another caller runs) is polled again until the
/// other side has moved. A future that can never finish fails the test instead of hanging.
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..100_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("the flow never finished: a deadlock in the simulation");
}

/// One request the server received.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub path: String,
    pub params: BTreeMap<String, String>,
    /// How many requests were in flight (this one included) when it reached the server.
    pub in_flight: usize,
}

/// A grant: what a code or refresh token stands for.
#[derive(Clone)]
struct Grant {
    sub: String,
    scope: String,
    nonce: Option<String>,
    revoked: bool,
    /// When its code was redeemed: the server's session started (`session_max`).
    started: u64,
}

/// The authorization server.
pub(crate) struct Server {
    key: SigningKey,
    next: u64,
    /// code -> (grant id, PKCE challenge, redirect URI)
    codes: BTreeMap<String, (usize, String, String)>,
    grants: Vec<Grant>,
    /// refresh token -> (grant id, already used)
    refresh_tokens: BTreeMap<String, (usize, bool)>,
    access_tokens: BTreeMap<String, usize>,
    pub seen: Vec<Seen>,
    /// Answers the next request to this path with this status and body instead.
    pub fail: BTreeMap<String, (u16, String)>,
    /// The `Retry-After` header of the next `fail` answer.
    pub retry_after: Option<String>,
    /// Whether its answers carry a `Date` header the page can read (CORS exposes it).
    pub sends_date: bool,
    /// The server's (true) time of the request being handled.
    clock: u64,
    /// Unreachable: every request is a network error.
    pub down: bool,
    /// Every request sent, answered or not (`down`).
    pub attempts: usize,
    /// A login's ID token carries another login's nonce (a replayed token).
    pub wrong_nonce: bool,
    /// A refresh answer's ID token names this user instead (a server gone wrong, or not
    /// the server: OIDC Core 12.2 requires the same `sub`).
    pub refreshed_sub: Option<String>,
    /// Requests sent and not answered yet.
    in_flight: usize,
    /// Access token lifetime (seconds).
    pub ttl: u64,
    /// Whether code grants get a refresh token.
    pub issue_refresh_tokens: bool,
    /// Whether refresh tokens are rotated (a new one in each refresh answer).
    pub rotate: bool,
    /// The server's session lasts this long from the login, and its token answers say how
    /// much is left under this member (`refresh_expires_in`: Keycloak;
    /// `refresh_token_expires_in`: Entra ID); a refresh after it is `invalid_grant`.
    pub session_max: Option<(&'static str, u64)>,
    /// Pushed authorization requests (RFC 9126): request_uri -> the pushed parameters.
    pushed: BTreeMap<String, String>,
    /// Whether the metadata says `require_pushed_authorization_requests` (and the
    /// authorization endpoint refuses anything else).
    pub require_par: bool,
    /// Whether the user has a session at the server (its cookie): `prompt=none` gets a
    /// code only then, `login_required` otherwise.
    pub signed_in: bool,
    /// DPoP (RFC 9449): the nonce the server demands in proofs, when it demands one (at the
    /// token endpoint and at userinfo).
    pub dpop_nonce: Option<String>,
    /// code -> the `dpop_jkt` of its authorization request.
    code_jkt: BTreeMap<String, String>,
    /// access or refresh token -> the thumbprint of the key it is bound to.
    bound: BTreeMap<String, String>,
}

impl Server {
    fn new() -> Server {
        Server {
            key: SigningKey::from_slice(&[7u8; 32]).expect("a valid P-256 scalar"),
            next: 0,
            codes: BTreeMap::new(),
            grants: Vec::new(),
            refresh_tokens: BTreeMap::new(),
            access_tokens: BTreeMap::new(),
            seen: Vec::new(),
            fail: BTreeMap::new(),
            down: false,
            attempts: 0,
            wrong_nonce: false,
            refreshed_sub: None,
            in_flight: 0,
            ttl: 3600,
            issue_refresh_tokens: true,
            rotate: true,
            session_max: None,
            retry_after: None,
            sends_date: false,
            clock: 0,
            pushed: BTreeMap::new(),
            require_par: false,
            signed_in: true,
            dpop_nonce: None,
            code_jkt: BTreeMap::new(),
            bound: BTreeMap::new(),
        }
    }

    fn token(&mut self, kind: &str) -> String {
        self.next += 1;
        let mut t = String::from(kind);
        t.push('-');
        t.push_str(&self.next.to_string());
        t
    }

    /// The requests to `path`.
    pub(crate) fn requests(&self, path: &str) -> Vec<Seen> {
        self.seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    /// The user logs in at the authorization endpoint: the server checks the request and
    /// answers with the redirect to the app (code, state, iss).
    pub(crate) fn authorize(&mut self, url: &str) -> String {
        let (base, query) = url.split_once('?').expect("a query");
        assert_eq!(base, "https://id.example/authorize");
        let mut p = Pairs::parse(query).expect("a valid query");
        // A pushed request: the URL has client_id and request_uri, nothing else (RFC 9126
        // 4), and a request_uri is used once.
        let pushed;
        if let Some(uri) = p.take("request_uri") {
            assert_eq!(p.take("client_id").as_deref(), Some(CLIENT));
            assert!(
                p.take("state").is_none() && p.take("scope").is_none(),
                "{url}"
            );
            pushed = self
                .pushed
                .remove(&uri)
                .expect("a request_uri pushed and not used");
            p = Pairs::parse(&pushed).expect("pushed parameters");
        } else {
            assert!(!self.require_par, "the server requires pushed requests");
        }
        assert_eq!(p.take("response_type").as_deref(), Some("code"));
        assert_eq!(p.take("client_id").as_deref(), Some(CLIENT));
        assert_eq!(p.take("code_challenge_method").as_deref(), Some("S256"));
        let redirect = p.take("redirect_uri").expect("redirect_uri");
        let challenge = p.take("code_challenge").expect("code_challenge");
        let state = p.take("state").expect("state");
        let jkt = p.take("dpop_jkt");
        if p.get("prompt") == Some("none") && !self.signed_in {
            let mut back = redirect;
            back.push('?');
            form::push(&mut back, "error", "login_required");
            form::push(&mut back, "state", &state);
            form::push(&mut back, "iss", ISSUER);
            return back;
        }
        self.grants.push(Grant {
            sub: "alice".into(),
            scope: p.take("scope").unwrap_or_default(),
            nonce: p.take("nonce"),
            revoked: false,
            started: 0,
        });
        let code = self.token("code");
        if let Some(jkt) = jkt {
            self.code_jkt.insert(code.clone(), jkt);
        }
        self.codes.insert(
            code.clone(),
            (self.grants.len() - 1, challenge, redirect.clone()),
        );
        let mut back = redirect;
        back.push('?');
        form::push(&mut back, "code", &code);
        form::push(&mut back, "state", &state);
        form::push(&mut back, "iss", ISSUER);
        back
    }

    fn id_token(&self, grant: &Grant, now: u64, nonce: bool) -> String {
        let header = b64url::encode(br#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#);
        let mut claims = json!({
            "iss": ISSUER, "sub": grant.sub, "aud": CLIENT, "iat": now, "exp": now + 600,
            "email": "alice@example.test",
        });
        if let (true, Some(n)) = (nonce, &grant.nonce) {
            claims["nonce"] = json!(if self.wrong_nonce {
                "replayed"
            } else {
                n.as_str()
            });
        }
        let payload = b64url::encode(claims.to_string().as_bytes());
        let input = format!("{header}.{payload}");
        let sig: Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", b64url::encode(&sig.to_bytes()))
    }

    fn tokens(&mut self, grant_id: usize, now: u64, first: bool) -> Value {
        let access = self.token("at");
        self.access_tokens.insert(access.clone(), grant_id);
        let grant = self.grants[grant_id].clone();
        let mut body = json!({
            "access_token": access, "token_type": "Bearer", "expires_in": self.ttl,
            "scope": grant.scope,
        });
        if self.issue_refresh_tokens && (first || self.rotate) {
            let rt = self.token("rt");
            self.refresh_tokens.insert(rt.clone(), (grant_id, false));
            body["refresh_token"] = json!(rt);
        }
        if grant.scope.split(' ').any(|s| s == "openid") {
            let mut grant = grant.clone();
            if let Some(sub) = self.refreshed_sub.clone().filter(|_| !first) {
                grant.sub = sub;
            }
            body["id_token"] = json!(self.id_token(&grant, now, first));
        }
        if let Some((member, max)) = self.session_max {
            // No token outlives the server's session (Keycloak caps the access token's).
            let left = (grant.started + max).saturating_sub(now);
            body[member] = json!(left);
            body["expires_in"] = json!(self.ttl.min(left));
        }
        body
    }

    fn error(status: u16, error: &str) -> Response {
        Response {
            status,
            body: json!({ "error": error }).to_string(),
            dpop_nonce: None,
            www_authenticate: None,
            retry_after: None,
            date: None,
        }
    }

    /// Checks a DPoP proof (RFC 9449 4.3) for a request of `htm` to `htu`: its header, its
    /// signature by the key in it, what it names, the nonce when one is demanded, and `ath`
    /// when a token goes with it. The key's thumbprint, or the error to answer.
    pub(crate) fn check_proof(
        &self,
        proof: &str,
        htm: &str,
        htu: &str,
        token: Option<&str>,
    ) -> std::result::Result<String, &'static str> {
        let parts: Vec<&str> = proof.split('.').collect();
        let [h, c, s] = parts[..] else {
            return Err("invalid_dpop_proof");
        };
        let json = |p: &str| -> Option<Value> { serde_json::from_slice(&b64url::decode(p)?).ok() };
        let (Some(header), Some(claims)) = (json(h), json(c)) else {
            return Err("invalid_dpop_proof");
        };
        if header["typ"] != "dpop+jwt"
            || header["alg"] != "ES256"
            || header["jwk"].get("d").is_some()
        {
            return Err("invalid_dpop_proof");
        }
        let coord = |n: &str| b64url::decode(header["jwk"][n].as_str().unwrap_or(""));
        let (Some(x), Some(y)) = (coord("x"), coord("y")) else {
            return Err("invalid_dpop_proof");
        };
        let (Ok(x), Ok(y)) = (<[u8; 32]>::try_from(x), <[u8; 32]>::try_from(y)) else {
            return Err("invalid_dpop_proof");
        };
        let point = p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
        let key = VerifyingKey::from_encoded_point(&point).map_err(|_| "invalid_dpop_proof")?;
        let sig = b64url::decode(s)
            .and_then(|s| Signature::from_slice(&s).ok())
            .ok_or("invalid_dpop_proof")?;
        key.verify(format!("{h}.{c}").as_bytes(), &sig)
            .map_err(|_| "invalid_dpop_proof")?;
        if claims["htm"] != htm || claims["htu"] != htu || claims["jti"].as_str().is_none() {
            return Err("invalid_dpop_proof");
        }
        if let Some(t) = token {
            if claims["ath"] != b64url::encode(&Sha256::digest(t.as_bytes())) {
                return Err("invalid_dpop_proof");
            }
        }
        if let Some(n) = &self.dpop_nonce {
            if claims["nonce"] != n.as_str() {
                return Err("use_dpop_nonce");
            }
        }
        // RFC 9449 11.1: a proof made at another time than now (oidc-provider allows
        // about a minute either way) is refused.
        let iat = claims["iat"].as_u64().unwrap_or_default();
        if self.clock > 0 && iat.abs_diff(self.clock) > 60 {
            return Err("invalid_dpop_proof");
        }
        let jwk = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            b64url::encode(&x),
            b64url::encode(&y)
        );
        Ok(b64url::encode(&Sha256::digest(jwk.as_bytes())))
    }

    /// A resource server's check of a request with an access token (RFC 6750, RFC 9449 7):
    /// a Bearer token as `Bearer`; a DPoP-bound token as `DPoP` with a proof by its key, for
    /// this request and this token. The grant, or the 401 to answer.
    #[allow(clippy::result_large_err)] // the simulation's: a refusal is the answer itself
    pub(crate) fn check_resource_request(
        &self,
        scheme: &str,
        token: &str,
        proof: Option<&str>,
        htm: &str,
        url: &str,
    ) -> std::result::Result<usize, Response> {
        let refuse = |scheme: &str, error: &str| Response {
            status: 401,
            body: String::new(),
            dpop_nonce: self.dpop_nonce.clone(),
            www_authenticate: Some(format!(r#"{scheme} error="{error}""#)),
            retry_after: None,
            date: None,
        };
        let Some(&g) = self
            .access_tokens
            .get(token)
            .filter(|&&g| !self.grants[g].revoked)
        else {
            return Err(refuse("Bearer", "invalid_token"));
        };
        match (self.bound.get(token), scheme) {
            (None, "Bearer") => Ok(g),
            (Some(jkt), "DPoP") => {
                match proof.map(|p| self.check_proof(p, htm, url, Some(token))) {
                    Some(Ok(k)) if &k == jkt => Ok(g),
                    Some(Err("use_dpop_nonce")) => Err(refuse("DPoP", "use_dpop_nonce")),
                    _ => Err(refuse("DPoP", "invalid_dpop_proof")),
                }
            }
            _ => Err(refuse("DPoP", "invalid_token")),
        }
    }

    /// The token endpoint's answer to a bad proof.
    fn proof_refused(&self, error: &str) -> Response {
        Response {
            dpop_nonce: self.dpop_nonce.clone(),
            ..Self::error(400, error)
        }
    }

    /// Binds the tokens of `body` to `jkt` and makes them DPoP tokens (RFC 9449 5).
    fn bind(&mut self, body: &mut Value, jkt: Option<String>) {
        let Some(jkt) = jkt else { return };
        body["token_type"] = json!("DPoP");
        for t in ["access_token", "refresh_token"] {
            if let Some(v) = body[t].as_str() {
                self.bound.insert(v.to_string(), jkt.clone());
            }
        }
    }

    fn handle(
        &mut self,
        url: &str,
        body: Option<&str>,
        authorization: Option<&str>,
        dpop: Option<&str>,
        now: u64,
    ) -> Result<Response> {
        self.attempts += 1;
        self.clock = now;
        if self.down {
            return Err(Error::code(Code::NetworkError));
        }
        let path = url.strip_prefix(ISSUER).unwrap_or(url).to_string();
        if path == "/par" && !self.down && !self.fail.contains_key(&path) {
            let uri = format!("urn:ietf:params:oauth:request_uri:{}", self.token("par"));
            let pushed = body.expect("a pushed request has a body").to_string();
            self.seen.push(Seen {
                path: path.clone(),
                params: BTreeMap::from([("body".to_string(), pushed.clone())]),
                in_flight: self.in_flight,
            });
            self.pushed.insert(uri.clone(), pushed);
            return Ok(Response {
                status: 201,
                body: json!({ "request_uri": uri, "expires_in": 60 }).to_string(),
                dpop_nonce: None,
                www_authenticate: None,
                retry_after: None,
                date: None,
            });
        }
        let mut params = BTreeMap::new();
        if let Some(b) = body {
            let mut p = Pairs::parse(b).expect("a form body");
            for name in [
                "grant_type",
                "code",
                "code_verifier",
                "redirect_uri",
                "client_id",
                "refresh_token",
                "scope",
                "token",
                "token_type_hint",
            ] {
                if let Some(v) = p.take(name) {
                    params.insert(name.to_string(), v);
                }
            }
        }
        self.seen.push(Seen {
            path: path.clone(),
            params: params.clone(),
            in_flight: self.in_flight,
        });
        if let Some((status, body)) = self.fail.remove(&path) {
            return Ok(Response {
                status,
                body,
                dpop_nonce: None,
                www_authenticate: None,
                retry_after: self.retry_after.take(),
                date: None,
            });
        }
        let nonce = self.dpop_nonce.clone();
        let ok = |v: Value| {
            Ok(Response {
                status: 200,
                body: v.to_string(),
                dpop_nonce: nonce.clone(),
                www_authenticate: None,
                retry_after: None,
                date: None,
            })
        };
        // A proof on a request to the token or revocation endpoint.
        let jkt = match (dpop, path.as_str()) {
            (Some(proof), "/token" | "/revoke") => {
                match self.check_proof(proof, "POST", url, None) {
                    Ok(jkt) => Some(jkt),
                    Err(e) => return Ok(self.proof_refused(e)),
                }
            }
            _ => None,
        };
        match path.as_str() {
            "/.well-known/openid-configuration" => ok(json!({
                "issuer": ISSUER,
                "authorization_endpoint": "https://id.example/authorize",
                "token_endpoint": "https://id.example/token",
                "userinfo_endpoint": "https://id.example/userinfo",
                "revocation_endpoint": "https://id.example/revoke",
                "end_session_endpoint": "https://id.example/logout",
                "jwks_uri": "https://id.example/jwks",
                "code_challenge_methods_supported": ["S256"],
                "authorization_response_iss_parameter_supported": true,
                "pushed_authorization_request_endpoint": "https://id.example/par",
                "require_pushed_authorization_requests": self.require_par,
            })),
            "/jwks" => {
                let point = VerifyingKey::from(&self.key).to_encoded_point(false);
                let (x, y) = (point.x().expect("x"), point.y().expect("y"));
                ok(json!({ "keys": [{
                    "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
                    "x": b64url::encode(x), "y": b64url::encode(y),
                }]}))
            }
            "/token" => match params.get("grant_type").map(String::as_str) {
                Some("authorization_code") => {
                    let code = params.get("code").cloned().unwrap_or_default();
                    // Single-use (RFC 6749 4.1.2).
                    let Some((grant_id, challenge, redirect)) = self.codes.remove(&code) else {
                        return Ok(Self::error(400, "invalid_grant"));
                    };
                    let verifier = params.get("code_verifier").cloned().unwrap_or_default();
                    let digest = b64url::encode(&Sha256::digest(verifier.as_bytes()));
                    if digest != challenge || params.get("redirect_uri") != Some(&redirect) {
                        return Ok(Self::error(400, "invalid_grant"));
                    }
                    // RFC 9449 10: a code bound to a key is redeemed with that key only.
                    if let Some(bound) = self.code_jkt.remove(&code) {
                        if jkt.as_ref() != Some(&bound) {
                            return Ok(Self::error(400, "invalid_grant"));
                        }
                    }
                    self.grants[grant_id].started = now;
                    let mut body = self.tokens(grant_id, now, true);
                    self.bind(&mut body, jkt);
                    ok(body)
                }
                Some("refresh_token") => {
                    let rt = params.get("refresh_token").cloned().unwrap_or_default();
                    let Some((grant_id, used)) = self.refresh_tokens.get(&rt).copied() else {
                        return Ok(Self::error(400, "invalid_grant"));
                    };
                    // A rotated-away refresh token used again: the grant is revoked (RFC
                    // 9700 4.14.2).
                    if used || self.grants[grant_id].revoked {
                        self.grants[grant_id].revoked = true;
                        return Ok(Self::error(400, "invalid_grant"));
                    }
                    let ended = self
                        .session_max
                        .is_some_and(|(_, max)| now >= self.grants[grant_id].started + max);
                    if ended {
                        return Ok(Self::error(400, "invalid_grant"));
                    }
                    // RFC 9449 5: a public client's refresh token is bound to its key.
                    if self.bound.get(&rt).is_some_and(|b| jkt.as_ref() != Some(b)) {
                        return Ok(Self::error(400, "invalid_grant"));
                    }
                    if self.rotate {
                        self.refresh_tokens.insert(rt, (grant_id, true));
                    }
                    let mut body = self.tokens(grant_id, now, false);
                    self.bind(&mut body, jkt);
                    ok(body)
                }
                _ => Ok(Self::error(400, "unsupported_grant_type")),
            },
            "/revoke" => {
                let token = params.get("token").cloned().unwrap_or_default();
                if let Some((grant_id, _)) = self.refresh_tokens.get(&token).copied() {
                    self.grants[grant_id].revoked = true;
                }
                ok(json!({}))
            }
            "/userinfo" => {
                let (scheme, token) = authorization
                    .and_then(|a| a.split_once(' '))
                    .unwrap_or(("", ""));
                match self.check_resource_request(scheme, token, dpop, "GET", url) {
                    Ok(g) => ok(
                        json!({ "sub": self.grants[g].sub, "email": "alice@example.test", "name": "Alice" }),
                    ),
                    Err(answer) => Ok(answer),
                }
            }
            _ => Ok(Response {
                status: 404,
                body: "not found".into(),
                dpop_nonce: None,
                www_authenticate: None,
                retry_after: None,
                date: None,
            }),
        }
    }
}

/// What the tabs share: the clock, localStorage, the server, the cross-tab lock.
pub(crate) struct World {
    pub clock: Cell<u64>,
    pub local: RefCell<BTreeMap<String, String>>,
    /// The app's storage adapter (`Store::Custom`), shared by the tabs; each operation
    /// takes a turn of the event loop, as a promise does.
    pub custom: RefCell<BTreeMap<String, String>>,
    pub server: RefCell<Server>,
    locked: Cell<bool>,
    /// The origin's IndexedDB of DPoP key pairs, shared by the tabs: each pair, whether it
    /// is still pending (no session took it), and when it was last made or taken.
    pub dpop_keys: RefCell<BTreeMap<String, (SigningKey, bool, u64)>>,
    made_keys: Cell<u8>,
    random: Cell<u32>,
    /// How far this browser's clock is off (seconds): the tabs' `now` is the true time plus
    /// this; the server keeps the true time.
    pub device_skew: Cell<i64>,
}

/// A timer: when it falls due (milliseconds on the virtual clock), and what it runs.
type Timer = (u64, std::pin::Pin<Box<dyn Future<Output = ()>>>);

/// One tab: its sessionStorage, address, listeners, timers and the flows' state.
pub(crate) struct Tab {
    state: FlowState,
    pub session: RefCell<BTreeMap<String, String>>,
    pub href: RefCell<String>,
    /// Every navigation (`assign`), in order.
    pub navigations: RefCell<Vec<String>>,
    /// Every session event reported to this tab's listeners.
    pub events: RefCell<Vec<(SessionEventKind, Store)>>,
    pub listening: Cell<bool>,
    /// Whether writes to this tab's storage areas throw (blocked storage, a full quota).
    pub storage_throws: Cell<bool>,
    /// Whether reads of this tab's storage areas throw (an adapter whose getItem fails).
    pub reads_throw: Cell<bool>,
    /// Every login shown in another window: the kind, and the URL.
    pub windows: RefCell<Vec<(Window, String)>>,
    /// How each login window was asked to be shown.
    pub shown: RefCell<Vec<Shown>>,
    /// How the next login window ends when not with the server's answer (closed, ...).
    pub window_fate: RefCell<Option<Answer>>,
    /// Every response this page handed over as a login window's redirect page.
    pub handed_over: RefCell<Vec<(String, String)>>,
    timers: RefCell<Vec<Timer>>,
}

/// A tab of the simulated browser, the flows' platform.
#[derive(Clone)]
pub(crate) struct Sim {
    pub world: Rc<World>,
    pub tab: Rc<Tab>,
}

impl Sim {
    /// A new browser with one tab, and its server.
    pub(crate) fn new() -> Sim {
        let world = Rc::new(World {
            clock: Cell::new(T0),
            local: RefCell::new(BTreeMap::new()),
            custom: RefCell::new(BTreeMap::new()),
            server: RefCell::new(Server::new()),
            locked: Cell::new(false),
            dpop_keys: RefCell::new(BTreeMap::new()),
            made_keys: Cell::new(20),
            random: Cell::new(0),
            device_skew: Cell::new(0),
        });
        Sim::tab_in(world)
    }

    fn tab_in(world: Rc<World>) -> Sim {
        Sim {
            world,
            tab: Rc::new(Tab {
                state: FlowState::new(),
                session: RefCell::new(BTreeMap::new()),
                href: RefCell::new("https://app.example/".into()),
                navigations: RefCell::new(Vec::new()),
                events: RefCell::new(Vec::new()),
                listening: Cell::new(false),
                storage_throws: Cell::new(false),
                reads_throw: Cell::new(false),
                windows: RefCell::new(Vec::new()),
                shown: RefCell::new(Vec::new()),
                window_fate: RefCell::new(None),
                handed_over: RefCell::new(Vec::new()),
                timers: RefCell::new(Vec::new()),
            }),
        }
    }

    /// The same tab after a reload: its sessionStorage and address stay, its page state
    /// (memory, flights, listeners, timers) is new.
    pub(crate) fn reload(&self) -> Sim {
        let next = Sim::tab_in(self.world.clone());
        *next.tab.session.borrow_mut() = self.tab.session.borrow().clone();
        *next.tab.href.borrow_mut() = self.tab.href.borrow().clone();
        next
    }

    /// The tab duplicated (or a window the browser opened with a copy of its
    /// sessionStorage): a new tab whose sessionStorage and address are copies of this one's.
    pub(crate) fn duplicate(&self) -> Sim {
        self.reload()
    }

    /// Another tab of the same browser (shared localStorage, server and clock).
    pub(crate) fn new_tab(&self) -> Sim {
        Sim::tab_in(self.world.clone())
    }

    /// Moves the clock on, firing the timers that fall due.
    pub(crate) fn advance(&self, secs: u64) {
        self.world.clock.set(self.world.clock.get() + secs);
        let now_ms = self.now() * 1000;
        let due: Vec<_> = {
            let mut timers = self.tab.timers.borrow_mut();
            let (due, later): (Vec<_>, Vec<_>) =
                timers.drain(..).partition(|(at, _)| *at <= now_ms);
            *timers = later;
            due
        };
        for (_, f) in due {
            block_on(f);
        }
    }

    pub(crate) fn server(&self) -> std::cell::RefMut<'_, Server> {
        self.world.server.borrow_mut()
    }

    /// How many DPoP key pairs the origin's IndexedDB holds.
    pub(crate) fn world_dpop_keys(&self) -> usize {
        self.world.dpop_keys.borrow().len()
    }

    /// Site data cleared: every DPoP key pair gone.
    pub(crate) fn clear_dpop_keys(&self) {
        self.world.dpop_keys.borrow_mut().clear();
    }

    pub(crate) fn events(&self) -> Vec<SessionEventKind> {
        self.tab.events.borrow().iter().map(|(k, _)| *k).collect()
    }

    fn area(&self, store: Store) -> &RefCell<BTreeMap<String, String>> {
        match store {
            Store::Local => &self.world.local,
            Store::Custom(_) => &self.world.custom,
            _ => &self.tab.session,
        }
    }

    /// Where `key` of `store` is kept in its area: the app's adapters share one map (the
    /// first adapter's keys as they are, another adapter's behind its handle), so a test
    /// sees adapter 1's keys as the app would.
    fn slot(store: Store, key: &str) -> String {
        match store {
            Store::Custom(a) if a.0 != 1 => format!("adapter {} {key}", a.0),
            _ => key.into(),
        }
    }

    /// An adapter's promise: settles after everything else that was ready has run.
    async fn adapter_turn(&self, store: Store) {
        if matches!(store, Store::Custom(_)) {
            let mut turned = false;
            poll_fn(|_| {
                if turned {
                    Poll::Ready(())
                } else {
                    turned = true;
                    Poll::Pending
                }
            })
            .await;
        }
    }
}

impl Platform for Sim {
    type Json = Value;

    fn state(&self) -> &FlowState {
        &self.tab.state
    }

    fn now(&self) -> u64 {
        self.world
            .clock
            .get()
            .saturating_add_signed(self.world.device_skew.get())
    }

    fn random(&self, buf: &mut [u8]) -> Result<()> {
        // Distinct, not secret: a simulation. Counted by the browser, not the tab: two tabs
        // never draw the same bytes (a login's key pair is named from them).
        let r = self.world.random.get().wrapping_add(1);
        self.world.random.set(r);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (r as u8).wrapping_mul(31).wrapping_add(i as u8);
        }
        for (b, c) in buf.iter_mut().zip(r.to_le_bytes()) {
            *b = c;
        }
        Ok(())
    }

    async fn get(&self, store: Store, key: &str) -> Result<Option<String>> {
        self.adapter_turn(store).await;
        if self.tab.reads_throw.get() {
            return Err(Error::code(Code::StorageUnavailable));
        }
        Ok(self
            .area(store)
            .borrow()
            .get(&Sim::slot(store, key))
            .cloned())
    }

    async fn set(&self, store: Store, key: &str, value: &str) -> Result<()> {
        self.adapter_turn(store).await;
        if self.tab.storage_throws.get() {
            return Err(Error::code(Code::StorageUnavailable));
        }
        self.area(store)
            .borrow_mut()
            .insert(Sim::slot(store, key), value.into());
        Ok(())
    }

    async fn remove(&self, store: Store, key: &str) -> Result<()> {
        self.adapter_turn(store).await;
        self.area(store).borrow_mut().remove(&Sim::slot(store, key));
        Ok(())
    }

    fn keys(&self, store: Store, prefix: &str) -> Result<Vec<String>> {
        Ok(self
            .area(store)
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }

    async fn send(
        &self,
        url: &str,
        body: Option<&str>,
        authorization: Option<&str>,
        dpop: Option<&str>,
        _timeout_ms: u32,
    ) -> Result<Response> {
        // The network: the request reaches the server only after everything else that was
        // ready has run (other tabs, other calls of this page), as in a browser.
        self.world.server.borrow_mut().in_flight += 1;
        let mut sent = false;
        poll_fn(|_| {
            if sent {
                Poll::Ready(())
            } else {
                sent = true;
                Poll::Pending
            }
        })
        .await;
        // The server's clock is the true one.
        let now = self.world.clock.get();
        let mut server = self.world.server.borrow_mut();
        let mut answer = server.handle(url, body, authorization, dpop, now);
        server.in_flight -= 1;
        if let (Ok(r), true) = (&mut answer, server.sends_date) {
            r.date = Some(http_date_of(now));
        }
        answer
    }

    async fn dpop_key(&self, name: &str, fresh: bool) -> Result<Option<(String, String)>> {
        let mut keys = self.world.dpop_keys.borrow_mut();
        if fresh {
            // A new scalar each time: [n; 32] is below P-256's order for any byte n < 0xff.
            let n = self.world.made_keys.get() + 1;
            self.world.made_keys.set(n);
            let key = SigningKey::from_slice(&[n; 32]).expect("a valid P-256 scalar");
            keys.insert(name.into(), (key, true, self.now()));
        }
        Ok(keys.get(name).map(|(k, _, _)| {
            let point = VerifyingKey::from(k).to_encoded_point(false);
            let coord = |c: Option<&p256::FieldBytes>| b64url::encode(c.expect("uncompressed"));
            (coord(point.x()), coord(point.y()))
        }))
    }

    async fn dpop_sign(&self, name: &str, input: &str) -> Result<Option<Vec<u8>>> {
        let keys = self.world.dpop_keys.borrow();
        Ok(keys.get(name).map(|(k, _, _)| {
            let sig: Signature = k.sign(input.as_bytes());
            sig.to_bytes().to_vec()
        }))
    }

    async fn dpop_forget(&self, name: &str) {
        self.world.dpop_keys.borrow_mut().remove(name);
    }

    async fn dpop_adopt(&self, name: &str) {
        let now = self.now();
        if let Some(k) = self.world.dpop_keys.borrow_mut().get_mut(name) {
            k.1 = false;
            k.2 = now;
        }
    }

    async fn dpop_sweep(&self, pending_before: u64, idle_before: u64) {
        self.world
            .dpop_keys
            .borrow_mut()
            .retain(|_, (_, pending, used)| {
                *used
                    >= if *pending {
                        pending_before
                    } else {
                        idle_before
                    }
            });
    }

    async fn sha256(&self, data: &[u8]) -> Result<[u8; 32]> {
        Ok(Sha256::digest(data).into())
    }

    async fn verify(
        &self,
        jwk: &Jwk,
        alg: Alg,
        signing_input: &str,
        signature: &[u8],
    ) -> Result<bool> {
        assert_eq!(alg, Alg::Es256, "the simulated server signs with ES256");
        let member = |n: &str| {
            jwk.members
                .iter()
                .find(|(k, _)| *k == n)
                .and_then(|(_, v)| b64url::decode(v))
        };
        let (Some(x), Some(y)) = (member("x"), member("y")) else {
            return Ok(false);
        };
        let mut point = vec![4u8];
        point.extend(x);
        point.extend(y);
        let (Ok(key), Ok(sig)) = (
            VerifyingKey::from_sec1_bytes(&point),
            Signature::from_slice(signature),
        ) else {
            return Ok(false);
        };
        Ok(key.verify(signing_input.as_bytes(), &sig).is_ok())
    }

    fn href(&self) -> Option<String> {
        Some(self.tab.href.borrow().clone())
    }

    fn assign(&self, url: &str) -> Result<()> {
        self.tab.navigations.borrow_mut().push(url.into());
        Ok(())
    }

    fn replace(&self, url: &str) {
        *self.tab.href.borrow_mut() = url.into();
    }

    async fn show_elsewhere(&self, url: &str, shown: &Shown, _state: &str) -> Answer {
        self.tab.shown.borrow_mut().push(*shown);
        self.tab
            .windows
            .borrow_mut()
            .push((shown.window, url.into()));
        if let Some(fate) = self.tab.window_fate.borrow_mut().take() {
            return fate;
        }
        // The user logs in (a popup), or the server answers from its session (an iframe).
        Answer::Response(self.world.server.borrow_mut().authorize(url))
    }

    fn hand_over(&self, state: &str, url: &str) {
        self.tab
            .handed_over
            .borrow_mut()
            .push((state.into(), url.into()));
    }

    fn emit(&self, _key: &str, kind: SessionEventKind, kept: Store) {
        self.tab.events.borrow_mut().push((kind, kept));
    }

    fn has_listeners(&self, _key: &str) -> bool {
        self.tab.listening.get()
    }

    async fn storage_change(&self, _key: &str, _ms: u32) {
        // The other tab's write is visible at once here: nothing to wait for.
    }

    fn after(&self, ms: u32, f: std::pin::Pin<Box<dyn Future<Output = ()>>>) {
        let at = self.now() * 1000 + u64::from(ms);
        self.tab.timers.borrow_mut().push((at, f));
    }

    async fn with_lock<T: 'static, F: Future<Output = T> + 'static>(
        &self,
        _name: &str,
        _steal_ms: u32,
        work: impl FnOnce(bool) -> F + 'static,
    ) -> T {
        let contended = self.world.locked.get();
        let world = self.world.clone();
        poll_fn(|_| {
            if world.locked.get() {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        world.locked.set(true);
        let out = work(contended).await;
        world.locked.set(false);
        out
    }
}

/// `secs` as an HTTP date (RFC 9110 5.6.7), as a server writes its `Date` header (H.
/// Hinnant's civil_from_days).
pub(super) fn http_date_of(secs: u64) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[(month - 1) as usize],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[test]
fn the_simulated_date_header_is_what_the_core_reads() {
    for t in [0, 784_111_777, T0, 1_835_438_400] {
        assert_eq!(crate::clock::http_date(&http_date_of(t)), Some(t));
    }
    assert_eq!(http_date_of(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
}
