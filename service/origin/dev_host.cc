// IsDevHost (R16): which canonical hosts are development or private-network
// hosts, so a production tenant can refuse them when they are written.
#include "absl/strings/match.h"
#include "service/origin/ip_address.h"
#include "service/origin/origin.h"

namespace corsd::origin {
namespace {

bool IsDevIpv4(uint32_t a) {
  const uint32_t b0 = a >> 24, b1 = (a >> 16) & 0xff;
  return b0 == 127    // loopback 127/8
         || b0 == 0   // "this network" 0/8 (reaches local)
         || b0 == 10  // private 10/8
         || (b0 == 172 && (b1 & 0xf0) == 16)  // private 172.16/12
         || (b0 == 192 && b1 == 168)          // private 192.168/16
         || (b0 == 169 && b1 == 254);         // link-local 169.254/16
}

}  // namespace

bool IsDevHost(absl::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    internal::Ipv6Pieces p;
    if (internal::ParseIpv6(host.substr(1, host.size() - 2), &p) != nullptr) {
      return false;
    }
    bool upper_zero = true;  // pieces 0-4 all zero
    for (int i = 0; i < 5; ++i) upper_zero = upper_zero && p[i] == 0;
    if (upper_zero && p[5] == 0 && p[6] == 0 && (p[7] == 1 || p[7] == 0)) {
      return true;  // ::1 loopback, :: unspecified
    }
    if (upper_zero && p[5] == 0xffff) {  // ::ffff:a.b.c.d, IPv4-mapped
      return IsDevIpv4((uint32_t{p[6]} << 16) | p[7]);
    }
    return (p[0] & 0xfe00) == 0xfc00      // unique local fc00::/7
           || (p[0] & 0xffc0) == 0xfe80;  // link-local fe80::/10
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host == "localhost" || absl::EndsWith(host, ".localhost")) return true;
  if (internal::EndsInANumber(host)) {
    uint32_t address;
    if (internal::ParseIpv4(host, &address) == nullptr) {
      return IsDevIpv4(address);
    }
  }
  return false;
}

}  // namespace corsd::origin
