// Validation of admin input for the Catalog, in two stages:
//   * Stateless (this file's Prepare* functions): one item on its own --
//     tenant id syntax, value size, canonical origin / wildcard / host,
//     policy conversion and validation. Pure; any thread; the expensive part
//     (canonicalization) of a 1M-row import runs here.
//   * Stateful (the Catalog, under its mutex): the prepared items against the
//     current tenants and API hosts (catalog.cc).
// Refused items are collected in an ErrorList, which becomes the
// InvalidArgument + BatchErrors status of a refused batch.
#ifndef CORSD_SERVICE_STORE_VALIDATION_H_
#define CORSD_SERVICE_STORE_VALIDATION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"
#include "service/policy/policy.h"
#include "service/store/store.h"

namespace corsd::store {

// Collects the refused items of one batch: keeps the first kMaxListedErrors
// (1000), counts all. Not thread-safe.
class ErrorList {
 public:
  // Records item `index`: `field` at fault, the offending `value` (truncated
  // to 256 bytes), `message` saying what was expected.
  void Add(uint64_t index, absl::string_view field, absl::string_view value,
           absl::string_view message);
  bool empty() const { return errors_.total() == 0; }
  uint64_t total() const { return errors_.total(); }
  // OK when empty; else InvalidArgument "<what>: N item(s) refused; first:
  // item I field F: message" with the BatchErrors payload.
  absl::Status ToStatus(absl::string_view what) const;

 private:
  corsd::v1::BatchErrors errors_;
};

// OK when `id` is 1..128 bytes of [a-z0-9._-] starting with [a-z0-9];
// InvalidArgument naming the id and the rule otherwise.
absl::Status ValidateTenantId(absl::string_view id);

// A tenant ready to be written: its validated policy in every form needed.
struct PreparedTenant {
  uint64_t index = 0;              // item index in the batch
  std::string id;                  // valid tenant id
  std::string policy_bytes;        // serialized corsd.v1.Policy
  corsd::v1::Policy policy_proto;  // as written
  policy::Policy policy;           // the core model (R16 checks)
  std::unique_ptr<const policy::CompiledPolicy> compiled;
};

// Prepares `tenant`; on a bad item records it in `errors` (fields "id",
// "policy" or "policy.<field>") and returns false.
bool PrepareTenant(uint64_t index, const corsd::v1::Tenant& tenant,
                   PreparedTenant* out, ErrorList* errors);

// Compiles stored policy bytes (startup, follower). DataLoss naming the
// tenant when they do not parse or validate.
absl::Status CompileStoredPolicy(absl::string_view tenant,
                                 absl::string_view policy_bytes,
                                 PreparedTenant* out);

// An entry op ready to be written.
struct PreparedOp {
  uint64_t index = 0;
  bool add = true;
  EntryKind kind = EntryKind::kOrigin;
  std::string tenant;
  std::string value;  // canonical
};

// Prepares `op`: op and kind specified, tenant id valid, value <= 2048
// bytes and canonical of its kind (CanonicalizeAdminOrigin, ParseWildcard
// (and not over a public suffix), CanonicalizeHost). On a bad item records
// it (fields "op", "kind", "tenant", "value") and returns false.
bool PrepareOp(uint64_t index, const corsd::v1::EntryOp& op, PreparedOp* out,
               ErrorList* errors);

// A custom domain record to import (Export's form), checked on its own:
// tenant id, canonical host (domain_name.h; the stored form), method and
// state known, token present for DNS and HTTP (1..128 bytes of
// [A-Za-z0-9_-]), at most kMaxImportedDomainBytes serialized. On a bad
// item records it (fields "domains.tenant", "domains.host",
// "domains.method", "domains.state", "domains.token", "domains") and
// returns false.
inline constexpr size_t kMaxImportedDomainBytes = 64 * 1024;
struct PreparedDomain {
  uint64_t index = 0;
  corsd::v1::CustomDomain record;
};
bool PrepareDomain(uint64_t index, const corsd::v1::CustomDomain& domain,
                   PreparedDomain* out, ErrorList* errors);

// R16 for one prepared add of an origin or wildcard under `policy`; OK for
// API hosts and removals.
absl::Status CheckDevOrigin(const policy::Policy& policy, const PreparedOp& op);

// Page tokens of the listing calls: opaque to clients ("v1:" + the last
// item of the previous page, web-safe base64).
std::string MakePageToken(absl::string_view last);
// The last item a token names ("" for an empty token). InvalidArgument
// naming page_token when it is not one MakePageToken made.
absl::StatusOr<std::string> ParsePageToken(absl::string_view token);
// `requested`, or `default_size` for 0. InvalidArgument naming page_size
// when above `max_size`.
absl::StatusOr<uint32_t> PageSize(uint32_t requested, uint32_t default_size,
                                  uint32_t max_size);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_VALIDATION_H_
