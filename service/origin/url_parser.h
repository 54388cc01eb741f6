// The WHATWG basic URL parser (no base URL), keeping only what decides an
// origin and what the admin checks need: scheme, whether there is userinfo,
// host, port, whether the path is empty or "/", query and fragment presence,
// and the opaque path (for blob: URLs). Internal to service/origin: the
// public API is origin.h.
#ifndef CORSD_SERVICE_ORIGIN_URL_PARSER_H_
#define CORSD_SERVICE_ORIGIN_URL_PARSER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/origin/host.h"

namespace corsd::origin::internal {

// Largest input CanonicalizeOrigin and friends accept, in bytes.
inline constexpr size_t kMaxUrlBytes = 8192;

struct ParsedUrl {
  std::string scheme;            // lowercase, without ':'
  bool special = false;          // http(s), ws(s), ftp, file
  bool has_credentials = false;  // non-empty username or password
  bool has_at_sign = false;      // an '@' ended a userinfo part (maybe empty)
  bool has_host = false;         // the URL's host is non-null
  Host host;                     // valid when has_host
  // The explicit port; -1 when absent or equal to the scheme's default.
  int32_t port = -1;
  bool opaque_path = false;  // "scheme:text" with no "//" (blob:, mailto:)
  // The opaque path, percent-encoded as the standard does (when
  // opaque_path); otherwise the path's segment count and whether it is just
  // [""] (a single "/").
  std::string opaque_path_text;
  size_t path_segments = 0;
  bool path_is_root = false;  // path is [""], serialized "/"
  bool has_query = false;     // a '?' was present (even if empty)
  bool has_fragment = false;  // a '#' was present (even if empty)
};

// Parses `input` as an absolute URL. InvalidArgument naming the part at
// fault for every input the URL standard's basic parser fails with a null
// base (missing scheme, bad host, bad port, ...), for input that is not
// valid UTF-8, and for input longer than kMaxUrlBytes.
absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view input);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF): ParseUrl's first check.
bool IsValidUtf8(absl::string_view s);

// The default port of a special scheme, or -1 (also for "file").
int DefaultPortOf(absl::string_view scheme);

}  // namespace corsd::origin::internal

#endif  // CORSD_SERVICE_ORIGIN_URL_PARSER_H_
