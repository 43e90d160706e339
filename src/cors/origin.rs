//! Origins: the `Origin` a browser sends, and the rules `tools.cors.origins` lists.
//!
//! This module owns reading a serialized origin (`scheme://host[:port]`, RFC 6454 §6.2) and
//! deciding whether a rule allows it. Comparison is by parts: scheme and host ignore ASCII
//! case, a default port (80 for `http`, 443 for `https`) is the same as none, and anything
//! that is not an ASCII origin — a path, user information, a space, a second `Origin` — is
//! simply not allowed. `null` (what a sandboxed frame or a `file:` page sends) matches only a
//! rule that says `null`; `*` matches every other origin.
//!
//! Written by hand rather than with the `url` crate: an origin is a short ASCII
//! serialization, and a URL parser would accept (and repair) what a browser never sends as an
//! origin — paths, credentials, Unicode hosts — where this must refuse.

/// A serialized origin, read into its parts: scheme and host lower-cased, a default port
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// Reads `scheme://host[:port]`; `None` for anything else.
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (scheme, authority) = text.split_once("://")?;
        let mut chars = scheme.chars();
        let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        let (host, port) = split_port(authority)?;
        if !valid_host(host) {
            return None;
        }
        let port = port.filter(|p| Some(*p) != default_port(&scheme));
        Some(Self {
            host: host.to_ascii_lowercase(),
            scheme,
            port,
        })
    }
}

/// `host[:port]` → the host and its port; `None` for a malformed port.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    // An IPv6 literal holds colons of its own: its port follows the `]`.
    let colon = if authority.starts_with('[') {
        let end = authority.find(']')?;
        match &authority[end + 1..] {
            "" => None,
            rest if rest.starts_with(':') => Some(end + 1),
            _ => return None,
        }
    } else {
        authority.rfind(':')
    };
    let Some(colon) = colon else {
        return Some((authority, None));
    };
    let digits = &authority[colon + 1..];
    // As an origin is serialized: digits, no leading zero.
    if digits.is_empty()
        || digits.len() > 5
        || (digits.len() > 1 && digits.starts_with('0'))
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((&authority[..colon], Some(digits.parse().ok()?)))
}

/// A host name of non-empty labels of letters, digits, `-` and `_`, or a bracketed IPv6
/// literal.
fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.strip_suffix(']').is_some_and(|ip| {
            !ip.is_empty()
                && ip
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        });
    }
    !host.is_empty() && host.split('.').all(valid_label)
}

/// One DNS label as browsers send it: letters, digits, `-`, `_`.
fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// One entry of `tools.cors.origins`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Rule {
    /// `*`: every origin but `null`.
    Any,
    /// `null`, literally.
    Null,
    /// One origin.
    Exact(Origin),
    /// `scheme://*.suffix[:port]`: one label, any, before `suffix`.
    Pattern {
        scheme: String,
        suffix: String,
        port: Option<u16>,
    },
}

impl Rule {
    /// Reads an entry of `tools.cors.origins`, or says what is wrong with it.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        match text {
            "*" => return Ok(Self::Any),
            "null" => return Ok(Self::Null),
            _ => {}
        }
        let shape = "an origin is `scheme://host[:port]`, ASCII, without a path (`https://app.example`), \
             or a pattern with `*` as its first label (`https://*.example.com`), `*` or `null`";
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(format!("`{text}` is not an origin: {shape}"));
        };
        let Some(after_star) = rest.strip_prefix("*.") else {
            if text.contains('*') {
                return Err(format!(
                    "`{text}`: `*` stands only for a whole first label (`https://*.example.com`)"
                ));
            }
            return Origin::parse(text)
                .map(Self::Exact)
                .ok_or_else(|| format!("`{text}` is not an origin: {shape}"));
        };
        let Some(rest) = Origin::parse(&format!("{scheme}://{after_star}")) else {
            return Err(format!("`{text}` is not an origin pattern: {shape}"));
        };
        if rest.host.starts_with('[') {
            return Err(format!("`{text}`: an IP address has no labels to match"));
        }
        if !rest.host.contains('.') {
            return Err(format!(
                "`{text}` would allow every host of a top-level domain: give at least two labels after `*.`"
            ));
        }
        Ok(Self::Pattern {
            scheme: rest.scheme,
            suffix: rest.host,
            port: rest.port,
        })
    }

    /// Whether the rule allows the `Origin` header's value `sent`.
    pub(super) fn allows(&self, sent: &str, parsed: Option<&Origin>) -> bool {
        match (self, parsed) {
            (Self::Null, _) => sent == "null",
            (Self::Any, Some(_)) => true,
            (Self::Exact(o), Some(p)) => o == p,
            (
                Self::Pattern {
                    scheme,
                    suffix,
                    port,
                },
                Some(p),
            ) => {
                p.scheme == *scheme
                    && p.port == *port
                    && p.host
                        .strip_suffix(suffix.as_str())
                        .and_then(|h| h.strip_suffix('.'))
                        .is_some_and(|label| !label.contains('.') && valid_label(label))
            }
            (_, None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(rule: &str, sent: &str) -> bool {
        let rule = Rule::parse(rule).unwrap();
        rule.allows(sent, Origin::parse(sent).as_ref())
    }

    #[test]
    fn exact_origins_compare_by_parts() {
        assert!(allowed("https://app.example", "https://app.example"));
        assert!(allowed("https://app.example", "HTTPS://App.Example"));
        assert!(allowed("https://app.example", "https://app.example:443"));
        assert!(allowed("https://app.example:443", "https://app.example"));
        assert!(allowed("http://localhost:3000", "http://localhost:3000"));
        assert!(allowed("http://[::1]:8080", "http://[::1]:8080"));
        assert!(!allowed("https://app.example", "http://app.example"));
        assert!(!allowed("https://app.example", "https://app.example:8443"));
        assert!(!allowed("https://app.example", "https://app.example.evil"));
        assert!(!allowed("https://app.example", "https://app.example/"));
        assert!(!allowed("https://app.example", "https://user@app.example"));
        assert!(!allowed("https://app.example", "https://app.example "));
        assert!(!allowed("https://app.example", "https://äpp.example"));
        assert!(!allowed("http://[::1]:8080", "http://[::1]x:8080"));
        assert!(!allowed("https://app.example", "https://app.example:0443"));
        assert!(!allowed("https://app.example", "https://app.example:"));
    }

    #[test]
    fn a_pattern_matches_one_label() {
        let p = "https://*.example.com";
        assert!(allowed(p, "https://api.example.com"));
        assert!(allowed(p, "https://API.Example.COM"));
        assert!(allowed(p, "https://a-b_c.example.com:443"));
        assert!(!allowed(p, "https://example.com"));
        assert!(!allowed(p, "https://.example.com"));
        assert!(!allowed(p, "https://a.b.example.com"));
        assert!(!allowed(p, "https://evil.example.com.attacker.net"));
        assert!(!allowed(p, "https://evilexample.com"));
        assert!(!allowed(p, "http://api.example.com"));
        assert!(!allowed(p, "https://api.example.com:8443"));
        let with_port = "http://*.example.com:8080";
        assert!(allowed(with_port, "http://dev.example.com:8080"));
        assert!(!allowed(with_port, "http://dev.example.com"));
    }

    #[test]
    fn null_and_any() {
        assert!(allowed("null", "null"));
        assert!(!allowed("*", "null"));
        assert!(!allowed("https://app.example", "null"));
        assert!(allowed("*", "https://anything.example:9"));
        assert!(!allowed("*", "not an origin"));
        assert!(!allowed("null", "NULL"));
    }

    #[test]
    fn bad_rules_say_why() {
        for (bad, why) in [
            ("https://app.example/", "not an origin"),
            ("app.example", "not an origin"),
            ("https://", "not an origin"),
            ("https://app.example:99999", "not an origin"),
            ("https://api.*.example.com", "whole first label"),
            ("https://*", "whole first label"),
            ("https://*.com", "top-level domain"),
            ("https://*.*.example.com", "not an origin pattern"),
            ("https://*.[::1]", "IP address"),
            ("https://*.example.com/x", "not an origin pattern"),
        ] {
            let err = Rule::parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_pattern_allows_one_label_of_its_domain_and_nothing_else(
            sent in "(https|http|HTTPS)://([a-zA-Z0-9_.-]{0,6}\\.)?(example\\.com|example\\.com\\.attacker\\.net|xexample\\.com|example\\.co)(:[0-9]{1,4})?"
        ) {
            let rule = Rule::parse("https://*.example.com").unwrap();
            let lower = sent.to_ascii_lowercase();
            let expected = lower.strip_prefix("https://").and_then(|rest| {
                let host = rest.strip_suffix(":443").unwrap_or(rest);
                let label = host.strip_suffix(".example.com")?;
                (!host.contains(':') && valid_label(label)).then_some(())
            });
            proptest::prop_assert_eq!(
                rule.allows(&sent, Origin::parse(&sent).as_ref()),
                expected.is_some(),
                "{}", sent
            );
        }

        #[test]
        fn any_origin_text_is_read_or_refused_without_panic(sent in "[a-z]{1,5}://[a-zA-Z0-9.:\\[\\]_*-]{0,30}") {
            if let Some(o) = Origin::parse(&sent) {
                proptest::prop_assert!(valid_host(&o.host));
                proptest::prop_assert_eq!(Origin::parse(&sent), Some(o));
            }
        }
    }
}
