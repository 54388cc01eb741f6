// The header rules every door that reads HTTP header values shares (ext_authz
// Check and the HTTP forward-auth endpoints): what counts as credentials, how
// a header sent more than once is read, and which values are refused before
// anything decides on them. One copy, so the doors cannot drift apart.
//
// Thread safety: the functions are pure; a JoinedValue belongs to one
// request being read.
#ifndef CORSD_SERVICE_DOOR_HEADER_RULES_H_
#define CORSD_SERVICE_DOOR_HEADER_RULES_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace corsd::door {

// A request carries credentials (PRODUCT.md: R3/R4/R11) when it has a Cookie
// or an Authorization header, whatever their values.
inline bool CarriesCredentials(bool has_cookie, bool has_authorization) {
  return has_cookie || has_authorization;
}

// Owned copies of joined header values, one request's worth. Allocates
// nothing until a header is repeated (the common request has none); the
// strings never move once added.
using JoinStorage = std::vector<std::unique_ptr<std::string>>;

// The value of one header name as the decision reads it: a header sent more
// than once is joined with "," in arrival order, as Envoy joins them (a
// joined Origin is never canonical, so it never matches). The first value is
// kept as a view (no copy); a second one starts a copy in `storage`, so
// value() stays valid while `storage` and the added views live.
class JoinedValue {
 public:
  explicit JoinedValue(JoinStorage* storage) : storage_(storage) {}

  void Add(absl::string_view value);
  bool present() const { return count_ > 0; }
  size_t count() const { return count_; }
  absl::string_view value() const;

 private:
  JoinStorage* storage_;
  absl::string_view first_;
  std::string* joined_ = nullptr;
  size_t count_ = 0;
};

// "\"value\"" for error messages, cut at 64 bytes with "..." and with bytes
// outside printable ASCII written as \xNN, so a message never carries
// control bytes into a log.
std::string ShownValue(absl::string_view value);

// True when `value` holds a CR, LF or NUL byte: no HTTP/1.1 field value can
// (RFC 9110 5.5), and a value carrying one must neither reach a decision nor
// be copied into a response header.
bool HasForbiddenByte(absl::string_view value);

// InvalidArgument "<what> is \"<shown value>\"; expected no CR, LF or NUL
// byte", for a door's own naming of the field (`what`: "header Origin",
// "request.origin").
absl::Status ForbiddenByteError(absl::string_view what,
                                absl::string_view value);

// Checks a header value a door will decide on. Errors (the message names the
// header, the value or its size, and what was expected):
//   * ResourceExhausted: value over `limit` bytes (HTTP answers 431);
//   * InvalidArgument: a CR, LF or NUL byte in the value (a transport that let
//   one through
//     must not let it reach the decision or a response header).
absl::Status CheckHeaderValue(absl::string_view name, absl::string_view value,
                              size_t limit);

}  // namespace corsd::door

#endif  // CORSD_SERVICE_DOOR_HEADER_RULES_H_
