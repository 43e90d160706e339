//! Content codings: which one a request's `Accept-Encoding` prefers (RFC 9110 §12.5.3).
//!
//! This module owns the reading of `Accept-Encoding` for everything that encodes a body: the
//! compression tool choosing how to compress a response, the static files choosing a
//! precompressed sibling (`style.css.br`). It knows the codings drupe produces ([`Coding`])
//! and nothing about bodies.

use actix_web::HttpRequest;
use actix_web::http::header;

/// A content coding drupe can produce, and `identity` (no coding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// Brotli (`br`).
    Brotli,
    /// Zstandard (`zstd`).
    Zstd,
    /// Gzip (`gzip`, also read as `x-gzip`).
    Gzip,
    /// No coding.
    Identity,
}

impl Coding {
    /// The name in `Content-Encoding`.
    ///
    /// ```
    /// assert_eq!(drupe::encoding::Coding::Brotli.name(), "br");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
            Coding::Identity => "identity",
        }
    }

    /// The file suffix of a precompressed sibling (`.br`, `.zst`, `.gz`).
    pub fn suffix(self) -> &'static str {
        match self {
            Coding::Brotli => ".br",
            Coding::Zstd => ".zst",
            Coding::Gzip => ".gz",
            Coding::Identity => "",
        }
    }

    fn matches(self, name: &str) -> bool {
        name.eq_ignore_ascii_case(self.name())
            || (self == Coding::Gzip && name.eq_ignore_ascii_case("x-gzip"))
    }
}

/// What a request's `Accept-Encoding` allows of the codings a server can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// This coding (possibly [`Coding::Identity`]).
    Use(Coding),
    /// Nothing offered is acceptable, not even `identity` (`identity;q=0` or `*;q=0` with no
    /// coding offered that the client accepts): a 406, or identity anyway (RFC 9110 §12.5.3
    /// allows either).
    Nothing,
}

/// The longest `Accept-Encoding` read: a longer one is treated as absent (identity).
const MAX_HEADER: usize = 1024;

/// Chooses among `offered` (the server's order breaks ties in q) for the request's
/// `Accept-Encoding`. No header means identity: a client that says nothing gets no coding,
/// as browsers and CherryPy expect. A coding with the same q as `identity` wins over it.
///
/// ```
/// use drupe::encoding::{Choice, Coding, choose};
/// let req = actix_web::test::TestRequest::default()
///     .insert_header(("accept-encoding", "gzip;q=0.5, br"))
///     .to_http_request();
/// assert_eq!(choose(&req, &[Coding::Gzip, Coding::Brotli]), Choice::Use(Coding::Brotli));
/// assert_eq!(choose(&req, &[Coding::Zstd]), Choice::Use(Coding::Identity));
/// ```
pub fn choose(req: &HttpRequest, offered: &[Coding]) -> Choice {
    let mut values = req.headers().get_all(header::ACCEPT_ENCODING).peekable();
    if values.peek().is_none() {
        return Choice::Use(Coding::Identity);
    }
    let mut text = String::new();
    for v in values {
        let Ok(s) = v.to_str() else {
            return Choice::Use(Coding::Identity);
        };
        if text.len() + s.len() > MAX_HEADER {
            return Choice::Use(Coding::Identity);
        }
        if !text.is_empty() {
            text.push(',');
        }
        text.push_str(s);
    }
    choose_from(&text, offered)
}

/// [`choose`] on the header's text.
pub fn choose_from(accept_encoding: &str, offered: &[Coding]) -> Choice {
    // q in thousandths; None: not named.
    let mut star: Option<u16> = None;
    let mut identity: Option<u16> = None;
    let mut named: [Option<u16>; 3] = [None; 3];
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        let mut q = 1000;
        for p in parts {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("q") {
                match parse_q(v.trim()) {
                    Some(x) => q = x,
                    // A malformed weight: the item is ignored, as an unknown coding would be.
                    None => q = u16::MAX,
                }
            }
        }
        if q == u16::MAX {
            continue;
        }
        let slot = if name == "*" {
            &mut star
        } else if name.eq_ignore_ascii_case("identity") {
            &mut identity
        } else if let Some(i) = [Coding::Brotli, Coding::Zstd, Coding::Gzip]
            .iter()
            .position(|c| c.matches(name))
        {
            &mut named[i]
        } else {
            continue;
        };
        // The highest weight given to a name wins when it is listed twice.
        *slot = Some(slot.map_or(q, |old: u16| old.max(q)));
    }
    let q_of = |c: Coding| -> u16 {
        let i = match c {
            Coding::Brotli => 0,
            Coding::Zstd => 1,
            Coding::Gzip => 2,
            Coding::Identity => return identity.or(star.filter(|&s| s == 0)).unwrap_or(1),
        };
        named[i].or(star).unwrap_or(0)
    };
    let mut best: Option<(Coding, u16)> = None;
    for &c in offered.iter().filter(|c| **c != Coding::Identity) {
        let q = q_of(c);
        if q > 0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((c, q));
        }
    }
    let identity_q = q_of(Coding::Identity);
    match best {
        Some((c, q)) if q >= identity_q => Choice::Use(c),
        _ if identity_q > 0 => Choice::Use(Coding::Identity),
        _ => Choice::Nothing,
    }
}

/// A weight, `0` to `1` with at most three decimals, in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_val = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(frac_val),
        "1" if frac_val == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Coding::*;

    const ALL: &[Coding] = &[Brotli, Zstd, Gzip];

    #[test]
    fn weights_choose_and_the_server_breaks_ties() {
        assert_eq!(choose_from("gzip", ALL), Choice::Use(Gzip));
        assert_eq!(choose_from("gzip, br", ALL), Choice::Use(Brotli));
        assert_eq!(choose_from("br;q=0.2, gzip;q=0.8", ALL), Choice::Use(Gzip));
        assert_eq!(choose_from("x-gzip", ALL), Choice::Use(Gzip));
        assert_eq!(choose_from("GZIP;Q=1.0", ALL), Choice::Use(Gzip));
        assert_eq!(choose_from("deflate", ALL), Choice::Use(Identity));
        assert_eq!(choose_from("", ALL), Choice::Use(Identity));
        assert_eq!(choose_from("zstd", &[Gzip]), Choice::Use(Identity));
    }

    #[test]
    fn zero_refuses_and_star_covers_what_is_not_named() {
        assert_eq!(choose_from("gzip;q=0", ALL), Choice::Use(Identity));
        assert_eq!(choose_from("*", ALL), Choice::Use(Brotli));
        assert_eq!(choose_from("*, br;q=0", ALL), Choice::Use(Zstd));
        assert_eq!(choose_from("*;q=0", ALL), Choice::Nothing);
        assert_eq!(choose_from("*;q=0, gzip", ALL), Choice::Use(Gzip));
        assert_eq!(choose_from("identity;q=0", &[]), Choice::Nothing);
        assert_eq!(choose_from("identity;q=0, gzip", ALL), Choice::Use(Gzip));
        assert_eq!(choose_from("*;q=0, identity", ALL), Choice::Use(Identity));
    }

    #[test]
    fn identity_wins_only_when_weighted_higher() {
        assert_eq!(choose_from("gzip, identity", ALL), Choice::Use(Gzip));
        assert_eq!(
            choose_from("gzip;q=0.5, identity", ALL),
            Choice::Use(Identity)
        );
    }

    #[test]
    fn malformed_weights_drop_their_item() {
        assert_eq!(choose_from("br;q=2, gzip", ALL), Choice::Use(Gzip));
        assert_eq!(choose_from("br;q=0.0001, gzip", ALL), Choice::Use(Gzip));
        assert_eq!(choose_from("br;q=x", ALL), Choice::Use(Identity));
        assert_eq!(
            choose_from(" , ;;, gzip ; q = 0.5 ", ALL),
            Choice::Use(Gzip)
        );
    }
}
