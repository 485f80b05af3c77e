//! DPoP (RFC 9449): sender-constrained tokens. The decisions and the text of every proof are
//! here; the key pair (non-extractable, in IndexedDB) and the signature are the platform's
//! (`Platform::dpop_key`, `Platform::dpop_sign`).
//!
//! A proof is a JWT signed with the session's private key, naming the request it goes with:
//! its method (`htm`), its URL without query and fragment (`htu`), when (`iat`), a unique id
//! (`jti`), the server's `nonce` when it asked for one, and with an access token the token's
//! hash (`ath`). A token bound to the key (`cnf.jkt`) is worth nothing without a fresh proof,
//! so a token read out of storage by someone without the key is refused by the resource
//! server (RFC 9449 1, 7).

use crate::b64url;
use crate::error::{Code, Error, Result};

/// Prefix of the names of the key pairs: one pair per login (review round 2, L8). A login
/// that fails or is abandoned (a popup closed, a silent login refused) leaves the live
/// session's pair alone: the old pair is deleted only once the new session is stored.
const KEY_PREFIX: &str = "spa-oauth:dpop:";

/// The name of a new login's key pair, from 32 random bytes.
pub(crate) fn key_name(random: &[u8; 32]) -> String {
    let mut name = String::from(KEY_PREFIX);
    name.push_str(&b64url::encode(random));
    name
}

/// Whether a stored name is one `key_name` makes (storage is input).
pub(crate) fn is_key_name(s: &str) -> bool {
    s.strip_prefix(KEY_PREFIX)
        .is_some_and(|id| id.len() == 43 && crate::pkce::is_verifier(id))
}

/// A pair no session took once its login can no longer complete (the transaction's
/// `MAX_AGE_SECS`, and a minute for the token request) is an orphan: a login abandoned at
/// the server, a tab closed on the way. Made before the returned moment: swept.
pub(crate) fn pending_before(now: u64) -> u64 {
    now.saturating_sub(crate::transaction::MAX_AGE_SECS + 60)
}

/// A pair a session took and that no login or refresh used for this long belongs to a
/// session that is gone without a logout (a session in sessionStorage dies with its tab,
/// and its pair would stay in IndexedDB forever). Swept at the next login.
pub(crate) const IDLE_SECS: u64 = 30 * 86_400;

/// The public half of a P-256 key pair: its coordinates, base64url (RFC 7518 6.2.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct PublicKey {
    pub x: String,
    pub y: String,
}

impl PublicKey {
    /// The key as a JWK with the members RFC 7638 3.2 requires, in its order: the text whose
    /// SHA-256 is the thumbprint, and the `jwk` of every proof's header.
    pub(crate) fn jwk(&self) -> String {
        let mut s = String::with_capacity(128);
        s.push_str(r#"{"crv":"P-256","kty":"EC","x":""#);
        s.push_str(&self.x);
        s.push_str(r#"","y":""#);
        s.push_str(&self.y);
        s.push_str(r#""}"#);
        s
    }

    /// A key the platform gave: coordinates of 32 bytes (43 base64url characters).
    pub(crate) fn of(x: String, y: String) -> Result<PublicKey> {
        let ok = |c: &str| c.len() == 43 && b64url::decode(c).is_some();
        if ok(&x) && ok(&y) {
            Ok(PublicKey { x, y })
        } else {
            Err(Error::new(
                Code::InvalidResponse,
                t!("The DPoP key pair is not a P-256 key."),
            ))
        }
    }
}

/// RFC 9449 4.2 (`htu`): the request's URL without its query and fragment. `None` for a URL
/// that is not an absolute http(s) URL or holds a character a JSON string would need to
/// escape (a browser's `Request.url` percent-encodes them).
pub(crate) fn htu(url: &str) -> Option<&str> {
    let parts = crate::url::split(url)?;
    let end = parts.origin.len() + parts.path.len();
    let htu = url.get(..end)?;
    (!htu.contains('"')).then_some(htu)
}

/// RFC 9449 8: a nonce is NQCHAR (RFC 6749 A): no quote or backslash, so it goes into the
/// proof's JSON as it is.
pub(crate) fn is_nonce(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 1024
        && s.bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// What a proof says about its request (RFC 9449 4.2).
pub(crate) struct Claims<'a> {
    /// The HTTP method, as sent (`POST`, `GET`, ...).
    pub htm: &'a str,
    pub htu: &'a str,
    pub iat: u64,
    /// 32 random bytes, base64url.
    pub jti: &'a str,
    pub nonce: Option<&'a str>,
    /// base64url SHA-256 of the access token, on requests that carry one (RFC 9449 4.2).
    pub ath: Option<&'a str>,
}

/// The JWS signing input of a proof (header and claims, base64url, joined by a dot): what the
/// platform signs with ES256.
pub(crate) fn signing_input(key: &PublicKey, c: &Claims) -> Result<String> {
    let method_ok = !c.htm.is_empty() && c.htm.bytes().all(|b| b.is_ascii_alphabetic());
    if !method_ok || c.nonce.is_some_and(|n| !is_nonce(n)) {
        return Err(Error::new(
            Code::InvalidConfig,
            t!("This request cannot carry a DPoP proof (its method or the server's nonce)."),
        ));
    }
    let mut header = String::from(r#"{"typ":"dpop+jwt","alg":"ES256","jwk":"#);
    header.push_str(&key.jwk());
    header.push('}');
    let mut claims = String::with_capacity(256);
    let members = [
        Some(("htm", c.htm)),
        Some(("htu", c.htu)),
        Some(("jti", c.jti)),
        c.nonce.map(|n| ("nonce", n)),
        c.ath.map(|a| ("ath", a)),
    ];
    claims.push('{');
    for (name, value) in members.into_iter().flatten() {
        claims.push('"');
        claims.push_str(name);
        claims.push_str(r#"":""#);
        claims.push_str(value);
        claims.push_str(r#"","#);
    }
    claims.push_str(r#""iat":"#);
    crate::form::push_u64(&mut claims, c.iat);
    claims.push('}');
    let mut input = b64url::encode(header.as_bytes());
    input.push('.');
    input.push_str(&b64url::encode(claims.as_bytes()));
    Ok(input)
}

/// The compact proof: the signing input and the signature (the 64 bytes of r and s,
/// RFC 7518 3.4, which is what WebCrypto's ECDSA gives).
pub(crate) fn proof(input: &str, signature: &[u8]) -> String {
    let mut p = String::with_capacity(input.len() + 90);
    p.push_str(input);
    p.push('.');
    p.push_str(&b64url::encode(signature));
    p
}

/// Whether a token endpoint's answer asks for a nonce (RFC 9449 8): a 400 with
/// `use_dpop_nonce`, and a `DPoP-Nonce` to use. Then the request is sent once more.
pub(crate) fn token_endpoint_wants_nonce(error: &Error, nonce: Option<&str>) -> bool {
    error.error.as_deref() == Some("use_dpop_nonce") && nonce.is_some_and(is_nonce)
}

/// Whether a resource server's answer asks for a nonce (RFC 9449 9): a 401 whose
/// `WWW-Authenticate` has the DPoP scheme with `error="use_dpop_nonce"`, and a `DPoP-Nonce`.
pub(crate) fn resource_wants_nonce(
    status: u16,
    www_authenticate: Option<&str>,
    nonce: Option<&str>,
) -> bool {
    // The challenges and their parameters, split at commas (no substring search: core's
    // string searcher costs the wasm 1.4 KB): a `DPoP` challenge, and the error parameter.
    let asks = www_authenticate.is_some_and(|w| {
        let w = w.to_ascii_lowercase();
        let mut dpop = false;
        let mut error = false;
        for part in w.split(',').map(str::trim_start) {
            let param = match part.strip_prefix("dpop ") {
                Some(rest) => {
                    dpop = true;
                    rest.trim_start()
                }
                None => part,
            };
            error |= param == "error=\"use_dpop_nonce\"";
        }
        dpop && error
    });
    status == 401 && asks && nonce.is_some_and(is_nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PublicKey {
        // RFC 7638 3.1's example is RSA; this is the P-256 key of RFC 7515 A.3.
        PublicKey::of(
            "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU".into(),
            "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0".into(),
        )
        .unwrap()
    }

    #[test]
    fn the_thumbprint_input_is_rfc_7638s() {
        assert_eq!(
            key().jwk(),
            r#"{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#
        );
        assert!(PublicKey::of("short".into(), key().y).is_err());
        assert!(PublicKey::of(key().x, "!".repeat(43)).is_err());
    }

    #[test]
    fn htu_leaves_out_query_and_fragment() {
        assert_eq!(
            htu("https://api.example/a/b?x=1#f"),
            Some("https://api.example/a/b")
        );
        assert_eq!(htu("https://id.example"), Some("https://id.example"));
        assert_eq!(
            htu("http://localhost:4000/token"),
            Some("http://localhost:4000/token")
        );
        for bad in [
            "/relative",
            "ftp://x/",
            "https://a.example/\"",
            "https://a b/",
        ] {
            assert_eq!(htu(bad), None, "{bad}");
        }
    }

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&b64url::decode(part).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_names_its_request() {
        let c = Claims {
            htm: "POST",
            htu: "https://id.example/token",
            iat: 1_700_000_000,
            jti: "j1",
            nonce: Some("n-1"),
            ath: None,
        };
        let input = signing_input(&key(), &c).unwrap();
        let (h, p) = input.split_once('.').unwrap();
        let header = decode(h);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"]["x"], key().x);
        assert!(header["jwk"].get("d").is_none(), "never the private key");
        let claims = decode(p);
        assert_eq!(
            claims,
            serde_json::json!({"htm":"POST","htu":"https://id.example/token","jti":"j1",
                "nonce":"n-1","iat":1_700_000_000u64})
        );
        let with_ath = Claims {
            nonce: None,
            ath: Some("fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"),
            ..c
        };
        let claims = decode(
            signing_input(&key(), &with_ath)
                .unwrap()
                .split_once('.')
                .unwrap()
                .1,
        );
        assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        assert!(claims.get("nonce").is_none());
        assert_eq!(proof("a.b", &[0xff; 2]), "a.b.__8");
    }

    #[test]
    fn a_nonce_or_method_that_would_break_the_json_is_refused() {
        for (htm, nonce) in [
            ("POST", "a\"b"),
            ("POST", "a\\b"),
            ("POST", ""),
            ("PO\"ST", "n"),
            ("", "n"),
        ] {
            let c = Claims {
                htm,
                htu: "https://id.example/token",
                iat: 1,
                jti: "j",
                nonce: Some(nonce),
                ath: None,
            };
            assert!(signing_input(&key(), &c).is_err(), "{htm} {nonce}");
        }
    }

    #[test]
    fn when_a_server_asks_for_a_nonce() {
        let e = |error: &str| Error::from_server(error.into(), None, None).unwrap();
        assert!(token_endpoint_wants_nonce(&e("use_dpop_nonce"), Some("n")));
        assert!(!token_endpoint_wants_nonce(&e("use_dpop_nonce"), None));
        assert!(!token_endpoint_wants_nonce(
            &e("invalid_dpop_proof"),
            Some("n")
        ));
        let www = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#;
        assert!(resource_wants_nonce(401, Some(www), Some("n")));
        assert!(resource_wants_nonce(
            401,
            Some(&www.replace("DPoP", "dpop")),
            Some("n")
        ));
        assert!(resource_wants_nonce(
            401,
            Some(&["Bearer realm=\"x\", ", www].concat()),
            Some("n")
        ));
        assert!(!resource_wants_nonce(400, Some(www), Some("n")));
        assert!(!resource_wants_nonce(401, Some(www), None));
        assert!(!resource_wants_nonce(
            401,
            Some(r#"DPoP error="invalid_token""#),
            Some("n")
        ));
        assert!(!resource_wants_nonce(
            401,
            Some(r#"Bearer error="use_dpop_nonce""#),
            Some("n")
        ));
        assert!(!resource_wants_nonce(401, None, Some("n")));
    }
}
