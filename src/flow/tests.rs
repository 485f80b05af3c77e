//! Whole flows, natively: the browser's flows (`crate::flow`) against the simulation's
//! authorization server on a virtual clock (`sim`). Each test walks what a user does and
//! asserts what the user, the app and the server see.

use super::sim::{block_on, Sim, APP, CLIENT, ISSUER, T0};
use super::*;
use crate::authorize::LoginOptions;
use crate::config::{Config, TokenStorage, ValidConfig};
use crate::error::Code;
use crate::login_window::Shown;
use crate::logout::LogoutOptions;
use crate::session::TokenOptions;
use crate::session_event::SessionEventKind as Kind;
use crate::userinfo::UserOptions;

fn config(storage: TokenStorage) -> ValidConfig {
    Config {
        issuer: Some(ISSUER.into()),
        scope: "openid offline_access".into(),
        token_storage: storage,
        ..Config::new(CLIENT, APP)
    }
    .validated()
    .unwrap()
}

/// startLogin, the user at the server, and the callback URL the server sends back.
fn log_in_at_server(sim: &Sim, c: &ValidConfig) -> String {
    block_on(start_login(sim, c, &LoginOptions::default())).unwrap();
    let url = sim
        .tab
        .navigations
        .borrow()
        .last()
        .cloned()
        .expect("navigated");
    let back = sim.server().authorize(&url);
    *sim.tab.href.borrow_mut() = back.clone();
    back
}

/// A whole login: startLogin, the server, handleCallback.
fn log_in(sim: &Sim, c: &ValidConfig) -> CallbackResult {
    log_in_at_server(sim, c);
    block_on(handle_callback(sim, c, None)).unwrap()
}

fn token(sim: &Sim, c: &ValidConfig) -> Result<String> {
    block_on(get_access_token(sim, c, &TokenOptions::default()))
}

fn forced(sim: &Sim, c: &ValidConfig) -> Result<String> {
    block_on(get_access_token(
        sim,
        c,
        &TokenOptions {
            force_refresh: true,
        },
    ))
}

#[test]
fn login_user_refresh_with_rotation_and_logout() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    // startLogin: one round trip (discovery), the keys are left for the callback.
    block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap();
    assert_eq!(sim.server().seen.len(), 1);
    let url = sim.tab.navigations.borrow()[0].clone();
    let back = sim.server().authorize(&url);
    *sim.tab.href.borrow_mut() = back;
    let done = block_on(handle_callback(&sim, &c, None)).unwrap();
    assert!(!done.logged_out);
    assert_eq!(done.scope.as_deref(), Some("openid offline_access"));
    // The code left the address bar; the token request and the keys were the only requests.
    assert_eq!(*sim.tab.href.borrow(), APP);
    assert_eq!(sim.server().requests("/token").len(), 1);
    assert_eq!(sim.server().requests("/jwks").len(), 1);
    assert_eq!(
        sim.server()
            .requests("/.well-known/openid-configuration")
            .len(),
        1
    );
    // The keys were fetched beside the token request: one round trip.
    assert_eq!(sim.server().requests("/token")[0].in_flight, 2);
    assert_eq!(sim.events(), [Kind::Login]);

    // The user: the ID token's claims, and userinfo's about the same user.
    let (claims, info) = block_on(get_user(&sim, &c, &UserOptions { userinfo: true }))
        .unwrap()
        .unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(info.unwrap()["name"], "Alice");

    // The access token while it is good; a refresh once it is within 30 s of its expiry.
    let first = token(&sim, &c).unwrap();
    assert_eq!(token(&sim, &c).unwrap(), first);
    assert!(
        sim.server().requests("/token").len() == 1,
        "no request for a good token"
    );
    sim.advance(3600 - 30);
    let second = token(&sim, &c).unwrap();
    assert_ne!(second, first);
    let grants = sim.server().requests("/token");
    assert_eq!(grants.len(), 2);
    let used = grants[1].params["refresh_token"].clone();
    assert_eq!(
        grants[1].params["scope"], "openid offline_access",
        "the granted scope is sent"
    );
    assert_eq!(sim.events(), [Kind::Login, Kind::Refresh]);
    // The rotated refresh token is the one stored: the next refresh sends the new one.
    forced(&sim, &c).unwrap();
    let grants = sim.server().requests("/token");
    assert_ne!(grants[2].params["refresh_token"], used);
    // The refreshed ID token was checked and kept (OIDC Core 12.2).
    assert!(block_on(get_user(&sim, &c, &UserOptions::default()))
        .unwrap()
        .is_some());

    // Logout: the refresh token revoked, the session gone, the server's logout page.
    let out = block_on(logout(&sim, &c, &LogoutOptions::default())).unwrap();
    assert!(out.revoked && out.server_logout && out.error.is_none());
    let revoked = sim.server().requests("/revoke");
    assert_eq!(revoked[0].params["token_type_hint"], "refresh_token");
    let page = sim.tab.navigations.borrow().last().cloned().unwrap();
    assert!(
        page.starts_with("https://id.example/logout?id_token_hint="),
        "{page}"
    );
    assert_eq!(token(&sim, &c).unwrap_err().code, Code::LoginRequired);
    assert!(!block_on(is_authenticated(&sim, &c)).unwrap());
    assert_eq!(
        sim.events(),
        [Kind::Login, Kind::Refresh, Kind::Refresh, Kind::Logout]
    );
}

#[test]
fn two_tabs_with_an_expired_token_send_one_refresh_and_share_its_token() {
    let a = Sim::new();
    let b = a.new_tab();
    let c = config(TokenStorage::Local);
    log_in(&a, &c);
    a.advance(3600);
    b.advance(0);
    let (ta, tb) = block_on(join::both(
        get_access_token(&a, &c, &TokenOptions::default()),
        get_access_token(&b, &c, &TokenOptions::default()),
    ));
    assert_eq!(ta.unwrap(), tb.clone().unwrap());
    let refreshes: Vec<_> = a
        .server()
        .requests("/token")
        .into_iter()
        .filter(|s| s.params["grant_type"] == "refresh_token")
        .collect();
    assert_eq!(
        refreshes.len(),
        1,
        "one grant for both tabs: the rotated token is never sent twice"
    );
    // And nobody was logged out: the next refresh works.
    a.advance(3600);
    assert!(token(&b, &c).is_ok());
}

#[test]
fn two_calls_in_one_tab_share_one_refresh() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    sim.advance(3600);
    let (x, y) = block_on(join::both(
        get_access_token(&sim, &c, &TokenOptions::default()),
        get_access_token(&sim, &c, &TokenOptions::default()),
    ));
    assert_eq!(x.unwrap(), y.unwrap());
    assert_eq!(
        sim.server().requests("/token").len(),
        2,
        "the code grant and one refresh"
    );
}

#[test]
fn the_callback_twice_redeems_the_code_once() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    let back = log_in_at_server(&sim, &c);
    let (one, two) = block_on(join::both(
        handle_callback(&sim, &c, Some(&back)),
        handle_callback(&sim, &c, Some(&back)),
    ));
    assert_eq!(one.unwrap(), two.unwrap());
    // Later, with the address bar already cleaned: the same answer, no second request.
    assert!(block_on(handle_callback(&sim, &c, Some(&back))).is_ok());
    assert_eq!(sim.server().requests("/token").len(), 1);
    // The page reloaded on the callback URL: the transaction was taken, nothing is sent.
    let reloaded = sim.reload();
    let e = block_on(handle_callback(&reloaded, &c, Some(&back))).unwrap_err();
    assert_eq!(e.code, Code::StateMismatch);
    assert_eq!(sim.server().requests("/token").len(), 1);
    // Another tab has no transaction for it: refused before any request.
    let other = sim.new_tab();
    let e = block_on(handle_callback(&other, &c, Some(&back))).unwrap_err();
    assert_eq!(e.code, Code::StateMismatch);
    assert_eq!(sim.server().requests("/token").len(), 1);
}

#[test]
fn a_token_without_refresh_token_expires_and_is_reported_without_any_call() {
    let sim = Sim::new();
    sim.server().issue_refresh_tokens = false;
    sim.tab.listening.set(true);
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    assert!(
        block_on(session_info(&sim, &c))
            .unwrap()
            .unwrap()
            .refresh_token_withheld
    );
    // A minute before its end (the default `expiringNoticeSeconds`): `expiring`.
    sim.advance(3600 - 61);
    assert_eq!(sim.events(), [Kind::Login]);
    sim.advance(1);
    assert_eq!(sim.events(), [Kind::Login, Kind::Expiring]);
    sim.advance(29);
    assert_eq!(sim.events(), [Kind::Login, Kind::Expiring], "still usable");
    sim.advance(2);
    assert_eq!(
        sim.events(),
        [Kind::Login, Kind::Expiring, Kind::Expired],
        "the timer reported it"
    );
    assert!(block_on(session_info(&sim, &c)).unwrap().is_none());
    assert_eq!(token(&sim, &c).unwrap_err().code, Code::LoginRequired);
}

#[test]
fn what_each_refresh_answer_does_to_the_session() {
    // docs/SESSION.md, "What ends a session": only a refusal of the grant (issue 26, 1).
    let cases: [(u16, &str, Code, bool); 11] = [
        // Refused: the session is over.
        (
            400,
            r#"{"error":"invalid_grant"}"#,
            Code::LoginRequired,
            false,
        ),
        // Usable only with the user (Entra ID's Conditional Access).
        (
            400,
            r#"{"error":"interaction_required"}"#,
            Code::LoginRequired,
            false,
        ),
        // The server in trouble, or busy: the session stays for the next try.
        (503, "busy", Code::ServerError, true),
        (500, r#"{"error":"server_error"}"#, Code::ServerError, true),
        (
            429,
            r#"{"error":"too_many_requests"}"#,
            Code::OauthError,
            true,
        ),
        (429, "Too Many Requests", Code::ServerError, true),
        // The client refused, not the grant: a configuration to fix at the server.
        (
            401,
            r#"{"error":"invalid_client"}"#,
            Code::InvalidClient,
            true,
        ),
        (
            400,
            r#"{"error":"unauthorized_client"}"#,
            Code::UnauthorizedClient,
            true,
        ),
        (
            400,
            r#"{"error":"invalid_scope"}"#,
            Code::InvalidScope,
            true,
        ),
        // A 2xx that is no token response: the refresh token may be rotated away already.
        (
            200,
            r#"{"token_type":"Bearer"}"#,
            Code::InvalidResponse,
            false,
        ),
        (
            400,
            r#"{"error":"invalid_request"}"#,
            Code::InvalidRequest,
            true,
        ),
    ];
    for (status, body, code, kept) in cases {
        let sim = Sim::new();
        let c = config(TokenStorage::Session);
        log_in(&sim, &c);
        sim.server()
            .fail
            .insert("/token".into(), (status, body.into()));
        let e = forced(&sim, &c).unwrap_err();
        assert_eq!(e.code, code, "{status} {body}");
        assert_eq!(
            block_on(is_authenticated(&sim, &c)).unwrap(),
            kept,
            "{status} {body}"
        );
        let ended = sim.events().contains(&Kind::Expired);
        assert_eq!(ended, !kept, "{status} {body}");
    }
}

#[test]
fn network_failures_change_nothing() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    // At startLogin: nothing stored, no navigation.
    sim.server().down = true;
    let e = block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap_err();
    assert_eq!(e.code, Code::NetworkError);
    assert!(sim.tab.navigations.borrow().is_empty());
    assert!(sim
        .keys(Store::Session, "spa-oauth:tx:")
        .unwrap()
        .is_empty());
    // At the callback: the code is not redeemed, and cannot be retried with the same URL
    // (the transaction is consumed); a new login works.
    sim.server().down = false;
    let back = log_in_at_server(&sim, &c);
    sim.server().down = true;
    assert_eq!(
        block_on(handle_callback(&sim, &c, Some(&back)))
            .unwrap_err()
            .code,
        Code::NetworkError
    );
    sim.server().down = false;
    assert!(block_on(session_info(&sim, &c)).unwrap().is_none());
    log_in(&sim, &c);
    // At a refresh: the session stays.
    sim.server().down = true;
    assert_eq!(forced(&sim, &c).unwrap_err().code, Code::NetworkError);
    assert!(block_on(is_authenticated(&sim, &c)).unwrap());
    // At logout: the session ends here all the same, and the result says so.
    let out = block_on(logout(&sim, &c, &LogoutOptions::default())).unwrap();
    assert!(!out.revoked);
    assert_eq!(out.error.map(|e| e.code), Some(Code::NetworkError));
    assert!(!block_on(is_authenticated(&sim, &c)).unwrap());
}

#[test]
fn a_reused_refresh_token_revokes_the_grant_at_the_server() {
    // What the single refresh per origin protects: a server with reuse detection.
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    let stolen = {
        let s = block_on(sim.get(Store::Session, &c.session_key()))
            .unwrap()
            .unwrap();
        crate::session::Session::decode(&s)
            .unwrap()
            .refresh_token
            .unwrap()
    };
    forced(&sim, &c).unwrap();
    // The old one, replayed by someone else: refused, and the grant is gone for everyone.
    let body = crate::token::refresh_grant(CLIENT, None, &stolen, "openid");
    let r = block_on(sim.send("https://id.example/token", Some(&body), None, None, 1000)).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(forced(&sim, &c).unwrap_err().code, Code::LoginRequired);
    assert!(!block_on(is_authenticated(&sim, &c)).unwrap());
}

#[test]
fn errors_at_the_callback_redeem_nothing() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    // The user denied: the server's error, nothing redeemed.
    let back = log_in_at_server(&sim, &c);
    let denied = back.replace("code=", "error=access_denied&x=");
    assert_eq!(
        block_on(handle_callback(&sim, &c, Some(&denied)))
            .unwrap_err()
            .code,
        Code::AccessDenied
    );
    // A response that another server sent (the wrong iss): refused before the token request.
    let back = log_in_at_server(&sim, &c);
    let mixed = back.replace(
        "iss=https%3A%2F%2Fid.example",
        "iss=https%3A%2F%2Fevil.example",
    );
    assert_eq!(
        block_on(handle_callback(&sim, &c, Some(&mixed)))
            .unwrap_err()
            .code,
        Code::IssuerMismatch
    );
    // An expired transaction.
    let back = log_in_at_server(&sim, &c);
    sim.advance(601);
    assert_eq!(
        block_on(handle_callback(&sim, &c, Some(&back)))
            .unwrap_err()
            .code,
        Code::TransactionExpired
    );
    assert!(sim.server().requests("/token").is_empty());
    // An ID token whose signature is not the server's: nothing stored.
    sim.server().fail.insert("/jwks".into(), (200, r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#.into()));
    let back = log_in_at_server(&sim, &c);
    assert_eq!(
        block_on(handle_callback(&sim, &c, Some(&back)))
            .unwrap_err()
            .code,
        Code::IdTokenInvalid
    );
    assert!(block_on(session_info(&sim, &c)).unwrap().is_none());
    assert_eq!(T0 + 601, sim.now());
}

#[test]
fn storage_that_throws_keeps_the_session_in_memory_and_says_so() {
    let sim = Sim::new();
    let c = config(TokenStorage::Local);
    let back = log_in_at_server(&sim, &c);
    sim.tab.storage_throws.set(true);
    block_on(handle_callback(&sim, &c, Some(&back))).unwrap();
    assert_eq!(*sim.tab.events.borrow(), [(Kind::Login, Store::Memory)]);
    assert!(
        token(&sim, &c).is_ok(),
        "logged in for the life of the page"
    );
    assert!(sim.world.local.borrow().is_empty());
    // The next write that succeeds moves it back.
    sim.tab.storage_throws.set(false);
    forced(&sim, &c).unwrap();
    assert_eq!(sim.tab.events.borrow()[1], (Kind::Refresh, Store::Local));
    assert_eq!(store_of(&sim, Store::Local, &c.session_key()), Store::Local);
    // And a startLogin whose transaction cannot be stored fails here, before navigating.
    sim.tab.storage_throws.set(true);
    let before = sim.tab.navigations.borrow().len();
    let e = block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap_err();
    assert_eq!(e.code, Code::StorageUnavailable);
    assert_eq!(sim.tab.navigations.borrow().len(), before);
}

#[test]
fn a_damaged_stored_session_is_removed_and_reported() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    block_on(sim.set(Store::Session, &c.session_key(), "access_token=")).unwrap();
    assert_eq!(token(&sim, &c).unwrap_err().code, Code::LoginRequired);
    assert_eq!(sim.events(), [Kind::Login, Kind::Expired]);
    assert!(block_on(sim.get(Store::Session, &c.session_key()))
        .unwrap()
        .is_none());
}

fn par_config() -> ValidConfig {
    Config {
        pushed_authorization_requests: true,
        ..config(TokenStorage::Session).into_inner()
    }
    .validated()
    .unwrap()
}

/// Pushed authorization requests (RFC 9126), asked by the app: the parameters go to the
/// server in a POST, the browser's URL has only client_id and request_uri, and the login
/// completes with the same checks (state, PKCE, nonce).
#[test]
fn a_pushed_authorization_request_keeps_the_parameters_out_of_the_url() {
    let sim = Sim::new();
    let c = par_config();
    log_in_at_server(&sim, &c);
    let url = sim.tab.navigations.borrow()[0].clone();
    let query = url.split_once('?').unwrap().1;
    assert!(query.starts_with("client_id=spa&request_uri=urn"), "{url}");
    assert!(
        !url.contains("state=") && !url.contains("code_challenge"),
        "{url}"
    );
    let pushed = &sim.server().requests("/par")[0].params["body"];
    assert!(pushed.contains("code_challenge_method=S256") && pushed.contains("&nonce="));
    let done = block_on(handle_callback(&sim, &c, None)).unwrap();
    assert_eq!(done.scope.as_deref(), Some("openid offline_access"));
    assert!(token(&sim, &c).is_ok());
}

/// A server that requires pushed requests says so in its metadata, and every login pushes,
/// whatever the config says. Without the rule, the server refuses the plain request.
#[test]
fn a_server_that_requires_pushed_requests_gets_them() {
    let sim = Sim::new();
    sim.server().require_par = true;
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    assert_eq!(sim.server().requests("/par").len(), 1);
    assert!(token(&sim, &c).is_ok());
}

/// The server's refusal of a pushed request is an AuthError with the server's code, the
/// browser stays, and no transaction is left behind; a malformed answer is invalid_response.
#[test]
fn a_refused_pushed_request_is_the_servers_error_and_the_browser_stays() {
    let sim = Sim::new();
    let c = par_config();
    for (status, body, code) in [
        (400, r#"{"error":"invalid_scope"}"#, Code::InvalidScope),
        (401, r#"{"error":"invalid_client"}"#, Code::InvalidClient),
        (
            200,
            r#"{"request_uri":"urn:x","expires_in":60}"#,
            Code::InvalidResponse,
        ),
        (
            201,
            r#"{"request_uri":"urn:x","expires_in":0}"#,
            Code::InvalidResponse,
        ),
        (201, r#"{"expires_in":60}"#, Code::InvalidResponse),
        (503, "<html>", Code::ServerError),
    ] {
        sim.server()
            .fail
            .insert("/par".into(), (status, body.into()));
        let e = block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap_err();
        assert_eq!(e.code, code, "{body}");
        assert!(sim.tab.navigations.borrow().is_empty());
        assert!(sim
            .keys(Store::Session, crate::transaction::KEY_PREFIX)
            .unwrap()
            .is_empty());
    }
}

fn dpop_config() -> ValidConfig {
    Config {
        dpop: true,
        api_origins: vec![ISSUER.into()],
        ..config(TokenStorage::Session).into_inner()
    }
    .validated()
    .unwrap()
}

/// The `Authorization` scheme and token of authorized headers.
fn scheme_and_token(h: &resource::Headers) -> (&str, &str) {
    h.authorization.split_once(' ').unwrap()
}

/// DPoP (RFC 9449) with a server that demands nonces: the login binds the code to a new key
/// (`dpop_jkt`), the token request is sent again with the server's nonce, the tokens are
/// DPoP tokens, and the resource server takes them with a proof of this key only: a token
/// read out of storage is refused as Bearer, as DPoP without a proof, and with another key's
/// proof.
#[test]
fn dpop_binds_the_tokens_to_this_browsers_key() {
    let sim = Sim::new();
    sim.server().dpop_nonce = Some("n1".into());
    let c = dpop_config();
    log_in_at_server(&sim, &c);
    let url = sim.tab.navigations.borrow()[0].clone();
    assert!(url.contains("&dpop_jkt="), "{url}");
    block_on(handle_callback(&sim, &c, None)).unwrap();
    // use_dpop_nonce, then the same request with the nonce.
    assert_eq!(sim.server().requests("/token").len(), 2);
    let stored = block_on(sessions::load(&sim, &c)).unwrap().unwrap();
    assert!(stored.dpop);

    let userinfo = "https://id.example/userinfo";
    let h = block_on(authorize_request(&sim, &c, "GET", userinfo, None))
        .unwrap()
        .unwrap();
    let (scheme, token) = scheme_and_token(&h);
    assert_eq!(scheme, "DPoP");
    let server = sim.server();
    let ok = server.check_resource_request(scheme, token, h.dpop.as_deref(), "GET", userinfo);
    assert!(ok.is_ok());
    // The stolen token.
    for (scheme, proof) in [("Bearer", None), ("DPoP", None)] {
        let refused = server.check_resource_request(scheme, token, proof, "GET", userinfo);
        assert_eq!(refused.unwrap_err().status, 401, "{scheme}");
    }
    // A proof of another request (POST) does not serve either.
    let refused = server.check_resource_request("DPoP", token, h.dpop.as_deref(), "POST", userinfo);
    assert_eq!(refused.unwrap_err().status, 401);
    drop(server);
    // Another key (the thief's own): a new login's key replaces this one; the old token
    // with a proof of the new key is refused.
    let thief = Sim::new();
    let own = block_on(dpop::new_key(&thief, "thief")).unwrap();
    drop(own);
    let proof = block_on(dpop::proof(&thief, "thief", "GET", userinfo, Some(token))).unwrap();
    let refused = sim
        .server()
        .check_resource_request("DPoP", token, Some(&proof), "GET", userinfo);
    assert_eq!(refused.unwrap_err().status, 401);
}

/// Refresh, userinfo (with a nonce the resource server rotated) and logout of a DPoP session;
/// the key pair is gone after the logout.
#[test]
fn a_dpop_session_refreshes_reads_userinfo_and_logs_out() {
    let sim = Sim::new();
    sim.server().dpop_nonce = Some("n1".into());
    let c = dpop_config();
    log_in(&sim, &c);
    let first = token(&sim, &c).unwrap();
    sim.server().dpop_nonce = Some("n2".into());
    let refreshed = forced(&sim, &c).unwrap();
    assert_ne!(first, refreshed);
    assert!(block_on(sessions::load(&sim, &c)).unwrap().unwrap().dpop);
    sim.server().dpop_nonce = Some("n3".into());
    let user = block_on(get_user(&sim, &c, &UserOptions { userinfo: true })).unwrap();
    assert!(user.unwrap().1.is_some());
    // use_dpop_nonce from userinfo (401), then the same request with n3.
    assert_eq!(sim.server().requests("/userinfo").len(), 2);
    assert_eq!(sim.world_dpop_keys(), 1);
    let out = block_on(logout(&sim, &c, &LogoutOptions::default())).unwrap();
    assert!(out.revoked, "{:?}", out.error);
    assert_eq!(sim.world_dpop_keys(), 0);
}

/// A server that answers a DPoP request with a Bearer token: refused (a token anyone can use
/// is not what was asked for), nothing stored.
#[test]
fn a_bearer_token_for_a_dpop_request_is_refused() {
    let sim = Sim::new();
    let c = dpop_config();
    log_in_at_server(&sim, &c);
    sim.server().fail.insert(
        "/token".into(),
        (
            200,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#.into(),
        ),
    );
    let e = block_on(handle_callback(&sim, &c, None)).unwrap_err();
    assert_eq!(e.code, Code::InvalidResponse);
    assert!(block_on(sessions::load(&sim, &c)).unwrap().is_none());
}

/// The authorized fetch's decisions: the token goes to the page's origin and `apiOrigins`
/// only; after an answer, a second attempt only when a DPoP resource server asks for a nonce.
#[test]
fn authorized_requests_go_where_the_config_allows_and_retry_only_for_a_nonce() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    let own = block_on(authorize_request(
        &sim,
        &c,
        "POST",
        "https://app.example/api",
        None,
    ))
    .unwrap()
    .unwrap();
    assert_eq!(scheme_and_token(&own).0, "Bearer");
    assert!(own.dpop.is_none());
    let e = block_on(authorize_request(
        &sim,
        &c,
        "GET",
        "https://id.example/userinfo",
        None,
    ))
    .err()
    .unwrap();
    assert_eq!(e.code, Code::InvalidConfig);
    let answered = |status, www: Option<&str>, nonce: Option<&str>| Previous {
        status,
        www_authenticate: www.map(Into::into),
        dpop_nonce: nonce.map(Into::into),
    };
    let nonce_please = answered(401, Some(r#"DPoP error="use_dpop_nonce""#), Some("n9"));
    // A Bearer session never retries.
    let again = block_on(authorize_request(
        &sim,
        &c,
        "GET",
        "https://app.example/a",
        Some(&nonce_please),
    ));
    assert!(again.unwrap().is_none());
    // A DPoP session retries for a nonce, with it, and for nothing else.
    let sim = Sim::new();
    let d = dpop_config();
    log_in(&sim, &d);
    for (prev, retry) in [
        (answered(200, None, Some("n8")), false),
        (
            answered(401, Some(r#"DPoP error="invalid_token""#), Some("n8")),
            false,
        ),
        (nonce_please, true),
    ] {
        let h = block_on(authorize_request(
            &sim,
            &d,
            "GET",
            "https://id.example/userinfo",
            Some(&prev),
        ))
        .unwrap();
        assert_eq!(h.is_some(), retry);
        if let Some(h) = h {
            let proof = h.dpop.unwrap();
            let claims = proof.split('.').nth(1).unwrap();
            let claims: serde_json::Value =
                serde_json::from_slice(&crate::b64url::decode(claims).unwrap()).unwrap();
            assert_eq!(claims["nonce"], "n9");
        }
    }
}

/// The key pair is gone (site data cleared): the session cannot be used, and says to log in.
#[test]
fn a_dpop_session_without_its_key_asks_for_a_login() {
    let sim = Sim::new();
    let c = dpop_config();
    log_in(&sim, &c);
    sim.clear_dpop_keys();
    let e = forced(&sim, &c).unwrap_err();
    assert_eq!(e.code, Code::LoginRequired);
    let e = block_on(authorize_request(
        &sim,
        &c,
        "GET",
        "https://id.example/userinfo",
        None,
    ))
    .err()
    .unwrap();
    assert_eq!(e.code, Code::LoginRequired);
}

/// The app's adapter for both the session and the transaction, shared by the tabs and
/// answering each operation a turn of the event loop later, as a promise does.
fn adapter_config() -> ValidConfig {
    let adapter = crate::config::StorageAdapter(1);
    Config {
        issuer: Some(ISSUER.into()),
        scope: "openid offline_access".into(),
        token_storage: TokenStorage::Custom(adapter),
        transaction_storage: Some(adapter),
        ..Config::new(CLIENT, APP)
    }
    .validated()
    .unwrap()
}

#[test]
fn an_async_adapter_keeps_the_transaction_and_the_session() {
    let sim = Sim::new();
    let c = adapter_config();
    block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap();
    // The transaction went to the adapter, not to sessionStorage.
    let tx_key = |sim: &Sim| {
        let custom = sim.world.custom.borrow();
        custom
            .keys()
            .find(|k| k.starts_with(crate::transaction::KEY_PREFIX))
            .cloned()
    };
    assert!(tx_key(&sim).is_some());
    assert!(sim
        .tab
        .session
        .borrow()
        .keys()
        .all(|k| !k.starts_with(crate::transaction::KEY_PREFIX)));
    // The callback in a new tab (the adapter is shared): the transaction is found there.
    let url = sim.tab.navigations.borrow()[0].clone();
    let back = sim.server().authorize(&url);
    let other = sim.new_tab();
    block_on(handle_callback(&other, &c, Some(&back))).unwrap();
    assert!(tx_key(&sim).is_none(), "taken out at the callback");
    let stored = sim.world.custom.borrow().get(&c.session_key()).cloned();
    assert!(stored.is_some_and(|s| s.contains("refresh_token")));
    assert!(sim.world.local.borrow().is_empty());
    assert_eq!(
        *other.tab.events.borrow(),
        [(Kind::Login, Store::Custom(crate::config::StorageAdapter(1)))]
    );
    // Read, refreshed with rotation, known to other tabs, and removed at logout.
    let first = token(&other, &c).unwrap();
    assert_eq!(token(&sim, &c).unwrap(), first);
    assert!(block_on(is_authenticated(&sim, &c)).unwrap());
    assert_ne!(forced(&sim, &c).unwrap(), first);
    block_on(logout(&sim, &c, &LogoutOptions::default())).unwrap();
    assert!(sim.world.custom.borrow().get(&c.session_key()).is_none());
    assert!(block_on(session_info(&other, &c)).unwrap().is_none());
}

#[test]
fn two_callbacks_racing_over_an_async_adapter_redeem_the_code_once() {
    // A callback URL opened in two tabs at once (a duplicated tab, a restored session): both
    // read the shared adapter. Without the lock around the read and the removal, both would
    // read the transaction before either removed it, and both would send the code.
    let a = Sim::new();
    let c = adapter_config();
    let back = log_in_at_server(&a, &c);
    let b = a.new_tab();
    let (one, two) = block_on(join::both(
        handle_callback(&a, &c, Some(&back)),
        handle_callback(&b, &c, Some(&back)),
    ));
    assert_eq!(
        a.server().requests("/token").len(),
        1,
        "the code is sent once"
    );
    let codes: Vec<_> = [&one, &two]
        .iter()
        .map(|r| r.as_ref().map_err(|e| e.code))
        .collect();
    assert!(codes.contains(&Err(Code::StateMismatch)), "{codes:?}");
    assert!(codes.iter().any(|r| r.is_ok()), "{codes:?}");
    assert!(
        token(&a, &c).is_ok() && token(&b, &c).is_ok(),
        "the session is shared"
    );
}

#[test]
fn an_adapter_that_fails_keeps_the_session_in_memory_and_the_login_tells() {
    let sim = Sim::new();
    let c = adapter_config();
    // A login whose transaction cannot be stored fails before leaving the page.
    sim.tab.storage_throws.set(true);
    let e = block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap_err();
    assert_eq!(e.code, Code::StorageUnavailable);
    assert!(sim.tab.navigations.borrow().is_empty());
    // The tokens just received stay in this page's memory when the adapter refuses them.
    sim.tab.storage_throws.set(false);
    let back = log_in_at_server(&sim, &c);
    sim.tab.storage_throws.set(true);
    block_on(handle_callback(&sim, &c, Some(&back))).unwrap();
    assert_eq!(*sim.tab.events.borrow(), [(Kind::Login, Store::Memory)]);
    assert!(token(&sim, &c).is_ok());
}

/// Review round 2 (found as a new user would): an adapter whose `getItem` throws made
/// `getAccessToken` answer `login_required` ("There is no session: log in first."), as if the
/// user had logged out, while the session was intact.
#[test]
fn an_adapter_that_cannot_be_read_is_storage_unavailable_and_the_session_stays() {
    let sim = Sim::new();
    let c = adapter_config();
    let back = log_in_at_server(&sim, &c);
    block_on(handle_callback(&sim, &c, Some(&back))).unwrap();
    let first = token(&sim, &c).unwrap();
    sim.tab.reads_throw.set(true);
    for answer in [token(&sim, &c), forced(&sim, &c)] {
        assert_eq!(answer.map_err(|e| e.code), Err(Code::StorageUnavailable));
    }
    sim.tab.reads_throw.set(false);
    assert_eq!(token(&sim, &c).unwrap(), first, "the session is intact");
    assert_eq!(
        *sim.tab.events.borrow(),
        [(Kind::Login, Store::Custom(crate::config::StorageAdapter(1)))]
    );
    assert_eq!(
        sim.server().requests("/token").len(),
        1,
        "no refresh was sent"
    );
}

/// I11 (review round 2): the 30 s margin is for stored tokens. A server that issues tokens
/// shorter than it has each one returned as issued, once per refresh: no second grant within
/// one call, and the next call (the token now under the margin) refreshes again.
#[test]
fn tokens_shorter_than_the_margin_are_returned_fresh_and_refreshed_on_the_next_call() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    sim.server().ttl = 20;
    log_in(&sim, &c);
    let grants = |sim: &Sim| sim.server().requests("/token").len();
    assert_eq!(grants(&sim), 1);
    let first = token(&sim, &c).unwrap();
    assert_eq!(
        grants(&sim),
        2,
        "the login's 20 s token is under the margin: one refresh"
    );
    let second = token(&sim, &c).unwrap();
    assert_eq!(grants(&sim), 3, "and the next call refreshes again, once");
    assert_ne!(first, second);
}

/// L9 (review round 2): a logout while a refresh is in flight, in another tab or this one,
/// leaves no session behind, also with a server that does not revoke the grant (Entra: no
/// revocation endpoint; `revoke: false`). Before, the refresh stored its rotated session
/// after the logout had removed the old one: "logged out", and the next user of the
/// computer had a session.
#[test]
fn a_logout_during_a_refresh_leaves_no_session_behind() {
    let no_revocation = LogoutOptions {
        revoke: false,
        ..LogoutOptions::default()
    };
    let o = TokenOptions {
        force_refresh: true,
    };
    let c = adapter_config();
    for another_tab in [true, false] {
        let a = Sim::new();
        let back = log_in_at_server(&a, &c);
        block_on(handle_callback(&a, &c, Some(&back))).unwrap();
        // The tab that logs out: another one over the adapter the tabs share, or this one
        // while its own refresh is in flight.
        let b = if another_tab { a.new_tab() } else { a.clone() };
        let (_, out) = block_on(join::both(
            get_access_token(&a, &c, &o),
            logout(&b, &c, &no_revocation),
        ));
        out.unwrap();
        let stored = a.world.custom.borrow().get(&c.session_key()).cloned();
        assert_eq!(stored, None, "another tab: {another_tab}");
        assert!(token(&a, &c).is_err());
    }
}

fn tx_keys(sim: &Sim) -> usize {
    let session = sim.tab.session.borrow();
    session
        .keys()
        .filter(|k| k.starts_with(crate::transaction::KEY_PREFIX))
        .count()
}

#[test]
fn a_popup_login_completes_on_this_page_which_never_leaves() {
    use crate::login_window::{Answer, Window};
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    let done = block_on(login_elsewhere(
        &sim,
        &c,
        &LoginOptions::default(),
        Shown::popup(1, None, true),
    ))
    .unwrap();
    assert!(!done.handed_over);
    assert_eq!(done.scope.as_deref(), Some("openid offline_access"));
    assert!(sim.tab.navigations.borrow().is_empty(), "this page stayed");
    assert_eq!(*sim.tab.href.borrow(), "https://app.example/");
    let windows = sim.tab.windows.borrow().clone();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0].0, Window::Popup);
    assert!(windows[0].1.contains("state=p."), "{}", windows[0].1);
    assert!(token(&sim, &c).is_ok());
    assert_eq!(tx_keys(&sim), 0);
    // A popup that gives up: its code, and no transaction left behind.
    for (fate, code) in [
        (Answer::Closed, Code::PopupClosed),
        (Answer::TimedOut, Code::Timeout),
        (Answer::Blocked, Code::PopupBlocked),
    ] {
        *sim.tab.window_fate.borrow_mut() = Some(fate);
        let e = block_on(login_elsewhere(
            &sim,
            &c,
            &LoginOptions::default(),
            Shown::popup(1, None, true),
        ))
        .unwrap_err();
        assert_eq!(e.code, code);
        assert_eq!(tx_keys(&sim), 0, "{code:?}");
    }
    assert_eq!(sim.server().requests("/token").len(), 1);
}

#[test]
fn the_redirect_page_in_a_login_window_hands_the_response_over_and_redeems_nothing() {
    let opener = Sim::new();
    let c = config(TokenStorage::Session);
    // What the popup's redirect page sees: the response of a popup login.
    let popup = opener.new_tab();
    let response = "https://app.example/cb?code=c1&state=p.abc&iss=https%3A%2F%2Fid.example";
    *popup.tab.href.borrow_mut() = response.into();
    let done = block_on(handle_callback(&popup, &c, None)).unwrap();
    assert!(done.handed_over);
    assert_eq!(
        *popup.tab.handed_over.borrow(),
        [("p.abc".to_string(), response.to_string())]
    );
    assert!(opener.server().requests("/token").is_empty());
    // The page that waits gets that URL and redeems it: a response handed to it as `url` is
    // redeemed (or refused) there, never handed over again.
    let e = block_on(handle_callback(&opener, &c, Some(response))).unwrap_err();
    assert_eq!(e.code, Code::StateMismatch, "no transaction of this page");
    assert!(opener.tab.handed_over.borrow().is_empty());
    // I7: a page of the app that is not the redirect URI hands nothing over, whatever its
    // address holds.
    let elsewhere = opener.new_tab();
    let other_page = "https://app.example/settings?code=c1&state=p.abc";
    *elsewhere.tab.href.borrow_mut() = other_page.into();
    assert!(block_on(handle_callback(&elsewhere, &c, None)).is_err());
    assert!(elsewhere.tab.handed_over.borrow().is_empty());
}

/// I7 (review round 2): a login window that hands over a response whose URL is another
/// login's (its own `state`) completes nothing. Before, the popup's flow redeemed the other
/// login's code, which this page had started.
#[test]
fn a_login_window_that_hands_over_another_logins_response_completes_nothing() {
    use crate::login_window::{Answer, Window};
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap();
    let redirect_login = sim.tab.navigations.borrow()[0].clone();
    let its_response = sim.server().authorize(&redirect_login);
    *sim.tab.window_fate.borrow_mut() = Some(Answer::Response(its_response));
    let popup = LoginOptions::default();
    let e = block_on(login_elsewhere(
        &sim,
        &c,
        &popup,
        Shown::popup(1, None, true),
    ))
    .unwrap_err();
    assert_eq!(e.code, Code::StateMismatch, "{}", e.description.as_str());
    assert_eq!(sim.server().requests("/token").len(), 0, "no code was sent");
    assert!(block_on(session_info(&sim, &c)).unwrap().is_none());
}

fn silent_config() -> ValidConfig {
    Config {
        issuer: Some(ISSUER.into()),
        scope: "openid".into(),
        silent_login: true,
        ..Config::new(CLIENT, APP)
    }
    .validated()
    .unwrap()
}

/// I8 (review round 2): concurrent getAccessToken calls with `silentLogin` share one silent
/// login: one iframe, one code, one login event; before, each call ran its own.
#[test]
fn concurrent_calls_share_one_silent_login() {
    let sim = Sim::new();
    let c = silent_config();
    let o = TokenOptions::default();
    let (a, b) = block_on(join::both(
        get_access_token(&sim, &c, &o),
        get_access_token(&sim, &c, &o),
    ));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert_eq!(sim.tab.windows.borrow().len(), 1, "one iframe");
    assert_eq!(
        sim.server().requests("/token").len(),
        1,
        "one code redeemed"
    );
    assert_eq!(sim.events(), [Kind::Login]);
}

#[test]
fn get_access_token_falls_back_to_a_silent_login_only_when_asked() {
    use crate::login_window::Window;
    let sim = Sim::new();
    // Without the option: login_required, no window.
    let plain = config(TokenStorage::Session);
    assert_eq!(token(&sim, &plain).unwrap_err().code, Code::LoginRequired);
    assert!(sim.tab.windows.borrow().is_empty());
    // With it, and a user known to the server: a token, from a hidden iframe with prompt=none.
    let c = silent_config();
    let t = token(&sim, &c).unwrap();
    assert!(!t.is_empty());
    let windows = sim.tab.windows.borrow().clone();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0].0, Window::Iframe);
    assert!(windows[0].1.contains("prompt=none") && windows[0].1.contains("state=i."));
    assert_eq!(sim.events(), [Kind::Login]);
    // The stored token is used while valid: no other window.
    assert_eq!(token(&sim, &c).unwrap(), t);
    assert_eq!(sim.tab.windows.borrow().len(), 1);
    // Expired with a refresh token: refreshed, no window (a silent login is the last resort).
    sim.advance(7200);
    assert_ne!(token(&sim, &c).unwrap(), t);
    assert_eq!(sim.tab.windows.borrow().len(), 1);
    // Logged out here, and signed out at the server: login_required, nothing left behind.
    block_on(logout(&sim, &c, &LogoutOptions::default())).unwrap();
    sim.server().signed_in = false;
    let e = token(&sim, &c).unwrap_err();
    assert_eq!(e.code, Code::LoginRequired);
    assert_eq!(sim.tab.windows.borrow().len(), 2);
    assert_eq!(tx_keys(&sim), 0);
    assert!(block_on(session_info(&sim, &c)).unwrap().is_none());
    // A timed-out iframe is a timeout.
    *sim.tab.window_fate.borrow_mut() = Some(crate::login_window::Answer::TimedOut);
    assert_eq!(token(&sim, &c).unwrap_err().code, Code::Timeout);
}

/// Two accounts, each in its own adapter, otherwise configured alike (review round 2, L11).
fn two_adapter_configs() -> (ValidConfig, ValidConfig) {
    let with = |n: u32| {
        Config {
            token_storage: TokenStorage::Custom(crate::config::StorageAdapter(n)),
            ..adapter_config().into_inner()
        }
        .validated()
        .unwrap()
    };
    (with(1), with(2))
}

#[test]
fn two_adapters_share_no_refresh_in_the_page() {
    let sim = Sim::new();
    let (a, b) = two_adapter_configs();
    log_in(&sim, &a);
    log_in(&sim, &b);
    sim.advance(3600);
    let (ta, tb) = block_on(join::both(
        get_access_token(&sim, &a, &TokenOptions::default()),
        get_access_token(&sim, &b, &TokenOptions::default()),
    ));
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    assert_ne!(ta, tb, "account B was given account A's refreshed token");
    let refreshes = sim
        .server()
        .requests("/token")
        .into_iter()
        .filter(|s| s.params["grant_type"] == "refresh_token")
        .count();
    assert_eq!(refreshes, 2, "each account refreshes its own session");
    assert_eq!(token(&sim, &a).unwrap(), ta);
    assert_eq!(token(&sim, &b).unwrap(), tb);
}

#[test]
fn an_adapter_that_failed_does_not_lend_its_memory_session_to_another() {
    let sim = Sim::new();
    let (a, b) = two_adapter_configs();
    // Account A's adapter refuses the write: A's session is kept in the page's memory.
    log_in_at_server(&sim, &a);
    sim.tab.storage_throws.set(true);
    block_on(handle_callback(&sim, &a, None)).unwrap();
    sim.tab.storage_throws.set(false);
    assert!(token(&sim, &a).is_ok());
    // Account B, in its own adapter, has no session.
    assert_eq!(token(&sim, &b).unwrap_err().code, Code::LoginRequired);
}

/// The names of the DPoP key pairs the origin's IndexedDB holds.
fn dpop_key_names(sim: &Sim) -> Vec<String> {
    sim.world.dpop_keys.borrow().keys().cloned().collect()
}

/// The DPoP session's refresh works: its pair is there and signs.
fn dpop_session_refreshes(sim: &Sim, c: &ValidConfig) -> bool {
    forced(sim, c).is_ok()
}

/// Review round 2, L8: a login that does not complete (a popup the user closes, a silent
/// login the server refuses) leaves the live DPoP session signing with its own pair, and
/// deletes its own. Before, the login replaced the session's pair when it started, and the
/// session's next refresh was refused: the user was logged out by a closed popup.
#[test]
fn a_login_that_does_not_complete_leaves_the_dpop_session_its_key() {
    use crate::login_window::{Answer, Window};
    let sim = Sim::new();
    let c = dpop_config();
    log_in(&sim, &c);
    let live = dpop_key_names(&sim);
    assert_eq!(live.len(), 1);
    *sim.tab.window_fate.borrow_mut() = Some(Answer::Closed);
    let popup = LoginOptions::default();
    let e = block_on(login_elsewhere(
        &sim,
        &c,
        &popup,
        Shown::popup(1, None, true),
    ))
    .unwrap_err();
    assert_eq!(e.code, Code::PopupClosed);
    assert_eq!(
        dpop_key_names(&sim),
        live,
        "the popup's own pair is deleted"
    );
    assert!(dpop_session_refreshes(&sim, &c));
    // A silent login the server answers with login_required (its session ended).
    sim.server().signed_in = false;
    let e = block_on(silent_login(&sim, &c, None)).unwrap_err();
    assert_eq!(e.code, Code::LoginRequired);
    assert_eq!(dpop_key_names(&sim), live);
    assert!(dpop_session_refreshes(&sim, &c));
}

/// L8: a login in another tab (each tab its own session in sessionStorage) makes a pair of
/// its own; the first tab's session keeps working, and one tab's logout deletes only its own
/// session's pair.
#[test]
fn tabs_with_their_own_dpop_sessions_keep_their_own_keys() {
    let a = Sim::new();
    let b = a.new_tab();
    let c = dpop_config();
    log_in(&a, &c);
    log_in(&b, &c);
    assert_eq!(dpop_key_names(&a).len(), 2);
    assert!(dpop_session_refreshes(&a, &c));
    assert!(dpop_session_refreshes(&b, &c));
    block_on(logout(&b, &c, &LogoutOptions::default())).unwrap();
    assert_eq!(dpop_key_names(&a).len(), 1);
    assert!(dpop_session_refreshes(&a, &c), "b's logout kept a's pair");
}

/// L8: a new login's session replaces the old one, whose pair is deleted only then; two
/// logins in flight each have their own pair, and the one that completes last is the
/// session; the other's pair is deleted with the session it made.
#[test]
fn a_dpop_login_replaces_the_old_pair_once_its_session_is_stored() {
    let sim = Sim::new();
    let c = dpop_config();
    log_in(&sim, &c);
    let first = dpop_key_names(&sim);
    // Two logins started, then completed in the order they were started.
    let one = log_in_at_server(&sim, &c);
    let two = log_in_at_server(&sim, &c);
    assert_eq!(dpop_key_names(&sim).len(), 3, "each login its own pair");
    block_on(handle_callback(&sim, &c, Some(&one))).unwrap();
    assert!(
        !dpop_key_names(&sim).contains(&first[0]),
        "replaced: deleted"
    );
    assert!(dpop_session_refreshes(&sim, &c));
    block_on(handle_callback(&sim, &c, Some(&two))).unwrap();
    assert_eq!(dpop_key_names(&sim).len(), 1);
    assert!(dpop_session_refreshes(&sim, &c));
}

/// L8: the pairs of logins abandoned at the server (the user never came back) are swept at
/// a later login once they cannot complete any more; a live session's pair is not.
#[test]
fn the_pairs_of_abandoned_dpop_logins_are_swept() {
    let sim = Sim::new();
    let c = dpop_config();
    log_in(&sim, &c);
    let live = dpop_key_names(&sim);
    block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap();
    // Another tab's abandoned login too: the sweep is the origin's.
    block_on(start_login(&sim.new_tab(), &c, &LoginOptions::default())).unwrap();
    assert_eq!(dpop_key_names(&sim).len(), 3);
    sim.advance(crate::transaction::MAX_AGE_SECS + 61);
    assert!(dpop_session_refreshes(&sim, &c));
    block_on(start_login(&sim, &c, &LoginOptions::default())).unwrap();
    let names = dpop_key_names(&sim);
    assert_eq!(
        names.len(),
        2,
        "the live session's pair and the new login's"
    );
    assert!(names.contains(&live[0]));
    // A session's pair nobody used for IDLE_SECS (its tab closed with it): swept.
    sim.advance(crate::dpop::IDLE_SECS + 1);
    block_on(start_login(&sim.new_tab(), &c, &LoginOptions::default())).unwrap();
    assert_eq!(dpop_key_names(&sim).len(), 1, "only the newest login's");
}

/// Review round 2, L12: a duplicated tab starts with a copy of sessionStorage, refresh token
/// included. Once one copy's refresh rotated it, the other never sends it again: it asks
/// for a login, and the first tab stays logged in. Before, the copy sent the rotated-away
/// token, and the server revoked the grant for both.
#[test]
fn a_duplicated_tab_never_sends_a_refresh_token_its_original_rotated() {
    let a = Sim::new();
    let c = config(TokenStorage::Session);
    log_in(&a, &c);
    let b = a.duplicate();
    assert!(forced(&a, &c).is_ok());
    let e = forced(&b, &c).unwrap_err();
    assert_eq!(e.code, Code::LoginRequired);
    assert!(
        e.description.as_str().contains("copy"),
        "{}",
        e.description.as_str()
    );
    let refreshes = |sim: &Sim| {
        sim.server()
            .requests("/token")
            .into_iter()
            .filter(|s| s.params["grant_type"] == "refresh_token")
            .count()
    };
    assert_eq!(refreshes(&a), 1, "the copy sent nothing");
    assert!(
        block_on(session_info(&b, &c)).unwrap().is_none(),
        "the copy ended"
    );
    // The original was not logged out by the server.
    assert!(forced(&a, &c).is_ok());
    assert!(forced(&a, &c).is_ok());
    // The other way round: the copy refreshes first, and the original is the one that asks.
    let d = a.duplicate();
    assert!(forced(&d, &c).is_ok());
    assert_eq!(forced(&a, &c).unwrap_err().code, Code::LoginRequired);
    assert!(forced(&d, &c).is_ok());
}

/// L12: a server that does not rotate refresh tokens: nothing is recorded, and both copies
/// keep refreshing with the token they share (its reuse is what that server expects).
#[test]
fn copies_of_a_session_whose_server_does_not_rotate_both_refresh() {
    let a = Sim::new();
    let c = config(TokenStorage::Session);
    a.server().rotate = false;
    log_in(&a, &c);
    let b = a.duplicate();
    for _ in 0..2 {
        assert!(forced(&a, &c).is_ok());
        assert!(forced(&b, &c).is_ok());
    }
}

/// Review round 2, L13: a DPoP server's nonce is kept for the origin's next pages. A page
/// that starts after the login (a reload, another tab) refreshes with one request, not two:
/// before, each new page's first token request was answered `use_dpop_nonce`, and a refresh
/// under the cross-tab lock took two requests.
#[test]
fn a_new_page_sends_the_dpop_nonce_the_server_gave_before() {
    let sim = Sim::new();
    sim.server().dpop_nonce = Some("n1".into());
    let c = dpop_config();
    log_in(&sim, &c);
    assert_eq!(
        sim.server().requests("/token").len(),
        2,
        "use_dpop_nonce, then again"
    );
    let next_page = sim.reload();
    assert!(forced(&next_page, &c).is_ok());
    assert_eq!(
        sim.server().requests("/token").len(),
        3,
        "the refresh: one request"
    );
}

fn refreshes(sim: &Sim) -> usize {
    sim.server()
        .requests("/token")
        .into_iter()
        .filter(|s| s.params["grant_type"] == "refresh_token")
        .count()
}

/// Issue 26, 4: a server that says when its session ends (Keycloak's `refresh_expires_in`,
/// Entra ID's `refresh_token_expires_in`): `sessionExpiresAt` says it, the listeners get
/// `expiring` the configured time before, the session refreshes until then, and past it the
/// refresh token is not sent (the answer could only be `invalid_grant`): `expired`.
#[test]
fn the_end_a_server_gives_its_session_is_reported_before_it_comes() {
    for member in ["refresh_expires_in", "refresh_token_expires_in"] {
        let sim = Sim::new();
        sim.server().session_max = Some((member, 8 * 3600));
        sim.server().ttl = 3600;
        let c = Config {
            expiring_notice_secs: 300,
            ..config(TokenStorage::Session).into_inner()
        }
        .validated()
        .unwrap();
        sim.tab.listening.set(true);
        log_in(&sim, &c);
        let end = T0 + 8 * 3600;
        let info = block_on(session_info(&sim, &c)).unwrap().unwrap();
        assert_eq!(info.session_expires_at, Some(end), "{member}");
        // Refreshed along the way: the end stays where the server put it.
        sim.advance(4 * 3600);
        assert!(token(&sim, &c).is_ok());
        let info = block_on(session_info(&sim, &c)).unwrap().unwrap();
        assert_eq!(info.session_expires_at, Some(end));
        assert!(!sim.events().contains(&Kind::Expiring));
        // Five minutes before the end: `expiring`, once.
        sim.advance(4 * 3600 - 301);
        assert!(!sim.events().contains(&Kind::Expiring));
        sim.advance(1);
        assert_eq!(
            sim.events()
                .iter()
                .filter(|k| **k == Kind::Expiring)
                .count(),
            1,
            "{member}: {:?}",
            sim.events()
        );
        // The app could still get a token until the end.
        assert!(token(&sim, &c).is_ok());
        let sent = refreshes(&sim);
        sim.advance(301);
        let e = token(&sim, &c).unwrap_err();
        assert_eq!(e.code, Code::LoginRequired);
        assert_eq!(refreshes(&sim), sent, "no refresh past the end");
        assert_eq!(sim.events().last(), Some(&Kind::Expired));
    }
}

/// The timer reports `expiring` and `expired` with no call of the app, even when the
/// page's timer fired late (a laptop asleep past the end); a page that subscribes after the
/// login gets its timer too.
#[test]
fn the_session_timer_reports_the_end_without_any_call() {
    let sim = Sim::new();
    sim.server().session_max = Some(("refresh_expires_in", 1800));
    sim.server().ttl = 600;
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    // A new page of the same tab subscribes: its timer is armed from the stored session.
    let page = sim.reload();
    page.tab.listening.set(true);
    block_on(watch(&page, &c));
    // Awake: the timers fire on time (the access token's staleness changes nothing).
    awake(&page, 1800 - 60);
    assert_eq!(page.events(), [Kind::Expiring]);
    assert_eq!(refreshes(&page), 0);
    // Asleep past the end: the timer fires late, and the session is over.
    page.advance(3600);
    assert_eq!(page.events(), [Kind::Expiring, Kind::Expired]);
    assert!(block_on(session_info(&page, &c)).unwrap().is_none());
}

/// Time passing on a machine that is awake: the clock moves by ten seconds at a time, and
/// each timer fires when it is due (`Sim::advance` by a longer step is a sleep: the timers
/// fire late, when the machine wakes).
fn awake(sim: &Sim, secs: u64) {
    for _ in 0..secs / 10 {
        sim.advance(10);
    }
    sim.advance(secs % 10);
}

/// Issue 26, 2: the laptop slept past the access token's expiry. When it wakes, the overdue
/// timer fires late, and the session is refreshed once in the background: the app's
/// listeners hear `refresh`, and its next call needs no request.
#[test]
fn a_machine_that_slept_refreshes_once_when_it_wakes() {
    let sim = Sim::new();
    sim.server().ttl = 600;
    sim.tab.listening.set(true);
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    // Asleep for three hours: one step of the clock.
    sim.advance(3 * 3600);
    assert_eq!(refreshes(&sim), 1);
    assert_eq!(sim.events(), [Kind::Login, Kind::Refresh]);
    assert!(token(&sim, &c).is_ok());
    assert_eq!(refreshes(&sim), 1, "the token was fresh");
    // Awake, the access token goes stale on time: nothing happens until a call.
    awake(&sim, 600);
    assert_eq!(refreshes(&sim), 1);
}

/// Issue 26, 2: coming back (`online`, visible again, restored from the back-forward cache)
/// refreshes a session whose access token expired meanwhile, once; while the server cannot
/// be reached, the refreshes back off, and events that flap send no more than one refresh
/// per `COME_BACK_SPACING_SECS`; once the network is back, the session is refreshed and the
/// listeners hear it. The session was never ended by the network.
#[test]
fn coming_back_refreshes_once_and_a_flapping_network_makes_no_storm() {
    let sim = Sim::new();
    sim.server().ttl = 600;
    sim.tab.listening.set(true);
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    sim.server().down = true;
    awake(&sim, 700);
    let before = sim.server().attempts;
    block_on(come_back(&sim, &c));
    assert_eq!(sim.server().attempts - before, 1, "one refresh tried");
    // The app calls, and the network flaps: nothing more is sent for a while.
    for _ in 0..20 {
        block_on(come_back(&sim, &c));
        assert_eq!(token(&sim, &c).unwrap_err().code, Code::NetworkError);
    }
    assert_eq!(sim.server().attempts - before, 1);
    // Events spread over the next seconds, past the first backoff (1-2 s): still none.
    for _ in 1..crate::refresh::COME_BACK_SPACING_SECS {
        sim.advance(1);
        block_on(come_back(&sim, &c));
    }
    assert_eq!(
        sim.server().attempts - before,
        1,
        "no sooner than the spacing"
    );
    sim.advance(1);
    block_on(come_back(&sim, &c));
    assert_eq!(sim.server().attempts - before, 2, "one more, spaced");
    // The network is back.
    sim.server().down = false;
    sim.advance(crate::refresh::COME_BACK_SPACING_SECS);
    block_on(come_back(&sim, &c));
    assert_eq!(refreshes(&sim), 1);
    assert_eq!(sim.events().last(), Some(&Kind::Refresh));
    assert!(token(&sim, &c).is_ok());
    assert!(!sim.events().contains(&Kind::Expired));
}

/// Issue 26, 2: failed refreshes back off: calls meanwhile get the last error at once, with
/// no request; the server's `Retry-After` (a 429) is honoured.
#[test]
fn failed_refreshes_back_off_and_honour_retry_after() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    sim.advance(3600);
    sim.server().fail.insert(
        "/token".into(),
        (429, r#"{"error":"too_many_requests"}"#.into()),
    );
    sim.server().retry_after = Some("120".into());
    assert_eq!(
        token(&sim, &c).unwrap_err().error.as_deref(),
        Some("too_many_requests")
    );
    for _ in 0..10 {
        assert_eq!(
            token(&sim, &c).unwrap_err().error.as_deref(),
            Some("too_many_requests")
        );
    }
    sim.advance(119);
    assert!(token(&sim, &c).is_err());
    assert_eq!(
        sim.server().requests("/token").len(),
        2,
        "the login's and one refresh"
    );
    sim.advance(1);
    assert!(
        token(&sim, &c).is_ok(),
        "after Retry-After, the refresh is sent"
    );
    assert_eq!(refreshes(&sim), 2);
}

/// `Retry-After` as an HTTP-date (RFC 9110 10.2.3), on a device whose clock is hours off:
/// counted from the server's time, it is the two minutes the server meant (the device's
/// clock would make it two hours more, or none).
#[test]
fn retry_after_as_a_date_is_counted_on_server_time() {
    for skew in [2 * 3600, -2 * 3600] {
        let sim = Sim::new();
        sim.world.device_skew.set(skew);
        let c = config(TokenStorage::Session);
        let done = block_on(async {
            log_in_at_server(&sim, &c);
            handle_callback(&sim, &c, None).await
        });
        assert!(done.is_ok(), "{skew}: {:?}", done.err());
        sim.advance(3600);
        sim.server().fail.insert(
            "/token".into(),
            (429, r#"{"error":"too_many_requests"}"#.into()),
        );
        let at = super::sim::http_date_of(sim.world.clock.get() + 120);
        sim.server().retry_after = Some(at);
        assert!(token(&sim, &c).is_err());
        sim.advance(119);
        assert!(token(&sim, &c).is_err());
        assert_eq!(sim.server().requests("/token").len(), 2, "{skew}");
        sim.advance(1);
        assert!(token(&sim, &c).is_ok(), "{skew}: sent at the date");
        assert_eq!(refreshes(&sim), 2);
    }
}

/// Issue 26, 2: two tabs sharing a session come back at the same moment: one refresh.
#[test]
fn tabs_coming_back_together_share_one_refresh() {
    let a = Sim::new();
    let b = a.new_tab();
    let c = config(TokenStorage::Local);
    log_in(&a, &c);
    a.advance(3 * 3600);
    block_on(join::both(come_back(&a, &c), come_back(&b, &c)));
    assert_eq!(refreshes(&a), 1);
    assert!(token(&a, &c).is_ok() && token(&b, &c).is_ok());
    assert_eq!(refreshes(&a), 1);
}

/// docs/SESSION.md: a refreshed ID token that fails its checks (another user's: OIDC Core
/// 12.2) ends the session.
#[test]
fn a_refreshed_id_token_that_fails_ends_the_session() {
    let sim = Sim::new();
    sim.tab.listening.set(true);
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    sim.server().refreshed_sub = Some("mallory".into());
    let e = forced(&sim, &c).unwrap_err();
    assert_eq!(e.code, Code::IdTokenInvalid);
    assert!(block_on(session_info(&sim, &c)).unwrap().is_none());
    assert_eq!(sim.events().last(), Some(&Kind::Expired));
}

/// docs/SESSION.md: whatever userinfo answers (a 401, a 5xx, no network), the session stays.
#[test]
fn get_user_with_userinfo_reports_failures_and_keeps_the_session() {
    let sim = Sim::new();
    let c = config(TokenStorage::Session);
    log_in(&sim, &c);
    let with_userinfo = UserOptions { userinfo: true };
    for (status, body) in [(401, ""), (500, r#"{"error":"server_error"}"#)] {
        sim.server()
            .fail
            .insert("/userinfo".into(), (status, body.into()));
        assert!(
            block_on(get_user(&sim, &c, &with_userinfo)).is_err(),
            "{status}"
        );
        assert!(block_on(is_authenticated(&sim, &c)).unwrap(), "{status}");
    }
    sim.server().down = true;
    let e = block_on(get_user(&sim, &c, &with_userinfo)).unwrap_err();
    assert_eq!(e.code, Code::NetworkError);
    assert!(block_on(is_authenticated(&sim, &c)).unwrap());
    assert!(!sim.events().contains(&Kind::Expired));
}

/// Issue 26, 5: no loop. A silent login the server answers `login_required` three times in
/// a row is not tried again (the app's getAccessToken calls, its reloads: the count is in
/// the tab's sessionStorage); the error says so. A login that succeeds starts afresh.
#[test]
fn silent_logins_that_fail_the_same_way_stop_trying() {
    let sim = Sim::new();
    let c = silent_config();
    sim.server().signed_in = false;
    let shown = |sim: &Sim| sim.tab.windows.borrow().len();
    for _ in 0..3 {
        assert_eq!(token(&sim, &c).unwrap_err().code, Code::LoginRequired);
    }
    assert_eq!(shown(&sim), 3);
    let page = sim.reload();
    for _ in 0..5 {
        let e = token(&page, &c).unwrap_err();
        assert_eq!(e.code, Code::LoginRequired);
        assert!(
            e.description.as_str().contains("three times"),
            "{}",
            e.description.as_str()
        );
        let e = block_on(silent_login(&page, &c, None)).unwrap_err();
        assert!(e.description.as_str().contains("three times"));
    }
    assert!(page.tab.windows.borrow().is_empty(), "nothing more shown");
    // The user logs in: silent logins may be tried again.
    sim.server().signed_in = true;
    log_in(&page, &c);
    block_on(logout(&page, &c, &LogoutOptions::default())).unwrap();
    assert!(
        token(&page, &c).is_ok(),
        "a silent login from the server's session"
    );
    assert_eq!(shown(&page), 1);
}

/// Issue 26, 3: this device's clock is hours ahead, or behind. The login's ID token (bound
/// to the login by its nonce) teaches the offset; the session refreshes when its token
/// expires (lifetimes count on the device's own clock), the refreshed ID token is checked on
/// server time, and getSessionInfo says the offset. With the server's `Date` header readable,
/// the offset comes from it.
#[test]
fn a_device_clock_hours_off_still_logs_in_and_refreshes_on_time() {
    for skew in [3 * 3600, -3 * 3600, 26 * 3600] {
        for sends_date in [false, true] {
            let sim = Sim::new();
            sim.world.device_skew.set(skew);
            sim.server().sends_date = sends_date;
            let c = config(TokenStorage::Session);
            let done = block_on(async {
                log_in_at_server(&sim, &c);
                handle_callback(&sim, &c, None).await
            });
            assert!(done.is_ok(), "{skew} {sends_date}: {:?}", done.err());
            let info = block_on(session_info(&sim, &c)).unwrap().unwrap();
            assert_eq!(info.clock_offset_secs, -skew, "{skew} {sends_date}");
            // The access token (an hour) is used until 30 s before it expires, then
            // refreshed: the right moment, whatever the device's clock says.
            let first = token(&sim, &c).unwrap();
            sim.advance(3600 - 31);
            assert_eq!(token(&sim, &c).unwrap(), first);
            sim.advance(2);
            let refreshed = token(&sim, &c).unwrap();
            assert_ne!(refreshed, first, "{skew} {sends_date}");
            assert_eq!(refreshes(&sim), 1);
        }
    }
}

/// Issue 26, 3: DPoP proofs carry server time: a device whose clock is hours off logs in and
/// refreshes with a server that refuses stale proofs, once the server's `Date` header is
/// readable (the first proof, made on the device's clock, is refused, and sent again).
#[test]
fn dpop_proofs_are_made_on_server_time() {
    for skew in [3 * 3600, -3 * 3600] {
        let sim = Sim::new();
        sim.world.device_skew.set(skew);
        sim.server().sends_date = true;
        let c = dpop_config();
        log_in(&sim, &c);
        assert!(forced(&sim, &c).is_ok(), "{skew}");
        // The offset is known now: one request per refresh.
        let before = sim.server().requests("/token").len();
        assert!(forced(&sim, &c).is_ok());
        assert_eq!(sim.server().requests("/token").len(), before + 1);
    }
}

fn idle_config(storage: TokenStorage) -> ValidConfig {
    Config {
        idle_timeout_secs: Some(900),
        ..config(storage).into_inner()
    }
    .validated()
    .unwrap()
}

/// Issue 26, 6: with `idleTimeoutSeconds`, fifteen minutes without the user's activity end
/// the session with a logout, a minute after an `"idle"` event (the app's countdown);
/// `getSessionInfo` says when.
#[test]
fn an_idle_session_is_warned_then_logged_out() {
    let sim = Sim::new();
    sim.tab.listening.set(true);
    let c = idle_config(TokenStorage::Session);
    log_in(&sim, &c);
    let info = block_on(session_info(&sim, &c)).unwrap().unwrap();
    assert_eq!(info.idle_logout_at, Some(T0 + 900));
    awake(&sim, 839);
    assert!(!sim.events().contains(&Kind::Idle));
    awake(&sim, 1);
    assert_eq!(sim.events().last(), Some(&Kind::Idle));
    awake(&sim, 60);
    assert_eq!(sim.events().last(), Some(&Kind::Logout));
    assert!(block_on(session_info(&sim, &c)).unwrap().is_none());
    // The full logout: revoked, and on to the server's logout page (its session too).
    assert_eq!(sim.server().requests("/revoke").len(), 1);
    assert!(sim
        .tab
        .navigations
        .borrow()
        .iter()
        .any(|n| n.contains("/logout")));
}

/// `idleLogout`: the idle logout with the app's options (back to the app from the server's
/// logout page; no revocation), not logout's defaults.
#[test]
fn the_idle_logout_uses_the_configs_logout_options() {
    let sim = Sim::new();
    sim.tab.listening.set(true);
    let mut c = idle_config(TokenStorage::Session).into_inner();
    c.idle_logout.post_logout_redirect_uri = Some("https://app.example/bye".into());
    c.idle_logout.revoke = false;
    let c = c.validated().unwrap();
    log_in(&sim, &c);
    let info = block_on(session_info(&sim, &c)).unwrap().unwrap();
    assert_eq!(info.idle_logout_at, Some(T0 + 900));
    awake(&sim, 839);
    awake(&sim, 1);
    assert_eq!(sim.events().last(), Some(&Kind::Idle));
    awake(&sim, 60);
    assert_eq!(sim.events().last(), Some(&Kind::Logout));
    assert_eq!(sim.server().requests("/revoke").len(), 0);
    let navigations = sim.tab.navigations.borrow();
    let to = navigations.last().expect("on to the server's logout page");
    assert!(to.contains("/logout"), "{to}");
    let mut sent = String::new();
    crate::form::push(
        &mut sent,
        "post_logout_redirect_uri",
        "https://app.example/bye",
    );
    assert!(to.contains(&sent), "{to}");
}

/// Issue 26, 6: activity in any tab of the origin postpones the logout in every tab.
#[test]
fn activity_in_another_tab_keeps_the_session() {
    let a = Sim::new();
    let b = a.new_tab();
    a.tab.listening.set(true);
    let c = idle_config(TokenStorage::Local);
    log_in(&a, &c);
    awake(&a, 600);
    // The user types in tab b (the browser writes the moment for the origin).
    let now = a.world.clock.get().to_string();
    block_on(b.set(Store::Local, crate::idle::ACTIVITY_KEY, &now)).unwrap();
    awake(&a, 600);
    assert!(!a.events().contains(&Kind::Logout));
    assert!(
        !a.events().contains(&Kind::Idle),
        "warned 840 s after the last activity"
    );
    awake(&a, 240);
    assert_eq!(a.events().last(), Some(&Kind::Idle));
    awake(&a, 60);
    assert_eq!(a.events().last(), Some(&Kind::Logout));
    assert!(
        block_on(session_info(&b, &c)).unwrap().is_none(),
        "gone for every tab"
    );
}

/// Issue 26, 3 (docs/SECURITY.md): an ID token that fails the login's checks (another
/// login's nonce: a replay) teaches no clock offset, however far its `iat` is from now.
#[test]
fn a_login_id_token_that_fails_its_checks_teaches_no_offset() {
    let sim = Sim::new();
    sim.world.device_skew.set(3 * 3600);
    sim.server().wrong_nonce = true;
    let c = config(TokenStorage::Session);
    log_in_at_server(&sim, &c);
    let e = block_on(handle_callback(&sim, &c, None)).unwrap_err();
    assert_eq!(e.code, Code::IdTokenInvalid);
    assert_eq!(block_on(clock::offset(&sim)), 0);
    assert!(block_on(sim.get(Store::Local, crate::clock::KEY))
        .unwrap()
        .is_none());
}
