// The decision engine: Decide(tenant, request) -> what the gateway must do
// (continue with headers, or answer with a status), and why. It implements
// the decision rules R1-R17 of PRODUCT.md over the OriginTable (origins) and
// the PolicyRegistry (policies). Explain turns a decision into a sentence a
// person can act on; only it searches for "did you mean" candidates.
//
// Hot path contract: Decide allocates nothing (except when the request's
// Host must be fully canonicalized to find the tenant: uppercase, IDN or
// numeric IPv4 forms), takes no lock, and formats no string: header values
// are views into the request, the policy (formatted once per policy version
// by policy::Validate), the table, the Decision's own scratch buffer, or
// static constants.
//
// Decisions taken here (documented for gateways and tests):
//   * Unknown tenant (no tenant by that id, or none owns the host): a
//     preflight (OPTIONS + Origin + Access-Control-Request-Method) is answered
//     403 with the preflight Vary (R6: never forwarded), reason
//     kUnknownTenant. Then EngineOptions::unknown_host decides (corsd
//     --unknown-host): with kDeny (the default), a WebSocket handshake or a
//     non-safe method (not GET, HEAD, OPTIONS, as sent) that carries a
//     cross-site Origin is answered 403 with `Vary: Origin`, reason
//     kUnknownHostDenied, cause kR13WebsocketRefused or
//     kR14UnsafeMethodDenied (the rule the default stands in for; offending
//     the method for R14). Cross-site: any Origin header ("null" and
//     malformed values included) except the request's own origin, i.e. a
//     canonical Origin whose host[:port] equals the request's Host (ASCII
//     case ignored; the scheme is not compared, so a TLS-terminating proxy in
//     front of the gateway does not turn a page's own calls cross-site). A
//     request without Origin is not cross-site. Everything else, and
//     everything with kContinue, continues with `Vary: Origin` only, reason
//     kUnknownTenant.
//   * A tenant with no policy in the registry is decided under Policy{}.
//   * Every decision for a known tenant carries Vary (R1/R5): `Origin` on
//     actual requests (with or without an Origin header, allowed or not);
//     `Origin, Access-Control-Request-Method, Access-Control-Request-Headers`
//     on preflights, plus `Access-Control-Request-Private-Network` when the
//     request carries that header. Vary has append=true; every
//     Access-Control-* header has append=false.
//   * R8 safelisted names (accept, accept-language, content-language,
//     content-type, range): a browser lists a safelisted name in
//     Access-Control-Request-Headers only when its value is not safelisted
//     (e.g. `content-type: application/json`); corsd allows them anyway and
//     names them in Access-Control-Allow-Headers so the browser accepts.
//   * R8 with "*" in the policy and no credentials on the request: the
//     requested names are answered (normalized: lowercase, ","-joined), never
//     covering "authorization" unless the policy lists it. If the policy also
//     sets allow_credentials, the answer is the precomputed "*, <listed>,
//     <safelisted>" instead: a preflight never carries credentials, so only
//     the literal "*" lets the browser apply the wildcard to non-credentialed
//     requests alone, as the policy says.
//   * R6 refused preflight with forward_refused_preflight: kContinue with
//     the preflight Vary only, reason kR6PreflightForwarded, `cause` the
//     refusal (R2/R7/R8/R11/R12).
//   * Request.scheme is carried for the gateway's record; no rule uses it
//     (the Origin, not the request's scheme, is what CORS compares).
//   * R8 limits: more than kMaxRequestHeadersBytes bytes, more than
//     kMaxRequestHeaderNames names, a name longer than
//     kMaxRequestHeaderNameBytes, or a name that is not an HTTP token:
//     kR8HeadersMalformed, checked in one pass that stops at the first excess.
//   * R11: "null" never receives Access-Control-Allow-Credentials.
//   * R3/R4 public policy: requests without credentials get `*` whatever
//     their origin (kR3Public); a credentialed request from an entry gets
//     its exact origin (kR2*); from any other origin `*` (kR4...).
//   * R13 is enforced unless the rules set allow_cross_origin_websocket; R14
//     when they set enforce_unsafe_methods. Both apply to refused origins
//     only; a request without Origin is R1.
#ifndef CORSD_SERVICE_DECISION_ENGINE_H_
#define CORSD_SERVICE_DECISION_ENGINE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/decision/reason.h"
#include "service/origin/origin.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/origin_table.h"

namespace corsd::decision {

// What Decide does with a request no tenant owns (see the header comment).
enum class UnknownHost : uint8_t {
  // Deny WebSocket handshakes and non-safe methods with a cross-site Origin.
  kDeny = 0,
  // Continue (preflights are still answered 403), as corsd did before
  // --unknown-host existed.
  kContinue = 1,
};

// "deny" / "continue": the --unknown-host spelling.
absl::string_view UnknownHostName(UnknownHost mode);
// "deny" or "continue" (exactly, lowercase) into *out; false for anything
// else (*out untouched).
bool ParseUnknownHost(absl::string_view text, UnknownHost* out);
// abseil flag support for `ABSL_FLAG(UnknownHost, ...)` (found by ADL):
// ParseUnknownHost, with an error naming the accepted values.
bool AbslParseFlag(absl::string_view text, UnknownHost* out,
                   std::string* error);
std::string AbslUnparseFlag(UnknownHost mode);

// How an Engine decides what no policy covers. Plain value.
struct EngineOptions {
  UnknownHost unknown_host = UnknownHost::kDeny;
};

// R8 limits on Access-Control-Request-Headers.
inline constexpr size_t kMaxRequestHeadersBytes = 4096;
inline constexpr size_t kMaxRequestHeaderNames = 128;
inline constexpr size_t kMaxRequestHeaderNameBytes = 256;

// The request as the gateway sees it; mirrors corsd.v1.HttpRequest. Views
// are owned by the caller and must outlive every use of the Decision.
struct Request {
  absl::string_view method;  // exactly as sent (case-sensitive, R7)
  absl::string_view scheme;  // "http" / "https"
  absl::string_view host;    // Host / :authority, optional ":port"
  absl::string_view path;    // path with optional "?query"
  absl::string_view origin;
  bool has_origin = false;
  absl::string_view access_control_request_method;
  bool has_access_control_request_method = false;
  absl::string_view access_control_request_headers;  // repeats joined by ","
  bool has_access_control_request_headers = false;
  absl::string_view access_control_request_private_network;
  bool has_access_control_request_private_network = false;
  absl::string_view upgrade;
  absl::string_view connection;
  bool credentials = false;  // a Cookie or Authorization header is present
};

// One response header; name lowercase. append: add to an existing header of
// that name (Vary) instead of replacing it (Access-Control-*).
struct ResponseHeader {
  absl::string_view name;
  absl::string_view value;
  bool append = false;
};

inline constexpr size_t kMaxResponseHeaders = 8;

// The outcome of Decide: fixed capacity, no heap. Not copyable or movable
// (values may point into its own scratch buffer); convert it while the
// ReadGuard that covered Decide is still held.
struct Decision {
  Decision() = default;
  Decision(const Decision&) = delete;
  Decision& operator=(const Decision&) = delete;

  Action action = Action::kUnspecified;
  // 204 or 403 for kAnswer; 0 for kContinue.
  uint16_t status = 0;
  Reason reason = Reason::kUnspecified;
  // The reason behind `reason`: for kR6PreflightForwarded, kR13... and
  // kR14..., the refusal that caused it (R2/R7/R8/R11/R12); for
  // kR6PreflightAllowed, how the origin was allowed (R2/R3/R4/R11); for
  // kUnknownHostDenied, kR13WebsocketRefused or kR14UnsafeMethodDenied;
  // kUnspecified otherwise.
  Reason cause = Reason::kUnspecified;
  // The tenant decided for (kNoTenant when unknown) and its string id (a
  // view into the table; empty when unknown).
  table::TenantId tenant = table::kNoTenant;
  absl::string_view tenant_name;

  // Headers to apply, in order.
  std::array<ResponseHeader, kMaxResponseHeaders> headers{};
  uint8_t header_count = 0;
  absl::Span<const ResponseHeader> Headers() const {
    return absl::Span<const ResponseHeader>(headers.data(), header_count);
  }

  // ---- What Explain needs (views into the request or the policy) ----
  // The policy class applied (nullptr for an unknown tenant).
  const policy::CompiledRules* rules = nullptr;
  // The Origin check result when the request had an Origin.
  origin::HeaderCheck origin_check = origin::HeaderCheck::kEmpty;
  // The failing value: the header name (R8), the method (R7, R14 and
  // kUnknownHostDenied for a method), the private network value (R12);
  // empty otherwise.
  absl::string_view offending;

  // Scratch for the normalized echoed Allow-Headers value (R8 with "*").
  std::array<char, kMaxRequestHeadersBytes> scratch;
};

class Engine {
 public:
  // Both must outlive the engine and share one EpochManager. `options` is
  // fixed for the engine's life.
  Engine(const table::OriginTable* table,
         const policy::PolicyRegistry* policies, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Decides `request` for `tenant` (string id; empty: the tenant whose API
  // host is request.host, port stripped). Overwrites *out entirely.
  // The caller holds an EpochManager::ReadGuard during the call and while it
  // uses *out: its views point into the table, the policy and the request.
  // Thread-safe; lock-free; allocation-free except on the rare host
  // canonicalization path described above.
  void Decide(absl::string_view tenant, const Request& request,
              Decision* out) const;

  // A sentence for `decision` (made by Decide for the same tenant and
  // request) naming the failing header or origin and what was expected, with
  // a "did you mean" hint where a near entry of the tenant exists: the other
  // scheme, a common port, "www." added or removed, a host one edit away
  // (all by O(1) lookups), and, when the whole table holds at most 20,000
  // origins, the nearest of the tenant's entries by edit distance. Call under
  // the same ReadGuard. Allocates; ~10 us on a 1M-origin table
  // (BM_Explain). Thread-safe.
  std::string Explain(absl::string_view tenant, const Request& request,
                      const Decision& decision) const;

 private:
  // The tenant whose API host is `host` (optional ":port"); kNoTenant if none.
  table::TenantId ResolveHost(absl::string_view host) const;
  // R6-R8, R12 for a preflight whose origin verdict is known.
  void DecidePreflight(const Request& request,
                       const policy::CompiledRules& rules, bool allowed,
                       Reason origin_reason, absl::string_view allow_origin,
                       bool send_credentials, Decision* out) const;

  const table::OriginTable* const table_;
  const policy::PolicyRegistry* const policies_;
  const EngineOptions options_;
  // Used for tenants without a registered policy.
  std::unique_ptr<const policy::CompiledPolicy> default_policy_;
};

}  // namespace corsd::decision

#endif  // CORSD_SERVICE_DECISION_ENGINE_H_
