//! Browser tests (headless Chromium through wasm-bindgen-test): the shell against real
//! sessionStorage, history and fetch. The token endpoint is tests/browser/token-server.mjs,
//! a real HTTP server that `npm test` starts; its address is compiled in.

use super::flows::{self, prepare_login};
use super::storage::{self, Store};
use crate::authorize::LoginOptions;
use crate::config::{Config, ValidConfig};
use crate::error::Code;
use crate::form::Pairs;
use crate::json::Json;
use crate::session::TokenOptions;
use crate::transaction::Transaction;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SERVER: &str = match option_env!("SPA_OAUTH_TEST_SERVER") {
    Some(s) => s,
    None => "http://127.0.0.1:1", // nothing listens there: every test that needs it fails
};

fn config(client: &str, extra: &str) -> ValidConfig {
    let text = format!(
        r#"{{"clientId":"{client}","redirectUri":"http://127.0.0.1/cb","authorizationEndpoint":"{SERVER}/authorize",
            "tokenEndpoint":"{SERVER}/token","scope":"offline_access"{extra}}}"#
    );
    Config::from_json(&JsValue::parse(&text).unwrap()).unwrap()
}

async fn count(key: &str) -> u32 {
    let r = super::http::send(&format!("{SERVER}/count?key={key}"), None, None, None, 5000)
        .await
        .unwrap();
    JsValue::parse(&r.body)
        .unwrap()
        .get("count")
        .unwrap()
        .as_f64()
        .unwrap() as u32
}

/// Starts a login and returns the state it sent.
async fn login(config: &ValidConfig, return_to: Option<&str>) -> String {
    let options = LoginOptions {
        return_to: return_to.map(Into::into),
        ..Default::default()
    };
    let url = prepare_login(config, &options).await.unwrap();
    let query = url.split_once('?').unwrap().1;
    Pairs::parse(query)
        .unwrap()
        .get("state")
        .unwrap()
        .to_string()
}

/// Runs two flows concurrently in this page and returns both results (errors as codes).
async fn at_once(
    a: impl std::future::Future<Output = crate::error::Result<JsValue>> + 'static,
    b: impl std::future::Future<Output = crate::error::Result<JsValue>> + 'static,
) -> js_sys::Array {
    let code = |e: crate::error::Error| JsValue::from_str(e.code.as_str());
    let a = future_to_promise(async move { a.await.map_err(code) });
    let b = future_to_promise(async move { b.await.map_err(code) });
    JsFuture::from(js_sys::Promise::all(&js_sys::Array::of2(&a, &b)))
        .await
        .unwrap()
        .into()
}

/// This page's address without query or fragment: a redirect URI whose callback can be
/// read from `location`.
fn this_page() -> String {
    let href = super::location::href().unwrap();
    let end = href.find(['?', '#']).unwrap_or(href.len());
    href[..end].to_string()
}

fn callback_url(code: &str, state: &str) -> String {
    format!("http://127.0.0.1/cb?code={code}&state={state}")
}

#[wasm_bindgen_test]
async fn transaction_round_trips_through_session_storage() {
    let c = config("tx-roundtrip", "");
    let state = login(&c, Some("/orders/42")).await;
    let stored = storage::get(Store::Session, &Transaction::key(&state))
        .unwrap()
        .expect("stored under its state");
    let tx = Transaction::decode(&stored).unwrap();
    assert_eq!(tx.state, state);
    assert_eq!(tx.verifier.expose().len(), 43);
    assert_eq!(tx.return_to.as_deref(), Some("/orders/42"));
    assert_eq!(tx.token_endpoint, format!("{SERVER}/token"));
    // Not OpenID Connect (no issuer, no openid scope): no nonce, no ID token expected.
    assert!(tx.nonce.is_none());
}

#[wasm_bindgen_test]
async fn two_logins_in_flight_do_not_overwrite_each_other() {
    let c = config("two-tx", "");
    let first = login(&c, Some("/first")).await;
    let second = login(&c, Some("/second")).await;
    assert_ne!(first, second);
    // Either may come back first; each finds its own transaction.
    let r2 = flows::handle_callback(&c, Some(&callback_url("ok-two-b", &second)))
        .await
        .unwrap();
    let r1 = flows::handle_callback(&c, Some(&callback_url("ok-two-a", &first)))
        .await
        .unwrap();
    assert_eq!(r1.return_to.as_deref(), Some("/first"));
    assert_eq!(r2.return_to.as_deref(), Some("/second"));
}

#[wasm_bindgen_test]
async fn callback_success_stores_a_session() {
    let c = config("cb-ok", "");
    let state = login(&c, None).await;
    let r = flows::handle_callback(&c, Some(&callback_url("ok-success", &state)))
        .await
        .unwrap();
    assert_eq!(r.return_to, None);
    assert_eq!(r.scope.as_deref(), Some("openid"));
    assert!(
        storage::get(Store::Session, &Transaction::key(&state))
            .unwrap()
            .is_none(),
        "transaction removed"
    );
    let token = flows::get_access_token(&c, &TokenOptions::default())
        .await
        .unwrap();
    assert!(token.starts_with("at-"));
    assert_eq!(count("ok-success").await, 1);
}

#[wasm_bindgen_test]
async fn callback_failures_have_their_codes() {
    let cases = [
        ("html-1", Code::ServerError, Some(502)),
        ("grant-1", Code::InvalidGrant, Some(400)),
        ("badjson-1", Code::InvalidResponse, Some(200)),
        ("mac-1", Code::InvalidResponse, Some(200)),
        ("redirect-1", Code::InvalidResponse, None),
    ];
    for (code, expected, status) in cases {
        let c = config(code, "");
        let state = login(&c, None).await;
        let e = flows::handle_callback(&c, Some(&callback_url(code, &state)))
            .await
            .unwrap_err();
        assert_eq!((e.code, e.status), (expected, status), "{code}");
        assert_eq!(
            flows::get_access_token(&c, &TokenOptions::default())
                .await
                .unwrap_err()
                .code,
            Code::LoginRequired,
            "{code}: no session"
        );
    }
    // The redirected token request (code and verifier in its body) was not re-sent.
    assert_eq!(count("redirect-1").await, 1);
    assert_eq!(count("elsewhere").await, 0);
}

#[wasm_bindgen_test]
async fn server_error_response_is_reported_and_no_token_request_is_sent() {
    let c = config("denied", "");
    let state = login(&c, None).await;
    let url = format!("http://127.0.0.1/cb?error=access_denied&error_description=User+said+no&state={state}&code=denied-1");
    let e = flows::handle_callback(&c, Some(&url)).await.unwrap_err();
    assert_eq!(e.code, Code::AccessDenied);
    assert_eq!(e.description.as_str(), "User said no");
    assert_eq!(count("denied-1").await, 0);
}

#[wasm_bindgen_test]
async fn unknown_or_missing_state_sends_no_token_request() {
    let c = config("state", "");
    let _ = login(&c, None).await;
    let e = flows::handle_callback(&c, Some(&callback_url("ok-forged", "forged-state")))
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::StateMismatch);
    let e = flows::handle_callback(&c, Some("http://127.0.0.1/cb?code=ok-forged"))
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::StateMismatch);
    assert_eq!(count("ok-forged").await, 0);
}

#[wasm_bindgen_test]
async fn network_failure_and_timeout() {
    let down = Config::from_json(&JsValue::parse(r#"{"clientId":"down","redirectUri":"http://127.0.0.1/cb",
        "authorizationEndpoint":"http://127.0.0.1:1/authorize","tokenEndpoint":"http://127.0.0.1:1/token"}"#).unwrap()).unwrap();
    let state = login(&down, None).await;
    let e = flows::handle_callback(&down, Some(&callback_url("x", &state)))
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::NetworkError);

    let c = config("slow", r#","httpTimeoutMs":300"#);
    let state = login(&c, None).await;
    let e = flows::handle_callback(&c, Some(&callback_url("slow-1", &state)))
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::Timeout);
}

/// L7: the 1 MB limit stops the read. Without it, the endless body is read until the
/// timeout, and the stalled one is waited for: both would end as `timeout`, not here.
#[wasm_bindgen_test]
async fn bodies_over_the_limit_are_refused_without_reading_them_whole() {
    for (path, code, status) in [
        ("/endless", Code::InvalidResponse, 200),
        ("/endless?status=502", Code::ServerError, 502),
        ("/declared-huge", Code::InvalidResponse, 200),
    ] {
        let e = super::http::send(&format!("{SERVER}{path}"), None, None, None, 20_000)
            .await
            .err()
            .unwrap_or_else(|| panic!("{path} was accepted"));
        assert_eq!((e.code, e.status), (code, Some(status)), "{path}");
    }
}

#[wasm_bindgen_test]
async fn a_code_is_never_redeemed_twice() {
    let c = config("twice", "");
    let state = login(&c, Some("/x")).await;
    let url = callback_url("ok-twice", &state);
    // Concurrently, as React StrictMode does, and then once more after both finished.
    let call = || {
        let (c, u) = (c.clone(), url.clone());
        async move {
            flows::handle_callback(&c, Some(&u))
                .await
                .map(|r| JsValue::from(r.return_to))
        }
    };
    let both = at_once(call(), call()).await;
    assert_eq!(both.get(0).as_string().as_deref(), Some("/x"));
    assert_eq!(both.get(1).as_string().as_deref(), Some("/x"));
    let again = flows::handle_callback(&c, Some(&url)).await.unwrap();
    assert_eq!(again.return_to.as_deref(), Some("/x"));
    assert_eq!(count("ok-twice").await, 1);
}

#[wasm_bindgen_test]
async fn concurrent_get_access_token_calls_share_one_refresh() {
    let c = config("refresh", "");
    let state = login(&c, None).await;
    // "short": expires_in 10 s, inside the 30 s margin, so the next call must refresh.
    flows::handle_callback(&c, Some(&callback_url("short-refresh", &state)))
        .await
        .unwrap();
    let call = || {
        let c = c.clone();
        async move {
            flows::get_access_token(&c, &TokenOptions::default())
                .await
                .map(JsValue::from)
        }
    };
    let both = at_once(call(), call()).await;
    let (ta, tb) = (
        both.get(0).as_string().unwrap(),
        both.get(1).as_string().unwrap(),
    );
    assert_eq!(ta, tb);
    assert_eq!(
        count("refresh:short-refresh").await,
        1,
        "one refresh request"
    );
    // The new token is valid for an hour: used as is, no further request.
    assert_eq!(
        flows::get_access_token(&c, &TokenOptions::default())
            .await
            .unwrap(),
        ta
    );
    assert_eq!(count("refresh:short-refresh").await, 1);
    // forceRefresh rotates again.
    let forced = flows::get_access_token(
        &c,
        &TokenOptions {
            force_refresh: true,
        },
    )
    .await
    .unwrap();
    assert_ne!(forced, ta);
    assert_eq!(count("refresh:short-refresh").await, 2);
}

#[wasm_bindgen_test]
async fn refused_refresh_ends_the_session() {
    let c = config("refused", "");
    let state = login(&c, None).await;
    flows::handle_callback(&c, Some(&callback_url("short-refused", &state)))
        .await
        .unwrap();
    // Revoke the chain behind the library's back: present the stored refresh token once.
    let stored = storage::get(Store::Session, &c.session_key())
        .unwrap()
        .unwrap();
    let session = crate::session::Session::decode(&stored).unwrap();
    let body =
        crate::token::refresh_grant("refused", None, session.refresh_token.as_ref().unwrap(), "");
    super::http::send(&format!("{SERVER}/token"), Some(&body), None, None, 5000)
        .await
        .unwrap();
    let e = flows::get_access_token(&c, &TokenOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::LoginRequired);
    assert_eq!(e.error.as_deref(), Some("invalid_grant"));
    assert!(
        storage::get(Store::Session, &c.session_key())
            .unwrap()
            .is_none(),
        "session cleared"
    );
}

#[wasm_bindgen_test]
async fn callback_cleans_the_address_bar_and_keeps_other_parameters() {
    // The callback is read from this page's address, so this page is the redirect URI.
    let c = Config {
        redirect_uri: this_page(),
        ..config("clean", "").into_inner()
    }
    .validated()
    .unwrap();
    let state = login(&c, None).await;
    let history = web_sys::window().unwrap().history().unwrap();
    let before = super::location::href().unwrap();
    let with_code = format!("?keep=1&code=ok-clean&state={state}&iss=x#section");
    history
        .replace_state_with_url(&JsValue::from_str("router-state"), "", Some(&with_code))
        .unwrap();
    flows::handle_callback(&c, None).await.unwrap();
    let after = super::location::href().unwrap();
    assert!(after.ends_with("?keep=1#section"), "{after}");
    assert!(!after.contains("code=") && !after.contains("state="));
    assert_eq!(
        history.state().unwrap().as_string().as_deref(),
        Some("router-state"),
        "router state kept"
    );
    // A second call from the same page, after the cleaning, gets the same result.
    assert!(flows::handle_callback(&c, None).await.is_ok());
    assert_eq!(count("ok-clean").await, 1);
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&before))
        .unwrap();
}

#[wasm_bindgen_test]
async fn memory_and_local_token_storage() {
    for (name, store) in [("mem", Store::Memory), ("local", Store::Local)] {
        let storage_name = if name == "mem" { "memory" } else { "local" };
        let c = config(name, &format!(r#","tokenStorage":"{storage_name}""#));
        let state = login(&c, None).await;
        flows::handle_callback(&c, Some(&callback_url(&format!("ok-{name}"), &state)))
            .await
            .unwrap();
        // The memory store is the core's; the areas are the browser's.
        let kept = match store {
            Store::Memory => {
                crate::flow::read_memory(&super::platform::Browser, Store::Memory, &c.session_key())
            }
            area => storage::get(area, &c.session_key()).unwrap(),
        };
        assert!(kept.is_some(), "{name}");
        assert!(
            storage::get(Store::Session, &c.session_key())
                .unwrap()
                .is_none(),
            "{name}: not in sessionStorage"
        );
        assert!(flows::get_access_token(&c, &TokenOptions::default())
            .await
            .is_ok());
        let _ = storage::remove(store, &c.session_key());
    }
}

#[wasm_bindgen_test]
async fn discovery_is_cached_for_the_next_login() {
    let text =
        format!(r#"{{"clientId":"disc","redirectUri":"http://127.0.0.1/cb","issuer":"{SERVER}"}}"#);
    let c = Config::from_json(&JsValue::parse(&text).unwrap()).unwrap();
    let url = prepare_login(&c, &LoginOptions::default()).await.unwrap();
    assert!(url.starts_with(&format!("{SERVER}/authorize?")));
    let cached = storage::get(Store::Session, &crate::metadata::cache_key(SERVER)).unwrap();
    assert!(cached.is_some_and(|m| m.contains("token_endpoint")));
}

#[wasm_bindgen_test]
async fn errors_reach_javascript_as_plain_objects_with_code_and_description() {
    let cfg = JsValue::parse(r#"{"clientId":"","redirectUri":"x"}"#).unwrap();
    let e = super::exports::get_access_token(cfg, JsValue::UNDEFINED)
        .await
        .unwrap_err();
    assert_eq!(
        e.get("code").and_then(|c| c.as_string()).as_deref(),
        Some("invalid_config")
    );
    assert!(e
        .get("description")
        .and_then(|c| c.as_string())
        .unwrap()
        .contains("clientId"));
}

fn discovered(client: &str, issuer: &str) -> ValidConfig {
    let text = format!(
        r#"{{"clientId":"{client}","redirectUri":"http://127.0.0.1/cb","issuer":"{issuer}"}}"#
    );
    Config::from_json(&JsValue::parse(&text).unwrap()).unwrap()
}

fn store_session(c: &Config) {
    store_tokens(c, "rt");
}

fn store_tokens(c: &Config, refresh_token: &str) {
    let text = format!("access_token=at&refresh_token={refresh_token}&token_endpoint=http%3A%2F%2F127.0.0.1%3A1%2Ft&client_id=x");
    let s = crate::session::Session::decode(&text).unwrap();
    storage::set(Store::Session, &c.session_key(), &s.encode()).unwrap();
}

#[wasm_bindgen_test]
async fn logout_reports_an_unreachable_server_and_still_clears_the_session() {
    let c = discovered("logout-down", "http://127.0.0.1:1");
    store_session(&c);
    let r = flows::logout(&c, &crate::logout::LogoutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (r.revoked, r.server_logout, r.error.map(|e| e.code)),
        (false, false, Some(Code::NetworkError)),
        "not reported as a successful logout"
    );
    assert!(
        flows::session_info(&c).await.unwrap().is_none(),
        "session cleared"
    );
}

/// Issue 16.4: one revocation request, for the refresh token; the answers real servers
/// give (204, Google's invalid_token, Cognito's unsupported_token_type) are a revocation
/// done, and a refusal is reported without failing the logout.
#[wasm_bindgen_test]
async fn logout_revokes_the_refresh_token_once_and_reads_real_servers_answers() {
    let issuer = format!("{SERVER}/revoking");
    for (i, (rt, revoked, code)) in [
        ("rt-204", true, None),
        ("rt-invalid-token", true, None),
        ("rt-unsupported", true, None),
        ("rt-refused", false, Some(Code::InvalidClient)),
    ]
    .into_iter()
    .enumerate()
    {
        let c = discovered(&format!("revoking-{i}"), &issuer);
        store_tokens(&c, rt);
        let r = flows::logout(&c, &crate::logout::LogoutOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (r.revoked, r.server_logout, r.error.map(|e| e.code)),
            (revoked, false, code),
            "{rt}"
        );
        assert_eq!(count(&format!("revoke:{rt}")).await, 1, "{rt}");
        assert_eq!(
            count("revoke:at").await,
            0,
            "the access token is not revoked separately"
        );
        assert!(flows::session_info(&c).await.unwrap().is_none());
    }
}

#[wasm_bindgen_test]
async fn logout_without_revocation_or_logout_endpoint_clears_and_resolves() {
    // The test server's discovery document has neither endpoint.
    let c = discovered("logout-local", SERVER);
    store_session(&c);
    flows::logout(&c, &crate::logout::LogoutOptions::default())
        .await
        .unwrap();
    assert!(flows::session_info(&c).await.unwrap().is_none());
}

#[wasm_bindgen_test]
async fn rfc8414_metadata_when_there_is_no_openid_configuration() {
    let issuer = format!("{SERVER}/plain");
    let c = Config::from_json(
        &JsValue::parse(&format!(
            r#"{{"clientId":"plain","redirectUri":"http://127.0.0.1/cb","issuer":"{issuer}","scope":"api"}}"#
        ))
        .unwrap(),
    )
    .unwrap();
    let url = prepare_login(&c, &LoginOptions::default()).await.unwrap();
    assert!(
        url.starts_with(&format!("{SERVER}/plain-authorize?")),
        "{url}"
    );
    let cached = storage::get(Store::Session, &crate::metadata::cache_key(&issuer)).unwrap();
    assert!(cached.is_some());
}

/// Waits `ms` milliseconds of browser time.
async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    JsFuture::from(p).await.unwrap();
}

/// Subscribes to `c`'s session events and returns the list they are recorded in.
fn record(c: &ValidConfig) -> (Rc<RefCell<Vec<&'static str>>>, super::Subscription) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s2 = seen.clone();
    let sub = super::on_session_change(c, move |e| {
        assert!(!e.external);
        s2.borrow_mut().push(e.kind.as_str())
    });
    (seen, sub)
}

#[wasm_bindgen_test]
async fn session_events_for_login_refresh_logout_and_expiry() {
    let c = config("events", "");
    let other = config("events-other", "");
    let (seen, sub) = record(&c);
    let (other_seen, _other_sub) = record(&other);
    let state = login(&c, None).await;
    flows::handle_callback(&c, Some(&callback_url("ok-events", &state)))
        .await
        .unwrap();
    flows::get_access_token(
        &c,
        &TokenOptions {
            force_refresh: true,
        },
    )
    .await
    .unwrap();
    flows::get_access_token(&c, &TokenOptions::default())
        .await
        .unwrap(); // no change, no event
    flows::logout(&c, &crate::logout::LogoutOptions::default())
        .await
        .unwrap();
    assert_eq!(*seen.borrow(), ["login", "refresh", "logout"]);
    // An access token expired with no refresh token.
    let expired = format!(
        "access_token=at&expires_at=1&token_endpoint={}&client_id=x",
        crate::form::decode(SERVER).unwrap()
    );
    storage::set(Store::Session, &c.session_key(), &expired).unwrap();
    let e = flows::get_access_token(&c, &TokenOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::LoginRequired);
    assert_eq!(*seen.borrow(), ["login", "refresh", "logout", "expired"]);
    // After unsubscribing, nothing more; another client's listener heard nothing at all.
    sub.unsubscribe();
    sub.unsubscribe();
    // A dropped subscription hears nothing either; one still held does.
    let (dropped_seen, dropped) = record(&c);
    drop(dropped);
    let (kept_seen, _kept) = record(&c);
    let state = login(&c, None).await;
    flows::handle_callback(&c, Some(&callback_url("ok-events-2", &state)))
        .await
        .unwrap();
    assert_eq!(seen.borrow().len(), 4);
    assert!(other_seen.borrow().is_empty());
    assert!(dropped_seen.borrow().is_empty());
    assert_eq!(*kept_seen.borrow(), ["login"]);
}

#[wasm_bindgen_test]
async fn expiry_is_reported_without_any_call() {
    let c = config("expiry-timer", "");
    let (seen, _sub) = record(&c);
    // 31 s left: unusable (30 s margin) one second from now, and no refresh token.
    let mut s = String::from(
        "access_token=at&token_endpoint=http%3A%2F%2F127.0.0.1%2Ft&client_id=x&expires_at=",
    );
    crate::form::push_u64(&mut s, super::now() + 31);
    let session = crate::session::Session::decode(&s).unwrap();
    storage::set(Store::Session, &c.session_key(), &s).unwrap();
    flows::arm_expiry(&c, &session);
    // Due in a second: waited for as long as a busy machine needs (no test depends on how
    // fast the machine is), and it must come.
    for _ in 0..600 {
        if seen.borrow().len() == 2 {
            break;
        }
        sleep(100).await;
    }
    // Inside the minute before its end (the default notice): `expiring` at once, then
    // `expired`.
    assert_eq!(*seen.borrow(), ["expiring", "expired"]);
    assert!(flows::session_info(&c).await.unwrap().is_none(), "cleared");
}

#[wasm_bindgen_test]
async fn the_return_from_a_logout_page_is_not_a_login_response() {
    let c = config("logout-return", "");
    storage::set(Store::Session, &crate::logout::state_key("bye"), "1").unwrap();
    let r = flows::handle_callback(&c, Some("http://127.0.0.1/cb?state=bye"))
        .await
        .unwrap();
    assert!(r.logged_out);
    assert_eq!(r.return_to, None);
    // Used once: the same URL again is a stale response.
    let e = flows::handle_callback(&c, Some("http://127.0.0.1/cb?state=bye"))
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::StateMismatch);
}

#[wasm_bindgen_test]
fn deep_nesting_and_wrong_types_through_the_browsers_json() {
    use crate::token::parse_response;
    // 400,000 levels of nesting (under the 1 MB cap) in an unknown member: JSON.parse copes,
    // and the member is ignored; as the value of a known member it is the wrong type.
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let ignored = format!(r#"{{"access_token":"a","token_type":"Bearer","x":{deep}}}"#);
    assert_eq!(
        parse_response::<JsValue>(200, &ignored, false)
            .unwrap()
            .access_token
            .expose(),
        "a"
    );
    for body in [
        format!(r#"{{"access_token":{deep},"token_type":"Bearer"}}"#),
        format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":{deep}}}"#),
        // A decimal string is the number (Azure AD B2C); anything else in a string is not.
        r#"{"access_token":"a","token_type":"Bearer","expires_in":"36e2"}"#.into(),
        r#"{"access_token":"a","token_type":["Bearer"]}"#.into(),
        r#"{"access_token":"a","token_type":"Bearer","scope":{"openid":true}}"#.into(),
    ] {
        let e = parse_response::<JsValue>(200, &body, false).err().unwrap();
        assert_eq!(e.code, Code::InvalidResponse);
    }
    // An unterminated nesting is not JSON.
    let e = parse_response::<JsValue>(200, &"[".repeat(500_000), false)
        .err()
        .unwrap();
    assert_eq!(e.code, Code::InvalidResponse);
}

/// Holds the Web Lock `name` from JavaScript, as another tab would, for `ms` milliseconds
/// (forever when negative). Resolves once the lock is held.
async fn hold_lock_elsewhere(name: &str, ms: i32) {
    let hold = js_sys::Function::new_with_args(
        "name, ms",
        "return new Promise((held) => navigator.locks.request(name, () => { held(); \
         return ms < 0 ? new Promise(() => {}) : new Promise((r) => setTimeout(r, ms)); }))",
    );
    let p = hold
        .call2(&JsValue::NULL, &name.into(), &ms.into())
        .unwrap();
    JsFuture::from(js_sys::Promise::from(p)).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_refresh_lock_tells_whether_another_holder_came_first() {
    use super::lock::with_lock;
    let free = with_lock("test:free", 1000, |contended| async move { contended }).await;
    assert!(!free, "nobody held it");

    hold_lock_elsewhere("test:held", 100).await;
    let start = js_sys::Date::now();
    let held = with_lock("test:held", 5000, |contended| async move {
        (contended, js_sys::Date::now())
    })
    .await;
    assert!(held.0, "another holder had it");
    assert!(held.1 - start >= 90.0, "ran only after the holder let go");

    // A holder that never lets go (a frozen tab) loses the lock after the wait.
    hold_lock_elsewhere("test:frozen", -1).await;
    let start = js_sys::Date::now();
    let stolen = with_lock("test:frozen", 200, |contended| async move { contended }).await;
    assert!(stolen);
    assert!(js_sys::Date::now() - start >= 190.0);
}

#[wasm_bindgen_test]
async fn waiting_for_another_tabs_write_is_bounded() {
    // No other tab writes: the wait ends at its bound.
    let start = js_sys::Date::now();
    super::events::storage_change("spa-oauth:session?nobody", 150).await;
    let waited = js_sys::Date::now() - start;
    // It ends (the bound is far above 150 ms only so that a busy machine cannot fail it).
    assert!((140.0..60_000.0).contains(&waited), "{waited}");
}

#[wasm_bindgen_test]
async fn the_session_is_read_again_whenever_its_stored_text_changes() {
    // getAccessToken keeps the last session it decoded; what another tab or the app wrote
    // since must still be what the next call sees.
    let c = config("reread", r#","tokenStorage":"local""#);
    let state = login(&c, None).await;
    flows::handle_callback(&c, Some(&callback_url("ok-reread", &state)))
        .await
        .unwrap();
    let key = c.session_key();
    let first = flows::get_access_token(&c, &TokenOptions::default())
        .await
        .unwrap();
    let info = flows::session_info(&c).await.unwrap().unwrap();
    let stored = storage::get(Store::Local, &key).unwrap().unwrap();
    let edited = stored.replace(&first, "written-by-another-tab");
    assert_ne!(edited, stored);
    storage::set(Store::Local, &key, &edited).unwrap();
    assert_eq!(
        flows::get_access_token(&c, &TokenOptions::default())
            .await
            .unwrap(),
        "written-by-another-tab"
    );
    assert_eq!(flows::session_info(&c).await.unwrap(), Some(info));
    storage::remove(Store::Local, &key).unwrap();
    assert_eq!(flows::session_info(&c).await.unwrap(), None);
    assert!(!flows::is_authenticated(&c).await.unwrap());
}

/// The `serde` feature (npm test builds the browser tests with it): the stored claims, read
/// into `IdTokenClaims` and into an app's own type; logged out is `None`.
#[cfg(feature = "serde")]
#[wasm_bindgen_test]
async fn typed_claims_for_rust_apps() {
    use crate::secret::Secret;
    use crate::session::Session;
    let c = config("typed", "");
    let options = crate::userinfo::UserOptions::default();
    let none: Option<crate::IdTokenClaims> = flows::get_user_claims(&c, &options).await.unwrap();
    assert!(none.is_none());
    let session = Session {
        access_token: Secret::new("at".into()),
        expires_at: Some(4_000_000_000),
        refresh_token: None,
        id_token: Some(Secret::new("h.p.s".into())),
        claims: Some(
            r#"{"iss":"https://id.example","sub":"u1","aud":"typed","exp":4000000000,"iat":1,"org":"acme"}"#
                .into(),
        ),
        scope: None,
        token_endpoint: format!("{SERVER}/token"),
        client_id: "typed".into(),
        dpop: false,
        dpop_key: None,
        refresh_expires_at: None,
    };
    storage::set(Store::Session, &c.session_key(), &session.encode()).unwrap();
    let user: crate::IdTokenClaims = flows::get_user_claims(&c, &options).await.unwrap().unwrap();
    assert_eq!(
        (user.sub.as_str(), user.aud.as_slice()),
        ("u1", &["typed".to_string()][..])
    );
    assert_eq!(user.additional["org"], "acme");
    #[derive(serde::Deserialize)]
    struct Mine {
        org: String,
    }
    let mine: Mine = flows::get_user_claims(&c, &options).await.unwrap().unwrap();
    assert_eq!(mine.org, "acme");
    // A type the claims do not fit: an error with a code, not a panic.
    #[derive(serde::Deserialize, Debug)]
    struct Wrong {
        #[allow(dead_code)]
        org: u32,
    }
    let e = flows::get_user_claims::<Wrong>(&c, &options)
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::InvalidResponse);
    storage::remove(Store::Session, &c.session_key()).unwrap();
}

/// The DPoP key store (pkg-template/dpop.js through web/dpop_keys.rs): a key pair is made,
/// kept (read again by name), signs (64 bytes, r and s), is replaced by a fresh one, and is
/// gone after `delete`.
#[wasm_bindgen_test]
async fn dpop_key_pairs_are_made_kept_replaced_and_deleted() {
    use super::dpop_keys::{delete, public_key, signature};
    let name = "spa-oauth:test-dpop";
    let (x, y) = public_key(name, true).await.unwrap().unwrap();
    assert_eq!((x.len(), y.len()), (43, 43));
    assert_eq!(public_key(name, false).await.unwrap(), Some((x.clone(), y)));
    let sig = signature(name, "a.b").await.unwrap().unwrap();
    assert_eq!(sig.len(), 64);
    let (x2, _) = public_key(name, true).await.unwrap().unwrap();
    assert_ne!(x, x2, "a new login gets a new key");
    // Resolves once the deletion is committed (logout awaits it before the page may leave).
    delete(name).await;
    assert_eq!(public_key(name, false).await.unwrap(), None);
    assert_eq!(
        public_key("spa-oauth:never-made", false).await.unwrap(),
        None
    );
    assert_eq!(
        signature("spa-oauth:never-made", "a.b").await.unwrap(),
        None
    );
}

/// A storage adapter made in JavaScript: `body` is the object's source, `m` a Map it uses.
fn js_adapter(body: &str) -> JsValue {
    js_sys::Function::new_no_args(&format!("const m = new Map(); return ({body});"))
        .call0(&JsValue::NULL)
        .unwrap()
}

#[wasm_bindgen_test]
async fn a_storage_adapter_with_promises_keeps_the_transaction_and_the_session() {
    use super::storage_adapter;
    // Promise-returning methods that settle on a later task, as IndexedDB does.
    let slow = js_adapter(
        "{ getItem: (k) => new Promise((r) => setTimeout(() => r(m.has(k) ? m.get(k) : null), 5)),
           setItem: (k, v) => new Promise((r) => setTimeout(() => r(m.set(k, v)), 5)),
           removeItem: (k) => new Promise((r) => setTimeout(() => r(m.delete(k)), 5)),
           map: m }",
    );
    let mut c = config("adapter", r#","tokenStorage":{},"transactionStorage":{}"#);
    let handle = storage_adapter::storage_adapter(&slow).unwrap();
    assert_eq!(
        storage_adapter::storage_adapter(&slow).unwrap(),
        handle,
        "the same object, the same handle"
    );
    c.attach_adapters(handle, handle);
    let state = login(&c, None).await;
    let map: js_sys::Map = js_sys::Reflect::get(&slow, &"map".into()).unwrap().into();
    assert!(
        map.has(&Transaction::key(&state).into()),
        "the transaction is in the adapter"
    );
    assert!(storage::get(Store::Session, &Transaction::key(&state))
        .unwrap()
        .is_none());
    flows::handle_callback(&c, Some(&callback_url("ok-adapter", &state)))
        .await
        .unwrap();
    assert!(
        !map.has(&Transaction::key(&state).into()),
        "taken at the callback"
    );
    assert!(
        map.has(&c.session_key().into()),
        "the session is in the adapter"
    );
    assert!(flows::get_access_token(&c, &TokenOptions::default())
        .await
        .is_ok());
    assert!(flows::session_info(&c).await.unwrap().is_some());
}

#[wasm_bindgen_test]
async fn a_storage_adapter_that_fails_is_storage_unavailable_and_a_bad_one_invalid_config() {
    use super::storage_adapter;
    for bad in [
        "{ getItem() {}, setItem() {} }",
        "{ getItem: 1, setItem() {}, removeItem() {} }",
    ] {
        let e = storage_adapter::storage_adapter(&js_adapter(bad)).unwrap_err();
        assert_eq!(e.code, Code::InvalidConfig, "{bad}");
    }
    // A class instance: its methods are inherited.
    let instance = js_adapter(
        "new (class { getItem(k) { return m.get(k) ?? null } setItem(k, v) { m.set(k, v) } removeItem(k) { m.delete(k) } })()",
    );
    let a = storage_adapter::storage_adapter(&instance).unwrap();
    storage_adapter::set(a, "k", "v").await.unwrap();
    assert_eq!(
        storage_adapter::get(a, "k").await.unwrap().as_deref(),
        Some("v")
    );
    storage_adapter::remove(a, "k").await.unwrap();
    assert_eq!(storage_adapter::get(a, "k").await.unwrap(), None);
    // Throwing, rejecting, or answering something that is not a string: unavailable.
    for failing in [
        "{ getItem() { throw new Error('x') }, setItem() { throw new Error('x') }, removeItem() {} }",
        "{ getItem: () => Promise.reject(new Error('x')), setItem: () => Promise.reject(1), removeItem() {} }",
        "{ getItem: async () => ({ not: 'a string' }), setItem: () => Promise.reject(1), removeItem() {} }",
    ] {
        let a = storage_adapter::storage_adapter(&js_adapter(failing)).unwrap();
        let e = storage_adapter::get(a, "k").await.unwrap_err();
        assert_eq!(e.code, Code::StorageUnavailable, "{failing}");
        let e = storage_adapter::set(a, "k", "v").await.unwrap_err();
        assert_eq!(e.code, Code::StorageUnavailable, "{failing}");
    }
}

/// L15: a config array with a hole is refused (`invalid_config`): the hole would be read from
/// `Object.prototype`, where a pollution bug put the attacker's origin, and the token would be
/// sent there. Before the fix the config validated with the polluted origin listed.
#[wasm_bindgen_test]
fn config_arrays_with_holes_are_refused_even_when_the_prototype_fills_them() {
    use js_sys::{Array, Object, Reflect};
    let prototype = Reflect::get_prototype_of(&Object::new()).unwrap();
    Reflect::set(&prototype, &"0".into(), &"https://evil.example".into()).unwrap();
    let read = |origins: &Array, key: &str| {
        let c = JsValue::parse(
            r#"{"clientId":"holes","redirectUri":"https://app.example/cb","issuer":"https://id.example","issuerTemplate":"https://id.example/{tenantid}/v2.0"}"#,
        )
        .unwrap();
        Reflect::set(&c, &key.into(), origins).unwrap();
        Config::from_json(&c)
    };
    // [ <hole>, "https://api.example" ]
    let sparse = Array::new_with_length(2);
    sparse.set(1, "https://api.example".into());
    let tenant = Array::new_with_length(2);
    tenant.set(1, "9188040d-6c67-4c5b-b112-36a304b66dad".into());
    let results = [read(&sparse, "apiOrigins"), read(&tenant, "tenants")];
    Reflect::delete_property(&prototype, &"0".into()).unwrap();
    for r in results {
        assert_eq!(r.err().map(|e| e.code), Some(Code::InvalidConfig));
    }
    // The same arrays without a hole are fine.
    sparse.set(0, "https://api2.example".into());
    let c = read(&sparse, "apiOrigins").unwrap();
    assert_eq!(
        c.api_origins,
        vec!["https://api2.example", "https://api.example"]
    );
}

/// The DPoP key store (pkg-template/dpop.js) keeps what the core's sweep needs (review
/// round 2, L8): a login's pair is pending until a session takes it; a sweep deletes the
/// pending pairs made before its first moment and the taken ones last used before its
/// second, and nothing else.
#[wasm_bindgen_test]
async fn the_dpop_key_store_sweeps_pending_and_idle_pairs_only() {
    use super::dpop_keys;
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let (pending, taken) = ("spa-oauth:dpop:test-pending", "spa-oauth:dpop:test-taken");
    for name in [pending, taken] {
        assert!(dpop_keys::public_key(name, true).await.unwrap().is_some());
    }
    dpop_keys::mark_adopted(taken).await;
    // Nothing made before an hour ago: nothing swept.
    dpop_keys::sweep_before(now - 3600, now - 3600).await;
    for name in [pending, taken] {
        assert!(dpop_keys::public_key(name, false).await.unwrap().is_some());
    }
    // Pending pairs made before a minute from now: the pending one only.
    dpop_keys::sweep_before(now + 60, now - 3600).await;
    assert!(dpop_keys::public_key(pending, false)
        .await
        .unwrap()
        .is_none());
    assert!(dpop_keys::signature(taken, "x").await.unwrap().is_some());
    // Taken pairs last used before a minute from now: the taken one too.
    dpop_keys::sweep_before(now - 3600, now + 60).await;
    assert!(dpop_keys::public_key(taken, false).await.unwrap().is_none());
}

/// Review round 2, L13: an adapter call that never settles fails as `storage_unavailable`
/// after `ADAPTER_TIMEOUT_MS`, instead of holding the refresh lock (and the app's call)
/// forever; the bound is what the lock's steal time counts on.
#[wasm_bindgen_test]
async fn an_adapter_that_never_answers_fails_as_unavailable() {
    use super::storage_adapter;
    let stuck = js_adapter(
        "{ getItem: () => new Promise(() => {}), setItem: () => new Promise(() => {}),
           removeItem: () => new Promise(() => {}) }",
    );
    let mut c = config("stuck", r#","tokenStorage":{}"#);
    let handle = storage_adapter::storage_adapter(&stuck).unwrap();
    c.attach_adapters(handle, handle);
    let e = flows::get_access_token(&c, &TokenOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::StorageUnavailable);
}

/// Review round 2, I13: two popup logins that overlap (two clicks) each show their own
/// window. Before, the popups were a stack and a login took the last one opened: the first
/// login showed its request in the second popup and the other way round.
#[wasm_bindgen_test]
fn overlapping_popup_logins_each_keep_their_own_window() {
    use super::login_window::{forget_popup, keep_popup, popup_of};
    let (first, second) = (js_sys::Object::new(), js_sys::Object::new());
    let a = keep_popup(first.clone().into());
    let b = keep_popup(second.clone().into());
    assert_ne!(a, b);
    assert_eq!(popup_of(a), JsValue::from(first));
    assert_eq!(popup_of(b), JsValue::from(second.clone()));
    forget_popup(a);
    assert!(popup_of(a).is_null());
    assert_eq!(popup_of(b), JsValue::from(second));
    forget_popup(b);
}
