// The /ask question of Caddy's on-demand TLS ("may I get a certificate for
// this name?"), answered from memory in constant time: approved only for
// a verified custom domain (or a name one label under a verified wildcard),
// an API host (the operator's own word, how hosts written before custom
// domains count), or a host the operator lists as the SaaS's own
// (--saas-hosts). Never for an origin a tenant merely allows, never for a
// pending, failing or suspended domain.
//
// Thread safety: Answer and Render may run on any number of threads at
// once; counters are relaxed atomics (independent statistics). The index,
// table and epochs must outlive the Ask.
#ifndef CORSD_SERVICE_HTTP_ASK_H_
#define CORSD_SERVICE_HTTP_ASK_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/domain/domain_index.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::http {

// Why /ask answered as it did (a label of corsd_ask_total).
enum class AskOutcome : uint8_t {
  kDomain = 0,      // 200: a verified custom domain
  kWildcard = 1,    // 200: one label under a verified wildcard
  kApiHost = 2,     // 200: an API host
  kSaasHost = 3,    // 200: --saas-hosts
  kUnknown = 4,     // 404
  kBadRequest = 5,  // 400: no domain parameter, or not a host name
};
inline constexpr size_t kAskOutcomes = 6;
absl::string_view AskOutcomeName(AskOutcome outcome);

struct AskAnswer {
  int status = 404;
  AskOutcome outcome = AskOutcome::kUnknown;
  std::string body;  // one line: "approved HOST (why)", or what was wrong
};

class Ask {
 public:
  // `saas_hosts`: hosts ("app.saas.com") and wildcards ("*.saas.com", one
  // label under). InvalidArgument naming --saas-hosts and the value when
  // one is not a host name (domain_name.h rules, public suffixes refused).
  // `domains` may be null (no custom domains: only API and SaaS hosts).
  static absl::StatusOr<std::unique_ptr<Ask>> Create(
      const std::vector<std::string>& saas_hosts,
      const domain::DomainIndex* domains, const table::OriginTable* table,
      table::EpochManager* epochs);

  // Answers the query string of GET /ask (`domain=HOST`, percent-encoded,
  // exactly once; a ":port" suffix is ignored). Counts the outcome.
  AskAnswer Answer(absl::string_view query) const;

  // corsd_ask_total{outcome} in Prometheus text format.
  void Render(std::string* out) const;
  uint64_t Count(AskOutcome outcome) const;

 private:
  Ask(const domain::DomainIndex* domains, const table::OriginTable* table,
      table::EpochManager* epochs)
      : domains_(domains), table_(table), epochs_(epochs) {}
  AskAnswer Decide(absl::string_view query) const;

  absl::flat_hash_set<std::string> saas_exact_;
  absl::flat_hash_set<std::string> saas_parents_;
  const domain::DomainIndex* const domains_;
  const table::OriginTable* const table_;
  table::EpochManager* const epochs_;
  mutable std::array<std::atomic<uint64_t>, kAskOutcomes> counts_{};
};

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_ASK_H_
