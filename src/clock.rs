//! The server's time (issue 26, 3). A device whose clock is hours off would find every ID
//! token expired or not yet valid, and a server would refuse every DPoP proof as stale. So
//! the offset between this browser's clock and the servers' is learned from what a server
//! says, and every check of a time a server wrote (an ID token's `exp`, `iat`, `nbf`,
//! `auth_time`; a DPoP proof's `iat`) is made on server time: the browser's clock plus the
//! offset. `clockSkewSeconds` stays the tolerance on top.
//!
//! The sources, in this order:
//! - the `Date` header of a token endpoint's answer (RFC 9110 6.6.1), where CORS exposes it
//!   (`Access-Control-Expose-Headers: Date`);
//! - a login's ID token `iat`, once its signature checked, when it disagrees with server
//!   time by more than the tolerance, as keycloak-js does with its token's `iat`. That token
//!   is bound to this login by its nonce (a random value this tab stored with the login), so
//!   no older token can be passed off as new by it; what the offset gives up is only the
//!   check that this one token's `iat` is "now". docs/SECURITY.md says what it can and cannot
//!   hide.
//!
//! Expiries the servers give as lifetimes (`expires_in`, `refresh_expires_in`) are counted
//! on the browser's own clock from when the answer came: they need no offset.

/// Offsets this small are the clocks agreeing (a `Date` header's one-second resolution, the
/// network's latency): taken as none.
const NOISE_SECS: i64 = 2;

/// The largest offset believed: a clock more than ten years off is not a clock.
const MAX_SECS: i64 = 10 * 366 * 86_400;

/// Where the offset is kept for the origin's pages (localStorage): one for all servers, since
/// what is off is this device's clock.
pub(crate) const KEY: &str = "spa-oauth:clock-offset";

/// Server time: `now` (the browser's clock) plus `offset`.
pub(crate) fn server_now(now: u64, offset: i64) -> u64 {
    now.saturating_add_signed(offset)
}

/// The offset a server's time `said` (seconds since the epoch) gives at `now`, with the
/// noise taken out; `None` when it is not believable.
pub(crate) fn offset(said: u64, now: u64) -> Option<i64> {
    let d = i64::try_from(said).ok()? - i64::try_from(now).ok()?;
    if d.abs() > MAX_SECS {
        return None;
    }
    Some(if d.abs() <= NOISE_SECS { 0 } else { d })
}

/// Whether a signature-checked login ID token's `iat` teaches a new offset: it disagrees
/// with server time (`now` plus `current`) by more than `skew`. The new offset, or `None`.
pub(crate) fn from_login_iat(iat: f64, now: u64, current: i64, skew: u64) -> Option<i64> {
    if !(0.0..=1e12).contains(&iat) {
        return None;
    }
    let said = iat as u64;
    let server = server_now(now, current);
    (said.abs_diff(server) > skew)
        .then(|| offset(said, now))
        .flatten()
}

/// The stored form of an offset.
pub(crate) fn encode(offset: i64) -> String {
    let mut s = String::new();
    if offset < 0 {
        s.push('-');
    }
    crate::form::push_u64(&mut s, offset.unsigned_abs());
    s
}

/// A stored offset; `None` when damaged (storage is input).
pub(crate) fn decode(s: &str) -> Option<i64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = i64::try_from(crate::form::parse_u64(digits)?).ok()?;
    let n = if negative { -n } else { n };
    (n.abs() <= MAX_SECS).then_some(n)
}

/// A `Date` header (RFC 9110 5.6.7: IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) as seconds
/// since the epoch; `None` for anything else (the obsolete forms included: no server sends
/// them now).
pub(crate) fn http_date(s: &str) -> Option<u64> {
    let b = s.trim().as_bytes();
    if b.len() != 29 || b.get(3) != Some(&b',') || !s.trim().ends_with(" GMT") {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<u64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
    };
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = b.get(8..11)?;
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let (day, year) = (num(5, 2)?, num(12, 4)?);
    let (h, m, sec) = (num(17, 2)?, num(20, 2)?, num(23, 2)?);
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // Days since the epoch of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_as_rfc_9110_writes_them() {
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            http_date("Fri, 04 Dec 2026 19:30:00 GMT"),
            Some(1_796_412_600)
        );
        assert_eq!(
            http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Xyz 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 0a Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_offset_is_what_the_server_said_minus_the_browser_without_the_noise() {
        const NOW: u64 = 1_800_000_000;
        assert_eq!(offset(NOW + 3 * 3600, NOW), Some(3 * 3600));
        assert_eq!(offset(NOW - 3 * 3600, NOW), Some(-3 * 3600));
        assert_eq!(offset(NOW + 2, NOW), Some(0));
        assert_eq!(offset(NOW - 2, NOW), Some(0));
        assert_eq!(offset(NOW + 11 * 366 * 86_400, NOW), None);
        assert_eq!(server_now(NOW, -3600), NOW - 3600);
        assert_eq!(server_now(5, -3600), 0);
        for o in [0, 7, -7, 3 * 3600, -MAX_SECS, MAX_SECS] {
            assert_eq!(decode(&encode(o)), Some(o));
        }
        for bad in ["", "-", "1.5", "+3", "99999999999", "abc", "--1"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_login_iat_teaches_an_offset_only_past_the_tolerance() {
        const NOW: u64 = 1_800_000_000;
        // The device is three hours ahead: the server's iat is three hours behind it.
        let iat = (NOW - 3 * 3600) as f64;
        assert_eq!(from_login_iat(iat, NOW, 0, 60), Some(-3 * 3600));
        // Already known: nothing new.
        assert_eq!(from_login_iat(iat, NOW, -3 * 3600, 60), None);
        // Within the tolerance: the clocks agree well enough.
        assert_eq!(from_login_iat((NOW + 30) as f64, NOW, 0, 60), None);
        for bad in [f64::NAN, -1.0, f64::INFINITY, 1e13] {
            assert_eq!(from_login_iat(bad, NOW, 0, 60), None);
        }
    }
}
