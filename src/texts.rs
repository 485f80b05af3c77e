//! Error descriptions, and how the npm package ships each of them once.
//!
//! Every fixed description is written where it is raised, inside the `t!` macro. A Rust
//! build (and the browser tests) keeps the text as it is. The npm build (`--cfg
//! spa_oauth_npm`) replaces it by a three-byte key: `\u{1}` and the text's index in the
//! sorted list of all of them, in two base-36 digits. The package entry
//! (pkg-template/index.js) puts the text back from its table when it makes the `AuthError`.
//! So the texts travel once, in the JavaScript, instead of in the wasm's data (issue 14: about
//! 2.8 KB gzip of wasm for 2 KB of JavaScript). build.rs lists the texts from the sources;
//! scripts/build.mjs makes the entry's table from the same sources by the same rules.

#[cfg(any(spa_oauth_npm, test))]
include!(concat!(env!("OUT_DIR"), "/texts.rs"));

/// A fixed description: the text itself.
#[cfg(not(spa_oauth_npm))]
macro_rules! t {
    ($s:literal) => {
        $s
    };
}

/// A fixed description: its key (the text is in the package entry's table).
#[cfg(spa_oauth_npm)]
macro_rules! t {
    ($s:literal) => {{
        const K: [u8; 3] = $crate::texts::key($crate::texts::index_of($s));
        const S: &str = match core::str::from_utf8(&K) {
            Ok(s) => s,
            Err(_) => "",
        };
        S
    }};
}

/// The index of `s` in `TEXTS`, at compile time: a text missing from the list fails the
/// build.
#[cfg(any(spa_oauth_npm, test))]
pub(crate) const fn index_of(s: &str) -> usize {
    let mut i = 0;
    while i < TEXTS.len() {
        if same(TEXTS[i].as_bytes(), s.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("a t! text is missing from the list build.rs makes");
}

#[cfg(any(spa_oauth_npm, test))]
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `\u{1}` and `i` in two base-36 digits (the entry's `expand` reads it back).
#[cfg(any(spa_oauth_npm, test))]
pub(crate) const fn key(i: usize) -> [u8; 3] {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    assert!(
        i < 36 * 36,
        "more t! texts than two base-36 digits can number"
    );
    [1, DIGITS[i / 36], DIGITS[i % 36]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_unique_and_keys_read_back() {
        assert!(TEXTS.len() > 100, "the sources' descriptions are listed");
        // Sorted as written (escapes and all) by build.rs; unique as read.
        let mut seen = std::collections::HashSet::new();
        assert!(TEXTS.iter().all(|t| seen.insert(*t)));
        for (i, text) in TEXTS.iter().enumerate() {
            assert_eq!(index_of(text), i);
            let k = key(i);
            assert_eq!(k[0], 1);
            let back = usize::from_str_radix(std::str::from_utf8(&k[1..]).unwrap(), 36).unwrap();
            assert_eq!(back, i);
        }
        // Texts as the sources write them: with their escapes, as Rust reads them back.
        assert!(TEXTS.contains(&"The ID token's signature does not verify with the issuer's key."));
    }
}
