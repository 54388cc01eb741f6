// R8: checking a preflight's Access-Control-Request-Headers against a policy
// class, in one allocation-free pass. Used by Engine::Decide (hot path) and
// Engine::Explain (to say which limit or name failed).
//
// The value is a comma list of header names (repeated headers arrive joined
// by ","). Items are trimmed of spaces and tabs; empty items are skipped.
// Names compare case-insensitively. A name is allowed when it is
// CORS-safelisted (policy::IsSafelistedHeaderName), explicitly listed by the
// policy, or covered by the policy's "*" (requests without credentials only,
// and never "authorization").
//
// Thread-safe: pure function; writes only to the caller's scratch buffer.
#ifndef CORSD_SERVICE_DECISION_REQUEST_HEADERS_H_
#define CORSD_SERVICE_DECISION_REQUEST_HEADERS_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "service/policy/policy.h"

namespace corsd::decision {

enum class HeaderListStatus : uint8_t {
  kOk = 0,
  kTooLong = 1,      // value longer than max_bytes
  kTooMany = 2,      // more than max_names names
  kNameTooLong = 3,  // a name longer than max_name_bytes
  kNotToken = 4,     // an item that is not an HTTP token
  kNotAllowed = 5,   // a well-formed name the policy does not allow
};

struct HeaderListLimits {
  size_t max_bytes;
  size_t max_names;
  size_t max_name_bytes;
};

struct HeaderListResult {
  HeaderListStatus status = HeaderListStatus::kOk;
  // The first failing item, as sent (a view into the value); empty for
  // kTooLong and kTooMany.
  absl::string_view offending;
  // Names seen (non-empty items) up to where the pass stopped.
  size_t names = 0;
  // When `echo` was requested and status is kOk: the requested names,
  // lowercase and ","-joined without spaces; either a view into the value
  // itself (when it is already in that form, as browsers send it) or into
  // `scratch`. Empty when no name was requested.
  absl::string_view echo;
};

// Checks `value` against `rules`. `credentials`: the request carries
// credentials (then "*" does not apply). `echo`: build HeaderListResult::echo.
// `scratch` must hold at least limits.max_bytes bytes when `echo` is set (it
// may be null otherwise). Stops at the first failure: the byte limit is
// checked first (O(1)), the name count and name length as names are met, so
// a hostile value costs at most one pass over limits.max_bytes bytes.
// Never allocates.
HeaderListResult CheckRequestHeaders(absl::string_view value,
                                     const policy::CompiledRules& rules,
                                     bool credentials, bool echo,
                                     const HeaderListLimits& limits,
                                     char* scratch);

}  // namespace corsd::decision

#endif  // CORSD_SERVICE_DECISION_REQUEST_HEADERS_H_
