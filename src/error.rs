//! One error type with stable string codes.
//!
//! The codes are a contract: JavaScript code switches on `AuthError.code` and Rust code on
//! [`Code`]. Descriptions are fixed strings (no `format!` on the shipped path: every byte of
//! formatting machinery is shipped to every user), or a fixed sentence joined with the value it
//! names (`Text::Detail`, built with `push_str`). The only text that comes from outside is a
//! server's own `error_description`, passed on as text that is not to be trusted, and its
//! `error_uri`, passed on only when it is an absolute `https` URL (`http` on loopback).

/// The stable error codes. [`Code::as_str`] gives the string JavaScript sees.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Code {
    // --- raised by spa-oauth itself ---
    /// The configuration or an option is missing, of the wrong type or unsafe.
    InvalidConfig,
    /// The callback's `state` is missing or matches no login started in this tab.
    StateMismatch,
    /// The login transaction is older than ten minutes.
    TransactionExpired,
    /// The callback URL is malformed (repeated parameters, bad encoding, no code).
    InvalidCallback,
    /// A server answered with something that is not a valid response of its kind.
    InvalidResponse,
    /// `fetch` failed: the server is unreachable, CORS refused, or the connection dropped.
    NetworkError,
    /// A request took longer than the configured timeout.
    Timeout,
    /// The issuer in discovery metadata (or in the callback) is not the configured one.
    IssuerMismatch,
    /// The ID token fails a check of OpenID Connect Core 3.1.3.7 (signature, iss, aud, exp,
    /// nonce, ...); the description names the check.
    IdTokenInvalid,
    /// sessionStorage / localStorage threw (blocked, sandboxed, quota full).
    StorageUnavailable,
    /// `returnTo` is not a same-origin path.
    InvalidReturnTo,
    /// The login popup was closed (by the user, or cut off by a Cross-Origin-Opener-Policy)
    /// before the response came back.
    PopupClosed,
    /// The browser refused to open the login popup (not called from a click).
    PopupBlocked,
    // --- codes a server sends (RFC 6749 4.1.2.1, 5.2; OIDC Core 3.1.2.6) ---
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    /// Also used for a 5xx or non-JSON error answer from a server.
    ServerError,
    TemporarilyUnavailable,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    InteractionRequired,
    /// Also raised by spa-oauth when there is no session, or a refresh was refused.
    LoginRequired,
    AccountSelectionRequired,
    ConsentRequired,
    InvalidRequestUri,
    InvalidRequestObject,
    RequestNotSupported,
    RequestUriNotSupported,
    RegistrationNotSupported,
    /// RFC 8707 resource indicators.
    InvalidTarget,
    /// A syntactically valid error code from a server that no spec above registers; the
    /// server's own string is in [`Error::error`].
    OauthError,
}

/// (code, the string JavaScript sees, a description for when the server sent none).
const TABLE: &[(Code, &str, &str)] = &[
    (
        Code::InvalidConfig,
        "invalid_config",
        t!("The configuration is invalid."),
    ),
    (
        Code::StateMismatch,
        "state_mismatch",
        t!("The callback's state matches no login started in this tab."),
    ),
    (
        Code::TransactionExpired,
        "transaction_expired",
        t!("The login took longer than ten minutes; start it again."),
    ),
    (
        Code::InvalidCallback,
        "invalid_callback",
        t!("The callback URL is not a valid authorization response."),
    ),
    (
        Code::InvalidResponse,
        "invalid_response",
        t!("The server's response is not valid."),
    ),
    (
        Code::NetworkError,
        "network_error",
        t!("The server could not be reached, or it does not allow this origin (CORS)."),
    ),
    (
        Code::Timeout,
        "timeout",
        t!("The server did not answer in time."),
    ),
    (
        Code::IssuerMismatch,
        "issuer_mismatch",
        t!("The issuer is not the configured one."),
    ),
    (
        Code::IdTokenInvalid,
        "id_token_invalid",
        t!("The ID token is not valid."),
    ),
    (
        Code::StorageUnavailable,
        "storage_unavailable",
        t!("Browser storage is not available."),
    ),
    (
        Code::InvalidReturnTo,
        "invalid_return_to",
        t!("returnTo must be a path on this origin."),
    ),
    (
        Code::PopupClosed,
        "popup_closed",
        t!("The login popup was closed before the login finished."),
    ),
    (
        Code::PopupBlocked,
        "popup_blocked",
        t!("The browser blocked the login popup."),
    ),
    (
        Code::InvalidRequest,
        "invalid_request",
        t!("The server rejected the request as invalid."),
    ),
    (
        Code::UnauthorizedClient,
        "unauthorized_client",
        t!("The client is not allowed to use this grant."),
    ),
    (
        Code::AccessDenied,
        "access_denied",
        t!("The user or the server denied the request."),
    ),
    (
        Code::UnsupportedResponseType,
        "unsupported_response_type",
        t!("The server does not support response_type=code."),
    ),
    (
        Code::InvalidScope,
        "invalid_scope",
        t!("The requested scope is invalid."),
    ),
    (
        Code::ServerError,
        "server_error",
        t!("The server failed to answer the request."),
    ),
    (
        Code::TemporarilyUnavailable,
        "temporarily_unavailable",
        t!("The server is temporarily unavailable."),
    ),
    (
        Code::InvalidClient,
        "invalid_client",
        t!("The server does not accept this client."),
    ),
    (
        Code::InvalidGrant,
        "invalid_grant",
        t!("The authorization code or refresh token was refused."),
    ),
    (
        Code::UnsupportedGrantType,
        "unsupported_grant_type",
        t!("The server does not support this grant."),
    ),
    (
        Code::InteractionRequired,
        "interaction_required",
        t!("The user must interact with the server."),
    ),
    (
        Code::LoginRequired,
        "login_required",
        t!("The user must log in."),
    ),
    (
        Code::AccountSelectionRequired,
        "account_selection_required",
        t!("The user must select an account."),
    ),
    (
        Code::ConsentRequired,
        "consent_required",
        t!("The user must consent."),
    ),
    (
        Code::InvalidRequestUri,
        "invalid_request_uri",
        t!("The request_uri is invalid."),
    ),
    (
        Code::InvalidRequestObject,
        "invalid_request_object",
        t!("The request object is invalid."),
    ),
    (
        Code::RequestNotSupported,
        "request_not_supported",
        t!("The server does not support request objects."),
    ),
    (
        Code::RequestUriNotSupported,
        "request_uri_not_supported",
        t!("The server does not support request_uri."),
    ),
    (
        Code::RegistrationNotSupported,
        "registration_not_supported",
        t!("The server does not support registration."),
    ),
    (
        Code::InvalidTarget,
        "invalid_target",
        t!("The requested resource is invalid."),
    ),
    (
        Code::OauthError,
        "oauth_error",
        t!("The server returned an error."),
    ),
];

impl Code {
    /// The stable string code, as JavaScript sees it in `AuthError.code`.
    pub fn as_str(self) -> &'static str {
        Self::row(self).1
    }

    fn default_description(self) -> &'static str {
        Self::row(self).2
    }

    fn row(self) -> &'static (Code, &'static str, &'static str) {
        // Every variant has a row (a test checks it); the fallback only keeps this panic-free.
        let mut i = 0;
        while i < TABLE.len() {
            if TABLE[i].0 == self {
                return &TABLE[i];
            }
            i += 1;
        }
        &TABLE[TABLE.len() - 1]
    }

    /// The code for an `error` value a server sent. Unregistered values map to
    /// [`Code::OauthError`]; values outside the RFC 6749 syntax are not accepted at all.
    pub(crate) fn from_server(error: &str) -> Option<Code> {
        // RFC 6749 4.1.2.1: error = 1*NQSCHAR, NQSCHAR = %x20-21 / %x23-5B / %x5D-7E
        if error.is_empty()
            || !error
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        {
            return None;
        }
        // Only the codes a server may send; spa-oauth's own codes are not taken from a server.
        let from = Code::InvalidRequest as usize;
        Some(
            TABLE
                .iter()
                .filter(|row| row.0 as usize >= from)
                .find(|row| row.1 == error)
                .map_or(Code::OauthError, |row| row.0),
        )
    }
}

/// An error from any spa-oauth operation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Error {
    /// The stable code.
    pub code: Code,
    /// A description for people: the server's `error_description` when it sent one,
    /// otherwise a fixed sentence. Never contains a token, code or verifier.
    pub description: Text,
    /// The server's `error` string, verbatim, when a server sent one.
    pub error: Option<String>,
    /// The server's `error_uri`, when it sent one that is an absolute `https` URL (`http`
    /// only on loopback): a `javascript:` or `data:` URI is dropped, since apps show it as a
    /// link.
    pub error_uri: Option<String>,
    /// The HTTP status, for errors that come from an HTTP response.
    pub status: Option<u16>,
}

/// `description (code)`, as the package's `AuthError.message` reads. For Rust apps; the wasm
/// never formats an error (no `format!` machinery is shipped), so this costs the npm package
/// nothing.
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description.as_str())?;
        f.write_str(" (")?;
        f.write_str(self.code.as_str())?;
        f.write_str(")")
    }
}

impl std::error::Error for Error {}

/// A description: a fixed sentence from spa-oauth, one that names a value, or a server's
/// text.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Text {
    Fixed(&'static str),
    /// spa-oauth's own sentence with the value it is about (a parameter's name, the issuer a
    /// server sent).
    Detail(String),
    /// A server's `error_description`: untrusted text, never markup.
    Server(String),
}

impl Text {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Fixed(s) => s,
            Text::Detail(s) | Text::Server(s) => s,
        }
    }

    /// `parts` joined: a sentence that names values, without `format!`.
    pub(crate) fn join(parts: &[&str]) -> Text {
        let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        for p in parts {
            s.push_str(p);
        }
        Text::Detail(s)
    }
}

impl Error {
    /// An error raised by spa-oauth, with a fixed description.
    pub(crate) fn new(code: Code, description: &'static str) -> Error {
        Error {
            code,
            description: Text::Fixed(description),
            error: None,
            error_uri: None,
            status: None,
        }
    }

    /// An error with the code's default description.
    pub(crate) fn code(code: Code) -> Error {
        Error::new(code, code.default_description())
    }

    /// An error raised by spa-oauth whose description names values (see [`Text::join`]).
    pub(crate) fn detail(code: Code, parts: &[&str]) -> Error {
        Error {
            description: Text::join(parts),
            ..Error::code(code)
        }
    }

    /// An issuer that is not the configured one, as `code`: the description shows both (the
    /// server's value cut to 200 bytes), and says so when they differ only in a trailing
    /// slash (Auth0 and Authentik write one, and the check stays exact: OIDC Discovery 4.3).
    pub(crate) fn issuer_mismatch(code: Code, what: &str, sent: &str, configured: &str) -> Error {
        let mut cut = sent.len().min(200);
        while !sent.is_char_boundary(cut) {
            cut -= 1;
        }
        let shown = sent.get(..cut).unwrap_or("");
        let slash = sent.trim_end_matches('/') == configured.trim_end_matches('/');
        Error::detail(
            code,
            &[
                what,
                " is \"",
                shown,
                t!("\", not the configured issuer \""),
                configured,
                if slash {
                    t!("\" (only a trailing slash differs: configure it as the server writes it).")
                } else {
                    "\"."
                },
            ],
        )
    }

    pub(crate) fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }

    /// An error a server reported (`error`, `error_description`, `error_uri`), from an
    /// authorization response or a token-endpoint JSON body. `None` when `error` is not a
    /// syntactically valid error code.
    pub(crate) fn from_server(
        error: String,
        description: Option<String>,
        uri: Option<String>,
    ) -> Option<Error> {
        let code = Code::from_server(&error)?;
        let description = match description {
            Some(d) if !d.is_empty() => Text::Server(d),
            _ => Text::Fixed(code.default_description()),
        };
        Some(Error {
            code,
            description,
            error: Some(error),
            // RFC 6749 4.1.2.1 and 5.2: a URI of a page for people; anything but a web URL
            // (a `javascript:` URI) is dropped rather than handed to an app that links it.
            error_uri: uri.filter(|u| crate::url::is_web_url(u)),
            status: None,
        })
    }
}

/// Shorthand for spa-oauth results.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes in a TypeScript union type `name` of pkg-template/index.d.ts.
    fn union(types: &str, name: &str) -> Vec<String> {
        let start = types
            .find(&format!("export type {name} ="))
            .expect("the union is in index.d.ts");
        let body = &types[start..];
        // The union ends at the `;` that ends a line (comments inside may hold others).
        let body = &body[..body.find(";\n").expect("the union ends")];
        body.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    /// error.rs is the one list of codes: the package's types and the README's error table
    /// follow it, and a test fails when either drifts (a code added, renamed or removed).
    #[test]
    fn the_types_and_the_readme_list_exactly_these_codes() {
        let types = include_str!("../pkg-template/index.d.ts");
        let client = union(types, "ClientErrorCode");
        let server = union(types, "ServerErrorCode");
        // `internal_error` is the package entry's own (a bug or a trap, pkg-template/index.js).
        let mut typed: Vec<&str> = client.iter().chain(&server).map(String::as_str).collect();
        typed.retain(|c| *c != "internal_error");
        typed.sort_unstable();
        let mut ours: Vec<&str> = TABLE.iter().map(|r| r.1).collect();
        ours.sort_unstable();
        assert_eq!(
            typed, ours,
            "index.d.ts's AuthErrorCode and error.rs differ"
        );
        let readme = include_str!("../README.md");
        let table = &readme[readme
            .find("### Errors")
            .expect("README has an error table")..];
        let table = &table[..table.find("\n## ").unwrap_or(table.len())];
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| `")).collect();
        let named = |code: &str| {
            rows.iter().any(|r| {
                r.split('|')
                    .nth(1)
                    .is_some_and(|c| c.contains(&format!("`{code}`")))
            })
        };
        // Every code spa-oauth raises itself has its row: the app must know what to do.
        for code in &client {
            assert!(named(code), "README's error table has no row for {code}");
        }
        // And the table names no code that does not exist.
        for row in &rows {
            let first = row.split('|').nth(1).unwrap_or("");
            for code in first.split('`').skip(1).step_by(2) {
                assert!(
                    code == "internal_error" || TABLE.iter().any(|r| r.1 == code),
                    "README names {code}, which error.rs does not have"
                );
            }
        }
    }

    #[test]
    fn every_code_has_a_row_with_a_unique_string() {
        let all = TABLE.iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(
            all.len(),
            Code::OauthError as usize + 1,
            "one row per variant, in order"
        );
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.0 as usize, i, "row {} out of order", row.1);
            assert_eq!(row.0.as_str(), row.1);
            assert!(
                TABLE.iter().filter(|r| r.1 == row.1).count() == 1,
                "{} twice",
                row.1
            );
            assert!(!row.2.is_empty());
        }
    }

    #[test]
    fn server_codes_map_to_their_variant_and_unknown_ones_to_oauth_error() {
        assert_eq!(Code::from_server("access_denied"), Some(Code::AccessDenied));
        assert_eq!(
            Code::from_server("login_required"),
            Some(Code::LoginRequired)
        );
        assert_eq!(Code::from_server("invalid_grant"), Some(Code::InvalidGrant));
        assert_eq!(
            Code::from_server("invalid_target"),
            Some(Code::InvalidTarget)
        );
        assert_eq!(Code::from_server("custom_error"), Some(Code::OauthError));
        // A server must not be able to pose as spa-oauth's own checks.
        assert_eq!(Code::from_server("state_mismatch"), Some(Code::OauthError));
        assert_eq!(Code::from_server("invalid_config"), Some(Code::OauthError));
    }

    #[test]
    fn server_codes_outside_the_rfc_6749_syntax_are_refused() {
        assert_eq!(Code::from_server(""), None);
        assert_eq!(Code::from_server("quote\"d"), None);
        assert_eq!(Code::from_server("back\\slash"), None);
        assert_eq!(Code::from_server("new\nline"), None);
        assert_eq!(Code::from_server("é"), None);
    }

    #[test]
    fn error_uri_is_kept_only_when_it_is_a_web_url() {
        let uri = |u: &str| {
            Error::from_server("access_denied".into(), None, Some(u.into()))
                .unwrap()
                .error_uri
        };
        assert_eq!(
            uri("https://id.example/errors#denied").as_deref(),
            Some("https://id.example/errors#denied")
        );
        assert_eq!(
            uri("http://localhost:4400/e").as_deref(),
            Some("http://localhost:4400/e")
        );
        for bad in [
            "javascript:alert(document.cookie)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://id.example/e",
            "//evil.example/e",
            "/relative",
            "https://user@evil.example/",
            "",
        ] {
            assert_eq!(uri(bad), None, "{bad}");
        }
    }

    #[test]
    fn issuer_mismatches_show_both_values_and_a_trailing_slash() {
        let e = Error::issuer_mismatch(
            Code::IssuerMismatch,
            "The discovery document's issuer",
            "https://tenant.auth0.com/",
            "https://tenant.auth0.com",
        );
        assert_eq!(e.code, Code::IssuerMismatch);
        assert_eq!(e.description.as_str(), "The discovery document's issuer is \"https://tenant.auth0.com/\", not the configured issuer \"https://tenant.auth0.com\" (only a trailing slash differs: configure it as the server writes it).");
        let e = Error::issuer_mismatch(
            Code::IssuerMismatch,
            "iss",
            "https://other.example",
            "https://id.example",
        );
        assert_eq!(
            e.description.as_str(),
            "iss is \"https://other.example\", not the configured issuer \"https://id.example\"."
        );
        // A long (or multi-byte) value is cut, on a character boundary.
        let long = "é".repeat(300);
        let e = Error::issuer_mismatch(Code::IssuerMismatch, "iss", &long, "https://id.example");
        assert!(e.description.as_str().len() < 300);
    }

    #[test]
    fn detail_joins_its_parts() {
        let e = Error::detail(Code::InvalidConfig, &["a ", "b", "."]);
        assert_eq!(e.description, Text::Detail("a b.".into()));
        assert_eq!(e.description.as_str(), "a b.");
    }

    #[test]
    fn server_description_is_kept_and_an_empty_one_replaced() {
        let e =
            Error::from_server("access_denied".into(), Some("User said no".into()), None).unwrap();
        assert_eq!(e.description.as_str(), "User said no");
        assert_eq!(e.error.as_deref(), Some("access_denied"));
        let e = Error::from_server("access_denied".into(), Some(String::new()), None).unwrap();
        assert_eq!(
            e.description.as_str(),
            "The user or the server denied the request."
        );
    }

    #[test]
    fn an_error_is_a_std_error_that_displays_as_the_packages_message() {
        let e = Error::new(Code::StateMismatch, "No login.");
        assert_eq!(e.to_string(), "No login. (state_mismatch)");
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.source().is_none());
    }
}
