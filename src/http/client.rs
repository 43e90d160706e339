//! Who the client is: trusted proxies, the forwarded chain, loopback clients and local names.
//!
//! This module owns [`TrustedProxies`] (`[global] server.trusted_proxies`) and the rules that
//! decide what a request's proxy headers may change. A request whose peer is not a trusted
//! proxy is taken as it arrived: its `Forwarded` and `X-Forwarded-*` headers are ignored,
//! since any client can write them. A request from a trusted proxy is read through the
//! forwarded chain (`Forwarded: for=…`, else `X-Forwarded-For`), from the right: each proxy
//! appends the address it received the request from, so the client is the rightmost address
//! that is not itself a trusted proxy — never the leftmost, which the client wrote.
//!
//! Operator pages (the coverage report, the cache's counters, the API documentation unless
//! published) answer only loopback clients, and only for a loopback name or one of
//! `[global] server.allowed_hosts`: a page in a browser on this machine cannot read them
//! through a hostile name that resolves to 127.0.0.1 (DNS rebinding).

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use ipnet::IpNet;

/// The proxies whose `Forwarded` / `X-Forwarded-*` headers are believed
/// (`[global] server.trusted_proxies`: addresses, CIDR blocks, and `"unix"` for peers on a
/// Unix domain socket).
///
/// ```
/// use drupe::TrustedProxies;
/// let p = TrustedProxies::parse(&["10.0.0.0/8", "::1", "unix"]).unwrap();
/// assert!(p.contains("10.1.2.3".parse().unwrap()));
/// assert!(!p.contains("192.0.2.1".parse().unwrap()));
/// assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    unix: bool,
}

impl TrustedProxies {
    /// No proxy is trusted: proxy headers are always ignored.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads addresses (`10.0.0.1`, `::1`), CIDR blocks (`10.0.0.0/8`) and `unix`; the error
    /// names the entry that is none of these.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let mut out = Self::default();
        for e in entries {
            let e = e.as_ref().trim();
            if e == "unix" {
                out.unix = true;
            } else if let Ok(net) = e.parse::<IpNet>() {
                out.nets.push(net.trunc());
            } else if let Ok(ip) = e.parse::<IpAddr>() {
                out.nets.push(IpNet::from(ip));
            } else {
                return Err(format!(
                    "`{e}` is not an IP address, a CIDR block (10.0.0.0/8) or \"unix\""
                ));
            }
        }
        Ok(out)
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && !self.unix
    }

    /// Whether `ip` is a trusted proxy (an IPv4-mapped IPv6 address counts as its IPv4 one).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// Whether the request arrived from a trusted proxy, so that its proxy headers count.
    pub(crate) fn trusts_peer(&self, req: &HttpRequest) -> bool {
        if self.is_empty() {
            return false;
        }
        match req.peer_addr() {
            Some(a) => self.contains(a.ip()),
            // A Unix domain socket has no peer address.
            None => self.unix,
        }
    }

    /// The client's address: the peer, or, behind trusted proxies, the rightmost address of
    /// the forwarded chain that is not a trusted proxy. `None` when it cannot be known (a
    /// Unix socket peer, an obfuscated or malformed chain entry).
    pub(crate) fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| canonical(a.ip()));
        if !self.trusts_peer(req) {
            return peer;
        }
        let mut chain = forwarded_for(req);
        // From the right: skip the trusted proxies; the first other address is the client.
        let mut leftmost = peer;
        while let Some(entry) = chain.pop() {
            let ip = entry?;
            if !self.contains(ip) {
                return Some(ip);
            }
            leftmost = Some(ip);
        }
        // Every hop is a trusted proxy: the request started at the leftmost of them.
        leftmost
    }
}

/// An IPv4-mapped IPv6 address as its IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The forwarded chain, left to right: `Forwarded`'s `for=` values when that header is
/// present (RFC 7239), else `X-Forwarded-For`'s. `None` for an entry that is not an address
/// (`unknown`, an obfuscated `_name`, garbage).
fn forwarded_for(req: &HttpRequest) -> Vec<Option<IpAddr>> {
    let headers = req.headers();
    if headers.contains_key(header::FORWARDED) {
        let mut out = Vec::new();
        for line in headers.get_all(header::FORWARDED) {
            let Ok(line) = line.to_str() else {
                out.push(None);
                continue;
            };
            for element in line.split(',') {
                let value = element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
                });
                if let Some(v) = value {
                    out.push(parse_node(v.trim_matches('"')));
                }
            }
        }
        return out;
    }
    let mut out = Vec::new();
    for line in headers.get_all("x-forwarded-for") {
        match line.to_str() {
            Ok(line) => out.extend(line.split(',').map(|v| parse_node(v.trim()))),
            Err(_) => out.push(None),
        }
    }
    out
}

/// An address of the chain: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711`, `2001:db8::1`.
fn parse_node(v: &str) -> Option<IpAddr> {
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = v.parse::<std::net::SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    v.strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
        .map(canonical)
}

/// Whether the client of `req` is on this machine. Unknown clients are not.
pub(crate) fn client_is_loopback(req: &HttpRequest, proxies: &TrustedProxies) -> bool {
    proxies.client_ip(req).is_some_and(|ip| ip.is_loopback())
}

/// The host name the request was sent to, without its port, in lower case: the `Host`
/// header (or the forwarded host, from a trusted proxy).
pub(crate) fn request_host(req: &HttpRequest, proxies: &TrustedProxies) -> Option<String> {
    let host = if proxies.trusts_peer(req) {
        Some(req.connection_info().host().to_owned())
    } else {
        req.headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().host().map(str::to_owned))
    }?;
    let name = match host.strip_prefix('[') {
        Some(v6) => format!("[{}]", v6.split_once(']')?.0),
        None => host.split(':').next().unwrap_or_default().to_owned(),
    };
    Some(name.to_ascii_lowercase())
}

/// Whether `name` (a host without its port) is one of this machine's own names: `localhost`
/// and its subdomains (RFC 6761), `127.0.0.0/8`, `[::1]`.
pub(crate) fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .and_then(|n| n.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn req(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut r = TestRequest::default().peer_addr(peer.parse().unwrap());
        for (k, v) in headers {
            r = r.append_header((*k, *v));
        }
        r.to_http_request()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_say() {
        let p = TrustedProxies::parse(&["10.0.0.1"]).unwrap();
        let r = req("203.0.113.5:4000", &[("x-forwarded-for", "127.0.0.1")]);
        assert_eq!(p.client_ip(&r), ip("203.0.113.5"));
        assert!(!client_is_loopback(&r, &p));
        assert_eq!(TrustedProxies::none().client_ip(&r), ip("203.0.113.5"));
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let p = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        // The client wrote 127.0.0.1 itself; the proxy appended the address it saw.
        let r = req(
            "10.0.0.1:4000",
            &[("x-forwarded-for", "127.0.0.1, 198.51.100.7")],
        );
        assert_eq!(p.client_ip(&r), ip("198.51.100.7"));
        // Two proxies in the chain.
        let r = req(
            "10.0.0.1:4000",
            &[
                ("x-forwarded-for", "198.51.100.7"),
                ("x-forwarded-for", "10.9.9.9"),
            ],
        );
        assert_eq!(p.client_ip(&r), ip("198.51.100.7"));
        // Forwarded wins over X-Forwarded-For, with ports and brackets.
        let r = req(
            "10.0.0.1:4000",
            &[
                (
                    "forwarded",
                    "for=\"[2001:db8::7]:4711\";proto=https, for=10.2.2.2",
                ),
                ("x-forwarded-for", "127.0.0.1"),
            ],
        );
        assert_eq!(p.client_ip(&r), ip("2001:db8::7"));
        // Every hop trusted: the leftmost.
        let r = req(
            "10.0.0.1:4000",
            &[("x-forwarded-for", "10.3.3.3, 10.4.4.4")],
        );
        assert_eq!(p.client_ip(&r), ip("10.3.3.3"));
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(p.client_ip(&req("10.0.0.1:1", &[])), ip("10.0.0.1"));
        // An entry that is not an address ends the walk: unknown, never loopback.
        let r = req(
            "10.0.0.1:4000",
            &[("forwarded", "for=127.0.0.1, for=_hidden")],
        );
        assert_eq!(p.client_ip(&r), None);
        assert!(!client_is_loopback(&r, &p));
    }

    #[test]
    fn mapped_addresses_and_bad_entries() {
        let p = TrustedProxies::parse(&["127.0.0.1"]).unwrap();
        assert!(p.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(TrustedProxies::parse(&["localhost"]).is_err());
        assert!(TrustedProxies::parse(&["unix"]).unwrap().unix);
    }

    #[test]
    fn hosts_and_local_names() {
        let none = TrustedProxies::none();
        let r = req("127.0.0.1:1", &[("host", "Attacker.Example:8080")]);
        assert_eq!(request_host(&r, &none).as_deref(), Some("attacker.example"));
        let r = req("127.0.0.1:1", &[("host", "[::1]:8080")]);
        assert_eq!(request_host(&r, &none).as_deref(), Some("[::1]"));
        for ok in [
            "localhost",
            "a.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
        ] {
            assert!(is_loopback_name(ok), "{ok}");
        }
        for bad in [
            "attacker.example",
            "localhost.example",
            "10.0.0.1",
            "[::2]",
            "",
        ] {
            assert!(!is_loopback_name(bad), "{bad}");
        }
    }
}
