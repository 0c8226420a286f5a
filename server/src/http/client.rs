//! Who the client is. Behind a load balancer every connection comes from the balancer, so the
//! client's address is read from the forwarding header — but only when the peer is one of
//! `TXSTATE_TRUSTED_PROXIES`, and only from the one header those proxies set
//! (`TXSTATE_CLIENT_IP_HEADER`): a header the proxy passes through untouched is the client's
//! to forge. The address found drives the admin-login slowdown, the request log and the
//! access log.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use clap::ValueEnum;
use ipnet::IpNet;
use tower::util::MapRequestLayer;

use crate::config::Config;

/// The header trusted proxies put the client's address in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, AWS and GCP balancers).
    #[value(name = "x-forwarded-for")]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1`.
    #[value(name = "forwarded")]
    Forwarded,
}

/// The client of a request, as the request log and the admin-login slowdown see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address.
    pub ip: IpAddr,
    /// The peer that forwarded the request, when the address came from a trusted proxy.
    pub via: Option<IpAddr>,
}

impl ClientAddr {
    /// The key the admin-login slowdown counts failures under: the address, an IPv6 one by its
    /// /64 (one host commonly holds a whole /64, so counting single addresses would give it
    /// 2^64 fresh starts).
    pub fn key(&self) -> IpAddr {
        match self.ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
            v4 => v4,
        }
    }

    /// `ip`, or `ip via peer`: what the request log stores. An IPv4 address is written digit
    /// by digit (every request logs one; `fmt` cost ~2,900 instructions for it).
    pub fn text(&self) -> String {
        fn push(out: &mut String, ip: IpAddr) {
            match ip {
                IpAddr::V4(v4) => {
                    for (i, o) in v4.octets().into_iter().enumerate() {
                        if i > 0 {
                            out.push('.');
                        }
                        if o >= 100 {
                            out.push(char::from(b'0' + o / 100));
                        }
                        if o >= 10 {
                            out.push(char::from(b'0' + o / 10 % 10));
                        }
                        out.push(char::from(b'0' + o % 10));
                    }
                }
                IpAddr::V6(v6) => {
                    use std::fmt::Write;
                    let _ = write!(out, "{v6}");
                }
            }
        }
        let mut out = String::with_capacity(48);
        push(&mut out, self.ip);
        if let Some(via) = self.via {
            out.push_str(" via ");
            push(&mut out, via);
        }
        out
    }
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    proxies.iter().any(|n| n.contains(&ip))
}

/// One hop of a forwarding header: `203.0.113.7`, `203.0.113.7:4711`, `"[2001:db8::1]:4711"`,
/// `2001:db8::1`; `None` for `unknown`, obfuscated names and garbage.
fn hop(text: &str) -> Option<IpAddr> {
    let t = text.trim().trim_matches('"');
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    let inner = t.strip_prefix('[')?;
    inner[..inner.find(']')?].parse().ok()
}

/// The hops a header lists, nearest the client first (every instance of the header, in order).
fn hops(headers: &HeaderMap, which: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let mut out = Vec::new();
    let name = match which {
        ForwardedHeader::XForwardedFor => "x-forwarded-for",
        ForwardedHeader::Forwarded => "forwarded",
    };
    for value in headers.get_all(name) {
        let Ok(v) = value.to_str() else {
            out.push(None);
            continue;
        };
        for element in v.split(',') {
            match which {
                ForwardedHeader::XForwardedFor => out.push(hop(element)),
                ForwardedHeader::Forwarded => {
                    let for_ = element.split(';').find_map(|pair| {
                        let (k, v) = pair.split_once('=')?;
                        k.trim().eq_ignore_ascii_case("for").then_some(v)
                    });
                    out.push(for_.and_then(hop));
                }
            }
        }
    }
    out
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the header's
/// hops are walked from the nearest, skipping trusted proxies, and the first other address is
/// the client. A hop that is not an address stops the walk at the proxy that wrote it.
pub fn resolve(
    peer: IpAddr,
    headers: &HeaderMap,
    proxies: &[IpNet],
    which: ForwardedHeader,
) -> ClientAddr {
    let direct = ClientAddr {
        ip: peer,
        via: None,
    };
    if !trusted(peer, proxies) {
        return direct;
    }
    let mut nearest = peer;
    for h in hops(headers, which).into_iter().rev() {
        match h {
            Some(ip) if trusted(ip, proxies) => nearest = ip,
            Some(ip) => {
                return ClientAddr {
                    ip,
                    via: Some(peer),
                }
            }
            None => break,
        }
    }
    if nearest == peer {
        direct
    } else {
        ClientAddr {
            ip: nearest,
            via: Some(peer),
        }
    }
}

/// The layer that puts each request's [`ClientAddr`] in its extensions. A plain map of the
/// request: axum's `from_fn` middleware would clone every service inside it per request.
pub fn layer(config: &Config) -> MapRequestLayer<impl Fn(Request) -> Request + Clone> {
    let proxies: Arc<[IpNet]> = config.trusted_proxies.0.clone().into();
    let which = config.client_ip_header;
    MapRequestLayer::new(move |mut req: Request| {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        let client = resolve(peer, req.headers(), &proxies, which);
        req.extensions_mut().insert(client);
        req
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarding_headers_are_believed_only_from_trusted_proxies() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let xff = ForwardedHeader::XForwardedFor;
        type Headers = &'static [(&'static str, &'static str)];
        let cases: &[(&str, Headers, &str)] = &[
            // (peer, headers, client)
            (
                "203.0.113.9",
                &[("x-forwarded-for", "198.51.100.1")],
                "203.0.113.9",
            ),
            (
                "10.0.0.2",
                &[("x-forwarded-for", "198.51.100.1")],
                "198.51.100.1",
            ),
            // A client's forged entry sits left of what our proxies saw: the walk stops first.
            (
                "10.0.0.2",
                &[("x-forwarded-for", "1.2.3.4, 198.51.100.1, 10.0.0.3")],
                "198.51.100.1",
            ),
            (
                "10.0.0.2",
                &[
                    ("x-forwarded-for", "1.2.3.4"),
                    ("x-forwarded-for", "198.51.100.1:5000"),
                ],
                "198.51.100.1",
            ),
            ("10.0.0.2", &[], "10.0.0.2"),
            ("10.0.0.2", &[("x-forwarded-for", "unknown")], "10.0.0.2"),
            (
                "10.0.0.2",
                &[("x-forwarded-for", "garbage, 10.0.0.7")],
                "10.0.0.7",
            ),
            ("10.0.0.2", &[("forwarded", "for=198.51.100.1")], "10.0.0.2"),
            (
                "::ffff:10.0.0.2",
                &[("x-forwarded-for", "2001:db8::1")],
                "2001:db8::1",
            ),
        ];
        for (peer, h, want) in cases {
            let got = resolve(ip(peer), &headers(h), &proxies, xff);
            assert_eq!(got.ip, ip(want), "peer {peer}, headers {h:?}");
        }
        let fwd = ForwardedHeader::Forwarded;
        let got = resolve(
            ip("10.0.0.2"),
            &headers(&[(
                "forwarded",
                "for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.5",
            )]),
            &proxies,
            fwd,
        );
        assert_eq!(got.ip, ip("2001:db8:cafe::17"));
        assert_eq!(got.via, Some(ip("10.0.0.2")));
        assert_eq!(got.to_string(), "2001:db8:cafe::17 via 10.0.0.2");
        let ignored = resolve(
            ip("10.0.0.2"),
            &headers(&[("x-forwarded-for", "198.51.100.1")]),
            &proxies,
            fwd,
        );
        assert_eq!(
            ignored.ip,
            ip("10.0.0.2"),
            "only the configured header is read"
        );
    }

    /// The text is what `IpAddr`'s own formatting writes: every digit-count boundary in every
    /// octet, IPv6 (and IPv4-mapped) addresses, with and without a proxy.
    #[test]
    fn client_text_is_the_addresses_display() {
        let edges = [0u8, 9, 10, 99, 100, 255];
        let mut ips: Vec<IpAddr> = Vec::new();
        for a in edges {
            for b in edges {
                for c in edges {
                    for d in edges {
                        ips.push(IpAddr::from([a, b, c, d]));
                    }
                }
            }
        }
        ips.extend(["::1", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1"].map(ip));
        for (i, first) in ips.iter().enumerate() {
            let via = (i % 3 == 0).then(|| ips[ips.len() - 1 - i]);
            let c = ClientAddr { ip: *first, via };
            let want = match via {
                Some(v) => format!("{first} via {v}"),
                None => first.to_string(),
            };
            assert_eq!(c.text(), want);
        }
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a = ClientAddr {
            ip: ip("2001:db8:1:2:aaaa::1"),
            via: None,
        };
        let b = ClientAddr {
            ip: ip("2001:db8:1:2:bbbb::9"),
            via: None,
        };
        let c = ClientAddr {
            ip: ip("2001:db8:1:3::1"),
            via: None,
        };
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), c.key());
        let mapped = ClientAddr {
            ip: ip("::ffff:192.0.2.1"),
            via: None,
        };
        assert_eq!(mapped.key(), ip("192.0.2.1"));
    }
}
