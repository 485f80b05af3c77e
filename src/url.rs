//! The little URL handling spa-oauth needs, without a URL parser in the wasm: checking that
//! configured URLs are absolute and safe, splitting off a query or fragment, and judging a
//! `returnTo` path.

/// The parts of an absolute `http(s)` URL, borrowed from the input.
pub(crate) struct Parts<'a> {
    /// Scheme, `://` and authority, e.g. `https://id.example:8443`.
    pub origin: &'a str,
    /// The path, possibly empty.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

/// Splits an absolute `http:` or `https:` URL. `None` for anything else, for an empty host,
/// userinfo (`https://user@host`, a phishing device with no use here), or characters a URL
/// never holds literally (spaces, controls, backslashes, which browsers reinterpret).
pub(crate) fn split(url: &str) -> Option<Parts<'_>> {
    if url.bytes().any(|b| b <= b' ' || b == b'\\' || b >= 0x7f) {
        return None;
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let scheme_len = url.len() - rest.len();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_end)?;
    if authority.is_empty() || authority.contains('@') || authority.starts_with(':') {
        return None;
    }
    let origin = url.get(..scheme_len + authority_end)?;
    let after = rest.get(authority_end..)?;
    let (before_fragment, fragment) = match after.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (after, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (before_fragment, None),
    };
    Some(Parts {
        origin,
        path,
        query,
        fragment,
    })
}

/// The host of an origin, without port or brackets' contents changed.
fn host(origin: &str) -> &str {
    // `origin` comes from `split`: the scheme ("http" or "https") holds no ':', so the first
    // one starts "://". (A one-byte search: a multi-byte pattern would bring in core's
    // two-way string searcher, 800 bytes of wasm used nowhere else.)
    let authority = origin
        .find(':')
        .and_then(|i| origin.get(i + 3..))
        .unwrap_or(origin);
    if authority.starts_with('[') {
        // IPv6 literal: up to and including the closing bracket.
        return authority
            .find(']')
            .and_then(|i| authority.get(..=i))
            .unwrap_or(authority);
    }
    authority.split_once(':').map_or(authority, |(h, _)| h)
}

/// Loopback hosts, where plain `http` is acceptable (RFC 8252 8.3; the browser-based-apps
/// draft allows it for development only).
fn is_loopback(origin: &str) -> bool {
    matches!(
        host(origin).to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "[::1]"
    )
}

/// Whether two absolute URLs name the same page: the same origin (scheme and host compared
/// ASCII case-insensitively, a default port written or not) and the same path (an empty one
/// is `/`), whatever their queries and fragments. The callback URL a browser shows is
/// normalised this way, and a redirect URI as configured may not be.
pub(crate) fn same_page(a: &str, b: &str) -> bool {
    fn key(url: &str) -> Option<(String, &str)> {
        let p = split(url)?;
        let mut origin = p.origin.to_ascii_lowercase();
        for default in ["https://", "http://"] {
            let port = if default == "https://" { ":443" } else { ":80" };
            if origin.starts_with(default) && origin.ends_with(port) {
                origin.truncate(origin.len() - port.len());
            }
        }
        Some((origin, if p.path.is_empty() { "/" } else { p.path }))
    }
    matches!((key(a), key(b)), (Some(x), Some(y)) if x == y)
}

/// An absolute `https` URL, or `http` on a loopback host.
pub(crate) fn is_web_url(url: &str) -> bool {
    split(url).is_some_and(|p| url.starts_with("https://") || is_loopback(p.origin))
}

/// An endpoint or issuer the library will talk to: absolute, `https` (RFC 9700 2.6 and
/// RFC 6749 3.1.2.1 want TLS) or `http` on a loopback host, and no fragment (RFC 6749 3.1,
/// RFC 8414 2). A query is allowed on endpoints and kept (RFC 6749 3.1).
pub(crate) fn is_safe_endpoint(url: &str) -> bool {
    is_web_url(url) && !url.contains('#')
}

/// An origin as browsers write it (HTML's ASCII serialization of an origin): lower case,
/// without the scheme's default port. A request's URL has its origin so, and an origin
/// written otherwise (`https://API.example:443`) would never compare equal to it.
pub(crate) fn is_serialized_origin(origin: &str) -> bool {
    let default_port = if origin.starts_with("https:") {
        ":443"
    } else {
        ":80"
    };
    !origin.bytes().any(|b| b.is_ascii_uppercase()) && !origin.ends_with(default_port)
}

/// A redirect URI (RFC 6749 3.1.2): absolute, no fragment; `https`, or `http` on loopback.
pub(crate) fn is_safe_redirect_uri(url: &str) -> bool {
    is_safe_endpoint(url)
}

/// `returnTo` must be a path on the app's own origin: it starts with one `/` and is not
/// read by a browser as another origin (`//evil.example`, `/\evil.example`, which browsers
/// treat as `//`), and holds no controls (a tab or newline is stripped by URL parsers, so
/// `/\t/evil.example` becomes `//evil.example`). RFC 9700 4.11 (open redirectors).
pub(crate) fn is_same_origin_path(path: &str) -> bool {
    let b = path.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
        && !b.iter().any(|&c| c < b' ' || c == 0x7f || c == b'\\')
}

/// The URL to append parameters to: `url` with `?` or `&` at the end, keeping an existing
/// query (RFC 6749 3.1: it "MUST be retained when adding additional query parameters").
pub(crate) fn with_query_start(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 512);
    out.push_str(url);
    if !url.contains('?') {
        out.push('?');
    } else if !(url.ends_with('?') || url.ends_with('&')) {
        out.push('&');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_page_compares_origin_and_path_only() {
        let cb = "https://app.example/cb?a=1";
        for same in [
            "https://app.example/cb",
            "https://app.example/cb?code=x&state=y",
            "https://APP.example/cb#code=x",
            "https://app.example:443/cb",
        ] {
            assert!(same_page(same, cb), "{same}");
        }
        assert!(same_page("http://localhost:80/", "http://localhost"));
        for other in [
            "https://app.example/cb/",
            "https://app.example/CB",
            "https://app.example/other?cb",
            "https://app.example:8443/cb",
            "http://app.example/cb",
            "https://evil.example/cb",
            "https://app.example.evil.example/cb",
            "not a url",
        ] {
            assert!(!same_page(other, cb), "{other}");
        }
    }

    #[test]
    fn splits_absolute_urls() {
        let p = split("https://app.example:8443/cb/x?code=1&state=2#frag").unwrap();
        assert_eq!(p.origin, "https://app.example:8443");
        assert_eq!(p.path, "/cb/x");
        assert_eq!(p.query, Some("code=1&state=2"));
        assert_eq!(p.fragment, Some("frag"));
        let p = split("http://localhost:5173").unwrap();
        assert_eq!(
            (p.origin, p.path, p.query, p.fragment),
            ("http://localhost:5173", "", None, None)
        );
        let p = split("https://a.example/#x?y").unwrap();
        assert_eq!((p.path, p.query, p.fragment), ("/", None, Some("x?y")));
        let p = split("https://a.example?q").unwrap();
        assert_eq!((p.path, p.query), ("", Some("q")));
    }

    #[test]
    fn refuses_what_is_not_an_absolute_http_url() {
        for bad in [
            "",
            "/relative",
            "app.example/cb",
            "ftp://a.example/",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://user@a.example/",
            "https://a.example/ space",
            "https://a.example\\@evil.example/",
            "https://a.example/\n",
            "https://:443/",
            "https://bücher.example/",
        ] {
            assert!(split(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn endpoints_need_tls_except_on_loopback() {
        assert!(is_safe_endpoint("https://id.example"));
        assert!(is_safe_endpoint("https://id.example/oauth/token?tenant=1"));
        assert!(is_safe_endpoint("http://localhost:4400/token"));
        assert!(is_safe_endpoint("http://LOCALHOST/token"));
        assert!(is_safe_endpoint("http://127.0.0.1:4400"));
        assert!(is_safe_endpoint("http://[::1]:8080/"));
        assert!(!is_safe_endpoint("http://id.example/token"));
        assert!(!is_safe_endpoint("http://localhost.evil.example/token"));
        assert!(!is_safe_endpoint("http://127.0.0.1.evil.example/"));
        assert!(!is_safe_endpoint("https://id.example/token#frag"));
        assert!(!is_safe_endpoint("http://[::1"));
    }

    #[test]
    fn redirect_uris_are_absolute_without_fragment() {
        assert!(is_safe_redirect_uri("https://app.example/callback"));
        assert!(is_safe_redirect_uri("http://localhost:5173/callback"));
        assert!(!is_safe_redirect_uri("/callback"));
        assert!(!is_safe_redirect_uri("https://app.example/callback#x"));
        assert!(!is_safe_redirect_uri("http://app.example/callback"));
    }

    #[test]
    fn return_to_must_stay_on_the_origin() {
        for good in ["/", "/orders/42", "/a?b=c#d", "/é", "/a//b", "/a/\u{e9}"] {
            assert!(is_same_origin_path(good), "{good}");
        }
        for bad in [
            "",
            "orders",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "/a\\b",
            " /orders",
        ] {
            assert!(!is_same_origin_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn query_start_keeps_an_existing_query() {
        assert_eq!(
            with_query_start("https://a.example/authorize"),
            "https://a.example/authorize?"
        );
        assert_eq!(
            with_query_start("https://a.example/authorize?tenant=x"),
            "https://a.example/authorize?tenant=x&"
        );
        assert_eq!(
            with_query_start("https://a.example/authorize?"),
            "https://a.example/authorize?"
        );
    }
}
