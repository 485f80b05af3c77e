//! Choosing the issuer's key for an ID token from its JWK Set (RFC 7517 section 5, OIDC Core
//! 10.1). Only the public members WebCrypto needs are kept, so a key's `use`, `key_ops` or
//! `alg` can never make the import fail or widen what the key may do.

use crate::error::{Code, Error, Result};
use crate::id_token::invalid;
use crate::json::{self, Json};
use crate::jws::Alg;

/// A public key, reduced to the members `crypto.subtle.importKey("jwk", ...)` reads.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Jwk {
    pub kty: &'static str,
    pub members: Vec<(&'static str, String)>,
}

/// The smallest RSA modulus accepted: 2048 bits (RFC 7518 3.3 and 3.5).
const MIN_RSA_BITS: usize = 2048;

/// The bytes of a big-endian unsigned integer without its leading zero bytes.
fn significant(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or(&[])
}

/// An RSA public key strong enough to trust: a modulus of at least 2048 bits, counted
/// without leading zero bytes (a zero-padded 1024-bit modulus is as long in base64url), and
/// an odd public exponent of at least 65537 (FIPS 186-5 A.1.1; e = 3 keys are what the
/// signature-forgery attacks on sloppy PKCS#1 v1.5 verifiers need, RFC 8017 8.2).
fn is_strong_rsa(n: &str, e: &str) -> bool {
    let (Some(n), Some(e)) = (crate::b64url::decode(n), crate::b64url::decode(e)) else {
        return false;
    };
    let (n, e) = (significant(&n), significant(&e));
    let bits = match n.first() {
        Some(&top) => n.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    };
    let odd = e.last().is_some_and(|b| b & 1 == 1);
    // 65537 = 0x01_00_01: three significant bytes, or more.
    let at_least_65537 = e.len() > 3 || (e.len() == 3 && e >= [1, 0, 1].as_slice());
    bits >= MIN_RSA_BITS && odd && at_least_65537
}

/// The JWK members that carry the key, for the key type `alg` needs; `None` when `key` is
/// not such a key.
fn key_for<J: Json>(key: &J, alg: Alg) -> Option<Jwk> {
    let s = |name: &str| json::string(key, name).ok();
    let kty = s("kty")?;
    let crv = s("crv");
    let (kty, names): (&'static str, &[&'static str]) = match (alg, kty.as_str(), crv.as_deref()) {
        (Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512, "RSA", _) => {
            ("RSA", &["n", "e"])
        }
        // RFC 7518 3.4: each ES algorithm has its one curve.
        (Alg::Es256, "EC", Some("P-256"))
        | (Alg::Es384, "EC", Some("P-384"))
        | (Alg::Es512, "EC", Some("P-521")) => ("EC", &["crv", "x", "y"]),
        (Alg::Ed25519, "OKP", Some("Ed25519")) => ("OKP", &["crv", "x"]),
        _ => return None,
    };
    let mut members = Vec::with_capacity(names.len());
    for &name in names {
        members.push((name, s(name)?));
    }
    if let [(_, n), (_, e)] = members.as_slice() {
        if kty == "RSA" && !is_strong_rsa(n, e) {
            return None;
        }
    }
    Some(Jwk { kty, members })
}

/// Whether the JWK's own restrictions allow verifying `alg` signatures with it.
fn allows<J: Json>(key: &J, alg: Alg) -> bool {
    let use_ok = match json::opt_string(key, "use") {
        Ok(None) => true,
        Ok(Some(u)) => u == "sig",
        Err(_) => false,
    };
    let alg_ok = match json::opt_string(key, "alg") {
        Ok(None) => true,
        Ok(Some(a)) => alg.names().contains(&a.as_str()),
        Err(_) => false,
    };
    let ops_ok = match json::opt_strings(key, "key_ops") {
        Ok(None) => true,
        Ok(Some(ops)) => ops.iter().any(|o| o == "verify"),
        Err(_) => false,
    };
    use_ok && alg_ok && ops_ok
}

/// The key to verify a token signed with `alg` (and `kid`, when the header has one).
/// `Ok(None)`: no key matches, and a freshly fetched set may have it (the issuer rotated
/// its keys: OIDC Core 10.1.1). A token without `kid` needs exactly one candidate key.
pub(crate) fn select<J: Json>(jwks: &J, alg: Alg, kid: Option<&str>) -> Result<Option<Jwk>> {
    let keys = jwks.get("keys").and_then(|k| k.elements()).ok_or_else(|| {
        Error::new(
            Code::InvalidResponse,
            t!("The issuer's jwks_uri did not return a JWK Set."),
        )
    })?;
    let mut found: Option<Jwk> = None;
    for key in &keys {
        if let Some(want) = kid {
            if json::opt_string(key, "kid").ok().flatten().as_deref() != Some(want) {
                continue;
            }
        }
        let Some(jwk) = key_for(key, alg).filter(|_| allows(key, alg)) else {
            continue;
        };
        if found.is_some() {
            if kid.is_none() {
                return Err(invalid(t!(
                    "The ID token has no kid and the issuer has several keys for its alg."
                )));
            }
            // Two keys under one kid: the first one wins, as a kid names one key.
            continue;
        }
        found = Some(jwk);
    }
    Ok(found)
}

/// The sessionStorage key of the cached JWK Set at `jwks_uri`.
pub(crate) fn cache_key(jwks_uri: &str) -> String {
    let mut k = String::from("spa-oauth:jwks:");
    k.push_str(jwks_uri);
    k
}

/// A cache record: the JWK Set as JSON text and when it was fetched.
pub(crate) fn encode_cache(jwks: &str, fetched_at: u64) -> String {
    let mut s = String::with_capacity(jwks.len() + 64);
    crate::form::push_num(&mut s, "fetched_at", fetched_at);
    crate::form::push(&mut s, "jwks", jwks);
    s
}

/// Reads a cache record: the JSON text, if fetched less than `metadata::CACHE_SECS` before
/// `now`.
pub(crate) fn decode_cache(s: &str, now: u64) -> Option<String> {
    let mut p = crate::form::Pairs::parse(s).ok()?;
    let fetched_at = crate::form::parse_u64(&p.take("fetched_at")?)?;
    let fresh = now >= fetched_at && now - fetched_at < crate::metadata::CACHE_SECS;
    fresh.then(|| p.take("jwks")).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::native::json;

    const N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";

    fn rsa(extra: &str) -> String {
        format!(r#"{{"kty":"RSA","n":"{N}","e":"AQAB"{extra}}}"#)
    }

    const EC: &str = r#"{"kty":"EC","crv":"P-256","kid":"ec","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"secret"}"#;
    const ED: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    fn set(keys: &[&str]) -> serde_json::Value {
        json(&format!(r#"{{"keys":[{}]}}"#, keys.join(",")))
    }

    #[test]
    fn picks_the_key_by_kid_and_type_and_keeps_only_public_members() {
        let r1 = rsa(r#","kid":"r1","use":"sig","alg":"RS256","key_ops":["verify"],"ext":true"#);
        let jwks = set(&[&r1, EC, ED]);
        let k = select(&jwks, Alg::Rs256, Some("r1")).unwrap().unwrap();
        assert_eq!(k.kty, "RSA");
        assert_eq!(
            k.members,
            vec![("n", N.to_string()), ("e", "AQAB".to_string())]
        );
        let k = select(&jwks, Alg::Es256, Some("ec")).unwrap().unwrap();
        assert_eq!(k.kty, "EC");
        // The private member `d` is never passed on.
        assert!(k.members.iter().all(|(n, _)| *n != "d"));
        assert_eq!(k.members.len(), 3);
        let k = select(&jwks, Alg::Ed25519, Some("ed")).unwrap().unwrap();
        assert_eq!(k.members.first(), Some(&("crv", "Ed25519".to_string())));
    }

    #[test]
    fn each_es_algorithm_takes_only_its_curve() {
        let p384 = EC.replace("P-256", "P-384");
        let p521 = EC.replace("P-256", "P-521");
        let jwks = set(&[EC, &p384, &p521]);
        for (alg, crv) in [
            (Alg::Es256, "P-256"),
            (Alg::Es384, "P-384"),
            (Alg::Es512, "P-521"),
        ] {
            // Three EC keys and no kid in the token: only the one of the right curve counts.
            let k = select(&jwks, alg, None).unwrap().unwrap();
            assert_eq!(k.members.first(), Some(&("crv", crv.to_string())));
            let one = set(&[EC.replace("P-256", crv).as_str()]);
            let k = select(&one, alg, Some("ec")).unwrap().unwrap();
            assert_eq!(k.members.first(), Some(&("crv", crv.to_string())));
            let other = if crv == "P-256" { &p384 } else { EC };
            assert_eq!(
                select(&set(&[other]), alg, Some("ec")).unwrap(),
                None,
                "{crv}"
            );
        }
        // RSA keys serve every RS and PS algorithm.
        let r = rsa(r#","kid":"r""#);
        for alg in [Alg::Rs384, Alg::Rs512, Alg::Ps384, Alg::Ps512] {
            assert!(select(&set(&[&r]), alg, Some("r")).unwrap().is_some());
        }
    }

    #[test]
    fn unknown_kid_asks_for_a_refetch() {
        let jwks = set(&[&rsa(r#","kid":"r1""#), EC]);
        assert_eq!(select(&jwks, Alg::Rs256, Some("rotated")).unwrap(), None);
        assert_eq!(select(&set(&[]), Alg::Rs256, Some("r1")).unwrap(), None);
    }

    #[test]
    fn a_key_of_another_type_or_restricted_to_another_use_does_not_match() {
        // The kid is right but the key is for another algorithm family: the header's alg
        // decides, never the key (no RSA key used as an HMAC secret, no alg confusion).
        let jwks = set(&[EC]);
        assert_eq!(select(&jwks, Alg::Rs256, Some("ec")).unwrap(), None);
        assert_eq!(select(&jwks, Alg::Ed25519, Some("ec")).unwrap(), None);
        let restricted = [
            rsa(r#","kid":"k","use":"enc""#),
            rsa(r#","kid":"k","alg":"PS256""#),
            rsa(r#","kid":"k","alg":"RS512""#),
            rsa(r#","kid":"k","key_ops":["encrypt"]"#),
            rsa(r#","kid":"k","key_ops":"verify""#),
            rsa(r#","kid":"k","use":7"#),
        ];
        for k in &restricted {
            assert_eq!(
                select(&set(&[k]), Alg::Rs256, Some("k")).unwrap(),
                None,
                "{k}"
            );
        }
        // PS256 may use an RSA key whose alg says PS256.
        assert!(select(&set(&[&restricted[1]]), Alg::Ps256, Some("k"))
            .unwrap()
            .is_some());
        // P-384 is not P-256; a short RSA modulus is refused.
        let p384 = EC.replace("P-256", "P-384");
        assert_eq!(
            select(&set(&[&p384]), Alg::Es256, Some("ec")).unwrap(),
            None
        );
        let short = r#"{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}"#;
        assert_eq!(select(&set(&[short]), Alg::Rs256, Some("k")).unwrap(), None);
        // Missing members.
        let no_e = format!(r#"{{"kty":"RSA","kid":"k","n":"{N}"}}"#);
        assert_eq!(select(&set(&[&no_e]), Alg::Rs256, Some("k")).unwrap(), None);
    }

    #[test]
    fn rsa_keys_need_2048_significant_bits_and_an_odd_exponent_of_at_least_65537() {
        let key = |n: &str, e: &str| {
            let k = format!(r#"{{"kty":"RSA","kid":"k","n":"{n}","e":"{e}"}}"#);
            select(&set(&[&k]), Alg::Rs256, Some("k"))
                .unwrap()
                .is_some()
        };
        assert!(key(N, "AQAB"), "2048 bits, e = 65537");
        // A 1024-bit modulus padded with 128 zero bytes is 342 characters long, as long as
        // a 2048-bit one.
        let n1024 = crate::b64url::decode(N).unwrap()[..128].to_vec();
        let padded = crate::b64url::encode(&[vec![0u8; 128], n1024].concat());
        assert_eq!(padded.len(), N.len());
        assert!(!key(&padded, "AQAB"));
        // One bit short: 2047 bits.
        let mut n2047 = crate::b64url::decode(N).unwrap();
        n2047[0] = 0x7f;
        assert!(!key(&crate::b64url::encode(&n2047), "AQAB"));
        n2047[0] = 0x80;
        assert!(
            key(&crate::b64url::encode(&n2047), "AQAB"),
            "exactly 2048 bits"
        );
        // Exponents: 3, even, 65535, below 65537 but odd; a zero-padded 65537 and a larger
        // odd one are fine.
        for (e, ok) in [
            ("Aw", false),
            ("AQAA", false),
            ("__8", false),
            ("AQAB", true),
            ("AAEAAQ", true),
            ("AQAAAQ", true),
            ("", false),
            ("AA", false),
            ("!!", false),
        ] {
            assert_eq!(key(N, e), ok, "e = {e}");
        }
    }

    #[test]
    fn without_kid_exactly_one_candidate() {
        assert!(select(&set(&[&rsa(""), EC]), Alg::Rs256, None)
            .unwrap()
            .is_some());
        let two = set(&[&rsa(r#","kid":"a""#), &rsa(r#","kid":"b""#)]);
        assert_eq!(
            select(&two, Alg::Rs256, None).unwrap_err().code,
            Code::IdTokenInvalid
        );
        // With a kid, the named one of several.
        assert!(select(&two, Alg::Rs256, Some("b")).unwrap().is_some());
    }

    #[test]
    fn cache_records_expire_after_an_hour() {
        let rec = encode_cache(r#"{"keys":[{"x":"a&b=c"}]}"#, 1000);
        assert_eq!(
            decode_cache(&rec, 1000).as_deref(),
            Some(r#"{"keys":[{"x":"a&b=c"}]}"#)
        );
        assert!(decode_cache(&rec, 4599).is_some());
        assert_eq!(decode_cache(&rec, 4600), None);
        assert_eq!(decode_cache(&rec, 999), None, "fetched in the future");
        assert_eq!(decode_cache("jwks=x", 1000), None);
        assert_eq!(decode_cache("garbage&&=", 1000), None);
    }

    #[test]
    fn a_document_that_is_not_a_jwk_set_is_an_invalid_response() {
        for bad in [r#"{}"#, r#"{"keys":{}}"#, r#"[]"#] {
            assert_eq!(
                select(&json(bad), Alg::Rs256, None).unwrap_err().code,
                Code::InvalidResponse
            );
        }
        // Members that are not keys are skipped, not fatal.
        assert_eq!(
            select(&json(r#"{"keys":[1,"x",null]}"#), Alg::Rs256, None).unwrap(),
            None
        );
    }
}
