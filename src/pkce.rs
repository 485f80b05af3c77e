//! Proof Key for Code Exchange (RFC 7636), S256 only: `plain` offers no protection when the
//! authorization request can be observed, and RFC 9700 2.1.1 says to use S256.

use crate::b64url;
use crate::secret::Secret;

/// A code verifier from 32 random bytes: 43 characters of base64url, 256 bits of entropy
/// (RFC 7636 4.1 recommends exactly this).
pub(crate) fn verifier(random: &[u8; 32]) -> Secret {
    Secret::new(b64url::encode(random))
}

/// RFC 7636 4.1: a code verifier is 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" /
/// "." / "_" / "~"`. Also what spa-oauth's `state` and `nonce` are made of (43 characters of
/// base64url), so a stored transaction can be checked for all three.
pub(crate) fn is_verifier(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` (RFC 7636 4.2), from
/// the SHA-256 the shell computed with WebCrypto (`crypto.subtle.digest`).
pub(crate) fn challenge(sha256_of_verifier: &[u8; 32]) -> String {
    b64url::encode(sha256_of_verifier)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// SHA-256, natively (sha2 is a dev-dependency only): what WebCrypto gives the shell.
    pub(crate) fn sha256(text: &str) -> [u8; 32] {
        Sha256::digest(text.as_bytes()).into()
    }

    #[test]
    fn verifier_syntax() {
        assert!(is_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(is_verifier(&"a~.-_".repeat(26)[..128]));
        assert!(!is_verifier(&"a".repeat(42)));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", "a".repeat(42))));
        assert!(!is_verifier(&format!("{}=", "a".repeat(42))));
    }

    #[test]
    fn rfc_7636_appendix_b() {
        // The octets of Appendix B give the verifier, and the verifier the challenge.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let v = verifier(&octets);
        assert_eq!(v.expose(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge(&sha256(v.expose())),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_is_43_unreserved_characters() {
        for fill in [0u8, 0x5a, 0xff] {
            let v = verifier(&[fill; 32]);
            assert_eq!(v.expose().len(), 43);
            // RFC 7636 4.1: [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~", 43 to 128 long.
            assert!(v
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i * 37) as u8;
        }
        assert_ne!(verifier(&bytes), verifier(&[0; 32]));
    }
}
