//! The authorization response (RFC 6749 4.1.2 and 4.1.2.1), read from the redirect URI's
//! query (or fragment, for `response_mode=fragment`).
//!
//! The checks run in the order that keeps an attacker's input from reaching the token
//! endpoint: parse strictly, find `state`, match it to a stored transaction (CSRF defence,
//! RFC 6749 10.12 and RFC 9700 2.1), check that the transaction is one of the configuration
//! handling the callback and that the response came to its redirect URI (the mix-up defence
//! of RFC 9700 4.4.2), then `iss` (RFC 9207), and only then look at `error` or `code`.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::form::Pairs;
use crate::issuer::Issuer;
use crate::secret::Secret;
use crate::transaction::Transaction;
use crate::url;

/// Where the response parameters are.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ResponseMode {
    Query,
    Fragment,
}

/// A parsed authorization response, not yet matched to a transaction.
pub(crate) struct Callback {
    pub state: String,
    /// The URL the response arrived at.
    href: String,
    params: Pairs,
}

/// The parameters that make up an authorization response; they are removed from the
/// address bar after the callback (RFC 9700 4.2.4: the code must not linger in history).
const RESPONSE_PARAMS: [&str; 7] = [
    "code",
    "state",
    "iss",
    "session_state",
    "error",
    "error_description",
    "error_uri",
];

/// Parses the response parameters of `href`. A missing or empty `state` is
/// `state_mismatch`: there is nothing to tie the response to a login of this tab.
pub(crate) fn parse(href: &str, mode: ResponseMode) -> Result<Callback> {
    let parts = url::split(href).ok_or_else(|| {
        Error::new(
            Code::InvalidCallback,
            t!("The callback URL is not an absolute URL."),
        )
    })?;
    let raw = match mode {
        ResponseMode::Query => parts.query,
        ResponseMode::Fragment => parts.fragment,
    };
    let mut params = Pairs::parse(raw.unwrap_or(""))?;
    match params.take("state") {
        Some(state) if !state.is_empty() => Ok(Callback {
            state,
            href: href.into(),
            params,
        }),
        _ => Err(Error::new(
            Code::StateMismatch,
            t!("The callback URL has no state: it is not the answer to a login."),
        )),
    }
}

/// Why a transaction is refused before anything of the response is looked at.
pub(crate) fn refused(description: &'static str) -> Error {
    Error::new(Code::StateMismatch, description)
}

impl Callback {
    /// Checks the response against its transaction and yields the code with the transaction
    /// it belongs to. `stored` is the stored text of the transaction under this state, if
    /// any (already taken out of storage: a refused transaction is consumed); `config` is the
    /// configuration handling the callback.
    pub(crate) fn into_code(
        mut self,
        stored: Option<&str>,
        config: &Config,
        now: u64,
    ) -> Result<(Secret, Transaction, Option<String>)> {
        let Some(stored) = stored else {
            return Err(refused(t!("The callback's state matches no login started in this tab (already used, or from another tab).")));
        };
        let Some(tx) = Transaction::decode(stored) else {
            return Err(refused(t!(
                "The stored login for this state was damaged and is removed: log in again."
            )));
        };
        // RFC 9700 4.4.2: the transaction must be one this configuration started, sent to
        // this configuration's server, and the response must have come to the redirect URI
        // that login was sent with. Otherwise an app with two servers would send one
        // server's code, and its verifier, to the other's token endpoint (the mix-up
        // attack), or fill one configuration's session with another server's tokens.
        let same_config = tx.client_id == config.client_id
            && tx.issuer == config.issuer
            && tx.redirect_uri == config.redirect_uri
            && config
                .token_endpoint
                .as_ref()
                .is_none_or(|t| *t == tx.token_endpoint);
        if !same_config {
            return Err(refused(t!("The callback's login is another configuration's (client, issuer or redirect URI): nothing sent (RFC 9700 4.4.2).")));
        }
        if !url::same_page(&self.href, &tx.redirect_uri) {
            return Err(refused(t!(
                "The callback is not at its login's redirect URI: nothing sent (RFC 9700 4.4.2)."
            )));
        }
        if tx.is_expired(now) {
            return Err(Error::code(Code::TransactionExpired));
        }
        // RFC 9207 2.4: `iss` is checked before anything else of the response, error
        // responses included: a response from another server (the mix-up attack, RFC 9700
        // 4.4) must not reach the token endpoint, nor show its error as this server's.
        // (The transaction's issuer is the configuration's: checked above.)
        let iss = self.params.take("iss");
        match (&iss, Issuer::of(config)) {
            (Some(iss), Some(rule)) if !rule.accepts(iss, None) => {
                return Err(Error::issuer_mismatch(
                    Code::IssuerMismatch,
                    t!("The callback's iss (RFC 9207)"),
                    iss,
                    rule.document(),
                ))
            }
            (None, _) if tx.iss_required => return Err(Error::new(
                Code::IssuerMismatch,
                t!("The server promises iss in its responses, but the callback has none (RFC 9207)."),
            )),
            _ => {}
        }
        // RFC 6749 4.1.2.1: an error response carries `error`, maybe a description and URI.
        if let Some(error) = self.params.take("error") {
            let description = self.params.take("error_description");
            let uri = self.params.take("error_uri");
            return Err(
                Error::from_server(error, description, uri).unwrap_or_else(|| {
                    Error::new(
                        Code::InvalidCallback,
                        t!("The callback's error code is not valid."),
                    )
                }),
            );
        }
        match self.params.take("code") {
            Some(code) if !code.is_empty() => Ok((Secret::new(code), tx, iss)),
            _ => Err(Error::new(
                Code::InvalidCallback,
                t!("The callback URL has neither a code nor an error."),
            )),
        }
    }
}

/// `href` without the response parameters, for `history.replaceState`; other parameters
/// and the fragment are kept as they were written. `None` when there is nothing to remove.
pub(crate) fn cleaned_url(href: &str, mode: ResponseMode) -> Option<String> {
    let parts = url::split(href)?;
    let raw = match mode {
        ResponseMode::Query => parts.query?,
        ResponseMode::Fragment => parts.fragment?,
    };
    let mut kept = String::new();
    let mut removed = false;
    for segment in raw.split('&').filter(|s| !s.is_empty()) {
        let name = segment.split_once('=').map_or(segment, |(n, _)| n);
        if crate::form::decode(name).is_some_and(|n| RESPONSE_PARAMS.contains(&n.as_str())) {
            removed = true;
        } else {
            if !kept.is_empty() {
                kept.push('&');
            }
            kept.push_str(segment);
        }
    }
    if !removed {
        return None;
    }
    let mut out = String::with_capacity(href.len());
    out.push_str(parts.origin);
    out.push_str(parts.path);
    match mode {
        ResponseMode::Query => {
            if !kept.is_empty() {
                out.push('?');
                out.push_str(&kept);
            }
            if let Some(f) = parts.fragment {
                out.push('#');
                out.push_str(f);
            }
        }
        ResponseMode::Fragment => {
            if let Some(q) = parts.query {
                out.push('?');
                out.push_str(q);
            }
            if !kept.is_empty() {
                out.push('#');
                out.push_str(&kept);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::STATE;

    const NOW: u64 = 1_700_000_100;

    /// A transaction of a server that does not promise `iss` (RFC 9207 is tested apart).
    fn lax() -> Transaction {
        Transaction {
            iss_required: false,
            ..Transaction::sample()
        }
    }

    /// The configuration that started `tx`.
    fn config_for(tx: &Transaction) -> Config {
        Config {
            issuer: tx.issuer.clone(),
            scope: tx.scope.clone(),
            ..Config::new(tx.client_id.clone(), tx.redirect_uri.clone())
        }
    }

    fn code_of(href: &str) -> Result<Secret> {
        let tx = lax();
        parse(href, ResponseMode::Query)?
            .into_code(Some(&tx.encode()), &config_for(&tx), NOW)
            .map(|(code, ..)| code)
    }

    fn code(e: Result<Secret>) -> Code {
        e.err().unwrap().code
    }

    #[test]
    fn success_yields_the_code() {
        let c = code_of("https://app.example/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&iss=https%3A%2F%2Fid.example").unwrap();
        assert_eq!(c.expose(), "SplxlOBeZQQYbYS6WxSbIA");
    }

    fn checked(href: &str, tx: &Transaction) -> Result<String> {
        parse(href, ResponseMode::Query)?
            .into_code(Some(&tx.encode()), &config_for(tx), NOW)
            .map(|(code, ..)| code.expose().to_owned())
    }

    #[test]
    fn with_an_issuer_template_iss_is_a_tenants_issuer() {
        let tx = Transaction::sample(); // issuer https://id.example
        let config = Config {
            issuer_template: Some("https://id.example/{tenantid}/v2.0".into()),
            tenants: vec!["9188040d-6c67-4c5b-b112-36a304b66dad".into()],
            ..config_for(&tx)
        };
        let at = |iss: &str| {
            let href = format!("https://app.example/cb?code=c&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&iss={iss}");
            parse(&href, ResponseMode::Query)?.into_code(Some(&tx.encode()), &config, NOW)
        };
        assert!(
            at("https%3A%2F%2Fid.example%2F9188040d-6c67-4c5b-b112-36a304b66dad%2Fv2.0").is_ok()
        );
        for bad in [
            "https%3A%2F%2Fid.example",
            "https%3A%2F%2Fid.example%2F72f988bf-86f1-41af-91ab-2d7cd011db47%2Fv2.0",
            "https%3A%2F%2Fid.example%2F%7Btenantid%7D%2Fv2.0",
        ] {
            assert_eq!(at(bad).unwrap_err().code, Code::IssuerMismatch, "{bad}");
        }
    }

    #[test]
    fn iss_must_be_the_issuer_and_present_when_promised() {
        let tx = Transaction::sample(); // issuer https://id.example, iss_required
        let ok = "https://app.example/cb?code=c&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&iss=https%3A%2F%2Fid.example";
        assert_eq!(checked(ok, &tx).unwrap(), "c");
        for bad in [
            "https://app.example/cb?code=c&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&iss=https%3A%2F%2Fevil.example",
            // Not normalised: the comparison is exact (RFC 9207 2.4).
            "https://app.example/cb?code=c&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&iss=https%3A%2F%2Fid.example%2F",
            "https://app.example/cb?code=c&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
            // Error responses too: another server's error is not shown as this one's.
            "https://app.example/cb?error=access_denied&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&iss=https%3A%2F%2Fevil.example",
            "https://app.example/cb?error=access_denied&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
        ] {
            assert_eq!(
                checked(bad, &tx).unwrap_err().code,
                Code::IssuerMismatch,
                "{bad}"
            );
        }
        // A server that does not promise iss may leave it out, but a wrong one is refused.
        let mut lax = Transaction::sample();
        lax.iss_required = false;
        assert_eq!(
            checked(
                "https://app.example/cb?code=c&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
                &lax
            )
            .unwrap(),
            "c"
        );
        assert_eq!(
            checked(
                "https://app.example/cb?code=c&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&iss=https%3A%2F%2Fevil.example",
                &lax
            )
            .unwrap_err()
            .code,
            Code::IssuerMismatch
        );
        // The checks run after the state: a foreign state is state_mismatch whatever iss says.
        assert_eq!(
            parse(
                "https://app.example/cb?code=c&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&iss=x",
                ResponseMode::Query
            )
            .unwrap()
            .into_code(None, &config_for(&Transaction::sample()), NOW)
            .err()
            .unwrap()
            .code,
            Code::StateMismatch
        );
    }

    /// The description of a refusal, after checking that it is state_mismatch.
    fn refusal(href: &str, stored: Option<&str>, config: &Config) -> String {
        let e = parse(href, ResponseMode::Query)
            .unwrap()
            .into_code(stored, config, NOW)
            .unwrap_err();
        assert_eq!(e.code, Code::StateMismatch, "{}", e.description.as_str());
        e.description.as_str().to_owned()
    }

    #[test]
    fn the_transaction_must_be_this_configurations_and_the_response_at_its_redirect_uri() {
        let tx = Transaction::sample();
        let ok =
            format!("https://app.example/cb?code=c&state={STATE}&iss=https%3A%2F%2Fid.example");
        let stored = tx.encode();
        let honest = config_for(&tx);
        assert!(parse(&ok, ResponseMode::Query)
            .unwrap()
            .into_code(Some(&stored), &honest, NOW)
            .is_ok());
        // RFC 9700 4.4.2: a login started with one server's configuration, answered on
        // another's redirect URI, is refused before its code can reach a token endpoint.
        let other = |f: &dyn Fn(&mut Config)| {
            let mut c = config_for(&tx);
            f(&mut c);
            c
        };
        for (what, config) in [
            ("client", other(&|c| c.client_id = "other".into())),
            (
                "issuer",
                other(&|c| c.issuer = Some("https://other.example".into())),
            ),
            (
                "no issuer",
                other(&|c| {
                    c.issuer = None;
                    c.authorization_endpoint = Some("https://id.example/a".into());
                    c.token_endpoint = Some("https://id.example/token".into());
                }),
            ),
            (
                "redirect",
                other(&|c| c.redirect_uri = "https://app.example/cb".into()),
            ),
            (
                "token endpoint",
                other(&|c| c.token_endpoint = Some("https://evil.example/token".into())),
            ),
        ] {
            assert!(
                refusal(&ok, Some(&stored), &config).contains("another configuration's"),
                "{what}"
            );
        }
        // The config's own token endpoint, when it names one, must be the transaction's.
        let explicit = other(&|c| c.token_endpoint = Some(tx.token_endpoint.clone()));
        assert!(parse(&ok, ResponseMode::Query)
            .unwrap()
            .into_code(Some(&stored), &explicit, NOW)
            .is_ok());
        // The response came to another page than the redirect URI of that login.
        for elsewhere in [
            format!("https://app.example/other?code=c&state={STATE}"),
            format!("https://evil.example/cb?code=c&state={STATE}"),
            format!("http://app.example/cb?code=c&state={STATE}"),
        ] {
            assert!(
                refusal(&elsewhere, Some(&stored), &honest).contains("redirect URI"),
                "{elsewhere}"
            );
        }
        // Error responses too: another server's error is not shown as this one's.
        let denied = format!("https://app.example/cb?error=access_denied&state={STATE}");
        let c = other(&|c| c.client_id = "other".into());
        assert!(refusal(&denied, Some(&stored), &c).contains("another configuration's"));
    }

    #[test]
    fn a_damaged_stored_transaction_is_a_clear_refusal() {
        let tx = Transaction::sample();
        let href = format!("https://app.example/cb?code=c&state={STATE}");
        let damaged = tx
            .encode()
            .replace("token_endpoint=https", "token_endpoint=javascript");
        assert!(refusal(&href, Some(&damaged), &config_for(&tx)).contains("damaged"));
        assert!(refusal(&href, Some("garbage"), &config_for(&tx)).contains("damaged"));
        assert!(refusal(&href, None, &config_for(&tx)).contains("matches no login"));
    }

    #[test]
    fn missing_or_empty_state_is_state_mismatch() {
        assert_eq!(
            code(code_of("https://app.example/cb?code=abc")),
            Code::StateMismatch
        );
        assert_eq!(
            code(code_of("https://app.example/cb?code=abc&state=")),
            Code::StateMismatch
        );
        assert_eq!(code(code_of("https://app.example/cb")), Code::StateMismatch);
        // An error response without state is not trusted either.
        assert_eq!(
            code(code_of("https://app.example/cb?error=access_denied")),
            Code::StateMismatch
        );
    }

    #[test]
    fn unknown_state_is_state_mismatch_even_for_errors() {
        let cb = parse(
            "https://app.example/cb?error=access_denied&state=other",
            ResponseMode::Query,
        )
        .unwrap();
        assert_eq!(cb.state, "other");
        assert_eq!(
            cb.into_code(None, &config_for(&Transaction::sample()), NOW)
                .err()
                .unwrap()
                .code,
            Code::StateMismatch
        );
    }

    #[test]
    fn expired_transaction() {
        let tx = Transaction::sample();
        let cb = parse(
            "https://app.example/cb?code=abc&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
            ResponseMode::Query,
        )
        .unwrap();
        assert_eq!(
            cb.into_code(Some(&tx.encode()), &config_for(&tx), tx.created_at + 601)
                .err()
                .unwrap()
                .code,
            Code::TransactionExpired
        );
    }

    #[test]
    fn no_code_is_invalid_callback() {
        assert_eq!(
            code(code_of(
                "https://app.example/cb?state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s"
            )),
            Code::InvalidCallback
        );
        assert_eq!(
            code(code_of(
                "https://app.example/cb?state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&code="
            )),
            Code::InvalidCallback
        );
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert_eq!(
            code(code_of("https://app.example/cb?code=a&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&code=b")),
            Code::InvalidCallback
        );
        assert_eq!(
            code(code_of(
                "https://app.example/cb?code=a&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s"
            )),
            Code::InvalidCallback
        );
    }

    #[test]
    fn server_errors_pass_through_with_or_without_description() {
        let e = code_of("https://app.example/cb?error=access_denied&error_description=The+user+said+no&error_uri=https%3A%2F%2Fid.example%2Fe&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s").err().unwrap();
        assert_eq!(e.code, Code::AccessDenied);
        assert_eq!(e.description.as_str(), "The user said no");
        assert_eq!(e.error.as_deref(), Some("access_denied"));
        assert_eq!(e.error_uri.as_deref(), Some("https://id.example/e"));
        let e = code_of("https://app.example/cb?error=login_required&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s")
            .err()
            .unwrap();
        assert_eq!(e.code, Code::LoginRequired);
        assert_eq!(e.description.as_str(), "The user must log in.");
        // An error wins over a code sent beside it: the server said the request failed.
        assert_eq!(
            code(code_of(
                "https://app.example/cb?error=access_denied&code=x&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s"
            )),
            Code::AccessDenied
        );
        assert_eq!(
            code(code_of(
                "https://app.example/cb?error=weird%0Aline&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s"
            )),
            Code::InvalidCallback
        );
        assert_eq!(
            code(code_of(
                "https://app.example/cb?error=&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s"
            )),
            Code::InvalidCallback
        );
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        for href in [
            "",
            "not a url",
            "/cb?code=a&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
            "https://app.example/cb?code=%E0%A4&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
            "https://app.example/cb?code=a&state=%ZZ",
            "https://app.example/cb?%=%&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
            "https://app.example/cb?\u{0}",
            "https://app.example/cb?&&&=&==&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
        ] {
            assert!(code_of(href).is_err(), "{href}");
        }
    }

    #[test]
    fn fragment_mode_reads_the_fragment() {
        let cb = parse(
            "https://app.example/cb?code=wrong#code=right&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
            ResponseMode::Fragment,
        )
        .unwrap();
        let tx = lax();
        let (got, matched, _) = cb
            .into_code(Some(&tx.encode()), &config_for(&tx), NOW)
            .unwrap();
        assert_eq!(got.expose(), "right");
        assert_eq!(matched.state, "st4te-st4te-st4te-st4te-st4te-st4te-st4te-s");
        assert_eq!(
            code(
                parse(
                    "https://app.example/cb?code=a&state=st4te-st4te-st4te-st4te-st4te-st4te-st4te-s",
                    ResponseMode::Fragment
                )
                .map(|_| Secret::new(String::new()))
            ),
            Code::StateMismatch
        );
    }

    #[test]
    fn cleaning_removes_only_response_parameters() {
        let q = ResponseMode::Query;
        assert_eq!(
            cleaned_url(
                "https://app.example/cb?code=a&state=b&iss=c&session_state=d&keep=1#section",
                q
            )
            .as_deref(),
            Some("https://app.example/cb?keep=1#section")
        );
        assert_eq!(
            cleaned_url("https://app.example/cb?code=a&state=b", q).as_deref(),
            Some("https://app.example/cb")
        );
        assert_eq!(
            cleaned_url(
                "https://app.example/cb?x=%20&error=access_denied&error_description=no&state=s&y",
                q
            )
            .as_deref(),
            Some("https://app.example/cb?x=%20&y")
        );
        assert_eq!(
            cleaned_url("https://app.example/cb?st%61te=b&z=1", q).as_deref(),
            Some("https://app.example/cb?z=1")
        );
        assert_eq!(cleaned_url("https://app.example/cb?keep=1", q), None);
        assert_eq!(cleaned_url("https://app.example/cb", q), None);
        assert_eq!(
            cleaned_url(
                "https://app.example/cb?keep=1#code=a&state=b&view=2",
                ResponseMode::Fragment
            )
            .as_deref(),
            Some("https://app.example/cb?keep=1#view=2")
        );
        assert_eq!(
            cleaned_url(
                "https://app.example/cb#code=a&state=b",
                ResponseMode::Fragment
            )
            .as_deref(),
            Some("https://app.example/cb")
        );
    }
}
