//! The browser's secret and the tokens forms carry.
//!
//! The secret is 16 random bytes, in a cookie, hex. A token is the secret masked with a pad
//! drawn afresh for each token: `hex(pad ‖ pad ⊕ secret)`. Any token unmasks to the secret,
//! but no two pages carry the same bytes, so a page compressed beside text an attacker
//! reflects into it cannot leak the token byte by byte (BREACH). An HMAC of the secret under a
//! server key would be the same string on every page (BREACH again, unless masked too) and a
//! key to configure, rotate and share between instances; what the key would add — a secret
//! an attacker cannot plant — the `__Host-` cookie prefix gives over HTTPS (a sibling
//! subdomain or a network attacker cannot set such a cookie), and the `Origin` /
//! `Sec-Fetch-Site` check holds even then.

/// The secret's length in bytes.
const LEN: usize = 16;

/// A browser's secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Secret([u8; LEN]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A new secret from the OS's randomness (`None` if it gives none).
    pub(super) fn random() -> Option<Self> {
        let mut b = [0u8; LEN];
        getrandom::fill(&mut b).ok()?;
        Some(Self(b))
    }

    /// The secret of a cookie's value (`None` if it is not one).
    pub(super) fn parse(cookie: &str) -> Option<Self> {
        let mut b = [0u8; LEN];
        decode(cookie, &mut b)?;
        Some(Self(b))
    }

    /// The cookie's value.
    pub(super) fn to_cookie(self) -> String {
        encode(&self.0)
    }

    /// A fresh token for it (`None` if the OS gives no randomness for the pad).
    pub(super) fn token(self) -> Option<String> {
        let mut pad = [0u8; LEN];
        getrandom::fill(&mut pad).ok()?;
        Some(self.masked(pad))
    }

    fn masked(self, pad: [u8; LEN]) -> String {
        let mut out = [0u8; 2 * LEN];
        out[..LEN].copy_from_slice(&pad);
        for i in 0..LEN {
            out[LEN + i] = pad[i] ^ self.0[i];
        }
        encode(&out)
    }

    /// Whether `token` was made for this secret, in time independent of where it differs.
    pub(super) fn accepts(self, token: &str) -> bool {
        let mut b = [0u8; 2 * LEN];
        if decode(token.trim(), &mut b).is_none() {
            return false;
        }
        // By hand: the comparison is one line, not a dependency; every byte is looked at.
        let diff = (0..LEN).fold(0u8, |acc, i| acc | (b[i] ^ b[LEN + i] ^ self.0[i]));
        diff == 0
    }
}

fn encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// Hex into `out`, which it must fill exactly.
fn decode(text: &str, out: &mut [u8]) -> Option<()> {
    let t = text.as_bytes();
    if t.len() != out.len() * 2 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    for (o, pair) in out.iter_mut().zip(t.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_every_time_and_all_unmask_to_the_secret() {
        let s = Secret::random().unwrap();
        let (a, b) = (s.token().unwrap(), s.token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(s.accepts(&a) && s.accepts(&b));
        assert!(s.accepts(&a.to_uppercase()));
        let other = Secret::random().unwrap();
        assert!(!other.accepts(&a));
        // The cookie's value is not a token, nor is anything malformed.
        assert!(!s.accepts(&s.to_cookie()));
        let flipped = format!("{}{}", &a[..63], if a.ends_with('0') { '1' } else { '0' });
        let not_hex = format!("{}g", &a[..63]);
        for bad in ["", "zz", &a[..63], &format!("{a}0"), &flipped, &not_hex] {
            assert!(!s.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn masking_is_pad_then_pad_xor_secret() {
        let s = Secret([0x0f; LEN]);
        let t = s.masked([0xf0; LEN]);
        assert_eq!(t, format!("{}{}", "f0".repeat(LEN), "ff".repeat(LEN)));
        assert!(s.accepts(&t));
        assert_eq!(Secret::parse(&s.to_cookie()), Some(s));
        assert_eq!(Secret::parse("0f"), None);
        assert_eq!(Secret::parse(&"0g".repeat(LEN)), None);
    }
}
