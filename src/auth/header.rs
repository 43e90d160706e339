//! Reading the `Authorization` header (RFC 9110 §11.6.2) for the Basic and Bearer schemes.
//! actix-web-httpauth parses it too, but as extractors that fail the request on their own
//! terms; the tools need the parse alone (which scheme, malformed or absent) to answer with
//! their own challenges, so the few lines are here.

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use base64::Engine;

/// What a request's `Authorization` header says.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Credentials {
    /// No header.
    Absent,
    /// `Basic` with a user and a password.
    Basic { user: String, password: String },
    /// `Bearer` with a token.
    Bearer(String),
    /// Another scheme (`Digest`, `Negotiate`...).
    Other,
    /// A `Basic` header that cannot be read: why.
    MalformedBasic(&'static str),
    /// A `Bearer` header that cannot be read: why.
    MalformedBearer(&'static str),
}

/// The credentials of `req`.
pub(super) fn credentials(req: &HttpRequest) -> Credentials {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Credentials::Absent;
    };
    let Ok(value) = value.to_str() else {
        return Credentials::Other;
    };
    let (scheme, rest) = scheme_and_rest(value.as_bytes());
    // A part of a `str` cut at ASCII bytes.
    let rest = std::str::from_utf8(rest).unwrap_or_default();
    if scheme.eq_ignore_ascii_case(b"basic") {
        basic(rest)
    } else if scheme.eq_ignore_ascii_case(b"bearer") {
        bearer(rest)
    } else {
        Credentials::Other
    }
}

/// An `Authorization` value's scheme and what follows it, spaces around both trimmed (on
/// bytes: the remembered-credentials lookup runs this for every request it covers).
fn scheme_and_rest(value: &[u8]) -> (&[u8], &[u8]) {
    let value = value.trim_ascii();
    match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], value[space + 1..].trim_ascii()),
        None => (value, &[]),
    }
}

/// The token of a request's `Basic` credentials (the base64 after the scheme, as sent),
/// without decoding it: what a remembered verification is found by. Split as [`credentials`]
/// splits it, so that the token a verification was remembered under is found again.
pub(super) fn basic_token(req: &HttpRequest) -> Option<&[u8]> {
    let (scheme, token) = scheme_and_rest(req.headers().get(AUTHORIZATION)?.as_bytes());
    (scheme.eq_ignore_ascii_case(b"basic") && !token.is_empty()).then_some(token)
}

/// `user:password`, base64 (RFC 7617 §2): UTF-8 as the challenge's `charset` asks, else
/// ISO-8859-1, the charset older clients use.
fn basic(token: &str) -> Credentials {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(token) else {
        return Credentials::MalformedBasic("The Basic credentials are not base64.");
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
    };
    match text.split_once(':') {
        Some((user, password)) => Credentials::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        },
        None => Credentials::MalformedBasic(
            "The Basic credentials have no ':' between user and password.",
        ),
    }
}

/// A b64token (RFC 6750 §2.1): letters, digits and `-._~+/`, then `=` padding.
fn bearer(token: &str) -> Credentials {
    let body = token.trim_end_matches('=');
    let valid = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if valid {
        Credentials::Bearer(token.to_owned())
    } else {
        Credentials::MalformedBearer("The bearer token is not a token (RFC 6750 §2.1).")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn of(value: &str) -> Credentials {
        credentials(
            &TestRequest::default()
                .insert_header((AUTHORIZATION, value))
                .to_http_request(),
        )
    }

    #[test]
    fn schemes_and_their_faults() {
        assert_eq!(
            of("Basic YWRtaW46czNjcjN0OmFuZCBtb3Jl"),
            Credentials::Basic {
                user: "admin".into(),
                password: "s3cr3t:and more".into()
            }
        );
        assert_eq!(
            of("basic   YTpi"),
            Credentials::Basic {
                user: "a".into(),
                password: "b".into()
            }
        );
        // "é:x" in ISO-8859-1.
        assert_eq!(
            of("Basic 6Tp4"),
            Credentials::Basic {
                user: "é".into(),
                password: "x".into()
            }
        );
        assert!(matches!(of("Basic !!!"), Credentials::MalformedBasic(_)));
        assert!(matches!(
            of("Basic YWRtaW4="),
            Credentials::MalformedBasic(_)
        ));
        assert!(matches!(of("Basic"), Credentials::MalformedBasic(_)));
        assert_eq!(
            of("Bearer abc.DEF-1~+/=="),
            Credentials::Bearer("abc.DEF-1~+/==".into())
        );
        assert!(matches!(of("Bearer a b"), Credentials::MalformedBearer(_)));
        assert!(matches!(of("Bearer"), Credentials::MalformedBearer(_)));
        assert_eq!(of("Digest username=x"), Credentials::Other);
        assert_eq!(
            credentials(&TestRequest::default().to_http_request()),
            Credentials::Absent
        );
    }

    #[test]
    fn a_basic_token_is_found_whatever_the_case_and_the_spaces() {
        let token = |value: &str| {
            let req = TestRequest::default()
                .insert_header((AUTHORIZATION, value))
                .to_http_request();
            basic_token(&req).map(<[u8]>::to_vec)
        };
        for v in ["Basic YTpi", "basic   YTpi", " BASIC YTpi  "] {
            assert_eq!(token(v).as_deref(), Some(&b"YTpi"[..]), "{v:?}");
        }
        assert_eq!(token("Bearer YTpi"), None);
        assert_eq!(token("Basic"), None);
    }
}
