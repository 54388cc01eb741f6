// The rules `corsctl lint` applies to a tenant's policy and entries, as pure
// functions so they are tested without a server. Each finding names the rule
// of PRODUCT.md it comes from, where it is, and what to change.
//
// Errors are what corsd forbids or refuses on write (R2 public-suffix
// wildcards, R4 public + credentials, R10 max-age over 86400, R11 null with
// credentials, R16 dev origins on production tenants, non-canonical or
// malformed entries). Warnings are legal but risky or useless (max-age over
// Chromium's 7200 cap, duplicates, "*" headers with credentials, the null
// origin allowed, R13 turned off by allow_cross_origin_websocket, plaintext
// http origins on production tenants, an entry a wildcard already covers).
//
// Thread safety: EntryLinter is used by one thread; the rest is pure.
#ifndef CORSD_CLIENT_CORSCTL_LINT_H_
#define CORSD_CLIENT_CORSCTL_LINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"
#include "corsd/v1/policy.pb.h"

namespace corsd::corsctl {

struct Finding {
  bool error = false;  // false: warning
  std::string rule;    // "R4", "R16", ...
  std::string where;   // "policy", "origin https://x.com", "line 12"
  std::string message;
};

// Problems of one policy (its routes included). `where` prefixes locations.
std::vector<Finding> LintPolicy(const corsd::v1::Policy& policy,
                                absl::string_view where = "policy");

// Checks entries one by one and across each other (duplicates, entries a
// wildcard covers). Memory: one hash per entry seen.
class EntryLinter {
 public:
  // `policy` is the tenant's (for R16), or null when unknown.
  void Add(absl::string_view tenant, const corsd::v1::Policy* policy,
           corsd::v1::EntryKind kind, absl::string_view value,
           absl::string_view where, std::vector<Finding>* out);
  // Cross-entry findings (exact origins under a wildcard of the same
  // tenant); call once after the last Add.
  void Finish(std::vector<Finding>* out);

 private:
  absl::flat_hash_set<uint64_t> seen_;
  // tenant -> canonical exact origins (for the wildcard-cover check).
  absl::flat_hash_map<std::string, std::vector<std::string>> origins_;
  absl::flat_hash_map<std::string, std::vector<std::string>> wildcards_;
};

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_LINT_H_
