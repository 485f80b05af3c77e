//! The refresh of a session (RFC 6749 section 6, with rotation: RFC 9700 4.14.2), decided
//! here and carried out by the shell: whether a grant is needed at all once the refresh
//! lock is held, and what the answer does to the session. The shell only sends the grant,
//! reads storage and reports.
//!
//! The order the shell follows, and why the lock can be stolen safely: the rotated session
//! is stored as soon as the token response is read, before anything slow (the refreshed ID
//! token's checks may fetch metadata and keys). So the part of a refresh that another tab
//! must not overlap is bounded: the wait for another tab's write, then one request, which
//! the transport aborts after `httpTimeoutMs` (two with DPoP's nonce retry). [`lock_steal_ms`]
//! is longer than that.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::id_token::{Expected, Original};
use crate::json::Json;
use crate::secret::Secret;
use crate::session::{Next, Session};
use crate::token::{self, TokenResponse};

/// How long the browser waits for one call of the app's storage adapter (`getItem`,
/// `setItem`, `removeItem`) before it fails as `storage_unavailable`: a store that never
/// answers would otherwise hold the refresh lock forever, and a holder whose critical
/// section has no bound can have the lock taken from it while it still works (review round
/// 2, L13).
pub(crate) const ADAPTER_TIMEOUT_MS: u32 = 5_000;

/// The adapter calls of a refresh's critical section at most: the session read, read again
/// after the wait for another tab, read once more when the answer comes, the rotated
/// session written, and written again with its checked ID token.
const ADAPTER_CALLS: u32 = 5;

/// How long a tab that waited for the refresh lock waits for the holder's write to reach
/// it. Chromium delivers it within milliseconds; the bound only matters when the holder
/// wrote nothing (its request failed).
pub(crate) const STALE_READ_WAIT_MS: u32 = 1500;

/// Scheduling slack on top of the holder's bounded work (timers and tasks of a busy page).
const LOCK_SLACK_MS: u32 = 2000;

/// How long a tab waits for the cross-tab refresh lock before it takes it from the holder
/// (a frozen tab). Longer than a live holder can need before its rotated session is stored:
/// the stale-read wait, its token requests (each aborted at `timeout_ms`), its calls of the
/// app's storage adapter (`adapter`; each bounded by [`ADAPTER_TIMEOUT_MS`]), and slack. A
/// DPoP refresh may send two requests: the server may answer the first with
/// `use_dpop_nonce` (RFC 9449 8). A bound of one request, or none for the adapter, let
/// another tab take the lock from a live holder and redeem the same refresh token (review
/// round 2, L13).
pub(crate) fn lock_steal_ms(timeout_ms: u32, dpop: bool, adapter: bool) -> u32 {
    let requests = if dpop { 2 } else { 1 };
    let adapter_ms = if adapter {
        ADAPTER_TIMEOUT_MS * ADAPTER_CALLS
    } else {
        0
    };
    STALE_READ_WAIT_MS
        .saturating_add(timeout_ms.saturating_mul(requests))
        .saturating_add(adapter_ms)
        .saturating_add(LOCK_SLACK_MS)
}

/// Whether the tabs share the session (`localStorage`, or the app's adapter: IndexedDB, a
/// native bridge): its refresh, and its removal at logout, then run under the cross-tab
/// lock [`lock_name`].
pub(crate) fn shared(storage: &crate::config::TokenStorage) -> bool {
    use crate::config::TokenStorage;
    matches!(storage, TokenStorage::Local | TokenStorage::Custom(_))
}

/// Whether a refresh runs under the cross-tab lock: a shared session, and a session in
/// sessionStorage, which a duplicated tab (and any window the browser opens with a copy of
/// it) holds a copy of, refresh token included. Only a session in this page's memory has
/// no copy anywhere.
pub(crate) fn locked(storage: &crate::config::TokenStorage) -> bool {
    !matches!(storage, crate::config::TokenStorage::Memory)
}

/// Where the refresh tokens retired by rotation are recorded for the session stored under
/// `session_key` (in localStorage, under the refresh lock): the hashes of the refresh
/// tokens a page sent and the server replaced (RFC 9700 4.14.2). A copy of the session in
/// another tab still holds the old token; sending it would be a reuse, which a server
/// answers by revoking the whole grant, logging out every tab (review round 2, L12). The
/// copy finds its token here and asks for a login instead.
pub(crate) fn retired_key(session_key: &str) -> String {
    let mut key = String::from("spa-oauth:retired?");
    key.push_str(session_key);
    key
}

/// The most hashes a record keeps: a copy of a session is a tab duplicated at most a few
/// rotations ago.
const RETIRED_KEPT: usize = 16;

/// How a refresh token is recorded: the first 16 bytes of its SHA-256, base64url. Not the
/// token: the record is readable by every script of the origin, and a hash cannot be sent.
pub(crate) fn token_hash(digest: &[u8; 32]) -> String {
    crate::b64url::encode(digest.get(..16).unwrap_or_default())
}

/// Whether `record` (the text under [`retired_key`]) holds `hash`.
pub(crate) fn is_retired(record: Option<&str>, hash: &str) -> bool {
    record.is_some_and(|r| r.split(' ').any(|h| h == hash))
}

/// `record` with `hash` added (the oldest dropped beyond [`RETIRED_KEPT`]).
pub(crate) fn retire(record: Option<&str>, hash: &str) -> String {
    let mut out = String::new();
    let older = record.unwrap_or_default().split(' ');
    for h in older.filter(|h| !h.is_empty() && *h != hash) {
        out.push_str(h);
        out.push(' ');
    }
    out.push_str(hash);
    while out.split(' ').count() > RETIRED_KEPT {
        match out.split_once(' ') {
            Some((_, newer)) => out = newer.to_owned(),
            None => break,
        }
    }
    out
}

/// A copy of a session whose refresh token another page already used and the server
/// rotated away: this copy can only log in again.
pub(crate) fn copied_session() -> Error {
    crate::session::login_required(t!(
        "This tab's session is a copy of another tab's (a duplicated tab) whose refresh token was already used there: log in again."
    ))
}

/// The cross-tab lock of the session stored under `session_key`.
pub(crate) fn lock_name(session_key: &str) -> String {
    let mut name = String::from("spa-oauth:refresh:");
    name.push_str(session_key);
    name
}

/// The longest wait between two refreshes that failed without ending the session.
const MAX_BACKOFF_SECS: u64 = 300;

/// The shortest spacing of refreshes a page sends when it comes back (`online`, visible
/// again, restored from the back-forward cache): events that flap cannot make a storm.
pub(crate) const COME_BACK_SPACING_SECS: u64 = 5;

/// How long a page waits before it sends a refresh again after `failures` refreshes in a
/// row failed without ending the session (a network failure, a timeout, a 5xx, a 429, a
/// refused client): the server's `Retry-After` when it said one (RFC 9110 10.2.3, at most
/// an hour), else exponential from 1-2 s up to 150-300 s, with jitter (`random`), so that
/// the tabs and the users of a server that is down do not come back in step. Calls meanwhile
/// fail at once with the same error, and no request.
pub(crate) fn retry_delay(failures: u32, retry_after: Option<u64>, random: u8) -> u64 {
    if let Some(s) = retry_after {
        return s.min(3600);
    }
    let base = 2u64
        .saturating_pow(failures.clamp(1, 16))
        .min(MAX_BACKOFF_SECS);
    base / 2 + u64::from(random) * (base / 2 + 1) / 256
}

/// `Retry-After` (RFC 9110 10.2.3) as the seconds to wait: delta-seconds, or an HTTP-date
/// counted from `server_now` (the server's time, `crate::clock`: a device clock hours off
/// must turn "at 10:02" into neither hours nor nothing). A date already past is no wait.
pub(crate) fn retry_after(header: Option<&str>, server_now: u64) -> Option<u64> {
    let h = header?.trim();
    if !h.is_empty() && h.len() <= 10 && h.bytes().all(|b| b.is_ascii_digit()) {
        return crate::form::parse_u64(h);
    }
    crate::clock::http_date(h).map(|at| at.saturating_sub(server_now))
}

/// The refresh grant to send.
pub(crate) struct Grant {
    pub endpoint: String,
    pub body: String,
    /// The session it refreshes (what the response is merged into).
    pub previous: Session,
}

/// What to do once the lock is held (or, for a session no other tab shares, at once).
pub(crate) enum Start {
    /// Another tab, or an earlier call, refreshed meanwhile: its token is good.
    Use(Secret),
    Grant(Grant),
    Fail(Error),
}

/// Whether a tab that got the refresh lock after another tab held it must first wait (at most
/// [`STALE_READ_WAIT_MS`]) for that tab's write: the stored access token is still the one
/// this tab found too old. The lock orders the refreshes but not what each tab reads:
/// Chromium keeps a copy of localStorage in each renderer process and other tabs' writes
/// reach it later (HTML 12.2.2 leaves this to the browser). Redeeming the old refresh token
/// now would be a reuse that the server may answer by revoking the grant (RFC 9700 4.14.2).
pub(crate) fn must_wait_for_holder(contended: bool, stored: Option<&Session>, seen: &str) -> bool {
    contended && stored.is_some_and(|s| s.access_token.expose() == seen)
}

/// `stored`: the session as read now; `seen`: the access token the caller found too old
/// (or wants replaced, with forceRefresh); `requested`: the scope the configuration asks for.
/// The grant carries the scope the server said it granted, or, when it said nothing (RFC
/// 6749 5.1: then it granted what was asked), the requested one.
pub(crate) fn start(
    client_id: &str,
    secret: Option<&Secret>,
    requested: &str,
    stored: Option<Session>,
    seen: &str,
    now: u64,
) -> Start {
    let Some(session) = stored else {
        return Start::Fail(crate::session::no_session());
    };
    // Someone else refreshed: their token is used only while it is usable by the same rule
    // as any stored token (the 30 s margin of `Session::next`).
    if session.access_token.expose() != seen && session.next(now, false) == Next::Use {
        return Start::Use(session.access_token);
    }
    let Some(refresh_token) = &session.refresh_token else {
        return Start::Fail(crate::session::login_required(t!(
            "There is no refresh token."
        )));
    };
    Start::Grant(Grant {
        endpoint: session.token_endpoint.clone(),
        body: token::refresh_grant(
            client_id,
            secret,
            refresh_token,
            session.scope.as_deref().unwrap_or(requested),
        ),
        previous: session,
    })
}

/// What the answer to a refresh grant does to the session.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Store this session at once (event `refresh`), then check the ID token that came
    /// with it, if any (see [`expected`]).
    Store(Session, Option<Secret>),
    /// The session is over: clear it (event `expired`), and report this.
    End(Error),
    /// The session stays as it is (the server could not be reached, or failed): report this.
    Keep(Error),
    /// The grant was refused because another tab rotated the refresh token meanwhile and
    /// stored the new session: its token is good.
    Use(Secret),
}

/// Decides the outcome of the grant sent for `grant`. `now_stored`: the session as stored
/// when the answer came (another tab may have written); `gone`: it was read, and there is
/// none (a logout, here or in another tab, removed it while the grant was in flight).
pub(crate) fn outcome(
    answer: Result<TokenResponse>,
    grant: &Grant,
    now_stored: Option<Session>,
    gone: bool,
    now: u64,
) -> Outcome {
    let e = match answer {
        // Logged out meanwhile: the new tokens are not kept. Storing them would bring the
        // session back after the user saw "logged out", with a server that does not revoke
        // the whole grant (review round 2, L9).
        Ok(_) if gone => {
            return Outcome::Keep(crate::session::login_required(t!(
            "The session was logged out while it was being refreshed; the new tokens are not kept."
        )))
        }
        Ok(mut tokens) => {
            // Kept apart: stored only once checked (OIDC Core 12.2).
            let id_token = tokens.id_token.take();
            let next = Session::from_response(
                tokens,
                None,
                now,
                &grant.previous.token_endpoint,
                &grant.previous.client_id,
                Some(&grant.previous),
            );
            return Outcome::Store(next, id_token);
        }
        Err(e) => e,
    };
    if refuses_grant(&e) {
        // RFC 6749 5.2: the refresh token is expired, revoked or rotated away: the session
        // cannot go on, unless another tab rotated it meanwhile (after taking the lock from
        // this one) and stored what it got.
        if let Some(other) = now_stored.filter(|s| s.refresh_token != grant.previous.refresh_token)
        {
            return match other.next(now, false) {
                Next::Use => Outcome::Use(other.access_token),
                // Theirs needs a refresh too: the next call makes it, with their token.
                _ => Outcome::Keep(e),
            };
        }
        return Outcome::End(Error {
            code: Code::LoginRequired,
            ..e
        });
    }
    // A 2xx that is not a usable token response (no access_token, a token_type this client
    // cannot use): the server most likely rotated the refresh token, and the new one is in
    // the answer that was refused. Sending the old one again would be a reuse, which RFC
    // 9700 4.14.2 servers answer by revoking the whole grant: end the session cleanly now.
    if e.status.is_some_and(|s| (200..300).contains(&s)) {
        return Outcome::End(e);
    }
    // A network failure (CORS refused included), a timeout, a 429 or a 5xx, an error page,
    // or a refusal of the client rather than of the grant (`invalid_client`,
    // `unauthorized_client`, `invalid_scope`, `invalid_request`: a configuration to fix at
    // the server) says nothing about the session: it stays, and the next try may work
    // (docs/SESSION.md, "What ends a session").
    Outcome::Keep(e)
}

/// Whether a token endpoint's error refuses the grant itself: the refresh token is invalid,
/// expired, revoked, or rotated away (`invalid_grant`, RFC 6749 5.2), or it cannot be used
/// without the user (Entra ID's `interaction_required` under Conditional Access, and the
/// other OIDC Core 3.1.2.6 codes some servers send there). Only these end a session.
pub(crate) fn refuses_grant(e: &Error) -> bool {
    matches!(
        e.code,
        Code::InvalidGrant
            | Code::InteractionRequired
            | Code::LoginRequired
            | Code::ConsentRequired
            | Code::AccountSelectionRequired
    )
}

/// What a refreshed ID token of `session` must be, for a session that began with OpenID
/// Connect (OIDC Core 12.2: the same issuer, client, user, audiences and authentication;
/// no nonce to match). `None`: the session has no validated claims to compare with, and an
/// ID token sent with the refresh is ignored (never stored unchecked).
pub(crate) fn original<J: Json>(session: &Session) -> Option<Original> {
    let claims = J::parse(session.claims.as_deref()?)?;
    Original::from_claims(&claims)
}

/// The checks for a refreshed ID token, given the session's [`original`] claims.
pub(crate) fn expected<'a>(
    config: &'a Config,
    session: &'a Session,
    original: &'a Original,
) -> Option<Expected<'a>> {
    Some(Expected {
        issuer: crate::issuer::Issuer::of(config)?,
        client_id: &session.client_id,
        nonce: None,
        max_age: None,
        original: Some(original),
        skew: config.clock_skew_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::REFRESH_MARGIN_SECS;

    const NOW: u64 = 1_700_000_000;

    fn session(access: &str, refresh: Option<&str>, expires_at: Option<u64>) -> Session {
        Session {
            access_token: Secret::new(access.into()),
            expires_at,
            refresh_token: refresh.map(|r| Secret::new(r.into())),
            id_token: None,
            claims: None,
            scope: Some("openid".into()),
            token_endpoint: "https://id.example/token".into(),
            client_id: "spa".into(),
            dpop: false,
            dpop_key: None,
            refresh_expires_at: None,
        }
    }

    fn grant_of(s: Session) -> Grant {
        match start("spa", None, "openid", Some(s), "old", NOW) {
            Start::Grant(g) => g,
            _ => panic!("expected a grant"),
        }
    }

    fn tokens(access: &str, refresh: Option<&str>) -> TokenResponse {
        TokenResponse {
            access_token: Secret::new(access.into()),
            expires_in: Some(3600),
            refresh_token: refresh.map(|r| Secret::new(r.into())),
            id_token: Some(Secret::new("a.b.c".into())),
            scope: None,
            dpop: false,
            refresh_expires_in: None,
        }
    }

    /// L9: a refresh whose session was logged out meanwhile stores nothing.
    #[test]
    fn new_tokens_of_a_session_logged_out_meanwhile_are_not_kept() {
        let g = grant_of(session("old", Some("rt1"), Some(NOW)));
        match outcome(Ok(tokens("new", Some("rt2"))), &g, None, true, NOW) {
            Outcome::Keep(e) => assert_eq!(e.code, Code::LoginRequired),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            outcome(Ok(tokens("new", Some("rt2"))), &g, None, false, NOW),
            Outcome::Store(..)
        ));
    }

    #[test]
    fn lock_steal_bound_covers_the_wait_and_every_request_of_the_holder() {
        for timeout in [1, 2500, 10_000, 600_000] {
            assert!(lock_steal_ms(timeout, false, false) > STALE_READ_WAIT_MS + timeout);
            // L13: a DPoP holder's nonce retry is a second request.
            assert!(lock_steal_ms(timeout, true, false) > STALE_READ_WAIT_MS + 2 * timeout);
        }
        assert_eq!(lock_steal_ms(10_000, false, false), 13_500);
        assert_eq!(lock_steal_ms(10_000, true, false), 23_500);
        assert_eq!(lock_steal_ms(u32::MAX, true, false), u32::MAX);
        // L13: the holder's adapter calls, each bounded by ADAPTER_TIMEOUT_MS.
        assert_eq!(
            lock_steal_ms(10_000, false, true),
            13_500 + ADAPTER_CALLS * ADAPTER_TIMEOUT_MS
        );
    }

    #[test]
    fn failed_refreshes_back_off_with_jitter_or_as_the_server_says() {
        // 1-2 s, then 2-4 s, ..., at most 150-300 s.
        assert_eq!((retry_delay(1, None, 0), retry_delay(1, None, 255)), (1, 2));
        assert_eq!((retry_delay(2, None, 0), retry_delay(2, None, 255)), (2, 4));
        assert_eq!(
            (retry_delay(5, None, 0), retry_delay(5, None, 255)),
            (16, 32)
        );
        for failures in [9, 20, u32::MAX] {
            assert_eq!(retry_delay(failures, None, 0), MAX_BACKOFF_SECS / 2);
            assert!(retry_delay(failures, None, 255) <= MAX_BACKOFF_SECS);
        }
        // The server's Retry-After, at most an hour.
        assert_eq!(retry_delay(1, Some(120), 0), 120);
        assert_eq!(retry_delay(1, Some(86_400), 0), 3600);
        let now = 1_445_412_400; // Wed, 21 Oct 2015 07:26:40 GMT
        assert_eq!(retry_after(Some("120"), now), Some(120));
        assert_eq!(retry_after(Some(" 7 "), now), Some(7));
        // The HTTP-date form, counted from the server's time; one already past is no wait.
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(retry_after(Some(date), now), Some(80));
        assert_eq!(retry_after(Some(date), now + 3600), Some(0));
        for bad in [
            "",
            "-1",
            "1.5",
            "Wed, 21 Oct 2015 07:28:00",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "99999999999",
        ] {
            assert_eq!(retry_after(Some(bad), now), None, "{bad}");
        }
        assert_eq!(retry_after(None, now), None);
    }

    #[test]
    fn retired_refresh_tokens_are_recorded_by_hash_and_bounded() {
        let hash = token_hash(&[7; 32]);
        assert_eq!(hash.len(), 22);
        assert!(!is_retired(None, &hash));
        let one = retire(None, &hash);
        assert!(is_retired(Some(&one), &hash));
        assert!(!is_retired(Some(&one), "other"));
        // Recorded once, and only the newest RETIRED_KEPT.
        assert_eq!(retire(Some(&one), &hash), one);
        let mut record = one;
        for i in 100..100 + RETIRED_KEPT as u8 {
            record = retire(Some(&record), &token_hash(&[i; 32]));
        }
        assert!(!is_retired(Some(&record), &hash), "the oldest dropped");
        assert_eq!(record.split(' ').count(), RETIRED_KEPT);
        // A damaged record holds nothing that matches a hash, and is rewritten.
        assert!(!is_retired(Some(""), &hash));
        assert_eq!(retire(Some("  "), &hash), hash);
    }

    #[test]
    fn start_sends_the_grant_with_the_stored_refresh_token() {
        let g = grant_of(session("old", Some("rt1"), Some(NOW)));
        assert_eq!(g.endpoint, "https://id.example/token");
        // With the scope the server granted (Entra ID issues an API's token again only so).
        assert_eq!(
            g.body,
            "grant_type=refresh_token&refresh_token=rt1&client_id=spa&scope=openid"
        );
        // The server said nothing of the scope: it granted the requested one (RFC 6749 5.1).
        let silent = Session {
            scope: None,
            ..session("old", Some("rt1"), Some(NOW))
        };
        let g = match start("spa", None, "openid api://x/read", Some(silent), "old", NOW) {
            Start::Grant(g) => g,
            _ => panic!("expected a grant"),
        };
        assert!(
            g.body.ends_with("&scope=openid+api%3A%2F%2Fx%2Fread"),
            "{}",
            g.body
        );
        assert!(matches!(
            start("spa", None, "openid", None, "old", NOW),
            Start::Fail(Error {
                code: Code::LoginRequired,
                ..
            })
        ));
        assert!(matches!(
            start(
                "spa",
                None,
                "openid",
                Some(session("old", None, Some(NOW))),
                "old",
                NOW
            ),
            Start::Fail(Error {
                code: Code::LoginRequired,
                ..
            })
        ));
    }

    #[test]
    fn another_tabs_token_is_used_only_with_the_30_second_margin() {
        // Refreshed meanwhile and good for an hour: used, no grant.
        let fresh = session("new", Some("rt2"), Some(NOW + 3600));
        assert!(
            matches!(start("spa", None, "openid", Some(fresh), "old", NOW), Start::Use(t) if t.expose() == "new")
        );
        // Refreshed meanwhile, but with 30 s or less left (I6): not good enough, refresh it.
        let short = session("new", Some("rt2"), Some(NOW + REFRESH_MARGIN_SECS));
        assert!(
            matches!(start("spa", None, "openid", Some(short), "old", NOW), Start::Grant(g) if g.body.contains("rt2"))
        );
        // The same token the caller saw (forceRefresh of a good token): refreshed.
        let same = session("old", Some("rt1"), Some(NOW + 3600));
        assert!(matches!(
            start("spa", None, "openid", Some(same), "old", NOW),
            Start::Grant(_)
        ));
    }

    #[test]
    fn a_good_answer_is_stored_at_once_with_its_id_token_kept_apart() {
        let g = grant_of(session("old", Some("rt1"), Some(NOW)));
        match outcome(Ok(tokens("new", Some("rt2"))), &g, None, false, NOW) {
            Outcome::Store(s, id) => {
                assert_eq!(s.access_token.expose(), "new");
                assert_eq!(s.refresh_token.as_ref().map(Secret::expose), Some("rt2"));
                assert_eq!(s.expires_at, Some(NOW + 3600));
                assert_eq!(s.id_token, None, "not stored before it is checked");
                assert_eq!(id.as_ref().map(Secret::expose), Some("a.b.c"));
            }
            other => panic!("{other:?}"),
        }
        // Without rotation the refresh token stays.
        match outcome(Ok(tokens("new", None)), &g, None, false, NOW) {
            Outcome::Store(s, _) => {
                assert_eq!(s.refresh_token.as_ref().map(Secret::expose), Some("rt1"))
            }
            other => panic!("{other:?}"),
        }
    }

    fn refused(status: u16, error: &str) -> Error {
        crate::token::parse_response::<serde_json::Value>(
            status,
            &format!(r#"{{"error":"{error}","error_description":"said the server"}}"#),
            false,
        )
        .unwrap_err()
    }

    #[test]
    fn a_refused_grant_ends_the_session_with_the_servers_details() {
        let g = grant_of(session("old", Some("rt1"), Some(NOW)));
        // The grant refused, or unusable without the user (Entra ID's Conditional Access).
        for error in [
            "invalid_grant",
            "interaction_required",
            "login_required",
            "consent_required",
        ] {
            match outcome(
                Err(refused(400, error)),
                &g,
                Some(g.previous.clone()),
                false,
                NOW,
            ) {
                Outcome::End(e) => {
                    assert_eq!(e.code, Code::LoginRequired, "{error}");
                    assert_eq!(e.error.as_deref(), Some(error));
                    assert_eq!(e.description.as_str(), "said the server");
                    assert_eq!(e.status, Some(400));
                }
                other => panic!("{error}: {other:?}"),
            }
        }
        // A server that says it is unavailable or busy did not refuse the token, nor did
        // one that refuses the client (a configuration to fix at the server: issue 26, the
        // failure table of docs/SESSION.md).
        for (status, error) in [
            (400, "temporarily_unavailable"),
            (429, "too_many_requests"),
            (401, "invalid_client"),
            (400, "unauthorized_client"),
            (400, "invalid_scope"),
            (400, "invalid_request"),
            (400, "unsupported_grant_type"),
        ] {
            match outcome(Err(refused(status, error)), &g, None, false, NOW) {
                Outcome::Keep(e) => assert_eq!(e.error.as_deref(), Some(error)),
                other => panic!("{error}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_refusal_after_another_tab_rotated_uses_their_session_if_it_is_usable() {
        let g = grant_of(session("old", Some("rt1"), Some(NOW)));
        let theirs = session("theirs", Some("rt2"), Some(NOW + 3600));
        assert!(matches!(
            outcome(Err(refused(400, "invalid_grant")), &g, Some(theirs), false, NOW),
            Outcome::Use(t) if t.expose() == "theirs"
        ));
        // Theirs is about to expire (I6): not returned; the session is kept for the next
        // call to refresh with their refresh token.
        let short = session("theirs", Some("rt2"), Some(NOW + 10));
        assert!(matches!(
            outcome(
                Err(refused(400, "invalid_grant")),
                &g,
                Some(short),
                false,
                NOW
            ),
            Outcome::Keep(_)
        ));
        // Logged out meanwhile: over.
        assert!(matches!(
            outcome(Err(refused(400, "invalid_grant")), &g, None, false, NOW),
            Outcome::End(_)
        ));
    }

    #[test]
    fn a_refused_2xx_ends_the_session_and_a_failure_keeps_it() {
        let g = grant_of(session("old", Some("rt1"), Some(NOW)));
        // L5: a 200 the client cannot use: the rotated token in it is lost, so the old one
        // must not be sent again.
        for body in [
            r#"{"access_token":"a","token_type":"mac","refresh_token":"rt2"}"#,
            r#"{"token_type":"Bearer","refresh_token":"rt2"}"#,
            "<html>",
        ] {
            let e =
                crate::token::parse_response::<serde_json::Value>(200, body, false).unwrap_err();
            match outcome(Err(e), &g, Some(g.previous.clone()), false, NOW) {
                Outcome::End(e) => assert_eq!(e.code, Code::InvalidResponse, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        for e in [
            Error::code(Code::NetworkError),
            Error::code(Code::Timeout),
            crate::token::parse_response::<serde_json::Value>(503, "<html>", false).unwrap_err(),
            crate::token::parse_response::<serde_json::Value>(404, "<html>", false).unwrap_err(),
        ] {
            assert!(matches!(
                outcome(Err(e), &g, None, false, NOW),
                Outcome::Keep(_)
            ));
        }
    }

    #[test]
    fn a_refreshed_id_token_is_checked_against_the_first_ones_claims() {
        let config = Config {
            issuer: Some("https://id.example".into()),
            ..Config::new("spa", "https://app.example/cb")
        };
        let mut s = session("old", Some("rt1"), Some(NOW));
        assert!(
            original::<serde_json::Value>(&s).is_none(),
            "no claims: plain OAuth"
        );
        s.claims = Some(r#"{"sub":"alice","aud":"spa","iss":"https://id.example"}"#.into());
        let o = original::<serde_json::Value>(&s).unwrap();
        let e = expected(&config, &s, &o).unwrap();
        assert_eq!(e.issuer.configured, "https://id.example");
        assert_eq!(e.nonce, None);
        assert!(e.original.is_some());
        let plain = Config::new("spa", "https://app.example/cb");
        assert!(expected(&plain, &s, &o).is_none());
    }

    #[test]
    fn a_contended_lock_waits_for_the_holders_write_only_when_nothing_changed() {
        let old = session("old", Some("r1"), Some(NOW));
        let new = session("new", Some("r2"), Some(NOW + 3600));
        assert!(must_wait_for_holder(true, Some(&old), "old"));
        // The holder's write is visible already, or there is nothing to wait for.
        assert!(!must_wait_for_holder(true, Some(&new), "old"));
        assert!(!must_wait_for_holder(true, None, "old"));
        // No other tab held the lock: nothing to wait for.
        assert!(!must_wait_for_holder(false, Some(&old), "old"));
    }
}
