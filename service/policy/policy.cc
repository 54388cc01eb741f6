#include "service/policy/policy.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace corsd::policy {
namespace {

constexpr std::array<absl::string_view, 5> kSafelisted = {
    "accept", "accept-language", "content-language", "content-type", "range"};

// Methods browsers uppercase before sending (Fetch "normalize a method").
constexpr std::array<absl::string_view, 6> kNormalizedMethods = {
    "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"};

// Methods Fetch forbids: a browser never sends them.
constexpr std::array<absl::string_view, 3> kForbiddenMethods = {
    "CONNECT", "TRACE", "TRACK"};

bool IsTchar(unsigned char c) {
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// Quotes `s` for an error message, bounded so a hostile value cannot make a
// huge message.
std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 64;
  if (s.size() <= kMax) return absl::StrCat("\"", s, "\"");
  return absl::StrCat("\"", s.substr(0, kMax), "...\" (", s.size(), " bytes)");
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status CheckToken(absl::string_view field, absl::string_view value,
                        absl::string_view what) {
  if (value.size() > kMaxTokenBytes) {
    return Invalid(field,
                   absl::StrCat(what, " ", Quote(value), " is ", value.size(),
                                " bytes; expected at most ", kMaxTokenBytes));
  }
  if (!IsHttpToken(value)) {
    return Invalid(
        field, absl::StrCat(what, " ", Quote(value),
                            " is not an HTTP token (expected one or more of "
                            "letters, digits and !#$%&'*+-.^_`|~)"));
  }
  return absl::OkStatus();
}

// Compiles one class (no routes). `prefix` is "" for the default class and
// names fields as "<prefix>allowed_methods[3]".
absl::Status CompileRules(const Policy& p, absl::string_view prefix,
                          CompiledRules* out,
                          std::vector<std::string>* warnings) {
  auto field = [&](absl::string_view name) {
    return absl::StrCat(prefix, name);
  };
  auto indexed = [&](absl::string_view name, size_t i) {
    return absl::StrCat(prefix, name, "[", i, "]");
  };

  if (p.public_origin && p.allow_credentials) {
    return Invalid(field("public_origin"),
                   "public_origin cannot be combined with allow_credentials: "
                   "browsers refuse `Access-Control-Allow-Origin: *` with "
                   "credentials, and answering every origin with credentials "
                   "would let any site act as the user (R4); list the origins "
                   "instead");
  }
  if (p.allow_null_origin && p.allow_credentials) {
    return Invalid(field("allow_null_origin"),
                   "allow_null_origin cannot be combined with "
                   "allow_credentials: any sandboxed iframe or file: page "
                   "sends Origin \"null\", so credentials would be open to "
                   "every site (R11)");
  }
  if (p.max_age_seconds > kMaxAgeLimitSeconds) {
    return Invalid(field("max_age_seconds"),
                   absl::StrCat(p.max_age_seconds,
                                " is above the 86400 s browsers honor at most "
                                "(Firefox's cap); expected 0 to 86400 (R10)"));
  }
  if (p.max_age_seconds > kMaxAgeWarnSeconds) {
    warnings->push_back(absl::StrCat(
        field("max_age_seconds"), ": ", p.max_age_seconds,
        " is above Chromium's 7200 s cap; Chromium will cache preflights for "
        "7200 s only (R10)"));
  }
  if (p.allowed_methods.size() > kMaxMethods) {
    return Invalid(field("allowed_methods"),
                   absl::StrCat(p.allowed_methods.size(),
                                " entries; expected at most ", kMaxMethods));
  }
  if (p.allowed_headers.size() > kMaxAllowedHeaders) {
    return Invalid(
        field("allowed_headers"),
        absl::StrCat(p.allowed_headers.size(), " entries; expected at most ",
                     kMaxAllowedHeaders));
  }
  if (p.exposed_headers.size() > kMaxExposedHeaders) {
    return Invalid(
        field("exposed_headers"),
        absl::StrCat(p.exposed_headers.size(), " entries; expected at most ",
                     kMaxExposedHeaders));
  }

  out->allow_credentials = p.allow_credentials;
  out->public_origin = p.public_origin;
  out->allow_null_origin = p.allow_null_origin;
  out->allow_private_network = p.allow_private_network;
  out->allow_cross_origin_websocket = p.allow_cross_origin_websocket;
  out->enforce_unsafe_methods = p.enforce_unsafe_methods;
  out->forward_refused_preflight = p.forward_refused_preflight;

  // R7 methods.
  std::vector<absl::string_view> extra_methods;
  for (size_t i = 0; i < p.allowed_methods.size(); ++i) {
    const std::string& m = p.allowed_methods[i];
    const std::string f = indexed("allowed_methods", i);
    if (absl::Status s = CheckToken(f, m, "method"); !s.ok()) return s;
    if (m == "*") {
      return Invalid(f,
                     "\"*\" is not supported as a method; list the methods "
                     "(GET, HEAD and POST are always allowed)");
    }
    const std::string upper = absl::AsciiStrToUpper(m);
    for (absl::string_view forbidden : kForbiddenMethods) {
      if (upper == forbidden) {
        return Invalid(f, absl::StrCat("method ", Quote(m),
                                       " is forbidden by the Fetch standard; "
                                       "browsers never send it"));
      }
    }
    if (upper != m) {
      for (absl::string_view normalized : kNormalizedMethods) {
        if (upper == normalized) {
          return Invalid(
              f, absl::StrCat("method ", Quote(m),
                              " never matches: browsers send it as \"", upper,
                              "\" and methods compare case-sensitively (R7); "
                              "expected \"",
                              upper, "\""));
        }
      }
      warnings->push_back(absl::StrCat(
          f, ": method ", Quote(m),
          " is not uppercase; methods compare case-sensitively (R7) and "
          "browsers send it as written, so it does not allow \"",
          upper, "\""));
    }
    if (!out->methods.Insert(m)) continue;
    if (m != "GET" && m != "HEAD" && m != "POST") extra_methods.push_back(m);
  }
  out->allow_methods_value = "GET, HEAD, POST";
  for (absl::string_view m : extra_methods) {
    absl::StrAppend(&out->allow_methods_value, ", ", m);
  }

  // R8 allowed headers.
  for (size_t i = 0; i < p.allowed_headers.size(); ++i) {
    const std::string f = indexed("allowed_headers", i);
    if (absl::Status s = CheckToken(f, p.allowed_headers[i], "header name");
        !s.ok()) {
      return s;
    }
    if (p.allowed_headers[i] == "*") {
      out->any_header = true;
      continue;
    }
    std::string lower = absl::AsciiStrToLower(p.allowed_headers[i]);
    if (!out->headers.Insert(lower)) {
      warnings->push_back(absl::StrCat(f, ": header name ",
                                       Quote(p.allowed_headers[i]),
                                       " is listed twice (names compare "
                                       "case-insensitively); kept once"));
      continue;
    }
    out->header_list.push_back(std::move(lower));
  }
  if (out->any_header && p.allow_credentials) {
    out->allow_headers_value = "*";
  }
  for (const std::string& h : out->header_list) {
    if (!out->allow_headers_value.empty()) {
      out->allow_headers_value.append(", ");
    }
    out->allow_headers_value.append(h);
  }
  for (absl::string_view h : kSafelisted) {
    if (out->headers.Contains(h)) continue;
    if (!out->allow_headers_value.empty()) {
      out->allow_headers_value.append(", ");
    }
    out->allow_headers_value.append(h.data(), h.size());
  }

  // R9 exposed headers.
  absl::flat_hash_set<std::string> exposed_seen;
  for (size_t i = 0; i < p.exposed_headers.size(); ++i) {
    const std::string f = indexed("exposed_headers", i);
    if (absl::Status s = CheckToken(f, p.exposed_headers[i], "header name");
        !s.ok()) {
      return s;
    }
    std::string lower = absl::AsciiStrToLower(p.exposed_headers[i]);
    if (lower == "*" && p.allow_credentials) {
      warnings->push_back(absl::StrCat(
          f,
          ": \"*\" exposes every header to requests without credentials only; "
          "credentialed requests see only the names listed"));
    }
    if (!exposed_seen.insert(lower).second) {
      warnings->push_back(absl::StrCat(f, ": header name ",
                                       Quote(p.exposed_headers[i]),
                                       " is listed twice; kept once"));
      continue;
    }
    if (!out->expose_headers_value.empty()) {
      out->expose_headers_value.append(", ");
    }
    out->expose_headers_value.append(lower);
  }

  if (p.max_age_seconds > 0) {
    out->max_age_value = absl::StrCat(p.max_age_seconds);
  }
  return absl::OkStatus();
}

absl::Status CheckPathPrefix(absl::string_view field, absl::string_view s) {
  if (s.empty() || s[0] != '/') {
    return Invalid(field, absl::StrCat("path_prefix ", Quote(s),
                                       " must start with \"/\""));
  }
  if (s.size() > kMaxPathPrefixBytes) {
    return Invalid(
        field, absl::StrCat("path_prefix is ", s.size(),
                            " bytes; expected at most ", kMaxPathPrefixBytes));
  }
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '?' || c == '#') {
      return Invalid(field,
                     absl::StrCat("path_prefix ", Quote(s),
                                  " contains a space, control character, "
                                  "\"?\" or \"#\"; expected a path only"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool Policy::operator==(const Policy& o) const {
  return allowed_methods == o.allowed_methods &&
         allowed_headers == o.allowed_headers &&
         exposed_headers == o.exposed_headers &&
         allow_credentials == o.allow_credentials &&
         max_age_seconds == o.max_age_seconds &&
         public_origin == o.public_origin &&
         allow_null_origin == o.allow_null_origin &&
         allow_private_network == o.allow_private_network &&
         allow_cross_origin_websocket == o.allow_cross_origin_websocket &&
         enforce_unsafe_methods == o.enforce_unsafe_methods &&
         forward_refused_preflight == o.forward_refused_preflight &&
         production == o.production &&
         allow_dev_origins == o.allow_dev_origins && routes == o.routes;
}

bool IsHttpToken(absl::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!IsTchar(c)) return false;
  }
  return true;
}

bool IsSafelistedHeaderName(absl::string_view lowercase_name) {
  // By length first: the hot path asks this for every requested name.
  switch (lowercase_name.size()) {
    case 5:
      return lowercase_name == "range";
    case 6:
      return lowercase_name == "accept";
    case 12:
      return lowercase_name == "content-type";
    case 15:
      return lowercase_name == "accept-language";
    case 16:
      return lowercase_name == "content-language";
    default:
      return false;
  }
}

bool CompiledRules::MethodAllowed(absl::string_view method) const {
  if (method == "GET" || method == "HEAD" || method == "POST") return true;
  return methods.Contains(method);
}

bool CompiledRules::HeaderListed(absl::string_view lowercase_name) const {
  return headers.Contains(lowercase_name);
}

const CompiledRules& CompiledPolicy::ForPath(absl::string_view path) const {
  const size_t q = path.find('?');
  if (q != absl::string_view::npos) path = path.substr(0, q);
  for (const CompiledRules& r : routes_) {
    if (path.size() >= r.path_prefix.size() &&
        path.compare(0, r.path_prefix.size(), r.path_prefix) == 0) {
      return r;
    }
  }
  return default_;
}

absl::StatusOr<std::unique_ptr<const CompiledPolicy>> Validate(
    const Policy& policy) {
  std::unique_ptr<CompiledPolicy> out(new CompiledPolicy());
  if (absl::Status s =
          CompileRules(policy, "", &out->default_, &out->warnings_);
      !s.ok()) {
    return s;
  }
  if (policy.routes.size() > kMaxRoutes) {
    return Invalid("routes",
                   absl::StrCat(policy.routes.size(),
                                " classes; expected at most ", kMaxRoutes));
  }
  absl::flat_hash_set<absl::string_view> prefixes;
  for (size_t i = 0; i < policy.routes.size(); ++i) {
    const RouteClass& rc = policy.routes[i];
    const std::string base = absl::StrCat("routes[", i, "].");
    if (absl::Status s =
            CheckPathPrefix(absl::StrCat(base, "path_prefix"), rc.path_prefix);
        !s.ok()) {
      return s;
    }
    if (!prefixes.insert(rc.path_prefix).second) {
      return Invalid(absl::StrCat(base, "path_prefix"),
                     absl::StrCat("path_prefix ", Quote(rc.path_prefix),
                                  " repeats an earlier class; expected each "
                                  "prefix once"));
    }
    if (!rc.policy.routes.empty()) {
      return Invalid(absl::StrCat(base, "policy.routes"),
                     "a route class cannot have its own routes (nested "
                     "routes are refused); expected it empty");
    }
    if (rc.policy.production != policy.production ||
        rc.policy.allow_dev_origins != policy.allow_dev_origins) {
      out->warnings_.push_back(absl::StrCat(
          base,
          "policy: production and allow_dev_origins are tenant-wide; only "
          "the top-level values count"));
    }
    CompiledRules rules;
    rules.path_prefix = rc.path_prefix;
    if (absl::Status s = CompileRules(rc.policy, absl::StrCat(base, "policy."),
                                      &rules, &out->warnings_);
        !s.ok()) {
      return s;
    }
    out->routes_.push_back(std::move(rules));
  }
  std::stable_sort(out->routes_.begin(), out->routes_.end(),
                   [](const CompiledRules& a, const CompiledRules& b) {
                     return a.path_prefix.size() > b.path_prefix.size();
                   });
  out->source_ = policy;
  return std::unique_ptr<const CompiledPolicy>(std::move(out));
}

namespace {

absl::Status DevRefused(const Policy& policy, absl::string_view host,
                        absl::string_view value) {
  if (!policy.production || policy.allow_dev_origins) return absl::OkStatus();
  if (!origin::IsDevHost(host)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "origin ", Quote(value), ": host ", Quote(host),
      " is localhost, loopback or a private address, refused on a production "
      "tenant (R16); set allow_dev_origins to allow it"));
}

}  // namespace

absl::Status ValidateOriginForTenant(const Policy& policy,
                                     absl::string_view canonical_origin) {
  origin::OriginParts parts;
  if (origin::CheckOriginHeader(canonical_origin, &parts) !=
      origin::HeaderCheck::kCanonical) {
    return absl::InvalidArgumentError(
        absl::StrCat("origin ", Quote(canonical_origin),
                     " is not a canonical tuple origin; expected the output "
                     "of origin::CanonicalizeAdminOrigin"));
  }
  return DevRefused(policy, parts.host, canonical_origin);
}

absl::Status ValidateOriginForTenant(const Policy& policy,
                                     const origin::OriginParts& origin) {
  return DevRefused(policy, origin.host, origin.serialized);
}

absl::Status ValidateWildcardForTenant(const Policy& policy,
                                       const origin::Wildcard& wildcard) {
  return DevRefused(policy, wildcard.domain, wildcard.Serialize());
}

}  // namespace corsd::policy
