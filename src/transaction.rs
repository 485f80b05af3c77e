//! The login transaction: what startLogin must remember for handleCallback (RFC 6749 4.1,
//! RFC 7636 4.5). It is kept in sessionStorage under a key derived from `state`, so two
//! logins in flight (two tabs, a double click) never overwrite each other, and the callback
//! finds its own by the `state` the server echoes back.

use crate::form::{self, Pairs};
use crate::secret::Secret;
use crate::{pkce, url};

/// How long a login may take before its transaction is refused (seconds).
pub const MAX_AGE_SECS: u64 = 600;

/// Prefix of transaction keys in sessionStorage.
pub(crate) const KEY_PREFIX: &str = "spa-oauth:tx:";

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Transaction {
    /// The `state` sent (RFC 6749 10.12): random, 43 characters of base64url.
    pub state: String,
    pub verifier: Secret,
    /// The OpenID Connect `nonce`, when `openid` was in the scope.
    pub nonce: Option<Secret>,
    pub client_id: String,
    /// Sent again in the token request, byte for byte (RFC 6749 4.1.3).
    pub redirect_uri: String,
    pub token_endpoint: String,
    pub issuer: Option<String>,
    pub scope: String,
    /// Validated same-origin path, or none.
    pub return_to: Option<String>,
    /// The server's metadata says it sends `iss` in authorization responses (RFC 9207 3):
    /// a callback without it is then refused.
    pub iss_required: bool,
    /// The `max_age` sent (OIDC Core 3.1.2.1): the ID token must then carry `auth_time`.
    pub max_age: Option<u64>,
    /// Seconds since the epoch.
    pub created_at: u64,
    /// The name of the DPoP key pair made for this login (`crate::dpop::key_name`): the code
    /// is bound to it (RFC 9449 10) and the session it makes signs with it.
    pub dpop_key: Option<String>,
}

impl Transaction {
    /// The storage key for a transaction with this state.
    pub(crate) fn key(state: &str) -> String {
        let mut k = String::from(KEY_PREFIX);
        k.push_str(state);
        k
    }

    /// Whether a stored record (under [`KEY_PREFIX`]) can no longer complete a login: damaged,
    /// or expired. Such records are swept at the next login, so abandoned logins do not pile
    /// up in sessionStorage.
    pub(crate) fn is_stale(stored: &str, now: u64) -> bool {
        Transaction::decode(stored).is_none_or(|tx| tx.is_expired(now))
    }

    pub(crate) fn is_expired(&self, now: u64) -> bool {
        // A clock that went backwards by more than the maximum age is as suspect as an old one.
        now.saturating_sub(self.created_at) > MAX_AGE_SECS || self.created_at > now + MAX_AGE_SECS
    }

    /// The stored form (form-encoded, like everything spa-oauth stores).
    pub(crate) fn encode(&self) -> String {
        let mut s = String::with_capacity(512);
        form::push(&mut s, "state", &self.state);
        form::push(&mut s, "verifier", self.verifier.expose());
        if let Some(n) = &self.nonce {
            form::push(&mut s, "nonce", n.expose());
        }
        form::push(&mut s, "client_id", &self.client_id);
        form::push(&mut s, "redirect_uri", &self.redirect_uri);
        form::push(&mut s, "token_endpoint", &self.token_endpoint);
        if let Some(i) = &self.issuer {
            form::push(&mut s, "issuer", i);
        }
        form::push(&mut s, "scope", &self.scope);
        if let Some(r) = &self.return_to {
            form::push(&mut s, "return_to", r);
        }
        if self.iss_required {
            form::push(&mut s, "iss_required", "1");
        }
        if let Some(m) = self.max_age {
            form::push_num(&mut s, "max_age", m);
        }
        form::push_num(&mut s, "created_at", self.created_at);
        if let Some(k) = &self.dpop_key {
            form::push(&mut s, "dpop_key", k);
        }
        s
    }

    /// Reads a stored transaction; `None` when anything is missing or malformed. Storage
    /// can be edited by any script of the origin, an extension or devtools: it is input like
    /// any other, and gets the checks the values got when they were first accepted (the
    /// endpoint and redirect URI rules of `Config`, the verifier syntax of RFC 7636 4.1, a
    /// same-origin `returnTo`).
    pub(crate) fn decode(s: &str) -> Option<Transaction> {
        let mut p = Pairs::parse(s).ok()?;
        let tx = Transaction {
            state: p.take("state")?,
            verifier: Secret::new(p.take("verifier")?),
            nonce: p.take("nonce").map(Secret::new),
            client_id: p.take("client_id")?,
            redirect_uri: p.take("redirect_uri")?,
            token_endpoint: p.take("token_endpoint")?,
            issuer: p.take("issuer"),
            scope: p.take("scope")?,
            return_to: p.take("return_to"),
            iss_required: p.take("iss_required").is_some(),
            max_age: match p.take("max_age") {
                Some(m) => Some(form::parse_u64(&m)?),
                None => None,
            },
            created_at: form::parse_u64(&p.take("created_at")?)?,
            dpop_key: p.take("dpop_key"),
        };
        let valid = pkce::is_verifier(&tx.state)
            && pkce::is_verifier(tx.verifier.expose())
            && tx
                .nonce
                .as_ref()
                .is_none_or(|n| pkce::is_verifier(n.expose()))
            && !tx.client_id.is_empty()
            && url::is_safe_redirect_uri(&tx.redirect_uri)
            && url::is_safe_endpoint(&tx.token_endpoint)
            && tx.issuer.as_deref().is_none_or(url::is_safe_endpoint)
            && tx.return_to.as_deref().is_none_or(url::is_same_origin_path)
            && tx.dpop_key.as_deref().is_none_or(crate::dpop::is_key_name);
        valid.then_some(tx)
    }
}

/// The sample transaction's state.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) const STATE: &str = "st4te-st4te-st4te-st4te-st4te-st4te-st4te-s";

/// The sample transaction's nonce.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) const NONCE: &str = "n0nce-n0nce-n0nce-n0nce-n0nce-n0nce-n0nce-n";

#[cfg(any(test, feature = "fuzzing"))]
impl Transaction {
    /// A complete transaction for the tests and the fuzz targets: issuer https://id.example,
    /// client "spa", state `STATE`, nonce `NONCE`, created at 1,700,000,000.
    pub(crate) fn sample() -> Transaction {
        Transaction {
            state: STATE.into(),
            verifier: Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()),
            nonce: Some(Secret::new(NONCE.into())),
            client_id: "spa".into(),
            redirect_uri: "https://app.example/cb?x=1&y=%20".into(),
            token_endpoint: "https://id.example/token".into(),
            issuer: Some("https://id.example".into()),
            scope: "openid profile".into(),
            return_to: Some("/orders/42?tab=a&b=c#top".into()),
            iss_required: true,
            max_age: Some(300),
            created_at: 1_700_000_000,
            dpop_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_storage() {
        let tx = Transaction::sample();
        assert_eq!(Transaction::decode(&tx.encode()), Some(tx));
        let mut bare = Transaction::sample();
        bare.nonce = None;
        bare.issuer = None;
        bare.return_to = None;
        bare.iss_required = false;
        bare.max_age = None;
        assert_eq!(Transaction::decode(&bare.encode()), Some(bare));
    }

    #[test]
    fn tampered_or_truncated_records_are_refused() {
        let enc = Transaction::sample().encode();
        assert_eq!(Transaction::decode(""), None);
        assert_eq!(Transaction::decode("garbage"), None);
        assert_eq!(
            Transaction::decode(&enc.replace("created_at=1700000000", "created_at=soon")),
            None
        );
        assert_eq!(
            Transaction::decode(&enc.replace("verifier=", "verifier2=")),
            None
        );
        assert_eq!(
            Transaction::decode(&enc.replace("state=st4te", "state=")),
            None
        );
        let mut twice = enc.clone();
        twice.push_str("&state=other");
        assert_eq!(Transaction::decode(&twice), None);
        let cut = enc.get(..enc.len() / 2).unwrap();
        assert_eq!(Transaction::decode(cut), None);
    }

    #[test]
    fn a_stored_record_gets_the_checks_its_values_got_when_first_accepted() {
        let ok = Transaction::sample();
        let edited = |f: &dyn Fn(&mut Transaction)| {
            let mut tx = Transaction::sample();
            f(&mut tx);
            Transaction::decode(&tx.encode())
        };
        assert_eq!(edited(&|_| {}), Some(ok));
        let bad: [&dyn Fn(&mut Transaction); 10] = [
            // Where the code and verifier would go: another scheme, plain http off loopback.
            &|t| t.token_endpoint = "javascript:alert(1)".into(),
            &|t| t.token_endpoint = "http://evil.example/token".into(),
            &|t| t.token_endpoint = "https://id.example/token#x".into(),
            &|t| t.redirect_uri = "https://app.example/cb#x".into(),
            &|t| t.issuer = Some("http://evil.example".into()),
            &|t| t.return_to = Some("//evil.example/".into()),
            &|t| t.verifier = Secret::new("short".into()),
            &|t| t.verifier = Secret::new("a".repeat(129)),
            &|t| {
                t.nonce = Some(Secret::new(
                    "bad nonce with spaces and more than 43 chars".into(),
                ))
            },
            &|t| t.client_id = String::new(),
        ];
        for (i, f) in bad.iter().enumerate() {
            assert_eq!(edited(f), None, "edit {i}");
        }
    }

    #[test]
    fn expires_after_ten_minutes() {
        let tx = Transaction::sample();
        assert!(!tx.is_expired(tx.created_at));
        assert!(!tx.is_expired(tx.created_at + 600));
        assert!(tx.is_expired(tx.created_at + 601));
        assert!(!tx.is_expired(tx.created_at - 10), "small clock step back");
        assert!(!Transaction::is_stale(&tx.encode(), tx.created_at + 600));
        assert!(Transaction::is_stale(&tx.encode(), tx.created_at + 601));
        assert!(Transaction::is_stale("garbage", tx.created_at));
        assert!(tx.is_expired(tx.created_at - 601), "created in the future");
    }

    #[test]
    fn keys_are_per_state() {
        assert_eq!(Transaction::sample().state, STATE);
        assert_eq!(Transaction::key("abc"), "spa-oauth:tx:abc");
        assert_ne!(Transaction::key("a"), Transaction::key("b"));
    }
}
