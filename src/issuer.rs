//! Which `iss` a server may send. By default the configured issuer, exactly: in the discovery
//! document (OIDC Discovery 4.3), in the authorization response (RFC 9207 2.4) and in the ID
//! token (OIDC Core 3.1.3.7 step 2). A trailing slash, a case or a port more or less is
//! another issuer: the exact comparison is the mix-up defence (RFC 9700 4.4).
//!
//! One relaxation, opt-in and safe by construction: a multi-tenant server whose discovery
//! document names an issuer *template* (Microsoft Entra ID's `common` and `organizations`
//! endpoints say `https://login.microsoftonline.com/{tenantid}/v2.0`). With `issuerTemplate`
//! configured, the document must name exactly that template, and an `iss` is accepted only
//! when it is the template with a tenant id (a GUID) in place of `{tenantid}`, that tenant is
//! the ID token's own `tid` claim, and, when `tenants` is given, it is on that list. The
//! server is still identified exactly (everything around the tenant is fixed); what varies is
//! only the tenant, as Microsoft's own validators do.

use crate::config::Config;

/// The placeholder of an issuer template.
pub(crate) const TENANT: &str = "{tenantid}";

/// What an `iss` must be, for one configuration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Issuer<'a> {
    /// The configured `issuer`: where the metadata is found (unless `metadataUrl`), and the
    /// value every `iss` must equal when there is no template.
    pub configured: &'a str,
    template: Option<&'a str>,
    tenants: &'a [String],
    /// The `iss` of the authorization response, when it had one (RFC 9207): with a template,
    /// the login's ID token must be from that same tenant, not from any the template allows.
    pinned: Option<&'a str>,
}

impl<'a> Issuer<'a> {
    /// The rule of `config`; `None` without an issuer (a server configured by its endpoints).
    pub(crate) fn of(config: &'a Config) -> Option<Issuer<'a>> {
        Some(Issuer {
            configured: config.issuer.as_deref()?,
            template: config.issuer_template.as_deref(),
            tenants: &config.tenants,
            pinned: None,
        })
    }

    /// The rule without a template: `iss` must be `issuer`.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn exact(issuer: &'a str) -> Issuer<'a> {
        Issuer {
            configured: issuer,
            template: None,
            tenants: &[],
            pinned: None,
        }
    }

    /// The `issuer` the discovery document must name: the template, when one is configured.
    pub(crate) fn document(&self) -> &'a str {
        self.template.unwrap_or(self.configured)
    }

    /// The same rule, which also takes only `response`'s `iss` (the authorization
    /// response's, already accepted), when there is one.
    pub(crate) fn pinned(self, response: Option<&'a str>) -> Issuer<'a> {
        Issuer {
            pinned: response,
            ..self
        }
    }

    /// What an `iss` must be, for an error's description.
    pub(crate) fn expected(&self) -> &'a str {
        self.pinned.unwrap_or(self.document())
    }

    /// Whether `iss` is acceptable. `tid`: an ID token's `tid` claim (`Some("")` when it has
    /// none), which must then be the tenant in `iss`; `None` for an authorization response's
    /// `iss`, which carries no claims.
    pub(crate) fn accepts(&self, iss: &str, tid: Option<&str>) -> bool {
        if self.pinned.is_some_and(|p| p != iss) {
            return false;
        }
        let Some(template) = self.template else {
            return iss == self.configured;
        };
        let Some(tenant) = tenant_of(template, iss) else {
            return false;
        };
        tid.is_none_or(|t| t == tenant)
            && (self.tenants.is_empty() || self.tenants.iter().any(|t| t == tenant))
    }
}

/// The tenant id that `iss` has where `template` has `{tenantid}`, when everything around it
/// is the template's, byte for byte, and it is a GUID.
pub(crate) fn tenant_of<'i>(template: &str, iss: &'i str) -> Option<&'i str> {
    let at = placeholder(template)?;
    let (before, after) = (template.get(..at)?, template.get(at + TENANT.len()..)?);
    let tenant = iss.strip_prefix(before)?.strip_suffix(after)?;
    is_guid(tenant).then_some(tenant)
}

/// Where `{tenantid}` starts in `template` (a byte search: core's generic string searcher
/// costs the wasm about 800 bytes).
pub(crate) fn placeholder(template: &str) -> Option<usize> {
    let t = TENANT.as_bytes();
    template.as_bytes().windows(t.len()).position(|w| w == t)
}

/// A tenant id as Entra ID writes it: a GUID in lower-case hex, 8-4-4-4-12 (RFC 9562 4).
/// Nothing else can stand there: no `/`, `.`, `?` or `%` that could move the rest of the URL,
/// and no string of hyphens (security review round 2, I9).
pub(crate) fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const A: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
    const B: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn config(template: Option<&str>, tenants: &[&str]) -> Config {
        Config {
            issuer: Some("https://login.microsoftonline.com/organizations/v2.0".into()),
            issuer_template: template.map(Into::into),
            tenants: tenants.iter().map(|t| t.to_string()).collect(),
            ..Config::new("spa", "https://app.example/")
        }
    }

    fn iss(tenant: &str) -> String {
        let mut s = String::from("https://login.microsoftonline.com/");
        s.push_str(tenant);
        s.push_str("/v2.0");
        s
    }

    #[test]
    fn a_tenant_id_is_a_guid_of_its_shape() {
        assert!(is_guid(A) && is_guid(B));
        for bad in [
            "------------------------------------",
            "9188040d6c67-4c5b-b112-36a304b66dad-",
            "9188040d-6c67-4c5b-b112-36a304b66da-",
            "9188040D-6C67-4C5B-B112-36A304B66DAD",
            "9188040d-6c67-4c5b-b112-36a304b66dad0",
            "9188040d-6c67-4c5b-b112_36a304b66dad",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
        let c = config(Some(T), &[]);
        assert!(!Issuer::of(&c)
            .unwrap()
            .accepts(&iss("------------------------------------"), None));
    }

    #[test]
    fn pinned_to_the_responses_iss_a_template_takes_that_tenant_only() {
        let c = config(Some(T), &[]);
        let (a, b) = (iss(A), iss(B));
        let rule = Issuer::of(&c).unwrap().pinned(Some(&a));
        assert!(rule.accepts(&a, Some(A)));
        // Another tenant the template allows, with its own tid: not the response's.
        assert!(!rule.accepts(&b, Some(B)));
        assert_eq!(rule.expected(), a);
        // Without a response iss, any tenant the template allows.
        assert!(Issuer::of(&c).unwrap().pinned(None).accepts(&b, Some(B)));
        assert_eq!(Issuer::of(&c).unwrap().expected(), T);
    }

    #[test]
    fn without_a_template_only_the_configured_issuer() {
        let c = config(None, &[]);
        let rule = Issuer::of(&c).unwrap();
        assert_eq!(rule.document(), c.issuer.as_deref().unwrap());
        assert!(rule.accepts(c.issuer.as_deref().unwrap(), None));
        assert!(rule.accepts(c.issuer.as_deref().unwrap(), Some("")));
        // A tenant issuer is another issuer unless the app opted in.
        assert!(!rule.accepts(&iss(A), Some(A)));
        assert!(Issuer::of(&Config::new("spa", "https://app.example/")).is_none());
    }

    #[test]
    fn a_template_takes_any_guid_tenant_that_is_the_tokens_tid() {
        let c = config(Some(T), &[]);
        let rule = Issuer::of(&c).unwrap();
        assert_eq!(rule.document(), T);
        assert!(rule.accepts(&iss(A), Some(A)));
        assert!(rule.accepts(&iss(B), Some(B)));
        // An authorization response's iss has no tid to compare.
        assert!(rule.accepts(&iss(A), None));
        // The tid must be the tenant of the iss, and present.
        assert!(!rule.accepts(&iss(A), Some(B)));
        assert!(!rule.accepts(&iss(A), Some("")));
        // The configured issuer and the template itself are not tenant issuers.
        assert!(!rule.accepts(c.issuer.as_deref().unwrap(), Some(A)));
        assert!(!rule.accepts(T, None));
        // Everything around the tenant is fixed, and the tenant is a lower-case GUID.
        for bad in [
            "https://login.microsoftonline.com.evil.example/{}/v2.0",
            "https://evil.example/{}/v2.0",
            "https://login.microsoftonline.com/{}/v2.0/",
            "https://login.microsoftonline.com/{}/v1.0",
            "http://login.microsoftonline.com/{}/v2.0",
        ] {
            let s = bad.replace("{}", A);
            assert!(!rule.accepts(&s, Some(A)), "{s}");
        }
        for tenant in [
            "common",
            "",
            "9188040D-6C67-4C5B-B112-36A304B66DAD",
            "9188040d-6c67-4c5b-b112-36a304b66da",
            "9188040d-6c67-4c5b-b112-36a304b66dadd",
            "9188040d+6c67-4c5b-b112-36a304b66dad",
            "9188040d-6c67-4c5b-b112-36a304b66da/",
            "9188040d-6c67-4c5b-b112/36a304b66dad",
            "9188040d-6c67-4c5b-b112-36a304b66d.d",
            "9188040d-6c67-4c5b-b112-36a304b66%2f",
        ] {
            assert!(!rule.accepts(&iss(tenant), Some(tenant)), "{tenant}");
        }
    }

    #[test]
    fn an_allow_list_of_tenants_applies() {
        let c = config(Some(T), &[A]);
        let rule = Issuer::of(&c).unwrap();
        assert!(rule.accepts(&iss(A), Some(A)));
        assert!(rule.accepts(&iss(A), None));
        assert!(!rule.accepts(&iss(B), Some(B)));
        assert!(!rule.accepts(&iss(B), None));
    }

    #[test]
    fn tenant_of_finds_the_placeholder_anywhere() {
        assert_eq!(placeholder(T), Some(34));
        assert_eq!(placeholder("https://id.example"), None);
        let t = "https://{tenantid}.ciamlogin.example/";
        let mut s = String::from("https://");
        s.push_str(A);
        s.push_str(".ciamlogin.example/");
        assert_eq!(tenant_of(t, &s), Some(A));
        assert_eq!(tenant_of("https://id.example", &s), None);
        // Multi-byte text around the placeholder is compared as bytes, without panicking.
        assert_eq!(tenant_of("https://é/{tenantid}", "https://é/x"), None);
        assert_eq!(tenant_of("é{tenantid}", "é"), None);
    }
}
