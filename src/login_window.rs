//! Logins in another window: a popup the user logs in through (`loginWithPopup`), or a
//! hidden iframe with `prompt=none` (silent login). The response comes back to the redirect
//! URI inside that window; its page hands it to the page that started the login, which
//! redeems the code with every check of `handleCallback`.
//!
//! The `state` says which kind of login a response answers: a prefix outside the base64url
//! alphabet of the random part (`p.`, `i.`). The redirect page needs no other knowledge (its
//! sessionStorage may not hold the transaction: a popup's is a copy made when it opened), and
//! a crafted URL gains nothing from the prefix: what the page hands over goes only to pages
//! of its own origin, which redeem it only against a transaction of theirs.

use crate::error::{Code, Error};

/// Where the authorization request is shown.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Window {
    /// A popup window opened from the user's click.
    Popup,
    /// A hidden iframe, `prompt=none`: the server answers without showing anything.
    Iframe,
}

impl Window {
    fn prefix(self) -> &'static str {
        match self {
            Window::Popup => "p.",
            Window::Iframe => "i.",
        }
    }

    /// How long to wait for the response by default: a user typing a password in a popup,
    /// or a server answering at once in an iframe (oidc-client-ts waits 10 s, auth0-spa-js
    /// 60 s for both).
    pub(crate) fn default_timeout_ms(self) -> u32 {
        match self {
            Window::Popup => 300_000,
            Window::Iframe => 10_000,
        }
    }

    /// What the page does when the window gives up: closed by the user, or no answer in time.
    pub(crate) fn closed() -> Error {
        Error::new(
            Code::PopupClosed,
            t!("The login popup was closed before the login finished. If the user did not close it, the server's pages sent Cross-Origin-Opener-Policy: same-origin (Entra ID does), which makes the popup look closed to this page: pass abortOnClose: false to loginWithPopup, and see docs/SERVERS.md."),
        )
    }

    pub(crate) fn timed_out(self) -> Error {
        Error::new(
            Code::Timeout,
            match self {
                Window::Popup => t!("The login popup did not come back in time."),
                Window::Iframe => t!("The silent login did not come back in time: the server may refuse to be framed, or the redirect page did not call handleCallback."),
            },
        )
    }
}

/// How a login is shown in another window (`Platform::show_elsewhere`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Shown {
    pub window: Window,
    /// The shell's handle of the popup opened for this login at the user's click (0 for an
    /// iframe): each login shows its own window (review round 2, I13: two overlapping
    /// popup logins took each other's windows).
    pub popup: u32,
    /// How long to wait for the response.
    pub timeout_ms: u32,
    /// Whether a popup that reads closed ends the login with `popup_closed`
    /// (`abortOnClose`, default true). The page cannot tell a popup the user closed from one
    /// the server's `Cross-Origin-Opener-Policy: same-origin` cut off (Entra ID's login
    /// pages send it): both read closed, and nothing of the app runs at the server's pages.
    /// With false, a closed popup is waited for until the timeout: its redirect page may
    /// still hand the response over (review round 2, L14).
    pub abort_on_close: bool,
}

impl Shown {
    /// A popup login; `timeout_ms`: the app's `timeoutMs`, when given.
    pub(crate) fn popup(popup: u32, timeout_ms: Option<u32>, abort_on_close: bool) -> Shown {
        Shown {
            window: Window::Popup,
            popup,
            timeout_ms: timeout_ms.unwrap_or(Window::Popup.default_timeout_ms()),
            abort_on_close,
        }
    }

    /// A silent login in a hidden iframe.
    pub(crate) fn iframe(timeout_ms: Option<u32>) -> Shown {
        Shown {
            window: Window::Iframe,
            popup: 0,
            timeout_ms: timeout_ms.unwrap_or(Window::Iframe.default_timeout_ms()),
            abort_on_close: false,
        }
    }
}

/// What a login window gave back (`Platform::show_elsewhere`).
pub(crate) enum Answer {
    /// The response URL its redirect page handed over.
    Response(String),
    /// The popup could not be opened.
    Blocked,
    /// The popup was closed first (reported only with `abort_on_close`).
    Closed,
    /// Nothing came back in time.
    TimedOut,
}

/// The state of a login shown in `window`: `random` with the window's prefix.
pub(crate) fn state(random: String, window: Option<Window>) -> String {
    match window {
        None => random,
        Some(w) => {
            let mut s = String::from(w.prefix());
            s.push_str(&random);
            s
        }
    }
}

/// Whether a response with this `state` answers a login shown in another window.
pub(crate) fn of_state(state: &str) -> Option<Window> {
    [Window::Popup, Window::Iframe]
        .into_iter()
        .find(|w| state.starts_with(w.prefix()))
}

/// Silent logins that failed the same way in a row after which no more is tried (issue 26,
/// 5): a server that answers `login_required` will answer it again, and an app that tries
/// at every start, focus or failed call would loop (the peers' trackers are full of such
/// loops, across reloads too: hence kept in the tab's sessionStorage).
pub(crate) const SILENT_TRIES: u32 = 3;

/// Where a tab counts the silent logins of the session `session_key` that failed in a row.
pub(crate) fn failures_key(session_key: &str) -> String {
    let mut key = String::from("spa-oauth:silent-failures?");
    key.push_str(session_key);
    key
}

/// The count after a silent login that failed with `code`, as stored: the code and how many
/// in a row failed with it (another code starts again at one).
pub(crate) fn failed(record: Option<&str>, code: Code) -> String {
    let before = record
        .and_then(|r| r.split_once(' '))
        .filter(|(c, _)| *c == code.as_str())
        .and_then(|(_, n)| crate::form::parse_u64(n))
        .unwrap_or(0);
    let mut out = String::from(code.as_str());
    out.push(' ');
    crate::form::push_u64(&mut out, before.saturating_add(1));
    out
}

/// The error to give instead of a silent login, once `SILENT_TRIES` failed the same way in a
/// row; `None` while it may be tried.
pub(crate) fn stopped(record: Option<&str>) -> Option<Error> {
    let (code, n) = record?.split_once(' ')?;
    let n = crate::form::parse_u64(n)?;
    let code = Code::from_server(code).filter(|_| n >= u64::from(SILENT_TRIES))?;
    Some(Error::new(
        code,
        t!("The silent login failed the same way three times in a row; spa-oauth does not try it again until a login succeeds in this tab: call startLogin or loginWithPopup."),
    ))
}

/// The error a popup that could not be opened gives.
pub(crate) fn blocked() -> Error {
    Error::new(
        Code::PopupBlocked,
        t!("The browser blocked the login popup: call loginWithPopup from a click handler, before any await."),
    )
}

/// `timeoutMs` of a popup or silent login: a whole number of milliseconds from 1 to the
/// login transaction's life (`transaction::MAX_AGE_SECS`): a response after that is refused
/// as `transaction_expired` whatever the wait, so waiting longer only hides it (review round
/// 2, I13).
pub(crate) fn timeout_ms(n: f64) -> Result<u32, Error> {
    let max = (crate::transaction::MAX_AGE_SECS * 1000) as f64;
    if (1.0..=max).contains(&n) && n.fract() == 0.0 {
        return Ok(n as u32);
    }
    Err(Error::new(
        Code::InvalidConfig,
        t!("timeoutMs must be a whole number of milliseconds from 1 to 600000 (a login lives 10 minutes)."),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_windows_timeout_never_outlives_its_login() {
        assert_eq!(timeout_ms(1.0), Ok(1));
        assert_eq!(timeout_ms(600_000.0), Ok(600_000));
        for bad in [
            0.0,
            -1.0,
            600_001.0,
            3_600_000.0,
            1.5,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(
                timeout_ms(bad).map_err(|e| e.code),
                Err(Code::InvalidConfig),
                "{bad}"
            );
        }
        // The window's own defaults are within it.
        for w in [Window::Popup, Window::Iframe] {
            assert!(timeout_ms(w.default_timeout_ms().into()).is_ok());
        }
    }

    #[test]
    fn silent_logins_that_fail_the_same_way_stop_after_three() {
        let mut record: Option<String> = None;
        for _ in 0..SILENT_TRIES - 1 {
            record = Some(failed(record.as_deref(), Code::LoginRequired));
            assert!(stopped(record.as_deref()).is_none());
        }
        // Another failure in between starts the count again.
        let other = failed(record.as_deref(), Code::ServerError);
        assert_eq!(other, "server_error 1");
        record = Some(failed(record.as_deref(), Code::LoginRequired));
        assert_eq!(record.as_deref(), Some("login_required 3"));
        let e = stopped(record.as_deref()).unwrap();
        assert_eq!(e.code, Code::LoginRequired);
        assert!(e.description.as_str().contains("three times"));
        // Damaged records count as none.
        for bad in [
            "",
            "login_required",
            "login_required x",
            "not a code 9",
            " 3",
        ] {
            assert!(stopped(Some(bad)).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_state_says_which_window_a_response_answers() {
        let random = "AbC-_0".to_string();
        assert_eq!(state(random.clone(), None), "AbC-_0");
        assert_eq!(of_state("AbC-_0"), None);
        for w in [Window::Popup, Window::Iframe] {
            let s = state(random.clone(), Some(w));
            assert_eq!(of_state(&s), Some(w));
            assert!(s.ends_with("AbC-_0"));
        }
        // The random part is base64url: it never starts with a prefix by chance.
        assert_eq!(of_state("p-AbC"), None);
        assert_eq!(of_state(""), None);
    }
}
