//! Requests to resource servers (the app's APIs) with the access token: where the token may
//! go, and how it is written. The authorized fetch (`fetchWithAuth`) and userinfo use these.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::url;

/// Whether the access token may be sent to `target` from the page at `page`: the page's own
/// origin, or one the config lists in `apiOrigins`, compared exactly (scheme, host, port).
/// A token sent anywhere else is a token given away (RFC 9700 4.9: a token sent to an
/// attacker's server can be replayed at the real one); and never over plain http outside
/// loopback (RFC 6750 5.3).
pub(crate) fn check_target(config: &Config, target: &str, page: Option<&str>) -> Result<()> {
    // A fragment is the page's, never sent: fetch drops it (Fetch, "request URL" without
    // its fragment), so a URL with one goes where it goes without (review round 2, I12).
    let target = target.split_once('#').map_or(target, |(t, _)| t);
    let origin = url::split(target)
        .filter(|_| url::is_safe_endpoint(target))
        .map(|p| p.origin);
    let Some(origin) = origin else {
        return Err(Error::new(
            Code::InvalidConfig,
            t!("fetchWithAuth sends the token only to https URLs (http only on localhost)."),
        ));
    };
    let own = page.and_then(url::split).map(|p| p.origin);
    if own == Some(origin) || config.api_origins.iter().any(|o| o == origin) {
        return Ok(());
    }
    Err(Error::detail(
        Code::InvalidConfig,
        &[
            t!("fetchWithAuth does not send the token to "),
            origin,
            t!(": it is neither this page's origin nor in apiOrigins."),
        ],
    ))
}

/// The `Authorization` header value: `Bearer <token>` (RFC 6750 2.1), or for a DPoP-bound
/// token `DPoP <token>` (RFC 9449 7.1).
pub(crate) fn authorization(token: &str, dpop: bool) -> String {
    let mut v = String::from(if dpop { "DPoP " } else { "Bearer " });
    v.push_str(token);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: &[&str]) -> Config {
        Config {
            issuer: Some("https://id.example".into()),
            api_origins: origins.iter().map(|o| o.to_string()).collect(),
            ..Config::new("spa", "https://app.example/cb")
        }
    }

    #[test]
    fn the_token_goes_to_the_pages_origin_and_the_listed_ones_only() {
        let page = Some("https://app.example/orders?x=1");
        let c = config(&["https://api.example", "http://localhost:8080"]);
        for ok in [
            "https://app.example/api/me",
            "https://api.example/v1?q=1",
            "https://api.example",
            "http://localhost:8080/x",
            "https://api.example/v1#section",
            "https://app.example/#",
        ] {
            assert!(check_target(&c, ok, page).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("https://evil.example/api", "neither"),
            ("https://api.example:8443/v1", "neither"),
            ("http://api.example/v1", "https"),
            ("https://app.example.evil.example/", "neither"),
            ("https://user@api.example/", "https"),
            ("http://localhost:8081/x", "neither"),
            ("javascript:alert(1)", "https"),
            ("/relative", "https"),
            ("https://evil.example/#https://api.example", "neither"),
        ] {
            let e = check_target(&c, bad, page).unwrap_err();
            assert_eq!(e.code, Code::InvalidConfig, "{bad}");
            assert!(e.description.as_str().contains(why), "{bad}: {e}");
        }
        // The default: the page's origin only.
        assert!(check_target(&config(&[]), "https://api.example/", page).is_err());
        assert!(check_target(&config(&[]), "https://app.example/", None).is_err());
    }

    #[test]
    fn api_origins_are_origins() {
        for bad in [
            "https://api.example/",
            "https://api.example/v1",
            "api.example",
            "http://api.example",
            "https://a.example#x",
            // Never what a browser's request URL has: they would never match (I12).
            "https://API.example",
            "https://api.example:443",
            "http://localhost:80",
            "HTTPS://api.example",
        ] {
            assert_eq!(
                config(&[bad]).validated().unwrap_err().code,
                Code::InvalidConfig,
                "{bad}"
            );
        }
        assert!(config(&[
            "https://api.example",
            "http://127.0.0.1:3000",
            "https://api.example:8443"
        ])
        .validated()
        .is_ok());
    }

    #[test]
    fn the_header_names_the_token_type() {
        assert_eq!(authorization("t", false), "Bearer t");
        assert_eq!(authorization("t", true), "DPoP t");
    }
}
