//! The session: the tokens of a logged-in user, how they are stored, and when the access
//! token must be refreshed.

use crate::error::{Code, Error};
use crate::form::{self, Pairs};
use crate::secret::Secret;
use crate::token::TokenResponse;

/// An access token is refreshed when it has less than this many seconds left, so that it
/// does not expire on its way to the API.
pub const REFRESH_MARGIN_SECS: u64 = 30;

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Session {
    pub access_token: Secret,
    /// Seconds since the epoch; `None` when the server gave no lifetime.
    pub expires_at: Option<u64>,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    /// The ID token's claims as JSON text, kept only after the token passed every check.
    pub claims: Option<String>,
    pub scope: Option<String>,
    /// Where refreshes go; kept so that `getAccessToken` needs no discovery round trip.
    pub token_endpoint: String,
    pub client_id: String,
    /// The access token is a DPoP token (RFC 9449): requests carry it as `DPoP`, with a
    /// proof made with this browser's key.
    pub dpop: bool,
    /// The name of that key pair: the one its login made (`crate::dpop::key_name`). `None`
    /// in a session stored before pairs were per login: its pair is under the session key.
    pub dpop_key: Option<String>,
    /// Until when (seconds since the epoch) the refresh token can be used, when the server
    /// said (`token::refresh_lifetime`): past it, the session cannot be refreshed.
    pub refresh_expires_at: Option<u64>,
}

/// A timed change of the session (`Session::due`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Due {
    /// The session ends soon: the app may save work or sign in again.
    Expiring,
    /// A refreshable session's access token stops being usable: nothing to do when the
    /// timer fires on time (the next call refreshes); fired late, the machine slept, and the
    /// session is refreshed in the background (`flow::come_back`).
    Stale,
    /// Check whether it is over (`Session::access` decides).
    Expired,
}

/// What `getAccessToken` must do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Next {
    /// The stored access token is good.
    Use,
    /// Refresh with the refresh token.
    Refresh,
    /// No way to get a token without the user: clear the session.
    LoginRequired,
}

/// What `getAccessToken` does with a stored session, all decided here (the shell only
/// carries it out).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Access {
    /// Return this access token.
    Use(Secret),
    /// Refresh first.
    Refresh,
    /// The session is over without the user logging out: clear it, report `expired`, fail.
    Expire(Error),
    /// Fail, leaving the session as it is.
    Fail(Error),
}

/// The options of `get_access_token`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct TokenOptions {
    /// Refresh even when the stored access token is still good (`forceRefresh`).
    pub force_refresh: bool,
}

/// `login_required` with a fixed sentence.
pub(crate) fn login_required(description: &'static str) -> Error {
    Error::new(Code::LoginRequired, description)
}

/// The answer when there is no session at all.
pub(crate) fn no_session() -> Error {
    login_required(t!("There is no session: log in first."))
}

impl Session {
    /// What `getAccessToken` does at `now`: [`Session::next`], with its error. A forced
    /// refresh without a refresh token fails but ends nothing (the access token may still be
    /// good); an expired one without a refresh token ends the session.
    pub(crate) fn access(&self, now: u64, force_refresh: bool) -> Access {
        match self.next(now, force_refresh) {
            Next::Use => Access::Use(self.access_token.clone()),
            Next::Refresh => Access::Refresh,
            Next::LoginRequired if force_refresh && self.refresh_token.is_none() => {
                Access::Fail(login_required(t!(
                    "There is no refresh token: log in again to get a new access token."
                )))
            }
            Next::LoginRequired if self.refresh_token.is_some() => {
                Access::Expire(login_required(t!(
                    "The session reached the end its server set (its refresh token expired): log in again."
                )))
            }
            Next::LoginRequired => Access::Expire(login_required(t!(
                "The access token expired and there is no refresh token."
            ))),
        }
    }

    /// Until when (milliseconds since the epoch, as `Date.now()`) [`Session::next`] says
    /// `Use`: while now (whole seconds) + margin < expires_at, that is while
    /// `Date.now() < (expires_at - margin) * 1000`. The package entry answers
    /// `getAccessToken` from its memo until then (pkg-template/index.js).
    pub(crate) fn usable_until_ms(&self) -> f64 {
        self.expires_at.map_or(f64::INFINITY, |e| {
            e.saturating_sub(REFRESH_MARGIN_SECS) as f64 * 1000.0
        })
    }

    /// The session after a token response. On a refresh (`previous`), a server that does not
    /// rotate the refresh token may omit it (RFC 6749 6): the old one stays valid and is kept;
    /// so is the ID token and the scope, which a refresh response need not repeat.
    /// `id_token` is the response's ID token with its claims once validated: an ID token that
    /// was not validated (the response's own field) is never stored.
    pub(crate) fn from_response(
        r: TokenResponse,
        id_token: Option<(Secret, String)>,
        now: u64,
        token_endpoint: &str,
        client_id: &str,
        previous: Option<&Session>,
    ) -> Session {
        let (id_token, claims) = match id_token {
            Some((t, c)) => (Some(t), Some(c)),
            None => (
                previous.and_then(|p| p.id_token.clone()),
                previous.and_then(|p| p.claims.clone()),
            ),
        };
        Session {
            access_token: r.access_token,
            expires_at: r.expires_in.map(|s| now.saturating_add(s)),
            refresh_token: r
                .refresh_token
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            id_token,
            claims,
            scope: r.scope.or_else(|| previous.and_then(|p| p.scope.clone())),
            token_endpoint: token_endpoint.into(),
            client_id: client_id.into(),
            dpop: r.dpop,
            dpop_key: previous.and_then(|p| p.dpop_key.clone()),
            // A refresh answer that does not say keeps what was said before: a server that
            // caps the session (Entra's 24 hours) caps it still.
            refresh_expires_at: match r.refresh_expires_in {
                Some(s) => Some(now.saturating_add(s)),
                None => previous.and_then(|p| p.refresh_expires_at),
            },
        }
    }

    /// Decides whether the access token can be used at `now`. A refresh token past the end
    /// its server gave it is not sent: the answer could only be `invalid_grant`.
    pub(crate) fn next(&self, now: u64, force_refresh: bool) -> Next {
        let fresh = self
            .expires_at
            .is_none_or(|exp| exp > now.saturating_add(REFRESH_MARGIN_SECS));
        let refreshable =
            self.refresh_token.is_some() && self.refresh_expires_at.is_none_or(|end| end > now);
        match (fresh && !force_refresh, refreshable) {
            (true, _) => Next::Use,
            (false, true) => Next::Refresh,
            (false, false) => Next::LoginRequired,
        }
    }

    /// When the session can no longer be refreshed (`getSessionInfo().sessionExpiresAt`):
    /// the end the server gave its refresh token, or without a refresh token, its access
    /// token's expiry. `None` when nobody said.
    pub(crate) fn ends_at(&self) -> Option<u64> {
        match self.refresh_token {
            Some(_) => self.refresh_expires_at,
            None => self.expires_at,
        }
    }

    /// From when the session gives no token at all: past its end, and its access token's
    /// last usable second (a token may outlive the refresh token that came with it).
    fn over_at(&self) -> Option<u64> {
        let usable = self
            .expires_at
            .map(|e| e.saturating_sub(REFRESH_MARGIN_SECS));
        match self.refresh_token {
            Some(_) => usable.zip(self.refresh_expires_at).map(|(u, r)| u.max(r)),
            None => usable,
        }
    }

    /// The session's next timed change, for a page whose app listens (`onSessionChange`):
    /// `Expiring` `notice` seconds before [`Session::ends_at`] (once: `warned` says it was
    /// reported for this end), `Stale` when a refreshable session's access token stops being
    /// usable, and `Expired` once [`Session::over_at`]: the earliest. The moment, in seconds
    /// since the epoch; `None` when nothing is timed.
    pub(crate) fn due(&self, now: u64, notice: u64, warned: bool) -> Option<(u64, Due)> {
        let mut next: Option<(u64, Due)> = None;
        let mut consider = |at: u64, due: Due| {
            if next.is_none_or(|(a, _)| at < a) {
                next = Some((at, due));
            }
        };
        if let Some(end) = self.ends_at().filter(|e| !warned && now < *e) {
            consider(end.saturating_sub(notice).max(now), Due::Expiring);
        }
        let usable = self
            .expires_at
            .map(|e| e.saturating_sub(REFRESH_MARGIN_SECS));
        if let Some(u) = usable.filter(|u| self.refresh_token.is_some() && now < *u) {
            consider(u, Due::Stale);
        }
        if let Some(over) = self.over_at() {
            // One second past the due second: `next` compares whole seconds.
            consider(over.max(now).saturating_add(1), Due::Expired);
        }
        next
    }

    pub(crate) fn encode(&self) -> String {
        let mut s = String::with_capacity(1024);
        form::push(&mut s, "access_token", self.access_token.expose());
        if let Some(e) = self.expires_at {
            form::push_num(&mut s, "expires_at", e);
        }
        if let Some(r) = &self.refresh_token {
            form::push(&mut s, "refresh_token", r.expose());
        }
        if let Some(i) = &self.id_token {
            form::push(&mut s, "id_token", i.expose());
        }
        if let Some(c) = &self.claims {
            form::push(&mut s, "claims", c);
        }
        if let Some(sc) = &self.scope {
            form::push(&mut s, "scope", sc);
        }
        form::push(&mut s, "token_endpoint", &self.token_endpoint);
        form::push(&mut s, "client_id", &self.client_id);
        if self.dpop {
            form::push(&mut s, "token_type", "DPoP");
        }
        if let Some(k) = &self.dpop_key {
            form::push(&mut s, "dpop_key", k);
        }
        if let Some(e) = self.refresh_expires_at {
            form::push_num(&mut s, "refresh_expires_at", e);
        }
        s
    }

    /// Whether the login asked for `offline_access` (OIDC Core 11) and the server issued no
    /// refresh token anyway: oidc-provider and Authentik issue one only when the user
    /// consented to it (`prompt=consent`), so the session ends with its access token.
    pub(crate) fn refresh_token_withheld(&self, requested_scope: &str) -> bool {
        self.refresh_token.is_none() && requested_scope.split(' ').any(|s| s == "offline_access")
    }

    /// Whether two stored texts hold the same access and refresh tokens: the second write of
    /// a refresh (the rotated session first, then with its ID token checked) is no new
    /// session change to report.
    pub(crate) fn same_tokens(a: &str, b: &str) -> bool {
        let tokens = |s: &str| {
            let mut p = Pairs::parse(s).ok()?;
            Some((p.take("access_token")?, p.take("refresh_token")))
        };
        matches!((tokens(a), tokens(b)), (Some(x), Some(y)) if x == y)
    }

    pub(crate) fn decode(s: &str) -> Option<Session> {
        let mut p = Pairs::parse(s).ok()?;
        let expires_at = match p.take("expires_at") {
            Some(e) => Some(form::parse_u64(&e)?),
            None => None,
        };
        let session = Session {
            access_token: Secret::new(p.take("access_token")?),
            expires_at,
            refresh_token: p.take("refresh_token").map(Secret::new),
            id_token: p.take("id_token").map(Secret::new),
            claims: p.take("claims"),
            scope: p.take("scope"),
            token_endpoint: p.take("token_endpoint")?,
            client_id: p.take("client_id")?,
            dpop: p.take("token_type").is_some(),
            dpop_key: p.take("dpop_key"),
            refresh_expires_at: match p.take("refresh_expires_at") {
                Some(e) => Some(form::parse_u64(&e)?),
                None => None,
            },
        };
        // Storage is input (see `Transaction::decode`): the values get the checks they got
        // when the token response was read, and the refresh endpoint the endpoint rules.
        let valid = crate::token::is_b64token(session.access_token.expose())
            && [&session.refresh_token, &session.id_token]
                .into_iter()
                .flatten()
                .all(|t| !t.expose().is_empty())
            && crate::url::is_safe_endpoint(&session.token_endpoint)
            && !session.client_id.is_empty()
            && session
                .dpop_key
                .as_deref()
                .is_none_or(crate::dpop::is_key_name);
        valid.then_some(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(expires_in: Option<u64>, refresh: Option<&str>) -> TokenResponse {
        TokenResponse {
            access_token: Secret::new("at".into()),
            expires_in,
            refresh_token: refresh.map(|r| Secret::new(r.into())),
            id_token: None,
            scope: None,
            dpop: false,
            refresh_expires_in: None,
        }
    }

    fn session(expires_in: Option<u64>, refresh: Option<&str>) -> Session {
        Session::from_response(
            response(expires_in, refresh),
            None,
            1000,
            "https://id.example/token",
            "spa",
            None,
        )
    }

    #[test]
    fn a_refresh_token_asked_for_and_not_issued_is_noticed() {
        let none = session(Some(3600), None);
        assert!(none.refresh_token_withheld("openid offline_access"));
        assert!(!none.refresh_token_withheld("openid"));
        assert!(!none.refresh_token_withheld("openid offline_accessx"));
        assert!(!session(Some(3600), Some("rt")).refresh_token_withheld("openid offline_access"));
    }

    #[test]
    fn a_rewrite_with_the_same_tokens_is_no_change() {
        let s = session(Some(3600), Some("rt1"));
        let checked = Session {
            claims: Some("{}".into()),
            ..session(Some(3600), Some("rt1"))
        };
        assert!(Session::same_tokens(&s.encode(), &checked.encode()));
        let rotated = session(Some(3600), Some("rt2"));
        assert!(!Session::same_tokens(&s.encode(), &rotated.encode()));
        assert!(!Session::same_tokens(&s.encode(), "garbage=%"));
    }

    #[test]
    fn valid_for_more_than_30_seconds_is_used() {
        let s = session(Some(3600), Some("rt"));
        assert_eq!(s.expires_at, Some(4600));
        assert_eq!(s.next(1000, false), Next::Use);
        assert_eq!(s.next(4569, false), Next::Use);
        assert_eq!(s.next(4570, false), Next::Refresh, "30 s left");
        assert_eq!(s.next(9999, false), Next::Refresh);
        assert_eq!(s.next(1000, true), Next::Refresh, "forceRefresh");
    }

    #[test]
    fn no_refresh_token_means_login_required_once_expired() {
        let s = session(Some(60), None);
        assert_eq!(s.next(1000, false), Next::Use);
        assert_eq!(s.next(1031, false), Next::LoginRequired);
        assert_eq!(s.next(1000, true), Next::LoginRequired);
    }

    #[test]
    fn no_lifetime_is_used_until_forced() {
        let s = session(None, Some("rt"));
        assert_eq!(s.next(u64::MAX, false), Next::Use);
        assert_eq!(s.next(0, true), Next::Refresh);
        assert_eq!(
            session(Some(0), Some("rt")).next(1000, false),
            Next::Refresh
        );
    }

    #[test]
    fn refresh_keeps_what_the_server_did_not_repeat() {
        let mut first = session(Some(60), Some("rt1"));
        first.id_token = Some(Secret::new("id".into()));
        first.claims = Some(r#"{"sub":"a"}"#.into());
        first.scope = Some("openid".into());
        let mut unvalidated = response(Some(60), None);
        unvalidated.id_token = Some(Secret::new("forged".into()));
        let kept = Session::from_response(
            unvalidated,
            None,
            2000,
            "https://id.example/token",
            "spa",
            Some(&first),
        );
        assert_eq!(kept.refresh_token.as_ref().map(Secret::expose), Some("rt1"));
        assert_eq!(kept.id_token.as_ref().map(Secret::expose), Some("id"));
        assert_eq!(kept.claims, first.claims);
        assert_eq!(kept.scope.as_deref(), Some("openid"));
        let rotated = Session::from_response(
            response(Some(60), Some("rt2")),
            Some((Secret::new("id2".into()), r#"{"sub":"a","n":2}"#.into())),
            2000,
            "https://id.example/token",
            "spa",
            Some(&first),
        );
        assert_eq!(
            rotated.refresh_token.as_ref().map(Secret::expose),
            Some("rt2")
        );
        assert_eq!(rotated.expires_at, Some(2060));
        assert_eq!(rotated.id_token.as_ref().map(Secret::expose), Some("id2"));
        assert_eq!(rotated.claims.as_deref(), Some(r#"{"sub":"a","n":2}"#));
    }

    #[test]
    fn round_trips_and_refuses_tampering() {
        let mut s = session(Some(60), Some("r/t+=="));
        s.id_token = Some(Secret::new("a.b.c".into()));
        s.claims = Some(r#"{"sub":"a&b=c","x":"%"}"#.into());
        s.scope = Some("openid profile".into());
        assert_eq!(Session::decode(&s.encode()), Some(s.clone()));
        let bare = session(None, None);
        assert_eq!(Session::decode(&bare.encode()), Some(bare));
        assert_eq!(Session::decode(""), None);
        assert_eq!(Session::decode("access_token=x"), None);
        assert_eq!(
            Session::decode(&s.encode().replace("expires_at=1060", "expires_at=-1")),
            None
        );
        assert_eq!(
            Session::decode(&s.encode().replace("access_token=at", "access_token=")),
            None
        );
        // Edited where the refresh token would be sent, or given a token no server issues.
        for (from, to) in [
            ("token_endpoint=https", "token_endpoint=javascript"),
            (
                "token_endpoint=https%3A%2F%2Fid",
                "token_endpoint=http%3A%2F%2Fevil",
            ),
            ("access_token=at", "access_token=a+t"),
            ("refresh_token=r%2Ft%2B%3D%3D", "refresh_token="),
            ("client_id=spa", "client_id="),
        ] {
            let edited = s.encode().replace(from, to);
            assert_ne!(edited, s.encode(), "{from}");
            assert_eq!(Session::decode(&edited), None, "{from} -> {to}");
        }
    }

    fn stored(expires_at: Option<u64>, refresh: bool) -> Session {
        Session {
            access_token: Secret::new("at".into()),
            expires_at,
            refresh_token: refresh.then(|| Secret::new("rt".into())),
            id_token: None,
            claims: None,
            scope: None,
            token_endpoint: "https://id.example/token".into(),
            client_id: "spa".into(),
            dpop: false,
            dpop_key: None,
            refresh_expires_at: None,
        }
    }

    #[test]
    fn access_says_what_get_access_token_does() {
        const NOW: u64 = 1_700_000_000;
        let good = stored(Some(NOW + 31), false);
        assert_eq!(
            good.access(NOW, false),
            Access::Use(Secret::new("at".into()))
        );
        // Forced, without a refresh token: fails, and the session stays.
        match good.access(NOW, true) {
            Access::Fail(e) => assert_eq!(e.code, Code::LoginRequired),
            other => panic!("{other:?}"),
        }
        // Within the margin, without a refresh token: the session ends.
        match stored(Some(NOW + 30), false).access(NOW, false) {
            Access::Expire(e) => assert_eq!(e.code, Code::LoginRequired),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            stored(Some(NOW + 30), true).access(NOW, false),
            Access::Refresh
        );
        assert_eq!(
            stored(Some(NOW + 300), true).access(NOW, true),
            Access::Refresh
        );
        assert_eq!(
            stored(None, false).access(NOW, false),
            Access::Use(Secret::new("at".into()))
        );
        assert_eq!(no_session().code, Code::LoginRequired);
    }

    #[test]
    fn usable_until_is_the_last_moment_next_says_use() {
        const NOW: u64 = 1_700_000_000;
        let s = stored(Some(NOW + 100), true);
        let until = s.usable_until_ms();
        assert_eq!(until, ((NOW + 100 - REFRESH_MARGIN_SECS) * 1000) as f64);
        // Every whole second before it is Use, the second it falls in is not.
        let last = (until as u64) / 1000 - 1;
        assert_eq!(s.next(last, false), Next::Use);
        assert_eq!(s.next(last + 1, false), Next::Refresh);
        assert_eq!(stored(None, true).usable_until_ms(), f64::INFINITY);
        assert_eq!(stored(Some(10), true).usable_until_ms(), 0.0);
    }

    #[test]
    fn the_timer_warns_before_the_end_then_fires_when_next_stops_giving_a_token() {
        const NOW: u64 = 1_700_000_000;
        // No refresh token: the end is the access token's expiry.
        let s = stored(Some(NOW + 100), false);
        assert_eq!(s.ends_at(), Some(NOW + 100));
        assert_eq!(s.due(NOW, 60, false), Some((NOW + 40, Due::Expiring)));
        // Inside the notice: at once; warned: the end's check.
        assert_eq!(s.due(NOW + 50, 60, false), Some((NOW + 50, Due::Expiring)));
        let (at, due) = s.due(NOW, 60, true).unwrap();
        assert_eq!(due, Due::Expired);
        // It fires once `next` no longer says Use.
        let last = NOW + 100 - REFRESH_MARGIN_SECS;
        assert_eq!(s.next(last - 1, false), Next::Use);
        assert_eq!(s.next(last, false), Next::LoginRequired);
        assert!(at > last);
        // Already over: at once (a second on).
        assert_eq!(
            stored(Some(NOW), false).due(NOW, 60, true),
            Some((NOW + 1, Due::Expired))
        );
        // Refreshable without a known end: only the access token's staleness; never
        // expiring: nothing timed.
        let r = stored(Some(NOW + 100), true);
        assert_eq!(r.due(NOW, 60, false), Some((NOW + 70, Due::Stale)));
        assert_eq!(r.due(NOW + 70, 60, false), None);
        assert_eq!(stored(None, false).due(NOW, 60, false), None);
    }

    #[test]
    fn a_refresh_token_with_an_end_the_server_gave() {
        const NOW: u64 = 1_700_000_000;
        let s = Session {
            refresh_expires_at: Some(NOW + 3600),
            ..stored(Some(NOW + 300), true)
        };
        assert_eq!(s.ends_at(), Some(NOW + 3600));
        // First the access token's staleness, then the warning, then the end.
        let stale = NOW + 300 - REFRESH_MARGIN_SECS;
        assert_eq!(s.due(NOW, 120, false), Some((stale, Due::Stale)));
        assert_eq!(s.due(stale, 120, false), Some((NOW + 3480, Due::Expiring)));
        assert_eq!(s.due(stale, 120, true), Some((NOW + 3601, Due::Expired)));
        // Refreshed while it lasts; past it, not sent: the session is over.
        assert_eq!(s.next(NOW + 3599, false), Next::Refresh);
        assert_eq!(s.next(NOW + 3600, false), Next::LoginRequired);
        match s.access(NOW + 3600, false) {
            Access::Expire(e) => assert!(e.description.as_str().contains("end its server set")),
            other => panic!("{other:?}"),
        }
        // An access token that outlives its refresh token is used until it expires.
        let long = Session {
            expires_at: Some(NOW + 7200),
            ..s.clone()
        };
        assert_eq!(long.next(NOW + 3700, false), Next::Use);
        let last = NOW + 7200 - REFRESH_MARGIN_SECS;
        assert_eq!(long.due(last, 120, true), Some((last + 1, Due::Expired)));
        // Stored and read back.
        assert_eq!(Session::decode(&s.encode()), Some(s));
    }

    #[test]
    fn a_refresh_answer_that_says_no_end_keeps_the_one_said_before() {
        let first = Session::from_response(
            TokenResponse {
                refresh_expires_in: Some(86_400),
                ..response(Some(3600), Some("rt1"))
            },
            None,
            1000,
            "https://id.example/token",
            "spa",
            None,
        );
        assert_eq!(first.refresh_expires_at, Some(87_400));
        let next = Session::from_response(
            response(Some(3600), Some("rt2")),
            None,
            5000,
            "https://id.example/token",
            "spa",
            Some(&first),
        );
        assert_eq!(next.refresh_expires_at, Some(87_400));
        let slid = Session::from_response(
            TokenResponse {
                refresh_expires_in: Some(1800),
                ..response(Some(3600), Some("rt3"))
            },
            None,
            6000,
            "https://id.example/token",
            "spa",
            Some(&next),
        );
        assert_eq!(slid.refresh_expires_at, Some(7800));
    }
}
