// Resolver: the DNS questions corsd's domain verifier asks (TXT records of a
// challenge name, addresses of a host before fetching an HTTP token), as an
// interface so the verifier and the HTTP prover can be given any resolver.
// The real one is CaresResolver (cares_resolver.h), over c-ares.
//
// Thread safety: implementations are safe to call from any number of threads
// at once; each call blocks its caller until answered or timed out.
#ifndef CORSD_SERVICE_DNS_RESOLVER_H_
#define CORSD_SERVICE_DNS_RESOLVER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace corsd::dns {

// Why a question got no usable answer.
enum class DnsError : uint8_t {
  kNone = 0,      // answered (values / addresses may still be empty: NODATA)
  kNxDomain = 1,  // the name does not exist
  kTimeout = 2,   // no server answered in time
  kFailure = 3,   // SERVFAIL, REFUSED, a malformed answer, no server...
};

// A TXT answer after CNAME chains were followed by the resolver: every TXT
// record of the final name, each record's character-strings concatenated
// (RFC 7208 style), in the order received.
struct TxtAnswer {
  DnsError error = DnsError::kNone;
  std::string detail;  // for kTimeout / kFailure: what the resolver said
  std::vector<std::string> values;
};

// One IPv4 or IPv6 address, network byte order.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // v4 uses bytes[0..3]
};

// "192.0.2.1" or "2001:db8::1" (no brackets).
std::string IpAddressText(const IpAddress& address);

struct AddressAnswer {
  DnsError error = DnsError::kNone;
  std::string detail;
  std::vector<IpAddress> addresses;  // A then AAAA, CNAMEs followed
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // The TXT records of `name` (a canonical host name without trailing dot).
  virtual TxtAnswer LookupTxt(absl::string_view name) = 0;
  // The A and AAAA records of `host` (IP literals are not passed here).
  virtual AddressAnswer LookupAddresses(absl::string_view host) = 0;
};

}  // namespace corsd::dns

#endif  // CORSD_SERVICE_DNS_RESOLVER_H_
