// Custom domain names: what a tenant may claim as its own host. A custom
// domain is a DNS host name the SaaS will route, answer browsers for and get
// a certificate for, so it is held to more than the URL host parser's rules.
//
// Pure functions; thread-safe.
#ifndef CORSD_SERVICE_DOMAIN_DOMAIN_NAME_H_
#define CORSD_SERVICE_DOMAIN_DOMAIN_NAME_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::domain {

inline constexpr size_t kMaxDomainBytes = 253;  // RFC 1035, without the dot
inline constexpr size_t kMaxLabelBytes = 63;

struct DomainName {
  // The canonical form stored and compared: "shop.customer.com", or
  // "*.customer.com" for a wildcard.
  std::string host;
  // For a wildcard, the host it sits under ("customer.com"); else == host.
  std::string parent;
  bool wildcard = false;
};

// Validates and canonicalizes a custom domain as written by an admin:
// surrounding spaces trimmed, one trailing dot dropped, IDNA (UTS #46, as
// the URL standard's host parser: "Bücher.DE" -> "xn--bcher-kva.de"), a
// leading "*." making it a wildcard over its parent. InvalidArgument whose
// message names the value and what was expected, when it: is empty; has a
// scheme, port, path or any of ":/?#@[]" ; is an IP literal (IPv4 in any URL
// form, IPv6); is not a valid IDNA host; has a label outside letters,
// digits and inner hyphens (host names, RFC 1123); is over kMaxDomainBytes
// bytes or has a label over kMaxLabelBytes (after IDNA); is a public suffix
// ("co.uk", "github.io") or a single label; is a wildcard over a public
// suffix ("*.com"), or has "*" anywhere but as the whole first label.
absl::StatusOr<DomainName> ParseDomainName(absl::string_view input);

// For /ask: the canonical host of `input` (a request's SNI name, as Caddy
// sends it) in the form ParseDomainName produces, without the public-suffix
// and wildcard checks (a lookup, not a claim). InvalidArgument as above.
absl::StatusOr<std::string> CanonicalizeAskedHost(absl::string_view input);

// The wildcard form covering `host` ("a.b.c" -> "*.b.c"); "" when `host`
// has fewer than three labels (a wildcard over a public suffix or a single
// label is never stored).
std::string CoveringWildcard(absl::string_view host);

}  // namespace corsd::domain

#endif  // CORSD_SERVICE_DOMAIN_DOMAIN_NAME_H_
