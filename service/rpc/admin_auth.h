// AdminTokens: the bearer tokens that admit a caller to the Admin service
// (--admin-token-file), and the check every Admin RPC runs on its
// `authorization` metadata.
//
// Token file format: one token per line; leading/trailing spaces and tabs
// trimmed; blank lines and lines starting with '#' ignored. A token is 1..4096
// bytes of visible ASCII (0x21..0x7E).
//
// Thread safety: immutable after construction; Check may be called from any
// number of threads concurrently.
#ifndef CORSD_SERVICE_RPC_ADMIN_AUTH_H_
#define CORSD_SERVICE_RPC_ADMIN_AUTH_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::rpc {

inline constexpr size_t kMaxTokenBytes = 4096;

class AdminTokens {
 public:
  // Parses token file contents. InvalidArgument naming the line number when a
  // token is too long or has a byte outside 0x21..0x7E; InvalidArgument when
  // the file holds no token at all (an admin listener nobody can use is a
  // configuration mistake).
  static absl::StatusOr<AdminTokens> Parse(absl::string_view contents);
  // Reads and parses `path`. NotFound / PermissionDenied naming the path when
  // it cannot be read; Parse's errors prefixed with the path.
  static absl::StatusOr<AdminTokens> LoadFile(const std::string& path);

  // True when `authorization` is exactly "Bearer <token>" for one of the
  // tokens ("Bearer" matched case-insensitively, one or more spaces).
  // The comparison against each token takes time that depends only on the
  // presented value's length and the number of tokens, never on where (or
  // whether) it differs from a token.
  bool Check(absl::string_view authorization) const;

  size_t size() const { return tokens_.size(); }

 private:
  explicit AdminTokens(std::vector<std::string> tokens)
      : tokens_(std::move(tokens)) {}
  std::vector<std::string> tokens_;
};

// Compares a and b in time that depends only on a.size() (b's bytes are read
// cyclically); true when they are equal.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_ADMIN_AUTH_H_
