//! Where webhooks may go: public addresses only, unless the operator allows a host or range
//! (`PATRON_WEBHOOK_ALLOW_HOSTS=127.0.0.0/8,localhost`, for development and tests). A URL is
//! checked when the merchant saves it, and the address it resolves to again at each delivery,
//! so a name that later points inside the network (DNS rebinding) is refused then.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::domain::DomainError;

/// The hosts and ranges the operator allows beyond public addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowHosts {
    names: Vec<String>,
    nets: Vec<IpNet>,
}

impl AllowHosts {
    /// Parses a comma-separated list of host names and CIDR ranges (a bare address is its own
    /// range).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut out = Self::default();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Ok(net) = item.parse::<IpNet>() {
                out.nets.push(net);
            } else if let Ok(ip) = item.parse::<IpAddr>() {
                out.nets.push(IpNet::from(ip));
            } else if item
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                out.names.push(item.to_ascii_lowercase());
            } else {
                return Err(format!("{item:?} is neither a host name nor a CIDR range"));
            }
        }
        Ok(out)
    }

    /// Whether `host` (a name, as in a URL) is allowed by name.
    pub fn allows_name(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.names.contains(&host)
    }

    /// Whether a delivery may connect to `ip`: a public address, or one the operator allows.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.nets.iter().any(|n| n.contains(&ip))
    }

    /// Whether plain `http://` may be used for `host`: only for hosts the operator allows.
    fn allows_plain_http(&self, host: &url::Host<&str>) -> bool {
        match host {
            url::Host::Domain(d) => self.allows_name(d),
            url::Host::Ipv4(ip) => self.nets.iter().any(|n| n.contains(&IpAddr::V4(*ip))),
            url::Host::Ipv6(ip) => self.nets.iter().any(|n| n.contains(&IpAddr::V6(*ip))),
        }
    }

    /// Checks an endpoint URL as the merchant gives it: `https://` (plain `http://` only for
    /// allowed hosts), a host, no credentials, and no private address written into it.
    pub fn checked_url(&self, raw: &str) -> Result<String, DomainError> {
        let raw = raw.trim();
        let bad = |why: &str| DomainError::invalid("url", why.to_owned());
        if raw.len() > 2000 {
            return Err(bad("must be at most 2000 characters"));
        }
        let url = url::Url::parse(raw)
            .map_err(|_| bad("must be an https:// URL such as https://shop.example/hooks"))?;
        let host = url.host().ok_or_else(|| bad("must name a host"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not carry a user name or password"));
        }
        if url.fragment().is_some() {
            return Err(bad("must not have a #fragment"));
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allows_plain_http(&host) => {}
            "http" => return Err(bad("must be https://")),
            _ => return Err(bad("must be an https:// URL")),
        }
        let refused = || {
            bad(
                "points to a private, loopback or link-local address: webhooks go to public addresses only",
            )
        };
        if let url::Host::Domain(d) = &host
            && !d
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(bad("must name a host of letters, digits, dots and dashes"));
        }
        match host {
            url::Host::Ipv4(ip) if !self.allows_ip(IpAddr::V4(ip)) => return Err(refused()),
            url::Host::Ipv6(ip) if !self.allows_ip(IpAddr::V6(ip)) => return Err(refused()),
            url::Host::Domain(d)
                if (d == "localhost" || d.ends_with(".localhost") || !d.contains('.'))
                    && !self.allows_name(d) =>
            {
                return Err(refused());
            }
            _ => {}
        }
        Ok(url.to_string())
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), documentation, multicast, broadcast or unspecified. An IPv6 address
/// that carries an IPv4 address for a translator or tunnel to reach (IPv4-mapped, -compatible
/// and -translated, NAT64, 6to4, Teredo) is public only when the IPv4 address it carries is.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6) && embedded_v4(v6).is_none_or(public_v4),
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Site-local is deprecated, yet some networks still route it inside. In 64:ff9b::/32 only
    // the well-known NAT64 prefix 64:ff9b::/96 is judged by the address it carries; the
    // local-use prefix 64:ff9b:1::/48 and the rest reach a translator of the network's own,
    // which puts the IPv4 address where it chooses, so they are refused outright.
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local, fec0::/10
        || (s[0] == 0x0064 && s[1] == 0xff9b && (s[2] | s[3] | s[4] | s[5]) != 0) // local NAT64
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard-only, 100::/64
        || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0) // benchmarking, 2001:2::/48
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation, 2001:db8::/32
        || (s[0] == 0x3fff && (s[1] & 0xf000) == 0)) // documentation, 3fff::/20
}

/// The IPv4 address an IPv6 address carries for a translator or tunnel to reach, where the
/// packet really goes: IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96` (`::` and `::1`
/// included: they carry 0.0.0.0 and 0.0.0.1, both refused), IPv4-translated
/// `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96` (the last 32 bits), 6to4 `2002::/16` (bits 16 to
/// 48) and Teredo `2001::/32` (the client's address, the last 32 bits inverted).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let o = ip.octets();
    let last = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    match ip.segments() {
        [0, 0, 0, 0, 0, 0 | 0xffff, _, _]
        | [0, 0, 0, 0, 0xffff, 0, _, _]
        | [0x0064, 0xff9b, 0, 0, 0, 0, _, _] => Some(last),
        [0x2002, ..] => Some(Ipv4Addr::new(o[2], o[3], o[4], o[5])),
        [0x2001, 0, ..] => Some(Ipv4Addr::from(!u32::from(last))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn ipv6_addresses_carrying_a_private_ipv4_address_and_site_local_ones_are_refused() {
        for ip in [
            "64:ff9b::7f00:1",                      // NAT64 of 127.0.0.1
            "64:ff9b::a9fe:a9fe",                   // NAT64 of 169.254.169.254
            "64:ff9b::a00:1",                       // NAT64 of 10.0.0.1
            "64:ff9b:1::808:808",                   // local-use NAT64: refused outright
            "64:ff9b:1:ab::",                       // local-use NAT64: refused outright
            "2002:7f00:1::",                        // 6to4 of 127.0.0.1
            "2002:a9fe:a9fe::1",                    // 6to4 of 169.254.169.254
            "2002:c0a8:101:5::1",                   // 6to4 of 192.168.1.1
            "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo, client 127.0.0.1
            "2001:0:4136:e378:8000:63bf:f5ff:fffe", // Teredo, client 10.0.0.1
            "2001:0:4136:e378:8000:63bf:5601:5601", // Teredo, client 169.254.169.254
            "::7f00:1",                             // IPv4-compatible 127.0.0.1
            "::a9fe:a9fe",                          // IPv4-compatible 169.254.169.254
            "::ffff:0:a00:1",                       // IPv4-translated 10.0.0.1
            "::ffff:a9fe:a9fe",                     // IPv4-mapped 169.254.169.254
            "::",                                   // unspecified
            "fec0::1",                              // site-local
            "feff:ffff::1",                         // site-local, the range's end
            "100::1",                               // discard-only
            "2001:2::1",                            // benchmarking
            "3fff::1",                              // documentation
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        // The same forms carrying a public IPv4 address stay public.
        for ip in [
            "64:ff9b::808:808",                     // NAT64 of 8.8.8.8
            "2002:808:808::1",                      // 6to4 of 8.8.8.8
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo, client 8.8.8.8
            "::ffff:101:101",                       // IPv4-mapped 1.1.1.1
            "2001:4860:4860::8888",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        let none = AllowHosts::default();
        for bad in [
            "https://[64:ff9b::a9fe:a9fe]/latest",
            "https://[2002:a9fe:a9fe::]/latest",
            "https://[2001:0:4136:e378:8000:63bf:5601:5601]/latest",
            "https://[::a9fe:a9fe]/latest",
            "https://[fec0::1]/hooks",
        ] {
            assert!(
                matches!(none.checked_url(bad), Err(DomainError::Invalid { ref field, .. }) if field == "url"),
                "{bad}"
            );
        }
    }

    #[test]
    fn urls_are_https_on_public_hosts_unless_the_operator_allows() {
        let none = AllowHosts::default();
        assert_eq!(
            none.checked_url("https://shop.example/hooks").unwrap(),
            "https://shop.example/hooks"
        );
        for bad in [
            "http://shop.example/hooks",
            "https://127.0.0.1/hooks",
            "https://[::1]/hooks",
            "https://169.254.169.254/latest",
            "https://localhost/hooks",
            "https://intranet/hooks",
            "https://user:pw@shop.example/",
            "ftp://shop.example/",
            "not a url",
        ] {
            assert!(
                matches!(none.checked_url(bad), Err(DomainError::Invalid { ref field, .. }) if field == "url"),
                "{bad}"
            );
        }
        let dev = AllowHosts::parse("127.0.0.0/8, localhost").unwrap();
        assert!(dev.checked_url("http://127.0.0.1:9000/hooks").is_ok());
        assert!(dev.checked_url("http://localhost:9000/hooks").is_ok());
        assert!(dev.checked_url("http://10.0.0.1/hooks").is_err());
        assert!(dev.allows_ip("127.0.0.2".parse().unwrap()));
        assert!(!dev.allows_ip("10.0.0.1".parse().unwrap()));
        assert!(AllowHosts::parse("127.0.0.0/8,bad host").is_err());
    }
}
