#include "service/http/ask.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/domain/domain_name.h"

namespace corsd::http {
namespace {

// A DNS name and ":port", percent-encoded at most three times over.
constexpr size_t kMaxAskDomainBytes = 253 + 6;

// %XX-decodes a query parameter value ("+" stays "+": a host has no space).
// False on a malformed escape.
bool DecodeQueryValue(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int v = 0;
    for (size_t k = 1; k <= 2; ++k) {
      const char c = in[i + k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return false;
      }
    }
    out->push_back(static_cast<char>(v));
    i += 2;
  }
  return true;
}

AskAnswer Bad(std::string body) {
  return {400, AskOutcome::kBadRequest, std::move(body)};
}

}  // namespace

absl::string_view AskOutcomeName(AskOutcome outcome) {
  switch (outcome) {
    case AskOutcome::kDomain:
      return "domain";
    case AskOutcome::kWildcard:
      return "wildcard";
    case AskOutcome::kApiHost:
      return "api_host";
    case AskOutcome::kSaasHost:
      return "saas_host";
    case AskOutcome::kUnknown:
      return "unknown";
    case AskOutcome::kBadRequest:
      return "bad_request";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Ask>> Ask::Create(
    const std::vector<std::string>& saas_hosts,
    const domain::DomainIndex* domains, const table::OriginTable* table,
    table::EpochManager* epochs) {
  std::unique_ptr<Ask> ask(new Ask(domains, table, epochs));
  for (const std::string& host : saas_hosts) {
    absl::StatusOr<domain::DomainName> name = domain::ParseDomainName(host);
    if (!name.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--saas-hosts: ", name.status().message()));
    }
    if (name->wildcard) {
      ask->saas_parents_.insert(name->parent);
    } else {
      ask->saas_exact_.insert(name->host);
    }
  }
  return ask;
}

AskAnswer Ask::Answer(absl::string_view query) const {
  AskAnswer answer = Decide(query);
  // relaxed: a statistic.
  counts_[static_cast<size_t>(answer.outcome)].fetch_add(
      1, std::memory_order_relaxed);
  return answer;
}

AskAnswer Ask::Decide(absl::string_view query) const {
  int found = 0;
  absl::string_view raw;
  for (absl::string_view param : absl::StrSplit(query, '&')) {
    if (absl::StartsWith(param, "domain=")) {
      ++found;
      raw = param.substr(7);
    } else if (param == "domain") {
      ++found;
      raw = absl::string_view();
    }
  }
  if (found != 1) {
    return Bad(
        absl::StrCat("query parameter domain appears ", found,
                     " times; expected exactly once (/ask?domain=HOST)"));
  }
  std::string domain;
  if (raw.size() > 3 * kMaxAskDomainBytes || !DecodeQueryValue(raw, &domain)) {
    return Bad(absl::StrCat(
        "query parameter domain is not a valid percent-encoded value of at "
        "most ",
        kMaxAskDomainBytes, " bytes"));
  }
  if (domain.empty() || domain.size() > kMaxAskDomainBytes) {
    return Bad(absl::StrCat("query parameter domain is ", domain.size(),
                            " bytes; expected a host of 1 to ",
                            kMaxAskDomainBytes, " bytes"));
  }
  // Caddy sends the bare SNI name; a "host:port" is tolerated.
  absl::string_view name = domain;
  if (const size_t colon = name.rfind(':');
      colon != absl::string_view::npos && name.find(':') == colon) {
    name = name.substr(0, colon);
  }
  absl::StatusOr<std::string> host = domain::CanonicalizeAskedHost(name);
  if (!host.ok()) {
    return Bad(
        absl::StrCat("query parameter domain: ", host.status().message()));
  }
  if (saas_exact_.contains(*host)) {
    return {200, AskOutcome::kSaasHost,
            absl::StrCat("approved ", *host, " (a host of this service)")};
  }
  if (const size_t dot = host->find('.'); dot != std::string::npos) {
    if (saas_parents_.contains(absl::string_view(*host).substr(dot + 1))) {
      return {200, AskOutcome::kSaasHost,
              absl::StrCat("approved ", *host, " (a host of this service)")};
    }
  }
  if (domains_ != nullptr) {
    switch (domains_->Lookup(*host)) {
      case domain::DomainIndex::Match::kExact:
        return {
            200, AskOutcome::kDomain,
            absl::StrCat("approved ", *host, " (a verified custom domain)")};
      case domain::DomainIndex::Match::kWildcard:
        return {200, AskOutcome::kWildcard,
                absl::StrCat("approved ", *host,
                             " (under a verified wildcard domain)")};
      case domain::DomainIndex::Match::kWithheld:
        return {404, AskOutcome::kUnknown,
                absl::StrCat("refused ", *host,
                             ": its custom domain is not verified (failing "
                             "its re-check)")};
      case domain::DomainIndex::Match::kNone:
        break;
    }
  }
  bool api_host = false;
  {
    table::EpochManager::ReadGuard guard(epochs_);
    api_host = table_->FindApiHost(*host) != table::kNoTenant;
  }
  if (api_host) {
    return {200, AskOutcome::kApiHost,
            absl::StrCat("approved ", *host, " (an API host)")};
  }
  return {404, AskOutcome::kUnknown,
          absl::StrCat("unknown ", *host,
                       ": not a verified custom domain, API host or host of "
                       "this service")};
}

void Ask::Render(std::string* out) const {
  out->append(
      "# HELP corsd_ask_total /ask answers (Caddy on-demand TLS) by "
      "outcome.\n"
      "# TYPE corsd_ask_total counter\n");
  for (size_t i = 0; i < kAskOutcomes; ++i) {
    absl::StrAppend(out, "corsd_ask_total{outcome=\"",
                    AskOutcomeName(static_cast<AskOutcome>(i)), "\"} ",
                    Count(static_cast<AskOutcome>(i)), "\n");
  }
}

uint64_t Ask::Count(AskOutcome outcome) const {
  // relaxed: a statistic.
  return counts_[static_cast<size_t>(outcome)].load(std::memory_order_relaxed);
}

}  // namespace corsd::http
