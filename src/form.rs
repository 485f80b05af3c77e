//! `application/x-www-form-urlencoded` (the WHATWG URL Standard's serializer and a strict
//! parser). One encoding serves every place spa-oauth writes or reads pairs: the
//! authorization request's query (RFC 6749 4.1.1, Appendix B), the token request body
//! (RFC 6749 4.1.3), the callback's query or fragment (RFC 6749 4.1.2), and the records it
//! keeps in browser storage (transactions, sessions, cached metadata).

use crate::error::{Code, Error, Result};

/// Appends `name=value` to `out`, with a `&` first when `out` does not end a query start.
pub(crate) fn push(out: &mut String, name: &str, value: &str) {
    if !(out.is_empty() || out.ends_with('?') || out.ends_with('&')) {
        out.push('&');
    }
    encode_into(out, name);
    out.push('=');
    encode_into(out, value);
}

/// Percent-encodes per the form serializer: alphanumerics and `*-._` stay, space becomes
/// `+`, every other byte of the UTF-8 form becomes `%XX`. So `+`, `&`, `#`, `=` and `%` in a
/// value can never be read as syntax by the other side.
pub(crate) fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// Decodes one name or value: `+` is a space, `%XX` a byte. Stricter than browsers: a `%`
/// not followed by two hex digits, or bytes that are not UTF-8, are an error rather than
/// passed through, because a value that was not produced by a form serializer is not one
/// a server or spa-oauth wrote.
pub(crate) fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|&h| hex(h))?;
                let lo = bytes.get(i + 2).and_then(|&l| hex(l))?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parsed pairs. RFC 6749 3.1: "Request and response parameters MUST NOT be included more
/// than once", so a repeated name is an error, never "first wins" or "last wins": that
/// ambiguity is what parameter-pollution attacks use.
pub(crate) struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// Parses `a=1&b=2`. Empty segments (`a=1&&b=2`, a trailing `&`) are skipped, as
    /// URLSearchParams does. A segment without `=` is a name with an empty value.
    pub(crate) fn parse(s: &str) -> Result<Pairs> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for segment in s.split('&').filter(|seg| !seg.is_empty()) {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            let bad = || {
                Error::new(
                    Code::InvalidCallback,
                    t!("A parameter is not validly percent-encoded."),
                )
            };
            let name = decode(name).ok_or_else(bad)?;
            let value = decode(value).ok_or_else(bad)?;
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(Error::new(
                    Code::InvalidCallback,
                    t!("A parameter appears more than once."),
                ));
            }
            pairs.push((name, value));
        }
        Ok(Pairs(pairs))
    }

    /// The value of `name`, if present.
    #[cfg(test)]
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Takes the value of `name` out, if present.
    pub(crate) fn take(&mut self, name: &str) -> Option<String> {
        let i = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.swap_remove(i).1)
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let mut out = String::new();
        encode_into(&mut out, s);
        out
    }

    #[test]
    fn encodes_like_the_form_serializer() {
        assert_eq!(enc("openid profile"), "openid+profile");
        assert_eq!(enc("a&b=c"), "a%26b%3Dc");
        assert_eq!(enc("1+1"), "1%2B1");
        assert_eq!(enc("/orders/42#top"), "%2Forders%2F42%23top");
        assert_eq!(enc("100%"), "100%25");
        assert_eq!(enc("é€😀"), "%C3%A9%E2%82%AC%F0%9F%98%80");
        assert_eq!(enc("*-._~"), "*-._%7E");
        assert_eq!(enc(""), "");
    }

    #[test]
    fn push_separates_pairs() {
        let mut s = String::from("https://id.example/authorize?");
        push(&mut s, "a", "1");
        push(&mut s, "b c", "x y");
        assert_eq!(s, "https://id.example/authorize?a=1&b+c=x+y");
        let mut s = String::new();
        push(&mut s, "a", "");
        assert_eq!(s, "a=");
    }

    #[test]
    fn decode_round_trips_every_encoding() {
        for s in [
            "",
            "openid profile",
            "a&b=c",
            "1+1",
            "#",
            "%",
            "é€😀",
            "line\nbreak",
            "\u{0}",
        ] {
            assert_eq!(decode(&enc(s)).as_deref(), Some(s));
        }
        assert_eq!(decode("%c3%a9").as_deref(), Some("é"), "lower-case hex");
    }

    #[test]
    fn decode_refuses_malformed_input() {
        assert_eq!(decode("%"), None);
        assert_eq!(decode("%4"), None);
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%C3"), None, "truncated UTF-8");
        assert_eq!(decode("%FF"), None, "not UTF-8");
    }

    #[test]
    fn pairs_parse_and_refuse_repeats() {
        let p = Pairs::parse("code=abc&state=x%20y&&flag&empty=").unwrap();
        assert_eq!(p.get("code"), Some("abc"));
        assert_eq!(p.get("state"), Some("x y"));
        assert_eq!(p.get("flag"), Some(""));
        assert_eq!(p.get("empty"), Some(""));
        assert_eq!(p.get("missing"), None);
        assert!(Pairs::parse("").unwrap().is_empty());
        let e = Pairs::parse("code=a&code=b").err().unwrap();
        assert_eq!(e.code, Code::InvalidCallback);
        // The same name, spelled differently, is still the same name.
        assert!(Pairs::parse("state=a&st%61te=b").is_err());
        assert!(Pairs::parse("code=%ZZ").is_err());
    }

    #[test]
    fn take_removes_a_pair() {
        let mut p = Pairs::parse("a=1&b=2").unwrap();
        assert_eq!(p.take("a").as_deref(), Some("1"));
        assert_eq!(p.take("a"), None);
        assert_eq!(p.get("b"), Some("2"));
    }
}

/// Writes `n` in decimal (without the formatting machinery `to_string` brings into the wasm).
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}

/// A decimal `u64` (digits only: no sign, no spaces), as written by [`push_u64`].
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.bytes().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add((d - b'0') as u64)
    })
}

/// Writes `name=<decimal>` as a pair.
pub(crate) fn push_num(out: &mut String, name: &str, n: u64) {
    let mut digits = String::new();
    push_u64(&mut digits, n);
    push(out, name, &digits);
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn decimal_round_trip() {
        for n in [0, 1, 9, 10, 599, 1_700_000_000, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
            assert_eq!(parse_u64(&s), Some(n));
        }
        for bad in ["", "-1", "+1", " 1", "1.0", "18446744073709551616", "1e3"] {
            assert_eq!(parse_u64(bad), None, "{bad}");
        }
    }
}
