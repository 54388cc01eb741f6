#include "client/corsctl/lint.h"

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/origin/origin.h"
#include "service/table/public_suffix.h"

namespace corsd::corsctl {

namespace {

void Add(std::vector<Finding>* out, bool error, absl::string_view rule,
         absl::string_view where, std::string message) {
  out->push_back(Finding{error, std::string(rule), std::string(where),
                         std::move(message)});
}

bool Has(const google::protobuf::RepeatedPtrField<std::string>& list,
         absl::string_view item) {
  for (const std::string& s : list) {
    if (absl::EqualsIgnoreCase(s, item)) return true;
  }
  return false;
}

}  // namespace

std::vector<Finding> LintPolicy(const corsd::v1::Policy& p,
                                absl::string_view where) {
  std::vector<Finding> out;
  if (p.public_origin() && p.allow_credentials()) {
    Add(&out, true, "R4", where,
        "public_origin with allow_credentials: credentials need an exact "
        "origin, never \"*\"; drop one of them");
  }
  if (p.allow_null_origin() && p.allow_credentials()) {
    Add(&out, true, "R11", where,
        "allow_null_origin with allow_credentials: the null origin never gets "
        "credentials");
  }
  if (p.max_age_seconds() > 86400) {
    Add(&out, true, "R10", where,
        absl::StrCat("max_age_seconds ", p.max_age_seconds(),
                     " is over 86400 (Firefox's cap); corsd refuses it"));
  } else if (p.max_age_seconds() > 7200) {
    Add(&out, false, "R10", where,
        absl::StrCat("max_age_seconds ", p.max_age_seconds(),
                     " is over 7200: Chromium caps preflight caching at 7200 "
                     "s"));
  }
  if (p.allow_credentials() && Has(p.allowed_headers(), "*")) {
    Add(&out, false, "R8", where,
        "allowed_headers \"*\" does not apply to requests with credentials, "
        "which this policy allows: list the header names");
  }
  if (p.allow_credentials() && Has(p.exposed_headers(), "*")) {
    Add(&out, false, "R9", where,
        "exposed_headers \"*\" is ignored by browsers for requests with "
        "credentials: list the header names");
  }
  if (Has(p.allowed_headers(), "*") &&
      !Has(p.allowed_headers(), "authorization")) {
    Add(&out, false, "R8", where,
        "allowed_headers \"*\" never covers authorization; list it if "
        "clients send it");
  }
  if (p.allow_null_origin()) {
    Add(&out, false, "R11", where,
        "allow_null_origin lets any sandboxed iframe or file: page call this "
        "API; allow it only if that is intended");
  }
  if (p.allow_cross_origin_websocket()) {
    Add(&out, false, "R13", where,
        "allow_cross_origin_websocket lets any site open a WebSocket to this "
        "API with its users' cookies (browsers apply no CORS to WebSocket); "
        "set it only where the endpoint checks Origin itself");
  }
  if (p.production() && p.allow_dev_origins()) {
    Add(&out, false, "R16", where,
        "production tenant with allow_dev_origins: localhost and private "
        "origins are accepted");
  }
  for (const std::string& m : p.allowed_methods()) {
    if (m == "GET" || m == "HEAD" || m == "POST") {
      Add(&out, false, "R7", where,
          absl::StrCat("allowed_methods lists ", m,
                       ", which is always allowed"));
    }
  }
  for (int i = 0; i < p.routes_size(); ++i) {
    std::vector<Finding> sub = LintPolicy(
        p.routes(i).policy(), absl::StrCat(where, ".routes[", i, "] (",
                                           p.routes(i).path_prefix(), ")"));
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

void EntryLinter::Add(absl::string_view tenant, const corsd::v1::Policy* policy,
                      corsd::v1::EntryKind kind, absl::string_view value,
                      absl::string_view where, std::vector<Finding>* out) {
  std::string canonical;
  if (kind == corsd::v1::ENTRY_KIND_ORIGIN) {
    auto c = origin::CanonicalizeAdminOrigin(value);
    if (!c.ok()) {
      corsctl::Add(out, true, "R2", where,
                   absl::StrCat("origin \"", value,
                                "\" is refused: ", c.status().message()));
      return;
    }
    canonical = *std::move(c);
    if (canonical != value) {
      corsctl::Add(out, true, "R2", where,
                   absl::StrCat("origin \"", value,
                                "\" is not canonical; "
                                "browsers send \"",
                                canonical, "\": write that"));
    }
    origin::OriginParts parts;
    if (origin::CheckOriginHeader(canonical, &parts) ==
        origin::HeaderCheck::kCanonical) {
      if (policy != nullptr && policy->production() &&
          !policy->allow_dev_origins() && origin::IsDevHost(parts.host)) {
        corsctl::Add(out, true, "R16", where,
                     absl::StrCat("dev origin \"", canonical,
                                  "\" on a production tenant (localhost, "
                                  "loopback or private address)"));
      }
      if (policy != nullptr && policy->production() &&
          parts.scheme == origin::Scheme::kHttp &&
          !origin::IsDevHost(parts.host)) {
        corsctl::Add(out, false, "R2", where,
                     absl::StrCat("plaintext origin \"", canonical,
                                  "\" on a production tenant: anyone on the "
                                  "network path can act as it"));
      }
    }
    origins_[tenant].push_back(canonical);
  } else if (kind == corsd::v1::ENTRY_KIND_WILDCARD) {
    auto w = origin::ParseWildcard(value);
    if (!w.ok()) {
      corsctl::Add(out, true, "R2", where,
                   absl::StrCat("wildcard \"", value,
                                "\" is refused: ", w.status().message()));
      return;
    }
    canonical = w->Serialize();
    if (canonical != value) {
      corsctl::Add(
          out, true, "R2", where,
          absl::StrCat("wildcard \"", value, "\" is not canonical; write \"",
                       canonical, "\""));
    }
    if (table::IsPublicSuffix(w->domain)) {
      corsctl::Add(out, true, "R2", where,
                   absl::StrCat("wildcard \"", canonical,
                                "\" is over the public suffix \"", w->domain,
                                "\": it would match every site under it"));
    }
    if (policy != nullptr && policy->production() &&
        !policy->allow_dev_origins() &&
        origin::IsDevHost(absl::StrCat("x.", w->domain))) {
      corsctl::Add(out, true, "R16", where,
                   absl::StrCat("dev wildcard \"", canonical,
                                "\" on a production tenant"));
    }
    wildcards_[tenant].push_back(
        absl::StrCat(origin::SchemeName(w->scheme), "://.", w->domain,
                     w->port == 0 ? "" : absl::StrCat(":", w->port)));
  } else {
    auto h = origin::CanonicalizeHost(value);
    if (!h.ok()) {
      corsctl::Add(out, true, "R2", where,
                   absl::StrCat("API host \"", value,
                                "\" is refused: ", h.status().message()));
      return;
    }
    canonical = *std::move(h);
    if (canonical != value) {
      corsctl::Add(
          out, true, "R2", where,
          absl::StrCat("API host \"", value, "\" is not canonical; write \"",
                       canonical, "\""));
    }
  }
  uint64_t key = absl::HashOf(tenant, static_cast<int>(kind), canonical);
  if (!seen_.insert(key).second) {
    corsctl::Add(out, false, "R2", where,
                 absl::StrCat("duplicate entry \"", canonical,
                              "\" for tenant \"", tenant, "\""));
  }
}

void EntryLinter::Finish(std::vector<Finding>* out) {
  for (const auto& [tenant, patterns] : wildcards_) {
    auto it = origins_.find(tenant);
    if (it == origins_.end()) continue;
    for (const std::string& o : it->second) {
      // pattern "https://.domain[:port]": o must be "https://<sub>.domain".
      for (const std::string& pattern : patterns) {
        size_t sep = pattern.find("://.");
        absl::string_view scheme = absl::string_view(pattern).substr(0, sep);
        absl::string_view rest = absl::string_view(pattern).substr(sep + 3);
        absl::string_view ov = o;
        if (!absl::ConsumePrefix(&ov, scheme) ||
            !absl::ConsumePrefix(&ov, "://")) {
          continue;
        }
        if (absl::EndsWith(ov, rest) && ov.size() > rest.size()) {
          corsctl::Add(out, false, "R2", absl::StrCat("origin ", o),
                       absl::StrCat("tenant \"", tenant, "\": origin \"", o,
                                    "\" is already covered by the wildcard \"",
                                    scheme, "://*", rest, "\""));
          break;
        }
      }
    }
  }
}

}  // namespace corsd::corsctl
