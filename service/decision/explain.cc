// Engine::Explain: the sentence a person can act on (R17), with the "did you
// mean" search. Off the hot path: allocates freely, bounded work.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/decision/engine.h"
#include "service/decision/request_headers.h"

namespace corsd::decision {
namespace {

// How many of the tenant's entries the edit-distance search reads at most.
constexpr size_t kMaxScannedEntries = 2000;
// The scan over the tenant's entries (OriginTable::ListEntries walks the
// whole table under the writer lock) runs only when the table holds at most
// this many origins; bigger tables get the lookup-based hints only.
constexpr uint64_t kMaxOriginsForScan = 20000;
// Bytes of the host alphabet tried by the one-edit search.
constexpr absl::string_view kHostAlphabet =
    "abcdefghijklmnopqrstuvwxyz0123456789-.";
// Largest edit distance offered as "did you mean".
constexpr size_t kMaxDistance = 3;

std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 128;
  if (s.size() <= kMax) return absl::StrCat("\"", s, "\"");
  return absl::StrCat("\"", s.substr(0, kMax), "...\" (", s.size(), " bytes)");
}

// Levenshtein distance, giving up (returning limit + 1) past `limit`.
size_t EditDistance(absl::string_view a, absl::string_view b, size_t limit) {
  const size_t diff =
      a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > limit) return limit + 1;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

bool IsEntry(const table::OriginTable& table, table::TenantId id,
             absl::string_view candidate) {
  origin::OriginParts parts;
  return origin::CheckOriginHeader(candidate, &parts) ==
             origin::HeaderCheck::kCanonical &&
         table.Lookup(id, parts) != table::Match::kNone;
}

// Near variants of a canonical origin that people confuse: the other scheme,
// the default or a common development port, with or without "www.". Same
// host first.
std::vector<std::string> Variants(const origin::OriginParts& p) {
  std::vector<std::string> out;
  const absl::string_view scheme = origin::SchemeName(p.scheme);
  const std::string port = p.port == 0 ? "" : absl::StrCat(":", p.port);
  std::vector<std::string> schemes = {std::string(scheme)};
  if (scheme == "http") schemes.push_back("https");
  if (scheme == "https") schemes.push_back("http");
  std::vector<std::string> hosts = {std::string(p.host)};
  if (absl::StartsWith(p.host, "www.")) {
    hosts.push_back(std::string(p.host.substr(4)));
  } else {
    hosts.push_back(absl::StrCat("www.", p.host));
  }
  for (const std::string& s : schemes) {
    for (const std::string& h : hosts) {
      for (const std::string& pt :
           {port, std::string(), std::string(":8443"), std::string(":8080"),
            std::string(":3000"), std::string(":8000"), std::string(":5173"),
            std::string(":4200")}) {
        std::string v = absl::StrCat(s, "://", h, pt);
        if (v != p.serialized) out.push_back(std::move(v));
      }
    }
  }
  return out;
}

// An entry of the tenant whose host is one edit (delete, transpose,
// substitute or insert one byte of kHostAlphabet) away from the origin's
// host, same scheme and port; "" if none. Lookups only: ~2,400 candidates
// for a 30-byte host, independent of the table's size.
std::string OneEditEntry(const table::OriginTable& table, table::TenantId id,
                         const origin::OriginParts& p) {
  const std::string prefix = absl::StrCat(origin::SchemeName(p.scheme), "://");
  const std::string suffix = p.port == 0 ? "" : absl::StrCat(":", p.port);
  const std::string host(p.host);
  std::string cand;
  auto found = [&](absl::string_view h) {
    cand.assign(prefix);
    cand.append(h.data(), h.size());
    cand.append(suffix);
    return IsEntry(table, id, cand);
  };
  std::string h;
  for (size_t i = 0; i < host.size(); ++i) {
    h = host;
    h.erase(i, 1);
    if (found(h)) return cand;
    if (i + 1 < host.size()) {
      h = host;
      std::swap(h[i], h[i + 1]);
      if (found(h)) return cand;
    }
  }
  for (size_t i = 0; i <= host.size(); ++i) {
    for (char c : kHostAlphabet) {
      if (i < host.size() && host[i] != c) {
        h = host;
        h[i] = c;
        if (found(h)) return cand;
      }
      h = host;
      h.insert(h.begin() + i, c);
      if (found(h)) return cand;
    }
  }
  return "";
}

// Why the origin was refused, with a "did you mean" hint where a near entry
// of the tenant exists.
std::string OriginSentence(const table::OriginTable& table, table::TenantId id,
                           absl::string_view tenant_name, const Request& req,
                           const Decision& d) {
  const std::string quoted = Quote(req.origin);
  switch (d.origin_check) {
    case origin::HeaderCheck::kNull:
      return absl::StrCat(
          "origin \"null\" (a sandboxed frame, file: page or "
          "opaque redirect) is refused: the policy does not "
          "set allow_null_origin (R11)");
    case origin::HeaderCheck::kCanonical:
      break;
    default: {
      std::string s = absl::StrCat(
          "origin ", quoted, " is not a canonical origin (",
          origin::HeaderCheckName(d.origin_check),
          "); browsers send the Origin header canonical, so it never matches");
      absl::StatusOr<std::string> c = origin::CanonicalizeOrigin(req.origin);
      if (c.ok() && *c != req.origin && *c != "null") {
        absl::StrAppend(
            &s, " (its canonical form is ", Quote(*c),
            IsEntry(table, id, *c) ? ", an entry of the tenant" : "", ")");
      }
      return s;
    }
  }
  std::string s = absl::StrCat(
      "origin ", quoted, " is not an origin of tenant ", Quote(tenant_name));
  origin::OriginParts parts;
  origin::CheckOriginHeader(req.origin, &parts);
  std::string hint;
  for (const std::string& v : Variants(parts)) {
    if (IsEntry(table, id, v)) {
      hint = v;
      break;
    }
  }
  if (hint.empty()) hint = OneEditEntry(table, id, parts);
  if (hint.empty() && table.Stats().origins <= kMaxOriginsForScan) {
    size_t best = kMaxDistance + 1;
    std::vector<std::string> entries = table.ListEntries(
        tenant_name, table::Op::Kind::kAddOrigin, "", kMaxScannedEntries);
    for (const std::string& e : entries) {
      origin::OriginParts ep;
      if (origin::CheckOriginHeader(e, &ep) !=
          origin::HeaderCheck::kCanonical) {
        continue;
      }
      size_t dist;
      if (ep.host == parts.host) {
        dist = 0;  // same host, other scheme or port: the likeliest mistake
      } else if (absl::EndsWith(ep.host, absl::StrCat(".", parts.host)) ||
                 absl::EndsWith(parts.host, absl::StrCat(".", ep.host))) {
        dist = 1;  // same site, one subdomain more or less
      } else {
        dist = EditDistance(req.origin, e, kMaxDistance);
      }
      if (dist < best) {
        best = dist;
        hint = e;
      }
    }
  }
  if (!hint.empty()) absl::StrAppend(&s, " (did you mean ", Quote(hint), "?)");
  return s;
}

std::string HeaderSentence(const Request& req, const Decision& d) {
  const policy::CompiledRules& rules = *d.rules;
  const std::string name = absl::AsciiStrToLower(d.offending);
  std::vector<std::string> allowed = rules.header_list;
  if (rules.any_header) allowed.insert(allowed.begin(), "*");
  std::string s =
      absl::StrCat("header ", Quote(name), " is not allowed; allowed: ",
                   allowed.empty() ? "only the CORS-safelisted names"
                                   : absl::StrJoin(allowed, ", "));
  if (rules.any_header) {
    if (name == "authorization") {
      absl::StrAppend(&s,
                      " (\"*\" never covers authorization; list it in "
                      "allowed_headers)");
    } else if (req.credentials) {
      absl::StrAppend(&s, " (\"*\" covers requests without credentials only)");
    }
  }
  return s;
}

std::string MalformedSentence(const Request& req, const Decision& d) {
  const HeaderListResult r = CheckRequestHeaders(
      req.access_control_request_headers, *d.rules, req.credentials,
      /*echo=*/false,
      {kMaxRequestHeadersBytes, kMaxRequestHeaderNames,
       kMaxRequestHeaderNameBytes},
      nullptr);
  const std::string field = "Access-Control-Request-Headers";
  switch (r.status) {
    case HeaderListStatus::kTooLong:
      return absl::StrCat(field, " is ",
                          req.access_control_request_headers.size(),
                          " bytes; expected at most ", kMaxRequestHeadersBytes);
    case HeaderListStatus::kTooMany:
      return absl::StrCat(field, " lists more than ", kMaxRequestHeaderNames,
                          " names; expected at most ", kMaxRequestHeaderNames);
    case HeaderListStatus::kNameTooLong:
      return absl::StrCat(field, " has a name of ", r.offending.size(),
                          " bytes; expected at most ",
                          kMaxRequestHeaderNameBytes);
    case HeaderListStatus::kNotToken:
      return absl::StrCat(field, " item ", Quote(r.offending),
                          " is not a header name (expected an HTTP token)");
    default:
      return absl::StrCat(field, " is malformed");
  }
}

}  // namespace

std::string Engine::Explain(absl::string_view tenant, const Request& req,
                            const Decision& d) const {
  if (d.reason == Reason::kUnknownTenant ||
      d.reason == Reason::kUnknownHostDenied || d.rules == nullptr) {
    std::string s =
        tenant.empty()
            ? absl::StrCat("no tenant has the API host ", Quote(req.host),
                           "; pass the tenant or add the host to a tenant")
            : absl::StrCat("tenant ", Quote(tenant), " is unknown");
    if (d.reason == Reason::kUnknownHostDenied) {
      absl::StrAppend(
          &s, "; ",
          d.cause == Reason::kR13WebsocketRefused
              ? std::string("WebSocket handshake")
              : absl::StrCat("method ", Quote(d.offending)),
          " from the cross-site origin ", Quote(req.origin),
          " denied (403) because corsd runs with --unknown-host=deny (",
          RuleOf(d.cause),
          " for requests no tenant owns); --unknown-host=continue lets it "
          "through");
    }
    return s;
  }
  const policy::CompiledRules& rules = *d.rules;
  const std::string tname(d.tenant_name);
  const std::string route =
      rules.path_prefix.empty()
          ? std::string()
          : absl::StrCat(" (route class ", Quote(rules.path_prefix), ")");
  auto refusal = [&](Reason r) -> std::string {
    switch (r) {
      case Reason::kR2OriginNotAllowed:
      case Reason::kR2OriginNotCanonical:
      case Reason::kR11NullOriginRefused:
        return OriginSentence(*table_, d.tenant, tname, req, d);
      case Reason::kR7MethodNotAllowed: {
        std::string s = absl::StrCat(
            "method ", Quote(d.offending),
            " is not allowed (methods compare case-sensitively); allowed: ",
            rules.allow_methods_value);
        const std::string upper = absl::AsciiStrToUpper(d.offending);
        if (upper != d.offending && rules.MethodAllowed(upper)) {
          absl::StrAppend(&s, " (did you mean ", Quote(upper), "?)");
        }
        return s;
      }
      case Reason::kR8HeaderNotAllowed:
        return HeaderSentence(req, d);
      case Reason::kR8HeadersMalformed:
        return MalformedSentence(req, d);
      case Reason::kR12PrivateNetworkRefused:
        return absl::StrCat(
            "Access-Control-Request-Private-Network ", Quote(d.offending),
            " asks for private network access; the policy does not set "
            "allow_private_network (R12)");
      default:
        return std::string(ReasonName(r));
    }
  };
  std::string s;
  switch (d.reason) {
    case Reason::kR1NoOrigin:
      s = "no Origin header: not a CORS request; no CORS headers added, "
          "Vary: Origin kept (R1)";
      break;
    case Reason::kR2OriginAllowed:
      s = absl::StrCat("origin ", Quote(req.origin), " is an origin of tenant ",
                       Quote(tname));
      break;
    case Reason::kR2WildcardAllowed:
      s = absl::StrCat("origin ", Quote(req.origin),
                       " matches a wildcard entry of tenant ", Quote(tname));
      break;
    case Reason::kR3Public:
      s = "public policy: Access-Control-Allow-Origin \"*\" for a request "
          "without credentials (R3)";
      break;
    case Reason::kR4CredentialsNotAllowed:
      s = absl::StrCat("credentialed request from origin ", Quote(req.origin),
                       ", which is not an entry of tenant ", Quote(tname),
                       ": \"*\" answered, which browsers do not expose to "
                       "credentialed requests; add the origin (R4)");
      break;
    case Reason::kR11NullOriginAllowed:
      s = "origin \"null\" allowed by allow_null_origin, without credentials "
          "(R11)";
      break;
    case Reason::kR6PreflightAllowed:
      s = absl::StrCat(
          "preflight from origin ", Quote(req.origin), " allowed: method ",
          Quote(req.access_control_request_method),
          req.has_access_control_request_headers
              ? absl::StrCat(", headers ",
                             Quote(req.access_control_request_headers))
              : std::string(),
          " (R6)");
      break;
    case Reason::kR6PreflightForwarded:
      s = absl::StrCat("preflight refused: ", refusal(d.cause),
                       "; forwarded upstream because the policy sets "
                       "forward_refused_preflight (R6)");
      break;
    case Reason::kR13WebsocketRefused:
      s = absl::StrCat(
          "WebSocket handshake denied (403): browsers apply no CORS to "
          "WebSocket, so the policy refuses handshakes from refused origins "
          "unless it sets allow_cross_origin_websocket (R13): ",
          refusal(d.cause));
      break;
    case Reason::kR14UnsafeMethodDenied:
      s = absl::StrCat("method ", Quote(req.method),
                       " denied (403) because enforce_unsafe_methods is set "
                       "(R14): ",
                       refusal(d.cause));
      break;
    default:
      s = refusal(d.reason);
      break;
  }
  absl::StrAppend(&s, route);
  return s;
}

}  // namespace corsd::decision
