// Engine::Decide: rules R1-R14 on the hot path. Explain lives in explain.cc.
#include "service/decision/engine.h"

#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/decision/request_headers.h"

namespace corsd::decision {
namespace {

constexpr absl::string_view kAllowOrigin = "access-control-allow-origin";
constexpr absl::string_view kAllowCredentials =
    "access-control-allow-credentials";
constexpr absl::string_view kAllowMethods = "access-control-allow-methods";
constexpr absl::string_view kAllowHeaders = "access-control-allow-headers";
constexpr absl::string_view kMaxAge = "access-control-max-age";
constexpr absl::string_view kAllowPrivateNetwork =
    "access-control-allow-private-network";
constexpr absl::string_view kExposeHeaders = "access-control-expose-headers";
constexpr absl::string_view kVary = "vary";

constexpr absl::string_view kVaryActual = "Origin";
constexpr absl::string_view kVaryPreflight =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
constexpr absl::string_view kVaryPreflightPrivateNetwork =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network";

constexpr HeaderListLimits kHeaderLimits = {kMaxRequestHeadersBytes,
                                            kMaxRequestHeaderNames,
                                            kMaxRequestHeaderNameBytes};

void Add(Decision* d, absl::string_view name, absl::string_view value,
         bool append = false) {
  // kMaxResponseHeaders bounds every path below (at most 7 headers are added
  // by the longest one, the allowed preflight). Fields are assigned one by
  // one: building a ResponseHeader temporary made GCC store two 8-byte halves
  // and reload them as 16 bytes, a store-forwarding stall per header.
  ResponseHeader& h = d->headers[d->header_count];
  h.name = name;
  h.value = value;
  h.append = append;
  ++d->header_count;
}

void Reset(Decision* d) {
  d->action = Action::kUnspecified;
  d->status = 0;
  d->reason = Reason::kUnspecified;
  d->cause = Reason::kUnspecified;
  d->tenant = table::kNoTenant;
  d->tenant_name = {};
  d->header_count = 0;
  d->rules = nullptr;
  d->origin_check = origin::HeaderCheck::kEmpty;
  d->offending = {};
}

absl::string_view PreflightVary(const Request& r) {
  return r.has_access_control_request_private_network
             ? kVaryPreflightPrivateNetwork
             : kVaryPreflight;
}

// Does the comma list `list` contain `token`, compared case-insensitively
// with surrounding spaces and tabs ignored?
bool ListHasToken(absl::string_view list, absl::string_view token) {
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == absl::string_view::npos) j = list.size();
    absl::string_view item = list.substr(i, j - i);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (absl::EqualsIgnoreCase(item, token)) return true;
    i = j + 1;
  }
  return false;
}

bool IsWebSocket(const Request& r) {
  return !r.upgrade.empty() && ListHasToken(r.upgrade, "websocket") &&
         ListHasToken(r.connection, "upgrade");
}

// R14: GET, HEAD and OPTIONS are the safe methods (case-sensitive, as sent).
bool IsSafeMethod(absl::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS";
}

// A request no tenant owns is cross-site unless its Origin is the request's
// own (engine.h): a canonical Origin whose host[:port] is the Host, ASCII
// case ignored. The scheme is deliberately not compared.
bool IsOwnOrigin(const Request& r) {
  origin::OriginParts parts;
  if (origin::CheckOriginHeader(r.origin, &parts) !=
      origin::HeaderCheck::kCanonical) {
    return false;
  }
  const size_t sep = r.origin.find("://");
  return sep != absl::string_view::npos && !r.host.empty() &&
         absl::EqualsIgnoreCase(r.origin.substr(sep + 3), r.host);
}

bool IsAllowedReason(Reason r) {
  return r == Reason::kR2OriginAllowed || r == Reason::kR2WildcardAllowed ||
         r == Reason::kR11NullOriginAllowed;
}

// True when `host` (port stripped) could canonicalize to something other
// than itself: anything but [a-z0-9.-], or a last label that starts with a
// digit (an IPv4 number form such as "127.1" or "0x7f.1").
bool MayNeedCanonicalization(absl::string_view host) {
  for (char c : host) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' ||
          c == '-')) {
      return true;
    }
  }
  absl::string_view h = host;
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  const size_t dot = h.rfind('.');
  const absl::string_view last =
      dot == absl::string_view::npos ? h : h.substr(dot + 1);
  return !last.empty() && absl::ascii_isdigit(last.front());
}

}  // namespace

absl::string_view UnknownHostName(UnknownHost mode) {
  return mode == UnknownHost::kContinue ? "continue" : "deny";
}

bool ParseUnknownHost(absl::string_view text, UnknownHost* out) {
  if (text == "deny") {
    *out = UnknownHost::kDeny;
    return true;
  }
  if (text == "continue") {
    *out = UnknownHost::kContinue;
    return true;
  }
  return false;
}

bool AbslParseFlag(absl::string_view text, UnknownHost* out,
                   std::string* error) {
  if (ParseUnknownHost(text, out)) return true;
  *error = "expected \"deny\" or \"continue\"";
  return false;
}

std::string AbslUnparseFlag(UnknownHost mode) {
  return std::string(UnknownHostName(mode));
}

Engine::Engine(const table::OriginTable* table,
               const policy::PolicyRegistry* policies, EngineOptions options)
    : table_(table), policies_(policies), options_(options) {
  // Policy{} is valid by construction (policy_test checks it).
  default_policy_ = std::move(policy::Validate(policy::Policy{})).value();
}

Engine::~Engine() = default;

table::TenantId Engine::ResolveHost(absl::string_view host) const {
  absl::string_view h = host;
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    if (close != absl::string_view::npos) h = h.substr(0, close + 1);
  } else {
    const size_t colon = h.find(':');
    if (colon != absl::string_view::npos) h = h.substr(0, colon);
  }
  if (h.empty()) return table::kNoTenant;
  const table::TenantId id = table_->FindApiHost(h);
  if (id != table::kNoTenant || !MayNeedCanonicalization(h)) return id;
  // Rare path (uppercase, IDN, numeric IPv4 forms, IPv6): allocates.
  absl::StatusOr<std::string> canonical = origin::CanonicalizeHost(host);
  if (!canonical.ok() || *canonical == h) return table::kNoTenant;
  return table_->FindApiHost(*canonical);
}

void Engine::Decide(absl::string_view tenant, const Request& req,
                    Decision* out) const {
  Reset(out);
  const bool preflight = req.method == "OPTIONS" && req.has_origin &&
                         req.has_access_control_request_method;

  const table::TenantId id =
      tenant.empty() ? ResolveHost(req.host) : table_->FindTenant(tenant);
  if (id == table::kNoTenant) {
    out->reason = Reason::kUnknownTenant;
    if (preflight) {
      out->action = Action::kAnswer;
      out->status = 403;
      Add(out, kVary, PreflightVary(req), true);
      return;
    }
    out->action = Action::kContinue;
    if (options_.unknown_host == UnknownHost::kDeny && req.has_origin) {
      // The --unknown-host default: R13 / R14 with no policy to refine them.
      const bool websocket = IsWebSocket(req);
      if ((websocket || !IsSafeMethod(req.method)) && !IsOwnOrigin(req)) {
        out->action = Action::kAnswer;
        out->status = 403;
        out->reason = Reason::kUnknownHostDenied;
        if (websocket) {
          out->cause = Reason::kR13WebsocketRefused;
        } else {
          out->cause = Reason::kR14UnsafeMethodDenied;
          out->offending = req.method;
        }
      }
    }
    Add(out, kVary, kVaryActual, true);
    return;
  }
  out->tenant = id;
  out->tenant_name = table_->TenantName(id);
  const policy::CompiledPolicy* p = policies_->Find(id);
  if (p == nullptr) p = default_policy_.get();
  const policy::CompiledRules& rules = p->ForPath(req.path);
  out->rules = &rules;

  // R1: not a CORS request; the answer still depends on Origin (R5).
  if (!req.has_origin) {
    out->action = Action::kContinue;
    out->reason = Reason::kR1NoOrigin;
    Add(out, kVary, kVaryActual, true);
    return;
  }

  // R2 / R11: is the origin allowed?
  origin::OriginParts parts;
  const origin::HeaderCheck check =
      origin::CheckOriginHeader(req.origin, &parts);
  out->origin_check = check;
  Reason origin_reason;
  switch (check) {
    case origin::HeaderCheck::kCanonical:
      switch (table_->Lookup(id, parts)) {
        case table::Match::kExact:
          origin_reason = Reason::kR2OriginAllowed;
          break;
        case table::Match::kWildcard:
          origin_reason = Reason::kR2WildcardAllowed;
          break;
        default:
          origin_reason = Reason::kR2OriginNotAllowed;
          break;
      }
      break;
    case origin::HeaderCheck::kNull:
      origin_reason = rules.allow_null_origin ? Reason::kR11NullOriginAllowed
                                              : Reason::kR11NullOriginRefused;
      break;
    default:
      origin_reason = Reason::kR2OriginNotCanonical;
      break;
  }
  bool allowed = IsAllowedReason(origin_reason);
  // R3 / R4: a public policy answers "*" to requests without credentials,
  // and to credentialed ones from origins that are not entries.
  bool star = false;
  Reason reason = origin_reason;
  if (rules.public_origin) {
    if (!req.credentials) {
      star = true;
      reason = Reason::kR3Public;
    } else if (!allowed) {
      star = true;
      reason = Reason::kR4CredentialsNotAllowed;
    }
    allowed = true;
  }
  const absl::string_view allow_origin = star ? "*" : req.origin;
  // R4 / R11: credentials only with an exact origin, never to "null".
  const bool send_credentials =
      rules.allow_credentials && !star && check != origin::HeaderCheck::kNull;

  if (preflight) {
    DecidePreflight(req, rules, allowed, reason, allow_origin, send_credentials,
                    out);
    return;
  }

  if (allowed) {
    // R3 / R9 / R15: the gateway adds these to whatever the upstream answers.
    out->action = Action::kContinue;
    out->reason = reason;
    Add(out, kAllowOrigin, allow_origin);
    if (send_credentials) Add(out, kAllowCredentials, "true");
    if (!rules.expose_headers_value.empty()) {
      Add(out, kExposeHeaders, rules.expose_headers_value);
    }
    Add(out, kVary, kVaryActual, true);
    return;
  }
  // Refused origin: no CORS headers; R13 / R14 deny before the upstream.
  out->reason = reason;
  if (!rules.allow_cross_origin_websocket && IsWebSocket(req)) {
    out->action = Action::kAnswer;
    out->status = 403;
    out->cause = reason;
    out->reason = Reason::kR13WebsocketRefused;
  } else if (rules.enforce_unsafe_methods && !IsSafeMethod(req.method)) {
    out->action = Action::kAnswer;
    out->status = 403;
    out->cause = reason;
    out->reason = Reason::kR14UnsafeMethodDenied;
    out->offending = req.method;
  } else {
    out->action = Action::kContinue;
  }
  Add(out, kVary, kVaryActual, true);
}

void Engine::DecidePreflight(const Request& req,
                             const policy::CompiledRules& rules, bool allowed,
                             Reason origin_reason,
                             absl::string_view allow_origin,
                             bool send_credentials, Decision* out) const {
  Reason refusal = Reason::kUnspecified;
  HeaderListResult headers;
  const bool echo =
      rules.any_header && !rules.allow_credentials && !req.credentials;
  const bool private_network =
      req.has_access_control_request_private_network &&
      req.access_control_request_private_network == "true";
  if (!allowed) {
    refusal = origin_reason;
  } else if (!policy::IsHttpToken(req.access_control_request_method) ||
             !rules.MethodAllowed(req.access_control_request_method)) {
    refusal = Reason::kR7MethodNotAllowed;
    out->offending = req.access_control_request_method;
  } else if (req.has_access_control_request_headers &&
             (headers = CheckRequestHeaders(req.access_control_request_headers,
                                            rules, req.credentials, echo,
                                            kHeaderLimits, out->scratch.data()))
                     .status != HeaderListStatus::kOk) {
    refusal = headers.status == HeaderListStatus::kNotAllowed
                  ? Reason::kR8HeaderNotAllowed
                  : Reason::kR8HeadersMalformed;
    out->offending = headers.offending;
  } else if (private_network && !rules.allow_private_network) {
    refusal = Reason::kR12PrivateNetworkRefused;
    out->offending = req.access_control_request_private_network;
  }

  if (refusal != Reason::kUnspecified) {
    // R6: refused preflights get Vary and no CORS headers.
    out->cause = refusal;
    if (rules.forward_refused_preflight) {
      out->action = Action::kContinue;
      out->reason = Reason::kR6PreflightForwarded;
    } else {
      out->action = Action::kAnswer;
      out->status = 403;
      out->reason = refusal;
    }
    Add(out, kVary, PreflightVary(req), true);
    return;
  }

  // R6: allowed preflight, answered 204 by the gateway.
  out->action = Action::kAnswer;
  out->status = 204;
  out->reason = Reason::kR6PreflightAllowed;
  out->cause = origin_reason;
  Add(out, kAllowOrigin, allow_origin);
  if (send_credentials) Add(out, kAllowCredentials, "true");
  Add(out, kAllowMethods, rules.allow_methods_value);
  if (echo) {
    if (!headers.echo.empty()) Add(out, kAllowHeaders, headers.echo);
  } else {
    Add(out, kAllowHeaders, rules.allow_headers_value);
  }
  if (!rules.max_age_value.empty()) Add(out, kMaxAge, rules.max_age_value);
  if (private_network) Add(out, kAllowPrivateNetwork, "true");
  Add(out, kVary, PreflightVary(req), true);
}

}  // namespace corsd::decision
