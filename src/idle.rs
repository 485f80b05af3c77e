//! The idle timeout (issue 26, 6; opt-in, `idleTimeoutSeconds`): after that long without
//! the user's activity in any tab of the origin (a key, a click, a touch, the wheel, the
//! pointer moving), the session ends with a logout, `idleWarningSeconds` after an `"idle"`
//! event that lets the app show a countdown. As keycloak-js's and oidc-spa's: a shared
//! computer left alone does not stay signed in.
//!
//! The tabs share the moment of the last activity in localStorage; each tab's timer reads it
//! again when it fires, so activity in any tab postpones the logout in all.

/// Where the last activity is kept (seconds since the epoch): one for the origin.
pub(crate) const ACTIVITY_KEY: &str = "spa-oauth:activity";

/// Activity is written at most this often: the pointer moves many times a second.
pub(crate) const WRITE_EVERY_SECS: u64 = 5;

/// What the idle timer does when it fires.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IdleDue {
    /// Report `"idle"`: the logout comes `warning` seconds later unless the user acts.
    Warn,
    /// Log out.
    Logout,
}

/// The idle timer's next moment after the last activity `last`, and what it does then;
/// `warned`: the warning for this `last` was given.
pub(crate) fn due(last: u64, now: u64, timeout: u64, warning: u64, warned: bool) -> (u64, IdleDue) {
    let logout_at = last.saturating_add(timeout);
    if !warned && now < logout_at {
        return (logout_at.saturating_sub(warning).max(now), IdleDue::Warn);
    }
    (logout_at.max(now), IdleDue::Logout)
}

/// When the idle logout comes, for `getSessionInfo` (an app's countdown).
pub(crate) fn logout_at(last: u64, timeout: u64) -> u64 {
    last.saturating_add(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warning_then_the_logout_after_the_last_activity() {
        const T: u64 = 1_800_000_000;
        assert_eq!(due(T, T, 900, 60, false), (T + 840, IdleDue::Warn));
        assert_eq!(due(T, T + 850, 900, 60, false), (T + 850, IdleDue::Warn));
        assert_eq!(due(T, T + 850, 900, 60, true), (T + 900, IdleDue::Logout));
        // Past it (a timer fired late): at once.
        assert_eq!(
            due(T, T + 5000, 900, 60, false),
            (T + 5000, IdleDue::Logout)
        );
        // Activity since: the next warning is counted from it.
        assert_eq!(
            due(T + 600, T + 850, 900, 60, false),
            (T + 1440, IdleDue::Warn)
        );
        assert_eq!(logout_at(T, 900), T + 900);
    }
}
