// The tenant policy model and its validation.
//
// `Policy` mirrors corsd.v1.Policy (proto/corsd/v1/policy.proto) field for
// field, in plain C++ (no protobuf), so the core builds without gRPC.
// `Validate` turns a Policy into an immutable `CompiledPolicy`: every rule a
// writer can get wrong is refused with an error naming the field, and every
// response-header value that does not depend on the request (Allow-Methods,
// Allow-Headers, Expose-Headers, Max-Age) is formatted once, so the decision
// engine never formats a string on the hot path.
//
// Decisions taken here (PRODUCT.md rule ids):
//   * R4: public_origin together with allow_credentials is refused.
//   * R11: allow_null_origin together with allow_credentials is refused (the
//     opaque origin of sandboxed frames and file: pages must never receive
//     credentialed responses); the engine also never sends
//     Access-Control-Allow-Credentials to "null".
//   * R10: max_age_seconds > 86400 refused, > 7200 accepted with a warning.
//   * R7: allowed_methods are HTTP tokens, case-sensitive; "*" and the
//     forbidden methods CONNECT, TRACE, TRACK are refused; a method that is not
//     all uppercase but whose uppercase form is one browsers normalize
//     (delete, get, head, options, post, put) is refused (browsers would
//     send the uppercase form, so it could never match).
//   * R8: allowed_headers / exposed_headers are HTTP tokens, stored
//     lowercase; duplicates (case-insensitive) are dropped with a warning.
//   * R13: enforced unless allow_cross_origin_websocket is set (a route
//     class decides for its own paths: it does not inherit the top-level
//     value, like every other field).
//   * Routes: path_prefix starts with "/", has no "?", "#", space or control
//     character, at most 1024 bytes, no two equal; a class's own routes must
//     be empty. Only the top-level production / allow_dev_origins count.
//
// Thread safety: Policy is a plain value. A CompiledPolicy is immutable after
// Validate returns, so any number of threads may read it concurrently.
#ifndef CORSD_SERVICE_POLICY_POLICY_H_
#define CORSD_SERVICE_POLICY_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/origin/origin.h"
#include "service/policy/name_set.h"

namespace corsd::policy {

// Limits enforced by Validate (mirrored in policy.proto's comments).
inline constexpr size_t kMaxMethods = 32;
inline constexpr size_t kMaxAllowedHeaders = 128;
inline constexpr size_t kMaxExposedHeaders = 128;
inline constexpr size_t kMaxRoutes = 64;
inline constexpr size_t kMaxPathPrefixBytes = 1024;
// Longest header name or method accepted in a policy, in bytes.
inline constexpr size_t kMaxTokenBytes = 256;
// Max-Age above this is refused (Firefox's cap).
inline constexpr uint32_t kMaxAgeLimitSeconds = 86400;
// Max-Age above this is accepted with a warning (Chromium's cap).
inline constexpr uint32_t kMaxAgeWarnSeconds = 7200;

struct RouteClass;

// A tenant's CORS policy; corsd.v1.Policy in C++. See policy.proto for the
// meaning of each field. A default-constructed Policy is valid: only
// GET/HEAD/POST, safelisted headers, no credentials, exact origins only,
// WebSocket handshakes from refused origins denied (R13).
struct Policy {
  std::vector<std::string> allowed_methods;
  std::vector<std::string> allowed_headers;
  std::vector<std::string> exposed_headers;
  bool allow_credentials = false;
  uint32_t max_age_seconds = 0;
  bool public_origin = false;
  bool allow_null_origin = false;
  bool allow_private_network = false;
  // R13 off: WebSocket handshakes from refused origins continue. Unset, R13
  // is enforced (corsd.v1.Policy's deprecated enforce_websocket_origin has
  // no counterpart here: it has no effect).
  bool allow_cross_origin_websocket = false;
  bool enforce_unsafe_methods = false;
  bool forward_refused_preflight = false;
  bool production = false;
  bool allow_dev_origins = false;
  std::vector<RouteClass> routes;

  bool operator==(const Policy& other) const;

  // Hashes every field, consistent with operator== (absl::Hash<Policy>).
  template <typename H>
  friend H AbslHashValue(H h, const Policy& p) {
    return H::combine(std::move(h), p.allowed_methods, p.allowed_headers,
                      p.exposed_headers, p.allow_credentials, p.max_age_seconds,
                      p.public_origin, p.allow_null_origin,
                      p.allow_private_network, p.allow_cross_origin_websocket,
                      p.enforce_unsafe_methods, p.forward_refused_preflight,
                      p.production, p.allow_dev_origins, p.routes);
  }
};

// corsd.v1.RouteClass: requests whose path (before any "?") starts with
// path_prefix, byte for byte, use `policy` (longest prefix wins).
struct RouteClass {
  std::string path_prefix;
  Policy policy;

  bool operator==(const RouteClass& other) const = default;

  template <typename H>
  friend H AbslHashValue(H h, const RouteClass& r) {
    return H::combine(std::move(h), r.path_prefix, r.policy);
  }
};

// True when `s` is a non-empty RFC 9110 token (tchar: ALPHA DIGIT and
// !#$%&'*+-.^_`|~).
bool IsHttpToken(absl::string_view s);

// True for the CORS-safelisted request-header names of the Fetch standard
// (lowercase input): accept, accept-language, content-language, content-type,
// range. See RequestHeaderRules below for how they are treated.
bool IsSafelistedHeaderName(absl::string_view lowercase_name);

// The compiled rules of one route class (or of the policy's default class).
// Built only by Validate; immutable afterwards. Values are ready to send.
struct CompiledRules {
  // "" for the policy's default class, else the class's path_prefix.
  std::string path_prefix;

  bool allow_credentials = false;
  bool public_origin = false;
  bool allow_null_origin = false;
  bool allow_private_network = false;
  // R13 off for this class (the engine denies refused WebSocket handshakes
  // unless this is set).
  bool allow_cross_origin_websocket = false;
  bool enforce_unsafe_methods = false;
  bool forward_refused_preflight = false;

  // R7: allowed_methods as written (case-sensitive), deduplicated.
  NameSet methods;
  // R8: explicitly listed header names, lowercase, without "*".
  NameSet headers;
  // R8: the policy lists "*" (any name but authorization, for requests
  // without credentials).
  bool any_header = false;
  // The explicit header names, lowercase, in policy order, for messages.
  std::vector<std::string> header_list;

  // Access-Control-Allow-Methods: "GET, HEAD, POST" then the policy's other
  // methods in policy order, ", "-separated.
  std::string allow_methods_value;
  // Access-Control-Allow-Headers when the requested names are not echoed:
  // the explicit names in policy order, then the safelisted names not listed
  // ("x-api-key, accept, accept-language, content-language, content-type,
  // range"). With any_header and allow_credentials the value starts with "*, "
  // so browsers apply "*" to non-credentialed requests only.
  std::string allow_headers_value;
  // Access-Control-Expose-Headers (R9); empty: header omitted.
  std::string expose_headers_value;
  // Access-Control-Max-Age as decimal (R10); empty when max_age_seconds is 0.
  std::string max_age_value;

  // R7: GET, HEAD and POST, or an exact (case-sensitive) listed method.
  bool MethodAllowed(absl::string_view method) const;
  // R8: is the lowercase name explicitly listed? (Not safelist, not "*".)
  bool HeaderListed(absl::string_view lowercase_name) const;
};

// A validated, immutable policy. Create with Validate; share as const.
class CompiledPolicy {
 public:
  // The rules for a request path (path with an optional "?query"): the class
  // with the longest path_prefix that the path (before "?") starts with,
  // else the default class. Never allocates. O(number of classes).
  const CompiledRules& ForPath(absl::string_view path) const;
  // The default (top-level) class.
  const CompiledRules& defaults() const { return default_; }
  // The route classes, longest prefix first.
  const std::vector<CompiledRules>& routes() const { return routes_; }
  // The policy as written (routes in the order written).
  const Policy& source() const { return source_; }
  // Warnings for the writer (e.g. Max-Age above Chromium's 7200 s cap); each
  // names the field.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  friend absl::StatusOr<std::unique_ptr<const CompiledPolicy>> Validate(
      const Policy& policy);
  CompiledPolicy() = default;

  Policy source_;
  CompiledRules default_;
  std::vector<CompiledRules> routes_;  // sorted by prefix length, descending
  std::vector<std::string> warnings_;
};

// Validates `policy` and compiles it.
// Errors: InvalidArgument whose message starts with the field path
// ("routes[2].policy.allowed_headers[3]") and says what is wrong and what was
// expected, for: public_origin with allow_credentials (R4); allow_null_origin
// with allow_credentials (R11); a method or header name that is not an HTTP
// token, is longer than kMaxTokenBytes, or is a refused method (see above);
// max_age_seconds > 86400; more entries than the limits above; a bad,
// repeated or nested route. Warnings (accepted) are in the result's
// warnings(). Thread-safe (pure).
absl::StatusOr<std::unique_ptr<const CompiledPolicy>> Validate(
    const Policy& policy);

// R16, for origin entries on write: InvalidArgument naming the origin when
// `policy.production` is set, `policy.allow_dev_origins` is not, and the
// origin's host is a dev host (origin::IsDevHost: localhost, loopback,
// private or link-local addresses). `canonical_origin` must be canonical
// (from origin::CanonicalizeAdminOrigin); InvalidArgument if it is not.
absl::Status ValidateOriginForTenant(const Policy& policy,
                                     absl::string_view canonical_origin);
// The same for parsed origin parts.
absl::Status ValidateOriginForTenant(const Policy& policy,
                                     const origin::OriginParts& origin);
// The same for a wildcard entry ("https://*.localhost" is a dev entry).
absl::Status ValidateWildcardForTenant(const Policy& policy,
                                       const origin::Wildcard& wildcard);

}  // namespace corsd::policy

#endif  // CORSD_SERVICE_POLICY_POLICY_H_
