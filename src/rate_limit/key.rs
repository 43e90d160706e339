//! Whose bucket a request draws on: its client's, by address, and an account's, by name.
//!
//! An IPv4 client is its address. An IPv6 client is its /64: one subscriber line, one
//! server, one phone is usually given a whole /64 and may pick any of its 2^64 addresses
//! for each request, so keying on the full address would hand such a client a fresh budget
//! per request and fill the table with its keys. Accounts are keyed by a hash of their name
//! under a seed drawn when the process starts, so a long name costs no memory and no one can
//! aim two names at one bucket.

use std::net::IpAddr;

/// A client, as the buckets know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ClientKey {
    /// An IPv4 address.
    V4(u32),
    /// The first 64 bits of an IPv6 address.
    V6(u64),
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => ClientKey::V6((u128::from(v6) >> 64) as u64),
        }
    }
}

/// An account, as the buckets know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct AccountKey(u64);

/// Names accounts: a seeded hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccountNames {
    seed: u64,
}

impl AccountNames {
    /// With a seed from the OS (from the clock where the OS gives none).
    pub(crate) fn new() -> Self {
        let seed = getrandom::u64().unwrap_or_else(|_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
        Self { seed }
    }

    /// The key of `account`.
    pub(crate) fn key(&self, account: &str) -> AccountKey {
        AccountKey(xxhash_rust::xxh3::xxh3_64_with_seed(
            account.as_bytes(),
            self.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str) -> ClientKey {
        ClientKey::from(ip.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn ipv6_clients_are_their_64_bit_prefix() {
        assert_eq!(
            key("2001:db8:1:2::1"),
            key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("192.0.2.1"), ClientKey::V4(0xc000_0201));
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
    }

    #[test]
    fn accounts_are_named_by_a_seeded_hash() {
        let names = AccountNames::new();
        assert_eq!(names.key("alice"), names.key("alice"));
        assert_ne!(names.key("alice"), names.key("Alice"));
        let other = AccountNames {
            seed: names.seed ^ 1,
        };
        assert_ne!(names.key("alice"), other.key("alice"));
    }
}
