// Which addresses the HTTP prover may connect to: the SSRF rule. A custom
// domain's DNS is written by the customer, so "fetch http://<their host>/..."
// would otherwise let a tenant make corsd connect to its own loopback, the
// cluster's private network or a cloud metadata address (169.254.169.254).
// Only globally routable unicast addresses pass.
//
// Pure functions; safe to call from any number of threads at once.
#ifndef CORSD_SERVICE_PROOF_ADDRESS_POLICY_H_
#define CORSD_SERVICE_PROOF_ADDRESS_POLICY_H_

#include <string>

#include "service/dns/resolver.h"

namespace corsd::proof {

// True when `address` is a public unicast address the prover may connect to.
//
// False for (IPv4) unspecified 0.0.0.0/8, private 10/8, CGNAT 100.64/10,
// loopback 127/8, link-local 169.254/16, private 172.16/12, IETF protocol
// assignments 192.0.0/24, documentation 192.0.2/24, private 192.168/16,
// benchmark 198.18/15, documentation 198.51.100/24 and 203.0.113/24,
// multicast 224/4, reserved and broadcast 240/4; (IPv6) unspecified ::,
// loopback ::1, unique local fc00::/7, link-local fe80::/10, multicast
// ff00::/8, documentation 2001:db8::/32, Teredo 2001::/32, and anything
// outside global unicast 2000::/3 (site-local fec0::/10, discard 100::/64,
// IPv4-compatible ::/96, local NAT64 64:ff9b:1::/48...). An IPv4-mapped
// (::ffff:0:0/96), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address is judged
// by the IPv4 address it carries.
//
// When false and `range_name` is not null, sets it to the range that refused
// the address, e.g. "loopback 127.0.0.0/8" or "IPv4-mapped ::ffff:0:0/96
// carrying private 10.0.0.0/8". Leaves it alone when true.
bool IsPublicAddress(const dns::IpAddress& address, std::string* range_name);

}  // namespace corsd::proof

#endif  // CORSD_SERVICE_PROOF_ADDRESS_POLICY_H_
