//! Entry points of the cargo-fuzz targets (fuzz/), behind the `fuzzing` feature: each takes
//! the fuzzer's bytes to the core's parsers of untrusted input, and checks what must hold
//! whatever the input (round trips, no secret kept in a cleaned URL). A panic is a finding.
//! JSON goes through serde_json here where the wasm uses the browser's `JSON.parse`: the
//! code under test is the same, generic over `Json`.

use crate::callback::{self, ResponseMode};
use crate::form::{self, Pairs};
use crate::id_token::{self, Expected};
use crate::json::Json;
use crate::jwks;
use crate::jws::{self, Alg};
use crate::metadata::Metadata;
use crate::response;
use crate::session::Session;
use crate::token;
use crate::transaction::Transaction;
use crate::{b64url, url};
use serde_json::Value;

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://id.example";

fn text(data: &[u8]) -> Option<&str> {
    core::str::from_utf8(data).ok()
}

/// The transaction a callback is checked against: iss optional, no max_age, fresh at NOW.
fn transaction() -> Transaction {
    Transaction {
        iss_required: false,
        max_age: None,
        ..Transaction::sample()
    }
}

/// The callback URL (both response modes), its cleaning, and the URL and form helpers it
/// uses; the stored transaction's decoding.
pub fn callback(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let tx = transaction();
    // The transaction is found by the callback's state, whatever it is: every parsed
    // callback reaches the checks after the lookup.
    let stored = tx.encode();
    let config = crate::config::Config {
        issuer: tx.issuer.clone(),
        ..crate::config::Config::new(tx.client_id.clone(), tx.redirect_uri.clone())
    };
    for mode in [ResponseMode::Query, ResponseMode::Fragment] {
        if let Ok(cb) = callback::parse(s, mode) {
            if let Ok((code, ..)) = cb.into_code(Some(&stored), &config, NOW) {
                assert!(!code.expose().is_empty());
            }
        }
        // What replaceState writes must not be a callback any more: no code, no state.
        if let Some(clean) = callback::cleaned_url(s, mode) {
            assert!(callback::parse(&clean, mode).is_err(), "cleaned: {clean}");
        }
    }
    if let Some(t) = Transaction::decode(s) {
        assert_eq!(Transaction::decode(&t.encode()), Some(t));
    }
    let _ = Pairs::parse(s);
    if let Some(d) = form::decode(s) {
        let mut again = String::new();
        form::encode_into(&mut again, &d);
        assert_eq!(form::decode(&again).as_deref(), Some(d.as_str()));
    }
    let _ = url::split(s);
    let _ = url::is_safe_endpoint(s);
    let _ = url::is_safe_redirect_uri(s);
    if url::is_same_origin_path(s) {
        assert!(
            s.starts_with('/') && !s.starts_with("//") && !s.contains('\\'),
            "{s}"
        );
    }
}

/// A token endpoint response: the first two bytes pick the HTTP status, the rest is the
/// body. What is accepted must store and load unchanged.
pub fn token_response(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => return,
    };
    let Some(body) = text(body) else { return };
    let _ = response::http_error::<Value>(status, body);
    let Ok(tokens) = token::parse_response::<Value>(status, body, false) else {
        return;
    };
    assert!(!tokens.access_token.expose().is_empty());
    let session =
        Session::from_response(tokens, None, NOW, "https://id.example/token", "spa", None);
    if let Some(e) = session.expires_at {
        assert!(e >= NOW, "expires_at in the past: {e}");
    }
    assert_eq!(Session::decode(&session.encode()), Some(session));
    let _ = Session::decode(body);
}

/// A discovery (or RFC 8414) document, the cached form of one, and a JWK Set.
pub fn discovery(data: &[u8]) {
    let Some(body) = text(data) else { return };
    if let Ok(m) = Metadata::parse::<Value>(ISSUER, 200, body, NOW) {
        assert_eq!(m.issuer, ISSUER);
        assert!(url::is_safe_endpoint(&m.authorization_endpoint));
        assert!(url::is_safe_endpoint(&m.token_endpoint));
        assert_eq!(Metadata::decode(&m.encode()), Some(m));
    }
    if let Some(m) = Metadata::decode(body) {
        assert_eq!(Metadata::decode(&m.encode()), Some(m));
    }
    if let Some(set) = Value::parse(body) {
        for alg in [
            Alg::Rs256,
            Alg::Rs384,
            Alg::Rs512,
            Alg::Ps256,
            Alg::Ps384,
            Alg::Ps512,
            Alg::Es256,
            Alg::Es384,
            Alg::Es512,
            Alg::Ed25519,
        ] {
            let _ = jwks::select(&set, alg, None);
            let _ = jwks::select(&set, alg, Some("k1"));
        }
    }
    let _ = jwks::decode_cache(body, NOW);
}

/// A JWT (compact JWS) as an ID token: its decoding and algorithm policy, then the claims
/// checks; and base64url both ways.
pub fn id_token(data: &[u8]) {
    assert_eq!(b64url::decode(&b64url::encode(data)).as_deref(), Some(data));
    let Some(s) = text(data) else { return };
    let _ = b64url::decode(s);
    let expected = Expected {
        issuer: crate::issuer::Issuer::exact(ISSUER),
        client_id: "spa",
        nonce: Some("n0nce"),
        max_age: Some(300),
        original: None,
        skew: 60,
    };
    if let Ok(jws) = jws::parse::<Value>(s) {
        let _ = id_token::check(&jws.payload, &expected, NOW);
    }
    // The claims checks on any JSON, as if the signature had been good.
    if let Some(claims) = Value::parse(s) {
        if let Ok(sub) = id_token::check(&claims, &expected, NOW) {
            assert!(!sub.is_empty());
        }
        // As the renewal of itself (OIDC Core 12.2): a token that passed must pass again.
        if let Some(original) = id_token::Original::from_claims(&claims) {
            let refresh = Expected {
                nonce: None,
                original: Some(&original),
                max_age: None,
                ..expected
            };
            let first = id_token::check(
                &claims,
                &Expected {
                    original: None,
                    ..refresh
                },
                NOW,
            );
            if first.is_ok() {
                assert!(id_token::check(&claims, &refresh, NOW).is_ok());
            }
        }
    }
}
