//! The browser's WebCrypto (`crypto.subtle`): SHA-256 for the PKCE challenge, and signature
//! verification: the issuer's key is imported from its JWK and the JWS signature checked
//! over the signing input (RFC 7515 5.2).
//! The JWS signature formats are WebCrypto's own: RSA signatures as bytes, ECDSA as the raw
//! `r || s` pair (RFC 7518 3.4), Ed25519 as its 64 bytes.

use crate::error::{Code, Error, Result};
use crate::id_token::invalid;
use crate::jwks::Jwk;
use crate::jws::Alg;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn object(members: &[(&str, JsValue)]) -> Object {
    let o = super::js_value::dictionary();
    for (k, v) in members {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// The `importKey` and `verify` algorithm parameters of `alg`.
fn params(alg: Alg) -> (Object, Object) {
    let (hash, bytes) = match alg {
        Alg::Rs256 | Alg::Ps256 | Alg::Es256 => ("SHA-256", 32),
        Alg::Rs384 | Alg::Ps384 | Alg::Es384 => ("SHA-384", 48),
        Alg::Rs512 | Alg::Ps512 | Alg::Es512 => ("SHA-512", 64),
        Alg::Ed25519 => {
            let ed = || object(&[("name", s("Ed25519"))]);
            return (ed(), ed());
        }
    };
    match alg {
        Alg::Rs256 | Alg::Rs384 | Alg::Rs512 => (
            object(&[("name", s("RSASSA-PKCS1-v1_5")), ("hash", s(hash))]),
            object(&[("name", s("RSASSA-PKCS1-v1_5"))]),
        ),
        // RFC 7518 3.5: the salt is as long as the hash.
        Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => (
            object(&[("name", s("RSA-PSS")), ("hash", s(hash))]),
            object(&[("name", s("RSA-PSS")), ("saltLength", JsValue::from(bytes))]),
        ),
        _ => {
            let curve = match alg {
                Alg::Es384 => "P-384",
                Alg::Es512 => "P-521",
                _ => "P-256",
            };
            (
                object(&[("name", s("ECDSA")), ("namedCurve", s(curve))]),
                object(&[("name", s("ECDSA")), ("hash", s(hash))]),
            )
        }
    }
}

const NO_WEBCRYPTO: &str =
    t!("This browser has no WebCrypto (crypto.subtle needs https, or http on localhost).");

fn subtle(code: Code) -> Result<web_sys::SubtleCrypto> {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.subtle())
        .ok_or_else(|| Error::new(code, NO_WEBCRYPTO))
}

/// SHA-256 of `data`, for the PKCE challenge (RFC 7636 4.2).
pub(crate) async fn sha256(data: &[u8]) -> Result<[u8; 32]> {
    let failed = || Error::new(Code::InvalidConfig, NO_WEBCRYPTO);
    let subtle = subtle(Code::InvalidConfig)?;
    let digest = subtle
        .digest_with_str_and_u8_array("SHA-256", data)
        .map_err(|_| failed())?;
    let bytes = JsFuture::from(digest).await.map_err(|_| failed())?;
    let bytes = js_sys::Uint8Array::new(&bytes);
    let mut out = [0u8; 32];
    if bytes.length() != 32 {
        return Err(failed());
    }
    bytes.copy_to(&mut out);
    Ok(out)
}

/// Whether `signature` is `jwk`'s signature of `signing_input` under `alg`. A key the browser
/// cannot import, or an algorithm it lacks (Ed25519 in older browsers), is an error that says
/// so, not a failed signature.
pub(crate) async fn verify(
    jwk: &Jwk,
    alg: Alg,
    signing_input: &str,
    signature: &[u8],
) -> Result<bool> {
    let subtle = subtle(Code::IdTokenInvalid)?;
    let mut members = vec![("kty", s(jwk.kty))];
    for (name, value) in &jwk.members {
        members.push((name, s(value)));
    }
    let key_data = object(&members);
    let (import, check) = params(alg);
    let usages = Array::of1(&s("verify"));
    let cannot_import = || {
        invalid(t!("The issuer's key for the ID token could not be imported (or this browser lacks its algorithm)."))
    };
    let key = subtle
        .import_key_with_object("jwk", &key_data, &import, false, &usages)
        .map_err(|_| cannot_import())?;
    let key: web_sys::CryptoKey = JsFuture::from(key)
        .await
        .map_err(|_| cannot_import())?
        .dyn_into()
        .map_err(|_| cannot_import())?;
    // A rejection here is a signature WebCrypto cannot even read (a wrong length): not valid.
    let Ok(verified) = subtle.verify_with_object_and_u8_array_and_u8_array(
        &check,
        &key,
        signature,
        signing_input.as_bytes(),
    ) else {
        return Ok(false);
    };
    Ok(JsFuture::from(verified)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    //! Published test vectors (RFC 7515 A.2 and A.3, RFC 8037 A.4) and one PS256 vector made
    //! once with WebCrypto (PSS signatures are randomised, so no RFC gives a fixed one).
    use super::*;
    use crate::b64url;
    use crate::json::Json;
    use crate::jwks;
    use crate::jws;
    use wasm_bindgen_test::*;

    const PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    const RS_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
    const RS_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    const ES_SIG: &str =
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    const PS_N: &str = "qP6A2TnJD9DW4BnPGrps7KPMrldzSQN3KlZ6l6aOj24gvBjoMR4AqQS9ZQFUfDDMBYn-jH1lnsoQhYU21l1itNFdMGWUMtoxeW_QJycCD36mC1z_xzBHSMyU_S-TLo8PSS9JfDMG-zoy_bXUfCDdBlgqR0nKlyT8Bj9TFsiMA2E3Bj2nsD4a0bgyufKRfibGLXXOLF0_hTpmZWBCUaliMqQoEuJuoSSHPrFbeaxNQEpciY8bvUkBn7EF-_SxpTVdrlcawS9moYfHS5hdwnp1fcJsRdgDXUUutuELzTlDNfO8a2C7ZNNgoM0svsuiEWNU-8__tRCwv4azm-wOZ4aDqQ";
    const PS_TOKEN: &str = "eyJhbGciOiJQUzI1NiIsImtpZCI6InBzIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.VQpbQziH-WlBLFJySiBQIPEd3S5MdYFCs7_h50oJrHHpw_CfL6zY21u94AFNTzDI2fUCUbm3frfFxTTjHp3h0LRg8qVHxVoOLyWjW9MbpNwzLAMEhYNcR9RhXxfRdUcQhfYQ1eNTULfeP1HdqA0kgBjFkK5VQreEoh3c4AOBgiszYMJddJ-jZ0npjU9M6p--RNfdCQHD84MSc7r-x2QDMx0iHdKtCbzNwmesH4whF2KHgK5qRCnPZAc545acq-8lsS2IEIa5dwJTqf0GY-Pi6K0KbKz6hvryVTlMsssL1JuJNxMqSD0km4CpzKgb3EHb9vl9tsUkUEa0bUe5lD74Mg";
    const ED_TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

    /// RFC 7636 Appendix B, through the browser's SHA-256: the shell's half of S256.
    #[wasm_bindgen_test]
    async fn pkce_challenge_of_rfc_7636_appendix_b() {
        let digest = sha256(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
            .await
            .unwrap();
        assert_eq!(
            crate::pkce::challenge(&digest),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    fn rsa(n: &str) -> Jwk {
        Jwk {
            kty: "RSA",
            members: vec![("n", n.into()), ("e", "AQAB".into())],
        }
    }

    fn ec() -> Jwk {
        Jwk {
            kty: "EC",
            members: vec![
                ("crv", "P-256".into()),
                ("x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU".into()),
                ("y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0".into()),
            ],
        }
    }

    fn ed() -> Jwk {
        Jwk {
            kty: "OKP",
            members: vec![
                ("crv", "Ed25519".into()),
                ("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into()),
            ],
        }
    }

    /// (signing input, signature) of a compact token.
    fn parts(token: &str) -> (String, Vec<u8>) {
        let (input, sig) = token.rsplit_once('.').unwrap();
        (input.into(), b64url::decode(sig).unwrap())
    }

    fn cases() -> Vec<(Alg, Jwk, String)> {
        vec![
            (
                Alg::Rs256,
                rsa(RS_N),
                format!("eyJhbGciOiJSUzI1NiJ9.{PAYLOAD}.{RS_SIG}"),
            ),
            (
                Alg::Es256,
                ec(),
                format!("eyJhbGciOiJFUzI1NiJ9.{PAYLOAD}.{ES_SIG}"),
            ),
            (Alg::Ps256, rsa(PS_N), PS_TOKEN.into()),
            (Alg::Ed25519, ed(), ED_TOKEN.into()),
        ]
    }

    #[wasm_bindgen_test]
    async fn published_vectors_verify() {
        for (alg, key, token) in cases() {
            let (input, sig) = parts(&token);
            assert!(verify(&key, alg, &input, &sig).await.unwrap(), "{alg:?}");
        }
    }

    #[wasm_bindgen_test]
    async fn one_changed_byte_fails() {
        for (alg, key, token) in cases() {
            let (input, mut sig) = parts(&token);
            sig[10] ^= 1;
            assert!(
                !verify(&key, alg, &input, &sig).await.unwrap(),
                "{alg:?} signature"
            );
            let (mut input, sig) = parts(&token);
            input.push(' ');
            assert!(
                !verify(&key, alg, &input, &sig).await.unwrap(),
                "{alg:?} input"
            );
            // A truncated signature is invalid, not an error.
            let (input, sig) = parts(&token);
            assert!(!verify(&key, alg, &input, &sig[..sig.len() - 1])
                .await
                .unwrap());
        }
    }

    #[wasm_bindgen_test]
    async fn the_wrong_key_or_algorithm_fails() {
        let (input, sig) = parts(&format!("eyJhbGciOiJSUzI1NiJ9.{PAYLOAD}.{RS_SIG}"));
        assert!(!verify(&rsa(PS_N), Alg::Rs256, &input, &sig).await.unwrap());
        // The same RSA key and signature under PSS is not valid either.
        assert!(!verify(&rsa(RS_N), Alg::Ps256, &input, &sig).await.unwrap());
        // A key the browser refuses to import is an error, not a pass.
        let broken = Jwk {
            kty: "EC",
            members: vec![
                ("crv", "P-256".into()),
                ("x", "AA".into()),
                ("y", "AA".into()),
            ],
        };
        let e = verify(&broken, Alg::Es256, &input, &sig).await.unwrap_err();
        assert_eq!(e.code, Code::IdTokenInvalid);
    }

    #[wasm_bindgen_test]
    async fn parse_select_and_verify_together() {
        // The PS256 token names its kid; the set holds that key among others.
        let set = JsValue::parse(&format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"other","n":"{RS_N}","e":"AQAB"}},
                {{"kty":"RSA","kid":"ps","alg":"PS256","use":"sig","n":"{PS_N}","e":"AQAB"}}]}}"#
        ))
        .unwrap();
        let jws = jws::parse::<JsValue>(PS_TOKEN).unwrap();
        let key = jwks::select(&set, jws.alg, jws.kid.as_deref())
            .unwrap()
            .unwrap();
        assert!(verify(&key, jws.alg, &jws.signing_input, &jws.signature)
            .await
            .unwrap());
    }
}
