//! Compact JWS (RFC 7515 section 7.1) as ID tokens use it: split, decode, and the algorithm
//! policy. The signature itself is checked by the browser's WebCrypto (`web::crypto`); this
//! module hands it the parts.

use crate::b64url;
use crate::error::{Code, Error, Result};
use crate::id_token::invalid;
use crate::json::{self, Json};

/// The signature algorithms spa-oauth verifies (RFC 7518 3.3-3.5, RFC 8037 3.1). `none` and
/// the HMAC algorithms are refused outright: an ID token "signed" with the client's own
/// public `client_id`, or not at all, proves nothing (RFC 8725 3.1 and 3.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    Es512,
    /// Ed25519 (`EdDSA` with an OKP key of curve Ed25519, or the fully-specified `Ed25519`).
    Ed25519,
}

/// Each algorithm with the `alg` names a token or a JWK restricted to it may carry. The
/// 384 and 512 variants are what Keycloak and Authentik sign with when configured to
/// (with P-384 and P-521 keys for ES384 and ES512); WebCrypto has them all.
const ALGS: &[(Alg, &[&str])] = &[
    (Alg::Rs256, &["RS256"]),
    (Alg::Rs384, &["RS384"]),
    (Alg::Rs512, &["RS512"]),
    (Alg::Ps256, &["PS256"]),
    (Alg::Ps384, &["PS384"]),
    (Alg::Ps512, &["PS512"]),
    (Alg::Es256, &["ES256"]),
    (Alg::Es384, &["ES384"]),
    (Alg::Es512, &["ES512"]),
    (Alg::Ed25519, &["EdDSA", "Ed25519"]),
];

impl Alg {
    fn from_name(name: &str) -> Option<Alg> {
        ALGS.iter()
            .find(|(_, names)| names.contains(&name))
            .map(|(a, _)| *a)
    }

    /// The `alg` names a JWK restricted to this algorithm may carry.
    pub(crate) fn names(self) -> &'static [&'static str] {
        ALGS.iter()
            .find(|(a, _)| *a == self)
            .map_or(&[], |(_, names)| names)
    }
}

/// A decoded compact JWS.
pub(crate) struct Jws<J> {
    pub alg: Alg,
    pub kid: Option<String>,
    /// The payload, parsed.
    pub payload: J,
    /// The payload as JSON text, for storing the claims as they were signed.
    pub payload_text: String,
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

/// Decodes a base64url part into a JSON object.
fn object<J: Json>(part: &str, what: &'static str) -> Result<(J, String)> {
    let text = b64url::decode(part)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| invalid(what))?;
    match J::parse(&text) {
        Some(v) if v.is_object() => Ok((v, text)),
        _ => Err(invalid(what)),
    }
}

/// Splits and decodes `token`, and applies the algorithm policy. Nothing here is trusted
/// yet: the signature is still to be checked.
pub(crate) fn parse<J: Json>(token: &str) -> Result<Jws<J>> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(
            t!("The ID token is not a signed JWT (three base64url parts); encrypted ID tokens are not supported."),
        ));
    };
    let (header, _) = object::<J>(
        h,
        t!("The ID token's header is not base64url-encoded JSON."),
    )?;
    let name = match json::opt_string(&header, "alg") {
        Ok(Some(name)) => name,
        _ => return Err(invalid(t!("The ID token's header has no alg."))),
    };
    let Some(alg) = Alg::from_name(&name) else {
        // Named, so that the server's admin knows what to change. `none` and the HMAC
        // algorithms prove nothing to a public client (RFC 8725 3.1, 3.2).
        let shown = name.get(..name.len().min(16)).unwrap_or("?");
        return Err(Error::detail(
            Code::IdTokenInvalid,
            &[
                "The ID token's alg \"",
                shown,
                t!("\" is refused or unknown: sign this client's ID tokens with RS, PS or ES 256/384/512, or EdDSA."),
            ],
        ));
    };
    // RFC 7515 4.1.11: an extension the verifier does not understand must fail it.
    if header.get("crit").is_some() {
        return Err(invalid(t!(
            "The ID token's header has crit extensions: refused."
        )));
    }
    let kid = json::opt_string(&header, "kid")
        .map_err(|_| invalid(t!("The ID token's kid is not a string.")))?;
    let (payload, payload_text) = object::<J>(
        p,
        t!("The ID token's payload is not base64url-encoded JSON."),
    )?;
    let signature = b64url::decode(s)
        .filter(|sig| !sig.is_empty())
        .ok_or_else(|| invalid(t!("The ID token's signature is not base64url.")))?;
    let signing_input = token
        .get(..h.len() + 1 + p.len())
        .unwrap_or_default()
        .into();
    Ok(Jws {
        alg,
        kid,
        payload,
        payload_text,
        signing_input,
        signature,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::b64url::encode;
    use serde_json::Value;

    /// An unsigned-looking token with the given header and payload JSON and signature bytes.
    pub(crate) fn token(header: &str, payload: &str, sig: &[u8]) -> String {
        let mut t = encode(header.as_bytes());
        t.push('.');
        t.push_str(&encode(payload.as_bytes()));
        t.push('.');
        t.push_str(&encode(sig));
        t
    }

    fn description(r: Result<Jws<Value>>) -> String {
        match r {
            Err(Error {
                code: Code::IdTokenInvalid,
                description,
                ..
            }) => description.as_str().to_owned(),
            Err(e) => panic!("wrong error {e:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn decodes_the_parts_and_keeps_the_signing_input() {
        let t = token(
            r#"{"alg":"ES256","kid":"k1"}"#,
            r#"{"sub":"a"}"#,
            &[1, 2, 3],
        );
        let jws = parse::<Value>(&t).unwrap();
        assert_eq!(jws.alg, Alg::Es256);
        assert_eq!(jws.kid.as_deref(), Some("k1"));
        assert_eq!(jws.payload["sub"], "a");
        assert_eq!(jws.payload_text, r#"{"sub":"a"}"#);
        assert_eq!(jws.signature, vec![1, 2, 3]);
        assert_eq!(
            Some(jws.signing_input.as_str()),
            t.rsplit_once('.').map(|(a, _)| a)
        );
        for (name, alg) in [
            ("RS256", Alg::Rs256),
            ("RS384", Alg::Rs384),
            ("RS512", Alg::Rs512),
            ("PS256", Alg::Ps256),
            ("PS384", Alg::Ps384),
            ("PS512", Alg::Ps512),
            ("ES384", Alg::Es384),
            ("ES512", Alg::Es512),
            ("EdDSA", Alg::Ed25519),
            ("Ed25519", Alg::Ed25519),
        ] {
            let t = token(&format!(r#"{{"alg":"{name}"}}"#), "{}", &[1]);
            assert_eq!(parse::<Value>(&t).unwrap().alg, alg);
        }
    }

    #[test]
    fn none_hmac_and_unknown_algorithms_are_refused() {
        for alg in [
            r#""none""#,
            r#""HS256""#,
            r#""HS512""#,
            r#""ES256K""#,
            r#""rs256""#,
            "null",
            "256",
        ] {
            let t = token(&format!(r#"{{"alg":{alg}}}"#), "{}", &[1]);
            assert!(description(parse(&t)).contains("alg"), "{alg}");
        }
        // The refusal names what the server used and what to change.
        let t = token(r#"{"alg":"HS256"}"#, "{}", &[1]);
        let d = description(parse(&t));
        assert!(d.contains("\"HS256\"") && d.contains("RS, PS or ES"), "{d}");
        let t = token(r#"{"typ":"JWT"}"#, "{}", &[1]);
        assert!(description(parse(&t)).contains("alg"));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = token(r#"{"alg":"RS256"}"#, "{}", &[1]);
        let (hp, _) = good.rsplit_once('.').unwrap();
        let cases = [
            String::new(),
            "a.b".into(),
            format!("{good}.extra"),                 // JWE has five parts
            format!("{hp}."),                        // empty signature: alg none in disguise
            format!("{hp}.a+b/"),                    // base64 but not base64url
            format!("x{good}"),                      // header not base64url JSON
            token("[1]", "{}", &[1]),                // header not an object
            token(r#"{"alg":"RS256"}"#, "[]", &[1]), // payload not an object
            token(r#"{"alg":"RS256"}"#, "{", &[1]),
            token(r#"{"alg":"RS256","kid":7}"#, "{}", &[1]),
            token(r#"{"alg":"RS256","crit":["b64"],"b64":false}"#, "{}", &[1]),
        ];
        for t in &cases {
            description(parse(t));
        }
        // Not UTF-8.
        let bad = format!("{}.{}.AQ", encode(&[0xff, 0xfe]), encode(b"{}"));
        description(parse(&bad));
    }
}
