// AdminTokens: the bearer tokens that admit a caller to the Admin service
// (--admin-token-file), each with an id and a tenant scope, and the check
// every Admin RPC runs on its `authorization` metadata. AdminTokenStore: the
// tokens in force, replaced whole on SIGHUP (ReloadFile).
//
// Token file format: one token per line; leading/trailing spaces and tabs
// trimmed; blank lines and lines starting with '#' ignored. A line is
//
//   TOKEN [id=ID] [tenants=T1,T2,...]
//
// fields separated by spaces or tabs, each key at most once, any order after
// the token:
//   TOKEN    1..4096 bytes of visible ASCII (0x21..0x7E); never logged.
//   id=      1..64 bytes of [A-Za-z0-9._:-]; names the token in refusals and
//            in the audit log. Without it the id is a fingerprint that
//            cannot be turned back into the token: "sha256:" and the first
//            12 hex digits of SHA-256(TOKEN). Ids are unique in a file
//            (explicit or fingerprint).
//   tenants= the tenants the token may read and write: 1..kMaxScopeTenants
//            tenant ids (store::ValidateTenantId's rule: 1..128 bytes of
//            [a-z0-9._-] starting with a letter or digit), comma-separated,
//            or "*" for every tenant. Without it: every tenant (so a file
//            of bare tokens, the format before scopes, keeps its meaning).
// Errors (InvalidArgument naming the line number and the field): a token too
// long or with a byte outside 0x21..0x7E; a field that is not key=value; an
// unknown key; a key given twice; an empty or malformed id; a duplicate id
// or token; an empty tenant list, an empty item, a tenant id outside the
// rule, more than kMaxScopeTenants tenants; a file with no token at all (an
// admin listener nobody can use is a configuration mistake).
//
// What a scope means on each Admin RPC is AdminService's business
// (admin_service.h); here a scope only answers Allows(tenant).
//
// Thread safety: AdminTokens and AdminIdentity are immutable after
// construction; their const methods may be called from any number of threads
// concurrently. AdminTokenStore: see the class.
#ifndef CORSD_SERVICE_RPC_ADMIN_AUTH_H_
#define CORSD_SERVICE_RPC_ADMIN_AUTH_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace corsd::rpc {

inline constexpr size_t kMaxTokenBytes = 4096;
inline constexpr size_t kMaxTokenIdBytes = 64;
// Most tenants one token's scope may list.
inline constexpr size_t kMaxScopeTenants = 1000;
// Most tokens one file may hold (each call compares against every token).
inline constexpr size_t kMaxTokens = 1000;
// Largest token file read.
inline constexpr size_t kMaxTokenFileBytes = 4 << 20;

// Who made an admin call: the token's id and scope (never the token).
struct AdminIdentity {
  std::string id;
  // True: every tenant (tenants is empty). False: only `tenants`.
  bool all_tenants = true;
  // Sorted, distinct.
  std::vector<std::string> tenants;

  // True when the scope covers `tenant`.
  bool Allows(absl::string_view tenant) const;
  // "every tenant" or "tenants shop, shop-eu" (the scope's own names only;
  // at most the first 10, then "and N more").
  std::string ScopeText() const;
};

class AdminTokens {
 public:
  // Parses token file contents (format and errors: the file comment).
  static absl::StatusOr<AdminTokens> Parse(absl::string_view contents);
  // Reads and parses `path`. NotFound naming the path when it cannot be
  // read; InvalidArgument when it is larger than kMaxTokenFileBytes; Parse's
  // errors prefixed with "--admin-token-file \"PATH\": ".
  static absl::StatusOr<AdminTokens> LoadFile(const std::string& path);

  // The identity of the token `authorization` presents, when it is exactly
  // "Bearer <token>" for one of the tokens ("Bearer" matched
  // case-insensitively, one or more spaces); nullopt otherwise. The
  // comparison against each token takes time that depends only on the
  // presented value's length and the number of tokens, never on where (or
  // whether) it differs from a token.
  std::optional<AdminIdentity> Authenticate(
      absl::string_view authorization) const;
  // Authenticate(authorization).has_value().
  bool Check(absl::string_view authorization) const;

  size_t size() const { return tokens_.size(); }
  // The identity of the i-th token of the file (0-based), for diagnostics.
  const AdminIdentity& identity(size_t i) const { return identities_[i]; }

 private:
  AdminTokens(std::vector<std::string> tokens,
              std::vector<AdminIdentity> identities)
      : tokens_(std::move(tokens)), identities_(std::move(identities)) {}
  std::vector<std::string> tokens_;
  std::vector<AdminIdentity> identities_;  // parallel to tokens_
};

// The tokens in force. Replace/ReloadFile swap the whole set at once: a call
// authenticates against either the old set or the new, never a mix.
//
// Thread safety / invariants: every method may be called from any thread.
// `current_` is never null; it is read and replaced under `mu_` (admin calls
// are not the decision path, so a mutex held for a pointer copy is cheap
// enough); a set stays alive while a caller holds its shared_ptr.
class AdminTokenStore {
 public:
  explicit AdminTokenStore(AdminTokens initial);
  // For ReloadFile: the file the tokens came from ("" = none).
  AdminTokenStore(AdminTokens initial, std::string path);

  std::shared_ptr<const AdminTokens> Current() const;
  void Replace(AdminTokens tokens);
  // Parses the file given at construction completely, then swaps. On any
  // error (LoadFile's: the message names the file and the line) the old
  // tokens stay in force. FailedPrecondition when constructed without a
  // path.
  absl::Status ReloadFile();

 private:
  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const AdminTokens> current_ ABSL_GUARDED_BY(mu_);
};

// "sha256:" + the first 12 hex digits of SHA-256(token): a token's id when
// the file gives none.
std::string TokenFingerprint(absl::string_view token);

// Compares a and b in time that depends only on a.size() (b's bytes are read
// cyclically); true when they are equal.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_ADMIN_AUTH_H_
