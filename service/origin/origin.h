// The origin canonicalizer: the one place that decides what an origin is.
//
// Two entry points, for two kinds of input:
//   * CheckOriginHeader: the hot path. Browsers always send the Origin header
//     already serialized, so a header value that is not byte-identical to a
//     canonical serialization did not come from a browser and never matches.
//     It answers "is this canonical?" and, if so, the parts as views into the
//     input: no allocation, no copy.
//   * CanonicalizeOrigin / CanonicalizeAdminOrigin: the full WHATWG URL parse,
//     for admin input. Any string -> the origin serialization the URL standard
//     gives for it ("null" for opaque origins), or an error naming what is
//     wrong. Percent-decoding, IDNA (UTS 46 non-transitional, via ICU's
//     uidna plus the mapping changes since ICU's Unicode version, see
//     uts46_updates.inc), IPv4 number forms, IPv6 compression, default
//     ports, whitespace rules. Agrees with every entry of WPT's
//     urltestdata.json (no base), toascii.json and IdnaTestV2.json.
//
// Both are pure functions of their input: thread-safe, no mutable global
// state (the ICU UTS 46 object is created once and only read).
#ifndef CORSD_SERVICE_ORIGIN_ORIGIN_H_
#define CORSD_SERVICE_ORIGIN_ORIGIN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::origin {

// The schemes that have tuple origins. Every other scheme has the opaque
// origin "null" (blob: takes its inner URL's origin).
enum class Scheme : uint8_t {
  kHttp = 0,
  kHttps = 1,
  kWs = 2,
  kWss = 3,
  kFtp = 4
};

// "http", "https", "ws", "wss", "ftp".
absl::string_view SchemeName(Scheme scheme);
// 80, 443, 80, 443, 21.
uint16_t DefaultPort(Scheme scheme);

// Largest Origin header value the header check accepts, in bytes.
inline constexpr size_t kMaxOriginBytes = 2048;

// A canonical origin, as views into the caller's buffer (valid while it is).
struct OriginParts {
  Scheme scheme = Scheme::kHttps;
  // Canonical host: a lowercase ASCII domain (may end in "."; IDN as
  // "xn--" labels), a dotted-decimal IPv4 address, or a bracketed compressed
  // IPv6 address ("[::1]").
  absl::string_view host;
  // The explicit port; 0 when the port is the scheme's default (omitted).
  uint16_t port = 0;
  // The whole serialization ("https://shop.example.com:8443").
  absl::string_view serialized;
};

// Outcome of CheckOriginHeader.
enum class HeaderCheck : uint8_t {
  kCanonical = 0,          // A canonical tuple origin; *parts is filled.
  kNull = 1,               // Exactly "null" (an opaque origin, R11).
  kEmpty = 2,              // The empty string.
  kTooLong = 3,            // Longer than kMaxOriginBytes.
  kUnsupportedScheme = 4,  // "scheme://..." whose scheme has no tuple origin.
  kNotCanonical = 5,       // Anything else: not byte-identical to a canonical
                           // serialization (uppercase, default port, path,
                           // userinfo, non-ASCII, bad IP form, ...).
};

// A short stable name for `check` ("canonical", "not_canonical", ...).
absl::string_view HeaderCheckName(HeaderCheck check);

// The hot path. Decides whether `value` is a canonical origin serialization,
// that is whether CanonicalizeOrigin(value) == value for a tuple origin.
// On kCanonical fills *parts with views into `value`; otherwise leaves
// *parts unspecified (`parts` must not be null). Never allocates (tested);
// O(len(value)); about 10 ns for a 30-byte origin.
// Exactly one exception to the equivalence: an explicit port 0
// ("https://a.com:0") is kNotCanonical, since no browser can send it and
// OriginParts::port cannot tell it from the default.
// A domain is canonical when it is ASCII, lowercase and free of forbidden
// domain code points: "xn--" labels are kept as written (as the URL
// standard does for ASCII input), "_" and empty labels are allowed, a
// trailing dot is kept. A numeric last label requires dotted-decimal IPv4.
// Contract checked by the fuzz target: kCanonical implies CanonicalizeOrigin
// returns exactly `value`; header_check_test checks both directions on
// mutations of canonical origins.
HeaderCheck CheckOriginHeader(absl::string_view value, OriginParts* parts);

// Full WHATWG parse of an absolute URL (or bare origin) to its origin
// serialization: "scheme://host[:port]" for tuple origins, "null" for opaque
// ones (every scheme other than http, https, ws, wss, ftp; blob: URLs take
// their inner URL's origin, "null" if that is not http(s)).
// Errors: InvalidArgument naming the part at fault and what was expected
// (e.g. `port "99999" is out of range (0-65535)`, `host "ex ample.com"
// contains forbidden code point U+0020`), for every input the URL standard
// fails to parse. Input longer than 8192 bytes or not valid UTF-8:
// InvalidArgument. A domain with a code point unassigned in ICU's Unicode
// version is refused (write its "xn--" form instead).
// Cost: canonical input is answered by the header check; the common shapes
// (tuple scheme, ASCII, IPv4-number, IPv6 or Latin-1 IDN host, optional
// port, any userinfo/path) by a fast path (canonical_fast.h) with at most
// one allocation (the result); everything else by the full WHATWG parser.
// All three give the same answers (canonical_fast_test, the fuzz target).
absl::StatusOr<std::string> CanonicalizeOrigin(absl::string_view input);

// CanonicalizeOrigin for admin writes: also refuses, with InvalidArgument
// naming the part, input that has userinfo, a path other than "" or "/", a
// query or a fragment (a mistake, or an attack: "https://a.com@evil.com"),
// and input whose origin is opaque ("null"). Also refused: an '@' with
// empty userinfo ("https://@a.com"), blob: URLs (write the inner origin),
// and an explicit port 0 (no browser can send it). The result is accepted
// by CheckOriginHeader when it is at most kMaxOriginBytes long.
absl::StatusOr<std::string> CanonicalizeAdminOrigin(absl::string_view input);

// A wildcard entry "scheme://*.domain[:port]": matches origins of `scheme`
// and `port` whose host ends in "." + domain (any deeper subdomain, on a
// label boundary), never domain itself.
struct Wildcard {
  Scheme scheme = Scheme::kHttps;
  std::string domain;  // canonical domain (IDNA applied, lowercase)
  uint16_t port = 0;   // 0 when default
  // "https://*.example.com[:port]" in canonical form.
  std::string Serialize() const;
};

// Parses an admin-written wildcard entry. InvalidArgument when it is not of
// the form scheme://*.domain[:port] with a tuple scheme, when domain is an IP
// address, or for any reason CanonicalizeAdminOrigin would refuse the
// equivalent "scheme://domain[:port]", or when domain has an empty label
// ("*..com"). Scheme and host are case-insensitive; surrounding C0/space is
// trimmed. Does not check public suffixes (the caller does, see
// table/public_suffix.h). Serialize() output parses back to itself.
absl::StatusOr<Wildcard> ParseWildcard(absl::string_view input);

// Canonicalizes a host as an API host entry or a request's Host header:
// strips an optional ":port" (1-5 digits, <= 65535; after "]" for IPv6),
// then applies the URL host parser (IDNA, IPv4/IPv6 forms, lowercase).
// InvalidArgument naming the input when it is empty, has a bad port, or is
// not a valid host. The result is a fixed point.
absl::StatusOr<std::string> CanonicalizeHost(absl::string_view input);

// True when `host` (canonical) is "localhost" or under ".localhost", a
// loopback address (127.0.0.0/8, [::1]), or a private / link-local address
// (10/8, 172.16/12, 192.168/16, 169.254/16, fc00::/7, fe80::/10). R16.
// Also: "localhost." (one trailing dot ignored), 0.0.0.0/8 and [::] (both
// reach the local machine), and IPv4-mapped IPv6 ([::ffff:a.b.c.d]) by its
// IPv4 address. False for anything that is not a canonical host.
bool IsDevHost(absl::string_view host);

}  // namespace corsd::origin

#endif  // CORSD_SERVICE_ORIGIN_ORIGIN_H_
