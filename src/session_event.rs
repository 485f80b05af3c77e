//! Session events: what a change of the stored session means to the app (`onSessionChange`).

use crate::session::Session;

/// What happened to the session.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum SessionEventKind {
    /// A login completed (here, or in another tab).
    Login,
    /// The tokens were refreshed.
    Refresh,
    /// The session was ended by `logout` (or removed by another tab).
    Logout,
    /// The access token expired with no refresh token, or the server refused the refresh
    /// token: the session is gone and the user must log in again.
    Expired,
    /// The session ends soon (`expiringNoticeSeconds` before `sessionExpiresAt`): the app
    /// may save the user's work, or sign in again (a popup or a silent login) without
    /// losing the page.
    Expiring,
    /// No activity of the user in any tab for a while (`idleTimeoutSeconds`): the session
    /// ends with a logout `idleWarningSeconds` from now unless the user acts.
    Idle,
}

impl SessionEventKind {
    /// `"login"`, `"refresh"`, `"logout"`, `"expired"`, `"expiring"` or `"idle"`, as
    /// JavaScript sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEventKind::Login => "login",
            SessionEventKind::Refresh => "refresh",
            SessionEventKind::Logout => "logout",
            SessionEventKind::Expired => "expired",
            SessionEventKind::Expiring => "expiring",
            SessionEventKind::Idle => "idle",
        }
    }
}

impl SessionEventKind {
    /// What another tab's change of a stored session (the `storage` event's old and new
    /// values, HTML 12.2.1) was: a session where there was none is a login, a removed one a
    /// logout, new tokens a refresh. `None`: the same tokens written again (a refresh's
    /// second write, with its ID token checked), no change to report.
    pub(crate) fn of_change(old: Option<&str>, new: Option<&str>) -> Option<SessionEventKind> {
        Some(match (old, new) {
            (Some(old), Some(new)) if Session::same_tokens(old, new) => return None,
            (None, Some(_)) => SessionEventKind::Login,
            (Some(_), Some(_)) => SessionEventKind::Refresh,
            _ => SessionEventKind::Logout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_tabs_change_is_named_by_what_it_did() {
        let a = "access_token=a&refresh_token=r&token_endpoint=t&client_id=c";
        let b = "access_token=b&refresh_token=r2&token_endpoint=t&client_id=c";
        let a_checked = "access_token=a&refresh_token=r&id_token=i&token_endpoint=t&client_id=c";
        assert_eq!(
            SessionEventKind::of_change(None, Some(a)),
            Some(SessionEventKind::Login)
        );
        assert_eq!(
            SessionEventKind::of_change(Some(a), Some(b)),
            Some(SessionEventKind::Refresh)
        );
        assert_eq!(
            SessionEventKind::of_change(Some(a), None),
            Some(SessionEventKind::Logout)
        );
        // localStorage.clear() in another tab: no key, no values.
        assert_eq!(
            SessionEventKind::of_change(None, None),
            Some(SessionEventKind::Logout)
        );
        assert_eq!(SessionEventKind::of_change(Some(a), Some(a_checked)), None);
        assert_eq!(SessionEventKind::Expired.as_str(), "expired");
    }
}
