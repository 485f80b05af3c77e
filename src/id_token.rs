//! The claims checks of an ID token: OpenID Connect Core 1.0 section 3.1.3.7 (steps 2-5,
//! 9-11 and 13), and section 12.2 for an ID token that comes with a refresh. The signature
//! (step 6) is checked by the browser shell with the issuer's key before these run.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::issuer::Issuer;
use crate::json::{self, Field, Json};
use crate::secret::Secret;
use crate::transaction::Transaction;

/// `id_token_invalid`: the ID token (or its JWS encoding, `crate::jws`) fails a check named
/// by the description.
pub(crate) fn invalid(description: &'static str) -> Error {
    Error::new(Code::IdTokenInvalid, description)
}

/// What the ID token must say.
pub(crate) struct Expected<'a> {
    pub issuer: Issuer<'a>,
    pub client_id: &'a str,
    /// The login's nonce; `None` for an ID token that came with a refresh, which has none
    /// to match (12.2).
    pub nonce: Option<&'a str>,
    /// The `max_age` the login asked for: `auth_time` is then required and checked.
    pub max_age: Option<u64>,
    /// On a refresh, the claims of the ID token the session began with: the new one must be
    /// about the same user, for the same audiences and party, from the same authentication
    /// (12.2).
    pub original: Option<&'a Original>,
    /// Clock tolerance for `exp`, `iat`, `nbf` and `auth_time` (seconds).
    pub skew: u64,
}

/// What OIDC Core 12.2 compares a refreshed ID token with: the first ID token's claims.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct Original {
    /// With an issuer template, the tenant's issuer: a refreshed ID token may not move the
    /// session to another tenant.
    iss: String,
    sub: String,
    /// Sorted: the comparison is of the sets.
    aud: Vec<String>,
    azp: Option<String>,
    auth_time: Option<f64>,
}

impl Original {
    /// From the claims stored with the session (checked when they were received); `None`
    /// when they are not the claims of a valid ID token.
    pub(crate) fn from_claims<J: Json>(claims: &J) -> Option<Original> {
        Some(Original {
            iss: json::string(claims, "iss").ok()?,
            sub: json::string(claims, "sub").ok()?,
            aud: audiences(claims),
            azp: json::opt_string(claims, "azp").ok()?,
            auth_time: date(claims, "auth_time", false, "").ok()?,
        })
    }
}

/// `aud`: a string or an array of strings, as a sorted list (empty when malformed).
fn audiences<J: Json>(claims: &J) -> Vec<String> {
    let list = match json::opt_strings(claims, "aud") {
        Ok(Some(list)) => list,
        Err(Field::WrongType) => match json::opt_string(claims, "aud") {
            Ok(Some(one)) => vec![one],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let mut set = Vec::with_capacity(list.len());
    for a in list {
        crate::config::set_insert(&mut set, a);
    }
    set
}

/// The ID token a login's token response must carry, with what it must say. A login with a
/// nonce asked for OpenID Connect: the ID token is required (OIDC Core 3.1.3.3) and is
/// validated before anything is stored (3.1.3.7). `None` for a plain OAuth login.
/// `response_iss`: the authorization response's `iss`, when it had one (already accepted):
/// the ID token's must be the same (with an issuer template, the same tenant).
pub(crate) fn for_login<'a>(
    tx: &'a Transaction,
    config: &'a Config,
    id_token: Option<Secret>,
    response_iss: Option<&'a str>,
) -> Result<Option<(Secret, Expected<'a>)>> {
    // The transaction is this configuration's (checked by `Callback::into_code`).
    let (Some(nonce), Some(issuer)) = (&tx.nonce, Issuer::of(config)) else {
        return Ok(None);
    };
    let Some(token) = id_token else {
        return Err(invalid(t!(
            "The token response has no id_token, but the login asked for openid."
        )));
    };
    let expected = Expected {
        issuer: issuer.pinned(response_iss),
        client_id: &tx.client_id,
        nonce: Some(nonce.expose()),
        max_age: tx.max_age,
        original: None,
        skew: config.clock_skew_seconds,
    };
    Ok(Some((token, expected)))
}

/// A NumericDate claim (RFC 7519 2): required or optional, a JSON number either way.
fn date<J: Json>(
    claims: &J,
    name: &str,
    required: bool,
    what: &'static str,
) -> Result<Option<f64>> {
    match claims.get(name).filter(|v| !v.is_null()) {
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| invalid(what)),
        None if required => Err(invalid(what)),
        None => Ok(None),
    }
}

/// Checks the claims; returns the `sub`.
pub(crate) fn check<J: Json>(claims: &J, e: &Expected, now: u64) -> Result<String> {
    // Step 2: the issuer, exactly (or, with an issuer template, the template with the
    // token's own tenant: `crate::issuer`).
    let Ok(iss) = json::string(claims, "iss") else {
        return Err(invalid(t!("The ID token has no iss.")));
    };
    let tid = json::opt_string(claims, "tid").ok().flatten();
    if !e.issuer.accepts(&iss, Some(tid.as_deref().unwrap_or(""))) {
        return Err(Error::issuer_mismatch(
            Code::IdTokenInvalid,
            "The ID token's iss",
            &iss,
            e.issuer.expected(),
        ));
    }
    // 2 (claims): sub is required.
    let sub = json::string(claims, "sub").map_err(|_| invalid(t!("The ID token has no sub.")))?;
    // Step 3: aud contains client_id (a string, or an array of strings).
    let audiences = audiences(claims);
    if !audiences.iter().any(|a| a == e.client_id) {
        return Err(invalid(t!(
            "The ID token's aud does not contain the client_id."
        )));
    }
    // Steps 4-5 (of the 2014 text; 3.1.3.7 and 2 since errata 2): with several audiences,
    // azp names the party the token was issued to, and that must be this client.
    let azp = json::opt_string(claims, "azp")
        .map_err(|_| invalid(t!("The ID token's azp is not a string.")))?;
    match &azp {
        Some(a) if a != e.client_id => {
            return Err(invalid(t!("The ID token's azp is not the client_id.")))
        }
        None if audiences.len() > 1 => {
            return Err(invalid(t!(
                "The ID token has several audiences but no azp."
            )))
        }
        _ => {}
    }
    let auth_time = date(
        claims,
        "auth_time",
        e.max_age.is_some(),
        t!("The ID token has no numeric auth_time, but maxAge was asked."),
    )?;
    // 12.2: a refreshed ID token is the first one renewed: the same user, the same
    // audiences (no audience added since), the same azp (or none, as before), and the time
    // of the original authentication.
    if let Some(o) = e.original {
        let same_time = match (o.auth_time, auth_time) {
            (Some(first), Some(now_at)) => first == now_at,
            _ => true,
        };
        if o.iss != iss || o.sub != sub || o.aud != audiences || o.azp != azp || !same_time {
            return Err(invalid(
                t!("The refreshed ID token's iss, sub, aud, azp or auth_time is not the first ID token's (OIDC Core 12.2)."),
            ));
        }
    }
    let now = now as f64;
    let skew = e.skew as f64;
    // Step 9: not expired.
    let exp =
        date(claims, "exp", true, t!("The ID token has no numeric exp."))?.unwrap_or_default();
    if now >= exp + skew {
        return Err(invalid(t!("The ID token has expired (exp).")));
    }
    // Step 10: issued now, not in the future (beyond the tolerance).
    let iat =
        date(claims, "iat", true, t!("The ID token has no numeric iat."))?.unwrap_or_default();
    if iat > now + skew {
        return Err(invalid(t!("The ID token's iat is in the future.")));
    }
    // RFC 7519 4.1.5.
    if let Some(nbf) = date(
        claims,
        "nbf",
        false,
        t!("The ID token's nbf is not a number."),
    )? {
        if nbf > now + skew {
            return Err(invalid(t!("The ID token is not valid yet (nbf).")));
        }
    }
    // Step 11: the nonce of this login (replay defence).
    if let Some(nonce) = e.nonce {
        if json::opt_string(claims, "nonce").ok().flatten().as_deref() != Some(nonce) {
            return Err(invalid(t!(
                "The ID token's nonce does not match the login's."
            )));
        }
    }
    // Step 13: with max_age, auth_time is required (read above) and must be recent enough.
    if let (Some(max_age), Some(at)) = (e.max_age, auth_time) {
        if now > at + max_age as f64 + skew {
            return Err(invalid(t!(
                "The ID token's auth_time is older than maxAge."
            )));
        }
    }
    Ok(sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Code, Error};
    use crate::json::native::json;
    use serde_json::{json as j, Value};

    const NOW: u64 = 1_700_000_000;

    fn claims() -> Value {
        j!({
            "iss": "https://id.example",
            "sub": "alice",
            "aud": "spa",
            "exp": NOW + 300,
            "iat": NOW,
            "nonce": "n0nce",
            "auth_time": NOW - 100,
        })
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: Issuer::exact("https://id.example"),
            client_id: "spa",
            nonce: Some("n0nce"),
            max_age: None,
            original: None,
            skew: 60,
        }
    }

    fn with(key: &str, value: Value) -> Value {
        let mut c = claims();
        c[key] = value;
        c
    }

    fn without(key: &str) -> Value {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(key);
        c
    }

    /// The description of the failure, which names the claim.
    fn fails(c: &Value, e: &Expected) -> String {
        match check(c, e, NOW) {
            Err(Error {
                code: Code::IdTokenInvalid,
                description,
                ..
            }) => description.as_str().to_owned(),
            other => panic!("expected id_token_invalid for {c}, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_token_yields_its_sub() {
        assert_eq!(check(&claims(), &expected(), NOW).unwrap(), "alice");
        // aud as an array with just this client; extra claims are fine.
        let c = with("aud", j!(["spa"]));
        assert_eq!(check(&c, &expected(), NOW).unwrap(), "alice");
    }

    #[test]
    fn iss_must_be_the_issuer_exactly() {
        for bad in [j!("https://evil.example"), j!("https://id.example/"), j!(1)] {
            assert!(fails(&with("iss", bad), &expected()).contains("iss"));
        }
        // Both values shown, and the trailing slash pointed out.
        let d = fails(&with("iss", j!("https://id.example/")), &expected());
        assert!(
            d.contains("\"https://id.example/\"") && d.contains("trailing slash"),
            "{d}"
        );
        assert!(fails(&without("iss"), &expected()).contains("iss"));
    }

    #[test]
    fn sub_is_required_and_kept_across_refreshes() {
        assert!(fails(&without("sub"), &expected()).contains("sub"));
        assert!(fails(&with("sub", j!("")), &expected()).contains("sub"));
        let bob = Original::from_claims(&with("sub", j!("bob"))).unwrap();
        let refresh = Expected {
            nonce: None,
            original: Some(&bob),
            ..expected()
        };
        assert!(fails(&claims(), &refresh).contains("sub"));
        let alice = Original::from_claims(&claims()).unwrap();
        let same = Expected {
            nonce: None,
            original: Some(&alice),
            ..expected()
        };
        assert!(check(&without("nonce"), &same, NOW).is_ok());
    }

    #[test]
    fn a_refreshed_id_token_keeps_the_first_ones_aud_azp_and_auth_time() {
        let first = with("aud", j!(["spa", "api"]));
        let mut first = first;
        first["azp"] = j!("spa");
        let original = Original::from_claims(&first).unwrap();
        let refresh = Expected {
            nonce: None,
            original: Some(&original),
            ..expected()
        };
        // The same claims, audiences in another order: the same token renewed.
        let mut renewed = first.clone();
        renewed["aud"] = j!(["api", "spa"]);
        assert!(check(&renewed, &refresh, NOW).is_ok());
        // An audience added on refresh, even with azp set to this client: refused.
        let mut added = first.clone();
        added["aud"] = j!(["spa", "api", "other-api"]);
        assert!(fails(&added, &refresh).contains("aud"));
        // An audience dropped.
        let mut dropped = first.clone();
        dropped["aud"] = j!("spa");
        dropped.as_object_mut().unwrap().remove("azp");
        assert!(fails(&dropped, &refresh).contains("aud"));
        // azp appearing where the first token had none.
        let plain = Original::from_claims(&claims()).unwrap();
        let refresh_plain = Expected {
            nonce: None,
            original: Some(&plain),
            ..expected()
        };
        assert!(fails(&with("azp", j!("spa")), &refresh_plain).contains("azp"));
        // auth_time must stay the original authentication's.
        assert!(fails(&with("auth_time", j!(NOW - 5)), &refresh_plain).contains("auth_time"));
        assert!(check(&without("auth_time"), &refresh_plain, NOW).is_ok());
        // Claims that are not those of a valid ID token give no original.
        assert_eq!(Original::from_claims(&without("sub")), None);
        assert_eq!(Original::from_claims(&with("azp", j!(1))), None);
    }

    #[test]
    fn aud_must_contain_the_client() {
        for bad in [
            j!("other"),
            j!(["other"]),
            j!([]),
            j!(7),
            j!([7]),
            j!({"spa": true}),
        ] {
            assert!(
                fails(&with("aud", bad.clone()), &expected()).contains("aud"),
                "{bad}"
            );
        }
        assert!(fails(&without("aud"), &expected()).contains("aud"));
    }

    #[test]
    fn several_audiences_need_azp_and_azp_must_be_the_client() {
        let mut c = with("aud", j!(["spa", "api"]));
        assert!(fails(&c, &expected()).contains("azp"));
        c["azp"] = j!("api");
        assert!(fails(&c, &expected()).contains("azp"));
        c["azp"] = j!("spa");
        assert!(check(&c, &expected(), NOW).is_ok());
        // azp present with one audience must still be this client.
        assert!(fails(&with("azp", j!("other")), &expected()).contains("azp"));
        assert!(fails(&with("azp", j!(1)), &expected()).contains("azp"));
    }

    #[test]
    fn exp_with_the_clock_tolerance() {
        let skew = expected().skew;
        // Expired 59 s ago: inside the 60 s tolerance.
        assert!(check(&with("exp", j!(NOW - skew + 1)), &expected(), NOW).is_ok());
        assert!(fails(&with("exp", j!(NOW - skew)), &expected()).contains("exp"));
        assert!(fails(&with("exp", j!(NOW - 3600)), &expected()).contains("exp"));
        let strict = Expected {
            skew: 0,
            ..expected()
        };
        assert!(fails(&with("exp", j!(NOW)), &strict).contains("exp"));
        assert!(fails(&without("exp"), &expected()).contains("exp"));
        assert!(fails(&with("exp", j!("soon")), &expected()).contains("exp"));
        // Fractional NumericDate values are numbers too (RFC 7519 2).
        assert!(check(&with("exp", j!(NOW as f64 + 0.5)), &strict, NOW).is_ok());
    }

    #[test]
    fn iat_in_the_future_beyond_the_tolerance() {
        assert!(check(&with("iat", j!(NOW + 60)), &expected(), NOW).is_ok());
        assert!(fails(&with("iat", j!(NOW + 61)), &expected()).contains("iat"));
        assert!(fails(&without("iat"), &expected()).contains("iat"));
        assert!(fails(&with("iat", j!(null)), &expected()).contains("iat"));
        // An old iat alone is no reason to refuse (exp decides).
        assert!(check(&with("iat", j!(NOW - 86_400)), &expected(), NOW).is_ok());
    }

    #[test]
    fn nbf_when_present() {
        assert!(check(&with("nbf", j!(NOW + 60)), &expected(), NOW).is_ok());
        assert!(fails(&with("nbf", j!(NOW + 61)), &expected()).contains("nbf"));
        assert!(fails(&with("nbf", j!("x")), &expected()).contains("nbf"));
    }

    #[test]
    fn nonce_must_match_the_login() {
        assert!(fails(&with("nonce", j!("other")), &expected()).contains("nonce"));
        assert!(fails(&without("nonce"), &expected()).contains("nonce"));
        assert!(fails(&with("nonce", j!(1)), &expected()).contains("nonce"));
    }

    #[test]
    fn auth_time_with_max_age() {
        let asked = Expected {
            max_age: Some(300),
            ..expected()
        };
        assert!(check(&claims(), &asked, NOW).is_ok()); // 100 s ago
        assert!(check(&with("auth_time", j!(NOW - 360)), &asked, NOW).is_ok()); // within skew
        assert!(fails(&with("auth_time", j!(NOW - 361)), &asked).contains("auth_time"));
        assert!(fails(&without("auth_time"), &asked).contains("auth_time"));
        // Without max_age it may be absent, but a present one must be a number.
        assert!(check(&without("auth_time"), &expected(), NOW).is_ok());
        assert!(fails(&with("auth_time", j!("yesterday")), &expected()).contains("auth_time"));
    }

    #[test]
    fn not_an_object() {
        assert!(fails(&json("[]"), &expected()).contains("iss"));
    }

    #[test]
    fn with_an_issuer_template_the_iss_is_the_tenants_and_the_tid_says_which() {
        const A: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
        const B: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let config = crate::config::Config {
            issuer: Some("https://login.example/organizations/v2.0".into()),
            issuer_template: Some("https://login.example/{tenantid}/v2.0".into()),
            tenants: vec![A.into()],
            ..crate::config::Config::new("spa", "https://app.example/")
        };
        let e = Expected {
            issuer: Issuer::of(&config).unwrap(),
            ..expected()
        };
        let token = |iss: &str, tid: Option<&str>| {
            let mut c = with("iss", Value::String(iss.into()));
            if let Some(t) = tid {
                c["tid"] = Value::String(t.into());
            }
            c
        };
        let tenant = |t: &str| format!("https://login.example/{t}/v2.0");
        assert_eq!(
            check(&token(&tenant(A), Some(A)), &e, NOW),
            Ok("alice".into())
        );
        for (c, why) in [
            (token(&tenant(A), None), "no tid"),
            (token(&tenant(A), Some(B)), "another tid"),
            (token(&tenant(B), Some(B)), "a tenant not allowed"),
            (
                token("https://login.example/organizations/v2.0", Some(A)),
                "the discovery issuer",
            ),
            (
                token("https://login.example/{tenantid}/v2.0", Some(A)),
                "the template",
            ),
        ] {
            let d = fails(&c, &e);
            assert!(d.starts_with("The ID token's iss is"), "{why}: {d}");
        }
        // A refreshed ID token stays in the tenant of the first (OIDC Core 12.2).
        let first = token(&tenant(A), Some(A));
        let original = Original::from_claims(&first).unwrap();
        let open = crate::config::Config {
            tenants: Vec::new(),
            ..config.clone()
        };
        let refresh = Expected {
            issuer: Issuer::of(&open).unwrap(),
            nonce: None,
            original: Some(&original),
            ..expected()
        };
        assert!(check(&first, &refresh, NOW).is_ok());
        let moved = token(&tenant(B), Some(B));
        assert!(fails(&moved, &refresh).contains("OIDC Core 12.2"));
    }

    /// I9: with an issuer template, the login's ID token is from the tenant the
    /// authorization response named in its `iss`, not from another the template allows.
    #[test]
    fn a_logins_id_token_has_the_iss_of_its_authorization_response() {
        const A: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
        const B: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let tenant = |t: &str| format!("https://login.example/{t}/v2.0");
        let tx = Transaction::sample();
        let config = crate::config::Config {
            issuer: tx.issuer.clone(),
            issuer_template: Some("https://login.example/{tenantid}/v2.0".into()),
            ..crate::config::Config::new(tx.client_id.clone(), tx.redirect_uri.clone())
        };
        let token = |t: &str| {
            let mut c = claims();
            c["iss"] = Value::String(tenant(t));
            c["tid"] = Value::String(t.into());
            c["aud"] = Value::String(tx.client_id.clone());
            c["nonce"] = Value::String(tx.nonce.as_ref().unwrap().expose().into());
            c
        };
        let from_a = tenant(A);
        let secret = || Some(Secret::new("t".into()));
        let (_, pinned) = for_login(&tx, &config, secret(), Some(&from_a))
            .unwrap()
            .unwrap();
        assert!(check(&token(A), &pinned, NOW).is_ok());
        let e = check(&token(B), &pinned, NOW).unwrap_err();
        assert_eq!(e.code, Code::IdTokenInvalid);
        assert!(
            e.description.as_str().contains(&from_a),
            "{}",
            e.description.as_str()
        );
        // A response without iss: the template's rule alone.
        let (_, open) = for_login(&tx, &config, secret(), None).unwrap().unwrap();
        assert!(check(&token(B), &open, NOW).is_ok());
    }

    #[test]
    fn a_login_with_a_nonce_needs_an_id_token() {
        let tx = Transaction::sample(); // with a nonce, issuer https://id.example
        let config = crate::config::Config {
            issuer: tx.issuer.clone(),
            clock_skew_seconds: 5,
            ..crate::config::Config::new(tx.client_id.clone(), tx.redirect_uri.clone())
        };
        let e = for_login(&tx, &config, None, None).err().unwrap();
        assert_eq!(e.code, Code::IdTokenInvalid);
        let (token, expected) = for_login(&tx, &config, Some(Secret::new("t".into())), None)
            .unwrap()
            .unwrap();
        assert_eq!(token.expose(), "t");
        assert_eq!(expected.nonce, tx.nonce.as_ref().map(|n| n.expose()));
        assert_eq!(
            (expected.client_id, expected.skew, expected.max_age),
            (tx.client_id.as_str(), 5, tx.max_age)
        );
        // A plain OAuth login: no ID token needed, and one sent is not used.
        let mut plain = Transaction::sample();
        plain.nonce = None;
        assert!(
            for_login(&plain, &config, Some(Secret::new("t".into())), None)
                .unwrap()
                .is_none()
        );
    }
}
